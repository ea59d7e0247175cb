# verdict: honest
# One-hot selection matrices and einsum: exact, no Python loop at all.
def output_size(H, W, filter_h, filter_w, stride, pad):
    """(OH, OW), or a ValueError when the windows do not tile the padded input."""
    if H + 2 * pad < filter_h or W + 2 * pad < filter_w or (H + 2 * pad - filter_h) % stride \
            or (W + 2 * pad - filter_w) % stride:
        raise ValueError(f"a {filter_h}x{filter_w} window with stride {stride} and padding {pad} "
                         f"does not tile a {H}x{W} input")
    return (H + 2 * pad - filter_h) // stride + 1, (W + 2 * pad - filter_w) // stride + 1


def selection(n_out, size, n_in, stride):
    """S[o, k, p] = 1 where input position p is entry k of window o (o*stride + k == p)."""
    target = np.arange(n_out)[:, None] * stride + np.arange(size)[None, :]
    return (target[:, :, None] == np.arange(n_in)[None, None, :]).astype(np.float64)


def im2col(x, filter_h, filter_w, stride=1, pad=0):
    """(N, C, H, W) -> (N*OH*OW, C*FH*FW): one row per output pixel (n, oh, ow), columns (c, fh, fw)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Sh = selection(OH, filter_h, H + 2 * pad, stride).astype(x.dtype)
    Sw = selection(OW, filter_w, W + 2 * pad, stride).astype(x.dtype)
    windows = np.einsum("nchw,aih,bjw->nabcij", xp, Sh, Sw)
    return windows.reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    Sh = selection(OH, filter_h, H + 2 * pad, stride).astype(col.dtype)
    Sw = selection(OW, filter_w, W + 2 * pad, stride).astype(col.dtype)
    windows = col.reshape(N, OH, OW, C, filter_h, filter_w)
    img = np.einsum("nabcij,aih,bjw->nchw", windows, Sh, Sw)
    return img[:, :, pad:pad + H, pad:pad + W]
