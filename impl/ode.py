"""Neural-ODE solvers and the log-density along a trajectory, batched in torch.

Solvers for ``dx/dt = f(x, t)`` on a time grid ``ts`` (increasing or decreasing):

* ``euler`` (theorem ``ode.euler``, order 1): ``x_{k+1} = x_k + h_k f(x_k, t_k)``.
* ``heun`` (theorem ``ode.heun``, order 2): predictor ``x̃ = x_k + h_k f(x_k, t_k)``, corrector
  ``x_{k+1} = x_k + ½ h_k [f(x_k, t_k) + f(x̃, t_{k+1})]``.

with ``h_k = t_{k+1} - t_k`` (negative when ``ts`` decreases). Each solver declares its global order
as the attribute ``ORDER`` (``euler.ORDER == 1``, ``heun.ORDER == 2``), which the checks measure as
the slope of log error against log step. ``000 L11 "Neural ODE"``; ``003 L9``.

Log-density along a trajectory (instantaneous change of variables, theorem ``ode.continuity_equation``):
``d/dt log p_t(x(t)) = -tr ∂f/∂x (x(t), t)``, integrated jointly with ``x`` by the same solver. The
trace is exact (``divergence_exact``: the Jacobian by ``torch.func.jacrev``) or the Hutchinson
estimate ``E_v[vᵀ (∂f/∂x) v] = tr ∂f/∂x`` for probes with ``E[v vᵀ] = I`` (``hutchinson_divergence``;
Rademacher or Gaussian probes, passed in or drawn from a given generator).

Protocol: ``f(x, t)`` takes ``x`` of shape ``(batch, *event)`` and ``t`` a ``(batch,)`` tensor like ``x``
and returns ``dx/dt`` shaped like ``x``; for the divergences, row ``b`` of ``f(x, t)`` may depend only on
row ``b`` of ``x`` (a per-sample vector field), and the event is flattened to ``d`` coordinates.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from . import _validate as V
from ._validate import floating

Field = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # f(x, t) -> dx/dt, like x

__all__ = [
    "SOLVERS",
    "divergence_exact",
    "draw_probes",
    "euler",
    "heun",
    "hutchinson_divergence",
    "log_density_path",
    "time_grid",
    "uniform_times",
]


# --------------------------------------------------------------------------------------- validation

def time_grid(ts: object, x0: torch.Tensor) -> torch.Tensor:
    """``ts`` as a 1-D tensor like ``x0``: at least two finite times, strictly monotone (``x0`` gives the
    dtype and device)."""
    floating(x0, "x0")
    if isinstance(ts, torch.Tensor):
        floating(ts, "ts")
    try:
        ts = torch.as_tensor(ts, dtype=x0.dtype, device=x0.device)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"ts must be a 1-D tensor or sequence of times, got {type(ts).__name__}") from exc
    if ts.ndim != 1 or ts.numel() < 2:
        raise ValueError(f"ts must be a 1-D tensor of at least 2 times, got shape {tuple(ts.shape)}")
    if not bool(torch.isfinite(ts).all()):
        raise ValueError(f"ts must be finite, got {ts.tolist()}")
    dt = ts[1:] - ts[:-1]
    if not (bool((dt > 0).all()) or bool((dt < 0).all())):
        sign = 1.0 if float(dt[0]) > 0 else -1.0
        bad = torch.nonzero(dt * sign <= 0)
        i = int(bad[0]) if float(dt[0]) != 0 and bad.numel() else 0
        raise ValueError(f"ts must be strictly monotone (all increasing or all decreasing, no zero steps); "
                         f"ts[{i}] = {float(ts[i])}, ts[{i + 1}] = {float(ts[i + 1])}")
    return ts


def uniform_times(t0: float, t1: float, n_steps: int, like: torch.Tensor) -> torch.Tensor:
    """``n_steps + 1`` equally spaced times from ``t0`` to ``t1`` (a tensor like ``like``)."""
    t0, t1 = V.real(t0, "t0"), V.real(t1, "t1")
    V.count(n_steps, "n_steps")
    floating(like, "like")
    if not float(t0) != float(t1):
        raise ValueError(f"t0 and t1 must differ, got t0 = t1 = {t0}")
    return torch.linspace(float(t0), float(t1), n_steps + 1, dtype=like.dtype, device=like.device)


def _start(x0: object, f: object, name: str = "x0") -> torch.Tensor:
    V.batch(x0, name)
    V.function(f, "f")
    return x0


def _call(f: Field, x: torch.Tensor, t: torch.Tensor, name: str = "f") -> torch.Tensor:
    v = f(x, t)
    if not isinstance(v, torch.Tensor) or v.shape != x.shape:
        got = tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__
        raise ValueError(f"{name}(x, t) must return a tensor of shape {tuple(x.shape)}, got {got}")
    return v


# ------------------------------------------------------------------------------------------ solvers

def _integrate(step: Callable, f: Field, x0: torch.Tensor, ts: object, return_path: bool) -> torch.Tensor:
    x0 = _start(x0, f)
    V.flag(return_path, "return_path")
    return _solve(step, f, x0, time_grid(ts, x0), return_path)


def _solve(step: Callable, f: Field, x0: torch.Tensor, ts: torch.Tensor, return_path: bool = False) -> torch.Tensor:
    """The solver loop on validated inputs (also the inner step of the samplers' loops)."""
    batch = x0.shape[0]
    x = x0
    path = [x0] if return_path else None
    for k in range(ts.numel() - 1):
        x = step(f, x, ts[k].expand(batch), ts[k + 1].expand(batch), ts[k + 1] - ts[k])
        if path is not None:
            path.append(x)
    return torch.stack(path) if path is not None else x


def _col(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return v.reshape(-1, *([1] * (x.ndim - 1))) if v.ndim else v


def _euler_step(f: Field, x, t, t_next, h):
    return x + h * _call(f, x, t)


def _heun_step(f: Field, x, t, t_next, h):
    v = _call(f, x, t)
    x_pred = x + h * v
    return x + 0.5 * h * (v + _call(f, x_pred, t_next))


def euler(f: Field, x0: torch.Tensor, ts: object, *, return_path: bool = False) -> torch.Tensor:
    """Explicit Euler, ``x_{k+1} = x_k + h_k f(x_k, t_k)`` (theorem ``ode.euler``; global order 1).

    Returns ``x`` at ``ts[-1]``, or the path ``(len(ts), *x0.shape)`` when ``return_path``.
    """
    return _integrate(_euler_step, f, x0, ts, return_path)


def heun(f: Field, x0: torch.Tensor, ts: object, *, return_path: bool = False) -> torch.Tensor:
    """Heun (explicit trapezoid), ``x_{k+1} = x_k + ½h[f(x_k, t_k) + f(x_k + h f(x_k, t_k), t_{k+1})]``.

    Theorem ``ode.heun``; global order 2. Returns the final state or the path like ``euler``.
    """
    return _integrate(_heun_step, f, x0, ts, return_path)


euler.ORDER = 1  # type: ignore[attr-defined]
heun.ORDER = 2  # type: ignore[attr-defined]
SOLVERS: dict[str, Callable] = {"euler": euler, "heun": heun}
_STEPS: dict[str, Callable] = {"euler": _euler_step, "heun": _heun_step}


# ------------------------------------------------------------------------------------- divergences

def _time_rows(t: object, x: torch.Tensor) -> torch.Tensor:
    return V.per_row(t, x, "t")


def divergence_exact(f: Field, x: torch.Tensor, t: object) -> torch.Tensor:
    """``tr ∂f/∂x (x_b, t_b)`` for each row ``b``, exactly, shape ``(batch,)``.

    The Jacobian of ``x ↦ Σ_b f(x, t)_b`` (shape ``(d, batch, d)``, via ``torch.func.jacrev``) holds
    every per-sample Jacobian because rows are independent: ``J[i, b, j] = ∂f_{b,i}/∂x_{b,j}``.
    """
    x = _start(x, f, "x")
    return _divergence_exact(f, x, _time_rows(t, x))


def _divergence_exact(f: Field, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    batch = x.shape[0]
    xf = x.reshape(batch, -1)
    d = xf.shape[1]

    def g(z: torch.Tensor) -> torch.Tensor:
        return _call(f, z.reshape(x.shape), t).reshape(batch, d).sum(0)

    jac = torch.func.jacrev(g)(xf)  # (d, batch, d)
    return torch.diagonal(jac, dim1=0, dim2=2).sum(-1)


def draw_probes(n: int, x: torch.Tensor, *, kind: str = "rademacher",
                generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` probe vectors per row of ``x``, shape ``(n, *x.shape)``, with ``E[v vᵀ] = I``.

    ``kind``: ``"rademacher"`` (entries ±1 with probability ½) or ``"gaussian"`` (standard normal).
    Drawn on CPU with ``generator`` (reproducible across devices), then moved like ``x``.
    """
    V.batch(x, "x")
    n = V.count(n, "n")
    if generator is not None:
        V.instance(generator, "generator", torch.Generator, "a torch.Generator or None")
    shape = (n, *x.shape)
    if kind == "rademacher":
        v = torch.randint(0, 2, shape, generator=generator, dtype=torch.int64).to(torch.float64) * 2 - 1
    elif kind == "gaussian":
        v = torch.randn(shape, generator=generator, dtype=torch.float64)
    else:
        raise ValueError(f"kind must be 'rademacher' or 'gaussian', got {kind!r}")
    return v.to(dtype=x.dtype, device=x.device)


def hutchinson_divergence(f: Field, x: torch.Tensor, t: object, probes: torch.Tensor, *,
                          reduce: bool = True) -> torch.Tensor:
    """Hutchinson's estimate of ``tr ∂f/∂x``: ``vᵀ (∂f/∂x) v`` for each probe ``v``.

    ``probes``: shape ``(n, *x.shape)`` (or ``x.shape`` for one probe). Returns the mean over the
    probes, shape ``(batch,)``, or with ``reduce=False`` every per-probe value, shape ``(n, batch)``.
    ``vᵀJ`` is one vector-Jacobian product (``torch.func.vjp``) per probe.
    """
    x = _start(x, f, "x")
    t = _time_rows(t, x)
    V.flag(reduce, "reduce")
    probes = _probes(probes, x, "x")
    vals = _hutchinson(f, x, t, probes)
    return vals.mean(0) if reduce else vals


def _probes(probes: object, x: torch.Tensor, x_name: str) -> torch.Tensor:
    V.tensor(probes, "probes")
    if probes.shape == x.shape:
        probes = probes[None]
    if probes.ndim != x.ndim + 1 or probes.shape[1:] != x.shape or probes.shape[0] < 1:
        raise ValueError(f"probes must have shape (n, *{x_name}.shape) = (n, {', '.join(map(str, x.shape))}), "
                         f"got {tuple(probes.shape)}")
    if probes.dtype != x.dtype or probes.device != x.device:
        raise TypeError(f"probes must have the dtype and device of {x_name} ({x.dtype}, {x.device}), "
                        f"got ({probes.dtype}, {probes.device})")
    return probes


def _hutchinson(f: Field, x: torch.Tensor, t: torch.Tensor, probes: torch.Tensor) -> torch.Tensor:
    """Every per-probe value ``(n, batch)`` on validated inputs."""
    _, vjp_fn = torch.func.vjp(lambda z: _call(f, z, t), x)
    return torch.stack([(vjp_fn(v)[0] * v).reshape(x.shape[0], -1).sum(-1) for v in probes])


# ------------------------------------------------------------------------------ log-density path

def log_density_path(f: Field, x0: torch.Tensor, log_p0: torch.Tensor, ts: object, *,
                     method: str = "heun", divergence: str = "exact", probes: torch.Tensor | None = None,
                     generator: torch.Generator | None = None, n_probes: int = 1,
                     probe_kind: str = "rademacher") -> tuple[torch.Tensor, torch.Tensor]:
    """Push ``x0`` (with ``log p_0(x0)``) along ``dx/dt = f`` and integrate ``d log p/dt = -tr ∂f/∂x``.

    The augmented state ``(x, log p)`` is advanced by ``method`` (``"euler"`` or ``"heun"``) on ``ts``;
    ``divergence="exact"`` uses ``divergence_exact``, ``"hutchinson"`` uses ``hutchinson_divergence``
    with ``probes`` (shape ``(n, *x0.shape)``, the same probes at every evaluation, as in FFJORD) or,
    when ``probes`` is None, ``n_probes`` probes of ``probe_kind`` drawn once from ``generator``.
    Returns ``(x(ts[-1]), log p_{ts[-1]}(x(ts[-1])))``. Theorem ``ode.continuity_equation``;
    ``000 L11 "Continuity Equation"``.
    """
    x0 = _start(x0, f)
    V.tensor(log_p0, "log_p0", like_=x0, like_name="x0")
    if log_p0.shape != (x0.shape[0],):
        raise ValueError(f"log_p0 must have shape (x0.shape[0],) = ({x0.shape[0]},), got {tuple(log_p0.shape)}")
    V.choice(method, "method", sorted(SOLVERS))
    V.choice(divergence, "divergence", ("exact", "hutchinson"))
    ts = time_grid(ts, x0)
    n_probes = V.count(n_probes, "n_probes")
    V.choice(probe_kind, "probe_kind", ("rademacher", "gaussian"))
    if generator is not None:
        V.instance(generator, "generator", torch.Generator, "a torch.Generator or None")
    if probes is not None:
        probes = _probes(probes, x0, "x0")
    if divergence == "exact":
        def div(x, t):
            return _divergence_exact(f, x, t)
    else:
        if probes is None:
            probes = draw_probes(n_probes, x0, kind=probe_kind, generator=generator)

        def div(x, t):
            return _hutchinson(f, x, t, probes).mean(0)
    batch = x0.shape[0]
    n = x0[0].numel()

    def aug(z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        x = z[:, :n].reshape(x0.shape)
        dx = _call(f, x, t).reshape(batch, n)
        return torch.cat([dx, -div(x, t)[:, None]], dim=1)

    z0 = torch.cat([x0.reshape(batch, n), log_p0.to(x0)[:, None]], dim=1)
    z = _solve(_STEPS[method], aug, z0, ts)
    return z[:, :n].reshape(x0.shape), z[:, n]
