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


def softmax(theta: np.ndarray) -> np.ndarray:
    t = np.exp(theta - np.max(theta))
    return t / t.sum()


def softmax_expectation_grad(theta: np.ndarray, f: np.ndarray) -> np.ndarray:
    """``∇_θ Σ_k softmax(θ)_k f_k = p ⊙ (f - pᵀf)``."""
    p = softmax(np.asarray(theta, dtype=np.float64))
    return p * (f - p @ f)


def log_mean_exp(a: np.ndarray) -> float:
    """``log (1/n) Σ e^{a_i}``."""
    a = np.asarray(a, dtype=np.float64)
    return float(logsumexp(a) - np.log(a.size))


def mc_estimator_expectation(p: np.ndarray, f: np.ndarray, n: int, estimator) -> float:
    """``E[estimator(f(x_1), …, f(x_n))]`` over all ``K^n`` i.i.d. tuples ``x_i ~ p`` (enumeration)."""
    total = 0.0
    for idx in itertools.product(range(len(p)), repeat=n):
        total += float(np.prod(p[list(idx)])) * float(estimator(f[list(idx)]))
    return total


def pushforward(p: np.ndarray, f_map: np.ndarray, n_out: int) -> np.ndarray:
    """The law of ``y = f(x)``: ``p_y[y] = Σ_{x: f(x) = y} p(x)``."""
    out = np.zeros(n_out)
    np.add.at(out, np.asarray(f_map, dtype=np.int64), np.asarray(p, dtype=np.float64))
    return out


def nascent_delta_quadratic(a: np.ndarray, B: np.ndarray, x0: np.ndarray, sigma: float) -> float:
    """tricks.dirac: ``δ(x - x0)`` is the ``σ → 0`` limit of ``N(x0, σ² I)``; for ``f(x) = aᵀx + xᵀBx``
    ``E_{N(x0, σ²I)} f = f(x0) + σ² tr B → f(x0) = ∫ δ(x - x0) f(x) dx``."""
    return float(a @ x0 + x0 @ B @ x0 + sigma**2 * np.trace(B))
