"""The scope of the audit beyond display formulas: every indexed statement, classified.

Each statement of :mod:`dgmcheck.audit.statements` (inline formula, table row, theorem-like prose) is either
*mapped* to the id of a :class:`~dgmcheck.audit.model.Claim` of the audit, or *not a claim* with a reason from
the closed set :data:`REASONS`:

``notation``     a symbol or an expression named in prose: no relation (no ``= ≤ ∈ ∼ → ≈ ∝ ≠ <``);
``declaration``  introduces a variable's type: ``x \\in \\mathbb{R}^m``, ``x \\in \\mathcal{X}``,
                 ``f: A \\to B`` — never an index range or an interval/set a known quantity must lie in
                 (``\\beta_t \\in (0,1)``, ``t \\in \\{1, ..., T\\}``): those are claims;
``pointer``      a reference to another slide or paper;
``name``         a label (a table's header row, a method's name).

Rules decide the bulk, in this order (:func:`classify`): an explicit entry of :data:`EXPLICIT` (per id) wins;
an inline formula whose relation chain is a contiguous part of a row of a display formula maps to that
display's claim (:func:`display_match`); a declaration shape gives ``declaration``; an inline formula with no
relation is ``notation``; a prose sentence that leads in to the display formula right after it (it ends
in ``:``, "then", "given by", "defined as", "equivalent to", ...; :func:`lead_in`) maps to that display's
claim. Everything else needs an explicit entry — the claims modules ``f00N_inline`` add theirs through their
``SCOPE`` dicts — and :func:`unclassified` lists what still has none.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from dgmcheck.audit.formulas import load_index
from dgmcheck.audit.statements import Statement, load_statements

REASONS = ("notation", "declaration", "pointer", "name")
#: The relations that make an inline formula a candidate claim (LaTeX and Unicode spellings).
RELATION = re.compile(r"(?<![\\])=|\\le(?:q|qslant)?\b|\\ge(?:q|qslant)?\b|\\in\b|\\sim\b|\\to\b|"
                      r"\\rightarrow\b|\\approx\b|\\propto\b|\\neq?\b|\\ll\b|\\gg\b|\\simeq\b|\\equiv\b|"
                      r"\\mapsto\b|\\longrightarrow\b|\\Rightarrow\b|(?<![\\])<|(?<![\\])>|[≤≥∈∼→≈∝≠]")
_SPLIT = re.compile(r"(&?\s*(?:=|\\approx|\\propto|\\leq?|\\geq?|\\sim|\\neq?|\\equiv|<|>)\s*&?)")
#: A type declaration: ``<symbols> \in <\mathbb{R}|\mathbb{N}|\mathbb{Z}|\mathcal{X}>[^{...}]`` or ``f: A \to B``.
DECLARATION = re.compile(
    r"^\s*[^=<>]*?\\in\s*(?:\\mathbb\{[RNZC]\}|\\mathcal\{[A-Z]\}|\\mathbb\s*[RNZC])"
    r"(?:\s*\^\s*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|[A-Za-z0-9]|\\[a-zA-Z]+))?"
    r"(?:\s*\\times\s*(?:\\mathbb\{[RNZC]\}|\\mathcal\{[A-Z]\})(?:\^\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?)*\s*[.,]?\s*$"
    r"|^\s*[A-Za-z\\{}_() ,]+\s*:\s*[^=]*?\\(?:to|rightarrow|mapsto)\s*[^=]*$")


@dataclass(frozen=True)
class Scope:
    """How one statement is held: ``claim`` (a claim id of the audit) or ``reason`` (not a claim); ``rule``
    names what decided it (``explicit``, ``display``, ``declaration``, ``notation``)."""

    statement: str
    claim: str | None
    reason: str | None
    rule: str


_SCRIPT = re.compile(r"[_^]\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}")


def has_relation(text: str) -> bool:
    """Whether a formula states a relation (``=``, ``\\le``, ``\\in``, ``\\sim``, ``\\to``, ``\\approx`` ...)
    outside sub- and superscripts (``\\sum_{t=1}^T`` names a range of summation, not a relation)."""
    return bool(RELATION.search(_SCRIPT.sub(" ", text)))


def is_declaration(text: str) -> bool:
    """``x \\in \\mathbb{R}^m`` / ``x \\in \\mathcal{X}`` / ``f: A \\to B`` shapes (a type, not a claimed range)."""
    return bool(DECLARATION.search(text))


def _canon(text: str) -> str:
    t = re.sub(r"\\(?:left|right|big|Big|bigg|Bigg)(?![a-zA-Z])", "", text)
    t = re.sub(r"\\[,;:! ]|\\quad|\\qquad|&", "", t)
    t = re.sub(r"\\text\{\s*[,.;]?\s*\}", "", t)
    return re.sub(r"\s+", "", t).rstrip(".,;")


def _chain(text: str) -> list[str]:
    """A relation chain as canonical parts and operators, ``[a, '=', b, '\\le', c]`` (top level only)."""
    parts, depth, cur, i = [], 0, "", 0
    while i < len(text):
        ch = text[i]
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        if depth == 0:
            m = _SPLIT.match(text, i)
            if m and (i == 0 or text[i - 1] != "\\"):
                parts.extend([_canon(cur), _canon(m.group(1)).replace("\\leq", "\\le").replace("\\geq", "\\ge")])
                cur, i = "", m.end()
                continue
        cur += ch
        i += 1
    parts.append(_canon(cur))
    return parts


@lru_cache(maxsize=1)
def _display_rows() -> list[tuple[str, list[str]]]:
    rows = []
    for f in load_index().values():
        body = re.sub(r"\\begin\{[a-z*]+\}|\\end\{[a-z*]+\}", "", f.text)
        for row in re.split(r"\\\\", body):
            if row.strip():
                rows.append((f.id, _chain(row)))
    return rows


def display_match(text: str) -> str | None:
    """The id of a display formula one of whose rows contains the inline relation chain ``text``
    (contiguous parts and operators, whitespace and ``\\left``/``\\right`` ignored); None if there is none."""
    chain = _chain(text)
    if len(chain) < 3 or any(not p for p in chain[::2]):
        return None
    n = len(chain)
    for fid, row in _display_rows():
        for s in range(0, len(row) - n + 1, 2):
            if row[s:s + n] == chain:
                return fid
    return None


@lru_cache(maxsize=1)
def _claim_of_formula() -> dict[str, str]:
    from dgmcheck.audit.claims import all_claims
    out: dict[str, str] = {}
    for c in all_claims():
        for f in c.formulas:
            out.setdefault(f, c.id)
    return out


@lru_cache(maxsize=1)
def claim_ids() -> frozenset[str]:
    from dgmcheck.audit.claims import all_claims
    return frozenset(c.id for c in all_claims())


#: Explicit classifications that are not in a claims module: statement id -> claim id or ``"not_a_claim:<reason>"``.
EXPLICIT: dict[str, str] = {}


@lru_cache(maxsize=1)
def explicit() -> dict[str, str]:
    """:data:`EXPLICIT` merged with the ``SCOPE`` dicts of the claims modules (a statement listed twice is an error)."""
    from dgmcheck.audit import claims as pkg
    out = dict(EXPLICIT)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        for sid, target in getattr(module, "SCOPE", {}).items():
            if sid in out:
                raise ValueError(f"statement {sid} is classified twice ({out[sid]!r} and {target!r})")
            out[sid] = target
    return out


def _from_target(sid: str, target: str, rule: str) -> Scope:
    if target.startswith("not_a_claim:"):
        reason = target.split(":", 1)[1]
        if reason not in REASONS:
            raise ValueError(f"{sid}: reason must be one of {REASONS}, got {reason!r}")
        return Scope(sid, None, reason, rule)
    return Scope(sid, target, None, rule)


def classify(statement: Statement, explicit_map: dict[str, str] | None = None) -> Scope | None:
    """The scope of one statement by the rules (see the module docstring); None when no rule applies."""
    table = explicit() if explicit_map is None else explicit_map
    if statement.id in table:
        return _from_target(statement.id, table[statement.id], "explicit")
    if statement.kind == "prose":
        lead = lead_in(statement)
        if lead is not None:
            return Scope(statement.id, lead[1], None, f"lead-in:{lead[0]}")
    if statement.kind != "inline":
        return None
    fid = display_match(statement.text) if has_relation(statement.text) else None
    if fid is not None:
        claim = _claim_of_formula().get(fid)
        if claim is not None:
            return Scope(statement.id, claim, None, f"display:{fid}")
    if is_declaration(statement.text):
        return Scope(statement.id, None, "declaration", "declaration")
    if not has_relation(statement.text):
        return Scope(statement.id, None, "notation", "notation")
    return None


#: How a sentence that introduces the display formula after it ends ("..., then", "... given by:", "... to").
LEAD_IN = re.compile(r"(?::|\b(?:then|given by|equivalent to|equal to|governed by|holds|satisfy|satisfies|is|are|to|"
                     r"by|where|as|as follows))\s*[.,]?\s*$", re.I)
#: At most this many lines between a lead-in sentence and the display formula it introduces.
LEAD_IN_GAP = 4


@lru_cache(maxsize=1)
def _display_starts() -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = {}
    for f in load_index().values():
        for p in f.places:
            out.setdefault(p.file, []).append((p.line, f.id))
    return {k: sorted(v) for k, v in out.items()}


def lead_in(statement: Statement) -> tuple[str, str] | None:
    """``(display id, claim id)`` when ``statement`` is a lead-in sentence: its text ends like an introduction
    (:data:`LEAD_IN`) and, at every place, a display formula with a claim starts within :data:`LEAD_IN_GAP` lines
    after it; the display at the first place is returned. None otherwise."""
    if not LEAD_IN.search(statement.text):
        return None
    found = []
    for place in statement.places:
        after = [(line, fid) for line, fid in _display_starts().get(place.file, [])
                 if place.line < line <= place.line + LEAD_IN_GAP]
        if not after or after[0][1] not in _claim_of_formula():
            return None
        found.append(after[0][1])
    return found[0], _claim_of_formula()[found[0]]


def scopes() -> dict[str, Scope | None]:
    """Every shipped statement id -> its :class:`Scope` (None: unclassified)."""
    return {sid: classify(s) for sid, s in load_statements().items()}


def unclassified(files: tuple[str, ...] | None = None) -> list[str]:
    """Statement ids with no classification (optionally only those first seen in ``files``)."""
    st = load_statements()
    return [sid for sid, sc in scopes().items() if sc is None and (files is None or st[sid].file in files)]


@lru_cache(maxsize=1)
def _claim_kinds() -> dict[str, str]:
    from dgmcheck.audit.claims import all_claims
    return {c.id: c.kind for c in all_claims()}


def scope_counts() -> dict[str, dict[str, int]]:
    """Per file (of a statement's first place): how many statements of each kind got each classification.

    Keys are ``"<kind>.<label>"`` with kind ``inline`` / ``table`` / ``prose`` and label ``claim`` (mapped to a
    checked claim), ``definition`` (mapped to a definition or notation entry of the audit), one of
    :data:`REASONS` (not a claim), or ``unclassified``; e.g. ``{"001": {"inline.claim": 40, ...}}``."""
    st = load_statements()
    kinds = _claim_kinds()
    out: dict[str, Counter[str]] = {}
    for sid, sc in scopes().items():
        s = st[sid]
        if sc is None:
            label = "unclassified"
        elif sc.claim is not None:
            label = "claim" if kinds.get(sc.claim) == "claim" else "definition"
        else:
            label = str(sc.reason)
        out.setdefault(s.file, Counter())[f"{s.kind}.{label}"] += 1
    return {f: dict(sorted(c.items())) for f, c in sorted(out.items())}
