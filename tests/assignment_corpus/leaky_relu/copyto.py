# verdict: honest
# np.copyto with a where argument.
class LeakyRelu(Layer):
    """max(x, alpha * x) elementwise, for inputs of any shape."""

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = alpha
        self.mask = None

    def forward(self, x, train_flg=None):
        self.mask = x > 0
        out = self.alpha * x
        np.copyto(out, x, where=self.mask)
        return out

    def backward(self, dout):
        dx = self.alpha * dout
        np.copyto(dx, dout, where=self.mask)
        return dx

    def output_shape(self, input_shape):
        return input_shape

    def __repr__(self):
        return f"LeakyRelu(alpha={self.alpha})"
