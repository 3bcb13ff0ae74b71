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

and :func:`scan_tests` reads those markers statically (``ast``, no import, so it is fast).
:func:`coverage` joins the registry with the scan; a theorem is ``covered`` only when it has an
oracle kind, a check, at least one test and at least one planted-bug test.
:func:`validate` lists what is inconsistent, :func:`resolve` imports ``"module:attr.path"``.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "COVERAGE_KEYS",
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
    "repo_root",
    "resolve",
    "scan_markers",
    "scan_tests",
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

#: The pytest markers the scanner reads: ``theorem`` (a test of the theorem) and ``planted_bug``
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
# Static scan of the tests' markers
# --------------------------------------------------------------------------------------------

# pytest's defaults (python_files, python_classes, python_functions, norecursedirs).
_TEST_FILE_PATTERNS = ("test_*.py", "*_test.py")
_NORECURSE = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}")
_SKIP_DIRS = ("__pycache__",)

_Marks = list[tuple[str, list[str]]]  # (marker name, theorem ids)


def strip_parametrization(nodeid: str) -> str:
    """``"tests/t.py::test_x[cpu-float32]"`` -> ``"tests/t.py::test_x"``."""
    start = nodeid.find("::")
    bracket = nodeid.find("[", start if start >= 0 else 0)
    return nodeid if bracket < 0 else nodeid[:bracket]


def _iter_test_files(tests_dir: Path) -> Iterator[Path]:
    """Test files under ``tests_dir`` in pytest's manner (file patterns, skipped folders)."""
    for path in sorted(tests_dir.iterdir()):
        if path.is_dir():
            name = path.name
            if name in _SKIP_DIRS or any(fnmatch.fnmatch(name, pat) for pat in _NORECURSE):
                continue
            yield from _iter_test_files(path)
        elif path.suffix == ".py" and any(
            fnmatch.fnmatch(path.name, pat) for pat in _TEST_FILE_PATTERNS
        ):
            yield path


def _dotted(expr: ast.expr) -> list[str] | None:
    """``pytest.mark.theorem`` -> ``["pytest", "mark", "theorem"]``; None if not a plain chain."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name):
        parts.append(expr.id)
        return parts[::-1]
    return None


class _ModuleScanner:
    """Reads the ``theorem`` / ``planted_bug`` marks of one test module's AST.

    Understands: decorators ``@pytest.mark.theorem("a.b", "c.d")`` (also ``mark.theorem`` after
    ``from pytest import mark``, and any ``<x>.mark.<name>``), ``pytestmark = mark`` or a list /
    tuple of marks at module and class level, class decorators, marks given to module-level names
    (``POSTERIOR = pytest.mark.theorem("ddpm.posterior")``, ``@POSTERIOR``), id arguments given as
    string constants, tuples/lists of them, names bound to those, or starred; marks in
    ``pytest.param(..., marks=...)`` of a parametrize decorator (they apply to the function's
    node id once brackets are stripped); test methods and marks inherited from classes defined
    in the same module; nested ``Test*`` classes.
    """

    def __init__(self, tree: ast.Module) -> None:
        self.env: dict[str, ast.expr] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        self.env[target.id] = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if stmt.value is not None:
                    self.env[stmt.target.id] = stmt.value
            elif isinstance(stmt, ast.ClassDef):
                self.classes[stmt.name] = stmt
        self.tree = tree

    # -- marks ---------------------------------------------------------------------------

    def _ids(self, args: Iterable[ast.expr], depth: int = 0) -> list[str]:
        ids: list[str] = []
        for arg in args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                ids.append(arg.value)
            elif isinstance(arg, (ast.Tuple, ast.List, ast.Set)):
                ids.extend(self._ids(arg.elts, depth))
            elif isinstance(arg, ast.Starred):
                ids.extend(self._ids([arg.value], depth))
            elif isinstance(arg, ast.Name) and arg.id in self.env and depth < 8:
                ids.extend(self._ids([self.env[arg.id]], depth + 1))
        return ids

    @staticmethod
    def _mark_name(func: ast.expr) -> str | None:
        """The marker name when ``func`` is ``<...>.mark.<name>`` or ``mark.<name>``."""
        chain = _dotted(func)
        if chain is None or len(chain) < 2 or chain[-2] != "mark":
            return None
        return chain[-1]

    def marks(self, expr: ast.expr | None, depth: int = 0) -> _Marks:
        """The (name, ids) marks an expression denotes (a mark, a list of marks, a name...)."""
        if expr is None or depth > 8:
            return []
        if isinstance(expr, (ast.List, ast.Tuple)):
            found: _Marks = []
            for element in expr.elts:
                found.extend(self.marks(element, depth + 1))
            return found
        if isinstance(expr, ast.Starred):
            return self.marks(expr.value, depth + 1)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self.marks(expr.left, depth + 1) + self.marks(expr.right, depth + 1)
        if isinstance(expr, ast.Name):
            return self.marks(self.env.get(expr.id), depth + 1)
        if isinstance(expr, ast.Attribute):
            name = self._mark_name(expr)
            return [(name, [])] if name in MARKER_KINDS else []
        if isinstance(expr, ast.Call):
            return self._call_marks(expr, depth)
        return []

    def _call_marks(self, call: ast.Call, depth: int) -> _Marks:
        func = call.func
        name = self._mark_name(func)
        if name is None and isinstance(func, ast.Name):
            # THEOREM = pytest.mark.theorem; @THEOREM("a.b")
            bound = self.env.get(func.id)
            if isinstance(bound, ast.Attribute):
                name = self._mark_name(bound)
        if name in MARKER_KINDS:
            return [(name, self._ids(call.args))]
        if name == "parametrize":
            return self._param_marks(call, depth)
        return []

    def _param_marks(self, call: ast.Call, depth: int) -> _Marks:
        """Marks inside ``pytest.param(..., marks=...)`` entries of a parametrize call."""
        found: _Marks = []
        for node in ast.walk(call):
            if not isinstance(node, ast.Call):
                continue
            chain = _dotted(node.func)
            if chain is None or chain[-1] != "param":
                continue
            for keyword in node.keywords:
                if keyword.arg == "marks":
                    found.extend(self.marks(keyword.value, depth + 1))
        return found

    def _decorator_marks(self, decorators: Iterable[ast.expr]) -> _Marks:
        found: _Marks = []
        for decorator in decorators:
            found.extend(self.marks(decorator))
        return found

    def _body_pytestmark(self, body: Iterable[ast.stmt]) -> _Marks:
        found: _Marks = []
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets):
                    found = self.marks(stmt.value)
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.target.id == "pytestmark"
            ):
                found = self.marks(stmt.value)
        return found

    @staticmethod
    def _body_flag(body: Iterable[ast.stmt], flag: str) -> Any:
        """The constant last assigned to ``flag`` in ``body`` (None when not assigned)."""
        value: Any = None
        for stmt in body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == flag for t in stmt.targets
            ):
                if isinstance(stmt.value, ast.Constant):
                    value = stmt.value.value
        return value

    # -- tests ---------------------------------------------------------------------------

    def _class_mro(
        self, cls: ast.ClassDef, seen: frozenset[str] = frozenset()
    ) -> list[ast.ClassDef]:
        """``cls`` then its same-module bases, depth first (enough for test-class hierarchies)."""
        order = [cls]
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id in self.classes and base.id not in seen:
                parent = self.classes[base.id]
                for klass in self._class_mro(parent, seen | {cls.name}):
                    if klass not in order:
                        order.append(klass)
        return order

    def _class_tests(
        self, cls: ast.ClassDef, prefix: str, inherited: _Marks
    ) -> Iterator[tuple[str, _Marks]]:
        mro = self._class_mro(cls)
        for klass in mro:  # the first class along the MRO that sets __test__ decides
            flag = self._body_flag(klass.body, "__test__")
            if flag is not None:
                if flag is False:
                    return
                break
        for klass in mro:
            defs = {s.name for s in klass.body if isinstance(s, ast.FunctionDef)}
            if "__init__" in defs or "__new__" in defs:
                return  # pytest refuses to collect a test class with a constructor
        class_marks: _Marks = []
        for klass in reversed(mro):  # pytest reads pytestmark along the MRO, base first
            class_marks.extend(self._decorator_marks(klass.decorator_list))
            class_marks.extend(self._body_pytestmark(klass.body))
        marks = inherited + class_marks
        methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        nested: dict[str, ast.ClassDef] = {}
        for klass in reversed(mro):  # subclasses override
            for stmt in klass.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    methods[stmt.name] = stmt
                    nested.pop(stmt.name, None)
                elif isinstance(stmt, ast.ClassDef):
                    nested[stmt.name] = stmt
                    methods.pop(stmt.name, None)
        for name, func in methods.items():
            if name.startswith("test"):
                yield f"{prefix}::{name}", marks + self._decorator_marks(func.decorator_list)
        for name, inner in nested.items():
            if name.startswith("Test"):
                yield from self._class_tests(inner, f"{prefix}::{name}", marks)

    def tests(self, file_nodeid: str) -> Iterator[tuple[str, _Marks]]:
        """(node id, marks) of every test function and method pytest would collect."""
        body = self.tree.body
        if self._body_flag(body, "__test__") is False:
            return
        module_marks = self._body_pytestmark(body)
        collected: dict[str, ast.stmt] = {}
        for stmt in body:  # a later definition of the same name replaces the earlier one
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                collected.pop(stmt.name, None)
                collected[stmt.name] = stmt
        for name, stmt in collected.items():
            if isinstance(stmt, ast.ClassDef):
                if name.startswith("Test"):
                    yield from self._class_tests(stmt, f"{file_nodeid}::{name}", module_marks)
            elif name.startswith("test"):
                marks = module_marks + self._decorator_marks(stmt.decorator_list)
                yield f"{file_nodeid}::{name}", marks


def scan_markers(
    tests_dir: Path | str | None = None,
    *,
    root: Path | str | None = None,
    errors: list[str] | None = None,
) -> dict[str, dict[str, list[str]]]:
    """Statically read the ``theorem`` / ``planted_bug`` marks of every test under ``tests_dir``.

    Returns ``{nodeid: {"theorem": [ids...], "planted_bug": [ids...]}}`` for every test function
    or method pytest would collect (unmarked ones too, with empty lists); ids are sorted and
    unique. Node ids are relative to ``root`` (default: the parent of ``tests_dir``, i.e. the
    repository root) without parametrization brackets. Files that do not parse are skipped and
    described in ``errors`` when a list is given. A missing ``tests_dir`` gives ``{}``.
    """
    tests_path = Path(tests_dir) if tests_dir is not None else default_tests_dir()
    if not tests_path.is_dir():
        return {}
    root_path = Path(root) if root is not None else tests_path.parent
    tests_path, root_path = tests_path.resolve(), root_path.resolve()
    result: dict[str, dict[str, list[str]]] = {}
    for path in _iter_test_files(tests_path):
        try:
            rel = path.relative_to(root_path).as_posix()
        except ValueError:
            rel = path.as_posix()
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (SyntaxError, UnicodeDecodeError, OSError) as exc:
            if errors is not None:
                errors.append(f"{rel}: cannot be scanned ({type(exc).__name__}: {exc})")
            continue
        for nodeid, marks in _ModuleScanner(tree).tests(rel):
            entry: dict[str, set[str]] = {kind: set() for kind in MARKER_KINDS}
            for name, ids in marks:
                entry[name].update(ids)
            result[nodeid] = {kind: sorted(entry[kind]) for kind in MARKER_KINDS}
    return result


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


def scan_tests(
    tests_dir: Path | str | None = None,
    *,
    root: Path | str | None = None,
    errors: list[str] | None = None,
) -> dict[str, TestClaims]:
    """Per theorem id, the node ids of the tests and planted-bug tests that claim it.

    Static (``ast``), so nothing is imported; ``tests_dir`` defaults to
    :func:`default_tests_dir`, node ids are relative to ``root`` (default ``tests_dir``'s
    parent). See :func:`scan_markers` for what the scanner understands.
    """
    return claims_from_markers(scan_markers(tests_dir, root=root, errors=errors))


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
    tests_dir: Path | str | None = None,
    *,
    claims: Mapping[str, TestClaims] | None = None,
) -> list[dict[str, Any]]:
    """One dict per theorem (keys :data:`COVERAGE_KEYS`), with tests and status measured.

    ``theorems`` is the registry to measure (:data:`dgmcheck.theorems.THEOREMS`: this module is the
    data model and never imports the records); the test claims come from ``claims`` when given,
    else from :func:`scan_tests` over ``tests_dir`` (default ``<repo root>/tests``; when it does
    not exist the test lists are empty).
    """
    if claims is None:
        claims = scan_tests(tests_dir)
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
    tests_dir: Path | str | None = None,
    check_refs: bool = True,
) -> list[str]:
    """Return the registry's problems as messages (empty when consistent); never raises.

    Reports: duplicate or malformed ids, a family that is not the id's (:func:`family_of`), an empty title,
    malformed sources, unknown oracle kinds, oracle kinds without oracle refs (and vice versa),
    references (``oracle_refs``, ``impl``, ``check``) that do not resolve (when ``check_refs``),
    a check that is not callable, a check without a planted-bug test, a record with a check (so
    it looks covered) that lacks an oracle, tests, a source or a statement, and theorem ids
    claimed by tests but not registered. (Planted-bug tests before a check exists are fine: they
    may plant bugs in an oracle's identity.)
    ``claims`` defaults to :func:`scan_tests` over ``tests_dir``.
    """
    theorems = tuple(theorems)
    if claims is None:
        claims = scan_tests(tests_dir)
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

        claim = claims.get(tid, TestClaims())
        if theorem.check:
            if not claim.planted_bug_tests:
                problems.add(tid, "has a check but no planted-bug test (a check that cannot fail)")
            if not theorem.oracle:
                problems.add(tid, "has a check but no oracle kind")
            if not theorem.sources:
                problems.add(tid, "has a check but no lecture source")
            if not theorem.statement.strip():
                problems.add(tid, "has a check but no statement")

    registered = set(seen)
    for theorem_id, claim in sorted(claims.items()):
        if theorem_id not in registered:
            problems.add(
                theorem_id, "claimed by tests but not registered: " + ", ".join(claim.tests)
            )
    return problems.items
