"""Run the mutants: against the user's command (``--run``) or dgmcheck's verify (``--verify``).

Scheduling is :class:`concurrent.futures.ThreadPoolExecutor` with at most ``jobs`` workers; each
worker thread runs one mutant in its own process and waits for it with a timeout. One process per
mutant (not a ``ProcessPoolExecutor``, whose workers are reused and cannot be killed one task at a
time) keeps mutants from seeing each other's imports and lets a mutant that loops forever be
killed at its timeout.

``--verify``: the processes are forked from a ``multiprocessing`` *forkserver* that has imported
torch, NumPy, SciPy, SymPy and Hypothesis once (the heavy part of every run) and, unless the
mutated file is part of dgmcheck (its own ``impl/``), dgmcheck's CLI and the concept's checks: a
mutant's process starts warm and imports only what the mutation may change. No package holding
the mutated file is preloaded, and a worker that finds the file loaded anyway (a forkserver left
from an earlier run in the same process, a checks module importing a library being mutated) drops
it and dgmcheck's modules before it starts.
The unmutated module runs first the same way (the baseline): it must pass, and it fixes the
properties to run, the time budget and the records equivalence is judged against.
Several objects (``--verify`` repeated, each a :class:`VerifyTarget` with its own concept) judge a
mutant in turn, each against its own baseline: killed at the first object whose verify kills it,
timeout when one object's run times out, not applicable when no object's run evaluates the
mutated expression, equivalent when every object's recorded results equal its baseline's, else
survived.

``--run``: the command runs in a shell (``subprocess``, its own process group, killed whole at the
timeout) with a folder first on ``PYTHONPATH`` holding :mod:`dgmcheck.mutate._bootstrap` as
``sitecustomize.py``: every Python process of the command loads the mutant in place of the file.
``PYTEST_ADDOPTS`` gains ``-x`` (stop at the first failing test: the first kill) and ``-p
no:cacheprovider`` (a mutant's failures must not become the user's ``--lf`` set). The exit status
decides: non-zero is a kill.

Timeout per mutant: ``timeout`` if given, else 10× the baseline's time, at least 10 s.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dgmcheck.mutate import _bootstrap
from dgmcheck.mutate.mutants import Mutant
from dgmcheck.mutate.recorder import same
from dgmcheck.mutate.verify_job import VerifyJob, run_verify_job

__all__ = ["STATUSES", "MutateError", "Outcome", "VerifyTarget", "default_jobs", "run_command", "run_verify",
           "start_workers"]

STATUSES = ("killed", "survived", "equivalent", "timeout", "not_applicable")
#: Imported once by the forkserver (never a package that holds the mutated file).
PRELOAD = ("torch", "numpy", "scipy.stats", "scipy.special", "scipy.integrate", "sympy", "hypothesis")
MIN_TIMEOUT = 10.0


class MutateError(Exception):
    """The run cannot judge mutants (the unmutated code fails, or never loads the file); a usage error."""


@dataclass
class Outcome:
    """What became of one mutant."""

    mutant: Mutant
    status: str
    detail: str = ""
    seconds: float = 0.0
    by: str = ""  # what killed it: the property, the failing test, the exit status
    on: str = ""  # --verify: the object (MODULE:OBJECT@CONCEPT) whose run killed it or timed out

    def to_dict(self) -> dict[str, Any]:
        m = self.mutant
        return {"operator": m.operator, "location": m.location, "line": m.line, "status": self.status,
                "description": m.description, "killed_by": self.by, "detail": self.detail,
                "seconds": round(self.seconds, 2), "diff": m.diff, "killed_on": self.on}


@dataclass(frozen=True)
class VerifyTarget:
    """One ``--verify`` object: ``MODULE:OBJECT``, the concept whose ``verify`` judges it, ``verify``'s
    keyword arguments and the properties asked for (None: the family's table)."""

    ref: str
    concept: str
    kwargs: dict[str, Any]
    only: tuple[str, ...] | None = None

    @property
    def label(self) -> str:
        return f"{self.ref}@{self.concept}"


def default_jobs() -> int:
    """Worker processes by default: two at most (mutants share the machine with everything else)."""
    return max(1, min(2, os.cpu_count() or 1))


def _parallel(fn: Callable[[Any], Any], items: Sequence[Any], jobs: int) -> list[Any]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(fn, items))


# --------------------------------------------------------------------------- --verify
def _package_dir(name: str) -> str | None:
    """Where the package ``name`` lives (its parents imported, not it); None when not installed."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    return locations[0] if locations else spec.origin


def _context(target_file: str, concept: str | Sequence[str]) -> Any:
    """The forkserver context, preloading :data:`PRELOAD` except a package that holds ``target_file``
    (the mutant must be the first to load it) and, unless the file is part of dgmcheck, dgmcheck's
    CLI and the concepts' checks; spawn where there is no forkserver."""
    concepts = [concept] if isinstance(concept, str) else list(concept)
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    target = os.path.realpath(target_file)

    def holds(where: str | None) -> bool:
        return where is not None and target.startswith(os.path.realpath(where) + os.sep)

    preload = [name for name in PRELOAD if _package_dir(name) is not None and not holds(_package_dir(name))]
    if not any(holds(_package_dir(name)) for name in ("dgmcheck", "dgmcheck.checks", "dgmcheck.impl",
                                                       "dgmcheck.theory")):
        preload += ["dgmcheck.cli", "dgmcheck.registry", *(f"dgmcheck.checks.{c}" for c in dict.fromkeys(concepts))]
    ctx.set_forkserver_preload(preload)  # a forkserver already running keeps its own preload
    return ctx


def start_workers(target_file: str, concept: str | Sequence[str]) -> None:
    """Start the forkserver now (it imports in the background while the caller goes on)."""
    ctx = _context(target_file, concept)
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _child(conn: Any, job: VerifyJob) -> None:
    """The process body: quiet (what the checks print must not mix with the report), run, send."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        result = run_verify_job(job)
    except BaseException as exc:  # the worker itself broke: said, never hidden
        result = {"status": "error", "phase": "worker", "detail": f"{type(exc).__name__}: {exc}"}
    conn.send(result)
    conn.close()


def _in_process(ctx: Any, job: VerifyJob, timeout: float | None) -> tuple[dict[str, Any] | None, float]:
    """Run ``job`` in a fresh process; (result, seconds), result None on timeout."""
    start = time.perf_counter()
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, job), daemon=True)
    proc.start()
    send.close()
    try:
        if recv.poll(timeout):
            try:
                result = recv.recv()
            except EOFError:
                proc.join(5)
                result = {"status": "killed", "detail": f"the process died (exit code {proc.exitcode})",
                          "phase": "crash"}
        else:
            result = None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        recv.close()
    return result, time.perf_counter() - start


def _baseline(ctx: Any, target_file: str, target: VerifyTarget, seed: int, profile: str, cwd: str, threads: int,
              timeout: float | None) -> tuple[dict[str, Any], float]:
    """The unmutated run of one object: it must load the file, pass, and have a property that applies."""
    ref, concept = target.ref, target.concept
    job = VerifyJob(target_file, Path(target_file).read_text(encoding="utf-8"), ref, concept, target.kwargs, None,
                    seed, profile, cwd, threads, list(target.only) if target.only else None)
    base, base_seconds = _in_process(ctx, job, timeout)
    if base is None:
        raise MutateError(f"the unmutated run of {ref} took longer than the timeout ({timeout} s)")
    if base["status"] in ("error", "killed"):  # killed: the process died
        raise MutateError(f"the unmutated run of {ref} failed ({base.get('phase')}): {base['detail']}")
    if not base.get("loaded"):
        raise MutateError(f"{ref} never imports {target_file}: mutating it cannot change what verify checks")
    statuses = base["properties"]
    failing = [p for p, s in statuses.items() if s == "failed"]
    if failing:
        raise MutateError(f"the unmutated code already fails {', '.join(failing)} of concept {concept!r} on {ref}: "
                          "fix it, or leave those out with --properties")
    if "passed" not in statuses.values():
        raise MutateError(f"no property of concept {concept!r} applies to {ref}")
    return base, base_seconds


def run_verify(mutants: Sequence[Mutant], *, target_file: str, ref: str | None = None, concept: str | None = None,
               kwargs: dict[str, Any] | None = None, only: Sequence[str] | None = None,
               targets: Sequence[VerifyTarget] | None = None, seed: int = 0, profile: str = "ci",
               jobs: int | None = None, timeout: float | None = None, cwd: str | None = None,
               on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Judge each mutant with ``dgmcheck.checks.<concept>.verify(candidate, **kwargs)`` on ``ref``'s
    candidate, property by property (``only``, else the family's table); Hypothesis ``profile`` ``ci``
    (derandomized, no example database: a mutant's failures must not be replayed on the real code).

    ``targets`` (instead of ``ref``/``concept``/``kwargs``/``only``): several objects, each judged in
    turn against its own baseline and time budget (``timeout``, else 10× its baseline, at least 10 s).
    A mutant is killed by the first object that kills it (``Outcome.on`` names it), not applicable
    only when no object's run evaluates the mutated expression, equivalent only when every object's
    recorded results equal its baseline's."""
    if targets is None:
        if ref is None or concept is None:
            raise TypeError("run_verify needs ref and concept, or targets")
        targets = [VerifyTarget(ref, concept, dict(kwargs or {}), tuple(only) if only else None)]
    targets = list(targets)
    if not targets:
        raise TypeError("run_verify needs at least one target")
    jobs = jobs or default_jobs()
    cwd = cwd or os.getcwd()
    target_file = os.path.abspath(target_file)
    ctx = _context(target_file, [t.concept for t in targets])
    threads = max(1, (os.cpu_count() or 1) // jobs)
    bases = [_baseline(ctx, target_file, t, seed, profile, cwd, threads, timeout) for t in targets]
    budgets = [timeout if timeout is not None else max(MIN_TIMEOUT, 10.0 * seconds) for _, seconds in bases]
    several = len(targets) > 1

    def judge(mutant: Mutant) -> Outcome:
        reached, same_record, seconds = False, True, 0.0
        outcome: Outcome | None = None
        for target, (base, _), budget in zip(targets, bases, budgets, strict=True):
            mjob = VerifyJob(target_file, mutant.tree, target.ref, target.concept, target.kwargs, base["properties"],
                             seed, profile, cwd, threads)
            result, took = _in_process(ctx, mjob, budget)
            seconds += took
            where = f" on {target.ref}" if several else ""
            if result is None:
                outcome = Outcome(mutant, "timeout", f"no verdict within {budget:.0f} s{where}", seconds,
                                  on=target.label)
                break
            if result["status"] in ("killed", "error"):
                outcome = Outcome(mutant, "killed", result["detail"], seconds, by=result.get("by") or "",
                                  on=target.label)
                break
            reached = reached or bool(result.get("reached"))
            same_record = same_record and same(result.get("record"), base.get("record"))
        if outcome is None:
            if not reached:
                outcome = Outcome(mutant, "not_applicable", "the checks never evaluate the mutated expression", seconds)
            elif same_record:
                outcome = Outcome(mutant, "equivalent", "equivalent on the checked domain: every recorded result of "
                                  "the module equals the unmutated run's (floats up to rounding)", seconds)
            else:
                outcome = Outcome(mutant, "survived", "every property passed" + (" on every object" if several else ""),
                                  seconds)
        if on_outcome is not None:
            on_outcome(outcome)
        return outcome

    return _parallel(judge, mutants, jobs)


# --------------------------------------------------------------------------- --run
def _shell(command: str, cwd: str, env: dict[str, str], timeout: float | None) -> tuple[int | None, str, float]:
    """(exit status or None on timeout, output, seconds); the whole process group goes at the timeout."""
    start = time.perf_counter()
    popen_kw: dict[str, Any] = {"start_new_session": True} if os.name == "posix" else {}
    proc = subprocess.Popen(command, shell=True, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace", **popen_kw)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out, time.perf_counter() - start
    except subprocess.TimeoutExpired:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        out, _ = proc.communicate()
        return None, out or "", time.perf_counter() - start


def _tail(output: str) -> str:
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def _failed_test(output: str) -> str:
    """The first test pytest reports as failed (``FAILED path::test``), else ''."""
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" - ", 1)[0].split(" ", 1)[1].strip()
    return ""


def _prepare(folder: Path, source: str, target_file: str) -> dict[str, str]:
    """``folder`` holds the bootstrap as sitecustomize, the code and the marks; the child environment."""
    (folder / "marks").mkdir(parents=True)
    shutil.copyfile(_bootstrap.__file__, folder / "sitecustomize.py")
    (folder / "mutant.py").write_text(source, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(folder), *filter(None, [env.get("PYTHONPATH")])])
    env[_bootstrap.ENV_TARGET] = target_file
    env[_bootstrap.ENV_SOURCE] = str(folder / "mutant.py")
    env[_bootstrap.ENV_MARKS] = str(folder / "marks")
    # --assert=plain: pytest's assertion rewriting imports the modules of every package that registers a
    # pytest plugin (and any register_assert_rewrite) through its own hook, put before the mutant's.
    env["PYTEST_ADDOPTS"] = " ".join(filter(None, [env.get("PYTEST_ADDOPTS"), "-x", "-p", "no:cacheprovider",
                                                   "--assert=plain"]))
    return env


def run_command(mutants: Sequence[Mutant], *, target_file: str, command: str, jobs: int | None = None,
                timeout: float | None = None, cwd: str | None = None,
                on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Judge each mutant by ``command``'s exit status (0: survived)."""
    jobs = jobs or default_jobs()
    cwd = cwd or os.getcwd()
    target_file = os.path.abspath(target_file)
    if not shlex.split(command):
        raise MutateError("the command to run is empty")
    root = Path(tempfile.mkdtemp(prefix="dgmcheck-mutate-"))
    try:
        env = _prepare(root / "baseline", Path(target_file).read_text(encoding="utf-8"), target_file)
        code, output, base_seconds = _shell(command, cwd, env, timeout)
        if code is None:
            raise MutateError(f"the unmutated run of {command!r} took longer than the timeout ({timeout} s)")
        if code != 0:
            raise MutateError(f"the unmutated run of {command!r} fails (exit {code}): {_tail(output)}")
        if not (root / "baseline" / "marks" / "loaded").exists():
            raise MutateError(f"{command!r} never imports {target_file} (or runs Python without PYTHONPATH, "
                              "e.g. -I): mutating it cannot change the result")
        budget = timeout if timeout is not None else max(MIN_TIMEOUT, 10.0 * base_seconds)

        def judge(mutant: Mutant) -> Outcome:
            folder = root / f"mutant-{mutant.index}"
            menv = _prepare(folder, mutant.source, target_file)
            code, output, seconds = _shell(command, cwd, menv, budget)
            marks = folder / "marks"
            if code is None:
                outcome = Outcome(mutant, "timeout", f"no verdict within {budget:.0f} s", seconds)
            elif code != 0:
                outcome = Outcome(mutant, "killed", f"exit {code}: {_tail(output)}", seconds,
                                  by=_failed_test(output) or f"exit {code}")
            elif not (marks / "reached").exists():
                outcome = Outcome(mutant, "not_applicable", "the command never evaluates the mutated expression",
                                  seconds)
            else:
                outcome = Outcome(mutant, "survived", f"exit 0: {_tail(output)}", seconds)
            shutil.rmtree(folder, ignore_errors=True)
            if on_outcome is not None:
                on_outcome(outcome)
            return outcome

        return _parallel(judge, mutants, jobs)
    finally:
        shutil.rmtree(root, ignore_errors=True)

