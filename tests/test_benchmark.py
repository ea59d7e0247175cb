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


def test_product_bound_covers_the_six_convolutions(benchmark):
    shapes = benchmark.conv_product_shapes(batch=100)
    assert [(rows, K, F) for _, rows, K, F in shapes] == [
        (784, 9, 16), (784, 144, 16), (196, 144, 32), (256, 288, 32), (64, 288, 64), (64, 576, 64)]
    # 2 FLOP per multiply-add, three products each: nearly all of the 5.26 GFLOP of a step
    flop = sum(2 * 3 * n * rows * K * F for n, rows, K, F in shapes)
    assert 5.2 < flop / 1e9 < 5.26
    bound = benchmark.product_bound(block_sizes=(50,), repeats=1)
    assert set(bound) == {50} and bound[50] > 0
