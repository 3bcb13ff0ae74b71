"""The GAN / divergence / Kantorovich-Rubinstein checks on the reference implementation, each check
catching a planted bug, and the impl refusing bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings

from dgmcheck.checks import gan as checks
from dgmcheck.checks._verify import overrides
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl.gan import GAN
from tests import _gan_bugs as bugs

# Written out (not computed) so the registry's static scan of the markers can read it.
GAN_IDS = (
    "divergence.convergence_hierarchy",
    "divergence.disjoint_supports",
    "divergence.jsd_properties",
    "gan.global_optimum",
    "gan.optimal_discriminator",
    "gan.value_at_optimum",
    "wasserstein.kantorovich_rubinstein",
)


def _verify(name: str, device, dtype) -> None:
    report = checks.verify(GAN(), dtype=dtype, device=device, properties=[name], max_examples=scaled(12))
    assert report.passed == [name]


@pytest.mark.theorem("gan.optimal_discriminator")
def test_optimal_discriminator(device, dtype):
    _verify("optimal_discriminator", device, dtype)


@pytest.mark.theorem("gan.value_at_optimum")
def test_value_at_optimum(device, dtype):
    _verify("value_at_optimum", device, dtype)


@pytest.mark.theorem("gan.global_optimum")
def test_global_optimum(device, dtype):
    _verify("global_optimum", device, dtype)


@pytest.mark.theorem("divergence.jsd_properties")
def test_jsd_properties(device, dtype):
    _verify("jsd_properties", device, dtype)


@pytest.mark.theorem("divergence.disjoint_supports")
def test_disjoint_supports(device, dtype):
    _verify("disjoint_supports", device, dtype)


@pytest.mark.theorem("divergence.convergence_hierarchy")
def test_convergence_hierarchy(device, dtype):
    _verify("convergence_hierarchy", device, dtype)


@pytest.mark.theorem("wasserstein.kantorovich_rubinstein")
def test_kantorovich_rubinstein(device, dtype):
    _verify("kantorovich_rubinstein", device, dtype)


@pytest.mark.theorem("wasserstein.kantorovich_rubinstein")
def test_gradient_penalty(device, dtype):
    _verify("gradient_penalty", device, dtype)


@pytest.mark.theorem(*GAN_IDS)
def test_verify_runs_every_property():
    report = checks.verify(GAN(), max_examples=scaled(3))
    assert report.passed == list(checks.PROPERTY_NAMES)
    assert "gan.optimal_discriminator" in report.summary()


# Planted bugs as data rows: (bug, property whose check must catch it, theorem it must name).
PLANTED = [
    (bugs.DiscriminatorSwapped, "optimal_discriminator", "gan.optimal_discriminator"),
    (bugs.ValueMeanNotSum, "value_at_optimum", "gan.value_at_optimum"),
    (bugs.JSDLogBase2, "value_at_optimum", "gan.value_at_optimum"),
    (bugs.NonSaturatingValue, "global_optimum", "gan.global_optimum"),
    (bugs.JSDLogBase2, "jsd_properties", "divergence.jsd_properties"),
    (bugs.JSDAsSymmetrizedKL, "jsd_properties", "divergence.jsd_properties"),
    (bugs.KLWithEpsilon, "disjoint_supports", "divergence.disjoint_supports"),
    (bugs.JSDLogBase2, "disjoint_supports", "divergence.disjoint_supports"),
    (bugs.W1WithoutSpacing, "convergence_hierarchy", "divergence.convergence_hierarchy"),
    (bugs.W1FromDensities, "kantorovich_rubinstein", "wasserstein.kantorovich_rubinstein"),
    (bugs.PotentialTwiceSteep, "kantorovich_rubinstein", "wasserstein.kantorovich_rubinstein"),
    (bugs.GradientPenaltyBatchNorm, "gradient_penalty", "wasserstein.kantorovich_rubinstein"),
]


@pytest.mark.planted_bug(*GAN_IDS)
@pytest.mark.parametrize(("bug", "prop", "theorem"), PLANTED, ids=[f"{b.__name__}-{p}" for b, p, _ in PLANTED])
def test_planted_bug_is_caught(bug, prop, theorem, dtype):
    with pytest.raises(TheoremViolation) as info:
        checks.verify(bug(), dtype=dtype, properties=[prop], shrink=False, max_examples=scaled(25))
    assert info.value.theorem == theorem
    assert info.value.slide == checks.SLIDES[theorem]


@given(case=checks.law_cases(dtype=torch.float64))
@settings(max_examples=scaled(50))
def test_two_drawn_laws_differ_on_distinct_points(case):
    """Hypothesis draws small seeds first: two laws from equal seeds, or edge points that coincide, made most
    early cases p = q or K = 2, where W_1 from the densities equals W_1 from the CDFs (a bug missed under 2 of
    200 seeds). Only the kind ``equal`` has q = p; the support has the drawn number of distinct points."""
    assert np.all(np.diff(case.x) > 0) and len(case.x) == len(case.p) == len(case.q)
    if case.kind in ("random", "sparse"):
        assert not np.allclose(case.p, case.q), case.describe()


@pytest.mark.planted_bug("wasserstein.kantorovich_rubinstein")
@pytest.mark.parametrize("seed", [10_010, 10_014])
def test_w1_from_densities_is_caught_under_the_seeds_that_missed_it(seed):
    with overrides(seed=seed), pytest.raises(TheoremViolation) as info:
        checks.verify(bugs.W1FromDensities(), dtype=torch.float32, properties=["kantorovich_rubinstein"],
                      shrink=False, max_examples=25)
    assert info.value.theorem == "wasserstein.kantorovich_rubinstein"


def test_every_property_has_a_planted_bug():
    assert {p for _, p, _ in PLANTED} == set(checks.PROPERTY_NAMES)
    claimed = {i for m in test_planted_bug_is_caught.pytestmark if m.name == "planted_bug" for i in m.args}
    assert claimed == {row[2] for row in PLANTED}


@pytest.mark.planted_bug("gan.optimal_discriminator")
def test_swapped_discriminator_on_a_fixed_case():
    """Regression case: p_data = (0.9, 0.1), p_θ = (0.1, 0.9): D* = (0.9, 0.1), the bug gives (0.1, 0.9)."""
    case = checks.LawCase(np.array([0.0, 1.0]), np.array([0.9, 0.1]), np.array([0.1, 0.9]),
                          np.array([0.5, 0.5]), dtype=torch.float64)
    checks.check_optimal_discriminator(GAN(), case)
    with pytest.raises(TheoremViolation, match=r"\[gan.optimal_discriminator\]") as info:
        checks.check_optimal_discriminator(bugs.DiscriminatorSwapped(), case)
    assert sorted([float(info.value.expected), float(info.value.observed)]) == pytest.approx([0.1, 0.9])


def test_violation_message_names_theorem_slide_inputs_and_values():
    with pytest.raises(TheoremViolation) as info:
        checks.verify(bugs.JSDLogBase2(), properties=["jsd_properties"], shrink=False)
    text = str(info.value)
    assert text.startswith("[divergence.jsd_properties]")
    assert '000 L5 "GAN Optimality"' in text and "input p =" in text and "expected:" in text


def test_verify_not_applicable_and_bad_candidates():
    class OnlyJSD:
        jsd = GAN().jsd

    report = checks.verify(OnlyJSD(), max_examples=scaled(3))
    assert report.results["jsd_properties"].status == "passed"
    assert str(report.results["value_at_optimum"]).startswith("not applicable (needs value")
    with pytest.raises(TypeError, match="needs value"):
        checks.verify(OnlyJSD(), properties=["value_at_optimum"])
    with pytest.raises(ValueError, match="unknown"):
        checks.verify(GAN(), properties=["no_such"])
    with pytest.raises(TypeError, match="provides none"):
        checks.verify(object())


# --------------------------------------------------------------------------- impl bad input
def test_impl_refuses_bad_laws():
    g = GAN()
    p = torch.tensor([0.5, 0.5], dtype=torch.float64)
    with pytest.raises(ValueError, match="q must sum to 1"):
        g.jsd(p, torch.tensor([0.5, 0.6], dtype=torch.float64))
    with pytest.raises(ValueError, match="p must be non-negative"):
        g.kl(torch.tensor([1.5, -0.5], dtype=torch.float64), p)
    with pytest.raises(ValueError, match="p_data must be finite"):
        g.optimal_discriminator(torch.tensor([math.nan, 1.0], dtype=torch.float64), p)
    with pytest.raises(TypeError, match="p_theta has dtype"):
        g.value(p, p.float(), p)
    with pytest.raises(ValueError, match="D must lie in"):
        g.value(p, p, torch.tensor([0.5, 1.5], dtype=torch.float64))
    with pytest.raises(TypeError, match=r"p must be a torch\.Tensor"):
        g.jsd([0.5, 0.5], p)
    with pytest.raises(ValueError, match="alpha must have shape"):
        g.gradient_penalty(lambda z: z.sum(-1), torch.zeros(3, 2), torch.zeros(3, 2), torch.zeros(2))


def test_impl_follows_device_and_dtype(device, dtype):
    g = GAN()
    p = torch.tensor([0.25, 0.75], dtype=dtype, device=device)
    q = torch.tensor([0.5, 0.5], dtype=dtype, device=device)
    for out in (g.optimal_discriminator(p, q), g.jsd(p, q), g.kl(p, q), g.w1_1d(p, p, q),
                g.value(p, q, g.optimal_discriminator(p, q))):
        assert out.dtype == dtype and out.device.type == torch.device(device).type
