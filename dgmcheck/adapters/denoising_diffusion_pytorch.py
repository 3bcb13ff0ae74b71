"""Adapter: hold lucidrains' denoising-diffusion-pytorch ``GaussianDiffusion`` to the schedule, DDPM and
parametrization oracles, as it is written.

    >>> from denoising_diffusion_pytorch import GaussianDiffusion, Unet
    >>> from dgmcheck.adapters.denoising_diffusion_pytorch import verify_ddpm_pytorch
    >>> d = GaussianDiffusion(Unet(dim=8, dim_mults=(1, 2)), image_size=8, timesteps=100)
    >>> print(verify_ddpm_pytorch(d).summary())  # doctest: +SKIP

Duck typed on the method names (no import of the library here, so none of its requirements):

=================================================  ==================================  ===============================
the object's method (0-based ``t``)                protocol method                     theorem
=================================================  ==================================  ===============================
``betas`` against ``beta_schedule``                the schedule's closed form          schedules.linear / cosine /
                                                                                       sigmoid
``q_sample(x_start, t, noise)``                    ddpm ``q_sample``                   ddpm.forward_marginal
``q_posterior(x_start, x_t, t)[:2]``               ddpm ``posterior``                  ddpm.posterior
``p_mean_variance(x, t, clip_denoised=False)[0]``  ddpm ``posterior_mean_from_eps``    ddpm.eps_mean
``p_sample(x, t: int)[0]`` (clamps x̂₀)             ddpm ``reverse_step``               ddpm.ancestral_sampling
one step of ``ddim_sample(shape)`` (clamps x̂₀)     ddim ``ddim_step``                  ddim.step
``p_losses(x_start, t, noise, 'none')``            ddpm ``simple_loss``                ddpm.simple_loss
``predict_start_from_noise``,                      parametrization ``convert``         parametrization.affine,
``predict_noise_from_start``,                      (ε→x₀, x₀→ε, v→x₀)                  parametrization.loss_weights
``predict_start_from_v``
``predict_v(x_start, t, noise)``                   parametrization ``velocity``        parametrization.affine
=================================================  ==================================  ===============================

The model. ``GaussianDiffusion`` calls ``self.model(x, t, x_self_cond)`` and reads its output as the
``objective`` (``pred_noise``, ``pred_x0``, ``pred_v``). The adapter works on a shallow copy of the
object whose ``model`` is a stand-in module returning the check's ε turned into that objective
(``theory.parametrization``, float64): the object and its network are left alone. The check's
inputs ``(B, d)`` reach ``p_losses`` (which unpacks ``b, c, h, w``) as ``(B, 1, d, 1)``.

Conventions: ``steps="zero_based"``, ``reduction="mean"`` (``p_losses`` averages over the pixels).
Its loss weights (``loss_weight = SNR/SNR``, ``SNR``, ``SNR/(SNR+1)`` for ε, x₀, v) make every objective's
loss exactly the ε-loss ``‖ε − ε̂‖²/d``: ``ddpm.simple_loss`` holds it to that (with
``min_snr_loss_weight=True`` it is a different, clipped weighting and fails). ``p_sample`` takes one
integer ``t`` for the batch (the adapter groups rows by step, feeding each group's ``torch.randn_like``
its slice of the check's noise) and always clamps x̂₀ to [-1, 1]: ``ddpm.ancestral_step`` runs in its
own pass with ``clip_x0=(-1, 1)`` declared, while ``p_mean_variance`` is called with
``clip_denoised=False``.

``ddim_sample(shape)`` is one whole loop that draws its own start and clamps x̂₀ (rederiving ε from
it) at every step: the adapter runs it one pair of its loop at a time (``DDIMPytorch``: its ``tqdm``
yields only that pair, its start is fed ``x_t``), on the library's own grid, in float32 (the buffers'
precision), with ``clip_x0=(-1, 1)`` declared to ``ddim.verify``; the DDIM marginals and η identities
do not hold for a clamping step and are not run.

Not applicable, with the reason: the sampler loops (``p_sample_loop`` clamps x̂₀ and unnormalizes to
[0, 1]: no closed-form law); ``q_step``, the ELBO terms.

Schedules. ``GaussianDiffusion`` does not keep the name of its ``beta_schedule``: give it
(``beta_schedule="sigmoid"``, ``schedule_fn_kwargs=...``) to hold ``betas`` to that schedule, or let the
adapter find which of linear (scaled by 1000/T, as the library does), cosine and sigmoid the table is
(not applicable when none fits). The sigmoid schedule (the library's default) is held to
``theory.schedules.sigmoid_betas``; the library evaluates its two normalizing sigmoids in float32
(``torch.tensor(start / tau).sigmoid()``), so near ``t = T`` (where ``ᾱ_t`` is a difference of two
numbers close to ``σ(end)``) its β differs from the closed form by up to ~1e-5 relative at T = 1000:
the tolerance is float32's with the conditioning of that difference.

Precision: every buffer is float64 math rounded to float32 (``register_buffer(... .to(torch.float32))``):
the DDPM family reads ``table_dtype`` from ``betas``; the parametrization checks run in float32.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np
import torch

from dgmcheck.adapters.gaussian_diffusion import (
    GaussianDiffusionReport,
    Run,
    ddpm_conventions,
    eps_to,
    run_families,
)
from dgmcheck.checks import _verify
from dgmcheck.checks import ddpm as ddpm_checks
from dgmcheck.checks import schedules as schedule_checks
from dgmcheck.checks._assert import to_numpy
from dgmcheck.checks.capture import captured
from dgmcheck.checks.conventions import Conventions
from dgmcheck.theory import schedules as th_sched

__all__ = ["DDIMPytorch", "DDPMPytorch", "DDPMPytorchParametrization", "check_schedule",
           "verify_ddpm_pytorch"]

OBJECTIVES = {"pred_noise": "eps", "pred_x0": "x0", "pred_v": "v"}
SCHEDULES = ("linear", "cosine", "sigmoid")


# --------------------------------------------------------------------------- schedules
def check_schedule(betas: Any, schedule: str, **kw: Any) -> None:
    """``betas`` (0-based table of the library) against ``schedule`` as the library builds it: linear
    from ``1e-4·1000/T`` to ``0.02·1000/T``, cosine (``s``), sigmoid (``start``, ``end``, ``tau``)."""
    T = int(to_numpy(betas).size)
    if schedule == "linear":
        scale = 1000 / T
        schedule_checks.check_linear_schedule(betas, scale * th_sched.LINEAR_BETA_START,
                                              scale * th_sched.LINEAR_BETA_END)
    elif schedule == "cosine":
        schedule_checks.check_cosine_schedule(betas, **kw)
    elif schedule == "sigmoid":
        schedule_checks.check_sigmoid_schedule(betas, **kw)
    else:
        raise ValueError(f"beta_schedule must be one of {SCHEDULES}, got {schedule!r}")


def identify_schedule(betas: Any) -> str | None:
    """Which of ``SCHEDULES`` (default parameters) ``betas`` is, if exactly one fits."""
    fits = []
    for name in SCHEDULES:
        try:
            check_schedule(betas, name)
        except Exception:  # a violation or an invalid schedule for this T: it does not fit
            continue
        fits.append(name)
    return fits[0] if len(fits) == 1 else None


class ScheduleView:
    """The object's ``betas`` for the schedule family (one property, named after the schedule)."""

    def __init__(self, betas: Any, schedule: str | None, kw: dict[str, Any]) -> None:
        self.betas, self.schedule, self.kw = betas, schedule, kw

    def check(self, _case: Any = None) -> None:
        check_schedule(self.betas, self.schedule, **self.kw)


class _ScheduleFamily:
    """The schedule check as a one-property family (the shape ``run_families`` expects)."""

    class VerifyReport(_verify.VerifyReport):
        concept = "schedules"

    def __init__(self, schedule: str) -> None:
        self.PROPERTIES = (_verify.Property(schedule, f"schedules.{schedule}", _check_view, ("check",)),)
        self.PROPERTY_NAMES = (schedule,)

    def verify(self, view: ScheduleView, *, properties: Iterable[str] | None = None, **_: Any) -> _verify.VerifyReport:
        from hypothesis import strategies as st

        return _verify.run_properties(view, self.PROPERTIES, self.VerifyReport("betas"),
                                      wanted=_verify.select(properties, self.PROPERTY_NAMES),
                                      kw={"max_examples": 1}, strategy=lambda prop: st.just(None),
                                      raise_on_failure=False)


def _check_view(view: ScheduleView, case: Any) -> None:
    view.check(case)


# --------------------------------------------------------------------------- the views
class _StandIn(torch.nn.Module):
    """What ``GaussianDiffusion`` calls as ``self.model``: ``fn(x, t)`` on the check's rows."""

    def __init__(self, like: Any) -> None:
        super().__init__()
        self.channels = getattr(like, "channels", 1)
        self.out_dim = getattr(like, "out_dim", self.channels)
        self.self_condition = False
        self.fn: Any = None

    def forward(self, x: torch.Tensor, t: torch.Tensor, x_self_cond: Any = None) -> torch.Tensor:
        return self.fn(x, t)


class _Base:
    def __init__(self, diffusion: Any) -> None:
        for name in ("betas", "alphas_cumprod", "q_sample", "predict_start_from_noise"):
            if not hasattr(diffusion, name):
                raise TypeError(f"diffusion must be a denoising-diffusion-pytorch GaussianDiffusion "
                                f"(with {name!r}); {type(diffusion).__name__} has none")
        self.diffusion = diffusion
        self.objective = OBJECTIVES.get(getattr(diffusion, "objective", "pred_noise"))
        if self.objective is None:
            raise ValueError(f"diffusion.objective must be one of {tuple(OBJECTIVES)}, got {diffusion.objective!r}")
        self.abar = to_numpy(diffusion.alphas_cumprod).astype(np.float64)
        self.T = len(self.abar)
        # The check's ε becomes the objective with the oracle's ᾱ (from ``betas``, as the DDPM checks
        # form x_t): the float32 rounding of the object's own tables stays the object's.
        self._abar_oracle = np.exp(np.cumsum(np.log1p(-to_numpy(diffusion.betas).astype(np.float64))))
        self.reasons: dict[str, str] = {}
        # A shallow copy with its own module table: the stand-in model replaces the network there only.
        self._copy = copy.copy(diffusion)
        if hasattr(diffusion, "_modules"):
            self._copy._modules = dict(diffusion._modules)
        self._model = _StandIn(getattr(diffusion, "model", None))
        if hasattr(diffusion, "_modules"):
            self._copy._modules["model"] = self._model
        else:
            self._copy.model = self._model

    def _with(self, fn: Any) -> Any:
        """The copy, its model now ``fn(x, t)`` (``t`` the object's 0-based step)."""
        self._model.fn = fn
        return self._copy

    def _pred(self, eps: torch.Tensor, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The check's ε at ``x`` as the object's objective (rows of ``x`` at 0-based steps ``t``)."""
        ab = self._abar_oracle[to_numpy(t).astype(np.int64)]
        return eps_to(self.objective, eps.reshape(x.shape[0], -1), x.reshape(x.shape[0], -1), ab).reshape(x.shape)


class DDPMPytorch(_Base):
    """``GaussianDiffusion`` as a ``DDPMCandidate`` in its own conventions (0-based ``t``, ε in)."""

    def __init__(self, diffusion: Any) -> None:
        super().__init__(diffusion)
        self.betas = diffusion.betas
        name = type(diffusion).__name__
        for method in ("q_step", "score_from_eps", "reverse_step_score", "loss_weight", "reverse_variance",
                       "elbo_term_eps", "dsm_term", "posterior_kl", "prior_kl", "decoder_log_likelihood"):
            self.reasons[method] = f"no counterpart in {name}"
        self.reasons["sample"] = ("p_sample_loop clamps x̂₀ and unnormalizes to [0, 1]: its law has no closed "
                                  "form here (ddpm.ancestral_step checks its steps)")
        for method, source in (("posterior", "q_posterior"), ("posterior_mean_from_eps", "p_mean_variance"),
                               ("reverse_step", "p_sample"), ("simple_loss", "p_losses")):
            if not callable(getattr(diffusion, source, None)):
                setattr(self, method, None)
                self.reasons[method] = f"{name} has no {source}"

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        return self.diffusion.q_sample(x0, t, noise=noise)

    def posterior(self, x_t: torch.Tensor, x0: torch.Tensor, t: torch.Tensor) -> tuple[Any, Any]:
        mean, var, *_ = self.diffusion.q_posterior(x_start=x0, x_t=x_t, t=t)
        return mean, var

    def posterior_mean_from_eps(self, x_t: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        pred = self._pred(eps, x_t, t)
        return self._with(lambda x, tt: pred).p_mean_variance(x_t, t, clip_denoised=False)[0]

    def reverse_step(self, x_t: torch.Tensor, t: torch.Tensor, eps: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """``p_sample(x, t)`` per distinct step (it takes one int); its ``randn_like`` fed ``noise``'s rows."""
        out = torch.empty_like(x_t)
        for tv in torch.unique(t).tolist():
            idx = (t == tv).nonzero(as_tuple=True)[0]
            pred = self._pred(eps[idx], x_t[idx], t[idx])
            with captured(values=[to_numpy(noise[idx])], allow_unused=True):  # no draw at t = 0
                img = self._with(lambda x, tt, p=pred: p).p_sample(x_t[idx], int(tv))[0]
            out[idx] = img.clone().to(out.dtype)
        return out

    def simple_loss(self, model: Any, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        B, d = x0.shape[0], int(np.prod(x0.shape[1:]))

        def fn(x: torch.Tensor, tt: torch.Tensor) -> torch.Tensor:
            flat = x.reshape(B, d)
            return self._pred(model(flat, tt), flat, tt).reshape(x.shape)

        return self._with(fn).p_losses(x0.reshape(B, 1, d, 1), t, noise=noise.reshape(B, 1, d, 1),
                                       loss_reduction="none")


class DDIMPytorch(_Base):
    """One step of ``ddim_sample`` as a ``DDIMCandidate`` (lecture steps; ``ᾱ_0 = 1``).

    ``ddim_sample(shape)`` is the whole loop: it draws its start with ``torch.randn(shape)`` and
    iterates ``tqdm(time_pairs)``. One step ``t -> s`` is that loop with its ``tqdm`` (a global of
    the function's module, swapped only during the call) yielding the one pair ``(t-1, s-1)``; the
    start is fed ``x_t`` and the step's ``randn_like`` the check's noise (``captured``); η is the
    copy's ``ddim_sampling_eta``; ``unnormalize`` is the identity on the copy. The last pair
    ``(0, -1)`` returns the clamped x̂₀: the DDIM step to ``s = 0`` with ``ᾱ_0 = 1``. The steps are the
    library's own grid (``sampling_timesteps``)."""

    final_alpha_cumprod = 1.0

    def __init__(self, diffusion: Any) -> None:
        super().__init__(diffusion)
        self.alphas_cumprod = diffusion.alphas_cumprod
        fn = getattr(type(diffusion), "ddim_sample", None)
        self._globals = getattr(inspect.unwrap(fn), "__globals__", {}) if callable(fn) else {}
        if "tqdm" not in self._globals:
            self.ddim_step = None  # type: ignore[assignment]
            self.reasons["ddim_step"] = (f"{type(diffusion).__name__} has no ddim_sample looping over "
                                         "tqdm(time_pairs) (one step cannot be isolated)")
            return
        S = int(getattr(diffusion, "sampling_timesteps", self.T))
        times = torch.linspace(-1, self.T - 1, steps=S + 1).int().tolist()  # as ddim_sample builds it
        self.grid = np.array(sorted((t + 1 for t in times if t >= 0), reverse=True), dtype=np.int64)

    def ddim_step(self, x_t: torch.Tensor, t: torch.Tensor, s: torch.Tensor, eps: torch.Tensor, eta: float,
                  noise: torch.Tensor) -> torch.Tensor:
        """``ddim_sample`` run for one pair per distinct ``(t, s)``, on ``(n, 1, d, 1)`` images."""
        out = torch.empty_like(x_t)
        pairs = torch.stack([t, s], 1)
        lib, saved = self._copy, self._globals["tqdm"]
        saved_eta, saved_un = lib.ddim_sampling_eta, lib.unnormalize
        try:
            lib.ddim_sampling_eta, lib.unnormalize = float(eta), (lambda x: x)
            for tv, sv in torch.unique(pairs, dim=0).tolist():
                idx = ((t == tv) & (s == sv)).nonzero(as_tuple=True)[0]
                n, d = len(idx), int(np.prod(x_t.shape[1:]))
                pred = self._pred(eps[idx], x_t[idx], t[idx] - 1).reshape(n, 1, d, 1)
                self._globals["tqdm"] = lambda pairs_, *a, _p=(tv - 1, sv - 1), **k: [q for q in pairs_ if q == _p]
                with captured(values=[to_numpy(x_t[idx]).reshape(n, 1, d, 1),
                                      to_numpy(noise[idx]).reshape(n, 1, d, 1)], allow_unused=True):
                    img = self._with(lambda x, tt, p=pred: p.to(x.dtype)).ddim_sample((n, 1, d, 1))
                out[idx] = img.clone().reshape(n, -1).reshape(out[idx].shape).to(out.dtype)
        finally:
            self._globals["tqdm"] = saved
            lib.ddim_sampling_eta, lib.unnormalize = saved_eta, saved_un
        return out


class DDPMPytorchParametrization(_Base):
    """The conversions and ``predict_v`` as a ``ParametrizationCandidate`` (lecture ``t``, shifted)."""

    METHODS: ClassVar[dict[tuple[str, str], str]] = {
        ("eps", "x0"): "predict_start_from_noise", ("x0", "eps"): "predict_noise_from_start",
        ("v", "x0"): "predict_start_from_v"}

    def __init__(self, diffusion: Any) -> None:
        super().__init__(diffusion)
        self.alphas_cumprod = torch.as_tensor(self.abar)
        self.conversions = tuple(p for p, m in self.METHODS.items() if callable(getattr(diffusion, m, None)))
        if not callable(getattr(diffusion, "predict_v", None)):
            self.velocity = None  # type: ignore[assignment]
            self.reasons["velocity"] = f"{type(diffusion).__name__} has no predict_v"
        self.reasons["loss_weight"] = "its loss_weight buffer is the weight of the ε-loss (ddpm.simple_loss)"

    def convert(self, pred: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor, src: str, dst: str) -> torch.Tensor:
        return getattr(self.diffusion, self.METHODS[(src, dst)])(x_t, t - 1, pred)

    def velocity(self, x0: torch.Tensor, eps: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.diffusion.predict_v(x0, t - 1, eps)


# --------------------------------------------------------------------------- verify
def verify_ddpm_pytorch(diffusion: Any, *, beta_schedule: str | None = None,
                        schedule_fn_kwargs: dict[str, Any] | None = None, conventions: Any = None,
                        dtype: Any = None, device: Any = None, properties: Iterable[str] | None = None,
                        max_examples: int | None = None, shrink: bool | float = True,
                        raise_on_failure: bool = True,
                        reproduce: tuple[str, str] | None = None) -> GaussianDiffusionReport:
    """Hold a denoising-diffusion-pytorch ``GaussianDiffusion`` to every oracle its methods reach, in
    one call (module docstring)::

        verify_ddpm_pytorch(GaussianDiffusion(Unet(dim=8), image_size=8, timesteps=100))

    ``beta_schedule``/``schedule_fn_kwargs``: the schedule it was built with (else identified);
    ``conventions`` overrides the DDPM defaults key by key; ``dtype``/``device`` of the drawn inputs
    (default float64 on the CPU; the parametrization checks run in float32, the tables' precision);
    ``properties`` by name, plain or qualified (``"ddpm.posterior"``, ``"schedules.sigmoid"``).
    Returns a ``GaussianDiffusionReport``; raises ``VerifyFailed`` with it on a violation unless
    ``raise_on_failure=False``. ``reproduce`` with ``properties=[name]`` replays a DDPM failure's blob.
    """
    dtype, device = _verify.dtype_device(None, dtype, device)
    view = DDPMPytorch(diffusion)
    name = type(diffusion).__name__
    if beta_schedule is not None and beta_schedule not in SCHEDULES:
        raise ValueError(f"beta_schedule must be one of {SCHEDULES}, got {beta_schedule!r}")
    schedule = beta_schedule or identify_schedule(diffusion.betas)
    notes = [f"{name} keeps float32 buffers: the DDPM tolerances add their rounding; the parametrization "
             "checks run in float32"]
    base = Conventions(steps="zero_based", reduction="mean")
    conv = ddpm_conventions(base, conventions)
    clipped = conv.replace(clip_x0=(-1.0, 1.0))
    common = {"max_examples": max_examples, "shrink": shrink, "device": device}
    ddpm_opts = {**common, "dtype": dtype, "raise_on_failure": False}
    unclamped = tuple(n for n in ddpm_checks.PROPERTY_NAMES if n != "ancestral_step")
    sched_view = ScheduleView(diffusion.betas, schedule, dict(schedule_fn_kwargs or {}))
    if schedule is None:
        sched_view.check = None  # type: ignore[assignment]
        sched_view.reasons = {"check": "betas fit none of linear, cosine, sigmoid with default parameters: "
                                       "pass beta_schedule= (and schedule_fn_kwargs=)"}
    runs = [
        Run("schedules", "schedules", sched_view, module=_ScheduleFamily(schedule or "sigmoid")),
        Run("ddpm", "ddpm", view, {**ddpm_opts, "conventions": conv}, only=unclamped),
        Run("ddpm.clip_x0", "ddpm", view, {**ddpm_opts, "conventions": clipped}, only=("ancestral_step",)),
        Run("ddim.clip_x0", "ddim", DDIMPytorch(diffusion),  # of the conventions, DDIM honours clip_x0 alone
            {**common, "dtype": torch.float32, "conventions": Conventions(clip_x0=clipped.clip_x0),
             "raise_on_failure": False},
            only=("step",)),
        Run("parametrization", "parametrization", DDPMPytorchParametrization(diffusion),
            {**common, "dtype": torch.float32}),
    ]
    report = run_families(name, runs, properties=properties, conventions=conv, notes=notes, raise_on_failure=False,
                          reproduce=reproduce)
    if "ddpm.ancestral_step" in report.results:
        report.notes.append("p_sample clamps x̂₀ to [-1, 1] whatever it is told: ddpm.ancestral_step is held "
                            "to the clamped step (clip_x0=(-1, 1))")
    if "ddim.step" in report.results:
        report.notes.append("ddim_sample clamps x̂₀ to [-1, 1] and rederives ε from it: ddim.step is held to "
                            "the clamped step (clip_x0=(-1, 1)), one step of its loop at a time, in float32")
    if raise_on_failure and report.failed:
        raise _verify.VerifyFailed(report)
    return report
