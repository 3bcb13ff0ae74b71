"""Exact oracles of autoregressive models on small discrete alphabets (numpy, no torch).

ar.factorization (000 L1 "Autoregressive Modeling"): every joint law on ``{0..V-1}^m`` equals the
product of its conditionals ``p(x) = Π_j p(x_j | x_{1:j-1})`` (chain rule), and conversely any
family of conditionals whose j-th depends on ``x_{1:j-1}`` only defines a normalized joint.

ar.parameter_counts (000 L1 "Histogram as a Generative Model"): free parameters of the histogram
``V^m - 1``, of the independent model ``m (V - 1)``, of the order-d Markov model
``Σ_{j=1}^m V^{min(j-1, d)} (V - 1)`` (first order: ``(V - 1) + (m - 1) V (V - 1)``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dgmcheck.theory import _validate as VAL

#: The most sequences an enumeration over ``{0..V-1}^m`` may hold: ``all_sequences`` and everything built
#: on it refuse ``V**m`` above this (2^20 rows: 8·m MiB of int64 symbols and as many joint entries).
MAX_SEQUENCES = 2**20


def num_sequences(V: int, m: int) -> int:
    """``V**m`` as an exact Python int (no overflow), after checking ``V >= 1`` and ``m >= 1``."""
    if isinstance(V, bool) or not isinstance(V, (int, np.integer)) or V < 1:
        raise ValueError(f"V must be a positive integer, got {V!r}")
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"m must be a positive integer, got {m!r}")
    return int(V) ** int(m)


def _check_enumerable(V: int, m: int) -> int:
    n = num_sequences(V, m)
    if n > MAX_SEQUENCES:
        count = f" = {n}" if n.bit_length() <= 64 else ""  # a 50 000-digit count is no message
        raise ValueError(f"enumerating {{0..V-1}}^m needs V**m = {V}**{m}{count} sequences, over the limit "
                         f"MAX_SEQUENCES = {MAX_SEQUENCES}; use a smaller alphabet V or length m")
    return n


def _order(order: object) -> int | None:
    """None (the whole history) or a context length >= 0."""
    return None if order is None else VAL.count(order, "order", lo=0)


def all_sequences(V: int, m: int) -> np.ndarray:
    """Every sequence of ``{0..V-1}^m`` as rows, in lexicographic order (``V^m × m``).

    ValueError when ``V**m > MAX_SEQUENCES``."""
    n = _check_enumerable(V, m)
    return np.stack(np.unravel_index(np.arange(n, dtype=np.int64), (int(V),) * int(m)), axis=1).astype(np.int64)


def conditionals_from_joint(joint: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``p(x_j = v | x_{1:j-1})`` for every j and v, from a joint table of shape ``(V,)*m`` by
    marginalization: ``p(x_{1:j-1}, v) / p(x_{1:j-1})``. ``x`` is one sequence ``(m,)`` (returns
    ``(m, V)``) or a batch ``(B, m)`` (returns ``(B, m, V)``): the m marginals are summed once."""
    joint = VAL.array(joint, "joint", min_ndim=1, nonneg=True)
    m, V = joint.ndim, joint.shape[0]
    if any(n != V for n in joint.shape):
        raise ValueError(f"joint must be a (V,)*m table (every axis of one length V), got shape {joint.shape}")
    VAL.law(joint.reshape(-1), "joint")
    x = VAL.integers(x, "x", lo=0, hi=V - 1)
    if x.ndim not in (1, 2) or x.shape[-1] != m:
        raise ValueError(f"x must be one sequence ({m},) or a batch (B, {m}), got shape {x.shape}")
    rows = x.reshape(-1, m)
    out = np.empty((rows.shape[0], m, V))
    marg = joint
    for j in range(m - 1, -1, -1):  # marg = p(x_{1:j+1}) as a (V,)*(j+1) table
        row = marg[tuple(rows[:, :j].T)] if j else np.broadcast_to(marg, (rows.shape[0], V))  # p(x_{1:j}, v)
        out[:, j] = row / row.sum(axis=-1, keepdims=True)
        marg = marg.sum(axis=-1)
    return out[0] if x.ndim == 1 else out


def joint_from_conditionals(cond: Callable[[np.ndarray], np.ndarray], V: int, m: int, *,
                            batched: bool = False) -> np.ndarray:
    """``p(x) = Π_j cond(x)[j, x_j]`` over all sequences, as a ``(V,)*m`` table. ``cond(x)`` is the
    ``(m, V)`` array of conditionals read along one sequence ``x``; with ``batched=True`` it takes all
    ``V**m`` sequences ``(N, m)`` at once and returns ``(N, m, V)`` (one call, vectorized).
    ValueError when ``V**m > MAX_SEQUENCES``."""
    VAL.function(cond, "cond")
    batched = VAL.flag(batched, "batched")
    seqs = all_sequences(V, m)
    if batched:
        c = np.asarray(cond(seqs), dtype=np.float64)
        if c.shape != (len(seqs), m, V):
            raise ValueError(f"cond must return shape {(len(seqs), m, V)} for batched=True, got {c.shape}")
    else:
        c = np.stack([np.asarray(cond(x), dtype=np.float64) for x in seqs])
    return np.prod(np.take_along_axis(c, seqs[..., None], -1)[..., 0], axis=-1).reshape((V,) * m)


def parameter_count(V: int, m: int, order: int | None) -> int:
    """Free parameters of a tabular AR model whose j-th conditional sees the last ``min(j-1, order)``
    symbols (``order=None``: the whole history, the histogram ``V^m - 1``; ``order=0``: independent)."""
    V, m = VAL.count(V, "V"), VAL.count(m, "m")
    order = _order(order)
    ctx = [j if order is None else min(j, order) for j in range(m)]
    return int(sum(V**c * (V - 1) for c in ctx))


def jacobian_rank_count(V: int, m: int, order: int | None, seed: int = 0) -> int:
    """The parameter count by computation: the rank of ``∂ joint / ∂ logits`` at random logits, where
    every conditional row is ``softmax`` of V free logits (one direction per row is lost to the
    normalization). Central differences; the rank threshold sits far between the O(1) singular values
    and the O(h²) noise. ValueError when ``V**m > MAX_SEQUENCES``."""
    _check_enumerable(V, m)
    order = _order(order)
    rng = np.random.default_rng(VAL.count(seed, "seed", lo=0))
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

        def cond(xs: np.ndarray) -> np.ndarray:  # every sequence at once: (N, m) -> (N, m, V)
            out = np.empty((xs.shape[0], m, V))
            for j in range(m):
                c = xs[:, j - ctx[j]:j]
                idx = np.ravel_multi_index(tuple(c.T), (V,) * ctx[j]) if ctx[j] else np.zeros(len(xs), np.int64)
                out[:, j] = tables[j][idx]
            return out

        return joint_from_conditionals(cond, V, m, batched=True).ravel()

    h = 1e-5
    J = np.stack([(joint(theta0 + h * e) - joint(theta0 - h * e)) / (2 * h) for e in np.eye(len(theta0))], 1)
    s = np.linalg.svd(J, compute_uv=False)
    return int(np.sum(s > 1e-6 * s[0]))
