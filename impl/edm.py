"""The σ-parametrized ("EDM") view of diffusion and its Euler/Heun samplers, batched in torch.

Noise level ``σ`` as time, ``x = x₀ + σ ε``; the probability-flow ODE is ``dx/dσ = (x - D(x; σ))/σ`` with
the denoiser ``D(x; σ) = E[x₀ | x]`` (theorem ``edm.pf_ode``). Conventions follow k-diffusion: a
denoiser ``model(x, sigma)`` takes ``x`` of shape ``(batch, *event)`` and ``sigma`` of shape ``(batch,)``;
grids ``sigmas`` decrease and may end with 0.

* ``to_d(x, sigma, denoised) = (x - D)/σ``;
* ``karras_sigmas`` (``edm.karras_grid``): ``σ_i = (σ_max^{1/ρ} + i/(n-1)(σ_min^{1/ρ} - σ_max^{1/ρ}))^ρ``, then 0;
* ``euler_step``/``sample_euler`` (``edm.euler``, order 1) and ``heun_step``/``sample_heun`` (``edm.heun``,
  order 2: Euler predictor, corrector averaging ``d`` at ``(x, σ)`` and ``(x̃, σ')``, Euler when ``σ' = 0``);
* ``vp_input``/``alpha_bar``/``denoised_from_eps`` (``edm.vp_change_of_variables``): ``x_VP = x/√(1+σ²)``,
  ``ᾱ = 1/(1+σ²)``, ``D = x - σ ε̂``;
* ``MixtureDenoiser``: the exact denoiser of Gaussian-mixture data, ``D = x + σ² ∇log p_σ(x)``.

Written independently of ``theory/edm.py``, which judges it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from . import _validate as V
from .mixture import GaussianMixtureModel

Model = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # D(x, sigma) with sigma of shape (batch,)

__all__ = [
    "MixtureDenoiser",
    "alpha_bar",
    "denoised_from_eps",
    "euler_step",
    "heun_step",
    "karras_sigmas",
    "sample_euler",
    "sample_heun",
    "to_d",
    "vp_input",
]


def _col(sigma: torch.Tensor | float, x: torch.Tensor) -> torch.Tensor:
    """``σ`` (a number, 0-d or ``(batch,)``) broadcast against ``x``'s trailing dimensions."""
    s = torch.as_tensor(sigma, dtype=x.dtype, device=x.device)
    return s.reshape(-1, *([1] * (x.ndim - 1))) if s.ndim else s


def _rows(sigma: torch.Tensor | float, x: torch.Tensor) -> torch.Tensor:
    s = torch.as_tensor(sigma, dtype=x.dtype, device=x.device)
    return s.expand(x.shape[0]) if s.ndim == 0 else s


# ------------------------------------------------------------------------------------------ the ODE
def to_d(x: torch.Tensor, sigma: torch.Tensor | float, denoised: torch.Tensor) -> torch.Tensor:
    """The σ-ODE derivative ``dx/dσ = (x - D(x; σ))/σ`` (theorem ``edm.pf_ode``); ``σ > 0``, a number or one per
    row."""
    V.batch(x, "x")
    V.batch(denoised, "denoised", like_=x, like_name="x")
    if denoised.shape != x.shape:
        raise ValueError(f"denoised must have the shape of x {tuple(x.shape)}, got {tuple(denoised.shape)}")
    return _to_d(x, V.per_row(sigma, x, "sigma", lo=0.0), denoised)


def _to_d(x: torch.Tensor, sigma: torch.Tensor | float, denoised: torch.Tensor) -> torch.Tensor:
    return (x - denoised) / _col(sigma, x)


class MixtureDenoiser:
    """The exact denoiser of data ``x₀ ~ Σ_k w_k N(m_k, C_k)``: ``D(x; σ) = x + σ² ∇log p_σ(x)`` (Tweedie), with
    ``p_σ = Σ_k w_k N(m_k, C_k + σ² I)``; ``eps(x, σ) = -σ ∇log p_σ(x) = E[ε | x]``."""

    def __init__(self, data: GaussianMixtureModel) -> None:
        if not isinstance(data, GaussianMixtureModel):
            raise TypeError(f"data must be an impl.mixture.GaussianMixtureModel, got {type(data).__name__}")
        self.data = data

    def score(self, x: torch.Tensor, sigma: torch.Tensor | float) -> torch.Tensor:
        """``∇log p_σ(x)``."""
        return self.data.score(x, std=_rows(sigma, x))

    def __call__(self, x: torch.Tensor, sigma: torch.Tensor | float) -> torch.Tensor:
        s = _rows(sigma, x)
        return x + (s**2)[:, None] * self.data.score(x, std=s)

    def eps(self, x: torch.Tensor, sigma: torch.Tensor | float) -> torch.Tensor:
        """``ε̂(x; σ) = -σ ∇log p_σ(x)``."""
        s = _rows(sigma, x)
        return -s[:, None] * self.data.score(x, std=s)


# ------------------------------------------------------------------------------- VP change of variables
def alpha_bar(sigma: torch.Tensor) -> torch.Tensor:
    """``ᾱ = 1/(1 + σ²)`` (theorem ``edm.vp_change_of_variables``)."""
    V.tensor(sigma, "sigma", nonneg=True)
    return 1.0 / (1.0 + sigma**2)


def vp_input(x: torch.Tensor, sigma: torch.Tensor | float) -> torch.Tensor:
    """``x_VP = x/√(1 + σ²)``: the input of a VP-trained network at noise level σ (>= 0, a number or one per row)."""
    V.batch(x, "x")
    return x / torch.sqrt(1.0 + _col(V.per_row(sigma, x, "sigma", lo=0.0, closed="lo"), x) ** 2)


def denoised_from_eps(x: torch.Tensor, sigma: torch.Tensor | float, eps: torch.Tensor) -> torch.Tensor:
    """``D = x - σ ε̂`` (an ε-prediction as a denoiser; σ >= 0, a number or one per row)."""
    V.batch(x, "x")
    V.batch(eps, "eps", like_=x, like_name="x")
    if eps.shape != x.shape:
        raise ValueError(f"eps must have the shape of x {tuple(x.shape)}, got {tuple(eps.shape)}")
    return x - _col(V.per_row(sigma, x, "sigma", lo=0.0, closed="lo"), x) * eps


# ------------------------------------------------------------------------------------------ the grid
def karras_sigmas(n: int, sigma_min: float, sigma_max: float, rho: float = 7.0, *,
                  dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu") -> torch.Tensor:
    """``σ_i = (σ_max^{1/ρ} + i/(n-1)(σ_min^{1/ρ} - σ_max^{1/ρ}))^ρ``, ``i = 0..n-1``, then a final 0 (``n + 1``
    values; theorem ``edm.karras_grid``)."""
    V.count(n, "n", lo=2)
    V.positive(sigma_min, "sigma_min")
    V.positive(sigma_max, "sigma_max")
    V.positive(rho, "rho")
    V.dtype_(dtype)
    V.device_(device)
    if not float(sigma_min) < float(sigma_max):
        raise ValueError(f"sigma_min and sigma_max must satisfy 0 < sigma_min < sigma_max < inf, "
                         f"got {sigma_min!r}, {sigma_max!r}")
    if not 0 < float(rho) < float("inf"):
        raise ValueError(f"rho must be positive and finite, got {rho!r}")
    ramp = torch.linspace(0, 1, n, dtype=dtype, device=device)
    hi, lo = float(sigma_max) ** (1.0 / rho), float(sigma_min) ** (1.0 / rho)
    sig = (hi + ramp * (lo - hi)) ** rho
    return torch.cat([sig, sig.new_zeros(1)])


# ----------------------------------------------------------------------------------------- the steps
def _denoise(model: Model, x: torch.Tensor, sigma: torch.Tensor | float) -> torch.Tensor:
    d = model(x, _rows(sigma, x))
    if not isinstance(d, torch.Tensor) or d.shape != x.shape:
        got = tuple(d.shape) if isinstance(d, torch.Tensor) else type(d).__name__
        raise ValueError(f"model(x, sigma) must return a tensor of shape {tuple(x.shape)}, got {got}")
    return d


def _check_step(model: object, x: object, sigma: object, sigma_next: object) -> None:
    V.function(model, "model")
    V.batch(x, "x")
    V.real(sigma, "sigma", lo=0.0)
    V.real(sigma_next, "sigma_next", lo=0.0, closed="lo")


def euler_step(model: Model, x: torch.Tensor, sigma: torch.Tensor | float,
               sigma_next: torch.Tensor | float) -> torch.Tensor:
    """``x + (σ' - σ) d(x, σ)``, ``d = (x - D(x; σ))/σ`` (theorem ``edm.euler``); ``σ > 0``, ``σ' >= 0``."""
    _check_step(model, x, sigma, sigma_next)
    return _euler(model, x, sigma, sigma_next)


def _euler(model: Model, x: torch.Tensor, sigma: torch.Tensor | float,
           sigma_next: torch.Tensor | float) -> torch.Tensor:
    return x + (sigma_next - sigma) * _to_d(x, sigma, _denoise(model, x, sigma))


def heun_step(model: Model, x: torch.Tensor, sigma: torch.Tensor | float,
              sigma_next: torch.Tensor | float) -> torch.Tensor:
    """Heun (theorem ``edm.heun``): ``x̃ = x + h d(x, σ)``, ``x + h ½(d(x, σ) + d(x̃, σ'))`` with ``h = σ' - σ``;
    when ``σ' = 0`` (``d`` undefined there) the Euler step ``x + h d(x, σ)``."""
    _check_step(model, x, sigma, sigma_next)
    return _heun(model, x, sigma, sigma_next)


def _heun(model: Model, x: torch.Tensor, sigma: torch.Tensor | float,
          sigma_next: torch.Tensor | float) -> torch.Tensor:
    h = sigma_next - sigma
    d = _to_d(x, sigma, _denoise(model, x, sigma))
    if float(sigma_next) == 0.0:
        return x + h * d
    x_pred = x + h * d
    d2 = _to_d(x_pred, sigma_next, _denoise(model, x_pred, sigma_next))
    return x + h * 0.5 * (d + d2)


def _grid(sigmas: object, x: torch.Tensor) -> torch.Tensor:
    if isinstance(sigmas, torch.Tensor):
        V.tensor(sigmas, "sigmas", ndim=1)
    try:
        sigmas = torch.as_tensor(sigmas, dtype=x.dtype, device=x.device)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"sigmas must be a 1-D tensor or sequence of noise levels, got {V._got(sigmas)}") from None
    if sigmas.ndim != 1 or sigmas.numel() < 2:
        raise ValueError(f"sigmas must be a 1-D grid of at least 2 noise levels, got shape {tuple(sigmas.shape)}")
    V.finite(sigmas, "sigmas")
    if not bool((sigmas[1:] < sigmas[:-1]).all()) or bool((sigmas < 0).any()) or bool((sigmas[:-1] == 0).any()):
        raise ValueError(f"sigmas must be strictly decreasing and positive (a final 0 allowed), got {sigmas.tolist()}")
    return sigmas


def _sample(step: Callable, model: Model, x: torch.Tensor, sigmas: object) -> torch.Tensor:
    V.function(model, "model")
    V.batch(x, "x")
    sigmas = _grid(sigmas, x)
    for i in range(sigmas.numel() - 1):  # validated once above: the unchecked steps
        x = step(model, x, sigmas[i], sigmas[i + 1])
    return x


def sample_euler(model: Model, x: torch.Tensor, sigmas: object) -> torch.Tensor:
    """Euler steps along the grid ``sigmas`` (k-diffusion's ``sample_euler`` without churn)."""
    return _sample(_euler, model, x, sigmas)


def sample_heun(model: Model, x: torch.Tensor, sigmas: object) -> torch.Tensor:
    """Heun steps along the grid ``sigmas`` (k-diffusion's ``sample_heun`` without churn)."""
    return _sample(_heun, model, x, sigmas)


euler_step.ORDER = sample_euler.ORDER = 1  # type: ignore[attr-defined]
heun_step.ORDER = sample_heun.ORDER = 2  # type: ignore[attr-defined]
