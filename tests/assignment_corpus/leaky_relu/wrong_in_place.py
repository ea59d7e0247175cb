# verdict: wrong: forward scales the negative entries of its input in place | fails: test_leaky_relu_forward
class LeakyRelu(Layer):
    """max(x, alpha * x) elementwise, for inputs of any shape."""

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = alpha
        self.mask = None

    def forward(self, x, train_flg=None):
        self.mask = x <= 0
        x[self.mask] *= self.alpha
        return x

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] *= self.alpha
        return dx

    def output_shape(self, input_shape):
        return input_shape

    def __repr__(self):
        return f"LeakyRelu(alpha={self.alpha})"
