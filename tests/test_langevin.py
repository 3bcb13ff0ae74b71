"""The Langevin, annealed Langevin and NCSN sampling checks on the reference implementation
(impl/langevin.py) in both step conventions, each check catching planted bugs, bad input refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dgmcheck.checks import langevin as checks
from dgmcheck.checks.conventions import Conventions
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl import langevin as lang
from dgmcheck.theory.gaussian_mixture import GaussianMixture
from tests import _score_bugs as bugs

IDS = ("langevin.stationary", "langevin.annealed", "ncsn.annealed_sampling")


def _verify(candidate, dtype, device, props, max_examples=3, **kw):
    return checks.verify(candidate, dtype=dtype, device=device, properties=props, max_examples=max_examples, **kw)


@pytest.mark.theorem("langevin.stationary")
def test_stationary(device, dtype):
    _verify(bugs.langevin_candidate(), dtype, device, ["stationary"])


@pytest.mark.theorem("langevin.annealed")
def test_annealed(device, dtype):
    _verify(bugs.langevin_candidate(), dtype, device, ["annealed"])


@pytest.mark.theorem("ncsn.annealed_sampling")
def test_ncsn_sampling(device, dtype):
    _verify(bugs.langevin_candidate(), dtype, device, ["ncsn_sampling"])


@pytest.mark.theorem(*IDS)
def test_eps_convention_passes_every_property():
    """``x + ε s + √(2ε) z`` with ``ε = η/2`` is the same chain: the checks accept it when declared."""
    report = checks.verify(bugs.langevin_candidate("eps"), conventions=Conventions(langevin_step="eps"),
                           max_examples=scaled(2))
    assert report.passed == list(checks.PROPERTY_NAMES)
    assert report.conventions.langevin_step == "eps"


@pytest.mark.planted_bug("langevin.stationary")
def test_undeclared_eps_convention_is_caught():
    """The ε-convention step called as if it were the lecture's η-step: a factor 2 in the drift."""
    cand = bugs.langevin_candidate("eps")
    with pytest.raises(TheoremViolation) as info:
        _verify(cand, torch.float64, "cpu", ["stationary"], max_examples=scaled(10), shrink=False)
    assert info.value.theorem == "langevin.stationary"
    assert "langevin_step='eps'" in info.value.report.results["stationary"].hint


PLANTED = [
    ({"langevin_step": bugs.langevin_noise_sqrt_2eta,
      "langevin_sample": bugs.langevin_sample_from(bugs.langevin_noise_sqrt_2eta)}, "stationary",
     "langevin.stationary"),
    ({"langevin_step": bugs.langevin_score_sign_flipped,
      "langevin_sample": bugs.langevin_sample_from(bugs.langevin_score_sign_flipped)}, "stationary",
     "langevin.stationary"),
    ({"annealed_langevin": bugs.annealed_wrong_order}, "annealed", "langevin.annealed"),
    ({"ncsn_sample": bugs.ncsn_step_not_rescaled}, "ncsn_sampling", "ncsn.annealed_sampling"),
    ({"ncsn_sample": bugs.ncsn_wrong_order}, "ncsn_sampling", "ncsn.annealed_sampling"),
]
PLANTED_IDS = ["noise_sqrt_2eta", "score_sign_flipped", "annealed_wrong_order", "ncsn_step_not_rescaled",
               "ncsn_wrong_order"]


@pytest.mark.planted_bug(*IDS)
@pytest.mark.parametrize(("overrides", "prop", "theorem"), PLANTED, ids=PLANTED_IDS)
def test_planted_bug_is_caught(overrides, prop, theorem):
    with pytest.raises(TheoremViolation) as info:
        _verify(bugs.langevin_candidate(**overrides), torch.float64, "cpu", [prop], max_examples=scaled(25),
                shrink=False)
    assert info.value.theorem == theorem
    assert info.value.slide == checks.SLIDES[theorem]


@pytest.mark.planted_bug("langevin.stationary")
def test_sqrt_2eta_is_caught_on_mixtures_by_the_z_test():
    """The one-step moment identity on a mixture target (no affine probe) sees the extra η d alone."""
    mix = GaussianMixture(np.array([0.4, 0.6]), np.array([[-2.0, 0.5], [1.5, -1.0]]),
                          np.array([[[0.5, 0.1], [0.1, 0.3]], [[0.8, 0.0], [0.0, 0.4]]]))
    case = checks.LangevinCase(m=np.zeros(2), C=np.eye(2), eta=0.1, n_steps=1, mu0=np.zeros(2), S0=np.eye(2),
                               sigmas=np.array([1.0]), level_etas=np.array([0.1]), ncsn_eps=0.1, mixture=mix,
                               mc_eta=0.5, seed=7, dtype=torch.float64)
    cand = bugs.langevin_candidate(langevin_step=bugs.langevin_noise_sqrt_2eta)
    with pytest.raises(TheoremViolation, match="η² J"):
        checks._check_mixture_step(cand, case)
    checks._check_mixture_step(bugs.langevin_candidate(), case)


def test_every_property_has_a_planted_bug():
    assert {p[1] for p in PLANTED} == set(checks.PROPERTY_NAMES)


def test_bad_input_is_refused():
    x = torch.zeros(4, 2, dtype=torch.float64)
    z = torch.zeros(3, 4, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="step must be positive"):
        lang.langevin_step(lambda y: -y, x, 0.0, x)
    with pytest.raises(ValueError, match="step must be positive"):
        lang.langevin_sample(lambda y: -y, x, -0.1, z)
    with pytest.raises(ValueError, match="convention must be one of"):
        lang.langevin_step(lambda y: -y, x, 0.1, x, convention="sde")
    with pytest.raises(ValueError, match="score_fn returned shape"):
        lang.langevin_step(lambda y: y[:, :1], x, 0.1, x)
    with pytest.raises(ValueError, match="noises must have shape"):
        lang.langevin_sample(lambda y: -y, x, 0.1, torch.zeros(3, 4, 3, dtype=torch.float64))
    sig = torch.tensor([0.1, 1.0], dtype=torch.float64)
    with pytest.raises(ValueError, match="sigmas must be strictly increasing"):
        lang.ncsn_sample(lambda y, s: -y, x, sig.flip(0), 0.1, torch.zeros(2, 3, 4, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="eps must be positive"):
        lang.ncsn_sample(lambda y, s: -y, x, sig, 0.0, torch.zeros(2, 3, 4, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="noises must have 2 levels"):
        lang.ncsn_sample(lambda y, s: -y, x, sig, 0.1, torch.zeros(3, 3, 4, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="steps must be positive"):
        lang.annealed_langevin(lambda y, s: -y, x, sig, torch.tensor([0.1, -1.0], dtype=torch.float64),
                               torch.zeros(2, 1, 4, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="sigma_max must exceed"):
        lang.geometric_sigmas(1.0, 0.5, 3)
    with pytest.raises(ValueError, match="sigma_min must be positive"):
        lang.geometric_sigmas(0.0, 0.5, 3)
    with pytest.raises(TypeError, match="none of the Langevin functions"):
        checks.verify(object())
