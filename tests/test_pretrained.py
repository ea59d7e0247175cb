"""The shipped pretrained networks: names, errors, and the real accuracy on MNIST.

The accuracy test needs the MNIST files (see the `mnist` fixture in conftest.py).
"""
import numpy as np
import pytest

from course_lib import DeepConvNet, pretrained

NAME = "deep_convnet_mnist"


def test_available_lists_the_mnist_network():
    names = pretrained.available()
    assert NAME in names
    assert names == sorted(names)


def test_shipped_weights_file_is_present_and_npz():
    path = pretrained.weights_path(NAME)
    assert path.suffix == ".npz"
    assert path.is_file(), f"{path} is missing: run notebooks/04_deep_convnet.ipynb in full mode"
    with np.load(path, allow_pickle=False) as data:
        assert {"W1", "b1", "W8", "b8"} <= set(data.files)


def test_load_gives_a_deep_convnet_in_eval_mode():
    network = pretrained.load(NAME)
    assert isinstance(network, DeepConvNet)
    assert network.training is False
    assert all(layer.training is False for layer in network.layers)
    assert network.params["W1"].shape == (16, 1, 3, 3)
    assert network.dtype == np.float32


def test_loaded_weights_are_the_shipped_ones_and_not_the_initial_ones():
    network = pretrained.load(NAME)
    with np.load(pretrained.weights_path(NAME), allow_pickle=False) as data:
        for key, value in network.params.items():
            np.testing.assert_array_equal(value, data[key])
    fresh = DeepConvNet()
    assert not np.array_equal(fresh.params["W1"], network.params["W1"])


def test_each_load_returns_an_independent_network():
    a, b = pretrained.load(NAME), pretrained.load(NAME)
    a.params["W1"][...] = 0
    assert np.any(b.params["W1"] != 0)


def test_eval_mode_predictions_are_deterministic():
    network = pretrained.load(NAME)
    x = np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32)
    np.testing.assert_array_equal(network.predict(x), network.predict(x))


@pytest.mark.parametrize("bad", ["no_such_network", "deep_convnet_fashion", ""])
def test_unknown_name_is_a_clear_error(bad):
    with pytest.raises(ValueError) as err:
        pretrained.load(bad)
    message = str(err.value)
    assert repr(bad) in message
    assert NAME in message  # lists what is available


def test_near_miss_name_gets_a_suggestion():
    with pytest.raises(ValueError, match="Did you mean 'deep_convnet_mnist'"):
        pretrained.load("Deep-ConvNet-MNIST")


def test_non_string_name_is_a_type_error():
    with pytest.raises(TypeError, match="string"):
        pretrained.load(3)


def test_missing_weights_file_says_how_to_produce_it(monkeypatch, tmp_path):
    monkeypatch.setattr(pretrained, "weights_dir", lambda: tmp_path)
    with pytest.raises(FileNotFoundError) as err:
        pretrained.load(NAME)
    message = str(err.value)
    assert "04_deep_convnet.ipynb" in message
    assert "full mode" in message
    with pytest.raises(FileNotFoundError, match="training history"):
        pretrained.load_history(NAME)


def test_damaged_weights_file_is_refused(monkeypatch, tmp_path):
    (tmp_path / "deep_convnet_mnist.npz").write_bytes(b"not a zip file")
    monkeypatch.setattr(pretrained, "weights_dir", lambda: tmp_path)
    with pytest.raises(ValueError, match="not a readable .npz"):
        pretrained.load(NAME)


def test_history_matches_the_run():
    history = pretrained.load_history(NAME)
    epochs = int(history["epochs"])
    assert len(history["train_acc"]) == len(history["test_acc"]) == len(history["epoch_times"]) == epochs
    assert len(history["train_loss"]) >= epochs
    assert np.all(history["epoch_times"] > 0)
    assert float(history["wall_time"]) >= float(np.sum(history["epoch_times"])) * 0.99
    assert 0 <= float(history["final_test_acc"]) <= 1


def test_shipped_network_scores_at_least_99_3_percent_on_all_mnist_test_images(mnist):
    (_, _), (x_test, t_test) = mnist
    assert x_test.shape == (10000, 1, 28, 28)
    network = pretrained.load(NAME)
    accuracy = network.accuracy(x_test, t_test, batch_size=500)
    assert accuracy >= 0.993, f"shipped weights score only {accuracy:.2%} on the MNIST test set"
    # the record saved with the weights tells the truth about them (up to a few borderline
    # images that another processor's rounding may tip the other way)
    assert abs(float(pretrained.load_history(NAME)["final_test_acc"]) - accuracy) <= 0.0005
