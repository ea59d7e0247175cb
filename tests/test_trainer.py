"""The trainer: it learns, it is reproducible, and it stops a run that goes wrong."""
import numpy as np
import pytest

from course_lib import SimpleConvNet, Trainer
from course_lib.trainer import TrainingDiverged


def small_net(seed=0, **kw):
    return SimpleConvNet(input_dim=(1, 28, 28),
                         conv_param={"filter_num": 16, "filter_size": 5, "pad": 0, "stride": 1},
                         hidden_size=64, output_size=10, weight_init_std="he", seed=seed, **kw)


def test_simple_convnet_learns_mnist(mnist):
    (x_train, t_train), (x_test, t_test) = mnist
    net = small_net()
    trainer = Trainer(net, x_train[:3000], t_train[:3000], x_test[:1000], t_test[:1000], epochs=2,
                      mini_batch_size=100, optimizer="Adam", optimizer_param={"lr": 0.001},
                      verbose=False, seed=0,
                      x_val=x_train[-500:], t_val=t_train[-500:])
    trainer.train()
    assert len(trainer.train_loss_list) == 60 and len(trainer.val_acc_list) == 2
    assert trainer.final_test_accuracy > 0.75, trainer.test_acc_list
    assert np.mean(trainer.train_loss_list[-10:]) < np.mean(trainer.train_loss_list[:10])
    assert trainer.stop_reason is None


def _synthetic(n=200, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 10, n)
    x = rng.random((n, 1, 28, 28), dtype=np.float32) * 0.2
    for k in range(10):           # a bright bar whose position is the class
        x[t == k, 0, 2 * k + 3, 4:24] = 1.0
    return x, t


def test_seed_makes_runs_reproducible():
    x, t = _synthetic()
    runs = []
    for _ in range(2):
        trainer = Trainer(small_net(seed=1, dropout_ratio=0.3), x, t, x, t, epochs=1,
                          mini_batch_size=50,
                          verbose=False, seed=5)
        trainer.train()
        runs.append(trainer.train_loss_list)
    assert runs[0] == runs[1]
    other = Trainer(small_net(seed=1, dropout_ratio=0.3), x, t, x, t, epochs=1, mini_batch_size=50,
                    verbose=False,
                    seed=6)
    other.train()
    assert other.train_loss_list != runs[0]


def test_divergence_stops_and_restores_best_weights():
    x, t = _synthetic(400)
    net = small_net(seed=2)
    initial = {key: value.copy() for key, value in net.params.items()}
    trainer = Trainer(net, x, t, x, t, epochs=30, mini_batch_size=50, optimizer="SGD",
                      optimizer_param={"lr": 50.0}, verbose=False, seed=0)
    with pytest.warns(TrainingDiverged, match="smaller learning rate"):
        trainer.train()
    assert trainer.stop_reason.startswith("diverged")
    assert trainer.current_epoch < 30
    assert trainer.best_epoch == 0              # it diverged within the first epoch ...
    for key, value in net.params.items():       # ... so the initial weights are the best ones
        np.testing.assert_array_equal(value, initial[key])


def test_early_stopping_keeps_best_epoch(monkeypatch):
    x, t = _synthetic(100)
    net = small_net(seed=3)
    trainer = Trainer(net, x, t, x, t, epochs=10, mini_batch_size=50, verbose=False, seed=0,
                      early_stopping_patience=2, x_val=x[:20], t_val=t[:20])
    scores = iter([(0.5, 0.5), (0.6, 0.7), (0.6, 0.6), (0.6, 0.65), (0.9, 0.9)])
    snapshots = {}

    def fake_evaluate():
        snapshots[trainer.current_epoch] = {k: v.copy() for k, v in net.params.items()}
        return next(scores)

    monkeypatch.setattr(trainer, "_evaluate", fake_evaluate)
    trainer.train()
    assert trainer.current_epoch == 4 and trainer.best_epoch == 2
    assert "early stopping" in trainer.stop_reason
    for key, value in net.params.items():
        np.testing.assert_array_equal(value, snapshots[2][key])


def test_augment_is_applied_to_every_batch():
    x, t = _synthetic(100)
    calls = []

    def augment(xb, rng):
        calls.append(xb.shape)
        assert isinstance(rng, np.random.Generator)
        return xb[:, :, :, ::-1]

    Trainer(small_net(), x, t, x, t, epochs=2, mini_batch_size=25, verbose=False,
            augment=augment).train()
    assert calls == [(25, 1, 28, 28)] * 8


def test_mismatched_lengths():
    x, t = _synthetic(10)
    with pytest.raises(ValueError, match="10 samples but t_train has 9"):
        Trainer(small_net(), x, t[:9], x, t)


def test_lr_schedule_sets_the_rate_each_epoch(monkeypatch):
    x, t = _synthetic(100)
    trainer = Trainer(small_net(), x, t, x, t, epochs=3, mini_batch_size=50, verbose=False, seed=0,
                      lr_schedule=lambda epoch: [0.01, 0.001, 0.0001][epoch])
    seen = []
    update = trainer.optimizer.update
    monkeypatch.setattr(trainer.optimizer, "update", lambda p, g: seen.append(trainer.optimizer.lr)
                        or update(p, g))
    trainer.train()
    assert seen == [0.01, 0.01, 0.001, 0.001, 0.0001, 0.0001]


# ----- validation data: chosen on, never the test set ---------------------------------------------
class CountingNet:
    """A network of the book's API that records which arrays its accuracy was measured on."""

    def __init__(self, inner):
        self.inner, self.measured = inner, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def accuracy(self, x, t, batch_size=100):
        self.measured.append(x)
        return self.inner.accuracy(x, t, batch_size)


def _is_view_of(a, b):
    return np.shares_memory(a, b)


def test_the_test_set_is_measured_once_at_the_end_and_never_chosen_on(monkeypatch):
    x, t = _synthetic(200)
    x_test, t_test = _synthetic(50, seed=1)
    x_val, t_val = _synthetic(40, seed=2)
    net = CountingNet(small_net(seed=3))
    trainer = Trainer(net, x, t, x_test, t_test, epochs=6, mini_batch_size=50, verbose=False,
                      seed=0,
                      early_stopping_patience=2, x_val=x_val, t_val=t_val)
    on_test = iter([0.9, 0.1, 0.1, 0.1, 0.1, 0.1])         # the test set would choose epoch 1 ...
    on_val = iter([0.5, 0.6, 0.7, 0.6, 0.6, 0.6])           # ... validation chooses epoch 3
    accuracy = net.accuracy

    def rigged(xs, ts, batch_size=100):
        accuracy(xs, ts, batch_size)
        if _is_view_of(xs, x_test):
            return next(on_test)
        return next(on_val) if _is_view_of(xs, x_val) else 0.5

    monkeypatch.setattr(net, "accuracy", rigged)
    trainer.train()
    assert trainer.best_epoch == 3 and trainer.best_val_acc == 0.7 and trainer.current_epoch == 5
    assert trainer.val_acc_list == [0.5, 0.6, 0.7, 0.6, 0.6]
    assert sum(_is_view_of(m, x_test) for m in net.measured) == 1     # once, after training
    assert _is_view_of(net.measured[-1], x_test) and trainer.final_test_accuracy == 0.9
    with pytest.raises(AttributeError, match="once, at the end"):
        trainer.test_acc_list


def test_validation_split_holds_out_a_seeded_part_of_the_training_set():
    x, t = _synthetic(200)
    x[:, 0, 0, 0] = np.arange(200)                           # each image carries its index
    a = Trainer(small_net(), x, t, None, None, epochs=0, verbose=False, seed=4,
                validation_split=0.25)
    b = Trainer(small_net(), x, t, None, None, epochs=0, verbose=False, seed=4,
                validation_split=0.25)
    train_ids, val_ids = a.x_train[:, 0, 0, 0], a.x_val[:, 0, 0, 0]
    assert len(val_ids) == 50 and len(train_ids) == 150 and a.train_size == 150
    assert sorted(np.concatenate([train_ids, val_ids])) == list(range(200))
    np.testing.assert_array_equal(a.t_val, t[val_ids.astype(int)])
    np.testing.assert_array_equal(b.x_val, a.x_val)
    # drawn at random, not the last quarter
    assert not np.array_equal(val_ids, np.arange(150, 200))
    a.train()
    assert a.final_test_accuracy is None


@pytest.mark.parametrize("kwargs, message", [
    ({"early_stopping_patience": 2}, "never on the test set"),
    ({"validation_split": 1.0}, "validation_split must be a fraction"),
    ({"validation_split": 0.001}, "at least one sample"),
    ({"validation_split": 0.2, "x_val": "x", "t_val": "t"}, "not both"),
    ({"x_val": "x"}, "both x_val and t_val"),
    ({"x_val": "x", "t_val": "t9"}, "x_val has 10 samples but t_val has 9"),
])
def test_validation_arguments_are_checked(kwargs, message):
    x, t = _synthetic(10)
    given = {"x": x, "t": t, "t9": t[:9]}
    kwargs = {k: given.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()}
    with pytest.raises(ValueError, match=message):
        Trainer(small_net(), x, t, x, t, verbose=False, **kwargs)


def test_without_validation_data_divergence_restores_the_last_epoch():
    x, t = _synthetic(200)
    net = small_net(seed=2)
    trainer = Trainer(net, x, t, x, t, epochs=1, mini_batch_size=50, verbose=False, seed=0)
    trainer.train()
    after_one = {k: v.copy() for k, v in net.params.items()}
    assert trainer.val_acc_list == [] and trainer.best_epoch == 1 and trainer.best_val_acc is None
    trainer.optimizer.lr, trainer.epochs = 50.0, 3
    with pytest.warns(TrainingDiverged):
        trainer.train()
    for key, value in net.params.items():
        np.testing.assert_array_equal(value, after_one[key])
