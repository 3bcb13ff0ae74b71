"""Render audit results: a readable text report, Markdown, and stable JSON.

Verdicts (:data:`VERDICTS`): ``holds``, ``holds_if``, then the three ways a claim is false as written
-- ``fails`` (a counterexample under the slides' own definitions), ``slip`` (a symbol error whose
intended meaning the neighbouring lines fix; the corrected form holds) and ``imprecise`` (true only in
a limit, as an approximation, or of another object than the one named; that reading holds) -- then
``error`` (a check that raised), ``definition`` and ``notation``.

``--strict`` gates on :data:`STRICT_VERDICTS`: ``fails``, ``slip``, ``imprecise`` and ``error``. A slip
or an imprecise wording is still false as written (each carries its counterexample); the category
explains the error, it does not excuse it. A user gating CI on their own notes wants a mistyped index
caught as much as a wrong theorem, and the category tells them how cheap the fix is. (To accept a known
slip, narrow the run with ``--only``.) :func:`gate_failures` counts them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from dgmcheck.audit.model import ClaimResult

VERDICTS = ("holds", "holds_if", "fails", "slip", "imprecise", "error", "definition", "notation")
#: The verdicts that are false as written (each with a counterexample), and ``error``.
FALSE_AS_WRITTEN = ("fails", "slip", "imprecise")
#: What ``--strict`` exits 1 on (see the module docstring for why slips count).
STRICT_VERDICTS = (*FALSE_AS_WRITTEN, "error")
#: The verdicts whose details (source, written, reading, corrected, evidence, counterexample) are printed.
_DETAILED = STRICT_VERDICTS


def counts(results: Sequence[ClaimResult]) -> dict[str, int]:
    c = Counter(r.verdict for r in results)
    return {v: c.get(v, 0) for v in VERDICTS}


def gate_failures(results: Sequence[ClaimResult]) -> int:
    """How many results ``--strict`` fails on: verdict ``fails``, ``slip``, ``imprecise`` or ``error``."""
    return sum(r.verdict in STRICT_VERDICTS for r in results)


def _group(r: ClaimResult) -> tuple[str, str]:
    src = r.claim.sources()
    if not src:
        return ("?", "")
    return (src[0].file, src[0].lecture)


def _groups(results: Sequence[ClaimResult]) -> dict[tuple[str, str], list[ClaimResult]]:
    out: dict[tuple[str, str], list[ClaimResult]] = {}
    for r in results:
        out.setdefault(_group(r), []).append(r)

    def order(key: tuple[str, str]) -> tuple[str, int, str]:
        file, lec = key
        return (file, int(lec[1:]) if lec[1:].isdigit() else 0, lec)

    return {k: out[k] for k in sorted(out, key=order)}


def _headline(results: Sequence[ClaimResult], formulas: int | None) -> str:
    c = counts(results)
    parts = " · ".join(f"{v} {n}" for v, n in c.items() if n or v in ("holds", *FALSE_AS_WRITTEN))
    head = f"dgmcheck audit: {len(results)} entries"
    if formulas is not None:
        head += f" covering {formulas} distinct display formulas"
    return f"{head}\n{parts}"


def _first_place(r: ClaimResult) -> str:
    src = r.claim.sources()
    return src[0].cite() if src else "(no source)"


def _json_line(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def per_file(results: Sequence[ClaimResult]) -> list[dict[str, Any]]:
    """Per source file: display blocks and distinct formulas accounted for, entries, and verdicts."""
    rows: dict[str, dict[str, Any]] = {}
    for r in results:
        files = {p.file for p in r.claim.sources()}
        for f in sorted(files):
            row = rows.setdefault(f, {"file": f, "blocks": set(), "formulas": set(), "entries": 0,
                                      **{v: 0 for v in VERDICTS}})
            row["entries"] += 1
            row[r.verdict] += 1
            for formula in r.claim.formula_objects():
                places = [p for p in formula.places if p.file == f]
                if places:
                    row["formulas"].add(formula.id)
                    row["blocks"].update((p.file, p.line) for p in places)
    out = []
    for f in sorted(rows):
        row = rows[f]
        out.append({**row, "blocks": len(row["blocks"]), "formulas": len(row["formulas"])})
    return out


def statement_counts() -> dict[str, dict[str, int]]:
    """Per lecture file: the distinct inline formulas, table rows and prose statements first seen there
    (``dgmcheck.audit.statements``), every one mapped to an entry or given a not-a-claim reason
    (``dgmcheck.audit.scope``)."""
    from dgmcheck.audit.scope import scope_counts

    out: dict[str, dict[str, int]] = {}
    for file, by_label in scope_counts().items():
        row = out.setdefault(file, {"inline": 0, "table": 0, "prose": 0})
        for key, n in by_label.items():
            row[key.split(".", 1)[0]] += n
    return out


def _file_table(results: Sequence[ClaimResult]) -> list[str]:
    rows = per_file(results)
    if not any(r["blocks"] for r in rows):
        return []
    stated = statement_counts()
    kinds = ("inline", "table", "prose")
    head = (f"  {'file':<6}{'blocks':>7}{'distinct':>9}" + "".join(f"{k:>7}" for k in kinds) + f"{'entries':>8}"
            + "".join(f"{v:>11}" for v in VERDICTS))
    return [head] + [f"  {r['file']:<6}{r['blocks']:>7}{r['formulas']:>9}"
                     + "".join(f"{stated.get(r['file'], {}).get(k, 0):>7}" for k in kinds) + f"{r['entries']:>8}"
                     + "".join(f"{r[v]:>11}" for v in VERDICTS) for r in rows] + [
        "  (blocks: display formulas on the slides; distinct: after merging repeats; inline, table, prose: the "
        "distinct inline formulas, table rows and prose statements first seen in the file, each mapped to an "
        "entry or not a claim with its reason; an entry with sources in several files counts in each)"]


def render_text(results: Sequence[ClaimResult], *, formulas: int | None = None) -> str:
    lines = [_headline(results, formulas), *_file_table(results), ""]
    for (file, lec), group in _groups(results).items():
        c = Counter(r.verdict for r in group)
        summary = ", ".join(f"{v} {c[v]}" for v in VERDICTS if c.get(v))
        lines.append(f"== {file}{' ' + lec if lec else ''}: {summary}")
        for r in group:
            cond = f" [if {r.condition}]" if r.condition else ""
            lines.append(f"  {r.verdict:<10} {r.claim.id}{cond}")
            if r.verdict in _DETAILED:
                lines.append(f"      source:    {_first_place(r)}")
                for i, t in enumerate(r.claim.written().split("\n")):
                    lines.append(f"      {'written:' if i == 0 else '':<10} {t}")
                if r.claim.meaning:
                    lines.append(f"      {'reading:':<10} {r.claim.meaning}")
                for i, p in enumerate(r.claim.convention):
                    lines.append(f"      {'convention:' if i == 0 else '':<10} {p.cite()}")
                if r.why:
                    lines.append(f"      {'why:':<10} {r.why}")
                for i, p in enumerate(r.places):
                    lines.append(f"      {'fixed by:' if i == 0 else '':<10} {p.cite()}")
                if r.claim.corrected:
                    lines.append(f"      {'corrected:':<10} {r.claim.corrected}")
                if r.support:
                    lines.append(f"      {'support:':<10} {r.support}")
                lines.append(f"      {'evidence:':<10} {r.evidence}")
                if r.counterexample is not None:
                    lines.append(f"      {'counterex.:':<10} {_json_line(r.counterexample)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_markdown(results: Sequence[ClaimResult], *, formulas: int | None = None) -> str:
    head = _headline(results, formulas).split("\n")
    lines = [f"# {head[0]}", "", f"**{head[1]}**", ""]
    table = _file_table(results)
    if table:
        lines += ["```", *table, "```", ""]
    for (file, lec), group in _groups(results).items():
        lines += [f"## {file}{' ' + lec if lec else ''}", "", "| verdict | claim | slide | condition |",
                  "|---|---|---|---|"]
        for r in group:
            src = r.claim.sources()
            slide = src[0].slide.replace("|", "\\|") if src else ""
            lines.append(f"| {r.verdict} | `{r.claim.id}` | {slide} | {(r.condition or '').replace('|', '/')} |")
        failing = [r for r in group if r.verdict in _DETAILED]
        for r in failing:
            lines += ["", f"### `{r.claim.id}` — {r.verdict}", "", f"Source: {_first_place(r)}", "",
                      "Written:", "", *[f"    {t}" for t in r.claim.written().split("\n")], ""]
            if r.claim.meaning:
                lines += [f"Reading: {r.claim.meaning}", ""]
            if r.claim.convention:
                lines += [f"Convention: {'; '.join(p.cite() for p in r.claim.convention)}", ""]
            if r.why:
                lines += [f"Why {r.verdict}: {r.why}", ""]
            if r.places:
                lines += [f"Fixed by: {'; '.join(p.cite() for p in r.places)}", ""]
            if r.claim.corrected:
                lines += ["Corrected:", "", f"    {r.claim.corrected}", ""]
            if r.support:
                lines += [f"{'Corrected form' if r.verdict == 'slip' else 'Approximate reading'}: {r.support}", ""]
            lines += [f"Evidence: {r.evidence}", ""]
            if r.counterexample is not None:
                lines += [f"Counterexample: `{_json_line(r.counterexample)}`", ""]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_json(results: Sequence[ClaimResult]) -> str:
    """A list of claim objects (id, kind, sources, formulas, text, meaning, verdict, evidence, theorem,
    and condition / counterexample / corrected / note where present; for ``slip`` / ``imprecise`` also
    evidence_places, why and support, and convention where a claim cites one), in claim order; no
    timings, so stable."""
    return json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=1, sort_keys=True) + "\n"
