"""Adapter: hold 🤗 diffusers' ``DDPMScheduler`` and ``DDIMScheduler`` to dgmcheck's DDPM oracles.

    >>> from diffusers import DDPMScheduler
    >>> from dgmcheck.adapters.diffusers import verify_scheduler
    >>> s = DDPMScheduler(num_train_timesteps=50, clip_sample=False)
    >>> print(verify_scheduler(s, dtype=torch.float32, max_examples=5).summary())  # doctest: +SKIP

Index mapping: THE CLASSIC OFF-BY-ONE
-------------------------------------
The lecture numbers the forward steps ``t = 1..T`` (``x_0`` is the data, ``ᾱ_0 = 1``); diffusers
numbers its timesteps ``k = 0..T-1`` and stores ``scheduler.betas[k] = β_{k+1}`` and
``scheduler.alphas_cumprod[k] = ᾱ_{k+1}``. So **lecture step t is diffusers timestep k = t − 1**:
``q_sample(x0, t, ε) = scheduler.add_noise(x0, ε, t − 1)``, and one reverse step from ``x_t`` to
``x_{t-1}`` is ``scheduler.step(ε_θ, t − 1, x_t)``. The adapters take and give lecture steps;
``sample`` hands the ε-model the lecture's ``t`` as well (wrap a diffusers UNet as
``lambda x, t: unet(x, t - 1).sample``). ``diffusers_timestep`` is the one place the mapping lives.

What is checked through which diffusers call
--------------------------------------------
- ``q_sample``: ``scheduler.add_noise``.
- ``posterior_mean_from_eps``: ``scheduler.step`` with zero noise (the mean of the step).
- ``reverse_step``: ``scheduler.step`` with the given noise. ``step`` takes ONE int timestep, so a
  batch is grouped by ``t``. ``DDPMScheduler.step`` draws its own noise with ``randn_tensor``
  (when ``k > 0``); the adapter injects the given noise by patching the name ``randn_tensor`` in the
  module that defines the scheduler's ``step`` for the duration of the call, and refuses to go on if
  ``step`` did not draw through it. ``DDIMScheduler.step`` takes ``variance_noise=`` directly.
- ``reverse_variance(t, like, kind)``: ``DDPMScheduler._get_variance(t − 1, variance_type=...)``
  (the function ``step`` takes its variance from), with ``"beta_tilde"`` ↔ ``"fixed_small"`` and
  ``"beta"`` ↔ ``"fixed_large"``. Two diffusers details: at ``t = 1`` fixed_small returns
  ``1e-20``, not ``β̃_1 = 0`` (a ``clamp(min=1e-20)`` before a log it may take; within the float64
  absolute floor of the check); fixed_large at ``t = 1`` is ``β_1`` (the original DDPM code used
  ``β̃_2`` there). ``step`` adds no noise at ``t = 1`` whatever the variance type (Algorithm 2).
- ``posterior(x_t, x0, t)`` (``DDPMScheduler`` only): ``step`` of a sibling scheduler built with
  ``type(s).from_config(s.config, prediction_type="sample")``, so the model output IS ``x̂_0`` and
  the mean of the step is ``μ̃_t(x_t, x_0)``; the variance is the sibling's fixed_small one.
- ``sample(eps_model, x_T, noises)``: the ancestral loop over ``scheduler.timesteps`` (``T-1..0``,
  i.e. lecture ``t = T..1``), ``noises[t-1]`` the ``z`` of step ``t`` (unused at ``t = 1``).

Precision
---------
diffusers keeps ``betas`` and ``alphas_cumprod`` in float32 whatever dtype the samples have, and
``step`` forms ``β_t = 1 − ᾱ_t/ᾱ_{t-1}`` from that float32 cumulative product. ``betas`` here is
the scheduler's own float32 schedule widened exactly to float64 (so the oracle is evaluated on the
very numbers diffusers holds), but the error of diffusers' float32 cumulative product and of its
float32 coefficient arithmetic remains: float32 tolerances are the honest claim for a diffusers
scheduler, even when it is fed float64 samples (``verify_scheduler`` defaults to float32).
Measured (tests/test_adapters_diffusers.py, diffusers 0.42): fed float64 samples, every property
misses the float64 tolerance yet meets the float32 one; with its tables widened to float64
(``betas``, ``alphas``, ``alphas_cumprod``, ``one``) every property passes at float64 tolerance,
so diffusers' formulas are exact and its precision is that of its float32 tables.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any
from unittest import mock

import numpy as np
import torch

try:
    from diffusers import DDIMScheduler, DDPMScheduler
    from diffusers.schedulers import scheduling_ddpm
except ImportError as exc:  # pragma: no cover - exercised by a test that hides diffusers
    raise ImportError(
        "dgmcheck.adapters.diffusers needs the diffusers library, which is not installed: "
        'pip install "dgmcheck[adapters]"'
    ) from exc

from dgmcheck.theory.schedules import validate_betas

__all__ = [
    "DiffusersDDIM",
    "DiffusersDDPM",
    "diffusers_timestep",
    "scheduler_betas",
    "verify_scheduler",
]

EpsModel = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # ε_θ(x_t, t), lecture t

#: variance kinds of the DDPMCandidate protocol -> DDPMScheduler variance_type
VARIANCE_TYPES = {"beta_tilde": "fixed_small", "beta": "fixed_large"}
#: variance types whose ``step`` samples with σ_t² = β̃_t (fixed_small_log multiplies the noise by
#: the standard deviation it returns: the same law).
_BETA_TILDE_TYPES = ("fixed_small", "fixed_small_log")


def diffusers_timestep(t: Any) -> Any:
    """Lecture step ``t`` (1..T) → diffusers timestep ``k = t − 1``; ``alphas_cumprod[k] = ᾱ_t``."""
    return t - 1


def scheduler_betas(scheduler: Any) -> np.ndarray:
    """The scheduler's schedule as float64 ``β_t``, ``t = 1..T`` (``betas[t-1] = β_t``).

    diffusers holds ``scheduler.betas`` in float32; the widening to float64 is exact, so these are
    the very numbers the scheduler computes with. Compare them with
    ``dgmcheck.theory.schedules.linear_betas`` / ``cosine_betas`` at float32's rounding.
    """
    betas = getattr(scheduler, "betas", None)
    if betas is None:
        raise TypeError(f"scheduler must have a 'betas' tensor; {type(scheduler).__name__} "
                        "has none")
    arr = betas.detach().cpu().double().numpy() if hasattr(betas, "detach") else np.asarray(
        betas, dtype=np.float64)
    config = getattr(scheduler, "config", None)
    if config is not None and config.get("rescale_betas_zero_snr", False):
        raise ValueError(
            "scheduler has rescale_betas_zero_snr=True: its last step has β_T = 1 (ᾱ_T = 0), "
            "outside the lecture's β_t ∈ (0, 1); build it with rescale_betas_zero_snr=False")
    return validate_betas(arr, "scheduler.betas")


def _cfg(scheduler: Any, key: str, default: Any = None) -> Any:
    return scheduler.config.get(key, default)


def _refuse_common(scheduler: Any, name: str) -> None:
    """Refusals shared by both schedulers: clipping, thresholding, a non-ε parametrization."""
    if _cfg(scheduler, "clip_sample", False):
        r = _cfg(scheduler, "clip_sample_range", 1.0)
        raise ValueError(
            f"scheduler has clip_sample=True: {name}.step clamps x̂_0 to [-{r}, {r}], a "
            "nonlinear change of the DDPM step that no exact oracle holds; build it with "
            f"clip_sample=False ({name}.from_config(scheduler.config, clip_sample=False))")
    if _cfg(scheduler, "thresholding", False):
        raise ValueError(
            "scheduler has thresholding=True: dynamic thresholding of x̂_0 is a nonlinear change of "
            "the DDPM step that no exact oracle holds; build it with thresholding=False")
    pred = _cfg(scheduler, "prediction_type", "epsilon")
    if pred != "epsilon":
        raise ValueError(
            f"scheduler has prediction_type={pred!r}: the adapter feeds scheduler.step the "
            "ε-prediction of the lecture's parametrization; build it with "
            "prediction_type='epsilon'")


def _full_grid(T: int) -> torch.Tensor:
    return torch.arange(T - 1, -1, -1, dtype=torch.long)


class _SchedulerAdapter:
    """What both adapters share: index mapping, ``q_sample``, the grouped ``step``, ``sample``."""

    _scheduler_type: type = object
    _name = "scheduler"

    def __init__(self, scheduler: Any, *, dtype: Any = torch.float32,
                 device: Any = "cpu") -> None:
        if not isinstance(scheduler, self._scheduler_type):
            raise TypeError(f"scheduler must be a diffusers {self._scheduler_type.__name__}, got "
                            f"{type(scheduler).__name__}")
        _refuse_common(scheduler, self._name)
        self.scheduler = scheduler
        betas = scheduler_betas(scheduler)
        self.T = len(betas)
        #: float64 copy of the scheduler's own float32 β_t (``betas[t-1] = β_t``)
        self.betas = torch.as_tensor(betas, dtype=torch.float64)
        self.dtype = dtype
        self.device = torch.device(device)
        self._check_grid()

    # -- index mapping ------------------------------------------------------------------------
    def diffusers_timestep(self, t: Any) -> Any:
        """Lecture step ``t`` (1..T) → diffusers timestep ``t − 1`` (override to plant a bug)."""
        return diffusers_timestep(t)

    def _steps(self, t: Any, x: torch.Tensor) -> torch.Tensor:
        """Lecture steps as a long tensor of shape ``(batch,)`` on ``x``'s device, in 1..T."""
        if isinstance(t, torch.Tensor) and t.is_floating_point():
            raise TypeError(f"t must be an integer step (1..T), got a {t.dtype} tensor")
        t = torch.as_tensor(t, dtype=torch.long, device=x.device)
        if t.ndim == 0:
            t = t.expand(x.shape[0])
        if t.shape != (x.shape[0],):
            raise ValueError(f"t must have shape (batch,) = ({x.shape[0]},), got {tuple(t.shape)}")
        if bool(((t < 1) | (t > self.T)).any()):
            raise ValueError(f"t must lie in 1..T = 1..{self.T} (lecture steps; diffusers' "
                             f"timestep is t - 1), got {t.tolist()}")
        return t

    def _check_grid(self) -> None:
        raise NotImplementedError

    # -- forward process -----------------------------------------------------------------------
    def q_sample(self, x0: torch.Tensor, t: Any, noise: torch.Tensor) -> torch.Tensor:
        """ddpm.forward_marginal through ``scheduler.add_noise(x0, noise, t − 1)``."""
        t = self._steps(t, x0)
        return self.scheduler.add_noise(x0, noise, self.diffusers_timestep(t))

    # -- reverse step --------------------------------------------------------------------------
    def _step_one(self, scheduler: Any, model_output: torch.Tensor, k: int,
                  sample: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _step_grouped(self, scheduler: Any, x_t: torch.Tensor, t: Any,
                      model_output: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        """``scheduler.step`` over a batch with per-sample steps: one call per distinct ``t``."""
        self._check_grid()
        t = self._steps(t, x_t)
        if model_output.shape != x_t.shape:
            raise ValueError(f"the model output must have the shape of x_t {tuple(x_t.shape)}, "
                             f"got {tuple(model_output.shape)}")
        if noise is None:
            noise = torch.zeros_like(x_t)
        elif noise.shape != x_t.shape:
            raise ValueError(f"noise must have the shape of x_t {tuple(x_t.shape)}, "
                             f"got {tuple(noise.shape)}")
        out = torch.empty_like(x_t)
        for tv in torch.unique(t).tolist():
            idx = (t == tv).nonzero(as_tuple=True)[0]
            k = int(self.diffusers_timestep(tv))
            out[idx] = self._step_one(scheduler, model_output[idx], k, x_t[idx],
                                      noise[idx]).to(out.dtype)
        return out

    def posterior_mean_from_eps(self, x_t: torch.Tensor, t: Any,
                                eps: torch.Tensor) -> torch.Tensor:
        """ddpm.eps_mean: the mean of ``scheduler.step(eps, t − 1, x_t)`` (step with zero noise)."""
        return self._step_grouped(self.scheduler, x_t, t, eps, None)

    def reverse_step(self, x_t: torch.Tensor, t: Any, eps: torch.Tensor,
                     noise: torch.Tensor) -> torch.Tensor:
        """ddpm.ancestral_sampling: ``scheduler.step(eps, t − 1, x_t)``, its noise ``noise``."""
        return self._step_grouped(self.scheduler, x_t, t, eps, noise)

    def sample(self, eps_model: EpsModel, x_T: torch.Tensor, noises: torch.Tensor) -> torch.Tensor:
        """The ancestral loop over ``scheduler.timesteps`` (lecture ``t = T..1``).

        ``noises[t-1]`` is the ``z`` of step ``t`` (unused at ``t = 1``); ``eps_model(x, t)`` gets
        the lecture's ``t``.
        """
        self._check_grid()
        if tuple(noises.shape) != (self.T, *x_T.shape):
            raise ValueError(f"noises must have shape (T, *x_T.shape) = {(self.T, *x_T.shape)}, "
                             f"got {tuple(noises.shape)}")
        x = x_T
        for k in self.scheduler.timesteps.tolist():
            t = int(k) + 1  # diffusers timestep k is lecture step k + 1
            tt = torch.full((x.shape[0],), t, dtype=torch.long, device=x.device)
            eps = eps_model(x, tt)
            x = self._step_one(self.scheduler, eps, int(self.diffusers_timestep(t)), x,
                               noises[t - 1]).to(x.dtype)
        return x

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({type(self.scheduler).__name__}(T={self.T}, "
                f"beta_schedule={_cfg(self.scheduler, 'beta_schedule')!r}), dtype={self.dtype})")


class DiffusersDDPM(_SchedulerAdapter):
    """A ``diffusers.DDPMScheduler`` as a ``dgmcheck.checks.ddpm.DDPMCandidate`` (steps 1..T).

    Refused (ValueError): ``clip_sample=True``, ``thresholding=True``, ``prediction_type`` other
    than ``"epsilon"``, ``rescale_betas_zero_snr=True``, a timestep grid other than all of
    ``0..T-1`` (``set_timesteps`` with fewer steps skips steps: not the lecture's chain), and the
    variance types ``fixed_large_log`` (its ``step`` takes ``log(β_t) ** 0.5``: NaN), ``learned``
    and ``learned_range`` (they need a model-predicted variance). With ``variance_type=
    "fixed_large"`` the sampler uses ``σ_t² = β_t``, while the ancestral-sampling checks hold
    ``σ_t² = β̃_t``: ``reverse_step`` and ``sample`` are then not offered (verify reports them not
    applicable); ``reverse_variance`` reads both kinds whatever the type.
    """

    _scheduler_type = DDPMScheduler
    _name = "DDPMScheduler"

    def __init__(self, scheduler: Any, *, dtype: Any = torch.float32,
                 device: Any = "cpu") -> None:
        super().__init__(scheduler, dtype=dtype, device=device)
        vt = _cfg(scheduler, "variance_type", "fixed_small")
        if vt not in (*_BETA_TILDE_TYPES, "fixed_large"):
            why = ("its step takes log(β_t) ** 0.5, which is NaN" if vt == "fixed_large_log"
                   else "it needs a variance predicted by the model")
            raise ValueError(f"scheduler has variance_type={vt!r}, which the adapter cannot hold "
                             f"to a fixed-variance oracle ({why}); build it with "
                             "variance_type='fixed_small' (σ_t² = β̃_t) or 'fixed_large' (β_t)")
        self.variance_type = vt
        if vt == "fixed_large":
            # σ_t² = β_t: the β̃_t ancestral checks do not apply (shadow the methods: not callable).
            self.reverse_step = None  # type: ignore[assignment]
            self.sample = None  # type: ignore[assignment]
        # The posterior through step: a sibling whose model output is x̂_0 itself.
        sib = type(scheduler).from_config(scheduler.config, prediction_type="sample",
                                          variance_type="fixed_small")
        for name in ("betas", "alphas", "alphas_cumprod", "one"):  # the very same tables
            if hasattr(scheduler, name):
                setattr(sib, name, getattr(scheduler, name).clone())
        self._x0_scheduler = sib

    def _check_grid(self) -> None:
        ts = torch.as_tensor(self.scheduler.timesteps).detach().cpu().long()
        if not torch.equal(ts, _full_grid(self.T)):
            raise ValueError(
                f"scheduler.timesteps must be all of {self.T - 1}..0 (lecture steps T..1), got "
                f"{ts.tolist()[:8]}{'...' if len(ts) > 8 else ''}: a shorter grid skips steps and "
                f"a steps_offset shifts them; call scheduler.set_timesteps({self.T}) with "
                "steps_offset=0, or build a fresh scheduler")

    def _step_one(self, scheduler: Any, model_output: torch.Tensor, k: int,
                  sample: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """One ``scheduler.step`` at timestep ``k``; its ``randn_tensor`` draw is ``noise``."""
        calls = []

        def given_noise(shape: Any, generator: Any = None, device: Any = None,
                        dtype: Any = None, layout: Any = None, **_: Any) -> torch.Tensor:
            if tuple(shape) != tuple(noise.shape):
                raise RuntimeError(f"scheduler.step asked for noise of shape {tuple(shape)}, "
                                   f"the adapter holds {tuple(noise.shape)}")
            calls.append(shape)
            return noise.to(device=device if device is not None else noise.device,
                            dtype=dtype if dtype is not None else noise.dtype)

        module = inspect.getmodule(type(scheduler).step)
        if module is None or not hasattr(module, "randn_tensor"):
            module = scheduling_ddpm
        with mock.patch.object(module, "randn_tensor", given_noise):
            out = scheduler.step(model_output, k, sample, return_dict=False)[0]
        if k > 0 and not calls:
            raise RuntimeError(
                f"{type(scheduler).__name__}.step did not draw its noise through "
                f"{module.__name__}.randn_tensor, so the adapter cannot give it the noise: "
                "the step is not a deterministic function of its inputs here")
        return out

    def reverse_variance(self, t: Any, like: torch.Tensor,
                         kind: str = "beta_tilde") -> torch.Tensor:
        """ddpm.optimal_variance: ``_get_variance(t − 1, variance_type=...)``, shape (B, 1, ...).

        ``"beta_tilde"`` ↔ ``"fixed_small"`` (``1e-20`` at ``t = 1``, diffusers' clamp),
        ``"beta"`` ↔ ``"fixed_large"`` (``β_1`` at ``t = 1``).
        """
        if kind not in VARIANCE_TYPES:
            raise ValueError(f"kind must be one of {tuple(VARIANCE_TYPES)}, got {kind!r}")
        t = self._steps(t, like)
        table = {tv: self.scheduler._get_variance(int(self.diffusers_timestep(tv)),
                                                  variance_type=VARIANCE_TYPES[kind])
                 for tv in torch.unique(t).tolist()}
        vals = torch.stack([torch.as_tensor(table[tv]).reshape(()) for tv in t.tolist()])
        return vals.to(device=like.device, dtype=like.dtype).reshape(
            (-1,) + (1,) * (like.ndim - 1))

    def posterior(self, x_t: torch.Tensor, x0: torch.Tensor,
                  t: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """ddpm.posterior: mean of ``step(x0, t − 1, x_t)`` on the ``prediction_type="sample"``
        sibling (its model output is ``x̂_0 = x0``), variance its fixed_small ``β̃_t``."""
        if x0.shape != x_t.shape:
            raise ValueError(f"x0 must have the shape of x_t {tuple(x_t.shape)}, "
                             f"got {tuple(x0.shape)}")
        mean = self._step_grouped(self._x0_scheduler, x_t, t, x0, None)
        t = self._steps(t, x_t)
        var = torch.stack([torch.as_tensor(self._x0_scheduler._get_variance(
            int(self.diffusers_timestep(tv)), variance_type="fixed_small")).reshape(())
            for tv in t.tolist()])
        return mean, var.to(device=x_t.device, dtype=x_t.dtype).reshape(
            (-1,) + (1,) * (x_t.ndim - 1))


class DiffusersDDIM(_SchedulerAdapter):
    """A ``diffusers.DDIMScheduler`` stepped with ``eta = 1`` on the full grid of ``T`` timesteps.

    There DDIM's ``σ_t² = η² (1-ᾱ_{t-1})/(1-ᾱ_t) (1 - ᾱ_t/ᾱ_{t-1}) = β̃_t`` and its direction term
    ``√(1-ᾱ_{t-1}-σ_t²) ε`` makes the step DDPM's ancestral step, so it is held to the same oracles
    (``q_sample``, ``posterior_mean_from_eps``, ``reverse_step``, ``sample``). Refused
    (ValueError): ``eta != 1``; ``set_timesteps`` not called with ``num_train_timesteps`` (or a
    grid other than all of ``0..T-1``); ``set_alpha_to_one=False`` (the last step would use
    ``ᾱ_1`` for ``ᾱ_0 = 1`` and return ``x_1`` unchanged); clipping, thresholding, a non-ε
    prediction type.
    """

    _scheduler_type = DDIMScheduler
    _name = "DDIMScheduler"

    def __init__(self, scheduler: Any, *, eta: float = 1.0, dtype: Any = torch.float32,
                 device: Any = "cpu") -> None:
        if eta != 1:
            raise ValueError(
                f"eta must be 1, got {eta!r}: only eta = 1 on the full grid is DDPM's ancestral "
                "sampler (σ_t² = β̃_t); other eta values are DDIM's non-Markovian samplers, which "
                "these oracles do not describe")
        self.eta = 1.0
        super().__init__(scheduler, dtype=dtype, device=device)
        final = float(torch.as_tensor(scheduler.final_alpha_cumprod))
        if final != 1.0:
            raise ValueError(
                "scheduler has set_alpha_to_one=False: its last step (timestep 0) uses "
                f"ᾱ_prev = ᾱ_1 = {final!r} instead of ᾱ_0 = 1 and returns x_1 unchanged; "
                "build it with set_alpha_to_one=True")

    def _check_grid(self) -> None:
        n = self.scheduler.num_inference_steps
        ts = torch.as_tensor(self.scheduler.timesteps).detach().cpu().long()
        if n != self.T or not torch.equal(ts, _full_grid(self.T)):
            raise ValueError(
                f"scheduler.timesteps must be all of {self.T - 1}..0 (num_inference_steps = "
                f"num_train_timesteps = {self.T}), got num_inference_steps={n} and timesteps "
                f"{ts.tolist()[:8]}{'...' if len(ts) > 8 else ''}; call "
                f"scheduler.set_timesteps({self.T}) (with steps_offset=0)")

    def _step_one(self, scheduler: Any, model_output: torch.Tensor, k: int,
                  sample: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        return scheduler.step(model_output, k, sample, eta=self.eta, variance_noise=noise,
                              return_dict=False)[0]


def verify_scheduler(scheduler: Any, *, dtype: Any = torch.float32, device: Any = "cpu",
                     **kw: Any) -> Any:
    """``dgmcheck.checks.ddpm.verify`` of the scheduler through its adapter (DDIM: eta = 1).

    ``dtype`` defaults to float32: diffusers holds its schedule tables in float32, so float32
    tolerances are what a correct diffusers scheduler can meet (see the module docstring).
    """
    from dgmcheck.checks.ddpm import verify

    adapter_type = DiffusersDDIM if isinstance(scheduler, DDIMScheduler) else DiffusersDDPM
    return verify(adapter_type(scheduler, dtype=dtype, device=device), dtype=dtype,
                  device=device, **kw)
