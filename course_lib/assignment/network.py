"""Part 5 of the assignment: ``build_network`` from the student's layers.

Checked: the layers and their order, the parameters' shapes and dtype, zero
biases, ``alpha`` and the dropout ratio passed on, the same seed giving the
same weights, He initialisation (standard deviation ``sqrt(2 / fan_in)``, on a
large network so that the statistics are sharp), and, with weights given by
the case, the network's scores and gradients against the same network built
from the course's reference code in float64.
"""
from __future__ import annotations

import numpy as np

from ..i18n import _
from .base import RNG, Part

KINDS = ["Convolution", "LeakyRelu", "MaxPooling", "Affine", "LeakyRelu", "Dropout", "Affine"]
NET_TOLERANCE = 1e-4          # relative (norm) error of scores and gradients: float32-level

CALL = """
kw = dict(filter_num=int(IN["fn"]), filter_size=int(IN["fs"]), hidden_size=int(IN["hs"]),
          dropout_ratio=float(IN["drop"]), alpha=float(IN["alpha"]),
          input_dim=tuple(int(v) for v in IN["input_dim"]), n_classes=int(IN["nc"]),
          seed=int(IN["seed"]))
if "big" in IN:
    for key, value in build_network(**kw).params.items():
        OUT[key] = np.asarray(value)
else:
    net = build_network(**kw, dtype=np.float64)
    OUT["kinds"] = np.array([type(layer).__name__ for layer in net.layers])
    for key, value in net.params.items():
        OUT[key] = np.asarray(value)
    layers = list(net.layers) + [None] * 6
    OUT["alphas"] = np.array([getattr(layers[i], "alpha", np.nan) for i in (1, 4)], dtype=float)
    OUT["drop"] = np.array(getattr(layers[5], "dropout_ratio", np.nan), dtype=float)
    for key, value in build_network(**kw, dtype=np.float64).params.items():
        OUT["again_" + key] = np.asarray(value)
    given = {key[6:]: IN[key] for key in IN if key.startswith("given_")}
    for key, value in given.items():
        net.params[key] = value.copy()
    net.eval()
    OUT["scores"] = net.predict(IN["x"].copy())
    plain = build_network(**dict(kw, dropout_ratio=0.0), dtype=np.float64)
    for key, value in given.items():
        plain.params[key] = value.copy()
    for key, value in plain.gradient(IN["x"].copy(), IN["t"].copy()).items():
        OUT["grad_" + key] = np.asarray(value)
"""


def _shapes(case):
    fn, fs, hs, nc = (int(case[k]) for k in ("fn", "fs", "hs", "nc"))
    C, H, W = (int(v) for v in case["input_dim"])
    flat = fn * (H // 2) * (W // 2)
    return {"W1": (fn, C, fs, fs), "b1": (fn,), "W2": (flat, hs), "b2": (hs,), "W3": (hs, nc),
            "b3": (nc,)}


def _config(rng, fn, fs, hs, size, nc, channels, big=False):
    case = {"fn": np.int64(fn), "fs": np.int64(fs), "hs": np.int64(hs), "nc": np.int64(nc),
            "drop": np.float64(rng.uniform(0.1, 0.6)), "alpha": np.float64(rng.uniform(0.02, 0.3)),
            "input_dim": np.array([channels, size, size]), "seed": np.int64(rng.integers(1000))}
    if big:
        case["big"] = np.int64(1)
        return case
    for key, shape in _shapes(case).items():
        case["given_" + key] = rng.standard_normal(shape) * (0.3 if key[0] == "W" else 0.1)
    case["x"] = rng.random((4, channels, size, size))
    case["t"] = rng.integers(0, nc, 4)
    return case


def fixed_cases():
    rng = np.random.default_rng(RNG + 5)
    return [_config(rng, 4, 3, 10, 8, 10, 2), _config(rng, 64, 5, 200, 28, 10, 3, big=True)]


def fresh_cases(rng):
    return [_config(rng, int(rng.integers(2, 6)), int(rng.choice([3, 5])),
                    int(rng.integers(5, 12)), int(rng.choice([6, 8, 10])),
                    int(rng.integers(3, 10)), int(rng.integers(1, 3))),
            _config(rng, 64, 5, 200, 28, 10, 3, big=True)]


def _reference(params, x, t, pad, alpha):
    """Scores and gradients of the described network (dropout off), in float64, by loops."""
    from .. import naive

    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    a1 = naive.conv_forward_naive(x, p["W1"], p["b1"], 1, pad)
    h1 = np.where(a1 > 0, a1, alpha * a1)
    m = naive.pool_forward_naive(h1, 2, 2, 2)
    flat = m.reshape(len(x), -1)
    a2 = flat @ p["W2"] + p["b2"]
    h2 = np.where(a2 > 0, a2, alpha * a2)
    scores = h2 @ p["W3"] + p["b3"]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    dscores = e / e.sum(axis=1, keepdims=True)
    dscores[np.arange(len(t)), t] -= 1
    dscores /= len(t)
    g = {"W3": h2.T @ dscores, "b3": dscores.sum(axis=0)}
    dh2 = dscores @ p["W3"].T
    da2 = np.where(a2 > 0, dh2, alpha * dh2)
    g.update(W2=flat.T @ da2, b2=da2.sum(axis=0))
    dm = (da2 @ p["W2"].T).reshape(m.shape)
    dh1 = naive.pool_backward_naive(dm, h1, 2, 2, 2)
    da1 = np.where(a1 > 0, dh1, alpha * dh1)
    g["W1"], g["b1"] = naive.conv_backward_naive(da1, x, p["W1"], 1, pad)[1:]
    return scores, g


def expect(case):
    if "big" in case:
        return {}
    given = {k[6:]: case[k] for k in case if k.startswith("given_")}
    scores, grads = _reference(given, case["x"], case["t"], int(case["fs"]) // 2,
                               float(case["alpha"]))
    return {"scores": scores, **{"grad_" + k: v for k, v in grads.items()}}


def _relative(got, want):
    got = np.asarray(got, dtype=np.float64)
    return np.linalg.norm(got - want) / max(np.linalg.norm(got), np.linalg.norm(want), 1e-300)


def _judge_init(case, out):
    C = int(case["input_dim"][0])
    fs = int(case["fs"])
    fans = {"W1": C * fs * fs, "W2": _shapes(case)["W2"][0], "W3": int(case["hs"])}
    for key, shape in _shapes(case).items():
        got = out.get(key)
        if got is None or got.shape != shape:
            return _("{key} has shape {shape}, expected {expected}", key=key,
                     shape=None if got is None else got.shape, expected=shape)
        if got.dtype != np.float32:
            return _("{key} is {dtype}: without a dtype argument every array must be float32",
                     key=key, dtype=got.dtype)
    for key, fan in fans.items():
        want = np.sqrt(2.0 / fan)
        std, mean = float(out[key].std()), float(out[key].mean())
        if abs(std / want - 1) > 0.2 or abs(mean) > 0.2 * want:
            return _("He initialisation of {key}: its standard deviation is {std:.4g}, but "
                     "sqrt(2 / fan_in) = {want:.4g} with fan_in = {fan} (the inputs of one unit: "
                     "C*FH*FW for a filter, the rows of an affine layer's matrix); the ratio "
                     "{ratio:.2f} suggests fan_in = {suggested:.0f}", key=key, std=std,
                     want=want, fan=fan, ratio=std / want, suggested=2 / std ** 2)
    return None


def _judge_structure(case, out):
    kinds = [str(k) for k in np.asarray(out.get("kinds", [])).ravel()]
    if kinds != KINDS:
        return _("the layers are {kinds}, expected {expected}", kinds=kinds, expected=KINDS)
    for key, shape in _shapes(case).items():
        got = out.get(key)
        if got is None or got.shape != shape:
            return _("{key} has shape {shape}, expected {expected} (padding filter_size // 2 "
                     "keeps the image's size; pooling halves it)", key=key,
                     shape=None if got is None else got.shape, expected=shape)
        if got.dtype != np.float64:
            return _("{key} is {dtype}, but dtype=np.float64 was asked for", key=key,
                     dtype=got.dtype)
        if key[0] == "b" and np.any(got != 0):
            return _("{key} must start at zero", key=key)
        if not np.array_equal(got, out.get("again_" + key)):
            return _("{key} differs between two calls with the same seed: draw from rng only",
                     key=key)
    alphas = np.asarray(out.get("alphas", [np.nan, np.nan]), dtype=float)
    if not np.allclose(alphas, float(case["alpha"])):
        return _("the LeakyRelu layers have alpha {alphas}, but alpha={alpha:.4g} was asked for: "
                 "pass it to both", alphas=alphas.tolist(), alpha=float(case["alpha"]))
    if not np.isclose(float(np.asarray(out.get("drop", np.nan))), float(case["drop"])):
        return _("the Dropout layer does not have the dropout_ratio asked for")
    return None


def judge(case, out, exp):
    if "big" in case:
        return _judge_init(case, out)
    failed = _judge_structure(case, out)
    if failed:
        return failed
    scores = out.get("scores")
    if scores is None or np.shape(scores) != exp["scores"].shape:
        return _("predict(x) returned shape {shape}, expected {expected}",
                 shape=None if scores is None else np.shape(scores),
                 expected=exp["scores"].shape)
    err = _relative(scores, exp["scores"])
    if not err <= NET_TOLERANCE:
        return _("with the weights set by the check, predict(x) differs from the network "
                 "described (relative error {error:.1e}): look at the padding, the order of the "
                 "layers, the pooling and the LeakyRelu slopes", error=err)
    for key in ("W1", "b1", "W2", "b2", "W3", "b3"):
        got, want = out.get("grad_" + key), exp["grad_" + key]
        if got is None or np.shape(got) != want.shape:
            return _("the gradient of {key} has shape {shape}, expected {expected} (the shape "
                     "of {key})", key=key, shape=None if got is None else np.shape(got),
                     expected=want.shape)
        err = _relative(got, want)
        if not err <= NET_TOLERANCE:
            return _("the gradient of {key} differs from backpropagation through the described "
                     "network (relative error {error:.1e}); the layers' backward passes are "
                     "checked in Parts 2-4: look at how the network wires them", key=key,
                     error=err)
    return None


def describe(case):
    C, H, W = (int(v) for v in case["input_dim"])
    fields = dict(filters=int(case["fn"]), size=int(case["fs"]), C=C, H=H, W=W,
                  hidden=int(case["hs"]))
    if "big" in case:
        return _("a large network (its initialisation): {filters} filters of {size}x{size}, input "
                 "{C}x{H}x{W}, {hidden} hidden units", **fields)
    return _("a small network: {filters} filters of {size}x{size}, input {C}x{H}x{W}, {hidden} "
             "hidden units", **fields)


PART = Part("test_build_network", "build_network", CALL, fixed_cases, fresh_cases, expect, judge,
            describe)
PARTS = [PART]
REFERENCE_CODE = ("_reference", "expect")
