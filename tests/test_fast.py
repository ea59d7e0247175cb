"""The layering of the package: one switch chooses the fast path, no other module imports it."""
import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "course_lib"
SWITCH = "backend.py"


def _outside_the_fast_path(path):
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] != "fast" and str(relative) != SWITCH


# Every module of the package outside fast/ and the switch itself.
REFERENCE = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                   if _outside_the_fast_path(p))


def _imports(path):
    """Every module an import statement in the file names, at any depth, relative ones as is."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names += [base] + [f"{base}.{alias.name}" if base != "." * node.level else base
                               + alias.name
                               for alias in node.names]
    return names


@pytest.mark.parametrize("module", REFERENCE)
def test_reference_modules_do_not_import_the_fast_path(module):
    bad = [name for name in _imports(PACKAGE / module) if "fast" in name.split(".")]
    assert not bad, (f"course_lib/{module} imports {bad}: only {SWITCH} (the switch) may import "
                     "course_lib.fast")


def test_the_rule_covers_the_builders_of_networks():
    for module in ("networks.py", "architectures.py", "model_file.py", "__init__.py", "trainer.py"):
        assert module in REFERENCE


def _loaded_after(code):
    """The course_lib modules (and tqdm) loaded in a fresh interpreter after running ``code``."""
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, "
                                                       "json\nprint(json.dumps(sorted(m for m in "
                                                       "sys.modules if m.split('.')[0] in "
                                                       "('course_lib', 'tqdm'))))"],
                         capture_output=True, text=True, check=True, cwd=PACKAGE.parent)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_importing_the_reference_layers_loads_neither_fast_nor_datasets_nor_tqdm():
    loaded = _loaded_after("import course_lib.layers")
    heavy = {"course_lib.fast", "course_lib.datasets", "course_lib.trainer", "tqdm"}
    assert not loaded & heavy, loaded
    assert "course_lib.layers" in loaded


def test_the_package_still_offers_its_names_on_first_use():
    loaded = _loaded_after("from course_lib import DeepConvNet, Sequential, Trainer, load_mnist, "
                           "FASHION_MNIST_CLASSES\nimport course_lib\nassert 'Trainer' in "
                           "dir(course_lib)")
    assert {"course_lib.networks", "course_lib.trainer", "course_lib.datasets"} <= loaded
    with pytest.raises(AttributeError, match="no attribute 'Nonexistent'"):
        import course_lib
        course_lib.Nonexistent


def test_reference_networks_of_every_builder_never_load_the_fast_path():
    code = """
import numpy as np
from course_lib import DeepConvNet
from course_lib.architectures import residual_stack
from course_lib.model_file import build_model, save_model, load_model
import tempfile, os
x = np.random.default_rng(0).random((4, 1, 28, 28), dtype=np.float32)
t = np.arange(4)
for net in (DeepConvNet(fast=False, seed=0), residual_stack(2, fast=False, seed=0),
            build_model([{"type": "Convolution", "filters": 2, "filter_h": 3, "filter_w": 3},
                         {"type": "Relu"}, {"type": "Pooling", "pool_h": 2, "pool_w": 2},
                         {"type": "Affine", "units": 10}], fast=False)):
    net.gradient(x, t)
    net.accuracy(x, t)
path = os.path.join(tempfile.mkdtemp(), "m.npz")
save_model(net, path, input_shape=(1, 28, 28))
load_model(path, fast=False).predict(x)
"""
    loaded = _loaded_after(code)
    assert not {m for m in loaded if m.startswith("course_lib.fast")}, loaded


def test_a_reference_network_never_calls_the_fast_path_even_once_it_is_loaded(monkeypatch):
    from course_lib import DeepConvNet, fast
    from course_lib.fast import fused

    def refuse(*args, **kwargs):
        raise AssertionError("a network of reference layers called course_lib.fast")

    for module in (fast, fused):
        for name in ("fusable", "forward_layers", "backward_layers", "single_threaded_blas"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, refuse)
    net = DeepConvNet(fast=False, seed=0)
    x = np.random.default_rng(0).random((3, 1, 28, 28), dtype=np.float32)
    grads = net.gradient(x, np.arange(3))
    assert set(grads) == set(net.params) and net.accuracy(x, np.arange(3)) >= 0


@pytest.mark.parametrize("fast", [True, False])
def test_every_builder_takes_its_layers_from_the_switch(fast):
    from course_lib import SimpleConvNet, backend
    from course_lib.architectures import plain_stack
    from course_lib.model_file import build_model
    nets = [SimpleConvNet(fast=fast), plain_stack(2, fast=fast),
            build_model([{"type": "Convolution", "filters": 2, "filter_h": 3, "filter_w": 3},
                         {"type": "Pooling", "pool_h": 2, "pool_w": 2},
                         {"type": "Affine", "units": 10}],
                        fast=fast)]
    for net in nets:
        convs = [layer for layer in net.layers if type(layer).__name__
                 in ("Convolution", "Pooling")]
        assert convs and all(backend.is_fast_layer(layer) == fast for layer in convs), net


def test_the_fast_path_exports_its_kernels_and_functional_keeps_the_book_layout():
    from course_lib import fast, functional
    for name in ("Convolution", "Pooling", "SoftmaxWithLoss", "windows_nhwc", "col2im_nhwc",
                 "single_threaded_blas"):
        assert hasattr(fast, name), name
    assert not hasattr(functional, "windows_nhwc") and not hasattr(functional, "col2im_nhwc")
    from course_lib import layers
    assert issubclass(fast.Convolution, layers.Convolution)
    assert issubclass(fast.Pooling, layers.Pooling)
