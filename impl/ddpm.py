"""A batched DDPM in PyTorch: forward process, posterior, losses and ancestral sampling.

Steps follow the lecture: ``t = 1..T`` with ``betas[t-1] = β_t`` (000 L7-L9). Every method takes
``t`` as an int or a long tensor of shape ``(batch,)``; tensors are created like their inputs (the
schedule is kept in float64 and cast to the input's dtype and device at use), so the same object
serves float32 and float64, CPU and CUDA. Noise is always passed in, so every method is a
deterministic function and can be held to an exact oracle.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from dgmcheck.impl import _validate
from dgmcheck.impl._noise import NoiseFeed, NoiseSource

EpsModel = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # ε_θ(x_t, t)


def normal_kl(mean1: torch.Tensor, var1: torch.Tensor, mean2: torch.Tensor,
              var2: torch.Tensor) -> torch.Tensor:
    """Elementwise ``KL(N(mean1, var1) || N(mean2, var2))`` of diagonal Gaussians.

    ``½(log(var2/var1) + (var1 + (mean1-mean2)²)/var2 - 1)``; with ``var1 = var2 = σ²`` it is
    ``(mean1-mean2)²/(2σ²)`` (ddpm.kl_same_variance, 000 L8 "ELBO for Gaussian Diffusion Model"). The four
    tensors share a shape ``(batch, ...)``, dtype and device; the variances are positive.
    """
    _validate.batch(mean1, "mean1")
    _validate.tensor(var1, "var1", like_=mean1, like_name="mean1", same_shape=True, positive=True)
    _validate.tensor(mean2, "mean2", like_=mean1, like_name="mean1", same_shape=True)
    _validate.tensor(var2, "var2", like_=mean1, like_name="mean1", same_shape=True, positive=True)
    return _normal_kl(mean1, var1, mean2, var2)


def _normal_kl(mean1: torch.Tensor, var1: torch.Tensor, mean2: torch.Tensor, var2: torch.Tensor) -> torch.Tensor:
    return 0.5 * (torch.log(var2) - torch.log(var1) + (var1 + (mean1 - mean2) ** 2) / var2 - 1.0)


def _sum_nonbatch(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(x.shape[0], -1).sum(dim=1)


# The methods a sampling step runs through: ``sample`` uses its own loop only where none is redefined.
_STEP_METHODS = ("reverse_step", "posterior_mean_from_eps", "reverse_variance")


class GaussianDiffusion:
    """DDPM with schedule ``betas`` (``β_t ∈ (0, 1)``, ``t = 1..T``).

    >>> import torch
    >>> from dgmcheck.impl.schedules import linear_betas
    >>> ddpm = GaussianDiffusion(linear_betas(10))
    >>> x0 = torch.zeros(4, 2, dtype=torch.float64)
    >>> xt = ddpm.q_sample(x0, 10, torch.ones_like(x0))
    >>> bool(torch.allclose(xt, ddpm.one_minus_alpha_bars[9].sqrt().expand_as(xt)))
    True
    """

    def __init__(self, betas: torch.Tensor | list[float]) -> None:
        if isinstance(betas, torch.Tensor):
            _validate.floating(betas, "betas")  # float32/float64 holding values: no float16, int, bool, meta
        elif betas is None or isinstance(betas, (str, bytes)):
            raise TypeError(f"betas must be a 1-D tensor or sequence of numbers, got {betas!r}")
        try:
            betas = torch.as_tensor(betas).detach().to(device="cpu", dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"betas must be a 1-D tensor or sequence of numbers, got {type(betas).__name__}") from None
        if betas.ndim != 1 or betas.numel() == 0:
            raise ValueError(f"betas must be a non-empty 1-D tensor, got shape {tuple(betas.shape)}")
        bad = ~((betas > 0) & (betas < 1))
        if bad.any():
            i = int(torch.nonzero(bad)[0])
            raise ValueError(f"betas must lie in (0, 1); betas[{i}] (β_{i + 1}) = {float(betas[i])}")
        self.betas = betas
        self.T = int(betas.numel())
        self.alphas = 1.0 - betas
        log_abar = torch.cumsum(torch.log1p(-betas), dim=0)
        self.alpha_bars = torch.exp(log_abar)
        self.one_minus_alpha_bars = -torch.expm1(log_abar)  # accurate where ᾱ_t is near 1
        one = torch.ones(1, dtype=torch.float64)
        self.alpha_bars_prev = torch.cat([one, self.alpha_bars[:-1]])
        self.one_minus_alpha_bars_prev = torch.cat([one * 0, self.one_minus_alpha_bars[:-1]])
        self.posterior_variances = self.one_minus_alpha_bars_prev * betas / self.one_minus_alpha_bars
        self._derived_from: tuple[int, ...] = ()
        self._tables: dict[str, torch.Tensor] = {}
        self._cast: dict[tuple[str, torch.dtype, torch.device], torch.Tensor] = {}

    @classmethod
    def from_alpha_bars(cls, alpha_bars: torch.Tensor | list[float]) -> GaussianDiffusion:
        """Build from ``ᾱ_1..ᾱ_T``: ``β_t = 1 - ᾱ_t/ᾱ_{t-1}`` (``ᾱ_0 = 1``).

        ``ᾱ`` must lie in (0, 1) and strictly decrease (each β_t in (0, 1)); anything else is refused.
        """
        abar = torch.as_tensor(alpha_bars).detach().to(device="cpu", dtype=torch.float64)
        if abar.ndim != 1 or abar.numel() == 0:
            raise ValueError(f"alpha_bars must be a non-empty 1-D tensor, got shape {tuple(abar.shape)}")
        if not bool(((abar > 0) & (abar < 1)).all()):
            raise ValueError(f"alpha_bars must lie in (0, 1), got min {float(abar.min())}, "
                             f"max {float(abar.max())}")
        prev = torch.cat([torch.ones(1, dtype=torch.float64), abar[:-1]])
        if not bool((abar < prev).all()):
            i = int(torch.nonzero(abar >= prev)[0])
            raise ValueError(f"alpha_bars must strictly decrease (ᾱ_t = ∏(1-β_s)); alpha_bars[{i}] = "
                             f"{float(abar[i])} >= ᾱ_{i} = {float(prev[i])}")
        return cls(1.0 - abar / prev)

    # -- helpers ---------------------------------------------------------------------------
    def _steps(self, t: object, x: torch.Tensor) -> torch.Tensor:
        return _validate.steps(t, self.T, x.shape[0], x.device)

    def _at(self, table: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``table[t-1]`` cast like ``x`` and shaped to broadcast over its non-batch dims."""
        vals = table.to(t.device)[t - 1].to(dtype=x.dtype)
        return vals.reshape((-1,) + (1,) * (x.ndim - 1))

    def _derive(self) -> None:
        """The per-step coefficients, derived once (a step gathers from them: O(batch), not O(T)), each by
        the same float64 operations the formulas in the methods name; derived again when a table they come
        from is replaced (a subclass or a caller that sets ``posterior_variances``, say)."""
        sources = (self.betas, self.alphas, self.alpha_bars, self.one_minus_alpha_bars, self.alpha_bars_prev,
                   self.one_minus_alpha_bars_prev, self.posterior_variances)
        if tuple(map(id, sources)) == self._derived_from:
            return
        betas, alphas, abar, omab, abar_prev, omab_prev, post_var = sources
        sqrt_alphas = alphas.sqrt()
        self._tables = {
            "betas": betas, "sqrt_betas": betas.sqrt(), "sqrt_alphas": sqrt_alphas, "rsqrt_alphas": alphas.rsqrt(),
            "sqrt_alpha_bars": abar.sqrt(), "sqrt_one_minus_alpha_bars": omab.sqrt(), "one_minus_alpha_bars": omab,
            "posterior_variances": post_var,
            "coef_x0": abar_prev.sqrt() * betas / omab,
            "coef_xt": sqrt_alphas * omab_prev / omab,
            "coef_eps": betas / (alphas * omab).sqrt(),
            "coef_score": betas / sqrt_alphas,
            "loss_weights": betas**2 / (2 * post_var.clamp_min(1e-300) * alphas * omab),
        }
        self._cast = {}
        self._sources = sources  # held, so that the ids above stay theirs
        self._derived_from = tuple(map(id, sources))

    def _table(self, name: str, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        """The precomputed table ``name`` in ``dtype`` on ``device``, cast once per dtype and device."""
        self._derive()
        key = (name, dtype, device)
        table = self._cast.get(key)
        if table is None:
            table = self._cast[key] = self._tables[name].to(device=device, dtype=dtype)
        return table

    def _take(self, name: str, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``_at`` of the precomputed table ``name`` (read from its cast copy: a step costs O(batch), not an
        O(T) cast or transfer)."""
        table = self._table(name, x.dtype, t.device)
        return table.index_select(0, t - 1).reshape((-1,) + (1,) * (x.ndim - 1))

    # -- forward process -------------------------------------------------------------------
    def q_step(self, x_prev: torch.Tensor, t: object, noise: torch.Tensor) -> torch.Tensor:
        """One forward step ``x_t = √(1-β_t) x_{t-1} + √β_t ε`` (000 L7 "Forward Gaussian Diffusion
        Process"); ddpm.stationary, ddpm.forward_as_langevin."""
        _validate.floating(x_prev, "x_prev")
        _validate.like(noise, x_prev, "noise", "x_prev")
        t = self._steps(t, x_prev)
        return self._take("sqrt_alphas", t, x_prev) * x_prev + self._take("sqrt_betas", t, x_prev) * noise

    def q_sample(self, x0: torch.Tensor, t: object, noise: torch.Tensor) -> torch.Tensor:
        """ddpm.forward_marginal: ``x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε`` (000 L7, Statement 1)."""
        _validate.floating(x0, "x0")
        _validate.like(noise, x0, "noise", "x0")
        t = self._steps(t, x0)
        return self._take("sqrt_alpha_bars", t, x0) * x0 + self._take("sqrt_one_minus_alpha_bars", t, x0) * noise

    # -- posterior and reverse kernel ------------------------------------------------------
    def posterior(self, x_t: torch.Tensor, x0: torch.Tensor,
                  t: object) -> tuple[torch.Tensor, torch.Tensor]:
        """ddpm.posterior: ``q(x_{t-1}|x_t, x_0) = N(μ̃_t, β̃_t I)`` (000 L8 "Conditioned Reverse
        Distribution"); ``μ̃_t = √ᾱ_{t-1}β_t/(1-ᾱ_t) x_0 + √α_t(1-ᾱ_{t-1})/(1-ᾱ_t) x_t``.

        Returns ``(mean, variance)``; the variance has shape ``(batch, 1, ..., 1)``.
        """
        _validate.floating(x_t, "x_t")
        _validate.like(x0, x_t, "x0", "x_t")
        t = self._steps(t, x_t)
        mean = self._take("coef_x0", t, x_t) * x0 + self._take("coef_xt", t, x_t) * x_t
        return mean, self._take("posterior_variances", t, x_t)

    def predict_x0(self, x_t: torch.Tensor, t: object, eps: torch.Tensor) -> torch.Tensor:
        """``x̂_0 = (x_t - √(1-ᾱ_t) ε)/√ᾱ_t`` (000 L8 "Reparametrization of DDPM")."""
        _validate.floating(x_t, "x_t")
        _validate.like(eps, x_t, "eps", "x_t")
        t = self._steps(t, x_t)
        return (x_t - self._take("sqrt_one_minus_alpha_bars", t, x_t) * eps) / self._take("sqrt_alpha_bars", t, x_t)

    def posterior_mean_from_eps(self, x_t: torch.Tensor, t: object,
                                eps: torch.Tensor) -> torch.Tensor:
        """ddpm.eps_mean: ``μ_θ,t(x_t) = x_t/√α_t - β_t/√(α_t(1-ᾱ_t)) ε_θ,t(x_t)`` (000 L8)."""
        _validate.floating(x_t, "x_t")
        _validate.like(eps, x_t, "eps", "x_t")
        t = self._steps(t, x_t)
        return self._take("rsqrt_alphas", t, x_t) * x_t - self._take("coef_eps", t, x_t) * eps

    def reverse_variance(self, t: object, like: torch.Tensor,
                         kind: str = "beta_tilde") -> torch.Tensor:
        """ddpm.optimal_variance: ``σ_t² = β̃_t`` ("beta_tilde") or ``β_t`` ("beta"), shaped like ``like``."""
        _validate.floating(like, "like")
        t = self._steps(t, like)
        if kind == "beta_tilde":
            return self._take("posterior_variances", t, like)
        if kind == "beta":
            return self._take("betas", t, like)
        raise ValueError(f"kind must be 'beta_tilde' or 'beta', got {kind!r}")

    def reverse_step(self, x_t: torch.Tensor, t: object, eps: torch.Tensor,
                     noise: torch.Tensor, variance: str = "beta_tilde") -> torch.Tensor:
        """ddpm.ancestral_sampling: ``x_{t-1} = μ_θ,t(x_t) + σ_t z`` with ``z = 0`` at ``t = 1``
        (000 L8 "Denoising Diffusion Probabilistic Model (DDPM)", Algorithm 2 of 001)."""
        _validate.like(noise, x_t, "noise", "x_t")
        t_ = self._steps(t, x_t)
        mean = self.posterior_mean_from_eps(x_t, t_, eps)
        std = self.reverse_variance(t_, x_t, variance).sqrt()
        last = (t_ == 1).reshape((-1,) + (1,) * (x_t.ndim - 1))
        return mean + torch.where(last, torch.zeros_like(std), std) * noise

    # -- score form --------------------------------------------------------------------------
    def score_from_eps(self, eps: torch.Tensor, t: object) -> torch.Tensor:
        """ddpm.score_reparametrization: ``s_θ,t(x_t) = -ε_θ,t(x_t)/√(1-ᾱ_t)`` (000 L9)."""
        _validate.floating(eps, "eps")
        t = self._steps(t, eps)
        return -eps / self._take("sqrt_one_minus_alpha_bars", t, eps)

    def eps_from_score(self, score: torch.Tensor, t: object) -> torch.Tensor:
        """Inverse of ``score_from_eps``: ``ε = -√(1-ᾱ_t) s``."""
        _validate.floating(score, "score")
        t = self._steps(t, score)
        return -self._take("sqrt_one_minus_alpha_bars", t, score) * score

    def reverse_step_score(self, x_t: torch.Tensor, t: object, score: torch.Tensor,
                           noise: torch.Tensor, variance: str = "beta_tilde") -> torch.Tensor:
        """ddpm.sampling_in_score_form: ``x_{t-1} = x_t/√(1-β_t) + β_t/√(1-β_t) s_θ,t(x_t) + σ_t z``
        (000 L9 "DDPM vs NCSN: Sampling")."""
        _validate.floating(x_t, "x_t")
        _validate.like(score, x_t, "score", "x_t")
        _validate.like(noise, x_t, "noise", "x_t")
        t_ = self._steps(t, x_t)
        mean = self._take("rsqrt_alphas", t_, x_t) * x_t + self._take("coef_score", t_, x_t) * score
        std = self.reverse_variance(t_, x_t, variance).sqrt()
        last = (t_ == 1).reshape((-1,) + (1,) * (x_t.ndim - 1))
        return mean + torch.where(last, torch.zeros_like(std), std) * noise

    def sample(self, eps_model: EpsModel, x_T: torch.Tensor, noises: NoiseSource | None = None,
               variance: str = "beta_tilde", *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Ancestral sampling from ``x_T`` down to ``x_0`` (ddpm.ancestral_sampling); the ``z`` of step ``t``:

        * ``noises`` a tensor ``(T, *x_T.shape)`` (or a sequence of ``T`` tensors): ``noises[t-1]``, all held at
          once (``noises[0]`` is unused: no noise at ``t = 1``);
        * ``noises`` a callable ``t -> z``: called for ``t = T, ..., 2`` in that order;
        * ``noises`` any other iterable: consumed lazily, step ``T``'s ``z`` first (``T - 1`` items);
        * ``generator=``: ``torch.randn(x_T.shape, generator=generator)`` like ``x_T``, per step ``T, ..., 2``.

        The streamed forms keep one step's noise alive at a time (peak memory O(1) in ``T``) and give the
        tensor form's sample when they hand over the same numbers (``dgmcheck.impl._noise``).
        """
        _validate.floating(x_T, "x_T")
        if variance not in ("beta_tilde", "beta"):
            raise ValueError(f"variance must be 'beta_tilde' or 'beta', got {variance!r}")
        feed = NoiseFeed(noises, generator, x_T, self.T, like_name="x_T")
        # Validated once here, the loop takes each step's coefficients from tables cast once (O(1) per step:
        # re-validating and re-gathering per step made a T-step sample cost O(T) per step on some devices).
        # A subclass that redefines the step is sampled through its own ``reverse_step``.
        own = all(getattr(type(self), m) is getattr(GaussianDiffusion, m) for m in _STEP_METHODS)
        if own:
            like = (x_T.dtype, x_T.device)
            kx, ke = self._table("rsqrt_alphas", *like), self._table("coef_eps", *like)
            std = self._table("posterior_variances" if variance == "beta_tilde" else "betas", *like).sqrt()
            zero = torch.zeros((), dtype=x_T.dtype, device=x_T.device)
        x = x_T
        for t in range(self.T, 0, -1):
            tt = torch.full((x.shape[0],), t, dtype=torch.long, device=x.device)
            # step 1 adds no noise: a stream is not asked for it (the tensor's noises[0] is read and zeroed)
            z = feed(t - 1, t) if t > 1 or not feed.streamed else torch.zeros_like(x)
            eps = eps_model(x, tt)
            if own:  # reverse_step's arithmetic, with every row at the same step
                _validate.like(eps, x, "eps", "x_t")
                x = kx[t - 1] * x  # in place below: the same operations as x/√α - kε + σz, fewer buffers
                x.sub_(ke[t - 1] * eps).add_((std[t - 1] if t > 1 else zero) * z)
            else:
                x = self.reverse_step(x, tt, eps, z, variance)
            del z, eps  # the next step's noise is made after this one is gone
        return x

    # -- ELBO and losses -------------------------------------------------------------------
    def loss_weight(self, t: object, like: torch.Tensor | None = None) -> torch.Tensor:
        """ddpm.loss_weight: ``λ_t = (1-α_t)² / (2 β̃_t α_t (1-ᾱ_t))`` for ``t >= 2`` (000 L8
        "Reparametrization of DDPM"), shape ``(batch,)``; ``t = 1`` is refused (``β̃_1 = 0``)."""
        ref = like if like is not None else self.betas
        t_ = _validate.steps(t, self.T, t.shape[0] if isinstance(t, torch.Tensor) and t.ndim else 1,
                             ref.device)
        if int(t_.min()) < 2:
            raise ValueError("t must be >= 2 for the loss weight: β̃_1 = 0 and the t = 1 term of "
                             "the ELBO is the decoder log p_θ(x_0|x_1), not a KL")
        return self._take("loss_weights", t_, ref).reshape(-1)

    def elbo_term_eps(self, x0: torch.Tensor, t: object, noise: torch.Tensor,
                      eps_pred: torch.Tensor) -> torch.Tensor:
        """The integrand of ``L_t`` in ε-form, ``λ_t ‖ε - ε_θ,t(x_t)‖²``, per sample (000 L8)."""
        _validate.like(noise, x0, "noise", "x0")
        _validate.like(eps_pred, x0, "eps_pred", "x0")
        t_ = self._steps(t, x0)
        return self.loss_weight(t_, x0) * _sum_nonbatch((noise - eps_pred) ** 2)

    def posterior_kl(self, x_t: torch.Tensor, x0: torch.Tensor, t: object,
                     model_mean: torch.Tensor, model_var: torch.Tensor) -> torch.Tensor:
        """``KL(q(x_{t-1}|x_t, x_0) || N(model_mean, model_var))`` per sample (the ``L_t`` integrand)."""
        mean, var = self.posterior(x_t, x0, t)
        return _sum_nonbatch(_normal_kl(mean, var.expand_as(mean), model_mean,
                                        model_var.expand_as(mean)))

    def prior_kl(self, x0: torch.Tensor) -> torch.Tensor:
        """``KL(q(x_T|x_0) || N(0, I))`` per sample (000 L8: the ELBO's constant term)."""
        _validate.floating(x0, "x0")
        t = torch.full((x0.shape[0],), self.T, dtype=torch.long, device=x0.device)
        mean = self._take("sqrt_alpha_bars", t, x0) * x0
        var = self._take("one_minus_alpha_bars", t, x0).expand_as(x0)
        return _sum_nonbatch(_normal_kl(mean, var, torch.zeros_like(x0), torch.ones_like(x0)))

    def decoder_log_likelihood(self, x0: torch.Tensor, model_mean: torch.Tensor,
                               model_var: torch.Tensor) -> torch.Tensor:
        """``log N(x_0; μ_θ,1(x_1), σ_1²)`` per sample (the ELBO's reconstruction term, 000 L8)."""
        _validate.like(model_mean, x0, "model_mean", "x0")
        var = model_var.expand_as(x0)
        return _sum_nonbatch(-0.5 * (math.log(2 * math.pi) + torch.log(var)
                                     + (x0 - model_mean) ** 2 / var))

    def simple_loss(self, eps_model: EpsModel, x0: torch.Tensor, t: object,
                    noise: torch.Tensor) -> torch.Tensor:
        """ddpm.simple_loss: ``‖ε - ε_θ,t(√ᾱ_t x_0 + √(1-ᾱ_t) ε)‖²`` per sample (000 L8 "Simplified
        Objective"; 001 Algorithm 1). Average over ``t ~ U{1..T}`` and the batch outside."""
        t_ = self._steps(t, x0)
        x_t = self.q_sample(x0, t_, noise)
        return _sum_nonbatch((noise - eps_model(x_t, t_)) ** 2)

    def dsm_term(self, x0: torch.Tensor, t: object, noise: torch.Tensor,
                 score_pred: torch.Tensor) -> torch.Tensor:
        """ddpm.elbo_equals_dsm: ``C_2,t ‖s_θ,t(x_t) - ∇ log q(x_t|x_0)‖²`` with ``C_2 = λ_t(1-ᾱ_t)`` and
        ``∇ log q(x_t|x_0) = -ε/√(1-ᾱ_t)`` (000 L9), per sample."""
        _validate.like(score_pred, x0, "score_pred", "x0")
        t_ = self._steps(t, x0)
        target = self.score_from_eps(noise, t_)
        c2 = self.loss_weight(t_, x0) * self._take("one_minus_alpha_bars", t_, x0).reshape(-1)
        return c2 * _sum_nonbatch((score_pred - target) ** 2)


class MLPDenoiser(nn.Module):
    """A small ε-prediction network ``ε_θ(x_t, t)`` for low-dimensional data.

    The step enters through sinusoidal features of ``t/T``; parameters take the dtype and device
    the module is moved to.
    """

    def __init__(self, dim: int, T: int, hidden: int = 64, n_freqs: int = 8) -> None:
        super().__init__()
        dim, T = _validate.count(dim, "dim"), _validate.count(T, "T")
        hidden, n_freqs = _validate.count(hidden, "hidden"), _validate.count(n_freqs, "n_freqs")
        self.T = T
        self.register_buffer("freqs", torch.pi * 2.0 ** torch.arange(n_freqs, dtype=torch.float32))
        self.net = nn.Sequential(
            nn.Linear(dim + 2 * n_freqs, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, dim))

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        u = (t.to(x_t.dtype) / self.T)[:, None] * self.freqs.to(x_t.dtype)
        return self.net(torch.cat([x_t.reshape(x_t.shape[0], -1), u.sin(), u.cos()], dim=1)
                        ).reshape(x_t.shape)


class ExactMixtureEps(nn.Module):
    """The exact noise predictor ``ε*(x_t, t) = E[ε | x_t]`` for Gaussian-mixture data.

    Data ``x_0 ~ Σ_k w_k N(m_k, C_k)``; then ``x_t | k ~ N(√ᾱ_t m_k, ᾱ_t C_k + (1-ᾱ_t) I)`` and
    ``E[ε|x_t, k] = √(1-ᾱ_t) Σ_k^{-1}(x_t - √ᾱ_t m_k)``, averaged with the component posteriors.
    This is the minimizer of the simple loss, and ``-ε*/√(1-ᾱ_t)`` is the exact score of ``q(x_t)``.
    """

    def __init__(self, diffusion: GaussianDiffusion, weights: torch.Tensor, means: torch.Tensor,
                 covs: torch.Tensor) -> None:
        super().__init__()
        _validate.instance(diffusion, "diffusion", GaussianDiffusion, "a GaussianDiffusion")
        weights = _validate.probabilities(weights, "weights", ndim=1).to(torch.float64)
        means = _validate.tensor(means, "means", ndim=2).to(torch.float64)
        covs = _validate.tensor(covs, "covs", ndim=3).to(torch.float64)
        if means.ndim != 2 or weights.shape != means.shape[:1] or covs.shape != (
                *means.shape, means.shape[1]):
            raise ValueError("weights, means, covs must have shapes (K,), (K, d), (K, d, d); got "
                             f"{tuple(weights.shape)}, {tuple(means.shape)}, {tuple(covs.shape)}")
        if not torch.allclose(covs, covs.mT, rtol=1e-10, atol=1e-12):
            raise ValueError("covs must be symmetric (covariance matrices)")
        if bool((torch.linalg.eigvalsh(covs) <= 0).any()):
            raise ValueError(f"covs must be positive definite, got eigenvalues {torch.linalg.eigvalsh(covs).tolist()}")
        self.diffusion = diffusion
        self.register_buffer("log_weights", weights.log())
        self.register_buffer("means", means)
        self.register_buffer("covs", covs)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        d = self.means.shape[1]
        if x_t.ndim != 2 or x_t.shape[1] != d:
            raise ValueError(f"x_t must have shape (batch, {d}), got {tuple(x_t.shape)}")
        t = self.diffusion._steps(t, x_t)
        abar = self.diffusion.alpha_bars.to(x_t.device)[t - 1].to(x_t.dtype)  # (B,)
        omab = self.diffusion.one_minus_alpha_bars.to(x_t.device)[t - 1].to(x_t.dtype)
        means = self.means.to(x_t)
        covs = self.covs.to(x_t)
        eye = torch.eye(d, dtype=x_t.dtype, device=x_t.device)
        sig = abar[:, None, None, None] * covs + omab[:, None, None, None] * eye  # (B, K, d, d)
        diff = x_t[:, None, :] - abar.sqrt()[:, None, None] * means  # (B, K, d)
        chol = torch.linalg.cholesky(sig)
        sol = torch.cholesky_solve(diff[..., None], chol)[..., 0]  # Σ^{-1}(x - √ᾱ m)
        logdet = 2 * torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)
        logits = self.log_weights.to(x_t) - 0.5 * ((diff * sol).sum(-1) + logdet)
        r = torch.softmax(logits, dim=1)
        return omab.sqrt()[:, None] * (r[..., None] * sol).sum(1)
