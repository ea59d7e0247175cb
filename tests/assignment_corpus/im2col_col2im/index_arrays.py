# verdict: honest
# Index arrays k, i, j (the cs231n way), np.add.at back.
def output_size(H, W, filter_h, filter_w, stride, pad):
    """(OH, OW), or a ValueError when the windows do not tile the padded input."""
    if H + 2 * pad < filter_h or W + 2 * pad < filter_w or (H + 2 * pad - filter_h) % stride \
            or (W + 2 * pad - filter_w) % stride:
        raise ValueError(f"a {filter_h}x{filter_w} window with stride {stride} and padding {pad} "
                         f"does not tile a {H}x{W} input")
    return (H + 2 * pad - filter_h) // stride + 1, (W + 2 * pad - filter_w) // stride + 1


def window_indices(C, fh, fw, oh, ow, stride):
    """Index arrays (k, i, j): channel, row and column of every (window entry, window) pair."""
    i0 = np.tile(np.repeat(np.arange(fh), fw), C)
    i1 = stride * np.repeat(np.arange(oh), ow)
    j0 = np.tile(np.arange(fw), fh * C)
    j1 = stride * np.tile(np.arange(ow), oh)
    i = i0.reshape(-1, 1) + i1.reshape(1, -1)
    j = j0.reshape(-1, 1) + j1.reshape(1, -1)
    k = np.repeat(np.arange(C), fh * fw).reshape(-1, 1)
    return k, i, j


def im2col(x, filter_h, filter_w, stride=1, pad=0):
    """(N, C, H, W) -> (N*OH*OW, C*FH*FW): one row per output pixel (n, oh, ow), columns (c, fh, fw)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    k, i, j = window_indices(C, filter_h, filter_w, OH, OW, stride)
    cols = xp[:, k, i, j]                      # (N, C*FH*FW, OH*OW)
    return cols.transpose(0, 2, 1).reshape(N * OH * OW, -1)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    k, i, j = window_indices(C, filter_h, filter_w, OH, OW, stride)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    cols = col.reshape(N, OH * OW, -1).transpose(0, 2, 1)
    np.add.at(xp, (slice(None), k, i, j), cols)
    if pad == 0:
        return xp
    return xp[:, :, pad:-pad, pad:-pad]
