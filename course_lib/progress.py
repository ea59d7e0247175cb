"""Which chapter exercises pass their checks: the report behind ``make check``.

    python -m course_lib.progress [CHAPTER.ipynb | FOLDER ...]     (default: notebooks/)

Every exercise of a chapter is a pair of code cells tagged ``raises-exception``:
the cell you complete (``# YOUR CODE HERE``), then the cell that checks it.
This module runs each chapter in quick mode (``COURSE_LIB_QUICK=1``) in a fresh
kernel, from its first cell down to its last check (nothing after that can
change a check), in the notebook's own folder, without writing anything into
the notebook file.  Then it reads what each check cell showed:

* **passed**: the check ran without an error and printed its verdict
  (``check_...: passed (...)``, ``Right: ...``, ``...: right``, ``...: True``);
* **fails**: the check raised an error (its message is shown), or printed a
  verdict such as ``Not yet: ...`` or ``...: False``;
* **not written yet**: your cell still raises ``NotImplementedError``, or the
  check says that a part of it (``backward``, say) is not written yet.

Errors in the other cells (a cell changed by mistake, data that could not be
downloaded) are listed too, since the checks after them may fail because of
them.  The report is plain text.  The exit status is 0 when every chapter
could be run, whatever the checks say, and 2 when one could not be run.
"""
import argparse
import ast
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

RAISES = "raises-exception"
PASSED, FAILS, NOT_WRITTEN = "passed", "fails", "not written yet"

_PASS = re.compile(r"\bpassed \(|^Right\b|:\s*right\b|:\s*True\s*$", re.MULTILINE)
_FAIL = re.compile(r"\bnot yet\b|:\s*False\s*$|^Answer with\b", re.MULTILINE | re.IGNORECASE)
_LABEL = re.compile(r"\*\*((?:Exercise|Question)(?: \d+)?)\.?\*\*|^#+ (?:.*\W)?(Exercise)\b",
                    re.MULTILINE)
_HEADING = re.compile(r"^#+\s+(.+?)\s*$", re.MULTILINE)
_NAME = re.compile(r"^(?:def|class)\s+([A-Za-z_]\w*)|^#?\s*([A-Za-z_]\w*)\s*=", re.MULTILINE)
_UNWRITTEN = re.compile(r"(\S+) is not written yet")
_INDENT = " " * 8
_MESSAGE_LINES = 8


class ProgressError(Exception):
    """A chapter could not be found or run; the message says why and what to do."""


@dataclass
class Exercise:
    """One exercise: the indices of the cell the student completes and of its check."""
    title: str
    cell: int
    check: int


@dataclass
class Result:
    """What the check of one exercise showed: a status and, unless it passed, a message."""
    exercise: Exercise
    status: str
    message: str = ""


@dataclass
class ChapterReport:
    """The results of one chapter; ``problem``: why it could not be run, if it could not."""
    path: Path
    title: str
    results: list = field(default_factory=list)
    other_errors: list = field(default_factory=list)     # (first line of the cell, message)
    problem: str = ""


# ---------------------------------------------------------------------------
# Finding the exercises
# ---------------------------------------------------------------------------

def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def defined_name(source):
    """The first function, class or variable a cell defines ('' when there is none)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        body = []
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return node.name
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            return node.targets[0].id
    match = _NAME.search(source)      # code that does not parse, or "# answer_1 = your answer"
    return next((g for g in match.groups() if g), "") if match else ""


def notebook_title(nb, path):
    """The first heading of the notebook, else its file name."""
    for cell in nb.cells:
        match = _HEADING.search(_source(cell)) if cell.cell_type == "markdown" else None
        if match:
            return match.group(1)
    return Path(path).stem


def find_exercises(nb):
    """The exercises of a notebook, in order.

    Code cells tagged ``raises-exception`` come in pairs: the cell the student
    completes, then its check.  The title is the name the cell defines, with
    the label of the Markdown above it when there is one:
    "conv_output_size (Exercise 1)", "answer_2 (Question 2)", "shift (Exercise)".
    """
    exercises, pending, label = [], None, ""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            labels = ["".join(groups) for groups in _LABEL.findall(_source(cell))]
            label = labels[-1] if labels else label
        elif cell.cell_type == "code" and RAISES in _tags(cell):
            if pending is None:
                pending = index
                continue
            name = defined_name(_source(nb.cells[pending]))
            title = f"{name} ({label})" if name and label else name or label
            exercises.append(Exercise(title or f"exercise {len(exercises) + 1}", pending, index))
            pending, label = None, ""
    return exercises


# ---------------------------------------------------------------------------
# Judging the outputs
# ---------------------------------------------------------------------------

def _error(cell):
    """``(name, message)`` of the error a cell raised, or None."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename", "Error"), output.get("evalue", "")
    return None


def _text(cell):
    """What a cell printed or displayed as text."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            parts.append(_source({"source": output.get("text", "")}))
        elif output.get("output_type") in ("execute_result", "display_data"):
            parts.append(_source({"source": output.get("data", {}).get("text/plain", "")}))
    return "".join(parts)


def _first_lines(text, count=_MESSAGE_LINES):
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    return "\n".join(lines[:count] + (["..."] if len(lines) > count else []))


def _error_message(error, whose):
    name, message = error
    if name == "KeyboardInterrupt":
        return f"{whose} was stopped: it ran longer than a cell may (an endless loop?)"
    if name == "AssertionError" and whose == "the check":
        return _first_lines(message)
    return _first_lines(f"{whose} raised {name}: {message}")


def judge(exercise_cell, check_cell):
    """``(status, message)`` of one exercise from the outputs of its two cells after a run."""
    error = _error(exercise_cell)
    if error and error[0] == "NotImplementedError":
        return NOT_WRITTEN, ""
    if error:
        return FAILS, _error_message(error, "your cell")
    if check_cell.get("execution_count") is None and not check_cell.get("outputs"):
        return FAILS, "the check did not run"
    error = _error(check_cell)
    part = _UNWRITTEN.search(error[1]) if error else None
    if error and error[0] == "NotImplementedError":
        return NOT_WRITTEN, ""
    if part:
        whole = part.group(1) == defined_name(_source(exercise_cell))
        return NOT_WRITTEN, "" if whole else f"{part.group(1)} is not written yet"
    if error:
        return FAILS, _error_message(error, "the check")
    text = _text(check_cell)
    failing = [line for line in text.splitlines() if _FAIL.search(line)]
    if failing:
        return FAILS, _first_lines("\n".join(failing))
    if _PASS.search(text):
        return PASSED, ""
    return FAILS, _first_lines(text) or "the check printed no verdict: read it in the notebook"


# ---------------------------------------------------------------------------
# Running a chapter
# ---------------------------------------------------------------------------

def chapter_paths(targets):
    """The notebooks named by ``targets``: files, or folders (their ``*.ipynb``, sorted)."""
    paths = []
    for target in map(Path, targets):
        found = sorted(target.glob("*.ipynb")) if target.is_dir() else [target]
        if not found or not all(p.suffix == ".ipynb" and p.is_file() for p in found):
            raise ProgressError(f"{target} is not a notebook (.ipynb) or a folder of notebooks; "
                                f"name a chapter's notebook or its folder, e.g. "
                                f"notebooks/02_im2col.ipynb or notebooks")
        paths += found
    return paths


def _execute(nb, folder, timeout):
    """Run the cells of ``nb`` in quick mode in a fresh kernel in ``folder``, errors and all."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    client = NotebookClient(nb, timeout=timeout, interrupt_on_timeout=True, allow_errors=True,
                            kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    try:
        client.execute(stderr=subprocess.DEVNULL, env={**os.environ, "COURSE_LIB_QUICK": "1"})
    except DeadKernelError as exc:
        raise ProgressError(f"the kernel stopped while the chapter ran ({exc}); the machine may "
                            f"be out of memory: close other programs and try again") from None


def run_chapter(path, timeout=300):
    """Run one chapter in quick mode down to its last check; returns its ``ChapterReport``.

    The notebook file is read, never written.  ``timeout``: the seconds a cell may run.
    """
    import nbformat

    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:                      # not JSON, not a notebook
        return ChapterReport(path, path.stem, problem=f"it cannot be read as a notebook ({exc}); "
                             f"restore it from a copy of the course")
    report = ChapterReport(path, notebook_title(nb, path))
    exercises = find_exercises(nb)
    if not exercises:
        return report
    nb.cells = nb.cells[:exercises[-1].check + 1]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    try:
        _execute(nb, path.resolve().parent, timeout)
    except ProgressError as err:
        report.problem = str(err)
        return report
    report.results = [Result(e, *judge(nb.cells[e.cell], nb.cells[e.check])) for e in exercises]
    exercise_cells = {i for e in exercises for i in (e.cell, e.check)}
    for index, cell in enumerate(nb.cells):
        error = _error(cell) if index not in exercise_cells else None
        if error:
            first = next((line for line in _source(cell).splitlines() if line.strip()), "")
            report.other_errors.append((first[:60], _first_lines(f"{error[0]}: {error[1]}", 3)))
    return report


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------

def format_chapter(report):
    """The lines of one chapter: one per exercise, the message of a failing check under it."""
    lines = [f"{report.title}  ({report.path.as_posix()})"]
    if report.problem:
        return lines + [f"    could not be run: {report.problem}"]
    if not report.results:
        return lines + ["    no exercises with checks in this notebook"]
    width = max(len(r.exercise.title) for r in report.results) + 2
    for result in report.results:
        lines.append(f"    {result.exercise.title:<{width}}{result.status}")
        if result.message:
            lines.append(textwrap.indent(result.message, _INDENT))
    counts = {s: sum(r.status == s for r in report.results) for s in (PASSED, FAILS, NOT_WRITTEN)}
    lines.append(f"    {counts[PASSED]} of {len(report.results)} passed, {counts[FAILS]} failing, "
                 f"{counts[NOT_WRITTEN]} not written yet")
    for first_line, message in report.other_errors:
        lines.append(f"    note: the cell that starts with `{first_line}` (not an exercise) "
                     f"stopped with an error; the checks after it may fail because of it:")
        lines.append(textwrap.indent(message, _INDENT))
    return lines


def summary(reports):
    """The closing lines: the totals over all chapters and what to do next."""
    pairs = [(report, result) for report in reports for result in report.results]
    passed = sum(result.status == PASSED for _, result in pairs)
    failing = [(rep, res) for rep, res in pairs if res.status == FAILS]
    todo = [(rep, res) for rep, res in pairs if res.status == NOT_WRITTEN]
    lines = [f"In all: {passed} of {len(pairs)} exercises pass their checks, {len(failing)} "
             f"failing, {len(todo)} not written yet."]
    if failing:
        report, result = failing[0]
        lines.append(f"Next: fix {result.exercise.title} in {report.path.name} (the check's "
                     f"message is above).")
    elif todo:
        report, result = todo[0]
        lines.append(f"Next: {result.exercise.title} in {report.path.name}.")
    elif pairs:
        lines.append("Every exercise passes its check. Well done!")
    lines += [f"{report.path.name} could not be run: see above." for report in reports
              if report.problem]
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.progress",
        description="Run the chapters in quick mode and report which exercises pass their checks.")
    parser.add_argument("chapters", nargs="*", default=["notebooks"],
                        help="chapter notebooks, or folders of them (default: notebooks)")
    parser.add_argument("--timeout", type=int, default=300,
                        help="the seconds one cell may run (default 300)")
    args = parser.parse_args(argv)
    try:
        paths = chapter_paths(args.chapters)
    except ProgressError as err:
        print(f"make check: {err}", file=sys.stderr)
        return 2
    reports = []
    for path in paths:
        print(f"running {path.as_posix()} ...", file=sys.stderr, flush=True)
        reports.append(run_chapter(path, timeout=args.timeout))
    print("\nYour chapters, run in quick mode as they are saved (the files are not changed):\n")
    for report in reports:
        print("\n".join(format_chapter(report)) + "\n")
    print("\n".join(summary(reports)))
    return 2 if any(report.problem for report in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
