# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Assignment: classifying Fashion-MNIST with a convolutional network
#
# Fashion-MNIST has the shape of MNIST - 70 000 grey images of 28 x 28 pixels in 10 classes,
# 60 000 for training and 10 000 for testing - but shows clothes instead of digits. In this
# assignment you write the core of a convolutional network yourself - a convolution layer
# through im2col and col2im, max pooling forward and backward, a Leaky ReLU - assemble a
# network from your layers, then train a network to **at least 90 % test accuracy**, choosing
# its hyperparameters on a validation set, read its confusion matrix and answer two questions
# in writing.
#
# | Part | What you do | Points |
# |---|---|---|
# | 1 | Mean image of each class and the distances between them | 2 |
# | 2 | `LeakyRelu` layer: forward (2) and backward (3) | 5 |
# | 3 | `im2col` (3), `col2im` (3), `Convolution` forward (3) and backward (4) | 13 |
# | 4 | Max pooling: forward (3) and backward (4), both vectorised | 7 |
# | 5 | `build_network` from your layers | 3 |
# | 6 | A trained network reaching 90 % on the 10 000 test images (graded from its model file) | 8 |
# | 7 | `most_confused_pairs` from a confusion matrix | 3 |
# | 8 | Two written answers (graded by hand) | 6 |
#
# ## How to work
#
# - Write your code where it says `# YOUR CODE HERE` (delete the `raise NotImplementedError()`
#   line) and your answers where it says "YOUR ANSWER HERE".
# - The cell after each task checks your code, as the chapters' checks do: it calls it on a
#   few cases, smallest first, and stops at the first one that fails with what was expected,
#   what came back and the likely cause. Run it, fix, run it again.
# - **Numbers.** Your functions receive arrays of `float32` or `float64`. They may compute in
#   either (the course's default is `float32`) and return either; the checks allow the
#   rounding error of `float32`, no more. `build_network` must give its arrays the `dtype` it
#   is asked for.
# - **Vectorised code.** `im2col`, `col2im` and max pooling must handle a whole batch with
#   each NumPy operation. A Python loop over the positions inside a window (`FH * FW`
#   iterations, the book's way) or over the output positions (`OH * OW` iterations,
#   chapter 2's first version) is fine; a loop over images, channels or single windows is
#   not. The checks count the lines of Python your function runs on a batch of 32 images.
# - **Your own code.** Use NumPy, not course_lib's versions of what you are asked to write:
#   its convolution, pooling, im2col and col2im (and `course_lib.naive`) are switched off
#   while the checks call your code, and they are not available at all while the notebook is
#   graded.
#
# ## How it is graded
#
# The grader runs your notebook from top to bottom in quick mode, in a sandbox, with a time
# limit of 60 seconds per cell; every test cell and read-only cell is put back to its original
# version first, so editing or deleting them changes nothing. Do not rename the notebook's
# functions and classes. After each test cell the grader calls your code again, on the test
# cell's cases **and on cases of its own**, drawn for you (the same ones each time it grades
# your notebook, other ones for your classmates), and judges the answers itself: those
# results decide the points, all or nothing for each part. A part whose test cell passes but
# which fails one of the grader's cases earns nothing, and the feedback names that case.
# Part 6 is graded from the model file you hand in; nothing is trained while grading.
#
# ## What to hand in
#
# Two files, together, in one submission of the course's learning-management system:
#
# 1. this notebook, `fashion_mnist.ipynb`, after *Kernel > Restart Kernel and Run All Cells*
#    (in full mode) ran without errors;
# 2. `fashion_mnist_model.npz`, the trained network that a full run of Part 6 writes next to
#    the notebook.
#
# Keep the two file names (the learning-management system may add your name or a number to
# them; that is fine). Uploading again replaces both: hand in the notebook and the model file
# together each time.
#
# **Quick mode.** With the environment variable `COURSE_LIB_QUICK=1`, and always while the
# notebook is graded, Part 6 trains on a small subset (2 000 training images, at most 2 epochs)
# and does not write the model file: only a full run does.

# %% kind="setup" grade_id="setup"
import os
import time

import numpy as np
import matplotlib.pyplot as plt

from course_lib import FASHION_MNIST_CLASSES, Sequential, Trainer, config, load_fashion_mnist
from course_lib.assignment import (check_build_network, check_class_means, check_col2im,
                                   check_convolution_backward, check_convolution_forward,
                                   check_im2col, check_leaky_relu_backward,
                                   check_leaky_relu_forward, check_max_pool_backward,
                                   check_max_pool_forward, check_model_file,
                                   check_most_confused)
from course_lib.gradcheck import numerical_gradient
from course_lib.layers import Affine, Dropout, Layer
from course_lib.model_file import build_model, save_model
from course_lib.plots import (confusion_matrix, plot_confusion_matrix, plot_learning_curves,
                              show_images)

# Quick mode: COURSE_LIB_QUICK=1, and always while the notebook is graded.
GRADING = os.environ.get("NBGRADER_EXECUTION") in ("autograde", "validate")
QUICK = config.QUICK or GRADING
print("quick mode" if QUICK else "full mode")

# %% [markdown]
# ## Part 1 - The data
#
# `load_fashion_mnist(flatten=False)` returns the images as `(N, 1, 28, 28)` float32 arrays
# with values in [0, 1] and the labels as integers 0-9. `FASHION_MNIST_CLASSES` holds the
# class names.

# %% kind="setup" grade_id="look_at_data"
(x_train, t_train), (x_test, t_test) = load_fashion_mnist(flatten=False)
print("training images:", x_train.shape, " test images:", x_test.shape)
print("images per class (training):", np.bincount(t_train, minlength=10))
for k, name in enumerate(FASHION_MNIST_CLASSES):
    print(k, name)

# eight examples of each class, one class per row
examples = np.concatenate([x_train[t_train == k][:8] for k in range(10)])
show_images(examples, labels=[FASHION_MNIST_CLASSES[k] for k in range(10) for _ in range(8)],
            ncols=8)
plt.show()

# %% [markdown]
# Some classes look alike even to people: a *shirt*, a *T-shirt/top*, a *pullover* and a
# *coat* are all a torso with or without sleeves. One way to measure this: compute the **mean
# image** of each class and the **Euclidean distance** between every two mean images. Classes
# whose mean images are close are likely to be confused.
#
# **Task (2 points).** Write `class_mean_images(x, t, n_classes)`, returning an array of shape
# `(n_classes,) + x.shape[1:]` whose row `k` is the mean of the images of class `k`, and
# `mean_image_distances(means)`, returning the `(n, n)` matrix of Euclidean distances between
# the (flattened) mean images. Avoid Python loops over the images (a loop over the classes is
# fine).

# %% kind="answer" grade_id="class_means"
def class_mean_images(x, t, n_classes=10):
    """Mean image of each class: an array of shape (n_classes,) + x.shape[1:]."""
    ### BEGIN SOLUTION
    return np.stack([x[t == k].mean(axis=0) for k in range(n_classes)])
    ### END SOLUTION


def mean_image_distances(means):
    """Euclidean distances between the flattened mean images: an (n, n) array."""
    ### BEGIN SOLUTION
    flat = np.asarray(means, dtype=np.float64).reshape(len(means), -1)
    squared = (flat ** 2).sum(axis=1)
    d2 = squared[:, None] + squared[None, :] - 2 * flat @ flat.T
    return np.sqrt(np.maximum(d2, 0))
    ### END SOLUTION

# %% kind="test" grade_id="test_class_means" points=2
check_class_means(class_mean_images, mean_image_distances)

# %% kind="setup" grade_id="show_means"
means = class_mean_images(x_train, t_train)
dist = mean_image_distances(means)
show_images(means, labels=list(FASHION_MNIST_CLASSES), ncols=10, title="mean image of each class")
plt.show()
pairs = sorted((dist[i, j], FASHION_MNIST_CLASSES[i], FASHION_MNIST_CLASSES[j])
               for i in range(10) for j in range(i + 1, 10))
print("closest pairs of mean images:")
for d_ij, a, b in pairs[:6]:
    print(f"  {a:>12} - {b:<12} {d_ij:6.2f}")

# %% [markdown]
# The closest mean images belong to the upper-body garments (pullover, coat, shirt,
# T-shirt/top) and to the shoes. Keep these pairs in mind: you will meet them again in the
# confusion matrix.
#
# ## Part 2 - A Leaky ReLU layer
#
# ReLU passes nothing backwards where its input is negative; a unit whose input stays
# negative stops learning. **Leaky ReLU** keeps a small slope `alpha` there:
#
# $$ f(x) = \begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases} \qquad
#    \frac{\partial f}{\partial x} = \begin{cases} 1 & x > 0 \\ \alpha & x \le 0 \end{cases} $$
#
# **Task (2 + 3 points).** Complete the layer. `forward(x)` returns `f(x)` for an array of
# any shape without changing `x`, and remembers what `backward` needs; `backward(dout)`
# returns `dout * f'(x)` for the `x` of the **last** forward pass.

# %% kind="answer" grade_id="leaky_relu"
class LeakyRelu(Layer):
    """max(x, alpha * x) elementwise, for inputs of any shape."""

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = alpha
        self.mask = None

    def forward(self, x, train_flg=None):
        ### BEGIN SOLUTION
        self.mask = x > 0
        return np.where(self.mask, x, self.alpha * x)
        ### END SOLUTION

    def backward(self, dout):
        ### BEGIN SOLUTION
        return np.where(self.mask, dout, self.alpha * dout)
        ### END SOLUTION

    def output_shape(self, input_shape):
        return input_shape

    def __repr__(self):
        return f"LeakyRelu(alpha={self.alpha})"

# %% kind="test" grade_id="test_leaky_relu_forward" points=2
check_leaky_relu_forward(LeakyRelu)

# %% kind="test" grade_id="test_leaky_relu_backward" points=3
check_leaky_relu_backward(LeakyRelu)

# %% [markdown]
# ## Part 3 - A convolution layer through im2col and col2im
#
# Chapter 2 turned a convolution into one matrix product. For an input `x` of shape
# `(N, C, H, W)`, filters of `FH x FW`, a `stride` and a padding `pad` (zeros on every side):
#
# * the output has `OH = (H + 2*pad - FH) / stride + 1` rows and
#   `OW = (W + 2*pad - FW) / stride + 1` columns;
# * `im2col(x, FH, FW, stride, pad)` returns a matrix with **one row per output pixel**, rows
#   in the order `(n, oh, ow)` - image, output row, output column - and **one column per
#   number in a window**, columns in the order `(c, fh, fw)`: row `(n * OH + i) * OW + j`
#   holds `x_padded[n, :, i*stride : i*stride + FH, j*stride : j*stride + FW]` flattened. Its
#   shape is `(N * OH * OW, C * FH * FW)`;
# * `col2im(col, x_shape, FH, FW, stride, pad)` goes back: it **adds** every entry of such a
#   matrix to the position of the (padded) image it came from - where windows overlap, their
#   entries add up - and drops the padding, returning an array of shape `x_shape`. That is
#   exactly what the backward pass needs: the gradient of every copy goes back to its pixel.
#
# As in chapter 2, either loop will do: over the `FH * FW` positions inside a window (a
# strided slice holds that position of every window at once: few iterations, the book's way),
# or over the `OH * OW` output positions (a slice of the whole batch for each). Not over
# images, channels or single windows.
#
# **Task (3 + 3 points).** Write `im2col` and `col2im`. The cell raises a `ValueError` when
# the windows do not tile the padded input (`output_size` is written for you).

# %% kind="answer" grade_id="im2col_col2im"
def output_size(H, W, filter_h, filter_w, stride, pad):
    """(OH, OW), or a ValueError when the windows do not tile the padded input."""
    if H + 2 * pad < filter_h or W + 2 * pad < filter_w or (H + 2 * pad - filter_h) % stride \
            or (W + 2 * pad - filter_w) % stride:
        raise ValueError(f"a {filter_h}x{filter_w} window with stride {stride} and padding "
                         f"{pad} does not tile a {H}x{W} input")
    return (H + 2 * pad - filter_h) // stride + 1, (W + 2 * pad - filter_w) // stride + 1


def im2col(x, filter_h, filter_w, stride=1, pad=0):
    """(N, C, H, W) -> (N*OH*OW, C*FH*FW): one row per output pixel, columns (c, fh, fw)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    ### BEGIN SOLUTION
    padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    windows = np.empty((N, OH, OW, C, filter_h, filter_w), dtype=x.dtype)
    for dy in range(filter_h):
        for dx in range(filter_w):
            # position (dy, dx) of every window: an (N, C, OH, OW) strided slice
            part = padded[:, :, dy:dy + stride * OH:stride, dx:dx + stride * OW:stride]
            windows[:, :, :, :, dy, dx] = part.transpose(0, 2, 3, 1)
    return windows.reshape(N * OH * OW, C * filter_h * filter_w)
    ### END SOLUTION


def col2im(col, x_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*FH*FW) -> x_shape (N, C, H, W): every entry added back where it came from."""
    N, C, H, W = x_shape
    OH, OW = output_size(H, W, filter_h, filter_w, stride, pad)
    ### BEGIN SOLUTION
    windows = col.reshape(N, OH, OW, C, filter_h, filter_w)
    grad = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for dy in range(filter_h):
        for dx in range(filter_w):
            grad[:, :, dy:dy + stride * OH:stride, dx:dx + stride * OW:stride] += \
                windows[:, :, :, :, dy, dx].transpose(0, 3, 1, 2)
    return grad[:, :, pad:pad + H, pad:pad + W]
    ### END SOLUTION

# %% kind="test" grade_id="test_im2col" points=3
check_im2col(im2col)

# %% kind="test" grade_id="test_col2im" points=3
check_col2im(col2im)

# %% [markdown]
# Now the layer. With `col = im2col(x, FH, FW, stride, pad)` and the filters flattened to
# `col_W = W.reshape(FN, -1).T` (shape `(C*FH*FW, FN)`), the whole convolution is one
# product: `col @ col_W + b` has one row per output pixel and one column per filter; reshape
# it to `(N, OH, OW, FN)` and move the filters to axis 1.
#
# Backward, with `dout` of shape `(N, FN, OH, OW)` brought to the same `(N*OH*OW, FN)`
# layout: `db` sums it over the rows, `dW` is `col.T @ dout` (transposed and reshaped like
# `W`), and `dcol = dout @ col_W.T` goes back to the image through `col2im`. Keep in
# `forward` what `backward` needs.
#
# **Task (3 + 4 points).** Complete `Convolution.forward` and `Convolution.backward` with
# your `im2col` and `col2im` (the checks make sure they are called). The checks compare the
# output and every gradient with the course's loop version (`course_lib.naive`), for several
# strides and paddings.

# %% kind="answer" grade_id="convolution"
class Convolution(Layer):
    """Convolution through im2col.  W: (FN, C, FH, FW), b: (FN,).

    forward: x (N, C, H, W) -> (N, FN, OH, OW).
    backward: dout (N, FN, OH, OW) -> dx (N, C, H, W); sets self.dW and self.db.
    """

    param_names = ("W", "b")

    def __init__(self, W, b, stride=1, pad=0):
        super().__init__()
        self.W, self.b = W, b
        self.stride, self.pad = stride, pad
        self.dW = self.db = None
        self.x_shape = self.col = self.col_W = None     # kept by forward for backward

    def output_shape(self, input_shape):
        C, H, W = input_shape
        FN, _, FH, FW = self.W.shape
        return (FN,) + output_size(H, W, FH, FW, self.stride, self.pad)

    def forward(self, x, train_flg=None):
        FN, C, FH, FW = self.W.shape
        N = x.shape[0]
        OH, OW = output_size(x.shape[2], x.shape[3], FH, FW, self.stride, self.pad)
        ### BEGIN SOLUTION
        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = col @ col_W + self.b
        self.x_shape, self.col, self.col_W = x.shape, col, col_W
        return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)
        ### END SOLUTION

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        ### BEGIN SOLUTION
        flat = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = flat.sum(axis=0)
        self.dW = (self.col.T @ flat).T.reshape(self.W.shape)
        dcol = flat @ self.col_W.T
        return col2im(dcol, self.x_shape, FH, FW, self.stride, self.pad)
        ### END SOLUTION

# %% kind="test" grade_id="test_convolution_forward" points=3
check_convolution_forward(Convolution)

# %% kind="test" grade_id="test_convolution_backward" points=4
check_convolution_backward(Convolution)

# %% [markdown]
# ## Part 4 - Max pooling, forward and backward
#
# Pooling windows of `pool_h x pool_w` have only a few positions *inside* them, so you can
# loop over those instead of over the windows: for the offset `(i, j)` the strided slice
# `x[:, :, i : i + stride*OH : stride, j : j + stride*OW : stride]` holds that element of
# every window at once, and the output is the elementwise maximum of these `pool_h * pool_w`
# slices. (A loop over the output positions, one window-sized slice of the whole batch each,
# is fine too.)
#
# Backward, each window's gradient `dout[n, c, oh, ow]` goes to the position of its maximum
# and nowhere else. When several entries of a window are equal to the maximum (an all-zero
# window after a ReLU, say) it goes to **the first of them** in reading order (row by row), as
# `np.argmax` would pick it. Where windows overlap (stride smaller than the window) a pixel
# can receive gradient from several windows: add them up.
#
# **Task (3 + 4 points).** Write `max_pool_forward(x, pool_h, pool_w, stride)` for input
# `(N, C, H, W)` without padding, returning `(N, C, OH, OW)` with
# `OH = (H - pool_h) / stride + 1` (likewise `OW`), and
# `max_pool_backward(dout, x, pool_h, pool_w, stride)` returning `dx` of the shape of `x`,
# both vectorised as above.

# %% kind="answer" grade_id="max_pool"
def max_pool_forward(x, pool_h, pool_w, stride):
    """Max pooling without padding: (N, C, H, W) -> (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    ### BEGIN SOLUTION
    out = np.full((N, C, OH, OW), -np.inf, dtype=x.dtype)
    for i in range(pool_h):
        for j in range(pool_w):
            np.maximum(out, x[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride], out=out)
    return out
    ### END SOLUTION


def max_pool_backward(dout, x, pool_h, pool_w, stride):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each gradient to the first maximum of its window."""
    N, C, H, W = x.shape
    OH, OW = output_size(H, W, pool_h, pool_w, stride, 0)
    ### BEGIN SOLUTION
    best = np.full((N, C, OH, OW), -np.inf, dtype=np.float64)
    where = np.zeros((N, C, OH, OW), dtype=np.int64)
    for i in range(pool_h):
        for j in range(pool_w):
            part = x[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride]
            larger = part > best              # strictly larger: the first maximum keeps its place
            best[larger] = part[larger]
            where[larger] = i * pool_w + j
    dx = np.zeros(x.shape, dtype=np.result_type(dout, np.float32))
    for i in range(pool_h):
        for j in range(pool_w):
            dx[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += \
                np.where(where == i * pool_w + j, dout, 0)
    return dx
    ### END SOLUTION


class MaxPooling(Layer):
    """Max pooling with your two functions: (N, C, H, W) -> (N, C, OH, OW)."""

    def __init__(self, pool_h, pool_w, stride):
        super().__init__()
        self.pool_h, self.pool_w, self.stride = pool_h, pool_w, stride
        self.x = None

    def output_shape(self, input_shape):
        C, H, W = input_shape
        return (C,) + output_size(H, W, self.pool_h, self.pool_w, self.stride, 0)

    def forward(self, x, train_flg=None):
        self.x = x
        return max_pool_forward(x, self.pool_h, self.pool_w, self.stride)

    def backward(self, dout):
        return max_pool_backward(dout, self.x, self.pool_h, self.pool_w, self.stride)

    def __repr__(self):
        return f"MaxPooling({self.pool_h}x{self.pool_w}, stride={self.stride})"

# %% kind="test" grade_id="test_max_pool" points=3
check_max_pool_forward(max_pool_forward)

# %% kind="test" grade_id="test_max_pool_backward" points=4
check_max_pool_backward(max_pool_backward)

# %% [markdown]
# ## Part 5 - A network from your layers
#
# Build a network in the spirit of `SimpleConvNet` from your layers - `Convolution`,
# `LeakyRelu`, `MaxPooling` - and course_lib's `Affine` and `Dropout`, as a `Sequential` (it
# adds the softmax-with-loss layer itself):
#
# `Convolution` (filter_num filters of filter_size x filter_size, stride 1, padding
# filter_size // 2 so that the image keeps its size) - `LeakyRelu` - `MaxPooling` (2 x 2,
# stride 2) - `Affine` (hidden_size units) - `LeakyRelu` - `Dropout` (dropout_ratio) -
# `Affine` (n_classes).
#
# Initialise the weights with **He initialisation**: normal with standard deviation
# $\sqrt{2 / \text{fan\_in}}$, where fan_in is the number of inputs of one unit
# (`C * FH * FW` for a filter, the number of rows of an affine layer's matrix); biases start
# at zero. Draw the numbers from `rng` and give every array the `dtype` asked for. Pass
# `alpha` to both `LeakyRelu` layers.
#
# **Task (3 points).** Complete `build_network`. The check looks at the layers and their
# order, the parameters' shapes (`W1, b1` convolution, `W2, b2` and `W3, b3` affine) and
# dtype, the biases, the seed, the initialisation (on a large network, where the spread of
# the weights can be measured precisely), and, with weights it sets itself, the network's
# scores and gradients against the same network computed by the course's loop versions.

# %% kind="answer" grade_id="build_network"
def build_network(filter_num=16, filter_size=5, hidden_size=100, dropout_ratio=0.5, alpha=0.01,
                  input_dim=(1, 28, 28), n_classes=10, seed=0, dtype=np.float32):
    """conv - LeakyRelu - 2x2 max pool - affine - LeakyRelu - dropout - affine, a Sequential."""
    if filter_size % 2 == 0:
        raise ValueError(f"filter_size must be odd so that padding filter_size // 2 keeps the "
                         f"image size, got {filter_size}")
    C, H, W = input_dim
    rng = np.random.default_rng(seed)
    ### BEGIN SOLUTION
    fan_in = C * filter_size * filter_size
    W1 = rng.standard_normal((filter_num, C, filter_size, filter_size)) * np.sqrt(2.0 / fan_in)
    flat = filter_num * (H // 2) * (W // 2)
    W2 = rng.standard_normal((flat, hidden_size)) * np.sqrt(2.0 / flat)
    W3 = rng.standard_normal((hidden_size, n_classes)) * np.sqrt(2.0 / hidden_size)
    layers = [
        Convolution(W1.astype(dtype), np.zeros(filter_num, dtype), stride=1,
                    pad=filter_size // 2),
        LeakyRelu(alpha),
        MaxPooling(2, 2, stride=2),
        Affine(W2.astype(dtype), np.zeros(hidden_size, dtype)),
        LeakyRelu(alpha),
        Dropout(dropout_ratio),
        Affine(W3.astype(dtype), np.zeros(n_classes, dtype)),
    ]
    return Sequential(layers, seed=seed)
    ### END SOLUTION

# %% kind="test" grade_id="test_build_network" points=3
check_build_network(build_network)

# %% [markdown]
# Your layers also pass a **numerical gradient check** as a whole network: every parameter's
# gradient from backpropagation against one from finite differences. The error printed for
# each parameter is $\lVert a - b \rVert / \max(\lVert a \rVert, \lVert b \rVert)$; a correct
# network in float64 gives about $10^{-8}$ or less, a wrong gradient $10^{-2}$ or more. (Not
# graded: the check above already compared your gradients with exact ones.)

# %% kind="setup" grade_id="gradient_check"
net = build_network(filter_num=4, filter_size=3, hidden_size=10, dropout_ratio=0.0,
                    input_dim=(1, 8, 8), seed=0, dtype=np.float64)
x_check = np.random.default_rng(4).random((3, 1, 8, 8))
t_check = np.array([1, 4, 7])
grads = net.gradient(x_check, t_check)
errors = {}
for key, value in net.params.items():
    numerical = numerical_gradient(lambda: net.loss(x_check, t_check), value)
    errors[key] = np.linalg.norm(grads[key] - numerical) / max(
        np.linalg.norm(grads[key]), np.linalg.norm(numerical), 1e-300)
print("relative error per parameter:", {k: f"{v:.1e}" for k, v in errors.items()})
net = None

# %% [markdown]
# ## Part 6 - Tuning for 90 %
#
# Your layers from Parts 2-5 are written to be read, and they are slow. To train, use
# course_lib's layers, which compute the same thing far faster. You describe the network as a
# list of layers and `build_model` builds it (He initialisation, seeded); the same
# description is saved with the trained weights in the **model file**
# `fashion_mnist_model.npz`, from which the grader rebuilds your network with course_lib -
# without running any of your code - and measures its accuracy. A model file holds no code,
# so it may contain only these layers:
#
# | `type` | settings (defaults) |
# |---|---|
# | `Convolution` | `filters`, `filter_h`, `filter_w`, `stride` (1), `pad` (0) |
# | `Pooling` | `pool_h`, `pool_w`, `stride` (= `pool_h`), `pad` (0), `mode` (`"max"`) |
# | `Affine` | `units` (it flattens images by itself) |
# | `Relu`, `BatchNormalization`, `Dropout` | - ; - ; `ratio` (0.5) |
#
# The last layer must be an `Affine` with 10 units. Your `LeakyRelu` and your own layers
# cannot be saved: use `Relu`. The network may cost at most **25 times** the course's
# network below per image (multiply-adds and numbers of activations, counted from the
# description); a larger one is not measured and earns 0 points for this part. That leaves
# room for several more and wider layers.
#
# **Training, validation and test.** The notebook trains on the first 55 000 training images
# and measures the accuracy after each epoch on the last 5 000, the **validation set**: choose
# the architecture and the hyperparameters by the validation accuracy. The 10 000 test images
# play no part in training or choosing: they judge the final network once, as chapter 6
# advises - a test set used for choosing is no longer a fair test.
#
# **Goal (8 points).** The grader measures your saved network's accuracy on all 10 000 test
# images: **90 % or more earns 8 points, 85 % or less 0, and in between the points grow
# linearly** (88 % earns 4.8 points). The network and hyperparameters given below, trained for
# one epoch, reach about 87-88 %: the goal needs real tuning - more or larger layers, more
# epochs, the learning rate. One epoch over 55 000 images takes from half a minute (the given
# network) to a few minutes (larger ones) on a laptop; run in quick mode while you try things
# out, then in full mode. While the notebook is graded, nothing is trained: the model file
# you hand in is what counts.
#
# **What the grader checks.** The test labels are public, so a network could be trained on the
# test images; the grader cannot prevent that, but it measures the accuracy on the validation
# images too, and compares both with the validation accuracy recorded in the file: a network
# whose test accuracy is more than 2 points above its validation accuracy, or whose file does
# not match its recorded validation accuracy, is flagged for the instructor to review. A
# missing or damaged model file earns 0 points for this part (the feedback says why); the
# other parts are graded as usual.

# %% kind="answer" grade_id="hparams"
# A first network and its training; change them (delete the raise line below).
ARCHITECTURE = [
    {"type": "Convolution", "filters": 16, "filter_h": 5, "filter_w": 5, "pad": 2},
    {"type": "Relu"},
    {"type": "Pooling", "pool_h": 2, "pool_w": 2},
    {"type": "Affine", "units": 100},
    {"type": "Relu"},
    {"type": "Dropout", "ratio": 0.5},
    {"type": "Affine", "units": 10},
]
TRAINING = {"lr": 0.001, "epochs": 1, "batch_size": 100}
### BEGIN SOLUTION
ARCHITECTURE = [
    {"type": "Convolution", "filters": 32, "filter_h": 3, "filter_w": 3, "pad": 1},
    {"type": "Relu"},
    {"type": "Pooling", "pool_h": 2, "pool_w": 2},
    {"type": "Convolution", "filters": 64, "filter_h": 3, "filter_w": 3, "pad": 1},
    {"type": "Relu"},
    {"type": "Pooling", "pool_h": 2, "pool_w": 2},
    {"type": "Affine", "units": 128},
    {"type": "Relu"},
    {"type": "Dropout", "ratio": 0.3},
    {"type": "Affine", "units": 10},
]
TRAINING = {"lr": 0.001, "epochs": 5, "batch_size": 100}
### END SOLUTION

# %% kind="setup" grade_id="train"
N_TRAIN = 55_000                       # the last 5 000 training images are the validation set
x_tr, t_tr = x_train[:N_TRAIN], t_train[:N_TRAIN]
x_val, t_val = x_train[N_TRAIN:], t_train[N_TRAIN:]
epochs = TRAINING["epochs"]
if QUICK:
    x_tr, t_tr, x_val, t_val, epochs = x_tr[:2000], t_tr[:2000], x_val[:500], t_val[:500], \
        min(epochs, 2)

net = None
if GRADING:
    print("graded from the model file you hand in: no training while grading")
else:
    net = build_model(ARCHITECTURE, input_shape=x_train.shape[1:], seed=0)
    print(net.summary(x_train.shape[1:]))
    trainer = Trainer(net, x_tr, t_tr, None, None, x_val=x_val, t_val=t_val, epochs=epochs,
                      mini_batch_size=TRAINING["batch_size"], optimizer="Adam",
                      optimizer_param={"lr": TRAINING["lr"]}, seed=0, verbose=not QUICK)
    start = time.perf_counter()
    trainer.train()
    train_time = time.perf_counter() - start
    net.eval()
    val_acc = net.accuracy(x_val, t_val)
    print(f"validation accuracy {val_acc:.4f} on {len(x_val)} images after {epochs} epochs "
          f"on {len(x_tr)} images ({train_time:.0f} s of training on {os.cpu_count()} cores)")
    plot_learning_curves(trainer)
    plt.show()

# %% kind="setup" grade_id="save_model"
MODEL_FILE = "fashion_mnist_model.npz"
if QUICK:
    print(f"quick mode: {MODEL_FILE} is not written (only a full run writes the model file "
          "that is graded)")
else:
    save_model(net, MODEL_FILE, input_shape=x_train.shape[1:],
               metadata={"validation_accuracy": float(val_acc),
                         "validation_images": int(len(x_val)),
                         "training_images": int(len(x_tr)), "epochs": int(epochs),
                         "lr": float(TRAINING["lr"]),
                         "training_seconds": round(float(train_time), 1)})
    print(f"saved {MODEL_FILE} (validation accuracy {val_acc:.4f}): hand it in with this "
          "notebook")

# %% [markdown]
# The cell below checks the model file next to the notebook: that it exists, is a valid model
# file and is within the size limit. Outside grading it also measures it as the grader will:
# its validation and test accuracy and **the points it will earn**. Run it before you hand in.

# %% kind="test" grade_id="test_accuracy_goal" points=8
check_model_file("fashion_mnist_model.npz")

# %% [markdown]
# ## Part 7 - Which classes does the network confuse?
#
# Row `i`, column `j` of the confusion matrix counts the validation images of class `i` that
# the network classified as class `j`; the diagonal holds the correct answers.
#
# **Task (3 points).** Write `most_confused_pairs(cm, k)`: the `k` largest off-diagonal
# entries as a list of tuples `(true_class, predicted_class, count)` with Python integers,
# largest count first; equal counts are ordered by true class, then by predicted class.

# %% kind="setup" grade_id="confusion"
if net is not None:
    t_pred = net.predict(x_val).argmax(axis=1)
    cm = confusion_matrix(t_val, t_pred, 10)
    plot_confusion_matrix(cm, FASHION_MNIST_CLASSES)
    plt.show()

# %% kind="answer" grade_id="most_confused"
def most_confused_pairs(cm, k=3):
    """The k largest off-diagonal entries of cm as (true_class, predicted_class, count) tuples."""
    ### BEGIN SOLUTION
    cm = np.asarray(cm)
    entries = [(int(cm[i, j]), i, j) for i in range(cm.shape[0]) for j in range(cm.shape[1])
               if i != j]
    entries.sort(key=lambda e: (-e[0], e[1], e[2]))
    return [(i, j, count) for count, i, j in entries[:k]]
    ### END SOLUTION

# %% kind="test" grade_id="test_most_confused" points=3
check_most_confused(most_confused_pairs)

# %% kind="setup" grade_id="show_confused"
if net is not None:
    for i, j, count in most_confused_pairs(cm, k=5):
        print(f"{FASHION_MNIST_CLASSES[i]:>12} taken for {FASHION_MNIST_CLASSES[j]:<12} "
              f"{count:4d} times")

# %% [markdown]
# ## Part 8 - Written answers (graded by hand)
#
# **Question 1 (3 points).** You add two more convolution layers to a network that reached 91 %
# and keep everything else (learning rate, initialisation, number of epochs) as it was. The
# test accuracy drops. Give at least two reasons why a deeper network can do *worse* without
# retuning, and say what you would change.

# %% [markdown] kind="written" grade_id="answer_deeper" points=3
# ### BEGIN SOLUTION
# **Model answer.** (1) Optimisation: a deeper network is harder to train - with an
# initialisation scaled for the shallow network the signal and the gradients shrink or grow
# from layer to layer (vanishing/exploding gradients), and the old learning rate may be too
# large or too small for the new loss surface, so within the same number of epochs it has not
# converged. (2) More parameters and more steps to fit: the same epoch budget is too short,
# and without more regularisation (dropout, data augmentation, weight decay) the larger
# network can overfit the training set. (3) Extra pooling or unpadded convolutions can shrink
# the feature maps until useful spatial detail is lost. Fixes: He initialisation (or batch
# normalisation), retune the learning rate, train longer with early stopping on a validation
# set, add regularisation, use padding, or residual connections.
#
# **Rubric (3 points).** 1 point for each distinct, correct reason
# (optimisation/initialisation or learning rate; training budget or overfitting; loss of
# resolution or another valid architectural reason), at most 2 points for reasons; 1 point for
# a concrete remedy that fits a reason given. No points for "more layers are always better"
# style claims.
# ### END SOLUTION

# %% [markdown]
# **Question 2 (3 points).** Take the pair of classes *your* network confuses most (Part 7).
# Look at validation images of that pair that it gets wrong - add a code cell below this one;
# `show_images(x_val[...], labels=...)` helps - and answer: what tells the two classes apart
# in those images, what does the network seem to go by instead, and what one change (to the
# data, the architecture or the training) would you expect to reduce this confusion, and why?
# Refer to what you see in your own images.

# %% [markdown] kind="written" grade_id="answer_harder" points=3
# ### BEGIN SOLUTION
# **Model answer** (for the most common pair, shirt taken for T-shirt/top). The misclassified
# shirts are mostly short-sleeved or seen flat without a visible collar, buttons or placket;
# at 28 x 28 pixels in grey those details are one or two pixels wide, while the outline - a
# torso with short sleeves - is the same as a T-shirt's. The network seems to go by the
# outline and the overall brightness. A change that targets the fine detail: keep more
# resolution in the first layers (no pooling after the first convolution, or 3x3 filters with
# more channels) so that collars and buttons survive, or train with small shifts so that the
# network cannot rely on exact positions; measure the shirt/T-shirt entry of the confusion
# matrix on the validation set before and after.
#
# **Rubric (3 points).** 1 point: shows (or clearly describes) misclassified validation
# images of the pair that the student's own Part 7 reported; 1 point: names a plausible
# distinguishing feature and explains why the network misses it (resolution, shared outline,
# ambiguous examples), based on those images; 1 point: one concrete change, tied to that
# explanation, with a way to tell whether it helped. General statements about Fashion-MNIST
# that ignore the student's own results earn at most 1 point.
# ### END SOLUTION
