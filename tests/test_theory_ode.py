"""The exact oracles of the ODE and guidance families, checked against independent derivations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from dgmcheck.theory import guidance as gth
from dgmcheck.theory import ode as th
from dgmcheck.theory.gaussian_mixture import GaussianMixture

A = np.array([[-0.6, 1.1], [-0.9, -0.3]])
B = np.array([0.4, -0.2])


@pytest.mark.theorem("ode.euler", "ode.heun")
def test_linear_solution_matches_an_adaptive_solver():
    x0 = np.array([[1.0, -0.5]])
    for t0, t1 in ((0.2, 1.1), (0.9, -0.4)):
        exact = th.linear_solution(A, B, 0.7, 0.8, x0, t0, t1)[0]
        sol = solve_ivp(lambda t, x: th.linear_field(A, B, 0.7, 0.8, x[None], t)[0], (t0, t1), x0[0],
                        rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(exact, sol.y[:, -1], rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(th.forcing_solution(1.5, np.array([2.0]), np.zeros(1), 0.0, 1.0),
                               [2.0 * (np.exp(1.5) - 1) / 1.5], rtol=1e-14)


@pytest.mark.theorem("ode.euler", "ode.heun")
def test_order_of_the_reference_steps_by_symbolic_taylor():
    """Local error of one step on x' = λx: Euler O(h²), Heun O(h³) (global orders 1 and 2)."""
    h, lam = sp.symbols("h lambda")
    euler = 1 + lam * h
    heun = 1 + lam * h / 2 * (1 + (1 + lam * h))
    exact = sp.series(sp.exp(lam * h), h, 0, 4).removeO()
    assert sp.expand(exact - euler).as_poly(h).monoms()[-1][0] == 2
    assert sp.expand(exact - heun).as_poly(h).monoms()[-1][0] == 3


@pytest.mark.theorem("ode.picard_reversibility")
def test_exact_flow_is_reversible_and_heun_round_trip_identity():
    phi = th.flow_matrix(A, 0.5, 0.3, 0.0, 1.0)
    back = th.flow_matrix(A, 0.5, 0.3, 1.0, 0.0)
    np.testing.assert_allclose(back @ phi, np.eye(2), atol=1e-13)
    z = sp.Symbol("z")
    assert sp.expand((1 - z + z**2 / 2) * (1 + z + z**2 / 2)) == 1 + z**4 / 4
    assert sp.expand((1 - z) * (1 + z)) == 1 - z**2


@pytest.mark.theorem("ode.continuity_equation")
def test_pushforward_density_and_liouville():
    m, S = np.array([0.3, -0.1]), np.array([[1.0, 0.2], [0.2, 0.5]])
    x0 = np.array([[0.5, 0.4], [-1.0, 2.0]])
    x1 = th.linear_solution(A, B, 0.7, 0.8, x0, 0.0, 1.3)
    lhs = th.pushforward_logpdf(A, B, 0.7, 0.8, m, S, 0.0, 1.3, x1)
    rhs = th.gaussian_logpdf(x0, m, S) + th.log_density_change(A, 0.7, 0.8, 0.0, 1.3)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


@pytest.mark.theorem("ode.continuity_equation")
@pytest.mark.parametrize("d", [2, 3])
def test_hutchinson_variance_symbolic(d):
    rad, gauss = th.derive_hutchinson_variance(d)
    assert rad == 0 and gauss == 0


@pytest.mark.theorem("ode.continuity_equation")
def test_hutchinson_moments_by_enumeration_and_quadrature():
    J = np.array([[0.3, 1.2, -0.5], [0.1, -0.7, 0.4], [0.9, 0.2, 0.6]])
    P = th.rademacher_probes(3)
    q = np.einsum("ni,ij,nj->n", P, J, P)
    assert q.mean() == pytest.approx(np.trace(J), abs=1e-14)
    assert q.var() == pytest.approx(th.hutchinson_variance(J), rel=1e-13)
    # the shortcut 2 Σ_{i≠j} J_ij² (sometimes quoted for Hutchinson's variance) holds only for symmetric J
    assert q.var() != pytest.approx(2 * ((J**2).sum() - (np.diag(J) ** 2).sum()), rel=1e-3)
    nodes, w = th.gauss_hermite_probes(3)
    g = np.einsum("ni,ij,nj->n", nodes, J, nodes)
    assert w @ g == pytest.approx(np.trace(J), abs=1e-13)
    assert w @ (g - w @ g) ** 2 == pytest.approx(th.hutchinson_variance(J, "gaussian"), rel=1e-12)


@pytest.mark.theorem("ode.euler", "ode.heun")
def test_fitted_order():
    hs = np.array([0.1, 0.05, 0.025])
    assert th.fitted_order(hs, 3 * hs**2) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        th.fitted_order(hs, np.array([1.0, 0.0, 1.0]))


# --------------------------------------------------------------------------------- guidance

MIX = GaussianMixture(np.array([0.4, 0.6]), np.array([[-1.0], [1.5]]), np.array([[[0.6]], [[0.9]]]))


@pytest.mark.theorem("guidance.classifier", "guidance.scale_sharpening")
def test_guided_score_is_gradient_of_tilted_log_density_symbolic():
    x, g = sp.symbols("x gamma", real=True)
    w0, w1 = sp.Rational(2, 5), sp.Rational(3, 5)
    n0 = sp.exp(-(x + 1) ** 2 / (2 * sp.Rational(3, 5))) / sp.sqrt(2 * sp.pi * sp.Rational(3, 5))
    n1 = sp.exp(-(x - sp.Rational(3, 2)) ** 2 / (2 * sp.Rational(9, 10))) / sp.sqrt(2 * sp.pi * sp.Rational(9, 10))
    p = w0 * n0 + w1 * n1
    tilted = sp.log(p) + g * sp.log(w1 * n1 / p)
    ds = sp.lambdify((x, g), sp.diff(tilted, x))
    for xv in (-2.0, 0.1, 1.7):
        for gv in (0.0, 1.0, 2.5):
            assert gth.guided_score(MIX, np.array([[xv]]), 1, gv)[0, 0] == pytest.approx(ds(xv, gv), rel=1e-10)
    # γ = 1: the conditional score (Bayes)
    xs = np.array([[-0.5], [2.0]])
    np.testing.assert_allclose(gth.guided_score(MIX, xs, 0, 1.0), gth.component_score(MIX, xs, 0), rtol=1e-12)


@pytest.mark.theorem("guidance.scale_sharpening")
def test_sharpening_is_monotone_by_quadrature():
    for mix in (MIX, MIX.noised(0.7, 0.5)):
        grid = gth.quadrature_grid(mix)
        stats = [gth.tilted_moments(mix, 0, g, grid) for g in (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)]
        for a, b in itertools.pairwise(stats):
            assert b["mean_log_post"] >= a["mean_log_post"] and b["mean_post"] >= a["mean_post"]
        # d/dγ E[log p(y|x)] = Var[log p(y|x)] (central difference)
        e = 1e-4
        lo, hi = (gth.tilted_moments(mix, 0, 2.0 + s, grid)["mean_log_post"] for s in (-e, e))
        assert (hi - lo) / (2 * e) == pytest.approx(stats[3]["var_log_post"], rel=1e-5)
    # γ = 1 normalises to p(x | y): log Z = log p(y)
    assert gth.tilted_moments(MIX, 0, 1.0)["log_z"] == pytest.approx(np.log(0.4), abs=1e-9)


@pytest.mark.theorem("guidance.classifier_free")
def test_cfg_conventions():
    xs = np.array([[-0.3], [0.8]])
    su, sc = MIX.score(xs), gth.component_score(MIX, xs, 1)
    for w in (0.0, 0.5, 3.0):
        np.testing.assert_allclose(su + w * (sc - su), gth.guided_score(MIX, xs, 1, gth.cfg_gamma(w, "w")), rtol=1e-12)
        np.testing.assert_allclose((1 + w) * sc - w * su, gth.guided_score(MIX, xs, 1, gth.cfg_gamma(w, "one_plus_w")),
                                   rtol=1e-12)
