"""The processes a grading run starts, so that an interrupted run leaves none behind.

Every sandbox and every scoring process starts in a session of its own
(:func:`start`) and is registered until it has ended (:func:`finish`).  When
the instructor presses Ctrl-C, :func:`kill_all` kills each registered process
group at once: the sandboxes' PID namespaces end, and the run stops within a
second instead of waiting for notebooks to finish.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading

_LOCK = threading.Lock()
_RUNNING: set = set()
_STOPPING = threading.Event()


class Stopped(Exception):
    """The grading run is being stopped; no new process may start."""


def start(argv, **kwargs):
    """``subprocess.Popen(argv, **kwargs)`` in a new session, registered."""
    with _LOCK:
        if _STOPPING.is_set():
            raise Stopped("the grading run was interrupted")
        proc = subprocess.Popen(argv, start_new_session=True, **kwargs)
        _RUNNING.add(proc)
    return proc


def kill(proc):
    """Kill ``proc``'s whole process group (it has not been reaped, so the group is ours)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def finish(proc):
    """Wait for ``proc``, kill what is left of its group, and forget it."""
    if proc.poll() is None:
        kill(proc)
    proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGKILL)       # leftovers outside a PID namespace (no sandbox)
    except (ProcessLookupError, PermissionError):
        pass
    with _LOCK:
        _RUNNING.discard(proc)


def kill_all():
    """Stop every registered process group and refuse new ones (an interrupted run)."""
    _STOPPING.set()
    with _LOCK:
        running = list(_RUNNING)
    for proc in running:
        kill(proc)


def stopping():
    return _STOPPING.is_set()


def reset():
    """Allow new processes again (a new run in the same Python process, as in the tests)."""
    _STOPPING.clear()
