"""Exact ELBO oracle for DDPM with a linear-Gaussian reverse chain (no sampling anywhere).

Lecture references (seed ``000``, lecture 8): ``000 L8 "Conditioned Reverse Distribution"``,
``000 L8 "Gaussian Diffusion Model as VAE"``, ``000 L8 "ELBO for Gaussian Diffusion Model"``,
``000 L8 "Reparametrization of DDPM"`` and ``000 L8 "Denoising Diffusion Probabilistic Model
(DDPM)"``.

Conventions (the lecture's). ``betas[t-1] = β_t`` for ``t = 1..T``, ``α_t = 1 - β_t``,
``ᾱ_t = ∏_{s≤t} α_s``, ``ᾱ_0 = 1``. Forward kernel ``q(x_t|x_{t-1}) = N(√α_t x_{t-1}, β_t)``,
so ``q(x_t|x_0) = N(√ᾱ_t x_0, 1-ᾱ_t)``; posterior ``q(x_{t-1}|x_t,x_0) = N(μ̃_t, β̃_t)`` with
``μ̃_t = √ᾱ_{t-1} β_t/(1-ᾱ_t) x_0 + √α_t (1-ᾱ_{t-1})/(1-ᾱ_t) x_t`` and
``β̃_t = (1-ᾱ_{t-1}) β_t/(1-ᾱ_t)``.

The reverse model is a *linear* Gaussian chain ``p_θ(x_{t-1}|x_t) = N(a_t x_t + b_t, v_t)``,
``p(x_T) = N(prior_mean, prior_var)``. Everything is isotropic or diagonal, so the computations
run per coordinate and every log-density, ELBO and KL returned is summed over coordinates.

Three independent routes to the same numbers make the identities genuine checks:

- :func:`elbo` takes the expectation of the log-ratio directly from the Gaussian moments of the
  forward chain given ``x_0``;
- :func:`elbo_terms` is the lecture's decomposition (reconstruction - prior KL - Σ L_t);
- :func:`log_likelihood` and :func:`posterior_kl_gap` use the marginal of the chain and the
  ``T x T`` precision matrix of ``p_θ(x_{1:T}|x_0)``, so that
  ``log p_θ(x_0) - ELBO = KL(q(x_{1:T}|x_0) || p_θ(x_{1:T}|x_0))``.

Shapes: ``x_0`` is a float or a 1-D array of ``d`` coordinates; chain arrays are ``(T,)``
(shared by all coordinates) or ``(T, d)`` (per coordinate). Per-coordinate ``a``, ``v`` and
``prior_var`` are needed for the exact time reversal of data with a per-coordinate variance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike

__all__ = [
    "ElboTerms",
    "LinearReverseChain",
    "ddpm_sampler_chain",
    "elbo",
    "elbo_terms",
    "eps_optimal_linear",
    "gaussian_kl",
    "log_likelihood",
    "optimal_reverse_variance",
    "posterior_kl_gap",
    "sampler_law",
    "true_reverse_chain",
]

_LOG_2PI = float(np.log(2.0 * np.pi))
#: The longest chain :func:`posterior_kl_gap` factors densely (a (T+1) x T QR and a T x T Cholesky per
#: coordinate: ~0.1 GiB and seconds at T = 2000). Every other function here is O(T) and vectorized.
MAX_DENSE_STEPS = 2000


# ----------------------------------------------------------------------------- validation


def _float_array(value: ArrayLike, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real number or array, got {value!r}") from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr


def _coordinates(value: ArrayLike, name: str) -> np.ndarray:
    """A scalar or a 1-D array of coordinates."""
    arr = _float_array(value, name)
    if arr.ndim > 1 or arr.size == 0:
        raise ValueError(f"{name} must be a scalar or a non-empty 1-D array of coordinates, got shape "
                         f"{arr.shape}")
    return arr


def _agree(**arrays: np.ndarray) -> tuple[int, ...]:
    """The coordinate shape the arrays broadcast to; ValueError naming them when they do not."""
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {a.shape}" for k, a in arrays.items())
        raise ValueError(f"{', '.join(arrays)} must have one number of coordinates (or be scalars), got "
                         f"{shapes}") from None


def _positive(value: ArrayLike, name: str, *, allow_zero: bool = False) -> np.ndarray:
    arr = _coordinates(value, name)
    bad = np.any(arr < 0) if allow_zero else np.any(arr <= 0)
    if bad:
        sign = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {sign}, got {value!r}")
    return arr


def _check_betas(betas: ArrayLike) -> np.ndarray:
    try:
        arr = np.asarray(betas, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"betas must be a 1-D array of floats, got {betas!r}") from exc
    if arr.ndim != 1 or arr.shape[0] < 1:
        raise ValueError(f"betas must be a non-empty 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0) or np.any(arr >= 1):
        raise ValueError(f"betas must lie in the open interval (0, 1), got {arr!r}")
    return arr


def _schedule(betas: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(α_t, ᾱ_t, ᾱ_{t-1})`` for ``t = 1..T`` (``ᾱ_0 = 1``)."""
    alphas = 1.0 - betas
    alpha_bar = np.cumprod(alphas)
    alpha_bar_prev = np.concatenate(([1.0], alpha_bar[:-1]))
    return alphas, alpha_bar, alpha_bar_prev


def _one_minus_alpha_bar(betas: np.ndarray) -> np.ndarray:
    """``1 - ᾱ_t`` for ``t = 0..T`` without cancellation (``-expm1(Σ log1p(-β))``)."""
    log_alpha_bar = np.concatenate(([0.0], np.cumsum(np.log1p(-betas))))
    return -np.expm1(log_alpha_bar)


# ----------------------------------------------------------------------------- data classes


@dataclass(frozen=True)
class LinearReverseChain:
    """Linear-Gaussian reverse chain (000 L8 "Gaussian Diffusion Model as VAE").

    ``p_θ(x_{t-1}|x_t) = N(a[t-1]·x_t + b[t-1], v[t-1])`` for ``t = 1..T`` and
    ``p(x_T) = N(prior_mean, prior_var)``, independently per coordinate.

    ``a`` and ``v`` are ``(T,)`` or ``(T, d)``; ``b`` is ``(T,)`` or ``(T, d)``; ``prior_mean`` and
    ``prior_var`` are scalars or ``(d,)``. ``v`` must be ``>= 0``: a zero variance is a
    deterministic step (DDPM's last step with ``σ_1² = β̃_1 = 0``), which :func:`sampler_law` and
    :func:`log_likelihood` accept, while the ELBO functions need every ``v > 0``.
    """

    a: np.ndarray
    b: np.ndarray
    v: np.ndarray
    prior_mean: float | np.ndarray = 0.0
    prior_var: float | np.ndarray = 1.0

    def __post_init__(self) -> None:
        a = _float_array(self.a, "a")
        if a.ndim not in (1, 2) or a.shape[0] < 1:
            raise ValueError(f"a must have shape (T,) or (T, d) with T >= 1, got {a.shape}")
        steps = a.shape[0]
        fields = {"a": a}
        for name in ("b", "v"):
            arr = _float_array(getattr(self, name), name)
            if arr.ndim not in (1, 2) or arr.shape[0] != steps:
                raise ValueError(f"{name} must have shape ({steps},) or ({steps}, d), got "
                                 f"{arr.shape}")
            fields[name] = arr
        if np.any(fields["v"] < 0):
            raise ValueError(f"v must be >= 0 (variances of the reverse kernels), got {self.v!r}")
        fields["prior_mean"] = _coordinates(self.prior_mean, "prior_mean")
        fields["prior_var"] = _positive(self.prior_var, "prior_var")
        try:
            np.broadcast_shapes(*(f.shape[1:] for f in (a, fields["b"], fields["v"])),
                                fields["prior_mean"].shape, fields["prior_var"].shape)
        except ValueError as exc:
            raise ValueError("a, b, v, prior_mean and prior_var must agree on the number of "
                             "coordinates d") from exc
        for name, arr in fields.items():
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def num_steps(self) -> int:
        """``T``."""
        return int(self.a.shape[0])


@dataclass(frozen=True)
class ElboTerms:
    """The lecture's decomposition of the DDPM ELBO (000 L8 "ELBO for Gaussian Diffusion Model").

    ``ELBO = E_{q(x_1|x_0)} log p_θ(x_0|x_1) - KL(q(x_T|x_0) || p(x_T)) - Σ_{t=2}^T L_t`` with
    ``L_t = E_{q(x_t|x_0)} KL(q(x_{t-1}|x_t,x_0) || p_θ(x_{t-1}|x_t))``; each summed over
    coordinates.
    """

    reconstruction: float
    prior_kl: float
    diffusion_kls: np.ndarray

    @property
    def elbo(self) -> float:
        """``reconstruction - prior_kl - Σ_t L_t``."""
        return float(self.reconstruction - self.prior_kl - np.sum(self.diffusion_kls))


# ----------------------------------------------------------------------------- helpers


def _broadcast_chain(
    chain: LinearReverseChain, *extra: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[int, ...]]:
    """``a, b, v`` as ``(T, d)``, ``prior_mean, prior_var`` as ``(d,)``; ``d`` from all inputs."""
    if not isinstance(chain, LinearReverseChain):
        raise TypeError(f"chain must be a LinearReverseChain, got {type(chain).__name__}")
    coord_shape = (1,) if not extra else np.broadcast_shapes((1,), *(e.shape for e in extra))
    try:
        coord_shape = np.broadcast_shapes(coord_shape, chain.a.shape[1:], chain.b.shape[1:], chain.v.shape[1:],
                                          chain.prior_mean.shape, chain.prior_var.shape)
    except ValueError:
        raise ValueError(f"x0 has {extra[0].shape} coordinates but the chain has "
                         f"{chain.a.shape[1:] or chain.prior_mean.shape}") from None
    steps = chain.num_steps

    def per_step(arr: np.ndarray) -> np.ndarray:
        arr2 = arr if arr.ndim == 2 else arr[:, None]
        return np.broadcast_to(arr2, (steps, *coord_shape)).astype(np.float64)

    return (per_step(chain.a), per_step(chain.b), per_step(chain.v),
            np.broadcast_to(chain.prior_mean, coord_shape).astype(np.float64),
            np.broadcast_to(chain.prior_var, coord_shape).astype(np.float64),
            coord_shape)


def _chain_and_schedule(chain: LinearReverseChain, betas: ArrayLike, x0: ArrayLike):
    if not isinstance(chain, LinearReverseChain):
        raise TypeError(f"chain must be a LinearReverseChain, got {type(chain).__name__}")
    betas_arr = _check_betas(betas)
    x0_arr = _coordinates(x0, "x0")
    if betas_arr.shape[0] != chain.num_steps:
        raise ValueError(f"betas has length {betas_arr.shape[0]} but the chain has "
                         f"{chain.num_steps} steps")
    a, b, v, pm, pv, shape = _broadcast_chain(chain, x0_arr)
    if np.any(v <= 0):
        raise ValueError("chain.v must be > 0 for the ELBO (a deterministic reverse step has "
                         "log p_θ(x_{t-1}|x_t) = -inf under q)")
    x0_b = np.broadcast_to(x0_arr, shape).astype(np.float64)
    return betas_arr, a, b, v, pm, pv, x0_b


def _per_time(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``values`` of shape ``(n,)`` as ``(n,)`` for a scalar ``like``, ``(n, 1)`` for a vector."""
    return values if like.ndim == 0 else values[:, None]


def _log_normal(x: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    return -0.5 * (_LOG_2PI + np.log(var) + (x - mean) ** 2 / var)


# ----------------------------------------------------------------------------- public API


def gaussian_kl(mean_q: ArrayLike, var_q: ArrayLike, mean_p: ArrayLike, var_p: ArrayLike) -> float:
    """``KL(N(mean_q, var_q) || N(mean_p, var_p))`` of diagonal Gaussians, summed over coordinates.

    ``½ Σ_i [log(var_p/var_q) + (var_q + (mean_q - mean_p)²)/var_p - 1]``
    (000 L8 "ELBO for Gaussian Diffusion Model": the prior KL and every ``L_t``).
    """
    mq = _coordinates(mean_q, "mean_q")
    mp = _coordinates(mean_p, "mean_p")
    vq = _positive(var_q, "var_q")
    vp = _positive(var_p, "var_p")
    _agree(mean_q=mq, var_q=vq, mean_p=mp, var_p=vp)
    ratio = vq / vp
    terms = 0.5 * (ratio - 1.0 - np.log(ratio) + (mq - mp) ** 2 / vp)
    shape = np.broadcast_shapes(mq.shape, mp.shape, vq.shape, vp.shape)
    return float(np.sum(np.broadcast_to(terms, shape)))


def sampler_law(chain: LinearReverseChain) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of ``x_0`` from ancestral sampling of ``chain``, per coordinate.

    ``x_T ~ N(m_T, s_T)``, then ``x_{t-1} = a_t x_t + b_t + √v_t ε``, so
    ``m_{t-1} = a_t m_t + b_t`` and ``s_{t-1} = a_t² s_t + v_t`` down to ``t = 1``
    (000 L8 "Denoising Diffusion Probabilistic Model (DDPM)", ancestral sampling).
    Returns two ``(d,)`` arrays (``d = 1`` when nothing in the chain is per coordinate).
    """
    a, b, v, mean, var, _ = _broadcast_chain(chain)
    # Unrolled: x_0 = P_T x_T + Σ_t P_{t-1} (b_t + √v_t ε_t) with P_k = a_1 ⋯ a_k (P_0 = 1), so
    # m_0 = P_T m_T + Σ_t P_{t-1} b_t and s_0 = P_T² s_T + Σ_t P_{t-1}² v_t: one cumulative product, O(T).
    prods = np.concatenate([np.ones((1, *a.shape[1:])), np.cumprod(a, axis=0)])  # P_0..P_T
    mean = prods[-1] * mean + np.sum(prods[:-1] * b, axis=0)
    var = prods[-1] ** 2 * var + np.sum(prods[:-1] ** 2 * v, axis=0)
    return mean, var


def log_likelihood(chain: LinearReverseChain, x0: ArrayLike) -> float:
    """Exact ``log p_θ(x_0) = Σ_i log N(x_{0,i}; m_{0,i}, s_{0,i})`` of the linear chain.

    ``(m_0, s_0)`` from the mean/variance recursion ``m_{t-1} = a_t m_t + b_t``,
    ``s_{t-1} = a_t² s_t + v_t`` started at ``p(x_T)`` (:func:`sampler_law`); the marginal of a
    linear-Gaussian chain is Gaussian (000 L8 "Gaussian Diffusion Model as VAE": ``p_θ(x)``).
    """
    x0_arr = _coordinates(x0, "x0")
    mean, var = sampler_law(chain)
    if np.any(var <= 0):
        raise ValueError("the chain puts all mass on one point (Var x_0 = 0): log p_θ(x_0) is "
                         "not a density")
    shape = np.broadcast_shapes(mean.shape, x0_arr.shape)
    return float(np.sum(np.broadcast_to(_log_normal(x0_arr, mean, var), shape)))


def elbo(chain: LinearReverseChain, betas: ArrayLike, x0: ArrayLike) -> float:
    """Exact ELBO from the forward chain's moments (000 L8 "ELBO for Gaussian Diffusion Model").

    ``ELBO = E_{q(x_{1:T}|x_0)}[log p(x_T) + Σ_t log p_θ(x_{t-1}|x_t) - Σ_t log q(x_t|x_{t-1})]``.
    Under ``q(·|x_0)``: ``E x_t = √ᾱ_t x_0``, ``Var x_t = 1-ᾱ_t``,
    ``Cov(x_{t-1}, x_t) = √α_t Var x_{t-1}``, so with ``r_t = x_{t-1} - a_t x_t - b_t``
    ``E r_t² = (E r_t)² + Var x_{t-1} + a_t² Var x_t - 2 a_t √α_t Var x_{t-1}`` and
    ``E log p_θ(x_{t-1}|x_t) = -½ log(2π v_t) - E r_t²/(2 v_t)``; the forward residual has variance
    exactly ``β_t``, so ``E log q(x_t|x_{t-1}) = -½ log(2π β_t) - ½``.
    This does NOT use the KL decomposition of :func:`elbo_terms` (an independent route).
    """
    betas_arr, a, b, v, pm, pv, x0_b = _chain_and_schedule(chain, betas, x0)
    alphas, alpha_bar, _ = _schedule(betas_arr)
    var_x = _one_minus_alpha_bar(betas_arr)[:, None]  # (T+1, 1): Var x_t, t = 0..T
    mean_x = np.concatenate(([1.0], np.sqrt(alpha_bar)))[:, None] * x0_b  # (T+1, d)

    # log p(x_T)
    total = -0.5 * (_LOG_2PI + np.log(pv) + ((mean_x[-1] - pm) ** 2 + var_x[-1]) / pv)
    # Σ_t E log p_θ(x_{t-1}|x_t)
    cov = np.sqrt(alphas)[:, None] * var_x[:-1]  # Cov(x_{t-1}, x_t)
    mean_r = mean_x[:-1] - a * mean_x[1:] - b
    second_moment = mean_r**2 + var_x[:-1] + a**2 * var_x[1:] - 2.0 * a * cov
    total = total + np.sum(-0.5 * (_LOG_2PI + np.log(v)) - second_moment / (2.0 * v), axis=0)
    # - Σ_t E log q(x_t|x_{t-1})
    total = total + np.sum(0.5 * (_LOG_2PI + np.log(betas_arr)) + 0.5)
    return float(np.sum(total))


def elbo_terms(chain: LinearReverseChain, betas: ArrayLike, x0: ArrayLike) -> ElboTerms:
    """The lecture's ELBO decomposition in closed form (000 L8 "ELBO for Gaussian Diffusion Model").

    - reconstruction ``E_{q(x_1|x_0)} log N(x_0; a_1 x_1 + b_1, v_1)
      = -½ log(2π v_1) - [(x_0 - a_1 √ᾱ_1 x_0 - b_1)² + a_1² (1-ᾱ_1)]/(2 v_1)``;
    - prior KL ``KL(N(√ᾱ_T x_0, 1-ᾱ_T) || N(prior_mean, prior_var))``;
    - ``L_t = E_{q(x_t|x_0)} KL(N(μ̃_t, β̃_t) || N(a_t x_t + b_t, v_t))
      = ½[log(v_t/β̃_t) + β̃_t/v_t - 1 + E(μ̃_t - a_t x_t - b_t)²/v_t]`` for ``t = 2..T``, where
      ``μ̃_t - a_t x_t - b_t = k_0 x_0 - b_t + (k_t - a_t) x_t`` with
      ``k_0 = √ᾱ_{t-1} β_t/(1-ᾱ_t)``, ``k_t = √α_t (1-ᾱ_{t-1})/(1-ᾱ_t)``
      (000 L8 "Conditioned Reverse Distribution").
    """
    betas_arr, a, b, v, pm, pv, x0_b = _chain_and_schedule(chain, betas, x0)
    alphas, alpha_bar, alpha_bar_prev = _schedule(betas_arr)
    omab = _one_minus_alpha_bar(betas_arr)  # 1 - ᾱ_t, t = 0..T
    steps = betas_arr.shape[0]

    recon_sq = (x0_b - a[0] * np.sqrt(alpha_bar[0]) * x0_b - b[0]) ** 2 + a[0] ** 2 * omab[1]
    reconstruction = float(np.sum(-0.5 * (_LOG_2PI + np.log(v[0])) - recon_sq / (2.0 * v[0])))

    prior_kl = gaussian_kl(np.sqrt(alpha_bar[-1]) * x0_b, omab[-1], pm, pv)

    # every t = 2..T at once: rows are steps, columns coordinates
    i = np.arange(1, steps)  # index t - 1
    beta_t = betas_arr[i]
    beta_tilde = (omab[i] * beta_t / omab[i + 1])[:, None]
    k0 = (np.sqrt(alpha_bar_prev[i]) * beta_t / omab[i + 1])[:, None]
    kt = (np.sqrt(alphas[i]) * omab[i] / omab[i + 1])[:, None]
    at, bt, vt = a[i], b[i], v[i]
    offset = k0 * x0_b - bt + (kt - at) * np.sqrt(alpha_bar[i])[:, None] * x0_b
    mean_sq = offset**2 + (kt - at) ** 2 * omab[i + 1][:, None]
    ratio = beta_tilde / vt
    kls = np.sum(0.5 * (ratio - 1.0 - np.log(ratio) + mean_sq / vt), axis=1)
    return ElboTerms(reconstruction=reconstruction, prior_kl=prior_kl, diffusion_kls=kls)


def posterior_kl_gap(chain: LinearReverseChain, betas: ArrayLike, x0: ArrayLike) -> float:
    """``KL(q(x_{1:T}|x_0) || p_θ(x_{1:T}|x_0))`` from the joint Gaussians.

    (000 L8 "ELBO for Gaussian Diffusion Model": ``log p_θ(x) = ELBO + KL(q(z|x) || p_θ(z|x))``.)

    ``log p_θ(x_0) - ELBO`` equals this KL (the ELBO gap). Per coordinate, both laws of
    ``x_{1:T}`` given ``x_0`` are ``T``-variate Gaussians:

    - ``q``: mean ``μ_q[t] = √ᾱ_t x_0``, covariance ``Σ_q[s,t] = √(ᾱ_t/ᾱ_s)(1-ᾱ_s)`` for
      ``s <= t``, factored as ``Σ_q = C Cᵀ`` (Cholesky);
    - ``p_θ``: ``-2 log p_θ(x_{0:T}) = ||W x_{1:T} - c||² + const`` with the whitened residuals
      ``r_{t-1} = (x_{t-1} - a_t x_t - b_t)/√v_t`` (``t = 1..T``, ``x_0`` fixed) and
      ``r_T = (x_T - prior_mean)/√prior_var``: ``W`` is ``(T+1) x T``, so conditioning on ``x_0``
      gives precision ``Λ_p = WᵀW`` and mean ``μ_p = argmin ||W x - c||²``.

    ``KL = ½[tr(Λ_p Σ_q) + (μ_p-μ_q)ᵀ Λ_p (μ_p-μ_q) - T - log det Λ_p - log det Σ_q]`` with
    ``tr(Λ_p Σ_q) = ||W C||_F²`` and ``μ_p``, ``log det Λ_p = 2 Σ log|R_ii|`` from the QR
    factorization ``W = QR``. This square-root form stays accurate when the chain is
    expanding (``|a_t| > 1`` over many steps), where a Cholesky of ``Λ_p`` itself loses ~``cond(Λ_p)
    eps`` (1e-9 relative at ``a_t = 2``, ``T = 20``). No ELBO formula is used.

    Dense on purpose (an independent route): ``O(T²)`` memory and ``O(T³)`` time per coordinate, so
    ``T`` above ``MAX_DENSE_STEPS`` is refused with a ValueError (use ``log_likelihood - elbo``, O(T)).
    """
    if not isinstance(chain, LinearReverseChain):
        raise TypeError(f"chain must be a LinearReverseChain, got {type(chain).__name__}")
    if chain.num_steps > MAX_DENSE_STEPS:
        raise ValueError(f"posterior_kl_gap builds T x T matrices: T = {chain.num_steps} is over the limit "
                         f"MAX_DENSE_STEPS = {MAX_DENSE_STEPS}; log_likelihood(chain, x0) - elbo(chain, betas, x0) "
                         "is the same number in O(T)")
    betas_arr, a, b, v, pm, pv, x0_b = _chain_and_schedule(chain, betas, x0)
    _, alpha_bar, _ = _schedule(betas_arr)
    omab = _one_minus_alpha_bar(betas_arr)[1:]
    steps = betas_arr.shape[0]
    idx = np.arange(steps)

    # Σ_q (shared by all coordinates): Cov(x_s, x_t) = √(ᾱ_t/ᾱ_s) Var x_s for s <= t.
    lo = np.minimum.outer(idx, idx)
    hi = np.maximum.outer(idx, idx)
    sigma_q = np.sqrt(alpha_bar[hi] / alpha_bar[lo]) * omab[lo]
    chol_q = scipy.linalg.cholesky(sigma_q, lower=True)
    logdet_q = 2.0 * float(np.sum(np.log(np.diag(chol_q))))
    mean_q = np.sqrt(alpha_bar)

    total = 0.0
    for i in range(x0_b.shape[0]):
        inv_sd = 1.0 / np.sqrt(v[:, i])
        w = np.zeros((steps + 1, steps))
        c = np.zeros(steps + 1)
        w[idx, idx] = -a[:, i] * inv_sd  # coefficient of x_t in r_{t-1}
        w[idx[1:], idx[:-1]] = inv_sd[1:]  # coefficient of x_{t-1} in r_{t-1}, t >= 2
        c[:steps] = b[:, i] * inv_sd
        c[0] -= x0_b[i] * inv_sd[0]  # x_0 is observed: it moves to the right-hand side
        w[steps, steps - 1] = 1.0 / np.sqrt(pv[i])
        c[steps] = pm[i] / np.sqrt(pv[i])
        q_fac, r_fac = scipy.linalg.qr(w, mode="economic")
        mu_p = scipy.linalg.solve_triangular(r_fac, q_fac.T @ c)
        logdet_lam_p = 2.0 * float(np.sum(np.log(np.abs(np.diag(r_fac)))))
        trace = float(np.sum((w @ chol_q) ** 2))
        whitened_diff = w @ (mu_p - mean_q * x0_b[i])
        quad = float(whitened_diff @ whitened_diff)
        total += 0.5 * (trace + quad - steps - logdet_lam_p - logdet_q)
    return float(total)


def optimal_reverse_variance(betas: ArrayLike, data_var: ArrayLike) -> np.ndarray:
    """``Var(x_{t-1}|x_t)`` for ``x_0 ~ N(m, data_var)``, ``t = 1..T``.

    (000 L8 "ELBO for Gaussian Diffusion Model": "the optimal σ²_{θ,t} lies in [β̃_t, β_t]".)

    With ``V_t = ᾱ_t data_var + 1 - ᾱ_t`` and ``Cov(x_{t-1}, x_t) = √α_t V_{t-1}``,
    ``Var(x_{t-1}|x_t) = V_{t-1} - α_t V_{t-1}²/V_t = β_t V_{t-1}/V_t``. It equals ``β_t`` for
    ``data_var = 1`` and ``β̃_t`` for ``data_var = 0`` (delta data), and is increasing in
    ``data_var``: the lecture's "optimal σ² lies in [β̃_t, β_t]" holds for ``data_var ∈ [0, 1]``
    only (it exceeds ``β_t`` when ``data_var > 1``). It minimizes the expected ``L_t`` over ``σ²``
    when the mean is ``E[x_{t-1}|x_t]``. Returns ``(T,)``, or ``(T, d)`` for a per-coordinate
    ``data_var``.
    """
    betas_arr = _check_betas(betas)
    var0 = _positive(data_var, "data_var", allow_zero=True)
    _, alpha_bar, _ = _schedule(betas_arr)
    omab = _one_minus_alpha_bar(betas_arr)
    alpha_bar_all = np.concatenate(([1.0], alpha_bar))
    shape = (-1,) + (1,) * var0.ndim
    marginal = alpha_bar_all.reshape(shape) * var0 + omab.reshape(shape)  # V_t, t = 0..T
    return betas_arr.reshape(shape) * marginal[:-1] / marginal[1:]


def true_reverse_chain(
    betas: ArrayLike, data_mean: ArrayLike, data_var: ArrayLike
) -> LinearReverseChain:
    """The exact time reversal of the forward process for ``x_0 ~ N(data_mean, data_var)``.

    (000 L8 "Conditioned Reverse Distribution": the reverse kernel
    ``q(x_{t-1}|x_t) = q(x_t|x_{t-1}) q(x_{t-1})/q(x_t)``, tractable here because every marginal
    is Gaussian.) With ``M_t = √ᾱ_t data_mean`` and
    ``V_t = ᾱ_t data_var + 1 - ᾱ_t``: ``p(x_T) = q(x_T) = N(M_T, V_T)`` and
    ``p(x_{t-1}|x_t) = N(a_t x_t + b_t, v_t)`` with ``a_t = √α_t V_{t-1}/V_t``,
    ``b_t = M_{t-1} - a_t M_t``, ``v_t = β_t V_{t-1}/V_t``. For this chain the ELBO equals
    ``log p_θ(x_0) = log N(x_0; data_mean, data_var)``.
    """
    betas_arr = _check_betas(betas)
    mean0 = _coordinates(data_mean, "data_mean")
    var0 = _positive(data_var, "data_var")
    _agree(data_mean=mean0, data_var=var0)
    alphas, alpha_bar, _ = _schedule(betas_arr)
    omab = _one_minus_alpha_bar(betas_arr)
    alpha_bar_all = np.concatenate(([1.0], alpha_bar))
    # (T+1,) when data_var is a scalar, (T+1, d) when it is per coordinate.
    marginal_var = _per_time(alpha_bar_all, var0) * var0 + _per_time(omab, var0)
    ratio = marginal_var[:-1] / marginal_var[1:]
    a = _per_time(np.sqrt(alphas), var0) * ratio
    v = _per_time(betas_arr, var0) * ratio
    coord = np.broadcast_shapes(mean0.shape, var0.shape)
    marginal_mean = _per_time(np.sqrt(alpha_bar_all), mean0) * mean0  # (T+1,) or (T+1, d)
    if coord:  # some input is per coordinate: b needs (T, d)
        marginal_mean = np.broadcast_to(marginal_mean.reshape(len(alpha_bar_all), -1),
                                        (len(alpha_bar_all), *coord))
        a_b = a.reshape(len(betas_arr), -1)
    else:
        a_b = a
    b = marginal_mean[:-1] - a_b * marginal_mean[1:]
    return LinearReverseChain(a=a, b=b, v=v, prior_mean=marginal_mean[-1],
                              prior_var=marginal_var[-1])


def eps_optimal_linear(
    betas: ArrayLike, t: int, data_mean: ArrayLike, data_var: ArrayLike
) -> tuple[float | np.ndarray, float | np.ndarray]:
    """``E[ε | x_t] = c·x_t + d`` for ``x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε``, ``x_0 ~ N(m, s)``.

    (000 L8 "Reparametrization of DDPM": the noise predictor ``ε_{θ,t}(x_t)`` minimizing
    ``E||ε - ε_{θ,t}(x_t)||²``.) ``Cov(ε, x_t) = √(1-ᾱ_t)``, ``Var x_t = V_t = ᾱ_t s + 1-ᾱ_t``, so
    ``c = √(1-ᾱ_t)/V_t`` and ``d = -c √ᾱ_t m``. ``data_var = 0`` (delta data) is allowed.
    ``c`` is per coordinate when ``data_var`` is, ``d`` when ``data_mean`` or ``data_var`` is.
    """
    betas_arr = _check_betas(betas)
    steps = betas_arr.shape[0]
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 1 <= t <= steps:
        raise ValueError(f"t must be an integer in 1..{steps}, got {t!r}")
    mean0 = _coordinates(data_mean, "data_mean")
    var0 = _positive(data_var, "data_var", allow_zero=True)
    _agree(data_mean=mean0, data_var=var0)
    c, d = _eps_optimal_linear_all(betas_arr, mean0, var0)
    c, d = c[t - 1], d[t - 1]
    c_out = float(c) if c.ndim == 0 else c
    d_out = float(d) if d.ndim == 0 else d
    return c_out, d_out


def _eps_optimal_linear_all(betas_arr: np.ndarray, mean0: np.ndarray,
                            var0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`eps_optimal_linear` for every ``t = 1..T`` at once (validated inputs): row ``t - 1`` is step
    ``t``; ``c`` is ``(T,)`` or ``(T, d)`` like ``data_var``, ``d`` like ``data_mean`` and ``data_var``."""
    _, alpha_bar, _ = _schedule(betas_arr)
    omab = _one_minus_alpha_bar(betas_arr)[1:, None]
    ab = alpha_bar[:, None]
    c = np.sqrt(omab) / (ab * var0 + omab)  # (T, 1) or (T, d)
    d = -c * np.sqrt(ab) * mean0
    if var0.ndim == 0:
        c = c[:, 0]
    if var0.ndim == 0 and mean0.ndim == 0:
        d = d[:, 0]
    return c, d


def ddpm_sampler_chain(
    betas: ArrayLike,
    data_mean: ArrayLike,
    data_var: ArrayLike,
    variance: Literal["beta_tilde", "beta"] = "beta_tilde",
) -> LinearReverseChain:
    """The chain of DDPM ancestral sampling with the exact noise predictor for Gaussian data.

    (000 L8 "Denoising Diffusion Probabilistic Model (DDPM)", sampling.) ``x_T ~ N(0, 1)`` and
    ``x_{t-1} = μ_{θ,t}(x_t) + σ_t ε`` with
    ``μ_{θ,t}(x_t) = (x_t - β_t/√(1-ᾱ_t) ε̂_t(x_t))/√α_t`` and ``ε̂_t(x_t) = c_t x_t + d_t``
    from :func:`eps_optimal_linear`, so ``a_t = (1 - β_t c_t/√(1-ᾱ_t))/√α_t`` and
    ``b_t = -β_t d_t/(√α_t √(1-ᾱ_t))``; ``σ_t² = β̃_t`` (``variance="beta_tilde"``, then
    ``σ_1² = β̃_1 = 0``: the last step is deterministic) or ``σ_t² = β_t`` (``variance="beta"``).
    """
    betas_arr = _check_betas(betas)
    if variance not in ("beta_tilde", "beta"):
        raise ValueError(f"variance must be 'beta_tilde' or 'beta', got {variance!r}")
    mean0 = _coordinates(data_mean, "data_mean")
    var0 = _positive(data_var, "data_var", allow_zero=True)
    _agree(data_mean=mean0, data_var=var0)
    alphas, _, _ = _schedule(betas_arr)
    omab = _one_minus_alpha_bar(betas_arr)
    c, d = _eps_optimal_linear_all(betas_arr, mean0, var0)  # every step at once: O(T)
    scale = betas_arr / np.sqrt(omab[1:])
    a = (1.0 - _per_time(scale, c[0]) * c) / _per_time(np.sqrt(alphas), c[0])
    b = -_per_time(scale, d[0]) * d / _per_time(np.sqrt(alphas), d[0])
    if variance == "beta":
        v = betas_arr.copy()
    else:
        v = omab[:-1] * betas_arr / omab[1:]
    return LinearReverseChain(a=a, b=b, v=v, prior_mean=0.0, prior_var=1.0)
