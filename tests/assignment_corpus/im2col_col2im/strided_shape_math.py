# verdict: honest
# as_strided on the padded array's own strides; col2im by add.at on the flattened image.
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
    s0, s1, s2, s3 = xp.strides
    shape = (N, OH, OW, C, filter_h, filter_w)
    windows = np.lib.stride_tricks.as_strided(xp, shape=shape, strides=(s0, stride * s2, stride * s3, s1, s2, s3))
    return windows.reshape(N * OH * OW, C * filter_h * filter_w)   # reshape copies the strided view


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    Hp, Wp = H + 2 * pad, W + 2 * pad
    r = (np.arange(OH) * stride)[:, None, None, None, None] + np.arange(filter_h)[None, None, None, :, None]
    c = (np.arange(OW) * stride)[None, :, None, None, None] + np.arange(filter_w)[None, None, None, None, :]
    ch = np.arange(C)[None, None, :, None, None]
    flat_index = (ch * Hp + r) * Wp + c                          # (OH, OW, C, FH, FW) in one image
    img = np.zeros((N, C * Hp * Wp), dtype=col.dtype)
    np.add.at(img, (np.arange(N)[:, None], flat_index.reshape(1, -1)), col.reshape(N, -1))
    return img.reshape(N, C, Hp, Wp)[:, :, pad:pad + H, pad:pad + W]
