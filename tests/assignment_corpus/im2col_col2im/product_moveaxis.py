# verdict: honest
# itertools.product over the window positions, np.moveaxis instead of transpose.
from itertools import product

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
    res = np.zeros((N, C, filter_h, filter_w, OH, OW), dtype=x.dtype)
    for u, v in product(range(filter_h), range(filter_w)):
        res[:, :, u, v] = xp[:, :, u:u + OH * stride:stride, v:v + OW * stride:stride]
    res = np.moveaxis(res, (4, 5), (1, 2))            # (N, OH, OW, C, FH, FW)
    return res.reshape(N * OH * OW, -1)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    parts = np.moveaxis(col.reshape(N, OH, OW, C, filter_h, filter_w), (1, 2), (4, 5))
    acc = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for u, v in product(range(filter_h), range(filter_w)):
        acc[:, :, u:u + OH * stride:stride, v:v + OW * stride:stride] += parts[:, :, u, v]
    return acc[:, :, pad:pad + H, pad:pad + W] if pad else acc
