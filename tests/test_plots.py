"""Figures: the right number of panels, and a confusion matrix that counts right."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from course_lib import plots


def test_confusion_matrix_counts():
    cm = plots.confusion_matrix([0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 2, 0], n_classes=3)
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 1, 1], [1, 0, 2]])
    with pytest.raises(ValueError, match="predictions"):
        plots.confusion_matrix([0, 1], [0])


def test_image_grids_have_one_visible_panel_per_image():
    fig = plots.show_images(np.random.rand(7, 784), labels=list("abcdefg"), ncols=4)
    visible = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 8 and len(visible) == 7
    assert [ax.get_title() for ax in visible] == list("abcdefg")
    filters = plots.show_filters(np.random.rand(16, 3, 3, 3))
    assert len([ax for ax in filters.axes if ax.images]) == 16
    maps = plots.show_feature_maps(np.random.rand(1, 6, 5, 5))
    assert len([ax for ax in maps.axes if ax.images]) == 6
    with pytest.raises(ValueError, match="feature maps"):
        plots.show_feature_maps(np.random.rand(5, 5))


def test_learning_curves_from_lists():
    fig = plots.plot_learning_curves(train_loss=list(np.linspace(2, 0.1, 200)),
                                     train_acc=[0.8, 0.9],
                                     val_acc=[0.79, 0.88], test_acc=0.87)
    loss_ax, acc_ax = fig.axes
    np.testing.assert_allclose(acc_ax.lines[1].get_ydata(), [0.79, 0.88])
    # one point, after the last epoch
    np.testing.assert_allclose(acc_ax.lines[2].get_xydata(), [[2, 0.87]])
    assert [t.get_text() for t in acc_ax.get_legend().get_texts()] == ["train", "validation",
                                                                        "test (once, at the end)"]


def test_learning_curves_refuse_a_test_curve():
    with pytest.raises(ValueError, match="pass it as val_acc"):
        plots.plot_learning_curves(train_loss=[2.0, 1.0], train_acc=[0.8, 0.9],
                                   test_acc=[0.79, 0.88])


# ----- readable text ---------------------------------------------------------------------------
def _smallest(fig):
    sizes = plots.displayed_font_sizes(fig)
    assert sizes, "the figure has no text at all"
    return min(sizes)


def test_displayed_font_size_accounts_for_shrinking_a_wide_figure():
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(18, 3))     # twice the notebook's width: shown at half size
    ax.set_title("title", fontsize=12)
    ax.tick_params(labelsize=10)
    assert _smallest(fig) == pytest.approx(5.0)
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.set_title("title", fontsize=12)
    ax.tick_params(labelsize=10)
    assert _smallest(fig) == pytest.approx(10.0)
    plt.close("all")


def test_the_old_too_small_figures_would_be_rejected():
    # what the course drew before: 8-pt titles over a 12-inch row of images, 7-pt histogram notes
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 12, figsize=(14.4, 1.2))
    for ax in axes:
        ax.axis("off")
        ax.set_title("7 \u2192 2", fontsize=8)
    assert _smallest(fig) < plots.MIN_FONT_PT
    plt.close("all")


def test_every_figure_of_the_course_has_readable_text():
    import matplotlib.pyplot as plt
    rng = np.random.default_rng(0)
    t_true = rng.integers(0, 10, 300)
    t_pred = np.where(rng.random(300) < 0.8, t_true, (t_true + 1) % 10)
    figures = {
        "show_images": plots.show_images(rng.random((24, 28, 28)),
                                         labels=[str(i) for i in range(24)], ncols=12,
                                         title="digits"),
        "show_misclassified": plots.show_misclassified(rng.random((300, 1, 28, 28)), t_true, t_pred,
                                                       max_images=60, ncols=10),
        "learning_curves": plots.plot_learning_curves(train_loss=list(np.linspace(2, 0.1, 300)),
                                                      train_acc=[0.9, 0.95, 0.97],
                                                      val_acc=[0.89, 0.94, 0.96],
                                                      test_acc=0.95),
        "confusion": plots.plot_confusion_matrix(plots.confusion_matrix(t_true, t_pred)),
        "filters": plots.show_filters(rng.standard_normal((16, 1, 3, 3)), title="filters"),
        "compare_filters": plots.compare_filters([rng.standard_normal((30, 1, 5, 5))] * 3,
                                                 ["at initialisation", "after training", "change"],
                                                 ncols=6),
        "feature_maps": plots.show_feature_maps(rng.random((64, 8, 8)), title="64 maps"),
        "histograms": plots.plot_activation_histograms([rng.random(1000) for _ in range(7)],
                                                       [f"conv{i}" for i in range(7)],
                                                       title="fraction"),
    }
    # the chapter's grid of histograms: three rows of seven panels drawn into one figure
    fig, axes = plt.subplots(3, 7, figsize=(plots.DISPLAY_WIDTH_IN, 6), sharey="row")
    for row in axes:
        plots.plot_activation_histograms([rng.random(1000) for _ in range(7)],
                                         [f"conv{i}" for i in range(7)],
                                         title="init 'he'\nfraction", ax_row=row)
    figures["histogram grid"] = fig
    for name, fig in figures.items():
        assert _smallest(fig) >= plots.MIN_FONT_PT, f"{name}: text of {_smallest(fig):.1f} pt"
        assert fig.get_figwidth() <= plots.DISPLAY_WIDTH_IN + 1e-9, f"{name} is too wide"
    plt.close("all")


def test_compare_filters_draws_one_block_per_set_with_gaps():
    W0 = np.random.default_rng(1).standard_normal((16, 1, 3, 3))
    fig = plots.compare_filters([W0, 2 * W0, W0], ["before", "after", "change"], ncols=4)
    assert [sub._suptitle.get_text() for sub in fig.subfigs] == ["before", "after", "change"]
    for sub in fig.subfigs:
        shown = [ax for ax in sub.axes if ax.images]
        assert len(shown) == 16
        # neighbouring filters do not touch: a gap between their boxes
        fig.canvas.draw()
        a, b = shown[0].get_position(), shown[1].get_position()
        assert b.x0 - a.x1 > 0.1 * a.width
    with pytest.raises(ValueError, match="one title per set"):
        plots.compare_filters([W0, W0], ["only one"])
    with pytest.raises(ValueError, match="same shape"):
        plots.compare_filters([W0, W0[:8]], ["a", "b"])
    with pytest.raises(ValueError, match=r"\(FN, C, FH, FW\)"):
        plots.compare_filters([W0[:, 0]], ["a"])
