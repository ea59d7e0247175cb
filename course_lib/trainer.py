"""The training loop: mini-batches, an optimizer, and a record of progress.

``Trainer`` takes the book's arguments and adds what a real run needs: a seed
for reproducible runs, a progress bar, optional on-the-fly augmentation, early
stopping, and a guard that stops a run whose loss turns NaN or explodes and
puts back the best weights seen so far.
"""
import time
import warnings

import numpy as np
from tqdm.auto import tqdm

from .optimizers import Optimizer, get_optimizer


class TrainingDiverged(RuntimeWarning):
    """Warned when the loss became NaN/infinite or exploded and training stopped."""


class Trainer:
    """Train ``network`` on (x_train, t_train), checking accuracy on (x_test, t_test).

    The book's arguments: epochs, mini_batch_size, optimizer (a name such as
    ``'Adam'`` or an optimizer object), optimizer_param, and
    evaluate_sample_num_per_epoch (accuracy is measured on the first that many
    samples at the end of each epoch; ``None``: all of them).

    Further arguments:
    seed: makes the order of mini-batches and the dropout masks reproducible.
    verbose: a progress bar per epoch and a line per epoch (``False``: silent).
    augment: ``augment(x_batch, rng) -> x_batch``, applied to each training
        mini-batch (see ``course_lib.augment``).
    early_stopping_patience: stop after that many epochs without a better test
        accuracy, and keep the best weights.
    divergence_factor: stop when a mini-batch loss exceeds this multiple of the
        first loss (or is NaN/infinite); the best weights are put back.
    lr_schedule: ``lr_schedule(epoch) -> learning rate`` (epochs counted from 0),
        set on the optimizer at the start of each epoch; for example
        ``lambda e: 0.001 if e < 15 else 0.0001`` takes smaller steps at the end.

    After ``train()``: ``train_loss_list`` (one loss per iteration),
    ``train_acc_list`` and ``test_acc_list`` (one per epoch), ``epoch_times``,
    ``best_epoch``, ``stop_reason`` and ``final_test_accuracy``.
    Each epoch visits every training sample once, in a fresh random order.
    """

    def __init__(self, network, x_train, t_train, x_test, t_test, epochs=20, mini_batch_size=100,
                 optimizer="Adam", optimizer_param={"lr": 0.001}, evaluate_sample_num_per_epoch=None,
                 verbose=True, seed=None, augment=None, early_stopping_patience=None, divergence_factor=10.0,
                 lr_schedule=None):
        if len(x_train) != len(t_train):
            raise ValueError(f"x_train has {len(x_train)} samples but t_train has {len(t_train)} labels")
        if len(x_test) != len(t_test):
            raise ValueError(f"x_test has {len(x_test)} samples but t_test has {len(t_test)} labels")
        if mini_batch_size < 1 or epochs < 0:
            raise ValueError("mini_batch_size must be at least 1 and epochs non-negative")
        self.network = network
        self.x_train, self.t_train, self.x_test, self.t_test = x_train, t_train, x_test, t_test
        self.epochs = int(epochs)
        self.batch_size = int(mini_batch_size)
        self.optimizer = optimizer if isinstance(optimizer, Optimizer) else get_optimizer(optimizer, **optimizer_param)
        self.evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
        self.verbose = verbose
        self.augment = augment
        self.patience = early_stopping_patience
        self.divergence_factor = divergence_factor
        self.lr_schedule = lr_schedule
        self.rng = np.random.default_rng(seed)
        if seed is not None and hasattr(network, "seed"):
            network.seed(seed)
        self.train_size = len(x_train)
        self.iter_per_epoch = max(int(np.ceil(self.train_size / self.batch_size)), 1)
        self.max_iter = self.epochs * self.iter_per_epoch
        self.current_iter = 0
        self.current_epoch = 0
        self.train_loss_list, self.train_acc_list, self.test_acc_list = [], [], []
        self.epoch_times = []
        self.best_epoch, self.best_test_acc = 0, -1.0
        self.stop_reason = None
        self.final_test_accuracy = None
        self._best_state = self._snapshot()
        self._first_loss = None

    # ---------------------------------------------------------------------
    def _snapshot(self):
        # course_lib networks: parameters and buffers (batch norm's running statistics)
        state = self.network.state_dict() if hasattr(self.network, "state_dict") else self.network.params
        return {key: np.array(value, copy=True) for key, value in state.items()}

    def _restore_best(self):
        if hasattr(self.network, "load_state_dict"):
            self.network.load_state_dict(self._best_state)      # copies the arrays in
            return
        params = self.network.params
        for key, value in self._best_state.items():
            params[key] = value.copy()

    def _say(self, message):
        if self.verbose:
            tqdm.write(message)

    def train_step(self, x_batch, t_batch):
        """One update on one mini-batch; returns its loss."""
        if self.augment is not None:
            x_batch = self.augment(x_batch, self.rng)
        grads = self.network.gradient(x_batch, t_batch)
        # course_lib's networks keep the loss of the batch they just differentiated;
        # a network written against the book's API may not, and is asked again.
        loss = getattr(self.network, "last_loss", None)
        loss = float(self.network.loss(x_batch, t_batch) if loss is None else loss)
        self.train_loss_list.append(loss)
        self.current_iter += 1
        if self._first_loss is None:
            self._first_loss = loss
        if not self._diverged(loss):  # never apply an update computed from a diverged loss
            self.optimizer.update(self.network.params, grads)
        return loss

    def _diverged(self, loss):
        return not np.isfinite(loss) or loss > self.divergence_factor * max(self._first_loss, 1e-3)

    def _evaluate(self):
        n = self.evaluate_sample_num_per_epoch
        xs, ts = (self.x_train, self.t_train) if n is None else (self.x_train[:n], self.t_train[:n])
        xt, tt = (self.x_test, self.t_test) if n is None else (self.x_test[:n], self.t_test[:n])
        return self.network.accuracy(xs, ts), self.network.accuracy(xt, tt)

    def train(self):
        """Run all epochs (or until early stopping or divergence); returns self."""
        self.network.train()
        for epoch in range(self.current_epoch, self.epochs):
            start = time.perf_counter()
            if self.lr_schedule is not None:
                self.optimizer.lr = float(self.lr_schedule(epoch))
            order = self.rng.permutation(self.train_size)
            bar = tqdm(range(self.iter_per_epoch), desc=f"epoch {epoch + 1}/{self.epochs}",
                       disable=not self.verbose, leave=False)
            for i in bar:
                idx = order[i * self.batch_size:(i + 1) * self.batch_size]
                loss = self.train_step(self.x_train[idx], self.t_train[idx])
                if self._diverged(loss):
                    self._restore_best()
                    self.stop_reason = (f"diverged: the loss reached {loss:.4g} at iteration {self.current_iter} "
                                        f"(epoch {epoch + 1}), more than {self.divergence_factor:g}x the first loss "
                                        f"{self._first_loss:.4g}. Training stopped and the best weights "
                                        f"(epoch {self.best_epoch}) were restored. Try a smaller learning rate.")
                    bar.close()
                    self._say(self.stop_reason)
                    warnings.warn(self.stop_reason, TrainingDiverged, stacklevel=2)
                    self.network.eval()
                    return self
                if i % 20 == 0:
                    bar.set_postfix(loss=f"{loss:.3f}")
            bar.close()
            self.current_epoch = epoch + 1
            train_acc, test_acc = self._evaluate()
            self.network.train()
            self.train_acc_list.append(train_acc)
            self.test_acc_list.append(test_acc)
            self.epoch_times.append(time.perf_counter() - start)
            self._say(f"epoch {epoch + 1}/{self.epochs}: loss {np.mean(self.train_loss_list[-self.iter_per_epoch:]):.4f}"
                      f"  train acc {train_acc:.4f}  test acc {test_acc:.4f}  ({self.epoch_times[-1]:.1f} s)")
            if test_acc > self.best_test_acc:
                self.best_test_acc, self.best_epoch = test_acc, epoch + 1
                self._best_state = self._snapshot()
            elif self.patience is not None and epoch + 1 - self.best_epoch >= self.patience:
                self._restore_best()
                self.stop_reason = (f"early stopping: no better accuracy on x_test for {self.patience} epochs; "
                                    f"kept the weights of epoch {self.best_epoch} (accuracy {self.best_test_acc:.4f})")
                self._say(self.stop_reason)
                break
        self.network.eval()
        self.final_test_accuracy = self.network.accuracy(self.x_test, self.t_test)
        self._say(f"test accuracy on all {len(self.x_test)} test samples: {self.final_test_accuracy:.4f}")
        return self
