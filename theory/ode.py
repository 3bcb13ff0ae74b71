"""Exact oracles for ODE solvers, flow reversibility and the log-density along a flow (numpy/scipy/sympy).

Test problems with known solutions:

* linear ``dx/dt = a(t) A x + b(t)`` with ``a(t) = α + β t`` and ``b(t) = a(t) b₀``: the matrices
  ``a(t)A`` commute for all ``t``, so ``x(t₁) = Φ x(t₀) + (Φ - I) A⁻¹ b₀``-like terms follow from one
  matrix exponential of the augmented generator (``linear_solution``; ``Φ = exp(τ A)``,
  ``τ = ∫_{t₀}^{t₁} a(s) ds``);
* the Euler and Heun single steps written out (``euler_step``, ``heun_step``);
* the order of a method as the least-squares slope of log error against log step (``fitted_order``).

Log-density along a trajectory (theorem ``ode.continuity_equation``, ``000 L10 "Continuous-Time NF"``):
for the linear flow above and ``x(t₀) ~ N(m, S)``, ``x(t₁) ~ N(Φ m + c, Φ S Φᵀ)`` and
``log p_{t₁}(x(t₁)) = log p_{t₀}(x(t₀)) - log det Φ = log p_{t₀}(x(t₀)) - τ tr A``.

Hutchinson's estimator ``vᵀ J v`` of ``tr J`` (probes with ``E[v vᵀ] = I``): its mean is ``tr J``; with
``S = (J + Jᵀ)/2``, its variance is ``2 Σ_{i≠j} S_ij²`` for Rademacher probes and ``2 ‖S‖_F²`` for
Gaussian probes (``hutchinson_variance``, derived symbolically in ``derive_hutchinson_variance``).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import scipy.linalg as sla
import sympy as sp

from dgmcheck.theory import _validate as V
from dgmcheck.theory import quadrature

EULER_ORDER = 1
HEUN_ORDER = 2
#: The largest dimension whose ``2^d`` Rademacher probes ``rademacher_probes`` lists (2^20 probes).
MAX_PROBE_DIM = 20
#: The largest dimension ``derive_hutchinson_variance`` expands symbolically (``2^d`` probes, ``d^4`` terms).
MAX_SYMBOLIC_DIM = 6


def _times(alpha: object, beta: object, t0: object, t1: object) -> tuple[float, float, float, float]:
    return V.real(alpha, "alpha"), V.real(beta, "beta"), V.real(t0, "t0"), V.real(t1, "t1")


def _linear(A: object, b: object = ...) -> tuple[np.ndarray, np.ndarray | None]:
    """``A (d, d)`` and (when given) ``b (d,)`` of the linear field."""
    A = V.square(A, "A")
    return A, None if b is ... else V.array(b, "b", shape=(len(A),), match="A")


# ------------------------------------------------------------------------------- linear test problem

def rate_integral(alpha: float, beta: float, t0: float, t1: float) -> float:
    """``τ = ∫_{t₀}^{t₁} (α + β s) ds = α (t₁ - t₀) + β (t₁² - t₀²) / 2``."""
    alpha, beta, t0, t1 = _times(alpha, beta, t0, t1)
    return alpha * (t1 - t0) + 0.5 * beta * (t1**2 - t0**2)


def linear_field(A: np.ndarray, b: np.ndarray, alpha: float, beta: float, x: np.ndarray, t: float) -> np.ndarray:
    """``f(x, t) = (α + β t)(A x + b)`` for rows ``x`` of shape ``(batch, d)``."""
    A, b = _linear(A, b)
    alpha, beta, t = V.real(alpha, "alpha"), V.real(beta, "beta"), V.real(t, "t")
    x = V.points(x, "x", len(A))
    return (alpha + beta * t) * (x @ A.T + b)


def linear_solution(A: np.ndarray, b: np.ndarray, alpha: float, beta: float, x0: np.ndarray,
                    t0: float, t1: float) -> np.ndarray:
    """Exact ``x(t₁)`` of ``dx/dt = (α + βt)(A x + b)``, ``x(t₀) = x0`` (rows), for any ``t₁ ≶ t₀``.

    With ``τ(t) = ∫_{t₀}^t (α + βs) ds`` the ODE is ``dx/dτ = A x + b``, so ``(x, 1)`` evolves by
    ``exp(τ [[A, b], [0, 0]])``.
    """
    A, b = _linear(A, b)
    x0 = V.points(x0, "x0", len(A))
    return _linear_solution(A, b, *_times(alpha, beta, t0, t1), x0)


def _linear_solution(A: np.ndarray, b: np.ndarray, alpha: float, beta: float, t0: float, t1: float,
                     x0: np.ndarray) -> np.ndarray:
    d = A.shape[0]
    gen = np.zeros((d + 1, d + 1))
    gen[:d, :d] = A
    gen[:d, d] = b
    M = sla.expm(rate_integral(alpha, beta, t0, t1) * gen)
    return x0 @ M[:d, :d].T + M[:d, d]


def flow_matrix(A: np.ndarray, alpha: float, beta: float, t0: float, t1: float) -> np.ndarray:
    """``Φ = exp(τ A)``: ``x(t₁) = Φ x(t₀) + c``."""
    return sla.expm(rate_integral(alpha, beta, t0, t1) * _linear(A)[0])


# ------------------------------------------------------------------------------------ one-step maps

def euler_step(f, x: np.ndarray, t: float, h: float) -> np.ndarray:
    """``x + h f(x, t)`` (``000 L9 "Numerical Solution of ODEs"``, Euler Update Step)."""
    f, x, t, h = _step(f, x, t, h)
    return x + h * f(x, t)


def _step(f: object, x: object, t: object, h: object) -> tuple:
    return V.function(f, "f"), V.array(x, "x"), V.real(t, "t"), V.real(h, "h")


def heun_step(f, x: np.ndarray, t: float, h: float) -> np.ndarray:
    """``x' = x + h f(x, t)``; ``x + h/2 (f(x, t) + f(x', t + h))`` (Heun's Update Step)."""
    f, x, t, h = _step(f, x, t, h)
    v = f(x, t)
    return x + 0.5 * h * (v + f(x + h * v, t + h))


def fitted_order(steps: np.ndarray, errors: np.ndarray) -> float:
    """Least-squares slope of ``log error`` against ``log h``: the empirical order of convergence."""
    hs = V.array(steps, "steps", ndim=1, positive=True)
    es = V.array(errors, "errors", finite=False)
    if hs.size < 2 or es.shape != hs.shape or not (np.all(es > 0) and np.all(np.isfinite(es))):
        raise ValueError(f"errors must be positive and finite at >= 2 steps, got {errors!r}")
    return float(np.polyfit(np.log(hs), np.log(es), 1)[0])


def forcing_solution(lam: float, u: np.ndarray, x0: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """Exact ``x(t₁)`` of ``dx/dt = e^{λt} u`` (a pure quadrature): ``x0 + (e^{λt₁} - e^{λt₀})/λ · u``."""
    lam, t0, t1 = V.real(lam, "lam"), V.real(t0, "t0"), V.real(t1, "t1")
    if lam == 0:
        raise ValueError("lam must be non-zero (the closed form divides by λ; for λ = 0, x0 + (t1 - t0) u)")
    x0 = V.array(x0, "x0")
    u = V.array(u, "u")
    try:
        fits = np.broadcast_shapes(u.shape, x0.shape) == x0.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"u must broadcast against the points x0 {x0.shape} (one direction (d,)), got {u.shape}")
    return x0 + (math.exp(lam * t1) - math.exp(lam * t0)) / lam * u


# The order band. Two order problems whose leading error term cannot vanish:
#   autonomous  dx/dt = A x  (A invertible): Euler's global error is -(T h/2) A² e^{TA} x0 + O(h²),
#               Heun's -(T h²/6) A³ e^{TA} x0 + O(h³) (log of the one-step matrix vs hA);
#   forcing     dx/dt = e^{λt} u: Euler is the left Riemann sum, error -(h/2)(g(t₁) - g(t₀)) + O(h²),
#               Heun the trapezoid rule, error -(h²/12)(g'(t₁) - g'(t₀)) + O(h⁴); never 0 for λ ≠ 0.
# (A time-dependent linear problem can have cancelling leading terms, e.g. a(t) = α + βt against
# A², so it is used for the exact one-step checks, not for slopes.) With e(h) = C h^p (1 + κh + ...)
# the fitted slope over h = T/n, n ∈ N_LADDER, deviates from p by about |κ| h_max / (2 ln 2); the
# problems keep ‖A‖₂ ≤ 2, |λ| ≤ 2, |T| ≤ 1 so |κ| ≲ 2 and h_max ≤ 1/16: deviation ≲ 0.1 (0.03
# measured over 400 random problems). δ = 0.15; the next order down (a method one order lower than
# it declares) lands a full unit away. Float64 only: in float32 the rounding floor (~1e-7 · n) is
# reached by Heun's error (~h²) before the ladder ends and flattens the slope.
N_LADDER = (16, 32, 64, 128)
ORDER_BAND = 0.15


# -------------------------------------------------------------------------------- Gaussian densities

def gaussian_logpdf(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``log N(x; mean, cov)`` for rows ``x``."""
    mean = V.array(mean, "mean", ndim=1)
    cov = V.square(cov, "cov", n=len(mean), positive_definite=True, match="mean")
    x = np.atleast_2d(V.points(x, "x", len(mean)))
    return _logpdf(x, mean, cov)


def _logpdf(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    d = x.shape[1]
    L = np.linalg.cholesky(cov)
    z = sla.solve_triangular(L, (x - mean).T, lower=True)
    return -0.5 * (z**2).sum(0) - np.log(np.diag(L)).sum() - 0.5 * d * math.log(2 * math.pi)


def pushforward_logpdf(A: np.ndarray, b: np.ndarray, alpha: float, beta: float, mean: np.ndarray,
                       cov: np.ndarray, t0: float, t1: float, x1: np.ndarray) -> np.ndarray:
    """``log p_{t₁}(x1)`` where ``x(t₀) ~ N(mean, cov)`` is pushed by the linear flow.

    ``x(t₁) = Φ x(t₀) + c`` with ``Φ = exp(τA)``, so ``p_{t₁} = N(Φ mean + c, Φ cov Φᵀ)``.
    """
    A, b = _linear(A, b)
    mean = V.array(mean, "mean", shape=(len(A),), match="A")
    cov = V.square(cov, "cov", n=len(A), positive_definite=True, match="A")
    x1 = np.atleast_2d(V.points(x1, "x1", len(A)))
    times = _times(alpha, beta, t0, t1)
    phi = flow_matrix(A, *times)
    c = _linear_solution(A, b, *times, np.zeros((1, len(mean))))[0]
    return _logpdf(x1, phi @ mean + c, phi @ cov @ phi.T)


def log_density_change(A: np.ndarray, alpha: float, beta: float, t0: float, t1: float) -> float:
    """``-∫_{t₀}^{t₁} tr ∂f/∂x dt = -τ tr A = -log det Φ`` (Liouville: ``det exp(τA) = exp(τ tr A)``)."""
    return -rate_integral(alpha, beta, t0, t1) * float(np.trace(_linear(A)[0]))


# ------------------------------------------------------------------------------ divergences

def tanh_field_divergence(W: np.ndarray, c: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``tr ∂/∂x tanh(W x + c) = Σ_i (1 - tanh²(W x + c)_i) W_ii`` for rows ``x``."""
    W = V.square(W, "W")
    c = V.array(c, "c", shape=(len(W),), match="W")
    x = V.points(x, "x", len(W))
    z = np.tanh(x @ W.T + c)
    return ((1 - z**2) * np.diag(W)).sum(-1)


def rademacher_probes(d: int) -> np.ndarray:
    """All ``2^d`` sign vectors, shape ``(2^d, d)``: the exact Rademacher law (each has mass ``2^-d``)."""
    d = V.count(d, "d", hi=MAX_PROBE_DIM)
    return np.array(list(itertools.product((-1.0, 1.0), repeat=d)))


def gauss_hermite_probes(d: int, n: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Tensor Gauss-Hermite nodes for ``N(0, I_d)``: ``(n^d, d)`` nodes and weights summing to 1.

    Exact for polynomials of degree ``≤ 2n - 1`` in each coordinate; ``vᵀJv`` is quadratic and its
    square quartic, so ``n = 3`` gives the exact mean and variance of the Gaussian-probe estimator.
    """
    d, n = V.count(d, "d"), V.count(n, "n", hi=quadrature.MAX_HERMITE_NODES)
    if d * math.log2(max(n, 1)) > math.log2(quadrature.MAX_NODES):
        raise ValueError(f"n = {n} nodes in d = {d} dimensions make n**d nodes, over the limit MAX_NODES = "
                         f"{quadrature.MAX_NODES}; take a smaller d or n")
    return quadrature.normal(n, d)


def hutchinson_mean(J: np.ndarray) -> float:
    """``E[vᵀ J v] = tr(J E[v vᵀ]) = tr J`` for any probe law with ``E[v vᵀ] = I``."""
    return float(np.trace(V.square(J, "J")))


def hutchinson_variance(J: np.ndarray, kind: str = "rademacher") -> float:
    """``Var[vᵀ J v]``; with ``S = (J + Jᵀ)/2`` (only the symmetric part enters ``vᵀJv``):

    Rademacher ``2 Σ_{i≠j} S_ij²`` (``v_i² = 1`` removes the diagonal); Gaussian ``2 ‖S‖_F²``.
    For a non-symmetric ``J`` this is ``½ Σ_{i≠j} (J_ij + J_ji)²``, not ``2 Σ_{i≠j} J_ij²``.
    """
    J = V.square(J, "J")
    V.choice(kind, "kind", ("rademacher", "gaussian"))
    S = 0.5 * (J + J.T)
    if kind == "rademacher":
        return float(2 * ((S**2).sum() - (np.diag(S) ** 2).sum()))
    if kind == "gaussian":
        return float(2 * (S**2).sum())
    raise ValueError(f"kind must be 'rademacher' or 'gaussian', got {kind!r}")


def derive_hutchinson_variance(d: int) -> tuple[sp.Expr, sp.Expr]:
    """Symbolic ``Var[vᵀJv]`` over all ``2^d`` Rademacher probes minus ``2 Σ_{i≠j} S_ij²``, and the
    Gaussian variance (Isserlis: ``E[v_i v_j v_k v_l] = δ_ij δ_kl + δ_ik δ_jl + δ_il δ_jk``) minus
    ``2‖S‖_F²``, for a generic ``d × d`` symbolic J. Both simplify to 0."""
    d = V.count(d, "d", hi=MAX_SYMBOLIC_DIM)
    J = sp.Matrix(d, d, lambda i, j: sp.Symbol(f"J{i}{j}"))
    S = (J + J.T) / 2
    vals = [(sp.Matrix(v).T * J * sp.Matrix(v))[0, 0] for v in itertools.product((-1, 1), repeat=d)]
    mean = sum(vals) / len(vals)
    var = sum((q - mean) ** 2 for q in vals) / len(vals)
    rad = sp.expand(var - 2 * sum(S[i, j] ** 2 for i in range(d) for j in range(d) if i != j))

    def m4(i, j, k, l):
        return int(i == j and k == l) + int(i == k and j == l) + int(i == l and j == k)

    idx = range(d)
    second = sum(J[i, j] * J[k, l] * m4(i, j, k, l) for i in idx for j in idx for k in idx for l in idx)
    gvar = second - J.trace() ** 2
    gauss = sp.expand(gvar - 2 * sum(S[i, j] ** 2 for i in idx for j in idx))
    return sp.simplify(rad), sp.simplify(gauss)
