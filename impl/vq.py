"""Vector quantization layer (VQ-VAE) with straight-through gradients and both losses (torch).

000 L4 "Vector Quantized VAE (VQ-VAE): Final algorithm":
``L = -log p(x|z_q) + log K + ‖sg[z_e] - e_{k*}‖² + β ‖z_e - sg[e_{k*}]‖²``.
"""

from __future__ import annotations

import math

import torch

from dgmcheck.impl import _validate as V
from dgmcheck.impl._validate import floating


class VectorQuantizer:
    """Codebook ``(K, L)``; inputs ``z_e`` are ``(B, L)`` rows; losses are per row ``(B,)``."""

    def __init__(self, codebook: torch.Tensor) -> None:
        V.tensor(codebook, "codebook")
        if codebook.ndim != 2:
            raise ValueError(f"codebook must be (K, L), got shape {tuple(codebook.shape)}")
        self.codebook = codebook
        self.K, self.L = codebook.shape

    def to(self, device=None, dtype=None) -> VectorQuantizer:
        self.codebook = self.codebook.to(device=device, dtype=dtype)
        return self

    def _z(self, z_e: torch.Tensor) -> torch.Tensor:
        floating(z_e, "z_e")
        if z_e.ndim != 2 or z_e.shape[1] != self.L:
            raise ValueError(f"z_e must have shape (batch, {self.L}) to match the codebook, got {tuple(z_e.shape)}")
        return z_e

    def nearest(self, z_e: torch.Tensor) -> torch.Tensor:
        z_e = self._z(z_e)
        return torch.cdist(z_e.detach(), self.codebook.detach()).argmin(-1)

    def quantize(self, z_e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z_e + sg[e_{k*} - z_e], k*)``: forward value ``e_{k*}``, gradient straight to ``z_e``."""
        k = self.nearest(z_e)
        z_q = self.codebook[k]
        return z_e + (z_q - z_e).detach(), k

    def codebook_loss(self, z_e: torch.Tensor) -> torch.Tensor:
        """``‖sg[z_e] - e_{k*}‖²``: moves the codebook toward the encoder outputs."""
        e = self.codebook[self.nearest(z_e)]
        return ((z_e.detach() - e) ** 2).sum(-1)

    def commitment_loss(self, z_e: torch.Tensor) -> torch.Tensor:
        """``‖z_e - sg[e_{k*}]‖²``: commits the encoder to its code."""
        e = self.codebook[self.nearest(z_e)]
        return ((z_e - e.detach()) ** 2).sum(-1)

    def loss(self, z_e: torch.Tensor, beta: float = 0.25) -> torch.Tensor:
        """``‖sg[z_e] - e‖² + β ‖z_e - sg[e]‖²`` (β on the commitment term)."""
        return self.codebook_loss(z_e) + beta * self.commitment_loss(z_e)

    def posterior(self, z_e: torch.Tensor) -> torch.Tensor:
        """The deterministic posterior ``q(c = k | x) = [k = k*]`` (one-hot, ``(B, K)``)."""
        return torch.nn.functional.one_hot(self.nearest(z_e), self.K).to(z_e.dtype)

    def kl_uniform(self, q: torch.Tensor) -> torch.Tensor:
        """``KL(q || U{1..K}) = Σ_k q_k log q_k + log K`` (``0 log 0 = 0``)."""
        floating(q, "q")
        if q.shape[-1] != self.K:
            raise ValueError(f"q must have {self.K} categories, got {q.shape[-1]}")
        safe = torch.where(q > 0, q, torch.ones_like(q))
        return (q * safe.log()).sum(-1) + math.log(self.K)
