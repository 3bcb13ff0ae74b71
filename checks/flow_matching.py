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
from dgmcheck.checks.tolerances import Tolerance, exact
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
    a, s, da, ds = _coef(spec, case.t)
    tol_ = _tol(spec, case, tol)
    if spec.kind != "linear":  # pair conditioning has no x_1-only field
        obs = candidate.target_field(case.tensor(case.x), case.tensor(case.x1), _times(case))
        exp = spec.conditional_field(case.x, case.x1, case.t)
        scale = np.abs(ds / s) * (np.abs(case.x) + np.abs(a * case.x1)) + np.abs(da * case.x1)
        assert_close(obs, exp, theorem=theorem, slide=SLIDES[theorem],
                     what="u_t(x|x_1) = σ'/σ (x - α x_1) + α' x_1", tol=tol_, scale=scale,
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
    assert_close(obs, spec.velocity(case.x0, case.x1, case.t), theorem=theorem,
                 slide=SLIDES[theorem], what="CFM target α'_t x_1 + σ'_t x_0", tol=tol_,
                 scale=np.abs(da * case.x1) + np.abs(ds * case.x0), inputs=case.describe())


def _check_sample(candidate: Any, spec: PathSpec, case: FMCase, theorem: str, what: str,
                  t: np.ndarray, tol: Tolerance | None) -> None:
    a, s, _, _ = _coef(spec, t)
    obs = candidate.sample_xt(case.tensor(case.x0), case.tensor(case.x1), case.tensor(t))
    tol_ = tol if tol is not None else exact(case.dtype, condition(spec, t)[:, None])
    assert_close(obs, a * case.x1 + s * case.x0, theorem=theorem, slide=SLIDES[theorem], what=what,
                 tol=tol_, scale=np.abs(a * case.x1) + np.abs(s * case.x0),
                 inputs={**case.describe(), "t": np.asarray(t).tolist()})


def _need(spec: PathSpec, kind: str, theorem: str) -> None:
    if spec.kind != kind:
        raise TypeError(f"{theorem} checks a {kind} path; the spec is {spec.kind!r}")


def check_conical_path(candidate: Any, spec: PathSpec, case: FMCase, *,
                       tol: Tolerance | None = None) -> None:
    """fm.conical_path: ``x_t = t x_1 + (1 - (1-σ_min) t) x_0`` and
    ``u_t(x|x_1) = (x_1 - (1-σ_min) x)/(1 - (1-σ_min) t)``."""
    theorem = "fm.conical_path"
    _need(spec, "conical", theorem)
    _check_sample(candidate, spec, case, theorem, "x_t = t x_1 + (1 - (1-σ_min) t) x_0", case.t, tol)
    k = 1.0 - spec.sigma_min
    tt = case.t[:, None]
    exp = (case.x1 - k * case.x) / (1.0 - k * tt)
    obs = candidate.target_field(case.tensor(case.x), case.tensor(case.x1), _times(case))
    assert_close(obs, exp, theorem=theorem, slide=SLIDES[theorem],
                 what="u_t(x|x_1) = (x_1 - (1-σ_min) x)/(1 - (1-σ_min) t)", tol=_tol(spec, case, tol),
                 scale=(np.abs(case.x1) + np.abs(k * case.x)) / (1.0 - k * tt), inputs=case.describe())


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
def _linear_model(W: np.ndarray, b: np.ndarray, case: FMCase):
    Wt, bt = case.tensor(W), case.tensor(b)

    def model(x, t):
        return x @ Wt.T + bt

    return model


def check_cfm_equals_fm(candidate: Any, spec: PathSpec, case: FMCase, *,
                        tol: Tolerance | None = None) -> None:
    """fm.cfm_equals_fm: (1) per sample, ``cfm_loss = ||v(x_t) - (α' x_1 + σ' x_0)||²``; (2) at
    one t, for 1-D Gaussian data ``N(m, c)`` and ``v = W x + b``, the candidate's CFM loss averaged
    with Gauss-Hermite weights over ``(x_0, x_1)`` (exact: the integrand is a quadratic) equals
    ``L_FM(W, b) + C_t`` with ``C_t = (α' - σ'α/σ)² Var(x_1|x_t)`` independent of (W, b)."""
    theorem = "fm.cfm_equals_fm"
    W, b = case.extra["W"], case.extra["b"]
    model = _linear_model(W, b, case)
    obs = candidate.cfm_loss(model, case.tensor(case.x0), case.tensor(case.x1), _times(case))
    xt = spec.sample(case.x0, case.x1, case.t)
    pred = xt @ W.T + b
    target = spec.velocity(case.x0, case.x1, case.t)
    exp = np.sum((pred - target) ** 2, axis=-1)
    a, _, da, ds = _coef(spec, case.t)
    # each residual r = v(x_t) - target is a difference of terms of total magnitude ``mag``; the
    # candidate's r carries an error e <= rtol·mag, so |Δ r²| <= 2|r| e + e² per coordinate.
    mag = (np.abs(xt) @ np.abs(W).T + np.abs(b) + np.abs(da * case.x1) + np.abs(ds * case.x0)
           + np.abs(a * case.x1) * np.abs(W).sum(axis=1))
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
        order = float(np.log2(e1 / e2)) if e2 > 0 and e1 > 0 else (np.inf if e2 == 0 else -np.inf)
        if not order >= p - ORDER_SLACK:
            raise TheoremViolation(
                theorem, f"{method}: observed order log2(e_N/e_2N) = {order:.3f}, expected >= {p} "
                f"- {ORDER_SLACK} (e_N = {e1:.3e}, e_2N = {e2:.3e}, N = {n})",
                slide=SLIDES[theorem], inputs={"data_mean": m, "data_var": v, "spec": spec,
                                               "method": method},
                expected=p, observed=order)


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
             ("marginal_field",), ("conical", "ve", "vp")),
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
