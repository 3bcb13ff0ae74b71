"""The score-matching checks on the reference implementation (impl/score.py, NCSN loss of
impl/langevin.py), each check catching a planted bug, and bad input refused."""

from __future__ import annotations

import pytest
import torch

from dgmcheck.checks import score as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl import langevin as lang
from dgmcheck.impl import score as sc
from tests import _score_bugs as bugs

IDS = ("score.unnormalized", "score.noise_kernel_gradient", "score.dsm_equivalence", "score.fisher_divergence",
       "ncsn.weighted_objective")


def _verify(candidate, dtype, device, props, max_examples=3, **kw):
    return checks.verify(candidate, dtype=dtype, device=device, properties=props, max_examples=max_examples, **kw)


@pytest.mark.theorem("score.unnormalized")
def test_unnormalized(device, dtype):
    _verify(bugs.score_candidate(), dtype, device, ["unnormalized"])


@pytest.mark.theorem("score.noise_kernel_gradient")
def test_noise_kernel_gradient(device, dtype):
    _verify(bugs.score_candidate(), dtype, device, ["noise_kernel_gradient"])


@pytest.mark.theorem("score.dsm_equivalence")
def test_dsm_equivalence(device, dtype):
    _verify(bugs.score_candidate(), dtype, device, ["dsm_equivalence"])


@pytest.mark.theorem("score.fisher_divergence")
def test_fisher_divergence(device, dtype):
    _verify(bugs.score_candidate(), dtype, device, ["fisher_divergence"])


@pytest.mark.theorem("ncsn.weighted_objective")
def test_weighted_objective(device, dtype):
    _verify(bugs.score_candidate(), dtype, device, ["weighted_objective"])


@pytest.mark.theorem(*IDS)
def test_verify_runs_every_property():
    report = checks.verify(bugs.score_candidate(), max_examples=scaled(2))
    assert report.passed == list(checks.PROPERTY_NAMES)


PLANTED = [
    ("score_from_log_density", bugs.score_sign_flipped, "unnormalized", "score.unnormalized"),
    ("noise_kernel_score", bugs.noise_kernel_over_sigma, "noise_kernel_gradient", "score.noise_kernel_gradient"),
    ("dsm_loss", bugs.dsm_target_over_sigma_squared, "dsm_equivalence", "score.dsm_equivalence"),
    ("implicit_loss", bugs.implicit_missing_half, "fisher_divergence", "score.fisher_divergence"),
    ("hutchinson_implicit_loss", bugs.hutchinson_missing_half, "fisher_divergence", "score.fisher_divergence"),
    ("ncsn_loss", bugs.ncsn_weight_sigma, "weighted_objective", "ncsn.weighted_objective"),
]


@pytest.mark.planted_bug(*IDS)
@pytest.mark.parametrize(("name", "bug", "prop", "theorem"), PLANTED, ids=[p[1].__name__ for p in PLANTED])
def test_planted_bug_is_caught(name, bug, prop, theorem):
    with pytest.raises(TheoremViolation) as info:
        _verify(bugs.score_candidate(**{name: bug}), torch.float64, "cpu", [prop], max_examples=scaled(20),
                shrink=False)
    assert info.value.theorem == theorem
    assert info.value.slide == checks.SLIDES[theorem]


def test_every_property_has_a_planted_bug():
    assert {p[2] for p in PLANTED} == set(checks.PROPERTY_NAMES)


def test_bad_input_is_refused():
    x = torch.zeros(3, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="sigma must be positive"):
        sc.noise_kernel_score(x, x, 0.0)
    with pytest.raises(ValueError, match="sigma must be positive"):
        sc.dsm_loss(lambda y: y, x, -1.0, x)
    with pytest.raises(ValueError, match=r"sigma must be a scalar or have shape \(3,\)"):
        sc.dsm_target(x, torch.ones(2))
    with pytest.raises(ValueError, match="score_fn returned shape"):
        sc.dsm_loss(lambda y: y[:, :1], x, 1.0, x)
    with pytest.raises(ValueError, match="score_fn returned shape"):
        sc.implicit_loss(lambda y: y.sum(1), x)
    with pytest.raises(ValueError, match="noise has shape"):
        sc.dsm_loss(lambda y: y, x, 1.0, torch.zeros(3, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="log_density must return shape"):
        sc.score_from_log_density(lambda y: y, x)
    sig = torch.tensor([0.5, 1.0], dtype=torch.float64)
    with pytest.raises(ValueError, match="sigmas must be strictly increasing"):
        lang.ncsn_loss(lambda y, s: y, x, sig.flip(0), 1, x)
    with pytest.raises(ValueError, match="sigmas must be positive"):
        lang.ncsn_loss(lambda y, s: y, x, torch.tensor([0.0, 1.0], dtype=torch.float64), 1, x)
    with pytest.raises(ValueError, match="t must lie in"):
        lang.ncsn_loss(lambda y, s: y, x, sig, 3, x)
    with pytest.raises(TypeError, match="none of the score-matching functions"):
        checks.verify(object())


def test_models_and_losses_agree_with_hand_computation():
    """The linear model's DSM loss and implicit loss at one point, by hand."""
    A = torch.tensor([[-2.0, 0.5], [0.0, -1.0]], dtype=torch.float64)
    b = torch.tensor([0.1, -0.2], dtype=torch.float64)
    model = sc.LinearScore(A, b)
    x0 = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    e = torch.tensor([[0.5, -1.0]], dtype=torch.float64)
    s = (x0 + 0.5 * e) @ A.T + b
    assert torch.allclose(sc.dsm_loss(model, x0, 0.5, e), ((s + e / 0.5) ** 2).sum(1))
    assert torch.allclose(sc.implicit_loss(model, x0), 0.5 * (model(x0) ** 2).sum(1) + torch.trace(A))
    mlp = sc.MLPScore(2, 4, torch.Generator().manual_seed(0))
    assert mlp(x0).shape == x0.shape
