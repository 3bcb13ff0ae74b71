"""The scaffold every family's ``verify`` shares: the report, the Hypothesis settings, the runner.

A family module defines its ``Property`` table and its case strategy; this module runs a property
under the selected Hypothesis profile (``checks.profiles``) and records what ran.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from dgmcheck.checks.profiles import profile_name


@dataclass
class VerifyReport:
    """What ``verify`` ran: per property, ``passed`` or ``not applicable (reason)``.

    Family modules subclass it to name their concept (``concept = "flows"``).
    """

    candidate: str
    results: dict[str, str] = field(default_factory=dict)
    concept: ClassVar[str] = ""

    @property
    def passed(self) -> list[str]:
        return [k for k, v in self.results.items() if v == "passed"]

    def summary(self) -> str:
        width = max((len(k) for k in self.results), default=0) + 2
        lines = [f"dgmcheck verify {self.concept}: {self.candidate}: {len(self.passed)} properties passed"]
        lines += [f"  {k:<{width}} {v}" for k, v in self.results.items()]
        return "\n".join(lines)


def settings_kw(max_examples: int | None, shrink: bool) -> dict[str, Any]:
    """Overrides of the profile: ``max_examples``, and no shrinking when ``shrink`` is False
    (faster where only detection matters, e.g. planted-bug tests)."""
    kw: dict[str, Any] = {} if max_examples is None else {"max_examples": max_examples}
    if not shrink:
        kw["phases"] = [Phase.explicit, Phase.reuse, Phase.generate]
    return kw


def run_property(check: Callable[..., None], candidate: Any, strategy: st.SearchStrategy,
                 kw: dict[str, Any]) -> None:
    """``check(candidate, case)`` for Hypothesis-drawn cases under the selected profile."""

    @settings(settings.get_profile(profile_name()), **kw)
    @given(case=strategy)
    def run(case: Any) -> None:
        check(candidate, case)

    run()
