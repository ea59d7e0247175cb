# verdict: honest
# Computes in float64 whatever comes in and returns the input's dtype.
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
    src = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=np.float64)
    src[:, :, pad:pad + H, pad:pad + W] = x
    col = np.zeros((N, OH, OW, C, filter_h, filter_w), dtype=np.float64)
    for dh in range(filter_h):
        h_end = dh + stride * OH
        for dw in range(filter_w):
            w_end = dw + stride * OW
            col[..., dh, dw] = np.transpose(src[:, :, dh:h_end:stride, dw:w_end:stride], (0, 2, 3, 1))
    return col.reshape(N * OH * OW, C * filter_h * filter_w).astype(x.dtype)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    wins = np.asarray(col, dtype=np.float64).reshape(N, OH, OW, C, filter_h, filter_w)
    total = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=np.float64)
    for dh in range(filter_h):
        h_end = dh + stride * OH
        for dw in range(filter_w):
            w_end = dw + stride * OW
            total[:, :, dh:h_end:stride, dw:w_end:stride] += np.transpose(wins[..., dh, dw], (0, 3, 1, 2))
    return total[:, :, pad:pad + H, pad:pad + W].astype(col.dtype)
