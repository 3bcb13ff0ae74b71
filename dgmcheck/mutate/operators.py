"""The domain mutation operators: the bugs that actually happen in generative-model code.

Each operator is a small :class:`ast.NodeTransformer` with a ``name`` and a docstring saying what it
plants. Run with ``pick=None`` it only *counts*: every matching site (and every variant of a site,
e.g. ``t - 1`` and ``t + 1``) is appended to ``sites`` with its line, in a fixed post-order walk.
Run again on a fresh copy of the tree with ``pick=k`` it replaces the ``k``-th site and nothing else,
so one operator pass gives one mutant. The replaced expression is wrapped in a call of
``__dgmcheck_reached__`` (:data:`PROBE`, the identity) so that a run can tell whether the mutated
expression was ever evaluated; :func:`strip_probe` removes it for display.

Every operator replaces a *load-context expression* by another expression, never a statement or
an assignment target: the mutant always compiles, and the probe can wrap it.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

__all__ = ["OPERATORS", "PROBE", "Operator", "Site", "strip_probe"]

#: The identity the mutated expression is wrapped in; the runner defines it in the module's globals.
PROBE = "__dgmcheck_reached__"

# Identifier patterns, matched on underscore-separated tokens (``posterior_variance`` has the token
# ``variance``). Case matters for indices: ``t`` is a step, ``T`` the number of steps.
_SIGMA = re.compile(r"(?:^|_)(?:sigma|sigmas|std|stds|stddev|stdev)(?:_|$)", re.IGNORECASE)
_VARIANCE = re.compile(r"(?:^|_)(?:var|vars|variance|variances|sigma2|sigma_sq|sigma_squared|sigmas_sq)(?:_|$)",
                       re.IGNORECASE)
_SCHEDULE = re.compile(r"(?:^|_)(?:alpha|alphas|abar|abars|alpha_bar|alphas_bar|beta|betas|alphas_cumprod"
                       r"|alpha_cumprod)(?:_|$)", re.IGNORECASE)
_ROOTED = re.compile(r"(?:^|_)(?:sqrt|log|rsqrt|root)(?:_|$)", re.IGNORECASE)
_SCORE = re.compile(r"(?:^|_)(?:score|scores|drift|drifts|grad|grad_log_p|grad_logp)(?:_|$)", re.IGNORECASE)
_INDEX = re.compile(r"^(?:t|s|i|j|k|n|tt|ts|idx|index|ind|step|steps|timestep|timesteps|time|times)"
                    r"(?:_[a-z0-9_]*)?$|^[a-z0-9_]*_(?:idx|index|step|timestep)$|^(?:prev|next|cur)_t$")
_X0 = re.compile(r"^(?:x0|x_0|x_start|xstart|pred_xstart|x0_pred|pred_x0|x0_hat|x_0_hat|x0_hat_t"
                 r"|pred_original_sample)$")
_KL = re.compile(r"(?:^|_)kl(?:_|$)|kl_div|kl_divergence", re.IGNORECASE)


@dataclass(frozen=True)
class Site:
    """One mutant of an operator: where (1-based line, column) and what (``old → new``)."""

    line: int
    col: int
    description: str


def _short(node: ast.AST, limit: int = 60) -> str:
    """``node`` as source, a long call as ``f(…)`` and anything else long cut at ``limit``."""
    text = ast.unparse(node)
    if len(text) <= limit:
        return text
    if isinstance(node, ast.Call) and len(head := ast.unparse(node.func)) < limit - 3:
        return f"{head}(…)"
    return text[: limit - 1] + "…"


def identifier(node: ast.AST) -> str | None:
    """The name an expression goes by: ``x`` → x, ``self.alphas`` → alphas, ``f(x)`` → f,
    ``abar[t]`` → abar; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return identifier(node.func)
    if isinstance(node, ast.Subscript):
        return identifier(node.value)
    return None


def _const(node: ast.AST, *values: float) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool) and node.value in values)


def _pow(base: ast.expr, exponent: float) -> ast.expr:
    return ast.BinOp(base, ast.Pow(), ast.Constant(exponent))


def _call_name(node: ast.AST) -> str | None:
    """``f`` for ``f(...)``, ``mod.f(...)`` and ``x.f(...)``."""
    return identifier(node.func) if isinstance(node, ast.Call) else None


def _is_method_call(node: ast.Call) -> bool:
    return isinstance(node.func, ast.Attribute)


_MODULES = frozenset({"torch", "th", "np", "numpy", "jnp", "math", "F", "tf", "scipy", "special"})


def _module_call(node: ast.Call) -> bool:
    """``torch.f(x)``/``np.f(x)``/``f(x)``: the first argument is the operand (not ``x.f()``)."""
    func = node.func
    if isinstance(func, ast.Name):
        return True
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in _MODULES


class Operator(ast.NodeTransformer):
    """The scaffold: a post-order walk (children first, then the node), a parent map, the
    enclosing functions, and :meth:`offer`, which counts a site's variants and substitutes the
    picked one."""

    name: ClassVar[str] = ""

    def __init__(self, pick: int | None = None) -> None:
        self.pick = pick
        self.sites: list[Site] = []
        self.parents: dict[ast.AST, ast.AST] = {}
        self.functions: list[str] = []

    def run(self, tree: ast.Module) -> ast.Module:
        """Walk ``tree`` (in place) and return it; ``sites`` lists what matched."""
        self.parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
        return self.visit(tree)

    def generic_visit(self, node: ast.AST) -> ast.AST:
        node = super().generic_visit(node)
        method = getattr(self, "mutate_" + type(node).__name__, None)
        return method(node) if method is not None else node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        self.functions.append(node.name)
        try:
            return self.generic_visit(node)
        finally:
            self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(node)

    def loaded(self, node: ast.AST) -> bool:
        """A value being read: not a store/del target, not the ``f`` of ``f(...)``, not the ``x``
        of ``x.attr``, and not an annotation."""
        if getattr(node, "ctx", ast.Load()).__class__ is not ast.Load:
            return False
        parent = self.parent(node)
        if isinstance(parent, ast.Call) and parent.func is node:
            return False
        if isinstance(parent, ast.Attribute) and parent.value is node:
            return False
        if isinstance(parent, (ast.arg, ast.AnnAssign)) and getattr(parent, "annotation", None) is node:
            return False
        return not (isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) and parent.returns is node)

    def offer(self, node: ast.expr, *variants: ast.expr) -> ast.expr:
        """Count each variant of ``node`` as one site; return the picked one (probed) or ``node``."""
        for new in variants:
            k = len(self.sites)
            self.sites.append(Site(node.lineno, node.col_offset, f"{_short(node)} → {_short(new)}"))
            if k == self.pick:
                probed = ast.Call(ast.Name(PROBE, ast.Load()), [new], [])
                for made in (new, probed):
                    ast.copy_location(made, node)
                return ast.fix_missing_locations(probed)
        return node


# --------------------------------------------------------------------------- √ and σ
def _operand_of(node: ast.Call, names: tuple[str, ...]) -> ast.expr | None:
    """``x`` of a one-operand call named one of ``names``: ``torch.sqrt(x)``/``sqrt(x)`` or ``x.sqrt()``
    (no keywords); ``None`` for any other call."""
    if _call_name(node) not in names or node.keywords:
        return None
    if _module_call(node) and len(node.args) == 1:
        return node.args[0]
    if _is_method_call(node) and not node.args:
        return node.func.value  # type: ignore[attr-defined]
    return None


class DropSqrt(Operator):
    """A missing √: ``sqrt(x)``, ``x.sqrt()`` and ``x ** 0.5`` become ``x`` (ᾱ_t where √ᾱ_t belongs)."""

    name = "drop_sqrt"

    def mutate_Call(self, node: ast.Call) -> ast.expr:
        operand = _operand_of(node, ("sqrt",))
        return node if operand is None else self.offer(node, operand)

    def mutate_BinOp(self, node: ast.BinOp) -> ast.expr:
        if isinstance(node.op, ast.Pow) and _const(node.right, 0.5):
            return self.offer(node, node.left)
        return node


class AddSqrt(Operator):
    """A spurious √ on a schedule quantity: ``alphas_cumprod[t]`` becomes ``alphas_cumprod[t] ** 0.5``
    (√ᾱ_t where ᾱ_t belongs). Only names of α, ᾱ, β tables not already rooted or logged."""

    name = "add_sqrt"

    def _candidate(self, node: ast.expr) -> bool:
        name = identifier(node)
        return bool(name and _SCHEDULE.search(name) and not _ROOTED.search(name)) and self.loaded(node)

    def mutate_Subscript(self, node: ast.Subscript) -> ast.expr:
        if isinstance(node.value, (ast.Name, ast.Attribute)) and self._candidate(node):
            return self.offer(node, _pow(node, 0.5))
        return node

    def _plain(self, node: ast.expr) -> ast.expr:
        parent = self.parent(node)
        if isinstance(parent, ast.Subscript) and parent.value is node:
            return node  # the subscript as a whole is the site
        if self._candidate(node):
            return self.offer(node, _pow(node, 0.5))
        return node

    mutate_Name = _plain
    mutate_Attribute = _plain


class _NamedSites(Operator):
    """An operator whose sites are names, attributes and subscripts of them (``a[t]`` as a whole, not
    ``a`` inside it); ``_at(node, name, parent)`` offers the mutant of one site."""

    def _site(self, node: ast.expr) -> ast.expr:
        parent = self.parent(node)
        if isinstance(parent, ast.Subscript) and parent.value is node:
            return node
        return self._at(node, identifier(node), parent)

    def _at(self, node: ast.expr, name: str | None, parent: ast.AST | None) -> ast.expr:
        raise NotImplementedError

    def mutate_Name(self, node: ast.Name) -> ast.expr:
        return self._site(node)

    def mutate_Attribute(self, node: ast.Attribute) -> ast.expr:
        return self._site(node)

    def mutate_Subscript(self, node: ast.Subscript) -> ast.expr:
        return self._site(node) if isinstance(node.value, (ast.Name, ast.Attribute)) else node


class SquareSigma(_NamedSites):
    """σ where σ² belongs: a standard deviation (``sigma``, ``std``) becomes ``sigma ** 2``."""

    name = "square_sigma"

    def _at(self, node: ast.expr, name: str | None, parent: ast.AST | None) -> ast.expr:
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Pow) and parent.left is node:
            return node  # already raised to a power: root_variance's site
        if name and _SIGMA.search(name) and not _VARIANCE.search(name) and self.loaded(node):
            return self.offer(node, _pow(node, 2))
        return node


class RootVariance(_NamedSites):
    """σ² where σ belongs: ``sigma ** 2`` becomes ``sigma``, and a variance (``var``,
    ``posterior_variance``) becomes ``var ** 0.5``."""

    name = "root_variance"

    def mutate_BinOp(self, node: ast.BinOp) -> ast.expr:
        name = identifier(node.left)
        if isinstance(node.op, ast.Pow) and _const(node.right, 2) and name and _SIGMA.search(name):
            return self.offer(node, node.left)
        return node

    def _at(self, node: ast.expr, name: str | None, parent: ast.AST | None) -> ast.expr:
        if name and _VARIANCE.search(name) and "log" not in name.lower() and self.loaded(node):
            return self.offer(node, _pow(node, 0.5))
        return node


# --------------------------------------------------------------------------- indices and steps
def _shifted(expr: ast.expr) -> list[ast.expr]:
    """The shifts by −1 and by +1: ``t`` → ``t - 1``, ``t + 1``; ``t - 1`` → ``t - 2``, ``t``."""
    if isinstance(expr, ast.Name):
        return [ast.BinOp(expr, ast.Sub(), ast.Constant(1)), ast.BinOp(expr, ast.Add(), ast.Constant(1))]
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Sub)) and isinstance(expr.left, ast.Name):
        c = expr.right
        if isinstance(c, ast.Constant) and isinstance(c.value, int) and not isinstance(c.value, bool):
            sign = 1 if isinstance(expr.op, ast.Add) else -1
            out: list[ast.expr] = []
            for delta in (-1, 1):
                k = sign * c.value + delta
                out.append(expr.left if k == 0 else
                           ast.BinOp(expr.left, ast.Add() if k > 0 else ast.Sub(), ast.Constant(abs(k))))
            return out
    return []


def _index_like(expr: ast.expr) -> bool:
    name = expr.id if isinstance(expr, ast.Name) else (
        expr.left.id if isinstance(expr, ast.BinOp) and isinstance(expr.left, ast.Name) else None)
    return bool(name and _INDEX.match(name))


class ShiftIndex(Operator):
    """An off-by-one in a table lookup: ``abar[t]`` becomes ``abar[t - 1]`` and ``abar[t + 1]``
    (ᾱ_{t−1} where ᾱ_t belongs). Only indices named like a step (``t``, ``i``, ``step``, ``idx``)."""

    name = "shift_index"

    def mutate_Subscript(self, node: ast.Subscript) -> ast.expr:
        if _index_like(node.slice):
            node.slice = self.offer(node.slice, *_shifted(node.slice))
        return node


class ShiftTArgument(Operator):
    """A step passed one off: in a call, an argument named like a step (``t``, ``timesteps``,
    ``t_prev``) becomes ``t - 1`` and ``t + 1`` (a 0-based step read as 1-based)."""

    name = "shift_t_arg"

    def mutate_Call(self, node: ast.Call) -> ast.expr:
        node.args = [self.offer(a, *_shifted(a)) if _index_like(a) else a for a in node.args]
        for kw in node.keywords:
            if kw.arg is not None and _index_like(kw.value):
                kw.value = self.offer(kw.value, *_shifted(kw.value))
        return node


# --------------------------------------------------------------------------- α ↔ ᾱ, β ↔ β̃
#: Token rewrites, both ways: α ↔ ᾱ, ᾱ_t ↔ ᾱ_{t−1}, β ↔ β̃.
SWAPS: tuple[tuple[str, str], ...] = (
    ("alphas_cumprod", "alphas"), ("alpha_cumprod", "alpha"), ("alphas_bar", "alphas"), ("alpha_bar", "alpha"),
    ("abar", "alpha"), ("abars", "alphas"),
    ("posterior_variance", "betas"), ("betas_tilde", "betas"), ("beta_tilde", "beta"),
)


def _token(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])")


def partners(name: str) -> list[str]:
    """The names a swap can turn ``name`` into (whether they exist is checked by the operator)."""
    out = []
    for a, b in SWAPS:
        for old, new in ((a, b), (b, a)):
            if _token(old).search(name):
                out.append(_token(old).sub(new, name, count=1))
    out.append(name[: -len("_prev")] if name.endswith("_prev") else name + "_prev")
    return [n for n in dict.fromkeys(out) if n != name]


class SwapScheduleName(Operator):
    """α ↔ ᾱ, ᾱ_t ↔ ᾱ_{t−1} and β ↔ β̃ by name: ``self.alphas_cumprod`` becomes ``self.alphas``,
    ``alphas_cumprod`` ``alphas_cumprod_prev``, ``posterior_variance`` ``betas`` — only where the
    other name is in scope (bound or read as a name, or used as an attribute, in the module)."""

    name = "swap_schedule_name"

    def run(self, tree: ast.Module) -> ast.Module:
        self.names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        self.names |= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
        self.attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        return super().run(tree)

    def mutate_Name(self, node: ast.Name) -> ast.expr:
        if not self.loaded(node):
            return node
        new = [ast.Name(p, ast.Load()) for p in partners(node.id) if p in self.names]
        return self.offer(node, *new) if new else node

    def mutate_Attribute(self, node: ast.Attribute) -> ast.expr:
        if not self.loaded(node):
            return node
        new = [ast.Attribute(node.value, p, ast.Load()) for p in partners(node.attr) if p in self.attrs]
        return self.offer(node, *new) if new else node


# --------------------------------------------------------------------------- signs and factors
def _mentions(node: ast.AST, pattern: re.Pattern[str]) -> bool:
    return any((name := identifier(n)) and pattern.search(name)
               for n in ast.walk(node) if isinstance(n, (ast.Name, ast.Attribute)))


class FlipScoreSign(Operator):
    """A flipped score or drift: ``x + g**2 * score`` becomes ``x - g**2 * score`` (and ``-`` to
    ``+``), a score or drift computed into a name (``score = ...``) or returned by a function named
    so (``def score(...)``) is negated (∇log p = −(x − μ)/σ² typed without its minus)."""

    name = "flip_score_sign"

    def mutate_BinOp(self, node: ast.BinOp) -> ast.expr:
        if isinstance(node.op, (ast.Add, ast.Sub)) and _mentions(node.right, _SCORE):
            op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
            return self.offer(node, ast.BinOp(node.left, op, node.right))
        return node

    def _negate(self, value: ast.expr) -> ast.expr:
        if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
            return self.offer(value, value.operand)
        return self.offer(value, ast.UnaryOp(ast.USub(), value))

    def mutate_Assign(self, node: ast.Assign) -> ast.AST:
        if (len(node.targets) == 1 and (name := identifier(node.targets[0])) and _SCORE.search(name)
                and not isinstance(node.value, (ast.Tuple, ast.Constant))):
            node.value = self._negate(node.value)
        return node

    def mutate_Return(self, node: ast.Return) -> ast.AST:
        if node.value is not None and self.functions and _SCORE.search(self.functions[-1]) \
                and not isinstance(node.value, (ast.Tuple, ast.Constant)):
            node.value = self._negate(node.value)
        return node


class DropFactor(Operator):
    """A lost factor ½ or 2: ``0.5 * g**2 * s`` becomes ``g**2 * s``, ``x / 2`` becomes ``x``
    (the probability-flow ODE's ½ g² ∇log p, √(2ε) in Langevin)."""

    name = "drop_factor"

    def mutate_BinOp(self, node: ast.BinOp) -> ast.expr:
        if isinstance(node.op, ast.Mult):
            if _const(node.left, 0.5, 2):
                return self.offer(node, node.right)
            if _const(node.right, 0.5, 2):
                return self.offer(node, node.left)
        if isinstance(node.op, ast.Div) and _const(node.right, 2, 0.5):
            return self.offer(node, node.left)
        return node


# --------------------------------------------------------------------------- linear algebra
def _mT(node: ast.expr) -> ast.expr:
    return ast.Attribute(node, "mT", ast.Load())


class Transpose(Operator):
    """A transposed matrix: ``x @ Q`` becomes ``Q @ x``, ``x @ Q.mT`` and ``x.mT @ Q``; likewise the
    two arguments of ``matmul``/``mm``/``bmm`` (row vs column convention of a transition matrix).
    ``.mT`` (the matrix transpose of torch and NumPy ≥ 2) is ``.T`` for a 2-D matrix."""

    name = "transpose"

    def mutate_BinOp(self, node: ast.BinOp) -> ast.expr:
        if not isinstance(node.op, ast.MatMult):
            return node
        return self.offer(node, ast.BinOp(node.right, ast.MatMult(), node.left),
                          ast.BinOp(node.left, ast.MatMult(), _mT(node.right)),
                          ast.BinOp(_mT(node.left), ast.MatMult(), node.right))

    def mutate_Call(self, node: ast.Call) -> ast.expr:
        if _call_name(node) not in ("matmul", "mm", "bmm") or node.keywords or not _module_call(node) \
                or len(node.args) != 2:
            return node
        a, b = node.args
        return self.offer(node, ast.Call(node.func, [b, a], []), ast.Call(node.func, [a, _mT(b)], []),
                          ast.Call(node.func, [_mT(a), b], []))


def _detached(node: ast.AST) -> ast.expr | None:
    """``x`` for ``x.detach()``, else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "detach" \
            and not node.args and not node.keywords:
        return node.func.value
    return None


def _detach(node: ast.expr) -> ast.expr:
    return ast.Call(ast.Attribute(node, "detach", ast.Load()), [], [])


class MoveDetach(Operator):
    """``detach()`` in the wrong place: ``x.detach()`` becomes ``x``; ``(a * b).detach()`` becomes
    ``a.detach() * b`` and ``a * b.detach()``; ``a.detach() * b`` becomes ``(a * b).detach()``
    (a stop-gradient on the wrong operand)."""

    name = "move_detach"

    def mutate_Call(self, node: ast.Call) -> ast.expr:
        inner = _detached(node)
        if inner is None:
            return node
        variants: list[ast.expr] = [inner]
        if isinstance(inner, ast.BinOp):
            variants += [ast.BinOp(_detach(inner.left), inner.op, inner.right),
                         ast.BinOp(inner.left, inner.op, _detach(inner.right))]
        return self.offer(node, *variants)

    def mutate_BinOp(self, node: ast.BinOp) -> ast.expr:
        left, right = _detached(node.left), _detached(node.right)
        if left is None and right is None:
            return node
        return self.offer(node, _detach(ast.BinOp(left or node.left, node.op, right or node.right)))


class SumMean(Operator):
    """Sum where a mean belongs and back: ``x.sum(dim)`` ↔ ``x.mean(dim)``, ``torch.sum`` ↔
    ``torch.mean`` (a loss summed over coordinates instead of averaged)."""

    name = "sum_mean"

    def mutate_Call(self, node: ast.Call) -> ast.expr:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("sum", "mean"):
            other = "mean" if func.attr == "sum" else "sum"
            return self.offer(node, ast.Call(ast.Attribute(func.value, other, ast.Load()), node.args, node.keywords))
        return node


class DropLogExp(Operator):
    """One half of a log/exp pair dropped: ``exp(0.5 * logvar)`` becomes ``0.5 * logvar`` and
    ``log(v)`` becomes ``v`` (a log-variance used as a variance, a likelihood for its log)."""

    name = "drop_log_exp"

    def mutate_Call(self, node: ast.Call) -> ast.expr:
        operand = _operand_of(node, ("log", "exp"))
        return node if operand is None else self.offer(node, operand)


class SwapKL(Operator):
    """KL(q‖p) for KL(p‖q): the two distributions of a KL call swap places — ``kl(p, q)`` becomes
    ``kl(q, p)``, ``normal_kl(m1, lv1, m2, lv2)`` becomes ``normal_kl(m2, lv2, m1, lv1)``."""

    name = "swap_kl"

    def mutate_Call(self, node: ast.Call) -> ast.expr:
        name = _call_name(node)
        if not name or not _KL.search(name) or len(node.args) < 2:
            return node
        args = list(node.args)
        if len(args) == 4:
            args = [args[2], args[3], args[0], args[1]]
        else:
            args[0], args[1] = args[1], args[0]
        return self.offer(node, ast.Call(node.func, args, node.keywords))


class RandnToRand(Operator):
    """A uniform where a Gaussian belongs: ``torch.randn_like(x)`` becomes ``torch.rand_like(x)``,
    ``randn`` ``rand``."""

    name = "randn_to_rand"

    def mutate_Call(self, node: ast.Call) -> ast.expr:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("randn", "randn_like"):
            new: ast.expr = ast.Attribute(func.value, func.attr.replace("randn", "rand"), ast.Load())
        elif isinstance(func, ast.Name) and func.id in ("randn", "randn_like"):
            new = ast.Name(func.id.replace("randn", "rand"), ast.Load())
        else:
            return node
        return self.offer(node, ast.Call(new, node.args, node.keywords))


class Clamp(Operator):
    """A clamp removed or added: ``x.clamp(-1, 1)``/``torch.clamp(x, ...)``/``np.clip(x, ...)``
    become ``x``; a predicted x₀ (``pred_xstart``, ``x0``, ``x_start``) read unclamped becomes
    ``x0.clip(-1, 1)`` (clip_denoised where the lecture's step has none)."""

    name = "clamp"

    def mutate_Call(self, node: ast.Call) -> ast.expr:
        if _call_name(node) not in ("clamp", "clip", "clamp_"):
            return node
        if _is_method_call(node) and not _module_call(node):
            return self.offer(node, node.func.value)  # type: ignore[attr-defined]
        if node.args:
            return self.offer(node, node.args[0])
        return node

    def mutate_Name(self, node: ast.Name) -> ast.expr:
        parent = self.parent(node)
        if not _X0.match(node.id) or not self.loaded(node) or _call_name(parent) in ("clamp", "clip", "clamp_"):
            return node
        return self.offer(node, ast.Call(ast.Attribute(node, "clip", ast.Load()),
                                         [ast.UnaryOp(ast.USub(), ast.Constant(1)), ast.Constant(1)], []))


#: Every operator by name, in the order mutants are listed.
OPERATORS: dict[str, type[Operator]] = {op.name: op for op in (
    DropSqrt, AddSqrt, SquareSigma, RootVariance, ShiftIndex, ShiftTArgument, SwapScheduleName, FlipScoreSign,
    DropFactor, Transpose, MoveDetach, SumMean, DropLogExp, SwapKL, RandnToRand, Clamp)}


class _StripProbe(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        node = self.generic_visit(node)  # type: ignore[assignment]
        if isinstance(node.func, ast.Name) and node.func.id == PROBE and len(node.args) == 1:
            return node.args[0]
        return node


def strip_probe(tree: ast.AST) -> ast.AST:
    """``tree`` without the probe calls (in place): what the mutant reads like."""
    return _StripProbe().visit(tree)


def walk_sites(tree: ast.Module, operator: type[Operator]) -> Iterator[Site]:
    """The sites ``operator`` finds in ``tree`` (which it leaves unchanged)."""
    op = operator(pick=None)
    op.run(copy.deepcopy(tree))
    yield from op.sites
