"""The benchmark script runs and its layer-by-layer profile covers every layer."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def benchmark():
    spec = importlib.util.spec_from_file_location("benchmark", ROOT / "benchmarks" / "benchmark.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_layer_profile_times_every_layer(benchmark):
    from course_lib import DeepConvNet
    rows = benchmark.layer_profile(steps=1)
    assert [name for name, _, _ in rows] == [repr(layer) for layer in DeepConvNet().layers]
    assert all(f >= 0 and b >= 0 for _, f, b in rows)
    convs = [(f, b) for name, f, b in rows if name.startswith("Convolution")]
    assert len(convs) == 6 and all(f > 0 and b > 0 for f, b in convs)


def test_benchmark_prints_its_figures(benchmark, capsys, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "torch", None)   # measure course_lib alone, quickly
    benchmark.main(["--steps", "1", "--blocks", "1", "--layers", "--reference"])
    out = capsys.readouterr().out
    assert "the reference layers (fast=False) take" in out
    assert "PyTorch is not installed" in out
    assert "course_lib training step:" in out and "GFLOP/s" in out
    assert "layer by layer" in out and "by kind: Convolution" in out


def test_trained_versus_fresh_times_both(benchmark, mnist):   # the fixture checks that MNIST is there
    times = benchmark.trained_vs_fresh(steps=1)
    assert set(times) == {"fresh", "trained"} and all(v > 0 for v in times.values())
