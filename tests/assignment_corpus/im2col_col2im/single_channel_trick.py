# verdict: honest
# Treats every channel as its own image (N*C, H, W), then regroups the columns.
def output_size(H, W, filter_h, filter_w, stride, pad):
    """(OH, OW), or a ValueError when the windows do not tile the padded input."""
    if H + 2 * pad < filter_h or W + 2 * pad < filter_w or (H + 2 * pad - filter_h) % stride \
            or (W + 2 * pad - filter_w) % stride:
        raise ValueError(f"a {filter_h}x{filter_w} window with stride {stride} and padding {pad} "
                         f"does not tile a {H}x{W} input")
    return (H + 2 * pad - filter_h) // stride + 1, (W + 2 * pad - filter_w) // stride + 1


def im2col(x, filter_h, filter_w, stride=1, pad=0):
    """(N, C, H, W) -> (N*OH*OW, C*FH*FW): one row per output pixel (n, oh, ow), columns (c, fh, fw)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    imgs = np.pad(x.reshape(N * C, H, W), ((0, 0), (pad, pad), (pad, pad)))
    parts = np.empty((N * C, OH, OW, filter_h, filter_w), dtype=x.dtype)
    for a in range(filter_h):
        for b in range(filter_w):
            parts[:, :, :, a, b] = imgs[:, a:a + stride * OH:stride, b:b + stride * OW:stride]
    parts = parts.reshape(N, C, OH, OW, filter_h * filter_w)
    return parts.transpose(0, 2, 3, 1, 4).reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    parts = col.reshape(N, OH, OW, C, filter_h, filter_w).transpose(0, 3, 1, 2, 4, 5)
    parts = parts.reshape(N * C, OH, OW, filter_h, filter_w)
    imgs = np.zeros((N * C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for a in range(filter_h):
        for b in range(filter_w):
            imgs[:, a:a + stride * OH:stride, b:b + stride * OW:stride] += parts[:, :, :, a, b]
    return imgs[:, pad:pad + H, pad:pad + W].reshape(N, C, H, W)
