"""The networks of src/python/benchmark.py, each right and with one entry of one gradient planted
1% off: a LayerNorm-style custom Function, a 20-50-10 MLP, a small conv net, and ex4's network
as a module and as the course's nnCostFunction."""

import numpy as np
import torch
import torch.nn.functional as F

EPS = 1e-5


class Plant(torch.autograd.Function):
    """The identity, whose backward makes the gradient's entry `where` 1% too large (or, where is
    None, changes nothing: the right network has the very same graph)."""

    @staticmethod
    def forward(ctx, w, where):
        ctx.where = where
        return w.clone()

    @staticmethod
    def backward(ctx, grad):
        if ctx.where is None:
            return grad, None
        grad = grad.clone()
        grad[ctx.where] *= 1.01
        return grad, None


def normalize_function(where):
    """A layer-norm-like Function with its backward by hand (as fixtures/torch/custom_function.py),
    x's gradient 1% off at `where` (None: right)."""

    class Normalize(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, gain, bias):
            mu = x.mean(dim=1, keepdim=True)
            sigma = torch.sqrt(x.var(dim=1, unbiased=False, keepdim=True) + EPS)
            xhat = (x - mu) / sigma
            ctx.save_for_backward(xhat, sigma, gain)
            return gain * xhat + bias

        @staticmethod
        def backward(ctx, grad):
            xhat, sigma, gain = ctx.saved_tensors
            dxhat = grad * gain
            dx = (dxhat - dxhat.mean(dim=1, keepdim=True) - xhat * (dxhat * xhat).mean(dim=1, keepdim=True)) / sigma
            if where is not None:
                dx[where] *= 1.01
            return dx, (grad * xhat).sum(dim=0), grad.sum(dim=0)

    return Normalize


class MLP(torch.nn.Module):
    """fc1, fc2, …: Linear layers with `activation` between them; fc1.weight goes through Plant."""

    def __init__(self, sizes, activation):
        super().__init__()
        for k in range(len(sizes) - 1):
            setattr(self, f"fc{k + 1}", torch.nn.Linear(sizes[k], sizes[k + 1]))
        self.layers, self.activation, self.where = len(sizes) - 1, activation, None

    def forward(self, x):
        for k in range(1, self.layers + 1):
            layer = getattr(self, f"fc{k}")
            weight = Plant.apply(layer.weight, self.where) if k == 1 else layer.weight
            x = F.linear(x, weight, layer.bias)
            if k < self.layers:
                x = self.activation(x)
        return x


class ConvNet(torch.nn.Module):
    """Conv2d(3, 8, 3) + ReLU + Linear(8·4·4, 4) on 6 × 6 images; conv.weight goes through Plant."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3)
        self.fc = torch.nn.Linear(8 * 4 * 4, 4)
        self.where = None

    def pre_activation(self, x):
        return F.conv2d(x, Plant.apply(self.conv.weight, self.where), self.conv.bias)

    def forward(self, x):
        return self.fc(torch.relu(self.pre_activation(x)).flatten(1))


def logistic_cost(out, y):
    """The course's cost: sigmoid outputs, J = (1/m) Σ −y log h − (1 − y) log(1 − h)."""
    return F.binary_cross_entropy_with_logits(out, y, reduction="sum") / y.shape[0]


def conv_problem(margin):
    """The conv net and data of the first seed whose ReLU inputs are all at least `margin` from the
    kink: a step of ε ≤ 1e-4 in one weight moves a pre-activation by at most ε·max|x| < margin, so
    no difference crosses a kink (with one, neither tool could judge that entry)."""
    for seed in range(1000):
        torch.manual_seed(seed)
        net, x = ConvNet().double(), torch.randn(5, 3, 6, 6, dtype=torch.float64)
        with torch.no_grad():
            if net.pre_activation(x).abs().min() > margin:
                return net, x, torch.randn(5, 4, dtype=torch.float64), seed
    raise RuntimeError("no seed keeps the ReLU inputs away from the kink")


def module_case(name, net, loss_fn, x, y, tensor):
    """A module case, its mistake planted in `tensor`'s entry of largest |gradient| (where 1% of it
    is above torch's absolute tolerance of 1e-5: the bug is there for both to see)."""
    net.zero_grad()
    loss_fn(net(x), y).backward()
    grad = dict(net.named_parameters())[tensor].grad
    where = tuple(int(i) for i in divmod_all(int(grad.abs().argmax()), grad.shape))
    net.zero_grad(set_to_none=True)
    return {"name": name, "module": net, "loss": loss_fn, "x": x, "y": y, "tensor": tensor, "where": where}


def divmod_all(flat, shape):
    out = []
    for size in reversed(shape):
        flat, i = divmod(flat, size)
        out.append(i)
    return reversed(out)


def cases(quick):
    torch.manual_seed(1)
    normalize = {"name": "LayerNorm-style custom Function, x 4 × 6, gain 6, bias 6", "function": normalize_function,
                 "inputs": (torch.randn(4, 6, dtype=torch.float64), torch.randn(6, dtype=torch.float64),
                            torch.randn(6, dtype=torch.float64)), "tensor": "x", "where": (1, 2)}
    torch.manual_seed(2)
    m = 20 if quick else 100
    mlp = module_case(f"20-50-10 MLP, tanh, cross-entropy, m = {m}", MLP([20, 50, 10], torch.tanh).double(), F.cross_entropy,
                      torch.randn(m, 20, dtype=torch.float64), torch.randint(0, 10, (m,)), "fc1.weight")
    net, x, y, seed = conv_problem(margin=2e-3)
    conv = module_case("conv net: Conv2d(3, 8, 3) + ReLU + Linear(128, 4), 5 images 3 × 6 × 6, MSE",
                       net, F.mse_loss, x, y, "conv.weight")
    conv["note"] = f"seed {seed}: every ReLU input at least 2e-3 from 0"
    if quick:
        return [normalize, mlp, conv]
    torch.manual_seed(4)
    m = 5000
    X = torch.rand(m, 400, dtype=torch.float64) * 2 - 1
    Y = F.one_hot(torch.randint(0, 10, (m,)), 10).double()
    course = module_case("ex4's network 400-25-10, sigmoid, logistic cost, m = 5,000", MLP([400, 25, 10], torch.sigmoid).double(),
                         logistic_cost, X, Y, "fc1.weight")
    course["fast_only"] = True
    return [normalize, mlp, conv, course]


def course_function(planted):
    """The Python edition's nnCostFunction, vectorized as students write it; `planted`: Theta1[16, 171]'s
    gradient 1% off, the entry planted in the module."""
    def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_=0.0):
        n1 = hidden_layer_size * (input_layer_size + 1)
        Theta1 = nn_params[:n1].reshape(hidden_layer_size, input_layer_size + 1)
        Theta2 = nn_params[n1:].reshape(num_labels, hidden_layer_size + 1)
        m = y.size
        a1 = np.hstack([np.ones((m, 1)), X])
        z2 = a1 @ Theta1.T
        a2 = np.hstack([np.ones((m, 1)), 1 / (1 + np.exp(-z2))])
        a3 = 1 / (1 + np.exp(-(a2 @ Theta2.T)))
        Y = np.eye(num_labels)[y]
        J = -np.sum(Y * np.log(a3) + (1 - Y) * np.log(1 - a3)) / m \
            + lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))
        d3 = a3 - Y
        d2 = (d3 @ Theta2[:, 1:]) * a2[:, 1:] * (1 - a2[:, 1:])
        G1, G2 = d2.T @ a1 / m, d3.T @ a2 / m
        G1[:, 1:] += lambda_ / m * Theta1[:, 1:]
        G2[:, 1:] += lambda_ / m * Theta2[:, 1:]
        if planted:
            G1[16, 171] *= 1.01
        return J, np.concatenate([G1.ravel(), G2.ravel()])
    return nnCostFunction
