# verdict: honest
# One flat loop over the output pixels with divmod; col2im one flat loop over positions.
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
    K = C * filter_h * filter_w
    col = np.zeros((N, OH * OW, K), dtype=x.dtype)
    for p in range(OH * OW):
        i, j = divmod(p, OW)
        col[:, p] = xp[:, :, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w].reshape(N, K)
    return col.reshape(N * OH * OW, K)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    cube = col.reshape(N, OH, OW, C, filter_h, filter_w)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for t in range(filter_h * filter_w):
        i, j = t // filter_w, t % filter_w
        img[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += cube[..., i, j].transpose(0, 3, 1, 2)
    return img[:, :, pad:pad + H, pad:pad + W]
