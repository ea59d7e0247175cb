# verdict: honest
# np.matmul, contiguous copies of the transposed arrays.
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
        # YOUR CODE HERE
        self.x_shape = x.shape
        self.col = im2col(x, FH, FW, self.stride, self.pad)
        self.col_W = np.ascontiguousarray(self.W.reshape(FN, -1).T)
        out = np.matmul(self.col, self.col_W)
        out = out + self.b[np.newaxis, :]
        return np.ascontiguousarray(out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2))

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        # YOUR CODE HERE
        flat = np.ascontiguousarray(dout.transpose(0, 2, 3, 1)).reshape(-1, FN)
        self.db = flat.sum(axis=0)
        self.dW = np.matmul(flat.T, self.col).reshape(FN, C, FH, FW)
        dcol = np.matmul(flat, self.col_W.T)
        return col2im(dcol, self.x_shape, FH, FW, self.stride, self.pad)
