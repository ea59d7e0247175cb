"""course_lib: convolutional neural networks from scratch, in NumPy.

The package behind the course notebooks.  Its modules, from the bottom up
(each imports only those above it in this list, and NumPy):

- ``config``: quick mode (``COURSE_LIB_QUICK=1``)
- ``functional``: output sizes, im2col / col2im (array operations)
- ``parallel``: running blocks of a batch on all cores
- ``naive``: loop versions of convolution and pooling, for reference
- ``layers``: Convolution, Pooling, Affine, Relu, Dropout, ... (forward/backward)
- ``networks``: Sequential, SimpleConvNet, DeepConvNet
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
