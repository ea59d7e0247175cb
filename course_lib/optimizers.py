"""Gradient-descent optimizers with the book's interface.

Each optimizer has ``update(params, grads)``: ``params`` and ``grads`` are dicts
with the same keys (``W1``, ``b1`` ...) and the parameters are changed in place.
State that an optimizer keeps (velocities, squared-gradient averages) is stored
per key and created on the first update.
"""
import numpy as np

from .i18n import _


class Optimizer:
    def __init__(self, lr):
        if not lr > 0:
            raise ValueError(_("the learning rate lr must be positive, got {lr}", lr=lr))
        self.lr = lr

    def update(self, params, grads):
        raise NotImplementedError

    def _state(self, name, params):
        store = getattr(self, name, None)
        if store is None:
            store = {key: np.zeros_like(value) for key, value in params.items()}
            setattr(self, name, store)
        return store


class SGD(Optimizer):
    """``W <- W - lr * dW``."""

    def __init__(self, lr=0.01):
        super().__init__(lr)

    def update(self, params, grads):
        for key in params:
            params[key] -= self.lr * grads[key]


class Momentum(Optimizer):
    """``v <- momentum * v - lr * dW``;  ``W <- W + v``: a ball rolling downhill."""

    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__(lr)
        self.momentum = momentum
        self.v = None

    def update(self, params, grads):
        v = self._state("v", params)
        for key in params:
            v[key] *= self.momentum
            v[key] -= self.lr * grads[key]
            params[key] += v[key]


class Nesterov(Optimizer):
    """Nesterov's accelerated gradient: momentum that looks one step ahead.

    Written in the usual form that needs the gradient at the current point only:
    ``v <- m v - lr dW``;  ``W <- W + m v - lr dW``.
    """

    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__(lr)
        self.momentum = momentum
        self.v = None

    def update(self, params, grads):
        v = self._state("v", params)
        for key in params:
            v[key] *= self.momentum
            v[key] -= self.lr * grads[key]
            params[key] += self.momentum * v[key] - self.lr * grads[key]


class AdaGrad(Optimizer):
    """Per-parameter learning rates that shrink with the squared gradients seen so far."""

    def __init__(self, lr=0.01, eps=1e-7):
        super().__init__(lr)
        self.eps = eps
        self.h = None

    def update(self, params, grads):
        h = self._state("h", params)
        for key in params:
            h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(h[key]) + self.eps)


class RMSprop(Optimizer):
    """Like AdaGrad, but an exponential moving average forgets old gradients."""

    def __init__(self, lr=0.01, decay_rate=0.99, eps=1e-7):
        super().__init__(lr)
        self.decay_rate, self.eps = decay_rate, eps
        self.h = None

    def update(self, params, grads):
        h = self._state("h", params)
        for key in params:
            h[key] *= self.decay_rate
            h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(h[key]) + self.eps)


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2014): momentum plus RMSprop, with bias correction.

    ``m <- b1 m + (1 - b1) g``;  ``v <- b2 v + (1 - b2) g^2``;
    ``W <- W - lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``.
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.iter = 0
        self.m = self.v = None

    def update(self, params, grads):
        m, v = self._state("m", params), self._state("v", params)
        self.iter += 1
        # a Python float, so that float32 parameters are updated in float32
        lr_t = float(self.lr * np.sqrt(1.0 - self.beta2 ** self.iter)
                     / (1.0 - self.beta1 ** self.iter))
        for key in params:
            g = grads[key]
            m[key] += (1 - self.beta1) * (g - m[key])
            v[key] += (1 - self.beta2) * (g * g - v[key])
            params[key] -= lr_t * m[key] / (np.sqrt(v[key]) + self.eps)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": AdaGrad,
              "rmsprop": RMSprop, "adam": Adam}


def get_optimizer(name, **params):
    """An optimizer by (case-insensitive) name, e.g. ``get_optimizer('Adam', lr=0.001)``."""
    try:
        cls = OPTIMIZERS[name.lower()]
    except KeyError:
        raise ValueError(_("unknown optimizer {name!r}; choose one of {names}", name=name,
                           names=sorted(OPTIMIZERS))) from None
    return cls(**params)
