# verdict: honest
# np.maximum(x, alpha * x); the slope kept as an array.
class LeakyRelu(Layer):
    """max(x, alpha * x) elementwise, for inputs of any shape."""

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = alpha
        self.mask = None

    def forward(self, x, train_flg=None):
        self.slope = np.where(x > 0, 1.0, self.alpha).astype(x.dtype)
        return np.maximum(x, self.alpha * x) if self.alpha <= 1 else x * self.slope

    def backward(self, dout):
        return dout * self.slope

    def output_shape(self, input_shape):
        return input_shape

    def __repr__(self):
        return f"LeakyRelu(alpha={self.alpha})"
