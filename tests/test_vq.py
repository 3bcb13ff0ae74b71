"""VQ-VAE: straight-through gradients, codebook/commitment losses (autograd on tiny tensors), the
deterministic posterior's KL and the KL to a uniform prior; planted bugs in each."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dgmcheck.checks import vq as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl.vq import VectorQuantizer
from dgmcheck.theory import vq as th

VQ_IDS = ("vq.straight_through", "vq.losses", "vq.deterministic_posterior_kl", "vae.discrete_kl_uniform")


def _codebook(K=5, L=3, seed=0):
    return torch.randn(K, L, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


class NoStraightThrough(VectorQuantizer):
    """Returns e_{k*} itself: no gradient reaches the encoder."""

    def quantize(self, z_e):
        k = self.nearest(z_e)
        return self.codebook[k], k


class STLeaksToCodebook(VectorQuantizer):
    """z_e + (e - sg[z_e]) - ...: the reconstruction gradient also flows into the codebook."""

    def quantize(self, z_e):
        k = self.nearest(z_e)
        return z_e + (self.codebook[k] - z_e.detach()) - z_e.detach() + z_e.detach(), k


class DetachSwapped(VectorQuantizer):
    """sg on the wrong side: codebook term ‖z_e - sg[e]‖², commitment term ‖sg[z_e] - e‖²."""

    def codebook_loss(self, z_e):
        return ((z_e - self.codebook[self.nearest(z_e)].detach()) ** 2).sum(-1)

    def commitment_loss(self, z_e):
        return ((z_e.detach() - self.codebook[self.nearest(z_e)]) ** 2).sum(-1)


class BetaOnCodebook(VectorQuantizer):
    """β multiplies the codebook term instead of the commitment term."""

    def loss(self, z_e, beta=0.25):
        return beta * self.codebook_loss(z_e) + self.commitment_loss(z_e)


class PosteriorFarthest(VectorQuantizer):
    """argmax of the distance where argmin belongs."""

    def posterior(self, z_e):
        k = torch.cdist(z_e, self.codebook).argmax(-1)
        return torch.nn.functional.one_hot(k, self.K).to(z_e.dtype)


class KLUniformEntropySign(VectorQuantizer):
    """log K + H(q) where log K - H(q) belongs."""

    def kl_uniform(self, q):
        safe = torch.where(q > 0, q, torch.ones_like(q))
        return -(q * safe.log()).sum(-1) + math.log(self.K)


@pytest.mark.theorem(*VQ_IDS)
def test_vector_quantizer(device, dtype):
    vq = VectorQuantizer(_codebook()).to(device=device, dtype=dtype)
    report = checks.verify(vq, dtype=dtype, device=device, max_examples=scaled(6))
    assert report.passed == list(checks.PROPERTY_NAMES)


@pytest.mark.theorem("vae.discrete_kl_uniform", "vq.deterministic_posterior_kl")
def test_kl_uniform_oracle():
    q = np.array([[0.2, 0.0, 0.8], [1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    direct = np.array([sum(p * math.log(p * 3) for p in row if p > 0) for row in q])
    np.testing.assert_allclose(th.kl_to_uniform(q), direct, atol=1e-15)
    assert th.kl_to_uniform(q)[1] == pytest.approx(math.log(3), abs=1e-15)
    assert abs(th.kl_to_uniform(q)[2]) < 1e-15


PLANTED = [
    (NoStraightThrough, "straight_through", "vq.straight_through"),
    (STLeaksToCodebook, "straight_through", "vq.straight_through"),
    (DetachSwapped, "losses", "vq.losses"),
    (BetaOnCodebook, "losses", "vq.losses"),
    (PosteriorFarthest, "deterministic_posterior_kl", "vq.deterministic_posterior_kl"),
    (KLUniformEntropySign, "discrete_kl_uniform", "vae.discrete_kl_uniform"),
]


@pytest.mark.planted_bug(*VQ_IDS)
@pytest.mark.parametrize(("bug", "prop", "theorem"), PLANTED, ids=[b.__name__ for b, *_ in PLANTED])
def test_planted_bug_is_caught(bug, prop, theorem, dtype):
    with pytest.raises(TheoremViolation) as info:
        checks.verify(bug(_codebook()).to(dtype=dtype), dtype=dtype, properties=[prop], shrink=False)
    assert info.value.theorem == theorem
    assert info.value.slide == checks.SLIDES[theorem]


def test_bad_input():
    vq = VectorQuantizer(_codebook())
    with pytest.raises(ValueError, match=r"z_e must have shape \(batch, 3\)"):
        vq.quantize(torch.zeros(2, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match="codebook must be"):
        VectorQuantizer(torch.zeros(3))
    with pytest.raises(TypeError, match="codebook"):
        checks.verify(object())
