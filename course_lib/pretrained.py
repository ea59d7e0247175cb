"""Networks trained by the course, ready to use.

The weights travel with the package as ``.npz`` files in ``course_lib/weights/``
(never pickles: loading an ``.npz`` file cannot run code).  Each name stands for
an architecture and the file holding its trained weights::

    >>> from course_lib import pretrained
    >>> pretrained.available()
    ['deep_convnet_mnist']
    >>> network = pretrained.load("deep_convnet_mnist")   # a DeepConvNet in evaluation mode

``load_history(name)`` returns the record of the training run that produced
the weights (losses, accuracies per epoch, epoch times), when it was saved.

The shipped files are refreshed only on purpose, by
``python tools/train_shipped_weights.py``.  A run of your own is saved with
``save_run`` into a folder of your own (by default ``runs_dir()``, next to the
cached datasets) and read back with ``load(name, folder=...)``::

    >>> pretrained.save_run(network, history, "deep_convnet_mnist")        # into runs_dir()
    >>> mine = pretrained.load("deep_convnet_mnist", folder=pretrained.runs_dir())
"""
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np

from .datasets import cache_dir
from .i18n import _
from .networks import DeepConvNet, write_npz_atomically

__all__ = ["available", "load", "load_history", "weights_path", "history_path", "describe",
           "runs_dir",
           "save_run", "history_from_trainer", "machine"]


@dataclass(frozen=True)
class _Entry:
    build: Callable[[], object]
    file: str
    description: Callable[[], str]     # what the network is, in the language in use
    produced_by: str


_REGISTRY = {
    "deep_convnet_mnist": _Entry(
        build=DeepConvNet,
        file="deep_convnet_mnist.npz",
        description=lambda: _("DeepConvNet (six 3x3 convolutions, 16-16-32-32-64-64 filters) "
                              "trained on all 60,000 MNIST training images with Adam"),
        produced_by="tools/train_shipped_weights.py",
    ),
}


def available():
    """Names that ``load`` accepts, sorted."""
    return sorted(_REGISTRY)


def _entry(name):
    if not isinstance(name, str):
        raise TypeError(_("a pretrained network is named by a string, got {type} {name!r}; "
                          "available: {available}", type=type(name).__name__, name=name,
                          available=available()))
    try:
        return _REGISTRY[name]
    except KeyError:
        close = [n for n in _REGISTRY if name.lower().replace("-", "_") == n]
        if close:
            raise ValueError(_("no pretrained network called {name!r}. Did you mean {close!r}? "
                               "Available: {available}", name=name, close=close[0],
                               available=available())) from None
        raise ValueError(_("no pretrained network called {name!r}. Available: {available}",
                           name=name, available=available())) from None


def weights_dir():
    """The folder holding the shipped weights (``course_lib/weights``)."""
    return Path(str(resources.files("course_lib").joinpath("weights")))


def runs_dir():
    """A folder of your own for the weights of your runs: ``runs/`` in the course's cache
    folder (``$COURSE_LIB_CACHE``, else e.g. ``~/.cache/course_lib``), the one the datasets use."""
    return cache_dir() / "runs"


def _folder(folder):
    return weights_dir() if folder is None else Path(folder).expanduser()


def weights_path(name, folder=None):
    """Path of the ``.npz`` weights file for ``name`` (it may not exist yet);
    ``folder``: where a run of your own was saved (default: the shipped weights)."""
    return _folder(folder) / _entry(name).file


def history_path(name, folder=None):
    """Path of the ``.npz`` file recording the training run of ``name`` (see ``weights_path``)."""
    entry = _entry(name)
    return _folder(folder) / entry.file.replace(".npz", "_history.npz")


def describe(name):
    """One sentence on what ``name`` is and how its weights were produced."""
    entry = _entry(name)
    return _("{name}: {description} (weights produced by python {script})", name=name,
             description=entry.description(), script=entry.produced_by)


def _missing(name, path, what, folder):
    """The error for a missing file; ``what``: ``"weights"`` or ``"training history"``."""
    entry = _entry(name)
    if folder is not None:
        how = (_("Save a run there with pretrained.save_run(network, history, {name!r}, "
                 "folder=...), or leave out folder= to load the shipped weights", name=name)
               if what == "weights" else
               _("Save a run there with pretrained.save_run(network, history, {name!r}, "
                 "folder=...), or leave out folder= to load the shipped training history",
                 name=name))
    else:
        how = _("The shipped files are produced by python {script} (about 10 minutes on 2 cores); "
                "a fresh checkout of the course has them", script=entry.produced_by)
    if what == "weights":
        return FileNotFoundError(_("the weights of the pretrained network {name!r} are missing: "
                                   "no file {path}. {how}", name=name, path=path, how=how))
    return FileNotFoundError(_("the training history of the pretrained network {name!r} are "
                               "missing: no file {path}. {how}", name=name, path=path, how=how))


def load(name, folder=None):
    """A fresh network of the named architecture with the trained weights, in evaluation mode.

    ``folder``: load a run of your own saved there by ``save_run`` instead of
    the shipped weights.  Every call returns a new, independent network.
    Raises ``ValueError`` for an unknown name and ``FileNotFoundError``
    (saying how to produce it) when the weights file is missing.
    """
    entry = _entry(name)
    path = weights_path(name, folder)
    if not path.is_file():
        raise _missing(name, path, "weights", folder)
    network = entry.build()
    network.load_params(path)
    return network.eval()


def load_history(name, folder=None):
    """The training record saved with the weights, as a dict of NumPy arrays.

    Keys include ``train_loss``, ``train_acc`` and ``epoch_times``
    (seconds), ``val_acc`` for runs with validation data (the shipped record,
    made before the test set was measured only once, holds ``test_acc`` per
    epoch instead); ``final_test_acc`` and ``wall_time`` hold one number
    each; runs saved by ``save_run`` also record ``cores``, the number of
    processor cores the run had.  ``folder`` as for ``load``.
    """
    path = history_path(name, folder)
    if not path.is_file():
        raise _missing(name, path, "training history", folder)
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def machine():
    """``{'cores': ..., 'threads': ...}``: the processor cores this process may use, and how
    many threads the convolutions use (``$COURSE_LIB_THREADS``, else all cores)."""
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    threads = os.environ.get("COURSE_LIB_THREADS", "").strip()
    return {"cores": cores, "threads": int(threads) if threads.isdigit() and int(threads) > 0
            else cores}


def history_from_trainer(trainer, wall_time, **extra):
    """The record of a finished ``Trainer`` run as a dict of arrays, ready for ``save_run``:
    losses, training (and, if any, validation) accuracies per epoch, epoch times,
    ``wall_time`` (seconds), the test accuracy measured once at the end, the machine's
    ``cores`` and ``threads``, and any ``extra`` numbers (``epochs=20, seed=7``)."""
    history = {"train_loss": trainer.train_loss_list, "train_acc": trainer.train_acc_list,
               "epoch_times": trainer.epoch_times, "wall_time": wall_time,
               "final_test_acc": trainer.final_test_accuracy, **machine(), **extra}
    if trainer.val_acc_list:
        history["val_acc"] = trainer.val_acc_list
    return {key: np.asarray(value) for key, value in history.items()}


def save_run(network, history, name, folder=None, overwrite_shipped=False):
    """Save a trained network and the record of its run as ``<name>.npz`` and
    ``<name>_history.npz`` in ``folder`` (default: ``runs_dir()``, created if needed).

    Each file is written to a temporary file first and then renamed, so an
    interrupted save leaves the previous files intact.  The shipped weights in
    ``course_lib/weights`` are replaced only with ``overwrite_shipped=True``
    (what ``tools/train_shipped_weights.py`` does).  Returns the two paths.
    """
    folder = runs_dir() if folder is None else Path(folder).expanduser()
    _entry(name)
    if folder.resolve() == weights_dir().resolve() and not overwrite_shipped:
        raise ValueError(_("{folder} holds the weights shipped with the course, which the tests "
                           "and chapters rely on; save your run elsewhere (the default, {runs}, "
                           "is yours), or refresh the shipped files on purpose with python "
                           "tools/train_shipped_weights.py", folder=folder, runs=runs_dir()))
    bad = [key for key, value in history.items() if np.asarray(value).dtype == object]
    if bad:
        raise ValueError(_("history entries {keys} are not arrays of numbers; .npz files hold "
                           "plain arrays only", keys=bad))
    folder.mkdir(parents=True, exist_ok=True)
    weights, record = weights_path(name, folder), history_path(name, folder)
    write_npz_atomically(record, {key: np.asarray(value) for key, value in history.items()})
    network.save_params(weights)
    return weights, record
