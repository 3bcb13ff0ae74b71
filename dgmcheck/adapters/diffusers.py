"""Adapter: hold 🤗 diffusers' ``DDPMScheduler`` and ``DDIMScheduler`` to dgmcheck's DDPM, DDIM and
parametrization oracles.

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
  batch is grouped by ``t``. ``DDPMScheduler.step`` draws its own noise (diffusers'
  ``randn_tensor``, when ``k > 0``); the adapter runs ``step`` inside
  ``dgmcheck.checks.capture.captured``, which feeds the given noise to whatever normal draw it makes
  (``randn_tensor``, ``torch.randn``, ``randn_like``, ``Tensor.normal_``, with or without a
  generator), so a ``step`` written anew is checked as well. A draw capture cannot feed (one made
  inside a C++ kernel), a second draw, or one of another kind raise ``CaptureMismatch``, which the
  checks report as a violation of the step's theorem. ``DDIMScheduler.step`` takes
  ``variance_noise=``; it is passed when ``step`` accepts it, and any draw of its own is fed too.
- ``reverse_variance(t, like, kind)``: ``DDPMScheduler._get_variance(t − 1, variance_type=...)``
  (the function ``step`` takes its variance from), with ``"beta_tilde"`` ↔ ``"fixed_small"`` and
  ``"beta"`` ↔ ``"fixed_large"``. Two diffusers details: at ``t = 1`` fixed_small returns
  ``1e-20``, not ``β̃_1 = 0`` (a ``clamp(min=1e-20)`` before a log it may take; within the float64
  absolute floor of the check); fixed_large at ``t = 1`` is ``β_1`` (the original DDPM code used
  ``β̃_2`` there). ``step`` adds no noise at ``t = 1`` whatever the variance type (Algorithm 2).
- ``posterior(x_t, x0, t)`` (``DDPMScheduler`` only): from the scheduler itself, no second
  scheduler. The mean's coefficients ``√ᾱ_{t-1}β_t/(1-ᾱ_t)`` and ``√α_t(1-ᾱ_{t-1})/(1-ᾱ_t)`` from its
  own ``alphas_cumprod`` (``α_t = ᾱ_t/ᾱ_{t-1}``, ``β_t = 1 − α_t``, as ``step`` forms them); the
  variance ``β̃_t`` is the square of the ``σ_t`` its own ``step`` adds (fixed_small), or its
  ``_get_variance(t − 1, variance_type="fixed_small")`` (fixed_large). Through ``step`` with an ε
  that makes ``x̂_0 = x_0`` the mean would carry ``x̂_0``'s rounding relative to ``x_t``, which
  swamps a small ``x_0``; the step's mean is held by ``posterior_mean_from_eps`` (``eps_mean``).
- Subclasses: no check builds a scheduler with ``from_config`` (a subclass whose ``__init__``
  takes ``*args, **kwargs`` gets none of the config from it); the grids and the parametrization run
  on a deep copy whose config is overridden (``register_to_config``).
- ``sample(eps_model, x_T, noises)``: the ancestral loop over ``scheduler.timesteps`` (``T-1..0``,
  i.e. lecture ``t = T..1``), ``noises[t-1]`` the ``z`` of step ``t`` (unused at ``t = 1``).

DDIM for any η, respaced chains, prediction types
-------------------------------------------------
``verify_scheduler(DDIMScheduler(...), num_inference_steps=50, eta=0.0)`` checks, in one call, the
DDIM family (``dgmcheck.checks.ddim`` through ``DiffusersDDIMSampler``: the step on the scheduler's
own grid ``timesteps + 1``, the marginals down it, η = 0 as a PF-ODE Euler step, η = 1 as DDPM,
``set_timesteps`` against ``theory.ddim.grid``) and the parametrization family (``prediction_type``
→ x̂_0 inside ``step``, ``get_velocity``). A ``DDPMScheduler`` after ``set_timesteps(n)`` is the
respaced chain (``DiffusersRespacedDDPM``). ``prediction_type`` "sample"/"v_prediction": the
lecture's ε is converted with ``theory.parametrization.conversion`` before ``step``. Finding:
``DDIMScheduler.step`` steps to ``k − ⌊T/n⌋`` whatever the grid, which is off the grid for
``timestep_spacing="linspace"`` (and "trailing" when n does not divide T): ``ddim.step`` fails there.

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

import copy
import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

try:
    from diffusers import DDIMScheduler, DDPMScheduler
except ImportError as exc:  # pragma: no cover - exercised by a test that hides diffusers
    raise ImportError(
        "dgmcheck.adapters.diffusers needs the diffusers library, which is not installed: "
        'pip install "dgmcheck[adapters]"'
    ) from exc

from dgmcheck.theory import parametrization as th_param
from dgmcheck.theory.schedules import validate_betas

__all__ = [
    "PREDICTION_KINDS",
    "DiffusersDDIM",
    "DiffusersDDIMSampler",
    "DiffusersDDPM",
    "DiffusersParametrization",
    "DiffusersRespacedDDPM",
    "SchedulerReport",
    "diffusers_timestep",
    "scheduler_betas",
    "verify_scheduler",
]

EpsModel = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # ε_θ(x_t, t), lecture t

#: diffusers' prediction_type -> the parametrization kind of dgmcheck.theory.parametrization
PREDICTION_KINDS = {"epsilon": "eps", "sample": "x0", "v_prediction": "v"}
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
    if pred not in PREDICTION_KINDS:
        raise ValueError(
            f"scheduler has prediction_type={pred!r}: the adapter converts the lecture's "
            f"ε-prediction to one of {tuple(PREDICTION_KINDS)} (dgmcheck.theory.parametrization)")


def _alpha_bar(scheduler: Any, t: int) -> float:
    """``ᾱ_t`` (lecture step) from the scheduler's own float32 table, widened exactly."""
    return float(torch.as_tensor(scheduler.alphas_cumprod[t - 1]).double())


def _from_eps(scheduler: Any, eps: torch.Tensor, x_t: torch.Tensor, t: int) -> torch.Tensor:
    """The scheduler's model output for the ε-prediction ``eps`` at lecture step ``t``:
    ``A·ε + B·x_t`` of ``theory.parametrization.conversion("eps", kind, ᾱ_t)`` (identity for ε)."""
    kind = PREDICTION_KINDS[_cfg(scheduler, "prediction_type", "epsilon")]
    if kind == "eps":
        return eps
    A, B = th_param.conversion("eps", kind, _alpha_bar(scheduler, t))
    return float(A) * eps + float(B) * x_t


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
            mo = model_output[idx]
            if scheduler is self.scheduler:  # the lecture's ε → the scheduler's prediction type
                mo = _from_eps(scheduler, mo, x_t[idx], int(tv))
            out[idx] = self._step_one(scheduler, mo, k, x_t[idx], noise[idx]).to(out.dtype)
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
            eps = _from_eps(self.scheduler, eps_model(x, tt), x, t)
            x = self._step_one(self.scheduler, eps, int(self.diffusers_timestep(t)), x,
                               noises[t - 1]).to(x.dtype)
        return x

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({type(self.scheduler).__name__}(T={self.T}, "
                f"beta_schedule={_cfg(self.scheduler, 'beta_schedule')!r}), dtype={self.dtype})")


def _step_outputs(out: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(prev_sample, pred_original_sample or None)`` of what a ``step`` returned: diffusers'
    output object, a tuple (``return_dict=False``) or a bare tensor."""
    if hasattr(out, "prev_sample"):
        return out.prev_sample, getattr(out, "pred_original_sample", None)
    if isinstance(out, (tuple, list)):
        return out[0], (out[1] if len(out) > 1 else None)
    if isinstance(out, torch.Tensor):
        return out, None
    raise TypeError(f"scheduler.step must return a tensor, a tuple or an object with prev_sample, got "
                    f"{type(out).__name__}")


def _fed_step(scheduler: Any, noise: torch.Tensor, *args: Any, **kwargs: Any) -> tuple[torch.Tensor,
                                                                                      torch.Tensor | None]:
    """``scheduler.step(*args, **kwargs)`` with every normal draw it makes fed from ``noise``
    (``dgmcheck.checks.capture.captured``: ``torch.randn``/``randn_like``/diffusers' ``randn_tensor``,
    with or without a generator); at most one draw, of ``noise``'s shape. A draw capture cannot feed
    (a C++ kernel's), a second draw or one of another kind raises ``CaptureMismatch``: the step is
    then not the deterministic function of its inputs and ``noise`` that the exact checks need."""
    from dgmcheck.checks.capture import CaptureMismatch, RandnFeed, captured

    if _stock_step(scheduler):  # one randn_tensor at most and no state: fed at the aten level
        lean = RandnFeed(noise)
        with lean:
            out = scheduler.step(*args, **kwargs)
        if not lean.other:
            return _step_outputs(out)
    with captured(values=[noise], allow_unused=True) as log:
        out = scheduler.step(*args, **kwargs)
    odd = [d for d in log.draws if not d.fed or d.kind != "normal"]
    if odd:
        raise CaptureMismatch(f"{type(scheduler).__name__}.step drew other than one standard normal "
                              f"shaped like the sample, which the adapter cannot give it:\n{log.describe()}")
    return _step_outputs(out)


def _stock_step(scheduler: Any) -> bool:
    """Whether ``scheduler.step`` is diffusers' own ``DDPMScheduler.step`` (the class itself, not a
    subclass, and the method not replaced on the instance): stateless, at most one normal draw."""
    from diffusers import DDPMScheduler

    return type(scheduler) is DDPMScheduler and getattr(scheduler.step, "__func__", None) is DDPMScheduler.step


def _ddpm_step(scheduler: Any, model_output: torch.Tensor, k: int, sample: torch.Tensor,
               noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``DDPMScheduler.step(model_output, k, sample)`` with its noise draw fed from ``noise``
    (``_fed_step``); returns ``(prev_sample, pred_original_sample)``."""
    return _fed_step(scheduler, noise, model_output, k, sample, return_dict=False)


def _takes(fn: Callable, name: str) -> bool:
    """Whether ``fn`` accepts the keyword ``name`` (by name or through ``**kwargs``); read once per
    function (a sampler calls ``step`` thousands of times)."""
    return _takes_function(getattr(fn, "__func__", fn), name)


@functools.lru_cache(maxsize=256)
def _takes_function(fn: Callable, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in params)


def _ddim_step(scheduler: Any, model_output: torch.Tensor, k: int, sample: torch.Tensor, eta: float,
               noise: torch.Tensor) -> torch.Tensor:
    """``DDIMScheduler.step(model_output, k, sample, eta=η)`` with ``variance_noise=noise`` when
    ``step`` takes it, and any normal draw of its own fed from ``noise`` (``_fed_step``)."""
    kw: dict[str, Any] = {"eta": eta, "return_dict": False}
    if _takes(scheduler.step, "variance_noise"):
        # Given its noise, the step draws nothing: called as it is (a capture would intercept every
        # torch call of every step, 3x the cost of a sampler run); one that draws all the same
        # returns other numbers than the formula's, which the checks report.
        return _step_outputs(scheduler.step(model_output, k, sample, variance_noise=noise, **kw))[0]
    return _fed_step(scheduler, noise, model_output, k, sample, **kw)[0]


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
        return _ddpm_step(scheduler, model_output, k, sample, noise)[0]

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

    def _posterior_coefficients(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(c_0, c_t)`` at diffusers timestep ``k`` from the scheduler's own ``alphas_cumprod``
        (and ``one`` for ``ᾱ_0``), in the tables' dtype and in the order ``DDPMScheduler.step``
        evaluates them: ``α_t = ᾱ_t/ᾱ_{t-1}``, ``β_t = 1 − α_t``."""
        table = torch.as_tensor(self.scheduler.alphas_cumprod)
        ab = table[k]
        ab_prev = table[k - 1] if k > 0 else torch.as_tensor(getattr(self.scheduler, "one", 1.0),
                                                              dtype=table.dtype)
        alpha = ab / ab_prev
        c0 = ab_prev ** 0.5 * (1 - alpha) / (1 - ab)
        ct = alpha ** 0.5 * (1 - ab_prev) / (1 - ab)
        return c0, ct

    def posterior(self, x_t: torch.Tensor, x0: torch.Tensor,
                  t: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """ddpm.posterior (000 L8 "Conditioned Reverse Distribution") from the scheduler's own
        tables and its own ``step``; no second scheduler is built, so a subclass whose ``__init__``
        does not forward its config, or a ``step`` written anew, is held to what it holds and
        computes itself.

        Mean ``μ̃_t(x_t, x_0) = √ᾱ_{t-1}β_t/(1-ᾱ_t) x_0 + √α_t(1-ᾱ_{t-1})/(1-ᾱ_t) x_t`` with
        ``ᾱ_t = alphas_cumprod[t − 1]``, ``ᾱ_{t-1} = alphas_cumprod[t − 2]`` (``one`` at ``t = 1``),
        ``α_t = ᾱ_t/ᾱ_{t-1}`` and ``β_t = 1 − α_t``, evaluated as ``step`` evaluates them (in the
        tables' dtype; the samples' dtype for the sum). Not through ``step``:
        an ε-prediction step reaches ``x̂_0`` as ``(x_t − √(1-ᾱ_t) ε)/√ᾱ_t``, whose rounding is
        relative to ``x_t`` and swamps a small ``x_0`` (``μ̃_1 = x_0``); the step's mean is held by
        ``eps_mean`` instead.
        Variance ``β̃_t = (1-ᾱ_{t-1})/(1-ᾱ_t) β_t``: for fixed_small(_log), the square of what
        ``step(0, t − 1, 0)`` adds with noise 1 (model output 0 at ``x_t = 0`` gives ``x̂_0 = 0``
        and mean 0 in every parametrization), i.e. the step's own ``σ_t`` (0 at ``t = 1``,
        Algorithm 2); for fixed_large (whose step samples with ``β_t``),
        ``_get_variance(t − 1, variance_type="fixed_small")``.
        """
        if x0.shape != x_t.shape:
            raise ValueError(f"x0 must have the shape of x_t {tuple(x_t.shape)}, "
                             f"got {tuple(x0.shape)}")
        self._check_grid()
        t = self._steps(t, x_t)
        mean = torch.empty_like(x_t)
        var = torch.empty(x_t.shape[0], dtype=torch.float64)
        for tv in torch.unique(t).tolist():
            idx = (t == tv).nonzero(as_tuple=True)[0]
            # the table row the scheduler's step reads for this lecture step
            k = int(self.diffusers_timestep(tv))
            c0, ct = self._posterior_coefficients(k)
            mean[idx] = (c0.to(x0.device) * x0[idx] + ct.to(x_t.device) * x_t[idx]).to(mean.dtype)
            if self.variance_type in _BETA_TILDE_TYPES:
                probe = torch.zeros_like(x_t[idx][:1])
                sigma = _ddpm_step(self.scheduler, probe, k, probe, torch.ones_like(probe))[0]
                var[idx] = sigma.reshape(-1)[0].double() ** 2
            else:
                var[idx] = torch.as_tensor(self.scheduler._get_variance(
                    k, variance_type="fixed_small")).reshape(()).double()
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
    #: its mean is DDIM's step (x̂₀ and the direction term): held to that route's rounding in float32
    #: (``dgmcheck.checks.ddpm.MEAN_ROUTE``)
    mean_route = "ddim"

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
        return _ddim_step(scheduler, model_output, k, sample, self.eta, noise)


# --------------------------------------------------------------------------- DDIM family
def _lecture_grid(scheduler: Any) -> np.ndarray:
    """``scheduler.timesteps + 1``: the lecture steps the sampler visits (descending)."""
    if getattr(scheduler, "num_inference_steps", None) is None and isinstance(scheduler,
                                                                              DDIMScheduler):
        raise ValueError(
            "scheduler.set_timesteps was not called: call scheduler.set_timesteps(n) or pass "
            "num_inference_steps=n to verify_scheduler")
    return torch.as_tensor(scheduler.timesteps).detach().cpu().long().numpy() + 1


def _sibling(scheduler: Any, **config: Any) -> Any:
    """A copy of the scheduler (same class, tables and state) with ``config`` overriding its config.

    A deep copy, not ``type(scheduler).from_config``: a subclass whose ``__init__`` takes
    ``*args, **kwargs`` gets no keyword from ``from_config`` (diffusers matches the config to the
    named parameters of ``__init__``) and would come back with the default config."""
    sib = copy.deepcopy(scheduler)
    if config:
        sib.register_to_config(**config)
        if "variance_type" in config and hasattr(sib, "variance_type"):
            sib.variance_type = config["variance_type"]  # DDPMScheduler.step reads the attribute
    return sib


class _GridAdapter:
    """What the DDIM-family adapters share: the tables, the grid, grouped steps, ``timesteps``."""

    _scheduler_type: type = object

    def __init__(self, scheduler: Any, *, dtype: Any = torch.float32, device: Any = "cpu") -> None:
        if not isinstance(scheduler, self._scheduler_type):
            raise TypeError(f"scheduler must be a diffusers {self._scheduler_type.__name__}, got "
                            f"{type(scheduler).__name__}")
        _refuse_common(scheduler, self._scheduler_type.__name__)
        scheduler_betas(scheduler)  # refuses rescale_betas_zero_snr
        self.scheduler = scheduler
        #: ᾱ_t (lecture t = 1..T) as diffusers holds them (float32), widened exactly
        self.alphas_cumprod = torch.as_tensor(scheduler.alphas_cumprod).detach().cpu().double()
        self.T = int(self.alphas_cumprod.numel())
        self.grid = torch.as_tensor(_lecture_grid(scheduler))
        self.dtype, self.device = dtype, torch.device(device)

    def _pairs(self, t: Any, s: Any, x: torch.Tensor) -> tuple[list[int], list[int]]:
        """Per-row lecture steps; each ``(t, s)`` must be consecutive on the grid (or its last point
        and 0): the only steps the scheduler takes."""
        t = torch.as_tensor(t).reshape(-1).tolist()
        s = torch.as_tensor(s).reshape(-1).tolist()
        if len(t) != x.shape[0] or len(s) != x.shape[0]:
            raise ValueError(f"t and s must have shape (batch,) = ({x.shape[0]},)")
        nxt = dict(zip(self.grid.tolist(), [*self.grid.tolist()[1:], 0], strict=True))
        for tv, sv in zip(t, s, strict=True):
            if tv not in nxt or nxt[tv] != sv:
                raise ValueError(f"(t, s) = ({tv}, {sv}) is not a step of the scheduler's grid "
                                 f"{self.grid.tolist()[:6]}... (lecture steps; diffusers' "
                                 "timestep is t - 1)")
        return t, s

    def _grouped(self, x: torch.Tensor, t: list[int], fn: Callable[[torch.Tensor, int], torch.Tensor]
                 ) -> torch.Tensor:
        out = torch.empty_like(x)
        tt = torch.as_tensor(t)
        for tv in sorted(set(t)):
            idx = (tt == tv).nonzero(as_tuple=True)[0].to(x.device)
            out[idx] = fn(idx, tv).to(out.dtype)
        return out

    def timesteps(self, n: int, spacing: str, steps_offset: int = 0) -> torch.Tensor:
        """ddim.grids: ``set_timesteps(n)`` of a copy with ``timestep_spacing=spacing`` and
        ``steps_offset``, as lecture steps (``timesteps + 1``)."""
        sib = _sibling(self.scheduler, timestep_spacing=spacing, steps_offset=steps_offset)
        sib.set_timesteps(n)
        return torch.as_tensor(sib.timesteps).detach().cpu().long() + 1

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({type(self.scheduler).__name__}(T={self.T}, "
                f"{len(self.grid)} steps, spacing={_cfg(self.scheduler, 'timestep_spacing')!r}))")


class DiffusersDDIMSampler(_GridAdapter):
    """A ``diffusers.DDIMScheduler`` after ``set_timesteps(n)`` as a
    ``dgmcheck.checks.ddim.DDIMCandidate``: ``ddim_step`` is ``scheduler.step(ε, t − 1, x_t, eta=η,
    variance_noise=z)`` for ``(t, s)`` consecutive on ``grid = scheduler.timesteps + 1`` (and the last
    point to 0, where ``ᾱ_0 = final_alpha_cumprod``: 1, or ``ᾱ_1`` with ``set_alpha_to_one=False``).
    Any η in [0, 1] (``eta`` fixes it), any ``timestep_spacing``/``steps_offset``, any
    ``prediction_type`` of ``PREDICTION_KINDS`` (ε converted with the parametrization oracle).

    diffusers' ``step`` does not read the grid: it steps to timestep ``k − ⌊T/n⌋``. That is the next
    grid point for ``"leading"`` spacing, and for ``"trailing"`` when ``n`` divides ``T``, but not
    for ``"linspace"`` (nor trailing otherwise): ``ddim.step`` then fails (diffusers issues #11347,
    #12633), as it should, since the sampler runs the model at the grid's next point.
    """

    _scheduler_type = DDIMScheduler

    def __init__(self, scheduler: Any, *, eta: float | None = None, dtype: Any = torch.float32,
                 device: Any = "cpu") -> None:
        super().__init__(scheduler, dtype=dtype, device=device)
        if eta is not None and not 0 <= float(eta) <= 1:
            raise ValueError(f"eta must lie in [0, 1], got {eta!r}")
        self.etas = None if eta is None else (float(eta),)
        self.final_alpha_cumprod = float(torch.as_tensor(scheduler.final_alpha_cumprod).double())

    def ddim_step(self, x_t: torch.Tensor, t: Any, s: Any, eps: torch.Tensor, eta: float,
                  noise: torch.Tensor) -> torch.Tensor:
        t_, _ = self._pairs(t, s, x_t)

        def one(idx: torch.Tensor, tv: int) -> torch.Tensor:
            mo = _from_eps(self.scheduler, eps[idx], x_t[idx], tv)
            return _ddim_step(self.scheduler, mo, tv - 1, x_t[idx], float(eta), noise[idx])

        return self._grouped(x_t, t_, one)


class DiffusersRespacedDDPM(_GridAdapter):
    """A ``diffusers.DDPMScheduler`` after ``set_timesteps(n)`` (any spacing) as a
    ``DDIMCandidate`` with ``respaced_step``: ``scheduler.step`` from grid point ``t`` to the next one
    ``s`` (diffusers' ``previous_timestep`` reads the grid), its noise injected, held to the respaced
    DDPM of ``theory.ddim.respaced_step`` (``β' = 1 − ᾱ_t/ᾱ_s``, ``σ² = β̃'``). Variance types
    ``fixed_small``/``fixed_small_log`` only (σ² = β̃')."""

    _scheduler_type = DDPMScheduler

    def __init__(self, scheduler: Any, *, dtype: Any = torch.float32, device: Any = "cpu") -> None:
        super().__init__(scheduler, dtype=dtype, device=device)
        vt = _cfg(scheduler, "variance_type", "fixed_small")
        if vt not in _BETA_TILDE_TYPES:
            raise ValueError(f"scheduler has variance_type={vt!r}: the respaced step is held to "
                             "σ² = β̃'; build it with variance_type='fixed_small'")

    def respaced_step(self, x_t: torch.Tensor, t: Any, s: Any, eps: torch.Tensor,
                      noise: torch.Tensor) -> torch.Tensor:
        t_, _ = self._pairs(t, s, x_t)

        def one(idx: torch.Tensor, tv: int) -> torch.Tensor:
            mo = _from_eps(self.scheduler, eps[idx], x_t[idx], tv)
            return _ddpm_step(self.scheduler, mo, tv - 1, x_t[idx], noise[idx])[0]

        return self._grouped(x_t, t_, one)


class DiffusersParametrization:
    """A scheduler's parametrization as a ``ParametrizationCandidate``: ``convert(pred, x_t, t,
    kind, "x0")`` is the ``pred_original_sample`` of ``scheduler.step`` (on a deep copy of the
    scheduler set to the full grid, fixed_small for a DDPMScheduler; ``kind`` the scheduler's
    ``prediction_type``), and ``velocity`` is
    ``scheduler.get_velocity(x0, eps, t − 1)``."""

    def __init__(self, scheduler: Any, *, dtype: Any = torch.float32, device: Any = "cpu") -> None:
        if not isinstance(scheduler, (DDPMScheduler, DDIMScheduler)):
            raise TypeError(f"scheduler must be a diffusers DDPMScheduler or DDIMScheduler, got "
                            f"{type(scheduler).__name__}")
        _refuse_common(scheduler, type(scheduler).__name__)
        self.scheduler = scheduler
        self.alphas_cumprod = torch.as_tensor(scheduler.alphas_cumprod).detach().cpu().double()
        self.T = int(self.alphas_cumprod.numel())
        self.kind = PREDICTION_KINDS[_cfg(scheduler, "prediction_type", "epsilon")]
        self.conversions = ((self.kind, "x0"),) if self.kind != "x0" else ()
        self._sib = _sibling(scheduler, variance_type="fixed_small") if isinstance(
            scheduler, DDPMScheduler) else _sibling(scheduler)
        self._sib.set_timesteps(self.T)
        self.dtype, self.device = dtype, torch.device(device)
        if not self.conversions:
            self.convert = None  # type: ignore[assignment]  # x0-prediction: nothing to convert

    def convert(self, pred: torch.Tensor, x_t: torch.Tensor, t: Any, src: str,
                dst: str) -> torch.Tensor:
        if (src, dst) not in self.conversions:
            raise ValueError(f"the scheduler converts {self.conversions} only, got {(src, dst)}")
        tl = torch.as_tensor(t).reshape(-1).tolist()
        out = torch.empty_like(x_t)
        zero = torch.zeros_like(x_t)
        for tv in sorted(set(tl)):
            idx = (torch.as_tensor(tl) == tv).nonzero(as_tuple=True)[0].to(x_t.device)
            if isinstance(self._sib, DDPMScheduler):
                x0 = _ddpm_step(self._sib, pred[idx], tv - 1, x_t[idx], zero[idx])[1]
            else:
                x0 = _fed_step(self._sib, zero[idx], pred[idx], tv - 1, x_t[idx], eta=0.0,
                               return_dict=False)[1]
            if x0 is None:
                raise TypeError(f"{type(self._sib).__name__}.step must return pred_original_sample "
                                "(x̂_0) beside prev_sample: the conversion is read from it")
            out[idx] = x0.to(out.dtype)
        return out

    def velocity(self, x0: torch.Tensor, eps: torch.Tensor, t: Any) -> torch.Tensor:
        return self.scheduler.get_velocity(x0, eps, torch.as_tensor(t).to(x0.device) - 1)


class SchedulerReport:
    """What ``verify_scheduler`` ran: one family report each (``reports``: family → report);
    ``passed`` names the properties as ``"family.property"``."""

    def __init__(self, candidate: str) -> None:
        self.candidate = candidate
        self.reports: dict[str, Any] = {}

    @property
    def passed(self) -> list[str]:
        return [f"{fam}.{name}" for fam, r in self.reports.items() for name in r.passed]

    def summary(self) -> str:
        return "\n".join([f"dgmcheck verify_scheduler: {self.candidate}"]
                         + [r.summary() for r in self.reports.values()])


def _full_grid_of(scheduler: Any) -> bool:
    ts = torch.as_tensor(scheduler.timesteps).detach().cpu().long()
    return torch.equal(ts, _full_grid(len(scheduler.alphas_cumprod)))


def verify_scheduler(scheduler: Any, *, num_inference_steps: int | None = None,
                     eta: float | None = None, dtype: Any = torch.float32, device: Any = "cpu",
                     **kw: Any) -> SchedulerReport:
    """Hold a diffusers ``DDPMScheduler`` / ``DDIMScheduler`` to every oracle that applies, in one call.

        verify_scheduler(DDIMScheduler(num_train_timesteps=1000, clip_sample=False),
                         num_inference_steps=50, eta=0.0)

    ``num_inference_steps`` calls ``scheduler.set_timesteps`` first (the scheduler is changed).
    Families run (each ``dgmcheck.checks.<family>.verify``; ``kw`` goes to each):

    - ``ddim``: a DDIMScheduler's step on its own grid for η = ``eta`` (None: η drawn from [0, 1]),
      the marginals down the grid, η = 1 / η = 0 identities where η allows, the grids; a
      DDPMScheduler's respaced step and grids.
    - ``ddpm``: on the full grid of ``T`` steps, a DDPMScheduler, or a DDIMScheduler at η = 1
      (``eta`` None or 1, ``set_alpha_to_one=True``).
    - ``parametrization``: the scheduler's ``prediction_type`` → x̂_0 inside ``step``, and
      ``get_velocity``.

    ``dtype`` defaults to float32: diffusers holds its schedule tables in float32, so float32
    tolerances are what a correct diffusers scheduler can meet (see the module docstring).
    ``properties`` (in ``kw``) selects by name, plain (``"step"``: every family that has it) or
    qualified (``"ddim.step"``); a family with none of the selected properties is not run.
    Raises ``TheoremViolation`` (``VerifyFailed``, with the family's report) on a violation.
    """
    from dgmcheck.checks import ddim as ddim_checks
    from dgmcheck.checks import ddpm as ddpm_checks
    from dgmcheck.checks import parametrization as param_checks

    if not isinstance(scheduler, (DDPMScheduler, DDIMScheduler)):
        raise TypeError(f"scheduler must be a diffusers DDPMScheduler or DDIMScheduler, got "
                        f"{type(scheduler).__name__}")
    if num_inference_steps is not None:
        scheduler.set_timesteps(num_inference_steps)
    is_ddim = isinstance(scheduler, DDIMScheduler)
    if eta is not None and not is_ddim and float(eta) != 1.0:
        raise ValueError(f"eta applies to a DDIMScheduler (a DDPMScheduler samples at η = 1), "
                         f"got eta={eta!r}")
    report = SchedulerReport(type(scheduler).__name__)
    wanted = kw.pop("properties", None)
    if isinstance(wanted, str):
        raise TypeError(f"properties must be a list of property names, got the string {wanted!r}")
    wanted = None if wanted is None else list(wanted)
    families = {"ddpm": ddpm_checks, "ddim": ddim_checks, "parametrization": param_checks}
    if wanted is not None:
        known = {n for m in families.values() for n in m.PROPERTY_NAMES}
        known |= {f"{f}.{n}" for f, m in families.items() for n in m.PROPERTY_NAMES}
        unknown = sorted(set(wanted) - known)
        if unknown:
            raise ValueError(f"properties must be among {sorted(known)}, got unknown {unknown}")

    def opts(family: str) -> dict[str, Any] | None:
        """``verify``'s options for a family; None when ``properties`` names none of its own."""
        o = {"dtype": dtype, "device": device, **kw}
        if wanted is None:
            return o
        names = families[family].PROPERTY_NAMES
        mine = [w.split(".", 1)[1] if w.startswith(f"{family}.") else w for w in wanted]
        mine = [n for n in dict.fromkeys(mine) if n in names]
        return {**o, "properties": mine} if mine else None

    def run(family: str, make: Callable[[], Any], **extra: Any) -> None:
        o = opts(family)
        if o is not None:
            report.reports[family] = families[family].verify(make(), **extra, **o)

    if is_ddim:
        run("ddim", lambda: DiffusersDDIMSampler(scheduler, eta=eta, dtype=dtype, device=device),
            eta=eta)
        final = float(torch.as_tensor(scheduler.final_alpha_cumprod))
        if eta in (None, 1, 1.0) and _full_grid_of(scheduler) and final == 1.0:
            run("ddpm", lambda: DiffusersDDIM(scheduler, dtype=dtype, device=device))
    else:
        if _full_grid_of(scheduler):
            run("ddpm", lambda: DiffusersDDPM(scheduler, dtype=dtype, device=device))
        if _cfg(scheduler, "variance_type", "fixed_small") in _BETA_TILDE_TYPES:
            run("ddim", lambda: DiffusersRespacedDDPM(scheduler, dtype=dtype, device=device))
    run("parametrization", lambda: DiffusersParametrization(scheduler, dtype=dtype, device=device))
    return report


# diffusers' σ-parametrized schedulers (Euler, Heun) are checked by the EDM family.
from dgmcheck.adapters.diffusers_sigma import (  # noqa: E402, F401
    DiffusersEuler,
    DiffusersHeun,
    check_grid,
    check_sigma_table,
    verify_sigma_scheduler,
)
