"""DDPM implementations that follow a convention of real code on purpose (correct under it), and
bugs that no convention explains. Written the way such code is usually written: 0-based steps,
x₀ / v predictions, ``mean_flat`` losses, batch means, bits, clamped x̂₀, float32 tables."""

from __future__ import annotations

import math

import torch

from dgmcheck.impl.ddpm import GaussianDiffusion


def mean_flat(x: torch.Tensor) -> torch.Tensor:
    return x.mean(dim=tuple(range(1, x.ndim)))


class ZeroBased(GaussianDiffusion):
    """Steps numbered 0..T-1, as ``range(num_timesteps)`` gives them."""

    def q_sample(self, x0, t, noise):
        return super().q_sample(x0, t + 1, noise)

    def posterior(self, x_t, x0, t):
        return super().posterior(x_t, x0, t + 1)

    def reverse_step(self, x_t, t, eps, noise):
        return super().reverse_step(x_t, t + 1, eps, noise)


class Continuous(GaussianDiffusion):
    """Time ``t ∈ (0, 1]`` with step ``k`` at ``t = k/T``."""

    def q_sample(self, x0, t, noise):
        return super().q_sample(x0, torch.round(t * self.T).long(), noise)


class ContinuousNoiseToData(GaussianDiffusion):
    """Time ``u ∈ [0, 1)`` running from noise (``u = 0`` is step T) to data: step ``k`` at ``u = 1 - k/T``."""

    def q_sample(self, x0, t, noise):
        return super().q_sample(x0, torch.round((1 - t) * self.T).long(), noise)


class X0Prediction(GaussianDiffusion):
    """The network predicts x₀: μ = √ᾱ_{t-1}β_t/(1-ᾱ_t) x̂₀ + √α_t(1-ᾱ_{t-1})/(1-ᾱ_t) x_t."""

    def posterior_mean_from_eps(self, x_t, t, x0_pred):
        return self.posterior(x_t, x0_pred, t)[0]

    def reverse_step(self, x_t, t, x0_pred, noise):
        mean, var = self.posterior(x_t, x0_pred, t)
        last = (t == 1).reshape((-1,) + (1,) * (x_t.ndim - 1))
        return mean + torch.where(last, torch.zeros_like(var), var.sqrt()) * noise


class VPrediction(GaussianDiffusion):
    """The network predicts v = √ᾱ ε − √(1−ᾱ) x₀; x̂₀ = √ᾱ x_t − √(1−ᾱ) v."""

    def posterior_mean_from_eps(self, x_t, t, v):
        a = self._at(self.alpha_bars.sqrt(), t, x_t)
        s = self._at(self.one_minus_alpha_bars.sqrt(), t, x_t)
        return self.posterior(x_t, a * x_t - s * v, t)[0]


class MeanFlatLoss(GaussianDiffusion):
    """``mean_flat((ε − ε_θ)²)``: the mean over coordinates."""

    def simple_loss(self, eps_model, x0, t, noise):
        x_t = self.q_sample(x0, t, noise)
        return mean_flat((noise - eps_model(x_t, t)) ** 2)


class BatchMeanLoss(GaussianDiffusion):
    """The training loss: one number, the batch mean of the per-sample sums."""

    def simple_loss(self, eps_model, x0, t, noise):
        return super().simple_loss(eps_model, x0, t, noise).mean()


class Bits(GaussianDiffusion):
    """ELBO terms in bits (``/ log 2``)."""

    def posterior_kl(self, x_t, x0, t, mean, var):
        return super().posterior_kl(x_t, x0, t, mean, var) / math.log(2.0)


class ClippedX0(GaussianDiffusion):
    """The reverse step clamps x̂₀ to [-1, 1] before the posterior mean (``clip_denoised=True``)."""

    def reverse_step(self, x_t, t, eps, noise):
        x0 = self.predict_x0(x_t, t, eps).clamp(-1.0, 1.0)
        mean, var = self.posterior(x_t, x0, t)
        last = (t == 1).reshape((-1,) + (1,) * (x_t.ndim - 1))
        return mean + torch.where(last, torch.zeros_like(var), var.sqrt()) * noise


class Float32Tables:
    """Tables derived in float64 from β, then each stored in float32 (as most codebases keep
    ``register_buffer`` tables): correct code whose tables are only float32-accurate."""

    def __init__(self, betas: torch.Tensor) -> None:
        b = torch.as_tensor(betas, dtype=torch.float64)
        abar = torch.cumprod(1 - b, 0)
        abar_prev = torch.cat([torch.ones(1, dtype=torch.float64), abar[:-1]])
        f32 = torch.float32
        self.betas = b.to(f32)
        self.sqrt_abar = abar.sqrt().to(f32)
        self.sqrt_one_minus_abar = (1 - abar).sqrt().to(f32)
        self.coef_x0 = (abar_prev.sqrt() * b / (1 - abar)).to(f32)
        self.coef_xt = ((1 - b).sqrt() * (1 - abar_prev) / (1 - abar)).to(f32)
        self.post_var = ((1 - abar_prev) * b / (1 - abar)).to(f32)
        self.coef_eps = (b / ((1 - b).sqrt() * (1 - abar).sqrt())).to(f32)
        self.recip_sqrt_alpha = (1 / (1 - b).sqrt()).to(f32)

    @staticmethod
    def _at(table: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return table[t.cpu() - 1].to(device=x.device, dtype=x.dtype).reshape((-1,) + (1,) * (x.ndim - 1))

    def q_sample(self, x0, t, noise):
        return self._at(self.sqrt_abar, t, x0) * x0 + self._at(self.sqrt_one_minus_abar, t, x0) * noise

    def posterior(self, x_t, x0, t):
        mean = self._at(self.coef_x0, t, x_t) * x0 + self._at(self.coef_xt, t, x_t) * x_t
        return mean, self._at(self.post_var, t, x_t)

    def posterior_mean_from_eps(self, x_t, t, eps):
        return self._at(self.recip_sqrt_alpha, t, x_t) * x_t - self._at(self.coef_eps, t, x_t) * eps


class Float64BetasFloat32Tables(Float32Tables):
    """``betas`` kept in float64 but every derived table in float32 (as guided-diffusion's
    ``_extract_into_tensor`` hands its numpy tables out): nothing in ``betas`` says so."""

    def __init__(self, betas: torch.Tensor) -> None:
        super().__init__(betas)
        self.betas = torch.as_tensor(betas, dtype=torch.float64)


class Float32TablesVarianceOff(Float32Tables):
    """A 1e-4 relative error in the posterior variance at t = T (a bug the bound must still see)."""

    def posterior(self, x_t, x0, t):
        mean, var = super().posterior(x_t, x0, t)
        return mean, torch.where((t == len(self.betas)).reshape(var.shape), var * (1 + 1e-4), var)


class ZeroBasedWrongSqrt(ZeroBased):
    """0-based, but ᾱ without its square root in q_sample: no convention explains it."""

    def q_sample(self, x0, t, noise):
        t = t + 1
        return self._at(self.alpha_bars, t, x0) * x0 + self._at(self.one_minus_alpha_bars.sqrt(), t, x0) * noise


class DrawsItsOwnNoise:
    """A GaussianDiffusion-style class: 0-based steps, every draw made inside with ``torch.randn_like``."""

    def __init__(self, betas: torch.Tensor) -> None:
        self.ref = GaussianDiffusion(betas)
        self.betas = self.ref.betas
        self.num_timesteps = self.ref.T

    def q_sample(self, x_start, t):
        return self.ref.q_sample(x_start, t + 1, torch.randn_like(x_start))

    def reverse_step(self, x, t, eps):
        noise = torch.randn_like(x)
        return self.ref.reverse_step(x, t + 1, eps, noise)

    def sample(self, model, x):
        for i in reversed(range(self.num_timesteps)):
            t = torch.full((x.shape[0],), i, dtype=torch.long, device=x.device)
            x = self.reverse_step(x, t, model(x, t))
        return x


class DrawsUniformNoise(DrawsItsOwnNoise):
    """``torch.rand_like`` where ``torch.randn_like`` belongs."""

    def q_sample(self, x_start, t):
        return self.ref.q_sample(x_start, t + 1, torch.rand_like(x_start))


def _box_muller(like: torch.Tensor) -> torch.Tensor:
    """Standard normals from two uniforms (as some code draws them): not one draw per variate."""
    u1 = torch.rand_like(like).clamp_min(1e-12)
    u2 = torch.rand_like(like)
    return torch.sqrt(-2.0 * torch.log(u1)) * torch.cos(2.0 * math.pi * u2)


class BoxMullerNoise(DrawsItsOwnNoise):
    """Correct, but its draws cannot be matched one to one: normals made from pairs of uniforms, and
    ``q_sample`` drawing a spare normal it never uses (as a rejection step would)."""

    def q_sample(self, x_start, t):
        torch.randn_like(x_start)  # a discarded draw
        return self.ref.q_sample(x_start, t + 1, _box_muller(x_start))

    def reverse_step(self, x, t, eps):
        return self.ref.reverse_step(x, t + 1, eps, _box_muller(x))


class BoxMullerVarianceOff(BoxMullerNoise):
    """A 2 % excess in the reverse step's noise variance (√1.02 on the noise)."""

    def reverse_step(self, x, t, eps):
        return self.ref.reverse_step(x, t + 1, eps, math.sqrt(1.02) * _box_muller(x))
