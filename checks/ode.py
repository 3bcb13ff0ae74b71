"""Checks of neural-ODE solvers and of the log-density along a flow, against exact oracles.

A candidate (e.g. the module ``dgmcheck.impl.ode``) exposes any of::

    euler(f, x0, ts, *, return_path=False)           f(x, t) -> dx/dt, t a (batch,) tensor like x
    heun(f, x0, ts, *, return_path=False)            ts 1-D, strictly monotone (either direction)
    divergence_exact(f, x, t) -> (batch,)            tr ∂f/∂x per row
    hutchinson_divergence(f, x, t, probes, reduce=False) -> (n, batch)   vᵀ (∂f/∂x) v per probe
    log_density_path(f, x0, log_p0, ts, method=, divergence=, probes=) -> (x_T, log p_T(x_T))

A solver may declare its order as an attribute ``ORDER``; the order checks measure it as the slope
of log error against log step (float64 only: in float32 the rounding floor flattens the slope).
Theorems ``ode.euler``, ``ode.heun``, ``ode.picard_reversibility``, ``ode.continuity_equation``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks._verify import Property
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.strategies import Case, case_rng, edged, to_tensor
from dgmcheck.checks.tolerances import Tolerance, exact
from dgmcheck.theory import ode as th

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('ode')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED: tuple[str, ...] = ()
ORDERS = {"euler": th.EULER_ORDER, "heun": th.HEUN_ORDER}
THEOREM_OF_METHOD = {"euler": "ode.euler", "heun": "ode.heun"}


@dataclass(frozen=True)
class ODECase(Case):
    """One drawn problem: ``f(x, t) = (α + βt)(A x + b)`` on ``[t0, t0 + T]`` (``T`` may be negative),
    a forcing ``e^{λt} u``, a tanh field ``tanh(W x + c)``, a Gaussian start ``N(m, S)``; arrays float64."""

    A: np.ndarray
    b: np.ndarray
    alpha: float
    beta: float
    t0: float
    T: float
    x0: np.ndarray
    lam: float
    u: np.ndarray
    W: np.ndarray
    c: np.ndarray
    m: np.ndarray
    S: np.ndarray
    steps: np.ndarray  # a short non-uniform grid of step fractions (sum 1) for the one-step checks

    @property
    def d(self) -> int:
        return self.A.shape[0]

    def describe(self) -> dict[str, Any]:
        return {"A": self.A, "b": self.b, "alpha": self.alpha, "beta": self.beta, "t0": self.t0,
                "T": self.T, "x0": self.x0, "dtype": str(self.dtype), "device": str(self.device)}


# ---------------------------------------------------------------------------- torch test fields

def linear_field(case: ODECase, dtype: Any = None, autonomous: bool = False) -> Callable:
    """``f(x, t) = (α + βt)(A x + b)`` in torch (``autonomous``: ``A x``), made like the inputs."""
    dtype = dtype or case.dtype
    A = to_tensor(case.A, dtype=dtype, device=case.device)
    b = to_tensor(case.b, dtype=dtype, device=case.device)
    if autonomous:
        return lambda x, t: x @ A.T
    return lambda x, t: (case.alpha + case.beta * t)[:, None] * (x @ A.T + b)


def forcing_field(case: ODECase, dtype: Any) -> Callable:
    import torch

    u = to_tensor(case.u, dtype=dtype, device=case.device)
    return lambda x, t: torch.exp(case.lam * t)[:, None] * u.expand_as(x)


def tanh_field(case: ODECase) -> Callable:
    import torch

    W, c = case.tensor(case.W), case.tensor(case.c)
    return lambda x, t: torch.tanh(x @ W.T + c)


def _grid(case: ODECase, dtype: Any = None, n: int | None = None) -> Any:
    import torch

    if n is None:
        ts = case.t0 + case.T * np.concatenate([[0.0], np.cumsum(case.steps)])
    else:
        ts = np.linspace(case.t0, case.t0 + case.T, n + 1)
    return torch.tensor(ts, dtype=torch.float64).to(device=case.device, dtype=dtype or case.dtype)


def _solver(candidate: Any, method: str) -> Callable:
    solver = getattr(candidate, method, None)
    if not callable(solver):
        raise TypeError(f"candidate must provide {method}(f, x0, ts); {type(candidate).__name__} has none")
    return solver


# ------------------------------------------------------------------------------ one-step checks

def _step_oracle(case: ODECase, method: str, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The method's iterates on ``ts`` in float64, and the same recursion on absolute values
    (``|a| + |β t|`` for ``a(t)``, ``|A|``, ``|b|``): the first-order bound on how rounding (of
    ``x``, ``h`` and ``t``) propagates, i.e. the scale of the tolerance."""
    A, b, al, be = case.A, case.b, case.alpha, case.beta

    def f(x, t):
        return th.linear_field(A, b, al, be, x, t)

    def fabs(y, t):
        return (abs(al + be * t) + abs(be * t)) * (y @ np.abs(A).T + np.abs(b))

    step = th.euler_step if method == "euler" else th.heun_step
    x, y = case.x0.copy(), np.abs(case.x0)
    for k in range(len(ts) - 1):
        h = ts[k + 1] - ts[k]
        x = step(f, x, ts[k], h)
        v = fabs(y, ts[k])
        y = y + abs(h) * v if method == "euler" else y + 0.5 * abs(h) * (v + fabs(y + abs(h) * v, ts[k + 1]))
    return x, y


def check_step(candidate: Any, case: ODECase, method: str, *, tol: Tolerance | None = None) -> None:
    """``ode.euler``/``ode.heun``: on a short non-uniform grid the solver's iterates are exactly the
    method's update steps (Euler ``x + h f(x, t)``; Heun ``x + h/2 (f(x, t) + f(x + h f(x, t), t + h))``)
    for the time-dependent linear field ``(α + βt)(A x + b)`` (so a velocity taken at the wrong time
    shows), in both time directions."""
    theorem = THEOREM_OF_METHOD[method]
    ts = _grid(case)
    expected, scale = _step_oracle(case, method, to_numpy(ts))
    observed = _solver(candidate, method)(linear_field(case), case.tensor(case.x0), ts)
    n = len(case.steps)
    # each step: a handful of roundings per term (d-term dot product, products with h and a(t))
    tol = tol or exact(case.dtype, n * (case.d + 4))
    assert_close(observed, expected, theorem=theorem, slide=SLIDES[theorem],
                 what=f"{method} iterates on ts = {np.round(to_numpy(ts), 6).tolist()}", tol=tol,
                 scale=scale, inputs=case.describe())


def check_euler_step(candidate: Any, case: ODECase, *, tol: Tolerance | None = None) -> None:
    check_step(candidate, case, "euler", tol=tol)


def check_heun_step(candidate: Any, case: ODECase, *, tol: Tolerance | None = None) -> None:
    check_step(candidate, case, "heun", tol=tol)


# ------------------------------------------------------------------------------- order checks

def _errors(candidate: Any, case: ODECase, method: str, problem: str) -> tuple[np.ndarray, np.ndarray]:
    import torch

    solver = _solver(candidate, method)
    t1 = case.t0 + case.T
    if problem == "autonomous":
        f = linear_field(case, torch.float64, autonomous=True)
        exp = th.linear_solution(case.A, np.zeros(case.d), 1.0, 0.0, case.x0, case.t0, t1)
    else:
        f = forcing_field(case, torch.float64)
        exp = th.forcing_solution(case.lam, case.u, case.x0, case.t0, t1)
    x0 = to_tensor(case.x0, dtype=torch.float64, device=case.device)
    errs = [np.linalg.norm(to_numpy(solver(f, x0, _grid(case, torch.float64, n))) - exp, axis=1).max()
            for n in th.N_LADDER]
    return abs(case.T) / np.array(th.N_LADDER, dtype=np.float64), np.array(errs)


def check_order(candidate: Any, case: ODECase, method: str, *, tol: Tolerance | None = None) -> None:
    """``ode.euler``/``ode.heun``: the fitted slope of log error vs log h over ``th.N_LADDER`` lies in
    ``p ± δ`` (δ = ``th.ORDER_BAND``) on the autonomous linear problem and on the forcing problem,
    with p the method's order; a declared ``ORDER`` attribute must equal p. Float64 throughout."""
    theorem = THEOREM_OF_METHOD[method]
    p = ORDERS[method]
    declared = getattr(_solver(candidate, method), "ORDER", None)
    if declared is not None and declared != p:
        raise TheoremViolation(theorem, f"{method} declares ORDER = {declared}, the method has order {p}",
                               slide=SLIDES[theorem], inputs=case.describe(), expected=p, observed=declared)
    band = tol or Tolerance(rtol=0.0, atol=th.ORDER_BAND)
    for problem in ("autonomous", "forcing"):
        hs, errs = _errors(candidate, case, method, problem)
        if not np.all(np.isfinite(errs)) or np.any(errs <= 0):
            raise TheoremViolation(theorem, f"{method} errors on the {problem} problem are not positive and "
                                   f"finite: {errs.tolist()}", slide=SLIDES[theorem], inputs=case.describe())
        assert_close(th.fitted_order(hs, errs), p, theorem=theorem, slide=SLIDES[theorem],
                     what=f"{method} order (slope of log error vs log h; errors {errs.tolist()}, "
                     f"{problem} problem)", tol=band, scale=0.0, inputs=case.describe())


def check_euler_order(candidate: Any, case: ODECase, *, tol: Tolerance | None = None) -> None:
    check_order(candidate, case, "euler", tol=tol)


def check_heun_order(candidate: Any, case: ODECase, *, tol: Tolerance | None = None) -> None:
    check_order(candidate, case, "heun", tol=tol)


# ---------------------------------------------------------------------------- reversibility

def check_picard(candidate: Any, case: ODECase, method: str, *, tol: Tolerance | None = None) -> None:
    """``ode.picard_reversibility``: the exact flow satisfies ``ψ_{t₁→t₀} ∘ ψ_{t₀→t₁} = id``, so
    integrating ``dx/dt = A x`` forward on ``ts`` and back on ``ts`` reversed returns ``x0`` up to the
    solver's error: the round-trip error is positive-order in h with slope at least ``p - δ``
    (Euler: ``(I - hA)^n (I + hA)^n = I - T h A² + ...``, slope 1; Heun's symmetric terms cancel
    further, ``(1 - z + z²/2)(1 + z + z²/2) = 1 + z⁴/4``, slope 3). Float64."""
    import torch

    theorem = "ode.picard_reversibility"
    solver = _solver(candidate, method)
    p = ORDERS[method]
    f = linear_field(case, torch.float64, autonomous=True)
    x0 = to_tensor(case.x0, dtype=torch.float64, device=case.device)
    errs = []
    for n in th.N_LADDER:
        ts = _grid(case, torch.float64, n)
        back = solver(f, solver(f, x0, ts), torch.flip(ts, (0,)))
        errs.append(np.linalg.norm(to_numpy(back) - case.x0, axis=1).max())
    errs = np.array(errs)
    hs = abs(case.T) / np.array(th.N_LADDER, dtype=np.float64)
    # The exact flow's round trip is the identity: exp(-τA) exp(τA) = I (the oracle).
    phi = th.flow_matrix(case.A, 1.0, 0.0, case.t0, case.t0 + case.T)
    ident = th.flow_matrix(case.A, 1.0, 0.0, case.t0 + case.T, case.t0) @ phi
    assert np.allclose(ident, np.eye(case.d), atol=1e-12)
    if not np.all(np.isfinite(errs)) or np.any(errs <= 0):
        raise TheoremViolation(theorem, f"{method} round-trip errors not positive and finite: {errs.tolist()}",
                               slide=SLIDES[theorem], inputs=case.describe())
    slope = th.fitted_order(hs, errs)
    band = (tol or Tolerance(rtol=0.0, atol=th.ORDER_BAND)).atol
    if not slope >= p - band:
        raise TheoremViolation(
            theorem, f"{method} forward-then-backward does not return to x0 at order {p}: round-trip errors "
            f"{errs.tolist()} at h = {hs.tolist()} fit slope {slope:.3f} < {p} - {band}",
            slide=SLIDES[theorem], inputs=case.describe(), expected=f">= {p - band}", observed=slope)


def check_picard_euler(candidate: Any, case: ODECase, *, tol: Tolerance | None = None) -> None:
    check_picard(candidate, case, "euler", tol=tol)


def check_picard_heun(candidate: Any, case: ODECase, *, tol: Tolerance | None = None) -> None:
    check_picard(candidate, case, "heun", tol=tol)


# --------------------------------------------------------------------------- continuity equation

def check_divergence_exact(candidate: Any, case: ODECase, *, tol: Tolerance | None = None) -> None:
    """``ode.continuity_equation``: the exact divergence ``tr ∂f/∂x`` per row equals the closed form
    for the linear field (``(α + βt) tr A``) and the tanh field (``Σ_i (1 - tanh²(Wx + c)_i) W_ii``)."""
    theorem = "ode.continuity_equation"
    import torch

    x = case.tensor(case.x0)
    t = torch.full((x.shape[0],), case.t0, dtype=x.dtype, device=x.device)
    a = case.alpha + case.beta * case.t0
    lin = np.full(x.shape[0], a * np.trace(case.A))
    scale = (abs(a) + abs(case.beta * case.t0)) * np.abs(np.diag(case.A)).sum()
    tol_ = tol or exact(case.dtype, case.d + 4)
    assert_close(candidate.divergence_exact(linear_field(case), x, t), lin, theorem=theorem,
                 slide=SLIDES[theorem], what="tr ∂f/∂x of (α+βt)(Ax+b)", tol=tol_, scale=scale,
                 inputs=case.describe())
    nl = th.tanh_field_divergence(case.W, case.c, case.x0)
    pre = case.x0 @ case.W.T + case.c
    # 1 - tanh²(z) has relative condition 2|z| tanh(z) (~|z|) in z, and z a d-term dot product
    cond = (case.d + 4) * (1 + 2 * np.abs(pre).max())
    assert_close(candidate.divergence_exact(tanh_field(case), x, t), nl, theorem=theorem, slide=SLIDES[theorem],
                 what="tr ∂f/∂x of tanh(Wx + c)", tol=tol or exact(case.dtype, cond),
                 scale=np.abs(case.W.diagonal()).sum(), inputs=case.describe())


def _jacobians(case: ODECase) -> np.ndarray:
    """Per-row Jacobians of the tanh field, ``diag(1 - tanh²(W x + c)) W``, shape (batch, d, d)."""
    z = np.tanh(case.x0 @ case.W.T + case.c)
    return (1 - z**2)[:, :, None] * case.W[None]


def check_hutchinson(candidate: Any, case: ODECase, *, tol: Tolerance | None = None) -> None:
    """``ode.continuity_equation`` (Hutchinson): over the whole Rademacher law (all ``2^d`` sign
    vectors, equal mass) the per-probe values ``vᵀJv`` have mean ``tr J`` and variance
    ``2 Σ_{i≠j} S_ij²`` (``S = (J+Jᵀ)/2``); over tensor Gauss-Hermite nodes (exact for the
    quadratic and quartic moments of N(0, I)) mean ``tr J`` and variance ``2‖S‖_F²``. Exact, no sampling.
    Held on the tanh field (a Jacobian that varies with ``x``) and on the linear field
    ``(α + βt)(A x + b)`` (``J = (α + βt₀) A``: a Jacobian taken at the wrong time shows)."""
    theorem = "ode.continuity_equation"
    import torch

    x = case.tensor(case.x0)
    B, d = case.x0.shape
    t = torch.full((B,), case.t0, dtype=x.dtype, device=x.device)
    pre = case.x0 @ case.W.T + case.c
    a = case.alpha + case.beta * case.t0
    # J_ij = (1 - tanh²(z_i)) W_ij: the rounding of tanh²(z) is absolute (up to 2ε tanh² |W_ij|),
    # not relative to the tiny 1 - tanh² of a saturated unit (relative condition 2 sinh²(z), e^{2|z|}
    # growth), so it enters the scale through |W|; the dependence on z adds the relative 2|z| tanh.
    # The linear field's J = a A rounds like a = α + βt₀ times A: relative, scale (|α| + |βt₀|)|A|.
    fields = (
        ("tanh(Wx + c)", tanh_field(case), _jacobians(case),
         np.abs(_jacobians(case)) + 2 * np.tanh(pre)[:, :, None] ** 2 * np.abs(case.W)[None],
         (d + 6) * (1 + 2 * np.abs(pre).max())),
        ("(α+βt)(Ax+b)", linear_field(case), np.broadcast_to(a * case.A, (B, d, d)),
         np.broadcast_to((abs(case.alpha) + abs(case.beta * case.t0)) * np.abs(case.A), (B, d, d)), d + 6.0),
    )
    rad = th.rademacher_probes(d)
    nodes, wts = th.gauss_hermite_probes(d)
    for name, field, J, j_scale, cond in fields:
        for kind, probes, w in (("rademacher", rad, np.full(len(rad), 1.0 / len(rad))), ("gaussian", nodes, wts)):
            P = np.broadcast_to(probes[:, None, :], (len(probes), B, d))
            vals = to_numpy(candidate.hutchinson_divergence(field, x, t, case.tensor(P), reduce=False))
            if vals.shape != (len(probes), B):
                raise TheoremViolation(theorem, f"hutchinson_divergence(..., reduce=False) must return shape "
                                       f"{(len(probes), B)}, got {vals.shape}", slide=SLIDES[theorem])
            q_scale = np.einsum("ni,bij,nj->nb", np.abs(probes), j_scale, np.abs(probes))
            tol_ = tol or exact(case.dtype, cond)
            mean = w @ vals
            assert_close(mean, [th.hutchinson_mean(Jb) for Jb in J], theorem=theorem, slide=SLIDES[theorem],
                         what=f"mean of vᵀJv of {name} over the {kind} probe law (must be tr J)", tol=tol_,
                         scale=w @ q_scale, inputs=case.describe())
            var = w @ (vals - mean) ** 2
            assert_close(var, [th.hutchinson_variance(Jb, kind) for Jb in J], theorem=theorem,
                         slide=SLIDES[theorem], what=f"variance of vᵀJv of {name} over the {kind} probe law",
                         tol=tol_, scale=2 * w @ (np.abs(vals - mean) * q_scale), inputs=case.describe())


def check_log_density(candidate: Any, case: ODECase, *, tol: Tolerance | None = None) -> None:
    """``ode.continuity_equation``: ``log p_{t₁}(x(t₁)) = log p_{t₀}(x₀) - ∫ tr ∂f/∂x dt`` along the flow
    of a linear field equals the log-density of the pushed-forward Gaussian ``N(Φm + c, ΦSΦᵀ)`` at the
    exact end point ``Φx₀ + c``. Exact for the discretisation too: the trace is constant in ``x``, so
    the log-density increment is a quadrature of ``-(α + βt) tr A`` — exact for Euler when β = 0 and
    for Heun (the trapezoid rule) for any β. Checked with the exact trace and with Hutchinson over
    all ``2^d`` Rademacher probes (their mean is the exact trace). The end point returned with it must
    be the method's iterates on the grid (``check_step``'s oracle): the density is carried along the
    path the solver takes, not another."""
    theorem = "ode.continuity_equation"

    x0 = case.tensor(case.x0)
    B, d = case.x0.shape
    logp0_np = th.gaussian_logpdf(case.x0, case.m, case.S)
    logp0 = case.tensor(logp0_np)
    ts = _grid(case)
    tsn = to_numpy(ts)
    P = case.tensor(np.broadcast_to(th.rademacher_probes(d)[:, None, :], (2**d, B, d)))
    for method, beta in (("euler", 0.0), ("heun", case.beta)):
        problem = replace(case, beta=beta)
        f = linear_field(problem)
        t1 = case.t0 + case.T
        x1 = th.linear_solution(case.A, case.b, case.alpha, beta, case.x0, case.t0, t1)
        expected = th.pushforward_logpdf(case.A, case.b, case.alpha, beta, case.m, case.S, case.t0, t1, x1)
        hs, tk = np.abs(np.diff(tsn)), tsn[:-1]
        scale = np.abs(logp0_np) + np.abs(np.diag(case.A)).sum() * (
            hs @ (np.abs(case.alpha + beta * tk) + abs(beta) * np.abs(tk)) + hs @ np.abs(beta * tsn[1:]))
        tol_ = tol or exact(case.dtype, len(hs) * (d + 4) + 2 ** d)
        x_end, x_scale = _step_oracle(problem, method, tsn)
        for div, kw in (("exact", {}), ("hutchinson", {"probes": P})):
            x_obs, observed = candidate.log_density_path(f, x0, logp0, ts, method=method, divergence=div, **kw)
            assert_close(observed, expected, theorem=theorem, slide=SLIDES[theorem],
                         what=f"log p_t1(x(t1)) by {method} with the {div} trace (beta = {beta})", tol=tol_,
                         scale=scale, inputs=case.describe())
            assert_close(x_obs, x_end, theorem=theorem, slide=SLIDES[theorem],
                         what=f"x(t1) returned with the log-density by {method} ({div} trace, beta = {beta})",
                         tol=tol or exact(case.dtype, len(hs) * (d + 4)), scale=x_scale, inputs=case.describe())


# -------------------------------------------------------------------------------------- cases

@st.composite
def ode_cases(draw: st.DrawFn, *, dtype: Any, device: Any = "cpu", max_dim: int = 3, batch: int = 3) -> ODECase:
    """Problems with ‖A‖₂ ≤ 2 and A invertible (``A = -cI + K - Kᵀ + E``, E symmetric with
    ‖E‖₂ ≤ c/2, so Re λ(A) ≤ -c/2), ``|T| ∈ [0.5, 1]`` in either direction, ``|λ| ∈ [0.5, 2]``, ``u`` and
    ``x0`` bounded away from 0 (the order problems' leading error terms cannot vanish)."""
    d = draw(st.integers(1, max_dim))
    rng = case_rng(draw)  # one seed for every number of the problem (a draw each was most of its cost)
    c = rng.uniform(0.3, 1.0)
    K = edged(rng, (d, d), -1.0, 1.0)
    E = edged(rng, (d, d), -1.0, 1.0)
    E = 0.5 * (E + E.T)
    En = np.linalg.norm(E, 2)
    E = E * (0.5 * c / En) if En > 0.5 * c else E
    A = -c * np.eye(d) + (K - K.T) + E
    A = A / max(1.0, np.linalg.norm(A, 2) / 2.0)
    T = rng.choice([1.0, -1.0]) * rng.uniform(0.5, 1.0)
    mag = edged(rng, (batch, d), 0.3, 2.0)
    signs = edged(rng, (batch, d), -1.0, 1.0)
    x0 = np.where(signs < 0, -mag, mag)
    lam = rng.choice([1.0, -1.0]) * rng.uniform(0.5, 2.0)
    u = edged(rng, (d,), 0.5, 2.0) * rng.choice([1.0, -1.0])
    L = edged(rng, (d, d), -1.0, 1.0)
    raw = edged(rng, (draw(st.integers(1, 4)),), 0.2, 1.0)
    return ODECase(A=A, b=edged(rng, (d,), -1.0, 1.0), alpha=rng.uniform(0.5, 1.5),
                   beta=rng.uniform(-1.0, 1.0), t0=rng.uniform(-1.0, 1.0), T=float(T), x0=x0, lam=float(lam), u=u,
                   W=edged(rng, (d, d), -1.5, 1.5), c=edged(rng, (d,), -1.0, 1.0),
                   m=edged(rng, (d,), -1.0, 1.0), S=L @ L.T + 0.2 * np.eye(d), steps=raw / raw.sum(),
                   dtype=dtype, device=device)


# ----------------------------------------------------------------------------------- verify


PROPERTIES: tuple[Property, ...] = (
    Property("euler_step", "ode.euler", check_euler_step, ("euler",)),
    Property("euler_order", "ode.euler", check_euler_order, ("euler",)),
    Property("heun_step", "ode.heun", check_heun_step, ("heun",)),
    Property("heun_order", "ode.heun", check_heun_order, ("heun",)),
    Property("picard_euler", "ode.picard_reversibility", check_picard_euler, ("euler",)),
    Property("picard_heun", "ode.picard_reversibility", check_picard_heun, ("heun",)),
    Property("divergence_exact", "ode.continuity_equation", check_divergence_exact, ("divergence_exact",)),
    Property("hutchinson", "ode.continuity_equation", check_hutchinson, ("hutchinson_divergence",)),
    Property("log_density", "ode.continuity_equation", check_log_density, ("log_density_path",)),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


class VerifyReport(_verify.VerifyReport):
    concept = "ode"


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any) -> VerifyReport:
    """Run every ODE property the candidate supports under Hypothesis (the module
    ``dgmcheck.impl.ode`` is a candidate). ``dtype``/``device`` default to the candidate's
    attributes, else float64 on the CPU (the order and reversibility slopes always run in float64)."""
    return run.properties(lambda _p: ode_cases(dtype=run.dtype, device=run.device),
                          provides="ODE methods (see dgmcheck.checks.ode)")
