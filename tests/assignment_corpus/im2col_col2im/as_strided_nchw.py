# verdict: honest
# as_strided with the windows in (N, C, OH, OW, FH, FW) order, contiguous input first.
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
    xp = np.ascontiguousarray(np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))))
    item = xp.itemsize
    Hp, Wp = xp.shape[2], xp.shape[3]
    strides = (C * Hp * Wp * item, Hp * Wp * item, stride * Wp * item, stride * item, Wp * item, item)
    view = np.lib.stride_tricks.as_strided(xp, (N, C, OH, OW, filter_h, filter_w), strides, writeable=False)
    return view.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    six = col.reshape(N, OH, OW, C, filter_h, filter_w)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for oh in range(OH):
        for ow in range(OW):
            y, x0 = oh * stride, ow * stride
            xp[:, :, y:y + filter_h, x0:x0 + filter_w] += six[:, oh, ow]
    return xp[:, :, pad:pad + H, pad:pad + W]
