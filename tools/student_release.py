"""Write the student copy of the course: everything a student needs, no answers.

    python tools/student_release.py DEST          (or: make student-release DEST=...)

The repository holds the instructor's material next to the course: worked
solutions (``solutions/``), the assignment's hidden tests and model answers,
the grader.  Students should get a copy without them.  This writes, into the
new folder DEST (outside the repository):

- ``notebooks/*.ipynb``: the chapters' student versions;
- ``assignments/``: the assignment's student version (made by nbgrader);
- ``course_lib/`` with its trained weights, except the grading code;
- ``README.md``, ``environment.yml``, ``pyproject.toml``, ``Makefile``,
  ``.gitignore`` and the documents listed in ``STUDENT_DOCS``.

Not copied: ``solutions/``, the grader (``course_grader/``,
``course_lib/grading.py``), ``nbgrader_config.py``, the chapter build
scripts (they hold the chapters' solutions), tests, tools, benchmarks and
anything git does not track.  Only files committed to git (as they are in the
working tree) are considered.

Before the copy is put in place it is checked: no file may contain a line of
an instructor version's solution or hidden tests (the blocks between
``BEGIN SOLUTION`` / ``END SOLUTION`` and ``BEGIN HIDDEN TESTS`` /
``END HIDDEN TESTS`` in ``solutions/``), nor one of those markers.  The copy
is built in a temporary folder beside DEST and renamed to DEST only when it
is complete and checked, so a failed run leaves nothing half-written.  DEST
must not exist, or be an empty folder; it must lie outside the repository.
"""
import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Paths (relative to the repository root, glob patterns) that go to students.
INCLUDE = [
    "README.md", "environment.yml", "pyproject.toml", "Makefile", ".gitignore", "LICENSE*",
    "notebooks/*.ipynb",
    "assignments/*/*",
    "course_lib/*.py", "course_lib/*/*.py", "course_lib/weights/*.npz",
]
STUDENT_DOCS = ["docs/students*.md"]
# Never released, even when a pattern above matches.
EXCLUDE = ["course_lib/grading.py", "course_lib/grading/*", "course_grader/*", "solutions/*",
           "nbgrader_config.py", "notebooks/build/*", "tests/*", "tools/*", "*.db",
           "*trusted_checks*", "assignments/*_model.npz"]     # a trained model would earn the accuracy points

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
_BLOCK = re.compile(r"^[ \t]*#*[ \t]*BEGIN (SOLUTION|HIDDEN TESTS)[^\n]*\n(.*?)^[ \t]*#*[ \t]*END \1",
                    re.MULTILINE | re.DOTALL)
MIN_LINE = 12  # shorter lines ("return out", "else:") are too common to reveal anything


class ReleaseError(Exception):
    """The release cannot be written; the message says why and what to do."""


def _matches(path, patterns):
    return any(fnmatch.fnmatch(path, p) for p in patterns)


def tracked_files(root=ROOT):
    """Paths (relative, with '/') that git tracks and that still exist in the working tree."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        raise ReleaseError(f"cannot list the repository's files with git ({err}); run this from a git "
                           f"checkout of the course") from None
    return sorted(p for p in out.decode("utf-8").split("\0") if p and (root / p).is_file())


def release_files(root=ROOT):
    """The files of the student copy, relative to the repository root."""
    return [p for p in tracked_files(root)
            if _matches(p, INCLUDE + STUDENT_DOCS) and not _matches(p, EXCLUDE)]


def _source_texts(path):
    """The text of each cell of a notebook, or the whole file for anything else."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix != ".ipynb":
        return [text]
    try:
        nb = json.loads(text)
    except json.JSONDecodeError:
        return [text]
    return ["".join(c.get("source", "")) if isinstance(c.get("source"), list) else c.get("source", "")
            for c in nb.get("cells", [])]


def _lines(text):
    return {line.strip() for line in text.splitlines() if line.strip()}


def secret_lines(root=ROOT, public=()):
    """The distinctive lines inside the solution and hidden-test blocks of ``solutions/``.

    A line counts when it has at least ``MIN_LINE`` characters and the course
    does not publish it anyway: lines that also stand outside the blocks of an
    instructor version (the question a model answer quotes) and lines of the
    files in ``public`` (course_lib's source, which students get by design) are
    left out.
    """
    inside, outside = set(), set()
    for path in sorted((root / "solutions").rglob("*.ipynb")):
        for source in _source_texts(path):
            pos = 0
            for match in _BLOCK.finditer(source):
                outside |= _lines(source[pos:match.start()])
                inside |= _lines(match.group(2))
                pos = match.end()
            outside |= _lines(source[pos:])
    published = set()
    for path in public:
        published |= _lines(Path(path).read_text(encoding="utf-8", errors="replace"))
    return {line for line in inside - outside - published if len(line) >= MIN_LINE}


def leaks(folder, secrets):
    """``(file, line)`` for every secret line or marker found in the text files under ``folder``."""
    found = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue                                 # weights and other binary files
        texts = _source_texts(path) if path.suffix == ".ipynb" else [text]
        present = {line.strip() for t in texts for line in t.splitlines()}
        rel = path.relative_to(folder).as_posix()
        found += [(rel, m) for m in MARKERS if any(m in line for line in present)]
        found += [(rel, line) for line in sorted(secrets & present)]
    return found


def _check_dest(dest, root):
    dest = Path(os.path.abspath(dest))
    root = root.resolve()
    real = dest.resolve()
    if real == root or root in real.parents:
        raise ReleaseError(f"{dest} lies inside the repository {root}; choose a folder outside it (the student "
                           f"copy must not end up in the instructor's repository), e.g. ../course-student")
    if real in root.parents:
        raise ReleaseError(f"{dest} contains the repository {root}; choose a new folder for the student copy")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ReleaseError(f"{dest} already exists and is not an empty folder; remove it or choose a new "
                           f"name (nothing was written)")
    if not dest.parent.is_dir():
        raise ReleaseError(f"the folder {dest.parent} does not exist; create it first (nothing was written)")
    return dest


def write_release(dest, root=ROOT):
    """Write the student copy into the new folder ``dest``; returns the list of files written."""
    root = Path(root)
    dest = _check_dest(dest, root)
    files = release_files(root)
    for needed in ("README.md", "pyproject.toml", "course_lib/__init__.py"):
        if needed not in files:
            raise ReleaseError(f"{needed} is missing from the repository's tracked files; is {root} the course "
                               f"repository?")
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        for rel in files:
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / rel, target)
        library = [tmp / rel for rel in files if rel.startswith("course_lib/") and rel.endswith(".py")]
        found = leaks(tmp, secret_lines(root, public=library))
        if found:
            listing = "\n".join(f"  {f}: {line[:100]}" for f, line in found[:20])
            raise ReleaseError(f"the student copy would contain solution or hidden-test text; nothing was "
                               f"written. Regenerate the student versions (nbgrader generate_assignment, the "
                               f"chapter build scripts) and try again:\n{listing}")
        tmp.chmod(0o755)
        if dest.exists():
            dest.rmdir()                             # empty, checked above
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write the student copy of the course (no solutions, hidden "
                                                 "tests or grading code) into a new folder.")
    parser.add_argument("dest", help="a new (or empty) folder outside the repository")
    args = parser.parse_args(argv)
    try:
        files = write_release(args.dest)
    except ReleaseError as err:
        print(f"student-release: {err}", file=sys.stderr)
        return 2
    print(f"wrote the student copy of the course ({len(files)} files) to {os.path.abspath(args.dest)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
