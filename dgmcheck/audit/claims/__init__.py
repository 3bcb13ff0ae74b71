"""The claims of the lecture seeds, one module per part of the lectures (discovered).

Each module defines ``CLAIMS: list[Claim]``. A display formula belongs to the module of the part
where it first appears (its id, ``"<file>:<line>"``, is that first place). A module is named by the
lecture files and lectures it holds, then its topic: ``f000_l06_l07_score_langevin`` holds lectures 6
and 7 of file ``000``; ``f000_l09_f003_l09_ddpm_score`` holds 000 L9 and the 003 L9 slides that build
it up; ``f001_diffusion`` holds file ``001`` (no lecture numbers). Name order is claim order (file,
then lecture), which the JSON report keeps.
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
