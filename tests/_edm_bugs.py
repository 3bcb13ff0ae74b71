"""The σ-sampler reference as a candidate object, and realistic bugs planted into it (test_edm's planted-bug tests)."""

from __future__ import annotations

import torch

from dgmcheck.impl import edm as E
from dgmcheck.impl.mixture import GaussianMixtureModel


class Reference:
    """``dgmcheck.impl.edm`` as a candidate; the samplers loop over ``self``'s steps so a planted step bug
    reaches them. With ``data`` it also exposes the exact ``denoiser`` of that mixture."""

    def __init__(self, data: GaussianMixtureModel | None = None) -> None:
        self.data = data
        if data is not None:
            self._den = E.MixtureDenoiser(data)

    def denoiser(self, x, sigma):
        return self._den(x, sigma)

    def to_d(self, x, sigma, denoised):
        return E.to_d(x, sigma, denoised)

    def vp_input(self, x, sigma):
        return E.vp_input(x, sigma)

    def alpha_bar(self, sigma):
        return E.alpha_bar(sigma)

    def denoised_from_eps(self, x, sigma, eps):
        return E.denoised_from_eps(x, sigma, eps)

    def karras_sigmas(self, n, sigma_min, sigma_max, rho=7.0):
        return E.karras_sigmas(n, sigma_min, sigma_max, rho)

    def euler_step(self, model, x, sigma, sigma_next):
        return x + (sigma_next - sigma) * self.to_d(x, sigma, model(x, sigma.expand(x.shape[0])))

    def heun_step(self, model, x, sigma, sigma_next):
        h = sigma_next - sigma
        d = self.to_d(x, sigma, model(x, sigma.expand(x.shape[0])))
        if float(sigma_next) == 0.0:
            return x + h * d
        x_pred = x + h * d
        d2 = self.to_d(x_pred, sigma_next, model(x_pred, sigma_next.expand(x.shape[0])))
        return x + h * 0.5 * (d + d2)

    def _sample(self, step, model, x, sigmas):
        for i in range(sigmas.numel() - 1):
            x = step(model, x, sigmas[i], sigmas[i + 1])
        return x

    def sample_euler(self, model, x, sigmas):
        return self._sample(self.euler_step, model, x, sigmas)

    def sample_heun(self, model, x, sigmas):
        return self._sample(self.heun_step, model, x, sigmas)


class NoData(Reference):
    """The reference without a denoiser (no data): every property but ``denoiser``."""

    denoiser = None  # type: ignore[assignment]


class ToDSignFlip(NoData):
    """``to_d = (D - x)/σ``: the derivative's sign flipped (the sampler walks away from the data)."""

    def to_d(self, x, sigma, denoised):
        return -E.to_d(x, sigma, denoised)


class ToDSigmaSquared(NoData):
    """``to_d = (x - D)/σ²``: σ² where σ belongs (the score's ``-(x - D)/σ²`` taken for the ODE derivative)."""

    def to_d(self, x, sigma, denoised):
        s = torch.as_tensor(sigma, dtype=x.dtype, device=x.device)
        s = s.reshape(-1, *([1] * (x.ndim - 1))) if s.ndim else s
        return (x - denoised) / s**2


class DenoiserSigmaForSigma2(Reference):
    """``D = x + σ ∇log p_σ``: Tweedie's σ² written σ."""

    def denoiser(self, x, sigma):
        s = torch.as_tensor(sigma, dtype=x.dtype).expand(x.shape[0])
        return x + s[:, None] * self._den.score(x, s)


class VPInputNoSqrt(NoData):
    """``x_VP = x/(1 + σ²)``: the square root of ``1 + σ²`` forgotten (ᾱ x instead of √ᾱ x)."""

    def vp_input(self, x, sigma):
        return x / (1.0 + torch.as_tensor(sigma, dtype=x.dtype) ** 2)


class EpsWithVPCoefficient(NoData):
    """``D = x - √(1 - ᾱ) ε̂``: the VP noise coefficient used in VE coordinates (σ belongs there)."""

    def denoised_from_eps(self, x, sigma, eps):
        s = torch.as_tensor(sigma, dtype=x.dtype)
        return x - torch.sqrt(s**2 / (1 + s**2)) * eps


class KarrasRhoOnSigma(NoData):
    """``σ_i = (σ_max^ρ + i/(n-1)(σ_min^ρ - σ_max^ρ))^{1/ρ}``: ρ applied to σ instead of to σ^{1/ρ}."""

    def karras_sigmas(self, n, sigma_min, sigma_max, rho=7.0):
        ramp = torch.linspace(0, 1, n, dtype=torch.float64)
        sig = (sigma_max**rho + ramp * (sigma_min**rho - sigma_max**rho)) ** (1.0 / rho)
        return torch.cat([sig, sig.new_zeros(1)])


class EulerDerivativeAtNextSigma(NoData):
    """Euler step with ``d`` evaluated at the target level ``σ'`` instead of the current ``σ``."""

    def euler_step(self, model, x, sigma, sigma_next):
        s = torch.clamp(sigma_next, min=1e-3)  # σ' = 0 on the last step: clamped to stay finite
        return x + (sigma_next - sigma) * self.to_d(x, s, model(x, s.expand(x.shape[0])))


class HeunCorrectorOldSigma(NoData):
    """Heun's corrector evaluated at the old level: ``d(x̃, σ)`` instead of ``d(x̃, σ')``."""

    def heun_step(self, model, x, sigma, sigma_next):
        h = sigma_next - sigma
        d = self.to_d(x, sigma, model(x, sigma.expand(x.shape[0])))
        if float(sigma_next) == 0.0:
            return x + h * d
        x_pred = x + h * d
        d2 = self.to_d(x_pred, sigma, model(x_pred, sigma.expand(x.shape[0])))
        return x + h * 0.5 * (d + d2)


class HeunNoEulerFallback(NoData):
    """The last Heun step (σ' = 0) also corrects, with σ' floored at 1e-3 to avoid dividing by zero, instead
    of falling back to Euler."""

    def heun_step(self, model, x, sigma, sigma_next):
        h = sigma_next - sigma
        d = self.to_d(x, sigma, model(x, sigma.expand(x.shape[0])))
        x_pred = x + h * d
        s2 = torch.clamp(sigma_next, min=1e-3)
        d2 = self.to_d(x_pred, s2, model(x_pred, s2.expand(x.shape[0])))
        return x + h * 0.5 * (d + d2)


class EulerDeclaredSecondOrder(NoData):
    """An Euler sampler that declares ``ORDER = 2`` (labelled as Heun's order)."""

    def sample_euler(self, model, x, sigmas):
        return super().sample_euler(model, x, sigmas)

    sample_euler.ORDER = 2  # type: ignore[attr-defined]
