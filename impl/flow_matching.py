"""Flow matching in torch: Gaussian conditional paths, CFM loss, mixture marginal field, ODE sampler.

Convention (000 L11-L12): ``t ∈ [0, 1]``, noise ``x_0 ~ N(0, I)`` at t = 0, data ``x_1`` at t = 1,
``x_t = α_t x_1 + σ_t x_0`` with σ_t a standard deviation. Batched: ``x0, x1`` are ``(B, ...)``,
``t`` is ``(B,)`` (or a float); outputs follow the dtype and device of the inputs.

- ``ConicalPath(sigma_min)``  fm.conical_path: α = t, σ = 1 - (1 - σ_min) t.
- ``LinearInterpolation()``   fm.linear_interpolation: x_t = t x_1 + (1 - t) x_0, target x_1 - x_0.
- ``VEPath(sigma_max)``       fm.ve_path: α = 1, σ_t = σ_max (1 - t).
- ``VPPath(beta_min, beta_max)`` fm.vp_path: α_t = exp(-½ B(1 - t)), σ_t = √(1 - α_t²),
  B(s) = β_min s + ½(β_max - β_min) s².
- ``TrigPath()``              the trigonometric interpolant: α = sin(πt/2), σ = cos(πt/2).
- ``SchrodingerBridgePath(sigma)`` fm.schrodinger_bridge_path: pair conditioning with a Brownian
  bridge, x_t = t x_1 + (1 - t) x_0 + σ√(t(1-t)) ε.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from dgmcheck.impl import _validate as V
from dgmcheck.impl._validate import floating


def _times(t: object, x: torch.Tensor, name: str = "t") -> torch.Tensor:
    """``t`` as a tensor of shape ``(B,)`` like ``x``; ValueError when outside [0, 1]."""
    if isinstance(t, bool):
        raise TypeError(f"{name} must be a float or a floating tensor, got bool")
    if isinstance(t, (int, float)):
        t = torch.full((x.shape[0],), float(t), dtype=x.dtype, device=x.device)
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a float or a torch.Tensor, got {type(t).__name__}")
    t = t.to(dtype=x.dtype, device=x.device)
    if t.ndim == 0:
        t = t.expand(x.shape[0])
    if t.shape != (x.shape[0],):
        raise ValueError(f"{name} must have shape ({x.shape[0]},) to match the batch, got {tuple(t.shape)}")
    td = t.detach()
    if td.numel() and (bool(torch.isnan(td).any()) or float(td.min()) < 0.0 or float(td.max()) > 1.0):
        raise ValueError(f"{name} must lie in [0, 1], got values in [{float(t.min())}, {float(t.max())}]")
    return t


def _pair(x0: object, x1: object) -> tuple[torch.Tensor, torch.Tensor]:
    floating(x0, "x0")
    floating(x1, "x1")
    if x0.shape != x1.shape:
        raise ValueError(f"x0 has shape {tuple(x0.shape)} but x1 has {tuple(x1.shape)}; they must match")
    if x0.ndim < 1:
        raise ValueError("x0 and x1 must have a batch dimension")
    return V.batch(x0, "x0"), V.batch(x1, "x1", like_=x0, like_name="x0")


def _col(c: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return c.reshape(c.shape + (1,) * (x.ndim - 1))


class GaussianPath:
    """``x_t = α_t x_1 + σ_t x_0``; subclasses give ``coefficients(t) -> (α, σ, α', σ')``."""

    def coefficients(self, t: torch.Tensor) -> tuple[torch.Tensor, ...]:  # pragma: no cover
        raise NotImplementedError

    def alpha_sigma(self, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, s, _, _ = self.coefficients(t)
        return a, s

    def sample_xt(self, x0: torch.Tensor, x1: torch.Tensor, t: object) -> torch.Tensor:
        """``x_t = α_t x_1 + σ_t x_0``."""
        x0, x1 = _pair(x0, x1)
        t = _times(t, x1)
        a, s, _, _ = self.coefficients(t)
        return _col(a, x1) * x1 + _col(s, x1) * x0

    def velocity(self, x0: torch.Tensor, x1: torch.Tensor, t: object) -> torch.Tensor:
        """``dx_t/dt = α'_t x_1 + σ'_t x_0``: the CFM regression target on the path."""
        x0, x1 = _pair(x0, x1)
        t = _times(t, x1)
        _, _, da, ds = self.coefficients(t)
        return _col(da, x1) * x1 + _col(ds, x1) * x0

    def target_field(self, x: torch.Tensor, x1: torch.Tensor, t: object) -> torch.Tensor:
        """``u_t(x | x_1) = σ'_t/σ_t (x - α_t x_1) + α'_t x_1`` at any ``x`` (needs σ_t > 0)."""
        x, x1 = _pair(x, x1)
        t = _times(t, x1)
        a, s, da, ds = self.coefficients(t)
        return _col(ds / s, x) * (x - _col(a, x) * x1) + _col(da, x) * x1

    def cfm_loss(self, model: Callable, x0: torch.Tensor, x1: torch.Tensor, t: object) -> torch.Tensor:
        """Per-sample ``||v(x_t, t) - (α'_t x_1 + σ'_t x_0)||²`` (summed over non-batch dims)."""
        x0, x1 = _pair(x0, x1)
        t = _times(t, x1)
        xt = self.sample_xt(x0, x1, t)
        diff = model(xt, t) - self.velocity(x0, x1, t)
        return diff.pow(2).reshape(diff.shape[0], -1).sum(-1)

    def sample_training_pair(self, x0: torch.Tensor, x1: torch.Tensor,
                             generator: torch.Generator | None = None):
        """Draw ``t ~ U[0, 1)`` and return ``(t, x_t, target)``."""
        x0, x1 = _pair(x0, x1)
        t = torch.rand(x1.shape[0], generator=generator, dtype=x1.dtype, device="cpu").to(x1.device)
        return t, self.sample_xt(x0, x1, t), self.velocity(x0, x1, t)

    def marginal_field(self, weights: torch.Tensor, means: torch.Tensor, covs: torch.Tensor,
                       x: torch.Tensor, t: object) -> torch.Tensor:
        """``u_t(x) = E[u_t(x|x_1) | x_t = x]`` for data ``Σ_k w_k N(m_k, C_k)`` (x: (B, d))."""
        floating(x, "x")
        t = _times(t, x)
        if means.ndim != 2 or means.shape[1] != x.shape[1]:
            raise ValueError(f"means must be (K, d) with d = {x.shape[1]}, got {tuple(means.shape)}")
        a, s, da, ds = self.coefficients(t)  # (B,)
        d = x.shape[1]
        eye = torch.eye(d, dtype=x.dtype, device=x.device)
        w, m, C = weights.to(x), means.to(x), covs.to(x)
        a_ = a[:, None, None, None]
        cov_t = a_**2 * C[None] + (s**2)[:, None, None, None] * eye  # (B, K, d, d)
        diff = x[:, None, :] - a[:, None, None] * m[None]  # (B, K, d)
        chol = torch.linalg.cholesky(cov_t)
        sol = torch.cholesky_solve(diff[..., None], chol)[..., 0]  # Σ^{-1}(x - α m)
        logdet = 2 * torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)
        logp = torch.log(w)[None] - 0.5 * ((diff * sol).sum(-1) + logdet + d * math.log(2 * math.pi))
        r = torch.softmax(logp, dim=-1)  # (B, K)
        post = m[None] + a[:, None, None] * torch.einsum("kij,bkj->bki", C, sol)
        e_x1 = (r[..., None] * post).sum(1)
        return (ds / s)[:, None] * x + (da - ds * a / s)[:, None] * e_x1


class ConicalPath(GaussianPath):
    """fm.conical_path (Lipman et al.): ``α = t``, ``σ = 1 - (1 - σ_min) t``;
    ``u_t(x|x_1) = (x_1 - (1 - σ_min) x) / (1 - (1 - σ_min) t)``."""

    def __init__(self, sigma_min: float = 0.0) -> None:
        V.real(sigma_min, "sigma_min", lo=0.0, hi=1.0, closed="lo")
        self.sigma_min = float(sigma_min)

    def coefficients(self, t):
        k = 1.0 - self.sigma_min
        return t, 1.0 - k * t, torch.ones_like(t), torch.full_like(t, -k)

    def target_field(self, x, x1, t):
        x, x1 = _pair(x, x1)
        t = _col(_times(t, x1), x)
        k = 1.0 - self.sigma_min
        return (x1 - k * x) / (1.0 - k * t)


class LinearInterpolation(GaussianPath):
    """fm.linear_interpolation: pair conditioning, ``x_t = t x_1 + (1 - t) x_0``, target ``x_1 - x_0``."""

    def coefficients(self, t):
        return t, 1.0 - t, torch.ones_like(t), -torch.ones_like(t)

    def velocity(self, x0, x1, t):
        x0, x1 = _pair(x0, x1)
        _times(t, x1)
        return x1 - x0


class VEPath(GaussianPath):
    """fm.ve_path: NCSN in flow-matching time, ``σ(s) = σ_max s`` at ``s = 1 - t``, ``α = 1``."""

    def __init__(self, sigma_max: float = 1.0) -> None:
        V.positive(sigma_max, "sigma_max")
        self.sigma_max = float(sigma_max)

    def coefficients(self, t):
        return (torch.ones_like(t), self.sigma_max * (1.0 - t), torch.zeros_like(t),
                torch.full_like(t, -self.sigma_max))


class VPPath(GaussianPath):
    """fm.vp_path: DDPM's VP-SDE with linear β(s) at ``s = 1 - t``: ``α_t = e^{-B(1-t)/2}``,
    ``σ_t = √(1 - α_t²)``."""

    def __init__(self, beta_min: float = 0.1, beta_max: float = 20.0) -> None:
        V.positive(beta_min, "beta_min")
        V.positive(beta_max, "beta_max")
        if not beta_min <= beta_max:
            raise ValueError(f"need 0 < beta_min <= beta_max, got {beta_min!r}, {beta_max!r}")
        self.beta_min, self.beta_max = float(beta_min), float(beta_max)

    def coefficients(self, t):
        s = 1.0 - t
        big_b = self.beta_min * s + 0.5 * (self.beta_max - self.beta_min) * s * s
        beta = self.beta_min + (self.beta_max - self.beta_min) * s
        alpha = torch.exp(-0.5 * big_b)
        sigma = torch.sqrt(-torch.expm1(-big_b))
        d_alpha = 0.5 * beta * alpha
        d_sigma = -alpha * d_alpha / sigma
        return alpha, sigma, d_alpha, d_sigma


class TrigPath(GaussianPath):
    """The trigonometric interpolant (stochastic interpolants; torchcfm's
    VariancePreservingConditionalFlowMatcher): ``α_t = sin(πt/2)``, ``σ_t = cos(πt/2)``,
    ``α'_t = π/2 σ_t``, ``σ'_t = -π/2 α_t``. ``cos(πt/2)`` is computed as ``sin(π(1-t)/2)`` so that
    ``σ_1 = 0`` exactly (``cos`` of a rounded π/2 is not 0)."""

    def coefficients(self, t):
        h = 0.5 * math.pi
        a, s = torch.sin(h * t), torch.sin(h * (1.0 - t))
        return a, s, h * s, -h * a


class SchrodingerBridgePath:
    """fm.schrodinger_bridge_path: the Brownian bridge between a pair ``(x_0, x_1)`` (SB-CFM)::

        x_t = μ_t + σ√(t(1-t)) ε,   μ_t = t x_1 + (1 - t) x_0,
        u_t(x | x_0, x_1) = (1 - 2t)/(2t(1-t)) (x - μ_t) + x_1 - x_0,

    the Gaussian-path field ``μ' + (w'/w)(x - μ)`` with ``w = σ√(t(1-t))`` (σ cancels in ``w'/w``);
    on the path ``u = x_1 - x_0 + σ (1-2t)/(2√(t(1-t))) ε``. The field needs ``0 < t < 1``. ``σ`` is a
    standard deviation (the width at t = ½ is σ/2)."""

    def __init__(self, sigma: float = 1.0) -> None:
        V.positive(sigma, "sigma")
        self.sigma = float(sigma)

    def _eps(self, eps: object, x1: torch.Tensor) -> torch.Tensor:
        return V.batch(eps, "eps", like_=x1, like_name="x1", same_shape=True)

    def width(self, t: object, x: torch.Tensor) -> torch.Tensor:
        """``w_t = σ√(t(1-t))``, shape (B,)."""
        t = _times(t, x)
        return self.sigma * torch.sqrt(t * (1.0 - t))

    def mean(self, x0: torch.Tensor, x1: torch.Tensor, t: object) -> torch.Tensor:
        """``μ_t = t x_1 + (1 - t) x_0``."""
        x0, x1 = _pair(x0, x1)
        t = _col(_times(t, x1), x1)
        return t * x1 + (1.0 - t) * x0

    def sample_xt(self, x0: torch.Tensor, x1: torch.Tensor, t: object, eps: torch.Tensor) -> torch.Tensor:
        """``x_t = μ_t + σ√(t(1-t)) ε``."""
        x0, x1 = _pair(x0, x1)
        return self.mean(x0, x1, t) + _col(self.width(t, x1), x1) * self._eps(eps, x1)

    def target_field(self, x: torch.Tensor, x0: torch.Tensor, x1: torch.Tensor, t: object) -> torch.Tensor:
        """``u_t(x | x_0, x_1) = (1 - 2t)/(2t(1-t)) (x - μ_t) + x_1 - x_0`` (0 < t < 1)."""
        x0, x1 = _pair(x0, x1)
        x = V.batch(x, "x", like_=x1, like_name="x1", same_shape=True)
        tt = _times(t, x1)
        if tt.numel() and (float(tt.detach().min()) <= 0.0 or float(tt.detach().max()) >= 1.0):
            raise ValueError("t must lie in (0, 1) for the bridge field: (1-2t)/(2t(1-t)) is singular at 0 and 1")
        tc = _col(tt, x1)
        return (1.0 - 2.0 * tc) / (2.0 * tc * (1.0 - tc)) * (x - self.mean(x0, x1, tt)) + x1 - x0

    def velocity(self, x0: torch.Tensor, x1: torch.Tensor, t: object, eps: torch.Tensor) -> torch.Tensor:
        """The CFM target on the path, ``u_t(x_t | x_0, x_1)``."""
        return self.target_field(self.sample_xt(x0, x1, t, eps), x0, x1, t)

    def cfm_loss(self, model: Callable, x0: torch.Tensor, x1: torch.Tensor, t: object,
                 eps: torch.Tensor) -> torch.Tensor:
        """Per-sample ``||v(x_t, t) - u_t(x_t | x_0, x_1)||²`` (summed over non-batch dims)."""
        x0, x1 = _pair(x0, x1)
        t = _times(t, x1)
        diff = model(self.sample_xt(x0, x1, t, eps), t) - self.velocity(x0, x1, t, eps)
        return diff.pow(2).reshape(diff.shape[0], -1).sum(-1)


def ode_sample(field: Callable, x0: torch.Tensor, n_steps: int, method: str = "euler",
               t0: float = 0.0, t1: float = 1.0) -> torch.Tensor:
    """Integrate ``dx/dt = field(x, t)`` (t a (B,) tensor) from t0 to t1 with ``n_steps`` uniform
    Euler (order 1) or Heun (order 2) steps. fm.ode_sampling."""
    V.function(field, "field")
    V.batch(x0, "x0")
    V.count(n_steps, "n_steps")
    V.choice(method, "method", ("euler", "heun"))
    t0, t1 = (V.real(v, name, lo=0.0, hi=1.0, closed="lo hi") for name, v in (("t0", t0), ("t1", t1)))
    h = (t1 - t0) / n_steps
    x = x0
    for i in range(n_steps):
        t = torch.full((x.shape[0],), t0 + i * h, dtype=x.dtype, device=x.device)
        k1 = field(x, t)
        if method == "euler":
            x = x + h * k1
        else:
            k2 = field(x + h * k1, t + h)
            x = x + 0.5 * h * (k1 + k2)
    return x
