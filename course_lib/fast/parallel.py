"""Run the parts of a batch on all CPU cores.

NumPy lets go of Python's global lock inside array copies, elementwise
operations and matrix products, so plain Python threads run those truly in
parallel.  While they do, the BLAS library's own threads are limited to one
each, so that the cores are shared out once rather than fought over.

Handing work to another thread is not free: waking it up costs tens of
microseconds, about as long as gathering the windows of a whole image.  So a
batch is cut into one contiguous share per core, handed over once, and each
thread (the calling thread included) works through its share block by block.

``COURSE_LIB_THREADS=1`` turns this off (everything runs in the calling
thread).  The variable is read when threads are first needed, not at import,
and a value that is not a positive whole number gives a warning and the
default.  A process started with ``fork`` gets fresh threads of its own.
"""
import itertools
import math
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager

import numpy as np
from threadpoolctl import ThreadpoolController


def _default_workers():
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cores or 1, 8)


_parsed = (None, None)             # (the raw COURSE_LIB_THREADS value, the count it gave)


def workers():
    """How many threads share out a batch: ``COURSE_LIB_THREADS``, else the cores (at most 8)."""
    global _parsed
    raw = os.environ.get("COURSE_LIB_THREADS", "").strip()
    if raw == _parsed[0]:
        return _parsed[1]
    if not raw:
        count = _default_workers()
    elif raw.isdigit() and int(raw) >= 1:
        count = int(raw)
    else:
        count = _default_workers()
        warnings.warn(f"COURSE_LIB_THREADS must be a positive whole number (1 turns threading off), got "
                      f"{raw!r}; using {count} thread(s). Set it to, say, 1 or 4, or unset it",
                      RuntimeWarning, stacklevel=3)
    _parsed = (raw, count)
    return count


def __getattr__(name):
    if name == "WORKERS":          # the old constant, now read when asked for
        return workers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_pool = None                       # (ThreadPoolExecutor, its number of threads), made on first use
_lock = threading.Lock()           # one batch at a time uses the pool
_inside = threading.local()        # .active is True while this thread works on a share
_scratch = threading.local()       # each thread's reusable work arrays, by name
_padded = threading.local()        # each thread's zero-bordered work arrays, by shape
PADDED_KEEP_BYTES = 64 * 2 ** 20   # at most about this much of them is kept, per thread


def split(n, parts=None):
    """Cut ``range(n)`` into ``parts`` (default ``workers()``) contiguous slices of
    nearly equal length; empty slices are left out."""
    parts = workers() if parts is None else parts
    bounds = [n * i // parts for i in range(parts + 1)]
    return [slice(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def _run_share(fn, share):
    _inside.active = True
    try:
        return [fn(item) for item in share]
    finally:
        _inside.active = False


def _executor(count):
    """The pool of ``count - 1`` helper threads, made (or remade for a new count) on demand."""
    global _pool
    if _pool is None or _pool[1] != count:
        if _pool is not None:
            _pool[0].shutdown(wait=True)
        _pool = (ThreadPoolExecutor(count - 1, thread_name_prefix="course_lib"), count)
    return _pool[0]


def map_blocks(fn, blocks):
    """``[fn(b) for b in blocks]``, computed by ``workers()`` threads.

    The list is cut into one contiguous share per thread; the calling thread
    works through the first share itself.  One batch at a time uses the
    threads: a second caller (another thread of the user's) waits for the
    first, and a call made from inside a share runs serially.
    """
    blocks = list(blocks)
    count = workers()
    if count == 1 or len(blocks) < 2 or getattr(_inside, "active", False):
        return [fn(b) for b in blocks]
    shares = [blocks[s] for s in split(len(blocks), count)]
    with _lock:
        pool = _executor(count)
        with single_threaded_blas():
            futures = [pool.submit(_run_share, fn, share) for share in shares[1:]]
            try:
                results = _run_share(fn, shares[0])
            finally:
                wait(futures)                 # no share outlives the call, even after an error
            for future in futures:
                results.extend(future.result())
            return results


def map_shared(fn, count):
    """``fn(i)`` for every ``i`` in ``range(count)``, computed by ``workers()`` threads.

    The indices are handed out one at a time, each to the next thread that is
    free, so a thread slowed down by other work on the machine simply takes
    fewer of them (``map_blocks`` fixes each thread's share in advance).  Which
    thread computes which index varies from call to call: ``fn`` should write
    its result to a place of its own for each ``i``.  The same rules as
    ``map_blocks``: one batch at a time, serial inside a share.
    """
    threads = min(workers(), count)
    if threads <= 1 or getattr(_inside, "active", False):
        for i in range(count):
            fn(i)
        return
    handed = itertools.count()        # next() on it is atomic: each index goes to one thread

    def share(_):
        for i in handed:
            if i >= count:
                return
            fn(i)

    with _lock:
        pool = _executor(workers())
        with single_threaded_blas():
            futures = [pool.submit(_run_share, share, [None]) for _ in range(threads - 1)]
            try:
                _run_share(share, [None])
            finally:
                wait(futures)                 # no share outlives the call, even after an error
            for future in futures:
                future.result()


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
    xp = bordered_scratch(x.shape, pad, x.dtype)
    N, H, W, C = x.shape
    xp[:, pad:pad + H, pad:pad + W] = x
    return xp


def bordered_scratch(shape, pad, dtype):
    """This thread's reused ``(N, H + 2*pad, W + 2*pad, C)`` work array for a batch of
    ``shape`` ``(N, H, W, C)``, with a zero border of width ``pad``; the caller writes the
    middle (``[:, pad:pad + H, pad:pad + W]``) and nothing else.  Same rules as ``scratch``."""
    N, H, W, C = shape
    padded = (N, H + 2 * pad, W + 2 * pad, C)
    store = _padded.__dict__
    key = (padded, pad, np.dtype(dtype).str)
    xp = store.get(key)
    if xp is None:
        if sum(a.nbytes for a in store.values()) > PADDED_KEEP_BYTES:
            store.clear()             # many shapes seen: start afresh rather than grow without end
        xp = store[key] = np.zeros(padded, dtype=dtype)
    return xp


def ones(n, dtype):
    """A vector of ``n`` ones of this thread's own, kept from call to call (never write to it)."""
    store = _scratch.__dict__
    key = ("ones", np.dtype(dtype).str)
    v = store.get(key)
    if v is None or len(v) < n:
        v = store[key] = np.ones(max(n, 1), dtype=dtype)
    return v[:n]


# The BLAS limit is process-wide, so it is counted process-wide: the first thread
# to enter single_threaded_blas sets it, the last one to leave restores it.
_blas_lock = threading.Lock()
_blas_users = 0
_blas_limit = None                 # threadpoolctl's record of the limits to restore
_controller = None


@contextmanager
def single_threaded_blas():
    """Let the BLAS library use one thread while the block runs.

    The networks wrap a whole forward and backward pass in this: their
    convolutions share the cores out themselves, and a BLAS library's idle
    threads keep spinning for a while after each of its calls (a small Affine
    product, say), stealing the cores from the next convolution's threads.
    Safe to nest and to use from several threads at once: the limit is set
    when the first user enters and lifted when the last one leaves.
    """
    global _blas_users, _blas_limit, _controller
    if workers() == 1:
        yield
        return
    with _blas_lock:
        if _blas_users == 0:
            if _controller is None:
                _controller = ThreadpoolController()
            _blas_limit = _controller.limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                _blas_limit.restore_original_limits()
                _blas_limit = None


def _after_fork_in_child():
    """A forked child has only the thread that forked: forget the parent's threads and locks."""
    global _pool, _lock, _blas_lock, _blas_users, _blas_limit
    _pool = None                       # its threads do not exist here; a new pool is made on use
    _lock = threading.Lock()
    _blas_lock = threading.Lock()
    _blas_users, _blas_limit = 0, None
    _inside.active = False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
