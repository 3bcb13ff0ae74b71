"""SDEs with linear drift: exact moments, the VE/VP marginals, Euler–Maruyama and the discrete chains.

Every SDE here is ``dx = f(t) x dt + g(t) dw`` (drift linear in ``x``, diffusion independent of
``x``), so ``x_t | x_0 ~ N(a(t) x_0, v(t) I)`` and, for Gaussian-mixture data, ``x_t`` is the
mixture ``GaussianMixture.noised(a(t), v(t))`` (exact for every t). The moments solve

    dm/dt = f(t) m,              m(t) = m(0) e^{F(t)},                 F(t) = ∫_0^t f
    dv/dt = 2 f(t) v + g(t)²,    v(t) = e^{2F(t)} (v(0) + ∫_0^t g(u)² e^{-2F(u)} du)

(theorem ``sde.moment_odes``; 000 L11 "Score-Based Generative Models Through SDEs" states the ODEs
for the mean and covariance and omits the variance derivation). They are computed here three
ways: closed forms (VE/VP), ``scipy.integrate.quad`` of the formula above, and
``scipy.integrate.solve_ivp`` of the ODEs; ``derive_*`` checks them symbolically with sympy.

Conventions: VE ``σ(t) = σ_min (σ_max/σ_min)^{t/T}``, ``g² = dσ²/dt``; VP ``β(t) = β_min + (t/T)(β_max -
β_min)``, ``f = -β/2``, ``g = √β``. numpy/scipy/sympy only (no torch): this module judges impl/sde.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp
from scipy import integrate

from dgmcheck.theory import _validate as V
from dgmcheck.theory import quadrature
from dgmcheck.theory import score as score_theory
from dgmcheck.theory._memo import derivation
from dgmcheck.theory.gaussian_mixture import GaussianMixture

Fn = Callable[[float], float]
#: The most entries of a dense matrix over a time grid (``em_linear_coefficients``' ``B``, ``brownian_map``,
#: ``brownian_covariance``: ``(N+1) × N``) and of ``moments_gl``'s node grid (2^24: 128 MiB of float64).
MAX_GRID_ENTRIES = 2**24


def _grid(ts: object, name: str = "ts", *, nonneg: bool = False) -> np.ndarray:
    """A 1-D grid of finite times (``nonneg``: >= 0)."""
    ts = np.atleast_1d(V.array(ts, name, ndim=(0, 1), nonneg=nonneg))
    return ts


def _dense(n: int, name: str = "ts") -> None:
    V.bounded(n, f"(len({name}))², the entries of the dense matrices over {name},", MAX_GRID_ENTRIES,
              f"take a shorter {name}")


def _one_d(mixture: object) -> GaussianMixture:
    return V.mixture(mixture, dim=1)


def _noising(a: object, v: object) -> tuple[float, float]:
    """``x_t = a x_0 + √v ε``: ``a`` a number, ``v > 0``."""
    return V.real(a, "a"), V.positive(v, "v")


def _theta(theta: object) -> tuple[float, float]:
    """The linear model ``θ_1 x + θ_0`` as ``(θ_1, θ_0)``."""
    t1, t0 = V.array(theta, "theta", shape=(2,))
    return float(t1), float(t0)


# --------------------------------------------------------------------------- VE and VP closed forms
def _check_times(t: object, T: float) -> np.ndarray:
    t = V.array(t, "t", finite=False)
    if t.ndim == 0:  # one time (quadrature integrands call per node): the same test on a Python float
        v = t.item()
        bad = not math.isfinite(v) or v < 0 or v > T
    else:
        bad = not np.isfinite(t).all() or (t < 0).any() or (t > T).any()
    if bad:
        raise ValueError(f"t must lie in [0, T] = [0, {T}], got {t!r}")
    return t


def _check_ve(sigma_min: float, sigma_max: float, T: float) -> None:
    sigma_min, sigma_max, T = V.positive(sigma_min, "sigma_min"), V.positive(sigma_max, "sigma_max"), V.positive(T, "T")
    if not sigma_min > 0:
        raise ValueError(f"sigma_min must be > 0, got {sigma_min!r}")
    if not sigma_max > sigma_min:
        raise ValueError(f"sigma_max must exceed sigma_min = {sigma_min}, got {sigma_max!r}")
    if not T > 0:
        raise ValueError(f"T must be > 0, got {T!r}")


def _check_vp(beta_min: float, beta_max: float, T: float) -> None:
    beta_min, beta_max, T = V.positive(beta_min, "beta_min"), V.positive(beta_max, "beta_max"), V.positive(T, "T")
    if not beta_min > 0:
        raise ValueError(f"beta_min must be > 0, got {beta_min!r}")
    if not beta_max >= beta_min:
        raise ValueError(f"beta_max must be >= beta_min = {beta_min}, got {beta_max!r}")
    if not T > 0:
        raise ValueError(f"T must be > 0, got {T!r}")


@dataclass(frozen=True)
class VE:
    """Variance exploding SDE ``dx = √(dσ²/dt) dw`` (000 L11 "Score Matching SDE")."""

    sigma_min: float = 0.01
    sigma_max: float = 50.0
    T: float = 1.0

    def __post_init__(self) -> None:
        _check_ve(self.sigma_min, self.sigma_max, self.T)

    @property
    def log_ratio(self) -> float:
        return float(np.log(self.sigma_max / self.sigma_min))

    def sigma(self, t: object) -> np.ndarray:
        t = _check_times(t, self.T)
        return self.sigma_min * np.exp(self.log_ratio * t / self.T)

    def f(self, t: object) -> np.ndarray:
        return np.zeros_like(_check_times(t, self.T))

    def g2(self, t: object) -> np.ndarray:
        """``g(t)² = dσ²/dt = 2 σ(t)² log(σ_max/σ_min) / T``."""
        return 2.0 * self.sigma(t) ** 2 * self.log_ratio / self.T

    def marginal(self, t: object) -> tuple[np.ndarray, np.ndarray]:
        """sde.ve_marginal: ``(a, v) = (1, σ(t)² - σ(0)²)``, with ``σ(t)² - σ_min² = σ_min² expm1(2 t log r / T)``
        (no cancellation near t = 0)."""
        t = _check_times(t, self.T)
        return np.ones_like(t), self.sigma_min**2 * np.expm1(2.0 * self.log_ratio * t / self.T)

    def variance_condition(self, t: object) -> np.ndarray:
        """Relative-error amplification of ``v(t)`` formed as ``σ(t)² - σ_min²`` (a subtraction):
        ``(σ(t)² + σ_min²)/(σ(t)² - σ_min²)`` plus the ``2 t log r / T`` of the exponent."""
        t = _check_times(t, self.T)
        s2 = self.sigma(t) ** 2
        _, v = self.marginal(t)
        with np.errstate(divide="ignore"):
            return np.where(v > 0, (s2 + self.sigma_min**2) / np.maximum(v, 1e-300), np.inf) * (
                1.0 + 2.0 * self.log_ratio * t / self.T)

    def chain_sigmas(self, N: int) -> np.ndarray:
        """The NCSN noise levels ``σ_i = σ(t_i)``, ``t_i = i T / N``, ``i = 0..N``."""
        _check_steps(N)
        return self.sigma(np.arange(N + 1) * self.T / N)


@dataclass(frozen=True)
class VP:
    """Variance preserving SDE ``dx = -½ β(t) x dt + √β(t) dw`` (000 L11 "Diffusion SDE")."""

    beta_min: float = 0.1
    beta_max: float = 20.0
    T: float = 1.0

    def __post_init__(self) -> None:
        _check_vp(self.beta_min, self.beta_max, self.T)

    def beta(self, t: object) -> np.ndarray:
        t = _check_times(t, self.T)
        return self.beta_min + (t / self.T) * (self.beta_max - self.beta_min)

    def integrated_beta(self, t: object) -> np.ndarray:
        """``B(t) = ∫_0^t β = β_min t + (β_max - β_min) t² / (2T)``."""
        t = _check_times(t, self.T)
        return self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t**2 / self.T

    def f(self, t: object) -> np.ndarray:
        return -0.5 * self.beta(t)

    def g2(self, t: object) -> np.ndarray:
        return self.beta(t)

    def marginal(self, t: object) -> tuple[np.ndarray, np.ndarray]:
        """sde.vp_marginal: ``(a, v) = (e^{-B/2}, 1 - e^{-B})`` (``√ᾱ(t)`` and ``1 - ᾱ(t)`` with ``ᾱ = e^{-B}``)."""
        b = self.integrated_beta(t)
        return np.exp(-0.5 * b), -np.expm1(-b)

    def variance_condition(self, t: object) -> np.ndarray:
        """Amplification of ``1 - e^{-B}`` when formed by subtraction: ``e^{-B}/(1 - e^{-B}) + 1``
        (an implementation with expm1 does better; this is the bound a plain one needs)."""
        b = self.integrated_beta(t)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b > 0, 1.0 + np.exp(-b) / np.maximum(-np.expm1(-b), 1e-300) * (1 + b), np.inf)

    def chain_betas(self, N: int) -> np.ndarray:
        """The DDPM steps ``β_i = β(t_i) Δt``, ``t_i = i T / N``, ``Δt = T/N``, ``i = 1..N`` (000 L11
        "Diffusion SDE": ``β_t = β(t/T) · 1/T``)."""
        _check_steps(N)
        return self.beta(np.arange(1, N + 1) * self.T / N) * (self.T / N)


@dataclass(frozen=True)
class SubVP:
    """The sub-VP SDE ``dx = -½ β(t) x dt + √(β(t)(1 - e^{-2B(t)})) dw`` (Song et al. 2021; not on the
    lecture's slides), β and ``B = ∫_0^t β`` as for ``VP``. Its moment ODEs (``sde.moment_odes``)
    solve in closed form: ``a = e^{-B/2}``, ``v = (1 - e^{-B})²`` — ``v' = 2 e^{-B}(1 - e^{-B}) β =
    -β v + β(1 - e^{-2B})`` (``derive_subvp_marginal``) — below the VP variance ``1 - e^{-B}``."""

    beta_min: float = 0.1
    beta_max: float = 20.0
    T: float = 1.0

    def __post_init__(self) -> None:
        _check_vp(self.beta_min, self.beta_max, self.T)

    @cached_property  # built once: every coefficient call reads it (VP is frozen, its checks passed here)
    def vp(self) -> VP:
        return VP(self.beta_min, self.beta_max, self.T)

    def beta(self, t: object) -> np.ndarray:
        return self.vp.beta(t)

    def integrated_beta(self, t: object) -> np.ndarray:
        return self.vp.integrated_beta(t)

    def f(self, t: object) -> np.ndarray:
        return -0.5 * self.beta(t)

    def g2(self, t: object) -> np.ndarray:
        """``g(t)² = β(t)(1 - e^{-2B(t)})``."""
        return self.beta(t) * -np.expm1(-2.0 * self.integrated_beta(t))

    def marginal(self, t: object) -> tuple[np.ndarray, np.ndarray]:
        """``(a, v) = (e^{-B/2}, (1 - e^{-B})²)``."""
        b = self.integrated_beta(t)
        return np.exp(-0.5 * b), np.expm1(-b) ** 2

    def variance_condition(self, t: object) -> np.ndarray:
        """Twice the VP bound for ``1 - e^{-B}`` formed by subtraction (the square doubles it)."""
        return 2.0 * self.vp.variance_condition(t)

    def discount_condition(self, t: object) -> np.ndarray:
        """Amplification of ``1 - e^{-2B}`` formed by subtraction: ``1 + e^{-2B}(1 + 2B)/(1 - e^{-2B})``."""
        b = 2.0 * self.integrated_beta(t)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b > 0, 1.0 + np.exp(-b) / np.maximum(-np.expm1(-b), 1e-300) * (1 + b), np.inf)


def _check_steps(N: object) -> None:
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 1:
        raise ValueError(f"N must be a positive integer number of steps, got {N!r}")


# --------------------------------------------------------------------------- moment ODEs
def moments_quadrature(f: Fn, g2: Fn, t: float, m0: float = 1.0, v0: float = 0.0,
                       epsrel: float = 1e-13) -> tuple[float, float]:
    """sde.moment_odes in closed form by adaptive quadrature: ``m = m0 e^{F(t)}``,
    ``v = e^{2F(t)}(v0 + ∫_0^t g(u)² e^{-2F(u)} du)``, ``F(t) = ∫_0^t f``."""
    V.function(f, "f")
    V.function(g2, "g2")
    t = V.real(t, "t", lo=0.0, closed="lo")
    m0, v0 = _initial(m0, v0)
    epsrel = V.positive(epsrel, "epsrel")

    def F(u: float) -> float:
        return integrate.quad(f, 0.0, u, epsabs=0.0, epsrel=epsrel, limit=200)[0]

    Ft = F(t)
    inner = integrate.quad(lambda u: g2(u) * np.exp(2.0 * (Ft - F(u))), 0.0, t, epsabs=0.0,
                           epsrel=epsrel, limit=200)[0]
    return m0 * float(np.exp(Ft)), float(np.exp(2.0 * Ft) * v0 + inner)


def _initial(m0: object, v0: object) -> tuple[float, float]:
    """The initial mean (a number) and variance (>= 0)."""
    return V.real(m0, "m0"), V.real(v0, "v0", lo=0.0, closed="lo")


def moments_ivp(f: Fn, g2: Fn, ts: object, m0: float = 1.0, v0: float = 0.0,
                rtol: float = 1e-12, atol: object = None) -> tuple[np.ndarray, np.ndarray]:
    """sde.moment_odes by ``solve_ivp`` (DOP853): ``dm/dt = f m``, ``dv/dt = 2 f v + g²`` from 0,
    evaluated at the times ``ts``; returns ``(m(ts), v(ts))``. The default absolute tolerances
    ``(1e-30 |m0|, 1e-20)`` keep the error relative where the mean decays (VP) and let ``v`` start at 0."""
    V.function(f, "f")
    V.function(g2, "g2")
    ts = _grid(ts, nonneg=True)
    m0, v0 = _initial(m0, v0)
    rtol = V.positive(rtol, "rtol")
    if atol is not None:
        V.array(atol, "atol", positive=True)

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        ft = float(f(t))
        return np.array([ft * y[0], 2.0 * ft * y[1] + float(g2(t))])

    if ts[-1] == 0:
        return np.full_like(ts, m0), np.full_like(ts, v0)
    uniq, inverse = np.unique(ts, return_inverse=True)
    if atol is None:
        atol = [1e-30 * max(abs(m0), 1e-290), 1e-20]
    sol = integrate.solve_ivp(rhs, (0.0, float(uniq[-1])), [m0, v0], method="DOP853", t_eval=uniq,
                              rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    return sol.y[0][inverse], sol.y[1][inverse]


def moments_gl(f: Callable[[np.ndarray], np.ndarray], g2: Callable[[np.ndarray], np.ndarray], ts: object,
               m0: float = 1.0, v0: float = 0.0, panels: int = 16, n: int = 16,
               n_inner: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """sde.moment_odes by vectorized Gauss–Legendre quadrature of the closed form
    ``m = m0 e^{F(t)}``, ``v = e^{2F(t)} v0 + ∫_0^t g(u)² e^{2(F(t) - F(u))} du`` (``f``, ``g2`` take and
    return arrays; all evaluations happen in two calls). ``panels × n`` nodes on ``[0, t]`` for the
    outer integral and ``n_inner`` nodes for each ``F(u)``: exact for polynomial ``f`` of degree
    < 2 n_inner, and at rounding level for the smooth VE/VP integrands (test_theory_sde)."""
    V.function(f, "f")
    V.function(g2, "g2")
    ts = _grid(ts, nonneg=True)
    m0, v0 = _initial(m0, v0)
    panels, n = V.count(panels, "panels"), V.count(n, "n", hi=quadrature.MAX_LEGENDRE_NODES)
    n_inner = V.count(n_inner, "n_inner", hi=quadrature.MAX_LEGENDRE_NODES)
    V.bounded(len(ts) * panels * n * n_inner, "len(ts) · panels · n · n_inner (the nodes evaluated)",
              MAX_GRID_ENTRIES, "take fewer panels or nodes")
    xi, wi = quadrature.legendre(n_inner)
    unit, unit_w = quadrature.composite_legendre(np.linspace(0.0, 1.0, panels + 1), n)  # nodes on [0, 1]
    u = ts[:, None] * unit[None, :]  # (B, M) outer nodes on [0, t]
    # F at the outer nodes and at t: ∫_0^y f = y/2 Σ wi f(y (1 + xi)/2)
    ys = np.concatenate([u, ts[:, None]], axis=1)  # (B, M + 1)
    inner = ys[..., None] * 0.5 * (1.0 + xi)  # (B, M + 1, n_inner)
    fv = np.asarray(f(inner.ravel()), dtype=np.float64).reshape(inner.shape)
    F = 0.5 * ys * np.sum(wi * fv, axis=-1)
    Fu, Ft = F[:, :-1], F[:, -1]
    g2v = np.asarray(g2(u.ravel()), dtype=np.float64).reshape(u.shape)
    integral = ts * np.sum(unit_w * g2v * np.exp(2.0 * (Ft[:, None] - Fu)), axis=1)
    return m0 * np.exp(Ft), np.exp(2.0 * Ft) * v0 + integral


def mixture_marginal(mixture: GaussianMixture, a: float, v: float) -> GaussianMixture:
    """The law of ``x_t = a x_0 + √v ε`` for mixture data ``x_0``: ``Σ_k w_k N(a m_k, a² C_k + v I)``."""
    V.mixture(mixture)
    return mixture.noised(V.real(a, "a"), V.real(v, "v", lo=0.0, closed="lo"))


# --------------------------------------------------------------------------- Euler–Maruyama, exactly
def em_linear_coefficients(f: Fn, g2: Fn, ts: object) -> tuple[np.ndarray, np.ndarray]:
    """Euler–Maruyama on ``dx = f(t) x dt + g(t) dw`` over the grid ``ts`` is linear:
    ``x_k = A_k x_0 + Σ_j B_{kj} z_j`` with ``A_{k+1} = (1 + f(t_k) Δ_k) A_k`` and
    ``B_{k+1} = (1 + f(t_k) Δ_k) B_k + g(t_k) √|Δ_k| e_k``. Returns ``A (N+1,)``, ``B (N+1, N)``
    (sde.euler_maruyama; 000 L10 "Stochastic Differential Equation (SDE)", the SDESolve step)."""
    V.function(f, "f")
    V.function(g2, "g2")
    ts = _grid(ts)
    _dense(len(ts) ** 2)
    n = len(ts) - 1
    A = np.ones(n + 1)
    B = np.zeros((n + 1, n))
    for k in range(n):
        dt = ts[k + 1] - ts[k]
        c = 1.0 + float(f(ts[k])) * dt
        A[k + 1] = c * A[k]
        B[k + 1] = c * B[k]
        g2k = float(g2(ts[k]))
        if not g2k >= 0:
            raise ValueError(f"g2(t) must be a variance rate >= 0, got g2({ts[k]}) = {g2k}")
        B[k + 1, k] = np.sqrt(g2k * abs(dt))
    return A, B


def em_moments(f: Fn, g2: Fn, ts: object, m0: float = 1.0, v0: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and variance of the Euler–Maruyama iterates (no sampling):
    ``m_{k+1} = (1 + f_k Δ_k) m_k``, ``v_{k+1} = (1 + f_k Δ_k)² v_k + g_k² |Δ_k|``."""
    m0, v0 = _initial(m0, v0)
    A, B = em_linear_coefficients(f, g2, ts)
    return A * m0, A**2 * v0 + np.sum(B**2, axis=1)


# --------------------------------------------------------------------------- NCSN and DDPM chains
def ncsn_chain_moments(sigmas: object) -> tuple[np.ndarray, np.ndarray]:
    """sde.ve: the NCSN chain ``x_i = x_{i-1} + √(σ_i² - σ_{i-1}²) z`` from ``x_0`` has
    ``x_i | x_0 ~ N(x_0, (σ_i² - σ_0²) I)`` — the telescoping sum, exactly the VE marginal at ``t_i``.
    Returns ``(a_i, v_i)``, ``i = 0..N``, by the recursion ``v_i = v_{i-1} + σ_i² - σ_{i-1}²``."""
    s = V.array(sigmas, "sigmas", ndim=1)
    if s.ndim != 1 or len(s) < 1 or np.any(np.diff(s) < 0) or np.any(s <= 0):
        raise ValueError(f"sigmas must be a positive non-decreasing 1-D array, got {s!r}")
    v = np.concatenate([[0.0], np.cumsum(np.diff(s**2))])
    return np.ones_like(v), v


def ddpm_chain_moments(betas: object) -> tuple[np.ndarray, np.ndarray]:
    """sde.vp: the DDPM chain ``x_i = √(1-β_i) x_{i-1} + √β_i z`` has ``x_i | x_0 ~ N(a_i x_0, v_i I)``
    with ``a_i = a_{i-1} √(1-β_i)`` and ``v_i = (1-β_i) v_{i-1} + β_i``; ``i = 0..N``."""
    b = V.array(betas, "betas", finite=False)
    if b.ndim != 1 or np.any(~((b > 0) & (b < 1))):
        raise ValueError(f"betas must be a 1-D array with values in (0, 1), got {b!r}")
    a, v = np.ones(len(b) + 1), np.zeros(len(b) + 1)
    for i, beta in enumerate(b, start=1):
        a[i] = a[i - 1] * np.sqrt(1.0 - beta)
        v[i] = (1.0 - beta) * v[i - 1] + beta
    return a, v


def vp_chain_error(sde: VP, N: int) -> float:
    """``max_i |a_i - a(t_i)| + |v_i - v(t_i)|`` of the DDPM chain with ``β_i = β(t_i) T/N``: O(1/N)."""
    V.instance(sde, "sde", VP, "a dgmcheck.theory.sde.VP")
    _check_steps(N)
    a, v = ddpm_chain_moments(sde.chain_betas(N))
    ea, ev = sde.marginal(np.arange(N + 1) * sde.T / N)
    return float(np.max(np.abs(a - ea) + np.abs(v - ev)))


def convergence_slope(steps: object, errors: object) -> float:
    """Least-squares slope of ``log error`` against ``log step`` (the measured order)."""
    steps = V.array(steps, "steps", ndim=1, positive=True)
    errors = V.matching(V.array(errors, "errors", positive=True), "errors", steps, "steps")
    if len(steps) < 2:
        raise ValueError(f"steps must hold at least 2 step sizes to fit a slope, got {len(steps)}")
    h, e = np.log(steps), np.log(errors)
    return float(np.polyfit(h, e, 1)[0])


# --------------------------------------------------------------------------- Brownian motion
def brownian_map(ts: object) -> np.ndarray:
    """sde.wiener: the path ``w(t_k) = Σ_{j<k} √(t_{j+1} - t_j) z_j`` (``w(t_0) = 0``) is ``L z`` with
    ``L_{kj} = √Δ_j`` for ``j < k``; shape ``(N+1, N)``."""
    ts = _grid(ts)
    _dense(len(ts) ** 2)
    dt = np.abs(np.diff(ts))
    n = len(dt)
    return np.tril(np.ones((n + 1, n)), -1) * np.sqrt(dt)[None, :]


def brownian_covariance(ts: object) -> np.ndarray:
    """``Cov(w(t_k), w(t_l)) = min(t_k, t_l) - t_0`` for an increasing grid (w started at t_0)."""
    ts = _grid(ts)
    _dense(len(ts) ** 2)
    if np.any(np.diff(ts) <= 0):
        raise ValueError(f"ts must be strictly increasing, got {ts.tolist()[:8]}")
    return np.minimum.outer(ts, ts) - ts[0]


# --------------------------------------------------------------------------- strong-order references
def gbm_exact(x0: np.ndarray, mu: float, sigma: float, t: float, w_t: np.ndarray) -> np.ndarray:
    """Geometric Brownian motion ``dx = μ x dt + σ x dw``: ``x_t = x_0 exp((μ - σ²/2) t + σ w_t)``
    (Itô), pathwise in the Brownian value ``w_t``."""
    x0 = V.array(x0, "x0")
    mu, sigma, t = V.real(mu, "mu"), V.real(sigma, "sigma"), V.real(t, "t", lo=0.0, closed="lo")
    w_t = V.array(w_t, "w_t")
    try:
        np.broadcast_shapes(x0.shape, w_t.shape)
    except ValueError:
        raise ValueError(f"w_t {w_t.shape} must broadcast against x0 {x0.shape}") from None
    return x0 * np.exp((mu - 0.5 * sigma**2) * t + sigma * w_t)


def ou_cell_covariance(theta: float, h: float) -> np.ndarray:
    """Joint covariance of ``(ΔW, I)`` over one cell of length ``h``, ``I = ∫_0^h e^{-θ(h-s)} dw_s``:
    ``[[h, (1-e^{-θh})/θ], [(1-e^{-θh})/θ, (1-e^{-2θh})/(2θ)]]``. Drawing the pair jointly gives the
    exact OU solution pathwise with the increments Euler–Maruyama sees."""
    theta, h = V.positive(theta, "theta"), V.positive(h, "h")
    c = -np.expm1(-theta * h) / theta
    q = -np.expm1(-2.0 * theta * h) / (2.0 * theta)
    return np.array([[h, c], [c, q]])


def ou_exact_step(x: np.ndarray, theta: float, sigma: float, h: float, integral: np.ndarray) -> np.ndarray:
    """OU ``dx = -θ x dt + σ dw`` over one cell: ``x_h = e^{-θh} x_0 + σ I``."""
    x = V.array(x, "x")
    theta, sigma, h = V.positive(theta, "theta"), V.real(sigma, "sigma"), V.positive(h, "h")
    integral = V.matching(V.array(integral, "integral"), "integral", x, "x")
    return np.exp(-theta * h) * x + sigma * integral


# --------------------------------------------------------------------------- continuous DSM
def dsm_target(x_t: np.ndarray, x0: np.ndarray, a: object, v: object) -> np.ndarray:
    """sde.continuous_dsm: ``∇_{x_t} log q(x_t|x_0) = -(x_t - a x_0)/v`` with ``v = s²`` the variance
    (000 L11 "Score-Based Generative Models Through SDEs" prints ``-(x - μ)/σ``; the variance belongs)."""
    x_t = V.array(x_t, "x_t", min_ndim=1)
    x0 = V.matching(V.array(x0, "x0"), "x0", x_t, "x_t")
    a = V.array(a, "a")
    v = V.array(v, "v", positive=True)
    for name, c in (("a", a), ("v", v)):
        if c.ndim and (c.ndim >= x_t.ndim or c.shape != x_t.shape[:c.ndim]):
            raise ValueError(f"{name} must be a number or one per row of x_t {x_t.shape[:1]}, got {c.shape}")
    return -(x_t - a[..., None] * x0) / v[..., None]


def dsm_linear_1d(mixture: GaussianMixture, a: float, v: float, theta: object, lam: float = 1.0) -> float:
    """Closed form of ``λ E_{x_0, ε} (θ_1 x_t + θ_0 + (x_t - a x_0)/v)²``, ``x_t = a x_0 + √v ε``, 1-D
    mixture data: per component ``x_0 = m + √c u`` the integrand is ``(α u + β ε + γ)²`` with
    ``α = θ_1 a √c``, ``β = θ_1 √v + 1/√v``, ``γ = θ_1 a m + θ_0``, so its mean is ``α² + β² + γ²``."""
    _one_d(mixture)
    a, v = _noising(a, v)
    t1, t0 = _theta(theta)
    lam = V.real(lam, "lam", lo=0.0, closed="lo")
    m, c = mixture.means[:, 0], mixture.covs[:, 0, 0]
    alpha = t1 * a * np.sqrt(c)
    beta = t1 * np.sqrt(v) + 1.0 / np.sqrt(v)
    gamma = t1 * a * m + t0
    return float(lam * np.sum(mixture.weights * (alpha**2 + beta**2 + gamma**2)))


def explicit_linear_1d(mixture: GaussianMixture, a: float, v: float, theta: object, lam: float = 1.0,
                       epsrel: float = 1e-13) -> float:
    """``λ E_{p_t}(θ_1 x + θ_0 - ∇ log p_t(x))²`` by adaptive quadrature (``scipy.integrate.quad``)
    over the exact noised mixture ``p_t``."""
    _one_d(mixture)
    pt = mixture_marginal(mixture, *_noising(a, v))
    t1, t0 = _theta(theta)
    lam, epsrel = V.real(lam, "lam", lo=0.0, closed="lo"), V.positive(epsrel, "epsrel")

    def integrand(x: float) -> float:
        log_p, score = pt._log_prob_and_score(np.array([[x]]))  # one pass for both (the same values)
        return float(np.exp(log_p)[0] * (t1 * x + t0 - score[0, 0]) ** 2)

    sd = np.sqrt(pt.covs[:, 0, 0].max())
    lo, hi = pt.means[:, 0].min() - 40 * sd, pt.means[:, 0].max() + 40 * sd
    pts = np.sort(pt.means[:, 0])
    return lam * integrate.quad(integrand, lo, hi, points=pts, epsabs=0.0, epsrel=epsrel, limit=500)[0]


def fisher_information_1d(mixture: GaussianMixture, epsrel: float = 1e-13) -> float:
    """``E_p (∇ log p)²`` of a 1-D mixture by adaptive quadrature (``theory.score``'s oracle)."""
    _one_d(mixture)
    return score_theory.fisher_information_adaptive(mixture, tol=V.positive(epsrel, "epsrel"))


def dsm_constant_1d(mixture: GaussianMixture, a: float, v: float, lam: float = 1.0) -> float:
    """DSM(θ) - explicit(θ) = ``λ (E||∇log q(x_t|x_0)||² - E||∇ log p_t||²) = λ (d/v - J(p_t))``
    (d = 1): independent of θ (Vincent 2011; theorem sde.continuous_dsm at a fixed t)."""
    _one_d(mixture)
    a, v = _noising(a, v)
    lam = V.real(lam, "lam", lo=0.0, closed="lo")
    return lam * (1.0 / v - fisher_information_1d(mixture_marginal(mixture, a, v)))


def panel_nodes(mixture: GaussianMixture, n_sd: float = 15.0, per_sd: int = 2,
                n_gl: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss–Legendre nodes and weights (densities included) for ``E_p h(x)`` of a 1-D
    mixture: panels of width ``sd_min/per_sd`` over ``[min m - n_sd sd_max, max m + n_sd sd_max]``
    (the mass outside is below ``e^{-n_sd²/2}``); for smooth ``h`` the error is at rounding level
    (test_theory_sde compares it with adaptive ``quad`` and with closed forms)."""
    _one_d(mixture)
    n_sd = V.positive(n_sd, "n_sd")
    per_sd = V.count(per_sd, "per_sd")
    n_gl = V.count(n_gl, "n_gl", hi=quadrature.MAX_LEGENDRE_NODES)
    sd = np.sqrt(mixture.covs[:, 0, 0])
    lo = float(mixture.means[:, 0].min() - n_sd * sd.max())
    hi = float(mixture.means[:, 0].max() + n_sd * sd.max())
    n_panels = int(np.ceil((hi - lo) / (sd.min() / per_sd)))
    V.bounded(n_panels * n_gl, "the panels' nodes (n_panels · n_gl)", MAX_GRID_ENTRIES,
              "take a smaller per_sd, n_sd or n_gl")
    x, w = quadrature.composite_legendre(np.linspace(lo, hi, n_panels + 1), n_gl)
    return x, w * np.exp(mixture.log_prob(x[:, None]))


def expectation_1d(mixture: GaussianMixture, h: Callable[[np.ndarray], np.ndarray]) -> float:
    """``E_p h(x)`` for a 1-D mixture by ``panel_nodes`` (``h`` vectorized over ``x`` of shape (M,))."""
    V.function(h, "h")
    x, w = panel_nodes(mixture)
    return float(np.sum(w * h(x)))


def fisher_information_panels(mixture: GaussianMixture) -> float:
    """``J(p) = E_p (∇ log p)²`` of a 1-D mixture by ``panel_nodes``."""
    _one_d(mixture)
    return expectation_1d(mixture, lambda x: mixture.score(x[:, None])[:, 0] ** 2)


def explicit_linear_panels(mixture: GaussianMixture, a: float, v: float, theta: object,
                           lam: float = 1.0) -> float:
    """``λ E_{p_t}(θ_1 x + θ_0 - ∇ log p_t(x))²`` by ``panel_nodes`` (fast twin of ``explicit_linear_1d``)."""
    _one_d(mixture)
    pt = mixture_marginal(mixture, *_noising(a, v))
    t1, t0 = _theta(theta)
    lam = V.real(lam, "lam", lo=0.0, closed="lo")
    return lam * expectation_1d(pt, lambda x: (t1 * x + t0 - pt.score(x[:, None])[:, 0]) ** 2)


def dsm_nodes_1d(mixture: GaussianMixture, a: float, v: float,
                 n_gh: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes ``(x_0, ε, w)`` for ``E_{x_0 ~ p, ε ~ N(0,1)} h(x_0, ε)`` with ``x_t = a x_0 + √v ε``:
    per component, ``x_t ~ N(a m, S)`` (``S = a² c + v``) on ``panel_nodes`` and
    ``x_0 | x_t ~ N(m + a c (x_t - a m)/S, c v/S)`` by ``n_gh`` Gauss–Hermite nodes — exact in
    ``x_0`` for integrands quadratic in ``x_0`` at fixed ``x_t`` (every DSM integrand is), smooth in
    ``x_t``. The weights sum to 1."""
    _one_d(mixture)
    a, v = _noising(a, v)
    n_gh = V.count(n_gh, "n_gh", hi=quadrature.MAX_HERMITE_NODES)
    pt = mixture_marginal(mixture, a, v)
    y, wy_all = panel_nodes(pt)
    u, wu = gauss_hermite(n_gh)
    xs, es, ws = [], [], []
    for k in range(mixture.n_components):
        m, c, wk = mixture.means[k, 0], mixture.covs[k, 0, 0], mixture.weights[k]
        S = a * a * c + v
        dens = np.exp(-0.5 * (y - a * m) ** 2 / S) / np.sqrt(2 * np.pi * S)
        wy = np.where(wy_all > 0, wy_all / np.maximum(np.exp(pt.log_prob(y[:, None])), 1e-300), 0.0)
        mean0 = m + a * c * (y - a * m) / S
        x0 = mean0[:, None] + np.sqrt(c * v / S) * u[None, :]
        xs.append(x0.ravel())
        es.append(((y[:, None] - a * x0) / np.sqrt(v)).ravel())
        ws.append((wk * dens * wy)[:, None] * wu[None, :])
    return np.concatenate(xs), np.concatenate(es), np.concatenate([w.ravel() for w in ws])


def gauss_hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of ``E_{u ~ N(0,1)} h(u) ≈ Σ w_i h(u_i)`` (exact for polynomials of degree < 2n):
    ``theory.quadrature.normal_1d`` (cached, read-only)."""
    return quadrature.normal_1d(n)


# --------------------------------------------------------------------------- sympy derivations
@derivation
def derive_moment_odes() -> dict[str, sp.Expr]:
    """Residuals of the closed-form moments of ``dx = f(t) x dt + g(t) dw`` in the moment ODEs, for
    arbitrary functions f, g (both simplify to 0), and the Itô step that gives the variance ODE:
    ``d(x²) = 2x dx + g² dt`` ⇒ ``d E[x²]/dt = 2 f E[x²] + g²`` ⇒ ``dv/dt = 2 f v + g²``."""
    t, u, m0, v0 = sp.symbols("t u m_0 v_0", real=True)
    f, g = sp.Function("f"), sp.Function("g")
    r = sp.Symbol("r", real=True)
    F = sp.Integral(f(r), (r, 0, t))
    Fu = sp.Integral(f(r), (r, 0, u))
    m = m0 * sp.exp(F)
    v = sp.exp(2 * F) * (v0 + sp.Integral(g(u) ** 2 * sp.exp(-2 * Fu), (u, 0, t)))
    res_m = sp.simplify(sp.diff(m, t) - f(t) * m)
    res_v = sp.simplify(sp.expand(sp.diff(v, t) - 2 * f(t) * v - g(t) ** 2))
    # second moment from Itô: E[d(x²)] = E[2 x f x + g²] dt
    M2 = sp.Function("M2")(t)
    ito = sp.Eq(sp.diff(M2, t), 2 * f(t) * M2 + g(t) ** 2)
    var_from_ito = sp.simplify(ito.rhs - 2 * m * sp.diff(m, t) - (2 * f(t) * (M2 - m**2) + g(t) ** 2))
    return {"mean_residual": res_m, "variance_residual": res_v,
            "variance_ode_from_ito_residual": var_from_ito, "mean": m, "variance": v}


@derivation
def derive_vp_marginal() -> dict[str, sp.Expr]:
    """VP: ``a = e^{-B/2}`` and ``v = 1 - e^{-B}`` solve ``a' = -β a/2`` and ``v' = -β v + β`` with
    ``a(0) = 1``, ``v(0) = 0`` for the linear β; also ``v = 1 - a²`` (variance preserving for unit data)."""
    t, T, b0, b1 = sp.symbols("t T beta_min beta_max", positive=True)
    beta = b0 + t / T * (b1 - b0)
    B = sp.integrate(beta, (t, 0, t))
    a = sp.exp(-B / 2)
    v = 1 - sp.exp(-B)
    return {"B": sp.simplify(B - (b0 * t + (b1 - b0) * t**2 / (2 * T))),
            "mean_residual": sp.simplify(sp.diff(a, t) + beta * a / 2),
            "variance_residual": sp.simplify(sp.diff(v, t) - (-beta * v + beta)),
            "initial": sp.simplify(a.subs(t, 0) - 1) + sp.simplify(v.subs(t, 0)),
            "preserving": sp.simplify(v - (1 - a**2))}


def derive_subvp_marginal() -> dict[str, sp.Expr]:
    """sub-VP: ``a = e^{-B/2}`` and ``v = (1 - e^{-B})²`` solve ``a' = -β a/2`` and
    ``v' = -β v + β(1 - e^{-2B})`` with ``a(0) = 1``, ``v(0) = 0``, for the linear β (residuals 0)."""
    t, T, b0, b1 = sp.symbols("t T beta_min beta_max", positive=True)
    beta = b0 + t / T * (b1 - b0)
    B = sp.integrate(beta, (t, 0, t))
    a = sp.exp(-B / 2)
    v = (1 - sp.exp(-B)) ** 2
    g2 = beta * (1 - sp.exp(-2 * B))
    return {"mean_residual": sp.simplify(sp.diff(a, t) + beta * a / 2),
            "variance_residual": sp.simplify(sp.expand(sp.diff(v, t) - (-beta * v + g2))),
            "initial": sp.simplify(a.subs(t, 0) - 1) + sp.simplify(v.subs(t, 0))}


def derive_ve_marginal() -> dict[str, sp.Expr]:
    """VE: ``g² = dσ²/dt = 2σ² log(σ_max/σ_min)/T`` and ``v = σ(t)² - σ(0)²`` solves ``v' = g²``, ``v(0) = 0``."""
    t, T, smin, smax = sp.symbols("t T sigma_min sigma_max", positive=True)
    sigma = smin * (smax / smin) ** (t / T)
    g2 = sp.diff(sigma**2, t)
    v = sigma**2 - sigma.subs(t, 0) ** 2
    return {"g2": sp.simplify(g2 - 2 * sigma**2 * sp.log(smax / smin) / T),
            "variance_residual": sp.simplify(sp.diff(v, t) - g2),
            "initial": sp.simplify(v.subs(t, 0))}


def derive_dsm_constant() -> sp.Expr:
    """For one Gaussian component ``x_0 ~ N(m, c)`` in 1-D, DSM(θ) - explicit(θ) with a linear model
    ``θ_1 x + θ_0`` equals ``1/v - 1/(a² c + v)`` for every θ: returns that difference minus the
    claimed constant (simplifies to 0)."""
    a, c, v = sp.symbols("a c v", positive=True)
    m, t0, t1, u, e = sp.symbols("m theta_0 theta_1 u epsilon", real=True)
    x0 = m + sp.sqrt(c) * u
    xt = a * x0 + sp.sqrt(v) * e
    dsm_integrand = sp.expand((t1 * xt + t0 + (xt - a * x0) / v) ** 2)
    # E over independent standard normals u, e: E u = E e = 0, E u² = E e² = 1, E ue = 0
    poly = sp.Poly(dsm_integrand, u, e)
    moments = {(0, 0): 1, (1, 0): 0, (0, 1): 0, (2, 0): 1, (0, 2): 1, (1, 1): 0}
    dsm = sum(coef * moments[mon] for mon, coef in zip(poly.monoms(), poly.coeffs(), strict=True))
    s2 = a**2 * c + v
    # explicit: x ~ N(a m, s2), score -(x - a m)/s2; x = a m + sqrt(s2) u
    xx = a * m + sp.sqrt(s2) * u
    ex_poly = sp.Poly(sp.expand((t1 * xx + t0 + (xx - a * m) / s2) ** 2), u)
    explicit = sum(coef * moments[(mon[0], 0)] for mon, coef in zip(ex_poly.monoms(), ex_poly.coeffs(), strict=True))
    return sp.simplify(dsm - explicit - (1 / v - 1 / s2))
