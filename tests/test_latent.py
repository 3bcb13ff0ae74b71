"""The ELBO checks on the reference latent variable models (linear-Gaussian and discrete), each
catching a planted bug, and the impl refusing bad input."""

from __future__ import annotations

import pytest
import torch

from dgmcheck.checks import latent as checks
from dgmcheck.checks import vae as vae_checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl import vae as vae_impl
from dgmcheck.impl.flows import LinearFlow, LUFlow
from dgmcheck.impl.vae import (
    CategoricalModel,
    DiscreteLatentModel,
    FlowAsVAE,
    FlowPriorVAE,
    GaussianVAE,
    LinearGaussianVAE,
)
from tests import _latent_bugs as bugs

ELBO_IDS = ("elbo.bound", "elbo.decomposition", "elbo.recon_minus_kl", "elbo.optimal_q")


def _lg_params(d=3, k=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(d, k, generator=g, dtype=torch.float64), torch.randn(d, generator=g, dtype=torch.float64),
            torch.rand(d, generator=g, dtype=torch.float64) + 0.1)


def _disc_params(K=3, V=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    p, T = torch.rand(K, generator=g, dtype=torch.float64) + 0.05, torch.rand(K, V, generator=g, dtype=torch.float64)
    return p / p.sum(), (T + 0.05) / (T + 0.05).sum(1, keepdim=True)


def _model(kind, cls=None, **kw):
    if kind == "gaussian":
        return (cls or LinearGaussianVAE)(*_lg_params(**kw))
    return (cls or DiscreteLatentModel)(*_disc_params(**kw))


def _verify(model, device, dtype, props, max_examples=6, **kw):
    model.to(device=device, dtype=dtype)
    return checks.verify(model, dtype=dtype, device=device, properties=props, max_examples=max_examples, **kw)


@pytest.mark.theorem("elbo.bound")
@pytest.mark.parametrize("kind", ["gaussian", "discrete"])
def test_bound(kind, device, dtype):
    _verify(_model(kind), device, dtype, ["bound"])


@pytest.mark.theorem("elbo.decomposition")
@pytest.mark.parametrize("kind", ["gaussian", "discrete"])
def test_decomposition(kind, device, dtype):
    _verify(_model(kind), device, dtype, ["decomposition"])


@pytest.mark.theorem("elbo.recon_minus_kl")
@pytest.mark.parametrize("kind", ["gaussian", "discrete"])
def test_recon_minus_kl(kind, device, dtype):
    _verify(_model(kind), device, dtype, ["recon_minus_kl"])


@pytest.mark.theorem("elbo.optimal_q")
@pytest.mark.parametrize("kind", ["gaussian", "discrete"])
def test_optimal_q(kind, device, dtype):
    _verify(_model(kind), device, dtype, ["optimal_q"])


@pytest.mark.theorem(*ELBO_IDS)
def test_verify_runs_every_property_on_ppca_with_one_latent():
    report = checks.verify(LinearGaussianVAE(*_lg_params(d=5, k=1, seed=3)), max_examples=scaled(5))
    assert report.passed == list(checks.PROPERTY_NAMES)


PLANTED = [
    (bugs.ELBOPlusKL, "gaussian", "bound", "elbo.bound"),
    (bugs.LogMarginalByMode, "discrete", "decomposition", "elbo.decomposition"),
    (bugs.ReconAtMean, "gaussian", "recon_minus_kl", "elbo.recon_minus_kl"),
    (bugs.KLArgumentsSwapped, "discrete", "recon_minus_kl", "elbo.recon_minus_kl"),
    (bugs.PosteriorWithoutPriorPrecision, "gaussian", "optimal_q", "elbo.optimal_q"),
]


@pytest.mark.planted_bug(*ELBO_IDS)
@pytest.mark.parametrize(("bug", "kind", "prop", "theorem"), PLANTED, ids=[b.__name__ for b, *_ in PLANTED])
def test_planted_bug_is_caught(bug, kind, prop, theorem, dtype):
    with pytest.raises(TheoremViolation) as info:
        _verify(_model(kind, bug), "cpu", dtype, [prop], max_examples=None, shrink=False)
    assert info.value.theorem == theorem
    assert info.value.slide == checks.SLIDES[theorem]


def test_every_property_has_a_planted_bug():
    assert {p for *_, p, _ in PLANTED} == set(checks.PROPERTY_NAMES)


def test_impl_refuses_bad_input():
    W, b, psi = _lg_params()
    with pytest.raises(ValueError, match="noise_var must be positive"):
        LinearGaussianVAE(W, b, -psi)
    model = LinearGaussianVAE(W, b, psi)
    x = torch.zeros(2, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="latent dimension mismatch"):
        model.elbo(x, (torch.zeros(2, 3, dtype=torch.float64), torch.eye(3, dtype=torch.float64).expand(2, 3, 3)))
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 3\)"):
        model.posterior(torch.zeros(2, 4, dtype=torch.float64))
    p, T = _disc_params()
    with pytest.raises(ValueError, match="likelihood must sum to 1"):
        DiscreteLatentModel(p, T * 2)
    with pytest.raises(ValueError, match="x must lie in"):
        DiscreteLatentModel(p, T).log_marginal(torch.tensor([7]))
    with pytest.raises(TypeError, match="neither"):
        checks.verify(object())


# --------------------------------------------------------------------------- VAE pieces and KL facts
VAE_IDS = ("vae.gaussian_kl", "vae.reparametrization", "vae.elbo_estimator", "divergence.kl_nonnegative",
           "divergence.forward_kl_is_mle", "elbo.surgery", "elbo.optimal_prior", "vae.flow_prior",
           "vae.nf_as_vae")


def _gvae(cls=GaussianVAE, d=3, k=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    return cls(r(d, k), r(d), torch.rand(d, generator=g, dtype=torch.float64) + 0.2, 0.5 * r(k, d), r(k),
               0.3 * r(k, d), r(k))


def _flow_prior_vae(cls=FlowPriorVAE, seed=0, lu=False):
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    A = r(2, 2) + 2 * torch.eye(2, dtype=torch.float64)
    flow = LUFlow.from_weight(A) if lu else LinearFlow(A, r(2))
    return cls(r(3, 2), r(3), torch.rand(3, generator=g, dtype=torch.float64) + 0.2, 0.5 * r(2, 3), r(2),
               0.3 * r(2, 3), r(2), flow)


@pytest.mark.theorem("vae.flow_prior")
@pytest.mark.parametrize("lu", [False, True], ids=["affine", "lu"])
def test_flow_prior(lu, device, dtype):
    _vae_verify(_flow_prior_vae(seed=int(lu), lu=lu), device, dtype, ["flow_prior"])


def _flow_as_vae(cls=FlowAsVAE, sigma=0.5, seed=0):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(3, 3, generator=g, dtype=torch.float64) + 2 * torch.eye(3, dtype=torch.float64)
    return cls(LinearFlow(A, torch.randn(3, generator=g, dtype=torch.float64)), sigma)


@pytest.mark.theorem("vae.nf_as_vae")
@pytest.mark.parametrize("sigma", [1.0, 0.1])
def test_flow_as_vae(sigma, device, dtype):
    _vae_verify(_flow_as_vae(sigma=sigma), device, dtype, ["nf_as_vae"])


@pytest.mark.theorem("vae.nf_as_vae")
def test_flow_as_vae_elbo_tends_to_the_flow_likelihood():
    """ELBO_σ(x) = log p_flow(x) - kσ²/2 ↑ log p_flow(x) as σ → 0 (the δ encoder/decoder)."""
    x = torch.tensor([[0.3, -1.2, 0.5]], dtype=torch.float64)
    eps, w = vae_checks._gh_grid(3)
    gaps = []
    for sigma in (1.0, 0.1, 0.01):
        vae = _flow_as_vae(sigma=sigma)
        est = vae.elbo_estimate(x.expand(len(eps), 3), torch.tensor(eps)).numpy() @ w
        gaps.append(float(vae.flow.log_prob(x)[0]) - est)
    assert gaps == pytest.approx([1.5, 0.015, 0.00015], rel=1e-6)


def _vae_verify(cand, device, dtype, props, max_examples=6, **kw):
    if hasattr(cand, "to"):
        cand.to(device=device, dtype=dtype)
    return vae_checks.verify(cand, dtype=dtype, device=device, properties=props, max_examples=max_examples, **kw)


@pytest.mark.theorem("vae.gaussian_kl", "divergence.kl_nonnegative", "vae.reparametrization", "elbo.surgery",
                     "elbo.optimal_prior")
def test_kl_and_reparametrization_functions(device, dtype):
    _vae_verify(vae_impl, device, dtype, ["gaussian_kl", "kl_nonnegative", "reparametrization", "surgery",
                                          "optimal_prior"])


@pytest.mark.theorem("vae.gaussian_kl", "vae.reparametrization", "vae.elbo_estimator")
@pytest.mark.parametrize("k", [1, 2, 3])
def test_gaussian_vae(k, device, dtype):
    _vae_verify(_gvae(k=k, seed=k), device, dtype, ["gaussian_kl", "reparametrization", "elbo_estimator"])


@pytest.mark.theorem("divergence.forward_kl_is_mle")
def test_forward_kl_is_mle(device, dtype):
    logits = torch.tensor([0.3, -1.0, 2.0, 0.0], dtype=dtype, device=device)
    _vae_verify(CategoricalModel(logits), device, dtype, ["forward_kl_is_mle"])


VAE_PLANTED = [
    (bugs.KLLogvarAsLogStd, "gaussian_kl", "vae.gaussian_kl"),
    (bugs.KLMissingMinusOne, "gaussian_kl", "vae.gaussian_kl"),
    (bugs.CrossEntropyAsKL, "kl_nonnegative", "divergence.kl_nonnegative"),
    (bugs.RsampleLogvarAsLogStd, "reparametrization", "vae.reparametrization"),
    (bugs.RsampleStdDetached, "reparametrization", "vae.reparametrization"),
    (lambda: _gvae(bugs.EstimatorDecodesMean), "elbo_estimator", "vae.elbo_estimator"),
    (lambda: bugs.LogProbUnnormalized(torch.tensor([0.3, -1.0, 2.0, 0.0], dtype=torch.float64)),
     "forward_kl_is_mle", "divergence.forward_kl_is_mle"),
    (bugs.SurgeryMutualInfoSign, "surgery", "elbo.surgery"),
    (bugs.OptimalPriorGeometricMean, "optimal_prior", "elbo.optimal_prior"),
    (lambda: _flow_prior_vae(bugs.FlowPriorWithoutLogDet), "flow_prior", "vae.flow_prior"),
    (lambda: _flow_prior_vae(bugs.FlowPriorEstimatorWithoutEntropy), "flow_prior", "vae.flow_prior"),
    (lambda: _flow_as_vae(bugs.FlowAsVAEDecoderIsotropic), "nf_as_vae", "vae.nf_as_vae"),
]


@pytest.mark.planted_bug(*VAE_IDS)
@pytest.mark.parametrize(("make", "prop", "theorem"), VAE_PLANTED,
                         ids=[f"{p}-{i}" for i, (_, p, _) in enumerate(VAE_PLANTED)])
def test_vae_planted_bug_is_caught(make, prop, theorem, dtype):
    cand = make()
    with pytest.raises(TheoremViolation) as info:
        _vae_verify(cand, "cpu", dtype, [prop], max_examples=None, shrink=False)
    assert info.value.theorem == theorem
    assert info.value.slide == vae_checks.SLIDES[theorem]


def test_every_vae_property_has_a_planted_bug():
    assert {p for _, p, _ in VAE_PLANTED} == set(vae_checks.PROPERTY_NAMES)


def test_vae_impl_refuses_bad_input():
    with pytest.raises(ValueError, match="A and D must have shape"):
        GaussianVAE(*_lg_params(), torch.zeros(3, 3), torch.zeros(2), torch.zeros(2, 3), torch.zeros(2))
    with pytest.raises(ValueError, match="latent dimension"):
        vae_impl.rsample(torch.zeros(2, 2), torch.zeros(2, 2), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="p must be positive"):
        vae_impl.categorical_kl(torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match="prior_flow must act on the latent dimension 2"):
        FlowPriorVAE(*_lg_params(), torch.zeros(2, 3), torch.zeros(2), torch.zeros(2, 3), torch.zeros(2),
                     LinearFlow(torch.eye(3, dtype=torch.float64)))
    with pytest.raises(TypeError, match="none of the VAE"):
        vae_checks.verify(object())
