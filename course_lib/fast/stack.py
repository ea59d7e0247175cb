"""Convolution-Relu(-Pooling) layers run a few images at a time through all the layers.

Run layer by layer, each convolution reads its whole input batch from main
memory and writes its whole output back, and the threads wait for each other
after every layer.  Here a chunk of a few images goes through every layer of
the run before the next chunk starts: each layer's output is still in the
processor's cache when the next layer gathers its windows, and the threads meet
twice per training step (after the forward and after the backward pass)
instead of twice per layer.  Chunks go to whichever thread is free.

A chunk is some 25 images (a batch of 100: four chunks), and within it the
windows are gathered about a megabyte at a time, so they are still in the
cache when they are multiplied.  Smaller chunks would keep more of a chunk's
layers in the cache, but each NumPy call is started by Python code that holds
the interpreter's lock: the more calls per step, the more often one thread
waits for the other to let go of it.  A batch of 100 in chunks of 8 images made
four times as many calls and a training step 12 to 17 % slower on 2 cores.

Each layer writes its output straight into the zero-bordered input of the next
layer, so no padding is ever copied.  The backward pass takes the same chunks
through the layers in reverse; the gradient between two layers never leaves
the cache.  Each chunk's share of a filter gradient is kept apart and the
shares are added up in chunk order, so the result does not depend on which
thread took which chunk, nor on the number of threads.

A unit of the run is a fast ``Convolution`` with stride 1 and square filters,
the ``Relu`` after it and, when its 2x2 windows tile the image, the fast
``Pooling`` after that.  After a forward pass in training mode every layer
holds the state its own forward pass would have left (the convolution's input,
the ReLU's mask, the pooling's masks), with the same values; in evaluation
mode the masks are left out.
"""
import numpy as np

from .. import layers as ref
from .layers import Convolution, Pooling
from .parallel import map_shared, ones, padded_scratch, scratch, split

CHUNK_IMAGES = 25           # about this many images go through all the layers together
CHUNKS_MULTIPLE = 4         # so many chunks that 2 or 4 cores get equal shares
WINDOW_BYTES = 2 ** 20      # about this many bytes of windows gathered at a time
SUM_SLICE = 8192            # the chunks' shares of dW are added up this many numbers at a time


def _runs(xp, filter_h, filter_w, out_h, out_w):
    """The windows of a padded channels-last batch ``xp`` ``(N, H, W, C)``, stride 1, as
    ``(N, out_h, out_w, filter_h)`` void items, each one row of a window (``filter_w * C``
    numbers side by side in memory), and the items' dtype."""
    C = xp.shape[3]
    sN, sH, sW, _ = xp.strides
    item = np.dtype((np.void, filter_w * C * xp.itemsize))
    runs = np.ndarray((xp.shape[0], out_h, out_w, filter_h), dtype=item, buffer=xp, offset=0,
                      strides=(sN, sH, sW, sH))
    return runs, item


def _gather(runs, item, shape, dtype, name):
    """Copy the windows ``runs`` into this thread's work array ``name`` of ``shape``
    ``(n, OH, OW, FH, FW * C)``; returns it as ``(n * OH * OW, FH * FW * C)``."""
    col = scratch(name, shape, dtype)
    np.copyto(col.view(item)[..., 0], runs)
    return col.reshape(shape[0] * shape[1] * shape[2], -1)


def _pieces(rows, size):
    """The slice ``rows`` cut into nearly equal slices of at most ``size`` images."""
    n = rows.stop - rows.start
    return [slice(rows.start + s.start, rows.start + s.stop) for s in split(n, -(-n // size))]


def stackable(conv, shape):
    """True when ``conv`` can run in a stack for an input of ``shape`` ``(C, H, W)``: a fast
    Convolution (exactly) with stride 1, square filters, pad < filter size, floating point."""
    if type(conv) is not Convolution or len(shape) != 3:
        return False
    F, C, FH, FW = conv.W.shape
    return (conv.stride == 1 and FH == FW and conv.pad <= FH - 1 and shape[0] == C
            and np.issubdtype(conv.W.dtype, np.floating) and min(shape[1:]) + 2 * conv.pad >= FH)


def unit_at(layers, i, shape):
    """The unit ``(conv, relu, pool or None)`` that starts at ``layers[i]`` for an input of
    ``shape`` ``(C, H, W)``, or None."""
    if i + 1 >= len(layers) or type(layers[i + 1]) is not ref.Relu \
            or not stackable(layers[i], shape):
        return None
    conv = layers[i]
    _, OH, OW = conv.output_shape(shape)
    pool = layers[i + 2] if i + 2 < len(layers) and type(layers[i + 2]) is Pooling else None
    if pool is not None and not (pool.pool_h == pool.pool_w == 2 and pool._tiles(OH, OW)):
        pool = None
    return conv, layers[i + 1], pool


class _Stage:
    """One unit of a run, set up for a batch shape: its arrays and its part of a chunk's work."""

    def __init__(self, unit, N, shape, chunks):
        conv, self.relu, self.pool = unit
        self.conv = conv
        C, H, W = shape
        F, _, FH, FW = conv.W.shape
        p = conv.pad
        self.dtype = conv.W.dtype
        self.C, self.H, self.W, self.F, self.FH, self.FW, self.K = C, H, W, F, FH, FW, FH * FW * C
        _, self.OH, self.OW = conv.output_shape(shape)
        self.xp = conv._stack_input((N, H + 2 * p, W + 2 * p, C))   # zero border, kept
        self.x = self.xp[:, p:p + H, p:p + W]                           # (N, H, W, C), a view
        self.runs, self.item = _runs(self.xp, FH, FW, self.OH, self.OW)
        per_piece = max(1, WINDOW_BYTES // (self.OH * self.OW * self.K * self.dtype.itemsize))
        self.pieces = [_pieces(rows, per_piece) for rows in chunks]
        if self.pool is None:
            self.out_shape = (N, self.OH, self.OW, F)
        else:
            self.out_shape = (N, self.OH // 2, self.OW // 2, F)
        self.dest = None                # the next stage's input (a view), or the run's output
        self.mask = self.masks = None

    def start(self, training):
        """Before a forward pass: the filters as a matrix, and fresh arrays for the masks (the
        layers keep them as their state)."""
        conv, F = self.conv, self.F
        self.col_W = conv.W.transpose(2, 3, 1, 0).reshape(self.K, F)    # rows: (FH, FW, C)
        self.b_row = np.tile(conv.b, self.OW)                          # a whole output row's bias
        N = len(self.x)
        relu_mask = training and self.relu is not None
        self.mask = np.empty((N, self.OH, self.OW, F), dtype=bool) if relu_mask else None
        self.masks = None
        if training and self.pool is not None and self.pool.mode == "max":
            self.masks = np.empty((self.pool._mask_count(),) + self.out_shape, dtype=bool)

    def forward(self, i, rows):
        """The forward pass of chunk ``i`` (images ``rows``): from this stage's input into
        ``dest``.  The windows are gathered a piece of the chunk at a time; the ReLU and the
        pooling then run once on the chunk's whole output, still in the cache."""
        n, OH, OW, F = rows.stop - rows.start, self.OH, self.OW, self.F
        if self.relu is None and self.dest.flags.c_contiguous:
            o = self.dest[rows].reshape(-1, F)              # the products go straight to the output
        else:
            o = scratch("stack output", (n * OH * OW, F), self.dtype)
        per_image = OH * OW
        for part in self.pieces[i]:
            m = part.stop - part.start
            col = _gather(self.runs[part], self.item, (m, OH, OW, self.FH, self.FW * self.C),
                          self.dtype, "stack windows")
            first = (part.start - rows.start) * per_image
            np.matmul(col, self.col_W, out=o[first:first + m * per_image])
        o.reshape(n * OH, OW * F).__iadd__(self.b_row)
        o4 = o.reshape(n, OH, OW, F)
        if self.relu is None:
            if not np.shares_memory(o, self.dest):
                np.copyto(self.dest[rows], o4)
            return
        if self.pool is None:
            np.maximum(o4, 0, out=self.dest[rows])
        else:
            np.maximum(o, 0, out=o)
        if self.mask is not None:
            np.greater(o4, 0, out=self.mask[rows])
        if self.pool is not None:
            self.pool._tile_forward(o4.reshape(n, OH // 2, 2, OW // 2, 2, F), self.dest[rows],
                                    None if self.masks is None else self.masks[:, rows])

    def prepare_backward(self, chunk_count):
        """Arrays for each chunk's share of dW and db, and the flipped filters."""
        self.dW_parts = np.empty((chunk_count, self.K, self.F), dtype=self.dtype)
        self.db_parts = np.empty((chunk_count, self.F), dtype=self.dtype)
        flipped = self.conv.W[:, :, ::-1, ::-1].transpose(2, 3, 0, 1)        # (FH, FW, F, C)
        self.W_flip = flipped.reshape(self.FH * self.FW * self.F, self.C)

    def backward(self, i, rows, g, need_dx):
        """Chunk ``i`` (images ``rows``): g, the gradient of this stage's output ``(n, oh, ow, F)``,
        -> the gradient of its input (a work array), or None when ``need_dx`` is false.
        Writes the chunk's share of dW and db."""
        n, OH, OW, F = rows.stop - rows.start, self.OH, self.OW, self.F
        q = self.FH - 1 - self.conv.pad        # the border dx's convolution of the gradient needs
        d = scratch("stack dout", (n, OH, OW, F), self.dtype)
        if self.pool is not None and self.pool.mode == "max":
            # the ReLU lets the gradient through where the window's maximum (the output) is > 0
            alive = scratch("stack alive", g.shape, bool)
            np.greater(self.dest[rows], 0, out=alive)
            g_alive = scratch("stack pooled dout", g.shape, self.dtype)
            np.multiply(g, alive, out=g_alive)
            self.pool._tile_backward(g_alive, d.reshape(n, OH // 2, 2, OW // 2, 2, F),
                                     self.masks[:, rows])
        elif self.pool is not None:
            self.pool._tile_backward(g, d.reshape(n, OH // 2, 2, OW // 2, 2, F), None)
            np.multiply(d, self.mask[rows], out=d)
        elif self.relu is not None:
            np.multiply(g, self.mask[rows], out=d)
        else:
            np.copyto(d, g)
        d_flat = d.reshape(-1, F)
        np.matmul(ones(len(d_flat), self.dtype), d_flat, out=self.db_parts[i])
        self._windows_dW(i, rows, d_flat, self.dW_parts[i])
        if not need_dx:
            return None
        dp = padded_scratch(d, q) if q else d
        # dx is the convolution of the gradient (bordered by FH - 1 - pad) with the flipped filters
        H, W, C = self.H, self.W, self.C
        runs, item = _runs(dp, self.FH, self.FW, H, W)
        gx = scratch("stack dx", (n, H, W, C), self.dtype)
        per_piece = max(1, WINDOW_BYTES // (H * W * self.FH * self.FW * F * self.dtype.itemsize))
        for part in _pieces(slice(0, n), per_piece):
            m = part.stop - part.start
            win = _gather(runs[part], item, (m, H, W, self.FH, self.FW * F), self.dtype,
                          "stack dout windows")
            np.matmul(win, self.W_flip, out=gx[part].reshape(-1, C))
        return gx

    def _windows_dW(self, i, rows, d_flat, out):
        """dW of the images ``rows`` as (windows of x)^T @ dout, into ``out`` ``(K, F)``."""
        per_image = self.OH * self.OW
        for k, part in enumerate(self.pieces[i]):
            m = part.stop - part.start
            shape = (m, self.OH, self.OW, self.FH, self.FW * self.C)
            col = _gather(self.runs[part], self.item, shape, self.dtype, "stack windows")
            first = (part.start - rows.start) * per_image
            d_part = d_flat[first:first + m * per_image]
            if k == 0:
                np.matmul(col.T, d_part, out=out)
            else:
                out += col.T @ d_part

    def sum_parts(self):
        """The jobs that add up the chunks' shares of dW, in chunk order: each a function that
        sums a slice of the (K * F) numbers into ``self.dW_sum``."""
        parts = self.dW_parts.reshape(len(self.dW_parts), -1)
        self.dW_sum = np.empty(parts.shape[1], dtype=self.dtype)
        return [lambda s=s: np.sum(parts[:, s], axis=0, out=self.dW_sum[s])
                for s in split(parts.shape[1], -(-parts.shape[1] // SUM_SLICE))]

    def finish_backward(self):
        """The layer's ``dW`` (from ``dW_sum``) and ``db``."""
        dW = self.dW_sum.reshape(self.FH, self.FW, self.C, self.F).transpose(3, 2, 0, 1)
        self.conv.dW = np.ascontiguousarray(dW)
        self.conv.db = self.db_parts.sum(axis=0)
        self.dW_parts = self.db_parts = self.dW_sum = None

    def set_layer_state(self, training):
        self.conv._x = self.x
        if self.relu is not None:
            self.relu.mask = None if self.mask is None else self.mask.transpose(0, 3, 1, 2)
        if self.pool is not None:
            N, oh, ow, F = self.out_shape
            self.pool._x_shape = (N, F, self.OH, self.OW) if training else None
            self.pool._masks, self.pool._arg = self.masks, None

    def state_is_ours(self):
        """True while every layer of the unit still holds the state this run gave it."""
        relu = self.relu
        relu_ok = relu is None or (relu.mask is not None and relu.mask.base is self.mask)
        pool_ok = self.pool is None or self.pool._masks is self.masks
        return self.conv._x is self.x and relu_ok and pool_ok


class Stack:
    """Units ``(conv, relu, pool)`` one after the other, ``layers[start:stop]``, run a chunk of
    images at a time through all of them."""

    def __init__(self, units, start, stop):
        self.units, self.start, self.stop = units, start, stop
        self.layers = [layer for unit in units for layer in unit if layer is not None]
        self.plan = self.stages = self.chunks = self.out = None
        self.done = self.trained = False

    def _setup(self, N, shape, dtype):
        """The stages and chunks for a batch of N images of ``shape``, kept while they fit."""
        plan = (N, tuple(shape), dtype)
        if self.plan == plan:
            return
        count = -(-N // CHUNK_IMAGES)
        chunks = split(N, -(-count // CHUNKS_MULTIPLE) * CHUNKS_MULTIPLE)
        stages = []
        for unit in self.units:
            stages.append(_Stage(unit, N, shape, chunks))
            _, oh, ow, F = stages[-1].out_shape
            shape = (F, oh, ow)
        for stage, after in zip(stages, stages[1:]):
            stage.dest = after.x
        last = stages[-1]
        # the backward pass of a last unit with max pooling reads the output (where the ReLU lets
        # the gradient through): then it is kept here, and the caller gets a copy
        self.out = None
        if last.pool is not None and last.pool.mode == "max" and last.relu is not None:
            self.out = np.empty(last.out_shape, dtype=last.dtype)
        self.stages, self.chunks, self.plan = stages, chunks, plan

    def forward(self, x, training):
        """x ``(N, C, H, W)`` -> the last unit's output ``(N, F, OH, OW)``."""
        first = self.units[0][0]
        x = first._check_input(x)
        self.done = False
        self._setup(len(x), x.shape[1:], x.dtype)
        stages, chunks = self.stages, self.chunks
        for stage in stages:
            stage.start(training)
        last = stages[-1]
        out = last.dest = self.out if self.out is not None else np.empty(last.out_shape, last.dtype)
        x_nhwc = x.transpose(0, 2, 3, 1)

        def run(i):
            np.copyto(stages[0].x[chunks[i]], x_nhwc[chunks[i]])
            for stage in stages:
                stage.forward(i, chunks[i])

        map_shared(run, len(chunks))
        for stage in stages:
            stage.set_layer_state(training)
        self.done, self.trained = True, training
        return (out if self.out is None else out.copy()).transpose(0, 3, 1, 2)

    def ran_forward(self, layers):
        """True when the last forward pass of ``layers[start:stop]`` was this run's."""
        return self.done and layers[self.start:self.stop] == self.layers \
            and all(stage.state_is_ours() for stage in self.stages)

    def backward(self, dout, need_dx):
        """dout ``(N, F, OH, OW)`` -> dx ``(N, C, H, W)`` (None when ``need_dx`` is false); sets
        every convolution's ``dW`` and ``db``."""
        if not self.trained:
            raise RuntimeError("the backward pass needs a forward pass in training mode: call "
                               "forward(x, train_flg=True) (or train()) first")
        stages, chunks = self.stages, self.chunks
        d = np.asarray(dout).transpose(0, 2, 3, 1)
        if d.shape != stages[-1].out_shape:
            N, oh, ow, F = stages[-1].out_shape
            raise ValueError(f"dout has shape {np.shape(dout)}; the forward pass gave "
                             f"({N}, {F}, {oh}, {ow})")
        for stage in stages:
            stage.prepare_backward(len(chunks))
        first = stages[0]
        dx = None
        if need_dx:
            dx = np.empty((len(first.x), first.H, first.W, first.C), dtype=first.dtype)

        def run(i):
            rows = chunks[i]
            g = d[rows]
            for k in reversed(range(len(stages))):
                g = stages[k].backward(i, rows, g, need_dx or k > 0)
            if need_dx:
                dx[rows] = g

        map_shared(run, len(chunks))
        sums = [job for stage in stages for job in stage.sum_parts()]
        map_shared(lambda k: sums[k](), len(sums))
        for stage in stages:
            stage.finish_backward()
        return None if dx is None else dx.transpose(0, 3, 1, 2)


def single(conv, shape):
    """A stack of the convolution alone (no ReLU after it) for an input of ``shape``
    ``(C, H, W)``, kept on the layer, or None when the convolution cannot be stacked.  A fast
    convolution run on its own computes through it, exactly as inside a longer stack, so a
    network run layer by layer gives the same numbers as the network run at once."""
    if not stackable(conv, shape):
        return None
    own = getattr(conv, "_single", None)
    if own is None:
        own = conv._single = Stack([(conv, None, None)], 0, 1)
    return own


def find_stack(layers, i, shape):
    """The longest run of units starting at ``layers[i]`` for an input of ``shape`` ``(C, H, W)``,
    or None.  The run found last time for these layers is reused."""
    units, j = [], i
    while True:
        unit = unit_at(layers, j, shape)
        if unit is None:
            break
        F, OH, OW = unit[0].output_shape(shape)
        shape = (F, OH // 2, OW // 2) if unit[2] is not None else (F, OH, OW)
        units.append(unit)
        j += 3 if unit[2] is not None else 2
    if not units:
        return None
    old = getattr(layers[i], "_stack", None)
    if old is not None and (old.start, old.stop, old.units) == (i, j, units):
        return old
    return Stack(units, i, j)
