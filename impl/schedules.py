"""Noise schedules in torch (float64 on the CPU; callers move them where they compute).

schedules.linear and schedules.cosine of seed 001 ("Denoising diffusion probabilistic models").
"""

from __future__ import annotations

import math

import torch

from dgmcheck.impl import _validate


def linear_betas(T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """``β_t = β_1 + (t-1)(β_T - β_1)/(T-1)``, ``t = 1..T`` (Ho et al. 2020: 1e-4 to 0.02)."""
    T = _validate.count(T, "T")
    beta_start = _validate.real(beta_start, "beta_start", lo=0.0, hi=1.0)
    beta_end = _validate.real(beta_end, "beta_end", lo=0.0, hi=1.0)
    if not beta_start <= beta_end:
        raise ValueError(f"need 0 < beta_start <= beta_end < 1, got {beta_start!r}, {beta_end!r}")
    return torch.linspace(beta_start, beta_end, T, dtype=torch.float64)


def cosine_betas(T: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """``β_t = min(1 - f(t/T)/f((t-1)/T), max_beta)``, ``f(u) = cos²((u+s)/(1+s)·π/2)``."""
    T = _validate.count(T, "T")
    s = _validate.real(s, "s", lo=0.0, closed="lo")
    _validate.real(max_beta, "max_beta", lo=0.0, hi=1.0)
    u = torch.arange(T + 1, dtype=torch.float64) / T
    f = torch.cos((u + s) / (1 + s) * math.pi / 2) ** 2
    return torch.clamp(1 - f[1:] / f[:-1], max=max_beta)
