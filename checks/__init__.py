"""Properties an implementation must meet, held to the exact oracles of ``dgmcheck.theory``."""

if __name__ != "dgmcheck.checks":
    # From the repository root the folder is also importable as `checks`: a second copy of every
    # module, whose classes (TheoremViolation, for one) `except` and `isinstance` would not match.
    raise ImportError(
        f"import dgmcheck.checks, not {__name__}: the folder checks/ is the package dgmcheck.checks "
        "(pip install -e .); importing it under another name loads every module twice"
    )

from dgmcheck.checks.errors import TheoremViolation

__all__ = ["TheoremViolation"]
