"""Checks of prediction parametrizations (ε, x₀, v, score) against ``dgmcheck.theory.parametrization``.

A candidate exposes ``alphas_cumprod`` (``ᾱ_t`` at index ``t-1``, lecture steps ``t = 1..T``) and
any of the methods of ``ParametrizationCandidate``: ``convert(pred, x_t, t, src, dst)`` for the
pairs it lists in ``conversions`` (default: all 12 of ``eps``, ``x0``, ``v``, ``score``),
``velocity(x0, eps, t)`` (the definition of v) and ``loss_weight(t, kind, like)``. The oracle is
evaluated on the candidate's own ``alphas_cumprod``; a conversion ``dst = A·pred + B·x_t`` is
compared on the scale ``|A·pred| + |B·x_t|`` at ``SAFETY·eps(dtype)·(2 + ᾱ/(1-ᾱ))``, the
amplification of forming ``1-ᾱ`` from ``ᾱ``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks._verify import Property
from dgmcheck.checks.strategies import Case, arrays, case_rng, normal_arrays, steps_with_ends
from dgmcheck.checks.tolerances import Tolerance, exact
from dgmcheck.theory import parametrization as th

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('parametrization')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED: tuple[str, ...] = ()


class ParametrizationCandidate(Protocol):
    """What a parametrization implementation exposes. ``alphas_cumprod`` is required; every method
    is optional. ``t`` is a long tensor ``(batch,)`` of lecture steps; kinds are ``"eps"``,
    ``"x0"``, ``"v"``, ``"score"``."""

    alphas_cumprod: Any  # 1-D, alphas_cumprod[t-1] = ᾱ_t
    conversions: Any  # optional: the (src, dst) pairs convert implements (default all 12)

    def convert(self, pred: Any, x_t: Any, t: Any, src: str, dst: str) -> Any: ...
    def velocity(self, x0: Any, eps: Any, t: Any) -> Any: ...  # v = √ᾱ ε - √(1-ᾱ) x_0
    def loss_weight(self, t: Any, kind: str, like: Any) -> Any: ...  # (batch,): ‖k̂-k‖² / ‖ε̂-ε‖²


@dataclass(frozen=True)
class ParamCase(Case):
    """Steps ``t`` (B,), float64 rows ``x0``, ``eps``, ``other`` (an arbitrary prediction) (B, d)."""

    t: np.ndarray
    x0: np.ndarray
    eps: np.ndarray
    other: np.ndarray

    def steps(self):
        import torch

        return torch.as_tensor(self.t, dtype=torch.long, device=self.device)

    def describe(self, **more: Any) -> dict[str, Any]:
        return {"t": self.t.tolist(), "x0": self.x0, "eps": self.eps, "other": self.other,
                "dtype": str(self.dtype), "device": str(self.device), **more}


def candidate_alpha_bars(candidate: Any) -> np.ndarray:
    """The candidate's ``ᾱ_t`` (t = 1..T) in float64, each in (0, 1)."""
    if not hasattr(candidate, "alphas_cumprod"):
        raise TypeError(f"candidate must have an 'alphas_cumprod' attribute (ᾱ_t, t = 1..T); "
                        f"{type(candidate).__name__} has none")
    abar = np.asarray(to_numpy(candidate.alphas_cumprod), dtype=np.float64).reshape(-1)
    if abar.size == 0 or np.any(~((abar > 0) & (abar < 1))):
        raise ValueError("candidate.alphas_cumprod must be a non-empty 1-D array in (0, 1)")
    return abar


def candidate_pairs(candidate: Any) -> tuple[tuple[str, str], ...]:
    pairs = getattr(candidate, "conversions", None)
    if pairs is None:
        return th.PAIRS
    pairs = tuple((str(a), str(b)) for a, b in pairs)
    bad = [p for p in pairs if p not in th.PAIRS]
    if bad:
        raise ValueError(f"candidate.conversions must be (src, dst) pairs of {th.KINDS}, got {bad}")
    return pairs


def _col(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)[:, None]


def _cond(abar: np.ndarray) -> np.ndarray:
    return 2.0 + abar / (1.0 - abar)


def _xt(abar_t: np.ndarray, case: ParamCase) -> np.ndarray:
    return _col(np.sqrt(abar_t)) * case.x0 + _col(np.sqrt(1 - abar_t)) * case.eps


def check_affine(candidate: Any, case: ParamCase, *, tol: Tolerance | None = None) -> None:
    """parametrization.affine: ``convert(pred, x_t, t, src, dst) = A·pred + B·x_t`` for every pair the
    candidate has (``theory.parametrization.conversion``), at an arbitrary ``pred``."""
    abar = candidate_alpha_bars(candidate)[case.t - 1]
    x_t = _xt(abar, case)
    tol_ = tol or exact(case.dtype, _col(_cond(abar)))
    for src, dst in candidate_pairs(candidate):
        A, B = th.conversion(src, dst, abar)
        got = candidate.convert(case.tensor(case.other), case.tensor(x_t), case.steps(), src, dst)
        assert_close(got, _col(A) * case.other + _col(B) * x_t, theorem="parametrization.affine",
                     slide=SLIDES["parametrization.affine"], what=f"{src} → {dst} = A·{src} + B·x_t",
                     tol=tol_, scale=np.abs(_col(A) * case.other) + np.abs(_col(B) * x_t),
                     inputs=case.describe(src=src, dst=dst))


def check_velocity(candidate: Any, case: ParamCase, *, tol: Tolerance | None = None) -> None:
    """parametrization.affine (the definition of v): ``velocity(x_0, ε, t) = √ᾱ_t ε - √(1-ᾱ_t) x_0``."""
    abar = candidate_alpha_bars(candidate)[case.t - 1]
    a, b = _col(np.sqrt(abar)), _col(np.sqrt(1 - abar))
    got = candidate.velocity(case.tensor(case.x0), case.tensor(case.eps), case.steps())
    assert_close(got, a * case.eps - b * case.x0, theorem="parametrization.affine",
                 slide=SLIDES["parametrization.affine"], what="v = √ᾱ_t ε - √(1-ᾱ_t) x_0",
                 tol=tol or exact(case.dtype, _col(_cond(abar))),
                 scale=np.abs(a * case.eps) + np.abs(b * case.x0), inputs=case.describe())


def check_loss_identity(candidate: Any, case: ParamCase, *, tol: Tolerance | None = None) -> None:
    """parametrization.loss_weights: with ``k̂ = convert(ε̂, x_t, t, "eps", k)``, per sample
    ``‖k̂ - k‖² = w_k ‖ε̂ - ε‖²``: ``w = (1-ᾱ)/ᾱ`` (x0), ``1/ᾱ`` (v), ``1/(1-ᾱ)`` (score)."""
    abar = candidate_alpha_bars(candidate)[case.t - 1]
    x_t = _xt(abar, case)
    eps_hat = case.other
    base = np.sum((eps_hat - case.eps) ** 2, axis=1)
    for src, dst in candidate_pairs(candidate):
        if src != "eps":
            continue
        w = th.loss_weight(dst, abar)
        got = to_numpy(candidate.convert(case.tensor(eps_hat), case.tensor(x_t), case.steps(),
                                         "eps", dst)).reshape(case.x0.shape)
        truth = th.target(dst, case.x0, case.eps, abar)
        loss = np.sum((got - truth) ** 2, axis=1)
        # |k̂ - k| is off by at most the conversion's bound δ: |Δ(‖·‖²)| <= 2‖k̂-k‖δ + δ²
        A, B = th.conversion("eps", dst, abar)
        tol_ = tol or exact(case.dtype, _col(_cond(abar)))
        delta = np.sqrt(np.sum(tol_.bound(np.abs(_col(A) * eps_hat) + np.abs(_col(B) * x_t)
                                          + np.abs(truth)) ** 2, axis=1))
        bound = 2 * np.sqrt(w * base) * delta + delta**2 + tol_.atol
        assert_close(loss, w * base, theorem="parametrization.loss_weights",
                     slide=SLIDES["parametrization.loss_weights"],
                     what=f"‖{dst}̂ - {dst}‖² = w ‖ε̂ - ε‖², w = {dst} weight",
                     tol=Tolerance(rtol=1.0, atol=0.0), scale=bound, inputs=case.describe(dst=dst))


def check_loss_weight(candidate: Any, case: ParamCase, *, tol: Tolerance | None = None) -> None:
    """parametrization.loss_weights: ``loss_weight(t, kind)`` is eps 1, x0 ``(1-ᾱ)/ᾱ`` (1/SNR),
    v ``1/ᾱ``, score ``1/(1-ᾱ)``."""
    abar = candidate_alpha_bars(candidate)[case.t - 1]
    for kind in th.KINDS:
        got = to_numpy(candidate.loss_weight(case.steps(), kind, case.tensor(case.x0))).reshape(-1)
        assert_close(got, th.loss_weight(kind, abar), theorem="parametrization.loss_weights",
                     slide=SLIDES["parametrization.loss_weights"],
                     what=f"loss weight of {kind} relative to ε", tol=tol or exact(case.dtype, _cond(abar)),
                     inputs=case.describe(kind=kind))


@st.composite
def param_cases(draw: st.DrawFn, T: int, *, dtype: Any, device: Any = "cpu", max_batch: int = 6,
                max_dim: int = 3) -> ParamCase:
    """Steps ``t`` in ``1..T`` (both ends with raised probability), data, noise and a prediction."""
    B = draw(st.integers(1, max_batch))
    d = draw(st.integers(1, max_dim))
    t = steps_with_ends(case_rng(draw), B, 1, T)
    return ParamCase(t, draw(arrays((B, d))), draw(normal_arrays((B, d))), draw(arrays((B, d))),
                     dtype=dtype, device=device)


PROPERTIES: tuple[Property, ...] = (
    Property("affine", "parametrization.affine", check_affine, ("convert",)),
    Property("velocity", "parametrization.affine", check_velocity, ("velocity",)),
    Property("loss_identity", "parametrization.loss_weights", check_loss_identity, ("convert",)),
    Property("loss_weight", "parametrization.loss_weights", check_loss_weight, ("loss_weight",)),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


class VerifyReport(_verify.VerifyReport):
    concept = "parametrization"


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any) -> VerifyReport:
    """Run every parametrization property the candidate supports under Hypothesis."""
    T = len(candidate_alpha_bars(candidate))
    pairs = candidate_pairs(candidate)

    def not_applicable(prop: Property) -> str | None:
        if prop.check is check_loss_identity and not any(s == "eps" for s, _ in pairs):
            return "needs a conversion from eps"
        return None

    return run.properties(lambda prop: param_cases(T, dtype=run.dtype, device=run.device),
                          not_applicable=not_applicable,
                          provides="parametrization methods "
                                   "(see dgmcheck.checks.parametrization.ParametrizationCandidate)")
