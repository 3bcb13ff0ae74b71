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

from dgmcheck.theory import _validate as V
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
    p = V.array(p_data, "p_data", min_ndim=1, nonneg=True)
    q = V.matching(V.array(p_theta, "p_theta", nonneg=True), "p_theta", p, "p_data")
    s = p + q
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s > 0, p / np.where(s > 0, s, 1.0), np.nan)


def value(p_data: np.ndarray, p_theta: np.ndarray, D: np.ndarray, w: np.ndarray | None = None) -> float:
    """``V(G, D) = Σ w [p_data log D + p_θ log(1 - D)]`` with ``0 log 0 = 0`` (``-inf`` if a charged
    point has ``D = 0`` resp. ``D = 1`` where p_θ charges it)."""
    p, q, w = _laws(p_data, p_theta, w)
    D = V.matching(V.array(D, "D"), "D", p, "p_data")
    if np.any((D < 0) | (D > 1)):
        raise ValueError(f"D must lie in [0, 1] (a probability), got values in [{D.min()}, {D.max()}]")
    w = np.ones_like(p) if w is None else w
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(p > 0, p * np.log(np.where(p > 0, D, 1.0)), 0.0)
        t2 = np.where(q > 0, q * np.log1p(-np.where(q > 0, D, 0.0)), 0.0)
    return float(np.sum(w * (t1 + t2)))


def value_at_optimum(p_data: np.ndarray, p_theta: np.ndarray, w: np.ndarray | None = None) -> float:
    """``V(G, D*) = 2 JSD(p_data ‖ p_θ) - 2 log 2`` (the theorem; natural logarithm)."""
    p_data, p_theta, w = _laws(p_data, p_theta, w)
    return 2.0 * jsd(p_data, p_theta, w) - 2.0 * math.log(2.0)


def _laws(p_data: object, p_theta: object, w: object) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Two tabulated laws on one support (``Σ w p = 1``; ``w`` the quadrature weights, > 0, or None)."""
    p = V.array(p_data, "p_data", ndim=1)
    q = V.matching(V.array(p_theta, "p_theta", ndim=1), "p_theta", p, "p_data")
    w = None if w is None else V.matching(V.array(w, "w", ndim=1, positive=True), "w", p, "p_data")
    return V.law(p, "p_data", w=w), V.law(q, "p_theta", w=w), w


def global_optimum() -> tuple[float, float]:
    """``min_G V(G, D*) = -2 log 2``, attained iff ``p_θ = p_data``, where ``D* ≡ ½``."""
    return -2.0 * math.log(2.0), 0.5


# ------------------------------------------------------------------ 1-D Gaussian mixtures
def mixture_pdf(x: np.ndarray, weights: np.ndarray, means: np.ndarray, stds: np.ndarray) -> np.ndarray:
    """Density of ``Σ_k π_k N(μ_k, σ_k²)`` at ``x``."""
    x = V.array(x, "x")[..., None]
    weights, means, stds = _mixture_1d(weights, means, stds)
    return np.sum(weights * stats.norm.pdf(x, means, stds), axis=-1)


def _mixture_1d(weights: object, means: object, stds: object, name: str = "") -> tuple[np.ndarray, ...]:
    """A 1-D mixture: weights (a law), means and standard deviations (> 0), one per component."""
    w = V.law(weights, f"{name}weights" if not name else name)
    m = V.array(means, f"{name}means" if not name else name, shape=w.shape)
    s = V.array(stds, f"{name}stds" if not name else name, shape=w.shape, positive=True)
    return w, m, s


def quadrature(lo: float, hi: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on ``[lo, hi]`` (``theory.quadrature.legendre``)."""
    lo, hi = V.real(lo, "lo"), V.real(hi, "hi")
    if not lo < hi:
        raise ValueError(f"need lo < hi, got lo = {lo}, hi = {hi}")
    return _quadrature.legendre(n, lo, hi)


def jsd_mixtures_quad(m1: tuple, m2: tuple) -> float:
    """JSD of two 1-D mixtures ``(weights, means, stds)`` by adaptive quadrature (scipy.integrate.quad)."""
    for name, m in (("m1", m1), ("m2", m2)):
        if not isinstance(m, (tuple, list)) or len(m) != 3:
            raise TypeError(f"{name} must be a 1-D mixture (weights, means, stds), got {V.got(m)}")
    m1, m2 = _mixture_1d(*m1, name="m1"), _mixture_1d(*m2, name="m2")

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
