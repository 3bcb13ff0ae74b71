"""The ``dgmcheck`` command line.

``dgmcheck theorems``
    The coverage table of the theorem registry, measured by pytest from the tests' markers (the
    report of ``pytest --collect-only --dgm-coverage``; ``--collect`` regenerates it;
    ``--format json`` for machines, ``--strict`` to fail when a selected theorem is not covered).
``dgmcheck verify MODULE:OBJECT``
    A user's implementation against ``dgmcheck.checks.<concept>.verify``.
``dgmcheck mutate PATH_OR_MODULE (--run COMMAND | --verify MODULE:OBJECT[@CONCEPT] ...)``
    Domain mutation testing of the user's file against their gate (``dgmcheck.mutate``).

Exit status: 0 success / pass, 1 a theorem violation (or, with ``--strict``, a todo theorem),
2 a usage or import error.
"""

from __future__ import annotations

import argparse
import ast
import functools
import importlib
import inspect
import json
import os
import pkgutil
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from dgmcheck import __version__

__all__ = ["ConceptError", "available_concepts", "concept_module", "main", "make_candidate"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

#: Modules of ``dgmcheck.checks`` that are infrastructure, never a concept.
_NOT_CONCEPTS = frozenset({"errors", "strategies", "tolerances", "profiles"})


class ConceptError(LookupError):
    """A ``--concept`` that does not name a module of ``dgmcheck.checks`` with ``verify``."""


class _UsageError(Exception):
    """A ``verify`` argument that cannot be used; the message says what was expected."""


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors on one line (the usage itself is one ``--help`` away)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# --------------------------------------------------------------------------------------------
# Concepts
# --------------------------------------------------------------------------------------------


def _defines_verify(path: Path) -> bool:
    """Whether a module file binds ``verify`` at top level (def, assignment or import)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return False
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == "verify":
            return True
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "verify" for t in stmt.targets
        ):
            return True
        if isinstance(stmt, (ast.Import, ast.ImportFrom)) and any(
            (alias.asname or alias.name) == "verify" for alias in stmt.names
        ):
            return True
    return False


def available_concepts() -> list[str]:
    """Names of the ``dgmcheck.checks`` modules that define ``verify`` (read statically, once per
    process: the files are parsed, not imported)."""
    return list(_available_concepts())


@functools.lru_cache(maxsize=1)
def _available_concepts() -> tuple[str, ...]:
    try:
        checks = importlib.import_module("dgmcheck.checks")
    except Exception:  # a broken checks package must not break `dgmcheck theorems`
        return ()
    names = []
    for info in pkgutil.iter_modules(getattr(checks, "__path__", [])):
        if info.name.startswith("_") or info.name in _NOT_CONCEPTS:
            continue
        base = Path(getattr(info.module_finder, "path", ""))
        path = base / info.name / "__init__.py" if info.ispkg else base / f"{info.name}.py"
        if _defines_verify(path):
            names.append(info.name)
    return tuple(sorted(names))


def _concept_name(name: str) -> str:
    """``name``, or the concept an old family spelling now names (``fm`` -> ``flow_matching``, with
    a DeprecationWarning) when ``name`` is no checks module of its own."""
    from dgmcheck.registry import FAMILY_ALIASES

    canonical = FAMILY_ALIASES.get(name)
    if canonical is None or canonical not in available_concepts() or name in available_concepts():
        return name
    warnings.warn(f"concept {name!r} is now called {canonical!r}; the old name goes in the next release",
                  DeprecationWarning, stacklevel=3)
    return canonical


@contextmanager
def _notes(command: str) -> Iterator[None]:
    """DeprecationWarnings of the block (an old family spelling) printed as notes on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeprecationWarning)
        yield
    for warning in caught:
        if issubclass(warning.category, DeprecationWarning) and "old name" in str(warning.message):
            print(f"dgmcheck {command}: note: {warning.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)


def concept_module(name: str) -> ModuleType:
    """Import ``dgmcheck.checks.<name>``; :class:`ConceptError` when it is not a concept.

    The one place the CLI looks concepts up (tests monkeypatch it).
    """
    expected = ", ".join(available_concepts()) or "(none available yet)"
    if not name.isidentifier():
        raise ConceptError(f"unknown concept {name!r}: expected one of: {expected}")
    name = _concept_name(name)
    full = f"dgmcheck.checks.{name}"
    try:
        module = importlib.import_module(full)
    except ModuleNotFoundError as exc:
        if exc.name in (full, "dgmcheck.checks"):
            raise ConceptError(f"unknown concept {name!r}: expected one of: {expected}") from exc
        raise
    if not callable(getattr(module, "verify", None)):
        raise ConceptError(
            f"concept {name!r} ({full}) defines no verify(); expected one of: {expected}"
        )
    return module


# --------------------------------------------------------------------------------------------
# Candidates
# --------------------------------------------------------------------------------------------


def _has_required_params(func: Callable[..., Any]) -> bool:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return True
    kinds = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )
    return any(
        p.kind in kinds and p.default is inspect.Parameter.empty
        for p in signature.parameters.values()
    )


def make_candidate(obj: Any) -> Any:
    """The object ``verify`` receives: a class is instantiated with no arguments, a plain
    function without required arguments is called (a factory), anything else is used as is."""
    if inspect.isclass(obj):
        return obj()
    if inspect.isfunction(obj) and not _has_required_params(obj):
        return obj()
    return obj


def _load_target(target: str) -> Any:
    """Resolve ``MODULE:OBJECT`` with the working directory importable; _UsageError if not."""
    from dgmcheck.registry import resolve

    module_name, sep, qualname = target.partition(":")
    if not sep or not module_name or not qualname:
        raise _UsageError(
            f"bad target {target!r}: expected MODULE:OBJECT, e.g. my_model:MyDiffusion"
        )
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return resolve(target)
    except LookupError as exc:
        raise _UsageError(str(exc)) from exc


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _collect(tests_dir: Path, report: Path) -> str | None:
    """``pytest --collect-only -q --dgm-coverage=REPORT TESTS_DIR`` in a subprocess (run from the
    folder above ``tests_dir``); None when it wrote the report, else what pytest said."""
    import subprocess

    if report.is_file():
        report.unlink()
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
               f"--dgm-coverage={report}", str(tests_dir)]
    try:
        proc = subprocess.run(command, cwd=tests_dir.parent, capture_output=True, text=True, timeout=900,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if report.is_file():
        return None
    return "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:]) or f"pytest exited {proc.returncode}"


def _stale(data: dict[str, Any]) -> int:
    """How many of the report's test files changed after it was written."""
    root, created = Path(str(data.get("rootdir", "."))), float(data.get("created", 0.0))
    files = {nodeid.split("::", 1)[0] for nodeid in data["items"]}
    count = 0
    for name in files:
        try:
            count += (root / name).stat().st_mtime > created
        except OSError:
            count += 1
    return count


def _cmd_theorems(args: argparse.Namespace) -> int:
    from dgmcheck.registry import (
        COVERAGE_REPORT,
        claims_from_markers,
        coverage,
        default_tests_dir,
        find_coverage_report,
        read_coverage_report,
    )
    from dgmcheck.theorems import THEOREMS, family

    def warn(message: str) -> None:
        print(f"dgmcheck theorems: {message}", file=sys.stderr)

    if args.family is not None:
        try:
            with _notes("theorems"):
                args.family = family(args.family)
        except ValueError as exc:
            warn(f"error: --family: {exc}")
            return EXIT_USAGE
    tests_dir = Path(args.tests_dir) if args.tests_dir else default_tests_dir()
    report = Path(args.report) if args.report else None
    if report is not None and report.is_dir():
        warn(f"error: --report must be a coverage report file, got the folder {report}")
        return EXIT_USAGE
    if args.collect:
        if not tests_dir.is_dir():
            warn(f"error: no test suite at {tests_dir} to collect (pass --tests-dir)")
            return EXIT_USAGE
        report = report or tests_dir.resolve().parent / COVERAGE_REPORT
        failure = _collect(tests_dir.resolve(), report.resolve())
        if failure is not None:
            warn(f"error: pytest --collect-only wrote no coverage report:\n{failure}")
            return EXIT_FAILED
    elif report is None:
        report = find_coverage_report()

    data = None
    if report is not None and report.is_file():
        try:
            data = read_coverage_report(report)
        except ValueError as exc:
            warn(f"error: --report: {exc}")
            return EXIT_USAGE
    elif report is not None:
        warn(f"coverage not measured: no coverage report at {report}")
    elif not tests_dir.is_dir():
        warn("coverage not measured: no test suite here (an installed package ships none) and no coverage "
             f"report ({COVERAGE_REPORT.as_posix()}); a suite that marks its tests writes one with "
             "`pytest --collect-only -q --dgm-coverage`")
    else:
        warn(f"coverage not measured yet: no {COVERAGE_REPORT.as_posix()}; run `dgmcheck theorems --collect` "
             f"(or `pytest --collect-only -q --dgm-coverage` in {tests_dir.parent})")
    if data is not None:
        if data.get("errors"):
            warn(f"warning: tests that failed to collect are not counted: {', '.join(data['errors'])}")
        stale = _stale(data)
        if stale:
            warn(f"warning: {stale} test file(s) changed after the coverage report was written; "
                 "run `dgmcheck theorems --collect`")

    claims = claims_from_markers(data["items"]) if data is not None else None
    rows = coverage(THEOREMS, claims)
    if claims is None:
        for row in rows:
            row["status"] = "unmeasured"
    total_all = len(rows)
    covered_all = sum(row["status"] == "covered" for row in rows)
    if args.family is not None:
        rows = [row for row in rows if row["family"] == args.family]
    if args.status is not None:
        rows = [row for row in rows if row["status"] == args.status]

    if args.format == "json":
        _print_json(rows)
    else:
        print(_table(rows, covered_all, total_all, filtered=bool(args.family or args.status),
                     measured=claims is not None))
    if args.strict and any(row["status"] != "covered" for row in rows):
        return EXIT_FAILED
    return EXIT_OK


def _table(rows: list[dict[str, Any]], covered_all: int, total_all: int, *, filtered: bool,
           measured: bool = True) -> str:
    covered = sum(row["status"] == "covered" for row in rows)
    if not measured:
        header = f"{len(rows)} theorems; coverage not measured (no coverage report)"
    else:
        header = f"{covered}/{len(rows)} covered"
        if filtered:
            header += f" (selected; registry: {covered_all}/{total_all} covered)"
    lines = [header]
    columns = ("id", "status", "oracle", "check", "tests", "planted-bug")
    table = [
        (
            row["id"],
            row["status"],
            ",".join(row["oracle"]) or "-",
            "yes" if row["check"] else "no",
            str(len(row["tests"])) if measured else "?",
            ("yes" if row["planted_bug"] else "no") if measured else "?",
        )
        for row in rows
    ]
    widths = [max([len(c)] + [len(r[i]) for r in table]) for i, c in enumerate(columns)]
    for cells in [columns, *table]:
        lines.append(
            "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()
        )
    return "\n".join(lines)


def _report_dict(report: Any) -> Any:
    for name in ("to_dict", "as_dict"):
        method = getattr(report, name, None)
        if callable(method):
            try:
                return method()
            except Exception:  # the summary is what matters; never fail on the extra
                return None
    return None


def _summary(report: Any) -> str:
    summary = getattr(report, "summary", None)
    if callable(summary):
        return str(summary())
    return "passed" if report is None else str(report)


def _verify_kwargs(verify: Callable[..., Any], args: argparse.Namespace,
                   module: ModuleType | None = None) -> dict[str, Any]:
    """The options the user gave, as keyword arguments of this concept's ``verify``. A declared
    convention the concept's module does not honour (its ``CONVENTIONS_HONOURED``) is refused here,
    before the candidate is built."""
    import torch

    from dgmcheck.checks.conventions import Conventions, declared

    try:
        params = inspect.signature(verify).parameters
    except (TypeError, ValueError):
        params = {}
    given: dict[str, Any] = {}
    if args.properties is not None:
        given["properties"] = [p.strip() for p in args.properties.split(",") if p.strip()]
        if not given["properties"]:
            raise _UsageError(f"--properties must name at least one property, got {args.properties!r}")
        known = [getattr(p, "name", None) for p in getattr(module, "PROPERTIES", ())]
        unknown = [p for p in given["properties"] if known and p not in known]
        if unknown:
            raise _UsageError(f"--properties: unknown propert{'y' if len(unknown) == 1 else 'ies'} "
                              f"{', '.join(map(repr, unknown))}; expected among {', '.join(filter(None, known))}")
    if args.max_examples is not None:
        if args.max_examples < 1:
            raise _UsageError(f"--max-examples must be >= 1, got {args.max_examples}")
        given["max_examples"] = args.max_examples
    if args.dtype:
        if args.dtype not in ("float32", "float64"):
            raise _UsageError(f"--dtype must be float32 or float64, got {args.dtype!r}")
        given["dtype"] = getattr(torch, args.dtype)
    if args.device:
        given["device"] = _device(args.device)
    if args.conventions:
        try:
            given["conventions"] = Conventions.parse(
                args.conventions[0] if len(args.conventions) == 1 and args.conventions[0].endswith(".toml")
                else [p for item in args.conventions for p in item.split(",") if p.strip()])
            honours = getattr(module, "CONVENTIONS_HONOURED", None)
            if honours is not None:
                declared(given["conventions"], module.__name__.rsplit(".", 1)[-1], honours)
        except ValueError as exc:
            raise _UsageError(f"--conventions: {exc}") from None
    if args.reproduce:
        version, _, blob = args.reproduce.partition(":")
        if not blob:
            raise _UsageError(f"--reproduce must be VERSION:BLOB as printed by a failure, got {args.reproduce!r}")
        from hypothesis.core import decode_failure

        try:
            decode_failure(blob.encode("ascii", "replace"))
        except Exception as exc:  # hypothesis' InvalidArgument: the blob is not one it printed
            raise _UsageError(f"--reproduce: the blob is not a failure Hypothesis printed ({exc})") from None
        given["reproduce"] = (version, blob)
    given["raise_on_failure"] = False
    accepted = {k: v for k, v in given.items() if k in params}
    refused = sorted(set(given) - set(accepted) - {"raise_on_failure"})
    if refused:
        flags = ", ".join("--" + r.replace("_", "-") for r in refused)
        raise _UsageError(f"concept {args.concept!r} does not take {flags}")
    return accepted


def _device(name: str) -> str:
    """``--device`` as a torch device that exists here and holds values (not ``meta``)."""
    import torch

    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise _UsageError(f"--device must name a torch device such as cpu or cuda, got {name!r}") from None
    if device.type == "meta":
        raise _UsageError("--device meta holds no values; pass cpu or cuda")
    try:
        torch.empty(1, device=device)
    except (RuntimeError, AssertionError, ValueError) as exc:
        raise _UsageError(f"--device {name}: not available on this machine ({str(exc).splitlines()[0]})") from None
    return name


def _cmd_verify(args: argparse.Namespace) -> int:
    from dgmcheck.checks import _verify
    from dgmcheck.checks.errors import TheoremViolation

    result: dict[str, Any] = {"target": args.target, "concept": args.concept}

    def usage_error(message: str) -> int:
        print(f"dgmcheck verify: error: {message}", file=sys.stderr)
        if args.format == "json":
            _print_json({**result, "status": "error", "message": message})
        return EXIT_USAGE

    if args.profile:
        from dgmcheck.checks.profiles import PROFILES

        if args.profile not in PROFILES:
            return usage_error(f"--profile must be one of {PROFILES}, got {args.profile!r}")
        os.environ["HYPOTHESIS_PROFILE"] = args.profile
    try:
        with _notes("verify"):
            module = concept_module(args.concept)
    except ConceptError as exc:
        return usage_error(f"--concept: {exc}")
    except Exception as exc:
        return usage_error(
            f"concept {args.concept!r} cannot be imported ({type(exc).__name__}: {exc})"
        )
    verify = getattr(module, "verify", None)
    if not callable(verify):
        return usage_error(f"concept {args.concept!r} defines no callable verify()")

    try:
        obj = _load_target(args.target)
        kwargs = _verify_kwargs(verify, args, module)
    except _UsageError as exc:
        return usage_error(str(exc))
    try:
        candidate = make_candidate(obj)
    except Exception as exc:
        return usage_error(
            f"cannot build the candidate from {args.target!r} ({type(exc).__name__}: {exc}); "
            "expected a class constructible with no arguments, a function with no required "
            "arguments returning the candidate, or the candidate object itself"
        )

    try:
        with _verify.overrides(seed=args.seed):
            report = verify(candidate, **kwargs)
    except (TypeError, ValueError) as exc:  # refused before any property ran: a usage error
        return usage_error(f"{type(exc).__name__}: {exc}")
    except AssertionError as exc:  # a verify without the report (raise_on_failure unsupported)
        message = str(exc) or type(exc).__name__
        report = getattr(exc, "report", None)
        if args.format == "json":
            _print_json({**result, "status": "violation",
                         "theorem": exc.theorem if isinstance(exc, TheoremViolation) else None,
                         "message": message, "report": _report_dict(report)})
        else:
            print(f"VIOLATION ({args.concept})\n{message}")
        return EXIT_FAILED
    except Exception as exc:
        message = f"verify raised {type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.stderr)
        if args.format == "json":
            _print_json({**result, "status": "error", "message": message})
        else:
            print(f"ERROR ({args.concept})\n{message}")
        return EXIT_FAILED

    failed = bool(getattr(report, "failed", None))
    if args.format == "json":
        out: dict[str, Any] = {**result, "status": "violation" if failed else "pass",
                               "summary": _summary(report), "report": _report_dict(report)}
        if failed:
            first = report.results[report.failed[0]].violation
            out["theorem"], out["message"] = first.theorem, str(first)
        _print_json(out)
    elif args.format == "markdown" and callable(getattr(report, "to_markdown", None)):
        print(report.to_markdown())
    elif args.format == "html" and callable(getattr(report, "to_html", None)):
        print(report.to_html())
    else:
        print(_summary(report))
    return EXIT_FAILED if failed else EXIT_OK


# --------------------------------------------------------------------------------------------
# Parser and entry point
# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dgmcheck``."""
    parser = _Parser(
        prog="dgmcheck",
        description="Correctness gate for deep generative model code: theorem coverage and "
        "verification of implementations against exact oracles.",
    )
    parser.add_argument("--version", action="version", version=f"dgmcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    theorems = sub.add_parser(
        "theorems",
        help="the theorem registry and its measured coverage",
        description="The theorem registry with coverage measured by pytest from the tests' "
        "`theorem` / `planted_bug` markers (the report of `pytest --collect-only --dgm-coverage`, "
        "or --collect). A theorem is covered when it has an oracle, a check, a test and a "
        "planted-bug test.",
    )
    theorems.add_argument("--format", choices=("text", "json"), default="text")
    theorems.add_argument("--status", choices=("covered", "todo", "unmeasured"), default=None)
    theorems.add_argument("--family", default=None,
                          help="only this family (its check module's name; old spellings such as fm still work)")
    theorems.add_argument(
        "--strict", action="store_true", help="exit 1 when any selected theorem is todo"
    )
    theorems.add_argument(
        "--report", default=None, metavar="PATH",
        help="coverage report to read (default: the nearest .dgmcheck/coverage.json from the working "
        "directory up, else the repository's); written by `pytest --collect-only -q --dgm-coverage`",
    )
    theorems.add_argument(
        "--collect", action="store_true",
        help="regenerate the report first: pytest --collect-only -q --dgm-coverage=REPORT TESTS_DIR",
    )
    theorems.add_argument(
        "--tests-dir", default=None, help="tests folder --collect collects (default: <repo root>/tests)"
    )
    theorems.set_defaults(func=_cmd_theorems)

    concepts = available_concepts()
    verify = sub.add_parser(
        "verify",
        help="check an implementation against the theorems of its concept",
        description="Import MODULE (the working directory is importable), take OBJECT "
        "(a class is instantiated with no arguments, a function without required arguments "
        "is called) and run dgmcheck.checks.<concept>.verify on it. Exit 0 on pass, 1 on a "
        "theorem violation, 2 on a usage or import error.",
    )
    verify.add_argument("target", metavar="MODULE:OBJECT")
    verify.add_argument(
        "--concept",
        default="ddpm",
        help="checks module to use (default: ddpm); available: "
        + (", ".join(concepts) or "none yet"),
    )
    verify.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text",
                        help="html: a self-contained page with a plot per violation (needs matplotlib)")
    verify.add_argument("--properties", default=None, help="comma-separated property names (default: all)")
    verify.add_argument("--max-examples", type=int, default=None, help="Hypothesis examples per property")
    verify.add_argument("--dtype", default=None, help="float32 or float64 (default: the candidate's, else float64)")
    verify.add_argument("--device", default=None, help="torch device (default: the candidate's, else cpu)")
    verify.add_argument("--profile", default=None, help="Hypothesis profile: dev, ci or thorough")
    verify.add_argument("--seed", type=int, default=None, help="seed of Hypothesis' draws (replays a run)")
    verify.add_argument("--conventions", action="append", default=None, metavar="KEY=VALUE|FILE.toml",
                        help="declared conventions (steps=zero_based, reduction=mean, log_base=2, "
                             "clip_x0=-1:1, langevin_step=eps, guidance_scale=one_plus_w, ...; only the keys "
                             "the concept honours; repeatable, or a TOML file); see dgmcheck.Conventions")
    verify.add_argument("--reproduce", default=None, metavar="VERSION:BLOB",
                        help="replay a failure from the blob its report printed")
    verify.set_defaults(func=_cmd_verify)

    from dgmcheck.audit.command import add_parser as add_audit_parser

    add_audit_parser(sub)
    from dgmcheck.mutate.command import add_parser as add_mutate_parser

    add_mutate_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (argparse's own exits included)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or an argparse usage error
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    output = getattr(args, "output", None)
    if output and not Path(output).resolve().parent.is_dir():  # refused before a long run, not after
        print(f"dgmcheck {args.command}: error: --output: no folder {Path(output).parent} to write "
              f"{Path(output).name} in", file=sys.stderr)
        return EXIT_USAGE
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
