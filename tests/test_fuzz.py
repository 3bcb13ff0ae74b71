"""Bad input at every public entry point: ``ValueError``/``TypeError`` naming the argument, never a crash
deep inside and never a silent NaN.

Every public callable of each ``dgmcheck.impl.*`` and ``dgmcheck.theory.*`` module (a name without a leading
underscore defined in that module: functions, and classes through their constructors) is called with valid
arguments built from ``RECIPES``, a table keyed by parameter name (``"x"``), by module and parameter
(``"theory.sde.t"``) or by callable and parameter (``"impl.tricks.pushforward.p"``); then Hypothesis replaces one
argument at a time by a bad value of the kinds the recipe lists (None, a string, NaN/±inf, a wrong rank or batch,
an empty or batch-0 tensor, an int/bool/float16/bfloat16 dtype, a ``meta`` device, σ or a step count that is zero
or negative, t outside its range, probabilities that do not sum to 1, a matrix that is not stochastic, T = 100000
where the cost grows faster than T). The call must raise ``ValueError`` or ``TypeError`` whose message names the
argument: any other exception, or a return, fails.

The ``ci`` profile draws 10 bad calls per callable, ``thorough`` 400 (every case of every callable, many times);
``test_every_case_once`` (slow) runs each case exactly once. ``SKIP`` lists, with a reason each, the callables
the table cannot build; ``ACCEPTED`` the bad-looking values a callable takes by design, with the reason. The
command line is held to the same rule by a table of bad invocations: exit 2, one line on stderr naming the
option, never a traceback.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

PACKAGES = ("impl", "theory")


# =============================================================================================== bad values
@dataclass(frozen=True)
class Arg:
    """How to build a valid value (``make``) and the bad values of the kinds that apply (``bad``: kind ->
    function of a fresh valid value)."""

    make: Callable[[], Any]
    bad: dict[str, Callable[[Any], Any]]


def _clone(v: Any) -> Any:
    return v.detach().clone() if isinstance(v, torch.Tensor) else np.array(v, dtype=np.float64, copy=True)


def _set_first(value: float) -> Callable[[Any], Any]:
    def bad(v: Any) -> Any:
        w = _clone(v)
        w.reshape(-1)[0] = value
        return w
    return bad


def _scale(factor: float) -> Callable[[Any], Any]:
    return lambda v: v * factor


_NONE = {"none": lambda v: None, "str": lambda v: "bad"}
_NONFINITE = {"nan": _set_first(math.nan), "inf": _set_first(math.inf), "-inf": _set_first(-math.inf)}
_TENSOR_DTYPES = {
    "int": lambda v: v.round().long(), "bool": lambda v: v > 0, "float16": lambda v: v.half(),
    "bfloat16": lambda v: v.bfloat16(), "meta": lambda v: v.to("meta"),
}


def tensor(make: Callable[[], torch.Tensor], *, drop: tuple[str, ...] = (), **extra: Callable[[Any], Any]) -> Arg:
    """A floating tensor: every kind of bad tensor applies unless dropped (``rank``: a 0-d tensor where rows
    are expected; ``batch0``: no rows; ``empty``: a 1-D tensor of no elements); ``extra`` adds kinds of the
    argument's own domain (``neg``, ``range``, ``unnormalised``, ...)."""
    bad = {**_NONE, **_NONFINITE, "rank": lambda v: v.reshape(-1)[0].clone(),
           "empty": lambda v: v.new_empty(0), "batch0": lambda v: v[:0], **_TENSOR_DTYPES, **extra}
    return Arg(make, {k: f for k, f in bad.items() if k not in drop})


def tokens(make: Callable[[], torch.Tensor], K: int, *, drop: tuple[str, ...] = ()) -> Arg:
    """An integer tensor of states ``0..K-1``."""
    bad = {**_NONE, "float": lambda v: v.double(), "bool": lambda v: v > 0, "meta": lambda v: v.to("meta"),
           "range": lambda v: torch.full_like(v, K), "neg": lambda v: torch.full_like(v, -1),
           "rank": lambda v: v.reshape(-1)[0].clone(), "empty": lambda v: v.new_empty(0)}
    return Arg(make, {k: f for k, f in bad.items() if k not in drop})


def array(make: Callable[[], Any], *, drop: tuple[str, ...] = (), **extra: Callable[[Any], Any]) -> Arg:
    """A float64 array of theory (a list or an ndarray): None, a string, NaN/±inf, a 0-d value where an array
    is expected (``rank``) and an empty array apply unless dropped."""
    bad = {**_NONE, **_NONFINITE, "rank": lambda v: float(np.asarray(v, dtype=np.float64).reshape(-1)[0]),
           "empty": lambda v: np.zeros((0,)), **extra}
    return Arg(make, {k: f for k, f in bad.items() if k not in drop})


def real(value: float, lo: float | None = None, hi: float | None = None, *, closed: str = "", finite: bool = True,
         optional: bool = False, **extra: Any) -> Arg:
    """A real number in ``(lo, hi)`` (``closed`` holds ``"lo"``/``"hi"`` for closed ends): None, a string and
    NaN always; ±inf when it must be finite; ``low``/``high`` just outside a finite end. ``extra`` values are
    further bad numbers."""
    bad: dict[str, Callable[[Any], Any]] = {"str": lambda v: "bad", "nan": lambda v: math.nan}
    if not optional:
        bad["none"] = lambda v: None
    if finite:
        bad.update({"inf": lambda v: math.inf, "-inf": lambda v: -math.inf})
    if lo is not None:
        bad["low"] = (lambda v: lo - 1.0) if "lo" in closed else (lambda v: lo)
    if hi is not None:
        bad["high"] = (lambda v: hi + 1.0) if "hi" in closed else (lambda v: hi)
    bad.update({k: (lambda v, x=x: x) for k, x in extra.items()})
    return Arg(lambda: value, bad)


def positive(value: float, **extra: Any) -> Arg:
    """σ, a step size, a temperature: > 0 and finite (``low`` is 0, ``neg`` -1)."""
    return real(value, 0.0, neg=-1.0, **extra)


def integer(value: int | None, lo: int | None = None, *, huge: bool = False, **extra: Any) -> Arg:
    """An int ``>= lo``: None (unless None is the valid value), a string, a non-integral float, a bool, the int
    just below ``lo`` (and 0 when ``lo > 0``); ``huge`` (100000) where the cost grows faster than linearly in
    it, so that it has an upper bound."""
    bad: dict[str, Callable[[Any], Any]] = {"str": lambda v: "bad", "float": lambda v: 2.5, "bool": lambda v: True}
    if value is not None:
        bad["none"] = lambda v: None
    if lo is not None:
        bad["low"] = lambda v: lo - 1
        if lo > 0:
            bad["zero"] = lambda v: 0
    if huge:
        bad["huge"] = lambda v: 100_000
    bad.update({k: (lambda v, x=x: x) for k, x in extra.items()})
    return Arg(lambda: value, bad)


def option(value: Any, **extra: Any) -> Arg:
    """One of a few names: None, an unknown name, a number."""
    bad = {"none": lambda v: None, "unknown": lambda v: "bogus", "number": lambda v: 3}
    bad.update({k: (lambda v, x=x: x) for k, x in extra.items()})
    return Arg(lambda: value, bad)


def function(value: Callable[..., Any]) -> Arg:
    """A callable: None, a string."""
    return Arg(lambda: value, {"none": lambda v: None, "str": lambda v: "bad"})


def instance(make: Callable[[], Any], optional: bool = False) -> Arg:
    """An object of a given kind (a mixture, a path, an SDE): None, a string, a number."""
    bad = {"str": lambda v: "bad", "number": lambda v: 3}
    if not optional:
        bad["none"] = lambda v: None
    return Arg(make, bad)


def flag(value: bool) -> Arg:
    """A bool: None, a string."""
    return Arg(lambda: value, {"none": lambda v: None, "str": lambda v: "bad"})


def dtype(value: torch.dtype) -> Arg:
    """A floating torch dtype (None is torch's default)."""
    return Arg(lambda: value, {"str": lambda v: "bad", "int": lambda v: torch.int64, "bool": lambda v: torch.bool})


# =============================================================================================== impl recipes
B, D, K, T, M = 3, 2, 4, 5, 2  # batch, dimension, states/categories, steps, sequence length: all distinct


def _rand(*shape: int, seed: int = 0, low: float | None = None, high: float | None = None) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    if low is not None:
        return low + (high - low) * torch.rand(*shape, generator=g, dtype=torch.float64)
    return torch.randn(*shape, generator=g, dtype=torch.float64)


def _rows(seed: int = 0) -> Callable[[], torch.Tensor]:
    return lambda: _rand(B, D, seed=seed)


def _probs(*shape: int, seed: int = 0) -> Callable[[], torch.Tensor]:
    def make() -> torch.Tensor:
        p = _rand(*shape, seed=seed, low=0.5, high=1.5)
        return p / p.sum(-1, keepdim=True)
    return make


def _stochastic(n: int, seed: int = 0) -> Callable[[], torch.Tensor]:
    """``(n, K, K)`` column-stochastic matrices (the lecture's convention)."""
    def make() -> torch.Tensor:
        q = _rand(n, K, K, seed=seed, low=0.5, high=1.5)
        return q / q.sum(-2, keepdim=True)
    return make


def _spd(n: int, d: int = D, seed: int = 0) -> Callable[[], torch.Tensor]:
    def make() -> torch.Tensor:
        a = _rand(n, d, d, seed=seed)
        return a @ a.mT + torch.eye(d, dtype=torch.float64)
    return make


def _impl_mixture() -> Any:
    from dgmcheck.impl.mixture import GaussianMixtureModel

    return GaussianMixtureModel([0.3, 0.7], _rand(2, D), _spd(2)())


def _impl_sde() -> Any:
    from dgmcheck.impl.sde import VPSDE

    return VPSDE(0.1, 2.0)


def _score_x(x: torch.Tensor) -> torch.Tensor:
    return -x


def _score_xt(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return -x


def _log_density(x: torch.Tensor) -> torch.Tensor:
    return -0.5 * (x * x).sum(-1)


def _log_prob_xt(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return -0.5 * (x * x).sum(-1) / (1 + t)


def _drift(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return -0.5 * x


def _diffusion(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return torch.ones(x.shape[0], dtype=x.dtype, device=x.device)


def _class_log_probs(x: torch.Tensor) -> torch.Tensor:
    return torch.log_softmax(torch.stack([x.sum(-1), -x.sum(-1)], 1), 1)


def _denoiser_tokens(x: torch.Tensor) -> torch.Tensor:
    return torch.full((*x.shape, K), 1.0 / K, dtype=torch.float64)


def _linear_flow() -> Any:
    from dgmcheck.impl.flows import LinearFlow

    return LinearFlow(torch.eye(D, dtype=torch.float64) * 2)


def _impl_diffusion() -> Any:
    from dgmcheck.impl.ddpm import GaussianDiffusion

    return GaussianDiffusion(torch.linspace(0.1, 0.3, T, dtype=torch.float64))


_BETAS = lambda: torch.linspace(0.1, 0.3, T, dtype=torch.float64)  # noqa: E731
_ALPHA_BARS = lambda: torch.cumprod(1 - _BETAS(), 0)  # noqa: E731
_UNIT = {"low": lambda v: -v.abs() - 0.1, "high": lambda v: v.abs() + 1.1}  # outside (0, 1)
_NEG = {"neg": lambda v: -v.abs() - 0.1}
# grids of 5 times (4 steps) and 4 noise levels: no leading size equals the batch B
_SIGMAS_UP = lambda: torch.tensor([0.1, 0.3, 0.5, 1.0], dtype=torch.float64)  # noqa: E731
_TS_DOWN = lambda: torch.tensor([1.0, 0.8, 0.6, 0.4, 0.3], dtype=torch.float64)  # noqa: E731
_TS_UP = lambda: torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0], dtype=torch.float64)  # noqa: E731
_TIME = real(0.5, 0.0, 1.0, closed="lo hi")
_ROWS = tensor(_rows(0))

IMPL: dict[str, Arg] = {
    # ----------------------------------------------------------------- shared names
    **{name: tensor(_rows(i)) for i, name in enumerate(
        ("x", "x0", "x1", "x_T", "x_init", "x_noisy", "noise", "eps", "denoised", "true_score", "probe",
         "s_uncond", "s_cond", "eps_uncond", "eps_cond", "classifier_grad", "mu", "logvar", "mu_q", "logvar_q",
         "mu_p", "logvar_p"))},
    "sigma": positive(0.7),
    "sigma_next": real(0.3, 0.0, closed="lo"),
    "sigma_min": positive(0.1),
    "sigma_max": positive(2.0),
    "beta_min": positive(0.1),
    "beta_max": positive(2.0),
    "betas": tensor(_BETAS, **_UNIT),
    "alphas_cumprod": tensor(_ALPHA_BARS, **_UNIT, increasing=lambda v: v.flip(0)),
    "convention": option("column"),
    "K": integer(K, 2),
    "T": integer(T, 1),
    "n": integer(4, 1),
    "dim": integer(D, 1),
    "hidden": integer(4, 1),
    "seed": integer(0),
    "scale": positive(0.5),
    "dtype": dtype(torch.float64),
    "method": option("heun"),
    "return_path": flag(False),
    "ts": tensor(_TS_UP, drop=("batch0",), flat=lambda v: v[:1], repeated=lambda v: v * 0),
    "noises": tensor(lambda: _rand(4, B, D)),
    "step_size": positive(0.1),
    "step": positive(0.1),
    "score_fn": function(_score_x),
    "sde": instance(_impl_sde),
    "score": function(_score_xt),
    "eta": real(0.5, 0.0, 1.0, closed="lo hi"),
    "w": real(2.0),
    "gamma": real(2.0),
    "generator": instance(lambda: torch.Generator().manual_seed(0), optional=True),
    "model": instance(_impl_mixture),
    "data": instance(_impl_mixture),
    "f": function(_drift),
    "t": real(0.5, 0.0, 1.0, closed="lo hi"),
    "t0": real(0.0, 0.0, 1.0, closed="lo hi"),
    "t1": real(1.0, 0.0, 1.0, closed="lo hi"),
    "n_steps": integer(4, 1),
    "name": Arg(lambda: "x", {}),  # the label a validator puts in its message: not user input
    # ----------------------------------------------------------------- autoregressive
    "impl.autoregressive.V": integer(3, 2, huge=True),
    "impl.autoregressive.m": integer(2, 1, huge=True),
    "impl.autoregressive.order": integer(None, 0),
    # ----------------------------------------------------------------- ddim, parametrization
    "impl.ddim.final_alpha_cumprod": real(1.0, 0.0, 1.0, closed="hi"),
    # ----------------------------------------------------------------- ddpm (edited elsewhere; in the table)
    "impl.ddpm.betas": tensor(_BETAS, **_UNIT),
    "impl.ddpm.mean1": tensor(_rows(1)),
    "impl.ddpm.mean2": tensor(_rows(2)),
    "impl.ddpm.var1": tensor(lambda: _rand(B, D, low=0.5, high=1.5), **_NEG),
    "impl.ddpm.var2": tensor(lambda: _rand(B, D, seed=1, low=0.5, high=1.5), **_NEG),
    "impl.ddpm.n_freqs": integer(4, 1),
    "impl.ddpm.diffusion": instance(_impl_diffusion),
    "impl.ddpm.weights": tensor(lambda: torch.tensor([0.3, 0.7], dtype=torch.float64), drop=("rank",),
                                unnormalised=_scale(2.0), neg=lambda v: v - 1),
    "impl.ddpm.means": tensor(lambda: _rand(2, D)),
    "impl.ddpm.covs": tensor(_spd(2), indefinite=lambda v: -v),
    # ----------------------------------------------------------------- discrete
    "impl.discrete.validate_tokens.name": Arg(lambda: "x", {}),
    "impl.discrete.validate_tokens.x": tokens(lambda: torch.tensor([[0, 3], [1, 2], [3, 3]]), K, drop=("rank",)),
    "impl.discrete.validate_tokens.K": integer(K, 1),
    "impl.discrete.validate_transition.name": Arg(lambda: "Qs", {}),
    "impl.discrete.Qs": tensor(_stochastic(T), nonstochastic=_scale(2.0), neg=lambda v: v - 1),
    "impl.discrete.x": tokens(lambda: torch.tensor([[0, 3], [1, 2], [3, 3]]), K),
    "impl.discrete.x0": tokens(lambda: torch.tensor([[0, 1], [1, 2], [2, 0]]), K),
    "impl.discrete.x_t": tokens(lambda: torch.tensor([[3, 1], [3, 3], [2, 3]]), K),
    "impl.discrete.betas": tensor(_BETAS, **_UNIT),
    "impl.discrete.mask": integer(K - 1, 0, range=K),
    "impl.discrete.AbsorbingDiffusion.mask": integer(None, 0, range=K),
    "impl.discrete.q": tensor(_probs(B, K), unnormalised=_scale(2.0), neg=lambda v: v - 1),
    "impl.discrete.p": tensor(_probs(B, K, seed=1), unnormalised=_scale(2.0), neg=lambda v: v - 1),
    "impl.discrete.alpha": tensor(lambda: _rand(B, low=0.2, high=0.8), **_UNIT),
    "impl.discrete.dalpha": tensor(lambda: -_rand(B, low=0.5, high=1.5), positive=lambda v: v.abs()),
    "impl.discrete.log_probs": tensor(lambda: _probs(B, M, K)().log(), drop=("-inf",)),
    "impl.discrete.probs": tensor(_probs(B, M, K), unnormalised=_scale(2.0), neg=lambda v: v - 1),
    "impl.discrete.lam_from": real(0.8, 0.0, 1.0, closed="hi"),
    "impl.discrete.lam_to": real(0.4, 0.0, 1.0, closed="lo"),
    "impl.discrete.u": tensor(lambda: _rand(B, M, low=0.0, high=1.0), **_UNIT),
    "impl.discrete.denoiser": function(_denoiser_tokens),
    "impl.discrete.shape": Arg(lambda: (B, M), {"none": lambda v: None, "str": lambda v: "bad",
                                                "neg": lambda v: (-1, M), "float": lambda v: (2.5, M)}),
    "impl.discrete.lambdas": Arg(lambda: [1.0, 0.5, 0.0], {
        "none": lambda v: None, "str": lambda v: "bad", "empty": lambda v: [], "nan": lambda v: [1.0, math.nan, 0.0],
        "increasing": lambda v: v[::-1]}),
    "impl.discrete.device": Arg(lambda: "cpu", {"unknown": lambda v: "bogus", "number": lambda v: 3.5}),
    # ----------------------------------------------------------------- edm
    "impl.edm.sigma": positive(0.7),
    "impl.edm.alpha_bar.sigma": tensor(lambda: _rand(B, low=0.5, high=1.5), drop=("rank",), **_NEG),
    "impl.edm.n": integer(4, 2),
    "impl.edm.rho": positive(7.0),
    "impl.edm.model": function(lambda x, s: 0.5 * x),
    "impl.edm.sigmas": tensor(lambda: torch.tensor([2.0, 1.0, 0.5, 0.0], dtype=torch.float64), drop=("batch0",),
                              increasing=lambda v: v.flip(0), neg=lambda v: v - 3),
    "impl.edm.device": Arg(lambda: "cpu", {"unknown": lambda v: "bogus", "number": lambda v: 3.5}),
    "impl.edm.vp_input.sigma": real(0.7, 0.0, closed="lo"),
    "impl.edm.denoised_from_eps.sigma": real(0.7, 0.0, closed="lo"),
    # ----------------------------------------------------------------- flow matching
    "impl.flow_matching.sigma_min": real(0.0, 0.0, 1.0, closed="lo"),
    "impl.flow_matching.field": function(lambda x, t: -x),
    "impl.flow_matching.method": option("euler"),
    # ----------------------------------------------------------------- flows
    "impl.flows.W": tensor(lambda: torch.eye(D, dtype=torch.float64) * 2, singular=lambda v: v * 0),
    "impl.flows.b": tensor(lambda: torch.zeros(D, dtype=torch.float64), drop=("batch0", "none")),
    "impl.flows.P": tensor(lambda: torch.eye(D, dtype=torch.float64), drop=("batch0",)),
    "impl.flows.L_strict": tensor(lambda: torch.zeros(D, D, dtype=torch.float64), drop=("batch0",)),
    "impl.flows.U_strict": tensor(lambda: torch.zeros(D, D, dtype=torch.float64), drop=("batch0",)),
    "impl.flows.log_s": tensor(lambda: torch.zeros(D, dtype=torch.float64), drop=("batch0",)),
    "impl.flows.sign": tensor(lambda: torch.ones(D, dtype=torch.float64), drop=("batch0",),
                              zero=lambda v: v * 0),
    "impl.flows.Q": tensor(lambda: torch.eye(D, dtype=torch.float64), drop=("batch0",),
                           nonorthogonal=_scale(2.0)),
    "impl.flows.R_strict": tensor(lambda: torch.zeros(D, D, dtype=torch.float64), drop=("batch0",)),
    "impl.flows.log_r": tensor(lambda: torch.zeros(D, dtype=torch.float64), drop=("batch0",)),
    "impl.flows.d": integer(1, 1),
    "impl.flows.AffineCoupling.dim": integer(3, 2),
    "impl.flows.masks": Arg(lambda: None, {"str": lambda v: "bad", "number": lambda v: 3}),
    "impl.flows.layers": Arg(lambda: [_linear_flow()], {"none": lambda v: None, "str": lambda v: "bad",
                                                        "empty": lambda v: [], "number": lambda v: [3]}),
    # ----------------------------------------------------------------- guidance
    "impl.guidance.score": tensor(_rows(0)),
    "impl.guidance.log_probs": function(_class_log_probs),
    "impl.guidance.y": Arg(lambda: torch.tensor([0, 1, 0]), {
        "none": lambda v: None, "str": lambda v: "bad", "float": lambda v: v.double(), "range": lambda v: v + 5,
        "neg": lambda v: v - 1, "meta": lambda v: v.to("meta"), "batch": lambda v: v[:1]}),
    "impl.guidance.logits": flag(False),
    "impl.guidance.convention": option("w"),
    # ----------------------------------------------------------------- langevin
    "impl.langevin.convention": option("eta"),
    "impl.langevin.score_fn": function(_score_xt),
    "impl.langevin.langevin_step.score_fn": function(_score_x),
    "impl.langevin.langevin_sample.score_fn": function(_score_x),
    "impl.langevin.sigmas": tensor(_SIGMAS_UP, drop=("batch0",), **_NEG),
    "impl.langevin.steps": tensor(lambda: torch.tensor([0.1, 0.05, 0.02, 0.01], dtype=torch.float64),
                                  drop=("batch0",), **_NEG),
    "impl.langevin.noises": tensor(lambda: _rand(2, B, D)),
    "impl.langevin.annealed_langevin.noises": tensor(lambda: _rand(4, 2, B, D)),
    "impl.langevin.ncsn_sample.noises": tensor(lambda: _rand(4, 2, B, D)),
    "impl.langevin.ncsn_sample.sigmas": tensor(_SIGMAS_UP, drop=("batch0",), decreasing=lambda v: v.flip(0)),
    "impl.langevin.ncsn_loss.sigmas": tensor(_SIGMAS_UP, drop=("batch0",), decreasing=lambda v: v.flip(0)),
    "impl.langevin.annealed_langevin.sigmas": tensor(_SIGMAS_UP, drop=("batch0",), **_NEG),
    "impl.langevin.n_levels": integer(3, 1),
    "impl.langevin.eps": positive(0.01),
    "impl.langevin.t": integer(2, 1, range=5),
    # ----------------------------------------------------------------- metrics
    "impl.metrics.S1": tensor(lambda: _spd(1)()[0], drop=("batch0",)),
    "impl.metrics.S2": tensor(lambda: _spd(1, seed=1)()[0], drop=("batch0",)),
    "impl.metrics.mu1": tensor(lambda: _rand(D), drop=("batch0",)),
    "impl.metrics.mu2": tensor(lambda: _rand(D, seed=1), drop=("batch0",)),
    "impl.metrics.X": tensor(lambda: _rand(5, D)),
    "impl.metrics.features_a": tensor(lambda: _rand(5, D)),
    "impl.metrics.features_b": tensor(lambda: _rand(6, D, seed=1)),
    "impl.metrics.real": tensor(lambda: _rand(5, D)),
    "impl.metrics.fake": tensor(lambda: _rand(6, D, seed=1)),
    "impl.metrics.k": integer(2, 1, range=10),
    # ----------------------------------------------------------------- mixture
    "impl.mixture.weights": tensor(lambda: torch.tensor([0.3, 0.7], dtype=torch.float64), drop=("rank",),
                                   unnormalised=_scale(2.0), neg=lambda v: v - 1),
    "impl.mixture.means": tensor(lambda: _rand(2, D)),
    "impl.mixture.covs": tensor(_spd(2), indefinite=lambda v: -v),
    # ----------------------------------------------------------------- ode
    "impl.ode.f": function(_drift),
    "impl.ode.t": real(0.5),
    "impl.ode.t0": real(0.0),
    "impl.ode.t1": real(1.0),
    "impl.ode.like": tensor(_rows(0), drop=("nan", "inf", "-inf", "rank", "empty", "batch0")),
    "impl.ode.kind": option("rademacher"),
    "impl.ode.probes": tensor(lambda: _rand(2, B, D)),
    "impl.ode.time_grid.x0": tensor(_rows(1), drop=("nan", "inf", "-inf", "rank", "empty", "batch0")),
    "impl.ode.log_density_path.probes": Arg(lambda: None, {"str": lambda v: "bad", "nan": lambda v: torch.full(
        (2, B, D), math.nan, dtype=torch.float64), "rank": lambda v: torch.zeros(D, dtype=torch.float64)}),
    "impl.ode.reduce": flag(True),
    "impl.ode.log_p0": tensor(lambda: _rand(B)),
    "impl.ode.divergence": option("exact"),
    "impl.ode.n_probes": integer(1, 1),
    "impl.ode.probe_kind": option("rademacher"),
    "impl.ode.ts": tensor(_TS_UP, drop=("batch0",), flat=lambda v: v[:1], repeated=lambda v: v * 0),
    # ----------------------------------------------------------------- samplers
    "impl.samplers.t": real(0.5, 0.0, 1.0, closed="lo hi"),
    "impl.samplers.ts": tensor(_TS_DOWN, drop=("batch0",), increasing=lambda v: v.flip(0),
                               range=lambda v: v + 5),
    "impl.samplers.noises": tensor(lambda: _rand(4, B, D)),
    "impl.samplers.corrector_noises": tensor(lambda: _rand(4, 1, B, D)),
    "impl.samplers.predictor": option("reverse_sde"),
    "impl.samplers.drift": function(_drift),
    "impl.samplers.diffusion": function(_diffusion),
    "impl.samplers.log_prob": function(_log_prob_xt),
    "impl.samplers.ScoreSDE.data": Arg(lambda: None, {}),  # free-form: records the data law, read by nothing here
    "impl.samplers.second_order": real(-0.5),
    "impl.samplers.kfp_residual.t": real(0.5),
    "impl.samplers.langevin_corrector_step.t": real(0.5),
    "impl.samplers.model": instance(_impl_mixture),
    # ----------------------------------------------------------------- schedules
    "impl.schedules.beta_start": real(1e-4, 0.0, 1.0),
    "impl.schedules.beta_end": real(0.02, 0.0, 1.0),
    "impl.schedules.s": real(0.008, 0.0, closed="lo"),
    "impl.schedules.max_beta": real(0.999, 0.0, 1.0),
    # ----------------------------------------------------------------- score
    "impl.score.value": positive(0.5),
    "impl.score.per_row.name": Arg(lambda: "value", {}),
    "impl.score.checked_score.name": Arg(lambda: "out", {}),
    "impl.score.out": tensor(_rows(1)),
    "impl.score.log_density": function(_log_density),
    "impl.score.sigma": positive(0.5),
    "impl.score.A": tensor(lambda: -torch.eye(D, dtype=torch.float64), drop=("batch0",)),
    "impl.score.b": tensor(lambda: torch.zeros(D, dtype=torch.float64), drop=("batch0",)),
    "impl.score.scale": positive(1.0),
    # ----------------------------------------------------------------- sde
    "impl.sde.t": real(0.5, 0.0, 1.0, closed="lo hi"),
    "impl.sde.sde_times.T": positive(1.0),
    "impl.sde.sde_times.name": Arg(lambda: "t", {}),
    "impl.sde.T": positive(1.0),
    "impl.sde.drift": function(_drift),
    "impl.sde.diffusion": function(_diffusion),
    "impl.sde.ts": tensor(_TS_UP, drop=("batch0",), flat=lambda v: v[:1], repeated=lambda v: v * 0),
    "impl.sde.score_model": function(_score_xt),
    "impl.sde.fn": function(_drift),
    "impl.sde.xt_order.name": Arg(lambda: "diffusion", {}),
    "impl.sde.weight": Arg(lambda: None, {"str": lambda v: "bad", "nan": lambda v: math.nan,
                                          "neg": lambda v: -1.0}),
    # ----------------------------------------------------------------- tricks
    "impl.tricks.log_prob": tensor(lambda: _rand(B)),
    "impl.tricks.score_surrogate.f": tensor(lambda: _rand(B, seed=1)),
    "impl.tricks.a": tensor(lambda: _rand(B, D), drop=("-inf",)),
    "impl.tricks.values": tensor(lambda: _rand(B, D)),
    "impl.tricks.dim": integer(-1, range=5),
    "impl.tricks.p": tensor(lambda: _probs(K)(), drop=("batch0", "rank"), unnormalised=_scale(2.0),
                            neg=lambda v: v - 1),
    "impl.tricks.f_map": Arg(lambda: torch.tensor([0, 1, 1, 0]), {
        "none": lambda v: None, "str": lambda v: "bad", "float": lambda v: v.double(), "range": lambda v: v + 5,
        "neg": lambda v: v - 1, "meta": lambda v: v.to("meta")}),
    "impl.tricks.n_out": integer(2, 1),
    "impl.tricks.nascent_delta_expectation.f": function(lambda z: (z * z).sum(-1)),
    "impl.tricks.x0": tensor(lambda: _rand(D), drop=("batch0",)),
    "impl.tricks.sigma": real(0.5, 0.0, closed="lo"),
    "impl.tricks.n": integer(3, 1, huge=True),
    # ----------------------------------------------------------------- vae
    "impl.vae.gaussian_kl.mu_p": tensor(_rows(20), drop=("none",)),
    "impl.vae.gaussian_kl.logvar_p": tensor(_rows(21), drop=("none",)),
    "impl.vae.W": tensor(lambda: _rand(D + 1, D)),
    "impl.vae.b": tensor(lambda: _rand(D + 1, seed=1), drop=("batch0",)),
    "impl.vae.noise_var": tensor(lambda: _rand(D + 1, low=0.5, high=1.5), drop=("batch0",), **_NEG),
    "impl.vae.A": tensor(lambda: _rand(D, D + 1, seed=2)),
    "impl.vae.c": tensor(lambda: _rand(D, seed=3), drop=("batch0",)),
    "impl.vae.D": tensor(lambda: 0.1 * _rand(D, D + 1, seed=4)),
    "impl.vae.e": tensor(lambda: _rand(D, seed=5), drop=("batch0",)),
    "impl.vae.prior_flow": instance(_linear_flow),
    "impl.vae.flow": instance(_linear_flow),
    "impl.vae.sigma": positive(0.5),
    "impl.vae.prior": tensor(_probs(K), drop=("batch0", "rank"), unnormalised=_scale(2.0), neg=lambda v: v - 1),
    "impl.vae.likelihood": tensor(_probs(K, 3), unnormalised=_scale(2.0), neg=lambda v: v - 1),
    "impl.vae.q": tensor(_probs(B, K), unnormalised=_scale(2.0), neg=lambda v: v - 1),
    "impl.vae.p": tensor(_probs(B, K, seed=1), unnormalised=_scale(2.0), neg=lambda v: v - 1),
    "impl.vae.logits": tensor(lambda: _rand(K), drop=("batch0", "rank", "-inf")),
    "impl.vae.elbo_surgery.prior": tensor(_probs(K), drop=("batch0", "rank"), unnormalised=_scale(2.0),
                                          neg=lambda v: v - 1),
    # ----------------------------------------------------------------- vq
    "impl.vq.codebook": tensor(lambda: _rand(K, D)),
}

# =============================================================================================== theory recipes
def _np(*shape: int, seed: int = 0, low: float | None = None, high: float | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape) if low is None else rng.uniform(low, high, size=shape)


def _law(*shape: int, seed: int = 0) -> Callable[[], np.ndarray]:
    def make() -> np.ndarray:
        p = _np(*shape, seed=seed, low=0.5, high=1.5)
        return p / p.sum(-1, keepdims=True)
    return make


def _np_spd(d: int = D, seed: int = 0) -> Callable[[], np.ndarray]:
    def make() -> np.ndarray:
        a = _np(d, d, seed=seed)
        return a @ a.T + np.eye(d)
    return make


def _mixture(d: int = D) -> Callable[[], Any]:
    def make() -> Any:
        from dgmcheck.theory.gaussian_mixture import GaussianMixture

        return GaussianMixture(np.array([0.3, 0.7]), _np(2, d), np.stack([_np_spd(d, 1)(), _np_spd(d, 2)()]))
    return make


def _rows_np(seed: int = 0, d: int = D) -> Callable[[], np.ndarray]:
    return lambda: _np(B, d, seed=seed)


def _small_grid() -> Any:
    from dgmcheck.theory.guidance import quadrature_grid

    return quadrature_grid(_mixture()(), n=41)


def _stochastic_np(n: int = 0, seed: int = 0) -> np.ndarray:
    """Column-stochastic ``(K, K)`` (or ``(n, K, K)``) matrices with every entry positive."""
    q = _np(*((n,) if n else ()), K, K, seed=seed, low=0.5, high=1.5)
    return q / q.sum(-2, keepdims=True)


def _path_spec(kind: str = "conical") -> Any:
    from dgmcheck.theory.flow_matching import PathSpec

    return PathSpec(kind, sigma_min=0.01)


def _sde_spec() -> Any:
    from dgmcheck.theory.fokker_planck import SDESpec

    return SDESpec("vp", 0.1, 2.0)


def _path_derivatives() -> Any:
    from dgmcheck.theory.fokker_planck import path_derivatives

    return path_derivatives(_sde_spec(), _mixture()(), 0.5, _np(B, D))


def _symbolic_sde() -> Any:
    from dgmcheck.theory.fokker_planck import symbolic_sde

    return symbolic_sde("ve")


def _gaussian_components() -> Any:
    from dgmcheck.theory.fokker_planck import default_components

    return default_components("gaussian")


def _linear_chain() -> Any:
    from dgmcheck.theory.linear_gaussian import ddpm_sampler_chain

    return ddpm_sampler_chain(np.linspace(0.1, 0.3, T), np.zeros(D), np.ones(D), "beta")


def _theory_sde(kind: str) -> Any:
    from dgmcheck.theory import sde

    return getattr(sde, kind)(0.1, 2.0)


_NP_NEG = {"neg": lambda v: -np.abs(v) - 0.1}
_NP_UNIT = {"low": lambda v: -np.abs(v) - 0.1, "high": lambda v: np.abs(v) + 1.1}
_NP_LAW = {"unnormalised": _scale(2.0), "neg": lambda v: v - 1}
_MIX = instance(_mixture())
_MIX_1D = instance(_mixture(1))

THEORY: dict[str, Arg] = {
    # ----------------------------------------------------------------- shared names
    **{name: array(_rows_np(i)) for i, name in enumerate(("x", "y", "x0", "x_t", "eps", "noise", "denoised"))},
    "mix": _MIX,
    "mixture": _MIX,
    "data": _MIX,
    "sigma": positive(0.7),
    "name": Arg(lambda: "x", {}),  # the label a validator puts in its message: not user input
    # ----------------------------------------------------------------- autoregressive
    "theory.autoregressive.V": integer(3, 1, huge=True),
    "theory.autoregressive.m": integer(2, 1, huge=True),
    "theory.autoregressive.parameter_count.V": integer(3, 1),
    "theory.autoregressive.num_sequences.V": integer(3, 1),  # an exact Python int: V**m has no bound
    "theory.autoregressive.num_sequences.m": integer(2, 1),
    "theory.autoregressive.parameter_count.m": integer(2, 1),
    "theory.autoregressive.order": integer(None, 0),
    "theory.autoregressive.seed": integer(0),
    "theory.autoregressive.joint": array(lambda: _law(9)().reshape(3, 3), unnormalised=_scale(2.0),
                                         neg=lambda v: v - 1),
    "theory.autoregressive.x": Arg(lambda: np.array([0, 2]), {
        "none": lambda v: None, "str": lambda v: "bad", "range": lambda v: v + 3, "neg": lambda v: v - 1,
        "float": lambda v: v + 0.5, "long": lambda v: np.array([0, 1, 2])}),
    "theory.autoregressive.cond": function(lambda x: np.full((2, 3), 1.0 / 3)),
    "theory.autoregressive.batched": flag(False),
    # ----------------------------------------------------------------- ddim (T = 5)
    "theory.ddim.alpha_bars": array(lambda: np.cumprod(1 - np.linspace(0.1, 0.3, T)), drop=("rank",),
                                    increasing=lambda v: v[::-1], **_NP_UNIT),
    "theory.ddim.validate_alpha_bars.name": Arg(lambda: "alpha_bars", {}),
    "theory.ddim.validate_steps.name": Arg(lambda: "steps", {}),
    "theory.ddim.validate_grid.name": Arg(lambda: "grid", {}),
    "theory.ddim.betas": array(lambda: np.linspace(0.1, 0.3, T), drop=("rank",), **_NP_UNIT),
    "theory.ddim.final": real(1.0, 0.0, 1.0, closed="hi"),
    "theory.ddim.alpha_bar_t": real(0.5, 0.0, 1.0),
    "theory.ddim.alpha_bar_s": real(0.8, 0.0, 1.0, closed="hi"),
    "theory.ddim.eta": real(0.5, 0.0, 1.0, closed="lo hi"),
    "theory.ddim.t": integer(4, 1, range=T + 1),
    "theory.ddim.s": integer(2, 0, range=T + 1),
    "theory.ddim.x_t": array(_rows_np(0), drop=("rank",)),
    "theory.ddim.eps": array(_rows_np(1)),
    "theory.ddim.noise": array(_rows_np(2)),
    "theory.ddim.grid": Arg(lambda: np.array([5, 3, 1]), {
        "none": lambda v: None, "str": lambda v: "bad", "empty": lambda v: np.array([], dtype=np.int64),
        "increasing": lambda v: v[::-1], "range": lambda v: v + 10, "float": lambda v: v + 0.5}),
    "theory.ddim.steps": Arg(lambda: np.array([1, 3, 5]), {
        "none": lambda v: None, "str": lambda v: "bad", "empty": lambda v: np.array([], dtype=np.int64),
        "decreasing": lambda v: v[::-1], "range": lambda v: v + 10, "float": lambda v: v + 0.5}),
    "theory.ddim.respaced_step.t": integer(3, 1, range=2),
    "theory.ddim.T": integer(10, 1),
    "theory.ddim.validate_steps.T": integer(T, 1),
    "theory.ddim.validate_grid.T": integer(T, 1),
    "theory.ddim.n": integer(4, 1, range=11),
    "theory.ddim.spacing": option("leading"),
    "theory.ddim.steps_offset": integer(0, 0, range=20),
    "theory.ddim.K": integer(3, 1, huge=True),
    # ----------------------------------------------------------------- ddpm (edited elsewhere; in the table)
    "theory.ddpm.betas": array(lambda: np.linspace(0.1, 0.3, T), drop=("rank",), **_NP_UNIT),
    "theory.ddpm.t": integer(2, 1, range=T + 1),
    "theory.ddpm.kind": option("beta_tilde"),
    "theory.ddpm.x0": array(lambda: _np(D)),
    "theory.ddpm.beta": array(lambda: np.array([0.1, 0.2]), **_NP_UNIT),
    # ----------------------------------------------------------------- discrete (edited elsewhere; K = 4, mask 3)
    "theory.discrete.convention": option("column"),
    "theory.discrete.Q": array(lambda: _stochastic_np(), nonstochastic=_scale(2.0), neg=lambda v: v - 1),
    "theory.discrete.Qs": array(lambda: _stochastic_np(T), nonstochastic=_scale(2.0), neg=lambda v: v - 1),
    "theory.discrete.P": array(lambda: _stochastic_np(T, seed=1), nonstochastic=_scale(2.0), neg=lambda v: v - 1),
    "theory.discrete.validate_transition.name": Arg(lambda: "Q", {}),
    "theory.discrete.stationary_law.Qs": array(lambda: np.stack([(1 - b) * np.eye(K) + b / K for b in (0.2, 0.5)]),
                                               nonstochastic=_scale(2.0), neg=lambda v: v - 1),
    "theory.discrete.atol": positive(1e-9),
    "theory.discrete.beta": real(0.3, 0.0, 1.0, closed="hi"),
    "theory.discrete.betas": Arg(lambda: [0.1, 0.2, 0.3], {
        "none": lambda v: None, "str": lambda v: "bad", "empty": lambda v: [], "nan": lambda v: [math.nan, 0.2, 0.3],
        "range": lambda v: [1.5, 0.2, 0.3], "neg": lambda v: [-0.1, 0.2, 0.3]}),
    "theory.discrete.K": integer(K, 2),  # no "huge": theory/discrete.py does not bound K yet (a K × K table)
    "theory.discrete.mask": integer(K - 1, 0, range=K),
    "theory.discrete.t": integer(2, 1, range=T + 1),
    "theory.discrete.absorbing_posterior.t": integer(2, 1, range=4),
    "theory.discrete.absorbing_loss_enumeration.t": integer(2, 1, range=4),
    "theory.discrete.absorbing_loss_closed_form.t": integer(2, 1, range=4),
    "theory.discrete.x0": integer(1, 0, range=K),
    "theory.discrete.x_t": integer(K - 1, 0, range=K),
    "theory.discrete.q": array(_law(K), drop=("rank",), **_NP_LAW),
    "theory.discrete.p": array(_law(K, seed=1), drop=("rank",), **_NP_LAW),
    "theory.discrete.prior": array(_law(K, seed=2), drop=("rank",), **_NP_LAW),
    "theory.discrete.data": array(_law(K, seed=3), drop=("rank",), **_NP_LAW),
    "theory.discrete.X0": Arg(lambda: (0, 1), {"none": lambda v: None, "str": lambda v: "bad",
                                                "range": lambda v: (0, 7), "empty": lambda v: ()}),
    "theory.discrete.Xt": Arg(lambda: (3, 1), {"none": lambda v: None, "str": lambda v: "bad",
                                               "range": lambda v: (0, 7), "short": lambda v: (3,)}),
    "theory.discrete.denoiser": function(lambda X: np.tile(np.array([0.5, 0.25, 0.25, 0.0]), (2, 1))),
    "theory.discrete.alpha": real(0.6, 0.0, 1.0, closed="lo"),
    "theory.discrete.dalpha": real(-1.0, positive=1.0),
    "theory.discrete.lam_lo": real(0.0, 0.0, 1.0, closed="lo hi"),
    "theory.discrete.lam_hi": real(1.0, 0.0, 1.0, closed="lo hi"),
    "theory.discrete.abars": Arg(lambda: [1.0, 0.8, 0.5, 0.2], {"none": lambda v: None, "str": lambda v: "bad",
                                                               "range": lambda v: [1.0, 1.5, 0.5, 0.2]}),
    "theory.discrete.exact_denoiser.data": Arg(lambda: {(0, 1): 0.5, (1, 2): 0.5}, {
        "none": lambda v: None, "str": lambda v: "bad", "unnormalised": lambda v: {(0, 1): 1.0, (1, 2): 1.0}}),
    "theory.discrete.mdlm_sampler_law.data": Arg(lambda: {(0, 1): 0.5, (1, 2): 0.5}, {
        "none": lambda v: None, "str": lambda v: "bad", "unnormalised": lambda v: {(0, 1): 1.0, (1, 2): 1.0}}),
    "theory.discrete.X": Arg(lambda: (3, 1), {"none": lambda v: None, "str": lambda v: "bad",
                                              "range": lambda v: (7, 1)}),
    "theory.discrete.fallback": flag(False),
    "theory.discrete.x": integer(K - 1, 0, range=K),
    "theory.discrete.lam_from": real(0.8, 0.0, 1.0, closed="hi"),
    "theory.discrete.lam_to": real(0.4, 0.0, 1.0, closed="lo"),
    "theory.discrete.probs": array(lambda: np.array([0.5, 0.25, 0.25, 0.0]), drop=("rank",), **_NP_LAW),
    "theory.discrete.m": integer(M, 1),
    "theory.discrete.lambdas": Arg(lambda: [1.0, 0.5, 0.0], {
        "none": lambda v: None, "str": lambda v: "bad", "empty": lambda v: [], "nan": lambda v: [1.0, math.nan, 0.0],
        "increasing": lambda v: v[::-1]}),
    "theory.discrete.joint": flag(False),
    "theory.discrete.derive_cumulative_closed_forms.K": integer(2, 2),
    "theory.discrete.derive_cumulative_closed_forms.T": integer(2, 1),
    # ----------------------------------------------------------------- edm
    "theory.edm.den": function(lambda x, s: 0.5 * x),
    "theory.edm.sigma_next": real(0.3, 0.0, closed="lo"),
    "theory.edm.sigma_min": positive(0.1),
    "theory.edm.sigma_max": positive(2.0),
    "theory.edm.rho": positive(7.0),
    "theory.edm.n": integer(4, 2),
    "theory.edm.method": option("heun"),
    "theory.edm.sigmas": array(lambda: np.array([2.0, 1.0, 0.5, 0.0]), increasing=lambda v: v[::-1],
                               **_NP_NEG),
    "theory.edm.alpha_bar.sigma": array(lambda: _np(B, low=0.5, high=1.5), drop=("rank",), **_NP_NEG),
    "theory.edm.denoiser.sigma": real(0.7, 0.0, closed="lo"),
    "theory.edm.noised.sigma": real(0.7, 0.0, closed="lo"),
    "theory.edm.score.sigma": real(0.7, 0.0, closed="lo"),
    "theory.edm.denoiser_from_eps.sigma": real(0.7, 0.0, closed="lo"),
    "theory.edm.vp_input.sigma": real(0.7, 0.0, closed="lo"),
    "theory.edm.derivative_lipschitz.sigma": real(0.7, 0.0, closed="lo"),
    "theory.edm.abar": real(0.6, 0.0, 1.0, closed="hi"),
    "theory.edm.sigma_of_alpha_bar.abar": array(lambda: _np(B, low=0.2, high=0.9), drop=("rank",), **_NP_UNIT),
    "theory.edm.vp_input.x": array(_rows_np(0), drop=("rank",)),
    "theory.edm.dsigma_dt": real(1.5),
    "theory.edm.beta": real(1.5, 0.0, closed="lo"),
    "theory.edm.mean": array(lambda: _np(D), drop=("rank",)),
    "theory.edm.cov": array(_np_spd(), indefinite=lambda v: -v),
    "theory.edm.sigma_from": positive(1.0),
    "theory.edm.sigma_to": positive(0.5),
    "theory.edm.gaussian_flow.sigma_from": real(1.0, 0.0, closed="lo"),
    "theory.edm.gaussian_flow.sigma_to": real(0.5, 0.0, closed="lo"),
    "theory.edm.rtol": positive(1e-6),
    "theory.edm.atol": positive(1e-6),
    # ----------------------------------------------------------------- flow matching
    "theory.flow_matching.kind": option("conical"),
    "theory.flow_matching.sigma_min": real(0.01, 0.0, 1.0, closed="lo"),
    "theory.flow_matching.sigma_max": positive(1.0),
    "theory.flow_matching.beta_min": positive(0.1),
    "theory.flow_matching.beta_max": positive(2.0),
    "theory.flow_matching.spec": instance(_path_spec),
    "theory.flow_matching.pf_ode_field.spec": instance(lambda: _path_spec("ve")),
    "theory.flow_matching.t": real(0.5, 0.0, 1.0, closed="lo hi"),
    "theory.flow_matching.t0": real(0.2, 0.0, 1.0, closed="lo hi"),
    "theory.flow_matching.t1": real(0.8, 0.0, 1.0, closed="lo hi"),
    "theory.flow_matching.euler_heun.t0": real(0.2),
    "theory.flow_matching.euler_heun.t1": real(0.8),
    "theory.flow_matching.mean": array(lambda: _np(D), drop=("rank",)),
    "theory.flow_matching.cov": array(_np_spd(), indefinite=lambda v: -v),
    "theory.flow_matching.var": array(lambda: _np(D, low=0.5, high=1.5), drop=("rank",), **_NP_NEG),
    "theory.flow_matching.W": array(lambda: _np(D, D)),
    "theory.flow_matching.b": array(lambda: _np(D), drop=("rank",)),
    "theory.flow_matching.x0": array(_rows_np(1)),
    "theory.flow_matching.euler_heun.x0": array(_rows_np(1), drop=("rank",)),
    "theory.flow_matching.field": function(lambda x, t: -x),
    "theory.flow_matching.mixture_objectives_1d.field": function(lambda x: -x),
    "theory.flow_matching.mixture_objectives_1d.mixture": _MIX_1D,
    "theory.flow_matching.n_nodes": integer(12, 1, huge=True),
    "theory.flow_matching.n_steps": integer(4, 1),
    "theory.flow_matching.method": option("heun"),
    "theory.flow_matching.weights": Arg(lambda: [1.0], {"none": lambda v: None, "str": lambda v: "bad",
                                                           "nan": lambda v: [math.nan, 0.5], "empty": lambda v: []}),
    "theory.flow_matching.means": Arg(lambda: [1], {"none": lambda v: None, "nan": lambda v: [math.nan],
                                                  "long": lambda v: [1, 2]}),
    "theory.flow_matching.variances": Arg(lambda: [1], {"none": lambda v: None, "neg": lambda v: [-1],
                                                      "long": lambda v: [1, 2]}),
    "theory.flow_matching.continuity_residual_1d.sigma_min": real(0.01, 0.0, 1.0, closed="lo"),
    "theory.flow_matching.points": Arg(lambda: [(0.5, 0.3)], {"none": lambda v: None, "empty": lambda v: [],
                                                            "range": lambda v: [(1.5, 0.3)],
                                                            "nan": lambda v: [(0.5, math.nan)]}),
    "theory.flow_matching.digits": integer(15, 15, huge=True),
    # ----------------------------------------------------------------- flows
    "theory.flows.z": array(_rows_np(1)),
    "theory.flows.J": array(lambda: np.eye(D) * 2 + 0.1, singular=lambda v: v * 0),
    "theory.flows.log_det": array(lambda: _np(B), drop=("rank",)),
    "theory.flows.log_dets": Arg(lambda: [_np(B), _np(B, seed=1)], {
        "none": lambda v: None, "str": lambda v: "bad", "empty": lambda v: [],
        "nan": lambda v: [_np(B), [math.nan] * B], "batch": lambda v: [_np(B), _np(B + 1)]}),
    "theory.flows.log_density": function(lambda x: -0.5 * x * x - 0.5 * math.log(2 * math.pi)),
    "theory.flows.W": array(lambda: np.eye(D) * 2 + 0.1, singular=lambda v: v * 0),
    "theory.flows.A": array(lambda: np.eye(D) * 2 + 0.1),
    "theory.flows.lu_positive_exists.W": array(lambda: np.eye(D) * 2 + 0.1),  # singular: answered False
    "theory.flows.lu_positive_permutations.W": array(lambda: np.eye(D) * 2 + 0.1),
    "theory.flows.P": array(lambda: np.eye(D), notpermutation=_scale(2.0)),
    "theory.flows.rtol": positive(1e-12),
    "theory.flows.perm": Arg(lambda: (1, 0), {"none": lambda v: None, "str": lambda v: "bad",
                                            "repeated": lambda v: (0, 0), "float": lambda v: (0.5, 1),
                                            "empty": lambda v: ()}),
    "theory.flows.cond": function(lambda x: (np.zeros(D), np.zeros(D))),
    "theory.flows.coupling_forward.cond": function(lambda x: (np.zeros(D - 1), np.zeros(D - 1))),
    "theory.flows.coupling_inverse.cond": function(lambda x: (np.zeros(D - 1), np.zeros(D - 1))),
    "theory.flows.coupling_as_ar.cond": function(lambda x: (np.zeros(D - 1), np.zeros(D - 1))),
    "theory.flows.d": integer(1, 1, range=D),
    "theory.flows.coupling_as_ar.d": integer(1, 1),
    # ----------------------------------------------------------------- fokker-planck
    "theory.fokker_planck.kind": option("vp"),
    "theory.fokker_planck.lo": positive(0.1),
    "theory.fokker_planck.hi": positive(2.0),
    "theory.fokker_planck.T": positive(1.0),
    "theory.fokker_planck.spec": instance(_sde_spec),
    "theory.fokker_planck.t": real(0.5, 0.0, 1.0, closed="lo hi"),
    "theory.fokker_planck.u": real(0.3, 0.0, 1.0, closed="lo hi"),
    "theory.fokker_planck.ts": array(lambda: np.array([0.9, 0.7, 0.5, 0.3, 0.2]), drop=("rank",),
                                     range=lambda v: v + 1, flat=lambda v: v * 0 + 0.5),
    "theory.fokker_planck.noises": array(lambda: _np(4, B, D)),
    "theory.fokker_planck.noise": array(_rows_np(3)),
    "theory.fokker_planck.corrector_noises": array(lambda: _np(4, 1, B, D)),
    "theory.fokker_planck.step_size": positive(0.01),
    "theory.fokker_planck.method": option("heun"),
    "theory.fokker_planck.predictor": option("reverse_sde"),
    "theory.fokker_planck.der": instance(_path_derivatives),
    "theory.fokker_planck.f": array(_rows_np(4)),
    "theory.fokker_planck.div_f": array(lambda: _np(B), drop=("rank",)),
    "theory.fokker_planck.g2": real(1.5, 0.0, closed="lo"),
    "theory.fokker_planck.second_order": real(-0.5),
    "theory.fokker_planck.score_weight": real(0.5),
    "theory.fokker_planck.path": array(lambda: _np(5, B, D)),
    "theory.fokker_planck.mean": array(lambda: _np(D), drop=("rank",)),
    "theory.fokker_planck.cov": array(_np_spd(), indefinite=lambda v: -v),
    "theory.fokker_planck.mean0": array(lambda: _np(D, seed=1), drop=("rank",)),
    "theory.fokker_planck.cov0": array(_np_spd(seed=3)),
    "theory.fokker_planck.ula_stationary_cov.step_size": positive(0.01, large=100.0),
    "theory.fokker_planck.sde": instance(lambda: _symbolic_sde()),
    "theory.fokker_planck.symbolic_sde.kind": option("ve"),
    "theory.fokker_planck.default_components.kind": option("gaussian"),
    "theory.fokker_planck.components": Arg(_gaussian_components, {
        "str": lambda v: "bad", "number": lambda v: 3, "empty": lambda v: (), "neg": lambda v: ((1, 0, -1),)}),
    "theory.fokker_planck.kfp_residual_1d.kind": option("ve"),
    "theory.fokker_planck.pf_ode_residual_1d.kind": option("ve"),
    "theory.fokker_planck.reverse_kfp_residual_1d.kind": option("ve"),
    "theory.fokker_planck.pf_ode_plus_langevin_1d.kind": option("ve"),
    "theory.fokker_planck.g_power": integer(2, 0, huge=True),
    "theory.fokker_planck.convention": option("lecture"),
    "theory.fokker_planck.noise_var": Arg(lambda: None, {"str": lambda v: "bad", "neg": lambda v: -1.0,
                                                         "nan": lambda v: math.nan}),
    # ----------------------------------------------------------------- gan
    "theory.gan.p_data": array(_law(K), drop=("rank",), **_NP_LAW),
    "theory.gan.p_theta": array(_law(K, seed=1), drop=("rank",), **_NP_LAW),
    "theory.gan.optimal_discriminator.p_data": array(_law(K), drop=("rank",), **_NP_NEG),
    "theory.gan.optimal_discriminator.p_theta": array(_law(K, seed=1), drop=("rank",), **_NP_NEG),
    "theory.gan.D": array(lambda: _np(K, low=0.2, high=0.8), drop=("rank",), **_NP_UNIT),
    "theory.gan.w": Arg(lambda: None, {"str": lambda v: "bad", "nan": lambda v: np.full(K, math.nan),
                                       "neg": lambda v: -np.ones(K), "short": lambda v: np.ones(K - 1)}),
    "theory.gan.x": array(lambda: _np(K), drop=("rank",)),
    "theory.gan.weights": array(lambda: np.array([0.3, 0.7]), drop=("rank",), **_NP_LAW),
    "theory.gan.means": array(lambda: np.array([-1.0, 1.0]), drop=("rank",)),
    "theory.gan.stds": array(lambda: np.array([0.5, 1.0]), drop=("rank",), **_NP_NEG),
    "theory.gan.lo": real(-3.0),
    "theory.gan.hi": real(3.0),
    "theory.gan.n": integer(8, 1, huge=True),
    **{f"theory.gan.{m}": Arg(lambda: (np.array([0.3, 0.7]), np.array([-1.0, 1.0]), np.array([0.5, 1.0])), {
        "none": lambda v: None, "str": lambda v: "bad", "short": lambda v: v[:2],
        "unnormalised": lambda v: (2 * v[0], v[1], v[2]), "neg": lambda v: (v[0], v[1], -v[2]),
        "nan": lambda v: (v[0], np.array([math.nan, 1.0]), v[2])}) for m in ("m1", "m2")},
    # ----------------------------------------------------------------- gaussian mixture
    "theory.gaussian_mixture.weights": array(lambda: np.array([0.3, 0.7]), drop=("rank",), **_NP_LAW),
    "theory.gaussian_mixture.means": array(lambda: _np(2, D)),
    "theory.gaussian_mixture.covs": array(lambda: np.stack([_np_spd(D, 1)(), _np_spd(D, 2)()]),
                                          indefinite=lambda v: -v),
    "theory.gaussian_mixture.scale": real(0.8),
    "theory.gaussian_mixture.noise_var": real(0.5, 0.0, closed="lo"),
    # ----------------------------------------------------------------- guidance
    "theory.guidance.k": integer(1, 0, range=2),
    "theory.guidance.scale": real(0.8),
    "theory.guidance.std": real(0.5, 0.0, closed="lo"),
    "theory.guidance.gamma": real(2.0),
    "theory.guidance.w": real(2.0),
    "theory.guidance.convention": option("w"),
    "theory.guidance.n": integer(41, 2, huge=True),
    "theory.guidance.width": positive(5.0),
    "theory.guidance.grid": Arg(_small_grid, {"str": lambda v: "bad", "number": lambda v: 3,
                                               "nan": lambda v: (np.full((3, D), math.nan), np.ones(3)),
                                               "short": lambda v: (np.zeros((3, D)), np.ones(2))}),
    # ----------------------------------------------------------------- langevin
    "theory.langevin.step": positive(0.1),
    "theory.langevin.convention": option("eta"),
    "theory.langevin.C": array(_np_spd(), indefinite=lambda v: -v),
    "theory.langevin.m": array(lambda: _np(D), drop=("rank",)),
    "theory.langevin.ula_stationary_closed_form.C": array(_np_spd(), drop=("rank",), indefinite=lambda v: -v),
    "theory.langevin.ula_bias.C": array(_np_spd(), drop=("rank",), indefinite=lambda v: -v),
    "theory.langevin.eta": positive(0.1),
    "theory.langevin.ula_stationary.eta": positive(0.1, large=1e3),
    "theory.langevin.ula_stationary_closed_form.eta": positive(0.1, large=1e3),
    "theory.langevin.ula_bias.eta": positive(0.1, large=1e3),
    "theory.langevin.mu": array(lambda: _np(D), drop=("rank",)),
    "theory.langevin.S": array(_np_spd(seed=1)),
    "theory.langevin.M": array(lambda: np.eye(D) * 0.9),
    "theory.langevin.c": array(lambda: _np(D, seed=2), drop=("rank",)),
    "theory.langevin.Q": array(lambda: np.eye(D) * 0.1),
    "theory.langevin.n_steps": integer(3, 0),
    "theory.langevin.mu0": array(lambda: _np(D, seed=3), drop=("rank",)),
    "theory.langevin.S0": array(_np_spd(seed=4), indefinite=lambda v: -v),
    "theory.langevin.sigmas_visited": array(lambda: np.array([1.0, 0.5, 0.1]), drop=("rank",), **_NP_NEG),
    "theory.langevin.etas": array(lambda: np.array([0.1, 0.05, 0.01]), drop=("rank",), **_NP_NEG),
    "theory.langevin.sigma_min": positive(0.1),
    "theory.langevin.sigma_max": positive(2.0),
    "theory.langevin.n_levels": integer(4, 1),
    "theory.langevin.sigmas": array(lambda: np.array([0.1, 0.5, 1.0]), drop=("rank",), **_NP_NEG),
    "theory.langevin.eps": positive(0.01),
    "theory.langevin.fisher": real(1.5, 0.0, closed="lo"),
    # ----------------------------------------------------------------- latent (x: a point (d,) of d = 3, k = 2)
    "theory.latent.x": array(lambda: _np(D + 1)),
    "theory.latent.mean": array(lambda: _np(D + 1, seed=1), drop=("rank",)),
    "theory.latent.cov": array(_np_spd(D + 1), indefinite=lambda v: -v),
    **{f"theory.latent.{m}": array(lambda s=i: _np(D, seed=s), drop=("rank",))
       for i, m in enumerate(("m1", "m2", "m", "m0", "mu", "a", "logvar", "c"))},
    **{f"theory.latent.{S}": array(_np_spd(D, seed=i), indefinite=lambda v: -v)
       for i, S in enumerate(("S1", "S2", "S", "S0"))},
    "theory.latent.W": array(lambda: _np(D + 1, D)),
    "theory.latent.b": array(lambda: _np(D + 1, seed=2), drop=("rank",)),
    "theory.latent.psi": array(lambda: _np(D + 1, low=0.5, high=1.5), drop=("rank",), **_NP_NEG),
    "theory.latent.n": integer(3, 1, huge=True),
    "theory.latent.prior": array(_law(K), drop=("rank",), **_NP_LAW),
    "theory.latent.lik": array(_law(K, 3), **_NP_LAW),
    **{f"theory.latent.{f}.x": integer(1, 0, range=3) for f in
       ("disc_log_joint", "disc_log_marginal", "disc_posterior", "disc_recon", "disc_elbo")},
    "theory.latent.q": array(_law(K, seed=1), drop=("rank",), **_NP_LAW),
    "theory.latent.p": array(_law(K, seed=2), drop=("rank",), **_NP_LAW),
    "theory.latent.elbo_surgery.q": array(_law(B, K, seed=1), **_NP_LAW),
    "theory.latent.average_elbo.q": array(_law(B, K, seed=1), **_NP_LAW),
    "theory.latent.average_elbo.x": Arg(lambda: np.array([0, 2, 1]), {
        "none": lambda v: None, "str": lambda v: "bad", "range": lambda v: v + 3, "float": lambda v: v + 0.5,
        "batch": lambda v: np.array([0, 2, 1, 1])}),
    **{f"theory.latent.{m}": array(lambda s=i: _np(B, D, seed=s))
       for i, m in enumerate(("mu_q", "logvar_q", "mu_p", "logvar_p"))},
    "theory.latent.fn": function(lambda e: (e * e).sum(-1)),
    "theory.latent.k": integer(D, 1, huge=True),
    "theory.latent.B": array(_np_spd(D, seed=5)),
    "theory.latent.data": Arg(lambda: np.array([0, 1, 1, 3]), {
        "none": lambda v: None, "str": lambda v: "bad", "range": lambda v: v + K, "float": lambda v: v + 0.5,
        "empty": lambda v: np.array([], dtype=np.int64), "neg": lambda v: v - 1}),
    "theory.latent.K": integer(K, 1),
    "theory.latent.nll": real(1.5),
    "theory.latent.A": array(lambda: np.eye(D) * 2 + 0.1, singular=lambda v: v * 0),
    "theory.latent.log_p_flow": real(-1.5),
    "theory.latent.flow_as_vae_elbo.k": integer(D, 1),
    "theory.latent.sigma": real(0.5, 0.0, closed="lo"),
    # ----------------------------------------------------------------- linear-Gaussian DDPM ELBO (T = 5, d = 2)
    "theory.linear_gaussian.a": array(lambda: np.full(T, 0.9), drop=("rank",)),
    "theory.linear_gaussian.b": array(lambda: np.zeros(T), drop=("rank",)),
    "theory.linear_gaussian.v": array(lambda: np.full(T, 0.1), drop=("rank",), **_NP_NEG),
    "theory.linear_gaussian.prior_mean": real(0.0),
    "theory.linear_gaussian.prior_var": positive(1.0),
    "theory.linear_gaussian.chain": instance(_linear_chain),
    "theory.linear_gaussian.betas": array(lambda: np.linspace(0.1, 0.3, T), drop=("rank",), **_NP_UNIT),
    "theory.linear_gaussian.x0": array(lambda: _np(D), drop=("rank",)),
    "theory.linear_gaussian.data_mean": array(lambda: _np(D), drop=("rank",)),
    "theory.linear_gaussian.data_var": array(lambda: _np(D, low=0.5, high=1.5), drop=("rank",), **_NP_NEG),
    "theory.linear_gaussian.t": integer(2, 1, range=T + 1),
    "theory.linear_gaussian.variance": option("beta_tilde"),
    **{f"theory.linear_gaussian.{m}": array(lambda s=i: _np(D, seed=s), drop=("rank",))
       for i, m in enumerate(("mean_q", "mean_p"))},
    **{f"theory.linear_gaussian.{m}": array(lambda s=i: _np(D, seed=s, low=0.5, high=1.5), drop=("rank",), **_NP_NEG)
       for i, m in enumerate(("var_q", "var_p"))},
    # ----------------------------------------------------------------- divergences, wasserstein, metrics
    **{f"theory.divergences.{m}": array(_law(K, seed=i), drop=("rank",), **_NP_LAW)
       for i, m in enumerate(("p", "q", "r", "pi"))},
    "theory.divergences.w": Arg(lambda: None, {"str": lambda v: "bad", "nan": lambda v: np.full(K, math.nan),
                                               "neg": lambda v: -np.ones(K), "short": lambda v: np.ones(K - 1)}),
    "theory.divergences.atol": positive(1e-9),
    "theory.divergences.validate_law.name": Arg(lambda: "p", {}),
    "theory.divergences.a": array(_law(K), drop=("rank",), **_NP_NEG),
    "theory.divergences.b": array(_law(K, seed=1), drop=("rank",), **_NP_NEG),
    "theory.divergences.theta": real(0.5),
    "theory.divergences.n": integer(4, 1),
    "theory.divergences.kl_value": real(0.3, 0.0, closed="lo", finite=False),
    "theory.divergences.jsd_value": real(0.1, 0.0, closed="lo"),
    "theory.divergences.tv_value": real(0.2, 0.0, 1.0, closed="lo hi"),
    "theory.divergences.diameter": real(2.0, 0.0, closed="lo"),
    "theory.divergences.t": integer(3, 1),
    "theory.wasserstein.x": array(lambda: np.array([0.0, 0.5, 1.5, 3.0])),
    "theory.wasserstein.y": array(lambda: np.array([0.2, 1.0, 2.0])),
    "theory.wasserstein.p": array(_law(K), drop=("rank",), **_NP_LAW),
    "theory.wasserstein.q": array(_law(K, seed=1), drop=("rank",), **_NP_LAW),
    "theory.wasserstein.w1_primal_lp.q": array(_law(3, seed=1), drop=("rank",), **_NP_LAW),
    "theory.wasserstein.distance_matrix.x": array(_rows_np(0)),
    "theory.wasserstein.distance_matrix.y": array(lambda: _np(K, D, seed=1)),
    "theory.wasserstein.empirical_w2_squared_1d.x": array(lambda: _np(K), drop=("rank",)),
    "theory.wasserstein.empirical_w2_squared_1d.y": array(lambda: _np(K, seed=1), drop=("rank",)),
    "theory.wasserstein.grads": array(_rows_np(0)),
    "theory.wasserstein.S": array(_np_spd(), indefinite=lambda v: -v),
    "theory.wasserstein.S1": array(_np_spd(seed=1), indefinite=lambda v: -v),
    "theory.wasserstein.S2": array(_np_spd(seed=2), indefinite=lambda v: -v),
    "theory.wasserstein.mu1": array(lambda: _np(D), drop=("rank",)),
    "theory.wasserstein.mu2": array(lambda: _np(D, seed=1), drop=("rank",)),
    "theory.wasserstein.m1": real(0.5),
    "theory.wasserstein.m2": real(-0.5),
    "theory.wasserstein.s1": positive(1.0),
    "theory.wasserstein.s2": positive(2.0),
    "theory.metrics.X": array(lambda: _np(5, D)),
    "theory.metrics.Y": array(lambda: _np(6, D, seed=1)),
    "theory.metrics.S": array(lambda: _np(6, D, seed=1)),
    "theory.metrics.real": array(lambda: _np(5, D)),
    "theory.metrics.fake": array(lambda: _np(6, D, seed=1)),
    "theory.metrics.k": integer(2, 1, range=10),
    "theory.metrics.lam": array(lambda: np.array([0.5, 2.0]), drop=("rank",)),
    "theory.metrics.delta": real(1e-3, 0.0, closed="lo"),
    "theory.metrics.validate_features.name": Arg(lambda: "X", {}),
    # ----------------------------------------------------------------- ode
    "theory.ode.alpha": real(0.5),
    "theory.ode.beta": real(0.3),
    "theory.ode.t0": real(0.0),
    "theory.ode.t1": real(1.0),
    "theory.ode.t": real(0.5),
    "theory.ode.h": real(0.1),
    "theory.ode.A": array(lambda: -np.eye(D) + 0.1),
    "theory.ode.b": array(lambda: _np(D), drop=("rank",)),
    "theory.ode.x0": array(_rows_np(1)),
    "theory.ode.x1": array(_rows_np(2)),
    "theory.ode.f": function(lambda x, t: -x),
    "theory.ode.euler_step.x": array(_rows_np(0), drop=("rank",)),
    "theory.ode.heun_step.x": array(_rows_np(0), drop=("rank",)),
    "theory.ode.steps": array(lambda: np.array([0.1, 0.05, 0.025]), drop=("rank",), **_NP_NEG),
    "theory.ode.errors": array(lambda: np.array([0.01, 0.005, 0.0025]), drop=("rank",), **_NP_NEG),
    "theory.ode.lam": real(0.7, zero=0.0),
    "theory.ode.u": array(lambda: _np(D), drop=("rank",)),
    "theory.ode.mean": array(lambda: _np(D), drop=("rank",)),
    "theory.ode.cov": array(_np_spd(), indefinite=lambda v: -v),
    "theory.ode.W": array(lambda: _np(D, D)),
    "theory.ode.c": array(lambda: _np(D, seed=1), drop=("rank",)),
    "theory.ode.d": integer(D, 1, huge=True),
    "theory.ode.n": integer(3, 1, huge=True),
    "theory.ode.J": array(lambda: _np(D, D)),
    "theory.ode.kind": option("rademacher"),
    # ----------------------------------------------------------------- parametrization
    "theory.parametrization.kind": option("v"),
    "theory.parametrization.src": option("eps"),
    "theory.parametrization.dst": option("x0"),
    "theory.parametrization.alpha_bar": real(0.6, 0.0, 1.0),
    "theory.parametrization.pred": array(_rows_np(1)),
    # ----------------------------------------------------------------- schedules
    "theory.schedules.betas": array(lambda: np.linspace(0.1, 0.3, T), drop=("rank",), **_NP_UNIT),
    "theory.schedules.validate_betas.name": Arg(lambda: "betas", {}),
    "theory.schedules.T": integer(T, 1),
    "theory.schedules.beta_start": real(1e-4, 0.0, 1.0),
    "theory.schedules.beta_end": real(0.02, 0.0, 1.0),
    "theory.schedules.s": real(0.008, 0.0, closed="lo"),
    "theory.schedules.max_beta": real(0.999, 0.0, 1.0),
    "theory.schedules.u": array(lambda: np.linspace(0.0, 1.0, T), drop=("rank",), **_NP_UNIT),
    "theory.schedules.start": real(-3.0),
    "theory.schedules.end": real(3.0),
    "theory.schedules.tau": positive(1.0),
    "theory.schedules.n": integer(3, 1, huge=True),
    # ----------------------------------------------------------------- tricks
    "theory.tricks.theta": array(lambda: _np(K), drop=("rank",)),
    "theory.tricks.f": array(lambda: _np(K, seed=1), drop=("rank",)),
    "theory.tricks.a": array(lambda: _np(K), drop=("-inf", "rank")),
    "theory.tricks.p": array(_law(K), drop=("rank",), **_NP_LAW),
    "theory.tricks.n": integer(2, 1, huge=True),
    "theory.tricks.estimator": function(np.mean),
    "theory.tricks.f_map": Arg(lambda: np.array([0, 1, 1, 0]), {
        "none": lambda v: None, "str": lambda v: "bad", "range": lambda v: v + 5, "neg": lambda v: v - 1,
        "float": lambda v: v + 0.5, "short": lambda v: v[:2]}),
    "theory.tricks.n_out": integer(2, 1),
    "theory.tricks.nascent_delta_quadratic.a": array(lambda: _np(D), drop=("rank",)),
    "theory.tricks.B": array(_np_spd()),
    "theory.tricks.x0": array(lambda: _np(D, seed=1), drop=("rank",)),
    "theory.tricks.sigma": real(0.5, 0.0, closed="lo"),
    # ----------------------------------------------------------------- vq
    "theory.vq.z": array(_rows_np(0)),
    "theory.vq.E": array(lambda: _np(K, D, seed=1)),
    "theory.vq.q": array(_law(B, K), **_NP_LAW),
    "theory.vq.beta": real(0.25, 0.0, closed="lo"),
    # ----------------------------------------------------------------- score
    "theory.score.n": integer(8, 1, huge=True),
    "theory.score.d": integer(D, 1, huge=True),
    "theory.score.n_noise": integer(3, 1, huge=True),
    "theory.score.score": function(lambda x: -x),
    "theory.score.jacobian_trace": function(lambda x: -float(D) * np.ones(len(x))),
    "theory.score.fisher": Arg(lambda: None, {"str": lambda v: "bad", "neg": lambda v: -1.0,
                                              "nan": lambda v: math.nan}),
    "theory.score.tol": positive(1e-6),
    "theory.score.h": positive(0.5),
    "theory.score.x_noisy": array(_rows_np(2)),
    "theory.score.sigmas": array(lambda: np.array([0.5, 1.0]), drop=("rank",), **_NP_NEG),
    "theory.score.ncsn_weighted_objective.score": function(lambda x, s: -x / (1 + s**2)),
    "theory.score.weights": Arg(lambda: None, {"str": lambda v: "bad", "neg": lambda v: -np.ones(2),
                                               "short": lambda v: np.ones(1)}),
    "theory.score.delta": function(lambda x, s: 0.1 * x),
    "theory.score.dim": integer(1, 1, huge=True),
    "theory.score.components": integer(1, 1, huge=True),
    # ----------------------------------------------------------------- sde
    "theory.sde.sigma_min": positive(0.1),
    "theory.sde.sigma_max": positive(2.0),
    "theory.sde.beta_min": positive(0.1),
    "theory.sde.beta_max": positive(2.0),
    "theory.sde.T": positive(1.0),
    "theory.sde.f": function(lambda t: -0.5 * (0.1 + 1.9 * np.asarray(t))),
    "theory.sde.g2": function(lambda t: 0.1 + 1.9 * np.asarray(t)),
    "theory.sde.t": real(0.5, 0.0, closed="lo"),
    "theory.sde.m0": real(1.0),
    "theory.sde.v0": real(0.0, 0.0, closed="lo"),
    "theory.sde.epsrel": positive(1e-6),
    "theory.sde.ts": array(lambda: np.array([0.0, 0.25, 0.5, 1.0]), drop=("rank",), **_NP_NEG),
    "theory.sde.rtol": positive(1e-10),
    "theory.sde.atol": Arg(lambda: None, {"str": lambda v: "bad", "neg": lambda v: -1.0,
                                          "nan": lambda v: math.nan}),
    "theory.sde.panels": integer(4, 1, huge=True),
    "theory.sde.n": integer(8, 1, huge=True),
    "theory.sde.n_inner": integer(8, 1, huge=True),
    "theory.sde.mixture": _MIX_1D,
    "theory.sde.mixture_marginal.mixture": _MIX,
    "theory.sde.a": real(0.8),
    "theory.sde.v": positive(0.5),
    "theory.sde.mixture_marginal.v": real(0.5, 0.0, closed="lo"),
    "theory.sde.sigmas": array(lambda: np.array([0.1, 0.5, 1.0]), drop=("rank",), decreasing=lambda v: v[::-1],
                               **_NP_NEG),
    "theory.sde.betas": array(lambda: np.linspace(0.1, 0.3, T), drop=("rank",), **_NP_UNIT),
    "theory.sde.sde": instance(lambda: _theory_sde("VP")),
    "theory.sde.N": integer(20, 1),
    "theory.sde.steps": array(lambda: np.array([0.1, 0.05, 0.025]), drop=("rank",), **_NP_NEG),
    "theory.sde.errors": array(lambda: np.array([0.01, 0.005, 0.0025]), drop=("rank",), **_NP_NEG),
    "theory.sde.brownian_covariance.ts": array(lambda: np.array([0.0, 0.25, 0.5, 1.0]), drop=("rank",),
                                               decreasing=lambda v: v[::-1]),
    "theory.sde.x0": array(_rows_np(1)),
    "theory.sde.mu": real(0.1),
    "theory.sde.sigma": real(0.3),
    "theory.sde.w_t": array(_rows_np(2)),
    "theory.sde.theta": positive(0.7),
    "theory.sde.h": positive(0.1),
    "theory.sde.integral": array(_rows_np(3)),
    "theory.sde.dsm_target.a": real(0.8),
    "theory.sde.dsm_target.v": positive(0.5),
    "theory.sde.dsm_linear_1d.theta": array(lambda: np.array([-1.0, 0.2]), drop=("rank",)),
    "theory.sde.explicit_linear_1d.theta": array(lambda: np.array([-1.0, 0.2]), drop=("rank",)),
    "theory.sde.explicit_linear_panels.theta": array(lambda: np.array([-1.0, 0.2]), drop=("rank",)),
    "theory.sde.lam": real(1.0, 0.0, closed="lo"),
    "theory.sde.n_sd": positive(8.0),
    "theory.sde.per_sd": integer(2, 1),
    "theory.sde.expectation_1d.h": function(lambda x: x * x),
    **{f"theory.sde.{f}.ts": array(lambda: np.array([0.0, 0.25, 0.5, 1.0]), drop=("rank",))
       for f in ("em_linear_coefficients", "em_moments", "brownian_map")},
    "theory.sde.gbm_exact.x0": array(_rows_np(1), drop=("rank",)),
    "theory.sde.gbm_exact.w_t": array(_rows_np(2), drop=("rank",)),
    "theory.sde.n_gl": integer(4, 1, huge=True),
    "theory.sde.n_gh": integer(4, 1, huge=True),
    # ----------------------------------------------------------------- quadrature
    "theory.quadrature.n": integer(4, 1, huge=True),
    "theory.quadrature.d": integer(2, 1, huge=True),
    "theory.quadrature.a": real(-1.0),
    "theory.quadrature.b": real(2.0),
    "theory.quadrature.edges": array(lambda: np.array([0.0, 0.5, 1.5]), drop=("rank",),
                                     decreasing=lambda v: v[::-1]),
}

RECIPES = {"impl": IMPL, "theory": THEORY}

#: Callables the table cannot build, with the reason; kept small and real.
_RECORD = "a frozen record of results an oracle returns (its fields are outputs, not user input)"
SKIP: dict[str, str] = {
    "impl.sde.time_first": "a predicate on any object (False for what has no (t, x) signature); it judges nothing",
    "impl.sde.as_xt": "passes any object through unless its parameter names mark the old (t, x) order; the "
                      "checks hand it candidates whose shape they judge themselves",
    "impl.sde.XT": "a view that defers every attribute to the object it wraps (built by as_xt)",
    "theory.ddim.Step": _RECORD,
    "theory.ddpm.Schedule": _RECORD + "; theory.ddpm.schedule validates and builds it",
    "theory.ddpm.ScheduleAt": _RECORD + "; theory.ddpm.at validates and builds it",
    "theory.flow_matching.LinearModelObjectives": _RECORD,
    "theory.fokker_planck.PathDerivatives": _RECORD + "; theory.fokker_planck.path_derivatives builds it",
    "theory.fokker_planck.SymbolicSDE": _RECORD + "; theory.fokker_planck.symbolic_sde builds it",
    "theory.linear_gaussian.ElboTerms": _RECORD,
}
MAX_SKIP = 10

#: Bad values that are accepted by design, with the reason: ``(callable, param, kind)``.
ACCEPTED: dict[tuple[str, str, str], str] = {
    **{("impl.score.checked_score", "out", k): "the samplers check a score's output per step for its shape, dtype "
       "and device; a test of its values there would cost a device sync per step" for k in ("nan", "inf", "-inf")},
    **{("impl.score.checked_score", "x", k): "x only gives the shape, dtype and device the output must have"
       for k in ("nan", "inf", "-inf")},
    **{("impl.sde.sde_times", "x", k): "x only gives the batch, dtype and device; the SDE methods call this at "
       "every step of a sampler, where a test of its values would cost a device sync" for k in ("nan", "inf", "-inf")},
    **{(f"theory.discrete.{f}", "t", k): "t = 0 is zero steps, taken by design (Q_{1:0} = I, q(X_0 | X_0) = δ; "
       "the range 0..T is pinned by the theory tests), while the shared recipe of t starts at 1"
       for f in ("cumulative", "forward_probs", "sequence_forward_law") for k in ("low", "zero")},
}


# =============================================================================================== enumeration
@cache
def public_callables(package: str) -> dict[str, Callable[..., Any]]:
    """``"impl.edm.to_d" -> to_d`` for every public function and class defined in a module of the package (an
    alias of a name already seen counts once)."""
    pkg = importlib.import_module(f"dgmcheck.{package}")
    found: dict[str, Callable[..., Any]] = {}
    seen: set[int] = set()
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"dgmcheck.{package}.{info.name}")
        for name, obj in vars(module).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if getattr(obj, "__module__", None) != module.__name__ or id(obj) in seen:
                continue
            seen.add(id(obj))
            found[f"{package}.{info.name}.{name}"] = obj
    return found


def _params(obj: Callable[..., Any]) -> list[inspect.Parameter]:
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p for p in inspect.signature(obj).parameters.values() if p.kind in kinds]


def recipe(qual: str, param: str) -> Arg | None:
    """The recipe of ``param`` of the callable ``qual`` (``"impl.edm.to_d"``): the most specific key wins."""
    package, module, name = qual.split(".")
    table = RECIPES[package]
    for key in (f"{qual}.{param}", f"{package}.{module}.{name}.{param}", f"{package}.{module}.{param}", param):
        if key in table:
            return table[key]
    return None


@dataclass(frozen=True)
class Target:
    qual: str
    obj: Callable[..., Any]
    args: dict[str, Arg]  # every parameter the table covers (all required ones)
    cases: tuple[tuple[str, str], ...]  # (param, kind) of the bad calls


@cache
def targets(package: str) -> dict[str, Target]:
    """Every coverable callable of the package with its cases (ACCEPTED cases left out)."""
    out = {}
    for qual, obj in public_callables(package).items():
        if qual in SKIP:
            continue
        params = _params(obj)
        args = {p.name: r for p in params if (r := recipe(qual, p.name)) is not None}
        if any(p.default is inspect.Parameter.empty and p.name not in args for p in params):
            continue  # uncovered: test_every_callable_is_covered_or_skipped names it
        batched = {p for p, a in args.items() if _batched(a.make())}
        cases = tuple((p, k) for p, a in args.items() for k in _kinds(p, a, batched)
                      if (qual, p, k) not in ACCEPTED)
        out[qual] = Target(qual, obj, args, cases)
    return out


def _batched(v: Any) -> bool:
    if isinstance(v, np.ndarray):
        return v.ndim >= 1 and v.shape[0] == B and v.dtype.kind == "f"
    return isinstance(v, torch.Tensor) and v.ndim >= 1 and v.shape[0] == B and v.is_floating_point()


def _kinds(param: str, arg: Arg, batched: set[str]) -> list[str]:
    """The recipe's kinds, plus ``batch`` (one row too many) for a batched array when another argument shares its
    batch."""
    return [*arg.bad, "batch"] if param in batched and len(batched) > 1 and "batch" not in arg.bad else list(arg.bad)


def _bad_value(arg: Arg, kind: str) -> Any:
    if kind == "batch" and kind not in arg.bad:
        v = arg.make()
        return np.concatenate([v, v[:1]]) if isinstance(v, np.ndarray) else torch.cat([v, v[:1]])
    return arg.bad[kind](arg.make())


def _describe(v: Any) -> str:
    if isinstance(v, torch.Tensor):
        return f"tensor{tuple(v.shape)} {v.dtype} on {v.device}"
    if isinstance(v, np.ndarray):
        return f"array{v.shape} {v.dtype}"
    text = repr(v)
    return text if len(text) < 60 else text[:57] + "..."


def _returned(out: Any) -> str:
    """What a call that should have refused returned, flagging NaN/inf."""
    items = out if isinstance(out, (tuple, list)) else [out]
    flags = []
    for item in items:
        if isinstance(item, torch.Tensor) and item.is_floating_point() and item.device.type != "meta":
            flags.append("non-finite" if not bool(torch.isfinite(item).all()) else "finite")
        elif isinstance(item, (float, np.floating, np.ndarray)) and np.asarray(item).dtype.kind == "f":
            flags.append("non-finite" if not np.all(np.isfinite(item)) else "finite")
    return f"{type(out).__name__} ({', '.join(flags) or 'no numbers'})"


def names(message: str, param: str) -> bool:
    """Whether ``message`` names the argument ``param`` as a word (``x`` is not named by ``x_t``)."""
    return re.search(rf"(?<![\w]){re.escape(param)}(?![\w])", message) is not None


def not_refused(target: Target, param: str, kind: str) -> str | None:
    """Call ``target`` with ``param`` replaced by a bad value of ``kind``: what went wrong, or None when it raised
    ValueError or TypeError naming ``param``."""
    kwargs = {p: a.make() for p, a in target.args.items()}
    kwargs[param] = _bad_value(target.args[param], kind)
    where = f"{target.qual}({param}=<{kind}: {_describe(kwargs[param])}>)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = target.obj(**kwargs)
    except (ValueError, TypeError) as exc:
        return None if names(str(exc), param) else f"{where} raised {type(exc).__name__} not naming {param!r}: {exc}"
    except Exception as exc:  # any other exception is the failure under test
        return f"{where} raised {type(exc).__name__} instead of ValueError/TypeError: {exc}"
    return f"{where} returned {_returned(out)} without complaint"


def check_refused(target: Target, param: str, kind: str) -> None:
    """Fail unless ``target`` refuses a bad ``param`` of ``kind`` with ValueError or TypeError naming ``param``."""
    if (failure := not_refused(target, param, kind)) is not None:
        pytest.fail(failure, pytrace=False)  # the message says it all; formatting this file's traceback is slow


# =============================================================================================== the tests
def test_every_callable_is_covered_or_skipped() -> None:
    """The enumeration finds the callables; each is built by the table or skipped with a reason; the skip and
    known lists name only callables that exist and stay short."""
    every = {q for p in PACKAGES for q in public_callables(p)}
    assert len(every) > 300
    covered = {q for p in PACKAGES for q in targets(p)}
    missing = sorted(every - covered - set(SKIP))
    assert not missing, f"no recipe for a required parameter of {missing}: add one to RECIPES (or to SKIP, why)"
    assert set(SKIP) <= every, f"SKIP names callables that do not exist: {sorted(set(SKIP) - every)}"
    assert len(SKIP) <= MAX_SKIP, f"SKIP holds {len(SKIP)} callables; cover them instead"
    assert {q for q, _, _ in ACCEPTED} <= every


@pytest.mark.slow  # seconds of quadrature and sympy on valid input; a refusal above must name the bad argument anyway
@pytest.mark.parametrize("package", PACKAGES)
def test_valid_calls_run(package: str) -> None:
    """The table's arguments are valid: each callable runs on them (so a refusal below is the bad value's)."""
    failures = []
    for qual, target in targets(package).items():
        if not target.cases:
            continue  # nothing to fuzz (no parameters): not called, some derive a formula in sympy for seconds
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                target.obj(**{p: a.make() for p, a in target.args.items()})
        except Exception as exc:  # reported below, all at once
            failures.append(f"{qual}: {type(exc).__name__}: {exc}")
    assert not failures, "the valid call fails:\n" + "\n".join(failures)


@pytest.mark.parametrize("package", PACKAGES)
# No shrinking: the message lists every failing case of the draw already, and a shrink of its ~400 choices, each
# attempt replaying every call, takes minutes.
@settings(phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(data=st.data())
def test_bad_input_is_refused_naming_the_argument(package: str, data: st.DataObject) -> None:
    """One bad argument per callable per example, drawn by Hypothesis (10 per callable in ``ci``, 400 in
    ``thorough``)."""
    fuzzed = [t for t in targets(package).values() if t.cases]
    drawn = zip(fuzzed, data.draw(_cases_strategy(package)), strict=True)
    failures = [f for target, (param, kind) in drawn if (f := not_refused(target, param, kind)) is not None]
    assert not failures, f"{len(failures)} bad calls not refused:\n" + "\n".join(failures)


@cache
def _cases_strategy(package: str) -> st.SearchStrategy[tuple[tuple[str, str], ...]]:
    """One case per fuzzed callable of the package, drawn in one go (a draw per callable costs more than the
    calls)."""
    return st.tuples(*(st.sampled_from(t.cases) for t in targets(package).values() if t.cases))


@pytest.mark.slow
def test_every_case_once() -> None:
    """Every (callable, argument, kind) exactly once (the thorough tier)."""
    for package in PACKAGES:
        for target in targets(package).values():
            for param, kind in target.cases:
                check_refused(target, param, kind)


# =============================================================================================== the adapters
#: ``(module, callable, the argument that takes the library's object, other arguments)``: each adapter's entry
#: points, handed None, a string or a number where the library's object belongs.
ADAPTER_ENTRY_POINTS: list[tuple[str, str, str, dict[str, Any]]] = [
    *[("denoising_diffusion_pytorch", f, "diffusion", {}) for f in
      ("DDPMPytorch", "DDIMPytorch", "DDPMPytorchParametrization", "verify_ddpm_pytorch")],
    *[("diffusers", f, "scheduler", {}) for f in
      ("DiffusersDDPM", "DiffusersDDIM", "DiffusersDDIMSampler", "DiffusersRespacedDDPM", "DiffusersParametrization",
       "verify_scheduler", "scheduler_betas")],
    *[("diffusers_sigma", f, "scheduler", {"num_inference_steps": 10}) for f in
      ("DiffusersEuler", "DiffusersHeun", "adapter_for", "verify_sigma_scheduler")],
    *[("fid", f, "frechet", {}) for f in ("FrechetStatsCandidate", "frechet_candidate")],
    *[("flow_matching", f, "path", {}) for f in ("MetaAffinePath", "verify_path")],
    *[("gaussian_diffusion", f, "obj", {}) for f in
      ("GaussianDiffusionDDPM", "QMeanVariance", "GaussianDiffusionParametrization", "GaussianDiffusionDDIM",
       "verify_gaussian_diffusion")],
    *[("kdiffusion", f, "sampling", {}) for f in ("KDiffusion", "verify_kdiffusion")],
    ("nflows", "NflowsTransform", "transform", {"dim": 2}),
    *[("nflows", f, "transform", {}) for f in ("NflowsAffineAR", "NflowsCoupling")],
    *[("nflows", f, "flow", {}) for f in ("NflowsFlow", "verify_flow")],
    ("score_sde", "ScoreSDEView", "obj", {}),
    ("score_sde", "verify_score_sde", "sde_obj", {}),
    *[("torchcfm", f, "matcher", {}) for f in ("TorchCFMLinear", "TorchCFMTarget", "wrap", "verify_matcher")],
    ("torchdiffeq", "pf_ode_odeint", "sde", {"score": lambda x, t: -x, "x_T": torch.zeros(3, 2, dtype=torch.float64),
                                             "t_start": 1.0, "t_end": 0.5}),
    ("torchdiffeq", "gauss_hermite", "mix", {"n_nodes": 3}),
    *[("torchsde", f, "sde", {}) for f in ("TorchSDE", "FromTorchSDE")],
    ("zuko", "ZukoTransform", "build", {"dim": 2}),
    ("zuko", "ZukoAffineAR", "layer", {}),
    *[("zuko", f, "flow", {}) for f in ("ZukoFlow", "verify_flow")],
]


@pytest.mark.adapters
@pytest.mark.parametrize(("module", "name", "param", "others"), ADAPTER_ENTRY_POINTS,
                         ids=[f"{m}.{n}" for m, n, _, _ in ADAPTER_ENTRY_POINTS])
def test_adapter_refuses_what_is_not_its_library_object(module: str, name: str, param: str,
                                                       others: dict[str, Any]) -> None:
    """None (where None is no default), a string and a number where the library's object belongs: a TypeError or
    ValueError naming the argument, before anything runs."""
    adapter = pytest.importorskip(f"dgmcheck.adapters.{module}", reason=f"the adapter's library ({module})")
    obj = getattr(adapter, name)
    default = inspect.signature(obj).parameters[param].default
    for bad in ([None] if default is inspect.Parameter.empty else []) + ["bad", 3]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises((TypeError, ValueError)) as info:
                obj(**{param: bad}, **others)
        assert names(str(info.value), param), f"{module}.{name}({param}={bad!r}): {info.value}"

# =============================================================================================== the command line
_TARGET = "dgmcheck.impl.langevin:reference_candidate"
_VERIFY = ("verify", _TARGET, "--concept", "langevin")

#: ``(argv, what stderr must name)``: each a usage error, exit 2 with one line on stderr.
BAD_INVOCATIONS: list[tuple[tuple[str, ...], str]] = [
    (("bogus",), "bogus"),
    (("theorems", "--format", "xml"), "--format"),
    (("theorems", "--status", "bogus"), "--status"),
    (("theorems", "--family", "nosuch"), "--family"),
    (("theorems", "--family", ""), "--family"),
    (("theorems", "--collect", "--tests-dir", "/nonexistent/dgmcheck-tests"), "--tests-dir"),
    (("theorems", "--report", "{tmp}"), "--report"),
    (("theorems", "--report", "{tmp}/not_a_report.json"), "--report"),
    (("theorems", "--bogus"), "--bogus"),
    (("theorems", "extra"), "extra"),
    (("verify",), "MODULE:OBJECT"),
    (("verify", "no_colon", "--concept", "langevin"), "MODULE:OBJECT"),
    (("verify", ":obj", "--concept", "langevin"), "MODULE:OBJECT"),
    (("verify", "dgmcheck_no_such_module_xyz:Obj", "--concept", "langevin"), "dgmcheck_no_such_module_xyz"),
    (("verify", "dgmcheck.impl.langevin:Nope", "--concept", "langevin"), "Nope"),
    (("verify", "dgmcheck.impl.langevin:", "--concept", "langevin"), "MODULE:OBJECT"),
    (("verify", _TARGET, "--concept", "nosuch"), "--concept"),
    (("verify", _TARGET, "--concept", ""), "--concept"),
    (("verify", _TARGET, "--concept", "../etc"), "--concept"),
    ((*_VERIFY, "--format", "xml"), "--format"),
    ((*_VERIFY, "--conventions", "bogus"), "--conventions"),
    ((*_VERIFY, "--conventions", "langevin_step=sideways"), "--conventions"),
    ((*_VERIFY, "--conventions", "steps=zero_based"), "--conventions"),
    ((*_VERIFY, "--conventions", "/nonexistent/conventions.toml"), "--conventions"),
    ((*_VERIFY, "--conventions", "{tmp}/bad.toml"), "--conventions"),
    ((*_VERIFY, "--max-examples", "0"), "--max-examples"),
    ((*_VERIFY, "--max-examples", "-3"), "--max-examples"),
    ((*_VERIFY, "--max-examples", "abc"), "--max-examples"),
    ((*_VERIFY, "--dtype", "float16"), "--dtype"),
    ((*_VERIFY, "--dtype", "int64"), "--dtype"),
    ((*_VERIFY, "--device", "bogus"), "--device"),
    ((*_VERIFY, "--device", "meta"), "--device"),
    ((*_VERIFY, "--device", "cuda:99"), "--device"),
    ((*_VERIFY, "--profile", "nope"), "--profile"),
    ((*_VERIFY, "--seed", "abc"), "--seed"),
    ((*_VERIFY, "--properties", "nosuch"), "--properties"),
    ((*_VERIFY, "--properties", ","), "--properties"),
    ((*_VERIFY, "--reproduce", "nocolon"), "--reproduce"),
    ((*_VERIFY, "--reproduce", "1.0:!!not-a-blob!!"), "--reproduce"),
    ((*_VERIFY, "--bogus"), "--bogus"),
    (("audit", "--format", "xml"), "--format"),
    (("audit", "--only", "zzz_no_claim"), "--only"),
    (("audit", "--claims", "/nonexistent/claims.py"), "--claims"),
    (("audit", "--claims", "{tmp}/claims.txt"), "--claims"),
    (("audit", "--output", "/nonexistent/dir/report.txt"), "--output"),
    (("audit", "/nonexistent/notes.md"), "notes.md"),
    (("audit", "{tmp}/claims.txt"), "claims.txt"),
    (("audit", "{tmp}/notes.md", "--symbols", "/nonexistent/symbols.toml"), "symbols.toml"),
    (("audit", "{tmp}/notes.md", "--symbols", "{tmp}/bad.toml"), "bad.toml"),
]


@pytest.mark.parametrize(("argv", "named"), BAD_INVOCATIONS, ids=[" ".join(a) for a, _ in BAD_INVOCATIONS])
def test_bad_invocation_is_a_one_line_usage_error(argv: tuple[str, ...], named: str, tmp_path: Any,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 2 and one line on stderr naming the option (or the argument), never a traceback; nothing runs."""
    from dgmcheck import cli

    (tmp_path / "not_a_report.json").write_text("[]", encoding="utf-8")
    (tmp_path / "bad.toml").write_text("[conventions\nsteps = ", encoding="utf-8")
    (tmp_path / "claims.txt").write_text("not claims", encoding="utf-8")
    (tmp_path / "notes.md").write_text("$$a = b$$\n", encoding="utf-8")
    argv = tuple(a.replace("{tmp}", str(tmp_path)) for a in argv)
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, f"exit {code}; stderr: {err!r}"
    assert "Traceback" not in err and "Traceback" not in out
    assert len(lines) == 1, f"stderr must be one line, got {lines}"
    assert named in lines[0], f"stderr must name {named!r}: {lines[0]!r}"
