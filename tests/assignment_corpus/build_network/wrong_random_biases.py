# verdict: wrong: the biases start random instead of zero | fails: test_build_network
def build_network(filter_num=16, filter_size=5, hidden_size=100, dropout_ratio=0.5, alpha=0.01,
                  input_dim=(1, 28, 28), n_classes=10, seed=0, dtype=np.float32):
    """conv - LeakyRelu - 2x2 max pool - affine - LeakyRelu - dropout - affine, as a Sequential."""
    if filter_size % 2 == 0:
        raise ValueError(f"filter_size must be odd so that padding filter_size // 2 keeps the image size, got {filter_size}")
    C, H, W = input_dim
    rng = np.random.default_rng(seed)
    pad = filter_size // 2
    flat = filter_num * (H // 2) * (W // 2)
    W1 = rng.standard_normal((filter_num, C, filter_size, filter_size)) * np.sqrt(2.0 / (C * filter_size * filter_size))
    W2 = rng.standard_normal((flat, hidden_size)) * np.sqrt(2.0 / (flat))
    W3 = rng.standard_normal((hidden_size, n_classes)) * np.sqrt(2.0 / hidden_size)
    layers = [
        Convolution(W1.astype(dtype), (0.01 * rng.standard_normal(filter_num)).astype(dtype), stride=1, pad=pad),
        LeakyRelu(alpha),
        MaxPooling(2, 2, 2),
        Affine(W2.astype(dtype), (0.01 * rng.standard_normal(hidden_size)).astype(dtype)),
        LeakyRelu(alpha),
        Dropout(dropout_ratio),
        Affine(W3.astype(dtype), np.zeros(n_classes, dtype)),
    ]
    return Sequential(layers, seed=seed)
