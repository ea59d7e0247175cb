"""course_lib.progress: make check finds every exercise and reads its check's verdict right."""
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_lib import progress
from course_lib.progress import FAILS, NOT_WRITTEN, PASSED

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
RAISES = ["raises-exception"]


def _cell(source="", tags=None, outputs=(), ran=True):
    cell = new_code_cell(source, outputs=list(outputs), execution_count=1 if ran else None)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _error(ename, evalue):
    return new_output("error", ename=ename, evalue=evalue, traceback=[])


def _printed(text):
    return new_output("stream", name="stdout", text=text)


def test_chapters_exist():
    assert len(CHAPTERS) >= 6


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_exercise_is_found_and_the_worked_version_passes_it(path):
    """The student chapter's exercises, judged on the worked chapter's committed outputs."""
    student = nbformat.read(path, as_version=4)
    worked = nbformat.read(ROOT / "solutions/chapters" / path.name, as_version=4)
    assert len(student.cells) == len(worked.cells)
    exercises = progress.find_exercises(student)
    placeholders = [i for i, c in enumerate(student.cells)
                    if c.cell_type == "code" and "# YOUR CODE HERE" in c.source]
    assert [e.cell for e in exercises] == placeholders
    for exercise in exercises:
        name = progress.defined_name(student.cells[exercise.cell].source)
        assert name and exercise.title.startswith(name), exercise.title
        assert exercise.check == exercise.cell + 1
        verdict = progress.judge(worked.cells[exercise.cell], worked.cells[exercise.check])
        assert verdict == (PASSED, ""), (exercise.title, verdict)


def test_titles_carry_the_label_of_the_text_above():
    titles = [e.title for e in progress.find_exercises(nbformat.read(CHAPTERS[0], as_version=4))]
    assert titles[:3] == ["conv_output_size (Exercise 1)", "conv_forward_naive (Exercise 2)",
                          "answer_1 (Question 1)"]


def test_pairs_stay_paired_when_the_student_has_written_the_code():
    nb = new_notebook(cells=[new_markdown_cell("**Exercise 1.** Write f."),
                             _cell("def f(x):\n    return 2 * x", RAISES),
                             _cell("print('x')"),
                             _cell("check(f)", RAISES),
                             new_markdown_cell("**Question 2.** How many?"),
                             _cell("answer_2 = 7", RAISES),
                             _cell("check_answer(answer_2, 7)", RAISES)])
    found = progress.find_exercises(nb)
    assert [(e.title, e.cell, e.check) for e in found] == [("f (Exercise 1)", 1, 3),
                                                           ("answer_2 (Question 2)", 5, 6)]


def test_unwritten_exercises():
    blank = _cell("def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()", RAISES)
    question = _cell("# answer_1 = your answer\nraise NotImplementedError()", RAISES,
                     [_error("NotImplementedError", "")])
    assert progress.judge(question, _cell("check_answer(answer_1, 3)", RAISES,
                                          [_error("NameError", "name 'answer_1' is not defined")])
                          ) == (NOT_WRITTEN, "")
    assert progress.judge(blank, _cell("check_f(f)", RAISES, [_error(
        "AssertionError", "check_f: f is not written yet (it raises NotImplementedError).")])
    ) == (NOT_WRITTEN, "")
    half = _cell("class Layer:\n    def forward(self, x):\n        return x", RAISES)
    assert progress.judge(half, _cell("check_layer(Layer)", RAISES, [_error(
        "AssertionError", "check_layer: backward is not written yet (it raises ...).")])
    ) == (NOT_WRITTEN, "backward is not written yet")
    assert progress.judge(blank, _cell("f(1)", RAISES, [_error("NotImplementedError", "")])
                          ) == (NOT_WRITTEN, "")


@pytest.mark.parametrize("outputs, expected", [
    ([_error("AssertionError", "check_im2col: wrong result for stride 2.\nExpected 3, got 4.")],
     "check_im2col: wrong result for stride 2.\nExpected 3, got 4."),
    ([_printed("Not yet: 44 is not it; that is without the padding.\n")],
     "Not yet: 44 is not it; that is without the padding."),
    ([_printed("Answer with a tuple of 2 numbers, not 5.\n")], "Answer with a tuple of 2 numbers"),
    ([_printed("max shortcut == Pooling layer: True\navg shortcut == Pooling layer: False\n")],
     "avg shortcut == Pooling layer: False"),
    ([_printed("your prediction (1, 2), im2col gives (200, 36): not yet, see section 2\n")],
     "not yet, see section 2"),
    ([_error("NameError", "name 'pool_2x2' is not defined")],
     "the check raised NameError: name 'pool_2x2' is not defined"),
    ([_error("KeyboardInterrupt", "")], "ran longer than a cell may"),
    ([_printed("42\n")], "42"),
])
def test_failing_checks_are_reported_with_their_message(outputs, expected):
    written = _cell("def f(x):\n    return x", RAISES)
    status, message = progress.judge(written, _cell("check(f)", RAISES, outputs))
    assert status == FAILS
    assert expected in message


def test_an_error_in_the_students_cell_is_reported_as_such():
    broken = _cell("def f(x)\n    return x", RAISES, [_error("SyntaxError", "expected ':'")])
    status, message = progress.judge(broken, _cell("check(f)", RAISES, [_error("NameError", "f")]))
    assert (status, message) == (FAILS, "your cell raised SyntaxError: expected ':'")


@pytest.mark.parametrize("text", ["check_im2col: passed (12 cases)\n", "Right: 46.\n",
                                  "your prediction 1; col2im counts 1 to 1: right\n",
                                  "max shortcut == Pooling layer: True\n"])
def test_passing_verdicts(text):
    written = _cell("def f(x):\n    return x", RAISES)
    assert progress.judge(written, _cell("check(f)", RAISES, [_printed(text)])) == (PASSED, "")


def _chapter(tmp_path, cells):
    path = tmp_path / "chapter.ipynb"
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}}), path)
    return path


def test_a_chapter_runs_in_quick_mode_down_to_its_last_check_and_is_left_unchanged(tmp_path,
                                                                                     monkeypatch):
    monkeypatch.delenv("COURSE_LIB_QUICK", raising=False)
    path = _chapter(tmp_path, [
        new_markdown_cell("# Chapter 9 — Tests"),
        _cell("from course_lib.checks import check_conv_output_size\n"
              "from course_lib import config"),
        _cell("1 / 0"),
        new_markdown_cell("**Exercise 1.** The output size."),
        _cell("def conv_output_size(H, FH, stride=1, pad=0):\n    return H - FH + 1", RAISES),
        _cell("check_conv_output_size(conv_output_size)", RAISES),
        _cell("def mode():\n    return config.is_quick()", RAISES),
        _cell("print('quick mode:', mode())", RAISES),
        _cell("open('ran-too-far.txt', 'w').write('x')"),
    ])
    before = path.read_bytes()
    report = progress.run_chapter(path, timeout=60)
    assert path.read_bytes() == before
    assert not (tmp_path / "ran-too-far.txt").exists(), "cells after the last check must not run"
    assert report.title == "Chapter 9 — Tests" and not report.problem
    (size, mode) = report.results
    assert size.exercise.title == "conv_output_size (Exercise 1)" and size.status == FAILS
    assert "check_conv_output_size: wrong result" in size.message
    assert (mode.status, mode.message) == (PASSED, ""), "the kernel runs in quick mode"
    assert report.other_errors == [("1 / 0", "ZeroDivisionError: division by zero")]
    text = "\n".join(progress.format_chapter(report))
    assert "conv_output_size (Exercise 1)" in text and "1 of 2 passed, 1 failing" in text
    assert "`1 / 0`" in text


def test_main_reports_and_refuses_clearly(tmp_path, capsys):
    assert progress.main([str(tmp_path / "missing.ipynb")]) == 2
    assert "is not a notebook (.ipynb) or a folder of notebooks" in capsys.readouterr().err
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert progress.main([str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert "could not be run: it cannot be read as a notebook" in out
    assert "broken.ipynb could not be run" in out


def test_summary_names_what_to_do_next(tmp_path):
    exercise = progress.Exercise("f (Exercise 1)", 1, 2)
    other = progress.Exercise("g (Exercise 2)", 3, 4)
    report = progress.ChapterReport(tmp_path / "01_x.ipynb", "Chapter 1", [
        progress.Result(exercise, PASSED), progress.Result(other, NOT_WRITTEN)])
    assert progress.summary([report]) == [
        "In all: 1 of 2 exercises pass their checks, 0 failing, 1 not written yet.",
        "Next: g (Exercise 2) in 01_x.ipynb."]
    report.results[1] = progress.Result(other, FAILS, "wrong")
    assert progress.summary([report])[1].startswith("Next: fix g (Exercise 2) in 01_x.ipynb")
    report.results[1] = progress.Result(other, PASSED)
    assert progress.summary([report])[1] == "Every exercise passes its check. Well done!"
