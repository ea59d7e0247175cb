# verdict: honest
# Casts the gradients to the parameters' dtype at the end.
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
        patch_rows = im2col(x, FH, FW, self.stride, self.pad)
        self.col_W = self.W.reshape(FN, -1).T
        self.col = patch_rows
        self.x_shape = x.shape
        activ = patch_rows @ self.col_W
        activ += self.b
        return activ.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        upstream = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        grad_W = self.col.T @ upstream                         # (C*FH*FW, FN)
        self.dW = grad_W.T.reshape(FN, C, FH, FW).astype(self.W.dtype, copy=False)
        self.db = upstream.sum(axis=0).astype(self.b.dtype, copy=False)
        grad_rows = upstream @ self.col_W.T
        return col2im(grad_rows, self.x_shape, FH, FW, self.stride, self.pad)
