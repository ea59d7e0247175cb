# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 1 — Convolution arithmetic
#
# A handwritten digit in MNIST is a 28 x 28 grid of grey values. The networks of the
# earlier, fully connected kind begin by flattening that grid into a row of 784
# numbers and multiplying it by a weight matrix. Nothing is lost in the numbers, yet
# something is lost in the *meaning*: the layer no longer knows that pixel 30 sits
# right below pixel 2.
#
# **The question of this chapter:** what exactly does a fully connected (Affine)
# layer throw away, what does a convolution keep, and how do we compute the size of
# everything a convolution produces?
#
# By the end you will be able to
#
# * compute a 2-D convolution by hand, one multiply-accumulate at a time, and write
#   it as loops for whole batches;
# * predict the output size for any padding and stride, and recognise choices that
#   do not work;
# * follow the shapes through channels, filters, biases and batches, `(N, C, H, W)`;
# * count parameters, and see why two small filters beat one big one.

# %%
import numpy as np
import matplotlib.pyplot as plt

from course_lib.checks import check_conv_forward_naive, check_conv_output_size
from course_lib.layers import Affine, Convolution
from course_lib.widgets import (conv_explorer, draw_conv_step, draw_conv_window,
                                draw_receptive_field, receptive_field_size)

np.set_printoptions(precision=3, suppress=True)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. What an Affine layer cannot see
#
# An Affine layer computes $y = xW + b$ with $x$ the flattened image. Suppose we
# shuffle the pixels of *every* image with one fixed permutation — the digits turn
# into noise to our eyes. For the Affine layer nothing has changed: shuffling the
# rows of $W$ the same way gives exactly the same outputs. Whatever it can learn from
# the real images it can learn from the shuffled ones. It has no notion of
# *neighbouring* pixels.

# %%
x = rng.random((5, 1, 8, 8))                         # five 8x8 images
W = rng.standard_normal((64, 10))
b = np.zeros(10)

perm = rng.permutation(64)                           # one fixed shuffle of the 64 pixels
x_shuffled = x.reshape(5, 64)[:, perm]

y = Affine(W, b).forward(x)
y_shuffled = Affine(W[perm], b).forward(x_shuffled)  # W's rows shuffled the same way
print("same outputs after shuffling pixels and weights:", np.allclose(y, y_shuffled))

# %% [markdown]
# A convolution works differently. It slides one small filter over the image and
# computes, at every position, a weighted sum of the pixels *under the window*.
# Neighbourhoods are built into the operation, and the same filter is used
# everywhere. One consequence is easy to check: shift the image, and the output
# shifts with it (the operation is *translation equivariant*).

# %%
img = np.zeros((1, 1, 8, 8))
img[0, 0, 2:5, 2:4] = 1.0                           # a small bright block
shifted = np.roll(img, shift=(1, 2), axis=(2, 3))   # one row down, two columns right

conv = Convolution(rng.standard_normal((1, 1, 3, 3)), np.zeros(1), pad=1)
out, out_shifted = conv.forward(img), conv.forward(shifted)
print("output of the shifted image == shifted output:",
      np.allclose(out_shifted, np.roll(out, shift=(1, 2), axis=(2, 3))))

# %% [markdown]
# ## 2. A convolution by hand
#
# Take a $4 \times 4$ input $x$ and a $3 \times 3$ filter $w$. Place the filter on the
# top-left corner of the input, multiply the nine pairs of numbers that lie on top of
# each other, and add them up: that is the first output value. Move the window one
# step right and repeat; at the right edge go back and one row down. In symbols,
#
# $$
# y_{ij} \;=\; \sum_{u=0}^{FH-1}\sum_{v=0}^{FW-1} x_{i+u,\,j+v}\; w_{uv} \;+\; b .
# $$
#
# (Strictly speaking this is a *cross-correlation*; a mathematician's convolution
# flips the filter first. Every deep learning library calls the unflipped version
# a convolution, and since the filter is learned the difference does not matter.)

# %%
x = np.array([[1, 2, 0, 1],
              [0, 1, 3, 2],
              [2, 1, 0, 1],
              [1, 0, 2, 3]], dtype=float)
w = np.array([[1, 0, -1],
              [1, 0, -1],
              [1, 0, -1]], dtype=float)   # bright-left / dark-right edges

FH, FW = w.shape
OH, OW = x.shape[0] - FH + 1, x.shape[1] - FW + 1
y = np.zeros((OH, OW))
for i in range(OH):
    for j in range(OW):
        y[i, j] = np.sum(x[i:i + FH, j:j + FW] * w)    # multiply-accumulate one window
print(y)

# %% [markdown]
# The figure shows the window for output pixel $(1, 0)$ and writes the nine products
# out; compare with the loop above. In section 4 you will write the same loop for
# whole batches of images with several channels and several filters.

# %%
draw_conv_step(x, w, out_row=1, out_col=0)
plt.show()

# %% [markdown]
# ## 3. Padding and stride
#
# Two knobs change the geometry.
#
# * **Padding** $P$ adds a border of $P$ zeros around the input before the filter
#   slides over it. Without it every layer eats $FH - 1$ rows and $FW - 1$ columns,
#   and pixels on the edge are seen by fewer windows than those in the middle.
# * **Stride** $S$ is the step by which the window moves. Stride 2 visits every
#   second position and roughly halves the output.
#
# The window's top edge can start at rows $0, S, 2S, \dots$ as long as the whole
# window stays inside the padded input of height $H + 2P$. Counting those positions:
#
# $$
# OH = \frac{H + 2P - FH}{S} + 1, \qquad OW = \frac{W + 2P - FW}{S} + 1 .
# $$
#
# **When the division is not whole.** With $H = 7$, $FH = 3$, $P = 0$ and $S = 3$ the
# windows start at rows 0 and 3; the next one would start at row 6 and need rows 6
# to 8 of a 7-row input. The formula gives $(7 - 3)/3 + 1 = 2.33$. What to do then
# is a convention, and libraries differ. PyTorch, TensorFlow with `padding='VALID'`
# and the book's `im2col` all round down: the output has 2 rows, and the last row of
# the input is silently never looked at. TensorFlow's `padding='SAME'` pads instead,
# as much as it takes (an odd extra row goes at the bottom). **This course refuses**: its
# `conv_output_size` raises a `ValueError` that says why, because a silently shrunken
# image is a bug that shows up three layers later. The figure shows the window that
# does not fit:

# %%
draw_conv_window(H=7, W=7, FH=3, FW=3, P=0, S=3)   # the dashed window hangs over the edge
plt.show()


# %% [markdown]
# **Exercise 1.** Write `conv_output_size(H, FH, stride, pad)`, the output length
# along one axis. Return it as an `int`. When the filter is larger than the padded
# input, or when the formula does not give a whole number, raise a `ValueError`
# whose message says which numbers are wrong and what to change (the course's
# convention above).
#
# <details><summary>Hint</summary>
#
# Compute the numerator $H + 2P - FH$ first; `%` tells you whether the stride
# divides it, `//` gives the whole quotient.
# </details>

# %% role="exercise"
def conv_output_size(H, FH, stride=1, pad=0):
    """Output length (OH) of a filter of length FH sliding over H pixels."""
    ### BEGIN SOLUTION
    span = H + 2 * pad - FH
    if span < 0:
        raise ValueError(f"the filter ({FH}) is larger than the padded input "
                         f"({H} + 2*{pad}): use a smaller filter or more padding")
    if span % stride != 0:
        raise ValueError(f"({H} + 2*{pad} - {FH})/{stride} + 1 = {span / stride + 1:.3g} "
                         f"is not a whole number: change the padding or the stride")
    return span // stride + 1
    ### END SOLUTION


# %% role="check"
check_conv_output_size(conv_output_size)

# %% [markdown]
# From here on the chapter uses the course's version, which does the same and names
# the axis in its messages. The output sizes of a few familiar layers:

# %%
from course_lib.functional import conv_output_size   # from here on: the course's version

examples = [  # (H, FH, P, S)
    (4, 3, 0, 1),      # the example above
    (4, 3, 1, 1),
    (7, 3, 0, 2),
    (28, 5, 0, 1),     # the first layer of SimpleConvNet
    (28, 3, 1, 1),     # the first layer of DeepConvNet
]
print(f"{'H':>4} {'FH':>3} {'P':>2} {'S':>2}   OH = (H + 2P - FH)/S + 1")
for H, F, P, S in examples:
    OH = conv_output_size(H, F, S, P)
    print(f"{H:>4} {F:>3} {P:>2} {S:>2}   ({H} + {2 * P} - {F})/{S} + 1 = {OH}")

# %% [markdown]
# The layers use the same check. Padding by one fixes the example above:
# $(7 + 2 - 3)/3 + 1 = 3$.

# %%
layer = Convolution(np.ones((1, 1, 3, 3)), np.zeros(1), stride=3, pad=1)
print(layer.forward(np.ones((1, 1, 7, 7))).shape)


# %% [markdown]
# ## 4. Channels, filters, bias and batches
#
# **Channels.** A colour image has three channels (red, green, blue); the output of a
# convolution layer has as many channels as it has filters. A filter therefore
# always has the same number of channels $C$ as its input, and a 3-D convolution is
# simply a 2-D convolution per channel, summed over the channels:
#
# $$
# y_{ij} = \sum_{c=0}^{C-1}\sum_{u,v} x_{c,\,i+u,\,j+v}\; w_{c,uv} + b .
# $$
#
# One filter of shape $(C, FH, FW)$ turns a $(C, H, W)$ input into **one** channel
# $(1, OH, OW)$.
#
# **Many filters.** With $FN$ filters, stacked into an array of shape
# $(FN, C, FH, FW)$, we get $FN$ output channels: $(FN, OH, OW)$. Each filter learns
# to detect something different (an edge at some angle, a blob, a stroke end).
#
# **Bias.** Each filter has one bias, added to every pixel of its output channel: $b$
# has shape $(FN,)$, broadcast as $(FN, 1, 1)$.
#
# **Batches.** Networks process $N$ images at once. Everything above happens image by
# image, so the batch axis just goes along:
#
# $$
# \underbrace{(N, C, H, W)}_{\text{input}} \;\ast\; \underbrace{(FN, C, FH, FW)}_{\text{filters}}
# \;+\; \underbrace{(FN,)}_{\text{bias}}
# \;\longrightarrow\; \underbrace{(N, FN, OH, OW)}_{\text{output}}
# $$
#
# **Exercise 2.** Write `conv_forward_naive(x, W, b, stride, pad)` with loops: pad
# the input with zeros, then for every image $n$, filter $f$ and output pixel
# $(i, j)$ multiply the window of all $C$ channels by filter $f$, add up, and add
# the bias $b_f$. Use `conv_output_size` for $OH$ and $OW$. The loop of section 2 is
# the heart of it.
#
# <details><summary>Hint</summary>
#
# `np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))` pads only the two image
# axes. The window of output pixel $(i, j)$ starts at row $i \cdot S$ and column
# $j \cdot S$ of the padded input, and `xp[n, :, rows, cols]` takes it from all
# channels at once.
# </details>

# %% role="exercise"
def conv_forward_naive(x, W, b, stride=1, pad=0):
    """x: (N, C, H, W), W: (FN, C, FH, FW), b: (FN,) -> out: (N, FN, OH, OW)."""
    ### BEGIN SOLUTION
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    OH, OW = conv_output_size(H, FH, stride, pad), conv_output_size(Wd, FW, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, FN, OH, OW))
    for n in range(N):
        for f in range(FN):
            for i in range(OH):
                for j in range(OW):
                    top, left = i * stride, j * stride
                    window = xp[n, :, top:top + FH, left:left + FW]   # (C, FH, FW)
                    out[n, f, i, j] = np.sum(window * W[f]) + b[f]
    return out
    ### END SOLUTION


# %% role="check"
check_conv_forward_naive(conv_forward_naive)

# %% [markdown]
# With the course's version (the same loops) we can check the claim about channels:
# one filter on a three-channel input is the sum of three one-channel convolutions.

# %%
from course_lib.naive import conv_backward_naive, conv_forward_naive  # the course's

x3 = rng.standard_normal((3, 6, 6))                  # (C, H, W)
w3 = rng.standard_normal((3, 3, 3))                  # (C, FH, FW): one filter
per_channel = [conv_forward_naive(x3[None, c:c + 1], w3[None, c:c + 1], np.zeros(1))
               for c in range(3)]
whole = conv_forward_naive(x3[None], w3[None], np.zeros(1))
print("one filter ->", whole.shape, "  equals the sum of three 2-D convolutions:",
      np.allclose(whole, sum(per_channel)))

# %% [markdown]
# The `Convolution` layer computes the same thing much faster (chapter 2 shows how),
# with the shapes above:

# %%
N, C, H, W = 8, 3, 24, 24
FN, FH, FW = 6, 3, 3
x = rng.standard_normal((N, C, H, W)).astype(np.float32)
conv = Convolution(0.1 * rng.standard_normal((FN, C, FH, FW)).astype(np.float32),
                   np.arange(FN, dtype=np.float32), stride=1, pad=1)
y = conv.forward(x)
print("input  ", x.shape)
print("filters", conv.W.shape, " bias", conv.b.shape)
print("output ", y.shape)
y_loops = conv_forward_naive(x, conv.W, conv.b, pad=1)
print("same as the loops:", np.allclose(y, y_loops, atol=1e-5))

# %% [markdown]
# ## 5. Counting parameters
#
# A convolution layer has $FN \cdot C \cdot FH \cdot FW$ weights and $FN$ biases, and
# — this is the striking part — **the count does not depend on the image size**.
# The same filters slide over a 28 x 28 digit or a 1000 x 1000 photograph.
#
# Compare the first layer of `SimpleConvNet` (30 filters of 5 x 5 on a 1 x 28 x 28
# input, output 30 x 24 x 24) with an Affine layer producing as many numbers from the
# same input:

# %%
C, H, W, FN, F = 1, 28, 28, 30, 5
OH = OW = conv_output_size(H, F)
conv_params = FN * C * F * F + FN
affine_params = (C * H * W) * (FN * OH * OW) + FN * OH * OW
print(f"output size:              {FN} x {OH} x {OW} = {FN * OH * OW:,} numbers")
print(f"convolution parameters:   {conv_params:>12,}")
print(f"affine parameters:        {affine_params:>12,}"
      f"  ({affine_params // conv_params:,} times more)")

# %% [markdown]
# Sharing the weights over all positions is what the convolution trades for its
# small size: it assumes that a feature worth detecting in one place is worth
# detecting everywhere.
#
# ## 6. Two small filters or one big one? The receptive field
#
# The **receptive field** of an output pixel is the region of the input it depends
# on. One $3 \times 3$ convolution: a $3 \times 3$ region. Stack a second $3 \times 3$
# convolution on top and each of its pixels sees a $3 \times 3$ patch of the first
# layer's output, each of which saw $3 \times 3$ input pixels — together a
# $5 \times 5$ region. Each extra layer of stride 1 adds $F - 1$:
#
# $$ r = 1 + L\,(F - 1). $$
#
# Two $3 \times 3$ filters cover the same $5 \times 5$ region as one $5 \times 5$
# filter with **18** weights instead of **25** (per pair of channels), and put a
# non-linearity (ReLU) between them. Three of them reach $7 \times 7$ with 27 weights
# instead of 49. This is why deep networks such as VGG, and the course's
# `DeepConvNet`, use nothing but $3 \times 3$ filters.

# %%
draw_receptive_field(n_layers=2, filter_size=3)
plt.show()
draw_receptive_field(n_layers=3, filter_size=3)
plt.show()


# %% [markdown]
# We do not have to take the picture on trust. Backpropagation tells us which input
# pixels influence one output pixel: send a gradient of 1 from the centre pixel
# of the last layer back through the stack, and see which input pixels receive a
# non-zero gradient. Positive filters make sure nothing cancels by accident.

# %%
def region_seen(n_layers, F=3, size=11):
    xs = [np.ones((1, 1, size, size))]
    Ws = [np.ones((1, 1, F, F))] * n_layers
    for Wl in Ws:                                   # forward, keeping every layer's input
        xs.append(conv_forward_naive(xs[-1], Wl, np.zeros(1), pad=F // 2))
    d = np.zeros_like(xs[-1])
    d[0, 0, size // 2, size // 2] = 1.0             # gradient from the centre pixel only
    for x_in, Wl in zip(reversed(xs[:-1]), reversed(Ws)):
        d, _, _ = conv_backward_naive(d, x_in, Wl, pad=F // 2)
    rows, cols = np.nonzero(d[0, 0])
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)

for L in (1, 2, 3, 4):
    print(f"{L} layer(s) of 3x3: the centre pixel depends on a {region_seen(L)} region;"
          f" formula: {receptive_field_size([3] * L)}")

# %% [markdown]
# ## 7. Explore
#
# The explorer below draws the padded input (padding in grey), the window that
# produces a chosen output pixel, and the output grid. Move the sliders for
# $H, W, FH, FW, P, S$ and for the output position. The figure gives the output size
# and the formula, or explains why the choice does not work (the dashed window then
# shows where the last window would hang over the edge); the line under the sliders
# says where the windows start and which input pixels the chosen output pixel comes
# from. (The sliders need a running kernel: until the cell is run, it shows a
# picture of the explorer's first figure.)
#
# Things to try:
#
# * $H = 7$, $FH = 3$: which strides work without padding? Which with $P = 1$?
# * Find the padding that keeps $OH = H$ for $FH = 3$ and $FH = 5$ at stride 1.
# * With stride 2, which input pixels are never the top-left corner of a window?

# %% tags=["nbval-ignore-output"]
conv_explorer(H=7, W=7, FH=3, FW=3, P=1, S=2, out_row=1, out_col=2)

# %% [markdown]
# ## 8. Questions
#
# Work each one out on paper with the formulas of this chapter, write your answer
# in the cell below the question (for example `answer_1 = 7`, or a tuple such as
# `answer_2 = (4, 4)`), and run the check after it. `check_answer` compares with the
# value computed by the course's formulas and, for the usual slips, says what went
# wrong.

# %%
import textwrap

def check_answer(answer, expected, mistakes=None):
    """Print whether answer equals expected and, for a known slip, what went wrong."""
    given = tuple(int(a) for a in np.ravel(answer)) if np.ndim(answer) else answer
    if given == expected:
        message = f"Right: {given}."
    elif isinstance(expected, tuple) and not isinstance(given, tuple):
        message = f"Answer with a tuple of {len(expected)} numbers, not {given!r}."
    else:
        hint = (mistakes or {}).get(given, "work through the formula once more")
        message = f"Not yet: {given!r} is not it; {hint}."
    print(textwrap.fill(message, width=80))      # wrapped between words, not inside them


# %% [markdown]
# **Question 1.** A $48 \times 48$ RGB image goes through a convolution with $5 \times 5$
# filters, padding 1 and stride 1. What is the output height? (`answer_1 = ...`)

# %% role="exercise"
# answer_1 = your answer
### BEGIN SOLUTION
answer_1 = 46       # (48 + 2*1 - 5)/1 + 1
### END SOLUTION

# %% role="check"
check_answer(answer_1, conv_output_size(48, 5, stride=1, pad=1),
             {44: "that is without the padding", 50: "that is the padded input",
              45: "the first window counts too: + 1"})

# %% [markdown]
# **Question 2.** AlexNet's first layer: a $227 \times 227$ input, $11 \times 11$ filters,
# stride 4, no padding. What are $(OH, OW)$? (`answer_2 = (..., ...)`)

# %% role="exercise"
# answer_2 = your answer
### BEGIN SOLUTION
answer_2 = (55, 55)  # (227 - 11)/4 + 1
### END SOLUTION

# %% role="check"
check_answer(answer_2, (conv_output_size(227, 11, stride=4),) * 2,
             {(217, 217): "that is stride 1; divide H - FH by the stride",
              (54, 54): "the first window counts too: + 1"})

# %% [markdown]
# **Question 3.** A $64 \times 64$ input and $11 \times 11$ filters at stride 1: which padding
# $P$ keeps the output at $64 \times 64$? (`answer_3 = ...`)

# %% role="exercise"
# answer_3 = your answer
### BEGIN SOLUTION
answer_3 = 5        # (64 + 2*5 - 11)/1 + 1 = 64
### END SOLUTION

# %% role="check"
same_size = [p for p in range(11) if conv_output_size(64, 11, 1, p) == 64]
check_answer(answer_3, same_size[0],
             {10: "P is added on both sides: 2P = 10", 11: "P = (FH - 1)/2, not FH",
              0: "without padding the output shrinks"})

# %% [markdown]
# **Question 4.** A convolution layer has 64 filters of size $3 \times 3$ and works on a
# 32-channel input. How many parameters does it have, biases included? (`answer_4 = ...`)

# %% role="exercise"
# answer_4 = your answer
### BEGIN SOLUTION
answer_4 = 18496    # 64 * (32*3*3 + 1)
### END SOLUTION

# %% role="check"
FN, C, FH, FW = 64, 32, 3, 3
check_answer(answer_4, FN * C * FH * FW + FN,
             {FN * C * FH * FW: "that leaves out the biases, one per filter",
              FN * FH * FW + FN: "a filter spans all input channels: (C, FH, FW)",
              FN * FH * FW: "a filter spans all input channels, and has a bias"})

# %% [markdown]
# **Question 5.** A batch `x` of shape $(100, 3, 32, 32)$ goes through 16 filters of shape
# $(3, 5, 5)$, no padding, stride 1. What is the shape of the output?
# (`answer_5 = (N, FN, OH, OW)`)

# %% role="exercise"
# answer_5 = your answer
### BEGIN SOLUTION
answer_5 = (100, 16, 28, 28)
### END SOLUTION

# %% role="check"
OH = conv_output_size(32, 5)
check_answer(answer_5, (100, 16, OH, OH),
             {(100, 3, OH, OH): "one output channel per filter: FN, not C",
              (100, 16, 32, 32): "without padding a 5x5 filter takes 4 rows away",
              (16, 100, OH, OH): "the batch axis stays first"})

# %% [markdown]
# **Question 6.** Two stacked $5 \times 5$ convolutions (stride 1): how wide is the input
# region that one output pixel sees? (`answer_6 = ...`)

# %% role="exercise"
# answer_6 = your answer
### BEGIN SOLUTION
answer_6 = 9        # 1 + 2*(5 - 1)
### END SOLUTION

# %% role="check"
check_answer(answer_6, receptive_field_size([5, 5]),
             {10: "the layers overlap: each adds F - 1, not F",
              5: "that is one layer; the second adds F - 1 more",
              25: "that is a count of pixels; the question asks for the width"})

# %% [markdown]
# ## Summary
#
# * An Affine layer treats an image as an unordered list of numbers; a convolution
#   computes weighted sums over local windows with one set of weights shared by every
#   position, so it keeps neighbourhoods and shifts its output with its input.
# * Output size: $OH = (H + 2P - FH)/S + 1$, likewise $OW$. When it is not a whole
#   number the windows do not tile the input: this course refuses such a setting
#   with an error, where PyTorch, TensorFlow's `'VALID'` and the book round down.
# * Shapes: $(N, C, H, W) \ast (FN, C, FH, FW) + (FN,) \to (N, FN, OH, OW)$; a layer has
#   $FN\,C\,FH\,FW + FN$ parameters whatever the image size.
# * Stacked $3 \times 3$ filters reach as far as one big filter with fewer weights:
#   $r = 1 + L(F - 1)$.
#
# The next chapter asks how to compute all of this fast: loops over every output
# pixel are far too slow, and a trick called *im2col* turns a convolution into one
# matrix product.
