# verdict: honest
# Windows from sliding_window_view, reordered with einsum; col2im in reverse position order.
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
    windows = np.lib.stride_tricks.sliding_window_view(xp, (filter_h, filter_w), axis=(-2, -1))
    windows = windows[:, :, ::stride, ::stride, :, :]
    return np.einsum("ncijhw->nijchw", windows).reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    grid = np.einsum("nijchw->nchwij", col.reshape(N, OH, OW, C, filter_h, filter_w))
    image = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for h in reversed(range(filter_h)):
        for w in reversed(range(filter_w)):
            image[:, :, h:h + stride * OH:stride, w:w + stride * OW:stride] += grid[:, :, h, w]
    return image[:, :, pad:pad + H, pad:pad + W]
