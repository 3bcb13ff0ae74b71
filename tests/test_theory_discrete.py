"""The discrete-diffusion oracles: exact identities in rationals (fractions) and sympy, brute-force
enumeration against the closed forms, and the planted bugs failing the exact identities."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dgmcheck.checks import discrete as checks
from dgmcheck.checks.profiles import scaled
from dgmcheck.theory import discrete as th


@st.composite
def rational_chains(draw, min_K=2, max_K=4, min_T=1, max_T=3, convention="column"):
    """Column-stochastic matrices with small rational entries (exact arithmetic)."""
    K = draw(st.integers(min_K, max_K))
    T = draw(st.integers(min_T, max_T))
    Qs = np.empty((T, K, K), dtype=object)
    for s in range(T):
        for j in range(K):
            w = [draw(st.integers(0, 5)) for _ in range(K)]
            w[j] += 1
            for i in range(K):
                Qs[s, i, j] = F(w[i], sum(w))
    return Qs if convention == "column" else np.swapaxes(Qs, 1, 2).copy()


def _states(Qs, t, x0, conv="column"):
    probs = th.forward_probs(Qs, t, x0, conv)
    return [i for i in range(len(probs)) if probs[i] != 0]


# --------------------------------------------------------------------------- transition / cumulative
@pytest.mark.theorem("discrete.transition")
@given(rational_chains(), st.sampled_from(th.CONVENTIONS))
def test_transition_conventions_are_transposes(Qs, conv):
    """A column-stochastic Q is valid in the column convention; its transpose in the row one."""
    Q = Qs if conv == "column" else np.swapaxes(Qs, 1, 2)
    th.validate_transition(Q, "Q", conv)
    assert (th.to_column(Q, conv) == Qs).all()


@pytest.mark.theorem("discrete.cumulative")
def test_cumulative_closed_forms_symbolic():
    assert th.derive_cumulative_closed_forms(K=3, T=3) == {"uniform": True, "absorbing": True}


@pytest.mark.theorem("discrete.cumulative")
@given(rational_chains(min_T=2), st.data())
def test_cumulative_is_the_path_sum_and_orders_differ(Qs, data):
    """Q_{1:t} e_{x0} (Q_t ⋯ Q_1) equals the enumerated path sum; Q_1 ⋯ Q_t (the planted wrong
    order) does not in general."""
    T, K = len(Qs), Qs.shape[-1]
    t = data.draw(st.integers(1, T))
    x0 = data.draw(st.integers(0, K - 1))
    direct = [F(0)] * K
    for path in itertools.product(range(K), repeat=t):
        p, prev = F(1), x0
        for s, x in enumerate(path):
            p *= Qs[s][x, prev]
            prev = x
        direct[path[-1]] += p
    assert list(th.forward_probs(Qs, t, x0)) == direct
    row = th.cumulative(np.swapaxes(Qs, 1, 2).copy(), t, "row")
    assert (row.T == th.cumulative(Qs, t)).all()


@pytest.mark.planted_bug("discrete.cumulative")
def test_wrong_order_fails_the_path_sum():
    Qs = np.empty((2, 2, 2), dtype=object)
    Qs[0] = np.array([[F(1), F(1, 2)], [F(0), F(1, 2)]], dtype=object)
    Qs[1] = np.array([[F(1, 3), F(0)], [F(2, 3), F(1)]], dtype=object)
    good = th.cumulative(Qs, 2)
    wrong = th._matmul(Qs[0], Qs[1])
    assert not (good == wrong).all()


@pytest.mark.theorem("discrete.cumulative")
@given(st.lists(st.floats(1e-3, 0.9), min_size=1, max_size=6), st.integers(2, 6), st.data())
def test_uniform_and_absorbing_closed_forms_float(betas, K, data):
    mask = data.draw(st.integers(0, K - 1))
    ab = np.prod(1 - np.array(betas))
    U = np.full((K, K), 1 / K)
    E = np.zeros((K, K))
    E[mask] = 1
    Qu = np.stack([th.uniform_matrix(b, K) for b in betas])
    Qa = np.stack([th.absorbing_matrix(b, K, mask) for b in betas])
    assert np.allclose(th.cumulative(Qu, len(betas)), ab * np.eye(K) + (1 - ab) * U, atol=1e-14)
    assert np.allclose(th.cumulative(Qa, len(betas)), ab * np.eye(K) + (1 - ab) * E, atol=1e-14)


# --------------------------------------------------------------------------- stationary
@pytest.mark.theorem("discrete.stationary")
@given(st.lists(st.floats(1e-3, 0.9), min_size=1, max_size=5), st.integers(2, 6), st.data())
def test_stationary_laws(betas, K, data):
    mask = data.draw(st.integers(0, K - 1))
    Qu = np.stack([th.uniform_matrix(b, K) for b in betas])
    Qa = np.stack([th.absorbing_matrix(b, K, mask) for b in betas])
    assert np.allclose(th.stationary_law(Qu), np.full(K, 1 / K), atol=1e-12)
    e = np.zeros(K)
    e[mask] = 1
    assert np.allclose(th.stationary_law(Qa), e, atol=1e-12)
    for Q in (Qu[0], Qa[0]):  # the eigenvector of eigenvalue 1 of Q_t (not of Q_tᵀ)
        vals, vecs = np.linalg.eig(Q)
        v = np.real(vecs[:, np.argmin(np.abs(vals - 1))])
        assert np.allclose(v / v.sum(), th.stationary_law(Q[None]), atol=1e-10)
    # ‖Q_{1:t} x0 - π‖₁ = ᾱ_t ‖x0 - π‖₁: the marginal converges to π as ᾱ_t -> 0
    ab = np.prod(1 - np.array(betas))
    x0 = (mask + 1) % K
    onehot = np.eye(K)[x0]
    dist = np.abs(th.forward_probs(Qa, len(betas), x0) - e).sum()
    assert math.isclose(dist, ab * np.abs(onehot - e).sum(), rel_tol=1e-12, abs_tol=1e-14)


@pytest.mark.planted_bug("discrete.stationary")
def test_left_eigenvector_is_not_the_stationary_law():
    """The eigenvector of Qᵀ (the row-convention reading of a column matrix) is uniform, not e_m."""
    Qa = th.absorbing_matrix(0.3, 3, 2)
    left = np.full(3, 1 / 3)
    assert np.allclose(Qa.T @ left, left)  # left eigenvector of the column matrix...
    assert not np.allclose(th.stationary_law(np.stack([Qa])), left)  # ...is not the invariant law


# --------------------------------------------------------------------------- posterior
@pytest.mark.theorem("discrete.posterior")
@settings(max_examples=scaled(40))
@given(rational_chains(min_T=1, max_T=3), st.data())
def test_posterior_matrix_formula_equals_brute_force_bayes_exactly(Qs, data):
    T, K = len(Qs), Qs.shape[-1]
    t = data.draw(st.integers(1, T))
    x0 = data.draw(st.integers(0, K - 1))
    xt = data.draw(st.sampled_from(_states(Qs, t, x0)))
    assert list(th.posterior(Qs, t, xt, x0)) == list(th.posterior_enumeration(Qs, t, xt, x0))
    Qr = np.swapaxes(Qs, 1, 2).copy()
    assert list(th.posterior(Qr, t, xt, x0, "row")) == list(th.posterior_enumeration(Qs, t, xt, x0))


@pytest.mark.planted_bug("discrete.posterior")
def test_slide_formula_Q_not_QT_fails_exactly():
    """000 L13 prints Q_t x_t; in the column convention that is a column of Q_t, not the row."""
    Qs = np.empty((2, 3, 3), dtype=object)
    base = [[F(1, 2), F(1, 6), F(0)], [F(1, 4), F(2, 3), F(1, 3)], [F(1, 4), F(1, 6), F(2, 3)]]
    Qs[0] = Qs[1] = np.array(base, dtype=object)
    t, xt, x0 = 2, 1, 0
    truth = th.posterior_enumeration(Qs, t, xt, x0)
    prev = th.forward_probs(Qs, 1, x0)
    slide = Qs[1][:, xt] * prev
    slide = slide / sum(slide)
    assert list(truth) == list(th.posterior(Qs, t, xt, x0))
    assert list(slide) != list(truth)
    unnormalized = Qs[1][xt, :] * prev
    assert sum(unnormalized) != 1 and list(unnormalized) != list(truth)


@pytest.mark.theorem("discrete.absorbing_posterior")
@given(st.lists(st.integers(1, 9), min_size=1, max_size=4), st.integers(2, 5), st.data())
def test_absorbing_closed_form_is_the_general_posterior_exactly(tenths, K, data):
    betas = [F(b, 10) for b in tenths]
    mask = data.draw(st.integers(0, K - 1))
    Qs = np.stack([th.absorbing_matrix(b, K, mask) for b in betas])
    t = data.draw(st.integers(1, len(betas)))
    x0 = data.draw(st.integers(0, K - 1))
    xt = data.draw(st.sampled_from(_states(Qs, t, x0)))
    assert list(th.absorbing_posterior(betas, t, xt, x0, K, mask)) == list(
        th.posterior_enumeration(Qs, t, xt, x0))


@pytest.mark.planted_bug("discrete.absorbing_posterior")
def test_alpha_bar_off_by_one_fails_exactly():
    betas = [F(1, 5), F(3, 10), F(1, 2)]
    ab = th.alpha_bars(betas)
    t = 2
    truth = th.posterior_enumeration(np.stack([th.absorbing_matrix(b, 3, 2) for b in betas]), t, 2, 0)
    assert truth[0] == betas[t - 1] * ab[t - 1] / (1 - ab[t])
    assert truth[0] != betas[t - 1] * ab[t] / (1 - ab[t])


# --------------------------------------------------------------------------- KL, ELBO
@pytest.mark.theorem("discrete.categorical_kl")
@given(checks.probability_vectors(5), checks.probability_vectors(5, zeros=False))
def test_kl_is_cross_entropy_minus_entropy(q, p):
    kl = th.categorical_kl(q, p)
    assert kl >= -1e-12
    assert math.isclose(kl, th.cross_entropy(q, p) - th.entropy(q), rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.planted_bug("discrete.categorical_kl")
def test_reversed_kl_differs():
    q, p = np.array([0.7, 0.3, 0.0]), np.array([0.2, 0.3, 0.5])
    assert th.categorical_kl(p, q) == math.inf != th.categorical_kl(q, p)


@pytest.mark.theorem("discrete.elbo_decomposition")
@settings(max_examples=scaled(30))
@given(checks.chains(("general", "uniform", "absorbing"), max_K=3, max_T=3), st.data())
def test_elbo_decomposition_bound_and_equality(chain, data):
    Qs, conv, K, T = chain.Qs, chain.convention, chain.K, chain.T
    data_law = data.draw(checks.probability_vectors(K, zeros=False))
    P = np.stack([data.draw(checks.transition_matrices(K, "column")) * 0.9 + 0.1 / K for _ in range(T)])
    P = P if conv == "column" else np.swapaxes(P, 1, 2).copy()
    prior = data.draw(checks.probability_vectors(K, zeros=False))
    for x0 in range(K):
        terms = th.elbo_terms(Qs, P, prior, x0, conv)
        path = th.elbo_enumeration(Qs, P, prior, x0, conv)
        assert math.isclose(terms["elbo"], path, rel_tol=1e-9, abs_tol=1e-9)
        assert path <= th.log_likelihood_enumeration(Qs, P, prior, x0, conv) + 1e-12
    Pt, pT = th.true_reverse_model(Qs, data_law, conv)
    for x0 in range(K):
        assert math.isclose(th.elbo_enumeration(Qs, Pt, pT, x0, conv), math.log(data_law[x0]),
                            rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(th.log_likelihood_enumeration(Qs, Pt, pT, x0, conv), math.log(data_law[x0]),
                            rel_tol=1e-9, abs_tol=1e-9)


# --------------------------------------------------------------------------- sequences
@pytest.mark.theorem("discrete.sequence_factorization")
@settings(max_examples=scaled(20))
@given(rational_chains(max_K=3, max_T=2), st.data())
def test_sequence_laws_factorize_exactly(Qs, data):
    K, T = Qs.shape[-1], len(Qs)
    m = data.draw(st.integers(1, 3))
    t = data.draw(st.integers(1, T))
    X0 = data.draw(st.lists(st.integers(0, K - 1), min_size=m, max_size=m))
    joint = th.sequence_forward_law(Qs, t, X0)
    per = [th.forward_probs(Qs, t, x) for x in X0]
    for X, p in joint.items():
        assert p == math.prod((per[i][X[i]] for i in range(m)), start=F(1))
    Xt = tuple(data.draw(st.sampled_from(_states(Qs, t, x))) for x in X0)
    post = th.sequence_posterior_law(Qs, t, Xt, X0)
    per = [th.posterior(Qs, t, Xt[i], X0[i]) for i in range(m)]
    for X, p in post.items():
        assert p == math.prod((per[i][X[i]] for i in range(m)), start=F(1))


@pytest.mark.planted_bug("discrete.sequence_factorization")
def test_joint_normalization_is_not_the_product():
    Qs = np.stack([th.uniform_matrix(F(1, 2), 2)])
    post = th.sequence_posterior_law(Qs, 1, (0, 1), (0, 0))
    assert sum(post.values()) == 1 and max(post.values()) == 1  # t = 1: the posterior is δ_{X_0}
    wrong = {k: v / 2 for k, v in post.items()}  # normalized over m = 2 positions jointly
    assert sum(wrong.values()) != 1


@pytest.mark.theorem("discrete.sequence_factorization")
@pytest.mark.parametrize("convention", th.CONVENTIONS)
def test_sequence_laws_of_twelve_states_factorize(convention):
    """K = 12, m = 3 (1728 sequences): the joint chain's laws, stepped on the whole law array, equal the
    products of the per-token laws, and each is a law (the enumeration over pairs of sequences took a
    minute per check here)."""
    rng = np.random.default_rng(12)
    K, T, t = 12, 4, 3
    Qs = rng.random((T, K, K)) * (rng.random((T, K, K)) > 0.3) + np.eye(K)
    Qs /= Qs.sum(axis=1, keepdims=True)  # column-stochastic, with exact zeros
    Qs = Qs if convention == "column" else np.swapaxes(Qs, 1, 2).copy()
    X0, Xt = (3, 0, 11), (3, 5, 11)
    joint = th.sequence_forward_law(Qs, t, X0, convention)
    per = [th.forward_probs(Qs, t, x, convention) for x in X0]
    assert list(joint) == list(itertools.product(range(K), repeat=3))
    product = np.array([per[0][a] * per[1][b] * per[2][c] for a, b, c in joint])
    np.testing.assert_allclose(np.array(list(joint.values())), product, rtol=1e-12, atol=1e-15)
    assert math.isclose(sum(joint.values()), 1.0, rel_tol=1e-12)
    post = th.sequence_posterior_law(Qs, t, Xt, X0, convention)
    per = [th.posterior(Qs, t, Xt[i], X0[i], convention) for i in range(3)]
    product = np.array([per[0][a] * per[1][b] * per[2][c] for a, b, c in post])
    np.testing.assert_allclose(np.array(list(post.values())), product, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("call", "match"), [
    (lambda Qs: th.sequence_forward_law(Qs, 1, [0] * 17), r"K\^m = 2\^17 = 131072 .*MAX_SEQUENCE_STATES = 65536"),
    (lambda Qs: th.sequence_posterior_law(Qs, 1, [0] * 17, [0] * 17), r"K\^m = 2\^17 = 131072"),
    (lambda Qs: th.sequence_forward_law(Qs, 2, [0, 1]), r"t must lie in 0..T = 0..1, got 2"),
    (lambda Qs: th.sequence_posterior_law(Qs, 0, [0], [0]), r"t must lie in 1..T = 1..1, got 0"),
    (lambda Qs: th.sequence_forward_law(Qs, 1, [0, 2]), r"X0\[i\] must be a state in 0..1, got 2"),
    (lambda Qs: th.sequence_posterior_law(Qs, 1, [0, 2], [0, 0]), r"Xt\[i\] must be a state in 0..1, got 2"),
    (lambda Qs: th.sequence_posterior_law(Qs, 1, [0], [0, 0]), "Xt and X0 must have the same length"),
])
def test_sequence_laws_refuse_what_they_cannot_enumerate(call, match):
    """Beyond MAX_SEQUENCE_STATES sequences the law is refused naming K^m and the limit; bad steps, states
    and lengths are refused naming the argument."""
    with pytest.raises(ValueError, match=match):
        call(np.stack([th.uniform_matrix(0.5, 2)]))


# --------------------------------------------------------------------------- absorbing loss
def _denoiser(K, mask, seed):
    rng = np.random.default_rng(seed)
    table = {}

    def f(X):
        if X not in table:
            p = rng.dirichlet(np.ones(K), size=len(X))
            p[:, mask] = 0
            table[X] = p / p.sum(1, keepdims=True)
        return table[X]

    return f


@pytest.mark.theorem("discrete.absorbing_loss")
@settings(max_examples=scaled(30))
@given(st.lists(st.floats(0.01, 0.9), min_size=1, max_size=4), st.integers(2, 4), st.data())
def test_absorbing_kl_sum_is_rho_weighted_masked_ce(betas, K, data):
    mask = data.draw(st.integers(0, K - 1))
    clean = [k for k in range(K) if k != mask]
    m = data.draw(st.integers(1, 3))
    X0 = tuple(data.draw(st.lists(st.sampled_from(clean), min_size=m, max_size=m)))
    t = data.draw(st.integers(1, len(betas)))
    den = _denoiser(K, mask, data.draw(st.integers(0, 1000)))
    a = th.absorbing_loss_enumeration(betas, t, X0, den, K, mask)
    b = th.absorbing_loss_closed_form(betas, t, X0, den, K, mask)
    assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.planted_bug("discrete.absorbing_loss")
def test_counting_unmasked_positions_changes_the_loss():
    betas, K, mask, X0 = [0.2, 0.3], 3, 2, (0, 1)
    den = _denoiser(K, mask, 0)
    truth = th.absorbing_loss_enumeration(betas, 2, X0, den, K, mask)
    ab = th.alpha_bars(betas)
    rho = betas[1] * ab[1] / (1 - ab[2])
    wrong = 0.0
    for pattern in itertools.product((0, 1), repeat=2):
        prob = math.prod(1 - ab[2] if b else ab[2] for b in pattern)
        Xt = tuple(mask if b else X0[i] for i, b in enumerate(pattern))
        wrong += prob * rho * sum(-math.log(den(Xt)[i][X0[i]]) for i in range(2))
    assert wrong > truth + 1e-6


# --------------------------------------------------------------------------- mask rate
@pytest.mark.theorem("discrete.mask_rate")
@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_discrete_elbo_converges_to_the_weighted_mixture(schedule):
    """Σ_t ρ_t f(1-ᾱ_t) -> ∫_0^1 f(λ)/λ dλ = ∫_0^1 -α'(t)/(1-α(t)) f(1-α(t)) dt with error O(1/T)."""
    K, mask, X0 = 3, 2, (0, 1, 0)
    den = _denoiser(K, mask, 7)
    alpha = (lambda s: 1 - s) if schedule == "linear" else (lambda s: math.cos(math.pi * s / 2))
    import sympy as sp

    target = th.continuous_mask_objective(X0, den, mask)
    f, lam = th.masked_ce_polynomial(X0, den, mask)
    g = sp.Poly(sp.cancel(f / lam), lam)  # the integrand in λ: a polynomial since f(0) = 0
    lip = float(sum(abs(c) * k for (k,), c in g.terms()))  # >= max |g'| on [0, 1]
    errs = []
    for T in (10, 100, 1000):
        abars = [alpha(k / T) for k in range(T + 1)]
        abars[-1] = 0.0
        lams = [1 - a for a in abars]
        # right-endpoint Riemann sum of g over the partition λ_0 < ... < λ_T: error <= ½ max|g'| Σ Δλ²
        bound = 0.5 * lip * sum((b - a) ** 2 for a, b in itertools.pairwise(lams))
        err = abs(th.discrete_mask_objective(abars, X0, den, mask) - target)
        assert err <= bound + 1e-9
        errs.append(err)
    assert errs[0] > 0 and errs[2] < errs[0] / 20 and errs[2] < 1e-2 * target


@pytest.mark.theorem("discrete.mask_rate")
def test_weight_in_time_is_one_over_lambda_in_mask_rate():
    import sympy as sp

    s = sp.Symbol("t", positive=True)
    for alpha in (1 - s, sp.cos(sp.pi * s / 2), (1 - s) ** 2):
        w = th.mdlm_weight(alpha, sp.diff(alpha, s))
        lam = 1 - alpha
        assert sp.simplify(w - sp.diff(lam, s) / lam) == 0  # w(t) dt = dλ/λ


@pytest.mark.planted_bug("discrete.mask_rate")
def test_wrong_weights_miss_the_discrete_limit():
    K, mask, X0 = 3, 2, (0, 1)
    den = _denoiser(K, mask, 3)
    T = 2000
    abars = [1 - k / T for k in range(T + 1)]
    limit = th.discrete_mask_objective(abars, X0, den, mask)
    f, lam = th.masked_ce_polynomial(X0, den, mask)
    import sympy as sp

    s = sp.Symbol("s")
    alpha, dalpha = 1 - s, -1
    for w in (dalpha / (1 - alpha), -alpha / (1 - dalpha)):  # sign dropped; α and α' swapped
        val = float(sp.integrate(w * f.subs(lam, 1 - alpha), (s, 0, 1)))
        assert abs(val - limit) > 0.05


# --------------------------------------------------------------------------- MDLM sampling
@pytest.mark.theorem("discrete.mdlm_sampling")
@settings(max_examples=scaled(20))
@given(st.integers(3, 4), st.integers(1, 3), st.data())
def test_joint_sampler_law_is_the_data_law(K, m, data):
    mask = K - 1
    seqs = list(itertools.product(range(K - 1), repeat=m))
    w = data.draw(st.lists(st.sampled_from([0, 1, 2, 3]), min_size=len(seqs), max_size=len(seqs)).filter(
        lambda v: sum(v) > 0))
    law = {s: x / sum(w) for s, x in zip(seqs, w, strict=True) if x > 0}
    n_steps = data.draw(st.integers(1, 4))
    inner = sorted(data.draw(st.lists(st.floats(0.05, 0.95), min_size=n_steps - 1, max_size=n_steps - 1,
                                      unique=True)), reverse=True)
    lambdas = [1.0, *inner, 0.0]
    out = th.mdlm_sampler_law(law, m, K, mask, lambdas, joint=True)
    for s in set(out) | set(law):
        assert math.isclose(out.get(s, 0.0), law.get(s, 0.0), abs_tol=1e-12)


@pytest.mark.theorem("discrete.mdlm_sampling")
def test_factorized_sampler_exact_for_product_laws_and_in_the_fine_limit():
    """The lecture's parallel (factorized) step is exact for product data laws; for correlated data
    it is exact only when no two positions unmask in one step, i.e. in the limit of fine schedules."""
    K, mask, m = 3, 2, 2
    prod = {(a, b): [0.3, 0.7][a] * [0.6, 0.4][b] for a in range(2) for b in range(2)}
    out = th.mdlm_sampler_law(prod, m, K, mask, [1.0, 0.5, 0.0])
    assert all(math.isclose(out.get(s, 0), prod[s], abs_tol=1e-12) for s in prod)
    xor = {(0, 1): 0.5, (1, 0): 0.5}
    tvs = []
    for L in (1, 4, 16, 64):
        lambdas = [1 - k / L for k in range(L + 1)]
        out = th.mdlm_sampler_law(xor, m, K, mask, lambdas)
        tvs.append(0.5 * sum(abs(out.get(s, 0) - xor.get(s, 0)) for s in set(out) | set(xor)))
    assert tvs[0] == pytest.approx(0.5) and all(b < a for a, b in itertools.pairwise(tvs)) and tvs[-1] < 0.02


@pytest.mark.planted_bug("discrete.mdlm_sampling")
def test_swapped_keep_probability_is_not_the_absorbing_posterior():
    """The keep probability λ_to/λ_from is the absorbing posterior's (1-ᾱ_{t-1})/(1-ᾱ_t)."""
    betas = [0.2, 0.3, 0.4]
    ab = th.alpha_bars(betas)
    post = th.absorbing_posterior(betas, 3, 2, 0, 3, 2)
    lam_from, lam_to = 1 - ab[3], 1 - ab[2]
    step = th.mdlm_step_law(2, lam_from, lam_to, np.array([1.0, 0.0, 0.0]), 2)
    assert np.allclose(step, post)
    bad = th.mdlm_step_law(2, lam_from, lam_from - lam_to, np.array([1.0, 0.0, 0.0]), 2)
    assert not np.allclose(bad, post)


def test_oracle_refuses_bad_input_naming_entries():
    with pytest.raises(ValueError, match=r"Q: columns must sum to 1.*\[\(1,\)\]"):
        th.validate_transition(np.array([[1.0, 0.5], [0.0, 0.4]]), "Q")
    with pytest.raises(ValueError, match=r"negative entries at \[\(1, 0\)\]"):
        th.validate_transition(np.array([[1.2, 0.0], [-0.2, 1.0]]), "Q")
    with pytest.raises(ValueError, match="rows must sum to 1"):
        th.validate_transition(np.array([[0.5, 0.2], [0.5, 0.8]]), "Q", "row")
    with pytest.raises(ValueError, match=r"mask must be a state in 0\.\.2"):
        th.absorbing_matrix(0.1, 3, 3)
    with pytest.raises(ValueError, match=r"x_t must be a state in 0\.\.1, got 5"):
        th.posterior(np.stack([th.uniform_matrix(0.5, 2)]), 1, 5, 0)
    with pytest.raises(ValueError, match="posterior is undefined"):
        th.absorbing_posterior([0.1], 1, 0, 1, 3, 2)
