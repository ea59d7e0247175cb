# verdict: honest
# im2col by output rows and columns (OH*OW), col2im with one np.add.at over all windows.
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
    patches = np.empty((N, OH, OW, C, filter_h, filter_w), dtype=x.dtype)
    for oh in range(OH):
        for ow in range(OW):
            patches[:, oh, ow] = xp[:, :, oh * stride:oh * stride + filter_h, ow * stride:ow * stride + filter_w]
    return patches.reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    patches = col.reshape(N, OH, OW, C, filter_h, filter_w)
    n = np.arange(N)[:, None, None, None, None, None]
    c = np.arange(C)[None, None, None, :, None, None]
    h = (stride * np.arange(OH))[None, :, None, None, None, None] + np.arange(filter_h)[None, None, None, None, :, None]
    w = (stride * np.arange(OW))[None, None, :, None, None, None] + np.arange(filter_w)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    np.add.at(xp, (n, c, h, w), patches)
    return xp[:, :, pad:pad + H, pad:pad + W]
