"""Untrusted Markdown and HTML made into safe HTML for a feedback page.

- ``markdown_to_html(text)``: CommonMark with tables and strikethrough
  (markdown-it-py), raw HTML allowed as Jupyter allows it, ``$...$``,
  ``$$...$$``, ``\\(...\\)``, ``\\[...\\]`` and ``\\begin{...}`` environments
  typeset ahead of time into MathML (``feedback_math``), in raw HTML blocks
  too, fenced code highlighted with Pygments; the result goes through
  ``sanitize``.
- ``sanitize(fragment)``: nh3 (the Rust sanitiser ammonia) with an allowlist
  of HTML and MathML tags and attributes.  No script, style, frame, form,
  object, SVG or event handler survives; a link may point only to ``http``,
  ``https``, ``mailto`` or an anchor of the page; an image only to a PNG,
  JPEG, GIF or WebP data URI (the page loads nothing from outside); the only
  inline style kept is a table column's ``text-align``.
- ``highlight(code, language)``: Pygments spans with classes, styled by
  ``HIGHLIGHT_CSS`` in the page's own stylesheet.
"""
import base64
import html
import re
from functools import lru_cache

from .feedback_math import tex_to_html

HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
    "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
    "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "u", "ul", "var", "wbr",
}
MATHML_TAGS = {
    "math", "menclose", "merror", "mfrac", "mi", "mmultiscripts", "mn", "mo", "mover", "mpadded",
    "mphantom", "mprescripts", "mroot", "mrow", "ms", "mspace", "msqrt", "mstyle", "msub",
    "msubsup", "msup", "mtable", "mtd", "mtext", "mtr", "munder", "munderover",
}
# Removed with everything inside them (the others lose their tags and keep their text).
DROPPED_WITH_CONTENT = {"script", "style", "template", "noscript", "iframe", "object", "embed",
                        "svg", "textarea", "select", "title", "xmp", "noembed", "noframes"}
_LENGTH = {"width", "height", "depth", "lspace", "rspace", "voffset", "minsize", "maxsize",
           "linethickness"}
ATTRIBUTES = {
    "*": {"title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "details": {"open"},
    "math": {"display"},
    "mi": {"mathvariant"},
    "mo": {"stretchy", "fence", "form", "separator", "lspace", "rspace", "largeop",
           "movablelimits", "symmetric", "minsize", "maxsize", "accent"},
    "mover": {"accent"},
    "munder": {"accentunder"},
    "munderover": {"accent", "accentunder"},
    "mfrac": {"linethickness"},
    "mtable": {"columnalign", "rowalign", "columnspacing", "rowspacing", "displaystyle"},
    "mtd": {"columnalign", "rowspan", "columnspan"},
    "mstyle": {"displaystyle", "scriptlevel", "mathvariant"},
    "mspace": {"width", "height", "depth"},
    "mpadded": {"width", "height", "depth", "lspace", "voffset"},
    "menclose": {"notation"},
}
_ALIGN = {f"text-align:{side}" for side in ("left", "right", "center")}
STYLE_VALUES = {"td": {"style": _ALIGN}, "th": {"style": _ALIGN}}
_HREF = re.compile(r"^(https?://|mailto:|#)[^\s\x00-\x1f]*$", re.I)
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,([A-Za-z0-9+/]+={0,2})$")
_LENGTH_VALUE = re.compile(r"^-?[0-9.]+(px|em|ex|pt|%)?$|^[a-z]*mathspace$")
HIGHLIGHT_SCOPE = ".hl"


@lru_cache(maxsize=1)
def _token_classes():
    from pygments.token import STANDARD_TYPES

    return {c for c in STANDARD_TYPES.values() if c}


def _filter_attribute(tag, attribute, value):
    """nh3's per-attribute check: URLs and lengths narrowed to what the page can show."""
    if attribute == "href":
        return value if _HREF.match(value.strip()) else None
    if attribute == "src":
        return value if _DATA_IMAGE.match(value.strip()) else None
    if attribute in _LENGTH:
        return value if _LENGTH_VALUE.match(value.strip()) else None
    return value


@lru_cache(maxsize=1)
def _cleaner():
    import nh3

    tokens = _token_classes()
    classes = {"span": tokens | {"tex"}, "code": {"tex"}, "div": {"hl", "math-display"},
               "pre": {"hl"}}
    return nh3.Cleaner(
        tags=HTML_TAGS | MATHML_TAGS, clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ATTRIBUTES, attribute_filter=_filter_attribute,
        tag_attribute_values=STYLE_VALUES, allowed_classes=classes,
        url_schemes={"http", "https", "mailto", "data"}, link_rel="noopener noreferrer",
        strip_comments=True)


def sanitize(fragment):
    """``fragment`` (untrusted HTML) with only the allowed tags and attributes left."""
    return _cleaner().clean(str(fragment))


@lru_cache(maxsize=16)
def _lexer(language):
    from pygments.lexers import TextLexer, get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return TextLexer(stripnl=False, ensurenl=False)


@lru_cache(maxsize=1)
def _formatter():
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


def highlight(code, language="python"):
    """``code`` as a highlighted ``<pre>`` (Pygments spans; the text is escaped)."""
    from pygments import highlight as pyg_highlight

    spans = pyg_highlight(str(code), _lexer(str(language or "python")), _formatter())
    return f'<pre class="hl">{spans}</pre>'


def highlight_css():
    """The Pygments rules for the classes ``highlight`` writes, scoped to ``pre.hl``."""
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="friendly").get_style_defs("pre" + HIGHLIGHT_SCOPE)


def _fence(code, language, _attrs):
    return highlight(code, language.split()[0] if language else "text")


def _math_rule(display, block):
    """A render rule writing a math token's TeX as MathML (no wrapper of the plugin's)."""
    def render(_renderer, tokens, idx, _options, _env):
        return tex_to_html(tokens[idx].content, display=display, block=block)
    return render


def _image_rule(default):
    """The image rule with ``attachment:NAME`` sources read from the cell's attachments."""
    def render(_renderer, tokens, idx, options, env):
        token = tokens[idx]
        src = str(token.attrGet("src") or "")
        if src.startswith("attachment:"):
            token.attrSet("src", _attachment_uri(env.get("attachments"), src[len("attachment:"):]))
        return default(tokens, idx, options, env)
    return render


def _attachment_uri(attachments, name):
    """A data URI for the attachment ``name`` (PNG, JPEG, GIF or WebP), or '' when there is none."""
    bundle = (attachments or {}).get(name) if isinstance(attachments, dict) else None
    if not isinstance(bundle, dict):
        return ""
    for mime in ("image/png", "image/jpeg", "image/gif", "image/webp"):
        data = bundle.get(mime)
        data = "".join(data) if isinstance(data, list) else data
        if isinstance(data, str):
            data = re.sub(r"\s+", "", data)
            try:
                base64.b64decode(data, validate=True)
            except ValueError:
                continue
            return f"data:{mime};base64,{data}"
    return ""


_HTML_TAG = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_LITERAL_TAGS = {"code", "pre", "kbd", "samp", "script", "style", "textarea"}
# In raw HTML text: $$..$$, \[..\], \(..\), and $..$ with no space inside its dollars and
# no digit after it (so that "$5 and $6" stays text).
_HTML_MATH = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\\((.+?)\\\)"
                        r"|(?<![\\$])\$(?=\S)([^$\n]*?\S)\$(?!\d)", re.S)


def _html_math(match):
    display, bracket_display, inline, dollar = match.groups()
    tex = next(g for g in (display, bracket_display, inline, dollar) if g is not None)
    return tex_to_html(html.unescape(tex), display=dollar is None and inline is None, block=False)


def math_in_html(fragment):
    """Raw HTML (a Markdown HTML block) with the formulas of its text typeset, as Jupyter
    typesets them there; text inside code, pre and the like is left alone."""
    parts = _HTML_TAG.split(fragment)
    depth = 0
    for i, part in enumerate(parts):
        if i % 2:
            name = re.match(r"<(/?)\s*([A-Za-z][A-Za-z0-9]*)", part)
            if name and name.group(2).lower() in _LITERAL_TAGS:
                depth = max(depth + (-1 if name.group(1) else 1), 0)
        elif depth == 0 and part:
            parts[i] = _HTML_MATH.sub(_html_math, part)
    return "".join(parts)


def _html_block_rule(_renderer, tokens, idx, _options, _env):
    return math_in_html(tokens[idx].content)


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.amsmath import amsmath_plugin
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.texmath import texmath_plugin

    md = MarkdownIt("commonmark", {"html": True, "highlight": _fence})
    md.enable(["table", "strikethrough"])
    md.use(dollarmath_plugin, allow_labels=False, allow_space=True, allow_digits=True,
           double_inline=True)
    md.use(texmath_plugin, delimiters="brackets")          # \( \) and \[ \] as in Jupyter
    md.use(amsmath_plugin)
    for token, display, block in (("math_inline", False, False),
                                  ("math_inline_double", True, False),
                                  ("math_block", True, True), ("math_block_label", True, True),
                                  ("math_block_eqno", True, True), ("amsmath", True, True)):
        md.add_render_rule(token, _math_rule(display, block))
    md.add_render_rule("html_block", _html_block_rule)
    md.add_render_rule("image", _image_rule(md.renderer.rules["image"]))
    return md


def markdown_to_html(text, attachments=None):
    """Sanitised HTML for the Markdown ``text`` (a cell's source, an output, a comment)."""
    rendered = _markdown().render(str(text), {"attachments": attachments})
    return sanitize(rendered)
