"""The exact oracles of dgmcheck.theory.edm: sympy identities, cross-checks with theory.fokker_planck's VE/VP
probability-flow ODEs, the closed-form Gaussian flow, the Karras grid and the step oracles."""

from __future__ import annotations

import numpy as np
import pytest

from dgmcheck.theory import edm as th
from dgmcheck.theory import fokker_planck as fp
from dgmcheck.theory.gaussian_mixture import GaussianMixture
from dgmcheck.theory.ode import fitted_order

MIX = GaussianMixture(np.array([0.3, 0.7]), np.array([[-1.0, 0.5], [1.5, -1.0]]),
                      np.stack([np.diag([0.2, 0.5]), np.array([[0.3, 0.1], [0.1, 0.4]])]))
GAUSS = GaussianMixture(np.ones(1), np.array([[0.5, -1.0]]), np.array([[[0.4, 0.1], [0.1, 0.2]]]))
X = np.random.default_rng(0).normal(size=(5, 2)) * 2


@pytest.mark.theorem("edm.pf_ode")
def test_pf_ode_identities_are_symbolic_zeros():
    assert all(v == 0 for v in th.derive_pf_ode().values())


@pytest.mark.theorem("edm.vp_change_of_variables")
def test_vp_change_of_variables_identities_are_symbolic_zeros():
    assert all(v == 0 for v in th.derive_vp_change_of_variables().values())


@pytest.mark.theorem("edm.pf_ode")
@pytest.mark.parametrize("sigma", [0.05, 0.7, 3.0, 40.0])
def test_denoiser_by_conditioning_equals_tweedie(sigma):
    D = th.denoiser(MIX, sigma, X)
    np.testing.assert_allclose(D, th.denoiser_tweedie(MIX, sigma, X), rtol=1e-10, atol=1e-12 * (1 + sigma**2))
    np.testing.assert_allclose(th.to_d(X, sigma, D), th.pf_ode_derivative(MIX, sigma, X), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(th.denoiser_from_eps(X, sigma, th.eps_prediction(MIX, sigma, X)), D, rtol=1e-10,
                               atol=1e-12 * (1 + sigma**2))


@pytest.mark.theorem("edm.pf_ode")
@pytest.mark.parametrize("t", [0.1, 0.5, 0.9])
def test_sigma_ode_is_the_ve_probability_flow_ode(t):
    """``dx/dσ · dσ/dt`` equals theory.fokker_planck's VE PF-ODE drift ``-½ g² ∇log p_t`` (σ(t)² the VE variance)."""
    spec = fp.SDESpec("ve", 0.01, 10.0, 1.0)
    var, dvar = (float(v) for v in spec.var(t))
    sigma = np.sqrt(var)
    got = th.pf_ode_derivative(MIX, sigma, X) * dvar / (2 * sigma)
    np.testing.assert_allclose(got, fp.exact_drifts(spec, MIX, t, X)["pf"], rtol=1e-10, atol=1e-12)


@pytest.mark.theorem("edm.vp_change_of_variables")
@pytest.mark.parametrize("t", [0.05, 0.3, 0.8])
def test_sigma_ode_maps_onto_the_vp_probability_flow_ode(t):
    """With ``σ = s/a`` (the VP marginal's noise-to-signal ratio) and ``x = y/a``: ``d(x/√(1+σ²))/dt`` from the
    σ-ODE equals theory.fokker_planck's VP PF-ODE drift at ``y``, and ``1/(1+σ²) = a²``."""
    spec = fp.SDESpec("vp", 0.1, 20.0, 1.0)
    a, da = (float(v) for v in spec.scale(t))
    var, dvar = (float(v) for v in spec.var(t))
    sigma = np.sqrt(var) / a
    dsigma = (dvar * a**2 - var * 2 * a * da) / a**4 / (2 * sigma)
    np.testing.assert_allclose(th.alpha_bar(sigma), a**2, rtol=1e-12)
    y = X * 0.7
    x = y / a
    np.testing.assert_allclose(th.vp_input(x, sigma), y, rtol=1e-12)
    want = fp.exact_drifts(spec, MIX, t, y)["pf"]
    np.testing.assert_allclose(th.vp_pf_ode_via_sigma(MIX, sigma, dsigma, x), want, rtol=1e-9, atol=1e-10)
    beta = -2 * da / a  # β = -d log ᾱ/dt
    np.testing.assert_allclose(th.vp_pf_ode_drift(MIX, a**2, beta, y), want, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(th.sigma_of_alpha_bar(th.alpha_bar(sigma)), sigma, rtol=1e-12)


@pytest.mark.theorem("edm.pf_ode")
def test_gaussian_flow_is_the_ve_flow_map_and_the_integrated_flow():
    spec = fp.SDESpec("ve", 0.01, 10.0, 1.0)
    t, u = 0.9, 0.2
    sa, sb = float(np.sqrt(spec.var(t)[0])), float(np.sqrt(spec.var(u)[0]))
    want = fp.gaussian_flow_map(spec, GAUSS.means[0], GAUSS.covs[0], t, u, X)
    got = th.gaussian_flow(GAUSS.means[0], GAUSS.covs[0], sa, sb, X)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(th.mixture_flow(GAUSS, sa, sb, X), got, rtol=1e-9, atol=1e-10)


@pytest.mark.theorem("edm.karras_grid")
def test_karras_grid_ends_and_monotone():
    s = th.karras_sigmas(7, 0.002, 80.0, 7.0)
    assert len(s) == 8 and s[-1] == 0.0
    np.testing.assert_allclose([s[0], s[-2]], [80.0, 0.002], rtol=1e-13)
    assert np.all(np.diff(s) < 0)
    # ρ = 1 is the uniform grid in σ
    np.testing.assert_allclose(th.karras_sigmas(5, 1.0, 5.0, 1.0)[:-1], [5, 4, 3, 2, 1], rtol=1e-14)
    with pytest.raises(ValueError, match="sigma_min must be < sigma_max"):
        th.karras_sigmas(4, 2.0, 1.0)


@pytest.mark.planted_bug("edm.karras_grid")
def test_rho_on_sigma_gives_another_grid():
    n, lo, hi, rho = 6, 0.01, 20.0, 7.0
    bad = (hi**rho + np.linspace(0, 1, n) * (lo**rho - hi**rho)) ** (1 / rho)
    good = th.karras_sigmas(n, lo, hi, rho)[:-1]
    assert np.max(np.abs(bad - good) / good) > 0.5


@pytest.mark.theorem("edm.euler", "edm.heun")
def test_heun_last_step_is_euler_and_orders_are_measured():
    den = th.mixture_denoiser(MIX)
    np.testing.assert_array_equal(th.heun_step(den, X, 0.3, 0.0), th.euler_step(den, X, 0.3, 0.0))
    np.testing.assert_allclose(th.euler_step(den, X, 0.3, 0.0), th.denoiser(MIX, 0.3, X), rtol=1e-12, atol=1e-14)
    exact_end = th.mixture_flow(MIX, 5.0, 0.1, X)
    for method, p in (("euler", 1), ("heun", 2)):
        errs = [np.abs(th.sample(den, X, th.karras_sigmas(n, 0.1, 5.0, 7.0)[:-1], method)[-1] - exact_end).max()
                for n in th.N_LADDER]
        assert abs(fitted_order(1.0 / np.array(th.N_LADDER), np.array(errs)) - p) < th.ORDER_BAND


@pytest.mark.theorem("edm.pf_ode")
def test_lipschitz_bound_holds():
    """``derivative_lipschitz`` bounds ``‖∂d/∂x‖`` (central differences of d = -σ ∇log p_σ)."""
    for sigma in (0.05, 0.5, 5.0):
        bound = th.derivative_lipschitz(MIX, sigma, X)
        h = 1e-6
        for n in range(len(X)):
            J = np.stack([(th.pf_ode_derivative(MIX, sigma, X[n:n + 1] + h * e)
                           - th.pf_ode_derivative(MIX, sigma, X[n:n + 1] - h * e))[0] / (2 * h) for e in np.eye(2)], 1)
            assert np.linalg.norm(J, 2) <= bound[n] * (1 + 1e-6)
