"""How long does augmenting one mini-batch take?

Times a typical augmentation pipeline (random rotation, shift and zoom) on a
batch of MNIST-sized images (1 x 28 x 28, float32) and reports seconds per
batch.  Compare it with the time of one training step of the network: the
augmentation should cost only a small fraction of it.

Run:  python benchmarks/augment_benchmark.py
"""

import argparse
import time

import numpy as np

from course_lib.augment import (Compose, RandomAffine, RandomRotation, RandomShift,
                                RandomZoom)


def typical_pipeline(seed=0):
    """Rotation (+-10 degrees), whole-pixel shift (+-2) and zoom (0.9-1.1)."""
    return Compose([RandomRotation(10), RandomShift(2), RandomZoom((0.9, 1.1))], seed=seed)


def _time_per_call(fn, x, repeats):
    fn(x)                                   # warm-up (allocations, caches)
    best = float("inf")
    # Best of a few rounds: the least disturbed by other work on the machine.
    rounds = 5
    per_round = max(1, repeats // rounds)
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(per_round):
            fn(x)
        best = min(best, (time.perf_counter() - start) / per_round)
    return best


def benchmark_augment(batch=100, repeats=50, pipeline=None, seed=0):
    """Seconds to augment one batch of ``batch`` 1x28x28 float32 images.

    ``pipeline`` defaults to :func:`typical_pipeline` (rotation + shift +
    zoom, three resamplings).  The best of five rounds of ``repeats // 5``
    calls is reported.
    """
    if batch < 1 or repeats < 1:
        raise ValueError(f"batch and repeats must be >= 1; got batch={batch}, repeats={repeats}.")
    x = np.random.default_rng(seed).random((batch, 1, 28, 28), dtype=np.float32)
    if pipeline is None:
        pipeline = typical_pipeline(seed)
    return _time_per_call(pipeline, x, repeats)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    t = benchmark_augment(args.batch, args.repeats)
    t_one = benchmark_augment(args.batch, args.repeats,
                              pipeline=RandomAffine(10, 2, (0.9, 1.1), seed=0))
    print(f"augmentation, batch of {args.batch} images 1x28x28 (float32):")
    print(f"  rotation + shift + zoom (Compose, 3 resamplings): {t * 1e3:7.2f} ms per batch")
    print(f"  RandomAffine (the same, one resampling):           {t_one * 1e3:7.2f} ms per batch")


if __name__ == "__main__":
    main()
