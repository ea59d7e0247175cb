"""The benchmark script runs: its profiles cover every layer, it names the BLAS kernels NumPy runs
(and the variable that chose them), and it measures memory, one thread and the products' floor."""
import importlib.util
import time
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
    # measure course_lib alone, quickly
    monkeypatch.setitem(__import__("sys").modules, "torch", None)
    benchmark.main(["--steps", "1", "--blocks", "1", "--layers", "--reference"])
    out = capsys.readouterr().out
    assert "the reference layers (fast=False) take" in out
    assert "PyTorch is not installed" in out
    assert "course_lib training step:" in out and "GFLOP/s" in out
    assert "layer by layer" in out and "by kind: Convolution" in out


# the fixture checks that MNIST is there
def test_trained_versus_fresh_times_both(benchmark, mnist):
    times = benchmark.trained_vs_fresh(steps=1)
    assert set(times) == {"fresh", "trained"} and all(v > 0 for v in times.values())


def test_product_floor_covers_the_six_convolutions(benchmark):
    shapes = benchmark.conv_product_shapes(batch=100)
    assert [(rows, K, F) for _, rows, K, F in shapes] == [
        (784, 9, 16), (784, 144, 16), (196, 144, 32), (256, 288, 32), (64, 288, 64), (64, 576, 64)]
    # 2 FLOP per multiply-add, three products each: nearly all of the 5.26 GFLOP of a step
    flop = sum(2 * 3 * n * rows * K * F for n, rows, K, F in shapes)
    assert 5.2 < flop / 1e9 < 5.26
    floor = benchmark.ProductFloor(batch=10)
    # no input gradient for the images
    assert [conv["dx"] for conv in floor.convs] == [False] + [True] * 5
    chosen = floor.calibrate(repeats=1)
    assert len(chosen) == 6 and all(b in (1, 2, 5, 10) for b in chosen)
    calls = []
    operands = floor._operands

    def counted(conv, block):
        calls.append((conv["index"], block))
        return operands(conv, block)

    floor._operands = counted
    floor.run()
    # every image of every convolution goes through the products exactly once: 10 / block
    # blocks, each multiplying operands of one block's size
    for conv, block in zip(floor.convs, chosen):
        assert [b for i, b in calls if i == conv["index"]] == [block] * (10 // block)
        own = operands(conv, block)
        assert own["cols"].shape == (block * conv["rows"], conv["K"])
        assert own["dout"].shape == (block * conv["rows"], conv["F"])
        # made once and reused, so that they are in the cache when multiplied
        assert operands(conv, block) is own


def test_alternating_blocks_time_the_step_and_the_floor_in_turn(benchmark, capsys):
    order = []
    steps, floors = benchmark.alternate(lambda: order.append("s"), lambda: order.append("f"),
                                        steps=2, blocks=3)
    assert order == ["s", "f"] + ["s", "s", "f", "f"] * 3     # a warm-up call each, then the blocks
    assert steps.shape == floors.shape == (3, 2)         # (wall, cpu) of each block
    assert (steps[:, 0] > 0).all() and (floors[:, 0] > 0).all()
    ratios = benchmark.print_bound(lambda: time.sleep(0.002), steps=2, blocks=2)
    out = capsys.readouterr().out
    assert len(ratios) == 2 and "step / floor: median" in out and "worst" in out
    assert out.count(" ms") >= 3 and "ratio " in out and "in CPU time" in out


def test_recipe_estimate_counts_the_steps_and_the_evaluations(benchmark, capsys, monkeypatch):
    monkeypatch.setattr(benchmark, "recipe_parts", lambda steps, blocks: (0.05, 0.0002))
    train, evaluation = benchmark.print_recipe(steps=2, blocks=1)
    # 10,000 training images after each of the 20 epochs, the 10,000 test images once at the end
    assert train == 12000 * 0.05 and abs(evaluation - 210000 * 0.0002) < 1e-9
    out = capsys.readouterr().out
    assert "12,000 steps x 50.0 ms = 10.0 min" in out and "210,000 images x 200 us" in out
    monkeypatch.undo()
    step, per_image = benchmark.recipe_parts(steps=1, blocks=1)
    assert 0 < per_image < step                 # one image evaluated costs less than a step of 100


def test_blas_line_names_the_kernels_and_the_variable_that_chose_them(benchmark, monkeypatch):
    from threadpoolctl import threadpool_info
    if not any(i.get("user_api") == "blas" for i in threadpool_info()):
        pytest.fail("threadpoolctl finds no BLAS library behind NumPy")
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    line = benchmark.blas_line()
    assert line.startswith("NumPy's "
                           "BLAS:") and "kernels" in line and "OPENBLAS_CORETYPE" not in line
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    assert "chosen by OPENBLAS_CORETYPE=Haswell" in benchmark.blas_line()


def test_step_memory_is_measured(benchmark):
    peak, held = benchmark.step_memory(batch=10)
    assert 0 < peak < 50 * 2 ** 20 and held > 0


def test_step_profile_shows_the_stacked_layers_inside_the_convolutions(benchmark):
    rows = benchmark.step_profile(steps=1, batch=10)
    convs = [name for name, _, _ in rows if name.startswith("Convolution")]
    assert len(convs) == 6 and all(name.count("+Relu") == 1 for name in convs)
    assert sum("+Pooling" in name for name in convs) == 3
    names = [name for name, _, _ in rows]
    # the Affine's
    assert not any(name.startswith("Pooling") for name in names) and names.count("Relu()") == 1
    assert all(f > 0 and b > 0 for name, f, b in rows if name.startswith("Convolution"))
    whole = [(f, b) for name, f, b in rows if name.startswith("the whole stack")]
    assert len(whole) == 1 and whole[0][0] > 0 and whole[0][1] > 0


def test_one_thread_ratio_runs_course_lib_on_one_thread_and_restores_the_settings(benchmark,
                                                                                  monkeypatch):
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
