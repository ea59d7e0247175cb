"""Chapter 4's training cell never writes into the package.

The cell is taken from the committed solution notebook and run outside quick
mode with TRAIN_NOW = True on a few random images (so it takes seconds): the
run must land in the user's folder (``pretrained.runs_dir()``, under
``$COURSE_LIB_CACHE``), load back, and leave the shipped weights byte for byte
as they were.  With TRAIN_NOW = False it must take the shipped network and
record without training.
"""
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_lib import DeepConvNet, Trainer, pretrained

ROOT = Path(__file__).resolve().parents[1]
NAME = "deep_convnet_mnist"


def _training_cell():
    nb = nbformat.read(ROOT / "solutions" / "chapters" / "04_deep_convnet.ipynb", as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code"
             and c.source.startswith('NAME = "deep_convnet_mnist"')]
    assert len(cells) == 1, "chapter 4 should have one training cell starting with NAME = ..."
    return cells[0]


def _run(train_now, cell=None):
    rng = np.random.default_rng(0)
    x, t = rng.random((200, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 200)
    namespace = dict(np=np, time=time, DeepConvNet=DeepConvNet, Trainer=Trainer,
                     pretrained=pretrained,
                     # small sizes, full-mode paths
                     QUICK=False, TRAIN_NOW=train_now, pick=lambda full, quick: quick,
                     x_train=x, t_train=t, x_test=x[:50], t_test=t[:50], SEED=7, CORES=1)
    exec(cell or _training_cell(), namespace)
    return namespace


def _shipped_files():
    return {p.name: p.read_bytes() for p in pretrained.weights_dir().glob("*.npz")}


@pytest.fixture
def shipped_copy(monkeypatch, tmp_path):
    # the package's weights folder, copied: a cell that wrote into it would change the copy,
    # not the course
    copy = tmp_path / "shipped"
    copy.mkdir()
    for name, data in _shipped_files().items():
        (copy / name).write_bytes(data)
    monkeypatch.setattr(pretrained, "weights_dir", lambda: copy)
    return copy


def test_train_now_saves_into_the_users_folder_not_the_package(monkeypatch, tmp_path, shipped_copy,
                                                               capsys):
    monkeypatch.setenv("COURSE_LIB_CACHE", str(tmp_path))
    before = _shipped_files()
    ns = _run(train_now=True)
    assert _shipped_files() == before, "the training cell wrote into the package's weights folder"
    saved = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert saved == ["deep_convnet_mnist.npz", "deep_convnet_mnist_history.npz"]
    mine = pretrained.load(NAME, folder=tmp_path / "runs")
    np.testing.assert_array_equal(mine.params["W1"], ns["network"].params["W1"])
    assert int(ns["history"]["cores"]) >= 1
    assert "saved" in capsys.readouterr().out


def test_without_training_the_chapter_uses_the_shipped_run(monkeypatch, tmp_path, shipped_copy):
    monkeypatch.setenv("COURSE_LIB_CACHE", str(tmp_path))
    ns = _run(train_now=False)
    assert "trainer" not in ns
    np.testing.assert_array_equal(ns["network"].params["W1"], pretrained.load(NAME).params["W1"])
    shipped = float(pretrained.load_history(NAME)["final_test_acc"])
    assert float(ns["history"]["final_test_acc"]) == pytest.approx(shipped)
    assert not (tmp_path / "runs").exists()


def test_a_cell_that_saved_over_the_shipped_weights_would_be_caught(monkeypatch, tmp_path,
                                                                    shipped_copy):
    # the chapter's old behaviour: save the trained network over the shipped file
    monkeypatch.setenv("COURSE_LIB_CACHE", str(tmp_path))
    before = _shipped_files()
    _run(train_now=True, cell=_training_cell()
         + "\nnetwork.save_params(pretrained.weights_path(NAME))")
    assert _shipped_files() != before
