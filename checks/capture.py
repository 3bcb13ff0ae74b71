"""Captured randomness: feed a candidate's own random draws from variates the check controls.

Real diffusion code draws its own noise (``torch.randn_like(x0)`` inside ``q_sample``, a
diffusers scheduler's ``step`` calling ``randn_tensor``, ``torch.randint`` for ``t``), so a check
cannot pass ``noise=`` in. Inside ``captured`` every such draw is intercepted with a torch
*function mode* (no module attribute is patched), fed from a float64 variate the check chose, and
recorded, so the oracle can use the very numbers the candidate used::

    from dgmcheck.checks.capture import captured

    with captured(seed=1234) as log:         # variates from numpy's Generator(1234), float64
        y = candidate.q_sample(x0, t)         # draws torch.randn_like(x0) inside
    log.expect(["normal"], shapes=[x0.shape], needs="ε ~ N(0, I) shaped like x0")
    eps = log.normal(0)                       # the standard normal fed, float64 numpy
    # the oracle: sqrt(ᾱ_t) x0 + sqrt(1 - ᾱ_t) eps

    with captured(values=[z0, z1]) as log:    # feed given standard variates, in order
        ...

**Standard variates.** Every fed draw is a deterministic function of one recorded float64 array
(``Draw.value``), so the oracle needs nothing else:

===============  ==========================================  =====================================
kind             intercepted                                 fed value from the variate
===============  ==========================================  =====================================
``normal``       ``torch.randn``, ``randn_like``,            ``mean + std·z``, ``z ~ N(0, 1)``
                 ``torch.normal`` (all overloads, tensor
                 mean/std broadcast), ``Tensor.normal_``
``uniform``      ``torch.rand``, ``rand_like``,              ``a + (b − a)·u``, ``u ~ U[0, 1)``
                 ``Tensor.uniform_``                         (kept below ``b`` after rounding)
``randint``      ``torch.randint``, ``randint_like``,        ``low + ⌊u·(high − low)⌋``
                 ``Tensor.random_``
``bernoulli``    ``torch.bernoulli``, ``Tensor.bernoulli``,  ``1[u < p]``
                 ``Tensor.bernoulli_``
``multinomial``  ``torch.multinomial``,                      inverse CDF: the first category whose
                 ``Tensor.multinomial``                      cumulative weight exceeds ``u·Σw``;
                                                             without replacement sample ``j``
                                                             removes its category before ``j+1``
``permutation``  ``torch.randperm``                          ``argsort(u)`` (stable)
===============  ==========================================  =====================================

The variate has the output's shape, except for ``multinomial`` (``(*batch, num_samples)``) and
``permutation`` (``(n,)``). Values are computed in float64 and cast to the dtype torch would have
produced (the candidate's own call runs first, unchanged, so its dtype, device, ``out=``,
``generator=``, ``requires_grad=``, broadcasting and argument errors are exactly torch's; its
numbers are then overwritten). A passed ``torch.Generator`` advances as it would without the
capture and its numbers are replaced like the global generator's. A tensor ``mean``/``std`` of
``torch.normal`` keeps its reparametrized gradient (``∂/∂mean = 1``, ``∂/∂std = z``).
``randint`` over a range wider than ``2**53`` is computed with exact integer arithmetic.
diffusers' ``randn_tensor`` (``DDPMScheduler.step``, ``DDIMScheduler.step`` with η > 0; one draw
per generator when given a list) and ``torch.distributions``' ``Normal``, ``Uniform`` and
``Categorical`` sample through these functions and are fed.

**What is not fed.** A function mode sees the torch functions called from Python; it does not see
draws made inside another torch function, i.e. inside C++ kernels or inside Python functions that
dispatch ``__torch_function__`` themselves: ``F.dropout``/``nn.Dropout``, ``F.rrelu``,
``nn.init.*``, ``Tensor.exponential_``/``cauchy_``/``geometric_``/``log_normal_``,
``torch.poisson``, ``torch._standard_gamma`` (``torch.distributions``' Gamma/Dirichlet/Beta). A
dispatch mode over every ``aten`` operator tagged ``nondeterministic_seeded`` records each such
draw as *unmatched* (``Draw.fed`` is False, ``Draw.value`` is None, ``fn`` names the ``aten``
operator and the torch function it ran inside): those numbers come from torch's generator, so
``log.expect`` fails on them and the caller must fall back to a distributional check.

**Transforms.** Under ``torch.func.vmap(randomness="same")`` a draw is fed with the per-example
shape, the same numbers for every example (what "same" means). Under ``randomness="error"`` (the
default) torch raises as it would; under ``randomness="different"`` the draw is left to torch and
recorded as unmatched with the batched shape. ``torch.func.grad``/``jvp``/``jacrev`` draws are
fed. ``torch.no_grad()``/``torch.inference_mode()`` change nothing. Code compiled with
``torch.compile`` is out of scope (compile the candidate after checking it, not before).

**Nesting.** The innermost ``captured`` feeds and records a draw; enclosing captures do not see
it. An unfed draw is recorded by every enclosing capture. Both modes are exited on exceptions.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from dgmcheck.checks._assert import to_numpy

__all__ = ["KINDS", "CaptureLog", "CaptureMismatch", "Draw", "captured"]

#: The kinds of a draw; ``other`` only for unmatched draws (exponential, Poisson, gamma, ...).
KINDS = ("normal", "uniform", "randint", "bernoulli", "multinomial", "permutation", "other")
#: The standard variate each fed kind is computed from.
VARIATE = {"normal": "standard normal", "uniform": "uniform [0, 1)", "randint": "uniform [0, 1)",
           "bernoulli": "uniform [0, 1)", "multinomial": "uniform [0, 1)",
           "permutation": "uniform [0, 1)"}


class CaptureMismatch(ValueError):
    """The candidate's random draws are not what the check needs (count, kind, shape), a given
    variate does not fit the draw it was meant for, or a draw could not be fed."""


@dataclass(frozen=True, eq=False)
class Draw:
    """One random draw of the candidate, in call order.

    ``kind`` is one of ``KINDS``; ``fn`` the torch function (``"torch.randn_like"``,
    ``"Tensor.normal_"``, or for an unmatched draw ``"aten.bernoulli_.float in
    torch.nn.functional.dropout"``); ``shape``/``dtype``/``device`` those of the tensor the
    candidate received; ``params`` the distribution's parameters as given (``mean``/``std``,
    ``low``/``high``, ``p``, ``weights``/``num_samples``/``replacement``, ``n``) with tensors as
    float64 numpy; ``value`` the standard variate fed (float64 numpy; None when not fed).
    """

    kind: str
    fn: str
    shape: tuple[int, ...]
    dtype: torch.dtype
    device: torch.device
    params: dict[str, Any] = field(default_factory=dict)
    value: np.ndarray | None = None
    fed: bool = True
    generator: bool = False

    def describe(self) -> str:
        """``normal  torch.randn_like  shape (4, 3) float32 cpu`` (``[not fed]`` when unmatched)."""
        dtype = str(self.dtype).replace("torch.", "")
        text = f"{self.kind:<11} {self.fn}  shape {self.shape} {dtype} {self.device}"
        return text if self.fed else text + "  [not fed: drawn by torch]"


class CaptureLog:
    """What ``captured`` recorded: ``draws`` (every draw, fed or not, in call order), ``fed``,
    ``unmatched``, and accessors for the variates the oracle needs."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.draws: list[Draw] = []

    @property
    def fed(self) -> list[Draw]:
        return [d for d in self.draws if d.fed]

    @property
    def unmatched(self) -> list[Draw]:
        return [d for d in self.draws if not d.fed]

    def of_kind(self, kind: str) -> list[Draw]:
        """The fed draws of ``kind``, in order."""
        _check_kind(kind, "kind")
        return [d for d in self.draws if d.fed and d.kind == kind]

    def variate(self, kind: str, k: int = 0) -> np.ndarray:
        """The standard variate of the ``k``-th fed draw of ``kind`` (float64 numpy)."""
        draws = self.of_kind(kind)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"k must be an int, got {k!r}")
        if not -len(draws) <= k < len(draws):
            raise CaptureMismatch(f"the candidate made {len(draws)} fed {kind} draw(s); draw {k} "
                                  f"was asked for.\n{self.describe()}")
        value = draws[k].value
        assert value is not None  # fed draws always carry their variate
        return value

    def normal(self, k: int = 0) -> np.ndarray:
        """The ``k``-th standard normal ``z`` fed (a draw ``mean + std·z``), float64 numpy."""
        return self.variate("normal", k)

    def uniform(self, k: int = 0) -> np.ndarray:
        """The ``k``-th ``u ~ U[0, 1)`` fed to a ``uniform`` draw (``a + (b − a)·u``)."""
        return self.variate("uniform", k)

    def describe(self) -> str:
        """The draws, one a line, in order."""
        if not self.draws:
            return "  drawn (0): nothing"
        lines = [f"  drawn ({len(self.draws)}):"]
        lines += [f"    [{i}] {d.describe()}" for i, d in enumerate(self.draws)]
        return "\n".join(lines)

    def expect(self, kinds: Sequence[str], shapes: Sequence[Any] | None = None, *,
               needs: str = "") -> list[Draw]:
        """Raise ``CaptureMismatch`` unless the candidate made exactly these draws, all fed.

        ``kinds`` lists the kinds in call order; ``shapes`` (optional, same length, an entry
        None matches any shape) their shapes. ``needs`` says in words what the theorem needs and
        goes into the message with what was drawn (kind, function, shape, dtype, device, in
        order). Returns the draws.
        """
        if isinstance(kinds, str) or not isinstance(kinds, Sequence):
            raise TypeError(f"kinds must be a list of kinds {KINDS}, got {kinds!r}")
        for kind in kinds:
            _check_kind(kind, "kinds")
        wanted: list[tuple[int, ...] | None] = [None] * len(kinds)
        if shapes is not None:
            if isinstance(shapes, (str, torch.Size)) or not isinstance(shapes, Sequence) \
                    or len(shapes) != len(kinds):
                raise ValueError(f"shapes must be a list of {len(kinds)} shapes (one per kind, "
                                 f"None for any), got {shapes!r}")
            wanted = [None if s is None else _shape_arg(s, "shapes") for s in shapes]
        problems = []
        if len(self.draws) != len(kinds):
            problems.append(f"{len(self.draws)} draw(s) where {len(kinds)} are needed")
        for i, (draw, kind, shape) in enumerate(zip(self.draws, kinds, wanted, strict=False)):
            if not draw.fed:
                problems.append(f"draw [{i}] ({draw.fn}) could not be fed (torch drew it "
                                "inside a kernel): fall back to a distributional check")
            elif draw.kind != kind:
                problems.append(f"draw [{i}] is {draw.kind} ({draw.fn}) where {kind} is needed")
            elif shape is not None and draw.shape != shape:
                problems.append(f"draw [{i}] has shape {draw.shape} where {shape} is needed")
            else:
                continue
            break  # the first difference in order is the one to read
        problem = "; ".join(problems)
        if problem:
            need = ", ".join(k if s is None else f"{k} {s}" for k, s in zip(kinds, wanted, strict=True))
            raise CaptureMismatch(
                f"the candidate's random draws are not what the check needs: {problem}\n"
                + (f"  needs: {needs}\n" if needs else "")
                + f"  needed ({len(kinds)}): {need or 'nothing'}\n" + self.describe())
        return list(self.draws)

    def __repr__(self) -> str:
        return f"CaptureLog({self.source}, {len(self.draws)} draw(s))"


@contextmanager
def captured(seed: int | np.random.Generator | None = None,
             values: Sequence[Any] | None = None, *,
             allow_unused: bool = False) -> Iterator[CaptureLog]:
    """Feed every random draw of torch made inside the block and record it (module docstring).

    ``seed``: an int or a ``numpy.random.Generator`` drawing the standard variates in float64
    (default seed 0, so a capture is reproducible). ``values``: instead, the standard variates to
    feed, in order (standard normals for ``normal`` draws, uniforms in [0, 1) otherwise; arrays or
    tensors of exactly the variate's shape); a draw beyond them, of another shape, or a uniform
    outside [0, 1) raises ``CaptureMismatch`` inside the candidate, and values left unused raise
    it on leaving the block (unless ``allow_unused``). Yields the ``CaptureLog``.
    """
    if values is not None and seed is not None:
        raise ValueError("give seed= or values=, not both")
    if not isinstance(allow_unused, bool):
        raise TypeError(f"allow_unused must be a bool, got {allow_unused!r}")
    feed = _Feed(seed, values)
    log = CaptureLog(feed.source)
    with _FeedMode(log, feed), _WatchMode(log):
        yield log
    if feed.values is not None and feed.used < len(feed.values) and not allow_unused:
        raise CaptureMismatch(
            f"the candidate used {feed.used} of the {len(feed.values)} given values "
            f"(pass allow_unused=True if that is intended)\n{log.describe()}")


# ---------------------------------------------------------------------------------------------
# The source of the standard variates.


class _Feed:
    def __init__(self, seed: Any, values: Sequence[Any] | None) -> None:
        self.values: list[np.ndarray] | None = None
        self.used = 0
        if values is not None:
            if isinstance(values, (str, bytes, np.ndarray, torch.Tensor)) \
                    or not isinstance(values, Sequence):
                raise TypeError("values must be a list of arrays (one standard variate per "
                                f"draw), got {type(values).__name__}")
            self.values = []
            for i, v in enumerate(values):
                arr = to_numpy(v)
                if not np.all(np.isfinite(arr)):
                    raise ValueError(f"values[{i}] must be finite")
                self.values.append(arr)
            self.rng = None
            self.source = f"{len(self.values)} given values"
        elif isinstance(seed, np.random.Generator):
            self.rng = seed
            self.source = "a given numpy Generator"
        else:
            seed = 0 if seed is None else seed
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
                raise TypeError(f"seed must be a non-negative int or a numpy Generator, got {seed!r}")
            self.rng = np.random.default_rng(int(seed))
            self.source = f"seed {int(seed)}"

    def next(self, kind: str, shape: tuple[int, ...], fn: str) -> np.ndarray:
        normal = VARIATE[kind] == "standard normal"
        if self.values is None:
            assert self.rng is not None
            return self.rng.standard_normal(shape) if normal else self.rng.random(shape)
        if self.used >= len(self.values):
            raise CaptureMismatch(f"the candidate draws more than the {len(self.values)} given "
                                  f"values: {kind} {fn} shape {shape}")
        value = self.values[self.used]
        if value.shape != shape:
            raise CaptureMismatch(f"values[{self.used}] has shape {value.shape} but the "
                                  f"candidate's draw {self.used} ({kind}, {fn}) needs a "
                                  f"{VARIATE[kind]} variate of shape {shape}")
        if not normal and not bool(np.all((value >= 0.0) & (value < 1.0))):
            raise CaptureMismatch(f"values[{self.used}] must lie in [0, 1): the candidate's "
                                  f"draw {self.used} ({kind}, {fn}) is fed from uniforms")
        self.used += 1
        return value


# ---------------------------------------------------------------------------------------------
# The modes. While a capture runs its own torch code (the candidate's real call, the overwrite),
# every capture on the stack passes calls through: a thread-local depth says so.

_LOCAL = threading.local()


def _internal_depth() -> int:
    return getattr(_LOCAL, "depth", 0)


@contextmanager
def _internal() -> Iterator[None]:
    _LOCAL.depth = _internal_depth() + 1
    try:
        yield
    finally:
        _LOCAL.depth -= 1


def _name(func: Any) -> str:
    module = getattr(func, "__module__", None) or ""
    qual = getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func))
    if qual.startswith("_VariableFunctionsClass."):
        return "torch." + qual.split(".", 1)[1]
    if qual.startswith("TensorBase."):
        return "Tensor." + qual.split(".", 1)[1]
    return f"{module}.{qual}" if module else qual


class _FeedMode(TorchFunctionMode):
    def __init__(self, log: CaptureLog, feed: _Feed) -> None:
        super().__init__()
        self.log = log
        self.feed = feed
        self.context = _context()  # this thread's: a mode runs on the thread that entered it

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        handler = _HANDLERS.get(func)
        if handler is None or _internal_depth() or not _feedable():
            # Remembered so that a draw torch makes inside (F.dropout's bernoulli_) is named.
            context = self.context
            context.append(func)
            try:
                return func(*args, **kwargs)
            finally:
                context.pop()
        return handler(self, _name(func), func, args, kwargs)

    def real(self, func: Any, args: Any, kwargs: Any) -> Any:
        with _internal():
            return func(*args, **kwargs)

    def record(self, draw: Draw) -> None:
        self.log.draws.append(draw)


def _feedable() -> bool:
    """False under a ``vmap`` whose randomness is not "same" (per-example numbers would be
    needed); torch then draws, raising under "error", and the watch mode records the draw."""
    if torch._C._functorch.maybe_current_level() is None:
        return True
    try:
        from torch._C._functorch import TransformType
        from torch._functorch.pyfunctorch import retrieve_all_functorch_interpreters

        return all(i.randomness() == "same" for i in retrieve_all_functorch_interpreters()
                   if i.key() == TransformType.Vmap)
    except (ImportError, AttributeError):  # private API moved: do not guess, let torch draw
        return False


_SEEDED: dict[Any, bool] = {}  # aten op -> whether torch tags it nondeterministic_seeded


class _WatchMode(TorchDispatchMode):
    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # Else torch wraps __torch_dispatch__ in torch._dynamo.disable, importing dynamo (seconds)
        # on first use; compiled code is out of scope here anyway.
        return False

    def __init__(self, log: CaptureLog) -> None:
        super().__init__()
        self.log = log

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        seeded = _SEEDED.get(func)
        if seeded is None:  # read once per op: this runs for every aten call of the candidate
            seeded = _SEEDED[func] = torch.Tag.nondeterministic_seeded in func.tags
        if not seeded or _internal_depth():
            return out
        tensor = out if isinstance(out, torch.Tensor) else next(
            (o for o in out if isinstance(o, torch.Tensor)), None) \
            if isinstance(out, (tuple, list)) else None
        fn = str(func)
        inside = _outer_context()
        if inside:
            fn += f" in {inside}"
        self.log.draws.append(Draw(
            kind=_aten_kind(str(func)), fn=fn,
            shape=tuple(tensor.shape) if tensor is not None else (),
            dtype=tensor.dtype if tensor is not None else torch.get_default_dtype(),
            device=tensor.device if tensor is not None else torch.device("cpu"),
            value=None, fed=False,
            generator=any(isinstance(v, torch.Generator) for v in (kwargs or {}).values())))
        return out


class RandnFeed(TorchDispatchMode):
    """A lean feed for code known to draw one standard normal and nothing else (the stock
    ``DDPMScheduler.step``): at the ``aten`` level only, the first ``randn`` of ``value``'s shape
    is overwritten with ``value``. Any other seeded draw, or a second one, sets ``other`` and is left
    to torch: the caller then reruns the code under ``captured``, which names what was drawn. It
    costs about half of ``captured`` per operator (no function mode), which matters for samplers
    that call a step thousands of times."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False  # as _WatchMode: no dynamo import on first use

    def __init__(self, value: torch.Tensor) -> None:
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            got = f"a tensor of {value.dtype}" if isinstance(value, torch.Tensor) else type(value).__name__
            raise TypeError(f"value must be a floating torch.Tensor (the standard normal to feed), got {got}")
        super().__init__()
        self.value = value
        self.fed = 0
        self.other = False

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        seeded = _SEEDED.get(func)
        if seeded is None:
            seeded = _SEEDED[func] = torch.Tag.nondeterministic_seeded in func.tags
        if not seeded:
            return out
        if func.overloadpacket is torch.ops.aten.randn and not self.fed and isinstance(out, torch.Tensor) \
                and out.shape == self.value.shape:
            out.copy_(self.value.to(dtype=out.dtype, device=out.device))
            self.fed = 1
        else:
            self.other = True
        return out


def _context() -> list[Any]:
    # The torch functions captures are passing through on this thread, innermost last.
    if not hasattr(_LOCAL, "context"):
        _LOCAL.context = []
    return _LOCAL.context


def _outer_context() -> str:
    # The outermost one: F.dropout rather than the Tensor methods it calls.
    context = _context()
    return _name(context[0]) if context else ""


def _aten_kind(name: str) -> str:
    op = name.split(".")[1] if name.startswith("aten.") else name
    if "bernoulli" in op or "dropout" in op:
        return "bernoulli"
    if op.startswith(("randn", "normal")):
        return "normal"
    if op.startswith(("randint", "random")):
        return "randint"
    if op.startswith("randperm"):
        return "permutation"
    if op.startswith("multinomial"):
        return "multinomial"
    if op.startswith(("rand", "uniform")):
        return "uniform"
    return "other"


# ---------------------------------------------------------------------------------------------
# The handlers: run the candidate's call unchanged (torch's dtype, device, out=, errors), draw the
# standard variate, overwrite the numbers.


def _check_kind(kind: Any, name: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"{name} must name kinds among {KINDS}, got {kind!r}")


def _shape_arg(shape: Any, name: str) -> tuple[int, ...]:
    try:
        return tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"{name} must hold shapes (sequences of ints), got {shape!r}") from None


def _param(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        with _internal():
            return to_numpy(value)
    return value


def _write(mode: _FeedMode, result: torch.Tensor, values: np.ndarray, *,
           below: tuple[float, float] | None = None) -> None:
    """Overwrite ``result`` with ``values`` (float64 or int64) cast to its dtype; ``below=(a, b)``
    keeps a float result in [a, b) where rounding reached ``b``."""
    with _internal(), torch.no_grad():
        src = torch.as_tensor(values, device=result.device).to(result.dtype)
        if below is not None and result.is_floating_point() and below[1] > below[0]:
            hi = torch.tensor(below[1], dtype=result.dtype, device=result.device)
            lo = torch.tensor(below[0], dtype=result.dtype, device=result.device)
            src = torch.where(src >= hi, torch.nextafter(hi, lo), src)
        result.copy_(src.reshape(result.shape))


def _draw(mode: _FeedMode, kind: str, fn: str, result: torch.Tensor, params: dict[str, Any],
          kwargs: dict[str, Any], shape: tuple[int, ...] | None = None) -> np.ndarray:
    shape = tuple(result.shape) if shape is None else shape
    value = mode.feed.next(kind, shape, fn)
    mode.record(Draw(kind=kind, fn=fn, shape=tuple(result.shape), dtype=result.dtype,
                     device=result.device, params=params, value=value,
                     generator=kwargs.get("generator") is not None))
    return value


def _args(args: Any, kwargs: Any, first: int, defaults: dict[str, Any]) -> list[Any]:
    """The call's arguments from position ``first`` on, each by position, else by keyword, else its
    default (``defaults``: name to default, in the signature's order)."""
    return [args[i] if len(args) > i else kwargs.get(name, default)
            for i, (name, default) in enumerate(defaults.items(), start=first)]


def _fill(mode: _FeedMode, kind: str, fn: str, func: Any, args: Any, kwargs: Any, params: dict[str, Any],
          law: Callable[[np.ndarray], np.ndarray], below: tuple[float, float] | None = None) -> Any:
    """The call run unchanged, its numbers overwritten with ``law(v)`` of the fed standard variate ``v``."""
    result = mode.real(func, args, kwargs)
    _write(mode, result, law(_draw(mode, kind, fn, result, params, kwargs)), below=below)
    return result


def _standard(kind: str) -> Callable[..., Any]:
    # randn / rand / randn_like / rand_like: the standard variate itself.
    def handle(mode: _FeedMode, fn: str, func: Any, args: Any, kwargs: Any) -> Any:
        return _fill(mode, kind, fn, func, args, kwargs, {}, lambda v: v,
                     below=(0.0, 1.0) if kind == "uniform" else None)
    return handle


def _normal(mode: _FeedMode, fn: str, func: Any, args: Any, kwargs: Any) -> Any:
    # torch.normal(mean, std, size=None, *, generator, out, dtype, ...): every overload.
    mean, std = _args(args, kwargs, 0, {"mean": 0.0, "std": 1.0})
    result = mode.real(func, args, kwargs)
    z = _draw(mode, "normal", fn, result, {"mean": _param(mean), "std": _param(std)}, kwargs)
    if not isinstance(mean, torch.Tensor) and not isinstance(std, torch.Tensor):
        _write(mode, result, float(mean) + float(std) * z)
        return result
    # Tensor mean/std: built in torch, so gradients flow as torch's (∂/∂mean = 1, ∂/∂std = z).
    with _internal():
        zt = torch.as_tensor(z, device=result.device).to(result.dtype)
        fed = (mean + std * zt).to(result.dtype)
        out = kwargs.get("out")
        if out is not None:
            with torch.no_grad():
                out.copy_(fed)
            return out
        return fed


def _normal_(mode: _FeedMode, fn: str, func: Any, args: Any, kwargs: Any) -> Any:
    # Tensor.normal_(self, mean=0, std=1, *, generator=None)
    mean, std = (float(v) for v in _args(args, kwargs, 1, {"mean": 0.0, "std": 1.0}))
    return _fill(mode, "normal", fn, func, args, kwargs, {"mean": mean, "std": std}, lambda z: mean + std * z)


def _uniform_(mode: _FeedMode, fn: str, func: Any, args: Any, kwargs: Any) -> Any:
    # Tensor.uniform_(self, from=0, to=1, *, generator=None)
    a, b = (float(v) for v in _args(args, kwargs, 1, {"from": 0.0, "to": 1.0}))
    return _fill(mode, "uniform", fn, func, args, kwargs, {"low": a, "high": b}, lambda u: a + (b - a) * u,
                 below=(a, b))


def _int_from_uniform(u: np.ndarray, low: int, high: int) -> np.ndarray:
    """``low + ⌊u·(high − low)⌋``, clamped to ``high − 1`` (rounding); exact integer arithmetic
    where the range is wider than ``2**53`` (float64 would lose the low bits)."""
    n = high - low
    if n <= 2**53:
        return np.int64(low) + np.minimum(np.floor(u * n), n - 1).astype(np.int64)
    flat = [low + min(int(Fraction(float(v)) * n), n - 1) for v in u.ravel()]
    return np.array(flat, dtype=np.int64).reshape(u.shape)


def _randint_bounds(scalars: list[Any], kwargs: Any) -> tuple[int, int]:
    if len(scalars) >= 2:
        return int(scalars[0]), int(scalars[1])
    if len(scalars) == 1:
        return int(kwargs.get("low", 0)), int(scalars[0])
    return int(kwargs.get("low", 0)), int(kwargs["high"])


def _randint(mode: _FeedMode, fn: str, func: Any, args: Any, kwargs: Any) -> Any:
    # torch.randint(high, size) / (low, high, size), keywords low=/high=/size= too.
    scalars = [a for a in args if not isinstance(a, (tuple, list, torch.Size))]
    result = mode.real(func, args, kwargs)
    low, high = _randint_bounds(scalars, kwargs)
    u = _draw(mode, "randint", fn, result, {"low": low, "high": high}, kwargs)
    _write(mode, result, _int_from_uniform(u, low, high))
    return result


def _randint_like(mode: _FeedMode, fn: str, func: Any, args: Any, kwargs: Any) -> Any:
    # torch.randint_like(input, high) / (input, low, high)
    result = mode.real(func, args, kwargs)
    low, high = _randint_bounds([int(a) for a in args[1:]], kwargs)
    u = _draw(mode, "randint", fn, result, {"low": low, "high": high}, kwargs)
    _write(mode, result, _int_from_uniform(u, low, high))
    return result


def _random_(mode: _FeedMode, fn: str, func: Any, args: Any, kwargs: Any) -> Any:
    # Tensor.random_() / random_(to) / random_(from, to); to=None: up to the dtype's top.
    rest = list(args[1:])
    if len(rest) == 1 and "to" not in kwargs and "from" not in kwargs:
        low, to = 0, rest[0]
    else:
        low = rest[0] if len(rest) > 0 else kwargs.get("from", 0)
        to = rest[1] if len(rest) > 1 else kwargs.get("to")
    result = mode.real(func, args, kwargs)
    low = int(low)
    if to is None:  # torch: [0, 2**digits] for floats (every value representable), else the max
        if result.dtype == torch.bool:
            high = 2
        elif result.is_floating_point():
            high = 2 ** _digits(result.dtype) + 1
        else:
            high = int(torch.iinfo(result.dtype).max) + 1
    else:
        high = int(to)
    u = _draw(mode, "randint", fn, result, {"low": low, "high": high}, kwargs)
    _write(mode, result, _int_from_uniform(u, low, high))
    return result


def _digits(dtype: torch.dtype) -> int:
    # Significand bits including the implicit one: float32 24, float64 53, half 11, bfloat16 8.
    return {torch.float16: 11, torch.bfloat16: 8, torch.float32: 24, torch.float64: 53}.get(
        dtype, int(-math.log2(torch.finfo(dtype).eps)) + 1)


def _bernoulli(mode: _FeedMode, fn: str, func: Any, args: Any, kwargs: Any) -> Any:
    # torch.bernoulli(input) (p = input), torch.bernoulli(input, p), Tensor.bernoulli(p),
    # Tensor.bernoulli_(p=0.5): p a float or a tensor broadcast to the output.
    inplace = fn.endswith("_")
    if len(args) > 1:
        p = args[1]
    elif "p" in kwargs:
        p = kwargs["p"]
    else:
        p = 0.5 if inplace else args[0] if args else kwargs["input"]
    result = mode.real(func, args, kwargs)
    p_np = _param(p) if isinstance(p, torch.Tensor) else float(p)
    u = _draw(mode, "bernoulli", fn, result, {"p": p_np}, kwargs)
    _write(mode, result, (u < np.broadcast_to(p_np, u.shape)).astype(np.float64))
    return result


def _multinomial_from_uniform(weights: np.ndarray, u: np.ndarray, replacement: bool) -> np.ndarray:
    """Inverse-CDF categories, rows of ``weights`` (K,) or (B, K), ``u`` (S,) or (B, S)."""
    w = np.atleast_2d(weights).astype(np.float64).copy()
    uu = np.atleast_2d(u)
    out = np.zeros(uu.shape, dtype=np.int64)
    rows = np.arange(w.shape[0])
    for j in range(uu.shape[1]):
        cdf = np.cumsum(w, axis=1)
        target = uu[:, j] * cdf[:, -1]
        idx = (cdf <= target[:, None]).sum(axis=1)
        last = w.shape[1] - 1 - np.argmax(w[:, ::-1] > 0, axis=1)  # rounding: never past it
        idx = np.minimum(idx, last)
        out[:, j] = idx
        if not replacement:
            w[rows, idx] = 0.0
    return out.reshape(u.shape)


def _multinomial(mode: _FeedMode, fn: str, func: Any, args: Any, kwargs: Any) -> Any:
    # torch.multinomial(input, num_samples, replacement=False, *, generator, out)
    weights = args[0] if args else kwargs["input"]
    n = int(args[1] if len(args) > 1 else kwargs["num_samples"])
    replacement = bool(args[2] if len(args) > 2 else kwargs.get("replacement", False))
    result = mode.real(func, args, kwargs)
    w = _param(weights)
    u = _draw(mode, "multinomial", fn, result,
              {"weights": w, "num_samples": n, "replacement": replacement}, kwargs)
    _write(mode, result, _multinomial_from_uniform(w, u, replacement))
    return result


def _randperm(mode: _FeedMode, fn: str, func: Any, args: Any, kwargs: Any) -> Any:
    # torch.randperm(n, *, generator, out, dtype, ...)
    n = int(args[0] if args else kwargs["n"])
    result = mode.real(func, args, kwargs)
    u = _draw(mode, "permutation", fn, result, {"n": n}, kwargs, shape=(n,))
    _write(mode, result, np.argsort(u, kind="stable").astype(np.int64))
    return result


_HANDLERS: dict[Any, Callable[..., Any]] = {
    torch.randn: _standard("normal"),
    torch.randn_like: _standard("normal"),
    torch.rand: _standard("uniform"),
    torch.rand_like: _standard("uniform"),
    torch.normal: _normal,
    torch.Tensor.normal_: _normal_,
    torch.Tensor.uniform_: _uniform_,
    torch.randint: _randint,
    torch.randint_like: _randint_like,
    torch.Tensor.random_: _random_,
    torch.bernoulli: _bernoulli,
    torch.Tensor.bernoulli: _bernoulli,
    torch.Tensor.bernoulli_: _bernoulli,
    torch.multinomial: _multinomial,
    torch.Tensor.multinomial: _multinomial,
    torch.randperm: _randperm,
}
