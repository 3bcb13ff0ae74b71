"""torchcfm's matchers held to the flow-matching oracles (torchcfm 1.0.7, measured).

- ``ConditionalFlowMatcher(σ)`` passes linear_interpolation, boundary_conditions, cfm_equals_fm and
  the pair-path law (``x_t | x_0, x_1 ~ N(μ_t, σ² I)``: σ is a standard deviation), float32 and float64.
- ``TargetConditionalFlowMatcher(σ)`` passes gaussian_path_field, conical_path (σ_min = σ),
  boundary_conditions, cfm_equals_fm. It ignores its ``x0``; the noise is its ``epsilon``.
- ``SchrodingerBridgeConditionalFlowMatcher(σ)`` passes fm.schrodinger_bridge_path (law and field,
  with its 1e-8 in the field's denominator declared) and its training sample on the OT-re-paired
  pairs it uses; cfm_equals_fm is not applied (the loss is on pairs it chose).
- ``VariancePreservingConditionalFlowMatcher(σ)`` is the trigonometric path: boundary_conditions,
  cfm_equals_fm and the pair-path law pass.
"""

from __future__ import annotations

import math

import pytest

pytest.importorskip("torchcfm")

import torch
from torchcfm import conditional_flow_matching as cfm

from dgmcheck.adapters.torchcfm import TorchCFMLinear, TorchCFMPair, verify_matcher, wrap, wrap_pair
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.flow_matching import verify_pair_path
from dgmcheck.checks.profiles import scaled
from dgmcheck.checks.tolerances import exact
from dgmcheck.theory.flow_matching import PairPathSpec, PathSpec

pytestmark = [pytest.mark.adapters]


@pytest.mark.theorem("fm.linear_interpolation", "fm.boundary_conditions", "fm.cfm_equals_fm")
@pytest.mark.parametrize("sigma", [0.0, 0.3])
def test_icfm_passes(sigma, dtype):
    report = verify_matcher(cfm.ConditionalFlowMatcher(sigma), dtype=dtype, max_examples=scaled(6))
    assert set(report.passed) == {"linear_interpolation", "boundary_conditions", "cfm_equals_fm",
                                  "schrodinger_bridge_path", "pair_training_sample"}
    assert report.results["schrodinger_bridge_path"].theorem == "fm.linear_interpolation"  # a constant width


@pytest.mark.theorem("fm.linear_interpolation")
def test_icfm_sigma_is_a_standard_deviation():
    g = torch.Generator().manual_seed(0)
    x0, x1, eps = (torch.randn(6, 3, generator=g, dtype=torch.float64) for _ in range(3))
    t = torch.rand(6, generator=g, dtype=torch.float64)
    width = TorchCFMLinear(cfm.ConditionalFlowMatcher(0.3)).noise_width(x0, x1, t, eps)
    tol = exact(torch.float64, 4.0)
    assert torch.all((width - 0.3 * eps).abs() <= tol.atol + float(tol.rtol) * (0.3 * eps).abs())


@pytest.mark.theorem("fm.gaussian_path_field", "fm.conical_path", "fm.boundary_conditions", "fm.cfm_equals_fm")
@pytest.mark.parametrize("sigma", [0.0, 0.1])
def test_target_cfm_passes(sigma, dtype):
    report = verify_matcher(cfm.TargetConditionalFlowMatcher(sigma), dtype=dtype, max_examples=scaled(6))
    assert set(report.passed) == {"gaussian_path_field", "conical_path", "boundary_conditions",
                                  "cfm_equals_fm"}


@pytest.mark.planted_bug("fm.conical_path")
def test_monkeypatched_sigma_min_dropped_is_caught(monkeypatch):
    def bad_flow(self, x0, x1, t, xt):
        t = cfm.pad_t_like_x(t, x0)
        return (x1 - xt) / (1 - (1 - self.sigma) * t)  # σ_min dropped from the numerator

    monkeypatch.setattr(cfm.TargetConditionalFlowMatcher, "compute_conditional_flow", bad_flow)
    with pytest.raises(TheoremViolation) as info:
        verify_matcher(cfm.TargetConditionalFlowMatcher(0.1), properties=["conical_path"], shrink=False)
    assert info.value.theorem == "fm.conical_path"


@pytest.mark.planted_bug("fm.linear_interpolation", "fm.boundary_conditions")
@pytest.mark.parametrize(("prop", "theorem"), [("linear_interpolation", "fm.linear_interpolation"),
                                               ("boundary_conditions", "fm.boundary_conditions")])
def test_monkeypatched_swapped_ends_are_caught(monkeypatch, prop, theorem):
    def swapped(self, x0, x1, t):
        t = cfm.pad_t_like_x(t, x0)
        return t * x0 + (1 - t) * x1

    monkeypatch.setattr(cfm.ConditionalFlowMatcher, "compute_mu_t", swapped)
    with pytest.raises(TheoremViolation) as info:
        verify_matcher(cfm.ConditionalFlowMatcher(0.0), properties=[prop], shrink=False)
    assert info.value.theorem == theorem


@pytest.mark.planted_bug("fm.cfm_equals_fm")
def test_monkeypatched_wrong_sign_target_is_caught(monkeypatch):
    monkeypatch.setattr(cfm.ConditionalFlowMatcher, "compute_conditional_flow",
                        lambda self, x0, x1, t, xt: x0 - x1)
    with pytest.raises(TheoremViolation) as info:
        verify_matcher(cfm.ConditionalFlowMatcher(0.0), properties=["cfm_equals_fm"], shrink=False)
    assert info.value.theorem == "fm.cfm_equals_fm"


# ------------------------------------------------------------------ noise widths, SB-CFM, trigonometric
SB_PASSES = {"linear_interpolation", "boundary_conditions", "schrodinger_bridge_path", "pair_training_sample"}
VP_PASSES = {"boundary_conditions", "cfm_equals_fm", "schrodinger_bridge_path", "pair_training_sample"}


@pytest.mark.theorem("fm.schrodinger_bridge_path", "fm.linear_interpolation", "fm.boundary_conditions")
@pytest.mark.parametrize("sigma", [0.5])
def test_sb_matcher_passes_on_the_pairs_it_returns(sigma, dtype):
    report = verify_matcher(cfm.SchrodingerBridgeConditionalFlowMatcher(sigma), dtype=dtype, max_examples=scaled(6))
    assert set(report.passed) == SB_PASSES
    assert report.results["cfm_equals_fm"].status == "not_applicable"  # its loss is on re-paired pairs
    assert report.results["schrodinger_bridge_path"].theorem == "fm.schrodinger_bridge_path"


@pytest.mark.theorem("fm.gaussian_path_field", "fm.boundary_conditions", "fm.cfm_equals_fm")
@pytest.mark.parametrize("sigma", [0.2])
def test_trigonometric_matcher_passes(sigma, dtype):
    report = verify_matcher(cfm.VariancePreservingConditionalFlowMatcher(sigma), dtype=dtype, max_examples=scaled(6))
    assert set(report.passed) == VP_PASSES
    assert wrap(cfm.VariancePreservingConditionalFlowMatcher(sigma)).spec == PathSpec("trig")


@pytest.mark.theorem("fm.schrodinger_bridge_path")
def test_sb_matcher_re_pairs_and_the_check_follows_its_pairs():
    """Two clusters far apart, given in crossed order: the OT plan pairs each x_0 with its near x_1,
    so the pairs the matcher trains on are not the input pairs; the training sample is theirs."""
    g = torch.Generator().manual_seed(0)
    x0 = torch.cat([torch.zeros(3, 2), torch.full((3, 2), 10.0)]).double() + 0.01 * torch.randn(6, 2, generator=g,
                                                                                                 dtype=torch.float64)
    x1 = torch.cat([x0[3:], x0[:3]]) + 0.1  # crossed: input pair i is ~14 apart, the OT pair ~0.14
    eps = torch.randn(6, 2, generator=g, dtype=torch.float64)
    t = torch.full((6,), 0.3, dtype=torch.float64)
    pair = TorchCFMPair(cfm.SchrodingerBridgeConditionalFlowMatcher(0.5))
    x0p, x1p, xt, ut = pair.training_sample(x0, x1, t, eps)
    assert float((x1p - x0p).norm(dim=1).max()) < 1.0 < float((x1 - x0).norm(dim=1).min())
    spec = pair.pair_spec
    expected = spec.sample(x0p.numpy(), x1p.numpy(), t.numpy(), eps.numpy())
    assert torch.allclose(xt, torch.from_numpy(expected), rtol=0, atol=1e-12)
    field = spec.conditional_field(expected, x0p.numpy(), x1p.numpy(), t.numpy())
    assert torch.allclose(ut, torch.from_numpy(field), rtol=0, atol=1e-12)


def test_target_matcher_has_no_pair_adapter_and_bad_input_is_refused():
    assert wrap_pair(cfm.TargetConditionalFlowMatcher(0.1)) is None
    assert TorchCFMPair(cfm.ConditionalFlowMatcher(0.3)).pair_spec == PairPathSpec("linear", "constant", 0.3)
    with pytest.raises(TypeError, match="matcher must be a torchcfm"):
        wrap(object())
    with pytest.raises(TypeError, match="need a pair matcher"):
        verify_matcher(cfm.TargetConditionalFlowMatcher(0.1), properties=["schrodinger_bridge_path"])
    with pytest.raises(TypeError, match=r"spec must be a dgmcheck\.theory\.flow_matching\.PairPathSpec"):
        verify_pair_path(TorchCFMLinear(cfm.ConditionalFlowMatcher(0.3)))


class ICFMVarianceWidth(cfm.ConditionalFlowMatcher):
    """I-CFM whose noise width is σ² (a variance) where σ belongs."""

    def compute_sigma_t(self, t):
        return self.sigma**2


class SBHalfDropped(cfm.SchrodingerBridgeConditionalFlowMatcher):
    """SB field with the ½ of w'/w = (1-2t)/(2t(1-t)) dropped."""

    def compute_conditional_flow(self, x0, x1, t, xt):
        t = cfm.pad_t_like_x(t, x0)
        return (1 - 2 * t) / (t * (1 - t) + 1e-8) * (xt - self.compute_mu_t(x0, x1, t)) + x1 - x0


class SBConstantWidth(cfm.SchrodingerBridgeConditionalFlowMatcher):
    """SB noise width σ where the bridge's σ√(t(1-t)) belongs."""

    def compute_sigma_t(self, t):
        return self.sigma * torch.ones_like(t)


class SBVarianceWidth(cfm.SchrodingerBridgeConditionalFlowMatcher):
    """SB noise width σ²√(t(1-t)): σ used as a variance."""

    def compute_sigma_t(self, t):
        return self.sigma**2 * torch.sqrt(t * (1 - t))


class SBTimeReversedField(cfm.SchrodingerBridgeConditionalFlowMatcher):
    """SB field evaluated at 1 - t (t <-> 1 - t)."""

    def compute_conditional_flow(self, x0, x1, t, xt):
        return super().compute_conditional_flow(x0, x1, 1 - t, xt)


class SBPairsMixed(cfm.SchrodingerBridgeConditionalFlowMatcher):
    """x_t drawn on the OT pairs, the target computed on the input pairs."""

    def sample_location_and_conditional_flow(self, x0, x1, t=None, return_noise=False):
        x0p, x1p = self.ot_sampler.sample_plan(x0, x1)
        xt = self.sample_xt(x0p, x1p, t, self.sample_noise_like(x0))
        return t, xt, self.compute_conditional_flow(x0, x1, t, xt)


class TrigWrongPhase(cfm.VariancePreservingConditionalFlowMatcher):
    """cos(πt) x_0 + sin(πt) x_1: the phase πt where πt/2 belongs."""

    def compute_mu_t(self, x0, x1, t):
        t = cfm.pad_t_like_x(t, x0)
        return torch.cos(math.pi * t) * x0 + torch.sin(math.pi * t) * x1


PAIR_BUGS = [
    ("icfm_variance_width", lambda: ICFMVarianceWidth(0.3), "schrodinger_bridge_path", "fm.linear_interpolation"),
    ("sb_half_dropped", lambda: SBHalfDropped(0.5), "schrodinger_bridge_path", "fm.schrodinger_bridge_path"),
    ("sb_constant_width", lambda: SBConstantWidth(0.5), "schrodinger_bridge_path", "fm.schrodinger_bridge_path"),
    ("sb_variance_width", lambda: SBVarianceWidth(0.5), "schrodinger_bridge_path", "fm.schrodinger_bridge_path"),
    ("sb_time_reversed", lambda: SBTimeReversedField(0.5), "schrodinger_bridge_path", "fm.schrodinger_bridge_path"),
    ("sb_pairs_mixed", lambda: SBPairsMixed(0.5), "pair_training_sample", "fm.schrodinger_bridge_path"),
    ("trig_wrong_phase", lambda: TrigWrongPhase(0.0), "boundary_conditions", "fm.boundary_conditions"),
    ("trig_wrong_phase", lambda: TrigWrongPhase(0.2), "schrodinger_bridge_path", "fm.gaussian_path_field"),
]


@pytest.mark.planted_bug("fm.schrodinger_bridge_path", "fm.linear_interpolation", "fm.boundary_conditions",
                         "fm.gaussian_path_field")
@pytest.mark.parametrize(("name", "make", "prop", "theorem"), PAIR_BUGS, ids=[f"{r[0]}-{r[2]}" for r in PAIR_BUGS])
def test_planted_pair_bug_is_caught(name, make, prop, theorem, dtype):
    with pytest.raises(TheoremViolation) as info:
        verify_matcher(make(), dtype=dtype, properties=[prop], shrink=False, max_examples=scaled(25))
    assert info.value.theorem == theorem
