"""The course tricks on enumerable laws: the reference functions pass, a planted bug in each is caught."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch

import dgmcheck.impl.tricks as ref
from dgmcheck.checks import tricks as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.theory import tricks as th

TRICK_IDS = ("tricks.log_derivative", "tricks.jensen", "tricks.monte_carlo_unbiased", "tricks.lotus", "tricks.dirac")


def _with(**override):
    """The reference functions with some replaced by a bugged version."""
    names = ("score_surrogate", "log_mean_exp", "mc_mean", "pushforward", "nascent_delta_expectation")
    return types.SimpleNamespace(**{n: override.get(n, getattr(ref, n)) for n in names})


def surrogate_with_prob(log_prob, f):
    """f · p_θ(x) where f · log p_θ(x) belongs (the log of the log-derivative trick dropped)."""
    return f.detach() * log_prob.exp()


def log_sum_exp_over_n(a, dim=-1):
    """logsumexp(a)/n: the 1/n taken outside the log."""
    return torch.logsumexp(a, dim) / a.shape[dim]


def mean_bessel(values, dim=-1):
    """Σ f / (n - 1): a variance's Bessel correction applied to a mean."""
    n = values.shape[dim]
    return values.sum(dim) / max(n - 1, 1)


def pushforward_overwrites(p, f_map, n_out):
    """p_y[f(x)] = p(x) by assignment: when two x share a y, one mass is lost."""
    out = torch.zeros(n_out, dtype=p.dtype, device=p.device)
    out[f_map] = p
    return out


def nascent_delta_sigma_as_variance(f, x0, sigma, n=3):
    """Nodes x0 + σ² ε: the variance σ² used where the standard deviation σ belongs."""
    return ref.nascent_delta_expectation(f, x0, sigma**2, n)


@pytest.mark.theorem(*TRICK_IDS)
def test_reference_tricks(device, dtype):
    report = checks.verify(ref, dtype=dtype, device=device, max_examples=scaled(8))
    assert report.passed == list(checks.PROPERTY_NAMES)


@pytest.mark.theorem("tricks.monte_carlo_unbiased", "tricks.jensen")
def test_oracles_by_hand():
    p, f = np.array([0.2, 0.5, 0.3]), np.array([1.0, -2.0, 4.0])
    assert abs(th.mc_estimator_expectation(p, f, 3, np.mean) - p @ f) < 1e-14
    assert abs(th.mc_estimator_expectation(p, f, 2, np.median) - p @ f) < 1e-14  # n = 2: median = mean
    assert th.mc_estimator_expectation(p, f, 3, np.median) != pytest.approx(p @ f)  # the median is biased
    a = np.array([0.3, -1.0, 2.0])
    assert th.log_mean_exp(a) > a.mean() and th.log_mean_exp(np.full(3, 0.7)) == pytest.approx(0.7, abs=1e-15)


PLANTED = [
    (surrogate_with_prob, "score_surrogate", "log_derivative", "tricks.log_derivative"),
    (log_sum_exp_over_n, "log_mean_exp", "jensen", "tricks.jensen"),
    (mean_bessel, "mc_mean", "monte_carlo_unbiased", "tricks.monte_carlo_unbiased"),
    (pushforward_overwrites, "pushforward", "lotus", "tricks.lotus"),
    (nascent_delta_sigma_as_variance, "nascent_delta_expectation", "dirac", "tricks.dirac"),
]


@pytest.mark.planted_bug(*TRICK_IDS)
@pytest.mark.parametrize(("bug", "name", "prop", "theorem"), PLANTED, ids=[b.__name__ for b, *_ in PLANTED])
def test_planted_bug_is_caught(bug, name, prop, theorem, dtype):
    with pytest.raises(TheoremViolation) as info:
        checks.verify(_with(**{name: bug}), dtype=dtype, properties=[prop], shrink=False)
    assert info.value.theorem == theorem
    assert info.value.slide == checks.SLIDES[theorem]


def test_bad_input():
    with pytest.raises(ValueError, match="f_map must be a long tensor"):
        ref.pushforward(torch.ones(3), torch.zeros(3), 2)
    with pytest.raises(ValueError, match="f_map must lie in"):
        ref.pushforward(torch.ones(3), torch.tensor([0, 1, 5]), 2)
    with pytest.raises(TypeError, match="none of the trick"):
        checks.verify(object())
