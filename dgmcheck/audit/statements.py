"""The statements of the lecture seeds outside display formulas: extraction, and the shipped index.

:mod:`dgmcheck.audit.formulas` indexes the display formulas (``$$ ... $$``). This module indexes the rest
of what the slides assert, in three kinds:

``inline``  every inline formula ``$ ... $`` (not part of a ``$$`` block); id ``"<file>:<line>:i<k>"``, the
            ``k``-th inline formula (1-based) that starts on that line.
``table``   every data row of a Markdown table (a line that starts with ``|``): each row asserts what its cells
            say about its first cell; the header row (the line above the ``|---|`` separator) only names the
            columns and the separator row is layout, so both are skipped; id ``"<file>:<line>:t"``.
``prose``   every line holding a theorem-like sentence; id ``"<file>:<line>:p"``. A sentence is theorem-like
            when (a) it stands under a *label*: a heading (``#``), a bold label (``**...**`` alone on its line)
            or a short plain label line (at most six words, no final period), whose words include Theorem,
            Proposition, Lemma, Corollary, Claim or Property, up to the next heading or label; or (b) it asserts
            in words, i.e. matches :data:`ASSERTION` ("is Gaussian", "is equal to", "is unknown",
            "is intractable", "equals", "is equivalent", "converges", "is a valid", "is independent"; also
            ``are`` for ``is``, "is equal" without "to", "Gaussians", and at most one adverb such as
            *not*/*also*/*approximately* between the verb and the word).
            Sentences are split at ``. ! ?`` followed by a space and a capital, a digit, ``$``, ``\\`` or ``(``,
            with inline math masked; the statement's text is the line's theorem-like sentences joined by a space.

Statements are deduplicated like formulas: two with the same kind and the same normalized text (whitespace
collapsed) are one entry whose id is its first place and whose ``places`` list every occurrence, so a prose
theorem repeated in a second file is one statement with a source in each file.

Rebuild the index (only needed if the seeds change)::

    python -m dgmcheck.audit.statements /path/to/seeds
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from dgmcheck.audit.formulas import Place, headings, normalize

INDEX_NAME = "statements.json"
STATEMENT_KINDS = ("inline", "table", "prose")
_DISPLAY = re.compile(r"\$\$.*?\$\$", re.S)
_INLINE = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$", re.S)
_TABLE_SEPARATOR = re.compile(r"^\|[\s:|-]*-[\s:|-]*\|?$")
_LABEL_WORDS = re.compile(r"\b(theorem|proposition|lemma|corollary|claim|property)\b", re.I)
#: A sentence asserting in words (rule (b) of the module docstring).
ASSERTION = re.compile(
    r"\b(?:is|are)(?:\s+(?:not|also|still|then|exactly|approximately|always|now|itself))?\s+"
    r"(?:gaussians?|equal(?:\s+to)?|unknown|intractable|equivalent|a\s+valid|independent)\b"
    r"|\bequals\b|\bconverges?\b", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9$\\(])")


@dataclass(frozen=True)
class Statement:
    """One distinct statement outside display formulas: id, kind, text as first written, every place."""

    id: str
    kind: str
    text: str
    places: tuple[Place, ...]

    @property
    def file(self) -> str:
        return self.places[0].file


def _is_label(line: str) -> bool:
    """A heading, a bold label alone on its line, or a short plain label, naming a theorem-like unit."""
    s = line.strip()
    if not _LABEL_WORDS.search(s):
        return False
    if s.startswith("#"):
        return True
    if re.fullmatch(r"\*\*[^*]+\*\*[.:]?", s):
        return True
    return len(s.split()) <= 6 and not s.endswith((".", ",", ";")) and "$" not in s


def _mask_math(line: str) -> str:
    """The line with each inline formula replaced by a same-length run of ``x`` (sentence splitting)."""
    return _INLINE.sub(lambda m: "x" * len(m.group(0)), line)


def sentences(line: str) -> list[str]:
    """The sentences of one line of prose (split on the masked line so math never splits a sentence)."""
    masked = _mask_math(line)
    out, start = [], 0
    for m in _SENTENCE_END.finditer(masked):
        out.append(line[start:m.start()].strip())
        start = m.end()
    out.append(line[start:].strip())
    return [s for s in out if s]


def is_assertion(sentence: str) -> bool:
    """Whether a sentence asserts in words (rule (b)); the math inside it is ignored."""
    return bool(ASSERTION.search(_mask_math(sentence).replace("x" * 3, " ")))


def extract(path: Path) -> list[tuple[str, str, Place, int]]:
    """``(kind, text, place, k)`` of every statement of one seed file, in order (``k``: inline index on the line)."""
    file = path.name.split("_", 1)[0]
    raw = path.read_text(encoding="utf-8")
    masked = _DISPLAY.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), raw)  # display blocks blanked, lines kept
    lines = raw.split("\n")
    mlines = masked.split("\n")
    heads = headings(lines)
    out: list[tuple[str, str, Place, int]] = []
    per_line: dict[int, int] = {}
    for m in _INLINE.finditer(masked):
        lineno = masked.count("\n", 0, m.start()) + 1
        per_line[lineno] = per_line.get(lineno, 0) + 1
        lec, sl = heads[lineno - 1]
        out.append(("inline", m.group(1).strip(), Place(file, lec, sl, lineno), per_line[lineno]))
    under_label = False
    for i, line in enumerate(mlines):
        lineno = i + 1
        s = line.strip()
        lec, sl = heads[i]
        if _is_label(line):
            under_label = True
            continue
        if s.startswith("#") or re.fullmatch(r"\*\*[^*]+\*\*[.:]?", s):
            under_label = False
            continue
        if s.startswith("|"):
            header = i + 1 < len(mlines) and bool(_TABLE_SEPARATOR.match(mlines[i + 1].strip()))
            if not header and not _TABLE_SEPARATOR.match(s):
                out.append(("table", s, Place(file, lec, sl, lineno), 0))
            continue
        if not s or s == "---":
            continue
        chosen = [x for x in sentences(s) if under_label or is_assertion(x)]
        if chosen:
            out.append(("prose", " ".join(chosen), Place(file, lec, sl, lineno), 0))
    order = {"inline": 0, "table": 1, "prose": 2}
    out.sort(key=lambda r: (r[2].line, order[r[0]], r[3]))
    return out


def statement_id(kind: str, place: Place, k: int = 0) -> str:
    """``"<file>:<line>:i<k>"`` (inline), ``":t"`` (table row) or ``":p"`` (prose)."""
    suffix = {"inline": f"i{k}", "table": "t", "prose": "p"}
    if kind not in suffix:
        raise ValueError(f"kind must be one of {STATEMENT_KINDS}, got {kind!r}")
    return f"{place.file}:{place.line}:{suffix[kind]}"


def build_index(seeds: Path) -> list[Statement]:
    """The distinct statements of every ``seeds/0*.txt``, in order of first appearance."""
    by_key: dict[tuple[str, str], tuple[str, str, list[Place]]] = {}
    for path in sorted(seeds.glob("0*.txt")):
        for kind, text, place, k in extract(path):
            key = (kind, normalize(text))
            if key not in by_key:
                by_key[key] = (statement_id(kind, place, k), text, [])
            by_key[key][2].append(place)
    return [Statement(sid, kind, text, tuple(places)) for (kind, _), (sid, text, places) in by_key.items()]


def _to_json(statements: list[Statement]) -> str:
    rows = [{"id": s.id, "kind": s.kind, "text": s.text, "places": [p.as_dict() for p in s.places]}
            for s in statements]
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"


@lru_cache(maxsize=1)
def load_statements() -> dict[str, Statement]:
    """The shipped index: statement id -> :class:`Statement`."""
    raw = json.loads(resources.files("dgmcheck.audit").joinpath(INDEX_NAME).read_text(encoding="utf-8"))
    return {r["id"]: Statement(r["id"], r["kind"], r["text"], tuple(Place(**p) for p in r["places"])) for r in raw}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_dir():
        print("usage: python -m dgmcheck.audit.statements SEEDS_DIR", file=sys.stderr)
        return 2
    statements = build_index(Path(args[0]))
    target = Path(__file__).with_name(INDEX_NAME)
    target.write_text(_to_json(statements), encoding="utf-8")
    counts = {k: sum(s.kind == k for s in statements) for k in STATEMENT_KINDS}
    print(f"{len(statements)} distinct statements {counts} -> {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
