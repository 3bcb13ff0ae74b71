"""The pytest plugin: installed beside a foreign suite it changes nothing; ``dgm_device`` /
``dgm_dtype`` / ``--dgm-profile`` / ``dgm_verify`` work when asked for.

The foreign-suite and ``dgm_verify`` runs are real ``python -m pytest`` subprocesses: Hypothesis'
settings are process-global, and this suite has loaded dgmcheck's own profile (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch  # noqa: F401  # imported before pytester's in-process runs, which drop modules they import

pytest_plugins = ["pytester"]

#: Variables of this session that would leak into a child pytest (profile, CI, xdist worker, devices).
_SCRUB = ("CI", "HYPOTHESIS_PROFILE", "PYTEST_ADDOPTS", "DGMCHECK_DEVICE")
_OUTCOME = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\s+(\S+)", re.M)


def _run_pytest(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in _SCRUB and not k.startswith("PYTEST_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", "-p", "no:xdist", *args],
        cwd=folder, env={**base, "OMP_NUM_THREADS": "1", **env},
        capture_output=True, text=True, timeout=120,
    )


def _plugins_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The header's ``plugins: ...`` line: the entry-point plugins pytest loaded."""
    return next((line for line in proc.stdout.splitlines() if line.startswith("plugins:")), "")


def _outcomes(proc: subprocess.CompletedProcess[str]) -> set[tuple[str, str]]:
    return set(_OUTCOME.findall(proc.stdout))


# --- dgm_device / dgm_dtype / --dgm-profile, in process ----------------------------------------


def test_device_option_selects_devices(pytester):
    pytester.makepyfile("""
        import torch

        def test_dev(dgm_device, dgm_dtype):
            assert dgm_device.type == "cpu" and dgm_dtype in (torch.float32, torch.float64)
    """)
    result = pytester.runpytest("--dgm-device", "cpu", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_unknown_device_is_a_usage_error(pytester):
    pytester.makepyfile("def test_dev(dgm_device):\n    pass\n")
    result = pytester.runpytest("--dgm-device", "tpu", "-p", "no:cacheprovider")
    assert result.ret != 0
    assert "--dgm-device/DGMCHECK_DEVICE must list devices" in str(result.outlines + result.errlines)


def test_environment_variable_selects_devices(pytester, monkeypatch):
    monkeypatch.setenv("DGMCHECK_DEVICE", "cpu")
    pytester.makepyfile("def test_dev(dgm_device):\n    assert dgm_device.type == 'cpu'\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_test_that_parametrizes_the_axis_itself_is_left_alone(pytester):
    pytester.makepyfile("""
        import pytest, torch

        @pytest.mark.parametrize("dgm_dtype", ["float64"], indirect=True)
        def test_one(dgm_dtype):
            assert dgm_dtype == torch.float64
    """)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_unknown_profile_is_a_usage_error(pytester):
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("--dgm-profile", "fast", "-p", "no:cacheprovider")
    assert result.ret != 0
    assert "--dgm-profile must be one of" in str(result.outlines + result.errlines)


def test_profile_is_loaded_only_when_asked(pytester):
    """``--dgm-profile thorough`` loads dgmcheck's profile for the session (in process, so this
    process' profile is restored after)."""
    from hypothesis import settings

    pytester.makepyfile("""
        from hypothesis import settings

        def test_profile():
            assert repr(settings()) == repr(settings.get_profile("dgmcheck-thorough"))
    """)
    before = settings.get_current_profile_name()
    try:
        pytester.runpytest("--dgm-profile", "thorough", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    finally:
        settings.load_profile(before)


def test_dgm_verify_runs_under_the_asked_profile_and_restores_the_environment(monkeypatch):
    """``verify`` reads ``HYPOTHESIS_PROFILE`` per property: set for the call, restored after."""
    from dgmcheck.pytest_plugin import _profile_environment

    monkeypatch.delenv("HYPOTHESIS_PROFILE", raising=False)
    with _profile_environment("ci"):
        assert os.environ["HYPOTHESIS_PROFILE"] == "ci"
    assert "HYPOTHESIS_PROFILE" not in os.environ
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "dev")
    with pytest.raises(KeyError), _profile_environment("thorough"):
        assert os.environ["HYPOTHESIS_PROFILE"] == "thorough"
        raise KeyError("a failing verify")
    assert os.environ["HYPOTHESIS_PROFILE"] == "dev"
    with _profile_environment(None):  # not asked: the user's environment decides
        assert os.environ["HYPOTHESIS_PROFILE"] == "dev"


# --- a foreign suite: identical with and without the plugin; dgm_verify in it ------------------

FOREIGN_SUITE = {
    "conftest.py": """
        import pytest

        @pytest.fixture(params=["cpu", "meta"])
        def device(request):
            return request.param

        @pytest.fixture
        def dtype():
            return "bfloat16"
    """,
    "test_fixtures.py": """
        import pytest

        def test_own_fixtures(device, dtype):
            assert device in ("cpu", "meta") and dtype == "bfloat16"

        @pytest.mark.parametrize("device", ["tpu", "npu", "xpu"])
        def test_own_parametrization(device):
            assert isinstance(device, str)
    """,
    "test_hypothesis.py": """
        import json, os
        from hypothesis import given, settings, strategies as st

        RAN = []

        @given(st.integers())
        def test_default_settings(n):
            RAN.append(n)

        def test_zz_record():
            with open(os.environ["FOREIGN_RECORD"], "w") as f:
                json.dump({"max_examples": settings().max_examples, "ran": len(RAN),
                           "settings": repr(settings()).replace(os.getcwd(), "<cwd>")}, f)
    """,
}

# The user's gate, run only with the plugin (it imports torch and dgmcheck's checks at collection,
# before the Hypothesis test above runs: importing them must not change the user's settings either).
USER_GATE = """
    import pytest
    import torch

    from dgmcheck.impl.ddpm import GaussianDiffusion

    BETAS = torch.linspace(1e-4, 0.02, 8, dtype=torch.float64)


    class BetaForBetaTilde(GaussianDiffusion):
        \"\"\"Posterior variance β_t where β̃_t belongs.\"\"\"

        def posterior(self, x_t, x0, t):
            mean, _ = super().posterior(x_t, x0, t)
            return mean, self._at(self.betas, self._steps(t, x_t), x_t)


    def test_right_model_passes(dgm_verify):
        report = dgm_verify(GaussianDiffusion(BETAS), concept="ddpm", properties=["posterior"], max_examples=5)
        assert report.passed == ["posterior"]


    def test_planted_bug_fails(dgm_verify):
        dgm_verify(BetaForBetaTilde(BETAS), concept="ddpm", properties=["posterior"], shrink=False)


    def test_unknown_concept_is_a_value_error(dgm_verify):
        with pytest.raises(ValueError, match="concept 'diffusion'.*expected one of: .*ddpm"):
            dgm_verify(GaussianDiffusion(BETAS), concept="diffusion")
"""


def _foreign_run(root: Path, name: str, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    folder = root / name  # a fresh folder per run: no shared Hypothesis example database
    folder.mkdir()
    for file, text in {**FOREIGN_SUITE, "test_user.py": USER_GATE}.items():
        (folder / file).write_text(textwrap.dedent(text))
    record = folder / "record.json"
    proc = _run_pytest(folder, *args, FOREIGN_RECORD=str(record))
    assert record.is_file(), proc.stdout + proc.stderr
    return proc, json.loads(record.read_text())


@pytest.mark.slow
@pytest.mark.planted_bug("ddpm.posterior")
def test_a_foreign_suite_runs_identically_and_dgm_verify_gates_it(tmp_path):
    """The suite's own parametrized ``device`` and plain ``dtype`` fixtures, its own ``device``
    parametrization and its Hypothesis defaults (100 examples) are untouched by the plugin. Its
    ``dgm_verify`` gate returns the report on a right model, and on a planted bug fails the test
    with the ``[theorem.id]`` violation report and no traceback through Hypothesis or dgmcheck."""
    bare, bare_record = _foreign_run(tmp_path, "bare", "-p", "no:dgmcheck", "--ignore=test_user.py")
    with_plugin, plugin_record = _foreign_run(tmp_path, "plugin")
    assert _plugins_line(with_plugin).count("dgmcheck") == 1 and "dgmcheck" not in _plugins_line(bare)

    foreign = {("PASSED", f"test_fixtures.py::test_own_fixtures[{d}]") for d in ("cpu", "meta")}
    foreign |= {("PASSED", f"test_fixtures.py::test_own_parametrization[{d}]") for d in ("tpu", "npu", "xpu")}
    foreign |= {("PASSED", f"test_hypothesis.py::{t}") for t in ("test_default_settings", "test_zz_record")}
    gate = {
        ("PASSED", "test_user.py::test_right_model_passes"),
        ("FAILED", "test_user.py::test_planted_bug_fails"),
        ("PASSED", "test_user.py::test_unknown_concept_is_a_value_error"),
    }
    assert _outcomes(bare) == foreign, bare.stdout + bare.stderr
    assert _outcomes(with_plugin) == foreign | gate, with_plugin.stdout + with_plugin.stderr
    assert plugin_record == bare_record
    assert bare_record["max_examples"] == bare_record["ran"] == 100

    out = with_plugin.stdout
    failure = out[out.index("_ test_planted_bug_fails _"):out.index("short test summary")]
    assert "[ddpm.posterior]" in failure and 'slide: 000 L8 "Conditioned Reverse Distribution"' in failure
    assert "Traceback" not in failure and "site-packages" not in failure and ".py:" not in failure
    assert "hypothesis" not in failure.lower()


def test_importing_the_checks_keeps_a_users_ci_settings():
    code = ("from hypothesis import settings; before = repr(settings()); import dgmcheck.checks.profiles; "
            "print(before == repr(settings()))")
    env = {**os.environ, "CI": "true"}
    env.pop("HYPOTHESIS_PROFILE", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True", out.stdout + out.stderr


@pytest.mark.parametrize(("profile", "n", "expected"), [("ci", 3, 3), ("dev", 25, 25), ("thorough", 3, 24),
                                                        ("thorough", 60, 400), ("thorough", 400, 400),
                                                        ("thorough", 500, 500)])
def test_pinned_example_counts_scale_with_the_profile(monkeypatch, profile, n, expected):
    """A test that pins ``max_examples=scaled(n)`` runs n in the gate and 8 n (up to 400, never fewer
    than n) under ``thorough``."""
    from dgmcheck.checks.profiles import scaled

    monkeypatch.setenv("HYPOTHESIS_PROFILE", profile)
    assert scaled(n) == expected
    with pytest.raises(ValueError, match="positive integer"):
        scaled(0)
