"""Gaussian mixtures: exact densities and scores, closed under affine Gaussian noising.

If ``x_0 ~ Σ_k w_k N(m_k, C_k)`` and ``x_t = a x_0 + σ ε`` with ``ε ~ N(0, I)`` independent, then
``x_t ~ Σ_k w_k N(a m_k, a² C_k + σ² I)``: the marginals of the DDPM forward process, of the VE/VP
SDEs and of Gaussian probability paths stay mixtures, so their scores are exact for any t.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from dgmcheck.theory import _validate as V


def _logsumexp(a: np.ndarray, keepdims: bool = False) -> np.ndarray | np.float64:
    """``scipy.special.logsumexp(a, axis=-1, keepdims=keepdims)`` for a real float64 ``a``: the same steps,
    so the same bits and warnings, without scipy's array-API dispatch (most of its cost on the small arrays
    here). Its sign bookkeeping is left out: with no ``b`` every term is >= 0, so it never fires."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a_max = np.maximum.reduce(a, axis=-1, keepdims=True)
        top = a == a_max
        m = np.add.reduce(top, axis=-1, dtype=a.dtype, keepdims=True)  # how many entries attain the max
        s = np.add.reduce(np.exp(np.where(top, -np.inf, a) - a_max), axis=-1, keepdims=True)
        s = np.where(s == 0, s, s / m)
        out = np.log1p(s) + np.log(m) + a_max
        finite = np.isfinite(out)
        if not finite.all():  # scipy falls back on the direct formula there
            with np.errstate(over="ignore"):
                out = np.where(finite, out, np.log(np.add.reduce(np.exp(a), axis=-1, keepdims=True)))
    if not keepdims:
        out = out[..., 0]
    return out[()] if out.ndim == 0 else out


@dataclass(frozen=True)
class GaussianMixture:
    """``p(x) = Σ_k w_k N(x; m_k, C_k)`` with ``weights (K,)``, ``means (K, d)``, ``covs (K, d, d)``."""

    weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray

    def __post_init__(self) -> None:
        w = V.array(self.weights, "weights")
        m = V.array(self.means, "means")
        c = V.array(self.covs, "covs")
        if w.ndim != 1 or m.ndim != 2 or c.ndim != 3 or not (len(w) == len(m) == len(c)):
            raise ValueError(
                "weights, means, covs must have shapes (K,), (K, d), (K, d, d); got "
                f"{w.shape}, {m.shape}, {c.shape}")
        if c.shape[1:] != (m.shape[1], m.shape[1]):
            raise ValueError(f"covs must be (K, d, d) with d = {m.shape[1]}, got {c.shape}")
        # The entries are finite (V.array), so np.isclose/np.allclose with rtol=0 reduce to |a - b| <= atol.
        if (w < 0).any() or not abs(float(w.sum()) - 1.0) <= 1e-12:
            raise ValueError(f"weights must be non-negative and sum to 1, got {w!r}")
        if c.shape[1] == 1:  # 1×1: symmetric, and eigvalsh returns the entry itself
            if (c[:, 0, 0] <= 0).any():
                raise ValueError("covs must be positive definite")
        else:
            if not (np.abs(c - np.swapaxes(c, 1, 2)) <= 1e-12).all():
                raise ValueError("covs must be symmetric")
            if (np.linalg.eigvalsh(c) <= 0).any():
                raise ValueError("covs must be positive definite")
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "means", m)
        object.__setattr__(self, "covs", c)

    @property
    def dim(self) -> int:
        return int(self.means.shape[1])

    @property
    def n_components(self) -> int:
        return int(self.weights.shape[0])

    def noised(self, scale: float, noise_var: float) -> GaussianMixture:
        """The law of ``scale · x + √noise_var · ε``: ``Σ_k w_k N(scale m_k, scale² C_k + noise_var I)``."""
        scale = V.real(scale, "scale")
        noise_var = V.real(noise_var, "noise_var", lo=0.0, closed="lo")
        eye = np.eye(self.dim)
        return GaussianMixture(self.weights, scale * self.means,
                               scale**2 * self.covs + noise_var * eye)

    @cached_property
    def _fixed_terms(self) -> tuple[np.ndarray, np.float64]:
        """``(log det C_k, d log 2π)``, once per instance rather than per call (the fields are set once)."""
        chol = np.linalg.cholesky(self.covs)  # (K, d, d)
        logdet = 2 * np.sum(np.log(np.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
        return logdet, self.dim * np.log(2 * np.pi)

    def _component_terms(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(x, dtype=np.float64)
        if x.shape[-1] != self.dim:
            raise ValueError(f"x must end in the mixture dimension {self.dim}, got {x.shape}")
        logdet, log_2pi = self._fixed_terms
        diff = x[..., None, :] - self.means  # (..., K, d)
        if x.shape[-1] == 1:
            # LAPACK's 1×1 solve is one division (the same bits), without a factorization per point;
            # np.linalg.solve ignores overflow, so this does too.
            with np.errstate(over="ignore"):
                prec_diff = diff / self.covs[:, :, 0]
        else:
            prec_diff = np.linalg.solve(self.covs, diff[..., None])[..., 0]  # C_k^{-1}(x - m_k)
        quad = np.sum(diff * prec_diff, axis=-1)
        # log w_k stays per call: a zero weight warns on every call, as before
        logc = np.log(self.weights) - 0.5 * (quad + logdet + log_2pi)
        return logc, prec_diff

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """``log p(x)`` for ``x`` of shape ``(..., d)``."""
        logc, _ = self._component_terms(x)
        return _logsumexp(logc)

    def responsibilities(self, x: np.ndarray) -> np.ndarray:
        """``r_k(x) = w_k N(x; m_k, C_k) / p(x)``, shape ``(..., K)``."""
        logc, _ = self._component_terms(x)
        return np.exp(logc - _logsumexp(logc, keepdims=True))

    def score(self, x: np.ndarray) -> np.ndarray:
        """``∇_x log p(x) = -Σ_k r_k(x) C_k^{-1} (x - m_k)``, shape ``(..., d)``."""
        logc, prec_diff = self._component_terms(x)
        r = np.exp(logc - _logsumexp(logc, keepdims=True))
        return -np.sum(r[..., None] * prec_diff, axis=-2)

    def _posterior_terms(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(log p(x) with a trailing axis of 1, r_k(x), C_k^{-1}(x - m_k))`` from one evaluation of the
        component terms: callers that need several of log_prob, responsibilities, score and the solves
        get the same values without repeating the per-point solves."""
        logc, prec_diff = self._component_terms(x)
        lse = _logsumexp(logc, keepdims=True)
        return lse, np.exp(logc - lse), prec_diff

    def _log_prob_and_score(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(log_prob(x), score(x))``, the values of the two methods, from one evaluation."""
        lse, r, prec_diff = self._posterior_terms(x)
        log_p = lse[..., 0]
        return log_p[()] if log_p.ndim == 0 else log_p, -np.sum(r[..., None] * prec_diff, axis=-2)

    def mean(self) -> np.ndarray:
        return self.weights @ self.means

    def cov(self) -> np.ndarray:
        mu = self.mean()
        dm = self.means - mu
        return np.einsum("k,kij->ij", self.weights, self.covs) + np.einsum(
            "k,ki,kj->ij", self.weights, dm, dm)


def posterior_mean_noise(mixture: GaussianMixture, scale: float, noise_var: float,
                         x: np.ndarray) -> np.ndarray:
    """``E[ε | x]`` for ``x = scale · x_0 + √noise_var · ε``, by Gaussian conditioning per component.

    Within component k, ``Cov(ε, x) = √noise_var I`` and ``Cov(x) = scale² C_k + noise_var I``, so
    ``E[ε|x, k] = √noise_var (scale² C_k + noise_var I)^{-1}(x - scale m_k)``; then average with the
    responsibilities of the noised mixture. (Tweedie's formula says this equals
    ``-√noise_var ∇ log p_x(x)``; the check compares the two routes.)
    """
    x = V.points(x, "x", V.mixture(mixture).dim)
    noised = mixture.noised(scale, noise_var)
    logc, prec_diff = noised._component_terms(x)
    r = np.exp(logc - _logsumexp(logc, keepdims=True))
    return np.sqrt(noise_var) * np.sum(r[..., None] * prec_diff, axis=-2)
