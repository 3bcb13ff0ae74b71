"""Exact divergences between discrete (or tabulated) laws: KL, JSD, TV, and the facts about them.

Laws are probability vectors ``p`` on a finite support, or densities tabulated at quadrature nodes
with weights ``w`` (``Σ w p = 1``); every sum is ``Σ_i w_i f(p_i, q_i)`` with ``0 log 0 = 0``.
Theorems: ``divergence.jsd_properties``, ``divergence.disjoint_supports``,
``divergence.convergence_hierarchy`` (000 L5 "GAN Optimality", "Wasserstein Distance vs KL vs JSD").
"""

from __future__ import annotations

import math

import numpy as np

LOG2 = math.log(2.0)


def validate_law(p: np.ndarray, name: str = "p", w: np.ndarray | None = None,
                 atol: float = 1e-9) -> np.ndarray:
    """``p`` as float64 after checking: finite, non-negative, ``Σ w p = 1`` within ``atol``."""
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D probability vector, got shape {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{name} must be finite, got {p}")
    if np.any(p < 0):
        raise ValueError(f"{name} must be non-negative, got minimum {p.min()!r}")
    total = float(np.sum(p if w is None else w * p))
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1, got {total!r}")
    return p


def _w(p: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    return np.ones_like(p) if w is None else np.asarray(w, dtype=np.float64)


def xlogy_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a log(a/b)`` with ``0 log(0/b) = 0`` and ``a log(a/0) = +inf`` for ``a > 0``."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    out = np.zeros_like(a)
    pos = a > 0
    with np.errstate(divide="ignore"):
        out[pos] = np.where(b[pos] > 0, a[pos] * (np.log(a[pos]) - np.log(np.where(b[pos] > 0, b[pos], 1.0))),
                            np.inf)
    return out


def kl(p: np.ndarray, q: np.ndarray, w: np.ndarray | None = None) -> float:
    """``KL(p‖q) = Σ w p log(p/q)`` (``+inf`` when p charges a point where q vanishes)."""
    return float(np.sum(_w(p, w) * xlogy_ratio(p, q)))


def jsd(p: np.ndarray, q: np.ndarray, w: np.ndarray | None = None) -> float:
    """``JSD(p‖q) = ½ KL(p‖m) + ½ KL(q‖m)``, ``m = (p+q)/2`` (natural log, so ``0 <= JSD <= log 2``)."""
    m = 0.5 * (np.asarray(p, float) + np.asarray(q, float))
    return 0.5 * kl(p, m, w) + 0.5 * kl(q, m, w)


def tv(p: np.ndarray, q: np.ndarray, w: np.ndarray | None = None) -> float:
    """Total variation ``½ Σ w |p - q|``."""
    return float(0.5 * np.sum(_w(p, w) * np.abs(np.asarray(p, float) - np.asarray(q, float))))


# ------------------------------------------------------------------ divergence.jsd_properties
def jsd_triangle_counterexample() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(p, q, r)`` with ``JSD(p,r) > JSD(p,q) + JSD(q,r)``: JSD itself is not a metric.

    ``p = δ_0``, ``q = (½, ½)``, ``r = δ_1``: ``JSD(p,r) = log 2 ≈ 0.693`` while
    ``JSD(p,q) = JSD(q,r) = ¾ log(4/3) ≈ 0.216`` (sum ≈ 0.432). √JSD satisfies it here.
    """
    return np.array([1.0, 0.0]), np.array([0.5, 0.5]), np.array([0.0, 1.0])


def jsd_properties(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> dict[str, bool]:
    """Which of the JSD facts hold on ``(p, q, r)`` (exact to float64 rounding, slack 1e-12)."""
    a, b, c = jsd(p, q), jsd(q, r), jsd(p, r)
    s = 1e-12
    return {
        "symmetric": abs(jsd(p, q) - jsd(q, p)) <= s,
        "bounded_by_log2": -s <= a <= LOG2 + s,
        # zero iff equal, quantitatively: JSD(p,p) = 0 and JSD(p,q) >= TV(p,q)²/2 > 0 otherwise
        "zero_iff_equal": (jsd(p, p) <= s) and a >= tv(p, q) ** 2 / 2 - s,
        "triangle": c <= a + b + s,
        "sqrt_triangle": math.sqrt(max(c, 0)) <= math.sqrt(max(a, 0)) + math.sqrt(max(b, 0)) + s,
    }


# ------------------------------------------------------------------ divergence.disjoint_supports
def parallel_lines(theta: float) -> dict[str, float]:
    """The lecture's example ``p_data = (0, U[0,1])``, ``p_θ = (θ, U[0,1])`` in closed form.

    ``θ = 0``: all zero. ``θ ≠ 0``: ``KL = +inf`` both ways, ``JSD = log 2``, ``W_1 = |θ|`` (the
    coupling ``(0, y) ↦ (θ, y)`` costs ``|θ|`` and every coupling costs at least ``|x_1 - x_2| = |θ|``).
    """
    if theta == 0:
        return {"kl_pq": 0.0, "kl_qp": 0.0, "jsd": 0.0, "w1": 0.0}
    return {"kl_pq": math.inf, "kl_qp": math.inf, "jsd": LOG2, "w1": abs(float(theta))}


def parallel_lines_discretized(theta: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points (2n, 2) and the two laws on them: p uniform on ``{(0, y_j)}``, q on ``{(θ, y_j)}``,
    ``y_j = (j + ½)/n`` (disjoint for θ ≠ 0); KL, JSD and W_1 of these equal ``parallel_lines``."""
    y = (np.arange(n) + 0.5) / n
    pts = np.concatenate([np.stack([np.zeros(n), y], 1), np.stack([np.full(n, float(theta)), y], 1)])
    p = np.concatenate([np.full(n, 1.0 / n), np.zeros(n)])
    q = np.concatenate([np.zeros(n), np.full(n, 1.0 / n)])
    return pts, p, q


# ------------------------------------------------------------------ divergence.convergence_hierarchy
def hierarchy_bounds(kl_value: float, jsd_value: float, tv_value: float, diameter: float) -> dict[str, float]:
    """The quantitative form of (1) ⇒ (2) ⇒ (3) on a compact space of diameter ``diameter``:

    ``JSD <= log 2 · TV`` and ``TV <= √(KL/2)`` (Pinsker) give ``JSD <= log 2 · √(KL/2)``;
    ``JSD >= TV²/2`` (Pinsker on ``KL(p‖m)``, ``TV(p, m) = TV(p, q)/2``) and ``W_1 <= diam · TV``
    give ``W_1 <= diam · √(2 JSD)``. Returns the upper bounds for JSD and W_1.
    """
    return {"jsd_upper": min(LOG2 * tv_value, LOG2 * math.sqrt(max(kl_value, 0.0) / 2.0)),
            "w1_upper": diameter * min(tv_value, math.sqrt(2.0 * max(jsd_value, 0.0)))}


def mixture_sequence(pi: np.ndarray, r: np.ndarray, t: int) -> np.ndarray:
    """``p_t = (1 - 1/t) π + (1/t) r`` → π; KL(π‖p_t) <= log(t/(t-1)) → 0 for t >= 2."""
    return (1.0 - 1.0 / t) * np.asarray(pi, float) + (1.0 / t) * np.asarray(r, float)
