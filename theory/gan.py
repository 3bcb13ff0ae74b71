"""Exact GAN optimality (000 L5 "GAN Optimality"): optimal discriminator, value at the optimum,
global optimum, for tabulated laws (discrete supports, or 1-D mixture densities at Gauss-Legendre
nodes with weights ``w``). Theorems ``gan.optimal_discriminator``, ``gan.value_at_optimum``,
``gan.global_optimum``.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from scipy import integrate, stats

from dgmcheck.theory import quadrature as _quadrature
from dgmcheck.theory.divergences import jsd


def derive_optimal_discriminator() -> sp.Expr:
    """Symbolically: ``argmax_D a log D + b log(1-D)`` over ``D ∈ (0,1)`` is ``a/(a+b)`` (a, b > 0);
    the second derivative ``-a/D² - b/(1-D)²`` is negative, so it is the maximum."""
    a, b, D = sp.symbols("a b D", positive=True)
    y = a * sp.log(D) + b * sp.log(1 - D)
    (sol,) = sp.solve(sp.diff(y, D), D)
    if not sp.simplify(sp.diff(y, D, 2).subs(D, sol)).is_negative:
        raise ArithmeticError("the stationary point is not a maximum")
    return sp.simplify(sol)


def optimal_discriminator(p_data: np.ndarray, p_theta: np.ndarray) -> np.ndarray:
    """``D*(x) = p_data(x)/(p_data(x) + p_θ(x))`` where ``p_data + p_θ > 0`` (NaN elsewhere: any D
    is optimal at points neither law charges)."""
    p, q = np.asarray(p_data, float), np.asarray(p_theta, float)
    s = p + q
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s > 0, p / np.where(s > 0, s, 1.0), np.nan)


def value(p_data: np.ndarray, p_theta: np.ndarray, D: np.ndarray, w: np.ndarray | None = None) -> float:
    """``V(G, D) = Σ w [p_data log D + p_θ log(1 - D)]`` with ``0 log 0 = 0`` (``-inf`` if a charged
    point has ``D = 0`` resp. ``D = 1`` where p_θ charges it)."""
    p, q, D = (np.asarray(a, float) for a in (p_data, p_theta, D))
    w = np.ones_like(p) if w is None else np.asarray(w, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(p > 0, p * np.log(np.where(p > 0, D, 1.0)), 0.0)
        t2 = np.where(q > 0, q * np.log1p(-np.where(q > 0, D, 0.0)), 0.0)
    return float(np.sum(w * (t1 + t2)))


def value_at_optimum(p_data: np.ndarray, p_theta: np.ndarray, w: np.ndarray | None = None) -> float:
    """``V(G, D*) = 2 JSD(p_data ‖ p_θ) - 2 log 2`` (the theorem; natural logarithm)."""
    return 2.0 * jsd(p_data, p_theta, w) - 2.0 * math.log(2.0)


def global_optimum() -> tuple[float, float]:
    """``min_G V(G, D*) = -2 log 2``, attained iff ``p_θ = p_data``, where ``D* ≡ ½``."""
    return -2.0 * math.log(2.0), 0.5


# ------------------------------------------------------------------ 1-D Gaussian mixtures
def mixture_pdf(x: np.ndarray, weights: np.ndarray, means: np.ndarray, stds: np.ndarray) -> np.ndarray:
    """Density of ``Σ_k π_k N(μ_k, σ_k²)`` at ``x``."""
    x = np.asarray(x, float)[..., None]
    return np.sum(np.asarray(weights) * stats.norm.pdf(x, np.asarray(means), np.asarray(stds)), axis=-1)


def quadrature(lo: float, hi: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on ``[lo, hi]`` (``theory.quadrature.legendre``)."""
    return _quadrature.legendre(n, lo, hi)


def jsd_mixtures_quad(m1: tuple, m2: tuple) -> float:
    """JSD of two 1-D mixtures ``(weights, means, stds)`` by adaptive quadrature (scipy.integrate.quad)."""
    def f(x: float) -> float:
        a, b = float(mixture_pdf(x, *m1)), float(mixture_pdf(x, *m2))
        m = 0.5 * (a + b)
        out = 0.0
        if a > 0:
            out += 0.5 * a * math.log(a / m)
        if b > 0:
            out += 0.5 * b * math.log(b / m)
        return out
    lo = min(np.min(np.asarray(m[1]) - 12 * np.asarray(m[2])) for m in (m1, m2))
    hi = max(np.max(np.asarray(m[1]) + 12 * np.asarray(m[2])) for m in (m1, m2))
    pts = sorted(set(np.concatenate([np.asarray(m1[1]), np.asarray(m2[1])]).tolist()))
    val, _ = integrate.quad(f, lo, hi, points=pts, limit=400, epsabs=1e-13, epsrel=1e-12)
    return float(val)
