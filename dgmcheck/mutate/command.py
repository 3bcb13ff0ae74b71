"""``dgmcheck mutate``: would the gate notice a domain bug in this file?

    dgmcheck mutate PATH_OR_MODULE [--target FUNC_OR_CLASS ...]
        (--run "pytest tests/test_x.py" | --verify MODULE:OBJECT[@CONCEPT] [--verify ...] [--concept C]
         [--conventions ...])
        [--operators a,b] [--jobs N] [--timeout S] [--format text|json]

``--verify`` repeats: each object is judged in turn by its concept's ``verify`` (``@CONCEPT`` after
the object, else ``--concept``), e.g. ``--verify tests._impl_candidates:vae_functions@vae --verify
tests._impl_candidates:linear_gaussian@latent``. ``@`` cannot occur in a module path or an attribute
name, so the suffix is unambiguous, and it keeps each object and its concept in one argument (a
pairing by position of separate options would break when one is left out). A mutant is killed by
the first object whose verify kills it (the report names the object), equivalent only when every
object's recorded results are unchanged, not applicable only when no object's run evaluates the
mutated expression. ``--conventions``, ``--properties``, ``--max-examples``, ``--dtype``, ``--device``
and ``--timeout`` (per object's run) apply to every object.

Exit status: 0 when no mutant survived, 1 when one did, 2 on a usage error (the unmutated code
failing or never importing the file included).
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import os
import sys
from pathlib import Path
from typing import Any

from dgmcheck.mutate.mutants import Mutant, generate
from dgmcheck.mutate.operators import OPERATORS
from dgmcheck.mutate.runner import (
    STATUSES,
    MutateError,
    Outcome,
    VerifyTarget,
    default_jobs,
    run_command,
    run_verify,
    start_workers,
)

EXIT_OK, EXIT_SURVIVED, EXIT_USAGE = 0, 1, 2


class _Usage(Exception):
    """A ``mutate`` argument that cannot be used; the message names the option."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mutate",
        help="mutation testing with domain bugs: would your tests or verify notice them?",
        description="Plant one domain bug at a time in PATH_OR_MODULE (a dropped √, σ for σ², ᾱ_{t-1} for ᾱ_t, a "
        "flipped score sign, ...) and run --run COMMAND or dgmcheck's verify on --verify MODULE:OBJECT (repeatable) "
        "against each "
        "mutant: killed, survived (with its diff), equivalent on the checked domain, timeout or not applicable "
        "(never evaluated). Exit 0 when nothing survived, 1 when a mutant survived, 2 on a usage error.",
    )
    p.add_argument("path", metavar="PATH_OR_MODULE", help="the file to mutate: a .py path or a module name")
    p.add_argument("--target", action="extend", nargs="+", default=None, metavar="FUNC_OR_CLASS",
                   help="only mutate inside these functions or classes (Class, func, Class.method)")
    p.add_argument("--run", default=None, metavar="COMMAND",
                   help='judge each mutant by this shell command\'s exit status, e.g. "pytest -q tests/test_x.py"')
    p.add_argument("--verify", action="append", default=None, metavar="MODULE:OBJECT[@CONCEPT]",
                   help="judge each mutant by dgmcheck.checks.<concept>.verify on this object (as dgmcheck verify); "
                        "repeatable: the objects are judged in turn, the first kill counts; @CONCEPT overrides "
                        "--concept for this object")
    p.add_argument("--concept", default="ddpm",
                   help="checks module for a --verify object without @CONCEPT (default: ddpm)")
    p.add_argument("--conventions", action="append", default=None, metavar="KEY=VALUE|FILE.toml",
                   help="declared conventions for --verify, as for dgmcheck verify")
    p.add_argument("--properties", default=None, help="--verify: comma-separated property names (default: all)")
    p.add_argument("--max-examples", type=int, default=None, help="--verify: Hypothesis examples per property")
    p.add_argument("--dtype", default=None, help="--verify: float32 or float64")
    p.add_argument("--device", default=None, help="--verify: torch device")
    p.add_argument("--seed", type=int, default=0, help="--verify: Hypothesis seed, the same for every mutant")
    p.add_argument("--operators", default=None, metavar="A,B",
                   help=f"comma-separated operators (default: all): {', '.join(OPERATORS)}")
    p.add_argument("--jobs", type=int, default=None, help=f"mutants run at once (default: {default_jobs()})")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds per mutant (default: 10x the unmutated run, at least 10)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_mutate)


def resolve_path(given: str) -> Path:
    """The file of ``PATH_OR_MODULE``: an existing ``.py`` file, or the source of a module name."""
    path = Path(given)
    if path.suffix == ".py" or os.sep in given or "/" in given:
        if not path.is_file():
            raise _Usage(f"PATH_OR_MODULE: no file {given!r}")
        return path
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        spec = importlib.util.find_spec(given)
    except (ImportError, ValueError) as exc:
        raise _Usage(f"PATH_OR_MODULE: {given!r} is no file and no importable module ({exc})") from None
    if spec is None or not spec.origin or not spec.origin.endswith(".py") or not Path(spec.origin).is_file():
        raise _Usage(f"PATH_OR_MODULE: {given!r} is no file and no module with a Python source file")
    return Path(spec.origin)


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _verify_options(args: argparse.Namespace, concept: str) -> tuple[str, dict[str, Any]]:
    """The concept's module name (an old spelling, e.g. ``fm``, resolved) and ``verify``'s keyword
    arguments from the options, through ``dgmcheck verify``'s own parsing."""
    from dgmcheck import cli

    try:
        module = cli.concept_module(concept)
    except cli.ConceptError as exc:
        raise _Usage(f"--concept: {exc}") from None
    ns = argparse.Namespace(properties=None, max_examples=args.max_examples, dtype=args.dtype, device=args.device,
                            conventions=args.conventions, reproduce=None, concept=concept)
    try:
        kwargs = cli._verify_kwargs(module.verify, ns, module)
    except cli._UsageError as exc:
        raise _Usage(str(exc)) from None
    if "shrink" in inspect.signature(module.verify).parameters:
        kwargs["shrink"] = False  # a kill needs the failure, not its smallest example
    return module.__name__.rsplit(".", 1)[-1], kwargs


def _split_verify(given: str, default_concept: str) -> tuple[str, str]:
    """``MODULE:OBJECT[@CONCEPT]`` as (``MODULE:OBJECT``, concept)."""
    ref, at, concept = given.partition("@")
    module, sep, obj = ref.partition(":")
    if not (module and sep and obj) or (at and not concept):
        raise _Usage(f"--verify: expected MODULE:OBJECT or MODULE:OBJECT@CONCEPT, e.g. my_model:make@ddpm, "
                     f"got {given!r}")
    return ref, concept if at else default_concept


def _check(args: argparse.Namespace) -> tuple[Path, list[Mutant], list[VerifyTarget] | None]:
    if (args.run is None) == (args.verify is None):
        raise _Usage("give exactly one of --run COMMAND and --verify MODULE:OBJECT")
    if args.jobs is not None and args.jobs < 1:
        raise _Usage(f"--jobs must be >= 1, got {args.jobs}")
    if args.timeout is not None and not args.timeout > 0:
        raise _Usage(f"--timeout must be > 0 seconds, got {args.timeout}")
    if args.run is not None and not args.run.strip():
        raise _Usage("--run: the command is empty")
    given = [_split_verify(v, args.concept) for v in args.verify or ()]
    if len(set(given)) < len(given):
        raise _Usage("--verify: an object is given twice with the same concept")
    path = resolve_path(args.path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _Usage(f"PATH_OR_MODULE: cannot read {path} ({exc})") from None
    operators = None if args.operators is None else args.operators.split(",")
    try:
        mutants = generate(source, path=_shown(path), operators=operators, targets=args.target)
    except SyntaxError as exc:
        raise _Usage(f"PATH_OR_MODULE: {path} does not parse ({exc})") from None
    except ValueError as exc:
        option = "--operators" if "operator" in str(exc) else "--target"
        raise _Usage(f"{option}: {exc}") from None
    if given and mutants:
        start_workers(str(path), [c for _, c in given])  # its imports overlap with ours below
    if not given:
        return path, mutants, None
    only = tuple(p.strip() for p in (args.properties or "").split(",") if p.strip()) or None
    targets = []
    for ref, concept in given:
        name, kwargs = _verify_options(args, concept)
        targets.append(VerifyTarget(ref, name, kwargs, only))
    return path, mutants, targets


def summary(outcomes: list[Outcome]) -> str:
    """``N mutants: a killed, ...; kill rate k/n (p %)`` (timeouts count as kills; equivalent and
    not-applicable mutants are left out of the rate)."""
    counts = {s: sum(o.status == s for o in outcomes) for s in STATUSES}
    parts = ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in STATUSES)
    judged = counts["killed"] + counts["timeout"] + counts["survived"]
    rate = f"{counts['killed'] + counts['timeout']}/{judged}" + (
        f" ({100 * (counts['killed'] + counts['timeout']) / judged:.0f} %)" if judged else "")
    return f"{len(outcomes)} mutants: {parts}; kill rate {rate}"


def render_text(outcomes: list[Outcome], header: str, name_object: bool = False) -> str:
    """One line per mutant (with what killed it, and on which object when ``name_object``), then the
    diff of each survivor and the summary."""
    lines = [header]
    width_op = max((len(o.mutant.operator) for o in outcomes), default=0)
    width_loc = max((len(o.mutant.location) for o in outcomes), default=0)
    for o in outcomes:
        m = o.mutant
        obj = o.on.rsplit("@", 1)[0] if name_object and o.on else ""  # the object that killed or timed out
        if o.status == "killed" and o.by:
            why = f"  [{o.by} on {obj}]" if obj else f"  [{o.by}]"
        else:
            why = f"  [{obj}]" if obj else ""
        lines.append(f"  {o.status:<14} {m.operator:<{width_op}}  {m.location:<{width_loc}}  {m.description}{why}")
    for o in outcomes:
        if o.status == "survived":
            lines += ["", f"--- survived: {o.mutant.operator} at {o.mutant.location} ---", o.mutant.diff]
    lines += ["", summary(outcomes)]
    return "\n".join(lines)


def cmd_mutate(args: argparse.Namespace) -> int:
    def usage(message: str) -> int:
        print(f"dgmcheck mutate: error: {message}", file=sys.stderr)
        return EXIT_USAGE

    try:
        path, mutants, targets = _check(args)
    except _Usage as exc:
        return usage(str(exc))
    jobs = args.jobs or default_jobs()
    try:
        if not mutants:
            outcomes: list[Outcome] = []
        elif targets is not None:
            outcomes = run_verify(mutants, target_file=str(path), targets=targets, seed=args.seed, jobs=jobs,
                                  timeout=args.timeout)
        else:
            outcomes = run_command(mutants, target_file=str(path), command=args.run, jobs=jobs, timeout=args.timeout)
    except MutateError as exc:
        return usage(str(exc))
    if args.format == "json":
        import json

        print(json.dumps([o.to_dict() for o in outcomes], indent=2, ensure_ascii=False))
    else:
        against = f"--run {args.run!r}" if targets is None else "verify " + ", ".join(
            f"{t.ref} --concept {t.concept}" for t in targets)
        print(render_text(outcomes, f"dgmcheck mutate: {_shown(path)} against {against}: {len(mutants)} mutants, "
                                    f"{jobs} at a time", name_object=targets is not None and len(targets) > 1))
    return EXIT_SURVIVED if any(o.status == "survived" for o in outcomes) else EXIT_OK
