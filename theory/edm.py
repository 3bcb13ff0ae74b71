"""Exact oracles of the σ-parametrized ("EDM") view of diffusion and of its Euler/Heun samplers.

Noise level ``σ`` as time (the VE form): ``x = x₀ + σ ε``, ``ε ~ N(0, I)``, so ``x ~ p_σ = p_data * N(0, σ² I)``.

* ``edm.pf_ode``: the VE probability-flow ODE ``dx = -½ d[σ²]/dt ∇log p_t dt`` (``000 L11 "Score Matching
  SDE"``) with ``σ`` itself as the time variable is ``dx/dσ = -σ ∇log p_σ(x) = (x - D(x; σ))/σ`` with the
  denoiser ``D(x; σ) = E[x₀ | x] = x + σ² ∇log p_σ(x)`` (Tweedie). For Gaussian-mixture data both sides
  are exact (``denoiser`` by Gaussian conditioning per component, ``score`` of the noised mixture).
* ``edm.vp_change_of_variables``: ``x_VP = x/√(1+σ²)``, ``ᾱ = 1/(1+σ²)`` maps the σ-ODE onto the VP
  probability-flow ODE ``dx/dt = -½β(t)(x + ∇log p_t(x))`` (``000 L11 "Diffusion SDE"``), and the
  ε-prediction is the same in both coordinates: ``ε̂ = -σ ∇log p_σ(x)``, ``D = x - σ ε̂``.
* ``edm.karras_grid``: ``σ_i = (σ_max^{1/ρ} + i/(n-1)(σ_min^{1/ρ} - σ_max^{1/ρ}))^ρ``, ``i = 0..n-1``, then 0.
* ``edm.euler`` / ``edm.heun``: one Euler step ``x + (σ' - σ) d(x, σ)`` with ``d = (x - D)/σ``; Heun: the
  Euler predictor ``x̃``, then ``x + (σ' - σ)·½(d(x, σ) + d(x̃, σ'))``, except when ``σ' = 0`` (``d`` is
  undefined there), where it is the Euler step. Global orders 1 and 2 against the exact flow
  (``gaussian_flow`` in closed form, ``mixture_flow`` by an adaptive integrator at 1e-12).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import sympy as sp
from scipy.integrate import solve_ivp

from dgmcheck.theory import _validate as V
from dgmcheck.theory._memo import derivation
from dgmcheck.theory.gaussian_mixture import GaussianMixture

Denoiser = Callable[[np.ndarray, float], np.ndarray]  # D(x; σ) for rows x, float64

EULER_ORDER = 1
HEUN_ORDER = 2


def _sigma(sigma: float, name: str = "sigma") -> float:
    """A positive finite noise level."""
    return V.positive(sigma, name)


def _level(sigma: float, name: str = "sigma") -> float:
    """A noise level >= 0 (0: the data itself)."""
    return V.real(sigma, name, lo=0.0, closed="lo")


def _rows(mix: GaussianMixture, x: object, name: str = "x", *, batched: bool = False) -> np.ndarray:
    """Points of the mixture's dimension: ``(..., d)`` (``batched``: rows ``(n, d)``)."""
    return V.points(x, name, V.mixture(mix, "mix").dim, batched=batched)


# ------------------------------------------------------------------------------------ denoiser, PF-ODE
def noised(mix: GaussianMixture, sigma: float) -> GaussianMixture:
    """``p_σ``: the law of ``x₀ + σ ε``, ``Σ_k w_k N(m_k, C_k + σ² I)``."""
    V.mixture(mix, "mix")
    return mix.noised(1.0, _level(sigma) ** 2)


def score(mix: GaussianMixture, sigma: float, x: np.ndarray) -> np.ndarray:
    """``∇log p_σ(x)`` of the noised mixture, rows ``x`` of shape ``(n, d)``."""
    x = _rows(mix, x)
    return noised(mix, sigma).score(x)


def denoiser(mix: GaussianMixture, sigma: float, x: np.ndarray) -> np.ndarray:
    """``D(x; σ) = E[x₀ | x] = Σ_k r_k(x) (m_k + C_k (C_k + σ² I)⁻¹ (x - m_k))`` by Gaussian conditioning
    within each component (``r_k`` the responsibilities under ``p_σ``); ``σ = 0`` gives ``x``."""
    x = _rows(mix, x, batched=True)
    if _level(sigma) == 0.0:
        return x.copy()
    s = _sigma(sigma)
    p = noised(mix, s)
    # p's means are 1.0 · m_k (the same floats), so its solves are (C_k + σ²I)⁻¹(x - m_k): one pass gives
    # the responsibilities (n, K) and the solves (n, K, d)
    _, r, sol = p._posterior_terms(x)
    cond = mix.means + np.einsum("kij,nkj->nki", mix.covs, sol)
    return np.einsum("nk,nki->ni", r, cond)


def denoiser_tweedie(mix: GaussianMixture, sigma: float, x: np.ndarray) -> np.ndarray:
    """``D(x; σ) = x + σ² ∇log p_σ(x)`` (Tweedie's formula); equals ``denoiser`` (the tests compare)."""
    s = _sigma(sigma)
    x = _rows(mix, x)
    return x + s**2 * score(mix, s, x)


def to_d(x: np.ndarray, sigma: float, denoised: np.ndarray) -> np.ndarray:
    """The σ-ODE derivative ``d = (x - D)/σ`` from a denoiser output."""
    x = V.array(x, "x")
    denoised = V.matching(V.array(denoised, "denoised"), "denoised", x, "x")
    return (x - denoised) / _sigma(sigma)


def pf_ode_derivative(mix: GaussianMixture, sigma: float, x: np.ndarray) -> np.ndarray:
    """``dx/dσ = -σ ∇log p_σ(x)``: the VE probability-flow ODE with ``σ`` as time (= ``(x - D)/σ``)."""
    s = _sigma(sigma)
    return -s * score(mix, s, _rows(mix, x))


def eps_prediction(mix: GaussianMixture, sigma: float, x: np.ndarray) -> np.ndarray:
    """``ε̂(x; σ) = E[ε | x] = -σ ∇log p_σ(x)``; then ``D = x - σ ε̂``."""
    return pf_ode_derivative(mix, sigma, x)


def denoiser_from_eps(x: np.ndarray, sigma: float, eps: np.ndarray) -> np.ndarray:
    """``D = x - σ ε̂`` (ε-prediction → denoiser)."""
    x = V.array(x, "x")
    eps = V.matching(V.array(eps, "eps"), "eps", x, "x")
    return x - _level(sigma) * eps


# ------------------------------------------------------------------------------- VP change of variables
def alpha_bar(sigma: float | np.ndarray) -> np.ndarray:
    """``ᾱ = 1/(1 + σ²)``."""
    s = V.array(sigma, "sigma", nonneg=True)
    return 1.0 / (1.0 + s**2)


def sigma_of_alpha_bar(abar: float | np.ndarray) -> np.ndarray:
    """``σ = √((1 - ᾱ)/ᾱ)``, the inverse of ``alpha_bar``."""
    a = V.array(abar, "abar")
    if np.any((a <= 0) | (a > 1)):
        raise ValueError(f"abar must lie in (0, 1], got {abar!r}")
    return np.sqrt((1.0 - a) / a)


def vp_input(x: np.ndarray, sigma: float) -> np.ndarray:
    """``x_VP = x/√(1 + σ²) = √ᾱ x`` (what a VP-trained network is fed)."""
    return V.array(x, "x") / np.sqrt(1.0 + _level(sigma) ** 2)


def vp_score(mix: GaussianMixture, abar: float, y: np.ndarray) -> np.ndarray:
    """``∇log p^VP(y)`` of ``y = √ᾱ x₀ + √(1-ᾱ) ε`` (the VP marginal), exact for the mixture."""
    y = _rows(mix, y, "y")
    abar = V.real(abar, "abar", lo=0.0, hi=1.0, closed="hi")
    return mix.noised(float(np.sqrt(abar)), 1.0 - abar).score(y)


def vp_pf_ode_via_sigma(mix: GaussianMixture, sigma: float, dsigma_dt: float, x: np.ndarray) -> np.ndarray:
    """``d x_VP/dt`` obtained from the σ-ODE by the change of variables: with ``s = (1+σ²)^{-1/2}``,
    ``x_VP = s x``, ``d x_VP/dt = s'(σ) σ'(t) x + s σ'(t) dx/dσ``."""
    sigma, dsigma_dt = _sigma(sigma), V.real(dsigma_dt, "dsigma_dt")
    x = _rows(mix, x)
    s = 1.0 / np.sqrt(1.0 + sigma**2)
    ds = -sigma * s**3
    return (ds * x + s * pf_ode_derivative(mix, sigma, x)) * dsigma_dt


def vp_pf_ode_drift(mix: GaussianMixture, abar: float, beta: float, y: np.ndarray) -> np.ndarray:
    """The VP probability-flow drift ``-½β(y + ∇log p^VP(y))`` at ``ᾱ`` (``β = -d log ᾱ/dt``)."""
    beta = V.real(beta, "beta", lo=0.0, closed="lo")
    y = _rows(mix, y, "y")
    return -0.5 * beta * (y + vp_score(mix, abar, y))


@derivation
def derive_pf_ode() -> dict[str, sp.Expr]:
    """Symbolic residuals (each simplifies to 0), 1-D Gaussian data ``N(m, c)``, ``p_σ = N(m, c + σ²)``:

    * ``ve_time_change``: the VE PF-ODE drift ``-½ (dσ²/dt) ∂_x log p`` with ``t = σ`` minus ``-σ ∂_x log p``;
    * ``tweedie``: ``E[x₀|x] = m + c (x - m)/(c + σ²)`` minus ``x + σ² ∂_x log p_σ``;
    * ``to_d``: ``(x - D)/σ`` minus ``-σ ∂_x log p_σ``;
    * ``continuity``: ``∂_σ p_σ + ∂_x (d p_σ)`` with ``d = (x - D)/σ`` (the σ-ODE transports ``p_σ``).
    """
    x, m = sp.symbols("x m", real=True)
    c, sig = sp.symbols("c sigma", positive=True)
    v = c + sig**2
    p = sp.exp(-((x - m) ** 2) / (2 * v)) / sp.sqrt(2 * sp.pi * v)
    dlogp = sp.diff(sp.log(p), x)
    D = m + c * (x - m) / v
    d = (x - D) / sig
    return {
        "ve_time_change": sp.simplify(-sp.Rational(1, 2) * sp.diff(sig**2, sig) * dlogp - (-sig * dlogp)),
        "tweedie": sp.simplify(D - (x + sig**2 * dlogp)),
        "to_d": sp.simplify(d - (-sig * dlogp)),
        "continuity": sp.simplify((sp.diff(p, sig) + sp.diff(d * p, x)) / p),
    }


def derive_vp_change_of_variables() -> dict[str, sp.Expr]:
    """Symbolic residuals (each simplifies to 0) for ``σ = σ(t)`` any differentiable schedule and ``S`` the
    VE score ``∇log p_σ(x)`` at a point ``x``:

    * ``ode``: ``d/dt (s x)`` along ``dx/dt = -σσ' S`` minus the VP PF-ODE drift ``-½β (x_VP + S_VP)``, where
      ``s = (1+σ²)^{-1/2}``, ``ᾱ = s²``, ``β = -d log ᾱ/dt`` and ``S_VP = S/s`` (``p^VP(y) = s^{-d} p_σ(y/s)``);
    * ``alpha_bar``: ``√((1-ᾱ)/ᾱ) - σ`` (the VP noise-to-signal ratio is σ);
    * ``eps``: the VP ε-prediction ``-√(1-ᾱ) S_VP`` minus the VE one ``-σ S``;
    * ``denoiser``: ``x - σ ε̂`` minus Tweedie's ``x + σ² S``.
    """
    t = sp.symbols("t", real=True)
    x, S = sp.symbols("x S", real=True)
    sig = sp.Function("sigma", positive=True)(t)
    s = 1 / sp.sqrt(1 + sig**2)
    abar = s**2
    beta = -sp.diff(sp.log(abar), t)
    dxdt = -sig * sp.diff(sig, t) * S
    lhs = sp.diff(s, t) * x + s * dxdt
    s_vp = S / s
    rhs = -sp.Rational(1, 2) * beta * (s * x + s_vp)
    eps_ve = -sig * S
    return {
        "ode": sp.simplify(lhs - rhs),
        "alpha_bar": sp.simplify(sp.sqrt((1 - abar) / abar) - sig),
        "eps": sp.simplify(-sp.sqrt(1 - abar) * s_vp - eps_ve),
        "denoiser": sp.simplify((x - sig * eps_ve) - (x + sig**2 * S)),
    }


# ------------------------------------------------------------------------------------------ the grid
def karras_sigmas(n: int, sigma_min: float, sigma_max: float, rho: float = 7.0) -> np.ndarray:
    """``σ_i = (σ_max^{1/ρ} + i/(n-1) (σ_min^{1/ρ} - σ_max^{1/ρ}))^ρ`` for ``i = 0..n-1``, then a final 0:
    ``n + 1`` values, ``σ_0 = σ_max``, ``σ_{n-1} = σ_min``, strictly decreasing."""
    n, lo, hi, rho = _grid_args(n, sigma_min, sigma_max, rho)
    ramp = np.arange(n, dtype=np.float64) / (n - 1)
    a, b = hi ** (1.0 / rho), lo ** (1.0 / rho)
    return np.append((a + ramp * (b - a)) ** rho, 0.0)


def _grid_args(n: object, sigma_min: object, sigma_max: object, rho: object) -> tuple[int, float, float, float]:
    n = V.count(n, "n", lo=2)
    lo, hi = _sigma(sigma_min, "sigma_min"), _sigma(sigma_max, "sigma_max")
    if not lo < hi:
        raise ValueError(f"sigma_min must be < sigma_max, got {sigma_min!r} >= {sigma_max!r}")
    return n, lo, hi, V.positive(rho, "rho")


def karras_condition(n: int, sigma_min: float, sigma_max: float, rho: float) -> np.ndarray:
    """Relative-error amplification of each ``σ_i`` when the grid is computed in finite precision: the
    base ``a + u(b - a)`` carries ~3 roundings of size ``a + u|b - a|`` (and ``σ^{1/ρ}`` of ``σ_min``,
    ``σ_max`` one each), the power ``ρ`` multiplies its relative error by ``ρ``; a final rounding of 1."""
    n, sigma_min, sigma_max, rho = _grid_args(n, sigma_min, sigma_max, rho)
    ramp = np.arange(n, dtype=np.float64) / (n - 1)
    a, b = sigma_max ** (1.0 / rho), sigma_min ** (1.0 / rho)
    base = a + ramp * (b - a)
    return np.append(1.0 + rho * (3.0 * (a + ramp * abs(b - a)) + a + b) / base, 1.0)


# ----------------------------------------------------------------------------------------- the steps
def euler_step(den: Denoiser, x: np.ndarray, sigma: float, sigma_next: float) -> np.ndarray:
    """``x + (σ' - σ) (x - D(x; σ))/σ``."""
    return _euler(den, *_step_args(den, x, sigma, sigma_next))


def _step_args(den: object, x: object, sigma: object, sigma_next: object) -> tuple[np.ndarray, float, float]:
    V.function(den, "den")
    return V.array(x, "x", min_ndim=1), _sigma(sigma), _level(sigma_next, "sigma_next")


def _d(den: Denoiser, x: np.ndarray, sigma: float) -> np.ndarray:
    out = np.asarray(den(x, sigma), dtype=np.float64)
    if out.shape != x.shape:
        raise ValueError(f"den(x, sigma) must return an array of the shape of x {x.shape}, got {out.shape}")
    return (x - out) / sigma


def _euler(den: Denoiser, x: np.ndarray, sigma: float, sigma_next: float) -> np.ndarray:
    return x + (sigma_next - sigma) * _d(den, x, sigma)


def heun_step(den: Denoiser, x: np.ndarray, sigma: float, sigma_next: float) -> np.ndarray:
    """Euler predictor ``x̃ = x + h d(x, σ)``, then ``x + h ½ (d(x, σ) + d(x̃, σ'))`` (``h = σ' - σ``); the Euler
    step itself when ``σ' = 0``."""
    return _heun(den, *_step_args(den, x, sigma, sigma_next))


def _heun(den: Denoiser, x: np.ndarray, sigma: float, sigma_next: float) -> np.ndarray:
    h = sigma_next - sigma
    d = _d(den, x, sigma)
    if sigma_next == 0.0:
        return x + h * d
    x_pred = x + h * d
    d2 = _d(den, x_pred, sigma_next)
    return x + h * 0.5 * (d + d2)


STEPS: dict[str, Callable[..., np.ndarray]] = {"euler": euler_step, "heun": heun_step}
_STEPS: dict[str, Callable[..., np.ndarray]] = {"euler": _euler, "heun": _heun}


def sample(den: Denoiser, x: np.ndarray, sigmas: np.ndarray, method: str) -> np.ndarray:
    """The path ``(len(sigmas), n, d)`` of ``method`` (``"euler"``/``"heun"``) on the decreasing grid."""
    V.function(den, "den")
    V.choice(method, "method", sorted(STEPS))
    sig = V.array(sigmas, "sigmas", ndim=1, nonneg=True)
    if sig.size < 2 or np.any(np.diff(sig) >= 0) or np.any(sig[:-1] == 0):
        raise ValueError(f"sigmas must be a strictly decreasing grid of at least 2 levels, positive but for a "
                         f"final 0, got {sig.tolist()}")
    path = [V.array(x, "x", min_ndim=1)]
    for s, s_next in itertools.pairwise(sig):  # validated above: the unchecked steps
        path.append(_STEPS[method](den, path[-1], float(s), float(s_next)))
    return np.stack(path)


def mixture_denoiser(mix: GaussianMixture) -> Denoiser:
    """``D(·; σ)`` of the mixture as a ``(x, σ)`` callable."""
    V.mixture(mix, "mix")
    return lambda x, s: denoiser(mix, s, x)


# ------------------------------------------------------------------------------------- the exact flow
def gaussian_flow(mean: np.ndarray, cov: np.ndarray, sigma_from: float, sigma_to: float,
                  x: np.ndarray) -> np.ndarray:
    """The exact σ-ODE flow of Gaussian data ``N(m, C)``: with ``C = U Λ Uᵀ``,
    ``x(σ_b) = m + U diag(√((λ + σ_b²)/(λ + σ_a²))) Uᵀ (x(σ_a) - m)`` (each eigen-coordinate solves
    ``dy/dσ = σ y/(λ + σ²)``)."""
    mean = V.array(mean, "mean", ndim=1)
    cov = V.square(cov, "cov", n=mean.shape[0], positive_definite=True)
    sigma_from, sigma_to = _level(sigma_from, "sigma_from"), _level(sigma_to, "sigma_to")
    x = V.points(x, "x", mean.shape[0])
    lam, U = np.linalg.eigh(cov)
    g = np.sqrt((lam + sigma_to**2) / (lam + sigma_from**2))
    return mean + ((x - mean) @ U) * g @ U.T


def mixture_flow(mix: GaussianMixture, sigma_from: float, sigma_to: float, x: np.ndarray, *,
                 rtol: float = 1e-12, atol: float = 1e-12) -> np.ndarray:
    """The σ-ODE flow ``dx/dσ = -σ ∇log p_σ(x)`` of mixture data from ``σ_a`` to ``σ_b > 0``, every row by
    scipy's DOP853 at ``rtol = atol = 1e-12`` (``gaussian_flow`` is the closed form for one component)."""
    x = _rows(mix, x, batched=True)
    sigma_from, sigma_to = _sigma(sigma_from, "sigma_from"), _sigma(sigma_to, "sigma_to")
    rtol, atol = V.positive(rtol, "rtol"), V.positive(atol, "atol")
    n, d = x.shape

    def f(s: float, y: np.ndarray) -> np.ndarray:
        return pf_ode_derivative(mix, s, y.reshape(n, d)).ravel()

    sol = solve_ivp(f, (float(sigma_from), float(sigma_to)), x.ravel(), method="DOP853", rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"mixture_flow: the integrator failed: {sol.message}")
    return sol.y[:, -1].reshape(n, d)


# The order ladder and band. On Karras grids σ(u) = (a + u(b - a))^ρ, u = i/(n-1), the steps are a
# smooth reparametrization of a uniform grid in u, so the global error is C n^{-p}(1 + κ/n + ...). The
# fitted slope of log error against log(1/n) over n ∈ N_LADDER deviates from p by about |κ|/(2 n_min ln 2);
# with n from 16 the slopes spread over Euler 0.90-1.09, Heun 1.98-2.11 (40 drawn cases); with n from 32
# (this ladder) over Euler 0.957-1.043, Heun 1.971-2.064 (300 cases each of checks.edm.order_cases: mixtures
# of 1-2 components in 1-2 dimensions, covariance eigenvalues in [0.2, 1], ρ ≤ 7, σ_max ≤ 10, σ_min ≥ 0.05).
# Band 0.15: a method one order lower lands a full unit away. Float64 only (float32's floor ~1e-7 n
# stops Heun's ladder early).
N_LADDER = (32, 64, 128)
ORDER_BAND = 0.15


def derivative_lipschitz(mix: GaussianMixture, sigma: float, x: np.ndarray) -> np.ndarray:
    """Per-row bound on ``‖∂d/∂x‖₂`` for ``d = -σ ∇log p_σ``: ``σ ‖∇² log p_σ‖`` with
    ``∇² log p = Σ_k r_k (g_k g_kᵀ - Σ_k⁻¹) - ḡ ḡᵀ`` (``g_k = -Σ_k⁻¹(x - m_k)``, ``Σ_k = C_k + σ² I``), so
    ``‖∇² log p‖ ≤ max_k ‖Σ_k⁻¹‖ + Σ_k r_k |g_k|²`` (the g-terms form a covariance: PSD, trace-bounded)."""
    x = _rows(mix, x, batched=True)
    if _level(sigma) == 0.0:
        return np.zeros(x.shape[0])
    p = noised(mix, sigma)
    logc, prec_diff = p._component_terms(x)
    r = np.exp(logc - logc.max(-1, keepdims=True))
    r /= r.sum(-1, keepdims=True)
    inv_norm = 1.0 / np.linalg.eigvalsh(p.covs)[:, 0].min()
    return float(sigma) * (inv_norm + np.einsum("nk,nk->n", r, (prec_diff**2).sum(-1)))
