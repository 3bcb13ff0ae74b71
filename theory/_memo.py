"""One memo for the symbolic derivations: a sympy derivation is deterministic in its (hashable)
arguments, so it runs once per process however many checks, claims and tests ask for it."""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def derivation(fn: F) -> F:
    """Memoize ``fn`` on its arguments and their types (so a bad argument equal to a good one still reaches
    ``fn``'s checks); unhashable arguments run it afresh. Dict and list results are
    returned as shallow copies (the sympy expressions inside are immutable), so a caller that edits
    its result does not edit the memo. The wrapper runs in the globals of ``fn``'s module, so a
    profiler (or the audit's watch for oracle calls) sees a call into that module every time, also
    when the memo answers."""
    cached = functools.lru_cache(maxsize=256, typed=True)(fn)  # typed: True or 1.0 is no memo hit for 1

    def plain(*args: Any, **kwargs: Any) -> Any:
        try:
            out = cached(*args, **kwargs)
        except TypeError as exc:
            if "unhashable" not in str(exc):
                raise
            out = fn(*args, **kwargs)
        return dict(out) if isinstance(out, dict) else list(out) if isinstance(out, list) else out

    wrapper = types.FunctionType(plain.__code__, fn.__globals__, fn.__name__, plain.__defaults__,
                                 plain.__closure__)
    return functools.update_wrapper(wrapper, fn)  # type: ignore[return-value]
