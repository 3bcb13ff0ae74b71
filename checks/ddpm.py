"""Checks of Gaussian diffusion (DDPM): any implementation held to the exact oracles.

A candidate exposes the methods of ``DDPMCandidate`` that it implements (steps ``t`` are the
lecture's ``1..T``; every random draw is an explicit ``noise`` argument). ``verify`` runs each
property whose methods the candidate has, under Hypothesis, and raises ``TheoremViolation`` naming
the theorem, the slide, the inputs, the expected and the observed values.

Every ``check_*`` takes a concrete ``DDPMCase`` so a failure can be replayed without Hypothesis.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _chain_error, _law, _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks._ddpm_declared import Declared
from dgmcheck.checks.capture import CaptureMismatch
from dgmcheck.checks.conventions import Conventions, hint_text
from dgmcheck.checks.conventions import declared as declared_conventions
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.strategies import Case, arrays, case_rng, normal_arrays
from dgmcheck.checks.tolerances import (
    COUNTED,
    Tolerance,
    coarse,
    evaluated,
    exact,
    rounded,
    schedule_condition,
    stored_schedule,
    table_condition,
)
from dgmcheck.checks.tolerances import eps as machine_eps
from dgmcheck.theory import ddpm as th
from dgmcheck.theory import linear_gaussian as lg
from dgmcheck.theory.gaussian_mixture import GaussianMixture
from dgmcheck.theory.schedules import validate_betas

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides("ddpm")


class DDPMCandidate(Protocol):
    """What a DDPM implementation exposes. ``betas`` is required; every method is optional and
    ``verify`` runs the properties whose methods exist. Steps ``t`` are long tensors of shape
    ``(batch,)`` with values in ``1..T`` (the lecture's index); all noise is passed in.
    """

    betas: Any  # 1-D tensor, betas[t-1] = β_t

    def q_step(self, x_prev: Any, t: Any, noise: Any) -> Any: ...  # x_t from x_{t-1}
    def q_sample(self, x0: Any, t: Any, noise: Any) -> Any: ...  # x_t from x_0
    def posterior(self, x_t: Any, x0: Any, t: Any) -> tuple[Any, Any]: ...  # (mean, variance)
    def posterior_mean_from_eps(self, x_t: Any, t: Any, eps: Any) -> Any: ...
    def reverse_variance(self, t: Any, like: Any, kind: str) -> Any: ...  # "beta_tilde" | "beta"
    def reverse_step(self, x_t: Any, t: Any, eps: Any, noise: Any) -> Any: ...  # σ² = β̃_t
    def sample(self, eps_model: Callable, x_T: Any, noises: Any) -> Any: ...  # noises: (T, *x_T.shape)
    def score_from_eps(self, eps: Any, t: Any) -> Any: ...
    def reverse_step_score(self, x_t: Any, t: Any, score: Any, noise: Any) -> Any: ...
    def loss_weight(self, t: Any, like: Any) -> Any: ...  # λ_t, t >= 2
    def elbo_term_eps(self, x0: Any, t: Any, noise: Any, eps_pred: Any) -> Any: ...  # per sample
    def dsm_term(self, x0: Any, t: Any, noise: Any, score_pred: Any) -> Any: ...  # per sample
    def simple_loss(self, eps_model: Callable, x0: Any, t: Any, noise: Any) -> Any: ...  # per sample
    def posterior_kl(self, x_t: Any, x0: Any, t: Any, mean: Any, var: Any) -> Any: ...  # per sample
    def prior_kl(self, x0: Any) -> Any: ...  # per sample
    def decoder_log_likelihood(self, x0: Any, mean: Any, var: Any) -> Any: ...  # per sample


@dataclass(frozen=True)
class DDPMCase(Case):
    """Concrete inputs of one check: steps ``t`` (B,), and float64 arrays of shape (B, d)."""

    t: np.ndarray
    x0: np.ndarray
    noise: np.ndarray
    other: np.ndarray  # a second point (x_t, a predicted ε or score, a model mean), by property
    # precision of the candidate's own tables, when coarser than ``dtype``
    table_dtype: Any = field(default=None, kw_only=True)

    def steps(self):
        import torch

        return torch.as_tensor(self.t, dtype=torch.long, device=self.device)

    def __repr__(self) -> str:
        def short(a: Any) -> str:
            if isinstance(a, np.ndarray):
                return np.array2string(a, threshold=24, edgeitems=3, precision=6)
            return repr(a)

        extra = ", ".join(f"{k}={short(v)}" for k, v in self.extra.items())
        return (f"DDPMCase(t={short(self.t)}, x0={short(self.x0)}, noise={short(self.noise)}, "
                f"other={short(self.other)}, dtype={self.dtype}, device={self.device}, {extra})")

    def describe(self, *extras: str) -> dict[str, Any]:
        """The inputs for a violation message: the arrays and the named extras only."""
        return {"t": self.t.tolist(), "x0": self.x0, "noise": self.noise, "other": self.other,
                "dtype": str(self.dtype), "device": str(self.device),
                **{k: self.extra[k] for k in extras}}


def candidate_betas(candidate: Any) -> np.ndarray:
    """The candidate's own schedule in float64 (the oracle is evaluated on it)."""
    if not hasattr(candidate, "betas"):
        raise TypeError(f"candidate must have a 'betas' attribute (β_t, t = 1..T); "
                        f"{type(candidate).__name__} has none")
    return validate_betas(to_numpy(candidate.betas), "candidate.betas")


def candidate_schedule(candidate: Any) -> th.Schedule:
    """The candidate's schedule with its cumulative products (``theory.ddpm.Schedule``): a check validates
    it once and every oracle it calls gathers from it in O(len(t)), not O(T) each."""
    return th.schedule(candidate_betas(candidate))


def _tol(betas: np.ndarray, case: DDPMCase, tol: Tolerance | None, extra: float = 1.0,
         uses: str = "all") -> Tolerance:
    if tol is not None:
        return tol
    cond = schedule_condition(betas, case.t)[:, None] * extra
    base = exact(case.dtype, cond)
    if case.table_dtype is None:
        return base
    # The candidate's tables were rounded to table_dtype (read back here as its betas): the
    # rounding of its other tables, derived in a wider dtype, is table_condition ulps of them.
    table = machine_eps(case.table_dtype) * table_condition(betas, case.t, uses)[:, None] * extra
    return Tolerance(base.rtol + table, base.atol)


# Roundings of a closed form evaluated from its tables in float32 (tolerances.evaluated): a table entry
# (½ ulp), at most a square root, a product or quotient of two entries, ``1 - ᾱ`` (exact for ᾱ >= ½), the
# product with the input and the sum of two terms (the scale holds their magnitudes): 6 in all.
ROUNDINGS = 6.0


def _references(sch: th.Schedule, case: DDPMCase, tol: Tolerance | None,
                uses: str = "all") -> list[tuple[th.Schedule, Tolerance]]:
    """The schedules a candidate's closed form may have been evaluated from, each with its bound.

    float64 (or an explicit ``tol``): the oracle's, at the a-priori ``_tol``. float32 and coarser: the
    oracle's schedule when the candidate rounds only its results (tables derived in float64, with the
    rounding of its own tables when ``table_dtype`` is declared), or the tables a float32 implementation
    holds (``tolerances.stored_schedule``); against either, the formula's own roundings
    (``ROUNDINGS``), not the a-priori ``schedule_condition`` that would admit a 1e-4 error at t = 1."""
    if tol is not None or not coarse(case.dtype):
        return [(sch, _tol(sch.betas, case, tol, uses=uses))]
    own = evaluated(case.dtype, ROUNDINGS)
    if case.table_dtype is None:
        first = own
    else:
        table = machine_eps(case.table_dtype) * table_condition(sch.betas, case.t, uses)[:, None]
        first = Tolerance(np.asarray(own.rtol) + table, own.atol)
    refs = [(sch, first)]
    with np.errstate(divide="ignore", invalid="ignore"):
        # ᾱ accumulated in float64 (torch's CPU cumprod, diffusers) with β read back from ᾱ; ᾱ rounded
        # step by step (numpy's float32 cumprod) with β read back, or with the stored β itself
        for in_dtype, keep in ((False, False), (True, False), (True, True)):
            refs.append((th.Schedule(*stored_schedule(sch.betas, case.dtype, accumulate_in_dtype=in_dtype,
                                                      keep_betas=keep)), own))
    return refs


def _seen(case: DDPMCase) -> DDPMCase:
    """The case as a coarse-dtype candidate sees it: its arrays rounded to ``dtype`` (the oracle then
    reads the very inputs the candidate got; float64 cases are returned as they are)."""
    if not coarse(case.dtype):
        return case
    return dataclasses.replace(case, x0=rounded(case.x0, case.dtype), noise=rounded(case.noise, case.dtype),
                               other=rounded(case.other, case.dtype))


def _assert_any(observed: Any, refs: list[tuple[np.ndarray, np.ndarray, Tolerance]], **kw: Any) -> None:
    """``assert_close`` against the first of ``refs`` (expected, scale, tol) unless the observation holds
    against one of them; the message names the float64 oracle (the first)."""
    obs = to_numpy(observed)
    if any(t.holds(obs, e, sc) for e, sc, t in refs[1:]):
        return
    expected, scale, tol = refs[0]
    assert_close(obs, expected, tol=tol, scale=scale, **kw)


def conventions_of(candidate: Any) -> Conventions:
    """The conventions a (declared) candidate follows; the lecture's for a plain one."""
    conv = getattr(candidate, "conventions", None)
    return conv if isinstance(conv, Conventions) else Conventions()


def batch_reduced(candidate: Any, theorem: str, got: Any, expected: np.ndarray, scale: np.ndarray,
                  tol: Tolerance) -> tuple[np.ndarray, np.ndarray, np.ndarray, Tolerance]:
    """A loss declared as a mean (or sum) over the batch is compared with the mean (sum) of the
    per-sample oracle on the same batch; the error bound reduces the same way (the largest
    per-sample ``rtol`` times the reduced scale bounds the reduced error)."""
    how = conventions_of(candidate).batch_reduction
    got = to_numpy(got)
    if how == "none":
        return got, expected, scale, tol
    if got.size != 1:
        raise TheoremViolation(theorem, f"a loss declared batch_reduction={how!r} must be one number, "
                               f"got shape {got.shape}", slide=SLIDES[theorem])
    reduce = np.mean if how == "mean" else np.sum
    return (got.reshape(()), np.asarray(reduce(expected)), np.asarray(reduce(np.abs(scale))),
            Tolerance(float(np.max(tol.rtol)), tol.atol))


def prediction_weight(candidate: Any, t: np.ndarray) -> np.ndarray:
    """``w_t`` with ‖pred − pred_θ‖² = w_t ‖ε − ε_θ‖² for the declared prediction (1 for ε)."""
    fn = getattr(candidate, "prediction_loss_weight", None)
    return np.ones(len(t)) if fn is None else fn(t)


def clipped_eps(candidate: Any, sch: np.ndarray | th.Schedule, t: np.ndarray, x_t: np.ndarray,
                eps: np.ndarray) -> np.ndarray:
    """Under a declared ``clip_x0 = (lo, hi)``: the ε that the clamped x̂₀ = clip((x_t − √(1−ᾱ) ε)/√ᾱ)
    implies, so that the ε-form posterior mean of it is the clamped step's mean (exact, float64)."""
    clip = conventions_of(candidate).clip_x0
    if clip is None:
        return eps
    m, v = th.forward_marginal(sch, t)
    x0_hat = np.clip((x_t - _col(np.sqrt(v)) * eps) / _col(m), *clip)
    return (x_t - _col(m) * x0_hat) / _col(np.sqrt(v))


def _col(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)[:, None]


# --------------------------------------------------------------------------- forward process
def _law_of(free: Callable, case: DDPMCase, first: np.ndarray, mean: np.ndarray, std: np.ndarray,
            theorem: str, what: str, extra: tuple[np.ndarray, ...] = ()) -> None:
    """The distributional fallback (``checks._law``): ``free(first, t, *extra, noise)`` run with the
    candidate's own draws on ``n`` repetitions of each row, held to ``N(mean, std²)`` row-wise."""
    if len(case.t) == 0:
        return
    B, d = first.shape
    n = _law.repetitions(B, d)
    rep = lambda a: np.repeat(a, n, axis=0)  # noqa: E731 - row i's copies are rows i*n .. i*n + n - 1
    steps = case.steps()
    t_rep = steps.repeat_interleave(n)
    args = [case.tensor(rep(first)), t_rep, *(case.tensor(rep(a)) for a in extra), case.tensor(rep(case.noise))]
    out = _law.seeded(int(case.extra["seed"]), lambda: free(*args), args[0])
    _law.assert_gaussian_law(out, rep(mean), rep(np.broadcast_to(std, mean.shape)), theorem=theorem,
                             slide=SLIDES[theorem], what=what, inputs=case.describe())


def check_forward_marginal(candidate: Any, case: DDPMCase, *, tol: Tolerance | None = None) -> None:
    """ddpm.forward_marginal: ``q_sample(x0, t, ε) = √ᾱ_t x_0 + √(1-ᾱ_t) ε``."""
    sch = candidate_schedule(candidate)
    case = _seen(case)
    m, v = th.forward_marginal(sch, case.t)
    try:
        observed = candidate.q_sample(case.tensor(case.x0), case.steps(), case.tensor(case.noise))
    except CaptureMismatch:
        free = candidate.drawing_freely("q_sample") if hasattr(candidate, "drawing_freely") else None
        if free is None:
            raise
        _law_of(free, case, case.x0, _col(m) * case.x0, _col(np.sqrt(v)), "ddpm.forward_marginal",
                "x_t ~ N(√ᾱ_t x_0, (1-ᾱ_t) I)")
        return
    refs = []
    for s_, tol_ in _references(sch, case, tol):
        m, v = th.forward_marginal(s_, case.t)
        terms = (_col(m) * case.x0, _col(np.sqrt(v)) * case.noise)
        refs.append((terms[0] + terms[1], np.abs(terms[0]) + np.abs(terms[1]), tol_))
    _assert_any(observed, refs, theorem="ddpm.forward_marginal", slide=SLIDES["ddpm.forward_marginal"],
                what="x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε", inputs=case.describe())


def _probe_step(candidate: Any, case: DDPMCase, theorem: str,
                tol: Tolerance) -> tuple[np.ndarray, np.ndarray]:
    """Drift and noise coefficients ``(a, c)`` of ``q_step``, after checking it is ``a x + c ε``."""
    x, n = case.tensor(case.x0), case.tensor(case.noise)
    zero = case.tensor(np.zeros_like(case.x0))
    one = case.tensor(np.ones_like(case.x0))
    a = to_numpy(candidate.q_step(one, case.steps(), zero))
    c = to_numpy(candidate.q_step(zero, case.steps(), one))
    out = candidate.q_step(x, case.steps(), n)
    assert_close(out, a * case.x0 + c * case.noise, theorem=theorem, slide=SLIDES[theorem],
                 what="q_step is affine, a·x_{t-1} + c·ε", tol=tol,
                 scale=np.abs(a * case.x0) + np.abs(c * case.noise), inputs=case.describe())
    return a, c


def check_stationary(candidate: Any, case: DDPMCase, *, tol: Tolerance | None = None) -> None:
    """ddpm.stationary: the forward kernel maps N(0, I) to N(0, I): ``a² + c² = 1`` for
    ``x_t = a x_{t-1} + c ε`` (and ``ᾱ_T < 1``, so ``q(x_T|x_0) → N(0, I)`` as ᾱ_T → 0)."""
    sch = candidate_schedule(candidate)
    betas = sch.betas
    tol_ = _tol(betas, case, tol)
    a, c = _probe_step(candidate, case, "ddpm.stationary", tol_)
    assert_close(a**2 + c**2, np.ones_like(a), theorem="ddpm.stationary",
                 slide=SLIDES["ddpm.stationary"],
                 what="Var(x_t) = a² + c² = 1 when x_{t-1} ~ N(0, I)",
                 tol=tol_, inputs=case.describe())


def check_forward_as_langevin(candidate: Any, case: DDPMCase, *,
                              tol: Tolerance | None = None) -> None:
    """ddpm.forward_as_langevin: the DDPM step is a Langevin step on N(0, I) with ``η = β_t``:
    noise scale ``√η`` exactly, drift ``x + (η/2)(-x)`` up to ``(1-β/2) - √(1-β) ∈ [β²/8, β²/(8(1-β)^{3/2})]``."""
    sch = candidate_schedule(candidate)
    betas = sch.betas
    tol_ = _tol(betas, case, tol)
    a, c = _probe_step(candidate, case, "ddpm.forward_as_langevin", tol_)
    beta = _col(betas[case.t - 1]) * np.ones_like(a)
    assert_close(c, np.sqrt(beta), theorem="ddpm.forward_as_langevin",
                 slide=SLIDES["ddpm.forward_as_langevin"],
                 what="noise scale √η with η = β_t", tol=tol_, inputs=case.describe())
    lo, hi = th.langevin_remainder_bounds(beta)
    gap = (1 - beta / 2) - a  # O(β²) for the DDPM drift √(1-β); β/2 for a drift 1-β
    slack = tol_.bound(np.ones_like(gap))  # rounding of a coefficient of size about 1
    outside = (gap < lo - slack) | (gap > hi + slack)
    if outside.any():
        k = np.unravel_index(int(np.argmax(outside)), gap.shape)
        raise TheoremViolation(
            "ddpm.forward_as_langevin",
            "drift coefficient a of q_step: (1-β/2) - a must lie in [β²/8, β²/(8(1-β)^{3/2})]",
            slide=SLIDES["ddpm.forward_as_langevin"], inputs=case.describe(),
            expected=f"[{lo[k]:.6g}, {hi[k]:.6g}] (β = {beta[k]:.6g})", observed=gap[k])


# --------------------------------------------------------------------------- posterior
def check_posterior(candidate: Any, case: DDPMCase, *, tol: Tolerance | None = None) -> None:
    """ddpm.posterior: mean ``√ᾱ_{t-1}β_t/(1-ᾱ_t) x_0 + √α_t(1-ᾱ_{t-1})/(1-ᾱ_t) x_t``, variance ``β̃_t``."""
    sch = candidate_schedule(candidate)
    case = _seen(case)
    x_t = case.other
    mean, variance = candidate.posterior(case.tensor(x_t), case.tensor(case.x0), case.steps())
    refs, var_refs = [], []
    for s_, tol_ in _references(sch, case, tol):
        c0, ct, _ = th.posterior(s_, case.t)
        refs.append((_col(c0) * case.x0 + _col(ct) * x_t, np.abs(_col(c0) * case.x0) + np.abs(_col(ct) * x_t), tol_))
    for s_, tol_ in _references(sch, case, tol, uses="complements"):  # β̃_t is built without α_t
        _, _, var = th.posterior(s_, case.t)
        var_refs.append((np.broadcast_to(_col(var), case.x0.shape),
                         np.broadcast_to(_col(var if coarse(case.dtype) else s_.betas[case.t - 1]), case.x0.shape),
                         tol_))
    _assert_any(mean, refs, theorem="ddpm.posterior", slide=SLIDES["ddpm.posterior"],
                what="posterior mean μ̃_t(x_t, x_0)", inputs=case.describe())
    v = to_numpy(variance)
    v = np.broadcast_to(v.reshape(v.shape[0], -1) if v.ndim else v, case.x0.shape) if v.size > 1 \
        else np.broadcast_to(v, case.x0.shape)
    # float64: relative to β_t (β̃_1 = 0 compares with a tiny value); float32: to β̃_t itself, which the
    # formula's few roundings bound relative to its own size (β̃_1 = 0 has an exact zero numerator).
    _assert_any(v, var_refs, theorem="ddpm.posterior", slide=SLIDES["ddpm.posterior"],
                what="posterior variance β̃_t", inputs=case.describe())


#: A candidate whose ``posterior_mean_from_eps`` is DDIM's η = 1 step without its noise (x̂₀, then
#: ``√ᾱ_(t-1) x̂₀ + √(1-ᾱ_(t-1)-β̃_t) ε``: diffusers' DDIMScheduler) sets ``mean_route = "ddim"``; in a
#: coarse dtype the ε-form mean is then also held to that route's float32 rounding (``_eps_mean_refs``).
MEAN_ROUTE = "mean_route"


def check_eps_mean(candidate: Any, case: DDPMCase, *, tol: Tolerance | None = None) -> None:
    """ddpm.eps_mean: ``μ̃_t(x_t, x_0) = x_t/√α_t - β_t/√(α_t(1-ᾱ_t)) ε`` when ``x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε``."""
    sch = candidate_schedule(candidate)
    betas = sch.betas
    case = _seen(case)
    m, v = th.forward_marginal(sch, case.t)
    x_t = _col(m) * case.x0 + _col(np.sqrt(v)) * case.noise
    c0, ct, _ = th.posterior(sch, case.t)
    target = _col(c0) * case.x0 + _col(ct) * x_t  # the posterior mean, from x_0
    kx, ke = th.eps_mean(sch, case.t)
    if conventions_of(candidate).clip_x0 is not None:
        # The clamped x̂₀ is the posterior mean's x_0 only where it is inside the range.
        target = _col(kx) * x_t + _col(ke) * clipped_eps(candidate, betas, case.t, x_t, case.noise)
    observed = candidate.posterior_mean_from_eps(case.tensor(x_t), case.steps(),
                                                 case.tensor(case.noise))
    refs = [(target, np.abs(_col(kx) * x_t) + np.abs(_col(ke) * case.noise), _tol(betas, case, tol))]
    if tol is None and coarse(case.dtype) and conventions_of(candidate).clip_x0 is None:
        refs = _eps_mean_refs(sch, case, rounded(x_t, case.dtype), case.noise,
                              ddim_route=getattr(candidate, MEAN_ROUTE, None) == "ddim")
    _assert_any(observed, refs, theorem="ddpm.eps_mean", slide=SLIDES["ddpm.eps_mean"],
                what="μ_θ,t(x_t) with the true ε equals μ̃_t(x_t, x_0)", inputs=case.describe())


def _eps_mean_refs(sch: th.Schedule, case: DDPMCase, x_t: np.ndarray, eps: np.ndarray,
                   noise: np.ndarray | None = None, *,
                   ddim_route: bool = False) -> list[tuple[np.ndarray, np.ndarray, Tolerance]]:
    """float32 references of the ε-form mean at the (rounded) ``x_t`` the candidate got, for each schedule
    of ``_references``, by both routes a step takes: ``x_t/√α_t - β_t/√(α_t(1-ᾱ_t)) ε`` and
    ``c_0 x̂_0 + c_t x_t`` with ``x̂_0 = (x_t - √(1-ᾱ_t) ε)/√ᾱ_t`` (diffusers' step); the two agree on a
    consistent schedule and differ by the tables' rounding on a stored one. Each route's scale holds
    its own terms (x̂₀'s, which the second rounds before ``c_0`` multiplies them). With ``noise``, the ancestral
    step's ``√β̃_t z`` (0 at t = 1) of each schedule is added, and DDIM's η = 1 route is a third one; for the
    mean alone (``noise`` None) that route counts only for a candidate that declares it (``MEAN_ROUTE``):
    its rounding (``1 - ᾱ_(t-1) - β̃_t`` cancelling at small t, ``x̂₀`` amplified by ``1/√ᾱ_t`` at large t)
    would otherwise hide a 1e-4 error in the ε-form mean."""
    refs = []
    for s_, tol_ in _references(sch, case, None):
        kx, ke = th.eps_mean(s_, case.t)
        m, v = th.forward_marginal(s_, case.t)
        c0, ct, _ = th.posterior(s_, case.t)
        with np.errstate(divide="ignore", invalid="ignore"):
            x0_hat = (x_t - _col(np.sqrt(v)) * eps) / _col(m)
            x0_mag = (np.abs(x_t) + np.abs(_col(np.sqrt(v)) * eps)) / _col(m)
        z = 0.0
        if noise is not None:
            _, _, var = th.posterior(s_, case.t)
            z = _col(np.where(case.t == 1, 0.0, np.sqrt(var))) * noise
        refs.append((_col(kx) * x_t + _col(ke) * eps + z,
                     np.abs(_col(kx) * x_t) + np.abs(_col(ke) * eps) + np.abs(z), tol_))
        refs.append((_col(c0) * x0_hat + _col(ct) * x_t + z,
                     np.abs(_col(c0)) * x0_mag + np.abs(_col(ct) * x_t) + np.abs(z), tol_))
        if noise is not None or ddim_route:  # DDIM's η = 1 step: √ᾱ_(t-1) x̂₀ + √(1-ᾱ_(t-1)-β̃_t) ε + √β̃_t z
            _, _, var = th.posterior(s_, case.t)
            omab_prev = s_.one_minus_alpha_bar[case.t - 1]
            with np.errstate(divide="ignore", invalid="ignore"):
                direction = np.sqrt(np.maximum(omab_prev - var, 0.0))
                # 1 - ᾱ_(t-1) - β̃_t cancels by β̃/(1-ᾱ_(t-1)-β̃) = β_t/(α_t(1-ᾱ_(t-1))), halved by the root
                cancel = np.where(direction > 0, 0.5 * var / np.maximum(direction**2, 1e-300), 0.0)
            sqrt_prev = np.sqrt(s_.alpha_bar[case.t - 1])
            ddim = evaluated(case.dtype, ROUNDINGS + 2.0, _col(cancel))
            refs.append((_col(sqrt_prev) * x0_hat + _col(direction) * eps + z,
                         _col(sqrt_prev) * x0_mag + np.abs(_col(direction) * eps) + np.abs(z),
                         Tolerance(np.asarray(ddim.rtol) + np.asarray(tol_.rtol), ddim.atol)))
    return refs


def check_optimal_variance(candidate: Any, case: DDPMCase, *,
                           tol: Tolerance | None = None) -> None:
    """ddpm.optimal_variance: the two fixed reverse variances are the ELBO-optimal ones of the two
    limiting data laws: ``β_t`` = Var(x_{t-1}|x_t) for x_0 ~ N(0, I), ``β̃_t`` for a point mass."""
    sch = candidate_schedule(candidate)
    betas = sch.betas
    like = case.tensor(case.x0)
    for kind, data_var in (("beta", 1.0), ("beta_tilde", 0.0)):
        got = to_numpy(candidate.reverse_variance(case.steps(), like, kind))
        got = np.broadcast_to(got.reshape(got.shape[0], -1), case.x0.shape)
        refs = []
        for s_, tol_ in _references(sch, case, tol, uses="complements" if data_var == 0.0 else "all"):
            if s_ is sch:
                optimal = lg.optimal_reverse_variance(betas, data_var)[case.t - 1]
            else:  # the stored tables' β'_t and β̃'_t (ᾱ read from the tables, not re-multiplied)
                optimal = s_.betas[case.t - 1] if data_var == 1.0 else th.posterior(s_, case.t)[2]
            # float32: relative to the variance itself (a few roundings of it); float64 as before, to β_t
            scale = optimal if coarse(case.dtype) and tol is None else s_.betas[case.t - 1]
            refs.append((np.broadcast_to(_col(optimal), case.x0.shape),
                         np.broadcast_to(_col(scale), case.x0.shape), tol_))
        _assert_any(got, refs, theorem="ddpm.optimal_variance", slide=SLIDES["ddpm.optimal_variance"],
                    what=f"reverse variance {kind!r} = Var(x_(t-1)|x_t) for data variance {data_var}",
                    inputs=case.describe())


# --------------------------------------------------------------------------- losses and ELBO
def _steps_from_2(betas: np.ndarray, case: DDPMCase) -> DDPMCase:
    """The loss weight is defined for t >= 2; map t = 1 to 2 (needs T >= 2)."""
    if len(betas) < 2:
        raise ValueError("the loss-weight properties need T >= 2")
    return dataclasses.replace(case, t=np.maximum(case.t, 2))


def check_loss_weight(candidate: Any, case: DDPMCase, *, tol: Tolerance | None = None) -> None:
    """ddpm.loss_weight: ``λ_t = (1-α_t)²/(2β̃_t α_t (1-ᾱ_t))``, and ``elbo_term_eps`` equals the KL form
    ``‖μ̃_t(x_t, x_0) - μ_θ,t(x_t)‖²/(2β̃_t)`` with ``μ_θ`` the ε-form mean of ``ε_θ``."""
    sch = candidate_schedule(candidate)
    betas = sch.betas
    case = _steps_from_2(betas, case)
    lam = th.loss_weight(sch, case.t)
    tol_ = _tol(betas, case, tol)
    got = to_numpy(candidate.loss_weight(case.steps(), case.tensor(case.x0)))
    assert_close(got.reshape(-1), lam, theorem="ddpm.loss_weight", slide=SLIDES["ddpm.loss_weight"],
                 what="λ_t = (1-α_t)²/(2β̃_t α_t (1-ᾱ_t))", tol=Tolerance(tol_.rtol[:, 0],
                                                                           tol_.atol),
                 inputs=case.describe())
    if hasattr(candidate, "elbo_term_eps"):
        eps_pred = case.other
        m, v = th.forward_marginal(sch, case.t)
        x_t = _col(m) * case.x0 + _col(np.sqrt(v)) * case.noise
        c0, ct, var = th.posterior(sch, case.t)
        kx, ke = th.eps_mean(sch, case.t)
        mu_tilde = _col(c0) * case.x0 + _col(ct) * x_t
        mu_theta = _col(kx) * x_t + _col(ke) * eps_pred
        kl = np.sum((mu_tilde - mu_theta) ** 2, axis=1) / (2 * var)
        got = candidate.elbo_term_eps(case.tensor(case.x0), case.steps(), case.tensor(case.noise),
                                      case.tensor(eps_pred))
        # First order, either route: ε-form λ‖ε - ε_θ‖² (the square doubles the relative error of
        # its terms) or KL form ‖μ̃ - μ_θ‖²/(2β̃) (error of the difference of the two means).
        mags = (np.abs(_col(kx) * x_t) + np.abs(_col(ke) * case.noise) + np.abs(_col(c0) * case.x0)
                + np.abs(_col(ct) * x_t) + np.abs(_col(ke) * eps_pred))
        scale = (np.sum(np.abs(mu_tilde - mu_theta) * mags, axis=1) / var
                 + 2 * lam * np.sum((np.abs(case.noise) + np.abs(eps_pred)) ** 2, axis=1))
        got, kl, scale, tol_l = batch_reduced(candidate, "ddpm.loss_weight", got, kl, scale,
                                              Tolerance(tol_.rtol[:, 0], tol_.atol))
        assert_close(got, kl, theorem="ddpm.loss_weight", slide=SLIDES["ddpm.loss_weight"],
                     what="λ_t‖ε - ε_θ‖² equals the KL ‖μ̃ - μ_θ‖²/(2β̃_t)",
                     tol=tol_l, scale=scale, inputs=case.describe())


def linear_eps_model(case: DDPMCase, T: int) -> tuple[Callable, Callable]:
    """A drawn linear ε-model ``ε_θ(x, t) = x W + (t/T) b`` in torch and its numpy twin."""
    import torch

    w = case.extra["W"]
    b = case.extra["b_eps"]
    wt, bt = case.tensor(w), case.tensor(b)

    def torch_model(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return x @ wt + (t.to(x.dtype) / T)[:, None] * bt

    def numpy_model(x: np.ndarray, t: np.ndarray) -> np.ndarray:
        return x @ w + (t / T)[:, None] * b

    return torch_model, numpy_model


def check_simple_loss(candidate: Any, case: DDPMCase, *, tol: Tolerance | None = None) -> None:
    """ddpm.simple_loss: ``simple_loss = ‖ε - ε_θ,t(√ᾱ_t x_0 + √(1-ᾱ_t) ε)‖²`` per sample."""
    sch = candidate_schedule(candidate)
    betas = sch.betas
    model, np_model = linear_eps_model(case, len(betas))
    m, v = th.forward_marginal(sch, case.t)
    x_t = _col(m) * case.x0 + _col(np.sqrt(v)) * case.noise
    expected = np.sum((case.noise - np_model(x_t, case.t)) ** 2, axis=1)
    got = candidate.simple_loss(model, case.tensor(case.x0), case.steps(), case.tensor(case.noise))
    tol_ = _tol(betas, case, tol)
    # First order: x_t carries the coefficient error (|√ᾱ x_0| + |√(1-ᾱ) ε|) · rtol, the linear
    # model passes it on through |W| and adds its own rounding; the square doubles it.
    w_abs = np.abs(case.extra["W"])
    eps_theta = np_model(x_t, case.t)
    d_xt = np.abs(_col(m) * case.x0) + np.abs(_col(np.sqrt(v)) * case.noise)
    d_eps_theta = (d_xt + np.abs(x_t)) @ w_abs + np.abs(case.extra["b_eps"])
    if conventions_of(candidate).prediction != "eps":
        # the ε → x₀/v/score conversion reads the candidate's x_t: its error enters in ε units
        # divided by √(1-ᾱ_t) (the x₀ case, the largest of the three).
        d_eps_theta = d_eps_theta + d_xt / _col(np.sqrt(v))
    scale = 2 * np.sum(np.abs(case.noise - eps_theta) * d_eps_theta
                       + (np.abs(case.noise) + np.abs(eps_theta)) ** 2, axis=1)
    w = prediction_weight(candidate, case.t)  # the loss in the declared parametrization
    got, expected, scale, tol_l = batch_reduced(candidate, "ddpm.simple_loss", got, w * expected, w * scale,
                                                Tolerance(tol_.rtol[:, 0], tol_.atol))
    assert_close(got, expected, theorem="ddpm.simple_loss", slide=SLIDES["ddpm.simple_loss"],
                 what="‖ε - ε_θ(x_t, t)‖² at x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε",
                 tol=tol_l, scale=scale, inputs=case.describe("W", "b_eps"))


def check_elbo_equals_dsm(candidate: Any, case: DDPMCase, *, tol: Tolerance | None = None) -> None:
    """ddpm.elbo_equals_dsm: ``C_2,t‖s_θ - ∇log q(x_t|x_0)‖²`` with ``∇log q(x_t|x_0) = -ε/√(1-ᾱ_t)`` and
    ``C_2 = λ_t(1-ᾱ_t)`` equals the ELBO term ``λ_t‖ε - ε_θ‖²`` at ``ε_θ = -√(1-ᾱ_t) s_θ``."""
    sch = candidate_schedule(candidate)
    betas = sch.betas
    case = _steps_from_2(betas, case)
    score = case.other
    _, v = th.forward_marginal(sch, case.t)
    eps_theta = -_col(np.sqrt(v)) * score
    lam = th.loss_weight(sch, case.t)
    expected = lam * np.sum((case.noise - eps_theta) ** 2, axis=1)
    got = candidate.dsm_term(case.tensor(case.x0), case.steps(), case.tensor(case.noise),
                             case.tensor(score))
    tol_ = _tol(betas, case, tol)
    # C_2 (|s| + |ε|/√(1-ᾱ))² = λ (|ε_θ| + |ε|)²; the square doubles the relative error.
    scale = 2 * lam * np.sum((np.abs(case.noise) + np.abs(eps_theta)) ** 2, axis=1)
    got, expected, scale, tol_l = batch_reduced(candidate, "ddpm.elbo_equals_dsm", got, expected, scale,
                                                Tolerance(tol_.rtol[:, 0], tol_.atol))
    assert_close(got, expected, theorem="ddpm.elbo_equals_dsm",
                 slide=SLIDES["ddpm.elbo_equals_dsm"],
                 what="weighted DSM term C_2‖s_θ - ∇log q(x_t|x_0)‖² = λ_t‖ε - ε_θ‖²",
                 tol=tol_l, scale=scale, inputs=case.describe())


def sigma_points(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``±√d e_i`` with weights ``1/(2d)``: integrate every polynomial of degree <= 3 against
    N(0, I_d) exactly, hence the expectation of a KL or log-density that is quadratic in ε."""
    nodes = np.concatenate([np.eye(d), -np.eye(d)]) * np.sqrt(d)
    return nodes, np.full(2 * d, 1.0 / (2 * d))


def _expect(weights: np.ndarray, term: Any, rows_per_mean: int = 1) -> float:
    """``Σ w_i term_i``; a term already averaged over the batch (one number) is that average times
    ``rows_per_mean`` (the batch holds that many sigma-point sets of equal weights)."""
    values = to_numpy(term).reshape(-1)
    if values.size == 1 and weights.size > 1:
        return float(values[0]) * rows_per_mean
    return float(weights @ values)


def check_elbo_decomposition(candidate: Any, case: DDPMCase, *,
                             tol: Tolerance | None = None) -> None:
    """ddpm.elbo_decomposition: for a linear-Gaussian reverse chain ``p_θ(x_{t-1}|x_t) =
    N(a_t x_t + b_t, v_t)``, the candidate's ``decoder_log_likelihood``, ``prior_kl`` and
    ``posterior_kl`` assemble ``E log p_θ(x_0|x_1) - KL(q(x_T|x_0)||p(x_T)) - Σ_{t>=2} L_t``, which
    equals the exact ELBO (computed directly from the Gaussian moments) and is ``<= log p_θ(x_0)``.

    Expectations over ``x_t ~ q(x_t|x_0)`` are exact: the integrands are quadratic in ε and the
    sigma-point rule integrates them exactly.
    """
    import torch

    sch = candidate_schedule(candidate)
    betas = sch.betas
    T = len(betas)
    chain = lg.LinearReverseChain(a=case.extra["a"], b=case.extra["b_chain"], v=case.extra["v"])
    x0 = case.x0[:1]  # one data point, d coordinates
    d = x0.shape[1]
    nodes, weights = sigma_points(d)
    n = len(nodes)
    x0_rep = np.repeat(x0, n, axis=0)
    # t = 1: the decoder term on the n sigma points; t = 2..T: every posterior KL in one batched call
    # (rows ordered t-major), so the check costs two candidate calls, not T.
    m1, v1 = th.forward_marginal(sch, 1)
    x_1 = m1 * x0_rep + np.sqrt(v1) * nodes
    term = candidate.decoder_log_likelihood(case.tensor(x0_rep), case.tensor(chain.a[0] * x_1 + chain.b[0]),
                                            case.tensor(np.full((n, 1), chain.v[0])))
    total = _expect(weights, term)
    if T >= 2:
        ts = np.repeat(np.arange(2, T + 1), n)
        m, v = th.forward_marginal(sch, ts)
        x_t = _col(m) * np.tile(x0_rep, (T - 1, 1)) + _col(np.sqrt(v)) * np.tile(nodes, (T - 1, 1))
        tt = torch.as_tensor(ts, dtype=torch.long, device=case.device)
        model_mean = _col(chain.a[ts - 1]) * x_t + _col(chain.b[ts - 1])
        model_var = _col(chain.v[ts - 1])
        term = candidate.posterior_kl(case.tensor(x_t), case.tensor(np.tile(x0_rep, (T - 1, 1))), tt,
                                      case.tensor(model_mean), case.tensor(model_var))
        total -= _expect(np.tile(weights, T - 1), term, rows_per_mean=T - 1)
    total -= float(to_numpy(candidate.prior_kl(case.tensor(x0))).reshape(-1)[0])
    expected = lg.elbo(chain, betas, x0[0])
    log_p = lg.log_likelihood(chain, x0[0])
    # First order: the relative error of each term, cond_t eps, times the term's size.
    terms = lg.elbo_terms(chain, betas, x0[0])
    cond = schedule_condition(betas, np.arange(1, T + 1))
    sizes = np.concatenate([[abs(terms.reconstruction)], np.abs(terms.diffusion_kls)]) + d
    scale = float(np.sum(cond * sizes) + abs(terms.prior_kl) + d)
    tol_ = tol or exact(case.dtype)
    inputs = {**case.describe("a", "b_chain", "v")}
    assert_close(total, expected, theorem="ddpm.elbo_decomposition",
                 slide=SLIDES["ddpm.elbo_decomposition"],
                 what="decoder - prior KL - Σ L_t equals the ELBO E_q log p_θ(x_0:T)/q(x_1:T|x_0)",
                 tol=tol_, scale=scale, inputs=inputs)
    if not total <= log_p + float(tol_.bound(scale)):
        raise TheoremViolation("ddpm.elbo_decomposition", "ELBO exceeds log p_θ(x_0)",
                               slide=SLIDES["ddpm.elbo_decomposition"], inputs=inputs,
                               expected=f"<= {log_p}", observed=total)


def check_kl_same_variance(candidate: Any, case: DDPMCase, *,
                           tol: Tolerance | None = None) -> None:
    """ddpm.kl_same_variance: ``KL(N(μ̃, β̃ I) || N(μ_θ, β̃ I)) = ‖μ̃ - μ_θ‖²/(2β̃)``, and with any
    model variance the closed-form Gaussian KL, through ``posterior_kl``."""
    sch = candidate_schedule(candidate)
    betas = sch.betas
    case = _steps_from_2(betas, case)
    x_t = case.noise
    model_mean = case.other
    c0, ct, var = th.posterior(sch, case.t)
    mu = _col(c0) * case.x0 + _col(ct) * x_t
    tol_ = _tol(betas, case, tol)
    for model_var, what in ((var, "same variance β̃_t"), (betas[case.t - 1], "model variance β_t")):
        expected = np.array([lg.gaussian_kl(mu[i], var[i], model_mean[i], model_var[i])
                             for i in range(len(mu))])
        if model_var is var:
            same = np.sum((mu - model_mean) ** 2, axis=1) / (2 * var)
            assert_close(expected, same, theorem="ddpm.kl_same_variance",
                         slide=SLIDES["ddpm.kl_same_variance"], what="oracle self-consistency",
                         tol=exact("float64", 1e3))
        got = candidate.posterior_kl(case.tensor(x_t), case.tensor(case.x0), case.steps(),
                                     case.tensor(model_mean),
                                     case.tensor(np.broadcast_to(_col(model_var), case.x0.shape)))
        # First order, per coordinate of ½(log(v2/v1) + (v1 + Δ²)/v2 - 1): Δ = μ̃ - m carries
        # rtol (|c_0 x_0| + |c_t x_t| + |m|), Δ² doubles it, v1/v2 and the log carry 2 rtol.
        delta = np.abs(mu - model_mean)
        mags = np.abs(_col(c0) * case.x0) + np.abs(_col(ct) * x_t) + np.abs(model_mean)
        v2 = _col(model_var)
        scale = 0.5 * np.sum(2 * delta * mags / v2 + delta**2 / v2 + 2 * _col(var) / v2 + 2, axis=1)
        got, expected_r, scale, tol_l = batch_reduced(candidate, "ddpm.kl_same_variance", got, expected, scale,
                                                      Tolerance(tol_.rtol[:, 0], tol_.atol))
        assert_close(got, expected_r, theorem="ddpm.kl_same_variance",
                     slide=SLIDES["ddpm.kl_same_variance"], what=f"posterior KL with {what}",
                     tol=tol_l, scale=scale, inputs=case.describe())


# --------------------------------------------------------------------------- sampling
def check_ancestral_step(candidate: Any, case: DDPMCase, *, tol: Tolerance | None = None) -> None:
    """ddpm.ancestral_sampling: ``x_{t-1} = μ_θ,t(x_t) + √β̃_t z`` with ``z = 0`` at ``t = 1``."""
    sch = candidate_schedule(candidate)
    betas = sch.betas
    case = _seen(case)
    x_t, eps = case.x0, case.other
    kx, ke = th.eps_mean(sch, case.t)
    _, _, var = th.posterior(sch, case.t)
    std = np.where(case.t == 1, 0.0, np.sqrt(var))
    eps_used = clipped_eps(candidate, betas, case.t, x_t, eps)
    expected = _col(kx) * x_t + _col(ke) * eps_used + _col(std) * case.noise
    try:
        got = candidate.reverse_step(case.tensor(x_t), case.steps(), case.tensor(eps),
                                     case.tensor(case.noise))
    except CaptureMismatch:
        free = candidate.drawing_freely("reverse_step") if hasattr(candidate, "drawing_freely") else None
        if free is None:
            raise
        # Noiseless rows (t = 1) stay exact: the fed draws are unused there, so capture matched them.
        keep = case.t > 1
        sub = dataclasses.replace(case, t=case.t[keep], x0=x_t[keep], other=eps[keep], noise=case.noise[keep])
        _law_of(free, sub, x_t[keep], (_col(kx) * x_t + _col(ke) * eps_used)[keep], _col(std)[keep],
                "ddpm.ancestral_sampling", "x_(t-1) ~ N(μ_θ,t(x_t), β̃_t I)", extra=(eps[keep],))
        return
    # The clamped x̂₀ is formed from ε before the clamp: its rounding enters as |ke ε| either way.
    scale = (np.abs(_col(kx) * x_t) + np.abs(_col(ke)) * (np.abs(eps) + np.abs(eps_used))
             + np.abs(_col(std) * case.noise))
    refs = [(expected, scale, _tol(betas, case, tol))]
    if tol is None and coarse(case.dtype) and conventions_of(candidate).clip_x0 is None:
        refs = _eps_mean_refs(sch, case, x_t, eps, noise=case.noise)
    _assert_any(got, refs, theorem="ddpm.ancestral_sampling", slide=SLIDES["ddpm.ancestral_sampling"],
                what="x_(t-1) = x_t/√α_t - β_t/√(α_t(1-ᾱ_t)) ε_θ + √β̃_t z", inputs=case.describe())


def _unit_probes(T: int, n: int, like: Any) -> Any:
    """Noises ``(T, n, 1)`` like ``like``, zero but ``z[k-1, k+1] = 1`` for ``k = 1..T``: the 0/1 entries are
    exact in any dtype, so they are made in place, not copied from float64. On the CPU the zeros come from
    numpy's calloc (pages the sampler never writes are not zero-filled: at T = 4000 the probe is 128 MB)."""
    import torch

    np_dtype = {torch.float64: np.float64, torch.float32: np.float32, torch.float16: np.float16}.get(like.dtype)
    if like.device.type == "cpu" and np_dtype is not None:
        noises = torch.from_numpy(np.zeros((T, n, 1), dtype=np_dtype))
    else:
        noises = torch.zeros((T, n, 1), dtype=like.dtype, device=like.device)
    noises[torch.arange(T, device=like.device), torch.arange(2, n, device=like.device), 0] = 1.0
    return noises


def check_sampler_law(candidate: Any, case: DDPMCase, *, tol: Tolerance | None = None) -> None:
    """ddpm.ancestral_sampling: with the exact ε-predictor of Gaussian data N(m, s²) the sampler is a
    linear-Gaussian chain; its output law (read off exactly by probing the candidate's ``sample``
    with unit noises) equals the law the theory computes for that chain.

    float64 (or an explicit ``tol``): against that law at the a-priori bound. float32 and coarser: against
    the law of the chain the candidate runs on the ε-model values it reads, from each schedule it may hold
    (``_references``), at the forward error bound of its own roundings (``checks._chain_error``): a 2 %
    error in the noise variance is caught at T = 1000."""
    import torch

    sch = candidate_schedule(candidate)
    betas = sch.betas
    T = len(betas)
    mean0, var0 = float(case.extra["data_mean"]), float(case.extra["data_var"])
    abar = np.exp(np.cumsum(np.log1p(-betas)))
    # E[ε | x_t] = c_t x_t + e_t for x_0 ~ N(mean0, var0) (exact Gaussian conditioning).
    c = np.sqrt(1 - abar) / (abar * var0 + 1 - abar)
    e = -c * np.sqrt(abar) * mean0
    ct, et = case.tensor(c), case.tensor(e)
    # Batch of T + 2 probes: row 0 all noise zero; row 1 x_T = 1; row k + 1 has z_k = 1. The probe is
    # intrinsically (T, T + 2), every gain of the affine map (x_T, z_1..z_T) -> x_0 read in the one call.
    # e_t enters row 0 only (of each copy of the batch a sampler stacks): the other rows are the gains
    # themselves, free of the offset's rounding. A call on a batch that is not whole copies of the probe
    # cannot tell row 0 apart: the probe then runs again with e_t in every row, the gains read as
    # differences from row 0, and the law is held to the a-priori bound.
    n = T + 2
    offset_row = case.tensor(np.eye(n, 1))
    odd_batch = []

    def eps_model(x: torch.Tensor, t: torch.Tensor, offset_only: bool = True) -> torch.Tensor:
        # Called T times on T + 2 rows: a sampler passes one step for the whole batch, read as a scalar
        # (a gather of T + 2 rows per call made the probe's T² cost double); rows at mixed steps gathered.
        shift = 1.0
        if offset_only and x.shape[0] % n == 0:
            shift = offset_row if x.shape[0] == n else offset_row.repeat(x.shape[0] // n, 1)
        elif offset_only:
            odd_batch.append(x.shape[0])
        if t.numel() and torch.equal(t, t[:1].expand_as(t)):
            k = int(t[0]) - 1
            return ct[k] * x + et[k] * shift
        return ct[t - 1][:, None] * x + et[t - 1][:, None] * shift

    x_T = np.zeros((n, 1))
    x_T[1, 0] = 1.0
    x_T_ = case.tensor(x_T)
    out = to_numpy(candidate.sample(eps_model, x_T_, _unit_probes(T, n, x_T_)))[:, 0]
    gains = out[1:].copy()
    if odd_batch:
        out = to_numpy(candidate.sample(lambda x, t: eps_model(x, t, False), x_T_, _unit_probes(T, n, x_T_)))[:, 0]
        gains = out[1:] - out[0]
    gains[1] = 0.0  # z_1 is unused at t = 1 (Algorithm 2): its gain is 0
    observed = np.array([out[0], float(np.sum(gains**2))])
    scale = np.array([abs(mean0) + 1.0, var0 + 1.0])
    kw = dict(theorem="ddpm.ancestral_sampling", slide=SLIDES["ddpm.ancestral_sampling"],
              what="law (mean, variance) of the sampler's x_0 with the exact ε of N(m, s²) data",
              inputs={"data_mean": mean0, "data_var": var0, "T": T, "dtype": str(case.dtype)})
    if tol is not None or not coarse(case.dtype) or odd_batch:
        chain = lg.ddpm_sampler_chain(betas, mean0, var0, variance="beta_tilde")
        mean_exp, var_exp = lg.sampler_law(chain)
        expected = np.array([float(np.ravel(mean_exp)[0]), float(np.ravel(var_exp)[0])])
        assert_close(observed, expected, tol=tol or _law_tol(betas, case), scale=scale, **kw)
        return
    c_seen, e_seen = to_numpy(ct), to_numpy(et)
    refs = []
    u = 0.5 * machine_eps(case.dtype)
    routes = _chain_error.ROUTES if getattr(candidate, MEAN_ROUTE, None) == "ddim" else ("eps", "x0")
    for ref, ref_tol in _references(sch, case, None):
        rho = _law_rho(betas, case, ref is sch)
        for route in routes:
            chain = _chain_error.probed_chain(ref, c_seen, e_seen, route)
            # σ_t as exp(½ log σ_t²) (diffusers' "fixed_small_log") carries ½ |log σ_t²| u more
            with np.errstate(divide="ignore"):
                sigma_rho = rho + COUNTED * u * 0.5 * np.where(chain.v > 0, np.abs(np.log(chain.v)), 0.0)
            bound = np.array(_chain_error.law_error_bound(chain, rho, sigma_rho))
            refs.append((np.array(chain.law()), scale, Tolerance(rtol=bound / scale, atol=ref_tol.atol)))
    _assert_any(observed, refs, **kw)


def _law_tol(betas: np.ndarray, case: DDPMCase) -> Tolerance:
    """The a-priori bound of the sampler's law in float64: an error δ_t in step t's coefficients moves
    x_0 by about δ_t times the size of that step's update, at most of order √β_t."""
    steps = np.arange(1, len(betas) + 1)
    tol_ = exact(case.dtype, float(np.sum(schedule_condition(betas, steps) * np.sqrt(betas))))
    if case.table_dtype is None:
        return tol_
    table = float(np.sum(table_condition(betas, steps) * np.sqrt(betas)))
    return Tolerance(tol_.rtol + machine_eps(case.table_dtype) * table, tol_.atol)


def _law_rho(betas: np.ndarray, case: DDPMCase, oracle_schedule: bool) -> np.ndarray:
    """Per-step relative perturbation ``ρ_t`` of a sampler step evaluated in ``case.dtype``: a closed form's
    roundings (``ROUNDINGS``) plus the ε-model's two and the noise term's two; on the oracle's own schedule,
    the declared ``table_dtype``'s rounding of the candidate's tables at every step (``table_condition``)."""
    rho = np.asarray(evaluated(case.dtype, ROUNDINGS + 4.0).rtol, dtype=np.float64)
    if oracle_schedule and case.table_dtype is not None:
        steps = np.arange(1, len(betas) + 1)
        return rho + machine_eps(case.table_dtype) * table_condition(betas, steps)
    return rho


def check_score_reparametrization(candidate: Any, case: DDPMCase, *,
                                  tol: Tolerance | None = None) -> None:
    """ddpm.score_reparametrization: ``s_θ,t = -ε_θ,t/√(1-ᾱ_t)``, so ``s = ∇ log q(x_t|x_0)`` at the
    true ε (000 L9 prints it without the minus sign)."""
    sch = candidate_schedule(candidate)
    case = _seen(case)
    eps = case.other
    got = candidate.score_from_eps(case.tensor(eps), case.steps())
    refs = [(_col(th.score_from_eps(s_, case.t)) * eps, None, tol_) for s_, tol_ in _references(sch, case, tol)]
    _assert_any(got, refs, theorem="ddpm.score_reparametrization",
                slide=SLIDES["ddpm.score_reparametrization"], what="s = -ε/√(1-ᾱ_t)", inputs=case.describe())


def check_score_form_step(candidate: Any, case: DDPMCase, *, tol: Tolerance | None = None) -> None:
    """ddpm.sampling_in_score_form: ``x_{t-1} = x_t/√(1-β_t) + β_t/√(1-β_t) s_θ + σ_t z``, the same step
    as the ε-form at ``ε_θ = -√(1-ᾱ_t) s_θ``."""
    sch = candidate_schedule(candidate)
    betas = sch.betas
    x_t, score = case.x0, case.other
    kx, ks = th.score_step(sch, case.t)
    _, _, var = th.posterior(sch, case.t)
    std = np.where(case.t == 1, 0.0, np.sqrt(var))
    expected = _col(kx) * x_t + _col(ks) * score + _col(std) * case.noise
    got = candidate.reverse_step_score(case.tensor(x_t), case.steps(), case.tensor(score),
                                       case.tensor(case.noise))
    scale = np.abs(_col(kx) * x_t) + np.abs(_col(ks) * score) + np.abs(_col(std) * case.noise)
    assert_close(got, expected, theorem="ddpm.sampling_in_score_form",
                 slide=SLIDES["ddpm.sampling_in_score_form"],
                 what="x_(t-1) = x_t/√(1-β_t) + β_t/√(1-β_t) s + σ_t z",
                 tol=_tol(betas, case, tol), scale=scale, inputs=case.describe())


def check_exact_denoiser(eps_model: Callable, betas: np.ndarray, mixture: GaussianMixture,
                         case: DDPMCase, *, tol: Tolerance | None = None) -> None:
    """ddpm.score_reparametrization for the optimal model: for data ``mixture``, the exact ε-predictor
    ``E[ε|x_t]`` equals ``-√(1-ᾱ_t) ∇ log q(x_t)`` (Tweedie), the score of the noised mixture."""
    betas = validate_betas(betas)
    x_t = case.other
    ts = case.t
    expected = np.empty_like(x_t)
    cond = np.empty(len(ts))
    scale = np.empty_like(x_t)
    ms, vs = th.forward_marginal(betas, ts)  # every row's step at once: the schedule is read once
    sched_cond = schedule_condition(betas, ts)
    for i in range(len(ts)):
        m, v = ms[i], vs[i]
        noised = mixture.noised(float(m), float(v))
        expected[i] = -np.sqrt(v) * noised.score(x_t[i])
        # First order: solving with Σ_k amplifies by its condition number, the softmax of the
        # component log-densities by their size; the component terms may cancel in the average.
        diff = x_t[i] - noised.means
        prec_diff = np.linalg.solve(noised.covs, diff[..., None])[..., 0]
        kappa = float(np.max(np.linalg.cond(noised.covs)))
        logits = float(np.max(np.abs(np.sum(diff * prec_diff, axis=1))
                              + np.abs(np.linalg.slogdet(noised.covs)[1])))
        cond[i] = float(sched_cond[i]) * (mixture.dim * kappa + logits + 1)
        scale[i] = np.sqrt(v) * np.max(np.abs(prec_diff), axis=0) * (1 + logits)
    got = eps_model(case.tensor(x_t), case.steps())
    assert_close(got, expected, theorem="ddpm.score_reparametrization",
                 slide=SLIDES["ddpm.score_reparametrization"],
                 what="exact ε*(x_t) = -√(1-ᾱ_t) ∇log q_t(x_t) for Gaussian-mixture data",
                 tol=tol or exact(case.dtype, cond[:, None]), scale=scale,
                 inputs={**case.describe(), "mixture": mixture})


# --------------------------------------------------------------------------- verify
@dataclass(frozen=True)
class Property(_verify.Property):
    min_T: int = 1


PROPERTIES: tuple[Property, ...] = (
    Property("forward_marginal", "ddpm.forward_marginal", check_forward_marginal, ("q_sample",)),
    Property("stationary", "ddpm.stationary", check_stationary, ("q_step",)),
    Property("forward_as_langevin", "ddpm.forward_as_langevin", check_forward_as_langevin,
             ("q_step",)),
    Property("posterior", "ddpm.posterior", check_posterior, ("posterior",)),
    Property("eps_mean", "ddpm.eps_mean", check_eps_mean, ("posterior_mean_from_eps",)),
    Property("optimal_variance", "ddpm.optimal_variance", check_optimal_variance,
             ("reverse_variance",)),
    Property("kl_same_variance", "ddpm.kl_same_variance", check_kl_same_variance,
             ("posterior_kl",), min_T=2),
    Property("loss_weight", "ddpm.loss_weight", check_loss_weight, ("loss_weight",), min_T=2),
    Property("simple_loss", "ddpm.simple_loss", check_simple_loss, ("simple_loss",)),
    Property("elbo_equals_dsm", "ddpm.elbo_equals_dsm", check_elbo_equals_dsm, ("dsm_term",),
             min_T=2),
    Property("elbo_decomposition", "ddpm.elbo_decomposition", check_elbo_decomposition,
             ("decoder_log_likelihood", "posterior_kl", "prior_kl")),
    Property("ancestral_step", "ddpm.ancestral_sampling", check_ancestral_step,
             ("reverse_step",)),
    Property("sampler_law", "ddpm.ancestral_sampling", check_sampler_law, ("sample",)),
    Property("score_reparametrization", "ddpm.score_reparametrization",
             check_score_reparametrization, ("score_from_eps",)),
    Property("score_form_step", "ddpm.sampling_in_score_form", check_score_form_step,
             ("reverse_step_score",)),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


@st.composite
def ddpm_cases(draw: st.DrawFn, T: int, *, dtype: Any, device: Any = "cpu",
               min_t: int = 1, max_batch: int = 6, max_dim: int = 4, min_dim: int = 1,
               table_dtype: Any = None) -> DDPMCase:
    """Inputs for the DDPM checks at a fixed schedule length ``T``.

    Steps include both ends (``t = 1`` and ``t = T``) with raised probability; the extras hold a
    linear ε-model (W, b), a linear reverse chain (a, b, v) and Gaussian data (mean, variance).
    """
    B = draw(st.integers(1, max_batch))
    d = draw(st.integers(min_dim, max_dim))
    # Model parameters, the data law and the steps from one drawn seed: their edge values are not
    # where bugs hide (the ends of the schedule are forced below), and a Hypothesis draw each was
    # most of a case's cost.
    rng = case_rng(draw)
    t = rng.integers(min_t, T + 1, B).astype(np.int64)
    # Both ends of the schedule with raised probability (where conditioning is worst / β̃ → 0).
    ends = ("both", "both", "both", "first", "last", "drawn")[int(rng.integers(6))]
    if B == 1 and ends == "both":  # one row holds one end: either, evenly (else t = 1 came in 1 of 6)
        ends = ("first", "last")[int(rng.integers(2))]
    if ends in ("first", "both"):
        t[0] = min_t
    if ends in ("last", "both"):
        t[-1] = T
    x0 = draw(arrays((B, d)))
    noise = draw(normal_arrays((B, d)))
    other = draw(arrays((B, d)))
    extra = {
        "W": rng.uniform(-1.0, 1.0, (d, d)),  # linear ε-model x W + (t/T) b_eps
        "b_eps": rng.uniform(-1.0, 1.0, d),
        "a": rng.uniform(0.5, 1.0, T),  # linear reverse chain N(a_t x_t + b_t, v_t)
        "b_chain": rng.uniform(-0.5, 0.5, T),
        "v": rng.uniform(0.01, 1.0, T),
        "seed": int(rng.integers(0, 2**31 - 1)),  # torch's seed where a step's law is checked by sampling
        "data_mean": rng.uniform(-2.0, 2.0),  # Gaussian data N(m, s²) for the sampler law
        "data_var": rng.uniform(0.01, 2.0),
    }
    return DDPMCase(t, x0, noise, other, dtype=dtype, device=device, extra=extra, table_dtype=table_dtype)


class VerifyReport(_verify.VerifyReport):
    concept = "ddpm"


# The conventions a DDPM candidate may follow, tried one at a time for a hint when a property fails.
HINT_KEYS = ("steps", "time_direction", "prediction", "reduction", "batch_reduction", "log_base", "clip_x0",
             "table_dtype")
#: The keys that change a loss's output and nothing else (``Declared.undo_reduction``, ``batch_reduced``),
#: and the properties whose checks read a loss.
LOSS_KEYS = ("reduction", "batch_reduction", "log_base")
LOSS_PROPERTIES = ("kl_same_variance", "loss_weight", "simple_loss", "elbo_equals_dsm", "elbo_decomposition")
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED = HINT_KEYS


def _not_applicable(prop: Property, T: int, conv: Conventions) -> str | None:
    if T < prop.min_T:
        return f"needs T >= {prop.min_T}"
    if prop.name == "sampler_law" and conv.clip_x0 is not None:
        return "a sampler that clamps x̂₀ is not linear-Gaussian: its law has no closed form here"
    return None


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any, *, min_dim: int = 1, max_dim: int = 4,
           max_batch: int = 6) -> VerifyReport:
    """Run every DDPM property the candidate supports under Hypothesis, and report each one.

    ``conventions`` (a :class:`~dgmcheck.checks.conventions.Conventions`, a mapping or
    ``"key=value"`` pairs) declares what the candidate does on purpose: 0-based steps, x₀/v
    predictions, mean reductions, bits, x̂₀ clipping, float32 tables. Methods without a ``noise``
    parameter draw their own noise and are fed the check's draws (``dgmcheck.checks.capture``).
    ``dtype``/``device`` default to the candidate's ``dtype``/``device`` attributes, else float64
    on the CPU; ``min_dim``/``max_dim``/``max_batch`` narrow the drawn shapes. ``properties``
    selects by name (see ``PROPERTY_NAMES``); a named property whose methods the candidate lacks
    is a TypeError. Every applicable property runs; when any fails, ``VerifyFailed`` (a
    ``TheoremViolation``) is raised with the whole report (``raise_on_failure=False`` returns it),
    each failure with its inputs, the blob that replays it (``reproduce=``) and, where another
    convention would explain it, a hint. ``shrink=False`` reports failing examples as drawn; ``True``
    shrinks each for at most ``_verify.SHRINK_SECONDS`` (1 s), a number for that many seconds.
    """
    betas = candidate_betas(candidate)
    T = len(betas)
    dtype, device, conv = run.dtype, run.device, run.conventions
    table_dtype = conv.table_dtype or _table_dtype(candidate, dtype)
    _check_shapes(min_dim, max_dim, max_batch)

    def strategy(prop: Property, table: Any = table_dtype) -> st.SearchStrategy:
        sampler = prop.check is check_sampler_law
        return ddpm_cases(T, dtype=dtype, device=device, min_dim=1 if sampler else min_dim,
                          max_dim=1 if sampler else max_dim, max_batch=max_batch, table_dtype=table)

    def hint(prop: Property, case: DDPMCase, violation: TheoremViolation) -> str | None:
        return hint_for(prop, candidate, betas, conv, case, strategy)

    return run.properties(strategy, candidate=Declared(candidate, conv, betas),
                          not_applicable=lambda prop: _not_applicable(prop, T, conv),
                          provides="DDPM methods (see dgmcheck.checks.ddpm.DDPMCandidate)", hint=hint)


def _check_shapes(min_dim: int, max_dim: int, max_batch: int) -> None:
    if not (isinstance(min_dim, int) and isinstance(max_dim, int) and 1 <= min_dim <= max_dim):
        raise ValueError(f"min_dim, max_dim must be integers with 1 <= min_dim <= max_dim, "
                         f"got {min_dim!r}, {max_dim!r}")
    if not (isinstance(max_batch, int) and max_batch >= 1):
        raise ValueError(f"max_batch must be an integer >= 1, got {max_batch!r}")


def _table_dtype(candidate: Any, dtype: Any) -> Any:
    """The candidate's table dtype when it keeps its schedule narrower than float64: its other tables
    may then have been derived in float64 and rounded (whatever dtype the run uses)."""
    table = getattr(getattr(candidate, "betas", None), "dtype", None)
    if table is None or machine_eps(table) <= machine_eps("float64"):
        return None
    return table


def hint_for(prop: Property, candidate: Any, betas: np.ndarray, conv: Conventions, case: DDPMCase,
             strategy: Callable[..., st.SearchStrategy]) -> str | None:
    """A convention of ``HINT_KEYS`` under which the failing ``case`` passes and ``prop`` then holds on
    fresh draws (a short, unshrunk Hypothesis run), or ``None``. ``strategy(prop, table_dtype)``
    draws the cases; a ``table_dtype`` alternative re-reads the case with that table precision."""
    for key, alt in conv.alternatives(HINT_KEYS):
        if key in LOSS_KEYS and prop.name not in LOSS_PROPERTIES:
            continue  # these keys rescale a loss's output only: the check would fail again, identically
        try:
            view = Declared(candidate, alt, betas)
            if _not_applicable(prop, len(betas), alt):
                continue
            if key == "table_dtype":
                if alt.table_dtype is None or alt.table_dtype == case.table_dtype:
                    continue
                prop.check(view, dataclasses.replace(case, table_dtype=alt.table_dtype))
                draws = strategy(prop, alt.table_dtype)
            else:
                prop.check(view, case)
                draws = strategy(prop)
            _verify.run_property(prop.check, view, draws, _verify.settings_kw(10, False))
        except Exception:  # the alternative does not explain it either (or cannot even run)
            continue
        return hint_text(key, alt)
    return None


def verify_over_schedules(factory: Callable[[Any], Any], *, dtype: Any = None,
                          device: Any = "cpu", properties: Iterable[str] | None = None,
                          schedule_strategy: st.SearchStrategy | None = None, conventions: Any = None,
                          min_T: int = 1, max_T: int = 40, schedules: Iterable[str] | None = None,
                          min_dim: int = 1, max_dim: int = 4, max_batch: int = 6,
                          max_examples: int | None = None, shrink: bool | float = True,
                          raise_on_failure: bool = True) -> VerifyReport:
    """Like ``verify`` for a class built from a schedule: ``factory(betas)`` is called on drawn
    schedules and each property is checked on drawn inputs. Returns the report (``VerifyFailed`` on
    a failure); a property whose methods the built candidate lacks is not applicable.

    The drawn domain narrows without writing strategies: ``min_T``/``max_T`` bound the schedule
    length, ``schedules`` picks the kinds (of ``strategies.SCHEDULE_KINDS``: linear, cosine,
    increasing, arbitrary β; all by default), ``min_dim``/``max_dim``/``max_batch`` the shapes
    (``min_dim=2`` for code that cannot take 1-D features). ``schedule_strategy`` replaces the
    schedule draw altogether."""
    import torch

    from dgmcheck.checks import strategies as strat

    conv = declared_conventions(conventions, "ddpm", CONVENTIONS_HONOURED)
    dtype, device = _verify.dtype_device(None, dtype, device)
    kinds = strat.SCHEDULE_KINDS if schedules is None else tuple(schedules)
    if isinstance(schedules, str) or not kinds or not set(kinds) <= set(strat.SCHEDULE_KINDS):
        raise ValueError(f"schedules must be a non-empty collection of {strat.SCHEDULE_KINDS}, got {schedules!r}")
    if not (isinstance(min_T, int) and isinstance(max_T, int) and 1 <= min_T <= max_T):
        raise ValueError(f"min_T, max_T must be integers with 1 <= min_T <= max_T, got {min_T!r}, {max_T!r}")
    _check_shapes(min_dim, max_dim, max_batch)
    sched = schedule_strategy if schedule_strategy is not None else strat.schedules(min_T, max_T, kinds)
    probe = factory(torch.tensor(validate_betas(np.array([0.1, 0.2]))))

    def over(prop: Property) -> Callable[..., None]:
        def check(factory_: Callable, pair: tuple[Any, DDPMCase]) -> None:
            schedule, case = pair
            candidate = factory_(torch.tensor(schedule.betas))
            prop.check(Declared(candidate, conv, candidate_betas(candidate)), case)
        return check

    def strategy(prop: Property) -> st.SearchStrategy:
        sampler = prop.name == "sampler_law"
        lo, hi = (1, 1) if sampler else (min_dim, max_dim)
        return sched.filter(lambda s, m=prop.min_T: s.T >= m).flatmap(
            lambda s: st.tuples(st.just(s), ddpm_cases(s.T, dtype=dtype, device=device, min_dim=lo, max_dim=hi,
                                                       max_batch=max_batch)))

    table = [dataclasses.replace(p, check=over(p)) for p in PROPERTIES]
    return _verify.run_properties(
        factory, table, VerifyReport(_verify.candidate_name(factory), conventions=conv),
        wanted=_verify.select(properties, PROPERTY_NAMES), kw=_verify.settings_kw(max_examples, shrink),
        strategy=strategy, lacks=lambda prop: _missing(prop, probe), raise_on_failure=raise_on_failure)


def _missing(prop: Property, candidate: Any) -> str | None:
    missing = [m for m in prop.requires if not callable(getattr(candidate, m, None))]
    return f"needs {', '.join(missing)}" if missing else None
