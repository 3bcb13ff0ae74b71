"""Small SDE classes written the way the public score-SDE code (Song et al. 2021) writes them: ``T``,
``N``, ``sde(x, t) -> (drift, diffusion)``, ``marginal_prob(x, t) -> (mean, std)``,
``prior_sampling(shape)``, ``discretize(x, t) -> (f, G)``, ``reverse(score_fn, probability_flow)``;
images ``(batch, C, H, W)`` (coefficients broadcast with ``[:, None, None, None]``), float32 tables
built by ``torch.linspace``. Written here from the equations, then planted-bug twins."""

from __future__ import annotations

import numpy as np
import torch


def _b(v: torch.Tensor) -> torch.Tensor:
    return v[:, None, None, None]


class SDE:
    """The base: Euler–Maruyama ``discretize`` and the reverse-time SDE / probability-flow ODE."""

    def __init__(self, N: int) -> None:
        self.N = N

    @property
    def T(self) -> float:
        return 1

    def discretize(self, x, t):
        dt = 1 / self.N
        drift, diffusion = self.sde(x, t)
        return drift * dt, diffusion * np.sqrt(dt)

    def reverse(self, score_fn, probability_flow=False):
        sde_fn, N, T = self.sde, self.N, self.T
        weight = self.pf_weight if probability_flow else 1.0

        class RSDE:
            def __init__(self) -> None:
                self.N, self.T, self.probability_flow = N, T, probability_flow

            def sde(self, x, t):
                drift, diffusion = sde_fn(x, t)
                drift = drift - _b(diffusion) ** 2 * score_fn(x, t) * weight
                return drift, torch.zeros_like(diffusion) if probability_flow else diffusion

        return RSDE()

    pf_weight = 0.5


class VPSDE(SDE):
    def __init__(self, beta_min=0.1, beta_max=20.0, N=1000):
        super().__init__(N)
        self.beta_0, self.beta_1 = beta_min, beta_max
        self.discrete_betas = torch.linspace(beta_min / N, beta_max / N, N)
        self.alphas = 1.0 - self.discrete_betas

    def sde(self, x, t):
        beta_t = self.beta_0 + t * (self.beta_1 - self.beta_0)
        return -0.5 * _b(beta_t) * x, torch.sqrt(beta_t)

    def marginal_prob(self, x, t):
        log_mean_coeff = -0.25 * t**2 * (self.beta_1 - self.beta_0) - 0.5 * t * self.beta_0
        return _b(torch.exp(log_mean_coeff)) * x, torch.sqrt(1.0 - torch.exp(2.0 * log_mean_coeff))

    def prior_sampling(self, shape):
        return torch.randn(*shape)

    def discretize(self, x, t):
        """DDPM discretization."""
        timestep = (t * (self.N - 1) / self.T).long()
        beta = self.discrete_betas.to(x.device)[timestep]
        alpha = self.alphas.to(x.device)[timestep]
        return _b(torch.sqrt(alpha)) * x - x, torch.sqrt(beta)


class subVPSDE(SDE):  # the public class name
    def __init__(self, beta_min=0.1, beta_max=20.0, N=1000):
        super().__init__(N)
        self.beta_0, self.beta_1 = beta_min, beta_max

    def sde(self, x, t):
        beta_t = self.beta_0 + t * (self.beta_1 - self.beta_0)
        discount = 1.0 - torch.exp(-2 * self.beta_0 * t - (self.beta_1 - self.beta_0) * t**2)
        return -0.5 * _b(beta_t) * x, torch.sqrt(beta_t * discount)

    def marginal_prob(self, x, t):
        log_mean_coeff = -0.25 * t**2 * (self.beta_1 - self.beta_0) - 0.5 * t * self.beta_0
        return _b(torch.exp(log_mean_coeff)) * x, 1 - torch.exp(2.0 * log_mean_coeff)

    def prior_sampling(self, shape):
        return torch.randn(*shape)


class VESDE(SDE):
    def __init__(self, sigma_min=0.01, sigma_max=50.0, N=1000):
        super().__init__(N)
        self.sigma_min, self.sigma_max = sigma_min, sigma_max
        self.discrete_sigmas = torch.exp(torch.linspace(np.log(sigma_min), np.log(sigma_max), N))

    def sde(self, x, t):
        sigma = self.sigma_min * (self.sigma_max / self.sigma_min) ** t
        log_ratio = np.log(self.sigma_max) - np.log(self.sigma_min)
        return torch.zeros_like(x), sigma * torch.sqrt(torch.tensor(2 * log_ratio, device=t.device))

    def marginal_prob(self, x, t):
        return x, self.sigma_min * (self.sigma_max / self.sigma_min) ** t

    def prior_sampling(self, shape):
        return torch.randn(*shape) * self.sigma_max

    def discretize(self, x, t):
        """SMLD (NCSN) discretization."""
        timestep = (t * (self.N - 1) / self.T).long()
        sigma = self.discrete_sigmas.to(t.device)[timestep]
        adjacent = torch.where(timestep == 0, torch.zeros_like(t),
                               self.discrete_sigmas.to(t.device)[(timestep - 1).clamp_min(0)].to(t.dtype))
        return torch.zeros_like(x), torch.sqrt(sigma**2 - adjacent**2)


# ------------------------------------------------------------------------------- planted bugs
class VPDriftMissingHalf(VPSDE):
    """Drift ``-β(t) x`` where ``-½ β(t) x`` belongs."""

    def sde(self, x, t):
        drift, diffusion = super().sde(x, t)
        return 2 * drift, diffusion


class VEDiffusionMissingLog(VESDE):
    """Diffusion ``σ(t)`` without the ``√(2 log(σ_max/σ_min))`` of ``g = √(dσ²/dt)``."""

    def sde(self, x, t):
        return torch.zeros_like(x), self.sigma_min * (self.sigma_max / self.sigma_min) ** t


class VEStdSquared(VESDE):
    """Marginal std ``σ(t)²``: the variance where the standard deviation belongs."""

    def marginal_prob(self, x, t):
        return x, (self.sigma_min * (self.sigma_max / self.sigma_min) ** t) ** 2


class VPReversePlus(VPSDE):
    """Reverse drift ``f + g² s``: the sign of the score term flipped."""

    def reverse(self, score_fn, probability_flow=False):
        return super().reverse(lambda x, t: -score_fn(x, t), probability_flow)


class VPFlowWithoutHalf(VPSDE):
    """Probability-flow drift ``f - g² s``: the ½ dropped."""

    pf_weight = 1.0


class VPDiscretizeWithoutN(VPSDE):
    """DDPM discretization with ``β_i = β(t_i)`` where ``β(t_i)/N`` belongs."""

    def __init__(self, beta_min=0.1, beta_max=20.0, N=1000):
        super().__init__(beta_min, beta_max, N)
        self.discrete_betas = torch.linspace(beta_min, beta_max, N).clamp_max(0.999)
        self.alphas = 1.0 - self.discrete_betas
