# verdict: wrong: the counts are NumPy integers, not Python ints | fails: test_most_confused
def most_confused_pairs(cm, k=3):
    """The k largest off-diagonal entries of cm as (true_class, predicted_class, count) tuples."""
    n = cm.shape[0]
    entries = sorted((-cm[i, j], i, j) for i in range(n) for j in range(n) if i != j)
    return [(i, j, -c) for c, i, j in entries[:k]]
