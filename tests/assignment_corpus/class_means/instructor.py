# verdict: honest
# The instructor's solution.
def class_mean_images(x, t, n_classes=10):
    """Mean image of each class: an array of shape (n_classes,) + x.shape[1:]."""
    return np.stack([x[t == k].mean(axis=0) for k in range(n_classes)])


def mean_image_distances(means):
    """Euclidean distances between the flattened mean images: an (n, n) array."""
    flat = np.asarray(means, dtype=np.float64).reshape(len(means), -1)
    squared = (flat ** 2).sum(axis=1)
    d2 = squared[:, None] + squared[None, :] - 2 * flat @ flat.T
    return np.sqrt(np.maximum(d2, 0))
