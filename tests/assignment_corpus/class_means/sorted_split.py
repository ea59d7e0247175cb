# verdict: honest
# Sorts by label and splits: np.add.reduceat over the sorted images.
def class_mean_images(x, t, n_classes=10):
    """Mean image of each class: an array of shape (n_classes,) + x.shape[1:]."""
    order = np.argsort(t, kind="stable")
    starts = np.searchsorted(t[order], np.arange(n_classes))
    sums = np.add.reduceat(x[order].astype(np.float64), starts, axis=0)
    counts = np.diff(np.append(starts, len(t)))
    return sums / counts.reshape((-1,) + (1,) * (x.ndim - 1))


def mean_image_distances(means):
    """Euclidean distances between the flattened mean images: an (n, n) array."""
    k = len(means)
    flat = means.reshape(k, -1)
    return np.array([[np.sqrt(np.sum((flat[i] - flat[j]) ** 2)) for j in range(k)] for i in range(k)])
