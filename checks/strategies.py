"""Public Hypothesis strategies for the objects of the field.

Noise schedules, steps, Gaussian mixtures, pairs of Gaussians (W2/FID), probability vectors,
transition matrices and forward chains (column or row convention), Gaussian probability paths,
and tensors on a chosen device and dtype. Every strategy draws float64 numpy data (the oracle's
precision); tensors are made from it with ``to_tensor`` so the oracle and the candidate see the
same numbers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dgmcheck.theory import discrete as discrete_theory
from dgmcheck.theory import flow_matching as fm_theory
from dgmcheck.theory.flow_matching import PathSpec
from dgmcheck.theory.gaussian_mixture import GaussianMixture
from dgmcheck.theory.schedules import cosine_betas, linear_betas


def reused(factory: Any) -> Any:
    """Return the same strategy object for the same (hashable) arguments. Hypothesis validates and
    unwraps every strategy object it has not seen on each draw; a composite that builds its inner
    strategies afresh pays that on every example. Unhashable arguments build a fresh one."""
    cached = functools.lru_cache(maxsize=1024)(factory)

    @functools.wraps(factory)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return cached(*args, **kwargs)
        except TypeError as exc:
            if "unhashable" not in str(exc):
                raise
            return factory(*args, **kwargs)

    return wrapper


SCHEDULE_KINDS = ("linear", "cosine", "increasing", "arbitrary")


@dataclass(frozen=True)
class Schedule:
    """A drawn noise schedule: ``kind`` and ``betas`` (float64, ``betas[t-1] = β_t``)."""

    kind: str
    betas: np.ndarray

    @property
    def T(self) -> int:
        return len(self.betas)


@reused
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


@reused
def steps(T: int, min_t: int = 1) -> st.SearchStrategy[int]:
    """Steps ``t`` in ``min_t..T`` (the lecture's 1-based index)."""
    if not 1 <= min_t <= T:
        raise ValueError(f"need 1 <= min_t <= T, got min_t={min_t}, T={T}")
    return st.integers(min_t, T)


@reused
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
    rng = case_rng(draw)
    raw_w = edged(rng, (k,), 0.05, 1.0)
    means = edged(rng, (k, d), -3.0, 3.0)
    lo = 0.05
    eig = edged(rng, (k, d), lo, lo * max_condition)  # "bounds" gives the extreme conditioning
    angles = rng.uniform(-1.0, 1.0, (k, d, d))  # a rotation: no edge values to look for
    q = np.linalg.qr(angles + 3 * np.eye(d))[0]  # well-defined orthogonal factor
    covs = np.einsum("kij,kj,klj->kil", q, eig, q)
    covs = 0.5 * (covs + np.swapaxes(covs, 1, 2))
    return GaussianMixture(raw_w / raw_w.sum(), means, covs)


EDGES = ("uniform", "zeros", "bounds", "tiny", "repeated")
_SEEDS = st.integers(0, 2**32 - 1)


def case_rng(draw: st.DrawFn) -> np.random.Generator:
    """A generator from one drawn seed, for the values of a case whose edges are not where bugs hide
    (model parameters, probe noise): Hypothesis's cost is per draw (about a third of a millisecond
    each, most of a case's time when every scalar was a draw), not per number."""
    return np.random.default_rng(draw(_SEEDS))


def edged(rng: np.random.Generator, shape: tuple[int, ...], low: float = -4.0, high: float = 4.0) -> np.ndarray:
    """What ``arrays(shape, low, high)`` draws, from ``rng``: uniform or one of the edge modes."""
    return _edged(int(rng.integers(2**32)), EDGES[int(rng.integers(len(EDGES)))], _shape(shape),
                  float(low), float(high))


def with_ends(rng: np.random.Generator, values: np.ndarray, ends: tuple[float, ...], p: float = 0.5) -> np.ndarray:
    """``values`` with each entry replaced, with probability ``p``, by one of ``ends`` (the end
    points of a time range, where conditioning is worst)."""
    out = np.array(values, dtype=np.float64, copy=True)
    hit = rng.random(out.shape) < p
    out[hit] = np.asarray(ends, dtype=np.float64)[rng.integers(len(ends), size=int(hit.sum()))]
    return out


def steps_with_ends(rng: np.random.Generator, size: int, low: int, high: int) -> np.ndarray:
    """``size`` integer steps in ``low..high``: ``low`` and ``high`` with probability ⅓ each (the ends
    of a schedule, where conditioning is worst), else uniform."""
    pick = rng.integers(0, 3, size)
    return np.where(pick == 0, low, np.where(pick == 1, high, rng.integers(low, high + 1, size))).astype(np.int64)


def arrays(shape: tuple[int, ...], low: float = -4.0, high: float = 4.0) -> st.SearchStrategy:
    """float64 arrays of ``shape`` with finite entries in ``[low, high]``.

    Drawn as a seed and an edge mode rather than element by element (which cost Hypothesis tens of
    choices per array, most of a case's time): ``uniform`` entries, or with every other entry at
    ``0`` (``zeros``, clipped into the range), at the bounds (``bounds``), scaled towards the
    middle by ``1e-8`` (``tiny``), or all equal (``repeated``) — the values element-wise drawing
    found. Shrinks towards seed 0, ``uniform``.
    """
    return _arrays(_shape(shape), float(low), float(high))


def _shape(shape: Any) -> tuple[int, ...]:
    try:
        return tuple(int(n) for n in (shape if isinstance(shape, (tuple, list)) else (shape,)))
    except (TypeError, ValueError):
        raise TypeError(f"shape must be an int or a sequence of ints, got {shape!r}") from None


# One strategy object per arguments: Hypothesis validates and unwraps each new strategy object on
# every draw, which cost more than the draw itself when composites built them afresh each time.
@functools.lru_cache(maxsize=4096)
def _arrays(shape: tuple[int, ...], low: float, high: float) -> st.SearchStrategy:
    if not (np.isfinite(low) and np.isfinite(high) and low <= high):
        raise ValueError(f"need finite low <= high, got low={low!r}, high={high!r}")
    # One integer carries the seed and the edge mode (a tuple of two draws cost three spans).
    return st.integers(0, len(EDGES) * 2**32 - 1).map(
        lambda n: _edged(n // len(EDGES), EDGES[n % len(EDGES)], shape, float(low), float(high)))


def _edged(seed: int, mode: str, shape: tuple[int, ...], low: float, high: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.uniform(low, high, shape)
    flat = a.reshape(-1)
    if mode == "zeros":
        flat[::2] = min(max(0.0, low), high)
    elif mode == "bounds":
        flat[::2] = np.where(rng.random(flat[::2].shape) < 0.5, low, high)
    elif mode == "tiny":
        mid = min(max(0.0, low), high)
        flat[:] = mid + 1e-8 * (flat - mid)
    elif mode == "repeated" and flat.size:
        flat[:] = flat[0]
    return a


def normal_arrays(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    """Standard normal float64 arrays, drawn from a seed Hypothesis chooses (shrinks to seed 0)."""
    return _normal_arrays(_shape(shape))


@functools.lru_cache(maxsize=4096)
def _normal_arrays(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    return st.integers(0, 2**32 - 1).map(
        lambda seed: np.random.default_rng(seed).standard_normal(shape))


def uniform_arrays(shape: tuple[int, ...], low: float, high: float) -> st.SearchStrategy:
    """float64 arrays uniform on ``[low, high)`` from a drawn seed: cheap for long vectors (a
    per-step parameter of a T = 1000 chain) where element-wise drawing and shrinking is not worth it."""
    return _uniform_arrays(_shape(shape), float(low), float(high))


@functools.lru_cache(maxsize=4096)
def _uniform_arrays(shape: tuple[int, ...], low: float, high: float) -> st.SearchStrategy:
    return st.integers(0, 2**32 - 1).map(
        lambda seed: np.random.default_rng(seed).uniform(low, high, shape))


def to_tensor(array: np.ndarray, *, dtype: Any, device: Any = "cpu"):
    """The float64 ``array`` as a torch tensor of ``dtype`` on ``device``."""
    import torch

    arr = np.asarray(array, dtype=np.float64)
    if arr.flags.c_contiguous and arr.flags.writeable:  # the usual case: one copy, not two (torch.tensor, .to)
        return torch.from_numpy(arr).to(device=device, dtype=dtype, copy=True)
    return torch.tensor(arr).to(device=device, dtype=dtype)


@dataclass(frozen=True, kw_only=True)
class Case:
    """The base of every family's drawn case: the family's inputs are float64 numpy fields of the
    subclass; ``dtype`` and ``device`` say how the candidate sees them (``dtype=None``: float64),
    and ``extra`` holds what one property alone needs (model parameters, seeds, grids).
    Keyword-only, so a family's own fields come first and positionally."""

    dtype: Any = None
    device: Any = "cpu"
    extra: dict = field(default_factory=dict)

    def tensor(self, a: Any, grad: bool = False):
        """The float64 ``a`` as a tensor of the case's dtype and device (``to_tensor``); with ``grad``,
        a leaf that requires grad."""
        t = to_tensor(a, dtype=self.dtype, device=self.device)
        return t.requires_grad_(True) if grad else t


def tensors(shape: tuple[int, ...], *, dtype: Any, device: Any = "cpu", low: float = -4.0,
            high: float = 4.0) -> st.SearchStrategy:
    """Torch tensors of ``shape``, ``dtype`` and ``device`` with entries in ``[low, high]``."""
    return arrays(shape, low, high).map(lambda a: to_tensor(a, dtype=dtype, device=device))


# --- discrete diffusion: transition matrices and forward chains ---------------------------

CHAIN_KINDS = ("uniform", "absorbing", "general", "homogeneous")


@dataclass(frozen=True)
class Chain:
    """A drawn forward chain: ``Qs`` float64 (T, K, K) in ``convention``; ``betas`` and ``mask``
    for uniform/absorbing kernels (``None`` otherwise)."""

    kind: str
    convention: str
    Qs: np.ndarray
    betas: np.ndarray | None = None
    mask: int | None = None

    @property
    def K(self) -> int:
        return int(self.Qs.shape[-1])

    @property
    def T(self) -> int:
        return int(self.Qs.shape[0])


@reused
def probability_vectors(K: int, *, zeros: bool = True, min_value: float = 0.0) -> st.SearchStrategy:
    """Probability vectors of length K (float64), some entries exactly 0 when ``zeros``.

    Non-zero entries are at least 1e-6 before normalisation: exact zeros test the support logic,
    while subnormal masses would only test float underflow (``p log D`` with ``D`` rounding to 0).
    """
    lo = max(min_value, 1e-3)
    return _SEEDS.map(lambda seed: _probability_vector(np.random.default_rng(seed), int(K), zeros, lo))


def _probability_vector(rng: np.random.Generator, K: int, zeros: bool, lo: float) -> np.ndarray:
    # From one seed (a draw per entry was most of the cost): dense, all equal, and with ``zeros``
    # also sparse (about a third or two thirds of the entries exactly 0) or a point mass.
    mode = int(rng.integers(0, 5 if zeros else 2))
    if mode == 1:
        return np.full(K, 1.0 / K)
    a = rng.uniform(1e-6 if zeros else lo, 1.0, K)
    if mode in (2, 3):
        a = np.where(rng.random(K) < (0.3 if mode == 2 else 0.6), 0.0, a)
    elif mode == 4:
        a = np.zeros(K)
        a[rng.integers(K)] = 1.0
    if a.sum() <= 0:
        a[0] = 1.0
    return a / a.sum()


@reused
@st.composite
def transition_matrices(draw: st.DrawFn, K: int, convention: str = "column",
                        kind: str = "general", beta: float | None = None,
                        mask: int | None = None) -> np.ndarray:
    """One K x K stochastic matrix in ``convention``: ``general`` (random, with exact zeros off the
    diagonal), ``uniform`` ``(1-β)I + βU`` or ``absorbing`` ``(1-β)I + β e_m 1ᵀ``."""
    discrete_theory.validate_convention(convention)
    if kind in ("uniform", "absorbing"):
        b = beta if beta is not None else draw(st.floats(1e-3, 0.9))
        if kind == "uniform":
            return discrete_theory.uniform_matrix(b, K)
        return discrete_theory.absorbing_matrix(b, K, K - 1 if mask is None else mask, convention)
    # Exact zeros test the support logic (none, some or most off-diagonal entries); subnormal
    # entries would only test float underflow. From one seed: dense random kernels rarely commute,
    # so a product taken in the wrong order shows on almost every draw.
    rng = case_rng(draw)
    zeros = rng.random((K, K)) < rng.choice([0.0, 0.3, 0.6])
    raw = np.where(zeros, 0.0, rng.uniform(1e-6, 1.0, (K, K)))
    raw = raw + 0.05 * np.eye(K)
    Q = raw / raw.sum(axis=0, keepdims=True)
    return Q if convention == "column" else Q.T.copy()


@reused
@st.composite
def chains(draw: st.DrawFn, kinds: tuple[str, ...] = CHAIN_KINDS,
           conventions: tuple[str, ...] = discrete_theory.CONVENTIONS, min_K: int = 2, max_K: int = 6,
           min_T: int = 1, max_T: int = 4) -> Chain:
    """Forward chains: uniform and absorbing schedules (β_t drawn), general random kernels, and
    time-homogeneous positive kernels (one Q repeated: a unique invariant law)."""
    if not kinds or not set(kinds) <= set(CHAIN_KINDS):
        raise ValueError(f"kinds must be a non-empty subset of {CHAIN_KINDS}, got {kinds!r}")
    kind = draw(st.sampled_from(kinds))
    conv = draw(st.sampled_from(conventions))
    K = draw(st.integers(min_K, max_K))
    T = draw(st.integers(min_T, max_T))
    if kind in ("uniform", "absorbing"):
        betas = edged(case_rng(draw), (T,), 1e-3, 0.9)
        mask = draw(st.integers(0, K - 1)) if kind == "absorbing" else None
        Qs = np.stack([draw(transition_matrices(K, conv, kind, b, mask)) for b in betas])
        return Chain(kind, conv, Qs, betas, mask)
    if kind == "homogeneous":
        Q = draw(transition_matrices(K, "column")) * 0.9 + 0.1 / K  # positive: unique invariant law
        Q = Q if conv == "column" else Q.T.copy()
        return Chain(kind, conv, np.stack([Q] * T))
    return Chain(kind, conv, np.stack([draw(transition_matrices(K, conv)) for _ in range(T)]))


@reused
@st.composite
def absorbing_chains(draw: st.DrawFn, conventions: tuple[str, ...] = discrete_theory.CONVENTIONS,
                     min_K: int = 2, max_K: int = 6, min_T: int = 1, max_T: int = 5) -> Chain:
    """Absorbing chains only (``betas`` and ``mask`` set)."""
    return draw(chains(("absorbing",), conventions, min_K, max_K, min_T, max_T))


# --- flow matching: Gaussian probability paths ------------------------------------------------

@reused
@st.composite
def path_specs(draw: st.DrawFn, kinds: tuple[str, ...] = fm_theory.KINDS) -> PathSpec:
    """Path specs of the given kinds with drawn parameters (σ_min ∈ {0} ∪ [0, 0.5], σ_max ∈
    [0.5, 20], β_min ∈ [0.05, 1], β_max ∈ [β_min, 20])."""
    kind = draw(st.sampled_from(kinds))
    if kind == "conical":
        return PathSpec(kind, sigma_min=draw(st.one_of(st.just(0.0), st.floats(0.0, 0.5))))
    if kind == "ve":
        return PathSpec(kind, sigma_max=draw(st.floats(0.5, 20.0)))
    if kind == "vp":
        lo = draw(st.floats(0.05, 1.0))
        return PathSpec(kind, beta_min=lo, beta_max=draw(st.floats(lo, 20.0)))
    return PathSpec(kind)


# --------------------------------------------------------------------------- Gaussians
def orthogonal_matrix(rng: np.random.Generator, d: int) -> np.ndarray:
    Q, R = np.linalg.qr(rng.normal(size=(d, d)))
    return Q * np.sign(np.diag(R))


def covariances(rng: np.random.Generator, d: int, kind: str) -> np.ndarray:
    """SPD with condition <= 100 (``spd``), rank d-1 (``singular``), or diagonal (``diagonal``)."""
    lam = rng.uniform(0.1, 10.0, d)
    if kind == "singular":
        lam[rng.integers(0, d)] = 0.0
    if kind == "diagonal":
        return np.diag(lam)
    Q = orthogonal_matrix(rng, d)
    S = (Q * lam) @ Q.T
    return 0.5 * (S + S.T)


GAUSS_KINDS = ("spd", "spd_2", "equal", "singular", "commuting", "one_d")  # spd twice as likely


@reused
@st.composite
def gaussian_pairs(draw: st.DrawFn) -> tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(kind, mu1, S1, mu2, S2)``: generic SPD, equal Gaussians, singular, commuting, 1-D."""
    kind = draw(st.sampled_from(GAUSS_KINDS))
    d = 1 if kind == "one_d" else draw(st.integers(2, 5))  # d = 1 is the one_d kind
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    # mean separation 0, small or large: with large means the trace term is a small part of W_2²
    mscale = draw(st.sampled_from([0.0, 0.3, 3.0]))
    mu1, mu2 = rng.normal(size=d) * 3, rng.normal(size=d) * mscale
    mu2 = mu1 + mu2
    S1 = covariances(rng, d, "singular" if kind == "singular" else "spd")
    S2 = covariances(rng, d, "singular" if kind == "singular" else "spd")
    if kind == "equal":
        mu2, S2 = mu1.copy(), S1.copy()
    elif kind == "commuting":
        Q = orthogonal_matrix(rng, d)
        S1, S2 = (Q * rng.uniform(0.1, 10, d)) @ Q.T, (Q * rng.uniform(0.1, 10, d)) @ Q.T
    return kind, mu1, S1, mu2, S2
