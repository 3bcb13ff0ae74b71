"""Adapter: hold third-party Fréchet-distance functions to dgmcheck's FID oracle (``metrics.fid``).

Features are the API (no Inception weights are fetched): a candidate maps two feature matrices
``(n, d)``, ``(m, d)`` to the Fréchet distance of their Gaussian fits.

- ``frechet_candidate(frechet)`` wraps any ``frechet(mu1, sigma1, mu2, sigma2)`` on numpy statistics
  (pytorch-fid's ``calculate_frechet_distance`` signature), with the statistics computed as
  pytorch-fid does (``np.mean(axis=0)``, ``np.cov(rowvar=False)``, float64).
- ``pytorch_fid_candidate()`` is that for ``pytorch_fid.fid_score.calculate_frechet_distance``;
  ``torchmetrics_candidate()`` for ``torchmetrics.image.fid._compute_fid`` (torch statistics). Both
  raise ImportError when the library (or the torchvision it imports) is absent.
- A bare ``fid(features_a, features_b)`` on tensors needs no adapter: ``checks.metrics.fid_candidate``.

    >>> from dgmcheck.adapters.fid import pytorch_fid_candidate  # doctest: +SKIP
    >>> from dgmcheck.checks.metrics import verify  # doctest: +SKIP
    >>> print(verify(pytorch_fid_candidate(), properties=["fid"]).summary())  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch


class FrechetStatsCandidate:
    """``fid(a, b)`` through a function of numpy statistics; the result keeps a complex value if the
    wrapped function returns one (the check then names it)."""

    def __init__(self, frechet: Callable[..., Any], name: str = "frechet") -> None:
        from dgmcheck.adapters._validate import function

        self.frechet = function(frechet, "frechet")
        self.name = name

    def __repr__(self) -> str:
        return f"FrechetStatsCandidate({self.name})"

    def fid(self, features_a: torch.Tensor, features_b: torch.Tensor) -> torch.Tensor:
        a = features_a.detach().cpu().double().numpy()
        b = features_b.detach().cpu().double().numpy()
        stats = [(np.mean(x, axis=0), np.cov(x, rowvar=False)) for x in (a, b)]
        value = self.frechet(stats[0][0], stats[0][1], stats[1][0], stats[1][1])
        return torch.as_tensor(np.asarray(value)[()], device=features_a.device)


def frechet_candidate(frechet: Callable[..., Any], name: str | None = None) -> FrechetStatsCandidate:
    """``frechet(mu1, sigma1, mu2, sigma2)`` (numpy statistics) as a ``checks.metrics`` candidate."""
    from dgmcheck.adapters._validate import function

    function(frechet, "frechet")
    return FrechetStatsCandidate(frechet, name or getattr(frechet, "__name__", "frechet"))


def pytorch_fid_candidate() -> FrechetStatsCandidate:
    try:
        from pytorch_fid.fid_score import calculate_frechet_distance
    except Exception as exc:  # ImportError, or torchvision missing underneath
        raise ImportError(f"pytorch-fid is not importable here: {exc}") from exc
    return FrechetStatsCandidate(calculate_frechet_distance, "pytorch_fid.calculate_frechet_distance")


class TorchmetricsCandidate:
    """torchmetrics' ``_compute_fid(mu1, sigma1, mu2, sigma2)`` on torch float64 statistics."""

    def __init__(self) -> None:
        try:
            from torchmetrics.image.fid import _compute_fid
        except Exception as exc:
            raise ImportError(f"torchmetrics' FID is not importable here: {exc}") from exc
        self._compute_fid = _compute_fid

    def fid(self, features_a: torch.Tensor, features_b: torch.Tensor) -> torch.Tensor:
        stats = []
        for x in (features_a.double(), features_b.double()):
            mu = x.mean(0)
            c = x - mu
            stats.append((mu, c.T @ c / (x.shape[0] - 1)))
        return self._compute_fid(stats[0][0], stats[0][1], stats[1][0], stats[1][1])


def torchmetrics_candidate() -> TorchmetricsCandidate:
    return TorchmetricsCandidate()
