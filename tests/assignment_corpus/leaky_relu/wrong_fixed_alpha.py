# verdict: wrong: the slope is always 0.01, whatever alpha is | fails: test_leaky_relu_forward, test_leaky_relu_backward, test_build_network
class LeakyRelu(Layer):
    """max(x, alpha * x) elementwise, for inputs of any shape."""

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = alpha
        self.mask = None

    def forward(self, x, train_flg=None):
        self.mask = x > 0
        return np.where(self.mask, x, 0.01 * x)

    def backward(self, dout):
        return np.where(self.mask, dout, 0.01 * dout)

    def output_shape(self, input_shape):
        return input_shape

    def __repr__(self):
        return f"LeakyRelu(alpha={self.alpha})"
