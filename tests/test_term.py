"""An instructor's term, end to end: from the LMS's exports to a file Canvas imports.

A class of 18 hands in through three systems at once - Canvas (files as Canvas's "Download
submissions" names them, two resubmissions, two late uploads), Moodle (its folders) and
nbgrader (its exchange) - with a Canvas roster that lists one student who handed in nothing.
The class is graded in two shards with one secret, the written answers are graded by hand in
the sheets of both shards, the shards are merged, and the Canvas gradebook file is exported
with a late penalty. Every score in it is checked against what each student's code and
written answers earn.
"""
import copy
import csv
import shutil

import nbformat
import pytest

from conftest import require_data
from course_grader import cli, gradebook
from test_grading import RELEASE, SOLUTION, SOLUTIONS, _cell, _solved, require_sandbox

pytestmark = pytest.mark.grading

MODEL = SOLUTION.parent / "fashion_mnist_model.npz"
# what a submission holds -> its autograded points (41 in all; 8 of them from the model file)
KINDS = {"complete": 33, "complete+model": 41, "blank": 0, "no_confused+model": 38}
WRITTEN = {"answer_deeper": 2.5, "answer_harder": 1}


CLASS = 18


def _people():
    """(system, name, LMS id, login, kind): 8 on Canvas, 5 on Moodle, 5 on nbgrader."""
    kinds = list(KINDS)
    people = []
    for i in range(CLASS):
        system = "canvas" if i < 8 else "moodle" if i < 13 else "nbgrader"
        people.append((system, f"Student{i:02d} Family{i:02d}", str(3000 + i), f"s{i:02d}",
                       kinds[i % len(kinds)]))
    return people


def _notebook(kind, release, solved):
    if kind == "blank":
        return release
    nb = copy.deepcopy(solved)
    if kind.startswith("no_confused"):
        _cell(nb, "most_confused").source = _cell(release, "most_confused").source
    for gid in WRITTEN:
        _cell(nb, gid).source = f"My answer to {gid}: $x^2$ grows."
    return nb


def _write_class(folder):
    release = nbformat.read(RELEASE, as_version=4)
    solved = _solved(release, nbformat.read(SOLUTION, as_version=4))
    expected = {}
    for n, (system, name, uid, login, kind) in enumerate(_people()):
        nb = _notebook(kind, release, solved)
        first, last = name.split()
        if system == "canvas":
            sortable = f"{last}{first}".lower()
            late = "_late" if n in (1, 5) else ""
            stem = f"{sortable}{late}_{uid}"
            if n in (2, 6):                 # a blank first attempt, then the real one
                nbformat.write(release, folder / f"{stem}_{8000 + n}_fashion_mnist.ipynb")
                nbformat.write(nb, folder / f"{stem}_{9000 + n}_fashion_mnist-1.ipynb")
                if kind.endswith("model"):
                    shutil.copyfile(MODEL, folder / f"{stem}_{9100 + n}_fashion_mnist_model-1.npz")
            else:
                nbformat.write(nb, folder / f"{stem}_{8000 + n}_fashion_mnist.ipynb")
                if kind.endswith("model"):
                    shutil.copyfile(MODEL, folder / f"{stem}_{8100 + n}_fashion_mnist_model.npz")
        elif system == "moodle":
            sub = folder / f"{name}_{uid}_assignsubmission_file_"
            sub.mkdir()
            nbformat.write(nb, sub / "fashion_mnist.ipynb")
            if kind.endswith("model"):
                shutil.copyfile(MODEL, sub / MODEL.name)
        else:
            sub = folder / "submitted" / login / "fashion_mnist"
            sub.mkdir(parents=True)
            nbformat.write(nb, sub / "fashion_mnist.ipynb")
            (sub / "timestamp.txt").write_text("2026-11-30 10:00:00.000000 UTC")
            if kind.endswith("model"):
                shutil.copyfile(MODEL, sub / MODEL.name)
        written = sum(WRITTEN.values()) if kind != "blank" else 0.0
        expected[uid] = (KINDS[kind], written, n in (1, 5))
    return expected


def _roster(path):
    """The Canvas gradebook export: every student of the class, and one more."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                    "Fashion-MNIST (77)"])
        w.writerow(["    Points Possible", "", "", "", "", "47"])
        for _, name, uid, login, _ in _people():
            first, last = name.split()
            w.writerow([f"{last}, {first}", uid, f"S{uid}", login, "A", ""])
        w.writerow(["Zeta, Zack", "3999", "S3999", "zz", "A", ""])
    return path


def _grade_written(out):
    """Fill in every written answer of the class, as the instructor does in the sheets."""
    for gid, points in WRITTEN.items():
        sheet = out / "written" / f"{gid}.csv"
        rows = gradebook.read(sheet)
        for r in rows:
            r["points"] = "0" if "answer" not in _answer(out, r["student"], gid) else str(points)
            r["comment"] = "Read the rubric." if r["points"] == "0" else "Good."
        with open(sheet, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=["student", "name", "points", "comment"])
            w.writeheader()
            w.writerows(rows)


def _answer(out, student, gid):
    import json
    record = json.loads((out / "records" / f"{student}.json").read_text(encoding="utf-8"))
    return record["written_answers"].get(gid, "")


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    require_data("fashion-mnist")
    base = tmp_path_factory.mktemp("term")
    require_sandbox(base)
    subs = base / "export"
    subs.mkdir()
    expected = _write_class(subs)
    roster = _roster(base / "roster.csv")
    (base / "secret").write_text("a secret the two shards share, 32+ chars")
    outs = []
    for k in (1, 2):
        out = base / f"out-{k}"
        assert cli.main([str(subs), "--out", str(out), "--shard", f"{k}/2", "--roster", str(roster),
                         "--secret-file", str(base / "secret"), "--source", str(SOLUTIONS),
                         "--cell-timeout=60"]) == 0
        _grade_written(out)
        outs.append(out)
    merged = base / "all"
    assert cli.main(["merge", *map(str, outs), "--out", str(merged),
                     "--source", str(SOLUTIONS)]) == 0
    shutil.copyfile(roster, merged / "roster.csv")
    canvas = base / "canvas-import.csv"
    assert cli.main(["export", str(merged), str(canvas), "--to", "canvas", "--title",
                     "Fashion-MNIST", "--assignment-id", "77", "--points", "47",
                     "--late-penalty", "10%"]) == 0
    with open(canvas, newline="", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    return {"expected": expected, "table": table, "merged": merged,
            "report": (merged / "report.md").read_text(encoding="utf-8"),
            "shard_report": (outs[0] / "report.md").read_text(encoding="utf-8")}


def test_every_score_in_the_canvas_file_is_right(term):
    header, points, body = term["table"][0], term["table"][1], term["table"][2:]
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                      "Fashion-MNIST (77)"]
    assert "Points Possible" in points[0] and points[5] == "47"
    got = {row[1]: float(row[5]) for row in body}
    want = {uid: round(max(auto + written - (4.7 if late else 0), 0), 2)
            for uid, (auto, written, late) in term["expected"].items()}
    assert got == want


def test_resubmissions_and_late_files_are_kept_apart(term):
    rows = {r["lms_user_id"]: r for r in gradebook.read(term["merged"] / "gradebook.csv")
            if r["lms"] == "canvas"}
    assert rows["3002"]["attempt"] == "2" and rows["3006"]["attempt"] == "2"
    assert rows["3001"]["late"] == "yes" and rows["3000"]["late"] == "no"
    assert "attempt 1" in term["report"]                  # the earlier attempt is listed


def test_the_roster_names_the_missing_student(term):
    assert "Zeta, Zack" in term["shard_report"] and "no submission" in term["shard_report"]


def test_written_points_and_comments_reach_the_students(term):
    page = (term["merged"] / "feedback").glob("*.html")
    texts = [p.read_text(encoding="utf-8") for p in page]
    answered = sum(kind != "blank" for *_, kind in _people())
    assert len(texts) == CLASS and sum("Good." in t for t in texts) == answered
    assert all("not graded yet" not in t for t in texts)
