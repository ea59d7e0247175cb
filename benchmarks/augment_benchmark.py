"""How long does augmenting one mini-batch take, next to a training step?

Times a typical augmentation pipeline (random rotation, shift and zoom) on a
batch of MNIST-sized images (1 x 28 x 28, float32) and the same in one
resampling (RandomAffine), first alone, then inside training steps (gradient
and Adam update) of chapter 5's SimpleConvNet, as the Trainer runs them. The
second figure is what augmentation adds to training; it should be a small
fraction of the step.

Run:  python benchmarks/augment_benchmark.py  [--cpu-time]
"""

import argparse
import time

import numpy as np

from course_lib.augment import Compose, RandomAffine, RandomRotation, RandomShift, RandomZoom


def typical_pipeline():
    """Rotation (+-10 degrees), whole-pixel shift (+-2) and zoom (0.9-1.1)."""
    return Compose([RandomRotation(10), RandomShift(2), RandomZoom((0.9, 1.1))])


CLOCK = time.perf_counter
"""Wall-clock time; ``--cpu-time`` switches to the process's CPU time (all its threads)."""


def _time_per_call(fn, repeats):
    """Best of five rounds of ``repeats // 5`` calls: the round least disturbed by other work."""
    fn()                                    # warm-up (allocations, caches)
    best = float("inf")
    rounds = 5
    per_round = max(1, repeats // rounds)
    for _ in range(rounds):
        start = CLOCK()
        for _ in range(per_round):
            fn()
        best = min(best, (CLOCK() - start) / per_round)
    return best


def _batch(batch, seed):
    if batch < 1:
        raise ValueError(f"batch must be >= 1; got {batch}.")
    return np.random.default_rng(seed).random((batch, 1, 28, 28), dtype=np.float32)


def benchmark_augment(batch=100, repeats=50, pipeline=None, seed=0):
    """Seconds to augment one batch of ``batch`` 1x28x28 float32 images.

    ``pipeline`` (anything called as ``pipeline(x, rng)``) defaults to
    :func:`typical_pipeline` (rotation + shift + zoom, three resamplings).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1; got {repeats}.")
    x = _batch(batch, seed)
    rng = np.random.default_rng(seed)
    pipeline = typical_pipeline() if pipeline is None else pipeline
    return _time_per_call(lambda: pipeline(x, rng), repeats)


def benchmark_training_step(batch=100, repeats=10, augment=None, seed=0):
    """Seconds for one training step of SimpleConvNet on ``batch`` images.

    A step is ``augment(x, rng)`` when given, then the gradient and an Adam update.
    """
    from course_lib import SimpleConvNet
    from course_lib.optimizers import Adam

    x = _batch(batch, seed)
    t = np.random.default_rng(seed).integers(0, 10, batch)
    rng = np.random.default_rng(seed)
    network, adam = SimpleConvNet(seed=seed), Adam(lr=0.001)

    def step():
        xb = x if augment is None else augment(x, rng)
        adam.update(network.params, network.gradient(xb, t))

    return _time_per_call(step, repeats)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--cpu-time", action="store_true",
                        help="measure the CPU time of this process instead of wall-clock time "
                             "(steadier on a busy machine)")
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.cpu_time else time.perf_counter
    pipelines = {"rotation + shift + zoom (Compose, 3 resamplings)": typical_pipeline(),
                 "RandomAffine (the same, one resampling)": RandomAffine(10, 2, (0.9, 1.1))}
    steps = max(5, args.repeats // 5)
    plain = benchmark_training_step(args.batch, steps)
    clock = "CPU" if args.cpu_time else "wall-clock"
    print(f"{clock} time; batch of {args.batch} images 1x28x28 (float32); SimpleConvNet training "
          f"step (gradient + Adam) without augmentation: {plain * 1e3:.1f} ms")
    print(f"{'':50s} {'alone':>9s} {'added to a training step':>27s}")
    for name, pipeline in pipelines.items():
        alone = benchmark_augment(args.batch, args.repeats, pipeline=pipeline)
        added = benchmark_training_step(args.batch, steps, augment=pipeline) - plain
        print(f"{name:50s} {alone * 1e3:6.2f} ms {added * 1e3:13.2f} ms ({added / plain:4.0%})")


if __name__ == "__main__":
    main()
