"""The VE and VP SDEs (Song et al. 2021), batched in torch: drift, diffusion and Gaussian marginals.

Protocol shared by every SDE here and by the score-based samplers and their checks (a user's SDE exposes
the same three methods to be verified), every method taking ``(x, t)`` in that order::

    drift(x, t)       f(x, t), shape like x            dx = f(x, t) dt + g(t) dw
    diffusion(x, t)   g(t), shape (batch,)             (x only fixes batch, dtype and device)
    marginal(x, t)    (a(t), s(t)) with x_t | x_0 ~ N(a(t) x_0, s(t)² I), each (batch,)

``t`` is a float, or a tensor of shape ``()`` or ``(batch,)``; it must lie in ``[0, T]``. The
``(t, x)`` order of ``diffusion``/``marginal`` in earlier releases still works for one release:
``xt_order`` reads the order from the parameter names (first parameter ``t``, ``time`` or ``s``)
and warns (``DeprecationWarning``).
``000 L11 "Score Matching SDE"`` (VE), ``000 L11 "Diffusion SDE"`` (VP), ``000 L11 "Score-Based
Generative Models Through SDEs"`` (marginals, continuous DSM), ``000 L10 "Stochastic Differential
Equation (SDE)"`` (Wiener process, Euler–Maruyama).

Also here: ``brownian_path`` (sde.wiener), ``euler_maruyama`` (sde.euler_maruyama), the discrete
chains whose limits the SDEs are (``VESDE.chain_step``: NCSN, sde.ve; ``VPSDE.chain_step``: DDPM,
sde.vp) and ``continuous_dsm_loss`` (sde.continuous_dsm). Every random draw is passed in.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable
from typing import Any

import torch

from . import _validate as V
from ._validate import floating

# ------------------------------------------------------------------------------ argument order
#: First-parameter names that mark the ``(t, x)`` order of earlier releases.
OLD_ORDER_NAMES = ("t", "time", "s")
#: The protocol methods whose order changed from ``(t, x)`` to ``(x, t)``.
REORDERED = ("diffusion", "marginal")


def time_first(fn: Any) -> bool:
    """True when ``fn``'s first positional parameter is named ``t``, ``time`` or ``s``: a callable
    written in the ``(t, x)`` order of earlier releases. Unknown signatures count as ``(x, t)``."""
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0].name in OLD_ORDER_NAMES


def xt_order(fn: Callable, name: str, stacklevel: int = 2) -> Callable:
    """``fn`` as a callable of ``(x, t)``: itself, or, when its parameter names say ``(t, x)``, a
    wrapper that swaps the arguments, after one ``DeprecationWarning`` naming ``name``."""
    if not callable(fn):
        raise TypeError(f"fn must be callable (the {name} method of the SDE), got {V._got(fn)}")
    if not time_first(fn):
        return fn
    warnings.warn(f"{name}(t, x) takes its arguments in the order of earlier releases; write "
                  f"{name}(x, t) (the (t, x) order is read from the parameter names for one more "
                  f"release)", DeprecationWarning, stacklevel=stacklevel + 1)

    def swapped(x: Any, t: Any) -> Any:
        return fn(t, x)

    # no __wrapped__: inspect.signature would follow it back to (t, x) and swap a second time
    return swapped


class XT:
    """A view of an SDE object whose ``diffusion`` and ``marginal`` take ``(x, t)`` whatever order
    the object was written in (one ``DeprecationWarning`` per old-order method, at construction);
    every other attribute is the object's own."""

    def __init__(self, sde: Any) -> None:
        object.__setattr__(self, "_sde", sde)
        for name in REORDERED:
            fn = getattr(sde, name, None)
            if callable(fn):
                object.__setattr__(self, name, xt_order(fn, name, stacklevel=3))

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_sde"), name)


def as_xt(sde: Any) -> Any:
    """``sde`` itself when its ``diffusion``/``marginal`` already take ``(x, t)``, else an ``XT`` view."""
    if isinstance(sde, XT) or not any(time_first(getattr(sde, n, None)) for n in REORDERED
                                      if callable(getattr(sde, n, None))):
        return sde
    return XT(sde)


def sde_times(t: object, x: torch.Tensor, T: float, name: str = "t") -> torch.Tensor:
    """``t`` as a ``(batch,)`` tensor like ``x``, checked to lie in ``[0, T]``. ``x`` only fixes the batch, dtype
    and device (its values are not read: the SDE methods call this at every step of a sampler)."""
    floating(x, "x")
    if x.ndim < 1 or x.shape[0] == 0:
        raise ValueError(f"x must have a batch dimension of at least one row, got shape {tuple(x.shape)}")
    T = V.positive(T, "T")
    if isinstance(t, torch.Tensor):
        if t.is_complex() or t.dtype == torch.bool or t.device.type == "meta":
            raise TypeError(f"{name} must be a number or a real tensor of times, got {V._got(t)}")
    else:
        t = V.real(t, name)
    t = torch.as_tensor(t, dtype=x.dtype, device=x.device)
    if t.ndim == 0 and not t.requires_grad:  # one read of the value (as stored in x's dtype), checked in
        v = float(t)                          # Python; a NaN fails the test
        if not 0 <= v <= T:
            raise ValueError(f"{name} must lie in [0, T] = [0, {T}], got values in [{v}, {v}]")
        return t.expand(x.shape[0])
    if t.ndim == 0:
        t = t.expand(x.shape[0])
    if t.shape != (x.shape[0],):
        raise ValueError(f"{name} must be a scalar or have shape ({x.shape[0]},), got {tuple(t.shape)}")
    if t.requires_grad:  # as it was (reading a grad-tracking value warns)
        bad = bool(torch.isnan(t).any()) or float(t.min()) < 0 or float(t.max()) > T
    else:
        lo, hi = (float(v) for v in torch.aminmax(t))  # one reduction; a NaN makes both NaN
        bad = not (0 <= lo and hi <= T)
    if bad:
        raise ValueError(f"{name} must lie in [0, T] = [0, {T}], got values in "
                         f"[{float(t.min())}, {float(t.max())}]")
    return t


def _col(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return v.reshape(-1, *([1] * (x.ndim - 1)))


def _check_N(N: object) -> None:
    if isinstance(N, bool) or not isinstance(N, int) or N < 1:
        raise ValueError(f"N must be a positive int number of steps, got {N!r}")


def _check_step(i: object, N: int) -> None:
    _check_N(N)
    if isinstance(i, bool) or not isinstance(i, int) or not 1 <= i <= N:
        raise ValueError(f"i must be an int step in 1..N = 1..{N}, got {i!r}")


class VESDE:
    """Variance exploding: ``dx = √(d σ²(t)/dt) dw`` with ``σ(t) = σ_min (σ_max/σ_min)^(t/T)``.

    ``g(t) = σ(t) √(2 log(σ_max/σ_min) / T)``; marginal ``x_t | x_0 ~ N(x_0, (σ(t)² - σ(0)²) I)``
    (theorem ``sde.ve_marginal``), the continuous limit of the NCSN chain (``sde.ve``).
    """

    def __init__(self, sigma_min: float = 0.01, sigma_max: float = 50.0, T: float = 1.0) -> None:
        V.positive(sigma_min, "sigma_min")
        if not V.positive(sigma_max, "sigma_max") > sigma_min:
            raise ValueError(f"sigma_max must exceed sigma_min = {sigma_min}, got {sigma_max!r}")
        V.positive(T, "T")
        self.sigma_min, self.sigma_max, self.T = float(sigma_min), float(sigma_max), float(T)

    def sigma(self, x: torch.Tensor, t: object) -> torch.Tensor:
        """``σ(t)``, shape ``(batch,)``."""
        t = sde_times(t, x, self.T)
        return self.sigma_min * (self.sigma_max / self.sigma_min) ** (t / self.T)

    def drift(self, x: torch.Tensor, t: object) -> torch.Tensor:
        sde_times(t, x, self.T)
        return torch.zeros_like(x)

    def diffusion(self, x: torch.Tensor, t: object) -> torch.Tensor:
        log_ratio = torch.log(torch.as_tensor(self.sigma_max / self.sigma_min, dtype=x.dtype, device=x.device))
        return self.sigma(x, t) * torch.sqrt(2 * log_ratio / self.T)

    def marginal(self, x: torch.Tensor, t: object) -> tuple[torch.Tensor, torch.Tensor]:
        """``(1, √(σ(t)² - σ(0)²))``; the variance as ``σ_min² expm1(2 (t/T) log(σ_max/σ_min))`` (no cancellation)."""
        t = sde_times(t, x, self.T)
        s2 = self.sigma_min**2 * torch.expm1(2 * math.log(self.sigma_max / self.sigma_min) * t / self.T)
        return torch.ones_like(s2), s2.sqrt()

    def chain_sigmas(self, N: int, like: torch.Tensor) -> torch.Tensor:
        """NCSN noise levels ``σ_i = σ(i T / N)``, ``i = 0..N``, like ``like``."""
        _check_N(N)
        t = torch.arange(N + 1, dtype=torch.float64).to(dtype=like.dtype, device=like.device) * (self.T / N)
        return self.sigma_min * (self.sigma_max / self.sigma_min) ** (t.clamp(0, self.T) / self.T)

    def chain_step(self, x: torch.Tensor, i: int, noise: torch.Tensor, N: int) -> torch.Tensor:
        """NCSN chain step ``x_i = x_{i-1} + √(σ_i² - σ_{i-1}²) z`` on the grid ``t_i = i T/N`` (sde.ve;
        000 L11 "Score Matching SDE")."""
        floating(x, "x")
        _check_step(i, N)
        if noise.shape != x.shape:
            raise ValueError(f"noise must have the shape of x {tuple(x.shape)}, got {tuple(noise.shape)}")
        sig = self.chain_sigmas(N, x)[i - 1:i + 1]
        return x + (sig[1] ** 2 - sig[0] ** 2).sqrt() * noise

    def dsm_loss(self, score_model, x0: torch.Tensor, t: object, noise: torch.Tensor,
                 weight: object = None) -> torch.Tensor:
        """``continuous_dsm_loss(score_model, self, x0, t, noise, weight)``."""
        return continuous_dsm_loss(score_model, self, x0, t, noise, weight)


class VPSDE:
    """Variance preserving: ``dx = -½ β(t) x dt + √β(t) dw``, ``β(t) = β_min + (t/T)(β_max - β_min)``.

    Marginal ``x_t | x_0 ~ N(e^{-½B(t)} x_0, (1 - e^{-B(t)}) I)`` with ``B(t) = ∫_0^t β(s) ds``
    (theorem ``sde.vp_marginal``), the continuous limit of the DDPM chain (``sde.vp``).
    """

    def __init__(self, beta_min: float = 0.1, beta_max: float = 20.0, T: float = 1.0) -> None:
        V.positive(beta_min, "beta_min")
        if not V.positive(beta_max, "beta_max") >= beta_min:
            raise ValueError(f"beta_max must be >= beta_min = {beta_min}, got {beta_max!r}")
        V.positive(T, "T")
        self.beta_min, self.beta_max, self.T = float(beta_min), float(beta_max), float(T)

    def beta(self, x: torch.Tensor, t: object) -> torch.Tensor:
        """``β(t)``, shape ``(batch,)``."""
        t = sde_times(t, x, self.T)
        return self.beta_min + (t / self.T) * (self.beta_max - self.beta_min)

    def integrated_beta(self, x: torch.Tensor, t: object) -> torch.Tensor:
        """``B(t) = ∫_0^t β``, shape ``(batch,)``."""
        t = sde_times(t, x, self.T)
        return self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t**2 / self.T

    def drift(self, x: torch.Tensor, t: object) -> torch.Tensor:
        return -0.5 * _col(self.beta(x, t), x) * x

    def diffusion(self, x: torch.Tensor, t: object) -> torch.Tensor:
        return self.beta(x, t).sqrt()

    def marginal(self, x: torch.Tensor, t: object) -> tuple[torch.Tensor, torch.Tensor]:
        b = self.integrated_beta(x, t)
        return torch.exp(-0.5 * b), (-torch.expm1(-b)).sqrt()

    def chain_betas(self, N: int, like: torch.Tensor) -> torch.Tensor:
        """DDPM steps ``β_i = β(t_i) Δt`` with ``t_i = i T/N``, ``Δt = T/N``, ``i = 1..N`` (000 L11
        "Diffusion SDE": ``β_t = β(t/T)·1/T``); each must be < 1 (``N > β_max T``)."""
        _check_N(N)
        t = torch.arange(1, N + 1, dtype=like.dtype, device=like.device) * (self.T / N)
        betas = (self.beta_min + (t / self.T) * (self.beta_max - self.beta_min)) * (self.T / N)
        if bool((betas >= 1).any()):
            raise ValueError(f"N = {N} steps give β_i = β(t_i) T/N >= 1; take N > {self.beta_max * self.T}")
        return betas

    def chain_step(self, x: torch.Tensor, i: int, noise: torch.Tensor, N: int) -> torch.Tensor:
        """DDPM chain step ``x_i = √(1 - β_i) x_{i-1} + √β_i z`` with ``β_i = β(t_i) T/N`` (sde.vp)."""
        floating(x, "x")
        _check_step(i, N)
        if noise.shape != x.shape:
            raise ValueError(f"noise must have the shape of x {tuple(x.shape)}, got {tuple(noise.shape)}")
        b = self.chain_betas(N, x)[i - 1]
        return (1 - b).sqrt() * x + b.sqrt() * noise

    def dsm_loss(self, score_model, x0: torch.Tensor, t: object, noise: torch.Tensor,
                 weight: object = None) -> torch.Tensor:
        """``continuous_dsm_loss(score_model, self, x0, t, noise, weight)``."""
        return continuous_dsm_loss(score_model, self, x0, t, noise, weight)


Drift = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # f(x, t)
Diffusion = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # g(x, t) -> (batch,)


def _time_grid(ts: object, x0: torch.Tensor) -> torch.Tensor:
    """``ts`` as a 1-D tensor like ``x0``, at least two finite times, strictly monotone."""
    if isinstance(ts, torch.Tensor):
        floating(ts, "ts")
    try:
        ts = torch.as_tensor(ts, dtype=x0.dtype, device=x0.device)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"ts must be a 1-D tensor or sequence of times, got {type(ts).__name__}") from exc
    if ts.ndim != 1 or ts.numel() < 2:
        raise ValueError(f"ts must be a 1-D tensor of at least 2 times, got shape {tuple(ts.shape)}")
    if not bool(torch.isfinite(ts).all()):
        raise ValueError(f"ts must be finite, got {ts.tolist()}")
    dt = ts[1:] - ts[:-1]
    if not (bool((dt > 0).all()) or bool((dt < 0).all())):
        i = int(torch.nonzero(dt * dt[0].sign() <= 0)[0]) if bool(dt[0] != 0) else 0
        raise ValueError(f"ts must be strictly monotone (all increasing or all decreasing); "
                         f"ts[{i}] = {float(ts[i])}, ts[{i + 1}] = {float(ts[i + 1])}")
    return ts


def euler_maruyama(drift: Drift, diffusion: Diffusion, x0: torch.Tensor, ts: object, noises: torch.Tensor, *,
                   return_path: bool = False) -> torch.Tensor:
    """Euler–Maruyama for ``dx = f(x, t) dt + g(t) dw`` on the grid ``ts`` (theorem ``sde.euler_maruyama``).

    ``x_{k+1} = x_k + f(x_k, t_k) Δt_k + g(t_k) √|Δt_k| z_k`` with ``Δt_k = t_{k+1} - t_k`` (negative
    when ``ts`` decreases, e.g. for a reverse-time SDE whose drift already carries its sign) and
    ``z_k = noises[k]`` standard normals. ``000 L11 "Euler-Maruyama"``.

    drift(x, t) -> like x; diffusion(x, t) -> ``(batch,)`` (or a scalar); ``t`` is passed as a
    ``(batch,)`` tensor like ``x0``. ``ts``: 1-D, strictly monotone; ``noises``: shape
    ``(len(ts) - 1, *x0.shape)``. Returns ``x_N``, or the path of shape ``(len(ts), *x0.shape)``
    when ``return_path`` is true.
    """
    V.batch(x0, "x0")
    V.function(drift, "drift")
    V.function(diffusion, "diffusion")
    V.flag(return_path, "return_path")
    ts = _time_grid(ts, x0)
    _noises(noises, x0, ts, "x0")
    return _euler_maruyama(drift, xt_order(diffusion, "diffusion"), x0, ts, noises, return_path)


def _noises(noises: object, x0: torch.Tensor, ts: torch.Tensor, x_name: str) -> torch.Tensor:
    """``noises`` of shape ``(len(ts) - 1, *x0.shape)`` with x0's dtype and device, finite."""
    floating(noises, "noises")
    n = ts.numel() - 1
    if tuple(noises.shape) != (n, *x0.shape):
        raise ValueError(f"noises must have shape (len(ts) - 1, *{x_name}.shape) = {(n, *x0.shape)}, "
                         f"got {tuple(noises.shape)}")
    if noises.dtype != x0.dtype or noises.device != x0.device:
        raise TypeError(f"noises must have the dtype and device of {x_name} ({x0.dtype}, {x0.device}), "
                        f"got ({noises.dtype}, {noises.device})")
    return V.finite(noises, "noises")


def _euler_maruyama(drift: Drift, diffusion: Diffusion, x0: torch.Tensor, ts: torch.Tensor, noises: torch.Tensor,
                    return_path: bool = False) -> torch.Tensor:
    """The Euler–Maruyama loop on validated inputs (``diffusion`` already in the (x, t) order)."""
    n = ts.numel() - 1
    batch = x0.shape[0]
    x = x0
    path = [x0] if return_path else None
    for k in range(n):
        t = ts[k].expand(batch)
        dt = ts[k + 1] - ts[k]
        f = drift(x, t)
        if not isinstance(f, torch.Tensor) or f.shape != x.shape:
            raise ValueError(f"drift(x, t) must return a tensor of shape {tuple(x.shape)}, got "
                             f"{tuple(f.shape) if isinstance(f, torch.Tensor) else type(f).__name__}")
        g = torch.as_tensor(diffusion(x, t), dtype=x.dtype, device=x.device)
        if g.ndim == 0:
            g = g.expand(batch)
        if g.shape != (batch,):
            raise ValueError(f"diffusion(x, t) must return shape ({batch},), got {tuple(g.shape)}")
        x = x + f * dt + _col(g, x) * dt.abs().sqrt() * noises[k]
        if path is not None:
            path.append(x)
    return torch.stack(path) if path is not None else x


def brownian_path(ts: object, noises: torch.Tensor) -> torch.Tensor:
    """A Wiener path on the grid ``ts`` from standard normals (theorem ``sde.wiener``; 000 L10
    "Stochastic Differential Equation (SDE)": ``dw = ε √dt``): ``w(t_0) = 0``,
    ``w(t_{k+1}) = w(t_k) + √|t_{k+1} - t_k| z_k``. ``noises``: ``(len(ts) - 1, batch, ...)``;
    returns ``(len(ts), batch, ...)``.
    """
    V.tensor(noises, "noises")
    if noises.ndim < 2:
        raise ValueError(f"noises must have shape (len(ts) - 1, batch, ...), got {tuple(noises.shape)}")
    ts = _time_grid(ts, noises)
    if noises.shape[0] != ts.numel() - 1:
        raise ValueError(f"noises must have len(ts) - 1 = {ts.numel() - 1} rows, got shape {tuple(noises.shape)}")
    dt = (ts[1:] - ts[:-1]).abs().sqrt().reshape(-1, *([1] * (noises.ndim - 1)))
    steps = dt * noises
    return torch.cat([torch.zeros_like(noises[:1]), torch.cumsum(steps, dim=0)])


ScoreModel = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # s_θ(x_t, t)


def continuous_dsm_loss(score_model: ScoreModel, sde: object, x0: torch.Tensor, t: object,
                        noise: torch.Tensor, weight: object = None) -> torch.Tensor:
    """Per-sample continuous-time DSM (theorem ``sde.continuous_dsm``; 000 L11 "Score-Based Generative
    Models Through SDEs"): with ``(a, s) = sde.marginal(x_0, t)`` and ``x_t = a x_0 + s ε``,

        λ(t) ||s_θ(x_t, t) - ∇_{x_t} log q(x_t|x_0)||²,   ∇_{x_t} log q(x_t|x_0) = -(x_t - a x_0)/s²,

    summed over the non-batch dims; shape ``(batch,)``. ``t`` (in ``(0, T]``; ``s(0) = 0``) is drawn by
    the caller, e.g. uniform, so the mean over the batch estimates ``E_t λ(t) E ||·||²``.
    ``weight`` λ: None (λ = 1, the lecture's objective), a ``(batch,)`` tensor, or a callable of
    ``t`` returning one (``lambda t: sde.marginal(x0, t)[1] ** 2`` is Song et al.'s λ = s²).
    """
    V.function(score_model, "score_model")
    if not callable(getattr(sde, "marginal", None)):
        raise TypeError(f"sde must have a callable marginal(x, t) -> (a, s), got {V._got(sde)}")
    V.batch(x0, "x0")
    if x0.ndim < 2:
        raise ValueError(f"x0 must have shape (batch, ...), got {tuple(x0.shape)}")
    V.batch(noise, "noise", like_=x0, like_name="x0")
    if noise.shape != x0.shape:
        raise ValueError(f"noise must have the shape of x0 {tuple(x0.shape)}, got {tuple(noise.shape)}")
    t = V.per_row(t, x0, "t")
    if weight is not None and not callable(weight):
        V.per_row(weight, x0, "weight", lo=0.0, closed="lo")
    a, s = xt_order(sde.marginal, "marginal")(x0, t)
    if bool((s <= 0).any()):
        raise ValueError(f"t must give a positive marginal std s(t) (t > 0), got min s = {float(s.min())}")
    var = _col(s, x0) ** 2
    x_t = _col(a, x0) * x0 + _col(s, x0) * noise
    target = -(x_t - _col(a, x0) * x0) / var
    pred = score_model(x_t, t)
    if not isinstance(pred, torch.Tensor) or pred.shape != x0.shape:
        raise ValueError(f"score_model must return a tensor of shape {tuple(x0.shape)}, got "
                         f"{tuple(pred.shape) if isinstance(pred, torch.Tensor) else type(pred).__name__}")
    if weight is None:
        lam = torch.ones_like(s)
    else:
        lam = weight(t) if callable(weight) else weight
        lam = torch.as_tensor(lam, dtype=x0.dtype, device=x0.device)
        if lam.ndim == 0:
            lam = lam.expand(x0.shape[0])
        if lam.shape != (x0.shape[0],):
            raise ValueError(f"weight must be a scalar or have shape ({x0.shape[0]},), got {tuple(lam.shape)}")
        if not bool(((lam >= 0) & torch.isfinite(lam)).all()):
            raise ValueError(f"weight must be finite and non-negative, got {lam.tolist()}")
    return lam * (pred - target).pow(2).reshape(x0.shape[0], -1).sum(dim=1)
