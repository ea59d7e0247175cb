# verdict: honest
# Collects the OH*OW window slices in a list and concatenates them.
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
    # YOUR CODE HERE
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    pieces = []
    for i in range(OH):
        for j in range(OW):
            y0, x0 = i * stride, j * stride
            pieces.append(xp[:, :, y0:y0 + filter_h, x0:x0 + filter_w].reshape(N, 1, -1))
    return np.concatenate(pieces, axis=1).reshape(N * OH * OW, -1)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    # YOUR CODE HERE
    out = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    kernel = col.reshape(N, OH, OW, C, filter_h, filter_w)
    for fw in range(filter_w):                    # columns of the window first, then rows
        for fh in range(filter_h):
            out[:, :, fh:fh + stride * OH:stride, fw:fw + stride * OW:stride] += np.moveaxis(kernel[..., fh, fw], 3, 1)
    return out[:, :, pad:H + pad, pad:W + pad]
