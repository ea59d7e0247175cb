"""The figures of the convolution and pooling chapters: windows, steps, receptive fields.

Pure functions with no widget involved: ``conv_geometry`` computes an output
size (or says why there is none); ``draw_conv_window``, ``draw_conv_step``,
``draw_receptive_field``, ``draw_pool_window`` and ``draw_pool_gradient``
each return a matplotlib figure, so it can be shown in a notebook, saved, or
inspected by a test.  ``course_lib.widgets`` redraws them under controls.
"""
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from . import i18n
from .i18n import _
from .layers import Pooling
from .naive import conv_forward_naive

__all__ = ["ConvGeometry", "conv_geometry", "draw_conv_window", "draw_conv_step",
           "receptive_field_size",
           "draw_receptive_field", "draw_pool_window", "draw_pool_gradient"]

WINDOW_COLOR = "tab:red"
PAD_COLOR = "0.82"
WINDOW_COLORS = ["tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown",
                 "tab:pink",
                 "tab:olive", "tab:cyan"]


# ---------------------------------------------------------------------------
# Output size of a convolution, with the reason when there is none
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ConvGeometry:
    """The output size of a convolution (or pooling), or why the choice is invalid.

    ``out_h`` and ``out_w`` are ``None`` along an axis where the numbers give no
    whole output; ``error`` then explains it in a few sentences (one line each,
    one sentence for both axes when they fail alike), ending with what to change.
    """

    H: int
    W: int
    FH: int
    FW: int
    P: int
    S: int
    out_h: "int | None"
    out_w: "int | None"
    error: "str | None"

    @property
    def valid(self):
        return self.error is None

    def formula(self):
        """Both formulas with the numbers put in, e.g. ``OH = (7 + 2*0 - 3)/1 + 1 = 5``."""
        parts = []
        for name, size, f in (("OH", self.H, self.FH), ("OW", self.W, self.FW)):
            value = (size + 2 * self.P - f) / self.S + 1
            parts.append(f"{name} = ({size} + 2*{self.P} - {f})/{self.S} + 1 = {value:.3g}")
        return ",  ".join(parts)

    def describe(self):
        """``output OH x OW`` or ``invalid: <reason>``."""
        if self.valid:
            return _("output {height} x {width}", height=self.out_h, width=self.out_w)
        return _("invalid: {reason}", reason=self.error)


def _check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(_("{name} must be a whole number, got {value!r} ({type})", name=name,
                          value=value, type=type(value).__name__))
    if value < minimum:
        raise ValueError(_("{name} must be at least {minimum}, got {value}", name=name,
                           minimum=minimum, value=value))
    return int(value)


def _too_large(f, padded, P):
    if P:
        return _("the {f}-pixel filter is larger than the padded input ({padded} pixels)", f=f,
                 padded=padded)
    return _("the {f}-pixel filter is larger than the input ({padded} pixels)", f=f, padded=padded)


# Why the windows do not tile an axis: (axis, padded?) -> the sentence's template, filled in.
_NOT_WHOLE = {
    ("row", True): lambda **k: _(
        "({size} + 2*{pad} - {f})/{stride} + 1 = {value:.3g} is not a whole number: the window "
        "starting at row {start} needs rows {start} to {end}, and the padded input has rows 0 to "
        "{last} only", **k),
    ("row", False): lambda **k: _(
        "({size} + 2*{pad} - {f})/{stride} + 1 = {value:.3g} is not a whole number: the window "
        "starting at row {start} needs rows {start} to {end}, and the input has rows 0 to {last} "
        "only", **k),
    ("column", True): lambda **k: _(
        "({size} + 2*{pad} - {f})/{stride} + 1 = {value:.3g} is not a whole number: the window "
        "starting at column {start} needs columns {start} to {end}, and the padded input has "
        "columns 0 to {last} only", **k),
    ("column", False): lambda **k: _(
        "({size} + 2*{pad} - {f})/{stride} + 1 = {value:.3g} is not a whole number: the window "
        "starting at column {start} needs columns {start} to {end}, and the input has columns 0 "
        "to {last} only", **k),
    ("row and column", True): lambda **k: _(
        "({size} + 2*{pad} - {f})/{stride} + 1 = {value:.3g} is not a whole number: the window "
        "starting at row and column {start} needs rows and columns {start} to {end}, and the "
        "padded input has rows and columns 0 to {last} only", **k),
    ("row and column", False): lambda **k: _(
        "({size} + 2*{pad} - {f})/{stride} + 1 = {value:.3g} is not a whole number: the window "
        "starting at row and column {start} needs rows and columns {start} to {end}, and the "
        "input has rows and columns 0 to {last} only", **k),
}


def _axis_problem(size, f, P, S, unit):
    """Why a filter ``f`` does not tile ``size`` pixels (padding P, stride S); None if it does.

    ``unit`` names the positions ("row", "column", or "row and column" for both axes at once).
    """
    padded = size + 2 * P
    if f > padded:
        return "too large", _too_large(f, padded, P)
    if (padded - f) % S:
        start = ((padded - f) // S + 1) * S
        return "not whole", _NOT_WHOLE[unit, bool(P)](
            size=size, pad=P, f=f, stride=S, value=(padded - f) / S + 1, start=start,
            end=start + f - 1, last=padded - 1)
    return None


KNOBS = "the padding or the stride"
POOL_KNOBS = "the window size or the stride"


def _what_to_change(knobs):
    """The last line of an error: what to change so that the windows tile the input."""
    if knobs == KNOBS:
        return _("Change the padding or the stride so that the input + 2*padding - the filter is "
                 "a multiple of the stride.")
    if knobs == POOL_KNOBS:
        return _("Change the window size or the stride so that the input minus the window is a "
                 "multiple of the stride.")
    if "padding" in knobs:
        return _("Change {knobs} so that the input + 2*padding - the filter is a multiple of the "
                 "stride.", knobs=knobs)
    return _("Change {knobs} so that the input minus the window is a multiple of the stride.",
             knobs=knobs)


def conv_geometry(H, W, FH, FW, P=0, S=1, knobs=KNOBS):
    """Output size of an ``FH x FW`` filter sliding over an ``H x W`` input, padding P, stride S.

    Never raises for a geometric problem (filter too large, output not whole):
    the returned ``ConvGeometry`` says so in ``error``, which ends by naming
    ``knobs``, what the reader can change (a pooling explorer without a padding
    slider passes ``POOL_KNOBS``, "the window size or the stride").  Sizes that make no sense
    at all (negative, zero, not whole numbers) raise ``ValueError`` / ``TypeError``.
    """
    H, W = _check_int(H, "H", 1), _check_int(W, "W", 1)
    FH, FW = _check_int(FH, "FH", 1), _check_int(FW, "FW", 1)
    P, S = _check_int(P, "P", 0), _check_int(S, "S", 1)
    problems = {"height": _axis_problem(H, FH, P, S, "row"),
                "width": _axis_problem(W, FW, P, S, "column")}
    out_h = None if problems["height"] else (H + 2 * P - FH) // S + 1
    out_w = None if problems["width"] else (W + 2 * P - FW) // S + 1
    failing = {axis: p for axis, p in problems.items() if p}
    if not failing:
        return ConvGeometry(H, W, FH, FW, P, S, out_h, out_w, None)
    # the same numbers along both axes: say it once
    if len(failing) == 2 and (H, FH) == (W, FW):
        lines = [_("Height and width: {problem}.",
                   problem=_axis_problem(H, FH, P, S, "row and column")[1])]
    else:
        lines = [_("Height: {problem}.", problem=text) if axis == "height" else
                 _("Width: {problem}.", problem=text) for axis, (kind, text) in failing.items()]
    if any(kind == "too large" for kind, text in failing.values()):
        lines.append(_("Use a smaller filter or more padding.") if "padding" in knobs
                     else _("Use a smaller window."))
    else:
        lines.append(_what_to_change(knobs))
    return ConvGeometry(H, W, FH, FW, P, S, out_h, out_w, "\n".join(lines))


# ---------------------------------------------------------------------------
# Small drawing helpers
# ---------------------------------------------------------------------------
def _grid(ax, rows, cols):
    """Cell borders for an image drawn with imshow (cell (i, j) centred at (j, i))."""
    ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.grid(which="minor", color="0.55", linewidth=0.6)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)


def _box(ax, top, left, height, width, color=WINDOW_COLOR, gid=None, lw=2.5, fill=False, alpha=1.0,
         **kw):
    """A rectangle around cells ``[top, top+height) x [left, left+width)``."""
    rect = Rectangle((left - 0.5, top - 0.5), width, height, fill=fill, edgecolor=color,
                     facecolor=color,
                     linewidth=lw, alpha=alpha, clip_on=False, **kw)
    if gid:
        rect.set_gid(gid)
    ax.add_patch(rect)
    return rect


def _matrix(ax, a, fmt="{:g}", cmap="Greys", vmin=None, vmax=None, fontsize=9, title=None):
    """Draw a small 2-D array as a grid of cells with its numbers written in."""
    a = np.asarray(a, dtype=float)
    vmin = a.min() if vmin is None else vmin
    vmax = a.max() if vmax is None else vmax
    ax.imshow(a, cmap=cmap, vmin=vmin - 0.6 * (vmax - vmin + 1e-12), vmax=vmax + 0.9
              * (vmax - vmin + 1e-12),
              interpolation="nearest")
    for (i, j), v in np.ndenumerate(a):
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=fontsize)
    _grid(ax, *a.shape)
    if title:
        ax.set_title(title, fontsize=10)


# ---------------------------------------------------------------------------
# Chapter 1: the convolution window
# ---------------------------------------------------------------------------
def draw_conv_window(H, W, FH, FW, P=0, S=1, out_row=0, out_col=0, fig=None):
    """Draw the padded input, the window under output pixel ``(out_row, out_col)``, the output grid.

    Left panel: the ``(H + 2P) x (W + 2P)`` padded input (padding in grey) with
    the window (red, gid ``"window"``).  Right panel: the ``OH x OW`` output with
    the chosen pixel filled in (gid ``"output-cell"``).  When the choice is
    invalid the left panel shows the first window that hangs over the edge
    (gid ``"overhang"``) and the right panel explains why.
    Returns the figure; its suptitle holds ``conv_geometry(...).describe()``.
    """
    g = conv_geometry(H, W, FH, FW, P, S)
    if fig is None:
        fig = plt.figure(figsize=(9.5, 4.4))
    ax_in, ax_out = fig.subplots(1, 2)
    hp, wp = H + 2 * P, W + 2 * P
    mask = np.ones((hp, wp))
    mask[P:P + H, P:P + W] = 0
    ax_in.imshow(mask, cmap="Greys", vmin=0, vmax=4, interpolation="nearest")
    _grid(ax_in, hp, wp)
    ax_in.set_title(_("input {H} x {W}, padded to {hp} x {wp}", H=H, W=W, hp=hp, wp=wp) if P
                    else _("input {H} x {W}", H=H, W=W), fontsize=10)
    if g.valid:
        if not (0 <= out_row < g.out_h and 0 <= out_col < g.out_w):
            plt.close(fig)
            raise ValueError(_("output position ({row}, {col}) is outside the {height} x {width} "
                               "output; rows go from 0 to {last_row} and columns from 0 to "
                               "{last_col}", row=out_row, col=out_col, height=g.out_h,
                               width=g.out_w, last_row=g.out_h - 1, last_col=g.out_w - 1))
        top, left = out_row * S, out_col * S
        _box(ax_in, top, left, FH, FW, gid="window")
        _box(ax_in, top, left, FH, FW, gid="window-fill", fill=True, alpha=0.18, lw=0)
        ax_out.imshow(np.zeros((g.out_h, g.out_w)), cmap="Greys", vmin=0, vmax=1,
                      interpolation="nearest")
        _grid(ax_out, g.out_h, g.out_w)
        _box(ax_out, out_row, out_col, 1, 1, gid="output-cell", fill=True, alpha=0.55)
        ax_out.set_title(_("output {height} x {width}: pixel ({row}, {col})", height=g.out_h,
                           width=g.out_w, row=out_row, col=out_col), fontsize=10)
        fig.suptitle(g.formula(), fontsize=10)
    else:
        # Show the first window position that does not fit along a failing axis.
        top = left = 0
        if hp >= FH and (hp - FH) % S:
            top = ((hp - FH) // S + 1) * S
        if wp >= FW and (wp - FW) % S:
            left = ((wp - FW) // S + 1) * S
        _box(ax_in, top, left, FH, FW, gid="overhang", linestyle="--")
        ax_out.axis("off")
        ax_out.text(0.0, 0.5, _("No whole output size.") + "\n\n" + _wrap(g.error, 48),
                    ha="left", va="center",
                    fontsize=9, color="darkred", transform=ax_out.transAxes)
        fig.suptitle(g.formula(), fontsize=10, color="darkred")
    fig.tight_layout()
    return fig


def _wrap(text, width):
    """Each line of ``text`` wrapped to ``width`` columns (a Korean syllable takes two)."""
    return "\n".join(i18n.fill(line, width) for line in text.splitlines())


def draw_conv_step(x, w, out_row=0, out_col=0, stride=1, pad=0, bias=0.0):
    """One multiply-accumulate of a 2-D convolution, drawn with its numbers.

    x: ``(H, W)`` input, w: ``(FH, FW)`` filter.  Panels: the (padded) input with
    the window, the filter, and the output with the pixel being computed; the
    figure's suptitle writes the sum out.  Returns the figure.
    """
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    if x.ndim != 2 or w.ndim != 2:
        raise ValueError(_("draw_conv_step takes a 2-D input and a 2-D filter, got shapes {x} "
                           "and {w}", x=x.shape, w=w.shape))
    out = conv_forward_naive(x[None, None], w[None, None], np.array([bias]), stride, pad)[0, 0]
    if not (0 <= out_row < out.shape[0] and 0 <= out_col < out.shape[1]):
        raise ValueError(_("output position ({row}, {col}) is outside the {height} x {width} "
                           "output", row=out_row, col=out_col, height=out.shape[0],
                           width=out.shape[1]))
    xp = np.pad(x, pad)
    FH, FW = w.shape
    top, left = out_row * stride, out_col * stride
    window = xp[top:top + FH, left:left + FW]
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.6),
                             gridspec_kw={"width_ratios": [xp.shape[1], FW + 1, out.shape[1] + 1]})
    _matrix(axes[0], xp, title=_("input (padded by {pad})", pad=pad) if pad else _("input"))
    _box(axes[0], top, left, FH, FW, gid="window")
    _matrix(axes[1], w, cmap="Blues", title=_("filter"))
    _box(axes[1], 0, 0, FH, FW, color="tab:blue")
    _matrix(axes[2], out, cmap="Oranges", title=_("output"))
    _box(axes[2], out_row, out_col, 1, 1, gid="output-cell")
    terms = " + ".join(f"{a:g}*{b:g}" for a, b in zip(window.ravel(), w.ravel()))
    if len(terms) > 110:
        terms = terms[:100] + " + ..."
    fig.suptitle(f"out[{out_row}, {out_col}] = {terms}" + (f" + {bias:g}" if bias else "") +
                 f" = {out[out_row, out_col]:g}", fontsize=9)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------
# Receptive field
# ---------------------------------------------------------------------------
def receptive_field_size(filter_sizes, strides=None):
    """Side of the input region that one output pixel of a stack of convolutions depends on.

    ``filter_sizes``: the filter side of each layer, first layer first, e.g.
    ``[3, 3]``.  ``strides``: the stride of each layer (default all 1).
    ``r = 1 + sum_l (F_l - 1) * S_1 * ... * S_{l-1}``.
    """
    filter_sizes = [int(f) for f in filter_sizes]
    strides = [1] * len(filter_sizes) if strides is None else [int(s) for s in strides]
    if len(strides) != len(filter_sizes):
        raise ValueError(_("got {filters} filter sizes but {strides} strides; give one per layer",
                           filters=len(filter_sizes), strides=len(strides)))
    r, jump = 1, 1
    for f, s in zip(filter_sizes, strides):
        if f < 1 or s < 1:
            raise ValueError(_("filter sizes and strides must be at least 1, got filter {f}, "
                               "stride {s}", f=f, s=s))
        r += (f - 1) * jump
        jump *= s
    return r


def draw_receptive_field(n_layers=2, filter_size=3, grid=None):
    """Which pixels of each layer feed the centre pixel of the last one (stride 1, 'same' padding).

    One panel per layer, the input on the left: in the input the highlighted
    region is ``receptive_field_size([filter_size] * n_layers)`` wide (gid
    ``"field"`` on each highlighted rectangle).  The suptitle compares the weights
    of the stack with those of one big filter of the same reach (one channel).
    """
    n_layers = _check_int(n_layers, "n_layers", 1)
    filter_size = _check_int(filter_size, "filter_size", 1)
    r = receptive_field_size([filter_size] * n_layers)
    grid = r + 2 if grid is None else _check_int(grid, "grid", r)
    c = grid // 2
    fig, axes = plt.subplots(1, n_layers + 1, figsize=(2.6 * (n_layers + 1), 3.0))
    for k, ax in enumerate(axes):
        side = 1 + (n_layers - k) * (filter_size - 1)
        ax.imshow(np.zeros((grid, grid)), cmap="Greys", vmin=0, vmax=1)
        _grid(ax, grid, grid)
        _box(ax, c - side // 2, c - side // 2, side, side,
             color=WINDOW_COLORS[k % len(WINDOW_COLORS)],
             fill=True, alpha=0.45, lw=1.5, gid="field")
        name = _("input") if k == 0 else _("after conv {k}", k=k)
        size = f"{side} x {side}" if side > 1 else _("1 pixel")
        ax.set_title(f"{name}\n{size}", fontsize=10)
    fig.suptitle(_("{n} stacked {f}x{f} convolutions see a {r}x{r} region with {weights} weights; "
                   "one {r}x{r} filter would need {needed}", n=n_layers, f=filter_size, r=r,
                   weights=n_layers * filter_size ** 2, needed=r * r), fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    return fig


# ---------------------------------------------------------------------------
# Chapter 3: pooling
# ---------------------------------------------------------------------------
def _check_mode(mode):
    if mode not in ("max", "avg"):
        raise ValueError(_("mode must be 'max' or 'avg', got {mode!r}", mode=mode))


def _pooling_title(mode, size, stride, formula):
    """The suptitle of a pooling figure: the window, the mode, the stride and the formulas."""
    fields = dict(f=size, stride=stride, formula=formula)
    if mode == "max":
        return _("{f}x{f} max pooling, stride {stride}: {formula}", **fields)
    return _("{f}x{f} avg pooling, stride {stride}: {formula}", **fields)


def _pool(x2d, size, stride, mode):
    layer = Pooling(size, size, stride=stride, mode=mode)
    return layer, layer.forward(np.asarray(x2d, dtype=np.float64)[None, None])[0, 0]


def draw_pool_window(image, pool_size=2, stride=2, out_row=0, out_col=0, mode="max", label=None):
    """A pooling window on an image and the pooled image.

    Left: the image with the window (gid ``"window"``) and, for max pooling, the
    winning pixel (gid ``"argmax"``).  Right: the pooled image with the chosen
    output pixel (gid ``"output-cell"``).  An invalid size/stride is explained
    instead of drawn.  ``label``, if given, goes into the image's title.
    Returns the figure.
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and image.shape[0] == 1:
        image = image[0]
    if image.ndim != 2:
        raise ValueError(_("draw_pool_window takes one 2-D image (H, W) or (1, H, W), got shape "
                           "{shape}", shape=image.shape))
    _check_mode(mode)
    H, W = image.shape
    g = conv_geometry(H, W, pool_size, pool_size, 0, stride, knobs=POOL_KNOBS)
    fig, (ax_in, ax_out) = plt.subplots(1, 2, figsize=(8.5, 4.3))
    vmin, vmax = float(image.min()), float(image.max())
    ax_in.imshow(image, cmap="gray", interpolation="nearest", vmin=vmin, vmax=vmax)
    ax_in.set_xticks([])
    ax_in.set_yticks([])
    ax_in.set_title(_("image {H} x {W}", H=H, W=W) if label is None else
                    _("image {H} x {W}, label {label}", H=H, W=W, label=label), fontsize=10)
    if not g.valid:
        ax_out.axis("off")
        ax_out.text(0.0, 0.5, _("No whole output size.") + "\n\n" + _wrap(g.error, 44),
                    ha="left", va="center",
                    fontsize=9, color="darkred", transform=ax_out.transAxes)
        fig.suptitle(_pooling_title(mode, pool_size, stride, g.formula()), fontsize=10,
                     color="darkred")
        fig.tight_layout()
        return fig
    if not (0 <= out_row < g.out_h and 0 <= out_col < g.out_w):
        plt.close(fig)
        raise ValueError(_("output position ({row}, {col}) is outside the {height} x {width} "
                           "output", row=out_row, col=out_col, height=g.out_h, width=g.out_w))
    pooled = _pool(image, pool_size, stride, mode)[1]
    top, left = out_row * stride, out_col * stride
    _box(ax_in, top, left, pool_size, pool_size, gid="window")
    window = image[top:top + pool_size, left:left + pool_size]
    if mode == "max":
        a, b = np.unravel_index(np.argmax(window), window.shape)
        ax_in.plot([left + b], [top + a], marker="o", markersize=7, markerfacecolor="none",
                   markeredgecolor="yellow", markeredgewidth=2, gid="argmax")
    ax_out.imshow(pooled, cmap="gray", interpolation="nearest", vmin=vmin, vmax=vmax)
    ax_out.set_xticks([])
    ax_out.set_yticks([])
    _box(ax_out, out_row, out_col, 1, 1, gid="output-cell")
    value = pooled[out_row, out_col]
    fields = dict(height=g.out_h, width=g.out_w, row=out_row, col=out_col, value=value)
    ax_out.set_title(_("max pooled {height} x {width}: pixel ({row}, {col}) = {value:.3f}",
                       **fields) if mode == "max" else
                     _("avg pooled {height} x {width}: pixel ({row}, {col}) = {value:.3f}",
                       **fields), fontsize=10)
    fig.suptitle(_pooling_title(mode, pool_size, stride, g.formula()), fontsize=10)
    fig.tight_layout()
    return fig


def draw_pool_gradient(x, dout=None, pool_size=2, stride=2, mode="max"):
    """Where the gradient of a pooling layer goes, with the numbers written in.

    x: a small ``(H, W)`` input; dout: the upstream gradient ``(OH, OW)``
    (default 1, 2, 3, ...).  Three panels: the input with each window outlined in
    its own colour (max pooling also circles each window's maximum), the
    upstream gradient, and the input gradient computed by ``Pooling.backward``.
    Returns ``(fig, dx)``.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(_("draw_pool_gradient takes a 2-D input (H, W), got shape {shape}",
                           shape=x.shape))
    layer, out = _pool(x, pool_size, stride, mode)
    OH, OW = out.shape
    dout = np.arange(1, OH * OW + 1, dtype=np.float64).reshape(OH, OW) if dout is None \
        else np.asarray(dout, dtype=np.float64)
    if dout.shape != (OH, OW):
        raise ValueError(_("dout must have the pooled shape {shape}, got {given}",
                           shape=(OH, OW), given=dout.shape))
    dx = layer.backward(dout[None, None])[0, 0]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.8),
                             gridspec_kw={"width_ratios": [x.shape[1], OW + 1, x.shape[1]]})
    fields = dict(f=pool_size, stride=stride)
    _matrix(axes[0], x, title=_("input x  (max pooling {f}x{f}, stride {stride})", **fields)
            if mode == "max" else _("input x  (avg pooling {f}x{f}, stride {stride})", **fields))
    _matrix(axes[1], dout, cmap="Oranges", title=_("upstream gradient dout"))
    _matrix(axes[2], dx, fmt="{:.3g}", cmap="Oranges", title=_("gradient dx"))
    for k, (i, j) in enumerate(np.ndindex(OH, OW)):
        color = WINDOW_COLORS[k % len(WINDOW_COLORS)]
        top, left = i * stride, j * stride
        # overlapping windows: keep outlines apart
        inset = 0.06 * (k % 3) if stride < pool_size else 0.0
        _box(axes[0], top + inset, left + inset, pool_size - 2 * inset, pool_size - 2 * inset,
             color=color,
             lw=2, gid="window")
        _box(axes[1], i, j, 1, 1, color=color, lw=2)
        if mode == "max":
            w = x[top:top + pool_size, left:left + pool_size]
            a, b = np.unravel_index(np.argmax(w), w.shape)
            # a pixel may win several windows
            size = 22 - 5 * (k % 3) if stride < pool_size else 22
            axes[0].plot([left + b], [top + a], marker="o", markersize=size, markerfacecolor="none",
                         markeredgecolor=color, markeredgewidth=2, gid="argmax")
            _box(axes[2], top + a, left + b, 1, 1, color=color, lw=2)
        else:
            _box(axes[2], top + inset, left + inset, pool_size - 2 * inset, pool_size - 2 * inset,
                 color=color,
                 lw=2)
    fig.tight_layout()
    return fig, dx
