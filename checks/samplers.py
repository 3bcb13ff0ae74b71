"""Checks of an SDE with a score and of its samplers: KFP, PF-ODE, reverse SDE, Langevin, PC.

Candidate protocol (``SamplerCandidate``): the user's SDE and score, every method taking ``(x, t)``,

    drift(x, t)       f(x, t), shape like x               dx = f dt + g dw on [0, T]
    diffusion(x, t)   g(t), shape (batch,)
    score(x, t)       s(x, t) ≈ ∇_x log p_t(x), shape like x

with ``x`` of shape ``(batch, d)`` and ``t`` a ``(batch,)`` tensor. A ``diffusion`` written in the
``(t, x)`` order of earlier releases (first parameter ``t``, ``time`` or ``s``) is called so for one
more release, with a ``DeprecationWarning`` (``dgmcheck.impl.sde.xt_order``). Optional methods enable more
properties: ``pf_ode_drift(x, t)``, ``reverse_drift(x, t)``, ``pf_ode_sample(x_T, ts, method)``,
``reverse_sde_sample(x_T, ts, noises)``, ``pc_sample(x_T, ts, noises, corrector_noises, step_size,
predictor)``, ``corrector_step(x, t, step_size, noise)`` (``impl.samplers.ScoreSDE`` has them all).

The exact marginal ``p_t`` must be known: ``data`` (the law of ``x_0``, a Gaussian mixture: a
``theory.gaussian_mixture.GaussianMixture`` or an ``impl.mixture.GaussianMixtureModel``; default
``candidate.data``) and ``spec`` (the SDE whose marginal ``p_t`` is meant, a
``theory.fokker_planck.SDESpec``; by default read from ``beta_min/beta_max/T`` (VP) or
``sigma_min/sigma_max/T`` (VE) on the candidate or on ``candidate.sde``). Then ``p_t`` is the exact
mixture ``Σ w_k N(a m_k, a² C_k + s² I)`` and every property compares with it:

* ``kfp`` (sde.kfp): the candidate's ``f``, ``g`` and ``p_t`` satisfy ``∂_t p + div(f p) - ½ g² Δp = 0``;
* ``probability_flow_ode``: ``v = pf_ode_drift`` (or ``f - ½ g² score``) satisfies ``∂_t p + div(v p) = 0``;
* ``reverse_sde``: ``f̄ = reverse_drift`` (or ``f - g² score``) satisfies ``∂_t p + div(f̄ p) + ½ g² Δp = 0``;
* ``pf_ode_plus_langevin``: ``reverse_drift - pf_ode_drift = -½ g² score``;
* ``langevin_stationary``: ``dx = ½ score dτ + dw`` leaves ``p_t`` invariant
  (``div(½ s p) - ½ Δp = 0``), and ``corrector_step`` is ``x + (η/2) s + √η z``;
* ``pf_ode_sampler`` / ``reverse_sde_sampler`` / ``pc_sampler``: the samplers equal, path by path (same
  noises), the float64 oracle of the same scheme with the exact score (Euler/Heun, Euler–Maruyama,
  predictor + Langevin corrector);
* ``pf_ode_transport`` (Gaussian data): Heun on a fine grid maps the exact marginal at ``t`` to the one
  at ``ε``: the pushed sigma points have the exact mean and covariance (the PF-ODE flow is affine),
  within the Richardson estimate of Heun's error.

Divergences of the candidate's fields are taken with torch autograd. Residuals are compared with 0
at ``rtol = SAFETY·eps(dtype)·(1 + κ)`` times the sum of the magnitudes of their terms (κ bounds the
condition number of the ``Σ_k(t)``, which sets the rounding of scores); sampler paths at a tolerance
propagated through the scheme (local rounding times ``Π (1 + |h| L)``, L the exact drift's Lipschitz
constant along the path).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.strategies import Case, case_rng
from dgmcheck.checks.tolerances import SAFETY, Tolerance, eps, exact
from dgmcheck.impl.sde import as_xt
from dgmcheck.theory import fokker_planck as fp
from dgmcheck.theory.gaussian_mixture import GaussianMixture

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('samplers')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED: tuple[str, ...] = ()


class SamplerCandidate(Protocol):
    """The user's SDE and score (required); samplers optional (see the module docstring)."""

    def drift(self, x: Any, t: Any) -> Any: ...
    def diffusion(self, x: Any, t: Any) -> Any: ...
    def score(self, x: Any, t: Any) -> Any: ...


# ----------------------------------------------------------------------------------------- the case
@dataclass(frozen=True)
class SamplerCase(Case):
    """One drawn input: time ``t``, points ``x`` (n, d) near ``p_t``, sampler noises, ``n_steps``,
    end time ``t_end`` and corrector ``step_size``; ``spec`` and ``data`` fix the exact ``p_t``."""

    spec: fp.SDESpec
    data: GaussianMixture
    t: float
    x: np.ndarray
    noises: np.ndarray  # (n_steps, n, d)
    corrector_noises: np.ndarray  # (n_steps, 2, n, d)
    n_steps: int
    t_end: float
    step_size: float

    def times(self, t: float | None = None):
        import torch

        return torch.full((self.x.shape[0],), self.t if t is None else t, dtype=self.dtype, device=self.device)

    def grid(self) -> np.ndarray:
        return np.linspace(self.t, self.t_end, self.n_steps + 1)

    def describe(self) -> dict[str, Any]:
        return {"spec": self.spec, "t": self.t, "x": self.x, "n_steps": self.n_steps, "t_end": self.t_end,
                "step_size": self.step_size, "dtype": str(self.dtype), "device": str(self.device)}


def as_mixture(data: Any) -> GaussianMixture:
    """A theory ``GaussianMixture`` from one, or from anything with ``weights``, ``means``, ``covs``."""
    if isinstance(data, GaussianMixture):
        return data
    if all(hasattr(data, a) for a in ("weights", "means", "covs")):
        return GaussianMixture(to_numpy(data.weights), to_numpy(data.means), to_numpy(data.covs))
    raise TypeError(f"data must be a Gaussian mixture (weights, means, covs), got {type(data).__name__}")


def spec_of(candidate: Any) -> fp.SDESpec:
    """The ``SDESpec`` named by the attributes of the candidate or of ``candidate.sde``."""
    for obj in (candidate, getattr(candidate, "sde", None)):
        if obj is None:
            continue
        if all(hasattr(obj, a) for a in ("beta_min", "beta_max", "T")):
            return fp.SDESpec("vp", float(obj.beta_min), float(obj.beta_max), float(obj.T))
        if all(hasattr(obj, a) for a in ("sigma_min", "sigma_max", "T")):
            return fp.SDESpec("ve", float(obj.sigma_min), float(obj.sigma_max), float(obj.T))
    raise TypeError(f"cannot tell which SDE {type(candidate).__name__} is: pass spec=SDESpec(...) "
                    f"(or give it beta_min/beta_max/T or sigma_min/sigma_max/T)")


def _kappa(data: GaussianMixture) -> float:
    """Bound on the condition number of every ``Σ_k(t) = a² C_k + s² I`` (at most that of ``C_k``)."""
    w = np.linalg.eigvalsh(data.covs)
    return float((w[:, -1] / w[:, 0]).max())


def _tol(case: SamplerCase, tol: Tolerance | None) -> Tolerance:
    # A residual of a few terms, each a product of exact quantities with a score computed by solving
    # with Σ_k(t): relative rounding eps·(1 + κ) per term; 4 covers the handful of products and sums.
    return tol if tol is not None else exact(case.dtype, 4.0 * (1.0 + _kappa(case.data)))


# ------------------------------------------------------------------------------ autograd helpers
def _field_and_div(fn: Callable, x, t):
    """``fn(x, t)`` and its divergence in ``x`` (autograd, in the candidate's dtype)."""
    import torch

    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        v = fn(x, t)
        if not isinstance(v, torch.Tensor) or v.shape != x.shape:
            return v, None
        div = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        if v.requires_grad:
            for i in range(x.shape[1]):
                gi = torch.autograd.grad(v[:, i].sum(), x, retain_graph=True, allow_unused=True)[0]
                if gi is not None:
                    div = div + gi[:, i]
    return v.detach(), div.detach()


def _shape_ok(v: Any, case: SamplerCase, theorem: str, what: str) -> np.ndarray:
    arr = to_numpy(v)
    if arr.shape != case.x.shape:
        raise TheoremViolation(theorem, f"{what} must have the shape of x {case.x.shape}, got {arr.shape}",
                               slide=SLIDES[theorem], inputs=case.describe())
    return arr


def _g2(candidate: Any, case: SamplerCase, t: float | None = None) -> np.ndarray:
    g = to_numpy(candidate.diffusion(case.tensor(case.x), case.times(t)))
    return np.broadcast_to(g, (case.x.shape[0],)) ** 2


def _assert_zero(residual: np.ndarray, scale: np.ndarray, theorem: str, what: str, case: SamplerCase,
                 tol: Tolerance | None) -> None:
    assert_close(residual, np.zeros_like(residual), theorem=theorem, slide=SLIDES[theorem], what=what,
                 tol=_tol(case, tol), scale=scale, inputs=case.describe())


# ------------------------------------------------------------------------------------ PDE checks
def check_kfp(candidate: Any, case: SamplerCase, *, tol: Tolerance | None = None) -> None:
    """sde.kfp: ``(∂_t p + div(f p) - ½ g² Δp)/p = 0`` for the candidate's ``f``, ``g`` and the exact ``p_t``."""
    der = fp.path_derivatives(case.spec, case.data, case.t, case.x)
    f, div_f = _field_and_div(candidate.drift, case.tensor(case.x), case.times())
    f = _shape_ok(f, case, "sde.kfp", "drift(x, t)")
    g2 = _g2(candidate, case)
    res = fp.kfp_residual(der, f, to_numpy(div_f), 1.0, 0.0) - 0.5 * g2 * der.lap
    ex = fp.exact_drifts(case.spec, case.data, case.t, case.x)
    _assert_zero(res, fp.residual_scale(der, ex["f"], ex["div_f"], ex["g2"]), "sde.kfp",
                 "KFP residual (∂_t p + div(f p) - ½ g² Δp)/p of the exact marginal", case, tol)


def _pf_field(candidate: Any) -> Callable:
    if callable(getattr(candidate, "pf_ode_drift", None)):
        return candidate.pf_ode_drift

    def v(x, t):
        g = candidate.diffusion(x, t)
        return candidate.drift(x, t) - 0.5 * (g**2).reshape(-1, 1) * candidate.score(x, t)

    return v


def _rev_field(candidate: Any) -> Callable:
    if callable(getattr(candidate, "reverse_drift", None)):
        return candidate.reverse_drift

    def v(x, t):
        g = candidate.diffusion(x, t)
        return candidate.drift(x, t) - (g**2).reshape(-1, 1) * candidate.score(x, t)

    return v


def check_probability_flow_ode(candidate: Any, case: SamplerCase, *, tol: Tolerance | None = None) -> None:
    """sde.probability_flow_ode: ``v = f - ½ g² ∇log p_t`` solves ``∂_t p + div(v p) = 0``:
    ``∂_t p/p + div v + v·∇log p = 0`` with the candidate's ``v`` and the exact ``p_t``."""
    der = fp.path_derivatives(case.spec, case.data, case.t, case.x)
    v, div_v = _field_and_div(_pf_field(candidate), case.tensor(case.x), case.times())
    v = _shape_ok(v, case, "sde.probability_flow_ode", "the PF-ODE drift")
    res = fp.kfp_residual(der, v, to_numpy(div_v), 0.0, 0.0)
    ex = fp.exact_drifts(case.spec, case.data, case.t, case.x)
    _assert_zero(res, fp.residual_scale(der, ex["f"], ex["div_f"], ex["g2"]), "sde.probability_flow_ode",
                 "continuity residual (∂_t p + div(v p))/p of the PF-ODE drift v", case, tol)


def check_reverse_sde(candidate: Any, case: SamplerCase, *, tol: Tolerance | None = None) -> None:
    """sde.reverse_sde: ``f̄ = f - g² ∇log p_t`` with ``dt < 0`` solves the time-reversed KFP
    ``∂_t p + div(f̄ p) + ½ g² Δp = 0`` (with ``τ = T - t`` it is the KFP of ``dx = -f̄ dτ + g dw``)."""
    der = fp.path_derivatives(case.spec, case.data, case.t, case.x)
    v, div_v = _field_and_div(_rev_field(candidate), case.tensor(case.x), case.times())
    v = _shape_ok(v, case, "sde.reverse_sde", "the reverse drift")
    g2 = _g2(candidate, case)
    res = fp.kfp_residual(der, v, to_numpy(div_v), 0.0, 0.0) + 0.5 * g2 * der.lap
    ex = fp.exact_drifts(case.spec, case.data, case.t, case.x)
    _assert_zero(res, fp.residual_scale(der, ex["f"], ex["div_f"], ex["g2"]), "sde.reverse_sde",
                 "time-reversed KFP residual (∂_t p + div(f̄ p) + ½ g² Δp)/p of the reverse drift", case, tol)


def _langevin_residual(candidate: Any, case: SamplerCase, theorem: str, tol: Tolerance | None) -> None:
    der = fp.path_derivatives(case.spec, case.data, case.t, case.x)
    s, div_s = _field_and_div(candidate.score, case.tensor(case.x), case.times())
    s = _shape_ok(s, case, theorem, "score(x, t)")
    # (div(½ s p) - ½ Δp)/p = ½ (div s + s·∇log p - Δp/p): stationarity of dx = ½ s dτ + dw under p_t
    res = 0.5 * (to_numpy(div_s) + np.einsum("ni,ni->n", s, der.score) - der.lap)
    scale = der.lap_mag + 2 * (der.score**2).sum(-1)
    _assert_zero(res, scale, theorem, "Langevin stationarity residual (div(½ s p) - ½ Δp)/p of p_t", case, tol)


def check_pf_ode_plus_langevin(candidate: Any, case: SamplerCase, *, tol: Tolerance | None = None) -> None:
    """sde.pf_ode_plus_langevin: ``reverse_drift = pf_ode_drift - ½ g² s`` (reverse SDE = PF-ODE + the
    Langevin SDE ``dx = ½ g² s dτ + g dw``), and that Langevin part leaves ``p_t`` invariant."""
    theorem = "sde.pf_ode_plus_langevin"
    x, t = case.tensor(case.x), case.times()
    rev = _shape_ok(_rev_field(candidate)(x, t), case, theorem, "the reverse drift")
    pf = _shape_ok(_pf_field(candidate)(x, t), case, theorem, "the PF-ODE drift")
    s = _shape_ok(candidate.score(x, t), case, theorem, "score(x, t)")
    g2 = _g2(candidate, case)[:, None]
    assert_close(rev - pf, -0.5 * g2 * s, theorem=theorem, slide=SLIDES[theorem],
                 what="reverse drift - PF-ODE drift = -½ g² s (the Langevin part's drift)",
                 tol=_tol(case, tol), scale=np.abs(rev) + np.abs(pf) + 0.5 * g2 * np.abs(s),
                 inputs=case.describe())
    _langevin_residual(candidate, case, theorem, tol)


def check_langevin_stationary(candidate: Any, case: SamplerCase, *, tol: Tolerance | None = None) -> None:
    """sde.langevin_stationary: ``dx = ½ ∇log p_t dτ + dw`` (lecture convention, g = 1) leaves ``p_t``
    invariant (KFP residual 0 with the candidate's score); ``corrector_step`` (when present) is its
    Euler–Maruyama step with ``dτ = η``: ``x + (η/2) s + √η z``, whose stationary law on a Gaussian is
    ``(Σ⁻¹ - (η/4)Σ⁻²)⁻¹ → Σ`` (``theory.fokker_planck.ula_stationary_cov``)."""
    theorem = "sde.langevin_stationary"
    _langevin_residual(candidate, case, theorem, tol)
    if not callable(getattr(candidate, "corrector_step", None)):
        return
    z = case.corrector_noises[0, 0]
    got = candidate.corrector_step(case.tensor(case.x), case.times(), case.step_size, case.tensor(z))
    want = fp.ula_step(case.spec, case.data, case.t, case.x, case.step_size, z)
    s = case.spec.marginal(case.data, case.t).score(case.x)
    scale = np.abs(case.x) + 0.5 * case.step_size * np.abs(s) + np.sqrt(case.step_size) * np.abs(z)
    assert_close(got, want, theorem=theorem, slide=SLIDES[theorem],
                 what="Langevin corrector step x + (η/2) s + √η z", tol=_tol(case, tol), scale=scale,
                 inputs=case.describe())


# ------------------------------------------------------------------------------- sampler checks
def _propagated_scale(case: SamplerCase, ts: np.ndarray, path: np.ndarray, weight: float,
                      noises: np.ndarray | None, order: int = 1, corrector: bool = False) -> np.ndarray:
    """First-order propagation of per-step rounding: ``Σ_k local_k Π_{j>k} (1 + |h_j| L_j + ...)``.

    ``local_k = |x_k| + |h| |F(x_k)| + g√|h| |z_k|`` (max over coordinates, per row); ``L_j`` the norm of
    the exact drift's Jacobian at the oracle path (``theory.drift_jacobian_norms``), squared term for
    Heun; corrector steps add ``(1 + (η/2) ‖∇² log p‖)`` per step and their own local rounding.
    """
    spec, data = case.spec, case.data
    L = fp.drift_jacobian_norms(spec, data, ts, path, weight)
    n = len(ts) - 1
    h = np.abs(np.diff(ts))
    growth = 1 + h * L + (0.5 * (h * L) ** 2 if order == 2 else 0.0)
    n_corr = case.corrector_noises.shape[1]
    if corrector:
        for j in range(n):
            jac = fp.path_derivatives(spec, data, float(ts[j + 1]), path[j + 1]).jac_score
            growth[j] *= (1 + 0.5 * case.step_size * float(np.max(np.linalg.norm(jac, ord=2, axis=(1, 2))))) ** n_corr
    amp = np.cumprod(growth[::-1])[::-1]  # amp[k] = Π_{j >= k} growth[j]
    total = np.zeros(path.shape[1])
    for k in range(n):
        t = float(ts[k])
        s = spec.marginal(data, t).score(path[k])
        F = float(spec.phi(t)) * path[k] - weight * float(spec.g2(t)) * s
        local = np.abs(path[k]).max(-1) + h[k] * np.abs(F).max(-1)
        if noises is not None:
            local = local + np.sqrt(float(spec.g2(t)) * h[k]) * np.abs(noises[k]).max(-1)
        if corrector:
            local = local * (1 + n_corr)
        total += local * amp[k]
    return total[:, None] * np.ones_like(path[-1])


def _path_tol(case: SamplerCase, tol: Tolerance | None) -> Tolerance:
    # rounding of one step's few operations: SAFETY·eps·(1 + κ) relative to the propagated scale
    if tol is not None:
        return tol
    return Tolerance(rtol=SAFETY * eps(case.dtype) * (1 + _kappa(case.data)), atol=SAFETY * eps("float64"))


def check_pf_ode_sampler(candidate: Any, case: SamplerCase, *, tol: Tolerance | None = None) -> None:
    """sde.probability_flow_ode: ``pf_ode_sample(x, ts, method)`` equals the float64 Euler / Heun path
    of ``dx/dt = f - ½ g² ∇log p_t`` with the exact score on the same decreasing grid."""
    theorem = "sde.probability_flow_ode"
    ts = case.grid()
    for method, order in (("euler", 1), ("heun", 2)):
        path = fp.pf_ode_scheme(case.spec, case.data, ts, case.x, method)
        got = candidate.pf_ode_sample(case.tensor(case.x), case.tensor(ts), method)
        assert_close(got, path[-1], theorem=theorem, slide=SLIDES[theorem],
                     what=f"PF-ODE sampler ({method}) end point against the exact-score {method} scheme",
                     tol=_path_tol(case, tol), scale=_propagated_scale(case, ts, path, 0.5, None, order),
                     inputs={**case.describe(), "method": method})


def check_reverse_sde_sampler(candidate: Any, case: SamplerCase, *, tol: Tolerance | None = None) -> None:
    """sde.reverse_sde: ``reverse_sde_sample(x, ts, noises)`` equals the float64 Euler–Maruyama path of the
    reverse SDE ``dx = (f - g² ∇log p_t) dt + g dw̄`` (``dt < 0``) with the same noises."""
    theorem = "sde.reverse_sde"
    ts = case.grid()
    path = fp.reverse_em_scheme(case.spec, case.data, ts, case.x, case.noises)
    got = candidate.reverse_sde_sample(case.tensor(case.x), case.tensor(ts), case.tensor(case.noises))
    assert_close(got, path[-1], theorem=theorem, slide=SLIDES[theorem],
                 what="reverse-SDE Euler–Maruyama end point against the exact-score scheme",
                 tol=_path_tol(case, tol), scale=_propagated_scale(case, ts, path, 1.0, case.noises),
                 inputs=case.describe())


def check_pc_sampler(candidate: Any, case: SamplerCase, *, tol: Tolerance | None = None) -> None:
    """sde.pf_ode_plus_langevin: ``pc_sample`` (reverse-SDE or PF-ODE predictor, then Langevin corrector
    steps ``x + (η/2) s(x, t_{k+1}) + √η z`` at the new time) equals the float64 scheme with the exact score."""
    theorem = "sde.pf_ode_plus_langevin"
    ts = case.grid()
    for predictor, weight in (("reverse_sde", 1.0), ("pf_ode", 0.5)):
        path = fp.pc_scheme(case.spec, case.data, ts, case.x, case.noises, case.corrector_noises, case.step_size,
                            predictor)
        got = candidate.pc_sample(case.tensor(case.x), case.tensor(ts), case.tensor(case.noises),
                                  case.tensor(case.corrector_noises), case.step_size, predictor)
        noises = case.noises if predictor == "reverse_sde" else None
        assert_close(got, path[-1], theorem=theorem, slide=SLIDES[theorem],
                     what=f"predictor–corrector end point ({predictor} predictor + Langevin corrector)",
                     tol=_path_tol(case, tol),
                     scale=_propagated_scale(case, ts, path, weight, noises, corrector=True),
                     inputs={**case.describe(), "predictor": predictor})


def sigma_points(mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``m ± √d L e_i`` (2d points, ``L Lᵀ = C``): their mean and covariance are exactly ``m`` and ``C``,
    and an affine map's image has the image moments exactly (a deterministic quadrature)."""
    d = len(mean)
    L = np.linalg.cholesky(cov) * np.sqrt(d)
    return np.concatenate([mean + L.T, mean - L.T])


def _moments(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = pts.mean(0)
    c = (pts - m).T @ (pts - m) / len(pts)
    return m, c


def check_pf_ode_transport(candidate: Any, case: SamplerCase, *, tol: Tolerance | None = None,
                           n_steps: int = 64) -> None:
    """sde.probability_flow_ode (transport): for Gaussian data the Heun PF-ODE sampler maps the sigma
    points of ``p_t`` to points with the mean and covariance of ``p_ε``, within the Richardson estimate
    ``(4/3)|M_N - M_{2N}|`` of Heun's (order 2) error, doubled, plus rounding."""
    theorem = "sde.probability_flow_ode"
    if case.data.n_components != 1:
        raise ValueError("check_pf_ode_transport needs Gaussian data (one component)")
    start = case.spec.marginal(case.data, case.t)
    end = case.spec.marginal(case.data, case.t_end)
    pts = sigma_points(start.means[0], start.covs[0])
    moms = []
    for n in (n_steps, 2 * n_steps):
        ts = np.linspace(case.t, case.t_end, n + 1)
        got = to_numpy(candidate.pf_ode_sample(case.tensor(pts), case.tensor(ts), "heun"))
        moms.append(_moments(got))
    (m1, c1), (m2, c2) = moms
    rt = _path_tol(case, None)
    mag_m = np.abs(end.means[0]) + np.sqrt(np.diag(end.covs[0]))
    mag_c = np.abs(end.covs[0]) + np.sqrt(np.outer(np.diag(end.covs[0]), np.diag(end.covs[0])))
    pairs = (("mean", m1, m2, end.means[0], mag_m), ("covariance", c1, c2, end.covs[0], mag_c))
    for what, got, other, want, mag in pairs:
        # Richardson for order 2: err_N ≈ (4/3)|M_N - M_2N|, doubled for the pre-asymptotic regime; plus
        # rounding: 2N drift evaluations and updates, each within rt.rtol (SAFETY·eps·(1+κ)) of |moment|
        bound = 2 * (4 / 3) * np.abs(got - other) + 4 * n_steps * float(np.max(rt.rtol)) * mag
        assert_close(got, want, theorem=theorem, slide=SLIDES[theorem],
                     what=f"{what} of the PF-ODE-pushed sigma points of p_t against p_ε's",
                     tol=Tolerance(rtol=1.0, atol=0.0) if tol is None else tol, scale=bound,
                     inputs=case.describe())


# ---------------------------------------------------------------------------------------- verify
@st.composite
def sampler_cases(draw: st.DrawFn, spec: fp.SDESpec, data: GaussianMixture, *, dtype: Any, device: Any = "cpu",
                  n: int = 4, max_steps: int = 24) -> SamplerCase:
    """A time in ``[0.05 T, T]``, points ``a m_k + Σ_k^{1/2} z`` near ``p_t`` (|z| ≤ 3 per coordinate),
    sampler noises, a grid of 4..max_steps steps to ``t_end ∈ [0.02 T, 0.5 t]`` and a corrector
    step size ``η ∈ [1e-4, 0.5] · λ_min(Σ(t_end))`` (well inside ULA's stability bound 4 λ_min)."""
    d = data.dim
    n_steps = draw(st.integers(4, max_steps))
    rng = case_rng(draw)  # one seed for the times, the points and the sampler noises
    t = rng.uniform(0.05 * spec.T, spec.T)
    t_end = rng.uniform(0.02 * spec.T, 0.5 * t)
    pt = spec.marginal(data, t)
    k = rng.integers(0, data.n_components, n)
    z = np.clip(rng.standard_normal((n, d)), -3, 3)
    chol = np.linalg.cholesky(pt.covs)
    x = pt.means[k] + np.einsum("nij,nj->ni", chol[k], z)
    noises = rng.standard_normal((n_steps, n, d))
    cn = rng.standard_normal((n_steps, 2, n, d))
    lam = float(np.linalg.eigvalsh(spec.marginal(data, t_end).covs).min())
    eta = rng.uniform(1e-4, 0.5) * lam
    return SamplerCase(spec, data, float(t), x, noises, cn, n_steps, float(t_end), eta, dtype=dtype,
                       device=device)


@dataclass(frozen=True)
class Property(_verify.Property):
    gaussian_only: bool = False


PROPERTIES = (
    Property("kfp", "sde.kfp", check_kfp),
    Property("probability_flow_ode", "sde.probability_flow_ode", check_probability_flow_ode),
    Property("reverse_sde", "sde.reverse_sde", check_reverse_sde),
    Property("pf_ode_plus_langevin", "sde.pf_ode_plus_langevin", check_pf_ode_plus_langevin,
             ("pf_ode_drift", "reverse_drift")),
    Property("langevin_stationary", "sde.langevin_stationary", check_langevin_stationary),
    Property("pf_ode_sampler", "sde.probability_flow_ode", check_pf_ode_sampler, ("pf_ode_sample",)),
    Property("reverse_sde_sampler", "sde.reverse_sde", check_reverse_sde_sampler, ("reverse_sde_sample",)),
    Property("pc_sampler", "sde.pf_ode_plus_langevin", check_pc_sampler, ("pc_sample",)),
    Property("pf_ode_transport", "sde.probability_flow_ode", check_pf_ode_transport, ("pf_ode_sample",),
             gaussian_only=True),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)
REQUIRED = ("drift", "diffusion", "score")


@dataclass
class VerifyReport(_verify.VerifyReport):
    concept: ClassVar[str] = "samplers"


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any, *, data: Any = None, spec: fp.SDESpec | None = None) -> VerifyReport:
    """Run every property the candidate supports under Hypothesis (see the module docstring).

    ``data`` defaults to ``candidate.data``; ``spec`` to ``spec_of(candidate)``; ``dtype``/``device`` to
    the candidate's attributes, else float64 on the CPU. Raises ``TheoremViolation`` on the first failure.
    """
    missing = [m for m in REQUIRED if not callable(getattr(candidate, m, None))]
    if missing:
        raise TypeError(f"{type(candidate).__name__} must provide {', '.join(missing)} "
                        f"(see dgmcheck.checks.samplers.SamplerCandidate)")
    candidate = as_xt(candidate)
    mix = as_mixture(data if data is not None else getattr(candidate, "data", None))
    spec = spec or spec_of(candidate)
    return run.properties(lambda _prop: sampler_cases(spec, mix, dtype=run.dtype, device=run.device),
                          candidate=candidate,
                          not_applicable=lambda prop: ("needs Gaussian data (one component)"
                                                       if prop.gaussian_only and mix.n_components != 1 else ""))
