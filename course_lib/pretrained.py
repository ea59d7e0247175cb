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
"""
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np

from .networks import DeepConvNet

__all__ = ["available", "load", "load_history", "weights_path", "history_path", "describe"]


@dataclass(frozen=True)
class _Entry:
    build: Callable[[], object]
    file: str
    description: str
    produced_by: str


_REGISTRY = {
    "deep_convnet_mnist": _Entry(
        build=DeepConvNet,
        file="deep_convnet_mnist.npz",
        description="DeepConvNet (six 3x3 convolutions, 16-16-32-32-64-64 filters) trained on all "
                    "60,000 MNIST training images with Adam",
        produced_by="notebooks/04_deep_convnet.ipynb",
    ),
}


def available():
    """Names that ``load`` accepts, sorted."""
    return sorted(_REGISTRY)


def _entry(name):
    if not isinstance(name, str):
        raise TypeError(f"a pretrained network is named by a string, got {type(name).__name__} {name!r}; "
                        f"available: {available()}")
    try:
        return _REGISTRY[name]
    except KeyError:
        close = [n for n in _REGISTRY if name.lower().replace("-", "_") == n]
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"no pretrained network called {name!r}.{hint} Available: {available()}") from None


def weights_dir():
    """The folder holding the shipped weights (``course_lib/weights``)."""
    return Path(str(resources.files("course_lib").joinpath("weights")))


def weights_path(name):
    """Path of the ``.npz`` weights file for ``name`` (it may not exist yet)."""
    return weights_dir() / _entry(name).file


def history_path(name):
    """Path of the ``.npz`` file recording the training run of ``name``."""
    entry = _entry(name)
    return weights_dir() / entry.file.replace(".npz", "_history.npz")


def describe(name):
    """One sentence on what ``name`` is and how its weights were produced."""
    entry = _entry(name)
    return f"{name}: {entry.description} (weights produced by {entry.produced_by} in full mode)"


def _missing(name, path, what):
    entry = _entry(name)
    return FileNotFoundError(
        f"the {what} of the pretrained network {name!r} are missing: no file {path}. They are produced by "
        f"running {entry.produced_by} in full mode (without COURSE_LIB_QUICK), for example: "
        f"jupyter nbconvert --to notebook --execute --inplace {entry.produced_by}")


def load(name):
    """A freshly built network of the named architecture with the trained weights, in evaluation mode.

    Every call returns a new, independent network.  Raises ``ValueError`` for
    an unknown name and ``FileNotFoundError`` (saying how to produce it) when
    the weights file is missing.
    """
    entry = _entry(name)
    path = weights_path(name)
    if not path.is_file():
        raise _missing(name, path, "weights")
    network = entry.build()
    network.load_params(path)
    return network.eval()


def load_history(name):
    """The training record saved with the weights, as a dict of NumPy arrays.

    Keys include ``train_loss``, ``train_acc``, ``test_acc`` and
    ``epoch_times`` (seconds); ``final_test_acc`` and ``wall_time`` hold one
    number each.
    """
    path = history_path(name)
    if not path.is_file():
        raise _missing(name, path, "training history")
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}
