"""Score matching in PyTorch: scores of unnormalized densities, the noise-kernel score, and the
denoising, explicit and implicit (Hyvärinen) score-matching losses, batched.

Conventions of 000 L6-L7: noised data ``x_σ = x + σ ε``, ``ε ~ N(0, I)``; every loss is returned per
sample (shape ``(batch,)``, summed over the non-batch dimensions) and takes all noise as an argument.
``score_fn(x)`` maps ``(batch, d)`` to ``(batch, d)``. Tensors follow the input's dtype and device.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace

import torch
from torch import nn

from dgmcheck.impl import _validate

ScoreFn = Callable[[torch.Tensor], torch.Tensor]


# --------------------------------------------------------------------------- validation helpers
def per_row(value: object, x: torch.Tensor, name: str) -> torch.Tensor:
    """A positive scalar or ``(batch,)`` tensor as a ``(batch,)`` tensor like ``x``; ValueError naming
    ``name`` when a value is not positive and finite or the shape does not match the batch."""
    _validate.batch(x, "x")
    return _validate.per_row(value, x, name, lo=0.0)


def checked_score(out: object, x: torch.Tensor, name: str = "score_fn") -> torch.Tensor:
    """The output of a score function must be a tensor shaped, typed and placed like ``x``."""
    _validate.floating(x, "x")
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"{name} must return a torch.Tensor, got {type(out).__name__}")
    if out.shape != x.shape:
        raise ValueError(f"{name} returned shape {tuple(out.shape)}; the score of x {tuple(x.shape)} "
                         "must have the shape of x")
    return _validate.like(out, x, f"{name}(x)", "x")


def _batch_col(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return v.reshape((-1,) + (1,) * (x.ndim - 1))


def _sum_nonbatch(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(x.shape[0], -1).sum(dim=1)


# --------------------------------------------------------------------------- scores
def score_from_log_density(log_density: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """score.unnormalized: ``∇_x log p̃(x)`` by autograd, for a possibly unnormalized log-density
    ``log_density(x) -> (batch,)`` (000 L6 "Unnormalized Density": ``∇ log Z = 0``)."""
    _validate.function(log_density, "log_density")
    _validate.batch(x, "x")
    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        out = log_density(xg)
        if not isinstance(out, torch.Tensor) or out.shape != (x.shape[0],):
            raise ValueError(f"log_density must return shape ({x.shape[0]},), got "
                             f"{tuple(getattr(out, 'shape', ()))}")
        (grad,) = torch.autograd.grad(out.sum(), xg)
    return grad


def noise_kernel_score(x_noisy: torch.Tensor, x0: torch.Tensor, sigma: object) -> torch.Tensor:
    """score.noise_kernel_gradient: ``∇_{x_σ} log N(x_σ | x_0, σ² I) = -(x_σ - x_0)/σ²`` (000 L6
    "Denoising Score Matching"); ``sigma`` a positive scalar or one per row."""
    _validate.batch(x_noisy, "x_noisy")
    _validate.batch(x0, "x0", like_=x_noisy, like_name="x_noisy", same_shape=True)
    s = _batch_col(_validate.per_row(sigma, x_noisy, "sigma", lo=0.0), x_noisy)
    return -(x_noisy - x0) / s**2


def dsm_target(noise: torch.Tensor, sigma: object) -> torch.Tensor:
    """The denoising target ``∇ log q(x_σ|x) = -ε/σ`` for ``x_σ = x + σε``."""
    _validate.batch(noise, "noise")
    return -noise / _batch_col(_validate.per_row(sigma, noise, "sigma", lo=0.0), noise)


def dsm_loss(score_fn: ScoreFn, x0: torch.Tensor, sigma: object, noise: torch.Tensor) -> torch.Tensor:
    """score.dsm_equivalence: the per-sample denoising score-matching loss
    ``‖s(x_0 + σε) + ε/σ‖²`` (000 L6 "Denoising Score Matching"), shape ``(batch,)``."""
    _validate.function(score_fn, "score_fn")
    _validate.batch(x0, "x0")
    _validate.batch(noise, "noise", like_=x0, like_name="x0", same_shape=True)
    s = _batch_col(_validate.per_row(sigma, x0, "sigma", lo=0.0), x0)
    x_noisy = x0 + s * noise
    pred = checked_score(score_fn(x_noisy), x_noisy)
    return _sum_nonbatch((pred + noise / s) ** 2)


def explicit_loss(score_fn: ScoreFn, x: torch.Tensor, true_score: torch.Tensor) -> torch.Tensor:
    """The per-sample explicit score-matching loss ``‖s(x) - ∇ log q(x)‖²`` (the Fisher divergence
    without its ½), given the true score at ``x``."""
    _validate.function(score_fn, "score_fn")
    _validate.batch(x, "x")
    _validate.batch(true_score, "true_score", like_=x, like_name="x", same_shape=True)
    return _sum_nonbatch((checked_score(score_fn(x), x) - true_score) ** 2)


def _jacobian_trace(score_fn: ScoreFn, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``s(x)`` and ``tr ∇_x s(x)`` per row, exactly (one backward pass per coordinate)."""
    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        s = checked_score(score_fn(xg), x)
        flat_s = s.reshape(x.shape[0], -1)
        tr = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for i in range(flat_s.shape[1]):
            (g,) = torch.autograd.grad(flat_s[:, i].sum(), xg, retain_graph=True)
            tr = tr + g.reshape(x.shape[0], -1)[:, i]
    return s.detach(), tr.detach()


def implicit_loss(score_fn: ScoreFn, x: torch.Tensor) -> torch.Tensor:
    """score.fisher_divergence: Hyvärinen's per-sample loss ``½‖s(x)‖² + tr ∇_x s(x)``, with
    ``E_q[½‖s‖² + tr ∇s] = ½ E_q‖s - ∇log q‖² - ½ E_q‖∇log q‖²`` (integration by parts)."""
    _validate.function(score_fn, "score_fn")
    _validate.batch(x, "x")
    s, tr = _jacobian_trace(score_fn, x)
    return 0.5 * _sum_nonbatch(s**2) + tr


def hutchinson_implicit_loss(score_fn: ScoreFn, x: torch.Tensor, probe: torch.Tensor) -> torch.Tensor:
    """``½‖s(x)‖² + vᵀ ∇_x s(x) v`` with probe ``v`` (Hutchinson: ``E_v vᵀ A v = tr A`` when
    ``E v vᵀ = I``, e.g. Rademacher or standard normal probes)."""
    _validate.function(score_fn, "score_fn")
    _validate.batch(x, "x")
    _validate.batch(probe, "probe", like_=x, like_name="x", same_shape=True)
    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        s = checked_score(score_fn(xg), x)
        (vjp,) = torch.autograd.grad((s * probe).sum(), xg)  # vᵀ ∇s, row by row
    return 0.5 * _sum_nonbatch(s.detach() ** 2) + _sum_nonbatch(vjp * probe)


# --------------------------------------------------------------------------- score models
class LinearScore(nn.Module):
    """``s_θ(x) = A x + b`` (θ = (A, b)); the exact score family of Gaussian data."""

    def __init__(self, A: torch.Tensor, b: torch.Tensor) -> None:
        super().__init__()
        A = _validate.tensor(A, "A", ndim=2)
        b = _validate.tensor(b, "b", ndim=1, like_=A, like_name="A")
        if A.shape[0] != A.shape[1] or b.shape != A.shape[:1]:
            raise ValueError(f"A must be (d, d) and b (d,), got {tuple(A.shape)}, {tuple(b.shape)}")
        self.A, self.b = nn.Parameter(A.clone()), nn.Parameter(b.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.A.T + self.b


class MLPScore(nn.Module):
    """A tiny MLP score ``s_θ(x) = W_2 tanh(W_1 x + b_1) + b_2`` (θ its weights)."""

    def __init__(self, dim: int, hidden: int = 8, generator: torch.Generator | None = None,
                 scale: float = 1.0, dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        _validate.count(dim, "dim")
        _validate.count(hidden, "hidden")
        if generator is not None:
            _validate.instance(generator, "generator", torch.Generator, "a torch.Generator or None")
        _validate.positive(scale, "scale")
        _validate.dtype_(dtype)
        def draw(*shape: int) -> torch.Tensor:
            return torch.randn(*shape, generator=generator, dtype=dtype) * scale / math.sqrt(shape[-1])
        self.W1, self.b1 = nn.Parameter(draw(hidden, dim)), nn.Parameter(draw(hidden, 1)[:, 0])
        self.W2, self.b2 = nn.Parameter(draw(dim, hidden)), nn.Parameter(draw(dim, 1)[:, 0])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x @ self.W1.T + self.b1) @ self.W2.T + self.b2


def reference_candidate() -> SimpleNamespace:
    """The score-matching functions of this module and NCSN's ``ncsn_loss`` as one candidate object,
    for ``dgmcheck verify dgmcheck.impl.score:reference_candidate --concept score``."""
    from dgmcheck.impl.langevin import ncsn_loss

    return SimpleNamespace(score_from_log_density=score_from_log_density, noise_kernel_score=noise_kernel_score,
                           dsm_loss=dsm_loss, implicit_loss=implicit_loss,
                           hutchinson_implicit_loss=hutchinson_implicit_loss, ncsn_loss=ncsn_loss)
