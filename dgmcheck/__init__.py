"""dgmcheck: exact oracles, reference implementations and Hypothesis checks for deep generative models.

Rooms: ``dgmcheck.theory`` (exact math, no torch), ``dgmcheck.impl`` (PyTorch references),
``dgmcheck.checks`` (properties any implementation must meet, with ``verify()`` per concept).
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    # ``dgmcheck.Conventions`` without importing the checks (and torch) at ``import dgmcheck``.
    if name == "Conventions":
        from dgmcheck.checks.conventions import Conventions

        return Conventions
    raise AttributeError(f"module 'dgmcheck' has no attribute {name!r}")
