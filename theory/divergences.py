"""Exact divergences between discrete (or tabulated) laws: KL, JSD, TV, and the facts about them.

Laws are probability vectors ``p`` on a finite support, or densities tabulated at quadrature nodes
with weights ``w`` (``Σ w p = 1``); every sum is ``Σ_i w_i f(p_i, q_i)`` with ``0 log 0 = 0``.
Theorems: ``divergence.jsd_properties``, ``divergence.disjoint_supports``,
``divergence.convergence_hierarchy`` (000 L5 "GAN Optimality", "Wasserstein Distance vs KL vs JSD").
"""

from __future__ import annotations

import math

import numpy as np

from dgmcheck.theory import _validate as V

LOG2 = math.log(2.0)


def validate_law(p: np.ndarray, name: str = "p", w: np.ndarray | None = None,
                 atol: float = 1e-9) -> np.ndarray:
    """``p`` as float64 after checking: finite, non-negative, ``Σ w p = 1`` within ``atol``."""
    p = V.array(p, name, finite=False, empty=True)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D probability vector, got shape {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{name} must be finite, got {p}")
    if np.any(p < 0):
        raise ValueError(f"{name} must be non-negative, got minimum {p.min()!r}")
    w = None if w is None else V.array(w, "w", shape=p.shape, positive=True, match=name)
    atol = V.positive(atol, "atol")
    total = float(np.sum(p if w is None else w * p))
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1, got {total!r}")
    return p


def _w(p: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    return np.ones_like(p) if w is None else np.asarray(w, dtype=np.float64)


def _pair(p: object, q: object, w: object, names: tuple[str, str] = ("p", "q")) -> tuple[np.ndarray, ...]:
    """Two laws on one support under the weights ``w`` (> 0, or None: counting), ``Σ w p = 1``."""
    p = V.array(p, names[0], ndim=1)
    q = V.matching(V.array(q, names[1], ndim=1), names[1], p, names[0])
    w = None if w is None else V.matching(V.array(w, "w", ndim=1, positive=True), "w", p, names[0])
    return V.law(p, names[0], w=w), V.law(q, names[1], w=w), w


def xlogy_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a log(a/b)`` with ``0 log(0/b) = 0`` and ``a log(a/0) = +inf`` for ``a > 0``."""
    a, b = V.array(a, "a", nonneg=True), V.array(b, "b", nonneg=True)
    try:
        a, b = np.broadcast_arrays(a, b)
    except ValueError:
        raise ValueError(f"a {a.shape} and b {b.shape} must have one shape") from None
    out = np.zeros_like(a)
    pos = a > 0
    with np.errstate(divide="ignore"):
        out[pos] = np.where(b[pos] > 0, a[pos] * (np.log(a[pos]) - np.log(np.where(b[pos] > 0, b[pos], 1.0))),
                            np.inf)
    return out


def kl(p: np.ndarray, q: np.ndarray, w: np.ndarray | None = None) -> float:
    """``KL(p‖q) = Σ w p log(p/q)`` (``+inf`` when p charges a point where q vanishes)."""
    p, q, w = _pair(p, q, w)
    return _kl(p, q, w)


def _kl(p: np.ndarray, q: np.ndarray, w: np.ndarray | None) -> float:
    return float(np.sum(_w(p, w) * xlogy_ratio(p, q)))


def jsd(p: np.ndarray, q: np.ndarray, w: np.ndarray | None = None) -> float:
    """``JSD(p‖q) = ½ KL(p‖m) + ½ KL(q‖m)``, ``m = (p+q)/2`` (natural log, so ``0 <= JSD <= log 2``)."""
    p, q, w = _pair(p, q, w)
    return _jsd(p, q, w)


def _jsd(p: np.ndarray, q: np.ndarray, w: np.ndarray | None = None) -> float:
    m = 0.5 * (p + q)
    return 0.5 * _kl(p, m, w) + 0.5 * _kl(q, m, w)


def tv(p: np.ndarray, q: np.ndarray, w: np.ndarray | None = None) -> float:
    """Total variation ``½ Σ w |p - q|``."""
    p, q, w = _pair(p, q, w)
    return _tv(p, q, w)


def _tv(p: np.ndarray, q: np.ndarray, w: np.ndarray | None = None) -> float:
    # ½ Σ w |p - q| <= ½ (Σ w p + Σ w q) = 1 for two laws: a sum past 1 is the rounding of its terms
    # (1 + 2.2e-16 for laws with disjoint supports), which the TV bounds downstream would refuse.
    return min(float(0.5 * np.sum(_w(p, w) * np.abs(p - q))), 1.0)


# ------------------------------------------------------------------ divergence.jsd_properties
def jsd_triangle_counterexample() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(p, q, r)`` with ``JSD(p,r) > JSD(p,q) + JSD(q,r)``: JSD itself is not a metric.

    ``p = δ_0``, ``q = (½, ½)``, ``r = δ_1``: ``JSD(p,r) = log 2 ≈ 0.693`` while
    ``JSD(p,q) = JSD(q,r) = ¾ log(4/3) ≈ 0.216`` (sum ≈ 0.432). √JSD satisfies it here.
    """
    return np.array([1.0, 0.0]), np.array([0.5, 0.5]), np.array([0.0, 1.0])


def jsd_properties(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> dict[str, bool]:
    """Which of the JSD facts hold on ``(p, q, r)`` (exact to float64 rounding, slack 1e-12)."""
    p, q = _pair(p, q, None)[:2]
    r = _pair(p, r, None, ("p", "r"))[1]
    jsd, tv = _jsd, _tv  # validated above
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
    theta = V.real(theta, "theta")
    if theta == 0:
        return {"kl_pq": 0.0, "kl_qp": 0.0, "jsd": 0.0, "w1": 0.0}
    return {"kl_pq": math.inf, "kl_qp": math.inf, "jsd": LOG2, "w1": abs(float(theta))}


def parallel_lines_discretized(theta: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points (2n, 2) and the two laws on them: p uniform on ``{(0, y_j)}``, q on ``{(θ, y_j)}``,
    ``y_j = (j + ½)/n`` (disjoint for θ ≠ 0); KL, JSD and W_1 of these equal ``parallel_lines``."""
    theta, n = V.real(theta, "theta"), V.count(n, "n")
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
    kl_value = V.real(kl_value, "kl_value", lo=0.0, closed="lo", finite=False)  # KL = +inf is a value
    jsd_value = V.real(jsd_value, "jsd_value", lo=0.0, closed="lo")
    tv_value = V.real(tv_value, "tv_value", lo=0.0, hi=1.0, closed="lo hi")
    diameter = V.real(diameter, "diameter", lo=0.0, closed="lo")
    return {"jsd_upper": min(LOG2 * tv_value, LOG2 * math.sqrt(max(kl_value, 0.0) / 2.0)),
            "w1_upper": diameter * min(tv_value, math.sqrt(2.0 * max(jsd_value, 0.0)))}


def mixture_sequence(pi: np.ndarray, r: np.ndarray, t: int) -> np.ndarray:
    """``p_t = (1 - 1/t) π + (1/t) r`` → π; KL(π‖p_t) <= log(t/(t-1)) → 0 for t >= 2."""
    pi, r = _pair(pi, r, None, ("pi", "r"))[:2]
    t = V.count(t, "t")
    return (1.0 - 1.0 / t) * pi + (1.0 / t) * r
