"""Exact oracles of autoregressive models on small discrete alphabets (numpy, no torch).

ar.factorization (000 L1 "Autoregressive Modeling"): every joint law on ``{0..V-1}^m`` equals the
product of its conditionals ``p(x) = Π_j p(x_j | x_{1:j-1})`` (chain rule), and conversely any
family of conditionals whose j-th depends on ``x_{1:j-1}`` only defines a normalized joint.

ar.parameter_counts (000 L1 "Histogram as a Generative Model"): free parameters of the histogram
``V^m - 1``, of the independent model ``m (V - 1)``, of the order-d Markov model
``Σ_{j=1}^m V^{min(j-1, d)} (V - 1)`` (first order: ``(V - 1) + (m - 1) V (V - 1)``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np


def all_sequences(V: int, m: int) -> np.ndarray:
    """Every sequence of ``{0..V-1}^m`` as rows, in lexicographic order (``V^m × m``)."""
    return np.array(list(itertools.product(range(V), repeat=m)), dtype=np.int64).reshape(-1, m)


def conditionals_from_joint(joint: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``p(x_j = v | x_{1:j-1})`` for every j and v (``(m, V)``), from a joint table of shape
    ``(V,)*m`` by marginalization: ``p(x_{1:j-1}, v) / p(x_{1:j-1})``."""
    joint = np.asarray(joint, dtype=np.float64)
    m, V = joint.ndim, joint.shape[0]
    out = np.empty((m, V))
    for j in range(m):
        marg = joint.sum(axis=tuple(range(j + 1, m))) if j + 1 < m else joint
        row = marg[tuple(x[:j])]
        out[j] = row / row.sum()
    return out


def joint_from_conditionals(cond: Callable[[np.ndarray], np.ndarray], V: int, m: int) -> np.ndarray:
    """``p(x) = Π_j cond(x)[j, x_j]`` over all sequences, as a ``(V,)*m`` table; ``cond(x)`` is the
    ``(m, V)`` array of conditionals read along x."""
    table = np.empty((V,) * m)
    for x in all_sequences(V, m):
        c = cond(x)
        table[tuple(x)] = np.prod(c[np.arange(m), x])
    return table


def parameter_count(V: int, m: int, order: int | None) -> int:
    """Free parameters of a tabular AR model whose j-th conditional sees the last ``min(j-1, order)``
    symbols (``order=None``: the whole history, the histogram ``V^m - 1``; ``order=0``: independent)."""
    if V < 1 or m < 1:
        raise ValueError(f"V and m must be positive, got V={V}, m={m}")
    ctx = [j if order is None else min(j, order) for j in range(m)]
    return int(sum(V**c * (V - 1) for c in ctx))


def jacobian_rank_count(V: int, m: int, order: int | None, seed: int = 0) -> int:
    """The parameter count by computation: the rank of ``∂ joint / ∂ logits`` at random logits, where
    every conditional row is ``softmax`` of V free logits (one direction per row is lost to the
    normalization). Central differences; the rank threshold sits far between the O(1) singular values
    and the O(h²) noise."""
    rng = np.random.default_rng(seed)
    ctx = [j if order is None else min(j, order) for j in range(m)]
    shapes = [(V**c, V) for c in ctx]
    sizes = [a * b for a, b in shapes]
    theta0 = rng.normal(size=sum(sizes))

    def joint(theta: np.ndarray) -> np.ndarray:
        tables, start = [], 0
        for (rows, cols), n in zip(shapes, sizes, strict=True):
            t = theta[start:start + n].reshape(rows, cols)
            t = np.exp(t - t.max(1, keepdims=True))
            tables.append(t / t.sum(1, keepdims=True))
            start += n

        def cond(x: np.ndarray) -> np.ndarray:
            out = np.empty((m, V))
            for j in range(m):
                c = x[j - ctx[j]:j] if ctx[j] else x[:0]
                idx = int(np.ravel_multi_index(tuple(c), (V,) * len(c))) if len(c) else 0
                out[j] = tables[j][idx]
            return out

        return joint_from_conditionals(cond, V, m).ravel()

    h = 1e-5
    J = np.stack([(joint(theta0 + h * e) - joint(theta0 - h * e)) / (2 * h) for e in np.eye(len(theta0))], 1)
    s = np.linalg.svd(J, compute_uv=False)
    return int(np.sum(s > 1e-6 * s[0]))
