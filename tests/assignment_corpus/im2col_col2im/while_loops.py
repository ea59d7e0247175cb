# verdict: honest
# While loops over the window positions (a student's own style).
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
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    col = np.empty((N, C, filter_h, filter_w, OH, OW), dtype=x.dtype)
    i = 0
    while i < filter_h:
        j = 0
        while j < filter_w:
            col[:, :, i, j] = xp[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride]
            j += 1
        i += 1
    col = np.transpose(col, (0, 4, 5, 1, 2, 3))
    return np.reshape(col, (N * OH * OW, C * filter_h * filter_w))


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    col = np.reshape(col, (N, OH, OW, C, filter_h, filter_w))
    col = np.transpose(col, (0, 3, 4, 5, 1, 2))
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    i = 0
    while i < filter_h:
        j = 0
        while j < filter_w:
            xp[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += col[:, :, i, j]
            j += 1
        i += 1
    return xp[:, :, pad:pad + H, pad:pad + W]
