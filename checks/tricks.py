"""Checks of the course tricks on enumerable laws against ``dgmcheck.theory.tricks``.

A candidate (a module of functions such as ``dgmcheck.impl.tricks`` or an object) exposes any of
``score_surrogate(log_prob, f)``, ``log_mean_exp(a)``, ``mc_mean(values)`` and
``pushforward(p, f_map, n_out)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks._verify import Property
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.strategies import Case
from dgmcheck.checks.tolerances import Tolerance, exact
from dgmcheck.theory import tricks as th

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('tricks')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED: tuple[str, ...] = ()


@dataclass(frozen=True)
class TricksCase(Case):
    theta: np.ndarray  # (K,) logits
    f: np.ndarray  # (K,) values of f on the K states
    a: np.ndarray  # (n,) log-weights
    n: int  # Monte Carlo sample size
    f_map: np.ndarray  # (K,) in 0..n_out-1 (not injective in general)
    n_out: int


@st.composite
def tricks_cases(draw: st.DrawFn, *, dtype: Any, device: Any = "cpu") -> TricksCase:
    K = draw(st.integers(2, 4))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    a = rng.normal(size=draw(st.integers(1, 6))) * draw(st.sampled_from([0.0, 0.5, 5.0]))
    n_out = draw(st.integers(1, K))
    return TricksCase(rng.normal(size=K), rng.normal(size=K) * 3, a, draw(st.integers(1, 3)),
                      rng.integers(0, n_out, size=K), n_out, dtype=dtype, device=device,
                      extra={"seed": seed})


def _close(theorem: str, observed: Any, expected: Any, what: str, tol: Tolerance, case: TricksCase,
           scale: Any = None, **more: Any) -> None:
    inputs = {"seed": case.extra.get("seed"), "dtype": str(case.dtype), **more}
    assert_close(observed, expected, theorem=theorem, slide=SLIDES[theorem], what=what, tol=tol, scale=scale,
                 inputs=inputs)


def check_log_derivative(candidate: Any, case: TricksCase, *, tol: Tolerance | None = None) -> None:
    """tricks.log_derivative: ``Σ_x p_θ(x) ∇_θ surrogate(log p_θ(x), f(x)) = ∇_θ E_{p_θ} f`` (the
    score-function identity ``E[f ∇ log p] = ∇ E f``, from ``∇ log p = ∇p/p``), enumerated exactly."""
    import torch

    theta = case.tensor(case.theta, grad=True)
    log_p = torch.log_softmax(theta, -1)
    weights = case.tensor(th.softmax(case.theta))  # expectation weights, not differentiated
    surrogate = candidate.score_surrogate(log_p, case.tensor(case.f))
    (grad,) = torch.autograd.grad((weights * surrogate).sum(), theta)
    expected = th.softmax_expectation_grad(case.theta, case.f)
    p = th.softmax(case.theta)
    scale = np.broadcast_to(2 * np.sum(p * np.abs(case.f)), expected.shape)
    _close("tricks.log_derivative", grad, expected, "E_p[f ∇_θ log p_θ] = ∇_θ E_p f",
           tol if tol is not None else exact(case.dtype, 4 * len(p)), case, scale=scale,
           theta=case.theta.tolist(), f=case.f.tolist())


def check_jensen(candidate: Any, case: TricksCase, *, tol: Tolerance | None = None) -> None:
    """tricks.jensen: ``log_mean_exp(a) = log (1/n) Σ e^{a_i} ≥ (1/n) Σ a_i`` (Jensen for the concave
    log), with equality when all ``a_i`` are equal; the value is exact."""
    got = float(to_numpy(candidate.log_mean_exp(case.tensor(case.a))))
    expected = th.log_mean_exp(case.a)
    tol_ = tol if tol is not None else exact(case.dtype, 4 * len(case.a))
    scale = np.abs(case.a).max() + np.log(len(case.a)) + 1.0
    mean = float(case.a.mean())
    if not got >= mean - tol_.bound(scale):
        raise TheoremViolation("tricks.jensen", f"log mean exp(a) = {got:.12g} < mean(a) = {mean:.12g}",
                               slide=SLIDES["tricks.jensen"], inputs={"a": case.a.tolist()}, expected=mean,
                               observed=got)
    _close("tricks.jensen", got, expected, "log (1/n) Σ e^{a_i}", tol_, case, scale=scale, a=case.a.tolist())


def check_monte_carlo_unbiased(candidate: Any, case: TricksCase, *, tol: Tolerance | None = None) -> None:
    """tricks.monte_carlo_unbiased: ``E[mc_mean(f(x_1..x_n))] = E_p f`` for i.i.d. ``x_i ~ p``, the
    expectation over all ``K^n`` tuples taken exactly."""
    p = th.softmax(case.theta)

    def est(vals: np.ndarray) -> float:
        return float(to_numpy(candidate.mc_mean(case.tensor(vals))))

    got = th.mc_estimator_expectation(p, case.f, case.n, est)
    expected = float(p @ case.f)
    _close("tricks.monte_carlo_unbiased", got, expected, f"E[(1/n) Σ f(x_i)] = E f (n = {case.n})",
           tol if tol is not None else exact(case.dtype, 4 * (case.n + len(p))), case,
           scale=np.sum(p * np.abs(case.f)), n=case.n, f=case.f.tolist())


def check_lotus(candidate: Any, case: TricksCase, *, tol: Tolerance | None = None) -> None:
    """tricks.lotus: the law ``p_y = pushforward(p, f)`` of ``y = f(x)`` satisfies
    ``E_{p_y} g(y) = E_{p_x} g(f(x))`` for every g (so ``p_y[y] = Σ_{x: f(x)=y} p(x)``)."""
    import torch

    p = th.softmax(case.theta)
    got = to_numpy(candidate.pushforward(case.tensor(p), torch.as_tensor(case.f_map, device=case.device),
                                         case.n_out))
    tol_ = tol if tol is not None else exact(case.dtype, 4 * len(p))
    g = np.arange(case.n_out, dtype=np.float64) ** 2 - 1.5  # a test function of y
    _close("tricks.lotus", got @ g, p @ g[case.f_map], "E_{p(y)} g(y) = E_{p(x)} g(f(x))", tol_, case,
           scale=np.sum(p * np.abs(g[case.f_map])), f_map=case.f_map.tolist())
    _close("tricks.lotus", got, th.pushforward(p, case.f_map, case.n_out), "p(y) = Σ_{x: f(x)=y} p(x)", tol_,
           case, scale=np.ones(case.n_out), f_map=case.f_map.tolist())


def check_dirac(candidate: Any, case: TricksCase, *, tol: Tolerance | None = None) -> None:
    """tricks.dirac: ``nascent_delta_expectation(f, x0, σ) = E_{N(x0, σ²I)} f = f(x0) + σ² tr B`` for
    the quadratic ``f(x) = aᵀx + xᵀBx``, and ``σ = 0`` gives ``∫ δ(x - x0) f(x) dx = f(x0)``. ``tr B >= K``
    and σ = 2 among the σ: where ``tr B = 0`` or σ ∈ {0, 1} only, σ for σ² (or √σ) would go unseen."""
    K = len(case.theta)
    a, x0 = case.f, case.theta
    cross = float(case.f @ case.theta) / K
    B = np.outer(case.f, case.theta) / K + np.eye(K) * (1.0 + abs(cross))  # tr B = cross + K(1 + |cross|)
    At, Bt = case.tensor(a), case.tensor(B)

    def f(x: Any) -> Any:
        return x @ At + ((x @ Bt) * x).sum(-1)

    for sigma in (0.0, float(abs(case.a[0])) if len(case.a) else 0.5, 1.0, 2.0):
        got = float(to_numpy(candidate.nascent_delta_expectation(f, case.tensor(x0), sigma)))
        expected = th.nascent_delta_quadratic(a, B, x0, sigma)
        xm = np.abs(x0).max() + 2 * sigma  # |x| over the nodes (|ε| ≤ √3)
        scale = np.abs(a).sum() * xm + np.abs(B).sum() * xm**2
        _close("tricks.dirac", got, expected, f"E_{{N(x0, σ²I)}} f = f(x0) + σ² tr B (σ = {sigma:g})",
               tol if tol is not None else exact(case.dtype, 8 * K * 3**K), case, scale=scale, sigma=sigma,
               x0=x0.tolist())


PROPERTIES = (
    Property("log_derivative", "tricks.log_derivative", check_log_derivative, ("score_surrogate",)),
    Property("jensen", "tricks.jensen", check_jensen, ("log_mean_exp",)),
    Property("monte_carlo_unbiased", "tricks.monte_carlo_unbiased", check_monte_carlo_unbiased, ("mc_mean",)),
    Property("lotus", "tricks.lotus", check_lotus, ("pushforward",)),
    Property("dirac", "tricks.dirac", check_dirac, ("nascent_delta_expectation",)),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


class VerifyReport(_verify.VerifyReport):
    concept = "tricks"


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any) -> VerifyReport:
    """Run every trick property the candidate supports under Hypothesis."""
    return run.properties(lambda _p: tricks_cases(dtype=run.dtype, device=run.device), provides="trick functions")
