"""Submissions as learning-management systems export them, with the students' identities.

:func:`discover` finds, in one folder and mixed in any way, the notebook each
student handed in and the files that belong with it:

- **Canvas** ("Download Submissions", unpacked): flat files
  ``<lastfirst>[_late]_<user id>_<file id>_<original name>``.  Canvas writes the
  student's sortable name without punctuation, in lower case (older versions:
  ``smith--alice-late_...``); the two numbers are the Canvas user id and the id
  of the uploaded file, which grows with every upload.  A file uploaded again
  under the same name is renamed by Canvas ``<name>-1.<ext>``, ``<name>-2.<ext>``
  ...: the ``-1`` model file belongs with the ``-1`` notebook.  The notebooks of
  one user are that user's attempts, in upload order; the latest is graded and
  the earlier ones are listed in :attr:`Discovery.earlier`.
- **Moodle** ("Download all submissions"): one folder per student and plugin,
  ``<Full Name>_<participant id>_assignsubmission_file[_]`` (and
  ``..._onlinetext_``); with "download as folders" off, the same prefix in front
  of each file name.  The participant id is what Moodle's grading worksheet
  calls ``Participant <id>``.
- **nbgrader** (the exchange's ``submitted/<student>/<assignment>/``, or
  ``<student>/<assignment>/`` directly), with ``timestamp.txt``: the folder name
  is the student id, verbatim.
- **Plain files**: ``<student>.ipynb``; ``<student>/`` holding the notebook under
  any name; ``<student>_fashion_mnist_model.npz`` beside ``<student>.ipynb``.

A folder holding several notebooks: the most recently modified one is graded,
the others are listed.  Two submissions mapping to one id stay two rows
(``alice``, ``alice__2``) and a line in :attr:`Discovery.report` says so.
Symbolic links are refused, names starting with a dot are not graded, junk
(``__MACOSX``, ``.ipynb_checkpoints``, ``.DS_Store``, ``Thumbs.db``) is skipped;
everything else not graded is listed in :attr:`Discovery.ignored`.

An optional roster (:func:`read_roster`: Canvas's gradebook export, Moodle's
grading worksheet, or a plain ``student,name`` CSV) maps ids to names and
reports students without a submission and submissions not on the roster.
"""
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .roster import Roster, RosterReport, name_keys, parse_time, read_roster  # noqa: F401
from .submissions import ASSIGNMENT, GradingError, read_limited

MODEL_FILE = f"{ASSIGNMENT}_model.npz"
JUNK = {".ipynb_checkpoints", "__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"}
LMS_KINDS = ("canvas", "moodle", "nbgrader", "files")
NOT_LISTED = {"timestamp.txt"}          # nbgrader's own file beside a submission


# --------------------------------------------------------------------------
# What discovery returns
# --------------------------------------------------------------------------

@dataclass
class Found:
    """One attempt of one student: the notebook to grade and what came with it.

    ``student`` is the gradebook id (unique in a run, the same in every run on
    the same export, usable as a file name); ``notes`` are facts the student
    may read (a renamed notebook, other files in the folder).
    """

    student: str
    notebook: Path
    lms: str = "files"                  # canvas | moodle | nbgrader | files
    name: str | None = None             # display name, where the export or roster gives one
    lms_user_id: str | None = None      # Canvas user id, Moodle participant id
    attempt: int = 1                    # 1, 2, ... in the order the student handed them in
    late: bool | None = None            # None: the export does not say
    submitted_at: datetime | None = None
    attachments: dict = field(default_factory=dict)   # file name asked for -> path
    notes: list = field(default_factory=list)
    shown: str = ""                     # the notebook's path relative to the folder, for reports
    export_name: str = ""               # the student's name as the export wrote it


@dataclass
class Discovery:
    """Everything :func:`discover` found in a submissions folder."""

    submissions: list                   # Found, the graded attempt of each student, by id
    ignored: list                       # messages about files not graded
    earlier: list                       # Found, earlier attempts (listed, not graded)
    report: list                        # lines for the instructor (doubled ids, choices made)
    roster_report: RosterReport | None = None


# --------------------------------------------------------------------------
# Names and ids
# --------------------------------------------------------------------------

def safe_id(text):
    """A readable id usable as a file name: letters and digits of any script are kept.

    NFC normal form; every run of other characters becomes ``_``; at most 80
    characters.  ``"Alice Smith"`` -> ``"Alice_Smith"``.
    """
    text = unicodedata.normalize("NFC", str(text).strip())
    sid = re.sub(r"[^\w.-]+|_+", "_", text).strip("._-")
    return sid[:80].rstrip("._-")


def plain_student(stem, assignment=ASSIGNMENT):
    """Student id from the name of a plain notebook or folder.

    ``alice`` -> ``alice``; ``alice_fashion_mnist``, ``alice-fashion_mnist (1)``,
    ``alice-Copy1`` -> ``alice``; ``jsmith_1`` -> ``jsmith_1`` (numbers are kept).
    """
    who = re.sub(r"\s*\(\d+\)$", "", stem.strip())
    who = re.sub(r"-Copy\d*$", "", who)
    who = re.sub(r"[_\- ]+" + re.escape(assignment) + r"$", "", who, flags=re.I)
    return safe_id(who)


# --------------------------------------------------------------------------
# Walking the folder
# --------------------------------------------------------------------------

def _entries(folder, shown, ignored):
    """The usable entries of ``folder``, reporting links, hidden names and odd files."""
    out = []
    for entry in sorted(Path(folder).iterdir()):
        rel = f"{shown}/{entry.name}" if shown else entry.name
        if entry.name in JUNK:
            continue
        if entry.is_symlink():
            ignored.append(f"{rel}: a symbolic link, refused (only real files are graded)")
        elif entry.name.startswith("."):
            ignored.append(f"{rel}: a hidden name (starts with a dot), not graded")
        elif entry.is_dir() or entry.is_file():
            out.append((entry, rel))
        else:
            ignored.append(f"{rel}: not a regular file or folder, not graded")
    return out


def _tree_files(folder, shown, ignored):
    """Every usable file below ``folder``: a list of ``(path, shown)``."""
    files = []
    for entry, rel in _entries(folder, shown, ignored):
        if entry.is_dir():
            files += _tree_files(entry, rel, ignored)
        else:
            files.append((entry, rel))
    return files


def _mtime(path):
    return path.stat().st_mtime


def _few(names, n=5):
    names = sorted(names)
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")


def _from_folder(folder, shown, ignored, files, assignment, **identity):
    """The :class:`Found` for a student's folder (any layout), or None without a notebook."""
    tree = _tree_files(folder, shown, ignored)
    notebooks = [(p, r) for p, r in tree if p.suffix.lower() == ".ipynb"]
    if not notebooks:
        ignored.append(f"{shown}/: no notebook (.ipynb) in it, not graded")
        return None
    preferred = f"{assignment}.ipynb"
    chosen, rel = max(notebooks, key=lambda pr: (_mtime(pr[0]), pr[0].name == preferred,
                                                 pr[1]))
    found = Found(notebook=chosen, shown=rel, **identity)
    inner = str(chosen.relative_to(folder))
    if chosen.name != preferred:
        found.notes.append(f"notebook named '{inner}' instead of '{preferred}'; graded anyway")
    for path, other in notebooks:
        if path != chosen:
            found.notes.append(f"your folder also held '{path.relative_to(folder)}', older "
                               f"than '{inner}'; it was not graded")
            ignored.append(f"{other}: another notebook in the folder, older than '{inner}'; "
                           "not graded")
    used = {chosen}
    for wanted in files:
        beside = [p for p, _ in tree if p.parent == chosen.parent and p.name == wanted]
        anywhere = [p for p, _ in tree if p.name == wanted]
        pick = (beside or sorted(anywhere, key=_mtime))[-1:] if anywhere else []
        if pick:
            found.attachments[wanted] = pick[0]
            used.add(pick[0])
    rest = [r for p, r in tree if p not in used and p.suffix.lower() != ".ipynb"
            and p.name not in NOT_LISTED]
    if rest:
        ignored.append(f"{shown}/: {len(rest)} other file(s) not graded: {_few(rest)}")
    return found


# --------------------------------------------------------------------------
# Canvas
# --------------------------------------------------------------------------

_CANVAS = re.compile(r"^(?:(?P<name>.*?)(?P<late>[_-]late)?_)?(?P<uid>\d+)_(?P<fid>\d+)_"
                     r"(?P<orig>.+)$", re.I)
_CANVAS_ONLINE = re.compile(r"^(?P<name>.*?)(?:[_-]late)?_(?P<uid>\d+)_(?:text|link)\.html$",
                            re.I)
_RENAMED = re.compile(r"^(?P<base>.+)-(?P<n>\d+)$")


@dataclass
class _CanvasFile:
    path: Path
    name: str
    late: bool
    uid: str
    fid: int
    orig: str       # the name as uploaded, without Canvas's -N
    again: int      # Canvas's -N: 0 for the first upload of that name


def _canvas_file(path):
    """A :class:`_CanvasFile` when ``path``'s name is one Canvas writes, else None."""
    m = _CANVAS.match(path.name)
    if not m:
        return None
    name = m.group("name") or ""
    late = bool(m.group("late"))
    if name.lower() == "late" and not late:          # anonymous and late: "late_<uid>_..."
        name, late = "", True
    orig, again = m.group("orig"), 0
    stem, dot, ext = orig.partition(".")
    r = _RENAMED.match(stem)
    if r:
        orig, again = r.group("base") + dot + ext, int(r.group("n"))
    return _CanvasFile(path, name, late, m.group("uid"), int(m.group("fid")), orig, again)


def _window(notebooks, i):
    """Canvas file ids between the notebooks before and after attempt ``i``."""
    low = notebooks[i - 1].fid if i > 0 else -1
    high = notebooks[i + 1].fid if i + 1 < len(notebooks) else float("inf")
    return low, high


def _canvas_attachments(notebooks, attempts, files, wanted, report):
    """Give each attempt its ``wanted`` file; returns the paths used.

    Canvas file ids grow with every upload, so an attempt's files lie between
    the notebooks of the attempts before and after it.  Within that window, a
    file renamed ``-N`` by Canvas goes with the notebook renamed ``-N``;
    otherwise the file nearest to the notebook is taken (and said so).
    """
    pool = [f for f in files if f.orig.lower() == wanted.lower()]
    used = set()
    for i, (f, found) in enumerate(zip(notebooks, attempts)):
        low, high = _window(notebooks, i)
        same = [p for p in pool if p.again == f.again and p.path not in used
                and low < p.fid < high]
        if same:
            pick = min(same, key=lambda p: abs(p.fid - f.fid))
            found.attachments[wanted] = pick.path
            used.add(pick.path)
    for i in reversed(range(len(attempts))):
        f, found = notebooks[i], attempts[i]
        low, high = _window(notebooks, i)
        near = [p for p in pool if p.path not in used and low < p.fid < high]
        if wanted in found.attachments or not near:
            continue
        pick = min(near, key=lambda p: abs(p.fid - f.fid))
        found.attachments[wanted] = pick.path
        used.add(pick.path)
        found.notes.append(f"'{pick.path.name}' was taken as the {wanted} of this attempt "
                           f"('{f.path.name}'), uploaded with it under another name")
        report.append(f"{found.student}: {found.notes[-1]}")
    return used


def _canvas_student(files, wanted_files, ignored, report, assignment):
    """The attempts of one Canvas user: a list of :class:`Found`, oldest first."""
    notebooks = sorted((f for f in files if f.orig.lower().endswith(".ipynb")),
                       key=lambda f: (f.fid, f.again))
    uid = files[0].uid
    label = f"Canvas user {uid}" + (f" ({files[-1].name})" if files[-1].name else "")
    if not notebooks:
        ignored += [f"{f.path.name}: {label} handed in no notebook; not graded" for f in files]
        return []
    name = notebooks[-1].name
    sid = f"{safe_id(name)}_{uid}" if safe_id(name) else f"canvas_{uid}"
    attempts = [Found(student=sid, notebook=f.path, lms="canvas", lms_user_id=uid,
                      attempt=i + 1, late=f.late, shown=f.path.name, export_name=name)
                for i, f in enumerate(notebooks)]
    for f, found in zip(notebooks, attempts):
        if f.orig != f"{assignment}.ipynb":
            found.notes.append(f"notebook named '{f.orig}' instead of '{assignment}.ipynb'; "
                               "graded anyway")
    used = set()
    for wanted in wanted_files:
        used |= _canvas_attachments(notebooks, attempts, files, wanted, report)
    for f in files:
        if f.path not in used and not f.orig.lower().endswith(".ipynb"):
            ignored.append(f"{f.path.name}: {label}: not a notebook and not a file the "
                           "assignment asks for with one of its notebooks; not graded")
    return attempts


# --------------------------------------------------------------------------
# Moodle
# --------------------------------------------------------------------------

_MOODLE = re.compile(r"^(?P<name>.*?)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)"
                     r"(?:_(?P<rest>.*))?$")


def _moodle_student(pid, parts, ignored, files, assignment):
    """The :class:`Found` of one Moodle participant from its folders and flat files."""
    name = parts[0][2]
    display = None if name.strip().lower() in ("", "participant") else name.strip()
    sid = f"{safe_id(name) or 'participant'}_{pid}"
    identity = dict(student=sid, lms="moodle", name=display, lms_user_id=pid,
                    export_name=name)
    folders = [(p, r) for p, r, _, plugin in parts if p.is_dir() and plugin == "file"]
    flat = [(p, r) for p, r, _, plugin in parts if p.is_file() and plugin == "file"]
    for p, r, _, plugin in parts:
        if plugin != "file":
            ignored.append(f"{r}: Moodle '{plugin}' submission (not a file); not graded")
    if len(folders) == 1 and not flat:
        return _from_folder(folders[0][0], folders[0][1], ignored, files, assignment,
                            **identity)
    tree = flat + [t for p, r in folders for t in _tree_files(p, r, ignored)]
    notebooks = [(p, r) for p, r in tree if p.suffix.lower() == ".ipynb"]
    if not notebooks:
        if tree:
            ignored.append(f"Moodle participant {pid}: no notebook among "
                           f"{_few(r for _, r in tree)}; not graded")
        return None
    chosen, rel = max(notebooks, key=lambda pr: (_mtime(pr[0]), pr[1]))
    found = Found(notebook=chosen, shown=rel, **identity)
    for p, r in notebooks:
        if p != chosen:
            ignored.append(f"{r}: another notebook of Moodle participant {pid}, older; "
                           "not graded")
    for wanted in files:
        cands = [p for p, _ in tree if p.name == wanted or p.name.endswith("_" + wanted)]
        if cands:
            found.attachments[wanted] = max(cands, key=_mtime)
    return found


# --------------------------------------------------------------------------
# nbgrader
# --------------------------------------------------------------------------

def _nbgrader_time(folder):
    """The time in ``folder/timestamp.txt``, or None."""
    path = folder / "timestamp.txt"
    try:
        data = read_limited(path, limit=4096)
    except OSError:
        return None
    return parse_time(data.decode("utf-8", "replace")) if data else None


def _nbgrader_student(folder, rel, ignored, files, assignment, exchange=False):
    """The :class:`Found` of ``<student>/<assignment>/`` (``folder`` is ``<student>``).

    nbgrader's folders (under ``submitted/``, or holding ``timestamp.txt``) keep
    the folder name as the id, verbatim; other such folders are plain files.
    """
    for entry, erel in _entries(folder, rel, ignored):
        if entry.name != assignment:
            ignored.append(f"{erel}: not the assignment '{assignment}'; not graded")
    inner = folder / assignment
    when = _nbgrader_time(inner)
    exchange = exchange or when is not None
    student = folder.name if exchange else (plain_student(folder.name, assignment) or "student")
    found = _from_folder(inner, f"{rel}/{assignment}", ignored, files, assignment,
                         student=student, lms="nbgrader" if exchange else "files",
                         export_name=folder.name)
    if found is not None:
        found.submitted_at = when
    return found


def _holds_assignment(folder, assignment):
    path = folder / assignment
    return path.is_dir() and not path.is_symlink()


# --------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------

def _plain_attachment(name, files, assignment):
    """``(wanted, student id)`` for ``<student>_fashion_mnist_model.npz``, else None."""
    for wanted in files:
        if name.lower().endswith(wanted.lower()) and len(name) > len(wanted):
            prefix = name[: -len(wanted)].rstrip("_- .")
            if prefix:
                return wanted, plain_student(prefix, assignment)
    return None


def _top_level(folder, ignored, files, assignment):
    """Sort the top-level entries by layout; returns ``(found, earlier, report)``."""
    found, earlier, report = [], [], []
    canvas, moodle, loose = {}, {}, []
    for entry, rel in _entries(folder, "", ignored):
        m = _MOODLE.match(entry.name)
        if m:
            moodle.setdefault(m.group("pid"), []).append(
                (entry, rel, m.group("name"), m.group("plugin")))
            continue
        if entry.is_dir():
            found += _top_folder(entry, rel, ignored, files, assignment)
            continue
        cf = _canvas_file(entry)
        if cf is not None:
            canvas.setdefault(cf.uid, []).append(cf)
        elif _CANVAS_ONLINE.match(entry.name):
            ignored.append(f"{rel}: a Canvas text or link submission, not a notebook; "
                           "not graded")
        elif entry.suffix.lower() == ".ipynb":
            found.append(Found(student=plain_student(entry.stem, assignment) or "student",
                               notebook=entry, shown=rel, export_name=entry.stem))
        else:
            loose.append((entry, rel))
    for uid in sorted(canvas, key=int):
        attempts = _canvas_student(canvas[uid], files, ignored, report, assignment)
        found += attempts[-1:]
        earlier += attempts[:-1]
    for pid in sorted(moodle, key=int):
        one = _moodle_student(pid, moodle[pid], ignored, files, assignment)
        found += [one] if one else []
    _attach_loose(found, loose, ignored, files, assignment)
    return found, earlier, report


def _top_folder(entry, rel, ignored, files, assignment):
    """The :class:`Found` list for a top-level folder (nbgrader tree or a student)."""
    if _holds_assignment(entry, assignment):
        one = _nbgrader_student(entry, rel, ignored, files, assignment)
        return [one] if one else []
    if entry.name == "submitted":
        out = []
        for sub, srel in _entries(entry, rel, ignored):
            if sub.is_dir() and _holds_assignment(sub, assignment):
                one = _nbgrader_student(sub, srel, ignored, files, assignment, exchange=True)
                out += [one] if one else []
            else:
                ignored.append(f"{srel}: no '{assignment}/' folder in it; not graded")
        return out
    one = _from_folder(entry, rel, ignored, files, assignment,
                       student=plain_student(entry.name, assignment) or "student",
                       export_name=entry.name)
    return [one] if one else []


def _attach_loose(found, loose, ignored, files, assignment):
    """Give ``<student>_fashion_mnist_model.npz`` to the plain notebook of that student."""
    for path, rel in loose:
        owner = _plain_attachment(path.name, files, assignment)
        if owner:
            wanted, sid = owner
            mine = [f for f in found if f.lms == "files" and f.student == sid
                    and f.notebook.parent == path.parent]
            if len(mine) == 1 and wanted not in mine[0].attachments:
                mine[0].attachments[wanted] = path
                continue
            ignored.append(f"{rel}: not a notebook, and not clearly handed in with one "
                           "student's notebook; not used")
        else:
            ignored.append(f"{rel}: not a notebook (.ipynb), not graded")


def _distinct_ids(found, report):
    """Make ids unique (also ids equal but for case): ``alice``, ``alice__2``."""
    order = {kind: i for i, kind in enumerate(LMS_KINDS)}
    found.sort(key=lambda f: (f.student.casefold(), order.get(f.lms, 9), f.shown))
    taken = {}
    for f in found:
        base = f.student or "student"
        f.student, n = base, 1
        while f.student.casefold() in taken:
            n += 1
            f.student = f"{base}__{n}"
        taken[f.student.casefold()] = f
        if n > 1:
            first = taken[base.casefold()]
            report.append(f"two submissions map to the id '{base}': '{first.shown}' is graded "
                          f"as '{first.student}' and '{f.shown}' as '{f.student}'; decide "
                          "which one counts")


def discover(submissions_dir, assignment=ASSIGNMENT, files=(MODEL_FILE,), roster=None):
    """Find every student's submission in ``submissions_dir`` (layouts: module docstring).

    ``files`` names the other files the assignment asks for (the trained
    model); ``roster`` is a :class:`Roster` or the path of a roster CSV.
    Returns a :class:`Discovery`.  Raises :class:`GradingError` when the folder
    cannot be read or the roster is not one this module reads.
    """
    folder = Path(submissions_dir)
    if not folder.is_dir():
        raise GradingError(f"{folder} is not a folder: give the folder holding the submissions "
                           "(unpack the LMS's zip file first)")
    ignored = []
    found, earlier, report = _top_level(folder, ignored, tuple(files), assignment)
    _distinct_ids(found, report)
    by_id = {}
    for f in found:
        by_id.setdefault((f.lms, f.lms_user_id or f.export_name), f)
    for e in earlier:                         # earlier attempts carry their student's id
        latest = by_id.get((e.lms, e.lms_user_id or e.export_name))
        e.student = latest.student if latest else e.student
    earlier.sort(key=lambda e: (e.student, e.attempt))
    roster_report = None
    if roster is not None:
        roster = roster if isinstance(roster, Roster) else read_roster(roster)
        roster_report = roster.apply(found)
    found.sort(key=lambda f: f.student)
    return Discovery(found, ignored, earlier, report, roster_report)
