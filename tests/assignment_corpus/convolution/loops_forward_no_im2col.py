# verdict: wrong: forward computes the convolution by loops over output pixels, not through im2col | fails: test_convolution_forward
# Correct values, but not through im2col.
class Convolution(Layer):
    """Convolution through im2col.  W: (FN, C, FH, FW), b: (FN,).

    forward: x (N, C, H, W) -> (N, FN, OH, OW).
    backward: dout (N, FN, OH, OW) -> dx (N, C, H, W); sets self.dW and self.db.
    """

    param_names = ("W", "b")

    def __init__(self, W, b, stride=1, pad=0):
        super().__init__()
        self.W, self.b = W, b
        self.stride, self.pad = stride, pad
        self.dW = self.db = None
        self.x_shape = self.col = self.col_W = None     # kept by forward for backward
        self.x = None

    def output_shape(self, input_shape):
        C, H, W = input_shape
        FN, _, FH, FW = self.W.shape
        return (FN,) + output_size(H, W, FH, FW, self.stride, self.pad)

    def forward(self, x, train_flg=None):
        FN, C, FH, FW = self.W.shape
        N = x.shape[0]
        OH, OW = output_size(x.shape[2], x.shape[3], FH, FW, self.stride, self.pad)
        xp = np.pad(x, ((0, 0), (0, 0), (self.pad, self.pad), (self.pad, self.pad)))
        out = np.empty((N, FN, OH, OW), dtype=np.result_type(x, self.W))
        s = self.stride
        for i in range(OH):
            for j in range(OW):
                out[:, :, i, j] = np.tensordot(xp[:, :, i * s:i * s + FH, j * s:j * s + FW], self.W, axes=([1, 2, 3], [1, 2, 3]))
        self.x = x
        return out + self.b.reshape(1, -1, 1, 1)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        col = im2col(self.x, FH, FW, self.stride, self.pad)
        d = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = d.sum(axis=0)
        self.dW = (d.T @ col).reshape(FN, C, FH, FW)
        return col2im(d @ self.W.reshape(FN, -1), self.x.shape, FH, FW, self.stride, self.pad)
