"""The exact-score model of a Gaussian mixture, batched in torch (the data model shared by the
score, guidance and sampler checks).

Data ``x_0 ~ Σ_k w_k N(m_k, C_k)`` noised as ``x = a x_0 + s ε`` (Gaussian noising, the VE/VP SDE
marginals, NCSN noise levels) stays a mixture: ``x | k ~ N(a m_k, a² C_k + s² I)``. So its log-density,
its score and the class posterior ``p(k | x)`` are exact for every noise level; ``a`` and ``s`` may be
scalars or one value per batch row. Written independently of ``theory/gaussian_mixture.py``, which
judges it.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from . import _validate as V
from ._validate import floating


def _per_row(v: object, x: torch.Tensor, name: str) -> tuple[torch.Tensor, list[float] | None]:
    """A scalar or a ``(batch,)`` tensor as a ``(batch,)`` tensor like ``x``, and on the CPU its values as a
    list (one read, checked in Python rather than by a few tensor ops each call; None elsewhere)."""
    v = torch.as_tensor(v, dtype=x.dtype, device=x.device)
    if v.ndim == 0:
        v = v.expand(x.shape[0])
    if v.shape != (x.shape[0],):
        raise ValueError(f"{name} must be a scalar or have shape ({x.shape[0]},), got {tuple(v.shape)}")
    if v.device.type != "cpu":
        if not bool(torch.isfinite(v).all()):
            raise ValueError(f"{name} must be finite, got {v.tolist()}")
        return v, None
    vals = v.tolist()
    if not all(map(math.isfinite, vals)):
        raise ValueError(f"{name} must be finite, got {vals}")
    return v, vals


def _float64(a: object, name: str) -> torch.Tensor:
    """Parameters are kept in float64 on the CPU and cast like ``x`` at each call; finite, not empty."""
    if isinstance(a, torch.Tensor):
        return V.tensor(a, name).detach().to(device="cpu", dtype=torch.float64)
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a tensor or an array of numbers, got {V._got(a)}") from None
    return V.tensor(torch.as_tensor(arr), name)


class GaussianMixtureModel:
    """``p(x) = Σ_k w_k N(x; m_k, C_k)``; ``weights (K,)``, ``means (K, d)``, ``covs (K, d, d)``.

    Every method takes ``x`` of shape ``(batch, d)`` and optional noising ``scale`` (a) and ``std``
    (s): the density is then that of ``a x_0 + s ε``. Results follow ``x``'s dtype and device.
    """

    def __init__(self, weights: object, means: object, covs: object) -> None:
        w, m, c = (_float64(a, n) for a, n in ((weights, "weights"), (means, "means"), (covs, "covs")))
        if m.ndim != 2 or w.shape != m.shape[:1] or c.shape != (*m.shape, m.shape[1]):
            raise ValueError("weights, means, covs must have shapes (K,), (K, d), (K, d, d); got "
                             f"{tuple(w.shape)}, {tuple(m.shape)}, {tuple(c.shape)}")
        if bool((w < 0).any()) or abs(float(w.sum()) - 1.0) > 1e-9:
            raise ValueError(f"weights must be non-negative and sum to 1, got {w.tolist()}")
        if not torch.allclose(c, c.transpose(1, 2), rtol=0, atol=1e-12):
            raise ValueError("covs must be symmetric")
        if bool((torch.linalg.eigvalsh(c) <= 0).any()):
            raise ValueError(f"covs must be positive definite, got eigenvalues {torch.linalg.eigvalsh(c).tolist()}")
        self.weights, self.means, self.covs = w, m, c

    @property
    def dim(self) -> int:
        return int(self.means.shape[1])

    def _cast(self, x: torch.Tensor) -> dict:
        """The parameters cast like ``x`` (and ``eye``, ``log w``), once per dtype and device; rebuilt if a
        parameter tensor is replaced. ``chol`` caches per noise level ``(a, s)`` (CPU, every row alike)."""
        key = (x.dtype, x.device)
        if torch.is_inference_mode_enabled():  # inference tensors kept would refuse a later autograd call
            cache: dict = {}
        else:
            cache = self.__dict__.setdefault("_casts", {})
        hit = cache.get(key)
        src = (self.weights, self.means, self.covs)
        if hit is None or any(p is not q for p, q in zip(hit["src"], src, strict=True)):
            hit = cache[key] = {"src": src, "m": self.means.to(x), "c": self.covs.to(x),
                                "logw": self.weights.to(x).log(),
                                "eye": torch.eye(self.dim, dtype=x.dtype, device=x.device), "chol": {}}
        return hit

    def _terms(self, x: torch.Tensor, scale: object, std: object) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-component log ``w_k N(x; a m_k, a² C_k + s² I)`` (B, K) and ``Σ_k^{-1}(x - a m_k)`` (B, K, d)."""
        floating(x, "x")
        d = self.dim
        if x.ndim != 2 or x.shape[1] != d:
            raise ValueError(f"x must have shape (batch, {d}), got {tuple(x.shape)}")
        a, av = _per_row(1.0 if scale is None else scale, x, "scale")
        s, sv = _per_row(0.0 if std is None else std, x, "std")
        if (min(sv, default=0.0) < 0) if sv is not None else bool((s < 0).any()):
            raise ValueError(f"std must be >= 0, got min {float(s.min())}")
        p = self._cast(x)
        m, c, eye = p["m"], p["c"], p["eye"]
        if av and sv and av.count(av[0]) == len(av) and sv.count(sv[0]) == len(sv) \
                and not (a.requires_grad or s.requires_grad):
            # Every row at one noise level (a sampler's step): Σ_k, its Cholesky factor and log-det are those
            # of row 0 for every row, computed by the same ops at batch 1 and kept per (a, s); cholesky_solve
            # broadcasts the factor (the same LAPACK solve per row: bit for bit the general path).
            got = p["chol"].get((av[0], sv[0]))
            if got is None:
                if len(p["chol"]) >= 512:
                    p["chol"].clear()
                a1, s1 = a[:1], s[:1]
                sig = a1[:, None, None, None] ** 2 * c + (s1**2)[:, None, None, None] * eye  # (1, K, d, d)
                chol = torch.linalg.cholesky(sig)
                logdet = 2 * torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)
                got = p["chol"][(av[0], sv[0])] = (a1[:, None, None] * m, chol, logdet)
            am, chol, logdet = got
            diff = x[:, None, :] - am
        else:
            sig = a[:, None, None, None] ** 2 * c + (s**2)[:, None, None, None] * eye  # (B, K, d, d)
            diff = x[:, None, :] - a[:, None, None] * m
            chol = torch.linalg.cholesky(sig)
            logdet = 2 * torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)
        sol = torch.cholesky_solve(diff[..., None], chol)[..., 0]
        logc = p["logw"] - 0.5 * ((diff * sol).sum(-1) + logdet + d * math.log(2 * math.pi))
        return logc, sol

    def log_prob(self, x: torch.Tensor, scale: object = None, std: object = None) -> torch.Tensor:
        """``log p(x)``, shape ``(batch,)``."""
        return torch.logsumexp(self._terms(x, scale, std)[0], dim=1)

    def class_posterior(self, x: torch.Tensor, scale: object = None, std: object = None) -> torch.Tensor:
        """``p(k | x) = w_k N_k(x) / p(x)``, shape ``(batch, K)``: the exact classifier."""
        return torch.softmax(self._terms(x, scale, std)[0], dim=1)

    def score(self, x: torch.Tensor, scale: object = None, std: object = None) -> torch.Tensor:
        """``∇_x log p(x) = -Σ_k p(k|x) Σ_k^{-1}(x - a m_k)``, shape ``(batch, d)``."""
        logc, sol = self._terms(x, scale, std)
        return -(torch.softmax(logc, dim=1)[..., None] * sol).sum(1)

    def class_score(self, x: torch.Tensor, k: int, scale: object = None, std: object = None) -> torch.Tensor:
        """``∇_x log p(x | k) = -Σ_k^{-1}(x - a m_k)``: the conditional score of class ``k``."""
        if not 0 <= k < self.weights.shape[0]:
            raise ValueError(f"k must lie in 0..{self.weights.shape[0] - 1}, got {k}")
        return -self._terms(x, scale, std)[1][:, k]

    def sample(self, n: int, generator: torch.Generator | None = None, *, dtype: torch.dtype = torch.float64,
               device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` draws and their component labels (drawn with ``generator``, on ``device``)."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        k = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        chol = torch.linalg.cholesky(self.covs)[k]
        z = torch.randn(n, self.dim, dtype=torch.float64, generator=generator)
        x = self.means[k] + (chol @ z[..., None])[..., 0]
        return x.to(dtype=dtype, device=device), k.to(device)
