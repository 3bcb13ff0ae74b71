"""Run claims' checks and derive their verdicts."""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterable

from dgmcheck.audit.model import Claim, ClaimResult, Outcome


def run_claim(claim: Claim) -> ClaimResult:
    """The verdict of one claim: ``definition``/``notation`` for those kinds; otherwise the verdict of
    the :class:`Outcome` its check computes (``holds``, ``holds_if``, ``fails``, ``slip``, ``imprecise``;
    ``error`` if the check raised or returned something else). A slip's or imprecise claim's cited
    lines, judgement and supporting evidence travel with the result."""
    if claim.kind != "claim":
        return ClaimResult(claim, claim.kind, "no claim: a name or notation is introduced")
    start = time.perf_counter()
    try:
        outcome = claim.check()  # type: ignore[misc]
    except Exception as exc:  # a broken check is reported, never counted as a verdict
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return ClaimResult(claim, "error", f"the check raised {tb}", seconds=time.perf_counter() - start)
    seconds = time.perf_counter() - start
    if not isinstance(outcome, Outcome):
        return ClaimResult(claim, "error", f"the check returned {type(outcome).__name__}, not an Outcome",
                           seconds=seconds)
    return ClaimResult(claim, outcome.verdict, outcome.evidence,
                       outcome.counterexample if outcome.counterexample is not None else outcome.outside,
                       outcome.condition, seconds, places=outcome.places, why=outcome.why, support=outcome.support)


def run_claims(claims: Iterable[Claim]) -> list[ClaimResult]:
    return [run_claim(c) for c in claims]
