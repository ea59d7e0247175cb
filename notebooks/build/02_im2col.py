"""Writes notebooks/02_im2col.ipynb (without outputs).

Run from the repository root:  python notebooks/build/02_im2col.py
then execute the notebook in full mode to store its outputs:
  jupyter nbconvert --to notebook --execute --inplace notebooks/02_im2col.ipynb
"""
from builder import IGNORE, code, md, save


# ---------------------------------------------------------------------------
md(r"""
# Chapter 2 — im2col: a convolution as one matrix product

Chapter 1 computed a convolution the way it is defined: for every image, every
filter and every output pixel, multiply a window by the filter and add up. That is
six nested loops, and Python executes each step of the inner ones one at a time.
A single training epoch of a small network on MNIST would take hours.

**The question of this chapter:** how can we hand the whole convolution to one
fast matrix multiplication, what does that cost in memory, and how does the
backward pass work once the windows have been copied around?

The answer has a clumsy name, **im2col** ("image to columns"): copy every window
of the input into a row of a big matrix, and the convolution becomes a single
matrix product with the filters.
""")

code(r"""
import time

import numpy as np
import matplotlib.pyplot as plt

from course_lib import DeepConvNet
from course_lib.config import QUICK, pick
from course_lib.functional import col2im, conv_output_size, im2col, windows_nhwc
from course_lib.gradcheck import check_layer_gradients
from course_lib.layers import Convolution
from course_lib.naive import conv_backward_naive, conv_forward_naive

np.set_printoptions(precision=3, suppress=True, linewidth=110)
rng = np.random.default_rng(0)
""")

code(r"""
print("quick mode: smaller timing runs" if QUICK else "full mode")
""", IGNORE)

# ---------------------------------------------------------------------------
md(r"""
## 1. The loops

`course_lib.naive.conv_forward_naive` is the definition written as loops over
images $n$, filters $f$ and output pixels $(i, j)$; the sum over the channels and
the window is one NumPy call:

```python
for n in range(N):
    for f in range(FN):
        for i in range(OH):
            for j in range(OW):
                window = xp[n, :, i*S:i*S + FH, j*S:j*S + FW]
                out[n, f, i, j] = np.sum(window * W[f]) + b[f]
```

The number of trips through the inner body is $N \cdot FN \cdot OH \cdot OW$. For a
mini-batch of 100 MNIST digits and the 30 filters of `SimpleConvNet` that is
already 1.7 million:
""")

code(r"""
N, FN, OH, OW = 100, 30, conv_output_size(28, 5), conv_output_size(28, 5)
print(f"{N} x {FN} x {OH} x {OW} = {N * FN * OH * OW:,} window products for one forward pass")
""")

# ---------------------------------------------------------------------------
md(r"""
## 2. im2col on a tiny example

Take one $1 \times 4 \times 4$ image (one channel) and a $3 \times 3$ filter. There are
$2 \times 2 = 4$ window positions. `im2col` copies each window, flattened, into one
row: a $4 \times 9$ matrix.
""")

code(r"""
x = np.arange(16, dtype=float).reshape(1, 1, 4, 4)
print(x[0, 0])
col = im2col(x, 3, 3)
print("col", col.shape)
print(col)
""")

md(r"""
Row 0 is the top-left window (pixels 0, 1, 2, 4, 5, 6, 8, 9, 10), row 1 the window
one step to the right, and so on. With $C$ channels a row holds the window of every
channel, channel by channel, so its length is $C \cdot FH \cdot FW$; with $N$ images
there are $N \cdot OH \cdot OW$ rows:

$$
\texttt{im2col}: (N, C, H, W) \longrightarrow (N \cdot OH \cdot OW,\; C \cdot FH \cdot FW).
$$

For a $(1, 3, 7, 7)$ input and a $5 \times 5$ filter: $OH = OW = 3$, so 9 rows of
$3 \cdot 5 \cdot 5 = 75$ numbers. Ten such images give 90 rows.
""")

code(r"""
x1 = rng.random((1, 3, 7, 7))
col1 = im2col(x1, 5, 5, stride=1, pad=0)
print(col1.shape)

x10 = rng.random((10, 3, 7, 7))
col10 = im2col(x10, 5, 5, stride=1, pad=0)
print(col10.shape)
""")

md(r"""
## 3. One matrix product, then a reshape

Each filter $(C, FH, FW)$ flattened the same way is a column of length
$C \cdot FH \cdot FW$; the $FN$ filters side by side form a
$(C \cdot FH \cdot FW, FN)$ matrix. Row $r$ of `col` times column $f$ is exactly the
multiply-accumulate of window $r$ with filter $f$, so

$$
\underbrace{\texttt{col}}_{(N \cdot OH \cdot OW,\ C FH FW)}\ \cdot\
\underbrace{W_{\text{col}}}_{(C FH FW,\ FN)}\ +\ b
\;=\; \underbrace{\texttt{out}}_{(N \cdot OH \cdot OW,\ FN)}
$$

computes every output value of the whole batch at once. The rows are ordered
$(n, i, j)$ and the columns $f$, so a reshape to $(N, OH, OW, FN)$ and a transpose
give the usual $(N, FN, OH, OW)$.
""")

code(r"""
def conv_forward_im2col(x, W, b, stride=1, pad=0):
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    OH, OW = conv_output_size(H, FH, stride, pad), conv_output_size(Wd, FW, stride, pad)
    col = im2col(x, FH, FW, stride, pad)               # (N*OH*OW, C*FH*FW)
    W_col = W.reshape(FN, -1).T                        # (C*FH*FW, FN)
    out = col @ W_col + b                              # (N*OH*OW, FN)
    return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)

W = rng.standard_normal((4, 3, 5, 5))
b = rng.standard_normal(4)
out_fast = conv_forward_im2col(x10, W, b)
out_loops = conv_forward_naive(x10, W, b)
print(out_fast.shape, " same as the loops:", np.allclose(out_fast, out_loops))
""")

md(r"""
Padding and stride only change which windows `im2col` copies; the product stays the
same:
""")

code(r"""
for stride, pad in [(1, 2), (2, 1)]:
    a = conv_forward_im2col(x10, W, b, stride, pad)
    print(f"stride {stride}, pad {pad}: output {a.shape}, same as the loops:",
          np.allclose(a, conv_forward_naive(x10, W, b, stride, pad)))
""")

# ---------------------------------------------------------------------------
md(r"""
## 4. Backward: col2im adds up what im2col copied

The backward pass gets $\partial L / \partial \texttt{out}$ and needs the gradients
with respect to $W$, $b$ and $x$. Up to reshapes, the forward pass was an Affine
layer applied to `col`, so the Affine layer's rules apply:

$$
\frac{\partial L}{\partial W_{\text{col}}} = \texttt{col}^{\top}\, d\texttt{out},\qquad
\frac{\partial L}{\partial b} = \textstyle\sum_{\text{rows}} d\texttt{out},\qquad
d\texttt{col} = d\texttt{out}\; W_{\text{col}}^{\top}.
$$

$d\texttt{col}$ has one row per window — but we need a gradient per *pixel*, and a
pixel belongs to several windows. It influenced the loss through each of them, so
by the chain rule its gradient is the **sum** of the gradients of all its copies.
`col2im` does exactly that: it walks over the rows and *adds* each one back onto the
window it came from.

Putting a matrix of ones through `col2im` counts how many windows cover each pixel.
For a $7 \times 7$ image and a $5 \times 5$ filter the centre pixel is in all 9
windows, a corner pixel in just 1:
""")

code(r"""
counts = col2im(np.ones((9, 75)), (1, 3, 7, 7), 5, 5)
print(counts[0, 0].astype(int))
""")

code(r"""
fig, ax = plt.subplots(figsize=(3.6, 3.2))
im = ax.imshow(counts[0, 0], cmap="Oranges", vmin=0)
for (i, j), v in np.ndenumerate(counts[0, 0]):
    ax.text(j, i, int(v), ha="center", va="center")
ax.set_title("windows covering each pixel\n(7x7 input, 5x5 filter)", fontsize=10)
ax.set_xticks([]); ax.set_yticks([])
plt.show()
""")

md(r"""
Now the whole backward pass, checked against the loop version
`conv_backward_naive`:
""")

code(r"""
def conv_backward_im2col(dout, x, W, stride=1, pad=0):
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    d = dout.transpose(0, 2, 3, 1).reshape(-1, FN)     # (N*OH*OW, FN), rows ordered like col
    col = im2col(x, FH, FW, stride, pad)
    dW = (col.T @ d).T.reshape(W.shape)
    db = d.sum(axis=0)
    dcol = d @ W.reshape(FN, -1)                       # (N*OH*OW, C*FH*FW)
    dx = col2im(dcol, x.shape, FH, FW, stride, pad)    # shared pixels add up
    return dx, dW, db

dout = rng.standard_normal(out_fast.shape)
for name, a, c in zip(["dx", "dW", "db"], conv_backward_im2col(dout, x10, W),
                      conv_backward_naive(dout, x10, W)):
    print(f"{name}: shape {a.shape}, same as the loops: {np.allclose(a, c)}")
""")

md(r"""
## 5. Gradient check of the Convolution layer

`course_lib.layers.Convolution` implements this forward and backward pass. A
formula can be right and its code still wrong, so we compare the layer's gradients
with numerical ones, $\big(f(x + h) - f(x - h)\big)/2h$, entry by entry.
This only works in **float64**: in float32 the rounding error of the difference is
larger than the differences we are looking for. A correct layer agrees to a
relative error far below $10^{-6}$. We check two settings, because the layer takes
a different path for stride 1 (the input gradient is itself a convolution, with the
flipped filters) and for larger strides (col2im):
""")

code(r"""
results = {}
for stride, pad in [(1, 1), (2, 1)]:
    layer = Convolution(rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4), stride=stride, pad=pad)
    x_check = rng.standard_normal((2, 3, 7, 7))
    results[(stride, pad)] = check_layer_gradients(layer, x_check, seed=0)
    verdict = {k: "ok" if err < 1e-6 else "WRONG" for k, err in results[(stride, pad)].items()}
    print(f"stride {stride}, pad {pad}:", verdict)
""")

code(r"""
for setting, errors in results.items():           # the relative errors themselves
    print(setting, {k: f"{err:.1e}" for k, err in errors.items()})
""", IGNORE)

# ---------------------------------------------------------------------------
md(r"""
## 6. The same windows in channels-last order

`im2col` above produces the book's column order: channel first, then the window
rows, then the window columns, $(C, FH, FW)$. Reading a window in that order from an
$(N, C, H, W)$ array means jumping around memory: $FW$ neighbouring numbers, then a
jump to the next row, and after $FH$ rows a jump to the next channel.

`course_lib`'s layers store images channels-last, $(N, H, W, C)$, and gather windows
with `windows_nhwc` in the order $(FH, FW, C)$. Then one window row of the input is
$FW \cdot C$ numbers lying side by side in memory, and a window is just $FH$ such
runs. Computers copy contiguous runs far faster than scattered single numbers. The
filters are flattened in the same $(FH, FW, C)$ order, so the product is unchanged:
it is the same sum, added up in a different order.

`windows_nhwc` takes one more step. Told to copy an array of numbers, NumPy moves
them one number at a time through a small inner loop, and for runs of only
$FW \cdot C$ numbers the bookkeeping of that loop is a large part of the work. So
the function views each run as a single opaque item of $FW \cdot C \cdot 4$ bytes
(a NumPy `void` type) and copies those: the same bytes end up in the same places,
in a fraction of the loop iterations.
""")

code(r"""
x_nhwc = x10.transpose(0, 2, 3, 1)                       # (N, H, W, C)
win = windows_nhwc(x_nhwc, 5, 5)                         # (N, OH, OW, FH, FW, C)
print("windows:", win.shape)

# The same numbers as the book's rows, columns permuted from (C, FH, FW) to (FH, FW, C):
book_rows = col10.reshape(-1, 3, 5, 5).transpose(0, 2, 3, 1).reshape(len(col10), -1)
print("same rows, other column order:", np.array_equal(win.reshape(len(col10), -1), book_rows))

layer = Convolution(W, b)                                # the course_lib layer (channels-last inside)
print("Convolution layer == book im2col:", np.allclose(layer.forward(x10), out_fast))
""")

md(r"""
How much faster is the gather? On a batch shaped like the second layer of
`DeepConvNet` (16 channels of 28 x 28):
""")

code(r"""
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
print(f"windows_nhwc (FH, FW, C) order: {1e3 * t_nhwc:7.1f} ms   ({t_book / t_nhwc:.1f} times faster)")
""", IGNORE)

# ---------------------------------------------------------------------------
md(r"""
## 7. Timing: loops against im2col

Three convolutions from the course's networks, on float32 batches: the first layer
of `SimpleConvNet` and two layers of `DeepConvNet`. We time the loops, the book's
im2col version above, and `course_lib`'s `Convolution` layer, and report the time
per image. (The loops run on fewer images, since they are so slow; per image the
comparison is fair. In quick mode every batch is smaller. Your numbers will differ
from the ones stored in this notebook, which come from one run on one machine.)
""")

code(r"""
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
    layer = Convolution(Wc, bc, pad=pad)
    t_loops = best_time(lambda: conv_forward_naive(xs[:n_loops], Wc, bc, pad=pad), repeat=1) / n_loops
    t_book = best_time(lambda: conv_forward_im2col(xs, Wc, bc, pad=pad)) / n_fast
    t_layer = best_time(lambda: layer.forward(xs)) / n_fast
    rows.append((name, t_loops, t_book, t_layer))

print(f"{'layer':<22}{'loops':>12}{'im2col':>12}{'Convolution':>13}   speed-up over loops")
for name, t_loops, t_book, t_layer in rows:
    print(f"{name:<22}{1e3 * t_loops:>9.2f} ms{1e3 * t_book:>9.3f} ms{1e3 * t_layer:>10.3f} ms"
          f"   {t_loops / t_book:>5.0f}x / {t_loops / t_layer:>5.0f}x")
print("(time per image)")
""", IGNORE)

code(r"""
fig, ax = plt.subplots(figsize=(8, 3.6))
labels = ["loops", "im2col (book layout)", "Convolution layer"]
width = 0.26
for k, label in enumerate(labels):
    ax.bar(np.arange(len(rows)) + (k - 1) * width, [1e3 * r[k + 1] for r in rows], width, label=label)
ax.set_xticks(np.arange(len(rows)), [r[0] for r in rows])
ax.set_yscale("log")
ax.set_ylabel("milliseconds per image (log scale)")
ax.set_title("forward pass of one convolution layer")
ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
fig.tight_layout()
plt.show()
""", IGNORE)

md(r"""
About two orders of magnitude (the exact factor depends on the layer and the
machine): the matrix product runs in optimised, multi-threaded machine code (BLAS),
touching every number a handful of times, while the loops pay the Python
interpreter's overhead for every single window.

The `Convolution` layer is faster again than the book's im2col, several times so on
the wider layers: it gathers contiguous channels-last runs (section 6), and it works through the
batch in cache-sized blocks spread over the processor's cores (section 8).
""")

# ---------------------------------------------------------------------------
md(r"""
## 8. What im2col costs: memory

The price is memory. Every input pixel is copied into up to $FH \cdot FW$ rows, so
`col` is about $FH \cdot FW$ times larger than the input (exactly
$\frac{OH \cdot OW \cdot FH \cdot FW}{H \cdot W}$ times). A layer built the
straightforward way, like `conv_forward_im2col` above, keeps it until the backward pass,
because $\partial L / \partial W = \texttt{col}^\top\, d\texttt{out}$ needs it.
Here is the bill for the six convolutions of `DeepConvNet`, for a mini-batch of 100
images in float32 (4 bytes per number):
""")

code(r"""
net = DeepConvNet(seed=0)
N, bytes_per_number = 100, 4
shape = (1, 28, 28)
total_in = total_col = 0
print(f"{'layer':<8}{'input (C,H,W)':<16}{'filters':<16}{'col shape':<20}{'input MB':>10}{'col MB':>10}{'ratio':>7}")
k = 0
for layer in net.layers:
    if isinstance(layer, Convolution):
        k += 1
        FN, C, FH, FW = layer.W.shape
        out_shape = layer.output_shape(shape)
        col_shape = (N * out_shape[1] * out_shape[2], C * FH * FW)
        in_bytes = N * int(np.prod(shape)) * bytes_per_number
        col_bytes = col_shape[0] * col_shape[1] * bytes_per_number
        total_in, total_col = total_in + in_bytes, total_col + col_bytes
        print(f"conv{k:<4}{str(shape):<16}{str(layer.W.shape):<16}{str(col_shape):<20}"
              f"{in_bytes / 1e6:>10.2f}{col_bytes / 1e6:>10.2f}{col_bytes / in_bytes:>7.1f}")
    if hasattr(layer, "output_shape"):
        shape = tuple(layer.output_shape(shape))
print(f"{'total':<60}{total_in / 1e6:>10.2f}{total_col / 1e6:>10.2f}")
""")

md(r"""
About 110 MB of window copies for one mini-batch of 100 small grey images —
nearly ten times the layers' inputs themselves (conv4 is padded by 2, so its
windows overlap the input even more). For 224 x 224 colour photographs and wider
layers the same trick needs gigabytes.

There are two ways out. Large libraries use algorithms that never build `col`
(direct convolution kernels, FFT or Winograd transforms). `course_lib`'s
`Convolution` keeps im2col but works through the batch in blocks of a few
megabytes: each block's windows are gathered, multiplied and dropped, and the
backward pass gathers them again from the (padded) input instead of storing them.
A block small enough to stay in the processor's cache is even faster than one huge
matrix, and the blocks can run on several cores at once.

## Check yourself

1. `im2col` of a $(2, 4, 10, 10)$ input with a $3 \times 3$ filter, padding 1, stride 1:
   what shape? Compute it, then run `im2col(np.zeros((2, 4, 10, 10)), 3, 3, 1, 1).shape`.
2. Why must `col2im` *add* rather than *assign*? Change `+=` to `=` in your head and
   predict what `col2im(np.ones((9, 75)), (1, 3, 7, 7), 5, 5)` would return.
3. For a stride equal to the filter size (non-overlapping windows), how many
   windows cover each pixel? Check with `col2im`.
""")

code(r"""
print(im2col(np.zeros((2, 4, 10, 10)), 3, 3, 1, 1).shape)
print(col2im(np.ones((4, 4)), (1, 1, 4, 4), 2, 2, stride=2)[0, 0])
""")

md(r"""
## Summary

* `im2col` copies every filter window into a row: $(N, C, H, W) \to
  (N \cdot OH \cdot OW, C \cdot FH \cdot FW)$; one matrix product with the flattened
  filters and a reshape give the convolution.
* Backward: $dW = \texttt{col}^\top d\texttt{out}$, $d\texttt{col} = d\texttt{out}\,W_{\text{col}}^\top$,
  and `col2im` *adds* the rows back, because a pixel shared by several windows
  receives the sum of their gradients.
* `course_lib` gathers the same windows channels-last, $(FH, FW, C)$, which copies
  contiguous runs of memory and gives the same convolution.
* The speed-up over loops is about two orders of magnitude; the price is a `col`
  matrix about $FH \cdot FW$ times larger than the input.

Next: pooling, the other layer of a convolutional network, built from the same
windows.
""")

save("02_im2col.ipynb")
