# verdict: honest
# A module-level He helper used for all three weights.
def he_normal(rng, shape, dtype):
    """Normal weights with standard deviation sqrt(2 / fan_in); fan_in is every axis but the last
    for a matrix (its rows) and every axis but the first for a filter bank (C * FH * FW)."""
    fan_in = shape[0] if len(shape) == 2 else int(np.prod(shape[1:]))
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


def build_network(filter_num=16, filter_size=5, hidden_size=100, dropout_ratio=0.5, alpha=0.01,
                  input_dim=(1, 28, 28), n_classes=10, seed=0, dtype=np.float32):
    """conv - LeakyRelu - 2x2 max pool - affine - LeakyRelu - dropout - affine, as a Sequential."""
    if filter_size % 2 == 0:
        raise ValueError(f"filter_size must be odd so that padding filter_size // 2 keeps the image size, got {filter_size}")
    C, H, W = input_dim
    rng = np.random.default_rng(seed)
    pad = filter_size // 2
    flat = filter_num * (H // 2) * (W // 2)
    W1 = he_normal(rng, (filter_num, C, filter_size, filter_size), dtype)
    W2 = he_normal(rng, (flat, hidden_size), dtype)
    W3 = he_normal(rng, (hidden_size, n_classes), dtype)
    return Sequential(
        [Convolution(W1, np.zeros(filter_num, dtype), stride=1, pad=pad), LeakyRelu(alpha), MaxPooling(2, 2, 2),
         Affine(W2, np.zeros(hidden_size, dtype)), LeakyRelu(alpha), Dropout(dropout_ratio),
         Affine(W3, np.zeros(n_classes, dtype))], seed=seed)
