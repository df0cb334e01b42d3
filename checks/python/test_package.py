"""The Python package's promises, each with a planted bug that must fail (ctest python_package):
the verdict names the tensor and the entry, exceptions propagate as themselves, options are
refused in one line, and the caller's objects are left as they were."""
import copy
import re

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


def test_a_check_inside_the_checked_function_is_refused():
    def outer(p):
        gradcheck.check(quadratic, PARAMS)
        return quadratic(p)

    with pytest.raises(gradcheck.GradcheckError, match="from inside the function it checks"):
        gradcheck.check(outer, PARAMS)


def test_a_gradient_accumulated_across_calls_fails():
    kept = {"w": np.zeros(4), "b": np.zeros(3)}

    def accumulates(p):  # grads += dW, never zeroed: right on the first call only
        J, g = quadratic(p)
        for k in kept:
            kept[k] += g[k]
        return J, {k: v.copy() for k, v in kept.items()}

    result = gradcheck.check(accumulates, PARAMS)
    assert result.outcome == "FAIL" and "the gradient changes from call to call" in result.verdict


def test_a_gradient_broadcasting_the_step_fails_and_a_harmless_shape_passes():
    def column(p):
        J, g = quadratic(p)
        return J, {"w": g["w"], "b": g["b"].reshape(3, 1)}  # b − lr·db would be 3 × 3

    assert "the gradient has shape (3, 1); expected shape (3,)" in gradcheck.check(column, PARAMS).verdict
    row = {"w": PARAMS["w"], "b": PARAMS["b"].reshape(1, 3)}  # a (1, 3) bias and its gradient as (3,): the step keeps (1, 3)
    assert gradcheck.check(lambda p: quadratic({"w": p["w"], "b": p["b"].ravel()}), row).passed


def test_what_the_caller_gives_wrong_is_refused_before_any_call():
    for params, said in (({"E": np.zeros((0, 3))}, "params['E'] is empty"), ({1: np.ones(2)}, "params has the key 1"),
                         ({"W": np.array(["x"], dtype=object)}, "params['W'] is a ndarray, not numbers")):
        with pytest.raises(gradcheck.GradcheckError, match=re.escape(said)):
            gradcheck.check(quadratic, params)


def test_a_cost_that_is_not_fs_J_is_an_error_not_noise():
    result = gradcheck.check(quadratic, PARAMS, cost=lambda p: quadratic(p)[0] + 10)
    assert result.outcome == "ERROR" and "cost(params) is" in result.verdict
    assert gradcheck.check(quadratic, PARAMS, cost=lambda p: quadratic(p)[0]).passed


def test_a_parameter_hook_shapes_the_gradient_checked():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 2))
    net[0].weight.register_hook(lambda g: 1.5 * g)  # training gets 1.5 × the gradient of 0.weight
    x, y = torch.randn(6, 3), torch.randn(6, 2)
    result = gradcheck.torch.check_module(net, torch.nn.functional.mse_loss, x, y)
    assert result.verdict.startswith("FAIL: gradient mismatch in 0.weight;")
    assert net[0].weight.dtype == torch.float32 and len(net[0].weight._backward_hooks) == 1


def test_float32_data_beside_a_checked_weight():
    torch.manual_seed(0)
    x, w = torch.randn(4, 3), torch.randn(3, requires_grad=True)  # x float32 data, only w checked
    result = gradcheck.torch.check_function(Scale.apply, x, w)
    assert result.passed and [t["name"] for t in result.tensors] == ["w"]


def test_a_dict_of_inputs_goes_by_forwards_names(planted):
    torch.manual_seed(0)
    x, w = torch.randn(4, 3), torch.randn(3)
    assert gradcheck.torch.check_function(Scale.apply, {"w": w, "x": x}).verdict.startswith("FAIL: gradient mismatch in w;")
    with pytest.raises(TypeError, match="takes x, w"):
        gradcheck.torch.check_function(Scale.apply, {"a": x, "b": w})
