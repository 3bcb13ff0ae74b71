"""The VE and VP SDEs (Song et al. 2021), batched in torch: drift, diffusion and Gaussian marginals.

Protocol shared by every SDE here and by the samplers and checks of issue 4 (a user's SDE exposes
the same three methods to be verified)::

    drift(x, t)       f(x, t), shape like x            dx = f(x, t) dt + g(t) dw
    diffusion(t, x)   g(t), shape (batch,)             (x only fixes batch, dtype and device)
    marginal(t, x)    (a(t), s(t)) with x_t | x_0 ~ N(a(t) x_0, s(t)² I), each (batch,)

``t`` is a float, or a tensor of shape ``()`` or ``(batch,)``; it must lie in ``[0, T]``.
``000 L12 "Variance Exploding SDE"``, ``"Variance Preserving SDE"``.
"""

from __future__ import annotations

import torch

from ._validate import floating


def sde_times(t: object, x: torch.Tensor, T: float, name: str = "t") -> torch.Tensor:
    """``t`` as a ``(batch,)`` tensor like ``x``, checked to lie in ``[0, T]``."""
    floating(x, "x")
    t = torch.as_tensor(t, dtype=x.dtype, device=x.device)
    if t.ndim == 0:
        t = t.expand(x.shape[0])
    if t.shape != (x.shape[0],):
        raise ValueError(f"{name} must be a scalar or have shape ({x.shape[0]},), got {tuple(t.shape)}")
    if t.numel() and (bool(torch.isnan(t).any()) or float(t.min()) < 0 or float(t.max()) > T):
        raise ValueError(f"{name} must lie in [0, T] = [0, {T}], got values in "
                         f"[{float(t.min())}, {float(t.max())}]")
    return t


def _col(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return v.reshape(-1, *([1] * (x.ndim - 1)))


class VESDE:
    """Variance exploding: ``dx = √(d σ²(t)/dt) dw`` with ``σ(t) = σ_min (σ_max/σ_min)^(t/T)``.

    ``g(t) = σ(t) √(2 log(σ_max/σ_min) / T)``; marginal ``x_t | x_0 ~ N(x_0, (σ(t)² - σ(0)²) I)``
    (theorem ``sde.ve_marginal``), the continuous limit of the NCSN chain (``sde.ve``).
    """

    def __init__(self, sigma_min: float = 0.01, sigma_max: float = 50.0, T: float = 1.0) -> None:
        if not sigma_min > 0:
            raise ValueError(f"sigma_min must be > 0, got {sigma_min!r}")
        if not sigma_max > sigma_min:
            raise ValueError(f"sigma_max must exceed sigma_min = {sigma_min}, got {sigma_max!r}")
        if not T > 0:
            raise ValueError(f"T must be > 0, got {T!r}")
        self.sigma_min, self.sigma_max, self.T = float(sigma_min), float(sigma_max), float(T)

    def sigma(self, t: object, x: torch.Tensor) -> torch.Tensor:
        t = sde_times(t, x, self.T)
        return self.sigma_min * (self.sigma_max / self.sigma_min) ** (t / self.T)

    def drift(self, x: torch.Tensor, t: object) -> torch.Tensor:
        sde_times(t, x, self.T)
        return torch.zeros_like(x)

    def diffusion(self, t: object, x: torch.Tensor) -> torch.Tensor:
        log_ratio = torch.log(torch.as_tensor(self.sigma_max / self.sigma_min, dtype=x.dtype, device=x.device))
        return self.sigma(t, x) * torch.sqrt(2 * log_ratio / self.T)

    def marginal(self, t: object, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s2 = self.sigma(t, x) ** 2 - self.sigma_min**2
        return torch.ones_like(s2), s2.clamp_min(0).sqrt()


class VPSDE:
    """Variance preserving: ``dx = -½ β(t) x dt + √β(t) dw``, ``β(t) = β_min + (t/T)(β_max - β_min)``.

    Marginal ``x_t | x_0 ~ N(e^{-½B(t)} x_0, (1 - e^{-B(t)}) I)`` with ``B(t) = ∫_0^t β(s) ds``
    (theorem ``sde.vp_marginal``), the continuous limit of the DDPM chain (``sde.vp``).
    """

    def __init__(self, beta_min: float = 0.1, beta_max: float = 20.0, T: float = 1.0) -> None:
        if not beta_min > 0:
            raise ValueError(f"beta_min must be > 0, got {beta_min!r}")
        if not beta_max >= beta_min:
            raise ValueError(f"beta_max must be >= beta_min = {beta_min}, got {beta_max!r}")
        if not T > 0:
            raise ValueError(f"T must be > 0, got {T!r}")
        self.beta_min, self.beta_max, self.T = float(beta_min), float(beta_max), float(T)

    def beta(self, t: object, x: torch.Tensor) -> torch.Tensor:
        t = sde_times(t, x, self.T)
        return self.beta_min + (t / self.T) * (self.beta_max - self.beta_min)

    def integrated_beta(self, t: object, x: torch.Tensor) -> torch.Tensor:
        t = sde_times(t, x, self.T)
        return self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t**2 / self.T

    def drift(self, x: torch.Tensor, t: object) -> torch.Tensor:
        return -0.5 * _col(self.beta(t, x), x) * x

    def diffusion(self, t: object, x: torch.Tensor) -> torch.Tensor:
        return self.beta(t, x).sqrt()

    def marginal(self, t: object, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b = self.integrated_beta(t, x)
        return torch.exp(-0.5 * b), (-torch.expm1(-b)).sqrt()
