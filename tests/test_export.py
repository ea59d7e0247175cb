"""Grades back to the LMS (course_grader.export): the files Canvas and Moodle import.

The class of test_lms.py is discovered, given scores, and exported; each file
is read back and checked against the column layout the LMS documents and
parses (Canvas's gradebook importer, Moodle's offline grading worksheet).
"""
import csv
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from course_grader import export, lms
from course_grader.roster import parse_moodle_time
from course_grader.submissions import GradingError
from test_lms import build_class, canvas_roster, write_csv

# points out of 50, per student of the class
SCORES = {"smithalice_1001": 41, "jonesbob_1002": 33, "leechris_1003": 20,
          "leechris_1004": 25.5, "Dana_Scully_2001": 47, "Fox_Mulder_2002": 12,
          "jsmith_1": 50, "jsmith_2": 44, "eve": 30, "frank": 39}


def gradebook_rows(discovery, scores=SCORES, pending=()):
    """Rows as gradebook.csv holds them (every value a string)."""
    rows = []
    for f in discovery.submissions:
        rows.append({
            "student": f.student, "name": f.name or "", "lms": f.lms,
            "lms_user_id": f.lms_user_id or "", "attempt": str(f.attempt),
            "late": "" if f.late is None else ("yes" if f.late else "no"),
            "submitted_at": f.submitted_at.isoformat() if f.submitted_at else "",
            "status": "ok", "total_score": str(scores[f.student]), "total_max": "50",
            "needs_manual_grading": "yes" if f.student in pending else "no"})
    return rows


def read_back(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    build_class(root)
    roster = lms.read_roster(canvas_roster(root.parent / "roster.csv"))
    return lms.discover(root, roster=roster), roster


# --------------------------------------------------------------------------
# Canvas
# --------------------------------------------------------------------------

def test_canvas_file_as_the_gradebook_importer_reads_it(klass, tmp_path):
    found, roster = klass
    rows = [r for r in gradebook_rows(found) if r["student"] != "eve"]   # eve: not enrolled
    dest = tmp_path / "canvas.csv"
    result = export.export(rows, "canvas", dest, assignment_title="Fashion-MNIST",
                           assignment_id="555", points_possible=100, late_penalty="10%",
                           roster=roster)
    table = read_back(dest)
    header, points, body = table[0], table[1], table[2:]
    # the importer's header rules: Student, ID, then SIS User ID and SIS Login ID, the
    # last student column is Section, assignments as "<title> (<id>)"
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                      "Fashion-MNIST (555)"]
    assert re.fullmatch(r"(.+) \((\d+)\)", header[5]).groups() == ("Fashion-MNIST", "555")
    assert "Points Possible" in points[0] and points[5] == "100"
    assert result.written == len(body) == 9 and result.backup is None
    got = {r[1]: (r[0], r[2], r[3], r[4], float(r[5])) for r in body}
    assert all(uid.isdigit() for uid in got) and len(got) == len(body)
    # every score right: out of 50 scaled to 100; Bob handed in late: -10% of 100
    expected = {"1001": ("Smith, Alice", 82), "1002": ("Jones, Bob", 56),
                "1003": ("Lee, Chris", 40), "1004": ("Lee, Chris", 51),
                "1006": ("Scully, Dana", 94), "1007": ("Mulder, Fox", 24),
                "1008": ("Smith, John", 100), "1009": ("Smith, Jane", 88),
                "1010": ("Frank, Frank", 78)}
    assert {uid: (v[0], v[4]) for uid, v in got.items()} == expected
    assert got["1008"][1:4] == ("S8", "jsmith_1", "Sec A")          # nbgrader via SIS login


def test_canvas_refuses_students_it_cannot_find(klass, tmp_path):
    found, roster = klass
    rows = gradebook_rows(found)
    dest = tmp_path / "canvas.csv"
    with pytest.raises(GradingError, match=r"no Canvas user id for eve"):
        export.export(rows, "canvas", dest, assignment_title="Fashion-MNIST", roster=roster)
    assert not dest.exists() and list(tmp_path.iterdir()) == []
    result = export.export(rows, "canvas", dest, assignment_title="Fashion-MNIST",
                           roster=roster, allow_unmatched=True)
    eve = [r for r in read_back(dest)[2:] if r[0] == "eve"]
    assert eve == [["eve", "", "", "", "", "30"]]                   # by name, as Canvas can
    assert any("eve" in w and "by name" in w for w in result.warnings)
    assert read_back(dest)[0][5] == "Fashion-MNIST" and read_back(dest)[1][5] == "50"


def test_canvas_without_roster_keeps_canvas_ids(klass, tmp_path):
    found, _ = klass
    rows = [r for r in gradebook_rows(found) if r["lms"] == "canvas"]
    export.export(rows, "canvas", tmp_path / "c.csv", assignment_title="HW", assignment_id="9")
    ids = sorted(r[1] for r in read_back(tmp_path / "c.csv")[2:])
    assert ids == ["1001", "1002", "1003", "1004"]


def test_two_rows_for_one_student_are_refused(klass, tmp_path):
    found, roster = klass
    rows = gradebook_rows(found)
    alice = next(r for r in rows if r["student"] == "smithalice_1001")
    twin = dict(alice, student="smithalice_1001__2")
    with pytest.raises(GradingError, match="several rows for one student"):
        export.export(rows + [twin], "canvas", tmp_path / "c.csv", assignment_title="HW",
                      roster=roster, allow_unmatched=True)


# --------------------------------------------------------------------------
# Pending written answers, overwriting
# --------------------------------------------------------------------------

def test_pending_written_answers_stop_the_export(klass, tmp_path):
    found, roster = klass
    rows = gradebook_rows(found, pending={"jsmith_2", "eve"})
    dest = tmp_path / "grades.csv"
    with pytest.raises(GradingError, match=r"not graded yet for 2 student\(s\): eve, jsmith_2"):
        export.export(rows, "csv", dest)
    assert not dest.exists()
    result = export.export(rows, "csv", dest, allow_pending=True)
    assert dest.exists() and any("eve, jsmith_2" in w for w in result.warnings)


def test_an_existing_file_is_kept_as_a_backup(klass, tmp_path):
    found, _ = klass
    dest = tmp_path / "grades.csv"
    first = export.export(gradebook_rows(found), "csv", dest)
    before = dest.read_bytes()
    scores = dict(SCORES, eve=31)
    second = export.export(gradebook_rows(found, scores), "csv", dest)
    assert first.backup is None and second.backup is not None
    assert re.fullmatch(r"grades\.\d{8}-\d{6}(-\d+)?\.csv", second.backup.name)
    assert second.backup.read_bytes() == before and dest.read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["grades.csv",
                                                                 second.backup.name])
    third = export.export(gradebook_rows(found), "csv", dest)
    assert third.backup not in (None, second.backup) and second.backup.exists()


def test_write_errors_are_clear(klass, tmp_path):
    found, _ = klass
    rows = gradebook_rows(found)
    with pytest.raises(GradingError, match="is a folder"):
        export.export(rows, "csv", tmp_path)
    with pytest.raises(GradingError, match="does not exist"):
        export.export(rows, "csv", tmp_path / "no" / "g.csv")
    with pytest.raises(GradingError, match="unknown export format"):
        export.export(rows, "blackboard", tmp_path / "g.csv")
    with pytest.raises(GradingError, match="title"):
        export.export(rows, "canvas", tmp_path / "g.csv")
    bad = [dict(rows[0], total_score="n/a")]
    with pytest.raises(GradingError, match="'n/a' is not a number"):
        export.export(bad, "csv", tmp_path / "g.csv")
    mixed = [rows[0], dict(rows[1], total_max="40")]
    with pytest.raises(GradingError, match="different maxima"):
        export.export(mixed, "csv", tmp_path / "g.csv")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------
# Moodle
# --------------------------------------------------------------------------

def moodle_worksheet(path):
    return write_csv(path, [
        export.MOODLE_COLUMNS,
        ["Participant 2001", "Dana Scully", "dana@example.org", "Submitted for grading", "",
         "20.00", "Yes", "Tuesday, 1 December 2026, 11:30 PM", "-", ""],
        ["Participant 2002", "Fox Mulder", "fox@example.org", "Submitted for grading", "",
         "20.00", "Yes", "Wednesday, 2 December 2026, 9:05 AM", "-", ""],
        ["Participant 2010", "Ann Smith", "jsmith_1@example.org", "Submitted for grading", "",
         "20.00", "Yes", "-", "-", ""],
    ])


@pytest.fixture
def utc(monkeypatch):
    """Local time is UTC (times without a zone are local)."""
    import time
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_moodle_worksheet_as_moodle_reads_it(klass, tmp_path, utc):
    found, _ = klass
    roster = lms.read_roster(moodle_worksheet(tmp_path / "worksheet.csv"))
    rows = [r for r in gradebook_rows(found) if r["student"] in
            ("Dana_Scully_2001", "Fox_Mulder_2002", "jsmith_1")]
    rows[0]["comments"] = "Part 3: see the feedback page."
    now = datetime(2026, 12, 5, 14, 7)
    dest = tmp_path / "moodle.csv"
    result = export.export(rows, "moodle", dest, points_possible=20, roster=roster, now=now,
                           late_penalty="10%/day", due="2026-12-01T23:00")
    table = read_back(dest)
    assert table[0] == export.MOODLE_COLUMNS
    # what Moodle's importer needs: Identifier "Participant <id>", Grade within the
    # maximum, Last modified (grade) a date, the feedback column by its name
    col = {name: i for i, name in enumerate(table[0])}
    got = {r[col["Identifier"]]: r for r in table[1:]}
    assert sorted(got) == ["Participant 2001", "Participant 2002", "Participant 2010"]
    assert result.written == 3
    dana, fox, john = (got[f"Participant {n}"] for n in (2001, 2002, 2010))
    # Dana 47/50 -> 18.8, handed in 30 minutes late (worksheet time): -10% of 20
    assert (float(dana[col["Grade"]]), dana[col["Maximum Grade"]]) == (16.8, "20")
    assert dana[col["Feedback comments"]] == ("Part 3: see the feedback page.\n"
                                              "late penalty (10%/day): -2")
    assert float(fox[col["Grade"]]) == 2.8                    # 4.8, 10 hours late: 1 day
    assert john[col["Full name"]] == "Ann Smith" and float(john[col["Grade"]]) == 20
    assert dana[col["Email address"]] == "dana@example.org"
    stamp = dana[col["Last modified (grade)"]]
    assert stamp == "2026-12-05T14:07:00+00:00" and lms.parse_time(stamp).timestamp() == (
        now.timestamp())
    assert dana[col["Last modified (submission)"]] == "Tuesday, 1 December 2026, 11:30 PM"
    assert parse_moodle_time(dana[col["Last modified (submission)"]]) == datetime(
        2026, 12, 1, 23, 30)


def test_moodle_leaves_out_only_when_asked(klass, tmp_path):
    found, _ = klass
    roster = lms.read_roster(moodle_worksheet(tmp_path / "worksheet.csv"))
    rows = gradebook_rows(found)
    with pytest.raises(GradingError, match="no Moodle participant id for"):
        export.export(rows, "moodle", tmp_path / "m.csv", roster=roster)
    result = export.export(rows, "moodle", tmp_path / "m.csv", roster=roster,
                           allow_unmatched=True)
    assert result.written == 3 and any("left out" in w for w in result.warnings)


# --------------------------------------------------------------------------
# Plain CSV and late penalties
# --------------------------------------------------------------------------

def test_plain_csv_with_a_penalty_per_day(klass, tmp_path):
    found, _ = klass
    rows = [r for r in gradebook_rows(found) if r["lms"] in ("nbgrader", "files")]
    rows.append(dict(rows[0], student="kate", name="=HYPERLINK(\"x\")", total_score="40",
                     submitted_at="2026-12-03T00:30:00+00:00"))
    dest = tmp_path / "plain.csv"
    result = export.export(rows, "csv", dest, late_penalty="10%/day",
                           due=datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc))
    table = read_back(dest)
    assert table[0] == ["student", "name", "score", "max", "late", "penalty", "final"]
    got = {r[0]: r[1:] for r in table[1:]}
    assert got["jsmith_1"] == ["Smith, John", "50", "50", "no", "0", "50"]      # on time
    assert got["jsmith_2"] == ["Smith, Jane", "44", "50", "yes", "5", "39"]     # 10.5 h: 1 day
    assert got["kate"] == ["'=HYPERLINK(\"x\")", "40", "50", "yes", "10", "30"]  # 2 days
    assert got["eve"][3:] == ["", "0", "30"]                          # lateness unknown
    assert any("eve" in w and "frank" in w for w in result.warnings)


def test_per_day_penalty_needs_times_and_a_due_date(klass, tmp_path):
    found, _ = klass
    rows = gradebook_rows(found)
    with pytest.raises(GradingError, match="give the due date"):
        export.export(rows, "csv", tmp_path / "g.csv", late_penalty="10%/day")
    with pytest.raises(GradingError, match=r"needs the submission time.*jonesbob_1002"):
        export.export(rows, "csv", tmp_path / "g.csv", late_penalty="10%/day",
                      due="2026-12-01T23:59+00:00")
    with pytest.raises(GradingError, match="not understood"):
        export.export(rows, "csv", tmp_path / "g.csv", due="tomorrow")


def test_lateness_from_times_without_a_policy(klass, tmp_path):
    found, _ = klass
    rows = [r for r in gradebook_rows(found) if r["lms"] == "nbgrader"]
    result = export.export(rows, "csv", tmp_path / "g.csv", due="2026-12-02T00:00+00:00")
    got = {r[0]: r[4:] for r in read_back(tmp_path / "g.csv")[1:]}
    assert got == {"jsmith_1": ["no", "0", "50"], "jsmith_2": ["yes", "0", "44"]}
    assert result.warnings == []


def test_flat_penalty_uses_the_lms_flag(klass, tmp_path):
    found, _ = klass
    rows = [r for r in gradebook_rows(found) if r["lms"] == "canvas"]
    export.export(rows, "csv", tmp_path / "g.csv", late_penalty="5pt")
    got = {r[0]: r for r in read_back(tmp_path / "g.csv")[1:]}
    assert got["jonesbob_1002"][4:] == ["yes", "5", "28"]
    assert got["smithalice_1001"][4:] == ["no", "0", "41"]


def test_parse_late_penalty():
    p = export.parse_late_penalty("10%/day max 25%")
    assert (p.amount, p.unit, p.per, p.cap, p.cap_unit) == (10, "%", "day", 25, "%")
    assert p.deduction(1, 50) == 5 and p.deduction(2, 50) == 10 and p.deduction(9, 50) == 12.5
    flat = export.parse_late_penalty("2 points")
    assert (flat.unit, flat.per, flat.deduction(7, 50)) == ("points", None, 2)
    assert export.parse_late_penalty("1.5pt per hour").deduction(3, 50) == 4.5
    for bad in ("10", "ten percent", "10%/week", "-5%", ""):
        with pytest.raises(GradingError, match="not understood"):
            export.parse_late_penalty(bad)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def test_command_line_reads_the_gradebook_and_the_roster_beside_it(klass, tmp_path, capsys):
    found, _ = klass
    out = tmp_path / "grading-output"
    out.mkdir()
    rows = [r for r in gradebook_rows(found) if r["student"] != "eve"]
    with open(out / "gradebook.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    canvas_roster(out / "roster.csv")
    dest = tmp_path / "to-canvas.csv"
    code = export.main([str(out), str(dest), "--to", "canvas", "--title", "Fashion-MNIST",
                        "--assignment-id", "555", "--points", "100"])
    assert code == 0 and "9 student(s)" in capsys.readouterr().out
    assert sorted(r[1] for r in read_back(dest)[2:]) == [
        "1001", "1002", "1003", "1004", "1006", "1007", "1008", "1009", "1010"]
    rows[0]["needs_manual_grading"] = "yes"
    with open(out / "gradebook.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert export.main([str(out), str(dest), "--to", "csv"]) == 2
    assert "not graded yet" in capsys.readouterr().err
    assert export.main([str(tmp_path), str(dest), "--to", "csv"]) == 2
    assert "no gradebook.csv" in capsys.readouterr().err


def test_moodle_time_format():
    assert export.moodle_time(datetime(2026, 12, 1, 0, 5)) == "Tuesday, 1 December 2026, 12:05 AM"
    assert export.moodle_time(datetime(2026, 12, 1, 12, 0)) == "Tuesday, 1 December 2026, 12:00 PM"
    assert Path(export.__file__).name == "export.py"
