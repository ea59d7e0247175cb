"""The trainer: it learns, it is reproducible, and it stops a run that goes wrong."""
import numpy as np
import pytest

from course_lib import SimpleConvNet, Trainer
from course_lib.trainer import TrainingDiverged


def small_net(seed=0, **kw):
    return SimpleConvNet(input_dim=(1, 28, 28), conv_param={"filter_num": 16, "filter_size": 5, "pad": 0, "stride": 1},
                         hidden_size=64, output_size=10, weight_init_std="he", seed=seed, **kw)


def test_simple_convnet_learns_mnist(mnist):
    (x_train, t_train), (x_test, t_test) = mnist
    net = small_net()
    trainer = Trainer(net, x_train[:3000], t_train[:3000], x_test[:1000], t_test[:1000], epochs=2,
                      mini_batch_size=100, optimizer="Adam", optimizer_param={"lr": 0.001}, verbose=False, seed=0)
    trainer.train()
    assert len(trainer.train_loss_list) == 60 and len(trainer.test_acc_list) == 2
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
        trainer = Trainer(small_net(seed=1, dropout_ratio=0.3), x, t, x, t, epochs=1, mini_batch_size=50,
                          verbose=False, seed=5)
        trainer.train()
        runs.append(trainer.train_loss_list)
    assert runs[0] == runs[1]
    other = Trainer(small_net(seed=1, dropout_ratio=0.3), x, t, x, t, epochs=1, mini_batch_size=50, verbose=False,
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
                      early_stopping_patience=2)
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

    Trainer(small_net(), x, t, x, t, epochs=2, mini_batch_size=25, verbose=False, augment=augment).train()
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
    monkeypatch.setattr(trainer.optimizer, "update", lambda p, g: seen.append(trainer.optimizer.lr) or update(p, g))
    trainer.train()
    assert seen == [0.01, 0.01, 0.001, 0.001, 0.0001, 0.0001]
