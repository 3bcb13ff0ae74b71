r"""Discrete diffusion in batched torch: transition matrices, cumulative products, forward sampling
of token sequences, the posterior for any ``Q``, the absorbing posterior, the D3PM ELBO, the
absorbing and masked (MDLM) losses and the MDLM sampler.

Device and dtype follow the inputs (the matrices' dtype for probabilities); tokens are long
tensors with values in ``0..K-1``; steps ``t`` are the lecture's ``1..T``. ``convention`` is
``"column"`` (the lecture's, ``[Q_t]_{ij} = q(x_t=i | x_{t-1}=j)``) or ``"row"`` (D3PM's), and
the matrices a method takes or returns are in the object's convention. Random draws are passed
in as uniforms ``u`` in ``[0, 1)`` (inverse-CDF sampling), so every output is a function.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import torch

from dgmcheck.impl._validate import floating

CONVENTIONS = ("column", "row")

__all__ = [
    "AbsorbingDiffusion",
    "DiscreteDiffusion",
    "absorbing_matrices",
    "categorical_kl",
    "mdlm_loss",
    "mdlm_sample",
    "mdlm_step",
    "mdlm_step_probs",
    "mdlm_weight",
    "uniform_matrices",
    "validate_tokens",
    "validate_transition",
]


# --------------------------------------------------------------------------- validation
def _convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    return convention


def validate_transition(Qs: Any, name: str = "Qs", convention: str = "column") -> torch.Tensor:
    """``Qs`` (``(T, K, K)`` or ``(K, K)``) after checking entries >= 0 and columns (rows for
    ``"row"``) summing to 1 within a few ulps of its dtype; ValueError naming the entries."""
    _convention(convention)
    Qs = floating(Qs, name)
    if Qs.ndim not in (2, 3) or Qs.shape[-1] != Qs.shape[-2] or Qs.shape[-1] < 2:
        raise ValueError(f"{name} must have shape (K, K) or (T, K, K) with K >= 2, "
                         f"got {tuple(Qs.shape)}")
    if not torch.isfinite(Qs).all():
        raise ValueError(f"{name} has non-finite entries at "
                         f"{torch.nonzero(~torch.isfinite(Qs))[:5].tolist()}")
    neg = torch.nonzero(Qs < 0)
    if len(neg):
        idx = [tuple(i) for i in neg[:5].tolist()]
        raise ValueError(f"{name} has negative entries at {idx}: {[float(Qs[i]) for i in idx]}")
    sums = Qs.sum(dim=-2 if convention == "column" else -1)
    tol = 64 * torch.finfo(Qs.dtype).eps * Qs.shape[-1]
    off = torch.nonzero((sums - 1).abs() > tol)
    if len(off):
        which = "columns" if convention == "column" else "rows"
        idx = [tuple(i) for i in off[:5].tolist()]
        raise ValueError(f"{name}: {which} must sum to 1 ({convention} convention); {which} "
                         f"{idx} sum to {[float(sums[i]) for i in idx]}")
    return Qs


def validate_tokens(x: Any, K: int, name: str) -> torch.Tensor:
    """Integer tokens in ``0..K-1``; ValueError naming the argument and the offending entries."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of tokens, got {type(x).__name__}")
    if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer tokens, got dtype {x.dtype}")
    bad = torch.nonzero((x < 0) | (x >= K))
    if len(bad):
        idx = [tuple(i) for i in bad[:5].tolist()]
        raise ValueError(f"{name} must hold tokens in 0..{K - 1}; entries {idx} are "
                         f"{[int(x[i]) for i in idx]}")
    return x.long()


def _mask_index(mask: Any, K: int) -> int:
    if isinstance(mask, bool) or not isinstance(mask, int):
        raise TypeError(f"mask must be an int state index, got {type(mask).__name__}")
    if not 0 <= mask < K:
        raise ValueError(f"mask must be a state in 0..{K - 1} (the vocabulary), got {mask}")
    return mask


def _steps(t: Any, T: int, shape: torch.Size, device: torch.device) -> torch.Tensor:
    if isinstance(t, bool):
        raise TypeError("t must be an integer step or an integer tensor, got bool")
    if isinstance(t, int):
        t = torch.full(shape, t, dtype=torch.long, device=device)
    if not isinstance(t, torch.Tensor) or t.is_floating_point():
        raise TypeError(f"t must be an int or an integer tensor, got {t!r}")
    t = t.to(device).long()
    if t.ndim < len(shape) and tuple(t.shape) == tuple(shape[: t.ndim]):
        t = t.reshape(*t.shape, *([1] * (len(shape) - t.ndim))).expand(shape)  # per-sequence steps
    elif t.ndim == 0:
        t = t.expand(shape)
    if t.numel() and (int(t.min()) < 1 or int(t.max()) > T):
        raise ValueError(f"t must lie in 1..T = 1..{T}, got values in {int(t.min())}..{int(t.max())}")
    return t


# --------------------------------------------------------------------------- matrices
def uniform_matrices(betas: torch.Tensor, K: int) -> torch.Tensor:
    """``Q_t = (1-β_t) I + β_t U`` for each ``β_t``: shape (T, K, K) (symmetric)."""
    betas = floating(betas, "betas")
    eye = torch.eye(K, dtype=betas.dtype, device=betas.device)
    b = betas[:, None, None]
    return (1 - b) * eye + b / K


def absorbing_matrices(betas: torch.Tensor, K: int, mask: int,
                       convention: str = "column") -> torch.Tensor:
    """``Q_t = (1-β_t) I + β_t e_m 1ᵀ`` (column convention; transposed for ``"row"``)."""
    betas = floating(betas, "betas")
    mask = _mask_index(mask, K)
    eye = torch.eye(K, dtype=betas.dtype, device=betas.device)
    em = torch.zeros(K, K, dtype=betas.dtype, device=betas.device)
    em[mask, :] = 1
    b = betas[:, None, None]
    Q = (1 - b) * eye + b * em
    return Q if _convention(convention) == "column" else Q.transpose(-1, -2)


def categorical_kl(q: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """``Σ_k q_k (log q_k - log p_k)`` over the last axis, ``0 log 0 = 0``."""
    q = floating(q, "q")
    p = floating(p, "p")
    terms = torch.where(q > 0, q * (torch.log(q) - torch.log(p)), torch.zeros_like(q))
    return terms.sum(-1)


# --------------------------------------------------------------------------- general D3PM
class DiscreteDiffusion:
    """The forward chain of ``Qs`` (``Qs[t-1] = Q_t``, ``(T, K, K)``, in ``convention``)."""

    def __init__(self, Qs: torch.Tensor, convention: str = "column") -> None:
        self.convention = _convention(convention)
        self.Qs = validate_transition(Qs, "Qs", convention)
        if self.Qs.ndim == 2:
            self.Qs = self.Qs[None]
        self.T, self.K = self.Qs.shape[0], self.Qs.shape[-1]
        self.dtype, self.device = self.Qs.dtype, self.Qs.device
        Qc = self._col(self.Qs)
        cum = [torch.eye(self.K, dtype=self.dtype, device=self.device)]
        for s in range(self.T):
            cum.append(Qc[s] @ cum[-1])  # Q_{1:t} = Q_t Q_{1:t-1}
        self._Qc = Qc
        self._cum = torch.stack(cum)  # column form, index t = 0..T

    categorical_kl = staticmethod(categorical_kl)

    def _col(self, M: torch.Tensor) -> torch.Tensor:
        return M if self.convention == "column" else M.transpose(-1, -2)

    # -- forward
    def cumulative(self, t: Any) -> torch.Tensor:
        """``Q_{1:t}`` per step (``(..., K, K)`` in the object's convention: ``Q_t ⋯ Q_1`` column,
        ``Q_1 ⋯ Q_t`` row)."""
        t = _steps(t, self.T, torch.Size([1]), self.device)
        return self._col(self._cum[t])

    def q_step_probs(self, x_prev: torch.Tensor, t: Any) -> torch.Tensor:
        """``q(x_t = · | x_{t-1})``: the column ``Q_t e_{x_{t-1}}``, shape ``(*x_prev.shape, K)``."""
        x_prev = validate_tokens(x_prev, self.K, "x_prev").to(self.device)
        t = _steps(t, self.T, x_prev.shape, self.device)
        return self._Qc[t - 1][..., :, :].gather(-1, x_prev[..., None, None].expand(
            *x_prev.shape, self.K, 1))[..., 0]

    def q_probs(self, x0: torch.Tensor, t: Any) -> torch.Tensor:
        """``q(x_t = · | x_0) = Q_{1:t} e_{x_0}``, shape ``(*x0.shape, K)``; ``t`` may be 0."""
        x0 = validate_tokens(x0, self.K, "x0").to(self.device)
        if isinstance(t, int) and t == 0:
            return torch.nn.functional.one_hot(x0, self.K).to(self.dtype)
        t = _steps(t, self.T, x0.shape, self.device)
        return self._probs_at(self._cum[t], x0)

    def _probs_at(self, M: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Column ``x`` of each column-form matrix ``M`` (``(*x.shape, K, K)``)."""
        return M.gather(-1, x[..., None, None].expand(*x.shape, self.K, 1))[..., 0]

    def q_sample(self, x0: torch.Tensor, t: Any, u: torch.Tensor) -> torch.Tensor:
        """Tokens ``x_t ~ q(x_t | x_0)`` position by position (sequences ``(B, m)``), by inverse CDF
        of the uniforms ``u`` (same shape): positions are noised independently."""
        probs = self.q_probs(x0, t)
        u = floating(u, "u")
        if u.shape != x0.shape:
            raise ValueError(f"u has shape {tuple(u.shape)} but x0 has {tuple(x0.shape)}")
        cdf = probs.cumsum(-1)
        idx = (cdf <= u.to(probs)[..., None]).sum(-1)
        return idx.clamp(max=self.K - 1)

    def stationary(self) -> torch.Tensor:
        """The law ``π`` with ``Q_t π = π`` for every ``t``: the null vector of the stacked
        ``Q_t - I`` (float64 SVD), returned in the object's dtype."""
        Qc = self._Qc.double().cpu()
        A = (Qc - torch.eye(self.K, dtype=torch.float64)).reshape(-1, self.K)
        _, S, Vh = torch.linalg.svd(A)
        if len(S) >= 2 and S[-2] < 1e-10:
            raise ValueError("the forward kernels have more than one invariant law")
        v = Vh[-1]
        v = v / v.sum()
        return v.clamp(min=0).to(dtype=self.dtype, device=self.device)

    # -- reverse
    def posterior(self, x_t: torch.Tensor, x0: torch.Tensor, t: Any) -> torch.Tensor:
        """``q(x_{t-1} | x_t, x_0) = Q_tᵀ x_t ⊙ Q_{1:t-1} x_0 / (x_tᵀ Q_{1:t} x_0)`` (column form),
        shape ``(*x0.shape, K)``; rows where ``q(x_t|x_0) = 0`` are NaN."""
        x_t = validate_tokens(x_t, self.K, "x_t").to(self.device)
        x0 = validate_tokens(x0, self.K, "x0").to(self.device)
        t = _steps(t, self.T, x0.shape, self.device)
        row = self._Qc[t - 1].gather(-2, x_t[..., None, None].expand(*x_t.shape, 1, self.K))[..., 0, :]
        prev = self._probs_at(self._cum[t - 1], x0)
        num = row * prev
        return num / num.sum(-1, keepdim=True)

    def elbo(self, x0: torch.Tensor, P: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
        """The decomposed ELBO per token ``x_0`` (B,): ``E_{q(x_1|x_0)} log p(x_0|x_1) -
        KL(q(x_T|x_0) || p(x_T)) - Σ_{t>=2} E_{q(x_t|x_0)} KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t))``,
        every expectation an exact sum over the K states. ``P`` (T, K, K): model kernels
        ``p(x_{t-1}|x_t)`` in the object's convention; ``prior`` (K,)."""
        x0 = validate_tokens(x0, self.K, "x0").to(self.device)
        Pc = self._col(validate_transition(P.to(self.dtype), "P", self.convention))
        prior = floating(prior, "prior").to(self.dtype)
        B, K = x0.shape[0], self.K
        q1 = self.q_probs(x0, 1)  # (B, K) over x_1
        logp = torch.log(Pc[0][x0, :])  # [b, j] = log p(x_0 = x0_b | x_1 = j)
        recon = torch.where(q1 > 0, q1 * logp, torch.zeros_like(q1)).sum(-1)
        prior_kl = categorical_kl(self.q_probs(x0, self.T), prior.expand(B, K))
        total = recon - prior_kl
        states = torch.arange(K, device=self.device)
        for t in range(2, self.T + 1):
            qt = self.q_probs(x0, t)  # (B, K)
            xt = states.expand(B, K)
            post = self.posterior(xt, x0[:, None].expand(B, K), t)  # (B, K_xt, K)
            model = Pc[t - 1].T[None].expand(B, K, K)  # [b, j, i] = p(x_{t-1}=i | x_t=j)
            kl = categorical_kl(torch.nan_to_num(post), model)
            total = total - torch.where(qt > 0, qt * kl, torch.zeros_like(qt)).sum(-1)
        return total


# --------------------------------------------------------------------------- absorbing
class AbsorbingDiffusion(DiscreteDiffusion):
    """Absorbing-state (masked) diffusion: ``Q_t = (1-β_t) I + β_t e_m 1ᵀ``, mask index ``mask``
    (default ``K-1``), ``betas[t-1] = β_t``."""

    def __init__(self, betas: torch.Tensor, K: int, mask: int | None = None,
                 convention: str = "column") -> None:
        betas = floating(betas, "betas")
        if betas.ndim != 1 or not len(betas):
            raise ValueError(f"betas must be a non-empty 1-D tensor, got shape {tuple(betas.shape)}")
        if not ((betas > 0) & (betas <= 1)).all():
            raise ValueError(f"betas must lie in (0, 1], got entries "
                             f"{torch.nonzero(~((betas > 0) & (betas <= 1))).flatten()[:5].tolist()} outside")
        self.mask = _mask_index(K - 1 if mask is None else mask, K)
        self.betas = betas
        super().__init__(absorbing_matrices(betas, K, self.mask, convention), convention)
        ab = torch.cumprod(1 - betas, 0)
        self.alpha_bars = torch.cat([torch.ones(1, dtype=betas.dtype, device=betas.device), ab])

    def rho(self, t: Any) -> torch.Tensor:
        """``ρ_t = β_t ᾱ_{t-1} / (1-ᾱ_t)``: the probability a masked token was masked exactly at t."""
        t = _steps(t, self.T, torch.Size([1]) if isinstance(t, int) else torch.Size(t.shape),
                   self.device)
        return self.betas[t - 1] * self.alpha_bars[t - 1] / (1 - self.alpha_bars[t])

    def absorbing_posterior(self, x_t: torch.Tensor, x0: torch.Tensor, t: Any) -> torch.Tensor:
        """Closed form: ``δ_{x_t}`` if ``x_t ≠ m``; else ``ρ_t`` on ``x_0``, ``(1-ᾱ_{t-1})/(1-ᾱ_t)``
        on ``m`` (``δ_m`` when ``x_0 = m``)."""
        x_t = validate_tokens(x_t, self.K, "x_t").to(self.device)
        x0 = validate_tokens(x0, self.K, "x0").to(self.device)
        t = _steps(t, self.T, x0.shape, self.device)
        rho = self.betas[t - 1] * self.alpha_bars[t - 1] / (1 - self.alpha_bars[t])
        stay = (1 - self.alpha_bars[t - 1]) / (1 - self.alpha_bars[t])  # = 1 - ρ_t, exact 0 at t = 1
        oh = torch.nn.functional.one_hot
        out_unmasked = oh(x_t, self.K).to(self.dtype)
        masked_case = rho[..., None] * oh(x0, self.K).to(self.dtype) + stay[..., None] * oh(
            torch.full_like(x0, self.mask), self.K).to(self.dtype)
        masked_case = torch.where((x0 == self.mask)[..., None], out_unmasked, masked_case)
        return torch.where((x_t == self.mask)[..., None], masked_case, out_unmasked)

    def absorbing_loss(self, x0: torch.Tensor, x_t: torch.Tensor, t: Any,
                       log_probs: torch.Tensor) -> torch.Tensor:
        """``Σ_i ρ_t [x^i_t = m] (-log p_θ(x^i_0 | X_t))`` per sequence (B,): the loss term ``L_t``
        of the x_0-parametrized reverse model (``log_probs`` (B, m, K) of the clean token)."""
        x0 = validate_tokens(x0, self.K, "x0").to(self.device)
        x_t = validate_tokens(x_t, self.K, "x_t").to(self.device)
        log_probs = floating(log_probs, "log_probs")
        t = _steps(t, self.T, torch.Size([x0.shape[0]]), self.device)
        rho = self.betas[t - 1] * self.alpha_bars[t - 1] / (1 - self.alpha_bars[t])
        ce = -log_probs.gather(-1, x0[..., None])[..., 0]
        masked = x_t == self.mask
        return rho.to(ce) * torch.where(masked, ce, torch.zeros_like(ce)).sum(-1)

    # the continuous-time (MDLM) pieces do not depend on the betas; bound here for verify()
    def mdlm_weight(self, alpha: torch.Tensor, dalpha: torch.Tensor) -> torch.Tensor:
        return mdlm_weight(alpha, dalpha)

    def mdlm_loss(self, x0, x_t, alpha, dalpha, log_probs):
        return mdlm_loss(x0, x_t, alpha, dalpha, log_probs, self.mask)

    def mdlm_step_probs(self, x, lam_from, lam_to, probs):
        return mdlm_step_probs(x, lam_from, lam_to, probs, self.mask)

    def mdlm_sample(self, denoiser, shape, lambdas, generator=None):
        return mdlm_sample(denoiser, shape, lambdas, self.K, self.mask, generator=generator,
                           device=self.device, dtype=self.dtype)


# --------------------------------------------------------------------------- MDLM
def mdlm_weight(alpha: torch.Tensor, dalpha: torch.Tensor) -> torch.Tensor:
    """``w(t) = -α'_t / (1-α_t)``: the weight of the masked cross-entropy for a mask schedule
    ``α_t`` (clean probability, decreasing from 1 to 0); ``w(λ) = 1/λ`` in the mask rate."""
    alpha = floating(alpha, "alpha")
    dalpha = floating(dalpha, "dalpha")
    return -dalpha / (1 - alpha)


def mdlm_loss(x0: torch.Tensor, x_t: torch.Tensor, alpha: torch.Tensor, dalpha: torch.Tensor,
              log_probs: torch.Tensor, mask: int) -> torch.Tensor:
    """``w(t) Σ_i [x^i_t = m] (-log p_θ(x^i_0 | X_t))`` per sequence (B,), ``w = -α'/(1-α)``."""
    log_probs = floating(log_probs, "log_probs")
    K = log_probs.shape[-1]
    mask = _mask_index(mask, K)
    x0 = validate_tokens(x0, K, "x0").to(log_probs.device)
    x_t = validate_tokens(x_t, K, "x_t").to(log_probs.device)
    ce = -log_probs.gather(-1, x0[..., None])[..., 0]
    per = torch.where(x_t == mask, ce, torch.zeros_like(ce)).sum(-1)
    return mdlm_weight(alpha, dalpha).to(per) * per


def mdlm_step_probs(x: torch.Tensor, lam_from: float, lam_to: float, probs: torch.Tensor,
                    mask: int) -> torch.Tensor:
    """Per-position law of one MDLM step from mask rate ``lam_from`` to ``lam_to < lam_from``:
    unmasked tokens stay; a masked one stays masked w.p. ``lam_to/lam_from``, else takes a token
    from ``probs`` (B, m, K) (the denoiser's clean-token probabilities). Shape (B, m, K)."""
    probs = floating(probs, "probs")
    K = probs.shape[-1]
    mask = _mask_index(mask, K)
    x = validate_tokens(x, K, "x").to(probs.device)
    if not 0 <= lam_to < lam_from <= 1:
        raise ValueError(f"need 0 <= lam_to < lam_from <= 1, got lam_from={lam_from}, lam_to={lam_to}")
    keep = lam_to / lam_from
    oh = torch.nn.functional.one_hot
    masked = (1 - keep) * probs + keep * oh(torch.full_like(x, mask), K).to(probs)
    return torch.where((x == mask)[..., None], masked, oh(x, K).to(probs))


def mdlm_step(x: torch.Tensor, lam_from: float, lam_to: float, probs: torch.Tensor,
              u: torch.Tensor, mask: int) -> torch.Tensor:
    """One MDLM step, drawn by inverse CDF of the uniforms ``u`` (B, m)."""
    law = mdlm_step_probs(x, lam_from, lam_to, probs, mask)
    cdf = law.cumsum(-1)
    return (cdf <= u.to(law)[..., None]).sum(-1).clamp(max=law.shape[-1] - 1)


def mdlm_sample(denoiser: Callable[[torch.Tensor], torch.Tensor], shape: tuple[int, int],
                lambdas: list[float], K: int, mask: int, *, generator: torch.Generator | None = None,
                device: Any = "cpu", dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """000 L14 "Algorithm: MDLM" (Sampling): start fully masked at ``lambdas[0] = 1``, step through
    the strictly decreasing ``lambdas`` to 0. ``denoiser(X) -> (B, m, K)`` clean-token probabilities."""
    if lambdas[0] != 1 or lambdas[-1] != 0 or any(a <= b for a, b in itertools.pairwise(lambdas)):
        raise ValueError(f"lambdas must decrease strictly from 1 to 0, got {list(lambdas)}")
    mask = _mask_index(mask, K)
    x = torch.full(shape, mask, dtype=torch.long, device=device)
    for lam_from, lam_to in itertools.pairwise(lambdas):
        u = torch.rand(shape, generator=generator, dtype=torch.float64).to(device=device, dtype=dtype)
        x = mdlm_step(x, lam_from, lam_to, denoiser(x).to(dtype), u, mask)
    return x
