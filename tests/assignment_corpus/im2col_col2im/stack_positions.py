# verdict: honest
# A list comprehension over the FH*FW positions, stacked on a last axis.
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
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    slices = [xp[:, :, a:a + stride * OH:stride, b:b + stride * OW:stride]
              for a in range(filter_h) for b in range(filter_w)]
    stacked = np.stack(slices, axis=-1)           # (N, C, OH, OW, FH*FW)
    return stacked.transpose(0, 2, 3, 1, 4).reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    parts = col.reshape(N, OH, OW, C, filter_h * filter_w).transpose(0, 3, 1, 2, 4)
    out = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for k in range(filter_h * filter_w):
        a, b = divmod(k, filter_w)
        out[:, :, a:a + stride * OH:stride, b:b + stride * OW:stride] += parts[..., k]
    return out[:, :, pad:pad + H, pad:pad + W]
