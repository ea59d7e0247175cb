# verdict: honest
# np.lexsort on (predicted, true, -count) over the off-diagonal entries.
def most_confused_pairs(cm, k=3):
    """The k largest off-diagonal entries of cm as (true_class, predicted_class, count) tuples."""
    cm = np.asarray(cm)
    i, j = np.nonzero(~np.eye(cm.shape[0], dtype=bool))
    counts = cm[i, j]
    order = np.lexsort((j, i, -counts))[:k]
    return [(int(i[o]), int(j[o]), int(counts[o])) for o in order]
