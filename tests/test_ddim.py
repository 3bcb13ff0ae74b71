"""The DDIM checks on the reference implementation, and each check catching a planted bug."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dgmcheck.checks import ddim as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl.ddim import DDIM
from dgmcheck.theory.schedules import cosine_betas, linear_betas
from tests import _ddim_bugs as bugs

SCHEDULES = {"linear": linear_betas(60), "cosine": cosine_betas(40)}


def reference(schedule: str = "linear", cls: type = DDIM, **kw) -> DDIM:
    return cls.from_betas(SCHEDULES[schedule], **kw)


def _verify(candidate, name, device, dtype, **kw):
    return checks.verify(candidate, dtype=dtype, device=device, properties=[name], **kw)


@pytest.mark.theorem("ddim.step")
@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_step(device, dtype, schedule):
    assert _verify(reference(schedule), "step", device, dtype).passed == ["step"]


@pytest.mark.theorem("ddim.step")
def test_step_with_a_declared_final_alpha_bar(device, dtype):
    """diffusers' set_alpha_to_one=False: the step to s = 0 uses ᾱ_0 = ᾱ_1."""
    d = reference()
    d = DDIM(d.alphas_cumprod, final_alpha_cumprod=float(d.alphas_cumprod[0]))
    assert _verify(d, "step", device, dtype).passed == ["step"]


@pytest.mark.theorem("ddim.marginals")
@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_marginals(device, dtype, schedule):
    assert _verify(reference(schedule), "marginals", device, dtype).passed == ["marginals"]


@pytest.mark.theorem("ddim.marginals")
def test_marginals_on_a_fixed_grid_at_fixed_eta(device, dtype):
    d = reference()
    d.grid = torch.as_tensor(d.timesteps(7, "trailing"))
    for eta in (0.0, 0.5, 1.0):
        assert _verify(d, "marginals", device, dtype, eta=eta).passed == ["marginals"]


@pytest.mark.theorem("ddim.eta_one_is_ddpm")
def test_eta_one_is_ddpm(device, dtype):
    assert _verify(reference("cosine"), "eta_one_is_ddpm", device, dtype).passed == [
        "eta_one_is_ddpm"]


@pytest.mark.theorem("ddim.eta_zero_is_pf_ode_euler")
def test_eta_zero_is_pf_ode_euler(device, dtype):
    assert _verify(reference(), "eta_zero_is_pf_ode_euler", device, dtype).passed == [
        "eta_zero_is_pf_ode_euler"]


@pytest.mark.theorem("ddim.respacing")
@pytest.mark.parametrize("name", ["respaced_betas", "respaced_step"])
def test_respacing(device, dtype, name):
    assert _verify(reference("cosine"), name, device, dtype).passed == [name]


@pytest.mark.theorem("ddim.grids")
def test_grids(device, dtype):
    assert _verify(reference(), "grids", device, dtype).passed == ["grids"]


@pytest.mark.theorem("ddim.step", "ddim.marginals", "ddim.respacing", "ddim.grids")
def test_verify_reports_eta_properties_not_applicable_at_a_fixed_eta():
    report = checks.verify(reference(), eta=0.3, max_examples=scaled(5))
    assert {"step", "marginals", "respaced_betas", "respaced_step", "grids"} == set(report.passed)


def test_verify_refusals():
    with pytest.raises(ValueError, match="eta must lie in"):
        checks.verify(reference(), eta=1.5)
    with pytest.raises(TypeError, match="alphas_cumprod"):
        checks.verify(object())
    with pytest.raises(ValueError, match="strictly decreasing"):
        DDIM(torch.tensor([0.5, 0.6]))
    with pytest.raises(ValueError, match="0 <= s < t"):
        reference().ddim_step(torch.zeros(1, 1), 3, 3, torch.zeros(1, 1), 0.0, torch.zeros(1, 1))


def test_sample_runs_the_grid_and_is_deterministic_at_eta_zero():
    d = reference()
    g = d.timesteps(10, "trailing")
    x = torch.randn(4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    zero = torch.zeros(len(g), 4, 2, dtype=torch.float64)
    a = d.sample(lambda x, t: 0.1 * x, x, zero, g, 0.0)
    b = d.sample(lambda x, t: 0.1 * x, x, zero + 1, g, 0.0)
    assert torch.equal(a, b)


# --------------------------------------------------------------------------- planted bugs
def _caught(candidate, name, theorem, device, dtype, **kw) -> None:
    with pytest.raises(TheoremViolation) as info:
        checks.verify(candidate, dtype=dtype, device=device, properties=[name], shrink=False, **kw)
    assert info.value.theorem == theorem


@pytest.mark.planted_bug("ddim.step")
def test_planted_sigma_with_eta_for_eta_squared(device, dtype):
    _caught(reference(cls=bugs.SigmaWithEta), "step", "ddim.step", device, dtype)


@pytest.mark.planted_bug("ddim.step", "ddim.eta_zero_is_pf_ode_euler")
@pytest.mark.parametrize(("name", "theorem"), [("step", "ddim.step"),
                                               ("eta_zero_is_pf_ode_euler",
                                                "ddim.eta_zero_is_pf_ode_euler")])
def test_planted_x0_with_previous_alpha_bar(device, dtype, name, theorem):
    _caught(reference(cls=bugs.X0WithPrevAlphaBar), name, theorem, device, dtype)


@pytest.mark.planted_bug("ddim.marginals", "ddim.step")
@pytest.mark.parametrize(("name", "theorem"), [("marginals", "ddim.marginals"),
                                               ("step", "ddim.step")])
def test_planted_direction_without_sigma(device, dtype, name, theorem):
    _caught(reference(cls=bugs.DirectionWithoutSigma), name, theorem, device, dtype)


@pytest.mark.planted_bug("ddim.eta_one_is_ddpm")
def test_planted_sigma_without_beta_tilde_factor(device, dtype):
    _caught(reference(cls=bugs.SigmaBetaAtEtaOne), "eta_one_is_ddpm", "ddim.eta_one_is_ddpm",
            device, dtype)


@pytest.mark.planted_bug("ddim.eta_zero_is_pf_ode_euler")
def test_planted_noise_at_eta_zero(device, dtype):
    _caught(reference(cls=bugs.NoiseAtEtaZero), "eta_zero_is_pf_ode_euler",
            "ddim.eta_zero_is_pf_ode_euler", device, dtype)


@pytest.mark.planted_bug("ddim.respacing")
def test_planted_respaced_betas_from_alpha_ratios(device, dtype):
    _caught(reference(cls=bugs.RespacedFromAlphaRatios), "respaced_betas", "ddim.respacing",
            device, dtype)


@pytest.mark.planted_bug("ddim.grids")
def test_planted_trailing_grid_off_by_one(device, dtype):
    _caught(reference(cls=bugs.TrailingOffByOne), "grids", "ddim.grids", device, dtype)


@pytest.mark.planted_bug("ddim.marginals")
def test_marginals_check_catches_a_replayable_case():
    """The failing case replays without Hypothesis (check_marginals takes a concrete case)."""
    d = reference(cls=bugs.DirectionWithoutSigma)
    g = np.array([60, 30, 10])
    case = checks.DDIMCase(np.array([60]), np.array([30]), np.zeros((1, 1)), np.zeros((1, 1)),
                           np.zeros((1, 1)), np.zeros((1, 1)), 1.0, g, dtype=torch.float64, device="cpu")
    with pytest.raises(TheoremViolation, match="variance"):
        checks.check_marginals(d, case)


# --------------------------------------------------------------------------- x̂₀ clamping (clip_x0)
CLIP = {"clip_x0": (-1.0, 1.0)}


def clamping(cls: type = bugs.ClampsX0) -> DDIM:
    return cls.from_betas(linear_betas(50))


@pytest.mark.theorem("ddim.step")
def test_clamping_step_passes_under_clip_x0_and_identities_are_not_applicable(device, dtype):
    """The step is held to the clamped one; grids and respaced β do not concern clamping and run."""
    report = checks.verify(clamping(), dtype=dtype, device=device, conventions=CLIP, max_examples=scaled(8))
    assert report.passed == ["step", "respaced_betas", "grids"], report.summary()
    assert sorted(report.not_applicable) == sorted(checks.CLIP_NOT_APPLICABLE)
    assert "clip_x0" in report.results["marginals"].reason


@pytest.mark.planted_bug("ddim.step")
def test_clamping_step_undeclared_fails(device, dtype):
    with pytest.raises(TheoremViolation) as info:
        _verify(clamping(), "step", device, dtype, max_examples=scaled(10), shrink=False)
    assert info.value.theorem == "ddim.step"


@pytest.mark.planted_bug("ddim.step")
def test_planted_clamp_without_rederived_eps(device, dtype):
    with pytest.raises(TheoremViolation) as info:
        _verify(clamping(bugs.ClampsX0KeepsEps), "step", device, dtype, conventions=CLIP, max_examples=scaled(10),
                shrink=False)
    assert info.value.theorem == "ddim.step"
