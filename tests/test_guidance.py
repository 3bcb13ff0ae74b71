"""The guidance checks on the reference implementation, planted bugs caught, and bad input refused."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch

from dgmcheck.checks import guidance as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.impl import guidance
from dgmcheck.impl.mixture import GaussianMixtureModel
from dgmcheck.theory import guidance as th
from dgmcheck.theory.gaussian_mixture import GaussianMixture


def _verify(candidate, name, dtype=torch.float64, device="cpu", n=6, shrink=True):
    return checks.verify(candidate, dtype=dtype, device=device, properties=[name], max_examples=n, shrink=shrink)


@pytest.mark.theorem("guidance.classifier")
def test_classifier(device, dtype):
    _verify(guidance, "classifier", dtype, device)


@pytest.mark.theorem("guidance.scale_sharpening")
def test_scale_sharpening(device, dtype):
    _verify(guidance, "scale_sharpening", dtype, device)


@pytest.mark.theorem("guidance.classifier_free")
def test_classifier_free(device, dtype):
    _verify(guidance, "classifier_free", dtype, device)


@pytest.mark.theorem("guidance.classifier", "guidance.scale_sharpening", "guidance.classifier_free")
def test_mixture_guidance_class(dtype):
    """MixtureGuidance on a noised 2-D mixture: γ = 1 gives the conditional score; CFG in both
    conventions gives the exact tilted scores."""
    mix = GaussianMixture(np.array([0.3, 0.7]), np.array([[-1.0, 0.5], [1.5, -0.5]]),
                          np.array([np.eye(2) * 0.5, [[1.0, 0.3], [0.3, 0.6]]]))
    g = guidance.MixtureGuidance(GaussianMixtureModel(mix.weights, mix.means, mix.covs))
    x = np.array([[0.0, 0.0], [1.0, 2.0], [-2.0, 1.0]])
    xt = torch.tensor(x, dtype=dtype)
    noised = mix.noised(0.8, 0.3**2)
    tol = 1e-4 if dtype == torch.float32 else 1e-10
    np.testing.assert_allclose(g.guided_score(xt, 1, 1.0, 0.8, 0.3).double().numpy(),
                               th.component_score(noised, x, 1), rtol=tol, atol=tol)
    np.testing.assert_allclose(g.guided_score(xt, 0, 3.0, 0.8, 0.3).double().numpy(),
                               th.guided_score(noised, x, 0, 3.0), rtol=tol, atol=tol)
    for conv in th.CONVENTIONS:
        np.testing.assert_allclose(g.cfg(xt, 1, 2.0, conv, 0.8, 0.3).double().numpy(),
                                   th.guided_score(noised, x, 1, th.cfg_gamma(2.0, conv)), rtol=tol, atol=tol)


# ------------------------------------------------------------------------------- planted bugs

def _cfg_swapped(s_uncond, s_cond, w):
    """Conditional and unconditional swapped: s_c + w (s_u - s_c)."""
    return guidance.cfg_score(s_cond, s_uncond, w)


def _scale_on_whole_score(score, classifier_grad, gamma=1.0):
    """γ (s + ∇ log p(y|x)): the guidance scale applied to the whole guided score."""
    w = torch.as_tensor(gamma, dtype=score.dtype, device=score.device)
    w = w.reshape(-1, 1) if w.ndim else w
    return w * (score + classifier_grad)


def _classifier_grad_sign(log_probs, x, y):
    """∇ log p(y|x) with the sign flipped (gradient of -log p, as for a loss)."""
    return -guidance.classifier_gradient(log_probs, x, y)


def _one_plus_w_as_w(s_uncond, s_cond, w):
    """The "1 + w" convention implemented as the "w" one."""
    return guidance.cfg_score(s_uncond, s_cond, w)


def _candidate(**overrides):
    names = ("classifier_gradient", "classifier_guided_score", "cfg_score", "cfg_score_one_plus_w", "cfg_eps")
    return types.SimpleNamespace(__name__="planted", **{**{n: getattr(guidance, n) for n in names}, **overrides})


def _caught(candidate, name, theorem, n=10):
    with pytest.raises(TheoremViolation) as err:
        _verify(candidate, name, n=n, shrink=False)
    assert err.value.theorem == theorem


@pytest.mark.planted_bug("guidance.classifier_free")
def test_cfg_swapped_caught():
    _caught(_candidate(cfg_score=_cfg_swapped), "classifier_free", "guidance.classifier_free")


@pytest.mark.planted_bug("guidance.classifier_free")
def test_cfg_convention_confused_caught():
    _caught(_candidate(cfg_score_one_plus_w=_one_plus_w_as_w), "classifier_free", "guidance.classifier_free")


@pytest.mark.planted_bug("guidance.scale_sharpening")
def test_scale_on_whole_score_caught():
    _caught(_candidate(classifier_guided_score=_scale_on_whole_score), "scale_sharpening",
            "guidance.scale_sharpening")


@pytest.mark.planted_bug("guidance.classifier")
def test_classifier_gradient_sign_caught():
    _caught(_candidate(classifier_gradient=_classifier_grad_sign), "classifier", "guidance.classifier")


# --------------------------------------------------------------------------------- bad input

def test_bad_inputs_named():
    s = torch.zeros(3, 2)
    with pytest.raises(ValueError, match="s_cond"):
        guidance.cfg_score(s, torch.zeros(3, 3), 1.0)
    with pytest.raises(ValueError, match="classifier_grad"):
        guidance.classifier_guided_score(s, torch.zeros(2, 2), 1.0)
    with pytest.raises(ValueError, match="gamma"):
        guidance.classifier_guided_score(s, s, torch.ones(2))
    with pytest.raises(ValueError, match="w"):
        guidance.cfg_score_one_plus_w(s, s, torch.ones(4))
    with pytest.raises(ValueError, match="convention"):
        guidance.cfg_eps(s, s, 1.0, "1+w")
    with pytest.raises(ValueError, match="log_probs"):
        guidance.classifier_gradient(lambda z: z.sum(1), s, 0)
    with pytest.raises(ValueError, match="y"):
        guidance.classifier_gradient(lambda z: torch.log_softmax(z, 1), s, 5)
    with pytest.raises(TypeError, match="y"):
        guidance.classifier_gradient(lambda z: torch.log_softmax(z, 1), s, torch.zeros(3))
