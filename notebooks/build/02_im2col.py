# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 2 — im2col: a convolution as one matrix product
#
# Chapter 1 computed a convolution the way it is defined: for every image, every
# filter and every output pixel, multiply a window by the filter and add up. Written
# out, that is seven nested loops — over the images $n$, the filters $f$, the output
# rows $i$ and columns $j$, and inside each window over the channels $c$ and the
# window's rows $u$ and columns $v$ — and Python executes each step of the inner
# ones one at a time. A single training epoch of a small network on MNIST would take
# hours.
#
# **The question of this chapter:** how can we hand the whole convolution to one
# fast matrix multiplication, what does that cost in memory, and how does the
# backward pass work once the windows have been copied around?
#
# The answer has a clumsy name, **im2col** ("image to columns"): copy every window
# of the input into a row of a big matrix, and the convolution becomes a single
# matrix product with the filters. You will write `im2col`, its partner `col2im`,
# and a `Convolution` layer built on them.

# %%
import time

import numpy as np
import matplotlib.pyplot as plt

from course_lib import DeepConvNet
from course_lib.checks import check_col2im, check_convolution, check_im2col
from course_lib.config import QUICK, pick
from course_lib.functional import conv_output_size
from course_lib.gradcheck import check_layer_gradients
from course_lib.naive import conv_backward_naive, conv_forward_naive

np.set_printoptions(precision=3, suppress=True, linewidth=88)
rng = np.random.default_rng(0)

# %% tags=["nbval-ignore-output"]
print("quick mode: smaller timing runs" if QUICK else "full mode")

# %% [markdown]
# ## 1. The loops
#
# `course_lib.naive.conv_forward_naive` is chapter 1's loop version: loops over
# images $n$, filters $f$ and output pixels $(i, j)$, with the three inner loops
# over $c$, $u$, $v$ left to one NumPy call that multiplies a whole window and adds
# it up:
#
# ```python
# for n in range(N):
#     for f in range(FN):
#         for i in range(OH):
#             for j in range(OW):
#                 window = xp[n, :, i*S:i*S + FH, j*S:j*S + FW]
#                 out[n, f, i, j] = np.sum(window * W[f]) + b[f]
# ```
#
# The number of trips through the inner body is $N \cdot FN \cdot OH \cdot OW$. For a
# mini-batch of 100 MNIST digits and the 30 filters of `SimpleConvNet` that is
# already 1.7 million:

# %%
N, FN, OH, OW = 100, 30, conv_output_size(28, 5), conv_output_size(28, 5)
print(f"{N} x {FN} x {OH} x {OW} = {N * FN * OH * OW:,} window products "
      f"for one forward pass")


# %% [markdown]
# ## 2. im2col: every window becomes a row
#
# Take one $1 \times 4 \times 4$ image (one channel) and a $3 \times 3$ filter. There are
# $2 \times 2 = 4$ window positions. `im2col` copies each window, flattened, into one
# row: a $4 \times 9$ matrix. Row 0 is the top-left window, row 1 the window one step
# to the right, and so on, row by row of output pixels.
#
# With $C$ channels a row holds the window of every channel, channel by channel, so
# its length is $C \cdot FH \cdot FW$ and its columns are ordered $(C, FH, FW)$, the
# order in which `window.reshape(-1)` reads a $(C, FH, FW)$ window. With $N$ images
# there are $N \cdot OH \cdot OW$ rows, image by image:
#
# $$
# \texttt{im2col}: (N, C, H, W) \longrightarrow (N \cdot OH \cdot OW,\; C \cdot FH \cdot FW).
# $$
#
# For a $(1, 3, 7, 7)$ input and a $5 \times 5$ filter: $OH = OW = 3$, so 9 rows of
# $3 \cdot 5 \cdot 5 = 75$ numbers. Ten such images give 90 rows.
#
# **Exercise 1.** Write `im2col(input_data, filter_h, filter_w, stride=1, pad=0)`
# with the book's signature: pad the images with zeros, then copy the window under
# every output pixel $(i, j)$ of every image into its row. A loop over the output
# pixels is fine: the speed comes from the matrix product that follows.
#
# <details><summary>Hint</summary>
#
# For one output pixel $(i, j)$, `xp[:, :, top:top + filter_h, left:left + filter_w]`
# is that window in all $N$ images at once, shape $(N, C, FH, FW)$, and
# `.reshape(N, -1)` turns it into $N$ rows. Fill an array of shape
# $(N, OH, OW, C \cdot FH \cdot FW)$ and reshape it at the end: its rows then come
# image by image, and within an image row by row.
# </details>

# %% role="exercise"
def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """(N, C, H, W) -> (N*OH*OW, C*filter_h*filter_w): one row per window."""
    ### BEGIN SOLUTION
    N, C, H, W = input_data.shape
    OH = conv_output_size(H, filter_h, stride, pad)
    OW = conv_output_size(W, filter_w, stride, pad)
    xp = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    col = np.zeros((N, OH, OW, C * filter_h * filter_w), dtype=input_data.dtype)
    for i in range(OH):
        for j in range(OW):
            top, left = i * stride, j * stride
            window = xp[:, :, top:top + filter_h, left:left + filter_w]   # (N, C, FH, FW)
            col[:, i, j] = window.reshape(N, -1)
    return col.reshape(N * OH * OW, -1)
    ### END SOLUTION


# %% role="check"
check_im2col(im2col)

# %% [markdown]
# From here on the chapter uses the course's `im2col`, which gives the same matrix
# without a Python loop over the output pixels. The tiny example:

# %%
from course_lib.functional import im2col   # from here on: the course's version

x = np.arange(16, dtype=float).reshape(1, 1, 4, 4)
print(x[0, 0])
col = im2col(x, 3, 3)
print("col", col.shape)
print(col)

# %% [markdown]
# Row 0 holds pixels 0, 1, 2, 4, 5, 6, 8, 9, 10: the top-left window. And the shapes
# for three channels:

# %%
x1 = rng.random((1, 3, 7, 7))
col1 = im2col(x1, 5, 5, stride=1, pad=0)
print(col1.shape)

x10 = rng.random((10, 3, 7, 7))
col10 = im2col(x10, 5, 5, stride=1, pad=0)
print(col10.shape)


# %% [markdown]
# ## 3. One matrix product, then a reshape
#
# Each filter $(C, FH, FW)$ flattened the same way is a column of length
# $C \cdot FH \cdot FW$; the $FN$ filters side by side form a
# $(C \cdot FH \cdot FW, FN)$ matrix, `W.reshape(FN, -1).T`. Row $r$ of `col` times
# column $f$ is exactly the multiply-accumulate of window $r$ with filter $f$, so
#
# $$
# \underbrace{\texttt{col}}_{(N \cdot OH \cdot OW,\ C FH FW)}\ \cdot\
# \underbrace{W_{\text{col}}}_{(C FH FW,\ FN)}\ +\ b
# \;=\; \underbrace{\texttt{out}}_{(N \cdot OH \cdot OW,\ FN)}
# $$
#
# computes every output value of the whole batch at once. The rows are ordered
# $(n, i, j)$ and the columns $f$, so a reshape to $(N, OH, OW, FN)$ and a transpose
# give the usual $(N, FN, OH, OW)$. Padding and stride only change which windows
# `im2col` copies; the product stays the same.
#
# ## 4. Backward: col2im adds up what im2col copied
#
# The backward pass gets $\partial L / \partial \texttt{out}$ and needs the gradients
# with respect to $W$, $b$ and $x$. Up to reshapes, the forward pass was an Affine
# layer applied to `col`, so the Affine layer's rules apply:
#
# $$
# \frac{\partial L}{\partial W_{\text{col}}} = \texttt{col}^{\top}\, d\texttt{out},\qquad
# \frac{\partial L}{\partial b} = \textstyle\sum_{\text{rows}} d\texttt{out},\qquad
# d\texttt{col} = d\texttt{out}\; W_{\text{col}}^{\top}.
# $$
#
# $d\texttt{col}$ has one row per window — but we need a gradient per *pixel*, and a
# pixel belongs to several windows. It influenced the loss through each of them, so
# by the chain rule its gradient is the **sum** of the gradients of all its copies.
# `col2im` does exactly that: it walks over the rows and *adds* each one back onto the
# window it came from.
#
# **Exercise 2.** Write `col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0)`:
# `col` has `im2col`'s layout, `input_shape` is $(N, C, H, W)$; return an
# $(N, C, H, W)$ array in which every row of `col` has been added onto its window.
#
# <details><summary>Hint</summary>
#
# Start from zeros of the *padded* shape $(N, C, H + 2P, W + 2P)$, reshape `col` to
# $(N, OH, OW, C, FH, FW)$, add `col[:, i, j]` onto the window of output pixel
# $(i, j)$ with `+=`, and cut the padding off at the end.
# </details>

# %% role="exercise"
def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """(N*OH*OW, C*filter_h*filter_w) -> (N, C, H, W): each row added onto its window."""
    ### BEGIN SOLUTION
    N, C, H, W = input_shape
    OH = conv_output_size(H, filter_h, stride, pad)
    OW = conv_output_size(W, filter_w, stride, pad)
    rows = col.reshape(N, OH, OW, C, filter_h, filter_w)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for i in range(OH):
        for j in range(OW):
            top, left = i * stride, j * stride
            img[:, :, top:top + filter_h, left:left + filter_w] += rows[:, i, j]
    return img[:, :, pad:pad + H, pad:pad + W]
    ### END SOLUTION


# %% role="check"
check_col2im(col2im)

# %% [markdown]
# Putting a matrix of ones through `col2im` counts how many windows cover each pixel:
# for a $7 \times 7$ image and a $5 \times 5$ filter,

# %%
from course_lib.functional import col2im   # from here on: the course's version

counts = col2im(np.ones((9, 75)), (1, 3, 7, 7), 5, 5)
print(counts[0, 0].astype(int))

# %%
fig, ax = plt.subplots(figsize=(3.6, 3.2))
im = ax.imshow(counts[0, 0], cmap="Oranges", vmin=0)
for (i, j), v in np.ndenumerate(counts[0, 0]):
    ax.text(j, i, int(v), ha="center", va="center")
ax.set_title("windows covering each pixel\n(7x7 input, 5x5 filter)", fontsize=10)
ax.set_xticks([])
ax.set_yticks([])
plt.show()


# %% [markdown]
# The centre pixel is in all 9 windows and receives 9 contributions; a corner pixel
# is in one.
#
# ## 5. The Convolution layer
#
# **Exercise 3.** Put sections 3 and 4 together into a layer with the book's
# interface: `Convolution(W, b, stride=1, pad=0)` with
#
# * `forward(x)`: $x$ of shape $(N, C, H, W)$ to $(N, FN, OH, OW)$, through `im2col`
#   and one matrix product; keep what the backward pass needs (`x`, `col`, the
#   reshaped filters);
# * `backward(dout)`: $d\texttt{out}$ of shape $(N, FN, OH, OW)$; set `self.dW`
#   (shape of `W`) and `self.db` (shape $(FN,)$), the sums over the whole batch, and
#   return $dx$ of shape $(N, C, H, W)$ through `col2im`.
#
# `im2col` and `col2im` are the course's now (or yours, if you define them again).
#
# <details><summary>Hint</summary>
#
# In `backward`, first bring `dout` into the row order of `col`:
# `dout.transpose(0, 2, 3, 1).reshape(-1, FN)` is $(N \cdot OH \cdot OW, FN)$. Then the
# three formulas of section 4 are three lines; `dW` comes out as
# $(C \cdot FH \cdot FW, FN)$ and needs `.T.reshape(FN, C, FH, FW)`.
# </details>

# %% role="exercise"
class Convolution:
    """W: (FN, C, FH, FW), b: (FN,).  forward: (N, C, H, W) -> (N, FN, OH, OW)."""

    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b = W, b
        self.stride, self.pad = stride, pad
        self.dW = self.db = None

    def forward(self, x):
        ### BEGIN SOLUTION
        FN, C, FH, FW = self.W.shape
        N, _, H, W = x.shape
        OH = conv_output_size(H, FH, self.stride, self.pad)
        OW = conv_output_size(W, FW, self.stride, self.pad)
        self.x = x
        self.col = im2col(x, FH, FW, self.stride, self.pad)   # (N*OH*OW, C*FH*FW)
        self.col_W = self.W.reshape(FN, -1).T                 # (C*FH*FW, FN)
        out = self.col @ self.col_W + self.b                  # (N*OH*OW, FN)
        return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)
        ### END SOLUTION

    def backward(self, dout):
        ### BEGIN SOLUTION
        FN, C, FH, FW = self.W.shape
        d = dout.transpose(0, 2, 3, 1).reshape(-1, FN)        # rows ordered like col
        self.db = d.sum(axis=0)
        self.dW = (self.col.T @ d).T.reshape(FN, C, FH, FW)
        dcol = d @ self.col_W.T                               # (N*OH*OW, C*FH*FW)
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)
        ### END SOLUTION


# %% role="check"
check_convolution(Convolution)

# %% [markdown]
# The course's `Convolution` in `course_lib.layers` is this layer, with checks of its
# inputs. It agrees with the loops, forward and backward, with padding and stride:

# %%
from course_lib.layers import Convolution   # from here on: the course's version

W = rng.standard_normal((4, 3, 5, 5))
b = rng.standard_normal(4)
for stride, pad in [(1, 0), (1, 2), (2, 1)]:
    layer = Convolution(W, b, stride, pad)
    out = layer.forward(x10)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    dx_loops, dW_loops, db_loops = conv_backward_naive(dout, x10, W, stride, pad)
    same = (np.allclose(out, conv_forward_naive(x10, W, b, stride, pad))
            and np.allclose(dx, dx_loops) and np.allclose(layer.dW, dW_loops)
            and np.allclose(layer.db, db_loops))
    print(f"stride {stride}, pad {pad}: output {out.shape}, "
          f"forward and backward same as the loops: {same}")

# %% [markdown]
# ### Gradient check
#
# Agreeing with the loops shows that two implementations of the same formulas
# agree; it does not show that the formulas are the derivative. For that we compare
# the layer's gradients with numerical ones, $\big(f(x + h) - f(x - h)\big)/2h$,
# entry by entry. This only works in **float64**: in float32 the rounding error of
# the difference is larger than the differences we are looking for. A correct layer
# agrees to a relative error far below $10^{-6}$.
#
# We check the course's layer and the fast one that the networks use,
# `course_lib.fast.Convolution` (section 6). The fast layer computes the input
# gradient of a stride-1 convolution differently — as a convolution of
# $d\texttt{out}$ with the flipped filters — and uses a channels-last `col2im` for
# larger strides, so each setting gets its own check:

# %%
from course_lib import fast

W_check, b_check = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
x_check = rng.standard_normal((2, 3, 7, 7))
results = {}
for cls in (Convolution, fast.Convolution):
    for stride, pad in [(1, 1), (2, 1)]:
        layer = cls(W_check, b_check, stride, pad)
        errors = check_layer_gradients(layer, x_check, seed=0)
        results[(cls.__module__, stride, pad)] = errors
        verdict = {k: "ok" if err < 1e-6 else "WRONG" for k, err in errors.items()}
        print(f"{cls.__module__}.Convolution, stride {stride}, pad {pad}:", verdict)

# %% tags=["nbval-ignore-output"]
for setting, errors in results.items():           # the relative errors themselves
    print(setting, {k: f"{err:.1e}" for k, err in errors.items()})

# %% [markdown]
# ## 6. The same windows in channels-last order
#
# `im2col` above produces the book's column order: channel first, then the window
# rows, then the window columns, $(C, FH, FW)$. Reading a window in that order from an
# $(N, C, H, W)$ array means jumping around memory: $FW$ neighbouring numbers, then a
# jump to the next row, and after $FH$ rows a jump to the next channel.
#
# The fast layers in `course_lib.fast`, which the networks use, store images
# channels-last, $(N, H, W, C)$, and gather windows with `windows_nhwc` in the order
# $(FH, FW, C)$. Then one window row of the input is $FW \cdot C$ numbers lying side
# by side in memory, and a window is just $FH$ such runs. Computers copy contiguous
# runs far faster than scattered single numbers. The filters are flattened in the
# same $(FH, FW, C)$ order, so the product is unchanged: it is the same sum, added up
# in a different order.
#
# `windows_nhwc` takes one more step. Told to copy an array of numbers, NumPy moves
# them one number at a time through a small inner loop, and for runs of only
# $FW \cdot C$ numbers the bookkeeping of that loop is a large part of the work. So
# the function views each run as a single opaque item of $FW \cdot C \cdot 4$ bytes
# (a NumPy `void` type) and copies those: the same bytes end up in the same places,
# in a fraction of the loop iterations.

# %%
from course_lib.fast import windows_nhwc

x_nhwc = x10.transpose(0, 2, 3, 1)                       # (N, H, W, C)
win = windows_nhwc(x_nhwc, 5, 5)                         # (N, OH, OW, FH, FW, C)
print("windows:", win.shape)

# The same numbers as the book's rows, columns permuted from (C, FH, FW) to (FH, FW, C):
book_rows = col10.reshape(-1, 3, 5, 5).transpose(0, 2, 3, 1).reshape(len(col10), -1)
print("same rows, other column order:",
      np.array_equal(win.reshape(len(col10), -1), book_rows))

fast_layer = fast.Convolution(W, b)                      # channels-last inside
print("fast layer == course layer:",
      np.allclose(fast_layer.forward(x10), Convolution(W, b).forward(x10)))


# %% [markdown]
# How much faster is the gather? On a batch shaped like the second layer of
# `DeepConvNet` (16 channels of 28 x 28):

# %% tags=["nbval-ignore-output"]
def best_time(f, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)

xg = rng.standard_normal((pick(100, 20), 16, 28, 28)).astype(np.float32)
xg_nhwc = np.ascontiguousarray(xg.transpose(0, 2, 3, 1))
t_book = best_time(lambda: im2col(xg, 3, 3, 1, 1))
t_nhwc = best_time(lambda: windows_nhwc(xg_nhwc, 3, 3, 1, 1))
print(f"im2col (C, FH, FW) order:       {1e3 * t_book:7.1f} ms")
print(f"windows_nhwc (FH, FW, C) order: {1e3 * t_nhwc:7.1f} ms"
      f"   ({t_book / t_nhwc:.1f} times faster)")

# %% [markdown]
# ## 7. Timing: loops against im2col
#
# Three convolutions from the course's networks, on float32 batches: the first layer
# of `SimpleConvNet` and two layers of `DeepConvNet`. We time the loops, the course's
# im2col layer (`course_lib.layers.Convolution`, your exercise 3) and the fast layer
# (`course_lib.fast.Convolution`), and report the time per image. (The loops run on
# fewer images, since they are so slow; per image the comparison is fair. In quick
# mode every batch is smaller. Your numbers will differ from the ones stored in this
# notebook, which come from one run on one machine.)

# %% tags=["nbval-ignore-output"]
configs = [  # name, (C, H, W), (FN, FH, FW), pad
    ("SimpleConvNet conv1", (1, 28, 28), (30, 5, 5), 0),
    ("DeepConvNet conv2", (16, 28, 28), (16, 3, 3), 1),
    ("DeepConvNet conv4", (32, 14, 14), (32, 3, 3), 2),
]
n_loops, n_fast = pick(full=20, quick=2), pick(full=100, quick=10)

rows = []
for name, (C, H, Wd), (FN, FH, FW), pad in configs:
    Wc = (0.1 * rng.standard_normal((FN, C, FH, FW))).astype(np.float32)
    bc = np.zeros(FN, dtype=np.float32)
    xs = rng.random((n_fast, C, H, Wd)).astype(np.float32)
    book, quick_layer = Convolution(Wc, bc, pad=pad), fast.Convolution(Wc, bc, pad=pad)
    t_loops = best_time(lambda: conv_forward_naive(xs[:n_loops], Wc, bc, pad=pad),
                        repeat=1) / n_loops
    t_book = best_time(lambda: book.forward(xs)) / n_fast
    t_fast = best_time(lambda: quick_layer.forward(xs)) / n_fast
    rows.append((name, t_loops, t_book, t_fast))

print(f"{'layer':<22}{'loops':>11}{'im2col':>11}{'fast':>11}   speed-up over loops")
for name, t_loops, t_book, t_fast in rows:
    times = "".join(f"{1e3 * t:>8.3f} ms" for t in (t_loops, t_book, t_fast))
    print(f"{name:<22}{times}   {t_loops / t_book:>5.0f}x / {t_loops / t_fast:>5.0f}x")
print("(time per image)")
book_x = [t_loops / t_book for _, t_loops, t_book, _ in rows]
fast_x = [t_loops / t_fast for _, t_loops, _, t_fast in rows]
print(f"im2col: {min(book_x):.0f} to {max(book_x):.0f} times faster than the loops; "
      f"the fast layer: {min(fast_x):.0f} to {max(fast_x):.0f} times")

# %% tags=["nbval-ignore-output"]
fig, ax = plt.subplots(figsize=(8, 3.6))
labels = ["loops", "im2col (course_lib.layers)", "fast (course_lib.fast)"]
width = 0.26
for k, label in enumerate(labels):
    ax.bar(np.arange(len(rows)) + (k - 1) * width, [1e3 * r[k + 1] for r in rows], width,
           label=label)
ax.set_xticks(np.arange(len(rows)), [r[0] for r in rows])
ax.set_yscale("log")
ax.set_ylabel("milliseconds per image (log scale)")
ax.set_title("forward pass of one convolution layer")
ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
fig.tight_layout()
plt.show()

# %% [markdown]
# The last column of the table gives the speed-up over the loops on this machine,
# and the line under it its range; the factors depend on the layer, on the machine and
# on what else it is doing, so run the cell yourself. The matrix product runs in
# optimised, multi-threaded machine code (BLAS), touching every number a handful of
# times, while the loops pay the Python interpreter's overhead for every single window.
#
# Where the fast layer is faster again than the book's im2col, it is because it
# gathers contiguous channels-last runs (section 6) and works through the batch in
# cache-sized blocks spread over the processor's cores (section 8).

# %% [markdown]
# ## 8. What im2col costs: memory
#
# The price is memory. Every input pixel is copied into up to $FH \cdot FW$ rows, so
# `col` is about $FH \cdot FW$ times larger than the input (exactly
# $\frac{OH \cdot OW \cdot FH \cdot FW}{H \cdot W}$ times). A layer built the
# straightforward way, like your `Convolution`, keeps it until the backward pass,
# because $\partial L / \partial W = \texttt{col}^\top\, d\texttt{out}$ needs it.
# Here is the bill for the six convolutions of `DeepConvNet`, for a mini-batch of 100
# images in float32 (4 bytes per number):

# %%
net = DeepConvNet(seed=0)
N, bytes_per_number = 100, 4
shape = (1, 28, 28)
total_in = total_col = 0
print(f"{'layer':<7}{'input (C,H,W)':<15}{'filters':<15}{'col shape':<17}"
      f"{'input MB':>9}{'col MB':>8}{'ratio':>7}")
k = 0
for layer in net.layers:
    if isinstance(layer, Convolution):       # the fast layers are Convolutions too
        k += 1
        FN, C, FH, FW = layer.W.shape
        out_shape = layer.output_shape(shape)
        col_shape = (N * out_shape[1] * out_shape[2], C * FH * FW)
        in_bytes = N * int(np.prod(shape)) * bytes_per_number
        col_bytes = col_shape[0] * col_shape[1] * bytes_per_number
        total_in, total_col = total_in + in_bytes, total_col + col_bytes
        print(f"conv{k:<3}{str(shape):<15}{str(layer.W.shape):<15}{str(col_shape):<17}"
              f"{in_bytes / 1e6:>9.2f}{col_bytes / 1e6:>8.2f}"
              f"{col_bytes / in_bytes:>7.1f}")
    if hasattr(layer, "output_shape"):
        shape = tuple(layer.output_shape(shape))
print(f"{'total':<54}{total_in / 1e6:>9.2f}{total_col / 1e6:>8.2f}")

# %% [markdown]
# About 110 MB of window copies for one mini-batch of 100 small grey images —
# nearly ten times the layers' inputs themselves (conv4 is padded by 2, so its
# windows overlap the input even more). For 224 x 224 colour photographs and wider
# layers the same trick needs gigabytes.
#
# There are two ways out. Large libraries use algorithms that never build `col`
# (direct convolution kernels, FFT or Winograd transforms). `course_lib.fast`'s
# `Convolution` keeps im2col but works through the batch in blocks of a few
# megabytes: each block's windows are gathered, multiplied and dropped, and the
# backward pass gathers them again from the (padded) input instead of storing them.
# A block small enough to stay in the processor's cache is even faster than one huge
# matrix, and the blocks can run on several cores at once.
#
# ## Questions
#
# Predict first, then let the code compute it: write your prediction in the cell,
# run it and the cell after it.
#
# **Question 1.** What shape does `im2col` give for a $(2, 4, 10, 10)$ input, a
# $3 \times 3$ filter, padding 1 and stride 1? (`shape_1 = (rows, columns)`)

# %% role="exercise"
# shape_1 = your prediction, a tuple (rows, columns)
### BEGIN SOLUTION
shape_1 = (200, 36)      # 2 images x 10 x 10 windows, 4 channels x 3 x 3
### END SOLUTION

# %% role="check"
computed = im2col(np.zeros((2, 4, 10, 10)), 3, 3, stride=1, pad=1).shape
print(f"your prediction {tuple(shape_1)}, im2col gives {computed}:",
      "right" if tuple(shape_1) == computed else "not yet, see section 2")

# %% [markdown]
# **Question 2.** When the stride equals the filter size, the windows do not
# overlap. How many windows cover each pixel of an $8 \times 8$ image with $2 \times 2$
# windows at stride 2? (`covers_2 = ...`)

# %% role="exercise"
# covers_2 = your prediction
### BEGIN SOLUTION
covers_2 = 1             # the windows tile the image
### END SOLUTION

# %% role="check"
counts = col2im(np.ones((16, 4)), (1, 1, 8, 8), 2, 2, stride=2)[0, 0]
print(f"your prediction {covers_2}; col2im counts {counts.min():g} to {counts.max():g}:",
      "right" if np.all(counts == covers_2) else "not yet")

# %% [markdown]
# ## Summary
#
# * `im2col` copies every filter window into a row: $(N, C, H, W) \to
#   (N \cdot OH \cdot OW, C \cdot FH \cdot FW)$; one matrix product with the flattened
#   filters and a reshape give the convolution.
# * Backward: $dW = \texttt{col}^\top d\texttt{out}$,
#   $d\texttt{col} = d\texttt{out}\,W_{\text{col}}^\top$,
#   and `col2im` *adds* the rows back, because a pixel shared by several windows
#   receives the sum of their gradients.
# * `course_lib.fast` gathers the same windows channels-last, $(FH, FW, C)$, which
#   copies contiguous runs of memory and gives the same convolution.
# * The speed-up over loops is large (section 7 measures it on your machine); the
#   price is a `col` matrix about $FH \cdot FW$ times larger than the input.
#
# Next: pooling, the other layer of a convolutional network, built from the same
# windows.
