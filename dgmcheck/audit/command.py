"""``dgmcheck audit``: every claim of the lectures (or of a user's file) with its computed verdict."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dgmcheck.audit.claims import all_claims
from dgmcheck.audit.formulas import load_index
from dgmcheck.audit.model import Claim, validate_claims
from dgmcheck.audit.report import gate_failures, render_json, render_markdown, render_text
from dgmcheck.audit.runner import run_claims
from dgmcheck.audit.user import ClaimsFileError, load_claims

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _matches(claim: Claim, token: str) -> bool:
    """``--only`` token: a file (``000``), a lecture (``L8``), both (``000:L8``), or a claim id prefix."""
    if claim.id.startswith(token):
        return True
    file, _, lecture = token.partition(":") if ":" in token else (
        (token, "", "") if not token.upper().startswith("L") else ("", "", token))
    for p in claim.sources():
        if (not file or p.file == file) and (not lecture or p.lecture.upper() == lecture.upper()):
            return True
    return False


def add_parser(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser(
        "audit",
        help="which lecture formulas hold as written (computed verdicts)",
        description="Run the check of every claim transcribed from the lectures (or from --claims "
        "files) and report its computed verdict: holds, holds_if (with the condition), fails (with "
        "a counterexample), slip (a symbol error the neighbouring lines fix, with the corrected form), "
        "imprecise (true only in a limit or as an approximation), definition, notation. With NOTES.md or "
        "NOTES.tex: every formula of your own notes, step by step (holds, fails, not parsed, not a claim).",
    )
    audit.add_argument("notes", nargs="?", default=None, metavar="NOTES.md|NOTES.tex",
                       help="audit the formulas of your own derivation notes instead of the lectures "
                       "(symbols declared in TOML front matter, a ```toml dgmcheck block or --symbols)")
    audit.add_argument("--symbols", default=None, metavar="FILE.toml",
                       help="the symbol table of NOTES ([symbols] with domains, [relations])")
    audit.add_argument("--extract", action="store_true",
                       help="with NOTES: write a [[claim]] TOML skeleton of the formulas not checked automatically")
    audit.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    audit.add_argument("--strict", action="store_true",
                       help="exit 1 when any claim is false as written (fails, slip, imprecise) or its check errors")
    audit.add_argument("--only", action="append", default=[], metavar="FILE|LECTURE",
                       help="only claims with a source in this file (000), lecture (L8) or both (000:L8), "
                       "or whose id starts with it; repeatable")
    audit.add_argument("--claims", action="append", default=[], metavar="PATH",
                       help="audit the claims of this .py or .toml file instead of the lectures; repeatable")
    audit.add_argument("--output", default=None, metavar="FILE", help="write the report here instead of stdout")
    audit.set_defaults(func=cmd_audit)


def cmd_audit(args: argparse.Namespace) -> int:
    if getattr(args, "notes", None) is not None or getattr(args, "symbols", None) or getattr(args, "extract", False):
        from dgmcheck.audit.notes import cmd_notes

        return cmd_notes(args)
    try:
        claims = [c for path in args.claims for c in load_claims(path)] if args.claims else all_claims()
    except ClaimsFileError as exc:
        print(f"dgmcheck audit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not claims:
        print("dgmcheck audit: error: no claims to audit", file=sys.stderr)
        return EXIT_USAGE
    from dgmcheck.theorems import BY_ID

    problems = validate_claims(claims, registry_ids=set(BY_ID))
    if problems:
        print("dgmcheck audit: error: invalid claims:\n  " + "\n  ".join(problems), file=sys.stderr)
        return EXIT_USAGE
    if args.only:
        claims = [c for c in claims if any(_matches(c, t) for t in args.only)]
        if not claims:
            print(f"dgmcheck audit: error: --only {' '.join(args.only)} matches no claim", file=sys.stderr)
            return EXIT_USAGE
    start = time.perf_counter()
    results = run_claims(claims)
    elapsed = time.perf_counter() - start
    covered = None if args.claims else len({f for c in claims for f in c.formulas} & set(load_index()))
    if args.format == "json":
        out = render_json(results)
    elif args.format == "markdown":
        out = render_markdown(results, formulas=covered)
    else:
        out = render_text(results, formulas=covered)
    if args.output:
        Path(args.output).write_text(out, encoding="utf-8")
    else:
        sys.stdout.write(out)
    if args.format == "text":
        print(f"({elapsed:.1f} s)", file=sys.stderr)
    return EXIT_FAIL if args.strict and gate_failures(results) else EXIT_OK
