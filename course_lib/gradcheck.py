"""Gradient checking: compare backpropagation with numerical derivatives.

A centred difference ``(f(x + h) - f(x - h)) / 2h`` has an error of order
``h^2`` plus a rounding error of order ``1e-16 / h``; in float64 with
``h = 1e-5`` a correct backward pass agrees with it to a relative error of
1e-7 or (usually far) less, while a wrong formula is off by 1e-2 or more.
In float32 the rounding error is 1e9 times larger, so always check gradients
in float64.
"""
import numpy as np

from .i18n import _
from .layers import Dropout
from .networks import param_slots, walk


def rel_error(a, b, eps=1e-8):
    """Largest relative difference ``|a - b| / max(|a| + |b|, eps)`` over all entries.

    The floor ``eps`` keeps entries that are zero in both (a dead ReLU, say) from
    turning rounding noise into a large ratio.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(_("cannot compare arrays of shapes {a} and {b}", a=a.shape, b=b.shape))
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps))) if a.size else 0.0


def numerical_gradient(f, x, h=1e-5):
    """Centred-difference gradient of the scalar function ``f()`` with respect to array ``x``.

    ``x`` is changed in place and restored entry by entry, so ``f`` should read
    it (for example a closure over a network whose parameter is ``x``).
    """
    if x.dtype != np.float64:
        raise TypeError(_("numerical gradients need float64 arrays (got {dtype}): float32 "
                          "rounding swamps the finite differences; build the layer or network "
                          "with dtype=np.float64", dtype=x.dtype))
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _entry in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = f()
        x[i] = old - h
        fm = f()
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def numerical_gradient_array(f, x, dout, h=1e-5):
    """Numerical gradient of ``sum(f(x) * dout)``: a layer's backward for any upstream gradient."""
    return numerical_gradient(lambda: float(np.sum(f(x) * dout)), x, h)


TOLERANCE = 1e-6  # what a correct float64 backward pass reaches comfortably


def _named_arrays(layer, kind, prefix=""):
    """``(key, owner, attribute)`` for the parameters (or buffers) of a layer and the layers in it.

    The layer's own ``W`` is ``'W'``; the ``W`` of its first sublayer is ``'0.W'``, and so on down.
    """
    names = getattr(layer, "param_names" if kind == "param" else "buffer_names", ())
    out = [(prefix + name, layer, name) for name in names]
    for i, sub in enumerate(getattr(layer, "sublayers", tuple)()):
        out += _named_arrays(sub, kind, f"{prefix}{i}.")
    return out


def check_layer_gradients(layer, x, seed=0, h=1e-5, verbose=False):
    """Check ``layer.backward`` against numerical gradients for input ``x`` (float64).

    A random upstream gradient ``dout`` is drawn; the layer's gradients of
    ``sum(layer.forward(x) * dout)`` with respect to x and to every parameter,
    those of the layers inside it included (keys ``'0.W'``, ``'2.b'`` ... for a
    block's sublayers), are compared.  Returns ``{'x': err, 'W': err, ...}``
    relative errors; a correct layer gives below 1e-6 (typically 1e-8 to 1e-10).
    A ``backward`` that returns ``None`` instead of the input gradient, or that
    leaves a parameter's gradient unset, gets an error of ``inf``: a check
    cannot pass without it.
    """
    x = np.array(x, dtype=np.float64)
    rng = np.random.default_rng(seed)
    buffers = [(owner, name, getattr(owner, name).copy()) for _key, owner, name
               in _named_arrays(layer, "buffer")]
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    analytic = {key: getattr(owner, "d" + name, None) for key, owner, name
                in _named_arrays(layer, "param")}

    def fwd():
        return float(np.sum(layer.forward(x) * dout))
    errors = {"x": rel_error(dx, numerical_gradient(fwd, x, h)) if dx is not None else float("inf")}
    for key, owner, name in _named_arrays(layer, "param"):
        grad = analytic[key]
        errors[key] = (rel_error(np.array(grad), numerical_gradient(fwd, getattr(owner, name), h))
                       if grad is not None else float("inf"))
    # the check must not move batch norm's running statistics
    for owner, name, value in buffers:
        setattr(owner, name, value)
    if verbose:
        _report(errors)
    return errors


def check_network_gradients(network, x, t, h=1e-5, verbose=False):
    """Check ``network.gradient`` against numerical gradients of ``network.loss`` (float64 network).

    The network runs in training mode (batch normalisation uses the batch's
    statistics, as in training) with every dropout ratio set to 0 during the
    check, so that both computations see the same deterministic function.
    Returns ``{key: relative error}``; a correct network gives below 1e-6.
    """
    dropouts = [layer for layer in walk(network.layers) if isinstance(layer, Dropout)]
    ratios = [layer.dropout_ratio for layer in dropouts]
    buffers = {key: getattr(layer, name).copy() for key, layer, name
               in param_slots(network.layers, "buffer")}
    try:
        for layer in dropouts:
            layer.dropout_ratio = 0.0
        with network.mode(True):
            grads = network.gradient(x, t)
            params = network.params
            errors = {key: rel_error(grads[key],
                                     numerical_gradient(lambda: network.loss(x, t), params[key], h))
                      for key in params}
    finally:
        for layer, ratio in zip(dropouts, ratios):
            layer.dropout_ratio = ratio
        # batch norm's running statistics
        for key, layer, name in param_slots(network.layers, "buffer"):
            setattr(layer, name, buffers[key])
    if verbose:
        _report(errors)
    return errors


def _report(errors):
    for key, err in errors.items():
        if err == float("inf"):
            if key == "x":
                print(_("{key:>8}: NOT CHECKED  backward returned None: return dx", key=key))
            else:
                print(_("{key:>8}: NOT CHECKED  backward left d{name} unset", key=key,
                        name=key.split(".")[-1]))
        elif err < TOLERANCE:
            print(_("{key:>8}: relative error {error:.2e}  ok", key=key, error=err))
        else:
            print(_("{key:>8}: relative error {error:.2e}  TOO LARGE: expected < 1e-6 in float64; "
                    "check the backward pass", key=key, error=err))
