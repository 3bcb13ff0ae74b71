"""Hypothesis profiles, registered in one place.

``dev`` is fast, ``ci`` is deterministic (derandomized, no database writes) and the default under
``CI=true``, ``thorough`` draws many examples. ``HYPOTHESIS_PROFILE`` selects one explicitly.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILES = ("dev", "ci", "thorough")
_COMMON = dict(
    deadline=None,  # torch's first call on a device is slow; time is not a property here
    print_blob=True,  # a failure prints the blob that reproduces it
    report_multiple_bugs=False,  # stop at the first violation instead of hunting for others
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Registered under dgmcheck's own names: Hypothesis itself loads a profile named "ci" under CI=true,
# and re-registering that name would change the settings of every other test in a user's suite.
settings.register_profile("dgmcheck-dev", max_examples=10, **_COMMON)
settings.register_profile("dgmcheck-ci", max_examples=10, derandomize=True, database=None, **_COMMON)
settings.register_profile("dgmcheck-thorough", max_examples=400, **_COMMON)


#: How many times its own example count a test runs under each profile: ``thorough`` really draws more
#: than the gate for tests that pin a small count (up to the profile's 400, never fewer than asked).
EXAMPLE_SCALE = {"dev": 1, "ci": 1, "thorough": 8}
THOROUGH_CAP = 400


def scaled(n: int) -> int:
    """``n`` examples as the selected profile runs them: ``n`` under dev and ci, ``min(8 n, 400)``
    (but at least ``n``) under thorough. For tests that pin ``max_examples`` to keep the gate fast."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    return max(n, min(n * EXAMPLE_SCALE[profile_name()], THOROUGH_CAP))


def hypothesis_name(name: str) -> str:
    """The name under which dgmcheck's profile ``name`` is registered with Hypothesis."""
    return f"dgmcheck-{name}"


def profile_name() -> str:
    """The profile chosen by ``HYPOTHESIS_PROFILE``, else ``ci`` under ``CI=true``, else ``dev``."""
    name = os.environ.get("HYPOTHESIS_PROFILE")
    if name is None:
        name = "ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev"
    if name not in PROFILES:
        raise ValueError(f"HYPOTHESIS_PROFILE must be one of {PROFILES}, got {name!r}")
    return name


def load_profile() -> str:
    """Load the selected profile into Hypothesis and return its name."""
    name = profile_name()
    settings.load_profile(hypothesis_name(name))
    return name
