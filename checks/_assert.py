"""Comparison helpers shared by every check: exact oracles and declared-rate statistics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.tolerances import Z_THRESHOLD, Tolerance


def to_numpy(x: Any) -> np.ndarray:
    """A float64 numpy copy of a tensor, array or number (torch imported lazily)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu()
        if x.is_floating_point():
            x = x.double()
        return x.numpy()
    return np.asarray(x, dtype=np.float64)


def _to_shape(a: Any, shape: tuple[int, ...]) -> Any:
    """``np.broadcast_to(a, shape)``, skipped where ``a`` has that shape already."""
    return a if isinstance(a, np.ndarray) and a.shape == shape else np.broadcast_to(a, shape)


def assert_close(observed: Any, expected: Any, *, theorem: str, slide: str, what: str,
                 tol: Tolerance, scale: Any = None,
                 inputs: Mapping[str, Any] | None = None) -> None:
    """Raise TheoremViolation unless ``|observed - expected| <= tol.atol + tol.rtol * scale``.

    ``scale`` defaults to ``|expected|``; pass the sum of the magnitudes of the terms where the
    quantity is a difference that can cancel. The message names the worst element.
    """
    obs = to_numpy(observed)
    exp = np.asarray(expected, dtype=np.float64)
    if obs.shape == exp.shape:  # the usual case: nothing to broadcast (broadcast_* cost most of a pass)
        obs_b, exp_b = obs, exp
    else:
        try:
            obs_b, exp_b = np.broadcast_arrays(obs, exp)
        except ValueError:
            raise TheoremViolation(theorem, f"{what}: shape {obs.shape} where {exp.shape} is expected",
                                   slide=slide, inputs=inputs) from None
        if obs.shape != exp_b.shape and obs.size != exp.size:
            raise TheoremViolation(theorem, f"{what}: shape {obs.shape} where {exp.shape} is expected",
                                   slide=slide, inputs=inputs)
        obs_b = obs_b.reshape(exp_b.shape)
    sc = np.abs(exp_b) if scale is None else _to_shape(np.abs(scale), exp_b.shape)
    bound = _to_shape(tol.bound(sc), exp_b.shape)
    err = np.abs(obs_b - exp_b)
    bad = ~(err <= bound)  # NaN counts as bad
    if bad.any():
        ratio = np.where(np.isfinite(err), err / np.maximum(bound, 1e-300), np.inf)
        i = np.unravel_index(int(np.argmax(np.where(bad, ratio, -1))), exp_b.shape)
        violation = TheoremViolation(
            theorem,
            f"{what}: {int(bad.sum())} of {bad.size} values off; worst at index {tuple(map(int, i))}: "
            f"|observed - expected| = {err[i]:.3e} > allowed {bound[i]:.3e}",
            slide=slide, inputs=inputs, expected=exp_b[i], observed=obs_b[i])
        # Every element, for the HTML report's expected-vs-observed plot (an off-by-one in t shows
        # as a shifted curve); not part of the message, not pickled.
        violation.series = {"expected": exp_b, "observed": obs_b, "allowed": bound}
        raise violation


def assert_mean_matches(samples: np.ndarray, target: float, *, theorem: str, slide: str,
                        what: str, inputs: Mapping[str, Any] | None = None) -> dict[str, float]:
    """Two-sided z-test of ``mean(samples) == target`` at the declared false-failure rate.

    The failure message prints estimate, target, standard error and z; returns them on success.
    """
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size < 30:
        raise ValueError(f"samples must hold at least 30 values for a z-test, got {x.size}")
    est = float(x.mean())
    se = float(x.std(ddof=1) / np.sqrt(x.size))
    z = (est - target) / se if se > 0 else (0.0 if est == target else np.inf)
    stats = {"estimate": est, "target": float(target), "stderr": se, "z": float(z)}
    if not abs(z) <= Z_THRESHOLD:
        raise TheoremViolation(
            theorem, f"{what}: estimate {est:.6g}, target {target:.6g}, standard error {se:.3g}, "
            f"z = {z:.2f} beyond ±{Z_THRESHOLD:.2f} (false-failure rate 1e-9)",
            slide=slide, inputs=inputs, expected=target, observed=est)
    return stats
