"""Every file of the output folder, made from the records and the written grades.

:func:`publish` runs after grading, after ``course-grade rescore`` (written
grades entered) and after ``course-grade merge``: it never executes a
notebook.  It writes ``gradebook.csv``, ``feedback/<student>.html``,
``written/<question>.csv`` and ``.html``, ``similarity.html`` and
``report.md``.
"""
from __future__ import annotations

from pathlib import Path

from . import feedback, gradebook, record, report, written
from .feedback_markup import markdown_to_html


def _render_markdown(text):
    return markdown_to_html(text)


def student_notes(rec):
    """What the student's page says besides the scores (each note once)."""
    seen, notes = set(), []
    for n in rec.student_notes:
        if n not in seen:
            seen.add(n)
            notes.append(n)
    if rec.late:
        notes.append("This submission was handed in late.")
    return notes


def write_feedback(out_dir, assignment, rec, grades):
    """The student's page: scores first, then the graded notebook."""
    target = Path(out_dir) / "feedback" / f"{rec.student}.html"
    nb = record.executed_notebook(out_dir, rec.student)
    if nb is None:
        import nbformat.v4 as v4
        nb = v4.new_notebook()
    parts = [feedback.PartScore(r.grade_id, r.title or r.grade_id, r.points, r.max_points,
                                r.message) for r in rec.result_objects()]
    marks = []
    for q in assignment.questions:
        g = grades.get(q.grade_id, {}).get(rec.student)
        marks.append(feedback.WrittenScore(q.grade_id, q.title, None if g is None else g.points,
                                           q.points, "" if g is None else g.comment))
    who = rec.name or rec.student
    try:
        edition = assignment.editions.get(rec.language) or assignment.editions["en"]
        feedback.write_page(target, who, edition.title, parts, marks, student_notes(rec), nb)
    except Exception as exc:  # a page that cannot be made is reported
        rec.problems.append(f"no feedback page could be generated ({type(exc).__name__}: {exc})")
        target.unlink(missing_ok=True)
        return False
    return True


def publish(out_dir, assignment, general=(), ignored=(), roster=(), settings="", log=print,
            similarity=True):
    """Write the gradebook, the pages and the report from every record in ``out_dir``."""
    out_dir = Path(out_dir)
    records = record.load_all(out_dir)
    (out_dir / "feedback").mkdir(exist_ok=True)
    written.update_sheets(out_dir, assignment.questions, records)
    grades = written.read_grades(out_dir, assignment.questions)
    known = {r.student for r in records}
    general = list(general)
    for qid, by_student in grades.items():
        unknown = sorted(set(by_student) - known)
        if unknown:
            general.append(f"written/{qid}.csv has grades for students with no record here: "
                           f"{', '.join(unknown[:10])}")
    rows = []
    for rec in records:
        made = write_feedback(out_dir, assignment, rec, grades)
        rows.append(gradebook.row(rec, assignment, grades, made))
    written.write_pages(out_dir, assignment.questions, records, grades, _render_markdown)
    backup = gradebook.write(out_dir / "gradebook.csv", rows, gradebook.columns(assignment))
    if backup is not None:
        general.append(f"the previous gradebook.csv was kept as {backup.name}")
    if similarity:
        general += _similarity(out_dir, assignment, records)
    report.write(out_dir / "report.md", records, rows, general, ignored, roster, settings)
    log(f"done: {out_dir / 'gradebook.csv'}, {out_dir / 'report.md'}, {out_dir / 'feedback'}/")
    return records, rows


def _similarity(out_dir, assignment, records):
    """``similarity.html``: unusually similar answers, and answers matching the course's code."""
    from . import similarity
    chapters = sorted((assignment.source_dir / "chapters").glob("*.ipynb"))
    result = similarity.compare({r.student: r.code_answers for r in records},
                                references=similarity.course_references(chapters),
                                boilerplate=similarity.given_code(assignment.release_nb),
                                evidence={r.student: r.evidence for r in records if r.evidence})
    similarity.write_report(out_dir / "similarity.html", result)
    return [f"similarity.html: {len(result.flagged_pairs())} unusually similar pair(s) of answers, "
            f"{len(result.findings())} student(s) whose answers match the course's own "
            "code or use it (the report ranks; you decide)"]
