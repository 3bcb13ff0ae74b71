"""Exact Wasserstein distances (000 L5 "Wasserstein Distance (Discrete)", "Wasserstein GAN";
000 L6 "Wasserstein GAN (Optimal Transport)"). Theorems ``wasserstein.kantorovich_rubinstein``
(primal = dual, by linear programming and by the 1-D CDF formula) and ``wasserstein.gaussian_w2``.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, optimize, stats


def w1_1d(x: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    """``W_1 = ∫ |F_p - F_q| dx = Σ_i |F_p(x_i) - F_q(x_i)| (x_{i+1} - x_i)`` for masses on sorted ``x``."""
    order = np.argsort(x, kind="stable")
    x, p, q = (np.asarray(a, float)[order] for a in (x, p, q))
    diff = np.cumsum(p - q)[:-1]
    return float(np.sum(np.abs(diff) * np.diff(x)))


def distance_matrix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x = np.asarray(x, float).reshape(len(x), -1)
    y = np.asarray(y, float).reshape(len(y), -1)
    return np.sqrt(np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1))


def w1_primal_lp(x: np.ndarray, p: np.ndarray, y: np.ndarray, q: np.ndarray) -> tuple[float, np.ndarray]:
    """``min_γ Σ γ_ij ‖x_i - y_j‖`` over couplings of ``p`` and ``q`` (scipy.optimize.linprog, HiGHS)."""
    C = distance_matrix(x, y)
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
    g = np.asarray(grads, float).reshape(len(grads), -1)
    return float(np.mean((np.linalg.norm(g, axis=1) - 1.0) ** 2))


# ------------------------------------------------------------------ Gaussian W2
def psd_sqrt(S: np.ndarray) -> np.ndarray:
    """Symmetric PSD square root by the eigen-decomposition (eigenvalues clamped at 0)."""
    lam, V = np.linalg.eigh(0.5 * (S + S.T))
    return (V * np.sqrt(np.clip(lam, 0, None))) @ V.T


def cross_eigenvalues(S1: np.ndarray, S2: np.ndarray) -> np.ndarray:
    """Eigenvalues (>= 0) of ``S1^{1/2} S2 S1^{1/2}`` (those of ``S1 S2``)."""
    A = psd_sqrt(S1)
    M = A @ S2 @ A
    return np.clip(np.linalg.eigvalsh(0.5 * (M + M.T)), 0, None)


def gaussian_w2_squared(mu1: np.ndarray, S1: np.ndarray, mu2: np.ndarray, S2: np.ndarray) -> float:
    """``W_2² = ‖μ_1 - μ_2‖² + tr[Σ_1 + Σ_2 - 2 (Σ_1^{1/2} Σ_2 Σ_1^{1/2})^{1/2}]`` (symmetric eigen form)."""
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, float)), np.atleast_1d(np.asarray(mu2, float))
    S1, S2 = np.atleast_2d(np.asarray(S1, float)), np.atleast_2d(np.asarray(S2, float))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(S1) + np.trace(S2)
                 - 2.0 * np.sum(np.sqrt(cross_eigenvalues(S1, S2))))


def gaussian_w2_squared_sqrtm(mu1: np.ndarray, S1: np.ndarray, mu2: np.ndarray, S2: np.ndarray) -> float:
    """The same by ``scipy.linalg.sqrtm(Σ_1 Σ_2)`` (real part), as pytorch-fid computes it."""
    from scipy import linalg

    mu1, mu2 = np.atleast_1d(np.asarray(mu1, float)), np.atleast_1d(np.asarray(mu2, float))
    S1, S2 = np.atleast_2d(np.asarray(S1, float)), np.atleast_2d(np.asarray(S2, float))
    covmean = linalg.sqrtm(S1 @ S2)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(S1) + np.trace(S2) - 2.0 * np.trace(np.real(covmean)))


def gaussian_w2_1d_quantile(m1: float, s1: float, m2: float, s2: float) -> float:
    """``W_2² = ∫_0^1 (F^{-1}(u) - G^{-1}(u))² du`` by quadrature (= (m1-m2)² + (s1-s2)²)."""
    f = lambda u: (stats.norm.ppf(u, m1, s1) - stats.norm.ppf(u, m2, s2)) ** 2  # noqa: E731
    val, _ = integrate.quad(f, 0.0, 1.0, limit=200, epsabs=1e-13, epsrel=1e-12)
    return float(val)


def empirical_w2_squared_1d(x: np.ndarray, y: np.ndarray) -> float:
    """Discrete OT (squared cost) between two equal-size 1-D samples: sorted matching."""
    return float(np.mean((np.sort(x) - np.sort(y)) ** 2))
