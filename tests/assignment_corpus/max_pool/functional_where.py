# verdict: honest
# Keeps the best value and its position with np.where, first maximum by strict >.
def max_pool_forward(x, pool_h, pool_w, stride):
    """Max pooling without padding: (N, C, H, W) -> (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    best = x[:, :, 0:stride * OH:stride, 0:stride * OW:stride]
    for i in range(pool_h):
        for j in range(pool_w):
            best = np.maximum(best, x[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride])
    return best


def max_pool_backward(dout, x, pool_h, pool_w, stride):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    best = np.full((N, C, OH, OW), -np.inf)
    pos = np.zeros((N, C, OH, OW), dtype=int)
    for i in range(pool_h):
        for j in range(pool_w):
            cand = x[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride]
            pos = np.where(cand > best, i * pool_w + j, pos)
            best = np.where(cand > best, cand, best)
    dx = np.zeros_like(x, dtype=np.result_type(x, dout))
    for i in range(pool_h):
        for j in range(pool_w):
            dx[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += dout * (pos == i * pool_w + j)
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
