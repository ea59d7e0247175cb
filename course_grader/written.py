"""Written answers, graded by hand, one question at a time.

For every written question the grader keeps, in the output folder:

- ``written/<question>.csv``: one row per student, with the columns
  ``student``, ``name``, ``points`` and ``comment``.  The instructor fills in
  ``points`` (a number from 0 to the question's points) and, if they like, a
  ``comment`` for the student.  Rows already there are never overwritten:
  new students are added, the rest is kept as the instructor left it.
- ``written/<question>.html``: the question, the rubric of the instructor
  version and every student's answer, one after another, each with its row's
  current points and comment: what to read while filling in the CSV.

:func:`read_grades` reads the CSV files back, checking every value; a wrong
one stops with a message naming the file, the row and what to write instead.
"""
from __future__ import annotations

import csv
import html
import os
from dataclasses import dataclass
from pathlib import Path

from .submissions import GradingError

FOLDER = "written"
COLUMNS = ["student", "name", "points", "comment"]


@dataclass
class Grade:
    points: float | None
    comment: str


class WrittenGradeError(GradingError):
    """A written grade that cannot be used; the message says where and why."""


def csv_path(out_dir, question):
    return Path(out_dir) / FOLDER / f"{question.grade_id}.csv"


def _read_rows(path):
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ("student", "points") if c not in (reader.fieldnames or [])]
        if missing:
            raise WrittenGradeError(f"{path}: the columns {missing} are missing; the file needs "
                                    f"the header {','.join(COLUMNS)}")
        return list(reader)


def read_grades(out_dir, questions):
    """``{question id: {student: Grade}}`` from the CSV files; empty points are not graded."""
    grades = {}
    for q in questions:
        path = csv_path(out_dir, q)
        found = {}
        for line, row in enumerate(_read_rows(path), start=2):
            student = (row.get("student") or "").strip()
            text = (row.get("points") or "").strip().replace(",", ".")
            comment = (row.get("comment") or "").strip()
            if not student:
                continue
            if student in found:
                raise WrittenGradeError(f"{path}, line {line}: '{student}' has a second row; "
                                        "keep one row per student")
            points = None
            if text:
                try:
                    points = float(text)
                except ValueError:
                    raise WrittenGradeError(
                        f"{path}, line {line}: the points '{text}' for {student} are not a "
                        f"number; write a number from 0 to {q.points:g}, or leave it empty") \
                        from None
                if not 0 <= points <= q.points:
                    raise WrittenGradeError(
                        f"{path}, line {line}: {points:g} points for {student}, but "
                        f"'{q.title}' is worth 0 to {q.points:g}")
            found[student] = Grade(points, comment)
        grades[q.grade_id] = found
    return grades


def update_sheets(out_dir, questions, records):
    """Add a row for every student graded to each question's CSV, keeping what is there."""
    for q in questions:
        path = csv_path(out_dir, q)
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = {r["student"]: r for r in _read_rows(path) if r.get("student")}
        for rec in records:
            row = rows.setdefault(rec.student, {"student": rec.student, "name": rec.name,
                                                "points": "", "comment": ""})
            row["name"] = row.get("name") or rec.name
        write_rows(path, [rows[s] for s in sorted(rows)])


def write_rows(path, rows):
    """Write a question's sheet atomically."""
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({c: r.get(c, "") for c in COLUMNS})
    os.replace(tmp, path)


def write_pages(out_dir, questions, records, grades, render_markdown):
    """One HTML page per question: the question, the rubric and every answer (see above)."""
    for q in questions:
        parts = [f"<h1>{html.escape(q.title)} ({q.points:g} points)</h1>",
                 f"<section class='question'>{render_markdown(q.text)}</section>",
                 "<h2>Rubric and model answer</h2>",
                 f"<section class='rubric'>{render_markdown(q.rubric)}</section>",
                 f"<p>Enter points and comments in <code>{html.escape(q.grade_id)}.csv</code> "
                 "beside this page, then run <code>course-grade rescore</code> on the output "
                 "folder.</p>"]
        given = grades.get(q.grade_id, {})
        for rec in records:
            g = given.get(rec.student)
            status = "not graded yet" if g is None or g.points is None \
                else f"{g.points:g} / {q.points:g}"
            who = html.escape(rec.student + (f" ({rec.name})" if rec.name else ""))
            answer = rec.written_answers.get(q.grade_id, "").strip()
            body = render_markdown(answer) if answer else "<p><em>no answer</em></p>"
            comment = f"<p class='comment'>Comment: {html.escape(g.comment)}</p>" \
                if g and g.comment else ""
            parts.append(f"<article><h3>{who} <span class='pts'>{html.escape(status)}</span>"
                         f"</h3>{body}{comment}</article>")
        page = _page(f"{q.title}: written answers", "\n".join(parts))
        path = Path(out_dir) / FOLDER / f"{q.grade_id}.html"
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, path)


_STYLE = """body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}
article{border-top:1px solid #ccc;padding:.5rem 0}.pts{font-weight:normal;color:#555;float:right}
.rubric{background:#f6f6ee;padding:.2rem 1rem}.comment{color:#245}pre{white-space:pre-wrap}"""
_CSP = ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">")


def _page(title, body):
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>{_CSP}"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body>{body}</body></html>")
