"""The one failure type of every check: a theorem, its slide, the inputs and the discrepancy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _short(value: Any, limit: int = 400) -> str:
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        value = value.item()  # 0.0, not np.float64(0.0)
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class TheoremViolation(AssertionError):
    """An implementation disagrees with a theorem of the registry.

    Carries the theorem id (``ddpm.posterior``), the lecture slide it comes from, the inputs that
    showed the disagreement, and the expected (oracle) and observed (candidate) values.
    """

    def __init__(
        self,
        theorem: str,
        message: str,
        *,
        slide: str = "",
        inputs: Mapping[str, Any] | None = None,
        expected: Any = None,
        observed: Any = None,
    ) -> None:
        self.theorem = theorem
        self.message = message
        self.slide = slide
        self.inputs = dict(inputs or {})
        self.expected = expected
        self.observed = observed
        lines = [f"[{theorem}] {message}"]
        if slide:
            lines.append(f"  slide: {slide}")
        for key, value in self.inputs.items():
            lines.append(f"  input {key} = {_short(value)}")
        if expected is not None:
            lines.append(f"  expected: {_short(expected)}")
        if observed is not None:
            lines.append(f"  observed: {_short(observed)}")
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses a process boundary (xdist, a process pool): rebuilt from its fields, not from
        # the formatted message (the default would call __init__ with the message alone).
        return (_rebuild, (type(self), self.theorem, self.message, self.slide, self.inputs,
                           self.expected, self.observed))


def _rebuild(cls: type, theorem: str, message: str, slide: str, inputs: Any, expected: Any,
             observed: Any) -> TheoremViolation:
    return cls(theorem, message, slide=slide, inputs=inputs, expected=expected, observed=observed)


class CandidateRaised(TheoremViolation):
    """The code under check raised inside a property (on inputs of the theorem's domain), so the
    theorem could not be confirmed there. ``inputs`` holds the drawn case; the message names the
    exception and where it was raised. ``__cause__`` is the original exception (not pickled)."""


def raised_where(exc: BaseException) -> str:
    """``file:line in function`` of the innermost frame of ``exc``'s traceback."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "(no traceback)"
    f = frames[-1]
    return f"{f.filename}:{f.lineno} in {f.name}"
