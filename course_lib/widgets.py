"""Figures and interactive explorers for the convolution and pooling chapters.

Every explorer comes in two parts:

* a pure function that computes or draws, with no widget involved
  (``conv_geometry``, ``draw_conv_window``, ``draw_conv_step``,
  ``draw_receptive_field``, ``draw_pool_window``, ``draw_pool_gradient``,
  in ``course_lib.window_figures`` and importable from here too).
  Each drawing function returns a matplotlib figure, so it can be shown in a
  notebook, saved, or inspected by a test;
* a thin ipywidgets wrapper that redraws that figure whenever a control moves
  (``conv_explorer``, ``pool_explorer``).  All the course's explorers, chapter 5's
  ``augment_explorer`` included, are built on one class, ``Explorer``.
"""
import base64
import io

import matplotlib.pyplot as plt
import numpy as np

from .i18n import _
from .window_figures import (POOL_KNOBS, ConvGeometry, conv_geometry, draw_conv_step,
                             draw_conv_window, draw_pool_gradient, draw_pool_window,
                             draw_receptive_field, receptive_field_size)

__all__ = ["ConvGeometry", "conv_geometry", "draw_conv_window", "draw_conv_step",
           "receptive_field_size",
           "draw_receptive_field", "draw_pool_window", "draw_pool_gradient", "conv_explorer",
           "pool_explorer",
           "Explorer", "ConvExplorer", "PoolExplorer"]


def _positions(n, step):
    """The first pixel of each of ``n`` windows ``step`` apart, shortened: ``0, 2, ..., 10``."""
    starts = [k * step for k in range(n)]
    if len(starts) > 6:
        return f"{starts[0]}, {starts[1]}, {starts[2]}, ..., {starts[-1]}"
    return ", ".join(str(v) for v in starts)


def _where(g, out_row, out_col, over):
    """One line: where the windows start and what the chosen output pixel is computed from.

    ``over``: what the windows slide over, ``"padded input"``, ``"input"`` or ``"image"``.
    """
    top, left = out_row * g.S, out_col * g.S
    fields = dict(rows=_positions(g.out_h, g.S), cols=_positions(g.out_w, g.S), row=out_row,
                  col=out_col, top=top, bottom=top + g.FH - 1, left=left,
                  right=left + g.FW - 1)
    if over == "padded input":
        return _("windows start at rows {rows} and columns {cols} of the padded input; output "
                 "pixel ({row}, {col}) comes from rows {top} to {bottom} and columns {left} to "
                 "{right}", **fields)
    if over == "input":
        return _("windows start at rows {rows} and columns {cols} of the input; output pixel "
                 "({row}, {col}) comes from rows {top} to {bottom} and columns {left} to {right}",
                 **fields)
    return _("windows start at rows {rows} and columns {cols} of the image; output pixel ({row}, "
             "{col}) comes from rows {top} to {bottom} and columns {left} to {right}", **fields)


class Explorer:
    """Every explorer of the course: rows of controls, a figure redrawn whenever one moves.

    A subclass makes its controls, then calls ``_start(rows)``; it draws in
    ``figure()``, which returns a matplotlib figure built from the controls'
    values.  The explorer displays as its ``widget`` (an ipywidgets ``VBox``) and
    keeps the last figure it drew in ``last_figure``.
    """

    def __init__(self):
        import ipywidgets as widgets
        self._widgets = widgets
        self.output = widgets.Output()
        self._busy = False
        self.last_figure = None

    def _slider(self, description, value, lo, hi, step=1):
        """An integer slider, or a float one when ``step`` is not whole."""
        cls = self._widgets.IntSlider if float(step).is_integer() else self._widgets.FloatSlider
        return cls(value=value, min=lo, max=hi, step=step, description=description,
                   continuous_update=False,
                   style={"description_width": "initial"})

    def _layout(self, rows):
        """The widgets shown, top to bottom (a subclass may add its own under the controls)."""
        return [self._widgets.HBox(row) for row in rows] + [self.output]

    def _start(self, rows):
        """Lay out ``rows`` of controls above the figure, watch them, and draw."""
        self.widget = self._widgets.VBox(self._layout(rows))
        self._watch([c for row in rows for c in row])
        self._changed()

    def _watch(self, controls):
        for control in controls:
            control.observe(self._changed, names="value")

    def _changed(self, change=None):
        if self._busy:
            return
        self._busy = True
        try:
            self.sync()
        finally:
            self._busy = False
        self.redraw()

    def sync(self):
        """Bring dependent controls in line after a change (nothing by default)."""

    def figure(self):
        raise NotImplementedError

    def redraw(self):
        from IPython.display import display
        fig = self.figure()
        self.last_figure = fig
        with self.output:
            self.output.clear_output(wait=True)
            display(fig)
        plt.close(fig)

    def picture(self):
        """The figure drawn last, as PNG bytes (``None`` before the first drawing)."""
        if self.last_figure is None:
            return None
        buffer = io.BytesIO()
        self.last_figure.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()

    def _repr_mimebundle_(self, **kwargs):
        """The live widget, with a picture of its figure and a sentence as fallbacks.

        A front end that can run the widget shows it.  One that cannot (a notebook
        opened before it is run or trusted, a static viewer) shows the picture of the
        explorer's current figure instead of the widget's raw description
        (``VBox(children=...``), and a text-only one shows the sentence.
        """
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = _("<{name}: its controls need a running kernel; run the cell to "
                                 "use them>", name=type(self).__name__)
        png = self.picture()
        if png is not None:
            bundle["image/png"] = base64.b64encode(png).decode("ascii")
        return bundle


class _Explorer(Explorer):
    """An explorer of a window moving over an image: controls, the output pixel's position
    sliders, a status line, and the figure.

    The figure says everything about the geometry (sizes, formula, and why a
    choice does not fit); the status line under the controls only says what the
    figure does not: where the windows start and which input pixels the chosen
    output pixel comes from, or that the position sliders are off.
    """

    def __init__(self):
        super().__init__()
        self.status = self._widgets.HTML()
        self.out_row = self._slider(_("output row"), 0, 0, 0)
        self.out_col = self._slider(_("output col"), 0, 0, 0)

    def _layout(self, rows):
        w = self._widgets
        return [w.HBox(row) for row in rows] + [w.HBox([self.out_row, self.out_col]), self.status,
                                                self.output]

    def _start(self, rows, out_row=0, out_col=0):
        """Lay out ``rows`` of controls, then the position sliders, the status line, the figure."""
        self.widget = self._widgets.VBox(self._layout(rows))
        self._watch([c for row in rows for c in row] + [self.out_row, self.out_col])
        self._busy = True
        try:
            self.sync()
            self.out_row.value = min(out_row, self.out_row.max)
            self.out_col.value = min(out_col, self.out_col.max)
            self.sync()
        finally:
            self._busy = False
        self.redraw()

    def geometry(self):
        raise NotImplementedError

    def sync(self):
        """Bring the position sliders in line with the geometry, and write the status line."""
        import html
        g = self.geometry()
        for slider, n in ((self.out_row, g.out_h), (self.out_col, g.out_w)):
            slider.disabled = n is None
            slider.max = max((n or 1) - 1, 0)
        if g.valid:
            text, color = self.where(g), "black"
        else:
            text = _("no output pixel to choose: the position sliders are off until the sizes "
                     "fit")
            color = "darkred"
        self.status.value = f"<span style='color:{color}'>{html.escape(text)}</span>"

    def where(self, g):
        raise NotImplementedError

class ConvExplorer(_Explorer):
    """Sliders for H, W, FH, FW, P, S and the output position; see ``conv_explorer``."""

    def __init__(self, H=7, W=7, FH=3, FW=3, P=0, S=1, out_row=0, out_col=0, max_size=12,
                 max_filter=7,
                 max_pad=3, max_stride=4):
        super().__init__()
        self.controls = {
            "H": self._slider(_("input H"), H, 1, max_size),
            "W": self._slider(_("input W"), W, 1, max_size),
            "FH": self._slider(_("filter FH"), FH, 1, max_filter),
            "FW": self._slider(_("filter FW"), FW, 1, max_filter),
            "P": self._slider(_("padding P"), P, 0, max_pad),
            "S": self._slider(_("stride S"), S, 1, max_stride),
        }
        c = self.controls
        self._start([[c["H"], c["W"]], [c["FH"], c["FW"]], [c["P"], c["S"]]], out_row, out_col)

    def values(self):
        return {k: s.value for k, s in self.controls.items()}

    def geometry(self):
        return conv_geometry(**self.values())

    def where(self, g):
        return _where(g, self.out_row.value, self.out_col.value,
                      "padded input" if g.P else "input")

    def figure(self):
        return draw_conv_window(**self.values(), out_row=self.out_row.value,
                                out_col=self.out_col.value)


def conv_explorer(H=7, W=7, FH=3, FW=3, P=0, S=1, out_row=0, out_col=0):
    """An explorer of convolution arithmetic: display the returned object in a notebook.

    Sliders set the input size, the filter size, the padding and the stride; two
    more move the output pixel, whose window is drawn on the padded input.  The
    figure gives the output size and the formula, or why there is none.
    """
    return ConvExplorer(H, W, FH, FW, P, S, out_row, out_col)


class PoolExplorer(_Explorer):
    """A pooling window moving over one of a batch of images; see ``pool_explorer``."""

    def __init__(self, images, labels=None, pool_size=2, stride=2, mode="max", out_row=0,
                 out_col=0):
        super().__init__()
        images = np.asarray(images)
        if images.ndim == 4 and images.shape[1] == 1:
            images = images[:, 0]
        if images.ndim == 2:
            images = images[None]
        if images.ndim != 3 or len(images) == 0:
            raise ValueError(_("images must be a non-empty batch (N, H, W) or (N, 1, H, W), got "
                               "shape {shape}", shape=np.shape(images)))
        if labels is not None and len(labels) != len(images):
            raise ValueError(_("got {images} images but {labels} labels", images=len(images),
                               labels=len(labels)))
        self.images, self.labels = images, labels
        w = self._widgets
        self.index = self._slider(_("image"), 0, 0, len(images) - 1)
        self.pool_size = self._slider(_("window size"), pool_size, 1, 7)
        self.stride = self._slider(_("stride"), stride, 1, 7)
        # a drop-down sits on one line with its label, like the sliders (toggle buttons wrap
        # under their label in a narrow row)
        self.mode = w.Dropdown(options=[(_("max"), "max"), (_("avg"), "avg")], value=mode,
                               description=_("mode"),
                               style={"description_width": "initial"},
                               layout=w.Layout(width="10em"))
        self._start([[self.index, self.mode], [self.pool_size, self.stride]], out_row, out_col)

    def geometry(self):
        H, W = self.images.shape[1:]
        return conv_geometry(H, W, self.pool_size.value, self.pool_size.value, 0, self.stride.value,
                             knobs=POOL_KNOBS)

    def where(self, g):
        return _where(g, self.out_row.value, self.out_col.value, "image")

    def figure(self):
        label = None if self.labels is None else self.labels[self.index.value]
        return draw_pool_window(self.images[self.index.value], self.pool_size.value,
                                self.stride.value,
                                self.out_row.value, self.out_col.value, self.mode.value,
                                label=label)


def pool_explorer(images, labels=None, pool_size=2, stride=2, mode="max", out_row=0, out_col=0):
    """Move a pooling window over ``images`` ((N, H, W) or (N, 1, H, W)); display what it returns.

    ``out_row``, ``out_col``: the output pixel shown first (pick one on a stroke).
    """
    return PoolExplorer(images, labels, pool_size, stride, mode, out_row, out_col)
