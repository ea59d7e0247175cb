"""The language of what course_lib says: English, or Korean (한국어).

Every sentence a student reads (the checks' messages, the loaders' and model
files' errors, the figures' titles and labels, the explorers' controls) is
written once in English as a template with named fields and passed through
:func:`_`, which looks it up in the catalog of the language in use,
``course_lib/locale/<language>.po``, and fills in the fields.

The language in use is, in this order: the one a notebook chose with
:func:`set_language` (a Korean chapter does so in its first cell), the
environment variable ``COURSE_LIB_LANG``, the system's locale (``LANG``,
``LC_ALL``, ``LC_MESSAGES``), English.  Choosing Korean also makes the
figures draw Hangul (with the NanumGothic font that ``koreanize-matplotlib``
ships).

Rules for a template: it is a complete sentence (or a complete label), written
as a string literal in the ``_("...")`` call itself, so that the builder finds
it (``python notebooks/build/builder.py --update-catalogs``); a field holds a
number, a shape, a name from code or another complete message, never a piece
of a sentence: a sentence that differs by a word is a second template.  A
template kept in a table is wrapped in a function (``lambda: _("...")``), so
that it is looked up when it is said, in the language in use then.

A line of Korean takes twice the columns of as many English letters:
:func:`fill`, :func:`columns`, :func:`ljust` and :func:`rjust` wrap and align
text by display columns.
"""
from __future__ import annotations

import functools
import os
import textwrap
import unicodedata
from pathlib import Path

LANGUAGES = {"en": "English", "ko": "한국어"}
LOCALE = Path(__file__).resolve().parent / "locale"
_chosen = None


def set_language(language):
    """Use ``language`` ("en" or "ko") for every message from now on."""
    global _chosen
    if language not in LANGUAGES:
        raise ValueError(f"course_lib speaks {', '.join(LANGUAGES)}; got {language!r}")
    _chosen = language
    if language == "ko":
        use_hangul_fonts()


def language():
    """The language in use (see the module docstring)."""
    if _chosen is not None:
        return _chosen
    wanted = os.environ.get("COURSE_LIB_LANG", "").strip()
    if wanted in LANGUAGES:
        return wanted
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(key, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


@functools.lru_cache(maxsize=None)
def catalog(language):
    """``{English template: translation}`` for ``language`` (empty for English)."""
    path = LOCALE / f"{language}.po"
    if language == "en" or not path.exists():
        return {}
    import polib
    return {e.msgid: e.msgstr for e in polib.pofile(str(path))
            if e.msgstr and not e.obsolete and "fuzzy" not in e.flags}


def gettext(template):
    """``template`` in the language in use (itself where there is no translation)."""
    return catalog(language()).get(template, template)


def _(template, **fields):
    """The sentence ``template`` in the language in use, its named ``fields`` filled in."""
    text = gettext(template)
    return text.format(**fields) if fields else text


def columns(text):
    """How many columns ``text`` takes in a monospaced font: Hangul and other wide
    characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def ljust(text, width):
    """``text`` padded with spaces on the right to ``width`` columns (see :func:`columns`)."""
    text = str(text)
    return text + " " * max(width - columns(text), 0)


def rjust(text, width):
    """``text`` padded with spaces on the left to ``width`` columns (see :func:`columns`)."""
    text = str(text)
    return " " * max(width - columns(text), 0) + text


_WIDE = "\x00"   # counts a wide character's second column while textwrap measures a line


def fill(text, width, **options):
    """``textwrap.fill`` by columns rather than characters: a line of Korean holds half as
    many syllables as a line of English holds letters.  English text wraps exactly as
    ``textwrap.fill`` wraps it."""
    text = str(text)
    if all(unicodedata.east_asian_width(ch) not in "WF" for ch in text):
        return textwrap.fill(text, width, **options)
    marked = "".join(ch + _WIDE if unicodedata.east_asian_width(ch) in "WF" else ch
                     for ch in text)
    return textwrap.fill(marked, width, **options).replace(_WIDE, "")


def use_hangul_fonts():
    """Let Matplotlib draw Hangul: DejaVu Sans first, NanumGothic for what it lacks.

    DejaVu Sans comes first because math text (the ticks of a log axis, ``$10^{-1}$``) is
    drawn from the first font alone, with no fallback, and NanumGothic has no minus sign
    (U+2212); plain text falls back to NanumGothic for every Hangul syllable.  So a figure
    keeps Hangul out of ``$...$``.

    The font files come with the ``koreanize-matplotlib`` package; they are registered
    with Matplotlib directly (the package itself is not imported).
    """
    import importlib.util

    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return
    import matplotlib
    from matplotlib import font_manager

    fonts = Path(list(spec.submodule_search_locations)[0]) / "fonts"
    for path in sorted(fonts.glob("NanumGothic*.ttf")):
        font_manager.fontManager.addfont(str(path))
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", "NanumGothic"]
    matplotlib.rcParams["axes.unicode_minus"] = False
