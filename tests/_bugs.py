"""Realistic bugs planted into the reference DDPM, one subclass each (used by the planted-bug tests)."""

from __future__ import annotations

import torch

from dgmcheck.impl.ddpm import GaussianDiffusion, _sum_nonbatch, normal_kl


class BetaForBetaTilde(GaussianDiffusion):
    """Posterior variance β_t where β̃_t belongs."""

    def posterior(self, x_t, x0, t):
        mean, _ = super().posterior(x_t, x0, t)
        return mean, self._at(self.betas, self._steps(t, x_t), x_t)


class AlphaBarOffByOne(GaussianDiffusion):
    """Posterior mean with ᾱ_t where ᾱ_{t-1} belongs (the x_0 coefficient)."""

    def posterior(self, x_t, x0, t):
        t = self._steps(t, x_t)
        c0 = self.alpha_bars.sqrt() * self.betas / self.one_minus_alpha_bars
        ct = self.alphas.sqrt() * self.one_minus_alpha_bars_prev / self.one_minus_alpha_bars
        mean = self._at(c0, t, x_t) * x0 + self._at(ct, t, x_t) * x_t
        return mean, self._at(self.posterior_variances, t, x_t)


class SwappedPosteriorCoefficients(GaussianDiffusion):
    """The coefficients of x_0 and x_t in μ̃_t swapped."""

    def posterior(self, x_t, x0, t):
        return super().posterior(x0, x_t, t)


class ScoreWithoutMinus(GaussianDiffusion):
    """s = ε/√(1-ᾱ_t), as printed on 000 L9."""

    def score_from_eps(self, eps, t):
        return -super().score_from_eps(eps, t)


class AlphaBarWithoutSqrt(GaussianDiffusion):
    """x_t = ᾱ_t x_0 + √(1-ᾱ_t) ε: the square root missing on ᾱ."""

    def q_sample(self, x0, t, noise):
        t = self._steps(t, x0)
        return self._at(self.alpha_bars, t, x0) * x0 + self._at(
            self.one_minus_alpha_bars.sqrt(), t, x0) * noise


class WeightWithVariance(GaussianDiffusion):
    """λ_t from β_t/(√α_t (1-ᾱ_t)) squared: (1-ᾱ_t) where √(1-ᾱ_t) belongs."""

    def loss_weight(self, t, like=None):
        lam = super().loss_weight(t, like)
        t_ = t if isinstance(t, torch.Tensor) else torch.tensor([t])
        return lam / self.one_minus_alpha_bars[t_.cpu() - 1].to(lam)


class LangevinNoiseConvention(GaussianDiffusion):
    """Forward step noise √(2β_t): the √(2η) Langevin convention mixed with the √η one."""

    def q_step(self, x_prev, t, noise):
        t = self._steps(t, x_prev)
        return self._at(self.alphas.sqrt(), t, x_prev) * x_prev + self._at(
            (2 * self.betas).sqrt(), t, x_prev) * noise


class DriftWithoutSqrt(GaussianDiffusion):
    """Forward step x_t = (1-β_t) x_{t-1} + √β_t ε: √ missing on the drift."""

    def q_step(self, x_prev, t, noise):
        t = self._steps(t, x_prev)
        return self._at(self.alphas, t, x_prev) * x_prev + self._at(
            self.betas.sqrt(), t, x_prev) * noise


class EpsMeanSlideTypo(GaussianDiffusion):
    """μ_θ = (x_t - (1-α_t)/√(1-α_t) ε)/√α_t, as printed in seed 001 (bar missing)."""

    def posterior_mean_from_eps(self, x_t, t, eps):
        t = self._steps(t, x_t)
        coef = self.betas / self.betas.sqrt()
        return self._at(self.alphas.rsqrt(), t, x_t) * (x_t - self._at(coef, t, x_t) * eps)


class NoiseScaleIsVariance(GaussianDiffusion):
    """Ancestral step adds β̃_t z instead of √β̃_t z."""

    def reverse_step(self, x_t, t, eps, noise, variance="beta_tilde"):
        t_ = self._steps(t, x_t)
        mean = self.posterior_mean_from_eps(x_t, t_, eps)
        return mean + self.reverse_variance(t_, x_t, variance) * noise


class SamplerLoopOffByOne(GaussianDiffusion):
    """The sampler's loop runs t = T-1..0 and feeds the network t (diffusers-style 0-based) while the
    schedule is indexed 1..T: every step uses the coefficients of the step below."""

    def sample(self, eps_model, x_T, noises, variance="beta_tilde"):
        x = x_T
        for t in range(self.T - 1, -1, -1):
            tt = torch.full((x.shape[0],), max(t, 1), dtype=torch.long, device=x.device)
            x = self.reverse_step(x, tt, eps_model(x, tt), noises[max(t, 1) - 1], variance)
        return x


class KLMissingHalf(GaussianDiffusion):
    """KL of two Gaussians without the ½."""

    def posterior_kl(self, x_t, x0, t, model_mean, model_var):
        return 2 * super().posterior_kl(x_t, x0, t, model_mean, model_var)


class DecoderWithoutConstant(GaussianDiffusion):
    """The decoder log-likelihood with ½ log 2π dropped: the ELBO is then off by a constant."""

    def decoder_log_likelihood(self, x0, model_mean, model_var):
        var = model_var.expand_as(x0)
        return _sum_nonbatch(-0.5 * (torch.log(var) + (x0 - model_mean) ** 2 / var))


class PosteriorKLWithBeta(GaussianDiffusion):
    """The L_t term computed with q's variance β_t where β̃_t belongs."""

    def posterior_kl(self, x_t, x0, t, model_mean, model_var):
        mean, _ = self.posterior(x_t, x0, t)
        var = self.reverse_variance(t, x_t, "beta").expand_as(mean)
        return _sum_nonbatch(normal_kl(mean, var, model_mean, model_var.expand_as(mean)))


class SimpleLossStdIsVariance(GaussianDiffusion):
    """x_t = √ᾱ_t x_0 + (1-ᾱ_t) ε inside the simple loss."""

    def simple_loss(self, eps_model, x0, t, noise):
        t_ = self._steps(t, x0)
        x_t = self._at(self.alpha_bars.sqrt(), t_, x0) * x0 + self._at(
            self.one_minus_alpha_bars, t_, x0) * noise
        return _sum_nonbatch((noise - eps_model(x_t, t_)) ** 2)


class DSMWithEpsWeight(GaussianDiffusion):
    """The DSM term weighted by C_1 = λ_t instead of C_2 = λ_t (1-ᾱ_t)."""

    def dsm_term(self, x0, t, noise, score_pred):
        t_ = self._steps(t, x0)
        return self.loss_weight(t_, x0) * _sum_nonbatch(
            (score_pred - self.score_from_eps(noise, t_)) ** 2)


class ScoreStepSign(GaussianDiffusion):
    """Score-form step x_t/√α_t - β_t/√α_t s: the score's sign flipped in the update."""

    def reverse_step_score(self, x_t, t, score, noise, variance="beta_tilde"):
        return super().reverse_step_score(x_t, t, -score, noise, variance)


class VarianceKindsSwapped(GaussianDiffusion):
    """'beta' and 'beta_tilde' swapped (diffusers' fixed_small/fixed_large mixed up)."""

    def reverse_variance(self, t, like, kind="beta_tilde"):
        swap = {"beta": "beta_tilde", "beta_tilde": "beta"}
        return super().reverse_variance(t, like, swap.get(kind, kind))
