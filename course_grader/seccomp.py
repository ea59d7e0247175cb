"""The seccomp filter of the sandbox: system calls a notebook never needs, refused.

bubblewrap applies a compiled seccomp program given to it on a file descriptor
(``--seccomp FD``).  The program is made by libseccomp, the library the
sandboxes of Flatpak and systemd use, through its own Python bindings, which
Debian and Ubuntu ship for the system's Python (``apt-get install
python3-seccomp``; they are not on PyPI).  The grader runs in a virtual
environment, so it asks the system Python (``/usr/bin/python3``) once per
run to write the program; where the bindings are missing, the sandbox runs
without the filter and the grading report says so.

What it refuses, as Flatpak does: debugging other processes (``ptrace``,
``process_vm_*``), new namespaces (``unshare``, ``setns``, ``clone`` with a
namespace flag; ``clone3`` answers "not implemented" so that the C library
falls back to ``clone``), mounting, loading kernel code (modules, BPF,
``kexec``), the kernel keyring, performance counters, ``userfaultfd``,
``io_uring``, pushing characters into a terminal (``TIOCSTI``), changing the
clock, and sockets other than Unix, IPv4, IPv6 and netlink ones (the sandbox has a
network namespace of its own, with only a loopback interface).  Everything else is
allowed, so NumPy, Jupyter's kernel and Matplotlib run as usual.
"""
from __future__ import annotations

import functools
import shutil
import subprocess

SYSTEM_PYTHON = ("/usr/bin/python3", "/usr/local/bin/python3")

DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "bpf",
    "add_key", "keyctl", "request_key", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "quotactl", "acct",
    "swapon", "swapoff", "reboot", "syslog", "uselib", "vhangup", "iopl", "ioperm",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "fanotify_init", "move_pages", "migrate_pages", "mbind", "set_mempolicy",
)

_PROGRAM = r"""
import errno, sys
import seccomp

denied = sys.argv[1].split(",")
f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for name in denied:
    try:
        f.add_rule(seccomp.ERRNO(errno.EPERM), name)
    except (RuntimeError, ValueError):
        pass                                      # not a system call on this architecture
f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
for flag in (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
             0x40000000, 0x00000080):
    f.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
for request in (0x5412, 0x541C):                  # TIOCSTI, TIOCLINUX
    f.add_rule(seccomp.ERRNO(errno.EPERM), "ioctl",
               seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, request))
# sockets: Unix (1), IPv4 (2), IPv6 (10) and netlink (16, which getifaddrs() needs) only
f.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.GE, 17))
for family in [*range(3, 10), *range(11, 16)]:
    f.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.EQ, family))
f.export_bpf(sys.stdout.buffer)
"""


class Unavailable(Exception):
    """No seccomp program can be made here; the message says why and what to install."""


@functools.lru_cache(maxsize=1)
def _made():
    python = next((p for p in SYSTEM_PYTHON if shutil.which(p)), None)
    if python is None:
        return None, "no system Python (/usr/bin/python3) to run libseccomp's bindings"
    try:
        proc = subprocess.run([python, "-I", "-c", _PROGRAM, ",".join(DENIED)],
                              capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"the system Python could not be run ({exc})"
    if proc.returncode != 0 or not proc.stdout:
        why = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        if "No module named 'seccomp'" in why[0]:
            return None, ("libseccomp's Python bindings are not installed "
                          "(`sudo apt-get install python3-seccomp`)")
        return None, f"libseccomp could not make the filter ({why[0][:200]})"
    return proc.stdout, None


def filter_program():
    """The compiled filter (bytes), or None where it cannot be made (see :func:`why_not`)."""
    return _made()[0]


def why_not():
    """Why there is no filter, or None when there is one."""
    return _made()[1]
