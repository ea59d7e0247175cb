"""The Fashion-MNIST assignment's test cells as the notebook runs them: the instructor's answers
pass, a network built from course_lib's layers instead of the student's fails, the course's
versions are switched off only while a check runs, and the accuracy cell explains a missing or
damaged model file and says what a model file will earn. (Typical wrong answers, in the notebook
and in the grader alike: tests/test_assignment_corpus.py.)

The notebook's cells run here in one namespace, in order, as the grader runs them; a test cell
"fails" when it raises.
"""
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_lib.model_file import build_model, save_model

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "fashion_mnist" / "fashion_mnist.ipynb"
# The cells of Parts 2-5, which need no data.
CELLS = ["setup", "leaky_relu", "test_leaky_relu_forward", "test_leaky_relu_backward",
         "im2col_col2im", "test_im2col", "test_col2im", "convolution", "test_convolution_forward",
         "test_convolution_backward", "max_pool", "test_max_pool", "test_max_pool_backward",
         "build_network", "test_build_network"]
TESTS = [c for c in CELLS if c.startswith("test_")]


@pytest.fixture(scope="module")
def notebook():
    return {c.id: c.source for c in nbformat.read(SOLUTION, as_version=4).cells}


def failures(notebook, replaced=None):
    """{test cell: error message} after running the cells, some answer cells replaced."""
    ns = {"__name__": "__main__"}
    failed = {}
    for cid in CELLS:
        source = (replaced or {}).get(cid, notebook[cid])
        try:
            exec(compile(source, f"<cell {cid}>", "exec"), ns)
        except Exception as exc:  # what the grader would record
            failed[cid] = f"{type(exc).__name__}: {exc}"
    return failed


def test_the_instructor_answers_pass_every_test(notebook):
    assert failures(notebook) == {}


def test_the_network_must_be_built_from_the_students_layers(notebook):
    source = notebook["build_network"].replace("MaxPooling(2, 2, stride=2)",
                                               "Pooling(2, 2, stride=2)")
    source = "from course_lib.layers import Pooling\n" + source
    assert "test_build_network" in failures(notebook, {"build_network": source})
    source = notebook["build_network"].replace("pad=filter_size // 2", "pad=0")
    assert "test_build_network" in failures(notebook, {"build_network": source})


def test_switching_course_implementations_off_is_undone(notebook):
    import course_lib.functional
    import course_lib.naive

    from course_lib.assignment import course_versions_off

    x = np.random.default_rng(0).random((1, 1, 4, 4))
    with course_versions_off():
        with pytest.raises(RuntimeError, match="switched off"):
            course_lib.naive.pool_forward_naive(x, 2, 2, 2)
        with pytest.raises(RuntimeError, match="switched off"):
            course_lib.functional.im2col(x, 2, 2)
    assert course_lib.naive.pool_forward_naive(x, 2, 2, 2).shape == (1, 1, 2, 2)
    assert course_lib.functional.im2col(x, 2, 2).shape == (9, 4)


# ----- Part 6: the model file ----------------------------------------------------------

def _run_goal_cell(notebook, folder, monkeypatch):
    """Run the accuracy cell in ``folder``; returns the value of its last line (the points)."""
    from conftest import require_data

    require_data("fashion-mnist")
    monkeypatch.chdir(folder)
    ns = {"__name__": "__main__"}
    exec(notebook["setup"], ns)
    lines = notebook["test_accuracy_goal"].rstrip().splitlines()
    last = next(i for i in range(len(lines) - 1, -1, -1) if not lines[i].startswith("#"))
    exec("\n".join(lines[:last]), ns)
    return eval(lines[last], ns)


def test_goal_cell_without_a_model_file_explains(notebook, tmp_path, monkeypatch):
    from conftest import require_data

    require_data("fashion-mnist")
    monkeypatch.chdir(tmp_path)
    ns = {"__name__": "__main__"}
    exec(notebook["setup"], ns)
    with pytest.raises(AssertionError, match="no fashion_mnist_model.npz next to this notebook"):
        exec(notebook["test_accuracy_goal"], ns)
    (tmp_path / "fashion_mnist_model.npz").write_text("not a model")
    with pytest.raises(AssertionError, match="cannot be used: .*npz"):
        exec(notebook["test_accuracy_goal"], ns)


def test_goal_cell_gives_an_untrained_network_no_points(notebook, tmp_path, monkeypatch):
    net = build_model([{"type": "Affine", "units": 10}], seed=0)
    save_model(net, tmp_path / "fashion_mnist_model.npz", metadata={"validation_accuracy": 0.1})
    points = _run_goal_cell(notebook, tmp_path, monkeypatch)
    assert points == 0



def test_the_solution_model_file_earns_full_marks(notebook, tmp_path, monkeypatch):
    model = SOLUTION.parent / "fashion_mnist_model.npz"
    if not model.exists():
        pytest.fail("solutions/fashion_mnist/fashion_mnist_model.npz is missing: run the "
                    "instructor version in full mode (tools/run_notebooks.py "
                    "solutions/fashion_mnist/fashion_mnist.ipynb)")
    (tmp_path / model.name).write_bytes(model.read_bytes())
    assert _run_goal_cell(notebook, tmp_path, monkeypatch) == 8
