"""Fast or reference: the one place that decides which layers compute.

``course_lib.layers`` holds the reference layers, written as the book writes
them; ``course_lib.fast`` holds layers with the same constructors and the same
values, computed for speed.  Every builder of networks (``networks``,
``architectures``, ``model_file``) asks this module for its classes, so that
``fast=False`` means the same everywhere: the reference layers, and
``course_lib.fast`` is never imported.

Once built, a network runs the way its layers say: ``fast_path(layers)`` is
``course_lib.fast`` only when one of the layers is a fast layer (which cannot
exist unless ``course_lib.fast`` was imported to build it), and ``None``
otherwise, so a network of reference layers never touches the fast path.
"""
import importlib
import sys
from contextlib import nullcontext

from . import layers as reference

FAST = __package__ + ".fast"
SWITCHED = ("Convolution", "Pooling", "SoftmaxWithLoss")
"""The layer classes that have a fast version; every other layer is the reference one."""


def layer_module(fast):
    """``course_lib.fast`` (imported now) when ``fast`` is true, else ``course_lib.layers``."""
    return importlib.import_module(FAST) if fast else reference


def layer_class(name, fast):
    """The class that builds the layer ``name`` (``'Convolution'``, ``'Relu'`` ...) here."""
    module = layer_module(fast) if name in SWITCHED else reference
    return getattr(module, name)


def course_classes(name):
    """course_lib's classes called ``name``: the reference one, and the fast one if it is loaded.

    A fast layer can only exist once ``course_lib.fast`` has been imported, so
    looking only at loaded modules misses none and imports nothing.
    """
    classes = [getattr(reference, name)]
    fast = sys.modules.get(FAST)
    if fast is not None and name in SWITCHED:
        classes.append(getattr(fast, name))
    return classes


def is_fast_layer(layer):
    """True when ``layer`` is an object of a class defined in ``course_lib.fast``."""
    module = type(layer).__module__
    return module == FAST or module.startswith(FAST + ".")


def fast_path(layers):
    """``course_lib.fast`` when some layer of the list is a fast layer, else ``None``."""
    if any(is_fast_layer(layer) for layer in layers):
        return sys.modules[FAST]
    return None


def blas_limits(layers):
    """A context in which BLAS uses one thread, when some layer shares the cores out itself.

    ``layers``: every layer of a network, nested ones included.  The fast
    layers run their blocks on all cores; BLAS threads on top would compete
    for them.  For reference layers, a context that changes nothing.
    """
    if any(is_fast_layer(layer) and getattr(layer, "threaded", False) for layer in layers):
        return sys.modules[FAST].single_threaded_blas()
    return nullcontext()
