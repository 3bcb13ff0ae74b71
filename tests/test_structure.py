"""The import rules of the four rooms, read from the source with ``ast``, and the guard against
importing a room under a second name.

- ``theory/`` (``dgmcheck.theory``): exact math; imports no torch and nothing of impl or checks.
- ``impl/`` (``dgmcheck.impl``): imports nothing of checks, and no theory formula (an impl judged
  by an oracle it calls would be judged by itself): of ``dgmcheck.theory`` it may use only
  constants (``UPPER_CASE``) and input validators (``validate_*``), which state the domain.
- ``checks/``, and every installed room: imports no ``tests`` (they are not installed).
- Nothing imports the folders as top-level ``checks``, ``theory``, ``impl``: from the repository
  root they are importable so, as second copies of ``dgmcheck.<room>``.

Every rule is first shown to catch a planted import.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: Folder -> the package it is installed as (pyproject's package-dir), None for plain scripts.
PACKAGES = {"theory": "dgmcheck.theory", "impl": "dgmcheck.impl", "checks": "dgmcheck.checks",
            "dgmcheck": "dgmcheck", "tests": "tests", "examples": None}
ROOMS = ("theory", "impl", "checks")
#: Room -> module prefixes it must not import (``dgmcheck`` is the installed package: no tests).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "theory": ("torch", "dgmcheck.impl", "dgmcheck.checks", "tests"),
    "impl": ("dgmcheck.checks", "tests"),  # and of dgmcheck.theory only constants/validators
    "checks": ("tests",),
    "dgmcheck": ("tests",),
}
#: Nowhere: the folders under their own top-level names.
TOP_LEVEL = ("checks", "theory", "impl")


def _module_of(path: Path, package: str | None) -> str | None:
    """The dotted name a file is imported as (``impl/ode.py`` -> ``dgmcheck.impl.ode``)."""
    if package is None:
        return None
    rel = path.relative_to(REPO).with_suffix("").parts[1:]
    parts = [*package.split("."), *rel]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str | None = None, *, is_package: bool = False) -> Iterator[str]:
    """Every module a source imports, absolute: ``import a.b``, ``from a import b`` (``a`` and
    ``a.b``: b may be a submodule), relative imports resolved against ``module``, and
    ``importlib.import_module("...")`` / ``__import__("...")`` with a literal name. Imports inside
    functions and ``TYPE_CHECKING`` blocks count too."""
    tree = _parse(source)
    # Import statements live among statements only: walking the statement tree (not every
    # expression node) keeps the scan of the whole repository well under a second.
    nodes = list(_statements(tree))
    if _LITERAL_IMPORT_CALL.search(source):  # a walk of every expression only where one can be
        nodes += [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level and module is None:
                continue  # a relative import in a script: not importable that way anyway
            name = _absolute(node, module, is_package)
            yield name
            yield from (f"{name}.{alias.name}" for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.args[0].value


#: ``import_module("...")`` / ``__import__('...')``: a call whose first argument is a string literal.
_LITERAL_IMPORT_CALL = re.compile(r"""(import_module|__import__)\(\s*\(*\s*[rRuUbB]*['"]""")


@functools.lru_cache(maxsize=8)
def _parse(source: str) -> ast.Module:
    """One parse per source: both scans of a file read the same tree (they do not change it)."""
    return ast.parse(source)


def _statements(node: ast.AST) -> Iterator[ast.stmt]:
    """Every statement under ``node``, however deeply nested in functions, classes and blocks."""
    for field in ("body", "orelse", "finalbody", "handlers", "cases"):
        for child in getattr(node, field, ()) or ():
            if isinstance(child, ast.stmt):
                yield child
            yield from _statements(child)


def _under(name: str, prefixes: tuple[str, ...]) -> str | None:
    return next((p for p in prefixes if name == p or name.startswith(p + ".")), None)


def _absolute(node: ast.ImportFrom, module: str | None, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = (module or "").split(".") if is_package else (module or "").split(".")[:-1]
    anchor = base[: len(base) - node.level + 1]
    return ".".join([*anchor, node.module] if node.module else anchor)


def _not_a_formula(name: str) -> bool:
    """What impl may take from theory: a constant or an input validator."""
    return name.isupper() or name.startswith("validate")


def theory_formulas_used(source: str, module: str | None = None, *, is_package: bool = False) -> list[str]:
    """The names of ``dgmcheck.theory`` a source uses that are not constants or validators:
    ``from dgmcheck.theory.ddim import grid``, ``th.grid`` after ``from dgmcheck.theory import ddim
    as th``; a theory package or module bound whole (``import dgmcheck.theory.ddim``) counts too,
    since its uses cannot be told apart statically."""
    tree = _parse(source)
    used, aliases, attributes = [], set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            attributes.append(node)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _under(alias.name, ("dgmcheck.theory",)):
                    if alias.asname and alias.name.count(".") >= 2:
                        aliases.add(alias.asname)
                    else:
                        used.append(alias.name)
        elif isinstance(node, ast.ImportFrom):
            name = _absolute(node, module, is_package)
            if name == "dgmcheck" and any(a.name == "theory" for a in node.names):
                used.append("dgmcheck.theory")
            elif name == "dgmcheck.theory":  # modules of the package, used through their alias
                aliases.update(a.asname or a.name for a in node.names)
            elif _under(name, ("dgmcheck.theory",)):
                used += [f"{name}.{a.name}" for a in node.names if not _not_a_formula(a.name)]
    for node in attributes:
        if isinstance(node.value, ast.Name) and node.value.id in aliases:
            if not _not_a_formula(node.attr):
                used.append(f"{node.value.id}.{node.attr}")
    return used


def violations(folder: str, source: str, module: str | None = None, *, is_package: bool = False) -> list[str]:
    """The imports of ``source`` (a file of ``folder``) that break the rules, as readable lines."""
    found = []
    for name in imported_modules(source, module, is_package=is_package):
        rule = _under(name, FORBIDDEN.get(folder, ()))
        if rule is not None:
            found.append(f"{folder}/ imports {name} (no {rule} in {folder}/)")
        if _under(name, TOP_LEVEL):
            found.append(f"imports {name}: import dgmcheck.{name}, not the folder as a top-level package")
    if folder == "impl":
        found += [f"impl/ uses the theory formula {name} (only constants and validate_* of dgmcheck.theory)"
                  for name in theory_formulas_used(source, module, is_package=is_package)]
    return found


def _files() -> Iterator[tuple[str, Path]]:
    for folder in PACKAGES:
        for path in sorted((REPO / folder).rglob("*.py")):
            yield folder, path


# --- the rules catch planted imports -------------------------------------------------------------

PLANTED = [  # (folder, module the source is, source, a word of the expected violation)
    ("theory", "dgmcheck.theory.ddpm", "import torch", "torch"),
    ("theory", "dgmcheck.theory.ddpm", "from torch.nn import functional as F", "torch"),
    ("theory", "dgmcheck.theory.ddpm", "def f():\n    import torch.linalg\n", "torch"),
    ("theory", "dgmcheck.theory.ddpm", "from dgmcheck.checks.errors import TheoremViolation", "dgmcheck.checks"),
    ("theory", "dgmcheck.theory.ddpm", "from dgmcheck import impl", "dgmcheck.impl"),
    ("theory", "dgmcheck.theory.ddpm", "from ..impl.ddpm import GaussianDiffusion", "dgmcheck.impl"),
    ("impl", "dgmcheck.impl.ddpm", "from dgmcheck.theory.ddpm import posterior", "dgmcheck.theory.ddpm.posterior"),
    ("impl", "dgmcheck.impl.ddim", "from dgmcheck.theory import ddim as th\nth.step(x)", "th.step"),
    ("impl", "dgmcheck.impl.ddim", "from ..theory import ddim\nddim.grid(10)", "ddim.grid"),
    ("impl", "dgmcheck.impl.ddim", "import dgmcheck.theory.ddim as th\nth.sigma(1)", "th.sigma"),
    ("impl", "dgmcheck.impl.ddim", "import dgmcheck.theory.ddim", "dgmcheck.theory.ddim"),
    ("impl", "dgmcheck.impl.ddim", "from dgmcheck import theory", "dgmcheck.theory"),
    ("impl", "dgmcheck.impl.ddpm", "from ..checks import tolerances", "dgmcheck.checks"),
    ("impl", "dgmcheck.impl.ddpm", "import importlib\nimportlib.import_module('dgmcheck.checks.ddpm')", "checks"),
    ("checks", "dgmcheck.checks.ddpm", "from tests import _bugs", "tests"),
    ("checks", "dgmcheck.checks.ddpm", "import tests._bugs", "tests"),
    ("dgmcheck", "dgmcheck.cli", "from tests.conftest import COLLECTED", "tests"),
    ("tests", "tests.test_ddpm", "from checks.errors import TheoremViolation", "top-level"),
    ("tests", "tests.test_ddpm", "import theory.ddpm", "top-level"),
    ("examples", None, "__import__('impl')", "top-level"),
]


@pytest.mark.parametrize(("folder", "module", "source", "word"), PLANTED, ids=[f"{p[0]}: {p[2]}" for p in PLANTED])
def test_rules_catch_planted_imports(folder: str, module: str | None, source: str, word: str) -> None:
    found = violations(folder, source, module)
    assert found and any(word in line for line in found), found


CLEAN = [
    ("theory", "dgmcheck.theory.ddpm", "import numpy as np\nfrom scipy import special\nimport sympy as sp"),
    ("theory", "dgmcheck.theory.ddpm", "from dgmcheck.theory.linear_gaussian import posterior\nfrom . import score"),
    ("impl", "dgmcheck.impl.samplers", "import torch\nfrom . import ode\nfrom ._validate import floating"),
    ("impl", "dgmcheck.impl.ddim", "from dgmcheck.theory import ddim as th\nth.validate_grid(g, 3), th.SPACINGS"),
    ("impl", "dgmcheck.impl.ddim", "from dgmcheck.theory.parametrization import KINDS, validate_kind"),
    ("checks", "dgmcheck.checks.ddpm", "from dgmcheck.theory import ddpm\nfrom dgmcheck.impl.ddpm import normal_kl"),
    ("tests", "tests.test_ddpm", "from tests import _bugs\nfrom dgmcheck.checks import ddpm"),
]


@pytest.mark.parametrize(("folder", "module", "source"), CLEAN, ids=[f"{c[0]}: {c[2]}" for c in CLEAN])
def test_rules_allow_what_the_rooms_may_import(folder: str, module: str, source: str) -> None:
    assert violations(folder, source, module) == []


def test_relative_imports_resolve_against_the_package() -> None:
    assert set(imported_modules("from . import ode", "dgmcheck.impl.samplers")) == {"dgmcheck.impl",
                                                                                     "dgmcheck.impl.ode"}
    assert set(imported_modules("from .errors import X", "dgmcheck.checks", is_package=True)) == {
        "dgmcheck.checks.errors", "dgmcheck.checks.errors.X"}
    assert "dgmcheck.impl.ddpm" in set(imported_modules("from ..impl import ddpm", "dgmcheck.theory.x"))


# --- the repository keeps them ----------------------------------------------------------------


def test_every_file_keeps_the_import_rules() -> None:
    found, scanned = [], 0
    for folder, path in _files():
        module = _module_of(path, PACKAGES[folder])
        source = path.read_text(encoding="utf-8")
        scanned += 1
        rel = path.relative_to(REPO).as_posix()
        found += [f"{rel}: {line}" for line in
                  violations(folder, source, module, is_package=path.name == "__init__.py")]
    assert scanned > 50
    assert not found, "\n".join(found)


def test_the_rooms_cannot_be_imported_under_a_second_name() -> None:
    """From the repository root ``import checks`` would load a second copy of every module (two
    ``TheoremViolation`` classes); it is an ImportError naming the right import instead."""
    script = (
        "import importlib, json\n"
        "out = {}\n"
        f"for room in {ROOMS!r}:\n"
        "    try:\n"
        "        importlib.import_module(room)\n"
        "        out[room] = 'imported'\n"
        "    except ImportError as exc:\n"
        "        out[room] = str(exc)\n"
        "import dgmcheck.checks, dgmcheck.theory, dgmcheck.impl\n"
        "out['dgmcheck'] = 'ok'\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out.pop("dgmcheck") == "ok"
    for room in ROOMS:
        assert out[room].startswith(f"import dgmcheck.{room}, not {room}:"), out[room]


# --- slide citations come from the registry records only -----------------------------------------

_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_CITATION = re.compile(r"\b\d{3}( L\d+)? \"")


def literal_slide_dicts(source: str) -> list[str]:
    """Dict literals (and ``SLIDES = {...}`` comprehensions) mapping theorem ids to slide citations:
    a second copy of what the records say, which drifts from them."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (isinstance(key, ast.Constant) and isinstance(key.value, str) and _ID.match(key.value)
                        and isinstance(value, ast.Constant) and isinstance(value.value, str)
                        and _CITATION.search(value.value)):
                    found.append(f"line {node.lineno}: {key.value!r}: {value.value!r}")
        elif isinstance(node, ast.Assign) and isinstance(node.value, (ast.Dict, ast.DictComp)):
            if any(isinstance(t, ast.Name) and t.id == "SLIDES" for t in node.targets):
                found.append(f"line {node.lineno}: SLIDES is a literal")
    return found


@pytest.mark.parametrize("source", [
    'SLIDES = {"ddpm.posterior": \'000 L8 "Conditioned Reverse Distribution"\'}',
    'X = {"sde.ve": \'000 L11 "Score Matching SDE" (VE)\', "a": 1}',
    'def f():\n    return {"fm.ve_path": \'002 L14 "Flow matching vs score-based SDE models"\'}',
    'SLIDES = {k: "" for k in ("ddpm.posterior",)}',
])
def test_literal_slide_dicts_are_found(source: str) -> None:
    assert literal_slide_dicts(source)


def test_literal_slide_dict_scan_allows_the_registry_lookup() -> None:
    assert literal_slide_dicts('SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides("ddpm")\n'
                               'THEOREM_OF_METHOD = {"euler": "edm.euler"}\nX = {"ddpm.posterior": 1}') == []


def test_no_check_module_keeps_its_own_slide_citations() -> None:
    found = [f"{path.relative_to(REPO).as_posix()} {line}"
             for path in sorted((REPO / "checks").rglob("*.py"))
             for line in literal_slide_dicts(path.read_text(encoding="utf-8"))]
    assert not found, "slide citations belong in dgmcheck/records (dgmcheck.theorems.slides):\n" + "\n".join(found)


def test_every_family_verify_takes_the_common_arguments() -> None:
    """One scaffold: every family's ``verify`` accepts the same selection, budget and report arguments."""
    import importlib
    import inspect
    import pkgutil

    import dgmcheck.checks as checks_pkg

    common = ("properties", "max_examples", "shrink", "raise_on_failure", "reproduce")
    lacking = {}
    for info in pkgutil.iter_modules(checks_pkg.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"dgmcheck.checks.{info.name}")
        verify = getattr(module, "verify", None)
        if verify is None or verify.__module__ != module.__name__:
            continue
        params = inspect.signature(verify).parameters
        missing = [name for name in common if name not in params]
        if missing:
            lacking[info.name] = missing
    assert not lacking, lacking
