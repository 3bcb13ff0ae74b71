"""The distributional fallback for code whose random draws cannot be matched one to one.

A candidate that draws its own variates is normally fed the check's draws (``checks.capture``),
so its output is compared exactly. When the draws cannot be matched (another count, shape or kind
of variates: a rejection loop, Box–Muller from uniforms, a fused kernel), the step is checked by
its law instead: the candidate runs with its own draws (torch seeded from a drawn integer, the
caller's random state restored afterwards) on ``n`` repetitions of every input row, and the
standardized outputs ``u = (x - μ)/σ`` of the theorem's Gaussian ``N(μ, σ² I)`` must have mean 0
and second moment 1. Each of the two z-tests runs at half the declared false-failure rate, so
together they keep it (1e-9). The sample size is derived (``tolerances.law_sample_size``) so that a
2 % variance bias is caught: ``N = 2(1.02)²((z_thr + z_miss)/0.02)² ≈ 626 000`` standardized values with
``z_thr ≈ 6.22`` (1e-9 over both moments) and ``z_miss ≈ 4.75`` (a miss rate of 1e-6): the bias then
stands at ``z = 0.02/√(2·1.02²/N) ≈ 11.0``, and the test misses it with probability
``Φ(6.22 - 11.0) ≈ 1e-6`` (power 0.999999). Values are standardized in float64 from the candidate's
output, so a float32 candidate gets the same power (its rounding, ~1e-7 relative, is far below 2 %).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy import stats

from dgmcheck.checks._assert import to_numpy
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.tolerances import FALSE_FAILURE_RATE, law_sample_size

Z_EACH = float(stats.norm.isf(FALSE_FAILURE_RATE / 4))  # two two-sided tests at rate / 2 each
#: The smallest variance bias the law check must catch, and how rarely it may miss it.
VARIANCE_BIAS, MISS_RATE = 0.02, 1e-6
SAMPLES = law_sample_size(VARIANCE_BIAS, MISS_RATE, Z_EACH)  # standardized values per law check (≈ 626 000)


def repetitions(rows: int, dim: int) -> int:
    """Repetitions of each input row so that ``rows · dim · n >= SAMPLES``."""
    return max(2, math.ceil(SAMPLES / max(1, rows * dim)))


def seeded(seed: int, fn: Callable[[], Any], like: Any) -> Any:
    """``fn()`` with torch's generator on ``like``'s device seeded by ``seed``; the caller's random
    state is restored afterwards (a check must not disturb the suite it runs in)."""
    import torch

    device = like.device if hasattr(like, "device") else torch.device("cpu")
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        return fn()


def assert_gaussian_law(samples: Any, mean: np.ndarray, std: np.ndarray, *, theorem: str, slide: str,
                        what: str, inputs: Mapping[str, Any] | None = None) -> dict[str, float]:
    """``samples`` against ``N(mean, std²)`` element by element (``mean`` and ``std > 0`` broadcast
    to them). Raises ``TheoremViolation`` printing estimate, target, standard error and z for the
    failing moment; returns the z of each moment."""
    x = to_numpy(samples)
    mean = np.broadcast_to(np.asarray(mean, dtype=np.float64), x.shape)
    std = np.broadcast_to(np.asarray(std, dtype=np.float64), x.shape)
    if not (std > 0).all():
        raise ValueError("std must be > 0 everywhere: compare noiseless outputs exactly instead")
    u = ((x - mean) / std).ravel()
    if u.size < 30:
        raise ValueError(f"need at least 30 samples for the z-tests, got {u.size}")
    result: dict[str, float] = {"n": float(u.size)}
    for name, values, target in (("mean of (x - μ)/σ", u, 0.0), ("mean of ((x - μ)/σ)²", u**2, 1.0)):
        est = float(values.mean())
        se = float(values.std(ddof=1) / math.sqrt(values.size))
        z = (est - target) / se if se > 0 else (0.0 if est == target else math.inf)
        result[name] = z
        if not abs(z) <= Z_EACH:
            raise TheoremViolation(
                theorem, f"{what} (by its law: the candidate's own draws could not be matched one to one): "
                f"{name}: estimate {est:.6g}, target {target:.6g}, standard error {se:.3g}, z = {z:.2f} "
                f"beyond ±{Z_EACH:.2f} (false-failure rate 1e-9 over both moments)",
                slide=slide, inputs=inputs, expected=target, observed=est)
    return result
