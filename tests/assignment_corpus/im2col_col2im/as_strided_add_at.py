# verdict: honest
# as_strided view for im2col, np.add.at with broadcast indices for col2im.
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
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    sN, sC, sH, sW = xp.strides
    view = np.lib.stride_tricks.as_strided(
        xp, shape=(N, OH, OW, C, filter_h, filter_w),
        strides=(sN, sH * stride, sW * stride, sC, sH, sW), writeable=False)
    return np.ascontiguousarray(view).reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    rows = np.arange(filter_h)[:, None] + stride * np.arange(OH)[None, :]   # (FH, OH)
    cols = np.arange(filter_w)[:, None] + stride * np.arange(OW)[None, :]   # (FW, OW)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    patches = col.reshape(N, OH, OW, C, filter_h, filter_w)
    n_idx = np.arange(N).reshape(N, 1, 1, 1, 1, 1)
    c_idx = np.arange(C).reshape(1, 1, 1, C, 1, 1)
    r_idx = rows.T.reshape(1, OH, 1, 1, filter_h, 1)
    w_idx = cols.T.reshape(1, 1, OW, 1, 1, filter_w)
    np.add.at(img, (n_idx, c_idx, r_idx, w_idx), patches)   # repeated indices add up
    return img[:, :, pad:pad + H, pad:pad + W]
