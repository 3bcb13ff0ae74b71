"""The score-matching and Langevin oracles proved: sympy identities, Gauss-Hermite against adaptive
quadrature, the DSM and Hyvärinen constants to 1e-9, the ULA stationary law and its O(η) bias,
annealed moment recursions, and the slide formulas that do not hold, with counterexamples."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp
from scipy import integrate

from dgmcheck.theory import langevin as tl
from dgmcheck.theory import score as ts
from dgmcheck.theory.gaussian_mixture import GaussianMixture

MIX1 = GaussianMixture(np.array([0.3, 0.7]), np.array([[-1.5], [2.0]]), np.array([[[0.2]], [[0.5]]]))
MIX2 = GaussianMixture(np.array([0.5, 0.5]), np.array([[-1.0, 0.5], [1.5, -0.5]]),
                       np.array([[[0.3, 0.1], [0.1, 0.2]], [[0.4, -0.1], [-0.1, 0.6]]]))


def _models(d: int, seed: int):
    rng = np.random.default_rng(seed)
    A, b = rng.normal(size=(d, d)), rng.normal(size=d)
    W1, b1, W2, b2 = rng.normal(size=(6, d)), rng.normal(size=6), rng.normal(size=(d, 6)) / 2, rng.normal(size=d)

    def mlp(x):
        return np.tanh(x @ W1.T + b1) @ W2.T + b2

    def mlp_tr(x):
        return (1 - np.tanh(x @ W1.T + b1) ** 2) @ np.einsum("hi,ih->h", W1, W2)

    return [(lambda x: x @ A.T + b, lambda x: np.full(len(x), np.trace(A))), (mlp, mlp_tr)]


# --------------------------------------------------------------------------- symbolic
@pytest.mark.theorem("score.unnormalized")
def test_unnormalized_symbolic():
    assert ts.derive_unnormalized(dim=2, components=2) == [0, 0]


@pytest.mark.theorem("score.unnormalized")
def test_unnormalized_numeric_by_finite_differences():
    """Central differences of log p̃ = log p + 17 (p̃ unnormalized) equal the exact mixture score."""
    x = np.random.default_rng(1).uniform(-3, 3, (10, 2))
    h = 1e-5
    fd = np.stack([(MIX2.log_prob(x + h * e) + 17 - MIX2.log_prob(x - h * e) - 17) / (2 * h)
                   for e in np.eye(2)], axis=-1)
    np.testing.assert_allclose(fd, MIX2.score(x), rtol=1e-7, atol=1e-7)


@pytest.mark.theorem("score.noise_kernel_gradient")
def test_noise_kernel_gradient_symbolic_and_the_l11_slide():
    out = ts.derive_noise_kernel_gradient(dim=2)
    assert out["closed_form"] == [0, 0] and out["eps_form"] == [0, 0]
    gap = out["slide_l11_gap"][0]  # the truth minus -(x-μ)/σ (000 L11): zero only at σ = 1
    assert gap.subs({sp.Symbol("xs0", real=True): 1, sp.Symbol("x0", real=True): 0,
                     sp.Symbol("sigma", positive=True): 2}) == sp.Rational(1, 4)  # -1/4 - (-1/2)
    np.testing.assert_allclose(ts.noise_kernel_score(np.array([[1.0]]), np.array([[0.0]]), 2.0), [[-0.25]])


@pytest.mark.theorem("score.dsm_equivalence", "score.fisher_divergence")
def test_dsm_and_implicit_gaps_symbolic_for_gaussian_data():
    assert all(v == 0 for v in ts.derive_dsm_gap_gaussian().values())


# --------------------------------------------------------------------------- quadrature
@pytest.mark.theorem("score.dsm_equivalence")
@pytest.mark.parametrize("mix", [MIX1, MIX2], ids=["1d", "2d"])
@pytest.mark.parametrize("sigma", [0.3, 1.0])
def test_dsm_gap_is_one_constant_matching_its_closed_form(mix, sigma):
    """E‖s(x+σε) + ε/σ‖² - E‖s - ∇log q_σ‖² is the same for 4 models (linear, MLP) and equals
    d/σ² - J(q_σ) with J by adaptive quadrature (1-D) or the trapezoidal rule (2-D), to 1e-9."""
    q = mix.noised(1.0, sigma**2)
    J_ref = ts.fisher_information_adaptive(q)
    closed = mix.dim / sigma**2 - J_ref
    gaps = []
    for seed in (0, 1):
        for s, _ in _models(mix.dim, seed):
            gaps.append(ts.dsm_objective(mix, sigma, s, 32) - ts.explicit_objective(q, s, 32, fisher=J_ref))
    assert max(abs(g - closed) for g in gaps) <= 1e-9 * (abs(closed) + J_ref)


@pytest.mark.theorem("score.dsm_equivalence")
@pytest.mark.parametrize(("mix", "sigma", "n", "rel"), [(MIX1, 1.0, 192, 1e-9), (MIX2, 0.3, 192, 1e-9),
                                                        (MIX2, 1.0, 64, 1e-9), (MIX1, 0.3, 256, 1e-7)],
                         ids=["1d-1.0", "2d-0.3", "2d-1.0", "1d-0.3"])
def test_fisher_information_gauss_hermite_against_adaptive(mix, sigma, n, rel):
    """J(q_σ) (a ratio of Gaussians) converges slowly under Gauss-Hermite; measured: 1e-9 except the
    well-separated 1-D mixture at σ = 0.3, where 256 nodes reach only 5.4e-8 relative. (The DSM and
    Hyvärinen checks never need J accurately: it cancels between the two sides.)"""
    q = mix.noised(1.0, sigma**2)
    J_ref = ts.fisher_information_adaptive(q)
    assert abs(ts.fisher_information(q, n) - J_ref) <= rel * J_ref


@pytest.mark.theorem("score.dsm_equivalence")
def test_denoising_rule_against_plain_tensor_gauss_hermite_1d():
    """The joint (x, ε) integral by the rotated rule equals a plain 2-D tensor Gauss-Hermite over
    (x per component, ε) with 120 nodes each (MLP model, 1-D mixture)."""
    s = _models(1, 3)[1][0]
    sigma = 0.7
    u, w = ts.gh_rule(120, 2)
    plain = 0.0
    for wk, m, c in zip(MIX1.weights, MIX1.means, MIX1.covs, strict=True):
        x0 = m + np.sqrt(c[0, 0]) * u[:, :1]
        e = u[:, 1:]
        plain += wk * float(w @ np.sum((s(x0 + sigma * e) + e / sigma) ** 2, axis=-1))
    assert abs(ts.dsm_objective(MIX1, sigma, s, 192) - plain) <= 1e-9 * plain


@pytest.mark.theorem("score.dsm_equivalence", "score.fisher_divergence")
def test_explicit_objective_decomposition_against_adaptive_quadrature_1d():
    """E_q‖s - ∇log q‖² for the MLP model: the decomposed Gauss-Hermite form against scipy.quad."""
    q = MIX1.noised(1.0, 0.5**2)
    s = _models(1, 2)[1][0]

    def f(t):
        x = np.array([[t]])
        return float(np.exp(q.log_prob(x))[0] * np.sum((s(x) - q.score(x)) ** 2))

    ref = integrate.quad(f, -15, 15, points=[-1.5, 2.0], epsabs=1e-13, epsrel=1e-13, limit=500)[0]
    J = ts.fisher_information_adaptive(q)
    assert abs(ts.explicit_objective(q, s, 192, fisher=J) - ref) <= 1e-9 * ref


@pytest.mark.theorem("score.fisher_divergence")
@pytest.mark.parametrize("mix", [MIX1, MIX2], ids=["1d", "2d"])
def test_hyvarinen_gap_is_half_the_fisher_information(mix):
    """½E‖s - ∇log q‖² - E[½‖s‖² + tr ∇s] = ½ J(q) for linear and MLP models, to 1e-9."""
    q = mix.noised(1.0, 0.5**2)
    J = ts.fisher_information(q, 192)
    for seed in (0, 1):
        for s, tr in _models(mix.dim, seed):
            half_explicit = 0.5 * ts.explicit_objective(q, s, 192, fisher=J)
            gap = half_explicit - ts.implicit_objective(q, s, tr, 192)
            assert abs(gap - ts.implicit_constant(q, 192)) <= 1e-9 * (abs(half_explicit) + J)


@pytest.mark.theorem("score.fisher_divergence")
def test_the_001_implicit_form_has_the_wrong_minimizer():
    """001 'Score-based generative models': E[tr ∇s + ‖½∇s‖²]. Data N(0, 1), s = a x: the correct
    a + a²/2 is minimized at the true score a = -1, the slide's a + a²/4 at a = -2."""
    a = sp.Symbol("a", real=True)
    correct, slide = a + a**2 / 2, a + (a / 2) ** 2
    assert sp.solve(sp.diff(correct, a), a) == [-1]
    assert sp.solve(sp.diff(slide, a), a) == [-2]


@pytest.mark.theorem("ncsn.weighted_objective")
def test_ncsn_objective_minimum_and_excess_on_gaussian_data():
    """Gaussian data: at the exact noised score the σ²-weighted objective is Σ_t (d - σ_t² J_t); at
    ∇log q + δ it exceeds that by Σ_t σ_t² E‖δ‖² (all polynomial: Gauss-Hermite is exact)."""
    data = GaussianMixture(np.ones(1), np.array([[0.5, -1.0]]), np.array([[[0.6, 0.2], [0.2, 0.9]]]))
    sig = tl.geometric_sigmas(0.1, 3.0, 4)
    m, C = data.means[0], data.covs[0]

    def exact_score(x, s):
        return -np.linalg.solve(C + s**2 * np.eye(2), (x - m).T).T

    def delta(x, s):
        return 0.3 * x + 0.1 * s

    at_min = ts.ncsn_weighted_objective(data, sig, exact_score, 16)
    assert abs(at_min - ts.ncsn_minimum(data, sig, 16)) <= 1e-12 * at_min
    at_pert = ts.ncsn_weighted_objective(data, sig, lambda x, s: exact_score(x, s) + delta(x, s), 16)
    excess = ts.ncsn_excess(data, sig, delta, 16)
    assert excess > 0 and abs(at_pert - at_min - excess) <= 1e-12 * at_pert
    lam_sigma = ts.ncsn_weighted_objective(data, sig, exact_score, 16, weights=sig)  # λ = σ
    assert abs(lam_sigma - at_min) > 1e-3


# --------------------------------------------------------------------------- Langevin
@pytest.mark.theorem("langevin.stationary")
def test_ula_stationary_symbolic_1d():
    out = tl.derive_ula_stationary_1d()
    assert out["solution_gap"] == 0 and out["bias_coefficient"] == sp.Rational(1, 4) and out["bias_constant"] == 0


@pytest.mark.theorem("langevin.stationary")
@pytest.mark.parametrize("eta", [0.01, 0.1, 0.5])
def test_lyapunov_solution_is_the_closed_form_and_stationary(eta):
    C = np.array([[0.5, 0.1], [0.1, 2.0]])
    m = np.array([1.0, -2.0])
    mean, S = tl.ula_stationary(C, m, eta)
    np.testing.assert_allclose(S, tl.ula_stationary_closed_form(C, eta), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(mean, m, rtol=1e-12)
    M, c, Q = tl.ula_transition(C, m, eta)
    mu1, S1 = tl.moment_step(mean, S, M, c, Q)
    np.testing.assert_allclose(mu1, mean, rtol=1e-12)
    np.testing.assert_allclose(S1, S, rtol=1e-12)
    assert not np.allclose(S, C)  # the target itself is not stationary (000 L6, Theorem (Informal))


@pytest.mark.theorem("langevin.stationary")
def test_bias_is_linear_in_eta():
    """‖S(η) - C‖/η → 1/4 and W₂ ≤ const·η: the ratio over η = 0.2 ... 0.0125 approaches 1/4."""
    C = np.array([[0.5, 0.1], [0.1, 2.0]])
    ratios = [tl.ula_bias(C, eta)["ratio"] for eta in (0.2, 0.1, 0.05, 0.025, 0.0125)]
    assert all(a > b > 0.25 for a, b in itertools.pairwise(ratios))
    assert abs(ratios[-1] - 0.25) < 0.01
    w2 = [tl.ula_bias(C, eta)["w2"] / eta for eta in (0.2, 0.1, 0.05, 0.025, 0.0125)]
    assert max(w2) < 0.25


@pytest.mark.theorem("langevin.stationary")
def test_no_stationary_law_beyond_four_lambda_min():
    with pytest.raises(ValueError, match="no stationary law"):
        tl.ula_stationary(np.eye(2), np.zeros(2), 4.0)
    tl.ula_stationary(np.eye(2), np.zeros(2), 3.9)  # beyond the slide's 2/L, still stable
    with pytest.raises(ValueError, match="convention"):
        tl.eta_of(0.1, "sde")
    assert tl.eta_of(0.1, "eps") == 0.2


@pytest.mark.theorem("langevin.stationary")
@pytest.mark.parametrize("mix", [MIX1, MIX2], ids=["1d", "2d"])
def test_one_step_gain_on_mixtures_by_quadrature(mix):
    """E_q[x·∇log q] = -d (by parts; per component ∇q = Σ w_k ∇φ_k), so one exact step from x ~ q
    changes E‖x‖² by η E[x·s] + η²J/4 + η d = η²J/4."""
    d = mix.dim
    cross = ts.score_cross_term(mix, lambda x: x, 48)
    assert abs(cross + d) < 1e-12
    J = ts.fisher_information(mix, 48)
    eta = 0.3
    assert tl.one_step_moment_gain(J, eta)[1] == pytest.approx(eta * cross + eta**2 * J / 4 + eta * d, rel=1e-12)


@pytest.mark.theorem("langevin.annealed", "ncsn.annealed_sampling")
def test_annealed_recursion_and_the_order_of_levels():
    m, C = np.zeros(1), np.eye(1)
    one = tl.annealed_moments(m, C, np.array([0.0 + 1e-300]), np.array([0.1]), 7, np.ones(1), np.eye(1))
    np.testing.assert_allclose(one[1], tl.ula_moments(C, m, 0.1, 7, np.ones(1), np.eye(1))[1], rtol=1e-12)
    sig = np.array([0.1, 1.0, 3.0])
    right = tl.ncsn_sampling_moments(m, C, sig, 0.01, 50)[1][0, 0]
    etas = tl.ncsn_step_sizes(sig, 0.01)
    wrong = tl.annealed_moments(m, C, sig, etas, 50, np.zeros(1), 9 * np.eye(1))[1][0, 0]
    flat = tl.annealed_moments(m, C, sig[::-1], np.full(3, 0.01), 50, np.zeros(1), 9 * np.eye(1))[1][0, 0]
    assert right == pytest.approx(1.78762485, rel=1e-7)
    assert wrong == pytest.approx(12.90322581, rel=1e-7) and flat == pytest.approx(4.9550555, rel=1e-7)
    # many small steps at the last level approach the data law (the O(η) bias shrinks with ε)
    close = tl.ncsn_sampling_moments(m, C, sig, 1e-3, 20000)[1][0, 0]
    assert abs(close - (1 + 0.1**2)) < 2e-3


@pytest.mark.theorem("ncsn.annealed_sampling")
def test_geometric_sigmas():
    s = tl.geometric_sigmas(0.01, 50.0, 10)
    np.testing.assert_allclose(s[[0, -1]], [0.01, 50.0], rtol=1e-14)
    np.testing.assert_allclose(s[1:] / s[:-1], (50 / 0.01) ** (1 / 9), rtol=1e-13)
    with pytest.raises(ValueError):
        tl.geometric_sigmas(1.0, 0.5, 3)
    with pytest.raises(ValueError, match="strictly increasing"):
        tl.ncsn_sampling_moments(np.zeros(1), np.eye(1), np.array([1.0, 0.5]), 0.1, 1)


def test_fisher_information_exact_for_a_gaussian_and_limited_for_mixtures():
    """A single Gaussian's Fisher information is tr Σ⁻¹ exactly; a mixture in d = 4 would need a
    tensor rule of 64**4 nodes, which is refused with the size instead of running for minutes."""
    g = GaussianMixture(np.ones(1), np.zeros((1, 4)), np.diag([1.0, 2.0, 4.0, 8.0])[None])
    assert ts.fisher_information(g) == pytest.approx(1 + 1 / 2 + 1 / 4 + 1 / 8, rel=1e-14)
    mix = GaussianMixture(np.full(2, 0.5), np.zeros((2, 4)), np.tile(np.eye(4), (2, 1, 1)))
    with pytest.raises(ValueError, match="16777216"):
        ts.fisher_information(mix)


def test_fisher_information_1d_panels_agree_and_refuse_an_extreme_spread():
    """Composite Gauss–Legendre agrees with adaptive quadrature for a narrow component under a wide one
    (where Gauss–Hermite was 30 % off); scales 1e6 apart are refused with the size, not run silently."""
    m = GaussianMixture(np.full(2, 0.5), np.zeros((2, 1)), np.array([[[0.05]], [[4.9]]]))
    assert ts.fisher_information(m) == pytest.approx(ts.fisher_information_adaptive(m), rel=1e-12)
    far = GaussianMixture(np.full(2, 0.5), np.zeros((2, 1)), np.array([[[1e-12]], [[1.0]]]))
    with pytest.raises(ValueError, match="MAX_RULE_NODES"):
        ts.fisher_information(far)
