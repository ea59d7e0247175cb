# verdict: honest
# db as a product with a vector of ones.
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
        Wm = self.W.reshape(FN, -1)
        ones = np.ones((col.shape[0], 1), dtype=col.dtype)
        out = col @ Wm.T + ones @ self.b.reshape(1, -1)
        self.col, self.x_shape = col, x.shape
        return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        g = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.ones(g.shape[0], dtype=g.dtype) @ g
        self.dW = (g.T @ self.col).reshape(self.W.shape)
        return col2im(g @ self.W.reshape(FN, -1), self.x_shape, FH, FW, self.stride, self.pad)
