"""The DDPM oracles themselves: sympy derivations against the closed forms, and independent routes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from dgmcheck.checks.strategies import gaussian_mixtures, schedules
from dgmcheck.theory import ddpm as th
from dgmcheck.theory.gaussian_mixture import posterior_mean_noise
from dgmcheck.theory.schedules import alpha_bars, linear_betas, one_minus_alpha_bars

RTOL = 1e-12  # float64 closed forms against float64 closed forms, a few roundings apart


@pytest.mark.theorem("ddpm.posterior")
def test_posterior_completing_the_square_gives_the_slide_formulas():
    derived, slide = th.derive_posterior(), th.closed_form_posterior()
    for key in ("var", "coef_x0", "coef_xt"):
        assert sp.simplify(derived[key] - slide[key]) == 0, key


@pytest.mark.theorem("ddpm.forward_marginal")
def test_forward_marginal_induction_step_is_exact():
    step = th.derive_forward_marginal_step()
    assert sp.simplify(step["mean_coef"] - step["target_mean_coef"]) == 0
    assert sp.simplify(step["var"] - step["target_var"]) == 0


@pytest.mark.theorem("ddpm.eps_mean")
def test_eps_form_of_the_posterior_mean():
    assert th.derive_eps_mean() == 0


@pytest.mark.theorem("ddpm.loss_weight")
def test_loss_weight_is_the_kl_coefficient():
    a, abp = sp.symbols("alpha_t alphabar_prev", positive=True)
    ab = a * abp
    slide_weight = (1 - a) ** 2 / (2 * th.closed_form_posterior()["var"] * a * (1 - ab))
    assert sp.simplify(th.derive_loss_weight() - slide_weight) == 0


@pytest.mark.theorem("ddpm.sampling_in_score_form")
def test_score_form_of_the_reverse_mean():
    assert th.derive_score_step() == 0


@pytest.mark.theorem("ddpm.forward_as_langevin")
def test_langevin_remainder_is_second_order():
    beta = sp.Symbol("beta", positive=True)
    assert sp.simplify(th.derive_langevin_remainder() + beta**2 / 8) == 0
    b = np.linspace(1e-4, 0.9, 500)
    lo, hi = th.langevin_remainder_bounds(b)
    r = th.langevin_remainder(b)
    assert np.all(lo <= r * (1 + 1e-12)) and np.all(r <= hi * (1 + 1e-12))


@pytest.mark.theorem("ddpm.forward_marginal")
@given(schedules(max_T=60))
def test_composing_one_step_kernels_gives_the_marginal(schedule):
    """Independent route: push (mean coefficient, variance) through t one-step kernels."""
    coef, var = 1.0, 0.0
    m, v = th.forward_marginal(schedule.betas, np.arange(1, schedule.T + 1))
    for t in range(1, schedule.T + 1):
        a, b = th.forward_step(schedule.betas, t)
        coef, var = a * coef, a**2 * var + b
        np.testing.assert_allclose([coef, var], [m[t - 1], v[t - 1]], rtol=RTOL * t, atol=1e-15)


@pytest.mark.theorem("ddpm.posterior")
@given(schedules(min_T=2, max_T=40), st.data())
def test_posterior_equals_gaussian_conditioning_of_the_joint(schedule, data):
    """Independent route: condition the joint Gaussian of (x_{t-1}, x_t) given x_0 directly."""
    t = data.draw(st.integers(2, schedule.T))
    x0, xt = data.draw(st.floats(-3, 3)), data.draw(st.floats(-3, 3))
    mp, vp = th.forward_marginal(schedule.betas, t - 1)
    a, b = th.forward_step(schedule.betas, t)
    # (x_{t-1}, x_t) | x_0: means (mp x0, a mp x0), Var x_{t-1} = vp, Cov = a vp, Var x_t = a² vp + b
    cond_mean = mp * x0 + (a * vp) / (a**2 * vp + b) * (xt - a * mp * x0)
    cond_var = vp - (a * vp) ** 2 / (a**2 * vp + b)
    c0, ct, var = th.posterior(schedule.betas, t)
    np.testing.assert_allclose(c0 * x0 + ct * xt, cond_mean, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(var, cond_var, rtol=1e-9, atol=1e-15)


@pytest.mark.theorem("ddpm.score_reparametrization")
@given(gaussian_mixtures(), schedules(max_T=30), st.data())
def test_tweedie_exact_noise_prediction_is_minus_scaled_score(mixture, schedule, data):
    """E[ε|x_t] by conditioning equals -√(1-ᾱ_t) ∇ log q_t(x_t) for mixture data (two routes)."""
    t = data.draw(st.integers(1, schedule.T))
    x = np.array(data.draw(st.lists(st.floats(-4, 4), min_size=mixture.dim,
                                    max_size=mixture.dim)))
    m, v = th.forward_marginal(schedule.betas, t)
    eps = posterior_mean_noise(mixture, float(m), float(v), x)
    score = mixture.noised(float(m), float(v)).score(x)
    np.testing.assert_allclose(eps, -np.sqrt(v) * score, rtol=1e-9, atol=1e-9)


@pytest.mark.theorem("ddpm.score_reparametrization")
@given(gaussian_mixtures(max_dim=2), st.data())
def test_mixture_score_matches_finite_differences(mixture, data):
    x = np.array(data.draw(st.lists(st.floats(-3, 3), min_size=mixture.dim,
                                    max_size=mixture.dim)))
    h = 1e-5
    fd = np.array([(mixture.log_prob(x + h * e) - mixture.log_prob(x - h * e)) / (2 * h)
                   for e in np.eye(mixture.dim)])
    np.testing.assert_allclose(mixture.score(x), fd, rtol=1e-5, atol=1e-5)


@pytest.mark.theorem("ddpm.stationary")
def test_prior_kl_vanishes_as_alpha_bar_goes_to_zero():
    """KL(q(x_T|x_0) || N(0, I)) for the linear schedule decreases in T and is ~1e-4·‖x_0‖² at 1000."""
    x0 = np.array([1.0, -2.0, 0.5])
    kls = [th.prior_kl(linear_betas(T, 1e-4, 0.02), x0) for T in (10, 100, 300, 1000)]
    assert all(a > b for a, b in itertools.pairwise(kls))
    abar = alpha_bars(linear_betas(1000))[-1]
    exact = 0.5 * (abar * x0 @ x0 + 3 * (1 - abar) - 3 - 3 * np.log1p(-abar))
    assert kls[-1] == pytest.approx(exact, rel=1e-12)
    assert kls[-1] < 1e-3


@pytest.mark.theorem("ddpm.optimal_variance")
@given(schedules(min_T=2))
def test_beta_tilde_never_exceeds_beta(schedule):
    _, _, var = th.posterior(schedule.betas, np.arange(1, schedule.T + 1))
    assert np.all(var <= schedule.betas * (1 + 1e-12))
    assert var[0] == 0.0


def test_one_minus_alpha_bar_is_accurate_near_one():
    b = np.full(3, 1e-12)
    np.testing.assert_allclose(one_minus_alpha_bars(b), [1e-12, 2e-12, 3e-12], rtol=1e-9)


@pytest.mark.parametrize(("bad", "match"), [
    ([0.1, 1.0], r"betas must lie in \(0, 1\); betas\[1\]"),
    ([0.0], r"betas\[0\]"),
    ([[0.1]], "1-D"),
    ([], "non-empty"),
])
def test_bad_schedules_are_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        th.posterior(bad, 1)


@pytest.mark.parametrize("t", [0, 4, 1.5, -1])
def test_bad_steps_are_refused(t):
    with pytest.raises(ValueError, match="t must"):
        th.posterior([0.1, 0.2, 0.3], t)


def test_loss_weight_refuses_t_equal_one():
    with pytest.raises(ValueError, match="t >= 2"):
        th.loss_weight([0.1, 0.2], 1)


# --- validate once, then gather: the per-step oracles on a Schedule -----------------------------

PER_STEP = [th.forward_step, th.forward_marginal, th.posterior, th.eps_mean, th.score_from_eps, th.score_step]


def _parts(out) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(o) for o in (out if isinstance(out, tuple) else (out,)))


@pytest.mark.parametrize("oracle", PER_STEP, ids=lambda f: f.__name__)
def test_schedule_and_vector_steps_give_the_per_step_values(oracle):
    """All steps at once (vector t), on a raw schedule or a validated Schedule, equal the scalar calls."""
    betas = linear_betas(50)
    ts = np.arange(1, 51)
    sched = th.schedule(betas)
    scalar = [_parts(oracle(betas, int(t))) for t in ts]
    one_by_one = [np.array(col) for col in zip(*scalar, strict=True)]
    for source in (betas, sched):
        for vector, scalars in zip(_parts(oracle(source, ts)), one_by_one, strict=True):
            np.testing.assert_array_equal(vector, scalars)
    assert all(p.shape == (5, 10) for p in _parts(oracle(sched, ts.reshape(5, 10))))  # results shaped like t


def test_a_loop_over_steps_with_a_schedule_validates_once(monkeypatch):
    """O(T) whole-chain loops: a Schedule is validated when built, never again per step; a raw betas is
    validated at every call (the public boundary keeps its ValueErrors)."""
    calls = []
    real = th.validate_betas
    monkeypatch.setattr(th, "validate_betas", lambda b, *a, **k: calls.append(1) or real(b, *a, **k))
    betas = linear_betas(200)
    sched = th.schedule(betas)
    assert len(calls) == 1
    for t in range(1, 201):
        th.posterior(sched, t), th.loss_weight(sched, max(t, 2)), th.dsm_weight(sched, max(t, 2))
    th.prior_kl(sched, np.ones(3))
    assert len(calls) == 1
    th.loss_weight(betas, 5)  # a raw schedule: validated once per public call, not once per gather
    assert len(calls) == 2
    assert th.schedule(sched) is sched


@pytest.mark.parametrize(("bad", "match"), [
    ([], "non-empty"), ([[0.1, 0.2]], "non-empty"), ([0.1, 1.0], r"betas\[1\]"), ([0.0], r"betas\[0\]")])
def test_schedule_refuses_what_the_oracles_refuse(bad, match):
    with pytest.raises(ValueError, match=match):
        th.schedule(bad)
    with pytest.raises(ValueError, match=match):
        th.posterior(bad, 1)


def test_schedule_is_read_only():
    sched = th.schedule(linear_betas(10))
    with pytest.raises(ValueError, match="read-only"):
        sched.betas[0] = 0.5
    np.testing.assert_array_equal(sched.alpha_bar[1:], alpha_bars(linear_betas(10)))
    np.testing.assert_array_equal(sched.one_minus_alpha_bar[1:], one_minus_alpha_bars(linear_betas(10)))
