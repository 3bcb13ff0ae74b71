"""Realistic bugs planted in the GAN / divergence / Wasserstein / metrics reference implementations.

Each is a subclass or a small function that differs from ``dgmcheck.impl.gan`` /
``dgmcheck.impl.metrics`` by one mistake seen in hand-written code.
"""

from __future__ import annotations

import math

import torch

from dgmcheck.impl import metrics as M
from dgmcheck.impl.gan import GAN


class DiscriminatorSwapped(GAN):
    """D* = p_θ/(p_data + p_θ): the probability of 'fake' instead of 'real'."""

    def optimal_discriminator(self, p_data, p_theta):
        return super().optimal_discriminator(p_theta, p_data)


class NonSaturatingValue(GAN):
    """The generator term of V written as the non-saturating loss -log D instead of log(1 - D)."""

    def value(self, p_data, p_theta, D, w=None):
        t = p_data * torch.log(D) - p_theta * torch.log(D)
        return (t if w is None else t * w).sum(-1)


class ValueMeanNotSum(GAN):
    """V averaged over the support points instead of summed against the law (a `.mean()`)."""

    def value(self, p_data, p_theta, D, w=None):
        return super().value(p_data, p_theta, D, w) / p_data.shape[-1]


class JSDLogBase2(GAN):
    """JSD in bits (log base 2) where the theorem (and V = 2 JSD - 2 log 2) uses nats."""

    def jsd(self, p, q, w=None):
        return super().jsd(p, q, w) / math.log(2.0)


class JSDAsSymmetrizedKL(GAN):
    """'Symmetric KL' ½(KL(p‖q) + KL(q‖p)) taken for the JSD (the slide's own parenthetical)."""

    def jsd(self, p, q, w=None):
        return 0.5 * (self.kl(p, q, w) + self.kl(q, p, w))


class KLWithEpsilon(GAN):
    """KL 'stabilised' with log((p + ε)/(q + ε)): finite on disjoint supports."""

    def kl(self, p, q, w=None):
        t = p * torch.log((p + 1e-8) / (q + 1e-8))
        return (t if w is None else t * w).sum(-1)


class W1FromDensities(GAN):
    """W_1 as Σ|p - q|·Δx (the densities, not the CDFs)."""

    def w1_1d(self, x, p, q):
        xs, order = torch.sort(x)
        return ((p[..., order] - q[..., order]).abs()[..., :-1] * torch.diff(xs)).sum(-1)


class W1WithoutSpacing(GAN):
    """W_1 as Σ|F_p - F_q| without the spacing Δx (right only on the integer grid)."""

    def w1_1d(self, x, p, q):
        _, order = torch.sort(x)
        return (torch.cumsum(p[..., order] - q[..., order], -1)[..., :-1]).abs().sum(-1)


class PotentialTwiceSteep(GAN):
    """Critic with slope 2 sign(F_q - F_p): 'attains' 2 W_1 and is not 1-Lipschitz."""

    def kr_potential_1d(self, x, p, q):
        return 2 * super().kr_potential_1d(x, p, q)


class GradientPenaltyBatchNorm(GAN):
    """WGAN-GP with the gradient norm taken over the whole batch instead of per sample."""

    def gradient_penalty(self, critic, real, fake, alpha):
        a = alpha.reshape(-1, *([1] * (real.dim() - 1)))
        xh = (a * real + (1 - a) * fake).detach().requires_grad_(True)
        with torch.enable_grad():
            (g,) = torch.autograd.grad(critic(xh).sum(), xh, create_graph=True)
        return (g.norm() - 1) ** 2


# --------------------------------------------------------------------------- metrics
def _trace_sqrt_commuting(S1, S2):
    A, B = M._psd_sqrt(S1), M._psd_sqrt(S2)
    return torch.diagonal(A @ B, dim1=-2, dim2=-1).sum(-1)


class W2CommutingSqrt(M.Metrics):
    """tr(Σ_1^{1/2} Σ_2^{1/2}) for tr(Σ_1^{1/2} Σ_2 Σ_1^{1/2})^{1/2}: right only if they commute."""

    @staticmethod
    def gaussian_w2(mu1, S1, mu2, S2):
        return ((mu1 - mu2) ** 2).sum(-1) + torch.trace(S1) + torch.trace(S2) - 2 * _trace_sqrt_commuting(S1, S2)


def _fid_from(stats, trace_sqrt):
    def fid(a, b):
        m1, S1 = stats(a)
        m2, S2 = stats(b)
        return ((m1 - m2) ** 2).sum() + torch.trace(S1) + torch.trace(S2) - 2 * trace_sqrt(S1, S2)
    return fid


def _transposed_stats(X):
    """torch.cov(X) treats rows as variables: the (n, n) 'covariance' of the samples."""
    return X.mean(0), torch.cov(X)


def _one_pass_stats(X):
    """Σ = E[xxᵀ] - μμᵀ in one pass (catastrophic cancellation when ‖μ‖ ≫ spread)."""
    n = X.shape[0]
    mu = X.mean(0)
    return mu, (X.mT @ X - n * torch.outer(mu, mu)) / (n - 1)


def _complex_trace_sqrt(S1, S2):
    """sqrtm(Σ_1 Σ_2) by a complex eigen-decomposition, the complex trace kept (no `.real`)."""
    lam = torch.linalg.eigvals(S1 @ S2)
    return lam.sqrt().sum()


def _real_eigs_trace_sqrt(S1, S2):
    """√ of the real parts of eig(Σ_1 Σ_2) with no clamp: NaN when a zero eigenvalue rounds below 0."""
    return torch.linalg.eigvals(S1 @ S2).real.sqrt().sum()


class FIDTransposedCovariance:
    fid = staticmethod(_fid_from(_transposed_stats, M.trace_sqrt_product))


class FIDOnePassCovariance:
    fid = staticmethod(_fid_from(_one_pass_stats, M.trace_sqrt_product))


class FIDComplexSqrtKept:
    fid = staticmethod(_fid_from(M.feature_stats, _complex_trace_sqrt))


class FIDSqrtOfRealEigenvalues:
    fid = staticmethod(_fid_from(M.feature_stats, _real_eigs_trace_sqrt))


class FIDFloat32Accumulation:
    """Features cast to float32 inside (a common `.float()`), whatever the caller's dtype."""

    @staticmethod
    def fid(a, b):
        return M.fid(a.float(), b.float()).to(a.dtype)


class PrecisionRadiusCountsSelf(M.Metrics):
    """k-NN radius with the point itself counted as its first neighbour (k-th → (k-1)-th)."""

    @staticmethod
    def precision_recall(real, fake, k=3):
        def covered(X, S):
            radii = torch.cdist(S, S).kthvalue(k, dim=1).values
            return (torch.cdist(X, S) <= radii[None, :]).any(1).to(X.dtype)
        return covered(fake, real).mean(), covered(real, fake).mean()


class PrecisionRecallSwapped(M.Metrics):
    """Precision and recall returned in the wrong order."""

    @staticmethod
    def precision_recall(real, fake, k=3):
        p, r = M.precision_recall(real, fake, k)
        return r, p
