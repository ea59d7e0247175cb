"""Run-time settings read from the environment.

``COURSE_LIB_QUICK=1`` asks every notebook for a quick run: less data, fewer
epochs, smaller sizes.  Continuous integration uses it so that all chapters run
top to bottom in minutes; without it the notebooks run in full and reproduce the
results they show.

The variable is read each time it is used, not once at import: setting
``os.environ["COURSE_LIB_QUICK"] = "1"`` in a notebook takes effect at the next
``pick`` (or the next ``from course_lib.config import QUICK``).
"""
import os

_TRUE = {"1", "true", "yes", "on"}


def is_quick():
    """True when ``COURSE_LIB_QUICK`` asks for quick mode (1, true, yes or on)."""
    return os.environ.get("COURSE_LIB_QUICK", "").strip().lower() in _TRUE


def __getattr__(name):
    # config.QUICK and `from course_lib.config import QUICK` read it now
    if name == "QUICK":
        return is_quick()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def pick(full, quick):
    """Return ``quick`` in quick mode and ``full`` otherwise (the mode as it is at this call).

    >>> epochs = pick(full=20, quick=1)
    """
    return quick if is_quick() else full
