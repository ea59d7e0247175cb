"""Builds every notebook of the course from its source, in every language.

    python notebooks/build/builder.py [SOURCE ...] [--lang en|ko|all] [--out DIR]
    python notebooks/build/builder.py --update-catalogs

The sources, in this folder, are Python scripts in jupytext's percent format
(``# %%`` starts a code cell, ``# %% [markdown]`` a Markdown cell): the
chapters ``NN_name.py`` and the assignment ``fashion_mnist.py``.  A cell's
header says what it is:

- chapters: ``role="exercise"`` (the student completes it; the solution sits
  between ``### BEGIN SOLUTION`` and ``### END SOLUTION``), ``role="check"``
  (it checks the exercise before it), and ``tags=[...]`` (``nbval-ignore-output``
  for an output that differs from run to run);
- the assignment: ``kind="answer" | "test" | "setup" | "written"`` with its
  ``grade_id`` and, for tests and written answers, ``points`` (nbgrader's cells).

One source gives, for each language (English, and Korean from the catalogs in
``locale/ko/``, see ``i18n.py``):

- a chapter: the student version ``notebooks[/ko]/NN_name.ipynb`` (solutions
  replaced by ``# YOUR CODE HERE``; exercise and check cells tagged
  ``raises-exception``) and, when it has exercises, the worked version
  ``solutions/chapters[/ko]/NN_name.ipynb`` (markers dropped);
- the assignment: the instructor version ``solutions[/ko]/fashion_mnist/`` and,
  through ``nbgrader generate_assignment``, the student version
  ``assignments[/ko]/fashion_mnist/``.

A notebook keeps the outputs of the version already on disk when none of its
code cells changed (a prose fix needs no new run); otherwise it is written
without outputs, to be run in full (``python tools/run_notebooks.py``).  A
translated notebook has the cells, tags and grading metadata of the English
one; its first code cell starts by choosing its language for course_lib's
messages.  ``--update-catalogs`` rewrites each catalog for the current sources, and
course_lib's own (``course_lib/locale/<lang>.po``: every ``_("...")`` and
``say("...")`` of the library); an English text that changed keeps its old
translation, marked fuzzy.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import i18n
import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LANGUAGES = ("en", "ko")
ASSIGNMENT = "fashion_mnist"
RAISES = "raises-exception"       # nbval: this cell is expected to raise (student versions only)
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_BLOCK = re.compile(r"^([ \t]*)### BEGIN SOLUTION[ \t]*\n.*?^[ \t]*### END SOLUTION[ \t]*(\n|$)",
                    re.MULTILINE | re.DOTALL)
_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(\n|$)", re.MULTILINE)
KINDS = {"setup": dict(grade=False, locked=True, solution=False),
         "answer": dict(grade=False, locked=False, solution=True),
         "test": dict(grade=True, locked=True, solution=False),
         "written": dict(grade=True, locked=False, solution=True)}
KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def sources():
    """Every source, chapters first."""
    return sorted(HERE.glob("[0-9][0-9]_*.py")) + [HERE / f"{ASSIGNMENT}.py"]


def read_source(path):
    """The cells of a source: ``[(cell_type, text, metadata)]``."""
    nb = jupytext.read(path, fmt="py:percent")
    return [(c.cell_type, c.source, {k: v for k, v in c.metadata.items()
                                     if k in ("tags", "role", "kind", "grade_id", "points")})
            for c in nb.cells]


def catalog_path(path, lang):
    return HERE / "locale" / lang / f"{path.stem}.po"


def translated(path, lang):
    """The cells of a source in ``lang`` (the English itself for "en")."""
    cells = read_source(path)
    if lang == "en":
        return cells
    table = i18n.read_catalog(catalog_path(path, lang))
    out = []
    for cell_type, text, meta in cells:
        out.append((cell_type, i18n.translate_cell(cell_type, text, table.get), meta))
    first = next(i for i, (t, _, _) in enumerate(out) if t == "code")
    t, text, meta = out[first]
    out[first] = (t, f'import course_lib\ncourse_lib.set_language("{lang}")\n\n{text}', meta)
    return out


# --------------------------------------------------------------------------
# Chapters
# --------------------------------------------------------------------------

def student_source(text):
    """The solution blocks replaced by the student's placeholder."""
    def stub(m):
        indent = m.group(1)
        return f"{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError()" + m.group(2)
    return _BLOCK.sub(stub, text)


def solution_source(text):
    """The solution with its marker lines removed."""
    return _MARKER.sub("", text).rstrip("\n")


def chapter_notebook(cells, version):
    nb_cells = []
    for i, (cell_type, text, meta) in enumerate(cells):
        if cell_type == "markdown":
            cell = nbformat.v4.new_markdown_cell(text)
        else:
            role, tags = meta.get("role"), list(meta.get("tags", []))
            if role == "exercise":
                if BEGIN not in text or END not in text:
                    raise ValueError("an exercise cell needs '### BEGIN SOLUTION' and "
                                     f"'### END SOLUTION' around its solution: {text[:60]!r}")
                text = student_source(text) if version == "student" else solution_source(text)
            if version == "student" and role in ("exercise", "check"):
                tags.append(RAISES)
            cell = nbformat.v4.new_code_cell(text)
            if tags:
                cell.metadata["tags"] = tags
        cell["id"] = f"cell-{i:03d}"
        nb_cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=nb_cells)
    nb.metadata["kernelspec"] = dict(KERNEL)
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def _code_signature(nb):
    return [(c.source, sorted(c.metadata.get("tags", []))) for c in nb.cells
            if c.cell_type == "code"]


def keep_outputs(nb, path, signature=_code_signature):
    """Copy the outputs of the notebook at ``path`` into ``nb`` when every code cell is the
    same; returns True when it did."""
    if not path.exists():
        return False
    old = nbformat.read(path, as_version=4)
    if signature(old) != signature(nb):
        return False
    old_code = [c for c in old.cells if c.cell_type == "code"]
    new_code = [c for c in nb.cells if c.cell_type == "code"]
    if not any(c.outputs for c in old_code):
        return False
    for a, b in zip(old_code, new_code):
        b.outputs, b.execution_count = a.outputs, a.execution_count
    if "widgets" in old.metadata:
        nb.metadata["widgets"] = old.metadata["widgets"]
    return True


def build_chapter(path, lang, out):
    cells = translated(path, lang)
    sub = "" if lang == "en" else f"{lang}/"
    versions = [("student", f"notebooks/{sub}")]
    if any(meta.get("role") == "exercise" for _, _, meta in cells):
        versions.append(("solution", f"solutions/chapters/{sub}"))
    for version, folder in versions:
        target = out / folder / f"{path.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nb = chapter_notebook(cells, version)
        kept = keep_outputs(nb, target)
        nbformat.write(nb, target)
        print(f"wrote {target.relative_to(out)} ({version}"
              + (", outputs kept)" if kept else ", no outputs)"))


# --------------------------------------------------------------------------
# The assignment
# --------------------------------------------------------------------------

def instructor_notebook(cells):
    """The instructor version (no outputs), with nbgrader's metadata."""
    nb_cells, plain = [], 0
    for cell_type, text, meta in cells:
        kind, gid = meta.get("kind"), meta.get("grade_id")
        cell = (nbformat.v4.new_markdown_cell(text) if cell_type == "markdown"
                else nbformat.v4.new_code_cell(text))
        if kind is None:
            if cell_type == "code":
                raise ValueError("every code cell of the assignment needs a kind and a grade_id "
                                 f"(nbgrader restores deleted cells by them): {text[:60]!r}")
            plain += 1
            cell["id"] = f"text-{plain:02d}"
        else:
            if kind not in KINDS or not gid:
                raise ValueError(f"a cell with kind={kind!r} and grade_id={gid!r}; kinds are "
                                 f"{sorted(KINDS)}")
            nbg = dict(KINDS[kind], grade_id=gid, schema_version=3, task=False)
            if nbg["grade"]:
                nbg["points"] = meta.get("points")
            cell.metadata["nbgrader"] = nbg
            cell["id"] = gid
        nb_cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=nb_cells)
    nb.metadata = {"kernelspec": dict(KERNEL), "language_info": {"name": "python"}}
    return nb


def release(solutions, dest):
    """The student version, generated by nbgrader from ``solutions/`` into ``dest``."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force",
               "--no-db", f"--CourseDirectory.root={tmp}",
               f"--CourseDirectory.source_directory={solutions}",
               "--CourseDirectory.release_directory=release",
               "--CourseDirectory.ignore=['trusted_checks.py', '__pycache__', '*_model.npz', "
               "'.ipynb_checkpoints']"]
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=300)
        made = Path(tmp) / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        if proc.returncode != 0 or not made.exists():
            raise RuntimeError(f"nbgrader generate_assignment failed:\n{proc.stdout}{proc.stderr}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(made, dest)


def build_assignment(path, lang, out):
    sub = "" if lang == "en" else f"{lang}/"
    nb = instructor_notebook(translated(path, lang))
    solutions = out / f"solutions/{sub}".rstrip("/")
    target = solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    code = lambda n: [(c.source, c.metadata.get("nbgrader")) for c in n.cells  # noqa: E731
                      if c.cell_type == "code"]
    kept = keep_outputs(nb, target, code)
    nbformat.write(nb, target)
    release(solutions, out / f"assignments/{sub}{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
    print(f"wrote {target.relative_to(out)} ({'outputs kept' if kept else 'no outputs'}) and "
          f"assignments/{sub}{ASSIGNMENT}/{ASSIGNMENT}.ipynb (student version)")


# --------------------------------------------------------------------------
# Catalogs and the command line
# --------------------------------------------------------------------------

def update_catalogs(paths, langs):
    library = ROOT / "course_lib"
    entries = i18n.library_templates(library)
    for lang in langs:
        if lang != "en":
            target = library / "locale" / f"{lang}.po"
            new, fuzzy, dropped = i18n.update_catalog(target, entries, lang, "course_lib")
            print(f"{target.relative_to(ROOT)}: {len(entries)} messages, {new} new, {fuzzy} "
                  f"fuzzy, {dropped} no longer used")
    for path in paths:
        entries = []
        for i, (cell_type, text, _) in enumerate(read_source(path)):
            entries += [(u.text, f"{path.name}:{i + 1}") for u in i18n.units(cell_type, text)]
        for lang in langs:
            if lang == "en":
                continue
            new, fuzzy, dropped = i18n.update_catalog(catalog_path(path, lang), entries, lang,
                                                      f"course {path.stem}")
            print(f"{catalog_path(path, lang).relative_to(ROOT)}: {len(entries)} units, {new} "
                  f"new, {fuzzy} fuzzy, {dropped} no longer used")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", help="source names (default: all), e.g. 02_im2col")
    parser.add_argument("--lang", choices=[*LANGUAGES, "all"], default="all")
    parser.add_argument("--out", type=Path, default=ROOT,
                        help="root folder to write under (default: the repository)")
    parser.add_argument("--update-catalogs", action="store_true",
                        help="rewrite the translation catalogs for the current sources")
    args = parser.parse_args(argv)
    paths = sources()
    if args.sources:
        wanted = {s.removesuffix(".py") for s in args.sources}
        unknown = wanted - {p.stem for p in paths}
        if unknown:
            parser.error(f"no source named {sorted(unknown)}; the sources are "
                         f"{[p.stem for p in paths]}")
        paths = [p for p in paths if p.stem in wanted]
    langs = LANGUAGES if args.lang == "all" else (args.lang,)
    if args.update_catalogs:
        return update_catalogs(paths, langs)
    for path in paths:
        for lang in langs:
            if lang != "en" and not catalog_path(path, lang).exists():
                continue
            if path.stem == ASSIGNMENT:
                build_assignment(path, lang, args.out)
            else:
                build_chapter(path, lang, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
