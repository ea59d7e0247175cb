"""The layering of the package: reference modules never import the fast path."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "course_lib"
REFERENCE = ["config.py", "functional.py", "naive.py", "layers.py", "optimizers.py", "gradcheck.py"]


def _imports(path):
    """Every module an import statement in the file names, at any depth, relative ones as written."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names += [base] + [f"{base}.{alias.name}" if base != "." * node.level else base + alias.name
                               for alias in node.names]
    return names


@pytest.mark.parametrize("module", REFERENCE)
def test_reference_modules_do_not_import_the_fast_path(module):
    bad = [name for name in _imports(PACKAGE / module) if "fast" in name.split(".")]
    assert not bad, f"course_lib/{module} imports {bad}: only networks (the switch) may import course_lib.fast"


def test_the_fast_path_exports_its_kernels_and_functional_keeps_the_book_layout():
    from course_lib import fast, functional
    for name in ("Convolution", "Pooling", "SoftmaxWithLoss", "windows_nhwc", "col2im_nhwc", "single_threaded_blas"):
        assert hasattr(fast, name), name
    assert not hasattr(functional, "windows_nhwc") and not hasattr(functional, "col2im_nhwc")
    from course_lib import layers
    assert issubclass(fast.Convolution, layers.Convolution) and issubclass(fast.Pooling, layers.Pooling)
