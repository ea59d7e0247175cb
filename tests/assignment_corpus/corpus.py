"""The corpus of Fashion-MNIST answer cells: loading the variants.

Every file ``<grade_id>/<variant>.py`` next to this module is the complete source of one
answer cell as a student hands it in (the code the cell gives included).  Its first line is

    # verdict: honest
    # verdict: wrong: <what is wrong> | fails: <test ids, comma-separated>

``tests/test_assignment_corpus.py`` runs every variant through the notebook's checks
(``course_lib.assignment``) and the grader's trusted checks and requires that they agree with
each other and with the header; ``tests/test_similarity.py`` uses the honest ones as a class of
independently written answers.
"""
import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CELLS = ("class_means", "leaky_relu", "im2col_col2im", "convolution", "max_pool",
         "build_network", "most_confused")
# the test cells that run each answer cell's code (the network runs on the layers)
TESTS = {"class_means": ["test_class_means"],
         "leaky_relu": ["test_leaky_relu_forward", "test_leaky_relu_backward",
                        "test_build_network"],
         "im2col_col2im": ["test_im2col", "test_col2im", "test_convolution_forward",
                           "test_convolution_backward", "test_build_network"],
         "convolution": ["test_convolution_forward", "test_convolution_backward",
                         "test_build_network"],
         "max_pool": ["test_max_pool", "test_max_pool_backward", "test_build_network"],
         "build_network": ["test_build_network"],
         "most_confused": ["test_most_confused"]}
HEADER = re.compile(r"# verdict: (?:(honest)|wrong: (.+?) \| fails: ([\w, ]+))$")


@dataclass
class Variant:
    """One corpus file: ``cell`` (grade id), ``name``, ``honest``, ``what`` and ``fails``."""
    path: Path
    cell: str
    name: str
    honest: bool
    what: str
    fails: frozenset
    source: str


def load(path):
    """The :class:`Variant` in ``path``; a ValueError when its header is not as documented."""
    path = Path(path)
    source = path.read_text(encoding="utf-8")
    match = HEADER.match(source.splitlines()[0] if source else "")
    if not match:
        raise ValueError(f"{path}: the first line must be '# verdict: honest' or "
                         "'# verdict: wrong: <what> | fails: <test ids>'")
    fails = frozenset(t.strip() for t in (match.group(3) or "").split(",") if t.strip())
    unknown = fails - set(TESTS.get(path.parent.name, ()))
    if unknown:
        raise ValueError(f"{path}: {sorted(unknown)} do not run this cell's code; its tests are "
                         f"{TESTS.get(path.parent.name)}")
    return Variant(path, path.parent.name, path.stem, bool(match.group(1)),
                   match.group(2) or "", fails, source)


def variants(cell=None):
    """Every variant of the corpus (of one cell when ``cell`` is given), sorted by path."""
    folders = [HERE / cell] if cell else [HERE / c for c in CELLS]
    return [load(p) for folder in folders for p in sorted(folder.glob("*.py"))]
