# verdict: honest
# operator.itemgetter keys and a generator of Python ints.
from operator import itemgetter


def most_confused_pairs(cm, k=3):
    """The k largest off-diagonal entries of cm as (true_class, predicted_class, count) tuples."""
    size = np.shape(cm)[0]
    triples = ((int(a), int(b), int(cm[a, b])) for a in range(size) for b in range(size) if a != b)
    ranked = sorted(triples, key=itemgetter(1))
    ranked = sorted(ranked, key=itemgetter(0))
    ranked = sorted(ranked, key=itemgetter(2), reverse=True)
    return ranked[:k]
