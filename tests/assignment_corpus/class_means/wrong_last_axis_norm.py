# verdict: wrong: the norm is taken along the last image axis only, not over the flattened image | fails: test_class_means
def class_mean_images(x, t, n_classes=10):
    """Mean image of each class: an array of shape (n_classes,) + x.shape[1:]."""
    return np.stack([x[t == k].mean(axis=0) for k in range(n_classes)])


def mean_image_distances(means):
    """Euclidean distances between the flattened mean images: an (n, n) array."""
    return np.linalg.norm(means[:, None] - means[None, :], axis=-1)
