"""Shared by the suite: the ``device``/``dtype`` axes, the Hypothesis profile, the lecture files,
and the markers of every collected test, recorded before any deselection.

The axes and the profile are dgmcheck's own: the pytest plugin only parametrizes ``dgm_device`` /
``dgm_dtype`` and loads no profile unless asked (``--dgm-profile``), so a user's suite is left
alone; this suite asks here, through the plugin's helpers.

The registry self-test compares the static marker scan with what pytest itself collected; when
this session collected the whole ``tests`` folder it reads this record instead of collecting the
suite again in a subprocess (a second full import of torch, diffusers and every test module).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from dgmcheck.pytest_plugin import make_device, make_dtype, parametrize_axes, selected_profile

TESTS_DIR = Path(__file__).resolve().parent
COLLECTED: dict[str, Any] = {"complete": False, "errors": [], "items": {}}

#: Where the lecture files (``0*.txt``) are: tests that read them skip unless it is set.
SEEDS_ENV = "DGMCHECK_SEEDS"


def pytest_configure(config: pytest.Config) -> None:
    # HYPOTHESIS_PROFILE (dev/ci/thorough, ci under CI=true) unless --dgm-profile already chose one.
    if selected_profile(config) is None:
        from dgmcheck.checks.profiles import load_profile

        load_profile()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_axes(metafunc, device="device", dtype="dtype")


@pytest.fixture
def device(request: pytest.FixtureRequest):
    """A ``torch.device`` per device of ``--dgm-device``/``DGMCHECK_DEVICE`` (cuda skips when absent)."""
    return make_device(request.param)


@pytest.fixture
def dtype(request: pytest.FixtureRequest):
    """``torch.float32`` and ``torch.float64``."""
    return make_dtype(request.param)


def seeds_dir() -> Path | None:
    """The lecture files' folder from ``DGMCHECK_SEEDS``; None when unset. A value that is not a
    folder is an error, not a skip: a mistyped path must not silently skip the seed tests."""
    raw = os.environ.get(SEEDS_ENV)
    if not raw:
        return None
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise pytest.UsageError(f"{SEEDS_ENV} must name the folder of the lecture files (0*.txt), got {raw!r}")
    return path


@pytest.fixture
def seeds() -> Path:
    """The lecture files' folder (``DGMCHECK_SEEDS``); the test skips when it is not set."""
    path = seeds_dir()
    if path is None:
        pytest.skip(f"{SEEDS_ENV} is not set: point it at the folder of the lecture files (0*.txt)")
    return path


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
