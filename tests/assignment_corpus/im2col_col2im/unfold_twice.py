# verdict: honest
# Unfolds the height, then the width, with two sliding_window_view calls.
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
    tall = sliding_window_view(xp, filter_h, axis=2)[:, :, ::stride]          # (N, C, OH, Wp, FH)
    both = sliding_window_view(tall, filter_w, axis=3)[:, :, :, ::stride]     # (N, C, OH, OW, FH, FW)
    return both.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    grads = col.reshape(N, OH, OW, C, filter_h, filter_w)
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for fh in range(filter_h):
        rows = slice(fh, fh + stride * OH, stride)
        for fw in range(filter_w):
            dxp[:, :, rows, fw:fw + stride * OW:stride] += grads[:, :, :, :, fh, fw].transpose(0, 3, 1, 2)
    return dxp[:, :, pad:pad + H, pad:pad + W]
