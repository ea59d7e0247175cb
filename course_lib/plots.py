"""Figures used across the chapters (matplotlib).

Every function draws into a new figure, or into ``ax`` when one is given, and
returns the figure (or the axes) so a notebook can adjust it.

Text stays readable: a notebook shows a figure at 100 pixels per inch and
shrinks one wider than its output column (about ``DISPLAY_WIDTH_IN`` inches) to
fit, so the functions here keep their figures within that width and no text
smaller than ``MIN_FONT_PT`` points at the displayed size;
``displayed_font_sizes(fig)`` measures it for any figure.
"""
import numpy as np
import matplotlib.pyplot as plt
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from .i18n import _

MIN_FONT_PT = 9          # the smallest text in a figure, in points at the size it is displayed
# a notebook output column holds about 900 pixels: wider figures are shrunk to fit
DISPLAY_WIDTH_IN = 9.0


def displayed_font_sizes(fig, display_width=DISPLAY_WIDTH_IN):
    """The size in points of every visible piece of text in ``fig`` as a notebook shows it.

    A figure wider than ``display_width`` inches is scaled down to that width,
    and its text with it.  ``min(displayed_font_sizes(fig)) >= MIN_FONT_PT``
    says that every label, title and tick can be read.
    """
    fig.canvas.draw()   # tick labels exist only once the figure is drawn
    scale = min(1.0, display_width / fig.get_figwidth())
    sizes = []
    for text in fig.findobj(Text):
        if not (text.get_visible() and text.get_text().strip()):
            continue
        if text.axes is not None and not (text.axes.get_visible() and text.axes.axison):
            if text not in (text.axes.title, text.axes._left_title, text.axes._right_title) \
                    and text not in text.axes.texts:
                continue
        sizes.append(text.get_fontsize() * scale)
    return sizes


def _image(img):
    img = np.asarray(img)
    if img.ndim == 1:
        side = int(round(np.sqrt(img.size)))
        if side * side != img.size:
            raise ValueError(_("cannot show a flat image of {pixels} pixels as a square",
                               pixels=img.size))
        return img.reshape(side, side)
    if img.ndim == 3:
        return img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)
    return img


def show_images(images, labels=None, ncols=10, title=None, cmap="gray", size=1.2, vmin=None,
                vmax=None,
                interpolation=None):
    """A grid of images: ``(N, 784)``, ``(N, H, W)`` or ``(N, C, H, W)``; ``labels`` become titles.

    ``size``: inches per image, reduced when ``ncols`` images would not fit
    the width of a notebook (``DISPLAY_WIDTH_IN``).
    """
    images = np.asarray(images)
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    size = min(size, DISPLAY_WIDTH_IN / ncols)
    label_room = 0.25 if labels is not None else 0.0
    fig, axes = plt.subplots(nrows, ncols,
                             figsize=(size * ncols, (size + label_room) * nrows
                                      + (0.4 if title else 0)),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < n:
            ax.imshow(_image(images[k]), cmap=cmap, vmin=vmin, vmax=vmax,
                      interpolation=interpolation)
            if labels is not None:
                ax.set_title(str(labels[k]), fontsize=MIN_FONT_PT)
    if title:
        fig.suptitle(title, fontsize=MIN_FONT_PT + 2)
    fig.tight_layout()
    return fig


def plot_learning_curves(trainer=None, train_loss=None, train_acc=None, val_acc=None,
                         test_acc=None, smooth=50):
    """Loss per iteration (smoothed) and accuracies per epoch, side by side.

    ``trainer``: a trained ``Trainer`` (its lists are used), or the lists
    themselves: ``train_loss`` per iteration, ``train_acc`` and ``val_acc``
    (optional) per epoch.  ``test_acc``: the one test accuracy measured at the
    end, drawn as a single point after the last epoch.
    """
    if trainer is not None:
        train_loss, train_acc = trainer.train_loss_list, trainer.train_acc_list
        val_acc, test_acc = trainer.val_acc_list, trainer.final_test_accuracy
    if test_acc is not None and np.ndim(test_acc) != 0:
        raise ValueError(_("test_acc is the one test accuracy measured after training, a number; "
                           "a curve measured every epoch belongs to validation data: pass it as "
                           "val_acc"))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(DISPLAY_WIDTH_IN, 3.4))
    _plot_loss(ax1, np.asarray(train_loss, dtype=float), smooth)
    epochs = np.arange(1, len(train_acc) + 1)
    ax2.plot(epochs, train_acc, "o-", label=_("train"))
    if val_acc is not None and len(val_acc):
        ax2.plot(epochs, val_acc, "s-", label=_("validation"))
    if test_acc is not None:
        ax2.plot([len(train_acc)], [float(test_acc)], "D", color="C3",
                 label=_("test (once, at the end)"))
    ax2.set_xlabel(_("epoch"))
    ax2.set_ylabel(_("accuracy"))
    ax2.legend()
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _plot_loss(ax, loss, smooth):
    ax.plot(loss, color="0.75", lw=0.6, label=_("per mini-batch"))
    if len(loss) > smooth > 1:
        kernel = np.ones(smooth) / smooth
        ax.plot(np.arange(smooth - 1, len(loss)), np.convolve(loss, kernel, mode="valid"),
                label=_("mean of {count}", count=smooth))
    ax.set_xlabel(_("iteration"))
    ax.set_ylabel(_("training loss"))
    ax.set_yscale("log")
    ax.legend()


def confusion_matrix(t_true, t_pred, n_classes=10):
    """``cm[i, j]`` = number of samples of class i predicted as class j."""
    t_true, t_pred = np.asarray(t_true).ravel(), np.asarray(t_pred).ravel()
    if t_true.shape != t_pred.shape:
        raise ValueError(_("{labels} true labels but {predictions} predictions",
                           labels=t_true.size, predictions=t_pred.size))
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (t_true, t_pred), 1)
    return cm


def plot_confusion_matrix(cm, class_names=None, ax=None, normalize=False):
    """Draw a confusion matrix with its counts (or row fractions when ``normalize``)."""
    cm = np.asarray(cm)
    values = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    n = cm.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(n)]
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.6 * n + 2, 0.6 * n + 1.5))
    ax.imshow(np.log1p(cm), cmap="Blues")
    for i in range(n):
        for j in range(n):
            text = f"{values[i, j]:.2f}" if normalize else str(values[i, j])
            ax.text(j, i, text, ha="center", va="center", fontsize=MIN_FONT_PT,
                    color="white" if cm[i, j] > cm.max() / 3 else "black")
    ax.set_xticks(range(n), names, rotation=45, ha="right", fontsize=MIN_FONT_PT)
    ax.set_yticks(range(n), names, fontsize=MIN_FONT_PT)
    ax.set_xlabel(_("predicted"))
    ax.set_ylabel(_("true"))
    ax.figure.tight_layout()
    return ax.figure


def show_filters(W, ncols=8, title=None, size=0.9):
    """Show convolution filters ``(FN, C, FH, FW)``: the first channel of each, own colour scale."""
    W = np.asarray(W)
    return show_images(W[:, 0], ncols=ncols, title=title, cmap="gray_r", size=size,
                       interpolation="nearest")


def compare_filters(filter_sets, titles, ncols=4, size=0.5, gap=0.15):
    """Sets of convolution filters ``(FN, C, FH, FW)`` side by side, one block each.

    For example the filters at initialisation, after training, and the change
    ``W - W0``.  Every filter (its first channel) is drawn on its own grey
    scale, dark = large, with a gap around it, so that no two filters read as
    one tile; each block sits on its own grey panel under its title, with white
    space between the panels.  ``ncols``: filters per row of a block.
    """
    sets = [np.asarray(W) for W in filter_sets]
    if len(sets) != len(titles):
        raise ValueError(_("{sets} sets of filters but {titles} titles: give one title per set",
                           sets=len(sets), titles=len(titles)))
    if not sets:
        raise ValueError(_("no filters to show"))
    for W, t in zip(sets, titles):
        if W.ndim != 4:
            raise ValueError(_("filters must have shape (FN, C, FH, FW); {title!r} has shape "
                               "{shape}", title=t, shape=W.shape))
        if W.shape != sets[0].shape:
            raise ValueError(_("all sets must have the same shape; {title!r} has {shape}, not "
                               "{first}", title=t, shape=W.shape, first=sets[0].shape))
    n = sets[0].shape[0]
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    block_w = ncols * size * (1 + gap)
    width = min(DISPLAY_WIDTH_IN, len(sets) * (block_w + 0.6))
    fig = plt.figure(figsize=(width, nrows * size * (1 + gap) + 0.6), layout="constrained")
    for sub, W, t in zip(np.atleast_1d(fig.subfigures(1, len(sets), wspace=0.12)), sets, titles):
        sub.set_facecolor("0.9")
        axes = sub.subplots(nrows, ncols, squeeze=False, gridspec_kw={"wspace": gap, "hspace": gap})
        for k, ax in enumerate(axes.flat):
            ax.set_xticks([])
            ax.set_yticks([])
            if k < n:
                ax.imshow(W[k, 0], cmap="gray_r", interpolation="nearest")
            else:
                ax.axis("off")
        sub.suptitle(t, fontsize=MIN_FONT_PT + 1)
    return fig


def plot_activation_histograms(activations, names=None, title=None, bins=30, ax_row=None,
                               range_max=None):
    """One histogram per layer of the values in ``activations`` (a list of arrays), side by side.

    ``names`` label the panels.  Bar heights are fractions of all the layer's
    values, so layers of different sizes compare directly.  Exact zeros (ReLU
    outputs that are off) are left out of the bars and their share is written
    in each panel, since they would otherwise dwarf everything else.
    ``ax_row``: a row of existing axes to draw into.  ``range_max``: the upper
    end of every histogram (default: the largest value seen).
    """
    activations = [np.asarray(a, dtype=np.float64).ravel() for a in activations]
    n = len(activations)
    if n == 0:
        raise ValueError(_("no activations to plot"))
    names = list(names) if names is not None else [_("layer {number}", number=i + 1)
                                                   for i in range(n)]
    if ax_row is None:
        fig, ax_row = plt.subplots(1, n, figsize=(min(1.9 * n, DISPLAY_WIDTH_IN), 2.3),
                                   sharey=True, squeeze=False)
        ax_row = ax_row[0]
    fig = ax_row[0].figure
    top = range_max if range_max is not None else max(float(a.max()) for a in activations)
    top = top if top > 0 else 1.0
    for ax, a, name in zip(ax_row, activations, names):
        positive = a[a != 0]
        ax.hist(positive, bins=bins, range=(0, top), color="C0",
                weights=np.full(positive.size, 1.0 / max(a.size, 1)))
        ax.set_title(name, fontsize=MIN_FONT_PT)
        ax.text(0.95, 0.92, _("{share:.0%}\nzero", share=np.mean(a == 0)), transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=MIN_FONT_PT)
        ax.tick_params(labelsize=MIN_FONT_PT)
        ax.xaxis.set_major_locator(MaxNLocator(2))
        ax.yaxis.set_major_locator(MaxNLocator(3))
    if title:
        ax_row[0].set_ylabel(title, fontsize=MIN_FONT_PT)
    fig.tight_layout()
    return fig


def show_misclassified(images, t_true, t_pred, class_names=None, max_images=40, ncols=10, size=0.9):
    """The images whose prediction is wrong, titled ``true -> predicted``.

    ``images``, ``t_true``, ``t_pred`` cover the whole set; only the first
    ``max_images`` mistakes are shown.
    """
    t_true, t_pred = np.asarray(t_true).ravel(), np.asarray(t_pred).ravel()
    if not (len(images) == len(t_true) == len(t_pred)):
        raise ValueError(_("{images} images, {labels} labels and {predictions} predictions: "
                           "they must match", images=len(images), labels=len(t_true),
                           predictions=len(t_pred)))
    wrong = np.flatnonzero(t_true != t_pred)[:max_images]
    if len(wrong) == 0:
        raise ValueError(_("there are no misclassified images to show"))
    name = (lambda k: str(class_names[k])) if class_names is not None else str
    labels = [f"{name(t_true[i])} \u2192 {name(t_pred[i])}" for i in wrong]
    return show_images(np.asarray(images)[wrong], labels, ncols=ncols, size=size)


def show_feature_maps(maps, ncols=8, title=None, size=1.1, cmap="viridis"):
    """The channels of one image's feature maps ``(C, H, W)``, each on its own colour scale.

    By default 8 to a row, each about 110 pixels wide in a notebook.
    """
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim == 4 and maps.shape[0] == 1:
        maps = maps[0]
    if maps.ndim != 3:
        raise ValueError(_("feature maps must have shape (C, H, W) (or (1, C, H, W)), got "
                           "{shape}", shape=maps.shape))
    return show_images(maps, ncols=ncols, title=title, cmap=cmap, size=size,
                       interpolation="nearest")
