# verdict: honest
# Fills (C, FH, FW, N, OH, OW) and transposes at the end; col2im adds through the same layout.
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
    z = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=x.dtype)
    z[:, :, pad:H + pad, pad:W + pad] = x
    out = np.zeros((C, filter_h, filter_w, N, OH, OW), dtype=x.dtype)
    for row in range(0, filter_h):
        for column in range(0, filter_w):
            patch = z[:, :, row:row + stride * OH:stride, column:column + stride * OW:stride]
            out[:, row, column] = patch.transpose(1, 0, 2, 3)
    return out.transpose(3, 4, 5, 0, 1, 2).reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    layout = col.reshape(N, OH, OW, C, filter_h, filter_w).transpose(3, 4, 5, 0, 1, 2)
    z = np.zeros((C, N, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for row in range(0, filter_h):
        for column in range(0, filter_w):
            z[:, :, row:row + stride * OH:stride, column:column + stride * OW:stride] += layout[:, row, column]
    return z[:, :, pad:H + pad, pad:W + pad].transpose(1, 0, 2, 3)
