"""The one failure type of every check: a theorem, its slide, the inputs and the discrepancy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _short(value: Any, limit: int = 400) -> str:
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
