"""Claims of the lectures and the evidence that decides them.

A :class:`Claim` is a statement of a slide, transcribed as written (its display formulas are named
by id from the shipped index, :mod:`dgmcheck.audit.formulas`), with how its symbols are read and a
``check``: a function that *computes* an :class:`Outcome` through the evidence builders below.
The verdict is derived from the outcome, never typed:

* ``holds``      the check found the two sides equal (symbolically, or numerically at every point);
* ``fails``      the check found a counterexample — concrete inputs and both sides' values;
* ``holds_if``   equal under a stated condition (checked) and not without it (counterexample);
* ``slip``       false as written (counterexample), but a symbol error whose intended meaning the
                 neighbouring lines fix (a wrong index, a missing argument or factor, wrong limits, a
                 transposed subscript): the corrected form holds (checked) and the claim cites those lines;
* ``imprecise``  false as written (counterexample), true only in a limit or as an approximation, or a
                 label naming the wrong object: the limit / approximate / other-object reading holds (checked);
* ``definition`` / ``notation``: no claim (a name is being given), so no check.

``slip`` and ``imprecise`` are as false as ``fails`` (``Outcome.ok`` is False and the counterexample is
kept); the category records *why* they are false, and only when the evidence for it was computed: a
written form that holds is ``holds``, a corrected / approximate form that fails too is ``fails``.

Evidence builders: :func:`sym_equal` (sympy; a residual that does not simplify to 0 is evaluated at
points to give a numeric counterexample), :func:`num_equal` / :func:`num_compare` (numeric
evaluation at seeded draws or an exhaustive list), :func:`holds_if`, :func:`slip`, :func:`imprecise`,
:func:`all_of`.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import sympy as sp

from dgmcheck.audit.formulas import Formula, Place, load_index

KINDS = ("claim", "definition", "notation")
#: Verdicts for a claim that is false as written, the categories first: ``slip`` and ``imprecise`` say why.
CATEGORIES = ("slip", "imprecise")
#: Relative tolerance of numeric comparisons in float64: quadrature and linear algebra at 1e-9
#: relative accuracy leave ~1e-10 of noise; a transcription error (a dropped ½, √, sign) is O(1).
NUM_RTOL = 1e-7
NUM_ATOL = 1e-9
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq}


def _fmt(v: Any) -> Any:
    """A JSON-friendly, stable rendering of a value (floats to 12 significant digits)."""
    if isinstance(v, (sp.Basic,)):
        return str(v)
    if isinstance(v, np.ndarray):
        return [_fmt(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [_fmt(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _fmt(x) for k, x in v.items()}
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(f"{float(v):.12g}")
    if isinstance(v, complex):
        return str(v)
    return str(v)


@dataclass(frozen=True)
class Outcome:
    """What a check computed. Build it with the evidence functions of this module, not directly."""

    ok: bool
    evidence: str
    counterexample: dict[str, Any] | None = None
    condition: str | None = None
    outside: dict[str, Any] | None = None
    #: ``"slip"`` / ``"imprecise"`` (set by :func:`slip` / :func:`imprecise` only, with ``ok`` False).
    category: str | None = None
    #: The computed evidence that the corrected (slip) or limit / approximate (imprecise) reading holds.
    support: str | None = None
    #: The neighbouring lines that fix the intended meaning of a slip (or support an imprecise reading).
    places: tuple[Place, ...] = ()
    #: The judgement between the readings, in words.
    why: str | None = None

    @property
    def verdict(self) -> str:
        if not self.ok:
            return self.category or "fails"
        return "holds_if" if self.condition else "holds"


def _draw_value(sym: sp.Symbol, rng: np.random.Generator, domains: Mapping[Any, tuple[float, float]]) -> float:
    if sym in domains or str(sym) in domains:
        lo, hi = domains.get(sym, domains.get(str(sym)))  # type: ignore[misc]
        return float(rng.uniform(lo, hi))
    if sym.is_positive or sym.is_nonnegative:
        return float(rng.uniform(0.1, 2.0))
    return float(rng.uniform(-2.0, 2.0))


def sym_equal(lhs: Any, rhs: Any, *, domains: Mapping[Any, tuple[float, float]] | None = None,
              n_points: int = 12, seed: int = 0, what: str = "") -> Outcome:
    """``lhs == rhs`` as sympy expressions: ``simplify(lhs - rhs) == 0``.

    If the residual does not simplify to 0 it is evaluated at seeded points (symbols drawn from
    ``domains``, else (0.1, 2) for positive symbols and (-2, 2) otherwise): a non-zero value is a
    counterexample; a residual that is numerically 0 at every point is reported as holding
    numerically (sympy could not close it). Matrices compare entrywise.
    """
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    residual = sp.simplify(lhs - rhs)
    if residual == 0 or (isinstance(residual, sp.MatrixBase) and residual.is_zero_matrix):
        return Outcome(True, f"sympy: {what + ': ' if what else ''}lhs - rhs simplifies to 0")
    rng = np.random.default_rng(seed)
    free = sorted(lhs.free_symbols | rhs.free_symbols, key=str)
    domains = domains or {}
    worst = 0.0
    for _ in range(n_points):
        point = {s: _draw_value(s, rng, domains) for s in free}
        value = complex(sp.N(residual.subs(point))) if not isinstance(residual, sp.MatrixBase) else None
        if value is None:
            arr = np.array(residual.subs(point).evalf(), dtype=complex)
            mag = float(np.max(np.abs(arr)))
        else:
            mag = abs(value)
        scale = 1.0 + max(abs(complex(sp.N(e.subs(point)))) for e in _flat(lhs, rhs))
        if mag > NUM_RTOL * scale + NUM_ATOL:
            return Outcome(False, f"sympy: {what + ': ' if what else ''}lhs - rhs = {residual} != 0", {
                "inputs": _fmt({str(k): v for k, v in point.items()}),
                "lhs": _fmt(_evalf(lhs, point)), "rhs": _fmt(_evalf(rhs, point)),
                "residual": str(residual)})
        worst = max(worst, mag)
    return Outcome(True, f"sympy residual {residual} did not simplify, but is 0 to {worst:.1e} at "
                         f"{n_points} seeded points{' (' + what + ')' if what else ''}")


def _flat(*exprs: Any) -> list[Any]:
    out: list[Any] = []
    for e in exprs:
        out.extend(list(e) if isinstance(e, sp.MatrixBase) else [e])
    return out


def _evalf(expr: Any, point: Mapping[Any, float]) -> Any:
    v = sp.N(expr.subs(point))
    if isinstance(v, sp.MatrixBase):
        return [[complex(x).real if complex(x).imag == 0 else complex(x) for x in row] for row in v.tolist()]
    c = complex(v)
    return c.real if c.imag == 0 else c


def points(n: int = 25, seed: int = 0, **ranges: tuple[float, float] | Callable[[np.random.Generator], Any]
           ) -> list[dict[str, Any]]:
    """``n`` seeded draws: each keyword is a (lo, hi) uniform range or a ``rng -> value`` function."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        out.append({k: (r(rng) if callable(r) else float(rng.uniform(*r))) for k, r in ranges.items()})
    return out


def _close(a: Any, b: Any, rtol: float, atol: float) -> bool:
    a, b = np.asarray(a, dtype=complex), np.asarray(b, dtype=complex)
    if a.shape != b.shape and a.size != 1 and b.size != 1:
        return False
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return bool(np.array_equal(a, b))
    return bool(np.all(np.abs(a - b) <= atol + rtol * np.maximum(np.abs(a), np.abs(b))))


def num_equal(lhs: Callable[..., Any], rhs: Callable[..., Any], at: Iterable[Mapping[str, Any]], *,
              rtol: float = NUM_RTOL, atol: float = NUM_ATOL, what: str = "") -> Outcome:
    """``lhs(**p) == rhs(**p)`` (to ``rtol``/``atol``) at every point ``p`` of ``at``."""
    n = 0
    for p in at:
        a, b = lhs(**p), rhs(**p)
        n += 1
        if not _close(a, b, rtol, atol):
            return Outcome(False, f"numeric: {what + ': ' if what else ''}sides differ at point {n}",
                           {"inputs": _fmt(dict(p)), "lhs": _fmt(a), "rhs": _fmt(b)})
    if n == 0:
        raise ValueError("num_equal needs at least one point in `at`")
    return Outcome(True, f"numeric: {what + ': ' if what else ''}equal at {n} points "
                         f"(rtol {rtol:g}, atol {atol:g})")


def num_compare(lhs: Callable[..., Any], op: str, rhs: Callable[..., Any], at: Iterable[Mapping[str, Any]],
                *, atol: float = NUM_ATOL, what: str = "") -> Outcome:
    """``lhs(**p) <op> rhs(**p)`` at every point, ``op`` one of ``<= < >= > ==``; ``atol`` slack for ``<=``/``>=``."""
    if op not in _OPS:
        raise ValueError(f"op must be one of {sorted(_OPS)}, got {op!r}")
    n = 0
    for p in at:
        a, b = lhs(**p), rhs(**p)
        n += 1
        a_, b_ = float(np.real(a)), float(np.real(b))
        if op in ("<=", ">="):  # ties within the numeric tolerance count as equality
            ok = _OPS[op](a_, b_) or math.isclose(a_, b_, rel_tol=NUM_RTOL, abs_tol=atol)
        elif op in ("<", ">"):
            ok = _OPS[op](a_, b_)
        else:
            ok = _close(a_, b_, NUM_RTOL, atol)
        if not ok:
            return Outcome(False, f"numeric: {what + ': ' if what else ''}lhs {op} rhs is false at point {n}",
                           {"inputs": _fmt(dict(p)), "lhs": _fmt(a), "rhs": _fmt(b)})
    if n == 0:
        raise ValueError("num_compare needs at least one point in `at`")
    return Outcome(True, f"numeric: {what + ': ' if what else ''}lhs {op} rhs at {n} points")


def holds_if(condition: str, inside: Outcome, outside: Outcome) -> Outcome:
    """The claim under ``condition``: ``inside`` checks it where the condition holds, ``outside`` where it
    does not. ``holds_if`` needs both: it holds inside and fails outside (so the condition matters)."""
    if not inside.ok:
        return Outcome(False, f"fails even under the condition ({condition}): {inside.evidence}",
                       inside.counterexample)
    if outside.ok:
        return Outcome(True, f"holds, also without the condition ({condition}): {inside.evidence}; "
                             f"{outside.evidence}")
    return Outcome(True, f"under {condition}: {inside.evidence}; without it: {outside.evidence}",
                   condition=condition, outside=outside.counterexample)


def _category(kind: str, written: Outcome, reading: Outcome, *, why: str, places: Sequence[Place],
              labels: tuple[str, str]) -> Outcome:
    """Shared logic of :func:`slip` and :func:`imprecise` (``labels``: the names of the two readings)."""
    if not isinstance(written, Outcome) or not isinstance(reading, Outcome):
        raise TypeError(f"{kind} needs two Outcomes ({labels[0]}, {labels[1]}), got "
                        f"{type(written).__name__}, {type(reading).__name__}")
    if not isinstance(why, str) or not why.strip():
        raise ValueError(f"{kind}: `why` must say, in words, why the {labels[1]} reading is the intended one")
    places = tuple(places)
    bad = [p for p in places if not isinstance(p, Place)]
    if bad:
        raise TypeError(f"{kind}: `evidence` must be Places of the lecture files, got {bad!r}")
    if written.ok:  # true as written: no slip, nothing imprecise
        return replace(written, evidence=f"holds as written (no {kind}): {written.evidence}")
    if reading.verdict != "holds":
        return Outcome(False, f"fails as written, and the {labels[1]} reading does not hold either "
                              f"({reading.verdict}): {written.evidence}; {labels[1]}: {reading.evidence}",
                       written.counterexample)
    return Outcome(False, f"{labels[0]}: {written.evidence} | {labels[1]}: {reading.evidence}",
                   written.counterexample, category=kind, support=reading.evidence, places=places, why=why)


def slip(written: Outcome, corrected: Outcome, *, evidence: Sequence[Place], why: str) -> Outcome:
    """A symbol error with an unambiguous intended meaning: ``written`` checks the claim as written,
    ``corrected`` the corrected form, ``evidence`` the neighbouring lines (of the same file) that fix
    the intended meaning. ``slip`` needs all three: the written form fails (its counterexample is kept),
    the corrected form holds, and at least one place. A written form that holds gives ``holds``; a
    corrected form that does not hold gives ``fails``."""
    if not tuple(evidence):
        raise ValueError("slip: `evidence` must cite at least one neighbouring line that fixes the intended "
                         "meaning")
    return _category("slip", written, corrected, why=why, places=evidence, labels=("as written", "corrected"))


def imprecise(exact: Outcome, approximate: Outcome, *, why: str, evidence: Sequence[Place] = ()) -> Outcome:
    """A wording true only in a limit or as an approximation, or a label naming the wrong object:
    ``exact`` checks the exact reading (it must fail: its counterexample is kept), ``approximate`` the
    limit / approximate / other-object reading (it must hold, e.g. the error -> 0 as dt -> 0). An exact
    reading that holds gives ``holds``; an approximate one that does not hold gives ``fails``."""
    return _category("imprecise", exact, approximate, why=why, places=evidence,
                     labels=("exact reading", "approximate reading"))


def all_of(*outcomes: Outcome) -> Outcome:
    """Every part must hold. A part that fails outright is the counterexample (``fails``); otherwise the
    first part that is a ``slip`` / ``imprecise`` gives the verdict (the others hold)."""
    if not outcomes:
        raise ValueError("all_of needs at least one outcome")
    for o in outcomes:
        if not o.ok and not o.category:
            return Outcome(False, o.evidence, o.counterexample)
    for o in outcomes:
        if not o.ok:
            return o
    conds = [o.condition for o in outcomes if o.condition]
    return Outcome(True, "; ".join(o.evidence for o in outcomes),
                   condition=" and ".join(conds) if conds else None,
                   outside=next((o.outside for o in outcomes if o.outside), None))


_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon", "λ": "lambda",
          "μ": "mu", "σ": "sigma", "θ": "theta", "φ": "phi", "ψ": "psi", "τ": "tau"}
_RELATIONS = [(r"\\neq?\b|≠", "!="), (r"\\leq?\b|≤", "<="), (r"\\geq?\b|≥", ">="), (r"\\to\b|→", "->")]
_PHRASES = [(r"(\S+)\s+has\s+unit\s+variance", r"var \1 = 1"), (r"unit\s+variance", "var = 1"),
            (r"\beps\b", "epsilon"), (r"\bvariance\b", "var"), (r"\bis not\b|\bisn't\b", "!=")]


def normalize_math(text: str) -> str:
    """Text and TeX reduced to a comparable form: Greek letters and ``\\gamma`` to names, relations to
    ASCII (``!=``, ``<=``, ``>=``, ``->``), a few phrases to symbols (``x has unit variance`` ->
    ``var x = 1``), TeX markup, braces and blanks dropped, lower case."""
    s = text
    for g, name in _GREEK.items():
        s = s.replace(g, name)
    for pattern, rel in _RELATIONS:
        s = re.sub(pattern, rel, s)
    s = re.sub(r"\\(?:mathbf|boldsymbol|mathrm|text|operatorname|left|right|mathbb|mathcal)\b", "", s)
    s = re.sub(r"\\([a-zA-Z]+)", r"\1", s)
    s = s.lower()
    for pattern, rep in _PHRASES:
        s = re.sub(pattern, rep, s)
    return re.sub(r"[\s{}$\\]", "", s)


def condition_stated(condition: str, text: str) -> bool:
    """Whether a ``holds_if`` condition is already part of the statement as written: some clause of the
    condition (split at ``and``, ``;``, ``,`` and a parenthesis after a blank; a clause needs a
    relation, so a bare word is never one) appears in the statement after
    :func:`normalize_math`. A condition the sentence states makes the claim ``holds``, not ``holds_if``."""
    body = normalize_math(text)
    clauses = re.split(r"\band\b|;|,|\s\(", condition)
    for clause in clauses:
        c = normalize_math(clause)
        if re.search(r"!=|<=|>=|=|<|>|->", c) and len(c) >= 3 and c in body:
            return True
    return False


@dataclass(frozen=True)
class Claim:
    """One statement of the slides, as written, with its reading and its check.

    ``formulas`` are ids of the shipped index (``"000:1212"``); a claim made in prose has no formula
    and gives its quoted ``text`` and ``places`` instead. ``theorem`` links a registry id whose
    oracle the check reuses. ``corrected`` is the true statement, required when the check fails or
    finds a ``slip`` (for ``imprecise`` the approximate reading's evidence stands in for it).
    ``convention`` cites the lines where the slides define a convention the reading relies on (the
    Jacobian's layout, a transition matrix's orientation, the range of a scale), when that
    definition is not in the claim's own sources.
    """

    id: str
    formulas: tuple[str, ...] = ()
    kind: str = "claim"
    meaning: str = ""
    check: Callable[[], Outcome] | None = None
    theorem: str | None = None
    corrected: str = ""
    text: str = ""
    places: tuple[Place, ...] = ()
    note: str = ""
    convention: tuple[Place, ...] = ()

    def formula_objects(self) -> list[Formula]:
        index = load_index()
        return [index[f] for f in self.formulas]

    def written(self) -> str:
        """The text as written on the slides (display formulas joined by newlines, or the prose)."""
        if self.text:
            return self.text
        return "\n".join(f"$${f.text}$$" for f in self.formula_objects())

    def sources(self) -> list[Place]:
        seen: list[Place] = list(self.places)
        for f in self.formula_objects():
            seen.extend(p for p in f.places if p not in seen)
        return sorted(seen, key=lambda p: (p.file, p.line))


@dataclass
class ClaimResult:
    """A claim with its computed verdict."""

    claim: Claim
    verdict: str
    evidence: str
    counterexample: dict[str, Any] | None = None
    condition: str | None = None
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    #: ``slip`` / ``imprecise``: the lines fixing the intended meaning, the judgement, and the computed
    #: evidence that the corrected / approximate reading holds.
    places: tuple[Place, ...] = ()
    why: str | None = None
    support: str | None = None

    def as_dict(self) -> dict[str, Any]:
        c = self.claim
        d: dict[str, Any] = {
            "id": c.id, "kind": c.kind, "sources": [p.as_dict() for p in c.sources()],
            "formulas": list(c.formulas), "text": c.written(), "meaning": c.meaning,
            "verdict": self.verdict, "evidence": self.evidence, "theorem": c.theorem,
        }
        if self.condition:
            d["condition"] = self.condition
        if self.counterexample is not None:
            d["counterexample"] = self.counterexample
        if c.corrected:
            d["corrected"] = c.corrected
        if c.note:
            d["note"] = c.note
        if self.places:  # new keys only where present: the JSON of every other claim is unchanged
            d["evidence_places"] = [p.as_dict() for p in self.places]
        if self.why:
            d["why"] = self.why
        if self.support:
            d["support"] = self.support
        if c.convention:
            d["convention"] = [p.as_dict() for p in c.convention]
        return d


def validate_claims(claims: Sequence[Claim], *, registry_ids: set[str] | None = None) -> list[str]:
    """Problems with a claim list (empty when sound): unique ids, known formulas, kinds, checks."""
    problems: list[str] = []
    index = load_index()
    seen: set[str] = set()
    for c in claims:
        if c.id in seen:
            problems.append(f"{c.id}: duplicate claim id")
        seen.add(c.id)
        if c.kind not in KINDS:
            problems.append(f"{c.id}: kind must be one of {KINDS}, got {c.kind!r}")
        unknown = [f for f in c.formulas if f not in index]
        if unknown:
            problems.append(f"{c.id}: unknown formula ids {unknown}")
        if not c.formulas and not (c.text and c.places):
            problems.append(f"{c.id}: needs formulas, or prose text with places")
        if c.kind == "claim" and c.check is None:
            problems.append(f"{c.id}: a claim needs a check")
        if c.kind != "claim" and c.check is not None:
            problems.append(f"{c.id}: a {c.kind} has no check (only claims are checked)")
        if c.kind == "claim" and not c.meaning:
            problems.append(f"{c.id}: a claim must say how its symbols are read (meaning)")
        if any(not isinstance(p, Place) for p in c.convention):
            problems.append(f"{c.id}: convention must be a tuple of Places")
        if registry_ids is not None and c.theorem is not None and c.theorem not in registry_ids:
            problems.append(f"{c.id}: theorem {c.theorem!r} is not a registry id")
    return problems
