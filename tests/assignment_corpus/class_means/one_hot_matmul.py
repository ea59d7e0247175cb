# verdict: honest
# Means as a product with a one-hot matrix divided by the counts.
def class_mean_images(x, t, n_classes=10):
    """Mean image of each class: an array of shape (n_classes,) + x.shape[1:]."""
    onehot = (t[:, None] == np.arange(n_classes)[None, :]).astype(np.float64)   # (N, n_classes)
    sums = onehot.T @ x.reshape(len(x), -1)
    counts = onehot.sum(axis=0)[:, None]
    return (sums / counts).reshape((n_classes,) + x.shape[1:])


def mean_image_distances(means):
    """Euclidean distances between the flattened mean images: an (n, n) array."""
    v = means.reshape(len(means), -1)
    n = len(v)
    d = np.zeros((n, n))
    for i in range(n):
        d[i] = np.sqrt(((v - v[i]) ** 2).sum(axis=1))
    return d
