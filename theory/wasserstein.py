"""Exact Wasserstein distances (000 L5 "Wasserstein Distance (Discrete)", "Wasserstein GAN";
000 L6 "Wasserstein GAN (Optimal Transport)"). Theorems ``wasserstein.kantorovich_rubinstein``
(primal = dual, by linear programming and by the 1-D CDF formula) and ``wasserstein.gaussian_w2``.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, optimize, special

from dgmcheck.theory import _validate as V


def _masses(x: np.ndarray, p: object, name: str) -> np.ndarray:
    """A law with one mass per point of the line ``x``."""
    return V.law(V.matching(V.array(p, name, ndim=1), name, x, "x"), name)


def w1_1d(x: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    """``W_1 = ∫ |F_p - F_q| dx = Σ_i |F_p(x_i) - F_q(x_i)| (x_{i+1} - x_i)`` for masses on sorted ``x``."""
    x = V.array(x, "x", ndim=1)
    p, q = _masses(x, p, "p"), _masses(x, q, "q")
    order = np.argsort(x, kind="stable")
    x, p, q = (a[order] for a in (x, p, q))
    diff = np.cumsum(p - q)[:-1]
    return float(np.sum(np.abs(diff) * np.diff(x)))


def distance_matrix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``‖x_i - y_j‖`` for points ``x (n, ...)`` and ``y (m, ...)`` of one dimension (1-D: points on a line)."""
    x, y = _points(x, "x"), _points(y, "y")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must be points of one dimension, got {x.shape[1]} and {y.shape[1]}")
    return _distances(x, y)


def _points(x: object, name: str) -> np.ndarray:
    x = V.array(x, name, min_ndim=1)
    return x.reshape(len(x), -1)


def _distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.sqrt(np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1))


def w1_primal_lp(x: np.ndarray, p: np.ndarray, y: np.ndarray, q: np.ndarray) -> tuple[float, np.ndarray]:
    """``min_γ Σ γ_ij ‖x_i - y_j‖`` over couplings of ``p`` and ``q`` (scipy.optimize.linprog, HiGHS)."""
    C = distance_matrix(x, y)
    p = V.law(V.array(p, "p", shape=(C.shape[0],), match="x"), "p")
    q = V.law(V.array(q, "q", shape=(C.shape[1],), match="y"), "q")
    n, m = C.shape
    A = np.zeros((n + m, n * m))
    for i in range(n):
        A[i, i * m:(i + 1) * m] = 1.0
    for j in range(m):
        A[n + j, j::m] = 1.0
    res = optimize.linprog(C.ravel(), A_eq=A, b_eq=np.concatenate([p, q]), bounds=(0, None), method="highs")
    if res.status != 0:
        raise ArithmeticError(f"linprog failed: {res.message}")
    return float(res.fun), res.x.reshape(n, m)


def w1_dual_lp(x: np.ndarray, p: np.ndarray, q: np.ndarray) -> tuple[float, np.ndarray]:
    """Kantorovich-Rubinstein dual on a common support ``x``: ``max_f Σ (p_i - q_i) f_i`` subject to
    ``f_i - f_j <= ‖x_i - x_j‖`` (f 1-Lipschitz on the support; it extends to all of ℝ^d by McShane)."""
    C = distance_matrix(x, x)
    p = V.law(V.array(p, "p", shape=(C.shape[0],), match="x"), "p")
    q = V.law(V.array(q, "q", shape=(C.shape[0],), match="x"), "q")
    n = len(C)
    rows, b = [], []
    for i in range(n):
        for j in range(n):
            if i != j:
                r = np.zeros(n)
                r[i], r[j] = 1.0, -1.0
                rows.append(r)
                b.append(C[i, j])
    A = np.array(rows) if rows else np.zeros((0, n))
    bounds = [(0, 0)] + [(None, None)] * (n - 1)  # f is defined up to a constant
    res = optimize.linprog(-(np.asarray(p) - np.asarray(q)), A_ub=A, b_ub=np.array(b), bounds=bounds, method="highs")
    if res.status != 0:
        raise ArithmeticError(f"linprog failed: {res.message}")
    return float(-res.fun), res.x


def gradient_penalty(grads: np.ndarray) -> float:
    """WGAN-GP penalty ``mean_i (‖∇f(x̂_i)‖ - 1)²`` from per-sample gradients ``(B, d)``."""
    g = _points(grads, "grads")
    return float(np.mean((np.linalg.norm(g, axis=1) - 1.0) ** 2))


# ------------------------------------------------------------------ Gaussian W2
def psd_sqrt(S: np.ndarray) -> np.ndarray:
    """Symmetric PSD square root by the eigen-decomposition (eigenvalues clamped at 0: rounding only)."""
    return _psd_sqrt(V.psd(S, "S"))


def _psd_sqrt(S: np.ndarray) -> np.ndarray:
    lam, U = np.linalg.eigh(0.5 * (S + S.T))
    return (U * np.sqrt(np.clip(lam, 0, None))) @ U.T


def cross_eigenvalues(S1: np.ndarray, S2: np.ndarray) -> np.ndarray:
    """Eigenvalues (>= 0) of ``S1^{1/2} S2 S1^{1/2}`` (those of ``S1 S2``)."""
    S1 = V.psd(S1, "S1")
    S2 = V.psd(S2, "S2", n=len(S1), match="S1")
    return _cross_eigenvalues(S1, S2)


def _cross_eigenvalues(S1: np.ndarray, S2: np.ndarray) -> np.ndarray:
    A = _psd_sqrt(S1)
    M = A @ S2 @ A
    return np.clip(np.linalg.eigvalsh(0.5 * (M + M.T)), 0, None)


def gaussian_w2_squared(mu1: np.ndarray, S1: np.ndarray, mu2: np.ndarray, S2: np.ndarray) -> float:
    """``W_2² = ‖μ_1 - μ_2‖² + tr[Σ_1 + Σ_2 - 2 (Σ_1^{1/2} Σ_2 Σ_1^{1/2})^{1/2}]`` (symmetric eigen form)."""
    mu1, S1, mu2, S2 = _gaussians(mu1, S1, mu2, S2)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(S1) + np.trace(S2)
                 - 2.0 * np.sum(np.sqrt(_cross_eigenvalues(S1, S2))))


def _gaussians(mu1: object, S1: object, mu2: object, S2: object) -> tuple[np.ndarray, ...]:
    """Two Gaussians of one dimension d (means ``(d,)``, covariances ``(d, d)`` PSD; d = 1 may be numbers)."""
    mu1 = np.atleast_1d(V.array(mu1, "mu1", ndim=(0, 1)))
    d = len(mu1)
    mu2 = np.atleast_1d(V.array(mu2, "mu2", ndim=(0, 1)))
    if mu2.shape != mu1.shape:
        raise ValueError(f"mu2 must have the shape of mu1 {mu1.shape}, got {mu2.shape}")
    S1 = V.psd(np.atleast_2d(V.array(S1, "S1", ndim=(0, 2))), "S1", n=d, match="mu1")
    S2 = V.psd(np.atleast_2d(V.array(S2, "S2", ndim=(0, 2))), "S2", n=d, match="mu1")
    return mu1, S1, mu2, S2


def gaussian_w2_squared_sqrtm(mu1: np.ndarray, S1: np.ndarray, mu2: np.ndarray, S2: np.ndarray) -> float:
    """The same by ``scipy.linalg.sqrtm(Σ_1 Σ_2)`` (real part), as pytorch-fid computes it."""
    from scipy import linalg

    mu1, S1, mu2, S2 = _gaussians(mu1, S1, mu2, S2)
    covmean = linalg.sqrtm(S1 @ S2)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(S1) + np.trace(S2) - 2.0 * np.trace(np.real(covmean)))


def gaussian_w2_1d_quantile(m1: float, s1: float, m2: float, s2: float) -> float:
    """``W_2² = ∫_0^1 (F^{-1}(u) - G^{-1}(u))² du`` by quadrature (= (m1-m2)² + (s1-s2)²)."""
    m1, m2 = V.real(m1, "m1"), V.real(m2, "m2")
    s1, s2 = V.positive(s1, "s1"), V.positive(s2, "s2")

    def f(u: float) -> np.float64:
        # stats.norm.ppf(u, m, s) for 0 < u < 1 is scipy's ndtri(u) * s + m; called directly, without
        # rv_continuous's per-call argument handling (the same floats; quad never evaluates u = 0 or 1,
        # where both give ∓inf anyway)
        q = special.ndtri(u)
        return (q * s1 + m1 - (q * s2 + m2)) ** 2

    val, _ = integrate.quad(f, 0.0, 1.0, limit=200, epsabs=1e-13, epsrel=1e-12)
    return float(val)


def empirical_w2_squared_1d(x: np.ndarray, y: np.ndarray) -> float:
    """Discrete OT (squared cost) between two equal-size 1-D samples: sorted matching."""
    x = V.array(x, "x", ndim=1)
    y = V.matching(V.array(y, "y", ndim=1), "y", x, "x")
    return float(np.mean((np.sort(x) - np.sort(y)) ** 2))
