"""The ELBO oracles against each other and against scipy: log p(x) by quadrature/enumeration, the
decomposition to 1e-10, the posterior maximizing the ELBO."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from dgmcheck.checks.profiles import scaled
from dgmcheck.theory import latent as th


def _ppca(seed, d, k):
    rng = np.random.default_rng(seed)
    W, b, psi = rng.normal(size=(d, k)), rng.normal(size=d), rng.uniform(0.1, 1.5, d)
    x = b + W @ rng.normal(size=k) + rng.normal(size=d) * np.sqrt(psi)
    A = rng.normal(size=(k, k))
    return W, b, psi, x, rng.normal(size=k), A @ A.T + 0.05 * np.eye(k)


@pytest.mark.theorem("elbo.bound", "elbo.decomposition", "elbo.recon_minus_kl", "elbo.optimal_q")
@settings(max_examples=scaled(30), deadline=None)
@given(seed=st.integers(0, 2**31 - 1), d=st.integers(1, 4), k=st.integers(1, 3))
def test_ppca_elbo_identities_to_1e10(seed, d, k):
    W, b, psi, x, m, S = _ppca(seed, d, k)
    lp = th.lg_log_marginal(W, b, psi, x)
    assert abs(lp - stats.multivariate_normal(b, W @ W.T + np.diag(psi)).logpdf(x)) < 1e-10
    elbo = th.lg_elbo(W, b, psi, x, m, S)
    pm, pS = th.lg_posterior(W, b, psi, x)
    kl = th.gaussian_kl(m, S, pm, pS)
    assert elbo <= lp + 1e-10 and kl >= 0
    assert abs(lp - elbo - kl) < 1e-10 * (1 + abs(lp) + abs(elbo))
    assert abs(elbo - th.lg_elbo_quadrature(W, b, psi, x, m, S, n=3)) < 1e-10 * (1 + abs(elbo))
    assert abs(th.lg_elbo(W, b, psi, x, pm, pS) - lp) < 1e-10 * (1 + abs(lp))


@pytest.mark.theorem("elbo.recon_minus_kl", "elbo.bound")
def test_ppca_log_marginal_and_elbo_by_scipy_quadrature_in_one_latent():
    W, b, psi, x, m, S = _ppca(5, 2, 1)
    log_joint = lambda z: th.gaussian_logpdf(x, W @ [z] + b, np.diag(psi)) + stats.norm.logpdf(z)  # noqa: E731
    joint = lambda z: np.exp(log_joint(z))  # noqa: E731
    assert abs(np.log(integrate.quad(joint, -np.inf, np.inf, epsabs=0, epsrel=1e-13)[0])
               - th.lg_log_marginal(W, b, psi, x)) < 1e-10
    q = stats.norm(m[0], np.sqrt(S[0, 0]))
    integrand = lambda z: q.pdf(z) * (log_joint(z) - q.logpdf(z))  # noqa: E731
    sd = np.sqrt(S[0, 0])  # beyond 12 sd the integrand is below 1e-28
    val = integrate.quad(integrand, m[0] - 12 * sd, m[0] + 12 * sd, epsabs=1e-13, limit=200)[0]
    assert abs(val - th.lg_elbo(W, b, psi, x, m, S)) < 1e-9


@pytest.mark.theorem("elbo.bound", "elbo.decomposition", "elbo.optimal_q")
@settings(max_examples=scaled(30), deadline=None)
@given(seed=st.integers(0, 2**31 - 1), K=st.integers(1, 5), V=st.integers(1, 5))
def test_discrete_elbo_identities_by_enumeration(seed, K, V):
    rng = np.random.default_rng(seed)
    prior, lik = rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(V), size=K)
    x = int(rng.integers(0, V))
    q = rng.dirichlet(np.ones(K)) * (rng.random(K) > 0.3)
    q = q / q.sum() if q.sum() > 0 else np.eye(K)[0]
    lp = th.disc_log_marginal(prior, lik, x)
    assert abs(lp - np.log(prior @ lik[:, x])) < 1e-12
    post = th.disc_posterior(prior, lik, x)
    elbo = th.disc_elbo(prior, lik, x, q)
    assert elbo <= lp + 1e-12
    assert abs(lp - elbo - th.categorical_kl(q, post)) < 1e-10
    assert abs(elbo - (th.disc_recon(lik, x, q) - th.categorical_kl(q, prior))) < 1e-10
    assert abs(th.disc_elbo(prior, lik, x, post) - lp) < 1e-10


@pytest.mark.theorem("vae.gaussian_kl", "divergence.kl_nonnegative")
@settings(max_examples=scaled(15), deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_diag_gaussian_kl_against_scipy_quadrature(seed):
    rng = np.random.default_rng(seed)
    mq, mp = rng.normal(size=2) * 2
    lq, lp = rng.uniform(-3, 2, size=2)
    sq, sp = np.exp(lq / 2), np.exp(lp / 2)
    f = lambda z: stats.norm.pdf(z, mq, sq) * (stats.norm.logpdf(z, mq, sq) - stats.norm.logpdf(z, mp, sp))  # noqa: E731
    val = integrate.quad(f, mq - 14 * sq, mq + 14 * sq, epsabs=1e-13, limit=200)[0]
    ours = float(th.diag_gaussian_kl([mq], [lq], [mp], [lp]))
    assert ours >= 0 and abs(ours - val) < 1e-9 * (1 + val)
    assert abs(ours - th.gaussian_kl(np.array([mq]), np.diag([sq**2]), np.array([mp]), np.diag([sp**2]))) < 1e-12
    assert abs(float(th.diag_gaussian_kl([mq], [lq], [mq], [lq]))) < 1e-15 * (1 + abs(lq))


@pytest.mark.theorem("vae.reparametrization")
def test_pathwise_gradient_expectation_matches_closed_form_by_finite_differences():
    """∇ E_q f by central differences of the closed-form E_q f = aᵀμ + μᵀBμ + Σ B_ii e^{lv_i}."""
    rng = np.random.default_rng(3)
    a, B, mu, lv = rng.normal(size=2), rng.normal(size=(2, 2)), rng.normal(size=2), rng.normal(size=2)
    Ef = lambda m, v: a @ m + m @ B @ m + np.diag(B) @ np.exp(v)  # noqa: E731
    assert abs(th.gauss_hermite_expectation(lambda e: (mu + np.exp(lv / 2) * e) @ a
                                            + np.einsum("ni,ij,nj->n", mu + np.exp(lv / 2) * e, B,
                                                        mu + np.exp(lv / 2) * e), 2, 3) - Ef(mu, lv)) < 1e-12
    g_mu, g_lv = th.quadratic_expectation_grad(a, B, mu, lv)
    h = 1e-6
    for i, e in enumerate(np.eye(2)):
        assert abs((Ef(mu + h * e, lv) - Ef(mu - h * e, lv)) / (2 * h) - g_mu[i]) < 1e-8
        assert abs((Ef(mu, lv + h * e) - Ef(mu, lv - h * e)) / (2 * h) - g_lv[i]) < 1e-8


@pytest.mark.theorem("divergence.forward_kl_is_mle", "divergence.kl_nonnegative")
def test_forward_kl_minimizer_is_the_mle():
    data = np.array([0, 2, 2, 1, 2, 0, 3, 2])
    p_hat = th.empirical(data, 4)
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = rng.dirichlet(np.ones(4))
        nll = -np.mean(np.log(p[data]))
        assert abs(th.forward_kl_from_nll(nll, data, 4) - th.categorical_kl(p_hat, p)) < 1e-12
        assert th.categorical_kl(p_hat, p) > 0  # only p̂ attains 0
    assert th.categorical_kl(p_hat, p_hat) == 0.0
