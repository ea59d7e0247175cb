# verdict: honest
# A stable argsort of the negated counts in row-major order keeps the tie order.
def most_confused_pairs(cm, k=3):
    """The k largest off-diagonal entries of cm as (true_class, predicted_class, count) tuples."""
    m = np.array(cm, dtype=np.int64)
    np.fill_diagonal(m, -1)
    flat = m.ravel()
    order = np.argsort(-flat, kind="stable")
    n = m.shape[1]
    out = []
    for idx in order:
        i, j = divmod(int(idx), n)
        if i != j:
            out.append((i, j, int(flat[idx])))
        if len(out) == k:
            break
    return out
