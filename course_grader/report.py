"""``report.md``: what the instructor should look at, most important first.

Flagged submissions and signs of the course's own code come first, then the
remarks about the whole run, the files that were not graded, the roster, and
one section per student with every problem and note.  Everything that came
from a submission (file names, ids, messages quoting it) is escaped.
"""
from __future__ import annotations

import os
from datetime import datetime

from .feedback import md_escape as esc
from .pipeline import TAMPER


def write(path, records, rows, general=(), ignored=(), roster=(), settings=""):
    by_student = {r["student"]: r for r in rows}
    flagged = [r for r in records if r.status == "flagged"]
    evidence = [r for r in records if r.evidence]
    lines = ["# Grading report", "", f"Generated {datetime.now():%Y-%m-%d %H:%M:%S}."
             + (f" Settings: {settings}." if settings else ""), "",
             f"- submissions graded: {len(records)}",
             f"- submissions with problems: {sum(1 for r in records if r.problems)}",
             f"- flagged ({TAMPER}): {len(flagged)}",
             f"- using the course's own code while graded: {len(evidence)}",
             f"- written answers still to grade: "
             f"{sum(1 for r in rows if r.get('needs_manual_grading') == 'yes')}",
             f"- files not graded: {len(ignored)}", ""]
    if flagged:
        lines += ["## Flagged", ""]
        for r in flagged:
            lines += [f"- {esc(r.student)}: {esc(p)}" for p in r.problems if TAMPER in p]
        lines.append("")
    if evidence:
        lines += ["## The course's own code", "",
                  "These submissions called course_lib implementations that are switched off "
                  "while grading (they earn nothing from them); see also similarity.html.", ""]
        for r in evidence:
            lines += [f"- {esc(r.student)}: {esc(e)}" for e in r.evidence]
        lines.append("")
    if general:
        lines += ["## General", ""] + [f"- {g}" for g in general] + [""]
    if roster:
        lines += ["## Roster", ""] + [f"- {esc(g)}" for g in roster] + [""]
    if ignored:
        lines += ["## Files not graded", ""] + [f"- {esc(g)}" for g in ignored] + [""]
    lines += ["## Students", ""]
    for rec in records:
        r = by_student.get(rec.student, {})
        score = f"{r.get('autograded_score', '?')}/{r.get('autograded_max', '?')} autograded"
        if r.get("needs_manual_grading") == "yes":
            score += ", written answers still to grade"
        else:
            score += f", total {r.get('total_score', '?')}/{r.get('total_max', '?')}"
        who = esc(rec.student) + (f" ({esc(rec.name)})" if rec.name else "")
        lines.append(f"### {who} ({rec.status}; {score})")
        lines.append(f"File: {esc(rec.submission)}" + (" (late)" if rec.late else ""))
        lines += [f"- PROBLEM: {esc(p)}" for p in rec.problems]
        lines += [f"- note: {esc(n)}" for n in rec.notes]
        lines += [f"- earlier attempt, not graded: {esc(e)}" for e in rec.earlier_attempts]
        if not rec.problems and not rec.notes:
            lines.append("- no problems")
        lines.append("")
    tmp = path.with_name(path.name + ".part")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, path)
