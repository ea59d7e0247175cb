def max_pool_forward(x, pool_h, pool_w, stride):
    """Max pooling without padding: (N, C, H, W) -> (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    m = x[:, :, 0:stride * OH:stride, 0:stride * OW:stride]
    for r in range(pool_h):
        for c in range(pool_w):
            m = np.maximum(m, x[:, :, r:r + stride * OH:stride, c:c + stride * OW:stride])
    return m


def max_pool_backward(dout, x, pool_h, pool_w, stride):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    winner = np.zeros((N, C, OH, OW), dtype=int)
    top = np.full((N, C, OH, OW), -np.inf)
    for r in range(pool_h):
        for c in range(pool_w):
            v = x[:, :, r:r + stride * OH:stride, c:c + stride * OW:stride]
            winner = np.where(v > top, r * pool_w + c, winner)   # strictly larger keeps the first
            top = np.where(v > top, v, top)
    grad = np.zeros_like(x, dtype=np.result_type(x, dout))
    for r in range(pool_h):
        for c in range(pool_w):
            grad[:, :, r:r + stride * OH:stride, c:c + stride * OW:stride] += dout * (winner == r * pool_w + c)
    return grad


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
