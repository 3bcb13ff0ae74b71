"""Tolerances, stated once.

Exact oracles are compared at a tolerance derived from the candidate's dtype and from the
conditioning of the quantity (``rtol = SAFETY * eps(dtype) * condition``), never tuned per test.
Monte Carlo assertions declare a false-failure rate per assertion (``FALSE_FAILURE_RATE``) and
turn it into a two-sided z threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

# Rounding errors of a handful of float operations in a row stay within a few eps; 8 covers the
# short chains of products and sums these formulas take (the condition carries the rest).
SAFETY = 8.0
# The declared false-failure rate of one statistical assertion (CONTRIBUTING.md: 1e-9 or smaller).
FALSE_FAILURE_RATE = 1e-9
Z_THRESHOLD = float(stats.norm.isf(FALSE_FAILURE_RATE / 2))  # two-sided, about 6.11


def eps(dtype: Any) -> float:
    """Machine epsilon of a torch or numpy floating dtype (or a dtype name)."""
    if isinstance(dtype, type) and issubclass(dtype, np.generic):
        dtype = np.dtype(dtype)
    name = str(dtype).replace("torch.", "")
    try:
        return float(np.finfo(np.dtype(name)).eps)
    except (TypeError, ValueError):
        if name == "bfloat16":
            return 2.0**-7
        raise TypeError(f"dtype must be a floating dtype, got {dtype!r}") from None


@dataclass(frozen=True)
class Tolerance:
    """``|observed - expected| <= atol + rtol * scale``, elementwise."""

    rtol: Any
    atol: float = 0.0

    def bound(self, scale: Any) -> Any:
        return self.atol + np.asarray(self.rtol) * np.abs(scale)


def exact(dtype: Any, condition: Any = 1.0) -> Tolerance:
    """Tolerance for comparing a computation in ``dtype`` with an exact float64 oracle.

    ``condition`` is the relative error amplification of the quantity (scalar or per element),
    e.g. ``schedule_condition`` for the DDPM coefficients. The absolute floor is a few float64
    ulps so that an exact zero compares with an exact zero.
    """
    return Tolerance(rtol=SAFETY * eps(dtype) * np.asarray(condition, dtype=np.float64),
                     atol=SAFETY * eps("float64"))


def schedule_condition(betas: np.ndarray, t: Any) -> np.ndarray:
    """Relative-error amplification of the DDPM coefficients at steps ``t`` (1-based).

    First-order sum of the sensitivities: ``ᾱ_t`` by a cumulative product carries ``t`` roundings,
    amplified by ``ᾱ/(1-ᾱ)`` where ``1-ᾱ_t`` or ``1-ᾱ_{t-1}`` is formed; ``1-α_t`` formed from
    ``α_t`` amplifies by ``α_t/β_t``.
    """
    betas = np.asarray(betas, dtype=np.float64)
    t = np.asarray(t, dtype=np.int64)
    abar = np.cumprod(1.0 - betas)
    abar_prev = np.concatenate([[1.0], abar[:-1]])
    k = np.arange(1, len(betas) + 1, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        c_t = k * abar / (1.0 - abar)
        c_prev = np.where(k > 1, (k - 1) * abar_prev / np.maximum(1.0 - abar_prev, 1e-300), 0.0)
    cond = 1.0 + c_t + c_prev + (1.0 - betas) / betas
    return cond[t - 1]


def table_condition(betas: np.ndarray, t: Any, uses: str = "all") -> np.ndarray:
    """Relative difference, in ulps of the table dtype, between a candidate's tables and the oracle's
    at steps ``t`` (1-based) when the candidate derived them in a wider dtype and stored them rounded.

    The oracle reads the candidate's rounded ``β̂`` (``|β̂ - β|/β <= ε/2``) and derives the rest in
    float64; the candidate rounded tables derived from the unrounded ``β``. First order:
    ``α_t = 1 - β_t`` moves by ``(ε/2) β_t/α_t`` (large where β → 1, e.g. a cosine schedule capped at
    0.999); ``ᾱ_t`` by ``(ε/2) S_t`` with ``S_t = Σ_{s<=t} β_s/α_s``, and ``1 - ᾱ_t`` by that times
    ``ᾱ_t/(1-ᾱ_t)``; each stored table adds its own ``ε/2``, and a coefficient multiplies up to four
    of them (``2``). Square roots halve these; the bound keeps the full terms.

    ``uses="all"`` bounds every DDPM coefficient at step t; ``uses="complements"`` only quantities
    built from ``β_t``, ``1 - ᾱ_t`` and ``1 - ᾱ_{t-1}`` (the posterior variance β̃_t), which do not
    see the large ``β_t/α_t`` of ``α_t`` itself.
    """
    if uses not in ("all", "complements"):
        raise ValueError(f"uses must be 'all' or 'complements', got {uses!r}")
    betas = np.asarray(betas, dtype=np.float64)
    t = np.asarray(t, dtype=np.int64)
    alphas = 1.0 - betas
    abar = np.cumprod(alphas)
    s = np.cumsum(betas / alphas)
    with np.errstate(divide="ignore", invalid="ignore"):
        amp = np.where(abar < 1.0, abar / (1.0 - abar), 0.0)
    per_step = 0.5 * s * (amp if uses == "complements" else 1.0 + amp)
    prev = np.concatenate([[0.0], per_step[:-1]])
    own = 0.0 if uses == "complements" else 0.5 * betas / alphas
    cond = 2.0 + per_step + prev + own
    return cond[t - 1]


def z_score(estimate: float, target: float, stderr: float) -> float:
    if stderr <= 0 or not math.isfinite(stderr):
        raise ValueError(f"stderr must be positive and finite, got {stderr!r}")
    return (estimate - target) / stderr
