"""Checks of DDIM, respaced DDPM chains and timestep grids against ``dgmcheck.theory.ddim``.

A candidate exposes the schedule ``alphas_cumprod`` (``ᾱ_t`` at index ``t-1``, lecture steps
``t = 1..T``) and any of the methods of ``DDIMCandidate``; steps are the lecture's (``s = 0`` is the
data end, ``ᾱ_0 = final_alpha_cumprod``, 1 unless declared) and every random draw is an explicit
``noise`` argument. ``verify`` runs each property whose methods the candidate has and raises
``TheoremViolation`` naming the theorem, the slide, the inputs, the expected and observed values.

Tolerances: the oracle is evaluated on the candidate's own ``alphas_cumprod`` (widened to float64),
so only the step's arithmetic in the candidate's dtype remains. Each term of the step is bounded
by ``SAFETY·eps(dtype)·cond·|term|`` with ``cond`` the first-order amplification of the quantities
it forms (``1-ᾱ``: ``ᾱ/(1-ᾱ)``; ``1-ᾱ_t/ᾱ_s``: ``r/(1-r)``; the radicand ``1-ᾱ_s-σ²``: its terms
over itself); the bounds add (``_step_scale``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.strategies import Case, arrays, case_rng, normal_arrays
from dgmcheck.checks.tolerances import Tolerance, exact
from dgmcheck.theory import ddim as th

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('ddim')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED = ("clip_x0",)


class DDIMCandidate(Protocol):
    """What a DDIM / respaced-DDPM implementation exposes. ``alphas_cumprod`` is required; every
    other member is optional and ``verify`` runs the properties whose methods exist.

    Steps ``t``, ``s`` are long tensors of shape ``(batch,)`` with ``T >= t > s >= 0`` (lecture
    steps; ``s = 0`` is the data end, where ``ᾱ_0 = final_alpha_cumprod``). ``eta`` is a float in
    [0, 1]. All noise is passed in.
    """

    alphas_cumprod: Any  # 1-D, alphas_cumprod[t-1] = ᾱ_t
    final_alpha_cumprod: float  # ᾱ_0 used by a step to s = 0 (default 1.0)
    grid: Any  # the lecture steps the sampler visits, descending: steps are only (grid[i], grid[i+1]) and (grid[-1], 0)
    etas: Any  # the η values the step may be checked at (default: any in [0, 1])

    def ddim_step(self, x_t: Any, t: Any, s: Any, eps: Any, eta: float, noise: Any) -> Any: ...  # x_s
    def respaced_betas(self, steps: Any) -> Any: ...  # β'_k for increasing kept steps τ_1 < ... < τ_K
    def respaced_step(self, x_t: Any, t: Any, s: Any, eps: Any, noise: Any) -> Any: ...  # respaced DDPM step
    def timesteps(self, n: int, spacing: str, steps_offset: int = 0) -> Any: ...  # lecture steps, descending


@dataclass(frozen=True)
class DDIMCase(Case):
    """Inputs of one check: step pairs ``t > s`` (B,), float64 rows ``x`` (x_t), ``eps``, ``noise``,
    ``x0`` (B, d), one ``eta``, and a decreasing ``grid`` (for the marginals)."""

    t: np.ndarray
    s: np.ndarray
    x: np.ndarray
    eps: np.ndarray
    noise: np.ndarray
    x0: np.ndarray
    eta: float
    grid: np.ndarray

    def long(self, a: np.ndarray):
        import torch

        return torch.as_tensor(np.asarray(a), dtype=torch.long, device=self.device)

    def describe(self) -> dict[str, Any]:
        return {"t": self.t.tolist(), "s": self.s.tolist(), "eta": self.eta, "x_t": self.x,
                "eps": self.eps, "noise": self.noise, "dtype": str(self.dtype),
                "device": str(self.device), **self.extra}


def candidate_alpha_bars(candidate: Any) -> np.ndarray:
    """The candidate's own ``ᾱ_t`` (t = 1..T) in float64: the oracle is evaluated on them."""
    if not hasattr(candidate, "alphas_cumprod"):
        raise TypeError(f"candidate must have an 'alphas_cumprod' attribute (ᾱ_t, t = 1..T); "
                        f"{type(candidate).__name__} has none")
    return th.validate_alpha_bars(to_numpy(candidate.alphas_cumprod), "candidate.alphas_cumprod")


def candidate_final(candidate: Any) -> float:
    return float(to_numpy(getattr(candidate, "final_alpha_cumprod", 1.0)))


def candidate_grid(candidate: Any, T: int) -> np.ndarray | None:
    g = getattr(candidate, "grid", None)
    return None if g is None else th.validate_grid(to_numpy(g).astype(np.int64), T, "candidate.grid")


def _col(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)[:, None]


def _ratio_cond(r: np.ndarray) -> np.ndarray:
    """Amplification of ``1 - r`` formed from ``r``: ``r/(1-r)`` (0 where r = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r < 1, r / np.maximum(1 - r, 1e-300), 0.0)


def _step_scale(c: th.Step, x: np.ndarray, e: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``Σ cond_i |term_i|`` over the terms of ``x_s = √ᾱ_s x̂_0 + dir ε̂ + σ z`` (first order)."""
    at, as_ = c.alpha_bar_t, c.alpha_bar_s
    c_omab_t = 1 + _ratio_cond(at)
    c_sig = 1 + _ratio_cond(at) + _ratio_cond(as_) + _ratio_cond(at / as_)
    radicand = np.maximum(1 - as_ - c.sigma2, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        c_dir = np.where(radicand > 0, 1 + (as_ + c.sigma2 * c_sig) / np.maximum(radicand, 1e-300),
                         0.0)
    return (_col(np.abs(np.sqrt(as_) * c.x0_x)) * np.abs(x)
            + _col(np.abs(np.sqrt(as_) * c.x0_eps) * c_omab_t) * np.abs(e)
            + _col(c.direction * c_dir) * np.abs(e) + _col(c.std * c_sig) * np.abs(z))


def step_condition(abar: np.ndarray, t: np.ndarray, s: np.ndarray, final: float = 1.0) -> np.ndarray:
    """Relative-error amplification of a step from ``t`` to ``s`` computed in the run's dtype from
    the candidate's ᾱ (read exactly): ``1 - ᾱ_t`` and ``1 - ᾱ_s`` formed from ᾱ amplify a rounding
    by ``ᾱ/(1-ᾱ)`` (large near ``t = 1``, where ᾱ → 1), and ``β' = 1 - ᾱ_t/ᾱ_s`` by ``r/(1-r)`` with
    ``r = ᾱ_t/ᾱ_s``. First order, per row, as a column to broadcast against ``(B, d)``."""
    ext = th.extended(abar, final)
    a_t, a_s = ext[np.asarray(t, dtype=np.int64)], ext[np.asarray(s, dtype=np.int64)]
    r = a_t / a_s
    with np.errstate(divide="ignore"):
        terms = [a_t / (1 - a_t), np.where(a_s < 1, a_s / (1 - a_s), 0.0), np.where(r < 1, r / (1 - r), 0.0)]
    return (1.0 + sum(terms))[:, None]


def _tol(case: DDIMCase, tol: Tolerance | None, abar: np.ndarray | None = None, final: float = 1.0,
         t: np.ndarray | None = None, s: np.ndarray | None = None) -> Tolerance:
    if tol is not None:
        return tol
    if abar is None:
        return exact(case.dtype)
    t = case.t if t is None else t
    return exact(case.dtype, step_condition(abar, t, case.s if s is None else s, final))


# --------------------------------------------------------------------------- the step
def clipped_eps(abar: np.ndarray, t: np.ndarray, x: np.ndarray, eps: np.ndarray,
                clip: tuple[float, float] | None, final: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Under ``clip_x0 = (lo, hi)``: ``x̂_0 = clip((x_t - √(1-ᾱ_t) ε̂)/√ᾱ_t)`` and the ε rederived
    from it, ``ε' = (x_t - √ᾱ_t x̂_0)/√(1-ᾱ_t)`` (float64); ``(ε̂, unclamped x̂_0)`` without a clip."""
    a = _col(th.extended(abar, final)[np.asarray(t, dtype=np.int64)])
    x0 = (x - np.sqrt(1 - a) * eps) / np.sqrt(a)
    if clip is None:
        return eps, x0
    x0 = np.clip(x0, *clip)
    return (x - np.sqrt(a) * x0) / np.sqrt(1 - a), x0


def check_step(candidate: Any, case: DDIMCase, *, tol: Tolerance | None = None) -> None:
    """ddim.step: ``x_s = √ᾱ_s x̂_0 + √(1-ᾱ_s-σ²) ε̂ + σ z``, ``x̂_0 = (x_t - √(1-ᾱ_t) ε̂)/√ᾱ_t``,
    ``σ² = η² (1-ᾱ_s)/(1-ᾱ_t) (1-ᾱ_t/ᾱ_s)``.

    Under a declared ``clip_x0 = (lo, hi)`` (``case.extra["clip_x0"]``) the step is the same formula
    with x̂_0 clamped and ε̂ rederived from it, ``ε' = (x_t - √ᾱ_t x̂_0)/√(1-ᾱ_t)`` (what
    denoising-diffusion-pytorch's ``ddim_sample`` does): the rederivation's rounding adds
    ``(|x_t| + √ᾱ_t|x̂_0|)/√(1-ᾱ_t)`` (conditioned as ``1-ᾱ_t``) times the direction coefficient."""
    abar, final = candidate_alpha_bars(candidate), candidate_final(candidate)
    c = th.step(abar, case.t, case.s, case.eta, final)
    clip = case.extra.get("clip_x0")
    eps, x0 = clipped_eps(abar, case.t, case.x, case.eps, clip, final)
    expected = th.apply_step(abar, case.t, case.s, case.eta, case.x, eps, case.noise, final)
    got = candidate.ddim_step(case.tensor(case.x), case.long(case.t), case.long(case.s),
                              case.tensor(case.eps), case.eta, case.tensor(case.noise))
    scale = _step_scale(c, case.x, case.eps, case.noise)
    what = "x_s = √ᾱ_s x̂_0 + √(1-ᾱ_s-σ²) ε̂ + σ z, σ² = η²(1-ᾱ_s)/(1-ᾱ_t)(1-ᾱ_t/ᾱ_s)"
    if clip is not None:
        # x̂_0 is formed from the given ε before the clamp (the first scale), then ε' from x̂_0.
        at = c.alpha_bar_t
        rederive = (np.abs(case.x) + _col(np.sqrt(at)) * np.abs(x0)) / _col(np.sqrt(1 - at))
        scale = (scale + _step_scale(c, case.x, eps, case.noise)
                 + _col(c.direction * (1 + _ratio_cond(at))) * rederive)
        what += f", x̂_0 clamped to {list(clip)} and ε̂ rederived from it"
    assert_close(got, expected, theorem="ddim.step", slide=SLIDES["ddim.step"], what=what,
                 tol=_tol(case, tol, abar, final), scale=scale, inputs=case.describe())


def check_marginals(candidate: Any, case: DDIMCase, *, tol: Tolerance | None = None) -> None:
    """ddim.marginals: down the grid, with ε̂ the true ε of ``x_0`` at each point, the candidate's
    steps keep ``x_s | x_0 ~ N(√ᾱ_s x_0, (1-ᾱ_s) I)`` at every grid point and at ``s = 0``.

    The chain is linear in ``(x_0, ε_T, z_1, ..., z_K)``: probing it with unit inputs (row 0:
    ``x_0 = 1``; row ``j``: the j-th noise = 1) reads off the mean coefficient and the variance
    exactly. Error bounds propagate with the step's gain ``∂x_s/∂x_t = √(1-ᾱ_s-σ²)/√(1-ᾱ_t) <= 1``.
    """
    abar, final = candidate_alpha_bars(candidate), candidate_final(candidate)
    ext = th.extended(abar, final)
    g = case.grid
    pts = np.concatenate([g, [0]])
    K = len(g)
    n = K + 2
    x0 = np.zeros((n, 1))
    x0[0, 0] = 1.0
    z = np.zeros((K + 1, n, 1))  # z[0] = ε of x_{t_0}, z[k] = noise of step k
    for j in range(K + 1):
        z[j, j + 1, 0] = 1.0
    rtol = _tol(case, tol)
    x = np.sqrt(ext[g[0]]) * x0 + np.sqrt(1 - ext[g[0]]) * z[0]
    bound = np.asarray(rtol.bound(np.abs(x)))
    for k in range(K):
        t, s = int(pts[k]), int(pts[k + 1])
        e = (x - np.sqrt(ext[t]) * x0) / np.sqrt(1 - ext[t])  # the true ε of x_0 at x_t
        c = th.step(abar, np.full(n, t), np.full(n, s), case.eta, final)
        got = to_numpy(candidate.ddim_step(case.tensor(x), case.long(np.full(n, t)),
                                           case.long(np.full(n, s)), case.tensor(e), case.eta,
                                           case.tensor(z[k + 1])))
        gain = c.direction[0] / np.sqrt(1 - ext[t])
        bound = gain * bound + np.asarray(rtol.bound(_step_scale(c, x, e, z[k + 1])))
        x = got.reshape(n, 1)
        mean, coefs = x[0, 0], x[1:, 0]
        var = float(np.sum(coefs**2))
        var_bound = float(np.sum(2 * np.abs(coefs) * bound[1:, 0] + bound[1:, 0] ** 2))
        inputs = {**case.describe(), "grid": g.tolist(), "at s": s}
        _assert_within(np.array([mean, var]), np.array([np.sqrt(ext[s]), 1 - ext[s]]),
                       np.array([bound[0, 0], var_bound]) + rtol.atol, s, inputs)


def _assert_within(observed: np.ndarray, expected: np.ndarray, bound: np.ndarray, s: int,
                   inputs: dict[str, Any]) -> None:
    err = np.abs(observed - expected)
    bad = ~(err <= bound)
    if bad.any():
        i = int(np.argmax(bad))
        what = ("mean coefficient √ᾱ_s", "variance 1-ᾱ_s")[i]
        raise TheoremViolation(
            "ddim.marginals",
            f"q_σ(x_s|x_0) = N(√ᾱ_s x_0, (1-ᾱ_s) I) at s = {s}: {what} off by {err[i]:.3e} > "
            f"allowed {bound[i]:.3e}", slide=SLIDES["ddim.marginals"], inputs=inputs,
            expected=expected[i], observed=observed[i])


def check_eta_one_is_ddpm(candidate: Any, case: DDIMCase, *, tol: Tolerance | None = None) -> None:
    """ddim.eta_one_is_ddpm: at η = 1 the step from ``t`` to ``s`` is the ancestral step of the DDPM
    (``x_s = x_t/√α'_k - β'_k/√(α'_k(1-ᾱ'_k)) ε̂ + √β̃'_k z``) with ``β'_k = 1-ᾱ_t/ᾱ_s``: on the full
    grid (``s = t-1``) DDPM's own step with ``σ² = β̃_t``, on a sub-grid the respaced DDPM's.
    Rows stepping to ``s = 0`` are skipped when ``ᾱ_0 != 1`` (no DDPM step ends there)."""
    abar, final = candidate_alpha_bars(candidate), candidate_final(candidate)
    keep = (case.s > 0) | (final == 1.0)
    if not keep.any():
        return
    t, s = case.t[keep], case.s[keep]
    x, e, z = case.x[keep], case.eps[keep], case.noise[keep]
    exp = np.empty_like(x)
    for i in range(len(t)):
        steps = [int(s[i]), int(t[i])] if s[i] > 0 else [int(t[i])]
        cx, ce, var, _ = th.respaced_step(abar, steps, int(t[i]))
        exp[i] = cx * x[i] + ce * e[i] + np.sqrt(var) * z[i]
    got = to_numpy(candidate.ddim_step(case.tensor(case.x), case.long(case.t), case.long(case.s),
                                       case.tensor(case.eps), 1.0, case.tensor(case.noise)))[keep]
    c = th.step(abar, t, s, 1.0, final)
    assert_close(got, exp, theorem="ddim.eta_one_is_ddpm", slide=SLIDES["ddim.eta_one_is_ddpm"],
                 what="DDIM(η=1) step = DDPM ancestral step with β' = 1-ᾱ_t/ᾱ_s, σ² = β̃'",
                 tol=_tol(case, tol, abar, final, t, s), scale=_step_scale(c, x, e, z), inputs=case.describe())


def check_eta_zero_is_pf_ode_euler(candidate: Any, case: DDIMCase, *,
                                   tol: Tolerance | None = None) -> None:
    """ddim.eta_zero_is_pf_ode_euler: at η = 0 the step ignores its noise and equals one Euler step of
    the probability-flow ODE in ``x̄ = x/√ᾱ``, ``σ = √((1-ᾱ)/ᾱ)``: ``x̄_s = x̄_t + (σ_s - σ_t) ε̂``."""
    abar, final = candidate_alpha_bars(candidate), candidate_final(candidate)
    expected = th.pf_ode_euler(abar, case.t, case.s, case.x, case.eps, final)
    got = candidate.ddim_step(case.tensor(case.x), case.long(case.t), case.long(case.s),
                              case.tensor(case.eps), 0.0, case.tensor(case.noise))
    c = th.step(abar, case.t, case.s, 0.0, final)
    assert_close(got, expected, theorem="ddim.eta_zero_is_pf_ode_euler",
                 slide=SLIDES["ddim.eta_zero_is_pf_ode_euler"],
                 what="DDIM(η=0) x_s = √ᾱ_s (x_t/√ᾱ_t + (σ_s - σ_t) ε̂), whatever the noise",
                 tol=_tol(case, tol, abar, final), scale=_step_scale(c, case.x, case.eps, case.noise),
                 inputs=case.describe())


# --------------------------------------------------------------------------- respacing
def check_respaced_betas(candidate: Any, case: DDIMCase, *, tol: Tolerance | None = None) -> None:
    """ddim.respacing: ``β'_k = 1 - ᾱ_{τ_k}/ᾱ_{τ_{k-1}}`` (τ_0 = 0) for the kept steps τ, and the
    respaced chain's ``∏_{j<=k}(1-β'_j)`` equals ``ᾱ_{τ_k}`` (its marginals are the original ones)."""
    abar, final = candidate_alpha_bars(candidate), candidate_final(candidate)
    tau = case.grid[::-1].copy()
    expected = th.respaced_betas(abar, tau, final)
    got = to_numpy(candidate.respaced_betas(case.long(tau))).reshape(-1)
    ext = th.extended(abar, final)
    ratio = ext[tau] / ext[np.concatenate([[0], tau[:-1]])]
    cond = 1 + _ratio_cond(ratio)
    inputs = {"steps": tau.tolist(), "dtype": str(case.dtype)}
    assert_close(got, expected, theorem="ddim.respacing", slide=SLIDES["ddim.respacing"],
                 what="β'_k = 1 - ᾱ_{τ_k}/ᾱ_{τ_{k-1}}", tol=tol or exact(case.dtype, cond),
                 scale=np.maximum(np.abs(expected), ratio), inputs=inputs)
    kept = np.exp(np.cumsum(np.log1p(-np.clip(got, -0.5, 1 - 1e-300))))
    assert_close(kept, ext[tau] / ext[0], theorem="ddim.respacing", slide=SLIDES["ddim.respacing"],
                 what="ᾱ'_k = ∏(1-β'_j) = ᾱ_{τ_k}: the respaced marginals are the original ones",
                 tol=tol or exact(case.dtype, np.cumsum(cond)), inputs=inputs)


def check_respaced_step(candidate: Any, case: DDIMCase, *, tol: Tolerance | None = None) -> None:
    """ddim.respacing: the respaced DDPM's ancestral step from kept ``t = τ_k`` to ``s = τ_{k-1}``:
    ``x_s = x_t/√α'_k - β'_k/√(α'_k(1-ᾱ'_k)) ε̂ + √β̃'_k z`` with ``β'_k = 1 - ᾱ_t/ᾱ_s``
    (``theory.ddpm`` on β')."""
    abar = candidate_alpha_bars(candidate)
    exp = np.empty_like(case.x)
    for i in range(len(case.t)):
        steps = [int(case.s[i]), int(case.t[i])] if case.s[i] > 0 else [int(case.t[i])]
        cx, ce, var, _ = th.respaced_step(abar, steps, int(case.t[i]))
        exp[i] = cx * case.x[i] + ce * case.eps[i] + np.sqrt(var) * case.noise[i]
    got = candidate.respaced_step(case.tensor(case.x), case.long(case.t), case.long(case.s),
                                  case.tensor(case.eps), case.tensor(case.noise))
    c = th.step(abar, case.t, case.s, 1.0)  # the same step as DDIM at η = 1: the same bounds
    assert_close(got, exp, theorem="ddim.respacing", slide=SLIDES["ddim.respacing"],
                 what="respaced DDPM step with β'_k = 1 - ᾱ_t/ᾱ_s, σ² = β̃'_k",
                 tol=_tol(case, tol, abar), scale=_step_scale(c, case.x, case.eps, case.noise),
                 inputs=case.describe())


# --------------------------------------------------------------------------- grids
def check_grids(candidate: Any, case: DDIMCase, *, tol: Tolerance | None = None) -> None:
    """ddim.grids: ``timesteps(n, spacing, steps_offset)`` is exactly ``theory.ddim.grid``, for the drawn
    spacing and then the other two (steps_offset is leading's): every example holds all three, so a bug
    in one spacing is caught whatever spacings the seed draws."""
    n, drawn, offset = (case.extra[k] for k in ("n", "spacing", "steps_offset"))
    for spacing in (drawn, *(s for s in th.SPACINGS if s != drawn)):
        _check_grid(candidate, n, spacing, offset if spacing == "leading" else 0)


def _check_grid(candidate: Any, n: int, spacing: str, offset: int) -> None:
    T = len(candidate_alpha_bars(candidate))
    expected = th.grid(T, n, spacing, offset)
    lo, hi = th.grid_bounds(T, n, spacing, offset)  # an exact half rounds either way (float-dependent)
    got = np.asarray(to_numpy(candidate.timesteps(n, spacing, offset))).reshape(-1)
    if got.shape != expected.shape or not ((got >= lo) & (got <= hi)).all():
        diff = (np.flatnonzero((got < lo) | (got > hi))[:1].tolist() if got.shape == expected.shape
                else ["length"])
        raise TheoremViolation(
            "ddim.grids", f"the {spacing!r} grid of {n} of T = {T} steps (steps_offset={offset}) "
            f"differs at {diff}", slide=SLIDES["ddim.grids"],
            inputs={"T": T, "n": n, "spacing": spacing, "steps_offset": offset},
            expected=expected.tolist(), observed=got.tolist())


# --------------------------------------------------------------------------- strategies
def _etas(candidate: Any, eta: float | None) -> tuple[float, ...] | None:
    if eta is not None:
        return (float(eta),)
    e = getattr(candidate, "etas", None)
    return None if e is None else tuple(float(v) for v in e)


GRID_ROWS = 64  # steps of a candidate's grid held per example (all of them up to this many)


@st.composite
def ddim_cases(draw: st.DrawFn, T: int, *, dtype: Any, device: Any = "cpu",
               grid: np.ndarray | None = None, etas: tuple[float, ...] | None = None,
               max_batch: int = 6, max_dim: int = 3, max_grid: int = 8) -> DDIMCase:
    """Inputs for the DDIM checks at schedule length ``T``.

    With a candidate ``grid``, the batch holds every step of it (up to ``GRID_ROWS`` steps; a longer
    grid every m-th step from a drawn offset), each consecutive pair of points (and its last point
    to 0) once, so no step of the grid the candidate runs goes unchecked (a stride that is off at
    some points only is caught whatever the seed), and the marginals run down that grid; otherwise
    pairs are any ``T >= t > s >= 0`` (``s = t-1`` and ``s = 0`` with raised probability) and grids
    any decreasing subsets of ``1..T``. ``η`` is drawn
    from ``etas`` or from ``{0, 1} ∪ [0.05, 0.95]``.
    """
    if grid is not None:
        # Every step of a grid of up to GRID_ROWS points; a longer one (a full 1000-step chain) in
        # every m-th step from a drawn offset, so the examples sweep it in strata.
        m = -(-len(grid) // GRID_ROWS)
        idx = np.arange(draw(st.integers(0, m - 1)) if m > 1 else 0, len(grid), m)
        B = len(idx)
    else:
        B = draw(st.integers(1, max_batch))
    d = draw(st.integers(1, max_dim))
    if grid is not None:
        pts = np.concatenate([grid, [0]])
        t, s = pts[idx], pts[idx + 1]
        g = grid
    else:
        # Steps from one seed (a draw per entry was most of a case's cost): t = T with probability ½,
        # s = t - 1 or s = 0 (where σ = 0: the noise's bugs cannot show) with probability ¼ each, else
        # any s < t.
        rng = case_rng(draw)
        t = np.where(rng.random(B) < 0.5, T, rng.integers(1, T + 1, B)).astype(np.int64)
        pick = rng.integers(0, 4, B)
        s = np.where(pick == 0, t - 1, np.where(pick == 1, 0, rng.integers(0, t))).astype(np.int64)
        size = draw(st.integers(1, min(T, max_grid)))
        g = np.sort(rng.choice(np.arange(1, T + 1), size=size, replace=False))[::-1].astype(np.int64)
    # η inside [0.05, 0.95] in four of five examples, else an end (0: DDIM, 1: DDPM; their own properties
    # hold them too). The ends hide bugs in how η enters (η for η²); so do Hypothesis' own choices, which
    # favour 0, 1 and subnormals on [0, 1] and the first branches of a one_of (measured: 245 of 300
    # examples at an end), hence η from a seed. Inside, η and η² differ by at least 4.75 %.
    if etas:
        eta = draw(st.sampled_from(etas))
    else:
        u = float(case_rng(draw).random())
        eta = 0.0 if u < 0.1 else 1.0 if u < 0.2 else 0.05 + 0.9 * (u - 0.2) / 0.8
    spacing = draw(st.sampled_from(th.SPACINGS))
    n = draw(st.one_of(st.just(T), st.just(1), st.integers(1, T)))
    offset = draw(st.sampled_from([0, 1])) if spacing == "leading" and (n - 1) * (T // n) + 1 < T else 0
    return DDIMCase(t, s, draw(arrays((B, d))), draw(normal_arrays((B, d))),
                    draw(normal_arrays((B, d))), draw(arrays((B, d))), float(eta), g,
                    dtype=dtype, device=device, extra={"n": n, "spacing": spacing, "steps_offset": offset})


# --------------------------------------------------------------------------- verify
@dataclass(frozen=True)
class Property(_verify.Property):
    eta: float | None = None  # the η the property needs (None: any)


PROPERTIES: tuple[Property, ...] = (
    Property("step", "ddim.step", check_step, ("ddim_step",)),
    Property("marginals", "ddim.marginals", check_marginals, ("ddim_step",)),
    Property("eta_one_is_ddpm", "ddim.eta_one_is_ddpm", check_eta_one_is_ddpm, ("ddim_step",),
             eta=1.0),
    Property("eta_zero_is_pf_ode_euler", "ddim.eta_zero_is_pf_ode_euler",
             check_eta_zero_is_pf_ode_euler, ("ddim_step",), eta=0.0),
    Property("respaced_betas", "ddim.respacing", check_respaced_betas, ("respaced_betas",)),
    Property("respaced_step", "ddim.respacing", check_respaced_step, ("respaced_step",)),
    Property("grids", "ddim.grids", check_grids, ("timesteps",)),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)
# Under clip_x0: the properties whose oracle needs the step to be linear, and why.
CLIP_NOT_APPLICABLE = {
    "marginals": "the Gaussian marginals are read off by linear probing",
    "eta_one_is_ddpm": "the identity with the DDPM step is stated for the unclamped step",
    "eta_zero_is_pf_ode_euler": "the identity with the Euler step is stated for the unclamped step",
    "respaced_step": "the clamped respaced DDPM step is not modelled here (ddpm.verify holds it)",
}


class VerifyReport(_verify.VerifyReport):
    concept = "ddim"


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any, *, eta: float | None = None) -> VerifyReport:
    """Run every DDIM property the candidate supports under Hypothesis.

    ``eta`` fixes the η of the step checks (else the candidate's ``etas``, else drawn from [0, 1]);
    ``eta_one_is_ddpm`` / ``eta_zero_is_pf_ode_euler`` apply when η = 1 / η = 0 is allowed.
    ``dtype``/``device`` default to the candidate's attributes, else float64 on the CPU.
    ``conventions`` (a :class:`~dgmcheck.checks.conventions.Conventions`, a mapping or ``"key=value"``
    pairs): a declared ``clip_x0 = (lo, hi)`` holds ``step`` to the step with x̂_0 clamped and ε
    rederived from it; the marginals, the η = 0 / η = 1 identities and ``respaced_step`` are then
    not applicable (clamping is not linear). The other keys do not concern DDIM (a ValueError).
    """
    if eta is not None and not 0 <= float(eta) <= 1:
        raise ValueError(f"eta must lie in [0, 1], got {eta!r}")
    abar = candidate_alpha_bars(candidate)
    T = len(abar)
    grid = candidate_grid(candidate, T)
    etas = _etas(candidate, eta)
    clip = run.conventions.clip_x0

    def not_applicable(prop: Property) -> str | None:
        if clip is not None and prop.name in CLIP_NOT_APPLICABLE:
            return (f"x̂₀ clamped to {list(clip)} (clip_x0) makes the step nonlinear in (x_t, ε̂, z): "
                    f"{CLIP_NOT_APPLICABLE[prop.name]}")
        if prop.eta is not None and etas is not None and prop.eta not in etas:
            return f"needs η = {prop.eta:g}, the candidate is checked at η in {list(etas)}"
        return None

    def strategy(prop: Property) -> st.SearchStrategy:
        e = (prop.eta,) if prop.eta is not None else etas
        cases = ddim_cases(T, dtype=run.dtype, device=run.device, grid=grid, etas=e)
        if clip is None:
            return cases
        return cases.map(lambda c: dataclasses.replace(c, extra={**c.extra, "clip_x0": clip}))

    return run.properties(strategy, not_applicable=not_applicable,
                          provides="DDIM methods (see dgmcheck.checks.ddim.DDIMCandidate)")


__all__ = [
    "PROPERTIES",
    "PROPERTY_NAMES",
    "SLIDES",
    "DDIMCandidate",
    "DDIMCase",
    "VerifyReport",
    "check_eta_one_is_ddpm",
    "check_eta_zero_is_pf_ode_euler",
    "check_grids",
    "check_marginals",
    "check_respaced_betas",
    "check_respaced_step",
    "check_step",
    "clipped_eps",
    "ddim_cases",
    "verify",
]
