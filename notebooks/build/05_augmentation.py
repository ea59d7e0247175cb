"""Writes notebooks/05_augmentation.ipynb (without outputs).

Run from the repository root:  python notebooks/build/05_augmentation.py
then execute the notebook in full mode to store its outputs:
  jupyter nbconvert --to notebook --execute --inplace notebooks/05_augmentation.ipynb
"""

from builder import IGNORE, code, md, save


# ---------------------------------------------------------------------------
md(r"""
# Chapter 5 — Data augmentation

The `SimpleConvNet` of the previous chapters has about 430,000 weights. Give it
1,000 training images and it will, after a few dozen epochs, classify every one
of them correctly — and do noticeably worse on images it has never seen. The gap
between training and test accuracy is the signature of **overfitting**: the
network has learned features of *these* 1,000 images rather than of handwritten
digits in general.

The honest cure is more data. When more data cannot be had, we can do the next
best thing: *manufacture* new training images from the ones we have, using what
we know about the task. A digit shifted two pixels to the right is still the same
digit; so is a digit written with a slight slant. Turning every training image
into a whole family of plausible variants is called **data augmentation**.

In this chapter we

1. write the transforms ourselves — rotation, shift, crop with padding, zoom,
   flip, brightness and contrast, elastic distortion — for whole batches at once,
   in NumPy, with the geometry worked out from first principles;
2. look at each transform on MNIST digits and Fashion-MNIST clothes, and play
   with them in an interactive widget;
3. ask the question that decides everything: **which transforms keep the label?**
4. measure what augmentation does for a small training set, with real numbers,
   and find out where "more augmentation" turns from help into harm.
""")

code(r"""
import time

import matplotlib.pyplot as plt
import numpy as np

from course_lib import SimpleConvNet, Trainer, load_fashion_mnist, load_mnist, FASHION_MNIST_CLASSES
from course_lib import augment as A
from course_lib.augment_widgets import augment_explorer
from course_lib.config import QUICK
from course_lib.plots import show_images

np.set_printoptions(precision=3, suppress=True)
(x_train, t_train), (x_test, t_test) = load_mnist(flatten=False)
(f_train, ft_train), (f_test, ft_test) = load_fashion_mnist(flatten=False)
print("MNIST:        ", x_train.shape, x_train.dtype, x_test.shape)
print("Fashion-MNIST:", f_train.shape, f_train.dtype, f_test.shape)
print("pixel values in [%.1f, %.1f]" % (x_train.min(), x_train.max()))
""")

code(r"""
print("quick mode" if QUICK else "full mode")
""", IGNORE)

# ---------------------------------------------------------------------------
md(r"""
## 5.1 Augmentation as a training objective

Write the training set as pairs $(x_i, t_i)$, $i = 1, \dots, N$, and the network's
loss on one example as $\ell\big(f_W(x), t\big)$. Ordinary training minimises the
average loss over the $N$ examples. Augmentation picks a family of transforms
$T_\theta$ — a rotation by the angle $\theta$, say — and a distribution $p(\theta)$
over their parameters, and minimises instead

$$
L_{\text{aug}}(W) \;=\; \frac{1}{N} \sum_{i=1}^{N} \;
\mathbb{E}_{\theta \sim p(\theta)} \Big[\, \ell\big(f_W(T_\theta(x_i)),\; t_i\big) \Big].
$$

We never compute the expectation. Each time an image enters a mini-batch we draw
a fresh $\theta$, so over many epochs the network sees many different versions of
every image — a stochastic estimate of $L_{\text{aug}}$, just as a mini-batch is a
stochastic estimate of the full loss.

Look at what the formula *assumes*: the transformed image $T_\theta(x_i)$ keeps the
label $t_i$. Augmentation is a way of telling the network "the answer does not
depend on this change". When that statement is true it is valuable prior
knowledge, delivered as data instead of as a penalty term. When it is false we
are feeding the network wrong labels. Section 5.5 is about telling the two apart.

The course `Trainer` accepts a function `augment(x_batch, rng)` and applies it to
every training mini-batch with its own seeded random generator (test images are
never augmented). Since it runs on every step, it has to be cheap compared with
the forward and backward pass. All transforms below therefore work on a whole
batch `(N, C, H, W)` at once, with no Python loop over images:
""")

code(r"""
pipeline = A.Compose([A.RandomRotation(10), A.RandomShift(2), A.RandomZoom((0.9, 1.1))])
batch, rng = x_train[:100], np.random.default_rng(0)
pipeline(batch, rng)                                   # warm-up
start = time.perf_counter()
for _ in range(20):
    pipeline(batch, rng)
ms = (time.perf_counter() - start) / 20 * 1e3
print(f"rotation + shift + zoom of a batch of 100 images: {ms:.1f} ms")
""", IGNORE)

md(r"""
A training step of `SimpleConvNet` on a batch of 100 images takes tens of
milliseconds on a laptop, so the augmentation costs a small fraction of it.
""")

# ---------------------------------------------------------------------------
md(r"""
## 5.2 Moving pixels: inverse mapping and bilinear interpolation

An image is an array indexed by (row, column). A geometric transform moves the
content: the point $p$ of the input lands at $p'$ in the output. For rotations and
zooms about the image centre $c = \big(\tfrac{H-1}{2}, \tfrac{W-1}{2}\big)$ followed
by a shift $s$ this is an *affine* map

$$
p' = M\,(p - c) + c + s .
$$

The tempting implementation — take every input pixel, compute where it goes,
write it there — leaves holes (some output pixels receive nothing) and collisions
(some receive two). We go the other way round. For every **output** pixel $p'$ we
ask where it came from,

$$
p = M^{-1}\,(p' - c - s) + c ,
$$

and read the input there. This is **inverse mapping**: every output pixel gets
exactly one value.

With $u = r' - c_r$ and $v = c' - c_c$ the offsets of the output pixel from the
centre (rows grow *downwards*), the source of a counter-clockwise rotation by
$\theta$ is

$$
r = c_r + u\cos\theta + v\sin\theta, \qquad
c = c_c - u\sin\theta + v\cos\theta ,
$$

a zoom by the factor $z$ reads from $c + (u, v)/z$, and a shift by $d_x$ pixels to
the right and $d_y$ pixels down reads from $(r' - d_y,\; c' - d_x)$.

**Bilinear interpolation.** The source point $(r, c)$ is rarely a whole pixel.
With $r_0 = \lfloor r \rfloor$, $\alpha = r - r_0$ and $c_0 = \lfloor c \rfloor$,
$\beta = c - c_0$ we blend the four surrounding pixels:

$$
x(r, c) \approx (1-\alpha)(1-\beta)\, x_{r_0, c_0} + (1-\alpha)\,\beta\, x_{r_0, c_0+1}
+ \alpha(1-\beta)\, x_{r_0+1, c_0} + \alpha\beta\, x_{r_0+1, c_0+1} .
$$

Pixels outside the image count as 0, the black background of MNIST. The four
weights are non-negative and add up to 1, so the result is an average of input
values (and zeros): **the output can never leave the input's value range**, and
no clipping of brightness is needed after a rotation.

For a batch, the source coordinates of all output pixels of all images form two
arrays of shape `(N, H, W)`, one angle per image; `np.take` then gathers the four
neighbours of every pixel in one call each. A quarter turn must agree exactly
with NumPy's `np.rot90`, and a shift by half a pixel must average neighbours:
""")

code(r"""
tiny = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
print("image:\n", tiny[0, 0])
print("rotate by 90 degrees (bilinear):\n", A.rotate(tiny, 90)[0, 0])
print("same as np.rot90:", np.allclose(A.rotate(tiny, 90), np.rot90(tiny, axes=(2, 3))))
print("shift right by 0.5 pixel:\n", A.shift(tiny, dx=0.5, dy=0)[0, 0])
""")

md(r"""
The first column of the half-pixel shift is half of the image's first column
(the other half comes from the black border) and every other entry is the mean of
two horizontal neighbours — exactly the interpolation formula with $\beta = 0.5$.
""")

# ---------------------------------------------------------------------------
md(r"""
## 5.3 The transforms, one by one

`course_lib.augment` offers each transform in two forms. The **functional** form
takes the parameters explicitly — one value for the whole batch or one per image:

| function | what it does |
|---|---|
| `rotate(x, angles)` | counter-clockwise rotation about the centre, degrees |
| `shift(x, dx, dy)` | move right by `dx`, down by `dy` pixels (zero fill) |
| `pad_crop(x, top, left, padding)` | pad by `padding` pixels, cut out an H × W window |
| `zoom(x, factors)` | scale about the centre, > 1 enlarges |
| `flip_horizontal(x)` / `rot90(x, k)` | mirror left-right / exact quarter turns |
| `adjust_brightness_contrast(x, b, c)` | $(x - \bar x)\,c + \bar x + b$, clipped to [0, 1] |
| `elastic(x, field, alpha, sigma)` | smooth random displacement of every pixel |

The **random** form draws the parameters for each image: `RandomRotation(10)`
draws angles uniformly from $[-10°, 10°]$, `RandomShift(2)` whole-pixel shifts in
$\{-2, \dots, 2\}$, `RandomCrop(2)` pads by 2 and crops at a random place,
`RandomZoom((0.9, 1.1))`, `RandomHorizontalFlip(p=0.5)`,
`RandomBrightnessContrast(0.1, 0.2)`, `RandomElastic(alpha, sigma)`, and
`RandomAffine(degrees, max_shift, scale)` combines rotation, zoom and shift in a
single interpolation. Each is called as `transform(x, rng)`.

Here is every transform applied to the same MNIST digits, with fixed parameters so
that the rows are easy to compare:
""")

code(r"""
def show_grid(rows, row_names, title=None):
    # One row of images per transform; images are (N, 1, H, W) batches.
    n_rows, n_cols = len(rows), len(rows[0])
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(1.3 * n_cols + 1.6, 1.3 * n_rows))
    for i, (batch, name) in enumerate(zip(rows, row_names)):
        for j in range(n_cols):
            ax = axes[i, j]
            ax.imshow(batch[j, 0], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[i, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.show()


def transform_rows(x, seed=0):
    field = np.random.default_rng(seed).uniform(-1, 1, size=(len(x), 2) + x.shape[2:])
    return {
        "original": x,
        "rotate +20°": A.rotate(x, 20),
        "rotate -20°": A.rotate(x, -20),
        "shift (3, -2)": A.shift(x, 3, -2),
        "pad 3 + crop": A.pad_crop(x, top=0, left=6, padding=3),
        "zoom 0.8": A.zoom(x, 0.8),
        "zoom 1.2": A.zoom(x, 1.2),
        "flip": A.flip_horizontal(x),
        "brightness -0.3": A.adjust_brightness_contrast(x, -0.3, 1.0),
        "contrast 0.5": A.adjust_brightness_contrast(x, 0.0, 0.5),
        "elastic": A.elastic(x, field, alpha=2.5, sigma=3.0),
    }


digits = x_test[[t_test.tolist().index(d) for d in range(10)]]    # one of each digit
rows = transform_rows(digits)
show_grid(list(rows.values()), list(rows.keys()), "MNIST: one transform per row")
""")

md(r"""
A few things to notice. The shift and the crop with padding move the digit as a
whole; the crop is simply a whole-pixel shift whose border is filled with the
padding. Zoom 0.8 shrinks the digit and leaves a wider black frame; zoom 1.2 can
cut off the ends of long strokes. Brightness and contrast change the ink, not the
shape. Contrast is changed about each image's mean, so lower contrast turns the
black background grey. MNIST has a black background and near-white ink in every
image, so on this data set these two transforms add little that the test images
need. The elastic distortion bends the strokes the
way a slightly different hand would.

The same transforms on Fashion-MNIST, one image per class:
""")

code(r"""
garments = f_test[[ft_test.tolist().index(k) for k in range(10)]]
rows = transform_rows(garments)
show_grid(list(rows.values()), list(rows.keys()), "Fashion-MNIST: " + ", ".join(FASHION_MNIST_CLASSES[:4]) + ", ...")
""")

md(r"""
**Random transforms and seeds.** In training we want a different random version
of each image every time it is used. `Compose` chains random transforms; all of
them draw from one random generator, so a seed makes the whole chain
reproducible. Eight draws of the same digit:
""")

code(r"""
pipeline = A.Compose([A.RandomRotation(10), A.RandomShift(2), A.RandomZoom((0.9, 1.1))])
print(pipeline)

eight = np.repeat(digits[2:3], 8, axis=0)                    # eight copies of the 2
out = pipeline(eight, np.random.default_rng(0))
again = pipeline(eight, np.random.default_rng(0))
print("same seed, same images:", np.array_equal(out, again))
print("shape and dtype kept:", out.shape, out.dtype, "| values in [%.2f, %.2f]" % (out.min(), out.max()))
show_images(out, ncols=8, vmin=0, vmax=1, title="eight random draws of the same pipeline")
plt.show()
""")

# ---------------------------------------------------------------------------
md(r"""
## 5.4 Try it yourself

Move the sliders: rotate, shift, zoom and change the brightness of a test image
(the `image` slider picks it). Find the angle at which *you* would no longer be
sure which digit it is. The transforms are applied in a fixed order: flip, zoom,
rotation, shift, brightness and contrast. (The sliders need a live Jupyter
kernel: run the notebook to use them.)
""")

code(r"""
augment_explorer(x_test[:100], t_test[:100], index=2)
""", IGNORE)

md(r"""
The same explorer works for the clothes (pass `class_names=FASHION_MNIST_CLASSES`);
after the experiment below we will give it a trained network, so that it can also
tell us what the network thinks.
""")

# ---------------------------------------------------------------------------
md(r"""
## 5.5 Which transforms keep the label?

Invariance is a property of the **task**, not of the image. The same rotation
that is harmless for one task destroys the information that another task needs.
Four cases:

* **Small rotations, shifts and zooms of digits** keep the label. People write
  with a slant, a little off-centre, a little larger or smaller; MNIST itself was
  made by centring the digits by their centre of mass, which is only a rough
  normalisation. A shift of 2 pixels or a rotation of 10° produces images that
  could have been in the data set.

* **Flipping a digit** does not. The mirror image of a 2, 3, 4, 5, 6, 7 or 9 is
  not a digit at all (a few, such as 0, 1 and 8, survive). Training on mirrored
  digits does not give wrong labels so much as *useless* images: the network
  spends capacity on shapes that never appear in the test set.

* **Rotating a 6 by 180°** gives a 9. Here the transform changes the label, and
  augmentation with large rotations teaches the network the opposite of the
  truth: "this shape (a rotated 6) is a 6" while the test set says it is a 9.

* **Flipping clothes** is fine. A mirrored shirt is a shirt, a mirrored sneaker is a
  sneaker for the other foot, and the photographs of Fashion-MNIST are centred
  in a standard pose. Turning them upside down is different: the label is
  kept, but no test image is upside down, so it only adds irrelevant variety.
""")

code(r"""
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
show_grid([clothes, A.flip_horizontal(clothes), np.ascontiguousarray(clothes[:, :, ::-1])],
          ["garment", "flipped left-right", "upside down"], "Left-right flips keep the label of clothes")
""")

md(r"""
**"If I deform a 2 enough it starts to look like a 5 (or a 7) — doesn't
augmentation then teach the network the wrong thing?"**

Yes — exactly then. Augmentation claims that $T_\theta(x)$ has the label of $x$.
For small $\theta$ the claim is true and the network learns a useful invariance.
As $\theta$ grows, $T_\theta(x)$ drifts towards the boundary between classes, and
beyond it the claim is false: we are adding **label noise**, the same as if a
careless annotator had labelled some 5-like shapes "2". A few such examples do
little harm — networks tolerate some label noise — but a transform that crosses
the boundary *often* moves the decision boundary in the wrong direction.

The elastic distortion makes this easy to see. Its `alpha` is the largest
displacement of any pixel: at 1 to 2 pixels the digit wobbles like handwriting;
at 5 or 6 pixels some of the 2s below are no longer clearly 2s.
""")

code(r"""
twos = x_test[first_of(t_test, 2, 8)]
field = np.random.default_rng(3).uniform(-1, 1, size=(8, 2, 28, 28))
alphas = [0, 1, 2, 4, 6, 8]
show_grid([A.elastic(twos, field, alpha=a, sigma=3.0) for a in alphas],
          [f"alpha = {a}" for a in alphas], "Elastic distortion of 2s, growing strength")
""")

md(r"""
So how strong is too strong? Some rules of thumb, which the experiments below put
numbers on:

1. **Would a person still give the same label, every time?** If you hesitate on
   more than an occasional augmented image, the transform is too strong.
2. **Could the augmented image occur in the test data?** Transforms that produce
   images the network will never meet (mirrored digits, upside-down shoes) waste
   capacity even when they keep the label.
3. **Start small and measure.** Typical values for 28 × 28 digits are rotations
   up to 10–15°, shifts of 2–3 pixels, zoom 0.9–1.1. Check the augmented images by
   eye, then compare test accuracy with and without.
4. **Augmentation is a regulariser.** Like weight decay or dropout, it pays off
   most when data are scarce and the network overfits; with a huge data set its
   benefit shrinks.
""")

# ---------------------------------------------------------------------------
md(r"""
## 5.6 The experiment: 1,000 digits, with and without augmentation

We train the same network twice: `SimpleConvNet` with the same seed (so the same
initial weights and the same order of mini-batches), Adam with learning rate
0.001, mini-batches of 100, on the first 1,000 MNIST training images. The only
difference is `augment=`: a random rotation of up to ±10°, a shift of up to
±2 pixels and a zoom between 0.9 and 1.1, drawn afresh for every image in every
epoch (`RandomAffine`, which does the three in one interpolation). Both runs are
then tested on all 10,000 test images.

Training accuracy is measured on the original, un-augmented training images, so
the two runs are compared on equal terms.
""")

code(r"""
if QUICK:      # a small version so that the whole chapter runs in a minute
    N_SMALL, N_LARGE, EPOCHS_SMALL, EPOCHS_LARGE, N_TEST, N_EVAL = 200, 400, 2, 1, 500, 200
else:
    N_SMALL, N_LARGE, EPOCHS_SMALL, EPOCHS_LARGE, N_TEST, N_EVAL = 1000, 5000, 30, 10, 10000, 500

digit_augment = A.RandomAffine(degrees=10, max_shift=2, scale=(0.9, 1.1))


def run(x_tr, t_tr, x_te, t_te, n_train, epochs, augment=None, seed=0):
    # Train a seeded SimpleConvNet on the first n_train images; return the results.
    network = SimpleConvNet(seed=seed)
    trainer = Trainer(network, x_tr[:n_train], t_tr[:n_train], x_te[:N_TEST], t_te[:N_TEST],
                      epochs=epochs, mini_batch_size=100, optimizer="Adam",
                      optimizer_param={"lr": 0.001}, evaluate_sample_num_per_epoch=N_EVAL,
                      verbose=False, seed=seed, augment=augment)
    start = time.perf_counter()
    trainer.train()
    network.eval()
    train_acc = network.accuracy(x_tr[:n_train], t_tr[:n_train])
    test_acc = network.accuracy(x_te[:N_TEST], t_te[:N_TEST])
    return {"network": network, "train_acc": train_acc, "test_acc": test_acc,
            "gap": train_acc - test_acc, "curve": list(trainer.test_acc_list),
            "train_curve": list(trainer.train_acc_list), "seconds": time.perf_counter() - start}


def report(name, r):
    print(f"{name:<28} train {r['train_acc']:.4f}   test {r['test_acc']:.4f}   "
          f"gap {r['gap']:+.4f}   ({r['seconds']:.0f} s)")


plain = run(x_train, t_train, x_test, t_test, N_SMALL, EPOCHS_SMALL)
report("MNIST, no augmentation", plain)
augmented = run(x_train, t_train, x_test, t_test, N_SMALL, EPOCHS_SMALL, augment=digit_augment)
report("MNIST, rotate/shift/zoom", augmented)
""", IGNORE)

code(r"""
def plot_pair(plain, augmented, title):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    epochs = np.arange(1, len(plain["curve"]) + 1)
    for r, name, color in ((plain, "no augmentation", "tab:gray"), (augmented, "augmentation", "tab:blue")):
        ax1.plot(epochs, r["train_curve"], "--", color=color, label=f"{name}: train")
        ax1.plot(epochs, r["curve"], "-", color=color, label=f"{name}: test")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel(f"accuracy (first {N_EVAL} images)")
    ax1.set_title(title)
    ax1.legend(fontsize=8)
    names = ["no augmentation", "augmentation"]
    x = np.arange(2)
    ax2.bar(x - 0.2, [plain["train_acc"], augmented["train_acc"]], 0.4, label="train", color="tab:orange")
    ax2.bar(x + 0.2, [plain["test_acc"], augmented["test_acc"]], 0.4, label="test", color="tab:green")
    for i, r in enumerate((plain, augmented)):
        ax2.text(i, max(r["train_acc"], r["test_acc"]) + 0.005, f"gap {100 * r['gap']:.1f} pt", ha="center")
    low = min(plain["test_acc"], augmented["test_acc"])
    ax2.set_ylim(max(0.0, low - 0.1), 1.02)
    ax2.set_xticks(x, names)
    ax2.set_ylabel("final accuracy")
    ax2.legend(loc="lower right")
    fig.tight_layout()
    plt.show()


def verdict(plain, augmented):
    # One sentence, computed from the numbers.
    diff = 100 * (augmented["test_acc"] - plain["test_acc"])
    if abs(diff) < 0.2:
        change = f"left the test accuracy practically unchanged ({diff:+.2f} points)"
    elif diff > 0:
        change = f"raised the test accuracy by {diff:.2f} percentage points"
    else:
        change = f"lowered the test accuracy by {-diff:.2f} percentage points"
    g0, g1 = 100 * plain["gap"], 100 * augmented["gap"]
    gap = ("narrowed" if g1 < g0 - 0.2 else "widened" if g1 > g0 + 0.2 else "hardly changed")
    sentence = (f"Augmentation {change} ({100 * plain['test_acc']:.2f}% -> {100 * augmented['test_acc']:.2f}%); "
                f"the train/test gap {gap}, from {g0:.1f} to {g1:.1f} points.")
    if diff < -0.2 and augmented["train_acc"] < plain["test_acc"]:
        sentence += (f" The augmented network gets only {100 * augmented['train_acc']:.1f}% of its own "
                     f"training images right, less than the plain network scores on the test set: "
                     f"it is underfitting.")
    return sentence


plot_pair(plain, augmented, f"MNIST, {N_SMALL} training images")
print(verdict(plain, augmented))
""", IGNORE)

md(r"""
Read the left panel for the usual signs of overfitting: without augmentation the
dashed training curve reaches (nearly) 100% quickly while the test curve levels
off below it. With augmentation the network never sees the same image twice, the
training images are harder to memorise, and the test curve can keep climbing for
longer. Whether the numbers above show a large or a small effect, the sentence
under the figure was computed from them.

### More data, and clothes

Augmentation stands in for data we do not have, so its benefit should shrink
as the real training set grows. We repeat the comparison with five times as many
digits, and then with 1,000 Fashion-MNIST images. For the clothes we use a
left-right flip with probability 0.5, a crop with 2 pixels of padding and a mild
zoom — the transforms section 5.5 found label-preserving for this task.
""")

code(r"""
clothes_augment = A.Compose([A.RandomHorizontalFlip(0.5), A.RandomCrop(2), A.RandomZoom((0.95, 1.05))])

plain_large = run(x_train, t_train, x_test, t_test, N_LARGE, EPOCHS_LARGE)
report(f"MNIST {N_LARGE}, no augmentation", plain_large)
augmented_large = run(x_train, t_train, x_test, t_test, N_LARGE, EPOCHS_LARGE, augment=digit_augment)
report(f"MNIST {N_LARGE}, augmentation", augmented_large)

plain_fashion = run(f_train, ft_train, f_test, ft_test, N_SMALL, EPOCHS_SMALL)
report(f"Fashion {N_SMALL}, no augmentation", plain_fashion)
augmented_fashion = run(f_train, ft_train, f_test, ft_test, N_SMALL, EPOCHS_SMALL, augment=clothes_augment)
report(f"Fashion {N_SMALL}, flip/crop/zoom", augmented_fashion)
""", IGNORE)

code(r"""
experiments = [(f"MNIST\n{N_SMALL} images", plain, augmented),
               (f"MNIST\n{N_LARGE} images", plain_large, augmented_large),
               (f"Fashion-MNIST\n{N_SMALL} images", plain_fashion, augmented_fashion)]

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
x = np.arange(len(experiments))
for offset, key, name, color in ((-0.2, 1, "no augmentation", "tab:gray"), (0.2, 2, "augmentation", "tab:blue")):
    ax1.bar(x + offset, [100 * e[key]["test_acc"] for e in experiments], 0.4, label=name, color=color)
    ax2.bar(x + offset, [100 * e[key]["gap"] for e in experiments], 0.4, label=name, color=color)
low = min(100 * e[k]["test_acc"] for e in experiments for k in (1, 2))
ax1.set_ylim(max(0, low - 10), 100)
ax1.set_ylabel("test accuracy (%)")
ax2.set_ylabel("train - test accuracy (points)")
for ax in (ax1, ax2):
    ax.set_xticks(x, [e[0] for e in experiments])
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

for name, p, a in experiments:
    print(name.replace("\n", ", ") + ": " + verdict(p, a))
gain_small = augmented["test_acc"] - plain["test_acc"]
gain_large = augmented_large["test_acc"] - plain_large["test_acc"]
print(f"The gain from augmentation is {'smaller' if gain_large < gain_small else 'not smaller'} with "
      f"{N_LARGE} images ({100 * gain_large:+.2f} points) than with {N_SMALL} ({100 * gain_small:+.2f} points).")
""", IGNORE)

md(r"""
**When augmentation does not help.** Augmentation makes the training task
harder: the network must fit every variant, not just the 1,000 originals. With a
fixed number of epochs it may simply not have finished learning. The tell-tale
sign is in the training accuracy (measured on the original images): if the
augmented network does worse on its own training images than the plain network
does on the test set, it is **underfitting**, and the comparison says more about
the training budget than about augmentation. The remedies are more epochs, a
larger network, or milder transforms — and measuring again. A transform that
keeps the label is necessary for augmentation to help, but not sufficient: it
must also produce variation that the test images actually show.
""")

# ---------------------------------------------------------------------------
md(r"""
## 5.7 How strong is too strong?

Two measurements with the networks we just trained.

**How far does each network's competence reach?** We rotate the whole test set
by a fixed angle and measure accuracy. The network trained without augmentation
has only seen upright digits; the augmented one has seen ±10°. Beyond some angle
both must fail — a 6 turned by 180° *is* a 9.
""")

code(r"""
angles = [0, 10, 20, 30, 45, 60, 90, 135, 180]
n_sweep = min(N_TEST, 2000)
sweep = {}
for name, r in (("no augmentation", plain), ("augmentation ±10°", augmented)):
    sweep[name] = [r["network"].accuracy(A.rotate(x_test[:n_sweep], a), t_test[:n_sweep]) for a in angles]

plt.figure(figsize=(6.5, 3.6))
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
""", IGNORE)

md(r"""
**What if we augment with all angles?** If small rotations help, why not rotate
by anything from −180° to 180°, and flip too? Because then the training set
contains 6s that look like 9s and 9s that look like 6s, both with confident
labels, plus mirror images that never occur in the test set. We train a third
network that way and look at its test accuracy — in particular at how often it
mistakes a 6 for a 9 and a 9 for a 6.
""")

code(r"""
too_strong = A.Compose([A.RandomRotation(180), A.RandomHorizontalFlip(0.5)])
strong = run(x_train, t_train, x_test, t_test, N_SMALL, EPOCHS_SMALL, augment=too_strong)
report("MNIST, rotate ±180° + flip", strong)


def six_nine_confusion(network):
    pred = np.argmax(network.predict(x_test[:N_TEST]), axis=1)
    t = t_test[:N_TEST]
    return np.mean(pred[t == 6] == 9), np.mean(pred[t == 9] == 6)


print()
for name, r in (("no augmentation", plain), ("rotate/shift/zoom", augmented), ("rotate ±180° + flip", strong)):
    six_as_nine, nine_as_six = six_nine_confusion(r["network"])
    print(f"{name:<22} test acc {100 * r['test_acc']:5.2f}%   6 taken for 9: {100 * six_as_nine:4.1f}%"
          f"   9 taken for 6: {100 * nine_as_six:4.1f}%")

best_name, best = max((("moderate augmentation", augmented), ("no augmentation", plain)),
                      key=lambda item: item[1]["test_acc"])
delta = 100 * (strong["test_acc"] - best["test_acc"])
print()
print(f"Augmenting with all angles and flips gives {100 * strong['test_acc']:.2f}% test accuracy, "
      f"{abs(delta):.2f} points {'below' if delta < 0 else 'above'} the better of the other two runs "
      f"({best_name}, {100 * best['test_acc']:.2f}%).")
""", IGNORE)

md(r"""
**Deformations that change the digit.** Finally the student's question in
numbers: we distort the test 2s elastically with growing strength and ask the
network trained *without* augmentation what it sees. As long as it still says "2"
the deformation arguably kept the label; the fraction it no longer recognises is
a rough measure of how many of those images we would be mislabelling if we used
that strength for augmentation.
""")

code(r"""
twos = x_test[:N_TEST][t_test[:N_TEST] == 2]
field = np.random.default_rng(0).uniform(-1, 1, size=(len(twos), 2, 28, 28))
print("elastic alpha (pixels)   share of 2s still classified as 2   most common other answer")
for alpha in [0, 1, 2, 4, 6, 8]:
    pred = np.argmax(plain["network"].predict(A.elastic(twos, field, alpha=alpha, sigma=3.0)), axis=1)
    other = np.bincount(pred[pred != 2], minlength=10)
    common = f"{np.argmax(other)} ({100 * other.max() / len(pred):.1f}%)" if other.sum() else "-"
    print(f"{alpha:>12}            {100 * np.mean(pred == 2):20.1f}%             {common}")
""", IGNORE)

md(r"""
With the trained network in hand, the explorer can now show what it thinks of
every transformed image. Turn a 6 slowly and watch where the answer changes; try
the same with the network trained with augmentation (`augmented["network"]`).
""")

code(r"""
augment_explorer(x_test[:100], t_test[:100], network=plain["network"], index=11)
""", IGNORE)

# ---------------------------------------------------------------------------
md(r"""
## 5.8 Summary

* Data augmentation trains on random label-preserving transforms of the training
  images, $\mathbb{E}_\theta\,\ell(f_W(T_\theta(x)), t)$: prior knowledge about
  invariances, delivered as data.
* Geometric transforms are implemented by **inverse mapping** — for every output
  pixel compute its source — and **bilinear interpolation**, which keeps values
  inside the input's range. Working on the whole batch with per-image parameters
  keeps the cost at a few milliseconds per batch.
* Whether a transform keeps the label depends on the task: small rotations and
  shifts are safe for digits, flips and large rotations are not (6 ↔ 9); flips
  are fine for clothes.
* Too-strong augmentation is label noise. Choose strengths a person would agree
  with, check augmented images by eye, and measure.
* The effect is largest when data are scarce — the experiment above measured it
  on 1,000 and 5,000 images.

### Exercises

1. Add `RandomElastic(alpha=2, sigma=3)` to the digit augmentation. Does it help
   on 1,000 images? Try `alpha=6`.
2. Train on 1,000 digits with rotations of ±5°, ±10°, ±20°, ±45°. Plot test
   accuracy against the maximum angle. Where is the optimum?
3. Use `RandomHorizontalFlip` on MNIST and compare with the flip-free run.
   Which digits suffer most (look at the confusion matrix)?
4. The crop with padding and the whole-pixel shift produce the same images.
   Prove it, then check it with `np.array_equal` for a seeded run.
5. `rotate(x, 45)` followed by `rotate(x, -45)` does not give `x` back. Where
   does it differ, and why? (Two reasons: corners, and interpolation.)
6. Repeat the Fashion-MNIST comparison with three times as many epochs. Does the
   verdict change? Then drop the flip, or the crop, and find out which transform
   matters.
""")

save("05_augmentation.ipynb")
