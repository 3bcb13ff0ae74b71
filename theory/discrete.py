r"""Discrete (D3PM / absorbing / masked) diffusion: exact oracles by enumeration, no torch.

Conventions. The lecture's (000 L13 "Forward Process over Time") is ``"column"``:
``[Q_t]_{ij} = q(x_t = i | x_{t-1} = j)``, columns sum to 1, ``q(x_t | x_0) = Cat(Q_{1:t} x_0)``
with ``Q_{1:t} = Q_t Q_{t-1} ⋯ Q_1``. The D3PM paper's is ``"row"``:
``[Q_t]_{ij} = q(x_t = j | x_{t-1} = i)``, rows sum to 1, ``Q̄_t = Q_1 Q_2 ⋯ Q_t``. Every
function that takes matrices takes ``convention``; ``to_column`` converts.

States are integers ``0..K-1`` (the one-hot vector ``e_k``); steps are the lecture's ``t = 1..T``
(``Qs[t-1] = Q_t``). The functions work in float64 numpy *and* on object arrays of
``fractions.Fraction`` (exact rationals): nothing here casts to float unless it takes a log.

The posterior, derived (the slide prints ``Q_t x_t``, which is wrong in the column convention):
``q(x_{t-1} = j | x_t = i, x_0) ∝ q(x_t = i | x_{t-1} = j) q(x_{t-1} = j | x_0)
= [Q_t]_{ij} [Q_{1:t-1} x_0]_j``, i.e. the vector ``Q_tᵀ x_t ⊙ Q_{1:t-1} x_0``, normalized by
``x_tᵀ Q_{1:t} x_0``. In the row convention it is ``Q_t x_t ⊙ Q̄_{t-1}ᵀ x_0`` (D3PM's
``x_t Q_tᵀ ⊙ x_0 Q̄_{t-1}`` as row vectors).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

CONVENTIONS = ("column", "row")

__all__ = [
    "CONVENTIONS",
    "MAX_SEQUENCE_STATES",
    "absorbing_loss_closed_form",
    "absorbing_loss_enumeration",
    "absorbing_matrix",
    "absorbing_posterior",
    "alpha_bars",
    "categorical_kl",
    "continuous_mask_objective",
    "cross_entropy",
    "cumulative",
    "derive_cumulative_closed_forms",
    "discrete_mask_objective",
    "elbo_enumeration",
    "elbo_terms",
    "entropy",
    "exact_denoiser",
    "forward_probs",
    "log_likelihood_enumeration",
    "masked_ce_polynomial",
    "mdlm_sampler_law",
    "mdlm_step_law",
    "mdlm_weight",
    "posterior",
    "posterior_enumeration",
    "sequence_forward_law",
    "sequence_posterior_law",
    "stationary_law",
    "to_column",
    "true_reverse_model",
    "uniform_matrix",
    "validate_transition",
]


# --------------------------------------------------------------------------- conventions
def validate_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    return convention


def to_column(Q: Any, convention: str = "column") -> np.ndarray:
    """``Q`` (``(..., K, K)``) in the column convention (transposed when ``convention="row"``)."""
    Q = np.asarray(Q)
    return Q if validate_convention(convention) == "column" else np.swapaxes(Q, -1, -2)


def validate_transition(Q: Any, name: str = "Q", convention: str = "column",
                        atol: float = 1e-9) -> np.ndarray:
    """``Q`` (``(K, K)`` or ``(T, K, K)``) as an array, after checking it is stochastic.

    Column convention: entries ``>= 0`` and every column sums to 1 (rows in ``"row"``). Raises
    ValueError naming ``name`` and the offending entries. Fractions are checked exactly.
    """
    validate_convention(convention)
    arr = np.asarray(Q)
    if arr.ndim not in (2, 3) or arr.shape[-1] != arr.shape[-2] or arr.shape[-1] < 2:
        raise ValueError(f"{name} must have shape (K, K) or (T, K, K) with K >= 2, got {arr.shape}")
    exact = arr.dtype == object
    vals = arr if exact else arr.astype(np.float64)
    if not exact and not np.isfinite(vals).all():
        bad = np.argwhere(~np.isfinite(vals))[:5].tolist()
        raise ValueError(f"{name} has non-finite entries at {bad}")
    neg = np.argwhere(vals < 0)
    if neg.size:
        idx = [tuple(map(int, i)) for i in neg[:5]]
        raise ValueError(f"{name} has negative entries at {idx}: "
                         f"{[vals[i] for i in idx]}")
    axis = -2 if convention == "column" else -1
    sums = vals.sum(axis=axis)
    off = (sums != 1) if exact else (np.abs(sums - 1.0) > atol)
    if np.any(off):
        which = "columns" if convention == "column" else "rows"
        idx = [tuple(map(int, i)) for i in np.argwhere(off)[:5]]
        raise ValueError(f"{name}: {which} must sum to 1 ({convention} convention); "
                         f"{which} {idx} sum to {[sums[i] for i in idx]}")
    return vals


def _check_state(x: int, K: int, name: str) -> int:
    if not 0 <= int(x) < K:
        raise ValueError(f"{name} must be a state in 0..{K - 1}, got {x}")
    return int(x)


# --------------------------------------------------------------------------- matrices
def uniform_matrix(beta: Any, K: int) -> np.ndarray:
    """``(1-β) I + β U`` with ``U_ij = 1/K`` (symmetric: both conventions)."""
    one = Fraction(1) if isinstance(beta, Fraction) else 1.0
    Q = np.full((K, K), beta * one / K, dtype=object if isinstance(beta, Fraction) else np.float64)
    for i in range(K):
        Q[i, i] = (1 - beta) + beta * one / K
    return Q


def absorbing_matrix(beta: Any, K: int, mask: int, convention: str = "column") -> np.ndarray:
    """``(1-β) I + β e_m 1ᵀ`` (column convention): state ``j`` jumps to ``mask`` w.p. ``β``."""
    _check_state(mask, K, "mask")
    exact = isinstance(beta, Fraction)
    Q = np.zeros((K, K), dtype=object if exact else np.float64)
    if exact:
        Q[...] = Fraction(0)
    for j in range(K):
        Q[j, j] = 1 - beta
        Q[mask, j] = Q[mask, j] + beta
    return Q if convention == "column" else Q.T.copy()


def alpha_bars(betas: Sequence[Any]) -> list[Any]:
    """``[ᾱ_0, ᾱ_1, ..., ᾱ_T]`` with ``ᾱ_0 = 1``, ``ᾱ_t = Π_{s<=t} (1-β_s)`` (exact for Fractions)."""
    out: list[Any] = [Fraction(1) if betas and isinstance(betas[0], Fraction) else 1.0]
    for b in betas:
        out.append(out[-1] * (1 - b))
    return out


def _matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    if A.dtype == object or B.dtype == object:
        K, N = A.shape[0], B.shape[1]
        C = np.empty((K, N), dtype=object)
        for i in range(K):
            for j in range(N):
                C[i, j] = sum((A[i, k] * B[k, j] for k in range(A.shape[1])), Fraction(0))
        return C
    return A @ B


def _identity(K: int, exact: bool) -> np.ndarray:
    if exact:
        I = np.empty((K, K), dtype=object)
        for i in range(K):
            for j in range(K):
                I[i, j] = Fraction(int(i == j))
        return I
    return np.eye(K)


def cumulative(Qs: Any, t: int, convention: str = "column") -> np.ndarray:
    """The t-step matrix in ``convention``: ``Q_t ⋯ Q_1`` (column) or ``Q_1 ⋯ Q_t`` (row); ``I`` at t=0."""
    Qs = np.asarray(Qs)
    validate_convention(convention)
    if not 0 <= t <= len(Qs):
        raise ValueError(f"t must lie in 0..T = 0..{len(Qs)}, got {t}")
    M = _identity(Qs.shape[-1], Qs.dtype == object)
    for s in range(t):
        M = _matmul(Qs[s], M) if convention == "column" else _matmul(M, Qs[s])
    return M


def forward_probs(Qs: Any, t: int, x0: int, convention: str = "column") -> np.ndarray:
    """``q(x_t = · | x_0)`` as a vector: ``Q_{1:t} e_{x0}`` (a column of the column-form product)."""
    C = to_column(cumulative(Qs, t, convention), convention)
    return C[:, _check_state(x0, C.shape[0], "x0")].copy()


def derive_cumulative_closed_forms(K: int = 3, T: int = 3) -> dict[str, bool]:
    """sympy: for symbolic ``β_1..β_T``, ``Q_T ⋯ Q_1`` of the uniform and absorbing kernels equals
    ``ᾱ_T I + (1-ᾱ_T) U`` resp. ``ᾱ_T I + (1-ᾱ_T) e_m 1ᵀ`` (both products, any order, since these
    kernels commute). Returns ``{"uniform": True, "absorbing": True}`` when the identities hold."""
    import sympy as sp

    betas = sp.symbols(f"beta1:{T + 1}", positive=True)
    I = sp.eye(K)
    U = sp.ones(K, K) / K
    E = sp.zeros(K, K)
    E[K - 1, :] = sp.ones(1, K)
    abar = sp.prod([1 - b for b in betas])
    out = {}
    for name, A in (("uniform", U), ("absorbing", E)):
        M = sp.eye(K)
        for b in betas:
            M = ((1 - b) * I + b * A) * M
        out[name] = bool(sp.simplify(M - (abar * I + (1 - abar) * A)) == sp.zeros(K, K))
    return out


def stationary_law(Qs: Any, convention: str = "column") -> np.ndarray:
    """The law ``π`` with ``Q_t π = π`` for every ``t`` (column form), as the null vector of the
    stacked ``Q_t - I``: an eigenvector of eigenvalue 1. Raises ValueError when it is not unique."""
    Qc = to_column(np.asarray(Qs, dtype=np.float64), convention)
    if Qc.ndim == 2:
        Qc = Qc[None]
    Qc = Qc / Qc.sum(axis=-2, keepdims=True)  # a float32 candidate's columns sum to 1 ± ulps
    K = Qc.shape[-1]
    A = np.concatenate([Qc[s] - np.eye(K) for s in range(len(Qc))] + [np.ones((1, K))])
    b = np.zeros(len(A))
    b[-1] = 1.0
    _, sing, _ = np.linalg.svd(A[:-1])
    if (sing < 1e-10).sum() > 1:
        raise ValueError("the forward kernels have more than one invariant law")
    pi, *_ = np.linalg.lstsq(A, b, rcond=None)
    if np.max(np.abs(A @ pi - b)) > 1e-7:
        raise ValueError("the forward kernels have no common invariant law")
    return np.clip(pi, 0.0, None) / np.clip(pi, 0.0, None).sum()


# --------------------------------------------------------------------------- posterior
def posterior(Qs: Any, t: int, x_t: int, x0: int, convention: str = "column") -> np.ndarray:
    """``q(x_{t-1} | x_t, x_0) = Q_tᵀ x_t ⊙ Q_{1:t-1} x_0 / (x_tᵀ Q_{1:t} x_0)`` (column form).

    Exact for Fraction matrices. ValueError when ``q(x_t | x_0) = 0`` (the posterior is undefined).
    """
    Qs = np.asarray(Qs)
    K = Qs.shape[-1]
    if not 1 <= t <= len(Qs):
        raise ValueError(f"t must lie in 1..T = 1..{len(Qs)}, got {t}")
    _check_state(x_t, K, "x_t")
    _check_state(x0, K, "x0")
    Qt = to_column(Qs[t - 1], convention)
    prev = forward_probs(Qs, t - 1, x0, convention)
    num = Qt[x_t, :] * prev  # (Q_tᵀ e_{x_t})_j = [Q_t]_{x_t j}
    den = forward_probs(Qs, t, x0, convention)[x_t]
    if den == 0:
        raise ValueError(f"q(x_t = {x_t} | x_0 = {x0}) = 0 at t = {t}: the posterior is undefined")
    return num / den


def posterior_enumeration(Qs: Any, t: int, x_t: int, x0: int,
                          convention: str = "column") -> np.ndarray:
    """Brute-force Bayes: enumerate every path ``(x_1, ..., x_t)`` of the chain from ``x_0``, add
    the path probabilities ``Π_s q(x_s | x_{s-1})`` by ``x_{t-1}`` among paths ending in ``x_t``,
    and normalize. ``K^t`` paths: for small chains only (the oracle of ``posterior``)."""
    Qc = to_column(np.asarray(Qs), convention)
    K = Qc.shape[-1]
    exact = Qc.dtype == object
    zero = Fraction(0) if exact else 0.0
    joint = [zero] * K
    for path in itertools.product(range(K), repeat=t):
        if path[-1] != x_t:
            continue
        p = Fraction(1) if exact else 1.0
        prev = x0
        for s, x in enumerate(path):
            p = p * Qc[s][x, prev]
            prev = x
        joint[path[-2] if t >= 2 else x0] += p
    total = sum(joint, zero)
    if total == 0:
        raise ValueError(f"q(x_t = {x_t} | x_0 = {x0}) = 0 at t = {t}: the posterior is undefined")
    return np.array([j / total for j in joint], dtype=object if exact else np.float64)


def absorbing_posterior(betas: Sequence[Any], t: int, x_t: int, x0: int, K: int,
                        mask: int) -> np.ndarray:
    """Absorbing closed form (000 L14 "Absorbing Diffusion"): ``δ_{x_t}`` when ``x_t ≠ m``;
    when ``x_t = m``: ``ρ_t = β_t ᾱ_{t-1}/(1-ᾱ_t)`` on ``x_0`` and ``(1-ᾱ_{t-1})/(1-ᾱ_t)`` on ``m``.
    ``x_0 = m`` gives ``δ_m``. ValueError when ``q(x_t|x_0) = 0`` (``x_t ∉ {x_0, m}``)."""
    _check_state(mask, K, "mask")
    _check_state(x_t, K, "x_t")
    _check_state(x0, K, "x0")
    if not 1 <= t <= len(betas):
        raise ValueError(f"t must lie in 1..T = 1..{len(betas)}, got {t}")
    ab = alpha_bars(list(betas))
    exact = isinstance(ab[0], Fraction)
    zero = Fraction(0) if exact else 0.0
    out = [zero] * K
    if x_t != mask:
        if x_t != x0:
            raise ValueError(f"q(x_t = {x_t} | x_0 = {x0}) = 0: the posterior is undefined")
        out[x_t] = zero + 1
    elif x0 == mask:
        out[mask] = zero + 1
    else:
        rho = betas[t - 1] * ab[t - 1] / (1 - ab[t])
        out[x0] = rho
        out[mask] = (1 - ab[t - 1]) / (1 - ab[t])
    return np.array(out, dtype=object if exact else np.float64)


# --------------------------------------------------------------------------- KL
def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(y))


def entropy(q: Any) -> np.ndarray:
    """``H(q) = -Σ_k q_k log q_k`` over the last axis (``0 log 0 = 0``)."""
    return -_xlogy(q, q).sum(-1)


def cross_entropy(q: Any, p: Any) -> np.ndarray:
    """``H(q, p) = -Σ_k q_k log p_k`` (``+inf`` when ``q_k > 0 = p_k``)."""
    return -_xlogy(q, p).sum(-1)


def categorical_kl(q: Any, p: Any) -> np.ndarray:
    """``KL(Cat(q) || Cat(p)) = Σ_k q_k log(q_k/p_k)``, computed termwise (not as ``H(q,p) - H(q)``)."""
    q = np.asarray(q, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(q == 0, 0.0, q * (np.log(q) - np.log(p)))
    return terms.sum(-1)


# --------------------------------------------------------------------------- ELBO
def _reverse(P: np.ndarray, convention: str) -> np.ndarray:
    """Model kernels in column form: ``[P_t]_{ij} = p(x_{t-1} = i | x_t = j)``."""
    return to_column(np.asarray(P, dtype=np.float64), convention)


def elbo_terms(Qs: Any, P: Any, prior: Any, x0: int, convention: str = "column") -> dict[str, Any]:
    """The lecture's decomposition for one token ``x_0`` (000 L13 "Posterior of the Forward
    Process"): ``L = E_{q(x_1|x_0)} log p(x_0|x_1) - KL(q(x_T|x_0) || p(x_T))
    - Σ_{t=2}^T E_{q(x_t|x_0)} KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t))``, every expectation an
    exact finite sum. ``P[t-1]`` is the model kernel ``p(x_{t-1}|x_t)`` in ``convention`` (the
    same orientation as ``Q_t``: in column form ``[P_t]_{ij} = p(x_{t-1}=i | x_t=j)``)."""
    Qs = np.asarray(Qs, dtype=np.float64)
    Pc = _reverse(P, convention)
    T = len(Qs)
    q1 = forward_probs(Qs, 1, x0, convention)
    recon = float(sum(q1[j] * math.log(Pc[0][x0, j]) if q1[j] > 0 else 0.0 for j in range(len(q1))))
    prior_kl = float(categorical_kl(forward_probs(Qs, T, x0, convention), prior))
    terms = []
    for t in range(2, T + 1):
        qt = forward_probs(Qs, t, x0, convention)
        term = 0.0
        for j in range(len(qt)):
            if qt[j] > 0:
                term += qt[j] * float(categorical_kl(posterior(Qs, t, j, x0, convention), Pc[t - 1][:, j]))
        terms.append(term)
    return {"recon": recon, "prior_kl": prior_kl, "diffusion_kls": terms,
            "elbo": recon - prior_kl - sum(terms)}


def _paths(Qs: np.ndarray, P: np.ndarray, prior: np.ndarray, x0: int, convention: str):
    Qc = to_column(Qs, convention)
    Pc = _reverse(P, convention)
    T, K = len(Qc), Qc.shape[-1]
    for path in itertools.product(range(K), repeat=T):
        xs = (x0, *path)
        q = 1.0
        for s in range(1, T + 1):
            q *= Qc[s - 1][xs[s], xs[s - 1]]
        p = prior[xs[T]]
        for s in range(1, T + 1):
            p *= Pc[s - 1][xs[s - 1], xs[s]]
        yield q, p


def elbo_enumeration(Qs: Any, P: Any, prior: Any, x0: int, convention: str = "column") -> float:
    """``E_{q(x_{1:T}|x_0)} [log p(x_{0:T}) - log q(x_{1:T}|x_0)]`` summed over all ``K^T`` paths."""
    total = 0.0
    for q, p in _paths(np.asarray(Qs, dtype=np.float64), P, np.asarray(prior, np.float64), x0, convention):
        if q > 0:
            total += q * (math.log(p) - math.log(q)) if p > 0 else -math.inf
    return total


def log_likelihood_enumeration(Qs: Any, P: Any, prior: Any, x0: int,
                               convention: str = "column") -> float:
    """``log p(x_0) = log Σ_{x_{1:T}} p(x_T) Π_t p(x_{t-1}|x_t)`` over all paths."""
    total = sum(p for _, p in _paths(np.asarray(Qs, dtype=np.float64), P,
                                     np.asarray(prior, np.float64), x0, convention))
    return math.log(total) if total > 0 else -math.inf


def true_reverse_model(Qs: Any, data: Any, convention: str = "column") -> tuple[np.ndarray, np.ndarray]:
    """The model at which the ELBO is tight: ``p(x_T) = q(x_T)`` and ``p(x_{t-1}|x_t) =
    q(x_{t-1}|x_t)`` under data law ``data`` (K,), kernels in ``convention`` (unreached states
    get the uniform column). Then ``p(x_{0:T}) = q(x_{0:T})`` and ``ELBO(x_0) = log p(x_0) =
    log data[x_0]``."""
    Qc = to_column(np.asarray(Qs, dtype=np.float64), convention)
    data = np.asarray(data, dtype=np.float64)
    T, K = len(Qc), Qc.shape[-1]
    marg = [data]
    for s in range(T):
        marg.append(Qc[s] @ marg[-1])
    P = np.empty((T, K, K))
    for t in range(1, T + 1):
        joint = Qc[t - 1] * marg[t - 1][None, :]  # [i, j] = q(x_t = i, x_{t-1} = j)
        for i in range(K):
            P[t - 1][:, i] = joint[i] / marg[t][i] if marg[t][i] > 0 else 1.0 / K
    if convention == "row":
        P = np.swapaxes(P, -1, -2)
    return P, marg[T]


# --------------------------------------------------------------------------- sequences
#: The most sequences ``K^m`` a sequence law enumerates (its dict holds one entry per sequence).
MAX_SEQUENCE_STATES = 2**16


def _sequence_states(K: int, m: int) -> int:
    n = K**m
    if n > MAX_SEQUENCE_STATES:
        raise ValueError(f"a sequence law over K^m = {K}^{m} = {n} sequences is too large to enumerate "
                         f"(at most MAX_SEQUENCE_STATES = {MAX_SEQUENCE_STATES})")
    return n


def _apply_joint_kernel(Q: np.ndarray, law: np.ndarray) -> np.ndarray:
    """``(⊗_i Q) law`` for a law array of shape ``(K,)*m`` and the column-form ``Q``: the joint kernel
    that moves every position by ``Q`` at once, applied axis by axis (the Kronecker product's action:
    ``O(m K^{m+1})``, not ``O(K^{2m})`` over pairs of sequences; exact on Fractions)."""
    for axis in range(law.ndim):
        law = np.moveaxis(np.tensordot(Q, law, axes=([1], [axis])), 0, axis)
    return law


def _as_dict(law: np.ndarray) -> dict[tuple[int, ...], Any]:
    K, m = (law.shape[0] if law.ndim else 1), law.ndim
    return dict(zip(itertools.product(range(K), repeat=m), law.ravel().tolist(), strict=True))


def _sequence_law_array(Qc: np.ndarray, t: int, X0: Sequence[int]) -> np.ndarray:
    K, m = Qc.shape[-1], len(X0)
    _sequence_states(K, m)
    if not 0 <= t <= len(Qc):
        raise ValueError(f"t must lie in 0..T = 0..{len(Qc)}, got {t}")
    exact = Qc.dtype == object
    law = np.full((K,) * m, Fraction(0), dtype=object) if exact else np.zeros((K,) * m)
    law[tuple(_check_state(int(x), K, "X0[i]") for x in X0)] = Fraction(1) if exact else 1.0
    for s in range(t):
        law = _apply_joint_kernel(Qc[s], law)
    return law


def sequence_forward_law(Qs: Any, t: int, X0: Sequence[int],
                         convention: str = "column") -> dict[tuple[int, ...], Any]:
    """``q(X_t | X_0)`` over all ``K^m`` sequences, computed as the law of the *joint* chain on
    sequences (the Kronecker product ``⊗_i Q_s`` of the per-position kernels applied ``t`` times to the
    law of all ``K^m`` sequences), not as a product of marginals: the oracle of
    discrete.sequence_factorization (000 L14 "From Token to Sequence"). ValueError beyond
    ``MAX_SEQUENCE_STATES`` sequences."""
    Qc = to_column(np.asarray(Qs), convention)
    return _as_dict(_sequence_law_array(Qc, t, X0))


def sequence_posterior_law(Qs: Any, t: int, Xt: Sequence[int], X0: Sequence[int],
                           convention: str = "column") -> dict[tuple[int, ...], Any]:
    """``q(X_{t-1} | X_t, X_0)`` over all sequences by Bayes on the joint chain (no factorization):
    ``q(X_{t-1}|X_0) q(X_t|X_{t-1})`` over every ``X_{t-1}``, normalized by its sum."""
    Qc = to_column(np.asarray(Qs), convention)
    if not 1 <= t <= len(Qc):
        raise ValueError(f"t must lie in 1..T = 1..{len(Qc)}, got {t}")
    if len(Xt) != len(X0):
        raise ValueError(f"Xt and X0 must have the same length, got {len(Xt)} and {len(X0)}")
    joint = _sequence_law_array(Qc, t - 1, X0)
    K = Qc.shape[-1]
    for i, x in enumerate(Xt):  # times q(x^i_t = Xt[i] | x^i_{t-1}) along axis i: the joint kernel's entry
        shape = [1] * len(X0)
        shape[i] = K
        joint = joint * Qc[t - 1][_check_state(int(x), K, "Xt[i]"), :].reshape(shape)
    total = joint.sum()
    if total == 0:
        raise ValueError("q(X_t | X_0) = 0: the posterior is undefined")
    return _as_dict(joint / total)


# --------------------------------------------------------------------------- absorbing loss
def _x0_param_reverse(rho: float, x_t: int, probs0: np.ndarray, mask: int) -> np.ndarray:
    """``p_θ(x_{t-1}|X_t) = Σ_{x̂0} q(x_{t-1}|x_t, x̂0) p_θ(x̂0|X_t)`` at one position (absorbing):
    ``δ_{x_t}`` when unmasked, else ``ρ_t p_θ(·)`` on the tokens and ``1-ρ_t`` on the mask."""
    K = len(probs0)
    out = np.zeros(K)
    if x_t != mask:
        out[x_t] = 1.0
    else:
        out[:] = rho * probs0
        out[mask] = 1.0 - rho
    return out


def absorbing_loss_enumeration(betas: Sequence[float], t: int, X0: Sequence[int],
                               denoiser: Callable[[tuple[int, ...]], np.ndarray], K: int,
                               mask: int) -> float:
    """``L_t = E_{q(X_t|X_0)} Σ_i KL(q(x^i_{t-1}|x^i_t, x^i_0) || p_θ(x^i_{t-1}|X_t))`` by
    enumerating the ``2^m`` mask patterns, with ``p_θ`` the x_0-parametrization of the denoiser
    ``denoiser(X_t) -> (m, K)`` (probabilities of the clean token, zero on the mask)."""
    ab = alpha_bars(list(betas))
    rho = betas[t - 1] * ab[t - 1] / (1 - ab[t])
    m = len(X0)
    total = 0.0
    for pattern in itertools.product((0, 1), repeat=m):
        prob = math.prod(1 - ab[t] if b else ab[t] for b in pattern)
        Xt = tuple(mask if b else X0[i] for i, b in enumerate(pattern))
        probs = np.asarray(denoiser(Xt), dtype=np.float64)
        kl = 0.0
        for i in range(m):
            q = absorbing_posterior(list(betas), t, Xt[i], X0[i], K, mask)
            kl += float(categorical_kl(q, _x0_param_reverse(rho, Xt[i], probs[i], mask)))
        total += prob * kl
    return total


def absorbing_loss_closed_form(betas: Sequence[float], t: int, X0: Sequence[int],
                               denoiser: Callable[[tuple[int, ...]], np.ndarray], K: int,
                               mask: int) -> float:
    """``E_{q(X_t|X_0)} Σ_i ρ_t [x^i_t = m] (-log p_θ(x^i_0|X_t))``: only masked positions count,
    and the slide's "+ const" is exactly 0 for the x_0-parametrized reverse model."""
    ab = alpha_bars(list(betas))
    rho = betas[t - 1] * ab[t - 1] / (1 - ab[t])
    total = 0.0
    for pattern in itertools.product((0, 1), repeat=len(X0)):
        prob = math.prod(1 - ab[t] if b else ab[t] for b in pattern)
        Xt = tuple(mask if b else X0[i] for i, b in enumerate(pattern))
        probs = np.asarray(denoiser(Xt), dtype=np.float64)
        total += prob * sum(rho * -math.log(probs[i][X0[i]]) for i, b in enumerate(pattern) if b)
    return total


# --------------------------------------------------------------------------- mask rate (MDLM)
def mdlm_weight(alpha: Any, dalpha: Any) -> Any:
    """Weight of the masked cross-entropy at time ``t`` for a mask schedule ``α_t`` (the
    probability a token is still clean; ``α'_t <= 0``): ``w(t) = -α'_t / (1-α_t) >= 0``. In the
    mask rate ``λ = 1-α`` it is ``w(λ) = 1/λ`` (``dλ = -α' dt``)."""
    return -dalpha / (1 - alpha)


def masked_ce_polynomial(X0: Sequence[int], denoiser: Callable[[tuple[int, ...]], np.ndarray],
                         mask: int):
    """``f(λ) = E_{q_λ(X_λ|X_0)} Σ_i [x^i_λ = m] (-log p_θ(x^i_0|X_λ))`` as a sympy polynomial in
    ``λ`` (each of the ``2^m`` mask patterns ``S`` has probability ``λ^|S| (1-λ)^{m-|S|}``)."""
    import sympy as sp

    lam = sp.Symbol("lam", positive=True)
    f = sp.Integer(0)
    m = len(X0)
    for pattern in itertools.product((0, 1), repeat=m):
        k = sum(pattern)
        if k == 0:
            continue
        Xt = tuple(mask if b else X0[i] for i, b in enumerate(pattern))
        probs = np.asarray(denoiser(Xt), dtype=np.float64)
        ce = sum(-math.log(probs[i][X0[i]]) for i, b in enumerate(pattern) if b)
        f += lam**k * (1 - lam) ** (m - k) * sp.Float(ce, 30)
    return sp.expand(f), lam


def continuous_mask_objective(X0: Sequence[int], denoiser: Callable, mask: int,
                              lam_lo: float = 0.0, lam_hi: float = 1.0) -> float:
    """``∫ w(λ) f(λ) dλ = ∫ f(λ)/λ dλ`` over ``[lam_lo, lam_hi]``, exact (``f(λ)/λ`` is a
    polynomial because ``f(0) = 0``)."""
    import sympy as sp

    f, lam = masked_ce_polynomial(X0, denoiser, mask)
    g = sp.cancel(f / lam)
    return float(sp.integrate(g, (lam, lam_lo, lam_hi)))


def discrete_mask_objective(abars: Sequence[float], X0: Sequence[int], denoiser: Callable,
                            mask: int) -> float:
    """``Σ_{t=1}^T ρ_t f(1-ᾱ_t)`` with ``ρ_t = β_t ᾱ_{t-1}/(1-ᾱ_t) = (λ_t - λ_{t-1})/λ_t``: the
    absorbing discrete-time ELBO's loss terms (``abars = [ᾱ_0 = 1, ..., ᾱ_T]``)."""
    import sympy as sp

    f, lam = masked_ce_polynomial(X0, denoiser, mask)
    fn = sp.lambdify(lam, f, "math")
    total = 0.0
    for t in range(1, len(abars)):
        lam_t, lam_prev = 1 - abars[t], 1 - abars[t - 1]
        total += (lam_t - lam_prev) / lam_t * fn(lam_t)
    return total


# --------------------------------------------------------------------------- MDLM sampling
def exact_denoiser(data: Mapping[tuple[int, ...], float], X: Sequence[int], K: int,
                   mask: int, fallback: bool = False) -> np.ndarray:
    """``p(x^i_0 = k | X)`` for every position ``i`` under the data law ``data`` (sequence ->
    probability, no mask tokens), conditioning on the unmasked positions of ``X``: shape (m, K).
    Unmasked positions get a point mass on their token. A context no data sequence agrees with is
    a ValueError, or with ``fallback`` the unconditional per-position marginals (a factorized
    sampler can reach such states; any choice there is already off the data law)."""
    m = len(X)
    out = np.zeros((m, K))
    total = 0.0
    for seq, p in data.items():
        if all(X[i] == mask or X[i] == seq[i] for i in range(m)):
            total += p
            for i in range(m):
                out[i, seq[i]] += p
    if total == 0 and fallback:
        return exact_denoiser(data, [mask] * m, K, mask)
    if total == 0:
        raise ValueError(f"no sequence of the data law agrees with the unmasked positions of {X}")
    return out / total


def mdlm_step_law(x: int, lam_from: float, lam_to: float, probs: np.ndarray, mask: int) -> np.ndarray:
    """Law of one position after one MDLM step from mask rate ``lam_from`` to ``lam_to``
    (``lam_from > lam_to >= 0``): an unmasked token stays; a masked one stays masked w.p.
    ``lam_to/lam_from`` (the absorbing posterior with ``1-ᾱ`` replaced by ``λ``) and else takes
    a token drawn from ``probs``."""
    out = np.zeros(len(probs))
    if x != mask:
        out[x] = 1.0
        return out
    keep = lam_to / lam_from
    out[:] = (1 - keep) * np.asarray(probs, dtype=np.float64)
    out[mask] += keep
    return out


def mdlm_sampler_law(data: Mapping[tuple[int, ...], float], m: int, K: int, mask: int,
                     lambdas: Sequence[float], joint: bool = False) -> dict[tuple[int, ...], float]:
    """The exact output law of the MDLM sampler (000 L14 "Algorithm: MDLM", Sampling) by
    enumerating every state of ``{0..K-1} ∪ {m}`` per position: start fully masked at
    ``lambdas[0] = 1``, step through the decreasing ``lambdas`` (the last must be 0), with the
    exact denoiser of ``data``. ``joint=False`` is the lecture's factorized step (positions
    unmask independently, each token from its own conditional); ``joint=True`` draws the newly
    unmasked positions *jointly* from ``q(X_0 | X)``."""
    if lambdas[0] != 1 or lambdas[-1] != 0 or any(a <= b for a, b in itertools.pairwise(lambdas)):
        raise ValueError(f"lambdas must decrease strictly from 1 to 0, got {list(lambdas)}")
    law = {tuple([mask] * m): 1.0}
    for lam_from, lam_to in itertools.pairwise(lambdas):
        new: dict[tuple[int, ...], float] = {}
        for X, p in law.items():
            if joint:
                masked = [i for i in range(m) if X[i] == mask]
                keep = lam_to / lam_from
                cond = {s: w for s, w in data.items()
                        if all(X[i] == mask or X[i] == s[i] for i in range(m))}
                z = sum(cond.values())
                for which in itertools.product((0, 1), repeat=len(masked)):
                    pk = math.prod(keep if b else 1 - keep for b in which)
                    if pk == 0:
                        continue
                    for s, w in cond.items():
                        Y = list(X)
                        for i, b in zip(masked, which, strict=True):
                            Y[i] = mask if b else s[i]
                        key = tuple(Y)
                        new[key] = new.get(key, 0.0) + p * pk * w / z
            else:
                probs = exact_denoiser(data, X, K, mask, fallback=True)
                per = [mdlm_step_law(X[i], lam_from, lam_to, probs[i], mask) for i in range(m)]
                for Y in itertools.product(range(K), repeat=m):
                    w = math.prod(per[i][Y[i]] for i in range(m))
                    if w > 0:
                        new[Y] = new.get(Y, 0.0) + p * w
        law = new
    return law
