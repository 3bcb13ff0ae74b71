"""Checks of Gaussian W2, FID from user-supplied features, and k-NN precision/recall.

A candidate exposes any of ``gaussian_w2(mu1, S1, mu2, S2)`` (squared W2), ``fid(features_a,
features_b)`` and ``precision_recall(real, fake, k)``; ``fid_candidate(fn)`` wraps a bare user
function. ``verify`` runs each property under Hypothesis and raises ``TheoremViolation``.

Oracles: ``dgmcheck.theory.wasserstein`` / ``dgmcheck.theory.metrics`` in float64 (symmetric eigen
form of the trace term, two-pass covariances, brute-force k-NN). Tolerances are first-order error
bounds derived below; the square root makes the trace term only half-order accurate near a zero
eigenvalue (``|√(λ+δ) - √λ| <= min(δ/(2√λ), √δ)``), which the bound carries.

Case strategies: ``feature_pairs``, ``point_cloud_cases`` (pairs of Gaussians come from
``checks.strategies.gaussian_pairs``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks import strategies as S
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.strategies import Case, gaussian_pairs
from dgmcheck.checks.tolerances import SAFETY, Tolerance, eps
from dgmcheck.theory import metrics as tm
from dgmcheck.theory import wasserstein as ws

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('metrics')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricCase(Case):
    """Two Gaussians ``(mu1, S1), (mu2, S2)``, two feature sets ``X (n, d)``, ``Y (m, d)``, an
    orthogonal ``O (d, d)`` and shift ``c (d,)``, and the kind of the draw."""

    mu1: np.ndarray
    S1: np.ndarray
    mu2: np.ndarray
    S2: np.ndarray
    X: np.ndarray
    Y: np.ndarray
    O: np.ndarray
    c: np.ndarray
    kind: str

    def rounded(self, a: np.ndarray) -> np.ndarray:
        return to_numpy(self.tensor(a))

    def describe(self, *names: str) -> dict[str, Any]:
        return {"kind": self.kind, "dtype": str(self.dtype), "device": str(self.device),
                **{n: getattr(self, n) for n in names}}


# --------------------------------------------------------------------------- strategies
FEATURE_KINDS = ("random", "offset", "square", "dead_feature", "same")


@st.composite
def feature_pairs(draw: st.DrawFn) -> tuple[str, np.ndarray, np.ndarray]:
    """Feature sets ``(n, d)``, ``(m, d)``: random, with a large common offset (10, 1e3 or 1e4, where
    a one-pass covariance cancels), ``n = d`` (rank-deficient covariance), a dead (constant 0)
    feature, and the same set twice."""
    kind = draw(st.sampled_from(FEATURE_KINDS))
    d = draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    n = d + 1 if kind == "square" else int(rng.integers(max(d, 2) + 2, 40))
    n = max(n - 1, 2) if kind == "square" and d >= 2 else n
    m = n if kind in ("square", "same") else int(rng.integers(max(d, 2) + 2, 40))
    A = rng.normal(size=(d, d))
    X = rng.normal(size=(n, d)) @ A + rng.normal(size=d)
    Y = rng.normal(size=(m, d)) @ (A + 0.3 * rng.normal(size=(d, d))) + rng.normal(size=d)
    if kind == "offset":
        off = draw(st.sampled_from([10.0, 1000.0, 1e4])) * rng.choice([-1, 1], d)
        X, Y = X + off, Y + off
    elif kind == "dead_feature":
        j = int(rng.integers(0, d))
        X[:, j] = 0.0
        Y[:, j] = 0.0
    elif kind == "same":
        Y = X.copy()
    return kind, X, Y


def covariance_in(cov: np.ndarray, dtype: Any) -> np.ndarray:
    """``cov`` lifted just enough that its rounding to ``dtype`` (what the candidate and the oracle read) is
    still a covariance. Rounding a rank-deficient ``cov`` to float32 moves its zero eigenvalue by up to
    ``d·u·‖cov‖`` either way, and a negative one is outside the theorem's domain (the oracle refuses it);
    the lift is a few ``u·‖cov‖``, so the case stays as near singular as ``dtype`` can hold."""
    norm = max(1.0, float(np.linalg.norm(cov, 2)))
    for _ in range(8):
        lam = float(np.linalg.eigvalsh(to_numpy(S.to_tensor(cov, dtype=dtype))).min())
        if lam >= 1e-12 * norm:
            break
        cov = cov + (abs(lam) + 4 * eps(dtype) * norm) * np.eye(len(cov))
    return cov


@st.composite
def metric_cases(draw: st.DrawFn, *, dtype: Any, device: Any = "cpu") -> MetricCase:
    gkind, mu1, S1, mu2, S2 = draw(gaussian_pairs())
    S1, S2 = covariance_in(S1, dtype), covariance_in(S2, dtype)
    fkind, X, Y = draw(feature_pairs())
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    d = X.shape[1]
    return MetricCase(mu1, S1, mu2, S2, X, Y, S.orthogonal_matrix(rng, d), rng.normal(size=d) * 2,
                      f"{gkind}/{fkind}", dtype=dtype, device=device)


@st.composite
def point_cloud_cases(draw: st.DrawFn, *, dtype: Any, device: Any = "cpu") -> MetricCase:
    """Real and fake point clouds for precision/recall: random (exact brute-force answer),
    identical (→ 1, 1), far apart (→ 0, 0), fake a subset of real (precision 1)."""
    kind = draw(st.sampled_from(("random", "identical", "disjoint", "subset")))
    d = draw(st.integers(1, 4))
    k = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    n = int(rng.integers(k + 2, 30))
    X = rng.normal(size=(n, d))
    Y = rng.normal(size=(int(rng.integers(k + 2, 30)), d)) * rng.uniform(0.5, 2.0) + rng.normal(size=d) * 0.5
    if kind == "identical":
        Y = X.copy()
    elif kind == "disjoint":
        Y = Y + 100.0
    elif kind == "subset":
        Y = X[rng.permutation(n)[: int(rng.integers(k + 1, n + 1))]].copy()
    z = np.zeros(d)
    return MetricCase(z, np.eye(d), z, np.eye(d), X, Y, np.eye(d), z, kind, dtype=dtype, device=device,
                      extra={"k": k})


# --------------------------------------------------------------------------- error bounds
def _trace_sqrt_bound(S1: np.ndarray, S2: np.ndarray, dS: float, u: float) -> float:
    """Bound on the error of ``2 tr (S1^{1/2} S2 S1^{1/2})^{1/2}`` computed in precision ``u`` when each
    of S1, S2 is known to ``dS`` in spectral norm.

    Forming ``M = S1^{1/2} S2 S1^{1/2}`` (or ``S1 S2``) and its eigenvalues costs ``δM = SAFETY·u·d·
    ‖S1‖‖S2‖`` (Weyl), which moves the roots by ``Σ min(δM/(2√λ_i), √δM)``. The input error then
    adds, to first order when both are SPD with ``dS <= λ_min/10``, ``(tr A + tr A^{-1}) dS``:
    ``f = tr(S1^{1/2} S2 S1^{1/2})^{1/2}`` has gradients ``½ A`` in S1 and ``½ A^{-1}`` in S2, A =
    S1^{-1/2}(S1^{1/2}S2S1^{1/2})^{1/2}S1^{-1/2} the optimal map (PSD). Otherwise (near-singular) it
    adds, at half order, ``S1^{1/2}`` moving by ``δA = min(dS/(2√λ_min), √dS)`` and ``M`` by
    ``2‖S1^{1/2}‖‖S2‖δA + ‖S1‖ dS``, through the same root bound; both orders are covered."""
    d = len(S1)
    n1, n2 = float(np.linalg.norm(S1, 2)), float(np.linalg.norm(S2, 2))
    lam_M = ws.cross_eigenvalues(S1, S2)
    arith = 2 * tm.sqrt_perturbation(lam_M, SAFETY * u * d * n1 * n2)
    lmins = [float(np.linalg.eigvalsh(S).min()) for S in (S1, S2)]
    if min(lmins) > 10 * dS:
        R = ws.psd_sqrt(S1)
        Ri = np.linalg.inv(R)
        A = Ri @ ws.psd_sqrt(R @ S2 @ R) @ Ri
        return arith + float(np.trace(A) + np.trace(np.linalg.inv(A))) * dS
    out = 0.0
    for A_, B_ in ((S1, S2), (S2, S1)):
        lam = np.clip(np.linalg.eigvalsh(A_), 0, None)
        lmin = float(lam.min())
        dA = min(dS / (2 * math.sqrt(lmin)) if lmin > 0 else math.inf, math.sqrt(dS))
        nA, nB = float(np.sqrt(lam.max())), float(np.linalg.norm(B_, 2))
        dM = 2 * nA * nB * dA + float(lam.max()) * dS + dS * dA
        out = max(out, 2 * tm.sqrt_perturbation(lam_M, dM))
    return arith + out


def _w2_bound(mu1: np.ndarray, S1: np.ndarray, mu2: np.ndarray, S2: np.ndarray, u: float,
              dmu: float, dS: float) -> float:
    """Absolute error bound of ``W_2²`` when the means are known to ``dmu`` and the covariances to
    ``dS`` (per entry): the mean term by ``2Σ|Δμ_i|·2dmu``, the traces by ``2d·dS``, the trace of
    the root by ``_trace_sqrt_bound`` with spectral error ``d·dS``; plus the final sum's roundings."""
    d = len(mu1)
    diff = np.abs(mu1 - mu2)
    total = float(np.sum(diff**2) + np.trace(S1) + np.trace(S2)
                  + 2 * np.sum(np.sqrt(ws.cross_eigenvalues(S1, S2))))
    return (4 * float(np.sum(diff)) * dmu + 4 * d * dmu**2 + 2 * d * dS
            + _trace_sqrt_bound(S1, S2, d * dS, u) + SAFETY * u * (d + 4) * total)


def _close(theorem: str, observed: Any, expected: Any, what: str, bound: float, case: MetricCase,
           tol: Tolerance | None, *names: str, scale: float = 1.0) -> None:
    if np.iscomplexobj(to_numpy(observed)):  # a kept complex square root: the distance is a real number
        raise TheoremViolation(theorem, f"{what}: the result is complex (keep the real part of the square root)",
                               slide=SLIDES[theorem], inputs=case.describe(*names), expected=expected,
                               observed=to_numpy(observed))
    # the derived absolute bound is the scale of a unit rtol (plus the float64 floor of `exact`)
    t = tol if tol is not None else Tolerance(rtol=1.0, atol=SAFETY * eps("float64"))
    assert_close(observed, expected, theorem=theorem, slide=SLIDES[theorem], what=what, tol=t,
                 scale=bound if tol is None else scale, inputs=case.describe(*names))


# --------------------------------------------------------------------------- wasserstein.gaussian_w2
def check_gaussian_w2(candidate: Any, case: MetricCase, *, tol: Tolerance | None = None) -> None:
    """wasserstein.gaussian_w2: ``W_2²(N(μ_1,Σ_1), N(μ_2,Σ_2)) = ‖μ_1-μ_2‖² + tr[Σ_1 + Σ_2 -
    2(Σ_1^{1/2} Σ_2 Σ_1^{1/2})^{1/2}]``; symmetric in its two arguments, 0 for equal Gaussians."""
    th_ = "wasserstein.gaussian_w2"
    mu1, S1, mu2, S2 = (case.rounded(a) for a in (case.mu1, case.S1, case.mu2, case.S2))
    u = eps(case.dtype)
    d = len(mu1)
    # the candidate's eigen-decompositions are backward stable: dS = d·u·‖S‖ per entry
    dS = SAFETY * u * d * max(float(np.abs(S1).max()), float(np.abs(S2).max()))
    dmu = SAFETY * u * max(float(np.abs(mu1).max()), float(np.abs(mu2).max()))
    bound = _w2_bound(mu1, S1, mu2, S2, u, dmu, dS)
    expected = ws.gaussian_w2_squared(mu1, S1, mu2, S2)
    T = case.tensor
    got = candidate.gaussian_w2(T(case.mu1), T(case.S1), T(case.mu2), T(case.S2))
    _close(th_, got, expected, "W_2² closed form", bound, case, tol, "mu1", "S1", "mu2", "S2",
           scale=abs(expected) + 1)
    back = candidate.gaussian_w2(T(case.mu2), T(case.S2), T(case.mu1), T(case.S1))
    _close(th_, back, expected, "W_2² is symmetric", bound, case, tol, "mu1", "S1", "mu2", "S2",
           scale=abs(expected) + 1)


# --------------------------------------------------------------------------- metrics.fid
def fid_bound(X: np.ndarray, Y: np.ndarray, u: float) -> float:
    """Error bound of a correct FID of features X, Y computed in precision ``u`` (two-pass).

    With sums accurate to ``s·u`` relative, ``s = SAFETY(⌈log₂ n⌉ + 2)`` (pairwise summation, as
    torch and numpy sum), the mean is off by ``δμ = s·u·r`` (``r = max|x|``). The inputs are exact
    and ``x - μ̂`` is a difference of nearby numbers, so a centred value is off by the common ``δμ``
    plus ``u·c`` (``c`` the largest centred value); the common shift enters ``Σ_i c_i c_iᵀ`` only at
    second order (``Σ_i c_i ≈ 0``), so a covariance entry is off by ``δS = s·u·c² + 3δμ²``. A one-pass
    ``E[xxᵀ] - μμᵀ`` is off by ``u·r²`` instead, far beyond this bound when ``r ≫ c``."""
    out_mu, out_S = 0.0, 0.0
    for Z in (X, Y):
        n = len(Z)
        s = SAFETY * (math.ceil(math.log2(n)) + 2)
        r = float(np.abs(Z).max())
        c = float(np.abs(Z - Z.mean(0)).max())
        dmu = s * u * r
        out_mu = max(out_mu, dmu)
        out_S = max(out_S, s * u * c * c + 3 * dmu * dmu)
    mx, Sx = tm.feature_stats(X)
    my, Sy = tm.feature_stats(Y)
    return _w2_bound(mx, Sx, my, Sy, u, out_mu, out_S)


def check_fid(candidate: Any, case: MetricCase, *, tol: Tolerance | None = None) -> None:
    """metrics.fid: ``fid(X, Y)`` is the Fréchet distance of the Gaussians fitted to the features
    (sample mean, unbiased covariance); symmetric, 0 for the same set, and invariant to
    ``x ↦ xO + c`` (O orthogonal) applied to both sets."""
    th_ = "metrics.fid"
    X, Y = case.rounded(case.X), case.rounded(case.Y)
    u = eps(case.dtype)
    expected = tm.fid(X, Y)
    bound = fid_bound(X, Y, u)
    got = candidate.fid(case.tensor(case.X), case.tensor(case.Y))
    _close(th_, got, expected, "FID = ‖μ_X-μ_Y‖² + tr[Σ_X + Σ_Y - 2(Σ_X^{1/2} Σ_Y Σ_X^{1/2})^{1/2}]", bound,
           case, tol, "X", "Y", scale=abs(expected) + 1)
    _close(th_, candidate.fid(case.tensor(case.Y), case.tensor(case.X)), expected, "FID is symmetric", bound,
           case, tol, "X", "Y", scale=abs(expected) + 1)
    same = tm.fid(X, X)
    _close(th_, candidate.fid(case.tensor(case.X), case.tensor(case.X)), same, "FID(X, X) = 0",
           fid_bound(X, X, u), case, tol, "X", scale=1.0)
    Xo, Yo = case.rounded(case.X @ case.O + case.c), case.rounded(case.Y @ case.O + case.c)
    got_o = candidate.fid(case.tensor(Xo), case.tensor(Yo))
    # the oracle on the transformed (rounded) features equals the original value up to float64
    _close(th_, got_o, tm.fid(Xo, Yo), "FID invariant to x ↦ xO + c", fid_bound(Xo, Yo, u), case, tol,
           "X", "Y", "O", "c", scale=abs(expected) + 1)


def fid_candidate(fn: Callable[[Any, Any], Any]) -> Any:
    """Wrap a user function ``fid(features_a, features_b)`` (tensors in, scalar out) as a candidate."""
    return type("FIDFunction", (), {"fid": staticmethod(fn), "__repr__": lambda self: f"FIDFunction({fn!r})"})()


# --------------------------------------------------------------------------- metrics.precision_recall
def _pr_bounds(real: np.ndarray, fake: np.ndarray, k: int, u: float) -> tuple[tuple[float, float], ...]:
    """Brute-force precision and recall as intervals: a comparison ``‖x - x'‖ <= r(x')`` within
    ``δ = SAFETY·u·√d·(‖x‖ + ‖x'‖ + r)`` of a tie may go either way in the candidate's precision."""
    d = real.shape[1]

    def frac(X: np.ndarray, S: np.ndarray) -> tuple[float, float]:
        r = tm.knn_radii(S, k)
        D = ws.distance_matrix(X, S)
        nx, ns = np.linalg.norm(X, axis=1), np.linalg.norm(S, axis=1)
        delta = SAFETY * u * math.sqrt(d) * (nx[:, None] + ns[None, :] + 2 * ns.max() + r[None, :])
        lo = np.any(D <= r[None, :] - 2 * delta, axis=1).mean()
        hi = np.any(D <= r[None, :] + 2 * delta, axis=1).mean()
        return float(lo), float(hi)

    return frac(fake, real), frac(real, fake)


def check_precision_recall(candidate: Any, case: MetricCase, *, tol: Tolerance | None = None) -> None:
    """metrics.precision_recall: ``Pr = mean_{x∈S_θ} I(x, S_data)``, ``Rec = mean_{x∈S_data} I(x, S_θ)``
    with ``I(x, S) = 1`` iff ``‖x - x'‖ <= ‖x' - NN_k(x', S)‖`` for some ``x' ∈ S`` (k-th neighbour
    other than x' itself). Known answers: identical sets → (1, 1); far-apart sets → (0, 0); fake ⊂
    real → precision 1."""
    th_ = "metrics.precision_recall"
    k = int(case.extra["k"])
    real, fake = case.rounded(case.X), case.rounded(case.Y)
    pr, rc = candidate.precision_recall(case.tensor(case.X), case.tensor(case.Y), k)
    got = (float(to_numpy(pr)), float(to_numpy(rc)))
    known = {"identical": (1.0, 1.0), "disjoint": (0.0, 0.0), "subset": (1.0, None)}.get(case.kind)
    for name, g, (lo, hi), kn in zip(("precision", "recall"), got, _pr_bounds(real, fake, k, eps(case.dtype)),
                                     known or (None, None), strict=True):
        if kn is not None and g != kn:
            raise TheoremViolation(th_, f"{name} of a '{case.kind}' configuration is {kn} by construction",
                                   slide=SLIDES[th_], inputs={**case.describe("X", "Y"), "k": k},
                                   expected=kn, observed=g)
        slack = SAFETY * eps(case.dtype)  # the candidate's mean of 0/1 indicators, rounded to its dtype
        if not lo - slack <= g <= hi + slack:
            raise TheoremViolation(th_, f"{name} equals the brute-force k-NN count", slide=SLIDES[th_],
                                   inputs={**case.describe("X", "Y"), "k": k},
                                   expected=lo if lo == hi else f"[{lo}, {hi}]", observed=g)


# --------------------------------------------------------------------------- verify
@dataclass(frozen=True)
class Property(_verify.Property):
    strategy: Callable[..., Any] | None = None  # the case strategy, called with dtype= and device=


PROPERTIES: tuple[Property, ...] = (
    Property("gaussian_w2", "wasserstein.gaussian_w2", check_gaussian_w2, ("gaussian_w2",), metric_cases),
    Property("fid", "metrics.fid", check_fid, ("fid",), metric_cases),
    Property("precision_recall", "metrics.precision_recall", check_precision_recall, ("precision_recall",),
             point_cloud_cases),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


class VerifyReport(_verify.VerifyReport):
    concept = "metrics"


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any) -> VerifyReport:
    """Run every metrics property the candidate supports (see the module docstring)."""
    return run.properties(lambda prop: prop.strategy(dtype=run.dtype, device=run.device),
                          provides="gaussian_w2, fid, precision_recall")
