"""Adapter: hold 🤗 diffusers' σ-parametrized ``EulerDiscreteScheduler`` and ``HeunDiscreteScheduler`` to the EDM
oracles (``dgmcheck.checks.edm``).

    >>> from diffusers import HeunDiscreteScheduler
    >>> from dgmcheck.adapters.diffusers_sigma import verify_sigma_scheduler
    >>> s = HeunDiscreteScheduler(num_train_timesteps=100, use_karras_sigmas=True)
    >>> print(verify_sigma_scheduler(s, num_inference_steps=8).summary())  # doctest: +SKIP

How diffusers' σ schedulers map onto the σ-ODE
----------------------------------------------
They work in VE coordinates ``x = x₀ + σ ε`` (``init_noise_sigma = σ_max``, ``add_noise = x₀ + σ ε``) with
``σ_t = √((1 - ᾱ_t)/ᾱ_t)`` from the DDPM table ``alphas_cumprod`` (theorem ``edm.vp_change_of_variables``:
``ᾱ = 1/(1 + σ²)``), feed a VP-trained ε-network ``scale_model_input(x, t) = x/√(σ² + 1) = √ᾱ x``, and
form ``D = x - σ ε̂`` and ``d = (x - D)/σ`` in ``step``. After ``set_timesteps(n)`` the grid ``sigmas`` holds
``n + 1`` levels ending in 0 (Heun stores each inner level twice, ``[σ₀, σ₁, σ₁, ..., σ_{n-1}, σ_{n-1}, 0]``,
and its ``timesteps`` has ``2n - 1`` entries: a first-order call per level and a second-order call for every
level but the last, which is how the last step falls back to Euler).

The candidate (``DiffusersEuler``/``DiffusersHeun``) exposes that grid as ``sigmas`` and
``sample_<method>(model, x, sigmas)`` (the pipeline loop over ``scheduler.timesteps``), ``<method>_step``
(one step, started at grid index ``i`` with ``set_begin_index``: Euler's index ``i``, Heun's ``2i``, then
Heun's second call when ``timesteps`` has one), ``heun_predictor`` (Heun's first call: the Euler predictor),
``vp_input`` (``scale_model_input``) and ``denoised_from_eps`` (``step``'s ``pred_original_sample``). The
network is the exact denoiser ``model(x, σ)`` the checks hand over, wrapped as a VP ε-network: fed
``x_in = scale_model_input(x, t)`` at the scheduler's current ``σ``, it returns
``ε̂ = (x_in √(1+σ²) - D(x_in √(1+σ²); σ))/σ``; a wrong scaling of the input therefore reaches the step.

``check_sigma_table`` holds ``σ_t`` to ``√((1 - ᾱ_t)/ᾱ_t)`` on the full grid of training timesteps, and
``check_grid`` holds a ``use_karras_sigmas=True`` grid to the Karras grid between the table's end points
(``sigma_min``/``sigma_max`` of the config where the scheduler has them), ρ = 7.

Precision: ``EulerDiscreteScheduler.step`` upcasts the sample to float32 and casts back; both keep
``sigmas`` in float32. Float32 tolerances are the honest claim (``verify_sigma_scheduler`` defaults to
float32). Refused (no exact oracle): ``prediction_type`` other than ``"epsilon"``, ``clip_sample`` (Heun),
``rescale_betas_zero_snr``, ``final_sigmas_type="sigma_min"``, ``timestep_type="continuous"``, and ``s_churn``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

try:
    from diffusers import EulerDiscreteScheduler, HeunDiscreteScheduler
except ImportError as exc:  # pragma: no cover - exercised where diffusers is missing
    raise ImportError("dgmcheck.adapters.diffusers_sigma needs the diffusers library: "
                      'pip install "dgmcheck[adapters]"') from exc

from dgmcheck.checks import edm as checks
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.tolerances import exact
from dgmcheck.theory import edm as th

__all__ = [
    "DiffusersEuler",
    "DiffusersHeun",
    "check_grid",
    "check_sigma_table",
    "verify_sigma_scheduler",
]

Model = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _refuse(scheduler: Any) -> None:
    cfg = scheduler.config
    pred = cfg.get("prediction_type", "epsilon")
    if pred != "epsilon":
        raise ValueError(f"scheduler has prediction_type={pred!r}: the adapter feeds step an ε-prediction "
                         "(D = x - σ ε̂); build it with prediction_type='epsilon'")
    for key, bad, why in (("clip_sample", True, "clamps x̂₀, a nonlinear change of the step"),
                          ("rescale_betas_zero_snr", True, "sets ᾱ_T to 2^-24 by hand, off the table's σ"),
                          ("final_sigmas_type", "sigma_min", "ends the grid at σ_min, not at 0"),
                          ("timestep_type", "continuous", "feeds the network log σ / 4, not a timestep")):
        if cfg.get(key, None) == bad:
            raise ValueError(f"scheduler has {key}={bad!r}: it {why}; build it without")


class _SigmaScheduler:
    """Shared by both adapters: the grid, the pipeline loop, single steps started with ``set_begin_index``."""

    _type: type = object
    method = ""

    def __init__(self, scheduler: Any, num_inference_steps: int, *, dtype: Any = torch.float32,
                 device: Any = "cpu") -> None:
        if not isinstance(scheduler, self._type):
            raise TypeError(f"scheduler must be a diffusers {self._type.__name__}, got {type(scheduler).__name__}")
        if isinstance(num_inference_steps, bool) or not isinstance(num_inference_steps, int) or num_inference_steps < 2:
            raise ValueError(f"num_inference_steps must be an int >= 2, got {num_inference_steps!r}")
        _refuse(scheduler)
        self.scheduler = scheduler
        self.n = num_inference_steps
        self.dtype = dtype
        self.device = torch.device(device)
        self._reset()
        self._grid = self._levels()

    # -- the grid -----------------------------------------------------------------------------------
    def _reset(self) -> None:
        self.scheduler.set_timesteps(self.n)

    def _first_index(self, i: int) -> int:
        """Index into ``scheduler.sigmas``/``timesteps`` of the first call of grid step ``i``."""
        return i

    def _levels(self) -> torch.Tensor:
        return self.scheduler.sigmas.clone()

    @property
    def sigmas(self) -> torch.Tensor:
        """The ``n + 1`` noise levels the scheduler steps through (float32, ending in 0), read after
        ``set_timesteps(n)``."""
        return self._grid.clone()

    def _grid_index(self, sigma: Any, sigma_next: Any) -> int:
        grid = self.sigmas.double()
        s, s_next = float(sigma), float(sigma_next)
        hits = [i for i in range(len(grid) - 1) if float(grid[i]) == s and float(grid[i + 1]) == s_next]
        if not hits:
            raise ValueError(f"(sigma, sigma_next) = ({s}, {s_next}) is not a step of the scheduler's grid "
                             f"{grid.tolist()}: diffusers' schedulers step only on their own grid")
        return hits[0]

    # -- the network ---------------------------------------------------------------------------------
    def _eps(self, model: Model, x_in: torch.Tensor) -> torch.Tensor:
        """The VP ε-network made of the denoiser: un-scale ``x_in`` at the scheduler's current σ, denoise, ε̂."""
        sigma = self.scheduler.sigmas[self.scheduler.step_index].to(device=x_in.device, dtype=torch.float64)
        x = x_in.double() * torch.sqrt(1 + sigma**2)
        s_rows = sigma.to(x_in.dtype).expand(x_in.shape[0])
        D = model(x.to(x_in.dtype), s_rows).double()
        return ((x - D) / sigma).to(x_in.dtype)

    def _call(self, model: Model, x: torch.Tensor, k: int) -> Any:
        t = self.scheduler.timesteps[k]
        x_in = self.scheduler.scale_model_input(x, t)
        return self.scheduler.step(self._eps(model, x_in), t, x)

    def _run(self, model: Model, x: torch.Tensor, ks: range) -> torch.Tensor:
        for k in ks:
            x = self._call(model, x, k).prev_sample
        return x

    def _check_grid(self, sigmas: Any) -> None:
        mine = self.sigmas.double()
        given = torch.as_tensor(sigmas).detach().cpu().double()
        if given.shape != mine.shape or not torch.equal(given, mine):
            raise ValueError(f"sigmas must be the scheduler's own grid {mine.tolist()} (diffusers' schedulers "
                             f"sample on it), got {given.tolist()}")

    # -- the VP view ---------------------------------------------------------------------------------
    def vp_input(self, x: torch.Tensor, sigma: Any) -> torch.Tensor:
        """``scheduler.scale_model_input(x, t)`` at the grid level ``σ`` (edm.vp_change_of_variables)."""
        i = self._level_index(sigma)
        self._reset()
        self.scheduler.set_begin_index(self._first_index(i))
        return self.scheduler.scale_model_input(x, self.scheduler.timesteps[self._first_index(i)])

    def denoised_from_eps(self, x: torch.Tensor, sigma: Any, eps: torch.Tensor) -> torch.Tensor:
        """``step``'s ``pred_original_sample`` for the ε-prediction ``eps`` at the grid level ``σ``."""
        i = self._level_index(sigma)
        self._reset()
        self.scheduler.set_begin_index(self._first_index(i))
        t = self.scheduler.timesteps[self._first_index(i)]
        self.scheduler.scale_model_input(x, t)  # as a pipeline does (step warns otherwise)
        return self.scheduler.step(eps, t, x).pred_original_sample

    def _level_index(self, sigma: Any) -> int:
        grid = self.sigmas.double()
        hits = [i for i in range(len(grid) - 1) if float(grid[i]) == float(sigma)]
        if not hits:
            raise ValueError(f"sigma = {float(sigma)} is not a level of the scheduler's grid {grid.tolist()}")
        return hits[0]


class DiffusersEuler(_SigmaScheduler):
    """``EulerDiscreteScheduler`` as a ``dgmcheck.checks.edm`` candidate (Euler, theorem ``edm.euler``)."""

    _type = EulerDiscreteScheduler
    method = "euler"

    def euler_step(self, model: Model, x: torch.Tensor, sigma: Any, sigma_next: Any) -> torch.Tensor:
        i = self._grid_index(sigma, sigma_next)
        self._reset()
        self.scheduler.set_begin_index(i)
        return self._run(model, x, range(i, i + 1))

    def sample_euler(self, model: Model, x: torch.Tensor, sigmas: Any) -> torch.Tensor:
        self._check_grid(sigmas)
        self._reset()
        return self._run(model, x, range(len(self.scheduler.timesteps)))


class DiffusersHeun(_SigmaScheduler):
    """``HeunDiscreteScheduler`` as a ``dgmcheck.checks.edm`` candidate (Heun, theorem ``edm.heun``)."""

    _type = HeunDiscreteScheduler
    method = "heun"

    def _levels(self) -> torch.Tensor:
        s = self.scheduler.sigmas
        return torch.cat([s[0:-1:2], s[-1:]]).clone()  # [σ₀, σ₁, σ₁, ..., σ_{n-1}, σ_{n-1}, 0] → n + 1 levels

    def _first_index(self, i: int) -> int:
        return 2 * i

    def _calls(self, i: int) -> range:
        """The scheduler's calls for grid step ``i``: first order at ``2i``, second order at ``2i + 1`` if any."""
        return range(2 * i, min(2 * i + 2, len(self.scheduler.timesteps)))

    def heun_step(self, model: Model, x: torch.Tensor, sigma: Any, sigma_next: Any) -> torch.Tensor:
        i = self._grid_index(sigma, sigma_next)
        self._reset()
        self.scheduler.set_begin_index(2 * i)
        return self._run(model, x, self._calls(i))

    def heun_predictor(self, model: Model, x: torch.Tensor, sigma: Any, sigma_next: Any) -> torch.Tensor:
        i = self._grid_index(sigma, sigma_next)
        self._reset()
        self.scheduler.set_begin_index(2 * i)
        return self._run(model, x, range(2 * i, 2 * i + 1))

    def sample_heun(self, model: Model, x: torch.Tensor, sigmas: Any) -> torch.Tensor:
        self._check_grid(sigmas)
        self._reset()
        return self._run(model, x, range(len(self.scheduler.timesteps)))


def adapter_for(scheduler: Any, num_inference_steps: int, **kw: Any) -> _SigmaScheduler:
    """``DiffusersEuler`` or ``DiffusersHeun`` for the scheduler's type."""
    for cls in (DiffusersEuler, DiffusersHeun):
        if isinstance(scheduler, cls._type):
            return cls(scheduler, num_inference_steps, **kw)
    raise TypeError(f"scheduler must be a diffusers EulerDiscreteScheduler or HeunDiscreteScheduler, "
                    f"got {type(scheduler).__name__}")


def _table(scheduler: Any) -> np.ndarray:
    """``σ_t = √((1 - ᾱ_t)/ᾱ_t)`` of the scheduler's own float32 ``alphas_cumprod`` (widened exactly), t = 0..T-1."""
    return th.sigma_of_alpha_bar(to_numpy(scheduler.alphas_cumprod))


def check_sigma_table(adapter: _SigmaScheduler) -> None:
    """edm.vp_change_of_variables: with ``set_timesteps(T)`` on the training grid the scheduler's levels are
    ``√((1 - ᾱ_t)/ᾱ_t)`` of its own ``alphas_cumprod``, ``t = T-1..0``, then 0 (float32 tolerance: the table is
    float32 and ``1 - ᾱ`` loses ``ᾱ/(1 - ᾱ)`` of relative precision)."""
    theorem = "edm.vp_change_of_variables"
    if adapter.scheduler.config.get("use_karras_sigmas", False):
        raise ValueError("check_sigma_table needs a scheduler without use_karras_sigmas")
    T = int(adapter.scheduler.config.num_train_timesteps)
    full = type(adapter)(adapter.scheduler, T, dtype=adapter.dtype)
    got = to_numpy(full.sigmas)
    abar = to_numpy(adapter.scheduler.alphas_cumprod)
    want = np.append(_table(adapter.scheduler)[::-1], 0.0)
    cond = np.append((1.0 + abar / (1.0 - abar))[::-1], 1.0)
    adapter._reset()
    assert_close(got, want, theorem=theorem, slide=checks.SLIDES[theorem],
                 what="scheduler σ_t = √((1 - ᾱ_t)/ᾱ_t) on the training grid, then 0",
                 tol=exact(torch.float32, 4 * cond), inputs={"T": T, "scheduler": type(adapter.scheduler).__name__})


def check_grid(adapter: _SigmaScheduler) -> None:
    """edm.karras_grid: with ``use_karras_sigmas=True`` the scheduler's levels are the Karras grid (ρ = 7) between
    the table's end points ``√((1 - ᾱ)/ᾱ)`` at t = 0 and T-1 (or the config's ``sigma_min``/``sigma_max``), then 0."""
    theorem = "edm.karras_grid"
    cfg = adapter.scheduler.config
    if not cfg.get("use_karras_sigmas", False):
        raise ValueError("check_grid needs a scheduler with use_karras_sigmas=True")
    table = _table(adapter.scheduler)
    lo = cfg.get("sigma_min", None) or float(np.float32(table[0]))
    hi = cfg.get("sigma_max", None) or float(np.float32(table[-1]))
    got = to_numpy(adapter.sigmas)
    want = th.karras_sigmas(adapter.n, lo, hi, 7.0)
    if got.shape != want.shape:
        raise TheoremViolation(theorem, f"scheduler grid has {got.shape[0]} levels, expected n + 1 = {adapter.n + 1}",
                               slide=checks.SLIDES[theorem], inputs={"n": adapter.n})
    assert_close(got, want, theorem=theorem, slide=checks.SLIDES[theorem],
                 what="use_karras_sigmas grid = Karras grid (ρ = 7) between the table's end levels, then 0",
                 tol=exact(torch.float32, th.karras_condition(adapter.n, lo, hi, 7.0)),
                 inputs={"n": adapter.n, "sigma_min": lo, "sigma_max": hi})


def verify_sigma_scheduler(scheduler: Any, num_inference_steps: int = 10, *, dtype: Any = torch.float32,
                           device: Any = "cpu", **verify_kw: Any) -> checks.VerifyReport:
    """``dgmcheck.checks.edm.verify`` on the scheduler's steps and path (its own grid), after ``check_grid``
    (Karras schedulers) or ``check_sigma_table`` (the others). ``verify_kw``: ``properties``, ``max_examples``,
    ``shrink``, ``data``."""
    adapter = adapter_for(scheduler, num_inference_steps, dtype=dtype, device=device)
    if scheduler.config.get("use_karras_sigmas", False):
        check_grid(adapter)
    else:
        check_sigma_table(adapter)
    return checks.verify(adapter, dtype=dtype, device=device, **verify_kw)
