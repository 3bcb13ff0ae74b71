"""Checks of SDEs with linear drift (VE, VP, any ``dx = f(t) x dt + g(t) dw``), their marginals, the
chains they are limits of, the continuous DSM loss, the Wiener path and Euler–Maruyama.

The SDE protocol (``verify(candidate)``)
----------------------------------------
A candidate SDE is any object exposing, every method taking ``(x, t)`` in that order::

    drift(x, t)        -> tensor like x          f(x, t) of dx = f(x, t) dt + g(t) dw
    diffusion(x, t)    -> tensor (batch,)        g(t) (x only fixes batch, dtype and device)
    marginal(x, t)     -> ((batch,), (batch,))   (a(t), s(t)): x_t | x_0 ~ N(a(t) x_0, s(t)² I)
    T                  (float, optional)         the time interval is [0, T] (default 1.0)

``t`` is passed as a ``(batch,)`` tensor like ``x``. A ``diffusion``/``marginal`` written in the
``(t, x)`` order of earlier releases (first parameter named ``t``, ``time`` or ``s``) is called in
that order for one more release, with one ``DeprecationWarning`` per method
(``dgmcheck.impl.sde.xt_order``). Optional members enable more properties:

- ``sigma_min, sigma_max`` (VE: ``σ(t) = σ_min (σ_max/σ_min)^{t/T}``) or ``beta_min, beta_max``
  (VP: ``β(t) = β_min + (t/T)(β_max - β_min)``; with ``sde_kind = "subvp"`` the sub-VP SDE
  ``g² = β(t)(1 - e^{-2B(t)})``): the candidate claims to be that SDE, and is held to the closed
  forms (``ve_marginal``/``vp_marginal``/``subvp_marginal``).
- ``chain_step(x, i, noise, N)``: the discrete chain on ``t_i = i T/N`` whose limit the SDE is (NCSN
  ``x_i = x_{i-1} + √(σ_i² - σ_{i-1}²) z`` for VE, DDPM ``x_i = √(1-β_i) x_{i-1} + √β_i z`` with
  ``β_i = β(t_i) T/N`` for VP): ``ve_chain``/``vp_chain`` and the convergence rate ``chain_rate``.
- ``dsm_loss(score_model, x0, t, noise)``: per-sample continuous DSM ``‖s_θ(x_t, t) + (x_t -
  a x_0)/s²‖²`` with ``x_t = a x_0 + s ε`` (``continuous_dsm``).

Solvers are checked as functions (``verify_solvers``): ``euler_maruyama(drift, diffusion, x0, ts,
noises, *, return_path=False)`` and ``brownian_path(ts, noises)`` with the signatures of
``dgmcheck.impl.sde`` (the ``diffusion`` handed to a solver answers ``diffusion(x, t)``, and
``diffusion(t, x)`` of earlier releases with a ``DeprecationWarning``).

Conventions (``verify(..., conventions=...)``, see ``checks.conventions``): ``ve_origin`` —
``"zero"`` (default): a VE candidate's ``marginal`` is that of the SDE started at ``x_0``,
``s(t)² = σ(t)² - σ_min²``; ``"sigma_min"``: it is read as the score-SDE code writes it,
``s(t) = σ(t)``, i.e. measured from data already perturbed by ``N(0, σ_min²)``, and every oracle
marginal gets ``a(t)² σ_min²`` added to its variance (moment ODEs started at ``v(0) = σ_min²``,
the closed form, the DSM target, the chains' limits). A VE failure that the other origin explains
carries a hint. ``time_direction`` has no SDE meaning: a forward SDE runs from data at ``t = 0``,
and one written from noise to data is a reverse SDE whose drift needs the score (the samplers
family), so ``noise_to_data`` is refused. ``table_dtype`` widens the tolerances to the rounding
of the candidate's own constants. Other keys do not concern SDEs and are ignored.

The oracles are exact: closed forms and exact recursions in float64 (``dgmcheck.theory.sde``), a
linear map probed from the candidate (Euler–Maruyama and the chains are affine in their inputs, so
their means and variances follow without sampling), and composite Gauss–Legendre quadrature
(error at rounding level) for the DSM expectations. Only the strong order of Euler–Maruyama needs
sampling (fixed seeds; the slope is compared with a band and its standard error is printed).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks.conventions import Conventions, declared, hint_text
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.strategies import Case, arrays, case_rng, edged, gaussian_mixtures, normal_arrays, with_ends
from dgmcheck.checks.tolerances import SAFETY, Tolerance, eps, exact
from dgmcheck.impl.sde import as_xt
from dgmcheck.theory import sde as th

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides("sde")

# The moment-ODE solution by Gauss–Legendre quadrature (theory.sde.moments_gl): test_theory_sde
# measures its error against the VE/VP closed forms below 1e-13 relative (and solve_ivp agrees to
# 1e-10); 1e-9 leaves a wide margin for the smooth linear SDEs a candidate may define.
ODE_RTOL = 1e-9
# Composite Gauss–Legendre over the mixture (theory.sde.panel_nodes): measured against adaptive
# quad and closed forms at <= 2e-14 relative (test_theory_sde); 1e-11 is the stated bound.
QUAD_RTOL = 1e-11
# Order bands: measured slopes of log error vs log step. Weak order 1 (exact moments, no noise) and
# strong order 1 (additive noise) / ½ (multiplicative noise) of Euler–Maruyama, and the O(1/N) of
# the DDPM chain. Pre-asymptotic curvature over the step ranges used stays within ±0.15 (measured
# in test_theory_sde); the bands are ±0.2.
ORDER_BAND = 0.2


# --------------------------------------------------------------------------- candidate helpers
def sde_T(candidate: Any) -> float:
    T = getattr(candidate, "T", 1.0)
    if not isinstance(T, (int, float)) or not T > 0:
        raise TypeError(f"candidate.T must be a positive number, got {T!r}")
    return float(T)


Spec = th.VE | th.VP | th.SubVP


def spec_of(candidate: Any) -> Spec | None:
    """The VE/VP/sub-VP closed form the candidate claims (by its parameters), or None."""
    T = sde_T(candidate)
    if hasattr(candidate, "sigma_min") and hasattr(candidate, "sigma_max"):
        return th.VE(float(candidate.sigma_min), float(candidate.sigma_max), T)
    if hasattr(candidate, "beta_min") and hasattr(candidate, "beta_max"):
        kind = getattr(candidate, "sde_kind", "vp")
        if kind not in ("vp", "subvp"):
            raise ValueError(f"candidate.sde_kind must be 'vp' or 'subvp' beside beta_min/beta_max, got {kind!r}")
        cls = th.SubVP if kind == "subvp" else th.VP
        return cls(float(candidate.beta_min), float(candidate.beta_max), T)
    return None


def origin_variance(candidate: Any, conventions: Conventions | None) -> float:
    """``v(0)`` of the marginal the candidate reports: ``σ_min²`` for a VE candidate under
    ``ve_origin="sigma_min"`` (score-SDE's ``s(t) = σ(t)``), else 0 (the SDE started at ``x_0``)."""
    spec = spec_of(candidate)
    if conventions is not None and conventions.ve_origin == "sigma_min" and isinstance(spec, th.VE):
        return spec.sigma_min**2
    return 0.0


def _f_g2_vectorized(candidate: Any, T: float) -> tuple[Callable, Callable]:
    """``f(t) = drift(1, t)`` and ``g(t)²`` of the candidate for arrays of times, one batched call
    each, in float64 (the candidate's formula, judged by the moment ODEs)."""
    import torch

    def _t(t: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.clip(np.asarray(t, dtype=np.float64), 0.0, T))

    def f(t: np.ndarray) -> np.ndarray:
        tt = _t(t)
        return to_numpy(candidate.drift(torch.ones(len(tt), 1, dtype=torch.float64), tt))[:, 0]

    def g2(t: np.ndarray) -> np.ndarray:
        tt = _t(t)
        return to_numpy(candidate.diffusion(torch.ones(len(tt), 1, dtype=torch.float64), tt)).reshape(-1) ** 2

    return f, g2


def oracle_marginal(candidate: Any, t: np.ndarray, v0: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """``(a(t), v(t))`` of the SDE: the closed form of its claimed VE/VP spec, else the moment ODEs of
    its own (linear) drift and diffusion; ``v0`` is the variance at ``t = 0`` (``origin_variance``),
    carried as ``a(t)² v0``."""
    spec = spec_of(candidate)
    if spec is not None:
        a, v = spec.marginal(t)
        return a, v + a**2 * v0
    f, g2 = _f_g2_vectorized(candidate, sde_T(candidate))
    return th.moments_gl(f, g2, t, v0=v0)


@dataclass(frozen=True)
class SDECase(Case):
    """Inputs of one SDE check: times ``t`` (B,) in [0, T], ``x0`` and ``noise`` (B, d), and extras
    (a linear score model, a 1-D mixture, a chain length, a drawn linear SDE and grid for EM).
    ``conventions`` are the declared ones (``ve_origin``); ``table_dtype`` the precision of the
    candidate's own tables or constants when coarser than ``dtype`` (tolerances use the coarser)."""

    t: np.ndarray
    x0: np.ndarray
    noise: np.ndarray
    conventions: Conventions = field(default_factory=Conventions, kw_only=True)
    table_dtype: Any = field(default=None, kw_only=True)

    @property
    def precision(self) -> Any:
        """The dtype whose rounding the tolerances carry: ``table_dtype`` when coarser than ``dtype``."""
        if self.table_dtype is not None and eps(self.table_dtype) > eps(self.dtype or "float64"):
            return self.table_dtype
        return self.dtype

    def describe(self, *extras: str) -> dict[str, Any]:
        out = {"t": self.t, "x0": self.x0, "noise": self.noise, "dtype": str(self.dtype),
               "device": str(self.device), **{k: self.extra[k] for k in extras if k in self.extra}}
        if str(self.conventions):
            out["conventions"] = str(self.conventions)
        return out


def _marginal_np(candidate: Any, case: SDECase, t: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    t = case.t if t is None else t
    x = case.tensor(np.zeros((len(t), case.x0.shape[1])))
    a, s = candidate.marginal(x, case.tensor(t))
    return to_numpy(a).reshape(-1), to_numpy(s).reshape(-1)


def _variance_condition(candidate: Any, t: np.ndarray, v0: float = 0.0) -> np.ndarray:
    spec = spec_of(candidate)
    if spec is None:
        return np.ones_like(t)
    if v0 > 0 and isinstance(spec, th.VE):  # s² = σ(t)² itself: no subtraction, only the exponent's rounding
        return 1.0 + 2.0 * spec.log_ratio * np.asarray(t) / spec.T
    return np.minimum(spec.variance_condition(t), 1e300)


def _v0(candidate: Any, case: SDECase) -> float:
    return origin_variance(candidate, case.conventions)


# --------------------------------------------------------------------------- marginals
def check_moment_odes(candidate: Any, case: SDECase, *, tol: Tolerance | None = None) -> None:
    """sde.moment_odes: for ``dx = f(t) x dt + g(t) dw`` the marginal ``N(a x_0, s² I)`` has
    ``a' = f a``, ``(s²)' = 2 f s² + g²``, ``a(0) = 1``, ``s(0) = 0``. The candidate's ``marginal`` is
    compared with the quadrature solution of those ODEs (``theory.sde.moments_gl``; test_theory_sde
    holds it to ``solve_ivp`` and the closed forms) for its own ``drift`` and ``diffusion``; its drift must
    be linear, ``drift(x, t) = f(t) x`` (a Gaussian marginal with mean ``a(t) x_0`` needs it). Under
    ``ve_origin="sigma_min"`` a VE candidate's variance ODE starts at ``s(0)² = σ_min²``."""
    theorem, slide = "sde.moment_odes", SLIDES["sde.moment_odes"]
    T = sde_T(candidate)
    x, tt = case.tensor(case.x0), case.tensor(case.t)
    f_t = to_numpy(candidate.drift(case.tensor(np.ones_like(case.x0)), tt))
    drift = to_numpy(candidate.drift(x, tt))
    assert_close(drift, f_t * case.x0, theorem=theorem, slide=slide,
                 what="drift(x, t) = f(t) x (linear drift; f(t) = drift(1, t))",
                 tol=tol or exact(case.precision, 4.0), scale=np.abs(f_t * case.x0), inputs=case.describe())
    f, g2 = _f_g2_vectorized(candidate, T)
    v0 = _v0(candidate, case)
    a_exp, v_exp = th.moments_gl(f, g2, case.t, v0=v0)
    a, s = _marginal_np(candidate, case)
    cond = _variance_condition(candidate, case.t, v0)
    ode_tol = Tolerance(rtol=ODE_RTOL, atol=0.0)
    base = tol or exact(case.precision, 4.0)
    assert_close(a, a_exp, theorem=theorem, slide=slide, what="a(t) = exp(∫_0^t f) (mean ODE a' = f a)",
                 tol=Tolerance(rtol=base.rtol + ode_tol.rtol, atol=base.atol), inputs=case.describe())
    vt = tol or exact(case.precision, 4.0 * cond)
    assert_close(s**2, v_exp, theorem=theorem, slide=slide,
                 what=f"s(t)² solves (s²)' = 2 f s² + g², s(0)² = {v0:g} (variance ODE)",
                 tol=Tolerance(rtol=np.asarray(vt.rtol) + ODE_RTOL, atol=vt.atol), inputs=case.describe())


def _check_closed_form(candidate: Any, case: SDECase, theorem: str, spec: Spec,
                       tol: Tolerance | None) -> None:
    slide = SLIDES[theorem]
    v0 = _v0(candidate, case)
    a_exp, v_exp = spec.marginal(case.t)
    v_exp = v_exp + a_exp**2 * v0
    a, s = _marginal_np(candidate, case)
    # a: e^{-B/2} from B (a few roundings, exponent ≤ B amplifies by B/2); s = √v: half of v's
    # condition (a subtraction σ² - σ_min² or 1 - e^{-B} in a plain implementation).
    cond_a = 4.0 + (0.5 * spec.integrated_beta(case.t) if isinstance(spec, (th.VP, th.SubVP)) else 0.0)
    cond_s = 4.0 + 0.5 * _variance_condition(candidate, case.t, v0)
    if isinstance(spec, th.VE):
        cond_s = cond_s + 2.0 * spec.log_ratio  # σ(t) = σ_min r^{t/T}: the exponent's rounding
    origin = "" if v0 == 0 else " (declared ve_origin=sigma_min: s(t)² = σ(t)²)"
    assert_close(a, a_exp, theorem=theorem, slide=slide, what="mean coefficient a(t)",
                 tol=tol or exact(case.precision, cond_a), inputs=case.describe())
    assert_close(s, np.sqrt(v_exp), theorem=theorem, slide=slide,
                 what=f"standard deviation s(t) = √v(t){origin}",
                 tol=tol or exact(case.precision, cond_s), inputs=case.describe())
    tt = case.tensor(case.t)
    x = case.tensor(case.x0)
    drift = to_numpy(candidate.drift(x, tt))
    assert_close(drift, spec.f(case.t)[:, None] * case.x0, theorem=theorem, slide=slide,
                 what="drift f(x, t)", tol=tol or exact(case.precision, np.asarray(cond_a + 0.0 * case.t)[:, None]),
                 scale=np.abs(spec.f(case.t)[:, None] * case.x0), inputs=case.describe())
    g = to_numpy(candidate.diffusion(x, tt)).reshape(-1)
    cond_g = 4.0 + (2.0 * spec.log_ratio if isinstance(spec, th.VE) else 0.0)
    if isinstance(spec, th.SubVP):  # 1 - e^{-2B} formed by a subtraction, halved by the root
        cond_g = cond_g + 0.5 * spec.discount_condition(case.t)
    assert_close(g, np.sqrt(spec.g2(case.t)), theorem=theorem, slide=slide, what="diffusion g(t)",
                 tol=tol or exact(case.precision, cond_g), inputs=case.describe())


#: What each spec kind's checks need of the candidate (``spec_as``).
SPEC_NEEDS = {th.VE: "a VE candidate (sigma_min, sigma_max)", th.VP: "a VP candidate (beta_min, beta_max)",
              th.SubVP: "a sub-VP candidate (beta_min, beta_max, sde_kind='subvp')"}


def spec_as(candidate: Any, kind: type, check: str) -> Any:
    """The candidate's spec (``spec_of``) when it is a ``kind`` (of ``SPEC_NEEDS``); else a TypeError
    saying what ``check`` needs."""
    spec = spec_of(candidate)
    if not isinstance(spec, kind):
        raise TypeError(f"{check} needs {SPEC_NEEDS[kind]}")
    return spec


def check_ve_marginal(candidate: Any, case: SDECase, *, tol: Tolerance | None = None) -> None:
    """sde.ve_marginal: the VE SDE ``dx = √(dσ²/dt) dw`` has ``x_t | x_0 ~ N(x_0, (σ(t)² - σ(0)²) I)``;
    drift 0 and ``g = σ(t) √(2 log(σ_max/σ_min)/T)`` too."""
    _check_closed_form(candidate, case, "sde.ve_marginal", spec_as(candidate, th.VE, "check_ve_marginal"), tol)


def check_vp_marginal(candidate: Any, case: SDECase, *, tol: Tolerance | None = None) -> None:
    """sde.vp_marginal: the VP SDE has ``x_t | x_0 ~ N(e^{-B(t)/2} x_0, (1 - e^{-B(t)}) I)``,
    ``B(t) = ∫_0^t β``; drift ``-β x/2``, ``g = √β``."""
    _check_closed_form(candidate, case, "sde.vp_marginal", spec_as(candidate, th.VP, "check_vp_marginal"), tol)


def check_subvp_marginal(candidate: Any, case: SDECase, *, tol: Tolerance | None = None) -> None:
    """sde.moment_odes (the sub-VP instance): ``dx = -½ β x dt + √(β (1 - e^{-2B})) dw`` has
    ``x_t | x_0 ~ N(e^{-B/2} x_0, (1 - e^{-B})² I)`` (the moment ODEs solved in closed form,
    ``theory.sde.SubVP``; Song et al.'s sub-VP SDE, not on the lecture's slides)."""
    _check_closed_form(candidate, case, "sde.moment_odes", spec_as(candidate, th.SubVP, "check_subvp_marginal"), tol)


# --------------------------------------------------------------------------- chains
def probe_chain(candidate: Any, N: int, case: SDECase, theorem: str,
                tol: Tolerance | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-step coefficients ``(a_i, c_i)``, ``i = 1..N``, of ``chain_step(x, i, z, N) = a_i x + c_i z``,
    after checking the step is that affine map on the case's ``x0`` and ``noise``."""
    d = case.x0.shape[1]
    # one call per step: row 0 is (x, z) = (1, 0), row 1 is (0, 1)
    xs, zs = case.tensor(np.eye(2)[:, :1] * np.ones((2, d))), case.tensor(np.eye(2)[:, 1:] * np.ones((2, d)))
    probes = np.array([to_numpy(candidate.chain_step(xs, i, zs, N))[:, 0] for i in range(1, N + 1)])
    a, c = probes[:, 0], probes[:, 1]
    i = int(case.extra.get("step", 1)) % N + 1
    out = candidate.chain_step(case.tensor(case.x0), i, case.tensor(case.noise), N)
    exp_ = a[i - 1] * case.x0 + c[i - 1] * case.noise
    assert_close(out, exp_, theorem=theorem, slide=SLIDES[theorem],
                 what=f"chain_step(x, {i}, z, {N}) is affine: a_i x + c_i z", tol=tol or exact(case.precision, 4.0),
                 scale=np.abs(a[i - 1] * case.x0) + np.abs(c[i - 1] * case.noise), inputs=case.describe())
    return a, c


def chain_moments(a: np.ndarray, c: np.ndarray, v0: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """``x_i | x_0 ~ N(A_i x_0, V_i)`` of the chain, ``i = 0..N``: ``A_i = a_i A_{i-1}``,
    ``V_i = a_i² V_{i-1} + c_i²``, ``V_0 = v0`` (exact, no sampling)."""
    A, V = np.ones(len(a) + 1), np.full(len(a) + 1, float(v0))
    for i in range(len(a)):
        A[i + 1] = a[i] * A[i]
        V[i + 1] = a[i] ** 2 * V[i] + c[i] ** 2
    return A, V


def check_ve_chain(candidate: Any, case: SDECase, *, tol: Tolerance | None = None) -> None:
    """sde.ve: the NCSN chain on ``t_i = i T/N`` has steps ``(1, √(σ_i² - σ_{i-1}²))`` and its marginal
    ``N(x_0, σ_i² - σ_0²)`` equals the VE SDE's at every grid point (telescoping: exact for every N)."""
    theorem, slide = "sde.ve", SLIDES["sde.ve"]
    spec = spec_as(candidate, th.VE, "check_ve_chain")
    N = int(case.extra["N"])
    a, c = probe_chain(candidate, N, case, theorem, tol)
    sig = spec.chain_sigmas(N)
    inc = np.diff(sig**2)
    # √(σ_i² - σ_{i-1}²): the subtraction amplifies by (σ_i² + σ_{i-1}²)/(σ_i² - σ_{i-1}²), halved by √.
    cond = 4.0 + 0.5 * (sig[1:] ** 2 + sig[:-1] ** 2) / inc + 2.0 * spec.log_ratio
    assert_close(a, np.ones(N), theorem=theorem, slide=slide, what="NCSN step keeps x: coefficient 1",
                 tol=tol or exact(case.precision, 4.0), inputs={**case.describe(), "N": N})
    assert_close(c, np.sqrt(inc), theorem=theorem, slide=slide,
                 what="NCSN step noise √(σ_i² - σ_{i-1}²), σ_i = σ(iT/N)", tol=tol or exact(case.precision, cond),
                 inputs={**case.describe(), "N": N})
    _, V = chain_moments(a, c)
    _, v_sde = spec.marginal(np.arange(N + 1) * spec.T / N)
    # V_i = Σ c_j²: each c_j² carries 2·cond_j relative error; the sum adds i roundings.
    err_scale = np.concatenate([[0.0], np.cumsum(c**2 * (2 * cond + 1))]) + np.arange(N + 1) * np.abs(v_sde)
    assert_close(V, v_sde, theorem=theorem, slide=slide,
                 what="chain variance at t_i equals the VE marginal σ(t_i)² - σ(0)² (exact at grid points)",
                 tol=tol or exact(case.precision, 1.0), scale=err_scale, inputs={**case.describe(), "N": N})


def check_vp_chain(candidate: Any, case: SDECase, *, tol: Tolerance | None = None) -> None:
    """sde.vp: the DDPM chain on ``t_i = i T/N`` has steps ``(√(1-β_i), √β_i)`` with
    ``β_i = β(t_i) Δt`` (000 L11 "Diffusion SDE": ``β_t = β(t/T)/T``), so its moments are the exact
    DDPM recursion (``theory.sde.ddpm_chain_moments``); they converge to the VP marginal as O(1/N)
    (``check_chain_rate``)."""
    theorem, slide = "sde.vp", SLIDES["sde.vp"]
    spec = spec_as(candidate, th.VP, "check_vp_chain")
    N = int(case.extra["N"])
    a, c = probe_chain(candidate, N, case, theorem, tol)
    betas = spec.chain_betas(N)
    cond_a = 4.0 + betas / (1.0 - betas)  # √(1 - β): 1 - β formed by a subtraction
    inputs = {**case.describe(), "N": N}
    assert_close(a, np.sqrt(1.0 - betas), theorem=theorem, slide=slide,
                 what="DDPM step coefficient √(1 - β_i), β_i = β(t_i) T/N", tol=tol or exact(case.precision, cond_a),
                 inputs=inputs)
    assert_close(c, np.sqrt(betas), theorem=theorem, slide=slide,
                 what="DDPM step noise √β_i, β_i = β(t_i) T/N", tol=tol or exact(case.precision, 4.0), inputs=inputs)
    A, V = chain_moments(a, c)
    A_exp, V_exp = th.ddpm_chain_moments(betas)
    k = np.arange(N + 1)
    assert_close(A, A_exp, theorem=theorem, slide=slide, what="chain mean coefficient ∏ √(1 - β_j)",
                 tol=tol or exact(case.precision, 1.0), scale=np.abs(A_exp) * (k * cond_a.max() + 1), inputs=inputs)
    assert_close(V, V_exp, theorem=theorem, slide=slide, what="chain variance (1 - β_i) V_{i-1} + β_i",
                 tol=tol or exact(case.precision, 1.0), scale=(k * cond_a.max() + 1) * np.maximum(V_exp, betas[0]),
                 inputs=inputs)


def chain_errors(candidate: Any, Ns: Iterable[int], case: SDECase) -> tuple[list[float], list[float]]:
    """``max_i |A_i - a(t_i)| + |V_i - v(t_i)|`` of the candidate's chain for each N (exact moments),
    and the rounding scale of the composed moments (``Σ_j c_j² + i |v(t_i)|``, in units of eps)."""
    spec = spec_of(candidate)
    theorem = "sde.ve" if isinstance(spec, th.VE) else "sde.vp"
    errs, scales = [], []
    v0 = _v0(candidate, case)
    for N in Ns:
        a, c = probe_chain(candidate, N, case, theorem)
        A, V = chain_moments(a, c, v0)
        ea, ev = oracle_marginal(candidate, np.arange(N + 1) * sde_T(candidate) / N, v0)
        errs.append(float(np.max(np.abs(A - ea) + np.abs(V - ev))))
        scales.append(float(np.max(np.concatenate([[0.0], np.cumsum(c**2)]) + np.arange(N + 1) * (np.abs(ev) + 1))))
    return errs, scales


def check_chain_rate(candidate: Any, case: SDECase, *, tol: Tolerance | None = None) -> None:
    """sde.vp (rate) / sde.ve: the chain's exact moments converge to the SDE marginal at the grid
    points with order 1 in ``Δt = T/N`` for the DDPM chain (slope of log error vs log Δt in
    ``1 ± ORDER_BAND``), and are exact (error at rounding level) for the NCSN chain."""
    spec = spec_of(candidate)
    theorem = "sde.ve" if isinstance(spec, th.VE) else "sde.vp"
    slide = SLIDES[theorem]
    n0 = int(np.ceil(8 * spec.beta_max * spec.T)) if isinstance(spec, th.VP) else 64
    Ns = [n0 * 2**k for k in range(3)]
    errs, scales = chain_errors(candidate, Ns, case)
    inputs = {**case.describe(), "N": Ns, "errors": errs}
    if isinstance(spec, th.VE):
        # each step's √(σ_i² - σ_{i-1}²) has condition ≤ 4 + N/log r + 2 log r (see check_ve_chain)
        cond = 4.0 + 2.0 * Ns[-1] / spec.log_ratio + 2.0 * spec.log_ratio
        bounds = [float((tol or exact(case.precision, cond)).bound(sc)) for sc in scales]
        if not all(e <= b for e, b in zip(errs, bounds, strict=True)):
            raise TheoremViolation(theorem, "the NCSN chain's variance differs from σ(t_i)² - σ(0)² at the "
                                   "grid points (it is exact for every N)", slide=slide, inputs=inputs,
                                   expected=f"<= {bounds}", observed=errs)
        return
    slope = th.convergence_slope([spec.T / N for N in Ns], errs)
    if not abs(slope - 1.0) <= ORDER_BAND:
        raise TheoremViolation(theorem, f"the DDPM chain's moments must converge to the VP marginal as "
                               f"O(1/N): slope of log error vs log Δt = {slope:.3f}, outside 1 ± {ORDER_BAND}",
                               slide=slide, inputs=inputs, expected=1.0, observed=slope)


# --------------------------------------------------------------------------- continuous DSM
def _loss_error_scale(a: np.ndarray, v: np.ndarray, x0: np.ndarray, noise: np.ndarray, pred: np.ndarray,
                      target: np.ndarray, cond_v: np.ndarray, pred_sensitivity: np.ndarray, dtype: Any) -> np.ndarray:
    """First-order bound (in units of ``SAFETY eps(dtype)``) of the rounding error of the per-sample
    loss ``Σ (pred - target)²``: ``x_t`` rounds at ``|a x_0| + s|ε|``; the target ``-(x_t - a x_0)/v``
    turns that into ``(|a x_0| + s|ε|)/v`` plus ``|target| cond_v`` (v's own condition); ``pred``
    moves by ``pred_sensitivity (|a x_0| + s|ε|)`` plus its own roundings ``~ |pred|``. With ``E`` the
    per-element magnitude, the loss moves by ``2|pred - target| E + SAFETY eps E²``."""
    a, v = a[:, None], v[:, None]
    xt_mag = np.abs(a * x0) + np.sqrt(v) * np.abs(noise)
    E = xt_mag * (1.0 / v + pred_sensitivity) + np.abs(target) * cond_v + 4.0 * np.abs(pred)
    return np.sum(2.0 * np.abs(pred - target) * E + SAFETY * eps(dtype) * E**2, axis=1)


def _linear_score(W: np.ndarray, b: np.ndarray, case: SDECase):
    Wt, bt = case.tensor(W), case.tensor(b)

    def model(x, t):
        return x @ Wt + t[:, None] * bt

    return model


def check_continuous_dsm(candidate: Any, case: SDECase, *, tol: Tolerance | None = None) -> None:
    """sde.continuous_dsm: (1) per sample, ``dsm_loss = ‖s_θ(x_t, t) + (x_t - a x_0)/s²‖²`` with
    ``x_t = a x_0 + s ε`` and the SDE's exact ``(a, s)``; (2) at a fixed t, in 1-D with mixture data
    and ``s_θ(x) = θ_1 x + θ_0``, ``E dsm_loss`` (by quadrature on the candidate's own loss) equals the
    closed form and ``E dsm_loss - E_{p_t}(s_θ - ∇log p_t)² = 1/s² - J(p_t)`` for every θ; (3) at
    ``s_θ = ∇log p_t`` (the exact mixture score) ``E dsm_loss`` attains that constant (the minimum)."""
    theorem, slide = "sde.continuous_dsm", SLIDES["sde.continuous_dsm"]
    W, b = case.extra["W"], case.extra["b"]
    v0 = _v0(candidate, case)
    a, v = oracle_marginal(candidate, case.t, v0)
    x_t = a[:, None] * case.x0 + np.sqrt(v)[:, None] * case.noise
    target = th.dsm_target(x_t, case.x0, a, v)
    pred = x_t @ W + case.t[:, None] * b
    expected = np.sum((pred - target) ** 2, axis=1)
    observed = candidate.dsm_loss(_linear_score(W, b, case), case.tensor(case.x0), case.tensor(case.t),
                                  case.tensor(case.noise))
    cond_v = 4.0 + _variance_condition(candidate, case.t, v0)[:, None]
    scale = _loss_error_scale(a, v, case.x0, case.noise, pred, target, cond_v,
                              np.abs(W).sum(0)[None, :] * W.shape[0], case.precision)
    assert_close(observed, expected, theorem=theorem, slide=slide,
                 what="per-sample ‖s_θ(x_t,t) - ∇log q(x_t|x_0)‖², ∇log q = -(x_t - a x_0)/s²",
                 tol=tol or exact(case.precision, 1.0), scale=scale, inputs=case.describe("W", "b"))
    _check_dsm_quadrature(candidate, case, tol)


def _check_dsm_quadrature(candidate: Any, case: SDECase, tol: Tolerance | None) -> None:
    import torch

    theorem, slide = "sde.continuous_dsm", SLIDES["sde.continuous_dsm"]
    mixture, t_fix = case.extra["mixture"], float(case.extra["t_fixed"])
    v0 = _v0(candidate, case)
    a_, v_ = oracle_marginal(candidate, np.array([t_fix]), v0)
    a, v = float(a_[0]), float(v_[0])
    x0n, en, w = th.dsm_nodes_1d(mixture, a, v)
    pt = th.mixture_marginal(mixture, a, v)
    const = 1.0 / v - th.fisher_information_panels(pt)
    n = len(w)
    tt = case.tensor(np.full(n, t_fix))
    inputs = {"mixture": mixture, "t": t_fix, "a": a, "v": v, "dtype": str(case.dtype)}
    x0t, et = case.tensor(x0n[:, None]), case.tensor(en[:, None])
    cond_v = np.full((n, 1), 4.0 + float(_variance_condition(candidate, np.array([t_fix]), v0)[0]))
    av, vv = np.full(n, a), np.full(n, v)
    xt = a * x0n + np.sqrt(v) * en
    target = -(xt - a * x0n)[:, None] / v

    def bound(pred: np.ndarray, sensitivity: float, value: float) -> Tolerance:
        # rounding (first order, summed with the quadrature weights) plus the quadrature's own error
        err = _loss_error_scale(av, vv, x0n[:, None], en[:, None], pred, target, cond_v,
                                np.full((n, 1), sensitivity), case.precision)
        return tol or Tolerance(rtol=SAFETY * eps(case.precision) * float(np.sum(w * err)) + QUAD_RTOL * abs(value),
                                atol=0.0)

    for theta in case.extra["thetas"]:
        t1, t0 = float(theta[0]), float(theta[1])

        def model(x, t, t1=t1, t0=t0):
            return t1 * x + t0

        loss = to_numpy(candidate.dsm_loss(model, x0t, tt, et))
        dsm = float(np.sum(w * loss))
        closed = th.dsm_linear_1d(mixture, a, v, theta)
        tol_ = bound((t1 * xt + t0)[:, None], abs(t1), closed)
        assert_close(dsm, closed, theorem=theorem, slide=slide,
                     what=f"E dsm_loss for s_θ = {t1:.4g} x + {t0:.4g} (quadrature) vs closed form",
                     tol=tol_, scale=1.0, inputs=inputs)
        explicit = th.explicit_linear_panels(mixture, a, v, theta)
        tol2 = tol or Tolerance(rtol=float(tol_.rtol) + QUAD_RTOL * (explicit + abs(const)), atol=0.0)
        assert_close(dsm - explicit, const, theorem=theorem, slide=slide,
                     what="DSM(θ) - explicit(θ) = 1/s² - J(p_t), the same for every θ",
                     tol=tol2, scale=1.0, inputs={**inputs, "theta": (t1, t0)})

    def best(x, t):
        return torch.as_tensor(pt.score(to_numpy(x)), dtype=x.dtype, device=x.device)

    dsm_best = float(np.sum(w * to_numpy(candidate.dsm_loss(best, x0t, tt, et))))
    # the model's sensitivity to the rounding of x_t: |∇² log p_t| at the nodes (central difference)
    h = 1e-5 * (1.0 + np.abs(xt))
    slope = np.abs(pt.score((xt + h)[:, None]) - pt.score((xt - h)[:, None]))[:, 0] / (2 * h)
    err_tol = bound(pt.score(xt[:, None]), 0.0, 1.0 / v)
    extra = SAFETY * eps(case.precision) * float(np.sum(w * 2.0 * np.abs(pt.score(xt[:, None])[:, 0] - target[:, 0])
                                                    * 2.0 * slope * (np.abs(a * x0n) + np.sqrt(v) * np.abs(en))))
    assert_close(dsm_best, const, theorem=theorem, slide=slide,
                 what="E dsm_loss at the exact score ∇log p_t is the minimum 1/s² - J(p_t)",
                 tol=tol or Tolerance(rtol=float(err_tol.rtol) + extra, atol=0.0), scale=1.0, inputs=inputs)


# --------------------------------------------------------------------------- Wiener process
def check_wiener(brownian_path: Callable, case: SDECase, *, tol: Tolerance | None = None) -> None:
    """sde.wiener: the path built from standard normals is ``w = L z`` with ``w(t_0) = 0`` and
    increments ``w(t_{k+1}) - w(t_k) = √Δ_k z_k``: independent ``N(0, Δ_k)``; hence
    ``Cov(w(t_k), w(t_l)) = min(t_k, t_l) - t_0`` exactly (checked on the probed linear map)."""
    theorem, slide = "sde.wiener", SLIDES["sde.wiener"]
    ts = case.extra["ts"]
    n = len(ts) - 1
    probe = np.eye(n)[:, :, None]  # noises[j, b, 0] = δ_{jb}: column b of L
    path = to_numpy(brownian_path(case.tensor(ts), case.tensor(probe)))
    if path.shape != (n + 1, n, 1):
        raise TheoremViolation(theorem, f"brownian_path must return (len(ts), batch, d) = {(n + 1, n, 1)}, "
                               f"got {path.shape}", slide=slide, inputs={"ts": ts})
    L = path[:, :, 0]
    inputs = {"ts": ts, "dtype": str(case.dtype)}
    L_exp = th.brownian_map(ts)
    assert_close(L[0], np.zeros(n), theorem=theorem, slide=slide, what="w(t_0) = 0", tol=tol or exact(case.dtype),
                 inputs=inputs)
    inc = np.diff(L, axis=0)
    dt = np.abs(np.diff(ts))
    cond = 4.0 + np.abs(ts).max() / dt.min()  # Δ_k formed by subtracting times
    assert_close(inc @ inc.T, np.diag(dt), theorem=theorem, slide=slide,
                 what="increments independent with variance Δ_k: Cov = diag(Δ)", tol=tol or exact(case.dtype, cond),
                 scale=np.sqrt(np.outer(dt, dt)), inputs=inputs)
    elapsed = np.abs(ts - ts[0])  # a decreasing grid runs the same Brownian clock backwards
    assert_close(L @ L.T, th.brownian_covariance(elapsed), theorem=theorem,
                 slide=slide, what="Cov(w(t_k), w(t_l)) = min(t_k, t_l) - t_0",
                 tol=tol or exact(case.dtype, cond * (n + 1)), scale=np.abs(L) @ np.abs(L).T, inputs=inputs)
    assert_close(L, L_exp, theorem=theorem, slide=slide, what="w(t_k) = Σ_{j<k} √Δ_j z_j",
                 tol=tol or exact(case.dtype, cond * (n + 1)), scale=np.abs(L_exp) + np.sqrt(dt.max()),
                 inputs=inputs)
    z = case.extra["path_noise"]
    out = to_numpy(brownian_path(case.tensor(ts), case.tensor(z)))
    assert_close(out, np.einsum("kj,jbd->kbd", L, z), theorem=theorem, slide=slide,
                 what="the path is linear in the noises", tol=tol or exact(case.dtype, cond * (n + 1)),
                 scale=np.einsum("kj,jbd->kbd", np.abs(L), np.abs(z)) + 1e-300, inputs=inputs)


# --------------------------------------------------------------------------- Euler–Maruyama
def either_order(g: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``g(x, t)`` as handed to a candidate solver. A solver of earlier releases calls
    ``diffusion(t, x)``: recognised by the shapes (``t`` has fewer dimensions than ``x``, which has a
    feature dimension), answered, and warned about once (``DeprecationWarning``)."""
    warned = [False]

    def diffusion(x: Any, t: Any) -> Any:
        if getattr(x, "ndim", 0) < getattr(t, "ndim", 0):  # called as diffusion(t, x)
            if not warned[0]:
                warned[0] = True
                warnings.warn("the solver calls diffusion(t, x), the order of earlier releases; call "
                              "diffusion(x, t) (the old order is recognised for one more release)",
                              DeprecationWarning, stacklevel=2)
            x, t = t, x
        return g(x, t)

    return diffusion


def _linear_sde(extra: dict) -> tuple[Callable, Callable, Callable, Callable]:
    """The drawn linear SDE ``f(t) = c0 + c1 t``, ``g(t)² = d0 + d1 t`` (numpy and torch forms)."""
    c0, c1, d0, d1 = (float(extra[k]) for k in ("c0", "c1", "d0", "d1"))

    def f_np(t):
        return c0 + c1 * np.asarray(t)

    def g2_np(t):
        return d0 + d1 * np.asarray(t)

    def drift(x, t):
        return (c0 + c1 * t)[:, None] * x

    def diffusion(x, t):
        return (d0 + d1 * t).sqrt()

    return f_np, g2_np, drift, either_order(diffusion)


def probe_em(solver: Callable, drift: Callable, diffusion: Callable, ts: np.ndarray, case: SDECase,
             theorem: str = "sde.euler_maruyama") -> tuple[np.ndarray, np.ndarray]:
    """``X_N = A x_0 + Σ_k B_k z_k`` of the candidate's Euler–Maruyama on a linear SDE (one batch row
    per probe: row 0 has x_0 = 1, z = 0; row j+1 has x_0 = 0, z_j = 1); returns the path's
    ``A (N+1,)`` and ``B (N+1, N)``."""
    n = len(ts) - 1
    x0 = np.zeros((n + 1, 1))
    x0[0, 0] = 1.0
    z = np.zeros((n, n + 1, 1))
    z[np.arange(n), np.arange(1, n + 1), 0] = 1.0
    path = to_numpy(solver(drift, diffusion, case.tensor(x0), case.tensor(ts), case.tensor(z), return_path=True))
    if path.shape != (n + 1, n + 1, 1):
        raise TheoremViolation(theorem, f"euler_maruyama(return_path=True) must return (len(ts), batch, d) = "
                               f"{(n + 1, n + 1, 1)}, got {path.shape}", slide=SLIDES[theorem], inputs={"ts": ts})
    return path[:, 0, 0], path[:, 1:, 0]


def check_euler_maruyama(solver: Callable, case: SDECase, *, tol: Tolerance | None = None) -> None:
    """sde.euler_maruyama: ``x_{k+1} = x_k + f(x_k, t_k) Δ_k + g(t_k) √|Δ_k| z_k`` exactly — on a drawn
    linear SDE and a drawn monotone grid (increasing or decreasing), the candidate's iterates equal
    the exact EM recursion coefficient by coefficient (``theory.sde.em_linear_coefficients``), and the
    final state on random ``x_0, z`` is ``A x_0 + Σ B_k z_k``."""
    theorem, slide = "sde.euler_maruyama", SLIDES["sde.euler_maruyama"]
    ts = case.extra["ts"]
    f_np, g2_np, drift, diffusion = _linear_sde(case.extra)
    A, B = probe_em(solver, drift, diffusion, ts, case)
    A_exp, B_exp = th.em_linear_coefficients(f_np, g2_np, ts)
    n = len(ts) - 1
    inputs = {"ts": ts, **{k: case.extra[k] for k in ("c0", "c1", "d0", "d1")}, "dtype": str(case.dtype)}
    # each factor 1 + f Δ (|f Δ| <= 1/2 by construction) rounds with condition ≤ 3 + |t|/|Δ|
    # (Δ formed by a subtraction of times); a product of k factors adds them up.
    dt = np.abs(np.diff(ts))
    cond_step = 4.0 + 3.0 * np.abs(ts).max() / dt.min()
    k = np.arange(n + 1)[:, None]
    assert_close(A, A_exp, theorem=theorem, slide=slide, what="drift part A_k = ∏_{j<k} (1 + f(t_j) Δ_j)",
                 tol=tol or exact(case.dtype, cond_step * (k[:, 0] + 1)), inputs=inputs)
    assert_close(B, B_exp, theorem=theorem, slide=slide,
                 what="noise part B_kj = g(t_j) √|Δ_j| ∏_{j<i<k} (1 + f(t_i) Δ_i)",
                 tol=tol or exact(case.dtype, cond_step * (k + 1)),
                 inputs=inputs)
    x0 = case.x0[:, :1]
    z = case.extra["em_noise"]
    out = to_numpy(solver(drift, diffusion, case.tensor(x0), case.tensor(ts), case.tensor(z)))
    exp_ = A[-1] * x0 + np.einsum("j,jbd->bd", B[-1], z)
    assert_close(out, exp_, theorem=theorem, slide=slide, what="X_N = A x_0 + Σ_k B_k z_k on random inputs",
                 tol=tol or exact(case.dtype, cond_step * (n + 1)),
                 scale=np.abs(A[-1] * x0) + np.einsum("j,jbd->bd", np.abs(B[-1]), np.abs(z)), inputs=inputs)


# reference problems of the order checks (fixed, documented)
VP_REF = (0.1, 20.0, 1.0)  # the VP SDE (β_min, β_max, T) of the weak-order check
WEAK_STEPS = (16, 32, 64, 128, 256)
GBM_REF = (0.5, 0.8, 1.0, 1.0)  # μ, σ, T, x_0
OU_REF = (2.0, 1.0, 1.0, 1.0)  # θ, σ, T, x_0
STRONG_STEPS = (8, 16, 32, 64, 128)
STRONG_PATHS = 4000


def em_weak_errors(solver: Callable, dtype: Any = None, device: Any = "cpu") -> tuple[list[int], list[float]]:
    """``|E X_N - m(T)| + |Var X_N - v(T)|`` of the candidate's EM on the VP SDE (x_0 ~ N(1, 0.25)),
    exact (probed linear map, no sampling), for each N in ``WEAK_STEPS``."""
    import torch

    bmin, bmax, T = VP_REF
    spec = th.VP(bmin, bmax, T)
    case = SDECase(np.zeros(1), np.zeros((1, 1)), np.zeros((1, 1)), dtype=dtype or torch.float64,
                   device=device)

    def drift(x, t):
        return -0.5 * (bmin + t / T * (bmax - bmin))[:, None] * x

    @either_order
    def diffusion(x, t):
        return (bmin + t / T * (bmax - bmin)).sqrt()

    m0, v0 = 1.0, 0.25
    a, v = spec.marginal(T)
    m_exact, v_exact = float(a) * m0, float(a) ** 2 * v0 + float(v)
    errs = []
    for N in WEAK_STEPS:
        ts = np.linspace(0.0, T, N + 1)
        A, B = probe_em(solver, drift, diffusion, ts, case)
        errs.append(abs(A[-1] * m0 - m_exact) + abs(A[-1] ** 2 * v0 + np.sum(B[-1] ** 2) - v_exact))
    return list(WEAK_STEPS), errs


def check_em_weak_order(solver: Callable, case: SDECase | None = None, *, tol: Tolerance | None = None) -> None:
    """sde.euler_maruyama (weak order 1): the exact moments of the EM iterates on the VP SDE converge
    to the SDE's with slope 1 ± ORDER_BAND in log error vs log Δt."""
    dtype = None if case is None else case.dtype
    Ns, errs = em_weak_errors(solver, dtype)
    slope = th.convergence_slope([1.0 / n for n in Ns], errs)
    if not abs(slope - 1.0) <= ORDER_BAND:
        raise TheoremViolation("sde.euler_maruyama", f"weak order: slope of log moment error vs log Δt = "
                               f"{slope:.3f}, outside 1 ± {ORDER_BAND}", slide=SLIDES["sde.euler_maruyama"],
                               inputs={"N": Ns, "errors": errs, "sde": f"VP{VP_REF}"}, expected=1.0, observed=slope)


def em_strong_errors(solver: Callable, problem: str, dtype: Any = None, seed: int = 0,
                     paths: int = STRONG_PATHS) -> tuple[list[int], np.ndarray]:
    """Per-path ``|X_N - x(T)|`` (shape (len(STRONG_STEPS), paths)) against the exact solution driven
    by the same Brownian increments: geometric Brownian motion ``dx = μ x dt + σ x dw`` (exact
    ``x_0 e^{(μ-σ²/2)T + σ w_T}``; multiplicative noise, strong order ½) or the OU process
    ``dx = -θ x dt + σ dw`` (exact solution by drawing each fine cell's ``(ΔW, ∫e^{-θ(h-s)}dw)``
    jointly; additive noise, strong order 1). Fixed seed."""
    import torch

    dtype = dtype or torch.float64
    rng = np.random.default_rng(seed)
    M = max(STRONG_STEPS)
    errs = []
    if problem == "gbm":
        mu, sig, T, x0 = GBM_REF
        h = T / M
        dW = rng.standard_normal((M, paths)) * np.sqrt(h)
        exact_T = th.gbm_exact(x0, mu, sig, T, dW.sum(0))

        def drift(x, t):
            return mu * x

        @either_order
        def diffusion(x, t):
            return sig * x[:, 0]
    elif problem == "ou":
        theta, sig, T, x0 = OU_REF
        h = T / M
        chol = np.linalg.cholesky(th.ou_cell_covariance(theta, h))
        pair = np.einsum("ij,mjp->mip", chol, rng.standard_normal((M, 2, paths)))
        dW = pair[:, 0]
        exact_T = np.full(paths, x0)
        for k in range(M):
            exact_T = th.ou_exact_step(exact_T, theta, sig, h, pair[k, 1])

        def drift(x, t):
            return -theta * x

        @either_order
        def diffusion(x, t):
            return torch.full((x.shape[0],), sig, dtype=x.dtype, device=x.device)
    else:
        raise ValueError(f"problem must be 'gbm' or 'ou', got {problem!r}")
    for N in STRONG_STEPS:
        r = M // N
        z = dW.reshape(N, r, paths).sum(1) / np.sqrt(T / N)
        ts = torch.linspace(0.0, T, N + 1, dtype=torch.float64).to(dtype)
        out = solver(drift, diffusion, torch.full((paths, 1), x0, dtype=dtype), ts,
                     torch.as_tensor(z[..., None]).to(dtype))
        errs.append(np.abs(to_numpy(out)[:, 0] - exact_T))
    return list(STRONG_STEPS), np.array(errs)


def check_em_strong_order(solver: Callable, case: SDECase | None = None, *, tol: Tolerance | None = None) -> None:
    """sde.euler_maruyama (strong order): ``E|X_N - x(T)|`` on the same Brownian path has slope ½ for
    GBM (multiplicative noise) and 1 for OU (additive noise), each within ``ORDER_BAND``; the slope's
    standard error (delta method over the fixed-seed paths) is printed with a failure."""
    dtype = None if case is None else case.dtype
    for problem, order in (("gbm", 0.5), ("ou", 1.0)):
        Ns, e = em_strong_errors(solver, problem, dtype)
        mean = e.mean(1)
        slope = th.convergence_slope([1.0 / n for n in Ns], mean)
        # standard error of the least-squares slope from the per-N standard errors of log mean
        x = np.log(1.0 / np.array(Ns))
        wx = (x - x.mean()) / np.sum((x - x.mean()) ** 2)
        se_log = e.std(1, ddof=1) / np.sqrt(e.shape[1]) / mean
        se = float(np.sqrt(np.sum((wx * se_log) ** 2)))
        if not abs(slope - order) <= ORDER_BAND:
            raise TheoremViolation("sde.euler_maruyama", f"strong order on {problem}: slope of log E|X_N - x(T)| "
                                   f"vs log Δt = {slope:.3f} (standard error {se:.3f}), outside {order} ± "
                                   f"{ORDER_BAND}", slide=SLIDES["sde.euler_maruyama"],
                                   inputs={"N": Ns, "errors": mean.tolist()}, expected=order, observed=slope)


# --------------------------------------------------------------------------- cases and verify
T_MIN_FRACTION = 0.05  # times in [0.05 T, T]: near 0 the VE variance σ² - σ_min² loses its digits


@st.composite
def sde_cases(draw: st.DrawFn, *, T: float = 1.0, dtype: Any, device: Any = "cpu", max_batch: int = 6,
              max_dim: int = 3, chain_N: tuple[int, int] = (1, 60), conventions: Conventions | None = None,
              table_dtype: Any = None) -> SDECase:
    B = draw(st.integers(1, max_batch))
    d = draw(st.integers(1, max_dim))
    rng = case_rng(draw)
    t = with_ends(rng, draw(arrays((B,), T_MIN_FRACTION * T, T)), (T,))  # t = T with probability ½
    x0 = draw(arrays((B, d)))
    noise = draw(normal_arrays((B, d)))
    n_grid = draw(st.integers(1, 12))
    increasing = bool(rng.integers(2))
    raw = np.cumsum(edged(rng, (n_grid,), 0.1, 1.0))
    t0 = rng.uniform(0.0, 1.0)
    span = rng.uniform(0.05, 2.0)
    ts = t0 + span * np.concatenate([[0.0], raw / raw[-1]])
    ts = ts if increasing else ts[::-1].copy()
    dt_max = float(np.abs(np.diff(ts)).max())
    c_lim = 0.5 / (dt_max * (1.0 + max(abs(ts[0]), abs(ts[-1]))))  # |f Δ| <= 1/2
    # One seed for the parameters of the linear drifts, the probe paths and the Euler–Maruyama noise.
    extra = {
        "W": edged(rng, (d, d), -1.0, 1.0),
        "b": edged(rng, (d,), -1.0, 1.0),
        "mixture": draw(gaussian_mixtures(min_dim=1, max_dim=1, max_components=3)),
        "t_fixed": rng.uniform(max(T_MIN_FRACTION, 0.1) * T, T),
        "thetas": [edged(rng, (2,), -3.0, 3.0) for _ in range(int(rng.integers(2, 4)))],
        "N": draw(st.integers(*chain_N)),
        "step": int(rng.integers(0, 10**6 + 1)),
        "ts": ts,
        "c0": rng.uniform(-c_lim, c_lim),
        "c1": rng.uniform(-c_lim, c_lim),
        "d0": rng.uniform(0.01, 2.0),
        "d1": rng.uniform(0.0, 2.0),
        "em_noise": rng.standard_normal((n_grid, B, 1)),
        "path_noise": rng.standard_normal((n_grid, B, d)),
    }
    return SDECase(t, x0, noise, dtype=dtype, device=device, extra=extra, conventions=conventions or Conventions(),
                   table_dtype=table_dtype)


@dataclass(frozen=True)
class Property(_verify.Property):
    kind: str | None = None  # "ve", "vp", "subvp", "spec" (VE or VP) or None
    hypothesis: bool = True  # False: a deterministic measurement, run once


PROPERTIES: tuple[Property, ...] = (
    Property("moment_odes", "sde.moment_odes", check_moment_odes, ("drift", "diffusion", "marginal")),
    Property("ve_marginal", "sde.ve_marginal", check_ve_marginal, ("drift", "diffusion", "marginal"), "ve"),
    Property("vp_marginal", "sde.vp_marginal", check_vp_marginal, ("drift", "diffusion", "marginal"), "vp"),
    Property("subvp_marginal", "sde.moment_odes", check_subvp_marginal, ("drift", "diffusion", "marginal"),
             "subvp"),
    Property("ve_chain", "sde.ve", check_ve_chain, ("chain_step",), "ve"),
    Property("vp_chain", "sde.vp", check_vp_chain, ("chain_step",), "vp"),
    Property("chain_rate", "sde.vp", check_chain_rate, ("chain_step", "marginal"), "spec", hypothesis=False),
    Property("continuous_dsm", "sde.continuous_dsm", check_continuous_dsm, ("dsm_loss", "marginal")),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)

SOLVER_PROPERTIES: tuple[Property, ...] = (
    Property("wiener", "sde.wiener", check_wiener, ("brownian_path",)),
    Property("euler_maruyama", "sde.euler_maruyama", check_euler_maruyama, ("euler_maruyama",)),
    Property("em_weak_order", "sde.euler_maruyama", check_em_weak_order, ("euler_maruyama",), hypothesis=False),
    Property("em_strong_order", "sde.euler_maruyama", check_em_strong_order, ("euler_maruyama",),
             hypothesis=False),
)
SOLVER_PROPERTY_NAMES = tuple(p.name for p in SOLVER_PROPERTIES)

# The conventions an SDE candidate may follow, tried one at a time for a hint when a property fails.
HINT_KEYS = ("ve_origin",)
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED = ("ve_origin", "table_dtype")


class VerifyReport(_verify.VerifyReport):
    concept = "sde"


def _chain_range(spec: Spec | None) -> tuple[int, int]:
    if isinstance(spec, th.VP):
        lo = int(np.floor(spec.beta_max * spec.T)) + 1  # β_i = β(t_i) T/N < 1
        return lo, lo + 60
    return 1, 60


def kind_reason(kind: str | None, spec: Spec | None) -> str | None:
    """Why a property of ``kind`` does not apply to a candidate claiming ``spec`` (None: it applies)."""
    ok = (kind is None or (kind == "spec" and isinstance(spec, (th.VE, th.VP)))
          or (kind == "ve" and isinstance(spec, th.VE)) or (kind == "vp" and isinstance(spec, th.VP))
          or (kind == "subvp" and isinstance(spec, th.SubVP)))
    if ok:
        return None
    return "needs a VE or VP candidate" if kind == "spec" else f"needs a {kind.upper()} candidate"


def parse_conventions(conventions: Any) -> Conventions:
    """``Conventions.parse``, refusing what has no meaning for a forward SDE (module docstring):
    every key but ``CONVENTIONS_HONOURED`` (``checks.conventions.declared``)."""
    conv = Conventions.parse(conventions)
    if conv.time_direction != "data_to_noise":
        raise ValueError("conventions.time_direction must be 'data_to_noise' for an SDE: a forward SDE runs "
                         "from data at t = 0; one written from noise to data is a reverse SDE, whose drift "
                         "needs the score (check it with dgmcheck.checks.samplers)")
    return declared(conv, "sde", CONVENTIONS_HONOURED)


def hint_for(check: Callable[..., None], candidate: Any, conv: Conventions, case: SDECase,
             strategy: Callable[[Conventions], st.SearchStrategy]) -> str | None:
    """A convention of ``HINT_KEYS`` under which the failing ``case`` passes and ``check`` then holds
    on fresh draws (a short, unshrunk Hypothesis run), or ``None``. Only a VE candidate has an origin."""
    if not isinstance(spec_of(candidate), th.VE):
        return None
    for key, alt in conv.alternatives(HINT_KEYS):
        try:
            check(candidate, dataclasses.replace(case, conventions=alt))
            _verify.run_property(check, candidate, strategy(alt), _verify.settings_kw(10, False))
        except Exception:  # the alternative does not explain it either (or cannot even run)
            continue
        return hint_text(key, alt)
    return None


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED,
                       parse=lambda _candidate, conventions: parse_conventions(conventions))
def verify(run: _verify.Run, candidate: Any) -> VerifyReport:
    """Run every SDE property the candidate supports (see the module docstring for the protocol);
    a failure raises ``VerifyFailed`` with the report of every property (``raise_on_failure``).

    ``conventions`` (a :class:`~dgmcheck.checks.conventions.Conventions`, a mapping or
    ``"key=value"`` pairs) declares what the candidate does on purpose: ``ve_origin="sigma_min"``
    (a VE marginal std ``σ(t)``, as the score-SDE code writes it); ``table_dtype`` (float32
    constants inside a float64 run). A VE failure the other origin explains carries a hint; any
    other key is a ValueError.
    """
    candidate = as_xt(candidate)
    T = sde_T(candidate)
    spec = spec_of(candidate)
    dtype, device, conv = run.dtype, run.device, run.conventions

    def strategy_for(conv_: Conventions) -> st.SearchStrategy:
        return sde_cases(T=T, dtype=dtype, device=device, chain_N=_chain_range(spec), conventions=conv_,
                         table_dtype=conv_.table_dtype)

    cases = strategy_for(conv)

    def strategy(prop: Property) -> st.SearchStrategy:
        return cases if prop.hypothesis else st.just(_fixed_case(dtype, device, conv))

    def hint(prop: Property, case: SDECase, violation: TheoremViolation) -> str | None:
        fixed = (lambda c: st.just(_fixed_case(dtype, device, c))) if not prop.hypothesis else strategy_for
        return hint_for(prop.check, candidate, conv, case, fixed)

    return run.properties(strategy, candidate=candidate, not_applicable=lambda prop: kind_reason(prop.kind, spec),
                          hint=hint)


def _fixed_case(dtype: Any, device: Any, conventions: Conventions | None = None) -> SDECase:
    rng = np.random.default_rng(0)
    conv = conventions or Conventions()
    return SDECase(np.array([0.5]), rng.standard_normal((1, 2)), rng.standard_normal((1, 2)), dtype=dtype,
                   device=device, extra={"step": 0}, conventions=conv, table_dtype=conv.table_dtype)


def verify_solvers(*, euler_maruyama: Callable | None = None, brownian_path: Callable | None = None,
                   dtype: Any = None, device: Any = "cpu", properties: Iterable[str] | None = None,
                   conventions: Any = None, max_examples: int | None = None, shrink: bool | float = True,
                   raise_on_failure: bool = True) -> VerifyReport:
    """Check SDE solvers given as functions with the signatures of ``dgmcheck.impl.sde`` (no
    convention has a meaning for a solver: ``conventions`` must be the defaults)."""
    import types

    conv = declared(conventions, "sde solvers", ())
    dtype, device = _verify.dtype_device(None, dtype, device)
    solvers = types.SimpleNamespace(euler_maruyama=euler_maruyama, brownian_path=brownian_path)
    table = [dataclasses.replace(p, check=lambda ns, case, _p=p: _p.check(getattr(ns, _p.requires[0]), case))
             for p in SOLVER_PROPERTIES]
    cases = sde_cases(dtype=dtype, device=device)
    return _verify.run_properties(
        solvers, table, VerifyReport("solvers"), wanted=_verify.select(properties, SOLVER_PROPERTY_NAMES),
        kw=_verify.settings_kw(max_examples, shrink),
        strategy=lambda prop: cases if prop.hypothesis else st.just(_fixed_case(dtype, device)),
        raise_on_failure=raise_on_failure, conventions=conv)
