# verdict: honest
# Means accumulated in float64, stored in the images' dtype; distances by np.linalg.norm of differences.
def class_mean_images(x, t, n_classes=10):
    """Mean image of each class: an array of shape (n_classes,) + x.shape[1:]."""
    means = np.empty((n_classes,) + x.shape[1:], dtype=x.dtype)
    for c in range(n_classes):
        means[c] = x[t == c].mean(axis=0, dtype=np.float64)
    return means


def mean_image_distances(means):
    """Euclidean distances between the flattened mean images: an (n, n) array."""
    z = np.asarray(means).reshape(len(means), -1)
    return np.linalg.norm(z[:, np.newaxis] - z[np.newaxis], axis=2)
