# verdict: honest
# Splits into positive and negative parts.
class LeakyRelu(Layer):
    """max(x, alpha * x) elementwise, for inputs of any shape."""

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = alpha
        self.mask = None

    def forward(self, x, train_flg=None):
        self.mask = x > 0
        pos = np.maximum(x, 0)
        neg = np.minimum(x, 0)
        return pos + self.alpha * neg

    def backward(self, dout):
        return dout * self.mask + self.alpha * dout * ~self.mask

    def output_shape(self, input_shape):
        return input_shape

    def __repr__(self):
        return f"LeakyRelu(alpha={self.alpha})"
