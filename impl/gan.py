"""GAN objective, divergences and 1-D Wasserstein in torch (device and dtype follow the inputs).

Laws are tabulated: probability vectors on a finite support, or densities at quadrature nodes with
weights ``w``; the last axis is the support, leading axes are a batch. Theorems ``gan.*``,
``divergence.*``, ``wasserstein.kantorovich_rubinstein`` (000 L5 "GAN Optimality",
"Wasserstein Distance vs KL vs JSD", "Wasserstein GAN").
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from dgmcheck.impl._validate import floating, like


def _nonneg(x: object, name: str) -> torch.Tensor:
    floating(x, name)
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} must be finite, got non-finite values")
    if x.numel() and float(x.min()) < 0:
        raise ValueError(f"{name} must be non-negative, got minimum {float(x.min())!r}")
    return x


def _law(x: object, name: str, w: torch.Tensor | None) -> torch.Tensor:
    _nonneg(x, name)
    total = (x if w is None else x * w).sum(-1)
    tol = 64 * torch.finfo(x.dtype).eps * max(x.shape[-1], 1)
    if bool(((total - 1).abs() > tol).any()):
        raise ValueError(f"{name} must sum to 1 along the last axis, got sums {total.tolist()}")
    return x


def _weights(w: torch.Tensor | None, ref: torch.Tensor) -> torch.Tensor | None:
    if w is None:
        return None
    like(w, ref, "w", "p_data", same_shape=False)
    return _nonneg(w, "w")


def _xlog_ratio(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a log(a/b)``, 0 where a = 0, +inf where a > 0 = b."""
    safe_b = torch.where(b > 0, b, torch.ones_like(b))
    safe_a = torch.where(a > 0, a, torch.ones_like(a))
    out = a * (torch.log(safe_a) - torch.log(safe_b))
    out = torch.where((a > 0) & (b <= 0), torch.full_like(a, math.inf), out)
    return torch.where(a > 0, out, torch.zeros_like(a))


class GAN:
    """The reference implementation; every method is a function of its tensor arguments."""

    def optimal_discriminator(self, p_data: torch.Tensor, p_theta: torch.Tensor) -> torch.Tensor:
        """``D*(x) = p_data/(p_data + p_θ)``; ½ where both vanish (any value is optimal there)."""
        _nonneg(p_data, "p_data")
        like(p_theta, p_data, "p_theta", "p_data")
        _nonneg(p_theta, "p_theta")
        s = p_data + p_theta
        return torch.where(s > 0, p_data / torch.where(s > 0, s, torch.ones_like(s)), torch.full_like(s, 0.5))

    def value(self, p_data: torch.Tensor, p_theta: torch.Tensor, D: torch.Tensor,
              w: torch.Tensor | None = None) -> torch.Tensor:
        """``V(G, D) = Σ w [p_data log D + p_θ log(1 - D)]`` (0 log 0 = 0)."""
        w = _weights(w, p_data)
        _law(p_data, "p_data", w)
        like(p_theta, p_data, "p_theta", "p_data")
        _law(p_theta, "p_theta", w)
        like(D, p_data, "D", "p_data")
        if bool(((D < 0) | (D > 1) | D.isnan()).any()):
            raise ValueError("D must lie in [0, 1]")
        one = torch.ones_like(D)
        t1 = torch.where(p_data > 0, p_data * torch.log(torch.where(p_data > 0, D, one)), torch.zeros_like(D))
        t2 = torch.where(p_theta > 0, p_theta * torch.log1p(-torch.where(p_theta > 0, D, 0 * one)),
                         torch.zeros_like(D))
        terms = t1 + t2
        return (terms if w is None else terms * w).sum(-1)

    def kl(self, p: torch.Tensor, q: torch.Tensor, w: torch.Tensor | None = None) -> torch.Tensor:
        """``KL(p‖q) = Σ w p log(p/q)`` (+inf where p charges a point q does not)."""
        w = _weights(w, p)
        _law(p, "p", w)
        like(q, p, "q", "p")
        _law(q, "q", w)
        t = _xlog_ratio(p, q)
        return (t if w is None else t * w).sum(-1)

    def jsd(self, p: torch.Tensor, q: torch.Tensor, w: torch.Tensor | None = None) -> torch.Tensor:
        """``JSD(p‖q) = ½ KL(p‖m) + ½ KL(q‖m)``, ``m = (p + q)/2``, natural log."""
        w = _weights(w, p)
        _law(p, "p", w)
        like(q, p, "q", "p")
        _law(q, "q", w)
        m = 0.5 * (p + q)
        t = 0.5 * (_xlog_ratio(p, m) + _xlog_ratio(q, m))
        return (t if w is None else t * w).sum(-1)

    def w1_1d(self, x: torch.Tensor, p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        """``W_1`` between masses ``p``, ``q`` on the points ``x`` of the line: ``∫ |F_p - F_q|``."""
        floating(x, "x")
        _law(p, "p", None)
        like(q, p, "q", "p")
        _law(q, "q", None)
        like(x, p, "x", "p", same_shape=False)
        xs, order = torch.sort(x, dim=-1, stable=True)
        order = order.expand(p.shape)
        dF = torch.cumsum(torch.gather(p, -1, order) - torch.gather(q, -1, order), dim=-1)[..., :-1]
        return (dF.abs() * torch.diff(xs, dim=-1)).sum(-1)

    def kr_potential_1d(self, x: torch.Tensor, p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        """An optimal 1-Lipschitz critic on ``x``: ``f' = sign(F_q - F_p)``, so that
        ``E_p f - E_q f = ∫ (F_q - F_p) f' = W_1`` (Kantorovich-Rubinstein); ``f(min x) = 0``."""
        floating(x, "x")
        _law(p, "p", None)
        like(q, p, "q", "p")
        _law(q, "q", None)
        xs, order = torch.sort(x, stable=True)
        dF = torch.cumsum(q[order] - p[order], dim=0)[:-1]
        steps = torch.sign(dF) * torch.diff(xs)
        f_sorted = torch.cat([torch.zeros_like(xs[:1]), torch.cumsum(steps, 0)])
        return torch.empty_like(f_sorted).scatter_(0, order, f_sorted)

    def gradient_penalty(self, critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                         fake: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        """WGAN-GP: ``mean_i (‖∇f(x̂_i)‖ - 1)²`` at ``x̂_i = α_i x_i + (1 - α_i) x̃_i`` (per-sample norm)."""
        floating(real, "real")
        like(fake, real, "fake", "real")
        like(alpha, real, "alpha", "real", same_shape=False)
        if alpha.shape != real.shape[:1]:
            raise ValueError(f"alpha must have shape ({real.shape[0]},), got {tuple(alpha.shape)}")
        a = alpha.reshape(-1, *([1] * (real.dim() - 1)))
        xh = (a * real + (1 - a) * fake).detach().requires_grad_(True)
        with torch.enable_grad():
            out = critic(xh)
            (g,) = torch.autograd.grad(out.sum(), xh, create_graph=True)
        return ((g.reshape(len(g), -1).norm(dim=1) - 1) ** 2).mean()
