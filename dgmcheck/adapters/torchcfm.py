"""Adapter: hold torchcfm's conditional flow matchers to dgmcheck's flow-matching oracles.

    >>> from torchcfm.conditional_flow_matching import TargetConditionalFlowMatcher
    >>> from dgmcheck.adapters.torchcfm import verify_matcher
    >>> print(verify_matcher(TargetConditionalFlowMatcher(sigma=0.1)).summary())  # doctest: +SKIP

Conventions (torchcfm 1.0)
--------------------------
torchcfm puts noise at t = 0 and data at t = 1, as the lectures do, and its ``sigma`` is a
**standard deviation**; no time reversal is needed. What differs is which argument is the noise:

- ``ConditionalFlowMatcher(sigma)`` (I-CFM): pair conditioning, ``x_t = t x_1 + (1-t) x_0 + σ ε``
  with an extra independent ``ε`` of width σ (the slide's ε in 000 L12 "Pair Conditioning"), target
  ``x_1 - x_0``. dgmcheck's ``linear`` path is the σ = 0 part; the adapter passes ``ε = 0`` to
  ``sample_xt`` and checks the width separately (``noise_width``: ``sample_xt(ε) - sample_xt(0) = σ ε``).
- ``TargetConditionalFlowMatcher(sigma)`` (Lipman's FM): the conical path with ``σ_min = sigma``.
  It **ignores its ``x0`` argument**: the noise is the ``epsilon`` it draws with
  ``sample_noise_like``. The adapter hands dgmcheck's ``x_0`` to torchcfm as that ``epsilon``
  (``sample_xt(x0, x1, t, epsilon=x0)``; in ``cfm_loss`` by patching ``sample_noise_like`` on the
  instance for the call).
- ``VariancePreservingConditionalFlowMatcher`` is a trigonometric interpolant
  (``cos(πt/2) x_0 + sin(πt/2) x_1``), not the VP-SDE path of 000 L13; it has no spec here.
"""

from __future__ import annotations

from typing import Any

import torch

from dgmcheck.theory.flow_matching import PathSpec


class _Base:
    def __init__(self, matcher: Any) -> None:
        from dgmcheck.adapters._validate import has

        self.matcher = has(matcher, "matcher", "a torchcfm ConditionalFlowMatcher", "sigma",
                           callable_=("sample_location_and_conditional_flow",))

    def _loss(self, model, x0, x1, t, noise):
        fm = self.matcher
        fm.sample_noise_like = lambda x: noise  # the noise dgmcheck chose, for this call only
        try:
            _, xt, ut = fm.sample_location_and_conditional_flow(x0, x1, t)
        finally:
            del fm.sample_noise_like
        diff = model(xt, t) - ut
        return diff.pow(2).reshape(diff.shape[0], -1).sum(-1)


class TorchCFMLinear(_Base):
    """``ConditionalFlowMatcher`` as dgmcheck's ``linear`` path (its σ ε term set to 0)."""

    @property
    def spec(self) -> PathSpec:
        return PathSpec("linear")

    def sample_xt(self, x0, x1, t):
        return self.matcher.sample_xt(x0, x1, t, torch.zeros_like(x1))

    def velocity(self, x0, x1, t):
        return self.matcher.compute_conditional_flow(x0, x1, t, self.sample_xt(x0, x1, t))

    def cfm_loss(self, model, x0, x1, t):
        return self._loss(model, x0, x1, t, torch.zeros_like(x1))

    def noise_width(self, x0, x1, t, eps):
        """``sample_xt(ε) - sample_xt(0)``: should be ``σ ε`` (σ a standard deviation)."""
        return self.matcher.sample_xt(x0, x1, t, eps) - self.sample_xt(x0, x1, t)


class TorchCFMTarget(_Base):
    """``TargetConditionalFlowMatcher(sigma)`` as dgmcheck's conical path with σ_min = sigma."""

    @property
    def spec(self) -> PathSpec:
        return PathSpec("conical", sigma_min=float(self.matcher.sigma))

    def sample_xt(self, x0, x1, t):
        return self.matcher.sample_xt(torch.zeros_like(x1), x1, t, x0)  # x0 is torchcfm's epsilon

    def target_field(self, x, x1, t):
        return self.matcher.compute_conditional_flow(torch.zeros_like(x1), x1, t, x)

    def velocity(self, x0, x1, t):
        return self.target_field(self.sample_xt(x0, x1, t), x1, t)

    def cfm_loss(self, model, x0, x1, t):
        return self._loss(model, torch.zeros_like(x1), x1, t, x0)


def wrap(matcher: Any):
    """The adapter for a torchcfm matcher (I-CFM or Target CFM)."""
    from torchcfm.conditional_flow_matching import (
        ConditionalFlowMatcher,
        TargetConditionalFlowMatcher,
        VariancePreservingConditionalFlowMatcher,
    )

    if isinstance(matcher, TargetConditionalFlowMatcher):
        return TorchCFMTarget(matcher)
    if isinstance(matcher, VariancePreservingConditionalFlowMatcher):
        raise TypeError("VariancePreservingConditionalFlowMatcher is a trigonometric interpolant, "
                        "not a path dgmcheck has an oracle for")
    if isinstance(matcher, ConditionalFlowMatcher):
        return TorchCFMLinear(matcher)
    raise TypeError(f"matcher must be a torchcfm ConditionalFlowMatcher, got {type(matcher).__name__}")


def verify_matcher(matcher: Any, **kw: Any):
    """``dgmcheck.checks.flow_matching.verify`` on the wrapped matcher."""
    from dgmcheck.checks.flow_matching import verify

    return verify(wrap(matcher), **kw)
