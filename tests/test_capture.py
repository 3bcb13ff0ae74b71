"""Captured randomness: every intercepted torch function fed from the recorded variates, the log's
mismatch messages, given values, nesting, exception safety, transforms, and two uses — a
q_sample that draws its own ε held to the closed form, and diffusers' DDPMScheduler.step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks.capture import CaptureMismatch, captured
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.tolerances import exact, schedule_condition
from dgmcheck.theory import ddpm as th

SLIDE = '000 L7 "Forward Gaussian Diffusion Process" (Statement 1)'


@dataclass(frozen=True)
class Case:
    """``call(x)`` draws once (``x``: zeros (2, 3) of the test's dtype/device); ``expected(u, p)``
    is the fed value in float64 from the recorded variate ``u`` and the params ``p`` (written
    out here, independently of the module); ``rounded``: computed in the output dtype, so held
    to a tolerance instead of equality with the float64 value cast."""

    kind: str
    call: Callable[[torch.Tensor], torch.Tensor]
    expected: Callable[[np.ndarray, dict[str, Any]], np.ndarray]
    rounded: bool = False


def _ident(u: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    return u


def _affine(u: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    return np.asarray(p["mean"]) + np.asarray(p["std"]) * u


def _interval(u: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    return p["low"] + (p["high"] - p["low"]) * u


def _integer(u: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    # u·n is exact for a power-of-two range; otherwise the float64 product, as documented.
    return p["low"] + np.floor(u * float(p["high"] - p["low"]))


def _bernoulli(u: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    return (u < np.asarray(p["p"])).astype(np.float64)


def _multinomial(u: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    weights = np.atleast_2d(p["weights"])
    rows = np.atleast_2d(u)
    out = np.zeros(rows.shape, dtype=np.int64)
    for b in range(rows.shape[0]):
        w = list(weights[b])
        for j in range(rows.shape[1]):
            target = rows[b, j] * sum(w)
            positive = [i for i, wi in enumerate(w) if wi > 0]
            pick = next((i for i, c in enumerate(np.cumsum(w)) if c > target), positive[-1])
            out[b, j] = pick
            if not p["replacement"]:
                w[pick] = 0.0
    return out.reshape(u.shape)


def _gen(x: torch.Tensor) -> torch.Generator:
    return torch.Generator(device=x.device).manual_seed(7)


def _like(x: torch.Tensor, values: Any) -> torch.Tensor:
    return torch.as_tensor(values, dtype=x.dtype, device=x.device)


CASES = {
    "randn(*size)": Case("normal", lambda x: torch.randn(2, 3, dtype=x.dtype, device=x.device),
                         _ident),
    "randn(size, generator)": Case("normal", lambda x: torch.randn(
        (4,), generator=_gen(x), dtype=x.dtype, device=x.device), _ident),
    "randn(size=, requires_grad)": Case("normal", lambda x: torch.randn(
        size=[2, 2], dtype=x.dtype, device=x.device, requires_grad=True), _ident),
    "randn(out=)": Case("normal", lambda x: torch.randn(3, 2, out=torch.empty(0, dtype=x.dtype,
                                                                                device=x.device)),
                        _ident),
    "randn_like": Case("normal", torch.randn_like, _ident),
    "randn_like(dtype=float64)": Case("normal", lambda x: torch.randn_like(x, dtype=torch.float64),
                                      _ident),
    "rand(*size)": Case("uniform", lambda x: torch.rand(5, dtype=x.dtype, device=x.device),
                        _ident),
    "rand_like(generator)": Case("uniform", lambda x: torch.rand_like(x, generator=_gen(x)),
                                 _ident),
    "normal(tensor, tensor) broadcast": Case("normal", lambda x: torch.normal(
        _like(x, [[0.0], [1.0], [-2.0]]), _like(x, [[1.0, 2.0, 0.5, 3.0]])), _affine,
        rounded=True),
    "normal(tensor, float)": Case("normal", lambda x: torch.normal(x + 1.0, 2.0), _affine,
                                  rounded=True),
    "normal(float, tensor)": Case("normal", lambda x: torch.normal(1.5, _like(x, [0.5, 1.0, 2.0])),
                                  _affine, rounded=True),
    "normal(tensor, tensor, out=)": Case("normal", lambda x: torch.normal(
        x, x + 2.0, out=torch.empty_like(x)), _affine, rounded=True),
    "normal(float, float, size)": Case("normal", lambda x: torch.normal(
        -1.0, 0.5, size=(2, 2), dtype=x.dtype, device=x.device), _affine),
    "Tensor.normal_": Case("normal", lambda x: x.clone().normal_(2.0, 0.5), _affine),
    "Tensor.normal_(generator)": Case("normal", lambda x: x.clone().normal_(generator=_gen(x)),
                                      _affine),
    "Tensor.uniform_": Case("uniform", lambda x: x.clone().uniform_(-1.0, 3.0), _interval),
    "randint(high, size)": Case("randint", lambda x: torch.randint(5, (6,), device=x.device),
                                _integer),
    "randint(low, high, size, generator)": Case("randint", lambda x: torch.randint(
        -3, 4, (2, 3), device=x.device, generator=_gen(x)), _integer),
    "randint(low=, high=, size=, dtype=)": Case("randint", lambda x: torch.randint(
        low=2, high=9, size=(4,), dtype=x.dtype, device=x.device), _integer),
    "randint_like(high)": Case("randint", lambda x: torch.randint_like(x, 7), _integer),
    "randint_like(low, high)": Case("randint", lambda x: torch.randint_like(x, 2, 5), _integer),
    "Tensor.random_(from, to)": Case("randint", lambda x: x.clone().random_(3, 10), _integer),
    "Tensor.random_(to)": Case("randint", lambda x: x.clone().random_(7), _integer),
    "Tensor.random_() float": Case("randint", lambda x: x.clone().random_(), _integer),
    "Tensor.random_() int64": Case("randint", lambda x: torch.zeros(
        4, dtype=torch.int64, device=x.device).random_(), _integer),
    "bernoulli(p tensor)": Case("bernoulli", lambda x: torch.bernoulli(
        _like(x, [0.1, 0.5, 0.9, 1.0, 0.0])), _bernoulli),
    "bernoulli(input, p)": Case("bernoulli", lambda x: torch.bernoulli(x, 0.3), _bernoulli),
    "Tensor.bernoulli()": Case("bernoulli", lambda x: (x + 0.6).bernoulli(), _bernoulli),
    "Tensor.bernoulli_(float)": Case("bernoulli", lambda x: x.clone().bernoulli_(0.25),
                                     _bernoulli),
    "Tensor.bernoulli_(tensor) broadcast": Case("bernoulli", lambda x: x.clone().bernoulli_(
        _like(x, [0.2, 0.5, 0.8])), _bernoulli),
    "multinomial(replacement)": Case("multinomial", lambda x: torch.multinomial(
        _like(x, [1.0, 0.0, 3.0, 0.5]), 6, replacement=True), _multinomial),
    "multinomial(2-D, without)": Case("multinomial", lambda x: torch.multinomial(
        _like(x, [[1.0, 2.0, 0.0, 4.0], [0.0, 1.0, 1.0, 1.0]]), 3), _multinomial),
    "Tensor.multinomial(generator)": Case("multinomial", lambda x: _like(x, [0.2, 0.3, 0.5]).multinomial(
        3, generator=_gen(x)), _multinomial),
    "randperm": Case("permutation", lambda x: torch.randperm(6, device=x.device),
                     lambda u, p: np.argsort(u, kind="stable").astype(np.float64)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_intercepted_function_is_fed_from_its_variate(name, device, dtype):
    case = CASES[name]
    x = torch.zeros(2, 3, dtype=dtype, device=device)
    plain = case.call(x)  # torch itself: the metadata a capture must keep
    with captured(seed=11) as log:
        out = case.call(x)
    (draw,) = log.draws
    assert draw.fed and draw.kind == case.kind
    assert (out.shape, out.dtype, out.device, out.requires_grad) == (
        plain.shape, plain.dtype, plain.device, plain.requires_grad)
    assert (draw.shape, draw.dtype, draw.device) == (tuple(out.shape), out.dtype, out.device)
    assert draw.value is not None and draw.value.dtype == np.float64
    assert draw.generator == ("generator" in name)
    expected = case.expected(draw.value, draw.params)
    if case.rounded:
        mean, std = np.asarray(draw.params["mean"]), np.asarray(draw.params["std"])
        tol = exact(out.dtype, 2.0)
        assert_close(out, expected, theorem="capture", slide="", what=name, tol=tol,
                     scale=np.abs(mean) + np.abs(std * draw.value))
    else:
        # The float64 value, cast as torch casts it: equal to the last bit.
        want = torch.as_tensor(expected).to(out.dtype)
        assert torch.equal(out.detach().cpu(), want), (out, want)


def test_out_argument_is_written_and_returned(device, dtype):
    out = torch.empty(0, dtype=dtype, device=device)
    out2 = torch.empty(3, dtype=dtype, device=device)
    with captured(seed=3) as log:
        got = torch.randn(2, 2, out=out)
        got2 = torch.normal(torch.zeros(3, dtype=dtype, device=device), 2.0, out=out2)
    assert got is out and got2 is out2 and out.shape == (2, 2)
    assert np.array_equal(to_numpy(out), to_numpy(torch.as_tensor(log.normal(0)).to(dtype)))
    assert np.allclose(to_numpy(out2), 2.0 * log.normal(1), rtol=1e-6)


def test_standard_variates_come_from_numpy_generator(device):
    x = torch.zeros(3, 4, dtype=torch.float64, device=device)
    with captured(seed=1234) as log:
        z = torch.randn_like(x)
        u = torch.rand(5, dtype=torch.float64, device=device)
    rng = np.random.default_rng(1234)
    assert np.array_equal(log.normal(0), rng.standard_normal((3, 4)))
    assert np.array_equal(log.uniform(0), rng.random(5))
    assert np.array_equal(to_numpy(z), log.normal(0)) and np.array_equal(to_numpy(u), log.uniform(0))
    with captured(seed=np.random.default_rng(1234)) as again:
        torch.randn_like(x)
    assert np.array_equal(again.normal(0), log.normal(0))


def test_uniform_stays_below_its_upper_end_after_rounding(device, dtype):
    top = np.array([1.0 - 2.0**-53, 0.5])  # the float64 below 1: rounds to 1.0 in float32
    with captured(values=[top, top]) as log:
        u = torch.rand(2, dtype=dtype, device=device)
        v = torch.empty(2, dtype=dtype, device=device).uniform_(-2.0, 2.0)
    assert float(u.max()) < 1.0 and float(v.max()) < 2.0
    assert log.uniform(0)[0] == top[0]  # the log keeps the variate as given


def test_randint_and_bernoulli_edges(device):
    with captured(values=[np.array([0.0, 0.5, 1.0 - 2.0**-53]), np.array([0.25, 0.25, 0.0])]):
        k = torch.randint(3, 6, (3,), device=device)
        b = torch.bernoulli(torch.tensor([0.25, 0.375, 0.0], device=device))
    assert k.tolist() == [3, 4, 5]
    assert b.tolist() == [0.0, 1.0, 0.0]  # 1[u < p]: p = 0 never fires, u = p does not


def test_multinomial_inverse_cdf_by_hand(device):
    w = torch.tensor([1.0, 0.0, 3.0], device=device)
    u = np.array([0.2, 0.3])
    with captured(values=[u, u, np.array([1.0 - 2.0**-53])]):
        with_repl = torch.multinomial(w, 2, replacement=True)
        without = torch.multinomial(w, 2)
        top = torch.multinomial(torch.tensor([1.0, 0.0, 0.0], device=device), 1)
    # cumulative weights 1, 1, 4: 0.2·4 < 1 → 0; 0.3·4 = 1.2 → 2 (the zero weight is skipped).
    assert with_repl.tolist() == [0, 2]
    # Without replacement the first pick (0) is removed: weights 0, 0, 3 → 2.
    assert without.tolist() == [0, 2]
    assert top.tolist() == [0]  # never past the last positive weight


def test_randperm_is_the_argsort_of_its_uniforms(device):
    u = np.array([0.9, 0.1, 0.5, 0.3])
    with captured(values=[u]) as log:
        perm = torch.randperm(4, device=device)
    assert perm.tolist() == [1, 3, 2, 0]
    assert log.draws[0].kind == "permutation" and log.draws[0].params == {"n": 4}


def test_torch_errors_stay_torch_errors(device):
    # The candidate's call runs unchanged first, so bad arguments fail as torch fails.
    with captured(seed=0) as log, pytest.raises(RuntimeError):
        torch.multinomial(torch.zeros(3, device=device), 1)
    assert log.draws == []


def test_generator_advances_as_without_capture(device):
    plain = torch.Generator(device=device).manual_seed(5)
    torch.randn(4, generator=plain, device=device)
    fed = torch.Generator(device=device).manual_seed(5)
    with captured(seed=0) as log:
        z = torch.randn(4, generator=fed, device=device)
    assert torch.equal(plain.get_state(), fed.get_state())
    assert np.allclose(to_numpy(z), log.normal(0), rtol=1e-6)


def test_global_rng_is_left_where_torch_would_leave_it():
    torch.manual_seed(0)
    torch.randn(3)
    after = torch.randn(2)
    torch.manual_seed(0)
    with captured(seed=9):
        torch.randn(3)
    assert torch.equal(torch.randn(2), after)


def test_tensor_mean_std_keep_the_reparametrized_gradient(dtype):
    mean = torch.tensor([0.5, -1.0], dtype=dtype, requires_grad=True)
    std = torch.tensor([2.0, 0.5], dtype=dtype, requires_grad=True)
    with captured(seed=2) as log:
        y = torch.normal(mean, std)
    y.sum().backward()
    assert torch.equal(mean.grad, torch.ones_like(mean))
    assert np.allclose(to_numpy(std.grad), log.normal(0), rtol=1e-6)


def test_no_grad_and_inference_mode(device, dtype):
    x = torch.zeros(3, dtype=dtype, device=device, requires_grad=True)
    with captured(seed=4) as log:
        with torch.no_grad():
            a = torch.randn_like(x)
        with torch.inference_mode():
            b = torch.rand_like(x)
    assert [d.kind for d in log.draws] == ["normal", "uniform"]
    assert not a.requires_grad and not b.requires_grad
    assert np.allclose(to_numpy(a), log.normal(0), rtol=1e-6)


# -- the log and its messages ---------------------------------------------------------------


def test_expect_passes_and_returns_the_draws(device):
    x = torch.zeros(4, 3, device=device)
    with captured(seed=0) as log:
        torch.randn_like(x)
        torch.randint(0, 10, (4,), device=device)
    draws = log.expect(["normal", "randint"], shapes=[(4, 3), None])
    assert [d.fn for d in draws] == ["torch.randn_like", "torch.randint"]


def test_expect_reports_count(device):
    x = torch.zeros(4, 3, device=device)
    with captured(seed=0) as log:
        torch.randn_like(x)
        torch.randn_like(x)
    with pytest.raises(CaptureMismatch) as info:
        log.expect(["normal"], shapes=[x.shape], needs="one ε shaped like x0")
    text = str(info.value)
    assert "2 draw(s) where 1 are needed" in text and "needs: one ε shaped like x0" in text
    assert "[1] normal      torch.randn_like  shape (4, 3) float32" in text
    assert isinstance(info.value, ValueError)


def test_expect_reports_kind_and_shape(device):
    x = torch.zeros(4, 3, device=device)
    with captured(seed=0) as log:
        torch.rand_like(x)
    with pytest.raises(CaptureMismatch, match=r"draw \[0\] is uniform \(torch.rand_like\) where "
                                              r"normal is needed"):
        log.expect(["normal"])
    with captured(seed=0) as log:
        torch.randn(4, 1, device=device)
    with pytest.raises(CaptureMismatch, match=r"shape \(4, 1\) where \(4, 3\) is needed"):
        log.expect(["normal"], shapes=[(4, 3)])
    with captured(seed=0) as log:
        pass
    with pytest.raises(CaptureMismatch, match=r"(?s)0 draw\(s\) where 1 are needed.*nothing"):
        log.expect(["normal"])
    with pytest.raises(CaptureMismatch, match="made 0 fed normal"):
        log.normal(0)


def test_expect_refuses_bad_arguments():
    with captured(seed=0) as log:
        pass
    with pytest.raises(ValueError, match="kinds must name kinds"):
        log.expect(["gaussian"])
    with pytest.raises(TypeError, match="kinds must be a list"):
        log.expect("normal")
    with pytest.raises(ValueError, match="shapes must be a list of 1"):
        log.expect(["normal"], shapes=[(1,), (2,)])
    with pytest.raises(TypeError, match="k must be an int"):
        log.normal(0.5)


def test_dropout_is_recorded_unmatched(device):
    x = torch.ones(4, 5, device=device)
    with captured(seed=0) as log:
        y = torch.nn.functional.dropout(x, 0.5, training=True)
    (draw,) = log.draws
    assert not draw.fed and draw.value is None and draw.kind == "bernoulli"
    assert "aten." in draw.fn and "dropout" in draw.fn and draw.shape == (4, 5)
    assert log.unmatched == [draw] and log.fed == []
    assert set(np.unique(to_numpy(y))) <= {0.0, 2.0}  # torch drew it: dropout still works
    with pytest.raises(CaptureMismatch, match=r"(?s)could not be fed.*distributional"):
        log.expect(["bernoulli"])


def test_other_random_ops_are_recorded_unmatched(device):
    with captured(seed=0) as log:
        torch.empty(3, device=device).exponential_()
        torch.nn.init.normal_(torch.empty(2, device=device))
    assert [(d.kind, d.fed) for d in log.draws] == [("other", False), ("normal", False)]
    assert "torch.nn.init.normal_" in log.draws[1].fn


# -- given values ---------------------------------------------------------------------------


def test_given_values_are_fed_in_order(device, dtype):
    z = np.array([[0.5, -1.0, 2.0]])
    u = np.array([0.25, 0.75])
    with captured(values=[z, torch.as_tensor(u)]) as log:
        a = torch.randn(1, 3, dtype=dtype, device=device)
        b = torch.rand(2, dtype=dtype, device=device)
    assert to_numpy(a).tolist() == z.tolist() and to_numpy(b).tolist() == u.tolist()
    assert log.normal(0) is not None and "2 given values" in repr(log)


def test_given_values_mismatches(device):
    with pytest.raises(CaptureMismatch, match="draws more than the 1 given values: normal "
                                              r"torch.randn shape \(2,\)"):
        with captured(values=[np.zeros(2)]):
            torch.randn(2, device=device)
            torch.randn(2, device=device)
    with pytest.raises(CaptureMismatch, match=r"values\[0\] has shape \(3,\) but .* \(normal, "
                                              r"torch.randn_like\) needs a standard normal "
                                              r"variate of shape \(2, 2\)"):
        with captured(values=[np.zeros(3)]):
            torch.randn_like(torch.zeros(2, 2, device=device))
    with pytest.raises(CaptureMismatch, match=r"values\[0\] must lie in \[0, 1\)"):
        with captured(values=[np.array([1.0])]):
            torch.rand(1, device=device)
    with pytest.raises(CaptureMismatch, match="used 1 of the 2 given values"):
        with captured(values=[np.zeros(1), np.zeros(1)]):
            torch.randn(1, device=device)
    with captured(values=[np.zeros(1), np.zeros(1)], allow_unused=True) as log:
        torch.randn(1, device=device)
    assert len(log.draws) == 1


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="seed= or values=, not both"):
        with captured(seed=1, values=[]):
            pass
    with pytest.raises(TypeError, match="seed must be a non-negative int"):
        with captured(seed=-1):
            pass
    with pytest.raises(TypeError, match="values must be a list"):
        with captured(values=np.zeros(3)):
            pass
    with pytest.raises(ValueError, match=r"values\[1\] must be finite"):
        with captured(values=[np.zeros(1), np.array([np.nan])]):
            pass


# -- nesting, exceptions, transforms, diffusers ---------------------------------------------


def _mode_depths() -> tuple[int, int]:
    from torch.overrides import _get_current_function_mode_stack
    from torch.utils._python_dispatch import _get_current_dispatch_mode_stack

    return len(_get_current_function_mode_stack()), len(_get_current_dispatch_mode_stack())


def test_nesting_the_innermost_feeds(device):
    with captured(seed=1) as outer:
        a = torch.randn(2, device=device)
        with captured(values=[np.array([0.25, -0.5, 1.0])]) as inner:
            b = torch.randn(3, device=device)
            torch.nn.functional.dropout(torch.ones(2, device=device), 0.5)
        c = torch.rand(2, device=device)
    assert [d.fn for d in outer.fed] == ["torch.randn", "torch.rand"]
    assert [d.fn for d in inner.fed] == ["torch.randn"]
    assert to_numpy(b).tolist() == [0.25, -0.5, 1.0]
    assert np.allclose(to_numpy(a), outer.normal(0), rtol=1e-6)
    assert np.allclose(to_numpy(c), outer.uniform(0), rtol=1e-6)
    # An unfed draw is reported by every capture around it.
    assert len(inner.unmatched) == 1 and len(outer.unmatched) == 1


def test_modes_are_left_on_exceptions():
    depths = _mode_depths()
    with pytest.raises(KeyError):
        with captured(seed=0):
            torch.randn(2)
            raise KeyError("boom")
    with pytest.raises(CaptureMismatch):
        with captured(values=[]):
            torch.randn(2)
    assert _mode_depths() == depths
    torch.manual_seed(3)
    a = torch.randn(2)
    torch.manual_seed(3)
    assert torch.equal(torch.randn(2), a)  # torch's own generator again


def test_vmap_same_is_fed_once_for_all_examples():
    def f(row: torch.Tensor) -> torch.Tensor:
        return row + torch.randn_like(row)

    x = torch.zeros(4, 3, dtype=torch.float64)
    with captured(seed=0) as log:
        y = torch.func.vmap(f, randomness="same")(x)
    (draw,) = log.draws
    assert draw.fed and draw.shape == (3,)
    assert np.array_equal(to_numpy(y), np.broadcast_to(log.normal(0), (4, 3)))


def test_vmap_different_is_left_to_torch_and_recorded():
    def f(row: torch.Tensor) -> torch.Tensor:
        return row + torch.randn_like(row)

    x = torch.zeros(4, 3)
    with captured(seed=0) as log:
        torch.func.vmap(f, randomness="different")(x)
    (draw,) = log.draws
    assert not draw.fed and draw.kind == "normal" and draw.shape == (4, 3)
    with captured(seed=0), pytest.raises(RuntimeError, match="randomness"):
        torch.func.vmap(f)(x)  # vmap's default refuses random ops, as without the capture


def test_grad_transform_is_fed():
    def f(w: torch.Tensor) -> torch.Tensor:
        return (w * torch.randn(3, dtype=torch.float64)).sum()

    with captured(seed=0) as log:
        g = torch.func.grad(f)(torch.ones(3, dtype=torch.float64))
    assert np.array_equal(to_numpy(g), log.normal(0))


def test_diffusers_randn_tensor_with_generator_lists():
    from diffusers.utils.torch_utils import randn_tensor

    gens = [torch.Generator().manual_seed(i) for i in range(2)]
    with captured(seed=0) as log:
        z = randn_tensor((2, 3), generator=gens, dtype=torch.float64)
    log.expect(["normal", "normal"], shapes=[(1, 3), (1, 3)])
    assert np.array_equal(to_numpy(z), np.concatenate([log.normal(0), log.normal(1)]))


def _ddpm_scheduler() -> tuple[Any, dict[str, Any]]:
    from diffusers import DDPMScheduler

    return DDPMScheduler(num_train_timesteps=50, clip_sample=False), {}


def _ddim_scheduler() -> tuple[Any, dict[str, Any]]:
    from diffusers import DDIMScheduler

    scheduler = DDIMScheduler(num_train_timesteps=50, clip_sample=False)
    scheduler.set_timesteps(50)  # the full grid: η = 1 is then the DDPM step, σ_t² = β̃_t
    return scheduler, {"eta": 1.0}


@pytest.mark.parametrize("make", [_ddpm_scheduler, _ddim_scheduler], ids=["DDPM", "DDIM"])
def test_diffusers_step_variance_noise_is_captured(make):
    from dgmcheck.adapters.diffusers import scheduler_betas

    scheduler, step_kw = make()
    betas = scheduler_betas(scheduler)
    k = 30  # diffusers' timestep; the lecture's t = k + 1
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 4, generator=gen)
    eps = torch.randn(2, 4, generator=gen)
    with captured(seed=5) as log:
        noisy = scheduler.step(eps, k, x, generator=gen, **step_kw).prev_sample
    log.expect(["normal"], shapes=[x.shape], needs="the z of one DDPM step, shaped like x_t")
    with captured(values=[np.zeros((2, 4))]):
        mean = scheduler.step(eps, k, x, **step_kw).prev_sample
    # x_{t-1} = μ_θ + σ_t z with σ_t² = β̃_t: the noise term is the recorded z.
    z = log.normal(0)
    sigma = np.sqrt(th.posterior(betas, k + 1)[2])
    tol = exact(torch.float32, schedule_condition(betas, k + 1))
    assert_close(noisy - mean, sigma * z, theorem="ddpm.ancestral_sampling",
                 slide='000 L8 "Denoising Diffusion Probabilistic Model (DDPM)"',
                 what=f"the noise term σ_t z of {type(scheduler).__name__}.step", tol=tol,
                 scale=np.abs(to_numpy(mean)) + np.abs(sigma * z))


# -- use: a q_sample that draws its own ε, held to the closed form --------------------------


class TinyDiffusion:
    """GaussianDiffusion-style: ``q_sample(x0, t)`` draws ``ε = torch.randn_like(x0)`` itself."""

    def __init__(self, betas: torch.Tensor) -> None:
        self.betas = betas

    def coefficients(self, t: torch.Tensor, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        abar = torch.cumprod(1.0 - self.betas, 0)[t - 1].to(like)[:, None]
        return abar.sqrt(), (1.0 - abar).sqrt()

    def noise(self, x0: torch.Tensor) -> torch.Tensor:
        return torch.randn_like(x0)

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        a, s = self.coefficients(t, x0)
        return a * x0 + s * self.noise(x0)


class UniformNoiseBug(TinyDiffusion):
    """Draws ε with ``torch.rand_like`` (uniform) where a standard normal belongs."""

    def noise(self, x0: torch.Tensor) -> torch.Tensor:
        return torch.rand_like(x0)


class VarianceForStdBug(TinyDiffusion):
    """Scales ε by ``1 − ᾱ_t`` (the variance) where ``√(1 − ᾱ_t)`` belongs."""

    def coefficients(self, t: torch.Tensor, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, s = super().coefficients(t, like)
        return a, s * s


def check_q_sample(model: TinyDiffusion, x0: torch.Tensor, t: torch.Tensor) -> None:
    """ddpm.forward_marginal with the candidate's own ε: ``x_t = √ᾱ_t x0 + √(1 − ᾱ_t) ε``."""
    with captured(seed=2024) as log:
        x_t = model.q_sample(x0, t)
    log.expect(["normal"], shapes=[x0.shape], needs="ε ~ N(0, I) shaped like x0 (ddpm.forward_marginal)")
    betas = to_numpy(model.betas)
    a, var = th.forward_marginal(betas, to_numpy(t).astype(np.int64))
    eps, x = log.normal(0), to_numpy(x0)
    expected = a[:, None] * x + np.sqrt(var)[:, None] * eps
    assert_close(x_t, expected, theorem="ddpm.forward_marginal", slide=SLIDE,
                 what="q_sample(x0, t) with its own ε", inputs={"t": to_numpy(t)},
                 tol=exact(x0.dtype, schedule_condition(betas, to_numpy(t))[:, None]),
                 scale=np.abs(a[:, None] * x) + np.abs(np.sqrt(var)[:, None] * eps))


def _setup(device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    betas = torch.linspace(1e-4, 0.02, 100, dtype=torch.float64, device=device)
    x0 = torch.linspace(-1.0, 1.0, 12, dtype=dtype, device=device).reshape(4, 3)
    t = torch.tensor([1, 10, 50, 100], device=device)
    return betas, x0, t


def test_q_sample_with_its_own_noise_meets_the_closed_form(device, dtype):
    betas, x0, t = _setup(device, dtype)
    check_q_sample(TinyDiffusion(betas), x0, t)


def test_planted_uniform_noise_is_caught_by_expect(device, dtype):
    betas, x0, t = _setup(device, dtype)
    with pytest.raises(CaptureMismatch, match=r"(?s)is uniform \(torch.rand_like\) where normal is "
                                              r"needed.*ddpm.forward_marginal"):
        check_q_sample(UniformNoiseBug(betas), x0, t)


def test_planted_variance_for_std_is_caught_by_the_oracle(device, dtype):
    betas, x0, t = _setup(device, dtype)
    with pytest.raises(TheoremViolation) as info:
        check_q_sample(VarianceForStdBug(betas), x0, t)
    assert info.value.theorem == "ddpm.forward_marginal"


# --- the lean feed of a step known to draw one standard normal -----------------------------------


def test_randn_feed_feeds_one_randn_and_flags_anything_else(device, dtype):
    from dgmcheck.checks.capture import RandnFeed

    z = torch.randn(3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    feed = RandnFeed(z)
    with feed:
        y = torch.randn(3, 2, device=device, dtype=dtype)
        w = torch.tanh(y) * 2
    assert feed.fed == 1 and not feed.other
    assert torch.equal(y, z.to(device=device, dtype=dtype)) and torch.allclose(w, 2 * torch.tanh(y))
    for draw in (lambda: torch.rand(3, 2, device=device, dtype=dtype),        # another kind
                 lambda: torch.randn(2, 3, device=device, dtype=dtype),       # another shape
                 lambda: [torch.randn(3, 2, device=device, dtype=dtype) for _ in range(2)]):  # a second
        feed = RandnFeed(z)
        with feed:
            draw()
        assert feed.other, "a draw the lean feed cannot give must be flagged for the full capture"
    for bad in ([0.1, 0.2], torch.zeros(3, dtype=torch.long)):
        with pytest.raises(TypeError, match=r"value must be a floating torch\.Tensor"):
            RandnFeed(bad)


@pytest.mark.adapters
def test_stock_ddpm_step_fed_lean_equals_the_full_capture(dtype):
    pytest.importorskip("diffusers")
    from diffusers import DDPMScheduler

    from dgmcheck.adapters.diffusers import _fed_step, _stock_step

    class Sub(DDPMScheduler):  # a subclass may draw otherwise: it takes the full capture
        pass

    s = DDPMScheduler(num_train_timesteps=20, clip_sample=False)
    assert _stock_step(s) and not _stock_step(Sub(num_train_timesteps=20, clip_sample=False))
    gen = torch.Generator().manual_seed(11)
    x, e, z = (torch.randn(4, 3, dtype=dtype, generator=gen) for _ in range(3))
    for k in (19, 7, 1):
        lean = _fed_step(s, z, e, k, x, return_dict=False)[0]
        with captured(values=[z], allow_unused=True):
            full = s.step(e, k, x, return_dict=False)[0]
        assert torch.equal(lean, full), k
