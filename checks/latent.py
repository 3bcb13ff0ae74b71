"""Checks of the ELBO identities on latent variable models with exact answers
(``dgmcheck.theory.latent``): the linear-Gaussian model (probabilistic PCA) and small discrete models.

A candidate exposes its parameters — ``W (d, k)``, ``b (d,)``, ``noise_var (d,)`` for
``p(z) = N(0, I)``, ``p(x|z) = N(Wz + b, diag ψ)``; or ``prior (K,)`` and ``likelihood (K, V)`` for
a discrete model — and any of ``log_marginal(x)``, ``posterior(x)``, ``recon(x, q)``,
``kl_prior(q)``, ``elbo(x, q)``. Gaussian ``q`` is ``(mean (B, k), cov (B, k, k))``, discrete ``q`` a
``(B, K)`` probability table; discrete ``x`` is a long tensor of symbols.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks._verify import Property
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.strategies import Case
from dgmcheck.checks.tolerances import Tolerance, exact
from dgmcheck.theory import latent as th

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('latent')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED: tuple[str, ...] = ()


@dataclass(frozen=True)
class LatentCase(Case):
    """Observations ``x`` and variational laws ``q`` (float64 numpy), shared by all properties."""

    x: np.ndarray  # (B, d) floats or (B,) symbols
    q_mean: np.ndarray | None  # (B, k)
    q_cov: np.ndarray | None  # (B, k, k)
    q_probs: np.ndarray | None  # (B, K), with exact zeros

    def x_tensor(self):
        import torch

        if self.q_probs is not None:
            return torch.as_tensor(self.x, dtype=torch.long, device=self.device)
        return self.tensor(self.x)

    def q(self):
        if self.q_probs is not None:
            return self.tensor(self.q_probs)
        return self.tensor(self.q_mean), self.tensor(self.q_cov)


def _kind(candidate: Any) -> str:
    if all(getattr(candidate, a, None) is not None for a in ("W", "b", "noise_var")):
        return "gaussian"
    if all(getattr(candidate, a, None) is not None for a in ("prior", "likelihood")):
        return "discrete"
    raise TypeError(f"candidate must expose W, b, noise_var (linear-Gaussian) or prior, likelihood "
                    f"(discrete); {type(candidate).__name__} has neither")


def params(candidate: Any) -> dict[str, np.ndarray]:
    kind = _kind(candidate)
    if kind == "gaussian":
        p = {"W": to_numpy(candidate.W), "b": to_numpy(candidate.b), "psi": to_numpy(candidate.noise_var)}
        if p["W"].ndim != 2 or np.any(p["psi"] <= 0):
            raise ValueError("candidate.W must be (d, k) and candidate.noise_var positive")
        return p
    prior, lik = to_numpy(candidate.prior), to_numpy(candidate.likelihood)
    # the float64 laws nearest the candidate's (a float32 row sums to 1 ± ulps)
    return {"prior": prior / prior.sum(), "lik": lik / lik.sum(-1, keepdims=True)}


@st.composite
def latent_cases(draw: st.DrawFn, p: dict[str, np.ndarray], *, dtype: Any, device: Any = "cpu",
                 max_batch: int = 3) -> LatentCase:
    B = draw(st.integers(1, max_batch))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    if "W" in p:
        W, b, psi = p["W"], p["b"], p["psi"]
        d, k = W.shape
        spread = draw(st.sampled_from([0.3, 1.0, 3.0]))
        x = b + rng.normal(size=(B, k)) @ W.T * spread + rng.normal(size=(B, d)) * np.sqrt(psi)
        A = rng.normal(size=(B, k, k)) * draw(st.sampled_from([0.1, 0.5, 1.5]))
        cov = A @ np.swapaxes(A, -1, -2) + 0.05 * np.eye(k)
        mean = rng.normal(size=(B, k)) * spread
        return LatentCase(x, mean, cov, None, dtype=dtype, device=device, extra={"seed": seed})
    K, V = p["lik"].shape
    x = rng.integers(0, V, size=B)
    q = rng.random((B, K)) * (rng.random((B, K)) > 0.3)
    q[np.arange(B), rng.integers(0, K, B)] += 0.1
    return LatentCase(x, None, None, q / q.sum(-1, keepdims=True), dtype=dtype, device=device,
                      extra={"seed": seed})


# --------------------------------------------------------------------------- oracle per row
def oracle(p: dict[str, np.ndarray], case: LatentCase) -> dict[str, np.ndarray]:
    """Every exact quantity per row, and ``cond``: the first-order relative error amplification."""
    rows: dict[str, list] = {k: [] for k in ("lp", "elbo", "elbo_direct", "recon", "kl", "kl_post", "post",
                                             "post_cov", "cond", "mag")}
    for i in range(len(case.x)):
        if "W" in p:
            W, b, psi = p["W"], p["b"], p["psi"]
            x, m, S = case.x[i], case.q_mean[i], case.q_cov[i]
            pm, pS = th.lg_posterior(W, b, psi, x)
            lp, recon, kl = th.lg_log_marginal(W, b, psi, x), th.lg_recon(W, b, psi, x, m, S), th.lg_kl_prior(m, S)
            rows["elbo_direct"].append(th.lg_elbo_quadrature(W, b, psi, x, m, S, n=3))
            rows["kl_post"].append(th.gaussian_kl(m, S, pm, pS))
            rows["post"].append(pm)
            rows["post_cov"].append(pS)
            C = W @ W.T + np.diag(psi)
            # Cholesky solves/log-dets of C (d×d), S and the posterior precision (k×k): error
            # ≤ size · κ · eps relative to the term magnitudes
            d, k = W.shape
            rows["cond"].append(4 * (d * np.linalg.cond(C) + k * np.linalg.cond(S) + k * np.linalg.cond(pS)))
        else:
            prior, lik = p["prior"], p["lik"]
            x, q = int(case.x[i]), case.q_probs[i]
            post = th.disc_posterior(prior, lik, x)
            lp, recon, kl = th.disc_log_marginal(prior, lik, x), th.disc_recon(lik, x, q), th.categorical_kl(q, prior)
            rows["elbo_direct"].append(th.disc_elbo(prior, lik, x, q))
            rows["kl_post"].append(th.categorical_kl(q, post))
            rows["post"].append(post)
            rows["post_cov"].append(np.zeros(0))
            rows["cond"].append(4.0 * len(prior))
        rows["lp"].append(lp)
        rows["recon"].append(recon)
        rows["kl"].append(kl)
        rows["elbo"].append(recon - kl)
        # sum of the magnitudes of the terms that are added (they can cancel)
        rows["mag"].append(1.0 + abs(lp) + abs(recon) + abs(kl))
    return {k: np.array(v) for k, v in rows.items()}


def _close(theorem: str, observed: Any, expected: Any, what: str, tol: Tolerance, case: LatentCase,
           scale: Any = None) -> None:
    inputs = {"x": case.x.tolist(), "dtype": str(case.dtype), "device": str(case.device),
              "seed": case.extra.get("seed")}
    assert_close(observed, expected, theorem=theorem, slide=SLIDES[theorem], what=what, tol=tol,
                 scale=scale, inputs=inputs)


def _tol(case: LatentCase, cond: Any, tol: Tolerance | None) -> Tolerance:
    return tol if tol is not None else exact(case.dtype, cond)


# --------------------------------------------------------------------------- properties
def check_bound(candidate: Any, case: LatentCase, *, tol: Tolerance | None = None) -> None:
    """elbo.bound: ``L(q) ≤ log p(x)`` for every q; ``log_marginal`` is the exact ``log p(x)``."""
    p = params(candidate)
    o = oracle(p, case)
    tol_ = _tol(case, o["cond"], tol)
    if callable(getattr(candidate, "log_marginal", None)):
        _close("elbo.bound", candidate.log_marginal(case.x_tensor()), o["lp"], "log p(x) (exact)", tol_, case,
               scale=o["mag"])
    got = to_numpy(candidate.elbo(case.x_tensor(), case.q()))
    slack = tol_.bound(o["mag"])
    over = got - o["lp"]
    if np.any(~(over <= slack)):
        i = int(np.nanargmax(np.where(np.isnan(over), np.inf, over - slack)))
        raise TheoremViolation("elbo.bound", f"ELBO exceeds log p(x) by {over[i]:.3e} (allowed rounding "
                               f"{slack[i]:.3e}) at row {i}", slide=SLIDES["elbo.bound"],
                               inputs={"x": case.x.tolist(), "seed": case.extra.get("seed")},
                               expected=o["lp"][i], observed=got[i])
    _close("elbo.bound", got, o["elbo"], "L(q) = E_q log p(x, z)/q(z)", tol_, case, scale=o["mag"])


def check_decomposition(candidate: Any, case: LatentCase, *, tol: Tolerance | None = None) -> None:
    """elbo.decomposition: ``log p(x) - L(q) = KL(q || p(z|x))`` (the exact posterior)."""
    p = params(candidate)
    o = oracle(p, case)
    x = case.x_tensor()
    gap = to_numpy(candidate.log_marginal(x)) - to_numpy(candidate.elbo(x, case.q()))
    _close("elbo.decomposition", gap, o["kl_post"], "log p(x) - L(q) = KL(q || p(z|x))",
           _tol(case, o["cond"], tol), case, scale=o["mag"])


def check_recon_minus_kl(candidate: Any, case: LatentCase, *, tol: Tolerance | None = None) -> None:
    """elbo.recon_minus_kl: ``E_q log p(x, z)/q(z) = E_q log p(x|z) - KL(q || p(z))``, each term exact
    (Gaussian: closed forms; the left side by Gauss–Hermite, exact for the quadratic integrand;
    discrete: enumeration)."""
    p = params(candidate)
    o = oracle(p, case)
    x, q = case.x_tensor(), case.q()
    tol_ = _tol(case, o["cond"], tol)
    if callable(getattr(candidate, "recon", None)):
        _close("elbo.recon_minus_kl", candidate.recon(x, q), o["recon"], "E_q log p(x|z)", tol_, case, scale=o["mag"])
    if callable(getattr(candidate, "kl_prior", None)):
        _close("elbo.recon_minus_kl", candidate.kl_prior(q), o["kl"], "KL(q || p(z))", tol_, case, scale=o["mag"])
    _close("elbo.recon_minus_kl", candidate.elbo(x, q), o["elbo_direct"],
           "L(q) = E_q log p(x, z)/q(z) (direct) = recon - KL", tol_, case, scale=o["mag"])


def check_optimal_q(candidate: Any, case: LatentCase, *, tol: Tolerance | None = None) -> None:
    """elbo.optimal_q: ``posterior(x)`` is ``p(z|x)``, and ``L(p(z|x)) = log p(x)`` (the maximum of the
    ELBO, attained at the posterior)."""
    p = params(candidate)
    o = oracle(p, case)
    x = case.x_tensor()
    tol_ = _tol(case, o["cond"], tol)
    post = candidate.posterior(x)
    if "W" in p:
        mean, cov = post
        # a linear solve: the error is relative to the whole vector (norm-wise), scaled by κ
        _close("elbo.optimal_q", mean, o["post"], "posterior mean Σ Wᵀ Ψ⁻¹ (x - b)",
               _tol(case, o["cond"][:, None], tol), case,
               scale=np.broadcast_to(np.abs(o["post"]).max(-1, keepdims=True), o["post"].shape))
        _close("elbo.optimal_q", cov, o["post_cov"], "posterior covariance (I + Wᵀ Ψ⁻¹ W)⁻¹",
               _tol(case, o["cond"][:, None, None], tol), case, scale=np.abs(o["post_cov"]).max())
        q_star = (case.tensor(o["post"]), case.tensor(o["post_cov"]))
    else:
        _close("elbo.optimal_q", post, o["post"], "posterior p(z|x) = π_z T[z, x] / p(x)",
               _tol(case, o["cond"][:, None], tol), case)
        q_star = case.tensor(o["post"])
    _close("elbo.optimal_q", candidate.elbo(x, q_star), o["lp"], "L(p(z|x)) = log p(x)", tol_, case,
           scale=o["mag"])


# --------------------------------------------------------------------------- verify


PROPERTIES: tuple[Property, ...] = (
    Property("bound", "elbo.bound", check_bound, ("elbo",)),
    Property("decomposition", "elbo.decomposition", check_decomposition, ("elbo", "log_marginal")),
    Property("recon_minus_kl", "elbo.recon_minus_kl", check_recon_minus_kl, ("elbo",)),
    Property("optimal_q", "elbo.optimal_q", check_optimal_q, ("elbo", "posterior")),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


class VerifyReport(_verify.VerifyReport):
    concept = "latent"


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any) -> VerifyReport:
    """Run every ELBO property the candidate supports on its own parameters under Hypothesis;
    raises ``TheoremViolation`` on the first that fails."""
    p = params(candidate)
    return run.properties(lambda _prop: latent_cases(p, dtype=run.dtype, device=run.device),
                          provides="ELBO methods")
