# verdict: wrong: the diagonal (the correct answers) is not left out | fails: test_most_confused
def most_confused_pairs(cm, k=3):
    """The k largest off-diagonal entries of cm as (true_class, predicted_class, count) tuples."""
    n = len(cm)
    entries = sorted((-int(cm[i][j]), i, j) for i in range(n) for j in range(n))
    return [(i, j, -c) for c, i, j in entries[:k]]
