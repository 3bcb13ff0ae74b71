"""Checks of noise schedules (schedules.linear, schedules.cosine; seed 001).

A candidate is a schedule function: ``linear(T, beta_start, beta_end)`` or ``cosine(T)``
returning ``β_1..β_T`` (tensor or array). The checks hold it to the closed forms of
``dgmcheck.theory.schedules`` at a tolerance derived from the dtype it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import profile_name
from dgmcheck.checks.tolerances import exact
from dgmcheck.theory import schedules as th

SLIDE = '001 "Denoising diffusion probabilistic models" (linear and cosine schedules)'


def _dtype_of(x: Any) -> Any:
    return getattr(x, "dtype", np.float64)


def check_linear_schedule(betas: Any, beta_start: float, beta_end: float) -> None:
    """schedules.linear: ``β_t = β_1 + (t-1)(β_T - β_1)/(T-1)``, increasing, in (0, 1)."""
    b = to_numpy(betas)
    inputs = {"T": b.size, "beta_start": beta_start, "beta_end": beta_end}
    if b.ndim != 1:
        raise TheoremViolation("schedules.linear", f"betas must be 1-D, got shape {b.shape}",
                               slide=SLIDE, inputs=inputs)
    expected = th.linear_betas(b.size, beta_start, beta_end)
    assert_close(b, expected, theorem="schedules.linear", slide=SLIDE,
                 what="β_t = β_1 + (t-1)(β_T - β_1)/(T-1)", tol=exact(_dtype_of(betas), 4.0),
                 scale=np.maximum(np.abs(expected), beta_end), inputs=inputs)


def check_cosine_schedule(betas: Any, s: float = th.COSINE_OFFSET,
                          max_beta: float = th.COSINE_MAX_BETA) -> None:
    """schedules.cosine: ``∏_{s<=t}(1-β_s) = f(t/T)/f(0)`` for every step before the first capped
    one, and ``β_t = min(1 - f(t/T)/f((t-1)/T), max_beta)`` everywhere."""
    b = to_numpy(betas)
    T = b.size
    inputs = {"T": T, "s": s, "max_beta": max_beta}
    expected = th.cosine_betas(T, s, max_beta)
    tol = exact(_dtype_of(betas), 4.0)
    assert_close(b, expected, theorem="schedules.cosine", slide=SLIDE,
                 what="β_t = min(1 - f(t/T)/f((t-1)/T), max_beta)", tol=tol,
                 scale=np.maximum(expected, 1e-3), inputs=inputs)
    capped = np.flatnonzero(expected >= max_beta)
    n = int(capped[0]) if capped.size else T
    if n:
        abar = np.cumprod(1.0 - b[:n])
        target = th.cosine_alpha_bar(T, s)[:n]
        k = np.arange(1, n + 1)
        assert_close(abar, target, theorem="schedules.cosine", slide=SLIDE,
                     what="ᾱ_t = f(t/T)/f(0) before the cap", tol=exact(_dtype_of(betas), 4.0 * k),
                     scale=np.maximum(target, 1e-3) + k * np.finfo(np.float64).eps,
                     inputs=inputs)


def verify(linear: Callable[..., Any] | None = None, cosine: Callable[[int], Any] | None = None,
           *, max_examples: int | None = None) -> dict[str, str]:
    """Run the schedule checks on schedule functions over drawn ``T`` and end points."""
    if linear is None and cosine is None:
        raise TypeError("pass linear=fn(T, beta_start, beta_end) and/or cosine=fn(T)")
    kw = {} if max_examples is None else {"max_examples": max_examples}
    results: dict[str, str] = {}
    if linear is not None:
        @settings(settings.get_profile(profile_name()), **kw)
        @given(T=st.integers(1, 2000), start=st.floats(1e-5, 1e-2), span=st.floats(0.0, 0.3))
        def run_linear(T: int, start: float, span: float) -> None:
            check_linear_schedule(linear(T, start, start + span), start, start + span)

        run_linear()
        results["linear"] = "passed"
    if cosine is not None:
        @settings(settings.get_profile(profile_name()), **kw)
        @given(T=st.integers(1, 2000))
        def run_cosine(T: int) -> None:
            check_cosine_schedule(cosine(T))

        run_cosine()
        results["cosine"] = "passed"
    return results
