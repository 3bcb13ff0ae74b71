"""One ``--verify`` run, in its own process: load the module (mutated or not) through the finder,
build the candidate as ``dgmcheck verify`` does, run the concept's properties one at a time.

The candidate is built by :func:`dgmcheck.cli.make_candidate` from ``MODULE:OBJECT`` resolved by
:func:`dgmcheck.registry.resolve`, and the concept module comes from
:func:`dgmcheck.cli.concept_module`: the same lookups as ``dgmcheck verify``. Properties run one
``verify(candidate, properties=[name], ...)`` call at a time, in the family's table order, so a
mutant stops at the first property that fails (its kill). The unmutated run (the *baseline*)
records which properties apply, pass and fail; mutants replay exactly that sequence (a property
that did not apply is asked again and must still not apply), so that their recorded results
(:mod:`dgmcheck.mutate.recorder`) line up call for call with the baseline's.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any

from dgmcheck.mutate import _bootstrap
from dgmcheck.mutate.recorder import Recorder

__all__ = ["VerifyJob", "run_verify_job"]


@dataclass
class VerifyJob:
    """What a worker needs: the file to replace and its code (an ``ast.Module`` for a mutant, the
    original text for the baseline), the object and concept to verify, ``verify``'s keyword
    arguments, the properties in order with the baseline's status of each (None: all, to find out),
    the Hypothesis seed and profile, the working directory, torch's thread count and the properties
    asked for (``--properties``; default: the family's ``PROPERTY_NAMES``)."""

    target_file: str
    code: Any
    ref: str
    concept: str
    kwargs: dict[str, Any]
    expected: dict[str, str] | None
    seed: int
    profile: str
    cwd: str
    threads: int = 1
    only: list[str] | None = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    return f" (at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno})" if frames else ""


def _forget(target: str) -> None:
    """Drop ``target``'s module from ``sys.modules`` if this process has it already (a forkserver that
    preloaded it for an earlier run), with every dgmcheck module, which may hold references to it."""
    stale = [name for name, m in sys.modules.items()
             if isinstance(getattr(m, "__file__", None), str) and _bootstrap.same_file(m.__file__, target)]
    if stale:
        for name in [n for n in sys.modules if n == "dgmcheck" or n.startswith("dgmcheck.")] + stale:
            if name not in ("dgmcheck.mutate", "dgmcheck.mutate._bootstrap", "dgmcheck.mutate.recorder",
                            "dgmcheck.mutate.verify_job"):
                sys.modules.pop(name, None)


def run_verify_job(job: VerifyJob) -> dict[str, Any]:
    """Run ``job`` here; returns ``status`` (killed / survived / error), ``phase`` of an error,
    ``detail``, what killed it (``by``: the property), per-property ``properties``, the probe's
    ``reached``/``loaded``, the ``record`` of results and ``seconds``."""
    start = time.perf_counter()
    os.chdir(job.cwd)
    if job.cwd not in sys.path:
        sys.path.insert(0, job.cwd)
    os.environ["HYPOTHESIS_PROFILE"] = job.profile
    _forget(job.target_file)
    marks: set[str] = set()
    recorder = Recorder()
    _bootstrap.install(job.target_file, job.code, job.target_file, marks.add, recorder.instrument)
    out: dict[str, Any] = {"properties": {}}

    def done(status: str, detail: str = "", phase: str = "", by: str = "") -> dict[str, Any]:
        out.update(status=status, detail=detail, phase=phase, by=by, reached="reached" in marks,
                   loaded="loaded" in marks, record=(recorder.calls, recorder.counts),
                   seconds=time.perf_counter() - start)
        return out

    try:
        import torch

        torch.set_num_threads(max(1, job.threads))
        from dgmcheck import cli
        from dgmcheck.checks import _verify
        from dgmcheck.registry import resolve

        # the parent checked the concept with cli.concept_module (the lookup parses every checks module)
        module = importlib.import_module(f"dgmcheck.checks.{job.concept}")
        candidate = cli.make_candidate(resolve(job.ref))
    except Exception as exc:
        return done("error", f"importing or building {job.ref} raised {_first_line(exc)}{_where(exc)}",
                    phase="import", by=f"{job.ref} raised {type(exc).__name__}")
    verify = module.verify
    names = list(job.expected) if job.expected is not None else (
        job.only or list(getattr(module, "PROPERTY_NAMES", ())))
    for name in names or [None]:
        expected = None if job.expected is None else job.expected.get(name)
        label = f"{job.concept}.{name}" if name else job.concept
        try:
            with _verify.overrides(seed=job.seed):
                report = verify(candidate, **job.kwargs, **({"properties": [name]} if name else {}))
        except TypeError as exc:
            if name and "does not provide it" in str(exc):
                out["properties"][name] = "not_applicable"
                if expected in (None, "not_applicable"):
                    continue
                return done("killed", f"{label} no longer applies: {_first_line(exc)}", by=label)
            return done("killed" if job.expected is not None else "error", f"{label}: {_first_line(exc)}{_where(exc)}",
                        phase="verify", by=label)
        except AssertionError as exc:  # a verify without raise_on_failure: the failure itself
            out["properties"][name or label] = "failed"
            if job.expected is None:
                continue
            return done("killed", f"{label}: {_first_line(exc)}", by=label)
        except Exception as exc:
            return done("killed" if job.expected is not None else "error", f"{label}: verify raised "
                        f"{_first_line(exc)}{_where(exc)}", phase="verify", by=label)
        for prop, result in getattr(report, "results", {}).items():
            out["properties"][prop] = result.status
        failed = list(getattr(report, "failed", ()))
        if failed and job.expected is not None:
            result = report.results[failed[0]]
            head = str(result.violation).strip().splitlines()[0] if result.violation else result.reason
            return done("killed", f"{job.concept}.{failed[0]}: {head}", by=f"{job.concept}.{failed[0]}")
    return done("survived")
