"""The training loop: mini-batches, an optimizer, and a record of progress.

``Trainer`` takes the book's arguments and adds what a real run needs: a seed
for reproducible runs, a progress bar, optional on-the-fly augmentation, a
validation set to choose on, early stopping, and a guard that stops a run whose
loss turns NaN or explodes and puts back the best weights seen so far.

Whatever is chosen during a run (when to stop, which weights to keep) is
chosen on the validation data, never on the test set: the test images are
measured once, at the end, so that their accuracy still describes images the
run has not looked at.
"""
import time
import warnings

import numpy as np
from tqdm.auto import tqdm

from .i18n import _
from .optimizers import Optimizer, get_optimizer


class TrainingDiverged(RuntimeWarning):
    """Warned when the loss became NaN/infinite or exploded and training stopped."""


class Trainer:
    """Train ``network`` on (x_train, t_train); choose on validation data; test once at the end.

    The book's arguments: epochs, mini_batch_size, optimizer (a name such as
    ``'Adam'`` or an optimizer object), optimizer_param, and
    evaluate_sample_num_per_epoch (accuracies are measured on the first that
    many training and validation samples at the end of each epoch; ``None``:
    all of them).  ``x_test, t_test`` are the test set: its accuracy is
    measured once, after the last epoch (``final_test_accuracy``); ``None``
    skips it.

    Validation data, to watch the run and to choose on:
    x_val, t_val: validation images and labels, kept apart from the training set;
    validation_split: or a fraction (0 < f < 1) of the training set held out
        at random (drawn with ``seed``) and used as validation data.

    Further arguments:
    seed: makes the split, the order of mini-batches and the dropout masks reproducible.
    verbose: a progress bar per epoch and a line per epoch (``False``: silent).
    augment: ``augment(x_batch, rng) -> x_batch``, applied to each training
        mini-batch (see ``course_lib.augment``).
    early_stopping_patience: stop after that many epochs without a better
        validation accuracy, and keep the weights of the best epoch (needs
        validation data).
    divergence_factor: stop when a mini-batch loss exceeds this multiple of the
        first loss (or is NaN/infinite); the best weights are put back (those
        of the best validation epoch; without validation data, those of the
        last epoch completed).
    lr_schedule: ``lr_schedule(epoch) -> learning rate`` (epochs counted from 0),
        set on the optimizer at the start of each epoch; for example
        ``lambda e: 0.001 if e < 15 else 0.0001`` takes smaller steps at the end.

    After ``train()``: ``train_loss_list`` (one loss per iteration),
    ``train_acc_list`` and ``val_acc_list`` (one per epoch; the latter empty
    without validation data), ``epoch_times``, ``best_epoch``,
    ``best_val_acc``, ``stop_reason`` and ``final_test_accuracy``.  Each epoch
    visits every training sample once, in a fresh random order.
    """

    def __init__(self, network, x_train, t_train, x_test, t_test, epochs=20, mini_batch_size=100,
                 optimizer="Adam", optimizer_param={"lr": 0.001},
                 evaluate_sample_num_per_epoch=None,
                 verbose=True, seed=None, augment=None, early_stopping_patience=None,
                 divergence_factor=10.0,
                 lr_schedule=None, x_val=None, t_val=None, validation_split=None):
        _check_pair(x_train, t_train, "x_train", "t_train")
        if (x_test is None) != (t_test is None):
            raise ValueError(_("pass both x_test and t_test, or neither (None)"))
        if x_test is not None:
            _check_pair(x_test, t_test, "x_test", "t_test")
        if mini_batch_size < 1 or epochs < 0:
            raise ValueError(_("mini_batch_size must be at least 1 and epochs non-negative"))
        self.rng = np.random.default_rng(seed)
        self.x_train, self.t_train, self.x_val, self.t_val = _validation(
            x_train, t_train, x_val, t_val, validation_split, self.rng)
        if early_stopping_patience is not None and self.x_val is None:
            raise ValueError(_("early stopping chooses the epoch on validation data, never on the "
                               "test set: pass x_val and t_val, or validation_split=0.1 (say)"))
        self.network = network
        self.x_test, self.t_test = x_test, t_test
        self.epochs = int(epochs)
        self.batch_size = int(mini_batch_size)
        if not isinstance(optimizer, Optimizer):
            optimizer = get_optimizer(optimizer, **optimizer_param)
        self.optimizer = optimizer
        self.evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
        self.verbose = verbose
        self.augment = augment
        self.patience = early_stopping_patience
        self.divergence_factor = divergence_factor
        self.lr_schedule = lr_schedule
        if seed is not None and hasattr(network, "seed"):
            network.seed(seed)
        self.train_size = len(self.x_train)
        self.iter_per_epoch = max(int(np.ceil(self.train_size / self.batch_size)), 1)
        self.max_iter = self.epochs * self.iter_per_epoch
        self.current_iter = 0
        self.current_epoch = 0
        self.train_loss_list, self.train_acc_list, self.val_acc_list = [], [], []
        self.epoch_times = []
        self.best_epoch, self.best_val_acc = 0, None
        self.stop_reason = None
        self.final_test_accuracy = None
        self._best_state = self._snapshot()
        self._first_loss = None

    @property
    def test_acc_list(self):
        raise AttributeError(_("the Trainer measures the test set once, at the end "
                               "(final_test_accuracy); the accuracy of each epoch on validation "
                               "data is val_acc_list (pass x_val and t_val, or validation_split)"))

    # ---------------------------------------------------------------------
    def _snapshot(self):
        # course_lib networks: parameters and buffers (batch norm's running statistics)
        network = self.network
        state = network.state_dict() if hasattr(network, "state_dict") else network.params
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
        """``(train accuracy, validation accuracy or None)`` on the first samples of each."""
        n = self.evaluate_sample_num_per_epoch
        train_acc = self.network.accuracy(self.x_train[:n], self.t_train[:n])
        if self.x_val is None:
            return train_acc, None
        return train_acc, self.network.accuracy(self.x_val[:n], self.t_val[:n])

    def train(self):
        """Run all epochs (or until early stopping or divergence); returns self."""
        self.network.train()
        for epoch in range(self.current_epoch, self.epochs):
            start = time.perf_counter()
            if self.lr_schedule is not None:
                self.optimizer.lr = float(self.lr_schedule(epoch))
            if not self._run_epoch(epoch):
                self.network.eval()
                return self
            self.current_epoch = epoch + 1
            self._record_epoch(epoch, start)
            if self._stop_early(epoch):
                break
        self.network.eval()
        self._test()
        return self

    def _run_epoch(self, epoch):
        """One pass over the training set in a fresh order; False when the loss diverged."""
        order = self.rng.permutation(self.train_size)
        bar = tqdm(range(self.iter_per_epoch),
                   desc=_("epoch {epoch}/{epochs}", epoch=epoch + 1, epochs=self.epochs),
                   disable=not self.verbose, leave=False)
        for i in bar:
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            loss = self.train_step(self.x_train[idx], self.t_train[idx])
            if self._diverged(loss):
                bar.close()
                self._stop_diverged(loss, epoch)
                return False
            if i % 20 == 0:
                bar.set_postfix_str(_("loss={loss:.3f}", loss=loss))
        bar.close()
        return True

    def _stop_diverged(self, loss, epoch):
        self._restore_best()
        self.stop_reason = _("diverged: the loss reached {loss:.4g} at iteration {iteration} "
                             "(epoch {epoch}), more than {factor:g}x the first loss {first:.4g}. "
                             "Training stopped and the best weights (epoch {best}) were "
                             "restored. Try a smaller learning rate.", loss=loss,
                             iteration=self.current_iter, epoch=epoch + 1,
                             factor=self.divergence_factor, first=self._first_loss,
                             best=self.best_epoch)
        self._say(self.stop_reason)
        warnings.warn(self.stop_reason, TrainingDiverged, stacklevel=4)

    def _record_epoch(self, epoch, start):
        """Measure the epoch's accuracies; keep its weights if they are the best so far."""
        train_acc, val_acc = self._evaluate()
        self.network.train()
        self.train_acc_list.append(train_acc)
        self.epoch_times.append(time.perf_counter() - start)
        loss = np.mean(self.train_loss_list[-self.iter_per_epoch:])
        fields = dict(epoch=epoch + 1, epochs=self.epochs, loss=loss, train_acc=train_acc,
                      val_acc=val_acc, seconds=self.epoch_times[-1])
        if val_acc is not None:
            self.val_acc_list.append(val_acc)
            self._say(_("epoch {epoch}/{epochs}: loss {loss:.4f}  train acc {train_acc:.4f}  val "
                        "acc {val_acc:.4f}  ({seconds:.1f} s)", **fields))
        else:
            self._say(_("epoch {epoch}/{epochs}: loss {loss:.4f}  train acc {train_acc:.4f}  "
                        "({seconds:.1f} s)", **fields))
        # without validation data, the best weights are simply the latest
        if val_acc is None or self.best_val_acc is None or val_acc > self.best_val_acc:
            self.best_epoch, self.best_val_acc = epoch + 1, val_acc
            self._best_state = self._snapshot()

    def _stop_early(self, epoch):
        """True (with the best weights put back) after ``patience`` epochs without a better one."""
        if self.patience is None or epoch + 1 - self.best_epoch < self.patience:
            return False
        self._restore_best()
        self.stop_reason = _("early stopping: no better accuracy on the validation data for "
                             "{patience} epochs; kept the weights of epoch {best} (validation "
                             "accuracy {accuracy:.4f})", patience=self.patience,
                             best=self.best_epoch, accuracy=self.best_val_acc)
        self._say(self.stop_reason)
        return True

    def _test(self):
        """The test set, measured once, after training."""
        if self.x_test is None:
            return
        self.final_test_accuracy = self.network.accuracy(self.x_test, self.t_test)
        self._say(_("test accuracy on all {count} test samples: {accuracy:.4f}",
                    count=len(self.x_test), accuracy=self.final_test_accuracy))


def _check_pair(x, t, x_name, t_name):
    if len(x) != len(t):
        raise ValueError(_("{x_name} has {samples} samples but {t_name} has {labels} labels",
                           x_name=x_name, samples=len(x), t_name=t_name, labels=len(t)))


def _validation(x_train, t_train, x_val, t_val, split, rng):
    """``(x_train, t_train, x_val, t_val)``: the validation data given, held out, or None."""
    if (x_val is None) != (t_val is None):
        raise ValueError(_("pass both x_val and t_val, or neither"))
    if x_val is not None:
        if split is not None:
            raise ValueError(_("pass validation data (x_val, t_val) or a validation_split, not "
                               "both"))
        _check_pair(x_val, t_val, "x_val", "t_val")
        return x_train, t_train, x_val, t_val
    if split is None:
        return x_train, t_train, None, None
    n_val = int(round(float(split) * len(x_train))) if 0 < split < 1 else 0
    if not 1 <= n_val < len(x_train):
        raise ValueError(_("validation_split must be a fraction between 0 and 1 that leaves at "
                           "least one sample on each side of {count} training samples, got "
                           "{split!r}", count=len(x_train), split=split))
    order = rng.permutation(len(x_train))
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    return x_train[train], t_train[train], x_train[val], t_train[val]
