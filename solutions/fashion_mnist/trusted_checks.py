"""Trusted checks of the Fashion-MNIST assignment (instructor only, used by course-grade).

Every code part is checked by the same code the notebook's test cell runs,
``course_lib.assignment`` (its cases, the way it calls the student's code, its
references and its judgement), so the two agree on every honest answer.  The
grader adds cases of its own, drawn for each student from a secret seed and
the student's id: a part earns its points when the code passes them all.
A part's probe runs inside the sandbox and only calls the student's code on
the cases; the judging happens outside, in the grader's scoring process.

The accuracy goal (Part 6) is scored from the model file handed in: rebuilt
from its description as data (no code runs), refused before anything is
allocated when it costs more than ``MAX_COST_FACTOR`` times the course's
network per image (``course_lib.assignment.model_file_problem``, which the test
cell runs too), then measured on all 10,000 test images in batches.
"""
import numpy as np

from course_grader.trusted import Part, Verdict
from course_lib import assignment as checks

# Files handed in with the notebook: course-grade puts them next to it (and gives the scorer
# its own copy).
MODEL_FILE = checks.MODEL_FILE
FILES = [MODEL_FILE]

# --- the code parts --------------------------------------------------------------------------

PROBE = """
for _i in range(int(INPUTS["n_cases"])):
    _prefix = f"c{_i}_"
    _scope = dict(globals())
    _scope.update(IN={k[len(_prefix):]: v for k, v in INPUTS.items() if k.startswith(_prefix)},
                  OUT={})
    try:
        exec(compile(%r, "<grader call>", "exec"), _scope)
    except Exception as _exc:
        OUTPUTS[_prefix + "error"] = np.array((type(_exc).__name__ + ": " + str(_exc))[:400])
    for _key, _value in _scope["OUT"].items():
        OUTPUTS[_prefix + _key] = _value
"""


def _encode(cases):
    arrays = {"n_cases": np.int64(len(cases))}
    for i, case in enumerate(cases):
        arrays.update({f"c{i}_{k}": np.asarray(v) for k, v in case.items()})
    return arrays


def _decode(arrays, i):
    prefix = f"c{i}_"
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def code_part(part, points):
    """A grader Part for one of ``course_lib.assignment``'s parts."""
    n_fixed = len(part.fixed())

    def inputs(rng, ctx):
        return _encode(part.fixed() + part.fresh(rng))

    def score(inputs, outputs, ctx):
        n, fixed_ok, first = int(inputs["n_cases"]), True, None
        for i in range(n):
            case, out = _decode(inputs, i), _decode(outputs, i)
            error = str(out.pop("error")) if "error" in out else None
            failed = error or part.judge(case, out, part.expect(case))
            if failed:
                fixed_ok = fixed_ok and i >= n_fixed
                first = first or (i, case, failed)
        if first is None:
            return Verdict(points, f"correct on the test cell's {n_fixed} cases and on "
                                   f"{n - n_fixed} of the grader's own", fixed=True)
        i, case, failed = first
        where = f"case {i + 1} of the test cell" if i < n_fixed else "a case of the grader's own"
        return Verdict(0.0, f"{where} ({part.describe(case)}): {failed}", fixed=fixed_ok)

    return Part(part.grade_id, points, inputs, PROBE % part.call, score, title=part.title)


# --- Part 6: the accuracy goal, from the model file ---------------------------------------------

BATCH = 50


def _accuracy_score(inputs, outputs, ctx):
    """8 points at 90 % or more on the 10,000 test images, 0 at 85 % or less, linear between.

    The validation accuracy (the last 5,000 training images) is measured too: a network
    whose test accuracy is more than 2 points above it, or whose recorded validation
    accuracy does not match, is flagged for the instructor.
    """
    from course_lib.datasets import load_fashion_mnist
    from course_lib.model_file import goal_credit, load_model

    path = ctx["work"] / MODEL_FILE
    problem = checks.model_file_problem(path)          # the test cell's own verdict
    if problem:
        return Verdict(0.0, f"{problem.replace(str(path), MODEL_FILE)}; this part earns 0 points",
                       fixed=False)
    net = load_model(path)
    (x_train, t_train), (x_test, t_test) = load_fashion_mnist(
        flatten=False, download=False, data_dir=ctx.get("data_dir"))
    acc = net.accuracy(x_test, t_test, batch_size=BATCH)
    points = round(8 * goal_credit(acc), 2)
    message = (f"test accuracy {acc:.4f} on all {len(t_test):,} test images: {points:g} of 8 "
               "points (90 % or more: 8, 85 % or less: 0, linear in between)")
    val = net.accuracy(x_train[55_000:], t_train[55_000:], batch_size=BATCH)
    recorded = net.model_metadata.get("validation_accuracy")
    message += f"; validation accuracy {val:.4f} (recorded in the file: {recorded})"
    if acc > val + 0.02:
        message += ("; FLAG for the instructor: the test accuracy is more than 2 points above "
                    "the validation accuracy (was the network trained or tuned on test images?)")
    if not isinstance(recorded, (int, float)) or abs(recorded - val) > 0.005:
        message += ("; FLAG for the instructor: the recorded validation accuracy does not "
                    "match the network")
    return Verdict(points, message, fixed=True)


ACCURACY_PROBE = 'OUTPUTS["reached"] = np.array(1)'

# --- the parts, and what of course_lib the sandbox must not offer --------------------------------

POINTS = {"test_class_means": 2, "test_leaky_relu_forward": 2, "test_leaky_relu_backward": 3,
          "test_im2col": 3, "test_col2im": 3, "test_convolution_forward": 3,
          "test_convolution_backward": 4, "test_max_pool": 3, "test_max_pool_backward": 4,
          "test_build_network": 3, "test_most_confused": 3}

PARTS = [code_part(p, POINTS[gid]) for gid, p in checks.PARTS.items()
         if gid != "test_most_confused"]
PARTS += [Part("test_accuracy_goal", 8, lambda rng, ctx: {"none": np.zeros(1)}, ACCURACY_PROBE,
               _accuracy_score, title="the trained network (model file)", needs_probe=False),
          code_part(checks.PARTS["test_most_confused"], POINTS["test_most_confused"])]

# The test cells compare with these expected values inside the sandbox, where no reference
# code exists.
EXPECTED = checks.write_expected

# While the assignment is graded, the sandbox's course_lib has no implementation of what the
# parts ask for: the course's own im2col, col2im, convolution and pooling, the loop references,
# the class means, and the reference code of the checks themselves (see course_grader.library).
SANDBOX_STUBS = {
    "course_lib.functional": ["im2col", "col2im"],
    "course_lib.naive": "*",
    "course_lib.layers": ["Convolution.forward", "Convolution.backward", "Pooling.forward",
                          "Pooling.backward"],
    "course_lib.fast.windows": "*",
    "course_lib.fast.layers": ["Convolution.forward", "Convolution.backward",
                               "Convolution._windows", "Pooling.forward", "Pooling.backward",
                               "Pooling._tile_forward", "Pooling._tile_backward"],
    "course_lib.fast.fused": ["forward_layers", "backward_layers"],
    "course_lib.fast.stack": "*",
    "course_lib.experiments": ["class_means", "nearest_mean_predict", "nearest_mean_accuracy",
                               "closest_class_pairs"],
    **{f"course_lib.checks.chapter{n}": "*" for n in range(1, 7)},
    "course_lib.widgets": "*",
    "course_lib.window_figures": "*",
    **checks.reference_code(),
}
