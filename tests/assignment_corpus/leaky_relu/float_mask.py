# verdict: honest
# A float mask 1 / alpha, multiplied in both passes.
class LeakyRelu(Layer):
    """max(x, alpha * x) elementwise, for inputs of any shape."""

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = alpha
        self.mask = None

    def forward(self, x, train_flg=None):
        self.mask = (x > 0).astype(x.dtype)
        factor = self.mask + self.alpha * (1 - self.mask)
        return x * factor

    def backward(self, dout):
        factor = self.mask + self.alpha * (1 - self.mask)
        return dout * factor

    def output_shape(self, input_shape):
        return input_shape

    def __repr__(self):
        return f"LeakyRelu(alpha={self.alpha})"
