"""Rosters: the class list an LMS exports, matched with the submissions found.

:func:`read_roster` reads Canvas's gradebook export (``Student, ID, SIS User ID,
SIS Login ID, Section, ...``), Moodle's grading worksheet (``Identifier,
Full name, Email address, ...``) or a plain CSV with ``student`` and ``name``.
:meth:`Roster.apply` matches the submissions to it (LMS user id, then SIS login
or user id, e-mail or the ``student`` column, then the name in either order),
gives them their names and reports who handed in nothing and who is not on it.
"""
import csv
import functools
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .submissions import GradingError, read_limited

MAX_ROSTER_BYTES = 16 * 2**20


@dataclass
class RosterReport:
    """How the submissions compare with the roster."""

    missing: list = field(default_factory=list)   # RosterEntry without a submission
    unknown: list = field(default_factory=list)   # student ids not on the roster
    problems: list = field(default_factory=list)  # ambiguous or doubled matches

    def lines(self):
        """Markdown list lines for the instructor's report."""
        out = [f"- on the roster, no submission: {e.describe()}" for e in self.missing]
        out += [f"- submission not on the roster: {sid}" for sid in self.unknown]
        return out + [f"- roster: {p}" for p in self.problems]


@functools.lru_cache(maxsize=65536)
def name_keys(text):
    """Keys under which a person's name is compared, whatever order and punctuation.

    ``"Smith, Alice"``, ``"Alice Smith"`` and Canvas's ``"smithalice"`` share
    the key ``"smithalice"``.  Returns a frozenset of strings (empty for no name).
    """
    def key(s):
        return re.sub(r"[\W_]+", "", unicodedata.normalize("NFC", s)).lower()
    text = (text or "").strip()
    if not text:
        return frozenset()
    if "," in text:
        last, first = text.split(",", 1)
        keys = {key(last + first), key(first + last)}
    else:
        words = text.split()
        keys = {key(text), key(" ".join(words[-1:] + words[:-1]))}
    return frozenset(k for k in keys if k)


def parse_time(text):
    """A datetime from ISO 8601 or nbgrader's ``2026-12-01 23:59:00.000000 UTC``; else None.

    ``UTC``/``GMT``/``Z`` and ``+HHMM`` give an aware datetime; a time without a
    zone is naive (local time).
    """
    text = (text or "").strip()
    if not text:
        return None
    zone = None
    m = re.match(r"^(.*\d)\s*(UTC|GMT|Z)$", text, re.I)
    if m:
        text, zone = m.group(1), timezone.utc
    else:
        m = re.match(r"^(.*\d)\s+([+-]\d{2}):?(\d{2})$", text)
        if m:
            sign = -1 if m.group(2)[0] == "-" else 1
            delta = timedelta(hours=int(m.group(2)[1:]), minutes=int(m.group(3)))
            text, zone = m.group(1), timezone(sign * delta)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when.replace(tzinfo=zone) if zone and when.tzinfo is None else when


@dataclass
class RosterEntry:
    """One student of a roster; fields the roster does not have are empty."""

    name: str = ""
    lms: str = "files"                  # the roster's kind: canvas | moodle | files
    lms_user_id: str | None = None      # Canvas ID, Moodle participant id
    student: str = ""                   # a plain roster's id
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    email: str = ""
    status: str = ""                    # Moodle's Status column
    submitted_at: datetime | None = None

    def describe(self):
        ident = self.student or (f"{self.lms} id {self.lms_user_id}" if self.lms_user_id
                                 else self.sis_login_id or self.email)
        return f"{self.name} ({ident})" if self.name else ident

    def ids(self):
        """Lower-case ids this student may be known by in submission names."""
        values = (self.student, self.sis_login_id, self.sis_user_id, self.email,
                  self.email.split("@")[0] if "@" in self.email else "")
        return {v.strip().casefold() for v in values if v and v.strip()}


@dataclass
class Roster:
    """A class list read by :func:`read_roster`."""

    kind: str                           # canvas | moodle | files
    entries: list
    source: str = ""

    def match(self, people):
        """Roster entries for ``people``: an iterable of ``(student, name, lms, lms_user_id,
        export_name)``.

        LMS user ids are compared first (a Canvas roster with Canvas files, a
        Moodle worksheet with Moodle folders), then ids (``student``, SIS login
        and user id, e-mail), then names in any order (``Smith, Alice`` =
        ``Alice Smith`` = Canvas's ``smithalice``), each only where it is
        unambiguous.  Returns ``(entries, problems)``: a list with one entry or
        None per person, and messages about ambiguous matches.
        """
        people = list(people)
        result, problems = [None] * len(people), []
        by_uid = {e.lms_user_id: e for e in self.entries if e.lms_user_id}
        for i, (_sid, _name, lms, uid, _ex) in enumerate(people):
            if uid and lms == self.kind and self.kind in ("canvas", "moodle"):
                result[i] = by_uid.get(str(uid))
        taken = {id(e) for e in result if e is not None}
        for step in (self._by_id, self._by_name):
            for i, person in enumerate(people):
                if result[i] is not None or (person[3] and person[2] == self.kind):
                    continue
                free = [e for e in self.entries if id(e) not in taken]
                hits = step(person, free)
                if len(hits) == 1:
                    result[i] = hits[0]
                    taken.add(id(hits[0]))
                elif len(hits) > 1:
                    problems.append(f"'{person[0]}' fits several roster students: "
                                    f"{', '.join(e.describe() for e in hits)}; not matched")
        return result, problems

    @staticmethod
    def _by_id(person, entries):
        sid = re.sub(r"__\d+$", "", person[0] or "").casefold()
        keys = {sid, (person[4] or "").casefold()} - {""}
        return [e for e in entries if e.ids() & keys]

    @staticmethod
    def _by_name(person, entries):
        keys = name_keys(person[1]) | name_keys(person[4])
        return [e for e in entries if keys & (name_keys(e.name) | name_keys(e.student))]

    def apply(self, found):
        """Fill names (and Moodle submission times) of ``found`` from the roster.

        Returns the :class:`RosterReport`.
        """
        people = [(f.student, f.name, f.lms, f.lms_user_id, f.export_name) for f in found]
        entries, problems = self.match(people)
        report = RosterReport(problems=problems)
        seen = {}
        for f, e in zip(found, entries):
            if e is None:
                report.unknown.append(f.student)
                continue
            seen.setdefault(id(e), []).append(f.student)
            f.name = f.name or e.name or None
            if f.submitted_at is None and e.submitted_at is not None:
                f.submitted_at = e.submitted_at
        report.missing = [e for e in self.entries if id(e) not in seen]
        for e in self.entries:
            if len(seen.get(id(e), [])) > 1:
                report.problems.append(f"{e.describe()} has several submissions: "
                                       f"{', '.join(seen[id(e)])}; keep one")
        return report


def _read_csv(path):
    """``(header, rows)`` of a CSV file exported by a spreadsheet or an LMS."""
    try:
        data = read_limited(path, limit=MAX_ROSTER_BYTES)
    except OSError as exc:
        raise GradingError(f"roster {path}: cannot be read ({exc})") from None
    if data is None:
        raise GradingError(f"roster {path}: larger than {MAX_ROSTER_BYTES // 2**20} MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GradingError(f"roster {path}: not UTF-8 text; save it as 'CSV UTF-8' and try "
                           "again") from None
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise GradingError(f"roster {path}: empty")
    header = [h.strip() for h in rows[0]]
    return header, [dict(zip(header, (c.strip() for c in r))) for r in rows[1:]]


_MOODLE_DATES = ("%A, %d %B %Y, %I:%M %p", "%A, %d %B %Y, %H:%M", "%d %B %Y, %I:%M %p",
                 "%d %B %Y, %H:%M")


def parse_moodle_time(text):
    """A naive datetime from Moodle's ``Tuesday, 1 December 2026, 11:59 PM`` (or ISO)."""
    text = (text or "").strip()
    for fmt in _MOODLE_DATES:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            pass
    return parse_time(text)


def _canvas_roster(rows):
    out = []
    for r in rows:
        name, uid = r.get("Student", ""), r.get("ID", "")
        if "Points Possible" in name or not uid.isdigit() or name == "Student, Test":
            continue                           # the points row, posting rows, the test student
        out.append(RosterEntry(name=name, lms="canvas", lms_user_id=uid,
                               sis_user_id=r.get("SIS User ID", ""),
                               sis_login_id=r.get("SIS Login ID", ""),
                               section=r.get("Section", "")))
    return out


def _moodle_roster(rows):
    out = []
    for r in rows:
        m = re.search(r"(\d+)\s*$", r.get("Identifier", ""))
        if not m:
            continue
        out.append(RosterEntry(name=r.get("Full name", ""), lms="moodle", lms_user_id=m.group(1),
                               email=r.get("Email address", ""), status=r.get("Status", ""),
                               submitted_at=parse_moodle_time(
                                   r.get("Last modified (submission)", ""))))
    return out


def _plain_roster(header, rows):
    col = {h.casefold(): h for h in header}
    out = []
    for r in rows:
        sid = r.get(col["student"], "")
        if sid:
            out.append(RosterEntry(name=r.get(col.get("name", ""), ""), student=sid,
                                   email=r.get(col.get("email", ""), "")))
    return out


def read_roster(path):
    """Read a class list: Canvas's gradebook export (``Student, ID, SIS User ID, SIS Login
    ID, Section, ...``), Moodle's grading worksheet (``Identifier, Full name, Email address,
    ...``) or a plain CSV with a ``student`` column (and ``name``, ``email``).

    Returns a :class:`Roster`; raises :class:`GradingError` for anything else.
    """
    header, rows = _read_csv(path)
    folded = {h.casefold() for h in header}
    if "Identifier" in header and "Full name" in header:
        kind, entries = "moodle", _moodle_roster(rows)
    elif header[:2] == ["Student", "ID"]:
        kind, entries = "canvas", _canvas_roster(rows)
    elif "student" in folded:
        kind, entries = "files", _plain_roster(header, rows)
    else:
        raise GradingError(
            f"roster {path}: columns {', '.join(header[:6])} are not a roster this grader "
            "reads; give Canvas's gradebook export (Student, ID, SIS User ID, ...), Moodle's "
            "grading worksheet (Identifier, Full name, ...) or a CSV with the columns "
            "'student' and 'name'")
    if not entries:
        raise GradingError(f"roster {path}: no students in it")
    return Roster(kind, entries, str(path))
