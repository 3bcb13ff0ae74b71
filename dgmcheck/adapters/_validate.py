"""Input validation of the adapters: the object a user hands in must have what the adapter reads.

A TypeError naming the argument, what was expected and what came, raised when the adapter is built (not at the
first property, deep inside a check).
"""

from __future__ import annotations

from typing import Any


def has(obj: Any, name: str, what: str, *members: str, callable_: tuple[str, ...] = ()) -> Any:
    """``obj`` must have every attribute of ``members`` and callable attributes ``callable_``."""
    missing = [m for m in members if not hasattr(obj, m)]
    missing += [m for m in callable_ if not callable(getattr(obj, m, None))]
    if missing:
        text = repr(obj) if isinstance(obj, (str, int, float)) or obj is None else type(obj).__name__
        raise TypeError(f"{name} must be {what}: it must have {', '.join(missing)}, got {text[:60]}")
    return obj


def function(f: Any, name: str) -> Any:
    """A callable."""
    if not callable(f):
        raise TypeError(f"{name} must be callable, got {f!r:.60}")
    return f
