# verdict: honest
# Keeps the (N, OH, OW) axes apart and contracts them with tensordot.
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
        out = (col @ self.W.reshape(FN, -1).T).reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)
        out = out + self.b.reshape(1, -1, 1, 1)
        self.col = col
        self.x_shape = x.shape
        return out

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        N, _, OH, OW = dout.shape
        d4 = dout.transpose(0, 2, 3, 1)                                # (N, OH, OW, FN)
        col4 = self.col.reshape(N, OH, OW, -1)                         # (N, OH, OW, C*FH*FW)
        self.db = dout.sum(axis=(0, 2, 3))
        self.dW = np.tensordot(d4, col4, axes=([0, 1, 2], [0, 1, 2])).reshape(self.W.shape)
        dcol = np.tensordot(d4, self.W.reshape(FN, -1), axes=(3, 0)).reshape(N * OH * OW, -1)
        return col2im(dcol, self.x_shape, FH, FW, self.stride, self.pad)
