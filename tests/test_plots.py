"""Figures: the right number of panels, and a confusion matrix that counts right."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import plots  # noqa: E402


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
    assert len([ax for ax in plots.show_filters(np.random.rand(16, 3, 3, 3)).axes if ax.images]) == 16
    assert len([ax for ax in plots.show_feature_maps(np.random.rand(1, 6, 5, 5)).axes if ax.images]) == 6
    with pytest.raises(ValueError, match="feature maps"):
        plots.show_feature_maps(np.random.rand(5, 5))


def test_learning_curves_from_lists():
    fig = plots.plot_learning_curves(train_loss=list(np.linspace(2, 0.1, 200)), train_acc=[0.8, 0.9],
                                     test_acc=[0.79, 0.88])
    loss_ax, acc_ax = fig.axes
    np.testing.assert_allclose(acc_ax.lines[1].get_ydata(), [0.79, 0.88])
