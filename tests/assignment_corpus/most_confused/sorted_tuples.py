# verdict: honest
# Sorts (-count, i, j) tuples; the natural tuple order does the ties.
def most_confused_pairs(cm, k=3):
    """The k largest off-diagonal entries of cm as (true_class, predicted_class, count) tuples."""
    n = len(cm)
    keyed = sorted((-int(cm[i][j]), i, j) for i in range(n) for j in range(n) if i != j)
    return [(i, j, -neg) for neg, i, j in keyed[:k]]
