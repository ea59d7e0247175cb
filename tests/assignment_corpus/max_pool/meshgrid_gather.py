# verdict: honest
# Window index arrays from np.meshgrid: one gather, one scatter.
def pool_indices(ph, pw, OH, OW, stride):
    """Row and column of entry (a, b) of window (i, j): arrays of shape (OH, OW, ph*pw)."""
    a, b = np.meshgrid(np.arange(ph), np.arange(pw), indexing="ij")
    i, j = np.meshgrid(np.arange(OH), np.arange(OW), indexing="ij")
    rows = i[..., None] * stride + a.ravel()
    cols = j[..., None] * stride + b.ravel()
    return rows, cols


def max_pool_forward(x, pool_h, pool_w, stride):
    """Max pooling without padding: (N, C, H, W) -> (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    rows, cols = pool_indices(pool_h, pool_w, OH, OW, stride)
    return x[:, :, rows, cols].max(axis=-1)


def max_pool_backward(dout, x, pool_h, pool_w, stride):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    rows, cols = pool_indices(pool_h, pool_w, OH, OW, stride)
    k = x[:, :, rows, cols].argmax(axis=-1)                 # (N, C, OH, OW)
    r = np.take_along_axis(np.broadcast_to(rows, (N, C) + rows.shape), k[..., None], axis=-1)[..., 0]
    c = np.take_along_axis(np.broadcast_to(cols, (N, C) + cols.shape), k[..., None], axis=-1)[..., 0]
    dx = np.zeros(x.shape, dtype=dout.dtype)
    np.add.at(dx, (np.arange(N)[:, None, None, None], np.arange(C)[None, :, None, None], r, c), dout)
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
