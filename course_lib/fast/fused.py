"""A list of layers run with a convolution, the ReLU after it (and a pooling after that) in one pass.

A ReLU on its own reads the convolution's whole output from memory and writes
it back, twice (the mask, then the values), on one core; its backward pass does
the same with the gradient.  Done inside the convolution, block by block while
each block is still in the processor's cache and on all cores, it costs almost
nothing.  A pooling right after the ReLU whose windows tile the image (2x2,
stride 2) joins in too: the convolution's full output then never leaves the
cache, only the pooled one is written.  The layers themselves stay as they
are: the ``Relu`` layer still gets its ``mask``, the ``Pooling`` its masks, the
``Convolution`` its ``dW`` and ``db``, with the same values as when each layer
runs on its own.

``forward_layers`` / ``backward_layers`` are what ``Sequential`` runs when
``fusable(layers)`` says there is something to fuse.  A run of units with
stride-1 convolutions goes further: ``course_lib.fast.stack`` takes a few
images at a time through all of its layers; the pairs above are what is left
(other strides, filters that are not square).
"""
import numpy as np

from .. import layers as ref
from .layers import Convolution, Pooling
from .stack import find_stack


def _fused_pair(layers, i):
    """True when layers[i] is a fast Convolution and layers[i + 1] a Relu (exactly these classes)."""
    return (i + 1 < len(layers) and type(layers[i]) is Convolution
            and type(layers[i + 1]) is ref.Relu)


def _pool_after(layers, i):
    """The fast Pooling right after the pair at i, or None."""
    if i + 2 < len(layers) and type(layers[i + 2]) is Pooling:
        return layers[i + 2]
    return None


def _tiles_output(conv, pool, x):
    """True when ``pool``'s windows tile the output ``conv`` gives for the batch x."""
    if np.ndim(x) != 4 or np.shape(x)[1] != conv.W.shape[1]:
        return False                               # the layer itself will say what is wrong
    _, OH, OW = conv.output_shape(np.shape(x)[1:])
    return pool._tiles(OH, OW)


def _pool_backward_fusable(relu, pool):
    """True when the last forward pass of ``pool`` pooled whole tiles (with masks for max pooling)."""
    if relu.mask is None or pool._x_shape is None:
        return False
    H, W = pool._x_shape[2:]
    return pool._tiles(H, W) and (pool.mode != "max" or pool._masks is not None) \
        and relu.mask.shape == tuple(pool._x_shape)


def fusable(layers):
    """True when some fast Convolution in ``layers`` is directly followed by a Relu."""
    return any(_fused_pair(layers, i) for i in range(len(layers) - 1))


def forward_layers(layers, x, train_flg=None):
    """``for layer in layers: x = layer.forward(x, train_flg)``, each Convolution-Relu pair (and a
    Pooling after it whose windows tile the image) in one pass."""
    i = 0
    while i < len(layers):
        stack = find_stack(layers, i, np.shape(x)[1:]) if np.ndim(x) == 4 else None
        if stack is not None:
            x = stack.forward(x, layers[i]._is_training(train_flg))
            layers[i]._stack = stack
            i = stack.stop
        elif _fused_pair(layers, i):
            pool = _pool_after(layers, i)
            if pool is not None and _tiles_output(layers[i], pool, x):
                x = layers[i].forward(x, train_flg, relu=layers[i + 1], pool=pool)
                i += 3
            else:
                x = layers[i].forward(x, train_flg, relu=layers[i + 1])
                i += 2
        else:
            x = layers[i].forward(x, train_flg)
            i += 1
    return x


def backward_layers(layers, dout, need_dx=True):
    """The backward pass of ``forward_layers``, last layer first.

    A Relu after a fast Convolution hands its mask to the convolution, which
    applies it block by block; so does a Pooling after that Relu (when its last
    forward pass pooled whole tiles) with its masks.  The first layer skips the input gradient when
    ``need_dx=False`` and its ``backward`` takes ``need_dx``.
    """
    given = dout
    stacks = {}
    for layer in layers:
        stack = getattr(layer, "_stack", None)
        if stack is not None and stack.ran_forward(layers):
            stacks[stack.stop - 1] = stack
    i = len(layers) - 1
    while i >= 0:
        layer = layers[i]
        if i in stacks:
            dout = stacks[i].backward(dout, need_dx=need_dx or stacks[i].start > 0)
            i = stacks[i].start - 1
        elif i >= 2 and _fused_pair(layers, i - 2) and _pool_after(layers, i - 2) is layer \
                and _pool_backward_fusable(layers[i - 1], layer):
            dout = layers[i - 2].backward(dout, need_dx=need_dx or i - 2 > 0, relu_mask=layers[i - 1].mask,
                                          pool=layer)
            i -= 3
        elif i >= 1 and _fused_pair(layers, i - 1) and layer.mask is not None:
            # a gradient that a layer of this list made (not the caller's) may be overwritten
            mine = isinstance(dout, np.ndarray) and not np.may_share_memory(dout, given)
            dout = layers[i - 1].backward(dout, need_dx=need_dx or i - 1 > 0, relu_mask=layer.mask,
                                          overwrite_dout=mine)
            i -= 2
        elif i == 0 and not need_dx and ref.takes_need_dx(layer):
            dout = layer.backward(dout, need_dx=False)
            i -= 1
        else:
            dout = layer.backward(dout)
            i -= 1
    return dout
