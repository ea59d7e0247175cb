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
    assert "tools/train_shipped_weights.py" in message
    with pytest.raises(FileNotFoundError, match="training history"):
        pretrained.load_history(NAME)


def test_missing_run_of_your_own_says_how_to_save_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="save_run"):
        pretrained.load(NAME, folder=tmp_path)


def test_damaged_weights_file_is_refused(monkeypatch, tmp_path):
    (tmp_path / "deep_convnet_mnist.npz").write_bytes(b"not a zip file")
    monkeypatch.setattr(pretrained, "weights_dir", lambda: tmp_path)
    with pytest.raises(ValueError, match="not a readable .npz"):
        pretrained.load(NAME)


def test_history_matches_the_run():
    history = pretrained.load_history(NAME)
    epochs = int(history["epochs"])
    assert len(history["train_acc"]) == len(history["epoch_times"]) == epochs
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


# ----- runs of your own: saved outside the package, atomically --------------------------------
def _small_run():
    network = DeepConvNet(seed=3).eval()
    history = {"train_loss": np.array([2.3, 2.1]), "train_acc": np.array([0.2]),
               "val_acc": np.array([0.19]),
               "epoch_times": np.array([1.5]), "wall_time": np.array(1.6),
               "final_test_acc": np.array(0.19)}
    return network, history


def test_save_run_and_load_it_back(tmp_path):
    network, history = _small_run()
    weights, record = pretrained.save_run(network, history, NAME, folder=tmp_path / "mine")
    assert weights == tmp_path / "mine" / "deep_convnet_mnist.npz"
    assert record.name == "deep_convnet_mnist_history.npz"
    loaded = pretrained.load(NAME, folder=tmp_path / "mine")
    for key, value in network.params.items():
        np.testing.assert_array_equal(loaded.params[key], value)
    loaded = pretrained.load_history(NAME, folder=tmp_path / "mine")
    np.testing.assert_array_equal(loaded["train_loss"], [2.3, 2.1])
    assert not list((tmp_path / "mine").glob(".tmp-*")), "a temporary file was left behind"


def test_save_run_goes_to_the_cache_folder_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_LIB_CACHE", str(tmp_path / "cache"))
    assert pretrained.runs_dir() == tmp_path / "cache" / "runs"
    weights, _ = pretrained.save_run(*_small_run(), NAME)
    assert weights.parent == tmp_path / "cache" / "runs"


def test_save_run_refuses_to_overwrite_the_shipped_weights(monkeypatch, tmp_path):
    shipped = tmp_path / "weights"
    shipped.mkdir()
    (shipped / "deep_convnet_mnist.npz").write_bytes(b"the shipped file")
    monkeypatch.setattr(pretrained, "weights_dir", lambda: shipped)
    with pytest.raises(ValueError, match="train_shipped_weights.py"):
        pretrained.save_run(*_small_run(), NAME, folder=shipped)
    assert (shipped / "deep_convnet_mnist.npz").read_bytes() == b"the shipped file"
    pretrained.save_run(*_small_run(), NAME, folder=shipped, overwrite_shipped=True)
    assert pretrained.load(NAME).params["W1"].shape == (16, 1, 3, 3)


def test_an_interrupted_save_keeps_the_previous_files(monkeypatch, tmp_path):
    network, history = _small_run()
    pretrained.save_run(network, history, NAME, folder=tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", fail)
    with pytest.raises(KeyboardInterrupt):
        pretrained.save_run(DeepConvNet(seed=4), history, NAME, folder=tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_history_from_a_trainer_records_the_machine():
    rng = np.random.default_rng(0)
    x, t = rng.random((20, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 20)
    from course_lib import Trainer
    trainer = Trainer(DeepConvNet(seed=0), x, t, x, t, epochs=1, mini_batch_size=10, verbose=False,
                      seed=0,
                      x_val=x[:5], t_val=t[:5])
    trainer.train()
    history = pretrained.history_from_trainer(trainer, 1.0, epochs=1)
    assert history["train_loss"].shape == (2,) and history["val_acc"].shape == (1,)
    assert float(history["final_test_acc"]) == trainer.final_test_accuracy
    assert "test_acc" not in history
    assert int(history["cores"]) >= 1 and int(history["threads"]) >= 1
    assert int(history["epochs"]) == 1


def test_the_tool_that_refreshes_the_shipped_weights(tmp_path):
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "tools" / "train_shipped_weights.py"
    spec = importlib.util.spec_from_file_location("train_shipped_weights", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    rng = np.random.default_rng(0)
    x, t = rng.random((200, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 200)
    network, history = tool.train(x, t, x[:50], t[:50], epochs=2, lr_drop_epochs=1, eval_n=50,
                                  verbose=False)
    assert len(history["train_acc"]) == 2 and float(history["wall_time"]) > 0
    assert int(history["seed"]) == 7
    assert 0 <= float(history["final_test_acc"]) <= 1 and "test_acc" not in history
    assert network.training is False
    pretrained.save_run(network, history, NAME, folder=tmp_path)
    assert pretrained.load_history(NAME, folder=tmp_path)["epochs"] == 2
    with pytest.raises(SystemExit):
        tool.main(["--epochs", "0"])
