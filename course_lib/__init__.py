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
- ``networks``: Sequential, SimpleConvNet, DeepConvNet; the one place that
  chooses between the two: ``fast=True`` (default) builds ``fast`` layers,
  ``fast=False`` the reference ones
- ``model_file``: a network saved as weights plus a description of its layers,
  rebuilt without running any code from the file
- ``optimizers``: SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam
- ``trainer``: the training loop
- ``datasets``: MNIST and Fashion-MNIST loaders
- ``augment``: batch data augmentation
- ``gradcheck``: numerical gradient checks
- ``checks``: the checks that answer the chapters' exercises (they trust only
  ``naive``, ``functional`` and numerical gradients)
- ``stats``: the binomial uncertainty of a measured accuracy
- ``experiments``: runs over several seeds, for the chapters' comparisons
- ``architectures``: plain and residual stacks, VGG / inception cost arithmetic, block diagrams
- ``pretrained``: weights trained by the course, and runs of your own saved outside the package
- ``plots``, ``widgets``, ``augment_widgets``: figures and interactive explorers

The instructor's grading tools are a separate package, ``course_grader``.
"""
from .datasets import FASHION_MNIST_CLASSES, load_fashion_mnist, load_mnist
from .networks import DeepConvNet, Sequential, SimpleConvNet
from .trainer import Trainer

__all__ = ["load_mnist", "load_fashion_mnist", "FASHION_MNIST_CLASSES", "SimpleConvNet", "DeepConvNet",
           "Sequential", "Trainer"]
__version__ = "1.0.0"
