"""DDIM: the non-Markovian forward process, its step for any η, respacing and timestep grids.

Closed forms in float64 and their sympy derivations. The schedule is given as ``alpha_bars``
(``alpha_bars[t-1] = ᾱ_t`` for the lecture's steps ``t = 1..T``) and ``ᾱ_0 = final``: 1 in the
lecture (000 L7), or a declared final value as diffusers' ``set_alpha_to_one=False`` (``ᾱ_1``).
A grid is a strictly decreasing sequence of lecture steps ``t_0 > t_1 > ... > t_{K-1} >= 1``; the
sampler steps between consecutive points and from the last one to ``s = 0``.

DDIM (Song et al. 2021) with ``σ² = η² (1-ᾱ_s)/(1-ᾱ_t) (1-ᾱ_t/ᾱ_s)`` for ``t > s``:

    x̂_0 = (x_t - √(1-ᾱ_t) ε̂)/√ᾱ_t,   x_s = √ᾱ_s x̂_0 + √(1-ᾱ_s-σ²) ε̂ + σ z.

η = 1 on the full grid is DDPM's ancestral step (σ² = β̃_t, 000 L8 "Denoising Diffusion
Probabilistic Model (DDPM)"); η = 0 is one Euler step of the probability-flow ODE in
``x̄ = x/√ᾱ`` and ``σ = √((1-ᾱ)/ᾱ)`` (000 L11 "Sampling": "Discretizing the probability flow ODE
yields deterministic sampling"; 002 L14 "Sampling": "the reverse ODE gives us the DDIM sampling").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from dgmcheck.theory import _validate as V

#: The timestep spacings of ``grid`` (diffusers' ``timestep_spacing``; Lin et al. 2024, Table 2).
SPACINGS: tuple[str, ...] = ("linspace", "leading", "trailing")
#: The most factors ``derive_respacing_telescopes`` multiplies out in sympy.
MAX_SYMBOLIC_STEPS = 64


# --------------------------------------------------------------------------- schedule helpers
def validate_alpha_bars(alpha_bars: object, name: str = "alpha_bars") -> np.ndarray:
    """``alpha_bars`` as a 1-D float64 array, or ValueError: ``1 > ᾱ_1 > ᾱ_2 > ... > ᾱ_T > 0``."""
    arr = V.array(alpha_bars, name, finite=False, empty=True)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of ᾱ_t, got shape {arr.shape}")
    bad = ~((arr > 0) & (arr < 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must lie in (0, 1); {name}[{i}] (ᾱ_{i + 1}) = {arr[i]!r}")
    if np.any(np.diff(arr) >= 0):
        i = int(np.flatnonzero(np.diff(arr) >= 0)[0])
        raise ValueError(f"{name} must be strictly decreasing (β_t > 0); ᾱ_{i + 2} = {arr[i + 1]!r}"
                         f" >= ᾱ_{i + 1} = {arr[i]!r}")
    return arr


def alpha_bars_from_betas(betas: object) -> np.ndarray:
    """``ᾱ_t = ∏_{s<=t} (1-β_s)`` in float64 (a sum of ``log1p`` for accuracy)."""
    from dgmcheck.theory.schedules import alpha_bars, validate_betas

    return alpha_bars(validate_betas(betas))


def betas_from_alpha_bars(alpha_bars: object, final: float = 1.0) -> np.ndarray:
    """``β_t = 1 - ᾱ_t/ᾱ_{t-1}`` with ``ᾱ_0 = final``: the inverse of ``alpha_bars_from_betas``."""
    abar = validate_alpha_bars(alpha_bars)
    return 1.0 - abar / np.concatenate([[_final(final)], abar[:-1]])


def _final(final: float) -> float:
    """``ᾱ_0`` in (0, 1]."""
    return V.real(final, "final", lo=0.0, hi=1.0, closed="hi")


def extended(alpha_bars: object, final: float = 1.0) -> np.ndarray:
    """``[ᾱ_0, ᾱ_1, ..., ᾱ_T]`` with ``ᾱ_0 = final``: index by the lecture step directly."""
    return np.concatenate([[_final(final)], validate_alpha_bars(alpha_bars)])


def _pairs(alpha_bars: object, t: object, s: object, final: float) -> tuple[np.ndarray, ...]:
    ext = extended(alpha_bars, final)
    T = len(ext) - 1
    t_arr, s_arr = np.asarray(t), np.asarray(s)
    for name, v, lo in (("t", t_arr, 1), ("s", s_arr, 0)):
        if v.dtype.kind not in "iu" and not (v.dtype.kind == "f" and np.all(v == np.round(v))):
            raise ValueError(f"{name} must hold integer steps, got {v!r}")
        if np.any((v < lo) | (v > T)):
            raise ValueError(f"{name} must lie in {lo}..T = {lo}..{T}, got {v!r}")
    t_arr, s_arr = np.broadcast_arrays(t_arr.astype(np.int64), s_arr.astype(np.int64))
    if np.any(s_arr >= t_arr):
        raise ValueError(f"need s < t (the sampler steps down), got t={t!r}, s={s!r}")
    return ext[t_arr], ext[s_arr]


# --------------------------------------------------------------------------- the DDIM step
@dataclass(frozen=True)
class Step:
    """The DDIM step from ``t`` to ``s`` as coefficients (arrays shaped like ``t``).

    ``x̂_0 = x0_x x_t + x0_eps ε̂`` and ``x_s = mean_x x_t + mean_eps ε̂ + std z``, with the
    intermediate ``x_s = √ᾱ_s x̂_0 + direction ε̂ + std z``.
    """

    alpha_bar_t: np.ndarray
    alpha_bar_s: np.ndarray
    sigma2: np.ndarray
    x0_x: np.ndarray
    x0_eps: np.ndarray
    direction: np.ndarray
    mean_x: np.ndarray
    mean_eps: np.ndarray
    std: np.ndarray


def sigma2(alpha_bar_t: object, alpha_bar_s: object, eta: object) -> np.ndarray:
    """``σ² = η² (1-ᾱ_s)/(1-ᾱ_t) (1-ᾱ_t/ᾱ_s)``: the variance of ``q_σ(x_s|x_t, x_0)`` (ddim.step)."""
    at, as_ = V.array(alpha_bar_t, "alpha_bar_t"), V.array(alpha_bar_s, "alpha_bar_s")
    eta = V.array(eta, "eta")
    if np.any((eta < 0) | (eta > 1)):
        raise ValueError(f"eta must lie in [0, 1], got {eta!r}")
    if np.any((at <= 0) | (at >= 1)):
        raise ValueError(f"alpha_bar_t must lie in (0, 1), got {at!r}")
    if np.any((as_ <= 0) | (as_ > 1)):
        raise ValueError(f"alpha_bar_s must lie in (0, 1], got {as_!r}")
    try:
        later = np.all(at <= as_)  # equal: a null step (diffusers' last step with set_alpha_to_one=False)
    except ValueError:
        raise ValueError(f"alpha_bar_t {at.shape} and alpha_bar_s {as_.shape} must broadcast") from None
    if not later:
        raise ValueError(f"need alpha_bar_t <= alpha_bar_s (t > s: the sampler steps down), got {at!r}, {as_!r}")
    return eta**2 * (1.0 - as_) / (1.0 - at) * (1.0 - at / as_)


def step(alpha_bars: object, t: object, s: object, eta: object, final: float = 1.0) -> Step:
    """ddim.step: coefficients of the DDIM step from lecture step ``t`` to ``s < t`` (``s = 0``: ᾱ_0 =
    ``final``). ``√(1-ᾱ_s-σ²) >= 0`` always: ``1-ᾱ_s-σ² >= (1-ᾱ_s)(1 - (1-ᾱ_t/ᾱ_s)/(1-ᾱ_t)) > 0``."""
    at, as_ = _pairs(alpha_bars, t, s, final)
    var = sigma2(at, as_, eta)
    direction = np.sqrt(np.maximum(1.0 - as_ - var, 0.0))
    x0_x, x0_eps = 1.0 / np.sqrt(at), -np.sqrt(1.0 - at) / np.sqrt(at)
    return Step(at, as_, var, x0_x, x0_eps, direction, np.sqrt(as_) * x0_x,
                np.sqrt(as_) * x0_eps + direction, np.sqrt(var))


def apply_step(alpha_bars: object, t: object, s: object, eta: object, x_t: np.ndarray,
               eps: np.ndarray, noise: np.ndarray, final: float = 1.0) -> np.ndarray:
    """``x_s`` of the DDIM step on rows of ``x_t`` (batch first; ``t``, ``s`` per row or scalar)."""
    c = step(alpha_bars, t, s, eta, final)
    x_t, eps, noise = _rows(c.alpha_bar_t, x_t, eps, noise)

    def col(a: np.ndarray) -> np.ndarray:
        return np.reshape(a, np.shape(a) + (1,) * (np.ndim(x_t) - np.ndim(a)))

    x0 = col(c.x0_x) * x_t + col(c.x0_eps) * eps
    return col(np.sqrt(c.alpha_bar_s)) * x0 + col(c.direction) * eps + col(c.std) * noise


def _rows(coef: np.ndarray, x_t: object, eps: object, noise: object = ...) -> tuple[np.ndarray, ...]:
    """``x_t``, ``ε̂`` (and ``z``) of one shape, batch first, with per-row steps matching the batch."""
    x_t = V.array(x_t, "x_t")
    if np.ndim(coef) and (np.ndim(coef) > x_t.ndim or np.shape(coef) != x_t.shape[:np.ndim(coef)]):
        raise ValueError(f"x_t must have one row per step of t and s {np.shape(coef)}, got shape {x_t.shape}")
    out = [x_t, V.matching(V.array(eps, "eps"), "eps", x_t, "x_t")]
    if noise is not ...:
        out.append(V.matching(V.array(noise, "noise"), "noise", x_t, "x_t"))
    return tuple(out)


def marginal_recursion(alpha_bars: object, grid: object, eta: object,
                       final: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """ddim.marginals: the law of ``x_s`` under ``q_σ`` down a grid, propagated exactly.

    Start from ``x_{t_0} = √ᾱ_{t_0} x_0 + √(1-ᾱ_{t_0}) ε``; at each step ``x_s = √ᾱ_s x_0 +
    k (x_t - √ᾱ_t x_0) + σ z`` with ``k = √(1-ᾱ_s-σ²)/√(1-ᾱ_t)`` (the step at the true ε).
    Returns ``(m, v)`` at ``t_0, ..., t_{K-1}, 0``: ``x_s | x_0 ~ N(m x_0, v I)``. The theorem:
    ``m = √ᾱ``, ``v = 1-ᾱ`` at every point, for every η (``derive_marginal_step``).
    """
    g = validate_grid(grid, len(validate_alpha_bars(alpha_bars)))
    ext = extended(alpha_bars, final)
    points = np.concatenate([g, [0]])
    m = np.empty(len(points))
    v = np.empty(len(points))
    m[0], v[0] = np.sqrt(ext[g[0]]), 1.0 - ext[g[0]]
    eta = V.array(eta, "eta")
    if np.any((eta < 0) | (eta > 1)) or eta.ndim > 1 or (eta.ndim == 1 and eta.shape != (len(g),)):
        raise ValueError(f"eta must be a number in [0, 1] or one per grid point ({len(g)}), got {eta!r}")
    etas = np.broadcast_to(eta, (len(g),))
    for i in range(len(g)):
        c = step(alpha_bars, points[i], points[i + 1], etas[i], final)
        k = c.direction / np.sqrt(1.0 - c.alpha_bar_t)
        m[i + 1] = np.sqrt(c.alpha_bar_s) + k * (m[i] - np.sqrt(c.alpha_bar_t))
        v[i + 1] = k**2 * v[i] + c.sigma2
    return m, v


def pf_ode_euler(alpha_bars: object, t: object, s: object, x_t: np.ndarray, eps: np.ndarray,
                 final: float = 1.0) -> np.ndarray:
    """ddim.eta_zero_is_pf_ode_euler: one Euler step of ``dx̄/dσ = ε̂`` from ``σ_t`` to ``σ_s``.

    ``x̄ = x/√ᾱ``, ``σ = √((1-ᾱ)/ᾱ)``: ``x̄_s = x̄_t + (σ_s - σ_t) ε̂``, so
    ``x_s = √ᾱ_s (x_t/√ᾱ_t + (σ_s - σ_t) ε̂)``. Equal to the DDIM step at η = 0 (an identity).
    """
    at, as_ = _pairs(alpha_bars, t, s, final)
    x_t, eps = _rows(at, x_t, eps)

    def col(a: np.ndarray) -> np.ndarray:
        return np.reshape(a, np.shape(a) + (1,) * (np.ndim(x_t) - np.ndim(a)))

    sig_t, sig_s = np.sqrt((1 - at) / at), np.sqrt((1 - as_) / as_)
    return col(np.sqrt(as_)) * (x_t / col(np.sqrt(at)) + col(sig_s - sig_t) * eps)


# --------------------------------------------------------------------------- respacing
def validate_steps(steps: object, T: int, name: str = "steps") -> np.ndarray:
    """An increasing sub-sequence ``1 <= τ_1 < ... < τ_K <= T`` of lecture steps, or ValueError."""
    T = V.count(T, "T")
    arr = np.asarray(steps)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of steps, got shape {arr.shape}")
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and np.all(arr == np.round(arr))):
        raise ValueError(f"{name} must hold integer steps, got {steps!r}")
    arr = arr.astype(np.int64)
    if arr[0] < 1 or arr[-1] > T or np.any(np.diff(arr) <= 0):
        raise ValueError(f"{name} must be strictly increasing steps in 1..T = 1..{T}, got "
                         f"{arr.tolist()[:8]}{'...' if arr.size > 8 else ''}")
    return arr


def validate_grid(grid: object, T: int, name: str = "grid") -> np.ndarray:
    """A strictly decreasing grid of lecture steps in ``1..T`` (the sampler's order), or ValueError."""
    arr = np.asarray(grid)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of steps, got shape {arr.shape}")
    validate_steps(arr[::-1], T, name)
    return arr.astype(np.int64)


def respaced_betas(alpha_bars: object, steps: object, final: float = 1.0) -> np.ndarray:
    """ddim.respacing: ``β'_k = 1 - ᾱ_{τ_k}/ᾱ_{τ_{k-1}}`` for ``k = 1..K`` (``τ_0 = 0``, ᾱ_0 = final).

    The DDPM with schedule β' has ``ᾱ'_k = ∏_{j<=k}(1-β'_j) = ᾱ_{τ_k}/ᾱ_0``: its marginal at
    respaced step ``k`` is the original one at ``τ_k`` (a telescoping product).
    """
    abar = validate_alpha_bars(alpha_bars)
    tau = validate_steps(steps, len(abar))
    ext = extended(abar, final)
    return 1.0 - ext[tau] / ext[np.concatenate([[0], tau[:-1]])]


def respaced_step(alpha_bars: object, steps: object, t: object,
                  final: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ancestral step of the respaced DDPM from kept step ``t = τ_k`` to ``τ_{k-1}`` (0 for k = 1).

    Returns ``(c_x, c_ε, β̃'_k, τ_{k-1})`` with ``x_{τ_{k-1}} = c_x x_t + c_ε ε̂ + √β̃'_k z``: DDPM's
    ``c_x = 1/√α'_k``, ``c_ε = -β'_k/√(α'_k(1-ᾱ'_k))``, ``β̃'_k = (1-ᾱ'_{k-1}) β'_k/(1-ᾱ'_k)``
    (``theory.ddpm.eps_mean`` / ``posterior``) on β', with ``α'_k = ᾱ_{τ_k}/ᾱ_{τ_{k-1}}`` and
    ``ᾱ'_k = ᾱ_{τ_k}/ᾱ_0`` read from the ratio directly: the same numbers as ``theory.ddpm`` on
    ``respaced_betas`` (tests/test_theory_ddim.py), without the cancellation ``1 - β'`` costs when
    ``β' ≈ 1`` (a long jump).
    """
    abar = validate_alpha_bars(alpha_bars)
    tau = validate_steps(steps, len(abar))
    t_arr = V.integers(t, "t", lo=1, hi=len(abar))
    k = np.searchsorted(tau, t_arr) + 1
    if np.any(k > len(tau)) or np.any(tau[np.minimum(k, len(tau)) - 1] != t_arr):
        raise ValueError(f"t must be one of the kept steps {tau.tolist()[:8]}..., got {t!r}")
    ext = extended(abar, final)
    prev = np.concatenate([[0], tau])[k - 1]
    ab_k, ab_prev = ext[t_arr] / ext[0], ext[prev] / ext[0]
    alpha = ab_k / ab_prev
    beta = 1.0 - alpha
    cx = 1.0 / np.sqrt(alpha)
    ce = -beta / np.sqrt(alpha * (1.0 - ab_k))
    var = (1.0 - ab_prev) * beta / (1.0 - ab_k)
    return cx, ce, var, prev


# --------------------------------------------------------------------------- grids
def grid(T: int, n: int, spacing: str = "leading", steps_offset: int = 0) -> np.ndarray:
    """ddim.grids: the lecture steps (descending) a sampler visits for ``n`` inference steps of ``T``.

    With ``k`` the library's 0-based timestep (diffusers' ``scheduler.timesteps``), the lecture step
    is ``k + 1``. The definitions (Lin et al. 2024, Table 2, as diffusers 0.42 builds them):

    - ``"linspace"``: ``k_i = round(i (T-1)/(n-1))``, ``i = n-1..0`` (round half to even; for
      ``n = 1``, ``k = 0``): both ends ``T-1`` and ``0``.
    - ``"leading"``: ``k_i = i ⌊T/n⌋ + steps_offset``, ``i = n-1..0``: starts at 0 (+ offset), does
      not reach ``T-1`` unless ``n`` divides ``T`` ... and even then stops at ``T - ⌊T/n⌋``.
    - ``"trailing"``: ``k_i = round(T - i T/n) - 1``, ``i = 0..n-1``: starts at ``T-1``.

    ValueError for ``n`` outside ``1..T``, an unknown spacing, or a leading offset that would leave
    ``0..T-1``.
    """
    for name, v in (("T", T), ("n", n), ("steps_offset", steps_offset)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(v).__name__}")
    if T < 1 or not 1 <= n <= T:
        raise ValueError(f"need 1 <= n <= T, got n={n}, T={T}")
    if spacing == "linspace":
        if steps_offset:
            raise ValueError("steps_offset applies to the 'leading' spacing only")
        k = np.round(np.linspace(0.0, T - 1, n))[::-1]
    elif spacing == "leading":
        k = (np.arange(n)[::-1] * (T // n) + steps_offset).astype(np.float64)
    elif spacing == "trailing":
        if steps_offset:
            raise ValueError("steps_offset applies to the 'leading' spacing only")
        k = np.round(T - np.arange(n) * (T / n)) - 1
    else:
        raise ValueError(f"spacing must be one of {SPACINGS}, got {spacing!r}")
    steps = k.astype(np.int64) + 1
    if steps.min() < 1 or steps.max() > T:
        raise ValueError(f"steps_offset={steps_offset} puts the grid outside 1..T = 1..{T}")
    return steps


def grid_bounds(T: int, n: int, spacing: str = "leading", steps_offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """ddim.grids with exact arithmetic: ``(lo, hi)`` per grid point, equal except where the exact
    value before rounding is a half-integer (``i (T-1)/(n-1)`` or ``T - i T/n`` with a remainder of
    exactly ½). There "round half to even" decides nothing a library can keep: the float it rounds
    is the tie plus or minus one ulp, depending on how it forms the value (``np.arange`` accumulates,
    ``torch.linspace`` runs from both ends), so both neighbours are the grid."""
    from fractions import Fraction

    base = grid(T, n, spacing, steps_offset)  # validates and gives the non-tie points
    if spacing == "leading":
        return base, base.copy()
    if spacing == "linspace":
        exact = [Fraction(i * (T - 1), n - 1) if n > 1 else Fraction(0) for i in range(n - 1, -1, -1)]
    else:
        exact = [T - Fraction(i * T, n) for i in range(n)]
    tie = np.array([x.denominator == 2 for x in exact])
    floor = np.array([x.numerator // x.denominator for x in exact], dtype=np.int64)
    shift = 0 if spacing == "linspace" else -1  # trailing: round(T - i T/n) - 1
    lo = np.where(tie, floor + shift + 1, base)
    hi = np.where(tie, floor + 1 + shift + 1, base)
    return lo, hi


# --------------------------------------------------------------------------- sympy derivations
_at, _as = sp.symbols("alphabar_t alphabar_s", positive=True)
_eta = sp.Symbol("eta", nonnegative=True)
_x0, _e, _eh, _xt, _z = sp.symbols("x_0 epsilon epsilon_hat x_t z", real=True)


def _sigma2_sym(eta: sp.Expr = _eta) -> sp.Expr:
    return eta**2 * (1 - _as) / (1 - _at) * (1 - _at / _as)


def derive_marginal_step() -> dict[str, sp.Expr]:
    """ddim.marginals, induction step: with ``x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε`` and the step at the true
    ε, ``x_s = √ᾱ_s x_0 + √(1-ᾱ_s-σ²) ε + σ z``: mean coefficient ``√ᾱ_s`` and variance
    ``(1-ᾱ_s-σ²) + σ² = 1-ᾱ_s`` (ε ⟂ z). Returns each minus its target (both simplify to 0)."""
    s2 = _sigma2_sym()
    xt = sp.sqrt(_at) * _x0 + sp.sqrt(1 - _at) * _e
    x0_hat = (xt - sp.sqrt(1 - _at) * _e) / sp.sqrt(_at)
    xs = sp.sqrt(_as) * x0_hat + sp.sqrt(1 - _as - s2) * _e + sp.sqrt(s2) * _z
    xs = sp.expand(xs)
    mean_coef = xs.coeff(_x0)
    var = xs.coeff(_e) ** 2 + xs.coeff(_z) ** 2
    return {"mean": sp.simplify(mean_coef - sp.sqrt(_as)), "var": sp.simplify(var - (1 - _as))}


def derive_eta_one_is_ddpm() -> dict[str, sp.Expr]:
    """ddim.eta_one_is_ddpm: at η = 1 and ``s = t-1`` (``ᾱ_t = α_t ᾱ_{t-1}``), ``σ² = β̃_t`` and the step's
    coefficients of ``x_t`` and ε̂ are DDPM's ``1/√α_t`` and ``-β_t/√(α_t(1-ᾱ_t))``. Returns the
    three differences (each simplifies to 0)."""
    a, abp = sp.symbols("alpha_t alphabar_prev", positive=True)
    sub = {_at: a * abp, _as: abp}
    s2 = _sigma2_sym(sp.Integer(1)).subs(sub)
    at, as_ = a * abp, abp
    cx = sp.sqrt(as_) / sp.sqrt(at)
    # √(1-ᾱ_{t-1}-β̃_t) = √α_t (1-ᾱ_{t-1})/√(1-ᾱ_t) for 0 < α_t, ᾱ_{t-1} < 1 (radicand as a square)
    radicand = sp.factor(sp.simplify(1 - as_ - s2))
    root = sp.sqrt(a) * (1 - abp) / sp.sqrt(1 - at)
    ce = -sp.sqrt(as_) * sp.sqrt(1 - at) / sp.sqrt(at) + root
    beta_tilde = (1 - abp) * (1 - a) / (1 - at)
    return {"sigma2": sp.simplify(s2 - beta_tilde),
            "root": sp.simplify(radicand - root**2),
            "coef_x": sp.simplify(cx - 1 / sp.sqrt(a)),
            "coef_eps": sp.simplify(sp.radsimp(ce + (1 - a) / sp.sqrt(a * (1 - at))))}


def derive_eta_zero_is_pf_ode_euler() -> sp.Expr:
    """ddim.eta_zero_is_pf_ode_euler: the DDIM step at η = 0 minus ``√ᾱ_s (x̄_t + (σ_s - σ_t) ε̂)``
    with ``x̄ = x/√ᾱ``, ``σ = √((1-ᾱ)/ᾱ)``; simplifies to 0 (an identity, not a limit)."""
    ddim = sp.sqrt(_as) * (_xt - sp.sqrt(1 - _at) * _eh) / sp.sqrt(_at) + sp.sqrt(1 - _as) * _eh
    sig_t, sig_s = sp.sqrt((1 - _at) / _at), sp.sqrt((1 - _as) / _as)
    euler = sp.sqrt(_as) * (_xt / sp.sqrt(_at) + (sig_s - sig_t) * _eh)
    return sp.simplify(sp.expand(ddim - euler))


def derive_respacing_telescopes(K: int = 4) -> sp.Expr:
    """ddim.respacing: ``∏_{j<=k}(1-β'_j) - ᾱ_{τ_k}`` with ``β'_j = 1 - ᾱ_{τ_j}/ᾱ_{τ_{j-1}}``, ``ᾱ_{τ_0} = 1``,
    for symbolic ``ᾱ_{τ_1..τ_K}``; simplifies to 0 (the respaced chain keeps the marginals)."""
    K = V.count(K, "K", hi=MAX_SYMBOLIC_STEPS)
    a = sp.symbols(f"alphabar_tau1:{K + 1}", positive=True)
    prev = (sp.Integer(1), *a[:-1])
    prod = sp.Mul(*[1 - (1 - a[j] / prev[j]) for j in range(K)])
    return sp.simplify(prod - a[-1])
