"""Adapter: hold ``nflows`` transforms and flows to dgmcheck's change-of-variables oracles (dgmcheck.checks.flows).

    >>> from nflows.transforms import MaskedAffineAutoregressiveTransform
    >>> from dgmcheck.adapters.nflows import NflowsAffineAR
    >>> from dgmcheck.checks.flows import verify
    >>> print(verify(NflowsAffineAR(MaskedAffineAutoregressiveTransform(3, 8))).summary())  # doctest: +SKIP

Install: ``pip install nflows --no-deps`` then ``pip install matplotlib`` (nflows imports it; its other
pinned dependencies would pull torchvision, which dgmcheck does not need).

Direction convention: NFLOWS' ``forward`` IS THE DENSITY DIRECTION
------------------------------------------------------------------
nflows' ``Transform.forward(inputs)`` maps data to noise and returns ``(outputs, logabsdet)`` with
``logabsdet = log|det ∂outputs/∂inputs|``; ``Flow.log_prob(x) = base.log_prob(z) + logabsdet`` and
``Flow.sample`` runs ``transform.inverse`` (noise to data). That is dgmcheck's convention
(``forward(x) -> (z, log|det ∂z/∂x|)``, ``inverse(z) -> (x, log|det ∂x/∂z|)``), so the candidate's
``forward``/``inverse`` are nflows' own, called with ``context=None``. (A sampling-direction reading,
``x = forward(z)``, would flip the sign of every log-det; the planted-bug tests show it is caught.)

What is checked through which nflows call
-----------------------------------------
- change_of_variables.density / inverse_function: any ``Transform``'s ``forward``/``inverse``; a ``Flow``'s
  ``log_prob`` (its base must be ``StandardNormal``; another base is refused).
- flows.composition: a ``CompositeTransform``'s ``_transforms``.
- flows.gaussian_ar: ``MaskedAffineAutoregressiveTransform`` (MADE inputs are always in the natural
  order 1..m). nflows' ``z_j = s_j x_j + t_j`` is the lecture's ``(x_j - μ_j)/σ_j`` with ``σ_j = 1/s_j``
  and ``μ_j = -t_j/s_j``; ``s_j, t_j`` are read from nflows' own ``_elementwise_forward`` at inputs 0 and 1
  (``t = f(0)``, ``s = f(1) - f(0)``), so the adapter does not restate nflows' scale parametrization (which
  changed between releases: ``sigmoid(u + 2)`` vs ``softplus(u)``, plus ``1e-3``).
- flows.realnvp: ``AffineCouplingTransform`` whose mask leaves the FIRST ``d`` features unchanged (mask
  ``<= 0`` there, ``> 0`` after); ``(scale, shift) = _scale_and_shift(transform_net(x_{1:d}))`` gives
  ``σ = 1/scale``, ``μ = -shift/scale``. Other masks are refused (flows.realnvp states ``z_{1:d} = x_{1:d}``).

Precision: the adapter checks a deep copy cast to the requested dtype (float64 by default) in ``eval()``
mode (a BatchNorm transform is then the fixed affine map of its running statistics).
"""

from __future__ import annotations

import copy
from typing import Any

import torch

try:
    from nflows.distributions.normal import StandardNormal
    from nflows.flows.base import Flow
    from nflows.transforms.autoregressive import MaskedAffineAutoregressiveTransform
    from nflows.transforms.base import CompositeTransform, Transform
    from nflows.transforms.coupling import AffineCouplingTransform
except ImportError as exc:  # pragma: no cover - exercised only where nflows is absent
    raise ImportError(
        "dgmcheck.adapters.nflows needs the nflows library, which is not installed: "
        "pip install nflows --no-deps && pip install matplotlib") from exc

from dgmcheck.checks import flows as checks

__all__ = ["NflowsAffineAR", "NflowsCoupling", "NflowsFlow", "NflowsTransform", "verify_flow"]


def _cast(module: torch.nn.Module, dtype: Any) -> torch.nn.Module:
    return copy.deepcopy(module).to(dtype=dtype).eval()


class NflowsTransform:
    """An nflows ``Transform`` on ``(B, dim)`` rows as a dgmcheck flow candidate (same direction: data -> noise)."""

    def __init__(self, transform: Any, dim: int, *, dtype: Any = torch.float64, _cast_it: bool = True) -> None:
        if not isinstance(transform, Transform):
            raise TypeError(f"transform must be an nflows Transform; got {type(transform).__name__}")
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive int (the number of features), got {dim!r}")
        self.transform = _cast(transform, dtype) if _cast_it else transform
        self.dim = dim
        parts = getattr(self.transform, "_transforms", None)
        if isinstance(self.transform, CompositeTransform) and parts is not None and len(parts) > 1:
            self.layers = [NflowsTransform(p, dim, _cast_it=False) for p in parts]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.transform(x)

    def inverse(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.transform.inverse(z)


class NflowsFlow(NflowsTransform):
    """An nflows ``Flow`` (transform + ``StandardNormal`` base) as a candidate with ``log_prob``."""

    def __init__(self, flow: Any, *, dtype: Any = torch.float64) -> None:
        if not isinstance(flow, Flow):
            raise TypeError(f"flow must be an nflows Flow; got {type(flow).__name__}")
        base = flow._distribution
        if not isinstance(base, StandardNormal) or len(base._shape) != 1:
            raise ValueError(
                f"flow's base is {type(base).__name__} with shape {getattr(base, '_shape', None)}, not a "
                "StandardNormal over (dim,): change_of_variables.density holds log_prob to "
                "log N(f(x); 0, I) + log|det J_f|; check flow._transform with NflowsTransform instead")
        self.flow = _cast(flow, dtype)
        super().__init__(self.flow._transform, int(base._shape[0]), _cast_it=False)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        return self.flow.log_prob(x)


class NflowsAffineAR(NflowsTransform):
    """``MaskedAffineAutoregressiveTransform`` as a Gaussian AR candidate (flows.gaussian_ar)."""

    def __init__(self, transform: Any, *, dtype: Any = torch.float64) -> None:
        if not isinstance(transform, MaskedAffineAutoregressiveTransform):
            raise TypeError(f"transform must be a MaskedAffineAutoregressiveTransform; got {type(transform).__name__}")
        super().__init__(transform, int(transform.autoregressive_net.initial_layer.in_features), dtype=dtype)

    def conditioner(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(μ, log σ)`` of nflows' ``z_j = s_j x_j + t_j``: ``σ = 1/s``, ``μ = -t/s``."""
        params = self.transform.autoregressive_net(x)
        t = self.transform._elementwise_forward(torch.zeros_like(x), params)[0]
        s = self.transform._elementwise_forward(torch.ones_like(x), params)[0] - t
        return -t / s, -torch.log(s)


class NflowsCoupling(NflowsTransform):
    """``AffineCouplingTransform`` with the first ``d`` features as identity, as a RealNVP candidate."""

    def __init__(self, transform: Any, *, dtype: Any = torch.float64) -> None:
        if not isinstance(transform, AffineCouplingTransform):
            raise TypeError(f"transform must be an AffineCouplingTransform; got {type(transform).__name__}")
        ident = transform.identity_features.tolist()
        d = len(ident)
        if ident != list(range(d)):
            raise ValueError(
                f"transform leaves features {ident} unchanged: flows.realnvp states z_{{1:d}} = x_{{1:d}}; build it "
                "with a mask that is <= 0 on the first d features and > 0 after (e.g. [-1]*d + [1]*(m-d))")
        if transform.transform_features.tolist() != list(range(d, transform.features)):
            raise ValueError("transform's mask must transform exactly the features d..m-1")
        super().__init__(transform, int(transform.features), dtype=dtype)
        self.d = d

    def coupling_conditioner(self, x1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(μ, log σ)`` from nflows' ``z_2 = scale ⊙ x_2 + shift``: ``σ = 1/scale``, ``μ = -shift/scale``."""
        scale, shift = self.transform._scale_and_shift(self.transform.transform_net(x1, None))
        return -shift / scale, -torch.log(scale)


def verify_flow(flow: Any, *, dtype: Any = torch.float64, properties: Any = None, max_examples: int | None = None,
                shrink: bool | float = True) -> checks.VerifyReport:
    """Run every flow property an nflows ``Flow`` supports; raises ``TheoremViolation`` on the first failure."""
    return checks.verify(NflowsFlow(flow, dtype=dtype), dtype=dtype, properties=properties,
                         max_examples=max_examples, shrink=shrink)
