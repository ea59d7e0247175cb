"""The benchmark says which BLAS kernels NumPy runs, and when an environment variable chose them."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def benchmark():
    spec = importlib.util.spec_from_file_location("benchmark_for_blas", ROOT / "benchmarks" / "benchmark.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_blas_line_names_the_kernels_and_the_variable_that_chose_them(benchmark, monkeypatch):
    from threadpoolctl import threadpool_info
    if not any(i.get("user_api") == "blas" for i in threadpool_info()):
        pytest.fail("threadpoolctl finds no BLAS library behind NumPy")
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    line = benchmark.blas_line()
    assert line.startswith("NumPy's BLAS:") and "kernels" in line and "OPENBLAS_CORETYPE" not in line
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    assert "chosen by OPENBLAS_CORETYPE=Haswell" in benchmark.blas_line()


def test_step_memory_is_measured(benchmark):
    peak, held = benchmark.step_memory(batch=10)
    assert 0 < peak < 50 * 2 ** 20 and held > 0


def test_step_profile_shows_the_fused_layers_inside_the_convolutions(benchmark):
    rows = benchmark.step_profile(steps=1, batch=10)
    convs = [name for name, _, _ in rows if name.startswith("Convolution")]
    assert len(convs) == 6 and all(name.count("+Relu") == 1 for name in convs)
    assert sum("+Pooling" in name for name in convs) == 3
    names = [name for name, _, _ in rows]
    assert not any(name.startswith("Pooling") for name in names) and names.count("Relu()") == 1   # the Affine's
    assert all(f > 0 and b > 0 for name, f, b in rows if name.startswith("Convolution"))


def test_one_thread_ratio_runs_course_lib_on_one_thread_and_restores_the_settings(benchmark, monkeypatch):
    import os
    import sys
    import types

    from course_lib.fast import workers
    threads = {"n": 2, "set": []}
    fake_torch = types.SimpleNamespace(get_num_threads=lambda: threads["n"],
                                       set_num_threads=lambda n: threads["set"].append(n))
    monkeypatch.setitem(sys.modules, "torch", fake_torch)
    monkeypatch.setenv("COURSE_LIB_THREADS", "2")
    seen = []
    runners = {"course_lib": (lambda: seen.append(workers()), lambda: None),
               "pytorch": (lambda: None, lambda: None)}
    result = benchmark.one_thread_ratio(runners, steps=2, blocks=1)
    assert set(result) == {"course_lib", "pytorch"} and seen and set(seen) == {1}
    assert threads["set"] == [1, 2] and os.environ["COURSE_LIB_THREADS"] == "2"
