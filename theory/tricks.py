"""Exact oracles of the course tricks (000 L1 "Course Tricks I", "Course Tricks III") on enumerable
laws (numpy/scipy, no torch).

- tricks.log_derivative: ``∇ log p = ∇p / p``; hence the score-function identity
  ``∇_θ E_{p_θ} f = E_{p_θ}[f ∇_θ log p_θ]``; for ``p_θ = softmax(θ)``: ``∇_θ E f = p ⊙ (f - E f)``.
- tricks.jensen: for convex φ, ``E φ(x) ≥ φ(E x)``; with φ = -log: ``log E e^{a} ≥ E a``
  (log-mean-exp ≥ mean).
- tricks.monte_carlo_unbiased: the n-sample estimator ``(1/n) Σ f(x_i)`` has expectation ``E f``
  (exact expectation over all ``K^n`` i.i.d. tuples).
- tricks.lotus: for ``y = f(x)``, ``E_{p(y)} g(y) = E_{p(x)} g(f(x))`` with ``p(y) = Σ_{x: f(x)=y} p(x)``.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.special import logsumexp

from dgmcheck.theory import _validate as V

#: The most i.i.d. tuples ``mc_estimator_expectation`` enumerates (``K^n``).
MAX_TUPLES = 2**20


def softmax(theta: np.ndarray) -> np.ndarray:
    """``e^{θ_k} / Σ_j e^{θ_j}`` (shifted by the max: no overflow)."""
    theta = V.array(theta, "theta", ndim=1)
    t = np.exp(theta - np.max(theta))
    return t / t.sum()


def softmax_expectation_grad(theta: np.ndarray, f: np.ndarray) -> np.ndarray:
    """``∇_θ Σ_k softmax(θ)_k f_k = p ⊙ (f - pᵀf)``."""
    p = softmax(theta)
    f = V.array(f, "f", shape=p.shape, match="theta")
    return p * (f - p @ f)


def log_mean_exp(a: np.ndarray) -> float:
    """``log (1/n) Σ e^{a_i}`` (``a_i = -inf``: a zero weight)."""
    a = V.array(a, "a", allow="-inf")
    return float(logsumexp(a) - np.log(a.size))


def mc_estimator_expectation(p: np.ndarray, f: np.ndarray, n: int, estimator) -> float:
    """``E[estimator(f(x_1), …, f(x_n))]`` over all ``K^n`` i.i.d. tuples ``x_i ~ p`` (enumeration)."""
    p = V.law(p, "p")
    f = V.array(f, "f", shape=p.shape, match="p")
    n = V.count(n, "n")
    V.function(estimator, "estimator")
    if n * np.log2(len(p)) > np.log2(MAX_TUPLES):
        raise ValueError(f"n = {n} draws of {len(p)} states make K**n tuples, over MAX_TUPLES = {MAX_TUPLES}; "
                         f"take a smaller n")
    total = 0.0
    for idx in itertools.product(range(len(p)), repeat=n):
        total += float(np.prod(p[list(idx)])) * float(estimator(f[list(idx)]))
    return total


def pushforward(p: np.ndarray, f_map: np.ndarray, n_out: int) -> np.ndarray:
    """The law of ``y = f(x)``: ``p_y[y] = Σ_{x: f(x) = y} p(x)``."""
    p = V.law(p, "p")
    n_out = V.count(n_out, "n_out")
    f_map = V.integers(f_map, "f_map", lo=0, hi=n_out - 1, ndim=1)
    if f_map.shape != p.shape:
        raise ValueError(f"f_map must map each of the {len(p)} states of p, got shape {f_map.shape}")
    out = np.zeros(n_out)
    np.add.at(out, f_map, p)
    return out


def nascent_delta_quadratic(a: np.ndarray, B: np.ndarray, x0: np.ndarray, sigma: float) -> float:
    """tricks.dirac: ``δ(x - x0)`` is the ``σ → 0`` limit of ``N(x0, σ² I)``; for ``f(x) = aᵀx + xᵀBx``
    ``E_{N(x0, σ²I)} f = f(x0) + σ² tr B → f(x0) = ∫ δ(x - x0) f(x) dx``."""
    x0 = V.array(x0, "x0", ndim=1)
    a = V.array(a, "a", shape=x0.shape, match="x0")
    B = V.square(B, "B", n=len(x0), match="x0")
    sigma = V.real(sigma, "sigma", lo=0.0, closed="lo")
    return float(a @ x0 + x0 @ B @ x0 + sigma**2 * np.trace(B))
