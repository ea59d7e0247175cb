# verdict: honest
# Checks its arguments, then the window-position loop with explicit end indices.
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
    if x.ndim != 4:
        raise ValueError(f"im2col needs a batch (N, C, H, W), got shape {x.shape}")
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    result = np.zeros((N, OH, OW, C, filter_h, filter_w), dtype=x.dtype)
    for top in range(filter_h):
        bottom = top + stride * (OH - 1) + 1
        for left in range(filter_w):
            right = left + stride * (OW - 1) + 1
            sl = padded[:, :, top:bottom:stride, left:right:stride]        # (N, C, OH, OW)
            result[:, :, :, :, top, left] = sl.transpose(0, 2, 3, 1)
    return result.reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    if col.shape != (N * OH * OW, C * filter_h * filter_w):
        raise ValueError(f"col has shape {col.shape}, expected {(N * OH * OW, C * filter_h * filter_w)}")
    result = col.reshape(N, OH, OW, C, filter_h, filter_w)
    padded = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for top in range(filter_h):
        bottom = top + stride * (OH - 1) + 1
        for left in range(filter_w):
            right = left + stride * (OW - 1) + 1
            padded[:, :, top:bottom:stride, left:right:stride] += result[:, :, :, :, top, left].transpose(0, 3, 1, 2)
    return padded[:, :, pad:pad + H, pad:pad + W]
