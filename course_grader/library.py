"""The grading edition of course_lib: the library a sandbox imports.

A submission may only earn points with code it wrote.  While it is graded,
the course's own versions of what the assignment asks for (im2col, col2im,
the convolution and pooling layers, the loop references, the class means, ...)
are therefore not in the sandbox at all: :func:`make_site` copies course_lib
and replaces the body of every function the assignment names (its
``SANDBOX_STUBS``, see :mod:`course_grader.trusted`) by a line that raises
:data:`STUB_ERROR`.  Signatures, classes and everything else stay, so the
notebook imports and runs as usual.  The copy is made from the source text
(its ``__pycache__`` is not copied but compiled anew), then made read-only.

``SANDBOX_STUBS`` maps a module to the names to stub in it: ``"*"`` for every
function and method, ``"Class.method"`` or ``"function"`` otherwise, and
``"Class.*"`` for every method of a class.  A name the module does not have is
an error, so the list cannot silently go stale when the library changes.
"""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

STUB_ERROR = "is not available while this assignment is graded"
RUNNER_FILES = ("__init__.py", "runner.py")      # what of course_grader runs inside the sandbox


class StubError(Exception):
    """The stub list names something the library does not have."""


def _module_file(root, module):
    parts = module.split(".")
    base = root.joinpath(*parts)
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    raise StubError(f"SANDBOX_STUBS names the module {module}, which course_lib does not have")


def _stub_body(node, qualname):
    message = f"course_lib's {qualname} {STUB_ERROR}: write this part with NumPy"
    raising = ast.parse(f"raise RuntimeError({message!r})").body
    node.body = raising
    node.decorator_list = [d for d in node.decorator_list
                           if isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod",
                                                                     "property")]


class _Stubber(ast.NodeTransformer):
    def __init__(self, names):
        self.names, self.stack, self.done = set(names), [], set()

    def _wanted(self, qualname):
        cls = qualname.split(".")[0]
        return "*" in self.names or qualname in self.names or f"{cls}.*" in self.names \
            and "." in qualname

    def visit_ClassDef(self, node):
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()
        return node

    def _function(self, node):
        qualname = ".".join([*self.stack, node.name])
        if self._wanted(qualname):
            _stub_body(node, qualname)
            self.done.add(qualname)
            self.done.add(qualname.split(".")[0] + ".*" if "." in qualname else qualname)
            return node
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = _function


def stub_source(source, names, where="module"):
    """``source`` with the bodies of ``names`` replaced by a raise (see the module docstring)."""
    tree = ast.parse(source)
    stubber = _Stubber(names)
    stubber.visit(tree)
    missing = sorted(n for n in set(names) - {"*"} if n not in stubber.done)
    if missing:
        raise StubError(f"SANDBOX_STUBS names {missing} in {where}, which it does not define")
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def make_site(dest, stubs):
    """Write the grading edition of course_lib (and the notebook runner) into ``dest``.

    ``stubs``: module -> names, as described above.  Returns ``dest``.
    """
    import course_lib

    import course_grader

    dest = Path(dest)
    if dest.exists():
        _make_writable(dest)
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    src = Path(course_lib.__file__).resolve().parent
    shutil.copytree(src, dest / "course_lib", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for module, names in stubs.items():
        if not module.startswith("course_lib"):
            raise StubError(f"SANDBOX_STUBS may only name course_lib modules, not {module}")
        path = _module_file(dest, module)
        names = [names] if isinstance(names, str) else list(names)
        path.write_text(stub_source(path.read_text(encoding="utf-8"), names, module),
                        encoding="utf-8")
    runner = dest / "course_grader"
    runner.mkdir()
    for name in RUNNER_FILES:
        shutil.copyfile(Path(course_grader.__file__).resolve().parent / name, runner / name)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(dest)], check=False,
                   capture_output=True)
    for path in sorted(dest.rglob("*"), reverse=True) + [dest]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    return dest


def _make_writable(folder):
    for path in [folder, *Path(folder).rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
