# verdict: honest
# |a|^2 + |b|^2 - 2ab in the means' own dtype (float32 for the dataset's images), clipped at zero.
def class_mean_images(x, t, n_classes=10):
    """Mean image of each class: an array of shape (n_classes,) + x.shape[1:]."""
    return np.stack([x[t == k].mean(axis=0) for k in range(n_classes)])


def mean_image_distances(means):
    """Euclidean distances between the flattened mean images: an (n, n) array."""
    a = means.reshape(len(means), -1)
    sq = np.sum(a * a, axis=1)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (a @ a.T)
    return np.sqrt(np.clip(d2, 0.0, None))
