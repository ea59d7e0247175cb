# verdict: honest
# Pools in float64 and returns the input's dtype.
def max_pool_forward(x, pool_h, pool_w, stride):
    """Max pooling without padding: (N, C, H, W) -> (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    acc = np.full((N, C, OH, OW), -np.inf, dtype=np.float64)
    for a in range(pool_h):
        for b in range(pool_w):
            acc = np.maximum(acc, x[:, :, a:a + stride * OH:stride, b:b + stride * OW:stride].astype(np.float64))
    return acc.astype(x.dtype)


def max_pool_backward(dout, x, pool_h, pool_w, stride):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    xx = x.astype(np.float64)
    top = np.full((N, C, OH, OW), -np.inf)
    where = np.zeros((N, C, OH, OW), dtype=np.intp)
    for a in range(pool_h):
        for b in range(pool_w):
            piece = xx[:, :, a:a + stride * OH:stride, b:b + stride * OW:stride]
            new = piece > top
            top[new] = piece[new]
            where[new] = a * pool_w + b
    grad = np.zeros((N, C, H, W), dtype=np.float64)
    g = dout.astype(np.float64)
    for a in range(pool_h):
        for b in range(pool_w):
            grad[:, :, a:a + stride * OH:stride, b:b + stride * OW:stride] += g * (where == a * pool_w + b)
    return grad.astype(np.result_type(x, dout))


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
