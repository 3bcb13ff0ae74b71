"""Registry records, one module per family (``ddpm``, ``discrete``, ``flow_matching``, ...).

Each module defines ``DETAILS``: theorem id -> the fields of its Theorem beyond id and title.
Modules are discovered, so a family adds its records without touching a shared file.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def all_details() -> dict[str, dict[str, Any]]:
    """The merged ``DETAILS`` of every family module; an id defined twice is an error."""
    merged: dict[str, dict[str, Any]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for theorem_id, details in getattr(module, "DETAILS", {}).items():
            if theorem_id in merged:
                raise LookupError(f"theorem {theorem_id!r} has records in two family modules "
                                  f"(the second is dgmcheck.records.{info.name})")
            merged[theorem_id] = details
    return merged
