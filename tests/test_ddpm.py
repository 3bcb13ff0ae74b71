"""The DDPM checks on the reference implementation, and each check catching a planted bug."""

from __future__ import annotations

import pytest
import torch

from dgmcheck.checks import ddpm as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl.ddpm import GaussianDiffusion
from dgmcheck.impl.schedules import cosine_betas, linear_betas
from tests import _bugs

# property name -> theorem id, as the registry records them
THEOREM_OF = {p.name: p.theorem for p in checks.PROPERTIES}
# Written out (not computed) so the registry's static scan of the markers can read it.
DDPM_IDS = (
    "ddpm.ancestral_sampling",
    "ddpm.elbo_decomposition",
    "ddpm.elbo_equals_dsm",
    "ddpm.eps_mean",
    "ddpm.forward_as_langevin",
    "ddpm.forward_marginal",
    "ddpm.kl_same_variance",
    "ddpm.loss_weight",
    "ddpm.optimal_variance",
    "ddpm.posterior",
    "ddpm.sampling_in_score_form",
    "ddpm.score_reparametrization",
    "ddpm.simple_loss",
    "ddpm.stationary",
)


def _verify_property(name: str, device: torch.device, dtype: torch.dtype) -> None:
    checks.verify_over_schedules(GaussianDiffusion, dtype=dtype, device=device,
                                 properties=[name])


@pytest.mark.theorem("ddpm.forward_marginal")
def test_forward_marginal(device, dtype):
    _verify_property("forward_marginal", device, dtype)


@pytest.mark.theorem("ddpm.stationary")
def test_stationary(device, dtype):
    _verify_property("stationary", device, dtype)


@pytest.mark.theorem("ddpm.forward_as_langevin")
def test_forward_as_langevin(device, dtype):
    _verify_property("forward_as_langevin", device, dtype)


@pytest.mark.theorem("ddpm.posterior")
def test_posterior(device, dtype):
    _verify_property("posterior", device, dtype)


@pytest.mark.theorem("ddpm.eps_mean")
def test_eps_mean(device, dtype):
    _verify_property("eps_mean", device, dtype)


@pytest.mark.theorem("ddpm.optimal_variance")
def test_optimal_variance(device, dtype):
    _verify_property("optimal_variance", device, dtype)


@pytest.mark.theorem("ddpm.kl_same_variance")
def test_kl_same_variance(device, dtype):
    _verify_property("kl_same_variance", device, dtype)


@pytest.mark.theorem("ddpm.loss_weight")
def test_loss_weight(device, dtype):
    _verify_property("loss_weight", device, dtype)


@pytest.mark.theorem("ddpm.simple_loss")
def test_simple_loss(device, dtype):
    _verify_property("simple_loss", device, dtype)


@pytest.mark.theorem("ddpm.elbo_equals_dsm")
def test_elbo_equals_dsm(device, dtype):
    _verify_property("elbo_equals_dsm", device, dtype)


@pytest.mark.theorem("ddpm.elbo_decomposition")
def test_elbo_decomposition(device, dtype):
    _verify_property("elbo_decomposition", device, dtype)


@pytest.mark.theorem("ddpm.ancestral_sampling")
def test_ancestral_step(device, dtype):
    _verify_property("ancestral_step", device, dtype)


@pytest.mark.theorem("ddpm.ancestral_sampling")
def test_sampler_law(device, dtype):
    _verify_property("sampler_law", device, dtype)


@pytest.mark.theorem("ddpm.score_reparametrization")
def test_score_reparametrization(device, dtype):
    _verify_property("score_reparametrization", device, dtype)


@pytest.mark.theorem("ddpm.sampling_in_score_form")
def test_score_form_step(device, dtype):
    _verify_property("score_form_step", device, dtype)


@pytest.mark.theorem(*DDPM_IDS)
@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_verify_named_schedules_at_T_1000(schedule, dtype):
    """The lecture's setting, T = 1000 with the named schedules: every property holds."""
    betas = linear_betas(1000) if schedule == "linear" else cosine_betas(1000)
    report = checks.verify(GaussianDiffusion(betas), dtype=dtype, max_examples=scaled(3))
    assert report.passed == list(checks.PROPERTY_NAMES)


# Planted bugs as data rows: (bug, property whose check must catch it, theorem it must name).
PLANTED = [
    (_bugs.BetaForBetaTilde, "posterior", "ddpm.posterior"),
    (_bugs.AlphaBarOffByOne, "posterior", "ddpm.posterior"),
    (_bugs.SwappedPosteriorCoefficients, "posterior", "ddpm.posterior"),
    (_bugs.ScoreWithoutMinus, "score_reparametrization", "ddpm.score_reparametrization"),
    (_bugs.AlphaBarWithoutSqrt, "forward_marginal", "ddpm.forward_marginal"),
    (_bugs.WeightWithVariance, "loss_weight", "ddpm.loss_weight"),
    (_bugs.LangevinNoiseConvention, "forward_as_langevin", "ddpm.forward_as_langevin"),
    (_bugs.LangevinNoiseConvention, "stationary", "ddpm.stationary"),
    (_bugs.DriftWithoutSqrt, "stationary", "ddpm.stationary"),
    (_bugs.DriftWithoutSqrt, "forward_as_langevin", "ddpm.forward_as_langevin"),
    (_bugs.EpsMeanSlideTypo, "eps_mean", "ddpm.eps_mean"),
    (_bugs.NoiseScaleIsVariance, "ancestral_step", "ddpm.ancestral_sampling"),
    (_bugs.SamplerLoopOffByOne, "sampler_law", "ddpm.ancestral_sampling"),
    (_bugs.KLMissingHalf, "kl_same_variance", "ddpm.kl_same_variance"),
    (_bugs.DecoderWithoutConstant, "elbo_decomposition", "ddpm.elbo_decomposition"),
    (_bugs.PosteriorKLWithBeta, "elbo_decomposition", "ddpm.elbo_decomposition"),
    (_bugs.SimpleLossStdIsVariance, "simple_loss", "ddpm.simple_loss"),
    (_bugs.DSMWithEpsWeight, "elbo_equals_dsm", "ddpm.elbo_equals_dsm"),
    (_bugs.ScoreStepSign, "score_form_step", "ddpm.sampling_in_score_form"),
    (_bugs.VarianceKindsSwapped, "optimal_variance", "ddpm.optimal_variance"),
]


@pytest.mark.planted_bug(*DDPM_IDS)
@pytest.mark.parametrize(("bug", "prop", "theorem"), PLANTED,
                         ids=[f"{b.__name__}-{p}" for b, p, _ in PLANTED])
@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_planted_bug_is_caught(bug, prop, theorem, schedule, dtype):
    """verify() on the bugged class raises a TheoremViolation naming the right theorem."""
    betas = linear_betas(50) if schedule == "linear" else cosine_betas(50)
    with pytest.raises(TheoremViolation) as info:
        checks.verify(bug(betas), dtype=dtype, properties=[prop], shrink=False)
    assert info.value.theorem == theorem
    assert info.value.slide == checks.SLIDES[theorem]


def test_every_property_has_a_planted_bug(request):
    """No check without a bug it is shown to catch, and the marker lists exactly those theorems."""
    assert {p for _, p, _ in PLANTED} == set(checks.PROPERTY_NAMES)
    marker = test_planted_bug_is_caught.pytestmark
    claimed = {i for m in marker if m.name == "planted_bug" for i in m.args}
    assert claimed == {row[2] for row in PLANTED}


def test_violation_message_names_theorem_slide_inputs_and_values():
    with pytest.raises(TheoremViolation) as info:
        checks.verify(_bugs.BetaForBetaTilde(linear_betas(10)), properties=["posterior"], shrink=False)
    text = str(info.value)
    assert text.startswith("[ddpm.posterior]")
    assert '000 L8 "Conditioned Reverse Distribution"' in text
    assert "input t =" in text and "expected:" in text and "observed:" in text


def test_verify_reports_not_applicable_for_missing_methods():
    class OnlyForward:
        def __init__(self):
            self._d = GaussianDiffusion(linear_betas(10))
            self.betas = self._d.betas

        def q_sample(self, x0, t, noise):
            return self._d.q_sample(x0, t, noise)

    report = checks.verify(OnlyForward(), max_examples=scaled(5))
    assert report.results["forward_marginal"].status == "passed"
    assert str(report.results["posterior"]).startswith("not applicable (needs posterior")
    with pytest.raises(TypeError, match="property 'posterior' needs posterior"):
        checks.verify(OnlyForward(), properties=["posterior"])


def test_verify_refuses_bad_candidates():
    with pytest.raises(TypeError, match="betas"):
        checks.verify(object())
    with pytest.raises(ValueError, match=r"candidate.betas must lie in \(0, 1\)"):
        checks.verify(type("C", (), {"betas": torch.tensor([0.1, 1.0])})())
    with pytest.raises(ValueError, match="unknown"):
        checks.verify(GaussianDiffusion(linear_betas(5)), properties=["no_such"])
    with pytest.raises(TypeError, match="provides none"):
        checks.verify(type("C", (), {"betas": torch.tensor([0.1, 0.2])})())


# --------------------------------------------------------------------- narrowing the drawn domain
class _Narrow(GaussianDiffusion):
    """Correct on the domain it supports: features of 2+ dimensions, T <= 8, increasing β only."""

    def __init__(self, betas):
        b = torch.as_tensor(betas)
        if len(b) > 8 or bool((b[1:] < b[:-1]).any()):
            raise ValueError("this model supports T <= 8 and increasing schedules only")
        super().__init__(b)

    def q_sample(self, x0, t, noise):
        if x0.shape[-1] < 2:
            raise ValueError("features must have at least 2 dimensions")
        return super().q_sample(x0, t, noise)


@pytest.mark.theorem("ddpm.forward_marginal")
def test_verify_over_schedules_narrows_T_kinds_and_dims():
    """Code that supports only part of the domain is verified on that part, without a strategy."""
    report = checks.verify_over_schedules(_Narrow, properties=["forward_marginal"], min_T=2, max_T=8,
                                          schedules=["linear", "cosine", "increasing"], min_dim=2,
                                          max_examples=scaled(10))
    assert report.passed == ["forward_marginal"]
    with pytest.raises(TheoremViolation):  # the full domain reaches what it refuses
        checks.verify_over_schedules(_Narrow, properties=["forward_marginal"], max_examples=scaled(25), shrink=False)


@pytest.mark.parametrize("kwargs", [{"min_T": 0}, {"min_T": 5, "max_T": 4}, {"schedules": ["sigmoid"]},
                                    {"schedules": "linear"}, {"min_dim": 3, "max_dim": 2}, {"max_batch": 0}])
def test_verify_over_schedules_rejects_a_bad_domain(kwargs):
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=name):
        checks.verify_over_schedules(GaussianDiffusion, properties=["forward_marginal"], **kwargs)


# --- the sampler-law probe; each check reads the schedule once ---------------------------------------
class MixedStepBatch(GaussianDiffusion):
    """Correct: each ε-model call is led by the same rows at another step (as a sampler that batches two
    chains through one network call does), and the rows of its own step are kept."""

    keep = 1  # which half of the padded call the step uses: the first row's step is not the step

    def sample(self, eps_model, x_T, noises, variance="beta_tilde"):
        x, B = x_T, x_T.shape[0]
        for t in range(self.T, 0, -1):
            tt = torch.full((B,), t, dtype=torch.long, device=x.device)
            both = eps_model(torch.cat([x, x]), torch.cat([torch.full_like(tt, self.T + 1 - t), tt]))
            x = self.reverse_step(x, tt, both[self.keep * B:(self.keep + 1) * B], noises[t - 1], variance)
        return x


class MixedStepBatchWrongHalf(MixedStepBatch):
    """Keeps the padding's rows: ε of step T + 1 - t where step t's belongs."""

    keep = 0


class PaddedBatch(GaussianDiffusion):
    """Correct: each ε-model call carries one padding row more than the batch (a batch rounded up for a
    kernel), so the probe's rows cannot be told apart by position."""

    def sample(self, eps_model, x_T, noises, variance="beta_tilde"):
        x, B = x_T, x_T.shape[0]
        for t in range(self.T, 0, -1):
            tt = torch.full((B + 1,), t, dtype=torch.long, device=x.device)
            eps = eps_model(torch.cat([x, torch.zeros_like(x[:1])]), tt)[:B]
            x = self.reverse_step(x, tt[:B], eps, noises[t - 1], variance)
        return x


class PaddedBatchNoiseOff(PaddedBatch):
    """The padded sampler with its noise variance 50 % too large."""

    def reverse_variance(self, t, x, variance="beta_tilde"):
        return 1.5 * super().reverse_variance(t, x, variance)


@pytest.mark.theorem("ddpm.ancestral_sampling")
@pytest.mark.planted_bug("ddpm.ancestral_sampling")
@pytest.mark.parametrize(("correct", "wrong"), [(MixedStepBatch, MixedStepBatchWrongHalf),
                                                (PaddedBatch, PaddedBatchNoiseOff)], ids=["mixed", "padded"])
def test_sampler_law_serves_eps_calls_on_other_batches(correct, wrong, dtype):
    """The check's ε-model reads one step per call as a scalar when a sampler passes one step for the whole
    batch, and still answers each row at its own step when the steps of a call differ (T even: the two
    steps T + 1 - t and t never meet). A call whose batch is not whole copies of the probe reruns it with
    the offset in every row and holds the law to the a-priori bound. The correct samplers pass; the wrong
    half of a mixed call and a wrong noise variance are caught."""
    report = checks.verify(correct(cosine_betas(30)), dtype=dtype, properties=["sampler_law"],
                           max_examples=scaled(3))
    assert report.passed == ["sampler_law"]
    with pytest.raises(TheoremViolation) as info:
        checks.verify(wrong(cosine_betas(30)), dtype=dtype, properties=["sampler_law"],
                      max_examples=scaled(3), shrink=False)
    assert info.value.theorem == "ddpm.ancestral_sampling"


def test_each_check_reads_the_schedule_once(monkeypatch):
    """Every check validates the candidate's schedule once and its oracles gather from that ``Schedule``
    (a raw β handed to each oracle was validated and multiplied out again per call); the public
    boundary still refuses a bad schedule."""
    import numpy as np

    from dgmcheck.theory import ddpm as th

    T, B, d = 20, 3, 2
    rng = np.random.default_rng(0)
    case = checks.DDPMCase(
        np.array([1, 7, T]), rng.normal(size=(B, d)), rng.normal(size=(B, d)), rng.normal(size=(B, d)),
        dtype=torch.float64, device="cpu",
        extra={"W": rng.uniform(-1, 1, (d, d)), "b_eps": rng.uniform(-1, 1, d), "a": rng.uniform(0.5, 1, T),
         "b_chain": rng.uniform(-0.5, 0.5, T), "v": rng.uniform(0.01, 1, T), "seed": 1, "data_mean": 0.3,
         "data_var": 0.7})
    calls = []
    real = th.validate_betas
    monkeypatch.setattr(th, "validate_betas", lambda b, *a, **k: calls.append(1) or real(b, *a, **k))
    ref = GaussianDiffusion(linear_betas(T))
    for prop in checks.PROPERTIES:
        calls.clear()
        prop.check(ref, case)
        assert len(calls) == 1, prop.name
    bad = type("Bad", (), {"betas": torch.tensor([0.1, 1.0]), "q_sample": ref.q_sample})()
    with pytest.raises(ValueError, match=r"candidate.betas must lie in \(0, 1\)"):
        checks.check_forward_marginal(bad, case)
