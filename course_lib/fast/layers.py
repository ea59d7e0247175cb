"""The fast layers: the reference layers' contract, computed for speed.

``Convolution`` and ``Pooling`` take the same arguments as those in
``course_lib.layers`` and give the same values (the tests compare them to
1e-10 in float64); only how they compute differs:

* images are kept in channels-last memory order behind the usual
  ``(N, C, H, W)`` shape (like PyTorch's ``channels_last``), so windows are
  gathered from contiguous runs of memory (``windows_nhwc``);
* a convolution with stride 1 and square filters computes through
  ``course_lib.fast.stack`` (a stack of itself alone), exactly as it does
  inside a network's stack, so the layers run one by one give the same
  numbers as the network run at once;
* other convolutions take the batch in blocks whose window matrix fits in
  the processor's cache, written into reused per-thread work arrays, the
  blocks shared out over all cores (``course_lib.fast.parallel``);
* the backward pass of a stride-1 convolution is a convolution of ``dout``
  with the flipped filters (a transposed convolution), other strides use
  ``col2im_nhwc``; ``backward(dout, need_dx=False)`` skips the input gradient,
  which the first layer of a network never needs;
* 2x2 pooling with stride 2 works on whole tiles, with no window copies, in
  blocks on all cores;
* ``Convolution.forward(x, relu=..., pool=...)`` / ``backward(dout,
  relu_mask=..., pool=...)`` apply the ReLU that follows the convolution, and
  a 2x2 pooling after it, inside each block (the networks do this through
  ``course_lib.fast.fused``);
* ``SoftmaxWithLoss`` leaves out probabilities below 1e-20 from its gradient,
  so that no slow subnormal numbers travel back through the network.
"""
import numpy as np

from .. import layers as ref
from ..functional import conv_output_size
from .parallel import map_blocks, padded_scratch, scratch, split, workers
from .windows import col2im_nhwc, windows_nhwc


def batch_blocks(n, bytes_per_image, block_bytes):
    """``n`` images cut into slices of about ``block_bytes`` (``bytes_per_image`` each), of
    equal sizes and as many for every core."""
    per_block = max(1, int(block_bytes // max(bytes_per_image, 1)))
    count = -(-n // per_block)
    count = -(-count // workers()) * workers()      # a multiple of the number of cores
    return split(n, count)


class Convolution(ref.Convolution):
    """``course_lib.layers.Convolution`` in blocks, on all cores, channels-last.

    Same shapes: forward x ``(N, C, H, W)`` -> ``(N, FN, OH, OW)``;
    backward(dout, need_dx=True) -> dx ``(N, C, H, W)`` (``None`` when
    ``need_dx=False``); sets ``dW`` and ``db``.
    """

    threaded = True
    BLOCK_BYTES = 4 * 2 ** 20     # about this many bytes of windows per block

    def __init__(self, W, b, stride=1, pad=0):
        super().__init__(W, b, stride, pad)
        self._x = None

    def _stack_input(self, shape):
        """This layer's zero-bordered input array of ``shape`` ``(N, H + 2 pad, W + 2 pad, C)`` for
        ``course_lib.fast.stack``, kept from call to call: only its middle is ever written."""
        buf = getattr(self, "_stack_buffer", None)
        if buf is None or buf.shape != shape or buf.dtype != self.W.dtype:
            buf = self._stack_buffer = np.zeros(shape, dtype=self.W.dtype)
        return buf

    def _blocks(self, n, bytes_per_image):
        """Slices of the batch, about ``BLOCK_BYTES`` of windows each, of equal sizes
        and as many for every core."""
        return batch_blocks(n, bytes_per_image, self.BLOCK_BYTES)

    @staticmethod
    def _windows(name, x, filter_h, filter_w, stride, pad):
        """``windows_nhwc`` of x, written into this thread's reused work arrays."""
        n, H, W, C = x.shape
        OH, OW = conv_output_size(H, filter_h, stride, pad), conv_output_size(W, filter_w, stride, pad)
        xp = padded_scratch(x, pad) if pad else x
        out = scratch(name, (n, OH, OW, filter_h, filter_w, C), x.dtype)
        return windows_nhwc(xp, filter_h, filter_w, stride, 0, out=out)

    def forward(self, x, train_flg=None, relu=None, pool=None):
        """``relu``: a ``Relu`` layer applied to the output here, block by block while the
        block is in the cache; its ``mask`` is set as its own ``forward`` would set it.
        ``pool`` (with ``relu``): a fast ``Pooling`` whose windows tile the output, applied
        after the ReLU in the same blocks; the pooled batch is returned, and the full
        output never leaves the cache."""
        if relu is None and pool is None:
            from .stack import single                  # (stack builds on this module)
            own = single(self, np.shape(x)[1:]) if np.ndim(x) == 4 else None
            if own is not None:
                return own.forward(x, training=True)
        x = self._check_input(x).transpose(0, 2, 3, 1)                   # (N, H, W, C), a view
        FN, C, FH, FW = self.W.shape
        N, H, W = x.shape[:3]
        _, OH, OW = self.output_shape((C, H, W))
        K = FH * FW * C
        col_W = self.W.transpose(2, 3, 1, 0).reshape(K, FN)              # rows in (FH, FW, C) order
        dtype = self.W.dtype
        b_row = np.tile(self.b, OW)                                      # the bias of every pixel of a row
        if relu is not None:
            relu.mask = None                        # the last step's mask goes before the new one comes
        mask = None if relu is None else np.empty((N, OH, OW, FN), dtype=bool)
        if pool is None:
            out = np.empty((N, OH, OW, FN), dtype=dtype)
        else:
            out, ph, pw = None, pool.pool_h, pool.pool_w
            training = pool._is_training(train_flg)
            pool._masks = pool._arg = None
            pooled = np.empty((N, OH // ph, OW // pw, FN), dtype=dtype)
            pool_masks = np.empty((pool._mask_count(),) + pooled.shape, dtype=bool) \
                if training and pool.mode == "max" else None

        def block(blk):
            n = blk.stop - blk.start
            col = self._windows("windows", x[blk], FH, FW, self.stride, self.pad).reshape(-1, K)
            o4 = out[blk] if out is not None else scratch("conv output", (n, OH, OW, FN), dtype)
            o = o4.reshape(-1, FN)
            np.matmul(col, col_W, out=o)
            rows = o4.reshape(-1, OW * FN)              # a whole output row at a time: a long inner loop
            rows += b_row
            if mask is not None:
                np.greater(o, 0, out=mask[blk].reshape(-1, FN))
                np.maximum(o, 0, out=o)
            if pool is not None:
                pool._tile_forward(o4.reshape(n, OH // ph, ph, OW // pw, pw, FN), pooled[blk],
                                   None if pool_masks is None else pool_masks[:, blk])

        map_blocks(block, self._blocks(N, OH * OW * max(K, FN) * x.itemsize))
        self._x = x
        if relu is not None:
            relu.mask = mask.transpose(0, 3, 1, 2)
        if pool is not None:
            pool._x_shape = (N, FN, OH, OW) if training else None
            pool._masks = pool_masks
            return pooled.transpose(0, 3, 1, 2)
        return out.transpose(0, 3, 1, 2)

    def backward(self, dout, need_dx=True, relu_mask=None, overwrite_dout=False, pool=None):
        """``relu_mask``: the mask of a ``Relu`` that followed this layer; ``dout`` is then the
        gradient of the ReLU's output, and ``dout * relu_mask`` is formed here, block by block
        (in ``dout``'s own memory when ``overwrite_dout`` is true: a network's intermediate gradient).
        ``pool``: the Pooling fused after the ReLU by ``forward``; ``dout`` is then the gradient of
        the pooled output, spread back over the windows here, block by block."""
        own = getattr(self, "_single", None)
        if relu_mask is None and pool is None and own is not None and own.ran_forward([self]):
            return own.backward(dout, need_dx)
        ref._need_forward(self, self._x)
        x = self._x
        N, H, W, C = x.shape
        FN, _, FH, FW = self.W.shape
        K = FH * FW * C
        if pool is None:
            d = np.ascontiguousarray(dout.transpose(0, 2, 3, 1))       # free for channels-last dout
            OH, OW = d.shape[1:3]
        else:
            d = dout.transpose(0, 2, 3, 1)                              # (N, OH / ph, OW / pw, FN)
            OH, OW = pool._x_shape[2:]
            ph, pw = pool.pool_h, pool.pool_w
        m = None if relu_mask is None else relu_mask.transpose(0, 2, 3, 1)
        in_place = overwrite_dout or not np.may_share_memory(d, dout)
        q = FH - 1 - self.pad
        transposed = self.stride == 1 and FH == FW and q >= 0
        if need_dx:
            dx = np.empty((N, H, W, C), dtype=self.W.dtype)
            if transposed:
                # dx is a convolution of dout (padded by FH - 1 - pad) with the flipped filters:
                # one more window gather and matrix product, no scattered adds.
                W_flip = self.W[:, :, ::-1, ::-1].transpose(2, 3, 0, 1).reshape(FH * FW * FN, C)
            else:
                col_W = self.W.transpose(2, 3, 1, 0).reshape(K, FN)
        per_image = max(OH * OW * max(K, FN), H * W * FH * FW * FN if need_dx else 0) * x.itemsize

        def block(blk):
            col = self._windows("windows", x[blk], FH, FW, self.stride, self.pad).reshape(-1, K)
            if pool is not None:
                n = blk.stop - blk.start
                d_img = scratch("pooled dout", (n, OH, OW, FN), d.dtype)
                pool._tile_backward(d[blk], d_img.reshape(n, OH // ph, ph, OW // pw, pw, FN),
                                    None if pool._masks is None else pool._masks[:, blk])
                if m is not None:
                    np.multiply(d_img, m[blk], out=d_img)
            else:
                d_img = d[blk]
            if pool is None and m is not None:
                d_img = np.multiply(d_img, m[blk], out=d_img if in_place else
                                    scratch("masked dout", d_img.shape, d.dtype))
            d_blk = d_img.reshape(-1, FN)
            if need_dx and transposed:
                win = self._windows("dout windows", d_img, FH, FW, 1, q).reshape(-1, FH * FW * FN)
                np.matmul(win, W_flip, out=dx[blk].reshape(-1, C))
            elif need_dx:
                n = blk.stop - blk.start
                dcol = (d_blk @ col_W.T).reshape(n, OH, OW, FH, FW, C)
                dx[blk] = col2im_nhwc(dcol, (n, H, W, C), self.stride, self.pad)
            # This block's share of dW and db.  (A product with a vector of ones sums the
            # rows of d_blk several times faster than d_blk.sum(axis=0) does.)
            return col.T @ d_blk, np.ones(len(d_blk), dtype=d_blk.dtype) @ d_blk

        shares = map_blocks(block, self._blocks(N, per_image))
        dW = sum(dW_part for dW_part, _ in shares)
        self.db = sum(db_part for _, db_part in shares)
        self.dW = np.ascontiguousarray(dW.reshape(FH, FW, C, FN).transpose(3, 2, 0, 1))
        return dx.transpose(0, 3, 1, 2) if need_dx else None


class Pooling(ref.Pooling):
    """``course_lib.layers.Pooling`` on channels-last windows; whole tiles for 2x2, stride 2,
    in blocks of the batch on all cores.

    Same shapes: forward x ``(N, C, H, W)`` -> ``(N, C, OH, OW)``;
    backward dout ``(N, C, OH, OW)`` -> dx ``(N, C, H, W)``.
    """

    def __init__(self, pool_h, pool_w, stride=1, pad=0, mode="max"):
        super().__init__(pool_h, pool_w, stride, pad, mode)
        self._x_shape = self._arg = self._masks = None

    def _tiles(self, H, W):
        """True when the windows tile the image exactly (the usual 2x2, stride 2)."""
        return (self.pad == 0 and self.stride == self.pool_h == self.pool_w
                and H % self.stride == 0 and W % self.stride == 0)

    def _mask_count(self):
        """How many boolean arrays record where each window's maximum is: 3 for 2x2 windows
        (which of each pair of a row, which row), else one per position."""
        return 3 if (self.pool_h, self.pool_w) == (2, 2) else self.pool_h * self.pool_w

    def _tile_forward(self, v, out, masks):
        """Pool one block of whole tiles.  v: ``(n, OH, ph, OW, pw, C)``; out: ``(n, OH, OW, C)``;
        masks: ``(_mask_count(), n, OH, OW, C)`` booleans to fill (max pooling in training) or
        None."""
        ph, pw = self.pool_h, self.pool_w
        # Non-overlapping windows: a reshape shows each window's ph * pw positions as
        # separate axes, and the pooling is ph * pw - 1 elementwise operations.
        parts = [v[:, :, a, :, b] for a in range(ph) for b in range(pw)]
        if self.mode != "max":
            np.add(parts[0], parts[1], out=out) if len(parts) > 1 else np.copyto(out, parts[0])
            for p in parts[2:]:
                out += p
            out /= np.asarray(ph * pw, dtype=out.dtype)
        elif (ph, pw) == (2, 2):
            # A tree of three maximums.  The first maximum of the window (reading row by row)
            # is in the second row only when that row's maximum is strictly larger, and at the
            # second place of a row only when that value is strictly larger than the first.
            np.maximum(parts[0], parts[1], out=out)
            lower = scratch("pooling second row", out.shape, out.dtype)
            np.maximum(parts[2], parts[3], out=lower)
            if masks is not None:
                np.greater(parts[1], parts[0], out=masks[0])      # first row: the second place
                np.greater(parts[3], parts[2], out=masks[1])      # second row: the second place
                np.greater(lower, out, out=masks[2])              # the second row
            np.maximum(out, lower, out=out)
        else:
            np.copyto(out, parts[0])
            for p in parts[1:]:
                np.maximum(out, p, out=out)
            if masks is not None:
                # masks[k] marks the windows whose first maximum sits at position k
                seen = scratch("pooling seen", out.shape, bool)
                seen[...] = False
                for k, p in enumerate(parts[:-1]):
                    np.equal(p, out, out=masks[k])
                    np.greater(masks[k], seen, out=masks[k])          # and not seen before
                    seen |= masks[k]
                np.logical_not(seen, out=masks[-1])

    def _tile_backward(self, d, dx, masks):
        """One block's gradient.  d: ``(n, OH, OW, C)``; dx: ``(n, OH, ph, OW, pw, C)`` to fill."""
        ph, pw = self.pool_h, self.pool_w
        if self.mode == "max" and (ph, pw) == (2, 2):
            # d goes to one row, then to one place of that row: d * m and d - d * m (exact:
            # the masks are 0 or 1)
            second = scratch("pooling second row gradient", d.shape, d.dtype)
            first = scratch("pooling first row gradient", d.shape, d.dtype)
            np.multiply(d, masks[2], out=second)
            np.subtract(d, second, out=first)
            for row, grad, mask in ((0, first, masks[0]), (1, second, masks[1])):
                np.multiply(grad, mask, out=dx[:, :, row, :, 1])
                np.subtract(grad, dx[:, :, row, :, 1], out=dx[:, :, row, :, 0])
            return
        for a in range(ph):
            for b in range(pw):
                if self.mode == "max":
                    np.multiply(d, masks[a * pw + b], out=dx[:, :, a, :, b])
                else:
                    np.divide(d, ph * pw, out=dx[:, :, a, :, b])

    BLOCK_BYTES = 2 ** 20         # about this many bytes of input per block

    def _blocks(self, n, bytes_per_image):
        return batch_blocks(n, bytes_per_image, self.BLOCK_BYTES)

    def forward(self, x, train_flg=None):
        x = self._check_input(x)
        N, C, H, W = x.shape
        self.output_shape((C, H, W))                                    # checks the sizes
        training = self._is_training(train_flg)
        self._x_shape = x.shape if training else None
        self._masks = self._arg = None
        ph, pw = self.pool_h, self.pool_w
        xt = x.transpose(0, 2, 3, 1)                                    # (N, H, W, C)
        if self._tiles(H, W):
            v = np.ascontiguousarray(xt).reshape(N, H // ph, ph, W // pw, pw, C)
            out = np.empty((N, H // ph, W // pw, C), dtype=x.dtype)
            masks = None
            if training and self.mode == "max":
                masks = self._masks = np.empty((self._mask_count(),) + out.shape, dtype=bool)
            map_blocks(lambda blk: self._tile_forward(v[blk], out[blk], None if masks is None else masks[:, blk]),
                       self._blocks(N, H * W * C * x.itemsize))
            return out.transpose(0, 3, 1, 2)
        fill = -np.inf if self.mode == "max" else 0
        win = windows_nhwc(xt, ph, pw, self.stride, self.pad, fill)
        OH, OW = win.shape[1:3]
        win = win.reshape(N, OH, OW, ph * pw, C)
        if self.mode == "max":
            arg = win.argmax(axis=3)[:, :, :, None, :]
            out = np.take_along_axis(win, arg, axis=3)[:, :, :, 0, :]
            self._arg = arg if training else None
        else:
            out = win.mean(axis=3, dtype=x.dtype)
        return out.transpose(0, 3, 1, 2)

    def backward(self, dout):
        ref._need_forward(self, self._x_shape)
        N, C, H, W = self._x_shape
        ph, pw = self.pool_h, self.pool_w
        d = dout.transpose(0, 2, 3, 1)                      # (N, OH, OW, C)
        OH, OW = d.shape[1:3]
        k = ph * pw
        if self._tiles(H, W):
            dx = np.empty((N, OH, ph, OW, pw, C), dtype=dout.dtype)
            map_blocks(lambda blk: self._tile_backward(d[blk], dx[blk], None if self._masks is None
                                                       else self._masks[:, blk]),
                       self._blocks(N, H * W * C * dout.itemsize))
            return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2)
        if self.mode == "max":
            dwin = np.zeros((N, OH, OW, k, C), dtype=dout.dtype)
            np.put_along_axis(dwin, self._arg, d[:, :, :, None, :], axis=3)
        else:
            dwin = np.broadcast_to(d[:, :, :, None, :] / k, (N, OH, OW, k, C))
        dwin = dwin.reshape(N, OH, OW, ph, pw, C)
        dx = col2im_nhwc(dwin, (N, H, W, C), self.stride, self.pad)
        return dx.transpose(0, 3, 1, 2)


class SoftmaxWithLoss(ref.SoftmaxWithLoss):
    """``course_lib.layers.SoftmaxWithLoss`` whose gradient leaves out probabilities below 1e-20.

    A confident network gives its wrong classes probabilities like 1e-35;
    kept, they would travel back through the layers as ever smaller
    "subnormal" numbers (below about 1e-38 in float32), which processors handle
    many times more slowly than ordinary ones.  Their share of the gradient is
    far below rounding error.
    """

    FLUSH_BELOW = 1e-20

    def backward(self, dout=1):
        ref._need_forward(self, self.t)
        n = self.t.shape[0]
        dx = self.y.copy()
        dx[dx < self.FLUSH_BELOW] = 0
        dx[np.arange(n), self.t] -= 1
        return dx * (dout / n)
