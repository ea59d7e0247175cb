"""course_lib.model_file: a network saved with a description of its layers, rebuilt without code."""
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

from course_lib import SimpleConvNet
from course_lib.layers import Layer
from course_lib.model_file import (DESCRIPTION_KEY, build_model, describe, goal_credit, load_model,
                                   read_model_file, save_model)

ARCH = [{"type": "Convolution", "filters": 4, "filter_h": 3, "filter_w": 3, "pad": 1},
        {"type": "BatchNormalization"},
        {"type": "Relu"},
        {"type": "Pooling", "pool_h": 2, "pool_w": 2},
        {"type": "Affine", "units": 12},
        {"type": "Relu"},
        {"type": "Dropout", "ratio": 0.25},
        {"type": "Affine", "units": 10}]


@pytest.fixture
def trained(tmp_path):
    """A small network whose weights and batch-norm statistics are no longer their initial ones."""
    net = build_model(ARCH, input_shape=(1, 8, 8), seed=3)
    rng = np.random.default_rng(0)
    x = rng.random((20, 1, 8, 8)).astype(np.float32)
    # a forward pass in training mode moves the statistics
    grads = net.gradient(x, rng.integers(0, 10, 20))
    for key, g in grads.items():
        net.params[key] = net.params[key] - 0.1 * g
    return net, x


def _arrays(path):
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _write(path, arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def test_round_trip_gives_the_same_network_and_metadata(trained, tmp_path):
    net, x = trained
    path = tmp_path / "model.npz"
    save_model(net, path, metadata={"validation_accuracy": 0.91, "epochs": 3, "note": "seed 3"},
               input_shape=(1, 8, 8))
    loaded = load_model(path)
    assert describe(loaded) == describe(net)
    assert [type(layer).__name__ for layer in loaded.layers] == [d["type"] for d in ARCH]
    net.eval()
    assert np.array_equal(loaded.predict(x), net.predict(x))
    assert not loaded.training
    assert loaded.model_metadata == {"validation_accuracy": 0.91, "epochs": 3, "note": "seed 3"}
    state = _arrays(path)
    assert {"W1", "b1", "gamma1", "beta1", "running_mean1", "running_var1", "W2", "b2", "W3", "b3",
            DESCRIPTION_KEY} == set(state)
    description = json.loads(str(state[DESCRIPTION_KEY]))
    assert description["input_shape"] == [1, 8, 8]
    assert description["layers"][6] == {"type": "Dropout",
                                                                                   "ratio": 0.25}


def test_the_book_networks_can_be_saved(tmp_path):
    net = SimpleConvNet(seed=0, dropout_ratio=0.5)
    save_model(net, tmp_path / "simple.npz")
    x = np.random.default_rng(1).random((3, 1, 28, 28)).astype(np.float32)
    assert np.array_equal(load_model(tmp_path / "simple.npz").predict(x), net.eval().predict(x))


def test_build_model_fills_in_defaults_and_initialises_he():
    net = build_model([{"type": "Convolution", "filters": 64, "filter_h": 5, "filter_w": 5},
                       {"type": "Pooling", "pool_h": 2, "pool_w": 2},
                       {"type": "Affine", "units": 10}],
                      input_shape=(3, 12, 12), seed=0)
    d = describe(net)
    assert d[0]["stride"] == 1 and d[0]["pad"] == 0
    assert d[1] == {"type": "Pooling", "pool_h": 2, "pool_w": 2, "stride": 2, "pad": 0,
                    "mode": "max"}
    assert net.params["W2"].shape == (64 * 4 * 4, 10)
    assert abs(net.params["W1"].std() - np.sqrt(2 / 75)) < 0.1 * np.sqrt(2 / 75)
    assert np.all(net.params["b1"] == 0)
    assert np.array_equal(build_model(d, input_shape=(3, 12, 12), seed=0).params["W1"],
                          net.params["W1"])


@pytest.mark.parametrize("layers, message", [
    ([{"type": "LeakyRelu"}, {"type": "Affine", "units": 10}], "not allowed"),
    ([{"type": "Affine", "units": 10, "activation": "relu"}], "unknown settings"),
    ([{"type": "Affine"}], "needs the setting 'units'"),
    ([{"type": "Affine", "units": -3}], "between"),
    ([{"type": "Affine", "units": 2.5}], "whole number"),
    ([{"type": "Dropout", "ratio": 1.5}, {"type": "Affine", "units": 10}], "between"),
    ([{"type": "Convolution", "filters": 4, "filter_h": 5, "filter_w": 5, "stride": 2},
      {"type": "Affine", "units": 10}], "not a whole number"),
    ([{"type": "Affine", "units": 10}, {"type": "Pooling", "pool_h": 2, "pool_w": 2}], "image "
                                                                                       "input"),
    ([{"type": "Convolution", "filters": 4, "filter_h": 3, "filter_w": 3}], "end with scores"),
    ([{"type": "Affine", "units": 60000}, {"type": "Affine", "units": 60000}], "parameters"),
    ("Relu", "list"),
])
def test_bad_descriptions_are_refused(layers, message):
    with pytest.raises(ValueError, match=message):
        build_model(layers, input_shape=(1, 8, 8))


class MyRelu(Layer):
    def forward(self, x, train_flg=None):
        return np.maximum(x, 0)


def test_layers_without_a_description_cannot_be_saved(tmp_path):
    net = build_model(ARCH, input_shape=(1, 8, 8))
    net.layers[2] = MyRelu()
    with pytest.raises(ValueError, match=r"layer 2 \(MyRelu.*only course_lib's own layers"):
        save_model(net, tmp_path / "m.npz")

    class Relu(type(build_model(ARCH, input_shape=(1, 8, 8)).layers[2])):  # same name, other code
        def forward(self, x, train_flg=None):
            return x
    net.layers[2] = Relu()
    with pytest.raises(ValueError, match="cannot be saved"):
        save_model(net, tmp_path / "m.npz")
    assert not os.listdir(tmp_path), "nothing is written when saving fails"


def test_save_refuses_other_suffixes_and_keeps_the_old_file(trained, tmp_path):
    net, _ = trained
    with pytest.raises(ValueError, match=r"\.npz"):
        save_model(net, tmp_path / "model.pkl")
    path = tmp_path / "model.npz"
    save_model(net, path, input_shape=(1, 8, 8))
    before = path.read_bytes()
    with pytest.raises(ValueError, match="metadata"):
        save_model(net, path, metadata={"accuracy": float("nan")}, input_shape=(1, 8, 8))
    with pytest.raises(ValueError):
        # the default input shape (1, 28, 28) does not fit W2
        save_model(net, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.npz"], "no temporary file is left behind"


# ----- refusing damaged or hostile files -------------------------------------------------

@pytest.fixture
def saved(trained, tmp_path):
    net, _ = trained
    path = tmp_path / "model.npz"
    save_model(net, path, input_shape=(1, 8, 8))
    return path, _arrays(path)


def _with_description(arrays, change):
    arrays = dict(arrays)
    d = json.loads(str(arrays[DESCRIPTION_KEY]))
    change(d)
    arrays[DESCRIPTION_KEY] = np.array(json.dumps(d))
    return arrays


@pytest.mark.parametrize("damage, message", [
    (lambda a: {k: v for k, v in a.items() if k != "W2"}, r"arrays missing: \['W2'\]"),
    (lambda a: {**a, "W9": np.zeros(3, np.float32)}, r"does not have: \['W9'\]"),
    (lambda a: {**a, "W2": np.zeros((5, 12), np.float32)}, r"W2 has shape \(5, 12\)"),
    (lambda a: {**a, "b3": np.full(10, np.nan, np.float32)}, "NaN"),
    (lambda a: {**a, "b3": np.arange(10, dtype=np.float64)}, "float64"),
    (lambda a: {k: v for k, v in a.items() if k != DESCRIPTION_KEY}, "no model description"),
    (lambda a: {**a, DESCRIPTION_KEY: np.array("{not json")}, "not valid JSON"),
    (lambda a: {**a, DESCRIPTION_KEY: np.array([1.0, 2.0])}, "one text"),
    (lambda a: _with_description(a, lambda d: d["layers"].__setitem__(2, {"type": "os.system"})),
     "not allowed"),
    (lambda a: _with_description(a, lambda d: d["layers"][4].__setitem__("units", 13)), "W2 has "
                                                                                        "shape"),
    (lambda a: _with_description(a, lambda d: d["layers"][0].pop("pad")), "needs the setting "
                                                                          "'pad'"),
    (lambda a: _with_description(a, lambda d: d.__setitem__("input_shape", [1, 8])), "input_shape"),
    (lambda a: _with_description(a, lambda d: d.__setitem__("format", "keras")), "format"),
    (lambda a: _with_description(a, lambda d: d.__setitem__("code", "import "
                                                                    "os")), "unknown entries"),
    (lambda a: _with_description(a, lambda d: d.__setitem__("metadata", {"x": [1, 2]})),
     "metadata"),
])
def test_damaged_files_are_refused(saved, tmp_path, damage, message):
    _, arrays = saved
    bad = _write(tmp_path / "bad.npz", damage(arrays))
    with pytest.raises(ValueError, match=message):
        load_model(bad)


def test_pickles_and_object_arrays_are_refused(saved, tmp_path):
    _, arrays = saved
    with open(tmp_path / "model.pkl", "wb") as f:
        pickle.dump(arrays, f)
    with pytest.raises(ValueError, match="pickle file"):
        load_model(tmp_path / "model.pkl")
    obj = dict(arrays)
    obj["W1"] = np.array([{"a": 1}], dtype=object)
    with open(tmp_path / "obj.npz", "wb") as f:
        np.savez(f, **obj)
    with pytest.raises(ValueError, match="pickle"):
        load_model(tmp_path / "obj.npz")


def test_other_files_are_refused(saved, tmp_path):
    path, _ = saved
    (tmp_path / "empty.npz").write_bytes(b"")
    (tmp_path / "text.npz").write_text("hello")
    (tmp_path / "cut.npz").write_bytes(path.read_bytes()[:300])
    for name in ("empty.npz", "text.npz", "cut.npz"):
        with pytest.raises(ValueError, match="npz"):
            load_model(tmp_path / name)
    with zipfile.ZipFile(tmp_path / "extra.npz", "w") as zf:
        zf.writestr("W1.npy", path.read_bytes()[:10])
        zf.writestr("run_me.py", "print('hi')")
    with pytest.raises(ValueError, match="not arrays"):
        load_model(tmp_path / "extra.npz")
    with pytest.raises(FileNotFoundError, match="save_model"):
        load_model(tmp_path / "missing.npz")


def test_oversized_files_are_refused(saved, tmp_path):
    path, arrays = saved
    with pytest.raises(ValueError, match="more than"):
        load_model(path, max_bytes=1000)
    # a small compressed file that would unpack to far more
    bomb = dict(arrays)
    bomb["W9"] = np.zeros(3_000_000, np.float32)
    with open(tmp_path / "bomb.npz", "wb") as f:
        np.savez_compressed(f, **bomb)
    assert os.path.getsize(tmp_path / "bomb.npz") < 100_000
    with pytest.raises(ValueError, match="unpacks to"):
        load_model(tmp_path / "bomb.npz", max_bytes=1_000_000)


def test_read_model_file_returns_the_checked_parts(saved):
    path, arrays = saved
    description, loaded, net = read_model_file(path)
    assert description["layers"][0]["type"] == "Convolution"
    assert set(loaded) == set(arrays) - {DESCRIPTION_KEY}


@pytest.mark.parametrize("accuracy, credit",
                         [(0.80, 0.0), (0.85, 0.0), (0.875, 0.5), (0.90, 1.0), (0.95, 1.0)])
def test_goal_credit_is_linear_between_85_and_90_percent(accuracy, credit):
    assert goal_credit(accuracy) == pytest.approx(credit)
