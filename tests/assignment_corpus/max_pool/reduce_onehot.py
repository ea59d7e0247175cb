# verdict: honest
# functools.reduce for the maximum; a one-hot of the argmax carries the gradient.
from functools import reduce


def max_pool_forward(x, pool_h, pool_w, stride):
    """Max pooling without padding: (N, C, H, W) -> (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    slices = (x[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride]
              for i in range(pool_h) for j in range(pool_w))
    return reduce(np.maximum, slices)


def max_pool_backward(dout, x, pool_h, pool_w, stride):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    stacked = np.stack([x[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride]
                        for i in range(pool_h) for j in range(pool_w)], axis=-1)     # (N, C, OH, OW, K)
    onehot = np.arange(pool_h * pool_w) == stacked.argmax(axis=-1)[..., None]
    grad = onehot * dout[..., None]
    dx = np.zeros(x.shape, dtype=grad.dtype)
    for k in range(pool_h * pool_w):
        i, j = k // pool_w, k % pool_w
        dx[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += grad[..., k]
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
