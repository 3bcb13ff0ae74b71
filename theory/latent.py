"""Exact oracles of latent variable models and the ELBO (numpy/scipy, no torch).

Two model classes with every quantity in closed form or by enumeration:

- the linear-Gaussian model (probabilistic PCA / linear-Gaussian VAE): ``p(z) = N(0, I_k)``,
  ``p(x|z) = N(W z + b, diag ψ)``; then ``p(x) = N(b, W Wᵀ + diag ψ)``, the posterior is
  ``N(Σ Wᵀ Ψ⁻¹ (x - b), Σ)`` with ``Σ = (I + Wᵀ Ψ⁻¹ W)⁻¹``, and for ``q = N(m, S)``
  ``E_q log p(x|z) = log N(x; W m + b, Ψ) - ½ tr(Ψ⁻¹ W S Wᵀ)``,
  ``KL(q || N(0, I)) = ½ (tr S + mᵀm - k - log det S)``;
- the discrete model: ``p(z) = π`` on ``K`` states, ``p(x|z) = T[z, x]`` on ``V`` symbols.

The ELBO (000 L3 "ELBO Derivation I") ``L(q) = E_q log p(x, z)/q(z)``; elbo.bound: ``L(q) ≤ log p(x)``;
elbo.decomposition: ``log p(x) = L(q) + KL(q || p(z|x))``; elbo.recon_minus_kl:
``L(q) = E_q log p(x|z) - KL(q || p(z))``; elbo.optimal_q: ``argmax_q L(q) = p(z|x)``, ``L(p(z|x)) = log p(x)``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from dgmcheck.theory import _validate as V
from dgmcheck.theory import quadrature

LOG_2PI = float(np.log(2.0 * np.pi))


# --------------------------------------------------------------------------- validation
def _gaussian(m: object, S: object, names: tuple[str, str], k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A Gaussian ``N(m, S)``: ``m`` (k,), ``S`` (k, k) symmetric positive definite."""
    m = V.array(m, names[0], ndim=1) if k is None else V.array(m, names[0], shape=(k,), match="W's columns")
    return m, V.square(S, names[1], n=len(m), positive_definite=True, match=names[0])


def _lg(W: object, b: object, psi: object, x: object) -> tuple[np.ndarray, ...]:
    """The linear-Gaussian model ``W (d, k)``, ``b (d,)``, ``ψ (d,) > 0`` and a point ``x (d,)``."""
    W = V.array(W, "W", ndim=2)
    d = W.shape[0]
    return (W, V.array(b, "b", shape=(d,), match="W's rows"),
            V.array(psi, "psi", shape=(d,), positive=True, match="W's rows"), V.array(x, "x", shape=(d,), match="W"))


def _discrete(prior: object, lik: object) -> tuple[np.ndarray, np.ndarray]:
    """The discrete model: ``π (K,)`` a law and ``T (K, V)`` whose rows are laws."""
    prior = V.law(prior, "prior")
    lik = V.law(lik, "lik", ndim=2)
    if lik.shape[0] != len(prior):
        raise ValueError(f"lik must have one row per latent state ({len(prior)}), got shape {lik.shape}")
    return prior, lik


def _symbol(x: object, lik: np.ndarray) -> int:
    return V.states(x, "x", lik.shape[1])


# --------------------------------------------------------------------------- Gaussian helpers
def gaussian_logpdf(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    """``log N(x; mean, cov)`` for one point (Cholesky)."""
    mean, cov = _gaussian(mean, cov, ("mean", "cov"))
    return _logpdf(V.array(x, "x", shape=mean.shape), mean, cov)


def _logpdf(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    L = np.linalg.cholesky(cov)
    r = np.linalg.solve(L, x - mean)
    return float(-0.5 * r @ r - np.log(np.diag(L)).sum() - 0.5 * len(r) * LOG_2PI)


def gaussian_kl(m1: np.ndarray, S1: np.ndarray, m2: np.ndarray, S2: np.ndarray) -> float:
    """``KL(N(m1, S1) || N(m2, S2)) = ½ [tr(S2⁻¹S1) + (m2-m1)ᵀS2⁻¹(m2-m1) - k + log det S2 - log det S1]``."""
    m1, S1 = _gaussian(m1, S1, ("m1", "S1"))
    m2, S2 = _gaussian(m2, S2, ("m2", "S2"), len(m1))
    return _kl(m1, S1, m2, S2)


def _kl(m1: np.ndarray, S1: np.ndarray, m2: np.ndarray, S2: np.ndarray) -> float:
    S2inv = np.linalg.inv(S2)
    dm = m2 - m1
    k = len(dm)
    return float(0.5 * (np.trace(S2inv @ S1) + dm @ S2inv @ dm - k
                        + np.linalg.slogdet(S2)[1] - np.linalg.slogdet(S1)[1]))


# --------------------------------------------------------------------------- linear-Gaussian model
def lg_log_marginal(W: np.ndarray, b: np.ndarray, psi: np.ndarray, x: np.ndarray) -> float:
    """``log p(x) = log N(x; b, W Wᵀ + diag ψ)``."""
    W, b, psi, x = _lg(W, b, psi, x)
    return _logpdf(x, b, W @ W.T + np.diag(psi))


def lg_posterior(W: np.ndarray, b: np.ndarray, psi: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``p(z|x) = N(Σ Wᵀ Ψ⁻¹ (x - b), Σ)``, ``Σ = (I + Wᵀ Ψ⁻¹ W)⁻¹``."""
    W, b, psi, x = _lg(W, b, psi, x)
    k = W.shape[1]
    Sigma = np.linalg.inv(np.eye(k) + W.T @ (W / psi[:, None]))
    return Sigma @ W.T @ ((x - b) / psi), Sigma


def lg_recon(W, b, psi, x, m, S) -> float:
    """``E_{N(m,S)} log p(x|z) = log N(x; W m + b, Ψ) - ½ tr(Ψ⁻¹ W S Wᵀ)``."""
    W, b, psi, x = _lg(W, b, psi, x)
    m, S = _gaussian(m, S, ("m", "S"), W.shape[1])
    return _recon(W, b, psi, x, m, S)


def _recon(W: np.ndarray, b: np.ndarray, psi: np.ndarray, x: np.ndarray, m: np.ndarray, S: np.ndarray) -> float:
    return _logpdf(x, W @ m + b, np.diag(psi)) - 0.5 * float(np.trace((W / psi[:, None]).T @ W @ S))


def lg_kl_prior(m: np.ndarray, S: np.ndarray) -> float:
    """``KL(N(m, S) || N(0, I))``."""
    m, S = _gaussian(m, S, ("m", "S"))
    k = len(m)
    return _kl(m, S, np.zeros(k), np.eye(k))


def lg_elbo(W, b, psi, x, m, S) -> float:
    """``L(q) = E_q log p(x|z) - KL(q || p(z))`` for ``q = N(m, S)`` (closed form)."""
    W, b, psi, x = _lg(W, b, psi, x)
    m, S = _gaussian(m, S, ("m", "S"), W.shape[1])
    k = len(m)
    return _recon(W, b, psi, x, m, S) - _kl(m, S, np.zeros(k), np.eye(k))


def lg_elbo_quadrature(W, b, psi, x, m, S, n: int = 4) -> float:
    """``L(q) = E_q [log p(x, z) - log q(z)]`` by tensor Gauss–Hermite quadrature over ``z = m + L ε``:
    the integrand is a quadratic polynomial in ε, so ``n ≥ 2`` nodes per axis are EXACT."""
    W, b, psi, x = _lg(W, b, psi, x)
    m, S = _gaussian(m, S, ("m", "S"), W.shape[1])
    L = np.linalg.cholesky(S)
    k = len(m)
    total = 0.0
    for eps, w in zip(*_rule(n, k), strict=True):
        z = m + L @ eps
        log_joint = _logpdf(x, W @ z + b, np.diag(psi)) + _logpdf(z, np.zeros(k), np.eye(k))
        total += float(w) * (log_joint - _logpdf(z, m, S))
    return total


def _rule(n: object, k: int, k_name: str = "the latent dimension k") -> tuple[np.ndarray, np.ndarray]:
    """The tensor Gauss–Hermite rule of ``n`` nodes per axis in ``k`` dimensions (``n**k`` nodes, bounded)."""
    n = V.count(n, "n", hi=quadrature.MAX_HERMITE_NODES)
    if k * np.log2(max(n, 1)) > np.log2(quadrature.MAX_NODES):
        raise ValueError(f"n = {n} nodes per axis in {k_name} = {k} make n**k nodes, over the limit "
                         f"MAX_NODES = {quadrature.MAX_NODES}; take a smaller n")
    return quadrature.normal(n, k)


# --------------------------------------------------------------------------- discrete model
def _xlogy_ratio(q: np.ndarray, log_p: np.ndarray) -> float:
    """``Σ_z q_z (log q_z - log p_z)`` with ``0 log 0 = 0``."""
    q = np.asarray(q, dtype=np.float64)
    mask = q > 0
    return float(np.sum(q[mask] * (np.log(q[mask]) - log_p[mask])))


def disc_log_joint(prior: np.ndarray, lik: np.ndarray, x: int) -> np.ndarray:
    """``log p(x, z) = log π_z + log T[z, x]`` for every z."""
    prior, lik = _discrete(prior, lik)
    return _log_joint(prior, lik, _symbol(x, lik))


def _log_joint(prior: np.ndarray, lik: np.ndarray, x: int) -> np.ndarray:
    with np.errstate(divide="ignore"):  # log 0 = -inf: a state that cannot have produced x
        return np.log(prior) + np.log(lik[:, x])


def disc_log_marginal(prior: np.ndarray, lik: np.ndarray, x: int) -> float:
    """``log p(x) = log Σ_z π_z T[z, x]`` by enumeration."""
    return float(logsumexp(disc_log_joint(prior, lik, x)))


def disc_posterior(prior: np.ndarray, lik: np.ndarray, x: int) -> np.ndarray:
    """``p(z|x) = π_z T[z, x] / p(x)``."""
    lj = disc_log_joint(prior, lik, x)
    return np.exp(lj - logsumexp(lj))


def disc_recon(lik: np.ndarray, x: int, q: np.ndarray) -> float:
    """``E_q log p(x|z) = Σ_z q_z log T[z, x]``."""
    lik = V.law(lik, "lik", ndim=2)
    x = _symbol(x, lik)
    q = V.matching(V.law(q, "q"), "q", lik[:, 0], "a column of lik")
    mask = q > 0
    return float(np.sum(q[mask] * np.log(lik[mask, x])))


def categorical_kl(q: np.ndarray, p: np.ndarray) -> float:
    """``KL(q || p) = Σ_z q_z log(q_z / p_z)`` (``0 log 0 = 0``; ``p_z = 0`` is read only where q_z = 0)."""
    q = V.law(q, "q")
    p = V.matching(V.law(p, "p"), "p", q, "q")
    return _categorical_kl(q, p)


def _categorical_kl(q: np.ndarray, p: np.ndarray) -> float:
    return _xlogy_ratio(q, np.log(np.where(p > 0, p, 1.0)) + np.where(p > 0, 0.0, -np.inf))


def disc_elbo(prior: np.ndarray, lik: np.ndarray, x: int, q: np.ndarray) -> float:
    """``L(q) = Σ_z q_z [log p(x, z) - log q_z]`` by enumeration."""
    prior, lik = _discrete(prior, lik)
    q = V.matching(V.law(q, "q"), "q", prior, "prior")
    return -_xlogy_ratio(q, _log_joint(prior, lik, _symbol(x, lik)))


# --------------------------------------------------------------------------- VAE pieces
def diag_gaussian_kl(mu_q, logvar_q, mu_p, logvar_p) -> np.ndarray:
    """vae.gaussian_kl: ``KL(N(μ_q, diag e^{lv_q}) || N(μ_p, diag e^{lv_p}))
    = ½ Σ_i [lv_p - lv_q + (e^{lv_q} + (μ_q - μ_p)²) e^{-lv_p} - 1]`` (log-VARIANCES), over the last axis."""
    mu_q = V.array(mu_q, "mu_q", min_ndim=1)
    logvar_q, mu_p, logvar_p = (V.matching(V.array(a, name), name, mu_q, "mu_q") for a, name in
                                ((logvar_q, "logvar_q"), (mu_p, "mu_p"), (logvar_p, "logvar_p")))
    return 0.5 * np.sum(logvar_p - logvar_q + (np.exp(logvar_q) + (mu_q - mu_p) ** 2) * np.exp(-logvar_p) - 1.0, -1)


def gauss_hermite_expectation(fn, k: int, n: int) -> np.ndarray:
    """``E_{ε~N(0, I_k)} fn(ε)`` by the tensor Gauss–Hermite rule with ``n`` nodes per axis: exact
    for polynomials of degree ≤ 2n-1 in each coordinate. ``fn`` maps ``(N, k)`` nodes to ``(N, ...)``."""
    V.function(fn, "fn")
    eps, w = _rule(n, V.count(k, "k"), "k")
    values = np.asarray(fn(eps), dtype=np.float64)
    return np.tensordot(w, values, axes=(0, 0))


def quadratic_expectation_grad(a: np.ndarray, B: np.ndarray, mu: np.ndarray,
                               logvar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """vae.reparametrization: for ``f(z) = aᵀz + zᵀBz`` and ``q = N(μ, diag e^{lv})``,
    ``E_q f = aᵀμ + μᵀBμ + Σ_i B_ii e^{lv_i}``, so ``∇_μ E_q f = a + (B + Bᵀ)μ`` and
    ``∇_{lv} E_q f = diag(B) ⊙ e^{lv}`` (the exact gradient the pathwise estimator must average to)."""
    mu = V.array(mu, "mu", ndim=1)
    k = len(mu)
    a, logvar = V.array(a, "a", shape=(k,)), V.array(logvar, "logvar", shape=(k,))
    B = V.square(B, "B", n=k)
    return a + (B + B.T) @ mu, np.diag(B) * np.exp(logvar)


def entropy(p: np.ndarray) -> float:
    """``H(p) = -Σ p log p`` (``0 log 0 = 0``)."""
    p = V.law(p, "p")
    mask = p > 0
    return float(-np.sum(p[mask] * np.log(p[mask])))


def empirical(data: np.ndarray, K: int) -> np.ndarray:
    """The empirical law ``p̂(k) = #{i: x_i = k} / n``."""
    K = V.count(K, "K")
    data = V.integers(data, "data", lo=0, hi=K - 1, ndim=1)
    return np.bincount(data, minlength=K) / len(data)


def forward_kl_from_nll(nll: float, data: np.ndarray, K: int) -> float:
    """divergence.forward_kl_is_mle: ``KL(p̂ || p_θ) = -(1/n) Σ_i log p_θ(x_i) - H(p̂)``: the average
    negative log-likelihood minus a constant of the data, so argmin_θ KL = argmax_θ likelihood."""
    nll = V.real(nll, "nll")
    return float(nll - entropy(empirical(data, K)))


# --------------------------------------------------------------------------- ELBO surgery
def elbo_surgery(q: np.ndarray, prior: np.ndarray) -> dict[str, float]:
    """elbo.surgery by enumeration for encoder rows ``q[i] = q(z|x_i)`` (``(n, K)``) and ``p(z)``:
    ``(1/n) Σ_i KL(q_i || p) = KL(q_agg || p) + I_q[x, z]``, ``q_agg = (1/n) Σ_i q_i``,
    ``I_q[x, z] = (1/n) Σ_i KL(q_i || q_agg)`` (the mutual information of (index i, z))."""
    q = V.law(q, "q", ndim=2)
    prior = V.law(prior, "prior")
    if prior.shape != q.shape[1:]:
        raise ValueError(f"prior must have shape {q.shape[1:]}, one mass per latent state of q, got {prior.shape}")
    agg = q.mean(0)
    return {"average_kl": float(np.mean([_categorical_kl(r, prior) for r in q])),
            "marginal_kl": _categorical_kl(agg, prior),
            "mutual_information": float(np.mean([_categorical_kl(r, agg) for r in q])),
            "aggregated": agg}


def average_elbo(q: np.ndarray, prior: np.ndarray, lik: np.ndarray, x: np.ndarray) -> float:
    """``(1/n) Σ_i L(x_i)`` of the discrete model ``(prior, lik)`` with encoder rows ``q[i]``."""
    prior, lik = _discrete(prior, lik)
    q = V.law(q, "q", ndim=2)
    if q.shape[1] != len(prior):
        raise ValueError(f"q must have one column per latent state ({len(prior)}), got shape {q.shape}")
    x = V.integers(x, "x", lo=0, hi=lik.shape[1] - 1, ndim=1)
    if len(x) != len(q):
        raise ValueError(f"x must hold one symbol per row of q ({len(q)}), got {len(x)}")
    return float(np.mean([-_xlogy_ratio(qi, _log_joint(prior, lik, int(xi))) for xi, qi in zip(x, q, strict=True)]))


# --------------------------------------------------------------------------- flow prior
def linear_flow_prior(A: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """vae.flow_prior: the prior ``p_λ(z) = N(A z + c; 0, I) |det A|`` of the linear flow
    ``z* = A z + c`` is the Gaussian ``N(-A⁻¹c, (AᵀA)⁻¹)`` (a normalized density)."""
    A = V.square(A, "A")
    c = V.array(c, "c", shape=(len(A),))
    if np.linalg.matrix_rank(A) < len(A):
        raise ValueError("A must be invertible (a flow is a bijection)")
    Ainv = np.linalg.inv(A)
    return -Ainv @ c, Ainv @ Ainv.T


def lg_elbo_general_prior(W, b, psi, x, m, S, m0, S0) -> float:
    """``L(q) = E_q log p(x|z) - KL(q || N(m0, S0))`` for ``q = N(m, S)``."""
    W, b, psi, x = _lg(W, b, psi, x)
    m, S = _gaussian(m, S, ("m", "S"), W.shape[1])
    m0, S0 = _gaussian(m0, S0, ("m0", "S0"), W.shape[1])
    return _recon(W, b, psi, x, m, S) - _kl(m, S, m0, S0)


def lg_log_marginal_general_prior(W, b, psi, x, m0, S0) -> float:
    """``log p(x) = log N(x; W m0 + b, W S0 Wᵀ + diag ψ)``."""
    W, b, psi, x = _lg(W, b, psi, x)
    m0, S0 = _gaussian(m0, S0, ("m0", "S0"), W.shape[1])
    return _logpdf(x, W @ m0 + b, W @ S0 @ W.T + np.diag(psi))


# --------------------------------------------------------------------------- a flow as a VAE
def flow_as_vae_elbo(log_p_flow: float, k: int, sigma: float) -> float:
    """vae.nf_as_vae: for the linear flow ``z = W x + b`` with encoder ``q_σ(z|x) = N(Wx + b, σ² I)``
    and decoder ``p_σ(x|z) = N(W⁻¹(z - b), σ² W⁻¹W⁻ᵀ)`` (the encoder's noise pulled back), the
    ELBO is ``log p_flow(x) - k σ²/2`` (the decoder/encoder ratio is exactly ``|det W|`` and
    ``E|z|² = |Wx + b|² + kσ²``), so as ``σ → 0`` (the δ encoder/decoder of 000 L3 "VAE vs
    Normalizing Flows") the ELBO tends to the flow's log-likelihood."""
    log_p_flow, k = V.real(log_p_flow, "log_p_flow"), V.count(k, "k")
    sigma = V.real(sigma, "sigma", lo=0.0, closed="lo")
    return float(log_p_flow - 0.5 * k * sigma**2)
