"""The scaffold every family's ``verify`` shares: the report, the Hypothesis settings, the runner.

A family module defines its ``Property`` table and its case strategy; :func:`run_properties` runs
every applicable property under the selected Hypothesis profile (``checks.profiles``), keeps going
after a failure, and records per property: passed / failed (with the violation, the blob that
replays it and, where another declared convention would explain it, a hint) / not applicable
(with the reason). ``verify`` raises :class:`VerifyFailed` carrying the whole report when any
property failed (``raise_on_failure=False`` returns the report instead).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import hypothesis
import numpy as np
from hypothesis import Phase, given, reproduce_failure, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from dgmcheck.checks.capture import CaptureMismatch
from dgmcheck.checks.conventions import declared, hint_text
from dgmcheck.checks.errors import CandidateRaised, TheoremViolation, raised_where
from dgmcheck.checks.profiles import hypothesis_name, profile_name

STATUSES = ("passed", "failed", "not_applicable")
_OVERRIDES: dict[str, Any] = {"seed": None}


@contextlib.contextmanager
def overrides(*, seed: int | None = None) -> Iterator[None]:
    """Within the block, every property draws from Hypothesis seeded with ``seed`` (a run replayed
    exactly by its seed, e.g. ``dgmcheck verify --seed``)."""
    old = dict(_OVERRIDES)
    _OVERRIDES["seed"] = seed
    try:
        yield
    finally:
        _OVERRIDES.update(old)


def plain(value: Any) -> Any:
    """A JSON-ready copy: numpy scalars and arrays as Python numbers and lists, ``0.0`` not
    ``np.float64(0.0)``; tensors through numpy; anything else by ``str``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, np.generic):
        return plain(value.item())
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()] if value.ndim else plain(value.item())
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return str(value)


_BLOB = re.compile(r"@reproduce_failure\('([^']+)', (b'[^']*')\)")


@dataclass
class PropertyResult:
    """One property's outcome. ``violation`` is set when ``status == "failed"``; ``reproduce`` is
    the ``(hypothesis version, blob)`` pair that replays it (``verify(..., reproduce=...)``)."""

    name: str
    theorem: str
    slide: str
    status: str
    reason: str = ""
    examples: int = 0
    seconds: float = 0.0
    violation: TheoremViolation | None = None
    hint: str = ""
    reproduce: tuple[str, str] | None = None

    def __str__(self) -> str:
        if self.status == "not_applicable":
            return f"not applicable ({self.reason})"
        if self.status == "failed":
            head = str(self.violation).splitlines()[0] if self.violation else self.reason
            return f"FAILED {head}"
        return "passed"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "theorem": self.theorem, "slide": self.slide,
                               "status": self.status, "examples": self.examples,
                               "seconds": round(self.seconds, 4)}
        if self.reason:
            out["reason"] = self.reason
        if self.violation is not None:
            v = self.violation
            out["violation"] = {"message": str(v), "inputs": plain(v.inputs),
                                "expected": plain(v.expected), "observed": plain(v.observed)}
            if getattr(v, "series", None):
                out["violation"]["series"] = plain(v.series)
        if self.hint:
            out["hint"] = self.hint
        if self.reproduce is not None:
            out["reproduce"] = list(self.reproduce)
        return out


@dataclass
class VerifyReport:
    """What ``verify`` ran: one :class:`PropertyResult` per property of the family, in table order.

    Family modules subclass it to name their concept (``concept = "flows"``).
    """

    candidate: str
    results: dict[str, PropertyResult] = field(default_factory=dict)
    conventions: Any = None
    concept: ClassVar[str] = ""

    @property
    def passed(self) -> list[str]:
        return [k for k, r in self.results.items() if r.status == "passed"]

    @property
    def failed(self) -> list[str]:
        return [k for k, r in self.results.items() if r.status == "failed"]

    @property
    def not_applicable(self) -> list[str]:
        return [k for k, r in self.results.items() if r.status == "not_applicable"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        width = max((len(k) for k in self.results), default=0) + 2
        twidth = max((len(r.theorem) for r in self.results.values()), default=0) + 2
        lines = [f"dgmcheck verify {self.concept}: {self.candidate}: {len(self.passed)} passed, "
                 f"{len(self.failed)} failed, {len(self.not_applicable)} not applicable"]
        if self.conventions is not None and str(self.conventions):
            lines.append(f"  conventions: {self.conventions}")
        for k, r in self.results.items():
            lines.append(f"  {k:<{width}} {r.theorem:<{twidth}} {r}")
        for k in self.failed:
            r = self.results[k]
            lines += ["", f"--- {k} ---", str(r.violation)]
            if r.hint:
                lines.append(f"  hint: {r.hint}")
            if r.reproduce:
                lines.append(f"  replay: verify(..., properties=[{k!r}], reproduce={r.reproduce!r})")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"concept": self.concept, "candidate": self.candidate,
                "conventions": None if self.conventions is None else self.conventions.to_dict(),
                "passed": self.passed, "failed": self.failed, "not_applicable": self.not_applicable,
                "properties": [r.to_dict() for r in self.results.values()]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    def to_markdown(self) -> str:
        lines = [f"# dgmcheck verify {self.concept}: `{self.candidate}`", "",
                 f"{len(self.passed)} passed · {len(self.failed)} failed · "
                 f"{len(self.not_applicable)} not applicable", "",
                 "| property | theorem | slide | status | examples | seconds |",
                 "| --- | --- | --- | --- | --- | --- |"]
        for r in self.results.values():
            status = r.status if r.status != "not_applicable" else f"not applicable ({r.reason})"
            lines.append(f"| {r.name} | `{r.theorem}` | {r.slide} | {status} | {r.examples} | "
                         f"{r.seconds:.2f} |")
        for k in self.failed:
            r = self.results[k]
            lines += ["", f"## {k} failed", "", "```", str(r.violation), "```"]
            if r.hint:
                lines += ["", f"**Hint:** {r.hint}"]
            if r.reproduce:
                lines += ["", f"Replay: `verify(..., properties=[{k!r}], reproduce={r.reproduce!r})`"]
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        """A self-contained HTML page: every property, and each violation with a plot (``checks._report_html``)."""
        from dgmcheck.checks._report_html import render

        return render(self)


class VerifyFailed(TheoremViolation):
    """``verify`` found at least one violation. ``report`` holds every property's outcome;
    ``theorem``/``inputs``/``expected``/``observed`` are those of the first failure."""

    def __init__(self, report: VerifyReport) -> None:
        first = report.results[report.failed[0]]
        v = first.violation
        self.report = report
        self.violations = [report.results[k].violation for k in report.failed]
        super().__init__(v.theorem, "", slide=v.slide, inputs=v.inputs, expected=v.expected,
                         observed=v.observed)
        self.args = (self._text(),)

    def _text(self) -> str:
        # The first violation leads (what a test runner shows first), then the whole report.
        return f"{self.violations[0]}\n\n{self.report.summary()}"

    def __str__(self) -> str:
        return self._text()

    def __reduce__(self) -> tuple[Any, ...]:
        return (VerifyFailed, (self.report,))


#: Seconds a failing property may spend shrinking its example (``shrink=True``); the smallest
#: failing example found by then is reported. Shrinking a drawn array means searching its seed, and
#: an uncapped shrink took 10-30x the time that finding the failure did.
SHRINK_SECONDS = 1.0


def settings_kw(max_examples: int | None, shrink: bool | float) -> dict[str, Any]:
    """Overrides of the profile: ``max_examples``, and the shrink phase: ``shrink=False`` reports a
    failing example as drawn (fastest, where only detection matters), ``True`` shrinks it for at
    most ``SHRINK_SECONDS``, a number for at most that many seconds."""
    if not isinstance(shrink, (bool, int, float)) or (not isinstance(shrink, bool) and not shrink > 0):
        raise ValueError(f"shrink must be True, False or a positive number of seconds, got {shrink!r}")
    kw: dict[str, Any] = {} if max_examples is None else {"max_examples": max_examples}
    if shrink is False:
        kw["phases"] = [Phase.explicit, Phase.reuse, Phase.generate]
    else:
        kw["_shrink_seconds"] = SHRINK_SECONDS if shrink is True else float(shrink)
    return kw


@contextlib.contextmanager
def _shrink_budget(seconds: float | None) -> Iterator[None]:
    # Hypothesis documents this engine constant as the one to monkeypatch to change its cap.
    from hypothesis.internal.conjecture import engine

    if seconds is None:
        yield
        return
    from hypothesis import reporting

    outer = reporting.current_reporter()

    def quiet(message: Any) -> None:  # the cap is ours: drop Hypothesis's "five minutes" warning
        if "working to shrink a failing example" not in str(message):
            outer(message)

    old = engine.MAX_SHRINKING_SECONDS
    engine.MAX_SHRINKING_SECONDS = seconds
    try:
        with reporting.with_reporter(quiet):
            yield
    finally:
        engine.MAX_SHRINKING_SECONDS = old


def run_property(check: Callable[..., None], candidate: Any, strategy: st.SearchStrategy,
                 kw: dict[str, Any], *, reproduce: tuple[str, str] | None = None, theorem: str = "") -> int:
    """``check(candidate, case)`` for Hypothesis-drawn cases under the selected profile.

    Returns the number of cases run. A violation leaves the failing case on the exception
    (``violation.case``) and the replay blob (``violation.reproduce``) when Hypothesis printed one.
    """
    count = [0]
    kw = dict(kw)
    shrink_seconds = kw.pop("_shrink_seconds", None)

    @settings(settings.get_profile(hypothesis_name(profile_name())), **kw)
    @given(case=strategy)
    def run(case: Any) -> None:
        count[0] += 1
        try:
            try:
                check(candidate, case)
            except CaptureMismatch as exc:  # drew other variates than the theorem's: a violation
                raise TheoremViolation(theorem, f"the candidate's own random draws are not the ones the "
                                       f"theorem needs: {exc}", inputs={"case": case}) from None
            except (TheoremViolation, HypothesisException):
                raise
            except Exception as exc:  # a crash on the theorem's domain is reported, not raised
                raise CandidateRaised(theorem, f"raised {type(exc).__name__}: {exc} (at {raised_where(exc)}) on "
                                      f"inputs of the theorem's domain", inputs={"case": case}) from exc
        except TheoremViolation as exc:
            exc.case = case  # the last replay is the shrunk example
            raise

    _reuse_digest(run)
    if reproduce is not None:
        run = reproduce_failure(reproduce[0], _blob_bytes(reproduce[1]))(run)
    if _OVERRIDES["seed"] is not None:
        run = hypothesis.seed(_OVERRIDES["seed"])(run)
    try:
        with _shrink_budget(shrink_seconds):
            run()
    except TheoremViolation as exc:
        for note in getattr(exc, "__notes__", ()):
            m = _BLOB.search(note)
            if m:
                exc.reproduce = (m.group(1), m.group(2)[2:-1])  # the blob's text, without b
        exc.examples = count[0]
        raise
    return count[0]


_DIGESTS: dict[Any, bytes] = {}  # code object of a property's ``run`` -> Hypothesis's digest of it


def _reuse_digest(run: Any) -> None:
    """Give ``run`` the digest Hypothesis would compute for it, computed once per process.

    Every property runs the same ``run`` source, so its digest (the database key, and the seed under a
    derandomized profile) is one value; Hypothesis recomputes it from the source text twice per call,
    about 2 ms each — a few seconds of every test session. Setting the seed and the key it would derive
    leaves the draws and the database as they were."""
    from hypothesis.internal.reflection import function_digest

    inner = run.hypothesis.inner_test
    digest = _DIGESTS.get(inner.__code__)
    if digest is None:
        digest = _DIGESTS[inner.__code__] = function_digest(inner)
    run._hypothesis_internal_database_key = digest  # what Hypothesis's own find() sets
    if run._hypothesis_internal_use_settings.derandomize:
        hypothesis.seed(int.from_bytes(digest, "big"))(run)


def _blob_bytes(blob: Any) -> bytes:
    if isinstance(blob, bytes):
        return blob
    text = str(blob)
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    return text.encode("ascii")


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
    if isinstance(properties, str):
        raise TypeError(f"properties must be a list of property names, got the string {properties!r}")
    wanted = None if properties is None else list(properties)
    if wanted is not None:
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            raise ValueError(f"properties must be among {tuple(names)}, got unknown {unknown}")
    return wanted


def dtype_device(candidate: Any, dtype: Any, device: Any) -> tuple[Any, Any]:
    """``dtype``/``device`` as given, else the candidate's attributes, else float64 on the CPU."""
    import torch

    dtype = dtype or getattr(candidate, "dtype", None) or torch.float64
    if isinstance(dtype, str):
        dtype = getattr(torch, dtype.replace("torch.", ""), None)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch dtype (torch.float32, torch.float64), got {dtype!r}")
    return dtype, device or getattr(candidate, "device", None) or "cpu"


def candidate_name(candidate: Any) -> str:
    return getattr(candidate, "__name__", None) or type(candidate).__name__


def slide_of(theorem: str) -> str:
    """The lecture slide(s) a theorem cites, from the registry records (the one source)."""
    try:
        from dgmcheck.theorems import BY_ID
    except Exception:  # the registry must never break a verify
        return ""
    rec = BY_ID.get(theorem)
    if rec is None or not rec.sources:
        return ""
    return "; ".join(str(s) for s in rec.sources)


Hint = Callable[[Property, Any, TheoremViolation], str | None]


#: The parameters every family's ``verify`` takes after its own (:func:`family_verify`).
COMMON_PARAMETERS = tuple(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann)
                          for name, default, ann in (
    ("dtype", None, Any), ("device", None, Any), ("properties", None, Iterable[str] | None),
    ("conventions", None, Any), ("max_examples", None, int | None), ("shrink", True, bool | float),
    ("raise_on_failure", True, bool), ("reproduce", None, tuple[str, str] | None)))


@dataclass(frozen=True)
class Run:
    """One call of a family's ``verify`` (:func:`family_verify`), its common arguments resolved: the
    parsed ``conventions`` (``conventions_given``: whether the caller declared any), ``dtype`` and
    ``device`` (:func:`dtype_device`), the ``wanted`` properties (:func:`select`) and the Hypothesis
    settings ``kw`` (:func:`settings_kw`)."""

    candidate: Any
    table: Sequence[Property]
    report_type: type[VerifyReport]
    honours: tuple[str, ...]
    conventions: Any
    conventions_given: bool
    dtype: Any
    device: Any
    wanted: list[str] | None
    kw: dict[str, Any]
    raise_on_failure: bool
    reproduce: tuple[str, str] | None

    @property
    def name(self) -> str:
        return candidate_name(self.candidate)

    def properties(self, strategy: Callable[[Property], st.SearchStrategy], *,
                   not_applicable: Callable[[Property], str | None] | None = None,
                   lacks: Callable[[Property], str | None] | None = None, provides: str | None = None,
                   hint: Hint | None = None, carry_conventions: bool = False, candidate: Any = None,
                   table: Sequence[Property] | None = None, name: str | None = None,
                   conventions: Any = None) -> VerifyReport:
        """:func:`run_properties` under this call's arguments, ``strategy(prop)`` drawing the cases.

        ``provides`` names what a candidate with none of the family's methods lacks (a TypeError
        then). With ``carry_conventions`` each drawn case carries the ``conventions`` (a field of the
        family's case) and a failing property that passes with one honoured key changed gets the hint
        (:func:`convention_hint`). ``candidate``, ``table``, ``name`` (of the report) and
        ``conventions`` replace the call's own (a wrapped candidate, checks bound to more arguments, a
        longer report name)."""
        candidate = self.candidate if candidate is None else candidate
        conv = self.conventions if conventions is None else conventions
        name = name or self.name
        if carry_conventions:
            drawn = strategy

            def strategy(prop: Property, c: Any = conv) -> st.SearchStrategy:
                return drawn(prop).map(lambda case: dataclasses.replace(case, conventions=c))

            hint = convention_hint(candidate, conv, self.honours, strategy)
        return run_properties(
            candidate, self.table if table is None else table, self.report_type(name), wanted=self.wanted,
            kw=self.kw, strategy=strategy, not_applicable=not_applicable, lacks=lacks,
            none_provided=None if provides is None else f"{self.name} provides none of the {provides}", hint=hint,
            raise_on_failure=self.raise_on_failure, reproduce=self.reproduce, conventions=conv)


def family_verify(table: Sequence[Property], report_type: type[VerifyReport], *, honours: Iterable[str] = (),
                  parse: Callable[[Any, Any], Any] | None = None) -> Callable[[Callable[..., VerifyReport]],
                                                                             Callable[..., VerifyReport]]:
    """Make a family's ``verify`` from its body ``body(run, candidate, <the family's own parameters>)``.

    The ``verify`` made takes the body's parameters (``run`` left out) and then
    :data:`COMMON_PARAMETERS`, with the body's name and docstring (what ``help`` shows). A call
    first parses ``conventions`` (``parse(candidate, conventions)``; by default
    :func:`~dgmcheck.checks.conventions.declared` for the keys the family ``honours``: any other key
    is a ValueError before the candidate is looked at), then resolves ``dtype``/``device``, the
    selection and the Hypothesis settings into a :class:`Run` and returns ``body(run, ...)``, which
    runs the table with :meth:`Run.properties`."""
    honours = tuple(honours)

    def decorate(body: Callable[..., VerifyReport]) -> Callable[..., VerifyReport]:
        sig = inspect.signature(body)
        own = list(sig.parameters.values())[1:]  # the first is ``run``
        clash = {p.name for p in own} & {p.name for p in COMMON_PARAMETERS}
        if clash or not own:
            raise TypeError(f"a verify body takes (run, candidate, <the family's own parameters>), none named like "
                            f"{[p.name for p in COMMON_PARAMETERS]}; {body.__qualname__} takes {sig}")
        positional = [p for p in own if p.kind is not p.KEYWORD_ONLY]
        public = sig.replace(parameters=[*positional, *(p for p in own if p.kind is p.KEYWORD_ONLY),
                                         *COMMON_PARAMETERS])

        @functools.wraps(body)
        def verify(*args: Any, **kwargs: Any) -> VerifyReport:
            given = public.bind(*args, **kwargs)
            given.apply_defaults()
            arg = given.arguments
            common = {p.name: arg.pop(p.name) for p in COMMON_PARAMETERS}
            candidate, declaration = arg[own[0].name], common["conventions"]
            conv = (parse(candidate, declaration) if parse is not None
                    else declared(declaration, report_type.concept, honours))
            dtype, device = dtype_device(candidate, common["dtype"], common["device"])
            run = Run(candidate, table, report_type, honours, conv, declaration is not None, dtype, device,
                      select(common["properties"], [p.name for p in table]),
                      settings_kw(common["max_examples"], common["shrink"]), common["raise_on_failure"],
                      common["reproduce"])
            return body(run, **arg)

        verify.__signature__ = public  # type: ignore[attr-defined]
        verify.__annotations__ = {**{p.name: p.annotation for p in public.parameters.values()
                                     if p.annotation is not p.empty}, "return": sig.return_annotation}
        return verify

    return decorate


def convention_hint(candidate: Any, conventions: Any, keys: Iterable[str],
                    strategy: Callable[[Property, Any], st.SearchStrategy]) -> Hint:
    """The hint of a family whose cases carry their ``conventions``: for a failing property, the
    first convention differing from ``conventions`` in one of ``keys`` under which the failing case
    passes and the property then holds on fresh draws (``strategy(prop, alternative)``; a short,
    unshrunk run), said by :func:`~dgmcheck.checks.conventions.hint_text`; else no hint."""
    keys = tuple(keys)

    def hint(prop: Property, case: Any, violation: TheoremViolation) -> str | None:
        for key, alt in conventions.alternatives(keys):
            try:
                prop.check(candidate, dataclasses.replace(case, conventions=alt))
                run_property(prop.check, candidate, strategy(prop, alt), settings_kw(10, False))
            except Exception:  # the alternative does not explain it either (or cannot even run)
                continue
            return hint_text(key, alt)
        return None

    return hint


def run_properties(candidate: Any, table: Sequence[Property], report: VerifyReport, *,
                   wanted: list[str] | None, kw: dict[str, Any],
                   strategy: Callable[[Property], st.SearchStrategy],
                   not_applicable: Callable[[Property], str | None] | None = None,
                   lacks: Callable[[Property], str | None] | None = None,
                   none_provided: str | None = None, hint: Hint | None = None,
                   raise_on_failure: bool = True,
                   reproduce: tuple[str, str] | None = None, conventions: Any = None) -> VerifyReport:
    """Run each selected property of ``table`` that applies to ``candidate``; record it in ``report``.

    A property applies when the candidate has every method it ``requires`` (or, with ``lacks``,
    when ``lacks(prop)`` gives no reason: for requirements that are attributes rather than
    methods) and ``not_applicable`` gives no reason. A property asked for by name that does not
    apply is a TypeError; otherwise it is recorded as not applicable with the reason. With
    ``none_provided``, a candidate for which no property applied is a TypeError with that message.

    Every applicable property runs, also after a failure. A failure records the violation, the
    blob that replays it, and ``hint(prop, case, violation)`` (a convention under which the same
    case would pass). At the end, with ``raise_on_failure``, any failure raises
    :class:`VerifyFailed` with the whole report. ``conventions`` (the parsed declaration the
    family's ``verify`` holds the candidate to) is recorded on the report.
    """
    if conventions is not None:
        report.conventions = conventions
    for prop in table:
        if wanted is not None and prop.name not in wanted:
            continue
        slide = slide_of(prop.theorem)
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
            report.results[prop.name] = PropertyResult(prop.name, prop.theorem, slide, "not_applicable",
                                                       reason=reason)
            continue
        start = time.perf_counter()
        try:
            n = run_property(prop.check, candidate, strategy(prop), kw, reproduce=reproduce, theorem=prop.theorem)
        except TheoremViolation as violation:
            text = ""
            case = getattr(violation, "case", None)
            if hint is not None and case is not None:
                text = hint(prop, case, violation) or ""
            report.results[prop.name] = PropertyResult(
                prop.name, prop.theorem, slide or violation.slide, "failed",
                examples=getattr(violation, "examples", 0), seconds=time.perf_counter() - start,
                violation=violation, hint=text, reproduce=getattr(violation, "reproduce", None))
            continue
        report.results[prop.name] = PropertyResult(prop.name, prop.theorem, slide, "passed", examples=n,
                                                   seconds=time.perf_counter() - start)
    if none_provided is not None and wanted is None and not report.passed and not report.failed:
        raise TypeError(none_provided)
    if raise_on_failure and report.failed:
        raise VerifyFailed(report)
    return report
