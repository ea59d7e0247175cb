"""A list of layers run with a convolution and the ReLU after it fused into one pass.

A ReLU on its own reads the convolution's whole output from memory and writes
it back, twice (the mask, then the values), on one core; its backward pass does
the same with the gradient.  Done inside the convolution, block by block while
each block is still in the processor's cache and on all cores, it costs almost
nothing.  The layers themselves stay as they are: the ``Relu`` layer still gets
its ``mask``, the ``Convolution`` its ``dW`` and ``db``, with the same values as
when each layer runs on its own.

``forward_layers`` / ``backward_layers`` are what ``Sequential`` runs when
``fusable(layers)`` says there is something to fuse.
"""
import inspect

import numpy as np

from .. import layers as ref
from .layers import Convolution


def _fused_pair(layers, i):
    """True when layers[i] is a fast Convolution and layers[i + 1] a Relu (exactly these classes)."""
    return (i + 1 < len(layers) and type(layers[i]) is Convolution
            and type(layers[i + 1]) is ref.Relu)


def _takes_need_dx(layer):
    try:
        return "need_dx" in inspect.signature(layer.backward).parameters
    except (TypeError, ValueError):
        return False


def fusable(layers):
    """True when some fast Convolution in ``layers`` is directly followed by a Relu."""
    return any(_fused_pair(layers, i) for i in range(len(layers) - 1))


def forward_layers(layers, x, train_flg=None):
    """``for layer in layers: x = layer.forward(x, train_flg)``, each Convolution-Relu pair in one pass."""
    i = 0
    while i < len(layers):
        if _fused_pair(layers, i):
            x = layers[i].forward(x, train_flg, relu=layers[i + 1])
            i += 2
        else:
            x = layers[i].forward(x, train_flg)
            i += 1
    return x


def backward_layers(layers, dout, need_dx=True):
    """The backward pass of ``forward_layers``, last layer first.

    A Relu after a fast Convolution hands its mask to the convolution, which
    applies it block by block.  The first layer skips the input gradient when
    ``need_dx=False`` and its ``backward`` takes ``need_dx``.
    """
    given = dout
    i = len(layers) - 1
    while i >= 0:
        layer = layers[i]
        if i >= 1 and _fused_pair(layers, i - 1) and layer.mask is not None:
            # a gradient that a layer of this list made (not the caller's) may be overwritten
            mine = isinstance(dout, np.ndarray) and not np.may_share_memory(dout, given)
            dout = layers[i - 1].backward(dout, need_dx=need_dx or i - 1 > 0, relu_mask=layer.mask,
                                          overwrite_dout=mine)
            i -= 2
        elif i == 0 and not need_dx and _takes_need_dx(layer):
            dout = layer.backward(dout, need_dx=False)
            i -= 1
        else:
            dout = layer.backward(dout)
            i -= 1
    return dout
