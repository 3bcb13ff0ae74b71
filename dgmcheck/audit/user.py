"""Users' own claims: a Python file defining ``CLAIMS`` or a TOML file of ``[[claim]]`` tables.

A Python file has the full power of the shipped claims (``dgmcheck.audit.model``: ``Claim`` with a
``check`` built from ``sym_equal``/``num_equal``/``num_compare``/``holds_if``/``all_of``; a claim
outside the lectures gives its ``text`` and ``places``). A TOML file states each claim as sympy
expressions, checked symbolically (``==``) or numerically at seeded draws (inequalities,
conditions)::

    [[claim]]
    id = "notes.gaussian_score"
    text = '\\nabla_x \\log N(x|\\mu,\\sigma^2) = -(x-\\mu)/\\sigma^2'
    source = { file = "notes.md", slide = "Score of a Gaussian", line = 3 }
    meaning = "sigma is the standard deviation"
    symbols = { x = "real", mu = "real", sigma = "positive" }
    lhs = "diff(-(x - mu)**2 / (2*sigma**2) - log(sigma*sqrt(2*pi)), x)"
    rhs = "-(x - mu)/sigma**2"
    # optional: relation = "<=" (or <, >=, >), domain = { sigma = [0.1, 3] },
    # condition = "sigma <= 1" with inside = { sigma = [0.1, 1] } and outside = { sigma = [1.5, 3] },
    # corrected = "...", kind = "definition" (then no lhs/rhs)
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sympy as sp

from dgmcheck.audit.formulas import Place
from dgmcheck.audit.model import KINDS, Claim, Outcome, holds_if, num_compare, num_equal, points, sym_equal

_ASSUMPTIONS = {"real": {"real": True}, "positive": {"positive": True}, "nonnegative": {"nonnegative": True},
                "integer": {"integer": True}, "complex": {}}
_N_POINTS = 40


class ClaimsFileError(ValueError):
    """A claims file that cannot be read; the message names the file and the field."""


def load_claims(path: str | Path) -> list[Claim]:
    """The claims of a ``.py`` or ``.toml`` file."""
    p = Path(path)
    if not p.is_file():
        raise ClaimsFileError(f"--claims {path}: no such file")
    if p.suffix == ".py":
        return _load_python(p)
    if p.suffix == ".toml":
        return _load_toml(p)
    raise ClaimsFileError(f"--claims {path}: expected a .py file defining CLAIMS or a .toml file of [[claim]]")


def _load_python(p: Path) -> list[Claim]:
    spec = importlib.util.spec_from_file_location(f"dgmcheck_user_claims_{abs(hash(p))}", p)
    if spec is None or spec.loader is None:
        raise ClaimsFileError(f"--claims {p}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    claims = getattr(module, "CLAIMS", None)
    if not isinstance(claims, (list, tuple)) or not all(isinstance(c, Claim) for c in claims):
        raise ClaimsFileError(f"--claims {p}: must define CLAIMS, a list of dgmcheck.audit.model.Claim")
    return list(claims)


def _toml(p: Path) -> dict[str, Any]:
    try:
        import tomllib  # type: ignore[import-not-found]
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[import-not-found,no-redef]
        except ModuleNotFoundError as exc:
            raise ClaimsFileError(f"--claims {p}: TOML claims need Python >= 3.11 or `pip install tomli`") from exc
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ClaimsFileError(f"--claims {p}: invalid TOML ({exc})") from exc


def _load_toml(p: Path) -> list[Claim]:
    data = _toml(p)
    rows = data.get("claim")
    if not isinstance(rows, list) or not rows:
        raise ClaimsFileError(f"--claims {p}: expected one or more [[claim]] tables")
    return [_toml_claim(p, i, row) for i, row in enumerate(rows)]


def _field(p: Path, i: int, row: Mapping[str, Any], name: str, kind: type, default: Any = None) -> Any:
    if name not in row:
        if default is None:
            raise ClaimsFileError(f"--claims {p}: claim #{i + 1} needs `{name}`")
        return default
    v = row[name]
    if not isinstance(v, kind):
        raise ClaimsFileError(f"--claims {p}: claim #{i + 1} `{name}` must be a {kind.__name__}, got {v!r}")
    return v


def _toml_claim(p: Path, i: int, row: Mapping[str, Any]) -> Claim:
    cid = _field(p, i, row, "id", str)
    text = _field(p, i, row, "text", str)
    kind = _field(p, i, row, "kind", str, "claim")
    if kind not in KINDS:
        raise ClaimsFileError(f"--claims {p}: claim {cid!r} kind must be one of {KINDS}, got {kind!r}")
    src = _field(p, i, row, "source", dict, {"file": p.name})
    try:
        place = Place(str(src.get("file", p.name)), str(src.get("lecture", "")), str(src.get("slide", "")),
                      int(src.get("line", 0)))
    except (TypeError, ValueError) as exc:
        raise ClaimsFileError(f"--claims {p}: claim {cid!r} `source` must have file, slide, line ({exc})") from exc
    meaning = _field(p, i, row, "meaning", str, "")
    if kind != "claim":
        return Claim(id=cid, kind=kind, text=text, places=(place,), meaning=meaning)
    symbols = _symbols(p, cid, _field(p, i, row, "symbols", dict, {}))
    lhs = _expr(p, cid, "lhs", _field(p, i, row, "lhs", str), symbols)
    rhs = _expr(p, cid, "rhs", _field(p, i, row, "rhs", str), symbols)
    relation = _field(p, i, row, "relation", str, "==")
    if relation not in ("==", "<=", "<", ">=", ">"):
        raise ClaimsFileError(f"--claims {p}: claim {cid!r} relation must be ==, <=, <, >= or >, got {relation!r}")
    domain = _ranges(p, cid, "domain", _field(p, i, row, "domain", dict, {}))
    condition = row.get("condition")
    inside = _ranges(p, cid, "inside", _field(p, i, row, "inside", dict, {})) if condition else {}
    outside = _ranges(p, cid, "outside", _field(p, i, row, "outside", dict, {})) if condition else {}
    if condition and (not inside or not outside):
        raise ClaimsFileError(f"--claims {p}: claim {cid!r} with a condition needs `inside` and `outside` ranges")

    def check() -> Outcome:
        if condition:
            return holds_if(str(condition), _numeric(lhs, relation, rhs, symbols, {**domain, **inside}, 1),
                            _numeric(lhs, relation, rhs, symbols, {**domain, **outside}, 2))
        if relation == "==":
            return sym_equal(lhs, rhs, domains={symbols[k]: v for k, v in domain.items() if k in symbols})
        return _numeric(lhs, relation, rhs, symbols, domain, 0)

    return Claim(id=cid, kind="claim", text=text, places=(place,), meaning=meaning or "(as stated)",
                 check=check, corrected=str(row.get("corrected", "")), theorem=row.get("theorem"))


def _symbols(p: Path, cid: str, spec: Mapping[str, Any]) -> dict[str, sp.Symbol]:
    out = {}
    for name, kind in spec.items():
        if kind not in _ASSUMPTIONS:
            raise ClaimsFileError(f"--claims {p}: claim {cid!r} symbol {name!r} must be one of "
                                  f"{sorted(_ASSUMPTIONS)}, got {kind!r}")
        out[name] = sp.Symbol(name, **_ASSUMPTIONS[kind])
    return out


def _expr(p: Path, cid: str, name: str, src: str, symbols: Mapping[str, sp.Symbol]) -> sp.Expr:
    try:
        return sp.sympify(src, locals=dict(symbols))
    except (sp.SympifyError, SyntaxError, TypeError) as exc:
        raise ClaimsFileError(f"--claims {p}: claim {cid!r} `{name}` is not a sympy expression: {src!r}") from exc


def _ranges(p: Path, cid: str, name: str, spec: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    out = {}
    for k, v in spec.items():
        if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v) and v[0] < v[1]):
            raise ClaimsFileError(f"--claims {p}: claim {cid!r} `{name}.{k}` must be [lo, hi] with lo < hi, got {v!r}")
        out[k] = (float(v[0]), float(v[1]))
    return out


def _numeric(lhs: sp.Expr, relation: str, rhs: sp.Expr, symbols: Mapping[str, sp.Symbol],
             ranges: Mapping[str, tuple[float, float]], seed: int) -> Outcome:
    free = sorted((lhs.free_symbols | rhs.free_symbols), key=str)
    spans = {}
    for s in free:
        default = (0.1, 2.0) if (s.is_positive or s.is_nonnegative) else (-2.0, 2.0)
        spans[str(s)] = ranges.get(str(s), default)
    f_l = sp.lambdify([sp.Symbol(str(s)) for s in free], lhs.subs({s: sp.Symbol(str(s)) for s in free}), "numpy")
    f_r = sp.lambdify([sp.Symbol(str(s)) for s in free], rhs.subs({s: sp.Symbol(str(s)) for s in free}), "numpy")
    names = [str(s) for s in free]
    at = points(_N_POINTS, seed, **spans)

    def left(**kw: float) -> Any:
        return f_l(*(kw[n] for n in names))

    def right(**kw: float) -> Any:
        return f_r(*(kw[n] for n in names))

    if relation == "==":
        return num_equal(left, right, at)
    return num_compare(left, relation, right, at)
