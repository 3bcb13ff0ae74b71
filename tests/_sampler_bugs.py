"""Realistic bugs planted into the reference SDE samplers (used by the planted-bug tests of test_samplers)."""

from __future__ import annotations

import torch

from dgmcheck.impl import samplers as S
from dgmcheck.impl.sde import VPSDE, euler_maruyama


def _col(v, x):
    return v.reshape(-1, *([1] * (x.ndim - 1)))


class PFODEMissingHalf(S.ScoreSDE):
    """PF-ODE drift ``f - g² s``: the ½ on g²·score dropped (drift and sampler)."""

    def pf_ode_drift(self, x, t):
        return S.reverse_drift(self.sde, self._score, x, t)

    def pf_ode_sample(self, x_T, ts, method="heun"):
        from dgmcheck.impl import ode

        return ode.SOLVERS[method](self.pf_ode_drift, x_T, ts)


class ReverseDriftPlus(S.ScoreSDE):
    """Reverse drift ``f + g² s``: the sign of the score term flipped."""

    def reverse_drift(self, x, t):
        g = self.sde.diffusion(x, t)
        return self.sde.drift(x, t) + _col(g**2, x) * self._score(x, t)


class ReverseSamplerWithPFDrift(S.ScoreSDE):
    """The reverse-SDE sampler run with the PF-ODE drift ``f - ½ g² s`` (½ g² instead of g²) plus noise."""

    def reverse_sde_sample(self, x_T, ts, noises):
        return euler_maruyama(self.pf_ode_drift, self.sde.diffusion, x_T, ts, noises)


def _bad_corrector(score, x, t, step_size, noise):
    return x + 0.5 * step_size * score(x, t) + (2 * step_size) ** 0.5 * noise  # √(2η) beside η/2


class CorrectorNoiseSqrt2(S.ScoreSDE):
    """Langevin corrector ``x + (η/2) s + √(2η) z``: the noise of the ``η s, √(2η)`` convention with the
    ``η/2`` drift of the lecture's (stationary law ≈ 2Σ instead of Σ)."""

    def corrector_step(self, x, t, step_size, noise):
        t = torch.as_tensor(t, dtype=x.dtype).expand(x.shape[0])
        return _bad_corrector(self._score, x, t, step_size, noise)

    def pc_sample(self, x_T, ts, noises, corrector_noises, step_size, predictor="reverse_sde"):
        x = x_T
        for k in range(ts.numel() - 1):
            pair = ts[k: k + 2]
            if predictor == "reverse_sde":
                x = S.reverse_sde_sample(self.sde, self._score, x, pair, noises[k: k + 1])
            else:
                x = x + (pair[1] - pair[0]) * self.pf_ode_drift(x, pair[0].expand(x.shape[0]))
            for j in range(corrector_noises.shape[1]):
                x = self.corrector_step(x, pair[1].expand(x.shape[0]), step_size, corrector_noises[k, j])
        return x


class PredictorScoreWrongTime(S.ScoreSDE):
    """Reverse-SDE predictor with the score at the step's end time ``s(x, t - |Δt|)`` instead of ``s(x, t)``."""

    def reverse_sde_sample(self, x_T, ts, noises):
        x = x_T
        for k in range(ts.numel() - 1):
            t, t_next = ts[k].expand(x.shape[0]), ts[k + 1].expand(x.shape[0])
            dt = ts[k + 1] - ts[k]
            g = self.sde.diffusion(x, t)
            drift = self.sde.drift(x, t) - _col(g**2, x) * self._score(x, t_next)
            x = x + drift * dt + _col(g, x) * dt.abs().sqrt() * noises[k]
        return x

    def pc_sample(self, x_T, ts, noises, corrector_noises, step_size, predictor="reverse_sde"):
        x = x_T
        for k in range(ts.numel() - 1):
            pair = ts[k: k + 2]
            if predictor == "reverse_sde":
                x = self.reverse_sde_sample(x, pair, noises[k: k + 1])
            else:
                x = x + (pair[1] - pair[0]) * S.pf_ode_drift(self.sde, lambda y, _t, p=pair: self._score(y, p[1]),
                                                             x, pair[0])
            for j in range(corrector_noises.shape[1]):
                x = self.corrector_step(x, pair[1].expand(x.shape[0]), step_size, corrector_noises[k, j])
        return x


class VPDiffusionSquared(VPSDE):
    """VP SDE whose ``diffusion`` returns ``β(t) = g²`` where ``g = √β(t)`` belongs: the KFP's second-order
    term then carries ``½ g⁴`` instead of ``½ g²``."""

    def diffusion(self, x, t):
        return self.beta(x, t)


def kfp_residual_g4(drift, diffusion, log_prob, x, t, second_order=-0.5):
    """``impl.samplers.kfp_residual`` with ``g²`` used for ``g`` in the second-order term (``½ g⁴ Δp``)."""
    return S.kfp_residual(drift, lambda xx, tt: diffusion(xx, tt) ** 2, log_prob, x, t, second_order)


def score_over_sigma(sde, mean, var):
    """The score of Gaussian data ``N(m, var I)`` written as on 000 L11 "Score-Based Generative Models
    Through SDEs": ``-(x - μ_t)/σ_t`` with ``σ_t = √(a² var + s²)`` where ``-(x - μ_t)/σ_t²`` belongs."""
    mean = torch.as_tensor(mean)

    def score(x, t):
        a, s = sde.marginal(x, t)
        sigma = (a**2 * var + s**2).sqrt()
        return -(x - _col(a, x) * mean.to(x)) / _col(sigma, x)

    return score
