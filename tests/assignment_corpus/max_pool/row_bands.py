# verdict: honest
# Loops over the output rows; the width handled with a sliding window.
from numpy.lib.stride_tricks import sliding_window_view


def max_pool_forward(x, pool_h, pool_w, stride):
    """Max pooling without padding: (N, C, H, W) -> (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    out = np.empty((N, C, OH, OW), dtype=x.dtype)
    for i in range(OH):
        band = x[:, :, i * stride:i * stride + pool_h, :]                     # (N, C, ph, W)
        wins = sliding_window_view(band, pool_w, axis=3)[:, :, :, ::stride]     # (N, C, ph, OW, pw)
        out[:, :, i, :] = wins.max(axis=(2, 4))
    return out


def max_pool_backward(dout, x, pool_h, pool_w, stride):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    dx = np.zeros(x.shape, dtype=dout.dtype)
    for i in range(OH):
        band = x[:, :, i * stride:i * stride + pool_h, :]
        wins = sliding_window_view(band, pool_w, axis=3)[:, :, :, ::stride]     # (N, C, ph, OW, pw)
        flat = wins.transpose(0, 1, 3, 2, 4).reshape(N, C, OW, -1)              # reading order inside a window
        k = flat.argmax(axis=-1)
        for t in range(pool_h * pool_w):
            a, b = divmod(t, pool_w)
            dx[:, :, i * stride + a, b:b + stride * OW:stride] += np.where(k == t, dout[:, :, i, :], 0)
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
