"""The fast path: the same layers as ``course_lib.layers``, computed for speed.

``course_lib.layers`` holds the reference layers, written as the book writes
them (im2col, one matrix product for the whole batch).  This subpackage holds
layers with the same constructor, the same ``forward`` / ``backward`` and the
same values, computed the way a library computes them: channels-last windows,
cache-sized blocks on all cores, reused work memory.  The networks build these
by default (``DeepConvNet(fast=True)``); ``fast=False`` builds the reference
layers.

- ``layers``: ``Convolution``, ``Pooling``, ``SoftmaxWithLoss``
- ``windows``: ``windows_nhwc`` / ``col2im_nhwc`` (channels-last im2col / col2im)
- ``stack``: a run of Convolution-Relu(-Pooling) layers taken a few images at a
  time through all its layers (what the networks run)
- ``fused``: a layer list run with its stacks, and each other Convolution-Relu
  pair in one pass
- ``parallel``: the thread pool, per-thread work arrays, ``single_threaded_blas``

This subpackage imports the reference modules, never the other way round.
"""
from .fused import backward_layers, forward_layers, fusable
from .layers import Convolution, Pooling, SoftmaxWithLoss
from .parallel import single_threaded_blas, workers
from .windows import col2im_nhwc, windows_nhwc

__all__ = ["Convolution", "Pooling", "SoftmaxWithLoss", "windows_nhwc", "col2im_nhwc", "single_threaded_blas",
           "workers", "fusable", "forward_layers", "backward_layers"]
