"""Gaussian W2, FID from user-supplied features, and k-NN precision/recall in torch.

No Inception weights: the features are the API. Theorems ``wasserstein.gaussian_w2``,
``metrics.fid``, ``metrics.precision_recall`` (000 L6 "Wasserstein GAN (Optimal Transport)",
"Frechet Inception Distance (FID)", "Precision-Recall").
"""

from __future__ import annotations

import torch

from dgmcheck.impl import _validate as V
from dgmcheck.impl._validate import like


def _finite(x: torch.Tensor, name: str) -> torch.Tensor:
    return V.tensor(x, name)


def _covariance(S: object, name: str, like_: torch.Tensor | None = None, like_name: str = "") -> torch.Tensor:
    """A finite square matrix ``(d, d)`` (or a batch of them)."""
    S = V.tensor(S, name, like_=like_, like_name=like_name)
    if S.ndim < 2 or S.shape[-1] != S.shape[-2]:
        raise ValueError(f"{name} must be a square matrix (d, d), got shape {tuple(S.shape)}")
    return S


def _features(X: object, name: str) -> torch.Tensor:
    _finite(X, name)
    if X.dim() != 2:
        raise ValueError(f"{name} must have shape (n, d), got {tuple(X.shape)}")
    n, d = X.shape
    if n < 2 or n < d:
        raise ValueError(f"{name} has {n} samples for {d} dimensions; a covariance needs n >= max(2, d)")
    return X


def _psd_sqrt(S: torch.Tensor) -> torch.Tensor:
    lam, V = torch.linalg.eigh(0.5 * (S + S.mT))
    return (V * lam.clamp(min=0).sqrt().unsqueeze(-2)) @ V.mT


def trace_sqrt_product(S1: torch.Tensor, S2: torch.Tensor) -> torch.Tensor:
    """``tr (S1^{1/2} S2 S1^{1/2})^{1/2}`` by two symmetric eigen-decompositions (real, stable)."""
    _covariance(S1, "S1")
    _covariance(S2, "S2", S1, "S1")
    if S2.shape != S1.shape:
        raise ValueError(f"S2 has shape {tuple(S2.shape)} but S1 has {tuple(S1.shape)}")
    return _trace_sqrt_product(S1, S2)


def _trace_sqrt_product(S1: torch.Tensor, S2: torch.Tensor) -> torch.Tensor:
    A = _psd_sqrt(S1)
    M = A @ S2 @ A
    return torch.linalg.eigvalsh(0.5 * (M + M.mT)).clamp(min=0).sqrt().sum(-1)


def gaussian_w2(mu1: torch.Tensor, S1: torch.Tensor, mu2: torch.Tensor, S2: torch.Tensor) -> torch.Tensor:
    """``W_2² = ‖μ_1 - μ_2‖² + tr Σ_1 + tr Σ_2 - 2 tr (Σ_1^{1/2} Σ_2 Σ_1^{1/2})^{1/2}``."""
    V.tensor(mu1, "mu1", batched=True)
    V.tensor(mu2, "mu2", like_=mu1, like_name="mu1", same_shape=True)
    _covariance(S1, "S1", mu1, "mu1")
    _covariance(S2, "S2", S1, "S1")
    like(S2, S1, "S2", "S1")
    d = mu1.shape[-1]
    if S1.shape[-2:] != (d, d):
        raise ValueError(f"S1 must have shape ({d}, {d}), got {tuple(S1.shape)}")
    return ((mu1 - mu2) ** 2).sum(-1) + torch.diagonal(S1, dim1=-2, dim2=-1).sum(-1) \
        + torch.diagonal(S2, dim1=-2, dim2=-1).sum(-1) - 2 * _trace_sqrt_product(S1, S2)


def feature_stats(X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and unbiased (n - 1) covariance, two-pass (centre first: no E[xxᵀ] - μμᵀ cancellation)."""
    _features(X, "X")
    return _feature_stats(X)


def _feature_stats(X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mu = X.mean(0)
    C = X - mu
    return mu, C.mT @ C / (X.shape[0] - 1)


def fid(features_a: torch.Tensor, features_b: torch.Tensor) -> torch.Tensor:
    """Fréchet distance of the Gaussians fitted to two feature sets ``(n, d)`` and ``(m, d)``."""
    _features(features_a, "features_a")
    _features(features_b, "features_b")
    like(features_b, features_a, "features_b", "features_a", same_shape=False)
    if features_a.shape[1] != features_b.shape[1]:
        raise ValueError(f"features_b has {features_b.shape[1]} dimensions, features_a {features_a.shape[1]}")
    m1, S1 = _feature_stats(features_a)
    m2, S2 = _feature_stats(features_b)
    return gaussian_w2(m1, S1, m2, S2)


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """k-NN manifold precision and recall (Kynkäänniemi et al. 2019, 000 L6 "Precision-Recall")."""
    V.tensor(real, "real", ndim=2)
    V.tensor(fake, "fake", ndim=2, like_=real, like_name="real")
    if fake.shape[1] != real.shape[1]:
        raise ValueError(f"fake has {fake.shape[1]} dimensions, real {real.shape[1]}")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k < min(len(real), len(fake)):
        raise ValueError(f"k must be an int in 1..min(n_real, n_fake) - 1, got {k!r}")

    def covered(X: torch.Tensor, S: torch.Tensor) -> torch.Tensor:
        dSS = torch.cdist(S, S, compute_mode="donot_use_mm_for_euclid_dist")
        dSS.fill_diagonal_(float("inf"))
        radii = dSS.kthvalue(k, dim=1).values
        dXS = torch.cdist(X, S, compute_mode="donot_use_mm_for_euclid_dist")
        return (dXS <= radii[None, :]).any(1).to(X.dtype)

    return covered(fake, real).mean(), covered(real, fake).mean()


class Metrics:
    """Reference candidate for ``dgmcheck.checks.metrics.verify``."""

    gaussian_w2 = staticmethod(gaussian_w2)
    fid = staticmethod(fid)
    precision_recall = staticmethod(precision_recall)
