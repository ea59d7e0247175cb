"""course_lib: convolutional neural networks from scratch, in NumPy.

The package behind the course notebooks.  Its modules, from the bottom up
(each imports only those above it in this list, and NumPy):

- ``config``: quick mode (``COURSE_LIB_QUICK=1``), read at each use
- ``functional``: output sizes, im2col / col2im (the book's layout)
- ``naive``: loop versions of convolution and pooling, the definitions
- ``layers``: the reference layers, as the book writes them: Convolution and
  Pooling with im2col, Affine, Relu, Dropout, BatchNormalization,
  SoftmaxWithLoss, ResidualBlock (forward/backward)
- ``fast``: the same layers computed for speed (channels-last windows,
  cache-sized blocks on all cores, reused work memory, the thread pool); it
  imports ``layers``, never the other way round
- ``backend``: the one place that chooses between the two: ``fast=True``
  (default) gives the ``fast`` layers, ``fast=False`` the reference ones
- ``networks``: Sequential, SimpleConvNet, DeepConvNet (built through ``backend``)
- ``model_file``: a network saved as weights plus a description of its layers,
  rebuilt without running any code from the file
- ``optimizers``: SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam
- ``trainer``: the training loop
- ``datasets``: MNIST and Fashion-MNIST loaders (the IDX file format: ``idx_format``)
- ``augment``: batch data augmentation (geometric, photometric, random transforms)
- ``gradcheck``: numerical gradient checks
- ``checks``: the checks that answer the chapters' exercises, one module per
  chapter beside a small toolkit (they trust only ``naive``, ``functional`` and
  numerical gradients)
- ``stats``: the binomial uncertainty of a measured accuracy
- ``experiments``: runs over several seeds, for the chapters' comparisons
- ``architectures``: plain and residual stacks, VGG / inception cost arithmetic, block diagrams
- ``pretrained``: weights trained by the course, and runs of your own saved outside the package
- ``plots``, ``window_figures``, ``widgets``, ``augment_widgets``: figures and interactive
  explorers

The instructor's grading tools are a separate package, ``course_grader``.
``from course_lib import DeepConvNet, Trainer, load_mnist`` works as usual; each
name is imported when it is first asked for, so that importing one module of the
package loads only what that module needs.
"""
import importlib

# The names below are loaded on first use, so that ``import course_lib.layers`` loads the
# layers alone: not the fast path, the datasets or the progress bars.
_LAZY = {"load_mnist": "datasets", "load_fashion_mnist": "datasets",
         "FASHION_MNIST_CLASSES": "datasets",
         "SimpleConvNet": "networks", "DeepConvNet": "networks", "Sequential": "networks",
         "Trainer": "trainer", "set_language": "i18n"}

__all__ = list(_LAZY)
__version__ = "1.0.0"


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
