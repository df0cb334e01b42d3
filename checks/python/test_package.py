"""The Python package's promises, each with a planted bug that must fail (ctest python_package):
the verdict names the tensor and the entry, exceptions propagate as themselves, options are
refused in one line, and the caller's objects are left as they were."""
import copy

import numpy as np
import pytest
import torch

import gradcheck
import gradcheck.torch


def quadratic(p, planted=None):
    """J = ½‖A w + b − y‖², its gradient by hand; `planted` spoils one entry or one tensor."""
    A, y = np.arange(12.0).reshape(3, 4) / 7, np.array([1.0, -2.0, 0.5])
    r = A @ p["w"] + p["b"] - y
    g = {"w": A.T @ r, "b": r.copy()}
    if planted == "entry":
        g["w"][2] *= 1.01
    if planted == "transposed":
        g = {"w": g["w"], "b": g["b"][::-1].copy()}
    return 0.5 * r @ r, g


PARAMS = {"w": np.array([0.3, -0.2, 0.5, 0.1]), "b": np.array([0.2, 0.1, -0.4])}


def test_right_gradient_passes():
    result = gradcheck.check(quadratic, PARAMS)
    assert result.passed and result.outcome == "PASS" and result.exit_code == 0
    assert [t["name"] for t in result.tensors] == ["w", "b"]
    result.assert_ok()


def test_one_entry_one_percent_off_fails_naming_it():
    result = gradcheck.check(lambda p: quadratic(p, "entry"), PARAMS)
    assert not result.passed and result.outcome == "FAIL" and result.exit_code == 1
    assert result.verdict == "FAIL: gradient mismatch in w; worst entry w[2]"
    assert result.worst[0]["name"] == "w[2]"
    assert [t["passed"] for t in result.tensors] == [False, True]
    with pytest.raises(AssertionError, match=r"^FAIL: gradient mismatch in w; worst entry w\[2\]"):
        result.assert_ok()
    for extension in (".txt", ".md", ".html", ".xml", ".json"):
        assert "gradient mismatch in w" in result.report(extension)


def test_fast_mode_and_sample_fail_it_too():
    for options in ({"directional": True}, {"sample": 2, "seed": 1}):
        result = gradcheck.check(lambda p: quadratic(p, "transposed"), PARAMS, **options)
        assert result.outcome == "FAIL" and "b" in result.verdict, options


def test_one_array_is_named_params():
    f = lambda w: quadratic({"w": w, "b": PARAMS["b"]}, "entry")[0:1] + (quadratic({"w": w, "b": PARAMS["b"]}, "entry")[1]["w"],)  # noqa: E731
    result = gradcheck.check(f, PARAMS["w"])
    assert result.verdict == "FAIL: gradient mismatch in params; worst entry params[2]"


def test_the_users_exception_propagates_as_itself():
    class Mine(Exception):
        pass

    def broken(p):
        raise Mine("from the user's code")

    with pytest.raises(Mine, match="from the user's code"):
        gradcheck.check(broken, PARAMS)


def test_what_cannot_be_read_is_an_error_result():
    result = gradcheck.check(lambda p: (1.0, None), PARAMS)
    assert result.outcome == "ERROR" and result.exit_code == 3 and not result.passed
    assert "expected a dict" in result.verdict


def test_options_refused_in_one_line():
    with pytest.raises(gradcheck.GradcheckError, match="sample"):
        gradcheck.check(quadratic, PARAMS, sample=-3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'lamda'"):
        gradcheck.check(quadratic, PARAMS, lamda=1)


def test_the_callers_arrays_are_left_as_they_were():
    params = copy.deepcopy(PARAMS)
    gradcheck.check(quadratic, params)
    assert all(np.array_equal(params[k], PARAMS[k]) for k in PARAMS)


def test_a_function_that_changes_its_parameters_fails():
    def changes(p):
        J, g = quadratic(p)
        p["w"][0] = 0.0
        return J, g

    result = gradcheck.check(changes, PARAMS)
    assert result.outcome == "FAIL" and "changes params in place" in result.report(".txt")


class Scale(torch.autograd.Function):
    """y = w ⊙ x, its backward by hand; the planted one drops 1% of one entry of w's gradient."""
    planted = False

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return w * x

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        dw = (grad * x).sum(0)
        if Scale.planted:
            dw = dw.clone()
            dw[1] *= 1.01
        return grad * w, dw


@pytest.fixture
def planted():
    Scale.planted = True
    yield
    Scale.planted = False


def test_function_inputs_named_by_forward(planted):
    torch.manual_seed(0)
    x, w = torch.randn(4, 3), torch.randn(3)
    result = gradcheck.torch.check_function(Scale.apply, x, w)
    assert result.verdict == "FAIL: gradient mismatch in w; worst entry w[1]"
    assert [t["name"] for t in result.tensors] == ["x", "w"]


def test_module_left_as_it_was_and_fails_naming_the_parameter(planted):
    torch.manual_seed(0)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(3, 3)
            self.gain = torch.nn.Parameter(torch.randn(3))

        def forward(self, x):
            return Scale.apply(torch.tanh(self.fc1(x)), self.gain).sum(1)

    net = Net()
    before = copy.deepcopy(net.state_dict())
    x, y = torch.randn(8, 3), torch.randn(8)
    result = gradcheck.torch.check_module(net, torch.nn.functional.mse_loss, x, y)
    assert result.verdict == "FAIL: gradient mismatch in gain; worst entry gain[1]"
    assert all(t.dtype == torch.float32 for t in net.state_dict().values())
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert all(p.grad is None for p in net.parameters())
