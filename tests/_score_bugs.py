"""Realistic bugs planted into the score-matching and Langevin reference code (used by
tests/test_score.py and tests/test_langevin.py). Each candidate is the reference namespace with one
function replaced."""

from __future__ import annotations

import types

import torch

from dgmcheck.impl import langevin as lang
from dgmcheck.impl import score as sc


def score_candidate(**overrides) -> types.SimpleNamespace:
    """The reference score-matching functions (and ``ncsn_loss``) as one candidate."""
    return types.SimpleNamespace(**(vars(sc.reference_candidate()) | overrides))


def langevin_candidate(convention: str = "eta", **overrides) -> types.SimpleNamespace:
    """The reference Langevin functions in one step ``convention`` ("eta" or "eps")."""
    return types.SimpleNamespace(**(vars(lang.reference_candidate(convention)) | overrides))


# --------------------------------------------------------------------------- score matching
def score_sign_flipped(log_density, x):
    """``-∇ log p̃``: the energy gradient returned as the score."""
    return -sc.score_from_log_density(log_density, x)


def noise_kernel_over_sigma(x_noisy, x0, sigma):
    """``-(x_σ - x_0)/σ`` (as 000 L11 "Score-Based Generative Models Through SDEs" writes it)."""
    return -(x_noisy - x0) / sigma


def dsm_target_over_sigma_squared(score_fn, x0, sigma, noise):
    """DSM target ``-ε/σ²`` where ``-ε/σ`` belongs (``-(x̃ - x)/σ³`` in x-form)."""
    x_noisy = x0 + sigma * noise
    return ((score_fn(x_noisy) + noise / sigma**2) ** 2).sum(-1)


def implicit_missing_half(score_fn, x):
    """Hyvärinen's loss with ``‖s‖²`` where ``½‖s‖²`` belongs."""
    return sc.implicit_loss(score_fn, x) + 0.5 * (score_fn(x) ** 2).sum(-1).detach()


def hutchinson_missing_half(score_fn, x, probe):
    """Hutchinson's form with ``‖s‖²`` where ``½‖s‖²`` belongs."""
    return sc.hutchinson_implicit_loss(score_fn, x, probe) + 0.5 * (score_fn(x) ** 2).sum(-1).detach()


def ncsn_weight_sigma(score_fn, x0, sigmas, t, noise):
    """NCSN weight ``λ(σ) = σ`` instead of ``σ²``."""
    sig = sigmas[torch.as_tensor(t) - 1]
    return lang.ncsn_loss(score_fn, x0, sigmas, t, noise) / sig


# --------------------------------------------------------------------------- Langevin
def langevin_noise_sqrt_2eta(score_fn, x, step, noise):
    """Noise ``√(2η)`` beside the ``η/2`` drift (two conventions mixed)."""
    return x + step / 2 * score_fn(x) + (2 * torch.as_tensor(step, dtype=x.dtype)).sqrt() * noise


def langevin_score_sign_flipped(score_fn, x, step, noise):
    """``x - (η/2) s(x) + √η z``: descending the log-density."""
    return x - step / 2 * score_fn(x) + torch.as_tensor(step, dtype=x.dtype).sqrt() * noise


def langevin_sample_from(step_fn):
    """``langevin_sample`` built on a (buggy) step."""
    def sample(score_fn, x, step, noises):
        for z in noises:
            x = step_fn(score_fn, x, step, z)
        return x
    return sample


def annealed_wrong_order(score_fn, x, sigmas, steps, noises):
    """Levels visited in reverse (noise increasing while sampling)."""
    return lang.annealed_langevin(score_fn, x, sigmas.flip(0), steps.flip(0), noises)


def ncsn_step_not_rescaled(score_fn, x_init, sigmas, eps, noises):
    """The same step ``ε`` at every level instead of ``ε σ_t²/σ_1²``."""
    down = sigmas.flip(0)
    return lang.annealed_langevin(score_fn, x_init, down, torch.full_like(down, eps), noises)


def ncsn_wrong_order(score_fn, x_init, sigmas, eps, noises):
    """Levels visited ``σ_1 → σ_T`` (the 000 L9 recap's "for t = 1, ..., T" read literally)."""
    return lang.annealed_langevin(score_fn, x_init, sigmas, lang.ncsn_step_sizes(sigmas, eps), noises)
