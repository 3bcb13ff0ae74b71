"""Stated tolerances and declared-rate statistics behave as documented."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dgmcheck.checks import tolerances as tol
from dgmcheck.checks._assert import assert_close, assert_mean_matches
from dgmcheck.checks.errors import TheoremViolation


def test_false_failure_rate_sets_the_z_threshold():
    from scipy import stats

    assert tol.FALSE_FAILURE_RATE <= 1e-9
    assert 2 * stats.norm.sf(tol.Z_THRESHOLD) == pytest.approx(tol.FALSE_FAILURE_RATE)


def test_eps_of_torch_and_numpy_dtypes():
    assert tol.eps(torch.float32) == np.finfo(np.float32).eps
    assert tol.eps(np.float64) == np.finfo(np.float64).eps
    with pytest.raises(TypeError, match="floating dtype"):
        tol.eps(torch.int64)


def test_exact_tolerance_scales_with_dtype_and_condition():
    a, b = tol.exact(torch.float64), tol.exact(torch.float32, 10.0)
    assert b.rtol / a.rtol == pytest.approx(10 * np.finfo(np.float32).eps / np.finfo(np.float64).eps)


def test_schedule_condition_grows_where_one_minus_alpha_bar_is_small():
    betas = np.linspace(1e-4, 0.02, 1000)
    c = tol.schedule_condition(betas, np.array([1, 500, 1000]))
    assert c[0] > 1e4 > c[1] > c[2] >= 1


def test_assert_close_reports_the_worst_element():
    with pytest.raises(TheoremViolation, match=r"worst at index \(1,\)") as info:
        assert_close(np.array([1.0, 2.5]), np.array([1.0, 2.0]), theorem="x.y", slide="s",
                     what="w", tol=tol.exact("float64"))
    assert info.value.expected == 2.0 and info.value.observed == 2.5


def test_nan_is_never_close():
    with pytest.raises(TheoremViolation):
        assert_close(np.array([np.nan]), np.array([0.0]), theorem="x.y", slide="s", what="w",
                     tol=tol.Tolerance(rtol=1.0, atol=1.0))


def test_mean_test_prints_estimate_target_stderr_and_z():
    rng = np.random.default_rng(0)
    x = rng.normal(0.1, 1.0, 100000)
    with pytest.raises(TheoremViolation) as info:
        assert_mean_matches(x, 0.0, theorem="x.y", slide="s", what="mean")
    text = str(info.value)
    for word in ("estimate", "target", "standard error", "z ="):
        assert word in text
    stats = assert_mean_matches(x, 0.1, theorem="x.y", slide="s", what="mean")
    assert abs(stats["z"]) < tol.Z_THRESHOLD
    with pytest.raises(ValueError, match="at least 30"):
        assert_mean_matches(x[:5], 0.0, theorem="x.y", slide="s", what="mean")


def test_profiles_are_selected_by_environment(monkeypatch):
    from dgmcheck.checks import profiles

    monkeypatch.setenv("HYPOTHESIS_PROFILE", "thorough")
    assert profiles.profile_name() == "thorough"
    monkeypatch.delenv("HYPOTHESIS_PROFILE")
    monkeypatch.setenv("CI", "true")
    assert profiles.profile_name() == "ci"
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "fast")
    with pytest.raises(ValueError, match="HYPOTHESIS_PROFILE"):
        profiles.profile_name()


def test_ci_profile_is_derandomized_without_database():
    from hypothesis import settings

    ci = settings.get_profile("dgmcheck-ci")
    assert ci.derandomize and ci.database is None
