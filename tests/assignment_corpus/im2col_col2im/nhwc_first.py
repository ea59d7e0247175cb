# verdict: honest
# Moves the channels last first (N, H, W, C), then fills (N, OH, OW, FH, FW, C).
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
    xt = np.pad(x.transpose(0, 2, 3, 1), ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    buf = np.empty((N, OH, OW, filter_h, filter_w, C), dtype=x.dtype)
    for i in range(filter_h):
        for j in range(filter_w):
            buf[:, :, :, i, j, :] = xt[:, i:i + stride * OH:stride, j:j + stride * OW:stride, :]
    # columns must be ordered (c, fh, fw)
    return buf.transpose(0, 1, 2, 5, 3, 4).reshape(N * OH * OW, -1)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    buf = col.reshape(N, OH, OW, C, filter_h, filter_w).transpose(0, 1, 2, 4, 5, 3)
    acc = np.zeros((N, H + 2 * pad, W + 2 * pad, C), dtype=col.dtype)
    for i in range(filter_h):
        for j in range(filter_w):
            acc[:, i:i + stride * OH:stride, j:j + stride * OW:stride, :] += buf[:, :, :, i, j, :]
    return acc[:, pad:pad + H, pad:pad + W, :].transpose(0, 3, 1, 2)
