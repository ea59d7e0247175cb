# verdict: honest
# rng.normal with the He standard deviation as scale.
def build_network(filter_num=16, filter_size=5, hidden_size=100, dropout_ratio=0.5, alpha=0.01,
                  input_dim=(1, 28, 28), n_classes=10, seed=0, dtype=np.float32):
    """conv - LeakyRelu - 2x2 max pool - affine - LeakyRelu - dropout - affine, as a Sequential."""
    if filter_size % 2 == 0:
        raise ValueError(f"filter_size must be odd so that padding filter_size // 2 keeps the image size, got {filter_size}")
    C, H, W = input_dim
    rng = np.random.default_rng(seed)
    # YOUR CODE HERE
    fan_conv = C * filter_size * filter_size
    W1 = rng.normal(0.0, np.sqrt(2.0 / fan_conv), size=(filter_num, C, filter_size, filter_size))
    n_flat = filter_num * (H // 2) * (W // 2)
    W2 = rng.normal(0.0, np.sqrt(2.0 / n_flat), size=(n_flat, hidden_size))
    W3 = rng.normal(0.0, np.sqrt(2.0 / hidden_size), size=(hidden_size, n_classes))
    layers = []
    layers.append(Convolution(W1.astype(dtype), np.zeros(filter_num, dtype=dtype), 1, filter_size // 2))
    layers.append(LeakyRelu(alpha))
    layers.append(MaxPooling(2, 2, stride=2))
    layers.append(Affine(W2.astype(dtype), np.zeros(hidden_size, dtype=dtype)))
    layers.append(LeakyRelu(alpha))
    layers.append(Dropout(dropout_ratio))
    layers.append(Affine(W3.astype(dtype), np.zeros(n_classes, dtype=dtype)))
    return Sequential(layers, seed=seed)
