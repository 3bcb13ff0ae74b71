"""Sharp edges of the checks, each held in place: defaults that must run without arguments, inputs of
the theorem's domain that must not crash (one feature, unequal sample sizes, a weight of any
broadcastable shape, probability vectors without quadrature weights), failures that cross a process
boundary, and a tolerance that must not vanish under a large loss weight."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dgmcheck.checks import _verify, discrete, gan, guidance, metrics, vae
from dgmcheck.checks import ddpm as ddpm_checks
from dgmcheck.checks.errors import CandidateRaised, TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl import guidance as guidance_impl
from dgmcheck.impl import metrics as metrics_impl
from dgmcheck.impl.ddpm import GaussianDiffusion
from dgmcheck.impl.discrete import AbsorbingDiffusion, DiscreteDiffusion
from dgmcheck.impl.gan import GAN
from dgmcheck.impl.vae import gaussian_kl
from dgmcheck.theory import divergences as dv
from dgmcheck.theory import latent
from dgmcheck.theory import metrics as tm

ABSORBING = ("absorbing_posterior", "absorbing_loss", "mask_rate", "mdlm_sampling")


# ------------------------------------------------------------------ verify_over_* without properties=
def _general(chain):
    return DiscreteDiffusion(torch.tensor(chain.Qs), chain.convention)


def _by_kind(chain):
    if chain.kind == "absorbing":
        return AbsorbingDiffusion(torch.tensor(chain.betas), chain.K, chain.mask, chain.convention)
    return _general(chain)


@pytest.mark.theorem("discrete.transition", "discrete.absorbing_loss")
def test_verify_over_chains_runs_every_property_that_applies_by_default():
    general = discrete.verify_over_chains(_general, max_examples=scaled(1), shrink=False)
    assert sorted(general.not_applicable) == sorted(ABSORBING)  # a general kernel has no mask
    assert sorted(general.passed) == sorted(set(discrete.PROPERTY_NAMES) - set(ABSORBING))
    both = discrete.verify_over_chains(_by_kind, max_examples=scaled(1), shrink=False)
    assert sorted(both.passed) == sorted(discrete.PROPERTY_NAMES)
    with pytest.raises(TypeError, match="absorbing_loss"):  # asked for by name, it is refused
        discrete.verify_over_chains(_general, properties=["absorbing_loss"], max_examples=scaled(2))


@pytest.mark.theorem("ddpm.forward_marginal", "ddpm.posterior")
def test_verify_over_schedules_runs_every_property_by_default():
    report = ddpm_checks.verify_over_schedules(GaussianDiffusion, max_T=6, max_examples=scaled(1), shrink=False)
    assert sorted(report.passed) == sorted(ddpm_checks.PROPERTY_NAMES)


# ------------------------------------------------------------------ FID: one feature, n ≠ m
@pytest.mark.theorem("metrics.fid")
def test_fid_of_one_feature_and_unequal_sample_sizes():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(7, 1)), 2.0 * rng.normal(size=(19, 1)) + 1.0
    # 1-D: FID = (μ_X - μ_Y)² + (σ_X - σ_Y)², σ the unbiased standard deviations
    closed = (X.mean() - Y.mean()) ** 2 + (X.std(ddof=1) - Y.std(ddof=1)) ** 2
    assert abs(tm.fid(X, Y) - closed) < 1e-13
    assert abs(float(metrics_impl.fid(torch.tensor(X), torch.tensor(Y))) - closed) < 1e-13
    assert abs(tm.fid(Y, X) - closed) < 1e-13


def _cov(Z: torch.Tensor) -> torch.Tensor:
    return torch.atleast_2d(torch.cov(Z.T))  # torch.cov of one feature is 0-d


def _fid_by_cov(a: torch.Tensor, b: torch.Tensor, cov=_cov) -> torch.Tensor:
    S1, S2 = cov(a), cov(b)
    lam, U = torch.linalg.eigh(S1)
    R = (U * lam.clamp(min=0).sqrt()) @ U.T
    cross = torch.linalg.eigvalsh(R @ S2 @ R).clamp(min=0).sqrt().sum()
    return ((a.mean(0) - b.mean(0)) ** 2).sum() + torch.trace(S1) + torch.trace(S2) - 2 * cross


@pytest.mark.theorem("metrics.fid")
def test_fid_check_passes_a_user_fid_on_one_feature_and_reports_a_crash_as_the_candidates():
    report = metrics.verify(metrics.fid_candidate(_fid_by_cov), properties=["fid"], max_examples=scaled(12))
    assert report.passed == ["fid"]
    with pytest.raises(_verify.VerifyFailed) as info:  # torch.cov's 0-d result of one feature fed to matmul
        metrics.verify(metrics.fid_candidate(lambda a, b: _fid_by_cov(a, b, cov=lambda Z: torch.cov(Z.T))),
                       properties=["fid"], max_examples=scaled(12))
    violation = info.value.violations[0]
    assert isinstance(violation, CandidateRaised) and violation.theorem == "metrics.fid"
    assert str(violation).startswith("[metrics.fid] raised RuntimeError")
    assert violation.inputs  # the drawn case that made it raise


# ------------------------------------------------------------------ CFG: a weight of any broadcastable shape
@pytest.mark.theorem("guidance.classifier_free")
def test_cfg_weight_of_any_broadcastable_shape():
    B = 3
    w = torch.tensor([0.5, 2.0, -1.0], dtype=torch.float64)
    for shape in ((B, 5), (B, 2, 4, 4)):
        s_u, s_c = torch.randn(shape, dtype=torch.float64), torch.randn(shape, dtype=torch.float64)
        col = w.reshape(B, *([1] * (len(shape) - 1)))
        expected = s_u + col * (s_c - s_u)
        for weight in (w, col, col.to(torch.float32)):
            assert torch.allclose(guidance_impl.cfg_score(s_u, s_c, weight), expected, rtol=1e-7, atol=0)
            assert torch.allclose(guidance_impl.cfg_score_one_plus_w(s_u, s_c, weight),
                                  guidance_impl.cfg_score(s_u, s_c, 1 + col), rtol=1e-7, atol=0)
        assert torch.equal(guidance_impl.cfg_eps(s_u, s_c, 2.0), s_u + 2.0 * (s_c - s_u))
        assert torch.equal(guidance_impl.cfg_eps(s_u, s_c, torch.tensor(2.0, dtype=torch.float64)),
                           guidance_impl.cfg_eps(s_u, s_c, 2.0))
        assert torch.equal(guidance_impl.classifier_guided_score(s_u, s_c, col), s_u + col * s_c)
    s = torch.zeros(B, 2, 4, 4, dtype=torch.float64)
    for bad in (torch.ones(B, 5), torch.ones(B, 1)):  # (B, 1) does not broadcast to (B, 2, 4, 4)
        with pytest.raises(ValueError, match=r"w must be a number, shape \(3,\) or a shape broadcastable"):
            guidance_impl.cfg_score(s, s, bad.to(torch.float64))
    with pytest.raises(ValueError, match=r"w must be a scalar or have shape \(3,\)"):  # one per row, not per feature
        guidance_impl.cfg_score(s[:, 0, 0], s[:, 0, 0], torch.ones(4, dtype=torch.float64))
    with pytest.raises(ValueError, match="w must be finite"):
        guidance_impl.cfg_score(s, s, torch.full((B, 1, 1, 1), math.nan, dtype=torch.float64))


class _ColumnCFG:
    """CFG written as ``s_u + w (s_c - s_u)``: the weight must arrive shaped like the scores."""

    @staticmethod
    def cfg_score(s_u, s_c, w):
        if w.ndim != s_u.ndim:
            raise RuntimeError("the weight does not broadcast against the scores")
        return s_u + w * (s_c - s_u)


class _ColumnCFGSwapped(_ColumnCFG):
    @staticmethod
    def cfg_score(s_u, s_c, w):
        return _ColumnCFG.cfg_score(s_c, s_u, w)


@pytest.mark.planted_bug("guidance.classifier_free")
def test_cfg_check_passes_the_weight_in_the_scores_shape_and_still_catches_a_swap():
    report = guidance.verify(_ColumnCFG(), properties=["classifier_free"], max_examples=scaled(10))
    assert report.passed == ["classifier_free"]
    with pytest.raises(TheoremViolation) as info:
        guidance.verify(_ColumnCFGSwapped(), properties=["classifier_free"], max_examples=scaled(10), shrink=False)
    assert info.value.theorem == "guidance.classifier_free"
    assert not isinstance(info.value.violations[0], CandidateRaised)


# ------------------------------------------------------------------ KL of two arbitrary diagonal Gaussians
@pytest.mark.theorem("vae.gaussian_kl")
def test_gaussian_kl_between_two_arbitrary_diagonal_gaussians():
    rng = np.random.default_rng(1)
    mu1, mu2 = rng.normal(size=(2, 4, 3)) * 2
    s1, s2 = rng.uniform(0.1, 3.0, size=(2, 4, 3))
    # KL(N(μ₁,σ₁²) || N(μ₂,σ₂²)) = Σ log(σ₂/σ₁) + (σ₁² + (μ₁-μ₂)²)/(2σ₂²) - ½, in the standard deviations
    by_std = np.sum(np.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - 0.5, -1)
    lv1, lv2 = 2 * np.log(s1), 2 * np.log(s2)
    assert np.allclose(latent.diag_gaussian_kl(mu1, lv1, mu2, lv2), by_std, rtol=1e-13, atol=0)
    got = gaussian_kl(*(torch.tensor(a) for a in (mu1, lv1, mu2, lv2))).numpy()
    assert np.allclose(got, by_std, rtol=1e-13, atol=0)


class _KLStdRatio:
    """σ_q/σ_p where the ratio of the VARIANCES belongs: ½ Σ [lv_p - lv_q + σ_q/σ_p + Δμ²/σ_p² - 1]."""

    @staticmethod
    def gaussian_kl(mu_q, logvar_q, mu_p, logvar_p):
        ratio = torch.exp(0.5 * (logvar_q - logvar_p))
        diff = mu_q - mu_p
        return 0.5 * (ratio + diff * diff * torch.exp(-logvar_p) - 1.0 - (logvar_q - logvar_p)).sum(-1)


@pytest.mark.planted_bug("vae.gaussian_kl")
def test_gaussian_kl_check_catches_the_std_ratio_for_the_variance_ratio():
    with pytest.raises(TheoremViolation) as info:
        vae.verify(_KLStdRatio(), properties=["gaussian_kl"], max_examples=scaled(10), shrink=False)
    assert info.value.theorem == "vae.gaussian_kl"


# ------------------------------------------------------------------ JSD on probability vectors, no weights
class _PlainJSD:
    """``jsd(p, q)`` on probability vectors only (no quadrature-weights argument)."""

    log = staticmethod(torch.log)

    def jsd(self, p, q):
        m = 0.5 * (p + q)

        def kl(a, b):
            return torch.where(a > 0, a * (self.log(torch.where(a > 0, a, 1.0)) - self.log(b)), 0.0).sum(-1)

        return 0.5 * kl(p, m) + 0.5 * kl(q, m)


class _PlainJSDInBits(_PlainJSD):
    log = staticmethod(torch.log2)


@pytest.mark.theorem("divergence.jsd_properties")
def test_jsd_on_probability_vectors_without_quadrature_weights():
    assert dv.jsd([1.0, 0.0], [0.0, 1.0]) == pytest.approx(math.log(2), abs=1e-15)
    assert dv.jsd([0.5, 0.5], [0.5, 0.5]) == 0.0
    p, q = torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64), torch.tensor([0.6, 0.0, 0.4], dtype=torch.float64)
    assert float(GAN().jsd(p, q)) == pytest.approx(dv.jsd(p.numpy(), q.numpy()), rel=1e-14)
    report = gan.verify(_PlainJSD(), properties=["jsd_properties", "disjoint_supports"], max_examples=scaled(15))
    assert sorted(report.passed) == ["disjoint_supports", "jsd_properties"]


@pytest.mark.planted_bug("divergence.jsd_properties")
def test_jsd_check_without_weights_catches_a_jsd_in_bits():
    with pytest.raises(TheoremViolation) as info:
        gan.verify(_PlainJSDInBits(), properties=["jsd_properties"], max_examples=scaled(15), shrink=False)
    assert info.value.theorem == "divergence.jsd_properties"
    assert not isinstance(info.value.violations[0], CandidateRaised)


# ------------------------------------------------------------------ failures cross a process boundary
def test_theorem_violations_survive_a_pickle_round_trip():
    for cls in (TheoremViolation, CandidateRaised):
        e = cls("ddpm.posterior", "posterior mean off", slide='000 L8 "Conditioned Reverse Distribution"',
                inputs={"t": [1, 2], "x": np.ones(2)}, expected=1.0, observed=2.0)
        again = pickle.loads(pickle.dumps(e))
        assert type(again) is cls and str(again) == str(e) and again.args == e.args
        assert (again.theorem, again.message, again.slide) == (e.theorem, e.message, e.slide)
        assert (again.expected, again.observed) == (1.0, 2.0) and again.inputs["t"] == [1, 2]


class _Raises(DiscreteDiffusion):
    def q_step_probs(self, x_prev, t):
        raise ZeroDivisionError("planted")


def test_verify_failed_with_a_raised_candidate_survives_a_pickle_round_trip():
    with pytest.raises(_verify.VerifyFailed) as info:
        discrete.verify_over_chains(lambda c: _Raises(torch.tensor(c.Qs), c.convention), properties=["transition"],
                                    max_examples=scaled(2), shrink=False)
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value) and again.theorem == "discrete.transition"
    assert again.report.failed == ["transition"] and isinstance(again.violations[0], CandidateRaised)


# ------------------------------------------------------------------ MDLM loss: the weight must not zero the tolerance
def _cross_entropy(log_probs: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
    K = log_probs.shape[-1]
    return F.cross_entropy(log_probs.reshape(-1, K), x0.reshape(-1), reduction="none").reshape(x0.shape)


class _CrossEntropyMDLM(AbsorbingDiffusion):
    """The losses through ``F.cross_entropy`` (which renormalises the given log-probabilities)."""

    def mdlm_loss(self, x0, x_t, alpha, dalpha, log_probs):
        masked = torch.where(x_t == self.mask, _cross_entropy(log_probs, x0), 0.0).sum(-1)
        return -dalpha / (1 - alpha) * masked

    def absorbing_loss(self, x0, x_t, t, log_probs):
        rho = self.betas[t - 1] * self.alpha_bars[t - 1] / (1 - self.alpha_bars[t])
        return rho * torch.where(x_t == self.mask, _cross_entropy(log_probs, x0), 0.0).sum(-1)


class _MDLMWithoutOneMinusAlpha(_CrossEntropyMDLM):
    def mdlm_loss(self, x0, x_t, alpha, dalpha, log_probs):
        return super().mdlm_loss(x0, x_t, alpha, dalpha, log_probs) * (1 - alpha)  # w = -α' only


def _mdlm_factory(cls):
    return lambda c: cls(torch.tensor(c.betas), c.K, c.mask, c.convention)


def _one_clean_token_case() -> discrete.DiscreteCase:
    """K = 2, mask 0: the clean token's log-probability is the oracle's rounding of log 1 (one ulp
    below 0), under the MDLM weight -α'/(1-α) = 500 and ρ_1 = 1."""
    one = np.array([1])
    lp = np.array([[[-1e4, -4.440892098500626e-16]]])
    return discrete.DiscreteCase(one, one, np.array([0]), np.array([[1]]), np.array([[0]]), np.array([[0.5, 0.5]]),
                                 np.array([[0.5, 0.5]]), lp, np.full((1, 2, 2), 0.5), np.array([0.5, 0.5]),
                                 np.array([0.99]), np.array([-5.0]), (1.0, 0.0), dtype=torch.float64, device="cpu")


@pytest.mark.theorem("discrete.mask_rate", "discrete.absorbing_loss")
def test_cross_entropy_mdlm_loss_with_one_clean_token_passes():
    candidate = _CrossEntropyMDLM(torch.tensor([0.5], dtype=torch.float64), 2, 0)
    case = _one_clean_token_case()
    assert float(candidate.mdlm_loss(case.tokens(case.X0), case.tokens(case.Xt), case.tensor(case.alpha),
                                     case.tensor(case.dalpha), case.tensor(case.log_probs))) == 0.0
    discrete.check_mask_rate(candidate, case)  # expected 500 · 4.4e-16: the oracle's rounding, amplified
    discrete.check_absorbing_loss(candidate, case)
    # K = 2 with a mask: one clean token, -log p ≈ 0 (rounding only) under a weight up to 500
    one_clean = discrete.absorbing_chains(max_K=2)
    report = discrete.verify_over_chains(_mdlm_factory(_CrossEntropyMDLM), properties=["mask_rate", "absorbing_loss"],
                                         chain_strategy=one_clean, max_examples=scaled(25), shrink=False)
    assert sorted(report.passed) == ["absorbing_loss", "mask_rate"]


@pytest.mark.slow
@pytest.mark.theorem("discrete.mask_rate", "discrete.absorbing_loss")
def test_cross_entropy_mdlm_loss_passes_over_many_drawn_cases():
    report = discrete.verify_over_chains(_mdlm_factory(_CrossEntropyMDLM), properties=["mask_rate", "absorbing_loss"],
                                         max_examples=scaled(250), shrink=False)
    assert sorted(report.passed) == ["absorbing_loss", "mask_rate"]
    assert all(report.results[name].examples >= 200 for name in report.passed)


@pytest.mark.planted_bug("discrete.mask_rate")
def test_mdlm_loss_check_catches_a_weight_without_one_minus_alpha():
    with pytest.raises(TheoremViolation) as info:
        discrete.verify_over_chains(_mdlm_factory(_MDLMWithoutOneMinusAlpha), properties=["mask_rate"],
                                    max_examples=scaled(20), shrink=False)
    assert info.value.theorem == "discrete.mask_rate"
    assert not isinstance(info.value.violations[0], CandidateRaised)
