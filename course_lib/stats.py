"""How sure is a measured accuracy?  The binomial standard error.

An accuracy measured on ``n`` test images is a count of successes: if the
network classifies each image of the population correctly with probability
``p``, the number it gets right out of ``n`` is binomial, and the measured
fraction ``k / n`` scatters around ``p`` with standard deviation
``sqrt(p (1 - p) / n)``.  With ``p`` replaced by the measured value this is the
standard error that belongs next to every accuracy::

    >>> from course_lib.stats import accuracy_with_error
    >>> accuracy_with_error(988, 1000)
    '98.80 % ± 0.34 % (988 of 1,000)'

Two results whose difference is small against their standard errors (say,
less than two of them combined) may well come from equally good networks.
"""
import math

from .i18n import _

__all__ = ["binomial_std_error", "accuracy_with_error"]


def _check_count(n):
    if isinstance(n, bool) or not float(n).is_integer() or n < 1:
        raise ValueError(_("the number of test images n must be a positive whole number, got "
                           "{n!r}", n=n))
    return int(n)


def binomial_std_error(accuracy, n):
    """Standard error of an accuracy (a fraction in [0, 1]) measured on ``n`` images.

    ``sqrt(accuracy * (1 - accuracy) / n)``; for example 0.0034 for 0.988 on
    1,000 images.  At 0 or 1 it is 0: then say "k of n" rather than trust it.
    """
    n = _check_count(n)
    accuracy = float(accuracy)
    if not 0.0 <= accuracy <= 1.0:
        raise ValueError(_("an accuracy is a fraction between 0 and 1, got {accuracy!r} (pass "
                           "0.988, not 98.8)", accuracy=accuracy))
    return math.sqrt(accuracy * (1.0 - accuracy) / n)


def accuracy_with_error(correct, n, digits=2):
    """``'98.80 % ± 0.34 % (988 of 1,000)'``: a count of correct answers out of ``n``,
    as a percentage with its binomial standard error."""
    n = _check_count(n)
    if isinstance(correct, bool) or not float(correct).is_integer() or not 0 <= correct <= n:
        raise ValueError(_("correct must be a whole number of images between 0 and n = {n:,}, "
                           "got {correct!r} (pass a count such as int((pred == t).sum()), not a "
                           "fraction)", n=n, correct=correct))
    correct = int(correct)
    acc = correct / n
    err = binomial_std_error(acc, n)
    return f"{100 * acc:.{digits}f} % ± {100 * err:.{digits}f} % ({correct:,} of {n:,})"
