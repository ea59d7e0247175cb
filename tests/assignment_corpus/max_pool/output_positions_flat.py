# verdict: honest
# A flat loop over the output pixels; the argmax unravelled by divmod.
def max_pool_forward(x, pool_h, pool_w, stride):
    """Max pooling without padding: (N, C, H, W) -> (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    # YOUR CODE HERE
    out = np.empty((N, C, OH * OW), dtype=x.dtype)
    for p in range(OH * OW):
        i, j = divmod(p, OW)
        out[:, :, p] = x[:, :, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w].reshape(N, C, -1).max(-1)
    return out.reshape(N, C, OH, OW)


def max_pool_backward(dout, x, pool_h, pool_w, stride):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    # YOUR CODE HERE
    dx = np.zeros(x.shape, dtype=dout.dtype)
    nn, cc = np.ogrid[:N, :C]
    for p in range(OH * OW):
        i, j = divmod(p, OW)
        k = x[:, :, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w].reshape(N, C, -1).argmax(-1)
        dx[nn, cc, i * stride + k // pool_w, j * stride + k % pool_w] += dout[:, :, i, j]
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
