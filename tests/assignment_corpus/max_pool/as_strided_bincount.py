# verdict: honest
# as_strided windows; the gradient summed per pixel with np.bincount.
def max_pool_forward(x, pool_h, pool_w, stride):
    """Max pooling without padding: (N, C, H, W) -> (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    s0, s1, s2, s3 = x.strides
    view = np.lib.stride_tricks.as_strided(x, (N, C, OH, OW, pool_h, pool_w),
                                           (s0, s1, s2 * stride, s3 * stride, s2, s3), writeable=False)
    return view.max(axis=(4, 5))


def max_pool_backward(dout, x, pool_h, pool_w, stride):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    s0, s1, s2, s3 = x.strides
    view = np.lib.stride_tricks.as_strided(x, (N, C, OH, OW, pool_h, pool_w),
                                           (s0, s1, s2 * stride, s3 * stride, s2, s3), writeable=False)
    k = view.reshape(N, C, OH, OW, -1).argmax(axis=-1)
    r = np.arange(OH)[:, None] * stride + k // pool_w                      # (N, C, OH, OW)
    c = np.arange(OW)[None, :] * stride + k % pool_w
    plane = (np.arange(N)[:, None, None, None] * C + np.arange(C)[None, :, None, None]) * H * W
    flat = (plane + r * W + c).ravel()
    dx = np.bincount(flat, weights=dout.ravel(), minlength=N * C * H * W)
    return dx.reshape(x.shape).astype(np.result_type(dout, np.float32))


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
