"""The Korean edition (and any other): what of a notebook is translated, and how.

The English sources are the source of truth; a catalog per source and language
(``locale/<lang>/<source>.po``, gettext PO files read and written with polib)
holds the translations, one entry per *unit*:

- a Markdown cell: its whole text;
- in a code cell, a run of string literals that read as prose (a space and a
  word in them) written next to each other (``"a " "b"`` on one or more lines):
  its literals' texts as written, one per line of the entry (a literal written over several
  lines, a docstring, takes as many lines of the entry);
- a block of comments (consecutive ``#`` lines at one indentation), or one
  comment after code on a line: its text without ``# ``, one line per comment.

A translation of a run of literals keeps its number of lines (each becomes one
literal, an f-string where it holds a ``{...}`` field) and every ``{...}`` field
of the English; the nbgrader and exercise markers (``### BEGIN SOLUTION``,
``# YOUR CODE HERE``) are never units and never change.  :func:`translate_cell`
puts the translations into a cell's source; the structure of the notebook, its
tags and its grading metadata stay those of the English.
"""
from __future__ import annotations

import difflib
import io
import re
import tokenize
from dataclasses import dataclass

MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS",
           "### END HIDDEN TESTS", "# YOUR CODE HERE")
_FIELD = re.compile(r"(?<!\{)\{(?!\{)[^{}]*\}")
_STRING = re.compile(r"^(?P<prefix>[rRbBuUfF]{0,2})(?P<quote>'''|\"\"\"|'|\")(?P<body>.*)"
                     r"(?P=quote)$", re.S)


class CatalogError(ValueError):
    """A translation that cannot be used; the message says which and why."""


@dataclass
class Unit:
    """One translatable piece of a cell: its text (the msgid) and where it is in the source."""

    kind: str                    # "markdown" | "strings" | "comments"
    text: str                    # the English, as the catalog holds it
    spans: list                  # (start, end) offsets in the source of each piece
    prefixes: list               # strings: each literal's prefix and quote
    indent: str = ""             # comments: the indentation of the block


def fields(text):
    """The ``{...}`` fields of a text (a multiset, as a sorted list)."""
    return sorted(_FIELD.findall(text))


def _offsets(source):
    lines = source.splitlines(keepends=True)
    starts, total = [], 0
    for line in lines:
        starts.append(total)
        total += len(line)
    return lambda row, col: (starts[row - 1] if row - 1 < len(starts) else total) + col


def _prose(body):
    """Words a reader reads: a space, and a lowercase word (not a shape like "(N, C, H, W)")."""
    return re.search(r"[a-z]{2}", body) is not None and (" " in body or "\n" in body)


def _string_tokens(source):
    """``(start, end, text)`` of every string literal, f-strings whole, in order."""
    at = _offsets(source)
    out, fstart = [], None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        name = tokenize.tok_name[tok.type]
        if name == "FSTRING_START":                          # Python 3.12 and later
            fstart = at(*tok.start)
        elif name == "FSTRING_END":
            out.append((fstart, at(*tok.end), source[fstart:at(*tok.end)]))
            fstart = None
        elif tok.type == tokenize.STRING and fstart is None:
            out.append((at(*tok.start), at(*tok.end), tok.string))
    return out


def _code_units(source):
    units = []
    try:
        strings = _string_tokens(source)
        comments = [tok for tok in tokenize.generate_tokens(io.StringIO(source).readline)
                    if tok.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return units
    group = []
    for start, end, text in strings:
        m = _STRING.match(text)
        if m is None:
            continue
        if group and source[group[-1][1]:start].strip() not in ("", "\\"):
            units += _string_unit(group)
            group = []
        group.append((start, end, m))
    units += _string_unit(group)
    at = _offsets(source)
    block = []
    for tok in comments:
        text = tok.string[1:].strip() if not tok.string.startswith("# ") else tok.string[2:]
        if tok.string.strip() in MARKERS or not re.search(r"[a-z]{2}", text) \
                or text.startswith(("noqa", "type:")):
            units += _comment_unit(block, source)
            block = []
            continue
        line = source.splitlines()[tok.start[0] - 1]
        alone = line[:tok.start[1]].strip() == ""
        span = (at(*tok.start), at(*tok.end))
        if block and alone and block[-1][2] and tok.start[0] == block[-1][3] + 1 \
                and tok.start[1] == block[-1][4]:
            block.append((span, text, alone, tok.start[0], tok.start[1]))
            continue
        units += _comment_unit(block, source)
        block = [(span, text, alone, tok.start[0], tok.start[1])]
    units += _comment_unit(block, source)
    return sorted(units, key=lambda u: u.spans[0][0])


def _string_unit(group):
    bodies = [m.group("body") for _, _, m in group]
    if not group or not any(_prose(b) for b in bodies):
        return []
    return [Unit("strings", "\n".join(bodies), [(s, e) for s, e, _ in group],
                 [(m.group("prefix"), m.group("quote")) for _, _, m in group])]


def _comment_unit(block, source):
    if not block:
        return []
    indent = " " * block[0][4]
    return [Unit("comments", "\n".join(b[1] for b in block), [b[0] for b in block], [], indent)]


def units(cell_type, source):
    """The translatable units of one cell (see the module docstring)."""
    if cell_type == "markdown":
        return [Unit("markdown", source, [(0, len(source))], [])] if source.strip() else []
    return _code_units(source)


def _literal(text, prefix, quote):
    has_field = bool(_FIELD.search(text))
    prefix = prefix.replace("f", "").replace("F", "")
    return ("f" if has_field else "") + prefix + quote + text + quote


def check(unit, translation):
    """Raise :class:`CatalogError` unless ``translation`` can stand for ``unit``."""
    if any(marker in unit.text for marker in MARKERS) and any(
            unit.text.count(m) != translation.count(m) for m in MARKERS):
        raise CatalogError(f"the markers {[m for m in MARKERS if m in unit.text]} must stay as "
                           f"they are in the translation of {unit.text[:60]!r}")
    if unit.kind == "strings":
        if translation.count("\n") != unit.text.count("\n"):
            raise CatalogError(f"the translation of {unit.text[:60]!r} must have "
                               f"{unit.text.count(chr(10)) + 1} line(s), one per literal")
        if fields(translation) != fields(unit.text):
            raise CatalogError(f"the translation of {unit.text[:60]!r} must keep the fields "
                               f"{fields(unit.text)}, it has {fields(translation)}")
        for prefix, quote in unit.prefixes:
            if quote in translation and len(quote) == 1:
                raise CatalogError(f"the translation of {unit.text[:60]!r} uses the quote "
                                   f"{quote}: write it another way")


def translate_cell(cell_type, source, lookup):
    """``source`` with every unit replaced by ``lookup(text)`` (None: keep the English)."""
    out = source
    for unit in sorted(units(cell_type, source), key=lambda u: -u.spans[0][0]):
        new = lookup(unit.text)
        if new is None or new == unit.text:
            continue
        check(unit, new)
        if unit.kind == "markdown":
            return new
        if unit.kind == "strings":
            pieces = [_literal(t, *pq)
                      for t, pq in zip(_per_literal(new, source, unit.spans), unit.prefixes)]
        else:
            lines = new.split("\n")
            if len(unit.spans) == 1 and len(lines) > 1 and not _alone(source, unit.spans[0]):
                raise CatalogError(f"the comment {unit.text!r} stands after code: translate it "
                                   "on one line")
            pieces = ["# " + line if line else "#" for line in lines]
            if len(pieces) != len(unit.spans):            # a block may change its length
                joined = ("\n" + unit.indent).join(pieces)
                start, end = unit.spans[0][0], unit.spans[-1][1]
                out = out[:start] + joined + out[end:]
                continue
        for (start, end), piece in sorted(zip(unit.spans, pieces), key=lambda p: -p[0][0]):
            out = out[:start] + piece + out[end:]
    return out


def _per_literal(translation, source, spans):
    """The lines of a string run's translation, shared out among its literals: as many lines
    to each as the English literal has (a triple-quoted docstring may hold several)."""
    lines, out = translation.split("\n"), []
    for start, end in spans:
        n = source[start:end].count("\n") + 1
        out.append("\n".join(lines[:n]))
        lines = lines[n:]
    return out


def _alone(source, span):
    line_start = source.rfind("\n", 0, span[0]) + 1
    return source[line_start:span[0]].strip() == ""


# --------------------------------------------------------------------------
# Catalogs
# --------------------------------------------------------------------------

def update_catalog(path, entries, language, project):
    """Rewrite the PO file at ``path`` for ``entries`` ([(text, where)]): translations kept,
    an English text that changed keeps its old translation marked fuzzy, new texts empty.
    Returns ``(new, fuzzy, dropped)`` counts."""
    import polib

    old = polib.pofile(str(path)) if path.exists() else polib.POFile()
    known = {e.msgid: e for e in old if not e.obsolete}
    po = polib.POFile(wrapwidth=0)
    po.metadata = {"Project-Id-Version": project, "Language": language,
                   "MIME-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8",
                   "Content-Transfer-Encoding": "8bit"}
    seen, new, fuzzy = {}, 0, 0
    unused = dict(known)
    for text, where in entries:
        if text in seen:
            seen[text].occurrences.append((where, ""))
            continue
        entry = polib.POEntry(msgid=text, occurrences=[(where, "")])
        if text in known:
            entry.msgstr, entry.flags = known[text].msgstr, list(known[text].flags)
            unused.pop(text, None)
        else:
            previous = _closest(text, unused)
            if previous is not None:
                entry.msgstr, entry.previous_msgid = unused.pop(previous).msgstr, previous
                entry.flags.append("fuzzy")
                fuzzy += 1
            else:
                new += 1
        seen[text] = entry
        po.append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(path))
    return new, fuzzy, len(unused)


def _closest(text, candidates):
    if not candidates:
        return None
    best = difflib.get_close_matches(text, list(candidates), n=1, cutoff=0.6)
    return best[0] if best and candidates[best[0]].msgstr else None


def read_catalog(path):
    """``{english: translation}`` of the finished entries of a PO file (fuzzy ones left out)."""
    import polib

    if not path.exists():
        return {}
    return {e.msgid: e.msgstr for e in polib.pofile(str(path))
            if e.msgstr and not e.obsolete and "fuzzy" not in e.flags}


def library_templates(package):
    """``[(template, where)]``: the first argument of every ``_("...")`` and ``say("...")``
    call in the Python files below ``package`` (course_lib's messages)."""
    import ast
    from pathlib import Path

    found = []
    for path in sorted(Path(package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            first = node.args[0]
            if name in ("_", "say") and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str):
                found.append((first.value, f"{path.relative_to(Path(package).parent)}:"
                                           f"{node.lineno}"))
    return sorted(found, key=lambda e: e[1])
