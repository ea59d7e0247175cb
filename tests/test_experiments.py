"""Tests for course_lib.experiments: seeded training runs, summaries and figures (chapters 5, 6)."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib import augment as A
from course_lib.experiments import (LABEL_PT, describe, loss_summary, mean_and_error,
                                    mlp,
                                    plot_curves, plot_groups, running_median, show_grid, train_run,
                                    train_runs)
from course_lib.stats import binomial_std_error


def toy_images(n, seed=0):
    """Two classes a SimpleConvNet learns in a few steps: a bright left or a bright right half."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, n)
    x = rng.random((n, 1, 28, 28)).astype(np.float32) * 0.2
    for i, k in enumerate(t):
        x[i, 0, :, 14 * k:14 * k + 14] += 0.8
    return x, t


@pytest.fixture(scope="module")
def runs():
    x, t = toy_images(200)
    xt, tt = toy_images(100, seed=1)
    xv, tv = toy_images(60, seed=2)
    runs = train_runs(x, t, xt, tt, epochs=2, seeds=(0, 1), n_eval=50, x_val=xv, t_val=tv)
    return runs, (x, t, xt, tt)


def test_train_run_measures_on_the_original_images(runs):
    results, (x, t, xt, tt) = runs
    r = results[0]
    assert r["seed"] == 0 and r["n_test"] == 100
    assert r["train_acc"] == pytest.approx(r["network"].accuracy(x, t))
    assert r["test_acc"] == pytest.approx(r["network"].accuracy(xt, tt))
    assert r["gap"] == pytest.approx(r["train_acc"] - r["test_acc"])
    assert len(r["val_curve"]) == len(r["train_curve"]) == 2
    assert r["seconds"] > 0 and r["step_seconds"] == pytest.approx(r["seconds"] / 4)
    assert r["test_acc"] > 0.9                       # the toy task is learned


def test_seeds_give_different_runs_and_the_same_seed_the_same_run(runs):
    results, (x, t, xt, tt) = runs
    assert not np.array_equal(results[0]["network"].params["W1"],
                              results[1]["network"].params["W1"])
    again = train_run(x, t, xt, tt, epochs=2, seed=1, n_eval=50)
    np.testing.assert_array_equal(again["network"].params["W1"], results[1]["network"].params["W1"])


def test_augment_reaches_the_training_batches():
    x, t = toy_images(100)
    seen = []

    def spy(batch, rng):
        seen.append(batch.shape)
        return A.flip_horizontal(batch)

    train_run(x, t, x, t, epochs=1, augment=spy, n_eval=20)
    assert seen == [(100, 1, 28, 28)]


def test_train_run_refuses_images_and_labels_of_different_lengths():
    x, t = toy_images(20)
    with pytest.raises(ValueError, match="differ in number"):
        train_run(x, t[:10], x, t, epochs=1)


def test_mean_and_error_is_the_standard_error_over_seeds():
    fake = [{"test_acc": v} for v in (0.90, 0.92, 0.94)]
    mean, err = mean_and_error(fake)
    assert mean == pytest.approx(0.92)
    assert err == pytest.approx(0.02 / np.sqrt(3))
    assert mean_and_error(fake[:1]) == (pytest.approx(0.90), 0.0)
    with pytest.raises(ValueError, match="no runs"):
        mean_and_error([])


def test_describe_shows_mean_error_single_runs_and_the_binomial_error(runs):
    results, _ = runs
    line = describe("toy", results)
    mean, err = mean_and_error(results)
    assert line.startswith("toy")
    assert f"{100 * mean:5.2f} ± {100 * err:.2f} %" in line
    for r in results:
        assert f"{100 * r['test_acc']:.1f}" in line
    assert f"binomial ± {100 * binomial_std_error(mean, 100):.2f}" in line
    single = describe("one", results[:1])
    assert "(one run)" in single and "[" not in single and " ± 0.00 %" not in single
    for text in (line, single, describe("x" * 26, results)):    # two lines a notebook shows whole
        test_line, train_line = text.splitlines()
        assert "test" in test_line and train_line.lstrip().startswith("train")
        assert max(len(test_line), len(train_line)) <= 90, text


def test_plots_draw_one_bar_per_series_and_group_with_readable_labels(runs):
    results, _ = runs
    fig, (ax1, ax2) = plt.subplots(1, 2)
    groups = [("a", {"plain": results, "aug": results}), ("b", {"plain": results, "aug": results})]
    plot_groups(ax1, groups)
    assert len(ax1.patches) == 4
    assert ax1.yaxis.label.get_fontsize() >= 9 and LABEL_PT >= 9
    plot_curves(ax2, {"plain": results}, title="t")
    assert len(ax2.lines) == 2
    plt.close(fig)


def test_show_grid_labels_every_row_and_fits_a_notebook():
    x, _ = toy_images(10)
    show_grid([x, x[:, :, ::-1]], ["original", "rotate +20°"], "title")
    fig = plt.gcf()
    # shown without shrinking: labels keep their size
    assert fig.get_figwidth() <= 9.5
    labels = [ax.yaxis.label for ax in fig.axes if ax.get_ylabel()]
    assert [lab.get_text() for lab in labels] == ["original", "rotate +20°"]
    assert all(lab.get_fontsize() >= 9 for lab in labels)
    plt.close(fig)
    with pytest.raises(ValueError, match="one name per row"):
        show_grid([x], ["a", "b"])


def test_mlp_has_he_weights_and_computes_affine_relu_affine():
    net = mlp(seed=0, sizes=(50, 40, 30, 3))
    assert [k for k in net.params if k.startswith("W")] == ["W1", "W2", "W3"]
    assert net.params["W1"].std() == pytest.approx(np.sqrt(2 / 50), rel=0.1)
    assert net.params["W1"].dtype == np.float32 and not net.params["b1"].any()
    small = mlp(seed=1, sizes=(6, 5, 3))
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    p = small.params
    expected = np.maximum(x @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]
    np.testing.assert_allclose(small.predict(x), expected, rtol=1e-5)


def test_running_median_and_loss_summary():
    np.testing.assert_allclose(running_median([3, 1, 2, 10, 4], 3), [3, 2, 2, 2, 4])
    loss = np.full(1000, 0.5)
    loss[:100] = 2.0
    loss[500] = 10.0                                  # one spike
    s = loss_summary(loss)
    assert s["start"] == 2.0 and s["end"] == 0.5
    assert s["late_max"] == 10.0 and s["late_at"] == 500 and s["spikes"] == 1
    with pytest.raises(ValueError, match="too short"):
        loss_summary(loss[:50])


# ---------------------------------------------------------------------------
# how hard a dataset is, and how fast a matrix product runs

from course_lib.experiments import (class_means, closest_class_pairs, matmul_gflops,  # noqa: E402
                                    nearest_mean_accuracy, nearest_mean_predict, with_batchnorm)


def test_class_means_and_nearest_mean_classifier():
    x, t = toy_images(200)
    means = class_means(x, t, n_classes=2)
    assert means.shape == (2, 784)
    np.testing.assert_allclose(means[1], x[t == 1].reshape(-1, 784).mean(0), rtol=1e-5)
    assert nearest_mean_accuracy(means, x, t) == 1.0        # the two halves are far apart
    assert nearest_mean_accuracy(means, x, 1 - t) == 0.0    # swapped labels: every answer wrong
    # classes swapped: predictions too
    np.testing.assert_array_equal(nearest_mean_predict(means[::-1], x), 1 - t)
    with pytest.raises(ValueError, match="no image of class"):
        class_means(x, t, n_classes=3)
    with pytest.raises(ValueError, match="pixels"):
        nearest_mean_accuracy(means, x[:, :, :14], t)


def test_closest_class_pairs_are_sorted_by_distance():
    means = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 1.0], [10.0, 3.0]])
    pairs = closest_class_pairs(means, k=3)
    assert [(i, j) for _, i, j in pairs] == [(0, 2), (1, 3), (0, 1)]
    assert pairs[0][0] == pytest.approx(1.0)


def test_matmul_gflops_counts_2n3_operations():
    gflops, seconds = matmul_gflops(n=128, repeats=2)
    assert seconds > 0
    assert gflops == pytest.approx(2 * 128 ** 3 / seconds / 1e9)
    with pytest.raises(ValueError, match="positive whole"):
        matmul_gflops(n=0)


def test_with_batchnorm_normalises_after_every_convolution():
    from course_lib import DeepConvNet
    from course_lib.layers import BatchNormalization

    net = with_batchnorm(DeepConvNet(seed=0))
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds.count("BatchNormalization") == 6
    for i, layer in enumerate(net.layers):
        if isinstance(layer, BatchNormalization):
            assert net.layers[i - 1].W.ndim == 4 and net.layers[i + 1].__class__.__name__ == "Relu"
    assert {"gamma1", "beta1", "gamma6", "W8"} <= set(net.params)
    x = np.random.default_rng(0).random((20, 1, 28, 28)).astype(np.float32)
    net.train()
    # the first convolution's output, normalised
    h = net.layers[1].forward(net.layers[0].forward(x))
    np.testing.assert_allclose(h.mean(axis=(0, 2, 3)), 0, atol=1e-4)
    np.testing.assert_allclose(h.std(axis=(0, 2, 3)), 1, atol=1e-2)
    t = np.arange(20) % 10
    loss_before = net.loss(x, t)
    grads = net.gradient(x, t)
    assert set(grads) == set(net.params)
    assert np.isfinite(loss_before)
    with pytest.raises(ValueError, match="no convolution"):
        with_batchnorm(mlp())
