"""Realistic bugs planted into the reference discrete diffusion, one subclass each."""

from __future__ import annotations

import itertools

import torch

from dgmcheck.impl.discrete import AbsorbingDiffusion, DiscreteDiffusion, validate_tokens


class PosteriorWithQNotQT(DiscreteDiffusion):
    """The slide's ``Q_t x_t`` (a column of Q_t) where ``Q_tᵀ x_t`` (a row) belongs."""

    def posterior(self, x_t, x0, t):
        x_t = validate_tokens(x_t, self.K, "x_t")
        t = t if isinstance(t, torch.Tensor) else torch.full_like(x0, t)
        t = t.expand(x0.shape) if t.ndim == 0 else t
        col = self._probs_at(self._Qc[t - 1], x_t)
        num = col * self._probs_at(self._cum[t - 1], x0)
        return num / num.sum(-1, keepdim=True)


class PosteriorNotRenormalized(DiscreteDiffusion):
    """``Q_tᵀ x_t ⊙ Q_{1:t-1} x_0`` without the division by ``x_tᵀ Q_{1:t} x_0``."""

    def posterior(self, x_t, x0, t):
        t = t if isinstance(t, torch.Tensor) else torch.full_like(x0, t)
        t = t.expand(x0.shape) if t.ndim == 0 else t
        row = self._Qc[t - 1].gather(-2, x_t[..., None, None].expand(*x_t.shape, 1, self.K))[..., 0, :]
        return row * self._probs_at(self._cum[t - 1], x0)


class CumulativeWrongOrder(DiscreteDiffusion):
    """``Q_1 Q_2 ⋯ Q_t`` in the column convention (the row convention's order)."""

    def __init__(self, Qs, convention="column"):
        super().__init__(Qs, convention)
        cum = [torch.eye(self.K, dtype=self.dtype, device=self.device)]
        for s in range(self.T):
            cum.append(cum[-1] @ self._Qc[s])
        self._cum = torch.stack(cum)


class TransitionReadsRow(DiscreteDiffusion):
    """``q(x_t | x_{t-1} = j)`` read from row j of the column-convention matrix."""

    def q_step_probs(self, x_prev, t):
        t = t if isinstance(t, torch.Tensor) else torch.full_like(x_prev, t)
        return self._Qc[t - 1].gather(-2, x_prev[..., None, None].expand(*x_prev.shape, 1, self.K))[..., 0, :]


class StationaryOfTranspose(DiscreteDiffusion):
    """The eigenvector of ``Q_tᵀ`` (a left eigenvector: always uniform) where Q_t's belongs."""

    def stationary(self):
        return torch.full((self.K,), 1.0 / self.K, dtype=self.dtype, device=self.device)


class KLArgumentsSwapped(DiscreteDiffusion):
    """``KL(p || q)`` where ``KL(q || p)`` belongs (q with zeros makes it infinite or off)."""

    @staticmethod
    def categorical_kl(q, p):
        return DiscreteDiffusion.categorical_kl(p, q.clamp_min(1e-30))


class SequencePosteriorJointNorm(DiscreteDiffusion):
    """Sequence posterior normalized over the whole flattened sequence, not per position."""

    def posterior(self, x_t, x0, t):
        out = super().posterior(x_t, x0, t)
        if out.ndim == 3:
            out = out / out.shape[1]
        return out


class AbsorbingAlphaBarOffByOne(AbsorbingDiffusion):
    """``ρ_t = β_t ᾱ_t/(1-ᾱ_t)``: ᾱ_t where ᾱ_{t-1} belongs."""

    def absorbing_posterior(self, x_t, x0, t):
        out = super().absorbing_posterior(x_t, x0, t)
        t = t if isinstance(t, torch.Tensor) else torch.full_like(x0, t)
        bad = self.betas[t - 1] * self.alpha_bars[t] / (1 - self.alpha_bars[t])
        hit = (x_t == self.mask) & (x0 != self.mask)
        out = out.clone()
        rows = torch.nonzero(hit).flatten()
        out[rows, x0[rows]] = bad[rows]
        out[rows, self.mask] = 1 - bad[rows]
        return out


class LossCountsUnmasked(AbsorbingDiffusion):
    """The cross-entropy summed over every position, masked or not."""

    def absorbing_loss(self, x0, x_t, t, log_probs):
        return super().absorbing_loss(x0, torch.full_like(x_t, self.mask), t, log_probs)


class MDLMWeightSign(AbsorbingDiffusion):
    """``w = α'/(1-α)``: the minus sign dropped (a negative weight)."""

    def mdlm_weight(self, alpha, dalpha):
        return dalpha / (1 - alpha)

    def mdlm_loss(self, x0, x_t, alpha, dalpha, log_probs):
        return -super().mdlm_loss(x0, x_t, alpha, dalpha, log_probs)


class MDLMWeightSwapped(AbsorbingDiffusion):
    """``α'`` and ``α`` swapped: ``-α/(1-α')``."""

    def mdlm_weight(self, alpha, dalpha):
        return -alpha / (1 - dalpha)


class MDLMKeepProbabilitySwapped(AbsorbingDiffusion):
    """A masked token stays masked w.p. ``1 - λ_to/λ_from`` (unmask and keep swapped)."""

    def mdlm_step_probs(self, x, lam_from, lam_to, probs):
        keep = 1 - lam_to / lam_from
        oh = torch.nn.functional.one_hot
        masked = (1 - keep) * probs + keep * oh(torch.full_like(x, self.mask), self.K).to(probs)
        return torch.where((x == self.mask)[..., None], masked, oh(x, self.K).to(probs))

    def mdlm_sample(self, denoiser, shape, lambdas, generator=None):
        x = torch.full(shape, self.mask, dtype=torch.long)
        for lam_from, lam_to in itertools.pairwise(lambdas):
            u = torch.rand(shape, generator=generator, dtype=torch.float64).to(self.dtype)
            law = self.mdlm_step_probs(x, lam_from, lam_to, denoiser(x).to(self.dtype))
            x = (law.cumsum(-1) <= u[..., None]).sum(-1).clamp(max=self.K - 1)
        return x
