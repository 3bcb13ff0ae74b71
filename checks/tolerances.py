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
# A counted forward-error bound (``evaluated``) doubles its first-order count: the second-order terms
# of n roundings are n²u²/2, far below n u for the n <= 20 of these formulas.
COUNTED = 2.0
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


def coarse(dtype: Any) -> bool:
    """Whether ``dtype`` rounds more coarsely than float64 (float32, float16, bfloat16)."""
    return dtype is not None and eps(dtype) > eps("float64")


def rounded(x: Any, dtype: Any) -> np.ndarray:
    """``x`` rounded to nearest in ``dtype`` and widened back to float64 (exactly): the value a
    candidate holds when it stores ``x`` in ``dtype``."""
    x = np.asarray(x, dtype=np.float64)
    name = str(dtype).replace("torch.", "")
    if name == "bfloat16":
        import torch

        return torch.as_tensor(x).to(torch.bfloat16).double().numpy()
    return x.astype(np.dtype(name)).astype(np.float64)


@dataclass(frozen=True)
class Tolerance:
    """``|observed - expected| <= atol + rtol * scale``, elementwise."""

    rtol: Any
    atol: float = 0.0

    def bound(self, scale: Any) -> Any:
        return self.atol + np.asarray(self.rtol) * np.abs(scale)

    def holds(self, observed: Any, expected: Any, scale: Any = None) -> bool:
        """Whether every ``|observed - expected|`` is within the bound (``scale`` defaults to
        ``|expected|``; NaN never holds)."""
        obs, exp = np.asarray(observed, dtype=np.float64), np.asarray(expected, dtype=np.float64)
        try:
            obs_b, exp_b = np.broadcast_arrays(obs.reshape(exp.shape) if obs.size == exp.size else obs, exp)
        except ValueError:
            return False
        sc = np.abs(exp_b) if scale is None else np.broadcast_to(np.abs(scale), exp_b.shape)
        return bool(np.all(np.abs(obs_b - exp_b) <= self.bound(sc)))


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


def stored_schedule(betas: np.ndarray, dtype: Any, *, accumulate_in_dtype: bool = False,
                    keep_betas: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The DDPM tables as a plain implementation holding them in ``dtype`` evaluates its formulas:
    ``(β'_t, ᾱ'_t, 1 - ᾱ'_t)``, the last two for ``t = 0..T`` (``ᾱ'_0 = 1``).

    ``α_t = fl(1 - β_t)`` and ``ᾱ_t = fl(∏ α_s)`` (the product accumulated in float64 and rounded, as
    torch's CPU ``cumprod`` and numpy's float64 tables do); the steps read ``α'_t = fl(ᾱ_t/ᾱ_{t-1})`` and
    ``β'_t = 1 - α'_t`` (diffusers' ``step``), exact given those. Why a second reference: where
    ``β_t ≈ 1e-4`` the rounding of ``α_t`` alone moves ``1 - ᾱ_t`` by ``ε/(2β_t)`` (3e-4 in float32),
    so an a-priori bound wide enough for that admits any 1e-4 error; held to the tables it rounded, the
    formula's remaining operations are well conditioned (``1 - ᾱ`` and ``1 - α'`` are exact by
    Sterbenz's lemma for values in [½, 1]), and a few ulps of the result bound them.

    ``accumulate_in_dtype``: the running product rounded at every step instead, ``ᾱ_t = fl(ᾱ_{t-1} α_t)``
    (numpy's ``cumprod(..., dtype=float32)``, a Python loop over float32 tensors): its ``ᾱ_t`` differs
    from the float64-accumulated one by up to ``(t-1) u`` relative, which ``1 - ᾱ_t`` amplifies by
    ``ᾱ_t/(1 - ᾱ_t)`` (1e4 near t = 1), more than a 1e-4 bug moves it: a third evaluation order.
    ``keep_betas``: the steps read the stored ``β_t`` itself (``β_t √ᾱ_{t-1}/(1 - ᾱ_t)`` written from the
    tables, as most code does) rather than ``1 - ᾱ_t/ᾱ_{t-1}``: the two differ by the rounding of ``α_t``,
    which ``1/(1 - ᾱ_1)`` turns into 7e-4 at t = 1 (cosine).
    """
    betas = np.asarray(betas, dtype=np.float64)
    alphas = rounded(1.0 - betas, dtype)
    name = str(dtype).replace("torch.", "")
    if accumulate_in_dtype and name != "bfloat16":  # numpy's cumprod rounds at every step in its dtype
        products = np.cumprod(alphas.astype(np.dtype(name)), dtype=np.dtype(name)).astype(np.float64)
    elif accumulate_in_dtype:
        products, acc = np.empty_like(alphas), 1.0
        for i, a in enumerate(alphas):  # one rounding per step, as the candidate's loop does
            acc = float(rounded(acc * a, dtype))
            products[i] = acc
    else:
        products = rounded(np.cumprod(alphas), dtype)
    abar = np.concatenate([[1.0], products])
    if keep_betas:
        return rounded(betas, dtype), abar, 1.0 - abar
    ratio = rounded(abar[1:] / abar[:-1], dtype)
    ratio[0] = abar[1]  # ᾱ_1/ᾱ_0 = ᾱ_1 exactly
    return 1.0 - ratio, abar, 1.0 - abar


def evaluated(dtype: Any, roundings: float = 2.0, condition: Any = 0.0) -> Tolerance:
    """Forward error of a formula evaluated in ``dtype`` from inputs it holds exactly, relative to the
    sum of the magnitudes of its terms: ``roundings`` roundings of relative size ``u = ε/2`` (first
    order ``n u``) plus ``condition``, the amplification of the formula's own cancellations; twice that
    (``COUNTED``) covers the second-order terms. Unlike ``exact`` it carries no cancellation of the
    inputs' rounding: the reference reads the rounded inputs (``stored_schedule``, the float32 times of
    a continuous path), so a 1e-4 error stands out wherever ``n u ≪ 1e-4``."""
    u = 0.5 * eps(dtype)
    return Tolerance(rtol=COUNTED * u * (roundings + np.asarray(condition, dtype=np.float64)),
                     atol=SAFETY * eps("float64"))


def law_sample_size(bias: float, miss_rate: float, z_threshold: float) -> int:
    """Standardized values ``N`` so that a variance off by the relative ``bias`` makes the z-test of the
    second moment of ``u = (x - μ)/σ`` fail with probability at least ``1 - miss_rate``.

    Under the bias ``E u² = 1 + b`` and ``Var u² = 2(1 + b)²`` (Gaussian), so ``z = b/√(2(1 + b)²/N)``
    and it must clear the threshold by the miss rate's quantile: ``N = 2(1 + b)²((z_thr + z_miss)/b)²``.
    """
    z_miss = float(stats.norm.isf(miss_rate))
    return math.ceil(2.0 * (1.0 + bias) ** 2 * ((z_threshold + z_miss) / bias) ** 2)


def z_score(estimate: float, target: float, stderr: float) -> float:
    if stderr <= 0 or not math.isfinite(stderr):
        raise ValueError(f"stderr must be positive and finite, got {stderr!r}")
    return (estimate - target) / stderr
