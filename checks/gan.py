"""Checks of the GAN objective, the divergences and Kantorovich-Rubinstein duality.

A candidate exposes any of the methods of ``GANCandidate`` (laws are tabulated on a support:
probability vectors, or densities at quadrature nodes with weights ``w``). ``verify`` runs, under
Hypothesis, each property whose methods exist and raises ``TheoremViolation`` naming the theorem,
the slide, the inputs, the expected and the observed values. Every ``check_*`` takes a concrete
``LawCase`` so that a failure can be replayed without Hypothesis.

Oracles: ``dgmcheck.theory.gan``, ``dgmcheck.theory.divergences``, ``dgmcheck.theory.wasserstein``
(exact enumeration over the support; the 1-D W_1 from the CDFs). Inputs are rounded to the
candidate's dtype first and the oracle is evaluated on the rounded numbers, so the tolerance only
has to cover the candidate's own arithmetic.

Case strategies: ``law_cases``, ``mixture_law_cases`` (probability vectors come from
``checks.strategies.probability_vectors``).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.strategies import Case, case_rng, edged, probability_vectors
from dgmcheck.checks.tolerances import Tolerance, exact
from dgmcheck.theory import divergences as dv
from dgmcheck.theory import gan as th
from dgmcheck.theory import wasserstein as ws

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('gan')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED: tuple[str, ...] = ()
LOG2 = math.log(2.0)


class GANCandidate(Protocol):
    """Every method optional; tensors share dtype and device; the last axis is the support. ``w``
    (quadrature weights) is passed only for tabulated densities: a candidate without it is checked on
    probability vectors."""

    def optimal_discriminator(self, p_data: Any, p_theta: Any) -> Any: ...
    def value(self, p_data: Any, p_theta: Any, D: Any, w: Any = None) -> Any: ...  # V(G, D)
    def kl(self, p: Any, q: Any, w: Any = None) -> Any: ...
    def jsd(self, p: Any, q: Any, w: Any = None) -> Any: ...  # natural log
    def w1_1d(self, x: Any, p: Any, q: Any) -> Any: ...  # masses p, q on points x of the line
    def kr_potential_1d(self, x: Any, p: Any, q: Any) -> Any: ...  # optimal 1-Lipschitz critic
    def gradient_penalty(self, critic: Callable, real: Any, fake: Any, alpha: Any) -> Any: ...


@dataclass(frozen=True)
class LawCase(Case):
    """Three laws ``p, q, r`` on the points ``x`` (sorted, distinct), with quadrature weights ``w``
    (``None``: plain probability vectors). ``extra`` holds θ, a perturbed D, WGAN-GP inputs."""

    x: np.ndarray
    p: np.ndarray
    q: np.ndarray
    r: np.ndarray
    w: np.ndarray | None = None
    kind: str = "discrete"

    def tensor(self, a: np.ndarray | None):
        return None if a is None else super().tensor(a)

    def rounded(self, a: np.ndarray | None) -> np.ndarray | None:
        """``a`` as the candidate sees it (rounded to its dtype), in float64."""
        return None if a is None else to_numpy(self.tensor(a))

    def describe(self) -> dict[str, Any]:
        out = {"kind": self.kind, "x": self.x, "p": self.p, "q": self.q, "r": self.r,
               "dtype": str(self.dtype), "device": str(self.device)}
        if self.w is not None:
            out["w"] = self.w
        return out


# --------------------------------------------------------------------------- strategies
LAW_KINDS = ("random", "sparse", "equal", "disjoint", "near")


@st.composite
def law_cases(draw: st.DrawFn, *, dtype: Any, device: Any = "cpu", max_K: int = 8,
              kinds: tuple[str, ...] = LAW_KINDS) -> LawCase:
    """Triples of laws on ``K`` sorted points: random, sparse (exact zeros), ``q = p``, disjoint
    supports, and ``q`` a small perturbation of ``p``."""
    K = draw(st.integers(2, max_K))
    kind = draw(st.sampled_from(kinds))
    rng = case_rng(draw)  # one seed for the support points and the extras (a draw each cost the most)
    x = np.unique(np.round(edged(rng, (K,), -4.0, 4.0), 3))
    if len(x) < K:  # edge modes repeat their end points: distinct interior points keep the drawn K
        fill = np.setdiff1d(np.round(rng.uniform(-4.0, 4.0, 4 * K), 3), x)
        x = np.sort(np.concatenate([x, rng.choice(fill, K - len(x), replace=False)]))
    p = draw(probability_vectors(K, zeros=kind == "sparse"))
    q = draw(probability_vectors(K, zeros=kind == "sparse"))
    r = draw(probability_vectors(K))
    if kind in ("random", "sparse") and np.allclose(p, q):
        # Two laws drawn from equal seeds, or both uniform: q = p is the kind "equal"; here half of q's mass
        # moves to the point where p has least, so the CDFs differ and W_1, KL and JSD see two laws.
        q = 0.5 * q + 0.5 * np.eye(K)[int(np.argmin(p))]
    if kind == "equal":
        q = p.copy()
    elif kind == "disjoint":
        cut = int(rng.integers(1, K))
        p = np.where(np.arange(K) < cut, p + 0.01, 0.0)
        q = np.where(np.arange(K) >= cut, q + 0.01, 0.0)
        p, q = p / p.sum(), q / q.sum()
    elif kind == "near":
        q = p + rng.choice([1e-3, 1e-6]) * (q - p)
    theta = rng.choice([0.0, 1.0, -0.5]) if rng.random() < 0.5 else rng.uniform(-3, 3)
    extra = {"theta": float(theta), "D_other": rng.uniform(0.01, 0.99, K), "seed": int(rng.integers(0, 2**31 - 1))}
    return LawCase(x, p, q, r, None, kind, dtype=dtype, device=device, extra=extra)


BACKGROUND = 1e-3  # weight of the uniform background on the quadrature interval [-10, 10]


@st.composite
def mixture_law_cases(draw: st.DrawFn, *, dtype: Any, device: Any = "cpu", nodes: int = 96) -> LawCase:
    """1-D Gaussian mixtures (1-3 components) plus a uniform background of weight 1e-3 on [-10, 10],
    tabulated at Gauss-Legendre nodes with weights. The background keeps every density >= 5e-5, so
    no density is subnormal in float32 and no ratio p_θ/p_data falls below the dtype's resolution
    (a bare Gaussian tail at 10σ is 1e-22 and underflows ½·p in float32)."""
    def mixture() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k = draw(st.integers(1, 3))
        rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
        wts = rng.random(k) + 0.1
        return wts / wts.sum(), rng.uniform(-2, 2, k), rng.uniform(0.4, 1.5, k)

    m1, m2, m3 = mixture(), mixture(), mixture()
    x, w = th.quadrature(-10.0, 10.0, nodes)
    dens = [(1 - BACKGROUND) * th.mixture_pdf(x, *m) + BACKGROUND / 20.0 for m in (m1, m2, m3)]
    # renormalise so Σ w p = 1 exactly (the Gaussian tails beyond ±10 are below 1e-15)
    p, q, r = (d / np.sum(w * d) for d in dens)
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    extra = {"theta": 1.0, "D_other": rng.uniform(0.01, 0.99, nodes), "mixtures": (m1, m2, m3)}
    return LawCase(x, p, q, r, w, "mixture", dtype=dtype, device=device, extra=extra)


# --------------------------------------------------------------------------- helpers
def _close(theorem: str, observed: Any, expected: Any, what: str, tol: Tolerance, case: LawCase,
           scale: Any = None, **more: Any) -> None:
    assert_close(observed, expected, theorem=theorem, slide=SLIDES[theorem], what=what, tol=tol,
                 scale=scale, inputs={**case.describe(), **more})


def _fail(theorem: str, what: str, case: LawCase, expected: Any, observed: Any) -> None:
    raise TheoremViolation(theorem, what, slide=SLIDES[theorem], inputs=case.describe(),
                           expected=expected, observed=observed)


def _weighted(fn: Callable[..., Any], *args: Any, w: Any) -> Any:
    """``fn(*args, w)`` under quadrature weights, ``fn(*args)`` on plain probability vectors (``w``
    None): a candidate for probability vectors need not take a weights argument."""
    return fn(*args) if w is None else fn(*args, w)


def _takes_weights(fn: Any, n_args: int) -> bool:
    """Whether ``fn`` accepts a weights argument after its ``n_args`` positional ones."""
    try:
        inspect.signature(fn).bind(*([None] * (n_args + 1)))
    except TypeError:
        return False
    except ValueError:  # no signature to read (a builtin): assume it does
        return True
    return True


#: The methods that take quadrature weights, with the number of arguments before them.
WEIGHTED_METHODS = (("value", 3), ("kl", 2), ("jsd", 2))


def _weights(case: LawCase) -> np.ndarray:
    return np.ones_like(case.x) if case.w is None else case.rounded(case.w)


def _value_scale(p: np.ndarray, q: np.ndarray, D: np.ndarray, w: np.ndarray) -> float:
    """Σ of the magnitudes of the terms of V (no cancellation beyond them): first order, a rounding
    of D moves p log D by p·eps and q log(1-D) by q·eps·D/(1-D) = p·eps at D = D*."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, p * np.abs(np.log(np.where(p > 0, D, 1.0))), 0.0)
        b = np.where(q > 0, q * np.abs(np.log1p(-np.where(q > 0, D, 0.0))), 0.0)
    return float(np.sum(w * (a + b + 2 * p + 2 * q)))


def _jsd_scale(p: np.ndarray, q: np.ndarray, w: np.ndarray) -> float:
    """Magnitudes of the JSD terms ½ p |log(2p/(p+q))| + ½ q |...| plus p + q (the logs' roundings)."""
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, p * np.abs(np.log(np.where(p > 0, p, 1.0) / np.where(p > 0, m, 1.0))), 0.0)
        b = np.where(q > 0, q * np.abs(np.log(np.where(q > 0, q, 1.0) / np.where(q > 0, m, 1.0))), 0.0)
    return float(np.sum(w * (0.5 * a + 0.5 * b + p + q)))


def _kl_scale(p: np.ndarray, q: np.ndarray, w: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where((p > 0) & (q > 0), p * np.abs(np.log(np.where(p > 0, p, 1.0) / np.where(q > 0, q, 1.0))), 0.0)
    return float(np.sum(w * (a + 2 * p)))


def _w1_scale(x: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    """Magnitudes of the CDF terms (F_p + F_q)|Δx|: each F_i is a running sum (condition K)."""
    return float(np.sum((np.cumsum(p) + np.cumsum(q))[:-1] * np.diff(x)))


def _tol(case: LawCase, cond: float, tol: Tolerance | None) -> Tolerance:
    return tol if tol is not None else exact(case.dtype, cond)


# --------------------------------------------------------------------------- gan.*
def check_optimal_discriminator(candidate: Any, case: LawCase, *, tol: Tolerance | None = None) -> None:
    """gan.optimal_discriminator: ``D*(x) = p_data(x)/(p_data(x) + p_θ(x))`` wherever
    ``p_data + p_θ > 0`` (the pointwise maximiser of ``p_data log D + p_θ log(1 - D)``)."""
    p, q = case.rounded(case.p), case.rounded(case.q)
    got = to_numpy(candidate.optimal_discriminator(case.tensor(case.p), case.tensor(case.q)))
    expected = th.optimal_discriminator(p, q)
    mask = np.isfinite(expected)
    if got.shape != expected.shape:
        _fail("gan.optimal_discriminator", f"D* has shape {got.shape}, expected {expected.shape}", case,
              expected.shape, got.shape)
    # a ratio of two rounded numbers and one sum: relative error within 3 roundings
    _close("gan.optimal_discriminator", got[mask], expected[mask], "D*(x) = p_data/(p_data + p_θ)",
           _tol(case, 3.0, tol), case)


def _optimal_D(case: LawCase, p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """D* as given to the candidate: clipped to [δ, 1-δ], δ = 4 eps(dtype), so that ``log(1 - D)``
    stays finite where ``p_θ/p_data`` is below the dtype's resolution (a rounded D* = 1 would make
    ``V = -inf`` for any implementation). Returns (D sent, D rounded as seen, whether any was clipped)."""
    from dgmcheck.checks.tolerances import eps

    D = th.optimal_discriminator(p, q)
    D = np.where(np.isfinite(D), D, 0.5)
    delta = 4 * eps(case.dtype)
    Dc = np.clip(D, delta, 1 - delta)
    return Dc, case.rounded(Dc), bool(np.any(Dc != D))


def check_value_at_optimum(candidate: Any, case: LawCase, *, tol: Tolerance | None = None) -> None:
    """gan.value_at_optimum: ``V(G, D*) = 2 JSD(p_data‖p_θ) - 2 log 2`` (natural log); also
    ``2·jsd - 2 log 2`` when the candidate has ``jsd``. Where D* had to be clipped (see
    ``_optimal_D``) the candidate's ``V`` is compared with the exact ``V`` at the D it was given."""
    p, q, w = case.rounded(case.p), case.rounded(case.q), _weights(case)
    wo = None if case.w is None else w
    D, Dr, clipped = _optimal_D(case, p, q)
    expected = th.value(p, q, Dr, wo) if clipped else th.value_at_optimum(p, q, wo)
    K = len(p)
    scale = _value_scale(p, q, Dr, w) + 2 * LOG2
    got = _weighted(candidate.value, case.tensor(case.p), case.tensor(case.q), case.tensor(D), w=case.tensor(case.w))
    # K terms summed: condition K; the rounding of D* itself is in the scale (see _value_scale)
    _close("gan.value_at_optimum", got, expected, "V(G, D*) = 2 JSD - 2 log 2", _tol(case, K + 4, tol), case,
           scale=scale, clipped=clipped)
    if callable(getattr(candidate, "jsd", None)):
        j = to_numpy(_weighted(candidate.jsd, case.tensor(case.p), case.tensor(case.q), w=case.tensor(case.w)))
        _close("gan.value_at_optimum", 2 * j - 2 * LOG2, th.value_at_optimum(p, q, wo),
               "2·jsd(p_data, p_θ) - 2 log 2 = V(G, D*)",
               _tol(case, K + 4, tol), case, scale=2 * _jsd_scale(p, q, w) + 2 * LOG2)


def check_global_optimum(candidate: Any, case: LawCase, *, tol: Tolerance | None = None) -> None:
    """gan.global_optimum: at ``p_θ = p_data`` the optimal discriminator is ½ and ``V = -2 log 2``;
    for any p_θ, ``V(G, D) <= V(G, D*)`` and ``V(G, D*) >= -2 log 2`` (equality iff p_θ = p_data)."""
    p, q, w = case.rounded(case.p), case.rounded(case.q), _weights(case)
    P, Q, W = case.tensor(case.p), case.tensor(case.q), case.tensor(case.w)
    K = len(p)
    tol_ = _tol(case, K + 4, tol)
    half = np.where(p > 0, 0.5, np.nan)
    if callable(getattr(candidate, "optimal_discriminator", None)):
        Dpp = to_numpy(candidate.optimal_discriminator(P, P))
        mask = p > 0
        _close("gan.global_optimum", Dpp[mask], half[mask], "D* = ½ when p_θ = p_data", _tol(case, 3.0, tol), case)
    if not callable(getattr(candidate, "value", None)):
        return
    D_half = np.full_like(p, 0.5)
    v_eq = _weighted(candidate.value, P, P, case.tensor(D_half), w=W)
    _close("gan.global_optimum", v_eq, -2 * LOG2, "V(G*, D*) = -2 log 2 at p_θ = p_data", tol_, case,
           scale=_value_scale(p, p, D_half, w))
    wo = None if case.w is None else w
    D, Dr, _ = _optimal_D(case, p, q)
    v_star = float(to_numpy(_weighted(candidate.value, P, Q, case.tensor(D), w=W)))
    slack = tol_.bound(_value_scale(p, q, Dr, w))
    # V* = 2 JSD - 2 log 2 and JSD >= TV²/2; minus the exact loss of the clipped / rounded D
    loss = th.value_at_optimum(p, q, wo) - th.value(p, q, Dr, wo)
    floor = -2 * LOG2 + dv.tv(p, q, wo) ** 2 - max(loss, 0.0)
    if not v_star >= floor - slack:
        _fail("gan.global_optimum", "V(G, D*) >= -2 log 2 + TV(p_data, p_θ)² (JSD >= TV²/2)", case, floor, v_star)
    other = np.clip(case.extra["D_other"][:K], 1e-3, 1 - 1e-3)
    other = np.where((p > 0) & (q > 0), other, Dr)  # stay finite where one law vanishes
    v_other = float(to_numpy(_weighted(candidate.value, P, Q, case.tensor(other), w=W)))
    slack2 = slack + tol_.bound(_value_scale(p, q, case.rounded(other), w))
    if not v_other <= v_star + slack2:
        _fail("gan.global_optimum", "V(G, D) <= V(G, D*) for every D (D* is the maximiser)", case,
              f"<= {v_star}", v_other)


# --------------------------------------------------------------------------- divergence.*
def check_jsd_properties(candidate: Any, case: LawCase, *, tol: Tolerance | None = None) -> None:
    """divergence.jsd_properties: ``jsd`` equals the oracle, is symmetric, ``0 <= JSD <= log 2``,
    ``JSD(p, p) = 0``, and ``√JSD`` satisfies the triangle inequality (JSD itself does not)."""
    th_ = "divergence.jsd_properties"
    P, Q, R, W = (case.tensor(a) for a in (case.p, case.q, case.r, case.w))
    p, q, r, w = case.rounded(case.p), case.rounded(case.q), case.rounded(case.r), _weights(case)
    wo = None if case.w is None else w
    K = len(p)
    tol_ = _tol(case, K + 4, tol)
    jpq = float(to_numpy(_weighted(candidate.jsd, P, Q, w=W)))
    jqp = float(to_numpy(_weighted(candidate.jsd, Q, P, w=W)))
    _close(th_, jpq, dv.jsd(p, q, wo), "JSD(p‖q) = ½ KL(p‖m) + ½ KL(q‖m), natural log", tol_, case,
           scale=_jsd_scale(p, q, w))
    _close(th_, jqp, jpq, "symmetry JSD(p‖q) = JSD(q‖p)", tol_, case, scale=_jsd_scale(p, q, w))
    slack = tol_.bound(_jsd_scale(p, q, w))
    if not -slack <= jpq <= LOG2 + slack:
        _fail(th_, "0 <= JSD <= log 2", case, f"[0, {LOG2}]", jpq)
    jpp = float(to_numpy(_weighted(candidate.jsd, P, P, w=W)))
    _close(th_, jpp, 0.0, "JSD(p‖p) = 0", tol_, case, scale=_jsd_scale(p, p, w))
    jqr = float(to_numpy(_weighted(candidate.jsd, Q, R, w=W)))
    jpr = float(to_numpy(_weighted(candidate.jsd, P, R, w=W)))
    s = sum(tol_.bound(_jsd_scale(a, b, w)) for a, b in ((p, q), (q, r), (p, r)))
    lhs = math.sqrt(max(jpr, 0.0))
    rhs = math.sqrt(max(jpq, 0.0)) + math.sqrt(max(jqr, 0.0))
    # √ of a value known to ±s is known to ±√s
    if not lhs <= rhs + 3 * math.sqrt(s):
        _fail(th_, "√JSD(p‖r) <= √JSD(p‖q) + √JSD(q‖r)", case, f"<= {rhs}", lhs)


def check_disjoint_supports(candidate: Any, case: LawCase, *, tol: Tolerance | None = None) -> None:
    """divergence.disjoint_supports: the parallel lines ``(0, U[0,1])`` and ``(θ, U[0,1])``
    (discretised, exact): ``KL = +inf`` both ways, ``JSD = log 2`` and ``W_1 = |θ|`` for θ ≠ 0;
    all 0 for θ = 0. ``W_1`` is read on the first coordinate (the vertical coupling is optimal)."""
    th_ = "divergence.disjoint_supports"
    theta = float(case.rounded(np.array([case.extra["theta"]]))[0])
    n = max(len(case.x), 2)
    pts, p, q = dv.parallel_lines_discretized(theta, n)
    if theta == 0:  # the two lines coincide: the same law
        q = np.concatenate([p[:n], np.zeros(n)])
        p = q.copy()
    truth = dv.parallel_lines(theta)
    P, Q = case.tensor(p), case.tensor(q)
    tol_ = _tol(case, 2 * n + 4, tol)
    if callable(getattr(candidate, "kl", None)):
        for name, (a, b) in {"kl_pq": (P, Q), "kl_qp": (Q, P)}.items():
            got = float(to_numpy(candidate.kl(a, b)))
            if not (got == truth[name] or (math.isfinite(truth[name]) and abs(got - truth[name]) <= tol_.bound(2.0))):
                _fail(th_, f"{name[:2].upper()}({name[3]}‖{name[4]}) for the parallel lines", case,
                      truth[name], got)
    if callable(getattr(candidate, "jsd", None)):
        _close(th_, candidate.jsd(P, Q), truth["jsd"], "JSD of the parallel lines", tol_, case, scale=2.0,
               theta=theta)
    if callable(getattr(candidate, "w1_1d", None)):
        _close(th_, candidate.w1_1d(case.tensor(pts[:, 0]), P, Q), truth["w1"], "W_1 of the parallel lines",
               tol_, case, scale=abs(theta) + 1.0, theta=theta)


def check_convergence_hierarchy(candidate: Any, case: LawCase, *, tol: Tolerance | None = None) -> None:
    """divergence.convergence_hierarchy: on ``p_t = (1 - 1/t) π + (1/t) r → π`` (t = 2, 10, 100, 1000):
    the candidate's KL, JSD, W_1 equal the oracle, ``KL(π‖p_t) <= log(t/(t-1))``, and
    ``JSD <= log 2 · √(KL/2)``, ``W_1 <= diam · √(2 JSD)`` (quantitative (1) ⇒ (2) ⇒ (3))."""
    th_ = "divergence.convergence_hierarchy"
    x = case.rounded(case.x)
    pi = case.p
    K = len(pi)
    diam = float(x[-1] - x[0])
    tol_ = _tol(case, K + 4, tol)
    for t in (2, 10, 100, 1000):
        pt = dv.mixture_sequence(pi, case.r, t)
        Pi, Pt = case.tensor(pi), case.tensor(pt)
        a, b = case.rounded(pi), case.rounded(pt)
        ones = np.ones(K)
        k = float(to_numpy(candidate.kl(Pi, Pt)))
        j = float(to_numpy(candidate.jsd(Pi, Pt)))
        w1 = float(to_numpy(candidate.w1_1d(case.tensor(case.x), Pi, Pt)))
        sk, sj, sw = (tol_.bound(s) for s in (_kl_scale(a, b, ones), _jsd_scale(a, b, ones), _w1_scale(x, a, b)))
        _close(th_, k, dv.kl(a, b), f"KL(π‖p_t), t = {t}", tol_, case, scale=_kl_scale(a, b, ones))
        _close(th_, j, dv.jsd(a, b), f"JSD(π‖p_t), t = {t}", tol_, case, scale=_jsd_scale(a, b, ones))
        _close(th_, w1, ws.w1_1d(x, a, b), f"W_1(π, p_t), t = {t}", tol_, case, scale=_w1_scale(x, a, b))
        if not k <= math.log(t / (t - 1)) + sk:
            _fail(th_, f"KL(π‖p_t) <= log(t/(t-1)) → 0, t = {t}", case, math.log(t / (t - 1)), k)
        if not j <= LOG2 * math.sqrt(max(k, 0) / 2) + sj + LOG2 * math.sqrt(sk):
            _fail(th_, f"JSD <= log 2 · √(KL/2), t = {t}", case, LOG2 * math.sqrt(max(k, 0) / 2), j)
        if not w1 <= diam * math.sqrt(2 * max(j, 0)) + sw + diam * math.sqrt(2 * sj):
            _fail(th_, f"W_1 <= diam · √(2 JSD), t = {t}", case, diam * math.sqrt(2 * max(j, 0)), w1)


# --------------------------------------------------------------------------- wasserstein.kantorovich_rubinstein
def check_kantorovich_rubinstein(candidate: Any, case: LawCase, *, tol: Tolerance | None = None) -> None:
    """wasserstein.kantorovich_rubinstein: ``W_1(p, q) = max_{‖f‖_L <= 1} E_p f - E_q f``.

    ``w1_1d`` equals the primal optimum (the 1-D CDF formula, equal to the LP optimum); a critic
    from ``kr_potential_1d`` is 1-Lipschitz on the support and attains ``E_p f - E_q f = W_1``."""
    th_ = "wasserstein.kantorovich_rubinstein"
    x, p, q = case.rounded(case.x), case.rounded(case.p), case.rounded(case.q)
    K = len(x)
    W = ws.w1_1d(x, p, q)
    tol_ = _tol(case, K + 4, tol)
    scale = _w1_scale(x, p, q)
    X, P, Q = case.tensor(case.x), case.tensor(case.p), case.tensor(case.q)
    if callable(getattr(candidate, "w1_1d", None)):
        _close(th_, candidate.w1_1d(X, P, Q), W, "W_1 = ∫|F_p - F_q| (primal optimum)", tol_, case, scale=scale)
    if callable(getattr(candidate, "kr_potential_1d", None)):
        f = to_numpy(candidate.kr_potential_1d(X, P, Q))
        spread = np.abs(x[:, None]) + np.abs(x[None, :]) + np.abs(f[:, None]) + np.abs(f[None, :])
        excess = np.abs(f[:, None] - f[None, :]) - np.abs(x[:, None] - x[None, :]) - tol_.bound(spread)
        if (excess > 0).any():
            i, j = np.unravel_index(int(np.argmax(excess)), excess.shape)
            _fail(th_, f"critic is 1-Lipschitz: |f(x_{i}) - f(x_{j})| <= |x_{i} - x_{j}|", case,
                  abs(x[i] - x[j]), abs(f[i] - f[j]))
        gap = float(np.sum((p - q) * f))
        _close(th_, gap, W, "the critic attains the dual: E_p f - E_q f = W_1", tol_, case,
               scale=scale + float(np.sum((p + q) * np.abs(f))))


def check_gradient_penalty(candidate: Any, case: LawCase, *, tol: Tolerance | None = None) -> None:
    """wasserstein.kantorovich_rubinstein (WGAN-GP): the penalty ``mean_i (‖∇f(x̂_i)‖ - 1)²`` on a
    quadratic critic ``f(x) = ½ xᵀAx + bᵀx`` (exact gradient ``A x̂ + b``), norm taken per sample."""
    import torch

    th_ = "wasserstein.kantorovich_rubinstein"
    rng = np.random.default_rng(case.extra.get("seed", 0))
    B, d = int(rng.integers(2, 6)), int(rng.integers(1, 4))
    real, fake = rng.normal(size=(B, d)), rng.normal(size=(B, d))
    alpha = rng.uniform(0, 1, B)
    A = rng.normal(size=(d, d)) * 0.5
    A = A + A.T
    b = rng.normal(size=d)
    At, bt = case.tensor(A), case.tensor(b)

    def critic(z: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((z @ At) * z).sum(-1) + z @ bt

    Rr, Fr, ar = case.rounded(real), case.rounded(fake), case.rounded(alpha)
    xh = ar[:, None] * Rr + (1 - ar[:, None]) * Fr
    g = xh @ case.rounded(A) + case.rounded(b)
    expected = ws.gradient_penalty(g)
    got = candidate.gradient_penalty(critic, case.tensor(real), case.tensor(fake), case.tensor(alpha))
    mags = np.abs(xh) @ np.abs(case.rounded(A)) + np.abs(case.rounded(b))
    norms = np.linalg.norm(mags, axis=1)
    # (‖g‖ - 1)² moves by 2|‖g‖ - 1|·δ‖g‖, δ‖g‖ <= (d + 4) eps ‖|x̂||A| + |b|‖
    scale = float(np.mean(2 * (np.linalg.norm(g, axis=1) + 1) * norms)) + expected
    _close(th_, got, expected, "WGAN-GP penalty mean_i (‖∇f(x̂_i)‖ - 1)², per-sample norm",
           _tol(case, d + 6, tol), case, scale=scale, A=A, b=b, alpha=alpha)


# --------------------------------------------------------------------------- verify
@dataclass(frozen=True)
class Property(_verify.Property):
    mixtures: bool = True  # also run on tabulated 1-D mixtures


PROPERTIES: tuple[Property, ...] = (
    Property("optimal_discriminator", "gan.optimal_discriminator", check_optimal_discriminator,
             ("optimal_discriminator",)),
    Property("value_at_optimum", "gan.value_at_optimum", check_value_at_optimum, ("value",)),
    Property("global_optimum", "gan.global_optimum", check_global_optimum, ("value",)),
    Property("jsd_properties", "divergence.jsd_properties", check_jsd_properties, ("jsd",)),
    Property("disjoint_supports", "divergence.disjoint_supports", check_disjoint_supports, ("jsd",), False),
    Property("convergence_hierarchy", "divergence.convergence_hierarchy", check_convergence_hierarchy,
             ("kl", "jsd", "w1_1d"), False),
    Property("kantorovich_rubinstein", "wasserstein.kantorovich_rubinstein", check_kantorovich_rubinstein,
             ("w1_1d",), False),
    Property("gradient_penalty", "wasserstein.kantorovich_rubinstein", check_gradient_penalty,
             ("gradient_penalty",), False),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


class VerifyReport(_verify.VerifyReport):
    concept = "gan"


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any) -> VerifyReport:
    """Run every GAN / divergence / Kantorovich-Rubinstein property the candidate supports.

    ``dtype``/``device`` default to the candidate's attributes, else float64 on the CPU. A named
    property whose methods the candidate lacks is a TypeError; the first failure raises
    ``TheoremViolation`` (``shrink=False`` reports it as drawn)."""

    # tabulated densities need the weights: a candidate whose methods take none sees probability vectors only
    weighted = all(_takes_weights(getattr(run.candidate, m), n) for m, n in WEIGHTED_METHODS
                   if callable(getattr(run.candidate, m, None)))

    def strategy(prop: Property) -> st.SearchStrategy:
        cases = law_cases(dtype=run.dtype, device=run.device)
        if not (prop.mixtures and weighted):
            return cases
        return st.one_of(cases, mixture_law_cases(dtype=run.dtype, device=run.device))

    return run.properties(strategy, provides="GAN methods (see dgmcheck.checks.gan.GANCandidate)")
