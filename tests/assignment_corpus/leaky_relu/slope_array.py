# verdict: honest
# Multiplies by a slope array computed once in forward.
class LeakyRelu(Layer):
    """max(x, alpha * x) elementwise, for inputs of any shape."""

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = alpha
        self.mask = None

    def forward(self, x, train_flg=None):
        slope = np.ones_like(x)
        slope[x <= 0] = self.alpha
        self.mask = slope
        return x * slope

    def backward(self, dout):
        return dout * self.mask

    def output_shape(self, input_shape):
        return input_shape

    def __repr__(self):
        return f"LeakyRelu(alpha={self.alpha})"
