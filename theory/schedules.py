"""Noise schedules of Gaussian diffusion, exact in float64 and in sympy.

Conventions (000 L7 "Forward Gaussian Diffusion Process"): ``betas[t-1] = β_t`` for ``t = 1..T``,
``α_t = 1 - β_t``, ``ᾱ_t = ∏_{s<=t} α_s`` and ``ᾱ_0 = 1``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from dgmcheck.theory import _validate as V

#: Ho et al. (2020), quoted in 001 "Denoising diffusion probabilistic models": β_t ∈ [1e-4, 0.02], T = 1000.
LINEAR_BETA_START = 1e-4
LINEAR_BETA_END = 0.02
#: Nichol & Dhariwal (2021): offset s and the cap on β_t that avoids a singularity at t = T.
COSINE_OFFSET = 0.008
COSINE_MAX_BETA = 0.999
#: The most factors ``symbolic_cosine_telescoping`` multiplies out in sympy.
MAX_SYMBOLIC_STEPS = 64


def validate_betas(betas: object, name: str = "betas") -> np.ndarray:
    """Return ``betas`` as a 1-D float64 array, or raise ValueError: every β_t must lie in (0, 1)."""
    arr = V.array(betas, name, finite=False, empty=True)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of β_t, got shape {arr.shape}")
    bad = ~((arr > 0) & (arr < 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must lie in (0, 1); {name}[{i}] (β_{i + 1}) = {arr[i]!r}")
    return arr


def linear_betas(T: int, beta_start: float = LINEAR_BETA_START,
                 beta_end: float = LINEAR_BETA_END) -> np.ndarray:
    """schedules.linear: ``β_t = β_1 + (t-1)(β_T - β_1)/(T-1)`` for ``t = 1..T`` (001, Ho et al.).

    For ``T = 1`` the schedule is ``[β_1]``.
    """
    T = _steps(T)
    beta_start = V.real(beta_start, "beta_start", lo=0.0, hi=1.0)
    beta_end = V.real(beta_end, "beta_end", lo=0.0, hi=1.0)
    if not 0 < beta_start <= beta_end < 1:
        raise ValueError(
            f"need 0 < beta_start <= beta_end < 1, got beta_start={beta_start!r}, "
            f"beta_end={beta_end!r}")
    if T == 1:
        return np.array([beta_start], dtype=np.float64)
    t = np.arange(1, T + 1, dtype=np.float64)
    return beta_start + (t - 1) * (beta_end - beta_start) / (T - 1)


def _steps(T: object) -> int:
    """A number of steps T >= 1 (an int, not a bool)."""
    if isinstance(T, (bool, np.bool_)) or not isinstance(T, (int, np.integer)):
        raise TypeError(f"T must be a positive integer, got {T!r}")
    if T < 1:
        raise ValueError(f"T must be a positive integer, got {T!r}")
    return int(T)


def _fractions(u: object) -> np.ndarray:
    """Fractions ``u = t/T`` of the schedule, in [0, 1]."""
    u = V.array(u, "u")
    if np.any((u < 0) | (u > 1)):
        raise ValueError(f"u must lie in [0, 1] (a fraction t/T), got values in [{u.min()}, {u.max()}]")
    return u


def cosine_alpha_bar_fn(u: np.ndarray, s: float = COSINE_OFFSET) -> np.ndarray:
    """``f(u) = cos²((u + s)/(1 + s) · π/2)`` at the fraction ``u = t/T``."""
    s = V.real(s, "s", lo=0.0, closed="lo")
    return np.cos((_fractions(u) + s) / (1.0 + s) * np.pi / 2) ** 2


def cosine_betas(T: int, s: float = COSINE_OFFSET, max_beta: float = COSINE_MAX_BETA) -> np.ndarray:
    """schedules.cosine: ``β_t = min(1 - f(t/T)/f((t-1)/T), max_beta)`` (Nichol & Dhariwal 2021).

    Then ``ᾱ_t = f(t/T)/f(0)`` exactly for every ``t`` before the first capped step
    (``cosine_alpha_bar``); diffusers calls this schedule ``squaredcos_cap_v2``.
    """
    T = _steps(T)
    s = V.real(s, "s", lo=0.0, closed="lo")
    max_beta = V.real(max_beta, "max_beta", lo=0.0, hi=1.0)
    t = np.arange(1, T + 1, dtype=np.float64)
    ratio = cosine_alpha_bar_fn(t / T, s) / cosine_alpha_bar_fn((t - 1) / T, s)
    return np.minimum(1.0 - ratio, max_beta)


def cosine_alpha_bar(T: int, s: float = COSINE_OFFSET) -> np.ndarray:
    """``ᾱ_t = f(t/T)/f(0)`` for ``t = 1..T``: the cosine schedule's target, before capping."""
    T = _steps(T)
    s = V.real(s, "s", lo=0.0, closed="lo")
    t = np.arange(1, T + 1, dtype=np.float64)
    return cosine_alpha_bar_fn(t / T, s) / cosine_alpha_bar_fn(0.0, s)


#: Jabri, Fleet & Chen (2022), Figure 8: the sigmoid's argument runs from ``start`` to ``end`` at temperature ``tau``.
SIGMOID_START = -3.0
SIGMOID_END = 3.0
SIGMOID_TAU = 1.0


def sigmoid_alpha_bar_fn(u: np.ndarray, start: float = SIGMOID_START, end: float = SIGMOID_END,
                         tau: float = SIGMOID_TAU) -> np.ndarray:
    """``g(u) = (σ(end/τ) - σ((u(end - start) + start)/τ)) / (σ(end/τ) - σ(start/τ))`` at the fraction
    ``u = t/T``: decreasing from ``g(0) = 1`` to ``g(1) = 0`` (``σ`` the logistic function)."""
    u = _fractions(u)
    start, end, tau = _sigmoid(start, end, tau)

    def sig(z: np.ndarray | float) -> np.ndarray:
        return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))  # 1/(1+e^-z), no overflow

    v_start, v_end = sig(start / tau), sig(end / tau)
    return (v_end - sig((u * (end - start) + start) / tau)) / (v_end - v_start)


def sigmoid_betas(T: int, start: float = SIGMOID_START, end: float = SIGMOID_END, tau: float = SIGMOID_TAU,
                  max_beta: float = COSINE_MAX_BETA) -> np.ndarray:
    """The sigmoid schedule (Jabri et al. 2022; the default of lucidrains' denoising-diffusion-pytorch):
    ``β_t = min(1 - g(t/T)/g((t-1)/T), max_beta)`` with ``g = sigmoid_alpha_bar_fn``, so
    ``ᾱ_t = g(t/T)`` before the first capped step (the same telescoping as the cosine schedule).
    ``g(1) = 0``, so ``β_T`` is always the cap. Not a theorem of the lectures: the schedule is held to
    this closed form only.
    """
    T = _steps(T)
    start, end, tau = _sigmoid(start, end, tau)
    max_beta = V.real(max_beta, "max_beta", lo=0.0, hi=1.0)
    t = np.arange(1, T + 1, dtype=np.float64)
    ratio = sigmoid_alpha_bar_fn(t / T, start, end, tau) / sigmoid_alpha_bar_fn((t - 1) / T, start, end, tau)
    return np.minimum(1.0 - ratio, max_beta)


def _sigmoid(start: object, end: object, tau: object) -> tuple[float, float, float]:
    start, end, tau = V.real(start, "start"), V.real(end, "end"), V.positive(tau, "tau")
    if not start < end:
        raise ValueError(f"need finite start < end, got start={start!r}, end={end!r}")
    return start, end, tau


def alphas(betas: np.ndarray) -> np.ndarray:
    """``α_t = 1 - β_t``."""
    return 1.0 - validate_betas(betas)


def alpha_bars(betas: np.ndarray) -> np.ndarray:
    """``ᾱ_t = ∏_{s<=t} (1 - β_s)``, ``t = 1..T`` (000 L7 "Forward Gaussian Diffusion Process").

    Computed as ``exp(cumsum(log1p(-β)))``, which keeps full relative accuracy of ``ᾱ_t``.
    """
    return np.exp(np.cumsum(np.log1p(-validate_betas(betas))))


def one_minus_alpha_bars(betas: np.ndarray) -> np.ndarray:
    """``1 - ᾱ_t`` with full relative accuracy (``-expm1(Σ log1p(-β))``), even for ``ᾱ_t`` near 1."""
    return -np.expm1(np.cumsum(np.log1p(-validate_betas(betas))))


def symbolic_cosine_telescoping(n: int = 4) -> sp.Expr:
    """Sympy: ``∏_{t<=n} f(t)/f(t-1) - f(n)/f(0)`` for an undefined ``f``, which simplifies to 0.

    The identity behind ``ᾱ_t = f(t/T)/f(0)`` for the uncapped cosine schedule.
    """
    n = V.count(n, "n", hi=MAX_SYMBOLIC_STEPS)
    f = sp.Function("f")
    prod = sp.Integer(1)
    for t in range(1, n + 1):
        prod *= f(t) / f(t - 1)
    return sp.simplify(prod - f(n) / f(0))
