"""Checks of autoregressive models on small alphabets against ``dgmcheck.theory.autoregressive``.

A candidate exposes ``V``, ``m`` and any of ``conditionals(x) -> (B, m, V)`` (teacher-forced
``p(x_j = · | x_{1:j-1})``) with ``log_prob(x)`` (x a ``(B, m)`` long tensor), and
``num_parameters()`` with ``order`` (``None`` = full history, ``0`` = independent, d = Markov order d).
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
from dgmcheck.theory import autoregressive as th

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('autoregressive')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED: tuple[str, ...] = ()
#: The joint is enumerated over ``{0..V-1}^m`` only up to this many sequences (the theory's declared
#: limit ``MAX_SEQUENCES`` is far above it); longer models get the teacher-forced checks alone.
MAX_ENUMERATION = 4096
assert MAX_ENUMERATION <= th.MAX_SEQUENCES


@dataclass(frozen=True)
class ARCase(Case):
    x: np.ndarray  # (B, m) symbols
    x_alt: np.ndarray  # (B, m): x with the suffix from position j replaced
    j: int

    def tokens(self, a: np.ndarray):
        import torch

        return torch.as_tensor(a, dtype=torch.long, device=self.device)


@st.composite
def ar_cases(draw: st.DrawFn, V: int, m: int, *, dtype: Any, device: Any = "cpu") -> ARCase:
    """Up to 4 sequences of the candidate's ``{0..V-1}^m`` and a position ``j``; what is enumerated stays
    within ``MAX_ENUMERATION`` (checked in :func:`check_factorization`), whatever ``V`` and ``m``."""
    B = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    x = rng.integers(0, V, size=(B, m))
    j = draw(st.integers(0, m - 1))
    x_alt = x.copy()
    x_alt[:, j:] = (x[:, j:] + rng.integers(1, V, size=(B, m - j))) % V  # every later symbol changed
    return ARCase(x, x_alt, j, dtype=dtype, device=device, extra={"seed": seed})


def _close(theorem: str, observed: Any, expected: Any, what: str, tol: Tolerance, case: ARCase, **more: Any) -> None:
    inputs = {"x": case.x.tolist(), "dtype": str(case.dtype), **more}
    assert_close(observed, expected, theorem=theorem, slide=SLIDES[theorem], what=what, tol=tol, inputs=inputs)


def check_factorization(candidate: Any, case: ARCase, *, tol: Tolerance | None = None) -> None:
    """ar.factorization: ``log p(x) = Σ_j log p(x_j | x_{1:j-1})``; the j-th conditional does not
    depend on ``x_{j:m}``; the joint sums to 1 over ``{0..V-1}^m``; and its chain-rule conditionals
    (by marginalization) are the candidate's."""
    V, m = int(candidate.V), int(candidate.m)
    x = case.tokens(case.x)
    cond = to_numpy(candidate.conditionals(x))
    logp = to_numpy(candidate.log_prob(x))
    tol_ = tol if tol is not None else exact(case.dtype, 4 * m * V)
    picked = np.log(np.take_along_axis(cond, case.x[..., None], -1)[..., 0])
    _close("ar.factorization", logp, picked.sum(-1), "log p(x) = Σ_j log p(x_j | x_{<j})",
           tol_, case)
    alt = to_numpy(candidate.conditionals(case.tokens(case.x_alt)))
    _close("ar.factorization", alt[:, : case.j + 1], cond[:, : case.j + 1],
           f"p(x_i | x_{{<i}}) for i ≤ {case.j + 1} unchanged when x_{{{case.j + 1}:m}} changes", tol_, case,
           x_alt=case.x_alt.tolist())
    if th.num_sequences(V, m) > MAX_ENUMERATION:  # never asks the oracle past its size guard
        return
    seqs = th.all_sequences(V, m)
    joint = np.exp(to_numpy(candidate.log_prob(case.tokens(seqs)))).reshape((V,) * m)
    total = joint.sum()
    if not abs(total - 1.0) <= tol_.bound(1.0) * V**m:
        raise TheoremViolation("ar.factorization", f"Σ_x p(x) = {total:.12g} over all {V**m} sequences, not 1",
                               slide=SLIDES["ar.factorization"], inputs={"V": V, "m": m}, expected=1.0,
                               observed=total)
    oracle = th.conditionals_from_joint(joint, case.x)  # every drawn row at once
    _close("ar.factorization", cond, oracle, "conditionals = chain rule of the joint p(x_{≤j})/p(x_{<j})",
           exact(case.dtype, 4 * m * V**m) if tol is None else tol, case)


def check_parameter_counts(candidate: Any, case: ARCase, *, tol: Tolerance | None = None) -> None:
    """ar.parameter_counts: histogram ``V^m - 1``, independent ``m(V-1)``, order-d Markov
    ``Σ_j V^{min(j-1,d)} (V-1)`` free parameters."""
    V, m, order = int(candidate.V), int(candidate.m), candidate.order
    got, expected = int(candidate.num_parameters()), th.parameter_count(V, m, order)
    if got != expected:
        raise TheoremViolation("ar.parameter_counts", f"{got} free parameters where {expected} are the count",
                               slide=SLIDES["ar.parameter_counts"], inputs={"V": V, "m": m, "order": order},
                               expected=expected, observed=got)


PROPERTIES = (
    Property("factorization", "ar.factorization", check_factorization, ("conditionals", "log_prob")),
    Property("parameter_counts", "ar.parameter_counts", check_parameter_counts, ("num_parameters",)),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


class VerifyReport(_verify.VerifyReport):
    concept = "autoregressive"


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any) -> VerifyReport:
    """Run every AR property the candidate supports under Hypothesis."""
    V, m = getattr(candidate, "V", None), getattr(candidate, "m", None)
    if not isinstance(V, int) or not isinstance(m, int) or V < 2 or m < 1:
        raise TypeError(f"candidate must have int V >= 2 and m >= 1, got V={V!r}, m={m!r}")
    return run.properties(lambda _prop: ar_cases(V, m, dtype=run.dtype, device=run.device))
