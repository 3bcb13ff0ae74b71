"""Adapter: hold a ``GaussianDiffusion``-style class (OpenAI's improved/guided-diffusion and the many
codebases copied from it) to the DDPM, DDIM and parametrization oracles, as it is written.

    >>> from dgmcheck.adapters.gaussian_diffusion import verify_gaussian_diffusion
    >>> print(verify_gaussian_diffusion(GaussianDiffusion(betas=betas)).summary())  # doctest: +SKIP

No base class, no registration: the methods are recognised by name (duck typing) and mapped onto
the protocols of ``dgmcheck.checks.ddpm`` (``DDPMCandidate``), ``dgmcheck.checks.ddim``
(``DDIMCandidate``) and ``dgmcheck.checks.parametrization`` (``ParametrizationCandidate``):

=============================================================  ==============================  =======================
the object's method (0-based ``t``)                            protocol method                 theorem
=============================================================  ==============================  =======================
``q_sample(x_start, t, noise=None)``                           ddpm ``q_sample``               ddpm.forward_marginal
``q_mean_variance(x_start, t)``: ``mean + √variance · ε``      ddpm ``q_sample``               ddpm.forward_marginal
``q_posterior_mean_variance(x_start, x_t, t)``                 ddpm ``posterior``              ddpm.posterior
``p_mean_variance(model, x, t, clip_denoised=False)["mean"]``  ddpm ``posterior_mean_from_eps``  ddpm.eps_mean
``p_sample(model, x, t, clip_denoised=False)["sample"]``       ddpm ``reverse_step``           ddpm.ancestral_sampling
``p_sample_loop(model, shape, noise=x_T, ...)``                ddpm ``sample``                 ddpm.ancestral_sampling
``training_losses(model, x_start, t, noise=ε)["mse"]``         ddpm ``simple_loss``            ddpm.simple_loss
``_predict_xstart_from_eps`` / ``_predict_eps_from_xstart``    parametrization ``convert``     parametrization.*
``ddim_sample(model, x, t, clip_denoised=False, eta=η)``       ddim ``ddim_step`` (t → t − 1)  ddim.*
=============================================================  ==============================  =======================

Conventions (declared to the DDPM family, ``Conventions``): ``steps="zero_based"`` (the object's
``t`` is the lecture's ``t − 1``; the DDIM and parametrization views shift it themselves),
``reduction="mean"`` (``mean_flat`` losses), ``prediction`` from ``model_mean_type``
(``EPSILON`` → ε, ``START_X`` → x₀). ``conventions=`` overrides them key by key. The noise that
``p_sample``, ``p_sample_loop`` and ``ddim_sample`` draw with ``torch.randn_like`` is fed from the
check's variates (``dgmcheck.checks.capture``): nothing is patched.

The model. ``p_mean_variance``, ``p_sample``, ``p_sample_loop``, ``training_losses`` and
``ddim_sample`` take a ``model``: the adapter supplies it (the check's ε, its linear ε-model, the
exact ε of Gaussian data), in the object's prediction and called as ``model(x, t, **model_kwargs)``;
with ``rescale_timesteps=True`` the object passes ``t·1000/T`` and the adapter's model maps it back.
``model=`` (a function of that model returning what the object should call) changes how it is
presented, e.g. for a learned variance: ``model=lambda m: lambda x, t, **kw: torch.cat([m(x, t),
-torch.ones_like(x)], 1)`` gives ``LEARNED_RANGE`` its smallest variance, β̃ (x of shape (B, C)).

``clip_denoised``: every method that accepts it is called with ``clip_denoised=False`` (x̂₀ is
not clamped: the lecture's step). A method that clamps and cannot be told otherwise is held to
the step with ``clip_x0=(-1, 1)`` declared (``dgmcheck.adapters.denoising_diffusion_pytorch``).

Not applicable, with the reason: properties whose methods the object lacks (``q_step``,
``score_from_eps``, the ELBO terms: guided-diffusion reports those in bits per dimension through
its discretized decoder); ``model_mean_type = PREVIOUS_X`` (the model predicts μ itself: no
parametrization to convert ε into); ``model_var_type = FIXED_LARGE`` for the β̃ sampler properties
(it samples with σ² = β_t); a learned variance without ``model=``.

Precision. guided-diffusion keeps its tables in float64 numpy but ``_extract_into_tensor`` hands
them out as float32 (``.float()``). The adapter reads that off the object (``q_sample(1, t, 0)``
returns float32 numbers where ``√ᾱ_t`` is not one) and declares ``table_dtype="float32"`` to the
DDPM family (tolerances add the rounding of those tables); the DDIM and parametrization checks,
whose tolerances know only the run's dtype, then run in float32 (the report's notes say so).

One report: :class:`GaussianDiffusionReport` (concept ``gaussian_diffusion``), its properties
named ``family.property`` (``ddpm.posterior``, ``ddim.step``, ``parametrization.affine``, and
``ddpm.q_mean_variance`` for the second forward-marginal route); ``reports`` keeps each family's own
report. ``VerifyFailed`` (a ``TheoremViolation``) carries it when a property fails.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from dgmcheck.checks import _verify
from dgmcheck.checks import ddim as ddim_checks
from dgmcheck.checks import ddpm as ddpm_checks
from dgmcheck.checks import parametrization as param_checks
from dgmcheck.checks._assert import to_numpy
from dgmcheck.checks.capture import captured
from dgmcheck.checks.conventions import Conventions
from dgmcheck.theory import parametrization as th_param
from dgmcheck.theory.schedules import validate_betas

__all__ = [
    "GaussianDiffusionDDIM",
    "GaussianDiffusionDDPM",
    "GaussianDiffusionParametrization",
    "GaussianDiffusionReport",
    "Run",
    "run_families",
    "verify_gaussian_diffusion",
]

FAMILIES = {"ddpm": ddpm_checks, "ddim": ddim_checks, "parametrization": param_checks}
MEAN_TYPES = {"EPSILON": "eps", "START_X": "x0"}


# --------------------------------------------------------------------------- the merged report
@dataclass
class GaussianDiffusionReport(_verify.VerifyReport):
    """Every family's results in one report, named ``family.property``; ``reports`` holds each
    family run's own report, ``notes`` what the adapter decided (dtype of a family, conventions)."""

    reports: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    concept: ClassVar[str] = "gaussian_diffusion"

    def add(self, key: str, family: str, report: _verify.VerifyReport,
            rename: dict[str, str] | None = None) -> None:
        """Merge ``report``: a passed or failed result replaces a not-applicable one of the same
        name (a property runs in one pass only), never the reverse."""
        self.reports[key] = report
        for name, result in report.results.items():
            full = f"{family}.{(rename or {}).get(name, name)}"
            old = self.results.get(full)
            if old is not None and result.status == "not_applicable":
                continue
            self.results[full] = dataclasses.replace(result, name=full)

    def summary(self) -> str:
        lines = super().summary().splitlines()
        return "\n".join(lines[:1] + [f"  note: {n}" for n in self.notes] + lines[1:])

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "notes": list(self.notes)}


@dataclass
class Run:
    """One family run: ``view`` checked by ``FAMILIES[family].verify`` with ``options``; its
    properties reported as ``family.(rename or name)``, only those of ``only`` when given;
    ``view.reasons`` explains, per protocol method, why the view lacks it."""

    key: str
    family: str
    view: Any
    options: dict[str, Any] = field(default_factory=dict)
    rename: dict[str, str] = field(default_factory=dict)
    only: tuple[str, ...] | None = None
    module: Any = None  # a family module-like object (PROPERTIES, PROPERTY_NAMES, VerifyReport, verify)

    @property
    def checks(self) -> Any:
        return self.module if self.module is not None else FAMILIES[self.family]

    def names(self) -> list[str]:
        return [self.rename.get(n, n) for n in self.checks.PROPERTY_NAMES if self.only is None or n in self.only]


def _selection(properties: Iterable[str] | None, runs: list[Run]) -> dict[str, list[str] | None]:
    """Per run, the property names (the family's own) asked for; ``None`` for all."""
    if properties is None:
        return {r.key: None for r in runs}
    if isinstance(properties, str):
        raise TypeError(f"properties must be a list of property names, got the string {properties!r}")
    wanted = list(properties)
    known = {n for r in runs for n in r.names()} | {f"{r.family}.{n}" for r in runs for n in r.names()}
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise ValueError(f"properties must be among {sorted(known)}, got unknown {unknown}")
    out: dict[str, list[str] | None] = {}
    for r in runs:
        back = {r.rename.get(n, n): n for n in r.checks.PROPERTY_NAMES}
        mine = []
        for w in wanted:
            family, _, plain = w.rpartition(".")
            if family in ("", r.family) and plain in back and plain in r.names():
                mine.append(back[plain])
        out[r.key] = list(dict.fromkeys(mine))
    return out


def _reason(prop: Any, view: Any) -> str:
    """Why ``view`` cannot run ``prop``: the protocol methods it lacks and, from ``view.reasons``,
    what the foreign object has (or lacks) in their place."""
    missing = [m for m in prop.requires if not callable(getattr(view, m, None))]
    reasons = getattr(view, "reasons", {})
    why = list(dict.fromkeys(reasons[m] for m in missing if m in reasons))
    text = f"needs {', '.join(missing)}"
    return f"{text} ({'; '.join(why)})" if why else text


def run_families(candidate: str, runs: list[Run], *, properties: Iterable[str] | None,
                 conventions: Any, notes: list[str], raise_on_failure: bool,
                 reproduce: tuple[str, str] | None = None) -> GaussianDiffusionReport:
    """Run each family view with its options and merge the reports (``VerifyFailed`` on a failure
    when ``raise_on_failure``). A property whose methods a view lacks is not applicable with the
    reason; the family's ``verify`` is called only when some property of it can run. ``reproduce``
    (the blob of a report's replay line) replays one property: ``properties`` must name it."""
    report = GaussianDiffusionReport(candidate, conventions=conventions, notes=list(notes))
    selected = _selection(properties, runs)
    if reproduce is not None and (properties is None or sum(len(v or ()) for v in selected.values()) != 1):
        raise ValueError("reproduce replays one property: give properties=[its name] too")
    for run in runs:
        module = run.checks
        wanted = selected[run.key]
        props = [p for p in module.PROPERTIES if (run.only is None or p.name in run.only)
                 and (wanted is None or p.name in wanted)]
        if not props:
            continue
        runnable = [p.name for p in props if all(callable(getattr(run.view, m, None)) for m in p.requires)]
        fam = module.VerifyReport(candidate)
        if runnable:
            opts = dict(run.options)
            if wanted is not None or run.only is not None:
                opts["properties"] = runnable
            if reproduce is not None:
                if "reproduce" not in inspect.signature(module.verify).parameters:
                    raise ValueError(f"the {run.family} checks cannot replay a blob: rerun with the same seed "
                                     "(dgmcheck.checks._verify.overrides(seed=...))")
                opts["reproduce"] = reproduce
            try:
                fam = module.verify(run.view, **opts)
            except _verify.VerifyFailed as exc:  # the families without raise_on_failure
                fam = exc.report
        for p in props:
            result = fam.results.get(p.name)
            if result is None:
                fam.results[p.name] = _verify.PropertyResult(p.name, p.theorem, _verify.slide_of(p.theorem),
                                                             "not_applicable", reason=_reason(p, run.view))
            elif result.status == "not_applicable" and result.reason.startswith("needs "):
                result.reason = _reason(p, run.view)
        report.add(run.key, run.family, fam, run.rename)
    if raise_on_failure and report.failed:
        raise _verify.VerifyFailed(report)
    return report


# --------------------------------------------------------------------------- helpers
def call(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` passing only the keywords ``fn`` accepts (all of them with ``**kw``)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn(*args, **kwargs)
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return fn(*args, **kwargs)
    return fn(*args, **{k: v for k, v in kwargs.items() if k in params})


def accepts(fn: Any, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _enum_name(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "name", value)).split(".")[-1].upper()


def float32_tables(probe: Callable[[torch.Tensor, torch.Tensor], Any], abar: np.ndarray) -> bool:
    """Whether the coefficients ``probe(ones, t)`` returns for every step (float64 inputs) are float32
    numbers where the float64 ``√ᾱ_t`` are not: the object hands its tables out in float32."""
    T = len(abar)
    try:
        got = to_numpy(probe(torch.ones(T, 1, dtype=torch.float64), torch.arange(T))).reshape(-1)
    except Exception:  # the probe is the object's own method: whatever it raises, no conclusion
        return False
    exact = np.sqrt(abar)
    as32 = got.astype(np.float32).astype(np.float64)
    return got.size == T and bool(np.array_equal(as32, got)) and not np.array_equal(
        exact.astype(np.float32).astype(np.float64), exact)


def eps_to(kind: str, eps: torch.Tensor, x_t: torch.Tensor, abar_t: np.ndarray) -> torch.Tensor:
    """ε → the prediction ``kind`` at ``x_t`` (``theory.parametrization``, float64, then cast back)."""
    if kind == "eps":
        return eps
    return eps.new_tensor(th_param.convert(to_numpy(eps), to_numpy(x_t), abar_t, "eps", kind))


# --------------------------------------------------------------------------- the views
class _Base:
    """What the views share: the object, its tables, its prediction, the model presentation."""

    def __init__(self, obj: Any, *, model: Callable[[Callable], Any] | None = None) -> None:
        if not hasattr(obj, "betas"):
            raise TypeError(f"obj must have 'betas' (β_t at index t-1, numpy or torch); "
                            f"{type(obj).__name__} has none")
        self.obj = obj
        self.betas_np = validate_betas(to_numpy(obj.betas), f"{type(obj).__name__}.betas")
        self.T = len(self.betas_np)
        raw = getattr(obj, "alphas_cumprod", None)
        self.abar = (np.asarray(to_numpy(raw), dtype=np.float64).reshape(-1) if raw is not None
                     else np.exp(np.cumsum(np.log1p(-self.betas_np))))
        self.mean_type = _enum_name(getattr(obj, "model_mean_type", None)) or "EPSILON"
        self.var_type = _enum_name(getattr(obj, "model_var_type", None)) or "FIXED_SMALL"
        self.prediction = MEAN_TYPES.get(self.mean_type)
        self._present = model
        self.reasons: dict[str, str] = {}
        if self.prediction is None:
            self.model_problem: str | None = (
                f"model_mean_type {self.mean_type}: the model predicts the posterior mean itself, "
                "no parametrization to convert ε into")
        elif self.var_type.startswith("LEARNED") and model is None:
            self.model_problem = (f"model_var_type {self.var_type}: the variance comes from the model; "
                                  "pass model= to supply it")
        else:
            self.model_problem = None

    def _t_back(self, t: Any) -> torch.Tensor:
        """The object's 0-based step from what it passes the model (``t·1000/T`` when it rescales)."""
        t = torch.as_tensor(t)
        if getattr(self.obj, "rescale_timesteps", False):
            return torch.round(t.double() * self.T / 1000.0).long()
        return t.long()

    def model(self, fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Any:
        """``fn(x, t)`` (the object's 0-based ``t``, its prediction) as the object calls a model."""

        def m(x: torch.Tensor, t: Any, *args: Any, **kwargs: Any) -> torch.Tensor:
            return fn(x, self._t_back(t))

        return m if self._present is None else self._present(m)

    def constant(self, pred: torch.Tensor) -> Any:
        return self.model(lambda x, t: pred)


class GaussianDiffusionDDPM(_Base):
    """The object as a ``DDPMCandidate`` in its own conventions (0-based ``t``, its prediction,
    ``mean_flat`` losses, noise drawn inside ``p_sample``/``p_sample_loop``)."""

    SOURCES: ClassVar[dict[str, str]] = {"q_sample": "q_sample", "posterior": "q_posterior_mean_variance",
               "posterior_mean_from_eps": "p_mean_variance", "reverse_step": "p_sample",
               "sample": "p_sample_loop", "simple_loss": "training_losses"}
    MODEL_METHODS = ("posterior_mean_from_eps", "reverse_step", "sample", "simple_loss")

    def __init__(self, obj: Any, *, model: Callable[[Callable], Any] | None = None) -> None:
        super().__init__(obj, model=model)
        self.betas = torch.as_tensor(np.asarray(to_numpy(obj.betas)))
        name = type(obj).__name__
        for method in ("q_step", "score_from_eps", "reverse_step_score", "loss_weight", "reverse_variance",
                       "elbo_term_eps", "dsm_term", "posterior_kl", "prior_kl", "decoder_log_likelihood"):
            self.reasons[method] = f"no counterpart in {name}"
        for method, source in self.SOURCES.items():
            if not callable(getattr(obj, source, None)):
                self._hide(method, f"{name} has no {source}")
            elif method in self.MODEL_METHODS and self.model_problem:
                self._hide(method, self.model_problem)
        if self.var_type == "FIXED_LARGE":
            for method in ("reverse_step", "sample"):
                self._hide(method, "model_var_type FIXED_LARGE samples with σ² = β_t (β̃_2 at t = 1); "
                                   "the ancestral-sampling checks hold σ² = β̃_t")

    def _hide(self, method: str, why: str) -> None:
        setattr(self, method, None)  # shadows the method: not callable, so not applicable
        self.reasons[method] = why

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        return self.obj.q_sample(x0, t, noise=noise)

    def posterior(self, x_t: torch.Tensor, x0: torch.Tensor, t: torch.Tensor) -> tuple[Any, Any]:
        mean, var, *_ = self.obj.q_posterior_mean_variance(x0, x_t, t)
        return mean, var

    def posterior_mean_from_eps(self, x_t: torch.Tensor, t: torch.Tensor, pred: torch.Tensor) -> torch.Tensor:
        return call(self.obj.p_mean_variance, self.constant(pred), x_t, t, clip_denoised=False)["mean"]

    def reverse_step(self, x_t: torch.Tensor, t: torch.Tensor, pred: torch.Tensor) -> torch.Tensor:
        # no noise parameter: p_sample draws torch.randn_like(x) and the check feeds it
        return call(self.obj.p_sample, self.constant(pred), x_t, t, clip_denoised=False)["sample"]

    def sample(self, model: Callable, x_T: torch.Tensor) -> torch.Tensor:
        out = call(self.obj.p_sample_loop, self.model(model), tuple(x_T.shape), noise=x_T,
                   clip_denoised=False, device=x_T.device, progress=False)
        return out["sample"] if isinstance(out, dict) else out

    def simple_loss(self, model: Callable, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        terms = self.obj.training_losses(self.model(model), x0, t, noise=noise)
        return terms["mse"] if "mse" in terms else terms["loss"]


class QMeanVariance(_Base):
    """``q_mean_variance`` as a ``q_sample``: ``mean + √variance · ε``."""

    def __init__(self, obj: Any, **kw: Any) -> None:
        super().__init__(obj, **kw)
        self.betas = torch.as_tensor(np.asarray(to_numpy(obj.betas)))
        if not callable(getattr(obj, "q_mean_variance", None)):
            self.q_sample = None  # type: ignore[assignment]
            self.reasons["q_sample"] = f"{type(obj).__name__} has no q_mean_variance"

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        mean, var, *_ = self.obj.q_mean_variance(x0, t)
        return mean + var.sqrt() * noise


class GaussianDiffusionParametrization(_Base):
    """``_predict_xstart_from_eps`` (ε → x₀) and ``_predict_eps_from_xstart`` (x₀ → ε) as a
    ``ParametrizationCandidate`` (lecture ``t``, shifted to the object's ``t − 1``)."""

    METHODS: ClassVar[dict[tuple[str, str], str]] = {
        ("eps", "x0"): "_predict_xstart_from_eps", ("x0", "eps"): "_predict_eps_from_xstart"}

    def __init__(self, obj: Any, **kw: Any) -> None:
        super().__init__(obj, **kw)
        self.alphas_cumprod = torch.as_tensor(self.abar)
        self.conversions = tuple(p for p, m in self.METHODS.items() if callable(getattr(obj, m, None)))
        if not self.conversions:
            self.convert = None  # type: ignore[assignment]
            self.reasons["convert"] = f"{type(obj).__name__} has none of {', '.join(self.METHODS.values())}"
        self.reasons.setdefault("velocity", f"{type(obj).__name__} has no v")
        self.reasons.setdefault("loss_weight", f"{type(obj).__name__} has no loss weights per prediction")

    def convert(self, pred: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor, src: str, dst: str) -> torch.Tensor:
        return getattr(self.obj, self.METHODS[(src, dst)])(x_t, t - 1, pred)


class GaussianDiffusionDDIM(_Base):
    """``ddim_sample`` as a ``DDIMCandidate`` on the object's own grid ``T, T−1, ..., 1`` (a step from
    lecture ``t`` to ``t − 1``; respaced objects carry their respaced ``betas``). The ε of the check is
    turned into the object's prediction; the noise ``ddim_sample`` draws is fed from ``noise``."""

    def __init__(self, obj: Any, **kw: Any) -> None:
        super().__init__(obj, **kw)
        self.alphas_cumprod = torch.as_tensor(self.abar)
        prev = getattr(obj, "alphas_cumprod_prev", None)
        self.final_alpha_cumprod = float(np.asarray(to_numpy(prev)).reshape(-1)[0]) if prev is not None else 1.0
        self.grid = torch.arange(self.T, 0, -1)
        fn = getattr(obj, "ddim_sample", None)
        if not callable(fn):
            self.ddim_step = None  # type: ignore[assignment]
            self.reasons["ddim_step"] = f"{type(obj).__name__} has no ddim_sample"
        elif self.model_problem:
            self.ddim_step = None  # type: ignore[assignment]
            self.reasons["ddim_step"] = self.model_problem
        elif not accepts(fn, "eta"):
            self.etas = (0.0,)
        for method in ("respaced_betas", "respaced_step", "timesteps"):
            self.reasons[method] = f"no counterpart in {type(obj).__name__}"

    def ddim_step(self, x_t: torch.Tensor, t: Any, s: Any, eps: torch.Tensor, eta: float,
                  noise: torch.Tensor) -> torch.Tensor:
        t = torch.as_tensor(t).long()
        if not torch.equal(torch.as_tensor(s).long().cpu(), t.cpu() - 1):
            raise ValueError("the object's ddim_sample steps from t to t - 1 only (its grid T, ..., 1)")
        pred = eps_to(self.prediction, eps, x_t, self.abar[to_numpy(t).astype(np.int64) - 1])
        with captured(values=[to_numpy(noise)], allow_unused=True):
            out = call(self.obj.ddim_sample, self.constant(pred), x_t, t - 1, clip_denoised=False, eta=eta)
        return out["sample"] if isinstance(out, dict) else out


# --------------------------------------------------------------------------- verify
def ddpm_conventions(base: Conventions, user: Any) -> Conventions:
    """``base`` with the keys the user declared (those not at the lecture's default) on top."""
    return base.replace(**Conventions.parse(user).non_default()) if user is not None else base


def verify_gaussian_diffusion(obj: Any, *, conventions: Any = None, model: Callable[[Callable], Any] | None = None,
                              dtype: Any = None, device: Any = None, properties: Iterable[str] | None = None,
                              max_examples: int | None = None, shrink: bool | float = True,
                              raise_on_failure: bool = True,
                              reproduce: tuple[str, str] | None = None) -> GaussianDiffusionReport:
    """Hold a GaussianDiffusion-style object to every DDPM, DDIM and parametrization oracle its
    methods reach, in one call (module docstring: the mapping, the conventions, the model)::

        verify_gaussian_diffusion(GaussianDiffusion(betas=get_named_beta_schedule("linear", 1000)))

    ``conventions`` overrides the DDPM family's defaults key by key; ``model`` changes how the
    check's model is presented to the object; ``dtype``/``device`` of the drawn inputs (default
    float64 on the CPU); ``properties`` selects by name, plain (``"step"``) or qualified
    (``"ddim.step"``, ``"ddpm.q_mean_variance"``). Returns a :class:`GaussianDiffusionReport`; raises
    ``VerifyFailed`` (a ``TheoremViolation``) with it when a property fails, unless
    ``raise_on_failure=False``. ``reproduce`` with ``properties=[name]`` replays a DDPM failure's blob.
    """
    dtype, device = _verify.dtype_device(None, dtype, device)
    ddpm_view = GaussianDiffusionDDPM(obj, model=model)
    name = type(obj).__name__
    notes: list[str] = []
    probe = getattr(obj, "q_sample", None)
    f32 = callable(probe) and float32_tables(lambda x, t: probe(x, t, noise=torch.zeros_like(x)),
                                             ddpm_view.abar)
    base = Conventions(steps="zero_based", reduction="mean", prediction=ddpm_view.prediction or "eps",
                       table_dtype="float32" if f32 else None)
    conv = ddpm_conventions(base, conventions)
    other_dtype = dtype
    if f32:
        notes.append(f"{name} hands its tables out in float32: the DDPM tolerances add their rounding; "
                     "ddpm.sampler_law and the DDIM and parametrization checks run in float32")
        other_dtype = torch.float32
    common = {"max_examples": max_examples, "shrink": shrink, "device": device}
    ddpm_opts = {**common, "dtype": dtype, "conventions": conv, "raise_on_failure": False}
    # check_sampler_law's bound knows only the run's dtype (not table_dtype): with float32 tables
    # it runs in float32, like the DDIM and parametrization checks.
    law_apart = f32 and dtype != torch.float32
    main_only = tuple(n for n in ddpm_checks.PROPERTY_NAMES if n != "sampler_law") if law_apart else None
    runs = [
        Run("ddpm", "ddpm", ddpm_view, ddpm_opts, only=main_only),
        Run("ddpm.q_mean_variance", "ddpm", QMeanVariance(obj, model=model), ddpm_opts,
            rename={"forward_marginal": "q_mean_variance"}, only=("forward_marginal",)),
        Run("ddim", "ddim", GaussianDiffusionDDIM(obj, model=model), {**common, "dtype": other_dtype}),
        Run("parametrization", "parametrization", GaussianDiffusionParametrization(obj, model=model),
            {**common, "dtype": other_dtype}),
    ]
    if law_apart:
        runs.insert(1, Run("ddpm.sampler_law", "ddpm", ddpm_view, {**ddpm_opts, "dtype": other_dtype},
                           only=("sampler_law",)))
    return run_families(name, runs, properties=properties, conventions=conv, notes=notes,
                        raise_on_failure=raise_on_failure, reproduce=reproduce)
