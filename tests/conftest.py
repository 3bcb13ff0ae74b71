"""Shared by the suite: the ``device``/``dtype`` axes, the Hypothesis profile and the lecture files.

The axes and the profile are dgmcheck's own: the pytest plugin only parametrizes ``dgm_device`` /
``dgm_dtype`` and loads no profile unless asked (``--dgm-profile``), so a user's suite is left
alone; this suite asks here, through the plugin's helpers. Theorem coverage is recorded by the
plugin itself (``--dgm-coverage``).
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from dgmcheck.pytest_plugin import make_device, make_dtype, parametrize_axes, selected_profile

#: Where the lecture files (``0*.txt``) are: tests that read them skip unless it is set.
SEEDS_ENV = "DGMCHECK_SEEDS"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "twin: a float64 or linear-schedule case the twin rule sends to the "
                                       "slow tier (set by tests/conftest.py, not written by hand)")
    config.pluginmanager.register(_TwinRule(), "dgmcheck-tests-twin-rule")
    # HYPOTHESIS_PROFILE (dev/ci/thorough, ci under CI=true) unless --dgm-profile already chose one.
    if selected_profile(config) is None:
        from dgmcheck.checks.profiles import load_profile

        load_profile()


#: The twin axes: ``(gate values, slow-tier values)`` of a parameter. A case whose value is a slow one
#: goes to the slow tier when its twin with a gate value (the same test, the other parameters equal)
#: is collected too. float32 stays in the gate: tolerances are tightest against rounding there and a
#: planted bug is hardest to see. The cosine schedule stays: it is the one that stresses the tables
#: (β_T capped near 1, ᾱ_T near 0); linear runs the same code on milder numbers.
TWIN_AXES = ((("float32", "torch.float32"), ("float64", "torch.float64")),
             (("cosine", "squaredcos_cap_v2"), ("linear",)))


def _twin_keys(item: pytest.Item) -> list[tuple[bool, tuple]]:
    """For each twin axis the case is parametrized along: ``(whether its value is a slow-tier one,
    key)``, where ``key`` names the case but for that axis (twins share it)."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return []
    params = [(name, value if isinstance(value, (str, int, float, bool, type(None))) else id(value),
               value if isinstance(value, str) else str(value)) for name, value in callspec.params.items()]
    keys = []
    for axis, (gate, slow) in enumerate(TWIN_AXES):
        hit = [i for i, (_, _, text) in enumerate(params) if text in gate + slow]
        if len(hit) == 1:
            rest = tuple((n, v) for j, (n, v, _) in enumerate(params) if j != hit[0])
            base = (axis, str(item.path), getattr(item, "originalname", item.name), rest)
            keys.append((params[hit[0]][2] in slow, base))
    return keys


class _TwinRule:
    """The twin rule (``TWIN_AXES``): a float64 case whose float32 twin is collected too, and a linear-
    schedule case whose cosine twin is, are marked ``slow``; the gate holds the twin, the slow tier
    repeats the case. Marks before ``-m`` deselects (``tryfirst``), so ``-m slow`` selects the twins;
    the list itself is left whole for the coverage record, and ``GATE_MARKS`` is read off it."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        keys = {item: _twin_keys(item) for item in items}
        in_gate = {key for ks in keys.values() for slow, key in ks if not slow}
        for item, ks in keys.items():
            if any(slow and key in in_gate for slow, key in ks):
                item.add_marker(pytest.mark.slow)
                item.add_marker(pytest.mark.twin)
        _record_gate_marks(items)


#: ``{"theorem" | "planted_bug": {id: whether a test of the gate carries it}}`` of this session's
#: collection, read by the test that keeps every theorem and planted bug in the gate.
GATE_MARKS: dict[str, dict[str, bool]] = {"theorem": {}, "planted_bug": {}}


def _record_gate_marks(items: list[pytest.Item]) -> None:
    for item in items:
        gate = item.get_closest_marker("slow") is None
        for kind, ids in GATE_MARKS.items():
            for mark in item.iter_markers(kind):
                for arg in mark.args:
                    for value in (arg if isinstance(arg, (list, tuple, set, frozenset)) else (arg,)):
                        ids[str(value)] = ids.get(str(value), False) or gate


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The gate (``pytest -n auto``) leaves out the tests marked ``slow``: trainings, the foreign
    suite in subprocesses, 400-example runs, float64 twins (``_TwinRule``). They run when asked —
    ``-m slow`` (as ``.ci/run`` does after the gate), any ``-m`` expression, or
    ``HYPOTHESIS_PROFILE=thorough`` — and a test named by its node id always runs."""
    from dgmcheck.checks.profiles import profile_name

    if config.option.markexpr or profile_name() == "thorough" or any("::" in a for a in config.args):
        return
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item.get_closest_marker("slow") is None]


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


def pytest_collection_finish(session: pytest.Session) -> None:
    """Collection imported torch, sympy, scipy, Hypothesis and every module under test: objects that live
    for the whole session. Frozen out of the garbage collector's generations (``gc.freeze``), they are not
    rescanned by every full collection the tests' own allocations trigger (measured: parsing the
    repository with ``ast`` took twice as long beside them)."""
    gc.freeze()
