"""Checks of discrete diffusion (D3PM, absorbing / masked, MDLM): any implementation held to the
exact enumeration oracles of ``dgmcheck.theory.discrete``.

A candidate exposes ``Qs`` (``(T, K, K)``, ``Qs[t-1] = Q_t``) and any of the methods of
``DiscreteCandidate``; its matrix layout is declared, ``conventions=Conventions(matrix_layout="row")``
(``"column"``, ``[Q]_{ij} = q(i | j)``, the lecture's, is the default). ``verify`` runs every property
whose methods exist; ``verify_over_chains`` draws the chains too (uniform, absorbing, general and
time-homogeneous kernels, K = 2..6, both layouts: each built candidate is held to its chain's
layout, or only the declared layout is drawn). The candidate attribute ``convention``
(``"column"``/``"row"``) still works undeclared (``"row"`` with a DeprecationWarning); one that
contradicts the declaration is a ValueError.

The Hypothesis strategies for transition matrices and chains live in ``dgmcheck.checks.strategies``
(``transition_matrices``, ``chains``, ``absorbing_chains``, ``probability_vectors``); the inputs of
the checks are drawn by ``discrete_cases`` here.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from hypothesis import strategies as st
from scipy import stats

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks.conventions import Conventions, declared, hint_text
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.strategies import (  # noqa: F401 - public here too
    CHAIN_KINDS,
    Case,
    Chain,
    absorbing_chains,
    case_rng,
    chains,
    probability_vectors,
    steps_with_ends,
    to_tensor,
    transition_matrices,
)
from dgmcheck.checks.tolerances import FALSE_FAILURE_RATE, Tolerance, exact
from dgmcheck.theory import discrete as th

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('discrete')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED = ("matrix_layout",)

class DiscreteCandidate(Protocol):
    """What a discrete-diffusion implementation exposes (every method optional). Tokens are long
    tensors in ``0..K-1``, steps ``t`` long tensors in ``1..T``; matrices in the declared
    ``conventions.matrix_layout``."""

    Qs: Any  # (T, K, K)

    def q_step_probs(self, x_prev: Any, t: Any) -> Any: ...  # (B, K): q(x_t | x_{t-1})
    def cumulative(self, t: Any) -> Any: ...  # (B, K, K): Q_{1:t}
    def q_probs(self, x0: Any, t: Any) -> Any: ...  # (*x0.shape, K): q(x_t | x_0)
    def stationary(self) -> Any: ...  # (K,)
    def posterior(self, x_t: Any, x0: Any, t: Any) -> Any: ...  # (*x0.shape, K)
    def categorical_kl(self, q: Any, p: Any) -> Any: ...  # (B,)
    def elbo(self, x0: Any, P: Any, prior: Any) -> Any: ...  # (B,)
    # absorbing candidates also expose betas, mask:
    def absorbing_posterior(self, x_t: Any, x0: Any, t: Any) -> Any: ...  # (B, K)
    def absorbing_loss(self, x0: Any, x_t: Any, t: Any, log_probs: Any) -> Any: ...  # (B,)
    def mdlm_weight(self, alpha: Any, dalpha: Any) -> Any: ...  # (B,)
    def mdlm_loss(self, x0: Any, x_t: Any, alpha: Any, dalpha: Any, log_probs: Any) -> Any: ...
    def mdlm_step_probs(self, x: Any, lam_from: float, lam_to: float, probs: Any) -> Any: ...
    def mdlm_sample(self, denoiser: Callable, shape: Any, lambdas: Any, generator: Any = None) -> Any: ...


@dataclass(frozen=True)
class DiscreteCase(Case):
    """Concrete inputs of one check, float64 numpy / int numpy, shared by all properties."""

    t: np.ndarray  # (B,) steps 1..T
    x0: np.ndarray  # (B,) tokens
    x_t: np.ndarray  # (B,) tokens in the support of q(x_t | x_0)
    X0: np.ndarray  # (B, m) clean sequences (never the mask when the chain has one)
    Xt: np.ndarray  # (B, m) noisy sequences in the support
    q: np.ndarray  # (B, K) probabilities with zeros
    p: np.ndarray  # (B, K) positive probabilities
    log_probs: np.ndarray  # (B, m, K) denoiser log-probabilities (finite)
    P: np.ndarray  # (T, K, K) model reverse kernels in the chain's convention
    prior: np.ndarray  # (K,)
    alpha: np.ndarray  # (B,) in (0, 1)
    dalpha: np.ndarray  # (B,) < 0
    lams: tuple[float, float]  # lam_from > lam_to

    def tokens(self, a: np.ndarray):
        import torch

        return torch.as_tensor(np.asarray(a), dtype=torch.long, device=self.device)


def _longest_sequence(K: int) -> int:
    """The longest ``m`` with ``K^m <= MAX_SEQUENCE_STATES`` (0 when not even one token fits; any
    ``m`` for one state, reported as 64)."""
    if K <= 1:
        return 64
    m = 0
    while K ** (m + 1) <= th.MAX_SEQUENCE_STATES:
        m += 1
    return m


@st.composite
def discrete_cases(draw: st.DrawFn, chain: Chain, *, dtype: Any, device: Any = "cpu",
                   max_batch: int = 5, max_len: int = 3) -> DiscreteCase:
    """Inputs for every discrete check on ``chain``; noisy tokens lie in the support of the chain."""
    K, T = chain.K, chain.T
    B = draw(st.integers(1, max_batch))
    # sequences of m tokens: the joint-chain oracle enumerates K^m of them (at most MAX_SEQUENCE_STATES)
    m = draw(st.integers(1, max(1, min(max_len, _longest_sequence(K)))))
    # Everything but the sizes from one seed (a draw per token was most of a case's cost):
    # t = 1 or t = T with probability ⅓ each, tokens uniform over the clean ones, noisy tokens
    # uniform over the support of q(x_t | x_0).
    rng = case_rng(draw)
    t = steps_with_ends(rng, B, 1, T)
    clean = [k for k in range(K) if k != chain.mask] if chain.mask is not None else list(range(K))
    x0 = np.asarray(clean, dtype=np.int64)[rng.integers(0, len(clean), B)]

    def in_support(x: int, s: int) -> int:
        probs = th.forward_probs(chain.Qs, s, x, chain.convention)
        support = np.flatnonzero(probs > 1e-12)
        return int(support[rng.integers(0, len(support))])

    x_t = np.array([in_support(int(a), int(s)) for a, s in zip(x0, t, strict=True)], dtype=np.int64)
    X0 = np.asarray(clean, dtype=np.int64)[rng.integers(0, len(clean), (B, m))]
    Xt = np.array([[in_support(int(a), int(s)) for a in row] for row, s in zip(X0, t, strict=True)], dtype=np.int64)
    q = rng.random((B, K)) * (rng.random((B, K)) > 0.25)  # exact zeros in q
    q[np.arange(B), rng.integers(0, K, B)] += 0.1
    q /= q.sum(-1, keepdims=True)
    p = rng.random((B, K)) + 1e-3
    p /= p.sum(-1, keepdims=True)
    logits = rng.uniform(-4.0, 4.0, (B, m, K))
    if chain.mask is not None:
        logits[..., chain.mask] = -np.inf  # a denoiser never predicts the mask as a clean token
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    if chain.mask is not None:
        log_probs[..., chain.mask] = -1e4  # finite stand-in for log 0 (never gathered)
    P = rng.random((T, K, K)) + 0.1 / K
    P /= P.sum(axis=1, keepdims=True)
    P = P if chain.convention == "column" else np.swapaxes(P, -1, -2).copy()
    prior = rng.random(K) + 1e-3
    prior /= prior.sum()
    alpha = rng.uniform(0.01, 0.99, B)
    dalpha = -rng.uniform(0.01, 5.0, B)
    lam_from = draw(st.sampled_from([1.0, 0.5, 0.05]) | st.floats(0.05, 1.0))
    lam_to = draw(st.just(0.0) | st.floats(0.0, lam_from * 0.99))
    return DiscreteCase(t, x0, x_t, X0, Xt, q, p, log_probs, P, prior, alpha, dalpha,
                        (lam_from, lam_to), dtype=dtype, device=device,
                        extra={"m": m, "seed": int(rng.integers(0, 2**31 - 1))})


# --------------------------------------------------------------------------- helpers
def candidate_chain(candidate: Any) -> tuple[np.ndarray, str]:
    """The candidate's ``Qs`` (float64, its convention) after checking it is stochastic."""
    if not hasattr(candidate, "Qs"):
        raise TypeError(f"candidate must have a 'Qs' attribute (T, K, K); "
                        f"{type(getattr(candidate, '_candidate', candidate)).__name__} has none")
    conv = getattr(candidate, "convention", "column")
    raw = to_numpy(candidate.Qs)
    try:
        Qs = th.validate_transition(raw, "candidate.Qs", conv, atol=1e-5)
    except ValueError as exc:
        other = "row" if conv == "column" else "column"
        try:
            th.validate_transition(raw, "candidate.Qs", other, atol=1e-5)
        except ValueError:
            raise exc from None
        raise ValueError(f"{exc}; {hint_text('matrix_layout', Conventions(matrix_layout=other))}") from None
    Qs = Qs if Qs.ndim == 3 else Qs[None]
    # the float64 stochastic matrix nearest the candidate's (a float32 column sums to 1 ± ulps)
    return Qs / Qs.sum(axis=-2 if conv == "column" else -1, keepdims=True), conv


def _inputs(case: DiscreteCase, *names: str) -> dict[str, Any]:
    out = {"dtype": str(case.dtype), "device": str(case.device)}
    for n in names:
        v = getattr(case, n)
        out[n] = v.tolist() if isinstance(v, np.ndarray) else v
    return out


def _tol(case: DiscreteCase, cond: Any, tol: Tolerance | None) -> Tolerance:
    return tol if tol is not None else exact(case.dtype, cond)


def _close(theorem: str, observed: Any, expected: Any, what: str, tol: Tolerance,
           inputs: dict[str, Any], scale: Any = None) -> None:
    assert_close(observed, expected, theorem=theorem, slide=SLIDES[theorem], what=what, tol=tol,
                 scale=scale, inputs=inputs)


# --------------------------------------------------------------------------- properties
def check_transition(candidate: Any, case: DiscreteCase, *, tol: Tolerance | None = None) -> None:
    """discrete.transition: ``q(x_t = i | x_{t-1} = j) = [Q_t]_{ij}`` (column convention; ``[Q_t]_{ji}``
    in the row convention): ``q_step_probs(x_prev, t)`` is the column ``Q_t e_{x_prev}``, a law."""
    Qs, conv = candidate_chain(candidate)
    Qc = th.to_column(Qs, conv)
    K, T = Qs.shape[-1], len(Qs)
    expected = np.stack([Qc[s - 1][:, x] for x, s in zip(case.x0, case.t, strict=True)])
    got = candidate.q_step_probs(case.tokens(case.x0), case.tokens(case.t))
    _close("discrete.transition", got, expected, "q(x_t = · | x_{t-1}) = Q_t e_{x_{t-1}}",
           _tol(case, K, tol), {**_inputs(case, "t", "x0"), "convention": conv, "T": T})


def check_cumulative(candidate: Any, case: DiscreteCase, *, tol: Tolerance | None = None) -> None:
    """discrete.cumulative: ``Q_{1:t} = Q_t ⋯ Q_1`` (column; ``Q_1 ⋯ Q_t`` row) and
    ``q(x_t|x_0) = Q_{1:t} x_0``; for uniform/absorbing kernels (``betas``) the closed forms
    ``ᾱ_t I + (1-ᾱ_t) U`` and ``ᾱ_t I + (1-ᾱ_t) e_m 1ᵀ``."""
    Qs, conv = candidate_chain(candidate)
    K = Qs.shape[-1]
    tol_ = _tol(case, K * (case.t[:, None, None] + 1), tol)
    expected = np.stack([th.cumulative(Qs, int(s), conv) for s in case.t])
    inputs = {**_inputs(case, "t", "x0"), "convention": conv}
    if callable(getattr(candidate, "cumulative", None)):
        _close("discrete.cumulative", candidate.cumulative(case.tokens(case.t)), expected,
               f"Q_{{1:t}} ({'Q_t ⋯ Q_1' if conv == 'column' else 'Q_1 ⋯ Q_t'})", tol_, inputs)
    if callable(getattr(candidate, "q_probs", None)):
        probs = np.stack([th.forward_probs(Qs, int(s), int(x), conv) for x, s in zip(case.x0, case.t, strict=True)])
        _close("discrete.cumulative", candidate.q_probs(case.tokens(case.x0), case.tokens(case.t)),
               probs, "q(x_t | x_0) = Q_{1:t} x_0", exact(case.dtype, K * (case.t[:, None] + 1))
               if tol is None else tol, inputs)
    betas = getattr(candidate, "betas", None)
    mask = getattr(candidate, "mask", None)
    if betas is not None and mask is not None:
        ab = np.cumprod(1 - to_numpy(betas))[case.t - 1]
        E = np.zeros((K, K))
        E[mask, :] = 1.0
        closed = ab[:, None, None] * np.eye(K) + (1 - ab)[:, None, None] * E
        closed = closed if conv == "column" else np.swapaxes(closed, -1, -2)
        _close("discrete.cumulative", expected, closed, "absorbing closed form ᾱ_t I + (1-ᾱ_t) e_m 1ᵀ",
               _tol(case, K * (case.t[:, None, None] + 2), tol), inputs, scale=np.ones_like(closed))


def check_stationary(candidate: Any, case: DiscreteCase, *, tol: Tolerance | None = None) -> None:
    """discrete.stationary: ``stationary()`` is the law ``π`` with ``Q_t π = π`` for every t
    (uniform: ``1/K``; absorbing: ``e_m``; a positive homogeneous Q: its Perron vector), and
    ``Q_{1:t} x_0 → π`` (for uniform/absorbing ``‖Q_{1:t}x_0 - π‖₁ = ᾱ_t ‖x_0 - π‖₁``)."""
    Qs, conv = candidate_chain(candidate)
    K = Qs.shape[-1]
    try:
        pi = th.stationary_law(Qs, conv)
    except ValueError as exc:
        raise TypeError(f"property 'stationary' needs kernels with one common invariant law: {exc}") from exc
    got = candidate.stationary()
    # The null vector of the stacked Q_t - I moves by (perturbation)/σ, σ the smallest nonzero
    # singular value of that stack (the spectral gap); entries are probabilities (scale 1).
    stack = np.concatenate(list(th.to_column(Qs, conv) - np.eye(K)))
    sigma = np.linalg.svd(stack, compute_uv=False)[-2]
    _close("discrete.stationary", got, pi, "invariant law π (Q_t π = π, Σπ = 1)",
           _tol(case, 4 * K * len(Qs) / sigma, tol), {"convention": conv, "K": K},
           scale=np.ones_like(pi))


def check_posterior(candidate: Any, case: DiscreteCase, *, tol: Tolerance | None = None) -> None:
    """discrete.posterior: ``q(x_{t-1}|x_t,x_0) = Q_tᵀ x_t ⊙ Q_{1:t-1} x_0 / (x_tᵀ Q_{1:t} x_0)``
    (column form; the slide prints ``Q_t x_t``), equal to brute-force Bayes over the chain's paths."""
    Qs, conv = candidate_chain(candidate)
    K = Qs.shape[-1]
    expected = np.stack([th.posterior(Qs, int(s), int(a), int(b), conv)
                         for s, a, b in zip(case.t, case.x_t, case.x0, strict=True)])
    got = candidate.posterior(case.tokens(case.x_t), case.tokens(case.x0), case.tokens(case.t))
    _close("discrete.posterior", got, expected, "q(x_{t-1} | x_t, x_0)",
           _tol(case, 2 * K * (case.t[:, None] + 2), tol),
           {**_inputs(case, "t", "x_t", "x0"), "convention": conv})


def check_absorbing_posterior(candidate: Any, case: DiscreteCase, *,
                              tol: Tolerance | None = None) -> None:
    """discrete.absorbing_posterior: ``δ_{x_t}`` if unmasked; else ``ρ_t = β_tᾱ_{t-1}/(1-ᾱ_t)`` on
    ``x_0`` and ``(1-ᾱ_{t-1})/(1-ᾱ_t)`` on the mask."""
    betas = to_numpy(candidate.betas)
    K, mask = candidate_chain(candidate)[0].shape[-1], int(candidate.mask)
    expected = np.stack([th.absorbing_posterior(list(betas), int(s), int(a), int(b), K, mask)
                         for s, a, b in zip(case.t, case.x_t, case.x0, strict=True)])
    ab = np.concatenate([[1.0], np.cumprod(1 - betas)])
    cond = (case.t[:, None] + 2) * (1 + ab[case.t - 1][:, None] / (1 - ab[case.t][:, None]))
    got = candidate.absorbing_posterior(case.tokens(case.x_t), case.tokens(case.x0), case.tokens(case.t))
    _close("discrete.absorbing_posterior", got, expected, "absorbing q(x_{t-1} | x_t, x_0)",
           _tol(case, 4 * cond, tol), {**_inputs(case, "t", "x_t", "x0"), "mask": mask},
           scale=np.ones_like(expected))  # probabilities: ρ_t and 1-ρ_t carry the same absolute error


def check_categorical_kl(candidate: Any, case: DiscreteCase, *, tol: Tolerance | None = None) -> None:
    """discrete.categorical_kl: ``KL(q||p) = Σ q_k log(q_k/p_k) = H(q, p) - H(q)``."""
    expected = th.categorical_kl(case.q, case.p)
    ce, h = th.cross_entropy(case.q, case.p), th.entropy(case.q)
    if not np.allclose(expected, ce - h, rtol=1e-12, atol=1e-12):  # the identity, in the oracle
        raise AssertionError("oracle: KL != H(q,p) - H(q)")
    scale = ce + np.abs(h) + 1.0
    got = candidate.categorical_kl(case.tensor(case.q), case.tensor(case.p))
    _close("discrete.categorical_kl", got, expected, "KL(q||p) = H(q,p) - H(q)",
           _tol(case, 4 * case.q.shape[-1], tol), _inputs(case, "q", "p"), scale=scale)


def check_elbo_decomposition(candidate: Any, case: DiscreteCase, *,
                             tol: Tolerance | None = None) -> None:
    """discrete.elbo_decomposition: ``elbo(x_0)`` (recon - prior KL - Σ L_t) equals the path-sum
    ELBO ``E_q[log p(x_{0:T}) - log q(x_{1:T}|x_0)]`` and is ``<= log p(x_0)`` (all by enumeration)."""
    Qs, conv = candidate_chain(candidate)
    K, T = Qs.shape[-1], len(Qs)
    if K**T > 5000:
        raise TypeError(f"property 'elbo_decomposition' enumerates K^T paths; K^T = {K**T} is too many")
    x0s = case.x0
    expected = np.array([th.elbo_enumeration(Qs, case.P, case.prior, int(x), conv) for x in x0s])
    logp = np.array([th.log_likelihood_enumeration(Qs, case.P, case.prior, int(x), conv) for x in x0s])
    if np.any(expected > logp + 1e-9):
        raise AssertionError("oracle: ELBO > log p")
    terms = [th.elbo_terms(Qs, case.P, case.prior, int(x), conv) for x in x0s]
    scale = np.array([abs(d["recon"]) + d["prior_kl"] + sum(d["diffusion_kls"]) + 1 for d in terms])
    got = candidate.elbo(case.tokens(x0s), case.tensor(case.P), case.tensor(case.prior))
    _close("discrete.elbo_decomposition", got, expected,
           "recon - KL(q(x_T|x_0)||p(x_T)) - Σ_t E KL(q(x_{t-1}|x_t,x_0)||p(x_{t-1}|x_t)) = path-sum ELBO",
           _tol(case, 4 * K * T * (T + 2), tol), {**_inputs(case, "x0"), "convention": conv}, scale=scale)


def check_sequence_factorization(candidate: Any, case: DiscreteCase, *,
                                 tol: Tolerance | None = None) -> None:
    """discrete.sequence_factorization: for sequences ``X`` (B, m) the law of the joint chain on
    ``{0..K-1}^m`` (enumerated) equals the product of the per-position laws, for
    ``q(X_t|X_0)`` (``q_probs``) and for ``q(X_{t-1}|X_t,X_0)`` (``posterior``)."""
    Qs, conv = candidate_chain(candidate)
    K = Qs.shape[-1]
    m = case.X0.shape[1]
    probs = to_numpy(candidate.q_probs(case.tokens(case.X0), case.tokens(case.t)))  # (B, m, K)
    post = to_numpy(candidate.posterior(case.tokens(case.Xt), case.tokens(case.X0),
                                        case.tokens(case.t)[:, None].expand(*case.X0.shape)))
    inputs = {**_inputs(case, "t", "X0", "Xt"), "convention": conv}
    for b in range(len(case.t)):
        s = int(case.t[b])
        joint = th.sequence_forward_law(Qs, s, case.X0[b], conv)
        keys = list(joint)
        exp = np.array([joint[k] for k in keys])
        obs = np.array([np.prod([probs[b, i, k[i]] for i in range(m)]) for k in keys])
        _close("discrete.sequence_factorization", obs, exp, "q(X_t|X_0) = Π_i q(x^i_t|x^i_0)",
               _tol(case, K * m * (s + 2), tol), inputs)
        jpost = th.sequence_posterior_law(Qs, s, case.Xt[b], case.X0[b], conv)
        exp = np.array([jpost[k] for k in keys])
        obs = np.array([np.prod([post[b, i, k[i]] for i in range(m)]) for k in keys])
        _close("discrete.sequence_factorization", obs, exp,
               "q(X_{t-1}|X_t,X_0) = Π_i q(x^i_{t-1}|x^i_t,x^i_0)", _tol(case, 2 * K * m * (s + 2), tol),
               inputs)


def _masked_ce(case: DiscreteCase, mask: int) -> tuple[np.ndarray, np.ndarray]:
    """``Σ_i [x^i_t = m](-log p_θ(x^i_0|X_t))`` per sequence and the magnitudes of its terms."""
    ce = -np.take_along_axis(case.log_probs, case.X0[..., None], -1)[..., 0]
    # A term is -log p(x_0) = log Σ_k p_k - log p(x_0) as a renormalising candidate forms it
    # (cross_entropy): Σ_k p_k = 1 rounds to ±eps, so each term carries |ce| + 1, not |ce| (≈ 0
    # for a sure clean token, where the scale would otherwise vanish under the weight).
    return np.where(case.Xt == mask, ce, 0.0).sum(-1), (np.abs(ce) + 1.0).sum(-1)


def check_absorbing_loss(candidate: Any, case: DiscreteCase, *, tol: Tolerance | None = None) -> None:
    """discrete.absorbing_loss: ``L_t(X_t) = Σ_i KL(q(x^i_{t-1}|x^i_t,x^i_0) || p_θ(x^i_{t-1}|X_t))
    = ρ_t Σ_i [x^i_t = m] (-log p_θ(x^i_0|X_t))`` for the x_0-parametrized reverse model: only
    masked positions contribute (and the slide's "+ const" is 0)."""
    betas = to_numpy(candidate.betas)
    mask = int(candidate.mask)
    ab = np.concatenate([[1.0], np.cumprod(1 - betas)])
    rho = betas[case.t - 1] * ab[case.t - 1] / (1 - ab[case.t])
    per, scale = _masked_ce(case, mask)
    expected = rho * per
    got = candidate.absorbing_loss(case.tokens(case.X0), case.tokens(case.Xt), case.tokens(case.t),
                                   case.tensor(case.log_probs))
    cond = (case.t + 2) * (1 + ab[case.t - 1] / (1 - ab[case.t])) + case.X0.shape[1]
    _close("discrete.absorbing_loss", got, expected, "ρ_t Σ_i [x^i_t = m] (-log p_θ(x^i_0|X_t))",
           _tol(case, 4 * cond, tol), {**_inputs(case, "t", "X0", "Xt"), "mask": mask},
           scale=rho * scale)  # Σ_i |ρ_t·term_i|: the terms' magnitudes, not the (cancelling) result


def check_mask_rate(candidate: Any, case: DiscreteCase, *, tol: Tolerance | None = None) -> None:
    """discrete.mask_rate: the continuous-time weight ``w(t) = -α'_t/(1-α_t) >= 0`` (``1/λ`` in the
    mask rate λ = 1-α) and the MDLM loss ``w(t) Σ_i [x^i_t = m](-log p_θ(x^i_0|X_t))``."""
    expected_w = th.mdlm_weight(case.alpha, case.dalpha)
    cond = 4 * (1 + case.alpha / (1 - case.alpha))
    inputs = _inputs(case, "alpha", "dalpha")
    if callable(getattr(candidate, "mdlm_weight", None)):
        _close("discrete.mask_rate", candidate.mdlm_weight(case.tensor(case.alpha), case.tensor(case.dalpha)),
               expected_w, "w(t) = -α'_t / (1-α_t)", _tol(case, cond, tol), inputs)
    if callable(getattr(candidate, "mdlm_loss", None)):
        mask = int(candidate.mask)
        per, scale = _masked_ce(case, mask)
        got = candidate.mdlm_loss(case.tokens(case.X0), case.tokens(case.Xt), case.tensor(case.alpha),
                                  case.tensor(case.dalpha), case.tensor(case.log_probs))
        _close("discrete.mask_rate", got, expected_w * per, "w(t) Σ_i [x^i_t = m] (-log p_θ(x^i_0|X_t))",
               _tol(case, cond + case.X0.shape[1] + 4, tol),
               {**inputs, **_inputs(case, "X0", "Xt"), "mask": mask},
               scale=expected_w * scale)  # Σ_i |w·term_i|: each term's rounding is amplified by w <= 500


def _law_test(counts: dict[tuple[int, ...], int], law: dict[tuple[int, ...], float], n: int,
              theorem: str, what: str, inputs: dict[str, Any]) -> None:
    """Chi-square goodness of fit at the declared false-failure rate (states of mass 0 must be
    empty)."""
    keys = sorted(set(law) | set(counts))
    exp = np.array([law.get(k, 0.0) for k in keys]) * n
    obs = np.array([counts.get(k, 0) for k in keys], dtype=np.float64)
    impossible = [k for k, e, o in zip(keys, exp, obs, strict=True) if e == 0 and o > 0]
    if impossible:
        raise TheoremViolation(theorem, f"{what}: outputs of probability 0 were drawn: {impossible[:5]}",
                               slide=SLIDES[theorem], inputs=inputs)
    keep = exp > 0
    chi2 = float(((obs[keep] - exp[keep]) ** 2 / exp[keep]).sum())
    dof = max(int(keep.sum()) - 1, 1)
    pval = float(stats.chi2.sf(chi2, dof))
    if pval < FALSE_FAILURE_RATE:
        raise TheoremViolation(theorem, f"{what}: chi-square {chi2:.1f} on {dof} dof, p = {pval:.2e} "
                               f"< {FALSE_FAILURE_RATE:g} (declared false-failure rate)",
                               slide=SLIDES[theorem], inputs=inputs,
                               expected={k: law.get(k, 0.0) for k in keys},
                               observed={k: counts.get(k, 0) / n for k in keys})


def check_mdlm_sampling(candidate: Any, case: DiscreteCase, *, tol: Tolerance | None = None,
                        n_samples: int = 4000) -> None:
    """discrete.mdlm_sampling: one step keeps a masked token masked w.p. ``λ_{ℓ+1}/λ_ℓ`` and else
    draws it from the denoiser (exact, ``mdlm_step_probs``); with the exact denoiser of a product
    data law the sampler's output law is the data law (exact by enumeration in the oracle,
    chi-square at the declared rate for ``mdlm_sample``)."""
    import torch

    K = candidate_chain(candidate)[0].shape[-1]
    mask = int(candidate.mask)
    lam_from, lam_to = case.lams
    theorem = "discrete.mdlm_sampling"
    if callable(getattr(candidate, "mdlm_step_probs", None)):
        probs = np.exp(case.log_probs)
        probs[..., mask] = 0.0
        probs = probs / probs.sum(-1, keepdims=True)
        x = np.where(case.Xt == mask, mask, case.X0)
        expected = np.stack([np.stack([th.mdlm_step_law(int(x[b, i]), lam_from, lam_to, probs[b, i], mask)
                                       for i in range(x.shape[1])]) for b in range(len(x))])
        got = candidate.mdlm_step_probs(case.tokens(x), lam_from, lam_to, case.tensor(probs))
        _close(theorem, got, expected, "one MDLM step: keep the mask w.p. λ_to/λ_from, else a token",
               _tol(case, 8 + 4 / lam_from, tol), {"x": x.tolist(), "lam_from": lam_from, "lam_to": lam_to})
    if callable(getattr(candidate, "mdlm_sample", None)):
        rng = np.random.default_rng(case.extra.get("seed", 0))
        m = 2
        clean = [k for k in range(K) if k != mask]
        marg = [rng.dirichlet(np.ones(len(clean))) for _ in range(m)]
        data: dict[tuple[int, ...], float] = {}
        for idx in np.ndindex(*([len(clean)] * m)):
            data[tuple(clean[i] for i in idx)] = float(np.prod([marg[j][i] for j, i in enumerate(idx)]))
        lambdas = [1.0, *sorted(rng.uniform(0.05, 0.95, 2).tolist(), reverse=True), 0.0]
        law = th.mdlm_sampler_law(data, m, K, mask, lambdas)
        table = {}

        def denoiser(X: Any) -> Any:
            rows = []
            for seq in X.cpu().tolist():
                key = tuple(seq)
                if key not in table:
                    table[key] = th.exact_denoiser(data, key, K, mask, fallback=True)
                rows.append(table[key])
            return torch.tensor(np.stack(rows), dtype=case.dtype, device=case.device)

        gen = torch.Generator().manual_seed(int(case.extra.get("seed", 0)))
        out = candidate.mdlm_sample(denoiser, (n_samples, m), lambdas, generator=gen)
        counts: dict[tuple[int, ...], int] = {}
        for row in to_numpy(out).astype(int).tolist():
            counts[tuple(row)] = counts.get(tuple(row), 0) + 1
        _law_test(counts, law, n_samples, theorem, "MDLM sampler output law vs data law",
                  {"data": data, "lambdas": lambdas, "n": n_samples})


# --------------------------------------------------------------------------- verify
@dataclass(frozen=True)
class Property(_verify.Property):
    any_of: tuple[str, ...] = ()
    absorbing: bool = False


PROPERTIES: tuple[Property, ...] = (
    Property("transition", "discrete.transition", check_transition, ("q_step_probs",)),
    Property("cumulative", "discrete.cumulative", check_cumulative, (), ("cumulative", "q_probs")),
    Property("stationary", "discrete.stationary", check_stationary, ("stationary",)),
    Property("posterior", "discrete.posterior", check_posterior, ("posterior",)),
    Property("absorbing_posterior", "discrete.absorbing_posterior", check_absorbing_posterior,
             ("absorbing_posterior",), absorbing=True),
    Property("categorical_kl", "discrete.categorical_kl", check_categorical_kl, ("categorical_kl",)),
    Property("elbo_decomposition", "discrete.elbo_decomposition", check_elbo_decomposition, ("elbo",)),
    Property("sequence_factorization", "discrete.sequence_factorization", check_sequence_factorization,
             ("q_probs", "posterior")),
    Property("absorbing_loss", "discrete.absorbing_loss", check_absorbing_loss, ("absorbing_loss",),
             absorbing=True),
    Property("mask_rate", "discrete.mask_rate", check_mask_rate, (), ("mdlm_weight", "mdlm_loss"),
             absorbing=True),
    Property("mdlm_sampling", "discrete.mdlm_sampling", check_mdlm_sampling, (),
             ("mdlm_step_probs", "mdlm_sample"), absorbing=True),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


def _missing(prop: Property, candidate: Any) -> str | None:
    missing = [m for m in prop.requires if not callable(getattr(candidate, m, None))]
    if missing:
        return f"needs {', '.join(missing)}"
    if prop.any_of and not any(callable(getattr(candidate, m, None)) for m in prop.any_of):
        return f"needs one of {', '.join(prop.any_of)}"
    if prop.absorbing and (getattr(candidate, "betas", None) is None or getattr(candidate, "mask", None) is None):
        return "needs an absorbing candidate (betas and mask)"
    return None


def _chain_reason(prop: Property, Qs: np.ndarray, conv: str) -> str | None:
    """Why the candidate's own chain cannot carry ``prop`` (None when it can)."""
    if prop.name == "stationary":
        try:
            th.stationary_law(Qs, conv)
        except ValueError as exc:
            return f"needs kernels with one common invariant law: {exc}"
    if prop.name == "sequence_factorization" and _longest_sequence(Qs.shape[-1]) == 0:
        return (f"enumerates K^m >= K = {Qs.shape[-1]} sequences of tokens "
                f"(at most MAX_SEQUENCE_STATES = {th.MAX_SEQUENCE_STATES})")
    if prop.name == "elbo_decomposition" and Qs.shape[-1] ** len(Qs) > 5000:
        return f"enumerates K^T = {Qs.shape[-1] ** len(Qs)} paths (at most 5000)"
    return None


class VerifyReport(_verify.VerifyReport):
    concept = "discrete"


class WithLayout:
    """``candidate`` with its matrix layout declared (``conventions.matrix_layout``)."""

    def __init__(self, candidate: Any, layout: str) -> None:
        self._candidate = candidate
        self.convention = layout

    def __getattr__(self, name: str) -> Any:
        return getattr(self._candidate, name)


def declared_layout(candidate: Any, layout: str | None, *, warn: bool = True, stacklevel: int = 3) -> WithLayout:
    """``candidate`` held to ``layout`` (``None``: nothing declared). Undeclared, the candidate's
    ``convention`` attribute says it (a DeprecationWarning where it changes the layout from the
    lecture's column one, with ``warn``, attributed ``stacklevel`` frames up as in ``warnings.warn``),
    else the column layout; an attribute that contradicts a declaration is a ValueError."""
    if isinstance(candidate, WithLayout):
        candidate = candidate._candidate
    own = getattr(candidate, "convention", None)
    if layout is None:
        if own not in (None, "column") and warn:
            warnings.warn(f"candidate.convention={own!r} is deprecated: declare the matrix layout with "
                          f"verify(..., conventions=Conventions(matrix_layout={own!r})) "
                          f"(--conventions matrix_layout={own})", DeprecationWarning, stacklevel=stacklevel)
        layout = own if own is not None else "column"
    elif own is not None and own != layout:
        raise ValueError(f"conventions.matrix_layout={layout!r} contradicts candidate.convention={own!r}")
    return WithLayout(candidate, layout)


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any) -> VerifyReport:
    """Run every discrete property the candidate supports on its own chain, under Hypothesis; a
    failure raises ``VerifyFailed`` with the report of every property (``raise_on_failure``).
    ``conventions.matrix_layout`` (``"column"``: ``[Q]_{ij} = q(i|j)``, the default, or ``"row"``)
    declares the layout of ``Qs``; a candidate's ``convention`` attribute is deprecated (used only
    when nothing is declared, with a DeprecationWarning where it says ``"row"``)."""
    # stacklevel: the warning names the caller of ``verify`` (through its scaffold)
    candidate = declared_layout(candidate, run.conventions.matrix_layout if run.conventions_given else None,
                                stacklevel=4)
    Qs, conv_ = candidate_chain(candidate)
    mask = getattr(candidate, "mask", None)
    betas = getattr(candidate, "betas", None)
    chain = Chain("candidate", conv_, Qs, None if betas is None else to_numpy(betas),
                  None if mask is None else int(mask))
    return run.properties(
        lambda prop: discrete_cases(chain, dtype=run.dtype, device=run.device), candidate=candidate,
        conventions=run.conventions.replace(matrix_layout=candidate.convention),
        lacks=lambda prop: _missing(prop, candidate), not_applicable=lambda prop: _chain_reason(prop, Qs, conv_),
        provides="discrete methods (see dgmcheck.checks.discrete.DiscreteCandidate)")


def _probe(factory: Callable[[Chain], Any], layout: str) -> Any:
    """The candidate ``factory`` builds on a small absorbing chain (it carries ``Qs``, ``betas`` and
    ``mask``, so a general and an absorbing factory both accept it), to read which methods it has;
    ``None`` when the factory refuses it (each property then runs and reports what it raised)."""
    betas = np.array([0.1, 0.2])
    Qs = np.stack([th.absorbing_matrix(b, 3, 2, layout) for b in betas])
    try:
        return factory(Chain("absorbing", layout, Qs, betas, 2))
    except Exception:  # a factory for other chains only: not a verdict on any property
        return None


def verify_over_chains(factory: Callable[[Chain], Any], *, dtype: Any = None, device: Any = "cpu",
                       properties: Iterable[str] | None = None,
                       chain_strategy: st.SearchStrategy | None = None, conventions: Any = None,
                       max_examples: int | None = None, shrink: bool | float = True,
                       raise_on_failure: bool = True) -> VerifyReport:
    """Like ``verify`` for a family built from a chain: ``factory(chain)`` is called on drawn
    chains (``chains()`` by default; absorbing properties use ``absorbing_chains()``) and the built
    candidate is held to the layout of its chain (``chain.convention``); without ``properties``,
    every property whose methods the candidate built on a small absorbing chain has is run (the
    rest are not applicable, as in ``verify``). A declared
    ``conventions.matrix_layout`` draws chains of that layout only (a ``chain_strategy``'s chains of
    the other layout are transposed). Returns the report (``VerifyFailed`` on a failure)."""
    conv = declared(conventions, "discrete", CONVENTIONS_HONOURED)
    layouts = (conv.matrix_layout,) if conventions is not None else th.CONVENTIONS
    dtype, device = _verify.dtype_device(None, dtype, device)

    def base(prop: Property) -> st.SearchStrategy:
        if chain_strategy is not None:  # a chain of the other layout is the same chain transposed
            return chain_strategy.map(lambda c: c if c.convention in layouts else dataclasses.replace(
                c, convention=layouts[0], Qs=np.swapaxes(c.Qs, -1, -2).copy()))
        if prop.absorbing:
            return absorbing_chains(layouts)
        if prop.name == "stationary":
            return chains(("uniform", "absorbing", "homogeneous"), layouts)
        if prop.name in ("elbo_decomposition", "sequence_factorization"):
            return chains(conventions=layouts, max_K=4, max_T=3)
        return chains(conventions=layouts)

    def over(prop: Property) -> Callable[..., None]:
        def check(factory_: Callable, pair: tuple[Chain, DiscreteCase]) -> None:
            chain, case = pair
            prop.check(declared_layout(factory_(chain), chain.convention), case)
        return check

    table = [dataclasses.replace(p, check=over(p)) for p in PROPERTIES]
    probe = _probe(factory, layouts[0])
    return _verify.run_properties(
        factory, table, VerifyReport(_verify.candidate_name(factory)),
        wanted=_verify.select(properties, PROPERTY_NAMES), kw=_verify.settings_kw(max_examples, shrink),
        strategy=lambda prop: base(prop).flatmap(
            lambda c: st.tuples(st.just(c), discrete_cases(c, dtype=dtype, device=device))),
        lacks=lambda prop: None if probe is None else _missing(prop, probe), raise_on_failure=raise_on_failure,
        conventions=conv if conventions is not None else None)
