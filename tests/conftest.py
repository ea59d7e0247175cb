"""Shared test helpers: the real datasets.

Tests on real data get it from :func:`require_data` (or the ``real_data``,
``mnist`` and ``real_data_dir`` fixtures built on it). The data is found the
way the course finds it (``$COURSE_LIB_DATA``, the cache folder,
``/usr/share/datasets``) but never downloaded. When it is missing the test is
skipped with the loader's message; with ``COURSE_LIB_REQUIRE_DATA=1`` (set by
``.ci/run``) it fails instead, so a run without data cannot pass unnoticed.
"""
import gzip
import os

import numpy as np
import pytest

from course_lib.datasets import DatasetNotFoundError, load_fashion_mnist, load_mnist

REQUIRE_DATA_ENV = "COURSE_LIB_REQUIRE_DATA"
LOADERS = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist}

# The processes the tests start (kernels, scripts, the grader's) do not ask for huge pages behind
# large NumPy arrays, as under `make test`, also when pytest is run by hand: README.md,
# "Environment variables".  Only the time changes, never a result.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

# The files that take longest (each a minute or more on 2 cores), slowest first. They are
# collected first, so that under `pytest -n 2 --dist loadfile` (make test) each worker starts
# on a long file and the short ones fill the gaps at the end: neither worker is left running
# one long file alone while the other is done.
SLOW_FILES = ("test_sandbox.py", "test_term.py", "test_grading.py", "test_browser.py",
              "04_deep_convnet.ipynb", "test_student_release.py", "05_augmentation.ipynb",
              "test_assignment_corpus.py", "06_going_deeper.ipynb")


def pytest_collection_modifyitems(session, config, items):
    """Slow files first (see SLOW_FILES); otherwise the order of collection is kept."""
    def rank(item):
        name = item.path.name
        return SLOW_FILES.index(name) if name in SLOW_FILES else len(SLOW_FILES)
    items.sort(key=rank)


def data_required():
    """True when a missing dataset must fail the tests (``COURSE_LIB_REQUIRE_DATA=1``)."""
    return os.environ.get(REQUIRE_DATA_ENV, "") not in ("", "0")


def missing_data(reason):
    """Skip the running test because real data is missing, or fail it if data is required."""
    if data_required():
        pytest.fail(f"{reason}\n{REQUIRE_DATA_ENV}=1: the tests on real data must run here.",
                    pytrace=False)
    pytest.skip(f"{reason}\n(set COURSE_LIB_DATA to a folder holding mnist/ and fashion-mnist/ "
                "to run the tests on real data)")


def require_data(name, **options):
    """Load the real dataset ``name`` ('mnist' or 'fashion-mnist'), never downloading.

    ``options`` go to the loader (``flatten=False`` unless given). Returns
    ``(x_train, t_train), (x_test, t_test)``; when the files are nowhere,
    skips the test or, under ``COURSE_LIB_REQUIRE_DATA=1``, fails it. Only the
    loader's not-found error counts as missing data: a damaged file still fails.
    """
    if name not in LOADERS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(LOADERS)}")
    options.setdefault("flatten", False)
    try:
        return LOADERS[name](download=False, **options)
    except DatasetNotFoundError as exc:
        reason = f"the real {name} data is not available:\n{exc}"
    missing_data(reason)   # outside the except block: the loader's message is the whole story


@pytest.fixture(scope="session")
def real_data():
    """``real_data(name)``: :func:`require_data` with default options, loaded once per session.

    The arrays are shared between tests, so they are read-only.
    """
    loaded = {}

    def get(name):
        if name not in loaded:
            data = require_data(name)
            for array in (a for part in data for a in part):
                array.flags.writeable = False
            loaded[name] = data
        return loaded[name]

    return get


@pytest.fixture(scope="session")
def mnist(real_data):
    """The real MNIST, ``(x_train, t_train), (x_test, t_test)``, images (N, 1, 28, 28); readonly."""
    return real_data("mnist")


ORIGINAL_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                  "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


@pytest.fixture(scope="session")
def real_data_dir(tmp_path_factory):
    """``real_data_dir(name)``: a folder holding ``<name>/`` with the four original files.

    For tests that need the files themselves (to copy, damage, or hand to a
    subprocess as ``COURSE_LIB_DATA``). They are written once per session from
    :func:`require_data`: an IDX file is a header and the raw bytes, so once
    decompressed they are the published files (the SHA-256 sums match).
    Returns the same folder for every name.
    """
    root = tmp_path_factory.mktemp("real-data")

    def get(name):
        folder = root / name
        if not folder.is_dir():
            (x_train, t_train), (x_test, t_test) = require_data(name, normalize=False)
            folder.mkdir()
            for filename, array in zip(ORIGINAL_FILES, (x_train, t_train, x_test, t_test)):
                array = array.reshape(len(array), *array.shape[2:]).astype(np.uint8)
                magic = 2051 if array.ndim == 3 else 2049
                header = np.array([magic, *array.shape], dtype=">u4").tobytes()
                (folder / filename).write_bytes(gzip.compress(header + array.tobytes(),
                                                              compresslevel=0))
        return root

    return get


@pytest.fixture(scope="session")
def built_notebooks(tmp_path_factory):
    """Every notebook as ``notebooks/build/builder.py`` writes it now, under a fresh folder."""
    import subprocess
    import sys
    from pathlib import Path

    out = tmp_path_factory.mktemp("built")
    builder = Path(__file__).resolve().parents[1] / "notebooks" / "build" / "builder.py"
    proc = subprocess.run([sys.executable, str(builder), "--out", str(out)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out

