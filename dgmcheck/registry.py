"""The theorem registry's data model and its measured coverage.

Theorems are data (:mod:`dgmcheck.theorems` lists one :class:`Theorem` per id of the inventory).
Imports go one way: ``dgmcheck.theorems`` and ``dgmcheck.records`` import this module (the data
model), this module imports neither, so functions here take the theorems as an argument.
Coverage is *measured*, never typed in: tests declare what they exercise with pytest markers,

.. code-block:: python

    @pytest.mark.theorem("ddpm.posterior")            # a test of the theorem
    @pytest.mark.planted_bug("ddpm.posterior")        # plants a bug, asserts the check catches it
    def test_posterior_matches_oracle(): ...

    pytestmark = [pytest.mark.theorem("ddpm.forward_marginal", "ddpm.stationary")]  # a module

and pytest itself reads them: ``pytest --collect-only -q --dgm-coverage`` (the plugin,
:mod:`dgmcheck.pytest_plugin`) writes the markers of every collected test to
``.dgmcheck/coverage.json`` (:func:`read_coverage_report`, :func:`find_coverage_report`), so marker
arguments may be computed. :func:`coverage` joins the registry with those claims; a theorem is
``covered`` only when it has an oracle kind, a check, at least one test and at least one
planted-bug test. :func:`validate` lists what is inconsistent, :func:`resolve` imports
``"module:attr.path"``.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "COVERAGE_KEYS",
    "COVERAGE_REPORT",
    "FAMILY_ALIASES",
    "FAMILY_OF_NAME",
    "FAMILY_OF_PREFIX",
    "MARKER_KINDS",
    "ORACLE_KINDS",
    "STATUSES",
    "Source",
    "TestClaims",
    "Theorem",
    "claims_from_markers",
    "coverage",
    "default_tests_dir",
    "family_of",
    "find_coverage_report",
    "read_coverage_report",
    "repo_root",
    "resolve",
    "status_of",
    "strip_parametrization",
    "validate",
]

#: The kinds of oracle a theorem may declare, most exact first (CONTRIBUTING.md, "exact oracles first").
ORACLE_KINDS: tuple[str, ...] = (
    "symbolic",
    "closed_form",
    "enumeration",
    "quadrature",
    "monte_carlo",
)

#: The two statuses a coverage row can have.
STATUSES: tuple[str, ...] = ("covered", "todo")

#: The pytest markers that claim theorems: ``theorem`` (a test of the theorem) and ``planted_bug``
#: (a test that plants a realistic bug and asserts the check catches it).
MARKER_KINDS: tuple[str, ...] = ("theorem", "planted_bug")

#: The keys of every coverage row, in order. Stable: the CLI's JSON and users' CI read them.
COVERAGE_KEYS: tuple[str, ...] = (
    "id",
    "title",
    "family",
    "sources",
    "statement",
    "oracle",
    "oracle_refs",
    "impl",
    "check",
    "tests",
    "planted_bug_tests",
    "planted_bug",
    "status",
    "notes",
)

# --------------------------------------------------------------------------------------------
# Families: one name per family
# --------------------------------------------------------------------------------------------

#: A family's canonical name is its check module's name (``dgmcheck.checks.<family>``), which is
#: also its records' module where it has one to itself and, where possible, its ids' prefix. Ids
#: stay stable, so the prefixes that differ map here (the rest are their own family's name).
FAMILY_OF_PREFIX: Mapping[str, str] = MappingProxyType({
    "ar": "autoregressive",
    "change_of_variables": "flows",
    "elbo": "latent",
    "fm": "flow_matching",
})

#: Old spellings of a family (id prefixes that were the ``--family`` values), accepted by the CLI
#: and :func:`dgmcheck.theorems.family` for one more release with a DeprecationWarning.
FAMILY_ALIASES: Mapping[str, str] = MappingProxyType(dict(FAMILY_OF_PREFIX))

#: Other names that resolve to a family without being its name: check modules and records modules
#: that serve another family (``dgmcheck.checks.samplers`` checks ``sde.*``).
FAMILY_OF_NAME: Mapping[str, str] = MappingProxyType({
    "samplers": "sde",
    "fokker_planck": "sde",
})


def family_of(theorem_id: str) -> str:
    """The canonical family of a theorem id: its prefix, mapped by :data:`FAMILY_OF_PREFIX`."""
    prefix = theorem_id.split(".", 1)[0]
    return FAMILY_OF_PREFIX.get(prefix, prefix)


_ID_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_SEED_RE = re.compile(r"^\d{3}$")
_LECTURE_RE = re.compile(r"^(L\d+)?$")
_REF_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


# --------------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A lecture reference: seed file id (``"000"``), lecture (``"L8"``, or ``""``), slide title.

    ``str(Source("000", "L8", "Conditioned Reverse Distribution"))`` is
    ``'000 L8 "Conditioned Reverse Distribution"'``: lecture file 000, lecture 8, the slide's ``#`` heading.
    """

    seed: str
    lecture: str
    slide: str

    def __str__(self) -> str:
        head = f"{self.seed} {self.lecture}" if self.lecture else self.seed
        return f'{head} "{self.slide}"'


@dataclass(frozen=True)
class Theorem:
    """One theorem, identity or algorithm of the lectures, as registry data.

    ``oracle`` holds oracle *kinds* (members of :data:`ORACLE_KINDS`), ``oracle_refs`` the
    importable objects implementing them (``"dgmcheck.theory.ddpm:posterior"``), ``impl`` the
    reference implementation and ``check`` the property check (``"module:qualname"``, a dotted
    attribute path allowed after the colon). Sequences given as lists are stored as tuples.
    """

    id: str
    title: str
    family: str
    sources: tuple[Source, ...] = ()
    statement: str = ""
    oracle: tuple[str, ...] = ()
    oracle_refs: tuple[str, ...] = ()
    impl: str | None = None
    check: str | None = None
    notes: str = ""

    def __post_init__(self) -> None:
        for name in ("sources", "oracle", "oracle_refs"):
            value = getattr(self, name)
            if isinstance(value, (str, Source)):  # one item, not a sequence of letters
                value = (value,)
            object.__setattr__(self, name, tuple(value))


@dataclass(frozen=True)
class TestClaims:
    """What the test suite claims about one theorem: node ids of its tests and planted-bug tests.

    A planted-bug test also counts as a test of the theorem, so ``planted_bug_tests`` is a subset
    of ``tests``. Node ids are relative to the repository root, without parametrization brackets.
    """

    __test__ = False  # not a pytest test class, even when imported into a test module

    tests: tuple[str, ...] = ()
    planted_bug_tests: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# Locations
# --------------------------------------------------------------------------------------------


def repo_root() -> Path:
    """The repository root: the folder that holds the ``dgmcheck`` package folder."""
    return Path(__file__).resolve().parents[1]


def default_tests_dir() -> Path:
    """``<repo root>/tests``; it may not exist (a non-editable install has no tests)."""
    return repo_root() / "tests"


# --------------------------------------------------------------------------------------------
# The coverage report: the tests' markers as pytest collected them
# --------------------------------------------------------------------------------------------

#: Where the pytest plugin's ``--dgm-coverage`` writes by default, relative to pytest's rootdir.
COVERAGE_REPORT = Path(".dgmcheck") / "coverage.json"
#: The report layout this module reads (``dgmcheck.pytest_plugin.COVERAGE_FORMAT``).
_REPORT_FORMAT = 1


def strip_parametrization(nodeid: str) -> str:
    """``"tests/t.py::test_x[cpu-float32]"`` -> ``"tests/t.py::test_x"``."""
    start = nodeid.find("::")
    bracket = nodeid.find("[", start if start >= 0 else 0)
    return nodeid if bracket < 0 else nodeid[:bracket]


def find_coverage_report(start: Path | str | None = None) -> Path | None:
    """The nearest ``.dgmcheck/coverage.json`` in ``start`` (default: the working directory) or a
    folder above it, else the repository's (a source checkout); None when there is none."""
    here = Path(start) if start is not None else Path.cwd()
    for folder in (here.resolve(), *here.resolve().parents, repo_root()):
        candidate = folder / COVERAGE_REPORT
        if candidate.is_file():
            return candidate
    return None


def read_coverage_report(path: Path | str) -> dict[str, Any]:
    """The report ``pytest --dgm-coverage`` wrote: ``{"items": {nodeid: {"theorem": ids,
    "planted_bug": ids}}, "errors": [...], "rootdir": ..., "created": ...}``. A file that is not
    such a report is a ValueError naming it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable coverage report ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict) or data.get("format") != _REPORT_FORMAT or not isinstance(data.get("items"), dict):
        raise ValueError(f"{path}: not a dgmcheck coverage report of format {_REPORT_FORMAT} "
                         "(write one with `pytest --collect-only -q --dgm-coverage`)")
    return data


def claims_from_markers(
    markers: Mapping[str, Mapping[str, Sequence[str]]],
) -> dict[str, TestClaims]:
    """Invert ``{nodeid: {"theorem": ids, "planted_bug": ids}}`` into per-theorem claims.

    A planted-bug test also counts as a test of its theorem.
    """
    tests: dict[str, set[str]] = {}
    planted: dict[str, set[str]] = {}
    for nodeid, marks in markers.items():
        for theorem_id in marks.get("theorem", ()):
            tests.setdefault(theorem_id, set()).add(nodeid)
        for theorem_id in marks.get("planted_bug", ()):
            tests.setdefault(theorem_id, set()).add(nodeid)
            planted.setdefault(theorem_id, set()).add(nodeid)
    return {
        theorem_id: TestClaims(
            tests=tuple(sorted(nodes)),
            planted_bug_tests=tuple(sorted(planted.get(theorem_id, ()))),
        )
        for theorem_id, nodes in sorted(tests.items())
    }


# --------------------------------------------------------------------------------------------
# Coverage
# --------------------------------------------------------------------------------------------


def status_of(theorem: Theorem, claims: TestClaims | None) -> str:
    """``"covered"`` when oracle kinds, a check, >=1 test and >=1 planted-bug test all exist."""
    claims = claims or TestClaims()
    covered = (
        bool(theorem.oracle)
        and bool(theorem.check)
        and bool(claims.tests)
        and bool(claims.planted_bug_tests)
    )
    return "covered" if covered else "todo"


def coverage(
    theorems: Iterable[Theorem],
    claims: Mapping[str, TestClaims] | None = None,
) -> list[dict[str, Any]]:
    """One dict per theorem (keys :data:`COVERAGE_KEYS`), with tests and status measured.

    ``theorems`` is the registry to measure (:data:`dgmcheck.theorems.THEOREMS`: this module is the
    data model and never imports the records); ``claims`` are the tests' claims as pytest collected
    them (:func:`claims_from_markers` of a :func:`read_coverage_report`), none when not given.
    """
    claims = claims or {}
    rows: list[dict[str, Any]] = []
    for theorem in theorems:
        claim = claims.get(theorem.id, TestClaims())
        rows.append(
            {
                "id": theorem.id,
                "title": theorem.title,
                "family": theorem.family,
                "sources": [str(source) for source in theorem.sources],
                "statement": theorem.statement,
                "oracle": list(theorem.oracle),
                "oracle_refs": list(theorem.oracle_refs),
                "impl": theorem.impl,
                "check": theorem.check,
                "tests": list(claim.tests),
                "planted_bug_tests": list(claim.planted_bug_tests),
                "planted_bug": bool(claim.planted_bug_tests),
                "status": status_of(theorem, claim),
                "notes": theorem.notes,
            }
        )
    return rows


# --------------------------------------------------------------------------------------------
# References and validation
# --------------------------------------------------------------------------------------------


def resolve(ref: str) -> Any:
    """Import ``"package.module:attr.path"`` and return the object.

    Raises :class:`LookupError` naming what failed: a malformed reference, a module that cannot
    be imported (with the import error), or the attribute that is missing.
    """
    if not isinstance(ref, str):
        raise LookupError(f"bad reference {ref!r}: expected a string 'package.module:attr.path'")
    module_name, sep, qualname = ref.partition(":")
    if not sep or not module_name or not qualname:
        raise LookupError(f"bad reference {ref!r}: expected 'package.module:attr.path'")
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise LookupError(
            f"cannot resolve {ref!r}: module {module_name!r} cannot be imported "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    parts = qualname.split(".")
    for index, part in enumerate(parts):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            owner = module_name if index == 0 else f"{module_name}:{'.'.join(parts[:index])}"
            raise LookupError(
                f"cannot resolve {ref!r}: {owner!r} has no attribute {part!r}"
            ) from exc
    return obj


@dataclass
class _Problems:
    items: list[str] = field(default_factory=list)

    def add(self, theorem_id: str, message: str) -> None:
        self.items.append(f"{theorem_id}: {message}")


def validate(
    theorems: Iterable[Theorem],
    claims: Mapping[str, TestClaims] | None = None,
    *,
    check_refs: bool = True,
) -> list[str]:
    """Return the registry's problems as messages (empty when consistent); never raises.

    Reports: duplicate or malformed ids, a family that is not the id's (:func:`family_of`), an empty
    title, malformed sources, unknown oracle kinds, oracle kinds without oracle refs (and vice
    versa), references (``oracle_refs``, ``impl``, ``check``) that do not resolve (when
    ``check_refs``), a check that is not callable, a record with a check (so it looks covered) that
    lacks an oracle, a source or a statement. With ``claims`` (the whole suite's, as pytest
    collected them) also a check without a planted-bug test and theorem ids claimed by tests but
    not registered. (Planted-bug tests before a check exists are fine: they may plant bugs in an
    oracle's identity.)
    """
    theorems = tuple(theorems)
    problems = _Problems()

    seen: dict[str, int] = {}
    for theorem in theorems:
        seen[theorem.id] = seen.get(theorem.id, 0) + 1
    for theorem_id, count in seen.items():
        if count > 1:
            problems.add(theorem_id, f"duplicate id (registered {count} times)")

    for theorem in theorems:
        tid = theorem.id
        if not isinstance(tid, str) or not _ID_RE.match(tid):
            problems.add(str(tid), "malformed id: expected 'family.name' (lowercase, digits, _)")
        elif theorem.family != family_of(tid):
            problems.add(tid, f"family {theorem.family!r} is not the id's family {family_of(tid)!r}")
        if not theorem.title.strip():
            problems.add(tid, "empty title")
        for source in theorem.sources:
            if not isinstance(source, Source):
                problems.add(tid, f"source {source!r} is not a Source")
                continue
            if not _SEED_RE.match(source.seed):
                problems.add(tid, f"source {source}: seed must be a 3-digit file id like '000'")
            if not _LECTURE_RE.match(source.lecture):
                problems.add(tid, f"source {source}: lecture must be like 'L8' or ''")
            if not source.slide.strip():
                problems.add(tid, f"source {source}: empty slide title")
        for kind in theorem.oracle:
            if kind not in ORACLE_KINDS:
                problems.add(
                    tid, f"unknown oracle kind {kind!r}; expected one of {', '.join(ORACLE_KINDS)}"
                )
        if theorem.oracle and not theorem.oracle_refs:
            problems.add(tid, "oracle kinds declared but no oracle_refs")
        if theorem.oracle_refs and not theorem.oracle:
            problems.add(tid, "oracle_refs given but no oracle kind declared")

        refs = [("oracle_refs", ref) for ref in theorem.oracle_refs]
        refs += [(name, getattr(theorem, name)) for name in ("impl", "check")]
        for name, ref in refs:
            if ref is None:
                continue
            if not isinstance(ref, str) or not _REF_RE.match(ref):
                problems.add(tid, f"{name} {ref!r} is not a 'package.module:attr.path' reference")
                continue
            if not check_refs:
                continue
            try:
                obj = resolve(ref)
            except LookupError as exc:
                problems.add(tid, f"{name}: {exc}")
                continue
            if name == "check" and not callable(obj):
                problems.add(tid, f"check {ref!r} is not callable")

        claim = (claims or {}).get(tid, TestClaims())
        if theorem.check:
            if claims is not None and not claim.planted_bug_tests:
                problems.add(tid, "has a check but no planted-bug test (a check that cannot fail)")
            if not theorem.oracle:
                problems.add(tid, "has a check but no oracle kind")
            if not theorem.sources:
                problems.add(tid, "has a check but no lecture source")
            if not theorem.statement.strip():
                problems.add(tid, "has a check but no statement")

    registered = set(seen)
    for theorem_id, claim in sorted((claims or {}).items()):
        if theorem_id not in registered:
            problems.add(
                theorem_id, "claimed by tests but not registered: " + ", ".join(claim.tests)
            )
    return problems.items
