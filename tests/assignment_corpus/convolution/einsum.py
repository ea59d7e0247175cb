# verdict: honest
# Every product written with einsum.
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
        patches = im2col(x, FH, FW, self.stride, self.pad)
        flat_w = self.W.reshape(FN, -1)
        res = np.einsum("pk,fk->pf", patches, flat_w) + self.b
        self.col, self.x_shape = patches, x.shape
        return np.moveaxis(res.reshape(N, OH, OW, FN), -1, 1)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        g = np.moveaxis(dout, 1, -1).reshape(-1, FN)
        self.db = g.sum(0)
        self.dW = np.einsum("pf,pk->fk", g, self.col).reshape(self.W.shape)
        dpatches = np.einsum("pf,fk->pk", g, self.W.reshape(FN, -1))
        return col2im(dpatches, self.x_shape, FH, FW, self.stride, self.pad)
