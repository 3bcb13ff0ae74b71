"""DDIM in PyTorch: the step for any η, respaced DDPM chains and timestep grids.

Lecture steps ``t = 1..T`` with ``alphas_cumprod[t-1] = ᾱ_t``; ``s = 0`` is the data end with
``ᾱ_0 = final_alpha_cumprod`` (1 by default). The schedule is kept in float64 and cast to the
input's dtype and device at use, so one object serves float32 and float64, CPU and CUDA; noise is
always passed in (every method is a deterministic function, held to ``dgmcheck.theory.ddim``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from dgmcheck.impl import _validate
from dgmcheck.impl._noise import NoiseFeed, NoiseSource
from dgmcheck.theory import ddim as th

EpsModel = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # ε_θ(x_t, t), lecture t


class DDIM:
    """DDIM / respaced DDPM on ``alphas_cumprod`` (``1 > ᾱ_1 > ... > ᾱ_T > 0``).

    >>> import torch
    >>> from dgmcheck.impl.schedules import linear_betas
    >>> d = DDIM.from_betas(linear_betas(10))
    >>> x = torch.zeros(2, 3, dtype=torch.float64)
    >>> d.ddim_step(x, 10, 0, x, 0.0, x).abs().max().item()
    0.0
    """

    def __init__(self, alphas_cumprod: torch.Tensor | list[float], *,
                 final_alpha_cumprod: float = 1.0) -> None:
        abar = th.validate_alpha_bars(_validate.table(alphas_cumprod, "alphas_cumprod").numpy(), "alphas_cumprod")
        _validate.real(final_alpha_cumprod, "final_alpha_cumprod", lo=0.0, hi=1.0, closed="hi")
        self.alphas_cumprod = torch.as_tensor(abar, dtype=torch.float64)
        self.final_alpha_cumprod = float(final_alpha_cumprod)
        self.T = len(abar)
        # [ᾱ_0, ᾱ_1, ..., ᾱ_T]: indexed by the lecture step directly
        self._ext = torch.cat([torch.tensor([self.final_alpha_cumprod], dtype=torch.float64),
                               self.alphas_cumprod])

    @classmethod
    def from_betas(cls, betas: torch.Tensor | list[float], **kw: float) -> DDIM:
        """``ᾱ_t = ∏_{s<=t}(1-β_s)`` (a sum of log1p in float64)."""
        b = _validate.table(betas, "betas")
        return cls(torch.exp(torch.cumsum(torch.log1p(-b), 0)), **kw)

    # -- helpers --------------------------------------------------------------------------------
    def _pair(self, t: object, s: object, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        B = x.shape[0]
        t = _validate.steps(t, self.T, B, x.device)
        if isinstance(s, int) and not isinstance(s, bool):
            s = torch.full((B,), s, dtype=torch.long, device=x.device)
        if not isinstance(s, torch.Tensor) or s.is_floating_point():
            raise TypeError("s must be an int or an integer torch.Tensor of steps 0..T-1")
        s = s.expand(B) if s.ndim == 0 else s
        if s.shape != (B,):
            raise ValueError(f"s must have shape ({B},) to match the batch, got {tuple(s.shape)}")
        if bool((s < 0).any()) or bool((s >= t.to(s.device)).any()):
            raise ValueError(f"need 0 <= s < t, got t={t.tolist()}, s={s.tolist()}")
        return t, s.to(device=x.device, dtype=torch.long)

    def _at(self, table: torch.Tensor, idx: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        v = table.to(device=like.device)[idx].to(like.dtype)
        return v.reshape((-1,) + (1,) * (like.ndim - 1))

    # -- the DDIM step -------------------------------------------------------------------------
    def sigma2(self, t: torch.Tensor, s: torch.Tensor, eta: float, like: torch.Tensor) -> torch.Tensor:
        """``σ² = η² (1-ᾱ_s)/(1-ᾱ_t) (1-ᾱ_t/ᾱ_s)`` (ddim.step), shaped to broadcast over ``like``."""
        at, as_ = self._at(self._ext, t, like), self._at(self._ext, s, like)
        return eta**2 * (1 - as_) / (1 - at) * (1 - at / as_)

    def ddim_step(self, x_t: torch.Tensor, t: object, s: object, eps: torch.Tensor, eta: float,
                  noise: torch.Tensor) -> torch.Tensor:
        """ddim.step: ``x_s = √ᾱ_s x̂_0 + √(1-ᾱ_s-σ²) ε̂ + σ z``, ``x̂_0 = (x_t - √(1-ᾱ_t) ε̂)/√ᾱ_t``."""
        _validate.floating(x_t, "x_t")
        _validate.like(eps, x_t, "eps", "x_t")
        _validate.like(noise, x_t, "noise", "x_t")
        _validate.real(eta, "eta", lo=0.0, hi=1.0, closed="lo hi")
        t, s = self._pair(t, s, x_t)
        at, as_ = self._at(self._ext, t, x_t), self._at(self._ext, s, x_t)
        var = self.sigma2(t, s, float(eta), x_t)
        x0 = (x_t - (1 - at).sqrt() * eps) / at.sqrt()
        direction = (1 - as_ - var).clamp(min=0).sqrt()  # >= 0 exactly; clamp only rounding
        return as_.sqrt() * x0 + direction * eps + var.sqrt() * noise

    def sample(self, eps_model: EpsModel, x_T: torch.Tensor, noises: NoiseSource | None = None,
               grid: object = None, eta: float | None = None, *,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """DDIM sampling down ``grid`` (lecture steps, decreasing) and to 0; the z of the k-th step is
        ``noises[k]`` (a tensor ``(len(grid), *x_T.shape)`` or a sequence), ``noises(k)`` (a callable), the
        next item of an iterable, or a draw of ``generator`` (streamed: one z alive at a time;
        ``dgmcheck.impl._noise``)."""
        if grid is None or eta is None:
            raise TypeError("grid and eta are required: the decreasing lecture steps to sample down, and η")
        g = th.validate_grid(np.asarray(grid), self.T)
        feed = NoiseFeed(noises, generator, x_T, len(g), like_name="x_T")
        x = x_T
        pts = [*g.tolist(), 0]
        for k in range(len(g)):
            tt = torch.full((x.shape[0],), pts[k], dtype=torch.long, device=x.device)
            x = self.ddim_step(x, tt, pts[k + 1], eps_model(x, tt), eta, feed(k, k))
        return x

    # -- respacing -----------------------------------------------------------------------------
    def respaced_betas(self, steps: object) -> torch.Tensor:
        """ddim.respacing: ``β'_k = 1 - ᾱ_{τ_k}/ᾱ_{τ_{k-1}}`` (τ_0 = 0) for increasing kept steps."""
        st = torch.as_tensor(steps)
        tau = torch.as_tensor(th.validate_steps(st.detach().cpu().numpy(), self.T), dtype=torch.long)
        prev = torch.cat([torch.zeros(1, dtype=torch.long), tau[:-1]])
        return (1 - self._ext[tau] / self._ext[prev]).to(device=st.device)

    def respaced_step(self, x_t: torch.Tensor, t: object, s: object, eps: torch.Tensor,
                      noise: torch.Tensor) -> torch.Tensor:
        """ddim.respacing: the respaced DDPM's ancestral step from kept ``t`` to kept ``s``:
        ``x_s = x_t/√α' - β'/√(α'(1-ᾱ_t)) ε̂ + √β̃' z``, ``α' = ᾱ_t/ᾱ_s``, ``β̃' = (1-ᾱ_s)/(1-ᾱ_t) β'``
        (``ᾱ_0 = 1``: the lecture's DDPM on the respaced schedule)."""
        _validate.like(eps, x_t, "eps", "x_t")
        _validate.like(noise, x_t, "noise", "x_t")
        t, s = self._pair(t, s, x_t)
        ext = self._ext.clone()
        ext[0] = 1.0
        at, as_ = self._at(ext, t, x_t), self._at(ext, s, x_t)
        alpha = at / as_
        beta = 1 - alpha
        var = (1 - as_) / (1 - at) * beta
        return x_t / alpha.sqrt() - beta / (alpha * (1 - at)).sqrt() * eps + var.sqrt() * noise

    # -- grids ---------------------------------------------------------------------------------
    def timesteps(self, n: int, spacing: str = "leading", steps_offset: int = 0) -> torch.Tensor:
        """ddim.grids: the lecture steps (descending) of ``n`` inference steps (``theory.ddim.grid``'s
        definitions, computed in torch)."""
        T = self.T
        if not 1 <= n <= T:
            raise ValueError(f"need 1 <= n <= T = {T}, got n={n}")
        if spacing == "linspace":
            k = torch.linspace(0, T - 1, n, dtype=torch.float64).round().flip(0)
        elif spacing == "leading":
            k = torch.arange(n - 1, -1, -1, dtype=torch.float64) * (T // n) + steps_offset
        elif spacing == "trailing":
            k = (T - torch.arange(n, dtype=torch.float64) * (T / n)).round() - 1
        else:
            raise ValueError(f"spacing must be one of {th.SPACINGS}, got {spacing!r}")
        if spacing != "leading" and steps_offset:
            raise ValueError("steps_offset applies to the 'leading' spacing only")
        steps = k.long() + 1
        if int(steps.min()) < 1 or int(steps.max()) > T:
            raise ValueError(f"steps_offset={steps_offset} puts the grid outside 1..T = 1..{T}")
        return steps
