"""Noise schedules in torch (float64 on the CPU; callers move them where they compute).

schedules.linear and schedules.cosine of seed 001 ("Denoising diffusion probabilistic models").
"""

from __future__ import annotations

import math

import torch


def linear_betas(T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """``β_t = β_1 + (t-1)(β_T - β_1)/(T-1)``, ``t = 1..T`` (Ho et al. 2020: 1e-4 to 0.02)."""
    if not isinstance(T, int) or T < 1:
        raise ValueError(f"T must be a positive integer, got {T!r}")
    if not 0 < beta_start <= beta_end < 1:
        raise ValueError(f"need 0 < beta_start <= beta_end < 1, got {beta_start!r}, {beta_end!r}")
    return torch.linspace(beta_start, beta_end, T, dtype=torch.float64)


def cosine_betas(T: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """``β_t = min(1 - f(t/T)/f((t-1)/T), max_beta)``, ``f(u) = cos²((u+s)/(1+s)·π/2)``."""
    if not isinstance(T, int) or T < 1:
        raise ValueError(f"T must be a positive integer, got {T!r}")
    if not 0 < max_beta < 1:
        raise ValueError(f"max_beta must lie in (0, 1), got {max_beta!r}")
    u = torch.arange(T + 1, dtype=torch.float64) / T
    f = torch.cos((u + s) / (1 + s) * math.pi / 2) ** 2
    return torch.clamp(1 - f[1:] / f[:-1], max=max_beta)
