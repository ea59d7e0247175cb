# verdict: honest
# Filters times columns: a (FN, N*OH*OW) product, bias as a column.
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
        cols = im2col(x, FH, FW, self.stride, self.pad)
        kernel = self.W.reshape(FN, C * FH * FW)
        y = kernel @ cols.T + self.b[:, None]            # (FN, N*OH*OW)
        self.x_shape, self.col, self.col_W = x.shape, cols, kernel.T
        return y.reshape(FN, N, OH, OW).transpose(1, 0, 2, 3)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        g = dout.transpose(1, 0, 2, 3).reshape(FN, -1)   # (FN, N*OH*OW)
        self.db = g.sum(axis=1)
        self.dW = (g @ self.col).reshape(FN, C, FH, FW)
        dcol = g.T @ self.W.reshape(FN, -1)
        return col2im(dcol, self.x_shape, FH, FW, self.stride, self.pad)
