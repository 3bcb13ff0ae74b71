"""Realistic bugs planted into the SDE reference code (impl/sde.py), one subclass or function each, and the
sub-VP SDE (which impl/ does not ship) with its own planted bug."""

from __future__ import annotations

import torch

from dgmcheck.impl.sde import VESDE, VPSDE


class VPAlphaBarForSqrt(VPSDE):
    """VP marginal mean ᾱ(t) x_0 = e^{-B} x_0 where √ᾱ(t) = e^{-B/2} belongs."""

    def marginal(self, x, t):
        b = self.integrated_beta(x, t)
        return torch.exp(-b), (-torch.expm1(-b)).sqrt()


class VEWithoutSigmaMin(VESDE):
    """VE variance σ(t)² where σ(t)² - σ(0)² belongs."""

    def marginal(self, x, t):
        s = self.sigma(x, t)
        return torch.ones_like(s), s


class VESigmaForSigmaSquared(VESDE):
    """VE variance σ(t) - σ(0) (σ where σ² belongs)."""

    def marginal(self, x, t):
        s = self.sigma(x, t)
        return torch.ones_like(s), (s - self.sigma_min).clamp_min(0).sqrt()


class VPDiffusionBeta(VPSDE):
    """Diffusion β(t) where √β(t) belongs (the marginal left as it was)."""

    def diffusion(self, x, t):
        return self.beta(x, t)


class DDPMChainWithoutDt(VPSDE):
    """DDPM chain with β_i = β(t_i), the Δt = T/N missing (000 L11 "Diffusion SDE" sets β(t/T)/T).

    Clipped below 1 so the chain stays defined for β(t) < 1; the steps are still Δt too large."""

    def chain_step(self, x, i, noise, N):
        t = torch.tensor(i * self.T / N, dtype=x.dtype, device=x.device)
        b = (self.beta_min + (t / self.T) * (self.beta_max - self.beta_min)).clamp_max(0.999)
        return (1 - b).sqrt() * x + b.sqrt() * noise


class NCSNChainVarianceSteps(VESDE):
    """NCSN chain noise √(σ_i - σ_{i-1}): standard deviations where variances belong."""

    def chain_step(self, x, i, noise, N):
        sig = self.chain_sigmas(N, x)
        return x + (sig[i] - sig[i - 1]).sqrt() * noise


class DSMTargetOverStd(VPSDE):
    """Continuous DSM target -(x_t - a x_0)/s (000 L11 prints -(x - μ)/σ) where /s² belongs."""

    def dsm_loss(self, score_model, x0, t, noise, weight=None):
        a, s = self.marginal(x0, t)
        tt = torch.as_tensor(t, dtype=x0.dtype, device=x0.device).expand(x0.shape[0])
        x_t = a[:, None] * x0 + s[:, None] * noise
        target = -(x_t - a[:, None] * x0) / s[:, None]
        return (score_model(x_t, tt) - target).pow(2).sum(1)


class VEDSMTargetOverStd(VESDE):
    """The same /s bug in a VE loss."""

    dsm_loss = DSMTargetOverStd.dsm_loss


def em_noise_dt(drift, diffusion, x0, ts, noises, *, return_path=False):
    """Euler–Maruyama with noise g Δt z where g √Δt z belongs."""
    ts = torch.as_tensor(ts, dtype=x0.dtype, device=x0.device)
    x, path = x0, [x0]
    for k in range(len(ts) - 1):
        t = ts[k].expand(x0.shape[0])
        dt = ts[k + 1] - ts[k]
        x = x + drift(x, t) * dt + diffusion(x, t)[:, None] * dt.abs() * noises[k]
        path.append(x)
    return torch.stack(path) if return_path else x


def em_drift_next_time(drift, diffusion, x0, ts, noises, *, return_path=False):
    """Euler–Maruyama with the drift evaluated at t_{k+1} where t_k belongs."""
    ts = torch.as_tensor(ts, dtype=x0.dtype, device=x0.device)
    x, path = x0, [x0]
    for k in range(len(ts) - 1):
        t, t_next = ts[k].expand(x0.shape[0]), ts[k + 1].expand(x0.shape[0])
        dt = ts[k + 1] - ts[k]
        x = x + drift(x, t_next) * dt + diffusion(x, t)[:, None] * dt.abs().sqrt() * noises[k]
        path.append(x)
    return torch.stack(path) if return_path else x


def brownian_variance_steps(ts, noises):
    """A Wiener path with increments Δ z (variance Δ²) where √Δ z belongs."""
    ts = torch.as_tensor(ts, dtype=noises.dtype, device=noises.device)
    dt = (ts[1:] - ts[:-1]).abs().reshape(-1, *([1] * (noises.ndim - 1)))
    return torch.cat([torch.zeros_like(noises[:1]), torch.cumsum(dt * noises, dim=0)])


def brownian_from_total_time(ts, noises):
    """A 'Wiener path' w(t_k) = √(t_k - t_0) z_k: right marginals, dependent-free increments lost."""
    ts = torch.as_tensor(ts, dtype=noises.dtype, device=noises.device)
    el = (ts - ts[0]).abs().reshape(-1, *([1] * (noises.ndim - 1)))
    return torch.cat([torch.zeros_like(noises[:1]), el[1:].sqrt() * noises])


class SubVPSDE:
    """Sub-VP, written as score-SDE code writes it: ``dx = -½ β x dt + √(β (1 - e^{-2B})) dw``, marginal
    ``N(e^{-B/2} x_0, (1 - e^{-B})² I)``. ``bug=True``: e^{-B} for e^{-2B} in the diffusion's discount."""

    beta_min, beta_max, T, sde_kind = 0.1, 20.0, 1.0, "subvp"

    def __init__(self, bug: bool = False) -> None:
        self.vp, self.bug = VPSDE(0.1, 20.0), bug

    def drift(self, x, t):
        return self.vp.drift(x, t)

    def diffusion(self, x, t):
        b = self.vp.integrated_beta(x, t)
        return (self.vp.beta(x, t) * -torch.expm1(-(b if self.bug else 2 * b))).sqrt()

    def marginal(self, x, t):
        a, s = self.vp.marginal(x, t)
        return a, s**2  # std 1 - e^{-B}
