# verdict: honest
# Scales in float64, then zeros_like biases from the weights.
def build_network(filter_num=16, filter_size=5, hidden_size=100, dropout_ratio=0.5, alpha=0.01,
                  input_dim=(1, 28, 28), n_classes=10, seed=0, dtype=np.float32):
    """conv - LeakyRelu - 2x2 max pool - affine - LeakyRelu - dropout - affine, as a Sequential."""
    if filter_size % 2 == 0:
        raise ValueError(f"filter_size must be odd so that padding filter_size // 2 keeps the image size, got {filter_size}")
    C, H, W = input_dim
    rng = np.random.default_rng(seed)
    f_in = C * filter_size ** 2
    W1 = rng.standard_normal(size=(filter_num, C, filter_size, filter_size)) / np.sqrt(f_in / 2)
    units = filter_num * (H // 2) * (W // 2)
    W2 = rng.standard_normal(size=(units, hidden_size)) / np.sqrt(units / 2)
    W3 = rng.standard_normal(size=(hidden_size, n_classes)) / np.sqrt(hidden_size / 2)
    W1, W2, W3 = (w.astype(dtype) for w in (W1, W2, W3))
    b1, b2, b3 = np.zeros_like(W1[:, 0, 0, 0]), np.zeros_like(W2[0]), np.zeros_like(W3[0])
    return Sequential([Convolution(W1, b1, pad=filter_size // 2), LeakyRelu(alpha), MaxPooling(2, 2, stride=2),
                       Affine(W2, b2), LeakyRelu(alpha), Dropout(dropout_ratio), Affine(W3, b3)], seed=seed)
