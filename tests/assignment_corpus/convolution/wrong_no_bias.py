# verdict: wrong: forward forgets the bias | fails: test_convolution_forward, test_build_network
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
        col_W = self.W.reshape(FN, -1).T
        self.x_shape, self.col, self.col_W = x.shape, col, col_W
        return (col @ col_W).reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        d = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = d.sum(axis=0)
        self.dW = (d.T @ self.col).reshape(FN, C, FH, FW)
        return col2im(d @ self.col_W.T, self.x_shape, FH, FW, self.stride, self.pad)
