"""Gaussian mixtures: exact densities and scores, closed under affine Gaussian noising.

If ``x_0 ~ Σ_k w_k N(m_k, C_k)`` and ``x_t = a x_0 + σ ε`` with ``ε ~ N(0, I)`` independent, then
``x_t ~ Σ_k w_k N(a m_k, a² C_k + σ² I)``: the marginals of the DDPM forward process, of the VE/VP
SDEs and of Gaussian probability paths stay mixtures, so their scores are exact for any t.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from dgmcheck.theory import _validate as V


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
        if np.any(w < 0) or not np.isclose(w.sum(), 1.0, rtol=0, atol=1e-12):
            raise ValueError(f"weights must be non-negative and sum to 1, got {w!r}")
        if not np.allclose(c, np.swapaxes(c, 1, 2), rtol=0, atol=1e-12):
            raise ValueError("covs must be symmetric")
        if np.any(np.linalg.eigvalsh(c) <= 0):
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

    def _component_terms(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(x, dtype=np.float64)
        if x.shape[-1] != self.dim:
            raise ValueError(f"x must end in the mixture dimension {self.dim}, got {x.shape}")
        diff = x[..., None, :] - self.means  # (..., K, d)
        chol = np.linalg.cholesky(self.covs)  # (K, d, d)
        prec_diff = np.linalg.solve(self.covs, diff[..., None])[..., 0]  # C_k^{-1}(x - m_k)
        logdet = 2 * np.sum(np.log(np.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
        quad = np.sum(diff * prec_diff, axis=-1)
        logc = np.log(self.weights) - 0.5 * (quad + logdet + self.dim * np.log(2 * np.pi))
        return logc, prec_diff

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """``log p(x)`` for ``x`` of shape ``(..., d)``."""
        logc, _ = self._component_terms(x)
        return logsumexp(logc, axis=-1)

    def responsibilities(self, x: np.ndarray) -> np.ndarray:
        """``r_k(x) = w_k N(x; m_k, C_k) / p(x)``, shape ``(..., K)``."""
        logc, _ = self._component_terms(x)
        return np.exp(logc - logsumexp(logc, axis=-1, keepdims=True))

    def score(self, x: np.ndarray) -> np.ndarray:
        """``∇_x log p(x) = -Σ_k r_k(x) C_k^{-1} (x - m_k)``, shape ``(..., d)``."""
        logc, prec_diff = self._component_terms(x)
        r = np.exp(logc - logsumexp(logc, axis=-1, keepdims=True))
        return -np.sum(r[..., None] * prec_diff, axis=-2)

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
    r = np.exp(logc - logsumexp(logc, axis=-1, keepdims=True))
    return np.sqrt(noise_var) * np.sum(r[..., None] * prec_diff, axis=-2)
