"""Exact oracles of change of variables and normalizing flows (numpy/scipy, no torch).

Convention (000 L2 "Normalizing Flows (NF)"): a flow maps data to noise, ``z = f(x)``, with base
``p(z) = N(0, I)``; ``J_f = ∂z/∂x`` with ``[J_f]_{ij} = ∂z_i/∂x_j`` (000 L2 "Normalizing Flows:
Prerequisites"). Then (change_of_variables.density)

    log p(x) = log N(f(x); 0, I) + log |det J_f(x)|,

and (change_of_variables.inverse_function) ``J_{f^{-1}}(f(x)) = J_f(x)^{-1}``, so
``log|det J_{f^{-1}}| = -log|det J_f|``. A composition adds log-determinants (flows.composition).

Conditioners are plain callables on float64 arrays: an autoregressive conditioner
``cond(x) -> (mu, log_sigma)`` (each ``(m,)``) whose j-th outputs may depend on ``x_{1:j-1}`` only;
a coupling conditioner ``cond(x1) -> (mu, log_sigma)`` (each ``(m-d,)``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
from scipy import integrate

from dgmcheck.theory import _validate as V

LOG_2PI = float(np.log(2.0 * np.pi))
Conditioner = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
#: The largest dimension ``lu_positive_permutations`` enumerates (``m!`` permutations: 40320 at 8).
MAX_PERMUTED_DIM = 8


def _matrices(J: object, name: str) -> np.ndarray:
    """Square matrices ``(..., m, m)``."""
    J = V.array(J, name, min_ndim=2)
    if J.shape[-1] != J.shape[-2]:
        raise ValueError(f"{name} must be square (..., m, m), got shape {J.shape}")
    return J


def _invertible(W: object, name: str = "W") -> np.ndarray:
    W = V.square(W, name)
    if np.linalg.matrix_rank(W) < len(W):
        raise ValueError(f"{name} must be invertible (a flow's Jacobian has a non-zero determinant)")
    return W


def std_normal_logpdf(z: np.ndarray) -> np.ndarray:
    """``log N(z; 0, I) = -|z|²/2 - (m/2) log 2π`` over the last axis."""
    z = V.array(z, "z", min_ndim=1)
    return -0.5 * np.sum(z * z, axis=-1) - 0.5 * z.shape[-1] * LOG_2PI


def log_abs_det(J: np.ndarray) -> np.ndarray:
    """``log |det J|`` (batched over leading axes); raises on a singular J."""
    sign, logdet = np.linalg.slogdet(_matrices(J, "J"))
    if np.any(sign == 0):
        raise ValueError("J must be non-singular (a flow's Jacobian has non-zero determinant)")
    return logdet


def flow_log_density(z: np.ndarray, log_det: np.ndarray) -> np.ndarray:
    """change_of_variables.density: ``log p(x) = log N(f(x)) + log|det J_f(x)|``."""
    z = V.array(z, "z", min_ndim=1)
    log_det = V.array(log_det, "log_det")
    try:
        fits = log_det.ndim <= z.ndim - 1 and np.broadcast_shapes(log_det.shape, z.shape[:-1]) == z.shape[:-1]
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"log_det must be a number or have shape z.shape[:-1] = {z.shape[:-1]}, "
                         f"got {log_det.shape}")
    return std_normal_logpdf(z) + log_det


def inverse_jacobian(J: np.ndarray) -> np.ndarray:
    """change_of_variables.inverse_function: ``J_{f^{-1}}(f(x)) = J_f(x)^{-1}``."""
    J = _matrices(J, "J")
    log_abs_det(J)  # refuses a singular J
    return np.linalg.inv(J)


def composition_log_det(log_dets: list[np.ndarray]) -> np.ndarray:
    """flows.composition: ``log|det J_{f_K∘…∘f_1}(x)| = Σ_k log|det J_{f_k}(x_{k-1})|``, each term at
    the layer's own input ``x_{k-1} = f_{k-1}∘…∘f_1(x)``."""
    if isinstance(log_dets, (str, bytes, np.ndarray)) or not isinstance(log_dets, (list, tuple)) or not log_dets:
        raise TypeError(f"log_dets must be a non-empty list of arrays, one per layer, got {V.got(log_dets)}")
    terms = [V.array(ld, "log_dets", empty=True) for ld in log_dets]
    if len({t.shape for t in terms}) != 1:
        raise ValueError(f"log_dets must share one shape, got {[t.shape for t in terms]}")
    return np.sum(np.stack(terms), axis=0)


def normalization_1d(log_density: Callable[[float], float]) -> float:
    """``∫ exp(log p(x)) dx`` over the real line by adaptive quadrature (should be 1)."""
    V.function(log_density, "log_density")
    value, _ = integrate.quad(lambda x: float(np.exp(log_density(x))), -np.inf, np.inf, limit=200)
    return float(value)


# --------------------------------------------------------------------------- linear flows
def linear_forward(W: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """flows.linear: ``z = W x`` (rows of ``x`` are points), ``J_f = W`` (not ``Wᵀ``), and
    ``log|det J_f| = log|det W|`` for every x."""
    W = _invertible(W)
    x = V.points(x, "x", len(W))
    return x @ W.T, np.full(x.shape[:-1], log_abs_det(W))


def linear_inverse(W: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``x = W^{-1} z`` (rows of ``z`` are points)."""
    W = _invertible(W)
    return np.linalg.solve(W, V.points(z, "z", len(W)).T).T


def leading_minors(A: np.ndarray) -> np.ndarray:
    """The leading principal minors ``det A[:k, :k]``, k = 1..m."""
    A = V.square(A, "A")
    return np.array([np.linalg.det(A[:k, :k]) for k in range(1, len(A) + 1)])


def lu_positive_exists(W: np.ndarray, P: np.ndarray, *, rtol: float = 1e-12) -> bool:
    """Is ``W = P L U`` with L lower and U upper triangular, both with POSITIVE diagonal (the
    slide's form)? True iff every leading principal minor of ``Pᵀ W`` is positive (``Pᵀ W = L U``
    gives ``minor_k = Π_{i≤k} L_ii U_ii``; conversely positive minors give the Doolittle factors
    with positive pivots ``minor_k/minor_{k-1}``)."""
    W = V.square(W, "W")
    P = V.square(P, "P", n=len(W))
    if not (np.all((P == 0) | (P == 1)) and np.all(P.sum(0) == 1) and np.all(P.sum(1) == 1)):
        raise ValueError(f"P must be a permutation matrix (one 1 per row and column), got {P.tolist()}")
    V.positive(rtol, "rtol")
    return _lu_positive_exists(W, P, rtol)


def _lu_positive_exists(W: np.ndarray, P: np.ndarray, rtol: float = 1e-12) -> bool:
    minors = leading_minors(P.T @ W)
    scale = np.cumprod(np.sort(np.abs(np.linalg.svd(W, compute_uv=False)))[::-1])
    return bool(np.all(minors > rtol * scale))


def lu_positive_permutations(W: np.ndarray) -> list[tuple[int, ...]]:
    """Every permutation ``π`` (``P = I[:, π]``) for which ``W = P L U`` with positive diagonals exists;
    empty for e.g. ``W = -I₂``: such W cannot be represented by the slide's LU parametrization."""
    W = V.square(W, "W")
    m = len(W)
    V.bounded(m, "W's dimension m (m! permutations)", MAX_PERMUTED_DIM, "take a smaller W")
    out = []
    for perm in itertools.permutations(range(m)):
        if _lu_positive_exists(W, np.eye(m)[:, list(perm)]):
            out.append(perm)
    return out


def permutation_sign(perm: tuple[int, ...]) -> int:
    """``det P`` of the permutation matrix ``I[:, perm]``."""
    perm = V.integers(perm, "perm", lo=0, ndim=1).tolist()
    if sorted(perm) != list(range(len(perm))):
        raise ValueError(f"perm must be a permutation of 0..{len(perm) - 1}, got {perm}")
    sign = 1
    for i in range(len(perm)):
        while perm[i] != i:
            j = perm[i]
            perm[i], perm[j] = perm[j], perm[i]
            sign = -sign
    return sign


def qr_positive(W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The unique ``W = Q R`` of an invertible W with Q orthogonal and R upper triangular with
    positive diagonal (Gram–Schmidt); it exists for EVERY invertible W, with ``det Q = sign det W``."""
    W = _invertible(W)
    Q, R = np.linalg.qr(W)
    s = np.sign(np.diag(R))
    return Q * s, s[:, None] * R


# --------------------------------------------------------------------------- autoregressive flows
def gaussian_ar_forward(x: np.ndarray, cond: Conditioner) -> tuple[np.ndarray, np.ndarray]:
    """flows.gaussian_ar: ``z_j = (x_j - μ_j(x_{1:j-1})) / σ_j(x_{1:j-1})`` and
    ``log|det J_f| = -Σ_j log σ_j(x_{1:j-1})`` (J_f lower triangular with diagonal 1/σ_j).

    ``μ_j, σ_j`` are read off ``cond`` applied to ``x`` with ``x_j, …, x_m`` set to 0, so a conditioner
    that peeks at ``x_{j:m}`` gives a different (wrong) z than its implementation computes."""
    x = np.atleast_2d(V.array(x, "x", ndim=(1, 2)))
    V.function(cond, "cond")
    z = np.empty_like(x)
    log_det = np.zeros(len(x))
    for b, row in enumerate(x):
        for j in range(len(row)):
            prefix = np.concatenate([row[:j], np.zeros(len(row) - j)])
            mu, log_sigma = cond(prefix)
            z[b, j] = (row[j] - mu[j]) * np.exp(-log_sigma[j])
            log_det[b] -= log_sigma[j]
    return z, log_det


def gaussian_ar_inverse(z: np.ndarray, cond: Conditioner) -> np.ndarray:
    """Sequential sampling ``x_j = σ_j(x_{1:j-1}) z_j + μ_j(x_{1:j-1})``, j = 1..m."""
    z = np.atleast_2d(V.array(z, "z", ndim=(1, 2)))
    V.function(cond, "cond")
    x = np.zeros_like(z)
    for b in range(len(z)):
        for j in range(z.shape[1]):
            mu, log_sigma = cond(x[b].copy())
            x[b, j] = np.exp(log_sigma[j]) * z[b, j] + mu[j]
    return x


def coupling_forward(x: np.ndarray, d: int, cond: Conditioner) -> tuple[np.ndarray, np.ndarray]:
    """flows.realnvp: ``z_{1:d} = x_{1:d}``, ``z_{d+1:m} = (x_{d+1:m} - μ(x_{1:d})) ⊙ 1/σ(x_{1:d})``,
    ``log|det ∂z/∂x| = -Σ_j log σ_j(x_{1:d})``."""
    x, d = _split(x, d, cond, "x")
    z = x.copy()
    log_det = np.zeros(len(x))
    for b, row in enumerate(x):
        mu, log_sigma = cond(row[:d])
        z[b, d:] = (row[d:] - mu) * np.exp(-log_sigma)
        log_det[b] = -np.sum(log_sigma)
    return z, log_det


def coupling_inverse(z: np.ndarray, d: int, cond: Conditioner) -> np.ndarray:
    """``x_{1:d} = z_{1:d}``, ``x_{d+1:m} = z_{d+1:m} ⊙ σ(z_{1:d}) + μ(z_{1:d})``."""
    z, d = _split(z, d, cond, "z")
    x = z.copy()
    for b, row in enumerate(z):
        mu, log_sigma = cond(row[:d])
        x[b, d:] = row[d:] * np.exp(log_sigma) + mu
    return x


def _split(x: object, d: object, cond: object, name: str) -> tuple[np.ndarray, int]:
    """Points ``(m,)`` or ``(n, m)`` and the split ``1 <= d < m``."""
    x = np.atleast_2d(V.array(x, name, ndim=(1, 2)))
    V.function(cond, "cond")
    return x, V.count(d, "d", hi=x.shape[1] - 1)


def coupling_as_ar(d: int, cond: Conditioner) -> Conditioner:
    """The coupling layer as a Gaussian AR flow: ``μ_j = 0, σ_j = 1`` for ``j ≤ d`` and
    ``μ_j, σ_j = μ(x_{1:d}), σ(x_{1:d})`` for ``j > d`` (depends on ``x_{1:d} ⊂ x_{1:j-1}``)."""
    d = V.count(d, "d")
    V.function(cond, "cond")

    def ar(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mu, log_sigma = cond(np.asarray(x, dtype=np.float64)[:d])
        zeros = np.zeros(d)
        return np.concatenate([zeros, mu]), np.concatenate([zeros, log_sigma])

    return ar
