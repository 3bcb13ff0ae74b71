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
    # HYPOTHESIS_PROFILE (dev/ci/thorough, ci under CI=true) unless --dgm-profile already chose one.
    if selected_profile(config) is None:
        from dgmcheck.checks.profiles import load_profile

        load_profile()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The gate (``pytest -n auto``) leaves out the tests marked ``slow``: trainings, the foreign
    suite in subprocesses, 400-example runs. They run when asked — ``-m slow`` (as ``.ci/run`` does
    after the gate), any ``-m`` expression, or ``HYPOTHESIS_PROFILE=thorough`` — and a test named
    by its node id always runs."""
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
