"""float32 bounds that are tight but safe: a relative error of 1e-4 planted in any one DDPM closed form
is caught in float32 at every step listed, and the correct twin passes; correct float32 code (the
package's own, diffusers' DDPMScheduler, float64-derived float32 tables) passes at 400 examples.

Each reference case is data, ``(family, quantity, where planted)``: the planted candidate is the
package's own implementation with that one quantity multiplied by ``1 + 1e-4`` (a subclass), held by
the family's check to inputs that isolate the quantity (one input 1, the others 0). The float32 bounds
are the formula's own roundings against the tables a float32 implementation holds
(``checks.tolerances.evaluated``/``stored_schedule``), not the a-priori conditioning of the schedule.
The flow-matching Gaussian paths likewise: 1e-4 in ``α_t``, ``σ_t`` or ``u_t(x|x_1)`` is caught at
t ∈ {0.001, ½, 0.999}, the oracle reading the float32 t and points the candidate got
(``checks.flow_matching.coefficient_errors``).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dgmcheck.checks import ddpm as ddpm_checks
from dgmcheck.checks import flow_matching as fm_checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl import flow_matching as fm_impl
from dgmcheck.impl.ddpm import GaussianDiffusion
from dgmcheck.impl.schedules import cosine_betas, linear_betas
from dgmcheck.theory.flow_matching import PathSpec

DELTA = 1e-4
F32 = torch.float32
T = 1000  # β_1 = 1e-4 (linear): where the a-priori bound was widest
DDPM_STEPS = (1, 2, T // 2, T)
SCHEDULES = {"linear": lambda: linear_betas(T), "cosine": lambda: cosine_betas(T)}


# --------------------------------------------------------------------------- planted candidates
class PlantedDDPM(GaussianDiffusion):
    """GaussianDiffusion with its table ``table`` multiplied by ``1 + delta`` (0: the correct twin).
    ``x0_route``: the ε-form mean taken through ``x̂_0 = x_t/√ᾱ_t - √(1/ᾱ_t - 1) ε`` and the posterior
    coefficients (the route diffusers' step takes), its two x₀-from-ε coefficients as tables."""

    def __init__(self, betas, table: str | None = None, delta: float = 0.0, x0_route: bool = False) -> None:
        super().__init__(betas)
        self.table, self.delta, self.x0_route = table, delta, x0_route

    def _derive(self) -> None:
        before = self._derived_from
        super()._derive()
        if self._derived_from != before:
            abar, omab = self.alpha_bars, self.one_minus_alpha_bars
            self._tables["x0_from_xt"] = abar.rsqrt()
            self._tables["x0_from_eps"] = (omab / abar).sqrt()
            if self.table is not None:
                self._tables[self.table] = self._tables[self.table] * (1 + self.delta)

    def posterior_mean_from_eps(self, x_t, t, eps):
        if not self.x0_route:
            return super().posterior_mean_from_eps(x_t, t, eps)
        t = self._steps(t, x_t)
        x0_hat = self._take("x0_from_xt", t, x_t) * x_t - self._take("x0_from_eps", t, x_t) * eps
        return self._take("coef_x0", t, x_t) * x0_hat + self._take("coef_xt", t, x_t) * x_t


# --------------------------------------------------------------------------- DDPM reference cases
def ddpm_case(betas: np.ndarray, t: int, prop: str) -> ddpm_checks.DDPMCase:
    """Rows at step ``t`` isolating each input (one 1, the rest 0; for the ε-form mean the x_0 that puts
    ``x_t = 0``, so that the ε term stands alone), d = 1."""
    x0 = np.array([[1.0], [0.0], [0.0]])
    noise = np.array([[0.0], [1.0], [0.0]])
    other = np.array([[0.0], [0.0], [1.0]])
    if prop == "eps_mean":
        abar = np.prod(1.0 - np.asarray(betas, dtype=np.float64)[:t])
        x0 = np.array([[1.0], [0.0], [-np.sqrt((1 - abar) / abar)]])
        noise = np.array([[0.0], [1.0], [1.0]])
    return ddpm_checks.DDPMCase(np.full(3, t, dtype=np.int64), x0, noise, other, dtype=F32, extra={})


DDPM_CHECKS = {"forward_marginal": ddpm_checks.check_forward_marginal, "posterior": ddpm_checks.check_posterior,
               "eps_mean": ddpm_checks.check_eps_mean,
               "score_reparametrization": ddpm_checks.check_score_reparametrization}
ALL_T = DDPM_STEPS
THEOREMS = {p.name: p.theorem for p in ddpm_checks.PROPERTIES}
NOT_1 = DDPM_STEPS[1:]  # the quantity is 0 at t = 1 (β̃_1, c_t = √α_1(1-ᾱ_0)/(1-ᾱ_1)): nothing to scale
# x̂₀'s coefficient of x_t reaches the mean only times c_0/√ᾱ_t = β_t/((1-ᾱ_t)√α_t), next to the mean's
# own x_t coefficient ≈ 1: a 1e-4 error in it moves the mean by 1e-4 c_0/√ᾱ_t, under float32's few ulps
# where that weight is below 1e-2 (the cosine schedule's middle); held at the steps where it is not.
ENDS = (1, 2, T)
#: (quantity, table planted, through the x̂₀ route, the property that holds it, steps)
DDPM_CASES = (
    ("q_sample mean coefficient √ᾱ_t", "sqrt_alpha_bars", False, "forward_marginal", ALL_T),
    ("q_sample noise coefficient √(1-ᾱ_t)", "sqrt_one_minus_alpha_bars", False, "forward_marginal", ALL_T),
    ("posterior mean coefficient of x_0, √ᾱ_(t-1)β_t/(1-ᾱ_t)", "coef_x0", False, "posterior", ALL_T),
    ("posterior mean coefficient of x_t, √α_t(1-ᾱ_(t-1))/(1-ᾱ_t)", "coef_xt", False, "posterior", NOT_1),
    ("posterior variance β̃_t", "posterior_variances", False, "posterior", NOT_1),
    ("x₀-from-ε coefficient of x_t, 1/√ᾱ_t", "x0_from_xt", True, "eps_mean", ENDS),
    ("x₀-from-ε coefficient of ε, √(1/ᾱ_t - 1)", "x0_from_eps", True, "eps_mean", ALL_T),
    ("ε-form reverse mean coefficient of x_t, 1/√α_t", "rsqrt_alphas", False, "eps_mean", ALL_T),
    ("ε-form reverse mean coefficient of ε, β_t/√(α_t(1-ᾱ_t))", "coef_eps", False, "eps_mean", ALL_T),
    ("score coefficient 1/√(1-ᾱ_t)", "sqrt_one_minus_alpha_bars", False, "score_reparametrization", ALL_T),
)
DDPM_PARAMS = [pytest.param(q, table, route, prop, t, schedule, id=f"{schedule}-{table}{'-x0' if route else ''}"
                            f"-{prop}-t{t}")
               for q, table, route, prop, steps in DDPM_CASES for t in steps for schedule in SCHEDULES]


@pytest.mark.theorem("ddpm.forward_marginal", "ddpm.posterior", "ddpm.eps_mean", "ddpm.score_reparametrization")
@pytest.mark.planted_bug("ddpm.forward_marginal", "ddpm.posterior", "ddpm.eps_mean", "ddpm.score_reparametrization")
@pytest.mark.parametrize(("quantity", "table", "route", "prop", "t", "schedule"), DDPM_PARAMS)
def test_ddpm_1e_4_is_caught_in_float32(quantity, table, route, prop, t, schedule):
    betas = SCHEDULES[schedule]()
    case = ddpm_case(betas, t, prop)
    check = DDPM_CHECKS[prop]
    check(PlantedDDPM(betas, x0_route=route), case)  # the correct twin passes
    with pytest.raises(TheoremViolation) as info:
        check(PlantedDDPM(betas, table, DELTA, x0_route=route), case)
    assert info.value.theorem == THEOREMS[prop], quantity


# --------------------------------------------------------------------------- correct float32 code, 400 examples
FLOAT32_PROPERTIES = ["forward_marginal", "posterior", "eps_mean", "optimal_variance", "ancestral_step",
                      "score_reparametrization"]


@pytest.mark.slow
@pytest.mark.theorem("ddpm.forward_marginal", "ddpm.posterior", "ddpm.eps_mean", "ddpm.optimal_variance",
                     "ddpm.ancestral_sampling", "ddpm.score_reparametrization")
@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_own_ddpm_passes_in_float32_at_400_examples(schedule):
    report = ddpm_checks.verify(GaussianDiffusion(SCHEDULES[schedule]()), dtype=F32, properties=FLOAT32_PROPERTIES,
                                max_examples=400, shrink=False)
    assert report.passed == FLOAT32_PROPERTIES, report.summary()


@pytest.mark.slow
@pytest.mark.theorem("ddpm.forward_marginal", "ddpm.posterior", "ddpm.eps_mean", "ddpm.optimal_variance",
                     "ddpm.ancestral_sampling")
@pytest.mark.parametrize("schedule", ["linear", "squaredcos_cap_v2"])
def test_diffusers_ddpm_passes_in_float32_at_400_examples(schedule):
    diffusers = pytest.importorskip("diffusers")
    from dgmcheck.adapters.diffusers import DiffusersDDPM

    scheduler = diffusers.DDPMScheduler(num_train_timesteps=T, beta_schedule=schedule, clip_sample=False)
    props = ["forward_marginal", "posterior", "eps_mean", "optimal_variance", "ancestral_step"]
    report = ddpm_checks.verify(DiffusersDDPM(scheduler), dtype=F32, properties=props, max_examples=400,
                                shrink=False)
    assert report.passed == props, report.summary()


@pytest.mark.slow
@pytest.mark.theorem("ddpm.forward_marginal", "ddpm.posterior", "ddpm.eps_mean")
@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_float32_tables_pass_in_float32_at_400_examples(schedule):
    from tests import _convention_models as cm

    report = ddpm_checks.verify(cm.Float32Tables(SCHEDULES[schedule]()), dtype=F32, max_examples=400, shrink=False)
    assert report.passed == ["forward_marginal", "posterior", "eps_mean"], report.summary()


# --------------------------------------------------------------------------- the law fallback's sample size
def test_law_sample_size_catches_a_two_percent_variance_bias():
    import math

    from scipy import stats

    from dgmcheck.checks import _law

    n = _law.SAMPLES
    z_bias = _law.VARIANCE_BIAS / math.sqrt(2 * (1 + _law.VARIANCE_BIAS) ** 2 / n)
    assert stats.norm.cdf(_law.Z_EACH - z_bias) <= _law.MISS_RATE * (1 + 1e-6)
    assert 2 * stats.norm.sf(_law.Z_EACH) == pytest.approx(1e-9 / 2)  # each moment's share of 1e-9


# --------------------------------------------------------------------------- the exact sampler law in float32
class NoiseVarianceOff(GaussianDiffusion):
    """The reverse steps' noise variance σ_t² off by the relative ``bias`` (0: the correct twin)."""

    def __init__(self, betas, bias: float = 0.0) -> None:
        super().__init__(betas)
        self.bias = bias

    def reverse_variance(self, t, x, variance="beta_tilde"):
        return super().reverse_variance(t, x, variance) * (1 + self.bias)


#: (data mean, data variance): the ends of the ranges ``ddpm_cases`` draws for the law
LAW_DATA = ((0.0, 1.0), (2.0, 0.01), (-2.0, 2.0))


def law_case(mean: float, var: float) -> ddpm_checks.DDPMCase:
    zero = np.zeros((1, 1))
    return ddpm_checks.DDPMCase(np.array([1]), zero, zero, zero, dtype=F32,
                                extra={"data_mean": mean, "data_var": var})


@pytest.mark.theorem("ddpm.ancestral_sampling")
@pytest.mark.planted_bug("ddpm.ancestral_sampling")
@pytest.mark.parametrize(("mean", "var"), LAW_DATA)
@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_sampler_law_2_percent_is_caught_in_float32(schedule, mean, var):
    """The probe reads the law exactly, so in float32 at T = 1000 the bound is the sampler's own roundings
    (``checks._chain_error``): a 2 % error in σ_t² at every step, either way, is caught; the correct sampler
    passes."""
    betas, case = SCHEDULES[schedule](), law_case(mean, var)
    ddpm_checks.check_sampler_law(GaussianDiffusion(betas), case)
    for bias in (0.02, -0.02):
        with pytest.raises(TheoremViolation) as info:
            ddpm_checks.check_sampler_law(NoiseVarianceOff(betas, bias), case)
        assert info.value.theorem == "ddpm.ancestral_sampling", bias


@pytest.mark.slow
@pytest.mark.theorem("ddpm.ancestral_sampling")
@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_own_sampler_passes_its_law_in_float32(schedule):
    report = ddpm_checks.verify(GaussianDiffusion(SCHEDULES[schedule]()), dtype=F32, properties=["sampler_law"],
                                max_examples=scaled(40), shrink=False)
    assert report.passed == ["sampler_law"], report.summary()


@pytest.mark.slow
@pytest.mark.theorem("ddpm.ancestral_sampling")
@pytest.mark.parametrize(("schedule", "variance_type"), [("linear", "fixed_small"),
                                                         ("squaredcos_cap_v2", "fixed_small"),
                                                         ("linear", "fixed_small_log")])
def test_diffusers_sampler_passes_its_law_in_float32(schedule, variance_type):
    """diffusers' step takes x̂₀ and the posterior mean from float32 tables in which ᾱ_t ≠ α_t ᾱ_(t-1) by an
    ulp: against the ε-form law that route is off by 3e-4 relative at small t, which the bound for the
    route and tables it uses does not need to absorb."""
    diffusers = pytest.importorskip("diffusers")
    from dgmcheck.adapters.diffusers import DiffusersDDPM

    scheduler = diffusers.DDPMScheduler(num_train_timesteps=T, beta_schedule=schedule, clip_sample=False,
                                        variance_type=variance_type)
    report = ddpm_checks.verify(DiffusersDDPM(scheduler), dtype=F32, properties=["sampler_law"],
                                max_examples=scaled(4), shrink=False)
    assert report.passed == ["sampler_law"], report.summary()


def test_stored_schedule_is_diffusers_own_tables():
    diffusers = pytest.importorskip("diffusers")
    from dgmcheck.checks.tolerances import stored_schedule

    s = diffusers.DDPMScheduler(num_train_timesteps=T, beta_schedule="squaredcos_cap_v2", clip_sample=False)
    _, abar, _ = stored_schedule(s.betas.double().numpy(), F32)
    assert np.array_equal(abar[1:], s.alphas_cumprod.double().numpy())


# --------------------------------------------------------------------------- tables built in float32
def float32_built(betas: np.ndarray) -> GaussianDiffusion:
    """Tables as code that holds everything in float32 builds them: ``α = 1 - β``, ``ᾱ`` by numpy's
    float32 ``cumprod`` (one rounding per step), ``1 - ᾱ`` and the posterior variance in float32, the
    original β kept beside them."""
    b = np.asarray(betas, dtype=np.float32)
    a = np.float32(1) - b
    abar = np.cumprod(a, dtype=np.float32)
    prev = np.concatenate([[np.float32(1)], abar[:-1]]).astype(np.float32)
    cand = GaussianDiffusion(torch.tensor(b.astype(np.float64)))

    def held(v: np.ndarray) -> torch.Tensor:
        return torch.tensor(np.asarray(v, dtype=np.float32).astype(np.float64))

    cand.alphas, cand.alpha_bars, cand.one_minus_alpha_bars = held(a), held(abar), held(np.float32(1) - abar)
    cand.alpha_bars_prev, cand.one_minus_alpha_bars_prev = held(prev), held(np.float32(1) - prev)
    cand.posterior_variances = held(b * (np.float32(1) - prev) / (np.float32(1) - abar))
    return cand


@pytest.mark.theorem("ddpm.forward_marginal", "ddpm.posterior", "ddpm.eps_mean", "ddpm.score_reparametrization")
@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_tables_built_in_float32_pass_declared_or_not(schedule):
    """ᾱ accumulated step by step in float32, with the stored β_t read by the posterior coefficients
    (β_1/(1 - ᾱ_1) is 1 ± 7e-4 for the cosine schedule), is an evaluation order the float32 references
    hold (``stored_schedule(accumulate_in_dtype=True, keep_betas=True)``): it passes undeclared, and with
    ``table_dtype`` declared."""
    from dgmcheck.checks.conventions import Conventions

    cand = float32_built(SCHEDULES[schedule]())
    props = ["forward_marginal", "posterior", "eps_mean", "score_reparametrization"]
    for conventions in (None, Conventions(table_dtype="float32")):
        report = ddpm_checks.verify(cand, dtype=F32, properties=props, max_examples=scaled(25),
                                    conventions=conventions)
        assert set(report.passed) == set(props)


# --------------------------------------------------------------------------- flow-matching Gaussian paths
class _Planted:
    """A path with one of ``α_t``, ``σ_t`` (its coefficients) or ``u_t(x|x_1)`` (its field) multiplied by
    ``1 + delta`` (0: the correct twin); the spec it claims is ``spec``."""

    def __init__(self, spec, quantity: str | None = None, delta: float = 0.0, **kw) -> None:
        super().__init__(**kw)
        self.spec, self.quantity, self.delta = spec, quantity, delta

    def coefficients(self, t):
        a, s, da, ds = super().coefficients(t)
        f = 1 + self.delta
        return (a * f, s, da, ds) if self.quantity == "alpha" else (a, s * f, da, ds) if self.quantity == "sigma" \
            else (a, s, da, ds)

    def target_field(self, x, x1, t):
        out = super().target_field(x, x1, t)
        return out * (1 + self.delta) if self.quantity == "field" else out


class PlantedConical(_Planted, fm_impl.ConicalPath):
    pass


class PlantedVP(_Planted, fm_impl.VPPath):
    pass


class PlantedVE(_Planted, fm_impl.VEPath):
    pass


FM_PATHS = {
    "conical": (PlantedConical, PathSpec("conical"), {"sigma_min": 0.0}),
    "conical_smin": (PlantedConical, PathSpec("conical", sigma_min=0.1), {"sigma_min": 0.1}),
    "vp": (PlantedVP, PathSpec("vp", beta_min=0.1, beta_max=20.0), {"beta_min": 0.1, "beta_max": 20.0}),
    "ve": (PlantedVE, PathSpec("ve", sigma_max=5.0), {"sigma_max": 5.0}),
}
FM_TIMES = (0.001, 0.5, 0.999)
FM_OWN_CHECK = {"conical": fm_checks.check_conical_path, "conical_smin": fm_checks.check_conical_path,
                "vp": fm_checks.check_vp_path, "ve": fm_checks.check_ve_path}
#: (quantity planted, the rows that isolate it: x0, x1, x (d = 1), the check that holds it)
FM_CASES = (
    ("alpha", ([0.0], [1.0], [1.0]), "own"),  # x_t = α_t x_1 alone
    ("sigma", ([1.0], [0.0], [1.0]), "own"),  # x_t = σ_t x_0 alone
    ("field", ([1.0], [0.5], [1.0]), "gaussian_path_field"),  # u_t(x|x_1) at a free x
)
FM_PARAMS = [pytest.param(path, quantity, rows, how, t, id=f"{path}-{quantity}-t{t}")
             for path in FM_PATHS for quantity, rows, how in FM_CASES for t in FM_TIMES
             if not (path == "ve" and quantity == "alpha")]  # VE: α = 1, no coefficient to scale


def fm_case(rows, t: float) -> fm_checks.FMCase:
    from dgmcheck.theory.gaussian_mixture import GaussianMixture

    x0, x1, x = (np.array([r]) for r in rows)
    mixture = GaussianMixture(np.array([1.0]), np.array([[0.0]]), np.array([[[1.0]]]))
    return fm_checks.FMCase(np.array([t]), x0, x1, x, mixture, dtype=F32, extra={})


@pytest.mark.theorem("fm.conical_path", "fm.vp_path", "fm.ve_path", "fm.gaussian_path_field")
@pytest.mark.planted_bug("fm.conical_path", "fm.vp_path", "fm.ve_path", "fm.gaussian_path_field")
@pytest.mark.parametrize(("path", "quantity", "rows", "how", "t"), FM_PARAMS)
def test_fm_1e_4_is_caught_in_float32(path, quantity, rows, how, t):
    cls, spec, kw = FM_PATHS[path]
    check = FM_OWN_CHECK[path] if how == "own" else fm_checks.check_gaussian_path_field
    case = fm_case(rows, t)
    check(cls(spec, **kw), spec, case)  # the correct twin passes
    with pytest.raises(TheoremViolation) as info:
        check(cls(spec, quantity, DELTA, **kw), spec, case)
    assert info.value.theorem in ("fm.conical_path", "fm.vp_path", "fm.ve_path", "fm.gaussian_path_field")


class PlantedTrig(_Planted, fm_impl.TrigPath):
    pass


#: The trigonometric path has no closed-form check of its own: u_t(x|x_1) holds its coefficients. Where
#: the field cannot see them in float32 the case is left out, with why: α at t = 0.001 enters the field
#: times α σ'/σ ≈ 2.5e-3 next to α' x_1 ≈ 1.57 (below float32's ulp); σ (and the field) at t = 0.999,
#: where code that writes σ = cos(πt/2) (torchcfm) carries its argument's rounding, 6e-5 of σ.
TRIG_CASES = [(q, rows, t) for q, rows, _ in FM_CASES for t in FM_TIMES
              if (q, t) not in (("alpha", 0.001), ("sigma", 0.999), ("field", 0.999))]


@pytest.mark.theorem("fm.gaussian_path_field")
@pytest.mark.planted_bug("fm.gaussian_path_field")
@pytest.mark.parametrize(("quantity", "rows", "t"), TRIG_CASES,
                         ids=[f"{q}-t{t}" for q, _, t in TRIG_CASES])
def test_trig_path_1e_4_is_caught_in_float32(quantity, rows, t):
    spec, case = PathSpec("trig"), fm_case(rows, t)
    fm_checks.check_gaussian_path_field(PlantedTrig(spec), spec, case)  # the correct twin passes
    with pytest.raises(TheoremViolation) as info:
        fm_checks.check_gaussian_path_field(PlantedTrig(spec, quantity, DELTA), spec, case)
    assert info.value.theorem == "fm.gaussian_path_field"


FM_FLOAT32_PROPERTIES = {"conical": ["gaussian_path_field", "conical_path", "boundary_conditions"],
                         "conical_smin": ["gaussian_path_field", "conical_path", "boundary_conditions"],
                         "vp": ["gaussian_path_field", "vp_path", "boundary_conditions"],
                         "ve": ["gaussian_path_field", "ve_path", "boundary_conditions"]}


@pytest.mark.slow
@pytest.mark.theorem("fm.conical_path", "fm.vp_path", "fm.ve_path", "fm.gaussian_path_field",
                     "fm.boundary_conditions")
@pytest.mark.parametrize("path", list(FM_PATHS))
def test_own_fm_paths_pass_in_float32_at_100_examples(path):
    cls, spec, kw = FM_PATHS[path]
    props = FM_FLOAT32_PROPERTIES[path]
    report = fm_checks.verify(cls(spec, **kw), spec, dtype=F32, properties=props, max_examples=100, shrink=False)
    assert sorted(report.passed) == sorted(props), report.summary()


# --------------------------------------------------------------------------- SDE closed forms
class ScaledSDE:
    """An SDE with one of its closed forms multiplied by ``1 + delta`` (0: the correct twin): the marginal
    mean coefficient ``a(t)`` (``mean``), the standard deviation ``s(t)`` (``std``), the drift or the
    diffusion ``g(t)``; everything else (the claimed spec's parameters) read from ``sde``."""

    def __init__(self, sde, quantity: str | None = None, delta: float = 0.0) -> None:
        self._sde, self._quantity, self._factor = sde, quantity, 1 + delta

    def __getattr__(self, name):
        return getattr(self._sde, name)

    def _scaled(self, name, value):
        return value * self._factor if self._quantity == name else value

    def marginal(self, x, t):
        a, s = self._sde.marginal(x, t)
        return self._scaled("mean", a), self._scaled("std", s)

    def drift(self, x, t):
        return self._scaled("drift", self._sde.drift(x, t))

    def diffusion(self, x, t):
        return self._scaled("diffusion", self._sde.diffusion(x, t))


def _sde_candidates():
    from dgmcheck.adapters.score_sde import ScoreSDEView
    from dgmcheck.checks import sde as sde_checks
    from dgmcheck.impl.sde import VESDE, VPSDE
    from tests import _score_sde_models as score_sde
    from tests._sde_bugs import SubVPSDE

    return {  # name: (make the correct SDE, the check of its closed form)
        "vp": (lambda: VPSDE(0.1, 20.0), sde_checks.check_vp_marginal),
        "ve": (lambda: VESDE(0.01, 50.0), sde_checks.check_ve_marginal),
        "subvp": (SubVPSDE, sde_checks.check_subvp_marginal),
        "score_sde-vp": (lambda: ScoreSDEView(score_sde.VPSDE()), sde_checks.check_vp_marginal),
        "score_sde-subvp": (lambda: ScoreSDEView(score_sde.subVPSDE()), sde_checks.check_subvp_marginal),
    }


def _sde_t_min() -> float:
    from dgmcheck.checks.sde import T_MIN_FRACTION

    return T_MIN_FRACTION  # T = 1: the smallest time the checks draw


SDE_TIMES = ("t_min", 0.5, 1.0)
SDE_PARAMS = [pytest.param(name, quantity, t, id=f"{name}-{quantity}-t{t}")
              for name in ("vp", "ve", "subvp", "score_sde-vp", "score_sde-subvp")
              for quantity in ("mean", "std", "drift", "diffusion") for t in SDE_TIMES
              if not (name == "ve" and quantity in ("mean", "drift"))]  # VE: a = 1, drift 0: nothing to scale


@pytest.mark.theorem("sde.vp_marginal", "sde.ve_marginal", "sde.moment_odes")
@pytest.mark.planted_bug("sde.vp_marginal", "sde.ve_marginal", "sde.moment_odes")
@pytest.mark.parametrize(("name", "quantity", "t"), SDE_PARAMS)
def test_sde_1e_4_is_caught_in_float32(name, quantity, t):
    """A 1e-4 relative error in any SDE closed form is caught in float32 wherever the checks draw t
    (``[T_MIN_FRACTION T, T]``; below it a plain ``1 - e^{-B}`` in float32 carries more rounding in ``s(t)``
    than 1e-4), by the package's own SDEs and by score-SDE-style code, whose correct twin passes."""
    from dgmcheck.checks.sde import SDECase

    make, check = _sde_candidates()[name]
    tt = _sde_t_min() if t == "t_min" else t
    case = SDECase(np.array([tt]), np.array([[1.0]]), np.array([[0.0]]), dtype=F32, extra={})
    check(ScaledSDE(make()), case)
    with pytest.raises(TheoremViolation) as info:
        check(ScaledSDE(make(), quantity, DELTA), case)
    assert info.value.theorem in ("sde.vp_marginal", "sde.ve_marginal", "sde.moment_odes")


@pytest.mark.slow
@pytest.mark.theorem("sde.vp_marginal", "sde.ve_marginal", "sde.moment_odes")
@pytest.mark.parametrize("name", ["vp", "ve", "subvp", "score_sde-vp", "score_sde-subvp"])
def test_correct_sdes_pass_their_closed_forms_in_float32_at_400_examples(name):
    from dgmcheck.checks import sde as sde_checks

    props = [f"{name.split('-')[-1]}_marginal"]
    make, _ = _sde_candidates()[name]
    report = sde_checks.verify(make(), dtype=F32, properties=props, max_examples=400, shrink=False)
    assert sorted(report.passed) == sorted(props), report.summary()


@pytest.mark.slow
@pytest.mark.theorem("fm.gaussian_path_field", "fm.boundary_conditions", "fm.marginal_vector_field")
def test_trig_paths_pass_in_float32_at_100_examples():
    """Both forms of σ_t: the package's sin(π(1-t)/2) and torchcfm's cos(πt/2)."""
    props = ["gaussian_path_field", "boundary_conditions", "marginal_vector_field"]
    report = fm_checks.verify(PlantedTrig(PathSpec("trig")), PathSpec("trig"), dtype=F32, properties=props,
                              max_examples=100, shrink=False)
    assert sorted(report.passed) == sorted(props), report.summary()
    cfm = pytest.importorskip("torchcfm.conditional_flow_matching")
    from dgmcheck.adapters.torchcfm import verify_matcher

    report = verify_matcher(cfm.VariancePreservingConditionalFlowMatcher(0.0), dtype=F32, max_examples=100,
                            shrink=False, raise_on_failure=False)
    assert report.passed and not report.failed, report.summary()
