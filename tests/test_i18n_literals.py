"""notebooks/build/i18n.py: a translated run of string literals goes back into the code whole,
docstrings written over several lines included."""
import ast
import sys
from pathlib import Path

import pytest

BUILD = Path(__file__).resolve().parents[1] / "notebooks" / "build"
sys.path.insert(0, str(BUILD))
import i18n  # noqa: E402

sys.path.remove(str(BUILD))

LAYER = '''class Convolution:
    """Convolution through im2col.  W: (FN, C, FH, FW), b: (FN,).

    forward: x (N, C, H, W) -> (N, FN, OH, OW).
    backward: dout (N, FN, OH, OW) -> dx (N, C, H, W).
    """

    def check(self, k):
        raise ValueError(f"a {k}x{k} window does not tile "
                         "the input, try another size")
'''


def _translate(source, table):
    found = {u.text for u in i18n.units("code", source)}
    assert set(table) <= found, sorted(found)
    return i18n.translate_cell("code", source, table.get)


def test_a_docstring_over_several_lines_keeps_every_line():
    english = ("Convolution through im2col.  W: (FN, C, FH, FW), b: (FN,).\n\n"
               "    forward: x (N, C, H, W) -> (N, FN, OH, OW).\n"
               "    backward: dout (N, FN, OH, OW) -> dx (N, C, H, W).\n    ")
    korean = ("im2col을 이용한 합성곱.  W: (FN, C, FH, FW), b: (FN,).\n\n"
              "    forward: x (N, C, H, W) -> (N, FN, OH, OW).\n"
              "    backward: dout (N, FN, OH, OW) -> dx (N, C, H, W).\n    ")
    message = "a {k}x{k} window does not tile \nthe input, try another size"
    out = _translate(LAYER, {english: korean, message: message})
    tree = ast.parse(out)
    assert ast.get_docstring(tree.body[0], clean=False) == korean
    assert out.replace(korean, english) == LAYER


def test_a_run_of_literals_takes_one_line_each_fields_moved_between_them():
    message = "a {k}x{k} window does not tile \nthe input, try another size"
    korean = "{k}x{k} \n윈도우는 입력에 맞지 않음, 다른 크기로"
    out = _translate(LAYER, {message: korean})
    assert 'raise ValueError(f"{k}x{k} "\n                         "윈도우는' in out
    raised = ast.parse(out).body[0].body[1].body[0].exc.args[0]
    text = eval(compile(ast.Expression(raised), "<message>", "eval"), {"k": 3})
    assert text == "3x3 윈도우는 입력에 맞지 않음, 다른 크기로"


def test_a_translation_with_another_number_of_lines_is_refused():
    english = next(u.text for u in i18n.units("code", LAYER) if u.text.startswith("Conv"))
    with pytest.raises(i18n.CatalogError, match="must have 5 line"):
        _translate(LAYER, {english: "im2col을 이용한 합성곱."})
