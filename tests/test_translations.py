"""The Korean edition is complete, current and built like the English one.

- every catalog (``notebooks/build/locale/ko/*.po``, ``course_lib/locale/ko.po``) holds exactly
  the units the English sources and course_lib have now, each translated, none fuzzy;
- every translation keeps what must not change (the ``{...}`` fields of a message, one line
  per string literal, the exercise markers);
- a Korean notebook is the English one cell for cell: the same cell types, tags and grading
  metadata, and, in code cells, the same code once string literals and comments are set
  aside;
- every Korean text can be drawn by Matplotlib with the fonts the edition sets up, without
  a "Glyph missing" warning.
"""
import io
import sys
import tokenize
import warnings
from pathlib import Path

import nbformat
import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "notebooks" / "build"
CATALOGS = sorted((BUILD / "locale" / "ko").glob("*.po")) + [ROOT / "course_lib/locale/ko.po"]

sys.path.insert(0, str(BUILD))
import builder  # noqa: E402
import i18n  # noqa: E402

sys.path.remove(str(BUILD))


def _entries(path):
    return [e for e in polib.pofile(str(path)) if not e.obsolete]


def test_there_is_a_catalog_for_every_source_and_for_course_lib():
    assert {p.stem for p in CATALOGS} == {p.stem for p in builder.sources()} | {"ko"}


def test_the_catalogs_hold_what_the_sources_have_now():
    for path in builder.sources():
        want = {u.text for t, text, _ in builder.read_source(path) for u in i18n.units(t, text)}
        have = {e.msgid for e in _entries(builder.catalog_path(path, "ko"))}
        assert want == have, (f"{path.name}: catalog out of date, run python "
                              f"notebooks/build/builder.py --update-catalogs: missing "
                              f"{sorted(want - have)[:3]}, extra {sorted(have - want)[:3]}")
    want = {t for t, _ in i18n.library_templates(ROOT / "course_lib")}
    have = {e.msgid for e in _entries(ROOT / "course_lib/locale/ko.po")}
    assert want == have, f"course_lib/locale/ko.po: missing {sorted(want - have)[:3]}"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_entry_is_translated_and_none_is_fuzzy(path):
    entries = _entries(path)
    fuzzy = [e.msgid[:60] for e in entries if "fuzzy" in e.flags]
    empty = [e.msgid[:60] for e in entries if not e.msgstr]
    assert not fuzzy, f"{path.name}: {len(fuzzy)} fuzzy entries, e.g. {fuzzy[:3]}"
    assert not empty, f"{path.name}: {len(empty)} untranslated entries, e.g. {empty[:3]}"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_translation_keeps_its_fields_and_markers(path):
    for e in _entries(path):
        if not e.msgstr:
            continue
        assert i18n.fields(e.msgstr) == i18n.fields(e.msgid), (e.msgid, e.msgstr)
        for marker in i18n.MARKERS:
            assert e.msgid.count(marker) == e.msgstr.count(marker), (marker, e.msgid[:60])


def _code_tokens(source):
    """The tokens of a cell without its string literals' texts and its comments."""
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        name = tokenize.tok_name[tok.type]
        if tok.type == tokenize.COMMENT or name in ("NL", "NEWLINE", "INDENT", "DEDENT"):
            continue
        if tok.type == tokenize.STRING or name.startswith("FSTRING"):
            out.append("STRING")
        else:
            out.append(tok.string)
    return [t for i, t in enumerate(out) if not (t == "STRING" and out[i - 1:i] == ["STRING"])]


@pytest.fixture(scope="module")
def built(built_notebooks):
    return built_notebooks


def test_korean_notebooks_are_the_english_ones_cell_for_cell(built):
    pairs = [(p, p.parent.parent / p.name) for p in built.rglob("ko/**/*.ipynb")]
    pairs = [(ko, built / Path(*[x for x in ko.relative_to(built).parts if x != "ko"]))
             for ko, _ in pairs]
    assert len(pairs) >= 7, pairs
    for ko_path, en_path in pairs:
        ko, en = (nbformat.read(p, as_version=4) for p in (ko_path, en_path))
        assert len(ko.cells) == len(en.cells), ko_path
        first = True
        for k, e in zip(ko.cells, en.cells):
            assert k.cell_type == e.cell_type and k.metadata.get("tags") == e.metadata.get("tags")
            kg, eg = (dict(c.metadata.get("nbgrader", {})) for c in (k, e))
            kg.pop("checksum", None), eg.pop("checksum", None)
            assert kg == eg, (ko_path, kg, eg)
            if k.cell_type != "code":
                continue
            ks = k.source
            if first:
                head = 'import course_lib\ncourse_lib.set_language("ko")\n\n'
                assert ks.startswith(head), ko_path
                ks, first = ks[len(head):], False
            assert _code_tokens(ks) == _code_tokens(e.source), (ko_path, e.source[:200])


def _translations():
    return [e.msgstr for path in CATALOGS for e in _entries(path) if e.msgstr]


def test_every_korean_text_can_be_drawn_without_a_missing_glyph():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_lib import i18n as lib_i18n

    lib_i18n.use_hangul_fonts()
    texts = [t for t in _translations() if any("\uac00" <= ch <= "\ud7a3" for ch in t)]
    assert texts, "no Korean text at all"
    fig = plt.figure()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
            for text in texts:
                t = fig.text(0, 0, text.replace("$", ""))
                fig.canvas.draw()
                t.remove()
    finally:
        plt.close(fig)
