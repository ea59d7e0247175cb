"""Small training experiments repeated over seeds, and the figures of chapters 5 and 6.

One training run says little: a different seed (other initial weights, other
mini-batches, other random transforms) moves a test accuracy on 1,000 images
by about a point.  So chapter 5 compares *groups* of runs:

    >>> plain = train_runs(x_train[:1000], t_train[:1000], x_test, t_test, epochs=30,
    ...                    seeds=(0, 1, 2))
    >>> print(describe("no augmentation", plain))

- :func:`train_run` trains one seeded ``SimpleConvNet`` and returns what was
  measured (accuracies on the original training images and on the test
  images, learning curves, seconds per step);
- :func:`train_runs` repeats it for several seeds; :func:`mean_and_error`
  and :func:`describe` summarise a group (mean over seeds with its standard
  error, next to one run's binomial standard error);
- :func:`plot_groups`, :func:`plot_curves` and :func:`show_grid` draw the
  chapter's figures with text readable at the displayed size;
- :func:`mlp`, :func:`running_median` and :func:`loss_summary` are chapter 6's
  small fully connected network and the statistics of its loss curves;
  :class:`ClippedAdam` is Adam with gradient clipping; :func:`with_batchnorm`
  puts batch normalisation after every convolution of a network (chapter 4);
- :func:`class_means`, :func:`nearest_mean_predict`, :func:`nearest_mean_accuracy` and
  :func:`closest_class_pairs`
  compare how hard two datasets are; :func:`matmul_gflops` measures this
  machine's float32 matrix product.
"""
import time

import numpy as np

from .i18n import _, ljust
from .optimizers import Adam
from .stats import binomial_std_error

__all__ = ["train_run", "train_runs", "mean_and_error", "describe", "plot_groups", "plot_curves",
           "show_grid",
           "mlp", "running_median", "loss_summary", "class_means", "nearest_mean_predict",
           "nearest_mean_accuracy", "closest_class_pairs",
           "matmul_gflops", "ClippedAdam", "with_batchnorm"]

# font size of labels in these figures: at least 9 pt even when the notebook shrinks them a little
LABEL_PT = 11


# ---------------------------------------------------------------------------
# Training runs (chapter 5)


def train_run(x_train, t_train, x_test, t_test, epochs, augment=None, seed=0, n_eval=500,
              batch_size=100,
              lr=0.001, network=None, x_val=None, t_val=None):
    """Train a seeded network with Adam and measure it; returns a dict.

    x_train (N, 1, 28, 28), t_train (N,): the training images (all of them are
    used); x_test, t_test: the test images, measured once at the end;
    x_val, t_val: validation images for the learning curve (optional).
    ``augment(x_batch, rng)`` is applied to every training mini-batch.
    ``network`` defaults to ``SimpleConvNet(seed=seed)``.  The dict holds
    ``network``, ``train_acc`` (on the *original* training images),
    ``test_acc``, ``n_test``, ``gap`` (train - test),
    ``train_curve``/``val_curve`` (accuracy on ``n_eval`` training and
    validation images after each epoch; ``val_curve`` is empty without
    validation images), ``seconds`` and ``step_seconds`` (training time per
    step, evaluations included).
    """
    from .networks import SimpleConvNet
    from .trainer import Trainer

    if len(x_train) != len(t_train) or len(x_test) != len(t_test):
        raise ValueError(_("images and labels differ in number: {x_train} and {t_train} "
                           "training, {x_test} and {t_test} test; pass matching slices",
                           x_train=len(x_train), t_train=len(t_train), x_test=len(x_test),
                           t_test=len(t_test)))
    network = SimpleConvNet(seed=seed) if network is None else network
    trainer = Trainer(network, x_train, t_train, x_test, t_test, epochs=epochs,
                      mini_batch_size=batch_size,
                      optimizer="Adam", optimizer_param={"lr": lr},
                      evaluate_sample_num_per_epoch=n_eval,
                      verbose=False, seed=seed, augment=augment, x_val=x_val, t_val=t_val)
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    network.eval()
    train_acc = float(network.accuracy(x_train, t_train))
    test_acc = float(network.accuracy(x_test, t_test))
    return {"network": network, "seed": seed, "train_acc": train_acc, "test_acc": test_acc,
            "n_test": len(t_test),
            "gap": train_acc - test_acc, "val_curve": list(trainer.val_acc_list),
            "train_curve": list(trainer.train_acc_list), "seconds": seconds,
            "step_seconds": seconds / max(1, trainer.current_iter)}


def train_runs(x_train, t_train, x_test, t_test, epochs, augment=None, seeds=(0, 1, 2), **kw):
    """``train_run`` once per seed; returns the list of result dicts."""
    return [train_run(x_train, t_train, x_test, t_test, epochs, augment=augment, seed=s, **kw)
            for s in seeds]


def mean_and_error(runs, key="test_acc"):
    """Mean of ``key`` over the runs and its standard error (``std / sqrt(k)``, 0 for one run)."""
    values = np.array([r[key] for r in runs], dtype=np.float64)
    if values.size == 0:
        raise ValueError(_("no runs to summarise: pass a non-empty list of train_run results"))
    err = values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else 0.0
    return float(values.mean()), float(err)


def describe(name, runs):
    """Two lines: the test accuracy (mean ± standard error over the seeds, and each run),
    then, indented, the training accuracy, the binomial error and the time per step.

    The binomial standard error of one run on its test images is shown too:
    seed-to-seed scatter much larger than it means the training, not the test
    sample, is what varies.  Each line stays within 90 characters for names of up
    to 26, so that a notebook does not wrap it.
    """
    test, test_err = mean_and_error(runs)
    train, train_err = mean_and_error(runs, "train_acc")
    singles = ", ".join(f"{100 * r['test_acc']:.1f}" for r in runs)
    binomial = binomial_std_error(test, runs[0]["n_test"])
    step_ms = 1e3 * np.mean([r["step_seconds"] for r in runs])
    indent = " " * 27
    fields = dict(name=ljust(name, 26), test=100 * test, test_err=100 * test_err,
                  singles=singles, train=100 * train, train_err=100 * train_err,
                  binomial=100 * binomial, ms=step_ms)
    if len(runs) == 1:          # no spread over seeds to show: say so rather than print "± 0"
        return (_("{name} test {test:5.2f} %  (one run)", **fields) + "\n" + indent
                + _("train {train:5.1f} %  (binomial ± {binomial:.2f}; {ms:.0f} ms per step)",
                    **fields))
    return (_("{name} test {test:5.2f} ± {test_err:.2f} %  [{singles}]", **fields) + "\n" + indent
            + _("train {train:5.1f} ± {train_err:.1f} %  (binomial ± {binomial:.2f} per run; "
                "{ms:.0f} ms per step)", **fields))


# ---------------------------------------------------------------------------
# Figures


def plot_groups(ax, groups, key="test_acc", ylabel=None):
    """Bars of mean ``key`` (in %) with standard-error bars, one dot per seed.

    ``ylabel``: the label of the y axis (default "test accuracy (%)").

    groups: list of ``(label, {series name: runs})``; every group holds the
    same series (e.g. "no augmentation", "augmentation").
    """
    series = list(groups[0][1])
    width = 0.8 / len(series)
    low = 100.0
    for j, name in enumerate(series):
        xs = np.arange(len(groups)) + (j - (len(series) - 1) / 2) * width
        stats = [mean_and_error(runs[name], key) for label, runs in groups]
        means = [100 * m for m, e in stats]
        ax.bar(xs, means, width, yerr=[100 * e for m, e in stats], capsize=4, color=f"C{j}",
               alpha=0.75,
               label=name)
        for x, (label, runs) in zip(xs, groups):
            values = [100 * r[key] for r in runs[name]]
            low = min(low, *values)
            ax.plot(np.full(len(values), x), values, "k.", ms=5)
    ax.set_xticks(np.arange(len(groups)), [label for label, runs in groups], fontsize=LABEL_PT)
    ax.set_ylim(max(0.0, low - 8), 100)
    ax.set_ylabel(_("test accuracy (%)") if ylabel is None else ylabel, fontsize=LABEL_PT)
    ax.tick_params(labelsize=LABEL_PT)
    ax.legend(fontsize=LABEL_PT - 1, loc="lower "
                                         "center", bbox_to_anchor=(0.5, 1.0), ncol=len(series),
              frameon=False)                     # above the axes: never over a bar
    return ax


def plot_curves(ax, runs_by_name, title=None):
    """Training (dashed) and validation (solid) accuracy per epoch, each group's mean over seeds.

    Runs made without validation images show their training curve alone.
    """
    for j, (name, runs) in enumerate(runs_by_name.items()):
        train = 100 * np.mean([r["train_curve"] for r in runs], axis=0)
        epochs = np.arange(1, len(train) + 1)
        ax.plot(epochs, train, "--", color=f"C{j}", label=_("{name}: train", name=name))
        if all(len(r["val_curve"]) for r in runs):
            val = 100 * np.mean([r["val_curve"] for r in runs], axis=0)
            ax.plot(epochs, val, "-", color=f"C{j}", label=_("{name}: validation", name=name))
    ax.set_xlabel(_("epoch"), fontsize=LABEL_PT)
    ax.set_ylabel(_("accuracy (%)"), fontsize=LABEL_PT)
    ax.tick_params(labelsize=LABEL_PT)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=LABEL_PT - 1)
    if title:
        ax.set_title(title, fontsize=LABEL_PT + 1)
    return ax


def show_grid(rows, row_names, title=None, cell=0.75):
    """Show one row of images per transform, labelled on the left.

    rows: list of (N, 1, H, W) batches with the same N; row_names: one label
    each.  ``cell`` is the size of one image in inches: the figure stays
    narrow enough (about 9 inches for 10 columns) to be shown without
    shrinking, so the labels keep their ``LABEL_PT`` points.
    """
    import matplotlib.pyplot as plt

    if len(rows) != len(row_names):
        raise ValueError(_("{rows} rows of images but {names} names: give one name per row",
                           rows=len(rows), names=len(row_names)))
    n_rows, n_cols = len(rows), len(rows[0])
    fig, axes = plt.subplots(n_rows, n_cols,
                             figsize=(cell * n_cols + 1.6, cell * n_rows + (0.4 if title else 0)),
                             squeeze=False)
    for i, (batch, name) in enumerate(zip(rows, row_names)):
        for j in range(n_cols):
            axes[i, j].imshow(batch[j, 0], cmap="gray", vmin=0, vmax=1)
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
        axes[i, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=LABEL_PT)
    if title:
        fig.suptitle(title, fontsize=LABEL_PT + 1)
    fig.tight_layout(pad=0.3, h_pad=0.2, w_pad=0.2)
    plt.show()


# ---------------------------------------------------------------------------
# Chapter 6: a small fully connected network and its loss curves


def mlp(seed=0, sizes=(784, 100, 100, 10)):
    """Fully connected ReLU network (Affine - Relu - ... - Affine), He initial weights, float32."""
    from .layers import Affine, Relu
    from .networks import Sequential

    rng = np.random.default_rng(seed)
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        W = (np.sqrt(2 / fan_in) * rng.standard_normal((fan_in, fan_out))).astype(np.float32)
        layers.append(Affine(W, np.zeros(fan_out, np.float32)))
        if i < len(sizes) - 2:
            layers.append(Relu())
    return Sequential(layers)


class ClippedAdam(Adam):
    """Adam that first scales all gradients down together when their norm exceeds ``max_norm``.

    The global norm is ``sqrt(sum of g**2 over every parameter)``; above
    ``max_norm`` each gradient is multiplied by ``max_norm / norm`` (its
    direction is kept).  ``clipped`` counts the steps that were clipped and
    ``norms`` keeps every step's norm before clipping.
    """

    def __init__(self, lr=0.001, max_norm=1.0, **adam_param):
        if not max_norm > 0:
            raise ValueError(_("max_norm must be positive, got {value!r}", value=max_norm))
        super().__init__(lr, **adam_param)
        self.max_norm, self.clipped, self.norms = float(max_norm), 0, []

    def update(self, params, grads):
        norm = float(np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g
                                 in grads.values())))
        self.norms.append(norm)
        if norm > self.max_norm:
            self.clipped += 1
            grads = {key: g * np.float32(self.max_norm / norm) if g.dtype == np.float32 else g
                     * (self.max_norm / norm)
                     for key, g in grads.items()}
        super().update(params, grads)


def running_median(values, window):
    """Median of the last ``window`` values (fewer at the start), at every position."""
    values = np.asarray(values, dtype=np.float64)
    return np.array([np.median(values[max(0, i - window + 1):i + 1]) for i in range(len(values))])


def loss_summary(losses, spike_factor=5.0, window=100):
    """What a loss curve did: a dict of ``start`` (median of the first 10 % of the steps),
    ``end`` (median of the last 20 %), ``late_max`` and ``late_at`` (the largest loss after
    the first 10 % and its step) and ``spikes`` (steps whose loss exceeds ``spike_factor``
    times the median of the ``window`` steps before)."""
    loss = np.asarray(losses, dtype=np.float64)
    n = len(loss)
    if n < max(10, window + 1):
        raise ValueError(_("a loss curve of {steps} steps is too short to summarise; need at "
                           "least {needed}", steps=n, needed=max(10, window + 1)))
    before = np.array([np.median(loss[i - window:i]) for i in range(window, n)])
    late = loss[n // 10:]
    return {"start": float(np.median(loss[:n // 10])), "end": float(np.median(loss[-(n // 5):])),
            "late_max": float(late.max()), "late_at": n // 10 + int(late.argmax()),
            "spikes": int(np.sum(loss[window:] > spike_factor * before))}


# ---------------------------------------------------------------------------
# Chapter 6: how hard is a dataset?  And how fast is this machine?


def class_means(x, t, n_classes=10):
    """Mean image of each class: x (N, ...) and labels t (N,) give (n_classes, D), D pixels each."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    t = np.asarray(t)
    if len(x) != len(t):
        raise ValueError(_("{images} images but {labels} labels: pass matching arrays",
                           images=len(x), labels=len(t)))
    missing = [k for k in range(n_classes) if not np.any(t == k)]
    if missing:
        raise ValueError(_("no image of class {classes} among the {count} given: pass more "
                           "images", classes=missing, count=len(t)))
    return np.stack([x[t == k].mean(axis=0) for k in range(n_classes)])


def nearest_mean_predict(means, x):
    """Class of the nearest mean (Euclidean distance) of each image: x (N, ...), means (C, D)."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    if x.shape[1] != means.shape[1]:
        raise ValueError(_("images of {pixels} pixels but class means of {mean_pixels}: use the "
                           "same dataset", pixels=x.shape[1], mean_pixels=means.shape[1]))
    d2 = (x * x).sum(1)[:, None] - 2 * x @ means.T + (means * means).sum(1)[None, :]
    return d2.argmin(axis=1)


def nearest_mean_accuracy(means, x, t):
    """Accuracy of the nearest-class-mean classifier: each image (N, ...) gets the class whose
    mean (from :func:`class_means`, shape (C, D)) is closest in Euclidean distance."""
    return float(np.mean(nearest_mean_predict(means, x) == np.asarray(t)))


def closest_class_pairs(means, k=5):
    """The ``k`` pairs of classes whose mean images are closest: ``(distance, i, j)`` with i < j."""
    c = len(means)
    pairs = [(float(np.linalg.norm(means[i] - means[j])), i, j) for i in range(c) for j
             in range(i + 1, c)]
    return sorted(pairs)[:k]


def matmul_gflops(n=2048, repeats=3, dtype=np.float32, seed=0):
    """Measured speed of an ``n x n`` by ``n x n`` matrix product, in GFLOP/s (best of ``repeats``).

    The product takes ``2 n^3`` floating-point operations (a multiplication and
    an addition per term).  Returns ``(gflops, seconds)`` of the fastest repeat.
    """
    if int(n) != n or n < 1 or int(repeats) != repeats or repeats < 1:
        raise ValueError(_("n and repeats must be positive whole numbers, got n={n!r}, "
                           "repeats={repeats!r}", n=n, repeats=repeats))
    rng = np.random.default_rng(seed)
    a, b = rng.random((n, n)).astype(dtype), rng.random((n, n)).astype(dtype)
    best = np.inf
    for _repeat in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9, best


# ---------------------------------------------------------------------------
# Chapter 4: batch normalisation after every convolution


def with_batchnorm(network):
    """A ``Sequential`` with a ``BatchNormalization`` (gamma 1, beta 0) after every convolution.

    Takes over the layers of ``network`` (e.g. a seeded ``DeepConvNet``; do
    not train both) and its loss layer: conv - BN - ReLU - ... .  The
    parameters keep their keys (``W1, b1``) and gain ``gamma1, beta1`` beside
    each convolution's.
    """
    from .layers import BatchNormalization
    from .networks import Sequential

    layers = []
    for layer in network.layers:
        layers.append(layer)
        W = getattr(layer, "W", None)
        # a convolution: one (gamma, beta) per filter
        if W is not None and W.ndim == 4:
            layers.append(BatchNormalization(np.ones(W.shape[0], W.dtype),
                                             np.zeros(W.shape[0], W.dtype)))
    if len(layers) == len(network.layers):
        raise ValueError(_("the network has no convolution (no layer with a 4-D weight W) to "
                           "normalise after"))
    return Sequential(layers, network.last_layer)
