# verdict: wrong: the tuples are (count, true, predicted) instead of (true, predicted, count) | fails: test_most_confused
def most_confused_pairs(cm, k=3):
    """The k largest off-diagonal entries of cm as (true_class, predicted_class, count) tuples."""
    n = len(cm)
    entries = sorted((-int(cm[i][j]), i, j) for i in range(n) for j in range(n) if i != j)
    return [(-c, i, j) for c, i, j in entries[:k]]
