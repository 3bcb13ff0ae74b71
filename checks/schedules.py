"""Checks of noise schedules (schedules.linear, schedules.cosine; seed 001; schedules.sigmoid).

A candidate is a schedule function: ``linear(T, beta_start, beta_end)`` or ``cosine(T)``
returning ``β_1..β_T`` (tensor or array). The checks hold it to the closed forms of
``dgmcheck.theory.schedules`` at a tolerance derived from the dtype it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks.conventions import declared
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.tolerances import exact
from dgmcheck.theory import schedules as th

#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED: tuple[str, ...] = ()

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


def check_sigmoid_schedule(betas: Any, start: float = th.SIGMOID_START, end: float = th.SIGMOID_END,
                           tau: float = th.SIGMOID_TAU, max_beta: float = th.COSINE_MAX_BETA) -> None:
    """schedules.sigmoid: ``β_t = min(1 - g(t/T)/g((t-1)/T), max_beta)``, ``g = sigmoid_alpha_bar_fn``
    (Jabri, Fleet & Chen 2022, Figure 8; denoising-diffusion-pytorch's default schedule).

    Tolerance: ``exact(dtype of betas, cond)`` with ``cond_t = 4 + r/(1-r)·(c(t/T) + c((t-1)/T))``, ``r``
    the ratio and ``c(u) = (σ(end/τ) + σ(z_u))/(σ(end/τ) - σ(z_u))`` the cancellation in ``g``'s numerator.
    """
    b = to_numpy(betas)
    T = b.size
    inputs = {"T": T, "start": start, "end": end, "tau": tau, "max_beta": max_beta}
    expected = th.sigmoid_betas(T, start, end, tau, max_beta)
    u = np.arange(T + 1, dtype=np.float64) / T
    g = th.sigmoid_alpha_bar_fn(u, start, end, tau)
    v_end = 0.5 * (1 + np.tanh(0.5 * end / tau))
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(g > 0, (2 * v_end) / np.maximum(g * (v_end - (1 - v_end)), 1e-300), np.inf)
        ratio = g[1:] / g[:-1]
        cond = 4 + np.where(expected < max_beta, ratio / np.maximum(1 - ratio, 1e-300) * (c[1:] + c[:-1]), 0.0)
    assert_close(b, expected, theorem="schedules.sigmoid", slide=_verify.slide_of("schedules.sigmoid"),
                 what="β_t = min(1 - g(t/T)/g((t-1)/T), max_beta), g the normalized sigmoid",
                 tol=exact(getattr(betas, "dtype", np.float64), cond), scale=expected, inputs=inputs)


class VerifyReport(_verify.VerifyReport):
    concept = "schedules"


def _check_linear(fns: Any, case: tuple[int, float, float]) -> None:
    T, start, span = case
    check_linear_schedule(fns.linear(T, start, start + span), start, start + span)


def _check_cosine(fns: Any, T: int) -> None:
    check_cosine_schedule(fns.cosine(T))


PROPERTIES = (
    _verify.Property("linear", "schedules.linear", _check_linear, ("linear",)),
    _verify.Property("cosine", "schedules.cosine", _check_cosine, ("cosine",)),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


def verify(linear: Callable[..., Any] | None = None, cosine: Callable[[int], Any] | None = None,
           *, properties: Any = None, conventions: Any = None, max_examples: int | None = None,
           shrink: bool | float = True, raise_on_failure: bool = True,
           reproduce: tuple[str, str] | None = None) -> VerifyReport:
    """Run the schedule checks on schedule functions (``linear(T, beta_start, beta_end)``,
    ``cosine(T)``) over drawn ``T`` and end points; ``VerifyFailed`` on a failure."""
    import types

    conv = declared(conventions, "schedules", CONVENTIONS_HONOURED)
    if linear is None and cosine is None:
        raise TypeError("pass linear=fn(T, beta_start, beta_end) and/or cosine=fn(T)")
    fns = types.SimpleNamespace(linear=linear, cosine=cosine)
    strategies = {"linear": st.tuples(st.integers(1, 2000), st.floats(1e-5, 1e-2), st.floats(0.0, 0.3)),
                  "cosine": st.integers(1, 2000)}
    return _verify.run_properties(
        fns, PROPERTIES, VerifyReport("schedules"), wanted=_verify.select(properties, PROPERTY_NAMES),
        kw=_verify.settings_kw(max_examples, shrink), strategy=lambda prop: strategies[prop.name],
        raise_on_failure=raise_on_failure, reproduce=reproduce, conventions=conv)
