"""The claims of the lecture seeds, one module per part of the lectures (discovered).

Each module defines ``CLAIMS: list[Claim]``. A display formula belongs to the module of the part
where it first appears (its id, ``"<file>:<line>"``, is that first place).
"""

from __future__ import annotations

import importlib
import pkgutil

from dgmcheck.audit.model import Claim


def all_claims() -> list[Claim]:
    """Every shipped claim, module by module in name order."""
    out: list[Claim] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        out.extend(getattr(module, "CLAIMS", []))
    return out
