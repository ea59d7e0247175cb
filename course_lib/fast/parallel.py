"""Run the parts of a batch on all CPU cores.

NumPy lets go of Python's global lock inside array copies, elementwise
operations and matrix products, so plain Python threads run those truly in
parallel.  While they do, the BLAS library's own threads are limited to one
each, so that the cores are shared out once rather than fought over.

Handing work to another thread is not free: waking it up costs tens of
microseconds, about as long as gathering the windows of a whole image.  So a
batch is cut into one contiguous share per core, handed over once, and each
thread (the calling thread included) works through its share block by block.

``COURSE_LIB_THREADS=1`` turns this off (everything runs in the calling thread).
"""
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager

import numpy as np
from threadpoolctl import ThreadpoolController


def _workers():
    raw = os.environ.get("COURSE_LIB_THREADS", "").strip()
    if raw:
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(f"COURSE_LIB_THREADS must be a positive whole number (1 turns threading off), "
                             f"got {raw!r}")
        return int(raw)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cores or 1, 8)


WORKERS = _workers()


def workers():
    """How many threads share out a batch (``COURSE_LIB_THREADS``, else the cores, at most 8)."""
    return WORKERS

_pool = None
_controller = None
_lock = threading.Lock()
_inside = threading.local()       # .active is True while this thread works on a share
_scratch = threading.local()      # each thread's reusable work arrays, by name
_padded = threading.local()       # each thread's zero-bordered work arrays, by shape
PADDED_KEEP_BYTES = 64 * 2 ** 20  # at most about this much of them is kept, per thread


def split(n, parts=None):
    """Cut ``range(n)`` into ``parts`` (default ``WORKERS``) contiguous slices of
    nearly equal length; empty slices are left out."""
    parts = WORKERS if parts is None else parts
    bounds = [n * i // parts for i in range(parts + 1)]
    return [slice(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def _run_share(fn, share):
    _inside.active = True
    try:
        return [fn(item) for item in share]
    finally:
        _inside.active = False


def map_blocks(fn, blocks):
    """``[fn(b) for b in blocks]``, computed by ``WORKERS`` threads.

    The list is cut into one contiguous share per thread; the calling thread
    works through the first share itself.  One batch at a time uses the
    threads: a second caller (another thread of the user's) waits for the
    first, and a call made from inside a share runs serially, so the BLAS limit
    is always set and reset in order.
    """
    global _pool
    blocks = list(blocks)
    if WORKERS == 1 or len(blocks) < 2 or getattr(_inside, "active", False):
        return [fn(b) for b in blocks]
    shares = [blocks[s] for s in split(len(blocks))]
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(WORKERS - 1, thread_name_prefix="course_lib")
        with single_threaded_blas():
            futures = [_pool.submit(_run_share, fn, share) for share in shares[1:]]
            try:
                results = _run_share(fn, shares[0])
            finally:
                wait(futures)                 # no share outlives the call, even after an error
            for future in futures:
                results.extend(future.result())
            return results


def scratch(name, shape, dtype):
    """A work array of the calling thread's own, reused from call to call.

    Every call with the same ``name`` from the same thread gets (part of) the
    same memory back, grown when a larger shape is asked for.  Work that is
    redone for every block of a batch (the windows of a convolution, say) then
    writes into memory that is still in the processor's cache, instead of into
    fresh memory each time.  The content is whatever the last user left in it,
    and the array is only good until the next call with that name: never keep
    it, or return it to a caller.
    """
    size = math.prod(shape)
    dtype = np.dtype(dtype)
    store = _scratch.__dict__
    flat = store.get(name)
    if flat is None or flat.dtype != dtype or flat.size < size:
        flat = store[name] = np.empty(size, dtype=dtype)
    return flat[:size].reshape(shape)


def padded_scratch(x, pad):
    """x ``(N, H, W, C)`` copied into the middle of a reused ``(N, H + 2*pad,
    W + 2*pad, C)`` work array of this thread whose border is zero.

    The array is kept for exactly this shape and padding, and only its middle is ever
    written, so the zero border is filled once, when the array is made.  Same
    rules as ``scratch``: use it at once, never keep it.
    """
    N, H, W, C = x.shape
    shape = (N, H + 2 * pad, W + 2 * pad, C)
    store = _padded.__dict__
    key = (shape, pad, x.dtype.str)
    xp = store.get(key)
    if xp is None:
        if sum(a.nbytes for a in store.values()) > PADDED_KEEP_BYTES:
            store.clear()             # many shapes seen: start afresh rather than grow without end
        xp = store[key] = np.zeros(shape, dtype=x.dtype)
    xp[:, pad:pad + H, pad:pad + W] = x
    return xp


@contextmanager
def single_threaded_blas():
    """Let the BLAS library use one thread while the block leaves it.

    The networks wrap a whole forward and backward pass in this: their
    convolutions share the cores out themselves, and a BLAS library's idle
    threads keep spinning for a while after each of its calls (a small Affine
    product, say), stealing the cores from the next convolution's threads.
    """
    global _controller
    if WORKERS == 1:
        yield
        return
    if _controller is None:
        _controller = ThreadpoolController()
    with _controller.limit(limits=1, user_api="blas"):
        yield
