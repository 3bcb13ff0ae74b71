"""Input validation for theory/: ValueError/TypeError naming the argument, the value and what was expected.

Each oracle calls these at its public boundary, before any computation: an oracle that silently returns NaN for
a bad input would make a check compare a candidate against nonsense. Arrays are float64 numpy arrays (a list or
a numpy array is accepted); numbers are Python or numpy reals, never a bool or a string.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def got(v: object) -> str:
    """A short description of a value for an error message."""
    if isinstance(v, np.ndarray):
        return f"an array of shape {v.shape}"
    text = repr(v)
    return text if len(text) <= 60 else f"{type(v).__name__} {text[:50]}..."


def array(a: object, name: str, *, ndim: int | tuple[int, ...] | None = None, min_ndim: int = 0,
          shape: tuple[int | None, ...] | None = None, finite: bool = True, allow: str = "", nonneg: bool = False,
          positive: bool = False, empty: bool = False, match: str = "") -> np.ndarray:
    """``a`` as a float64 array: numbers only, ``ndim`` dimensions (or at least ``min_ndim``, or ``shape`` with
    None for any size; ``match`` names what fixes that shape), not empty (unless ``empty``), finite
    (``allow="-inf"``: or ``-inf``), and with ``nonneg``/``positive`` every entry >= 0 / > 0."""
    if a is None or isinstance(a, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got {got(a)}")
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers, got {got(a)}") from None
    if ndim is not None and arr.ndim not in ((ndim,) if isinstance(ndim, int) else ndim):
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {arr.shape}")
    if arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions, got shape {arr.shape}")
    if shape is not None and (arr.ndim != len(shape)
                              or any(s is not None and s != n for s, n in zip(shape, arr.shape, strict=True))):
        want = ", ".join("n" if s is None else str(s) for s in shape)
        raise ValueError(f"{name} must have shape ({want}{',' if len(shape) == 1 else ''})"
                         f"{f' to match {match}' if match else ''}, got {arr.shape}")
    if not empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    # A 0-d array (a number) is tested as a Python float: the same verdict without the ufunc overhead.
    v = arr.item() if arr.ndim == 0 else None
    if finite:
        if v is not None:
            ok = not (math.isnan(v) or v == math.inf) if allow == "-inf" else math.isfinite(v)
        else:
            ok = not (np.isnan(arr) | (arr == np.inf)).any() if allow == "-inf" else np.isfinite(arr).all()
        if not ok:
            bad = np.isnan(arr) | (arr == np.inf) if allow == "-inf" else ~np.isfinite(arr)
            i = tuple(int(k) for k in np.argwhere(bad)[0])
            raise ValueError(f"{name} must be finite{' or -inf' if allow else ''}; {int(bad.sum())} entries are "
                             f"not, e.g. {name}[{', '.join(map(str, i))}] = {arr[i]}")
    if (nonneg or positive) and arr.size and (
            (v < 0 if nonneg else v <= 0) if v is not None else bool((arr < 0 if nonneg else arr <= 0).any())):
        raise ValueError(f"{name} must be {'non-negative' if nonneg else 'positive'}, got minimum {arr.min()!r}")
    return arr


def matching(a: np.ndarray, name: str, ref: np.ndarray, ref_name: str) -> np.ndarray:
    """``a`` must have the shape of ``ref``."""
    if a.shape != ref.shape:
        raise ValueError(f"{name} must have the shape of {ref_name} {ref.shape}, got {a.shape}")
    return a


def square(a: object, name: str, *, n: int | None = None, symmetric: bool = False,
           positive_definite: bool = False, match: str = "") -> np.ndarray:
    """A finite ``(n, n)`` matrix (``symmetric``, or symmetric positive definite, as asked; ``match`` names
    what fixes n)."""
    arr = array(a, name, ndim=2)
    if arr.shape[0] != arr.shape[1] or (n is not None and arr.shape[0] != n):
        want = "(d, d)" if n is None else f"({n}, {n})"
        raise ValueError(f"{name} must be a square matrix {want}{f' to match {match}' if match else ''}, "
                         f"got shape {arr.shape}")
    # np.allclose(arr, arr.T, rtol=1e-10, atol=1e-12) on finite entries, without its wrapper overhead
    if (symmetric or positive_definite) and not (np.abs(arr - arr.T) <= 1e-12 + 1e-10 * np.abs(arr.T)).all():
        raise ValueError(f"{name} must be symmetric, max |{name} - {name}ᵀ| = {np.abs(arr - arr.T).max():.3e}")
    if positive_definite:
        lam = np.linalg.eigvalsh(0.5 * (arr + arr.T))
        if not lam.min() > 0:
            raise ValueError(f"{name} must be positive definite, got smallest eigenvalue {lam.min()!r}")
    return arr


def psd(S: object, name: str, *, n: int | None = None, match: str = "") -> np.ndarray:
    """A symmetric positive semi-definite matrix (eigenvalues >= 0 up to a rounding of the largest)."""
    S = square(S, name, n=n, symmetric=True, match=match)
    lam = np.linalg.eigvalsh(0.5 * (S + S.T))
    if lam.min() < -1e-8 * max(1.0, float(np.abs(lam).max())):
        raise ValueError(f"{name} must be positive semi-definite (a covariance), got smallest eigenvalue {lam.min()!r}")
    return S


def real(v: object, name: str, *, lo: float | None = None, hi: float | None = None, closed: str = "",
         finite: bool = True) -> float:
    """A real number (a Python or numpy number or a 0-d array; not a bool, not a string) in the interval from
    ``lo`` to ``hi``, its ends closed where ``closed`` names them (``"lo"``, ``"hi"``)."""
    if type(v) not in _REALS:  # the common exact types skip the slow ABC test
        if isinstance(v, np.ndarray) and v.ndim == 0:
            v = v[()]
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            raise TypeError(f"{name} must be a real number, got {got(v)}")
    return validate_interval(float(v), name, lo=lo, hi=hi, closed=closed, finite=finite)


#: Exact types that are real numbers and not bools (``type(v) in``: a subclass, bool among them, is not).
_REALS = (float, int, np.float64)


def validate_interval(f: float, name: str, *, lo: float | None = None, hi: float | None = None, closed: str = "",
                      finite: bool = True) -> float:
    """``f`` (a float) if it is a number in the interval from ``lo`` to ``hi`` (ends closed where ``closed``
    names them), else a ValueError naming ``name``: the one wording of a range for theory and impl alike."""
    if math.isnan(f) or (finite and math.isinf(f)):
        raise ValueError(f"{name} must be a {'finite ' if finite else ''}number, got {f}")
    low = lo is not None and (f < lo if "lo" in closed else f <= lo)
    high = hi is not None and (f > hi if "hi" in closed else f >= hi)
    if low and hi is None:
        raise ValueError(f"{name} must be {_above(lo, closed)}, got {f!r}")
    if low or high:
        left = "(-inf, " if lo is None else ("[" if "lo" in closed else "(") + f"{lo:g}, "
        right = "inf)" if hi is None else f"{hi:g}" + ("]" if "hi" in closed else ")")
        raise ValueError(f"{name} must lie in {left}{right}, got {f!r}")
    return f


def _above(lo: float, closed: str) -> str:
    if lo == 0:
        return "non-negative" if "lo" in closed else "positive"
    return f">= {lo:g}" if "lo" in closed else f"> {lo:g}"


def positive(v: object, name: str) -> float:
    """A finite number > 0 (σ, a step size, a variance)."""
    return real(v, name, lo=0.0)


def count(v: object, name: str, *, lo: int = 1, hi: int | None = None) -> int:
    """An int (a Python or numpy integer; not a bool) in ``lo..hi``."""
    if type(v) is not int:  # a plain int skips the slow ABC test
        if isinstance(v, np.ndarray) and v.ndim == 0:
            v = v[()]
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be an int, got {got(v)}")
    n = int(v)
    if n < lo or (hi is not None and n > hi):
        raise ValueError(f"{name} must be >= {lo}, got {n}" if hi is None
                         else f"{name} must lie in {lo}..{hi}, got {n}")
    return n


def integer(v: object, name: str) -> int:
    """An int (a Python or numpy integer or a 0-d integer array; not a bool), any value: the caller states the
    range in its own words (a step ``0..T``, a state ``0..K-1``)."""
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v[()]
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {got(v)}")
    return int(v)


def within(arr: np.ndarray, name: str, *, lo: float | None = None, hi: float | None = None,
           closed: str = "") -> np.ndarray:
    """Every entry of ``arr`` in the interval from ``lo`` to ``hi`` (ends closed where ``closed`` names them),
    naming the first entry outside."""
    low = np.zeros(arr.shape, dtype=bool) if lo is None else (arr < lo if "lo" in closed else arr <= lo)
    high = np.zeros(arr.shape, dtype=bool) if hi is None else (arr > hi if "hi" in closed else arr >= hi)
    bad = low | high
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        left = "(-inf, " if lo is None else ("[" if "lo" in closed else "(") + f"{lo:g}, "
        right = "inf)" if hi is None else f"{hi:g}" + ("]" if "hi" in closed else ")")
        at = f"{name}[{', '.join(map(str, i))}]" if i else name
        raise ValueError(f"{name} must lie in {left}{right}; {int(bad.sum())} entries do not, e.g. {at} = {arr[i]!r}")
    return arr


def choice(v: object, name: str, options: Sequence[str]) -> str:
    """One of ``options``."""
    if not isinstance(v, str) or v not in options:
        raise ValueError(f"{name} must be one of {tuple(options)}, got {got(v)}")
    return v


def function(f: object, name: str) -> Callable[..., Any]:
    """A callable."""
    if not callable(f):
        raise TypeError(f"{name} must be callable, got {got(f)}")
    return f


def flag(v: object, name: str) -> bool:
    """A bool."""
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {got(v)}")
    return bool(v)


def instance(obj: object, name: str, cls: type | tuple[type, ...], what: str) -> Any:
    """An instance of ``cls`` (``what`` in the message)."""
    if not isinstance(obj, cls):
        raise TypeError(f"{name} must be {what}, got {got(obj)}")
    return obj


def mixture(mix: object, name: str = "mixture", *, dim: int | None = None) -> Any:
    """A ``GaussianMixture`` (its constructor validated its parameters), of dimension ``dim`` if given."""
    from dgmcheck.theory.gaussian_mixture import GaussianMixture

    instance(mix, name, GaussianMixture, "a dgmcheck.theory.gaussian_mixture.GaussianMixture")
    if dim is not None and mix.dim != dim:
        raise ValueError(f"{name} must be {dim}-dimensional, got dimension {mix.dim}")
    return mix


def points(x: object, name: str, d: int | None, *, batched: bool = False) -> np.ndarray:
    """Points of dimension ``d`` (None: any): shape ``(..., d)`` (``batched``: ``(n, d)``), finite."""
    arr = array(x, name, ndim=2 if batched else None, min_ndim=1)
    if d is not None and arr.shape[-1] != d:
        raise ValueError(f"{name} must end in the dimension {d}, got shape {arr.shape}")
    return arr


def law(p: object, name: str, *, ndim: int | tuple[int, ...] | None = 1, atol: float | None = None,
        w: np.ndarray | None = None, positive: bool = False) -> np.ndarray:
    """Probability vectors along the last axis: finite, >= 0 (> 0 with ``positive``), ``Σ w p = 1`` within
    ``atol``. By default ``atol`` allows a float32 rounding per entry: the checks hand the oracles a
    candidate's inputs rounded to its dtype, and a law rounded to float32 no longer sums to 1 exactly."""
    arr = array(p, name, ndim=ndim, min_ndim=1, nonneg=True, positive=positive)
    if atol is None:
        atol = 1e-9 + arr.shape[-1] * 2.0**-23
    total = np.sum(arr if w is None else w * arr, axis=-1)
    if np.any(np.abs(total - 1.0) > atol):
        worst = float(np.ravel(total)[np.argmax(np.abs(np.ravel(total) - 1.0))])
        raise ValueError(f"{name} must sum to 1 (a probability vector), got a sum of {worst!r}")
    return arr


def states(x: object, name: str, K: int) -> int:
    """One state of ``0..K-1``."""
    return count(x, name, lo=0, hi=K - 1)


def integers(x: object, name: str, *, lo: int | None = None, hi: int | None = None,
             ndim: int | None = None) -> np.ndarray:
    """An array of integers (integral floats are accepted) in ``lo..hi``."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an array of integers, got {got(x)}")
    arr = np.asarray(x)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf" or (
            arr.dtype.kind == "f" and not np.all(np.isfinite(arr) & (arr == np.round(arr)))):
        raise TypeError(f"{name} must be an array of integers, got {got(x)}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    arr = arr.astype(np.int64)
    if (lo is not None and arr.min() < lo) or (hi is not None and arr.max() > hi):
        span = f"{'' if lo is None else lo}..{'' if hi is None else hi}"
        raise ValueError(f"{name} must lie in {span}, got values in {arr.min()}..{arr.max()}")
    return arr


def bounded(cost: int, what: str, limit: int, hint: str) -> None:
    """Refuse a computation whose size (``cost``: nodes, sequences, terms) grows past ``limit``."""
    if cost > limit:
        raise ValueError(f"{what} = {cost}, over the limit {limit}; {hint}")
