"""Flow matching: exact oracles for Gaussian conditional paths (numpy/sympy, no torch).

Time convention (the lectures', 000 L11-L13): ``t ∈ [0, 1]``, **noise at t = 0, data at t = 1**:
``x_0 ~ p_0 = N(0, I)``, ``x_1 ~ p_1 = p_data``, and the sampler integrates ``dx/dt = u_t(x)`` from
0 to 1. (torchcfm and Meta's flow_matching use the same ends; score SDEs run the other way,
diffusion time ``s = 1 - t``.) Every path here is affine in its conditioning pair::

    x_t = α_t x_1 + σ_t x_0,      x_0 ~ N(0, I) independent of x_1,

so ``p_t(x | x_1) = N(α_t x_1, σ_t² I)``, ``σ_t`` is a **standard deviation**, and the
conditional field (fm.gaussian_path_field, 000 L12 "Flow Matching") is::

    u_t(x | x_1) = σ'_t/σ_t (x - α_t x_1) + α'_t x_1       (= α'_t x_1 + σ'_t x_0 on the path).

Paths (``PathSpec.kind``):

- ``conical`` (fm.conical_path): ``α_t = t``, ``σ_t = 1 - (1 - σ_min) t``;
  ``u = (x_1 - (1 - σ_min) x) / (1 - (1 - σ_min) t)``. The slide's path is σ_min = 0.
- ``linear`` (fm.linear_interpolation): pair conditioning z = (x_0, x_1),
  ``x_t = t x_1 + (1 - t) x_0``, ``u = x_1 - x_0`` (independent coupling; the slide's ε → 0).
- ``ve`` (fm.ve_path): ``σ(s) = σ_max s`` in diffusion time (σ(0) = 0 as on 000 L13),
  ``α_t = 1``, ``σ_t = σ(1 - t)``.
- ``vp`` (fm.vp_path): ``β(s) = β_min + s (β_max - β_min)``, ``a(s) = exp(-½∫_0^s β)``,
  ``α_t = a(1 - t)``, ``σ_t = √(1 - α_t²)``.
- ``trig`` (the trigonometric interpolant of stochastic interpolants, torchcfm's
  VariancePreservingConditionalFlowMatcher): ``α_t = sin(πt/2)``, ``σ_t = cos(πt/2)``
  (α_t² + σ_t² = 1), ``u = π/2 (cos(πt/2) x_1 - sin(πt/2) x_0)`` on the path.

Paths conditioned on the pair ``z = (x_0, x_1)`` with an extra independent ``ε`` (``PairPathSpec``):
``x_t = μ_t + w_t ε``; the Schrödinger-bridge (Brownian-bridge) path ``μ_t = t x_1 + (1-t) x_0``,
``w_t = σ√(t(1-t))`` is fm.schrodinger_bridge_path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.integrate import quad

from dgmcheck.theory import _validate as V
from dgmcheck.theory import quadrature
from dgmcheck.theory._memo import derivation
from dgmcheck.theory.gaussian_mixture import GaussianMixture

TIME_CONVENTION = "t in [0, 1]; x_0 ~ N(0, I) (noise) at t = 0, x_1 ~ p_data at t = 1; x_t = alpha_t x_1 + sigma_t x_0"
KINDS = ("conical", "linear", "ve", "vp", "trig")
#: The most Gauss–Hermite nodes per axis of ``mixture_objectives_1d`` (its grid holds ``n²`` points).
MAX_NODES_1D = 2000


@dataclass(frozen=True)
class PathSpec:
    """A Gaussian conditional path ``x_t = α_t x_1 + σ_t x_0`` (see the module docstring)."""

    kind: str
    sigma_min: float = 0.0
    sigma_max: float = 1.0
    beta_min: float = 0.1
    beta_max: float = 20.0

    def __post_init__(self) -> None:
        V.choice(self.kind, "kind", KINDS)
        V.real(self.sigma_min, "sigma_min", lo=0.0, hi=1.0, closed="lo")
        V.positive(self.sigma_max, "sigma_max")
        V.positive(self.beta_min, "beta_min")
        if not V.positive(self.beta_max, "beta_max") >= self.beta_min:
            raise ValueError(f"need 0 < beta_min <= beta_max, got beta_min={self.beta_min!r}, "
                             f"beta_max={self.beta_max!r}")

    def coefficients(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(α_t, σ_t, α'_t, σ'_t)`` in closed form, float64, shaped like ``t``."""
        t = np.asarray(t, dtype=np.float64)
        one, zero = np.ones_like(t), np.zeros_like(t)
        if self.kind == "conical":
            k = 1.0 - self.sigma_min
            return t, 1.0 - k * t, one, -k * one
        if self.kind == "linear":
            return t, 1.0 - t, one, -one
        if self.kind == "ve":
            return one, self.sigma_max * (1.0 - t), zero, -self.sigma_max * one
        if self.kind == "trig":
            h = 0.5 * np.pi
            a, sig = np.sin(h * t), np.sin(h * (1.0 - t))  # cos(πt/2) as sin(π(1-t)/2): σ_1 = 0 exactly
            return a, sig, h * sig, -h * a
        s = 1.0 - t
        integral = self.beta_min * s + 0.5 * (self.beta_max - self.beta_min) * s**2
        beta = self.beta_min + s * (self.beta_max - self.beta_min)
        a = np.exp(-0.5 * integral)
        da = 0.5 * beta * a  # d/dt a(1 - t) = -a'(s) = ½ β(s) a(s)
        sig = np.sqrt(-np.expm1(-integral))  # √(1 - a²) without cancellation
        with np.errstate(divide="ignore", invalid="ignore"):
            dsig = -a * da / sig
        return a, sig, da, dsig

    def sample(self, x0: np.ndarray, x1: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``x_t = α_t x_1 + σ_t x_0`` for ``x0, x1`` of shape (B, d) and ``t`` of shape (B,)."""
        a, s, _, _ = (c[:, None] for c in self.coefficients(t))
        return a * x1 + s * x0

    def velocity(self, x0: np.ndarray, x1: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``d x_t / dt = α'_t x_1 + σ'_t x_0`` (for ``linear``: ``x_1 - x_0``)."""
        _, _, da, ds = (c[:, None] for c in self.coefficients(t))
        return da * x1 + ds * x0

    def conditional_field(self, x: np.ndarray, x1: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``u_t(x | x_1) = σ'_t/σ_t (x - α_t x_1) + α'_t x_1`` (needs ``σ_t > 0``)."""
        a, s, da, ds = (c[:, None] for c in self.coefficients(t))
        return ds / s * (x - a * x1) + da * x1


def _spec(spec: object) -> PathSpec:
    return V.instance(spec, "spec", PathSpec, "a dgmcheck.theory.flow_matching.PathSpec")


def _at(spec: object, t: object, *, positive_sigma: bool = True, name: str = "t") -> tuple[float, ...]:
    """``(α_t, σ_t, α'_t, σ'_t)`` at a time ``t`` in [0, 1] (where ``σ_t > 0`` when the formula divides by it)."""
    t = V.real(t, name, lo=0.0, hi=1.0, closed="lo hi")
    coef = tuple(float(c) for c in _spec(spec).coefficients(np.float64(t)))
    if positive_sigma and not coef[1] > 0:
        raise ValueError(f"{name} = {t} gives σ_t = {coef[1]} on the {spec.kind} path; the field divides by σ_t "
                         f"(take {name} < 1 or sigma_min > 0)")
    return coef


def _data_rows(mixture: object, x: object, name: str = "x") -> np.ndarray:
    return V.points(x, name, V.mixture(mixture).dim, batched=True)


def marginal_field(mixture: GaussianMixture, spec: PathSpec, x: np.ndarray, t: float) -> np.ndarray:
    """fm.marginal_vector_field: ``u_t(x) = E[u_t(x | x_1) | x_t = x]`` for data ``Σ_k w_k N(m_k, C_k)``.

    ``x_t | k ~ N(α m_k, α² C_k + σ² I)`` and ``E[x_1 | x_t = x, k] = m_k + α C_k (α² C_k + σ² I)^{-1}
    (x - α m_k)``; the posterior over k is the noised mixture's responsibilities. Since
    ``u_t(x | x_1) = σ'/σ x + (α' - σ' α/σ) x_1`` is affine in ``x_1``,
    ``u_t(x) = σ'/σ x + (α' - σ' α/σ) E[x_1 | x_t = x]``. Needs ``σ_t > 0``.
    """
    x = _data_rows(mixture, x)
    a, s, da, ds = _at(spec, t)
    noised = mixture.noised(a, s**2)
    _, r, prec_diff = noised._posterior_terms(x)  # (B, K) and (B, K, d) = Σ_k^{-1}(x - α m_k)
    post = mixture.means + a * np.einsum("kij,bkj->bki", mixture.covs, prec_diff)
    e_x1 = np.sum(r[..., None] * post, axis=-2)
    return ds / s * x + (da - ds * a / s) * e_x1


def marginal_log_prob(mixture: GaussianMixture, spec: PathSpec, x: np.ndarray, t: float) -> np.ndarray:
    """``log p_t(x)`` of the marginal path (a mixture: ``Σ_k w_k N(α m_k, α² C_k + σ² I)``)."""
    x = V.points(x, "x", V.mixture(mixture).dim)
    a, s, _, _ = _at(spec, t, positive_sigma=False)
    return mixture.noised(a, s**2).log_prob(x)


def pf_ode_field(mixture: GaussianMixture, spec: PathSpec, x: np.ndarray, t: float) -> np.ndarray:
    """fm.ve_path / fm.vp_path: minus the probability-flow drift of the SDE at diffusion time s = 1 - t.

    VE: ``dx = g dw``, ``g² = dσ²/ds = 2 σ_max² s``; VP: ``dx = -½β x ds + √β dw``. The PF-ODE is
    ``dx/ds = f(x, s) - ½ g(s)² ∇ log p_s(x)``; running it backwards in s is ``dx/dt = -(...)``.
    The score is the exact score of the noised mixture (``GaussianMixture.score``).
    """
    x = V.points(x, "x", V.mixture(mixture).dim)
    if _spec(spec).kind not in ("ve", "vp"):
        raise ValueError(f"spec.kind must be 've' or 'vp' for a PF-ODE, got {spec.kind!r}")
    a, sig, _, _ = _at(spec, t, positive_sigma=False)
    s = 1.0 - float(t)
    score = mixture.noised(a, sig**2).score(x)
    if spec.kind == "ve":
        g2 = 2.0 * spec.sigma_max**2 * s
        return -(-0.5 * g2 * score)
    beta = spec.beta_min + s * (spec.beta_max - spec.beta_min)
    return -(-0.5 * beta * x - 0.5 * beta * score)


# ----------------------------------------------------------------------------------- sympy
@derivation
def derive_gaussian_path_field() -> dict[str, sp.Expr]:
    """fm.gaussian_path_field in sympy: for ``x_t = μ_t + σ_t ε`` with fixed ε,
    ``dx_t/dt - [μ'_t + σ'_t/σ_t (x_t - μ_t)]`` and the 1-D continuity residual
    ``∂_t N(x; μ_t, σ_t²) + ∂_x (N · u)`` both simplify to 0 (for arbitrary smooth μ, σ > 0)."""
    t, x, eps = sp.symbols("t x epsilon", real=True)
    mu = sp.Function("mu")(t)
    sig = sp.Function("sigma", positive=True)(t)
    xt = mu + sig * eps
    u = sp.diff(mu, t) + sp.diff(sig, t) / sig * (x - mu)
    flow_gap = sp.simplify(sp.diff(xt, t) - u.subs(x, xt))
    p = sp.exp(-(x - mu) ** 2 / (2 * sig**2)) / sp.sqrt(2 * sp.pi * sig**2)
    continuity = sp.simplify((sp.diff(p, t) + sp.diff(p * u, x)) / p)
    return {"flow_gap": flow_gap, "continuity": continuity}


def derive_path_fields() -> dict[str, sp.Expr]:
    """Slide formulas minus the general field, per path, simplified (all 0 when the slide holds).

    conical (000 L12 "Conical Gaussian Paths"), with σ_min: ``(x_1 - (1-σ_min) x)/(1 - (1-σ_min) t)``;
    VE (000 L13 "Flow Matching vs. Score-Based SDE Models"): ``-σ'_{1-t}/σ_{1-t} (x - x_1)``;
    VP: ``a'_{1-t}/(1 - a_{1-t}²) (a_{1-t} x - x_1)`` where ``a'`` is d a(s)/ds at s = 1-t.
    """
    t, x, x1, smin = sp.symbols("t x x_1 sigma_min", real=True)
    s = sp.Symbol("s", real=True)

    def field(alpha: sp.Expr, sigma: sp.Expr) -> sp.Expr:
        return sp.diff(sigma, t) / sigma * (x - alpha * x1) + sp.diff(alpha, t) * x1

    out = {}
    out["conical"] = sp.simplify(field(t, 1 - (1 - smin) * t)
                                 - (x1 - (1 - smin) * x) / (1 - (1 - smin) * t))
    ve_sigma = sp.Function("sigma", positive=True)
    ve_slide = -sp.diff(ve_sigma(s), s).subs(s, 1 - t) / ve_sigma(1 - t) * (x - x1)
    out["ve"] = sp.simplify(field(sp.Integer(1), ve_sigma(1 - t)) - ve_slide)
    a = sp.Function("a", positive=True)
    da = sp.diff(a(s), s).subs(s, 1 - t)
    vp_slide = da / (1 - a(1 - t) ** 2) * (a(1 - t) * x - x1)
    vp_general = field(a(1 - t), sp.sqrt(1 - a(1 - t) ** 2))
    out["vp"] = sp.simplify(vp_general - vp_slide)
    out["linear"] = sp.simplify(sp.diff(t * x1 + (1 - t) * sp.Symbol("x_0"), t) - (x1 - sp.Symbol("x_0")))
    return out


def derive_pf_ode_equivalence() -> dict[str, sp.Expr]:
    """fm.ve_path / fm.vp_path in sympy, at the conditional level (the marginal one follows since
    both fields are posterior averages of these, and the score is the posterior average of the
    conditional score): ``u_t(x|x_1) + [f(x,s) - ½ g(s)² ∇_x log q_s(x|x_1)]`` at s = 1 - t is 0.

    VE: ``q_s(x|x_1) = N(x_1, σ(s)²)``, ``f = 0``, ``g² = d σ(s)²/ds`` (σ any smooth positive function).
    VP: ``q_s(x|x_1) = N(a(s) x_1, 1 - a(s)²)`` with ``a(s) = exp(-½ B(s))``, ``B' = β``,
    ``f = -½β x``, ``g² = β``.
    """
    t, x, x1 = sp.symbols("t x x_1", real=True)
    s = sp.Symbol("s", positive=True)
    sig = sp.Function("sigma", positive=True)(s)
    u_ve = -sp.diff(sig, s) / sig * (x - x1)  # general field with α = 1, σ_t = σ(1 - t), d/dt = -d/ds
    score_ve = -(x - x1) / sig**2
    ve = sp.simplify(u_ve + (0 - sp.Rational(1, 2) * sp.diff(sig**2, s) * score_ve))
    B = sp.Function("B")(s)
    a = sp.exp(-B / 2)
    beta = sp.diff(B, s)
    var = 1 - a**2
    # field in t with α_t = a(1-t), σ_t = √(1 - a(1-t)²): d/dt = -d/ds
    u_vp = (-sp.diff(sp.sqrt(var), s)) / sp.sqrt(var) * (x - a * x1) + (-sp.diff(a, s)) * x1
    score_vp = -(x - a * x1) / var
    vp = sp.simplify(u_vp + (-beta / 2 * x - beta / 2 * score_vp))
    return {"ve": sp.simplify(ve.subs(s, 1 - t)), "vp": sp.simplify(vp.subs(s, 1 - t))}


@derivation
def continuity_residual_1d(weights: list, means: list, variances: list, sigma_min: sp.Rational,
                           points: list[tuple], digits: int = 60) -> list[float]:
    """fm.marginal_vector_field in 1-D: ``∂_t p_t + ∂_x (p_t u_t)`` for the conical path and a
    1-D Gaussian-mixture data law, built and differentiated symbolically (p_t, u_t exact
    expressions) and evaluated at ``points = [(t, x), ...]`` with ``digits`` significant digits.
    """
    weights = _exact(weights, "weights", nonneg=True)
    means, variances = _exact(means, "means", n=len(weights)), _exact(variances, "variances", n=len(weights),
                                                                       nonneg=True)  # 0: a point mass
    V.real(sigma_min, "sigma_min", lo=0.0, hi=1.0, closed="lo")
    if isinstance(points, (str, bytes)) or not isinstance(points, Sequence) or not points or any(
            not isinstance(p, Sequence) or len(p) != 2 for p in points):
        raise TypeError(f"points must be a non-empty sequence of (t, x) pairs, got {V.got(points)}")
    for tv, xv in points:  # σ_t = 1 - (1 - sigma_min) t divides the field: t = 1 only where sigma_min > 0
        V.real(tv, "points", lo=0.0, hi=1.0, closed="lo hi" if sigma_min > 0 else "lo")
        V.real(xv, "points")
    V.count(digits, "digits", lo=15, hi=1000)
    t, x = sp.symbols("t x", real=True)
    k = 1 - sigma_min
    alpha, sigma = t, 1 - k * t
    da, ds = sp.Integer(1), -k
    comps, posts = [], []
    for w, m, v in zip(weights, means, variances, strict=True):
        var = alpha**2 * v + sigma**2
        comps.append(w * sp.exp(-(x - alpha * m) ** 2 / (2 * var)) / sp.sqrt(2 * sp.pi * var))
        posts.append(m + alpha * v / var * (x - alpha * m))
    p = sum(comps)
    e_x1 = sum(c * q for c, q in zip(comps, posts, strict=True)) / p
    u = ds / sigma * x + (da - ds * alpha / sigma) * e_x1
    residual = sp.diff(p, t) + sp.diff(p * u, x)
    return [float(abs(sp.N(residual.subs({t: tv, x: xv}), digits))) for tv, xv in points]


def _exact(seq: object, name: str, *, n: int | None = None, nonneg: bool = False, positive: bool = False) -> list:
    """A non-empty sequence of finite real numbers (sympy's exact ones included), of length ``n`` if given."""
    if isinstance(seq, (str, bytes)) or not isinstance(seq, Sequence) or not seq:
        raise TypeError(f"{name} must be a non-empty sequence of numbers, got {V.got(seq)}")
    if n is not None and len(seq) != n:
        raise ValueError(f"{name} must hold {n} numbers, one per weight, got {len(seq)}")
    for v in seq:
        V.real(v, name, lo=0.0 if (nonneg or positive) else None, closed="" if positive else "lo")
    return list(seq)


# ------------------------------------------------------------------------------ CFM vs FM
@dataclass(frozen=True)
class LinearModelObjectives:
    """Exact per-t objectives of the affine field ``v(x) = W x + b`` (Gaussian data, any path)."""

    fm: float
    cfm: float
    gap: float  # C_t = (α' - σ'α/σ)² tr Cov(x_1 | x_t), independent of (W, b)
    grad_fm: tuple[np.ndarray, np.ndarray]
    grad_cfm: tuple[np.ndarray, np.ndarray]
    minimizer: tuple[np.ndarray, np.ndarray]  # (W*, b*), the same for both objectives
    min_fm: float
    min_cfm: float


def linear_model_objectives(spec: PathSpec, t: float, mean: np.ndarray, cov: np.ndarray,
                            W: np.ndarray, b: np.ndarray) -> LinearModelObjectives:
    """fm.cfm_equals_fm, exactly, at one time t, for data ``N(mean, cov)`` and ``v(x) = W x + b``.

    With ``u(x|x_1) = A x + B x_1`` (``A = σ'/σ``, ``B = α' - σ'α/σ``) and ``z = (x_t, x_1)``
    jointly Gaussian, ``L_CFM = E||M z - b||²`` with ``M = [A I - W, B I]``, and
    ``L_FM = E||(A I - W) x + B E[x_1|x] - b||²``; both are ``||E r||² + tr Cov r``. Gradients are
    ``∂_b = -2 E r``, ``∂_W = -2 E[r xᵀ]``.
    """
    mean, cov, W, b = _linear_model(mean, cov, W, b)
    d = mean.shape[0]
    a, s, da, ds = _at(spec, t)
    A, B = ds / s, da - ds * a / s
    I = np.eye(d)
    mx, Sx = a * mean, a**2 * cov + s**2 * I
    Sx1 = a * cov  # Cov(x_t, x_1)
    K = Sx1.T @ np.linalg.inv(Sx)  # E[x_1|x] = mean + K (x - a mean)
    cond_cov = cov - K @ Sx1
    gap = B**2 * float(np.trace(cond_cov))
    P = A * I - W
    Ex2 = Sx + np.outer(mx, mx)  # E[x xᵀ]

    def quad(M: np.ndarray, c: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        # residual r = M x + c (Gaussian x); value, E r, E[r xᵀ]
        er = M @ mx + c
        val = float(er @ er + np.trace(M @ Sx @ M.T))
        erx = M @ Ex2 + np.outer(c, mx)
        return val, er, erx

    c_fm = B * (mean - K @ mx) - b
    fm, er_fm, erx_fm = quad(P + B * K, c_fm)
    # CFM, computed directly (not as fm + gap): r = P x + B x_1 - b. Decomposing x_1 = E[x_1|x] +
    # innovation shows L_CFM = L_FM + B² tr Cov(x_1|x); the tests compare the two routes.
    cfm, gW, gb = _cfm_direct(spec, t, mean, cov, W, b)
    grad_fm = (-2 * erx_fm, -2 * er_fm)
    grad_cfm = (gW, gb)
    W_star = A * I + B * K
    b_star = B * (mean - K @ mx)
    min_cfm = _cfm_direct(spec, t, mean, cov, W_star, b_star)[0]
    min_fm = quad(A * I - W_star + B * K, B * (mean - K @ mx) - b_star)[0]
    return LinearModelObjectives(fm, cfm, gap, grad_fm, grad_cfm, (W_star, b_star), min_fm, min_cfm)


def linear_model_cfm_direct(spec: PathSpec, t: float, mean: np.ndarray, cov: np.ndarray,
                            W: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """``(L_CFM, ∂_W, ∂_b)`` at t computed directly from the joint law of ``(x_t, x_1)`` (no decomposition):
    ``E||[A I - W, B I] z - b||²`` with ``z ~ N((α m, m), [[α²C + σ²I, αC], [αC, C]])``."""
    mean, cov, W, b = _linear_model(mean, cov, W, b)
    return _cfm_direct(spec, t, mean, cov, W, b)


def _linear_model(mean: object, cov: object, W: object, b: object) -> tuple[np.ndarray, ...]:
    """Gaussian data ``N(mean, cov)`` and the affine field ``W x + b`` of one dimension d."""
    mean = V.array(mean, "mean", ndim=1)
    d = mean.shape[0]
    return (mean, V.square(cov, "cov", n=d, positive_definite=True), V.square(W, "W", n=d),
            V.array(b, "b", shape=(d,)))


def _cfm_direct(spec: PathSpec, t: float, mean: np.ndarray, cov: np.ndarray, W: np.ndarray,
                b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    d = mean.shape[0]
    a, s, da, ds = _at(spec, t)
    A, B = ds / s, da - ds * a / s
    I = np.eye(d)
    mz = np.concatenate([a * mean, mean])
    Sz = np.block([[a**2 * cov + s**2 * I, a * cov], [a * cov, cov]])
    M = np.concatenate([A * I - W, B * I], axis=1)
    er = M @ mz - b
    mx = mz[:d]
    erx = M @ (Sz[:, :d] + np.outer(mz, mx)) - np.outer(b, mx)  # E[r xᵀ]
    return float(er @ er + np.trace(M @ Sz @ M.T)), -2 * erx, -2 * er


def mixture_objectives_1d(spec: PathSpec, t: float, mixture: GaussianMixture, field, n_nodes: int = 80
                          ) -> tuple[float, float, float]:
    """``(L_FM, L_CFM, C_t)`` at time t for 1-D mixture data and any field ``v(x)`` (vectorized),
    by adaptive quadrature for FM over ``x ~ p_t`` (the marginal field has sharp posterior
    transitions) and Gauss-Hermite per component for CFM over
    ``(x_0, x_1)`` (a tensor grid per component), ``C_t = E (u(x|x_1) - u_t(x))²`` over the same grid.
    """
    V.mixture(mixture, dim=1)
    V.function(field, "field")
    n_nodes = V.count(n_nodes, "n_nodes", hi=MAX_NODES_1D)
    a, s, _, _ = _at(spec, t)
    z, w = quadrature.normal_1d(n_nodes)
    fm = cfm = gap = 0.0
    noised = mixture.noised(a, s**2)

    def fm_integrand(xv: float) -> float:
        xa = np.array([[xv]])
        dens = float(np.exp(noised.log_prob(xa))[0])
        return dens * float((marginal_field(mixture, spec, xa, t)[0, 0] - field(np.array([xv]))[0]) ** 2)

    centers = a * mixture.means[:, 0]
    spread = float(np.sqrt(noised.covs[:, 0, 0].max()))
    lo, hi = centers.min() - 12 * spread, centers.max() + 12 * spread  # mass outside < 1e-30
    fm = float(quad(fm_integrand, lo, hi, points=sorted(centers), limit=400, epsabs=1e-14, epsrel=1e-13)[0])
    for wk, mk, ck in zip(mixture.weights, mixture.means[:, 0], mixture.covs[:, 0, 0], strict=True):
        x1 = (mk + np.sqrt(ck) * z)[:, None] * np.ones(n_nodes)[None, :]
        x0 = np.ones(n_nodes)[:, None] * z[None, :]
        xt = a * x1 + s * x0
        ww = w[:, None] * w[None, :]
        uc = spec.conditional_field(xt.reshape(-1, 1), x1.reshape(-1, 1),
                                    np.full(xt.size, t))[:, 0].reshape(xt.shape)
        cfm += wk * float(np.sum(ww * (uc - field(xt)) ** 2))
        um = marginal_field(mixture, spec, xt.reshape(-1, 1), t)[:, 0].reshape(xt.shape)
        gap += wk * float(np.sum(ww * (uc - um) ** 2))
    return fm, cfm, gap


# ------------------------------------------------------------------------------ ODE sampling
def gaussian_flow_map(spec: PathSpec, mean: np.ndarray, var: np.ndarray, x0: np.ndarray,
                      t0: float, t1: float) -> np.ndarray:
    """fm.ode_sampling: the exact flow of the marginal field for data ``N(mean, diag(var))``.

    Per coordinate ``p_t = N(α_t m, α_t² v + σ_t²)`` and the marginal field is affine, so the flow
    is the affine map that standardizes at t0 and destandardizes at t1:
    ``x_{t1} = m_1 + (s_1/s_0)(x_{t0} - m_0)`` with ``m_t = α_t m``, ``s_t = √(α_t² v + σ_t²)``.
    """
    mean, var = _diagonal(mean, var)
    x0 = V.points(x0, "x0", _dimension(mean))
    a0, s0, _, _ = _at(spec, t0, positive_sigma=False, name="t0")
    a1, s1, _, _ = _at(spec, t1, positive_sigma=False, name="t1")
    if not a0**2 * var.min() + s0**2 > 0:
        raise ValueError(f"t0 = {t0} gives the data law a zero variance (σ_t0 = 0 and var has a 0): no flow from it")
    sd0, sd1 = np.sqrt(a0**2 * var + s0**2), np.sqrt(a1**2 * var + s1**2)
    return a1 * mean + sd1 / sd0 * (x0 - a0 * mean)


def gaussian_marginal_field_diag(spec: PathSpec, mean: np.ndarray, var: np.ndarray, x: np.ndarray,
                                 t: float) -> np.ndarray:
    """The marginal field for data ``N(mean, diag(var))``: ``u = m'_t + s'_t/s_t (x - m_t)`` with
    ``m_t = α_t m``, ``s_t² = α_t² v + σ_t²`` (the Gaussian path field of the marginal itself)."""
    mean, var = _diagonal(mean, var)
    x = V.points(x, "x", _dimension(mean))
    a, s, da, ds = _at(spec, t, positive_sigma=False)
    if not a**2 * var.min() + s**2 > 0:
        raise ValueError(f"t = {t} gives the marginal a zero variance (σ_t = 0 and var has a 0)")
    sd2 = a**2 * var + s**2
    s_ds = -a * da if spec.kind == "vp" else s * ds  # ½ d(σ²)/dt, finite where σ = 0 (VP: σ² = 1 - α²)
    dsd_over_sd = (a * da * var + s_ds) / sd2
    return da * mean + dsd_over_sd * (x - a * mean)


def _diagonal(mean: object, var: object) -> tuple[np.ndarray, np.ndarray]:
    """Data ``N(mean, diag(var))``: ``mean`` (d,), ``var`` (d,) >= 0; or both scalars, the same law in every
    coordinate."""
    mean = V.array(mean, "mean", ndim=(0, 1))
    return mean, V.array(var, "var", shape=mean.shape, nonneg=True, match="mean")


def _dimension(mean: np.ndarray) -> int | None:
    """The points' dimension a ``mean`` fixes (None for a scalar: any)."""
    return mean.shape[0] if mean.ndim else None


def euler_heun(field, x0: np.ndarray, t0: float, t1: float, n_steps: int, method: str) -> np.ndarray:
    """Reference explicit Euler (order 1) and Heun (order 2) on a uniform grid, float64."""
    V.function(field, "field")
    x0 = V.array(x0, "x0")
    t0, t1 = V.real(t0, "t0"), V.real(t1, "t1")
    n_steps = V.count(n_steps, "n_steps")
    V.choice(method, "method", ("euler", "heun"))
    h = (t1 - t0) / n_steps
    x = np.array(x0, dtype=np.float64)
    for i in range(n_steps):
        t = t0 + i * h
        k1 = field(x, t)
        if method == "euler":
            x = x + h * k1
        elif method == "heun":
            k2 = field(x + h * k1, t + h)
            x = x + 0.5 * h * (k1 + k2)
        else:
            raise ValueError(f"method must be 'euler' or 'heun', got {method!r}")
    return x


# ------------------------------------------------------------------- paths conditioned on a pair
PAIR_INTERPOLANTS = ("linear", "trig")
PAIR_WIDTHS = ("bridge", "constant")


@dataclass(frozen=True)
class PairPathSpec:
    """A Gaussian path conditioned on the pair ``z = (x_0, x_1)`` (000 L12 "Pair Conditioning")::

        x_t = μ_t + w_t ε,   μ_t = a_t x_1 + b_t x_0,   ε ~ N(0, I) independent of (x_0, x_1),

    so ``p_t(x | x_0, x_1) = N(μ_t, w_t² I)`` (``w_t`` a standard deviation) and, by
    fm.gaussian_path_field, ``u_t(x | x_0, x_1) = μ'_t + (w'_t/w_t)(x - μ_t)``.

    - ``interpolant``: ``linear`` (``a = t``, ``b = 1 - t``) or ``trig`` (``a = sin(πt/2)``, ``b = cos(πt/2)``).
    - ``width``: ``bridge`` (fm.schrodinger_bridge_path, the Brownian bridge of SB-CFM):
      ``w_t = σ√(t(1-t))``, ``w'_t/w_t = (1-2t)/(2t(1-t))`` (σ cancels; singular at t = 0, 1);
      ``constant`` (I-CFM, the slide's ε): ``w_t = σ``, ``w' = 0``, ``u = μ'_t``.
    - ``offset``: the bridge field's denominator is ``2t(1-t) + offset``; 0 is the exact field
      (torchcfm adds 1e-8 to keep it finite at the ends).
    """

    interpolant: str = "linear"
    width: str = "bridge"
    sigma: float = 1.0
    offset: float = 0.0

    def __post_init__(self) -> None:
        V.choice(self.interpolant, "interpolant", PAIR_INTERPOLANTS)
        V.choice(self.width, "width", PAIR_WIDTHS)
        if self.width == "bridge":
            V.positive(self.sigma, "sigma")
        else:
            V.real(self.sigma, "sigma", lo=0.0, closed="lo")
        V.real(self.offset, "offset", lo=0.0, closed="lo")

    def mean_coefficients(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(a_t, b_t, a'_t, b'_t)`` of ``μ_t = a_t x_1 + b_t x_0``, float64, shaped like ``t``."""
        t = np.asarray(t, dtype=np.float64)
        if self.interpolant == "linear":
            return t, 1.0 - t, np.ones_like(t), -np.ones_like(t)
        return PathSpec("trig").coefficients(t)

    def width_of(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(w_t, w'_t)``; the bridge's ``w'`` is infinite at t = 0 and 1."""
        t = np.asarray(t, dtype=np.float64)
        if self.width == "constant":
            return np.full_like(t, float(self.sigma)), np.zeros_like(t)
        w = self.sigma * np.sqrt(t * (1.0 - t))
        with np.errstate(divide="ignore", invalid="ignore"):
            dw = np.where(w > 0, self.sigma**2 * (1.0 - 2.0 * t) / (2.0 * np.maximum(w, 1e-300)),
                          np.sign(0.5 - t) * np.inf)
        return w, dw

    def gain(self, t: np.ndarray) -> np.ndarray:
        """``w'_t/w_t``: ``(1-2t)/(2t(1-t) + offset)`` for the bridge, 0 for a constant width."""
        t = np.asarray(t, dtype=np.float64)
        if self.width == "constant":
            return np.zeros_like(t)
        with np.errstate(divide="ignore"):
            return (1.0 - 2.0 * t) / (2.0 * t * (1.0 - t) + self.offset)

    def mean_at(self, x0: np.ndarray, x1: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``μ_t = a_t x_1 + b_t x_0`` for ``x0, x1`` (B, d) and ``t`` (B,)."""
        a, b, _, _ = (c[:, None] for c in self.mean_coefficients(t))
        return a * x1 + b * x0

    def sample(self, x0: np.ndarray, x1: np.ndarray, t: np.ndarray, eps: np.ndarray) -> np.ndarray:
        """``x_t = μ_t + w_t ε``."""
        return self.mean_at(x0, x1, t) + self.width_of(t)[0][:, None] * eps

    def velocity(self, x0: np.ndarray, x1: np.ndarray, t: np.ndarray, eps: np.ndarray) -> np.ndarray:
        """``d x_t/dt = a' x_1 + b' x_0 + w'_t ε`` (the bridge needs 0 < t < 1)."""
        _, _, da, db = (c[:, None] for c in self.mean_coefficients(t))
        return da * x1 + db * x0 + self.width_of(t)[1][:, None] * eps

    def conditional_field(self, x: np.ndarray, x0: np.ndarray, x1: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``u_t(x | x_0, x_1) = a' x_1 + b' x_0 + (w'/w)(x - μ_t)`` (the bridge needs 0 < t < 1
        unless ``offset > 0``)."""
        _, _, da, db = (c[:, None] for c in self.mean_coefficients(t))
        return da * x1 + db * x0 + self.gain(t)[:, None] * (x - self.mean_at(x0, x1, t))

    def covariance(self, t: np.ndarray, d: int) -> np.ndarray:
        """``Cov(x_t | x_0, x_1) = w_t² I``, shape (B, d, d)."""
        w = self.width_of(t)[0]
        return w[:, None, None] ** 2 * np.eye(V.count(d, "d"))[None]

    def marginal_field(self, source: GaussianMixture, target: GaussianMixture, x: np.ndarray, t: float) -> np.ndarray:
        """fm.schrodinger_bridge_path: the marginal field ``u_t(x) = E[d x_t/dt | x_t = x]`` of a pair path
        under the independent coupling ``x_0 ~ Σ_j π_j N(m⁰_j, C⁰_j)``, ``x_1 ~ Σ_k w_k N(m¹_k, C¹_k)``.

        Given the pair of components (j, k), ``(x_t, ẋ_t)`` is jointly Gaussian: ``x_t ~ N(a m¹ + b m⁰,
        Σ = a² C¹ + b² C⁰ + w² I)`` and ``Cov(ẋ_t, x_t) = a a' C¹ + b b' C⁰ + w w' I`` (the bridge's
        ``w w' = σ²(1-2t)/2`` stays finite at the ends), so ``E[ẋ_t | x, jk] = a' m¹ + b' m⁰ +
        Cov Σ^{-1}(x - a m¹ - b m⁰)``, weighted by the responsibilities of the (j, k) mixture — which is
        ``p_t`` itself: the marginal path of a pair path over mixtures is again a mixture (every ``Σ`` is
        positive definite: ``a² + b² >= ½``). With ``x_0 ~ N(0, I)`` the bridge's marginal is the Gaussian path
        ``α_t = t``, ``σ_t² = (1-t)² + σ² t(1-t)``.
        """
        V.mixture(source, "source")
        d = V.mixture(target, "target").dim
        if source.dim != d:
            raise ValueError(f"source and target must have one dimension, got {source.dim} and {d}")
        x = V.points(x, "x", d, batched=True)
        tv = V.real(t, "t", lo=0.0, hi=1.0, closed="lo hi")
        a, b, da, db = (float(c) for c in self.mean_coefficients(np.float64(tv)))
        w = float(self.width_of(np.float64(tv))[0])
        w_dw = 0.0 if self.width == "constant" else self.sigma**2 * (1.0 - 2.0 * tv) / 2.0
        eye = np.eye(d)
        pairs = [(j, k) for j in range(source.n_components) for k in range(target.n_components)]
        weights = np.array([source.weights[j] * target.weights[k] for j, k in pairs])
        means = np.array([a * target.means[k] + b * source.means[j] for j, k in pairs])
        covs = np.array([a**2 * target.covs[k] + b**2 * source.covs[j] + w**2 * eye for j, k in pairs])
        law = GaussianMixture(weights / weights.sum(), means, covs)
        _, r, prec_diff = law._posterior_terms(x)  # (B, P) and (B, P, d) = Σ^{-1}(x - mean)
        cross = np.array([a * da * target.covs[k] + b * db * source.covs[j] + w_dw * eye for j, k in pairs])
        drift = np.array([da * target.means[k] + db * source.means[j] for j, k in pairs])
        post = drift[None] + np.einsum("pij,bpj->bpi", cross, prec_diff)
        return np.sum(r[..., None] * post, axis=-2)


@derivation
def derive_schrodinger_bridge_field() -> dict[str, sp.Expr]:
    """fm.schrodinger_bridge_path in sympy (1-D, every other symbol free): with ``μ_t = t x_1 + (1-t) x_0``
    and ``w_t = σ√(t(1-t))``, the general field ``μ' + (w'/w)(x - μ)`` minus
    ``(1-2t)/(2t(1-t)) (x - μ) + x_1 - x_0`` (``field``), the flow gap ``d x_t/dt - u(x_t)`` on
    ``x_t = μ + w ε`` (``flow_gap``) and the continuity residual ``(∂_t p + ∂_x(p u))/p`` of
    ``p = N(μ_t, w_t²)`` (``continuity``) all simplify to 0. ``half_dropped``: the field without the
    ½ (``(1-2t)/(t(1-t))``) minus the true one, which is not 0."""
    t = sp.Symbol("t", positive=True)
    x, x0, x1, eps = sp.symbols("x x_0 x_1 epsilon", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    mu = t * x1 + (1 - t) * x0
    w = sigma * sp.sqrt(t * (1 - t))
    u = sp.diff(mu, t) + sp.diff(w, t) / w * (x - mu)
    closed = (1 - 2 * t) / (2 * t * (1 - t)) * (x - mu) + x1 - x0
    log_p = -(x - mu) ** 2 / (2 * w**2) - sp.log(2 * sp.pi * w**2) / 2
    # (∂_t p + ∂_x(p u))/p = ∂_t log p + ∂_x u + u ∂_x log p: no exponentials for sympy to cancel
    continuity = sp.diff(log_p, t) + sp.diff(u, x) + u * sp.diff(log_p, x)
    def rational(e: sp.Expr) -> sp.Expr:  # every expression is rational in (t, √(t(1-t)), ...)
        return sp.cancel(sp.together(sp.expand(e)))

    return {"field": rational(u - closed),
            "flow_gap": rational(sp.diff(mu + w * eps, t) - u.subs(x, mu + w * eps)),
            "continuity": rational(continuity),
            "half_dropped": rational((1 - 2 * t) / (t * (1 - t)) * (x - mu) + x1 - x0 - closed)}


@derivation
def derive_trig_path() -> dict[str, sp.Expr]:
    """The trigonometric path ``α_t = sin(πt/2)``, ``σ_t = cos(πt/2)`` in sympy: it preserves the
    variance (``α² + σ² - 1 = 0``), the general Gaussian-path field ``σ'/σ (x - α x_1) + α' x_1``
    at ``x_t = α x_1 + σ x_0`` minus ``π/2 (cos(πt/2) x_1 - sin(πt/2) x_0)`` is 0 (``field``), and
    ``PathSpec("trig")``'s ``σ_t = sin(π(1-t)/2)`` is the same function (``sigma_form``)."""
    t, x0, x1 = sp.symbols("t x_0 x_1", real=True)
    alpha, sigma = sp.sin(sp.pi * t / 2), sp.cos(sp.pi * t / 2)
    xt = alpha * x1 + sigma * x0
    general = sp.diff(sigma, t) / sigma * (xt - alpha * x1) + sp.diff(alpha, t) * x1
    slide = sp.pi / 2 * (sp.cos(sp.pi * t / 2) * x1 - sp.sin(sp.pi * t / 2) * x0)
    return {"variance_preserving": sp.trigsimp(alpha**2 + sigma**2 - 1),
            "field": sp.cancel(general - slide),
            "sigma_form": sp.expand_trig(sp.expand(sp.sin(sp.pi * (1 - t) / 2) - sigma))}
