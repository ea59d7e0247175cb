# verdict: honest
# Pairwise differences by broadcasting, np.linalg.norm along the pixels.
def class_mean_images(x, t, n_classes=10):
    """Mean image of each class: an array of shape (n_classes,) + x.shape[1:]."""
    out = np.zeros((n_classes,) + x.shape[1:], dtype=np.float64)
    for k in range(n_classes):
        out[k] = x[t == k].mean(axis=0)
    return out


def mean_image_distances(means):
    """Euclidean distances between the flattened mean images: an (n, n) array."""
    flat = means.reshape(means.shape[0], -1)
    diff = flat[:, None, :] - flat[None, :, :]
    return np.linalg.norm(diff, axis=-1)
