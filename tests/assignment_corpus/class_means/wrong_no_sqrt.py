# verdict: wrong: the distances are squared (no square root) | fails: test_class_means
def class_mean_images(x, t, n_classes=10):
    """Mean image of each class: an array of shape (n_classes,) + x.shape[1:]."""
    return np.stack([x[t == k].mean(axis=0) for k in range(n_classes)])


def mean_image_distances(means):
    """Euclidean distances between the flattened mean images: an (n, n) array."""
    flat = means.reshape(len(means), -1)
    return ((flat[:, None] - flat[None]) ** 2).sum(axis=-1)
