# verdict: honest
# Long descriptive names, one step per line.
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
        input_columns = im2col(x, FH, FW, self.stride, self.pad)
        weight_matrix = self.W.reshape(FN, C * FH * FW)
        output_rows = np.dot(input_columns, weight_matrix.T)
        output_rows = output_rows + self.b.reshape(1, FN)
        output_images = output_rows.reshape(N, OH, OW, FN)
        output_images = output_images.transpose(0, 3, 1, 2)
        self.x_shape = x.shape
        self.col = input_columns
        self.col_W = weight_matrix.T
        return output_images

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        # YOUR CODE HERE
        gradient_rows = dout.transpose(0, 2, 3, 1)
        gradient_rows = gradient_rows.reshape(-1, FN)
        self.db = gradient_rows.sum(axis=0)
        weight_gradient = np.dot(gradient_rows.T, self.col)
        self.dW = weight_gradient.reshape(FN, C, FH, FW)
        column_gradient = np.dot(gradient_rows, self.col_W.T)
        input_gradient = col2im(column_gradient, self.x_shape, FH, FW, self.stride, self.pad)
        return input_gradient
