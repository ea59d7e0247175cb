# verdict: honest
# Loops over the FH rows of a window; sliding_window_view gives all FW columns at once.
from numpy.lib.stride_tricks import sliding_window_view

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
    res = np.empty((N, OH, OW, C, filter_h, filter_w), dtype=x.dtype)
    for fh in range(filter_h):
        band = xp[:, :, fh:fh + stride * OH:stride, :]                          # (N, C, OH, Wp)
        res[:, :, :, :, fh, :] = sliding_window_view(band, filter_w, axis=3)[:, :, :, ::stride].transpose(0, 2, 3, 1, 4)
    return res.reshape(len(x) * OH * OW, -1)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    res = col.reshape(N, OH, OW, C, filter_h, filter_w)
    acc = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for fh in range(filter_h):
        rows = acc[:, :, fh:fh + stride * OH:stride, :]          # a view: adding to it adds to acc
        for fw in range(filter_w):
            rows[:, :, :, fw:fw + stride * OW:stride] += res[:, :, :, :, fh, fw].transpose(0, 3, 1, 2)
    return acc[:, :, pad:pad + H, pad:pad + W]
