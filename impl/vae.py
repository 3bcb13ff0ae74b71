"""Reference latent variable models with exact ELBOs (batched torch; dtype/device follow parameters).

- ``LinearGaussianVAE``: ``p(z) = N(0, I_k)``, ``p(x|z) = N(W z + b, diag ψ)`` (probabilistic PCA);
  ``q = (mean (B, k), cov (B, k, k))`` any Gaussian.
- ``DiscreteLatentModel``: ``p(z) = π`` (K states), ``p(x|z) = T[z, x]`` (V symbols);
  ``q`` a ``(B, K)`` table of probabilities.

Both expose ``log_marginal(x)``, ``posterior(x)``, ``recon(x, q) = E_q log p(x|z)``,
``kl_prior(q) = KL(q || p(z))`` and ``elbo(x, q) = recon - kl_prior`` (000 L3 "Variational Evidence
Lower Bound (ELBO)").
"""

from __future__ import annotations

import math

import torch

from dgmcheck.impl import _validate as V
from dgmcheck.impl._validate import floating

_LOG2PI = math.log(2 * math.pi)


def _positive(v: torch.Tensor, name: str, **kw: object) -> torch.Tensor:
    return V.tensor(v, name, positive=True, **kw)


class LinearGaussianVAE:
    """Linear-Gaussian latent model with parameters ``W (d, k)``, ``b (d,)``, ``noise_var ψ (d,)``."""

    def __init__(self, W: torch.Tensor, b: torch.Tensor, noise_var: torch.Tensor) -> None:
        V.tensor(W, "W")
        if W.ndim != 2:
            raise ValueError(f"W must be a (d, k) matrix, got shape {tuple(W.shape)}")
        self.d, self.k = W.shape
        for name, v in (("b", b), ("noise_var", noise_var)):
            V.tensor(v, name, like_=W, like_name="W", positive=name == "noise_var")
            if tuple(v.shape) != (self.d,):
                raise ValueError(f"{name} must have shape (d,) = ({self.d},) to match W {tuple(W.shape)}, "
                                 f"got {tuple(v.shape)}")
        self.W, self.b, self.noise_var = W, b, noise_var

    def to(self, device=None, dtype=None) -> LinearGaussianVAE:
        self.W, self.b, self.noise_var = (t.to(device=device, dtype=dtype) for t in (self.W, self.b, self.noise_var))
        return self

    def _x(self, x: torch.Tensor) -> torch.Tensor:
        floating(x, "x")
        if x.ndim != 2 or x.shape[1] != self.d:
            raise ValueError(f"x must have shape (batch, {self.d}), got {tuple(x.shape)}")
        return x

    def _q(self, q: tuple[torch.Tensor, torch.Tensor], batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        mean, cov = q
        if tuple(mean.shape) != (batch, self.k) or tuple(cov.shape) != (batch, self.k, self.k):
            raise ValueError(f"q must be (mean ({batch}, {self.k}), cov ({batch}, {self.k}, {self.k})), "
                             f"got {tuple(mean.shape)} and {tuple(cov.shape)}; a latent dimension mismatch")
        return mean, cov

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``log p(x|z)`` for matching rows."""
        r = x - z @ self.W.T - self.b
        return -0.5 * ((r * r) / self.noise_var + self.noise_var.log() + _LOG2PI).sum(-1)

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``p(z|x)``: precision ``Λ = I + Wᵀ Ψ⁻¹ W``, mean ``Λ⁻¹ Wᵀ Ψ⁻¹ (x - b)``."""
        x = self._x(x)
        eye = torch.eye(self.k, dtype=self.W.dtype, device=self.W.device)
        Wp = self.W / self.noise_var[:, None]
        prec = eye + self.W.T @ Wp
        chol = torch.linalg.cholesky(prec)
        cov = torch.cholesky_inverse(chol)
        mean = torch.cholesky_solve(((x - self.b) @ Wp).T, chol).T
        return mean, cov.expand(x.shape[0], self.k, self.k)

    def log_marginal(self, x: torch.Tensor) -> torch.Tensor:
        """Bayes at the posterior mean: ``log p(x) = log p(x|z) + log p(z) - log p(z|x)``."""
        mean, cov = self.posterior(x)
        log_post = -0.5 * (torch.logdet(cov[0]) + self.k * _LOG2PI)  # N(mean; mean, cov)
        log_prior = -0.5 * ((mean * mean).sum(-1) + self.k * _LOG2PI)
        return self.log_likelihood(x, mean) + log_prior - log_post

    def recon(self, x: torch.Tensor, q) -> torch.Tensor:
        """``E_q log p(x|z) = log p(x | z = m) - ½ tr(Ψ⁻¹ W S Wᵀ)``."""
        x = self._x(x)
        mean, cov = self._q(q, x.shape[0])
        Wp = self.W / self.noise_var[:, None]
        trace = torch.einsum("ij,bjk,ik->b", self.W, cov, Wp)
        return self.log_likelihood(x, mean) - 0.5 * trace

    def kl_prior(self, q) -> torch.Tensor:
        """``KL(N(m, S) || N(0, I)) = ½ (tr S + |m|² - k - log det S)``."""
        mean, cov = q
        return 0.5 * (torch.diagonal(cov, dim1=-2, dim2=-1).sum(-1) + (mean * mean).sum(-1) - self.k
                      - torch.logdet(cov))

    def elbo(self, x: torch.Tensor, q) -> torch.Tensor:
        return self.recon(x, q) - self.kl_prior(self._q(q, x.shape[0]))


class DiscreteLatentModel:
    """``p(z) = prior (K,)``, ``p(x|z) = likelihood[z, x]`` (``(K, V)``, rows sum to 1)."""

    def __init__(self, prior: torch.Tensor, likelihood: torch.Tensor) -> None:
        prior, likelihood = _positive(prior, "prior", ndim=1), _positive(likelihood, "likelihood", ndim=2)
        V.like(likelihood, prior, "likelihood", "prior", same_shape=False)
        if prior.ndim != 1 or likelihood.ndim != 2 or likelihood.shape[0] != prior.shape[0]:
            raise ValueError(f"prior must be (K,) and likelihood (K, V), got {tuple(prior.shape)} and "
                             f"{tuple(likelihood.shape)}")
        for name, t, dim in (("prior", prior, 0), ("likelihood", likelihood, 1)):
            err = float((t.sum(dim) - 1).abs().max())
            if err > 1e3 * torch.finfo(t.dtype).eps:
                raise ValueError(f"{name} must sum to 1 along its last axis, off by {err:.3e}")
        self.prior, self.likelihood = prior, likelihood
        self.K, self.V = likelihood.shape

    def to(self, device=None, dtype=None) -> DiscreteLatentModel:
        self.prior, self.likelihood = self.prior.to(device, dtype), self.likelihood.to(device, dtype)
        return self

    def _log_joint(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype != torch.long or x.ndim != 1:
            raise TypeError(f"x must be a 1-d long tensor of symbols, got {x.dtype} with shape {tuple(x.shape)}")
        if bool(((x < 0) | (x >= self.V)).any()):
            raise ValueError(f"x must lie in 0..{self.V - 1}, got {x.tolist()}")
        return self.prior.log() + self.likelihood.log().T[x]  # (B, K)

    def log_marginal(self, x: torch.Tensor) -> torch.Tensor:
        return torch.logsumexp(self._log_joint(x), -1)

    def posterior(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self._log_joint(x), -1)

    def _qcheck(self, q: torch.Tensor) -> torch.Tensor:
        if q.ndim != 2 or q.shape[1] != self.K:
            raise ValueError(f"q must have shape (batch, {self.K}), got {tuple(q.shape)}; a latent dimension mismatch")
        return q

    def recon(self, x: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        q = self._qcheck(q)
        return torch.where(q > 0, q * self.likelihood.log().T[x], torch.zeros_like(q)).sum(-1)

    def kl_prior(self, q: torch.Tensor) -> torch.Tensor:
        q = self._qcheck(q)
        return torch.where(q > 0, q * (q.clamp_min(torch.finfo(q.dtype).tiny).log() - self.prior.log()),
                           torch.zeros_like(q)).sum(-1)

    def elbo(self, x: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        return self.recon(x, q) - self.kl_prior(q)


# --------------------------------------------------------------------------- VAE pieces
def gaussian_kl(mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor | None = None,
                logvar_p: torch.Tensor | None = None) -> torch.Tensor:
    """vae.gaussian_kl: KL between diagonal Gaussians given means and LOG-VARIANCES, summed over the
    last axis: ``½ Σ [lv_p - lv_q + (σ_q² + (μ_q - μ_p)²)/σ_p² - 1]`` (default p = N(0, I))."""
    V.batch(mu_q, "mu_q")
    for name, v in (("logvar_q", logvar_q), ("mu_p", mu_p), ("logvar_p", logvar_p)):
        if v is not None or name == "logvar_q":
            V.batch(v, name, like_=mu_q, like_name="mu_q", same_shape=True)
    mu_p = torch.zeros_like(mu_q) if mu_p is None else mu_p
    logvar_p = torch.zeros_like(logvar_q) if logvar_p is None else logvar_p
    diff = mu_q - mu_p
    ratio = torch.exp(logvar_q - logvar_p)
    return 0.5 * (ratio + diff * diff * torch.exp(-logvar_p) - 1.0 - (logvar_q - logvar_p)).sum(-1)


def categorical_kl(q: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """``KL(q || p) = Σ_k q_k log(q_k / p_k)`` over the last axis, with ``0 log 0 = 0``."""
    V.probabilities(q, "q")
    V.like(p, q, "p", "q", same_shape=False)
    V.probabilities(p, "p")
    if q.shape != p.shape:
        raise ValueError(f"q and p must have one shape, got {tuple(q.shape)} and {tuple(p.shape)}")
    if bool((p <= 0).any()):
        raise ValueError("p must be positive (KL(q || p) is infinite where p = 0 < q)")
    safe_q = torch.where(q > 0, q, torch.ones_like(q))
    return torch.where(q > 0, q * (safe_q.log() - p.log()), torch.zeros_like(q)).sum(-1)


def rsample(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """vae.reparametrization: ``z = g_φ(ε) = μ + exp(½ log σ²) ⊙ ε``, ``ε ~ N(0, I)``."""
    V.batch(mu, "mu")
    V.batch(logvar, "logvar", like_=mu, like_name="mu")
    V.batch(eps, "eps", like_=mu, like_name="mu")
    if mu.shape != logvar.shape or mu.shape[-1:] != eps.shape[-1:]:
        raise ValueError(f"mu, logvar and eps must agree in the latent dimension, got {tuple(mu.shape)}, "
                         f"{tuple(logvar.shape)} and {tuple(eps.shape)}")
    try:
        torch.broadcast_shapes(mu.shape, eps.shape)
    except RuntimeError:
        raise ValueError(f"eps of shape {tuple(eps.shape)} does not broadcast against mu {tuple(mu.shape)}") from None
    return mu + torch.exp(0.5 * logvar) * eps


class GaussianVAE(LinearGaussianVAE):
    """A Gaussian VAE with a linear amortized encoder ``μ_φ(x) = A x + c``, ``log σ²_φ(x) = D x + e``
    and the linear-Gaussian decoder; ``elbo_estimate(x, eps)`` is the one-sample reparametrized
    estimator ``log p(x | μ + σ ⊙ ε) - KL(q_φ(z|x) || N(0, I))`` (000 L3 "Variational Autoencoder (VAE)")."""

    def __init__(self, W, b, noise_var, A, c, D, e) -> None:
        super().__init__(W, b, noise_var)
        for name, v in (("A", A), ("c", c), ("D", D), ("e", e)):
            V.tensor(v, name)
        if tuple(A.shape) != (self.k, self.d) or tuple(D.shape) != (self.k, self.d):
            raise ValueError(f"A and D must have shape ({self.k}, {self.d}) to match the latent dimension, got "
                             f"{tuple(A.shape)} and {tuple(D.shape)}")
        for name, v in (("A", A), ("c", c), ("D", D), ("e", e)):
            V.tensor(v, name, like_=W, like_name="W", shape=None if name in "AD" else (self.k,))
        self.A, self.c, self.D, self.e = A, c, D, e

    def to(self, device=None, dtype=None) -> GaussianVAE:
        super().to(device, dtype)
        self.A, self.c, self.D, self.e = (t.to(device=device, dtype=dtype) for t in (self.A, self.c, self.D, self.e))
        return self

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self._x(x)
        return x @ self.A.T + self.c, x @ self.D.T + self.e

    def rsample(self, mu, logvar, eps):
        return rsample(mu, logvar, eps)

    def gaussian_kl(self, mu_q, logvar_q, mu_p, logvar_p):
        return gaussian_kl(mu_q, logvar_q, mu_p, logvar_p)

    def elbo_estimate(self, x: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """``eps`` is ``(B, k)`` (one sample per row) → ``(B,)``."""
        mu, logvar = self.encode(x)
        z = self.rsample(mu, logvar, eps)
        return self.log_likelihood(x, z) - gaussian_kl(mu, logvar)


class CategoricalModel:
    """``p_θ(x = k) = softmax(logits)_k`` on K symbols (fit by maximum likelihood)."""

    def __init__(self, logits: torch.Tensor) -> None:
        V.tensor(logits, "logits", allow="-inf")
        if logits.ndim != 1:
            raise ValueError(f"logits must be 1-d (K,), got shape {tuple(logits.shape)}")
        self.logits = logits
        self.K = logits.shape[0]

    @property
    def probs(self) -> torch.Tensor:
        return torch.softmax(self.logits, -1)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype != torch.long or bool(((x < 0) | (x >= self.K)).any()):
            raise ValueError(f"x must be a long tensor of symbols in 0..{self.K - 1}")
        return torch.log_softmax(self.logits, -1)[x]

    @staticmethod
    def fit(x: torch.Tensor, K: int, dtype: torch.dtype = torch.float64) -> CategoricalModel:
        """The MLE ``p̂(k) = #{x_i = k}/n`` (as logits; an unseen symbol gets -inf)."""
        counts = torch.bincount(x, minlength=K).to(dtype)
        return CategoricalModel((counts / counts.sum()).log())


# --------------------------------------------------------------------------- ELBO surgery
def aggregated_posterior(q: torch.Tensor) -> torch.Tensor:
    """elbo.optimal_prior: ``q_agg(z) = (1/n) Σ_i q(z|x_i)`` for encoder rows ``(n, K)`` — the prior
    that maximizes the average ELBO."""
    V.floating(q, "q")
    if q.ndim != 2:
        raise ValueError(f"q must be (n, K) encoder rows, got shape {tuple(q.shape)}")
    V.probabilities(q, "q")
    return q.mean(0)


def elbo_surgery(q: torch.Tensor, prior: torch.Tensor) -> dict[str, torch.Tensor]:
    """``(1/n) Σ KL(q_i || p)``, ``KL(q_agg || p)`` and ``I_q[x, z] = H(q_agg) - (1/n) Σ H(q_i)``."""
    agg = aggregated_posterior(q)
    V.probabilities(prior, "prior", ndim=1)
    V.like(prior, q, "prior", "q", same_shape=False)
    if prior.shape != agg.shape:
        raise ValueError(f"prior must have shape {tuple(agg.shape)} (K), got {tuple(prior.shape)}")

    def neg_entropy(t: torch.Tensor) -> torch.Tensor:
        return torch.where(t > 0, t * torch.where(t > 0, t, torch.ones_like(t)).log(), torch.zeros_like(t)).sum(-1)

    return {"average_kl": categorical_kl(q, prior.expand_as(q)).mean(),
            "marginal_kl": categorical_kl(agg, prior),
            "mutual_information": neg_entropy(q).mean() - neg_entropy(agg)}


optimal_prior = aggregated_posterior


class FlowPriorVAE(GaussianVAE):
    """A Gaussian VAE whose prior is a normalizing flow ``p_λ(z) = N(f_λ(z); 0, I) |det J_{f_λ}(z)|``
    (000 L4 "NF-Based VAE Prior"); ``prior_flow`` is any flow with ``log_prob`` (``dgmcheck.impl.flows``)."""

    def __init__(self, W, b, noise_var, A, c, D, e, prior_flow) -> None:
        k = V.tensor(W, "W", ndim=2).shape[1]  # the flow is checked first: it is the argument this class adds
        if not callable(getattr(prior_flow, "log_prob", None)):
            raise TypeError(f"prior_flow must be a flow with log_prob(z), got {V._got(prior_flow)}")
        if getattr(prior_flow, "dim", None) != k:
            raise ValueError(f"prior_flow must act on the latent dimension {k}, "
                             f"got {getattr(prior_flow, 'dim', None)}")
        super().__init__(W, b, noise_var, A, c, D, e)
        self.prior_flow = prior_flow

    def to(self, device=None, dtype=None) -> FlowPriorVAE:
        super().to(device, dtype)
        self.prior_flow.to(device, dtype)
        return self

    def prior_log_prob(self, z: torch.Tensor) -> torch.Tensor:
        return self.prior_flow.log_prob(z)

    def elbo_estimate(self, x: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """``log p(x|z) + log p_λ(z) - log q_φ(z|x)`` at ``z = μ + σ ε`` (no closed-form KL)."""
        mu, logvar = self.encode(x)
        z = self.rsample(mu, logvar, eps)
        log_q = -0.5 * (eps * eps + logvar + _LOG2PI).sum(-1)
        return self.log_likelihood(x, z) + self.prior_log_prob(z) - log_q


class FlowAsVAE:
    """A linear flow (``dgmcheck.impl.flows.LinearFlow`` or LU/QR) viewed as a VAE with Gaussian
    encoder ``q_σ(z|x) = N(f(x), σ² I)`` and decoder ``p_σ(x|z) = N(f⁻¹(z), σ² J_f⁻¹ J_f⁻ᵀ)``;
    σ → 0 gives the δ encoder/decoder of 000 L3 "VAE vs Normalizing Flows"."""

    def __init__(self, flow, sigma: float) -> None:
        V.positive(sigma, "sigma")
        if not callable(getattr(flow, "weight", None)):
            raise TypeError("flow must be a linear flow with weight() (the decoder covariance needs J_f)")
        self.flow, self.sigma = flow, float(sigma)

    def to(self, device=None, dtype=None) -> FlowAsVAE:
        self.flow.to(device, dtype)
        return self

    def elbo_estimate(self, x: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """``log p_σ(x|z) + log N(z; 0, I) - log q_σ(z|x)`` at ``z = f(x) + σ ε``."""
        mean, log_det = self.flow.forward(x)
        z = mean + self.sigma * eps
        x_hat, _ = self.flow.inverse(z)
        k = x.shape[-1]
        r = (x - x_hat) @ self.flow.weight().T  # W (x - x̂): white under the decoder's covariance
        log_norm = 0.5 * k * _LOG2PI + k * math.log(self.sigma)
        log_dec = -0.5 * (r * r).sum(-1) / self.sigma**2 - log_norm + log_det
        log_enc = -0.5 * (eps * eps).sum(-1) - log_norm
        log_prior = -0.5 * (z * z).sum(-1) - 0.5 * k * _LOG2PI
        return log_dec + log_prior - log_enc
