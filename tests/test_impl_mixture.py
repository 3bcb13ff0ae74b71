"""The torch exact-score mixture model (``impl.mixture``) against the float64 oracle
(``theory.gaussian_mixture``) for every noise level; devices/dtypes follow ``x``; bad input is refused.

It is the exact score that the samplers, guidance and NCSN checks run on, so it is held to the
oracle here directly. A planted σ-for-σ² noise variance is caught.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dgmcheck.checks._assert import assert_close
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.strategies import gaussian_mixtures
from dgmcheck.checks.tolerances import exact
from dgmcheck.impl.mixture import GaussianMixtureModel
from dgmcheck.theory.gaussian_mixture import GaussianMixture

SLIDE = '000 L11 "Score-Based Generative Models Through SDEs"'


def _condition(mix: GaussianMixture, x: np.ndarray) -> np.ndarray:
    """Relative-error amplification of the score: the Cholesky solve (κ of each noised covariance)
    plus the softmax of the log-terms, whose absolute error is eps·(quadratic form)."""
    eig = np.linalg.eigvalsh(mix.covs)
    kappa = eig.max() / eig.min()
    quad = np.max([np.sum((x - m) ** 2, axis=-1) / eig.min() for m in mix.means])
    return 1.0 + kappa + quad


def _noised_cases():
    return st.tuples(gaussian_mixtures(max_dim=3, max_components=3), st.floats(0.05, 1.5), st.floats(0.0, 2.0),
                     st.integers(0, 2**31 - 1))


def _check(model: GaussianMixtureModel, mix: GaussianMixture, a: float, s: float, seed: int, dtype, device) -> None:
    x = np.random.default_rng(seed).normal(size=(6, mix.dim)) * 2
    noised = mix.noised(a, s**2)
    xt = torch.tensor(x, dtype=dtype, device=device)
    tol = exact(dtype, _condition(noised, x))
    kw = {"theorem": "score.noise_kernel_gradient", "slide": SLIDE, "tol": tol, "inputs": {"a": a, "s": s}}
    # The score is Σ_k r_k·Σ_k⁻¹(x - a m_k), an average of the per-component terms: the rounding of r_k (the
    # condition's quadratic form) is carried by those terms, which can be far larger than their average
    # (a = 0.15, s = 0 left 0.42 against a bound of 0.25 scaled by |score| alone, with both sides right).
    _, terms = noised._component_terms(x)
    assert_close(model.score(xt, a, s), noised.score(x), what="score",
                 scale=np.abs(noised.score(x)) + np.abs(terms).max(axis=1) + 1, **kw)
    assert_close(model.log_prob(xt, a, s), noised.log_prob(x), what="log p", scale=np.abs(noised.log_prob(x)) + 1,
                 **kw)
    assert_close(model.class_posterior(xt, a, s), noised.responsibilities(x), what="p(k|x)", scale=1.0, **kw)


@pytest.mark.theorem("score.noise_kernel_gradient")
def test_matches_the_oracle_at_every_noise_level(device, dtype):
    @settings(deadline=None)
    @given(case=_noised_cases())
    def run(case):
        mix, a, s, seed = case
        _check(GaussianMixtureModel(mix.weights, mix.means, mix.covs), mix, a, s, seed, dtype, device)

    run()


class _StdAsVariance(GaussianMixtureModel):
    """Planted bug: the noise std ``s`` used where its variance belongs (``a²C + s I`` for ``a²C + s² I``)."""

    def _terms(self, x, scale, std):
        return super()._terms(x, scale, None if std is None else float(std) ** 0.5)


@pytest.mark.planted_bug("score.noise_kernel_gradient")
def test_planted_std_for_variance_is_caught():
    mix = GaussianMixture(np.array([0.4, 0.6]), np.array([[-2.0], [2.5]]), np.array([[[0.5]], [[0.8]]]))
    with pytest.raises(TheoremViolation) as err:
        _check(_StdAsVariance(mix.weights, mix.means, mix.covs), mix, 0.5, 0.7, 1, torch.float64, "cpu")
    assert err.value.theorem == "score.noise_kernel_gradient"


def test_outputs_follow_x(device, dtype):
    model = GaussianMixtureModel([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [np.eye(2), 2 * np.eye(2)])
    x = torch.zeros(3, 2, dtype=dtype, device=device)
    for out in (model.score(x, 0.5, torch.full((3,), 0.3, dtype=dtype, device=device)), model.log_prob(x),
                model.class_posterior(x), model.class_score(x, 1)):
        assert out.dtype == dtype and out.device.type == device.type


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"weights": [0.5, 0.6], "means": [[0.0], [1.0]], "covs": [[[1.0]], [[1.0]]]}, "sum to 1"),
    ({"weights": [1.0], "means": [[0.0, 0.0]], "covs": [[[1.0, 0.0], [0.0, -1.0]]]}, "positive definite"),
    ({"weights": [1.0], "means": [[0.0, 0.0]], "covs": [[[1.0, 0.5], [0.0, 1.0]]]}, "symmetric"),
    ({"weights": [1.0], "means": [0.0], "covs": [[1.0]]}, "shapes"),
])
def test_bad_mixtures_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GaussianMixtureModel(**kwargs)


def test_bad_inputs_are_refused():
    model = GaussianMixtureModel([1.0], [[0.0, 0.0]], [np.eye(2)])
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 2\)"):
        model.score(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="std must be >= 0"):
        model.score(torch.zeros(3, 2), 1.0, -0.1)
    with pytest.raises(ValueError, match=r"scale must be a scalar or have shape \(3,\)"):
        model.score(torch.zeros(3, 2), torch.ones(2), 0.1)
    with pytest.raises(ValueError, match="std must be finite"):
        model.score(torch.zeros(3, 2), 1.0, float("nan"))
    with pytest.raises(ValueError, match="scale must be finite"):
        model.log_prob(torch.zeros(3, 2), float("inf"), 0.5)
    with pytest.raises(TypeError, match="floating"):
        model.score(torch.zeros(3, 2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"k must lie in 0\.\.0"):
        model.class_score(torch.zeros(3, 2), 1)


def test_cached_factors_follow_the_noise_level_and_the_parameters():
    """The per-(a, s) Cholesky cache and the per-dtype casts: calls at alternating noise levels, and after a
    parameter is replaced, agree with a fresh model bit for bit and with the oracle (a cache keyed on the
    wrong value, or kept past a replaced parameter, is caught here)."""
    mix = GaussianMixture(np.array([0.3, 0.7]), np.array([[-1.0, 0.5], [2.0, -0.5]]),
                          np.array([[[1.0, 0.3], [0.3, 0.8]], [[0.5, -0.1], [-0.1, 1.2]]]))
    model = GaussianMixtureModel(mix.weights, mix.means, mix.covs)
    x = torch.tensor(np.random.default_rng(7).normal(size=(5, 2)), dtype=torch.float64)
    for a, s in [(0.9, 0.2), (0.9, 1.1), (0.4, 0.2), (0.9, 0.2), (0.4, 1.1)]:  # a or s shared, in turn
        fresh = GaussianMixtureModel(mix.weights, mix.means, mix.covs).score(x, a, s)
        assert torch.equal(model.score(x, a, s), fresh)
        _check(model, mix, a, s, 3, torch.float64, "cpu")
    moved = GaussianMixture(mix.weights, mix.means + 1.5, mix.covs)
    model.means = torch.as_tensor(moved.means)  # replaced, as a user may: the casts are rebuilt
    _check(model, moved, 0.9, 0.2, 3, torch.float64, "cpu")


class _ScoreOffByRelative(GaussianMixtureModel):
    """Planted bug: the score 1e-3 too large (relative), as a wrongly rounded constant would make it."""

    def score(self, x, scale=None, std=None):
        return super().score(x, scale, std) * (1 + 1e-3)


@pytest.mark.planted_bug("score.noise_kernel_gradient")
def test_float32_bound_with_the_component_terms_still_sees_a_1e_3_score_error():
    mix = GaussianMixture(np.array([0.4, 0.6]), np.array([[-2.0], [2.5]]), np.array([[[0.5]], [[0.8]]]))
    with pytest.raises(TheoremViolation, match="score"):
        _check(_ScoreOffByRelative(mix.weights, mix.means, mix.covs), mix, 0.5, 0.7, 1, torch.float32, "cpu")
