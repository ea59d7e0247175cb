"""Code similarity (course_grader.similarity) and the corpus of Fashion-MNIST answer cells it is
measured on (tests/assignment_corpus).

The corpus holds honest answers written independently of one another and typical wrong ones;
tests/test_assignment_corpus.py runs each through the notebook's and the grader's checks to
show it is what its header says.  The similarity tests use the honest answers as a class: no
pair of them may be
flagged, while a renamed copy of a classmate's answer, the course's own code handed in, and two
submissions that launder the course's implementations must rank at the top.  Run with ``-s`` to
see the measured figures.
"""
import importlib.util
import json
from pathlib import Path

import pytest

from course_grader import laundering, similarity
from course_grader.similarity_report import page, render_code

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "tests" / "assignment_corpus"
PLANTED = CORPUS_DIR / "planted"
_spec = importlib.util.spec_from_file_location("assignment_corpus", CORPUS_DIR / "corpus.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

BIG_CELLS = ("im2col_col2im", "convolution", "max_pool")
RELEASE = json.loads((ROOT / "assignments" / "fashion_mnist" / "fashion_mnist.ipynb").read_text())
GIVEN = similarity.given_code(RELEASE)
REFERENCES = similarity.course_references(sorted((ROOT / "solutions" / "chapters").glob("*.ipynb")))


def honest(cell):
    return [v for v in corpus.variants(cell) if v.honest]


def honest_class():
    """``{student: {cell: source}}``: student i hands in the i-th honest answer of every cell
    (cells with fewer answers: the first students only), and ``{(student, cell): variant}``."""
    answers, names = {}, {}
    for cell in corpus.CELLS:
        for i, v in enumerate(honest(cell)):
            answers.setdefault(f"student{i:02d}", {})[cell] = v.source
            names[(f"student{i:02d}", cell)] = v.name
    return answers, names


def planted(student):
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((PLANTED / student).glob("*.py"))}


def compare(answers, **kw):
    return similarity.compare(answers, REFERENCES, boilerplate=GIVEN, **kw)


# --------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------


def test_corpus_has_the_answers_the_measurements_need():
    counts = {cell: len(honest(cell)) for cell in corpus.CELLS}
    wrong = [v for v in corpus.variants() if not v.honest]
    assert all(counts[c] >= 30 for c in BIG_CELLS), counts
    assert all(n >= 8 for n in counts.values()), counts
    assert len(wrong) >= 40, len(wrong)
    loops = [v for v in wrong if v.name.startswith("loops_")]
    assert {v.cell for v in loops} >= {"im2col_col2im", "max_pool"}, "loop-rule violations missing"
    with pytest.raises(ValueError, match="first line"):
        corpus.load(PLANTED / "renamed_copy" / "convolution.py")       # no header: not a variant


# --------------------------------------------------------------------------
# Normalising and fingerprints
# --------------------------------------------------------------------------

def test_names_comments_docstrings_and_literals_do_not_count():
    a = 'def f(x, n):\n    """Doc."""\n    y = np.pad(x, n)  # pad\n    return y.reshape(2, -1)\n'
    b = "def g(img, p):\n    # a comment\n    out = np.pad(img, p)\n\n    return out.reshape(5, -1)"
    assert [t.text for t in similarity.normalise(a)] == [t.text for t in similarity.normalise(b)]
    c = "def f(x, n):\n    y = np.zeros(x, n)\n    return y.reshape(2, -1)\n"
    assert [t.text for t in similarity.normalise(a)] != [t.text for t in similarity.normalise(c)], \
        "NumPy's function names must stay: renaming cannot change them"
    assert [t.text for t in similarity.normalise("self.col.T")] == ["N", ".", "T", ";"]
    assert similarity.normalise("x = (1,\n") != [], "code that does not tokenise keeps its start"


def test_winnowing_finds_every_long_shared_run():
    """Any run of K + WINDOW - 1 tokens inside a statement that two sources share gives them
    a common fingerprint (the winnowing guarantee), whatever surrounds it."""
    import random

    rng = random.Random(3)
    words = ["a", "b", "(", ")", "+", "*", "[", "]", ",", "np.sum", "np.dot", "x.T", "1"]
    length = similarity.K + similarity.WINDOW - 1
    for _ in range(200):
        shared = " ".join(rng.choice(words) for _ in range(length))
        left = " ".join(rng.choice(words) for _ in range(rng.randrange(0, 12)))
        right = " ".join(rng.choice(words) for _ in range(rng.randrange(0, 12)))
        one = similarity.Document(f"{left} {shared} {right}\n")
        two = similarity.Document(f"{right} {left} {shared}\n")
        assert set(one.prints) & set(two.prints), shared


def test_given_code_includes_the_hints_of_the_text():
    snippets = similarity.given_code(RELEASE)
    assert any("check_im2col(im2col)" in s for s in snippets)             # a code cell
    assert "col_W = W.reshape(FN, -1).T" in snippets                      # a hint in the text


# --------------------------------------------------------------------------
# (a) pairs
# --------------------------------------------------------------------------

def test_independently_written_answers_make_no_flagged_pair():
    answers, names = honest_class()
    result = compare(answers)
    for cell in corpus.CELLS:
        top = result.pairs[cell][0]
        print(f"{cell}: {result.stats[cell].students} answers, highest honest pair "
              f"{top.score:.3f} ({names[(top.a, cell)]} / {names[(top.b, cell)]}), "
              f"threshold {result.stats[cell].threshold:.2f}")
    assert result.flagged_pairs() == []
    assert all(result.stats[c].students >= 30 for c in BIG_CELLS)


@pytest.mark.parametrize("cell", BIG_CELLS)
def test_a_renamed_copy_of_a_classmate_tops_its_cell(cell):
    answers, names = honest_class()
    answers["copier"] = {cell: planted("renamed_copy")[cell]}
    result = compare(answers)
    top, second = result.pairs[cell][0], result.pairs[cell][1]
    original = top.a if top.b == "copier" else top.b
    assert "copier" in (top.a, top.b) and top.flagged
    assert result.flagged_pairs(cell) == [top], "only the copy is flagged"
    honest_max = max(p.score for p in result.pairs[cell] if "copier" not in (p.a, p.b))
    print(f"{cell}: renamed copy of {names[(original, cell)]} scores {top.score:.3f}; "
          f"highest honest pair {honest_max:.3f}; next pair {second.score:.3f}")
    assert top.score >= similarity.PAIR_FLOOR > honest_max


# --------------------------------------------------------------------------
# (b) course code, laundering and evidence
# --------------------------------------------------------------------------

def test_laundering_submissions_and_course_copies_top_part_b():
    answers, names = honest_class()
    for student in ("launder_patch", "launder_copytree", "course_copy", "chapter_copy"):
        answers[student] = planted(student)
    result = compare(answers)
    ranked = [f.student for f in result.findings()]
    print("part (b):", ranked)
    assert set(ranked[:2]) == {"launder_patch", "launder_copytree"}
    assert sorted(ranked[2:]) == ["chapter_copy", "course_copy"]
    matches = {m.student: m for m in result.course if m.flagged}
    assert matches["course_copy"].reference == "course_lib/functional.py"
    assert matches["chapter_copy"].reference == "chapter 02_im2col.ipynb"
    honest_best = max(m.score for m in result.course if m.student.startswith("student"))
    print(f"course copy {matches['course_copy'].score:.3f}, chapter copy "
          f"{matches['chapter_copy'].score:.3f}, highest honest answer {honest_best:.3f} "
          f"(bar {similarity.COURSE_FLOOR})")
    assert honest_best < similarity.COURSE_FLOOR
    for student in ("launder_patch", "launder_copytree"):
        high = [s for s in result.signals[student] if s.severity == "high"]
        assert {s.cell for s in high} >= set(BIG_CELLS), (student, high)


def test_honest_answers_carry_no_laundering_signal():
    for v in corpus.variants():
        if v.honest:
            assert laundering.scan({v.cell: v.source}) == [], f"{v.cell}/{v.name}"


@pytest.mark.parametrize("code, expected", [
    ("import course_lib.naive as n", "imports course_lib.naive"),
    ("from course_lib import functional as f", "imports course_lib.functional"),
    ("from course_lib.layers import Pooling", "imports course_lib.layers.Pooling"),
    ("import course_lib.layers as L\ny = L.Convolution(W, b)",
     "uses course_lib.layers.Convolution"),
    ("m = __import__('course' + '_lib.fast', fromlist=['x'])", "builds 'course_lib' from pieces"),
    ("import importlib\nm = importlib.import_module(''.join(['cour', 'se_lib']))",
     "import_module of 'course_lib'"),
    ("name = f\"{'course'}_lib\"\nimport importlib\nimportlib.import_module(name)",
     "import_module of 'course_lib'"),
    ("m = __import__(''.join(map(chr, [99, 111, 117, 114, 115, 101, 95, 108, 105, 98])))",
     "__import__ of 'course_lib'"),
    ("import sys\nf = sys.modules['course_lib.functional']", "uses sys.modules"),
    ("g = getattr(m, 'Pool' + 'ing')", "getattr(..., 'Pooling') (a name built from pieces)"),
    ("g = getattr(m, name)", "getattr with a computed attribute name"),
    ("import course_grader.probe as p\np.forbid_calls = None", "replaces p.forbid_calls"),
    ("setattr(probe, 'forbid_' + 'calls', None)", "setattr(..., 'forbid_calls')"),
    ("f.__code__ = g.__code__", "replaces f.__code__"),
    ("def check_im2col(f):\n    pass", "redefines check_im2col"),
    ("np.allclose = lambda *a, **k: True", "replaces np.allclose in the module numpy"),
    ("import sys\nsys.settrace(None)", "calls settrace"),
    ("import shutil\nshutil.copytree(a, b)", "reads or copies files (copytree)"),
    ("import inspect\nsrc = inspect.getsource(f)", "reads or copies files (getsource)"),
    ("exec(open(path).read())", "loads code dynamically (exec)"),
    ("from course_lib.layers import *", "imports everything from course_lib.layers"),
    ("x = 'a'" + " + 'b'" * 1500, "nested too deeply to be read"),
    ("x = 1\0", "cannot be read as Python"),
])
def test_laundering_signals_catch_typical_tricks(code, expected):
    found = laundering.scan({"im2col_col2im": "import numpy as np\n" + code})
    assert any(expected in s.text for s in found), [s.text for s in found]


@pytest.mark.parametrize("code", [
    "raise ValueError(f'im2col needs (N, C, H, W), got {x.shape}')",
    "y = getattr(self, 'W')",
    "from numpy.lib.stride_tricks import sliding_window_view, as_strided",
    "import numpy as np\nw = np.random.default_rng(0).standard_normal(3)",
    "from course_lib.layers import Affine, Dropout, Layer",
    "label = 'class ' + str(k)",
    "import re\npattern = re.compile(text)",
])
def test_ordinary_code_carries_no_signal(code):
    assert laundering.scan({"c": code}) == []


def test_evidence_puts_a_student_in_part_b_and_on_the_page(tmp_path):
    answers, _ = honest_class()
    result = compare(answers, evidence={"student03": ["called course_lib's im2col while graded"]})
    assert [f.student for f in result.findings()] == ["student03"]
    html = (similarity.write_report(tmp_path / "similarity.html", result)).read_text()
    assert "called course_lib&#x27;s im2col while graded" in html


# --------------------------------------------------------------------------
# The page and bad input
# --------------------------------------------------------------------------

def test_the_report_is_self_contained_and_escapes_everything(tmp_path):
    answers, _ = honest_class()
    hostile = '<script>alert("id")</script>'
    answers[hostile] = {"im2col_col2im": answers["student04"]["im2col_col2im"] +
                        '\n# </pre><script>alert(1)</script>\nS = "<img src=x onerror=alert(2)>"\n'}
    answers["launder_patch"] = planted("launder_patch")
    answers["course_copy"] = planted("course_copy")
    result = compare(answers)
    path = similarity.write_report(tmp_path / "similarity.html", result)
    text = path.read_text(encoding="utf-8")
    assert "<script" not in text.lower() and "<img" not in text.lower()
    assert "&lt;img src=x onerror=alert(2)&gt;" in text
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert "&lt;script&gt;alert(&quot;id&quot;)&lt;/script&gt;" in text
    assert text.index("launder_patch") < text.index("(a) Unusually similar pairs")
    assert "unusually similar" in text and "matches course code" in text and "<mark>" in text
    assert not list(tmp_path.glob("*.part")), "no half-written page is left behind"
    assert text == page(result)


def test_render_code_marks_ranges_and_leaves_out_far_lines():
    src = "a = 1\nb = '<x>'\n" + "c = 3\n" * 10
    assert "<mark>b = &#x27;&lt;x</mark>&gt;&#x27;" in render_code(src, [(6, 13)])
    assert "[9 lines left out]" in render_code(src, [(6, 13)], 1)


@pytest.mark.parametrize("answers, references, evidence, message", [
    ({"s": "x = 1"}, {}, {}, "answers must be"),
    ({"s": {"c": 3}}, {}, {}, "not source text"),
    ({"s": {"c": "x = 1"}}, {"r": None}, {}, "references must be"),
    ({"s": {"c": "x = 1"}}, {}, {"s": "a finding"}, "evidence must be"),
])
def test_bad_input_is_refused_with_what_to_pass(answers, references, evidence, message):
    with pytest.raises(TypeError, match=message):
        similarity.compare(answers, references, evidence=evidence)
