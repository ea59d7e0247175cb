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
- ``optimizers``: SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam
- ``trainer``: the training loop
- ``datasets``: MNIST and Fashion-MNIST loaders
- ``augment``: batch data augmentation
- ``gradcheck``: numerical gradient checks
- ``architectures``: plain and residual stacks, VGG / inception cost arithmetic, block diagrams
- ``pretrained``: weights trained by the course
- ``plots``, ``widgets``, ``augment_widgets``: figures and interactive explorers
- ``grading``: the ``course-grade`` command for instructors (needs nbgrader)
"""
from .datasets import FASHION_MNIST_CLASSES, load_fashion_mnist, load_mnist
from .networks import DeepConvNet, Sequential, SimpleConvNet
from .trainer import Trainer

__all__ = ["load_mnist", "load_fashion_mnist", "FASHION_MNIST_CLASSES", "SimpleConvNet", "DeepConvNet",
           "Sequential", "Trainer"]
__version__ = "1.0.0"
