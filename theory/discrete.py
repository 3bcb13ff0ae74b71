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
import numbers
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from dgmcheck.theory import _validate as V
from dgmcheck.theory._memo import derivation

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


def _to_column(Q: np.ndarray, convention: str) -> np.ndarray:
    return Q if convention == "column" else np.swapaxes(Q, -1, -2)


def to_column(Q: Any, convention: str = "column") -> np.ndarray:
    """``Q`` (``(..., K, K)``, stochastic in ``convention``) in the column convention (transposed when
    ``convention="row"``)."""
    return _to_column(_kernels(Q, convention, "Q", ndim=(2, 3)), convention)


def validate_transition(Q: Any, name: str = "Q", convention: str = "column",
                        atol: float = 1e-9) -> np.ndarray:
    """``Q`` (``(K, K)`` or ``(T, K, K)``) as an array, after checking it is stochastic.

    Column convention: entries ``>= 0`` and every column sums to 1 within ``atol`` (rows in ``"row"``).
    Raises ValueError naming ``name`` and the offending entries. Fractions are checked exactly.
    """
    validate_convention(convention)
    return _check_transition(Q, name, convention, V.positive(atol, "atol"))


def _check_transition(Q: Any, name: str, convention: str, atol: float | None) -> np.ndarray:
    """The body of :func:`validate_transition`; ``atol=None`` allows a float32 rounding per entry in each sum
    (the checks hand the oracles a candidate's matrices rounded to its dtype)."""
    if Q is None or isinstance(Q, (str, bytes)):
        raise TypeError(f"{name} must be an array of stochastic matrices, got {V.got(Q)}")
    try:
        arr = np.asarray(Q)
    except ValueError:  # ragged nesting
        raise ValueError(f"{name} must be an array of stochastic matrices, got {V.got(Q)}") from None
    if arr.dtype.kind not in "iufO":
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if arr.ndim not in (2, 3) or arr.shape[-1] != arr.shape[-2] or arr.shape[-1] < 2 or arr.size == 0:
        raise ValueError(f"{name} must have shape (K, K) or (T, K, K) with K >= 2 and T >= 1, got {arr.shape}")
    exact = arr.dtype == object
    if exact and not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in arr.flat):
        raise TypeError(f"{name} must hold numbers (floats or Fractions)")
    if atol is None:
        atol = 1e-9 + arr.shape[-1] * 2.0**-23
    vals = arr if exact else arr.astype(np.float64)
    if not exact and not np.isfinite(vals).all():
        bad = np.argwhere(~np.isfinite(vals))[:5].tolist()
        raise ValueError(f"{name} has non-finite entries at {bad}")
    if vals.min() < 0:  # one reduction on the valid path; the entries are located only to report them
        idx = [tuple(map(int, i)) for i in np.argwhere(vals < 0)[:5]]
        raise ValueError(f"{name} has negative entries at {idx}: "
                         f"{[vals[i] for i in idx]}")
    axis = -2 if convention == "column" else -1
    sums = vals.sum(axis=axis)
    off = (sums != 1) if exact else (np.abs(sums - 1.0) > atol)
    if off.any():
        which = "columns" if convention == "column" else "rows"
        idx = [tuple(map(int, i)) for i in np.argwhere(off)[:5]]
        raise ValueError(f"{name}: {which} must sum to 1 ({convention} convention); "
                         f"{which} {idx} sum to {[sums[i] for i in idx]}")
    return vals


def _kernels(Qs: Any, convention: str, name: str = "Qs", *, ndim: tuple[int, ...] = (3,)) -> np.ndarray:
    """``Qs`` checked stochastic in ``convention`` with ``ndim`` dimensions (``(T, K, K)``: ``Qs[t-1] = Q_t``):
    float64, or an object array of Fractions kept exact."""
    validate_convention(convention)
    arr = _check_transition(Qs, name, convention, None)
    if arr.ndim not in ndim:
        raise ValueError(f"{name} must have shape (T, K, K), one matrix per step, got {arr.shape}")
    return arr


def _check_state(x: Any, K: int, name: str) -> int:
    n = V.integer(x, name)
    if not 0 <= n < K:
        raise ValueError(f"{name} must be a state in 0..{K - 1}, got {n}")
    return n


def _step(t: Any, T: int, lo: int = 1) -> int:
    """A step ``t`` in ``lo..T``."""
    n = V.integer(t, "t")
    if not lo <= n <= T:
        raise ValueError(f"t must lie in {lo}..T = {lo}..{T}, got {n}")
    return n


def _sequence(X: Any, name: str, K: int | None = None) -> tuple[int, ...]:
    """A non-empty sequence of states ``0..K-1`` (of non-negative ints when ``K`` is None) as a tuple."""
    if isinstance(X, (str, bytes)) or not isinstance(X, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be a sequence of states, got {V.got(X)}")
    arr = V.integers(X, name, ndim=1)
    bad = (arr < 0) | (arr >= K) if K is not None else arr < 0
    if bad.any():
        x = int(arr[np.argmax(bad)])
        raise ValueError(f"{name}[i] must be a state in 0..{K - 1}, got {x}" if K is not None
                         else f"{name}[i] must be a state >= 0, got {x}")
    return tuple(int(x) for x in arr)


def _law(p: Any, name: str, K: int | None = None, *, ndim: int | None = 1) -> np.ndarray:
    """Probability vectors along the last axis (``K`` of them when given)."""
    arr = V.law(p, name, ndim=ndim)
    if K is not None and arr.shape[-1] != K:
        raise ValueError(f"{name} must hold {K} probabilities (one per state), got shape {arr.shape}")
    return arr


def _beta(beta: Any, name: str = "beta") -> Any:
    """A rate in (0, 1], kept as it is (a Fraction stays exact)."""
    V.real(beta, name, lo=0.0, hi=1.0, closed="hi")
    return beta


def _betas(betas: Any) -> list[Any]:
    """``β_1..β_T``, each in (0, 1], as a list (Fractions stay exact)."""
    if isinstance(betas, (str, bytes)) or not isinstance(betas, (Sequence, np.ndarray)):
        raise TypeError(f"betas must be a sequence of numbers in (0, 1], got {V.got(betas)}")
    out = list(betas)
    if not out:
        raise ValueError("betas must not be empty")
    for i, b in enumerate(out):
        _beta(b, f"betas[{i}]")
    return out


def _data_law(data: Any, name: str, K: int, m: int | None, mask: int) -> Mapping[tuple[int, ...], float]:
    """A law over sequences: ``{sequence of m clean states: probability}``, probabilities summing to 1. Linear
    in the size of the mapping (the computation it guards reads every entry too)."""
    if not isinstance(data, Mapping):
        raise TypeError(f"{name} must be a mapping sequence -> probability, got {V.got(data)}")
    if not data:
        raise ValueError(f"{name} must not be empty")
    probs = V.array(list(data.values()), name, ndim=1, nonneg=True)
    if abs(float(probs.sum()) - 1.0) > 1e-9 + len(probs) * 2.0**-23:
        raise ValueError(f"{name} must sum to 1 (a law over sequences), got a sum of {float(probs.sum())!r}")
    m = len(next(iter(data))) if m is None else m
    for seq in data:
        if not isinstance(seq, tuple) or len(seq) != m or not all(
                isinstance(x, numbers.Integral) and not isinstance(x, bool) and 0 <= x < K and x != mask
                for x in seq):
            raise ValueError(f"{name} keys must be tuples of {m} states in 0..{K - 1} other than the mask "
                             f"{mask}, got {seq!r}")
    return data


# --------------------------------------------------------------------------- matrices
def uniform_matrix(beta: Any, K: int) -> np.ndarray:
    """``(1-β) I + β U`` with ``U_ij = 1/K`` (symmetric: both conventions); ``β`` in (0, 1] (a Fraction gives an
    exact matrix), ``K >= 2``."""
    _beta(beta)
    K = V.count(K, "K", lo=2)
    one = Fraction(1) if isinstance(beta, Fraction) else 1.0
    Q = np.full((K, K), beta * one / K, dtype=object if isinstance(beta, Fraction) else np.float64)
    for i in range(K):
        Q[i, i] = (1 - beta) + beta * one / K
    return Q


def absorbing_matrix(beta: Any, K: int, mask: int, convention: str = "column") -> np.ndarray:
    """``(1-β) I + β e_m 1ᵀ`` (column convention): state ``j`` jumps to ``mask`` w.p. ``β`` (in (0, 1])."""
    _beta(beta)
    K = V.count(K, "K", lo=2)
    mask = _check_state(mask, K, "mask")
    validate_convention(convention)
    exact = isinstance(beta, Fraction)
    Q = np.zeros((K, K), dtype=object if exact else np.float64)
    if exact:
        Q[...] = Fraction(0)
    for j in range(K):
        Q[j, j] = 1 - beta
        Q[mask, j] = Q[mask, j] + beta
    return Q if convention == "column" else Q.T.copy()


def alpha_bars(betas: Sequence[Any]) -> list[Any]:
    """``[ᾱ_0, ᾱ_1, ..., ᾱ_T]`` with ``ᾱ_0 = 1``, ``ᾱ_t = Π_{s<=t} (1-β_s)`` (exact for Fractions); every
    ``β_t`` in (0, 1]."""
    return _alpha_bars(_betas(betas))


def _alpha_bars(betas: list[Any]) -> list[Any]:
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
    Qs = _kernels(Qs, convention)
    return _cumulative(Qs, _step(t, len(Qs), lo=0), convention)


def _cumulative(Qs: np.ndarray, t: int, convention: str) -> np.ndarray:
    M = _identity(Qs.shape[-1], Qs.dtype == object)
    for s in range(t):
        M = _matmul(Qs[s], M) if convention == "column" else _matmul(M, Qs[s])
    return M


def forward_probs(Qs: Any, t: int, x0: int, convention: str = "column") -> np.ndarray:
    """``q(x_t = · | x_0)`` as a vector: ``Q_{1:t} e_{x0}`` (a column of the column-form product)."""
    Qs = _kernels(Qs, convention)
    t = _step(t, len(Qs), lo=0)
    return _forward_probs(Qs, t, _check_state(x0, Qs.shape[-1], "x0"), convention)


def _forward_probs(Qs: np.ndarray, t: int, x0: int, convention: str) -> np.ndarray:
    return _to_column(_cumulative(Qs, t, convention), convention)[:, x0].copy()


@derivation
def derive_cumulative_closed_forms(K: int = 3, T: int = 3) -> dict[str, bool]:
    """sympy: for symbolic ``β_1..β_T``, ``Q_T ⋯ Q_1`` of the uniform and absorbing kernels equals
    ``ᾱ_T I + (1-ᾱ_T) U`` resp. ``ᾱ_T I + (1-ᾱ_T) e_m 1ᵀ`` (both products, any order, since these
    kernels commute). Returns ``{"uniform": True, "absorbing": True}`` when the identities hold."""
    K, T = V.count(K, "K", lo=2), V.count(T, "T", lo=1)
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
        # The entries are polynomials in the β's with rational coefficients: expand decides "== 0" exactly,
        # the verdict simplify gives, at a fraction of its cost.
        out[name] = all(sp.expand(e) == 0 for e in M - (abar * I + (1 - abar) * A))
    return out


def stationary_law(Qs: Any, convention: str = "column") -> np.ndarray:
    """The law ``π`` with ``Q_t π = π`` for every ``t`` (column form), as the null vector of the
    stacked ``Q_t - I``: an eigenvector of eigenvalue 1. Raises ValueError when it is not unique."""
    Qc = _to_column(_kernels(Qs, convention, ndim=(2, 3)).astype(np.float64), convention)
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
    Qs = _kernels(Qs, convention)
    K = Qs.shape[-1]
    t = _step(t, len(Qs))
    return _posterior(Qs, t, _check_state(x_t, K, "x_t"), _check_state(x0, K, "x0"), convention)


def _posterior(Qs: np.ndarray, t: int, x_t: int, x0: int, convention: str) -> np.ndarray:
    Qt = _to_column(Qs[t - 1], convention)
    prev = _forward_probs(Qs, t - 1, x0, convention)
    num = Qt[x_t, :] * prev  # (Q_tᵀ e_{x_t})_j = [Q_t]_{x_t j}
    den = _forward_probs(Qs, t, x0, convention)[x_t]
    if den == 0:
        raise ValueError(f"q(x_t = {x_t} | x_0 = {x0}) = 0 at t = {t}: the posterior is undefined")
    return num / den


def posterior_enumeration(Qs: Any, t: int, x_t: int, x0: int,
                          convention: str = "column") -> np.ndarray:
    """Brute-force Bayes: enumerate every path ``(x_1, ..., x_t)`` of the chain from ``x_0``, add
    the path probabilities ``Π_s q(x_s | x_{s-1})`` by ``x_{t-1}`` among paths ending in ``x_t``,
    and normalize. ``K^t`` paths: for small chains only (the oracle of ``posterior``)."""
    Qs = _kernels(Qs, convention)
    Qc = _to_column(Qs, convention)
    K = Qc.shape[-1]
    t = _step(t, len(Qc))
    x_t = _check_state(x_t, K, "x_t")
    x0 = _check_state(x0, K, "x0")
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
    betas = _betas(betas)
    K = V.count(K, "K", lo=2)
    mask = _check_state(mask, K, "mask")
    x_t = _check_state(x_t, K, "x_t")
    x0 = _check_state(x0, K, "x0")
    return _absorbing_posterior(betas, _step(t, len(betas)), x_t, x0, K, mask)


def _absorbing_posterior(betas: list[Any], t: int, x_t: int, x0: int, K: int, mask: int) -> np.ndarray:
    ab = _alpha_bars(betas)
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


def _laws(q: Any, p: Any) -> tuple[np.ndarray, np.ndarray]:
    """Two batches of laws over the same states."""
    q = _law(q, "q", ndim=None)
    return q, _law(p, "p", q.shape[-1], ndim=None)


def entropy(q: Any) -> np.ndarray:
    """``H(q) = -Σ_k q_k log q_k`` over the last axis (``0 log 0 = 0``); ``q`` holds laws along it."""
    q = _law(q, "q", ndim=None)
    return -_xlogy(q, q).sum(-1)


def cross_entropy(q: Any, p: Any) -> np.ndarray:
    """``H(q, p) = -Σ_k q_k log p_k`` (``+inf`` when ``q_k > 0 = p_k``); laws along the last axis."""
    q, p = _laws(q, p)
    return -_xlogy(q, p).sum(-1)


def categorical_kl(q: Any, p: Any) -> np.ndarray:
    """``KL(Cat(q) || Cat(p)) = Σ_k q_k log(q_k/p_k)``, computed termwise (not as ``H(q,p) - H(q)``)."""
    return _categorical_kl(*_laws(q, p))


def _categorical_kl(q: Any, p: Any) -> np.ndarray:
    q = np.asarray(q, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(q == 0, 0.0, q * (np.log(q) - np.log(p)))
    return terms.sum(-1)


# --------------------------------------------------------------------------- ELBO
def _reverse(P: np.ndarray, convention: str) -> np.ndarray:
    """Model kernels in column form: ``[P_t]_{ij} = p(x_{t-1} = i | x_t = j)``."""
    return _to_column(np.asarray(P, dtype=np.float64), convention)


def _model(Qs: Any, P: Any, prior: Any, x0: Any, convention: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The forward kernels (float64), the model's reverse kernels (stochastic in ``convention``, one per step),
    its prior law over the K states and a state ``x0``."""
    Qs = _kernels(Qs, convention).astype(np.float64)
    P = _kernels(P, convention, "P").astype(np.float64)
    if P.shape != Qs.shape:
        raise ValueError(f"P must have the shape of Qs {Qs.shape} (one reverse kernel per step), got {P.shape}")
    K = Qs.shape[-1]
    return Qs, P, _law(prior, "prior", K), _check_state(x0, K, "x0")


def elbo_terms(Qs: Any, P: Any, prior: Any, x0: int, convention: str = "column") -> dict[str, Any]:
    """The lecture's decomposition for one token ``x_0`` (000 L13 "Posterior of the Forward
    Process"): ``L = E_{q(x_1|x_0)} log p(x_0|x_1) - KL(q(x_T|x_0) || p(x_T))
    - Σ_{t=2}^T E_{q(x_t|x_0)} KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t))``, every expectation an
    exact finite sum. ``P[t-1]`` is the model kernel ``p(x_{t-1}|x_t)`` in ``convention`` (the
    same orientation as ``Q_t``: in column form ``[P_t]_{ij} = p(x_{t-1}=i | x_t=j)``)."""
    Qs, P, prior, x0 = _model(Qs, P, prior, x0, convention)
    Pc = _reverse(P, convention)
    T = len(Qs)
    q1 = _forward_probs(Qs, 1, x0, convention)
    recon = float(sum(q1[j] * math.log(Pc[0][x0, j]) if q1[j] > 0 else 0.0 for j in range(len(q1))))
    prior_kl = float(_categorical_kl(_forward_probs(Qs, T, x0, convention), prior))
    terms = []
    for t in range(2, T + 1):
        qt = _forward_probs(Qs, t, x0, convention)
        term = 0.0
        for j in range(len(qt)):
            if qt[j] > 0:
                term += qt[j] * float(_categorical_kl(_posterior(Qs, t, j, x0, convention), Pc[t - 1][:, j]))
        terms.append(term)
    return {"recon": recon, "prior_kl": prior_kl, "diffusion_kls": terms,
            "elbo": recon - prior_kl - sum(terms)}


def _paths(Qs: np.ndarray, P: np.ndarray, prior: np.ndarray, x0: int, convention: str):
    Qc = _to_column(Qs, convention)
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
    for q, p in _paths(*_model(Qs, P, prior, x0, convention), convention):
        if q > 0:
            total += q * (math.log(p) - math.log(q)) if p > 0 else -math.inf
    return total


def log_likelihood_enumeration(Qs: Any, P: Any, prior: Any, x0: int,
                               convention: str = "column") -> float:
    """``log p(x_0) = log Σ_{x_{1:T}} p(x_T) Π_t p(x_{t-1}|x_t)`` over all paths."""
    total = sum(p for _, p in _paths(*_model(Qs, P, prior, x0, convention), convention))
    return math.log(total) if total > 0 else -math.inf


def true_reverse_model(Qs: Any, data: Any, convention: str = "column") -> tuple[np.ndarray, np.ndarray]:
    """The model at which the ELBO is tight: ``p(x_T) = q(x_T)`` and ``p(x_{t-1}|x_t) =
    q(x_{t-1}|x_t)`` under data law ``data`` (K,), kernels in ``convention`` (unreached states
    get the uniform column). Then ``p(x_{0:T}) = q(x_{0:T})`` and ``ELBO(x_0) = log p(x_0) =
    log data[x_0]``."""
    Qc = _to_column(_kernels(Qs, convention).astype(np.float64), convention)
    data = _law(data, "data", Qc.shape[-1])
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


def _sequence_law_array(Qc: np.ndarray, t: int, X0: tuple[int, ...]) -> np.ndarray:
    K, m = Qc.shape[-1], len(X0)
    exact = Qc.dtype == object
    law = np.full((K,) * m, Fraction(0), dtype=object) if exact else np.zeros((K,) * m)
    law[X0] = Fraction(1) if exact else 1.0
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
    Qc = _to_column(_kernels(Qs, convention), convention)
    K = Qc.shape[-1]
    X0 = _sequence(X0, "X0")
    _sequence_states(K, len(X0))
    t = _step(t, len(Qc), lo=0)
    return _as_dict(_sequence_law_array(Qc, t, _sequence(X0, "X0", K)))


def sequence_posterior_law(Qs: Any, t: int, Xt: Sequence[int], X0: Sequence[int],
                           convention: str = "column") -> dict[tuple[int, ...], Any]:
    """``q(X_{t-1} | X_t, X_0)`` over all sequences by Bayes on the joint chain (no factorization):
    ``q(X_{t-1}|X_0) q(X_t|X_{t-1})`` over every ``X_{t-1}``, normalized by its sum."""
    Qc = _to_column(_kernels(Qs, convention), convention)
    K = Qc.shape[-1]
    Xt, X0 = _sequence(Xt, "Xt"), _sequence(X0, "X0")
    _sequence_states(K, len(X0))
    t = _step(t, len(Qc))
    if len(Xt) != len(X0):
        raise ValueError(f"Xt and X0 must have the same length, got {len(Xt)} and {len(X0)}")
    Xt, X0 = _sequence(Xt, "Xt", K), _sequence(X0, "X0", K)
    joint = _sequence_law_array(Qc, t - 1, X0)
    for i, x in enumerate(Xt):  # times q(x^i_t = Xt[i] | x^i_{t-1}) along axis i: the joint kernel's entry
        shape = [1] * len(X0)
        shape[i] = K
        joint = joint * Qc[t - 1][x, :].reshape(shape)
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


def _absorbing_loss_inputs(betas: Any, t: Any, X0: Any, denoiser: Any, K: Any, mask: Any) -> tuple[
        list[Any], int, tuple[int, ...], Callable[[tuple[int, ...]], np.ndarray], int, int]:
    """The schedule, a step ``1..T``, clean tokens ``X0`` (states ``0..K-1``), the denoiser, ``K`` and the mask."""
    betas = _betas(betas)
    t = _step(t, len(betas))
    K = V.count(K, "K", lo=2)
    return betas, t, _sequence(X0, "X0", K), V.function(denoiser, "denoiser"), K, _check_state(mask, K, "mask")


def absorbing_loss_enumeration(betas: Sequence[float], t: int, X0: Sequence[int],
                               denoiser: Callable[[tuple[int, ...]], np.ndarray], K: int,
                               mask: int) -> float:
    """``L_t = E_{q(X_t|X_0)} Σ_i KL(q(x^i_{t-1}|x^i_t, x^i_0) || p_θ(x^i_{t-1}|X_t))`` by
    enumerating the ``2^m`` mask patterns, with ``p_θ`` the x_0-parametrization of the denoiser
    ``denoiser(X_t) -> (m, K)`` (probabilities of the clean token, zero on the mask)."""
    betas, t, X0, denoiser, K, mask = _absorbing_loss_inputs(betas, t, X0, denoiser, K, mask)
    ab = _alpha_bars(betas)
    rho = betas[t - 1] * ab[t - 1] / (1 - ab[t])
    m = len(X0)
    total = 0.0
    for pattern in itertools.product((0, 1), repeat=m):
        prob = math.prod(1 - ab[t] if b else ab[t] for b in pattern)
        Xt = tuple(mask if b else X0[i] for i, b in enumerate(pattern))
        probs = np.asarray(denoiser(Xt), dtype=np.float64)
        kl = 0.0
        for i in range(m):
            q = _absorbing_posterior(betas, t, Xt[i], X0[i], K, mask)
            kl += float(_categorical_kl(q, _x0_param_reverse(rho, Xt[i], probs[i], mask)))
        total += prob * kl
    return total


def absorbing_loss_closed_form(betas: Sequence[float], t: int, X0: Sequence[int],
                               denoiser: Callable[[tuple[int, ...]], np.ndarray], K: int,
                               mask: int) -> float:
    """``E_{q(X_t|X_0)} Σ_i ρ_t [x^i_t = m] (-log p_θ(x^i_0|X_t))``: only masked positions count,
    and the slide's "+ const" is exactly 0 for the x_0-parametrized reverse model."""
    betas, t, X0, denoiser, K, mask = _absorbing_loss_inputs(betas, t, X0, denoiser, K, mask)
    ab = _alpha_bars(betas)
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
    mask rate ``λ = 1-α`` it is ``w(λ) = 1/λ`` (``dλ = -α' dt``). Numbers or arrays (``α`` in [0, 1),
    ``α' <= 0``), or sympy expressions of a symbolic schedule (not checked)."""
    _values(alpha, "alpha", lo=0.0, hi=1.0, closed="lo")
    _values(dalpha, "dalpha", hi=0.0, closed="hi")
    return -dalpha / (1 - alpha)


def _values(v: Any, name: str, **interval: Any) -> None:
    """A real number or an array of them in the interval; a sympy expression passes (it has no value to check)."""
    if type(v).__module__.split(".")[0] == "sympy":
        return
    if v is None or isinstance(v, (numbers.Number, np.bool_, str, bytes)):
        V.real(v, name, **interval)
    else:
        V.within(V.array(v, name), name, **interval)


def _masked_inputs(X0: Any, denoiser: Any, mask: Any) -> tuple[tuple[int, ...], Callable, int, np.ndarray]:
    """Clean tokens ``X0``, the denoiser and the mask, checked against the number of states ``K``: the width of
    the denoiser's output ``(m, K)``, read off its first call (that of the enumeration's first masking pattern,
    whose output the enumeration reuses: the denoiser is called exactly as without the check)."""
    denoiser = V.function(denoiser, "denoiser")
    mask = V.integer(mask, "mask")
    if mask < 0:
        raise ValueError(f"mask must be a state >= 0, got {mask}")
    X0 = _sequence(X0, "X0")
    m = len(X0)
    first = (*X0[:-1], mask)
    out = denoiser(first)
    try:
        probs = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"denoiser must return an array (m, K) of probabilities, got: {exc}") from None
    if probs.ndim != 2 or probs.shape[0] != m or probs.shape[1] < 2:
        raise ValueError(f"denoiser must return an array of shape (m, K) = ({m}, K), got {probs.shape}")
    K = probs.shape[1]
    _check_state(mask, K, "mask")
    return _sequence(X0, "X0", K), denoiser, mask, probs


def masked_ce_polynomial(X0: Sequence[int], denoiser: Callable[[tuple[int, ...]], np.ndarray],
                         mask: int):
    """``f(λ) = E_{q_λ(X_λ|X_0)} Σ_i [x^i_λ = m] (-log p_θ(x^i_0|X_λ))`` as a sympy polynomial in
    ``λ`` (each of the ``2^m`` mask patterns ``S`` has probability ``λ^|S| (1-λ)^{m-|S|}``). ``K`` is the width
    of the denoiser's output; ``X0`` and ``mask`` are states ``0..K-1``."""
    return _masked_ce_polynomial(*_masked_inputs(X0, denoiser, mask))


def _masked_ce_polynomial(X0: tuple[int, ...], denoiser: Callable, mask: int, first: np.ndarray):
    import sympy as sp

    lam = sp.Symbol("lam", positive=True)
    f = sp.Integer(0)
    m = len(X0)
    for pattern in itertools.product((0, 1), repeat=m):
        k = sum(pattern)
        if k == 0:
            continue
        Xt = tuple(mask if b else X0[i] for i, b in enumerate(pattern))
        probs = first if k == 1 and pattern[-1] else np.asarray(denoiser(Xt), dtype=np.float64)
        ce = sum(-math.log(probs[i][X0[i]]) for i, b in enumerate(pattern) if b)
        f += lam**k * (1 - lam) ** (m - k) * sp.Float(ce, 30)
    return sp.expand(f), lam


def continuous_mask_objective(X0: Sequence[int], denoiser: Callable, mask: int,
                              lam_lo: float = 0.0, lam_hi: float = 1.0) -> float:
    """``∫ w(λ) f(λ) dλ = ∫ f(λ)/λ dλ`` over ``[lam_lo, lam_hi]``, exact (``f(λ)/λ`` is a
    polynomial because ``f(0) = 0``); ``0 <= lam_lo <= lam_hi <= 1``."""
    lo = V.real(lam_lo, "lam_lo", lo=0.0, hi=1.0, closed="lo hi")
    if lo > V.real(lam_hi, "lam_hi", lo=0.0, hi=1.0, closed="lo hi"):
        raise ValueError(f"lam_hi must be >= lam_lo = {lam_lo!r}, got {lam_hi!r}")
    import sympy as sp

    f, lam = _masked_ce_polynomial(*_masked_inputs(X0, denoiser, mask))
    g = sp.cancel(f / lam)
    return float(sp.integrate(g, (lam, lam_lo, lam_hi)))


def discrete_mask_objective(abars: Sequence[float], X0: Sequence[int], denoiser: Callable,
                            mask: int) -> float:
    """``Σ_{t=1}^T ρ_t f(1-ᾱ_t)`` with ``ρ_t = β_t ᾱ_{t-1}/(1-ᾱ_t) = (λ_t - λ_{t-1})/λ_t``: the
    absorbing discrete-time ELBO's loss terms (``abars = [ᾱ_0 = 1, ..., ᾱ_T]``, non-increasing in [0, 1],
    ``ᾱ_t < 1`` for ``t >= 1``)."""
    ab = V.within(V.array(abars, "abars", ndim=1), "abars", lo=0.0, hi=1.0, closed="lo hi")
    if len(ab) < 2 or np.any(np.diff(ab) > 0) or np.any(ab[1:] == 1):
        raise ValueError(f"abars must be [ᾱ_0, ..., ᾱ_T] (T >= 1), non-increasing, below 1 after ᾱ_0, got "
                         f"{V.got(abars)}")
    import sympy as sp

    f, lam = _masked_ce_polynomial(*_masked_inputs(X0, denoiser, mask))
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
    K = V.count(K, "K", lo=2)
    mask = _check_state(mask, K, "mask")
    X = _sequence(X, "X", K)
    return _exact_denoiser(_data_law(data, "data", K, len(X), mask), X, K, mask, V.flag(fallback, "fallback"))


def _exact_denoiser(data: Mapping[tuple[int, ...], float], X: Sequence[int], K: int,
                    mask: int, fallback: bool = False) -> np.ndarray:
    m = len(X)
    out = np.zeros((m, K))
    total = 0.0
    for seq, p in data.items():
        if all(X[i] == mask or X[i] == seq[i] for i in range(m)):
            total += p
            for i in range(m):
                out[i, seq[i]] += p
    if total == 0 and fallback:
        return _exact_denoiser(data, [mask] * m, K, mask)
    if total == 0:
        raise ValueError(f"no sequence of the data law agrees with the unmasked positions of {X}")
    return out / total


def mdlm_step_law(x: int, lam_from: float, lam_to: float, probs: np.ndarray, mask: int) -> np.ndarray:
    """Law of one position after one MDLM step from mask rate ``lam_from`` to ``lam_to``
    (``lam_from > lam_to >= 0``): an unmasked token stays; a masked one stays masked w.p.
    ``lam_to/lam_from`` (the absorbing posterior with ``1-ᾱ`` replaced by ``λ``) and else takes
    a token drawn from ``probs`` (a law over the ``K`` states; ``x`` and ``mask`` are states)."""
    probs = _law(probs, "probs")
    K = len(probs)
    x, mask = _check_state(x, K, "x"), _check_state(mask, K, "mask")
    if V.real(lam_to, "lam_to", lo=0.0, hi=1.0, closed="lo") > V.real(lam_from, "lam_from", lo=0.0, hi=1.0,
                                                                      closed="hi"):
        raise ValueError(f"lam_to must not exceed lam_from = {lam_from!r} (the mask rate decreases), got {lam_to!r}")
    return _mdlm_step_law(x, lam_from, lam_to, probs, mask)


def _mdlm_step_law(x: int, lam_from: float, lam_to: float, probs: np.ndarray, mask: int) -> np.ndarray:
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
    m, K = V.count(m, "m", lo=1), V.count(K, "K", lo=2)
    mask = _check_state(mask, K, "mask")
    _sequence_states(K, m)
    data = _data_law(data, "data", K, m, mask)
    lambdas = V.array(lambdas, "lambdas", ndim=1).tolist()
    joint = V.flag(joint, "joint")
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
                probs = _exact_denoiser(data, X, K, mask, fallback=True)
                per = [_mdlm_step_law(X[i], lam_from, lam_to, probs[i], mask) for i in range(m)]
                for Y in itertools.product(range(K), repeat=m):
                    w = math.prod(per[i][Y[i]] for i in range(m))
                    if w > 0:
                        new[Y] = new.get(Y, 0.0) + p * w
        law = new
    return law
