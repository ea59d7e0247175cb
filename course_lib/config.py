"""Run-time settings read from the environment.

``COURSE_LIB_QUICK=1`` asks every notebook for a quick run: less data, fewer
epochs, smaller sizes.  Continuous integration uses it so that all chapters run
top to bottom in minutes; without it the notebooks run in full and reproduce the
results they show.
"""
import os

QUICK = os.environ.get("COURSE_LIB_QUICK", "").strip().lower() in {"1", "true", "yes", "on"}


def pick(full, quick):
    """Return ``quick`` in quick mode and ``full`` otherwise.

    >>> epochs = pick(full=20, quick=1)
    """
    return quick if QUICK else full
