"""Tests of course_lib.widgets: the drawing functions and explorers, headless (Agg backend)."""
from pathlib import Path

import matplotlib
import nbformat

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib import widgets as wd
from course_lib.layers import Pooling
from course_lib.naive import pool_backward_naive


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def patches_with_gid(fig, gid):
    return [p for ax in fig.axes for p in ax.patches if p.get_gid() == gid]


def lines_with_gid(fig, gid):
    return [ln for ax in fig.axes for ln in ax.lines if ln.get_gid() == gid]


# --- conv_geometry --------------------------------------------------------------------------
@pytest.mark.parametrize("H, W, FH, FW, P, S, expected", [
    (7, 7, 3, 3, 0, 1, (5, 5)),
    (7, 7, 3, 3, 1, 2, (4, 4)),
    (28, 28, 5, 5, 2, 1, (28, 28)),
    (227, 227, 11, 11, 0, 4, (55, 55)),
    (4, 6, 3, 5, 0, 1, (2, 2)),
    (1, 1, 1, 1, 0, 1, (1, 1)),
])
def test_conv_geometry_valid(H, W, FH, FW, P, S, expected):
    g = wd.conv_geometry(H, W, FH, FW, P, S)
    assert g.valid and g.error is None
    assert (g.out_h, g.out_w) == expected
    assert g.describe() == f"output {expected[0]} x {expected[1]}"


def test_conv_geometry_not_whole_reports_the_axis_and_numbers():
    g = wd.conv_geometry(7, 8, 3, 3, 0, 2)   # height: (7-3)/2+1 = 3 fine; width: (8-3)/2+1 = 3.5
    assert not g.valid
    assert g.out_h == 3 and g.out_w is None
    assert g.error.startswith("Width:") and "height" not in g.error.lower()
    assert "3.5" in g.error and "3.5" in g.formula()
    assert "columns 6 to 8" in g.error and "columns 0 to 7 only" in g.error
    assert g.error.splitlines()[-1].startswith("Change the padding or the stride")
    assert g.describe().startswith("invalid")


def test_conv_geometry_says_it_once_when_both_axes_fail_alike():
    g = wd.conv_geometry(7, 7, 3, 3, 0, 3)
    lines = g.error.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Height and width:")
    assert g.error.count("2.33") == 1 and "rows and columns 6 to 8" in lines[0]
    g = wd.conv_geometry(7, 9, 3, 3, 0, 3)             # only the height fails
    assert g.error.startswith("Height:") and g.out_w == 3


def test_conv_geometry_names_the_knobs_the_reader_has():
    g = wd.conv_geometry(28, 28, 3, 3, 0, 3, knobs="the window size or the stride")
    assert "padding" not in g.error.splitlines()[-1]
    assert g.error.splitlines()[-1].startswith("Change the window size or the stride")
    g = wd.conv_geometry(3, 3, 5, 5, 0, 1, knobs="the window size or the stride")
    assert g.error.splitlines()[-1] == "Use a smaller window."


def test_conv_geometry_filter_larger_than_input():
    g = wd.conv_geometry(3, 3, 5, 5, 0, 1)
    assert not g.valid and g.out_h is None and g.out_w is None
    assert "larger" in g.error and "more padding" in g.error


@pytest.mark.parametrize("kwargs, exc", [
    (dict(H=0, W=5, FH=3, FW=3), ValueError),
    (dict(H=5, W=5, FH=3, FW=3, S=0), ValueError),
    (dict(H=5, W=5, FH=3, FW=3, P=-1), ValueError),
    (dict(H=5.5, W=5, FH=3, FW=3), TypeError),
])
def test_conv_geometry_rejects_nonsense(kwargs, exc):
    with pytest.raises(exc):
        wd.conv_geometry(**kwargs)


# --- draw_conv_window -----------------------------------------------------------------------
def test_draw_conv_window_places_the_window():
    fig = wd.draw_conv_window(7, 7, 3, 3, P=1, S=2, out_row=1, out_col=2)
    (window,) = patches_with_gid(fig, "window")
    # cell (i, j) is centred on (j, i): the window's corner is at (col * S - 0.5, row * S - 0.5)
    assert window.get_xy() == (2 * 2 - 0.5, 1 * 2 - 0.5)
    assert (window.get_width(), window.get_height()) == (3, 3)
    (cell,) = patches_with_gid(fig, "output-cell")
    assert cell.get_xy() == (1.5, 0.5)
    assert fig._suptitle.get_text() == wd.conv_geometry(7, 7, 3, 3, 1, 2).formula()
    assert fig.axes[1].get_title() == "output 4 x 4: pixel (1, 2)"
    assert not patches_with_gid(fig, "overhang")
    # the input panel shows the padded 9 x 9 grid
    assert fig.axes[0].get_images()[0].get_array().shape == (9, 9)
    assert fig.axes[1].get_images()[0].get_array().shape == (4, 4)


def test_draw_conv_window_invalid_shows_overhang_and_reason():
    fig = wd.draw_conv_window(7, 7, 3, 3, P=0, S=3)
    assert not patches_with_gid(fig, "window")
    (over,) = patches_with_gid(fig, "overhang")
    # positions 0 and 3 fit; the next window starts at row/col 6 and runs over the 7-pixel edge
    assert over.get_xy() == (5.5, 5.5)
    assert "2.33" in fig._suptitle.get_text()
    texts = " ".join(t.get_text() for t in fig.axes[1].texts)
    # height and width fail alike: said once
    assert texts.count("not a whole number") == 1
    assert "2.33" in texts


def test_draw_conv_window_rejects_outside_position():
    with pytest.raises(ValueError, match="outside the 5 x 5 output"):
        wd.draw_conv_window(7, 7, 3, 3, out_row=5)


def test_draw_conv_step_matches_the_sum():
    x = np.arange(16, dtype=float).reshape(4, 4)
    w = np.array([[1.0, 0.0], [0.0, -1.0]])
    fig = wd.draw_conv_step(x, w, out_row=1, out_col=2)
    # out[1, 2] = x[1, 2] - x[2, 3] = 6 - 11
    assert fig._suptitle.get_text().endswith("= -5")
    (window,) = patches_with_gid(fig, "window")
    assert window.get_xy() == (1.5, 0.5)
    assert len(fig.axes[0].texts) == 16 and len(fig.axes[2].texts) == 9
    with pytest.raises(ValueError):
        wd.draw_conv_step(x[None], w)


# --- receptive field ------------------------------------------------------------------------
@pytest.mark.parametrize("sizes, strides, expected", [
    ([3], None, 3), ([3, 3], None, 5), ([3, 3, 3], None, 7), ([5, 5], None, 9),
    ([3, 2, 3], [1, 2, 1], 1 + 2 + 1 + 2 * 2),  # conv3, pool2/2, conv3
])
def test_receptive_field_size(sizes, strides, expected):
    assert wd.receptive_field_size(sizes, strides) == expected


def test_receptive_field_size_needs_one_stride_per_layer():
    with pytest.raises(ValueError, match="one per layer"):
        wd.receptive_field_size([3, 3], [1])


def test_draw_receptive_field_regions_shrink_by_filter_minus_one():
    fig = wd.draw_receptive_field(n_layers=3, filter_size=3)
    fields = patches_with_gid(fig, "field")
    assert [p.get_width() for p in fields] == [7, 5, 3, 1]
    assert "27 weights" in fig._suptitle.get_text() and "49" in fig._suptitle.get_text()


# --- pooling --------------------------------------------------------------------------------
def test_draw_pool_window_marks_the_maximum():
    rng = np.random.default_rng(1)
    img = rng.random((8, 8))
    fig = wd.draw_pool_window(img, pool_size=2, stride=2, out_row=2, out_col=3, mode="max")
    (window,) = patches_with_gid(fig, "window")
    assert window.get_xy() == (5.5, 3.5)
    (marker,) = lines_with_gid(fig, "argmax")
    win = img[4:6, 6:8]
    a, b = np.unravel_index(np.argmax(win), win.shape)
    assert (marker.get_xdata()[0], marker.get_ydata()[0]) == (6 + b, 4 + a)
    assert f"= {win.max():.3f}" in fig.axes[1].get_title()


def test_draw_pool_window_avg_and_invalid():
    img = np.arange(36, dtype=float).reshape(6, 6)
    fig = wd.draw_pool_window(img, 3, 3, 1, 0, mode="avg")
    assert not lines_with_gid(fig, "argmax")
    assert f"= {img[3:6, 0:3].mean():.3f}" in fig.axes[1].get_title()
    fig = wd.draw_pool_window(img, 4, 4)
    texts = " ".join(t.get_text() for t in fig.axes[1].texts)
    assert "No whole output size" in texts and "window size or the stride" in texts
    assert "padding" not in texts.replace("2*0", "")
    with pytest.raises(ValueError, match="mode"):
        wd.draw_pool_window(img, mode="median")


@pytest.mark.parametrize("mode, size, "
                         "stride", [("max", 2, 2), ("avg", 2, 2), ("max", 3, 1), ("avg", 2, 1)])
def test_draw_pool_gradient_routes_like_the_naive_backward(mode, size, stride):
    rng = np.random.default_rng(3)
    if stride == 2:
        x = rng.permutation(25).reshape(5, 5).astype(float)[:4, :4]
    else:
        x = rng.random((5, 5))
    fig, dx = wd.draw_pool_gradient(x, pool_size=size, stride=stride, mode=mode)
    out_h = (x.shape[0] - size) // stride + 1
    dout = np.arange(1, out_h * out_h + 1, dtype=float).reshape(1, 1, out_h, out_h)
    expected = pool_backward_naive(dout, x[None, None], size, size, stride, mode=mode)[0, 0]
    np.testing.assert_allclose(dx, expected)
    assert np.isclose(dx.sum(), dout.sum())          # pooling passes the whole gradient on
    assert len(patches_with_gid(fig, "window")) == out_h * out_h
    assert len(lines_with_gid(fig, "argmax")) == (out_h * out_h if mode == "max" else 0)


def test_draw_pool_gradient_checks_dout_shape():
    with pytest.raises(ValueError, match="pooled shape"):
        wd.draw_pool_gradient(np.zeros((4, 4)), dout=np.ones((3, 3)))


# --- the explorers --------------------------------------------------------------------------
def test_conv_explorer_follows_the_sliders():
    ex = wd.conv_explorer(H=7, W=7, FH=3, FW=3, P=0, S=1)
    assert (ex.out_row.max, ex.out_col.max) == (4, 4)
    where = "windows start at rows 0, 1, 2, 3, 4 and columns 0, 1, 2, 3, 4 of the input"
    assert where in ex.status.value
    ex.out_row.value, ex.out_col.value = 4, 3
    (window,) = patches_with_gid(ex.last_figure, "window")
    assert window.get_xy() == (2.5, 3.5)
    assert "pixel (4, 3) comes from rows 4 to 6 and columns 3 to 5" in ex.status.value
    # output shrinks to 3 x 3: the position is clamped
    ex.controls["S"].value = 2
    assert (ex.out_row.max, ex.out_row.value) == (2, 2)
    assert "rows 0, 2, 4 and" in ex.status.value
    assert ex.last_figure.axes[1].get_title() == "output 3 x 3: pixel (2, 2)"
    ex.controls["S"].value = 3                        # (7 - 3) / 3 is not whole
    assert ex.out_row.disabled and "sliders are off" in ex.status.value
    assert patches_with_gid(ex.last_figure, "overhang")
    ex.controls["P"].value = 1                        # (7 + 2 - 3) / 3 + 1 = 3
    assert not ex.out_row.disabled and ex.geometry().out_h == 3
    assert "of the padded input" in ex.status.value
    assert ex.widget.children[-1] is ex.output


def test_explorer_status_never_repeats_the_figure():
    """The figure explains the geometry; the status line adds only what the figure does not say."""
    for ex in (wd.conv_explorer(H=7, W=7, FH=3, FW=3, P=0, S=3),
               wd.conv_explorer(H=7, W=7, P=1, S=2)):
        fig = ex.last_figure
        shown = [fig._suptitle.get_text()] + [ax.get_title() for ax in fig.axes]
        shown += [t.get_text() for ax in fig.axes for t in ax.texts]
        status = ex.status.value
        for text in shown:
            for line in filter(None, text.splitlines()):
                assert line not in status, line
        assert "not a whole number" not in status and "output 4 x 4" not in status


def test_conv_explorer_starts_at_the_given_pixel():
    ex = wd.conv_explorer(H=7, W=7, FH=3, FW=3, P=1, S=2, out_row=1, out_col=2)
    assert (ex.out_row.value, ex.out_col.value) == (1, 2)
    (window,) = patches_with_gid(ex.last_figure, "window")
    assert window.get_xy() == (3.5, 1.5)


def test_pool_explorer_follows_the_sliders():
    rng = np.random.default_rng(0)
    images = rng.random((3, 1, 12, 12))
    ex = wd.pool_explorer(images, labels=[7, 1, 4], out_row=2, out_col=3)
    assert ex.out_row.max == 5 and (ex.out_row.value, ex.out_col.value) == (2, 3)
    assert "label 7" in ex.last_figure.axes[0].get_title()
    ex.index.value = 2
    assert "label 4" in ex.last_figure.axes[0].get_title()
    ex.out_row.value, ex.out_col.value = 5, 1
    assert "pixel (5, 1) comes from rows 10 to 11 and columns 2 to 3" in ex.status.value
    ex.mode.value = "avg"
    expected = Pooling(2, 2, stride=2, mode="avg").forward(images[2:3])[0, 0, 5, 1]
    assert f"= {expected:.3f}" in ex.last_figure.axes[1].get_title()
    ex.pool_size.value, ex.stride.value = 5, 5        # (12 - 5) / 5 is not whole
    assert ex.out_row.disabled and "sliders are off" in ex.status.value
    texts = " ".join(t.get_text() for t in ex.last_figure.axes[1].texts)
    assert "window size or the stride" in texts and "Change the padding" not in texts
    with pytest.raises(ValueError, match="labels"):
        wd.pool_explorer(images, labels=[1])


def test_both_explorers_are_one_kind_of_widget():
    conv = wd.conv_explorer()
    pool = wd.pool_explorer(np.zeros((1, 8, 8)))
    for ex in (conv, pool):
        assert isinstance(ex, wd._Explorer)
        rows = ex.widget.children
        assert rows[-3].children == (ex.out_row, ex.out_col)
        assert rows[-2] is ex.status and rows[-1] is ex.output
    assert pool.mode.style.description_width == "initial"


def test_an_explorer_displays_with_a_picture_of_its_figure():
    """A front end that cannot run the widget shows the picture, never 'VBox(children=...'."""
    import base64
    ex = wd.conv_explorer(H=7, W=7, FH=3, FW=3, P=1, S=2)
    bundle = ex._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.widget.model_id
    assert "children" not in bundle["text/plain"] and "run the cell" in bundle["text/plain"]
    first = base64.b64decode(bundle["image/png"])
    assert first.startswith(b"\x89PNG") and first == ex.picture()
    ex.controls["S"].value = 1                        # the picture follows the figure
    assert ex.picture() != first
    assert base64.b64decode(ex._repr_mimebundle_()["image/png"]) == ex.picture()


# --- committed notebooks: the explorers are visible before anything runs ----------------------
ROOT = Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _notebooks_with_widgets():
    paths = (sorted((ROOT / "solutions" / "chapters").glob("*.ipynb"))
             + sorted((ROOT / "notebooks").glob("*.ipynb")))
    found = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        views = [o["data"][WIDGET_VIEW]["model_id"] for c in nb.cells if c.cell_type == "code"
                 for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]
        if views:
            found.append(pytest.param(nb, views, id=str(path.relative_to(ROOT))))
    return found


@pytest.mark.parametrize("nb, views", _notebooks_with_widgets())
def test_committed_widget_outputs_come_with_their_state(nb, views):
    """A notebook opened before it runs shows its widgets only if their state is stored
    (tools/run_notebooks.py stores it); without it JupyterLab prints 'VBox(children=...'."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for model_id in views:
        assert model_id in state, f"widget {model_id} is shown but its state is not in the notebook"
    outputs = [m for m in state.values() if m["model_name"] == "OutputModel"]
    assert any(any("image/png" in o.get("data", {}) for o in m["state"].get("outputs", [])) for m
               in outputs), \
        "the explorer's figure is not in the stored widget state"


@pytest.mark.parametrize("nb, views", _notebooks_with_widgets())
def test_committed_widget_outputs_carry_a_picture(nb, views):
    """An untrusted notebook (as JupyterLab opens one it did not run) cannot show a widget:
    each widget output must carry a picture to show instead, and no raw widget description."""
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data", {})
            if WIDGET_VIEW in data:
                assert "image/png" in data, f"widget output without a picture: {cell.source[:60]!r}"
                assert "children=" not in data.get("text/plain", ""), data.get("text/plain")


def test_the_chapters_with_explorers_are_among_those_checked():
    """Every worked chapter with an explorer is checked once it has been run (a chapter whose
    code changed has no outputs at all until its next full run, and nothing to check)."""
    checked = {p.id for p in _notebooks_with_widgets()}
    root = Path(__file__).resolve().parents[1]
    for name in ("solutions/chapters/01_convolution_arithmetic.ipynb",
                 "solutions/chapters/03_pooling.ipynb"):
        cells = nbformat.read(root / name, as_version=4).cells
        if any(c.get("outputs") for c in cells if c.cell_type == "code"):
            assert name in checked, name
