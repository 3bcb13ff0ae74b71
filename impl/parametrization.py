"""Prediction parametrizations in PyTorch: ε, x₀, v and the score as affine images of one another.

``x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε``; ``v = √ᾱ_t ε - √(1-ᾱ_t) x_0``; ``s = -ε/√(1-ᾱ_t)``. Lecture steps
``t = 1..T`` with ``alphas_cumprod[t-1] = ᾱ_t``; tables in float64, cast like the inputs.
"""

from __future__ import annotations

import torch

from dgmcheck.impl import _validate
from dgmcheck.theory import parametrization as th
from dgmcheck.theory.ddim import validate_alpha_bars

KINDS = th.KINDS


class Parametrization:
    """Conversions between ``eps``, ``x0``, ``v`` and ``score`` at ``x_t`` (parametrization.affine).

    >>> import torch
    >>> p = Parametrization(torch.tensor([0.9, 0.5]))
    >>> x0, e = torch.ones(1, 2, dtype=torch.float64), torch.zeros(1, 2, dtype=torch.float64)
    >>> xt = p.q_sample(x0, 2, e)
    >>> torch.allclose(p.convert(p.velocity(x0, e, 2), xt, 2, "v", "x0"), x0)
    True
    """

    def __init__(self, alphas_cumprod: torch.Tensor | list[float]) -> None:
        abar = torch.as_tensor(validate_alpha_bars(_validate.table(alphas_cumprod, "alphas_cumprod").numpy(),
                                                   "alphas_cumprod"))
        self.alphas_cumprod = abar
        self.T = int(abar.numel())

    def _ab(self, t: object, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        t = _validate.steps(t, self.T, like.shape[0], like.device)
        abar = self.alphas_cumprod.to(like.device)[t - 1].to(like.dtype)
        abar = abar.reshape((-1,) + (1,) * (like.ndim - 1))
        return abar.sqrt(), (1 - abar).sqrt()

    def q_sample(self, x0: torch.Tensor, t: object, eps: torch.Tensor) -> torch.Tensor:
        a, b = self._ab(t, x0)
        return a * x0 + b * eps

    def velocity(self, x0: torch.Tensor, eps: torch.Tensor, t: object) -> torch.Tensor:
        """``v = √ᾱ_t ε - √(1-ᾱ_t) x_0`` (Salimans & Ho 2022)."""
        _validate.like(eps, x0, "eps", "x0")
        a, b = self._ab(t, x0)
        return a * eps - b * x0

    def convert(self, pred: torch.Tensor, x_t: torch.Tensor, t: object, src: str,
                dst: str) -> torch.Tensor:
        """``dst`` from a prediction ``pred`` of ``src`` at ``x_t`` (the affine maps of
        ``theory.parametrization.conversion``), through ``(x̂_0, ε̂)``."""
        for name, k in (("src", src), ("dst", dst)):
            if k not in KINDS:
                raise ValueError(f"{name} must be one of {KINDS}, got {k!r}")
        _validate.like(pred, x_t, "pred", "x_t")
        a, b = self._ab(t, x_t)
        if src == "eps":
            e = pred
            x0 = (x_t - b * e) / a
        elif src == "x0":
            x0 = pred
            e = (x_t - a * x0) / b
        elif src == "v":
            x0 = a * x_t - b * pred
            e = a * pred + b * x_t
        else:  # score
            e = -b * pred
            x0 = (x_t + b * b * pred) / a
        return {"eps": e, "x0": x0, "v": a * e - b * x0, "score": -e / b}[dst]

    def loss_weight(self, t: object, kind: str, like: torch.Tensor) -> torch.Tensor:
        """parametrization.loss_weights: ``w_t`` with ``‖k̂-k‖² = w_t ‖ε̂-ε‖²``: eps 1, x0 ``(1-ᾱ)/ᾱ``,
        v ``1/ᾱ``, score ``1/(1-ᾱ)``; shape ``(batch,)``."""
        a, b = self._ab(t, like)
        a2, b2 = (a * a).reshape(-1), (b * b).reshape(-1)
        table = {"eps": torch.ones_like(a2), "x0": b2 / a2, "v": 1 / a2, "score": 1 / b2}
        if kind not in table:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        return table[kind]
