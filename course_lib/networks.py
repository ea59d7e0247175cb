"""Networks: layers stacked in order, with the book's methods.

``Sequential`` is the general tool: give it a list of layers and it offers
``predict``, ``loss``, ``accuracy``, ``gradient`` and a ``params`` dictionary
with the book's keys (``W1``, ``b1``, ``W2`` ...).  It finds the parameters by
walking its layers, so a network of any shape gets the same service.  It is a
``Layer`` itself, so a ``Sequential`` can sit inside another one, as
``nn.Sequential`` does in PyTorch.  ``state_dict()`` and ``load_state_dict()``
give and take all its arrays under those keys.

``SimpleConvNet`` and ``DeepConvNet`` are the two networks of the book's
chapters 7 and 8, built on it.  They take a switch, ``fast``:

* ``fast=True`` (the default) builds the fast layers of ``course_lib.fast``:
  blocked, threaded, channels-last convolution and pooling;
* ``fast=False`` builds the reference layers of ``course_lib.layers``, the
  im2col code of the book, which are easier to step through and slower.

Both give the same values, and the same weights work in both.  The classes
come from ``course_lib.backend``, the one place that decides; a network of
reference layers never touches ``course_lib.fast``.
"""
import json
import os
import tempfile
import zipfile
from collections.abc import MutableMapping
from contextlib import contextmanager

import numpy as np

from . import backend
from .i18n import _, ljust, rjust
from .layers import Affine, BatchNormalization, Dropout, Layer, Relu, SoftmaxWithLoss, takes_need_dx


def init_std(fan_in, weight_init_std):
    """Standard deviation of initial weights for a layer with ``fan_in`` inputs.

    ``'he'`` / ``'relu'``: sqrt(2 / fan_in) (He et al., for ReLU);
    ``'xavier'`` / ``'sigmoid'``: sqrt(1 / fan_in) (Glorot and Bengio);
    a number: that number.
    """
    if isinstance(weight_init_std, str):
        key = weight_init_std.lower()
        if key in ("he", "relu"):
            return np.sqrt(2.0 / fan_in)
        if key in ("xavier", "sigmoid"):
            return np.sqrt(1.0 / fan_in)
        raise ValueError(_("weight_init_std must be a number, 'he' or 'xavier', got {value!r}",
                           value=weight_init_std))
    return float(weight_init_std)


def walk(layers):
    """Yield every layer, depth first, including those inside blocks and nested networks."""
    for layer in layers:
        yield layer
        yield from walk(getattr(layer, "sublayers", tuple)())


def param_slots(layers, kind="param"):
    """``(key, layer, attribute)`` for each parameter (kind='param') or buffer.

    Every layer with parameters takes the next number: ``W1, b1``, ``W2, b2``
    ...  A batch-normalisation layer takes the number of the weighted layer
    before it (``gamma1, beta1`` beside ``W1, b1``), as in the book.
    """
    index = 0
    out = []
    for layer in walk(layers):
        params = getattr(layer, "param_names", ())
        names = params if kind == "param" else getattr(layer, "buffer_names", ())
        if params and not (isinstance(layer, BatchNormalization) and index > 0):
            index += 1
        for name in names:
            out.append((f"{name}{index}", layer, name))
    return out


def state_problems(current, state):
    """What keeps ``state`` (name -> array) from replacing ``current``, the arrays of a network.

    Returns ``(missing, extra, problems)``: the names ``state`` lacks, the names it
    has that the network does not, and one sentence for each array of the wrong
    shape, of a non-floating-point type, or holding NaN or infinite values.
    """
    missing = sorted(set(current) - set(state))
    extra = sorted(set(state) - set(current))
    problems = []
    for key in sorted(set(current) & set(state)):
        a = np.asarray(state[key])
        if a.shape != current[key].shape:
            problems.append(_("{key} has shape {shape}, the network needs {needed}", key=key,
                              shape=a.shape, needed=current[key].shape))
        elif not np.issubdtype(a.dtype, np.floating):
            problems.append(_("{key} holds {dtype} values, not floating point numbers", key=key,
                              dtype=a.dtype))
        elif not np.all(np.isfinite(a)):
            problems.append(_("{key} contains NaN or infinite values", key=key))
    return missing, extra, problems


def write_npz_atomically(path, arrays, check=None):
    """Write ``arrays`` (a dict of name -> array) to the ``.npz`` file ``path``, atomically.

    The file is written to a temporary file beside ``path`` and renamed into place
    only once it is complete (and, when given, ``check(temporary_path)`` has
    returned), so an interrupted or refused save leaves whatever was at ``path``.
    """
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.chmod(tmp, 0o644)
        if check is not None:
            check(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


class ParamDict(MutableMapping):
    """A live view of a network's parameters under the book's keys.

    ``params['W1']`` is the very array the first convolution computes with, so
    an optimizer's in-place update ``params['W1'] -= lr * grads['W1']`` trains
    the network, and ``params['W1'] = new_array`` replaces the layer's weights
    with a copy of ``new_array`` (after checking the shape).  Keys cannot be
    added or removed.
    """

    def __init__(self, slots):
        self._slots = {key: (layer, name) for key, layer, name in slots}

    def __getitem__(self, key):
        layer, name = self._slots[key]
        return getattr(layer, name)

    def __setitem__(self, key, value):
        if key not in self._slots:
            raise KeyError(_("{key!r} is not a parameter of this network; its keys are {keys}",
                             key=key, keys=list(self._slots)))
        layer, name = self._slots[key]
        old = getattr(layer, name)
        value = np.asarray(value)
        if value.shape != old.shape:
            raise ValueError(_("{key} has shape {shape}; cannot replace it with an array of shape "
                               "{given}", key=key, shape=old.shape, given=value.shape))
        if value is not old:          # a copy: two networks never share one weight array
            setattr(layer, name, np.array(value, dtype=old.dtype))

    def __delitem__(self, key):
        raise TypeError(_("a network's parameters cannot be deleted"))

    def __iter__(self):
        return iter(self._slots)

    def __len__(self):
        return len(self._slots)

    def __repr__(self):
        return "ParamDict(" + ", ".join(f"{k}: {self[k].shape}" for k in self) + ")"


class Sequential(Layer):
    """Layers applied one after the other, then a loss layer.

    layers: a list of ``Layer`` objects (a ``Sequential`` among them is fine);
    loss_layer: defaults to ``SoftmaxWithLoss``.  The network starts in
    training mode; ``eval()`` switches every layer to evaluation mode and
    ``train()`` back.  ``accuracy`` always evaluates in evaluation mode and in
    batches.

    forward: x -> the last layer's output (the scores, before the loss).
    backward(dout, need_dx=True): dout of the last layer's output -> dx; the
    first layer skips the gradient with respect to the input when
    ``need_dx=False`` and it knows how (the fast convolution does).
    ``gradient`` asks for that unless ``input_grad=True``: training never uses
    the gradient with respect to the images.  The layers themselves are never
    changed by the network.
    """

    def __init__(self, layers, loss_layer=None, seed=None, input_grad=False):
        super().__init__()
        self.layers = list(layers)
        if not self.layers:
            raise ValueError(_("a network needs at least one layer"))
        self.last_layer = loss_layer if loss_layer is not None else SoftmaxWithLoss()
        self.input_grad = bool(input_grad)
        if seed is not None:
            self.seed(seed)

    def sublayers(self):
        return tuple(self.layers)

    # ----- modes and randomness ------------------------------------------
    @contextmanager
    def mode(self, training):
        """Temporarily switch to training (True) or evaluation (False) mode.

        Afterwards every layer gets back its own flag, also one that was set
        layer by layer (a batch-norm layer frozen with ``layer.eval()``).
        """
        flags = [(layer, layer.training) for layer in walk([self])]
        self.train(training)
        try:
            yield self
        finally:
            for layer, flag in flags:
                layer.training = flag

    def seed(self, seed):
        """Seed every random layer (dropout) from one number."""
        layers = list(walk(self.layers))
        for layer, s in zip(layers, np.random.SeedSequence(seed).spawn(len(layers))):
            if hasattr(layer, "rng"):
                layer.rng = np.random.default_rng(s)

    def _blas(self):
        """Fast layers share the cores out themselves: BLAS gets one thread while they run."""
        return backend.blas_limits(walk(self.layers))

    def _fused(self):
        """``course_lib.fast`` when it can run some of the layers together, else None."""
        fast = backend.fast_path(self.layers)      # None for reference layers: fast is not touched
        return fast if fast is not None and fast.fusable(self.layers) else None

    # ----- forward and backward, as a layer -------------------------------
    def forward(self, x, train_flg=None):
        fused = self._fused()
        if fused is not None:                    # a fast convolution and its ReLU in one pass
            return fused.forward_layers(self.layers, x, train_flg)
        for layer in self.layers:
            x = layer.forward(x, train_flg)
        return x

    def backward(self, dout, need_dx=True):
        fused = self._fused()
        if fused is not None:
            return fused.backward_layers(self.layers, dout, need_dx)
        for i in reversed(range(len(self.layers))):
            layer = self.layers[i]
            if i == 0 and not need_dx and takes_need_dx(layer):
                dout = layer.backward(dout, need_dx=False)
            else:
                dout = layer.backward(dout)
        return dout

    def output_shape(self, input_shape):
        """The output shape of one input of shape ``input_shape`` (``(C, H, W)`` for images)."""
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = tuple(layer.output_shape(shape)) if hasattr(layer, "output_shape") else shape
        return shape

    def __repr__(self):
        return "Sequential(" + ", ".join(map(repr, self.layers)) + ")"

    # ----- the book's API -------------------------------------------------
    @property
    def params(self):
        """Parameters under the book's keys (``W1``, ``b1``, ...), as a live ``ParamDict``."""
        return ParamDict(param_slots(self.layers, "param"))

    @property
    def dtype(self):
        for _key, layer, name in param_slots(self.layers, "param"):
            return getattr(layer, name).dtype
        return np.dtype(np.float32)

    def predict(self, x, train_flg=None, batch_size=None):
        """Scores (before softmax) for a batch x.

        In evaluation mode large inputs run through in batches of ``batch_size``
        (default 500), so memory stays small however many images you pass.
        ``train_flg`` (the book's keyword) overrides the mode for this call.
        """
        training = self.training if train_flg is None else bool(train_flg)
        with self.mode(training):
            if training:
                return self._forward(x)
            batch_size = batch_size or 500
            if len(x) <= batch_size:
                return self._forward(x)
            return np.concatenate([self._forward(x[i:i + batch_size]) for i
                                   in range(0, len(x), batch_size)])

    def layer_outputs(self, x):
        """The output of every layer for the batch x, in evaluation mode: a list with
        one array per entry of ``self.layers`` (feature maps, activation statistics)."""
        outputs = []
        with self.mode(False), self._blas():
            for layer in self.layers:
                x = layer.forward(x)
                outputs.append(x)
        return outputs

    def _forward(self, x):
        with self._blas():
            return np.ascontiguousarray(self.forward(x))

    def loss(self, x, t, train_flg=None):
        """Mean loss of a batch (in the current mode unless ``train_flg`` says otherwise)."""
        training = self.training if train_flg is None else bool(train_flg)
        with self.mode(training):
            y = self._forward(x)
            return self.last_layer.forward(y, t)

    def accuracy(self, x, t, batch_size=100):
        """Fraction of x classified as t, evaluated in evaluation mode, ``batch_size`` at a time."""
        if len(x) != len(t):
            raise ValueError(_("x has {samples} samples but t has {labels} labels",
                               samples=len(x), labels=len(t)))
        t = np.asarray(t)
        if t.ndim == 2:
            t = t.argmax(axis=1)
        correct = 0
        with self.mode(False):
            for i in range(0, len(x), batch_size):
                y = self._forward(x[i:i + batch_size])
                correct += int(np.sum(y.argmax(axis=1) == t[i:i + batch_size]))
        return correct / max(len(x), 1)

    def gradient(self, x, t):
        """Gradients of the loss on batch (x, t), by backpropagation.

        The forward pass always runs in training mode (dropout active), as in
        the book.  Returns a dict with the same keys as ``params``.  The loss of that
        batch is left in ``self.last_loss``.
        """
        self.last_loss = self.loss(x, t, train_flg=True)
        with self._blas():
            self.backward(self.last_layer.backward(1), need_dx=self.input_grad)
        return {key: getattr(layer, "d" + name) for key, layer, name
                in param_slots(self.layers, "param")}

    # ----- inspection -----------------------------------------------------
    def summary(self, input_shape):
        """A table of each layer's output shape and parameter count for one input ``(C, H, W)``."""
        rows, shape, total = [], tuple(input_shape), 0
        for layer in self.layers:
            shape = tuple(layer.output_shape(shape)) if hasattr(layer, "output_shape") else shape
            count = sum(getattr(sub, n).size for sub in walk([layer]) for n
                        in getattr(sub, "param_names", ()))
            total += count
            rows.append((repr(layer), str(shape), f"{count:,}"))
        head = (_("layer"), _("output shape"), _("parameters"))
        wide = max([len(head[0])] + [len(row[0]) for row in rows]) + 2
        lines = [ljust(head[0], wide) + ljust(head[1], 18) + rjust(head[2], 12)]
        lines += [f"{name:<{wide}}{shape:<18}{count:>12}" for name, shape, count in rows]
        lines.append(ljust(_("total"), wide + 18) + f"{total:>12,}")
        return "\n".join(lines)

    def astype(self, dtype):
        """Convert every parameter and buffer to ``dtype`` (for example ``np.float16``) in place."""
        for kind in ("param", "buffer"):
            for _key, layer, name in param_slots(self.layers, kind):
                setattr(layer, name, getattr(layer, name).astype(dtype))
        return self

    # ----- saving and loading ---------------------------------------------
    def state_dict(self):
        """Every parameter and buffer under its key (``W1``, ``b1``, ``gamma1``, ``running_mean1``).

        The values are the network's own arrays, not copies: copy them to keep
        a snapshot (``{k: v.copy() for k, v in net.state_dict().items()}``).
        """
        return {key: getattr(layer, name)
                for kind in ("param", "buffer") for key, layer, name
                in param_slots(self.layers, kind)}

    def load_state_dict(self, state, source=None):
        """Replace every parameter and buffer with a copy of ``state[key]``, all or nothing.

        Every array is checked first (present, no extras, same shapes, finite
        floating point numbers): on any problem a ``ValueError`` names it and
        the network keeps the weights it had.
        """
        current = self.state_dict()
        source = _("the arrays") if source is None else source
        missing, extra, problems = state_problems(current, state)
        problems = (([_("missing {keys}", keys=missing)] if missing else [])
                    + ([_("unexpected {keys}", keys=extra)] if extra else []) + problems)
        if problems:
            raise ValueError(_("cannot load {source} into this network: {problems}. Was it saved "
                               "from a network with a different architecture? The network's "
                               "weights were left unchanged", source=source,
                               problems="; ".join(problems)))
        for kind in ("param", "buffer"):
            for key, layer, name in param_slots(self.layers, kind):
                setattr(layer, name, np.array(state[key], dtype=current[key].dtype))

    def architecture(self):
        """A short description of the layers, stored with saved weights."""
        return [repr(layer) for layer in self.layers]

    def save_params(self, file_name="params.npz"):
        """Save the weights as an ``.npz`` file (never a pickle), atomically."""
        file_name = os.fspath(file_name)
        if not file_name.endswith(".npz"):
            raise ValueError(_("weights are saved as .npz files; got {name!r}. Pickle files (.pkl) "
                               "are not used because loading one can run arbitrary code",
                               name=file_name))
        arrays = dict(self.state_dict())
        arrays["__architecture__"] = np.array(json.dumps(self.architecture()))
        write_npz_atomically(file_name, arrays)

    def load_params(self, file_name="params.npz"):
        """Load weights saved by ``save_params``, checked as ``load_state_dict`` checks them."""
        file_name = os.fspath(file_name)
        if file_name.endswith(".pkl"):
            raise ValueError(_("{name!r} is a pickle file; course_lib loads only .npz weights, "
                               "because unpickling a file can run any code its author put in it",
                               name=file_name))
        if not os.path.exists(file_name):
            raise FileNotFoundError(_("no weights file at {name!r}", name=file_name))
        try:
            with np.load(file_name, allow_pickle=False) as data:
                loaded = {key: data[key] for key in data.files}
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as err:
            raise ValueError(_("{name!r} is not a readable .npz weights file ({error}); save "
                               "weights with network.save_params('name.npz')", name=file_name,
                               error=f"{type(err).__name__}: {err}")) from None
        loaded.pop("__architecture__", None)
        self.load_state_dict(loaded, source=file_name)


def _conv_layer(rng, in_channels, p, std, dtype, fast=True):
    fn, fs = p["filter_num"], p["filter_size"]
    W = (std * rng.standard_normal((fn, in_channels, fs, fs))).astype(dtype)
    return backend.layer_class("Convolution", fast)(W, np.zeros(fn, dtype), p.get("stride", 1),
                                                    p.get("pad", 0))


def _affine_layer(rng, fan_in, fan_out, std, dtype):
    W = (std * rng.standard_normal((fan_in, fan_out))).astype(dtype)
    return Affine(W, np.zeros(fan_out, dtype))


class SimpleConvNet(Sequential):
    """The book's simple ConvNet: conv - relu - pool - affine - relu - affine - softmax.

    input_dim: ``(C, H, W)``; conv_param: ``filter_num``, ``filter_size``,
    ``pad``, ``stride``; the pooling is 2x2 with stride 2.  Keys W1/b1 (conv),
    W2/b2 and W3/b3 (affine).  weight_init_std: a number, ``'he'`` or
    ``'xavier'``.  dtype: float32 by default, float64 for gradient checks.
    fast: the fast layers of ``course_lib.fast`` (default) or, with
    ``fast=False``, the reference layers of ``course_lib.layers``.
    """

    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01, dtype=np.float32, seed=None,
                 dropout_ratio=0.0, input_grad=False, fast=True):
        rng = np.random.default_rng(seed)
        C, H, W = input_dim
        conv = _conv_layer(rng, C, conv_param,
                           init_std(C * conv_param["filter_size"] ** 2, weight_init_std), dtype,
                           fast)
        fn, oh, ow = conv.output_shape(input_dim)
        pool = backend.layer_class("Pooling", fast)(2, 2, stride=2)
        ph, pw = pool.output_shape((fn, oh, ow))[1:]
        flat = fn * ph * pw
        layers = [conv, Relu(), pool,
                  _affine_layer(rng, flat, hidden_size, init_std(flat, weight_init_std), dtype),
                  Relu()]
        if dropout_ratio:
            layers.append(Dropout(dropout_ratio))
        layers.append(_affine_layer(rng, hidden_size, output_size,
                                    init_std(hidden_size, weight_init_std), dtype))
        super().__init__(layers, backend.layer_class("SoftmaxWithLoss", fast)(), seed=seed,
                         input_grad=input_grad)


class DeepConvNet(Sequential):
    """The book's deep ConvNet for MNIST (about 99.4 % test accuracy).

    conv - relu - conv - relu - pool - conv - relu - conv - relu - pool -
    conv - relu - conv - relu - pool - affine - relu - dropout - affine - dropout - softmax

    Six 3x3 convolutions with 16, 16, 32, 32, 64, 64 filters (the fourth padded
    by 2 so that 14 -> 16 -> 8 after pooling), He initialisation, dropout 0.5
    after both affine layers.  Keys W1..W6 (convolutions), W7 and W8 (affine).
    fast: the fast layers of ``course_lib.fast`` (default) or, with
    ``fast=False``, the reference layers of ``course_lib.layers``.
    """

    def __init__(self, input_dim=(1, 28, 28),
                 conv_param_1={"filter_num": 16, "filter_size": 3, "pad": 1, "stride": 1},
                 conv_param_2={"filter_num": 16, "filter_size": 3, "pad": 1, "stride": 1},
                 conv_param_3={"filter_num": 32, "filter_size": 3, "pad": 1, "stride": 1},
                 conv_param_4={"filter_num": 32, "filter_size": 3, "pad": 2, "stride": 1},
                 conv_param_5={"filter_num": 64, "filter_size": 3, "pad": 1, "stride": 1},
                 conv_param_6={"filter_num": 64, "filter_size": 3, "pad": 1, "stride": 1},
                 hidden_size=50, output_size=10, weight_init_std="he", dropout_ratio=0.5,
                 dtype=np.float32, seed=None, input_grad=False, fast=True):
        rng = np.random.default_rng(seed)
        layers = []
        shape = tuple(input_dim)
        for i, p in enumerate([conv_param_1, conv_param_2, conv_param_3, conv_param_4,
                               conv_param_5, conv_param_6]):
            conv = _conv_layer(rng, shape[0], p,
                               init_std(shape[0] * p["filter_size"] ** 2, weight_init_std), dtype,
                               fast)
            shape = conv.output_shape(shape)
            layers += [conv, Relu()]
            if i % 2 == 1:
                pool = backend.layer_class("Pooling", fast)(2, 2, stride=2)
                shape = pool.output_shape(shape)
                layers.append(pool)
        flat = int(np.prod(shape))
        layers += [_affine_layer(rng, flat, hidden_size, init_std(flat, weight_init_std), dtype),
                   Relu(),
                   Dropout(dropout_ratio),
                   _affine_layer(rng, hidden_size, output_size,
                                 init_std(hidden_size, weight_init_std), dtype),
                   Dropout(dropout_ratio)]
        super().__init__(layers, backend.layer_class("SoftmaxWithLoss", fast)(), seed=seed,
                         input_grad=input_grad)
