# verdict: wrong: the mask is computed on the first forward pass only | fails: test_leaky_relu_backward
class LeakyRelu(Layer):
    """max(x, alpha * x) elementwise, for inputs of any shape."""

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = alpha
        self.mask = None

    def forward(self, x, train_flg=None):
        if self.mask is None:
            self.mask = x > 0
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, dout):
        return np.where(self.mask, dout, self.alpha * dout)

    def output_shape(self, input_shape):
        return input_shape

    def __repr__(self):
        return f"LeakyRelu(alpha={self.alpha})"
