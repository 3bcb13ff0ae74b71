"""Mutants of one source file: every site of every selected operator, one mutant each.

The source is parsed with Python's own :mod:`ast` and each mutant is the unparsed or compiled
mutated tree. That suffices here (no concrete-syntax library such as libcst is needed) because a
mutant is only ever *executed*, never written back over the user's file: its comments and
formatting need not survive. Two consequences: the diff of a mutant is taken between
``ast.unparse`` of the original and of the mutant (both normalised the same way, so only the
mutated statement differs), and a mutant executed from its tree (``--verify``) keeps the original
line numbers, so a traceback points at the user's own line.
"""

from __future__ import annotations

import ast
import copy
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dgmcheck.mutate.operators import OPERATORS, strip_probe

__all__ = ["Mutant", "generate", "operator_names", "scopes"]


@dataclass
class Mutant:
    """One mutant: the operator that made it, where (``path:line``), what changed, the mutated tree
    (with the probe around the mutated expression) and the diff a reader sees."""

    index: int
    operator: str
    path: str
    line: int
    col: int
    description: str
    tree: ast.Module = field(repr=False)
    diff: str = field(repr=False)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def source(self) -> str:
        """The mutant as Python source, probe included (what ``--run`` imports)."""
        return ast.unparse(self.tree) + "\n"


def operator_names(names: Iterable[str] | None) -> list[str]:
    """The operators to apply (all when ``names`` is None); an unknown name is a ValueError."""
    if names is None:
        return list(OPERATORS)
    wanted = [n.strip() for n in names if n.strip()]
    unknown = [n for n in wanted if n not in OPERATORS]
    if unknown or not wanted:
        raise ValueError(f"unknown operator(s) {unknown or wanted}: expected among {', '.join(OPERATORS)}")
    return list(dict.fromkeys(wanted))


def scopes(tree: ast.Module) -> dict[str, tuple[int, int]]:
    """Every function and class by qualified name (``Class.method``) with its first and last line."""
    out: dict[str, tuple[int, int]] = {}

    def walk(body: Iterable[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + node.name
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                out[name] = (first, node.end_lineno or node.lineno)
                walk(node.body, name + ".")
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                walk([n for part in ("body", "orelse", "finalbody", "handlers") for n in getattr(node, part, [])],
                     prefix)
            elif isinstance(node, ast.ExceptHandler):
                walk(node.body, prefix)

    walk(tree.body, "")
    return out


def _ranges(tree: ast.Module, targets: Sequence[str] | None, path: str) -> list[tuple[int, int]] | None:
    if not targets:
        return None
    known = scopes(tree)
    out = []
    for target in targets:
        hits = [span for name, span in known.items() if name == target or name.endswith("." + target)]
        if not hits:
            raise ValueError(f"target {target!r} is no function or class of {path}; it defines: "
                             f"{', '.join(known) or 'none'}")
        out += hits
    return out


def generate(source: str, *, path: str = "<source>", operators: Iterable[str] | None = None,
             targets: Sequence[str] | None = None) -> list[Mutant]:
    """Every mutant of ``source``: each selected operator at each of its sites, within the functions
    or classes ``targets`` name (``Class``, ``func``, ``Class.method``; all code when None).

    Mutants are ordered by line, then operator; one that reads exactly like an earlier one (two
    operators making the same change) is kept once. A ValueError names an unknown operator or target."""
    tree = ast.parse(source, filename=path)
    names = operator_names(operators)
    ranges = _ranges(tree, targets, path)
    original = ast.unparse(tree).splitlines()
    found: list[tuple[int, int, int, str, ast.Module, str]] = []
    for rank, name in enumerate(names):
        counter = OPERATORS[name](pick=None)
        counter.run(copy.deepcopy(tree))
        for k, site in enumerate(counter.sites):
            if ranges is not None and not any(lo <= site.line <= hi for lo, hi in ranges):
                continue
            mutated = OPERATORS[name](pick=k).run(copy.deepcopy(tree))
            shown = ast.unparse(strip_probe(copy.deepcopy(mutated))).splitlines()
            if shown == original:
                continue
            diff = "\n".join(difflib.unified_diff(original, shown, f"{path}", f"{path} ({name}, line {site.line})",
                                                  n=1, lineterm=""))
            found.append((site.line, rank, site.col, site.description, mutated, diff))
    found.sort(key=lambda f: (f[0], f[1], f[2]))
    seen: set[str] = set()
    mutants: list[Mutant] = []
    for line, rank, col, description, mutated, diff in found:
        key = diff.split("\n", 2)[-1]
        if key in seen:
            continue
        seen.add(key)
        mutants.append(Mutant(len(mutants), names[rank], path, line, col, description, mutated, diff))
    return mutants
