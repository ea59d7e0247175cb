"""Grades back to the learning-management system: the files Canvas and Moodle import.

:func:`export` turns gradebook rows into

- ``canvas``: Canvas's gradebook import CSV.  Header ``Student, ID, SIS User ID,
  SIS Login ID, Section, <assignment title> (<assignment id>)``, then a
  ``Points Possible`` row, then one row per student.  Canvas finds the student
  by ``ID`` (the Canvas user id), else by SIS user or login id, else by name;
  the assignment by the id in parentheses, else by its title (an unknown title
  creates a new assignment).  Students left out keep their grades.
- ``moodle``: Moodle's assignment grading worksheet (offline grading), ``Identifier,
  Full name, Email address, Status, Grade, Maximum Grade, Grade can be changed,
  Last modified (submission), Last modified (grade), Feedback comments``.  Moodle
  reads ``Identifier`` (``Participant <id>``), ``Grade``, ``Last modified
  (grade)`` (with PHP's ``strtotime``: written here in ISO 8601 with the UTC
  offset, the time of the export) and the feedback column; it skips a row whose
  grade was changed in Moodle after that time, and a grade above the
  assignment's maximum.
- ``csv``: ``student, name, score, max, late, penalty, final`` for anything else.

Scores are scaled to the LMS assignment's points (``score = total_score /
total_max * points_possible``), a late penalty is deducted when a policy is
given (:func:`parse_late_penalty`), and the result is rounded to 2 decimals.
Nothing is exported while written answers wait for grading, unless asked; the
file is written atomically and an existing one is kept as
``<name>.<date>-<time>.<ext>``.

Rows are dicts as in ``gradebook.csv`` (values may be strings): ``student,
name, lms, lms_user_id, attempt, late, submitted_at, status, total_score,
total_max, needs_manual_grading`` and optionally ``comments`` (sent as Moodle
feedback).
"""
import argparse
import csv
import io
import math
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .lms import Roster, parse_time, read_roster
from .submissions import GradingError

TARGETS = ("canvas", "moodle", "csv")
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = ["Identifier", "Full name", "Email address", "Status", "Grade",
                  "Maximum Grade", "Grade can be changed", "Last modified (submission)",
                  "Last modified (grade)", "Feedback comments"]
PLAIN_COLUMNS = ["student", "name", "score", "max", "late", "penalty", "final"]


# --------------------------------------------------------------------------
# Late penalties
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class LatePenalty:
    """A late policy: ``amount`` per ``per`` (None: once), at most ``cap`` in all.

    ``unit`` is ``"%"`` (of the points possible, as Canvas's late policies
    count) or ``"points"``; ``cap`` is in ``cap_unit``.
    """

    amount: float
    unit: str = "%"
    per: str | None = None              # None | "day" | "hour"
    cap: float | None = None
    cap_unit: str = "%"
    text: str = ""

    def deduction(self, periods, points_possible):
        """Points deducted after ``periods`` started days or hours (1 for a flat policy)."""
        def points(x, unit):
            return x * points_possible / 100 if unit == "%" else x
        total = points(self.amount, self.unit) * (periods if self.per else 1)
        if self.cap is not None:
            total = min(total, points(self.cap, self.cap_unit))
        return total


_AMOUNT = r"(\d+(?:\.\d+)?)\s*(%|pts?|points?)"
_POLICY = re.compile(rf"^{_AMOUNT}\s*(?:(?:/|per)\s*(day|hour))?"
                     rf"(?:\s*,?\s*max\s*{_AMOUNT})?$", re.I)


def parse_late_penalty(text):
    """A :class:`LatePenalty` from ``10%`` (once, for a late submission), ``10%/day``,
    ``2pt/hour``, ``10%/day max 50%``; raises :class:`GradingError` otherwise."""
    m = _POLICY.match((text or "").strip())
    if not m:
        raise GradingError(f"late penalty '{text}' not understood: write e.g. '10%' (once for "
                           "a late submission), '10%/day', '2pt/hour' or '10%/day max 50%'")
    def unit(u):
        return "%" if u == "%" else "points"
    amount, amount_unit, per, cap, cap_unit = m.groups()
    return LatePenalty(float(amount), unit(amount_unit), per.lower() if per else None,
                       float(cap) if cap else None, unit(cap_unit or "%"), text.strip())


def _aware(when):
    return when if when.tzinfo is not None else when.astimezone()


def _periods(policy, overdue):
    """Started days or hours late (at least 1 for a late submission)."""
    if policy.per is None:
        return 1
    step = 86400 if policy.per == "day" else 3600
    return max(1, math.ceil(overdue.total_seconds() / step)) if overdue is not None else None


# --------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------

def _flag(value):
    """True, False or None (unknown) from a bool or a gradebook cell (yes/no/true/...)."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in ("yes", "true", "1", "late", "y"):
        return True
    if text in ("no", "false", "0", "n", "on time"):
        return False
    return None


def _when(value):
    if value is None or isinstance(value, datetime):
        return value
    return parse_time(str(value))


def _number(value, what, student):
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise GradingError(f"student {student}: {what} '{value}' is not a number; "
                           "correct the gradebook and export again") from None
    if not math.isfinite(x) or x < 0:
        raise GradingError(f"student {student}: {what} {value} is not a score")
    return x


def _fmt(x):
    return "" if x is None else (f"{x:.2f}".rstrip("0").rstrip("."))


def _safe(text):
    """A text cell that spreadsheet programs will not run as a formula."""
    text = "" if text is None else str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass
class Line:
    """One student's grade as exported."""

    row: dict
    student: str
    name: str
    score: float                        # scaled to the points possible, before any penalty
    late: bool | None
    penalty: float = 0.0
    entry: object = None                # the roster entry, where one matched
    note: str = ""

    @property
    def submitted_at(self):
        """The gradebook's time, else the roster's (Moodle's worksheet has one)."""
        when = _when(self.row.get("submitted_at"))
        if when is None and self.entry is not None:
            when = self.entry.submitted_at
        return when

    @property
    def final(self):
        return round(max(0.0, self.score - self.penalty), 2)


@dataclass
class ExportResult:
    """What :func:`export` wrote."""

    path: Path
    backup: Path | None
    written: int
    warnings: list = field(default_factory=list)


def _check_pending(rows, allow_pending):
    pending = [str(r.get("student")) for r in rows if _flag(r.get("needs_manual_grading"))]
    if pending and not allow_pending:
        raise GradingError(
            f"written answers are not graded yet for {len(pending)} student(s): "
            f"{', '.join(sorted(pending))}. Enter their points and rescore, or export anyway "
            "with allow_pending (--allow-pending): answers not graded then count 0")
    return [f"exported before all written answers of {', '.join(sorted(pending))} were "
            "graded: those not graded count 0"] if pending else []


def _lines(rows, points_possible):
    """Scaled scores; returns ``(lines, points_possible)``."""
    maxima = {_number(r.get("total_max"), "total_max", r.get("student")) for r in rows}
    if points_possible is None:
        if len(maxima) > 1:
            raise GradingError(f"the rows have different maxima ({', '.join(map(_fmt, maxima))}):"
                               " give the assignment's points possible")
        points_possible = maxima.pop() if maxima else 0.0
    points_possible = _number(points_possible, "points possible", "-")
    lines = []
    for r in sorted(rows, key=lambda r: str(r.get("student"))):
        sid = str(r.get("student") or "")
        if not sid:
            raise GradingError("a gradebook row has no student id")
        total = _number(r.get("total_score"), "total_score", sid)
        most = _number(r.get("total_max"), "total_max", sid)
        score = round(total / most * points_possible, 2) if most else 0.0
        lines.append(Line(r, sid, str(r.get("name") or ""), score, _flag(r.get("late"))))
    return lines, points_possible


def _overdue(line, due):
    """How long after ``due`` the student handed in; sets ``line.late`` if the LMS did not."""
    when = line.submitted_at
    overdue = _aware(when) - _aware(due) if when is not None and due is not None else None
    if line.late is None and overdue is not None:
        line.late = overdue.total_seconds() > 0
    return overdue


def _apply_penalty(lines, policy, due, points_possible):
    """Decide lateness and deduct the late penalty; returns warnings.

    The LMS's late flag counts where there is one (it knows extensions);
    otherwise the submission time against ``due``.  Raises when a policy per
    day or hour lacks the times it needs.
    """
    if policy is not None and policy.per and due is None:
        raise GradingError(f"the late penalty '{policy.text}' counts days or hours: give the "
                           "due date (--due 2026-12-01T23:59)")
    unknown, no_time = [], []
    for line in lines:
        overdue = _overdue(line, due)
        if policy is None or line.late is False:
            continue
        if line.late is None:
            unknown.append(line.student)
            continue
        periods = _periods(policy, overdue)
        if periods is None:
            no_time.append(line.student)
            continue
        line.penalty = round(min(line.score, policy.deduction(periods, points_possible)), 2)
        line.note = f"late penalty ({policy.text}): -{_fmt(line.penalty)}"
    if no_time:
        raise GradingError(
            f"'{policy.text}' needs the submission time, which the export does not give for "
            f"{', '.join(no_time)} (marked late); use a flat penalty (e.g. '10%') or set "
            "theirs in the LMS")
    return [f"lateness unknown (no flag, time or due date), no penalty: {', '.join(unknown)}"
            ] if unknown else []


def _match_roster(lines, roster):
    if roster is None:
        return []
    people = [(ln.student, ln.name, ln.row.get("lms"), ln.row.get("lms_user_id") or None,
               _name_hint(ln)) for ln in lines]
    entries, problems = roster.match(people)
    for line, entry in zip(lines, entries):
        line.entry = entry
    return problems


def _name_hint(line):
    """The name a Canvas or Moodle id starts with: ``smithalice_1001`` -> ``smithalice``."""
    if str(line.row.get("lms") or "") in ("canvas", "moodle"):
        return re.sub(r"(__\d+)?_\d+$", "", line.student)
    return ""


def _target_id(line, target):
    """The LMS's id of ``line``'s student for ``target`` (canvas | moodle), or None."""
    if str(line.row.get("lms") or "") == target and line.row.get("lms_user_id"):
        return str(line.row["lms_user_id"]).strip()
    if line.entry is not None and line.entry.lms == target and line.entry.lms_user_id:
        return line.entry.lms_user_id
    return None


def _check_ids(lines, target, allow_unmatched):
    """Students the LMS cannot find, and two rows for one LMS id."""
    label = {"canvas": "Canvas user id", "moodle": "Moodle participant id"}[target]
    missing = [ln.student for ln in lines if _target_id(ln, target) is None]
    if missing and not allow_unmatched:
        raise GradingError(
            f"no {label} for {', '.join(missing)}: give the roster the LMS exports "
            "(--roster), or export anyway with allow_unmatched (--allow-unmatched)")
    seen = {}
    for ln in lines:
        uid = _target_id(ln, target)
        if uid is not None:
            seen.setdefault(uid, []).append(ln.student)
    doubled = {u: s for u, s in seen.items() if len(s) > 1}
    if doubled:
        raise GradingError("several rows for one student: " + "; ".join(
            f"{label} {u}: {', '.join(s)}" for u, s in doubled.items()) + "; keep one row each")
    if not missing:
        return []
    if target == "canvas":
        return [f"no {label} for {', '.join(missing)}: Canvas will match them by name or "
                "ask you"]
    return [f"no {label} for {', '.join(missing)}: left out (Moodle could not match them)"]


# --------------------------------------------------------------------------
# The three formats
# --------------------------------------------------------------------------

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def moodle_time(when):
    """``Wednesday, 2 December 2026, 10:05 AM``, as Moodle's worksheet shows dates (English)."""
    hour = when.hour % 12 or 12
    return (f"{_DAYS[when.weekday()]}, {when.day} {_MONTHS[when.month - 1]} {when.year}, "
            f"{hour}:{when.minute:02d} {'AM' if when.hour < 12 else 'PM'}")


def _canvas_table(lines, title, points_possible, assignment_id):
    column = f"{title} ({assignment_id})" if assignment_id else title
    table = [CANVAS_COLUMNS + [column], ["Points Possible", "", "", "", "", _fmt(points_possible)]]
    for ln in lines:
        e = ln.entry if ln.entry is not None and ln.entry.lms == "canvas" else None
        table.append([_safe(e.name if e else ln.name or ln.student), _target_id(ln, "canvas") or "",
                      e.sis_user_id if e else "", e.sis_login_id if e else "",
                      e.section if e else "", _fmt(ln.final)])
    return table


def _moodle_table(lines, points_possible, now):
    table = [list(MOODLE_COLUMNS)]
    for ln in lines:
        pid = _target_id(ln, "moodle")
        if pid is None:
            continue
        e = ln.entry if ln.entry is not None and ln.entry.lms == "moodle" else None
        sub = ln.submitted_at
        comments = "\n".join(x for x in (str(ln.row.get("comments") or ""), ln.note) if x)
        table.append([f"Participant {pid}", _safe(e.name if e and e.name else ln.name or
                                                  ln.student),
                      e.email if e else "", e.status if e else "", _fmt(ln.final),
                      _fmt(points_possible), "Yes", moodle_time(sub) if sub else "-",
                      _aware(now).isoformat(timespec="seconds"), _safe(comments)])
    return table


def _plain_table(lines, points_possible):
    table = [list(PLAIN_COLUMNS)]
    for ln in lines:
        late = "" if ln.late is None else ("yes" if ln.late else "no")
        table.append([_safe(ln.student), _safe(ln.name), _fmt(ln.score), _fmt(points_possible),
                      late, _fmt(ln.penalty), _fmt(ln.final)])
    return table


def _csv_text(table):
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(table)
    return out.getvalue()


def write_keeping_backup(path, text):
    """Write ``text`` to ``path`` atomically; an existing file is kept as
    ``<stem>.<date>-<time>[-n]<suffix>`` first.  Returns the backup path or None."""
    path = Path(path)
    if path.is_dir():
        raise GradingError(f"{path} is a folder: give the name of the file to write")
    if not path.parent.is_dir():
        raise GradingError(f"{path.parent} does not exist: create it or write elsewhere")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        backup = None
        if path.exists() or path.is_symlink():
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            backup, n = path.with_name(f"{path.stem}.{stamp}{path.suffix}"), 1
            while backup.exists():
                n += 1
                backup = path.with_name(f"{path.stem}.{stamp}-{n}{path.suffix}")
            try:
                os.link(path, backup, follow_symlinks=False)
            except OSError:
                shutil.copy2(path, backup, follow_symlinks=False)
        os.replace(tmp, path)
        return backup
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export(rows, to, dest, *, assignment_title=None, points_possible=None, late_penalty=None,
           due=None, roster=None, assignment_id=None, allow_pending=False,
           allow_unmatched=False, now=None):
    """Write the grades of ``rows`` (gradebook dicts) as ``to`` (canvas | moodle | csv).

    ``assignment_title`` (and ``assignment_id``, the number in the assignment's
    Canvas address) name the Canvas column; ``points_possible`` is the LMS
    assignment's maximum (default: the rows' ``total_max``); ``late_penalty``
    a policy string or :class:`LatePenalty`, ``due`` a datetime or ISO string
    (naive: local time); ``roster`` a :class:`Roster` or CSV path, used to
    find the LMS ids of students graded from other layouts.  Returns an
    :class:`ExportResult`; raises :class:`GradingError` (nothing written) for
    pending written answers, students the LMS cannot find, doubled students,
    bad numbers or policies.
    """
    if to not in TARGETS:
        raise GradingError(f"unknown export format '{to}': choose one of {', '.join(TARGETS)}")
    if to == "canvas" and not (assignment_title or assignment_id):
        raise GradingError("the Canvas file needs the assignment's title (--title) as Canvas "
                           "shows it, and best its id (--assignment-id)")
    rows = list(rows)
    if not rows:
        raise GradingError("no gradebook rows to export")
    policy = (parse_late_penalty(late_penalty) if isinstance(late_penalty, str)
              else late_penalty)
    if isinstance(due, str):
        text, due = due, parse_time(due)
        if due is None:
            raise GradingError(f"due date '{text}' not understood: write e.g. 2026-12-01T23:59")
    if roster is not None and not isinstance(roster, Roster):
        roster = read_roster(roster)
    warnings = _check_pending(rows, allow_pending)
    lines, points = _lines(rows, points_possible)
    warnings += _match_roster(lines, roster)
    warnings += _apply_penalty(lines, policy, due, points)
    if to == "canvas":
        warnings += _check_ids(lines, to, allow_unmatched)
        table = _canvas_table(lines, assignment_title or "", points, assignment_id)
    elif to == "moodle":
        warnings += _check_ids(lines, to, allow_unmatched)
        table = _moodle_table(lines, points, now or datetime.now())
    else:
        table = _plain_table(lines, points)
    backup = write_keeping_backup(dest, _csv_text(table))
    written = len(table) - (2 if to == "canvas" else 1)
    return ExportResult(Path(dest), backup, written, warnings)


# --------------------------------------------------------------------------
# Command line: course-grade export
# --------------------------------------------------------------------------

def read_gradebook(out_dir):
    """The rows of ``OUT/gradebook.csv`` (a list of dicts)."""
    book = Path(out_dir) / "gradebook.csv"
    if not book.is_file():
        raise GradingError(f"{out_dir} has no gradebook.csv: give the --out folder of a "
                           "grading run")
    with open(book, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def build_parser():
    p = argparse.ArgumentParser(
        prog="course-grade export",
        description="Write the grades of a grading run as the file an LMS imports.")
    p.add_argument("out", help="the --out folder of a grading run (holds gradebook.csv)")
    p.add_argument("dest", help="the file to write (an existing one is kept as a backup)")
    p.add_argument("--to", choices=TARGETS, required=True,
                   help="canvas: gradebook import CSV; moodle: grading worksheet; csv: plain")
    p.add_argument("--title", default=None,
                   help="the assignment's title as the LMS shows it (Canvas column)")
    p.add_argument("--assignment-id", default=None,
                   help="Canvas assignment id (the number in the assignment's address)")
    p.add_argument("--points", type=float, default=None,
                   help="the LMS assignment's points possible (default: the grader's maximum)")
    p.add_argument("--late-penalty", default=None, metavar="POLICY",
                   help="e.g. 10%% (once), 10%%/day, 2pt/hour, '10%%/day max 50%%'")
    p.add_argument("--due", default=None, help="due date, e.g. 2026-12-01T23:59 (local time) "
                   "or 2026-12-01T23:59+01:00; needed for per-day penalties")
    p.add_argument("--roster", default=None,
                   help="the LMS's class list (default: OUT/roster.csv when there is one)")
    p.add_argument("--allow-pending", action="store_true",
                   help="export although written answers are not graded (they count 0)")
    p.add_argument("--allow-unmatched", action="store_true",
                   help="export although some students have no LMS id")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    roster = args.roster
    if roster is None and (Path(args.out) / "roster.csv").is_file():
        roster = Path(args.out) / "roster.csv"
    try:
        result = export(read_gradebook(args.out), args.to, args.dest,
                        assignment_title=args.title, points_possible=args.points,
                        late_penalty=args.late_penalty, due=args.due, roster=roster,
                        assignment_id=args.assignment_id, allow_pending=args.allow_pending,
                        allow_unmatched=args.allow_unmatched)
    except GradingError as exc:
        print(f"course-grade export: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {result.path} ({result.written} student(s))")
    if result.backup:
        print(f"the previous file was kept as {result.backup}")
    for w in result.warnings:
        print(f"note: {w}")
    return 0
