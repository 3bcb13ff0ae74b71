"""Properties an implementation must meet, held to the exact oracles of ``dgmcheck.theory``."""

from dgmcheck.checks.errors import TheoremViolation

__all__ = ["TheoremViolation"]
