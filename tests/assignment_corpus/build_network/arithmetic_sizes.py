# verdict: honest
# Works the sizes out with the output-size formula.
def build_network(filter_num=16, filter_size=5, hidden_size=100, dropout_ratio=0.5, alpha=0.01,
                  input_dim=(1, 28, 28), n_classes=10, seed=0, dtype=np.float32):
    """conv - LeakyRelu - 2x2 max pool - affine - LeakyRelu - dropout - affine, as a Sequential."""
    if filter_size % 2 == 0:
        raise ValueError(f"filter_size must be odd so that padding filter_size // 2 keeps the image size, got {filter_size}")
    C, H, W = input_dim
    rng = np.random.default_rng(seed)
    pad = filter_size // 2
    conv_h = (H + 2 * pad - filter_size) // 1 + 1
    conv_w = (W + 2 * pad - filter_size) // 1 + 1
    pool_out = filter_num * (conv_h // 2) * (conv_w // 2)
    sizes = [(filter_num, C, filter_size, filter_size), (pool_out, hidden_size), (hidden_size, n_classes)]
    fans = [C * filter_size * filter_size, pool_out, hidden_size]
    Ws = [(rng.standard_normal(s) * np.sqrt(2.0 / f)).astype(dtype) for s, f in zip(sizes, fans)]
    bs = [np.zeros(s[0], dtype=dtype) for s in ((filter_num,), (hidden_size,), (n_classes,))]
    net = Sequential([Convolution(Ws[0], bs[0], 1, pad), LeakyRelu(alpha), MaxPooling(2, 2, 2),
                      Affine(Ws[1], bs[1]), LeakyRelu(alpha), Dropout(dropout_ratio), Affine(Ws[2], bs[2])],
                     seed=seed)
    return net
