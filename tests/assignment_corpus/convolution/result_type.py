# verdict: honest
# Works in the common dtype of x and W.
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

    def output_shape(self, input_shape):
        C, H, W = input_shape
        FN, _, FH, FW = self.W.shape
        return (FN,) + output_size(H, W, FH, FW, self.stride, self.pad)

    def forward(self, x, train_flg=None):
        FN, C, FH, FW = self.W.shape
        N = x.shape[0]
        OH, OW = output_size(x.shape[2], x.shape[3], FH, FW, self.stride, self.pad)
        dtype = np.result_type(x, self.W)
        self.col = im2col(x, FH, FW, self.stride, self.pad).astype(dtype, copy=False)
        self.col_W = self.W.reshape(FN, -1).T.astype(dtype, copy=False)
        self.x_shape = x.shape
        flat = self.col @ self.col_W + self.b.astype(dtype, copy=False)
        return flat.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        g = dout.transpose(0, 2, 3, 1).reshape(-1, FN).astype(self.col.dtype, copy=False)
        self.db = g.sum(axis=0)
        self.dW = (g.T @ self.col).reshape(FN, C, FH, FW)
        return col2im(g @ self.col_W.T, self.x_shape, FH, FW, self.stride, self.pad)
