"""Finding submissions in LMS exports (course_grader.lms): identities, attempts, rosters.

A realistic mixed class is built in a temporary folder: Canvas files with a
resubmission (notebook and model file both renamed ``-1`` by Canvas), a late
file and two students with the same name; Moodle folders; nbgrader's
``submitted/`` tree with ``jsmith_1`` and ``jsmith_2``; plain files; a folder
holding two notebooks; junk, hidden files and a symbolic link.
"""
import csv
import os
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import nbformat.v4 as v4
import pytest

from course_grader import lms
from course_grader.submissions import GradingError

MODEL = "fashion_mnist_model.npz"
T0 = 1_790_000_000                       # file times: T0 + seconds


def notebook(path, marker, when=0):
    """A small notebook whose first cell says ``marker``, modified at ``T0 + when``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = v4.new_notebook(cells=[v4.new_code_cell(f"# {marker}")])
    nbformat.write(nb, path)
    os.utime(path, (T0 + when, T0 + when))
    return path


def blob(path, data=b"model", when=0):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (T0 + when, T0 + when))
    return path


def marker(path):
    return nbformat.read(path, as_version=4).cells[0].source


def build_class(root):
    """The mixed class described in the module docstring; returns ``root``."""
    root = Path(root)
    # Canvas: Alice resubmitted (both files renamed -1 by Canvas); Bob was late;
    # two different students both called Chris Lee; Jane handed in text only.
    notebook(root / "smithalice_1001_5001_fashion_mnist.ipynb", "alice attempt 1", 10)
    blob(root / "smithalice_1001_5002_fashion_mnist_model.npz", b"alice model 1", 10)
    notebook(root / "smithalice_1001_6001_fashion_mnist-1.ipynb", "alice attempt 2", 20)
    blob(root / "smithalice_1001_6002_fashion_mnist_model-1.npz", b"alice model 2", 20)
    notebook(root / "jonesbob_LATE_1002_5101_fashion_mnist.ipynb", "bob", 30)
    blob(root / "jonesbob_LATE_1002_5102_fashion_mnist_model.npz", b"bob model", 30)
    notebook(root / "leechris_1003_5201_fashion_mnist.ipynb", "chris 1003", 40)
    notebook(root / "leechris_1004_5301_fashion_mnist.ipynb", "chris 1004", 40)
    blob(root / "doejane_1005_text.html", b"<p>my answer</p>")
    # Moodle: a file folder and an online-text folder for Dana; Fox's notebook
    # sits in a sub-folder of a folder named without the trailing underscore.
    dana = root / "Dana Scully_2001_assignsubmission_file_"
    notebook(dana / "fashion_mnist.ipynb", "dana", 50)
    blob(dana / MODEL, b"dana model", 50)
    blob(root / "Dana Scully_2001_assignsubmission_onlinetext_" / "onlinetext.html", b"<p>")
    notebook(root / "Fox Mulder_2002_assignsubmission_file" / "work" / "fashion_mnist.ipynb",
             "fox", 60)
    # nbgrader: two students whose ids differ only by a number
    for sid, stamp in (("jsmith_1", "2026-12-01 22:00:00.000000 UTC"),
                       ("jsmith_2", "2026-12-02 10:30:00.000000 UTC")):
        sub = root / "submitted" / sid / "fashion_mnist"
        notebook(sub / "fashion_mnist.ipynb", sid, 70)
        (sub / "timestamp.txt").write_text(stamp)
    blob(root / "submitted" / "jsmith_2" / "fashion_mnist" / MODEL, b"jsmith_2 model")
    # plain files: a notebook with its model beside it; a folder with two
    # notebooks, the newer one not named fashion_mnist.ipynb
    notebook(root / "eve.ipynb", "eve", 80)
    blob(root / f"eve_{MODEL}", b"eve model", 80)
    notebook(root / "frank" / "fashion_mnist.ipynb", "frank old", 90)
    notebook(root / "frank" / "fashion_mnist_final.ipynb", "frank new", 95)
    blob(root / "frank" / "plot.png", b"png")
    # things never graded
    notebook(root / ".hidden.ipynb", "hidden")
    (root / "link.ipynb").symlink_to(root / "eve.ipynb")
    blob(root / "__MACOSX" / "._eve.ipynb", b"junk")
    blob(root / ".DS_Store", b"junk")
    blob(root / "frank" / ".ipynb_checkpoints" / "x.ipynb", b"{}")
    return root


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    return build_class(tmp_path_factory.mktemp("class"))


@pytest.fixture(scope="module")
def found(klass):
    return lms.discover(klass)


def by_id(discovery):
    return {f.student: f for f in discovery.submissions}


# --------------------------------------------------------------------------
# Layouts and identities
# --------------------------------------------------------------------------

def test_every_student_is_found_once_with_a_stable_id(found):
    assert sorted(by_id(found)) == sorted([
        "smithalice_1001", "jonesbob_1002", "leechris_1003", "leechris_1004",
        "Dana_Scully_2001", "Fox_Mulder_2002", "jsmith_1", "jsmith_2", "eve", "frank"])
    assert [f.student for f in found.submissions] == sorted(f.student for f in found.submissions)
    assert found.report == []


def test_canvas_resubmission_keeps_its_files_together(found):
    alice = by_id(found)["smithalice_1001"]
    assert (alice.lms, alice.lms_user_id, alice.attempt, alice.late) == ("canvas", "1001", 2,
                                                                          False)
    assert marker(alice.notebook) == "# alice attempt 2"
    assert alice.attachments[MODEL].read_bytes() == b"alice model 2"
    earlier = [e for e in found.earlier if e.student == "smithalice_1001"]
    assert len(earlier) == 1 and earlier[0].attempt == 1
    assert marker(earlier[0].notebook) == "# alice attempt 1"
    assert earlier[0].attachments[MODEL].read_bytes() == b"alice model 1"


def test_canvas_late_flag_and_same_names(found):
    ids = by_id(found)
    bob = ids["jonesbob_1002"]
    assert bob.late is True and bob.attachments[MODEL].read_bytes() == b"bob model"
    chris = [ids["leechris_1003"], ids["leechris_1004"]]
    assert [c.lms_user_id for c in chris] == ["1003", "1004"]
    assert [marker(c.notebook) for c in chris] == ["# chris 1003", "# chris 1004"]
    assert all(c.attachments == {} for c in chris)
    assert any("doejane_1005_text.html" in m for m in found.ignored)


def test_moodle_folders(found):
    ids = by_id(found)
    dana, fox = ids["Dana_Scully_2001"], ids["Fox_Mulder_2002"]
    assert (dana.lms, dana.name, dana.lms_user_id) == ("moodle", "Dana Scully", "2001")
    assert dana.attachments[MODEL].read_bytes() == b"dana model"
    assert (fox.name, fox.lms_user_id, marker(fox.notebook)) == ("Fox Mulder", "2002", "# fox")
    assert dana.late is None and dana.submitted_at is None
    assert any("onlinetext" in m for m in found.ignored)


def test_moodle_flat_files(tmp_path):
    """Moodle's download with "download as folders" off: the prefix is on each file."""
    prefix = "Walter Skinner_2003_assignsubmission_file_"
    notebook(tmp_path / f"{prefix}fashion_mnist.ipynb", "walter")
    blob(tmp_path / f"{prefix}{MODEL}", b"walter model")
    (w,) = lms.discover(tmp_path).submissions
    assert (w.student, w.lms, w.lms_user_id, w.name) == ("Walter_Skinner_2003", "moodle",
                                                          "2003", "Walter Skinner")
    assert w.attachments[MODEL].read_bytes() == b"walter model"


def test_nbgrader_ids_are_the_folder_names_verbatim(found):
    ids = by_id(found)
    one, two = ids["jsmith_1"], ids["jsmith_2"]
    assert (one.lms, two.lms) == ("nbgrader", "nbgrader")
    assert marker(one.notebook) == "# jsmith_1" and marker(two.notebook) == "# jsmith_2"
    assert one.submitted_at == datetime(2026, 12, 1, 22, 0, tzinfo=timezone.utc)
    assert two.submitted_at == datetime(2026, 12, 2, 10, 30, tzinfo=timezone.utc)
    assert MODEL not in one.attachments and two.attachments[MODEL].name == MODEL


def test_nbgrader_id_is_not_rewritten(tmp_path):
    sub = tmp_path / "submitted" / "mary o'neil" / "fashion_mnist"
    notebook(sub / "fashion_mnist.ipynb", "mary")
    (sub / "timestamp.txt").write_text("2026-12-01 12:00:00.000000 UTC")
    notebook(tmp_path / "submitted" / "tom" / "other_assignment" / "x.ipynb", "tom")
    d = lms.discover(tmp_path)
    assert [f.student for f in d.submissions] == ["mary o'neil"]
    assert any("submitted/tom" in m and "fashion_mnist/" in m for m in d.ignored)


def test_plain_files_and_the_newest_notebook_of_a_folder(found):
    ids = by_id(found)
    eve, frank = ids["eve"], ids["frank"]
    assert eve.lms == "files" and eve.attachments[MODEL].read_bytes() == b"eve model"
    assert marker(frank.notebook) == "# frank new"               # newer, though not so named
    assert any("fashion_mnist.ipynb" in n and "older" in n for n in frank.notes)
    assert any(m.startswith("frank/fashion_mnist.ipynb") and "older" in m for m in found.ignored)
    assert any("frank/" in m and "plot.png" in m for m in found.ignored)


def test_links_hidden_files_and_junk(found):
    text = "\n".join(found.ignored)
    assert "link.ipynb: a symbolic link, refused" in text
    assert ".hidden.ipynb: a hidden name" in text
    assert "__MACOSX" not in text and ".DS_Store" not in text and "checkpoints" not in text
    assert all(f.notebook.name != "link.ipynb" for f in found.submissions)


def test_two_submissions_for_one_id_stay_two_rows(tmp_path):
    notebook(tmp_path / "grace.ipynb", "first", 1)
    notebook(tmp_path / "Grace (1).ipynb", "second", 2)
    d = lms.discover(tmp_path)
    assert sorted(f.student for f in d.submissions) == ["Grace", "grace__2"]
    assert len(d.report) == 1 and "decide which one counts" in d.report[0]
    assert all("decide" not in n for f in d.submissions for n in f.notes)   # not for students


def test_canvas_attempt_order_follows_the_upload_not_the_name(tmp_path):
    """The newest upload counts even when the student renamed the notebook; a model
    file uploaded under another name goes with the attempt it was uploaded with."""
    notebook(tmp_path / "kimlee_77_100_fashion_mnist.ipynb", "one")
    blob(tmp_path / "kimlee_77_101_fashion_mnist_model.npz", b"m1")
    notebook(tmp_path / "kimlee_77_200_fashion_mnist-1.ipynb", "two")
    notebook(tmp_path / "kimlee_late_77_300_final.ipynb", "three")
    blob(tmp_path / "kimlee_late_77_301_fashion_mnist_model-1.npz", b"m3")
    blob(tmp_path / "kimlee_late_77_302_readme.txt", b"hello")
    d = lms.discover(tmp_path)
    assert d.ignored == ["kimlee_late_77_302_readme.txt: Canvas user 77 (kimlee): not a notebook "
                         "and not a file the assignment asks for with one of its notebooks; "
                         "not graded"]
    (kim,) = d.submissions
    assert (kim.attempt, kim.late, marker(kim.notebook)) == (3, True, "# three")
    assert kim.attachments[MODEL].read_bytes() == b"m3"
    assert any("final.ipynb" in n for n in kim.notes)
    assert len(d.report) == 1 and "kimlee_77" in d.report[0]
    first, second = d.earlier
    assert first.attachments[MODEL].read_bytes() == b"m1"
    assert second.attachments == {}           # attempt 2 handed in no model file


def test_canvas_names_old_style_and_anonymous(tmp_path):
    notebook(tmp_path / "smith--alice-late_12_34_fashion_mnist.ipynb", "old style")
    notebook(tmp_path / "56_78_fashion_mnist.ipynb", "anonymous")
    d = by_id(lms.discover(tmp_path))
    assert d["smith--alice_12"].late is True and d["smith--alice_12"].lms_user_id == "12"
    assert d["canvas_56"].lms_user_id == "56" and d["canvas_56"].late is False


def test_plain_folder_with_assignment_subfolder_without_timestamp(tmp_path):
    notebook(tmp_path / "Ann Lee" / "fashion_mnist" / "fashion_mnist.ipynb", "ann")
    (f,) = lms.discover(tmp_path).submissions
    assert (f.student, f.lms, f.submitted_at) == ("Ann_Lee", "files", None)


def test_not_a_folder_is_a_clear_error(tmp_path):
    with pytest.raises(GradingError, match="not a folder"):
        lms.discover(tmp_path / "missing.zip")


def test_parse_time():
    assert lms.parse_time("2026-12-01 23:59:00.000000 UTC") == datetime(
        2026, 12, 1, 23, 59, tzinfo=timezone.utc)
    plus = lms.parse_time("2026-12-01 23:59:00 +0100")
    assert plus.utcoffset().total_seconds() == 3600
    assert lms.parse_time("2026-12-01T23:59").tzinfo is None
    assert lms.parse_time("yesterday") is None


# --------------------------------------------------------------------------
# Rosters
# --------------------------------------------------------------------------

def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def canvas_roster(path):
    """Canvas's gradebook export for the class: Max Missing handed nothing in; Eve is not
    on it; the nbgrader students are known by their SIS login, Moodle's by name."""
    return write_csv(path, [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Fashion-MNIST (555)"],
        ["    Points Possible", "", "", "", "", "50"],
        ["Smith, Alice", "1001", "S1", "asmith", "Sec A", ""],
        ["Jones, Bob", "1002", "S2", "bjones", "Sec A", ""],
        ["Lee, Chris", "1003", "S3", "clee1", "Sec A", ""],
        ["Lee, Chris", "1004", "S4", "clee2", "Sec B", ""],
        ["Scully, Dana", "1006", "S6", "dscully", "Sec B", ""],
        ["Mulder, Fox", "1007", "S7", "fmulder", "Sec B", ""],
        ["Smith, John", "1008", "S8", "jsmith_1", "Sec A", ""],
        ["Smith, Jane", "1009", "S9", "jsmith_2", "Sec A", ""],
        ["Frank, Frank", "1010", "S10", "frank", "Sec B", ""],
        ["Missing, Max", "1011", "S11", "mmissing", "Sec B", ""],
        ["Student, Test", "1099", "", "", "Sec A", ""],
    ])


def test_canvas_roster_names_everyone_and_reports_missing_and_unknown(klass, tmp_path):
    roster = lms.read_roster(canvas_roster(tmp_path / "roster.csv"))
    assert roster.kind == "canvas" and len(roster.entries) == 10        # no test student
    d = lms.discover(klass, roster=roster)
    ids = by_id(d)
    assert ids["smithalice_1001"].name == "Smith, Alice"
    assert [ids["leechris_1003"].name, ids["leechris_1004"].name] == ["Lee, Chris"] * 2
    assert ids["Dana_Scully_2001"].name == "Dana Scully"                 # the export's own
    assert (ids["jsmith_1"].name, ids["jsmith_2"].name) == ("Smith, John", "Smith, Jane")
    rep = d.roster_report
    assert [e.name for e in rep.missing] == ["Missing, Max"]
    assert rep.unknown == ["eve"] and rep.problems == []
    text = "\n".join(rep.lines())
    assert "Missing, Max" in text and "not on the roster: eve" in text


def test_moodle_worksheet_roster_gives_submission_times(klass, tmp_path):
    path = write_csv(tmp_path / "worksheet.csv", [
        lms_cols := ["Identifier", "Full name", "Email address", "Status", "Grade",
                     "Maximum Grade", "Grade can be changed", "Last modified (submission)",
                     "Last modified (grade)", "Feedback comments"],
        ["Participant 2001", "Dana Scully", "dana@example.org", "Submitted for grading", "",
         "100.00", "Yes", "Tuesday, 1 December 2026, 11:30 PM", "-", ""],
        ["Participant 2002", "Fox Mulder", "fox@example.org", "Submitted for grading", "",
         "100.00", "Yes", "Wednesday, 2 December 2026, 9:05 AM", "-", ""],
        ["Participant 2003", "Walter Skinner", "ws@example.org", "No submission", "",
         "100.00", "Yes", "-", "-", ""],
    ])
    assert len(lms_cols) == 10
    d = lms.discover(klass, roster=path)
    ids = by_id(d)
    assert ids["Fox_Mulder_2002"].submitted_at == datetime(2026, 12, 2, 9, 5)
    assert ids["Dana_Scully_2001"].submitted_at == datetime(2026, 12, 1, 23, 30)
    assert [e.name for e in d.roster_report.missing] == ["Walter Skinner"]
    assert "eve" in d.roster_report.unknown and "smithalice_1001" in d.roster_report.unknown


def test_plain_roster_with_ambiguous_names(tmp_path):
    notebook(tmp_path / "leechris_1_10_fashion_mnist.ipynb", "a")
    path = write_csv(tmp_path / "r.csv", [["student", "name"], ["cl1", "Chris Lee"],
                                          ["cl2", "Lee, Chris"]])
    d = lms.discover(tmp_path, roster=path)
    assert d.roster_report.unknown == ["leechris_1"]
    assert "several roster students" in d.roster_report.problems[0]


def test_roster_errors_are_clear(tmp_path):
    with pytest.raises(GradingError, match="not a roster"):
        lms.read_roster(write_csv(tmp_path / "a.csv", [["who", "points"], ["x", "1"]]))
    bad = tmp_path / "b.csv"
    bad.write_bytes("student,name\nx,Ren\xe9\n".encode("latin-1"))
    with pytest.raises(GradingError, match="CSV UTF-8"):
        lms.read_roster(bad)
    with pytest.raises(GradingError, match="no students"):
        lms.read_roster(write_csv(tmp_path / "c.csv", [["student", "name"]]))


def test_semicolon_roster_from_a_spreadsheet(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("\ufeffstudent;name\njsmith_1;John Smith\n", encoding="utf-8")
    roster = lms.read_roster(path)
    assert [(e.student, e.name) for e in roster.entries] == [("jsmith_1", "John Smith")]


def test_name_keys():
    assert lms.name_keys("Smith, Alice") & lms.name_keys("Alice Smith")
    assert "smithalice" in lms.name_keys("smithalice") & lms.name_keys("Smith, Alice")
    assert not lms.name_keys("Smith, Alice") & lms.name_keys("Smith, Alina")
