# verdict: wrong: im2col orders the columns (fh, fw, c) instead of (c, fh, fw) | fails: test_im2col, test_convolution_forward, test_convolution_backward, test_build_network
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
    out = np.empty((N, OH, OW, filter_h, filter_w, C), dtype=x.dtype)
    for i in range(filter_h):
        for j in range(filter_w):
            out[:, :, :, i, j, :] = xp[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride].transpose(0, 2, 3, 1)
    return out.reshape(N * OH * OW, -1)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    grad = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    parts = col.reshape(N, OH, OW, C, filter_h, filter_w)
    for i in range(filter_h):
        for j in range(filter_w):
            grad[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += parts[..., i, j].transpose(0, 3, 1, 2)
    return grad[:, :, pad:pad + H, pad:pad + W]
