"""Adapter: SDE classes written in the pattern of the public score-SDE code (Song et al. 2021), held
to the SDE family's oracles as they are written (duck typing, no monkeypatching).

    >>> from dgmcheck.adapters.score_sde import verify_score_sde
    >>> verify_score_sde(VPSDE(beta_min=0.1, beta_max=20, N=1000))                 # doctest: +SKIP
    >>> verify_score_sde(VESDE(0.01, 50, 1000), conventions="ve_origin=sigma_min")  # doctest: +SKIP

The pattern (what is read, and how)
-----------------------------------
``T`` and ``N``; ``sde(x, t) -> (drift, diffusion)`` with ``diffusion`` of shape ``(batch,)``;
``marginal_prob(x, t) -> (mean, std)`` with ``mean = a(t) x`` and ``std`` of shape ``(batch,)``;
``prior_sampling(shape)``; ``discretize(x, t) -> (f, G)``, the chain step ``x_{i+1} = x_i + f + G z``;
``reverse(score_fn, probability_flow=False)`` returning an object with ``.sde(x, t)``. Samples are
``(batch, C, H, W)`` images (coefficients broadcast as ``[:, None, None, None]``): the checks' points
``(batch, d)`` are passed as ``(batch, d, 1, 1)`` (``event_dims=3``; ``event_dims=1`` for flat data).

Which SDE the object is: ``sigma_min``/``sigma_max`` → VE ``σ(t) = σ_min (σ_max/σ_min)^{t/T}``;
``beta_min``/``beta_max`` or score-SDE's ``beta_0``/``beta_1`` → VP, or sub-VP when the class name
contains ``subVP`` (or ``kind="subvp"``). The object is then mapped onto the SDE protocol
(``drift``, ``diffusion``, ``marginal``: ``checks.sde``) and onto the closed forms of its kind.

What ``discretize`` must be (derived from the score-SDE conventions, exact)
-------------------------------------------------------------------------
score-SDE maps a time to the table index ``i = ⌊t (N-1)/T⌋``: its tables hold ``N`` levels on the
grid ``t_i = i T/(N-1)``, ``i = 0..N-1`` (both ends included), and each step has ``Δt = T/N``.

* VE (NCSN, theorem ``sde.ve``): ``σ_i = σ(t_i)`` (``exp(linspace(log σ_min, log σ_max, N))``),
  ``f = 0``, ``G_i² = s(t_i)² - s(t_{i-1})²`` with ``s(t_{-1}) = 0``: the steps telescope to the
  declared marginal variance ``s(t_i)²`` at every grid point. Under ``ve_origin=sigma_min``
  (``s = σ``) the first step is ``G_0 = σ_min`` (score-SDE's ``adjacent_sigma = 0``); under
  ``ve_origin=zero`` (``s² = σ² - σ_min²``) it is 0.
* VP (DDPM, theorem ``sde.vp``): ``β_i = β(t_i) T/N`` (``linspace(β_min/N, β_max/N, N)`` for
  ``T = 1``), ``f = (√(1 - β_i) - 1) x``, ``G = √β_i``. For the linear β the N steps carry
  ``Σ β_i = (T/N) Σ β(t_i) = B(T)`` exactly (the grid is symmetric about T/2), and the chain's
  moments converge to the VP marginal at T as O(1/N) (``check_chain_rate``).
* anything else (sub-VP: the base class's Euler–Maruyama; theorem ``sde.euler_maruyama``):
  ``f = f(x, t) T/N``, ``G = g(t) √(T/N)``.

Probed at ``t = (i + u) T/(N-1)``, ``u ∈ [0.1, 0.9]`` (``t = T`` for ``i = N-1``), where the index is
unambiguous in any float precision.

``reverse(score_fn)`` (theorem ``sde.reverse_sde``; 000 L10 "Reverse SDE") must have drift
``f - g² s`` and diffusion ``g``; with ``probability_flow=True`` (``sde.probability_flow_ode``; 000
L10 "Probability Flow ODE") drift ``f - ½ g² s`` and diffusion 0 — with ``s`` the exact score of the
noised Gaussian mixture ``p_t`` (``theory``), ``f`` and ``g`` the closed forms of the kind.
``prior_sampling(shape)`` (fed through ``checks.capture``) must be ``c z``: ``c = s(T)`` for VE (the
marginal of ``x_0 = 0`` under the declared origin: ``σ_max`` under ``sigma_min``), ``c = 1`` for VP and
sub-VP (the limit law ``N(0, I)``).

Float32 tables (``discrete_betas``/``discrete_sigmas``, as ``torch.linspace`` builds them) are read:
every tolerance carries their rounding (``conventions.table_dtype`` overrides).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks import sde as sde_checks
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks.capture import captured
from dgmcheck.checks.conventions import Conventions
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.sde import SDECase, kind_reason, origin_variance, spec_of
from dgmcheck.checks.strategies import arrays
from dgmcheck.checks.tolerances import Tolerance, eps, exact
from dgmcheck.theory import sde as th
from dgmcheck.theory.gaussian_mixture import GaussianMixture

KINDS = ("ve", "vp", "subvp")


# ------------------------------------------------------------------------------------------ the view
class ScoreSDEView:
    """A score-SDE-style object seen through the SDE protocol (``drift(x, t)``, ``diffusion(x, t)``,
    ``marginal(x, t)``, ``T``, and the VE/VP/sub-VP parameters ``checks.sde.spec_of`` reads)."""

    def __init__(self, obj: Any, kind: str | None = None, event_dims: int = 3, *, name: str = "obj") -> None:
        from dgmcheck.adapters._validate import has

        has(obj, name, "a score_sde SDE object (VESDE, VPSDE or subVPSDE)", "T", "N",
            callable_=("sde",))
        if isinstance(event_dims, bool) or not isinstance(event_dims, int) or event_dims < 1:
            raise ValueError(f"event_dims must be a positive int (3 for (C, H, W) images), got {event_dims!r}")
        self.obj, self.event_dims = obj, event_dims
        self.T = _number(obj, "T")
        self.N = int(_number(obj, "N"))
        self.kind = kind or _kind(obj)
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "ve":
            self.sigma_min, self.sigma_max = _number(obj, "sigma_min"), _number(obj, "sigma_max")
        else:
            self.beta_min = _number(obj, "beta_min", "beta_0")
            self.beta_max = _number(obj, "beta_max", "beta_1")
            self.sde_kind = self.kind
        tables = [getattr(obj, n, None) for n in ("discrete_betas", "discrete_sigmas")]
        dtypes = [t.dtype for t in tables if isinstance(t, torch.Tensor) and t.is_floating_point()]
        self.table_dtype = max(dtypes, key=eps, default=None)

    def image(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(*x.shape, *([1] * (self.event_dims - 1)))

    def flat(self, y: Any, x: torch.Tensor) -> torch.Tensor:
        y = torch.as_tensor(y, dtype=x.dtype, device=x.device)
        return y.expand(self.image(x).shape).reshape(x.shape) if y.ndim else y.expand(x.shape)

    def per_row(self, v: Any, x: torch.Tensor) -> torch.Tensor:
        v = torch.as_tensor(v, device=x.device)
        return v.expand(x.shape[0]) if v.ndim == 0 else v.reshape(-1)

    def drift(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.flat(self.obj.sde(self.image(x), t)[0], x)

    def diffusion(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.per_row(self.obj.sde(self.image(x), t)[1], x)

    def marginal(self, x: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(a(t), s(t))``: ``a`` read from ``marginal_prob``'s mean at ``x = 1``."""
        ones = torch.ones_like(x)
        mean, std = self.obj.marginal_prob(self.image(ones), t)
        return self.flat(mean, ones)[:, 0], self.per_row(std, x)


def _number(obj: Any, *names: str) -> float:
    for name in names:
        if hasattr(obj, name):
            v = getattr(obj, name)
            v = v() if callable(v) else v
            return float(v)
    raise TypeError(f"{type(obj).__name__} must have {' or '.join(names)} (the score-SDE pattern)")


def _kind(obj: Any) -> str:
    if hasattr(obj, "sigma_min") and hasattr(obj, "sigma_max"):
        return "ve"
    if any(hasattr(obj, a) and hasattr(obj, b) for a, b in (("beta_min", "beta_max"), ("beta_0", "beta_1"))):
        return "subvp" if "subvp" in type(obj).__name__.lower() else "vp"
    raise TypeError(f"cannot tell which SDE {type(obj).__name__} is: it needs sigma_min/sigma_max (VE) or "
                    f"beta_min/beta_max or beta_0/beta_1 (VP, sub-VP); pass kind= to say")


# ----------------------------------------------------------------------------------------- oracles
def _grid_times(view: ScoreSDEView, case: SDECase) -> tuple[np.ndarray, np.ndarray]:
    """Table indices ``i`` and probe times ``t = (i + u) T/(N-1)`` (``T`` at the last index)."""
    N, T = view.N, view.T
    i = np.asarray(case.extra["index"], dtype=np.int64) % N
    t = np.where(i == N - 1, T, (i + case.extra["frac"]) * T / max(N - 1, 1))
    return i, np.minimum(t, T)


def _declared_var(view: ScoreSDEView, t: np.ndarray, v0: float) -> np.ndarray:
    a, v = spec_of(view).marginal(t)
    return v + a**2 * v0


def check_discretize(view: ScoreSDEView, case: SDECase, *, tol: Tolerance | None = None) -> None:
    """sde.ve / sde.vp / sde.euler_maruyama: ``discretize(x, t)`` is the exact chain step (module
    docstring): NCSN ``(0, √(s(t_i)² - s(t_{i-1})²))``, DDPM ``((√(1-β_i) - 1) x, √β_i)`` with
    ``β_i = β(t_i) T/N``, ``t_i = iT/(N-1)``, else Euler–Maruyama ``(f(x, t) T/N, g(t) √(T/N))``."""
    spec = spec_of(view)
    N, T = view.N, view.T
    i, t = _grid_times(view, case)
    x = case.tensor(case.x0)
    xr = to_numpy(x)  # the rounded inputs the candidate sees
    f, G = view.obj.discretize(view.image(x), case.tensor(t))
    f, G = to_numpy(view.flat(f, x)), to_numpy(view.per_row(G, x))
    inputs = {**case.describe(), "probe_t": t, "index": i, "N": N}
    prec = case.precision
    if isinstance(spec, th.VE):
        theorem = "sde.ve"
        v0 = origin_variance(view, case.conventions)
        ti = i * T / max(N - 1, 1)
        s2 = _declared_var(view, ti, v0)
        s2_prev = np.where(i > 0, _declared_var(view, np.maximum(i - 1, 0) * T / max(N - 1, 1), v0), 0.0)
        inc = s2 - s2_prev
        # the subtraction amplifies by (s_i² + s_{i-1}²)/(s_i² - s_{i-1}²), halved by the root; the
        # levels carry the rounding of their exponent (|log σ| of a float32 linspace of logs)
        lmax = max(abs(np.log(spec.sigma_min)), abs(np.log(spec.sigma_max)))
        with np.errstate(divide="ignore", invalid="ignore"):
            cond = 4.0 + np.where(inc > 0, (s2 + s2_prev) / np.maximum(inc, 1e-300), 0.0) * (1.0 + 2.0 * lmax)
        assert_close(f, np.zeros_like(xr), theorem=theorem, slide=_slide(theorem), what="NCSN step drift f = 0",
                     tol=tol or exact(prec), inputs=inputs)
        origin = "s(t_{-1}) = 0" + (", s = σ: G_0 = σ_min" if v0 else ", s² = σ² - σ_min²: G_0 = 0")
        assert_close(G, np.sqrt(np.maximum(inc, 0.0)), theorem=theorem, slide=_slide(theorem),
                     what=f"NCSN step G_i = √(s(t_i)² - s(t_(i-1))²), t_i = iT/(N-1), {origin}",
                     tol=tol or exact(prec, cond), scale=np.sqrt(s2), inputs=inputs)
        return
    if isinstance(spec, th.VP):
        theorem = "sde.vp"
        beta = spec.beta(i * T / max(N - 1, 1)) * T / N
        if np.any(beta >= 1):
            raise ValueError(f"N = {N} gives β_i = β(t_i) T/N >= 1: the DDPM discretization needs N > β_max T")
        coef = np.sqrt(1.0 - beta) - 1.0
        assert_close(f, coef[:, None] * xr, theorem=theorem, slide=_slide(theorem),
                     what="DDPM step f = (√(1 - β_i) - 1) x, β_i = β(t_i) T/N, t_i = iT/(N-1)",
                     tol=tol or exact(prec, 8.0), scale=np.abs(xr), inputs=inputs)
        assert_close(G, np.sqrt(beta), theorem=theorem, slide=_slide(theorem),
                     what="DDPM step G = √β_i, β_i = β(t_i) T/N", tol=tol or exact(prec, 4.0), inputs=inputs)
        return
    theorem = "sde.euler_maruyama"
    tr = to_numpy(case.tensor(t))
    dt = T / N
    f_exp = spec.f(tr)[:, None] * xr * dt
    assert_close(f, f_exp, theorem=theorem, slide=_slide(theorem),
                 what="Euler–Maruyama step f = f(x, t) Δt, Δt = T/N", tol=tol or exact(prec, 8.0),
                 scale=np.abs(f_exp), inputs=inputs)
    cond = 4.0 + (0.5 * spec.discount_condition(tr) if isinstance(spec, th.SubVP) else 0.0)
    assert_close(G, np.sqrt(spec.g2(tr) * dt), theorem=theorem, slide=_slide(theorem),
                 what="Euler–Maruyama step G = g(t) √Δt, Δt = T/N", tol=tol or exact(prec, cond), inputs=inputs)


def _mixture(case: SDECase) -> GaussianMixture:
    """The drawn 1-D mixture, lifted to the case's dimension (isotropic components)."""
    m, d = case.extra["mixture"], case.x0.shape[1]
    return GaussianMixture(m.weights, np.repeat(m.means, d, axis=1), m.covs[:, 0, 0][:, None, None] * np.eye(d))


def _exact_score(view: ScoreSDEView, mix: GaussianMixture):
    """The exact score of ``p_t`` (the mixture noised by the kind's closed form), as a torch ``score_fn``
    of the object's images; evaluated in float64 at the points it is given."""
    spec = spec_of(view)

    def score(x4: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        x = to_numpy(x4).reshape(x4.shape[0], -1)
        tt = np.broadcast_to(to_numpy(t).reshape(-1), (x.shape[0],))
        a, v = spec.marginal(np.clip(tt, 0.0, view.T))
        out = np.stack([mix.noised(float(a[k]), float(v[k])).score(x[k:k + 1])[0] for k in range(len(x))])
        return torch.as_tensor(out, dtype=x4.dtype, device=x4.device).reshape(x4.shape)

    return score


def _check_reverse(view: ScoreSDEView, case: SDECase, flow: bool, tol: Tolerance | None) -> None:
    theorem = "sde.probability_flow_ode" if flow else "sde.reverse_sde"
    spec = spec_of(view)
    mix = _mixture(case)
    x, t = case.tensor(case.x0), case.tensor(case.t)
    xr, tr = to_numpy(x), to_numpy(t)
    rev = view.obj.reverse(_exact_score(view, mix), probability_flow=flow)
    drift, g = rev.sde(view.image(x), t)
    drift, g = to_numpy(view.flat(drift, x)), to_numpy(view.per_row(g, x))
    a, v = spec.marginal(tr)
    s = np.stack([mix.noised(float(a[k]), float(v[k])).score(xr[k:k + 1])[0] for k in range(len(xr))])
    f, g2 = spec.f(tr)[:, None] * xr, spec.g2(tr)[:, None]
    w = 0.5 if flow else 1.0
    cond = 8.0 + (2.0 * spec.log_ratio if isinstance(spec, th.VE) else 0.0) + 0.0 * tr
    if isinstance(spec, th.SubVP):  # g² = β(1 - e^{-2B}): the subtraction's amplification
        cond = cond + spec.discount_condition(tr)
    name = "probability-flow ODE drift f - ½ g² s" if flow else "reverse-SDE drift f - g² s"
    inputs = {**case.describe(), "mixture": mix}
    assert_close(drift, f - w * g2 * s, theorem=theorem, slide=_slide(theorem),
                 what=f"reverse(score_fn{', probability_flow=True' if flow else ''}).sde: {name} "
                      f"(s the exact score of p_t)", tol=tol or exact(case.precision, cond[:, None]),
                 scale=np.abs(f) + w * g2 * np.abs(s), inputs=inputs)
    g_exp = np.zeros_like(tr) if flow else np.sqrt(spec.g2(tr))
    assert_close(g, g_exp, theorem=theorem, slide=_slide(theorem),
                 what="its diffusion: 0 (an ODE)" if flow else "its diffusion: g(t), the forward SDE's",
                 tol=tol or exact(case.precision, cond), scale=np.sqrt(spec.g2(tr)), inputs=inputs)


def check_reverse_sde(view: ScoreSDEView, case: SDECase, *, tol: Tolerance | None = None) -> None:
    """sde.reverse_sde: ``reverse(score_fn).sde(x, t) = (f - g² s, g)`` (000 L10 "Reverse SDE")."""
    _check_reverse(view, case, False, tol)


def check_probability_flow(view: ScoreSDEView, case: SDECase, *, tol: Tolerance | None = None) -> None:
    """sde.probability_flow_ode: ``reverse(score_fn, probability_flow=True).sde(x, t) = (f - ½ g² s, 0)``
    (000 L10 "Probability Flow ODE")."""
    _check_reverse(view, case, True, tol)


def prior_std(view: ScoreSDEView, conventions: Conventions) -> float:
    """``c`` of the prior ``N(0, c² I)``: VE ``s(T)`` under the declared origin; VP, sub-VP 1."""
    spec = spec_of(view)
    if isinstance(spec, th.VE):
        return float(np.sqrt(_declared_var(view, np.array([view.T]), origin_variance(view, conventions))[0]))
    return 1.0


def check_prior(view: ScoreSDEView, case: SDECase, *, tol: Tolerance | None = None) -> None:
    """sde.ve_marginal / sde.vp_marginal / sde.moment_odes: ``prior_sampling(shape) = c z`` for the
    standard normal ``z`` it draws (fed through ``checks.capture``); ``c`` from ``prior_std``."""
    spec = spec_of(view)
    theorem = {th.VE: "sde.ve_marginal", th.VP: "sde.vp_marginal"}.get(type(spec), "sde.moment_odes")
    shape = tuple(view.image(torch.zeros(case.x0.shape)).shape)
    with captured(seed=int(case.extra["step"])) as log:
        out = view.obj.prior_sampling(shape)
    log.expect(["normal"], shapes=[shape], needs="one standard normal of the sample's shape")
    z = log.normal(0)
    c = prior_std(view, case.conventions)
    out_np = to_numpy(out)
    if out_np.shape != shape:
        raise TheoremViolation(theorem, f"prior_sampling{shape} returned shape {out_np.shape}",
                               slide=_slide(theorem))
    prec = case.precision if eps(case.precision) >= eps(out.dtype) else out.dtype
    assert_close(out_np, c * z, theorem=theorem, slide=_slide(theorem),
                 what=f"prior sample c z with c = {c:.6g} (the marginal std at T of x_0 = 0; 1 for VP, sub-VP)",
                 tol=tol or exact(prec, 4.0), inputs={"shape": shape, "c": c, **case.describe()})


def _slide(theorem: str) -> str:
    return _verify.slide_of(theorem)


# ------------------------------------------------------------------------------------------ verify
Property = sde_checks.Property

PROPERTIES: tuple[Property, ...] = (
    Property("moment_odes", "sde.moment_odes", sde_checks.check_moment_odes, ("sde", "marginal_prob")),
    Property("ve_marginal", "sde.ve_marginal", sde_checks.check_ve_marginal, ("sde", "marginal_prob"), "ve"),
    Property("vp_marginal", "sde.vp_marginal", sde_checks.check_vp_marginal, ("sde", "marginal_prob"), "vp"),
    Property("subvp_marginal", "sde.moment_odes", sde_checks.check_subvp_marginal, ("sde", "marginal_prob"),
             "subvp"),
    Property("discretize", "sde.vp", check_discretize, ("discretize",)),
    Property("reverse_sde", "sde.reverse_sde", check_reverse_sde, ("sde", "reverse")),
    Property("probability_flow", "sde.probability_flow_ode", check_probability_flow, ("sde", "reverse")),
    Property("prior_sampling", "sde.vp_marginal", check_prior, ("prior_sampling",)),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)
_THEOREM_OF_KIND = {"discretize": {"ve": "sde.ve", "vp": "sde.vp", "subvp": "sde.euler_maruyama"},
                    "prior_sampling": {"ve": "sde.ve_marginal", "vp": "sde.vp_marginal", "subvp": "sde.moment_odes"}}


class VerifyReport(sde_checks.VerifyReport):
    concept = "sde"


@st.composite
def score_sde_cases(draw: st.DrawFn, *, view: ScoreSDEView, dtype: Any, device: Any,
                    conventions: Conventions, table_dtype: Any) -> SDECase:
    """``sde_cases`` (dimension ≤ 2) plus table indices (the ends always among them) and offsets for
    ``discretize``; the drawn 1-D mixture is the data law of the exact score."""
    case = draw(sde_checks.sde_cases(T=view.T, dtype=dtype, device=device, max_dim=2, chain_N=(1, 2),
                                     conventions=conventions, table_dtype=table_dtype))
    B, N = len(case.t), view.N
    index = draw(st.lists(st.one_of(st.just(0), st.just(N - 1), st.integers(0, N - 1)), min_size=B, max_size=B))
    frac = draw(arrays((B,), 0.1, 0.9))
    return dataclasses.replace(case, extra={**case.extra, "index": np.array(index), "frac": frac})


def verify_score_sde(sde_obj: Any, *, conventions: Any = None, dtype: Any = None, device: Any = None,
                     properties: Iterable[str] | None = None, max_examples: int | None = None,
                     raise_on_failure: bool = True, kind: str | None = None, event_dims: int = 3,
                     shrink: bool | float = True) -> VerifyReport:
    """Hold a score-SDE-style object (module docstring) to the SDE family's theorems: the closed-form
    marginal of its kind and the moment ODEs (``sde``, ``marginal_prob``), the exact chain step
    (``discretize``), the reverse SDE and probability-flow ODE (``reverse``) and the prior
    (``prior_sampling``). A missing method makes its properties not applicable, with the reason.

    ``conventions`` as ``checks.sde.verify`` (``ve_origin="sigma_min"`` for score-SDE's VESDE, whose
    ``marginal_prob`` std is ``σ(t)``); ``kind`` ("ve", "vp", "subvp") overrides what is read from the
    object; ``event_dims``: the number of non-batch dimensions its ``sde`` broadcasts over (3 for
    ``(C, H, W)``). Returns the report; raises ``VerifyFailed`` on a failure (``raise_on_failure``).
    """
    view = ScoreSDEView(sde_obj, kind, event_dims, name="sde_obj")
    conv = sde_checks.parse_conventions(conventions)
    table_dtype = conv.table_dtype or view.table_dtype
    dtype, device = _verify.dtype_device(sde_obj, dtype, device)
    wanted = _verify.select(properties, PROPERTY_NAMES)
    table = tuple(dataclasses.replace(p, theorem=_THEOREM_OF_KIND[p.name][view.kind])
                  if p.name in _THEOREM_OF_KIND else p for p in PROPERTIES)

    def strategy_for(conv_: Conventions) -> st.SearchStrategy:
        return score_sde_cases(view=view, dtype=dtype, device=device, conventions=conv_, table_dtype=table_dtype)

    cases = strategy_for(conv)

    def lacks(prop: Property) -> str | None:
        missing = [m for m in prop.requires if not callable(getattr(sde_obj, m, None))]
        if missing:
            return f"{type(sde_obj).__name__} has no {', '.join(missing)}"
        return kind_reason(prop.kind, spec_of(view))

    def hint(prop: Property, case: SDECase, violation: TheoremViolation) -> str | None:
        return sde_checks.hint_for(prop.check, view, conv, case, strategy_for)

    return _verify.run_properties(
        view, table, VerifyReport(type(sde_obj).__name__, conventions=conv), wanted=wanted,
        kw=_verify.settings_kw(max_examples, shrink), strategy=lambda prop: cases, lacks=lacks, hint=hint,
        raise_on_failure=raise_on_failure)
