# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 6 — Training deep networks: what goes wrong, and the road ahead
#
# The networks of the previous chapters train without drama: pick Adam with a
# learning rate of 0.001, wait, and the loss goes down. Real projects are less
# kind. A learning rate that is a little too large wastes hours of training; a run
# that blows up overnight loses the good weights it had in the evening; a network
# evaluated on a whole dataset at once runs out of memory; and a stack of layers
# that is simply made *deeper* can refuse to learn at all.
#
# This chapter looks at these failures on real, seeded runs, and at the ideas that
# took convolutional networks from the eight layers of 2012 to the hundred and more
# of today:
#
# 1. what a too-large learning rate does to Adam, step by step and over thousands
#    of steps;
# 2. the guard rails in the course `Trainer`: stopping a diverging run, early
#    stopping, and evaluating in batches;
# 3. the road ahead: **VGG** (stacks of 3×3 convolutions), **GoogLeNet** (the
#    inception module and its 1×1 convolutions) and **ResNet** (skip connections),
#    with the arithmetic behind each;
# 4. the backward pass of a residual block, written by you and checked numerically;
# 5. an experiment: a 20-layer plain stack against the same stack with skip
#    connections, from the same initial weights;
# 6. two questions students ask: why Fashion-MNIST is so much harder than MNIST,
#    and how much faster a GPU would train these networks.

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from course_lib import (FASHION_MNIST_CLASSES, DeepConvNet, Trainer, load_fashion_mnist,
                        load_mnist)
from course_lib.architectures import (INCEPTION_3A, VGG16, VGG19, conv_cost,
                                      conv_output_rms, conv_weight_keys,
                                      draw_inception_module, draw_residual_block,
                                      draw_vgg_stack, inception_cost, plain_stack,
                                      residual_stack, train_stack, vgg_cost,
                                      weight_gradient_norms)
from course_lib.checks import check_residual_backward
from course_lib.config import QUICK, pick
from course_lib.experiments import (ClippedAdam, class_means, closest_class_pairs,
                                    loss_summary, matmul_gflops, mlp,
                                    nearest_mean_accuracy, nearest_mean_predict,
                                    running_median, show_grid)
from course_lib.gradcheck import check_layer_gradients
from course_lib.i18n import fill  # textwrap.fill, by display columns
from course_lib.layers import Convolution, Relu
from course_lib.optimizers import Adam
from course_lib.stats import binomial_std_error

np.set_printoptions(precision=4, suppress=True)
(x_train, t_train), (x_test, t_test) = load_mnist(flatten=False)
flat_train, flat_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
print("images:", x_train.shape, "flattened:", flat_train.shape, "test:", x_test.shape)

# %% tags=["nbval-ignore-output"]
print("quick mode: short runs on small subsets" if QUICK
      else "full mode: the runs shown in the text")

# %% [markdown]
# ## 6.1 A learning rate that is too large
#
# Recall Adam's update for one parameter $w$ with gradient $g_t$ at step $t$:
#
# $$
# m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
# v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, \qquad
# w \leftarrow w - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon},
# $$
#
# with the bias-corrected averages $\hat m_t = m_t / (1-\beta_1^t)$ and
# $\hat v_t = v_t / (1-\beta_2^t)$, and $\beta_1 = 0.9$, $\beta_2 = 0.999$. The ratio
# $\hat m_t / \sqrt{\hat v_t}$ is a *signal-to-noise* ratio: it is close to $\pm 1$ when
# the gradient keeps its sign and smaller when it flips about. So, unlike plain SGD,
# **Adam moves every parameter by roughly $\eta$ per step, however large or small
# its gradient is.** The learning rate is no longer a factor in front of the
# gradient; it is the step length itself.
#
# Two consequences follow, and both can be computed before running anything:
#
# * At the very first step $\hat m_1/\sqrt{\hat v_1} = g_1/|g_1| = \pm 1$: every weight
#   moves by exactly $\eta$. He initialisation gives the first layer of a network on
#   784 pixels weights of standard deviation $\sqrt{2/784} \approx 0.05$. With
#   $\eta = 0.05$ the first step moves every one of them by about its own size.
# * Late in training the gradients of many weights are tiny and $v$ forgets its
#   past at the rate $\beta_2$. If a weight's gradient has been close to 0 for a
#   long time and then a mini-batch gives it a gradient $g$, the step is
#   $\eta \cdot (1-\beta_1) g / \sqrt{(1-\beta_2) g^2} = \eta \cdot 0.1/\sqrt{0.001}
#   \approx 3.2\,\eta$: three times the nominal step, in the direction of one noisy
#   mini-batch. This is how a run that has been quietly converging can produce a
#   sudden spike in the loss.

# %%
beta1, beta2 = 0.9, 0.999
print(f"He standard deviation of a first layer on 784 inputs: {np.sqrt(2 / 784):.4f}")
print("step after a long quiet spell, in units of the learning rate: "
      f"{(1 - beta1) / np.sqrt(1 - beta2):.2f}")

# %% [markdown]
# Let us see what actually happens. A small fully connected network (784–100–100–10,
# ReLU, He initialisation) is trained on all of MNIST for ten epochs with Adam at
# three learning rates, from the same initial weights and the same sequence of
# mini-batches. The divergence guard of the `Trainer` (section 6.2) is switched off
# here by a huge `divergence_factor`, so that we see every step. (The matrices of
# this little network are so small that sharing each product among several cores
# costs more than it saves, so we let the linear-algebra library use one.) The
# network comes from `course_lib.experiments.mlp(seed, sizes)`: affine layers with
# He initial weights and ReLUs between them.

# %% tags=["nbval-ignore-output"]
n_train = pick(60000, 6000)
learning_rates = [0.001, 0.01, 0.05]
runs = {}
with threadpool_limits(1):
    for lr in learning_rates:
        trainer = Trainer(mlp(seed=0), flat_train[:n_train], t_train[:n_train],
                          flat_test, t_test, epochs=pick(10, 5), mini_batch_size=100,
                          optimizer="Adam", optimizer_param={"lr": lr},
                          evaluate_sample_num_per_epoch=1000, verbose=False, seed=0,
                          divergence_factor=1e9)
        runs[lr] = trainer.train()
print(f"{len(runs[0.001].train_loss_list)} steps per run")

# %% tags=["nbval-ignore-output"]
fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), sharey=True)
for ax, lr in zip(axes, learning_rates):
    loss = np.array(runs[lr].train_loss_list)
    ax.plot(loss, color="0.7", lw=0.5, label="each mini-batch")
    ax.plot(running_median(loss, 100), color="C0", lw=1.5, label="running median of 100")
    ax.set_yscale("log")
    ax.set_title(f"Adam, lr = {lr}")
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("training loss")
axes[0].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# The figures tell a story, but a story should be checked against numbers. For each
# run `loss_summary` computes: the median loss over the first tenth of the steps and
# over the last fifth (where the run settles), the largest loss after the first
# tenth, and how often a mini-batch loss exceeds five times the median of the 100
# steps before it (a "spike"). Next to them, the final test accuracy on the 10,000
# test images, whose binomial standard error $\sqrt{p(1-p)/n}$ is about 0.15 to
# 0.3 points here.

# %% tags=["nbval-ignore-output"]
print(f"{'lr':>6} {'median, first 10%':>18} {'median, last 20%':>17} "
      f"{'max after 10%':>14} {'at step':>8} {'spikes (>5x)':>13} {'test acc':>16}")
summary = {lr: loss_summary(runs[lr].train_loss_list) for lr in learning_rates}
for lr, s in summary.items():
    acc = runs[lr].final_test_accuracy
    print(f"{lr:>6} {s['start']:>18.4f} {s['end']:>17.4f} {s['late_max']:>14.3f} "
          f"{s['late_at']:>8} {s['spikes']:>13} "
          f"{acc:>9.4f} ± {binomial_std_error(acc, len(t_test)):.4f}")
for lr in learning_rates:
    print(f"lr {lr}: losses of the first six steps "
          f"{np.round(runs[lr].train_loss_list[:6], 2)}")
ratio = summary[0.05]["end"] / summary[0.001]["end"]
print(f"\nthe last fifth of the lr 0.05 run sits at {ratio:.0f} times "
      "the loss of the lr 0.001 run")

# %% [markdown]
# What the numbers show (full run, all 60,000 images, 6,000 steps per run):
#
# * **The damage is done in the first steps.** At $\eta = 0.05$ the loss jumps from
#   its starting value of about 2.4 to several times that within the first two or
#   three steps — exactly the "every weight moves by its own size" step computed
#   above — and it takes the network a while to recover. At $\eta = 0.001$ and
#   $0.01$ the loss falls from the first step on.
# * **A too-large rate leaves the loss on a high plateau.** Over the last fifth of
#   the steps the median loss is about 0.016 at $\eta = 0.001$, three and a half
#   times that at $0.01$ and eighteen times that at $0.05$, and the test accuracy
#   follows it down, from 97.7 % to 96.4 % and 92.4 % (each measured on 10,000
#   images, with a standard error of 0.15 to 0.3 points: the differences are real).
#   The steps are too long to settle into a minimum: the weights keep hopping
#   around one.
# * **Relative spikes are not the same as blow-ups.** Counted as "more than five
#   times the median of the 100 steps before", the *smallest* learning rate has the
#   most spikes (56, against 22 and 0): its typical loss is so small that one
#   harder mini-batch makes a spike. In absolute terms its worst loss after the
#   first tenth of the run (0.37) is about the *typical* loss of the $\eta = 0.05$
#   run (0.29). None of the three runs blew up late: the largest loss after the
#   first tenth, 1.2 in the $\eta = 0.05$ run (at step 5640), stayed well
#   below the starting 2.4. For this network and these 6,000 steps
#   the harm of the large rate is the bad start and the high plateau. Late
#   blow-ups do happen, mostly in deeper networks and longer runs, which is why
#   the `Trainer` watches for them.
#
# Whatever your network, the cure is the same: when the loss curve is noisy and
# flat, **lower the learning rate** (or lower it during training, with a schedule).

# %% [markdown]
# ## 6.2 Guard rails
#
# ### Stopping a run that diverges
#
# A loss that suddenly becomes ten times its starting value, or NaN, almost never
# recovers — and every further step overwrites good weights with bad ones. The
# course `Trainer` therefore watches every mini-batch loss: when it is not finite,
# or exceeds `divergence_factor` times the first loss (10 by default), it
#
# 1. does not apply that step's update,
# 2. puts back the **best weights seen so far** (those of the epoch with the best
#    accuracy on the validation data, `x_val`; without validation data, those of
#    the last epoch completed),
# 3. records why in `trainer.stop_reason` and issues a `TrainingDiverged` warning.
#
# To see it at work we train the small network for two epochs at a sensible
# learning rate on 10,000 images, and then — as a learning-rate schedule with a
# typo might — continue at a rate of 0.5.

# %% tags=["nbval-ignore-output"]
n_small = pick(10000, 2000)
x_val, t_val = flat_train[-2000:], t_train[-2000:]     # validation: never trained on
guarded = Trainer(mlp(seed=1), flat_train[:n_small], t_train[:n_small],
                  flat_test, t_test, epochs=2, mini_batch_size=100,
                  optimizer_param={"lr": 0.001}, verbose=False, seed=1,
                  divergence_factor=10, x_val=x_val, t_val=t_val)
with threadpool_limits(1), warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    guarded.train()
    before = guarded.val_acc_list[-1]
    guarded.optimizer.lr, guarded.epochs = 0.5, 4        # the typo, and two more epochs
    guarded.train()
print(f"after 2 epochs: validation accuracy {before:.4f} "
      f"± {binomial_std_error(before, 2000):.4f} (2,000 images)")
print(fill(f"stop_reason: {guarded.stop_reason}", 88, subsequent_indent="    "))
print("warning issued:", [w.category.__name__ for w in caught])
now = guarded.network.accuracy(x_val, t_val)
print(f"validation accuracy of the network now: {now:.4f} "
      f"(best epoch: {guarded.best_epoch})")
print("last five losses before the stop:", np.round(guarded.train_loss_list[-5:], 2))

# %% [markdown]
# The run stopped at the first mini-batch whose loss crossed the threshold, and the
# network we are left with is the one from the end of the good epochs — its accuracy
# is the best one recorded, not that of the wrecked weights. Without the guard the
# run would have gone on for the remaining epochs, and the weights at the end would
# have been worthless.
#
# ### Early stopping
#
# The opposite problem is a run that is too *long*: past a certain epoch the
# network fits peculiarities of its training images and gets worse on new ones. With
# `early_stopping_patience=p` the `Trainer` remembers the weights of the epoch with
# the best accuracy on the validation data, stops after `p` epochs without
# improvement, and puts those weights back.
#
# One point of method. Choosing an epoch by looking at accuracies is *fitting*, and
# the data used to choose is no longer unseen. So we hold out part of the training
# set as a **validation set** and give it to the `Trainer` as `x_val, t_val` (or let
# it hold out a fraction itself, `validation_split=0.1`). The `Trainer` chooses on
# the validation set only and measures the test set once, after the last epoch, so
# that the test accuracy still describes images nothing was chosen on. To make overfitting
# appear quickly, the network is large for its data: 2,000 training images and
# 256 hidden units per layer.

# %% tags=["nbval-ignore-output"]
rng = np.random.default_rng(0)
order = rng.permutation(len(flat_train))
train_idx, val_idx = order[:2000], order[50000:52000]
stopper = Trainer(mlp(seed=2, sizes=(784, 256, 256, 10)),
                  flat_train[train_idx], t_train[train_idx], flat_test, t_test,
                  x_val=flat_train[val_idx], t_val=t_train[val_idx],
                  epochs=pick(60, 12), mini_batch_size=100, optimizer_param={"lr": 0.001},
                  verbose=False, seed=2, early_stopping_patience=pick(8, 3))
with threadpool_limits(1):
    stopper.train()
print(fill(f"stop_reason: {stopper.stop_reason}", 88, subsequent_indent="    "))
print(f"epochs run: {len(stopper.val_acc_list)}, "
      f"weights kept: epoch {stopper.best_epoch}")
kept_val = stopper.network.accuracy(flat_train[val_idx], t_train[val_idx])
se = binomial_std_error(kept_val, len(val_idx))
print(f"validation accuracy of the kept weights: {kept_val:.4f} ± {se:.4f} "
      f"(the record for epoch {stopper.best_epoch}: "
      f"{stopper.val_acc_list[stopper.best_epoch - 1]:.4f})")
print(f"validation accuracy at the last epoch run: {stopper.val_acc_list[-1]:.4f}")
test_acc = stopper.final_test_accuracy
print(f"test accuracy of the kept weights (10,000 unseen images): {test_acc:.4f} "
      f"± {binomial_std_error(test_acc, len(t_test)):.4f}")

# %% tags=["nbval-ignore-output"]
fig, ax = plt.subplots(figsize=(7, 3.6))
epochs = np.arange(1, len(stopper.val_acc_list) + 1)
ax.plot(epochs, stopper.train_acc_list, "o-", ms=3, label="training images")
ax.plot(epochs, stopper.val_acc_list, "s-", ms=3, label="validation images")
ax.axvline(stopper.best_epoch, color="C3", ls="--", lw=1,
           label=f"kept: epoch {stopper.best_epoch}")
ax.set_xlabel("epoch")
ax.set_ylabel("accuracy")
ax.set_title("early stopping")
ax.grid(alpha=0.3)
ax.legend()
plt.show()

# %% [markdown]
# The training accuracy climbs to (nearly) 100 % while the validation accuracy
# stops improving; the `Trainer` waited `patience` epochs for a better one and then
# restored the weights of the best epoch, which the recomputed validation accuracy
# confirms. Note that the "best" epoch is partly luck: on 2,000 validation images
# an accuracy near 93 % has a binomial standard error of about 0.6 points (the
# ± above), more than the accuracies of neighbouring epochs differ by. The epoch
# chosen is one of several equally good ones, and its validation accuracy is a
# little optimistic for that reason; the test accuracy, measured once, is not.
#
# ### Evaluation runs in batches
#
# Chapter 4 (section 4.9) measured what evaluating `DeepConvNet` on a whole data
# set in one go would cost: the activations and the im2col matrices grow with the
# number of images, to tens of GiB for 60,000 of them. That is why
# `network.accuracy(x, t, batch_size=100)` has a `batch_size`. Accuracy is a sum
# over images, so evaluating in batches gives exactly the same number:

# %% tags=["nbval-ignore-output"]
net = stopper.network
for batch_size in (50, 1000, 10000):
    print(f"batch_size={batch_size:>5}: test accuracy "
          f"{net.accuracy(flat_test, t_test, batch_size=batch_size):.4f}")

# %% [markdown]
# ### Fewer spikes? A larger batch, a larger $\varepsilon$, clipping
#
# The guards above act *after* something went wrong. Three remedies are often
# suggested to make Adam's spikes rarer in the first place:
#
# * **a larger batch**: the gradient of 400 images is less noisy than that of 100,
#   so one unlucky mini-batch pulls less;
# * **a larger $\varepsilon$** in $\hat m_t / (\sqrt{\hat v_t} + \varepsilon)$: the
#   "$3.2\,\eta$ after a quiet spell" of section 6.1 needs $\sqrt{\hat v_t}$ to be
#   tiny; an $\varepsilon$ of the size of typical gradients caps such steps (the
#   course's default is $10^{-7}$);
# * **gradient clipping**: when the norm of all gradients together exceeds a
#   threshold, scale them down to it (`ClippedAdam(lr, max_norm)` in
#   `course_lib.experiments`).
#
# Each is measured against the $\eta = 0.001$ run of section 6.1: same initial
# weights, same seed, same number of epochs, spikes counted the same way.

# %% tags=["nbval-ignore-output"]
big_batch = pick(400, 200)      # quick mode: enough steps left to count spikes
remedies = {"none (section 6.1)": runs[0.001]}
with threadpool_limits(1):
    for name, opt, batch in [
            ("batch 400" if not QUICK else f"batch {big_batch}", "Adam", big_batch),
            ("eps 1e-3", Adam(0.001, eps=1e-3), 100),
            ("eps 1e-2", Adam(0.001, eps=1e-2), 100),
            ("clip at norm 1", ClippedAdam(0.001, max_norm=1.0), 100)]:
        remedies[name] = Trainer(mlp(seed=0), flat_train[:n_train], t_train[:n_train],
                                 flat_test, t_test, epochs=pick(10, 5),
                                 mini_batch_size=batch, optimizer=opt,
                                 evaluate_sample_num_per_epoch=1000, verbose=False,
                                 seed=0, divergence_factor=1e9).train()
print(f"{'remedy':>19} {'steps':>6} {'median, last 20%':>17} {'max after 10%':>14} "
      f"{'spikes':>7} {'test acc':>16}")
for name, run in remedies.items():
    s, acc = loss_summary(run.train_loss_list), run.final_test_accuracy
    print(f"{name:>19} {len(run.train_loss_list):>6} {s['end']:>17.4f} "
          f"{s['late_max']:>14.3f} {s['spikes']:>7} "
          f"{acc:>9.4f} ± {binomial_std_error(acc, len(t_test)):.4f}")
clipper = remedies["clip at norm 1"].optimizer
print(f"\nclipping: {clipper.clipped} of {len(clipper.norms)} steps clipped; "
      f"gradient norm: median {np.median(clipper.norms):.2f}, "
      f"99th percentile {np.percentile(clipper.norms, 99):.2f}")

# %% [markdown]
# What the full run shows:
#
# * **A larger batch** removed the spikes (0, against 56) and lowered the worst
#   loss after the first tenth (0.299 against 0.367). But it took a quarter of the
#   steps, each on four times the images, and after the same ten epochs its
#   typical loss is two and a half times higher (0.041 against 0.016): fewer steps
#   have gone less far. Part of the calm is in the measurement itself: the loss of
#   a batch of 400 is an average over four times the images, so it scatters less
#   from one batch to the next.
# * **A larger $\varepsilon$** works as the formula says, at a price: $10^{-3}$
#   about halves the spikes (25) and $10^{-2}$ removes them, but the typical loss
#   rises with $\varepsilon$ (0.023 and 0.068) and the test accuracy falls (97.57 %
#   and 97.10 %, against 97.69 %; ± 0.15 to 0.17 points each, so the drop at
#   $10^{-2}$ is real). For every weight whose gradient is smaller than
#   $\varepsilon$, Adam becomes SGD with momentum and a learning rate of
#   $\eta / \varepsilon$: it loses the per-weight scaling that made it fast.
# * **Clipping did not help**: 57 spikes, no fewer than without it. With a threshold
#   of 1 it scaled down 646 of the 6,000 steps (the median gradient norm is 0.58),
#   but Adam divides each gradient by its own running size, so a gradient scaled
#   down by a factor is followed by a step of almost the same length — the
#   "$3.2\,\eta$ after a quiet spell" does not depend on the size of $g$ at all.
#   Clipping is the remedy for optimizers whose step grows with the gradient (SGD
#   and momentum) and for rare, huge gradients (recurrent networks are the classic
#   case); with Adam the knobs are $\eta$ and $\varepsilon$.
#
# None of the four beats the plain run, which has the best test accuracy of the
# five. Its spikes were harmless — section 6.1 showed that they are relative jumps
# of a small loss, not blow-ups — and a spike count relative to the recent median
# *rewards* a loss that stays high. A remedy that removes spikes by keeping the loss
# high has not helped: judge it by the accuracy, not by the curve alone.

# %% [markdown]
# ## 6.3 The road ahead: VGG, GoogLeNet, ResNet
#
# The networks of this course are small because they run on a CPU in NumPy. The
# networks that won the ImageNet Large Scale Visual Recognition Challenge (ILSVRC:
# 1.2 million training images, 1,000 classes, error counted as *top-5*: the right
# class is not among the network's five best guesses) are built from the same
# layers — convolution, ReLU, pooling, affine, softmax — put together with three
# ideas that are worth knowing before anything else.
#
# | year | network | depth | top-5 error | source |
# |---|---|---|---|---|
# | 2012 | AlexNet | 8 | 15.3 % | Krizhevsky, Sutskever, Hinton, NeurIPS 2012 |
# | 2014 | VGG | 16–19 | 7.3 % (6.8 % after the challenge) | Simonyan, Zisserman, ICLR 2015 |
# | 2014 | GoogLeNet | 22 | 6.67 % | Szegedy et al., CVPR 2015 |
# | 2015 | ResNet | up to 152 | 3.57 % | He, Zhang, Ren, Sun, CVPR 2016 |
#
# (Errors on the ILSVRC test set, as published in the papers named, most of them
# for ensembles of several networks.)
#
# ### VGG: only 3×3 convolutions
#
# VGG uses a single kind of convolution, 3×3 with padding 1, in stacks of two to
# four between 2×2 poolings, with the number of channels doubling after each pooling
# (64, 128, 256, 512, 512). Why only small filters? Chapter 1 (section 6) gave the
# answer: $n$ stacked 3×3 layers reach as far as one $(2n+1) \times (2n+1)$ filter,
# with fewer weights and a ReLU between the layers.
# The `DeepConvNet` of chapter 4 is a small VGG.
#
# Counting the whole of VGG-16 layer by layer, for a 224×224 colour image:

# %%
rows, params16, mults16 = vgg_cost(VGG16)
print(f"{'layer':<14}{'output':>16}{'parameters':>14}{'multiplications':>18}")
for name, shape, p, m in rows:
    print(f"{name:<14}{'x'.join(map(str, shape)):>16}{p:>14,}{m:>18,}")
_, params19, mults19 = vgg_cost(VGG19)
print(f"\nVGG-16: {params16:,} parameters, "
      f"{mults16 / 1e9:.2f} billion multiplications per image")
print(f"VGG-19: {params19:,} parameters, "
      f"{mults19 / 1e9:.2f} billion multiplications per image")
fc = sum(p for name, _, p, _ in rows if name.startswith("fc"))
conv_mults = sum(m for name, _, _, m in rows if name.startswith("conv"))
print(f"share of the parameters in the three fully connected layers: {fc / params16:.0%}")
print(f"share of the multiplications in the convolutions: {conv_mults / mults16:.1%}")

# %% [markdown]
# The count matches the paper's 138 million parameters for VGG-16 (and 144 million
# for VGG-19). It also shows where the weight and the work go: almost 90 % of the
# parameters sit in the three fully connected layers, while nearly all the
# multiplications are done by the convolutions. Later designs replaced the big
# fully connected layers by an average over each channel ("global average
# pooling"), which removes most of the parameters at no cost in accuracy.

# %% [markdown]
# The three designs of this section as block diagrams; first VGG-16:

# %%
draw_vgg_stack()
plt.show()

# %% [markdown]
# ### GoogLeNet: the inception module and 1×1 convolutions
#
# Which filter size is right, 1×1, 3×3 or 5×5? The inception module (drawn
# below) does not choose: it runs all of them side by side, plus a 3×3 max pooling, and
# stacks their outputs along the channel axis. Done naively this is expensive, and
# the channel count snowballs, because the pooling branch passes on all its input
# channels. The trick is the **1×1 convolution**: a filter that looks at one pixel
# but at all $C$ channels, i.e. a small fully connected layer applied at every
# position. Placed before the 3×3 and 5×5 convolutions it first cuts the channels
# (to 96 and 16 in the module "3a" drawn here); placed after the pooling it cuts
# those.

# %%
draw_inception_module()
plt.show()

# %% [markdown]
# The cost of a $k \times k$ convolution from $C_\text{in}$ to $C_\text{out}$ channels
# on an $H \times W$ output is $H W\, C_\text{out}\, k^2 C_\text{in}$ multiplications.
# For the 5×5 branch of module 3a (input 28×28×192, 32 output channels):

# %%
direct = conv_cost(28, 28, 192, 32, 5)
reduce_ = conv_cost(28, 28, 192, 16, 1)
after = conv_cost(28, 28, 16, 32, 5)
print(f"5x5 directly on 192 channels:      {direct['mults']:>12,} multiplications, "
      f"{direct['params']:>8,} parameters")
print(f"1x1 to 16 channels, then 5x5:      "
      f"{reduce_['mults'] + after['mults']:>12,} multiplications, "
      f"{reduce_['params'] + after['params']:>8,} parameters")
print(f"saving: {direct['mults'] / (reduce_['mults'] + after['mults']):.1f} "
      "times fewer multiplications")
naive, reduced = (inception_cost(**INCEPTION_3A, reduce=False),
                  inception_cost(**INCEPTION_3A))
print(f"\n{'module 3a':<22}{'parameters':>12}{'multiplications':>18}{'channels out':>14}")
for name, cost in (("naive (no 1x1 cuts)", naive), ("with 1x1 reductions", reduced)):
    print(f"{name:<22}{cost['total'][0]:>12,}{cost['total'][1]:>18,}"
          f"{cost['out_channels']:>14}")

# %% [markdown]
# With the 1×1 reductions the module needs less than half the multiplications of
# the naive one and produces 256 rather than 416 channels, so the *next* module is
# cheaper too; the 5×5 branch alone is almost ten times cheaper. GoogLeNet stacks nine
# such modules into 22 layers with 12 times fewer parameters than AlexNet (the
# paper's own comparison), and won ILSVRC 2014. The 1×1 convolution has since become
# a standard part of almost every architecture, ResNet's "bottleneck" blocks
# included.
#
# ### ResNet: skip connections
#
# One would think that a deeper network can only be better: the extra layers could
# always learn to do nothing. In practice, He et al. (2016) found the opposite. On
# CIFAR-10 a 56-layer plain network had a *higher training error* than a 20-layer
# one (figure 1 of their paper) — not overfitting, but a failure to optimise. Their
# fix is the residual block (left below): the block computes a correction $F(x)$
# and adds it to its input,
#
# $$
# y = x + F(x).
# $$

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(8.4, 3.8))
draw_residual_block(left, title="residual block (ResNet)")
draw_residual_block(right, title="pre-activation block", pre_activation=True)
plt.show()


# %% [markdown]
# Doing nothing is now easy — $F = 0$ — and the gradient has a direct path back:
#
# $$
# \frac{\partial L}{\partial x}
# = \frac{\partial L}{\partial y}\Big(I + \frac{\partial F}{\partial x}\Big)
# = \frac{\partial L}{\partial y} + \frac{\partial L}{\partial y}\,\frac{\partial F}{\partial x}.
# $$
#
# Through a plain stack of $L$ layers the gradient is multiplied by $L$ Jacobians
# $J_L \cdots J_1$; if each shrinks vectors by a factor $q < 1$, what reaches the first
# layer is of the order $q^L$. Through $L$ residual blocks it is multiplied by
# $(I + J_L) \cdots (I + J_1)$, whose expansion contains the identity: however small
# the $J_l$, the gradient from the loss arrives at the first layer undiminished,
# plus corrections. ResNets with 152 layers won ILSVRC 2015, and skip connections are
# now in nearly every deep network, including the transformers behind today's
# language models.

# %% [markdown]
# ## 6.4 Exercise: the backward pass of a residual block
#
# A residual block runs its branch — a list of layers that keep the shape, such as
# convolution, ReLU, convolution with padding 1 — and adds the input:
# `out = branch(x) + x`. Its backward pass is the formula above in code. The
# upstream gradient `dout` reaches `x` along two paths: back through the branch
# (each layer's `backward`, last layer first, exactly as in a `Sequential`
# network), and straight along the skip connection, where the identity passes it
# on unchanged. The two add.
#
# Complete `backward`. It must call every branch layer's `backward` (that is how
# the convolutions compute their `dW` and `db`) and return the gradient with
# respect to the block's input.

# %% role="exercise"
class ResidualBlock:
    # out = branch(x) + x; layers: the branch, each with forward(x) and backward(dout).

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        out = x
        for layer in self.layers:
            out = layer.forward(out)
        return out + x

    def backward(self, dout):
        # dout: gradient of the loss with respect to out, the shape of x. Returns dx.
        ### BEGIN SOLUTION
        d = dout
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return d + dout
        ### END SOLUTION


# %% role="check"
check_residual_backward(ResidualBlock)

# %% [markdown]
# `check_residual_backward` builds a branch of two 3×3 convolutions with a ReLU
# between them, and compares your `dx` and the convolutions' `dW` and `db` with
# numerical derivatives. From here on the chapter uses the course's version,
# `course_lib.layers.ResidualBlock`, which does the same and also checks that the
# branch keeps the shape of its input.
#
# A direct consequence of the formula: if the branch's last convolution has
# all-zero weights, the block is the identity, and so is its backward pass — `dx`
# equals `dout` exactly.

# %%
from course_lib.layers import ResidualBlock    # from here on: the course's version

rng = np.random.default_rng(0)
C = 3
conv_a = Convolution(0.3 * rng.standard_normal((C, C, 3, 3)), np.zeros(C), pad=1)
conv_b = Convolution(np.zeros((C, C, 3, 3)), np.zeros(C), pad=1)
block = ResidualBlock([Relu(), conv_a, Relu(), conv_b])
x = rng.standard_normal((2, C, 6, 6))
dout = rng.standard_normal(x.shape)
print("forward is the identity:  ", np.array_equal(block.forward(x), x))
print("backward passes dout on:  ", np.array_equal(block.backward(dout), dout))

# %% [markdown]
# Now with random weights in both convolutions, compared with centred differences in
# float64, as the check did for yours. `check_layer_gradients` draws a random
# upstream gradient and compares the block's gradient with respect to its input
# (`x`) and those of every weight inside it — keys `1.W`, `1.b`, `3.W`, `3.b`: the
# branch's layers 1 and 3 are the two convolutions.

# %%
rng = np.random.default_rng(1)
conv_b.W = 0.3 * rng.standard_normal((C, C, 3, 3))
conv_a.b, conv_b.b = 0.1 * rng.standard_normal(C), 0.1 * rng.standard_normal(C)
errors = check_layer_gradients(block, x, seed=2)
for name, err in errors.items():
    print(f"{name:>10}: {'relative error below 1e-6' if err < 1e-6 else 'TOO LARGE'}")

# %% tags=["nbval-ignore-output"]
for name, err in errors.items():
    print(f"{name:>10}: {err:.1e}")

# %% [markdown]
# All errors are below $10^{-6}$ (the exact values, which depend in their last digits
# on the machine, are shown in the second cell): the backward pass of the block,
# skip connection included, is right. A wrong formula — forgetting the `+ dout`,
# say — would be off by an error of order 1.

# %% [markdown]
# ## 6.5 Experiment: 20 plain layers against 20 residual ones
#
# `course_lib.architectures` builds two networks for 28×28 digits that differ *only*
# in the skip connections:
#
# * `plain_stack(20, 8)`: a 3×3 convolution to 8 channels and 2×2 pooling (the
#   "stem"), then 20 times ReLU + 3×3 convolution with 8 channels at 14×14, then
#   ReLU, pooling and an affine layer to 10 classes;
# * `residual_stack(20, 8)`: the same layers, with every pair of body
#   convolutions wrapped in a `ResidualBlock` (ReLU – conv – ReLU – conv, plus the
#   input: the "pre-activation" form of the block, drawn on the far right above,
#   from He et al.'s follow-up paper "Identity Mappings in Deep Residual Networks",
#   2016, in which nothing at all stands on the skip path).
#
# With the same seed they even start from the *same weights*. We initialise them
# with Xavier's scale, $\operatorname{std} = \sqrt{1/\text{fan-in}}$. That is a poor
# choice with ReLU, on purpose: a ReLU zeroes about half of its inputs, so with
# Xavier weights every ReLU + convolution halves the mean square of the signal
# (chapter 4 showed this with He vs. Xavier for six layers). After 20 layers the
# signal of the plain stack should be smaller by about $2^{-20/2} = 2^{-10} \approx
# 10^{-3}$, and backpropagation shrinks the gradient the same way. The residual
# stack adds each branch's output to its input instead, so the signal cannot fade
# away. Let us check, on a batch of 100 training images (`conv_output_rms` runs the
# batch forward and measures the size of every convolution's output).

# %%
depth, channels = 20, 8
plain = plain_stack(depth, channels, weight_init_std="xavier", seed=0)
resnet = residual_stack(depth, channels, weight_init_std="xavier", seed=0)
same = all(np.array_equal(plain.params[k], resnet.params[k]) for k in plain.params)
n_params = sum(v.size for v in plain.params.values())
print(f"{len(conv_weight_keys(plain))} convolutions each, {n_params:,} parameters each, "
      f"same initial weights: {same}")

xb, tb = x_train[:100], t_train[:100]
rms_plain = conv_output_rms(plain, xb)
rms_res = conv_output_rms(resnet, xb)
g_plain = weight_gradient_norms(plain, xb, tb)
g_res = weight_gradient_norms(resnet, xb, tb)
print(f"signal after the last body layer: plain {rms_plain[-1]:.1e}, "
      f"residual {rms_res[-1]:.1e} (after the stem: {rms_plain[0]:.2f})")
print(f"gradient norm of the first convolution's weights: plain {g_plain[0]:.1e}, "
      f"residual {g_res[0]:.1e}")
print(f"the residual stack's first layer gets {g_res[0] / g_plain[0]:.0e} times "
      "the gradient of the plain one's")

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
ax1.semilogy(np.arange(len(rms_plain)), rms_plain, "o-", ms=3, label="plain")
ax1.semilogy(2 * np.arange(len(rms_res)), rms_res, "s-", ms=3,
             label="residual (after each block)")
ax1.set_xlabel("convolution (0 = stem)")
ax1.set_ylabel("RMS of the output")
ax1.set_title("forward signal at initialisation")
layers_idx = np.arange(len(g_plain))
ax2.semilogy(layers_idx, g_plain, "o-", ms=3, label="plain")
ax2.semilogy(layers_idx, g_res, "s-", ms=3, label="residual")
ax2.set_xlabel("convolution (0 = stem)")
ax2.set_ylabel("gradient norm of its weights")
ax2.set_title("gradient at initialisation")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3, which="both")
    ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# The forward signal of the plain stack shrinks by a roughly constant factor per
# layer — the near-straight line on the logarithmic scale is the halving of the
# mean square predicted above, and the total shrinkage, from 0.40 after the stem to
# $1.4 \cdot 10^{-4}$, is of the order of the predicted $10^{-3}$, somewhat more.
# The gradients are tiny too, but *evenly* so: every convolution of the plain
# stack, the first included, gets a gradient about $10^4$ to $10^5$ times smaller
# than its twin in the residual stack, from identical weights. Why evenly?
# A layer's weight gradient is the product of its *input* and of the gradient that
# arrives at its *output* (for an affine layer $dW = x^\top\, d\text{out}$). In a
# deep layer the input has faded on its way forward; in an early layer the
# gradient has faded on its way back; the product is about equally small
# everywhere. In the residual stack the signal even grows a little from block to
# block (each block *adds* its branch to its input), and every layer gets a
# gradient of order 1.
#
# Now we train both for the same number of steps, on the same mini-batches, with
# SGD with momentum (the optimiser of the ResNet paper): learning rate 0.05,
# momentum 0.9, batches of 64 (`train_stack` runs the `Trainer` for the given number
# of steps and records what moved). Adam, which rescales every parameter's step to about
# the learning rate, may hide part of the vanishing gradient, so we train with it
# too, for half as many steps. Each training image is seen once; accuracy is
# measured on 2,000 test images, shown with its binomial standard error. The last
# column of the table is the change of the first convolution's weights, relative to their size:
# $\lVert W_1 - W_1^{(0)} \rVert / \lVert W_1^{(0)} \rVert$.

# %% tags=["nbval-ignore-output"]
steps = {"Momentum": pick(800, 25), "Adam": pick(400, 25)}
settings = {"Momentum": {"lr": 0.05, "momentum": 0.9}, "Adam": {"lr": 0.001}}
n_eval = pick(2000, 500)
results = {
    (opt, name): train_stack(build(depth, channels, weight_init_std="xavier", seed=0),
                             x_train, t_train, x_test[:n_eval], t_test[:n_eval],
                             steps[opt], 64, opt, settings[opt])
    for opt in ("Momentum", "Adam")
    for name, build in (("plain", plain_stack), ("residual", residual_stack))}
print(f"{'optimizer':<10}{'network':<10}{'steps':>6}{'loss, first 20':>16}"
      f"{'loss, last 50':>15}{'test acc':>16}{'change of W1':>14}")
for (opt, name), r in results.items():
    acc = f"{r['acc']:.3f} ± {binomial_std_error(r['acc'], r['n_eval']):.3f}"
    print(f"{opt:<10}{name:<10}{len(r['loss']):>6}{r['loss'][:20].mean():>16.3f}"
          f"{r['loss'][-50:].mean():>15.3f}{acc:>16}{r['moved']:>14.1e}"
          + ("" if r["stop"] is None else "  " + r["stop"][:40]))

# %% tags=["nbval-ignore-output"]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
window = pick(25, 5)
for ax, opt in zip(axes, ("Momentum", "Adam")):
    for name, colour in (("plain", "C0"), ("residual", "C1")):
        loss = results[opt, name]["loss"]
        smooth = np.convolve(loss, np.ones(window) / window, mode="valid")
        ax.plot(loss, color=colour, alpha=0.25, lw=0.6)
        ax.plot(np.arange(window - 1, len(loss)), smooth, color=colour, lw=1.6,
                label=f"{name}: test acc {results[opt, name]['acc']:.3f}")
    ax.axhline(np.log(10), color="0.4", ls=":", lw=1)
    ax.set_title(f"depth {depth}, Xavier init, {opt}")
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
    ax.legend()
axes[0].set_ylabel("training loss (dotted: ln 10, guessing)")
fig.tight_layout()
plt.show()

# %% [markdown]
# What the full run shows:
#
# * **With SGD and momentum the plain stack does not learn at all.** Its loss stays
#   at $\ln 10 \approx 2.303$, the loss of a network that gives every class the same
#   probability; its test accuracy (11.7 % ± 0.7 %) is what answering the same digit
#   for every image gets (1s make up exactly 11.7 % of these 2,000 test images);
#   its first layer has moved by about $2 \cdot 10^{-5}$
#   of its size. The residual stack — same layers, same initial weights, same
#   mini-batches — falls to a small loss and classifies 91.5 % ± 0.6 % of the test
#   digits correctly.
# * **Adam does not rescue it here either.** Because Adam divides each gradient by
#   its own running size, a gradient $10^{5}$ times too small still produces steps
#   of about the learning rate, and the plain stack's weights *did* move: its first
#   layer changed by about 1 % of its size, about five hundred times more than under
#   momentum. But moving is not learning: the signal reaching the output is still
#   tiny, and in 400 steps the plain stack did not leave the
#   plateau at $\ln 10$, while the residual stack reached a test accuracy of
#   95.4 % ± 0.5 % (2,000 images). When, or whether, a plain stack escapes such a
#   plateau under Adam depends on the run (exercise 6).
#
# So the skip connections do what the formula promised: they keep a path open for
# the gradient, whatever the layers in between do to it. Two honest caveats. First,
# the plain stack was handicapped on purpose with Xavier weights; with He weights
# (`weight_init_std="he"`) the plain 20-layer stack keeps its signal and trains
# too — try it. What He et al. found is that with good initialisation *and* batch
# normalisation, plain networks of 30 to 50 layers and more still trained worse than
# shallower ones, while residual ones kept improving with depth. Second, this is
# one seed and a few hundred steps on a small network; it shows a mechanism, not a
# benchmark.

# %% [markdown]
# ## 6.6 Why is Fashion-MNIST so much harder than MNIST?
#
# The DeepConvNet of chapter 4 classifies more than 99 % of the MNIST test digits
# correctly; the networks of the Fashion-MNIST assignment, with the same kind of
# layers, stop at about 90 to 92 %. Both datasets have 60,000 training images of
# 28×28 pixels in ten classes. The difference is in the images, and the simplest
# possible classifier shows it: compute the **mean image of each class** on the
# training set, and give every test image the class whose mean is closest (in
# Euclidean distance over the 784 pixels).

# %%
(fx_train, ft_train), (fx_test, ft_test) = load_fashion_mnist()
means = {"MNIST": class_means(flat_train, t_train),
         "Fashion-MNIST": class_means(fx_train, ft_train)}
show_grid([m.reshape(10, 1, 28, 28) for m in means.values()], list(means),
          title="mean image of each class")
for name, x, t in [("MNIST", flat_test, t_test), ("Fashion-MNIST", fx_test, ft_test)]:
    acc = nearest_mean_accuracy(means[name], x, t)
    print(f"{name:>13}: nearest class mean, {acc:.4f} "
          f"± {binomial_std_error(acc, len(t)):.4f} of 10,000 test images")

# %% [markdown]
# Where do its errors fall? The accuracy of each class, and the closest *pairs* of
# class means (the smaller the distance, the more alike the average images of the
# two classes):

# %%
names = {"MNIST": [str(k) for k in range(10)], "Fashion-MNIST": FASHION_MNIST_CLASSES}
for name, x, t in [("MNIST", flat_test, t_test), ("Fashion-MNIST", fx_test, ft_test)]:
    right = nearest_mean_predict(means[name], x) == t
    per_class = [f"{names[name][k]} {right[t == k].mean():.2f}" for k in range(10)]
    print(fill(f"{name}, per class: " + ", ".join(per_class), 88,
                        subsequent_indent="    "))
for name in means:
    pairs = closest_class_pairs(means[name], k=4)
    closest = [f"{names[name][i]}/{names[name][j]} {d:.2f}" for d, i, j in pairs]
    print(fill(f"{name}, closest means: " + ", ".join(closest), 88,
                        subsequent_indent="    "))

# %% [markdown]
# The nearest-class-mean classifier, with no learning beyond ten averages, gets
# 82.0 % of the MNIST test digits right and only 67.7 % of the Fashion-MNIST images
# (± 0.4 and ± 0.5 points). That is the gap between our trained networks, more than
# 99 % against about 91 % (chapter 4 and the assignment), already there in the data.
# Where it comes from:
#
# * **Four classes share one shape.** T-shirt/top, pullover, coat and shirt are all
#   an upper-body garment seen from the front, and their mean images are nearly the
#   same silhouette. They make all four closest pairs of Fashion-MNIST means, and
#   the nearest-mean classifier gets only 22 % of the shirts, 45 % of the pullovers
#   and 56 % of the coats right, while its worst MNIST class (the 5s) still gets
#   69 %. What tells these garments apart — a collar, buttons, a zip, a pattern —
#   is a few pixels in a 28×28 grey image, or not in the picture at all.
# * **A class is defined by use, not by shape.** A digit *is* its shape: every 4 has
#   the same strokes, drawn a little differently. A shirt can have long or short
#   sleeves, be checked or plain, open or buttoned, so the images of one class vary
#   far more, and several classes overlap one another.
# * **It is not one pair of classes.** The closest pair of means is no closer than
#   MNIST's (2.48 for pullover/coat, the same as for 4/9); what is harder is a group
#   of four mutually confusable classes. The distinct classes — trouser, ankle
#   boot, sneaker — are recognised about as well as digits.
#
# Some of the images are ambiguous even to a person (look at a few shirts and
# T-shirts of the assignment), so a part of the remaining error of a good network is
# a floor that no network removes.

# %% [markdown]
# ## 6.7 How much faster is a GPU, and why?
#
# A training step of chapter 4's DeepConvNet is, almost entirely, multiplications
# and additions: each convolution does one multiplication (and one addition) per
# weight per output position, and the backward pass does about twice the work of
# the forward pass (one product for the gradient of the input, one for that of
# the weights). `conv_cost` counts the multiplications of each convolution of the
# network (chapter 4: six 3×3 convolutions, the fourth padded by 2):

# %%
convs = [(28, 1, 16, 1), (28, 16, 16, 1), (14, 16, 32, 1),
         (14, 32, 32, 2), (8, 32, 64, 1), (8, 64, 64, 1)]
mults = sum(conv_cost(size, size, c_in, c_out, 3, pad=pad)["mults"]
            for size, c_in, c_out, pad in convs)
mults += 64 * 4 * 4 * 50 + 50 * 10                  # the two affine layers
# 2 FLOP per multiply-add; forward + backward = 3 x forward
step_flop = 2 * 3 * mults * 100
print(f"multiplications per image, forward: {mults:,}")
print(f"one training step on a batch of 100: {step_flop / 1e9:.2f} GFLOP")

# %% [markdown]
# How fast can this machine do them? A large float32 matrix product is the most
# favourable case for a CPU — NumPy hands it to an optimised BLAS library that uses
# every core — so its speed is a practical ceiling for our layers. Below it is
# measured, and next to it one real training step of the DeepConvNet (the numbers
# depend on the machine and on what else runs on it):

# %% tags=["nbval-ignore-output"]
gflops, seconds = matmul_gflops(n=2048)
print(f"float32 product of two 2048 x 2048 matrices: {seconds * 1e3:.0f} ms, "
      f"{gflops:.0f} GFLOP/s on this machine")
deep = DeepConvNet(seed=0)
times = []
for _ in range(3):
    start = time.perf_counter()
    deep.gradient(x_train[:100], t_train[:100])
    times.append(time.perf_counter() - start)
step = min(times)
print(f"one DeepConvNet training step (batch 100): {step * 1e3:.0f} ms, "
      f"{step_flop / step / 1e9:.0f} GFLOP/s")
print("the same step at the speed of the matrix product would take "
      f"{step_flop / (gflops * 1e9) * 1e3:.0f} ms")

# %% [markdown]
# The step of chapter 4's fast layers runs at a fraction of the speed of the matrix
# product (about a quarter in the run shown: its matrices are much smaller), so on
# this machine the CPU itself sets the limit, within a small factor. A GPU
# is faster because a training step is billions of *independent* multiply-adds,
# and a GPU is built to do many thousands of them at once. A CPU core is made for
# one stream of instructions with branches and deep caches; its vector units do 8
# or 16 float32 multiply-adds per cycle, and even a server has only a few dozen
# cores. A current data-centre GPU, NVIDIA's H100 (SXM version), has 132
# multiprocessors of 128 float32 units each (16,896 in all), and memory that
# delivers over 3 TB/s, tens of times what a CPU gets, so that weights and
# activations arrive fast enough to keep them busy.
#
# Its published figures (NVIDIA's H100 data sheet, rounded) are **peak** figures,
# reached only by large, well-shaped matrix products: about 67 TFLOP/s
# (67,000 GFLOP/s) in float32 on its ordinary units, and about 500 TFLOP/s dense in
# TF32 on its tensor cores (float32 numbers multiplied with a 10-bit mantissa, what
# the deep-learning frameworks use for convolutions by default; the data sheet's
# 989 assumes sparse matrices). Against the GFLOP/s measured above, that is some
# hundreds of times this machine in float32 and thousands of times in TF32: a
# DeepConvNet step of 5.26 GFLOP would take, at peak, less than a tenth of a
# millisecond.
#
# In practice the speed-up is much smaller for a network this small. Its layers
# are tiny (16 to 64 channels, a batch of 100): each of the few dozen GPU kernels
# of a step finishes in microseconds, and the time goes into launching them and
# moving data, not into arithmetic. Expect (we have not measured it here) a step of
# the order of a millisecond: tens of times faster than on this machine, not
# thousands. The advantage grows with the work: the VGG and ResNet networks of
# section 6.3, with billions of multiplications per 224×224 image, run close to the
# peak, and that is what made training them on ImageNet possible.
#
# ### Where CuPy could take NumPy's place
#
# [CuPy](https://cupy.dev) implements NumPy's array API on NVIDIA GPUs.
# `cupy.asarray(x)` copies an array into the GPU's memory; the same expressions —
# `x @ W`, `maximum`, `reshape`, `transpose`, `sum` — then run as kernels on the GPU
# and return GPU arrays; `cupy.asnumpy(y)` copies a result back. Code that asks an
# array for its module runs on either:
#
# ```python
# import cupy as cp
#
# def affine_relu(x, W, b):
#     xp = cp.get_array_module(x)          # numpy for NumPy arrays, cupy for GPU arrays
#     return xp.maximum(0, x @ W + b)
#
# x_gpu, W_gpu, b_gpu = cp.asarray(x), cp.asarray(W), cp.asarray(b)   # copy to the GPU once
# y = cp.asnumpy(affine_relu(x_gpu, W_gpu, b_gpu))                    # compute there, copy back
# ```
#
# For the course's layers the changes would be small: the weights and each
# mini-batch moved to the GPU (the weights once: a copy over the PCIe bus is slow),
# `np.` replaced by the array's module in `im2col`, `col2im` and the layers, and any
# `np.add.at` by `cupyx.scatter_add`. (Not run here: this machine has no GPU.)

# %% [markdown]
# ## Summary
#
# * Adam's learning rate is a step length: every weight moves by about $\eta$ per
#   step. Too large, and the first steps wreck the initial weights and the loss
#   settles on a higher plateau; after a long quiet spell a single step can be
#   about $3\eta$.
# * The `Trainer`'s divergence guard stops a run whose loss explodes and puts back
#   the best weights; early stopping keeps the best epoch's weights — chosen on a
#   validation set, not on the test set.
# * Evaluate in batches: the memory of a forward pass grows with the number of
#   images in it (chapter 4), and the accuracy does not depend on the batch size.
# * VGG: stacks of 3×3 convolutions reach as far as one large filter with fewer
#   weights and more nonlinearity. GoogLeNet: 1×1 convolutions cut channels before
#   the expensive filters. ResNet: $y = x + F(x)$ keeps an identity path for the
#   gradient, so depth stops hurting optimisation.
# * `ResidualBlock.backward` returns `dout + branch gradient`; it passes a
#   float64 gradient check, and at depth 20 with Xavier weights it is the difference
#   between a network that learns and one that does not.
# * Rarer spikes are not free: a larger batch or a larger $\varepsilon$ removes them
#   but leaves a higher loss after the same epochs, and clipping leaves Adam's step
#   as it was. Judge a remedy by the accuracy.
# * Fashion-MNIST is harder in the data: even averaging each class shows it
#   (nearest class mean: 82 % on MNIST, 68 % on Fashion-MNIST), and four upper-body
#   garments share one silhouette.
# * A DeepConvNet step is about 5 GFLOP of multiply-adds. A GPU does them on
#   thousands of units at once: a peak some hundreds of times a CPU's, of which a
#   network this small uses only a part.
#
# ## Exercises
#
# 1. Run the learning-rate experiment with `optimizer="SGD"` and learning rates 0.01,
#    0.1 and 1. Is the learning rate of SGD also a step length? Explain with the
#    update formulas.
# 2. Change `divergence_factor` in section 6.2 to 100. Does the guard still stop the
#    run? What does that say about choosing the factor?
# 3. Repeat the experiment of section 6.5 with `weight_init_std="he"`. Plot the
#    forward signal of both stacks. Which one grows, and why? (Hint: in the residual
#    stack each block adds a branch of similar size to its input.)
# 4. Using `conv_cost`, compute the parameters and multiplications of a ResNet
#    "bottleneck" block: 1×1 from 256 to 64 channels, 3×3 from 64 to 64, 1×1 from 64
#    to 256, on a 56×56 input. Compare with two 3×3 convolutions from 256 to 256.
# 5. Build `residual_stack(40, 8)` and `plain_stack(40, 8)` and compare their first
#    layers' gradient norms at initialisation with those at depth 20. Does the ratio
#    behave as $2^{\text{depth}/2}$ predicts?
# 6. Train the plain stack with Adam for 1,000 steps and three different seeds
#    (`seed=` of both the network and the `Trainer`). Does it leave the plateau?
#    Watch the RMS of the last layer's output during training.
