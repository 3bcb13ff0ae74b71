"""pytest plugin of dgmcheck: markers, the Hypothesis profile, and the device/dtype axes.

Registered through the ``pytest11`` entry point, so a user's own test suite gets the same
``device`` and ``dtype`` fixtures and the ``--dgm-device`` option.

- ``--dgm-device cpu,cuda`` (or ``DGMCHECK_DEVICE``) picks the devices; the default is every
  device kind dgmcheck knows (cpu, cuda), and a device that is not present is skipped with a reason.
- Tests that take a ``dtype`` fixture run in float32 and float64.
"""

from __future__ import annotations

import os

import pytest

KNOWN_DEVICES = ("cpu", "cuda")
MARKERS = {
    "theorem": "theorem(*ids): the test exercises these theorem ids of the registry",
    "planted_bug": "planted_bug(*ids): the test plants a realistic bug and shows the check of "
    "these theorem ids catches it",
    "slow": "long-running; deselect with -m 'not slow'",
    "cuda": "needs a CUDA device; skipped when none is present",
    "adapters": "exercises an optional third-party adapter; skipped when the library is absent",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dgmcheck")
    group.addoption(
        "--dgm-device",
        default=None,
        help="comma-separated devices to run device-parametrized tests on (cpu, cuda); "
        "default: $DGMCHECK_DEVICE or 'cpu,cuda' (absent devices are skipped)",
    )


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    from dgmcheck.checks.profiles import load_profile

    load_profile()


def selected_devices(config: pytest.Config) -> list[str]:
    raw = config.getoption("--dgm-device") or os.environ.get("DGMCHECK_DEVICE") or "cpu,cuda"
    devices = [d.strip() for d in raw.split(",") if d.strip()]
    unknown = [d for d in devices if d.split(":")[0] not in KNOWN_DEVICES]
    if unknown or not devices:
        raise pytest.UsageError(
            f"--dgm-device/DGMCHECK_DEVICE must list devices among {KNOWN_DEVICES}, got {raw!r}"
        )
    return devices


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "device" in metafunc.fixturenames:
        params = []
        for name in selected_devices(metafunc.config):
            marks = [pytest.mark.cuda] if name.startswith("cuda") else []
            params.append(pytest.param(name, marks=marks, id=name))
        metafunc.parametrize("device", params, indirect=True)
    if "dtype" in metafunc.fixturenames:
        metafunc.parametrize("dtype", ["float32", "float64"], indirect=True)


@pytest.fixture
def device(request: pytest.FixtureRequest):
    """A ``torch.device`` from ``--dgm-device``; skipped with a reason when it is not present."""
    import torch

    name = request.param
    if name.startswith("cuda") and not torch.cuda.is_available():
        pytest.skip("CUDA is not available on this machine (run the cuda tier where a GPU is)")
    return torch.device(name)


@pytest.fixture
def dtype(request: pytest.FixtureRequest):
    """``torch.float32`` and ``torch.float64``."""
    import torch

    return getattr(torch, request.param)
