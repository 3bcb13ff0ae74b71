"""Realistic bugs planted into the reference flows (used by the planted-bug tests of test_flows)."""

from __future__ import annotations

import torch

from dgmcheck.impl.flows import AffineCoupling, CompositeFlow, GaussianARFlow, LinearFlow, LUFlow


class CouplingLogDetWrongSign(AffineCoupling):
    """log|det ∂z/∂x| = +Σ log σ (the sampling direction's log-det returned for the density)."""

    def forward(self, x):
        z, log_det = super().forward(x)
        return z, -log_det


class ARInverseLogDetNotNegated(GaussianARFlow):
    """inverse() returns the forward log-det (-Σ log σ) instead of its negative."""

    def inverse(self, z):
        x, log_det = super().inverse(z)
        return x, -log_det


class CouplingInverseReusesForwardShift(AffineCoupling):
    """inverse x_2 = (z_2 - μ) ⊙ σ: the forward's shift reused with the inverse's scale."""

    def inverse(self, z):
        z1, z2 = z[:, : self.d], z[:, self.d:]
        mu, log_sigma = self.coupling_conditioner(z1)
        return torch.cat([z1, (z2 - mu) * torch.exp(log_sigma)], -1), log_sigma.sum(-1)


class CompositeLogDetAtInput(CompositeFlow):
    """Σ_k log|det J_{f_k}| with every layer's log-det evaluated at the composite's input x."""

    def forward(self, x):
        z, total = x, torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for layer in self.layers:
            z, _ = layer.forward(z)
            total = total + layer.forward(x)[1]
        return z, total


class LinearTransposed(LinearFlow):
    """z = Wᵀ x (``x @ W``): the slide's ``J_f = Wᵀ`` taken literally."""

    def forward(self, x):
        _, log_det = super().forward(x)
        return x @ self.W + self.b, log_det


class LUInverseWithP(LUFlow):
    """inverse solves with P where Pᵀ = P⁻¹ belongs."""

    def inverse(self, z):
        f = self.factors()
        y = (z - self.b) @ f["P"].T
        y = torch.linalg.solve_triangular(f["L"], y.T, upper=False, unitriangular=True)
        x = torch.linalg.solve_triangular(f["U"], y, upper=True).T
        return x, (-self.log_s.sum()).expand(z.shape[0])


class MADEMaskWithDiagonal(GaussianARFlow):
    """MADE output mask ``deg_out >= deg_h``: μ_j, σ_j see x_j itself (not autoregressive)."""

    def __init__(self, dim, hidden=8, **kw):
        super().__init__(dim, hidden, **kw)
        deg_in = torch.arange(1, dim + 1)
        deg_h = torch.arange(hidden) % dim + 1
        self.M1 = (deg_h[:, None] >= deg_in[None, :]).double()
        self.M2 = (deg_in[:, None] >= deg_h[None, :]).double()


class ARLogDetWrongSign(GaussianARFlow):
    """log|det J_f| = +Σ log σ_j."""

    def forward(self, x):
        z, log_det = super().forward(x)
        return z, -log_det
