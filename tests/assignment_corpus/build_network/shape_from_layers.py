# verdict: honest
# Asks the layers for their output shapes to size the first affine layer.
def build_network(filter_num=16, filter_size=5, hidden_size=100, dropout_ratio=0.5, alpha=0.01,
                  input_dim=(1, 28, 28), n_classes=10, seed=0, dtype=np.float32):
    """conv - LeakyRelu - 2x2 max pool - affine - LeakyRelu - dropout - affine, as a Sequential."""
    if filter_size % 2 == 0:
        raise ValueError(f"filter_size must be odd so that padding filter_size // 2 keeps the image size, got {filter_size}")
    C, H, W = input_dim
    rng = np.random.default_rng(seed)
    std1 = np.sqrt(2.0 / (C * filter_size * filter_size))
    conv = Convolution((std1 * rng.standard_normal((filter_num, C, filter_size, filter_size))).astype(dtype),
                       np.zeros(filter_num, dtype), stride=1, pad=filter_size // 2)
    pool = MaxPooling(2, 2, 2)
    fan = int(np.prod(pool.output_shape(conv.output_shape(input_dim))))
    hidden = Affine((np.sqrt(2.0 / fan) * rng.standard_normal((fan, hidden_size))).astype(dtype),
                    np.zeros(hidden_size, dtype))
    scores = Affine((np.sqrt(2.0 / hidden_size) * rng.standard_normal((hidden_size, n_classes))).astype(dtype),
                    np.zeros(n_classes, dtype))
    return Sequential([conv, LeakyRelu(alpha=alpha), pool, hidden, LeakyRelu(alpha=alpha), Dropout(dropout_ratio), scores])
