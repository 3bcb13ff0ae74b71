"""Input validation for impl/: ValueError/TypeError naming the argument, the value and what was expected.

Called once at the public boundary of a function, before any computation, never inside a per-step loop (a
sampler validates its inputs once and steps through an unchecked inner function). Never ``assert``.

A reference computes in float32 or float64 (the dtypes its tolerances are derived for), so float16, bfloat16,
integer and bool tensors are refused where a floating tensor is expected; a ``meta`` tensor holds no values and
is refused too. Floating inputs must be finite unless a function says otherwise (a log-probability may be
``-inf``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import torch

from dgmcheck.theory._validate import validate_interval

#: The dtypes a reference computes in.
FLOATING = (torch.float32, torch.float64)


def _got(v: object) -> str:
    """A short description of a value for an error message."""
    if isinstance(v, torch.Tensor):
        return f"a {v.dtype} tensor of shape {tuple(v.shape)} on {v.device}"
    text = repr(v)
    return text if len(text) <= 60 else f"{type(v).__name__} {text[:50]}..."


def floating(x: object, name: str) -> torch.Tensor:
    """``x`` must be a float32/float64 tensor holding values (not on the ``meta`` device)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dtype not in FLOATING:
        raise TypeError(f"{name} must have a floating dtype (float32 or float64), got {x.dtype}")
    if x.device.type == "meta":
        raise ValueError(f"{name} is on the meta device, which holds no values; pass a tensor on cpu or cuda")
    return x


def finite(x: torch.Tensor, name: str, *, allow: str = "") -> torch.Tensor:
    """Every entry of ``x`` finite (``allow="-inf"``: ``-inf`` too, as in a log-probability)."""
    # A finite sum has no NaN or inf among its terms (IEEE: they propagate, whatever the order): one
    # reduction in the usual case; a sum that is not finite (an entry, or an overflow) takes the exact test.
    if not x.numel() or math.isfinite(x.detach().sum()):
        return x
    bad = torch.isnan(x) | (x == math.inf) if allow == "-inf" else ~torch.isfinite(x)
    if bool(bad.any()):
        i = tuple(int(k) for k in torch.nonzero(bad)[0])
        raise ValueError(f"{name} must be finite{' or -inf' if allow else ''}; {int(bad.sum())} entries are not, "
                         f"e.g. {name}[{', '.join(map(str, i))}] = {float(x[i])}")
    return x


def like(x: object, ref: torch.Tensor, name: str, ref_name: str, same_shape: bool = True) -> torch.Tensor:
    """``x`` must share the dtype, device (and shape) of ``ref``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dtype not in FLOATING:
        raise TypeError(f"{name} must have a floating dtype (float32 or float64), got {x.dtype}")
    if x.dtype != ref.dtype:
        raise TypeError(f"{name} has dtype {x.dtype} but {ref_name} has {ref.dtype}")
    if x.device != ref.device:
        raise ValueError(f"{name} is on {x.device} but {ref_name} is on {ref.device}")
    floating(x, name)
    if same_shape and x.shape != ref.shape:
        raise ValueError(f"{name} has shape {tuple(x.shape)} but {ref_name} has {tuple(ref.shape)}")
    return x


def tensor(x: object, name: str, *, ndim: int | tuple[int, ...] | None = None, batched: bool = False,
           shape: tuple[int | None, ...] | None = None, allow: str = "", like_: torch.Tensor | None = None,
           like_name: str = "", same_shape: bool = False, nonneg: bool = False,
           positive: bool = False) -> torch.Tensor:
    """A non-empty, finite float32/float64 tensor with ``ndim`` dimensions (or ``shape``, None for any size);
    ``batched``: rows first, at least one (``(batch, ...)``); ``like_``: the dtype and device (and with
    ``same_shape`` the shape) of that tensor; ``nonneg``/``positive``: every entry >= 0 / > 0."""
    floating(x, name)
    if like_ is not None:
        like(x, like_, name, like_name, same_shape)
    if ndim is not None and x.ndim not in ((ndim,) if isinstance(ndim, int) else ndim):
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(x.shape)}")
    if shape is not None and (x.ndim != len(shape)
                              or any(s is not None and s != n for s, n in zip(shape, x.shape, strict=True))):
        want = ", ".join("n" if s is None else str(s) for s in shape)
        raise ValueError(f"{name} must have shape ({want}{',' if len(shape) == 1 else ''}), got {tuple(x.shape)}")
    if batched and x.ndim < 1:
        raise ValueError(f"{name} must have a batch dimension (batch, ...), got shape {tuple(x.shape)}")
    if x.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    finite(x, name, allow=allow)
    if (nonneg or positive) and bool((x < 0 if nonneg else x <= 0).any()):
        raise ValueError(f"{name} must be {'non-negative' if nonneg else 'positive'}, got minimum {float(x.min())}")
    return x


def batch(x: object, name: str, **kw: Any) -> torch.Tensor:
    """A ``(batch, ...)`` tensor: floating, finite, at least one row (``tensor(..., batched=True)``)."""
    return tensor(x, name, batched=True, **kw)


def real(v: object, name: str, *, lo: float | None = None, hi: float | None = None, closed: str = "",
         finite_: bool = True) -> float:
    """A real number (an int, a float, a numpy scalar or a 0-d tensor; not a bool) in the interval from ``lo``
    to ``hi``, the ends closed where ``closed`` names them (``"lo"``, ``"hi"``)."""
    if isinstance(v, torch.Tensor):
        if v.ndim != 0 or v.is_complex() or v.dtype == torch.bool or v.device.type == "meta":
            raise TypeError(f"{name} must be a real number or a 0-d tensor, got {_got(v)}")
        v = v.item()
    if isinstance(v, bool) or (not isinstance(v, (int, float)) and not hasattr(v, "__float__")):
        raise TypeError(f"{name} must be a real number, got {_got(v)}")
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {_got(v)}") from None
    return validate_interval(f, name, lo=lo, hi=hi, closed=closed, finite=finite_)


def _above(lo: float, closed: str) -> str:
    return "non-negative" if lo == 0 and "lo" in closed else "positive" if lo == 0 else \
        (f">= {lo:g}" if "lo" in closed else f"> {lo:g}")


def positive(v: object, name: str) -> float:
    """A finite number > 0 (σ, a step size, a temperature)."""
    return real(v, name, lo=0.0)


def count(v: object, name: str, *, lo: int = 1, hi: int | None = None) -> int:
    """An int (a Python or numpy integer, or a 0-d integer tensor; not a bool) in ``lo..hi``."""
    if isinstance(v, torch.Tensor) and v.ndim == 0 and not (v.is_floating_point() or v.is_complex()) \
            and v.dtype != torch.bool and v.device.type != "meta":
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {_got(v)}")
    n = int(v)
    if n < lo or (hi is not None and n > hi):
        raise ValueError(f"{name} must be >= {lo}, got {n}" if hi is None
                         else f"{name} must lie in {lo}..{hi}, got {n}")
    return n


def axis(dim: object, x: torch.Tensor, name: str = "dim") -> int:
    """A dimension of ``x`` (``-x.ndim .. x.ndim - 1``)."""
    return count(dim, name, lo=-x.ndim, hi=x.ndim - 1)


def choice(v: object, name: str, options: Sequence[str]) -> str:
    """One of ``options``."""
    if not isinstance(v, str) or v not in options:
        raise ValueError(f"{name} must be one of {tuple(options)}, got {_got(v)}")
    return v


def function(f: object, name: str) -> Callable[..., Any]:
    """A callable."""
    if not callable(f):
        raise TypeError(f"{name} must be callable, got {_got(f)}")
    return f


def flag(v: object, name: str) -> bool:
    """A bool."""
    if not isinstance(v, bool):
        raise TypeError(f"{name} must be a bool, got {_got(v)}")
    return v


def instance(obj: object, name: str, cls: type | tuple[type, ...], what: str) -> Any:
    """An instance of ``cls`` (described as ``what`` in the message)."""
    if not isinstance(obj, cls):
        raise TypeError(f"{name} must be {what}, got {_got(obj)}")
    return obj


def dtype_(v: object, name: str = "dtype") -> torch.dtype | None:
    """A floating torch dtype a reference computes in (or None: torch's default)."""
    if v is not None and v not in FLOATING:
        raise TypeError(f"{name} must be torch.float32 or torch.float64, got {_got(v)}")
    return v  # type: ignore[return-value]


def device_(v: object, name: str = "device") -> torch.device | None:
    """A torch device (a ``torch.device`` or a name such as ``"cpu"``; None: the default)."""
    if v is None:
        return None
    if not isinstance(v, (str, torch.device)):
        raise TypeError(f"{name} must be a torch.device or a device name such as 'cpu', got {_got(v)}")
    try:
        return torch.device(v)
    except RuntimeError:
        raise ValueError(f"{name} must name a torch device such as 'cpu' or 'cuda', got {v!r}") from None


def per_row(v: object, x: torch.Tensor, name: str, *, lo: float | None = None, closed: str = "") -> torch.Tensor:
    """A number or a ``(batch,)`` floating tensor (one value per row of ``x``), finite and above ``lo`` (``closed``
    ``"lo"``: or equal), as a ``(batch,)`` tensor with ``x``'s dtype and device."""
    if isinstance(v, torch.Tensor) and v.ndim > 0:
        floating(v, name)
        if v.device != x.device:
            raise ValueError(f"{name} is on {v.device} but x is on {x.device}")
        if v.shape != (x.shape[0],):
            raise ValueError(f"{name} must be a scalar or have shape ({x.shape[0]},), got {tuple(v.shape)}")
        finite(v, name)
        t = v.to(x.dtype)
    else:
        t = torch.full((x.shape[0],), real(v, name), dtype=x.dtype, device=x.device)
    if lo is not None and bool((t < lo if "lo" in closed else t <= lo).any()):
        raise ValueError(f"{name} must be {_above(lo, closed)}, got minimum {float(t.min())}")
    return t


def probabilities(p: object, name: str, *, ndim: int | tuple[int, ...] | None = None,
                  shape: tuple[int | None, ...] | None = None, dim: int = -1) -> torch.Tensor:
    """Probability vectors along ``dim``: finite, >= 0, summing to 1 within a few ulps of the dtype per entry."""
    p = tensor(p, name, ndim=ndim, shape=shape, nonneg=True, batched=True)
    total = p.sum(dim)
    tol = 64 * torch.finfo(p.dtype).eps * p.shape[dim]
    if bool(((total - 1).abs() > tol).any()):
        worst = float(total.reshape(-1)[(total - 1).abs().reshape(-1).argmax()])
        raise ValueError(f"{name} must sum to 1 along dimension {dim} (probabilities), got a sum of {worst}")
    return p


def integers(x: object, name: str, *, lo: int = 0, hi: int | None = None, ndim: int | None = None) -> torch.Tensor:
    """An integer tensor (not bool) with values in ``lo..hi``, as ``long``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be an integer torch.Tensor, got {type(x).__name__}")
    if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
        raise TypeError(f"{name} must hold integers, got dtype {x.dtype}")
    if x.device.type == "meta":
        raise ValueError(f"{name} is on the meta device, which holds no values; pass a tensor on cpu or cuda")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(x.shape)}")
    if x.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    if int(x.min()) < lo or (hi is not None and int(x.max()) > hi):
        raise ValueError(f"{name} must lie in {lo}..{'' if hi is None else hi}, got values in "
                         f"{int(x.min())}..{int(x.max())}")
    return x.long()


def table(v: object, name: str) -> torch.Tensor:
    """A 1-D schedule table (a float32/float64 tensor or a sequence of numbers) as a float64 CPU tensor; its
    values are checked by the caller (``dgmcheck.theory`` validators state each domain)."""
    if isinstance(v, torch.Tensor):
        tensor(v, name, ndim=1)
        return v.detach().to(device="cpu", dtype=torch.float64)
    if isinstance(v, (str, bytes)) or v is None:
        raise TypeError(f"{name} must be a 1-D tensor or sequence of numbers, got {_got(v)}")
    try:
        t = torch.as_tensor(v, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{name} must be a 1-D tensor or sequence of numbers, got {_got(v)}") from None
    return tensor(t, name, ndim=1)


def steps(t: object, T: int, batch: int, device: torch.device) -> torch.Tensor:
    """Steps ``t`` as a long tensor of shape ``(batch,)`` with values in ``1..T``.

    An int or a 0-d tensor is broadcast to the batch; a float tensor is refused.
    """
    if isinstance(t, bool):
        raise TypeError("t must be an integer step or an integer tensor, got bool")
    if isinstance(t, int):  # checked as the Python int: no reduction of the tensor made from it
        tt = torch.full((batch,), t, dtype=torch.long, device=device)
        if tt.device.type == "meta":
            raise ValueError("t is on the meta device, which holds no values; pass a tensor on cpu or cuda")
        if batch and (t < 1 or t > T):
            raise ValueError(f"t must lie in 1..T = 1..{T}, got values in {t}..{t}")
        return tt
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"t must be an int or an integer torch.Tensor, got {type(t).__name__}")
    if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
        raise TypeError(f"t must hold integer steps, got dtype {t.dtype}")
    if t.device.type == "meta":
        raise ValueError("t is on the meta device, which holds no values; pass a tensor on cpu or cuda")
    if t.ndim == 0:
        t = t.expand(batch)
    if t.shape != (batch,):
        raise ValueError(f"t must have shape ({batch},) to match the batch, got {tuple(t.shape)}")
    if t.numel():
        try:
            lo, hi = (int(v) for v in torch.aminmax(t))  # one reduction for both ends
        except NotImplementedError:  # a dtype without aminmax: min/max raise (or answer) as they did
            lo, hi = int(t.min()), int(t.max())
        if lo < 1 or hi > T:
            raise ValueError(f"t must lie in 1..T = 1..{T}, got values in {lo}..{hi}")
    return t.to(device=device, dtype=torch.long)
