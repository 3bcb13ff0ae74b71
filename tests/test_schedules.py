"""schedules.linear and schedules.cosine: the impl held to the closed forms, and bugs caught."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dgmcheck.checks import schedules as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.impl import schedules as impl
from dgmcheck.theory import schedules as th


@pytest.mark.theorem("schedules.linear", "schedules.cosine")
def test_impl_schedules_pass():
    assert checks.verify(impl.linear_betas, impl.cosine_betas).passed == ["linear", "cosine"]


@pytest.mark.theorem("schedules.linear")
def test_linear_schedule_of_ho_et_al():
    b = th.linear_betas(1000)
    assert b[0] == 1e-4 and b[-1] == pytest.approx(0.02, rel=1e-15)
    assert np.all(np.diff(b) > 0)
    # ᾱ_T = ∏(1-β_t), compared with the value from the closed-form sum of log1p terms' first order
    assert th.alpha_bars(b)[-1] == pytest.approx(4.0358e-5, rel=1e-3)


@pytest.mark.theorem("schedules.cosine")
def test_cosine_alpha_bar_telescopes_symbolically():
    for n in (1, 2, 5):
        assert th.symbolic_cosine_telescoping(n) == 0


@pytest.mark.theorem("schedules.cosine")
def test_cosine_schedule_is_capped_only_at_the_end():
    b = th.cosine_betas(1000)
    assert np.all((b > 0) & (b <= th.COSINE_MAX_BETA))
    assert np.flatnonzero(b >= th.COSINE_MAX_BETA).tolist() == [999]
    np.testing.assert_allclose(np.cumprod(1 - b)[:-1], th.cosine_alpha_bar(1000)[:-1],
                               rtol=1e-11)


# Planted bugs: (schedule function, which check, theorem).
def _linear_off_by_one(T, a, b):
    return torch.linspace(a, b, T + 1, dtype=torch.float64)[1:]


def _linear_in_sqrt_space(T, a, b):  # diffusers' "scaled_linear" taken for "linear"
    return torch.linspace(a**0.5, b**0.5, T, dtype=torch.float64) ** 2


def _cosine_without_offset(T):
    return torch.tensor(th.cosine_betas(T, s=0.0))


def _cosine_alpha_bar_as_beta(T):  # 1 - ᾱ_t where β_t belongs
    return torch.tensor(np.clip(1 - th.cosine_alpha_bar(T), 1e-8, th.COSINE_MAX_BETA))


@pytest.mark.planted_bug("schedules.linear", "schedules.cosine")
@pytest.mark.parametrize(("kwargs", "theorem"), [
    ({"linear": _linear_off_by_one}, "schedules.linear"),
    ({"linear": _linear_in_sqrt_space}, "schedules.linear"),
    ({"cosine": _cosine_without_offset}, "schedules.cosine"),
    ({"cosine": _cosine_alpha_bar_as_beta}, "schedules.cosine"),
], ids=["linear-off-by-one", "scaled-linear", "cosine-no-offset", "cosine-alpha-bar"])
def test_planted_schedule_bugs_are_caught(kwargs, theorem):
    with pytest.raises(TheoremViolation) as info:
        checks.verify(**kwargs, shrink=False)
    assert info.value.theorem == theorem


def test_float32_schedules_are_held_to_float32_tolerance():
    """A float32 copy of the right schedule passes; the check does not demand float64 digits."""
    checks.check_linear_schedule(impl.linear_betas(1000).float(), 1e-4, 0.02)
    checks.check_cosine_schedule(impl.cosine_betas(1000).float())


@pytest.mark.parametrize("call", [
    lambda: th.linear_betas(0), lambda: th.linear_betas(10, 0.5, 0.1),
    lambda: th.cosine_betas(10, max_beta=1.0), lambda: impl.linear_betas(-3),
    lambda: impl.cosine_betas(5, max_beta=0.0),
])
def test_bad_schedule_arguments(call):
    with pytest.raises(ValueError):
        call()
