"""course_lib: convolutional neural networks from scratch, in NumPy.

The package behind the course notebooks.  Its modules, from the bottom up:

- ``functional``: output sizes, im2col / col2im (array operations)
- ``naive``: loop versions of convolution and pooling, for reference
- ``layers``: Convolution, Pooling, Affine, Relu, Dropout, ... (forward/backward)
- ``networks``: Sequential, SimpleConvNet, DeepConvNet
- ``optimizers``: SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam
- ``trainer``: the training loop
- ``datasets``: MNIST and Fashion-MNIST loaders
- ``augment``: batch data augmentation
- ``gradcheck``: numerical gradient checks
- ``plots``, ``widgets``: figures and interactive explorers for the notebooks
- ``pretrained``: weights trained by the course
"""
from .datasets import FASHION_MNIST_CLASSES, load_fashion_mnist, load_mnist
from .networks import DeepConvNet, Sequential, SimpleConvNet
from .trainer import Trainer

__all__ = ["load_mnist", "load_fashion_mnist", "FASHION_MNIST_CLASSES", "SimpleConvNet", "DeepConvNet",
           "Sequential", "Trainer"]
__version__ = "1.0.0"
