"""The scaffold every family's ``verify`` shares: the report, the Hypothesis settings, the runner.

A family module defines its ``Property`` table and its case strategy; this module runs a property
under the selected Hypothesis profile (``checks.profiles``) and records what ran.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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


@dataclass(frozen=True)
class Property:
    """One checked property of a family: its name, the theorem it holds the candidate to, the
    ``check_*`` function, and the candidate methods it needs. Families subclass it for more
    applicability conditions (a path kind, Gaussian data only, ...)."""

    name: str
    theorem: str
    check: Callable[..., None]
    requires: tuple[str, ...] = ()


def select(properties: Iterable[str] | None, names: Sequence[str]) -> list[str] | None:
    """The properties asked for by name (``None``: all); an unknown name is a ValueError."""
    wanted = None if properties is None else list(properties)
    if wanted is not None:
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            raise ValueError(f"properties must be among {tuple(names)}, got unknown {unknown}")
    return wanted


def dtype_device(candidate: Any, dtype: Any, device: Any) -> tuple[Any, Any]:
    """``dtype``/``device`` as given, else the candidate's attributes, else float64 on the CPU."""
    import torch

    return (dtype or getattr(candidate, "dtype", None) or torch.float64,
            device or getattr(candidate, "device", None) or "cpu")


def candidate_name(candidate: Any) -> str:
    return getattr(candidate, "__name__", None) or type(candidate).__name__


def run_properties(candidate: Any, table: Sequence[Property], report: VerifyReport, *,
                   wanted: list[str] | None, kw: dict[str, Any],
                   strategy: Callable[[Property], st.SearchStrategy],
                   not_applicable: Callable[[Property], str | None] | None = None,
                   lacks: Callable[[Property], str | None] | None = None,
                   none_provided: str | None = None) -> VerifyReport:
    """Run each selected property of ``table`` that applies to ``candidate`` and record it in ``report``.

    A property applies when the candidate has every method it ``requires`` (or, with ``lacks``, when
    ``lacks(prop)`` gives no reason: for requirements that are attributes rather than methods) and
    ``not_applicable`` gives no reason. A property asked for by name that does not apply is a TypeError; otherwise it
    is recorded as ``not applicable (reason)``. With ``none_provided``, a candidate for which no
    property applied is a TypeError with that message.
    """
    for prop in table:
        if wanted is not None and prop.name not in wanted:
            continue
        if lacks is not None:
            reason = lacks(prop)
        else:
            missing = [m for m in prop.requires if not callable(getattr(candidate, m, None))]
            reason = f"needs {', '.join(missing)}" if missing else None
        if not reason and not_applicable is not None:
            reason = not_applicable(prop)
        if reason:
            if wanted is not None:
                raise TypeError(f"property {prop.name!r} {reason}; {report.candidate} does not provide it")
            report.results[prop.name] = f"not applicable ({reason})"
            continue
        run_property(prop.check, candidate, strategy(prop), kw)
        report.results[prop.name] = "passed"
    if none_provided is not None and not report.passed and wanted is None:
        raise TypeError(none_provided)
    return report
