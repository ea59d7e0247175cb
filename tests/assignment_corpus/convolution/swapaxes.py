# verdict: honest
# Moves the filter axis with swapaxes on a 3-D view.
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
        col = im2col(x, FH, FW, self.stride, self.pad)
        wmat = self.W.reshape(FN, -1)
        y = col @ wmat.T + self.b
        self.col, self.col_W, self.x_shape = col, wmat.T, x.shape
        return y.reshape(N, OH * OW, FN).swapaxes(1, 2).reshape(N, FN, OH, OW)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        n = dout.shape[0]
        dy = dout.reshape(n, FN, -1).swapaxes(1, 2).reshape(-1, FN)
        self.dW = (dy.T @ self.col).reshape(FN, C, FH, FW)
        self.db = dy.sum(axis=0)
        return col2im(dy @ self.col_W.T, self.x_shape, FH, FW, self.stride, self.pad)
