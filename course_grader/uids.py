"""User ids for the sandboxes of one grading run, never shared with another run.

A grader run as root starts every sandbox as an unprivileged user id of its
own: the process limit (``RLIMIT_NPROC``) counts per user id across the whole
machine, so two sandboxes sharing one id could starve each other.  Several
grading runs may share a machine (shards of a class, two courses): each run
leases a block of ``UID_BLOCK`` ids by holding an exclusive lock on that
block's lock file for as long as it runs (``flock``: the kernel releases it
when the process ends, however it ends).  A run takes the first free block,
so no two runs at the same time ever hand out the same id.
"""
from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

from .submissions import GradingError

FIRST_UID = 3_000_000         # above the ids of users, services and the usual subordinate ranges
UID_BLOCK = 1000              # ids per run: one per sandbox running at the same time
BLOCKS = 64                   # runs at the same time on one machine
LOCK_DIR = Path(tempfile.gettempdir()) / "course-grade-uids"


class NoFreeBlock(GradingError):
    """Every block of user ids is held by another grading run."""


class UidBlock:
    """A leased block of user ids: ``uid(slot)`` for slot 0, 1, ... (``None`` when not root)."""

    def __init__(self, index, handle, as_root):
        self.index, self._handle, self.as_root = index, handle, as_root
        self.first = FIRST_UID + index * UID_BLOCK

    def uid(self, slot):
        if not self.as_root:
            return None
        if not 0 <= slot < UID_BLOCK - 1:
            raise ValueError(f"slot {slot} is outside the block of {UID_BLOCK} user ids")
        return self.first + slot

    def release(self):
        if self._handle is not None:
            self._handle.close()          # closing the file drops the lock
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def lease(as_root=None, lock_dir=LOCK_DIR):
    """Lease the first free block of user ids for this process; release it with ``release()``
    (or use it as a context manager).  Without root, nothing is leased: the sandboxes run in
    user namespaces as the grader's own user."""
    if as_root is None:
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if not as_root:
        return UidBlock(0, None, False)
    lock_dir = Path(lock_dir)
    lock_dir.mkdir(mode=0o755, exist_ok=True)
    for index in range(BLOCKS):
        handle = open(lock_dir / f"block-{index:02d}.lock", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        return UidBlock(index, handle, True)
    raise NoFreeBlock(f"all {BLOCKS} blocks of sandbox user ids are held by other grading runs "
                      f"(lock files in {lock_dir}); wait for one to finish")


def owner_block(uid):
    """The block index a sandbox user id belongs to, or None for any other id."""
    if FIRST_UID <= uid < FIRST_UID + BLOCKS * UID_BLOCK:
        return (uid - FIRST_UID) // UID_BLOCK
    return None
