# verdict: honest
# Takes the largest k times, blanking the taken entry.
def most_confused_pairs(cm, k=3):
    """The k largest off-diagonal entries of cm as (true_class, predicted_class, count) tuples."""
    work = np.array(cm, dtype=float)
    np.fill_diagonal(work, -np.inf)
    result = []
    for _ in range(min(k, work.size - len(work))):
        idx = int(np.argmax(work))            # the first largest in row-major order
        i, j = divmod(idx, work.shape[1])
        result.append((i, j, int(cm[i][j])))
        work[i, j] = -np.inf
    return result
