"""course_lib speaks the student's language: with ``set_language("ko")`` the checks, the
loaders, the model files, the explorers, the figures, the trainer and ``make check``'s report
say everything in Korean, from ``course_lib/locale/ko.po``; in English they say what they always
said (the rest of the suite compares the English text).

Every test that chooses Korean does it through the ``korean`` fixture, which puts the language
and Matplotlib's settings back afterwards.
"""
import ast
import logging
import re
import textwrap
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest

import course_lib
from course_lib import checks, i18n

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[1]
HANGUL = re.compile("[\uac00-\ud7a3]")


@pytest.fixture
def korean(monkeypatch):
    """Korean from here to the end of the test; the language chosen before comes back after."""
    monkeypatch.setattr(i18n, "_chosen", None)
    mathtext = logging.getLogger("matplotlib.mathtext")
    MATHTEXT_LOG.messages.clear()
    mathtext.addHandler(MATHTEXT_LOG)
    try:
        with matplotlib.rc_context():
            course_lib.set_language("ko")
            yield
    finally:
        mathtext.removeHandler(MATHTEXT_LOG)
    plt.close("all")


def _fails(check, student):
    with pytest.raises(AssertionError) as info:
        check(student)
    return str(info.value)


def _no_pad(H, FH, stride=1, pad=0):
    return (H - FH) // stride + 1


def _unfinished(*args):
    raise NotImplementedError


def _conv_output_size(H, FH, stride=1, pad=0):
    span = H + 2 * pad - FH
    if span < 0 or span % stride:
        raise ValueError(f"({H} + 2*{pad} - {FH}) / {stride} + 1 is not a whole number")
    return span // stride + 1


# ---------------------------------------------------------------------------
# Choosing the language
# ---------------------------------------------------------------------------

def test_the_language_follows_the_notebook_then_the_environment_then_the_locale(monkeypatch):
    monkeypatch.setattr(i18n, "_chosen", None)
    for key in ("COURSE_LIB_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(key, raising=False)
    assert i18n.language() == "en"
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert i18n.language() == "ko"
    monkeypatch.setenv("COURSE_LIB_LANG", "en")
    assert i18n.language() == "en"
    monkeypatch.setenv("COURSE_LIB_LANG", "ko")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert i18n.language() == "ko"
    with matplotlib.rc_context():
        course_lib.set_language("en")
        assert i18n.language() == "en"
        assert i18n._("Looked in:") == "Looked in:"
        course_lib.set_language("ko")
        assert i18n._("Looked in:") == "찾아본 곳:"
    with pytest.raises(ValueError, match="course_lib speaks"):
        course_lib.set_language("kr")


def test_every_message_is_a_literal_template_the_catalog_can_hold():
    # _("...") and say("...") are extracted into the catalog only when their first argument is
    # a string literal: an f-string or a variable there would never be translated.
    found = []
    for path in sorted((ROOT / "course_lib").rglob("*.py")):
        if "fast" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            first = node.args[0]
            if called in ("_", "say") and not (isinstance(first, ast.Constant)
                                               and isinstance(first.value, str)):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, f"messages that cannot be translated: {found}"


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------

def test_a_check_explains_a_mistake_in_korean(korean):
    message = _fails(checks.check_conv_output_size, _no_pad)
    joined = " ".join(message.split())
    assert "결과가 틀렸습니다" in joined and "짐작되는 원인: 패딩이 빠졌습니다" in joined, message
    assert "wrong result" not in joined and "Likely cause" not in joined
    for line in ("AssertionError: " + message).splitlines():     # as Jupyter shows it
        assert i18n.columns(line) <= 80, line


def test_a_check_passes_and_says_unwritten_code_in_korean(korean, capsys):
    checks.check_conv_output_size(_conv_output_size)
    out = capsys.readouterr().out
    assert out.startswith("check_conv_output_size: 통과 ("), out
    message = " ".join(_fails(checks.check_conv_output_size, _unfinished).split())
    assert "아직 작성하지 않았습니다" in message and "not written yet" not in message


def test_the_same_check_speaks_english_again_afterwards(korean):
    course_lib.set_language("en")
    message = _fails(checks.check_conv_output_size, _no_pad)
    assert "Likely cause: the padding is missing" in " ".join(message.split())
    assert not HANGUL.search(message)


def _im2col(x, fh, fw, stride=1, pad=0):
    """A right im2col by loops (the book's layout)."""
    N, C, H, W = x.shape
    oh, ow = (H + 2 * pad - fh) // stride + 1, (W + 2 * pad - fw) // stride + 1
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    rows = [xp[n, :, i * stride:i * stride + fh, j * stride:j * stride + fw].ravel()
            for n in range(N) for i in range(oh) for j in range(ow)]
    return np.array(rows)


def test_the_assignment_checks_speak_korean(korean):
    from course_lib import assignment

    part = assignment.PARTS["test_im2col"]
    message = assignment.failure(part, {"im2col": lambda *args: _im2col(*args).T})
    assert message.startswith("im2col, 사례 1 (입력 (2, 1, 3, 3) (float64), 2x2 윈도우, "), message
    assert "행렬이 전치되었습니다" in message and "instead of" not in message
    assert assignment.PARTS["test_class_means"].title == "클래스 평균과 거리"
    course_lib.set_language("en")
    assert assignment.PARTS["test_class_means"].title == "class means and distances"
    english = assignment.failure(part, {"im2col": lambda *args: _im2col(*args).T})
    assert english.startswith("im2col, case 1 (input (2, 1, 3, 3) (float64), 2x2 windows, ")
    assert english.endswith("the matrix is transposed: one ROW per output pixel"), english


# ---------------------------------------------------------------------------
# Loaders and model files
# ---------------------------------------------------------------------------

@pytest.fixture
def no_data(tmp_path, monkeypatch):
    """No dataset anywhere: an empty cache, no $COURSE_LIB_DATA, no system folder."""
    from course_lib import datasets

    monkeypatch.delenv("COURSE_LIB_DATA", raising=False)
    monkeypatch.setenv("COURSE_LIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "SYSTEM_DATA_ROOT", tmp_path / "system")
    return tmp_path


def test_a_loader_error_in_korean(korean, no_data):
    from course_lib.datasets import DatasetCorruptError, DatasetNotFoundError, load_mnist

    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(data_dir=no_data / "nowhere")
    assert "폴더가 아닙니다" in str(info.value) and "is not a folder" not in str(info.value)

    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(download=False)
    text = str(info.value)
    assert "찾아본 곳:" in text and "내려받기를 껐습니다" in text and "캐시 폴더" in text, text
    assert "Looked in" not in text

    folder = no_data / "mine" / "mnist"
    folder.mkdir(parents=True)
    # a label file's header where the training images should be
    (folder / "train-images-idx3-ubyte").write_bytes(np.array([2049, 60000, 28, 28],
                                                                ">u4").tobytes())
    with pytest.raises(DatasetCorruptError) as info:
        load_mnist(data_dir=no_data / "mine", download=False)
    text = str(info.value)
    assert "쓸 수 없습니다: IDX 레이블 파일(매직 넘버 2049)인데 IDX 이미지 파일" in text, text
    assert "바로잡으려면" in text


def test_a_model_file_error_in_korean(korean, tmp_path):
    from course_lib.model_file import build_model, load_model

    with pytest.raises(FileNotFoundError, match="모델 파일이 없습니다"):
        load_model(tmp_path / "missing.npz")
    pickled = tmp_path / "pickled.npz"
    pickled.write_bytes(b"\x80\x04\x95 not a zip")
    with pytest.raises(ValueError, match="pickle 파일입니다"):
        load_model(pickled)
    with pytest.raises(ValueError) as info:
        build_model([{"type": "Convolution", "filters": 4, "filter_h": 3, "filter_w": 3,
                      "stride": 1.5}])
    assert "0번 계층(Convolution)의 stride은(는) 정수여야 합니다" in str(info.value), info.value


# ---------------------------------------------------------------------------
# Explorers and figures
# ---------------------------------------------------------------------------

def test_an_explorer_labels_its_controls_in_korean(korean):
    from course_lib.augment_widgets import augment_explorer
    from course_lib.widgets import conv_explorer, pool_explorer

    conv = conv_explorer(H=7, W=7, FH=3, FW=3, P=0, S=2, out_row=1, out_col=2)
    assert [s.description for s in conv.controls.values()] == [
        "입력 H", "입력 W", "필터 FH", "필터 FW", "패딩 P", "스트라이드 S"]
    assert (conv.out_row.description, conv.out_col.description) == ("출력 행", "출력 열")
    assert "윈도우는 입력의 0, 2, 4행과 0, 2, 4열에서 시작합니다" in conv.status.value
    assert conv.last_figure.axes[1].get_title() == "출력 3 x 3: 픽셀 (1, 2)"
    assert "커널이 필요합니다" in conv._repr_mimebundle_()["text/plain"]

    pool = pool_explorer(np.zeros((2, 8, 8)), mode="avg")
    assert pool.mode.options == (("최대", "max"), ("평균", "avg")) and pool.mode.value == "avg"
    assert (pool.pool_size.description, pool.mode.description) == ("윈도우 크기", "방식")

    aug = augment_explorer(np.zeros((2, 1, 8, 8)), labels=[3, 1])
    assert aug.controls["flip"].description == "좌우 반전"
    assert [ax.get_title() for ax in aug.last_figure.axes] == ["원본: 3", "변환 결과"]


class _Logged(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


# Matplotlib warns of a missing glyph in plain text, and logs one in math text (a log axis's
# ticks, ``$10^{-1}$``), once, whenever the text is first laid out: the log is kept for the
# whole test by the ``korean`` fixture.
MATHTEXT_LOG = _Logged()


def _drawn(fig):
    """Draw ``fig``, turning a missing glyph (a tofu box) into an error."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        fig.canvas.draw()
    glyphs = [m for m in MATHTEXT_LOG.messages if "glyph" in m]
    assert not glyphs, glyphs
    return fig


def test_figures_title_and_label_in_korean_without_a_missing_glyph(korean):
    from course_lib.architectures import draw_residual_block
    from course_lib.plots import plot_learning_curves
    from course_lib.window_figures import draw_conv_window, draw_pool_window

    fig = _drawn(draw_conv_window(7, 7, 3, 3, P=1, S=2, out_row=1, out_col=2))
    assert [ax.get_title() for ax in fig.axes] == ["입력 7 x 7, 9 x 9(으)로 패딩",
                                                   "출력 4 x 4: 픽셀 (1, 2)"]
    fig = _drawn(draw_conv_window(6, 6, 3, 3, P=0, S=2))
    text = fig.axes[1].texts[0].get_text()
    assert text.startswith("정수인 출력 크기가 없습니다.") and "높이와 너비: " in text, text
    assert max(i18n.columns(line) for line in text.splitlines()) <= 48

    fig = _drawn(draw_pool_window(np.arange(16.0).reshape(4, 4), 2, 2, mode="max"))
    assert fig._suptitle.get_text().startswith("2x2 최대 풀링, 스트라이드 2: OH = ")

    fig = _drawn(plot_learning_curves(train_loss=np.linspace(2, 0.1, 200),
                                      train_acc=[0.5, 0.8], val_acc=[0.4, 0.7], test_acc=0.72))
    acc = fig.axes[1]
    assert [t.get_text() for t in acc.get_legend().get_texts()] == [
        "훈련", "검증", "시험 (마지막에 한 번)"]
    assert (acc.get_xlabel(), acc.get_ylabel()) == ("에폭", "정확도")
    loss = fig.axes[0]
    assert loss.get_yscale() == "log" and loss.get_ylim()[0] < 0.1    # ticks 10^-1: a minus sign

    ax = draw_residual_block()
    _drawn(ax.figure)
    assert ax.get_title() == "잔차 블록" and "항등 사상\n(스킵 연결)" in [t.get_text()
                                                                  for t in ax.texts]


# ---------------------------------------------------------------------------
# What is printed: the trainer, gradcheck, summaries, make check
# ---------------------------------------------------------------------------

def test_the_trainer_and_the_summary_print_korean(korean, capsys):
    from course_lib.experiments import mlp
    from course_lib.trainer import Trainer

    rng = np.random.default_rng(0)
    x, t = rng.random((40, 4)).astype(np.float32), rng.integers(0, 3, 40)
    net = mlp(seed=0, sizes=(4, 8, 3))
    Trainer(net, x, t, x[:10], t[:10], epochs=1, mini_batch_size=20, seed=0,
            validation_split=0.25).train()
    out = capsys.readouterr().out
    assert re.search(r"에폭 1/1: 손실 \d\.\d{4}  훈련 정확도 \d\.\d{4}  검증 정확도", out), out
    assert "시험 샘플 10개 전체의 정확도: " in out, out

    lines = net.summary((4,)).splitlines()
    assert lines[0].split() == ["계층", "출력", "형상", "매개변수"]
    assert lines[-1].startswith("합계")
    assert len({i18n.columns(line) for line in lines}) == 1, lines    # the columns line up


def test_make_check_reports_korean_verdicts(korean):
    from nbformat.v4 import new_code_cell, new_output

    from course_lib import progress

    def cell(outputs):
        return new_code_cell("", outputs=outputs, execution_count=1)

    passed = new_output("stream", name="stdout", text="check_im2col: 통과 (사례 12개: ...)\n")
    assert progress.judge(cell([]), cell([passed])) == (progress.PASSED, "")
    unwritten = new_output("error", ename="AssertionError", traceback=[], evalue=(
        "check_convolution: backward은(는) 아직 작성하지 않았습니다 "
        "(NotImplementedError를 발생시킵니다)."))
    assert progress.judge(cell([]), cell([unwritten])) == (
        progress.NOT_WRITTEN, "backward은(는) 아직 작성하지 않았습니다")
    exercise = progress.Exercise("im2col (연습 문제 1)", 3, 4)
    report = progress.ChapterReport(Path("02_im2col.ipynb"), "im2col",
                                    [progress.Result(exercise, progress.PASSED)])
    text = "\n".join(progress.format_chapter(report) + progress.summary([report]))
    assert "im2col (연습 문제 1)  통과" in text and "1개 중 1개 통과" in text, text
    assert "모든 연습 문제가 확인을 통과했습니다" in text


# ---------------------------------------------------------------------------
# Wrapping by display width
# ---------------------------------------------------------------------------

def test_korean_text_wraps_by_columns_and_english_as_textwrap_does():
    korean = ("합성곱 계층의 출력 크기는 입력 크기에 패딩을 두 번 더하고 필터 크기를 뺀 다음 "
              "스트라이드로 나누고 1을 더한 값입니다. 이 값이 정수가 아니면 윈도우가 가장자리를 "
              "벗어납니다.")
    lines = i18n.fill(korean, 40).splitlines()
    assert len(lines) > 2 and all(i18n.columns(line) <= 40 for line in lines), lines
    assert " ".join(lines) == korean
    english = "the quick brown fox jumps over the lazy dog " * 5
    assert i18n.fill(english, 30, subsequent_indent="  ") == textwrap.fill(
        english, 30, subsequent_indent="  ")
    assert i18n.ljust("계층", 6) == "계층  " and i18n.rjust("ab", 4) == "  ab"
