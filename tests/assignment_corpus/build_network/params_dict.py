# verdict: honest
# The book's params dictionary first, then the layers.
def build_network(filter_num=16, filter_size=5, hidden_size=100, dropout_ratio=0.5, alpha=0.01,
                  input_dim=(1, 28, 28), n_classes=10, seed=0, dtype=np.float32):
    """conv - LeakyRelu - 2x2 max pool - affine - LeakyRelu - dropout - affine, as a Sequential."""
    if filter_size % 2 == 0:
        raise ValueError(f"filter_size must be odd so that padding filter_size // 2 keeps the image size, got {filter_size}")
    C, H, W = input_dim
    rng = np.random.default_rng(seed)
    pad = filter_size // 2
    pooled = filter_num * (H // 2) * (W // 2)
    params = {
        "W1": rng.standard_normal((filter_num, C, filter_size, filter_size)) * np.sqrt(2 / (C * filter_size ** 2)),
        "b1": np.zeros(filter_num),
        "W2": rng.standard_normal((pooled, hidden_size)) * np.sqrt(2 / pooled),
        "b2": np.zeros(hidden_size),
        "W3": rng.standard_normal((hidden_size, n_classes)) * np.sqrt(2 / hidden_size),
        "b3": np.zeros(n_classes),
    }
    params = {key: value.astype(dtype) for key, value in params.items()}
    return Sequential([
        Convolution(params["W1"], params["b1"], stride=1, pad=pad),
        LeakyRelu(alpha),
        MaxPooling(2, 2, 2),
        Affine(params["W2"], params["b2"]),
        LeakyRelu(alpha),
        Dropout(dropout_ratio),
        Affine(params["W3"], params["b3"]),
    ], seed=seed)
