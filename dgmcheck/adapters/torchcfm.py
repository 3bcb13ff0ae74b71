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
  ``x_1 - x_0``. dgmcheck's ``linear`` path is the ε = 0 part (``sample_xt(..., epsilon=0)``); the law
  of ``x_t`` given ``(x_0, x_1)``, ``N(μ_t, σ² I)``, is checked by ``verify_pair_path`` with
  ``PairPathSpec("linear", "constant", σ)`` on drawn ε (``TorchCFMPair``).
- ``TargetConditionalFlowMatcher(sigma)`` (Lipman's FM): the conical path with ``σ_min = sigma``.
  It **ignores its ``x0`` argument**: the noise is the ``epsilon`` it draws with
  ``sample_noise_like``. The adapter hands dgmcheck's ``x_0`` to torchcfm as that ``epsilon``
  (``sample_xt(x0, x1, t, epsilon=x0)``; in ``cfm_loss`` by patching ``sample_noise_like`` on the
  instance for the call), so the conical checks exercise its noise width.
- ``SchrodingerBridgeConditionalFlowMatcher(sigma)`` (SB-CFM): the Brownian bridge
  ``x_t = t x_1 + (1-t) x_0 + σ√(t(1-t)) ε``, ``u = (1-2t)/(2t(1-t)) (x_t - μ_t) + x_1 - x_0``
  (fm.schrodinger_bridge_path; ``PairPathSpec("linear", "bridge", σ, offset=1e-8)``: torchcfm adds
  1e-8 to the field's denominator). ``sample_location_and_conditional_flow`` **re-pairs the batch**
  by an optimal-transport plan, so no loss is checked as if on the input pairs: its training sample
  is checked on the pairs it used (``training_sample`` records them). The ε = 0 part is the
  ``linear`` path. ``ExactOptimalTransportConditionalFlowMatcher`` re-pairs likewise (I-CFM's law).
- ``VariancePreservingConditionalFlowMatcher(sigma)``: the trigonometric interpolant
  ``x_t = cos(πt/2) x_0 + sin(πt/2) x_1 + σ ε``, ``u = π/2 (cos(πt/2) x_1 - sin(πt/2) x_0)``: with
  ``x_0`` the noise, the Gaussian path ``PathSpec("trig")`` (α = sin, σ_t = cos) for ε = 0, and
  ``PairPathSpec("trig", "constant", σ)`` for the law with ε. (Not the VP-SDE path of 000 L13.)

``verify_matcher`` runs both verifies where both apply and returns one report.
"""

from __future__ import annotations

from typing import Any

import torch

from dgmcheck.theory.flow_matching import PairPathSpec, PathSpec


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
        """``sample_xt(ε) - sample_xt(0)``: should be ``w_t ε`` (``w_t`` a standard deviation; the
        pair-path law property checks it, ``verify_pair_path``)."""
        return self.matcher.sample_xt(x0, x1, t, eps) - self.sample_xt(x0, x1, t)


class TorchCFMRepaired(TorchCFMLinear):
    """A matcher that re-pairs its batch (SB-CFM, OT-CFM) as the ``linear`` path at ε = 0: no
    ``cfm_loss``, since its loss is on pairs it chose, not the input pairs."""

    cfm_loss = None


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


class TorchCFMTrig(TorchCFMLinear):
    """``VariancePreservingConditionalFlowMatcher`` as dgmcheck's ``trig`` path (ε = 0; x_0 the noise)."""

    @property
    def spec(self) -> PathSpec:
        return PathSpec("trig")


#: torchcfm's SB field divides by ``2t(1-t) + 1e-8`` (finite at the ends); the spec says so.
SB_DENOMINATOR_OFFSET = 1e-8


class TorchCFMPair(_Base):
    """A torchcfm pair matcher (I-CFM, OT-CFM, SB-CFM, the trigonometric one) as a pair-path candidate
    (``dgmcheck.checks.flow_matching.PairPathCandidate``): ``x_t`` with a given ε, its field, and its
    training sample on the pairs it used."""

    @property
    def pair_spec(self) -> PairPathSpec:
        from torchcfm.conditional_flow_matching import (
            SchrodingerBridgeConditionalFlowMatcher,
            VariancePreservingConditionalFlowMatcher,
        )

        sigma = float(self.matcher.sigma)
        if isinstance(self.matcher, SchrodingerBridgeConditionalFlowMatcher):
            return PairPathSpec("linear", "bridge", sigma, offset=SB_DENOMINATOR_OFFSET)
        if isinstance(self.matcher, VariancePreservingConditionalFlowMatcher):
            return PairPathSpec("trig", "constant", sigma)
        return PairPathSpec("linear", "constant", sigma)

    def sample_xt(self, x0, x1, t, eps):
        return self.matcher.sample_xt(x0, x1, t, eps)

    def target_field(self, x, x0, x1, t):
        return self.matcher.compute_conditional_flow(x0, x1, t, x)

    def training_sample(self, x0, x1, t, eps):
        """``(x_0', x_1', x_t, u_t)``: ``sample_location_and_conditional_flow`` with ``ε`` as its noise, and
        the pairs it passed to ``compute_conditional_flow`` (re-paired by OT where the matcher does)."""
        fm = self.matcher
        seen = {}

        def flow(x0_, x1_, t_, xt_):
            seen["pairs"] = (x0_, x1_)
            return type(fm).compute_conditional_flow(fm, x0_, x1_, t_, xt_)

        fm.sample_noise_like = lambda x: eps  # the noise dgmcheck drew, for this call only
        fm.compute_conditional_flow = flow
        try:
            _, xt, ut = fm.sample_location_and_conditional_flow(x0, x1, t)
        finally:
            del fm.sample_noise_like, fm.compute_conditional_flow
        if "pairs" not in seen:
            raise TypeError(f"{type(fm).__name__}.sample_location_and_conditional_flow did not call "
                            "compute_conditional_flow: the pairs it trained on are unknown")
        return (*seen["pairs"], xt, ut)


def _classes():
    from torchcfm import conditional_flow_matching as cfm

    return cfm


def wrap(matcher: Any):
    """The adapter for a torchcfm matcher on dgmcheck's Gaussian paths (``verify``)."""
    cfm = _classes()
    if isinstance(matcher, cfm.TargetConditionalFlowMatcher):
        return TorchCFMTarget(matcher)
    if isinstance(matcher, cfm.VariancePreservingConditionalFlowMatcher):
        return TorchCFMTrig(matcher)
    if isinstance(matcher, (cfm.SchrodingerBridgeConditionalFlowMatcher,
                            cfm.ExactOptimalTransportConditionalFlowMatcher)):
        return TorchCFMRepaired(matcher)
    if isinstance(matcher, cfm.ConditionalFlowMatcher):
        return TorchCFMLinear(matcher)
    raise TypeError(f"matcher must be a torchcfm ConditionalFlowMatcher, got {type(matcher).__name__}")


def wrap_pair(matcher: Any) -> TorchCFMPair | None:
    """The pair-path adapter (``verify_pair_path``); None for the Target matcher, whose noise is its
    x_0 end (its width is checked by the conical path)."""
    cfm = _classes()
    if isinstance(matcher, cfm.TargetConditionalFlowMatcher):
        return None
    if isinstance(matcher, cfm.ConditionalFlowMatcher):
        return TorchCFMPair(matcher)
    raise TypeError(f"matcher must be a torchcfm ConditionalFlowMatcher, got {type(matcher).__name__}")


def verify_matcher(matcher: Any, *, properties: Any = None, raise_on_failure: bool = True, **kw: Any):
    """``dgmcheck.checks.flow_matching.verify`` on the wrapped matcher and, for a pair matcher,
    ``verify_pair_path`` on its pair adapter; one report (``VerifyFailed`` on a failure)."""
    from dgmcheck.checks._verify import VerifyFailed
    from dgmcheck.checks.flow_matching import PAIR_PROPERTY_NAMES, verify, verify_pair_path

    path, pair = wrap(matcher), wrap_pair(matcher)
    if isinstance(properties, str):
        raise TypeError(f"properties must be a list of property names, got the string {properties!r}")
    wanted = None if properties is None else list(properties)
    main = None if wanted is None else [p for p in wanted if p not in PAIR_PROPERTY_NAMES]
    paired = None if wanted is None else [p for p in wanted if p in PAIR_PROPERTY_NAMES]
    if paired and pair is None:
        raise TypeError(f"properties {paired} need a pair matcher; {type(matcher).__name__} is not one")
    report = None
    if main is None or main:
        report = verify(path, properties=main, raise_on_failure=False, **kw)
    if pair is not None and (paired is None or paired):
        extra = verify_pair_path(pair, properties=paired, raise_on_failure=False, **kw)
        if report is None:
            report = extra
        else:
            report.results.update(extra.results)
    if raise_on_failure and report.failed:
        raise VerifyFailed(report)
    return report
