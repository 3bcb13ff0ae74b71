"""SDE classes in the pattern of the public score-SDE code, verified as written
(dgmcheck.adapters.score_sde); planted bugs caught by their theorems; the VE origin convention."""

from __future__ import annotations

import pytest
import torch

from dgmcheck.adapters.score_sde import ScoreSDEView, verify_score_sde
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from tests import _score_sde_models as M

EXAMPLES = scaled(4)
ALL = ["moment_odes", "discretize", "reverse_sde", "probability_flow", "prior_sampling"]


@pytest.mark.theorem("sde.vp_marginal", "sde.moment_odes", "sde.vp", "sde.reverse_sde", "sde.probability_flow_ode")
def test_vpsde_passes_as_written(dtype):
    report = verify_score_sde(M.VPSDE(0.1, 20.0, N=1000), dtype=dtype, max_examples=EXAMPLES)
    assert set(report.passed) == {*ALL, "vp_marginal"}
    assert set(report.not_applicable) == {"ve_marginal", "subvp_marginal"}


@pytest.mark.theorem("sde.moment_odes", "sde.euler_maruyama", "sde.reverse_sde", "sde.probability_flow_ode")
def test_subvpsde_passes_as_written(dtype):
    report = verify_score_sde(M.subVPSDE(0.1, 20.0, N=50), dtype=dtype, max_examples=EXAMPLES)
    assert set(report.passed) == {*ALL, "subvp_marginal"}
    assert report.results["discretize"].theorem == "sde.euler_maruyama"


@pytest.mark.theorem("sde.ve_marginal", "sde.moment_odes", "sde.ve", "sde.reverse_sde", "sde.probability_flow_ode")
def test_vesde_passes_with_its_declared_origin(dtype):
    report = verify_score_sde(M.VESDE(0.01, 50.0, N=1000), conventions="ve_origin=sigma_min", dtype=dtype,
                              max_examples=EXAMPLES)
    assert set(report.passed) == {*ALL, "ve_marginal"}
    assert report.to_dict()["conventions"]["ve_origin"] == "sigma_min"


@pytest.mark.theorem("sde.ve_marginal", "sde.ve")
def test_vesde_without_the_declaration_fails_with_a_hint():
    """The two origins differ by σ_min²/(2 s²) relative in s(t): above the float32 bound of the tables the
    view declares only for t < 0.59 (σ_max/σ_min = 5000). With t = T half the time and otherwise spread
    over [0.05, 1] (uniform: 0.43 of it past 0.59), an example draws no such t with probability about
    0.72, and 64 examples miss with probability about 5e-10 (dev seed 2020 drew 4 examples with none)."""
    report = verify_score_sde(M.VESDE(0.01, 50.0, N=50), properties=["ve_marginal", "discretize"],
                              max_examples=scaled(64), shrink=False, raise_on_failure=False)
    assert report.failed == ["ve_marginal", "discretize"]
    for name in report.failed:
        assert "ve_origin='sigma_min'" in report.results[name].hint


# ------------------------------------------------------------------------------------- planted bugs
def _caught(obj, prop, theorem, **kw):
    with pytest.raises(TheoremViolation) as info:
        verify_score_sde(obj, properties=[prop], max_examples=EXAMPLES, shrink=False, **kw)
    assert info.value.theorem == theorem, str(info.value)
    return info.value.report.results[prop]


@pytest.mark.planted_bug("sde.vp_marginal", "sde.moment_odes")
@pytest.mark.parametrize("prop,theorem", [("vp_marginal", "sde.vp_marginal"), ("moment_odes", "sde.moment_odes")])
def test_drift_without_half_is_caught(prop, theorem):
    _caught(M.VPDriftMissingHalf(N=50), prop, theorem)


@pytest.mark.planted_bug("sde.ve_marginal", "sde.moment_odes")
@pytest.mark.parametrize("prop,theorem", [("ve_marginal", "sde.ve_marginal"), ("moment_odes", "sde.moment_odes")])
def test_ve_diffusion_without_log_factor_is_caught_without_a_hint(prop, theorem):
    assert not _caught(M.VEDiffusionMissingLog(N=50), prop, theorem, conventions="ve_origin=sigma_min").hint
    assert not _caught(M.VEDiffusionMissingLog(N=50), prop, theorem).hint


@pytest.mark.planted_bug("sde.ve_marginal")
def test_ve_std_squared_is_caught_without_a_hint():
    for conv in ("ve_origin=sigma_min", None):
        assert not _caught(M.VEStdSquared(N=50), "ve_marginal", "sde.ve_marginal", conventions=conv).hint


@pytest.mark.planted_bug("sde.reverse_sde")
def test_reverse_drift_with_plus_is_caught():
    _caught(M.VPReversePlus(N=50), "reverse_sde", "sde.reverse_sde")


@pytest.mark.planted_bug("sde.probability_flow_ode")
def test_probability_flow_without_half_is_caught():
    _caught(M.VPFlowWithoutHalf(N=50), "probability_flow", "sde.probability_flow_ode")


@pytest.mark.planted_bug("sde.vp")
def test_discretize_without_over_n_is_caught():
    _caught(M.VPDiscretizeWithoutN(N=50), "discretize", "sde.vp")


# ------------------------------------------------------------------------------------------ the view
def test_missing_methods_are_not_applicable_and_bad_input_is_named():
    class NoReverse(M.VPSDE):
        reverse = None
        discretize = None

    report = verify_score_sde(NoReverse(N=50), properties=None, max_examples=scaled(2), raise_on_failure=False)
    for name in ("reverse_sde", "probability_flow", "discretize"):
        assert report.results[name].status == "not_applicable"
        assert "NoReverse has no" in report.results[name].reason
    with pytest.raises(TypeError, match="must have T"):
        verify_score_sde(object())

    class Unknown(M.SDE):
        def sde(self, x, t):
            return -x, torch.ones_like(t)

    with pytest.raises(TypeError, match="sigma_min/sigma_max"):
        verify_score_sde(Unknown(50))
    with pytest.raises(ValueError, match="event_dims"):
        ScoreSDEView(M.VPSDE(N=50), event_dims=0)
    with pytest.raises(ValueError, match="time_direction"):
        verify_score_sde(M.VPSDE(N=50), conventions="time_direction=noise_to_data")
    view = ScoreSDEView(M.subVPSDE(N=50))
    assert (view.kind, view.beta_min, view.beta_max) == ("subvp", 0.1, 20.0)
    assert ScoreSDEView(M.VESDE(N=50)).table_dtype == torch.float32
