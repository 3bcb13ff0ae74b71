"""pytest plugin of dgmcheck: the ``dgm_verify`` gate, the ``dgm_device``/``dgm_dtype`` axes, markers.

Registered through the ``pytest11`` entry point, so it is active in every pytest run of an
environment where dgmcheck is installed. It therefore changes nothing a suite has not asked for:

- Only tests that request ``dgm_device`` or ``dgm_dtype`` are parametrized (a suite's own
  ``device``/``dtype`` fixtures and parametrizations are left alone).
- No Hypothesis profile is loaded unless ``--dgm-profile NAME`` is given (``dev``, ``ci``,
  ``thorough``: ``dgmcheck.checks.profiles``); dgmcheck's ``verify`` passes its settings
  explicitly, so the user's own Hypothesis tests keep their settings.

What a suite can ask for:

- ``dgm_verify(candidate, concept="ddpm", **verify_kwargs)`` runs
  ``dgmcheck.checks.<concept>.verify(candidate, **verify_kwargs)`` and returns its report; a
  ``TheoremViolation`` fails the test with the violation report (theorem id, slide, inputs,
  expected and observed values) instead of a traceback through Hypothesis and dgmcheck.
- ``dgm_device``: a ``torch.device`` per device of ``--dgm-device cpu,cuda`` (or
  ``DGMCHECK_DEVICE``); the default is every device kind dgmcheck knows, and a device that is not
  present is skipped with a reason.
- ``dgm_dtype``: ``torch.float32`` and ``torch.float64``.
- The markers ``theorem``, ``planted_bug``, ``slow``, ``cuda``, ``adapters``.
- ``--dgm-coverage[=PATH]``: at the end of collection, write the ``theorem`` / ``planted_bug``
  markers of every collected test (before ``-k``/``-m`` deselection; computed marker arguments are
  fine, pytest has evaluated them) as JSON to PATH (default ``<rootdir>/.dgmcheck/coverage.json``).
  ``dgmcheck theorems`` reads that report: coverage is measured by pytest's own collection.
  ``pytest --collect-only -q --dgm-coverage`` writes it without running anything.

dgmcheck's own suite (``tests/conftest.py``) defines ``device`` and ``dtype`` on top of the same
helpers (:func:`parametrize_axes`, :func:`make_device`, :func:`make_dtype`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

KNOWN_DEVICES = ("cpu", "cuda")
DTYPES = ("float32", "float64")
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
        help="comma-separated devices for tests that take dgm_device (cpu, cuda); "
        "default: $DGMCHECK_DEVICE or 'cpu,cuda' (absent devices are skipped)",
    )
    group.addoption(
        "--dgm-profile",
        default=None,
        metavar="NAME",
        help="load dgmcheck's Hypothesis profile NAME (dev, ci, thorough) for the whole session and "
        "run dgm_verify under it; default: load none (dgm_verify then follows $HYPOTHESIS_PROFILE)",
    )
    group.addoption(
        "--dgm-coverage",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="write the theorem/planted_bug markers of the collected tests as JSON at the end of "
        f"collection (default PATH: <rootdir>/{DEFAULT_COVERAGE_PATH.as_posix()}); read by `dgmcheck theorems`",
    )


#: Where ``--dgm-coverage`` without a value writes, relative to the rootdir.
DEFAULT_COVERAGE_PATH = Path(".dgmcheck") / "coverage.json"
#: Version of the coverage report's layout (``dgmcheck.registry.read_coverage_report`` checks it).
COVERAGE_FORMAT = 1
_COLLECTION = pytest.StashKey["_Collection"]()


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    collection = _Collection()
    config.stash[_COLLECTION] = collection
    config.pluginmanager.register(collection, f"dgmcheck-collection-{id(config)}")
    # Only when asked: selected_profile imports dgmcheck.checks.profiles, which registers
    # dgmcheck's profiles with Hypothesis.
    name = selected_profile(config)
    if name is not None:
        from hypothesis import settings

        from dgmcheck.checks.profiles import hypothesis_name

        settings.load_profile(hypothesis_name(name))


def selected_profile(config: pytest.Config) -> str | None:
    """The ``--dgm-profile`` name, validated; None when the option was not given."""
    name = config.getoption("--dgm-profile", default=None)
    if name is None:
        return None
    from dgmcheck.checks.profiles import PROFILES

    if name not in PROFILES:
        raise pytest.UsageError(f"--dgm-profile must be one of {PROFILES}, got {name!r}")
    return name


def selected_devices(config: pytest.Config) -> list[str]:
    """The devices of ``--dgm-device`` (else ``DGMCHECK_DEVICE``, else cpu and cuda)."""
    raw = config.getoption("--dgm-device", default=None) or os.environ.get("DGMCHECK_DEVICE") or "cpu,cuda"
    devices = [d.strip() for d in raw.split(",") if d.strip()]
    unknown = [d for d in devices if d.split(":")[0] not in KNOWN_DEVICES]
    if unknown or not devices:
        raise pytest.UsageError(
            f"--dgm-device/DGMCHECK_DEVICE must list devices among {KNOWN_DEVICES}, got {raw!r}"
        )
    return devices


def _parametrized_by_test(metafunc: pytest.Metafunc, name: str) -> bool:
    """Whether the test's own ``@pytest.mark.parametrize`` already names ``name``."""
    for mark in metafunc.definition.iter_markers("parametrize"):
        argnames = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
        if isinstance(argnames, str):
            argnames = [a.strip() for a in argnames.split(",")]
        if name in argnames:
            return True
    return False


def parametrize_axes(metafunc: pytest.Metafunc, *, device: str, dtype: str) -> None:
    """Parametrize the fixtures named ``device`` and ``dtype`` (indirectly) over the selected
    devices and the two float dtypes — only for tests that request them and do not parametrize
    them themselves."""
    if device in metafunc.fixturenames and not _parametrized_by_test(metafunc, device):
        params = []
        for name in selected_devices(metafunc.config):
            marks = [pytest.mark.cuda] if name.startswith("cuda") else []
            params.append(pytest.param(name, marks=marks, id=name))
        metafunc.parametrize(device, params, indirect=True)
    if dtype in metafunc.fixturenames and not _parametrized_by_test(metafunc, dtype):
        metafunc.parametrize(dtype, list(DTYPES), indirect=True)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_axes(metafunc, device="dgm_device", dtype="dgm_dtype")


def make_device(name: str) -> Any:
    """``torch.device(name)``; skips the test with a reason when it is a cuda device and none is present."""
    import torch

    if name.startswith("cuda") and not torch.cuda.is_available():
        pytest.skip("CUDA is not available on this machine (run the cuda tier where a GPU is)")
    return torch.device(name)


def make_dtype(name: str) -> Any:
    """``torch.float32`` or ``torch.float64`` from its name."""
    import torch

    return getattr(torch, name)


@pytest.fixture
def dgm_device(request: pytest.FixtureRequest) -> Any:
    """A ``torch.device`` from ``--dgm-device``; skipped with a reason when it is not present."""
    return make_device(request.param)


@pytest.fixture
def dgm_dtype(request: pytest.FixtureRequest) -> Any:
    """``torch.float32`` and ``torch.float64``."""
    return make_dtype(request.param)


@contextmanager
def _profile_environment(name: str | None) -> Iterator[None]:
    """``HYPOTHESIS_PROFILE=name`` for the duration of one ``verify`` (``verify`` reads it per property)."""
    if name is None:
        yield
        return
    before = os.environ.get("HYPOTHESIS_PROFILE")
    os.environ["HYPOTHESIS_PROFILE"] = name
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("HYPOTHESIS_PROFILE", None)
        else:
            os.environ["HYPOTHESIS_PROFILE"] = before


def run_verify(candidate: Any, concept: str, *, profile: str | None = None, **verify_kwargs: Any) -> Any:
    """``dgmcheck.checks.<concept>.verify(candidate, **verify_kwargs)``; a ``TheoremViolation``
    fails the current test with its report (``pytest.fail(..., pytrace=False)``).

    ``concept`` is a concept name of ``dgmcheck verify --concept`` (a module of
    ``dgmcheck.checks`` with a ``verify``); anything else is a ValueError listing the names.
    """
    from dgmcheck.checks.errors import TheoremViolation
    from dgmcheck.cli import ConceptError, concept_module

    if not isinstance(concept, str):
        raise TypeError(f"dgm_verify: concept must be a concept name (str), got {type(concept).__name__}")
    try:
        module = concept_module(concept)
    except ConceptError as exc:
        raise ValueError(f"dgm_verify: {exc}") from None
    try:
        with _profile_environment(profile):
            return module.verify(candidate, **verify_kwargs)
    except TheoremViolation as exc:
        violation = exc
    # Outside the except block, so the failure carries no chained Hypothesis traceback.
    pytest.fail(str(violation), pytrace=False)


@pytest.fixture
def dgm_verify(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """``dgm_verify(candidate, concept="ddpm", **verify_kwargs)``: the candidate against
    ``dgmcheck.checks.<concept>.verify``; returns the report, or fails the test with the violation.

    >>> def test_my_sampler(dgm_verify):                                        # doctest: +SKIP
    ...     dgm_verify(MyDiffusion(betas), concept="ddpm", dtype=torch.float32)
    """
    profile = selected_profile(request.config)

    def verify(candidate: Any, *, concept: str, **verify_kwargs: Any) -> Any:
        __tracebackhide__ = True
        return run_verify(candidate, concept, profile=profile, **verify_kwargs)

    return verify


# --------------------------------------------------------------------------------------------
# Coverage: the theorem / planted_bug markers of the collected tests
# --------------------------------------------------------------------------------------------


class _Collection:
    """What this session collected: the items before deselection (only the list is copied; markers
    are read when asked for) and the node ids of the collectors that failed."""

    def __init__(self) -> None:
        self.items: list[pytest.Item] = []
        self.errors: list[str] = []

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(report.nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.items = list(items)


def _collection(config: pytest.Config) -> _Collection:
    return config.stash.get(_COLLECTION, None) or _Collection()


def _strip(nodeid: str) -> str:
    """``"tests/t.py::test_x[cpu-float32]"`` -> ``"tests/t.py::test_x"``."""
    start = nodeid.find("::")
    bracket = nodeid.find("[", start if start >= 0 else 0)
    return nodeid if bracket < 0 else nodeid[:bracket]


def _flatten(args: Any) -> Iterator[Any]:
    for arg in args:
        if isinstance(arg, (list, tuple, set, frozenset)):
            yield from _flatten(arg)
        else:
            yield arg


def collected_markers(config: pytest.Config) -> dict[str, dict[str, list[str]]]:
    """``{nodeid: {"theorem": ids, "planted_bug": ids}}`` of every test this session collected
    (before deselection), node ids relative to the rootdir without parametrization brackets."""
    root = config.rootpath.resolve()
    record: dict[str, dict[str, set[str]]] = {}
    for item in _collection(config).items:
        path = Path(str(item.path)).resolve()
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
        tail = item.nodeid[item.nodeid.find("::"):] if "::" in item.nodeid else ""
        entry = record.setdefault(_strip(rel + tail), {"theorem": set(), "planted_bug": set()})
        for kind, ids in entry.items():
            for mark in item.iter_markers(kind):
                ids.update(str(arg) for arg in _flatten(mark.args))
    return {nodeid: {kind: sorted(ids) for kind, ids in entry.items()} for nodeid, entry in record.items()}


def coverage_report(config: pytest.Config) -> dict[str, Any]:
    """The report ``--dgm-coverage`` writes: the markers of :func:`collected_markers`, the files that
    failed to collect, the rootdir and the arguments of the run."""
    from dgmcheck import __version__

    return {"format": COVERAGE_FORMAT, "dgmcheck": __version__, "created": time.time(),
            "rootdir": str(config.rootpath), "args": [str(a) for a in config.args],
            "errors": sorted(set(_collection(config).errors)), "items": collected_markers(config)}


def coverage_path(config: pytest.Config) -> Path | None:
    """Where ``--dgm-coverage`` writes (None when it was not given); relative paths are the rootdir's."""
    raw = config.getoption("--dgm-coverage", default=None)
    if raw is None:
        return None
    path = Path(raw) if raw else DEFAULT_COVERAGE_PATH
    return path if path.is_absolute() else config.rootpath / path


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    path = coverage_path(config)
    worker = getattr(config, "workerinput", None)  # pytest-xdist: every worker collects the same items
    if path is None or (worker is not None and worker.get("workerid") != "gw0"):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(coverage_report(config), indent=1, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)  # readers never see half a report
