"""torchcfm's matchers held to the flow-matching oracles (torchcfm 1.0.7, measured).

- ``ConditionalFlowMatcher(σ)`` passes linear_interpolation, boundary_conditions, cfm_equals_fm
  (float32 and float64), and its σ is a standard deviation (``sample_xt(ε) - sample_xt(0) = σ ε``).
- ``TargetConditionalFlowMatcher(σ)`` passes gaussian_path_field, conical_path (σ_min = σ),
  boundary_conditions, cfm_equals_fm. It ignores its ``x0``; the noise is its ``epsilon``.
"""

from __future__ import annotations

import pytest

pytest.importorskip("torchcfm")

import torch
from torchcfm import conditional_flow_matching as cfm

from dgmcheck.adapters.torchcfm import TorchCFMLinear, verify_matcher, wrap
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.tolerances import exact

pytestmark = [pytest.mark.adapters]


@pytest.mark.theorem("fm.linear_interpolation", "fm.boundary_conditions", "fm.cfm_equals_fm")
@pytest.mark.parametrize("sigma", [0.0, 0.3])
def test_icfm_passes(sigma, dtype):
    report = verify_matcher(cfm.ConditionalFlowMatcher(sigma), dtype=dtype, max_examples=6)
    assert set(report.passed) == {"linear_interpolation", "boundary_conditions", "cfm_equals_fm"}


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
    report = verify_matcher(cfm.TargetConditionalFlowMatcher(sigma), dtype=dtype, max_examples=6)
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


def test_vp_matcher_has_no_spec():
    with pytest.raises(TypeError, match="trigonometric"):
        wrap(cfm.VariancePreservingConditionalFlowMatcher(0.0))
