"""Write the student copy of the course: everything a student needs, no answers.

    python tools/student_release.py DEST [--lang en|ko]
    make student-release DEST=... [RELEASE_LANG=en|ko]

The repository holds the instructor's material next to the course: worked
solutions (``solutions/``), the assignment's hidden tests and model answers,
the grader.  Students get a copy that stands alone without them.  This
writes, into the new folder DEST (outside the repository):

- ``notebooks/*.ipynb``: the chapters' student versions;
- ``assignments/``: the assignment's student version (made by nbgrader);
- ``course_lib/`` with its trained weights, except the grading code;
- from ``tools/release/``: the edition's ``README.md`` (written for students:
  installing, running, the checks, the data, what to hand in, where to get
  help), the ``Makefile`` (``make lab``, ``make check``, ``make clean``) and
  ``.gitignore``;
- ``pyproject.toml`` and ``environment.yml``, written for students from the
  repository's ``pyproject.toml``: the course's own dependencies and those of
  ``make check`` (``course_lib.progress``); no extras, no ``course-grade``
  command, no ``course_grader`` package.

Not copied: ``solutions/``, the grader (``course_grader/``,
``course_lib/grading.py``), ``nbgrader_config.py``, the chapter build
scripts (they hold the chapters' solutions), tests, tools, benchmarks, the
documents and anything git does not track.  Only files committed to git (as
they are in the working tree) are considered.

``--lang`` picks the edition (``EDITIONS``): its README and the folders of the
repository its chapters and assignments come from; the copy always holds them
in ``notebooks/`` and ``assignments/``.  ``en`` takes ``notebooks/`` and
``assignments/``; ``ko`` takes the Korean student versions that
``notebooks/build/builder.py`` writes into ``notebooks/ko/`` and
``assignments/ko/``, with ``tools/release/ko/README.md``.  Another language
needs its README there, its student notebooks, and an entry in ``EDITIONS``.

Before the copy is put in place it is checked: no file may contain a line of
an instructor version's solution or hidden tests (the blocks between
``BEGIN SOLUTION`` / ``END SOLUTION`` and ``BEGIN HIDDEN TESTS`` /
``END HIDDEN TESTS`` in ``solutions/``), nor one of those markers; every
relative link of the README must lead to a file of the copy, and the README
must not name what stays behind (``INSTRUCTOR_ONLY``).  The copy is built in
a temporary folder beside DEST and renamed to DEST only when it is complete
and checked, so a failed run leaves nothing half-written.  DEST must not
exist, or be an empty folder; it must lie outside the repository.
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
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = Path(__file__).resolve().parent / "release"   # the files only the student copy holds


@dataclass(frozen=True)
class Edition:
    """One language of the student copy: its README (in TEMPLATES) and where its notebooks are."""
    readme: str
    chapters: str        # folder of the repository with the chapters' student versions
    assignments: str     # folder with one folder per assignment (student versions)


EDITIONS = {"en": Edition("en/README.md", "notebooks", "assignments"),
            "ko": Edition("ko/README.md", "notebooks/ko", "assignments/ko")}

# Files of the course that go to students as they are (relative to the repository root; a "*"
# stays inside one folder); the chapters and assignments come from the edition.
LIBRARY = ["LICENSE*", "course_lib/*.py", "course_lib/*/*.py", "course_lib/weights/*.npz"]
# Never released, even when a pattern above matches ("*" may cross folders here).
EXCLUDE = ["course_lib/grading.py", "course_lib/grading/*", "course_grader/*", "solutions/*",
           "nbgrader_config.py", "notebooks/build/*", "tests/*", "tools/*", "*.db",
           "*trusted_checks*",
           "assignments/*_model.npz"]     # a trained model would earn the accuracy points
# Written from TEMPLATES: {name in the copy: template}; the README comes from the edition.
TEMPLATE_FILES = {"Makefile": "Makefile", ".gitignore": "gitignore"}
CONDA_ENV = "cnn-course"                  # the READMEs say: conda activate cnn-course
# What make check needs besides the course's own dependencies (JupyterLab brings them too).
CHECK_DEPENDENCIES = ["nbclient>=0.7", "nbformat>=5.9"]
# What a student README must not name: none of it is in the copy.
INSTRUCTOR_ONLY = ["solutions/", "docs/", "tools/", "benchmarks/", "tests/", "course-grade",
                   "course_grader", "nbgrader_config", "make test", "make benchmark"]

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
_BLOCK = re.compile(r"^[ \t]*#*[ \t]*BEGIN (SOLUTION|HIDDEN TESTS)[^\n]*\n(.*?)"
                    r"^[ \t]*#*[ \t]*END \1", re.MULTILINE | re.DOTALL)
MIN_LINE = 12  # shorter lines ("return out", "else:") are too common to reveal anything
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class ReleaseError(Exception):
    """The release cannot be written; the message says why and what to do."""


# ---------------------------------------------------------------------------
# Which files
# ---------------------------------------------------------------------------

def _matches(path, patterns):
    """Whether ``path`` matches one of the patterns, "*" crossing folders."""
    return any(fnmatch.fnmatch(path, p) for p in patterns)


def _matches_in_folder(path, pattern):
    """Whether ``path`` matches ``pattern`` folder by folder ("notebooks/*.ipynb": no subfolder)."""
    parts, wanted = path.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(fnmatch.fnmatch(a, b) for a, b in zip(parts, wanted))


def tracked_files(root=ROOT):
    """Paths (relative, with '/') that git tracks and that still exist in the working tree."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        raise ReleaseError(f"cannot list the repository's files with git ({err}); run this from "
                           f"a git checkout of the course") from None
    return sorted(p for p in out.decode("utf-8").split("\0") if p and (root / p).is_file())


def edition_for(lang):
    """The ``Edition`` of a language code; a clear error for one that does not exist."""
    if lang not in EDITIONS:
        raise ReleaseError(f"there is no {lang!r} edition of the course (editions: "
                           f"{', '.join(sorted(EDITIONS))}). A new one needs its README in "
                           f"tools/release/{lang}/README.md, its student notebooks, and an entry "
                           f"in EDITIONS in tools/student_release.py; nothing was written")
    return EDITIONS[lang]


def release_files(root=ROOT, lang="en"):
    """``{path in the student copy: path in the repository}`` of the files copied as they are."""
    edition = edition_for(lang)
    # (folder of the repository, pattern inside it, folder of the copy)
    sources = [(edition.chapters, "*.ipynb", "notebooks"),
               (edition.assignments, "*/*", "assignments")]
    files = {}
    for rel in tracked_files(root):
        if _matches(rel, EXCLUDE):
            continue
        if any(_matches_in_folder(rel, pattern) for pattern in LIBRARY):
            files[rel] = rel
        for folder, pattern, target in sources:
            if _matches_in_folder(rel, f"{folder}/{pattern}"):
                files[f"{target}/{rel[len(folder) + 1:]}"] = rel
    return dict(sorted(files.items()))


# ---------------------------------------------------------------------------
# No solution may leak
# ---------------------------------------------------------------------------

def _source_texts(path):
    """The text of each cell of a notebook, or the whole file for anything else."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix != ".ipynb":
        return [text]
    try:
        nb = json.loads(text)
    except json.JSONDecodeError:
        return [text]
    return ["".join(c.get("source", "")) if isinstance(c.get("source"), list)
            else c.get("source", "") for c in nb.get("cells", [])]


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


# ---------------------------------------------------------------------------
# The files written for students
# ---------------------------------------------------------------------------

def _pyproject(root):
    try:
        data = tomllib.loads((Path(root) / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ReleaseError(f"cannot read {root}/pyproject.toml ({err}); is {root} the course "
                           f"repository?") from None
    if not isinstance(data.get("project"), dict) or "name" not in data["project"]:
        raise ReleaseError(f"{root}/pyproject.toml has no [project] table with a name; is {root} "
                           f"the course repository?")
    return data


def _requirement_name(requirement):
    name = re.split(r"[\s<>=!~;\[(]", requirement.strip(), maxsplit=1)[0]
    return name.lower().replace("_", "-")


def student_dependencies(root=ROOT):
    """The course's own dependencies, then those of ``make check`` that the course lacks."""
    dependencies = list(_pyproject(root)["project"].get("dependencies", []))
    names = {_requirement_name(d) for d in dependencies}
    return dependencies + [d for d in CHECK_DEPENDENCIES if _requirement_name(d) not in names]


def _toml(value):
    """A TOML value: a string (JSON's escapes are TOML's) or a list of them."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return "[" + ", ".join(_toml(v) for v in value) + "]"


def student_pyproject(root=ROOT):
    """The copy's pyproject.toml: the package course_lib and its dependencies, nothing more."""
    data = _pyproject(root)
    project, build = data["project"], data.get("build-system", {})
    lines = ["[build-system]",
             f"requires = {_toml(build.get('requires', ['setuptools>=77']))}",
             f"build-backend = {_toml(build.get('build-backend', 'setuptools.build_meta'))}",
             "", "[project]"]
    lines += [f"{key} = {_toml(str(project[key]))}" for key in ("name", "version", "description")
              if key in project]
    lines.append('readme = "README.md"')
    lines += [f"{key} = {_toml(project[key])}" for key in ("requires-python", "license")
              if isinstance(project.get(key), str)]
    lines += ["dependencies = ["] + [f"    {_toml(d)}," for d in student_dependencies(root)] + ["]"]
    lines += ["", "[tool.setuptools.packages.find]", 'include = ["course_lib*"]']
    setuptools = data.get("tool", {}).get("setuptools", {})
    package_data = setuptools.get("package-data", {}).get("course_lib")
    if package_data:
        lines += ["", "[tool.setuptools.package-data]", f'"course_lib" = {_toml(package_data)}']
    return "\n".join(lines) + "\n"


def student_environment(root=ROOT):
    """The copy's environment.yml: the dependencies of its pyproject.toml, for conda."""
    python = _pyproject(root)["project"].get("requires-python", ">=3.11")
    lines = [f"# conda env create -f environment.yml && conda activate {CONDA_ENV}",
             "# The same dependencies as pyproject.toml.",
             f"name: {CONDA_ENV}", "channels:", "  - conda-forge", "dependencies:",
             f"  - python{python}", "  - pip"]
    lines += [f"  - {d.split(';')[0].strip()}" for d in student_dependencies(root)]
    lines += ["  - pip:", "      - -e ."]
    return "\n".join(lines) + "\n"


def readme_problems(folder):
    """What is wrong with a copy's README: links that lead nowhere, names of what stays behind."""
    folder = Path(folder).resolve()
    text = (folder / "README.md").read_text(encoding="utf-8")
    problems = []
    for target in _LINK.findall(text):
        if _SCHEME.match(target) or target.startswith("#"):
            continue                                   # a web address, or a place in the README
        path = (folder / target.split("#")[0]).resolve()
        if not path.exists() or folder not in (path, *path.parents):
            problems.append(f"the link to {target} leads to no file of the student copy")
    problems += [f"it names {name!r}, which is not in the student copy"
                 for name in INSTRUCTOR_ONLY if name in text]
    return problems


# ---------------------------------------------------------------------------
# Writing the copy
# ---------------------------------------------------------------------------

def _check_dest(dest, root):
    dest = Path(os.path.abspath(dest))
    root = root.resolve()
    real = dest.resolve()
    if real == root or root in real.parents:
        raise ReleaseError(f"{dest} lies inside the repository {root}; choose a folder outside it "
                           f"(the student copy must not end up in the instructor's repository), "
                           f"e.g. ../course-student")
    if real in root.parents:
        raise ReleaseError(f"{dest} contains the repository {root}; choose a new folder for the "
                           f"student copy")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ReleaseError(f"{dest} already exists and is not an empty folder; remove it or choose "
                           f"a new name (nothing was written)")
    if not dest.parent.is_dir():
        raise ReleaseError(f"the folder {dest.parent} does not exist; create it first (nothing was "
                           f"written)")
    return dest


def _write_files(tmp, root, lang):
    """Copy and write every file of the student copy into ``tmp``; returns their paths there."""
    files = release_files(root, lang)
    for rel, source in files.items():
        target = tmp / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / source, target)
    for rel, template in {"README.md": edition_for(lang).readme, **TEMPLATE_FILES}.items():
        if not (TEMPLATES / template).is_file():
            raise ReleaseError(f"{TEMPLATES / template} is missing: the {lang!r} edition needs it "
                               f"(nothing was written)")
        shutil.copyfile(TEMPLATES / template, tmp / rel)
    (tmp / "pyproject.toml").write_text(student_pyproject(root), encoding="utf-8")
    (tmp / "environment.yml").write_text(student_environment(root), encoding="utf-8")
    return sorted([*files, "README.md", *TEMPLATE_FILES, "pyproject.toml", "environment.yml"])


def _check_copy(tmp, root, written, lang):
    """Refuse a copy that leaks solution text or whose README does not fit it."""
    library = [tmp / rel for rel in written
               if rel.startswith("course_lib/") and rel.endswith(".py")]
    found = leaks(tmp, secret_lines(root, public=library))
    if found:
        listing = "\n".join(f"  {f}: {line[:100]}" for f, line in found[:20])
        raise ReleaseError(f"the student copy would contain solution or hidden-test text; nothing "
                           f"was written. Regenerate the student versions (nbgrader "
                           f"generate_assignment, the chapter build scripts) and try again:\n"
                           f"{listing}")
    problems = readme_problems(tmp)
    if problems:
        raise ReleaseError(f"the student README ({TEMPLATES / edition_for(lang).readme}) does not "
                           f"fit the student copy; nothing was written. Fix it and try again:\n  "
                           + "\n  ".join(problems))


def _check_edition(files, lang):
    """Refuse an edition none of whose notebooks git tracks (not built, or not committed)."""
    edition = edition_for(lang)
    if not any(rel.startswith(("notebooks/", "assignments/")) and rel.endswith(".ipynb")
               for rel in files):
        raise ReleaseError(f"the {lang!r} edition has no student notebooks in {edition.chapters}/ "
                           f"or {edition.assignments}/ among the files git tracks; build them "
                           f"(python notebooks/build/builder.py --lang {lang}) and commit them; "
                           f"nothing was written")


def write_release(dest, root=ROOT, lang="en"):
    """Write the student copy (edition ``lang``) into the new folder ``dest``; returns its files."""
    root = Path(root)
    edition_for(lang)
    dest = _check_dest(dest, root)
    files = release_files(root, lang)
    if "course_lib/__init__.py" not in files:
        raise ReleaseError(f"course_lib/__init__.py is missing from the repository's tracked "
                           f"files; is {root} the course repository?")
    _check_edition(files, lang)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        written = _write_files(tmp, root, lang)
        _check_copy(tmp, root, written, lang)
        tmp.chmod(0o755)
        if dest.exists():
            dest.rmdir()                             # empty, checked above
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write the student copy of the course (no "
                                                 "solutions, hidden tests or grading code) into "
                                                 "a new folder.")
    parser.add_argument("dest", help="a new (or empty) folder outside the repository")
    parser.add_argument("--lang", default="en", help=f"the edition (default en; there are: "
                                                     f"{', '.join(sorted(EDITIONS))})")
    args = parser.parse_args(argv)
    try:
        files = write_release(args.dest, lang=args.lang)
    except ReleaseError as err:
        print(f"student-release: {err}", file=sys.stderr)
        return 2
    print(f"wrote the student copy of the course ({args.lang}, {len(files)} files) to "
          f"{os.path.abspath(args.dest)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
