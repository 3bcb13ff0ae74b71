"""``dgmcheck audit NOTES.md|NOTES.tex``: every formula of a user's derivation notes with a verdict.

Each formula of the file (display and inline, with its line; see :mod:`dgmcheck.audit.notes_parse`
for what is extracted, how aligned rows chain and the symbol-table format) gets one entry per step:

* ``holds``       ``lhs = rhs``: ``simplify(lhs - rhs) == 0`` (:func:`~dgmcheck.audit.model.sym_equal`) and
                  both sides equal at seeded points drawn from the declared domains
                  (:func:`~dgmcheck.audit.model.num_compare`); ``<=``, ``<``, ``>=``, ``>``: numerically at
                  those points;
* ``fails``       a counterexample: the point and both sides' values;
* ``not parsed``  with the reason: the parser's error, the undeclared symbol named, or the operator
                  that is not supported (∫, E[...], ∇, ∼, ...);
* ``not a claim`` no relation (an expression or a name), or a definition (``:=``).

The declared ``[relations]`` are substituted into both sides before either check, so a step that
relies on ᾱ_t = ᾱ_{t-1}(1 - β_t) is checked with it. A checked step is a
:class:`~dgmcheck.audit.model.Claim` whose ``check`` computes the verdict; nothing is typed.

``--extract`` writes a ``[[claim]]`` TOML skeleton of every step not checked automatically, which
:func:`dgmcheck.audit.user.load_claims` reads once its commented fields are filled in.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from dgmcheck.audit.formulas import Place
from dgmcheck.audit.model import Claim, Outcome, all_of, num_compare, sym_equal
from dgmcheck.audit.notes_parse import (
    DEFINES,
    PARSER_HINT,
    SUFFIXES,
    Formula,
    NotesError,
    Step,
    Table,
    read_source,
    relation_of,
    require_parser,
    steps,
    table_from,
    to_sympy,
)

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
VERDICTS = ("holds", "fails", "error", "not parsed", "not a claim")
N_POINTS = 24


@dataclass
class Entry:
    """One line of the report: a step (or a formula without one) and its verdict."""

    id: str
    line: int
    text: str
    display: bool
    verdict: str
    detail: str
    relation: str | None = None
    lhs: sp.Expr | None = None
    rhs: sp.Expr | None = None
    counterexample: dict[str, Any] | None = None
    formula: int = 0

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "line": self.line, "text": self.text, "display": self.display,
                             "verdict": self.verdict, "detail": self.detail, "formula": self.formula}
        if self.relation:
            d["relation"] = self.relation
        if self.lhs is not None:
            d["lhs"] = str(self.lhs)
        if self.rhs is not None:
            d["rhs"] = str(self.rhs)
        if self.counterexample is not None:
            d["counterexample"] = self.counterexample
        return d


def _numeric(lhs: sp.Expr, op: str, rhs: sp.Expr, table: Table, seed: int) -> Outcome:
    """``lhs <op> rhs`` at ``N_POINTS`` seeded draws from the declared spans (float64)."""
    free = sorted(lhs.free_symbols | rhs.free_symbols, key=str)
    spans = table.spans()
    f_l = sp.lambdify(free, lhs, "numpy")
    f_r = sp.lambdify(free, rhs, "numpy")
    rng = np.random.default_rng(seed)
    at = [{str(s): float(rng.uniform(*spans.get(s, (-2.0, 2.0)))) for s in free} for _ in range(N_POINTS)]

    def side(f: Any) -> Any:
        def call(**kw: float) -> Any:
            with np.errstate(all="ignore"):
                return f(*(kw[str(s)] for s in free))
        return call

    return num_compare(side(f_l), op, side(f_r), at, what=f"at {N_POINTS} seeded points of the declared domains")


def step_claim(cid: str, step: Step, op: str, lhs: sp.Expr, rhs: sp.Expr, table: Table, file: str) -> Claim:
    """The claim of one parsed step; its check substitutes the relations, then compares both sides."""
    rel = ", ".join(f"{k} = {v}" for k, v in table.relations.items())

    def check() -> Outcome:
        left, right = table.substitute(lhs), table.substitute(rhs)
        if op == "==":
            return all_of(sym_equal(left, right, domains=table.spans(), what="relations substituted"),
                          _numeric(left, op, right, table, seed=1))
        return _numeric(left, op, right, table, seed=1)

    return Claim(id=cid, text=f"{step.lhs} {step.rel} {step.rhs}", places=(Place(file, "", "", step.line),),
                 meaning="symbols as declared in the table" + (f"; relations {rel}" if rel else ""), check=check)


def audit_formula(formula: Formula, table: Table, file: str, base: str) -> list[Entry]:
    """The entries of one formula: one per step, or one ``not a claim`` when it has no relation."""
    found = steps(formula)
    if not found:
        return [Entry(f"{base}.L{formula.line}", formula.line, formula.text, formula.display, "not a claim",
                      "no relation: an expression or a name")]
    out = []
    for k, step in enumerate(found):
        cid = f"{base}.L{step.line}" + (f".{k + 1}" if len(found) > 1 else "")
        text = f"{step.lhs} {step.rel} {step.rhs}"
        entry = Entry(cid, step.line, text, formula.display, "not parsed", "", relation=step.rel)
        out.append(entry)
        if step.rel in DEFINES:
            entry.verdict, entry.detail = "not a claim", f"a definition ({step.rel})"
            continue
        op = relation_of(step.rel)
        left, right = to_sympy(step.lhs, table), to_sympy(step.rhs, table)
        entry.lhs, entry.rhs = left.expr, right.expr
        if op is None:
            entry.detail = f"relation not supported: {step.rel}"
            continue
        reasons = [f"{side}: {p.reason}" for side, p in (("lhs", left), ("rhs", right)) if p.expr is None]
        if reasons:
            entry.detail = "; ".join(reasons)
            continue
        claim = step_claim(cid, step, op, left.expr, right.expr, table, file)  # type: ignore[arg-type]
        try:
            outcome = claim.check()  # type: ignore[misc]
        except Exception as exc:  # a check that raises is reported, never counted as a verdict
            entry.verdict, entry.detail = "error", f"the check raised {type(exc).__name__}: {exc}"
            continue
        entry.verdict, entry.detail = outcome.verdict, outcome.evidence
        entry.counterexample = outcome.counterexample
    return out


def audit_notes(path: str | Path, symbols: str | Path | None = None) -> tuple[list[Entry], Table]:
    """Every formula of the notes at ``path`` with its verdicts (raises NotesError on a usage error)."""
    p = check_path(path)
    source = read_source(p)
    table = table_from(source, symbols)
    base = "notes." + "".join(c if c.isalnum() or c == "_" else "_" for c in p.stem)
    entries: list[Entry] = []
    seen: Counter[str] = Counter()
    for k, formula in enumerate(source.formulas):
        for e in audit_formula(formula, table, p.name, base):
            e.formula = k + 1
            seen[e.id] += 1
            if seen[e.id] > 1:  # two formulas on one line: ids stay unique (a claims file needs that)
                e.id = f"{e.id}.f{seen[e.id]}"
            entries.append(e)
    return entries, table


def check_path(path: str | Path) -> Path:
    """``path`` if it names an existing ``.md`` or ``.tex`` file; NotesError naming it otherwise."""
    p = Path(path)
    if p.suffix not in SUFFIXES:
        raise NotesError(f"NOTES {path}: expected a .md or .tex file, got {p.suffix or 'no suffix'!r}")
    if not p.is_file():
        raise NotesError(f"NOTES {path}: no such file")
    return p


# ---------------------------------------------------------------------------------------------- reports
def counts(entries: Sequence[Entry]) -> dict[str, int]:
    c = Counter(e.verdict for e in entries)
    return {v: c.get(v, 0) for v in VERDICTS}


def _headline(file: str, entries: Sequence[Entry]) -> list[str]:
    c = counts(entries)
    n = len({e.formula for e in entries})
    parts = " · ".join(f"{v} {k}" for v, k in c.items() if k or v in ("holds", "fails"))
    return [f"dgmcheck audit {file}: {n} formulas, {len(entries)} entries (one per step)", parts]


def _short(text: str, width: int = 96) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def render_text(file: str, entries: Sequence[Entry]) -> str:
    lines = [*_headline(file, entries), ""]
    for e in entries:
        lines.append(f"  line {e.line:>4}  {e.verdict:<11}  {_short(e.text)}")
        if e.verdict in ("fails", "error") and _short(e.text) != e.text:
            lines.append(f"  {'':>9}  {'written:':<11}  {e.text}")
        if e.verdict in ("fails", "error", "not parsed"):
            lines.append(f"  {'':>9}  {'evidence:' if e.verdict != 'not parsed' else 'reason:':<11}  {e.detail}")
        if e.counterexample is not None:
            lines.append(f"  {'':>9}  {'counterex.:':<11}  "
                         f"{json.dumps(e.counterexample, ensure_ascii=False, sort_keys=True)}")
    return "\n".join(lines) + "\n"


def render_markdown(file: str, entries: Sequence[Entry]) -> str:
    head = _headline(file, entries)
    lines = [f"# {head[0]}", "", f"**{head[1]}**", "", "| line | verdict | formula | detail |", "|---|---|---|---|"]
    for e in entries:
        detail = e.detail
        if e.counterexample is not None:
            detail += f"; counterexample {json.dumps(e.counterexample, ensure_ascii=False, sort_keys=True)}"
        cells = [str(e.line), e.verdict, f"`{e.text}`", detail if e.verdict != "holds" else ""]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def render_json(file: str, entries: Sequence[Entry]) -> str:
    """``{"file", "counts", "entries": [{id, line, text, display, verdict, detail, ...}]}``; no timings."""
    doc = {"file": file, "counts": counts(entries), "entries": [e.as_dict() for e in entries]}
    return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


# ---------------------------------------------------------------------------------------------- --extract
def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a TOML basic string


def skeleton(file: str, entries: Sequence[Entry], table: Table) -> str:
    """``[[claim]]`` tables for every entry not checked automatically (``not parsed``, ``not a claim``)."""
    kinds = ", ".join(f"{s.symbol} = {_toml_str(s.kind)}" for s in table.symbols.values())
    spans = ", ".join(f"{s.symbol} = [{s.span[0]!r}, {s.span[1]!r}]" for s in table.symbols.values())
    rel = "; ".join(f"{k} = {v}" for k, v in table.relations.items())
    out = [f"# Claims of {file} that dgmcheck audit did not check automatically; fill in the commented",
           f"# fields, then run: dgmcheck audit --claims {Path(file).stem}.claims.toml", ""]
    for e in entries:
        if e.verdict not in ("not parsed", "not a claim", "error"):
            continue
        out += ["[[claim]]", f"id = {_toml_str(e.id)}", f"text = {_toml_str(e.text)}",
                f"source = {{ file = {_toml_str(file)}, line = {e.line} }}"]
        if e.verdict == "not a claim":
            out += [f"# {e.detail}: to check something here, set kind = \"claim\" with meaning, lhs and rhs",
                    'kind = "notation"', ""]
            continue
        out += [f"# {e.verdict}: {e.detail}",
                '# meaning = ""   # how the symbols are read', f"symbols = {{ {kinds} }}", f"domain = {{ {spans} }}"]
        if rel:
            out.append(f"# parsed sides below have the notes' relations substituted: {rel}")
        for side, expr in (("lhs", e.lhs), ("rhs", e.rhs)):
            out.append(f"{side} = {_toml_str(str(table.substitute(expr)))}" if expr is not None
                       else f'# {side} = ""   # sympy text in the names of `symbols`')
        op = relation_of(e.relation or "")
        out.append(f"relation = {_toml_str(op)}" if op and op != "==" else '# relation = "<="   # if not ==')
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------- command
def _usage(msg: str) -> int:
    print(f"dgmcheck audit: error: {msg}", file=sys.stderr)
    return EXIT_USAGE


def cmd_notes(args: argparse.Namespace) -> int:
    """The ``audit NOTES`` branch of ``dgmcheck audit``: report, or ``--extract`` the skeleton."""
    if args.notes is None:
        return _usage("--symbols and --extract need a NOTES.md or NOTES.tex argument")
    if args.claims or args.only:
        return _usage("NOTES cannot be combined with --claims or --only")
    try:
        check_path(args.notes)
        require_parser()
        entries, table = audit_notes(args.notes, args.symbols)
    except NotesError as exc:
        return _usage(str(exc))
    except ImportError:
        return _usage(PARSER_HINT)
    file = Path(args.notes).name
    if args.extract:
        out = skeleton(file, entries, table)
    elif args.format == "json":
        out = render_json(file, entries)
    elif args.format == "markdown":
        out = render_markdown(file, entries)
    else:
        out = render_text(file, entries)
    if args.output:
        Path(args.output).write_text(out, encoding="utf-8")
    else:
        sys.stdout.write(out)
    c = counts(entries)
    return EXIT_FAIL if args.strict and not args.extract and (c["fails"] or c["error"]) else EXIT_OK
