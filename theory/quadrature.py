"""Gaussian and interval quadrature rules, built in one place (numpy only; no torch).

Every oracle that integrates by Gauss quadrature takes its nodes and weights from here:

- ``normal_1d(n)``: ``E_{z ~ N(0, 1)} f(z) ≈ Σ_i w_i f(z_i)``, Gauss–Hermite with the probabilists'
  weight ``e^{-z²/2}``, the weights divided by their sum ``√(2π)`` so that ``Σ w_i = 1``. Exact for
  polynomials of degree ``≤ 2n - 1``; the nodes are the roots of ``He_n``.
- ``normal(n, d)``: the tensor product of ``d`` copies of ``normal_1d(n)`` for ``E_{z ~ N(0, I_d)} f(z)``:
  ``n**d`` nodes, exact for every polynomial of degree ``≤ 2n - 1`` in each coordinate separately
  (``z_1^{2n-1} z_2^{2n-1}`` is integrated exactly, ``z_1^{2n}`` is not).
- ``legendre(n, a, b)``: ``∫_a^b f(x) dx ≈ Σ_i w_i f(x_i)``, Gauss–Legendre mapped affinely from
  ``[-1, 1]`` (``x = (b - a)/2 t + (a + b)/2``, ``w = (b - a)/2 ω``); exact for degree ``≤ 2n - 1``.
- ``composite_legendre(edges, n)``: ``legendre(n)`` on every panel ``[edges[k], edges[k+1]]``, panel by
  panel (nodes of panel ``k`` are ``k n .. k n + n - 1``); exact for piecewise polynomials of degree
  ``≤ 2n - 1`` with breaks at the edges, and for smooth ``f`` the error falls like ``h^{2n}``.

The 1-D rules are cached and returned read-only (a caller cannot corrupt the cache); the tensor and
composite rules are fresh arrays. numpy's ``hermegauss`` overflows past a few hundred nodes, hence
``MAX_HERMITE_NODES``; a tensor rule's ``n**d`` nodes are capped by ``MAX_NODES``.
"""

from __future__ import annotations

import math
import numbers
from functools import lru_cache

import numpy as np
from numpy.polynomial import hermite_e
from numpy.polynomial import legendre as _legendre

from dgmcheck.theory import _validate as V

#: The most nodes per coordinate of a Gauss–Hermite rule (numpy's ``hermegauss`` divides by zero at 400).
MAX_HERMITE_NODES = 256

#: The most nodes of a Gauss–Legendre rule (numpy's ``leggauss`` takes the eigenvalues of an n × n matrix:
#: O(n²) memory and O(n³) time).
MAX_LEGENDRE_NODES = 4096

#: The most nodes of a tensor rule: ``n**d`` outgrows memory fast (64 nodes per coordinate is 262144
#: nodes in d = 3 but 16.8 million, several GiB of nodes and integrand values, in d = 4).
MAX_NODES = 2**20


def _count(value: object, name: str) -> int:
    """``value`` as a positive int (bools and floats refused: ``n=2.0`` is more likely a bug than a count)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {value!r} of type {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _read_only(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for a in arrays:
        a.setflags(write=False)
    return arrays


@lru_cache(maxsize=64)
def _hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    z, w = hermite_e.hermegauss(n)
    return _read_only(z, w / w.sum())


@lru_cache(maxsize=64)
def _legendre_unit(n: int) -> tuple[np.ndarray, np.ndarray]:
    return _read_only(*_legendre.leggauss(n))


def normal_1d(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Hermite nodes ``z (n,)`` and weights ``w (n,)``, ``Σ w = 1``, for ``E_{z ~ N(0, 1)} f(z)``.

    ``E f(z) = Σ_i w_i f(z_i)`` exactly for polynomials ``f`` of degree ``≤ 2n - 1`` (``z_i`` the roots
    of the probabilists' Hermite ``He_n``). Cached, read-only. ``1 ≤ n ≤ MAX_HERMITE_NODES``.
    """
    n = _count(n, "n")
    if n > MAX_HERMITE_NODES:
        raise ValueError(f"n must be at most MAX_HERMITE_NODES = {MAX_HERMITE_NODES} (numpy's hermegauss "
                         f"overflows beyond), got n = {n}")
    return _hermite(n)


def normal(n: int, d: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Tensor Gauss–Hermite rule for ``E_{z ~ N(0, I_d)} f(z)``: nodes ``(n**d, d)``, weights ``(n**d,)``.

    ``Σ_{i_1..i_d} w_{i_1} ⋯ w_{i_d} f(z_{i_1}, ..., z_{i_d})`` with ``normal_1d(n)``: exact for
    polynomials of degree ``≤ 2n - 1`` in each coordinate; weights sum to 1. The first coordinate
    varies slowest (``itertools.product`` order). ValueError when ``n**d > MAX_NODES``.
    """
    n, d = _count(n, "n"), _count(d, "d")
    z, w = normal_1d(n)
    if n > 1 and d * math.log2(n) > 64:  # n**d has more digits than a message should print
        raise ValueError(f"a tensor Gauss-Hermite rule with n = {n} nodes per coordinate in d = {d} has "
                         f"n**d = {n}**{d} nodes, over the limit MAX_NODES = {MAX_NODES}; take a smaller d")
    if n**d > MAX_NODES:
        raise ValueError(f"a tensor Gauss-Hermite rule with n = {n} nodes per coordinate in d = {d} has "
                         f"n**d = {n}**{d} = {n**d} nodes, over the limit MAX_NODES = {MAX_NODES}; "
                         f"use n <= {int(MAX_NODES ** (1 / d) + 1e-9)} in d = {d}")
    grid = np.stack(np.meshgrid(*([np.arange(n)] * d), indexing="ij"), axis=-1).reshape(-1, d)
    return z[grid], np.prod(w[grid], axis=1)


def _interval(a: object, b: object) -> tuple[float, float]:
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"a and b must be real numbers, got a = {a!r}, b = {b!r}") from exc
    if not (math.isfinite(a) and math.isfinite(b)) or not a < b:
        raise ValueError(f"need finite a < b, got a = {a!r}, b = {b!r}")
    return a, b


def _legendre_count(n: object) -> int:
    n = _count(n, "n")
    if n > MAX_LEGENDRE_NODES:
        raise ValueError(f"n must be at most MAX_LEGENDRE_NODES = {MAX_LEGENDRE_NODES} (the rule solves an n × n "
                         f"eigenproblem), got n = {n}")
    return n


def legendre(n: int, a: float = -1.0, b: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes ``x (n,)`` and weights ``w (n,)`` for ``∫_a^b f(x) dx ≈ Σ_i w_i f(x_i)``.

    ``x = (b - a)/2 t + (a + b)/2``, ``w = (b - a)/2 ω`` from the rule ``(t, ω)`` on ``[-1, 1]`` (roots of
    ``P_n``); exact for polynomials of degree ``≤ 2n - 1``, ``Σ w = b - a``. Needs finite ``a < b``
    (for ``∫_b^a`` negate). On ``[-1, 1]`` the cached read-only rule itself is returned.
    """
    n = _legendre_count(n)
    a, b = _interval(a, b)
    t, om = _legendre_unit(n)
    if a == -1.0 and b == 1.0:
        return t, om
    half = 0.5 * (b - a)
    return half * t + 0.5 * (a + b), half * om


def composite_legendre(edges: object, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``legendre(n)`` on each panel ``[e_k, e_{k+1}]`` of the increasing ``edges (P + 1,)``: nodes and
    weights ``(P n,)``, panel by panel, for ``∫_{e_0}^{e_P} f(x) dx``.

    Exact for piecewise polynomials of degree ``≤ 2n - 1`` broken at the edges; for smooth ``f`` the
    error is ``O(h^{2n})`` in the panel width ``h``.
    """
    n = _legendre_count(n)
    e = V.array(edges, "edges", finite=False)
    if e.ndim != 1 or len(e) < 2 or not np.all(np.isfinite(e)) or not np.all(np.diff(e) > 0):
        raise ValueError(f"edges must be a 1-D array of at least 2 finite, strictly increasing values, "
                         f"got {edges!r}")
    t, om = _legendre_unit(n)
    half = 0.5 * np.diff(e)
    x = (0.5 * (e[:-1] + e[1:]))[:, None] + half[:, None] * t[None, :]
    return x.ravel(), (half[:, None] * om[None, :]).ravel()
