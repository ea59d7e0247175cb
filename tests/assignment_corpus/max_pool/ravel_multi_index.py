# verdict: honest
# Flat indices with np.ravel_multi_index and np.add.at on the flat gradient.
def max_pool_forward(x, pool_h, pool_w, stride):
    """Max pooling without padding: (N, C, H, W) -> (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    stack = np.stack([x[:, :, p // pool_w:p // pool_w + stride * OH:stride, p % pool_w:p % pool_w + stride * OW:stride]
                      for p in range(pool_h * pool_w)], axis=0)
    return stack.max(axis=0)


def max_pool_backward(dout, x, pool_h, pool_w, stride):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    stack = np.stack([x[:, :, p // pool_w:p // pool_w + stride * OH:stride, p % pool_w:p % pool_w + stride * OW:stride]
                      for p in range(pool_h * pool_w)], axis=0)
    p = stack.argmax(axis=0)
    n, c, i, j = np.indices((N, C, OH, OW))
    flat = np.ravel_multi_index((n, c, i * stride + p // pool_w, j * stride + p % pool_w), x.shape)
    dx = np.zeros(x.size, dtype=dout.dtype)
    np.add.at(dx, flat.ravel(), dout.ravel())
    return dx.reshape(x.shape)


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
