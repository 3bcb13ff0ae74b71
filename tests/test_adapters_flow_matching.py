"""Meta's flow_matching AffineProbPath held to the flow-matching oracles (flow_matching 1.0.10).

- ``CondOTScheduler`` passes gaussian_path_field, conical_path (σ_min = 0), boundary_conditions,
  cfm_equals_fm; ``VPScheduler`` passes gaussian_path_field, vp_path, boundary_conditions,
  cfm_equals_fm — float32 and float64.
- Shape finding: ``target_to_velocity`` does not expand a ``(B,)`` t like ``sample`` does; the
  adapter reshapes it (test below pins the raw behaviour).
"""

from __future__ import annotations

import pytest

pytest.importorskip("flow_matching")

import torch
from flow_matching.path import AffineProbPath
from flow_matching.path.scheduler import CondOTScheduler, VPScheduler
from flow_matching.path.scheduler.scheduler import SchedulerOutput

from dgmcheck.adapters.flow_matching import verify_path
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled

pytestmark = [pytest.mark.adapters]


@pytest.mark.theorem("fm.gaussian_path_field", "fm.conical_path", "fm.boundary_conditions", "fm.cfm_equals_fm")
def test_condot_passes(dtype):
    report = verify_path(AffineProbPath(CondOTScheduler()), dtype=dtype, max_examples=scaled(6))
    assert set(report.passed) == {"gaussian_path_field", "conical_path", "boundary_conditions",
                                  "cfm_equals_fm"}


@pytest.mark.theorem("fm.gaussian_path_field", "fm.vp_path", "fm.boundary_conditions", "fm.cfm_equals_fm")
@pytest.mark.parametrize("betas", [(0.1, 20.0), (0.5, 5.0)])
def test_vp_passes(betas, dtype):
    report = verify_path(AffineProbPath(VPScheduler(*betas)), dtype=dtype, max_examples=scaled(6))
    assert set(report.passed) == {"gaussian_path_field", "vp_path", "boundary_conditions", "cfm_equals_fm"}


@pytest.mark.planted_bug("fm.vp_path")
def test_monkeypatched_variance_for_std_is_caught(monkeypatch):
    orig = VPScheduler.__call__

    def bad(self, t):
        out = orig(self, t)
        return SchedulerOutput(alpha_t=out.alpha_t, sigma_t=out.sigma_t**2, d_alpha_t=out.d_alpha_t,
                               d_sigma_t=2 * out.sigma_t * out.d_sigma_t)  # σ² where σ belongs

    monkeypatch.setattr(VPScheduler, "__call__", bad)
    with pytest.raises(TheoremViolation) as info:
        verify_path(AffineProbPath(VPScheduler()), properties=["vp_path"], shrink=False)
    assert info.value.theorem == "fm.vp_path"


@pytest.mark.planted_bug("fm.boundary_conditions")
def test_monkeypatched_swapped_ends_are_caught(monkeypatch):
    orig = CondOTScheduler.__call__

    def swapped(self, t):
        out = orig(self, t)
        return SchedulerOutput(alpha_t=out.sigma_t, sigma_t=out.alpha_t, d_alpha_t=out.d_sigma_t,
                               d_sigma_t=out.d_alpha_t)

    monkeypatch.setattr(CondOTScheduler, "__call__", swapped)
    with pytest.raises(TheoremViolation) as info:
        verify_path(AffineProbPath(CondOTScheduler()), properties=["boundary_conditions"], shrink=False)
    assert info.value.theorem == "fm.boundary_conditions"


def test_target_to_velocity_does_not_expand_t():
    path = AffineProbPath(CondOTScheduler())
    x, x1, t = torch.zeros(3, 1), torch.ones(3, 1), torch.full((3,), 0.5)
    assert path.sample(x_0=x, x_1=x1, t=t).x_t.shape == (3, 1)
    assert path.target_to_velocity(x_1=x1, x_t=x, t=t).shape == (3, 3)  # broadcast, not per sample
