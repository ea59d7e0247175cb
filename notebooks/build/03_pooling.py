"""Writes notebooks/03_pooling.ipynb (without outputs).

Run from the repository root:  python notebooks/build/03_pooling.py
then execute the notebook in full mode to store its outputs:
  jupyter nbconvert --to notebook --execute --inplace notebooks/03_pooling.ipynb
"""
from builder import IGNORE, code, md, save


# ---------------------------------------------------------------------------
md(r"""
# Chapter 3 — Pooling

A convolution layer keeps the size of its input (with padding) and multiplies the
number of channels. Stack a few and the activations grow: `DeepConvNet`'s second
layer already produces $16 \times 28 \times 28 = 12{,}544$ numbers per image. Yet to
tell a 3 from an 8 we do not need to know *exactly* where each stroke is, only
roughly.

**The question of this chapter:** how does a network summarise a neighbourhood
into one number, where does the gradient go when only one number of a window
survived, and what does the summary buy us?

The answer is **pooling**: slide a window over each channel and keep one number per
window — the largest (**max pooling**) or the mean (**average pooling**). With
$2 \times 2$ windows and stride 2 the image shrinks to a quarter.
""")

code(r"""
import numpy as np
import matplotlib.pyplot as plt

from course_lib import load_mnist
from course_lib.functional import im2col
from course_lib.gradcheck import check_layer_gradients
from course_lib.layers import Convolution, Pooling
from course_lib.naive import pool_backward_naive, pool_forward_naive
from course_lib.widgets import draw_pool_gradient, draw_pool_window, pool_explorer

np.set_printoptions(precision=3, suppress=True)
rng = np.random.default_rng(0)
""")

# ---------------------------------------------------------------------------
md(r"""
## 1. Forward: one number per window

For a window $R_{ij}$ (the $PH \times PW$ pixels under output pixel $(i, j)$) of
channel $c$:

$$
y_{c,ij}^{\max} = \max_{(u,v) \in R_{ij}} x_{c,uv}, \qquad
y_{c,ij}^{\text{avg}} = \frac{1}{PH\,PW}\sum_{(u,v) \in R_{ij}} x_{c,uv}.
$$

The output size follows the same formula as a convolution,
$OH = (H + 2P - PH)/S + 1$. Pooling usually takes stride = window size, so the
windows tile the image without overlapping.
""")

code(r"""
x = np.array([[1, 3, 2, 0],
              [4, 2, 1, 1],
              [0, 1, 5, 6],
              [2, 2, 7, 3]], dtype=float)[None, None]   # (N, C, H, W) = (1, 1, 4, 4)
print("max pooling:\n", Pooling(2, 2, stride=2, mode="max").forward(x)[0, 0])
print("average pooling:\n", Pooling(2, 2, stride=2, mode="avg").forward(x)[0, 0])
""")

md(r"""
### Via the windows

Pooling treats every channel on its own, so we can reuse `im2col` from the previous
chapter by pretending each channel is a separate one-channel image: reshape
$(N, C, H, W)$ to $(N \cdot C, 1, H, W)$, gather the windows into rows, and take the
maximum (or the mean) of each row. A reshape puts the channels back.
""")

code(r"""
def pool_forward_im2col(x, size, stride, mode="max"):
    N, C, H, W = x.shape
    col = im2col(x.reshape(N * C, 1, H, W), size, size, stride)   # (N*C*OH*OW, size*size)
    out = col.max(axis=1) if mode == "max" else col.mean(axis=1)
    OH, OW = (H - size) // stride + 1, (W - size) // stride + 1
    return out.reshape(N, C, OH, OW)

xb = rng.standard_normal((8, 3, 12, 12))
for mode in ("max", "avg"):
    for size, stride in [(2, 2), (3, 3), (3, 1)]:
        same = np.allclose(pool_forward_im2col(xb, size, stride, mode),
                           Pooling(size, size, stride=stride, mode=mode).forward(xb))
        print(f"{mode} {size}x{size} stride {stride}: im2col version == Pooling layer: {same}")
""")

md(r"""
(`course_lib`'s `Pooling` layer gathers the same windows channels-last with
`windows_nhwc`, as the convolution does, and keeps all channels together instead of
folding them into the batch axis.)

## 2. Backward: where does the gradient go?

**Max pooling.** Within one window, the output equals one input — the largest.
Nudging that input nudges the output by the same amount; nudging any other input
of the window (a little) changes nothing. So

$$
\frac{\partial y_{ij}}{\partial x_{uv}} =
\begin{cases} 1 & \text{if } (u, v) \text{ is the position of the maximum of } R_{ij},\\
0 & \text{otherwise,}\end{cases}
$$

and the backward pass *routes* each upstream gradient to the one pixel that won its
window; all others get zero. The forward pass must remember the winners' positions
(`argmax`). If two pixels tie, one of them is picked (the first), which is a valid
choice of subgradient.

**Average pooling.** Every input contributes $1/(PH\,PW)$ of the output, so each
upstream gradient is *shared* equally: each of the $PH\,PW$ pixels of the window
receives $d y_{ij}/(PH\,PW)$.

When windows overlap (stride smaller than the window) a pixel can collect
gradients from several windows, and they add up, exactly as in `col2im`.
The pictures show the routing for the $4 \times 4$ example with upstream
gradients 1, 2, 3, 4; each window has its own colour.
""")

code(r"""
fig, dx_max = draw_pool_gradient(x[0, 0], pool_size=2, stride=2, mode="max")
plt.show()
print(dx_max)
""")

code(r"""
fig, dx_avg = draw_pool_gradient(x[0, 0], pool_size=2, stride=2, mode="avg")
plt.show()
print(dx_avg)
""")

md(r"""
With overlapping $3 \times 3$ windows at stride 1 there are four windows again, but
the pixel 7 wins two of them (the bottom-left and bottom-right ones) and collects
both of their gradients, $3 + 4 = 7$:
""")

code(r"""
fig, dx_overlap = draw_pool_gradient(x[0, 0], pool_size=3, stride=1, mode="max")
plt.show()
print(dx_overlap)
""")

md(r"""
The layer's backward pass agrees with the loop version `pool_backward_naive`, and
with numerical gradients. (A gradient check of max pooling needs inputs without
ties, or the numerical derivative at a tie is meaningless; random numbers are
fine.)
""")

code(r"""
xg = rng.standard_normal((2, 3, 6, 6))
for mode in ("max", "avg"):
    layer = Pooling(2, 2, stride=2, mode=mode)
    out = layer.forward(xg)
    dout = rng.standard_normal(out.shape)
    same = np.allclose(layer.backward(dout), pool_backward_naive(dout, xg, 2, 2, 2, mode=mode))
    errors = check_layer_gradients(Pooling(2, 2, stride=2, mode=mode), xg)
    print(f"{mode}: backward == loops: {same};  gradient check: {'ok' if errors['x'] < 1e-6 else 'WRONG'}")
""")

# ---------------------------------------------------------------------------
md(r"""
## 3. Properties

**No parameters.** There is nothing to learn: the maximum or the mean is fixed.
**The number of channels does not change**, since each channel is pooled on its
own; only $H$ and $W$ shrink.
""")

code(r"""
pool = Pooling(2, 2, stride=2)
conv = Convolution(rng.standard_normal((16, 1, 3, 3)), np.zeros(16), pad=1)
a = conv.forward(rng.random((5, 1, 28, 28)))
print("parameters of Pooling:", pool.param_names, "  of Convolution:", conv.param_names)
print("conv output:", a.shape, " -> pooled:", pool.forward(a).shape)
""")

md(r"""
**Robustness to small shifts.** If a stroke moves by one pixel but stays in the
same $2 \times 2$ window, the window's maximum does not change. Let us measure this on
real handwritten digits: take 1,000 MNIST test images, shift each one pixel to the
right, and compare how much the representation changes — as raw pixels, after one
$2 \times 2$ max pooling, and after two of them (each output then summarises a
$4 \times 4$ region). The measure is the relative change
$\lVert f(x) - f(x_{\text{shifted}}) \rVert \,/\, \lVert f(x) \rVert$, averaged over
the images.
""")

code(r"""
(x_train, t_train), (x_test, t_test) = load_mnist(flatten=False)
digits = x_test[:1000].astype(np.float64)             # the same 1,000 digits in every run
labels = t_test[:1000]

def shift_right(x, pixels=1):                         # move the image right, fill with zeros
    out = np.zeros_like(x)
    out[..., pixels:] = x[..., :-pixels]
    return out

def relative_change(f, a, b):
    fa, fb = f(a).reshape(len(a), -1), f(b).reshape(len(b), -1)
    return float(np.mean(np.linalg.norm(fa - fb, axis=1) / np.linalg.norm(fa, axis=1)))

max_pool = Pooling(2, 2, stride=2, mode="max").forward
avg_pool = Pooling(2, 2, stride=2, mode="avg").forward
views = {"raw pixels": lambda v: v,
         "2x2 max pool": max_pool,
         "2x2 avg pool": avg_pool,
         "two 2x2 max pools": lambda v: max_pool(max_pool(v))}

shifted = shift_right(digits, 1)
changes = {name: relative_change(f, digits, shifted) for name, f in views.items()}
for name, c in changes.items():
    print(f"{name:<18} relative change after a one-pixel shift: {c:.3f}")
""")

code(r"""
k = 0
views_to_show = [("raw pixels", lambda v: v), ("2x2 max pool", max_pool), ("two 2x2 max pools", lambda v: max_pool(max_pool(v)))]
fig, axes = plt.subplots(3, 3, figsize=(7.5, 7.5))
for row, (name, f) in enumerate(views_to_show):
    a, b = f(digits[k:k + 1])[0, 0], f(shifted[k:k + 1])[0, 0]
    for col, (img, title) in enumerate([(a, name), (b, "shifted by 1 px"), (np.abs(a - b), "|difference|")]):
        axes[row, col].imshow(img, cmap="gray" if col < 2 else "Reds", vmin=0, vmax=1, interpolation="nearest")
        axes[row, col].set_title(title, fontsize=9)
        axes[row, col].axis("off")
fig.suptitle(f"a test digit ({labels[k]}) before and after a one-pixel shift")
fig.tight_layout()
plt.show()

fig, ax = plt.subplots(figsize=(6, 2.6))
ax.barh(list(changes), list(changes.values()), color=["0.6", "tab:red", "tab:orange", "darkred"])
ax.invert_yaxis()
ax.set_xlabel("mean relative change after a one-pixel shift")
plt.show()
""")

md(r"""
Pooling helps, but it does not make the network blind to shifts: one pooling layer
reduces the change by about a fifth, two by about two fifths. A shift that crosses a
window border still moves the maximum to the neighbouring output pixel. The
robustness a network has comes from stacking many such layers, and from training
on varied data (chapter 5's augmentation). The same measurement for larger shifts:
""")

code(r"""
print(f"{'shift':>5}" + "".join(f"{name:>20}" for name in views))
for pixels in (1, 2, 3):
    s = shift_right(digits, pixels)
    print(f"{pixels:>5}" + "".join(f"{relative_change(f, digits, s):>20.3f}" for f in views.values()))
""")

# ---------------------------------------------------------------------------
md(r"""
## 4. Explore

Move a pooling window over real digits. Choose the image, the window size, the
stride and the mode, then move the output pixel: the left panel shows the window
(and, for max pooling, the pixel that wins it, circled in yellow), the right panel the
pooled image. Try a $3 \times 3$ window with stride 3 on a 28 x 28 image: the
explorer tells you why it does not fit.
""")

code(r"""
pool_explorer(digits[:10], labels=labels[:10])
""", IGNORE)

md(r"""
(Without a running kernel, here is one view of it: a $2 \times 2$ max pooling window
at output pixel $(7, 6)$ of the first test digit.)
""")

code(r"""
draw_pool_window(digits[0], pool_size=2, stride=2, out_row=7, out_col=6, mode="max")
plt.show()
""")

# ---------------------------------------------------------------------------
md(r"""
## Check yourself

For $2 \times 2$ windows at stride 2 (no overlap) there is a shortcut without any
window copies: reshape $(N, C, H, W)$ to $(N, C, H/2, 2, W/2, 2)$ and take the
maximum over axes 3 and 5. Write it, then run the cell to compare with the layer.
""")

code(r"""
def pool_2x2(x, mode="max"):
    N, C, H, W = x.shape
    blocks = x.reshape(N, C, H // 2, 2, W // 2, 2)
    return blocks.max(axis=(3, 5)) if mode == "max" else blocks.mean(axis=(3, 5))

for mode in ("max", "avg"):
    print(mode, "shortcut == Pooling layer:",
          np.allclose(pool_2x2(digits[:50], mode), Pooling(2, 2, stride=2, mode=mode).forward(digits[:50])))
""")

md(r"""
## Summary

* Pooling keeps one number per window and channel: the maximum or the mean. Output
  size: the convolution formula; usually $2 \times 2$ windows at stride 2.
* Backward: max pooling routes each gradient to the winner of its window (the
  forward pass remembers where it was); average pooling shares it equally;
  overlapping windows add their contributions.
* No parameters; the channel count stays; small shifts change the pooled
  representation less than the raw pixels, though they do not vanish.

With convolution, im2col and pooling in hand, the following chapters stack them into
complete convolutional networks and train them.
""")

save("03_pooling.ipynb")
