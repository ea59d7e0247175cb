# verdict: honest
# Flat offsets into the padded image; np.bincount adds the gradient back.
def output_size(H, W, filter_h, filter_w, stride, pad):
    """(OH, OW), or a ValueError when the windows do not tile the padded input."""
    if H + 2 * pad < filter_h or W + 2 * pad < filter_w or (H + 2 * pad - filter_h) % stride \
            or (W + 2 * pad - filter_w) % stride:
        raise ValueError(f"a {filter_h}x{filter_w} window with stride {stride} and padding {pad} "
                         f"does not tile a {H}x{W} input")
    return (H + 2 * pad - filter_h) // stride + 1, (W + 2 * pad - filter_w) // stride + 1


def offsets(C, Hp, Wp, filter_h, filter_w, OH, OW, stride):
    """(OH*OW, C*FH*FW) positions in one flattened padded image (C, Hp, Wp)."""
    corner = (np.arange(OH)[:, None] * stride * Wp + np.arange(OW)[None, :] * stride).ravel()
    inside = (np.arange(C)[:, None, None] * Hp * Wp + np.arange(filter_h)[None, :, None] * Wp
              + np.arange(filter_w)[None, None, :]).ravel()
    return corner[:, None] + inside[None, :]


def im2col(x, filter_h, filter_w, stride=1, pad=0):
    """(N, C, H, W) -> (N*OH*OW, C*FH*FW): one row per output pixel (n, oh, ow), columns (c, fh, fw)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    Hp, Wp = H + 2 * pad, W + 2 * pad
    xp = np.zeros((N, C, Hp, Wp), dtype=x.dtype)
    xp[:, :, pad:pad + H, pad:pad + W] = x
    flat = xp.reshape(N, -1)
    return flat[:, offsets(C, Hp, Wp, filter_h, filter_w, OH, OW, stride)].reshape(N * OH * OW, -1)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    Hp, Wp = H + 2 * pad, W + 2 * pad
    idx = offsets(C, Hp, Wp, filter_h, filter_w, OH, OW, stride).ravel()
    per_image = np.arange(N)[:, None] * (C * Hp * Wp) + idx[None, :]
    sums = np.bincount(per_image.ravel(), weights=col.reshape(-1), minlength=N * C * Hp * Wp)
    img = sums.reshape(N, C, Hp, Wp).astype(col.dtype)
    return img[:, :, pad:pad + H, pad:pad + W]
