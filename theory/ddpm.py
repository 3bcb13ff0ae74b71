"""Gaussian diffusion (DDPM): closed forms in float64 and their sympy derivations.

All functions take the schedule ``betas`` (``betas[t-1] = β_t``) and steps ``t`` in ``1..T``
(scalar or array of any shape; results are shaped like ``t``). A raw ``betas`` is validated on every
call (O(T)); pass ``schedule(betas)`` to validate once and gather in O(len(t)), so a loop over all
steps stays O(T) (or pass every step at once: ``posterior(betas, np.arange(1, T + 1))``).
Notation of 000 L7-L9: ``α_t = 1 - β_t``, ``ᾱ_t = ∏_{s<=t} α_s``, ``ᾱ_0 = 1``, ``β̃_t = (1-ᾱ_{t-1}) β_t / (1-ᾱ_t)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from dgmcheck.theory import _validate as V
from dgmcheck.theory.schedules import alpha_bars, one_minus_alpha_bars, validate_betas


@dataclass(frozen=True)
class Schedule:
    """A validated schedule with its cumulative products, computed once.

    ``betas[t-1] = β_t``; ``alpha_bar[t] = ᾱ_t`` and ``one_minus_alpha_bar[t] = 1 - ᾱ_t`` for
    ``t = 0..T`` (``ᾱ_0 = 1``). Every per-step oracle of this module takes either a raw ``betas`` (validated
    on each call, O(T)) or a :class:`Schedule` (no re-validation, O(len(t))): a loop over ``t = 1..T``
    builds one with :func:`schedule` and stays O(T) overall, or passes all steps at once as a vector ``t``.
    """

    betas: np.ndarray
    alpha_bar: np.ndarray
    one_minus_alpha_bar: np.ndarray

    @property
    def T(self) -> int:
        return int(self.betas.shape[0])


def schedule(betas: np.ndarray | Schedule) -> Schedule:
    """``betas`` validated (ValueError unless a non-empty 1-D array in (0, 1)) with ``ᾱ_t`` and ``1 - ᾱ_t``
    for ``t = 0..T``; a :class:`Schedule` is returned as it is."""
    if isinstance(betas, Schedule):
        return betas
    arr = validate_betas(betas).copy()
    abar = np.concatenate([[1.0], alpha_bars(arr)])
    omab = np.concatenate([[0.0], one_minus_alpha_bars(arr)])
    for a in (arr, abar, omab):
        a.setflags(write=False)
    return Schedule(arr, abar, omab)


@dataclass(frozen=True)
class ScheduleAt:
    """Schedule quantities at steps ``t`` (arrays shaped like ``t``)."""

    t: np.ndarray
    beta: np.ndarray
    alpha: np.ndarray
    alpha_bar: np.ndarray
    alpha_bar_prev: np.ndarray
    one_minus_alpha_bar: np.ndarray
    one_minus_alpha_bar_prev: np.ndarray


def at(betas: np.ndarray | Schedule, t: object) -> ScheduleAt:
    """Gather the schedule at steps ``t`` (any shape); ValueError unless every ``t`` is an integer in 1..T.

    O(T) for a raw ``betas`` (validated, cumulative products taken), O(len(t)) for a :class:`Schedule`.
    """
    sched = schedule(betas)
    T = sched.T
    t_arr = np.asarray(t)
    if t_arr.dtype.kind not in "iu" and not (
        t_arr.dtype.kind == "f" and np.all(t_arr == np.round(t_arr))
    ):
        raise ValueError(f"t must hold integer steps in 1..{T}, got {t!r}")
    t_arr = t_arr.astype(np.int64)
    if np.any((t_arr < 1) | (t_arr > T)):
        raise ValueError(f"t must lie in 1..T = 1..{T}, got {t!r}")
    beta = sched.betas[t_arr - 1]
    return ScheduleAt(
        t=t_arr, beta=beta, alpha=1.0 - beta,
        alpha_bar=sched.alpha_bar[t_arr], alpha_bar_prev=sched.alpha_bar[t_arr - 1],
        one_minus_alpha_bar=sched.one_minus_alpha_bar[t_arr],
        one_minus_alpha_bar_prev=sched.one_minus_alpha_bar[t_arr - 1],
    )


def forward_step(betas: np.ndarray | Schedule, t: object) -> tuple[np.ndarray, np.ndarray]:
    """``q(x_t|x_{t-1}) = N(√α_t x_{t-1}, β_t I)``: returns ``(√α_t, β_t)`` (000 L7)."""
    s = at(betas, t)
    return np.sqrt(s.alpha), s.beta


def forward_marginal(betas: np.ndarray | Schedule, t: object) -> tuple[np.ndarray, np.ndarray]:
    """ddpm.forward_marginal: ``q(x_t|x_0) = N(√ᾱ_t x_0, (1-ᾱ_t) I)``; returns ``(√ᾱ_t, 1-ᾱ_t)``.

    000 L7 "Forward Gaussian Diffusion Process" (Statement 1).
    """
    s = at(betas, t)
    return np.sqrt(s.alpha_bar), s.one_minus_alpha_bar


def posterior(betas: np.ndarray | Schedule, t: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ddpm.posterior: ``q(x_{t-1}|x_t, x_0) = N(c_0 x_0 + c_t x_t, β̃_t I)``.

    ``c_0 = √ᾱ_{t-1} β_t / (1-ᾱ_t)``, ``c_t = √α_t (1-ᾱ_{t-1}) / (1-ᾱ_t)``,
    ``β̃_t = (1-ᾱ_{t-1}) β_t / (1-ᾱ_t)``. Returns ``(c_0, c_t, β̃_t)``.
    000 L8 "Conditioned Reverse Distribution".
    """
    s = at(betas, t)
    c0 = np.sqrt(s.alpha_bar_prev) * s.beta / s.one_minus_alpha_bar
    ct = np.sqrt(s.alpha) * s.one_minus_alpha_bar_prev / s.one_minus_alpha_bar
    var = s.one_minus_alpha_bar_prev * s.beta / s.one_minus_alpha_bar
    return c0, ct, var


def eps_mean(betas: np.ndarray | Schedule, t: object) -> tuple[np.ndarray, np.ndarray]:
    """ddpm.eps_mean: ``μ̃_t = x_t/√α_t - β_t/√(α_t(1-ᾱ_t)) ε``; returns the two coefficients.

    000 L8 "Reparametrization of DDPM". (001 writes ``(1-α_t)/√(1-α_t)`` for
    ``(1-α_t)/√(1-ᾱ_t)`` on two slides; the bar is needed.)
    """
    s = at(betas, t)
    return 1.0 / np.sqrt(s.alpha), -s.beta / np.sqrt(s.alpha * s.one_minus_alpha_bar)


def reverse_variance(betas: np.ndarray | Schedule, t: object, kind: str = "beta_tilde") -> np.ndarray:
    """The fixed reverse variances of ancestral sampling: ``β̃_t`` ("beta_tilde") or ``β_t`` ("beta").

    ddpm.optimal_variance (000 L8): β_t is optimal for x_0 ~ N(0, I), β̃_t for a point mass.
    """
    if kind == "beta_tilde":
        return posterior(betas, t)[2]
    if kind == "beta":
        return at(betas, t).beta
    raise ValueError(f"kind must be 'beta_tilde' or 'beta', got {kind!r}")


def loss_weight(betas: np.ndarray | Schedule, t: object, kind: str = "beta_tilde") -> np.ndarray:
    """ddpm.loss_weight: ``L_t = λ_t E‖ε - ε_θ(x_t)‖²`` with ``λ_t = β_t² / (2 σ_t² α_t (1-ᾱ_t))``.

    With ``σ_t² = β̃_t`` (000 L8 "Reparametrization of DDPM") this is
    ``(1-α_t)² / (2 β̃_t α_t (1-ᾱ_t))``, defined for ``t >= 2`` (``β̃_1 = 0``: the ``t = 1`` term of the
    ELBO is the decoder ``log p_θ(x_0|x_1)``, not a KL).
    """
    betas = schedule(betas)  # validated once for the three gathers below
    s = at(betas, t)
    var = reverse_variance(betas, t, kind)
    if np.any(var <= 0):
        raise ValueError(f"loss_weight with kind={kind!r} needs t >= 2 (β̃_1 = 0), got t={t!r}")
    return s.beta**2 / (2.0 * var * s.alpha * s.one_minus_alpha_bar)


def score_from_eps(betas: np.ndarray | Schedule, t: object) -> np.ndarray:
    """ddpm.score_reparametrization: ``s_θ,t(x_t) = -ε_θ,t(x_t) / √(1-ᾱ_t)``; returns ``-1/√(1-ᾱ_t)``.

    000 L9 "Denoising Diffusion as a Score-Based Generative Model" writes the score without the
    minus sign; ``∇ log q(x_t|x_0) = -ε/√(1-ᾱ_t)`` on the same slide fixes it.
    """
    return -1.0 / np.sqrt(at(betas, t).one_minus_alpha_bar)


def score_step(betas: np.ndarray | Schedule, t: object) -> tuple[np.ndarray, np.ndarray]:
    """ddpm.sampling_in_score_form: ``μ_θ,t = x_t/√(1-β_t) + β_t/√(1-β_t) s_θ,t(x_t)``.

    000 L9 "DDPM vs NCSN: Sampling". Returns the coefficients of ``x_t`` and of the score.
    """
    s = at(betas, t)
    return 1.0 / np.sqrt(s.alpha), s.beta / np.sqrt(s.alpha)


def dsm_weight(betas: np.ndarray | Schedule, t: object, kind: str = "beta_tilde") -> np.ndarray:
    """ddpm.elbo_equals_dsm: ``L_t = C_2,t E‖s_θ,t(x_t) - ∇ log q(x_t|x_0)‖²`` with ``C_2 = λ_t (1-ᾱ_t)``.

    000 L9 "Denoising Diffusion as a Score-Based Generative Model".
    """
    betas = schedule(betas)
    return loss_weight(betas, t, kind) * at(betas, t).one_minus_alpha_bar


def prior_kl(betas: np.ndarray | Schedule, x0: np.ndarray) -> float:
    """``KL(q(x_T|x_0) || N(0, I))`` summed over coordinates (000 L8, the ELBO's constant term); ``x0`` a point
    (an array of at least one dimension, finite)."""
    sched = schedule(betas)
    x0 = V.array(x0, "x0", min_ndim=1)
    m, v = forward_marginal(sched, sched.T)
    d = x0.size
    return float(0.5 * (m**2 * np.sum(x0**2) + d * v - d - d * np.log(v)))


def _rates(beta: object) -> np.ndarray:
    """An array of β in (0, 1): finite, not empty."""
    return V.within(V.array(beta, "beta", min_ndim=1), "beta", lo=0.0, hi=1.0)


def langevin_remainder(beta: np.ndarray) -> np.ndarray:
    """ddpm.forward_as_langevin: ``(1 - β/2) - √(1-β)``, the gap between the DDPM drift coefficient
    and a Langevin step with ``η = β`` on ``N(0, I)`` (000 L7 "Forward Gaussian Diffusion Process").

    It lies in ``[β²/8, β²/(8(1-β)^{3/2})]`` (Taylor with Lagrange remainder), i.e. it is O(β²).
    ``beta``: an array of rates in (0, 1).
    """
    beta = _rates(beta)
    return (1.0 - beta / 2) - np.sqrt(1.0 - beta)


def langevin_remainder_bounds(beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds ``β²/8`` and ``β²/(8(1-β)^{3/2})`` of ``langevin_remainder`` (``beta`` in (0, 1))."""
    beta = _rates(beta)
    return beta**2 / 8, beta**2 / (8 * (1 - beta) ** 1.5)


# --- sympy derivations: each returns expressions whose difference from the closed form is 0 ---

_a, _ab, _abp, _x0, _xt, _x, _e = sp.symbols(
    "alpha_t alphabar_t alphabar_prev x_0 x_t x_prev epsilon", real=True)
_a_pos, _abp_pos = sp.symbols("alpha_t alphabar_prev", positive=True)


def derive_posterior() -> dict[str, sp.Expr]:
    """Complete the square in ``log q(x_t|x_{t-1}) + log q(x_{t-1}|x_0)`` over ``x_{t-1}``.

    Returns sympy expressions for ``coef_x0``, ``coef_xt`` and ``var`` in terms of ``alpha_t`` and
    ``alphabar_prev`` (with ``ᾱ_t = α_t ᾱ_{t-1}``), derived, not typed: the precision is the
    coefficient of ``x_{t-1}²`` and the mean the ratio of the linear coefficient to it.
    """
    return dict(_derive_posterior())  # a copy: the derivation runs once per process


@cache
def _derive_posterior() -> dict[str, sp.Expr]:
    a, abp = _a_pos, _abp_pos
    beta = 1 - a
    logq = -(_xt - sp.sqrt(a) * _x) ** 2 / (2 * beta) - (_x - sp.sqrt(abp) * _x0) ** 2 / (
        2 * (1 - abp))
    poly = sp.Poly(sp.expand(logq), _x)
    quad = poly.coeff_monomial(_x**2)
    lin = poly.coeff_monomial(_x)
    precision = -2 * quad
    mean = sp.expand(lin / precision)
    return {
        "var": sp.simplify(1 / precision),
        "coef_x0": sp.simplify(mean.coeff(_x0)),
        "coef_xt": sp.simplify(mean.coeff(_xt)),
    }


def closed_form_posterior() -> dict[str, sp.Expr]:
    """The slide's ``μ̃_t`` coefficients and ``β̃_t`` (000 L8) as sympy expressions."""
    a, abp = _a_pos, _abp_pos
    ab = a * abp
    return {
        "var": (1 - a) * (1 - abp) / (1 - ab),
        "coef_x0": sp.sqrt(abp) * (1 - a) / (1 - ab),
        "coef_xt": sp.sqrt(a) * (1 - abp) / (1 - ab),
    }


def derive_forward_marginal_step() -> dict[str, sp.Expr]:
    """Induction step of ddpm.forward_marginal: if ``x_{t-1} = √ᾱ_{t-1} x_0 + √(1-ᾱ_{t-1}) ε'`` then
    ``x_t = √α_t x_{t-1} + √β_t ε`` has mean coefficient ``√(α_t ᾱ_{t-1})`` and variance
    ``α_t (1-ᾱ_{t-1}) + β_t``; returns both and the targets ``√ᾱ_t`` and ``1-ᾱ_t``.
    """
    a, abp = _a_pos, _abp_pos
    mean_coef = sp.sqrt(a) * sp.sqrt(abp)
    var = a * (1 - abp) + (1 - a)  # independent Gaussians: variances add (001 "Recall (1)")
    return {"mean_coef": mean_coef, "var": sp.expand(var),
            "target_mean_coef": sp.sqrt(a * abp), "target_var": 1 - a * abp}


def derive_eps_mean() -> sp.Expr:
    """Substitute ``x_0 = (x_t - √(1-ᾱ_t) ε)/√ᾱ_t`` into ``μ̃_t``; returns ``μ̃_t - (x_t/√α_t -
    β_t ε/√(α_t(1-ᾱ_t)))``, which simplifies to 0 (000 L8 "Reparametrization of DDPM")."""
    return _derive_eps_mean()


@cache
def _derive_eps_mean() -> sp.Expr:
    a, abp = _a_pos, _abp_pos
    ab = a * abp
    cf = closed_form_posterior()
    x0 = (_xt - sp.sqrt(1 - ab) * _e) / sp.sqrt(ab)
    mu = cf["coef_x0"] * x0 + cf["coef_xt"] * _xt
    target = _xt / sp.sqrt(a) - (1 - a) * _e / sp.sqrt(a * (1 - ab))
    return sp.simplify(sp.radsimp(mu - target))


def derive_loss_weight() -> sp.Expr:
    """``‖μ̃_t - μ_θ‖²/(2β̃_t)`` with both means in ε-form, divided by ``(ε - ε_θ)²``: the weight λ_t."""
    return _derive_loss_weight()


@cache
def _derive_loss_weight() -> sp.Expr:
    a, abp = _a_pos, _abp_pos
    ab = a * abp
    eps_t = sp.Symbol("epsilon_theta", real=True)
    coef = (1 - a) / sp.sqrt(a * (1 - ab))
    diff = (_xt / sp.sqrt(a) - coef * _e) - (_xt / sp.sqrt(a) - coef * eps_t)
    var = closed_form_posterior()["var"]
    return sp.simplify(sp.expand(diff**2 / (2 * var)) / sp.expand((_e - eps_t) ** 2))


def derive_score_step() -> sp.Expr:
    """``μ_θ`` in ε-form with ``ε_θ = -√(1-ᾱ_t) s_θ``, minus the score form of 000 L9; simplifies to 0."""
    a, abp = _a_pos, _abp_pos
    ab = a * abp
    s = sp.Symbol("s", real=True)
    eps = -sp.sqrt(1 - ab) * s
    mu = _xt / sp.sqrt(a) - (1 - a) * eps / sp.sqrt(a * (1 - ab))
    target = _xt / sp.sqrt(1 - (1 - a)) + (1 - a) / sp.sqrt(1 - (1 - a)) * s
    return sp.simplify(mu - target)


def derive_langevin_remainder() -> sp.Expr:
    """Series of ``√(1-β) - (1 - β/2)`` at ``β = 0``: ``-β²/8 + O(β³)`` (ddpm.forward_as_langevin)."""
    b = sp.Symbol("beta", positive=True)
    return sp.series(sp.sqrt(1 - b) - (1 - b / 2), b, 0, 3).removeO()
