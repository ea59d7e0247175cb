"""The checks of the Fashion-MNIST assignment, the same in the notebook and in the grader.

Each test cell of the assignment calls one check, e.g. ``check_im2col(im2col)``.
The check calls the student's code on the part's cases the way the grader's
probe does (one piece of source for both, see :mod:`course_lib.assignment.base`),
compares with the course's reference code within bounds from error analysis,
and stops at the first case that fails, smallest first, with a message that
names the case, what was expected, what came back and the likely cause.  The
grader (``course_grader``) runs the same cases, judged the same way, plus cases
of its own drawn for each student: points need both.

While the notebook is graded, the reference code is not in the sandbox (the
course's own versions of what the parts ask for are switched off there): the
checks then read the expected values of their cases from the folder named by
``COURSE_GRADER_EXPECTED``, which the grader wrote with :func:`write_expected`
from this same module.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import sys
from pathlib import Path

import numpy as np

from ..i18n import _, fill
from . import convolution, network, pooling, small

PARTS = {p.grade_id: p for p in
         small.PARTS[:3] + convolution.PARTS + pooling.PARTS + network.PARTS + small.PARTS[3:]}
EXPECTED_ENV = "COURSE_GRADER_EXPECTED"
_COURSE_VERSIONS = ("course_lib.functional", "course_lib.naive", "course_lib.layers",
                    "course_lib.fast.layers", "course_lib.fast.windows", "course_lib.experiments")
_SWITCHED = ("im2col", "col2im", "windows_nhwc", "col2im_nhwc", "class_means",
             "nearest_mean_predict", "nearest_mean_accuracy", "closest_class_pairs")


def count_lines(f):
    """Call ``f()``; return how many lines of the caller's own Python ran meanwhile.

    Lines in Python's and the installed packages' files (NumPy, course_lib) are
    not counted: only the notebook's.
    """
    here = os.getcwd()
    library = tuple(sorted({p for p in [sys.prefix, sys.base_prefix,
                                        os.path.dirname(os.__file__), *sys.path,
                                        str(Path(__file__).resolve().parents[1])]
                            if p and p.startswith("/") and p != "/"
                            and os.path.abspath(p) != here}))
    count = [0]

    def local(frame, event, arg):
        if event == "line":
            count[0] += 1
        return local

    def call(frame, event, arg):
        return None if frame.f_code.co_filename.startswith(library) else local

    old = sys.gettrace()
    sys.settrace(call)
    try:
        f()
    finally:
        sys.settrace(old)
    return count[0]


@contextlib.contextmanager
def course_versions_off():
    """Inside, course_lib's own im2col, col2im, convolution, pooling and class means raise.

    The checks call the student's code inside it: each part must do its work
    with NumPy alone, as it must when the notebook is graded.
    """
    def off(*args, **kwargs):
        # runs as the code of the functions it replaces, with their module's globals: it reaches
        # the catalog through a builtin only
        i18n = __import__("course_lib.i18n", fromlist=["_"])
        raise RuntimeError(i18n._("course_lib's convolution, pooling, im2col, col2im and class "
                                  "means are switched off while your code is checked: write this "
                                  "part with NumPy"))
    saved, seen = [], set()
    for name in _COURSE_VERSIONS:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for attr, obj in list(vars(module).items()):
            targets = [obj] if attr in _SWITCHED or name.endswith("naive") and callable(obj) \
                else [getattr(obj, m) for m in ("forward", "backward") if hasattr(obj, m)] \
                if attr in ("Convolution", "Pooling") else []
            for f in targets:
                f = getattr(f, "__func__", f)
                if hasattr(f, "__code__") and not f.__code__.co_freevars and id(f) not in seen:
                    seen.add(id(f))
                    saved.append((f, f.__code__))
                    f.__code__ = off.__code__
    try:
        yield
    finally:
        for f, code in reversed(saved):
            f.__code__ = code


def run_case(part, namespace, case):
    """Call the student's code on one case as the probe does; ``(outputs, error or None)``."""
    scope = dict(namespace)
    scope.update(IN=case, OUT={}, np=np, count_lines=count_lines)
    try:
        exec(compile(part.call, f"<check {part.grade_id}>", "exec"), scope)
    except Exception as exc:
        return scope["OUT"], f"{type(exc).__name__}: {exc}"
    return scope["OUT"], None


def expected(part, index, case):
    """The expected values of a part's case ``index``: computed here, or, while the notebook is
    graded, read from the grader's folder."""
    folder = os.environ.get(EXPECTED_ENV)
    if not folder:
        return part.expect(case)
    prefix = f"c{index}_"
    with np.load(Path(folder) / f"{part.grade_id}.npz", allow_pickle=False) as f:
        return {k[len(prefix):]: f[k] for k in f.files if k.startswith(prefix)}


def write_expected(folder):
    """Write every part's expected values for its fixed cases into ``folder`` (the grader's)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for part in PARTS.values():
        arrays = {}
        for i, case in enumerate(part.fixed()):
            arrays.update({f"c{i}_{k}": np.asarray(v) for k, v in part.expect(case).items()})
        np.savez(folder / f"{part.grade_id}.npz", **arrays)


def failure(part, namespace):
    """The message of the first fixed case the code fails, or None when all pass."""
    for i, case in enumerate(part.fixed()):
        with course_versions_off():
            out, error = run_case(part, namespace, case)
        if error is None:
            error = part.judge(case, out, expected(part, i, case))
        elif "not implemented" in error.lower() or error.startswith("NotImplementedError"):
            return _("{title}: not written yet ({error})", title=part.title, error=error)
        if error:
            return _("{title}, case {number} ({case}): {error}", title=part.title, number=i + 1,
                     case=part.describe(case), error=error)
    return None


def _check(grade_id, namespace):
    part = PARTS[grade_id]
    message = failure(part, namespace)
    if message:
        raise AssertionError("\n" + fill(message, 96, break_long_words=False))
    n = len(part.fixed())
    print(fill(_("{title}: passed all {count} cases of this test. When the notebook is graded, the "
                 "grader also runs it on cases of its own.", title=part.title, count=n), 79))


def check_class_means(class_mean_images, mean_image_distances):
    _check("test_class_means", locals())


def check_leaky_relu_forward(LeakyRelu):
    _check("test_leaky_relu_forward", locals())


def check_leaky_relu_backward(LeakyRelu):
    _check("test_leaky_relu_backward", locals())


def check_im2col(im2col):
    _check("test_im2col", locals())


def check_col2im(col2im):
    _check("test_col2im", locals())


def check_convolution_forward(Convolution):
    _check("test_convolution_forward", locals())


def check_convolution_backward(Convolution):
    _check("test_convolution_backward", locals())


def check_max_pool_forward(max_pool_forward):
    _check("test_max_pool", locals())


def check_max_pool_backward(max_pool_backward):
    _check("test_max_pool_backward", locals())


def check_build_network(build_network):
    _check("test_build_network", locals())


def check_most_confused(most_confused_pairs):
    _check("test_most_confused", locals())


def reference_code():
    """``{module: names}``: the reference code of these checks, for the grader to switch off."""
    modules = {"course_lib.assignment.convolution": convolution,
               "course_lib.assignment.pooling": pooling, "course_lib.assignment.small": small,
               "course_lib.assignment.network": network}
    return {name: list(m.REFERENCE_CODE) for name, m in modules.items()}


# --- Part 6: the model file -----------------------------------------------------------------

MODEL_FILE = "fashion_mnist_model.npz"
# The course's network for this part: 4.3 million multiply-adds and 86,000 numbers of
# activations per image.  A model file may cost MAX_COST_FACTOR times that, no more.
COURSE_NETWORK_COST = (4_316_672, 85_850)
MAX_COST_FACTOR = 25


def model_file_problem(path):
    """Why the model file at ``path`` cannot be graded, or None: present, a valid model file,
    and within the cost limit.  The grader decides the same way."""
    from ..model_file import model_cost, read_description, read_model_file

    name = Path(path).name
    if not Path(path).is_file():
        return _("there is no {name} next to this notebook: run the notebook in full mode "
                 "(without COURSE_LIB_QUICK) so that the cell above saves your trained network, "
                 "and hand the file in with the notebook", name=name)
    try:
        specs, input_shape = read_description(path)
        macs, activations = model_cost(specs, input_shape)
        limit_macs, limit_act = (MAX_COST_FACTOR * c for c in COURSE_NETWORK_COST)
        if macs > limit_macs or activations > limit_act:
            return _("the network in {name} needs {macs:,.0f} million multiply-adds and "
                     "{activations:,} numbers of activations per image; a model file may cost at "
                     "most {factor} times the course's network ({limit_macs:,.0f} million and "
                     "{limit_activations:,}): make it smaller", name=name, macs=macs / 1e6,
                     activations=activations, factor=MAX_COST_FACTOR,
                     limit_macs=limit_macs / 1e6, limit_activations=limit_act)
        read_model_file(path)
    except (ValueError, OSError) as err:
        return _("{name} cannot be used: {error}", name=name, error=err)
    return None


def check_model_file(path=MODEL_FILE, measure=None):
    """The accuracy goal's test: the model file can be graded; and, unless the notebook is being
    graded (``measure`` False), what it will earn: its accuracy on the validation and the test
    images and the points that gives."""
    problem = model_file_problem(path)
    if problem:
        raise AssertionError("\n" + fill(problem, 96, break_long_words=False))
    grading = bool(os.environ.get(EXPECTED_ENV)) or \
        os.environ.get("NBGRADER_EXECUTION") in ("autograde", "validate")
    if measure is False or (measure is None and grading):
        print(_("{name}: a valid model file; the grader measures its accuracy on all 10,000 test "
                "images.", name=Path(path).name))
        return None
    from ..datasets import load_fashion_mnist
    from ..model_file import goal_credit, load_model
    net = load_model(path)
    (x_train, t_train), (x_test, t_test) = load_fashion_mnist(flatten=False)
    val = net.accuracy(x_train[55_000:], t_train[55_000:], batch_size=500)
    test = net.accuracy(x_test, t_test, batch_size=500)
    points = round(8 * goal_credit(test), 2)
    print(fill(_("{name}: validation accuracy {validation:.4f} (recorded: {recorded}), test "
                 "accuracy {test:.4f}: it will earn {points:g} of 8 points (90 % or more: 8, 85 % "
                 "or less: 0, linear in between).", name=Path(path).name, validation=val,
                 recorded=net.model_metadata.get("validation_accuracy"), test=test,
                 points=points), 79))
    return points
