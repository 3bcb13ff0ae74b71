"""Evaluation metrics on user-supplied features (000 L6 "Frechet Inception Distance (FID)",
"Precision-Recall"). Theorems ``metrics.fid`` and ``metrics.precision_recall``; exact float64.
"""

from __future__ import annotations

import numpy as np

from dgmcheck.theory import _validate as V
from dgmcheck.theory.wasserstein import distance_matrix, gaussian_w2_squared


def validate_features(X: np.ndarray, name: str) -> np.ndarray:
    """Features ``(n, d)``, finite, with ``n >= d`` samples (needed for a covariance of full use)."""
    X = V.array(X, name, finite=False, empty=True)
    if X.ndim != 2:
        raise ValueError(f"{name} must have shape (n, d), got {X.shape}")
    n, d = X.shape
    if n < 2 or n < d:
        raise ValueError(f"{name} has {n} samples for {d} dimensions; a covariance needs n >= max(2, d)")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} must be finite")
    return X


def feature_stats(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unbiased covariance (``ddof = 1``, two-pass) of features ``(n, d)``."""
    X = validate_features(X, "X")
    mu = X.mean(axis=0)
    C = X - mu
    return mu, C.T @ C / (len(X) - 1)


def fid(X: np.ndarray, Y: np.ndarray) -> float:
    """``FID = ‖μ_X - μ_Y‖² + tr[Σ_X + Σ_Y - 2 (Σ_X^{1/2} Σ_Y Σ_X^{1/2})^{1/2}]`` of the features."""
    mx, Sx = feature_stats(validate_features(X, "X"))
    my, Sy = feature_stats(validate_features(Y, "Y"))
    return gaussian_w2_squared(mx, Sx, my, Sy)


def sqrt_perturbation(lam: np.ndarray, delta: float) -> float:
    """Bound on ``Σ |√(λ_i + δ_i) - √λ_i|`` for ``|δ_i| <= delta``: ``Σ min(δ/(2√λ_i), √δ)``."""
    lam = np.clip(V.array(lam, "lam", min_ndim=1), 0, None)  # eigenvalues: a negative one is rounding
    delta = V.real(delta, "delta", lo=0.0, closed="lo")
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.where(lam > 0, delta / (2 * np.sqrt(lam)), np.inf)
    return float(np.sum(np.minimum(first, np.sqrt(delta))))


def knn_radii(S: np.ndarray, k: int) -> np.ndarray:
    """Distance of each point of ``S`` to its k-th nearest neighbour in ``S`` other than itself."""
    S = V.array(S, "S", ndim=2)
    V.count(k, "k", hi=len(S) - 1)
    D = distance_matrix(S, S)
    np.fill_diagonal(D, np.inf)
    return np.sort(D, axis=1)[:, k - 1]


def in_manifold(X: np.ndarray, S: np.ndarray, k: int) -> np.ndarray:
    """``I(x, S) = 1`` iff some ``x' ∈ S`` has ``‖x - x'‖ <= ‖x' - NN_k(x', S)‖`` (per row of X)."""
    X = V.array(X, "X", ndim=2)
    r = knn_radii(S, k)
    if X.shape[1] != np.shape(S)[1]:
        raise ValueError(f"X has {X.shape[1]} dimensions but S has {np.shape(S)[1]}")
    return np.any(distance_matrix(X, S) <= r[None, :], axis=1)


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int) -> tuple[float, float]:
    """``Pr = mean_{x ∈ S_θ} I(x, S_data)``, ``Rec = mean_{x ∈ S_data} I(x, S_θ)`` (Kynkäänniemi et al.)."""
    real, fake = V.array(real, "real", ndim=2), V.array(fake, "fake", ndim=2)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"fake has {fake.shape[1]} dimensions, real {real.shape[1]}")
    k = V.count(k, "k")
    if not 1 <= k < min(len(real), len(fake)):
        raise ValueError(f"k must lie in 1..min(n_real, n_fake) - 1, got {k}")
    return float(np.mean(in_manifold(fake, real, k))), float(np.mean(in_manifold(real, fake, k)))
