# verdict: honest
# Two helper methods move between (N, FN, OH, OW) and one row per output pixel.
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
        self.x_shape = x.shape
        self.col = im2col(x, FH, FW, self.stride, self.pad)
        self.col_W = self.W.reshape(FN, -1).T
        rows = self.col @ self.col_W + self.b
        return self._unrows(rows, N, OH, OW)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        rows = self._rows(dout)
        self.db = rows.sum(axis=0)
        self.dW = (self.col.T @ rows).T.reshape(self.W.shape)
        return col2im(rows @ self.col_W.T, self.x_shape, FH, FW, self.stride, self.pad)

    @staticmethod
    def _rows(a):
        """(N, FN, OH, OW) -> (N*OH*OW, FN)"""
        return a.transpose(0, 2, 3, 1).reshape(-1, a.shape[1])

    @staticmethod
    def _unrows(rows, N, OH, OW):
        """(N*OH*OW, FN) -> (N, FN, OH, OW)"""
        return rows.reshape(N, OH, OW, -1).transpose(0, 3, 1, 2)
