"""The gradebook: one row per student, from the records and the written grades.

``gradebook.csv`` is never overwritten: an existing one is first renamed
``gradebook.<date-time>.csv``.  A cell a spreadsheet would run as a formula
starts with ``'``.
"""
from __future__ import annotations

import csv
import os
from datetime import datetime

HEAD = ["student", "name", "lms", "lms_user_id", "attempt", "late", "submitted_at", "submission",
        "status", "autograded_score", "autograded_max", "written_score", "written_max",
        "needs_manual_grading", "total_score", "total_max", "problems", "feedback"]


def fmt(x):
    if x is None or x == "":
        return ""
    return f"{float(x):g}"


def csv_safe(text):
    """A cell that spreadsheet programs will not run as a formula."""
    text = "" if text is None else str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def columns(assignment):
    return HEAD + list(assignment.tests) + [q.grade_id for q in assignment.questions]


def row(record, assignment, grades, feedback_exists):
    """The gradebook row of one record; ``grades``: question -> student -> Grade."""
    results = {r["grade_id"]: r for r in record.results}
    out = {"student": record.student, "name": csv_safe(record.name), "lms": record.lms,
           "lms_user_id": csv_safe(record.lms_user_id or ""), "attempt": record.attempt,
           "late": {True: "yes", False: "no"}.get(record.late, ""),
           "submitted_at": record.submitted_at or "", "submission": csv_safe(record.submission),
           "status": record.status, "problems": len(record.problems)}
    auto = 0.0
    for gid in assignment.tests:
        r = results.get(gid)
        out[gid] = fmt(r["points"]) if r else "0"
        auto += float(r["points"]) if r else 0.0
    written, pending = 0.0, False
    for q in assignment.questions:
        g = grades.get(q.grade_id, {}).get(record.student)
        if g is None or g.points is None:
            out[q.grade_id], pending = "", True
        else:
            out[q.grade_id] = fmt(g.points)
            written += g.points
    out.update({
        "autograded_score": fmt(auto), "autograded_max": fmt(assignment.max_autograded),
        "written_score": "" if pending and written == 0 else fmt(written),
        "written_max": fmt(assignment.max_written),
        "needs_manual_grading": "yes" if pending else "no",
        "total_score": fmt(auto + written),
        "total_max": fmt(assignment.max_autograded + assignment.max_written),
        "feedback": f"feedback/{record.student}.html" if feedback_exists else "",
    })
    return out


def write(path, rows, cols):
    """Write the CSV; an existing file is first kept as ``gradebook.<timestamp>.csv``."""
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    backup = None
    if path.exists():
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = path.with_name(f"{path.stem}.{stamp}{path.suffix}")
        n = 1
        while backup.exists():
            n += 1
            backup = path.with_name(f"{path.stem}.{stamp}-{n}{path.suffix}")
        path.rename(backup)
    os.replace(tmp, path)
    return backup


def read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
