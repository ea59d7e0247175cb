# verdict: honest
# Checks the shapes it is given and says what is wrong.
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
        if x.ndim != 4 or x.shape[1] != C:
            raise ValueError(f"expected a batch of shape (N, {C}, H, W), got {x.shape}")
        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = col @ col_W + self.b
        self.x_shape, self.col, self.col_W = x.shape, col, col_W
        return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        if self.col is None:
            raise RuntimeError("call forward before backward")
        N, C_in, H, W = self.x_shape
        OH, OW = output_size(H, W, FH, FW, self.stride, self.pad)
        assert dout.shape == (N, FN, OH, OW), f"dout has shape {dout.shape}, expected {(N, FN, OH, OW)}"
        d = dout.transpose(0, 2, 3, 1).reshape(N * OH * OW, FN)
        self.db = d.sum(axis=0)
        self.dW = (self.col.T @ d).T.reshape(FN, C, FH, FW)
        return col2im(d @ self.col_W.T, self.x_shape, FH, FW, self.stride, self.pad)
