"""Run the blocks of a batch on all CPU cores.

NumPy lets go of Python's global lock inside array copies and matrix products,
so plain Python threads run those truly in parallel.  While they do, the BLAS
library's own threads are limited to one each, so that the cores are shared
out once rather than fought over.

``COURSE_LIB_THREADS=1`` turns this off (everything runs in the calling thread).
"""
import os
from concurrent.futures import ThreadPoolExecutor

from threadpoolctl import ThreadpoolController

WORKERS = int(os.environ.get("COURSE_LIB_THREADS", "0") or 0) or min(os.cpu_count() or 1, 8)

_pool = None
_controller = None


def map_blocks(fn, blocks):
    """``[fn(b) for b in blocks]``, computed by ``WORKERS`` threads."""
    global _pool, _controller
    if WORKERS == 1 or len(blocks) < 2:
        return [fn(b) for b in blocks]
    if _pool is None:
        _pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="course_lib")
        _controller = ThreadpoolController()
    with _controller.limit(limits=1, user_api="blas"):
        return list(_pool.map(fn, blocks))
