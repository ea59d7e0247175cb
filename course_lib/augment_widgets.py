"""An interactive explorer for the augmentation transforms (ipywidgets + matplotlib).

``augment_explorer(images, labels)`` shows one image next to its transformed
version, with sliders for the rotation angle, the shift, the zoom factor,
brightness and contrast and a check box for a horizontal flip.  Given a
network, it also shows what the network predicts for the transformed image,
so one can watch where the answer changes.
"""

import contextlib

import numpy as np

from . import augment as A
from .i18n import _
from .widgets import Explorer

__all__ = ["transform_image", "augment_explorer", "AugmentExplorer"]


def transform_image(image, angle=0.0, dx=0.0, dy=0.0, scale=1.0, brightness=0.0,
                    contrast=1.0, flip=False):
    """Apply the explorer's transforms, in a fixed order, to one image.

    ``image``: (H, W), (C, H, W) or (1, C, H, W), values in [0, 1].
    Order: flip, zoom, rotation, shift, brightness/contrast.  Returns a
    (1, C, H, W) batch.
    """
    x = np.asarray(image)
    if x.ndim == 2:
        x = x[None, None]
    elif x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(_("image must be one image, (H, W), (C, H, W) or (1, C, H, W); got "
                           "shape {shape}.", shape=np.shape(image)))
    if flip:
        x = A.flip_horizontal(x)
    if scale != 1.0:
        x = A.zoom(x, scale)
    if angle != 0.0:
        x = A.rotate(x, angle)
    if dx != 0.0 or dy != 0.0:
        x = A.shift(x, dx, dy)
    if brightness != 0.0 or contrast != 1.0:
        x = A.adjust_brightness_contrast(x, brightness, contrast)
    return x


class AugmentExplorer(Explorer):
    """Sliders over one image of a batch and its transformed version; see ``augment_explorer``."""

    def __init__(self, images, labels=None, class_names=None, network=None, index=0):
        super().__init__()
        images = np.asarray(images)
        if images.ndim == 3:
            images = images[:, None]
        if images.ndim != 4 or len(images) == 0:
            raise ValueError(_("images must be a non-empty batch (N, 1, H, W) or (N, H, W); got "
                               "shape {shape}.", shape=images.shape))
        if labels is not None and len(labels) != len(images):
            raise ValueError(_("got {images} images but {labels} labels.", images=len(images),
                               labels=len(labels)))
        self.images, self.labels = images, labels
        self.class_names, self.network = class_names, network
        h, w = images.shape[2:]
        self.controls = {
            "index": self._slider(_("image"), index, 0, len(images) - 1),
            "angle": self._slider(_("angle (deg)"), 0.0, -180.0, 180.0, step=5.0),
            "dx": self._slider(_("shift x"), 0.0, -(w // 2), w // 2, step=0.5),
            "dy": self._slider(_("shift y"), 0.0, -(h // 2), h // 2, step=0.5),
            "scale": self._slider(_("zoom"), 1.0, 0.5, 2.0, step=0.05),
            "brightness": self._slider(_("brightness"), 0.0, -0.5, 0.5, step=0.05),
            "contrast": self._slider(_("contrast"), 1.0, 0.0, 2.0, step=0.05),
            "flip": self._widgets.Checkbox(value=False, description=_("flip left-right")),
        }
        c = self.controls
        self._start([[c["index"], c["flip"]], [c["angle"], c["scale"]], [c["dx"], c["dy"]],
                     [c["brightness"], c["contrast"]]])

    def values(self):
        return {k: control.value for k, control in self.controls.items()}

    def _name(self, k):
        return self.class_names[k] if self.class_names is not None else str(k)

    def figure(self):
        import matplotlib.pyplot as plt

        v = self.values()
        index = v.pop("index")
        original = self.images[index:index + 1]
        out = transform_image(original, **v)
        network = self.network
        ncols = 3 if network is not None else 2
        fig, axes = plt.subplots(1, ncols, figsize=(3.2 * ncols, 3.2))
        title = (_("original") if self.labels is None
                 else _("original: {label}", label=self._name(int(self.labels[index]))))
        for ax, img, t in ((axes[0], original, title), (axes[1], out, _("transformed"))):
            ax.imshow(img[0].transpose(1, 2, 0).squeeze(), cmap="gray", vmin=0, vmax=1)
            ax.set_title(t)
            ax.axis("off")
        if network is not None:
            # predict in evaluation mode (no dropout), whatever mode the network is in
            evaluating = (network.mode(False) if hasattr(network, "mode")
                          else contextlib.nullcontext())
            with evaluating:
                scores = np.asarray(network.predict(out.astype(self.images.dtype)),
                                    dtype=np.float64)[0]
            p = np.exp(scores - scores.max())
            p /= p.sum()
            k = int(np.argmax(p))
            axes[1].set_title(_("network says: {label} ({probability:.0%})", label=self._name(k),
                                probability=p[k]))
            axes[2].barh(np.arange(len(p)), p, color="tab:blue")
            axes[2].set_yticks(np.arange(len(p)), [self._name(i) for i in range(len(p))])
            axes[2].invert_yaxis()
            axes[2].set_xlim(0, 1)
            axes[2].set_xlabel(_("probability"))
        fig.tight_layout()
        return fig


def augment_explorer(images, labels=None, class_names=None, network=None, index=0):
    """Sliders over one of ``images`` ((N, 1, H, W) or (N, H, W)); display the returned object.

    ``labels`` and ``class_names`` label the picture; ``network`` (anything
    with ``predict(x)``) adds a bar chart of the predicted class
    probabilities for the transformed image, so one can watch where the answer
    changes.  The returned ``AugmentExplorer`` keeps its controls in ``controls``
    and the figure it drew last in ``last_figure``.
    """
    return AugmentExplorer(images, labels, class_names, network, index)
