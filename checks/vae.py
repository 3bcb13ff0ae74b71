"""Checks of the VAE pieces and of the KL facts: the diagonal-Gaussian KL, the reparametrization
(pathwise) gradient, the one-sample ELBO estimator, KL ≥ 0 and forward KL = MLE.

A candidate exposes any of: ``gaussian_kl(mu_q, logvar_q, mu_p, logvar_p)`` (log-VARIANCES, summed
over the last axis), ``categorical_kl(q, p)``, ``rsample(mu, logvar, eps)``, ``encode(x) -> (mu,
logvar)`` with ``elbo_estimate(x, eps)`` and decoder parameters ``W, b, noise_var`` (a linear-Gaussian
decoder, so the estimator's expectation is exact), ``log_prob(x)`` with ``probs`` (a categorical model;
optionally ``fit(x, K)``). A module of functions (``dgmcheck.impl.vae``) is a candidate too.

Expectations over ``ε ~ N(0, I)`` are computed EXACTLY by Gauss–Hermite quadrature: every integrand
here is a polynomial of degree ≤ 2 in ε, and 3 nodes per axis integrate degree ≤ 5 exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks.strategies import Case
from dgmcheck.checks.tolerances import Tolerance, exact
from dgmcheck.theory import latent as th
from dgmcheck.theory import quadrature

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('vae')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED: tuple[str, ...] = ()
GH_NODES = 3


@dataclass(frozen=True)
class VAECase(Case):
    k: int
    mu_q: np.ndarray  # (B, k)
    logvar_q: np.ndarray
    mu_p: np.ndarray
    logvar_p: np.ndarray
    q: np.ndarray  # (B, K) with zeros
    p: np.ndarray  # (B, K) positive
    a: np.ndarray  # (k,)  f(z) = aᵀz + zᵀBz
    B: np.ndarray  # (k, k)
    x: np.ndarray | None  # (B, d) observations for the ELBO estimator
    data: np.ndarray  # (n,) symbols for forward KL


@st.composite
def vae_cases(draw: st.DrawFn, *, k: int | None, d: int | None, K: int, dtype: Any, device: Any = "cpu") -> VAECase:
    k = k if k is not None else draw(st.integers(1, 3))
    Kq = draw(st.integers(2, 5))
    nb = draw(st.integers(2, 4))  # ≥ 2 encoder rows for the surgery / optimal-prior checks
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    spread = draw(st.sampled_from([0.1, 1.0, 3.0]))
    mu_q, mu_p = rng.normal(size=(nb, k)) * spread, rng.normal(size=(nb, k)) * spread
    logvar_q, logvar_p = rng.uniform(-4, 3, (nb, k)), rng.uniform(-4, 3, (nb, k))
    q = rng.random((nb, Kq)) * (rng.random((nb, Kq)) > 0.3)
    q[np.arange(nb), rng.integers(0, Kq, nb)] += 0.1
    p = rng.random((nb, Kq)) + 1e-3
    x = None if d is None else rng.normal(size=(nb, d)) * spread
    data = rng.integers(0, K, size=draw(st.integers(1, 30)))
    return VAECase(k, mu_q, logvar_q, mu_p, logvar_p, q / q.sum(-1, keepdims=True), p / p.sum(-1, keepdims=True),
                   rng.normal(size=k), rng.normal(size=(k, k)), x, data, dtype=dtype, device=device,
                   extra={"seed": seed})


def _close(theorem: str, observed: Any, expected: Any, what: str, tol: Tolerance, case: VAECase,
           scale: Any = None, **more: Any) -> None:
    inputs = {"seed": case.extra.get("seed"), "dtype": str(case.dtype), "device": str(case.device), **more}
    assert_close(observed, expected, theorem=theorem, slide=SLIDES[theorem], what=what, tol=tol, scale=scale,
                 inputs=inputs)


def _tol(case: VAECase, cond: Any, tol: Tolerance | None) -> Tolerance:
    return tol if tol is not None else exact(case.dtype, cond)


def _kl_scale(case: VAECase) -> np.ndarray:
    """Σ of the magnitudes of the KL's terms; each exp carries a relative error |exponent|·eps."""
    r = np.exp(case.logvar_q - case.logvar_p) * (1 + np.abs(case.logvar_q - case.logvar_p))
    m = (case.mu_q - case.mu_p) ** 2 * np.exp(-case.logvar_p) * (1 + np.abs(case.logvar_p))
    return 0.5 * np.sum(np.abs(case.logvar_q) + np.abs(case.logvar_p) + r + m + 1.0, -1)


def _gh_grid(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor Gauss–Hermite nodes ``(N, k)`` and weights ``(N,)`` for ``E_{ε~N(0, I_k)}``."""
    return quadrature.normal(GH_NODES, k)


# --------------------------------------------------------------------------- properties
def check_gaussian_kl(candidate: Any, case: VAECase, *, tol: Tolerance | None = None) -> None:
    """vae.gaussian_kl: ``KL(N(μ_q, diag σ_q²) || N(μ_p, diag σ_p²)) = ½ Σ [log σ_p² - log σ_q² +
    (σ_q² + (μ_q - μ_p)²)/σ_p² - 1]`` with the arguments LOG-VARIANCES."""
    t = case.tensor
    got = candidate.gaussian_kl(t(case.mu_q), t(case.logvar_q), t(case.mu_p), t(case.logvar_p))
    expected = th.diag_gaussian_kl(case.mu_q, case.logvar_q, case.mu_p, case.logvar_p)
    _close("vae.gaussian_kl", got, expected, "KL of diagonal Gaussians (log-variances)",
           _tol(case, 4 * case.k, tol), case, scale=_kl_scale(case),
           mu_q=case.mu_q.tolist(), logvar_q=case.logvar_q.tolist(), mu_p=case.mu_p.tolist(),
           logvar_p=case.logvar_p.tolist())


def check_kl_nonnegative(candidate: Any, case: VAECase, *, tol: Tolerance | None = None) -> None:
    """divergence.kl_nonnegative: ``KL(q || p) ≥ 0`` with equality iff ``q = p`` (the value is the
    exact KL; at ``q = p`` it is 0), for the categorical and/or Gaussian KL the candidate provides."""
    t = case.tensor
    if callable(getattr(candidate, "categorical_kl", None)):
        K = case.q.shape[-1]
        expected = np.array([th.categorical_kl(q, p) for q, p in zip(case.q, case.p, strict=True)])
        assert np.all(expected >= 0)
        # Σ q log q - Σ q log p: each log rounds relative to |log p| (≤ log(1/min p))
        scale = 1.0 + np.sum(case.q * np.abs(np.log(case.p)), -1)
        tol_ = _tol(case, 4 * K, tol)
        _close("divergence.kl_nonnegative", candidate.categorical_kl(t(case.q), t(case.p)), expected,
               "KL(q || p) = Σ q log(q/p) ≥ 0", tol_, case, scale=scale, q=case.q.tolist(), p=case.p.tolist())
        _close("divergence.kl_nonnegative", candidate.categorical_kl(t(case.p), t(case.p)), 0.0,
               "KL(p || p) = 0", tol_, case, scale=1.0 + np.sum(case.p * np.abs(np.log(case.p)), -1), p=case.p.tolist())
    if callable(getattr(candidate, "gaussian_kl", None)):
        mq, lq, mp, lp = (t(a) for a in (case.mu_q, case.logvar_q, case.mu_p, case.logvar_p))
        expected = th.diag_gaussian_kl(case.mu_q, case.logvar_q, case.mu_p, case.logvar_p)
        tol_ = _tol(case, 4 * case.k, tol)
        _close("divergence.kl_nonnegative", candidate.gaussian_kl(mq, lq, mp, lp), expected,
               "KL(N_q || N_p) ≥ 0 (exact value)", tol_, case, scale=_kl_scale(case))
        _close("divergence.kl_nonnegative", candidate.gaussian_kl(mq, lq, mq, lq), 0.0, "KL(N_q || N_q) = 0",
               tol_, case, scale=case.k * (1.0 + np.abs(case.logvar_q).sum(-1)))


def check_reparametrization(candidate: Any, case: VAECase, *, tol: Tolerance | None = None) -> None:
    """vae.reparametrization: ``z = μ + σ ⊙ ε`` has law ``N(μ, diag σ²)`` and the pathwise gradient is
    unbiased: ``E_ε ∇_{μ, log σ²} f(g(ε)) = ∇_{μ, log σ²} E_q f`` for ``f(z) = aᵀz + zᵀBz`` (exact
    gradient in closed form; the expectation of the estimator by Gauss–Hermite, exact here)."""
    import torch

    k = case.k
    mu0, lv0 = case.mu_q[0], case.logvar_q[0]
    eps, w = _gh_grid(k)
    mu = case.tensor(mu0).requires_grad_(True)
    lv = case.tensor(lv0).requires_grad_(True)
    z = candidate.rsample(mu.expand(len(eps), k), lv.expand(len(eps), k), case.tensor(eps))
    a, B, wt = case.tensor(case.a), case.tensor(case.B), case.tensor(w)
    f = z @ a + torch.einsum("ni,ij,nj->n", z, B, z)
    # a candidate whose z does not depend on log σ² (or μ) has a zero pathwise gradient there
    g_mu, g_lv = (torch.zeros_like(t) if g is None else g
                  for g, t in zip(torch.autograd.grad((wt * f).sum(), (mu, lv), allow_unused=True), (mu, lv),
                                  strict=True))
    e_mu, e_lv = th.quadratic_expectation_grad(case.a, case.B, mu0, lv0)
    sd = np.exp(lv0 / 2)
    zmag = np.abs(mu0) + 2 * sd  # |z| over the nodes (|ε| ≤ √3)
    bmag = np.abs(case.B).sum()
    scale_mu = np.abs(case.a) + 2 * bmag * zmag.max()
    scale_lv = (1 + np.abs(lv0)) * sd * (np.abs(case.a) + 2 * bmag * zmag.max())
    inputs = {"mu": mu0.tolist(), "logvar": lv0.tolist(), "a": case.a.tolist(), "B": case.B.tolist()}
    _close("vae.reparametrization", to_numpy(z).T @ w, mu0, "E_ε g(ε) = μ", _tol(case, 4 * k, tol), case,
           scale=zmag, **inputs)
    _close("vae.reparametrization", ((to_numpy(z) - mu0) ** 2).T @ w, np.exp(lv0), "Var_ε g(ε) = σ² = exp(log σ²)",
           _tol(case, 4 * k * (1 + np.abs(lv0)), tol), case, scale=zmag**2, **inputs)
    _close("vae.reparametrization", g_mu, e_mu, "E_ε ∇_μ f(μ + σε) = ∇_μ E_q f", _tol(case, 8 * k, tol), case,
           scale=scale_mu, **inputs)
    _close("vae.reparametrization", g_lv, e_lv, "E_ε ∇_{log σ²} f(μ + σε) = ∇_{log σ²} E_q f",
           _tol(case, 8 * k, tol), case, scale=scale_lv, **inputs)


def check_elbo_estimator(candidate: Any, case: VAECase, *, tol: Tolerance | None = None) -> None:
    """vae.elbo_estimator: the one-sample estimator ``log p(x | μ_φ(x) + σ_φ(x) ⊙ ε) - KL(q_φ(z|x) || N(0, I))``
    is unbiased: its expectation over ε is the exact ELBO of ``q_φ(z|x) = N(μ_φ(x), diag σ²_φ(x))``."""
    W, b, psi = (to_numpy(getattr(candidate, n)) for n in ("W", "b", "noise_var"))
    k = W.shape[1]
    eps, w = _gh_grid(k)
    mu, lv = (to_numpy(t) for t in candidate.encode(case.tensor(case.x)))
    got, expected, mags = [], [], []
    for i, xi in enumerate(case.x):
        X = case.tensor(np.repeat(xi[None], len(eps), 0))
        est = to_numpy(candidate.elbo_estimate(X, case.tensor(eps)))
        got.append(est @ w)
        S = np.diag(np.exp(lv[i]))
        recon, kl = th.lg_recon(W, b, psi, xi, mu[i], S), th.lg_kl_prior(mu[i], S)
        expected.append(recon - kl)
        mags.append(1.0 + np.abs(est).max() + abs(recon) + abs(kl) * (1 + np.abs(lv[i]).max()))
    C = W.T @ (W / psi[:, None])
    _close("vae.elbo_estimator", np.array(got), np.array(expected), "E_ε[log p(x|g_φ(x, ε)) - KL] = ELBO",
           _tol(case, 4 * (W.size + k) * (1 + np.linalg.norm(C)), tol), case, scale=np.array(mags),
           x=case.x.tolist())


def check_forward_kl_is_mle(candidate: Any, case: VAECase, *, tol: Tolerance | None = None) -> None:
    """divergence.forward_kl_is_mle: ``KL(p̂ || p_θ) = -(1/n) Σ log p_θ(x_i) - H(p̂)`` (p̂ the empirical
    law), so minimizing the forward KL maximizes the likelihood; with ``fit``: the MLE is ``p̂`` and
    attains ``KL = 0``."""
    import torch

    probs = to_numpy(candidate.probs)
    K = len(probs)
    data = torch.as_tensor(case.data, dtype=torch.long, device=case.device)
    nll = -float(to_numpy(candidate.log_prob(data)).mean())
    p_hat = th.empirical(case.data, K)
    kl = th.categorical_kl(p_hat, probs / probs.sum())
    scale = 1.0 + np.sum(p_hat * np.abs(np.log(probs))) + th.entropy(p_hat)
    _close("divergence.forward_kl_is_mle", th.forward_kl_from_nll(nll, case.data, K), kl,
           "KL(p̂ || p_θ) = NLL(θ) - H(p̂)", _tol(case, 4 * K, tol), case, scale=scale, data=case.data.tolist(),
           probs=probs.tolist())
    if callable(getattr(candidate, "fit", None)):
        fitted = to_numpy(type(candidate).fit(data, K).probs)
        _close("divergence.forward_kl_is_mle", fitted, p_hat, "the MLE (argmin of the forward KL) is p̂",
               _tol(case, 4 * K, tol), case, data=case.data.tolist())


def check_surgery(candidate: Any, case: VAECase, *, tol: Tolerance | None = None) -> None:
    """elbo.surgery: for encoder rows ``q_i = q(z|x_i)`` (the case's ``q``) and a prior p,
    ``(1/n) Σ KL(q_i || p) = KL(q_agg || p) + I_q[x, z]`` with ``I_q = (1/n) Σ KL(q_i || q_agg)``."""
    prior = case.p[0]
    o = th.elbo_surgery(case.q, prior)
    got = candidate.elbo_surgery(case.tensor(case.q), case.tensor(prior))
    K = case.q.shape[-1]
    # every term is Σ q |log q| + Σ q |log p|-sized; the logs round relative to their magnitude
    scale = 1.0 + np.mean(np.sum(case.q * np.abs(np.log(np.where(case.q > 0, case.q, 1.0))), -1)) \
        + np.sum(o["aggregated"] * np.abs(np.log(prior))) + np.abs(np.log(o["aggregated"][o["aggregated"] > 0])).max()
    tol_ = _tol(case, 4 * K * len(case.q), tol)
    for key in ("average_kl", "marginal_kl", "mutual_information"):
        _close("elbo.surgery", got[key], o[key], key.replace("_", " "), tol_, case, scale=scale,
               q=case.q.tolist(), prior=prior.tolist())
    _close("elbo.surgery", to_numpy(got["marginal_kl"]) + to_numpy(got["mutual_information"]), o["average_kl"],
           "(1/n) Σ KL(q_i || p) = KL(q_agg || p) + I_q[x, z]", tol_, case, scale=scale)


def check_optimal_prior(candidate: Any, case: VAECase, *, tol: Tolerance | None = None) -> None:
    """elbo.optimal_prior: ``optimal_prior(q) = q_agg = (1/n) Σ_i q(z|x_i)`` and, for any decoder and
    any prior p, ``avg ELBO(q_agg) - avg ELBO(p) = KL(q_agg || p) ≥ 0`` (enumeration)."""
    got = candidate.optimal_prior(case.tensor(case.q))
    agg = case.q.mean(0)
    K, n = case.q.shape[-1], len(case.q)
    _close("elbo.optimal_prior", got, agg, "optimal prior = aggregated posterior (1/n) Σ q(z|x_i)",
           _tol(case, 4 * n, tol), case, q=case.q.tolist())
    rng = np.random.default_rng(case.extra["seed"])
    V = 3
    lik = rng.dirichlet(np.ones(V), size=K)
    x = rng.integers(0, V, size=n)
    # the candidate's prior; a code no row uses (q_agg = 0) never enters an ELBO (0 log 0 = 0)
    p_star = np.maximum(to_numpy(got), 1e-300)
    for p in case.p:
        gap = th.average_elbo(case.q, p_star, lik, x) - th.average_elbo(case.q, p, lik, x)
        _close("elbo.optimal_prior", gap, th.categorical_kl(agg, p),
               "avg ELBO(q_agg) - avg ELBO(p) = KL(q_agg || p) ≥ 0", _tol(case, 4 * K * n, tol), case,
               scale=1.0 + np.sum(agg * np.abs(np.log(p))) + np.abs(np.log(lik)).max(), prior=p.tolist())


def check_flow_prior(candidate: Any, case: VAECase, *, tol: Tolerance | None = None) -> None:
    """vae.flow_prior: with a linear flow prior ``z* = A z + c``, ``p_λ(z) = N(Az + c) |det A|`` is the
    normalized Gaussian ``N(-A⁻¹c, (AᵀA)⁻¹)``, and the reparametrized estimator
    ``log p(x|z) + log p_λ(z) - log q(z|x)`` has expectation the exact ELBO ``≤ log p(x)``."""
    flow = candidate.prior_flow
    A = to_numpy(flow.weight())
    k = A.shape[0]
    c = to_numpy(flow.forward(case.tensor(np.zeros((1, k))))[0])[0]
    m0, S0 = th.linear_flow_prior(A, c)
    z = case.mu_q
    got = to_numpy(candidate.prior_log_prob(case.tensor(z)))
    expected = np.array([th.gaussian_logpdf(zi, m0, S0) for zi in z])
    kappa = float(np.linalg.cond(A))
    r = np.abs(z) @ np.abs(A).T + np.abs(c)
    _close("vae.flow_prior", got, expected, "log p_λ(z) = log N(Az + c) + log|det A| (a normalized density)",
           _tol(case, 4 * k * kappa, tol), case, scale=1.0 + 0.5 * (r**2).sum(-1) + k + np.abs(expected),
           A=A.tolist(), c=c.tolist())
    W, b, psi = (to_numpy(getattr(candidate, n)) for n in ("W", "b", "noise_var"))
    eps, w = _gh_grid(k)
    mu, lv = (to_numpy(t) for t in candidate.encode(case.tensor(case.x)))
    for i, xi in enumerate(case.x):
        X = case.tensor(np.repeat(xi[None], len(eps), 0))
        est = to_numpy(candidate.elbo_estimate(X, case.tensor(eps)))
        S = np.diag(np.exp(lv[i]))
        elbo = th.lg_elbo_general_prior(W, b, psi, xi, mu[i], S, m0, S0)
        lp = th.lg_log_marginal_general_prior(W, b, psi, xi, m0, S0)
        mag = 1.0 + np.abs(est).max() * (1 + np.abs(lv[i]).max()) + abs(elbo)
        C = W.T @ (W / psi[:, None]) + np.linalg.inv(S0)
        tol_ = _tol(case, 4 * (W.size + k) * (1 + np.linalg.norm(C)) * kappa, tol)
        _close("vae.flow_prior", est @ w, elbo, "E_ε[log p(x|z) + log p_λ(z) - log q(z|x)] = ELBO", tol_, case,
               scale=mag, x=xi.tolist())
        if not elbo <= lp + 1e-12 * (1 + abs(lp)):
            raise AssertionError(f"oracle inconsistency: ELBO {elbo} > log p(x) {lp}")


def check_nf_as_vae(candidate: Any, case: VAECase, *, tol: Tolerance | None = None) -> None:
    """vae.nf_as_vae: a linear flow as a VAE with ``q_σ(z|x) = N(f(x), σ²I)``,
    ``p_σ(x|z) = N(f⁻¹(z), σ² J⁻¹J⁻ᵀ)`` has ``ELBO_σ(x) = log p_flow(x) - kσ²/2`` (the estimator's
    expectation by Gauss–Hermite, exact: the integrand is quadratic in ε) → the flow's MLE objective."""
    flow, sigma = candidate.flow, float(candidate.sigma)
    W = to_numpy(flow.weight())
    k = W.shape[0]
    x = case.tensor(case.x)
    z, log_det = flow.forward(x)
    z, log_det = to_numpy(z), to_numpy(log_det)
    from dgmcheck.theory import flows as thf

    log_p = thf.flow_log_density(z, thf.log_abs_det(W))
    eps, w = _gh_grid(k)
    kappa = float(np.linalg.cond(W))
    for i, xi in enumerate(case.x):
        X = case.tensor(np.repeat(xi[None], len(eps), 0))
        est = to_numpy(candidate.elbo_estimate(X, case.tensor(eps)))
        expected = th.flow_as_vae_elbo(float(log_p[i]), k, sigma)
        # x - f⁻¹(f(x) + σε) is O(σ) formed from O(|x|) terms, then divided by σ²: relative
        # amplification κ(W)·|x|/σ on a term of size |ε|²
        amp = kappa * (1 + np.abs(xi).max() + np.abs(z[i]).max()) / sigma
        scale = 1.0 + np.abs(est).max() + abs(expected) + 3 * k * amp**2
        _close("vae.nf_as_vae", est @ w, expected, "E_ε ELBO_σ = log p_flow(x) - kσ²/2",
               _tol(case, 8 * k * kappa, tol), case, scale=scale, x=xi.tolist(), sigma=sigma)


# --------------------------------------------------------------------------- verify
@dataclass(frozen=True)
class Property(_verify.Property):
    any_of: tuple[str, ...] = ()


PROPERTIES: tuple[Property, ...] = (
    Property("gaussian_kl", "vae.gaussian_kl", check_gaussian_kl, ("gaussian_kl",)),
    Property("kl_nonnegative", "divergence.kl_nonnegative", check_kl_nonnegative, (),
             ("gaussian_kl", "categorical_kl")),
    Property("reparametrization", "vae.reparametrization", check_reparametrization, ("rsample",)),
    Property("elbo_estimator", "vae.elbo_estimator", check_elbo_estimator, ("encode", "elbo_estimate", "W")),
    Property("forward_kl_is_mle", "divergence.forward_kl_is_mle", check_forward_kl_is_mle, ("log_prob", "probs")),
    Property("surgery", "elbo.surgery", check_surgery, ("elbo_surgery",)),
    Property("optimal_prior", "elbo.optimal_prior", check_optimal_prior, ("optimal_prior",)),
    Property("flow_prior", "vae.flow_prior", check_flow_prior, ("prior_log_prob", "prior_flow", "encode", "W")),
    Property("nf_as_vae", "vae.nf_as_vae", check_nf_as_vae, ("flow", "sigma", "elbo_estimate")),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


def _missing(prop: Property, candidate: Any) -> str | None:
    missing = [r for r in prop.requires if getattr(candidate, r, None) is None]
    if missing:
        return f"needs {', '.join(missing)}"
    if prop.any_of and not any(callable(getattr(candidate, m, None)) for m in prop.any_of):
        return f"needs one of {', '.join(prop.any_of)}"
    if prop.name == "elbo_estimator" and (getattr(candidate, "prior_flow", None) is not None
                                          or getattr(candidate, "flow", None) is not None):
        return "needs the N(0, I) prior; a flow prior is checked by flow_prior"
    return None


class VerifyReport(_verify.VerifyReport):
    concept = "vae"


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any) -> VerifyReport:
    """Run every VAE / KL property the candidate supports under Hypothesis; raises
    ``TheoremViolation`` on the first that fails."""
    W = getattr(candidate, "W", None)
    k, d = (None, None) if W is None else (int(W.shape[1]), int(W.shape[0]))
    if W is None and getattr(candidate, "flow", None) is not None:
        d = int(candidate.flow.dim)
    probs = getattr(candidate, "probs", None)
    K = 4 if probs is None or callable(probs) else int(probs.shape[-1])
    return run.properties(lambda _prop: vae_cases(k=k, d=d, K=K, dtype=run.dtype, device=run.device),
                          lacks=lambda prop: _missing(prop, candidate), provides="VAE / KL methods")
