# verdict: honest
# np.add.at sums per class and np.bincount counts; distances with einsum.
def class_mean_images(x, t, n_classes=10):
    """Mean image of each class: an array of shape (n_classes,) + x.shape[1:]."""
    sums = np.zeros((n_classes,) + x.shape[1:], dtype=np.float64)
    np.add.at(sums, t, x)
    counts = np.bincount(t, minlength=n_classes).reshape((-1,) + (1,) * (x.ndim - 1))
    return sums / counts


def mean_image_distances(means):
    """Euclidean distances between the flattened mean images: an (n, n) array."""
    f = means.reshape(len(means), -1).astype(np.float64)
    diff = f[:, None] - f[None, :]
    return np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
