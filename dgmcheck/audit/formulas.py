"""The display formulas of the lecture seeds: extraction, and the index that ships with the package.

Every ``$$ ... $$`` block of ``seeds/*.txt`` is a display formula. The index
(``dgmcheck/audit/formulas.json``) holds each distinct formula once — its text as written, and every
place it appears as a source (file, lecture, slide title, line) — so the audit runs on a machine
without the seeds. Two blocks are the same formula when their texts agree up to whitespace.
A formula's id is the place of its first appearance, ``"<file>:<line>"`` (e.g. ``"000:1212"``).

Rebuild the index (only needed if the seeds change)::

    python -m dgmcheck.audit.formulas /path/to/seeds
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

INDEX_NAME = "formulas.json"
_BLOCK = re.compile(r"\$\$(.*?)\$\$", re.S)
_LECTURE = re.compile(r"^##\s+Lecture\s+(\d+)\s*$")


@dataclass(frozen=True)
class Place:
    """Where a display formula appears: ``000 L8 "Conditioned Reverse Distribution"``, line 2831."""

    file: str
    lecture: str
    slide: str
    line: int

    def cite(self) -> str:
        lecture = f" {self.lecture}" if self.lecture else ""
        return f'{self.file}{lecture} "{self.slide}" (line {self.line})'

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "lecture": self.lecture, "slide": self.slide, "line": self.line}


@dataclass(frozen=True)
class Formula:
    """One distinct display formula: its id, its text as first written, and every place it appears."""

    id: str
    text: str
    places: tuple[Place, ...]


def normalize(text: str) -> str:
    """The identity of a formula: its text with runs of whitespace collapsed."""
    return " ".join(text.split())


def _slide_title(line: str) -> str:
    return line.lstrip("#").strip().strip("*").strip()


def headings(lines: list[str]) -> list[tuple[str, str]]:
    """Per line of a seed file, the ``(lecture, slide)`` in force: ``## Lecture N`` sets the lecture,
    any other heading the slide."""
    lecture, slide = "", ""
    out: list[tuple[str, str]] = []
    for line in lines:
        m = _LECTURE.match(line)
        if m:
            lecture = f"L{m.group(1)}"
        elif line.startswith("#"):
            slide = _slide_title(line)
        out.append((lecture, slide))
    return out


def extract(path: Path) -> list[tuple[str, Place]]:
    """``(text, place)`` of every display block of one seed file, in order of appearance."""
    file = path.name.split("_", 1)[0]
    lines = path.read_text(encoding="utf-8").split("\n")
    heading_at = headings(lines)  # per line: (lecture, slide) in force
    text = "\n".join(lines)
    out = []
    for m in _BLOCK.finditer(text):
        lineno = text.count("\n", 0, m.start()) + 1
        lec, sl = heading_at[lineno - 1]
        out.append((m.group(1).strip(), Place(file, lec, sl, lineno)))
    return out


def build_index(seeds: Path) -> list[Formula]:
    """The distinct display formulas of every ``seeds/0*.txt``, in order of first appearance."""
    by_text: dict[str, tuple[str, list[Place]]] = {}
    for path in sorted(seeds.glob("0*.txt")):
        for text, place in extract(path):
            key = normalize(text)
            if key not in by_text:
                by_text[key] = (text, [])
            by_text[key][1].append(place)
    return [Formula(f"{places[0].file}:{places[0].line}", text, tuple(places))
            for text, places in by_text.values()]


def _to_json(formulas: list[Formula]) -> str:
    rows = [{"id": f.id, "text": f.text, "places": [p.as_dict() for p in f.places]} for f in formulas]
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"


@lru_cache(maxsize=1)
def load_index() -> dict[str, Formula]:
    """The shipped index: formula id -> :class:`Formula`."""
    raw = json.loads(resources.files("dgmcheck.audit").joinpath(INDEX_NAME).read_text(encoding="utf-8"))
    return {r["id"]: Formula(r["id"], r["text"], tuple(Place(**p) for p in r["places"])) for r in raw}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_dir():
        print("usage: python -m dgmcheck.audit.formulas SEEDS_DIR", file=sys.stderr)
        return 2
    formulas = build_index(Path(args[0]))
    target = Path(__file__).with_name(INDEX_NAME)
    target.write_text(_to_json(formulas), encoding="utf-8")
    print(f"{len(formulas)} distinct formulas, {sum(len(f.places) for f in formulas)} blocks -> {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
