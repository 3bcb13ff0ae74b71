"""The parametrization checks on the reference implementation, and planted bugs."""

from __future__ import annotations

import pytest
import torch

from dgmcheck.checks import parametrization as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl.parametrization import Parametrization
from dgmcheck.theory.ddim import alpha_bars_from_betas
from dgmcheck.theory.schedules import cosine_betas, linear_betas
from tests import _ddim_bugs as bugs

SCHEDULES = {"linear": linear_betas(1000), "cosine": cosine_betas(50)}


def reference(schedule: str = "linear", cls: type = Parametrization) -> Parametrization:
    return cls(torch.tensor(alpha_bars_from_betas(SCHEDULES[schedule])))


@pytest.mark.theorem("parametrization.affine")
@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_affine_all_twelve_conversions_and_v(device, dtype, schedule):
    report = checks.verify(reference(schedule), dtype=dtype, device=device,
                           properties=["affine", "velocity"])
    assert report.passed == ["affine", "velocity"]


@pytest.mark.theorem("parametrization.loss_weights")
@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_loss_weights(device, dtype, schedule):
    report = checks.verify(reference(schedule), dtype=dtype, device=device,
                           properties=["loss_identity", "loss_weight"])
    assert report.passed == ["loss_identity", "loss_weight"]


@pytest.mark.theorem("parametrization.affine")
def test_a_candidate_with_some_conversions_only():
    p = reference()
    p.conversions = [("v", "x0"), ("x0", "eps")]
    report = checks.verify(p, max_examples=scaled(5))
    assert "affine" in report.passed and "loss_identity" not in report.passed


def test_refusals():
    p = reference()
    p.conversions = [("eps", "sigma")]
    with pytest.raises(ValueError, match="conversions"):
        checks.verify(p)
    with pytest.raises(ValueError, match="src must be one of"):
        reference().convert(torch.zeros(1, 1), torch.zeros(1, 1), 1, "noise", "x0")


@pytest.mark.planted_bug("parametrization.affine")
@pytest.mark.parametrize("name", ["affine", "velocity"])
def test_planted_v_with_signs_swapped(device, dtype, name):
    with pytest.raises(TheoremViolation) as info:
        checks.verify(reference(cls=bugs.SwappedV), dtype=dtype, device=device,
                      properties=[name], shrink=False)
    assert info.value.theorem == "parametrization.affine"


@pytest.mark.planted_bug("parametrization.loss_weights")
def test_planted_x0_weight_snr_for_inverse_snr(device, dtype):
    with pytest.raises(TheoremViolation) as info:
        checks.verify(reference(cls=bugs.X0WeightIsSNR), dtype=dtype, device=device,
                      properties=["loss_weight"], shrink=False)
    assert info.value.theorem == "parametrization.loss_weights"
