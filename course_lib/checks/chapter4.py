"""Chapter 4: Adam, and a trained network."""
import numpy as np

from .toolkit import as_array, call, check_dtype, fail, likely, message, name, passed, require, say

__all__ = ["check_adam", "check_trained_network"]

# ---------------------------------------------------------------------------
# Adam: the right steps and the steps of typical mistakes
# ---------------------------------------------------------------------------

# Right ways to write Adam: the book's (bias correction folded into the step size) and the
# paper's (explicit m_hat and v_hat), each with eps 1e-7 or 1e-8 outside the square root.
_RIGHT = [("book", 1e-7), ("book", 1e-8), ("textbook", 1e-8), ("textbook", 1e-7)]

_ADAM_MISTAKES = {
    "no_bias": lambda: say("Adam without bias correction: the first steps are too small (or too "
                           "large); scale the step by sqrt(1 - beta2**t) / (1 - beta1**t)"),
    "swapped": lambda: say("beta1 and beta2 are exchanged: beta1 (0.9) averages the gradient m, "
                           "beta2 (0.999) averages its square v"),
    "swapped_averages": lambda: say("the averages use each other's beta: m += (1 - beta1) * (g - "
                                    "m) and v += (1 - beta2) * (g**2 - v)"),
    "swapped_correction": lambda: say("the bias correction has beta1 and beta2 exchanged: lr_t = "
                                      "lr * sqrt(1 - beta2**t) / (1 - beta1**t)"),
    "t_plus_one": lambda: say("the bias correction uses t + 1 after t was already counted: use t "
                              "itself, so that the first step is corrected with t = 1"),
    "t_fixed": lambda: say("t does not grow: add 1 to self.iter once per call of update, before "
                           "computing the step"),
    "t_per_key": lambda: say("t grows once per parameter: add 1 to self.iter once per call of "
                             "update, not inside the loop over the keys"),
    "shared": lambda: say("one m and v for all parameters: keep one pair per key, self.m[key] and"
                          " self.v[key]"),
    "reset": lambda: say("m and v start from zero at every call: create them once (if self.m is "
                         "None) and keep them"),
    "no_sqrt": lambda: say("the step divides by v: divide by its square root, np.sqrt(v) + 1e-7"),
    "only_m": lambda: say("only m is corrected for its bias: the step needs sqrt(1 - beta2**t) "
                          "too"),
    "eps_inside": lambda: say("eps is inside the square root: divide by np.sqrt(v) + eps, so that"
                              " eps only guards against a division by zero"),
    "eps_inside_textbook": lambda: say("eps is inside the square root: divide by np.sqrt(v_hat) +"
                                       " eps, so that eps only guards against a division by zero"),
    "stale": lambda: say("the step uses m and v from before this call's gradient (the first step "
                         "is zero): update m and v first, then the parameters"),
}


def _adam_step(m, v, lr, b1, b2, t, form, eps, mistake):
    """The amount subtracted from a parameter, given its (updated) m and v."""
    if form == "textbook":
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        return lr * m_hat / (np.sqrt(v_hat + eps) if mistake == "eps_inside_textbook"
                             else np.sqrt(v_hat) + eps)
    lr_t = {"no_bias": lr, "only_m": lr / (1 - b1 ** t)}.get(mistake, lr * np.sqrt(1 - b2 ** t)
                                                             / (1 - b1 ** t))
    if mistake == "no_sqrt":
        return lr_t * m / (v + eps)
    return lr_t * m / (np.sqrt(v + eps) if mistake == "eps_inside" else np.sqrt(v) + eps)


def _adam_run(params, grad_steps, lr, beta1, beta2, form="book", eps=1e-7, mistake=None):
    """Parameters after every step of Adam (float64), the right way or one typical wrong way."""
    p = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    if mistake == "shared" and len({val.shape for val in p.values()}) > 1:
        return None       # shared state cannot even run on parameters of several shapes
    if mistake == "swapped":
        beta1, beta2 = beta2, beta1
    b_m, b_v = (beta2, beta1) if mistake == "swapped_averages" else (beta1, beta2)
    c1, c2 = (beta2, beta1) if mistake == "swapped_correction" else (beta1, beta2)
    first = np.zeros_like(next(iter(p.values())))
    shared = (first, first.copy())
    state = {k: (np.zeros_like(val), np.zeros_like(val)) for k, val in p.items()}
    t, history = 0, []
    for grads in grad_steps:
        if mistake == "reset":
            state = {k: (np.zeros_like(val), np.zeros_like(val)) for k, val in p.items()}
        if mistake != "t_per_key":
            t = 1 if mistake == "t_fixed" else t + 1
        for k in p:
            t += mistake == "t_per_key"
            g = np.asarray(grads[k], dtype=np.float64)
            m, v = shared if mistake == "shared" else state[k]
            old = (m.copy(), v.copy())
            m += (1 - b_m) * (g - m)
            v += (1 - b_v) * (g * g - v)
            use_m, use_v = old if mistake == "stale" else (m, v)
            p[k] -= _adam_step(use_m, use_v, lr, c1, c2, t + (mistake == "t_plus_one"), form, eps,
                               mistake)
        history.append({k: val.copy() for k, val in p.items()})
    return history


def _references(params0, grad_steps, lr, beta1, beta2):
    """Every right reference and every mistake's, each a list of parameters after each step."""
    right = [_adam_run(params0, grad_steps, lr, beta1, beta2, form, eps) for form, eps in _RIGHT]
    wrong = {mistake: _adam_run(params0, grad_steps, lr, beta1, beta2,
                                "textbook" if mistake == "eps_inside_textbook" else "book",
                                1e-8 if mistake == "eps_inside_textbook" else 1e-7, mistake)
             for mistake in _ADAM_MISTAKES}
    return right, wrong


_ADAM_CASES = [  # (lr, beta1, beta2, {key: shape}, steps, gradient scale, dtype)
    (0.1, 0.9, 0.999, {"W": (2, 3)}, 2, 1.0, np.float64),
    (0.1, 0.9, 0.999, {"W": (2, 3)}, 5, 1.0, np.float64),
    (0.01, 0.8, 0.99, {"W1": (3, 4), "W2": (3, 4)}, 6, 1.0, np.float64),
    (0.05, 0.9, 0.999, {"W1": (4, 2, 3, 3), "b1": (4,), "W2": (5, 4), "b2": (5,)}, 8, 1.0,
     np.float64),
    (0.01, 0.9, 0.999, {"W": (3, 4)}, 4, 1e-3, np.float64),     # small gradients: eps matters
    (0.001, 0.95, 0.9999, {"W": (6, 5), "b": (5,)}, 10, 1.0, np.float32),
]


def _adam_case(k, case):
    lr, beta1, beta2, shapes, steps, scale, dtype = case
    rng = np.random.default_rng(700 + k)
    params0 = {key: rng.standard_normal(shape).astype(dtype) for key, shape in shapes.items()}
    # gradients of both signs, sizes 0.2 to 2 (times the scale): Adam's step is well defined
    grad_steps = [{key: (scale * rng.uniform(0.2, 2.0, shape)
                         * rng.choice([-1.0, 1.0], shape)).astype(dtype)
                   for key, shape in shapes.items()} for _ in range(steps)]
    fields = dict(lr=lr, beta1=beta1, beta2=beta2, dtype=np.dtype(dtype).name, scale=scale,
                  parameters=", ".join(f"{key} {shape}" for key, shape in shapes.items()))
    desc = (say("Adam(lr={lr}, beta1={beta1}, beta2={beta2}), parameters {parameters}, gradients "
                "of about {scale:g}, {dtype}", **fields) if scale != 1 else
            say("Adam(lr={lr}, beta1={beta1}, beta2={beta2}), parameters {parameters}, {dtype}",
                **fields))
    return params0, grad_steps, desc


def _agrees(got_history, reference, lr):
    """Do all steps so far agree with ``reference``, to a thousandth of lr?"""
    return reference is not None and all(
        np.allclose(got[key], reference[s][key], rtol=1e-6, atol=1e-3 * lr)
        for s, got in enumerate(got_history) for key in got)


def _one_update(check, opt, params, arrays, grads, case, dtype):
    """Run ``opt.update`` once; check grads are untouched and params changed in place."""
    grads_in = {key: g.copy() for key, g in grads.items()}
    several_shapes = len({g.shape for g in grads.values()}) > 1
    call(check, "update", case, opt.update, params, grads_in,
         hint=say("if m and v are one array for all parameters, keep one per key: self.m[key], "
                  "self.v[key]")
         if several_shapes else None)
    if not all(np.array_equal(grads_in[key], grads[key]) for key in grads):
        raise AssertionError(message(say("{check}: update changed grads on {case}.", check=check,
                                         case=case),
                                     say("Read the gradients; do not write into them.")))
    for key in grads:
        if params.get(key) is not arrays[key]:
            raise AssertionError(message(
                say("{check}: after update, params[{key!r}] is a new array on {case}.",
                    check=check, key=key,
                    case=case),
                likely(say("params[key] = params[key] - ... makes a new array, and the layers "
                           "keep using the old one: update in place with params[key] -= ..."))))
        check_dtype(check, f"params[{key!r}]", arrays[key], dtype, case)
    return {key: arrays[key].astype(np.float64) for key in grads}


def _step_detail(step, key, got, exp, before):
    """The sentence that shows the worst entry of the step that went wrong."""
    step_got, step_exp = got - before, exp - before
    i = tuple(int(v) for v in np.unravel_index(np.argmax(np.abs(step_got - step_exp)), got.shape))
    fields = dict(key=key, index=list(i), expected=step_exp[i], got=step_got[i])
    if step == 1:
        return say("The first step of params[{key!r}] at index {index}: expected {expected:.6g}, "
                   "got {got:.6g}.", **fields)
    return say("Step {step} of params[{key!r}] at index {index}, after {right} right steps: "
               "expected {expected:.6g}, got {got:.6g}.", step=step, right=step - 1, **fields)


def _adam_hint(got_history, params0, wrong, lr, step_got, step_exp):
    """The mistake whose steps match all steps so far, or a cause read off the last step."""
    for mistake, hint in _ADAM_MISTAKES.items():
        if _agrees(got_history, wrong[mistake], lr):
            return hint()
    if all(np.array_equal(g[k], params0[k]) for g in got_history for k in g):
        return say("the parameters never change: the step is applied to a copy (p = "
                   "params[key].copy(), or p = p - ...); change the arrays in params in place: "
                   "params[key] -= ...")
    if np.allclose(step_got, -step_exp, rtol=1e-3, atol=1e-3 * lr):
        return say("the step goes uphill: subtract it from the parameters")
    return None


def _adam_verdict(check, case, got_history, params0, right, wrong, lr):
    """Fail with the step that went wrong and the mistake that explains it."""
    step, last, expected = len(got_history), got_history[-1], right[0][len(got_history) - 1]
    key = next(k for k in last
               if not np.allclose(last[k], expected[k], rtol=1e-6, atol=1e-3 * lr))
    if not np.all(np.isfinite(last[key])):
        fail(check, case, say("params[{key!r}] contains NaN or infinity.", key=key),
             hint=say("a square root of a negative number (v averages the squared gradient, "
                      "g * g), or 0 / 0 (t must be 1 at the first step: add 1 to self.iter "
                      "before computing the step)"))
    before = got_history[-2][key] if step > 1 else params0[key].astype(np.float64)
    hint = _adam_hint(got_history, params0, wrong, lr, last[key] - before,
                      expected[key] - before)
    fail(check, case, _step_detail(step, key, last[key], expected[key], before), hint=hint)


def _unchanged_first_step(got_history, params0):
    return len(got_history) == 1 and all(np.array_equal(got_history[0][k], params0[k])
                                         for k in params0)


def check_adam(cls):
    """Check the optimizer ``cls(lr=..., beta1=..., beta2=...)`` and its ``update(params, grads)``.

    params and grads are dicts of arrays with the same keys; update changes
    every ``params[key]`` *in place* (the layers hold the same arrays), keeping
    one m and v per key across calls and counting the calls in t:
    ``m += (1 - beta1) * (g - m)``, ``v += (1 - beta2) * (g**2 - v)``, then the
    book's step ``lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)``,
    ``params -= lr_t * m / (sqrt(v) + 1e-7)``, or the textbook one with
    explicit bias correction ``m_hat = m / (1 - beta1**t)``, ``v_hat = v / (1 - beta2**t)``,
    ``params -= lr * m_hat / (sqrt(v_hat) + eps)``; eps 1e-7 or 1e-8, outside
    the square root.  All of these pass: they differ by far less than the
    tolerance (a thousandth of the learning rate).
    """
    check = "check_adam"
    require(check, cls, "class")
    for k, (lr, beta1, beta2, shapes, steps, scale, dtype) in enumerate(_ADAM_CASES):
        params0, grad_steps, desc = _adam_case(k, _ADAM_CASES[k])
        opt = call(check, f"{name(cls)}(lr, beta1, beta2)", desc,
                   lambda: cls(lr=lr, beta1=beta1, beta2=beta2))
        params = {key: val.copy() for key, val in params0.items()}
        arrays = dict(params)
        right, wrong = _references(params0, grad_steps, lr, beta1, beta2)
        got_history = []
        for step, grads in enumerate(grad_steps, start=1):
            case = say("{case}, step {step} of {steps}", case=desc, step=step, steps=steps)
            got_history.append(_one_update(check, opt, params, arrays, grads, case, dtype))
            if any(_agrees(got_history, r, lr) for r in right) \
                    or _unchanged_first_step(got_history, params0):
                continue          # a first step that changes nothing is judged after the second
            _adam_verdict(check, case, got_history, params0, right, wrong, lr)
    passed(check,
           say("{count} runs of 2-10 steps, several parameters, small gradients, float32 and "
               "float64",
                      count=len(_ADAM_CASES)))


# ---------------------------------------------------------------------------
# A trained network
# ---------------------------------------------------------------------------

def _scores(check, net, x_test):
    """Yield ``(start, scores)`` for every batch of 100 test images, each checked."""
    for start in range(0, len(x_test), 100):
        xb = x_test[start:start + 100]
        case = say("test images {first} to {last}, shape {shape}", first=start, last=start
                   + len(xb) - 1,
                   shape=xb.shape)
        scores = as_array(check, "net.predict", call(check, "net.predict", case, net.predict, xb),
                          case)
        if scores.ndim != 2 or scores.shape[0] != len(xb):
            raise AssertionError(message(say(
                "{check}: net.predict returned shape {shape} for {count} images; expected one row "
                "of class scores per image.", check=check, shape=scores.shape, count=len(xb))))
        if not np.all(np.isfinite(scores)):
            raise AssertionError(message(
                say("{check}: the network's scores contain NaN or infinity ({case}).", check=check,
                    case=case),
                likely(say("training diverged; lower the learning rate and train again."))))
        yield start, scores


def _accuracy_hint(acc, min_accuracy, se, chance, n):
    if acc <= chance + 3 * np.sqrt(chance * (1 - chance) / n):
        return say("the network guesses at chance level: has it been trained (train() run on this "
                   "very network)? Is the loss going down?")
    if min_accuracy - acc < 2 * se:
        return say("within two standard errors of the target: test on more images to tell, or "
                   "train a little longer.")
    return say("train for more epochs, or check the learning rate.")


def check_trained_network(net, x_test, t_test, min_accuracy):
    """Check that ``net.predict`` gets at least ``min_accuracy`` of ``(x_test, t_test)`` right.

    ``t_test``: labels ``(N,)`` or one-hot ``(N, classes)``.  Prints the accuracy
    with its binomial standard error ``sqrt(p (1 - p) / N)``: on 1,000 test
    images an accuracy of 98 % is uncertain by about 0.4 %.
    """
    check = "check_trained_network"
    x_test, t_test = np.asarray(x_test), np.asarray(t_test)
    if t_test.ndim == 2:
        t_test = np.argmax(t_test, axis=1)
    if not 0 <= min_accuracy <= 1:
        raise ValueError(say("min_accuracy is a fraction between 0 and 1 (0.95 for 95 %), got "
                             "{value}", value=min_accuracy))
    if len(x_test) != len(t_test) or len(x_test) == 0:
        raise ValueError(say("x_test and t_test must hold the same number (> 0) of examples; got "
                             "{images} images and {labels} labels", images=len(x_test),
                             labels=len(t_test)))
    correct, classes = 0, None
    for start, scores in _scores(check, net, x_test):
        classes = scores.shape[1]
        correct += int(np.sum(np.argmax(scores, axis=1) == t_test[start:start + 100]))
    n = len(x_test)
    acc = correct / n
    se = np.sqrt(acc * (1 - acc) / n)
    summary = say("accuracy {acc:.1f} % ± {se:.1f} % on {n} test images", acc=100 * acc, se=100
                  * se, n=n)
    if acc < min_accuracy:
        # guessing: always the most frequent class, or at random (1 / classes)
        chance = max(1 / classes, np.bincount(t_test.astype(int)).max() / n)
        raise AssertionError(message(say("{check}: {summary}, below the {target:g} % asked.",
                                         check=check,
                                         summary=summary, target=100 * min_accuracy),
                                     likely(_accuracy_hint(acc, min_accuracy, se, chance, n))))
    passed(check,
           say("{summary}; at least {target:g} % asked", summary=summary,
               target=100 * min_accuracy))
