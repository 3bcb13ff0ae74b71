"""Conventions a candidate follows on purpose, declared once and honoured by every ``verify``.

Real code numbers its steps from 0, predicts x₀ or v instead of ε, averages its losses over
coordinates (``mean_flat``) and over the batch, reports bits, stores matrices row-wise, measures a
VE marginal from σ_min, clamps x̂₀ to [-1, 1] and keeps its tables in float32. None of these is a
bug. ``verify(candidate, conventions=Conventions(steps="zero_based", reduction="mean"))`` holds the
candidate to the lecture's theorem *transformed by the declaration*; a declared convention is a
pass, never a violation. Where a property fails but would hold under another convention,
the violation carries a hint (:func:`hint_for`), which says plainly that the same numbers are what
an off-by-one or a missing-factor bug produces.

======================  =================================================================  ======================
key                     meaning                                                            values (default first)
======================  =================================================================  ======================
``steps``               how the candidate numbers the lecture's steps ``t = 1..T``:        one_based, zero_based,
                        ``t`` itself, ``t - 1``, or continuous ``t/T ∈ (0, 1]``            continuous
``time_direction``      for continuous steps: 0 is data (``data_to_noise``) or noise       data_to_noise,
                                                                                           noise_to_data
``prediction``          what a network output / prediction argument is: ε, x₀,             eps, x0, v, score
                        v = √ᾱ ε − √(1−ᾱ) x₀, or the score −ε/√(1−ᾱ)
``reduction``           a per-sample loss or log-likelihood term over the coordinates:     sum, mean
                        the lecture's sum, or the mean (per-dimension normalisation)
``batch_reduction``     a loss over the batch: one value per sample, or their mean / sum   none, mean, sum
``log_base``            nats (``e``) or bits (``2``) for log-likelihoods, KLs, ELBO terms  e, 2
``matrix_layout``       discrete transition matrices: ``[Q]_{ij} = q(i | j)`` (column,     column, row
                        the lecture's) or ``q(j | i)`` (row)
``ve_origin``           VE marginal variance σ(t)² (``zero``) or σ(t)² − σ_min²            zero, sigma_min
``clip_x0``             the reverse step clamps x̂₀ to ``[lo, hi]`` before the posterior    None, (lo, hi)
``table_dtype``         precision of the candidate's own tables (float32 tables inside     None (read from
                        a float64 run); tolerances add the rounding of those tables        ``betas``), float32,
                                                                                           float64
``langevin_step``       a Langevin step's size argument: the lecture's η in                eta, eps
                        ``x + (η/2) ∇log p + √η z``, or ε = η/2 in ``x + ε ∇log p + √(2ε) z``
``guidance_scale``      a CFG weight w: the lecture's ``s_u + w (s_c − s_u)``, or          w, one_plus_w
                        ``(1 + w) s_c − w s_u`` (Ho & Salimans; the same at weight 1 + w)
======================  =================================================================  ======================

Every family's ``verify`` takes ``conventions=`` and honours the keys that have a meaning for it
(:func:`declared`): ``ddpm`` the step, prediction, reduction, log-base, clipping and table keys,
``ddim`` ``clip_x0``, ``sde`` ``ve_origin`` and ``table_dtype``, ``discrete`` ``matrix_layout``,
``langevin`` ``langevin_step``, ``guidance`` ``guidance_scale``; any other family none. A key
declared where it has no meaning is a ValueError, never silently ignored.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

CHOICES: dict[str, tuple[Any, ...]] = {
    "steps": ("one_based", "zero_based", "continuous"),
    "time_direction": ("data_to_noise", "noise_to_data"),
    "prediction": ("eps", "x0", "v", "score"),
    "reduction": ("sum", "mean"),
    "batch_reduction": ("none", "mean", "sum"),
    "log_base": ("e", "2"),
    "matrix_layout": ("column", "row"),
    "ve_origin": ("zero", "sigma_min"),
    "table_dtype": (None, "float32", "float64"),
    "langevin_step": ("eta", "eps"),
    "guidance_scale": ("w", "one_plus_w"),
}

# What the same numbers would mean if the convention were not intended (said in every hint).
BUG_TWIN: dict[str, str] = {
    "steps": "an off-by-one in the step index",
    "time_direction": "time running backwards",
    "prediction": "the network output fed where another parametrization belongs",
    "reduction": "a missing or extra factor d (mean where a sum belongs)",
    "batch_reduction": "a loss averaged over the batch",
    "log_base": "a missing or extra factor log 2",
    "matrix_layout": "a transposed transition matrix",
    "ve_origin": "a missing or extra σ_min² term",
    "clip_x0": "clamping x̂₀ where the lecture does not",
    "table_dtype": "a table computed in a narrower dtype than the run's by mistake",
    "langevin_step": "a step size off by a factor 2",
    "guidance_scale": "a guidance weight off by one",
}

_ALIASES = {"nats": "e", "bits": "2", "0": "zero_based", "1": "one_based", "epsilon": "eps",
            "sample": "x0", "v_prediction": "v", "x_0": "x0", "x_start": "x0", "η": "eta", "ε": "eps",
            "1+w": "one_plus_w", "1_plus_w": "one_plus_w"}


@dataclass(frozen=True)
class Conventions:
    """The conventions a candidate follows (see the module docstring for each key)."""

    steps: str = "one_based"
    time_direction: str = "data_to_noise"
    prediction: str = "eps"
    reduction: str = "sum"
    batch_reduction: str = "none"
    log_base: str = "e"
    matrix_layout: str = "column"
    ve_origin: str = "zero"
    clip_x0: tuple[float, float] | None = None
    table_dtype: str | None = None
    langevin_step: str = "eta"
    guidance_scale: str = "w"

    def __post_init__(self) -> None:
        for key, allowed in CHOICES.items():
            value = getattr(self, key)
            value = _ALIASES.get(value, value) if isinstance(value, str) else value
            if key == "log_base" and value in (2, math.e):
                value = "2" if value == 2 else "e"
            if value not in allowed:
                raise ValueError(f"conventions.{key} must be one of {allowed}, got {value!r}")
            object.__setattr__(self, key, value)
        clip = self.clip_x0
        if clip is not None:
            try:
                lo, hi = (float(c) for c in clip)
            except (TypeError, ValueError):
                raise ValueError(f"conventions.clip_x0 must be None or a pair (lo, hi), got {clip!r}") from None
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise ValueError(f"conventions.clip_x0 must be a finite range lo < hi, got {clip!r}")
            object.__setattr__(self, "clip_x0", (lo, hi))

    # ------------------------------------------------------------------ construction
    @classmethod
    def parse(cls, value: Conventions | Mapping[str, Any] | str | Iterable[str] | None) -> Conventions:
        """A ``Conventions`` from itself, a mapping, ``"key=value"`` pairs (a string with commas or
        an iterable of pairs, as the CLI's ``--conventions``) or the path of a TOML file with the
        keys at top level or under ``[conventions]``."""
        if value is None:
            return cls()
        if isinstance(value, Conventions):
            return value
        if isinstance(value, Mapping):
            return cls.from_mapping(value)
        if isinstance(value, (str, Path)) and str(value).endswith(".toml"):
            return cls.from_toml(value)
        if isinstance(value, str):
            value = [p for p in value.split(",") if p.strip()]
        if not isinstance(value, Iterable):
            raise TypeError("conventions must be a Conventions, a mapping, 'key=value' pairs or a .toml path, "
                            f"got {type(value).__name__} {value!r}")
        pairs: dict[str, Any] = {}
        for item in value:
            if not isinstance(item, str) or "=" not in item:
                raise ValueError(f"conventions must be key=value pairs, got {item!r}")
            key, _, raw = item.partition("=")
            pairs[key.strip()] = raw.strip()
        return cls.from_mapping(pairs)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Conventions:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise ValueError(f"conventions keys must be among {sorted(known)}, got unknown {unknown}")
        kw = {k: _coerce(k, v) for k, v in mapping.items()}
        return cls(**kw)

    @classmethod
    def from_toml(cls, path: str | Path) -> Conventions:
        import tomllib

        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValueError(f"conventions file {str(path)!r} cannot be read: {exc}") from None
        return cls.from_mapping(data.get("conventions", data))

    # ------------------------------------------------------------------ use
    def replace(self, **changes: Any) -> Conventions:
        return dataclasses.replace(self, **changes)

    def non_default(self) -> dict[str, Any]:
        default = Conventions()
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) != getattr(default, f.name)}

    def to_dict(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}

    def __str__(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.non_default().items())

    def alternatives(self, keys: Iterable[str]) -> Iterator[tuple[str, Conventions]]:
        """Each convention that differs from this one in exactly one of ``keys``."""
        for key in keys:
            if key == "time_direction":  # a direction means continuous steps: flip it, or read t so
                flipped = CHOICES[key][1] if self.time_direction == CHOICES[key][0] else CHOICES[key][0]
                yield key, self.replace(steps="continuous", time_direction=flipped)
                continue
            options = (None, (-1.0, 1.0)) if key == "clip_x0" else CHOICES[key]
            for option in options:
                if option != getattr(self, key):
                    yield key, self.replace(**{key: option})


def declared(conventions: Any, family: str, honours: Iterable[str]) -> Conventions:
    """``Conventions.parse(conventions)`` (``None``: the lecture's) for the ``family`` whose ``verify``
    honours the keys ``honours``; a key declared away from its default that the family does not
    honour is a ValueError naming the key, the family and what it honours (a declaration that
    changes nothing would hide a misunderstanding)."""
    conv = Conventions.parse(conventions)
    honours = tuple(honours)
    known = {f.name for f in fields(Conventions)}
    unknown = sorted(set(honours) - known)
    if unknown:
        raise ValueError(f"honours must name keys among {sorted(known)}, got unknown {unknown}")
    refused = {k: v for k, v in conv.non_default().items() if k not in honours}
    if refused:
        said = ", ".join(f"conventions.{k}={v!r}" for k, v in refused.items())
        verb = "has" if len(refused) == 1 else "have"
        raise ValueError(f"{said} {verb} no meaning for the {family} family; it honours: "
                         f"{', '.join(honours) or '(none)'}")
    return conv


def _coerce(key: str, value: Any) -> Any:
    if key == "clip_x0":
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "", "false")):
            return None
        if isinstance(value, str):
            parts = value.replace("(", "").replace(")", "").replace("[", "").replace("]", "")
            parts = parts.replace(":", " ").replace(";", " ").split()
            if len(parts) != 2:
                raise ValueError(f"conventions.clip_x0 must be 'lo:hi' (e.g. -1:1), got {value!r}")
            return (float(parts[0]), float(parts[1]))
        return value
    if key == "table_dtype" and isinstance(value, str):
        value = value.replace("torch.", "")
        return None if value.lower() == "none" else value
    if isinstance(value, str):
        return _ALIASES.get(value, value)
    return value


def hint_text(key: str, alt: Conventions) -> str:
    value = getattr(alt, key)
    pairs = [("steps", alt.steps)] if key == "time_direction" else []
    pairs.append((key, value))
    said = ", ".join(f"{k}={v!r}" for k, v in pairs)
    cli = " ".join(f"--conventions {k}={_cli(v)}" for k, v in pairs)
    return (f"would hold with the declared convention {said} "
            f"(verify(..., conventions=Conventions({said})) / {cli}); "
            f"but the same numbers are what a bug produces ({BUG_TWIN[key]}), so decide which your code means")


def _cli(value: Any) -> str:
    if isinstance(value, tuple):
        return f"{value[0]:g}:{value[1]:g}"
    return str(value)
