"""Adapter: hold ``zuko`` normalizing flows to dgmcheck's change-of-variables oracles (dgmcheck.checks.flows).

    >>> import zuko
    >>> from dgmcheck.adapters.zuko import verify_flow
    >>> flow = zuko.flows.MAF(features=3, transforms=2, hidden_features=[8])
    >>> print(verify_flow(flow, max_examples=5).summary())  # doctest: +SKIP

Direction convention
--------------------
zuko's ``NormalizingFlow(transform, base)`` maps data to noise, like dgmcheck (000 L2 "Normalizing
Flows (NF)"): ``z = transform(x)``, ``log p(x) = log p_base(z) + transform.log_abs_det_jacobian(x, z)``.
So no flip is needed: the candidate's ``forward(x)`` is ``(t(x), t.log_abs_det_jacobian(x, t(x)))`` and
its ``inverse(z)`` is ``(t.inv(z), t.inv.log_abs_det_jacobian(z, t.inv(z)))``.

What is checked through which zuko call
---------------------------------------
- change_of_variables.density: ``transform.log_abs_det_jacobian`` against ``log|det|`` of the autodiff
  Jacobian of ``transform.__call__``; ``flow().log_prob(x)`` against ``log N(f(x); 0, I) + log|det J_f|``.
  The base must be ``N(0, I)`` (zuko's default ``DiagNormal(0, 1)``); another base is refused.
- change_of_variables.inverse_function: ``transform.inv`` (zuko's MAF inverts by fixed-point passes,
  exact after ``features`` passes) and ``transform.inv.log_abs_det_jacobian``.
- flows.composition: the ``ComposedTransform``'s layers (``flow.transform.transforms``, each built).
- flows.gaussian_ar (``ZukoAffineAR`` only): one ``MaskedAutoregressiveTransform`` with the natural
  order ``0..m-1`` and the affine univariate ``MonotonicAffineTransform``: zuko's
  ``z_j = e^{a_j} x_j + b_j`` is the lecture's ``(x_j - μ_j)/σ_j`` with ``log σ_j = -a_j`` and
  ``μ_j = -b_j e^{-a_j}`` (``a_j`` is zuko's soft-clipped ``log_scale``, read from ``meta``).

Precision: zuko modules are ``torch.nn.Module``; the adapter checks a deep copy cast to the requested
dtype (float64 by default), so the float64 tolerances test zuko's formulas; float32 tests them as
shipped. The flow's own module is never modified.
"""

from __future__ import annotations

import copy
from typing import Any

import torch

try:
    import zuko
    from zuko.flows.autoregressive import MaskedAutoregressiveTransform
except ImportError as exc:  # pragma: no cover - exercised only where zuko is absent
    raise ImportError(
        "dgmcheck.adapters.zuko needs the zuko library, which is not installed: pip install zuko") from exc

from dgmcheck.checks import flows as checks

__all__ = ["ZukoAffineAR", "ZukoFlow", "ZukoTransform", "verify_flow"]


def _cast(module: torch.nn.Module, dtype: Any) -> torch.nn.Module:
    return copy.deepcopy(module).to(dtype=dtype).eval()


class ZukoTransform:
    """A built zuko (torch.distributions) ``Transform`` of ``(B, dim)`` rows as a dgmcheck flow candidate.

    ``build()`` returns the transform (rebuilt at each call, so a lazy zuko module is evaluated with its
    current parameters)."""

    def __init__(self, build: Any, dim: int) -> None:
        from dgmcheck.adapters._validate import function

        self._build = function(build, "build")
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise TypeError(f"dim must be a positive int (the flow's dimension), got {dim!r:.60}")
        self.dim = dim

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        t = self._build()
        z = t(x)
        return z, t.log_abs_det_jacobian(x, z)

    def inverse(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        inv = self._build().inv
        x = inv(z)
        return x, inv.log_abs_det_jacobian(z, x)


def _standard_normal(base: Any, dim: int) -> bool:
    """Whether ``base`` is ``N(0, I)`` on ``dim`` features (an Independent(Normal) with loc 0, scale 1)."""
    inner = getattr(base, "base_dist", base)
    loc, scale = getattr(inner, "loc", None), getattr(inner, "scale", None)
    if not isinstance(inner, torch.distributions.Normal) or loc is None or scale is None:
        return False
    return (tuple(base.event_shape) == (dim,) and bool(torch.all(loc == 0)) and bool(torch.all(scale == 1)))


class ZukoFlow(ZukoTransform):
    """A ``zuko.flows.Flow`` (a lazy ``NormalizingFlow``) as a dgmcheck flow candidate: ``forward``/``inverse``
    through its transform, ``log_prob`` through ``flow(context).log_prob`` and ``layers`` from its
    ``ComposedTransform``. ``context`` (one vector, broadcast over the batch) is for conditional flows."""

    def __init__(self, flow: Any, *, dtype: Any = torch.float64, context: torch.Tensor | None = None) -> None:
        if not isinstance(flow, zuko.flows.Flow):
            raise TypeError(f"flow must be a zuko.flows.Flow (e.g. zuko.flows.MAF(...)); got {type(flow).__name__}")
        self.flow = _cast(flow, dtype)
        self.context = None if context is None else context.to(dtype=dtype)
        try:
            dist = self.flow(self.context)
            dim = dist.event_shape[-1]
            probe = dist.base.sample()
        except RuntimeError as exc:
            raise ValueError(f"flow could not be built (a conditional flow needs context=...): {exc}") from exc
        if len(dist.event_shape) != 1 or probe.shape[-1] != dim:
            raise ValueError(f"flow must have events of shape (dim,); got event_shape {tuple(dist.event_shape)}")
        if not _standard_normal(dist.base, dim):
            raise ValueError(
                f"flow's base is {dist.base!r}, not N(0, I): change_of_variables.density holds log_prob to "
                "log N(f(x); 0, I) + log|det J_f(x)|; check the transform alone with "
                "ZukoTransform(lambda: flow.transform(context), dim)")
        super().__init__(lambda: self.flow.transform(self.context), dim)
        lazy = self.flow.transform
        parts = getattr(lazy, "transforms", None)
        if parts is not None and len(parts) > 1:
            self.layers = [ZukoTransform(lambda p=p: p(self.context), dim) for p in parts]

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        return self.flow(self.context).log_prob(x)


class ZukoAffineAR(ZukoTransform):
    """One ``MaskedAutoregressiveTransform`` with natural order and affine univariate transform (zuko's
    ``MAF`` layer 0) as a Gaussian AR candidate (flows.gaussian_ar): ``conditioner(x) -> (μ, log σ)``."""

    def __init__(self, layer: Any, *, dtype: Any = torch.float64) -> None:
        if not isinstance(layer, MaskedAutoregressiveTransform):
            raise TypeError(f"layer must be a zuko MaskedAutoregressiveTransform; got {type(layer).__name__}")
        order = layer.order.tolist()
        if order != sorted(order):
            raise ValueError(
                f"layer has order {order}: flows.gaussian_ar states z_j in terms of x_{{<j}} in the natural order; "
                "check a layer built with order=torch.arange(features) (zuko's MAF layer 0), or use ZukoFlow")
        self.layer = _cast(layer, dtype)
        super().__init__(lambda: self.layer(None), len(order))
        univariate = self.layer.meta(None, torch.zeros(1, self.dim, dtype=dtype)).base
        if not all(hasattr(univariate, a) for a in ("shift", "log_scale")) or not isinstance(
                univariate, zuko.transforms.MonotonicAffineTransform):
            raise ValueError(
                f"layer's univariate transform is {type(univariate).__name__}, not affine: flows.gaussian_ar "
                "needs z_j = (x_j - μ_j)/σ_j; build it with univariate=MonotonicAffineTransform")

    def conditioner(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(μ, log σ)`` from zuko's ``z_j = e^{a_j} x_j + b_j``: ``log σ = -a``, ``μ = -b e^{-a}``."""
        affine = self.layer.meta(None, x).base
        a, b = affine.log_scale, affine.shift
        return -b * torch.exp(-a), -a


def verify_flow(flow: Any, *, dtype: Any = torch.float64, context: torch.Tensor | None = None,
                properties: Any = None, max_examples: int | None = None,
                shrink: bool | float = True) -> checks.VerifyReport:
    """Run every flow property a ``zuko.flows.Flow`` supports (density, inverse_function, composition);
    raises ``TheoremViolation`` on the first that fails."""
    candidate = ZukoFlow(flow, dtype=dtype, context=context)
    return checks.verify(candidate, dtype=dtype, properties=properties, max_examples=max_examples, shrink=shrink)
