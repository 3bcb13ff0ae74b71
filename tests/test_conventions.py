"""Declared conventions: a correct implementation that follows a convention of real code on purpose
fails without the declaration, gets the right hint, and passes with it; a bug that no convention
explains gets no hint. Also the float32-table tolerance (correct float32 tables pass at 400
examples; a 1e-4 error at t = T is still caught), the report, and parsing."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from dgmcheck.checks import _verify, discrete
from dgmcheck.checks import ddpm as checks
from dgmcheck.checks.conventions import Conventions
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl.discrete import DiscreteDiffusion
from dgmcheck.impl.schedules import cosine_betas, linear_betas
from tests import _bugs
from tests import _convention_models as cm

EXAMPLES = scaled(15)

# (model, declared conventions, properties the convention touches, the hint's key=value)
CASES = [
    (cm.ZeroBased, {"steps": "zero_based"}, ["forward_marginal", "posterior", "ancestral_step"],
     "steps='zero_based'"),
    (cm.Continuous, {"steps": "continuous"}, ["forward_marginal"], "steps='continuous'"),
    (cm.ContinuousNoiseToData, {"steps": "continuous", "time_direction": "noise_to_data"}, ["forward_marginal"],
     "steps='continuous', time_direction='noise_to_data'"),
    (cm.X0Prediction, {"prediction": "x0"}, ["eps_mean", "ancestral_step"], "prediction='x0'"),
    (cm.VPrediction, {"prediction": "v"}, ["eps_mean"], "prediction='v'"),
    (cm.MeanFlatLoss, {"reduction": "mean"}, ["simple_loss"], "reduction='mean'"),
    (cm.BatchMeanLoss, {"batch_reduction": "mean"}, ["simple_loss"], "batch_reduction='mean'"),
    (cm.Bits, {"log_base": "2"}, ["kl_same_variance"], "log_base='2'"),
    (cm.ClippedX0, {"clip_x0": (-1.0, 1.0)}, ["ancestral_step"], "clip_x0=(-1.0, 1.0)"),
    (cm.Float64BetasFloat32Tables, {"table_dtype": "float32"}, ["forward_marginal", "posterior", "eps_mean"],
     "table_dtype='float32'"),
]
IDS = [c[0].__name__ for c in CASES]


@pytest.mark.theorem("ddpm.forward_marginal", "ddpm.posterior", "ddpm.eps_mean", "ddpm.ancestral_sampling",
                     "ddpm.simple_loss", "ddpm.kl_same_variance")
@pytest.mark.parametrize(("model", "declared", "props", "hint"), CASES, ids=IDS)
def test_declared_convention_passes(model, declared, props, hint, dtype):
    report = checks.verify(model(linear_betas(50)), dtype=dtype, properties=props, conventions=declared,
                           max_examples=EXAMPLES)
    assert report.passed == props, report.summary()


@pytest.mark.theorem("ddpm.forward_marginal", "ddpm.posterior", "ddpm.eps_mean", "ddpm.ancestral_sampling",
                     "ddpm.simple_loss", "ddpm.kl_same_variance")
@pytest.mark.parametrize(("model", "declared", "props", "hint"), CASES, ids=IDS)
def test_undeclared_convention_fails_with_the_hint(model, declared, props, hint):
    report = checks.verify(model(linear_betas(50)), properties=props, max_examples=EXAMPLES, shrink=False,
                           raise_on_failure=False)
    assert report.failed, report.summary()
    for name in report.failed:
        text = report.results[name].hint
        assert hint in text, (name, text)
        assert "decide" in text and "bug" in text  # says the same numbers are a bug's too


@pytest.mark.planted_bug("ddpm.forward_marginal", "ddpm.posterior", "ddpm.score_reparametrization")
@pytest.mark.parametrize(("bug", "declared", "prop"), [
    (cm.ZeroBasedWrongSqrt, {"steps": "zero_based"}, "forward_marginal"),
    (_bugs.BetaForBetaTilde, {}, "posterior"),
    (_bugs.AlphaBarOffByOne, {}, "posterior"),
    (_bugs.ScoreWithoutMinus, {}, "score_reparametrization"),
], ids=["zero-based-no-sqrt", "beta-for-beta-tilde", "abar-off-by-one", "score-sign"])
def test_bug_that_no_convention_explains_gets_no_hint(bug, declared, prop):
    with pytest.raises(TheoremViolation) as info:
        checks.verify(bug(linear_betas(50)), properties=[prop], conventions=declared, max_examples=EXAMPLES,
                      shrink=False)
    report = info.value.report
    assert report.failed == [prop]
    assert report.results[prop].hint == "", report.results[prop].hint
    assert "hint:" not in str(info.value)


@pytest.mark.theorem("discrete.transition")
def test_row_layout_declared_passes_and_undeclared_names_the_convention():
    Q = torch.tensor([[0.7, 0.3], [0.1, 0.9]], dtype=torch.float64)  # rows sum to 1, columns do not
    Qs = torch.stack([Q, Q])
    row = DiscreteDiffusion(Qs, convention="row")
    plain = type("RowNoAttr", (), {"Qs": Qs, "q_step_probs": row.q_step_probs, "q_probs": row.q_probs})()
    report = discrete.verify(plain, conventions={"matrix_layout": "row"}, properties=["transition"],
                             max_examples=EXAMPLES)
    assert report.passed == ["transition"]
    with pytest.raises(ValueError, match=r"matrix_layout='row'.*transposed transition matrix"):
        discrete.verify(plain, properties=["transition"], max_examples=EXAMPLES)


# ------------------------------------------------------------------------------- code that draws its own noise
@pytest.mark.theorem("ddpm.forward_marginal", "ddpm.ancestral_sampling")
def test_candidate_that_draws_its_own_noise_needs_no_noise_argument(dtype):
    """``q_sample(x0, t)`` and ``p_sample(x_t, t, eps)`` call ``torch.randn_like`` themselves (0-based
    steps): verify feeds their draws from the check's variates, no ``noise`` argument, no patching."""
    report = checks.verify(cm.DrawsItsOwnNoise(linear_betas(50)), dtype=dtype, conventions="steps=zero_based",
                           max_examples=EXAMPLES)
    assert report.passed == ["forward_marginal", "ancestral_step", "sampler_law"], report.summary()


@pytest.mark.planted_bug("ddpm.forward_marginal")
def test_own_noise_drawn_uniform_is_caught():
    with pytest.raises(TheoremViolation) as info:
        checks.verify(cm.DrawsUniformNoise(linear_betas(50)), conventions="steps=zero_based",
                      properties=["forward_marginal"], max_examples=EXAMPLES, shrink=False)
    assert info.value.theorem == "ddpm.forward_marginal"


@pytest.mark.theorem("ddpm.forward_marginal", "ddpm.ancestral_sampling")
def test_draws_that_cannot_be_matched_are_checked_by_their_law(dtype):
    """Normals from pairs of uniforms and a spare draw: the one-to-one capture cannot feed them, so
    q_sample and the reverse step are held to their Gaussian laws by sampling (rate 1e-9)."""
    report = checks.verify(cm.BoxMullerNoise(linear_betas(50)), conventions="steps=zero_based", dtype=dtype,
                           properties=["forward_marginal", "ancestral_step"], max_examples=scaled(5))
    assert report.passed == ["forward_marginal", "ancestral_step"], report.summary()


@pytest.mark.planted_bug("ddpm.ancestral_sampling")
def test_law_fallback_catches_a_two_percent_variance_excess(dtype):
    """The sample size is derived for a 2 % bias at the 1e-9 false-failure rate (``checks._law``); values are
    standardized in float64 from the output, so a float32 candidate is caught alike."""
    with pytest.raises(TheoremViolation) as info:
        checks.verify(cm.BoxMullerVarianceOff(linear_betas(50)), conventions="steps=zero_based", dtype=dtype,
                      properties=["ancestral_step"], max_examples=scaled(5), shrink=False)
    assert info.value.theorem == "ddpm.ancestral_sampling"
    assert "by its law" in str(info.value) and "z =" in str(info.value)


# ------------------------------------------------------------------------------- float32 tables
@pytest.mark.theorem("ddpm.forward_marginal", "ddpm.posterior", "ddpm.eps_mean")
@pytest.mark.parametrize("schedule", ["linear", "cosine"])
@pytest.mark.parametrize(("run_dtype", "examples"), [
    pytest.param(torch.float64, 400, id="float64-400", marks=pytest.mark.slow),  # the slow tier (.ci/run)
    pytest.param(torch.float32, None, id="float32")])
def test_float32_tables_pass(schedule, run_dtype, examples):
    """Tables derived in float64 and stored in float32 are correct code: the verdict does not depend
    on the number of examples (T = 1000, cosine capped at β = 0.999 included; 400 examples in a
    float64 run, the profile's count in a float32 run)."""
    betas = linear_betas(1000) if schedule == "linear" else cosine_betas(1000)
    report = checks.verify(cm.Float32Tables(betas), dtype=run_dtype, max_examples=examples, shrink=False)
    assert report.passed == ["forward_marginal", "posterior", "eps_mean"], report.summary()


@pytest.mark.planted_bug("ddpm.posterior")
@pytest.mark.parametrize("run_dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_float32_tables_still_catch_a_1e_4_error_at_t_equals_T(run_dtype):
    model = cm.Float32TablesVarianceOff(cosine_betas(1000))
    with pytest.raises(TheoremViolation) as info:
        checks.verify(model, dtype=run_dtype, properties=["posterior"], max_examples=scaled(100), shrink=False)
    assert info.value.theorem == "ddpm.posterior"
    assert info.value.inputs["t"][int(np.argmax(info.value.inputs["t"]))] == 1000


# ------------------------------------------------------------------------------- report and parsing
@pytest.mark.theorem("ddpm.posterior")
def test_report_lists_every_property_and_keeps_going():
    report = checks.verify(_bugs.BetaForBetaTilde(linear_betas(20)), max_examples=scaled(5), shrink=False,
                           raise_on_failure=False)
    assert set(report.results) == set(checks.PROPERTY_NAMES)
    # β for β̃ shows in the posterior and in what is built on it (its KL, the ELBO); the rest passes
    assert report.failed == ["posterior", "kl_same_variance", "elbo_decomposition"], report.summary()
    assert len(report.passed) == len(checks.PROPERTY_NAMES) - 3
    result = report.results["posterior"]
    assert result.examples >= 1 and result.seconds > 0 and result.slide.startswith("000 L8")
    data = report.to_dict()
    assert data["failed"] == report.failed
    failure = next(p for p in data["properties"] if p["name"] == "posterior")
    assert failure["violation"]["inputs"]["t"] and "reproduce" in failure
    assert "posterior" in report.to_markdown()
    # the failure replays from its blob
    with pytest.raises(TheoremViolation):
        checks.verify(_bugs.BetaForBetaTilde(linear_betas(20)), properties=["posterior"],
                      reproduce=tuple(failure["reproduce"]))


@pytest.mark.planted_bug("ddpm.posterior")
def test_verify_failed_pickles_with_its_report():
    with pytest.raises(_verify.VerifyFailed) as info:
        checks.verify(_bugs.BetaForBetaTilde(linear_betas(10)), properties=["posterior"], max_examples=scaled(5),
                      shrink=False)
    again = pickle.loads(pickle.dumps(info.value))
    assert again.theorem == "ddpm.posterior" and again.report.failed == ["posterior"]
    assert str(again) == str(info.value)


def test_conventions_parse_and_refuse():
    c = Conventions.parse("steps=zero_based, reduction=mean, log_base=bits, clip_x0=-1:1")
    assert (c.steps, c.reduction, c.log_base, c.clip_x0) == ("zero_based", "mean", "2", (-1.0, 1.0))
    assert Conventions.parse(["prediction=v_prediction"]).prediction == "v"
    assert Conventions.parse({"matrix_layout": "row"}).matrix_layout == "row"
    with pytest.raises(ValueError, match=r"conventions\.steps must be one of"):
        Conventions(steps="two_based")
    with pytest.raises(ValueError, match="unknown"):
        Conventions.parse("colour=blue")
    with pytest.raises(ValueError, match=r"clip_x0"):
        Conventions(clip_x0=(1.0, -1.0))
    with pytest.raises(TypeError, match=r"conventions must be .* got int 3"):
        Conventions.parse(3)


def test_conventions_from_toml(tmp_path):
    path = tmp_path / "conv.toml"
    path.write_text('[conventions]\nsteps = "zero_based"\nclip_x0 = [-1, 1]\n')
    c = Conventions.parse(str(path))
    assert c.steps == "zero_based" and c.clip_x0 == (-1.0, 1.0)


@pytest.mark.planted_bug("ddpm.posterior")
def test_shrinking_is_capped_and_the_cap_restored():
    """A failing property shrinks for at most the given seconds (the smallest failing example so far
    is reported and replays); Hypothesis's own cap is restored afterwards; bad values are refused."""
    from hypothesis.internal.conjecture import engine

    from dgmcheck.checks import _verify

    before = engine.MAX_SHRINKING_SECONDS
    report = checks.verify(_bugs.BetaForBetaTilde(linear_betas(20)), properties=["posterior"], shrink=0.2,
                           raise_on_failure=False)
    assert report.failed == ["posterior"] and engine.MAX_SHRINKING_SECONDS == before
    replay = checks.verify(_bugs.BetaForBetaTilde(linear_betas(20)), properties=["posterior"],
                           raise_on_failure=False, reproduce=report.results["posterior"].reproduce)
    assert replay.failed == ["posterior"]
    assert _verify.settings_kw(None, 0.5)["_shrink_seconds"] == 0.5
    assert _verify.settings_kw(None, True)["_shrink_seconds"] == _verify.SHRINK_SECONDS
    for bad in (0, -1.0, "2s", None):
        with pytest.raises(ValueError, match="shrink"):
            _verify.settings_kw(None, bad)
