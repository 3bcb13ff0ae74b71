"""Shared numerics for the claims of 000 lectures 5-8 (no claims of its own).

Exact expectations under 1-D Gaussian mixtures by Gauss-Hermite quadrature, the data of the
denoising-score-matching checks (a Gaussian-mixture p_data noised by ``x_t = a x + sqrt(v) eps``),
and small discrete laws.
"""

from __future__ import annotations

import math

import numpy as np

from dgmcheck.audit.model import Claim
from dgmcheck.theory import quadrature
from dgmcheck.theory.gaussian_mixture import GaussianMixture

CLAIMS: list[Claim] = []

LOG2 = math.log(2.0)

GH_Z, GH_W = quadrature.normal_1d(120)  # sum GH_W = 1: E f(Z) = sum GH_W f(GH_Z), Z ~ N(0, 1)


def gauss_expect(f, mean: float, var: float) -> float:
    """``E f(X)``, ``X ~ N(mean, var)``, by 120-node Gauss-Hermite quadrature (f vectorized)."""
    return float(np.sum(GH_W * f(mean + math.sqrt(var) * GH_Z)))


def npdf(x, mean=0.0, sd=1.0):
    """Normal density (scalar or array), cheaper than scipy.stats inside quad."""
    z = (np.asarray(x, dtype=float) - mean) / sd
    return np.exp(-0.5 * z * z) / (sd * math.sqrt(2.0 * math.pi))


def noised_pdf_grad(y: float, a: float, v: float) -> tuple[float, float]:
    """q(y) and q'(y) for q = sum_k w_k N(a m_k, a^2 s_k^2 + v), at scalar y (for quadrature)."""
    m, var = a * DATA_M, a * a * DATA_S**2 + v
    comp = DATA_W * np.exp(-0.5 * (y - m) ** 2 / var) / np.sqrt(2.0 * math.pi * var)
    return float(comp.sum()), float(np.sum(comp * -(y - m) / var))


def laws(rng: np.random.Generator, k: int, n: int = 2) -> list[np.ndarray]:
    """``n`` random probability vectors on ``k`` points, all entries > 0."""
    return [rng.dirichlet(np.ones(k)) for _ in range(n)]


# ------------------------------------------------------------------ denoising score matching (1-D)
# p_data = sum_k w_k N(m_k, s_k^2); x_t = a x + sqrt(v) eps; q(x_t) = sum_k w_k N(a m_k, a^2 s_k^2 + v).
DATA_W = np.array([0.3, 0.5, 0.2])
DATA_M = np.array([-1.5, 0.4, 2.0])
DATA_S = np.array([0.4, 0.7, 0.3])


def noised_mixture(a: float, v: float) -> GaussianMixture:
    return GaussianMixture(DATA_W, DATA_M[:, None], (DATA_S**2)[:, None, None]).noised(a, v)


def test_scores() -> list:
    """Candidate score models ``s(y)`` (different θ): affine plus a tanh bump."""
    coefs = [(0.0, 0.0, 0.0), (0.3, -1.2, 0.5), (-0.7, 0.4, -1.1), (1.1, -0.2, 2.0), (0.2, -2.0, 0.0)]
    return [lambda y, c=c: c[0] + c[1] * y + c[2] * np.tanh(y) for c in coefs]


def marginal_expect(f, a: float, v: float) -> float:
    """``E_{q(x_t)} f(x_t)`` component by component (1-D Gauss-Hermite)."""
    return float(
        sum(w * gauss_expect(f, a * m, a * a * s * s + v) for w, m, s in zip(DATA_W, DATA_M, DATA_S, strict=False))
    )


def conditional_expect(g, a: float, v: float) -> float:
    """``E_{p_data(x)} E_{q(x_t|x)} g(x, x_t)`` by 2-D Gauss-Hermite per mixture component."""
    z1, z2 = GH_Z[:, None], GH_Z[None, :]
    w2 = GH_W[:, None] * GH_W[None, :]
    total = 0.0
    for w, m, s in zip(DATA_W, DATA_M, DATA_S, strict=False):
        x = m + s * z1
        xt = a * x + math.sqrt(v) * z2
        total += w * float(np.sum(w2 * g(x, xt)))
    return total


def denoising_objective(s, a: float, v: float) -> float:
    """``E_{p_data(x)} E_{q(x_t|x)} (s(x_t) - d/dx_t log q(x_t|x))^2``, kernel gradient ``-(x_t - a x)/v``."""
    return conditional_expect(lambda x, xt: (s(xt) + (xt - a * x) / v) ** 2, a, v)


def gaussian_kl_1d(m1, v1, m2, v2):
    """KL(N(m1, v1) || N(m2, v2)) in 1-D (works on sympy expressions too when given them)."""
    return 0.5 * (np.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1.0)
