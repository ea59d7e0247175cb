# verdict: honest
# Keeps the running maximum with np.where in forward and the argmax in backward.
def max_pool_forward(x, pool_h, pool_w, stride):
    """Max pooling without padding: (N, C, H, W) -> (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    out = np.full((N, C, OH, OW), -np.inf)
    for i in range(pool_h):
        for j in range(pool_w):
            part = x[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride]
            out = np.where(part > out, part, out)
    return out.astype(x.dtype)


def max_pool_backward(dout, x, pool_h, pool_w, stride):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    out = np.full((N, C, OH, OW), -np.inf)
    idx = np.zeros((N, C, OH, OW), dtype=np.int32)
    for i in range(pool_h):
        for j in range(pool_w):
            part = x[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride]
            idx = np.where(part > out, i * pool_w + j, idx)
            out = np.where(part > out, part, out)
    grad = np.zeros(x.shape)
    for i in range(pool_h):
        for j in range(pool_w):
            grad[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += np.where(idx == i * pool_w + j, dout, 0.0)
    return grad.astype(np.result_type(x.dtype, dout.dtype))


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
