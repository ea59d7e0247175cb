# verdict: honest
# np.amax of an as_strided view; the gradient via the same view's argmax.
from numpy.lib.stride_tricks import as_strided


def max_pool_forward(x, pool_h, pool_w, stride):
    """Max pooling without padding: (N, C, H, W) -> (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    windows = as_strided(x, shape=(N, C, OH, OW, pool_h, pool_w),
                         strides=x.strides[:2] + (x.strides[2] * stride, x.strides[3] * stride) + x.strides[2:],
                         writeable=False)
    return np.amax(windows, axis=(4, 5))


def max_pool_backward(dout, x, pool_h, pool_w, stride):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    windows = as_strided(x, shape=(N, C, OH, OW, pool_h, pool_w),
                         strides=x.strides[:2] + (x.strides[2] * stride, x.strides[3] * stride) + x.strides[2:],
                         writeable=False)
    flat_arg = windows.reshape(N, C, OH, OW, pool_h * pool_w).argmax(axis=4)
    dx = np.zeros(x.shape, dtype=x.dtype)
    for a in range(pool_h):
        for b in range(pool_w):
            chosen = flat_arg == a * pool_w + b
            dx[:, :, a:a + stride * OH:stride, b:b + stride * OW:stride] += np.where(chosen, dout, 0).astype(x.dtype)
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
