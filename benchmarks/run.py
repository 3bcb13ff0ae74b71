"""The benchmark runner (``python -m benchmarks`` or ``python benchmarks/run.py``; see :mod:`benchmarks`)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
REPORT = ROOT / "BENCHMARKS.md"
GROUPS = ("gate", "verify", "adapters", "oracles", "memory")
#: A row is marked as measured on a busy box when the 1-minute load average exceeded this share of the cores.
BUSY_SHARE = 0.5

if str(ROOT) not in sys.path:  # `python benchmarks/run.py` from anywhere
    sys.path.insert(0, str(ROOT))


def _load() -> float:
    try:
        return float(os.getloadavg()[0])
    except OSError:  # not on this platform
        return float("nan")


class Bench:
    """Collects rows ``{group, name, value, unit, load, note}``; ``timed`` measures wall seconds (best of
    ``repeat``) and records the highest load average seen around it."""

    def __init__(self, repeat: int) -> None:
        self.repeat = repeat
        self.rows: list[dict] = []

    def add(self, group: str, name: str, value: float, unit: str, load: float, note: str = "") -> None:
        self.rows.append({"group": group, "name": name, "value": float(value), "unit": unit,
                          "load": round(load, 2), "note": note})
        print(f"  {group:<9} {name:<58} {value:>12.4g} {unit:<4} (load {load:.2f}){' ' + note if note else ''}",
              flush=True)

    def timed(self, group: str, name: str, fn: Callable[[], object], note: str = "", repeat: int | None = None) -> None:
        best, load, out = float("inf"), _load(), None
        for _ in range(repeat or self.repeat):
            start = time.perf_counter()
            try:
                out = fn()
            except Exception as exc:
                out = getattr(exc, "report", None)  # VerifyFailed carries the report of every property
                if out is None:  # a benchmark that breaks is reported, the others still run
                    self.add(group, name, float("nan"), "s", load, f"error: {type(exc).__name__}: {exc}"[:160])
                    return
            best = min(best, time.perf_counter() - start)
            load = max(load, _load())
        failed = list(getattr(out, "failed", []) or [])
        if failed:  # a verify report kept with raise_on_failure=False: the time stands, the finding is noted
            note = f"{note}; FAILED {', '.join(failed)}".strip("; ")
        self.add(group, name, best, "s", load, note)


# ------------------------------------------------------------------------------------------- gate
_DURATION = re.compile(r"^\s*([0-9.]+)s\s+(setup|call|teardown)\s+(\S+?)::")


def bench_gate(b: Bench, paths: list[str], workers: int) -> None:
    """``pytest -n workers --durations=0`` under CI=true: wall time, summed test time, and the test time of
    each file (setup + call + teardown)."""
    env = {**os.environ, "CI": "true", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", str(workers), "--durations=0",
           *paths]
    load = _load()
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    load = max(load, _load())
    per_file: dict[str, float] = {}
    for line in out.stdout.splitlines():
        m = _DURATION.match(line)
        if m:
            per_file[m.group(3)] = per_file.get(m.group(3), 0.0) + float(m.group(1))
    scope = "whole suite" if not paths else " ".join(paths)
    note = f"exit {out.returncode}; {scope}"
    b.add("gate", f"pytest -n {workers} wall", wall, "s", load, note)
    b.add("gate", "sum of test durations", sum(per_file.values()), "s", load, scope)
    for path, secs in sorted(per_file.items(), key=lambda kv: -kv[1]):
        b.add("gate", f"  {path}", secs, "s", load)


# ----------------------------------------------------------------------------------------- verify
def _accepted(fn: Callable, kw: dict) -> dict:
    """The keywords of ``kw`` that ``fn`` takes (not every family's verify has raise_on_failure yet)."""
    import inspect

    params = inspect.signature(fn).parameters
    return {k: v for k, v in kw.items() if k in params}


def bench_verify(b: Bench, examples: int) -> None:
    import torch

    from dgmcheck.checks import ddpm, discrete, flow_matching, flows, sde
    from dgmcheck.impl import flow_matching as ifm
    from dgmcheck.impl.ddpm import GaussianDiffusion
    from dgmcheck.impl.discrete import AbsorbingDiffusion, DiscreteDiffusion
    from dgmcheck.impl.flows import AffineCoupling, CompositeFlow, GaussianARFlow
    from dgmcheck.impl.schedules import linear_betas
    from dgmcheck.impl.sde import VESDE, VPSDE
    from dgmcheck.theory.flow_matching import PathSpec

    kw = {"max_examples": examples, "dtype": torch.float64, "raise_on_failure": False, "shrink": False}
    for T in (1000, 4000):
        b.timed("verify", f"ddpm.verify(GaussianDiffusion(linear_betas({T})))",
                lambda T=T: ddpm.verify(GaussianDiffusion(linear_betas(T)), **_accepted(ddpm.verify, kw)), repeat=1,
                note=f"{examples} examples per property")
    bench_ddpm_scaling(b)
    flow = CompositeFlow([AffineCoupling(3, 1, seed=0), GaussianARFlow(3, seed=1), AffineCoupling(3, 2, seed=2)])
    b.timed("verify", "flows.verify(coupling + AR + coupling, d = 3)",
            lambda: flows.verify(flow, **_accepted(flows.verify, kw)), repeat=1)

    def conical():
        path = ifm.ConicalPath(0.0)
        path.spec = PathSpec("conical")
        path.ode_sample = lambda field, x0, n_steps, method: ifm.ode_sample(field, x0, n_steps, method)
        return flow_matching.verify(path, **_accepted(flow_matching.verify, kw))

    b.timed("verify", "flow_matching.verify(ConicalPath)", conical, repeat=1)
    betas = torch.linspace(0.05, 0.5, 3, dtype=torch.float64)
    b.timed("verify", "discrete.verify(AbsorbingDiffusion(K = 4))",
            lambda: discrete.verify(AbsorbingDiffusion(betas, 4, 1, "column"), **_accepted(discrete.verify, kw)),
            repeat=1)
    g = torch.Generator().manual_seed(12)
    Qs = torch.rand(3, 12, 12, generator=g, dtype=torch.float64) + 0.05
    Qs /= Qs.sum(dim=1, keepdim=True)
    b.timed("verify", "discrete.verify(DiscreteDiffusion(K = 12, T = 3)), sequence_factorization",
            lambda: discrete.verify(DiscreteDiffusion(Qs), properties=["sequence_factorization"],
                                    **_accepted(discrete.verify, kw)), repeat=1,
            note="sequences of up to 3 tokens: 1728 per law; target <= 5 s")
    b.timed("verify", "sde.verify(VPSDE())", lambda: sde.verify(VPSDE(), **_accepted(sde.verify, kw)), repeat=1)
    b.timed("verify", "sde.verify(VESDE())", lambda: sde.verify(VESDE(), **_accepted(sde.verify, kw)), repeat=1)


def bench_ddpm_scaling(b: Bench) -> None:
    """``ddpm.verify`` of the reference at T = 250, 1000, 4000 with the profile's own number of examples
    (``ci``: 10 per property), whole and its ``sampler_law`` property (a T-step chain of the candidate on a
    batch of T + 2 probes), best of two; then the T = 4000 / T = 1000 ratio (linear in T: 4)."""
    import torch

    from dgmcheck.checks import ddpm
    from dgmcheck.impl.ddpm import GaussianDiffusion
    from dgmcheck.impl.schedules import linear_betas

    kw = {"dtype": torch.float64, "raise_on_failure": False, "shrink": False}
    whole: dict[int, float] = {}
    for T in (250, 1000, 4000):
        ref = GaussianDiffusion(linear_betas(T))
        ddpm.verify(ref, properties=["posterior"], max_examples=1, **kw)  # first-call costs not counted
        name = f"ddpm.verify(GaussianDiffusion(linear_betas({T}))), profile's examples"
        b.timed("verify", name, lambda ref=ref: ddpm.verify(ref, **kw), repeat=2,
                note="target <= 2 s" if T == 1000 else "")
        whole[T] = b.rows[-1]["value"]
        b.timed("verify", f"  of which sampler_law, T = {T}",
                lambda ref=ref: ddpm.verify(ref, properties=["sampler_law"], **kw), repeat=2)
    b.add("verify", "ddpm.verify T = 4000 / T = 1000", whole[4000] / whole[1000], "x", _load(), "target <= 4")


def bench_adapters(b: Bench, examples: int) -> None:
    import torch

    try:
        from diffusers import DDPMScheduler

        from dgmcheck.adapters.diffusers import verify_scheduler
    except Exception as exc:  # an adapter that is not installed is reported
        b.add("adapters", "diffusers", float("nan"), "s", _load(), f"skipped: {exc}"[:120])
    else:
        for T in (100, 1000):
            b.timed("adapters", f"verify_scheduler(DDPMScheduler(T = {T}))",
                    lambda T=T: verify_scheduler(DDPMScheduler(num_train_timesteps=T, clip_sample=False),
                                                 dtype=torch.float32, max_examples=examples, shrink=False),
                    repeat=1)
    try:
        from torchcfm import conditional_flow_matching as cfm

        from dgmcheck.adapters.torchcfm import verify_matcher
    except Exception as exc:  # an adapter that is not installed is reported
        b.add("adapters", "torchcfm", float("nan"), "s", _load(), f"skipped: {exc}"[:120])
    else:
        b.timed("adapters", "verify_matcher(ConditionalFlowMatcher(0.1))",
                lambda: verify_matcher(cfm.ConditionalFlowMatcher(0.1), dtype=torch.float64,
                                       max_examples=examples, shrink=False), repeat=1)


# ---------------------------------------------------------------------------------------- oracles
def bench_oracles(b: Bench) -> None:
    import numpy as np

    from dgmcheck.theory import autoregressive as ar
    from dgmcheck.theory import ddpm, score
    from dgmcheck.theory import linear_gaussian as lg
    from dgmcheck.theory.gaussian_mixture import GaussianMixture

    for T in (1000, 4000, 16000):
        betas = np.linspace(1e-4, 0.02, T)
        ts = np.arange(1, T + 1)
        if T <= 4000:  # O(T²): 8 s at T = 16000
            b.timed("oracles", f"ddpm.posterior, t = 1..T one call each, raw betas, T = {T}",
                    lambda betas=betas, T=T: [ddpm.posterior(betas, t) for t in range(1, T + 1)], repeat=1,
                    note="O(T²): revalidates per call")
        sched = ddpm.schedule(betas)
        b.timed("oracles", f"ddpm.posterior, t = 1..T one call each, Schedule, T = {T}",
                lambda sched=sched, T=T: [ddpm.posterior(sched, t) for t in range(1, T + 1)])
        b.timed("oracles", f"ddpm.posterior, vector t, T = {T}", lambda betas=betas, ts=ts: ddpm.posterior(betas, ts))
        chain = lg.ddpm_sampler_chain(betas, np.zeros(4), np.full(4, 0.5), variance="beta")
        b.timed("oracles", f"linear_gaussian.ddpm_sampler_chain, d = 4, T = {T}",
                lambda betas=betas: lg.ddpm_sampler_chain(betas, np.zeros(4), np.full(4, 0.5)))
        b.timed("oracles", f"linear_gaussian.elbo + elbo_terms + log_likelihood, d = 4, T = {T}",
                lambda chain=chain, betas=betas: (lg.elbo(chain, betas, np.ones(4)),
                                                  lg.elbo_terms(chain, betas, np.ones(4)),
                                                  lg.log_likelihood(chain, np.ones(4))))
    for T in (100, 500, 1000):
        betas = np.linspace(1e-4, 0.02, T)
        chain = lg.true_reverse_chain(betas, 0.0, 0.5)
        b.timed("oracles", f"linear_gaussian.posterior_kl_gap (dense), T = {T}",
                lambda chain=chain, betas=betas: lg.posterior_kl_gap(chain, betas, 0.3), repeat=1, note="O(T³)")
    rng = np.random.default_rng(0)
    for V, m in ((2, 10), (4, 8), (2, 16), (2, 18)):
        joint = rng.random((V,) * m)
        joint /= joint.sum()
        b.timed("oracles", f"autoregressive.all_sequences + batched conditionals, K**L = {V}**{m}",
                lambda joint=joint, V=V, m=m: ar.conditionals_from_joint(joint, ar.all_sequences(V, m)), repeat=1)
    for d in (1, 2, 3):
        for K in (1, 3):
            mix = GaussianMixture(np.full(K, 1.0 / K), rng.normal(size=(K, d)), np.tile(np.eye(d), (K, 1, 1)))
            b.timed("oracles", f"score.fisher_information, d = {d}, K = {K} (64 nodes per coordinate)",
                    lambda mix=mix: score.fisher_information(mix), repeat=1,
                    note="exact tr C⁻¹" if K == 1 else f"{64**d * K} nodes")


# ----------------------------------------------------------------------------------------- memory
_SAMPLER = r"""
import resource, sys, torch
from dgmcheck.impl.ddpm import GaussianDiffusion
from dgmcheck.impl.schedules import linear_betas


def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))


mode, T, shape = sys.argv[1], int(sys.argv[2]), tuple(int(s) for s in sys.argv[3].split("x"))
ddpm = GaussianDiffusion(linear_betas(T))
x = torch.zeros(shape)
eps = lambda y, t: 0.1 * y
ddpm.sample(eps, x, generator=torch.Generator().manual_seed(1))  # warm: first-call allocations not counted
try:  # Linux: reset the high-water mark, so the peak is this sampling run's
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base, peak = status("VmRSS"), lambda: status("VmHWM")
except OSError:
    base, peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, (
        lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
if mode == "materialized":
    ddpm.sample(eps, x, torch.randn(T, *shape, generator=torch.Generator().manual_seed(0)))
elif mode == "generator":
    ddpm.sample(eps, x, generator=torch.Generator().manual_seed(0))
else:  # "step loop": the caller's own loop of reverse_step, one step's noise drawn at a time
    g, y = torch.Generator().manual_seed(0), x
    for t in range(T, 0, -1):
        tt = torch.full((y.shape[0],), t, dtype=torch.long)
        y = ddpm.reverse_step(y, tt, eps(y, tt), torch.randn(shape, generator=g))
print(peak() - base)
"""


def bench_memory(b: Bench) -> None:
    """Peak resident memory one DDPM sampling run adds, in a fresh process per mode (Linux: VmHWM after
    resetting it, minus VmRSS before the run): ``sample`` with all the noise handed in, ``sample`` drawing
    it per step (generator), and the caller's own loop of ``reverse_step`` drawing per step, the yardstick
    the streamed sample is held to (at most 2x its peak)."""
    shape = "64x3x32x32"
    for T in (250, 1000):
        peaks = {}
        for mode in ("materialized", "generator", "step loop"):
            load = _load()
            out = subprocess.run([sys.executable, "-c", _SAMPLER, mode, str(T), shape], cwd=ROOT,
                                 capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
            note = "" if out.returncode == 0 else f"error: {out.stderr.strip().splitlines()[-1]}"[:160]
            value = float(out.stdout.strip().splitlines()[-1]) / 2**20 if out.returncode == 0 else float("nan")
            peaks[mode] = value
            what = "reverse_step loop, noise drawn per step" if mode == "step loop" else f"{mode} noise"
            b.add("memory", f"DDPM sample {shape}, T = {T}, {what}: peak RSS added", value, "MiB",
                  max(load, _load()), note)
        ratio = peaks["generator"] / peaks["step loop"] if peaks["step loop"] > 0 else float("nan")
        b.add("memory", f"DDPM sample {shape}, T = {T}: generator peak / step-loop peak", ratio, "x", _load(),
              "target <= 2" + ("" if ratio <= 2 else "; ABOVE TARGET"))


# ----------------------------------------------------------------------------------------- report
def _previous() -> dict | None:
    latest = RESULTS / "latest.json"
    return json.loads(latest.read_text()) if latest.is_file() else None


def _busy(row: dict, cores: int, workers: int) -> bool:
    own = workers if row["group"] == "gate" else 1  # the gate's own pytest workers load the box too
    return row["load"] == row["load"] and row["load"] - own + 1 > BUSY_SHARE * cores


def _described(run: dict | None) -> str:
    if not run:
        return ""
    return f"; {run['when']}" + (f": {run['label']}" if run.get("label") else "")


def write_report(run: dict, previous: dict | None) -> str:
    cores = run["machine"]["cores"]
    before = {(r["group"], r["name"]): r["value"] for r in (previous or {}).get("rows", [])}
    lines = ["# Benchmarks", "",
             f"Measured {run['when']} on {run['machine']['platform']} ({cores} cores, Python "
             f"{run['machine']['python']}, torch {run['machine']['torch']}) by `python -m benchmarks "
             f"{shlex.join(run['argv'])}`.".replace(" `", " `").rstrip(), "",
             f"**Load**: each row gives the 1-minute load average while it ran. Rows marked ⚠ were measured "
             f"while other work was running on the box (load above {BUSY_SHARE:g} × {cores} cores): their times "
             "are inflated and only their order of magnitude and their ratios within one run mean much (the gate's "
             "own pytest workers are discounted from its rows' load).", "",
             f"{'This run: ' + run['label'] + '. ' if run.get('label') else ''}Ratio: this run's value over the "
             f"previous run's (`benchmarks/results/`{_described(previous)}), where there was one.", "",
             "| group | benchmark | value | unit | ratio to previous | load | note |",
             "|---|---|---:|---|---:|---:|---|"]
    for r in run["rows"]:
        old = before.get((r["group"], r["name"]))
        ratio = f"{r['value'] / old:.2f}" if old and r["value"] == r["value"] and old == old else ""
        mark = " ⚠" if _busy(r, cores, run.get("workers", 2)) else ""
        lines.append(f"| {r['group']} | {r['name'].strip()} | {r['value']:.4g} | {r['unit']} | {ratio} | "
                     f"{r['load']:.2f}{mark} | {r['note'].replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def carry_unmeasured(rows: list[dict], previous: dict | None, groups: list[str]) -> list[dict]:
    """A run of some groups (``--only``) keeps the previous run's rows of the others, each noting the run it
    comes from, so that BENCHMARKS.md stays the whole table; rows in the order of ``GROUPS``."""
    if not previous:
        return rows
    carried = [dict(r, note=f"{r.get('note') or ''} (from the run of {previous['when']})".strip())
               for r in previous["rows"] if r["group"] not in groups]
    return sorted(rows + carried, key=lambda r: GROUPS.index(r["group"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", default=None, help=f"comma-separated groups of {', '.join(GROUPS)}")
    parser.add_argument("--gate", action="store_true", help="also run the test gate (minutes; uses the cores)")
    parser.add_argument("--gate-paths", nargs="*", default=[], metavar="PATH",
                        help="test files for the gate (default: the whole suite)")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers of the gate (default 2)")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of the short timings (best is kept)")
    parser.add_argument("--examples", type=int, default=5, help="Hypothesis examples per property in verify")
    parser.add_argument("--no-save", action="store_true", help="print only: no JSON, no BENCHMARKS.md")
    parser.add_argument("--label", default="",
                        help="what this run measured (e.g. the code before a change), shown where a later "
                             "run's ratios refer to it")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite BENCHMARKS.md from benchmarks/results/latest.json (and the run before it)")
    args = parser.parse_args(argv)
    if args.report_only:
        runs = sorted(p for p in RESULTS.glob("*.json") if p.name != "latest.json")
        if not runs:
            parser.error("no saved run under benchmarks/results/")
        run = json.loads(runs[-1].read_text())
        previous = json.loads(runs[-2].read_text()) if len(runs) > 1 else None
        REPORT.write_text(write_report(run, previous), encoding="utf-8")
        print(f"wrote {REPORT.name} from {runs[-1].name}")
        return 0
    groups = [g for g in (args.only.split(",") if args.only else GROUPS) if g != "gate" or args.gate or args.only]
    unknown = set(groups) - set(GROUPS)
    if unknown:
        parser.error(f"unknown groups {sorted(unknown)}; choose from {', '.join(GROUPS)}")
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # BLAS threads on a shared box make small linalg 20x slower
    os.environ.setdefault("CI", "true")
    import warnings

    import torch

    warnings.filterwarnings("ignore", message="Generating overly large repr")  # Hypothesis, on failing examples

    torch.set_num_threads(1)
    b = Bench(args.repeat)
    for group in groups:
        print(f"== {group}", flush=True)
        if group == "gate":
            bench_gate(b, args.gate_paths, args.workers)
        elif group == "verify":
            bench_verify(b, args.examples)
        elif group == "adapters":
            bench_adapters(b, args.examples)
        elif group == "oracles":
            bench_oracles(b)
        elif group == "memory":
            bench_memory(b)
    previous = _previous()
    rows = carry_unmeasured(b.rows, previous, groups) if args.only else b.rows
    run = {"when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "argv": argv or sys.argv[1:],
           "workers": args.workers, "label": args.label,
           "machine": {"platform": platform.platform(), "cores": os.cpu_count(), "python": platform.python_version(),
                       "torch": torch.__version__}, "rows": rows}
    if previous:
        before = {(r["group"], r["name"]): r["value"] for r in previous["rows"]}
        print(f"== ratios to the previous run ({previous['when']})")
        for r in b.rows:
            old = before.get((r["group"], r["name"]))
            if old and old == old and r["value"] == r["value"]:
                print(f"  {r['name'].strip():<70} {r['value'] / old:6.2f}x")
    if not args.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        text = json.dumps(run, indent=1, ensure_ascii=False) + "\n"
        (RESULTS / f"{stamp}.json").write_text(text, encoding="utf-8")
        (RESULTS / "latest.json").write_text(text, encoding="utf-8")
        REPORT.write_text(write_report(run, previous), encoding="utf-8")
        print(f"wrote {REPORT.name} and benchmarks/results/{stamp}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
