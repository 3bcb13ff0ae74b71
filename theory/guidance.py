"""Exact oracles for classifier guidance, the guidance scale and classifier-free guidance (numpy/scipy).

Data: a Gaussian mixture whose classes are its components, ``p(x, y=k) = w_k N(x; m_k, C_k)``, noised
as ``a x₀ + s ε`` (``GaussianMixture.noised``), so at every noise level

* ``p(y=k | x) = w_k N_k(x) / p(x)`` is the exact classifier (``responsibilities``);
* ``∇ log p(x | y=k) = -Σ_k⁻¹ (x - a m_k)`` (component score), ``∇ log p(x)`` the mixture score, and
  ``∇ log p(y=k | x) = ∇ log p(x | k) - ∇ log p(x)`` (Bayes: ``p(y|x) = p(x|y) p(y) / p(x)``).

Theorems:

* ``guidance.classifier`` (``000 L9 "Classifier Guidance: Guided Score Function"``):
  ``∇ log p(x | y) = ∇ log p(x) + ∇ log p(y | x)``.
* ``guidance.scale_sharpening`` (``"Classifier Guidance: Guidance Scale"``, ``"…: Distribution
  Sharpening"``): ``s^γ = ∇ log p(x) + γ ∇ log p(y|x)`` is the score of ``p_γ(x|y) ∝ p(x) p(y|x)^γ``,
  and ``γ ↦ E_{p_γ}[log p(y|x)]`` is non-decreasing (its derivative is ``Var_{p_γ}[log p(y|x)] ≥ 0``),
  as is ``E_{p_γ}[p(y|x)]`` (derivative ``Cov(p, log p) ≥ 0``): larger γ puts more mass where the
  classifier is confident in y (``tilted_moments`` by quadrature).
* ``guidance.classifier_free`` (``"Classifier-Free Guidance"``): with the conditional and
  unconditional scores ``s_c, s_u``, ``s_u + w (s_c - s_u) = (1 - w) s_u + w s_c`` (the lecture's γ; the
  "w" convention) is the score of ``p(x) p(y|x)^w``; the other common convention
  ``(1 + w) s_c - w s_u`` (Ho & Salimans) is the same with ``γ = 1 + w``. In ε-parametrisation
  (``ε = -s σ``, DDPM ``σ = √(1-ᾱ)``) the same affine combinations of ``ε`` give ``-σ`` times the guided score.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from dgmcheck.theory import _validate as V
from dgmcheck.theory.gaussian_mixture import GaussianMixture

CONVENTIONS = ("w", "one_plus_w")
#: The most grid points per axis of ``quadrature_grid`` (a 2-D grid holds ``(n/4)²`` points).
MAX_GRID = 20001


def _rows(mixture: object, x: object) -> np.ndarray:
    """Rows ``(n, d)`` (a single point ``(d,)`` is one row) of the mixture's dimension."""
    return np.atleast_2d(V.points(x, "x", V.mixture(mixture).dim))


def _class(mixture: GaussianMixture, k: object) -> int:
    return V.states(k, "k", mixture.n_components)


def _gamma(gamma: object, x: np.ndarray) -> np.ndarray | float:
    """A finite guidance scale: a number or one per row."""
    if np.ndim(gamma):
        return V.array(gamma, "gamma", shape=(len(x),)).reshape(-1, 1)
    return V.real(gamma, "gamma")


def noised(mixture: GaussianMixture, scale: float = 1.0, std: float = 0.0) -> GaussianMixture:
    """The law of ``scale · x₀ + std · ε`` (``000 L9``: the classifier acts on noisy ``x_t``)."""
    V.mixture(mixture)
    return mixture.noised(V.real(scale, "scale"), V.real(std, "std", lo=0.0, closed="lo") ** 2)


def component_score(mixture: GaussianMixture, x: np.ndarray, k: int) -> np.ndarray:
    """``∇ log p(x | y=k) = -C_k⁻¹ (x - m_k)`` for rows ``x``."""
    x = _rows(mixture, x)
    k = _class(mixture, k)
    return -np.linalg.solve(mixture.covs[k], (x - mixture.means[k]).T).T


def component_log_joint(mixture: GaussianMixture, x: np.ndarray) -> np.ndarray:
    """``log w_k + log N(x; m_k, C_k)`` for rows ``x``, shape ``(batch, K)``."""
    x = _rows(mixture, x)
    return np.stack([np.log(w) + multivariate_normal(m, c).logpdf(x).reshape(len(x))
                     for w, m, c in zip(mixture.weights, mixture.means, mixture.covs, strict=True)], 1)


def log_class_posterior(mixture: GaussianMixture, x: np.ndarray, k: int) -> np.ndarray:
    """``log p(y=k | x) = log w_k + log N_k(x) - log p(x)``."""
    x = _rows(mixture, x)
    return np.log(np.maximum(mixture.responsibilities(x)[:, _class(mixture, k)], 1e-300))


def classifier_gradient(mixture: GaussianMixture, x: np.ndarray, k: int) -> np.ndarray:
    """``∇ log p(y=k | x) = ∇ log p(x | k) - ∇ log p(x)`` (Bayes), rows ``x``."""
    x = _rows(mixture, x)
    return component_score(mixture, x, k) - mixture.score(x)


def guided_score(mixture: GaussianMixture, x: np.ndarray, k: int, gamma: np.ndarray | float = 1.0) -> np.ndarray:
    """``∇ log p(x) + γ ∇ log p(y=k | x)``, the score of ``p(x) p(y=k|x)^γ`` (γ per row or scalar).

    Written as ``(1 - γ) ∇ log p(x) + γ ∇ log p(x | k)`` — the same by Bayes; at γ = 1 the
    conditional score ``∇ log p(x | k)``."""
    x = _rows(mixture, x)
    g = _gamma(gamma, x)
    return (1 - g) * mixture.score(x) + g * component_score(mixture, x, k)


def cfg_gamma(w: np.ndarray | float, convention: str) -> np.ndarray | float:
    """The tilt exponent γ of a CFG weight: ``w`` in the ``"w"`` convention, ``1 + w`` in ``"one_plus_w"``."""
    V.choice(convention, "convention", CONVENTIONS)
    w = V.array(w, "w") if np.ndim(w) else V.real(w, "w")
    if convention == "w":
        return w
    if convention == "one_plus_w":
        return 1 + np.asarray(w, dtype=np.float64)
    raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")


def tilted_log_density(mixture: GaussianMixture, x: np.ndarray, k: int, gamma: float) -> np.ndarray:
    """Unnormalised ``log p(x) + γ log p(y=k | x)``."""
    x = _rows(mixture, x)
    gamma = V.real(gamma, "gamma")
    return mixture.log_prob(x) + gamma * log_class_posterior(mixture, x, k)


def quadrature_grid(mixture: GaussianMixture, n: int = 801, width: float = 9.0) -> tuple[np.ndarray, np.ndarray]:
    """A tensor grid (1-D or 2-D) covering every component to ``width`` standard deviations, and
    the trapezoid cell weights: the tilted densities are smooth with Gaussian tails, so the
    trapezoid rule on a wide grid converges geometrically."""
    d = V.mixture(mixture).dim
    if d > 2:
        raise ValueError(f"quadrature is for d <= 2, got d = {d}")
    n = V.count(n, "n", lo=2, hi=MAX_GRID)
    width = V.positive(width, "width")
    sd = np.sqrt(np.max(np.diagonal(mixture.covs, axis1=1, axis2=2), axis=0))
    lo, hi = mixture.means.min(0) - width * sd, mixture.means.max(0) + width * sd
    axes = [np.linspace(lo[i], hi[i], n if d == 1 else max(n // 4, 101)) for i in range(d)]
    wts = []
    for a in axes:
        w = np.full(len(a), a[1] - a[0])
        w[[0, -1]] *= 0.5
        wts.append(w)
    if d == 1:
        return axes[0][:, None], wts[0]
    X, Y = np.meshgrid(*axes, indexing="ij")
    return np.stack([X.ravel(), Y.ravel()], 1), np.outer(*wts).ravel()


def tilted_moments(mixture: GaussianMixture, k: int, gamma: float, grid: tuple | None = None) -> dict[str, float]:
    """By quadrature under ``p_γ(x | k) ∝ p(x) p(k|x)^γ``: ``log Z``, ``E[log p(k|x)]``,
    ``Var[log p(k|x)]`` (= ``d/dγ E[log p(k|x)]``), ``E[p(k|x)]`` and the mass ``P(argmax p(·|x) = k)``."""
    V.mixture(mixture)
    _class(mixture, k)
    gamma = V.real(gamma, "gamma")
    if grid is not None:
        if not isinstance(grid, tuple) or len(grid) != 2:
            raise TypeError(f"grid must be None or a (points, weights) pair as quadrature_grid returns, "
                            f"got {V.got(grid)}")
        pts = V.points(grid[0], "grid", mixture.dim, batched=True)
        V.array(grid[1], "grid", shape=(len(pts),), nonneg=True)
    pts, wts = grid if grid is not None else quadrature_grid(mixture)
    lq = tilted_log_density(mixture, pts, k, gamma)
    log_z = float(logsumexp(lq, b=wts))
    dens = wts * np.exp(lq - log_z)
    lp = log_class_posterior(mixture, pts, k)
    mean = float(dens @ lp)
    resp = mixture.responsibilities(pts)
    return {"log_z": log_z, "mean_log_post": mean, "var_log_post": float(dens @ (lp - mean) ** 2),
            "mean_post": float(dens @ np.exp(lp)), "argmax_mass": float(dens @ (resp.argmax(1) == k))}
