from numpy.lib.stride_tricks import sliding_window_view


def output_size(H, W, filter_h, filter_w, stride, pad):
    """(OH, OW), or a ValueError when the windows do not tile the padded input."""
    if H + 2 * pad < filter_h or W + 2 * pad < filter_w or (H + 2 * pad - filter_h) % stride \
            or (W + 2 * pad - filter_w) % stride:
        raise ValueError(f"a {filter_h}x{filter_w} window with stride {stride} and padding {pad} "
                         f"does not tile a {H}x{W} input")
    return (H + 2 * pad - filter_h) // stride + 1, (W + 2 * pad - filter_w) // stride + 1


def _pad_hw(x, pad, h_axis, value=0):
    """Pad the two axes ``h_axis`` and ``h_axis + 1`` by ``pad`` on each side (a fresh array)."""
    if not pad:
        return x
    shape = list(x.shape)
    shape[h_axis] += 2 * pad
    shape[h_axis + 1] += 2 * pad
    out = np.full(shape, value, dtype=x.dtype)
    inner = [slice(None)] * x.ndim
    inner[h_axis] = slice(pad, pad + x.shape[h_axis])
    inner[h_axis + 1] = slice(pad, pad + x.shape[h_axis + 1])
    out[tuple(inner)] = x
    return out


def im2col(x, filter_h, filter_w, stride=1, pad=0):
    """(N, C, H, W) -> (N*OH*OW, C*FH*FW): one row per output pixel (n, oh, ow), columns (c, fh, fw)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    x = _pad_hw(x, pad, 2)
    win = sliding_window_view(x, (filter_h, filter_w), axis=(2, 3))  # (N, C, H', W', FH, FW)
    win = win[:, :, ::stride, ::stride]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back to where im2col took it from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    expected = (N * OH * OW, C * filter_h * filter_w)
    if col.shape != expected:
        raise ValueError(f"col has shape {col.shape}, but input_shape {tuple(x_shape)} with a "
                         f"{filter_h}x{filter_w} filter, stride {stride}, pad {pad} needs {expected}")
    col = col.reshape(N, OH, OW, C, filter_h, filter_w)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for i in range(filter_h):
        for j in range(filter_w):
            img[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += \
                col[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return img[:, :, pad:pad + H, pad:pad + W]
