"""Checks of change of variables and normalizing flows against ``dgmcheck.theory.flows``.

A candidate flow exposes ``dim`` and ``forward(x) -> (z, log|det ∂z/∂x|)`` on ``(B, dim)`` rows, and
any of: ``inverse(z) -> (x, log|det ∂x/∂z|)``, ``log_prob(x)`` (base ``N(0, I)``), ``layers`` (a
composition), ``weight()`` (a linear flow ``z = W x + b``; optionally ``factors()`` with P, L, U or
Q, R), ``conditioner(x) -> (μ, log σ)`` (a Gaussian AR flow), ``d`` and
``coupling_conditioner(x1) -> (μ, log σ)`` (a RealNVP coupling). Jacobians are taken from the
candidate's own maps with ``torch.func.jacrev``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks._verify import Property
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.strategies import Case
from dgmcheck.checks.tolerances import Tolerance, exact
from dgmcheck.theory import flows as th

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('flows')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED: tuple[str, ...] = ()


@dataclass(frozen=True)
class FlowCase(Case):
    """Points ``x`` (float64, ``(B, dim)``) at which every property is checked."""

    x: np.ndarray


@st.composite
def flow_cases(draw: st.DrawFn, dim: int, *, dtype: Any, device: Any = "cpu", max_batch: int = 4) -> FlowCase:
    B = draw(st.integers(1, max_batch))
    seed = draw(st.integers(0, 2**31 - 1))
    scale = draw(st.sampled_from([0.1, 1.0, 2.0]))
    x = np.random.default_rng(seed).normal(size=(B, dim)) * scale
    return FlowCase(x, dtype=dtype, device=device, extra={"seed": seed, "scale": scale})


# --------------------------------------------------------------------------- helpers
def _jacobians(fn: Callable[[Any], Any], x: Any) -> np.ndarray:
    """``(B, m, m)`` Jacobians ``∂fn(x)_i/∂x_j`` of a row map (``fn(x)[0]``) by ``torch.func.jacrev``."""
    import torch

    rows = [torch.func.jacrev(lambda v: fn(v[None])[0][0])(x[b]) for b in range(x.shape[0])]
    return to_numpy(torch.stack(rows))


def _depth(candidate: Any) -> int:
    return len(getattr(candidate, "layers", ())) or 1


def _kappa(J: np.ndarray) -> np.ndarray:
    return np.linalg.cond(J)


def _tol(case: FlowCase, cond: Any, tol: Tolerance | None) -> Tolerance:
    return tol if tol is not None else exact(case.dtype, cond)


def _close(theorem: str, observed: Any, expected: Any, what: str, tol: Tolerance, case: FlowCase,
           scale: Any = None, **more: Any) -> None:
    inputs = {"x": case.x.tolist(), "dtype": str(case.dtype), "device": str(case.device), **more}
    assert_close(observed, expected, theorem=theorem, slide=SLIDES[theorem], what=what, tol=tol,
                 scale=scale, inputs=inputs)


def _np_conditioner(fn: Callable[[Any], Any], case: FlowCase) -> th.Conditioner:
    """A candidate's torch conditioner as a float64 numpy callable on one point (evaluated in the
    candidate's dtype and device)."""

    def cond(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mu, log_sigma = fn(case.tensor(np.asarray(v)[None]))
        return to_numpy(mu)[0], to_numpy(log_sigma)[0]

    return cond


# --------------------------------------------------------------------------- properties
def check_density(candidate: Any, case: FlowCase, *, tol: Tolerance | None = None) -> None:
    """change_of_variables.density: the returned ``log|det J_f(x)|`` equals ``log|det|`` of the
    Jacobian of ``forward`` (autodiff), and ``log_prob(x) = log N(f(x); 0, I) + log|det J_f(x)|``."""
    x = case.tensor(case.x)
    z, log_det = candidate.forward(x)
    J = _jacobians(candidate.forward, x)
    expected = th.log_abs_det(J)
    m, L = case.x.shape[1], _depth(candidate)
    # log|det| moves by tr(J⁻¹ δJ) <= m κ(J) |δJ|/|J|: an absolute error m κ eps per layer of
    # rounding in J (unit scale); the returned log-det itself rounds relative to |expected|.
    kappa = _kappa(J)
    _close("change_of_variables.density", log_det, expected, "log|det J_f(x)| of forward(x)",
           _tol(case, 4 * L * m * kappa, tol), case, scale=1.0 + np.abs(expected))
    if callable(getattr(candidate, "log_prob", None)):
        z_np = to_numpy(z)
        target = th.flow_log_density(z_np, expected)
        # the terms |z|²/2, (m/2) log 2π and log|det J| each round; they can cancel
        scale = 1.0 + 0.5 * np.sum(z_np**2, -1) + 0.5 * m * th.LOG_2PI + np.abs(expected)
        _close("change_of_variables.density", candidate.log_prob(x), target,
               "log p(x) = log N(f(x); 0, I) + log|det J_f(x)|", _tol(case, 4 * L * m * kappa, tol),
               case, scale=scale)


def check_inverse_function(candidate: Any, case: FlowCase, *, tol: Tolerance | None = None) -> None:
    """change_of_variables.inverse_function: ``f⁻¹(f(x)) = x``, ``J_{f⁻¹}(f(x)) = J_f(x)⁻¹`` and
    ``log|det J_{f⁻¹}(f(x))| = -log|det J_f(x)|``."""
    x = case.tensor(case.x)
    z, _ = candidate.forward(x)
    x_back, log_det_inv = candidate.inverse(z.detach())
    J = _jacobians(candidate.forward, x)
    Jinv = th.inverse_jacobian(J)
    kappa, m, L = _kappa(J), case.x.shape[1], _depth(candidate)
    z_np = to_numpy(z)
    norm_inv = np.abs(Jinv).max(axis=(-1, -2))
    # rounding δz in f(x) (relative eps to |z|) comes back through J⁻¹; the inverse adds its own
    scale_x = np.abs(case.x) + (norm_inv * np.abs(z_np).max(-1) + np.abs(case.x).max(-1))[:, None]
    _close("change_of_variables.inverse_function", x_back, case.x, "f⁻¹(f(x)) = x",
           _tol(case, 4 * L * m * kappa[:, None], tol), case, scale=scale_x)
    J_back = _jacobians(candidate.inverse, z.detach())
    _close("change_of_variables.inverse_function", J_back, Jinv, "J_{f⁻¹}(f(x)) = J_f(x)⁻¹",
           _tol(case, 4 * L * m * kappa[:, None, None] ** 2, tol), case,
           scale=np.broadcast_to(norm_inv[:, None, None], Jinv.shape))
    expected = -th.log_abs_det(J)
    _close("change_of_variables.inverse_function", log_det_inv, expected,
           "log|det J_{f⁻¹}(f(x))| = -log|det J_f(x)|", _tol(case, 4 * L * m * kappa, tol), case,
           scale=1.0 + np.abs(expected))


def check_composition(candidate: Any, case: FlowCase, *, tol: Tolerance | None = None) -> None:
    """flows.composition: ``f = f_K∘…∘f_1`` and ``log|det J_f(x)| = Σ_k log|det J_{f_k}(x_{k-1})|``
    (each layer's log-det at its own input), which is also ``log|det|`` of the composite's Jacobian."""
    x = case.tensor(case.x)
    xk, parts = x, []
    for layer in candidate.layers:
        xk, ld = layer.forward(xk)
        parts.append(to_numpy(ld))
    z, log_det = candidate.forward(x)
    L, m = _depth(candidate), case.x.shape[1]
    expected = th.composition_log_det(parts)
    _close("flows.composition", z, to_numpy(xk), "f(x) = f_K(…f_1(x))", _tol(case, 4 * L, tol), case)
    scale = 1.0 + sum(np.abs(p) for p in parts)
    _close("flows.composition", log_det, expected, "log|det J_f| = Σ_k log|det J_{f_k}(x_{k-1})|",
           _tol(case, 4 * L, tol), case, scale=scale)
    J = _jacobians(candidate.forward, x)
    _close("flows.composition", log_det, th.log_abs_det(J), "Σ_k log|det J_{f_k}| = log|det ∂z/∂x|",
           _tol(case, 4 * L * m * _kappa(J), tol), case, scale=scale)


def check_linear(candidate: Any, case: FlowCase, *, tol: Tolerance | None = None) -> None:
    """flows.linear: ``z = W x + b``, ``J_f = W`` (the slide prints ``Wᵀ``), ``log|det J_f| =
    log|det W|``, ``x = W⁻¹(z - b)``; with ``factors()``: ``W = P L U`` (P a permutation, L lower,
    U upper triangular) or ``W = Q R`` (Q orthogonal, R upper triangular with positive diagonal)."""
    import torch

    W = to_numpy(candidate.weight())
    m = W.shape[0]
    x = case.tensor(case.x)
    b = to_numpy(candidate.forward(torch.zeros_like(x[:1]))[0])[0]
    z, log_det = candidate.forward(x)
    z_exp, ld_exp = th.linear_forward(W, case.x)
    z_exp = z_exp + b
    kappa = float(np.linalg.cond(W))
    scale_z = np.abs(case.x) @ np.abs(W).T + np.abs(b)
    _close("flows.linear", z, z_exp, "z = W x + b", _tol(case, 4 * m, tol), case, scale=scale_z, W=W.tolist())
    _close("flows.linear", _jacobians(candidate.forward, x), np.broadcast_to(W, (len(case.x), m, m)),
           "J_f = ∂z/∂x = W", _tol(case, 4 * m, tol), case, scale=np.abs(W).max(), W=W.tolist())
    _close("flows.linear", log_det, ld_exp, "log|det J_f| = log|det W|", _tol(case, 4 * m * kappa, tol), case,
           scale=1.0 + np.abs(ld_exp), W=W.tolist())
    if callable(getattr(candidate, "inverse", None)):
        z_np = to_numpy(z)
        x_back, _ = candidate.inverse(z.detach())
        x_exp = th.linear_inverse(W, z_np - b)
        scale_x = np.abs(x_exp) + (np.abs(np.linalg.inv(W)).max() * (np.abs(z_np) + np.abs(b)).max(-1))[:, None]
        _close("flows.linear", x_back, x_exp, "x = W⁻¹ (z - b)", _tol(case, 4 * m * kappa, tol), case,
               scale=scale_x, W=W.tolist())
    if callable(getattr(candidate, "factors", None)):
        f = {k: to_numpy(v) for k, v in candidate.factors().items()}
        zero = Tolerance(rtol=0.0, atol=0.0)
        if "P" in f:
            P, Lm, U = f["P"], f["L"], f["U"]
            _close("flows.linear", np.sort(P, axis=0), np.vstack([np.zeros((m - 1, m)), np.ones((1, m))]),
                   "P is a permutation matrix", zero, case)
            _close("flows.linear", np.triu(Lm, 1), 0.0, "L is lower triangular", zero, case)
            _close("flows.linear", np.tril(U, -1), 0.0, "U is upper triangular", zero, case)
            prod, absprod = P @ Lm @ U, P @ np.abs(Lm) @ np.abs(U)
        else:
            Q, R = f["Q"], f["R"]
            _close("flows.linear", Q.T @ Q, np.eye(m), "Q is orthogonal", _tol(case, 4 * m, tol), case,
                   scale=1.0)
            _close("flows.linear", np.tril(R, -1), 0.0, "R is upper triangular", zero, case)
            if not np.all(np.diag(R) > 0):
                raise TheoremViolation("flows.linear", f"R must have a positive diagonal, got {np.diag(R)}",
                                       slide=SLIDES["flows.linear"])
            prod, absprod = Q @ R, np.abs(Q) @ np.abs(R)
        _close("flows.linear", W, prod, "weight() = product of its factors", _tol(case, 4 * m, tol), case,
               scale=absprod)


def check_gaussian_ar(candidate: Any, case: FlowCase, *, tol: Tolerance | None = None) -> None:
    """flows.gaussian_ar: ``z_j = (x_j - μ_j(x_{1:j-1}))/σ_j(x_{1:j-1})``, ``log|det J_f| = -Σ log σ_j``,
    ``J_f`` lower triangular with diagonal ``1/σ_j``, and the sequential inverse
    ``x_j = σ_j(x_{1:j-1}) z_j + μ_j(x_{1:j-1})``."""
    x = case.tensor(case.x)
    cond = _np_conditioner(candidate.conditioner, case)
    z, log_det = candidate.forward(x)
    z_exp, ld_exp = th.gaussian_ar_forward(case.x, cond)
    mu, log_sigma = (to_numpy(t) for t in candidate.conditioner(x))
    m = case.x.shape[1]
    # z_j = (x_j - μ_j) e^{-log σ_j}: a subtraction (scale |x|+|μ|) and exp (relative eps |log σ|)
    scale_z = (np.abs(case.x) + np.abs(mu)) * np.exp(-log_sigma) * (1.0 + np.abs(log_sigma))
    _close("flows.gaussian_ar", z, z_exp, "z_j = (x_j - μ_j(x_{<j})) / σ_j(x_{<j})", _tol(case, 4 * m, tol),
           case, scale=scale_z)
    _close("flows.gaussian_ar", log_det, ld_exp, "log|det J_f| = -Σ_j log σ_j(x_{<j})", _tol(case, 4 * m, tol),
           case, scale=1.0 + np.abs(log_sigma).sum(-1))
    J = _jacobians(candidate.forward, x)
    diag = np.exp(-log_sigma)
    _close("flows.gaussian_ar", np.triu(J, 1), 0.0, "J_f is lower triangular", _tol(case, 4 * m, tol), case,
           scale=np.abs(J).max())
    _close("flows.gaussian_ar", np.diagonal(J, axis1=-2, axis2=-1), diag, "diag J_f = 1/σ_j",
           _tol(case, 4 * m, tol), case)
    if callable(getattr(candidate, "inverse", None)):
        z_np = to_numpy(z)
        x_back, _ = candidate.inverse(z.detach())
        x_exp = th.gaussian_ar_inverse(z_np, cond)
        # each x_j feeds the later μ, σ: first-order amplification ≤ κ(J_f) per coordinate
        kappa = _kappa(J)
        _close("flows.gaussian_ar", x_back, x_exp, "x_j = σ_j(x_{<j}) z_j + μ_j(x_{<j}) (sequential)",
               _tol(case, 4 * m * kappa[:, None], tol), case,
               scale=(np.abs(x_exp).max(-1) + np.abs(np.exp(log_sigma) * z_np).max(-1) + 1.0)[:, None])


def check_realnvp(candidate: Any, case: FlowCase, *, tol: Tolerance | None = None) -> None:
    """flows.realnvp: ``z_{1:d} = x_{1:d}``, ``z_{d+1:m} = (x_{d+1:m} - μ(x_{1:d})) ⊙ 1/σ(x_{1:d})``,
    ``log|det ∂z/∂x| = -Σ log σ_j(x_{1:d})``, inverse ``x_{d+1:m} = z_{d+1:m} ⊙ σ(z_{1:d}) + μ(z_{1:d})``;
    the layer equals the Gaussian AR flow with ``μ_j = 0, σ_j = 1`` (j ≤ d), ``μ_j(x_{1:d}), σ_j(x_{1:d})``."""
    d = int(candidate.d)
    x = case.tensor(case.x)
    cond = _np_conditioner(candidate.coupling_conditioner, case)
    z, log_det = candidate.forward(x)
    z_exp, ld_exp = th.coupling_forward(case.x, d, cond)
    mu, log_sigma = (to_numpy(t) for t in candidate.coupling_conditioner(x[:, :d]))
    m = case.x.shape[1]
    scale_z = np.abs(case.x).copy()
    scale_z[:, d:] = (np.abs(case.x[:, d:]) + np.abs(mu)) * np.exp(-log_sigma) * (1.0 + np.abs(log_sigma))
    _close("flows.realnvp", z, z_exp, "coupling z = (x_1, (x_2 - μ(x_1)) / σ(x_1))", _tol(case, 4 * m, tol),
           case, scale=scale_z, d=d)
    _close("flows.realnvp", log_det, ld_exp, "log|det ∂z/∂x| = -Σ log σ(x_1)", _tol(case, 4 * m, tol), case,
           scale=1.0 + np.abs(log_sigma).sum(-1), d=d)
    z_ar, ld_ar = th.gaussian_ar_forward(case.x, th.coupling_as_ar(d, cond))
    _close("flows.realnvp", z, z_ar, "coupling = Gaussian AR flow with μ_j, σ_j of x_{1:d} only",
           _tol(case, 4 * m, tol), case, scale=scale_z, d=d)
    _close("flows.realnvp", log_det, ld_ar, "coupling log-det = the AR flow's -Σ_j log σ_j", _tol(case, 4 * m, tol),
           case, scale=1.0 + np.abs(log_sigma).sum(-1), d=d)
    if callable(getattr(candidate, "inverse", None)):
        z_np = to_numpy(z)
        x_back, ld_inv = candidate.inverse(z.detach())
        x_exp = th.coupling_inverse(z_np, d, cond)
        ls_full = np.pad(log_sigma, ((0, 0), (d, 0)))
        scale_x = np.abs(x_exp) + np.pad(np.abs(mu), ((0, 0), (d, 0))) + np.abs(z_np * np.exp(ls_full))
        _close("flows.realnvp", x_back, x_exp, "inverse x_2 = z_2 ⊙ σ(z_1) + μ(z_1)", _tol(case, 4 * m, tol),
               case, scale=scale_x * (1.0 + np.abs(ls_full)), d=d)
        _close("flows.realnvp", ld_inv, -ld_exp, "log|det ∂x/∂z| = Σ log σ(z_1)", _tol(case, 4 * m, tol), case,
               scale=1.0 + np.abs(log_sigma).sum(-1), d=d)


# --------------------------------------------------------------------------- verify


PROPERTIES: tuple[Property, ...] = (
    Property("density", "change_of_variables.density", check_density, ("forward",)),
    Property("inverse_function", "change_of_variables.inverse_function", check_inverse_function,
             ("forward", "inverse")),
    Property("composition", "flows.composition", check_composition, ("forward", "layers")),
    Property("linear", "flows.linear", check_linear, ("forward", "weight")),
    Property("gaussian_ar", "flows.gaussian_ar", check_gaussian_ar, ("forward", "conditioner")),
    Property("realnvp", "flows.realnvp", check_realnvp, ("forward", "coupling_conditioner", "d")),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


def _missing(prop: Property, candidate: Any) -> str | None:
    def absent(r: str) -> bool:
        value = getattr(candidate, r, None)
        return value is None or (r not in ("layers", "d") and not callable(value))

    missing = [r for r in prop.requires if absent(r)]
    return f"needs {', '.join(missing)}" if missing else None


class VerifyReport(_verify.VerifyReport):
    concept = "flows"


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any) -> VerifyReport:
    """Run every flow property the candidate supports under Hypothesis; raises ``TheoremViolation``
    on the first that fails."""
    dim = getattr(candidate, "dim", None)
    if not isinstance(dim, int) or dim < 1:
        raise TypeError(f"candidate must have a positive int 'dim'; {type(candidate).__name__} has {dim!r}")
    return run.properties(lambda _prop: flow_cases(dim, dtype=run.dtype, device=run.device),
                          lacks=lambda prop: _missing(prop, candidate), provides="flow methods")
