"""Shared by the suite: the markers of every collected test, recorded before any deselection.

The registry self-test compares the static marker scan with what pytest itself collected; when
this session collected the whole ``tests`` folder it reads this record instead of collecting the
suite again in a subprocess (a second full import of torch, diffusers and every test module).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).resolve().parent
COLLECTED: dict[str, Any] = {"complete": False, "errors": [], "items": {}}


def _strip(nodeid: str) -> str:
    start = nodeid.find("::")
    bracket = nodeid.find("[", start if start >= 0 else 0)
    return nodeid if bracket < 0 else nodeid[:bracket]


def _flatten(args: Any):
    for arg in args:
        if isinstance(arg, (list, tuple, set)):
            yield from _flatten(arg)
        else:
            yield arg


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        COLLECTED["errors"].append(report.nodeid)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    roots = {Path(a.split("::")[0]).resolve() for a in config.args} or {Path.cwd().resolve()}
    whole = all(TESTS_DIR == r or TESTS_DIR.is_relative_to(r) for r in roots) and not any(
        "::" in a for a in config.args)
    rootpath = config.rootpath.resolve()
    record: dict[str, dict[str, set[str]]] = {}
    for item in items:
        path = Path(str(item.path)).resolve()
        rel = path.relative_to(rootpath).as_posix() if path.is_relative_to(rootpath) else str(path)
        nodeid = rel + item.nodeid[item.nodeid.find("::"):] if "::" in item.nodeid else rel
        entry = record.setdefault(_strip(nodeid), {"theorem": set(), "planted_bug": set()})
        for kind in entry:
            for mark in item.iter_markers(kind):
                entry[kind].update(str(a) for a in _flatten(mark.args))
    COLLECTED["complete"] = whole
    COLLECTED["rootdir"] = str(rootpath)
    COLLECTED["items"] = {k: {kind: sorted(v) for kind, v in e.items()} for k, e in record.items()}
