"""Langevin dynamics in PyTorch: the unadjusted Langevin step and sampler, annealed Langevin, and
NCSN (geometric noise levels, the σ²-weighted denoising objective, annealed sampling).

Step convention (stated once): the lecture's (000 L6 "Langevin Dynamics"), step ``η``,
``x' = x + (η/2) s(x) + √η z``. ``convention="eps"`` selects the other common one, step ``ε``,
``x' = x + ε s(x) + √(2ε) z`` (the same chain with ``η = 2ε``). Every random draw is an argument
(``noise``/``noises``), so each function is deterministic and can be held to an exact oracle.

NCSN follows the lecture's order of levels ``σ_1 < σ_2 < ... < σ_T`` (000 L7 "Noise-Conditioned Score
Network (NCSN)"); its sampler starts at ``σ_T`` and anneals down to ``σ_1``, with Song & Ermon's steps
``η_t = ε σ_t²/σ_1²``. ``score_fn(x, sigma)`` takes ``sigma`` as a ``(batch,)`` tensor like ``x``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from types import SimpleNamespace

import torch

from dgmcheck.impl import _validate
from dgmcheck.impl.score import checked_score

CONVENTIONS = ("eta", "eps")
ScoreFn = Callable[[torch.Tensor], torch.Tensor]
NoiseScoreFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _coefficients(step: object, x: torch.Tensor, convention: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Drift and noise coefficients ``(η/2, √η)`` per row, as columns broadcasting over ``x``."""
    _validate.choice(convention, "convention", CONVENTIONS)
    h = _validate.per_row(step, x, "step", lo=0.0)
    drift, noise = (h / 2, h.sqrt()) if convention == "eta" else (h, (2 * h).sqrt())
    shape = (-1,) + (1,) * (x.ndim - 1)
    return drift.reshape(shape), noise.reshape(shape)


def langevin_step(score_fn: ScoreFn, x: torch.Tensor, step: object, noise: torch.Tensor,
                  convention: str = "eta") -> torch.Tensor:
    """langevin.stationary: one unadjusted Langevin step ``x + (η/2) s(x) + √η z`` ("eta") or
    ``x + ε s(x) + √(2ε) z`` ("eps"); ``step`` positive, scalar or one per row."""
    _validate.function(score_fn, "score_fn")
    _validate.batch(x, "x")
    _validate.batch(noise, "noise", like_=x, like_name="x", same_shape=True)
    a, b = _coefficients(step, x, convention)
    return _step(score_fn, x, a, b, noise)


def _step(score_fn: ScoreFn, x: torch.Tensor, a: torch.Tensor, b: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """The step with its coefficients computed and its inputs validated (the loops' inner step)."""
    return x + a * checked_score(score_fn(x), x) + b * noise


def _noises(noises: torch.Tensor, x: torch.Tensor, lead: int, x_name: str = "x") -> torch.Tensor:
    """``noises`` must be ``(*lead dims, *x.shape)`` with x's dtype and device, finite."""
    _validate.floating(noises, "noises")
    if noises.ndim != x.ndim + lead or noises.shape[lead:] != x.shape:
        raise ValueError(f"noises must have shape ({', '.join(['n'] * lead)}, *{x_name}.shape) = "
                         f"({', '.join(['n'] * lead)}, {', '.join(map(str, x.shape))}), got {tuple(noises.shape)}")
    _validate.like(noises, x, "noises", x_name, same_shape=False)
    if noises.shape[:lead].numel() == 0:
        raise ValueError(f"noises must hold at least one step, got shape {tuple(noises.shape)}")
    return _validate.finite(noises, "noises")


def langevin_sample(score_fn: ScoreFn, x: torch.Tensor, step: object, noises: torch.Tensor,
                    convention: str = "eta", return_path: bool = False) -> torch.Tensor:
    """``len(noises)`` Langevin steps from ``x``; ``noises`` has shape ``(n_steps, *x.shape)``.
    Returns the final state, or the path ``(n_steps + 1, *x.shape)`` with ``return_path=True``."""
    _validate.function(score_fn, "score_fn")
    _validate.batch(x, "x")
    _noises(noises, x, 1)
    _validate.flag(return_path, "return_path")
    a, b = _coefficients(step, x, convention)
    path = [x]
    for z in noises:
        x = _step(score_fn, x, a, b, z)
        path.append(x)
    return torch.stack(path) if return_path else x


def annealed_langevin(score_fn: NoiseScoreFn, x: torch.Tensor, sigmas: torch.Tensor, steps: torch.Tensor,
                      noises: torch.Tensor, convention: str = "eta") -> torch.Tensor:
    """langevin.annealed: Langevin on a sequence of targets, visited in the order of ``sigmas``.

    At level ``i``: ``noises.shape[1]`` steps of size ``steps[i]`` with the score ``score_fn(x, σ_i)``,
    each state handed on to the next level. ``noises``: ``(n_levels, n_steps, *x.shape)``.
    """
    _validate.function(score_fn, "score_fn")
    _validate.batch(x, "x")
    _validate.choice(convention, "convention", CONVENTIONS)
    sigmas, steps = _levels(sigmas, x, "sigmas"), _levels(steps, x, "steps")
    if steps.shape != sigmas.shape:
        raise ValueError(f"steps must have one value per level of sigmas, shape {tuple(sigmas.shape)}, "
                         f"got {tuple(steps.shape)}")
    _noises(noises, x, 2)
    if noises.shape[0] != sigmas.shape[0]:
        raise ValueError(f"noises must have {sigmas.shape[0]} levels on dim 0 (one per level of sigmas), "
                         f"got {noises.shape[0]}")
    return _annealed(score_fn, x, sigmas, steps, noises, convention)


def _annealed(score_fn: NoiseScoreFn, x: torch.Tensor, sigmas: torch.Tensor, steps: torch.Tensor,
              noises: torch.Tensor, convention: str) -> torch.Tensor:
    for sigma, step, level_noises in zip(sigmas, steps, noises, strict=True):
        s_row = sigma.expand(x.shape[0])
        a, b = _coefficients(step, x, convention)
        for z in level_noises:
            x = _step(lambda y, s=s_row: score_fn(y, s), x, a, b, z)
    return x


def _levels(v: object, x: torch.Tensor, name: str) -> torch.Tensor:
    if isinstance(v, torch.Tensor):
        _validate.floating(v, name)
    try:
        t = torch.as_tensor(v, dtype=x.dtype, device=x.device)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{name} must be a 1-D tensor or sequence of positive numbers, got "
                        f"{_validate._got(v)}") from None
    if t.ndim != 1 or t.numel() == 0:
        raise ValueError(f"{name} must be a non-empty 1-D tensor, got shape {tuple(t.shape)}")
    bad = ~(torch.isfinite(t) & (t > 0))
    if bool(bad.any()):
        raise ValueError(f"{name} must be positive and finite, got {float(t[bad][0])}")
    return t


# --------------------------------------------------------------------------- NCSN
def geometric_sigmas(sigma_min: float, sigma_max: float, n_levels: int, *, dtype: torch.dtype = torch.float64,
                     device: torch.device | str = "cpu") -> torch.Tensor:
    """NCSN noise levels ``σ_1 < ... < σ_T``, a geometric sequence from ``sigma_min`` to ``sigma_max``."""
    sigma_min = _validate.positive(sigma_min, "sigma_min")
    if not _validate.positive(sigma_max, "sigma_max") > sigma_min:
        raise ValueError(f"sigma_max must exceed sigma_min = {sigma_min}, got {sigma_max}")
    _validate.count(n_levels, "n_levels")
    _validate.dtype_(dtype)
    _validate.device_(device)
    if n_levels == 1:
        return torch.tensor([sigma_min], dtype=dtype, device=device)
    logs = torch.linspace(math.log(sigma_min), math.log(sigma_max), int(n_levels), dtype=torch.float64)
    return logs.exp().to(dtype=dtype, device=device)


def ncsn_step_sizes(sigmas: torch.Tensor, eps: float) -> torch.Tensor:
    """``η_t = ε σ_t²/σ_1²`` with ``σ_1`` the smallest level (Song & Ermon 2019, Algorithm 1)."""
    ref = sigmas if isinstance(sigmas, torch.Tensor) and sigmas.is_floating_point() else torch.zeros(
        1, dtype=torch.float64)
    sigmas = _levels(sigmas, ref, "sigmas")
    _validate.positive(eps, "eps")
    return _step_sizes(sigmas, eps)


def _step_sizes(sigmas: torch.Tensor, eps: float) -> torch.Tensor:
    return eps * sigmas**2 / sigmas.min() ** 2


def _ascending(sigmas: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    s = _levels(sigmas, x, "sigmas")
    if s.numel() > 1 and bool((s[1:] <= s[:-1]).any()):
        raise ValueError(f"sigmas must be strictly increasing (σ_1 < ... < σ_T, 000 L7), got {s.tolist()}")
    return s


def ncsn_sample(score_fn: NoiseScoreFn, x_init: torch.Tensor, sigmas: torch.Tensor, eps: float,
                noises: torch.Tensor, convention: str = "eta") -> torch.Tensor:
    """ncsn.annealed_sampling: annealed Langevin from ``x_init`` (``~ N(0, σ_T² I)``) over the levels
    ``σ_T, ..., σ_1`` (``sigmas`` ascending), ``noises.shape[1]`` steps per level of size
    ``η_t = ε σ_t²/σ_1²``. ``noises[i]`` drives the i-th level *visited* (``σ_{T-i}``)."""
    _validate.function(score_fn, "score_fn")
    _validate.batch(x_init, "x_init")
    s = _ascending(sigmas, x_init)
    _validate.positive(eps, "eps")
    _validate.choice(convention, "convention", CONVENTIONS)
    _noises(noises, x_init, 2, "x_init")
    if noises.shape[0] != s.shape[0]:
        raise ValueError(f"noises must have {s.shape[0]} levels on dim 0 (one per level of sigmas), "
                         f"got {noises.shape[0]}")
    down = s.flip(0)
    return _annealed(score_fn, x_init, down, _step_sizes(down, eps), noises, convention)


def ncsn_loss(score_fn: NoiseScoreFn, x0: torch.Tensor, sigmas: torch.Tensor, t: object,
              noise: torch.Tensor) -> torch.Tensor:
    """ncsn.weighted_objective: per sample ``λ(σ_t) ‖s(x_t, σ_t) - ∇ log q(x_t|x_0)‖²`` with
    ``x_t = x_0 + σ_t ε``, ``∇ log q(x_t|x_0) = -(x_t - x_0)/σ_t²`` and ``λ(σ) = σ²``: equal to
    ``‖σ_t s(x_t, σ_t) + ε‖²`` (000 L7 "Noise-Conditioned Score Network (NCSN)"). ``t`` in ``1..T``."""
    _validate.function(score_fn, "score_fn")
    _validate.batch(x0, "x0")
    _validate.batch(noise, "noise", like_=x0, like_name="x0", same_shape=True)
    s = _ascending(sigmas, x0)
    steps = _validate.steps(t, s.numel(), x0.shape[0], x0.device)
    sig = s[steps - 1]
    col = sig.reshape((-1,) + (1,) * (x0.ndim - 1))
    xt = x0 + col * noise
    pred = checked_score(score_fn(xt, sig), xt)
    target = -(xt - x0) / col**2
    return sig**2 * (pred - target).reshape(x0.shape[0], -1).pow(2).sum(1)


def reference_candidate(convention: str = "eta") -> SimpleNamespace:
    """The samplers of this module in one step ``convention`` as one candidate object, for
    ``dgmcheck verify dgmcheck.impl.langevin:reference_candidate --concept langevin``. The checks are
    told the step convention by the declaration, not by the object: ``"eps"`` is verified with
    ``conventions=Conventions(langevin_step="eps")`` (``--conventions langevin_step=eps``)."""
    _validate.choice(convention, "convention", CONVENTIONS)
    funcs = {f.__name__: partial(f, convention=convention) for f in
             (langevin_step, langevin_sample, annealed_langevin, ncsn_sample)}
    return SimpleNamespace(geometric_sigmas=geometric_sigmas, **funcs)
