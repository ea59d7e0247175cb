# verdict: honest
# A small padding helper; im2col by position slices into a 4-D (N, OH, OW, K) array.
def output_size(H, W, filter_h, filter_w, stride, pad):
    """(OH, OW), or a ValueError when the windows do not tile the padded input."""
    if H + 2 * pad < filter_h or W + 2 * pad < filter_w or (H + 2 * pad - filter_h) % stride \
            or (W + 2 * pad - filter_w) % stride:
        raise ValueError(f"a {filter_h}x{filter_w} window with stride {stride} and padding {pad} "
                         f"does not tile a {H}x{W} input")
    return (H + 2 * pad - filter_h) // stride + 1, (W + 2 * pad - filter_w) // stride + 1


def zero_pad(a, p):
    """a (N, C, H, W) with p zeros on each side of H and W."""
    return np.pad(a, ((0, 0), (0, 0), (p, p), (p, p))) if p else a


def unpad(a, p):
    """The inverse of zero_pad."""
    return a[:, :, p:a.shape[2] - p, p:a.shape[3] - p]


def im2col(x, filter_h, filter_w, stride=1, pad=0):
    """(N, C, H, W) -> (N*OH*OW, C*FH*FW): one row per output pixel (n, oh, ow), columns (c, fh, fw)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    xp = zero_pad(x, pad)
    K = C * filter_h * filter_w
    out = np.zeros((N, OH, OW, K), dtype=x.dtype)
    view = out.reshape(N, OH, OW, C, filter_h, filter_w)     # same memory, window axes split
    for i in range(filter_h):
        for j in range(filter_w):
            view[:, :, :, :, i, j] = xp[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride].transpose(0, 2, 3, 1)
    return out.reshape(-1, K)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    view = col.reshape(N, OH, OW, C, filter_h, filter_w)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for i in range(filter_h):
        for j in range(filter_w):
            xp[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += view[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return unpad(xp, pad)
