"""denoising-diffusion-pytorch's ``GaussianDiffusion`` verified as written by ``verify_ddpm_pytorch``.

Importing it here. ``pip install --no-deps denoising-diffusion-pytorch`` plus its light requirements
``pip install einops ema-pytorch accelerate`` (none of them touches torch). The package's
``denoising_diffusion_pytorch.py`` also runs ``from torchvision import transforms as T, utils`` at top
level, for its ``Dataset`` and ``Trainer``; ``GaussianDiffusion`` never uses either name. torchvision
must not be installed beside this project's torch (it breaks diffusers' imports), so while the
package is imported, and only then, ``sys.modules["torchvision"]`` is a stand-in module holding those
two names as empty modules; it is removed right after, so nothing else in the session sees it.

Findings pinned here (denoising-diffusion-pytorch 2.3.4): every objective (pred_noise, pred_x0,
pred_v) and every schedule passes at float32 and float64 with float32 buffers; its loss weights make
``p_losses`` exactly the ε-loss for every objective; its sigmoid schedule evaluates the normalizing
sigmoids in float32, ~1e-5 relative off the closed form near t = T at T = 1000 (within float32's
tolerance for that ill-conditioned difference).
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import sys
import types

import pytest
import torch

_INSTALL = "pip install einops ema-pytorch accelerate && pip install --no-deps denoising-diffusion-pytorch"
for _name in ("einops", "ema_pytorch", "accelerate"):
    pytest.importorskip(_name, reason=_INSTALL)
if importlib.util.find_spec("denoising_diffusion_pytorch") is None:  # its import needs the stand-in
    pytest.skip(_INSTALL, allow_module_level=True)

from dgmcheck.adapters.denoising_diffusion_pytorch import verify_ddpm_pytorch  # noqa: E402
from dgmcheck.checks.errors import TheoremViolation  # noqa: E402
from dgmcheck.checks.profiles import scaled  # noqa: E402


def _load() -> types.ModuleType:
    """``denoising_diffusion_pytorch.denoising_diffusion_pytorch`` imported with a torchvision stand-in
    that exists only during the import (module docstring)."""
    saved = sys.modules.get("torchvision")
    if saved is None:
        stand_in = types.ModuleType("torchvision")
        stand_in.transforms = types.ModuleType("torchvision.transforms")
        stand_in.utils = types.ModuleType("torchvision.utils")
        sys.modules["torchvision"] = stand_in
    try:
        return importlib.import_module("denoising_diffusion_pytorch.denoising_diffusion_pytorch")
    finally:
        if saved is None:
            sys.modules.pop("torchvision", None)


ddp = _load()
T = 50
PASSING = ["ddpm.forward_marginal", "ddpm.posterior", "ddpm.eps_mean", "ddpm.simple_loss", "ddpm.ancestral_step",
           "ddim.step", "parametrization.affine", "parametrization.velocity", "parametrization.loss_identity"]


def diffusion(cls: type | None = None, **kw):
    cls = cls or ddp.GaussianDiffusion
    return cls(ddp.Unet(dim=8, dim_mults=(1, 2), channels=1), image_size=8, **{"timesteps": T, **kw})


@pytest.mark.theorem("schedules.linear", "schedules.cosine", "ddpm.forward_marginal", "ddpm.posterior",
                     "ddpm.eps_mean", "ddpm.simple_loss", "ddpm.ancestral_sampling", "parametrization.affine",
                     "parametrization.loss_weights")
@pytest.mark.parametrize(("objective", "schedule"), [("pred_v", "sigmoid"), ("pred_noise", "cosine"),
                                                     ("pred_x0", "linear")])
def test_gaussian_diffusion_passes_as_written(objective, schedule, dtype):
    """The schedule and parametrization checks run at float32 (the buffers' precision) whatever the
    dtype: the float32 run repeats only the DDPM ones."""
    d = diffusion(objective=objective, beta_schedule=schedule)
    if dtype == torch.float32:
        ddpm = [p for p in PASSING if p.startswith("ddpm.")]  # ddim.step runs in float32 either way
        report = verify_ddpm_pytorch(d, dtype=dtype, max_examples=scaled(2), properties=ddpm)
        assert sorted(report.passed) == sorted(ddpm), report.summary()
        return
    report = verify_ddpm_pytorch(d, dtype=dtype, max_examples=scaled(2))
    assert sorted(report.passed) == sorted([f"schedules.{schedule}", *PASSING]), report.summary()
    assert report.conventions.steps == "zero_based" and report.conventions.reduction == "mean"
    assert report.reports["ddpm.clip_x0"].conventions.clip_x0 == (-1.0, 1.0)  # p_sample always clamps
    assert "clamps" in report.results["ddpm.sampler_law"].reason


@pytest.mark.theorem("schedules.sigmoid", "ddpm.forward_marginal", "ddpm.posterior", "parametrization.affine")
def test_library_defaults_at_T_1000():
    """The library's defaults (T = 1000, sigmoid, pred_v): its float32 sigmoid constants stay within
    the schedule's float32 tolerance; the schedule is identified without being named."""
    d = ddp.GaussianDiffusion(ddp.Unet(dim=8, dim_mults=(1, 2), channels=1), image_size=8)
    report = verify_ddpm_pytorch(d, max_examples=scaled(3), properties=[
        "schedules.sigmoid", "forward_marginal", "posterior", "parametrization.velocity"])
    assert len(report.passed) == 4, report.summary()


# --------------------------------------------------------------------------- planted bugs
class VSignsSwapped(ddp.GaussianDiffusion):
    """v = √(1-ᾱ) x₀ - √ᾱ ε: the signs of v swapped."""

    def predict_v(self, x_start, t, noise):
        return (ddp.extract(self.sqrt_one_minus_alphas_cumprod, t, x_start.shape) * x_start
                - ddp.extract(self.sqrt_alphas_cumprod, t, x_start.shape) * noise)


class X0FromEpsPrevAlphaBar(ddp.GaussianDiffusion):
    """x̂₀ = (x_t - √(1-ᾱ_{t-1}) ε)/√ᾱ_{t-1}: the previous step's ᾱ."""

    def predict_start_from_noise(self, x_t, t, noise):
        abar = ddp.extract(self.alphas_cumprod_prev, t, x_t.shape)
        return (x_t - (1 - abar).sqrt() * noise) / abar.sqrt()


class PosteriorVarianceBeta(ddp.GaussianDiffusion):
    """β_t where β̃_t belongs in the posterior variance."""

    def q_posterior(self, x_start, x_t, t):
        mean, _, log_var = super().q_posterior(x_start, x_t, t)
        return mean, ddp.extract(self.betas, t, x_t.shape), log_var


class QSampleAlphaBar(ddp.GaussianDiffusion):
    """ᾱ_t where √ᾱ_t belongs in q_sample."""

    def q_sample(self, x_start, t, noise=None):
        noise = torch.randn_like(x_start) if noise is None else noise
        return (ddp.extract(self.alphas_cumprod, t, x_start.shape) * x_start
                + ddp.extract(self.sqrt_one_minus_alphas_cumprod, t, x_start.shape) * noise)


BUGS = [
    (VSignsSwapped, "parametrization.velocity", "parametrization.affine", "pred_v"),
    (X0FromEpsPrevAlphaBar, "parametrization.affine", "parametrization.affine", "pred_noise"),
    (PosteriorVarianceBeta, "ddpm.posterior", "ddpm.posterior", "pred_v"),
    (QSampleAlphaBar, "ddpm.forward_marginal", "ddpm.forward_marginal", "pred_v"),
]


@pytest.mark.planted_bug("parametrization.affine", "ddpm.posterior", "ddpm.forward_marginal")
@pytest.mark.parametrize(("bug", "prop", "theorem", "objective"), BUGS,
                         ids=[f"{b.__name__}-{p}" for b, p, _, _ in BUGS])
def test_planted_bug_is_caught(bug, prop, theorem, objective, dtype):
    with pytest.raises(TheoremViolation) as info:
        verify_ddpm_pytorch(diffusion(bug, objective=objective), dtype=dtype, properties=[prop],
                            max_examples=scaled(10),
                            shrink=False)
    assert info.value.theorem == theorem
    assert info.value.report.failed == [prop]


@pytest.mark.planted_bug("schedules.linear")
def test_planted_linear_schedule_without_the_1000_over_T_scale_is_caught(monkeypatch):
    monkeypatch.setattr(ddp, "linear_beta_schedule", lambda T: torch.linspace(1e-4, 0.02, T, dtype=torch.float64))
    with pytest.raises(TheoremViolation) as info:
        verify_ddpm_pytorch(diffusion(beta_schedule="linear"), beta_schedule="linear", properties=["schedules.linear"])
    assert info.value.theorem == "schedules.linear"


@pytest.mark.planted_bug("schedules.sigmoid")
def test_sigmoid_schedule_with_cumulative_for_per_step_betas_is_caught(monkeypatch):
    """β_t = 1 - ᾱ_t (the cumulative product where the per-step ratio belongs)."""
    right = ddp.sigmoid_beta_schedule

    def cumulative(T, **kw):
        return torch.clip(1 - torch.cumprod(1 - right(T, **kw), 0), 0, 0.999)

    monkeypatch.setattr(ddp, "sigmoid_beta_schedule", cumulative)
    with pytest.raises(TheoremViolation) as info:
        verify_ddpm_pytorch(diffusion(), beta_schedule="sigmoid", properties=["schedules.sigmoid"])
    assert info.value.theorem == "schedules.sigmoid"


def test_unidentified_schedule_is_not_applicable_and_refusals():
    d = diffusion(beta_schedule="sigmoid", schedule_fn_kwargs={"tau": 0.5})
    report = verify_ddpm_pytorch(d, max_examples=scaled(2), properties=["schedules.sigmoid", "posterior"])
    assert report.passed == ["ddpm.posterior"] and "beta_schedule=" in report.results["schedules.sigmoid"].reason
    report = verify_ddpm_pytorch(d, beta_schedule="sigmoid", schedule_fn_kwargs={"tau": 0.5},
                                 properties=["schedules.sigmoid"])
    assert report.passed == ["schedules.sigmoid"]
    with pytest.raises(ValueError, match="beta_schedule"):
        verify_ddpm_pytorch(d, beta_schedule="quadratic")
    with pytest.raises(TypeError, match="GaussianDiffusion"):
        verify_ddpm_pytorch(object())


# --------------------------------------------------------------------------- ddim_sample
tqdm = ddp.tqdm  # the loop below iterates this module's tqdm, as the library's iterates its own


@torch.inference_mode()
def ddim_sample_sigma_with_eta(self, shape, return_all_timesteps=False):
    """The library's ``ddim_sample`` (2.3.4) with σ² ∝ η where η² belongs (σ = √η·√(...))."""
    batch, device, total_timesteps, sampling_timesteps, eta = (
        shape[0], self.device, self.num_timesteps, self.sampling_timesteps, self.ddim_sampling_eta)
    times = list(reversed(torch.linspace(-1, total_timesteps - 1, steps=sampling_timesteps + 1).int().tolist()))
    img = torch.randn(shape, device=device)
    for time, time_next in tqdm(list(itertools.pairwise(times))):
        time_cond = torch.full((batch,), time, device=device, dtype=torch.long)
        pred_noise, x_start, *_ = self.model_predictions(img, time_cond, None, clip_x_start=True,
                                                         rederive_pred_noise=True)
        if time_next < 0:
            img = x_start
            continue
        alpha, alpha_next = self.alphas_cumprod[time], self.alphas_cumprod[time_next]
        sigma = eta ** 0.5 * ((1 - alpha / alpha_next) * (1 - alpha_next) / (1 - alpha)).sqrt()
        c = (1 - alpha_next - sigma ** 2).sqrt()
        img = x_start * alpha_next.sqrt() + c * pred_noise + sigma * torch.randn_like(img)
    return self.unnormalize(img)


@pytest.mark.theorem("ddim.step")
@pytest.mark.parametrize("objective", ["pred_noise", "pred_v"])
def test_ddim_sample_step_passes_under_its_clamping(objective):
    """One step of ``ddim_sample`` at a time, on the full grid and on a 7-step one, held to the DDIM
    step with x̂₀ clamped to [-1, 1] and ε rederived (float32, the buffers' precision)."""
    for steps in (T, 7):
        d = diffusion(objective=objective, sampling_timesteps=steps)
        report = verify_ddpm_pytorch(d, properties=["ddim.step"], max_examples=scaled(4))
        assert report.passed == ["ddim.step"], report.summary()
        assert any("clip_x0=(-1, 1)" in n for n in report.notes)


@pytest.mark.planted_bug("ddim.step")
def test_planted_ddim_sample_sigma_with_eta_is_caught(monkeypatch):
    monkeypatch.setattr(ddp.GaussianDiffusion, "ddim_sample", ddim_sample_sigma_with_eta)
    with pytest.raises(TheoremViolation) as info:
        verify_ddpm_pytorch(diffusion(objective="pred_noise"), properties=["ddim.step"], max_examples=scaled(10),
                            shrink=False)
    assert info.value.theorem == "ddim.step"
    assert info.value.report.failed == ["ddim.step"]
