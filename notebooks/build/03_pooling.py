# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 3 — Pooling
#
# A convolution layer keeps the size of its input (with padding) and changes the
# number of channels to the number of its filters, usually more than it got. Stack a
# few and the activations grow: `DeepConvNet`'s second
# layer already produces $16 \times 28 \times 28 = 12{,}544$ numbers per image. Yet to
# tell a 3 from an 8 we do not need to know *exactly* where each stroke is, only
# roughly.
#
# **The question of this chapter:** how does a network summarise a neighbourhood
# into one number, where does the gradient go when only one number of a window
# survived, and what does the summary buy us?
#
# The answer is **pooling**: slide a window over each channel and keep one number per
# window — the largest (**max pooling**) or the mean (**average pooling**). With
# $2 \times 2$ windows and stride 2 the image shrinks to a quarter. You will write
# a max-pooling layer, forward and backward.

# %%
import numpy as np
import matplotlib.pyplot as plt

from course_lib import load_mnist
from course_lib.checks import check_pool_2x2, check_pooling
from course_lib.functional import col2im, conv_output_size, im2col
from course_lib.gradcheck import check_layer_gradients
from course_lib.layers import Convolution
from course_lib.naive import pool_backward_naive, pool_forward_naive
from course_lib.widgets import draw_pool_gradient, pool_explorer

np.set_printoptions(precision=3, suppress=True)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Forward: one number per window
#
# For a window $R_{ij}$ (the $PH \times PW$ pixels under output pixel $(i, j)$) of
# channel $c$:
#
# $$
# y_{c,ij}^{\max} = \max_{(u,v) \in R_{ij}} x_{c,uv}, \qquad
# y_{c,ij}^{\text{avg}} = \frac{1}{PH\,PW}\sum_{(u,v) \in R_{ij}} x_{c,uv}.
# $$
#
# The output size follows the same formula as a convolution,
# $OH = (H + 2P - PH)/S + 1$. Pooling usually takes stride = window size, so the
# windows tile the image without overlapping.

# %%
x = np.array([[1, 3, 2, 0],
              [4, 2, 1, 1],
              [0, 1, 5, 6],
              [2, 2, 7, 3]], dtype=float)[None, None]   # (N, C, H, W) = (1, 1, 4, 4)
print("max pooling:\n", pool_forward_naive(x, 2, 2, stride=2, mode="max")[0, 0])
print("average pooling:\n", pool_forward_naive(x, 2, 2, stride=2, mode="avg")[0, 0])

# %% [markdown]
# `pool_forward_naive` is the definition as loops. The fast way reuses the windows
# of the previous chapter. `im2col` gives one row per output pixel holding the
# windows of all $C$ channels side by side, $C \cdot PH \cdot PW$ numbers in the order
# $(C, PH, PW)$; reshaped to rows of $PH \cdot PW$ numbers, each row is the window of
# one channel, and the maximum of each row is the output. The rows then come in the
# order $(n, i, j, c)$, so the result reshapes to $(N, OH, OW, C)$ and a transpose
# gives $(N, C, OH, OW)$.
#
# ## 2. Backward: where does the gradient go?
#
# **Max pooling.** Within one window, the output equals one input — the largest.
# Nudging that input nudges the output by the same amount; nudging any other input
# of the window (a little) changes nothing. So
#
# $$
# \frac{\partial y_{ij}}{\partial x_{uv}} =
# \begin{cases} 1 & \text{if } (u, v) \text{ is the position of the maximum of } R_{ij},\\
# 0 & \text{otherwise,}\end{cases}
# $$
#
# and the backward pass *routes* each upstream gradient to the one pixel that won its
# window; all others get zero. The forward pass must remember the winners' positions
# (`argmax`). If two pixels tie, one of them gets it: in this course, as in the book
# and in PyTorch, the first in row-major order, which is what `np.argmax` returns. Any
# one of them is a valid choice of subgradient.
#
# **Average pooling.** Every input contributes $1/(PH\,PW)$ of the output, so each
# upstream gradient is *shared* equally: each of the $PH\,PW$ pixels of the window
# receives $d y_{ij}/(PH\,PW)$.
#
# When windows overlap (stride smaller than the window) a pixel can collect
# gradients from several windows, and they add up, exactly as in `col2im`.
# The pictures show the routing for the $4 \times 4$ example with upstream
# gradients 1, 2, 3, 4; each window has its own colour.

# %%
fig, dx_max = draw_pool_gradient(x[0, 0], pool_size=2, stride=2, mode="max")
plt.show()
print(dx_max)

# %%
fig, dx_avg = draw_pool_gradient(x[0, 0], pool_size=2, stride=2, mode="avg")
plt.show()
print(dx_avg)

# %% [markdown]
# With overlapping $3 \times 3$ windows at stride 1 there are four windows again, but
# the pixel 7 wins two of them (the bottom-left and bottom-right ones) and collects
# both of their gradients, $3 + 4 = 7$:

# %%
fig, dx_overlap = draw_pool_gradient(x[0, 0], pool_size=3, stride=1, mode="max")
plt.show()
print(dx_overlap)


# %% [markdown]
# **Exercise.** Write the max-pooling layer with the book's interface,
# `Pooling(pool_h, pool_w, stride=1, pad=0)`:
#
# * `forward(x)`: $x$ of shape $(N, C, H, W)$ to $(N, C, OH, OW)$, each output the
#   maximum of its window, through `im2col` as described in section 1; remember the
#   position of each window's maximum (`np.argmax` picks the first one in a tie);
# * `backward(dout)`: $d\texttt{out}$ of shape $(N, C, OH, OW)$ to $dx$ of shape
#   $(N, C, H, W)$: each gradient goes to the maximum of its window, and a pixel that
#   wins several overlapping windows gets the sum of their gradients (`col2im` adds).
#
# Padding, if any, must never win a window: pad with $-\infty$ (`np.pad(...,
# constant_values=-np.inf)`), not with zeros.
#
# <details><summary>Hint</summary>
#
# In `backward`, bring `dout` into the order of the rows, $(n, i, j, c)$:
# `dout.transpose(0, 2, 3, 1).reshape(-1)`. Put each number into a zero row of
# $PH \cdot PW$ entries at its `argmax` position
# (`dcol[np.arange(len(d)), self.arg_max] = d`), reshape to im2col's rows of
# $C \cdot PH \cdot PW$ and let `col2im` add them back.
# </details>

# %% role="exercise"
class Pooling:
    """Max pooling.  forward: (N, C, H, W) -> (N, C, OH, OW)."""

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w = pool_h, pool_w
        self.stride, self.pad = stride, pad

    def forward(self, x):
        ### BEGIN SOLUTION
        N, C, H, W = x.shape
        PH, PW, S, P = self.pool_h, self.pool_w, self.stride, self.pad
        OH, OW = conv_output_size(H, PH, S, P), conv_output_size(W, PW, S, P)
        xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)), constant_values=-np.inf)
        col = im2col(xp, PH, PW, S).reshape(-1, PH * PW)   # row: a window of one channel
        self.x_shape, self.xp_shape = x.shape, xp.shape
        self.arg_max = np.argmax(col, axis=1)                # the first maximum in a tie
        return col.max(axis=1).reshape(N, OH, OW, C).transpose(0, 3, 1, 2)
        ### END SOLUTION

    def backward(self, dout):
        ### BEGIN SOLUTION
        N, C, H, W = self.x_shape
        PH, PW, S, P = self.pool_h, self.pool_w, self.stride, self.pad
        d = dout.transpose(0, 2, 3, 1).reshape(-1)           # rows ordered (n, i, j, c)
        dcol = np.zeros((d.size, PH * PW), dtype=dout.dtype)
        dcol[np.arange(d.size), self.arg_max] = d            # all to the winner
        dxp = col2im(dcol.reshape(-1, C * PH * PW), self.xp_shape, PH, PW, S)
        return dxp[:, :, P:P + H, P:P + W]
        ### END SOLUTION


# %% role="check"
check_pooling(Pooling)

# %% [markdown]
# The course's `Pooling` in `course_lib.layers` does the same and average pooling
# too (`mode="avg"`). Its backward pass agrees with the loop version
# `pool_backward_naive`, and with numerical gradients. (A gradient check of max
# pooling needs inputs without ties, or the numerical derivative at a tie is
# meaningless; random numbers are fine.)

# %%
from course_lib.layers import Pooling   # from here on: the course's version

xg = rng.standard_normal((2, 3, 6, 6))
for mode in ("max", "avg"):
    layer = Pooling(2, 2, stride=2, mode=mode)
    out = layer.forward(xg)
    dout = rng.standard_normal(out.shape)
    dx_loops = pool_backward_naive(dout, xg, 2, 2, 2, mode=mode)
    same = np.allclose(layer.backward(dout), dx_loops)
    errors = check_layer_gradients(Pooling(2, 2, stride=2, mode=mode), xg)
    verdict = "ok" if errors["x"] < 1e-6 else "WRONG"
    print(f"{mode}: backward == loops: {same};  gradient check: {verdict}")

# %% [markdown]
# ## 3. Properties
#
# **No parameters.** There is nothing to learn: the maximum or the mean is fixed.
# **The number of channels does not change**, since each channel is pooled on its
# own; only $H$ and $W$ shrink.

# %%
pool = Pooling(2, 2, stride=2)
conv = Convolution(rng.standard_normal((16, 1, 3, 3)), np.zeros(16), pad=1)
a = conv.forward(rng.random((5, 1, 28, 28)))
print("parameters of Pooling:", pool.param_names, "  of Convolution:", conv.param_names)
print("conv output:", a.shape, " -> pooled:", pool.forward(a).shape)

# %% [markdown]
# **Robustness to small shifts.** If a stroke moves by one pixel but stays in the
# same $2 \times 2$ window, the window's maximum does not change. Let us measure this on
# real handwritten digits: take 1,000 MNIST test images, shift each one pixel to the
# right, and compare how much the representation changes — as raw pixels, after one
# $2 \times 2$ max pooling, and after two of them (each output then summarises a
# $4 \times 4$ region). The measure is the relative change
# $\lVert f(x) - f(x_{\text{shifted}}) \rVert \,/\, \lVert f(x) \rVert$, averaged over
# the images.

# %%
(x_train, t_train), (x_test, t_test) = load_mnist(flatten=False)
digits = x_test[:1000].astype(np.float64)             # the same 1,000 digits in every run
labels = t_test[:1000]

def shift_right(x, pixels=1):                 # move the image right, fill with zeros
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

# %%
k = 0
views_to_show = [("raw pixels", lambda v: v), ("2x2 max pool", max_pool),
                 ("two 2x2 max pools", lambda v: max_pool(max_pool(v)))]
fig, axes = plt.subplots(3, 3, figsize=(7.5, 7.5))
for row, (name, f) in enumerate(views_to_show):
    a, b = f(digits[k:k + 1])[0, 0], f(shifted[k:k + 1])[0, 0]
    panels = [(a, name), (b, "shifted by 1 px"), (np.abs(a - b), "|difference|")]
    for col, (img, title) in enumerate(panels):
        axes[row, col].imshow(img, cmap="gray" if col < 2 else "Reds", vmin=0, vmax=1,
                              interpolation="nearest")
        axes[row, col].set_title(title, fontsize=9)
        axes[row, col].axis("off")
fig.suptitle(f"a test digit ({labels[k]}) before and after a one-pixel shift")
fig.tight_layout()
plt.show()

fig, ax = plt.subplots(figsize=(6, 2.6))
ax.barh(list(changes), list(changes.values()),
        color=["0.6", "tab:red", "tab:orange", "darkred"])
ax.invert_yaxis()
ax.set_xlabel("mean relative change after a one-pixel shift")
plt.show()

# %% [markdown]
# Pooling helps, but it does not make the network blind to shifts: one pooling layer
# reduces the change by about a fifth, two by about two fifths. A shift that crosses a
# window border still moves the maximum to the neighbouring output pixel. The
# robustness a network has comes from stacking many such layers, and from training
# on varied data (chapter 5's augmentation). The same measurement for larger shifts:

# %%
print(f"{'shift':>5}" + "".join(f"{name:>20}" for name in views))
for pixels in (1, 2, 3):
    s = shift_right(digits, pixels)
    row = "".join(f"{relative_change(f, digits, s):>20.3f}" for f in views.values())
    print(f"{pixels:>5}" + row)

# %% [markdown]
# ## 4. Explore
#
# Move a pooling window over real digits. Choose the image, the window size, the
# stride and the mode, then move the output pixel: the left panel shows the window
# (and, for max pooling, the pixel that wins it, circled in yellow), the right panel
# the pooled image and the chosen output value; the line under the controls says
# which rows and columns of the image the output pixel summarises. Try a
# $3 \times 3$ window with stride 3 on a 28 x 28 image: the explorer tells you why it
# does not fit. (The controls need a running kernel: until the cell is run, it shows
# a picture of the explorer's first figure, a $2 \times 2$ max-pooling window on the
# bend of the first test digit's stroke.)

# %% tags=["nbval-ignore-output"]
pool_explorer(digits[:10], labels=labels[:10], out_row=5, out_col=10)


# %% [markdown]
# ## A shortcut
#
# For $2 \times 2$ windows at stride 2 (no overlap) there is a shortcut without any
# window copies: reshape $(N, C, H, W)$ to $(N, C, H/2, 2, W/2, 2)$, so that axes 3
# and 5 run over the four pixels of each window, and take the maximum (or the mean)
# over those two axes.
#
# **Exercise.** Write `pool_2x2(x, mode="max")` that way (`mode="avg"` takes the
# mean); the cell after it checks it against the loop version, for both modes.

# %% role="exercise"
def pool_2x2(x, mode="max"):
    """2x2 pooling at stride 2 by a reshape: (N, C, H, W) -> (N, C, H/2, W/2)."""
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    blocks = x.reshape(N, C, H // 2, 2, W // 2, 2)
    return blocks.max(axis=(3, 5)) if mode == "max" else blocks.mean(axis=(3, 5))
    ### END SOLUTION


# %% role="check"
check_pool_2x2(pool_2x2)

# %% [markdown]
# ## Summary
#
# * Pooling keeps one number per window and channel: the maximum or the mean. Output
#   size: the convolution formula; usually $2 \times 2$ windows at stride 2.
# * Backward: max pooling routes each gradient to the winner of its window (the
#   forward pass remembers where it was); average pooling shares it equally;
#   overlapping windows add their contributions.
# * No parameters; the channel count stays; small shifts change the pooled
#   representation less than the raw pixels, though they do not vanish.
#
# With convolution, im2col and pooling in hand, the following chapters stack them into
# complete convolutional networks and train them.
