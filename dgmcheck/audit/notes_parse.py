"""Reading a user's derivation notes: formulas with their lines, the symbol table, LaTeX into sympy.

Formulas (:func:`read_source`): in ``.md`` the display blocks ``$$...$$`` and ``\\[...\\]`` and the inline
``$...$`` and ``\\(...\\)`` (fenced code, inline code and the symbol table are skipped); in ``.tex``
also the ``equation``/``align``/``gather``/``multline``/``eqnarray`` environments (``%`` comments
skipped). A block splits into rows at ``\\\\``; ``&`` is dropped; a row that starts with a relation
continues the chain of the row above, so ``a &= b \\\\ &= c`` is read as the steps a = b and b = c.
Everything from a ``\\quad``, ``\\qquad`` or ``\\text{...}`` on is a qualifier and is cut from its row.

Symbols (:func:`load_table`): a TOML table, as front matter of a ``.md`` file (between ``---`` lines
at the top), in a fenced block whose info string is ``toml dgmcheck``, or in a file given by
``--symbols``::

    [symbols]
    '\\bar{\\alpha}_t' = { name = "abar_t", domain = [0.01, 0.99] }
    "\\\\beta_t" = { name = "beta_t", domain = [0.0001, 0.5] }   # a basic string doubles each backslash
    x_t = "real"                 # a kind: real, positive or nonnegative; name derived from the key
    [relations]                  # definitions the derivation relies on: name = sympy text in names
    abar_t = "abar_tm1 * (1 - beta_t)"

A symbol's value is a kind or a table with ``name`` (a Python identifier), ``domain = [lo, hi]`` (the
range numeric checks draw from; the kind follows from it: positive when lo > 0) and ``kind``. Without
a domain a positive symbol is drawn from (0.1, 2), a real one from (-2, 2). The keys are LaTeX as
written in the notes; ``\\bar\\alpha_t``, ``\\bar{\\alpha}_{t}``, ``\\overline{\\alpha}_t`` and
``\\mathbf{x}_t`` vs ``x_t`` match the same way because keys and formulas are normalized alike.
A relation ``name = "expr"`` is substituted (repeatedly, cycles refused) before every check.

Parsing: ``sympy.parsing.latex.parse_latex(..., backend="lark")``. The lark backend was chosen
because its one dependency (``lark``, pure Python) installs cleanly beside the project's other
dependencies, while sympy's default ANTLR backend needs exactly ``antlr4-python3-runtime==4.11``:
it would have to downgrade the 4.13 runtime found in the development environment, and refuses to
run beside it. The lark grammar does not read every juxtaposition (``\\sqrt{a} x``,
``(a)\\sqrt{b}``), so products are made explicit with ``\\cdot`` first, declared symbols are
replaced by one-letter placeholders (``d``, ``e``, ``i`` avoided), and square brackets group like
parentheses. Its Earley parser slows steeply with the length of the input, so sums, products,
groups, ``\\frac`` and ``\\sqrt`` are taken apart at their top level (:func:`parse_split`) and the
remaining factors (symbols, powers, functions) go to ``parse_latex`` one by one, cached; the
expression read is the same.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sympy as sp

PARSER_HINT = 'the LaTeX parser needs the lark package: pip install "dgmcheck[notes]"'
SUFFIXES = (".md", ".tex")
KINDS = {"real": {"real": True}, "positive": {"positive": True}, "nonnegative": {"nonnegative": True}}
DEFAULT_SPAN = {"real": (-2.0, 2.0), "positive": (0.1, 2.0), "nonnegative": (0.0, 2.0)}
#: Relations that are checked; the others are named in a ``not parsed`` reason.
CHECKED = {"=": "==", "\\le": "<=", "\\leq": "<=", "\\leqslant": "<=", "\\ge": ">=", "\\geq": ">=",
           "\\geqslant": ">=", "<": "<", ">": ">"}
DEFINES = (":=", "\\coloneqq", "\\triangleq", "\\equiv", "\\doteq")
_REL = re.compile(r":=|\\(?:leqslant|geqslant|leq|geq|le|ge|neq|ne|approx|simeq|sim|propto|equiv|coloneqq|"
                  r"triangleq|doteq|to|mapsto|ll|gg|in)(?![A-Za-z])|<|>|=")
UNSUPPORTED = {"\\int": "∫ (an integral)", "\\iint": "∫ (an integral)", "\\oint": "∫ (an integral)",
               "\\sum": "Σ (a sum)", "\\prod": "Π (a product)", "\\nabla": "∇ (a gradient)",
               "\\partial": "∂ (a derivative)", "\\mathbb": "E[...] or a blackboard-bold set",
               "\\mathcal": "a distribution or set in \\mathcal", "\\mid": "| (conditioning)",
               "|": "| (conditioning or an absolute value)", "\\sim": "∼ (distributed as)",
               "\\lim": "a limit", "\\operatorname": "an \\operatorname", "\\det": "a determinant",
               "\\top": "a transpose", "\\intercal": "a transpose", "\\langle": "an inner product",
               "\\begin": "a matrix or array", "\\|": "a norm", "\\Vert": "a norm", "\\vert": "| (an absolute value)",
               "\\approx": "≈ (approximately)", "\\propto": "∝ (proportional to)", "\\to": "→ (a limit or map)",
               "\\mapsto": "↦ (a map)", "\\in": "∈ (membership)", "\\neq": "≠", "\\ne": "≠", "\\ll": "≪",
               "\\gg": "≫", "\\simeq": "≃", "\\mathrm{KL}": "KL (a divergence)"}
_FUNCS = {"exp", "log", "ln", "sin", "cos", "tan", "sinh", "cosh", "tanh", "arcsin", "arccos", "arctan"}
_ALLOWED = _FUNCS | {"frac", "sqrt", "cdot", "pi", "infty", "min", "max"}
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota",
         "kappa", "lambda", "mu", "nu", "xi", "omicron", "rho", "varrho", "sigma", "varsigma", "tau", "upsilon",
         "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Upsilon",
         "Phi", "Psi", "Omega"}
_ACCENTS = "bar|tilde|hat|dot|ddot|breve|check|vec"
_PH = re.compile(r"\\xi_\{zq([a-z]+)\}")
#: Placeholders for declared symbols while parsing; d (a differential), e and i are avoided.
_LETTERS = "abcfghjklmnopqrstuvwxyzABCDFGHJKLMNOPQRSTUVWXYZ"


class NotesError(ValueError):
    """A notes file or symbol table that cannot be used; the message names the file, line and field."""


# ---------------------------------------------------------------------------------------------- extraction
@dataclass(frozen=True)
class Row:
    """One row of a formula: its text as written (``&`` kept, newlines kept in ``raw``) and first line."""

    text: str
    line: int
    raw: str = ""


@dataclass(frozen=True)
class Formula:
    """A formula of the notes: its text as written, first line, display or inline, and its rows."""

    text: str
    line: int
    display: bool
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Step:
    """``lhs rel rhs``: one link of a relation chain (LaTeX of each side, the relation, the line)."""

    lhs: str
    rel: str
    rhs: str
    line: int


@dataclass
class Source:
    """The text of a notes file with its formulas and, if it has one, its embedded symbol table."""

    path: Path
    formulas: list[Formula]
    table_text: str | None = None
    table_line: int = 1


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


_ENV = r"equation|align|gather|multline|eqnarray|flalign|alignat"
_DISPLAY = [re.compile(r"\$\$(.+?)\$\$", re.S), re.compile(r"\\\[(.+?)\\\]", re.S),
            re.compile(r"\\begin\{(?:" + _ENV + r")\*?\}(?:\{\d+\})?(.+?)\\end\{(?:" + _ENV + r")\*?\}", re.S)]
_INLINE = [re.compile(r"(?<![\\$])\$(?!\$)([^$\n]+?)(?<!\\)\$"), re.compile(r"\\\((.+?)\\\)")]
_WRAP = re.compile(r"\\(?:begin|end)\{(?:aligned|split|gathered|alignedat|array|cases)\}(?:\{[^{}]*\})?|"
                   r"\\label\{[^{}]*\}|\\tag\*?\{[^{}]*\}|\\nonumber|\\notag")


def read_source(path: Path) -> Source:
    """Every formula of a ``.md`` or ``.tex`` file, and the symbol table it embeds (if any)."""
    raw = path.read_text(encoding="utf-8")
    text, table, table_line = raw, None, 1
    if path.suffix == ".md":
        lines = raw.split("\n")
        if lines and lines[0].strip() == "---":
            end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
            if end is None:
                raise NotesError(f"{path}:1: front matter opened with --- is never closed")
            table, table_line = "\n".join(lines[1:end]), 2
            text = _blank(text, 0, len("\n".join(lines[:end + 1])))
        for m in re.finditer(r"^(```|~~~)([^\n]*)\n(.*?)^\1[ \t]*$", text, re.S | re.M):
            if m.group(2).split() == ["toml", "dgmcheck"]:
                if table is not None:
                    raise NotesError(f"{path}:{_line_at(text, m.start())}: a second symbol table")
                table, table_line = m.group(3), _line_at(text, m.start(3))
        text = re.sub(r"^(```|~~~)[^\n]*\n.*?^\1[ \t]*$", lambda m: re.sub(r"[^\n]", " ", m.group()), text,
                      flags=re.S | re.M)
        text = re.sub(r"`[^`\n]+`", lambda m: " " * len(m.group()), text)
    else:
        text = re.sub(r"(?<!\\)%[^\n]*", lambda m: " " * len(m.group()), text)
    found: list[tuple[int, int, str, bool]] = []
    for patterns, display in ((_DISPLAY, True), (_INLINE, False)):
        for pat in patterns:
            for m in pat.finditer(text):
                found.append((m.start(), m.start(1), m.group(1), display))
                text = _blank(text, m.start(), m.end())
    formulas = []
    for _, start, body, display in sorted(found):
        formulas.append(Formula(" ".join(body.split()), _line_at(raw, start), display, _rows(body, raw, start)))
    return Source(path, formulas, table, table_line)


def _rows(body: str, raw: str, start: int) -> tuple[Row, ...]:
    body = _WRAP.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), body)
    rows, depth, last = [], 0, 0
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and body[i + 1:i + 2] == "\\" and depth == 0:
            rows.append((last, body[last:i]))
            i += 2
            last = i
            continue
        if c == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(c, 0)
        i += 1
    rows.append((last, body[last:]))
    out = []
    for off, t in rows:
        t = re.sub(r"^\s*\[[^\]]*\]", lambda m: " " * len(m.group()), t)  # \\[2pt]: spacing after a row break
        lead = len(t) - len(t.lstrip())
        if t.strip():
            out.append(Row(" ".join(t.split()), _line_at(raw, start + off + lead), t.strip()))
    return tuple(out)


# ---------------------------------------------------------------------------------------------- steps
def _top_level(text: str, pattern: re.Pattern[str]) -> list[re.Match[str]]:
    """Matches of ``pattern`` outside braces and parentheses."""
    depth, out, i = 0, [], 0
    while i < len(text):
        c = text[i]
        if depth == 0:
            m = pattern.match(text, i)
            if m and m.end() > i:
                out.append(m)
                i = m.end()
                continue
        if c == "\\":
            m = re.match(r"\\[A-Za-z]+|\\.", text[i:])
            i += len(m.group()) if m else 1
            continue
        depth += {"{": 1, "(": 1, "[": 1, "}": -1, ")": -1, "]": -1}.get(c, 0)
        i += 1
    return out


def _cut_qualifier(row: str) -> str:
    m = re.search(r"\\(?:quad|qquad|text|mbox|textrm|textnormal)(?![A-Za-z])", row)
    if m and row[:m.start()].strip():
        row = row[:m.start()]
    return re.sub(r"(?:\\[,;:! ]|[\s,.;~])+$", "", row.replace("&", " ")).strip()


def steps(formula: Formula) -> list[Step]:
    """The relation chains of a formula as steps (each link against the previous right-hand side)."""
    chains: list[list[tuple[str, str, int]]] = []  # (relation before the term, term, line)
    for row in formula.rows:
        text = _cut_qualifier(row.raw or row.text)
        if not text:
            continue
        rels = _top_level(text, _REL)
        parts, last = [], 0
        for m in rels:
            parts.append(" ".join(text[last:m.start()].split()))
            last = m.end()
        parts.append(" ".join(text[last:].split()))
        starts_with_rel = bool(rels) and not parts[0]
        terms = [("", parts[0], row.line)] + [(m.group(), p, row.line + text.count("\n", 0, m.start()))
                                              for m, p in zip(rels, parts[1:], strict=True)]
        if chains and starts_with_rel:
            chains[-1].extend(terms[1:])
        elif chains and re.match(r"[+\-]|\\cdot|\\times", text) and chains[-1]:
            rel, term, line = chains[-1][-1]
            chains[-1][-1] = (rel, f"{term} {terms[0][1]}", line)
            chains[-1].extend(terms[1:])
        else:
            chains.append(terms)
    out = []
    for chain in chains:
        for (_, a, _), (rel, b, line) in itertools.pairwise(chain):
            out.append(Step(a, rel, b, line))
    return out


# ---------------------------------------------------------------------------------------------- symbol table
@dataclass(frozen=True)
class Symbol:
    """A declared symbol: its LaTeX key (normalized), sympy symbol, kind and draw span."""

    key: str
    written: str
    symbol: sp.Symbol
    kind: str
    span: tuple[float, float]


@dataclass
class Table:
    """The declared symbols (by normalized LaTeX key) and the relations (sympy symbol -> expression)."""

    symbols: dict[str, Symbol] = field(default_factory=dict)
    relations: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    where: str = ""
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def by_name(self) -> dict[str, sp.Symbol]:
        return {str(s.symbol): s.symbol for s in self.symbols.values()}

    def spans(self) -> dict[sp.Symbol, tuple[float, float]]:
        return {s.symbol: s.span for s in self.symbols.values()}

    def substitute(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with every relation substituted until none applies."""
        for _ in range(len(self.relations) + 1):
            new = expr.xreplace(self.relations)
            if new == expr:
                return expr
            expr = new
        return expr


def _find_line(text: str, keys: list[str], first: int, section: str) -> int:
    """The line (in the notes) where one of ``keys`` is assigned in ``[section]``, as a bare or quoted key."""
    lines = text.split("\n")
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith(f"[{section}]")), 0)
    for i, ln in enumerate(lines[start:], start):
        if any(re.match(r"\s*([\"']?)" + re.escape(k) + r"\1\s*=", ln) for k in keys if k):
            return first + i
    return first


def _toml_loads(text: str, file: str | Path, first_line: int) -> dict[str, Any]:
    try:
        import tomllib  # type: ignore[import-not-found]
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[import-not-found,no-redef]
        except ModuleNotFoundError as exc:
            raise NotesError(f"{file}:{first_line}: a symbol table needs Python >= 3.11 or tomli") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+)", str(exc))
        line = first_line + int(m.group(1)) - 1 if m else first_line
        raise NotesError(f"{file}:{line}: invalid TOML in the symbol table ({exc})") from exc


def default_name(key: str) -> str:
    """A Python name for a LaTeX key: ``\\bar{\\alpha}_{t-1}`` -> ``baralpha_tm1``."""
    s = normalize(key).replace("-", "m").replace("+", "p")
    s = re.sub(r"[^A-Za-z0-9_]", "", s)
    return s if re.match(r"[A-Za-z]", s) else f"s_{s}"


def load_table(text: str, file: str | Path, first_line: int = 1) -> Table:
    """The symbol table of a TOML text (``first_line``: its first line in ``file``, for messages)."""
    data = _toml_loads(text, file, first_line)
    unknown = sorted(set(data) - {"symbols", "relations"})
    if unknown:
        line = next((first_line + i for i, ln in enumerate(text.split("\n")) if unknown[0] in ln), first_line)
        raise NotesError(f"{file}:{line}: unknown table [{unknown[0]}] (expected [symbols] and [relations])")
    table = Table(where=str(file))
    spec = data.get("symbols", {})
    if not isinstance(spec, dict) or not spec:
        raise NotesError(f"{file}:{first_line}: the symbol table needs a [symbols] table declaring each symbol")
    for key, value in spec.items():
        line = _find_line(text, [key, json.dumps(key)[1:-1]], first_line, "symbols")
        at = f"{file}:{line}: [symbols] {key!r}"
        if isinstance(value, str):
            value = {"kind": value}
        if not isinstance(value, dict):
            raise NotesError(f"{at}: must be a kind (real, positive, nonnegative) or a table, got {value!r}")
        extra = sorted(set(value) - {"name", "domain", "kind"})
        if extra:
            raise NotesError(f"{at}: unknown field `{extra[0]}` (expected name, domain, kind)")
        name = value.get("name", default_name(key))
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise NotesError(f"{at}: field `name` must be a Python identifier, got {name!r}")
        domain = value.get("domain")
        if domain is not None and not (isinstance(domain, list) and len(domain) == 2 and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) for x in domain) and domain[0] < domain[1]):
            raise NotesError(f"{at}: field `domain` must be [lo, hi] with lo < hi, got {domain!r}")
        kind = value.get("kind")
        if kind is None:
            kind = "real" if domain is None or domain[0] < 0 else ("positive" if domain[0] > 0 else "nonnegative")
        if kind not in KINDS:
            raise NotesError(f"{at}: field `kind` must be one of {sorted(KINDS)}, got {kind!r}")
        low = domain[0] if domain is not None else None
        if low is not None and ((kind == "positive" and low <= 0) or (kind == "nonnegative" and low < 0)):
            raise NotesError(f"{at}: field `domain` {domain!r} leaves the {kind} kind")
        norm = normalize(key)
        if not norm:
            raise NotesError(f"{at}: the key must be the LaTeX of a symbol")
        if norm in table.symbols:
            raise NotesError(f"{at}: declares the same symbol as {table.symbols[norm].written!r}")
        if name in table.by_name:
            raise NotesError(f"{at}: field `name` {name!r} is already used by another symbol")
        span = (float(domain[0]), float(domain[1])) if domain is not None else DEFAULT_SPAN[kind]
        table.symbols[norm] = Symbol(norm, key, sp.Symbol(name, **KINDS[kind]), kind, span)
    rel = data.get("relations", {})
    if not isinstance(rel, dict):
        raise NotesError(f"{file}:{first_line}: [relations] must be a table of name = \"sympy expression\"")
    names = table.by_name
    for name, src in rel.items():
        line = _find_line(text, [name], first_line, "relations")
        at = f"{file}:{line}: [relations] {name}"
        if name not in names:
            raise NotesError(f"{at}: {name!r} is not the name of a declared symbol")
        if not isinstance(src, str):
            raise NotesError(f"{at}: must be a sympy expression in a string, got {src!r}")
        try:
            expr = sp.sympify(src, locals=dict(names))
        except (sp.SympifyError, SyntaxError, TypeError) as exc:
            raise NotesError(f"{at}: not a sympy expression: {src!r}") from exc
        undeclared = sorted(str(s) for s in expr.free_symbols if s not in set(names.values()))
        if undeclared:
            raise NotesError(f"{at}: uses undeclared names {undeclared} (declare them in [symbols])")
        table.relations[names[name]] = expr
    for sym in table.relations:
        if table.substitute(sym).has(sym):
            raise NotesError(f"{file}: [relations] {sym}: the relations are circular")
    return table


# ---------------------------------------------------------------------------------------------- LaTeX -> sympy
def normalize(tex: str) -> str:
    """Notation as users write it, in one spelling: decorations, spacing, sub/superscripts braced."""
    s = re.sub(r"\\(?:left|right)\s*\.", " ", tex)
    s = re.sub(r"\\(?:left|right|[bB]igg?[lr]?|middle)(?![A-Za-z])", " ", s)
    s = re.sub(r"\\[,;:! ]|~|\\q?quad(?![A-Za-z])", " ", s)
    s = re.sub(r"\\[dt]frac(?![A-Za-z])", r"\\frac", s)
    s = re.sub(r"\\times(?![A-Za-z])", r"\\cdot", s)
    s = re.sub(r"\\overline(?![A-Za-z])", r"\\bar", s)
    s = re.sub(r"\\widetilde(?![A-Za-z])", r"\\tilde", s)
    s = re.sub(r"\\widehat(?![A-Za-z])", r"\\hat", s)
    s = re.sub(r"\\(?:leq|leqslant)(?![A-Za-z])", r"\\le", s)
    s = re.sub(r"\\(?:geq|geqslant)(?![A-Za-z])", r"\\ge", s)
    wrap = r"\\(?:mathbf|boldsymbol|bm|mathsf|mathbfit|mathnormal)"
    upright = r"\\(?:mathrm|mathit|text)"  # a multi-letter name in these stays one name: \mathrm{SNR}
    for _ in range(4):
        s = re.sub(wrap + r"\s*\{([^{}]*)\}", r"\1", s)
        s = re.sub(wrap + r"\s*(\\[A-Za-z]+|[A-Za-z0-9])", r"\1", s)
        s = re.sub(upright + r"\s*\{\s*(\\[A-Za-z]+|[A-Za-z0-9])\s*\}", r"\1", s)
        s = re.sub(upright + r"\s*(\\[A-Za-z]+|[A-Za-z0-9])", r"\1", s)
    s = re.sub(r"\\(?:mathit|text)\s*\{", r"\\mathrm{", s)
    s = re.sub(r"\\(" + _ACCENTS + r")\s*(\\[A-Za-z]+|[A-Za-z0-9])", r"\\\1{\2}", s)
    s = re.sub(r"([_^])\s*(\\[A-Za-z]+|[A-Za-z0-9])", r"\1{\2}", s)
    s = " ".join(s.split())
    s = re.sub(r"(?<![A-Za-z]) | (?![A-Za-z])", "", s)
    return s


@dataclass(frozen=True)
class Parsed:
    """A side of a step read into sympy (``expr``), or the reason it was not (``reason``)."""

    expr: sp.Expr | None = None
    reason: str = ""


def _code(i: int) -> str:
    out = ""
    i += 26
    while i:
        i, r = divmod(i, 26)
        out = "abcdefghijklmnopqrstuvwxyz"[r] + out
    return out


def require_parser() -> Any:
    """sympy's ``parse_latex`` with the lark backend; ImportError naming the extra when lark is missing."""
    try:
        importlib.import_module("lark")
    except ImportError as exc:
        raise ImportError(PARSER_HINT) from exc
    from sympy.parsing.latex import parse_latex

    return parse_latex


def to_sympy(tex: str, table: Table) -> Parsed:
    """One side of a step as a sympy expression in the declared symbols, or why it cannot be read."""
    s = normalize(tex)
    if s not in table.cache:
        table.cache[s] = _to_sympy(s, table)
    return table.cache[s]


def _to_sympy(s: str, table: Table) -> Parsed:
    if not s:
        return Parsed(reason="empty side")
    if "d" not in table.symbols and re.search(r"\\frac\{d[^{}]*\}\{d", s):
        return Parsed(reason="operator not supported: d/dx (a derivative)")
    for op in sorted(UNSUPPORTED, key=len, reverse=True):
        if re.search(re.escape(op) + (r"(?![A-Za-z])" if op[-1].isalpha() else ""), s):
            return Parsed(reason=f"operator not supported: {UNSUPPORTED[op]}")
    keys = sorted(table.symbols, key=len, reverse=True)
    marks: dict[str, Any] = {}
    pieces = []
    for i, key in enumerate(keys):  # latin letters juxtapose (xy is x y); a command name ends at a non-letter
        pat = re.escape(key)
        if key[0] == "\\" and key[-1].isalpha():
            pat += r"(?![A-Za-z])"
        if not re.search(r"[_^]\{[^{}]*\}$", key):
            pat += r"(?![_'])"
        pieces.append(f"(?P<k{i}>{pat})")
    pieces += [r"(?P<pi>\\pi(?![A-Za-z]))", r"(?P<cmd>\\[A-Za-z]+)"]  # other commands stay whole

    def mark(m: re.Match[str]) -> str:
        if m.lastgroup == "cmd":
            return m.group()
        value = sp.pi if m.lastgroup == "pi" else table.symbols[keys[int(m.lastgroup[1:])]].symbol  # type: ignore[index]
        code = next((c for c, v in marks.items() if v == value), None) or f"zq{_code(len(marks))}"
        marks[code] = value
        return f"\\xi_{{{code}}}"

    s = re.sub("|".join(pieces), mark, s)
    rest = _PH.sub(" ", s)
    sub = r"(?:_\{[^{}]*\}|_[A-Za-z0-9])?"
    undeclared = []
    named = r"\\(?:" + _ACCENTS + r"|mathrm)\{[^{}]*\}"
    for m in re.finditer(named + sub + r"|\\([A-Za-z]+)" + sub + "|[A-Za-z]" + sub, rest):
        name = m.group(1)
        if name is not None and name not in GREEK:
            if name not in _ALLOWED:
                return Parsed(reason=f"command not supported: \\{name}")
            continue
        undeclared.append(m.group())
    if undeclared:
        names = ", ".join(dict.fromkeys(undeclared))
        return Parsed(reason=f"undeclared symbol{'s' if len(set(undeclared)) > 1 else ''}: {names} "
                             f"(declare {'them' if len(set(undeclared)) > 1 else 'it'} in [symbols])")
    if len(marks) <= len(_LETTERS):  # one latin letter per symbol: the Earley parser runs several times faster
        letters = dict(zip(marks, _LETTERS, strict=False))
        s = _PH.sub(lambda m: f" {letters['zq' + m.group(1)]} ", s)  # spaced: `\cdot x` never reads `\cdotx`
        marks = {letters[c]: v for c, v in marks.items()}
    else:
        marks = {f"xi_{{{c}}}": v for c, v in marks.items()}
    try:
        text = explicit_products(s)
    except ValueError as exc:
        return Parsed(reason=f"cannot read: {exc}")
    try:
        expr = parse_split(text)
    except _ParseError as exc:
        return Parsed(reason=str(exc))
    expr = expr.xreplace({sp.Symbol(c): v for c, v in marks.items()})
    expr = expr.xreplace({f: sp.Rational(str(f)) for f in expr.atoms(sp.Float)})
    stray = sorted(str(x) for x in expr.free_symbols if x not in set(marks.values()))
    if stray:
        return Parsed(reason=f"undeclared symbols: {', '.join(stray)} (declare them in [symbols])")
    if isinstance(expr, sp.core.relational.Relational):
        return Parsed(reason="a relation inside a side")
    return Parsed(expr=expr)


class _ParseError(Exception):
    pass


def _split_top(text: str, seps: tuple[str, ...]) -> list[tuple[str, str]]:
    """``text`` cut at the separators outside groups: ``[("", first), (sep, piece), ...]``."""
    out, depth, last, sep, i = [], 0, 0, "", 0
    while i < len(text):
        c = text[i]
        if depth == 0:
            hit = next((x for x in seps if text.startswith(x, i)), None)
            before = text[last:i].rstrip()
            if hit and before and not before.endswith(("\\cdot", "+", "-", "/", "*", ",")):
                out.append((sep, before.strip()))
                sep, last, i = hit.strip(), i + len(hit), i + len(hit)
                continue
        depth += {"{": 1, "(": 1, "}": -1, ")": -1}.get(c, 0)
        i += 1
    out.append((sep, text[last:].strip()))
    return out


def parse_split(text: str) -> sp.Expr:
    """``parse_latex`` of ``text`` (explicit products), term by term and factor by factor.

    sympy's lark grammar is read by an Earley parser whose time grows steeply with the length of the
    input; a sum of products is cut at its top-level ``+``/``-``/``\\cdot`` and each factor is parsed on
    its own (and cached), which reads the same expression."""
    total = sp.Integer(0)
    for sign, term in _split_top(text, (" + ", " - ")):
        neg = term.startswith("- ")
        term = term[2:] if neg or term.startswith("+ ") else term
        product = sp.Integer(1)
        for _, factor in _split_top(term, (" \\cdot ",)):
            product = product * _factor(factor)
        total = total + (-product if (sign == "-") != neg else product)
    return total


def _close(text: str, i: int) -> int:
    """The index just past the group (braces or parentheses) that opens at ``text[i]``."""
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "(": 1, "}": -1, ")": -1}.get(text[j], 0)
        if depth == 0:
            return j + 1
    raise _ParseError(f"cannot read: unclosed {text[i]!r} in `{text}`")


def _factor(text: str) -> sp.Expr:
    """A factor: a group, ``\\frac``, ``\\sqrt`` (read structurally, then their insides by
    :func:`parse_split`), each optionally raised to a braced power; anything else by ``parse_latex``."""
    base: sp.Expr | None = None
    end = 0
    if text[:1] in "({":
        end = _close(text, 0)
        base = parse_split(text[1:end - 1])
    elif text.startswith("\\frac{"):
        mid = _close(text, 5)
        if text[mid:mid + 1] == "{":
            end = _close(text, mid)
            base = parse_split(text[6:mid - 1]) / parse_split(text[mid + 1:end - 1])
    elif text.startswith("\\sqrt{"):
        end = _close(text, 5)
        base = sp.sqrt(parse_split(text[6:end - 1]))
    if base is not None and end == len(text):
        return base
    if base is not None and text[end:end + 2] == "^{" and _close(text, end + 1) == len(text):
        return base ** parse_split(text[end + 2:-1])
    return _parse_latex(text)


@functools.lru_cache(maxsize=4096)
def _parse_latex(text: str) -> sp.Expr:
    parse_latex = require_parser()
    try:
        expr = parse_latex(text, backend="lark")
    except Exception as exc:  # the lark backend raises its own exception classes
        first = str(exc).strip().split("\n")[0]
        raise _ParseError(f"parser: {first} (in `{text}`)") from exc
    if not isinstance(expr, sp.Basic):
        raise _ParseError(f"parser: ambiguous reading of `{text}`")
    return expr


_TOKEN = re.compile(r"\\[A-Za-z]+|\d+(?:\.\d+)?|[A-Za-z]|\S")
_OPERATORS = {"+", "-", "*", "/", "\\cdot", "\\div", ","}


def explicit_products(s: str) -> str:
    """``s`` with every juxtaposition made an explicit ``\\cdot`` and square brackets as parentheses."""
    tokens = _TOKEN.findall(s)
    out, i = _seq(tokens, 0, None)
    if i != len(tokens):
        raise ValueError(f"unbalanced {tokens[i]!r}")
    return out


def _seq(tokens: list[str], i: int, closer: str | None) -> tuple[str, int]:
    out: list[str] = []
    prev = False
    while i < len(tokens) and tokens[i] != closer:
        t = tokens[i]
        if t in _OPERATORS:
            out.append(f" {t} ")
            prev = False
            i += 1
            continue
        if t in ("}", ")", "]"):
            raise ValueError(f"unbalanced {t!r}")
        operand, i = _operand(tokens, i)
        out.append((" \\cdot " if prev else "") + operand)
        prev = True
    return "".join(out).strip(), i


def _group(tokens: list[str], i: int) -> tuple[str, int]:
    """A braced, parenthesized or bracketed group starting at ``i`` (brackets become parentheses)."""
    opener = tokens[i]
    closer = {"{": "}", "(": ")", "[": "]"}[opener]
    inner, j = _seq(tokens, i + 1, closer)
    if j >= len(tokens):
        raise ValueError(f"unclosed {opener!r}")
    return ("{" + inner + "}") if opener == "{" else ("(" + inner + ")"), j + 1


def _arg(tokens: list[str], i: int) -> tuple[str, int]:
    if i >= len(tokens):
        raise ValueError("a command lacks its argument")
    if tokens[i] == "{":
        return _group(tokens, i)
    if tokens[i].isdigit() and len(tokens[i]) > 1:  # \frac12: one digit per argument
        tokens[i:i + 1] = [tokens[i][0], tokens[i][1:]]
    base, j = _base(tokens, i)
    return "{" + base + "}", j


def _base(tokens: list[str], i: int) -> tuple[str, int]:
    """A symbol token with its subscript, if any."""
    text, i = tokens[i], i + 1
    if i < len(tokens) and tokens[i] == "_":
        if i + 1 < len(tokens) and tokens[i + 1] == "{":
            j = tokens.index("}", i + 1)
            return text + "_{" + "".join(tokens[i + 2:j]) + "}", j + 1
        if i + 1 < len(tokens):
            return text + "_" + tokens[i + 1], i + 2
    return text, i


def _operand(tokens: list[str], i: int) -> tuple[str, int]:
    t = tokens[i]
    if t in ("{", "(", "["):
        text, i = _group(tokens, i)
    elif t == "\\frac":
        a, i = _arg(tokens, i + 1)
        b, i = _arg(tokens, i)
        text = f"\\frac{a}{b}"
    elif t == "\\sqrt":
        i += 1
        index = ""
        if i < len(tokens) and tokens[i] == "[":
            inner, i = _seq(tokens, i + 1, "]")
            index, i = f"[{inner}]", i + 1
        a, i = _arg(tokens, i)
        text = f"\\sqrt{index}{a}"
    elif t in ("\\max", "\\min") and i + 1 < len(tokens) and tokens[i + 1] == "(":
        a, i = _group(tokens, i + 1)
        text = t + a
    elif t[1:] in _FUNCS:
        text, i = t, i + 1
        while i < len(tokens) and tokens[i] in ("_", "^"):
            mark = tokens[i]
            a, i = _arg(tokens, i + 1)
            text += mark + a
        if i >= len(tokens) or tokens[i] in _OPERATORS:
            raise ValueError(f"{t} lacks its argument")
        a, i = _operand(tokens, i)
        text = "{" + text + " " + a + "}"
        return text, i
    else:
        text, i = _base(tokens, i)
    while i < len(tokens) and tokens[i] in ("^", "!", "'"):
        if tokens[i] == "^":
            a, i = _arg(tokens, i + 1)
            text += "^" + a
        else:
            text += tokens[i]
            i += 1
    return text, i


def table_from(source: Source, symbols_file: str | Path | None) -> Table:
    """The symbol table of ``--symbols FILE`` if given, else the one embedded in the notes."""
    if symbols_file is not None:
        p = Path(symbols_file)
        if not p.is_file():
            raise NotesError(f"--symbols {symbols_file}: no such file")
        if source.table_text is not None:
            raise NotesError(f"{source.path}:{source.table_line}: has its own symbol table; drop it or --symbols")
        return load_table(p.read_text(encoding="utf-8"), p)
    if source.table_text is None:
        raise NotesError(f"{source.path}: no symbol table: add TOML front matter (--- [symbols] ... ---), a "
                         "```toml dgmcheck block, or --symbols FILE.toml")
    return load_table(source.table_text, source.path, source.table_line)


def relation_of(rel: str) -> str | None:
    """The comparison (``==``, ``<=``, ...) a written relation means, or None when it is not checked."""
    return CHECKED.get(normalize(rel) if rel.startswith("\\") else rel)
