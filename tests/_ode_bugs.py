"""Realistic bugs planted into the reference ODE solvers and log-density code (planted-bug tests)."""

from __future__ import annotations

import types

import torch

from dgmcheck.impl import ode
from dgmcheck.impl.ode import _call, _integrate


def _candidate(**overrides) -> types.SimpleNamespace:
    names = ("euler", "heun", "divergence_exact", "hutchinson_divergence", "log_density_path")
    return types.SimpleNamespace(__name__="planted", **{**{n: getattr(ode, n) for n in names}, **overrides})


def _heun_corrector_at_start(f, x, t, t_next, h):
    """Heun's corrector evaluated at t instead of t + h: f(x̃, t)."""
    v = _call(f, x, t)
    return x + 0.5 * h * (v + _call(f, x + h * v, t))


def heun_corrector_at_start(f, x0, ts, *, return_path=False):
    return _integrate(_heun_corrector_at_start, f, x0, ts, return_path)


heun_corrector_at_start.ORDER = 2


def euler_endpoint_velocity(f, x0, ts, *, return_path=False):
    """Explicit Euler with the velocity taken at the end of the step: x + h f(x_k, t_{k+1})."""
    return _integrate(lambda f, x, t, tn, h: x + h * _call(f, x, tn), f, x0, ts, return_path)


euler_endpoint_velocity.ORDER = 1


def euler_abs_step(f, x0, ts, *, return_path=False):
    """Euler stepping by |h|: a decreasing grid integrates forward again (no reversal)."""
    return _integrate(lambda f, x, t, tn, h: x + h.abs() * _call(f, x, t), f, x0, ts, return_path)


euler_abs_step.ORDER = 1


def heun_declares_order_one(f, x0, ts, *, return_path=False):
    return ode.heun(f, x0, ts, return_path=return_path)


heun_declares_order_one.ORDER = 1


def hutchinson_missing_probe(f, x, t, probes, *, reduce=True):
    """Σ_j (vᵀJ)_j: the vector-Jacobian product summed without the second probe factor."""
    t = ode._time_rows(t, x)
    _, vjp_fn = torch.func.vjp(lambda z: _call(f, z, t), x)
    vals = torch.stack([vjp_fn(v)[0].reshape(x.shape[0], -1).sum(-1) for v in probes])
    return vals.mean(0) if reduce else vals


def divergence_all_entries(f, x, t):
    """Σ_ij ∂f_i/∂x_j: the whole per-sample Jacobian summed instead of its diagonal."""
    t = ode._time_rows(t, x)
    B = x.shape[0]
    jac = torch.func.jacrev(lambda z: _call(f, z, t).sum(0))(x)  # (d, B, d)
    return jac.sum((0, 2)).reshape(B)


def log_density_plus_trace(f, x0, log_p0, ts, **kw):
    """d log p/dt = +tr ∂f/∂x (the sign of the continuity equation flipped)."""
    x1, lp = ode.log_density_path(f, x0, log_p0, ts, **kw)
    return x1, 2 * log_p0 - lp


def hutchinson_at_next_time(f, x, t, probes, *, reduce=True):
    """vᵀJv with the Jacobian taken at t + 1 (a step index where the time belongs)."""
    return ode.hutchinson_divergence(f, x, ode._time_rows(t, x) + 1, probes, reduce=reduce)


def log_density_along_rescaled_path(f, x0, log_p0, ts, **kw):
    """The density pushed along the path from x0 / 2 (data rescaled twice, to [-1, 1] from a range that
    already was): the trace of a linear field is the same everywhere, so log p is right, but it belongs
    to another path."""
    return ode.log_density_path(f, x0 / 2, log_p0, ts, **kw)


HEUN_CORRECTOR_AT_START = _candidate(heun=heun_corrector_at_start)
EULER_ENDPOINT_VELOCITY = _candidate(euler=euler_endpoint_velocity)
EULER_ABS_STEP = _candidate(euler=euler_abs_step)
HEUN_DECLARES_ORDER_ONE = _candidate(heun=heun_declares_order_one)
HUTCHINSON_MISSING_PROBE = _candidate(hutchinson_divergence=hutchinson_missing_probe)
DIVERGENCE_ALL_ENTRIES = _candidate(divergence_exact=divergence_all_entries)
LOG_DENSITY_PLUS_TRACE = _candidate(log_density_path=log_density_plus_trace)
HUTCHINSON_AT_NEXT_TIME = _candidate(hutchinson_divergence=hutchinson_at_next_time)
LOG_DENSITY_RESCALED_PATH = _candidate(log_density_path=log_density_along_rescaled_path)
