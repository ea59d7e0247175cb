# verdict: honest
# Keeps the flattened filters as their own attribute.
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
        self.kernel = None

    def output_shape(self, input_shape):
        C, H, W = input_shape
        FN, _, FH, FW = self.W.shape
        return (FN,) + output_size(H, W, FH, FW, self.stride, self.pad)

    def forward(self, x, train_flg=None):
        FN, C, FH, FW = self.W.shape
        N = x.shape[0]
        OH, OW = output_size(x.shape[2], x.shape[3], FH, FW, self.stride, self.pad)
        self.kernel = self.W.reshape(FN, -1)
        self.col = im2col(x, FH, FW, self.stride, self.pad)
        self.x_shape = x.shape
        out = self.col @ self.kernel.T + self.b
        out = out.reshape(N, OH, OW, FN)
        return out.transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        gout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.dW = (gout.T @ self.col).reshape(self.W.shape)
        self.db = gout.sum(axis=0)
        gcol = gout @ self.kernel
        return col2im(gcol, self.x_shape, FH, FW, self.stride, self.pad)
