"""Code similarity of the answer cells, ranked for the instructor as MOSS or Gradescope rank it.

    result = compare(answers, references, boilerplate=release_sources, evidence=findings)
    write_report("similarity.html", result)

``answers`` is ``{student: {cell id: source}}`` (the answer cells, and under ``"_extra"``
the code cells a student added), ``references`` ``{label: source}`` (the course's own
code: course_lib modules, worked chapters), ``boilerplate`` the sources the assignment
gives every student (the release notebook's cells), ``evidence`` ``{student: [finding]}``
from the grader's runs.

1. **Normalising** (stdlib ``tokenize``): comments, docstrings and blank lines go; every
   identifier becomes ``N`` except keywords, builtins and the names of NumPy's functions
   and array methods after a dot (``.reshape``, ``np.pad``), which renaming cannot
   change; a chain of other attributes (``self.col``) is one ``N``; numbers become ``0``,
   strings ``"``.
2. **Fingerprints**: a hash of every ``K`` consecutive tokens of a statement (never across
   two statements, so reordering independent statements changes nothing), winnowed (the
   smallest hash of each run of ``WINDOW`` hashes; Schleimer, Wilkerson and Aiken, SIGMOD
   2003): every stretch of ``K + WINDOW - 1`` tokens two answers share leaves a common
   fingerprint.
3. **Pairs, cell by cell**: fingerprints of the given code are dropped; each one left
   weighs ``log((n + 1) / df)``, ``df`` the number of the ``n`` students whose answer has
   it, so what the whole class writes alike counts little; a pair's score is the weighted
   Jaccard index of their fingerprints.  A pair is flagged when its score lies far above
   the cell's own pairs (``median + SPREAD * MAD``) and above ``PAIR_FLOOR``.
4. **Course code**: the share (weighted the same way) of an answer's fingerprints found
   in a reference, flagged above ``COURSE_FLOOR`` (an absolute bar: a class that all hands
   in course code must not hide it; the rarity weights already discount what the class
   shares, and the given code and the hints in the notebook's text count for nobody).
5. **Laundering signals** in the code itself: :mod:`course_grader.laundering`.

The report words findings neutrally ("unusually similar", "matches course code"): it
ranks, the instructor decides.
"""
import builtins
import hashlib
import io
import keyword
import math
import re
import statistics
import tokenize
from dataclasses import dataclass, field

import numpy as np

from .laundering import scan
from .similarity_report import write_report  # noqa: F401  (re-exported)

K = 7                # tokens per fingerprint: shorter runs are common idioms
WINDOW = 2           # winnowing window: 8 = K + WINDOW - 1 shared tokens always match
PAIR_FLOOR = 0.6     # a flagged pair shares at least this weighted share of its fingerprints
COURSE_FLOOR = 0.85  # a flagged answer has at least this weighted share in one reference
SPREAD = 6.0         # how many median absolute deviations above the class median
MIN_PRINTS = 5       # answers with fewer fingerprints beyond the given code are not compared

_KEEP_NAMES = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)
_LIBRARY_ATTRS = frozenset().union(*map(dir, (np, np.ndarray, np.lib.stride_tricks, np.linalg,
                                              np.random.Generator)))
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)      # Python 3.12 splits f-strings
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


@dataclass(frozen=True)
class Token:
    """One normalised token and where it stands in the source: ``(line, column)`` pairs."""
    text: str
    start: tuple
    end: tuple


def normalise(source):
    """The normalised tokens of ``source`` (as far as it tokenises: broken code keeps its start)."""
    raw = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            raw.append(tok)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    out, depth, fstart = [], 0, None
    for i, tok in enumerate(raw):
        if tok.type in _SKIP:
            continue
        if _FSTRING_START is not None and tok.type == _FSTRING_START:
            depth, fstart = depth + 1, fstart if depth else tok.start
            continue
        if depth:
            if tok.type == _FSTRING_END:
                depth -= 1
                if not depth:
                    out.append(Token('"', fstart, tok.end))
            continue
        if tok.type == tokenize.STRING and _is_docstring(raw, i):
            continue
        text = _text(tok, out)
        if text == "N" and len(out) >= 2 and out[-1].text == "." and out[-2].text == "N":
            out[-2:] = [Token("N", out[-2].start, tok.end)]      # self.col, a.b.c: one name
            continue
        out.append(Token(text, tok.start, tok.end))
    return [t for j, t in enumerate(out)
            if not (t.text == ";" and j and out[j - 1].text in (";", "{"))]


def _is_docstring(raw, i):
    """A string that is a statement of its own (docstrings and string 'comments')."""
    before = next((raw[j] for j in range(i - 1, -1, -1) if raw[j].type not in _SKIP), None)
    after = next((raw[j] for j in range(i + 1, len(raw)) if raw[j].type not in _SKIP), None)
    starts = before is None or before.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
    return starts and (after is None or after.type in (tokenize.NEWLINE, tokenize.ENDMARKER))


def _text(tok, done):
    if tok.type == tokenize.NAME:
        after_dot = bool(done) and done[-1].text == "."
        if tok.string in _KEEP_NAMES and not after_dot:
            return tok.string
        return tok.string if after_dot and tok.string in _LIBRARY_ATTRS else "N"
    if tok.type == tokenize.NUMBER:
        return "0"
    if tok.type == tokenize.STRING:
        return '"'
    if tok.type == tokenize.NEWLINE:
        return ";"
    if tok.type == tokenize.INDENT:
        return "{"
    if tok.type == tokenize.DEDENT:
        return "}"
    return tok.string


def _hash(texts):
    digest = hashlib.blake2b("\x1f".join(texts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class Document:
    """One source: its tokens, every k-gram hash (``grams``: hash -> token positions) and the
    winnowed fingerprints (``prints``: hash -> positions)."""

    def __init__(self, source, k=K, window=WINDOW):
        self.source, self.k = source, k
        self.tokens = normalise(source)
        self.grams = {}                  # hash -> [(first token, number of tokens)]
        order = []
        for start, end in _statements(self.tokens):
            texts = [t.text for t in self.tokens[start:end]]
            for i in range(max(len(texts) - k + 1, 1)):
                h = _hash(texts[i:i + k])
                self.grams.setdefault(h, []).append((start + i, min(k, len(texts))))
                order.append((h, start + i))
        self.prints = {}
        for i in winnow([h for h, _ in order], window):
            self.prints.setdefault(order[i][0], []).append(order[i][1])

    def spans(self, hashes):
        """Character ranges ``(start, end)`` of the source covered by the k-grams ``hashes``."""
        marked = sorted({p + j for h in hashes for p, n in self.grams.get(h, ()) for j in range(n)})
        runs, offsets = [], _line_offsets(self.source)
        for p in marked:
            start = offsets[self.tokens[p].start[0] - 1] + self.tokens[p].start[1]
            end = offsets[self.tokens[p].end[0] - 1] + self.tokens[p].end[1]
            if runs and p - 1 == runs[-1][2]:
                runs[-1] = (runs[-1][0], end, p)
            else:
                runs.append((start, end, p))
        return [(a, b) for a, b, _ in runs]


def _statements(tokens):
    """``(start, end)`` token ranges of the statements, without the newline and block tokens:
    fingerprints never span two statements, so reordering independent statements keeps them."""
    out, start = [], None
    for i, t in enumerate(tokens + [Token(";", (0, 0), (0, 0))]):
        if t.text in (";", "{", "}"):
            if start is not None:
                out.append((start, i))
            start = None
        elif start is None:
            start = i
    return out


def _line_offsets(source):
    offsets, total = [], 0
    for line in io.StringIO(source).readlines() or [""]:
        offsets.append(total)
        total += len(line)
    return offsets + [total]


def winnow(hashes, window):
    """Positions chosen by winnowing: in every run of ``window`` hashes the smallest (the rightmost
    of equal ones), each position once.  Fewer hashes than a window: their smallest."""
    chosen, last = [], -1
    for start in range(max(len(hashes) - window + 1, 1 if hashes else 0)):
        run = hashes[start:start + window]
        best = min(range(len(run)), key=lambda j: (run[j], -j)) + start
        if best != last:
            chosen.append(best)
            last = best
    return chosen


def given_code(notebook):
    """What a release notebook gives every student: its code cells and the code in its Markdown
    (inline spans and fenced blocks, the hints students are told to follow).

    notebook: a notebook as a dict (``json.load`` or ``nbformat``); returns a list of sources.
    """
    out = []
    for cell in notebook.get("cells", []):
        text = cell.get("source", "")
        text = "".join(text) if isinstance(text, list) else str(text)
        if cell.get("cell_type") == "code":
            out.append(text)
        elif cell.get("cell_type") == "markdown":
            out += re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)
            out += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    return out


def course_references(chapters=()):
    """The course's own code as references: ``{label: source}`` for every module of the installed
    course_lib (``course_lib/functional.py``...) and the code cells of each worked chapter
    notebook in ``chapters`` (paths; label ``chapter <file name>``)."""
    import json
    from pathlib import Path

    import course_lib

    package = Path(course_lib.__file__).resolve().parent
    refs = {f"course_lib/{p.relative_to(package).as_posix()}": p.read_text(encoding="utf-8")
            for p in sorted(package.rglob("*.py"))}
    for path in map(Path, chapters):
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read the worked chapter {path}: {exc}") from exc
        cells = [c.get("source", "") for c in nb.get("cells", []) if c.get("cell_type") == "code"]
        refs[f"chapter {path.name}"] = "\n\n".join(
            "".join(c) if isinstance(c, list) else c for c in cells)
    return refs


# --------------------------------------------------------------------------
# Comparing a class
# --------------------------------------------------------------------------

@dataclass
class Pair:
    """Two students' answers to one cell: ``score`` (weighted Jaccard), ``shared`` fingerprints."""
    cell: str
    a: str
    b: str
    score: float
    shared: int
    flagged: bool = False


@dataclass
class CourseMatch:
    """The weighted share ``score`` of a student's answer found in the reference ``reference``."""
    student: str
    cell: str
    reference: str
    score: float
    flagged: bool = False


@dataclass
class CellStats:
    """A cell's pair scores: their median, median absolute deviation and the threshold used."""
    students: int
    pairs: int
    median: float
    mad: float
    threshold: float


@dataclass
class Finding:
    """Everything the report lists for one student in part (b)."""
    student: str
    signals: list
    evidence: list
    course: list

    @property
    def rank_key(self):
        """Serious signals or evidence first, then answers that are course code, then the rest."""
        high = sum(s.severity == "high" for s in self.signals)
        tier = 0 if high or self.evidence else 1 if self.course else 2
        best = max((m.score for m in self.course), default=0.0)
        return tier, -high, -len(self.evidence), -best, -len(self.signals)


@dataclass
class SimilarityResult:
    """What :func:`compare` found; :func:`write_report` renders it."""
    documents: dict                      # (student, cell) -> Document
    boilerplate: set
    references: dict                     # label -> Document
    pairs: dict = field(default_factory=dict)        # cell -> [Pair], highest score first
    stats: dict = field(default_factory=dict)        # cell -> CellStats
    course: list = field(default_factory=list)       # [CourseMatch], highest score first
    course_stats: dict = field(default_factory=dict)  # cell -> CellStats of the course scores
    signals: dict = field(default_factory=dict)      # student -> [laundering.Signal]
    evidence: dict = field(default_factory=dict)     # student -> [str]

    def flagged_pairs(self, cell=None):
        cells = [cell] if cell else list(self.pairs)
        return [p for c in cells for p in self.pairs.get(c, []) if p.flagged]

    def findings(self):
        """Part (b): students with laundering signals, evidence or course code, ranked."""
        students = set(self.evidence) | {s for s, sig in self.signals.items() if sig} \
            | {m.student for m in self.course if m.flagged}
        found = [Finding(s, self.signals.get(s, []), self.evidence.get(s, []),
                         [m for m in self.course if m.student == s and m.flagged])
                 for s in students]
        return sorted(found, key=lambda f: (f.rank_key, f.student))

    def shared_spans(self, a, b):
        """Character ranges of the documents ``a`` and ``b`` that match, beyond the given code."""
        common = (set(a.grams) & set(b.grams)) - self.boilerplate
        return a.spans(common), b.spans(common)


def compare(answers, references=None, boilerplate=(), evidence=None, k=K, window=WINDOW):
    """Compare every pair of students cell by cell, and every answer with the course's code.

    answers: ``{student: {cell: source}}``; references: ``{label: source}``; boilerplate:
    sources whose k-grams count for nobody; evidence: ``{student: [text]}``.
    """
    _check_input(answers, references or {}, evidence or {})
    docs = {(s, c): Document(src, k, window)
            for s, cells in answers.items() for c, src in cells.items()}
    given = set()
    for src in boilerplate:
        given |= set(Document(src, k, window).grams)
    refs = {r: Document(src, k, window) for r, src in (references or {}).items()}
    result = SimilarityResult(docs, given, refs)
    cells = sorted({c for _, c in docs})
    for cell in cells:
        prints = {s: set(d.prints) - given for (s, c), d in docs.items() if c == cell}
        prints = {s: p for s, p in prints.items() if len(p) >= MIN_PRINTS}
        weight = _weights(prints)
        result.pairs[cell], result.stats[cell] = _score_pairs(cell, prints, weight)
        matches, result.course_stats[cell] = _score_course(cell, prints, weight, result.references)
        result.course += matches
    result.course.sort(key=lambda m: -m.score)
    result.signals = {s: scan(cells_of) for s, cells_of in answers.items()}
    result.evidence = {s: list(v) for s, v in (evidence or {}).items() if v}
    return result


def _check_input(answers, references, evidence):
    if not isinstance(answers, dict) or not all(isinstance(v, dict) for v in answers.values()):
        raise TypeError("answers must be {student id: {cell id: source}}")
    for student, cells in answers.items():
        for cell, src in cells.items():
            if not isinstance(src, str):
                raise TypeError(f"answers[{student!r}][{cell!r}] is a {type(src).__name__}, "
                                "not source text")
    if not all(isinstance(v, str) for v in references.values()):
        raise TypeError("references must be {label: source text}")
    if not all(isinstance(v, (list, tuple)) for v in evidence.values()):
        raise TypeError("evidence must be {student id: [finding, ...]}")


def _weights(prints):
    """``log((n + 1) / df)`` for every fingerprint of the class (``df``: students having it)."""
    df = {}
    for p in prints.values():
        for h in p:
            df[h] = df.get(h, 0) + 1
    n = len(prints)
    return {h: math.log((n + 1) / d) for h, d in df.items()}


def _threshold(scores, floor):
    if not scores:
        return CellStats(0, 0, 0.0, 0.0, floor)
    med = statistics.median(scores)
    mad = statistics.median(abs(s - med) for s in scores)
    return CellStats(0, len(scores), med, mad, max(floor, med + SPREAD * mad))


def _score_pairs(cell, prints, weight):
    students = sorted(prints)
    pairs = []
    for i, a in enumerate(students):
        for b in students[i + 1:]:
            common = prints[a] & prints[b]
            union = sum(weight[h] for h in prints[a] | prints[b])
            score = sum(weight[h] for h in common) / union if union else 0.0
            pairs.append(Pair(cell, a, b, score, len(common)))
    stats = _threshold([p.score for p in pairs], PAIR_FLOOR)
    stats.students = len(students)
    for p in pairs:
        p.flagged = p.score >= stats.threshold
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b)), stats


def _score_course(cell, prints, weight, references):
    matches = []
    for student, p in sorted(prints.items()):
        total = sum(weight[h] for h in p)
        best = max(((sum(weight[h] for h in p if h in ref.grams) / total if total else 0.0, label)
                    for label, ref in references.items()), default=None)
        if best is not None:
            matches.append(CourseMatch(student, cell, best[1], best[0]))
    stats = _threshold([m.score for m in matches], COURSE_FLOOR)
    stats.students, stats.threshold = len(matches), COURSE_FLOOR
    for m in matches:
        m.flagged = m.score >= COURSE_FLOOR
    return matches, stats
