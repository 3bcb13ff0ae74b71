"""A small GaussianDiffusion-style class for ``dgmcheck mutate``: numpy float64 tables, 0-based ``t``,
noise drawn inside ``q_sample``, a posterior that also hands out the clipped log-variance a
sampler would use. ``make()`` is what ``dgmcheck verify``/``mutate --verify`` receive: the class
through the GaussianDiffusion adapter's DDPM view, checked with ``--conventions steps=zero_based``."""

from __future__ import annotations

import numpy as np
import torch

from dgmcheck.adapters.gaussian_diffusion import GaussianDiffusionDDPM


def _extract(table: np.ndarray, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``table[t]`` as a column broadcasting against ``x`` (dtype and device of ``x``); ``t`` clamped
    into the table as a guard."""
    t = t.clamp(0, len(table) - 1)
    values = torch.as_tensor(table, dtype=x.dtype, device=x.device)[t]
    return values.reshape(-1, *([1] * (x.dim() - 1)))


class SmallDiffusion:
    def __init__(self, betas: np.ndarray) -> None:
        self.betas = betas = np.asarray(betas, dtype=np.float64)
        alphas = 1.0 - betas
        self.alphas_cumprod = np.cumprod(alphas)
        self.alphas_cumprod_prev = np.append(1.0, self.alphas_cumprod[:-1])
        self.posterior_variance = betas * (1.0 - self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        # log β̃_t with β̃_1 = 0 replaced by β̃_2 (guided-diffusion's clipping)
        self.posterior_log_variance_clipped = np.log(np.append(self.posterior_variance[1],
                                                               self.posterior_variance[1:]))
        self.posterior_mean_coef1 = betas * np.sqrt(self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        self.posterior_mean_coef2 = (1.0 - self.alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - self.alphas_cumprod)

    def q_sample(self, x_start: torch.Tensor, t: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        if noise is None:
            noise = torch.randn_like(x_start)
        return (_extract(np.sqrt(self.alphas_cumprod), t, x_start) * x_start
                + _extract(np.sqrt(1.0 - self.alphas_cumprod), t, x_start) * noise)

    def q_posterior_mean_variance(self, x_start: torch.Tensor, x_t: torch.Tensor,
                                  t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mean = (_extract(self.posterior_mean_coef1, t, x_t) * x_start
                + _extract(self.posterior_mean_coef2, t, x_t) * x_t)
        variance = _extract(self.posterior_variance, t, x_t)
        log_variance = _extract(self.posterior_log_variance_clipped, t, x_t)
        return mean, variance, log_variance


def make() -> GaussianDiffusionDDPM:
    """A 20-step linear schedule seen through the adapter (``q_sample``, ``posterior``)."""
    return GaussianDiffusionDDPM(SmallDiffusion(np.linspace(1e-3, 0.2, 20)))


class _PosteriorOnly(SmallDiffusion):
    q_sample = None  # the adapter hides what is not callable: this view has the posterior alone


def make_posterior() -> GaussianDiffusionDDPM:
    """The same schedule with ``q_sample`` hidden: a second ``--verify`` object that never evaluates it."""
    return GaussianDiffusionDDPM(_PosteriorOnly(np.linspace(1e-3, 0.2, 20)))
