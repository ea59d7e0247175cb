# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 5 — Data augmentation
#
# The book's small `SimpleConvNet`, whose first layer served as an example in
# chapters 1 and 2 (one convolution with 30 filters of 5 × 5, pooling, two affine
# layers), has about 430,000 weights. Give
# it 1,000 training images and it will, after a few dozen epochs, classify nearly
# every one of them correctly — and do noticeably worse on images it has never
# seen. The gap between training and test accuracy is the signature of
# **overfitting**: the network has learned features of *these* 1,000 images rather
# than of handwritten digits in general.
#
# The honest cure is more data. When more data cannot be had, we can do the next
# best thing: *manufacture* new training images from the ones we have, using what
# we know about the task. A digit shifted two pixels to the right is still the same
# digit; so is a digit written with a slight slant. Turning every training image
# into a whole family of plausible variants is called **data augmentation**.
#
# In this chapter we
#
# 1. work out the geometry of moving pixels — inverse mapping and bilinear
#    interpolation — and write one transform ourselves, a shift of a whole batch;
#    `course_lib.augment` supplies the others (rotation, crop with padding, zoom,
#    flip, brightness and contrast, elastic distortion), built the same way;
# 2. look at each transform on MNIST digits and Fashion-MNIST clothes, and play
#    with them in an interactive widget;
# 3. ask the question that decides everything: **which transforms keep the label?**
# 4. measure what augmentation does for a small training set — over several
#    seeds, with error bars — and find out where "more augmentation" turns from
#    help into harm.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from course_lib import (SimpleConvNet, load_fashion_mnist, load_mnist,
                        FASHION_MNIST_CLASSES)
from course_lib import augment as A
from course_lib.augment_widgets import augment_explorer
from course_lib.checks import check_shift
from course_lib.config import QUICK
from course_lib.experiments import (describe, plot_curves, plot_groups,
                                    show_grid, train_runs)
from course_lib.optimizers import Adam
from course_lib.plots import show_images
from course_lib.stats import accuracy_with_error, binomial_std_error

np.set_printoptions(precision=3, suppress=True)
(x_train, t_train), (x_test, t_test) = load_mnist(flatten=False)
(f_train, ft_train), (f_test, ft_test) = load_fashion_mnist(flatten=False)
print("MNIST:        ", x_train.shape, x_train.dtype, x_test.shape)
print("Fashion-MNIST:", f_train.shape, f_train.dtype, f_test.shape)
print("pixel values in [%.1f, %.1f]" % (x_train.min(), x_train.max()))

# %% tags=["nbval-ignore-output"]
print("quick mode" if QUICK else "full mode")


# %% [markdown]
# ## 5.1 Augmentation as a training objective
#
# Write the training set as pairs $(x_i, t_i)$, $i = 1, \dots, N$, and the network's
# loss on one example as $\ell\big(f_W(x), t\big)$. Ordinary training minimises the
# average loss over the $N$ examples. Augmentation picks a family of transforms
# $T_\theta$ — a rotation by the angle $\theta$, say — and a distribution $p(\theta)$
# over their parameters, and minimises instead
#
# $$
# L_{\text{aug}}(W) \;=\; \frac{1}{N} \sum_{i=1}^{N} \;
# \mathbb{E}_{\theta \sim p(\theta)} \Big[\, \ell\big(f_W(T_\theta(x_i)),\; t_i\big) \Big].
# $$
#
# We never compute the expectation. Each time an image enters a mini-batch we draw
# a fresh $\theta$, so over many epochs the network sees many different versions of
# every image — a stochastic estimate of $L_{\text{aug}}$, just as a mini-batch is a
# stochastic estimate of the full loss.
#
# Look at what the formula *assumes*: the transformed image $T_\theta(x_i)$ keeps the
# label $t_i$. Augmentation is a way of telling the network "the answer does not
# depend on this change". When that statement is true it is valuable prior
# knowledge, delivered as data instead of as a penalty term. When it is false we
# are feeding the network wrong labels. Section 5.5 is about telling the two apart.
#
# The course `Trainer` accepts a function `augment(x_batch, rng)` and applies it to
# every training mini-batch with its own seeded random generator (test images are
# never augmented). Since it runs on every step, it has to be cheap compared with
# the forward and backward pass. All transforms below therefore work on a whole
# batch `(N, C, H, W)` at once, with no Python loop over images. How cheap? We time
# a rotation, shift and zoom of 100 digits against one training step of
# `SimpleConvNet` (forward, backward and Adam update) on the same 100 digits:

# %% tags=["nbval-ignore-output"]
def ms_per_call(fn, repeat=20):
    fn()                                                  # warm-up
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1e3


pipeline = A.Compose([A.RandomRotation(10), A.RandomShift(2), A.RandomZoom((0.9, 1.1))])
batch, labels, rng = x_train[:100], t_train[:100], np.random.default_rng(0)
network, adam = SimpleConvNet(seed=0), Adam(lr=0.001)
aug_ms = ms_per_call(lambda: pipeline(batch, rng))
step_ms = ms_per_call(
    lambda: adam.update(network.params, network.gradient(batch, labels)))
print(f"rotation + shift + zoom of 100 images: {aug_ms:5.1f} ms")
print(f"one training step on 100 images:       {step_ms:5.1f} ms   "
      f"(augmentation: {aug_ms / step_ms:.0%} of it)")


# %% [markdown]
# The exact figures depend on the machine and on what else it is doing (this cell's
# output is not compared between runs); what matters is the proportion printed on
# the second line: the augmentation costs a fraction of a training step, not a
# multiple of it.

# %% [markdown]
# ## 5.2 Moving pixels: inverse mapping and bilinear interpolation
#
# An image is an array indexed by (row, column). A geometric transform moves the
# content: the point $p$ of the input lands at $p'$ in the output. For rotations and
# zooms about the image centre $c = \big(\tfrac{H-1}{2}, \tfrac{W-1}{2}\big)$ followed
# by a shift $s$ this is an *affine* map
#
# $$
# p' = M\,(p - c) + c + s .
# $$
#
# The tempting implementation — take every input pixel, compute where it goes,
# write it there — leaves holes (some output pixels receive nothing) and collisions
# (some receive two). We go the other way round. For every **output** pixel $p'$ we
# ask where it came from,
#
# $$
# p = M^{-1}\,(p' - c - s) + c ,
# $$
#
# and read the input there. This is **inverse mapping**: every output pixel gets
# exactly one value.
#
# With $u = r' - c_r$ and $v = c' - c_c$ the offsets of the output pixel from the
# centre (rows grow *downwards*), the source of a counter-clockwise rotation by
# $\theta$ is
#
# $$
# r = c_r + u\cos\theta + v\sin\theta, \qquad
# c = c_c - u\sin\theta + v\cos\theta ,
# $$
#
# a zoom by the factor $z$ reads from $c + (u, v)/z$, and a shift by $d_x$ pixels to
# the right and $d_y$ pixels down reads from $(r' - d_y,\; c' - d_x)$.
#
# **Bilinear interpolation.** The source point $(r, c)$ is rarely a whole pixel.
# With $r_0 = \lfloor r \rfloor$, $\alpha = r - r_0$ and $c_0 = \lfloor c \rfloor$,
# $\beta = c - c_0$ we blend the four surrounding pixels:
#
# $$
# x(r, c) \approx (1-\alpha)(1-\beta)\, x_{r_0, c_0} + (1-\alpha)\,\beta\, x_{r_0, c_0+1}
# + \alpha(1-\beta)\, x_{r_0+1, c_0} + \alpha\beta\, x_{r_0+1, c_0+1} .
# $$
#
# Pixels outside the image count as 0, the black background of MNIST. The four
# weights are non-negative and add up to 1, so the result is an average of input
# values (and zeros): **the output can never leave the input's value range**, and
# no clipping of brightness is needed after a rotation.
#
# For a batch, the source coordinates of all output pixels of all images form two
# arrays of shape `(N, H, W)`, one shift (or angle) per image; fancy indexing then
# gathers the four neighbours of every pixel of every image at once.
#
# ### Exercise: shift a batch
#
# Write `shift(x, dx, dy, fill=0.0)`: every image of the batch `x` of shape
# `(N, C, H, W)` moves `dx` pixels to the right and `dy` pixels down. `dx` and `dy`
# are numbers or arrays with one value per image, and need not be whole: use
# inverse mapping and bilinear interpolation as above, with `fill` for every
# neighbour that lies outside the image. Return an array of the shape and dtype of
# `x`. No Python loop over the images or pixels.
#
# <details><summary>Hint</summary>
#
# With `r` and `c` the source coordinates of shape `(N, H, W)`, a small helper
# `pixel(i, j)` that returns `x[n, :, i, j]` for whole-number arrays `i`, `j` (with
# `n = np.arange(N)` shaped `(N, 1, 1)`), and `fill` where `i` or `j` lies outside
# the image, turns the formula into one line. Indexing with `n`, `:`, `i`, `j`
# puts the channel axis last: move it back with `transpose(0, 3, 1, 2)`.
# </details>

# %% role="exercise"
def shift(x, dx, dy, fill=0.0):
    # x: (N, C, H, W); dx, dy: numbers or (N,) arrays, in pixels (right, down).
    # Returns the shifted batch, (N, C, H, W), dtype of x.
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    dx = np.broadcast_to(np.asarray(dx, dtype=np.float64), (N,)).reshape(N, 1, 1)
    dy = np.broadcast_to(np.asarray(dy, dtype=np.float64), (N,)).reshape(N, 1, 1)
    # where each output pixel comes from: (N, H, W)
    r, c = np.broadcast_arrays(np.arange(H).reshape(1, H, 1) - dy,
                               np.arange(W).reshape(1, 1, W) - dx)
    r0, c0 = np.floor(r).astype(int), np.floor(c).astype(int)
    alpha, beta = (r - r0)[:, None], (c - c0)[:, None]                # (N, 1, H, W)
    n = np.arange(N).reshape(N, 1, 1)

    def pixel(i, j):
        inside = ((i >= 0) & (i < H) & (j >= 0) & (j < W))[:, None]
        values = x[n, :, np.clip(i, 0, H - 1), np.clip(j, 0, W - 1)].transpose(0, 3, 1, 2)
        return np.where(inside, values, fill)

    out = ((1 - alpha) * (1 - beta) * pixel(r0, c0)
           + (1 - alpha) * beta * pixel(r0, c0 + 1)
           + alpha * (1 - beta) * pixel(r0 + 1, c0)
           + alpha * beta * pixel(r0 + 1, c0 + 1))
    return out.astype(x.dtype)
    ### END SOLUTION


# %% role="check"
check_shift(shift)

# %% [markdown]
# From here on the chapter uses the course's version, `course_lib.augment.shift`
# (the same contract; it also takes a faster, exact path for whole-pixel shifts).
# Rotation and zoom are the same recipe with another matrix $M$. Two sanity checks
# of the course's versions: a quarter turn must agree exactly with NumPy's
# `np.rot90`, and a shift by half a pixel must average neighbours.

# %%
from course_lib.augment import shift    # from here on: the course's version

tiny = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
print("image:\n", tiny[0, 0])
print("rotate by 90 degrees (bilinear):\n", A.rotate(tiny, 90)[0, 0])
print("same as np.rot90:", np.allclose(A.rotate(tiny, 90), np.rot90(tiny, axes=(2, 3))))
print("shift right by 0.5 pixel:\n", shift(tiny, dx=0.5, dy=0)[0, 0])


# %% [markdown]
# The first column of the half-pixel shift is half of the image's first column
# (the other half comes from the black border) and every other entry is the mean of
# two horizontal neighbours — exactly the interpolation formula with $\beta = 0.5$.

# %% [markdown]
# ## 5.3 The transforms, one by one
#
# `course_lib.augment` offers each transform in two forms. The **functional** form
# takes the parameters explicitly — one value for the whole batch or one per image:
#
# | function | what it does |
# |---|---|
# | `rotate(x, angles)` | counter-clockwise rotation about the centre, degrees |
# | `shift(x, dx, dy)` | move right by `dx`, down by `dy` pixels (zero fill) |
# | `pad_crop(x, top, left, padding)` | pad by `padding` pixels, cut out an H × W window |
# | `zoom(x, factors)` | scale about the centre, > 1 enlarges |
# | `flip_horizontal(x)` / `rot90(x, k)` | mirror left-right / exact quarter turns |
# | `adjust_brightness_contrast(x, b, c)` | $(x - \bar x)\,c + \bar x + b$, clipped to [0, 1] |
# | `elastic(x, field, alpha, sigma)` | smooth random displacement of every pixel |
#
# The **random** form draws the parameters for each image: `RandomRotation(10)`
# draws angles uniformly from $[-10°, 10°]$, `RandomShift(2)` whole-pixel shifts in
# $\{-2, \dots, 2\}$, `RandomCrop(2)` pads by 2 and crops at a random place,
# `RandomZoom((0.9, 1.1))`, `RandomHorizontalFlip(p=0.5)`,
# `RandomBrightnessContrast(0.1, 0.2)`, `RandomElastic(alpha, sigma)`, and
# `RandomAffine(degrees, max_shift, scale)` combines rotation, zoom and shift in a
# single interpolation. Each is called as `transform(x, rng)`.
#
# Here is every transform applied to the same MNIST digits, with fixed parameters so
# that the rows are easy to compare (`show_grid` from `course_lib.experiments` draws
# one labelled row per batch):

# %%
def transform_rows(x, seed=0):
    field = np.random.default_rng(seed).uniform(-1, 1, size=(len(x), 2) + x.shape[2:])
    return {"original": x,
            "rotate +20°": A.rotate(x, 20),
            "rotate -20°": A.rotate(x, -20),
            "shift (3, -2)": shift(x, 3, -2),
            "pad 3 + crop": A.pad_crop(x, top=0, left=6, padding=3),
            "zoom 0.8": A.zoom(x, 0.8),
            "zoom 1.2": A.zoom(x, 1.2),
            "flip": A.flip_horizontal(x),
            "brightness -0.3": A.adjust_brightness_contrast(x, -0.3, 1.0),
            "contrast 0.5": A.adjust_brightness_contrast(x, 0.0, 0.5),
            "elastic": A.elastic(x, field, alpha=2.5, sigma=3.0)}


digits = x_test[[t_test.tolist().index(d) for d in range(10)]]    # one of each digit
rows = transform_rows(digits)
show_grid(list(rows.values()), list(rows.keys()), "MNIST: one transform per row")

# %% [markdown]
# A few things to notice. The shift and the crop with padding move the digit as a
# whole; the crop is simply a whole-pixel shift whose border is filled with the
# padding. Zoom 0.8 shrinks the digit and leaves a wider black frame; zoom 1.2 can
# cut off the ends of long strokes. Brightness and contrast change the ink, not the
# shape. Contrast is changed about each image's mean, so lower contrast turns the
# black background grey. MNIST has a black background and near-white ink in every
# image, so on this data set these two transforms add little that the test images
# need. The elastic distortion bends the strokes the
# way a slightly different hand would.
#
# The same transforms on Fashion-MNIST, one image per class:

# %%
garments = f_test[[ft_test.tolist().index(k) for k in range(10)]]
rows = transform_rows(garments)
show_grid(list(rows.values()), list(rows.keys()),
          "Fashion-MNIST: " + ", ".join(FASHION_MNIST_CLASSES[:4]) + ", ...")

# %% [markdown]
# **Random transforms and seeds.** In training we want a different random version
# of each image every time it is used. `Compose` chains random transforms; all of
# them draw from one random generator, so a seed makes the whole chain
# reproducible. Eight draws of the same digit:

# %%
print(pipeline)
eight = np.repeat(digits[2:3], 8, axis=0)                    # eight copies of the 2
out = pipeline(eight, np.random.default_rng(0))
again = pipeline(eight, np.random.default_rng(0))
print("same seed, same images:", np.array_equal(out, again))
print("shape and dtype kept:", out.shape, out.dtype,
      "| values in [%.2f, %.2f]" % (out.min(), out.max()))
show_images(out, ncols=8, vmin=0, vmax=1, title="eight random draws of the same pipeline")
plt.show()

# %% [markdown]
# ## 5.4 Try it yourself
#
# Move the sliders: rotate, shift, zoom and change the brightness of a test image
# (the `image` slider picks it). Find the angle at which *you* would no longer be
# sure which digit it is. The transforms are applied in a fixed order: flip, zoom,
# rotation, shift, brightness and contrast. (The sliders need a live Jupyter
# kernel: run the notebook to use them.)

# %% tags=["nbval-ignore-output"]
augment_explorer(x_test[:100], t_test[:100], index=2)


# %% [markdown]
# The same explorer works for the clothes (pass `class_names=FASHION_MNIST_CLASSES`);
# after the experiment below we will give it a trained network, so that it can also
# tell us what the network thinks.

# %% [markdown]
# ## 5.5 Which transforms keep the label?
#
# Invariance is a property of the **task**, not of the image. The same rotation
# that is harmless for one task destroys the information that another task needs.
# Four cases:
#
# * **Small rotations, shifts and zooms of digits** keep the label. People write
#   with a slant, a little off-centre, a little larger or smaller; MNIST itself was
#   made by centring the digits by their centre of mass, which is only a rough
#   normalisation. A shift of 2 pixels or a rotation of 10° produces images that
#   could have been in the data set.
#
# * **Flipping a digit** does not. The mirror image of a 2, 3, 4, 5, 6, 7 or 9 is
#   not a digit at all (a few, such as 0, 1 and 8, survive). Training on mirrored
#   digits does not give wrong labels so much as *useless* images: the network
#   spends capacity on shapes that never appear in the test set.
#
# * **Rotating a 6 by 180°** gives a 9. Here the transform changes the label, and
#   augmentation with large rotations teaches the network the opposite of the
#   truth: "this shape (a rotated 6) is a 6" while the test set says it is a 9.
#
# * **Flipping clothes** is fine. A mirrored shirt is a shirt, a mirrored sneaker is a
#   sneaker for the other foot, and the photographs of Fashion-MNIST are centred
#   in a standard pose. Turning them upside down is different: the label is
#   kept, but no test image is upside down, so it only adds irrelevant variety.

# %%
def first_of(labels, k, count=1):
    return np.flatnonzero(labels == k)[:count]

flip_digits = x_test[[first_of(t_test, d)[0] for d in (2, 3, 4, 5, 7, 0, 1, 8)]]
show_grid([flip_digits, A.flip_horizontal(flip_digits)], ["digit", "flipped"],
          "Flipping digits: only 0, 1 and 8 survive")

sixes = x_test[first_of(t_test, 6, 4)]
nines = x_test[first_of(t_test, 9, 4)]
show_grid([sixes, A.rotate(sixes, 180), nines], ["6", "6 turned 180°", "real 9"],
          "A 6 rotated by 180° is a 9")

clothes = f_test[[first_of(ft_test, k)[0] for k in (0, 1, 2, 4, 5, 7, 8, 9)]]
show_grid([clothes, A.flip_horizontal(clothes),
           np.ascontiguousarray(clothes[:, :, ::-1])],
          ["garment", "flipped left-right", "upside down"],
          "Left-right flips keep the label of clothes")

# %% [markdown]
# **"If I deform a 2 enough it starts to look like a 5 (or a 7) — doesn't
# augmentation then teach the network the wrong thing?"**
#
# Yes — exactly then. Augmentation claims that $T_\theta(x)$ has the label of $x$.
# For small $\theta$ the claim is true and the network learns a useful invariance.
# As $\theta$ grows, $T_\theta(x)$ drifts towards the boundary between classes, and
# beyond it the claim is false: we are adding **label noise**, the same as if a
# careless annotator had labelled some 5-like shapes "2". A few such examples do
# little harm — networks tolerate some label noise — but a transform that crosses
# the boundary *often* moves the decision boundary in the wrong direction.
#
# The elastic distortion makes this easy to see. Its `alpha` is the largest
# displacement of any pixel: at 1 to 2 pixels the digit wobbles like handwriting;
# at 5 or 6 pixels some of the 2s below are no longer clearly 2s.

# %%
twos = x_test[first_of(t_test, 2, 8)]
field = np.random.default_rng(3).uniform(-1, 1, size=(8, 2, 28, 28))
alphas = [0, 1, 2, 4, 6, 8]
show_grid([A.elastic(twos, field, alpha=a, sigma=3.0) for a in alphas],
          [f"alpha = {a}" for a in alphas], "Elastic distortion of 2s, growing strength")

# %% [markdown]
# So how strong is too strong? Some rules of thumb, which the experiments below put
# numbers on:
#
# 1. **Would a person still give the same label, every time?** If you hesitate on
#    more than an occasional augmented image, the transform is too strong.
# 2. **Could the augmented image occur in the test data?** Transforms that produce
#    images the network will never meet (mirrored digits, upside-down shoes) waste
#    capacity even when they keep the label.
# 3. **Start small and measure.** Typical values for 28 × 28 digits are rotations
#    up to 10–15°, shifts of 2–3 pixels, zoom 0.9–1.1. Check the augmented images by
#    eye, then compare test accuracy with and without.
# 4. **Augmentation is a regulariser.** Like weight decay or dropout, it pays off
#    most when data are scarce and the network overfits; with a huge data set its
#    benefit shrinks.

# %% [markdown]
# ## 5.6 The experiment: 1,000 digits, with and without augmentation
#
# We train `SimpleConvNet` with Adam (learning rate 0.001, mini-batches of 100) on
# the first 1,000 MNIST training images, once without augmentation and once with a
# random rotation of up to ±10°, a shift of up to ±2 pixels and a zoom between 0.9
# and 1.1, drawn afresh for every image in every epoch (`RandomAffine`, which does
# the three in one interpolation). Within a seed the two runs start from the same
# initial weights and see the same order of mini-batches; only `augment=` differs.
#
# One pair of runs is not enough. A test accuracy measured on 10,000 images has a
# **binomial standard error** of $\sqrt{p(1-p)/n}$ — about 0.3 points at 90 % — and
# a different seed (other initial weights, other mini-batches, other random
# transforms) moves the result by more than that. So every configuration is
# trained with three seeds, and we report the mean with its standard error
# (the spread of the seeds divided by $\sqrt{3}$), the single runs in brackets,
# and one run's binomial standard error for comparison. `train_runs` and
# `describe` from `course_lib.experiments` do the bookkeeping: each run returns its
# network, its accuracy on the *original* (un-augmented) training images and on
# the test images, its learning curves and its time per step.

# %% tags=["nbval-ignore-output"]
if QUICK:      # a small version so that the whole chapter runs in about a minute
    N_SMALL, N_LARGE, N_TEST = 300, 600, 1000
    EPOCHS_SMALL, EPOCHS_LARGE, SEEDS = 10, 4, (0, 1)
else:
    N_SMALL, N_LARGE, N_TEST = 1000, 5000, 10000
    EPOCHS_SMALL, EPOCHS_LARGE, SEEDS = 30, 10, (0, 1, 2)
digit_augment = A.RandomAffine(degrees=10, max_shift=2, scale=(0.9, 1.1))
mnist_test = (x_test[:N_TEST], t_test[:N_TEST])
mnist_small = (x_train[:N_SMALL], t_train[:N_SMALL], *mnist_test)
# for the learning curves: 500 images no run trains on (validation images)
mnist_val = {"x_val": x_train[-500:], "t_val": t_train[-500:]}

plain = train_runs(*mnist_small, EPOCHS_SMALL, seeds=SEEDS, **mnist_val)
augmented = train_runs(*mnist_small, EPOCHS_SMALL, digit_augment, seeds=SEEDS,
                       **mnist_val)
print(describe("MNIST, no augmentation", plain))
print(describe("MNIST, rotate/shift/zoom", augmented))

# %% tags=["nbval-ignore-output"]
fig, ax = plt.subplots(figsize=(8, 4))
plot_curves(ax, {"no augmentation": plain, "augmentation": augmented},
            f"MNIST, {N_SMALL} training images "
            f"(mean of {len(SEEDS)} seeds; curves on 500 validation images)")
plt.show()

# %% [markdown]
# What the full run shows. Without augmentation the dashed training curve climbs
# to about 99.5 % while the validation curve levels off near 93 %, and the test
# accuracy, measured once at the end, is 89.7 ± 0.3 % on all 10,000 test images
# (the mean of three seeds): a gap of about ten points, classic overfitting. With
# augmentation the network never sees the same image twice; its accuracy on the
# original training images ends lower (97.2 %) and its test accuracy higher,
# 93.8 ± 0.3 %: a gain of about four points, which the validation curve shows
# too (about 96.5 % against 93 %). The three seeds of each configuration agree
# to within about a point, so the gain is some ten times its standard error — not
# the accident of one seed. The gap between training and test accuracy shrinks
# from about ten points to three and a half.
#
# The curves are measured after each epoch on 500 images, each point with a
# binomial standard error of 1 to 2 points, which is why they wiggle. They are
# validation images, the last 500 of the training set, which no run trains on:
# a curve watched epoch by epoch invites choices, so the test images are kept for
# one measurement at the end, on all of them. These 500 digits happen to be easier
# than the test digits (the training and test sets of MNIST were written by
# different people), so the validation curves lie some three points above the test
# accuracies; what a validation set is good for is comparing, not predicting the
# test accuracy to the point.
#
# ### More data, and clothes
#
# Augmentation stands in for data we do not have, so its benefit should shrink
# as the real training set grows. We repeat the comparison with five times as many
# digits, and then with 1,000 Fashion-MNIST images. For the clothes we use a
# left-right flip with probability 0.5, a crop with 2 pixels of padding and a mild
# zoom — transforms that section 5.5 found label-preserving for this task.

# %% tags=["nbval-ignore-output"]
mnist_large = (x_train[:N_LARGE], t_train[:N_LARGE], *mnist_test)
plain_large = train_runs(*mnist_large, EPOCHS_LARGE, seeds=SEEDS)
augmented_large = train_runs(*mnist_large, EPOCHS_LARGE, digit_augment, seeds=SEEDS)
print(describe(f"MNIST {N_LARGE}, no augmentation", plain_large))
print(describe(f"MNIST {N_LARGE}, augmentation", augmented_large))

clothes_augment = A.Compose([A.RandomHorizontalFlip(0.5), A.RandomCrop(2),
                             A.RandomZoom((0.95, 1.05))])
fashion = (f_train[:N_SMALL], ft_train[:N_SMALL], f_test[:N_TEST], ft_test[:N_TEST])
plain_fashion = train_runs(*fashion, EPOCHS_SMALL, seeds=SEEDS)
augmented_fashion = train_runs(*fashion, EPOCHS_SMALL, clothes_augment, seeds=SEEDS)
print(describe(f"Fashion {N_SMALL}, no augmentation", plain_fashion))
print(describe(f"Fashion {N_SMALL}, flip/crop/zoom", augmented_fashion))

# %% tags=["nbval-ignore-output"]
groups = [(f"MNIST\n{N_SMALL} images",
           {"no augmentation": plain, "augmentation": augmented}),
          (f"MNIST\n{N_LARGE} images",
           {"no augmentation": plain_large, "augmentation": augmented_large}),
          (f"Fashion-MNIST\n{N_SMALL} images",
           {"no augmentation": plain_fashion, "augmentation": augmented_fashion})]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
plot_groups(ax1, groups)
plot_groups(ax2, groups, key="train_acc", ylabel="accuracy on the training images (%)")
fig.tight_layout()
plt.show()

# %% [markdown]
# (Bars: the mean over the seeds, with its standard error; dots: the single runs.)
#
# Every run of the same size trains for the same number of steps. In the run
# shown here the augmented runs took 3 to 4 ms per step more than the plain ones,
# in line with the fraction of a step measured in section 5.1. The three pairs,
# the same network on batches of the same size, differ from one another (15 to
# 23 ms per step) by about as much: the times measure the machine's load as much
# as the code.
#
# **Digits.** With 5,000 images the gain shrinks, as it should: from 94.8 ± 0.5 %
# to 96.3 ± 0.1 %, about one and a half points, against four with 1,000 images.
# It is still some three times its standard error, and augmentation also made the
# result depend less on the seed (the plain runs spread from 93.8 % to 95.5 %).
#
# **Clothes: augmentation *lowers* the test accuracy**, from 77.7 ± 0.6 % to
# 75.0 ± 0.5 %, on every seed. The transforms keep the label, so what went wrong?
# Look at the right panel. Even *without* augmentation the network gets only 88 %
# of its 1,000 training images right after 30 epochs — on the digits it reached
# 99.5 % in the same number of steps. Clothes are harder to tell apart (shirts,
# T-shirts, pullovers and coats share their outline), and `SimpleConvNet`, which
# starts from very small weights (standard deviation 0.01), has not finished
# learning its training set. With augmentation its training accuracy drops to
# 80 %: it is even further from fitting what it is shown. Augmentation is a
# regulariser: it fights overfitting, and a network that is still underfitting
# has little for it to fight.

# %% [markdown]
# **When augmentation does not help.** Augmentation makes the training task
# harder: the network must fit every variant, not just the originals. With a
# fixed number of epochs it may simply not have finished learning. The tell-tale
# sign is in the training accuracy, measured on the original images: a network
# that is far from 100 % on the very images it was trained on is **underfitting**,
# and a comparison between underfitted networks says more about the training
# budget than about augmentation. (A stricter sign, that the augmented network
# does worse on its own training images than the plain one does on the test set,
# does not fire here: 79.9 % against 77.7 %. Underfitting is a matter of degree,
# and the way to find out how much of it there is, is to train longer.) The
# remedies are more epochs, a larger network, or milder transforms — and measuring
# again. So we train the
# clothes three times as long, without augmentation, with the same transforms, and
# with milder ones: the flip and a crop with 1 pixel of padding instead of 2, no
# zoom. (Fashion-MNIST's garments are all centred and scaled the same way, so
# large shifts and zooms produce positions and sizes that no test image has.)

# %% tags=["nbval-ignore-output"]
plain_fashion_long = train_runs(*fashion, 3 * EPOCHS_SMALL, seeds=SEEDS)
augmented_fashion_long = train_runs(*fashion, 3 * EPOCHS_SMALL, clothes_augment,
                                    seeds=SEEDS)
milder = A.Compose([A.RandomHorizontalFlip(0.5), A.RandomCrop(1)])
milder_fashion_long = train_runs(*fashion, 3 * EPOCHS_SMALL, milder, seeds=SEEDS)
print(describe(f"{3 * EPOCHS_SMALL} epochs, no augmentation", plain_fashion_long))
print(describe(f"{3 * EPOCHS_SMALL} epochs, flip/crop 2/zoom", augmented_fashion_long))
print(describe(f"{3 * EPOCHS_SMALL} epochs, flip/crop 1", milder_fashion_long))

# %% [markdown]
# Three times as many epochs answer both questions.
#
# * Without augmentation the network now fits its training images (98.4 %) and
#   reaches 80.95 ± 0.15 % on the test images.
# * With the same flip, 2-pixel crop and zoom the deficit shrinks from about three
#   points to less than one (80.36 ± 0.19 %): most of the loss at 30 epochs was the
#   training budget, not the transforms. But not all of it: this network is still
#   at 88 % on its own training images, and the 0.6-point deficit is about two and a
#   half times its standard error.
# * The milder transforms — flip and a 1-pixel crop, no zoom — come out at
#   81.78 ± 0.58 %: level with no augmentation or a little above it (the
#   difference, 0.8 points, is about 1.4 times its standard error, and one of
#   the three seeds is below its plain run, so a gain is not established).
#
# What holds for these clothes, then: at 30 epochs the comparison measured
# underfitting; with enough training, shifts of 2 pixels and zooms still cost a
# little, because Fashion-MNIST's garments are all centred and scaled alike, so
# these transforms teach an invariance the test images never ask for while making
# the task harder; and none of the variants tried gives a clear gain on 1,000
# images. Label-preserving transforms are safe, but not free. (Exercise 6 asks
# which of the three transforms is the one that costs.)

# %% [markdown]
# ## 5.7 How strong is too strong?
#
# Two measurements with the networks we just trained.
#
# **How far does each network's competence reach?** We rotate the test images by a
# fixed angle and measure accuracy, with the networks of the first seed. The
# network trained without augmentation has only seen upright digits; the augmented
# one has seen ±10°. Beyond some angle both must fail — a 6 turned by 180° *is* a
# 9. The sweep uses the same test images as above, so its 0° points are the test
# accuracies of the first seed's runs (the first numbers in brackets in 5.6).

# %% tags=["nbval-ignore-output"]
angles = [0, 10, 20, 30, 45, 60, 90, 135, 180]
networks = {"no augmentation": plain[0]["network"],
            "augmentation ±10°": augmented[0]["network"]}
sweep = {name: [net.accuracy(A.rotate(mnist_test[0], a), mnist_test[1]) for a in angles]
         for name, net in networks.items()}

plt.figure(figsize=(7, 3.8))
for name, acc in sweep.items():
    plt.plot(angles, 100 * np.array(acc), "o-", label=name)
plt.axvspan(0, 10, color="tab:blue", alpha=0.1, label="angles seen in training")
plt.xlabel("rotation of the test images (degrees)")
plt.ylabel("test accuracy (%)")
plt.xticks(angles)
plt.legend()
plt.tight_layout()
plt.show()
for a, p, q in zip(angles, *sweep.values()):
    print(f"{a:4d}°: no augmentation {100 * p:5.1f}%   augmentation {100 * q:5.1f}%")

# %% [markdown]
# At 0° the two networks score 90.1 % and 93.5 %, the first seed's results above.
# The augmentation with ±10° buys robustness well beyond 10°: at 20° the augmented
# network still gets 81.7 % against 75.2 %, at 30° 64.9 % against 56.6 % (each
# point is measured on 10,000 images, with a standard error below half a point).
# From 45° on both collapse towards chance, and at 180° both rise again, the
# augmented one to 37.4 %: 0, 1 and 8, about 30 % of the test digits, look much
# the same upside down.
#
# **What if we augment with all angles?** If small rotations help, why not rotate
# by anything from −180° to 180°, and flip too? Because then the training set
# contains 6s that look like 9s and 9s that look like 6s, both with confident
# labels, plus mirror images that never occur in the test set. We train networks
# that way (again three seeds, and one run three times as long) and look at their
# test accuracy — in particular at how often they mistake a 6 for a 9 and a 9 for
# a 6.

# %% tags=["nbval-ignore-output"]
too_strong = A.Compose([A.RandomRotation(180), A.RandomHorizontalFlip(0.5)])
strong = train_runs(*mnist_small, EPOCHS_SMALL, too_strong, seeds=SEEDS)
strong_long = train_runs(*mnist_small, 3 * EPOCHS_SMALL, too_strong, seeds=SEEDS[:1])
print(describe("rotate ±180° + flip", strong))
print(describe(f"the same, {3 * EPOCHS_SMALL} epochs", strong_long))


def taken_for(network, true, answer):
    # "k of n" test images of the digit `true` that the network calls `answer`,
    # with the binomial error
    pred = np.argmax(network.predict(mnist_test[0][mnist_test[1] == true]), axis=1)
    return accuracy_with_error(int(np.sum(pred == answer)), len(pred), digits=1)


print(f"{'':<21}{'6 taken for 9':<27}9 taken for 6")
for name, runs in (("no augmentation", plain), ("rotate/shift/zoom", augmented),
                   ("rotate ±180° + flip", strong), ("the same, 3x longer", strong_long)):
    net = runs[0]["network"]
    print(f"{name:<21}{taken_for(net, 6, 9):<27}{taken_for(net, 9, 6)}")

# %% [markdown]
# Rotating by any angle and flipping costs dearly: 59.9 ± 2.6 % over three seeds,
# against 93.8 % with moderate augmentation and 89.7 % without, and the seeds
# disagree by eight and a half points. Two things are mixed in this number. Most
# of it is **underfitting**: the network gets only 65 % of its *own* training
# images right — every digit in every orientation, and its mirror images, is far
# more to learn than upright digits, and 30 epochs are not enough. Trained three
# times as long it reaches 73.7 % (one run; 81 % on its training images): much
# better, still far below the others, and still underfitting. The rest is **label
# noise**, and training longer makes that part worse: the network learns ever more
# firmly that a 6 and a 9 are one shape. After 30 epochs 8.1 % of the test 9s are
# taken for 6s, after 90 epochs 17.6 % — against a single 9 out of 1,009 without
# these transforms.
#
# **Deformations that change the digit.** Finally the student's question in
# numbers: we distort the test 2s elastically with growing strength and ask the
# network trained *without* augmentation (first seed) what it sees. As long as it
# still says "2" the deformation arguably kept the label; the fraction it no longer
# recognises is a rough measure of how many of those images we would be
# mislabelling if we used that strength for augmentation.

# %% tags=["nbval-ignore-output"]
twos = mnist_test[0][mnist_test[1] == 2]
field = np.random.default_rng(0).uniform(-1, 1, size=(len(twos), 2, 28, 28))
print(f"{len(twos)} test images of a 2")
print("elastic alpha (pixels)   still classified as 2      most common other answer")
for alpha in [0, 1, 2, 4, 6, 8]:
    distorted = A.elastic(twos, field, alpha=alpha, sigma=3.0)
    pred = np.argmax(plain[0]["network"].predict(distorted), axis=1)
    other = np.bincount(pred[pred != 2], minlength=10)
    common = (f"{np.argmax(other)} ({100 * other.max() / len(pred):.1f}%)"
              if other.sum() else "-")
    share = np.mean(pred == 2)
    print(f"{alpha:>12}            {100 * share:6.1f} % "
          f"± {100 * binomial_std_error(share, len(pred)):.1f} %          {common}")

# %% [markdown]
# Up to `alpha` = 2 pixels the network recognises nearly as many distorted 2s as
# undistorted ones (89.8 % at 0, 85.2 % at 2, each ± 1 point on 1,032 images). At
# 4 pixels it no longer recognises a fifth of the 2s it knew, most often calling
# them 6s; at 6 pixels 40 % of them and at 8 more than half, now most often calling
# them 3s — the strengths at which the pictures of section 5.5 stopped looking like
# clear 2s. For augmenting digits, distortions of 1 to 2 pixels are safe; 6 are
# not.
#
# With a trained network in hand, the explorer can now show what it thinks of
# every transformed image. Turn a 6 slowly and watch where the answer changes; try
# the same with the network trained with augmentation (`augmented[0]["network"]`).
# In quick mode the networks have trained for only a few dozen steps on 300
# images, so their answers are much less sure than those of a full run (the first
# line below says which).

# %% tags=["nbval-ignore-output"]
explored = plain[0]["network"]
print("network: no augmentation, first seed; "
      f"test accuracy {explored.accuracy(*mnist_test):.3f}"
      + (" (quick mode: briefly trained)" if QUICK else ""))
augment_explorer(x_test[:100], t_test[:100], network=explored, index=11)

# %% [markdown]
# ## 5.8 Summary
#
# * Data augmentation trains on random label-preserving transforms of the training
#   images, $\mathbb{E}_\theta\,\ell(f_W(T_\theta(x)), t)$: prior knowledge about
#   invariances, delivered as data.
# * Geometric transforms are implemented by **inverse mapping** — for every output
#   pixel compute its source — and **bilinear interpolation**, which keeps values
#   inside the input's range. Working on the whole batch with per-image parameters
#   keeps the cost to a fraction of a training step.
# * Whether a transform keeps the label depends on the task: small rotations and
#   shifts are safe for digits, flips and large rotations are not (6 ↔ 9); flips
#   are fine for clothes.
# * Keeping the label is necessary but not sufficient. Augmentation is a
#   regulariser: it helps a network that overfits (1,000 digits: about four
#   points) and helps less as the data grow (5,000 digits: about one and a half);
#   a network that is still underfitting (the clothes after 30 epochs) only gets a
#   harder task; transforms that produce variation the test images do not have
#   (2-pixel shifts of centred garments) cost a little even with enough training.
#   Too-strong augmentation is label noise *and* a much harder task.
# * Compare over several seeds, with error bars: a single run on a small training
#   set moves by a point from seed to seed.
#
# ### Exercises
#
# 1. Add `RandomElastic(alpha=2, sigma=3)` to the digit augmentation. Does it help
#    on 1,000 images, by more than the seeds' standard error? Try `alpha=6`.
# 2. Train on 1,000 digits with rotations of ±5°, ±10°, ±20°, ±45° (three seeds
#    each). Plot test accuracy with error bars against the maximum angle. Where is
#    the optimum?
# 3. Use `RandomHorizontalFlip` on MNIST and compare with the flip-free run.
#    Which digits suffer most (look at the confusion matrix)?
# 4. Show that a crop with padding is a whole-pixel shift:
#    `pad_crop(x, top, left, p)` equals `shift(x, p - left, p - top)`. Check it
#    with `np.array_equal` for random offsets. Then seed `RandomCrop(2)` and
#    `RandomShift(2)` with the same generator seed and compare their outputs: they
#    are *not* equal. Why? (Look at the order in which each draws its two numbers,
#    and at their signs.)
# 5. `rotate(x, 45)` followed by `rotate(x, -45)` does not give `x` back. Where
#    does it differ, and why? (Two reasons: corners, and interpolation.)
# 6. Repeat the Fashion-MNIST comparison with the crop alone and with the zoom
#    alone, at 90 epochs. Which transform costs accuracy? Then give `SimpleConvNet`
#    `weight_init_std="he"` and see whether the picture changes.
