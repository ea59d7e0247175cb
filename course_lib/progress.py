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

from . import i18n
from .i18n import _

RAISES = "raises-exception"
PASSED, FAILS, NOT_WRITTEN = "passed", "fails", "not written yet"


def _said(template, group=None):
    """Patterns that find the sentence ``template`` of course_lib's checks in its translations.

    Each translation's literal text is matched as written, ``{group}`` is captured
    (the shortest run of non-spaces that fits) and every other field matches anything.
    """
    patterns = []
    for language in i18n.LANGUAGES:
        text = i18n.catalog(language).get(template)
        if not text:
            continue
        parts = re.split(r"(\{[^{}]*\})", text)
        patterns.append("".join(
            r"(\S+?)" if part == "{" + str(group) + "}" else ".*?" if part.startswith("{")
            else re.escape(part) for part in parts if part))
    return patterns


_PASS = re.compile("|".join([r"\bpassed \(|^Right\b|:\s*right\b|:\s*True\s*$"]
                            + _said("{check}: passed ({summary})")), re.MULTILINE)
_FAIL = re.compile(r"\bnot yet\b|:\s*False\s*$|^Answer with\b", re.MULTILINE | re.IGNORECASE)
_LABEL = re.compile(r"\*\*((?:Exercise|Question|연습 문제|문제|질문)(?: \d+)?)\.?\*\*"
                    r"|^#+ (?:.*\W)?(Exercise\b|연습 문제)", re.MULTILINE)
_HEADING = re.compile(r"^#+\s+(.+?)\s*$", re.MULTILINE)
_NAME = re.compile(r"^(?:def|class)\s+([A-Za-z_]\w*)|^#?\s*([A-Za-z_]\w*)\s*=", re.MULTILINE)
_UNWRITTEN = [re.compile(p) for p in [r"(\S+) is not written yet"] + _said(
    "{check}: {what} is not written yet (it raises NotImplementedError).", group="what")]
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
            exercises.append(Exercise(title or _("exercise {number}", number=len(exercises) + 1),
                                      pending, index))
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


def _error_message(error, in_check):
    """What to show of an error raised by the check (``in_check``) or by the student's cell."""
    name, message = error
    if name == "KeyboardInterrupt":
        return (_("the check was stopped: it ran longer than a cell may (an endless loop?)")
                if in_check else
                _("your cell was stopped: it ran longer than a cell may (an endless loop?)"))
    if name == "AssertionError" and in_check:
        return _first_lines(message)
    return _first_lines(_("the check raised {error}: {message}", error=name, message=message)
                        if in_check else
                        _("your cell raised {error}: {message}", error=name, message=message))


def judge(exercise_cell, check_cell):
    """``(status, message)`` of one exercise from the outputs of its two cells after a run."""
    error = _error(exercise_cell)
    if error and error[0] == "NotImplementedError":
        return NOT_WRITTEN, ""
    if error:
        return FAILS, _error_message(error, in_check=False)
    if check_cell.get("execution_count") is None and not check_cell.get("outputs"):
        return FAILS, _("the check did not run")
    error = _error(check_cell)
    part = next(filter(None, (p.search(error[1]) for p in _UNWRITTEN)), None) if error else None
    if error and error[0] == "NotImplementedError":
        return NOT_WRITTEN, ""
    if part:
        whole = part.group(1) == defined_name(_source(exercise_cell))
        return NOT_WRITTEN, "" if whole else _("{part} is not written yet", part=part.group(1))
    if error:
        return FAILS, _error_message(error, in_check=True)
    text = _text(check_cell)
    failing = [line for line in text.splitlines() if _FAIL.search(line)]
    if failing:
        return FAILS, _first_lines("\n".join(failing))
    if _PASS.search(text):
        return PASSED, ""
    return FAILS, _first_lines(text) or _("the check printed no verdict: read it in the notebook")


# ---------------------------------------------------------------------------
# Running a chapter
# ---------------------------------------------------------------------------

def chapter_paths(targets):
    """The notebooks named by ``targets``: files, or folders (their ``*.ipynb``, sorted)."""
    paths = []
    for target in map(Path, targets):
        found = sorted(target.glob("*.ipynb")) if target.is_dir() else [target]
        if not found or not all(p.suffix == ".ipynb" and p.is_file() for p in found):
            raise ProgressError(_("{target} is not a notebook (.ipynb) or a folder of notebooks; "
                                  "name a chapter's notebook or its folder, e.g. "
                                  "notebooks/02_im2col.ipynb or notebooks", target=target))
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
        raise ProgressError(_("the kernel stopped while the chapter ran ({error}); the machine "
                              "may be out of memory: close other programs and try again",
                              error=exc)) from None


def run_chapter(path, timeout=300):
    """Run one chapter in quick mode down to its last check; returns its ``ChapterReport``.

    The notebook file is read, never written.  ``timeout``: the seconds a cell may run.
    """
    import nbformat

    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:                      # not JSON, not a notebook
        return ChapterReport(path, path.stem, problem=_(
            "it cannot be read as a notebook ({error}); restore it from a copy of the course",
            error=exc))
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

def status_text(status):
    """A result's status (``PASSED``, ``FAILS``, ``NOT_WRITTEN``) as the report writes it."""
    return {PASSED: _("passed"), FAILS: _("fails"), NOT_WRITTEN: _("not written yet")}[status]


def format_chapter(report):
    """The lines of one chapter: one per exercise, the message of a failing check under it."""
    lines = [f"{report.title}  ({report.path.as_posix()})"]
    if report.problem:
        return lines + ["    " + _("could not be run: {problem}", problem=report.problem)]
    if not report.results:
        return lines + ["    " + _("no exercises with checks in this notebook")]
    width = max(i18n.columns(r.exercise.title) for r in report.results) + 2
    for result in report.results:
        lines.append("    " + i18n.ljust(result.exercise.title, width) + status_text(result.status))
        if result.message:
            lines.append(textwrap.indent(result.message, _INDENT))
    counts = {s: sum(r.status == s for r in report.results) for s in (PASSED, FAILS, NOT_WRITTEN)}
    lines.append("    " + _("{passed} of {total} passed, {failing} failing, {todo} not written yet",
                            passed=counts[PASSED], total=len(report.results),
                            failing=counts[FAILS], todo=counts[NOT_WRITTEN]))
    for first_line, message in report.other_errors:
        lines.append("    " + _("note: the cell that starts with `{line}` (not an exercise) "
                                "stopped with an error; the checks after it may fail because of "
                                "it:", line=first_line))
        lines.append(textwrap.indent(message, _INDENT))
    return lines


def summary(reports):
    """The closing lines: the totals over all chapters and what to do next."""
    pairs = [(report, result) for report in reports for result in report.results]
    passed = sum(result.status == PASSED for _report, result in pairs)
    failing = [(rep, res) for rep, res in pairs if res.status == FAILS]
    todo = [(rep, res) for rep, res in pairs if res.status == NOT_WRITTEN]
    lines = [_("In all: {passed} of {total} exercises pass their checks, {failing} failing, {todo} "
               "not written yet.", passed=passed, total=len(pairs), failing=len(failing),
               todo=len(todo))]
    if failing:
        report, result = failing[0]
        lines.append(_("Next: fix {exercise} in {file} (the check's message is above).",
                       exercise=result.exercise.title, file=report.path.name))
    elif todo:
        report, result = todo[0]
        lines.append(_("Next: {exercise} in {file}.", exercise=result.exercise.title,
                       file=report.path.name))
    elif pairs:
        lines.append(_("Every exercise passes its check. Well done!"))
    lines += [_("{file} could not be run: see above.", file=report.path.name) for report in reports
              if report.problem]
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.progress",
        description=_("Run the chapters in quick mode and report which exercises pass their "
                      "checks."))
    parser.add_argument("chapters", nargs="*", default=["notebooks"],
                        help=_("chapter notebooks, or folders of them (default: notebooks)"))
    parser.add_argument("--timeout", type=int, default=300,
                        help=_("the seconds one cell may run (default 300)"))
    args = parser.parse_args(argv)
    try:
        paths = chapter_paths(args.chapters)
    except ProgressError as err:
        print(f"make check: {err}", file=sys.stderr)
        return 2
    reports = []
    for path in paths:
        print(_("running {path} ...", path=path.as_posix()), file=sys.stderr, flush=True)
        reports.append(run_chapter(path, timeout=args.timeout))
    print("\n" + _("Your chapters, run in quick mode as they are saved (the files are not "
                   "changed):") + "\n")
    for report in reports:
        print("\n".join(format_chapter(report)) + "\n")
    print("\n".join(summary(reports)))
    return 2 if any(report.problem for report in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
