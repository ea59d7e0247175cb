"""Run the blocks of a batch on all CPU cores.

NumPy lets go of Python's global lock inside array copies and matrix products,
so plain Python threads run those truly in parallel.  While they do, the BLAS
library's own threads are limited to one each, so that the cores are shared
out once rather than fought over.

``COURSE_LIB_THREADS=1`` turns this off (everything runs in the calling thread).
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

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

_pool = None
_controller = None
_lock = threading.Lock()


def map_blocks(fn, blocks):
    """``[fn(b) for b in blocks]``, computed by ``WORKERS`` threads.

    One batch at a time uses the pool: a second caller (another thread of the
    user's) waits for the first, and a call made from inside a block runs
    serially, so the BLAS limit is always set and reset in order.
    """
    global _pool
    if WORKERS == 1 or len(blocks) < 2 or threading.current_thread().name.startswith("course_lib"):
        return [fn(b) for b in blocks]
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="course_lib")
        with single_threaded_blas():
            return list(_pool.map(fn, blocks))


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
