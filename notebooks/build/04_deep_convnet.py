"""Writes notebooks/04_deep_convnet.ipynb (without outputs).

Run from the repository root:  python notebooks/build/04_deep_convnet.py
then execute the notebook in full mode to train the network, save the shipped
weights and store the outputs:
  jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=-1 \
      notebooks/04_deep_convnet.ipynb
"""

from builder import IGNORE, code, md, save

EPOCHS = 20
EVAL_N = 10000


# ---------------------------------------------------------------------------
md(r"""
# Chapter 4 — A deep convolutional network for MNIST

The `SimpleConvNet` of the previous chapter has one convolution with 5×5 filters
and reaches about 99 % on the MNIST test set. In this chapter we go deeper: six
convolutions with small 3×3 filters, three pooling stages, two fully connected
layers with dropout, trained with Adam. The same network appears at the end of
*Deep Learning from Scratch*, where it reaches between 99.38 % and 99.49 % —
fewer than 62 mistakes on 10,000 handwritten digits, many of which a person would
hesitate over too.

Along the way we look at the questions that a deep network raises and a shallow
one hides:

1. why small filters, and how the **receptive field** grows with depth;
2. why the **initial weights** must be scaled to the layer size (He vs. Xavier vs.
   a fixed 0.01), seen in the activations at initialisation;
3. what training costs on a CPU, and what it gives: learning curves, the test
   accuracy, the digits it still gets wrong;
4. what the network has learned: filters and feature maps;
5. two practical matters of inference: **half precision** and evaluating in
   **batches** to keep memory bounded.

The trained weights are saved with the course library, so
`course_lib.pretrained.load("deep_convnet_mnist")` gives you this network ready
to use in later chapters.
""")

code(r"""
import copy
import time
import tracemalloc

import matplotlib.pyplot as plt
import numpy as np

from course_lib import DeepConvNet, Trainer, load_mnist, pretrained
from course_lib import plots
from course_lib.config import QUICK, pick
from course_lib.layers import Convolution, Pooling, Relu

np.set_printoptions(precision=3, suppress=True)
(x_train, t_train), (x_test, t_test) = load_mnist(flatten=False)
print("training images:", x_train.shape, x_train.dtype)
print("test images:    ", x_test.shape, x_test.dtype)
""")

code(r"""
print("quick mode: brief training, then the shipped weights are evaluated" if QUICK
      else "full mode: the network is trained on all 60,000 images and its weights are saved")
""", IGNORE)

# ---------------------------------------------------------------------------
md(r"""
## 4.1 The architecture

```
conv 3×3, 16 ─ ReLU ─ conv 3×3, 16 ─ ReLU ─ pool 2×2
conv 3×3, 32 ─ ReLU ─ conv 3×3, 32 ─ ReLU ─ pool 2×2
conv 3×3, 64 ─ ReLU ─ conv 3×3, 64 ─ ReLU ─ pool 2×2
affine 50 ─ ReLU ─ dropout ─ affine 10 ─ dropout ─ softmax
```

**Small filters, stacked.** A convolution with an $F\times F$ filter sees an
$F\times F$ patch of its input. Put a second one on top and each of its outputs
sees an $F\times F$ patch of the first layer's outputs, each of which saw an
$F\times F$ patch of the image: with stride 1 the **receptive field** of the
$k$-th layer of 3×3 convolutions is $(2k+1)\times(2k+1)$. Two 3×3 layers therefore
see a 5×5 patch, like a single 5×5 layer, but with $C$ channels in and out they
need

$$
2 \cdot (3\cdot 3\cdot C^2) = 18\,C^2 \quad\text{weights instead of}\quad 5\cdot 5\cdot C^2 = 25\,C^2,
$$

and they put a ReLU in between, so the pair computes a more flexible function
than one linear filter followed by one ReLU. Three 3×3 layers see 7×7 with
$27C^2$ weights instead of $49C^2$. This is the idea behind the VGG networks,
and the reason almost every modern network uses 3×3 filters.

**Pooling widens the view.** A 2×2 max pooling with stride 2 halves the height and
width; every later 3×3 filter then covers twice as many image pixels per step.
While the maps shrink, the number of channels grows, 16 → 32 → 64: deeper layers
detect more kinds of larger patterns, at fewer positions, and the work per layer
stays roughly balanced.

**Padding keeps the sizes.** With padding $P=1$ a 3×3 convolution keeps the size
of its input, $OH = (H + 2P - 3)/1 + 1 = H$. The fourth convolution is padded by 2,
which grows 14×14 to 16×16, so that the second pooling gives 8×8 and the third
4×4: 64 × 4 × 4 = 1,024 numbers enter the first affine layer.

**Dropout** (ratio 0.5) after each affine layer randomly silences half of their
outputs during training, so that no unit can rely on particular others; at test
time every unit is kept. The network is small enough to train on a CPU:
""")

code(r"""
SEED = 7
network = DeepConvNet(seed=SEED)
print(network.summary((1, 28, 28)))
""")

md(r"""
Of the 123,552 weights, about 51,000 (40 %) sit in the first affine layer and
72,000 in the six convolutions. But the work is in the convolutions,
which apply each filter at every position. Counting multiply–adds per image and
the receptive field of each convolution (in input pixels) makes this concrete:
""")

code(r"""
def conv_report(network, input_shape):
    # the receptive field grows by (F - 1) * jump per convolution, and pooling doubles the jump
    shape, rf, jump, total = input_shape, 1, 1, 0
    print(f"{'layer':<8}{'output':>14}{'receptive field':>17}{'multiply-adds':>16}")
    k = 0
    for layer in network.layers:
        out = layer.output_shape(shape) if hasattr(layer, "output_shape") else shape
        if isinstance(layer, Convolution):
            k += 1
            FN, C, FH, FW = layer.W.shape
            rf += (FH - 1) * jump
            macs = out[1] * out[2] * FN * C * FH * FW
            total += macs
            print(f"conv{k:<4}{str(out):>14}{f'{rf}x{rf}':>17}{macs:>16,}")
        elif isinstance(layer, Pooling):
            rf += (layer.pool_h - 1) * jump
            jump *= layer.stride
        shape = out
    print(f"multiply-adds in the convolutions per image: {total:,}")


conv_report(network, (1, 28, 28))
""")

md(r"""
The last convolution looks at a 32×32 window — more than the whole 28×28 image.
About 8.7 million multiply–adds per image forward and roughly twice that again
backward make one epoch over 60,000 images some $1.6\times10^{12}$ multiply–adds.
At the tens of billions of operations per second that a modern CPU core can do
with vectorised code, that is a few minutes of pure arithmetic; the measured
time below shows what our NumPy layers, with their copying and reshaping, make
of it.

## 4.2 Initial weights: He, Xavier, or 0.01

Before training, the weights are random. How large should they be? Take one
output $y = \sum_{i=1}^{n} w_i x_i$ of a layer with $n$ inputs (for a 3×3
convolution on $C$ channels, $n = 9C$), weights drawn independently with mean 0
and variance $\sigma^2$, independent of the inputs. Then

$$
\operatorname{Var}(y) = n\,\sigma^2\,\mathbb{E}[x^2].
$$

If $x$ is the ReLU of a symmetric variable $z$, half of $z$'s second moment
survives: $\mathbb{E}[x^2] = \tfrac12\operatorname{Var}(z)$. So from one layer to
the next

$$
\operatorname{Var}(z_{\text{next}}) = \tfrac{1}{2}\, n\,\sigma^2 \operatorname{Var}(z),
$$

and the signal keeps its size through many layers only when $\tfrac12 n\sigma^2 = 1$:

* **He initialisation** $\sigma = \sqrt{2/n}$ does exactly that (He et al., 2015);
* **Xavier initialisation** $\sigma = \sqrt{1/n}$ was derived for symmetric
  activations like tanh; with ReLU it loses a factor $1/2$ of variance per layer;
* a **fixed** $\sigma = 0.01$ gives $\tfrac12 n\sigma^2 = 0.00005\,n$, which for
  $n = 144$ is $0.0072$: the standard deviation shrinks about twelvefold per layer.

The same factor multiplies the gradients on the way back, so a signal that fades
forward gives gradients that fade backward. Let's look: three networks that
differ only in `weight_init_std`, the same 500 digits, and the distribution of
each ReLU's output.
""")

code(r"""
def relu_outputs(network, x):
    # the output of every ReLU for the batch x (layer_outputs runs in evaluation mode)
    return [out for out, layer in zip(network.layer_outputs(x), network.layers) if isinstance(layer, Relu)]


inits = ["he", "xavier", 0.01]
names = ["conv1", "conv2", "conv3", "conv4", "conv5", "conv6", "affine1"]
acts = {init: relu_outputs(DeepConvNet(weight_init_std=init, seed=0), x_train[:500]) for init in inits}
print(f"{'std of ReLU output':<20}" + "".join(f"{n:>10}" for n in names))
for init in inits:
    print(f"{repr(init):<20}" + "".join(f"{a.std():>10.3g}" for a in acts[init]))
""")

code(r"""
fig, axes = plt.subplots(3, 7, figsize=(13, 5.6), sharey="row")
for row, init in zip(axes, inits):
    plots.plot_activation_histograms(acts[init], names, title=f"init {init!r}\nfraction of values", ax_row=row)
fig.suptitle("ReLU outputs at initialisation (zeros counted separately)", y=1.0)
fig.tight_layout()
plt.show()
""")

md(r"""
With He initialisation the outputs of every layer stay of the same order — they
even grow a little, because the derivation's assumptions (independent,
zero-mean inputs) hold only roughly for real images. With Xavier they shrink
steadily from layer to layer, as the lost factor $\tfrac12$ per layer predicts —
bearable for six layers, a problem for thirty. With 0.01 the standard deviation
drops by about a factor of ten per layer, as computed above: from the second
layer on the outputs are essentially zero, the last layers see no signal, their
gradients are tiny, and the softmax outputs are all close to $1/10$.

What does that mean for learning? A few dozen Adam steps from each starting point
(the same mini-batches for all three) tell the story:
""")

code(r"""
def first_steps(init, iters, batch=100):
    net = DeepConvNet(weight_init_std=init, seed=0)
    trainer = Trainer(net, x_train, t_train, x_test[:1], t_test[:1], epochs=1, mini_batch_size=batch,
                      verbose=False, seed=0)
    order = np.random.default_rng(0).permutation(len(x_train))
    return [trainer.train_step(x_train[idx], t_train[idx])
            for idx in order[:iters * batch].reshape(iters, batch)]


STEPS = pick(full=150, quick=15)
start = time.perf_counter()
early = {init: first_steps(init, STEPS) for init in inits}
for init in inits:
    print(f"init {init!r:<10} loss at step 1: {early[init][0]:.3f}   mean of the last 10 steps: "
          f"{np.mean(early[init][-10:]):.3f}")
print(f"({time.perf_counter() - start:.0f} s)")
""", IGNORE)

code(r"""
fig, ax = plt.subplots(figsize=(6.5, 3.2))
for init in inits:
    ax.plot(np.arange(1, STEPS + 1), early[init], label=f"init {init!r}")
ax.set_xlabel("mini-batch")
ax.set_ylabel("training loss")
ax.legend()
ax.grid(alpha=0.3)
plt.show()
""")

md(r"""
He and Xavier both learn at once. He starts from a much larger loss: its last
layers pass on sizeable scores, so the untrained network makes confident guesses,
and confident wrong guesses are expensive; a few steps of Adam bring them down.
For six layers the shrinking signal under Xavier does no harm yet — Adam scales
each weight's step by the size of its own gradients, which hides much of the
difference. With 0.01 the loss sits at $\ln 10 \approx 2.303$, the loss of a
network that guesses uniformly, for the whole stretch: the gradients that reach
the convolutions are far too small for anything to happen. `DeepConvNet` uses He
initialisation by default, the one whose reasoning carries over to deeper
networks.

## 4.3 Training on all 60,000 images

We train with the course `Trainer`: mini-batches of 100 images in a fresh random
order each epoch (600 updates per epoch), **Adam** with learning rate 0.001,
dropout active during training and off for evaluation. Adam keeps for every
weight a running mean $m$ of its gradients and a running mean $v$ of their squares,
and steps by $\alpha\,\hat m/(\sqrt{\hat v}+\varepsilon)$: each weight gets a step
size matched to its own gradient scale, which matters in a network whose layers
see gradients of very different sizes.

For the last five epochs the learning rate drops tenfold, to 0.0001
(`lr_schedule`). By then the weights are close to a good minimum but Adam's
steps, sized for the early descent, keep them jittering around it; smaller steps
let them settle. The drop is fixed in advance, not chosen by looking at the test
accuracy.

At the end of each epoch the trainer measures the accuracy on the first %s
training images and the first %s test images (the final accuracy uses all
10,000). In quick mode the run is only a demonstration of the mechanics (one
epoch on 2,000 images); in full mode it is the real thing, and the trained
weights become the ones shipped with the course.
""" % (f"{EVAL_N:,}", f"{EVAL_N:,}"))

code(r"""
EPOCHS = pick(full=%d, quick=1)
LR_DROP = pick(full=EPOCHS - 5, quick=EPOCHS)   # from this epoch on the learning rate is 0.0001
TRAIN_SIZE = pick(full=len(x_train), quick=2000)
network = DeepConvNet(seed=SEED)
initial_W1 = network.params["W1"].copy()
trainer = Trainer(network, x_train[:TRAIN_SIZE], t_train[:TRAIN_SIZE], x_test, t_test,
                  epochs=EPOCHS, mini_batch_size=100, optimizer="Adam", optimizer_param={"lr": 0.001},
                  lr_schedule=lambda epoch: 0.001 if epoch < LR_DROP else 0.0001,
                  evaluate_sample_num_per_epoch=pick(full=%d, quick=500), verbose=False, seed=SEED)
start = time.perf_counter()
trainer.train()
wall_time = time.perf_counter() - start
print(f"trained on {TRAIN_SIZE:,} images for {EPOCHS} epochs ({trainer.current_iter:,} updates)")
print(f"wall time {wall_time / 60:.1f} min, {np.mean(trainer.epoch_times):.0f} s per epoch on average")
print("seconds per epoch:", np.round(trainer.epoch_times).astype(int))
for epoch, (a, b) in enumerate(zip(trainer.train_acc_list, trainer.test_acc_list), 1):
    print(f"epoch {epoch:2d}: train acc {a:.4f}  test acc {b:.4f}")
print(f"test accuracy after training, all 10,000 test images: {trainer.final_test_accuracy:.2%%}")
""" % (EPOCHS, EVAL_N), IGNORE)

md(r"""
In full mode the weights and the record of the run are now saved in
`course_lib/weights/`: `deep_convnet_mnist.npz` holds every array (`W1` … `W8`,
`b1` … `b8`) in NumPy's `.npz` format — a zip of plain arrays, which unlike a
pickle cannot run code when loaded — and `deep_convnet_mnist_history.npz` the
losses, accuracies and epoch times. In quick mode the shipped files are left
alone.
""")

code(r"""
NAME = "deep_convnet_mnist"
if not QUICK:
    network.save_params(pretrained.weights_path(NAME))
    np.savez(pretrained.history_path(NAME),
             train_loss=np.array(trainer.train_loss_list), train_acc=np.array(trainer.train_acc_list),
             test_acc=np.array(trainer.test_acc_list), epoch_times=np.array(trainer.epoch_times),
             wall_time=np.array(wall_time), final_test_acc=np.array(trainer.final_test_accuracy),
             epochs=np.array(EPOCHS), seed=np.array(SEED))
    print(f"saved course_lib/weights/{pretrained.weights_path(NAME).name} "
          f"and course_lib/weights/{pretrained.history_path(NAME).name}")
else:
    print("quick mode: the shipped weights are kept")
""", IGNORE)

md(r"""
The learning curves of the run that produced the shipped weights (in full mode,
the run above): the loss of every mini-batch (grey) with its moving average, and
the accuracies per epoch.
""")

code(r"""
history = pretrained.load_history(NAME)
fig = plots.plot_learning_curves(train_loss=history["train_loss"], train_acc=history["train_acc"],
                                 test_acc=history["test_acc"])
fig.axes[1].set_ylim(0.97, 1.0)
plt.show()
print(f"{int(history['epochs'])} epochs, wall time {float(history['wall_time']) / 60:.1f} min, "
      f"{np.mean(history['epoch_times']):.0f} s per epoch")
""")

md(r"""
Most of the progress happens in the first epoch, which ends at about 98 % test
accuracy. Over the next few epochs the test accuracy gains tenths of a percent,
then it hovers between 99.2 % and 99.4 %, moving by a few images from one epoch
to the next. When the learning rate drops tenfold for the last five epochs, the
test accuracy climbs within two epochs to 99.46 % and ends at 99.48 %. The
training accuracy (measured in evaluation mode, without dropout) climbs to
99.99 %: the network fits its training images more closely than it generalises,
but dropout keeps the gap small, about half a percentage point at the end.

The training loss, by contrast, levels off between 0.85 and 0.9 — far above what these
accuracies suggest. It is measured in training mode, where the last dropout
layer zeroes half of the ten scores of every image: the network is graded on a
task harder than the one it is tested on. A mini-batch loss with dropout active
tracks progress, not quality.

## 4.4 How good is it?

Now the accuracy on all 10,000 test images. In full mode we evaluate the network
just trained; in quick mode the shipped weights, loaded with
`course_lib.pretrained` — so even a quick run checks the real result.
""")

code(r"""
final_network = network.eval() if not QUICK else pretrained.load(NAME)
print(type(final_network).__name__, "in", "training" if final_network.training else "evaluation", "mode")
t_pred = final_network.predict(x_test).argmax(axis=1)      # in batches of 500
accuracy = np.mean(t_pred == t_test)
wrong = np.flatnonzero(t_pred != t_test)
print(f"test accuracy on all {len(x_test):,} test images: {accuracy:.2%}")
print(f"misclassified: {len(wrong)} of {len(x_test):,}")
""")

md(r"""
Here are the digits it gets wrong, titled *true → predicted*:
""")

code(r"""
plots.show_misclassified(x_test, t_test, t_pred, max_images=60, ncols=12)
plt.show()
""")

md(r"""
Many of these are hard for a person too: strokes broken or cut off, unusual
shapes, digits written so that they resemble another one. Some are plain
mistakes. The confusion matrix shows where the errors cluster (counts on a
logarithmic colour scale, so that the off-diagonal entries are visible):
""")

code(r"""
cm = plots.confusion_matrix(t_test, t_pred, 10)
plots.plot_confusion_matrix(cm)
plt.show()
off = cm - np.diag(np.diag(cm))
pairs = sorted(((off[i, j], i, j) for i in range(10) for j in range(10) if off[i, j]), reverse=True)[:5]
print("most frequent confusions:", ", ".join(f"{i} -> {j} ({n})" for n, i, j in pairs))
""")

# ---------------------------------------------------------------------------
md(r"""
## 4.5 What has it learned?

The first layer's sixteen 3×3 filters, before and after training. With one input
channel each filter is a tiny image; dark means a large positive weight.
""")

code(r"""
plots.show_filters(initial_W1, title="conv1 filters at initialisation")
plots.show_filters(final_network.params["W1"], title="conv1 filters after training")
plt.show()
""")

md(r"""
At initialisation the filters are noise. After training most have a visible
structure: a dark side and a light side, that is, a detector of edges in one
orientation, or a dark bar across the middle, a detector of thin strokes. A 3×3
filter cannot show much more; the deeper layers combine these pieces. Their effect is easier to see in the **feature maps**, the
outputs of the layers for one image:
""")

code(r"""
digit = x_test[:1]
relus = relu_outputs(final_network, digit)
plots.show_images(digit, [f"label {t_test[0]}"], size=1.6)
plots.show_feature_maps(relus[0][0], ncols=16, title="after conv1 + ReLU: 16 maps of 28x28")
plots.show_feature_maps(relus[1][0], ncols=16, title="after conv2 + ReLU: 16 maps of 28x28")
plots.show_feature_maps(relus[3][0], ncols=16, title="after conv4 + ReLU: 32 maps of 16x16")
plots.show_feature_maps(relus[5][0], ncols=16, title="after conv6 + ReLU: 64 maps of 8x8")
plt.show()
""")

md(r"""
The first layers still look like the digit: each map highlights the strokes of
one orientation or their edges. After two poolings the maps are coarser and each
responds to a larger pattern — an end of a stroke, a corner, a loop. By the last
convolution the maps are 8×8 and sparse: many channels are silent for this digit,
the others fire at one or a few positions — each reports that its pattern, a
piece of a 7, is present, and roughly where. The affine layers then read
the answer off the 1,024 numbers of the last pooling.

## 4.6 Inference in half precision

The network was trained in 32-bit floats (`float32`: 1 sign bit, 8 exponent
bits, 23 fraction bits, about 7 significant decimal digits). For inference,
16-bit floats (`float16`: 5 exponent bits, 10 fraction bits, about 3 digits,
largest value 65,504) are often enough: the decision is the index of the largest
of ten scores, and a relative error of $2^{-11} \approx 0.05\,\%$ per operation
rarely changes which one is largest. Half the bits means half the memory for
weights and activations, and on hardware with float16 arithmetic (GPUs, many
phones) also more speed.

We convert a copy of the network and the images. NumPy has no fast float16
matrix product on a CPU — it computes them in a slow generic loop — so we
compare on the first 1,000 test images.
""")

code(r"""
net16 = copy.deepcopy(final_network).astype(np.float16)
n = 1000
x32, x16 = x_test[:n], x_test[:n].astype(np.float16)
scores32 = final_network.predict(x32)
scores16 = net16.predict(x16)
print("score dtypes:", scores32.dtype, scores16.dtype)
print(f"accuracy on the first {n:,} test images: float32 {np.mean(scores32.argmax(1) == t_test[:n]):.2%}, "
      f"float16 {np.mean(scores16.argmax(1) == t_test[:n]):.2%}")
print(f"predictions that differ: {np.sum(scores32.argmax(1) != scores16.argmax(1))} of {n:,}")
print(f"largest score difference: {np.max(np.abs(scores32 - scores16.astype(np.float32))):.3f} "
      f"(scores range from {scores32.min():.1f} to {scores32.max():.1f})")
""")

code(r"""
def weight_bytes(net):
    return sum(p.nbytes for p in net.params.values())


def activation_bytes(net, x):
    # the output of every layer for the batch x
    return sum(o.nbytes for o in net.layer_outputs(x))


print(f"weights:                            float32 {weight_bytes(final_network):>10,} bytes   "
      f"float16 {weight_bytes(net16):>10,} bytes")
print(f"activations of a batch of 100 images: float32 {activation_bytes(final_network, x32[:100]):>10,} bytes   "
      f"float16 {activation_bytes(net16, x16[:100]):>10,} bytes")
""")

md(r"""
The accuracy is the same (or differs by an image or two), while the weights and
the activations take exactly half the memory. Training in float16 is harder:
small gradients underflow to zero (the smallest positive float16 is about
$6\times10^{-8}$) and small updates vanish when added to large weights, which is
why mixed-precision training keeps a float32 copy of the weights and scales the
loss.

## 4.7 Evaluating in batches

The convolution layers turn their input into one big matrix (im2col) so that a
convolution becomes a single matrix product. That matrix has one row per output
position and one column per filter weight — for $N$ images, $N\cdot OH\cdot OW$
rows and $C\cdot FH\cdot FW$ columns. A layer that sees a 3×3 window of 16
channels at 784 positions (the second convolution) holds $3\cdot3\cdot16 = 144$
numbers per position, nine times the 16 numbers per position of its input,
because every input value is copied into nine overlapping windows. For a whole
data set at once:
""")

code(r"""
def im2col_bytes(network, input_shape, n, itemsize=4):
    # bytes of the im2col matrix of each convolution for n images at once
    shape, sizes = input_shape, []
    for layer in network.layers:
        out = layer.output_shape(shape) if hasattr(layer, "output_shape") else shape
        if isinstance(layer, Convolution):
            FN, C, FH, FW = layer.W.shape
            sizes.append(n * out[1] * out[2] * C * FH * FW * itemsize)
        shape = out
    return sizes


def fmt(b):
    return f"{b / 2**30:.2f} GiB" if b >= 2**30 else f"{b / 2**20:.1f} MiB"


print(f"{'im2col matrix':<15}" + "".join(f"{f'N = {n:,}':>14}" for n in (100, 10000, 60000)))
table = {n: im2col_bytes(final_network, (1, 28, 28), n) for n in (100, 10000, 60000)}
for k in range(6):
    print(f"{f'conv{k + 1}':<15}" + "".join(f"{fmt(table[n][k]):>14}" for n in table))
""")

md(r"""
Forwarding all 10,000 test images in one go would need 4.2 GiB for the second
convolution's matrix alone, and the 60,000 training images over 25 GiB — more
than most machines have, for a computation whose result is 10 numbers per image.
The remedy is simple: the images do not interact at test time, so we can push
them through in batches and keep only the predictions. `network.accuracy` does
exactly that (`batch_size=100` by default), and `network.predict` in evaluation
mode works in batches of 500. The result does not depend on the batch size:
""")

code(r"""
acc_100 = final_network.accuracy(x_test, t_test, batch_size=100)
acc_1000 = final_network.accuracy(x_test, t_test, batch_size=1000)
print(f"network.accuracy, batch_size=100:  {acc_100:.2%}")
print(f"network.accuracy, batch_size=1000: {acc_1000:.2%}")
print(f"from the predictions of section 4.4: {accuracy:.2%}")
assert acc_100 == acc_1000 == accuracy
""")

md(r"""
The memory used is set by the batch size, not by the number of images. Python's
`tracemalloc` records the largest amount of memory NumPy held at any moment while
evaluating 1,000 images:
""")

code(r"""
for batch_size in (50, 100, 500, 1000):
    tracemalloc.start()
    start = time.perf_counter()
    final_network.accuracy(x_test[:1000], t_test[:1000], batch_size=batch_size)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"batch_size={batch_size:>5}: peak memory {peak / 2**20:7.1f} MiB, {seconds:.1f} s")
""", IGNORE)

md(r"""
Peak memory grows with the batch size, while the time hardly changes: from a
few dozen images per batch on, the matrix products are large enough to keep the
processor busy, and larger batches only cost memory. A batch of one or a few
hundred images is the sensible choice.

## Summary

* Stacks of 3×3 convolutions see as far as larger filters with fewer weights and
  more non-linearity; the receptive field grows by 2 per layer and doubles its
  step with each pooling.
* **He initialisation**, $\sigma = \sqrt{2/n}$, keeps the size of the ReLU
  activations from layer to layer; a fixed small $\sigma$ makes a deep network's
  signal vanish.
* Six convolutions, dropout and Adam reach the accuracy printed in section 4.4 on
  the MNIST test set; the remaining mistakes are mostly digits a person would
  find hard too.
* The shipped weights are available as `course_lib.pretrained.load("deep_convnet_mnist")`.
* float16 inference keeps the accuracy and halves the memory; evaluating in
  batches keeps the memory bounded whatever the number of images.

### Exercises

1. Replace each pair of 3×3 convolutions by one 5×5 convolution (and adjust the
   padding so the sizes still match). Count the weights with `summary` and
   compare the test accuracy after 3 epochs.
2. Train with `weight_init_std=0.01` for one epoch. How many updates does it
   take until the loss falls below 2.0? What changes with `'xavier'`?
3. Remove the dropout layers (`dropout_ratio=0`) and train for 10 epochs. Plot
   the gap between training and test accuracy and compare with the curves above.
4. Evaluate the float16 network on inputs scaled to [0, 255] instead of [0, 1].
   What goes wrong, and why? (Hint: the largest float16 value.)
5. Using `im2col_bytes`, find the largest batch size for which the second
   convolution's matrix stays below 100 MiB.
""")

save("04_deep_convnet.ipynb")
