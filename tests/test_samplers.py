"""The SDE/score checks on the reference samplers, planted bugs, the autograd KFP, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dgmcheck.checks import samplers as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.checks.tolerances import exact
from dgmcheck.impl import samplers as S
from dgmcheck.impl.mixture import GaussianMixtureModel
from dgmcheck.impl.sde import VESDE, VPSDE
from dgmcheck.theory import fokker_planck as fp
from dgmcheck.theory.gaussian_mixture import GaussianMixture
from tests import _sampler_bugs as bugs

MIXTURE = (np.array([0.3, 0.7]), np.array([[-1.0, 0.5], [1.5, -1.0]]),
           np.stack([np.diag([0.2, 0.5]), np.array([[0.3, 0.1], [0.1, 0.4]])]))
GAUSSIAN = (np.ones(1), np.array([[0.5, -1.0]]), np.array([[[0.4, 0.1], [0.1, 0.2]]]))
SDES = {"vp": lambda: VPSDE(0.1, 20.0, 1.0), "ve": lambda: VESDE(0.01, 10.0, 1.0)}
PDE_PROPS = ["kfp", "probability_flow_ode", "reverse_sde", "pf_ode_plus_langevin", "langevin_stationary"]
SAMPLER_PROPS = ["pf_ode_sampler", "reverse_sde_sampler", "pc_sampler"]


def candidate(kind: str = "vp", data=MIXTURE, cls=S.ScoreSDE, sde=None):
    sde = sde if sde is not None else SDES[kind]()
    gm = GaussianMixtureModel(*data)
    return cls(sde, S.exact_mixture_score(sde, gm), gm)


@pytest.mark.theorem("sde.kfp", "sde.probability_flow_ode", "sde.reverse_sde", "sde.pf_ode_plus_langevin",
                     "sde.langevin_stationary")
@pytest.mark.parametrize("kind", ["vp", "ve"])
def test_pde_properties_hold(kind, device, dtype):
    report = checks.verify(candidate(kind), dtype=dtype, device=device, properties=PDE_PROPS, max_examples=scaled(4))
    assert report.passed == PDE_PROPS


@pytest.mark.theorem("sde.probability_flow_ode", "sde.reverse_sde", "sde.pf_ode_plus_langevin")
@pytest.mark.parametrize("kind", ["vp", "ve"])
def test_samplers_match_exact_schemes(kind, dtype):
    report = checks.verify(candidate(kind), dtype=dtype, properties=SAMPLER_PROPS, max_examples=scaled(2))
    assert report.passed == SAMPLER_PROPS


@pytest.mark.theorem("sde.probability_flow_ode")
def test_pf_ode_transports_gaussian_marginals():
    report = checks.verify(candidate("vp", GAUSSIAN), properties=["pf_ode_transport"], max_examples=scaled(2))
    assert report.passed == ["pf_ode_transport"]


@pytest.mark.theorem("sde.probability_flow_ode")
def test_pf_ode_heun_flow_is_the_exact_flow_map():
    """Heun on the PF-ODE of Gaussian data pushes points to the exact affine flow map, error O(h²)."""
    sde, spec = SDES["vp"](), fp.SDESpec("vp", 0.1, 20.0, 1.0)
    cand = candidate("vp", GAUSSIAN)
    x = torch.tensor([[0.3, -0.2], [1.5, 0.7], [-1.0, 2.0]], dtype=torch.float64)
    want = fp.gaussian_flow_map(spec, GAUSSIAN[1][0], GAUSSIAN[2][0], 1.0, 0.01, x.numpy())
    errs = [float(np.abs(S.pf_ode_sample(sde, cand.score, x, torch.linspace(1.0, 0.01, n + 1,
                                                                            dtype=torch.float64)).numpy()
                         - want).max()) for n in (40, 80, 160)]
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all((orders > 1.7) & (orders < 2.3)), (errs, orders)


@pytest.mark.theorem("sde.kfp", "sde.probability_flow_ode", "sde.reverse_sde")
@pytest.mark.parametrize("kind", ["vp", "ve"])
def test_autograd_residuals_of_exact_2d_mixture_vanish(kind):
    """impl.samplers.kfp_residual (torch autograd, float64) of the exact mixture marginal is 0 to rounding."""
    sde, gm = SDES[kind](), GaussianMixtureModel(*MIXTURE)
    spec = checks.spec_of(sde)
    mix = GaussianMixture(*MIXTURE)
    score = S.exact_mixture_score(sde, gm)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(16, 2, dtype=torch.float64, generator=gen)

    def log_prob(y, t):
        return gm.log_prob(y, *sde.marginal(y, t))

    for t in (0.1, 0.5, 0.9):
        der = fp.path_derivatives(spec, mix, t, x.numpy())
        ex = fp.exact_drifts(spec, mix, t, x.numpy())
        scale = fp.residual_scale(der, ex["f"], ex["div_f"], ex["g2"])
        # as the checks' residual tolerance, 4·(1 + κ) (κ: condition of the Σ_k), times 10 for autograd's
        # longer chain (Cholesky, solve, logsumexp and two backward passes through them)
        bound = exact(torch.float64, 4.0 * (1 + checks._kappa(mix)) * 10).bound(scale)
        for res in (S.kfp_residual(sde.drift, sde.diffusion, log_prob, x, t),
                    S.kfp_residual(lambda y, s: S.pf_ode_drift(sde, score, y, s), lambda y, s: torch.zeros_like(s),
                                   log_prob, x, t, 0.0),
                    S.kfp_residual(lambda y, s: S.reverse_drift(sde, score, y, s), sde.diffusion, log_prob, x, t,
                                   0.5)):
            assert np.all(np.abs(res.numpy()) <= bound), (t, res)
        bad = bugs.kfp_residual_g4(sde.drift, sde.diffusion, log_prob, x, t).numpy()
        assert np.any(np.abs(bad) > bound)  # the g²-for-g residual is visibly non-zero


# ----------------------------------------------------------------------------------- planted bugs
def _caught(cand, props, theorem, **kw):
    with pytest.raises(TheoremViolation) as info:
        checks.verify(cand, properties=props, shrink=False, max_examples=scaled(5), **kw)
    assert info.value.theorem == theorem
    return info.value


@pytest.mark.planted_bug("sde.probability_flow_ode")
@pytest.mark.parametrize("prop", ["probability_flow_ode", "pf_ode_sampler"])
def test_pf_ode_missing_half_is_caught(prop):
    _caught(candidate("vp", cls=bugs.PFODEMissingHalf), [prop], "sde.probability_flow_ode")


@pytest.mark.planted_bug("sde.probability_flow_ode")
def test_pf_ode_missing_half_breaks_transport():
    _caught(candidate("vp", GAUSSIAN, cls=bugs.PFODEMissingHalf), ["pf_ode_transport"], "sde.probability_flow_ode")


@pytest.mark.planted_bug("sde.reverse_sde")
def test_reverse_drift_plus_is_caught():
    _caught(candidate("ve", cls=bugs.ReverseDriftPlus), ["reverse_sde"], "sde.reverse_sde")


@pytest.mark.planted_bug("sde.pf_ode_plus_langevin")
def test_reverse_drift_plus_breaks_the_decomposition():
    _caught(candidate("vp", cls=bugs.ReverseDriftPlus), ["pf_ode_plus_langevin"], "sde.pf_ode_plus_langevin")


@pytest.mark.planted_bug("sde.reverse_sde")
def test_reverse_sampler_with_pf_drift_is_caught():
    _caught(candidate("vp", cls=bugs.ReverseSamplerWithPFDrift), ["reverse_sde_sampler"], "sde.reverse_sde")


@pytest.mark.planted_bug("sde.langevin_stationary")
def test_corrector_noise_sqrt_2eta_is_caught():
    _caught(candidate("vp", cls=bugs.CorrectorNoiseSqrt2), ["langevin_stationary"], "sde.langevin_stationary")


@pytest.mark.planted_bug("sde.pf_ode_plus_langevin")
def test_corrector_noise_sqrt_2eta_breaks_pc_sampler():
    _caught(candidate("ve", cls=bugs.CorrectorNoiseSqrt2), ["pc_sampler"], "sde.pf_ode_plus_langevin")


@pytest.mark.planted_bug("sde.reverse_sde", "sde.pf_ode_plus_langevin")
@pytest.mark.parametrize("prop,theorem", [("reverse_sde_sampler", "sde.reverse_sde"),
                                          ("pc_sampler", "sde.pf_ode_plus_langevin")])
def test_predictor_score_at_wrong_time_is_caught(prop, theorem):
    _caught(candidate("vp", cls=bugs.PredictorScoreWrongTime), [prop], theorem)


@pytest.mark.planted_bug("sde.langevin_stationary", "sde.probability_flow_ode")
@pytest.mark.parametrize("prop,theorem", [("langevin_stationary", "sde.langevin_stationary"),
                                          ("probability_flow_ode", "sde.probability_flow_ode")])
def test_lecture_score_over_sigma_is_caught(prop, theorem):
    """000 L11's Gaussian score -(x - μ)/σ (σ a standard deviation) for data N(m, 0.3 I)."""
    sde, m = SDES["ve"](), np.array([0.5, -1.0])
    data = (np.ones(1), m[None], 0.3 * np.eye(2)[None])
    cand = S.ScoreSDE(sde, bugs.score_over_sigma(sde, m, 0.3), GaussianMixtureModel(*data))
    _caught(cand, [prop], theorem)


@pytest.mark.planted_bug("sde.kfp")
def test_diffusion_g2_for_g_is_caught():
    cand = candidate(sde=bugs.VPDiffusionSquared(0.1, 20.0, 1.0))
    _caught(cand, ["kfp"], "sde.kfp")


# ------------------------------------------------------------------------------------- bad input
def test_bad_input_names_the_argument():
    sde = SDES["vp"]()
    score = S.exact_mixture_score(sde, GaussianMixtureModel(*MIXTURE))
    x = torch.zeros(3, 2, dtype=torch.float64)
    ts = torch.linspace(1.0, 0.01, 5, dtype=torch.float64)
    with pytest.raises(ValueError, match="t must lie in"):
        S.pf_ode_drift(sde, score, x, 1.5)
    with pytest.raises(ValueError, match="t must lie in"):
        S.reverse_drift(sde, score, x, -0.1)
    with pytest.raises(ValueError, match="ts must lie in"):
        S.pf_ode_sample(sde, score, x, torch.linspace(1.2, 0.01, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="ts must be strictly decreasing"):
        S.reverse_sde_sample(sde, score, x, ts.flip(0), torch.zeros(4, 3, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="score"):
        S.pf_ode_drift(sde, lambda y, t: y[:, :1], x, 0.5)
    with pytest.raises(ValueError, match="score"):
        S.reverse_sde_sample(sde, lambda y, t: y.sum(-1), x, ts, torch.zeros(4, 3, 2, dtype=torch.float64))
    for eta in (0.0, -1e-3, float("nan")):
        with pytest.raises(ValueError, match="step_size"):
            S.langevin_corrector_step(score, x, 0.5, eta, torch.zeros_like(x))
        with pytest.raises(ValueError, match="step_size"):
            S.predictor_corrector_sample(sde, score, x, ts, torch.zeros(4, 3, 2, dtype=torch.float64),
                                         torch.zeros(4, 1, 3, 2, dtype=torch.float64), eta)
    with pytest.raises(ValueError, match="method"):
        S.pf_ode_sample(sde, score, x, ts, "rk4")
    with pytest.raises(ValueError, match="corrector_noises"):
        S.predictor_corrector_sample(sde, score, x, ts, torch.zeros(4, 3, 2, dtype=torch.float64),
                                     torch.zeros(3, 1, 3, 2, dtype=torch.float64), 1e-3)


def test_verify_needs_spec_and_protocol():
    class Bare:
        def drift(self, x, t):
            return x

        def diffusion(self, x, t):
            return torch.ones(x.shape[0])

        def score(self, x, t):
            return -x

    with pytest.raises(TypeError, match="spec"):
        checks.verify(Bare(), data=GaussianMixture(*GAUSSIAN))
    with pytest.raises(TypeError, match="score"):
        checks.verify(object(), data=GaussianMixture(*GAUSSIAN))
    with pytest.raises(ValueError, match="properties"):
        checks.verify(candidate(), properties=["nope"])


@pytest.mark.theorem("sde.kfp", "sde.reverse_sde")
def test_old_order_sde_still_works_with_a_deprecation_warning():
    """An SDE whose diffusion/marginal take (t, x), the order of earlier releases: read from the
    parameter names, warned about, and verified like the new order."""

    class OldVP(VPSDE):
        def diffusion(self, t, x):
            return super().diffusion(x, t)

        def marginal(self, t, x):
            return super().marginal(x, t)

    with pytest.warns(DeprecationWarning) as record:
        cand = candidate(sde=OldVP(0.1, 20.0, 1.0))
    assert {str(w.message).split("(")[0] for w in record} == {"diffusion", "marginal"}
    report = checks.verify(cand, properties=["kfp", "reverse_sde"], max_examples=scaled(2))
    assert report.passed == ["kfp", "reverse_sde"]
