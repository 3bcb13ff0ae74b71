"""Realistic bugs planted into the reference latent variable models (used by test_latent)."""

from __future__ import annotations

import math

import torch

from dgmcheck.impl.vae import (
    CategoricalModel,
    DiscreteLatentModel,
    FlowAsVAE,
    FlowPriorVAE,
    GaussianVAE,
    LinearGaussianVAE,
    gaussian_kl,
)


class ELBOPlusKL(LinearGaussianVAE):
    """L = recon + KL: the sign of the KL term flipped."""

    def elbo(self, x, q):
        return self.recon(x, q) + self.kl_prior(q)


class LogMarginalByMode(DiscreteLatentModel):
    """log p(x) ≈ max_z log p(x, z) (the mode instead of the sum over z)."""

    def log_marginal(self, x):
        return self._log_joint(x).max(-1).values


class ReconAtMean(LinearGaussianVAE):
    """E_q log p(x|z) replaced by log p(x | z = E_q z) (the -½ tr(Ψ⁻¹ W S Wᵀ) term dropped)."""

    def recon(self, x, q):
        return self.log_likelihood(x, q[0])


class KLArgumentsSwapped(DiscreteLatentModel):
    """KL(p(z) || q) where KL(q || p(z)) belongs."""

    def kl_prior(self, q):
        return (self.prior * (self.prior.log() - q.clamp_min(1e-300).log())).sum(-1)

    def elbo(self, x, q):
        return self.recon(x, q) - self.kl_prior(q)


class PosteriorWithoutPriorPrecision(LinearGaussianVAE):
    """Posterior precision Wᵀ Ψ⁻¹ W without the prior's I."""

    def posterior(self, x):
        Wp = self.W / self.noise_var[:, None]
        prec = self.W.T @ Wp
        cov = torch.linalg.inv(prec)
        return (x - self.b) @ Wp @ cov, cov.expand(x.shape[0], self.k, self.k)


# --------------------------------------------------------------------------- VAE pieces / KL
class KLFunctions:
    """The reference functions as a candidate (subclassed by the bugs below)."""

    from dgmcheck.impl.vae import categorical_kl, gaussian_kl, rsample

    categorical_kl = staticmethod(categorical_kl)
    gaussian_kl = staticmethod(gaussian_kl)
    rsample = staticmethod(rsample)


class KLLogvarAsLogStd(KLFunctions):
    """σ² = exp(2·logvar): the log-variance read as a log-std."""

    @staticmethod
    def gaussian_kl(mu_q, logvar_q, mu_p, logvar_p):
        return KLFunctions.gaussian_kl(mu_q, 2 * logvar_q, mu_p, 2 * logvar_p)


class KLMissingMinusOne(KLFunctions):
    """½ Σ [log σ_p²/σ_q² + (σ_q² + Δμ²)/σ_p²] without the -1."""

    @staticmethod
    def gaussian_kl(mu_q, logvar_q, mu_p, logvar_p):
        return KLFunctions.gaussian_kl(mu_q, logvar_q, mu_p, logvar_p) + 0.5 * mu_q.shape[-1]


class CrossEntropyAsKL(KLFunctions):
    """-Σ q log p returned as KL(q || p) (the entropy term dropped)."""

    @staticmethod
    def categorical_kl(q, p):
        return -(q * p.log()).sum(-1)


class RsampleLogvarAsLogStd(KLFunctions):
    """z = μ + exp(log σ²) ε: the log-variance used as a log-std."""

    @staticmethod
    def rsample(mu, logvar, eps):
        return mu + torch.exp(logvar) * eps


class RsampleStdDetached(KLFunctions):
    """z = μ + σ.detach() ε: no pathwise gradient reaches log σ²."""

    @staticmethod
    def rsample(mu, logvar, eps):
        return mu + torch.exp(0.5 * logvar).detach() * eps


class EstimatorDecodesMean(GaussianVAE):
    """The one-sample estimator decodes z = μ_φ(x) (the noise never enters)."""

    def elbo_estimate(self, x, eps):
        mu, logvar = self.encode(x)
        return self.log_likelihood(x, mu) - gaussian_kl(mu, logvar)


class LogProbUnnormalized(CategoricalModel):
    """log p_θ(x) = logits[x] (log-softmax missing)."""

    def log_prob(self, x):
        return self.logits[x]


class SurgeryMutualInfoSign(KLFunctions):
    """I_q = H(q_agg) + (1/n) Σ H(q_i): the conditional entropy added instead of subtracted."""

    @staticmethod
    def elbo_surgery(q, prior):
        from dgmcheck.impl.vae import elbo_surgery

        out = dict(elbo_surgery(q, prior))
        ent = -(torch.where(q > 0, q * torch.where(q > 0, q, torch.ones_like(q)).log(), torch.zeros_like(q))).sum(-1)
        out["mutual_information"] = out["mutual_information"] + 2 * ent.mean()
        return out


class OptimalPriorGeometricMean(KLFunctions):
    """The normalized geometric mean of the q_i (a product of experts) as the 'aggregated' prior."""

    @staticmethod
    def optimal_prior(q):
        g = torch.exp(torch.log(q.clamp_min(1e-12)).mean(0))
        return g / g.sum()


class FlowPriorWithoutLogDet(FlowPriorVAE):
    """log p_λ(z) = log N(f_λ(z)) without log|det J_{f_λ}| (an unnormalized prior)."""

    def prior_log_prob(self, z):
        z_star, _ = self.prior_flow.forward(z)
        return -0.5 * (z_star * z_star).sum(-1) - 0.5 * z.shape[-1] * math.log(2 * math.pi)


class FlowPriorEstimatorWithoutEntropy(FlowPriorVAE):
    """log p(x|z) + log p_λ(z) without the -log q(z|x) term."""

    def elbo_estimate(self, x, eps):
        mu, logvar = self.encode(x)
        z = self.rsample(mu, logvar, eps)
        return self.log_likelihood(x, z) + self.prior_log_prob(z)


class FlowAsVAEDecoderIsotropic(FlowAsVAE):
    """Decoder N(f⁻¹(z), σ² I) instead of the pulled-back N(f⁻¹(z), σ² J⁻¹J⁻ᵀ) (its log|det J| lost)."""

    def elbo_estimate(self, x, eps):
        _, log_det = self.flow.forward(x)
        return super().elbo_estimate(x, eps) - log_det
