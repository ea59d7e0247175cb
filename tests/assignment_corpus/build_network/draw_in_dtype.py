# verdict: honest
# Draws the numbers directly in the dtype asked for.
def build_network(filter_num=16, filter_size=5, hidden_size=100, dropout_ratio=0.5, alpha=0.01,
                  input_dim=(1, 28, 28), n_classes=10, seed=0, dtype=np.float32):
    """conv - LeakyRelu - 2x2 max pool - affine - LeakyRelu - dropout - affine, as a Sequential."""
    if filter_size % 2 == 0:
        raise ValueError(f"filter_size must be odd so that padding filter_size // 2 keeps the image size, got {filter_size}")
    C, H, W = input_dim
    rng = np.random.default_rng(seed)
    def he(shape, fan_in):
        return (rng.standard_normal(shape, dtype=dtype) * dtype(np.sqrt(2.0 / fan_in))).astype(dtype)

    flat = filter_num * (H // 2) * (W // 2)
    conv = Convolution(he((filter_num, C, filter_size, filter_size), C * filter_size * filter_size),
                       np.zeros(filter_num, dtype=dtype), stride=1, pad=filter_size // 2)
    fc1 = Affine(he((flat, hidden_size), flat), np.zeros(hidden_size, dtype=dtype))
    fc2 = Affine(he((hidden_size, n_classes), hidden_size), np.zeros(n_classes, dtype=dtype))
    return Sequential([conv, LeakyRelu(alpha), MaxPooling(2, 2, 2), fc1, LeakyRelu(alpha), Dropout(dropout_ratio), fc2],
                      seed=seed)
