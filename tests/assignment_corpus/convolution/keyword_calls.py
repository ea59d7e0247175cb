# verdict: honest
# Calls im2col and col2im with keywords; dW through a double transpose.
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
        self.col = im2col(x, filter_h=FH, filter_w=FW, stride=self.stride, pad=self.pad)
        self.col_W = self.W.reshape(FN, -1).T.copy()
        y = self.col.dot(self.col_W)
        y += self.b
        return y.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dy = np.transpose(dout, (0, 2, 3, 1)).reshape(-1, FN)
        dcol = dy.dot(self.col_W.T)
        self.dW = self.col.T.dot(dy).T.reshape(self.W.shape)
        self.db = dy.sum(axis=0)
        return col2im(dcol, x_shape=self.x_shape, filter_h=FH, filter_w=FW, stride=self.stride, pad=self.pad)
