"""The flow-matching oracles proved: sympy derivations, the continuity equation, CFM vs FM decided
by computation, VE/VP as PF-ODEs, and the ODE solver orders by slope."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch

from dgmcheck.impl import flow_matching as im
from dgmcheck.theory import flow_matching as th
from dgmcheck.theory.flow_matching import PathSpec
from dgmcheck.theory.gaussian_mixture import GaussianMixture

MIX1 = GaussianMixture(np.array([0.3, 0.7]), np.array([[-1.5], [2.0]]), np.array([[[0.2]], [[0.5]]]))
MIX2 = GaussianMixture(np.array([0.5, 0.5]), np.array([[-1.0, 0.5], [1.5, -0.5]]),
                       np.array([[[0.3, 0.1], [0.1, 0.2]], [[0.4, -0.1], [-0.1, 0.6]]]))


@pytest.mark.theorem("fm.gaussian_path_field")
def test_gaussian_path_field_symbolic():
    """x_t = μ_t + σ_t ε moves with u = μ' + σ'/σ (x - μ), and u generates N(μ_t, σ_t²) (1-D)."""
    out = th.derive_gaussian_path_field()
    assert out["flow_gap"] == 0 and out["continuity"] == 0


@pytest.mark.theorem("fm.conical_path", "fm.linear_interpolation", "fm.ve_path", "fm.vp_path")
def test_slide_fields_are_the_general_field():
    """000 L12 conical (with σ_min), linear x_1 - x_0, 000 L13 VE and VP (α' = d a/ds) all hold."""
    assert all(v == 0 for v in th.derive_path_fields().values())


@pytest.mark.theorem("fm.ve_path", "fm.vp_path")
def test_fm_field_is_reversed_pf_ode_symbolic():
    assert all(v == 0 for v in th.derive_pf_ode_equivalence().values())


@pytest.mark.theorem("fm.ve_path", "fm.vp_path", "fm.marginal_vector_field")
@pytest.mark.parametrize("spec", [PathSpec("ve", sigma_max=4.0), PathSpec("vp", beta_min=0.1, beta_max=20.0)])
def test_marginal_field_is_reversed_pf_ode_on_mixtures(spec):
    x = np.random.default_rng(0).uniform(-3, 3, (20, 2))
    for t in (0.0, 0.3, 0.7, 0.95):
        np.testing.assert_allclose(th.marginal_field(MIX2, spec, x, t), th.pf_ode_field(MIX2, spec, x, t),
                                   rtol=1e-11, atol=1e-11)


@pytest.mark.theorem("fm.marginal_vector_field")
def test_continuity_equation_symbolic_1d():
    """∂_t p_t + ∂_x(p_t u_t) for a 2-component mixture, conical path (σ_min = 1/10), built and
    differentiated exactly, evaluated with 60 digits: zero to 1e-40."""
    res = th.continuity_residual_1d([sp.Rational(3, 10), sp.Rational(7, 10)], [sp.Rational(-3, 2), 2],
                                    [sp.Rational(1, 5), sp.Rational(1, 2)], sp.Rational(1, 10),
                                    [(sp.Rational(1, 4), sp.Rational(-1, 2)), (sp.Rational(2, 3), 1),
                                     (sp.Rational(9, 10), sp.Rational(5, 2))])
    assert max(res) < 1e-40


@pytest.mark.theorem("fm.marginal_vector_field")
@pytest.mark.parametrize("sigma_min", [0.0, 0.1])
def test_continuity_equation_autograd_2d(sigma_min):
    """In 2-D: ∂_t p_t + div(p_t u_t) by autograd (float64) on the torch marginal field and the
    exact mixture density is 0 to 1e-10 relative to |∂_t p_t| + |div(p_t u_t)|; the field matches the oracle."""
    path = im.ConicalPath(sigma_min)
    w, m, C = (torch.tensor(a) for a in (MIX2.weights, MIX2.means, MIX2.covs))
    x = torch.tensor(np.random.default_rng(1).uniform(-2, 2, (6, 2)), requires_grad=True)
    for tv in (0.2, 0.5, 0.8):
        t = torch.full((6,), tv, dtype=torch.float64, requires_grad=True)
        a, s = t, 1 - (1 - sigma_min) * t
        cov = a[:, None, None, None] ** 2 * C[None] + (s**2)[:, None, None, None] * torch.eye(2, dtype=torch.float64)
        dist = torch.distributions.MultivariateNormal(a[:, None, None] * m[None], covariance_matrix=cov)
        p = (w[None] * dist.log_prob(x[:, None, :]).exp()).sum(-1)
        u = path.marginal_field(w, m, C, x, t)
        dp_dt = torch.autograd.grad(p.sum(), t, create_graph=True)[0]
        pu = p[:, None] * u
        div = sum(torch.autograd.grad(pu[:, i].sum(), x, create_graph=True)[0][:, i] for i in range(2))
        scale = dp_dt.abs() + div.abs()  # the two terms that must cancel
        assert float(((dp_dt + div).abs() / scale).detach().max()) < 1e-10
        oracle = th.marginal_field(MIX2, PathSpec("conical", sigma_min=sigma_min), x.detach().numpy(), tv)
        np.testing.assert_allclose(u.detach().numpy(), oracle, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------ CFM vs FM
SPECS = [PathSpec("conical", sigma_min=0.05), PathSpec("vp"), PathSpec("ve", sigma_max=3.0)]


@pytest.mark.theorem("fm.cfm_equals_fm")
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind)
def test_cfm_vs_fm_linear_model_exact(spec):
    """Gaussian data, v = W x + b, exact Gaussian integrals at several t and θ:
    objectives differ (L_CFM - L_FM = C_t > 0); the difference is the same for every θ; gradients
    are equal; the minimizers are equal (the marginal field itself); minimum values differ by C_t
    (L_FM* = 0 < L_CFM* = C_t): the slide's 'optimal values are equal' is false."""
    rng = np.random.default_rng(3)
    mean, L = rng.normal(size=2), rng.normal(size=(2, 2))
    cov = L @ L.T + 0.1 * np.eye(2)
    for t in (0.1, 0.5, 0.9):
        gaps = []
        for _ in range(4):
            W, b = rng.normal(size=(2, 2)), rng.normal(size=2)
            o = th.linear_model_objectives(spec, t, mean, cov, W, b)
            assert o.cfm - o.fm == pytest.approx(o.gap, rel=1e-10, abs=1e-12)
            assert o.gap > 1e-3
            np.testing.assert_allclose(o.grad_cfm[0], o.grad_fm[0], rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(o.grad_cfm[1], o.grad_fm[1], rtol=1e-10, atol=1e-12)
            gaps.append(o.cfm - o.fm)
        assert np.ptp(gaps) < 1e-10 * max(gaps)
        W_star, b_star = o.minimizer
        at_min = th.linear_model_objectives(spec, t, mean, cov, W_star, b_star)
        for g in at_min.grad_cfm + at_min.grad_fm:
            assert np.abs(g).max() < 1e-10
        assert abs(at_min.min_fm) < 1e-12 and at_min.min_cfm == pytest.approx(at_min.gap, rel=1e-10)
        # the minimizer is the marginal field: W* x + b* = u_t(x)
        xs = rng.normal(size=(5, 2))
        u = th.marginal_field(GaussianMixture(np.array([1.0]), mean[None], cov[None]), spec, xs, t)
        np.testing.assert_allclose(xs @ W_star.T + b_star, u, rtol=1e-10, atol=1e-10)


def _mlp(theta: np.ndarray):
    w1, b1, w2, b2 = theta[:4], theta[4:8], theta[8:12], theta[12]
    return lambda x: np.tanh(np.asarray(x)[..., None] * w1 + b1) @ w2 + b2


@pytest.mark.slow
@pytest.mark.theorem("fm.cfm_equals_fm")
def test_cfm_vs_fm_mixture_and_tiny_mlp_by_quadrature():
    """1-D mixture data, tiny MLP v_θ, Gauss-Hermite quadrature: L_CFM(θ) - L_FM(θ) = C_t for every
    θ (so gradients, by central differences of the difference, vanish; minimizers agree), C_t > 0.
    FM by adaptive quadrature (epsabs 1e-14), CFM by 120x120 Gauss-Hermite: C_t agrees to 1e-13
    with 100 and 150 nodes."""
    spec = PathSpec("conical", sigma_min=0.05)
    rng = np.random.default_rng(5)
    for t in (0.3, 0.8):
        diffs, gap = [], None
        thetas = [rng.normal(size=13) for _ in range(3)]
        for theta in thetas:
            fm, cfm, gap = th.mixture_objectives_1d(spec, t, MIX1, _mlp(theta), n_nodes=120)
            diffs.append(cfm - fm)
        assert gap > 1e-2
        np.testing.assert_allclose(diffs, gap, rtol=1e-11)  # quadrature converged (see docstring)
        h, e = 1e-4, np.zeros(13)
        e[2] = h
        d_plus, d_minus = (np.subtract(*th.mixture_objectives_1d(spec, t, MIX1, _mlp(thetas[0] + sgn * e),
                                                                 120)[1::-1]) for sgn in (1, -1))
        assert abs(d_plus - d_minus) / (2 * h) < 1e-7  # ∂(L_CFM - L_FM)/∂θ = 0


# ------------------------------------------------------------------------------ boundaries, ODE
@pytest.mark.theorem("fm.boundary_conditions")
def test_boundary_values_of_each_path():
    """Conical: p_0 = N(0, I) exactly, p_1 = p_data * N(0, σ_min²); linear: x_0, x_1 exactly;
    VE: p_1 = p_data, p_0 = p_data * N(0, σ_max²); VP: p_1 = p_data, p_0 = N(a(1) x_1, 1 - a(1)²) ≠ N(0, I)."""
    z, o = np.zeros(1), np.ones(1)
    assert [float(c[0]) for c in PathSpec("conical", sigma_min=0.1).coefficients(o)[:2]] == pytest.approx([1.0, 0.1],
                                                                                                   abs=1e-16)
    assert [float(c[0]) for c in PathSpec("linear").coefficients(z)[:2]] == [0.0, 1.0]
    assert [float(c[0]) for c in PathSpec("linear").coefficients(o)[:2]] == [1.0, 0.0]
    assert [float(c[0]) for c in PathSpec("conical", sigma_min=0.1).coefficients(z)[:2]] == [0.0, 1.0]
    assert [float(c[0]) for c in PathSpec("ve", sigma_max=7.0).coefficients(o)[:2]] == [1.0, 0.0]
    assert [float(c[0]) for c in PathSpec("ve", sigma_max=7.0).coefficients(z)[:2]] == [1.0, 7.0]
    a0, s0 = (float(c[0]) for c in PathSpec("vp").coefficients(z)[:2])
    assert 0 < a0 < 1e-2 and a0**2 + s0**2 == pytest.approx(1.0, abs=1e-15)
    assert [float(c[0]) for c in PathSpec("vp").coefficients(o)[:2]] == [1.0, 0.0]


@pytest.mark.theorem("fm.ode_sampling")
@pytest.mark.parametrize("spec", [PathSpec("conical", sigma_min=0.05), PathSpec("vp", beta_max=10.0)],
                         ids=lambda s: s.kind)
def test_ode_solver_orders_by_slope(spec):
    """Reference Euler/Heun on the exact marginal field of N(m, v) data: the log-log slope of the
    endpoint error against h over N = 64..512 is 1 (Euler) and 2 (Heun) within 0.1."""
    m, v = np.array([1.3]), np.array([0.3])
    x0 = np.array([[0.0], [1.0], [-1.2]])
    exact_end = th.gaussian_flow_map(spec, m, v, x0, 0.0, 1.0)
    field = lambda x, t: th.gaussian_marginal_field_diag(spec, m, v, x, t)  # noqa: E731
    ns = np.array([64, 128, 256, 512])
    for method, p in (("euler", 1), ("heun", 2)):
        errs = [np.abs(th.euler_heun(field, x0, 0.0, 1.0, int(n), method) - exact_end).max() for n in ns]
        slope = -np.polyfit(np.log(1.0 / ns) * -1, np.log(errs), 1)[0]
        assert abs(slope - p) < 0.1, (method, slope, errs)


@pytest.mark.theorem("fm.cfm_equals_fm")
def test_slide_counterexample_minimum_values_differ():
    """000 L11's 'optimal values of FM and CFM are equal' fails: data N(0, 1), conical σ_min = 0.05,
    t = 0.5, v(x) = w x + b: min L_FM = 0, min L_CFM = C_t = B² Var(x_1|x_t) > 0 (B = 1/σ_t)."""
    spec = PathSpec("conical", sigma_min=0.05)
    o = th.linear_model_objectives(spec, 0.5, np.zeros(1), np.eye(1), np.zeros((1, 1)), np.zeros(1))
    s = 1 - 0.95 * 0.5
    expected = (1 / s) ** 2 * (1 - 0.25 / (0.25 + s**2))  # (α' - σ'α/σ)² = 1/σ², Var = 1 - α²/(α² + σ²)
    assert o.min_fm < 1e-15 and o.min_cfm == pytest.approx(expected, rel=1e-12) and expected > 1.0


# ------------------------------------------------------------------ trigonometric and bridge paths
@pytest.mark.theorem("fm.gaussian_path_field", "fm.boundary_conditions")
def test_trigonometric_path_symbolic_and_its_ends():
    """α = sin(πt/2), σ = cos(πt/2): variance preserving, its field is π/2 (cos x_1 - sin x_0) on the path,
    and the ends are exact (σ_1 = 0, α_0 = 0, α_1 = 1 in float64)."""
    assert all(v == 0 for v in th.derive_trig_path().values())
    a, s, da, ds = PathSpec("trig").coefficients(np.array([0.0, 0.3, 1.0]))
    assert a[0] == 0.0 and s[0] == 1.0 and a[2] == 1.0 and s[2] == 0.0
    np.testing.assert_allclose(a**2 + s**2, 1.0, rtol=0, atol=4e-16)
    np.testing.assert_allclose([da[1], ds[1]], [np.pi / 2 * np.cos(0.15 * np.pi), -np.pi / 2 * np.sin(0.15 * np.pi)],
                               rtol=1e-15)


@pytest.mark.theorem("fm.schrodinger_bridge_path")
def test_schrodinger_bridge_field_symbolic():
    """μ' + (w'/w)(x - μ) with w = σ√(t(1-t)) is (1-2t)/(2t(1-t))(x - μ) + x_1 - x_0, moves x_t = μ + w ε,
    and generates N(μ_t, w_t²); the field without the ½ is a different function."""
    out = th.derive_schrodinger_bridge_field()
    assert out["field"] == 0 and out["flow_gap"] == 0 and out["continuity"] == 0
    assert out["half_dropped"] != 0


@pytest.mark.theorem("fm.schrodinger_bridge_path")
def test_bridge_spec_law_field_and_velocity_agree():
    """The ends are the points x_0, x_1 (zero covariance); on the path the field is d x_t/dt (a central
    difference of the sample, O(h²)); the width at t = ½ is σ/2 (a standard deviation)."""
    spec = th.PairPathSpec("linear", "bridge", 0.8)
    rng = np.random.default_rng(0)
    x0, x1, eps = (rng.standard_normal((4, 2)) for _ in range(3))
    ends = np.array([0.0, 1.0, 0.0, 1.0])
    np.testing.assert_array_equal(spec.sample(x0, x1, ends, eps), np.where(ends[:, None] == 1.0, x1, x0))
    assert not spec.covariance(ends, 2).any()
    assert spec.width_of(np.array([0.5]))[0][0] == 0.4
    t, h = np.array([0.1, 0.3, 0.5, 0.85]), 1e-5
    fd = (spec.sample(x0, x1, t + h, eps) - spec.sample(x0, x1, t - h, eps)) / (2 * h)
    on_path = spec.conditional_field(spec.sample(x0, x1, t, eps), x0, x1, t)
    np.testing.assert_allclose(on_path, spec.velocity(x0, x1, t, eps), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(fd, on_path, rtol=1e-7, atol=1e-7)


@pytest.mark.theorem("fm.schrodinger_bridge_path", "fm.marginal_vector_field")
def test_pair_marginal_field_reduces_to_the_gaussian_paths():
    """With x_0 ~ N(0, I) and no extra width, the pair paths' marginal fields are the Gaussian paths':
    linear = conical with σ_min = 0, trigonometric = PathSpec("trig") (two oracles, two derivations)."""
    noise = GaussianMixture(np.ones(1), np.zeros((1, 2)), np.eye(2)[None])
    x = np.random.default_rng(1).uniform(-3, 3, (5, 2))
    for mean, path in (("linear", PathSpec("conical")), ("trig", PathSpec("trig"))):
        for t in (0.2, 0.7):
            got = th.PairPathSpec(mean, "constant", 0.0).marginal_field(noise, MIX2, x, t)
            np.testing.assert_allclose(got, th.marginal_field(MIX2, path, x, t), rtol=1e-12, atol=1e-12)


@pytest.mark.theorem("fm.schrodinger_bridge_path", "fm.marginal_vector_field")
@pytest.mark.parametrize("sigma", [0.5, 2.0])
def test_bridge_marginal_field_solves_the_continuity_equation(sigma):
    """1-D, x_0 ~ MIX1 and x_1 ~ a second mixture, independent: p_t is the (j, k) mixture
    N(t m¹_k + (1-t) m⁰_j, t² c¹_k + (1-t)² c⁰_j + σ² t(1-t)), and ∂_t p + ∂_x(p u) = 0 by central
    differences (residual relative to |∂_t p| + |∂_x(p u)| below 1e-8), which twice the field misses."""
    target = GaussianMixture(np.array([0.6, 0.4]), np.array([[1.0], [-2.5]]), np.array([[[0.3]], [[0.1]]]))
    spec = th.PairPathSpec("linear", "bridge", sigma)

    def density(x, t):
        out = np.zeros_like(x)
        for wj, mj, cj in zip(MIX1.weights, MIX1.means[:, 0], MIX1.covs[:, 0, 0], strict=True):
            for wk, mk, ck in zip(target.weights, target.means[:, 0], target.covs[:, 0, 0], strict=True):
                var = t**2 * ck + (1 - t) ** 2 * cj + sigma**2 * t * (1 - t)
                out += wj * wk * np.exp(-(x - t * mk - (1 - t) * mj) ** 2 / (2 * var)) / np.sqrt(2 * np.pi * var)
        return out

    def flux(x, t):
        return density(x, t) * spec.marginal_field(MIX1, target, x[:, None], t)[:, 0]

    def d(f, h=2.5e-4):  # fourth-order central difference: error O(h⁴) + O(eps/h), both below 1e-10 here
        return (-f(2 * h) + 8 * f(h) - 8 * f(-h) + f(-2 * h)) / (12 * h)

    x = np.linspace(-4.0, 4.0, 17)
    for t in (0.05, 0.25, 0.5, 0.9):
        dp = d(lambda h, t=t: density(x, t + h))
        dflux = d(lambda h, t=t: flux(x + h, t))
        assert np.all(np.abs(dp + dflux) <= 1e-8 * (np.abs(dp) + np.abs(dflux)) + 1e-12), (t, dp + dflux)
        wrong = d(lambda h, t=t: 2 * flux(x + h, t))  # twice the field: not a solution
        assert np.max(np.abs(dp + wrong)) > 1e-2


def test_pair_path_spec_refuses_bad_input():
    with pytest.raises(ValueError, match="width"):
        th.PairPathSpec("linear", "brownian")
    with pytest.raises(ValueError, match="sigma"):
        th.PairPathSpec("linear", "bridge", 0.0)
    with pytest.raises(ValueError, match="interpolant"):
        th.PairPathSpec("cosine")
    with pytest.raises(ValueError, match="one dimension"):
        th.PairPathSpec().marginal_field(MIX1, MIX2, np.zeros((1, 2)), 0.5)
    with pytest.raises(TypeError, match="target must be a"):
        th.PairPathSpec().marginal_field(MIX1, "MIX1", np.zeros((1, 1)), 0.5)
