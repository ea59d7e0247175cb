# verdict: wrong: forward starts the maximum at 0, wrong for windows of negative numbers | fails: test_max_pool, test_build_network
def max_pool_forward(x, pool_h, pool_w, stride):
    """Max pooling without padding: (N, C, H, W) -> (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    out = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for i in range(pool_h):
        for j in range(pool_w):
            out = np.maximum(out, x[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride])
    return out


def max_pool_backward(dout, x, pool_h, pool_w, stride):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    stack = np.stack([x[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride]
                      for i in range(pool_h) for j in range(pool_w)])
    arg = stack.argmax(axis=0)
    dx = np.zeros(x.shape, dtype=dout.dtype)
    for k in range(pool_h * pool_w):
        i, j = divmod(k, pool_w)
        dx[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += np.where(arg == k, dout, 0)
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
