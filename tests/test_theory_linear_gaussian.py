"""Tests of the exact linear-Gaussian DDPM ELBO oracle (``dgmcheck.theory.linear_gaussian``).

Lecture 8 of seed 000: "Conditioned Reverse Distribution", "ELBO for Gaussian Diffusion Model",
"Reparametrization of DDPM", "Denoising Diffusion Probabilistic Model (DDPM)". Every expected value
here is computed by a second route written in this file (joint Gaussians, quadrature, the
lecture's formulas, an optimizer, Monte Carlo); no number is copied from the implementation.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import integrate, optimize, stats

from dgmcheck.checks.profiles import scaled
from dgmcheck.checks.strategies import arrays
from dgmcheck.checks.tolerances import Z_THRESHOLD, exact
from dgmcheck.theory import linear_gaussian as lg

pytestmark = [pytest.mark.theorem("ddpm.elbo_decomposition")]

# float64 exact-oracle tolerance (~1e-10 relative), relative to the scale of the
# quantities that were summed (an ELBO near 0 can be a difference of large terms).
RTOL = 1e-10
FAST = settings(max_examples=scaled(25), deadline=None)


def _close(x: float, y: float, scale: float) -> bool:
    return abs(x - y) <= RTOL * max(1.0, abs(scale))


def _terms_scale(terms: lg.ElboTerms) -> float:
    kls = float(np.sum(np.abs(terms.diffusion_kls)))
    return abs(terms.reconstruction) + abs(terms.prior_kl) + kls


# ----------------------------------------------------------------------------- strategies


@st.composite
def schedules(draw, min_steps: int = 1, max_steps: int = 30, increasing: bool | None = None):
    steps = draw(st.integers(min_steps, max_steps))
    betas = draw(arrays(steps, 1e-4, 0.5))
    if increasing if increasing is not None else draw(st.booleans()):
        betas = np.sort(betas)
    return betas


@st.composite
def chain_problems(draw, min_steps: int = 1):
    """A schedule, a random linear reverse chain and a data point x_0 with d coordinates."""
    betas = draw(schedules(min_steps=min_steps))
    steps = len(betas)
    d = draw(st.integers(1, 3))
    chain = lg.LinearReverseChain(
        a=draw(arrays(steps, -2.0, 2.0)),
        b=draw(arrays((steps, d), -3.0, 3.0)),
        v=draw(arrays(steps, 1e-3, 3.0)),
        prior_mean=draw(arrays(d, -2.0, 2.0)),
        prior_var=draw(st.floats(0.1, 3.0)),
    )
    x0 = draw(arrays(d, -3.0, 3.0))
    return betas, chain, x0


@st.composite
def gaussian_data(draw, min_var: float = 0.05, max_var: float = 4.0):
    """(data_mean, data_var, x0): scalar or per-coordinate mean and variance."""
    d = draw(st.integers(1, 3))
    mean = draw(arrays(d, -3.0, 3.0))
    if draw(st.booleans()):
        var = draw(arrays(d, min_var, max_var))
    else:
        var = draw(st.floats(min_var, max_var))
    x0 = draw(arrays(d, -3.0, 3.0))
    return mean, var, x0


def _lecture_schedule(betas: np.ndarray):
    """α_t, ᾱ_t, ᾱ_{t-1}, β̃_t straight from the slide "Conditioned Reverse Distribution"."""
    alphas = 1.0 - betas
    alpha_bar = np.cumprod(alphas)
    alpha_bar_prev = np.concatenate(([1.0], alpha_bar[:-1]))
    beta_tilde = (1.0 - alpha_bar_prev) * betas / (1.0 - alpha_bar)
    return alphas, alpha_bar, alpha_bar_prev, beta_tilde


def _vp_linear_schedule(steps: int) -> np.ndarray:
    """DDPM's linear schedule (β from 1e-4 to 0.02 at T = 1000) scaled to ``steps`` steps.

    β(s) = 0.1 + 19.9 s on s ∈ [0, 1] (the continuous-time limit of that schedule) integrated over
    each of the ``steps`` cells: β_t = 1 - exp(-∫ β ds). This stays in (0, 1) for any T (plain
    ``linspace(1e-4, 0.02, T) * 1000/T`` exceeds 1 at T = 10), gives the same ᾱ_T = e^{-10.05} for
    every T, and at T = 1000 is within 1e-5 of ``linspace(1e-4, 0.02, 1000)``.
    """
    t = np.arange(1, steps + 1)
    integral = 0.1 / steps + 19.9 * (2 * t - 1) / (2.0 * steps**2)
    return -np.expm1(-integral)


# ----------------------------------------------------------------------------- 1. two routes


@FAST
@given(chain_problems())
def test_direct_elbo_equals_lecture_decomposition(problem):
    betas, chain, x0 = problem
    terms = lg.elbo_terms(chain, betas, x0)
    assert terms.diffusion_kls.shape == (len(betas) - 1,)
    assert np.all(terms.diffusion_kls >= 0) and terms.prior_kl >= 0
    direct = lg.elbo(chain, betas, x0)
    assert _close(direct, terms.elbo, _terms_scale(terms)), (direct, terms)


# ----------------------------------------------------------------------------- 2. the gap


@pytest.mark.theorem("elbo.decomposition", "elbo.bound")
@FAST
@given(chain_problems())
def test_likelihood_minus_elbo_is_posterior_kl(problem):
    betas, chain, x0 = problem
    log_p = lg.log_likelihood(chain, x0)
    bound = lg.elbo(chain, betas, x0)
    gap = lg.posterior_kl_gap(chain, betas, x0)
    scale = abs(log_p) + _terms_scale(lg.elbo_terms(chain, betas, x0))
    assert _close(log_p - bound, gap, scale), (log_p, bound, gap)
    assert gap >= -RTOL * scale
    assert bound <= log_p + RTOL * scale  # ELBO <= log p_θ(x_0)


# ----------------------------------------------------------------------------- 3. equality


@pytest.mark.theorem("elbo.optimal_q")
@FAST
@given(schedules(), gaussian_data())
def test_true_reverse_chain_makes_the_elbo_tight(betas, data):
    mean, var, x0 = data
    chain = lg.true_reverse_chain(betas, mean, var)
    log_p = lg.log_likelihood(chain, x0)
    bound = lg.elbo(chain, betas, x0)
    terms = lg.elbo_terms(chain, betas, x0)
    exact = float(np.sum(stats.norm.logpdf(x0, mean, np.sqrt(var))))
    scale = abs(exact) + _terms_scale(terms)
    assert _close(log_p, exact, scale), (log_p, exact)
    assert _close(bound, exact, scale), (bound, exact)
    assert _close(terms.elbo, exact, scale), (terms.elbo, exact)
    assert abs(lg.posterior_kl_gap(chain, betas, x0)) <= RTOL * scale
    # p(x_T) = q(x_T) for the true reversal: the marginal of x_T under x_0 ~ N(m, s).
    alpha_bar_T = np.prod(1.0 - betas)
    assert np.allclose(chain.prior_mean, np.sqrt(alpha_bar_T) * mean, rtol=0, atol=1e-12)
    assert np.allclose(chain.prior_var, alpha_bar_T * var + 1.0 - alpha_bar_T, rtol=1e-12)


@pytest.mark.theorem("ddpm.ancestral_sampling")
@FAST
@given(schedules(), gaussian_data())
def test_true_reverse_chain_samples_the_data_law(betas, data):
    mean, var, _ = data
    law_mean, law_var = lg.sampler_law(lg.true_reverse_chain(betas, mean, var))
    assert np.allclose(law_mean, mean, rtol=1e-10, atol=1e-10)
    assert np.allclose(law_var, np.broadcast_to(var, law_var.shape), rtol=1e-10)


# ----------------------------------------------------------------------------- 4. log p route 2


def _joint_gaussian(chain: lg.LinearReverseChain, coord: int):
    """Mean and covariance of (x_0, ..., x_T) for one coordinate, from x = A ξ + c, ξ ~ N(0, I)."""
    steps = chain.num_steps

    def at(arr, t):
        arr = np.asarray(arr)
        return float(arr[t] if arr.ndim == 1 else arr[t, coord])

    def coordinate(arr) -> float:
        arr = np.atleast_1d(arr)
        return float(arr[coord] if arr.size > 1 else arr[0])

    prior_mean, prior_var = coordinate(chain.prior_mean), coordinate(chain.prior_var)
    loadings = np.zeros((steps + 1, steps + 1))  # row k: x_k as a combination of ξ_0..ξ_T
    offsets = np.zeros(steps + 1)
    loadings[steps, steps] = np.sqrt(prior_var)
    offsets[steps] = prior_mean
    for t in range(steps, 0, -1):
        a, b, v = at(chain.a, t - 1), at(chain.b, t - 1), at(chain.v, t - 1)
        loadings[t - 1] = a * loadings[t]
        loadings[t - 1, t - 1] = np.sqrt(v)
        offsets[t - 1] = a * offsets[t] + b
    return offsets, loadings @ loadings.T


def _joint_and_factors(chain: lg.LinearReverseChain, i: int, mean: np.ndarray, cov: np.ndarray,
                       point: np.ndarray) -> tuple[float, float, float]:
    """``log N(point; mean, cov)`` (scipy), ``log p(x_T) + Σ_t log p_θ(x_{t-1}|x_t)`` at ``point`` (coordinate
    ``i``) and the bound on their difference."""
    steps = chain.num_steps
    factors = [stats.norm.logpdf(point[-1], chain.prior_mean[i], np.sqrt(chain.prior_var))]
    for t in range(1, steps + 1):
        factors.append(stats.norm.logpdf(point[t - 1], chain.a[t - 1] * point[t] + chain.b[t - 1, i],
                                         np.sqrt(chain.v[t - 1])))
    # scipy evaluates the joint density through an eigendecomposition of cov = L Lᵀ: forming cov sums n
    # products and eigh's backward error is about n ε ‖cov‖, so its quadratic form and log-determinant
    # carry a relative error of about n κ(cov) ε (κ reaches 4e6 with v = 1e-3 and a = 2), relative to
    # the size of the terms summed (the factors' and the quadratic form's), not of the sum.
    r = point - mean
    terms = float(np.sum(np.abs(factors))) + 0.5 * abs(r @ np.linalg.solve(cov, r)) + steps + 1
    bound = exact(np.float64, (steps + 1) * np.linalg.cond(cov)).rtol * terms
    return float(stats.multivariate_normal(mean, cov).logpdf(point)), float(np.sum(factors)), bound


@given(chain_problems(), st.data())
@settings(max_examples=scaled(20), deadline=None)
def test_log_likelihood_by_marginalizing_the_joint(problem, data):
    _, chain, x0 = problem
    steps = chain.num_steps
    if steps > 6:  # small T: the joint is (T+1)-variate
        chain = lg.LinearReverseChain(a=chain.a[:6], b=chain.b[:6], v=chain.v[:6],
                                      prior_mean=chain.prior_mean, prior_var=chain.prior_var)
        steps = 6
    expected = 0.0
    for i in range(len(x0)):
        mean, cov = _joint_gaussian(chain, i)
        # The joint really is the chain: its density is p(x_T) ∏_t p_θ(x_{t-1}|x_t) at a point.
        point = np.array(data.draw(hnp.arrays(np.float64, steps + 1,
                                              elements=st.floats(-3.0, 3.0))))
        joint_lp, by_factors, bound = _joint_and_factors(chain, i, mean, cov, point)
        assert abs(joint_lp - by_factors) <= bound, (joint_lp, by_factors, bound)
        # Marginalizing a Gaussian keeps the sub-block of the mean and covariance.
        expected += stats.multivariate_normal(mean[:1], cov[:1, :1]).logpdf(x0[i:i + 1])
    got = lg.log_likelihood(chain, x0)
    assert _close(got, expected, abs(expected)), (got, expected)


def test_joint_density_bound_holds_where_the_joint_is_ill_conditioned():
    """Regression (a case like dev seed 2006's): |a| near 2 and v near 1e-3 make κ(cov) large, and scipy's
    joint log-density differed from the chain's factors by 2.8e-9 relative here, past the fixed 1e-9
    the test held them to; the bound derived from κ(cov) and the size of the terms holds."""
    chain = lg.LinearReverseChain(a=np.array([2.0, -1.9, 2.0, 2.0, 2.0, -2.0]), b=np.zeros((6, 1)),
                                  v=np.array([1e-3, 2e-3, 0.5, 2e-3, 0.5, 1e-3]), prior_mean=np.array([0.5]),
                                  prior_var=1.0)
    mean, cov = _joint_gaussian(chain, 0)
    joint_lp, by_factors, bound = _joint_and_factors(chain, 0, mean, cov,
                                                     np.array([0.0, 3.0, -3.0, -3.0, 0.0, 3.0, 1.0]))
    assert abs(joint_lp - by_factors) <= bound < 1e-5 * abs(by_factors), (joint_lp, by_factors, bound)


def test_log_likelihood_by_quadrature_for_one_step():
    chain = lg.LinearReverseChain(a=np.array([0.7]), b=np.array([-0.3]), v=np.array([0.2]),
                                  prior_mean=0.4, prior_var=1.5)
    x0 = 0.9

    def integrand(x1: float) -> float:
        return stats.norm.pdf(x1, 0.4, np.sqrt(1.5)) * stats.norm.pdf(x0, 0.7 * x1 - 0.3,
                                                                       np.sqrt(0.2))

    density, _ = integrate.quad(integrand, -np.inf, np.inf, epsabs=1e-14, epsrel=1e-13)
    assert np.isclose(lg.log_likelihood(chain, x0), np.log(density), rtol=1e-10, atol=0)


@settings(max_examples=scaled(10), deadline=None)
@given(st.floats(-3, 3), st.floats(0.05, 3), st.floats(-3, 3), st.floats(0.05, 3))
def test_gaussian_kl_matches_quadrature(mq, vq, mp, vp):
    def integrand(x: float) -> float:
        return stats.norm.pdf(x, mq, np.sqrt(vq)) * (stats.norm.logpdf(x, mq, np.sqrt(vq))
                                                     - stats.norm.logpdf(x, mp, np.sqrt(vp)))

    sd = np.sqrt(vq)
    kl, _ = integrate.quad(integrand, mq - 40 * sd, mq + 40 * sd, epsabs=1e-13, epsrel=1e-12,
                           limit=200)
    assert np.isclose(lg.gaussian_kl(mq, vq, mp, vp), kl, rtol=1e-8, atol=1e-11)
    # summed over coordinates
    two = lg.gaussian_kl([mq, mp], [vq, vp], [mp, mq], [vp, vq])
    assert np.isclose(two, lg.gaussian_kl(mq, vq, mp, vp) + lg.gaussian_kl(mp, vp, mq, vq),
                      rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------- 5. optimal σ²


@pytest.mark.theorem("ddpm.optimal_variance")
@FAST
@given(schedules())
def test_optimal_variance_endpoints_and_bracket(betas):
    _, _, _, beta_tilde = _lecture_schedule(betas)
    assert np.allclose(lg.optimal_reverse_variance(betas, 1.0), betas, rtol=1e-12, atol=0)
    assert np.allclose(lg.optimal_reverse_variance(betas, 0.0), beta_tilde, rtol=1e-12,
                       atol=1e-300)
    for s in (0.1, 0.5, 0.9):
        var = lg.optimal_reverse_variance(betas, s)
        assert np.all(var >= beta_tilde * (1 - 1e-12)) and np.all(var <= betas * (1 + 1e-12))
    # The slide's bracket [β̃_t, β_t] holds for data variance <= 1 only; above 1 it exceeds β_t.
    assert np.all(lg.optimal_reverse_variance(betas, 2.0) > betas)
    per_coord = lg.optimal_reverse_variance(betas, np.array([0.0, 1.0]))
    assert per_coord.shape == (len(betas), 2)


def _expected_lt(betas: np.ndarray, t: int, mean: float, var: float, sigma2: float) -> float:
    """E_{x_0 ~ N(m, s)} E_{q(x_t|x_0)} KL(q(x_{t-1}|x_t,x_0) || N(E[x_{t-1}|x_t], σ²)).

    Built from the slide formulas for μ̃_t, β̃_t and the joint moments of (x_0, x_{t-1}, x_t)
    written here, not from the module.
    """
    alphas, alpha_bar, alpha_bar_prev, beta_tilde = _lecture_schedule(betas)
    ab, abp, al, bt = alpha_bar[t - 1], alpha_bar_prev[t - 1], alphas[t - 1], betas[t - 1]
    k0 = np.sqrt(abp) * bt / (1 - ab)
    kt = np.sqrt(al) * (1 - abp) / (1 - ab)
    var_prev = abp * var + 1 - abp  # Var x_{t-1}
    var_t = ab * var + 1 - ab  # Var x_t
    cov_prev_t = np.sqrt(al) * var_prev
    slope = cov_prev_t / var_t  # E[x_{t-1}|x_t] = m_{t-1} + slope (x_t - m_t)
    intercept = np.sqrt(abp) * mean - slope * np.sqrt(ab) * mean
    # residual R = μ̃_t - E[x_{t-1}|x_t] = k0 x_0 + (kt - slope) x_t - intercept
    g = kt - slope
    mean_r = k0 * mean + g * np.sqrt(ab) * mean - intercept
    var_r = k0**2 * var + g**2 * var_t + 2 * k0 * g * np.sqrt(ab) * var
    bt_tilde = beta_tilde[t - 1]
    return 0.5 * (np.log(sigma2 / bt_tilde) + (bt_tilde + mean_r**2 + var_r) / sigma2 - 1.0)


@pytest.mark.theorem("ddpm.optimal_variance")
@settings(max_examples=scaled(15), deadline=None)
@given(schedules(min_steps=2), st.data(), st.floats(-2, 2), st.floats(0.0, 3.0))
def test_optimal_variance_maximizes_the_expected_elbo_term(betas, data, mean, var):
    t = data.draw(st.integers(2, len(betas)))
    result = optimize.minimize_scalar(
        lambda log_s2: _expected_lt(betas, t, mean, var, np.exp(log_s2)),
        bounds=(np.log(1e-7), np.log(20.0)), method="bounded",
        options={"xatol": 1e-10, "maxiter": 500})
    assert result.success
    best = np.exp(result.x)
    oracle = float(lg.optimal_reverse_variance(betas, var)[t - 1])
    # The optimizer finds the minimizer of a smooth function to ~sqrt(eps) relative.
    assert np.isclose(best, oracle, rtol=1e-6, atol=0), (best, oracle)
    assert _expected_lt(betas, t, mean, var, oracle) <= result.fun + 1e-12


# ----------------------------------------------------------------------------- ε-parametrization


@pytest.mark.theorem("ddpm.eps_mean")
@FAST
@given(schedules(), st.data(), st.floats(-3, 3), st.floats(0.0, 3.0))
def test_eps_predictor_is_the_regression_of_noise_on_xt(betas, data, mean, var):
    t = data.draw(st.integers(1, len(betas)))
    c, d = lg.eps_optimal_linear(betas, t, mean, var)
    ab = np.prod(1.0 - betas[:t])
    # Normal equations of min E(ε - c x_t - d)² with x_t = √ᾱ x_0 + √(1-ᾱ) ε:
    e_xt = np.sqrt(ab) * mean
    e_xt2 = ab * (var + mean**2) + (1 - ab)
    e_eps_xt = np.sqrt(1 - ab)
    assert abs(0.0 - c * e_xt - d) <= 1e-12 * (1 + abs(d))
    assert abs(e_eps_xt - c * e_xt2 - d * e_xt) <= 1e-12 * (1 + abs(c) * e_xt2)


@pytest.mark.theorem("ddpm.eps_mean")
@FAST
@given(schedules(), gaussian_data(min_var=0.05))
def test_ddpm_mean_with_exact_eps_is_the_true_reverse_mean(betas, data):
    mean, var, _ = data
    ddpm = lg.ddpm_sampler_chain(betas, mean, var, "beta")
    true = lg.true_reverse_chain(betas, mean, var)
    assert np.allclose(ddpm.a, np.broadcast_to(true.a, ddpm.a.shape), rtol=1e-10, atol=1e-12)
    assert np.allclose(ddpm.b, np.broadcast_to(true.b, ddpm.b.shape), rtol=1e-9, atol=1e-10)


@pytest.mark.theorem("ddpm.loss_weight", "ddpm.kl_same_variance")
@FAST
@given(schedules(min_steps=2), st.floats(-3, 3), st.floats(0.05, 3), st.floats(-3, 3))
def test_lt_is_the_weighted_noise_regression_loss(betas, mean, var, x0):
    """The slide's L_t = β_t²/(2 β̃_t α_t (1-ᾱ_t)) E_ε(ε - ε_θ(x_t))² when σ_t² = β̃_t."""
    chain = lg.ddpm_sampler_chain(betas, mean, var, "beta_tilde")
    # σ_1² = β̃_1 = 0 makes the reconstruction term -inf; only L_t, t >= 2, are compared here.
    chain = dataclasses.replace(chain, v=np.concatenate(([betas[0]], chain.v[1:])))
    kls = lg.elbo_terms(chain, betas, x0).diffusion_kls
    alphas, alpha_bar, _, beta_tilde = _lecture_schedule(betas)
    for t in range(2, len(betas) + 1):
        c, d = lg.eps_optimal_linear(betas, t, mean, var)
        ab = alpha_bar[t - 1]
        # E_ε (ε - c(√ᾱ x0 + √(1-ᾱ) ε) - d)² = (c √ᾱ x0 + d)² + (1 - c √(1-ᾱ))²
        mse = (c * np.sqrt(ab) * x0 + d) ** 2 + (1 - c * np.sqrt(1 - ab)) ** 2
        weight = betas[t - 1] ** 2 / (2 * beta_tilde[t - 1] * alphas[t - 1] * (1 - ab))
        assert np.isclose(kls[t - 2], weight * mse, rtol=1e-9, atol=1e-12), t


# ----------------------------------------------------------------------------- 6. sampler law


@pytest.mark.theorem("ddpm.ancestral_sampling")
def test_ddpm_sampler_converges_to_the_data_law_as_steps_grow():
    mean, var = 0.5, 0.3**2
    kls = []
    for steps in (10, 100, 1000):
        law_mean, law_var = lg.sampler_law(
            lg.ddpm_sampler_chain(_vp_linear_schedule(steps), mean, var, "beta_tilde"))
        kls.append(lg.gaussian_kl(law_mean, law_var, mean, var))
    # Measured: KL = 0.2207 (T=10), 9.03e-3 (T=100), 1.59e-4 (T=1000). Not tuned.
    assert kls[0] > kls[1] > kls[2]
    assert kls[2] < 1e-3


@pytest.mark.theorem("ddpm.ancestral_sampling", "ddpm.optimal_variance")
@FAST
@given(schedules(), st.floats(-3, 3))
def test_beta_variance_is_exact_for_unit_variance_data_up_to_the_prior(betas, mean):
    """At data_var = 1 the σ² = β_t chain IS the true reversal, except p(x_T) = N(0, 1).

    q(x_T) = N(√ᾱ_T m, 1), so the prior mismatch is KL = ½ ᾱ_T m². The kernels are linear with
    slope √α_t, so the mean error -√ᾱ_T m at x_T shrinks by √ᾱ_T on the way down and the variance
    stays 1: the sampler law is exactly N((1 - ᾱ_T) m, 1), KL to the data = ½ ᾱ_T² m²
    (<= the prior mismatch: data processing), which is 0 for m = 0.
    """
    chain = lg.ddpm_sampler_chain(betas, mean, 1.0, "beta")
    true = lg.true_reverse_chain(betas, mean, 1.0)
    assert np.allclose(chain.v, true.v, rtol=1e-12, atol=0)
    law_mean, law_var = lg.sampler_law(chain)
    alpha_bar_T = np.prod(1.0 - betas)
    assert np.allclose(law_var, 1.0, rtol=1e-12, atol=0)
    assert np.allclose(law_mean, (1 - alpha_bar_T) * mean, rtol=1e-10, atol=1e-12)
    kl = lg.gaussian_kl(law_mean, law_var, mean, 1.0)
    assert np.isclose(kl, 0.5 * alpha_bar_T**2 * mean**2, rtol=1e-8, atol=1e-15)
    prior_mismatch = lg.gaussian_kl(np.sqrt(alpha_bar_T) * mean, 1.0, 0.0, 1.0)
    assert kl <= prior_mismatch + 1e-15
    if mean == 0.0:
        assert kl < 1e-10


@pytest.mark.theorem("ddpm.ancestral_sampling")
def test_sampler_law_matches_ancestral_sampling_monte_carlo():
    rng = np.random.default_rng(20251108)
    steps, n = 20, 200_000
    betas = np.linspace(0.01, 0.3, steps)
    chain = lg.ddpm_sampler_chain(betas, 0.7, 0.25, "beta_tilde")
    x = rng.standard_normal(n)  # x_T ~ N(0, 1)
    for t in range(steps, 0, -1):
        x = chain.a[t - 1] * x + chain.b[t - 1] + np.sqrt(chain.v[t - 1]) * rng.standard_normal(n)
    law_mean, law_var = lg.sampler_law(chain)
    # Declared false-failure rate 1e-9 per assertion (Z_THRESHOLD); Gaussian x_0.
    se_mean = np.sqrt(law_var[0] / n)
    se_var = law_var[0] * np.sqrt(2.0 / (n - 1))
    z_mean = (x.mean() - law_mean[0]) / se_mean
    z_var = (x.var(ddof=1) - law_var[0]) / se_var
    assert abs(z_mean) < Z_THRESHOLD, (x.mean(), law_mean, se_mean, z_mean)
    assert abs(z_var) < Z_THRESHOLD, (x.var(ddof=1), law_var, se_var, z_var)


# ----------------------------------------------------------------------------- planted bugs


def _elbo_terms_with_bug(chain: lg.LinearReverseChain, betas: np.ndarray, x0: np.ndarray,
                         bug: str | None) -> lg.ElboTerms:
    """The lecture's decomposition written a second time, optionally with a realistic bug.

    ``bug="beta_for_beta_tilde"``: q(x_{t-1}|x_t,x_0) gets variance β_t instead of β̃_t.
    ``bug="alpha_bar_off_by_one"``: μ̃_t's x_0 coefficient uses √ᾱ_t instead of √ᾱ_{t-1}.
    """
    x0 = np.atleast_1d(np.asarray(x0, dtype=np.float64))
    alphas, alpha_bar, alpha_bar_prev, beta_tilde = _lecture_schedule(betas)
    b = chain.b if chain.b.ndim == 2 else chain.b[:, None]
    a, v = chain.a, chain.v
    recon = np.sum(-0.5 * np.log(2 * np.pi * v[0])
                   - ((x0 - a[0] * np.sqrt(alpha_bar[0]) * x0 - b[0]) ** 2
                      + a[0] ** 2 * (1 - alpha_bar[0])) / (2 * v[0]))
    prior_kl = lg.gaussian_kl(np.sqrt(alpha_bar[-1]) * x0, 1 - alpha_bar[-1],
                              chain.prior_mean, chain.prior_var)
    kls = []
    for t in range(2, len(betas) + 1):
        i = t - 1
        post_var = betas[i] if bug == "beta_for_beta_tilde" else beta_tilde[i]
        ab_x0 = alpha_bar[i] if bug == "alpha_bar_off_by_one" else alpha_bar_prev[i]
        k0 = np.sqrt(ab_x0) * betas[i] / (1 - alpha_bar[i])
        kt = np.sqrt(alphas[i]) * (1 - alpha_bar_prev[i]) / (1 - alpha_bar[i])
        # μ̃ - (a x_t + b) is Gaussian in x_t ~ N(√ᾱ_t x0, 1-ᾱ_t): KL at its mean + spread term
        mean_diff = k0 * x0 + (kt - a[i]) * np.sqrt(alpha_bar[i]) * x0 - b[i]
        spread = (kt - a[i]) ** 2 * (1 - alpha_bar[i])
        kls.append(lg.gaussian_kl(mean_diff, post_var, 0.0, v[i]) + np.sum(
            np.broadcast_to(spread / (2 * v[i]), x0.shape)))
    return lg.ElboTerms(float(recon), prior_kl, np.array(kls))


@FAST
@given(chain_problems())
def test_bug_free_second_decomposition_agrees(problem):
    """Without a bug the helper reproduces the direct ELBO: a planted bug is the only change."""
    betas, chain, x0 = problem
    clean = _elbo_terms_with_bug(chain, betas, x0, None)
    assert _close(clean.elbo, lg.elbo(chain, betas, x0), _terms_scale(clean))


@pytest.mark.planted_bug("ddpm.elbo_decomposition")
@FAST
@given(schedules(min_steps=2, increasing=True), gaussian_data())
def test_planted_bug_beta_for_beta_tilde_breaks_the_identity(betas, data):
    mean, var, x0 = data
    # A realistic model: DDPM with the exact ε-predictor and σ_t² = β̃_t (σ_1² := β_1 so the
    # reconstruction term is finite). With σ_t² = β̃_t each bugged L_t moves by
    # ½(β_t/β̃_t - 1 - log(β_t/β̃_t)) > 0 per coordinate; for increasing β, β_2/β̃_2 >= 1.5.
    chain = lg.ddpm_sampler_chain(betas, mean, var, "beta_tilde")
    chain = dataclasses.replace(chain, v=np.concatenate(([betas[0]], chain.v[1:])))
    direct = lg.elbo(chain, betas, x0)
    buggy = _elbo_terms_with_bug(chain, betas, x0, "beta_for_beta_tilde")
    tolerance = RTOL * max(1.0, _terms_scale(buggy), abs(direct))
    assert abs(buggy.elbo - direct) > 1e3 * tolerance, (buggy.elbo, direct, tolerance)


@pytest.mark.planted_bug("ddpm.elbo_decomposition")
def test_planted_bug_alpha_bar_off_by_one_breaks_the_identity():
    betas = _vp_linear_schedule(50)
    chain = lg.true_reverse_chain(betas, 0.5, 0.3**2)
    x0 = np.array([1.2, -0.4])
    direct = lg.elbo(chain, betas, x0)
    buggy = _elbo_terms_with_bug(chain, betas, x0, "alpha_bar_off_by_one")
    tolerance = RTOL * max(1.0, _terms_scale(buggy), abs(direct))
    assert abs(buggy.elbo - direct) > 1e3 * tolerance, (buggy.elbo, direct, tolerance)


# ----------------------------------------------------------------------------- 7. bad inputs


def _chain(steps: int = 3, **overrides) -> lg.LinearReverseChain:
    fields = dict(a=np.full(steps, 0.9), b=np.zeros(steps), v=np.full(steps, 0.1))
    fields.update(overrides)
    return lg.LinearReverseChain(**fields)


BETAS = np.array([0.1, 0.2, 0.3])


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: lg.elbo(_chain(), np.array([[0.1, 0.2, 0.3]]), 0.0), "betas"),
        (lambda: lg.elbo(_chain(), np.array([0.1, 0.0, 0.3]), 0.0), "betas"),
        (lambda: lg.elbo(_chain(), np.array([0.1, 1.0, 0.3]), 0.0), "betas"),
        (lambda: lg.elbo(_chain(), np.array([0.1, np.nan, 0.3]), 0.0), "betas"),
        (lambda: lg.elbo(_chain(), np.array([0.1, 0.2]), 0.0), "betas"),
        (lambda: lg.optimal_reverse_variance(np.array([]), 1.0), "betas"),
        (lambda: lg.true_reverse_chain(np.array([-0.1, 0.2]), 0.0, 1.0), "betas"),
        (lambda: _chain(v=np.array([0.1, -0.1, 0.1])), "v"),
        (lambda: _chain(prior_var=0.0), "prior_var"),
        (lambda: _chain(b=np.zeros(2)), "b"),
        (lambda: lg.elbo(_chain(v=np.array([0.0, 0.1, 0.1])), BETAS, 0.0), "v"),
        (lambda: lg.posterior_kl_gap(_chain(v=np.array([0.1, 0.0, 0.1])), BETAS, 0.0), "v"),
        (lambda: lg.elbo(_chain(), BETAS, np.zeros((2, 2))), "x0"),
        (lambda: lg.gaussian_kl(0.0, 0.0, 0.0, 1.0), "var_q"),
        (lambda: lg.gaussian_kl(0.0, 1.0, 0.0, -1.0), "var_p"),
        (lambda: lg.true_reverse_chain(BETAS, 0.0, 0.0), "data_var"),
        (lambda: lg.optimal_reverse_variance(BETAS, -0.5), "data_var"),
        (lambda: lg.ddpm_sampler_chain(BETAS, 0.0, -1.0), "data_var"),
        (lambda: lg.eps_optimal_linear(BETAS, 0, 0.0, 1.0), "t"),
        (lambda: lg.eps_optimal_linear(BETAS, 4, 0.0, 1.0), "t"),
        (lambda: lg.eps_optimal_linear(BETAS, 1.5, 0.0, 1.0), "t"),
        (lambda: lg.eps_optimal_linear(BETAS, True, 0.0, 1.0), "t"),
        (lambda: lg.ddpm_sampler_chain(BETAS, 0.0, 1.0, "sigma"), "variance"),
    ],
)
def test_bad_inputs_raise_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


def test_deterministic_last_step_is_a_valid_sampler_but_not_an_elbo():
    """DDPM with σ_t² = β̃_t has σ_1² = β̃_1 = 0 (ᾱ_0 = 1): x_0 = μ_θ(x_1) exactly."""
    chain = lg.ddpm_sampler_chain(BETAS, 0.2, 0.5, "beta_tilde")
    assert chain.v[0] == 0.0
    _, law_var = lg.sampler_law(chain)
    assert np.all(law_var > 0)
    assert np.isfinite(lg.log_likelihood(chain, 0.3))
    with pytest.raises(ValueError, match=r"\bv\b"):
        lg.elbo_terms(chain, BETAS, 0.3)


# ----------------------------------------------------------------------------- O(T), vectorized


def _recursion_law(chain: lg.LinearReverseChain) -> tuple[np.ndarray, np.ndarray]:
    """Ancestral sampling's moments step by step, m_{t-1} = a_t m_t + b_t, s_{t-1} = a_t² s_t + v_t."""
    a = chain.a if chain.a.ndim == 2 else chain.a[:, None]
    b = chain.b if chain.b.ndim == 2 else chain.b[:, None]
    v = chain.v if chain.v.ndim == 2 else chain.v[:, None]
    mean, var = np.asarray(chain.prior_mean, float), np.asarray(chain.prior_var, float)
    for t in range(chain.num_steps, 0, -1):
        mean, var = a[t - 1] * mean + b[t - 1], a[t - 1] ** 2 * var + v[t - 1]
    return mean, var


@pytest.mark.theorem("ddpm.ancestral_sampling")
@FAST
@given(chain_problems())
def test_sampler_law_in_one_pass_equals_the_step_recursion(problem):
    _, chain, _ = problem
    mean, var = lg.sampler_law(chain)
    ref_mean, ref_var = _recursion_law(chain)
    np.testing.assert_allclose(mean, np.broadcast_to(ref_mean, mean.shape), rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(var, np.broadcast_to(ref_var, var.shape), rtol=1e-11, atol=1e-12)


@FAST
@given(chain_problems(min_steps=2))
def test_diffusion_kls_in_one_pass_equal_each_steps_kl(problem):
    """L_t = E_{x_t ~ q(x_t|x_0)} KL(q(x_{t-1}|x_t, x_0) || p_θ(x_{t-1}|x_t)), step by step: the KL of
    lg.gaussian_kl averaged over x_t by 3-point Gauss-Hermite (exact: the integrand is quadratic in x_t)."""
    betas, chain, x0 = problem
    terms = lg.elbo_terms(chain, betas, x0)
    nodes, weights = np.polynomial.hermite_e.hermegauss(3)
    weights = weights / weights.sum()
    abar = np.concatenate([[1.0], np.cumprod(1 - betas)])
    for t in range(2, len(betas) + 1):
        beta, ab, abp = betas[t - 1], abar[t], abar[t - 1]
        var_post = (1 - abp) * beta / (1 - ab)
        a = np.broadcast_to(chain.a[t - 1], x0.shape)
        b = np.broadcast_to(chain.b[t - 1], x0.shape)
        v = np.broadcast_to(chain.v[t - 1], x0.shape)
        kl = 0.0
        for z, w in zip(nodes, weights, strict=True):
            xt = np.sqrt(ab) * x0 + np.sqrt(1 - ab) * z
            mu = np.sqrt(abp) * beta / (1 - ab) * x0 + np.sqrt(1 - beta) * (1 - abp) / (1 - ab) * xt
            kl += w * lg.gaussian_kl(mu, var_post, a * xt + b, v)
        assert _close(terms.diffusion_kls[t - 2], kl, kl)


@pytest.mark.theorem("ddpm.eps_mean")
@FAST
@given(schedules(), gaussian_data(min_var=0.0))
def test_sampler_chain_rows_are_each_steps_eps_predictor(betas, data):
    mean, var, _ = data
    chain = lg.ddpm_sampler_chain(betas, mean, var)
    omab = 1 - np.cumprod(1 - betas)
    for t in range(1, len(betas) + 1):
        c, d = lg.eps_optimal_linear(betas, t, mean, var)
        scale = betas[t - 1] / np.sqrt(omab[t - 1])
        np.testing.assert_allclose(chain.a[t - 1], (1 - scale * c) / np.sqrt(1 - betas[t - 1]), rtol=1e-12,
                                   atol=1e-12)
        np.testing.assert_allclose(chain.b[t - 1], -scale * d / np.sqrt(1 - betas[t - 1]), rtol=1e-12, atol=1e-12)


def test_whole_chain_oracles_take_the_schedule_once_whatever_t(monkeypatch):
    """O(T): the cumulative products are taken a fixed number of times per call, not once per step."""
    calls = []
    real = lg._schedule
    monkeypatch.setattr(lg, "_schedule", lambda b: calls.append(len(b)) or real(b))
    counts = {}
    for T in (10, 4000):
        betas = np.linspace(1e-4, 0.02, T)
        calls.clear()
        chain = lg.ddpm_sampler_chain(betas, 0.3, 0.5, variance="beta")
        lg.elbo(chain, betas, 0.7), lg.elbo_terms(chain, betas, 0.7), lg.log_likelihood(chain, 0.7)
        lg.sampler_law(lg.true_reverse_chain(betas, 0.3, 0.5))
        counts[T] = len(calls)
    assert counts[10] == counts[4000] <= 6


def test_posterior_kl_gap_declares_its_dense_limit():
    T = lg.MAX_DENSE_STEPS + 1
    betas = np.full(T, 1e-3)
    chain = lg.true_reverse_chain(betas, 0.0, 1.0)
    with pytest.raises(ValueError, match=rf"T = {T} is over the limit MAX_DENSE_STEPS = {lg.MAX_DENSE_STEPS}"):
        lg.posterior_kl_gap(chain, betas, 0.5)
    # the O(T) route it points to gives the gap (0 for the exact reversal)
    assert abs(lg.log_likelihood(chain, 0.5) - lg.elbo(chain, betas, 0.5)) < 1e-9
