# verdict: honest
# Returns float64 whatever the input (like the book), with padding by slice assignment.
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
    x = np.asarray(x, dtype=np.float64)
    big = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    big[:, :, pad:pad + H, pad:pad + W] = x
    cols = np.zeros((N, OH, OW, C, filter_h, filter_w))
    for r in range(filter_h):
        for s in range(filter_w):
            cols[:, :, :, :, r, s] = np.moveaxis(big[:, :, r:r + stride * OH:stride, s:s + stride * OW:stride], 1, 3)
    return cols.reshape(N * OH * OW, -1)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    # YOUR CODE HERE
    cols = np.asarray(col, dtype=np.float64).reshape(N, OH, OW, C, filter_h, filter_w)
    big = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for r in range(filter_h):
        for s in range(filter_w):
            big[:, :, r:r + stride * OH:stride, s:s + stride * OW:stride] += np.moveaxis(cols[:, :, :, :, r, s], 3, 1)
    return big[:, :, pad:pad + H, pad:pad + W]
