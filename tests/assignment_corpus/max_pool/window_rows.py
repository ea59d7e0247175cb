# verdict: honest
# Loops over the rows of a window (pool_h); a sliding view covers its columns.
from numpy.lib.stride_tricks import sliding_window_view


def max_pool_forward(x, pool_h, pool_w, stride):
    """Max pooling without padding: (N, C, H, W) -> (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    out = None
    for a in range(pool_h):
        rows = x[:, :, a:a + stride * OH:stride, :]                                    # (N, C, OH, W)
        m = sliding_window_view(rows, pool_w, axis=3)[:, :, :, ::stride].max(axis=-1)  # (N, C, OH, OW)
        out = m if out is None else np.maximum(out, m)
    return out


def max_pool_backward(dout, x, pool_h, pool_w, stride):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    flat = sliding_window_view(x, (pool_h, pool_w), axis=(2, 3))[:, :, ::stride, ::stride]
    k = flat.reshape(N, C, OH, OW, -1).argmax(-1)
    dx = np.zeros(x.shape, dtype=dout.dtype)
    for a in range(pool_h):
        for b in range(pool_w):
            dx[:, :, a:a + stride * OH:stride, b:b + stride * OW:stride] += dout * (k == a * pool_w + b)
    return dx


class MaxPooling(Layer):
    """Max pooling with your two functions: (N, C, H, W) -> (N, C, OH, OW)."""

    def __init__(self, pool_h, pool_w, stride):
        super().__init__()
        self.pool_h, self.pool_w, self.stride = pool_h, pool_w, stride
        self.x = None

    def output_shape(self, input_shape):
        C, H, W = input_shape
        return (C,) + output_size(H, W, self.pool_h, self.pool_w, self.stride, 0)

    def forward(self, x, train_flg=None):
        self.x = x
        return max_pool_forward(x, self.pool_h, self.pool_w, self.stride)

    def backward(self, dout):
        return max_pool_backward(dout, self.x, self.pool_h, self.pool_w, self.stride)

    def __repr__(self):
        return f"MaxPooling({self.pool_h}x{self.pool_w}, stride={self.stride})"
