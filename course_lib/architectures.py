"""Deep stacks of 3x3 convolutions with and without skip connections; famous designs' arithmetic.

Chapter 6 uses these small builders to compare a *plain* deep stack with a
*residual* one of the same depth and the very same initial weights:

- :func:`plain_stack` and :func:`residual_stack` return ``Sequential`` networks
  for 28x28 images: a 3x3 stem convolution and 2x2 pooling, then ``depth``
  3x3 convolutions at 14x14, then pooling and a fully connected layer;
- :func:`weight_gradient_norms` and :func:`conv_output_rms` measure how much
  gradient reaches each convolution and how big the signal is at each depth;
  :func:`train_stack` trains one for a number of steps and reports what moved;
- :func:`conv_cost`, :func:`vgg_cost` and :func:`inception_cost` count the
  parameters and multiplications of a convolution, of VGG and of GoogLeNet's
  inception module (the numbers behind "1x1 convolutions cut the cost");
- :func:`draw_vgg_stack`, :func:`draw_inception_module` and
  :func:`draw_residual_block` draw block diagrams with matplotlib.
"""
import numpy as np

from . import backend
from .functional import conv_output_size
from .i18n import _
from .layers import Affine, Convolution, Relu, ResidualBlock
from .networks import Sequential, init_std, param_slots

# ---------------------------------------------------------------------------
# Plain and residual stacks


def _conv3x3(rng, c_in, c_out, weight_init_std, dtype, fast):
    std = init_std(c_in * 9, weight_init_std)
    W = (std * rng.standard_normal((c_out, c_in, 3, 3))).astype(dtype)
    return backend.layer_class("Convolution", fast)(W, np.zeros(c_out, dtype), stride=1, pad=1)


def _check_stack_args(depth, channels, input_dim):
    if not isinstance(depth, (int, np.integer)) or depth < 2 or depth % 2:
        raise ValueError(_("depth must be an even whole number of convolutions, at least 2 (each "
                           "residual block holds two), got {depth!r}", depth=depth))
    if not isinstance(channels, (int, np.integer)) or channels < 1:
        raise ValueError(_("channels must be a positive whole number, got {channels!r}",
                           channels=channels))
    if len(input_dim) != 3 or input_dim[1] % 4 or input_dim[2] % 4:
        raise ValueError(_("input_dim must be (C, H, W) with H and W divisible by 4 (two 2x2 "
                           "poolings), got {input_dim!r}", input_dim=input_dim))


def _stack(depth, channels, weight_init_std, input_dim, output_size, seed, dtype, residual, fast):
    _check_stack_args(depth, channels, input_dim)
    rng = np.random.default_rng(seed)
    C, H, W = input_dim
    Pooling = backend.layer_class("Pooling", fast)
    layers = [_conv3x3(rng, C, channels, weight_init_std, dtype, fast), Pooling(2, 2, stride=2)]
    body = [_conv3x3(rng, channels, channels, weight_init_std, dtype, fast)
            for layer in range(depth)]
    for i in range(0, depth, 2):
        pair = [Relu(), body[i], Relu(), body[i + 1]]
        layers += [ResidualBlock(pair)] if residual else pair
    flat = channels * (H // 4) * (W // 4)
    std = init_std(flat, weight_init_std)
    W_out = (std * rng.standard_normal((flat, output_size))).astype(dtype)
    layers += [Relu(), Pooling(2, 2, stride=2), Affine(W_out, np.zeros(output_size, dtype))]
    return Sequential(layers, seed=seed)


def plain_stack(depth, channels=8, weight_init_std="xavier", input_dim=(1, 28, 28), output_size=10,
                seed=None, dtype=np.float32, fast=True):
    """A plain network with ``depth`` 3x3 convolutions of ``channels`` channels in its body.

    conv3x3 - pool2 - [relu - conv3x3] x depth - relu - pool2 - affine - softmax

    All convolutions are padded so that the body works at (H/2, W/2); the
    weights are drawn with ``weight_init_std`` (a number, ``'he'`` or
    ``'xavier'``) from ``seed``.  ``residual_stack`` with the same arguments
    has the same layers and the same initial weights, plus skip connections.
    ``fast``: the fast convolution and pooling layers (default) or, with
    ``fast=False``, the reference ones (see ``course_lib.backend``).
    """
    return _stack(depth, channels, weight_init_std, tuple(input_dim), output_size, seed, dtype,
                  residual=False, fast=fast)


def residual_stack(depth, channels=8, weight_init_std="xavier", input_dim=(1, 28, 28),
                   output_size=10,
                   seed=None, dtype=np.float32, fast=True):
    """``plain_stack`` with a skip connection around every pair of body convolutions.

    conv3x3 - pool2 - [x + (relu - conv3x3 - relu - conv3x3)(x)] x depth/2
    - relu - pool2 - affine - softmax

    Each pair sits in a ``ResidualBlock`` whose branch starts with the ReLU
    ("pre-activation" blocks, He et al. 2016, "Identity Mappings in Deep
    Residual Networks"), so the skip path from the stem to the last block is a
    pure sum.  Same arguments, same layer order and same initial weights as
    ``plain_stack``.
    """
    return _stack(depth, channels, weight_init_std, tuple(input_dim), output_size, seed, dtype,
                  residual=True, fast=fast)


def conv_weight_keys(network):
    """The ``params`` keys of the network's convolution filters, from input to output."""
    return [key for key, layer, name in param_slots(network.layers, "param")
            if isinstance(layer, Convolution) and name == "W"]


def weight_gradient_norms(network, x, t):
    """Euclidean norm of the loss gradient for each convolution's filters, first layer first.

    Returns a NumPy array with one entry per convolution (``conv_weight_keys``),
    computed by one ``network.gradient(x, t)`` on the batch (x, t).
    """
    grads = network.gradient(x, t)
    return np.array([float(np.linalg.norm(np.asarray(grads[key], dtype=np.float64)))
                     for key in conv_weight_keys(network)])


def conv_output_rms(network, x):
    """Root mean square of every convolution's output (in a residual stack: of each block's sum).

    Runs ``x`` (N, C, H, W) forward through ``network.layers`` once; returns
    a NumPy array, stem first: how big the signal is at each depth.
    """
    rms = []
    for layer in network.layers:
        x = layer.forward(x)
        if isinstance(layer, (Convolution, ResidualBlock)):
            rms.append(float(np.sqrt(np.mean(x.astype(np.float64) ** 2))))
    return np.array(rms)


def train_stack(network, x_train, t_train, x_eval, t_eval, steps, batch_size, optimizer,
                optimizer_param, seed=0):
    """Train ``network`` for ``steps`` mini-batches (one pass over ``steps * batch_size`` images).

    Returns a dict: ``loss`` (every mini-batch's loss), ``acc`` (on x_eval,
    t_eval), ``n_eval``, ``stop`` (the Trainer's stop reason, None if it ran
    to the end) and ``moved`` (``||W1 - W1_before|| / ||W1_before||``, how far
    the first convolution's weights went).
    """
    from .trainer import Trainer

    n = steps * batch_size
    if n > len(x_train):
        raise ValueError(_("{steps} steps of {batch_size} images need {needed:,} training "
                           "images; only {given:,} were given", steps=steps,
                           batch_size=batch_size, needed=n, given=len(x_train)))
    key = conv_weight_keys(network)[0]
    w1_before = network.params[key].copy()
    trainer = Trainer(network, x_train[:n], t_train[:n], x_eval, t_eval, epochs=1,
                      mini_batch_size=batch_size,
                      optimizer=optimizer, optimizer_param=optimizer_param,
                      evaluate_sample_num_per_epoch=len(x_eval), verbose=False, seed=seed)
    trainer.train()
    moved = np.linalg.norm(network.params[key] - w1_before) / np.linalg.norm(w1_before)
    return {"loss": np.array(trainer.train_loss_list), "acc": float(trainer.final_test_accuracy),
            "n_eval": len(x_eval), "stop": trainer.stop_reason, "moved": float(moved)}


# ---------------------------------------------------------------------------
# Counting parameters and multiplications


def conv_cost(height, width, c_in, c_out, k, stride=1, pad=None, bias=True):
    """Parameters and multiplications of a ``k x k`` convolution on a ``c_in x height x width``
    input.

    ``pad=None`` means "same" padding (``(k - 1) // 2``).  The output size is
    ``conv_output_size``'s, with its rule: a window that would hang over the
    edge is an error, not silently dropped.  Returns a dict with ``params``
    (``k*k*c_in*c_out`` weights, plus ``c_out`` biases), ``mults``
    (``OH*OW*c_out*k*k*c_in``: one multiplication per weight per output
    position) and ``out`` (the output shape ``(c_out, OH, OW)``).
    """
    for name, v in (("height", height), ("width", width), ("c_in", c_in), ("c_out", c_out),
                    ("k", k),
                    ("stride", stride)):
        if int(v) != v or v < 1:
            raise ValueError(_("{name} must be a positive whole number, got {value!r}",
                               name=name, value=v))
    pad = (k - 1) // 2 if pad is None else pad
    oh = conv_output_size(height, k, stride, pad, what="height")
    ow = conv_output_size(width, k, stride, pad, what="width")
    params = k * k * c_in * c_out + (c_out if bias else 0)
    return {"params": int(params), "mults": int(oh * ow * c_out * k * k * c_in),
            "out": (c_out, oh, ow)}


VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
"""VGG-16 (configuration D of Simonyan and Zisserman): 13 3x3 convolutions; 'M': 2x2 max pooling."""
VGG19 = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512,
         512, 512, "M")
"""VGG-19 (configuration E): 16 3x3 convolutions."""


def vgg_cost(config=VGG16, input_shape=(3, 224, 224), hidden=(4096, 4096), classes=1000):
    """Parameters and multiplications of a VGG network, layer by layer.

    config: numbers of 3x3 filters (padded by 1) with ``'M'`` for 2x2 pooling;
    then fully connected layers of sizes ``hidden`` and ``classes``.  Returns
    ``(rows, total_params, total_mults)`` where each row is
    ``(name, output_shape, params, mults)``.
    """
    c, h, w = input_shape
    rows = []
    n_conv = 0
    for item in config:
        if item == "M":
            h, w = h // 2, w // 2
            rows.append(("maxpool 2x2", (c, h, w), 0, 0))
            continue
        n_conv += 1
        cost = conv_cost(h, w, c, item, 3)
        c, h, w = cost["out"]
        rows.append((f"conv3x3-{item}", cost["out"], cost["params"], cost["mults"]))
    fan_in = c * h * w
    for size in tuple(hidden) + (classes,):
        rows.append((f"fc-{size}", (size,), fan_in * size + size, fan_in * size))
        fan_in = size
    return rows, sum(r[2] for r in rows), sum(r[3] for r in rows)


def inception_cost(height, width, c_in, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj,
                   reduce=True):
    """Parameters and multiplications of one GoogLeNet inception module (biases included).

    The four branches: 1x1 (``n1x1``); 1x1 (``n3x3_reduce``) then 3x3 (``n3x3``);
    1x1 (``n5x5_reduce``) then 5x5 (``n5x5``); 3x3 max pooling then 1x1
    (``pool_proj``).  With ``reduce=False`` the 3x3 and 5x5 convolutions work
    on all ``c_in`` input channels directly and the pooling branch passes its
    ``c_in`` channels on unprojected (the "naive" module).  Returns a dict of
    per-branch ``(params, mults)`` pairs and ``total``, plus ``out_channels``.
    """
    def cost(c1, c2, k):
        r = conv_cost(height, width, c1, c2, k)
        return r["params"], r["mults"]

    def add(*parts):
        return tuple(int(sum(p[i] for p in parts)) for i in range(2))

    if reduce:
        branches = {"1x1": cost(c_in, n1x1, 1),
                    "3x3": add(cost(c_in, n3x3_reduce, 1), cost(n3x3_reduce, n3x3, 3)),
                    "5x5": add(cost(c_in, n5x5_reduce, 1), cost(n5x5_reduce, n5x5, 5)),
                    "pool": cost(c_in, pool_proj, 1)}
        out_channels = n1x1 + n3x3 + n5x5 + pool_proj
    else:
        branches = {"1x1": cost(c_in, n1x1, 1), "3x3": cost(c_in, n3x3, 3),
                    "5x5": cost(c_in, n5x5, 5),
                    "pool": (0, 0)}
        out_channels = n1x1 + n3x3 + n5x5 + c_in
    branches["total"] = add(*branches.values())
    branches["out_channels"] = out_channels
    return branches


INCEPTION_3A = dict(height=28, width=28, c_in=192, n1x1=64, n3x3_reduce=96, n3x3=128,
                    n5x5_reduce=16, n5x5=32,
                    pool_proj=32)
"""GoogLeNet's first inception module, "3a" (Szegedy et al. 2015, table 1): 28x28x192 in."""


# ---------------------------------------------------------------------------
# Block diagrams
#
# Drawn in data units with an equal aspect; a diagram drawn on its own figure
# (``ax=None``) gets ``INCHES_PER_UNIT`` inches per unit, so that its labels of
# ``FONT_PT`` points fit their boxes and the figure is no wider than about
# 7 inches: a notebook shows it at full size, and the text stays readable.

INCHES_PER_UNIT = 0.5
FONT_PT = 10

_COLOURS = {"conv3": "#9ecae1", "conv1": "#fdd0a2", "conv5": "#c7e9c0", "pool": "#dadaeb",
            "relu": "#fcbba1",
            "io": "#f0f0f0", "add": "#ffffff", "concat": "#fff5b1"}


def _axes(ax, xlim, ylim):
    import matplotlib.pyplot as plt
    if ax is None:
        size = ((xlim[1] - xlim[0]) * INCHES_PER_UNIT, (ylim[1] - ylim[0]) * INCHES_PER_UNIT + 0.3)
        ax = plt.subplots(figsize=size)[1]
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    return ax


def _box(ax, x, y, text, kind, w=2.4, h=0.55):
    from matplotlib.patches import FancyBboxPatch
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                boxstyle="round,pad=0.04,rounding_size=0.12",
                                facecolor=_COLOURS[kind], edgecolor="0.25", lw=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=FONT_PT)


def _arrow(ax, x0, y0, x1, y1, **kw):
    props = dict(arrowstyle="-|>", color="0.25", lw=1, shrinkA=0, shrinkB=0)
    props.update(kw)
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=props)


def _title(ax, title):
    if title:
        ax.set_title(title, fontsize=FONT_PT + 1)


def draw_vgg_stack(ax=None, config=VGG16, title="VGG-16"):
    """Draw a VGG network as a column of 3x3 convolution and pooling boxes; returns the Axes."""
    items = list(config) + ["fc-4096", "fc-4096", "fc-1000"]
    step, h, w = 0.66, 0.5, 4.6
    ax = _axes(ax, (-2.5, 2.5), (-step * len(items) - 0.4, 0.4))
    y = 0.0
    _box(ax, 0, y, _("image 224x224x3"), "io", w=w, h=h)
    for item in items:
        y_next = y - step
        _arrow(ax, 0, y - h / 2, 0, y_next + h / 2)
        if item == "M":
            _box(ax, 0, y_next, _("max pool 2x2"), "pool", w=w, h=h)
        elif isinstance(item, str):
            _box(ax, 0, y_next, _("fully connected {units}", units=item.removeprefix("fc-")), "io",
                 w=w, h=h)
        else:
            _box(ax, 0, y_next, _("conv 3x3, {filters}", filters=item), "conv3", w=w, h=h)
        y = y_next
    _title(ax, title)
    return ax


def draw_inception_module(ax=None, n=INCEPTION_3A, title=None):
    """Draw GoogLeNet's inception module with its channel numbers; returns the Axes.

    ``title``: default "inception module (3a)"; ``""`` draws none.
    """
    ax = _axes(ax, (-7.0, 7.0), (-1.1, 3.5))
    xs = [-5.25, -1.75, 1.75, 5.25]
    _box(ax, 0, 3.0, _("input {height}x{width}x{channels}", height=n["height"], width=n["width"],
                       channels=n["c_in"]), "io", w=4.0)

    def conv(k, filters):
        return _("{k}x{k} conv, {filters}", k=k, filters=filters)
    columns = [
        [(conv(1, n["n1x1"]), "conv1")],
        [(conv(1, n["n3x3_reduce"]), "conv1"), (conv(3, n["n3x3"]), "conv3")],
        [(conv(1, n["n5x5_reduce"]), "conv1"), (conv(5, n["n5x5"]), "conv5")],
        [(_("3x3 max pool"), "pool"), (conv(1, n["pool_proj"]), "conv1")],
    ]
    out = n["n1x1"] + n["n3x3"] + n["n5x5"] + n["pool_proj"]
    for x, column in zip(xs, columns):
        ys = [1.7, 0.7] if len(column) == 2 else [1.2]
        _arrow(ax, 0, 2.72, x, ys[0] + 0.28)
        for i, (text, kind) in enumerate(column):
            _box(ax, x, ys[i], text, kind, w=3.1)
            if i:
                _arrow(ax, x, ys[i - 1] - 0.28, x, ys[i] + 0.28)
        _arrow(ax, x, ys[-1] - 0.28, 0, -0.32)
    _box(ax, 0, -0.6, _("concatenate channels: {channels}", channels=out), "concat", w=5.6)
    _title(ax, _("inception module (3a)") if title is None else title)
    return ax


def draw_residual_block(ax=None, title=None, pre_activation=False):
    """Draw a residual block: a branch of two 3x3 convolutions and the identity skip around it.

    ``pre_activation=True`` draws the variant used by ``residual_stack``
    (ReLU before each convolution, nothing after the addition).  ``title``:
    default "residual block"; ``""`` draws none.
    """
    from matplotlib.patches import Circle

    conv = (_("conv 3x3"), "conv3")
    if pre_activation:
        branch = [("ReLU", "relu"), conv, ("ReLU", "relu"), conv]
    else:
        branch = [conv, ("ReLU", "relu"), conv]
    y_add = -0.7 * len(branch) - 0.85
    end = y_add - 0.75
    ax = _axes(ax, (-3.6, 4.0), (end - 0.5, 0.5))
    _box(ax, 0, 0, "x", "io", w=1.2)
    y = 0.0
    for text, kind in branch:
        _arrow(ax, 0, y - 0.28, 0, y - 0.7 + 0.28)
        y -= 0.7
        _box(ax, 0, y, text, kind, w=2.2)
    _arrow(ax, 0, y - 0.28, 0, y_add + 0.22)
    ax.add_patch(Circle((0, y_add), 0.22, facecolor="white", edgecolor="0.25", lw=1))
    ax.text(0, y_add, "+", ha="center", va="center", fontsize=FONT_PT + 2)
    # the skip connection: out of x to the right, down, into the sum
    ax.plot([0.6, 1.7, 1.7], [0, 0, y_add], color="C3", lw=1.6)
    _arrow(ax, 1.7, y_add, 0.22, y_add, color="C3", lw=1.6)
    ax.text(1.85, y_add / 2, _("identity\n(skip)"), color="C3", fontsize=FONT_PT, va="center")
    _arrow(ax, 0, y_add - 0.22, 0, end + 0.28)
    _box(ax, 0, end, "F(x) + x" if pre_activation else "ReLU(F(x) + x)", "io", w=3.0)
    ax.text(-1.3, y_add / 2, _("branch\nF(x)"), fontsize=FONT_PT, va="center", ha="right")
    _title(ax, _("residual block") if title is None else title)
    return ax
