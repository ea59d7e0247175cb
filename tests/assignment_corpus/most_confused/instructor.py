# verdict: honest
# The instructor's solution.
def most_confused_pairs(cm, k=3):
    """The k largest off-diagonal entries of cm as (true_class, predicted_class, count) tuples."""
    cm = np.asarray(cm)
    entries = [(int(cm[i, j]), i, j) for i in range(cm.shape[0]) for j in range(cm.shape[1]) if i != j]
    entries.sort(key=lambda e: (-e[0], e[1], e[2]))
    return [(i, j, count) for count, i, j in entries[:k]]
