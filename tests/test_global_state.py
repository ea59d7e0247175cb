"""State kept by the package between calls: threads, BLAS limits, settings, weights.

Each test here failed on the code before the matching fix: a forked child hung,
BLAS stayed at one thread, a bad ``COURSE_LIB_THREADS`` broke ``import
course_lib``, ``COURSE_LIB_QUICK`` was frozen at import, two networks could
share one weight array.
"""
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from course_lib import DeepConvNet, SimpleConvNet
from course_lib.fast import single_threaded_blas


@pytest.fixture
def two_threads(monkeypatch):
    """Threaded fast layers, whatever the machine or the environment says."""
    monkeypatch.setenv("COURSE_LIB_THREADS", "2")


def _wait_for_child(pid, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is a POSIX call")
def test_predict_in_a_forked_child_after_predict_in_the_parent(two_threads):
    net = DeepConvNet(seed=0).eval()
    x = np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32)
    expected = net.predict(x)                         # the parent's threads are running now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                                      # the child: same network, same call
        code = 1
        try:
            ok = np.allclose(net.predict(x), expected, rtol=1e-5, atol=1e-6)
            os.write(write, b"same" if ok else b"different")
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    code = _wait_for_child(pid, 60)
    answer = os.read(read, 100)
    os.close(read)
    assert code is not None, "predict in the forked child hung (the parent's thread pool reused)"
    assert code == 0 and answer == b"same"
    np.testing.assert_allclose(net.predict(x), expected)    # and the parent still works


class ProcessWideBlas:
    """Stands in for threadpoolctl's controller: one process-wide thread count, as BLAS keeps.

    (Reading a real OpenBLAS from several threads does not always show one
    process-wide number, so the bookkeeping is checked against this model.)
    """

    def __init__(self, threads):
        self.threads = threads

    def limit(self, limits, user_api):
        blas, saved = self, self.threads
        blas.threads = limits

        class Limiter:
            def restore_original_limits(self):
                blas.threads = saved

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.restore_original_limits()

        return Limiter()


def test_single_threaded_blas_from_two_interleaved_threads_restores_the_limit(two_threads,
                                                                              monkeypatch):
    from course_lib.fast import parallel
    blas = ProcessWideBlas(threads=4)
    monkeypatch.setattr(parallel, "_controller", blas)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():                                      # enters first, leaves first
        with single_threaded_blas():
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def second():                                     # enters second, leaves last
        a_in.wait(10)
        with single_threaded_blas():
            b_in.set()
            a_out.wait(10)
            seen["inside, after the first left"] = blas.threads

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert seen["inside, after the first left"] == 1
    assert blas.threads == 4


def test_single_threaded_blas_limits_the_real_library_and_gives_it_back(two_threads):
    def blas_threads():
        return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]

    start = blas_threads()
    with single_threaded_blas():
        # nested, as map_blocks inside a network's pass
        with single_threaded_blas():
            assert blas_threads() == [1] * len(start)
        assert blas_threads() == [1] * len(start)
    assert blas_threads() == start


def _run(code, **env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_a_bad_thread_count_does_not_break_import_and_says_what_is_wrong():
    code = ("import warnings, numpy as np\n"
            "import course_lib\n"
            "from course_lib import SimpleConvNet\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    out = SimpleConvNet(seed=0).predict(np.zeros((4, 1, 28, 28), np.float32))\n"
            "print(out.shape)\n"
            "print(*[str(w.message) for w in caught], sep='\\n')\n")
    result = _run(code, COURSE_LIB_THREADS="abc")
    assert result.returncode == 0, result.stderr
    assert "(4, 10)" in result.stdout
    assert "COURSE_LIB_THREADS" in result.stdout and "'abc'" in result.stdout
    assert "positive whole number" in result.stdout


def test_the_thread_count_is_read_when_threads_are_first_needed(monkeypatch):
    from course_lib.fast import workers
    monkeypatch.setenv("COURSE_LIB_THREADS", "3")
    assert workers() == 3
    monkeypatch.setenv("COURSE_LIB_THREADS", "1")
    assert workers() == 1


def test_quick_mode_is_read_at_each_use(monkeypatch):
    from course_lib import config
    monkeypatch.setenv("COURSE_LIB_QUICK", "1")
    assert config.QUICK is True and config.pick(full=20, quick=1) == 1
    from course_lib.config import QUICK
    assert QUICK is True
    monkeypatch.setenv("COURSE_LIB_QUICK", "0")
    assert config.QUICK is False and config.pick(full=20, quick=1) == 20
    monkeypatch.delenv("COURSE_LIB_QUICK")
    assert config.QUICK is False


def test_assigning_a_parameter_copies_it():
    a, b = SimpleConvNet(seed=0), SimpleConvNet(seed=1)
    a.params["W1"] = b.params["W1"]
    np.testing.assert_array_equal(a.params["W1"], b.params["W1"])
    assert not np.shares_memory(a.params["W1"], b.params["W1"])
    before = a.params["W1"].copy()
    b.params["W1"] -= 1.0                             # training b ...
    np.testing.assert_array_equal(a.params["W1"], before)   # ... leaves a alone
    w = a.params["W2"]
    # an optimizer's in-place update keeps the array
    a.params["W2"] -= 1.0
    assert a.params["W2"] is w
