"""A GaussianDiffusion-style class (guided-diffusion's shape: numpy tables, 0-based ``t``, float32
``_extract_into_tensor``, ``mean_flat`` losses, ``clip_denoised=True`` by default, noise drawn inside)
verified as written by ``verify_gaussian_diffusion``: the correct class passes with one line of glue
and no patching, and every planted bug is caught naming its theorem, in float32 and float64."""

from __future__ import annotations

import pytest
import torch

from dgmcheck.adapters.gaussian_diffusion import verify_gaussian_diffusion
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.theory.schedules import cosine_betas, linear_betas
from tests import _gaussian_diffusion_models as gm

T = 50
PASSING = ["ddpm.forward_marginal", "ddpm.posterior", "ddpm.eps_mean", "ddpm.simple_loss", "ddpm.ancestral_step",
           "ddpm.sampler_law", "ddpm.q_mean_variance", "ddim.step", "ddim.marginals", "ddim.eta_one_is_ddpm",
           "ddim.eta_zero_is_pf_ode_euler", "parametrization.affine", "parametrization.loss_identity"]


@pytest.mark.theorem("ddpm.forward_marginal", "ddpm.posterior", "ddpm.eps_mean", "ddpm.simple_loss",
                     "ddpm.ancestral_sampling", "ddim.step", "ddim.marginals", "ddim.eta_one_is_ddpm",
                     "ddim.eta_zero_is_pf_ode_euler", "parametrization.affine", "parametrization.loss_weights")
def test_guided_diffusion_style_class_passes_as_written(dtype):
    """The float32 tables are read off ``_extract_into_tensor``'s ``.float()``: a float64 run declares
    ``table_dtype="float32"`` to the DDPM checks and runs ``ddpm.sampler_law``, the DDIM and the
    parametrization checks in float32 already, so the float32 run repeats only the DDPM step checks."""
    obj = gm.GaussianDiffusion(betas=linear_betas(T))
    if dtype == torch.float32:
        ddpm_steps = [p for p in PASSING if p.startswith("ddpm.") and p != "ddpm.sampler_law"]
        report = verify_gaussian_diffusion(obj, dtype=dtype, max_examples=scaled(2), properties=ddpm_steps)
        assert sorted(report.passed) == sorted(ddpm_steps), report.summary()
        return
    report = verify_gaussian_diffusion(obj, dtype=dtype, max_examples=scaled(2))
    assert sorted(report.passed) == sorted(PASSING), report.summary()
    assert report.conventions.steps == "zero_based" and report.conventions.reduction == "mean"
    assert report.conventions.table_dtype == "float32"
    assert report.reports["ddim"].results["step"].status == "passed" and "float32" in report.notes[0]
    na = report.results["ddpm.stationary"]
    assert na.status == "not_applicable" and "q_step" in na.reason and "GaussianDiffusion" in na.reason


@pytest.mark.theorem("ddpm.eps_mean", "ddpm.simple_loss", "ddpm.ancestral_sampling", "ddim.step")
def test_x0_prediction_is_read_from_model_mean_type():
    """START_X: the adapter declares prediction='x0' (the ε of the check reaches the object as x̂₀).
    In float32: an x₀-target loss carries the float32 rounding of the object's own x_t amplified by
    1/√(1-ᾱ_t), a term ``check_simple_loss``'s float64 bound does not have yet."""
    obj = gm.GaussianDiffusion(betas=cosine_betas(T), model_mean_type=gm.ModelMeanType.START_X)
    report = verify_gaussian_diffusion(obj, dtype=torch.float32, max_examples=scaled(3), properties=[
        "eps_mean", "simple_loss", "ancestral_step", "ddim.step"])
    assert report.conventions.prediction == "x0"
    assert report.failed == [] and len(report.passed) == 4, report.summary()


@pytest.mark.theorem("ddpm.posterior")
def test_fixed_large_has_no_beta_tilde_sampler_and_the_reason_says_so():
    obj = gm.GaussianDiffusion(betas=linear_betas(T), model_var_type=gm.ModelVarType.FIXED_LARGE)
    report = verify_gaussian_diffusion(obj, max_examples=scaled(2), properties=["posterior", "ancestral_step",
                                       "sampler_law"])
    assert report.passed == ["ddpm.posterior"], report.summary()
    assert "FIXED_LARGE" in report.results["ddpm.ancestral_step"].reason


# --------------------------------------------------------------------------- planted bugs
BUGS = [
    (gm.QSampleAlphaBar, "ddpm.forward_marginal", "ddpm.forward_marginal"),
    (gm.PosteriorVarianceBeta, "ddpm.posterior", "ddpm.posterior"),
    (gm.XstartFromEpsPrevAlphaBar, "parametrization.affine", "parametrization.affine"),
    (gm.NoiseAtLastStep, "ddpm.ancestral_step", "ddpm.ancestral_sampling"),
    (gm.DDIMSigmaSquared, "ddim.step", "ddim.step"),
    (gm.LossAtXstart, "ddpm.simple_loss", "ddpm.simple_loss"),
]


@pytest.mark.planted_bug("ddpm.forward_marginal", "ddpm.posterior", "parametrization.affine",
                         "ddpm.ancestral_sampling", "ddim.step", "ddpm.simple_loss")
@pytest.mark.parametrize(("bug", "prop", "theorem"), BUGS, ids=[f"{b.__name__}-{p}" for b, p, _ in BUGS])
def test_planted_bug_is_caught(bug, prop, theorem, dtype):
    with pytest.raises(TheoremViolation) as info:
        verify_gaussian_diffusion(bug(betas=linear_betas(T)), dtype=dtype, properties=[prop], max_examples=scaled(10),
                                  shrink=False)
    assert info.value.theorem == theorem
    assert info.value.report.failed == [prop]


def test_selection_and_refusals():
    obj = gm.GaussianDiffusion(betas=linear_betas(T))
    with pytest.raises(ValueError, match="unknown"):
        verify_gaussian_diffusion(obj, properties=["ddim.posterior"])
    with pytest.raises(TypeError, match="string"):
        verify_gaussian_diffusion(obj, properties="posterior")
    with pytest.raises(TypeError, match="betas"):
        verify_gaussian_diffusion(object())


@pytest.mark.planted_bug("ddpm.posterior")
def test_a_failure_replays_from_its_blob():
    bug = gm.PosteriorVarianceBeta(betas=linear_betas(T))
    report = verify_gaussian_diffusion(bug, properties=["ddpm.posterior"], max_examples=scaled(10), shrink=False,
                                       raise_on_failure=False)
    blob = report.results["ddpm.posterior"].reproduce
    assert blob is not None and "replay: verify(..., properties=['ddpm.posterior']" in report.summary()
    with pytest.raises(TheoremViolation, match="posterior variance"):
        verify_gaussian_diffusion(bug, properties=["ddpm.posterior"], reproduce=blob)
    with pytest.raises(ValueError, match="one property"):
        verify_gaussian_diffusion(bug, reproduce=blob)
