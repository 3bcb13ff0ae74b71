"""The course tricks as small torch building blocks (dtype/device follow the inputs).

``score_surrogate``: the score-function (REINFORCE) surrogate whose gradient is ``f ∇ log p``;
``log_mean_exp``: stable ``log (1/n) Σ e^{a}`` (the IWAE bound; ≥ the mean by Jensen);
``mc_mean``: the Monte Carlo estimator; ``pushforward``: the law of ``y = f(x)`` for a discrete x.
"""

from __future__ import annotations

import math

import torch

from dgmcheck.impl import _validate as V

#: The most nodes of the tensor Gauss–Hermite rule of ``nascent_delta_expectation`` (``n**m``).
MAX_NODES = 2**20


def score_surrogate(log_prob: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """``sg[f] · log p_θ(x)``: ``∇_θ`` of its mean over ``x ~ p_θ`` is ``E[f ∇_θ log p_θ] = ∇_θ E f``."""
    V.batch(log_prob, "log_prob")
    V.batch(f, "f", like_=log_prob, like_name="log_prob", same_shape=True)
    return f.detach() * log_prob


def log_mean_exp(a: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """``log (1/n) Σ_i e^{a_i}`` along ``dim`` (``a_i = -inf`` allowed: a zero weight)."""
    V.batch(a, "a", allow="-inf")
    V.axis(dim, a)
    return torch.logsumexp(a, dim) - math.log(a.shape[dim])


def mc_mean(values: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """``(1/n) Σ_i f(x_i)``."""
    V.batch(values, "values")
    V.axis(dim, values)
    return values.mean(dim)


def pushforward(p: torch.Tensor, f_map: torch.Tensor, n_out: int) -> torch.Tensor:
    """``p_y[y] = Σ_{x: f(x) = y} p(x)`` (accumulating: several x may share one y)."""
    V.floating(p, "p")
    n_out = V.count(n_out, "n_out")
    if not isinstance(f_map, torch.Tensor):
        raise TypeError(f"f_map must be a long tensor shaped like p {tuple(p.shape)}, got {type(f_map).__name__}")
    if f_map.dtype != torch.long or f_map.shape != p.shape:
        raise ValueError(f"f_map must be a long tensor shaped like p {tuple(p.shape)}, got {f_map.dtype} "
                         f"{tuple(f_map.shape)}")
    V.integers(f_map, "f_map", hi=n_out - 1)
    V.probabilities(p, "p", ndim=1)
    return torch.zeros(n_out, dtype=p.dtype, device=p.device).index_add_(0, f_map, p)


def nascent_delta_expectation(f, x0: torch.Tensor, sigma: float, n: int = 3) -> torch.Tensor:
    """``E_{N(x0, σ² I)} f`` by the tensor Gauss–Hermite rule (``n`` nodes per axis; exact for
    polynomials of degree ≤ 2n-1); ``σ = 0`` is the Dirac delta: ``f(x0)``. ``f`` maps ``(N, m)`` to ``(N,)``."""
    V.function(f, "f")
    V.tensor(x0, "x0", ndim=1)
    V.real(sigma, "sigma", lo=0.0, closed="lo")
    n = V.count(n, "n")
    if n ** x0.shape[0] > MAX_NODES:
        raise ValueError(f"n = {n} nodes per axis in {x0.shape[0]} dimensions make n**m = {n ** x0.shape[0]} nodes, "
                         f"over MAX_NODES = {MAX_NODES}; take fewer nodes")
    import numpy as np

    nodes, weights = np.polynomial.hermite_e.hermegauss(n)
    weights = weights / weights.sum()
    m = x0.shape[-1]
    grid = torch.cartesian_prod(*[torch.arange(n)] * m).reshape(-1, m)
    eps = torch.as_tensor(nodes, dtype=x0.dtype, device=x0.device)[grid]
    w = torch.as_tensor(weights, dtype=x0.dtype, device=x0.device)[grid].prod(-1)
    return (w * f(x0 + sigma * eps)).sum()
