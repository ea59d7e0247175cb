# verdict: honest
# Position slices written into a (N, OH, OW, FH*FW, C) array, channels moved in front at the end.
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
    tmp = np.empty((N, OH, OW, filter_h * filter_w, C), dtype=x.dtype)
    k = 0
    for fy in range(filter_h):
        for fx in range(filter_w):
            tmp[:, :, :, k, :] = xp[:, :, fy:fy + stride * OH:stride, fx:fx + stride * OW:stride].transpose(0, 2, 3, 1)
            k += 1
    return np.swapaxes(tmp, 3, 4).reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    tmp = np.swapaxes(col.reshape(N, OH, OW, C, filter_h * filter_w), 3, 4)    # (N, OH, OW, FH*FW, C)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    k = 0
    for fy in range(filter_h):
        for fx in range(filter_w):
            xp[:, :, fy:fy + stride * OH:stride, fx:fx + stride * OW:stride] += tmp[:, :, :, k, :].transpose(0, 3, 1, 2)
            k += 1
    return xp[:, :, pad:pad + H, pad:pad + W]
