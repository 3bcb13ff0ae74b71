"""Public Hypothesis strategies for the objects of the field.

Noise schedules, steps, Gaussian mixtures and tensors on a chosen device and dtype. Every
strategy draws float64 numpy data (the oracle's precision); tensors are made from it with
``to_tensor`` so the oracle and the candidate see the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dgmcheck.theory.gaussian_mixture import GaussianMixture
from dgmcheck.theory.schedules import cosine_betas, linear_betas

SCHEDULE_KINDS = ("linear", "cosine", "increasing", "arbitrary")


@dataclass(frozen=True)
class Schedule:
    """A drawn noise schedule: ``kind`` and ``betas`` (float64, ``betas[t-1] = β_t``)."""

    kind: str
    betas: np.ndarray

    @property
    def T(self) -> int:
        return len(self.betas)


@st.composite
def schedules(draw: st.DrawFn, min_T: int = 1, max_T: int = 40,
              kinds: tuple[str, ...] = SCHEDULE_KINDS) -> Schedule:
    """Noise schedules with ``T`` in ``min_T..max_T``.

    ``linear`` and ``cosine`` are the named schedules (linear with drawn end points, cosine with
    its cap); ``increasing`` is any strictly increasing β in (0, 1); ``arbitrary`` any β in (0, 1),
    not sorted (the lecture's theorems need only β_t ∈ (0, 1)).
    """
    if not set(kinds) <= set(SCHEDULE_KINDS) or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of {SCHEDULE_KINDS}, got {kinds!r}")
    if not 1 <= min_T <= max_T:
        raise ValueError(f"need 1 <= min_T <= max_T, got {min_T}, {max_T}")
    kind = draw(st.sampled_from(kinds))
    T = draw(st.integers(min_T, max_T))
    if kind == "linear":
        start = draw(st.floats(1e-5, 1e-2))
        end = draw(st.floats(start, 0.5))
        return Schedule(kind, linear_betas(T, start, end))
    if kind == "cosine":
        return Schedule(kind, cosine_betas(T))
    betas = draw(hnp.arrays(np.float64, T, elements=st.floats(1e-4, 0.6),
                            unique=(kind == "increasing")))
    if kind == "increasing":
        betas = np.sort(betas)
    return Schedule(kind, betas)


def steps(T: int, min_t: int = 1) -> st.SearchStrategy[int]:
    """Steps ``t`` in ``min_t..T`` (the lecture's 1-based index)."""
    if not 1 <= min_t <= T:
        raise ValueError(f"need 1 <= min_t <= T, got min_t={min_t}, T={T}")
    return st.integers(min_t, T)


@st.composite
def gaussian_mixtures(draw: st.DrawFn, min_dim: int = 1, max_dim: int = 4,
                      min_components: int = 1, max_components: int = 4,
                      max_condition: float = 100.0) -> GaussianMixture:
    """Well-conditioned Gaussian mixtures: dimension 1-4, 1-4 components by default.

    Covariances are ``Q diag(λ) Qᵀ`` with eigenvalues in ``[0.05, 0.05·max_condition]``
    (condition number at most ``max_condition``); weights at least 0.05 before normalization.
    """
    d = draw(st.integers(min_dim, max_dim))
    k = draw(st.integers(min_components, max_components))
    raw_w = draw(hnp.arrays(np.float64, k, elements=st.floats(0.05, 1.0)))
    means = draw(hnp.arrays(np.float64, (k, d), elements=st.floats(-3.0, 3.0)))
    lo = 0.05
    eig = draw(hnp.arrays(np.float64, (k, d), elements=st.floats(lo, lo * max_condition)))
    angles = draw(hnp.arrays(np.float64, (k, d, d), elements=st.floats(-1.0, 1.0)))
    q = np.linalg.qr(angles + 3 * np.eye(d))[0]  # well-defined orthogonal factor
    covs = np.einsum("kij,kj,klj->kil", q, eig, q)
    covs = 0.5 * (covs + np.swapaxes(covs, 1, 2))
    return GaussianMixture(raw_w / raw_w.sum(), means, covs)


def arrays(shape: tuple[int, ...], low: float = -4.0, high: float = 4.0) -> st.SearchStrategy:
    """float64 arrays of ``shape`` with finite entries in ``[low, high]``."""
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high, allow_subnormal=False))


def normal_arrays(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    """Standard normal float64 arrays, drawn from a seed Hypothesis chooses (shrinks to seed 0)."""
    return st.integers(0, 2**32 - 1).map(
        lambda seed: np.random.default_rng(seed).standard_normal(shape))


def uniform_arrays(shape: tuple[int, ...], low: float, high: float) -> st.SearchStrategy:
    """float64 arrays uniform on ``[low, high)`` from a drawn seed: cheap for long vectors (a
    per-step parameter of a T = 1000 chain) where element-wise drawing and shrinking is not worth it."""
    return st.integers(0, 2**32 - 1).map(
        lambda seed: np.random.default_rng(seed).uniform(low, high, shape))


def to_tensor(array: np.ndarray, *, dtype: Any, device: Any = "cpu"):
    """The float64 ``array`` as a torch tensor of ``dtype`` on ``device``."""
    import torch

    return torch.tensor(np.asarray(array, dtype=np.float64)).to(device=device, dtype=dtype)


def tensors(shape: tuple[int, ...], *, dtype: Any, device: Any = "cpu", low: float = -4.0,
            high: float = 4.0) -> st.SearchStrategy:
    """Torch tensors of ``shape``, ``dtype`` and ``device`` with entries in ``[low, high]``."""
    return arrays(shape, low, high).map(lambda a: to_tensor(a, dtype=dtype, device=device))
