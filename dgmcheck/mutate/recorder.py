"""What the mutated module computed during a check run: the evidence of equivalence.

:meth:`Recorder.instrument` wraps every function and method defined in the mutated module
(``functools.wraps``: signatures, names and docstrings stay what the checks inspect) right after the
module body ran, before any other module takes a reference. Each call's result — for ``__init__``
the instance's state — is kept as a :func:`fingerprint`, the first :data:`LIMIT` calls per
function: floating tensors and arrays (up to :data:`MAX_VALUES` numbers) by value, everything else
by a digest (a SHA-1 of dtype, shape and bytes, of numbers by their exact ``repr``).

A run of the unmutated module and a run of a mutant under the same Hypothesis seed draw the same
inputs and call the module in the same order. :func:`same` streams mean: on every call the checks
made (up to ``LIMIT`` per function), the mutant returned what the original did — exactly, or for
floating values up to :data:`ULPS` units of their dtype's rounding relative to the largest
magnitude (a mutant that only changes rounding, e.g. a constant that cancels in a softmax, is
equivalent). That is "equivalent on the checked domain", not equivalence: a change visible only
after the first ``LIMIT`` calls of a function, only on inputs the checks never drew, or only in
results that are not numbers, arrays, tensors or containers of them (recorded by type name) is
not seen.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["LIMIT", "MAX_VALUES", "ULPS", "Floats", "Recorder", "digest", "fingerprint", "same"]

#: Calls recorded per function (later calls run unrecorded).
LIMIT = 32
#: Floating arrays up to this many numbers are kept by value; larger ones by digest (exact).
MAX_VALUES = 65536
#: Floating values within this many units of rounding (relative to the largest magnitude) are equal.
ULPS = 64
_DUNDERS_KEPT = ("__init__", "__call__")


def _feed(h: Any, value: Any, depth: int) -> None:
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        h.update(f"{type(value).__name__}:{value!r};".encode())
        return
    module = type(value).__module__ or ""
    if module.startswith("torch") and hasattr(value, "detach") and hasattr(value, "dtype"):
        h.update(f"tensor:{value.dtype}:{tuple(value.shape)};".encode())
        _array(h, _numpy(value))
        return
    if isinstance(value, (np.ndarray, np.generic)):
        _array(h, np.asarray(value))
        return
    if isinstance(value, (list, tuple)):
        h.update(f"{type(value).__name__}[{len(value)}](".encode())
        for v in value:
            _feed(h, v, depth)
        h.update(b")")
        return
    if isinstance(value, Mapping):
        h.update(f"map[{len(value)}](".encode())
        for k in sorted(value, key=str):
            h.update(f"{k!s}=".encode())
            _feed(h, value[k], depth)
        h.update(b")")
        return
    state = _state(value, depth)
    if state is not None:
        h.update(f"object:{type(value).__qualname__}(".encode())
        for k, v in state:
            h.update(f"{k}=".encode())
            _feed(h, v, depth - 1)
        h.update(b")")
        return
    h.update(f"opaque:{getattr(value, '__qualname__', type(value).__qualname__)};".encode())


def _numpy(tensor: Any) -> np.ndarray:
    t = tensor.detach().cpu()
    if t.dtype.is_floating_point and t.element_size() < 4:
        t = t.float()  # bfloat16/float16 have no NumPy twin; the widening is exact
    return t.contiguous().numpy()


def _state(value: Any, depth: int) -> list[tuple[str, Any]] | None:
    """An object's attributes (not dunder), when it is a plain object and ``depth`` allows."""
    state = getattr(value, "__dict__", None)
    if not isinstance(state, dict) or depth <= 0 or isinstance(value, (ModuleType, type)) \
            or inspect.isroutine(value):
        return None
    return [(k, state[k]) for k in sorted(state) if not k.startswith("__")]


def _array(h: Any, a: np.ndarray) -> None:
    h.update(f"array:{a.dtype}:{a.shape};".encode())
    if a.dtype.hasobject:
        for v in a.reshape(-1).tolist():
            _feed(h, v, 0)
    else:
        h.update(a.tobytes())


def digest(value: Any, depth: int = 2) -> str:
    """A short hex digest of ``value``: equal for bit-identical numbers, arrays and tensors."""
    h = hashlib.sha1(usedforsecurity=False)
    _feed(h, value, depth)
    return h.hexdigest()[:16]


class Floats:
    """A floating result kept by value: its kind (tensor, array, float), dtype, shape and numbers."""

    __slots__ = ("dtype", "eps", "kind", "values")

    def __init__(self, kind: str, dtype: str, values: np.ndarray, eps: float) -> None:
        self.kind, self.dtype, self.values, self.eps = kind, dtype, values, eps

    def __repr__(self) -> str:
        return f"Floats({self.kind}, {self.dtype}, shape={self.values.shape})"

    def close_to(self, other: Floats) -> bool:
        a, b = self.values, other.values
        if (self.kind, self.dtype, a.shape) != (other.kind, other.dtype, b.shape):
            return False
        if not np.array_equal(np.isnan(a), np.isnan(b)) or not np.array_equal(a[np.isinf(a)], b[np.isinf(b)]) \
                or not np.array_equal(np.isinf(a), np.isinf(b)):
            return False
        fa, fb = a[np.isfinite(a)], b[np.isfinite(b)]
        if fa.size == 0:
            return True
        scale = max(float(np.abs(fa).max()), float(np.abs(fb).max()), np.finfo(np.float64).tiny)
        return float(np.abs(fa - fb).max()) <= ULPS * self.eps * scale


def _floats(kind: str, dtype: str, a: np.ndarray) -> Floats | None:
    if not np.issubdtype(a.dtype, np.floating) or a.size > MAX_VALUES:
        return None
    return Floats(kind, dtype, a.astype(np.float64, copy=True), float(np.finfo(a.dtype).eps))


def fingerprint(value: Any, depth: int = 2) -> Any:
    """``value`` reduced for :func:`same`: floating tensors, arrays and floats as :class:`Floats`,
    containers and plain objects as tuples of fingerprints, anything else as its :func:`digest`."""
    if isinstance(value, float):
        return Floats("float", "float", np.array([value]), float(np.finfo(np.float64).eps))
    module = type(value).__module__ or ""
    if module.startswith("torch") and hasattr(value, "detach") and hasattr(value, "dtype"):
        kept = _floats("tensor", str(value.dtype), _numpy(value))
        return kept if kept is not None else digest(value)
    if isinstance(value, (np.ndarray, np.floating)):
        kept = _floats("array", str(np.asarray(value).dtype), np.asarray(value))
        return kept if kept is not None else digest(value)
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, *(fingerprint(v, depth) for v in value))
    if isinstance(value, Mapping):
        return ("map", *((str(k), fingerprint(value[k], depth)) for k in sorted(value, key=str)))
    state = _state(value, depth)
    if state is not None:
        return ("object", type(value).__qualname__, *((k, fingerprint(v, depth - 1)) for k, v in state))
    return digest(value, depth)


def same(a: Any, b: Any) -> bool:
    """Whether two fingerprints (or nested tuples, lists, dicts of them) agree: exactly, floating
    values up to :data:`ULPS` units of rounding."""
    if isinstance(a, Floats) or isinstance(b, Floats):
        return isinstance(a, Floats) and isinstance(b, Floats) and a.close_to(b)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


class Recorder:
    """Fingerprints of the results of the instrumented module's functions, per qualified name."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.calls: dict[str, list[Any]] = {}
        self.counts: dict[str, int] = {}

    def instrument(self, module: ModuleType) -> None:
        """Wrap the functions and methods ``module`` defines; record its top-level values."""
        top = {k: v for k, v in vars(module).items() if not k.startswith("__") and not callable(v)
               and not isinstance(v, ModuleType)}
        self.calls["<module>"] = [fingerprint(top)]
        for name, value in list(vars(module).items()):
            if getattr(value, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(value):
                setattr(module, name, self.wrap(value, value.__qualname__))
            elif inspect.isclass(value):
                self._instrument_class(value)

    def _instrument_class(self, cls: type) -> None:
        for attr, raw in list(vars(cls).items()):
            if attr.startswith("__") and attr not in _DUNDERS_KEPT:
                continue
            qual = f"{cls.__qualname__}.{attr}"
            if isinstance(raw, staticmethod):
                setattr(cls, attr, staticmethod(self.wrap(raw.__func__, qual)))
            elif isinstance(raw, classmethod):
                setattr(cls, attr, classmethod(self.wrap(raw.__func__, qual)))
            elif inspect.isfunction(raw):
                setattr(cls, attr, self.wrap(raw, qual))

    def wrap(self, fn: Callable[..., Any], qualname: str) -> Callable[..., Any]:
        init = fn.__name__ == "__init__"

        @functools.wraps(fn)
        def recorded(*args: Any, **kwargs: Any) -> Any:
            try:
                out = fn(*args, **kwargs)
            except Exception as exc:
                kind = type(exc).__name__
                self._add(qualname, lambda: f"raised {kind}")
                raise
            self._add(qualname, lambda: fingerprint(args[0] if init and args else out))
            return out

        return recorded

    def _add(self, qualname: str, make: Callable[[], Any]) -> None:
        n = self.counts[qualname] = self.counts.get(qualname, 0) + 1
        if n <= self.limit:
            try:
                value = make()
            except Exception as exc:  # a result that cannot be read back is recorded as such
                value = f"unreadable {type(exc).__name__}"
            self.calls.setdefault(qualname, []).append(value)
