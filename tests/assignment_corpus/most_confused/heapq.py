# verdict: honest
# heapq.nsmallest with a key of (-count, true, predicted).
import heapq


def most_confused_pairs(cm, k=3):
    """The k largest off-diagonal entries of cm as (true_class, predicted_class, count) tuples."""
    entries = [(i, j, int(cm[i][j])) for i in range(len(cm)) for j in range(len(cm)) if i != j]
    return heapq.nsmallest(k, entries, key=lambda e: (-e[2], e[0], e[1]))
