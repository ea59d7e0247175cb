# verdict: wrong: each class sum is divided by the number of all images | fails: test_class_means
def class_mean_images(x, t, n_classes=10):
    """Mean image of each class: an array of shape (n_classes,) + x.shape[1:]."""
    out = np.zeros((n_classes,) + x.shape[1:])
    for k in range(n_classes):
        out[k] = x[t == k].sum(axis=0) / len(x)
    return out


def mean_image_distances(means):
    """Euclidean distances between the flattened mean images: an (n, n) array."""
    flat = means.reshape(len(means), -1)
    return np.linalg.norm(flat[:, None] - flat[None], axis=-1)
