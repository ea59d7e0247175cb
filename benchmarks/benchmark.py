"""How fast is course_lib's DeepConvNet?  Prints figures; asserts nothing.

    python benchmarks/benchmark.py [--steps 20] [--blocks 3] [--threads N] [--layers] [--trained]
                                   [--reference] [--one-thread] [--bound] [--recipe]

Measures, for the book's DeepConvNet in float32 on MNIST-sized input:
- one training step (forward, backward and an Adam update) on a batch of 100;
- inference on 1,000 images (evaluation mode, batches of 500);
- when PyTorch is installed, the same architecture in PyTorch on the CPU, in
  the same run, and the ratio course_lib / PyTorch;
- the cost of augmenting a batch of 100 images, next to the training step;
- with ``--layers``, course_lib's training step layer by layer: the time of
  each layer's forward and backward pass (this is the profile to read first
  when the step is slow), each layer run on its own, then the step as the
  network runs it: the convolutions with their ReLU and pooling taken a few
  images at a time through all six (``course_lib.fast.stack``);
- the peak memory of a training step (batch 100): the most that NumPy's
  arrays held at any moment of the step, over what they held before it
  (work arrays kept between steps included in the "kept" figure), traced
  with ``tracemalloc``;
- with ``--reference``, the same network built from the reference layers
  (``DeepConvNet(fast=False)``: the book's im2col code), timed in the same
  alternating blocks;
- with ``--bound``, the matrix products alone of a training step (the im2col
  products of each convolution, timed on their own, each convolution in the
  block size that runs them fastest, a block's operands already in the cache):
  a floor under any implementation that multiplies im2col windows with NumPy.
  The step and this floor are timed in
  alternating blocks in the same run, and the ratio of each pair of blocks is
  printed: on a machine shared with other work, the ratio of two neighbouring
  blocks holds far better than either time;
- with ``--recipe``, chapter 4's training recipe (``tools/train_shipped_weights.py``:
  20 epochs of 600 steps, the accuracy on 10,000 training images after each and
  on the 10,000 test images at the end) estimated
  from the measured time of a ``Trainer`` step and of evaluating an image;
- with ``--trained``, course_lib's training step on 100 real MNIST digits with
  fresh weights and with the shipped trained ones (a trained network's
  confident predictions are where very small, slow "subnormal" numbers would
  come from).

The two libraries run in alternating blocks of several steps (not call by
call): a BLAS library's threads keep spinning for a moment after a call and
would slow the other one down.  Each figure is the median over blocks of the
per-step mean, as wall-clock time and as CPU time (summed over threads; on a
busy machine CPU time is the steadier of the two).  ``--threads 1`` runs both
libraries on one thread, the fairest comparison when other work shares the
machine; ``--one-thread`` adds that comparison to a run on all threads.
"""
import argparse
import os
import platform
import sys
import threading
import time


def _threads_from_argv():
    """Thread limits must be set before NumPy starts its BLAS library."""
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return None


if __name__ == "__main__" and _threads_from_argv():
    for var in ("COURSE_LIB_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = _threads_from_argv()

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from course_lib import DeepConvNet  # noqa: E402
from course_lib.optimizers import Adam  # noqa: E402


def course_lib_runner(batch=100, seed=0, fast=True):
    rng = np.random.default_rng(seed)
    net = DeepConvNet(seed=seed, fast=fast)
    opt = Adam(lr=0.001)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    t = rng.integers(0, 10, batch)
    x_inf = rng.random((1000, 1, 28, 28), dtype=np.float32)

    def step():
        grads = net.gradient(x, t)
        opt.update(net.params, grads)

    def infer():
        net.eval()
        net.predict(x_inf, batch_size=500)
        net.train()

    return step, infer


def torch_runner(batch=100, seed=0):
    import torch
    from torch import nn

    torch.manual_seed(seed)

    def conv(cin, cout, pad=1):
        return [nn.Conv2d(cin, cout, 3, padding=pad), nn.ReLU()]

    model = nn.Sequential(*conv(1, 16), *conv(16, 16), nn.MaxPool2d(2),
                          *conv(16, 32), *conv(32, 32, pad=2), nn.MaxPool2d(2),
                          *conv(32, 64), *conv(64, 64), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(64 * 4 * 4, 50), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(50, 10), nn.Dropout(0.5))
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch, 1, 28, 28)
    t = torch.randint(0, 10, (batch,))
    x_inf = torch.rand(1000, 1, 28, 28)

    def step():
        model.train()
        opt.zero_grad()
        loss_fn(model(x), t).backward()
        opt.step()

    def infer():
        model.eval()
        with torch.no_grad():
            for i in range(0, 1000, 500):
                model(x_inf[i:i + 500])

    return step, infer


def step_memory(batch=100, seed=0):
    """Bytes of NumPy arrays during a training step: (peak over its start, held at its start).

    The second step is measured, so that work arrays kept from step to step
    (``course_lib.fast.parallel.scratch``) are counted in what is held, not in
    the peak.  tracemalloc sees every NumPy data buffer, from every thread.
    """
    import tracemalloc

    step, _ = course_lib_runner(batch, seed)
    tracemalloc.start()
    try:
        step()
        tracemalloc.reset_peak()
        held = tracemalloc.get_traced_memory()[0]
        step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - held, held


def blas_line():
    """Which BLAS library and kernels NumPy uses, and whether an environment variable narrowed them.

    OpenBLAS picks its matrix-product kernels for the processor it finds, unless
    ``OPENBLAS_CORETYPE`` names one: ``Haswell`` on a processor with AVX-512
    halves the width of every vector operation, while PyTorch (oneDNN) still uses
    AVX-512, so the two libraries no longer run on equal terms.
    """
    from threadpoolctl import threadpool_info

    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not blas:
        return "NumPy's BLAS: not found by threadpoolctl"
    info = blas[0]
    line = (f"NumPy's BLAS: {info.get('internal_api')} {info.get('version')}, "
            f"{info.get('architecture')} kernels")
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    if coretype:
        line += f" (chosen by OPENBLAS_CORETYPE={coretype}"
        try:
            with open("/proc/cpuinfo") as f:
                avx512 = " avx512f " in f.read()
        except OSError:
            avx512 = False
        if avx512 and "avx512" not in str(info.get("architecture")).lower() \
                and str(info.get("architecture")).lower() in ("haswell", "zen", "sandybridge"):
            line += ("; this processor has AVX-512, which PyTorch uses: unset the variable to "
                     "compare like with like")
        line += ")"
    return line


def one_thread_ratio(runners, steps, blocks):
    """``measure`` again with every library on one thread: course_lib's convolutions
    (``COURSE_LIB_THREADS``, read at each call), NumPy's BLAS and PyTorch."""
    import torch
    from threadpoolctl import threadpool_limits

    saved, torch_threads = os.environ.get("COURSE_LIB_THREADS"), torch.get_num_threads()
    os.environ["COURSE_LIB_THREADS"] = "1"
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            pair = {k: v for k, v in runners.items() if k in ("course_lib", "pytorch")}
            return measure(pair, steps, blocks)
    finally:
        torch.set_num_threads(torch_threads)
        if saved is None:
            del os.environ["COURSE_LIB_THREADS"]
        else:
            os.environ["COURSE_LIB_THREADS"] = saved


def time_block(fn, n):
    """Mean wall-clock and CPU seconds of n calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    return (time.perf_counter() - wall) / n, (time.process_time() - cpu) / n


def measure(runners, steps, blocks):
    """Median per-call times of each runner's functions, in alternating blocks."""
    results = {name: {"step": [], "infer": [], "step_cpu": [], "infer_cpu": []} for name in runners}
    for name, (step, infer) in runners.items():   # warm-up
        step(), infer()
    for _ in range(blocks):
        for name, (step, infer) in runners.items():
            for key, fn, n in (("step", step, steps), ("infer", infer, max(steps // 4, 1))):
                wall, cpu = time_block(fn, n)
                results[name][key].append(wall)
                results[name][key + "_cpu"].append(cpu)
    return {name: {k: float(np.median(v)) for k, v in r.items()} for name, r in results.items()}


def layer_profile(steps=20, batch=100, seed=0):
    """Mean forward and backward seconds of each layer of DeepConvNet in a training step."""
    from course_lib.fast import single_threaded_blas

    rng = np.random.default_rng(seed)
    net = DeepConvNet(seed=seed)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    t = rng.integers(0, 10, batch)
    forward, backward = np.zeros(len(net.layers)), np.zeros(len(net.layers))
    with single_threaded_blas():                 # as the network's own passes run
        for rep in range(steps + 2):             # the first two are a warm-up
            count = rep >= 2
            h = x
            for i, layer in enumerate(net.layers):
                start = time.perf_counter()
                h = layer.forward(h)
                forward[i] += count * (time.perf_counter() - start)
            net.last_layer.forward(h, t)
            d = net.last_layer.backward(1)
            for i in reversed(range(len(net.layers))):
                start = time.perf_counter()
                layer = net.layers[i]
                # as gradient() does: the first layer needs no dx
                d = layer.backward(d, need_dx=False) if i == 0 else layer.backward(d)
                backward[i] += count * (time.perf_counter() - start)
    return [(repr(layer), f / steps, b / steps)
            for layer, f, b in zip(net.layers, forward, backward)]


def step_profile(steps=20, batch=100, seed=0):
    """Mean seconds per step in each layer during ``net.gradient``, as the network runs them.

    A run of Convolution-Relu(-Pooling) units (``course_lib.fast.stack``) takes a few images at
    a time through all its layers; its rows give each unit's share (the ReLU and pooling
    inside the convolution's row), summed over the threads, and a last row the whole run's
    wall time.  The other layers' rows time their own forward and backward calls.
    Rows: ``(name, forward, backward)``.
    """
    from course_lib.fast import stack
    from course_lib.networks import walk

    rng = np.random.default_rng(seed)
    net = DeepConvNet(seed=seed)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    t = rng.integers(0, 10, batch)
    layers = list(walk(net.layers))
    spent = {}
    counting = [False]

    def timed(method, key_of):
        def call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                if counting[0]:
                    key = key_of(*args)
                    spent[key] = spent.get(key, 0.0) + time.perf_counter() - start
        return call

    for layer in layers:
        for kind in ("forward", "backward"):        # instance attributes: the classes are unchanged
            setattr(layer, kind, timed(getattr(layer, kind), lambda *a, _k=(id(layer), kind): _k))
    patched = {(cls, kind): getattr(cls, kind) for cls in (stack._Stage, stack.Stack)
               for kind in ("forward", "backward")}
    for (cls, kind), method in patched.items():
        if cls is stack._Stage:
            setattr(cls, kind, timed(method, lambda self, *a, _k=kind: (id(self.conv), _k)))
        else:
            setattr(cls, kind, timed(method, lambda self, *a, _k=kind: ("stack", _k)))
    try:
        for rep in range(steps + 2):                            # the first two are a warm-up
            counting[0] = rep >= 2
            net.gradient(x, t)
    finally:
        for (cls, kind), method in patched.items():
            setattr(cls, kind, method)
    in_stack = {id(layer): unit for unit in _stack_units(net)
                for layer in unit[1:] if layer is not None}
    convs = {id(unit[0]): unit for unit in _stack_units(net)}
    rows = []
    for layer in layers:
        f, b = spent.get((id(layer), "forward"), 0.0), spent.get((id(layer), "backward"), 0.0)
        if id(layer) in convs:
            pool = convs[id(layer)][2]
            name = repr(layer) + " +Relu" + (" +Pooling" if pool is not None else "")
            rows.append((name, f / steps, b / steps))
        elif (f or b) and id(layer) not in in_stack:
            rows.append((repr(layer), f / steps, b / steps))
    if ("stack", "forward") in spent:
        rows.append(("the whole stack of units (wall time)", spent[("stack", "forward")] / steps,
                     spent.get(("stack", "backward"), 0.0) / steps))
    return rows


def _stack_units(net):
    """The units ``(conv, relu, pool)`` of the stacks the network's last forward pass ran."""
    units = []
    for layer in net.layers:
        run = getattr(layer, "_stack", None)
        if run is not None:
            units += run.units
    return units


def print_layer_profile(steps):
    rows = layer_profile(steps)
    print(f"\ncourse_lib training step, layer by layer (batch 100, mean of {steps} steps):")
    print(f"{'layer':<44}{'forward':>10}{'backward':>11}")
    kinds = {}
    for name, f, b in rows:
        print(f"{name:<44}{f * 1000:>7.2f} ms{b * 1000:>8.2f} ms")
        kind = name.split("(")[0]
        kinds[kind] = kinds.get(kind, 0) + f + b
    total = sum(f + b for _, f, b in rows)
    print(f"{'all layers':<44}{sum(f for _, f, _ in rows) * 1000:>7.2f} ms"
          f"{sum(b for _, _, b in rows) * 1000:>8.2f} ms   = {total * 1000:.1f} ms")
    print("by kind: " + ", ".join(f"{k} {v * 1000:.1f} ms ({100 * v / total:.0f} %)"
                                  for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])))
    rows = step_profile(steps)
    print(f"\nthe same step as the network runs it (net.gradient), mean of {steps} steps: the "
          f"convolutions with their ReLU\nand pooling run a few images at a time through all six "
          f"(course_lib.fast.stack); their rows are\nsummed over the threads, the stack's row is "
          f"its wall time")
    for name, f, b in rows:
        print(f"{name:<60}{f * 1000:>7.2f} ms{b * 1000:>8.2f} ms")


RECIPE = {"epochs": 20, "steps": 600, "evaluated": 10000, "final": 10000}


def recipe_parts(steps=20, blocks=3, seed=0):
    """Seconds of chapter 4's recipe's two parts on this machine: ``(one training step, one image
    evaluated)``, each the median over ``blocks`` blocks.

    The recipe (``tools/train_shipped_weights.py``, the chapter's TRAIN_NOW): a DeepConvNet
    trained by the course's ``Trainer`` for 20 epochs of 600 steps (mini-batches of 100, Adam),
    with the accuracy on 10,000 training images after each epoch and on the 10,000 test images
    once, at the end.  A step here is ``Trainer.train_step`` (gradient, loss and
    update) on a batch of random images; evaluation is ``network.accuracy`` on 1,000.
    """
    from course_lib import Trainer

    rng = np.random.default_rng(seed)
    x = rng.random((1000, 1, 28, 28), dtype=np.float32)
    t = rng.integers(0, 10, 1000)
    net = DeepConvNet(seed=seed)
    trainer = Trainer(net, x, t, x[:1], t[:1], epochs=1, optimizer="Adam",
                      optimizer_param={"lr": 0.001}, verbose=False, seed=seed)
    batches = [(x[i:i + 100], t[i:i + 100]) for i in range(0, 1000, 100)]
    turn = iter(range(10 ** 9))

    def step():
        trainer.train_step(*batches[next(turn) % len(batches)])

    def evaluate():
        net.accuracy(x, t)
        net.train()

    step(), evaluate()
    step_times = [time_block(step, steps)[0] for _ in range(blocks)]
    eval_times = [time_block(evaluate, 1)[0] / len(x) for _ in range(blocks)]
    return float(np.median(step_times)), float(np.median(eval_times))


def print_recipe(steps, blocks):
    from course_lib.fast import workers

    step, per_image = recipe_parts(steps, blocks)
    n_steps = RECIPE["epochs"] * RECIPE["steps"]
    n_images = RECIPE["epochs"] * RECIPE["evaluated"] + RECIPE["final"]
    train, evaluation = n_steps * step, n_images * per_image
    print(f"\nchapter 4's recipe on this machine ({os.cpu_count()} CPUs, course_lib on {workers()} "
          f"thread(s)),\nestimated from the median of {blocks} blocks of {steps} Trainer steps and "
          f"of {blocks} evaluations of 1,000 images:")
    print(f"  training   {n_steps:,} steps x {step * 1000:.1f} ms = {train / 60:.1f} min")
    print(f"  evaluation {n_images:,} images x {per_image * 1e6:.0f} us = "
          f"{evaluation / 60:.1f} min")
    print(f"  together   {(train + evaluation) / 60:.1f} min")
    return train, evaluation


def trained_vs_fresh(steps=20):
    """Seconds of one training step on 100 MNIST training digits: fresh and trained weights."""
    from course_lib import pretrained
    from course_lib.datasets import load_mnist

    (x, t), _ = load_mnist(normalize=True, flatten=False)
    x, t = x[:100], t[:100]
    times = {}
    for name in ("fresh", "trained"):
        net = (DeepConvNet(seed=0) if name == "fresh"
               else pretrained.load("deep_convnet_mnist").train())
        time_block(lambda: net.gradient(x, t), 2)                 # warm-up
        times[name] = time_block(lambda: net.gradient(x, t), steps)[0]
    return times


def conv_product_shapes(batch=100):
    """(images, rows per image, K, F) of each convolution's im2col product in a DeepConvNet step.

    Forward: windows (rows x K) @ weights (K x F); backward: windows^T @ dout for dW and
    dout @ weights^T for the windows' gradient: three products of the same size.
    """
    from course_lib.layers import Convolution
    net = DeepConvNet(seed=0, fast=False)
    x = np.zeros((1, 1, 28, 28), dtype=np.float32)
    shapes = []
    for layer in net.layers:
        if isinstance(layer, Convolution):
            F, C, FH, FW = layer.W.shape
            out = layer.forward(x)
            shapes.append((batch, out.shape[2] * out.shape[3], C * FH * FW, F))
            x = out
        else:
            x = layer.forward(x)
    return shapes


class ProductFloor:
    """The matrix products alone of one training step: a floor under any im2col implementation.

    Each convolution makes three products of the same size (the windows times the filters
    forward; windows^T @ dout for dW; dout @ filters^T for the windows' gradient), except the
    first, whose input gradient no step needs: 17 products, with no gathering of windows, no
    scatter, ReLU, pooling, loss or update.

    Each convolution's products run in blocks of ``b`` images shared out over the threads the
    way the fast layers share out theirs (one BLAS thread each), ``b`` the block size that
    runs them fastest here (``calibrate``).  Each thread multiplies its own arrays of one
    block's size, made once and reused for every block, so that the operands come from the
    cache: an implementation gathers a block's windows just before multiplying them, so they
    are in the cache at best, never better.  (The whole batch at once on BLAS's own threads,
    operands in main memory, is slower for every convolution here, and BLAS's threads keep
    spinning after such a call, slowing whatever runs next.)  ``run`` then makes all 17
    products: 100 images' worth for each convolution.
    """

    BLOCKS = (1, 2, 4, 5, 10, 20)

    def __init__(self, batch=100, seed=0):
        self.batch, self.seed = batch, seed
        self.convs = []
        for index, (images, rows, K, F) in enumerate(conv_product_shapes(batch)):
            self.convs.append({"rows": rows, "K": K, "F": F, "dx": index > 0, "block": 1,
                               "index": index})
        self._own = threading.local()      # each thread's operands, by (convolution, block)

    def _operands(self, conv, block):
        """This thread's operands for ``block`` images of ``conv``, made on first use (random,
        so that no product meets zeros or subnormal numbers)."""
        key = (conv["index"], block)
        store = self._own.__dict__
        if key not in store:
            rng = np.random.default_rng([self.seed, *key])
            rows, K, F = conv["rows"] * block, conv["K"], conv["F"]
            store[key] = {"cols": rng.random((rows, K), dtype=np.float32),
                          "W": rng.random((K, F), dtype=np.float32),
                          "dout": rng.random((rows, F), dtype=np.float32),
                          "out": np.empty((rows, F), np.float32),
                          "dW": np.empty((K, F), np.float32),
                          "dx": np.empty((rows, K), np.float32)}
        return store[key]

    @staticmethod
    def _products(conv, o):
        np.matmul(o["cols"], o["W"], out=o["out"])
        np.matmul(o["cols"].T, o["dout"], out=o["dW"])
        if conv["dx"]:
            np.matmul(o["dout"], o["W"].T, out=o["dx"])

    def _run_conv(self, conv, block):
        from course_lib.fast.parallel import map_shared

        map_shared(lambda i: self._products(conv, self._operands(conv, block)),
                   -(-self.batch // block))

    def calibrate(self, repeats=3):
        """For each convolution, the block size whose products run fastest here, each candidate
        timed ``repeats`` times in turn with the others (the best time counts); returns them."""
        for conv in self.convs:
            times = {b: float("inf") for b in self.BLOCKS if self.batch % b == 0}
            for _ in range(repeats):
                for b in times:
                    times[b] = min(times[b], time_block(lambda: self._run_conv(conv, b), 2)[0])
            conv["block"] = min(times, key=times.get)
        return [conv["block"] for conv in self.convs]

    def run(self):
        for conv in self.convs:
            self._run_conv(conv, conv["block"])


def alternate(step, floor, steps, blocks):
    """Seconds per call of ``step`` and ``floor``, timed in alternating blocks of ``steps`` calls
    each: ``(step, floor)``, each an array of ``(wall, cpu)`` rows, one per block (CPU time
    summed over the process's threads)."""
    step(), floor()
    step_times, floor_times = [], []
    for _ in range(blocks):
        step_times.append(time_block(step, steps))
        floor_times.append(time_block(floor, steps))
    return np.array(step_times), np.array(floor_times)


def print_bound(step, steps, blocks, pytorch_step=None):
    """The step against its matrix-product floor, timed in alternating blocks in this run;
    returns the wall-time ratios of the pairs of blocks."""
    floor = ProductFloor()
    chosen = floor.calibrate()
    step_times, floor_times = alternate(step, floor.run, steps, blocks)
    ratios, cpu_ratios = (step_times / floor_times).T
    (step_wall, step_cpu), (floor_wall, floor_cpu) = step_times.T, floor_times.T
    print("\nthe training step against its matrix-product floor: the 17 im2col products of "
          "the six\n"
          "convolutions alone (no gathering, scatter, ReLU, pooling, loss or update), each\n"
          "convolution in blocks of " + ", ".join(map(str, chosen))
          + " images (its fastest here),\neach block's operands already in the cache")
    print(f"  alternating blocks of {steps} steps and {steps} floors, {blocks} of each, wall time:")
    print("  step  " + " ".join(f"{t * 1000:6.1f}" for t in step_wall) + "  ms")
    print("  floor " + " ".join(f"{t * 1000:6.1f}" for t in floor_wall) + "  ms")
    print("  ratio " + " ".join(f"{r:6.2f}" for r in ratios))
    print(f"  step / floor: median {np.median(ratios):.2f}x, best {ratios.min():.2f}x, worst "
          f"{ratios.max():.2f}x over {blocks} pairs of blocks")
    print(f"  step median {np.median(step_wall) * 1000:.1f} ms (best {step_wall.min() * 1000:.1f}),"
          f" floor median {np.median(floor_wall) * 1000:.1f} ms (best "
          f"{floor_wall.min() * 1000:.1f})")
    print(f"  in CPU time (all threads; the work alone, not the waiting): step / floor median "
          f"{np.median(cpu_ratios):.2f}x\n  (best {cpu_ratios.min():.2f}x, worst "
          f"{cpu_ratios.max():.2f}x), step {np.median(step_cpu) * 1000:.1f} ms, floor "
          f"{np.median(floor_cpu) * 1000:.1f} ms")
    if pytorch_step is not None:
        print(f"  the floor is {np.median(floor_wall) / pytorch_step:.2f}x PyTorch's whole step")
    print(f"  NumPy's float32 2048 x 2048 product: {matmul_rate():.0f} GFLOP/s")
    return ratios


def matmul_rate(n=2048, repeats=5):
    """GFLOP/s of NumPy's float32 product of two n x n matrices (best of ``repeats``)."""
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    a @ a
    return 2 * n ** 3 / min(time_block(lambda: a @ a, 3)[0] for _ in range(repeats)) / 1e9


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="training steps per block")
    parser.add_argument("--blocks", type=int, default=3, help="alternating blocks per library")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for both libraries (default: all)")
    parser.add_argument("--layers", action="store_true",
                        help="also time course_lib's step layer by layer")
    parser.add_argument("--reference", action="store_true",
                        help="also time the network built from the reference layers (fast=False)")
    parser.add_argument("--one-thread", action="store_true",
                        help="then measure both libraries again on one thread each, "
                             "in the same run")
    parser.add_argument("--recipe", action="store_true",
                        help="also estimate chapter 4's training recipe (20 epochs) here")
    parser.add_argument("--trained", action="store_true",
                        help="also time the step with the shipped trained weights on MNIST digits")
    parser.add_argument("--bound", action="store_true",
                        help="also time the matrix products alone of a step: a floor for any "
                             "im2col implementation")
    args = parser.parse_args(argv)

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, numpy {np.__version__}, python "
          f"{platform.python_version()}")
    print(blas_line())
    # first, so that the work arrays kept between steps count as held
    peak, held = step_memory()
    runners = {"course_lib": course_lib_runner()}
    if args.reference:
        runners["reference"] = course_lib_runner(fast=False)
    try:
        import torch
        if args.threads:
            torch.set_num_threads(args.threads)
        runners["pytorch"] = torch_runner()
        print(f"pytorch {torch.__version__} on the CPU, {torch.get_num_threads()} threads")
    except ImportError:
        print("PyTorch is not installed: only course_lib is measured "
              "(pip install torch to compare)")
    r = measure(runners, args.steps, args.blocks)
    gflop = 5.26  # one DeepConvNet training step on a batch of 100, counted as multiply-adds x 2
    print()
    from course_lib.fast import workers
    print(f"course_lib convolutions on {workers()} thread(s)")
    print(f"{'':<12}{'train step (batch 100)':>30}{'inference (1000 images)':>32}")
    print(f"{'':<12}{'wall':>16}{'cpu':>14}{'wall':>18}{'cpu':>14}")
    for name, v in r.items():
        print(f"{name:<12}{v['step'] * 1000:>13.1f} ms{v['step_cpu'] * 1000:>11.1f} ms"
              f"{v['infer'] * 1000:>15.1f} ms{v['infer_cpu'] * 1000:>11.1f} ms")
    c = r["course_lib"]
    print(f"\ncourse_lib training step: {gflop / c['step']:.1f} GFLOP/s; "
          "one MNIST epoch (600 steps) "
          f"~ {600 * c['step']:.0f} s")
    print("course_lib training step memory (NumPy arrays, tracemalloc): "
          f"peak {peak / 2 ** 20:.1f} MiB over the {held / 2 ** 20:.1f} MiB held between steps "
          "(weights, Adam state, layer state, kept work arrays)")
    if "reference" in r:
        slow = r["reference"]
        print(f"the reference layers (fast=False) take {slow['step'] / c['step']:.1f}x as long "
              f"for a training step, {slow['infer'] / c['infer']:.1f}x for inference (wall time)")
    if "pytorch" in r:
        p = r["pytorch"]
        print(f"ratio course_lib / pytorch, wall time: training step {c['step'] / p['step']:.2f}x, "
              f"inference {c['infer'] / p['infer']:.2f}x")
        print("ratio course_lib / pytorch, CPU time:  training step "
              f"{c['step_cpu'] / p['step_cpu']:.2f}x, "
              f"inference {c['infer_cpu'] / p['infer_cpu']:.2f}x")
    if args.one_thread and "pytorch" in r:
        one = one_thread_ratio(runners, args.steps, args.blocks)
        print("on one thread each (same run): course_lib step "
              f"{one['course_lib']['step'] * 1000:.1f} ms, pytorch "
              f"{one['pytorch']['step'] * 1000:.1f} ms; ratio training step "
              f"{one['course_lib']['step'] / one['pytorch']['step']:.2f}x, inference "
              f"{one['course_lib']['infer'] / one['pytorch']['infer']:.2f}x (wall time)")
    try:
        from augment_benchmark import benchmark_augment
        aug = benchmark_augment(batch=100)
        print(f"augmenting a batch of 100 images: {aug * 1000:.2f} ms = "
              f"{100 * aug / c['step']:.1f} % of a training step")
    except ImportError as err:
        print(f"(augmentation benchmark not available: {err})")
    if args.bound:
        step, _ = runners["course_lib"]
        print_bound(step, args.steps, args.blocks, r["pytorch"]["step"] if "pytorch" in r else None)
    if args.layers:
        print_layer_profile(args.steps)
    if args.recipe:
        print_recipe(args.steps, args.blocks)
    if args.trained:
        times = trained_vs_fresh(args.steps)
        print(f"\ncourse_lib gradient of 100 MNIST digits (forward and backward): fresh weights "
              f"{times['fresh'] * 1000:.1f} ms, trained weights {times['trained'] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
