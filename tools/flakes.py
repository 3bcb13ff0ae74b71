"""Flakiness as a measured property: run the suite under many random Hypothesis seeds.

A check whose declared false-failure rate is at most 1e-9 must not fail once in a few dozen runs of
a correct suite. The derandomized ``ci`` profile draws the same examples every time, so it can hide
a bound that is wrong for cases it never draws; this runner draws fresh ones.

    python -m tools.flakes --runs 30                 # 30 seeds, the `dev` profile, the gate's tests
    python -m tools.flakes --runs 1 --profile thorough   # 400 examples per property, slow tier included
    python -m tools.flakes --runs 5 -- tests/test_ode.py  # arguments after -- go to pytest
    python -m tools.flakes --runs 8 --by-file -- -m planted_bug   # kill stability, per family

``--by-file`` adds a table per test file (a family): its tests, the test × seed runs, how many of those
failed and how many tests failed under at least one seed. Over the planted-bug tests (each asserts that
its bug is caught) that is the kill stability: a bug caught under some seeds only fails there.

Each run is ``pytest -n auto --hypothesis-seed=<seed>`` with ``HYPOTHESIS_PROFILE`` set, ``CI``
unset and an empty example database of its own (``HYPOTHESIS_STORAGE_DIRECTORY``), so runs are
independent. The report lists per seed the counts, the wall time and the failing tests, and at the end
every test that failed under any seed with the seeds that make it fail (rerun one with
``HYPOTHESIS_PROFILE=dev pytest <test> --hypothesis-seed=<seed>``). Exit status: 1 if any run
failed, else 0. Fix a failure at its cause; never by a retry or a looser constant.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_once(seed: int, profile: str, pytest_args: list[str]) -> dict:
    """One run of the suite under ``seed``: counts, seconds and the failing node ids."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(HYPOTHESIS_PROFILE=profile, OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "1"))
    with tempfile.TemporaryDirectory() as tmp:
        # An example database of its own: a failing example saved by one seed would otherwise be replayed
        # first under every later seed, and the runs would not be independent.
        env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(Path(tmp) / "hypothesis")
        report = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", "-n", "auto", "-q", "-p", "no:cacheprovider",
               f"--hypothesis-seed={seed}", f"--junitxml={report}", *pytest_args]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        failed, counts, files = _read_junit(report) if report.exists() else ([], {}, {})
        texts = failure_texts(report) if failed and report.exists() else {}
    if proc.returncode not in (0, 1) and not failed:  # a usage error or a crash of pytest itself
        failed = [f"pytest exited {proc.returncode}: {proc.stderr.strip().splitlines()[-1:] or proc.stdout[-300:]}"]
    return {"seed": seed, "returncode": proc.returncode, "seconds": round(seconds, 1), "failed": failed,
            "by_file": files, "failures": texts, **counts}


#: The end of a failure's report that is kept: the falsifying example and the replay line are at the end.
FAILURE_TAIL = 6000


def failure_texts(path: Path) -> dict[str, str]:
    """Each failing test's report (its last ``FAILURE_TAIL`` characters): a failure that depends on what the
    worker ran before may not replay alone, so the falsifying example must be kept from the run itself."""
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        node = case.find("failure")
        node = case.find("error") if node is None else node
        if node is not None:
            out[_node_name(case)] = f"{node.get('message', '')}\n{node.text or ''}"[-FAILURE_TAIL:]
    return out


def _node_name(case: ET.Element) -> str:
    """The pytest node id of a junit ``testcase``."""
    name = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}"
    return re.sub(r"^(tests/[^:]+?)/py::", r"\1.py::", name)


def _read_junit(path: Path) -> tuple[list[str], dict[str, int], dict[str, list[int]]]:
    root = ET.parse(path).getroot()
    failed, counts, files = [], defaultdict(int), defaultdict(lambda: [0, 0])  # file -> [run, failed]
    for case in root.iter("testcase"):
        name = _node_name(case)
        file = name.split("::")[0]
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(name)
            counts["n_failed"] += 1
            files[file][0] += 1
            files[file][1] += 1
        elif case.find("skipped") is not None:
            counts["n_skipped"] += 1
        else:
            counts["n_passed"] += 1
            files[file][0] += 1
    return failed, dict(counts), dict(files)


def by_file_table(runs: list[dict], by_test: dict[str, list[int]]) -> str:
    """Markdown: per test file, its tests (most run in one seed), test × seed runs, failed runs, and the
    tests that failed under at least one seed (0: stable under every seed)."""
    rows = ["| file | tests | test × seed runs | failed runs | tests failing under some seed |",
            "|---|---:|---:|---:|---:|"]
    files = sorted({f for r in runs for f in r.get("by_file", {})})
    for f in files:
        ran = [r.get("by_file", {}).get(f, [0, 0]) for r in runs]
        unstable = sum(1 for name in by_test if name.split("::")[0] == f)
        rows.append(f"| {f} | {max(n for n, _ in ran)} | {sum(n for n, _ in ran)} | {sum(k for _, k in ran)} "
                    f"| {unstable} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(prog="python -m tools.flakes", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="how many seeds (default 30)")
    parser.add_argument("--first-seed", type=int, default=1, help="seeds are first-seed, first-seed + 1, ...")
    parser.add_argument("--profile", choices=("dev", "ci", "thorough"), default="dev",
                        help="the Hypothesis profile (default dev: random; ci is derandomized and ignores the seed)")
    parser.add_argument("--json", type=Path, default=None, help="also write the runs as JSON to this file")
    parser.add_argument("--by-file", action="store_true", help="add a table per test file (a family)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    runs, by_test = [], defaultdict(list)
    for seed in range(args.first_seed, args.first_seed + args.runs):
        run = run_once(seed, args.profile, extra)
        runs.append(run)
        for name in run["failed"]:
            by_test[name].append(seed)
        print(f"seed {seed:>4}: {run.get('n_passed', 0)} passed, {run.get('n_failed', 0)} failed, "
              f"{run.get('n_skipped', 0)} skipped in {run['seconds']} s"
              + "".join(f"\n    FAILED {name}" for name in run["failed"]), flush=True)
    bad = sum(1 for r in runs if r["failed"])
    print(f"\n{len(runs)} runs ({args.profile} profile), {bad} with failures, "
          f"{sum(r['seconds'] for r in runs):.0f} s in all")
    for name, seeds in sorted(by_test.items()):
        print(f"  {name}: seeds {seeds}")
    if args.by_file:
        print("\n" + by_file_table(runs, by_test))
    if args.json is not None:
        args.json.write_text(json.dumps({"profile": args.profile, "runs": runs}, indent=2) + "\n", encoding="utf-8")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
