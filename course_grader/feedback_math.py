"""TeX formulas turned into MathML ahead of time, for pages that run no script.

``tex_to_html(tex, display)`` converts one formula (the text between ``$``
signs, or a ``\\begin{...}...\\end{...}`` environment) with latex2mathml and
returns a ``<math>`` element, or, when the formula cannot be converted (a
syntax error, a command latex2mathml does not know, a formula over
``MAX_TEX`` characters), the TeX source shown as code: never as ``$...$``
text.  The MathML is serialised here from latex2mathml's element tree, so
that text in a formula (``\\text{<b>}``) stays text; the caller still passes
it through the page's sanitiser.
"""
import html
import re
import xml.etree.ElementTree as ET

MAX_TEX = 4000      # characters of one formula; longer ones are shown as source

# Environments latex2mathml does not lay out, and ones it does that mean the same.
_ENVIRONMENTS = {
    "aligned": ("\\begin{align*}", "\\end{align*}"),
    "gather": ("\\begin{array}{c}", "\\end{array}"),
    "gather*": ("\\begin{array}{c}", "\\end{array}"),
    "gathered": ("\\begin{array}{c}", "\\end{array}"),
    "multline": ("\\begin{array}{c}", "\\end{array}"),
    "multline*": ("\\begin{array}{c}", "\\end{array}"),
    "equation": ("", ""),
    "equation*": ("", ""),
    "displaymath": ("", ""),
}
_ENV = re.compile(r"\\(begin|end)\{([A-Za-z]+\*?)\}")
_UNKNOWN_COMMAND = re.compile(r"^\\[A-Za-z]")
_TOKENS = {"mi", "mo", "mn", "ms"}


def _rewrite_environments(tex):
    """``tex`` with the environments of ``_ENVIRONMENTS`` replaced by ones latex2mathml lays out."""
    def swap(m):
        pair = _ENVIRONMENTS.get(m.group(2))
        if pair is None:
            return m.group(0)
        return pair[0] if m.group(1) == "begin" else pair[1]
    return _ENV.sub(swap, tex)


def _clean_tree(element):
    """Decode the character references latex2mathml leaves in its texts, in place.

    Returns False when the tree shows a failed conversion: a command kept as
    text (``<mi>\\foo</mi>``) or an alignment ``&`` outside a table.
    """
    ok = True
    for node in element.iter():
        node.attrib.pop("xmlns", None)
        for key, value in node.attrib.items():
            node.attrib[key] = html.unescape(value)
        if node.text:
            node.text = html.unescape(node.text)
            if node.tag in _TOKENS and (_UNKNOWN_COMMAND.match(node.text) or node.text == "&"):
                ok = False
            if node.tag == "mtext" and _UNKNOWN_COMMAND.match(node.text):
                ok = False
        if node.tail:
            node.tail = html.unescape(node.tail)
    return ok


def tex_to_mathml(tex, display=False):
    """MathML text for the formula ``tex``, or None when it cannot be converted."""
    from latex2mathml.converter import convert_to_element

    tex = str(tex).strip()
    if not tex or len(tex) > MAX_TEX:
        return None
    try:
        element = convert_to_element(_rewrite_environments(tex),
                                     display="block" if display else "inline")
    except Exception:  # any failure of the converter: show the source
        return None
    if not _clean_tree(element) or not list(element.iter())[2:]:
        return None
    return ET.tostring(element, encoding="unicode")


def tex_to_html(tex, display=False, block=None):
    """A ``<math>`` element for ``tex``, or its source as code when it cannot be converted.

    ``display``: typeset as a displayed formula; ``block`` (default: ``display``): wrap it in
    a ``<div>``, which must not be done inside a paragraph (``$$x$$`` within a line).
    """
    mathml = tex_to_mathml(tex, display)
    if mathml is None:
        source = html.escape(str(tex).strip())
        mathml = (f'<code class="tex" title="a formula that could not be typeset, shown as '
                  f'written">{source}</code>')
    if display if block is None else block:
        return f'<div class="math-display">{mathml}</div>'
    return mathml


def latex_output_to_html(text):
    """A ``text/latex`` output (``$x$``, ``$$x$$``, ``\\[x\\]``, an environment) as display math."""
    tex = str(text).strip()
    for left, right in (("$$", "$$"), ("\\[", "\\]"), ("$", "$"), ("\\(", "\\)")):
        if tex.startswith(left) and tex.endswith(right) and len(tex) >= len(left) + len(right):
            tex = tex[len(left):len(tex) - len(right)]
            break
    return tex_to_html(tex, display=True)
