"""Layers: each one a small class with ``forward`` and ``backward``.

These are the reference layers, written as the book writes them: the
convolution and the pooling unfold their windows with ``im2col`` and fold the
gradient back with ``col2im`` (chapter 2), and each layer is a few lines.  The
loop versions in ``course_lib.naive`` define what they compute; the fast layers
in ``course_lib.fast`` compute the same values quickly, and the networks use
those by default.

A layer remembers what its forward pass saw, so that ``backward(dout)`` can turn
the gradient of the loss with respect to its output into the gradient with
respect to its input (returned) and to its own parameters (stored as ``dW``,
``db`` and so on, next to ``W`` and ``b``).  Images travel as ``(N, C, H, W)``
batches.  One layer object serves one computation at a time (use one network
per thread).

Every layer has a ``training`` flag, switched by ``train()`` and ``eval()``; only
``Dropout`` and ``BatchNormalization`` behave differently in the two modes.  The
book's ``forward(x, train_flg=...)`` keyword is still accepted.
"""
import inspect

import numpy as np

from .functional import col2im, conv_output_size, im2col
from .i18n import _


class Layer:
    """Base class.  Subclasses list their learnable arrays in ``param_names``.

    For every name in ``param_names`` the layer holds the array as an attribute
    (``self.W``) and, after ``backward``, its gradient as ``'d' + name``
    (``self.dW``).  ``buffer_names`` lists arrays that are saved with the weights
    but not learned by gradient descent (batch-norm running statistics).
    """

    param_names = ()
    buffer_names = ()

    def __init__(self):
        self.training = True

    def forward(self, x, train_flg=None):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def __call__(self, x, train_flg=None):
        return self.forward(x, train_flg)

    def sublayers(self):
        """Layers held inside this one (for blocks such as ``ResidualBlock``)."""
        return ()

    def train(self, mode=True):
        """Switch this layer and those in it to training mode (``mode=False``: evaluation mode)."""
        self.training = bool(mode)
        for layer in self.sublayers():
            layer.train(mode)
        return self

    def eval(self):
        """Switch to evaluation mode: no dropout, batch norm uses running statistics."""
        return self.train(False)

    def _is_training(self, train_flg):
        return self.training if train_flg is None else bool(train_flg)

    def __repr__(self):
        shapes = ", ".join(f"{n}={getattr(self, n).shape}" for n in self.param_names)
        return f"{type(self).__name__}({shapes})"


def takes_need_dx(layer):
    """True when ``layer.backward`` accepts ``need_dx`` (the fast convolution, a nested network).

    A network's first layer is asked to skip the gradient with respect to its
    input (``backward(dout, need_dx=False)``) only when it can.
    """
    try:
        return "need_dx" in inspect.signature(layer.backward).parameters
    except (TypeError, ValueError):
        return False


def _check_batch(x, layer, ndim=4):
    x = np.asarray(x)
    if x.ndim != ndim:
        fields = dict(layer=layer, ndim=ndim, shape=x.shape)
        if ndim == 4 and x.ndim == 2:
            raise ValueError(_("{layer} expects a {ndim}-D batch (N, C, H, W), got an array of "
                               "shape {shape}. A flattened batch (N, 784) must be reshaped first, "
                               "e.g. x.reshape(-1, 1, 28, 28), or loaded with flatten=False.",
                               **fields))
        if ndim == 4 and x.ndim == 3:
            raise ValueError(_("{layer} expects a {ndim}-D batch (N, C, H, W), got an array of "
                               "shape {shape}. A single image (C, H, W) needs a batch axis: "
                               "x[np.newaxis].", **fields))
        raise ValueError(_("{layer} expects a {ndim}-D batch (N, C, H, W), got an array of shape "
                           "{shape}.", **fields))
    return x


def _need_forward(layer, cache):
    if cache is None:
        raise RuntimeError(_("{layer}.backward needs the values of a forward pass in training "
                             "mode: call forward(x) (after train()) before backward(dout)",
                             layer=type(layer).__name__))


class Convolution(Layer):
    """2-D convolution (cross-correlation) as one matrix product, with im2col.

    W: ``(FN, C, FH, FW)`` filters; b: ``(FN,)`` biases.
    forward: x ``(N, C, H, W)`` -> ``(N, FN, OH, OW)`` with
    ``OH = (H + 2*pad - FH) / stride + 1`` (likewise OW).
    backward: dout ``(N, FN, OH, OW)`` -> dx ``(N, C, H, W)``; sets ``dW``, ``db``.

    ``im2col`` turns the batch into ``col``, one row ``(C*FH*FW,)`` per output
    pixel; the filters become the columns of ``col_W``; ``col @ col_W + b`` is
    every output pixel at once.  The backward pass runs the same product
    backwards and ``col2im`` adds the window gradients back into an image.
    The loop versions: ``naive.conv_forward_naive`` / ``conv_backward_naive``.
    """

    param_names = ("W", "b")

    def __init__(self, W, b, stride=1, pad=0):
        super().__init__()
        W = np.asarray(W)
        if W.ndim != 4:
            raise ValueError(_("Convolution filters W must be 4-D (FN, C, FH, FW), got shape "
                               "{shape}", shape=W.shape))
        b = np.asarray(b, dtype=W.dtype).reshape(-1)
        if b.shape != (W.shape[0],):
            raise ValueError(_("b must hold one bias per filter: W has {filters} filters, b has "
                               "shape {shape}", filters=W.shape[0], shape=b.shape))
        self.W, self.b = W, b
        self.stride, self.pad = int(stride), int(pad)
        self.dW = self.db = None
        self.x = self.col = self.col_W = None

    def output_shape(self, input_shape):
        """``(FN, OH, OW)`` for one input of shape ``(C, H, W)``."""
        C, H, W = input_shape
        FN, FH, FW = self.W.shape[0], self.W.shape[2], self.W.shape[3]
        return (FN, conv_output_size(H, FH, self.stride, self.pad, "height"),
                conv_output_size(W, FW, self.stride, self.pad, "width"))

    def _check_input(self, x):
        """x as a 4-D array of the weights' dtype, with as many channels as the filters."""
        x = _check_batch(x, "Convolution")
        C = self.W.shape[1]
        if x.shape[1] != C:
            raise ValueError(_("Convolution input has {channels} channels (x.shape = {shape}) but "
                               "the filters W of shape {W} expect C = {C}; the channel axis is "
                               "the second one (N, C, H, W)", channels=x.shape[1], shape=x.shape,
                               W=self.W.shape, C=C))
        return x.astype(self.W.dtype, copy=False)

    def forward(self, x, train_flg=None):
        x = self._check_input(x)
        FN, C, FH, FW = self.W.shape
        N = x.shape[0]
        out_h, out_w = self.output_shape(x.shape[1:])[1:]
        col = im2col(x, FH, FW, self.stride, self.pad)      # (N*OH*OW, C*FH*FW)
        col_W = self.W.reshape(FN, -1).T                     # (C*FH*FW, FN)
        out = col @ col_W + self.b                           # (N*OH*OW, FN)
        out = out.reshape(N, out_h, out_w, FN).transpose(0, 3, 1, 2)
        self.x, self.col, self.col_W = x, col, col_W
        return out

    def backward(self, dout):
        _need_forward(self, self.col)
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)   # (N*OH*OW, FN)
        self.db = dout.sum(axis=0)
        self.dW = (self.col.T @ dout).T.reshape(FN, C, FH, FW)
        dcol = dout @ self.col_W.T                           # (N*OH*OW, C*FH*FW)
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class Pooling(Layer):
    """Max or average pooling over ``pool_h x pool_w`` windows, channel by channel, with im2col.

    forward: x ``(N, C, H, W)`` -> ``(N, C, OH, OW)``; no parameters.
    backward: dout ``(N, C, OH, OW)`` -> dx ``(N, C, H, W)``.
    ``im2col`` gives every window of every channel as a row of ``pool_h*pool_w``
    numbers; the output is each row's maximum (or mean).  Max pooling's backward
    sends each gradient to the position of its window's maximum (the first one,
    if several tie: ``argmax``); average pooling shares it equally.  Padding
    counts as -inf (max) or 0 (avg).  As in the book, ``stride`` defaults to 1:
    pass ``stride=2`` for the usual 2x2 halving.
    The loop versions: ``naive.pool_forward_naive`` / ``pool_backward_naive``.
    """

    def __init__(self, pool_h, pool_w, stride=1, pad=0, mode="max"):
        super().__init__()
        if mode not in ("max", "avg"):
            raise ValueError(_("Pooling mode must be 'max' or 'avg', got {mode!r}", mode=mode))
        self.pool_h, self.pool_w = int(pool_h), int(pool_w)
        self.stride, self.pad, self.mode = int(stride), int(pad), mode
        self.x_shape = self.arg_max = None

    def output_shape(self, input_shape):
        C, H, W = input_shape
        return (C, conv_output_size(H, self.pool_h, self.stride, self.pad, "height"),
                conv_output_size(W, self.pool_w, self.stride, self.pad, "width"))

    def _check_input(self, x):
        x = _check_batch(x, "Pooling")
        return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float32)

    def _padded(self, x):
        p = self.pad
        fill = -np.inf if self.mode == "max" else 0
        return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill) if p else x

    def forward(self, x, train_flg=None):
        x = self._check_input(x)
        N, C, H, W = x.shape
        out_h, out_w = self.output_shape((C, H, W))[1:]
        xp = self._padded(x)
        col = im2col(xp, self.pool_h, self.pool_w, self.stride).reshape(-1, self.pool_h
                                                                        * self.pool_w)
        if self.mode == "max":
            out = col.max(axis=1)
            arg_max = np.argmax(col, axis=1)
        else:
            out = col.mean(axis=1)
            arg_max = None
        training = self._is_training(train_flg)
        self.x_shape = xp.shape if training else None            # backward needs a training pass
        self.arg_max = arg_max if training else None
        return out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        _need_forward(self, self.x_shape)
        N, C, H, W = self.x_shape                                 # the padded input's shape
        size = self.pool_h * self.pool_w
        # one number per window, (n, i, j, c) order
        dout = dout.transpose(0, 2, 3, 1).reshape(-1)
        if self.mode == "max":
            dcol = np.zeros((dout.size, size), dtype=dout.dtype)
            dcol[np.arange(dout.size), self.arg_max] = dout
        else:
            dcol = np.repeat(dout[:, None] / size, size, axis=1)
        dcol = dcol.reshape(-1, C * size)                        # back to im2col's rows
        dx = col2im(dcol, self.x_shape, self.pool_h, self.pool_w, self.stride)
        p = self.pad
        return dx[:, :, p:H - p, p:W - p]

    def __repr__(self):
        return (f"Pooling({self.pool_h}x{self.pool_w}, stride={self.stride}, pad={self.pad}, "
                f"mode={self.mode!r})")


class Affine(Layer):
    """Fully connected layer ``out = x @ W + b``.

    W: ``(D, M)``; b: ``(M,)``.  forward: x ``(N, D)`` or any ``(N, ...)`` whose
    trailing axes multiply to D (images are flattened) -> ``(N, M)``.
    backward: dout ``(N, M)`` -> dx of the input's original shape; sets ``dW``, ``db``.
    """

    param_names = ("W", "b")

    def __init__(self, W, b):
        super().__init__()
        W = np.asarray(W)
        if W.ndim != 2:
            raise ValueError(_("Affine weights W must be 2-D (D, M), got shape {shape}",
                               shape=W.shape))
        b = np.asarray(b, dtype=W.dtype).reshape(-1)
        if b.shape != (W.shape[1],):
            raise ValueError(_("b must have one entry per output: W has shape {W}, b has shape "
                               "{b}", W=W.shape, b=b.shape))
        self.W, self.b = W, b
        self.dW = self.db = None
        self.x = self.original_x_shape = None

    def output_shape(self, input_shape):
        return (self.W.shape[1],)

    def forward(self, x, train_flg=None):
        x = np.asarray(x)
        self.original_x_shape = x.shape
        x2 = x.reshape(x.shape[0], -1).astype(self.W.dtype, copy=False)
        if x2.shape[1] != self.W.shape[0]:
            raise ValueError(_("Affine expects {features} input features (W has shape {W}) but "
                               "got x of shape {shape}, i.e. {given} features per sample; check "
                               "the output size of the layer before it",
                               features=self.W.shape[0], W=self.W.shape, shape=x.shape,
                               given=x2.shape[1]))
        self.x = x2
        out = x2 @ self.W
        out += self.b
        return out

    def backward(self, dout):
        _need_forward(self, self.x)
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.original_x_shape)


class Relu(Layer):
    """``max(0, x)``, elementwise; any shape, kept.  The gradient passes where x > 0."""

    def __init__(self):
        super().__init__()
        self.mask = None

    def forward(self, x, train_flg=None):
        self.mask = x > 0
        return np.maximum(x, 0)

    def backward(self, dout):
        return dout * self.mask

    def output_shape(self, input_shape):
        return input_shape


class Sigmoid(Layer):
    """``1 / (1 + exp(-x))``, elementwise; any shape, the output has x's."""

    def __init__(self):
        super().__init__()
        self.out = None

    def forward(self, x, train_flg=None):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)

    def output_shape(self, input_shape):
        return input_shape


class Dropout(Layer):
    """Randomly zero a fraction ``dropout_ratio`` of the activations while training.

    This is *inverted* dropout: the kept activations are divided by
    ``1 - dropout_ratio`` during training, so in evaluation mode the layer does
    nothing at all (the book scales at test time instead; the two are the same
    network up to where the constant factor is applied).  Any shape; the
    output and dx have the input's shape.
    """

    def __init__(self, dropout_ratio=0.5, seed=None):
        super().__init__()
        if not 0 <= dropout_ratio < 1:
            raise ValueError(_("dropout_ratio must be in [0, 1), got {ratio}",
                               ratio=dropout_ratio))
        self.dropout_ratio = float(dropout_ratio)
        self.rng = np.random.default_rng(seed)
        self.mask = None

    def forward(self, x, train_flg=None):
        if not self._is_training(train_flg) or self.dropout_ratio == 0:
            self.mask = None
            return x
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.dropout_ratio
        self.mask = keep.astype(x.dtype) / np.asarray(1 - self.dropout_ratio, dtype=x.dtype)
        return x * self.mask

    def backward(self, dout):
        return dout if self.mask is None else dout * self.mask

    def output_shape(self, input_shape):
        return input_shape

    def __repr__(self):
        return f"Dropout({self.dropout_ratio})"


class BatchNormalization(Layer):
    """Batch normalisation: standardise each feature over the batch, then scale and shift.

    gamma, beta: ``(D,)``.  For a 2-D input ``(N, D)`` each of the D columns is
    a feature; for an image batch ``(N, C, H, W)`` each channel is one (D = C),
    its statistics taken over N, H and W.  In evaluation mode the running
    averages ``running_mean`` and ``running_var`` replace the batch statistics.
    forward: x ``(N, D)`` or ``(N, C, H, W)`` -> the same shape.
    backward: dout of that shape -> dx; sets ``dgamma`` and ``dbeta`` ``(D,)``.
    """

    param_names = ("gamma", "beta")
    buffer_names = ("running_mean", "running_var")

    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None, eps=1e-6):
        super().__init__()
        self.gamma = np.asarray(gamma).reshape(-1)
        self.beta = np.asarray(beta, dtype=self.gamma.dtype).reshape(-1)
        D = self.gamma.shape[0]
        self.momentum, self.eps = momentum, eps
        dtype = self.gamma.dtype
        self.running_mean = np.zeros(D, dtype) if running_mean is None else np.asarray(running_mean)
        self.running_var = np.ones(D, dtype) if running_var is None else np.asarray(running_var)
        self.dgamma = self.dbeta = None
        self._cache = None

    def _flat(self, x):
        if x.ndim == 4:
            return x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])
        if x.ndim == 2:
            return x
        raise ValueError(_("BatchNormalization takes (N, D) or (N, C, H, W), got shape {shape}",
                           shape=x.shape))

    def _unflat(self, y, shape):
        if len(shape) == 4:
            N, C, H, W = shape
            return y.reshape(N, H, W, C).transpose(0, 3, 1, 2)
        return y

    def forward(self, x, train_flg=None):
        x = np.asarray(x).astype(self.gamma.dtype, copy=False)
        x2 = self._flat(x)
        if x2.shape[1] != self.gamma.shape[0]:
            raise ValueError(_("BatchNormalization has {features} features but the input of "
                               "shape {shape} has {given}", features=self.gamma.shape[0],
                               shape=x.shape, given=x2.shape[1]))
        if self._is_training(train_flg):
            mu = x2.mean(axis=0)
            xc = x2 - mu
            var = (xc ** 2).mean(axis=0)
            std = np.sqrt(var + self.eps)
            xn = xc / std
            self._cache = (xc, xn, std, x.shape)
            m = self.momentum
            self.running_mean = m * self.running_mean + (1 - m) * mu
            self.running_var = m * self.running_var + (1 - m) * var
        else:
            self._cache = None
            xn = (x2 - self.running_mean) / np.sqrt(self.running_var + self.eps)
        return self._unflat(self.gamma * xn + self.beta, x.shape)

    def backward(self, dout):
        _need_forward(self, self._cache)
        xc, xn, std, shape = self._cache
        d2 = self._flat(dout)
        n = d2.shape[0]
        self.dbeta = d2.sum(axis=0)
        self.dgamma = (xn * d2).sum(axis=0)
        dxn = self.gamma * d2
        # d/dx of (x - mean) / std, written with the normalised values
        dx = (dxn - dxn.mean(axis=0) - xn * (dxn * xn).sum(axis=0) / n) / std
        return self._unflat(dx, shape)

    def output_shape(self, input_shape):
        return input_shape


class SoftmaxWithLoss(Layer):
    """Softmax followed by the cross-entropy loss, as one layer.

    forward(x, t): scores x ``(N, K)``; labels t ``(N,)`` integers in ``[0, K)``
    or one-hot ``(N, K)`` -> mean loss (a float).  ``self.y`` keeps the
    probabilities ``(N, K)``.  backward(dout=1) -> ``(y - onehot(t)) / N``, shape ``(N, K)``.
    """

    def __init__(self):
        super().__init__()
        self.y = self.t = self.loss = None

    def __call__(self, x, t, train_flg=None):
        return self.forward(x, t)

    def forward(self, x, t, train_flg=None):
        x = np.asarray(x)
        t = np.asarray(t)
        if x.ndim != 2:
            raise ValueError(_("SoftmaxWithLoss expects scores of shape (N, K), got {shape}",
                               shape=x.shape))
        if t.ndim == 2:
            if t.shape != x.shape:
                raise ValueError(_("one-hot labels of shape {labels} do not match the scores' "
                                   "shape {scores}", labels=t.shape, scores=x.shape))
            t = t.argmax(axis=1)
        if t.shape != (x.shape[0],):
            raise ValueError(_("got {rows} score rows but labels of shape {shape}",
                               rows=x.shape[0], shape=t.shape))
        if t.size and (t.min() < 0 or t.max() >= x.shape[1]
                       or not np.issubdtype(t.dtype, np.integer)):
            raise ValueError(_("labels must be integers in [0, {classes}), got values from {low} "
                               "to {high} (dtype {dtype})", classes=x.shape[1], low=t.min(),
                               high=t.max(), dtype=t.dtype))
        # the largest score becomes 0: exp cannot overflow
        z = x - x.max(axis=1, keepdims=True)
        e = np.exp(z)
        self.y = e / e.sum(axis=1, keepdims=True)
        self.t = t
        log_p = z[np.arange(len(t)), t] - np.log(e.sum(axis=1))
        self.loss = float(-log_p.mean())
        return self.loss

    def backward(self, dout=1):
        _need_forward(self, self.t)
        n = self.t.shape[0]
        dx = self.y.copy()
        dx[np.arange(n), self.t] -= 1
        return dx * (dout / n)


class ResidualBlock(Layer):
    """A residual block: ``out = branch(x) + x`` (He et al., 2015).

    layers: the branch, applied in order; its output must have the input's shape.
    backward: the gradient reaches x twice, once through the branch and once
    straight through the skip connection, and the two add:
    ``dx = dout + branch.backward(dout)``.  Even if the branch's gradient fades
    away, ``dout`` itself still arrives.
    """

    def __init__(self, layers):
        super().__init__()
        self.layers = list(layers)

    def sublayers(self):
        return tuple(self.layers)

    def forward(self, x, train_flg=None):
        out = x
        for layer in self.layers:
            out = layer.forward(out, train_flg)
        if out.shape != x.shape:
            raise ValueError(_("a residual branch must keep the shape of its input: got {shape} "
                               "in, {out} out; pad the convolutions so that OH = H",
                               shape=x.shape, out=out.shape))
        return out + x

    def backward(self, dout):
        d = dout
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return dout + d

    def output_shape(self, input_shape):
        return input_shape

    def __repr__(self):
        return "ResidualBlock(" + ", ".join(map(repr, self.layers)) + ")"
