"""Adapter: hold Meta's ``flow_matching`` affine paths to dgmcheck's flow-matching oracles.

    >>> from flow_matching.path import AffineProbPath
    >>> from flow_matching.path.scheduler import CondOTScheduler
    >>> from dgmcheck.adapters.flow_matching import verify_path
    >>> print(verify_path(AffineProbPath(CondOTScheduler())).summary())  # doctest: +SKIP

Conventions (flow_matching 1.0)
-------------------------------
``AffineProbPath(scheduler).sample(x_0, x_1, t)`` gives ``x_t = α_t x_1 + σ_t x_0`` and
``dx_t = α'_t x_1 + σ'_t x_0``: source (noise) ``x_0`` at t = 0, target (data) ``x_1`` at t = 1,
σ_t a standard deviation — the lectures' convention, no conversion. The conditional field at a
free point, ``u_t(x|x_1)``, is ``path.target_to_velocity(x_1, x_t=x, t)``.

Shapes: ``sample`` takes ``t`` of shape ``(B,)`` and expands it like ``x``; the conversions
(``target_to_velocity`` etc.) do not: a ``(B,)`` t there broadcasts against the LAST axis of x
(a ``(B, B)`` result for ``x`` of shape ``(B, 1)``, silently wrong values when ``B == d``). The
adapter reshapes t to ``(B, 1, ...)`` before calling them.

- ``CondOTScheduler``: α = t, σ = 1 - t: dgmcheck's conical path with σ_min = 0.
- ``VPScheduler(beta_min, beta_max)``: ``T = ½(1-t)²(β_max-β_min) + (1-t)β_min``, α = e^{-T/2},
  σ = √(1 - e^{-T}): dgmcheck's ``vp`` path with the same β's.
"""

from __future__ import annotations

from typing import Any

from dgmcheck.theory.flow_matching import PathSpec


def spec_of(scheduler: Any) -> PathSpec:
    from flow_matching.path.scheduler import CondOTScheduler, VPScheduler

    if isinstance(scheduler, CondOTScheduler):
        return PathSpec("conical", sigma_min=0.0)
    if isinstance(scheduler, VPScheduler):
        return PathSpec("vp", beta_min=float(scheduler.beta_min), beta_max=float(scheduler.beta_max))
    raise TypeError(f"no dgmcheck path for scheduler {type(scheduler).__name__}")


class MetaAffinePath:
    """An ``AffineProbPath`` as a dgmcheck path candidate."""

    def __init__(self, path: Any, spec: PathSpec | None = None) -> None:
        from dgmcheck.adapters._validate import has

        has(path, "path", "flow_matching's AffineProbPath", "scheduler", callable_=("sample",))
        if spec is not None and not isinstance(spec, PathSpec):
            raise TypeError(f"spec must be None or a dgmcheck.theory.flow_matching.PathSpec, got {spec!r:.60}")
        self.path = path
        self.spec = spec if spec is not None else spec_of(path.scheduler)

    def sample_xt(self, x0, x1, t):
        return self.path.sample(x_0=x0, x_1=x1, t=t).x_t

    def velocity(self, x0, x1, t):
        return self.path.sample(x_0=x0, x_1=x1, t=t).dx_t

    def target_field(self, x, x1, t):
        # sample() expands a (B,) t like x; target_to_velocity does not (t must broadcast to x)
        return self.path.target_to_velocity(x_1=x1, x_t=x, t=t.reshape(-1, *([1] * (x.ndim - 1))))

    def cfm_loss(self, model, x0, x1, t):
        s = self.path.sample(x_0=x0, x_1=x1, t=t)
        diff = model(s.x_t, t) - s.dx_t
        return diff.pow(2).reshape(diff.shape[0], -1).sum(-1)


def verify_path(path: Any, **kw: Any):
    """``dgmcheck.checks.flow_matching.verify`` on the wrapped path."""
    from dgmcheck.checks.flow_matching import verify

    return verify(MetaAffinePath(path), **kw)
