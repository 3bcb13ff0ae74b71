"""The KFP / PF-ODE / reverse-SDE / Langevin oracles themselves: symbolic identities and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.linalg import solve_discrete_lyapunov

from dgmcheck.theory import fokker_planck as fp
from dgmcheck.theory.gaussian_mixture import GaussianMixture

MIX = GaussianMixture(np.array([0.3, 0.7]), np.array([[-1.0, 0.5], [1.5, -1.0]]),
                      np.stack([np.diag([0.2, 0.5]), np.array([[0.3, 0.1], [0.1, 0.4]])]))
SPECS = (fp.SDESpec("vp", 0.1, 20.0, 1.0), fp.SDESpec("ve", 0.01, 10.0, 1.0))
# the symbolic cases run by default (the VP mixture is ~1.5 s per identity: slow tier)
FAST = [("ve", "mixture"), ("ve", "gaussian"), ("vp", "gaussian")]
SLOW = [pytest.param("vp", "mixture", marks=pytest.mark.slow)]


@pytest.mark.theorem("sde.kfp")
@pytest.mark.parametrize("kind", ["vp", "ve"])
def test_symbolic_marginal_closed_forms_solve_the_moment_odes(kind):
    assert fp.closed_form_consistent(fp.symbolic_sde(kind))


@pytest.mark.theorem("sde.kfp")
@pytest.mark.parametrize("kind,init", FAST + SLOW)
def test_symbolic_kfp_residual_is_zero(kind, init):
    assert fp.kfp_residual_1d(kind, fp.default_components(init)) == 0


@pytest.mark.theorem("sde.probability_flow_ode")
@pytest.mark.parametrize("kind,init", FAST + SLOW)
def test_symbolic_pf_ode_continuity_residual_is_zero(kind, init):
    assert fp.pf_ode_residual_1d(kind, fp.default_components(init)) == 0


@pytest.mark.theorem("sde.reverse_sde")
@pytest.mark.parametrize("kind,init", FAST + SLOW)
def test_symbolic_reverse_kfp_residual_is_zero(kind, init):
    assert fp.reverse_kfp_residual_1d(kind, fp.default_components(init)) == 0


@pytest.mark.theorem("sde.pf_ode_plus_langevin")
@pytest.mark.parametrize("kind,init", FAST + SLOW)
def test_symbolic_reverse_is_pf_ode_plus_langevin(kind, init):
    assert fp.pf_ode_plus_langevin_1d(kind, fp.default_components(init)) == (0, 0, 0)


@pytest.mark.theorem("sde.langevin_stationary")
@pytest.mark.parametrize("convention", fp.LANGEVIN_CONVENTIONS)
@pytest.mark.parametrize("init", ["gaussian", "mixture"])
def test_symbolic_langevin_stationary(convention, init):
    assert fp.langevin_stationary_residual_1d(fp.default_components(init), convention) == 0


@pytest.mark.planted_bug("sde.kfp", "sde.probability_flow_ode", "sde.reverse_sde", "sde.langevin_stationary")
def test_symbolic_residuals_see_the_planted_bugs():
    assert fp.kfp_residual_1d("ve", g_power=4) != 0  # g² used for g
    assert fp.pf_ode_residual_1d("ve", score_weight=1) != 0  # missing ½
    assert fp.reverse_kfp_residual_1d("ve", score_weight=-1) != 0  # + g² s
    assert fp.reverse_kfp_residual_1d("ve", score_weight=sp.Rational(1, 2)) != 0  # PF drift in the SDE
    assert fp.langevin_stationary_residual_1d(noise_var=2) != 0  # √2 noise beside ½ drift


@pytest.mark.theorem("sde.kfp", "sde.probability_flow_ode", "sde.reverse_sde")
@pytest.mark.parametrize("spec", SPECS, ids=["vp", "ve"])
def test_closed_form_residuals_vanish_in_2d(spec):
    x = np.random.default_rng(1).normal(size=(20, 2)) * 2
    for t in (0.05, 0.3, 0.7, 1.0):
        der = fp.path_derivatives(spec, MIX, t, x)
        e = fp.exact_drifts(spec, MIX, t, x)
        scale = fp.residual_scale(der, e["f"], e["div_f"], e["g2"])
        for res in (fp.kfp_residual(der, e["f"], e["div_f"], e["g2"]),
                    fp.kfp_residual(der, e["pf"], e["div_pf"], 0.0, 0.0),
                    fp.kfp_residual(der, e["rev"], e["div_rev"], e["g2"], 0.5)):
            assert np.all(np.abs(res) <= 1e-13 * scale)
        wrong = fp.kfp_residual(der, e["f"] - e["g2"] * e["score"], e["div_f"] - e["g2"] * der.div_score, 0.0, 0.0)
        assert np.max(np.abs(wrong) / scale) > 1e-3  # the PF drift without its ½ is not a solution


@pytest.mark.theorem("sde.kfp")
def test_path_derivatives_match_finite_differences():
    spec, x, t, h = SPECS[0], np.array([[0.3, -0.4], [1.2, 0.8]]), 0.4, 1e-5
    der = fp.path_derivatives(spec, MIX, t, x)
    p = lambda s, y: np.exp(spec.marginal(MIX, s).log_prob(y))  # noqa: E731
    fd_t = (p(t + h, x) - p(t - h, x)) / (2 * h) / p(t, x)
    assert np.allclose(der.dt, fd_t, rtol=1e-6, atol=1e-8)
    lap = sum((p(t, x + h * e) - 2 * p(t, x) + p(t, x - h * e)) / h**2 for e in np.eye(2)) / p(t, x)
    assert np.allclose(der.lap, lap, rtol=1e-4, atol=1e-4)


@pytest.mark.theorem("sde.probability_flow_ode")
def test_gaussian_flow_map_is_the_pf_ode_flow_and_heun_is_order_2():
    spec, m, c = SPECS[0], np.array([0.5, -1.0]), np.array([[0.4, 0.1], [0.1, 0.2]])
    data = GaussianMixture(np.ones(1), m[None], c[None])
    x = np.array([[0.3, -0.2], [1.5, 0.7]])
    want = fp.gaussian_flow_map(spec, m, c, 1.0, 0.01, x)
    errs = [np.abs(fp.pf_ode_scheme(spec, data, np.linspace(1.0, 0.01, n + 1), x, "heun")[-1] - want).max()
            for n in (50, 100, 200)]
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all((orders > 1.8) & (orders < 2.2)), orders
    # pushforward of the exact marginal is the exact marginal: moments map affinely
    start, end = spec.marginal(data, 1.0), spec.marginal(data, 0.01)
    A = fp.gaussian_flow_map(spec, m, c, 1.0, 0.01, np.eye(2) + start.means[0]) - end.means[0]
    assert np.allclose(A.T @ start.covs[0] @ A, end.covs[0], rtol=1e-12, atol=1e-14)


@pytest.mark.theorem("sde.reverse_sde")
@pytest.mark.parametrize("spec", SPECS, ids=["vp", "ve"])
def test_reverse_em_moments_converge_to_the_marginal(spec):
    m, c = np.array([0.5, -1.0]), np.array([[0.4, 0.1], [0.1, 0.2]])
    data = GaussianMixture(np.ones(1), m[None], c[None])
    start, end = spec.marginal(data, 1.0), spec.marginal(data, 0.05)
    errs = []
    for n in (100, 200, 400, 800):
        mu, cov = fp.reverse_em_moments(spec, m, c, np.linspace(1.0, 0.05, n + 1), start.means[0], start.covs[0])
        errs.append(np.abs(mu - end.means[0]).max() + np.abs(cov - end.covs[0]).max())
    rates = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    # weak order 1 for VP (measured ≈ 1); for VE the measured rate is higher (2.3-2.8 on these grids:
    # its first-order term is small here), so only "at least order 1" is asserted for it
    upper = 1.2 if spec.kind == "vp" else np.inf
    assert np.all((rates > 0.8) & (rates < upper)), (errs, rates)


@pytest.mark.theorem("sde.langevin_stationary")
def test_ula_stationary_covariance_solves_lyapunov_and_has_order_eta_bias():
    cov = np.array([[0.5, 0.2], [0.2, 0.3]])
    prec = np.linalg.inv(cov)
    for eta in (0.1, 0.01, 0.001):
        A = np.eye(2) - 0.5 * eta * prec
        lyap = solve_discrete_lyapunov(A, eta * np.eye(2))
        got = fp.ula_stationary_cov(cov, eta)
        assert np.allclose(got, lyap, rtol=1e-10, atol=1e-13)
    biases = [np.abs(fp.ula_stationary_cov(cov, eta) - cov).max() for eta in (0.01, 0.005)]
    assert 1.9 < biases[0] / biases[1] < 2.1  # O(η) → Σ as η → 0
    with pytest.raises(ValueError, match="step_size"):
        fp.ula_stationary_cov(cov, 10.0)


def test_spec_rejects_bad_input():
    with pytest.raises(ValueError, match="kind"):
        fp.SDESpec("sub-vp", 0.1, 20.0)
    with pytest.raises(ValueError, match="t must lie"):
        SPECS[0].phi(1.5)
    with pytest.raises(ValueError, match="kind"):
        fp.symbolic_sde("bad")
