"""Checks of flow matching: any Gaussian-path implementation held to the exact oracles.

Convention (000 L11-L12, stated once): ``t ∈ [0, 1]``, noise ``x_0 ~ N(0, I)`` at t = 0, data
``x_1`` at t = 1, ``x_t = α_t x_1 + σ_t x_0`` with ``σ_t`` a standard deviation. A library with
another convention is wrapped by an adapter that converts (see ``dgmcheck.adapters``).

A candidate is a path object with some of the methods of ``PathCandidate`` and a ``PathSpec``
saying which path it claims to be (``verify(candidate, spec)``). The path strategy
``path_specs`` lives in ``dgmcheck.checks.strategies``; ``fm_cases`` draws the checks' inputs here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks.conventions import declared
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.strategies import (
    Case,
    arrays,
    case_rng,
    edged,
    gaussian_mixtures,
    normal_arrays,
    path_specs,
    with_ends,
)
from dgmcheck.checks.tolerances import COUNTED, Tolerance, coarse, eps, evaluated, exact, rounded
from dgmcheck.theory import flow_matching as th
from dgmcheck.theory import quadrature
from dgmcheck.theory.flow_matching import PathSpec
from dgmcheck.theory.gaussian_mixture import GaussianMixture

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('flow_matching')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED: tuple[str, ...] = ()
#: Largest t drawn where a field needs σ_t > 0 (σ_1 = 0 for conical with σ_min = 0, linear, VE, VP).
T_MAX_FIELD = 0.95


class PathCandidate(Protocol):
    """What a flow-matching path implementation exposes (all optional; tensors batched on dim 0)."""

    def sample_xt(self, x0: Any, x1: Any, t: Any) -> Any: ...  # α_t x_1 + σ_t x_0
    def velocity(self, x0: Any, x1: Any, t: Any) -> Any: ...  # CFM target on the path
    def target_field(self, x: Any, x1: Any, t: Any) -> Any: ...  # u_t(x | x_1)
    def marginal_field(self, weights: Any, means: Any, covs: Any, x: Any, t: Any) -> Any: ...
    def cfm_loss(self, model: Callable, x0: Any, x1: Any, t: Any) -> Any: ...  # per sample
    def ode_sample(self, field: Callable, x0: Any, n_steps: int, method: str) -> Any: ...


@dataclass(frozen=True)
class FMCase(Case):
    """Inputs of one check: ``t`` (B,), float64 arrays ``x0, x1, x`` (B, d), data mixture."""

    t: np.ndarray
    x0: np.ndarray
    x1: np.ndarray
    x: np.ndarray
    mixture: GaussianMixture

    def describe(self) -> dict[str, Any]:
        return {"t": self.t.tolist(), "x0": self.x0, "x1": self.x1, "x": self.x,
                "mixture.means": self.mixture.means, "mixture.weights": self.mixture.weights,
                "dtype": str(self.dtype), "device": str(self.device), **self.extra}


def condition(spec: PathSpec, t: np.ndarray) -> np.ndarray:
    """Relative-error amplification of ``α_t, σ_t, σ'_t/σ_t`` (first order), per t.

    ``1 - (1-σ_min) t`` and ``1 - t`` cancel: ``t/σ_t``; VP: ``exp(-B/2)`` amplifies the rounding
    of ``B`` by ``B/2`` and ``1 - α²`` cancels by ``α²/σ²``. 4 covers the remaining few operations.
    """
    t = np.asarray(t, dtype=np.float64)
    a, s, _, _ = spec.coefficients(t)
    with np.errstate(divide="ignore"):
        cancel = np.where(s > 0, t / np.maximum(s, 1e-300), 0.0)
    out = 4.0 + cancel
    if spec.kind == "vp":
        u = 1.0 - t
        big_b = spec.beta_min * u + 0.5 * (spec.beta_max - spec.beta_min) * u**2
        with np.errstate(divide="ignore", over="ignore"):
            out = out + big_b + np.where(s > 0, a**2 / np.maximum(s, 1e-300) ** 2, 0.0)
    return out


def _tol(spec: PathSpec, case: FMCase, tol: Tolerance | None, extra: Any = 1.0) -> Tolerance:
    return tol if tol is not None else exact(case.dtype, condition(spec, case.t)[:, None] * extra)


def _seen(case: FMCase) -> FMCase:
    """The case as a coarse-dtype candidate sees it: ``t`` and the points rounded to ``dtype``, so the
    float64 oracle reads the very inputs the candidate got (float64 cases are returned as they are)."""
    if not coarse(case.dtype):
        return case
    return dataclasses.replace(case, t=rounded(case.t, case.dtype), x0=rounded(case.x0, case.dtype),
                               x1=rounded(case.x1, case.dtype), x=rounded(case.x, case.dtype))


#: Path kinds whose coefficients have a counted float32 error bound (``coefficient_errors``).
COUNTED_KINDS = ("conical", "linear", "ve", "vp", "trig")


def coefficient_errors(spec: PathSpec, t: np.ndarray, dtype: Any) -> tuple[np.ndarray, ...] | None:
    """First-order absolute errors, in units of ``u = eps(dtype)/2``, of ``(α_t, σ_t, α'_t, σ'_t)`` as
    code holding ``t`` exactly in ``dtype`` evaluates them (``None`` for kinds not counted here).

    The path's parameters are rounded to ``dtype`` (their actual rounding ``|p̂ - p|`` is counted);
    ``1 - t`` rounds only where it is inexact (Sterbenz: exact for t >= ½); conical ``σ = 1 - k t``
    rounds ``k t`` only where it is inexact (k = 1: never), then once more (either order,
    ``1 - k t`` or ``(1 - t) + σ_min t``). VP: ``B(s)`` sums positive terms (8 roundings, 2 more where
    ``s = 1 - t`` is inexact); ``exp(-B/2)`` amplifies them by ``B/2``, ``-expm1(-B)`` by
    ``B α²/σ²`` (halved by the square root); ``exp``/``expm1``/``sqrt`` round within one ulp (2u).
    """
    t = np.asarray(t, dtype=np.float64)
    a, s, da, ds = spec.coefficients(t)
    u = 0.5 * eps(dtype)

    def r(p: float) -> float:  # the rounding of a parameter, in u
        return float(abs(rounded(p, dtype) - p)) / u

    def inexact(v: np.ndarray) -> np.ndarray:
        return (rounded(v, dtype) != v).astype(np.float64)

    s_in = inexact(1.0 - t)
    zero = np.zeros_like(t)
    if spec.kind in ("conical", "linear"):
        k = 1.0 - (spec.sigma_min if spec.kind == "conical" else 0.0)
        kt = rounded(k, dtype) * t  # exact in float64 (two 24-bit significands)
        es = r(k) * t + inexact(kt) * k * t + s_in * (1.0 - t) + r(1.0 - k) * t + np.abs(s)
        return zero, es, zero, np.full_like(t, r(k))
    if spec.kind == "ve":
        es = np.abs(s) * (r(spec.sigma_max) / spec.sigma_max + 1.0 + s_in)
        return zero, es, zero, np.full_like(t, r(spec.sigma_max))
    if spec.kind == "trig":
        # α = sin(h t), σ = sin(h (1 - t)) or cos(h t) (torchcfm's form: its argument's rounding is not
        # shrunk by σ near t = 1), α' = h σ, σ' = -h α, h = π/2 rounded; sin and cos within one ulp (2u).
        h = 0.5 * np.pi
        arg_a, arg_s = h * t, h * (1.0 - t)
        e_arg_a = r(h) * t + arg_a  # h's rounding and the product's
        e_arg_s = r(h) * (1.0 - t) + arg_s + s_in * h * (1.0 - t)  # and 1 - t where inexact
        ea = np.abs(np.cos(arg_a)) * e_arg_a + 2.0 * np.abs(a)
        es = np.maximum(np.abs(np.cos(arg_s)) * e_arg_s, np.abs(np.sin(arg_a)) * e_arg_a) + 2.0 * np.abs(s)
        return ea, es, r(h) * np.abs(s) + h * es + np.abs(da), r(h) * np.abs(a) + h * ea + np.abs(ds)
    if spec.kind != "vp":
        return None
    s_ = 1.0 - t
    big_b = spec.beta_min * s_ + 0.5 * (spec.beta_max - spec.beta_min) * s_**2
    d_b = 8.0 + 2.0 * s_in
    ea = a * (0.5 * big_b * d_b + 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        amp = np.where(s > 0, big_b * a**2 / np.maximum(s, 1e-300) ** 2, 1.0)
        es = s * (0.5 * amp * d_b + 3.0)
        eda = da * (6.0 + s_in + ea / a)
        eds = np.where(s > 0, np.abs(ds) * (ea / a + eda / np.maximum(da, 1e-300) + es / np.maximum(s, 1e-300)
                                            + 2.0), 0.0)
    return ea, es, eda, eds


def _counted(spec: PathSpec, case: FMCase, tol: Tolerance | None, t: np.ndarray | None = None):
    """The coefficient errors of ``coefficient_errors`` as columns, where a float32 (or coarser) case is
    held to the formula's own roundings; ``None`` where the a-priori ``_tol`` applies (float64, an
    explicit ``tol``, a kind not counted)."""
    if tol is not None or not coarse(case.dtype):
        return None
    errs = coefficient_errors(spec, case.t if t is None else t, case.dtype)
    return None if errs is None else tuple(e[:, None] for e in errs)


def _counted_tol(dtype: Any, roundings: float, error: np.ndarray, scale: np.ndarray) -> Tolerance:
    """``evaluated(dtype, roundings, error/scale)``: ``error`` (in u, per element) is what the coefficients'
    own roundings move the result by, ``roundings`` those of the products and sums that combine them."""
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.where(scale > 0, error / np.where(scale > 0, scale, 1.0), 0.0)
    return evaluated(dtype, roundings, cond)


def _field_error(spec: PathSpec, errs: tuple[np.ndarray, ...], x: np.ndarray, x1: np.ndarray,
                 t: np.ndarray) -> np.ndarray:
    """The error (in u) the coefficient roundings put into ``u_t(x|x_1)``, for either form a candidate
    evaluates: ``σ'/σ (x - α x_1) + α' x_1`` (each coefficient's relative error times its term) or the
    conical ``(x_1 - k x)/(1 - k t)`` (the rounding of k in the numerator, σ's relative error in the whole)."""
    a, s, _, ds = _coef(spec, t)
    ea, es, eda, eds = errs
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(np.abs(ds) > 0, eds / np.abs(ds), 0.0) + es / s
        out = np.abs(ds / s) * (np.abs(x - a * x1) * rel + ea * np.abs(x1)) + eda * np.abs(x1)
        if spec.kind in ("conical", "linear"):
            out = out + (eds * np.abs(x) + np.abs(spec.conditional_field(x, x1, t)) * es) / s
    return out


# Roundings of the closed forms once their coefficients are held (the errors above): x_t and the CFM
# target are two products and a sum (3); the field a quotient σ'/σ, the products α x_1, σ'/σ (·) and
# α' x_1, a difference and a sum (6); the conical form (x_1 - k x)/(1 - k t) takes 3 of the same scale.
SAMPLE_ROUNDINGS = 3.0
FIELD_ROUNDINGS = 6.0


def _coef(spec: PathSpec, t: np.ndarray):
    return tuple(c[:, None] for c in spec.coefficients(t))


def _times(case: FMCase, t: np.ndarray | None = None):
    return case.tensor(case.t if t is None else t)


# --------------------------------------------------------------------------- path and fields
def check_gaussian_path_field(candidate: Any, spec: PathSpec, case: FMCase, *,
                              tol: Tolerance | None = None) -> None:
    """fm.gaussian_path_field: ``u_t(x|x_1) = σ'_t/σ_t (x - α_t x_1) + α'_t x_1`` at free x, and
    evaluated on the path it equals ``d x_t/dt = α'_t x_1 + σ'_t x_0`` (the field generates the path)."""
    theorem = "fm.gaussian_path_field"
    case = _seen(case)
    a, s, da, ds = _coef(spec, case.t)
    tol_ = _tol(spec, case, tol)
    errs = _counted(spec, case, tol)
    if spec.kind != "linear":  # pair conditioning has no x_1-only field
        obs = candidate.target_field(case.tensor(case.x), case.tensor(case.x1), _times(case))
        exp = spec.conditional_field(case.x, case.x1, case.t)
        scale = np.abs(ds / s) * (np.abs(case.x) + np.abs(a * case.x1)) + np.abs(da * case.x1)
        field_tol = tol_ if errs is None else _counted_tol(
            case.dtype, FIELD_ROUNDINGS, _field_error(spec, errs, case.x, case.x1, case.t), scale)
        assert_close(obs, exp, theorem=theorem, slide=SLIDES[theorem],
                     what="u_t(x|x_1) = σ'/σ (x - α x_1) + α' x_1", tol=field_tol, scale=scale,
                     inputs=case.describe())
        xt = candidate.sample_xt(case.tensor(case.x0), case.tensor(case.x1), _times(case))
        obs = candidate.target_field(xt, case.tensor(case.x1), _times(case))
        # x_t carries rounding of size eps(|α x_1| + |σ x_0|), which the field multiplies by |σ'/σ|
        # (once more each term: the field's own subtraction x - α x_1 rounds at the same size); two
        # candidate computations are chained, so the condition is counted twice.
        scale = np.abs(da * case.x1) + np.abs(ds * case.x0) * 2 + np.abs(ds / s * a * case.x1) * 2
        assert_close(obs, spec.velocity(case.x0, case.x1, case.t), theorem=theorem,
                     slide=SLIDES[theorem], what="u_t(x_t|x_1) = d x_t/dt on the path",
                     tol=_tol(spec, case, tol, 2.0), scale=scale, inputs=case.describe())
    obs = candidate.velocity(case.tensor(case.x0), case.tensor(case.x1), _times(case))
    scale = np.abs(da * case.x1) + np.abs(ds * case.x0)
    if errs is not None:
        # two routes: α' x_1 + σ' x_0 directly, or the field at the candidate's own x_t (torchcfm's
        # (x_1 - (1-σ_min) x_t)/(1 - (1-σ_min) t)), which multiplies x_t's error by |σ'/σ|
        xt = spec.sample(case.x0, case.x1, case.t)
        xt_err = (SAMPLE_ROUNDINGS * (np.abs(a * case.x1) + np.abs(s * case.x0)) + errs[0] * np.abs(case.x1)
                  + errs[1] * np.abs(case.x0))
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(s > 0, np.abs(ds) / np.where(s > 0, s, 1.0), 0.0)
            on_path = (gain * xt_err + _field_error(spec, errs, xt, case.x1, case.t)
                       + FIELD_ROUNDINGS * (gain * (np.abs(xt) + np.abs(a * case.x1)) + np.abs(da * case.x1)))
        on_path = np.where(s > 0, on_path, 0.0)
        direct = errs[2] * np.abs(case.x1) + errs[3] * np.abs(case.x0)
        tol_ = _counted_tol(case.dtype, SAMPLE_ROUNDINGS, np.maximum(direct, on_path), scale)
    assert_close(obs, spec.velocity(case.x0, case.x1, case.t), theorem=theorem,
                 slide=SLIDES[theorem], what="CFM target α'_t x_1 + σ'_t x_0", tol=tol_,
                 scale=scale, inputs=case.describe())


def _check_sample(candidate: Any, spec: PathSpec, case: FMCase, theorem: str, what: str,
                  t: np.ndarray, tol: Tolerance | None) -> None:
    case = _seen(case)
    t = rounded(t, case.dtype) if coarse(case.dtype) else t
    a, s, _, _ = _coef(spec, t)
    obs = candidate.sample_xt(case.tensor(case.x0), case.tensor(case.x1), case.tensor(t))
    scale = np.abs(a * case.x1) + np.abs(s * case.x0) + angle_rounding(spec, t, case.x0, case.x1)
    errs = _counted(spec, case, tol, t)
    if errs is not None:  # float32: the formula's own roundings on the t and points it got
        tol_ = _counted_tol(case.dtype, SAMPLE_ROUNDINGS, errs[0] * np.abs(case.x1) + errs[1] * np.abs(case.x0),
                            scale)
    else:
        tol_ = tol if tol is not None else exact(case.dtype, condition(spec, t)[:, None])
    assert_close(obs, a * case.x1 + s * case.x0, theorem=theorem, slide=SLIDES[theorem], what=what,
                 tol=tol_, scale=scale, inputs={**case.describe(), "t": np.asarray(t).tolist()})


def angle_rounding(spec: Any, t: np.ndarray, x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
    """Trigonometric paths only (0 elsewhere): the first-order change of ``sin θ x_1 + cos θ x_0``,
    ``θ = πt/2``, under a relative rounding of θ, ``θ (|cos θ x_1| + |sin θ x_0|)``. ``cos`` of a
    rounded π/2 is not 0 (float32: -4.4e-8), so a correct ``cos(πt/2)`` leaves that much of ``x_0``
    at t = 1, where the ``σ_t x_0`` term of the scale vanishes."""
    if getattr(spec, "kind", getattr(spec, "interpolant", None)) != "trig":
        return np.zeros(np.broadcast_shapes(np.shape(x0), np.shape(x1)))
    theta = 0.5 * np.pi * np.asarray(t, dtype=np.float64)[:, None]
    return theta * (np.abs(np.cos(theta) * x1) + np.abs(np.sin(theta) * x0))


def _need(spec: PathSpec, kind: str, theorem: str) -> None:
    if spec.kind != kind:
        raise TypeError(f"{theorem} checks a {kind} path; the spec is {spec.kind!r}")


def check_conical_path(candidate: Any, spec: PathSpec, case: FMCase, *,
                       tol: Tolerance | None = None) -> None:
    """fm.conical_path: ``x_t = t x_1 + (1 - (1-σ_min) t) x_0`` and
    ``u_t(x|x_1) = (x_1 - (1-σ_min) x)/(1 - (1-σ_min) t)``."""
    theorem = "fm.conical_path"
    _need(spec, "conical", theorem)
    case = _seen(case)
    _check_sample(candidate, spec, case, theorem, "x_t = t x_1 + (1 - (1-σ_min) t) x_0", case.t, tol)
    k = 1.0 - spec.sigma_min
    tt = case.t[:, None]
    exp = (case.x1 - k * case.x) / (1.0 - k * tt)
    obs = candidate.target_field(case.tensor(case.x), case.tensor(case.x1), _times(case))
    scale = (np.abs(case.x1) + np.abs(k * case.x)) / (1.0 - k * tt)  # = the general form's scale
    errs = _counted(spec, case, tol)
    tol_ = _tol(spec, case, tol) if errs is None else _counted_tol(
        case.dtype, FIELD_ROUNDINGS, _field_error(spec, errs, case.x, case.x1, case.t), scale)
    assert_close(obs, exp, theorem=theorem, slide=SLIDES[theorem],
                 what="u_t(x|x_1) = (x_1 - (1-σ_min) x)/(1 - (1-σ_min) t)", tol=tol_,
                 scale=scale, inputs=case.describe())


def check_linear_interpolation(candidate: Any, spec: PathSpec, case: FMCase, *,
                               tol: Tolerance | None = None) -> None:
    """fm.linear_interpolation: ``x_t = t x_1 + (1-t) x_0`` and target ``x_1 - x_0`` (exact)."""
    theorem = "fm.linear_interpolation"
    _need(spec, "linear", theorem)
    _check_sample(candidate, spec, case, theorem, "x_t = t x_1 + (1-t) x_0", case.t, tol)
    obs = candidate.velocity(case.tensor(case.x0), case.tensor(case.x1), _times(case))
    assert_close(obs, case.x1 - case.x0, theorem=theorem, slide=SLIDES[theorem],
                 what="d x_t/dt = x_1 - x_0", tol=_tol(spec, case, tol),
                 scale=np.abs(case.x1) + np.abs(case.x0), inputs=case.describe())


def check_boundary_conditions(candidate: Any, spec: PathSpec, case: FMCase, *,
                              tol: Tolerance | None = None) -> None:
    """fm.boundary_conditions: ``x_{t=0} = α_0 x_1 + σ_0 x_0`` and ``x_{t=1} = α_1 x_1 + σ_1 x_0``
    with the spec's end values (conical: ``x_0`` and ``x_1 + σ_min x_0``; linear: ``x_0``, ``x_1``;
    VE: ``x_1 + σ_max x_0`` and ``x_1``; VP: ``a(1) x_1 + √(1-a(1)²) x_0`` and ``x_1``)."""
    theorem = "fm.boundary_conditions"
    B = len(case.t)
    for end in (0.0, 1.0):
        t = np.full(B, end)
        _check_sample(candidate, spec, case, theorem, f"x_t at t = {end:g} (noise at 0, data at 1)",
                      t, tol)


def _slide_field(spec: PathSpec, case: FMCase) -> tuple[np.ndarray, np.ndarray]:
    """The 000 L13 VE/VP conditional fields written as on the slide, and their scale."""
    s = 1.0 - case.t[:, None]
    if spec.kind == "ve":
        sig, dsig = spec.sigma_max * s, spec.sigma_max * np.ones_like(s)  # σ(s), σ'(s)
        return -dsig / sig * (case.x - case.x1), np.abs(dsig / sig) * (np.abs(case.x) + np.abs(case.x1))
    big_b = spec.beta_min * s + 0.5 * (spec.beta_max - spec.beta_min) * s**2
    beta = spec.beta_min + s * (spec.beta_max - spec.beta_min)
    a = np.exp(-0.5 * big_b)
    da_ds = -0.5 * beta * a  # a'(s); the slide's α'_{1-t}
    c = da_ds / (-np.expm1(-big_b))  # α'_{1-t}/(1 - α²_{1-t}) with α' = d a/ds (as on the slide)
    return c * (a * case.x - case.x1), np.abs(c) * (np.abs(a * case.x) + np.abs(case.x1))


def _check_sde_path(candidate: Any, spec: PathSpec, case: FMCase, theorem: str,
                    tol: Tolerance | None) -> None:
    _need(spec, theorem.split(".")[1].split("_")[0], theorem)
    case = _seen(case)
    _check_sample(candidate, spec, case, theorem, f"x_t of the {spec.kind.upper()} path", case.t, tol)
    exp, scale = _slide_field(spec, case)
    obs = candidate.target_field(case.tensor(case.x), case.tensor(case.x1), _times(case))
    assert_close(obs, exp, theorem=theorem, slide=SLIDES[theorem],
                 what=f"{spec.kind.upper()} conditional field (000 L13)", tol=_tol(spec, case, tol),
                 scale=scale, inputs=case.describe())
    if callable(getattr(candidate, "marginal_field", None)):
        t0 = float(case.t[0])
        exp = th.pf_ode_field(case.mixture, spec, case.x, t0)
        obs = _candidate_marginal(candidate, case, t0)
        a, sig, _, _ = (float(c) for c in spec.coefficients(np.float64(t0)))
        score = case.mixture.noised(a, sig**2).score(case.x)
        s = 1.0 - t0
        g2 = 2 * spec.sigma_max**2 * s if spec.kind == "ve" else spec.beta_min + s * (spec.beta_max - spec.beta_min)
        # the PF form sums ½g²|score| (and ½β|x| for VP), which can cancel: both enter the scale
        pf_scale = 0.5 * g2 * (np.abs(score) + (np.abs(case.x) if spec.kind == "vp" else 0.0))
        assert_close(obs, exp, theorem=theorem, slide=SLIDES[theorem],
                     what="marginal FM field = -(PF-ODE drift) at s = 1 - t",
                     tol=_marginal_tol(spec, case, t0, tol),
                     scale=np.maximum(_marginal_scale(spec, case, t0), pf_scale),
                     inputs={**case.describe(), "t": t0})


def check_ve_path(candidate: Any, spec: PathSpec, case: FMCase, *, tol: Tolerance | None = None) -> None:
    """fm.ve_path: ``x_t = x_1 + σ(1-t) x_0``, ``u = -σ'(1-t)/σ(1-t) (x - x_1)``, and the marginal
    field equals ``-[-½ g² ∇log p_s]`` at ``s = 1 - t`` (VE PF-ODE reversed in time)."""
    _check_sde_path(candidate, spec, case, "fm.ve_path", tol)


def check_vp_path(candidate: Any, spec: PathSpec, case: FMCase, *, tol: Tolerance | None = None) -> None:
    """fm.vp_path: ``x_t = a(1-t) x_1 + √(1-a²) x_0``, ``u = a'(s)/(1-a(s)²) (a(s) x - x_1)`` at
    s = 1 - t, and the marginal field equals ``-[-½β x - ½β ∇log p_s]`` (VP PF-ODE reversed)."""
    _check_sde_path(candidate, spec, case, "fm.vp_path", tol)


# --------------------------------------------------------------------------- marginal field
def _candidate_marginal(candidate: Any, case: FMCase, t: float):
    m = case.mixture
    return candidate.marginal_field(case.tensor(m.weights), case.tensor(m.means), case.tensor(m.covs),
                                    case.tensor(case.x), case.tensor(np.full(len(case.t), t)))


def _marginal_scale(spec: PathSpec, case: FMCase, t: float) -> np.ndarray:
    a, s, da, ds = (float(c) for c in spec.coefficients(np.float64(t)))
    m = case.mixture
    spread = np.abs(m.means).max() + np.abs(a) * np.abs(m.covs).max() * np.abs(case.x).max() / max(
        a**2 * np.linalg.eigvalsh(m.covs).min() + s**2, 1e-300) * 2
    return np.abs(ds / s) * np.abs(case.x) + np.abs(da - ds * a / s) * spread


def _marginal_tol(spec: PathSpec, case: FMCase, t: float, tol: Tolerance | None) -> Tolerance:
    """Condition of the mixture field: κ(Σ_k,t) for the solve, the size of the softmax logits
    (a relative error δ in a logit ℓ moves the responsibilities by δ|ℓ|), and the path's own."""
    if tol is not None:
        return tol
    a, s, _, _ = (float(c) for c in spec.coefficients(np.float64(t)))
    noised = case.mixture.noised(a, s**2)
    eig = np.linalg.eigvalsh(noised.covs)
    kappa = float((eig[:, -1] / eig[:, 0]).max())
    logc, _ = noised._component_terms(case.x)
    logits = float(np.abs(logc).max())
    return exact(case.dtype, kappa + logits + float(condition(spec, np.array([t]))[0]))


def check_marginal_vector_field(candidate: Any, spec: PathSpec, case: FMCase, *,
                                tol: Tolerance | None = None) -> None:
    """fm.marginal_vector_field: ``u_t(x) = E_{p_t(x_1|x)} u_t(x|x_1)`` for Gaussian-mixture data,
    exactly (posterior over components, Gaussian conditioning within each)."""
    theorem = "fm.marginal_vector_field"
    t0 = float(case.t[0])
    obs = _candidate_marginal(candidate, case, t0)
    exp = th.marginal_field(case.mixture, spec, case.x, t0)
    assert_close(obs, exp, theorem=theorem, slide=SLIDES[theorem],
                 what="u_t(x) = E[u_t(x|x_1) | x_t = x]", tol=_marginal_tol(spec, case, t0, tol),
                 scale=_marginal_scale(spec, case, t0), inputs={**case.describe(), "t": t0})


# --------------------------------------------------------------------------- CFM vs FM
def _linear_model(W: np.ndarray, b: np.ndarray, case: FMCase, c: np.ndarray | None = None):
    """``v(x, t) = W x + b + t c``; with ``c`` the field depends on t, so a loss that evaluates the
    model at another time than the path's (``v(x_t, t ± 1)``) is seen."""
    Wt, bt = case.tensor(W), case.tensor(b)
    ct = None if c is None else case.tensor(c)

    def model(x, t):
        import torch

        out = x @ Wt.T + bt
        if ct is None:
            return out
        return out + torch.as_tensor(t, dtype=x.dtype, device=x.device).reshape(-1, 1) * ct

    return model


def check_cfm_equals_fm(candidate: Any, spec: PathSpec, case: FMCase, *,
                        tol: Tolerance | None = None) -> None:
    """fm.cfm_equals_fm: (1) per sample, ``cfm_loss = ||v(x_t) - (α' x_1 + σ' x_0)||²``; (2) at
    one t, for 1-D Gaussian data ``N(m, c)`` and ``v = W x + b``, the candidate's CFM loss averaged
    with Gauss-Hermite weights over ``(x_0, x_1)`` (exact: the integrand is a quadratic) equals
    ``L_FM(W, b) + C_t`` with ``C_t = (α' - σ'α/σ)² Var(x_1|x_t)`` independent of (W, b)."""
    theorem = "fm.cfm_equals_fm"
    W, b, c = case.extra["W"], case.extra["b"], case.extra["c"]
    model = _linear_model(W, b, case, c)
    obs = candidate.cfm_loss(model, case.tensor(case.x0), case.tensor(case.x1), _times(case))
    xt = spec.sample(case.x0, case.x1, case.t)
    pred = xt @ W.T + b + case.t[:, None] * c
    target = spec.velocity(case.x0, case.x1, case.t)
    exp = np.sum((pred - target) ** 2, axis=-1)
    a, _, da, ds = _coef(spec, case.t)
    # each residual r = v(x_t) - target is a difference of terms of total magnitude ``mag``; the
    # candidate's r carries an error e <= rtol·mag, so |Δ r²| <= 2|r| e + e² per coordinate.
    mag = (np.abs(xt) @ np.abs(W).T + np.abs(b) + np.abs(da * case.x1) + np.abs(ds * case.x0)
           + np.abs(a * case.x1) * np.abs(W).sum(axis=1) + np.abs(case.t[:, None] * c))
    tol_ = _tol(spec, case, tol, float(1 + np.abs(W).sum()))
    rtol = np.asarray(tol_.rtol)[:, 0] if tol is None else np.asarray(tol_.rtol)
    scale = np.sum(2 * np.abs(pred - target) * mag + np.broadcast_to(np.atleast_1d(rtol), (len(mag),))[:, None]
                   * mag**2, axis=-1)
    tol_ = Tolerance(rtol, tol_.atol)
    assert_close(obs, exp, theorem=theorem, slide=SLIDES[theorem],
                 what="per-sample CFM loss ||v(x_t, t) - (α' x_1 + σ' x_0)||²", tol=tol_, scale=scale,
                 inputs=case.describe())
    # (2) the expectation identity at one time
    t0 = float(case.t[0])
    m, c = float(case.extra["data_mean"]), float(case.extra["data_var"])
    w1, b1 = np.array([[case.extra["w1"]]]), np.array([case.extra["b1"]])
    z, wz = quadrature.normal_1d(4)  # exact for polynomials of degree <= 7
    X0, X1 = np.meshgrid(z, m + np.sqrt(c) * z, indexing="ij")
    weights = np.outer(wz, wz).ravel()
    x0, x1 = X0.reshape(-1, 1), X1.reshape(-1, 1)
    tt = np.full(len(x0), t0)
    sub = FMCase(tt, x0, x1, x0, case.mixture, dtype=case.dtype, device=case.device)
    losses = to_numpy(candidate.cfm_loss(_linear_model(w1, b1, sub), sub.tensor(x0), sub.tensor(x1),
                                         sub.tensor(tt)))
    obj = th.linear_model_objectives(spec, t0, np.array([m]), np.array([[c]]), w1, b1)
    observed = float(np.sum(weights * losses))
    scale = float(np.sum(weights * np.abs(losses))) * 4
    assert_close(observed, obj.fm + obj.gap, theorem=theorem, slide=SLIDES[theorem],
                 what="E[CFM loss] = L_FM(θ) + C_t (C_t independent of θ)",
                 tol=exact(case.dtype, float(condition(spec, np.array([t0]))[0]) * (1 + abs(w1[0, 0]))),
                 scale=scale, inputs={"t": t0, "data_mean": m, "data_var": c, "W": w1, "b": b1,
                                      "L_FM": obj.fm, "C_t": obj.gap})


# --------------------------------------------------------------------------- ODE sampling
ORDERS = {"euler": 1, "heun": 2}
#: The observed order ``log2(e_N / e_2N)`` of a p-th order method is ``p + O(h)`` when its leading
#: error constant is non-zero, and larger when it vanishes (Heun on some Gaussian flows is third
#: order); the theorem is ``e_N = O(h^p)``, so the check asserts the observed order >= p - slack.
#: A first-order Heun or an Euler on the wrong times (order <= 1 or 0) is outside it. N (below)
#: keeps the O(h) term of the order estimate under the slack for the drawn data.
ORDER_SLACK = 0.3


def _base_steps(lipschitz: float, method: str) -> int:
    """N with ``h L <= 1/32`` (Heun) or ``1/64`` (Euler): the O(hL) term of the order estimate stays
    well inside the slack, and e_2N stays far above rounding for float32."""
    return int(np.ceil((32 if method == "heun" else 64) * max(lipschitz, 1.0)))


def check_ode_sampling(candidate: Any, spec: PathSpec, case: FMCase, *,
                       tol: Tolerance | None = None) -> None:
    """fm.ode_sampling: integrating the exact marginal field of Gaussian data ``N(m, v)`` (per
    coordinate) from ``x_0`` approaches the exact flow ``x_1 = m_1 + (s_1/s_0)(x_0 - m_0)`` with
    error ``O(h^p)``: Euler p = 1, Heun p = 2 (observed order ``log2(e_N/e_2N) >= p - ORDER_SLACK``).
    The error is measured on the affine map's offset and slope (``x_0 = 0`` and ``1``); the data
    ``|m| ∈ [0.5, 2]``, ``v ∈ [0.05, 0.5]`` keep the flow away from the identity (a stationary
    path has a zero field and no error to measure)."""
    import torch

    theorem = "fm.ode_sampling"
    m = float(np.sign(case.extra["data_mean"]) or 1.0) * (0.5 + 0.75 * abs(case.extra["data_mean"]))
    v = 0.05 + 0.225 * float(case.extra["data_var"])

    def gain(tn: float) -> tuple[float, float, float]:
        a, s, da, ds = (float(c) for c in spec.coefficients(np.float64(tn)))
        s_ds = -a * da if spec.kind == "vp" else s * ds  # ½ d(σ²)/dt, finite where σ = 0
        return a, da, (a * da * v + s_ds) / (a**2 * v + s**2)

    def fld(x, t):
        # a candidate's t + h may round past 1 (e.g. 1 + 2e-16): the field is evaluated at the
        # nearest time in [0, 1], where it is defined
        a, da, k = gain(min(max(float(to_numpy(t)[0]), 0.0), 1.0))
        return da * m + k * (x - a * m)

    lipschitz = max(abs(gain(tn)[2]) for tn in np.linspace(0.0, 1.0, 201))

    x0 = case.tensor(np.array([[0.0], [1.0]]))
    exact_end = th.gaussian_flow_map(spec, np.array(m), np.array(v), np.array([[0.0], [1.0]]), 0.0, 1.0)
    ex = np.array([exact_end[0, 0], exact_end[1, 0] - exact_end[0, 0]])  # offset, slope
    for method in getattr(candidate, "ode_methods", ("euler", "heun")):
        p = ORDERS[method]
        n = _base_steps(lipschitz, method)
        errs = []
        for steps in (n, 2 * n):
            with torch.no_grad():
                out = to_numpy(candidate.ode_sample(fld, x0, steps, method))[:, 0]
            errs.append(np.abs(np.array([out[0], out[1] - out[0]]) - ex))
        i = int(np.argmax(errs[0]))
        e1, e2 = float(errs[0][i]), float(errs[1][i])
        floor = _rounding_floor(case.dtype, 2 * n, lipschitz, 1.0 + abs(m) + float(np.max(np.abs(exact_end))))
        order = _observed_order(e1, e2, floor)
        if not order >= p - ORDER_SLACK:
            raise TheoremViolation(
                theorem, f"{method}: observed order log2(e_N/e_2N) = {order:.3f}, expected >= {p} "
                f"- {ORDER_SLACK} (e_N = {e1:.3e}, e_2N = {e2:.3e}, N = {n}, rounding allowed "
                f"{floor:.1e} on each)",
                slide=SLIDES[theorem], inputs={"data_mean": m, "data_var": v, "spec": spec,
                                               "method": method},
                expected=p, observed=order)


#: Roundings of one step of a method that adds ``h·(k1 + k2)/2`` to ``x``: the sum, the product, the update.
STEP_ROUNDINGS = 4.0


def _rounding_floor(dtype: Any, steps: int, lipschitz: float, size: float) -> float:
    """What rounding alone can move the end of a ``steps``-step integration in ``dtype``: each step's
    roundings (``STEP_ROUNDINGS`` of relative size u against the state's ``size``) added up, each carried to
    the end by the flow's growth ``e^L`` at most; ``COUNTED`` for the second order."""
    u = 0.5 * eps(dtype)
    return COUNTED * STEP_ROUNDINGS * u * steps * size * float(np.exp(lipschitz))


def _observed_order(e1: float, e2: float, floor: float) -> float:
    """``log2(e_N/e_2N)`` read in the method's favour when rounding (at most ``floor`` on each error) can
    move it: the largest order the discretization errors can have, ``log2((e_N + floor)/(e_2N - floor))``
    (infinite when e_2N is within rounding: the order is not measurable there, and no violation is
    claimed). ``floor = 0`` gives the plain ratio."""
    low = e2 - floor
    if low <= 0:
        return np.inf
    return float(np.log2((e1 + floor) / low))


# --------------------------------------------------------------------------- strategies
@st.composite
def fm_cases(draw: st.DrawFn, *, dtype: Any, device: Any = "cpu", t_max: float = T_MAX_FIELD,
             max_batch: int = 5, max_dim: int = 3) -> FMCase:
    """Inputs: times in ``[0, t_max]`` (0 and t_max with raised probability), points, a mixture
    of the same dimension, a linear model (W, b), 1-D Gaussian data (mean, var) and a 1-D model."""
    mixture = draw(gaussian_mixtures(max_dim=max_dim, max_components=3))
    d = mixture.dim
    B = draw(st.integers(1, max_batch))
    rng = case_rng(draw)  # one seed for the model parameters and the data law
    t = with_ends(rng, draw(arrays((B,), 0.0, t_max)), (0.0, t_max), p=2 / 3)
    extra = {"W": edged(rng, (d, d), -1.0, 1.0), "b": edged(rng, (d,), -1.0, 1.0),
             "data_mean": rng.uniform(-2.0, 2.0), "data_var": rng.uniform(0.05, 2.0),
             "w1": rng.uniform(-2.0, 2.0), "b1": rng.uniform(-2.0, 2.0)}
    # drawn last so the draws above stay as they were; |c| >= 1/2 keeps v's dependence on t visible
    extra["c"] = rng.choice([-1.0, 1.0], d) * rng.uniform(0.5, 1.5, d)
    return FMCase(t, draw(normal_arrays((B, d))), draw(arrays((B, d), -3.0, 3.0)),
                  draw(arrays((B, d), -4.0, 4.0)), mixture, dtype=dtype, device=device,
                  extra=extra)


# --------------------------------------------------------------------------- verify
@dataclass(frozen=True)
class Property(_verify.Property):
    kinds: tuple[str, ...] = th.KINDS


PROPERTIES: tuple[Property, ...] = (
    Property("gaussian_path_field", "fm.gaussian_path_field", check_gaussian_path_field,
             ("sample_xt", "velocity", "target_field")),
    Property("conical_path", "fm.conical_path", check_conical_path, ("sample_xt", "target_field"),
             ("conical",)),
    Property("linear_interpolation", "fm.linear_interpolation", check_linear_interpolation,
             ("sample_xt", "velocity"), ("linear",)),
    Property("boundary_conditions", "fm.boundary_conditions", check_boundary_conditions, ("sample_xt",)),
    Property("ve_path", "fm.ve_path", check_ve_path, ("sample_xt", "target_field"), ("ve",)),
    Property("vp_path", "fm.vp_path", check_vp_path, ("sample_xt", "target_field"), ("vp",)),
    Property("marginal_vector_field", "fm.marginal_vector_field", check_marginal_vector_field,
             ("marginal_field",), ("conical", "ve", "vp", "trig")),
    Property("cfm_equals_fm", "fm.cfm_equals_fm", check_cfm_equals_fm, ("cfm_loss",)),
    Property("ode_sampling", "fm.ode_sampling", check_ode_sampling, ("ode_sample",)),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


class VerifyReport(_verify.VerifyReport):
    concept = "flow_matching"


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any, spec: PathSpec | None = None) -> VerifyReport:
    """Run every flow-matching property the candidate supports under Hypothesis.

    ``spec`` (default: ``candidate.spec``) is the path the candidate claims to implement.
    ``dtype``/``device`` default to the candidate's attributes, else float64 on the CPU. A named
    property whose methods or path kind the candidate lacks is a TypeError. Every applicable
    property runs; a failure raises ``VerifyFailed`` with the whole report (``raise_on_failure``).
    """
    spec = spec if spec is not None else getattr(candidate, "spec", None)
    if not isinstance(spec, PathSpec):
        raise TypeError("spec must be a dgmcheck.theory.flow_matching.PathSpec (or candidate.spec), "
                        f"got {type(spec).__name__}")
    table = [dataclasses.replace(p, check=lambda c, case, _p=p: _p.check(c, spec, case)) for p in PROPERTIES]
    return run.properties(
        lambda prop: fm_cases(dtype=run.dtype, device=run.device), table=table, name=f"{run.name} ({spec})",
        not_applicable=lambda prop: None if spec.kind in prop.kinds else f"needs a {'/'.join(prop.kinds)} path",
        provides="flow-matching methods (see dgmcheck.checks.flow_matching.PathCandidate)")


def verify_over_specs(factory: Callable[[PathSpec], Any], *, dtype: Any = None, device: Any = "cpu",
                      properties: Iterable[str] | None = None,
                      spec_strategy: st.SearchStrategy | None = None,
                      conventions: Any = None, max_examples: int | None = None, shrink: bool | float = True,
                      raise_on_failure: bool = True) -> VerifyReport:
    """Like ``verify`` for a path built from its parameters: ``factory(spec)`` is called on drawn
    specs (``path_specs()`` by default) and each property is checked on drawn inputs wherever the
    built candidate has its methods. Returns the report (``VerifyFailed`` on a failure)."""
    conv = declared(conventions, "flow_matching", CONVENTIONS_HONOURED)
    dtype, device = _verify.dtype_device(None, dtype, device)
    specs = spec_strategy if spec_strategy is not None else path_specs()

    def over(prop: Property) -> Callable[..., None]:
        def check(factory_: Callable, pair: tuple[PathSpec, FMCase]) -> None:
            spec, case = pair
            candidate = factory_(spec)
            if all(callable(getattr(candidate, m, None)) for m in prop.requires):
                prop.check(candidate, spec, case)
        return check

    table = [dataclasses.replace(p, check=over(p), requires=()) for p in PROPERTIES]
    return _verify.run_properties(
        factory, table, VerifyReport(_verify.candidate_name(factory)),
        wanted=_verify.select(properties, PROPERTY_NAMES), kw=_verify.settings_kw(max_examples, shrink),
        strategy=lambda prop: specs.filter(lambda sp, k=prop.kinds: sp.kind in k).flatmap(
            lambda sp: st.tuples(st.just(sp), fm_cases(dtype=dtype, device=device))),
        raise_on_failure=raise_on_failure, conventions=conv)


# --------------------------------------------------------------------------- pair-conditioned paths
#: Bridge fields are checked on ``t ∈ [T_MIN_BRIDGE, 1 - T_MIN_BRIDGE]``: ``(1-2t)/(2t(1-t))`` is singular
#: at the ends (the law is checked on all of [0, 1]).
T_MIN_BRIDGE = 0.05


class PairPathCandidate(Protocol):
    """A path conditioned on ``(x_0, x_1)`` with an extra noise ``ε`` (all optional but ``sample_xt``)."""

    def sample_xt(self, x0: Any, x1: Any, t: Any, eps: Any) -> Any: ...  # μ_t + w_t ε
    def target_field(self, x: Any, x0: Any, x1: Any, t: Any) -> Any: ...  # u_t(x | x_0, x_1)
    # (x_0', x_1', x_t, u_t): the pairs a matcher trained on (re-paired, e.g. by OT) and its sample
    def training_sample(self, x0: Any, x1: Any, t: Any, eps: Any) -> Any: ...


@dataclass(frozen=True)
class PairCase(Case):
    """Inputs: ``t`` (B,) in [0, 1] for the law, ``tf`` (B,) in ``[T_MIN_BRIDGE, 1 - T_MIN_BRIDGE]`` for
    the field, float64 ``x0, x1, x, eps`` (B, d)."""

    t: np.ndarray
    tf: np.ndarray
    x0: np.ndarray
    x1: np.ndarray
    x: np.ndarray
    eps: np.ndarray

    def describe(self) -> dict[str, Any]:
        return {"t": self.t.tolist(), "tf": self.tf.tolist(), "x0": self.x0, "x1": self.x1, "x": self.x,
                "eps": self.eps, "dtype": str(self.dtype), "device": str(self.device), **self.extra}


@st.composite
def pair_cases(draw: st.DrawFn, *, dtype: Any, device: Any = "cpu", max_batch: int = 5,
               max_dim: int = 3) -> PairCase:
    """Times with the ends 0, ½, 1 (law) and ``T_MIN_BRIDGE``, ½, ``1 - T_MIN_BRIDGE`` (field) at raised
    probability, noise ``x0`` and ``eps`` standard normal, data ``x1`` and free points ``x``."""
    B, d = draw(st.integers(1, max_batch)), draw(st.integers(1, max_dim))
    rng = case_rng(draw)
    t = with_ends(rng, draw(arrays((B,), 0.0, 1.0)), (0.0, 0.5, 1.0), p=1 / 2)
    lo, hi = T_MIN_BRIDGE, 1.0 - T_MIN_BRIDGE
    tf = with_ends(rng, draw(arrays((B,), lo, hi)), (lo, 0.5, hi), p=1 / 2)
    return PairCase(t, tf, draw(normal_arrays((B, d))), draw(arrays((B, d), -3.0, 3.0)),
                    draw(arrays((B, d), -4.0, 4.0)), draw(normal_arrays((B, d))), dtype=dtype, device=device)


def pair_theorem(spec: th.PairPathSpec) -> str:
    """The theorem a pair path's law and field are held to: the Brownian bridge is
    fm.schrodinger_bridge_path; a constant width is the slide's ε of pair conditioning
    (fm.linear_interpolation) or, for the trigonometric mean, the general fm.gaussian_path_field."""
    if spec.width == "bridge":
        return "fm.schrodinger_bridge_path"
    return "fm.linear_interpolation" if spec.interpolant == "linear" else "fm.gaussian_path_field"


def _pair_condition(spec: th.PairPathSpec, t: np.ndarray) -> np.ndarray:
    """Relative-error amplification of ``a_t, b_t, w_t`` under the rounding of t (first order):
    ``1 - t`` (linear mean, bridge width) by ``t/(1-t)``; the trigonometric mean as ``PathSpec("trig")``."""
    t = np.asarray(t, dtype=np.float64)
    with np.errstate(divide="ignore"):
        cancel = np.where(t < 1.0, t / np.maximum(1.0 - t, 1e-300), 0.0)
    out = 4.0 + cancel
    if spec.interpolant == "trig":
        out = np.maximum(out, condition(PathSpec("trig"), t))
    return out


def _pair_tol(spec: th.PairPathSpec, case: PairCase, t: np.ndarray, tol: Tolerance | None,
              extra: float = 1.0) -> Tolerance:
    return tol if tol is not None else exact(case.dtype, _pair_condition(spec, t)[:, None] * extra)


def _pair_sample_scale(spec: th.PairPathSpec, t: np.ndarray, x0: np.ndarray, x1: np.ndarray,
                       eps: np.ndarray) -> np.ndarray:
    a, b, _, _ = (c[:, None] for c in spec.mean_coefficients(t))
    w = spec.width_of(t)[0][:, None]
    return np.abs(a * x1) + np.abs(b * x0) + np.abs(w * eps) + angle_rounding(spec, t, x0, x1)


def _pair_field_scale(spec: th.PairPathSpec, t: np.ndarray, x: np.ndarray, x0: np.ndarray,
                      x1: np.ndarray) -> np.ndarray:
    """The magnitudes the field sums: ``|a' x_1| + |b' x_0|`` and ``|1| + |2t|`` over ``2t(1-t)``
    times ``|x| + |μ_t|`` (the bridge's ``1 - 2t`` and ``x - μ_t`` both cancel)."""
    a, b, da, db = (c[:, None] for c in spec.mean_coefficients(t))
    tt = np.asarray(t, dtype=np.float64)[:, None]
    gain = 0.0 if spec.width == "constant" else (1.0 + 2.0 * tt) / (2.0 * tt * (1.0 - tt) + spec.offset)
    return (np.abs(da * x1) + np.abs(db * x0) + gain * (np.abs(x) + np.abs(a * x1) + np.abs(b * x0))
            + angle_rounding(spec, t, x0, x1))


def check_schrodinger_bridge_path(candidate: Any, spec: th.PairPathSpec, case: PairCase, *,
                                  tol: Tolerance | None = None) -> None:
    """fm.schrodinger_bridge_path (and any ``PairPathSpec``): the law and the field of
    ``x_t = μ_t + w_t ε`` given ``(x_0, x_1)``, exactly.

    (1) The law ``N(μ_t, w_t² I)``: ``sample_xt(ε = 0) = μ_t`` (the mean), ``Cov = L Lᵀ = w_t² I`` with
    ``L e_j = sample_xt(e_j) - sample_xt(0)`` (the noise width: σ√(t(1-t)) for the bridge, not σ, σ²
    or σ t(1-t)), and at the drawn ε ``sample_xt(ε) = μ_t + w_t ε``. (2) With ``target_field``, at
    ``t ∈ [T_MIN_BRIDGE, 1 - T_MIN_BRIDGE]``: at free x ``u_t(x | x_0, x_1) = μ'_t + (w'/w)(x - μ_t)``
    (the bridge: ``(1-2t)/(2t(1-t)) (x - μ_t) + x_1 - x_0``), and on the candidate's own ``x_t`` the
    same field (= ``d x_t/dt`` when ``spec.offset = 0``)."""
    theorem = pair_theorem(spec)
    slide = SLIDES[theorem]
    t, x0, x1, eps = case.t, case.x0, case.x1, case.eps
    d = x0.shape[1]
    T, X0, X1 = case.tensor(t), case.tensor(x0), case.tensor(x1)
    zero = np.zeros_like(eps)
    mean = to_numpy(candidate.sample_xt(X0, X1, T, case.tensor(zero)))
    tol_ = _pair_tol(spec, case, t, tol)
    assert_close(mean, spec.mean_at(x0, x1, t), theorem=theorem, slide=slide,
                 what="mean of x_t given (x_0, x_1): sample_xt(ε = 0) = μ_t", tol=tol_,
                 scale=_pair_sample_scale(spec, t, x0, x1, zero), inputs=case.describe())
    cols = []
    for j in range(d):  # the matrix L of ε -> x_t, column by column
        e = np.zeros_like(eps)
        e[:, j] = 1.0
        cols.append(to_numpy(candidate.sample_xt(X0, X1, T, case.tensor(e))) - mean)
    L = np.stack(cols, axis=-1)  # (B, d, d)
    w = spec.width_of(t)[0]
    # each column carries the rounding of the mean it was differenced from: |L - w I| <= r (|μ| + w)
    col_scale = (np.abs(mean) + w[:, None])[:, :, None] * np.ones((1, 1, d))
    r = np.asarray(tol_.rtol) if tol is not None else np.asarray(tol_.rtol)[:, :, None]
    cov_scale = np.einsum("bij,bkj->bik", np.abs(L) + r * col_scale, col_scale) * 2
    assert_close(np.einsum("bij,bkj->bik", L, L), spec.covariance(t, d), theorem=theorem, slide=slide,
                 what="covariance of x_t given (x_0, x_1) = w_t² I (the noise width)",
                 tol=Tolerance(r, tol_.atol), scale=cov_scale, inputs=case.describe())
    obs = candidate.sample_xt(X0, X1, T, case.tensor(eps))
    assert_close(obs, spec.sample(x0, x1, t, eps), theorem=theorem, slide=slide,
                 what="x_t = μ_t + w_t ε at the drawn ε", tol=tol_,
                 scale=_pair_sample_scale(spec, t, x0, x1, eps), inputs=case.describe())
    if not callable(getattr(candidate, "target_field", None)):
        return
    tf, Tf = case.tf, case.tensor(case.tf)
    tol_f = _pair_tol(spec, case, tf, tol, 2.0)
    obs = candidate.target_field(case.tensor(case.x), X0, X1, Tf)
    assert_close(obs, spec.conditional_field(case.x, x0, x1, tf), theorem=theorem, slide=slide,
                 what="u_t(x | x_0, x_1) = μ'_t + (w'_t/w_t)(x - μ_t)", tol=tol_f,
                 scale=_pair_field_scale(spec, tf, case.x, x0, x1), inputs=case.describe())
    xt_exact = spec.sample(x0, x1, tf, eps)
    xt = candidate.sample_xt(X0, X1, Tf, case.tensor(eps))
    # x_t's own rounding (size rtol · its scale) is multiplied by the gain w'/w
    gain = np.abs(spec.gain(tf))[:, None]
    scale = (_pair_field_scale(spec, tf, xt_exact, x0, x1)
             + gain * _pair_sample_scale(spec, tf, x0, x1, eps))
    assert_close(candidate.target_field(xt, X0, X1, Tf), spec.conditional_field(xt_exact, x0, x1, tf),
                 theorem=theorem, slide=slide, what="u_t(x_t | x_0, x_1) on the path (= d x_t/dt)",
                 tol=tol_f, scale=scale, inputs=case.describe())


def check_pair_training_sample(candidate: Any, spec: th.PairPathSpec, case: PairCase, *,
                               tol: Tolerance | None = None) -> None:
    """The training sample a matcher returns, on the pairs it returns (a matcher may re-pair the batch,
    e.g. by optimal transport; those pairs are not the input pairs): every returned ``x_0'`` row is an
    input ``x_0`` row and every ``x_1'`` row an input ``x_1`` row, and at ``t ∈ [T_MIN_BRIDGE,
    1 - T_MIN_BRIDGE]`` the returned ``x_t = μ_t(x_0', x_1') + w_t ε`` and ``u_t = u_t(x_t | x_0', x_1')``."""
    theorem = pair_theorem(spec)
    slide = SLIDES[theorem]
    tf, eps = case.tf, case.eps
    x0p, x1p, xt, ut = (to_numpy(v) for v in candidate.training_sample(
        case.tensor(case.x0), case.tensor(case.x1), case.tensor(tf), case.tensor(eps)))
    for name, got, given in (("x_0", x0p, case.x0), ("x_1", x1p, case.x1)):
        given_c = to_numpy(case.tensor(given))  # the inputs as the candidate saw them (its dtype)
        if got.shape != given_c.shape or not all((np.abs(given_c - row).max(axis=1) == 0).any() for row in got):
            raise TheoremViolation(theorem, f"the returned {name} pairs are not rows of the input {name} "
                                   "(a re-pairing may reorder or repeat rows, not change them)",
                                   slide=slide, inputs=case.describe())
    tol_ = _pair_tol(spec, case, tf, tol, 2.0)
    xt_exact = spec.sample(x0p, x1p, tf, eps)
    assert_close(xt, xt_exact, theorem=theorem, slide=slide,
                 what="returned x_t = μ_t + w_t ε on the returned pairs", tol=tol_,
                 scale=_pair_sample_scale(spec, tf, x0p, x1p, eps), inputs=case.describe())
    gain = np.abs(spec.gain(tf))[:, None]
    scale = _pair_field_scale(spec, tf, xt_exact, x0p, x1p) + gain * _pair_sample_scale(spec, tf, x0p, x1p, eps)
    assert_close(ut, spec.conditional_field(xt_exact, x0p, x1p, tf), theorem=theorem, slide=slide,
                 what="returned u_t = u_t(x_t | x_0', x_1') on the returned pairs", tol=tol_, scale=scale,
                 inputs=case.describe())


PAIR_PROPERTIES: tuple[_verify.Property, ...] = (
    _verify.Property("schrodinger_bridge_path", "fm.schrodinger_bridge_path", check_schrodinger_bridge_path,
                     ("sample_xt",)),
    _verify.Property("pair_training_sample", "fm.schrodinger_bridge_path", check_pair_training_sample,
                     ("training_sample",)),
)
PAIR_PROPERTY_NAMES = tuple(p.name for p in PAIR_PROPERTIES)


@_verify.family_verify(PAIR_PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify_pair_path(run: _verify.Run, candidate: Any, spec: th.PairPathSpec | None = None) -> VerifyReport:
    """Run the pair-path properties (``PAIR_PROPERTIES``) the candidate supports under Hypothesis.

    ``spec`` (default: ``candidate.pair_spec``) is the ``PairPathSpec`` the candidate claims; each
    property is reported under ``pair_theorem(spec)``. Arguments and failures as for ``verify``.
    """
    spec = spec if spec is not None else getattr(candidate, "pair_spec", None)
    if not isinstance(spec, th.PairPathSpec):
        raise TypeError("spec must be a dgmcheck.theory.flow_matching.PairPathSpec (or candidate.pair_spec), "
                        f"got {type(spec).__name__}")
    theorem = pair_theorem(spec)
    table = [dataclasses.replace(p, theorem=theorem, check=lambda c, case, _p=p: _p.check(c, spec, case))
             for p in PAIR_PROPERTIES]
    return run.properties(lambda prop: pair_cases(dtype=run.dtype, device=run.device), table=table,
                          name=f"{run.name} ({spec})",
                          provides="pair-path methods (see dgmcheck.checks.flow_matching.PairPathCandidate)")
