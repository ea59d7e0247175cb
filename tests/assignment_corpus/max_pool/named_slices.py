# verdict: honest
# Builds the slice objects once and reuses them in both passes.
def window_slices(ph, pw, OH, OW, stride):
    """(rows, cols) slices that pick position (a, b) of every window, in reading order."""
    return [(slice(a, a + stride * OH, stride), slice(b, b + stride * OW, stride))
            for a in range(ph) for b in range(pw)]


def max_pool_forward(x, pool_h, pool_w, stride):
    """Max pooling without padding: (N, C, H, W) -> (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    out = None
    for rs, cs in window_slices(pool_h, pool_w, OH, OW, stride):
        v = x[:, :, rs, cs]
        out = v.copy() if out is None else np.maximum(out, v)
    return out


def max_pool_backward(dout, x, pool_h, pool_w, stride):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    slices = window_slices(pool_h, pool_w, OH, OW, stride)
    vals = np.stack([x[:, :, rs, cs] for rs, cs in slices], axis=-1)
    first = vals.argmax(axis=-1)
    dx = np.zeros(x.shape, dtype=dout.dtype)
    for k, (rs, cs) in enumerate(slices):
        dx[:, :, rs, cs] += np.where(first == k, dout, 0)
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
