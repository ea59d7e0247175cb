# verdict: wrong: equal counts come out by the larger true class first (sorted in reverse) | fails: test_most_confused
def most_confused_pairs(cm, k=3):
    """The k largest off-diagonal entries of cm as (true_class, predicted_class, count) tuples."""
    n = len(cm)
    entries = [(int(cm[i][j]), i, j) for i in range(n) for j in range(n) if i != j]
    entries.sort(reverse=True)
    return [(i, j, c) for c, i, j in entries[:k]]
