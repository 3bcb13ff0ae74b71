"""Realistic bugs planted into the reference DDIM, respacing, grids and parametrizations."""

from __future__ import annotations

import torch

from dgmcheck.impl.ddim import DDIM
from dgmcheck.impl.parametrization import Parametrization


class SigmaWithEta(DDIM):
    """σ² = η (1-ᾱ_s)/(1-ᾱ_t)(1-ᾱ_t/ᾱ_s): η where η² belongs (the direction term uses it too)."""

    def sigma2(self, t, s, eta, like):
        return super().sigma2(t, s, float(eta) ** 0.5, like)


class X0WithPrevAlphaBar(DDIM):
    """x̂_0 = (x_t - √(1-ᾱ_t) ε̂)/√ᾱ_{t-1}: the ᾱ of the step below t."""

    def ddim_step(self, x_t, t, s, eps, eta, noise):
        t_, s_ = self._pair(t, s, x_t)
        at, as_, ap = (self._at(self._ext, i, x_t) for i in (t_, s_, t_ - 1))
        var = self.sigma2(t_, s_, float(eta), x_t)
        x0 = (x_t - (1 - at).sqrt() * eps) / ap.sqrt()
        return as_.sqrt() * x0 + (1 - as_ - var).clamp(min=0).sqrt() * eps + var.sqrt() * noise


class DirectionWithoutSigma(DDIM):
    """Direction term √(1-ᾱ_s) ε̂: σ² missing under the root (the law of x_s gains σ²)."""

    def ddim_step(self, x_t, t, s, eps, eta, noise):
        t_, s_ = self._pair(t, s, x_t)
        at, as_ = self._at(self._ext, t_, x_t), self._at(self._ext, s_, x_t)
        var = self.sigma2(t_, s_, float(eta), x_t)
        x0 = (x_t - (1 - at).sqrt() * eps) / at.sqrt()
        return as_.sqrt() * x0 + (1 - as_).sqrt() * eps + var.sqrt() * noise


class SigmaBetaAtEtaOne(DDIM):
    """σ² = η² (1-ᾱ_t/ᾱ_s): the factor (1-ᾱ_s)/(1-ᾱ_t) dropped (β'_t for β̃'_t at η = 1)."""

    def sigma2(self, t, s, eta, like):
        at, as_ = self._at(self._ext, t, like), self._at(self._ext, s, like)
        return eta**2 * (1 - at / as_)


class NoiseAtEtaZero(DDIM):
    """The noise added with the η = 1 standard deviation whatever η (η = 0 is not deterministic)."""

    def ddim_step(self, x_t, t, s, eps, eta, noise):
        t_, s_ = self._pair(t, s, x_t)
        mean = super().ddim_step(x_t, t_, s_, eps, eta, torch.zeros_like(noise))
        return mean + self.sigma2(t_, s_, 1.0, x_t).sqrt() * noise


class RespacedFromAlphaRatios(DDIM):
    """β'_k = 1 - α_{τ_k}/α_{τ_{k-1}}: ratios of the per-step α where ᾱ belongs."""

    def respaced_betas(self, steps):
        tau = torch.as_tensor(steps, dtype=torch.long)
        alphas = self._ext[1:] / self._ext[:-1]  # α_t = ᾱ_t/ᾱ_{t-1}
        alphas = torch.cat([torch.ones(1, dtype=alphas.dtype), alphas])
        prev = torch.cat([torch.zeros(1, dtype=torch.long), tau[:-1]])
        return 1 - alphas[tau] / alphas[prev]


class TrailingOffByOne(DDIM):
    """The trailing grid without diffusers' ``- 1``: 0-based timesteps read as lecture steps shifted."""

    def timesteps(self, n, spacing="leading", steps_offset=0):
        out = super().timesteps(n, spacing, steps_offset)
        return out - 1 if spacing == "trailing" else out


class SwappedV(Parametrization):
    """v = √(1-ᾱ) x_0 - √ᾱ ε: the signs swapped (in the definition and in every conversion)."""

    def velocity(self, x0, eps, t):
        return -super().velocity(x0, eps, t)

    def convert(self, pred, x_t, t, src, dst):
        if src == "v":
            pred = -pred
        out = super().convert(pred, x_t, t, src, dst)
        return -out if dst == "v" else out


class X0WeightIsSNR(Parametrization):
    """The x₀-loss weight ᾱ/(1-ᾱ) (SNR) where 1/SNR belongs."""

    def loss_weight(self, t, kind, like):
        w = super().loss_weight(t, kind, like)
        return 1 / w if kind == "x0" else w


class ClampsX0(DDIM):
    """Not a bug under ``clip_x0=(-1, 1)``: x̂_0 clamped to [-1, 1] and ε rederived from it (as
    denoising-diffusion-pytorch's ``ddim_sample``)."""

    rederive = True

    def ddim_step(self, x_t, t, s, eps, eta, noise):
        t_, s_ = self._pair(t, s, x_t)
        at, as_ = self._at(self._ext, t_, x_t), self._at(self._ext, s_, x_t)
        var = self.sigma2(t_, s_, float(eta), x_t)
        x0 = ((x_t - (1 - at).sqrt() * eps) / at.sqrt()).clamp(-1.0, 1.0)
        if self.rederive:
            eps = (x_t - at.sqrt() * x0) / (1 - at).sqrt()
        return as_.sqrt() * x0 + (1 - as_ - var).clamp(min=0).sqrt() * eps + var.sqrt() * noise


class ClampsX0KeepsEps(ClampsX0):
    """x̂_0 clamped but the unclamped ε̂ kept in the direction term (x_s no longer consistent)."""

    rederive = False
