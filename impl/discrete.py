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

from dgmcheck.impl import _validate as V
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
    if Qs.ndim not in (2, 3) or Qs.shape[-1] != Qs.shape[-2] or Qs.shape[-1] < 2 or Qs.shape[0] < 1:
        raise ValueError(f"{name} must have shape (K, K) or (T, K, K) with K >= 2 and T >= 1, "
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
    K = V.count(K, "K")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of tokens, got {type(x).__name__}")
    if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer tokens, got dtype {x.dtype}")
    if x.device.type == "meta":
        raise ValueError(f"{name} is on the meta device, which holds no values; pass a tensor on cpu or cuda")
    if x.numel() == 0:
        raise ValueError(f"{name} must hold at least one token, got shape {tuple(x.shape)}")
    bad = torch.nonzero((x < 0) | (x >= K))
    if len(bad):
        idx = [tuple(i) for i in bad[:5].tolist()]
        raise ValueError(f"{name} must hold tokens in 0..{K - 1}; entries {idx} are "
                         f"{[int(x[i]) for i in idx]}")
    return x.long()


def _sequences(x: Any, K: int, name: str, shape: torch.Size, ref: str) -> torch.Tensor:
    """Token sequences of the given shape (the leading dimensions of ``ref``)."""
    x = validate_tokens(x, K, name)
    if x.shape != shape:
        raise ValueError(f"{name} must have shape {tuple(shape)} to match {ref}, got {tuple(x.shape)}")
    return x


def _betas(betas: Any, name: str = "betas") -> torch.Tensor:
    """A non-empty 1-D floating tensor of β_t in (0, 1]."""
    V.tensor(betas, name, ndim=1)
    if not bool(((betas > 0) & (betas <= 1)).all()):
        raise ValueError(f"{name} must lie in (0, 1], got entries "
                         f"{torch.nonzero(~((betas > 0) & (betas <= 1))).flatten()[:5].tolist()} outside")
    return betas


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
    if not isinstance(t, torch.Tensor) or t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
        raise TypeError(f"t must be an int or an integer tensor, got {V._got(t)}")
    if t.device.type == "meta":
        raise ValueError("t is on the meta device, which holds no values; pass a tensor on cpu or cuda")
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
    betas = _betas(betas)
    K = V.count(K, "K", lo=2)
    eye = torch.eye(K, dtype=betas.dtype, device=betas.device)
    b = betas[:, None, None]
    return (1 - b) * eye + b / K


def absorbing_matrices(betas: torch.Tensor, K: int, mask: int,
                       convention: str = "column") -> torch.Tensor:
    """``Q_t = (1-β_t) I + β_t e_m 1ᵀ`` (column convention; transposed for ``"row"``)."""
    betas = _betas(betas)
    K = V.count(K, "K", lo=2)
    mask = _mask_index(mask, K)
    _convention(convention)
    eye = torch.eye(K, dtype=betas.dtype, device=betas.device)
    em = torch.zeros(K, K, dtype=betas.dtype, device=betas.device)
    em[mask, :] = 1
    b = betas[:, None, None]
    Q = (1 - b) * eye + b * em
    return Q if _convention(convention) == "column" else Q.transpose(-1, -2)


def categorical_kl(q: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """``Σ_k q_k (log q_k - log p_k)`` over the last axis, ``0 log 0 = 0`` (``+inf`` where ``p_k = 0 < q_k``)."""
    V.probabilities(q, "q")
    V.like(p, q, "p", "q", same_shape=False)
    if p.shape != q.shape:
        raise ValueError(f"p has shape {tuple(p.shape)} but q has {tuple(q.shape)}")
    V.probabilities(p, "p")
    return _categorical_kl(q, p)


def _categorical_kl(q: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
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
        prior_kl = _categorical_kl(self.q_probs(x0, self.T), prior.expand(B, K))
        total = recon - prior_kl
        states = torch.arange(K, device=self.device)
        for t in range(2, self.T + 1):
            qt = self.q_probs(x0, t)  # (B, K)
            xt = states.expand(B, K)
            post = self.posterior(xt, x0[:, None].expand(B, K), t)  # (B, K_xt, K)
            model = Pc[t - 1].T[None].expand(B, K, K)  # [b, j, i] = p(x_{t-1}=i | x_t=j)
            kl = _categorical_kl(torch.nan_to_num(post), model)  # rows of unreachable x_t are 0, not laws
            total = total - torch.where(qt > 0, qt * kl, torch.zeros_like(qt)).sum(-1)
        return total


# --------------------------------------------------------------------------- absorbing
class AbsorbingDiffusion(DiscreteDiffusion):
    """Absorbing-state (masked) diffusion: ``Q_t = (1-β_t) I + β_t e_m 1ᵀ``, mask index ``mask``
    (default ``K-1``), ``betas[t-1] = β_t``."""

    def __init__(self, betas: torch.Tensor, K: int, mask: int | None = None,
                 convention: str = "column") -> None:
        betas = _betas(betas)
        K = V.count(K, "K", lo=2)
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
    _schedule(alpha, dalpha)
    return _mdlm_weight(alpha, dalpha)


def _schedule(alpha: Any, dalpha: Any, rows: int | None = None, ref: str = "") -> None:
    """``α_t`` in [0, 1) and ``α'_t <= 0`` (a decreasing clean probability), one per sequence."""
    V.batch(alpha, "alpha")
    if rows is not None and alpha.shape != (rows,):
        raise ValueError(f"alpha must have shape ({rows},), one per sequence of {ref}, got {tuple(alpha.shape)}")
    V.batch(dalpha, "dalpha", like_=alpha, like_name="alpha", same_shape=True)
    if bool(((alpha < 0) | (alpha >= 1)).any()):
        raise ValueError(f"alpha must lie in [0, 1), got values in [{float(alpha.min())}, {float(alpha.max())}]")
    if bool((dalpha > 0).any()):
        raise ValueError(f"dalpha must be <= 0 (α_t decreases), got maximum {float(dalpha.max())}")


def _mdlm_weight(alpha: torch.Tensor, dalpha: torch.Tensor) -> torch.Tensor:
    return -dalpha / (1 - alpha)


def mdlm_loss(x0: torch.Tensor, x_t: torch.Tensor, alpha: torch.Tensor, dalpha: torch.Tensor,
              log_probs: torch.Tensor, mask: int) -> torch.Tensor:
    """``w(t) Σ_i [x^i_t = m] (-log p_θ(x^i_0 | X_t))`` per sequence (B,), ``w = -α'/(1-α)``."""
    log_probs = _per_token(log_probs, "log_probs", allow="-inf")
    K = log_probs.shape[-1]
    mask = _mask_index(mask, K)
    x0 = _sequences(x0, K, "x0", log_probs.shape[:-1], "log_probs").to(log_probs.device)
    x_t = _sequences(x_t, K, "x_t", log_probs.shape[:-1], "log_probs").to(log_probs.device)
    _schedule(alpha, dalpha, log_probs.shape[0], "log_probs")
    ce = -log_probs.gather(-1, x0[..., None])[..., 0]
    per = torch.where(x_t == mask, ce, torch.zeros_like(ce)).sum(-1)
    return _mdlm_weight(alpha, dalpha).to(per) * per


def _per_token(v: Any, name: str, **kw: Any) -> torch.Tensor:
    """A ``(B, m, K)`` tensor: one distribution over the K states per token."""
    V.tensor(v, name, ndim=3, **kw)
    if v.shape[-1] < 2:
        raise ValueError(f"{name} must have K >= 2 states on its last dimension, got shape {tuple(v.shape)}")
    return v


def _lams(lam_from: Any, lam_to: Any) -> tuple[float, float]:
    lam_from = V.real(lam_from, "lam_from", lo=0.0, hi=1.0, closed="hi")
    lam_to = V.real(lam_to, "lam_to", lo=0.0, hi=1.0, closed="lo")
    if not lam_to < lam_from:
        raise ValueError(f"need 0 <= lam_to < lam_from <= 1, got lam_from={lam_from}, lam_to={lam_to}")
    return lam_from, lam_to


def mdlm_step_probs(x: torch.Tensor, lam_from: float, lam_to: float, probs: torch.Tensor,
                    mask: int) -> torch.Tensor:
    """Per-position law of one MDLM step from mask rate ``lam_from`` to ``lam_to < lam_from``:
    unmasked tokens stay; a masked one stays masked w.p. ``lam_to/lam_from``, else takes a token
    from ``probs`` (B, m, K) (the denoiser's clean-token probabilities). Shape (B, m, K)."""
    lam_from, lam_to = _lams(lam_from, lam_to)
    _per_token(probs, "probs")
    V.probabilities(probs, "probs")
    mask = _mask_index(mask, probs.shape[-1])
    x = _sequences(x, probs.shape[-1], "x", probs.shape[:-1], "probs").to(probs.device)
    return _mdlm_step_probs(x, lam_from, lam_to, probs, mask)


def _mdlm_step_probs(x: torch.Tensor, lam_from: float, lam_to: float, probs: torch.Tensor,
                     mask: int) -> torch.Tensor:
    K = probs.shape[-1]
    keep = lam_to / lam_from
    oh = torch.nn.functional.one_hot
    masked = (1 - keep) * probs + keep * oh(torch.full_like(x, mask), K).to(probs)
    return torch.where((x == mask)[..., None], masked, oh(x, K).to(probs))


def mdlm_step(x: torch.Tensor, lam_from: float, lam_to: float, probs: torch.Tensor,
              u: torch.Tensor, mask: int) -> torch.Tensor:
    """One MDLM step, drawn by inverse CDF of the uniforms ``u`` (B, m) in [0, 1)."""
    law = mdlm_step_probs(x, lam_from, lam_to, probs, mask)
    V.tensor(u, "u", like_=probs, like_name="probs")
    if u.shape != probs.shape[:-1]:
        raise ValueError(f"u must have shape {tuple(probs.shape[:-1])}, one uniform per token of x, "
                         f"got {tuple(u.shape)}")
    if bool(((u < 0) | (u >= 1)).any()):
        raise ValueError(f"u must lie in [0, 1), got values in [{float(u.min())}, {float(u.max())}]")
    return _draw(law, u)


def _draw(law: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    cdf = law.cumsum(-1)
    return (cdf <= u.to(law)[..., None]).sum(-1).clamp(max=law.shape[-1] - 1)


def mdlm_sample(denoiser: Callable[[torch.Tensor], torch.Tensor], shape: tuple[int, int],
                lambdas: list[float], K: int, mask: int, *, generator: torch.Generator | None = None,
                device: Any = "cpu", dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """000 L14 "Algorithm: MDLM" (Sampling): start fully masked at ``lambdas[0] = 1``, step through
    the strictly decreasing ``lambdas`` to 0. ``denoiser(X) -> (B, m, K)`` clean-token probabilities."""
    V.function(denoiser, "denoiser")
    if not (isinstance(shape, (tuple, list)) and len(shape) == 2):
        raise TypeError(f"shape must be a pair (B, m) of positive ints, got {V._got(shape)}")
    shape = tuple(V.count(n, "shape") for n in shape)
    if isinstance(lambdas, (str, bytes)) or not hasattr(lambdas, "__len__"):
        raise TypeError(f"lambdas must be a sequence of mask rates, got {V._got(lambdas)}")
    lambdas = [V.real(lam, "lambdas") for lam in lambdas]
    if len(lambdas) < 2 or lambdas[0] != 1 or lambdas[-1] != 0 or any(
            a <= b for a, b in itertools.pairwise(lambdas)):
        raise ValueError(f"lambdas must decrease strictly from 1 to 0, got {list(lambdas)}")
    K = V.count(K, "K", lo=2)
    mask = _mask_index(mask, K)
    if generator is not None:
        V.instance(generator, "generator", torch.Generator, "a torch.Generator or None")
    device, dtype = V.device_(device), V.dtype_(dtype)
    x = torch.full(shape, mask, dtype=torch.long, device=device)
    for lam_from, lam_to in itertools.pairwise(lambdas):  # validated above: the inner step
        u = torch.rand(shape, generator=generator, dtype=torch.float64).to(device=device, dtype=dtype)
        probs = denoiser(x)
        if not isinstance(probs, torch.Tensor) or tuple(probs.shape) != (*shape, K):
            got = tuple(probs.shape) if isinstance(probs, torch.Tensor) else type(probs).__name__
            raise ValueError(f"denoiser(x) must return probabilities of shape {(*shape, K)}, got {got}")
        probs = probs.to(dtype)
        x = _draw(_mdlm_step_probs(x, lam_from, lam_to, probs, mask), u)
    return x
