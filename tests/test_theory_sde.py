"""The SDE oracles (theory/sde.py) against each other: closed forms, quadrature, solve_ivp, sympy."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from dgmcheck.checks.profiles import scaled
from dgmcheck.checks.strategies import gaussian_mixtures
from dgmcheck.theory import sde as th
from dgmcheck.theory.gaussian_mixture import GaussianMixture

ves = st.builds(th.VE, st.floats(1e-3, 1.0), st.floats(2.0, 100.0), st.floats(0.2, 3.0))
vps = st.builds(lambda a, d, T: th.VP(a, a + d, T), st.floats(0.01, 5.0), st.floats(0.0, 20.0), st.floats(0.2, 3.0))
subvps = st.builds(lambda a, d, T: th.SubVP(a, a + d, T), st.floats(0.01, 5.0), st.floats(0.0, 20.0),
                   st.floats(0.2, 3.0))


@pytest.mark.theorem("sde.moment_odes", "sde.ve_marginal", "sde.vp_marginal")
def test_sympy_derivations():
    d = th.derive_moment_odes()
    assert d["mean_residual"] == 0 and d["variance_residual"] == 0 and d["variance_ode_from_ito_residual"] == 0
    assert all(sp.simplify(v) == 0 for v in th.derive_vp_marginal().values())
    assert all(sp.simplify(v) == 0 for v in th.derive_ve_marginal().values())
    assert all(sp.simplify(v) == 0 for v in th.derive_subvp_marginal().values())


@pytest.mark.theorem("sde.continuous_dsm")
def test_sympy_dsm_constant_one_component():
    assert th.derive_dsm_constant() == 0


def _ivp_agrees(spec, t, a, v) -> bool:
    """solve_ivp (DOP853, rtol 1e-12) agrees with the moments ``a``, ``v`` at ``t`` within its step-count bound
    (the derivation is in the docstring of the test below)."""
    calls = [0]

    def f(s):
        calls[0] += 1
        return spec.f(s)

    rtol = 1e-12
    m_ivp, v_ivp = th.moments_ivp(f, spec.g2, t, rtol=rtol)
    bound = calls[0] / 12 * 10 * np.sqrt(2) * rtol + 64 * np.finfo(np.float64).eps
    scale_v = np.maximum(v, 1e-300)
    return bool(np.all(np.abs(m_ivp - a) <= bound * a) and np.all(np.abs(v_ivp - v) <= bound * scale_v + 1e-20))


@pytest.mark.planted_bug("sde.moment_odes")
@pytest.mark.parametrize("spec", [th.VP(5.0, 25.0, 3.0), th.SubVP(5.0, 25.0, 3.0), th.VE(1e-3, 100.0, 3.0)],
                         ids=["vp", "subvp", "ve"])
def test_ivp_bound_catches_a_1e_8_error_at_the_most_steps(spec):
    """At the drawn domain's largest ∫β and T (the most solver steps, the loosest bound) the closed forms pass and
    1e-8 relative planted in the mean or the variance is caught."""
    t = np.array([0.1, 0.5, 1.0]) * spec.T
    a, v = spec.marginal(t)
    assert _ivp_agrees(spec, t, a, v)
    assert not _ivp_agrees(spec, t, a * (1 + 1e-8), v)
    assert not _ivp_agrees(spec, t, a, v * (1 + 1e-8))


@pytest.mark.theorem("sde.moment_odes", "sde.ve_marginal", "sde.vp_marginal")
@settings(max_examples=scaled(8))
@given(spec=st.one_of(ves, vps, subvps), frac=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4))
def test_closed_forms_vs_quadrature_vs_solve_ivp(spec, frac):
    """The VE/VP/sub-VP closed forms solve the moment ODEs: solve_ivp (DOP853, rtol 1e-12) agrees with them to its
    own accuracy, and Gauss–Legendre quadrature of the general formula to 1e-13 relative (checks.sde's ODE_RTOL is
    1e-9).

    The solver's global error is not its rtol: each accepted step keeps an *estimated* local error within
    rtol (an RMS over m and v, so one component within √2 rtol), and the estimate is not a bound. On a decaying VP
    mean, 66 steps left 1.35e-10 relative (dev seed 6006, where a fixed 1e-10 failed): 1.4 times √2 rtol a step.
    Both moment ODEs carry a relative error forward without growth (m' = f m exactly; v' = 2 f v + g² with
    g² >= 0), so the bound is the number of steps (function calls / 12, which over-counts: rejected steps and
    dense output) times 10 √2 rtol, plus the closed form's rounding (64 ulps) and the absolute tolerance on v
    (1e-20). A wrong closed form is off by O(1); 1e-8 relative is caught."""
    t = np.sort(np.asarray(frac) * spec.T)
    a, v = spec.marginal(t)
    assert _ivp_agrees(spec, t, a, v)
    m_gl, v_gl = th.moments_gl(spec.f, spec.g2, t)
    scale_v = np.maximum(v, 1e-300)
    assert np.all(np.abs(m_gl - a) <= 1e-13 * a) and np.all(np.abs(v_gl - v) <= 1e-13 * scale_v + 1e-300)
    tq = float(t[-1])
    mq, vq = th.moments_quadrature(spec.f, spec.g2, tq)
    assert abs(mq - a[-1]) <= 1e-12 * a[-1] and abs(vq - v[-1]) <= 1e-11 * v[-1] + 1e-300


@pytest.mark.theorem("sde.moment_odes")
def test_generic_linear_sde_three_routes():
    """A linear SDE that is neither VE nor VP: f = sin t - 1, g² = 1 + t²; m0, v0 nonzero."""

    def f(t):
        return np.sin(t) - 1.0

    def g2(t):
        return 1.0 + np.asarray(t) ** 2
    t = np.array([0.3, 1.0, 2.5])
    m1, v1 = th.moments_ivp(f, g2, t, m0=2.0, v0=0.5)
    m2, v2 = th.moments_gl(f, g2, t, m0=2.0, v0=0.5)
    for k, tk in enumerate(t):
        mq, vq = th.moments_quadrature(f, g2, tk, 2.0, 0.5)
        assert abs(m1[k] - mq) <= 1e-10 * abs(mq) and abs(v1[k] - vq) <= 1e-10 * vq
        assert abs(m2[k] - mq) <= 1e-12 * abs(mq) and abs(v2[k] - vq) <= 1e-12 * vq


@pytest.mark.theorem("sde.euler_maruyama", "sde.moment_odes")
def test_em_moments_converge_with_order_one():
    """The exact EM moment recursion on the VP SDE converges to the moment-ODE solution; measured
    slope of log error vs log Δt: 1.10 over N = 16..256 (within the checks' band 1 ± 0.2)."""
    vp = th.VP()
    a, v = vp.marginal(1.0)
    Ns = [16, 32, 64, 128, 256]
    errs = []
    for N in Ns:
        m, var = th.em_moments(vp.f, vp.g2, np.linspace(0, 1, N + 1), 1.0, 0.25)
        errs.append(abs(m[-1] - a) + abs(var[-1] - (a * a * 0.25 + v)))
    slope = th.convergence_slope([1 / n for n in Ns], errs)
    assert abs(slope - 1.0) <= 0.15, slope


@pytest.mark.theorem("sde.vp", "sde.ve")
def test_chains_converge():
    """DDPM chain with β_i = β(t_i) T/N: O(1/N) (slope 1.00 measured); NCSN chain: exact at t_i."""
    vp = th.VP()
    Ns = [32, 64, 128, 256, 512]
    errs = [th.vp_chain_error(vp, N) for N in Ns]
    assert abs(th.convergence_slope([1 / n for n in Ns], errs) - 1.0) <= 0.05
    ve = th.VE()
    for N in (1, 7, 100):
        _, v = th.ncsn_chain_moments(ve.chain_sigmas(N))
        _, v_sde = ve.marginal(np.arange(N + 1) / N)
        assert np.allclose(v, v_sde, rtol=1e-12, atol=0)


@pytest.mark.planted_bug("sde.vp")
def test_ddpm_chain_without_dt_does_not_converge():
    """β_i = β(t_i) (Δt missing): the chain's variance hits 1 at once and its mean collapses."""
    vp = th.VP(0.1, 0.9)
    a, _ = th.ddpm_chain_moments(vp.beta(np.arange(1, 101) / 100))
    ea, _ = vp.marginal(np.arange(101) / 100)
    assert np.max(np.abs(a - ea)) > 0.5


@pytest.mark.theorem("sde.wiener")
def test_brownian_map_covariance():
    ts = np.array([0.0, 0.2, 0.25, 0.9, 1.7])
    L = th.brownian_map(ts)
    assert np.allclose(L @ L.T, np.minimum.outer(ts, ts), rtol=0, atol=1e-15)


@pytest.mark.theorem("sde.euler_maruyama")
def test_ou_cell_covariance_is_a_covariance():
    """The joint law of (ΔW, ∫e^{-θ(h-s)}dw) over a cell: checked against quadrature of its integrals."""
    theta, h = 1.7, 0.3
    C = th.ou_cell_covariance(theta, h)
    from scipy import integrate

    c = integrate.quad(lambda s: np.exp(-theta * (h - s)), 0, h)[0]
    q = integrate.quad(lambda s: np.exp(-2 * theta * (h - s)), 0, h)[0]
    assert np.allclose(C, [[h, c], [c, q]], rtol=1e-13)
    assert np.all(np.linalg.eigvalsh(C) > 0)


@pytest.mark.theorem("sde.continuous_dsm")
def test_dsm_minus_explicit_is_constant_fixed_case():
    """DSM(θ) (closed form) - explicit(θ) (adaptive quad) = 1/v - J(p_t) for every θ, to 1e-9."""
    mix = GaussianMixture(np.array([0.4, 0.6]), np.array([[-1.0], [2.0]]), np.array([[[0.2]], [[1.0]]]))
    a, v = 0.6, 0.5
    const = th.dsm_constant_1d(mix, a, v)
    for theta in [(0.0, 0.0), (-1.5, 0.7), (2.0, -3.0)]:
        dsm, explicit = th.dsm_linear_1d(mix, a, v, theta), th.explicit_linear_1d(mix, a, v, theta)
        assert abs((dsm - explicit) - const) <= 1e-9 * (dsm + explicit + abs(const))


@pytest.mark.slow
@pytest.mark.theorem("sde.continuous_dsm")
@settings(max_examples=scaled(3), deadline=None)
@given(mixture=gaussian_mixtures(min_dim=1, max_dim=1, max_components=3), a=st.floats(0.05, 1.0),
       v=st.floats(0.01, 50.0), thetas=st.lists(st.tuples(st.floats(-3, 3), st.floats(-3, 3)), min_size=2,
                                                  max_size=3))
def test_dsm_minus_explicit_is_constant_by_adaptive_quadrature(mixture, a, v, thetas):
    """DSM(θ) (closed form) - explicit(θ) (adaptive quad) = 1/v - J(p_t) for every θ, to 1e-9."""
    const = th.dsm_constant_1d(mixture, a, v)
    for theta in thetas:
        dsm = th.dsm_linear_1d(mixture, a, v, theta)
        explicit = th.explicit_linear_1d(mixture, a, v, theta)
        assert abs((dsm - explicit) - const) <= 1e-9 * (dsm + explicit + abs(const))


@pytest.mark.theorem("sde.continuous_dsm")
def test_panel_quadrature_matches_adaptive_quadrature():
    """The fast composite Gauss–Legendre of checks.sde agrees with adaptive quad to 1e-12 (QUAD_RTOL 1e-11)."""
    mix = GaussianMixture(np.array([0.3, 0.7]), np.array([[-2.0], [1.5]]), np.array([[[0.05]], [[0.5]]]))
    for a, v in [(1.0, 0.01), (1.0, 300.0)]:
        pt = th.mixture_marginal(mix, a, v)
        J, Jp = th.fisher_information_1d(pt), th.fisher_information_panels(pt)
        assert abs(J - Jp) <= 1e-12 * J
        x0, e, w = th.dsm_nodes_1d(mix, a, v)
        assert abs(w.sum() - 1) <= 1e-13
        xt = a * x0 + np.sqrt(v) * e
        dsm_nodes = np.sum(w * (0.3 * xt - 0.2 + (xt - a * x0) / v) ** 2)
        closed = th.dsm_linear_1d(mix, a, v, (0.3, -0.2))
        assert abs(dsm_nodes - closed) <= 1e-12 * closed
        best = np.sum(w * (pt.score(xt[:, None])[:, 0] + (xt - a * x0) / v) ** 2)
        assert abs(best - (1 / v - J)) <= 1e-11 * (1 / v)


@pytest.mark.planted_bug("sde.continuous_dsm")
def test_target_over_std_is_not_a_dsm():
    """With the target -(x_t - a x_0)/s (the slide's /σ) the difference to the explicit objective
    depends on θ: no longer a denoising score matching objective."""
    mix = GaussianMixture(np.array([1.0]), np.array([[0.5]]), np.array([[[0.3]]]))
    a, v = 0.7, 0.2
    x0, e, w = th.dsm_nodes_1d(mix, a, v)
    xt = a * x0 + np.sqrt(v) * e
    diffs = []
    for theta in [(0.0, 0.0), (1.0, 0.5)]:
        wrong = np.sum(w * (theta[0] * xt + theta[1] + (xt - a * x0) / np.sqrt(v)) ** 2)
        diffs.append(wrong - th.explicit_linear_panels(mix, a, v, theta))
    assert abs(diffs[0] - diffs[1]) > 0.1


def test_theory_bad_input():
    with pytest.raises(ValueError, match="sigma_min"):
        th.VE(0.0, 1.0)
    with pytest.raises(ValueError, match="beta_min"):
        th.VP(-1.0, 1.0)
    with pytest.raises(ValueError, match=r"t must lie in \[0, T\]"):
        th.VP().marginal(1.5)
    with pytest.raises(ValueError, match="N must be"):
        th.VP().chain_betas(0)
    with pytest.raises(ValueError, match="betas"):
        th.ddpm_chain_moments([0.5, 1.2])
