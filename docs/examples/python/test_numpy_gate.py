"""A pytest gate for a numpy network written from scratch: its cost and gradient as a function of
named parameters (any shapes), checked against central differences of its own cost.

    PYTHONPATH=build/python /usr/bin/python3 -m pytest docs/examples/python
"""
import numpy as np

import gradcheck


def softmax_loss(params, X, y, reg):
    """A two-layer ReLU net, W1 inputs × hidden (z = X W1 + b1), softmax cross-entropy, L2 on W."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    m = X.shape[0]
    z1 = X @ W1 + b1
    h = np.maximum(z1, 0)
    scores = h @ W2 + b2
    scores -= scores.max(axis=1, keepdims=True)
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    J = -np.log(p[np.arange(m), y]).mean() + 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    dscores = p.copy()
    dscores[np.arange(m), y] -= 1
    dscores /= m
    dz1 = (dscores @ W2.T) * (z1 > 0)
    return J, {"W1": X.T @ dz1 + reg * W1, "b1": dz1.sum(0), "W2": h.T @ dscores + reg * W2, "b2": dscores.sum(0)}


def test_softmax_loss_gradient():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 4)), rng.integers(0, 3, 10)
    params = {"W1": 0.5 * rng.normal(size=(4, 6)), "b1": 0.1 * rng.normal(size=6),
              "W2": 0.5 * rng.normal(size=(6, 3)), "b2": np.zeros(3)}
    gradcheck.check(lambda p: softmax_loss(p, X, y, reg=0.1), params).assert_ok()
