"""What pytest shows when a gate fails (ctest python_package runs this expecting exit 1 and the
verdict in pytest's output): a custom Function whose weight gradient is 1% off in one entry."""
import torch

import gradcheck.torch


class Linear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w.T

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        dw = grad.T @ x
        dw[1, 2] *= 1.01
        return grad @ w, dw


def test_linear_backward():
    torch.manual_seed(0)
    gradcheck.torch.check_function(Linear.apply, torch.randn(5, 4), torch.randn(3, 4)).assert_ok()
