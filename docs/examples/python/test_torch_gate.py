"""A pytest gate for hand-written backward passes, in process:

    PYTHONPATH=build/python /usr/bin/python3 -m pytest docs/examples/python

A custom torch.autograd.Function (a linear layer with its backward by hand) checked alone, and an
nn.Module built on it checked with its loss. A wrong backward fails the test, and pytest shows the
verdict first: `FAIL: gradient mismatch in w; worst entry w[1, 2]`.
"""
import torch

import gradcheck.torch


class Linear(torch.autograd.Function):
    """y = x wᵀ + b, its backward by hand."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return x @ w.T + b

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        return grad @ w, grad.T @ x, grad.sum(0)


class TwoLayer(torch.nn.Module):
    def __init__(self, inputs, hidden, outputs):
        super().__init__()
        self.fc1 = torch.nn.Linear(inputs, hidden)
        self.fc2 = torch.nn.Linear(hidden, outputs)

    def forward(self, x):
        h = torch.tanh(Linear.apply(x, self.fc1.weight, self.fc1.bias))
        return Linear.apply(h, self.fc2.weight, self.fc2.bias)


def test_linear_backward():
    torch.manual_seed(0)
    x, w, b = torch.randn(5, 4), torch.randn(3, 4), torch.randn(3)
    gradcheck.torch.check_function(Linear.apply, x, w, b).assert_ok()


def test_two_layer_module():
    torch.manual_seed(0)
    model = TwoLayer(4, 8, 3)
    x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    result = gradcheck.torch.check_module(model, torch.nn.functional.cross_entropy, x, y)
    result.assert_ok()
    assert [t["name"] for t in result.tensors] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
