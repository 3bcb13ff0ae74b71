"""The gate of ``tests/_mutate_sample.py`` that the README's mutation-testing section runs
``dgmcheck mutate --run`` against: dgmcheck's DDPM properties, and the test that kills the mutant
they let through (the log-variance no property looks at)."""

from __future__ import annotations

import numpy as np
import torch

from tests._mutate_sample import SmallDiffusion, make


def test_sample_passes_the_ddpm_properties(dgm_verify) -> None:
    report = dgm_verify(make(), concept="ddpm", conventions="steps=zero_based", max_examples=5)
    assert report.passed == ["forward_marginal", "posterior"]


def test_sample_log_variance_is_the_log_of_the_posterior_variance() -> None:
    diffusion = SmallDiffusion(np.linspace(1e-3, 0.2, 20))
    x = torch.zeros(19, 1, dtype=torch.float64)
    t = torch.arange(1, 20)  # t = 0 holds log β̃_2 on purpose (β̃_1 = 0)
    _, variance, log_variance = diffusion.q_posterior_mean_variance(x, x, t)
    torch.testing.assert_close(log_variance, variance.log(), rtol=1e-12, atol=0.0)
