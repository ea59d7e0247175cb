# verdict: honest
# Two stable sorts: first by position, then by count descending.
def most_confused_pairs(cm, k=3):
    """The k largest off-diagonal entries of cm as (true_class, predicted_class, count) tuples."""
    cells = []
    for i, row in enumerate(np.asarray(cm).tolist()):
        for j, count in enumerate(row):
            if i != j:
                cells.append((i, j, count))
    cells.sort(key=lambda c: (c[0], c[1]))
    cells.sort(key=lambda c: c[2], reverse=True)
    return cells[:k]
