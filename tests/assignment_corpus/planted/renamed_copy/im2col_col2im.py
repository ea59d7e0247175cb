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
    # pad the borders, then collect every offset inside the filter
    stack_of_slices = np.empty((filter_h, filter_w, N, C, OH, OW), dtype=x.dtype)
    xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    for dy in range(filter_h):
        for dx in range(filter_w):
            # every window's (dy, dx) entry at once
            stack_of_slices[dy, dx] = xpad[:, :, dy:dy + stride * (OH - 1) + 1:stride, dx:dx + stride * (OW - 1) + 1:stride]
    return stack_of_slices.transpose(2, 4, 5, 3, 0, 1).reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    result = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    pieces = col.reshape(N, OH, OW, C, filter_h, filter_w).transpose(4, 5, 0, 3, 1, 2)
    for dy in range(filter_h):
        for dx in range(filter_w):
            # add back, overlapping windows sum up
            result[:, :, dy:dy + stride * (OH - 1) + 1:stride, dx:dx + stride * (OW - 1) + 1:stride] += pieces[dy, dx]
    return result[:, :, pad:pad + H, pad:pad + W]
