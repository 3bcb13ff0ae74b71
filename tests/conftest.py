"""Shared by the suite: the ``device``/``dtype`` axes, the Hypothesis profile and the lecture files.

The axes and the profile are dgmcheck's own: the pytest plugin only parametrizes ``dgm_device`` /
``dgm_dtype`` and loads no profile unless asked (``--dgm-profile``), so a user's suite is left
alone; this suite asks here, through the plugin's helpers. Theorem coverage is recorded by the
plugin itself (``--dgm-coverage``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dgmcheck.pytest_plugin import make_device, make_dtype, parametrize_axes, selected_profile

#: Where the lecture files (``0*.txt``) are: tests that read them skip unless it is set.
SEEDS_ENV = "DGMCHECK_SEEDS"


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_TwinRule(), "dgmcheck-tests-twin-rule")
    # HYPOTHESIS_PROFILE (dev/ci/thorough, ci under CI=true) unless --dgm-profile already chose one.
    if selected_profile(config) is None:
        from dgmcheck.checks.profiles import load_profile

        load_profile()


#: The dtype parameters the twin rule reads (the ``dtype`` fixture's names and torch's dtypes).
_FLOAT32, _FLOAT64 = ("float32", "torch.float32"), ("float64", "torch.float64")


def _dtype_twin(item: pytest.Item) -> tuple[str, tuple] | None:
    """``(dtype, key)`` of a test case parametrized by a float dtype, where ``key`` names the case
    but for that dtype (its float32 and float64 twins share it); None for other tests."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    dtype, rest = None, []
    for name, value in callspec.params.items():
        text = value if isinstance(value, str) else str(value)
        if text in _FLOAT32 + _FLOAT64:
            dtype = "float32" if text in _FLOAT32 else "float64"
        else:
            plain = isinstance(value, (str, int, float, bool, type(None)))
            rest.append((name, value if plain else id(value)))
    if dtype is None:
        return None
    return dtype, (str(item.path), getattr(item, "originalname", item.name), tuple(rest))


class _TwinRule:
    """The twin rule: a test case at float64 whose float32 twin (the same test and parameters) is
    collected too is marked ``slow``. The gate holds every dtype-parametrized test at float32, where
    the tolerances are tightest against rounding and a planted bug is hardest to see; the slow tier
    repeats it at float64. Marks before ``-m`` deselects (``tryfirst``), so ``-m slow`` selects the
    twins; the list itself is left whole for the coverage record, and ``GATE_MARKS`` is read off it."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        twins = {item: _dtype_twin(item) for item in items}
        have32 = {t[1] for t in twins.values() if t is not None and t[0] == "float32"}
        for item, twin in twins.items():
            if twin is not None and twin[0] == "float64" and twin[1] in have32:
                item.add_marker(pytest.mark.slow)
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
