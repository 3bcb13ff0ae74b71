"""The SDE checks on the reference implementation (impl/sde.py), each catching a planted bug, and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from dgmcheck.checks import sde as checks
from dgmcheck.checks._assert import assert_mean_matches
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl import sde as impl
from dgmcheck.impl.sde import VESDE, VPSDE
from dgmcheck.theory import sde as th
from tests import _sde_bugs as bugs

SDE_IDS = ("sde.moment_odes", "sde.ve_marginal", "sde.vp_marginal", "sde.ve", "sde.vp", "sde.continuous_dsm")
EXAMPLES = scaled(4)


def _verify(candidate, name, device, dtype, max_examples=EXAMPLES):
    return checks.verify(candidate, dtype=dtype, device=device, properties=[name], max_examples=max_examples)


def _caught(theorem, fn, *args, **kw):
    with pytest.raises(TheoremViolation) as info:
        fn(*args, **kw)
    assert info.value.theorem == theorem, str(info.value)
    return info.value


# ---------------------------------------------------------------------------------- marginals
@pytest.mark.theorem("sde.moment_odes")
@pytest.mark.parametrize("make", [VESDE, VPSDE, lambda: VESDE(0.5, 3.0, 2.0), lambda: VPSDE(1.0, 5.0, 0.5)])
def test_moment_odes(make, device, dtype):
    _verify(make(), "moment_odes", device, dtype)


@pytest.mark.theorem("sde.ve_marginal")
def test_ve_marginal(device, dtype):
    _verify(VESDE(), "ve_marginal", device, dtype)
    _verify(VESDE(0.1, 10.0, 3.0), "ve_marginal", device, dtype)


@pytest.mark.theorem("sde.vp_marginal")
def test_vp_marginal(device, dtype):
    _verify(VPSDE(), "vp_marginal", device, dtype)
    _verify(VPSDE(0.5, 0.5, 2.0), "vp_marginal", device, dtype)


@pytest.mark.planted_bug("sde.vp_marginal")
def test_vp_alpha_bar_for_sqrt_is_caught():
    _caught("sde.vp_marginal", checks.verify, bugs.VPAlphaBarForSqrt(), properties=["vp_marginal"], shrink=False)


@pytest.mark.planted_bug("sde.moment_odes")
def test_vp_alpha_bar_for_sqrt_breaks_the_moment_odes():
    _caught("sde.moment_odes", checks.verify, bugs.VPAlphaBarForSqrt(), properties=["moment_odes"], shrink=False)


@pytest.mark.planted_bug("sde.ve_marginal", "sde.moment_odes")
@pytest.mark.parametrize("bug", [bugs.VEWithoutSigmaMin, bugs.VESigmaForSigmaSquared])
def test_ve_variance_bugs_are_caught(bug):
    _caught("sde.ve_marginal", checks.verify, bug(), properties=["ve_marginal"], shrink=False)
    _caught("sde.moment_odes", checks.verify, bug(), properties=["moment_odes"], shrink=False)


@pytest.mark.planted_bug("sde.moment_odes", "sde.vp_marginal")
def test_wrong_diffusion_is_caught():
    """g = β instead of √β with the marginal unchanged: inconsistent with the moment ODEs."""
    _caught("sde.moment_odes", checks.verify, bugs.VPDiffusionBeta(), properties=["moment_odes"], shrink=False)
    _caught("sde.vp_marginal", checks.verify, bugs.VPDiffusionBeta(), properties=["vp_marginal"], shrink=False)


# ---------------------------------------------------------------------------------- chains
@pytest.mark.theorem("sde.ve")
def test_ncsn_chain(device, dtype):
    _verify(VESDE(), "ve_chain", device, dtype)
    _verify(VESDE(), "chain_rate", device, dtype)


@pytest.mark.theorem("sde.vp")
def test_ddpm_chain(device, dtype):
    _verify(VPSDE(), "vp_chain", device, dtype)
    _verify(VPSDE(), "chain_rate", device, dtype)


@pytest.mark.theorem("sde.vp", "sde.ve")
def test_chain_rates_measured():
    """DDPM chain: error O(1/N) (slope 1.00 measured); NCSN chain: exact at the grid points."""
    case = checks._fixed_case(torch.float64, "cpu")
    errs, _ = checks.chain_errors(VPSDE(), [160, 320, 640], case)
    assert abs(th.convergence_slope([1 / n for n in (160, 320, 640)], errs) - 1.0) < 0.05
    errs, _ = checks.chain_errors(VESDE(), [64, 256], case)
    assert max(errs) < 1e-10 * float(th.VE().marginal(1.0)[1])


@pytest.mark.planted_bug("sde.vp")
def test_ddpm_chain_without_dt_is_caught():
    _caught("sde.vp", checks.verify, bugs.DDPMChainWithoutDt(), properties=["vp_chain"], shrink=False)
    _caught("sde.vp", checks.verify, bugs.DDPMChainWithoutDt(), properties=["chain_rate"], shrink=False)


@pytest.mark.planted_bug("sde.ve")
def test_ncsn_chain_with_std_steps_is_caught():
    _caught("sde.ve", checks.verify, bugs.NCSNChainVarianceSteps(), properties=["ve_chain"], shrink=False)
    _caught("sde.ve", checks.verify, bugs.NCSNChainVarianceSteps(), properties=["chain_rate"], shrink=False)


# ---------------------------------------------------------------------------------- continuous DSM
@pytest.mark.theorem("sde.continuous_dsm")
@pytest.mark.parametrize("make", [VESDE, VPSDE])
def test_continuous_dsm(make, device, dtype):
    _verify(make(), "continuous_dsm", device, dtype, max_examples=scaled(3))


@pytest.mark.planted_bug("sde.continuous_dsm")
@pytest.mark.parametrize("bug", [bugs.DSMTargetOverStd, bugs.VEDSMTargetOverStd])
def test_dsm_target_over_std_is_caught(bug):
    _caught("sde.continuous_dsm", checks.verify, bug(), properties=["continuous_dsm"], shrink=False)


@pytest.mark.theorem("sde.continuous_dsm")
def test_dsm_weight_and_mean_over_t():
    """λ(t) = s(t)² (Song et al.) multiplies the per-sample loss; the batch mean over uniform t is the
    Monte Carlo estimate of E_t λ E||·||², here unbiased for the closed form at each t."""
    sde = VPSDE()
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(5, 2, generator=g, dtype=torch.float64)
    noise = torch.randn(5, 2, generator=g, dtype=torch.float64)
    t = torch.rand(5, generator=g, dtype=torch.float64) * 0.9 + 0.1

    def model(x, t):
        return -x

    plain = impl.continuous_dsm_loss(model, sde, x0, t, noise)
    weighted = impl.continuous_dsm_loss(model, sde, x0, t, noise, weight=lambda t: sde.marginal(x0, t)[1] ** 2)
    assert torch.allclose(weighted, plain * sde.marginal(x0, t)[1] ** 2, rtol=1e-14, atol=0)


# ---------------------------------------------------------------------------------- Wiener, EM
def _solvers(name, device, dtype, **kw):
    given = {"euler_maruyama": impl.euler_maruyama, "brownian_path": impl.brownian_path, **kw}
    return checks.verify_solvers(**given, dtype=dtype, device=device, properties=[name], max_examples=EXAMPLES)


@pytest.mark.theorem("sde.wiener")
def test_wiener(device, dtype):
    _solvers("wiener", device, dtype)


@pytest.mark.theorem("sde.wiener")
def test_wiener_sample_covariance_declared_rate():
    """E[w(s) w(t)] = min(s, t) on sampled paths (declared false-failure rate 1e-9, fixed seed)."""
    g = torch.Generator().manual_seed(1)
    ts = torch.tensor([0.0, 0.1, 0.35, 0.6, 1.0], dtype=torch.float64)
    w = impl.brownian_path(ts, torch.randn(4, 20000, 1, generator=g, dtype=torch.float64))[:, :, 0].numpy()
    for k, l in [(1, 3), (2, 4), (4, 4)]:
        assert_mean_matches(w[k] * w[l], min(float(ts[k]), float(ts[l])), theorem="sde.wiener",
                            slide=checks.SLIDES["sde.wiener"], what=f"E w(t_{k}) w(t_{l})")


@pytest.mark.planted_bug("sde.wiener")
@pytest.mark.parametrize("bug", [bugs.brownian_variance_steps, bugs.brownian_from_total_time])
def test_wiener_bugs_are_caught(bug):
    _caught("sde.wiener", checks.verify_solvers, brownian_path=bug, properties=["wiener"], shrink=False)


@pytest.mark.theorem("sde.euler_maruyama")
def test_euler_maruyama_exact(device, dtype):
    _solvers("euler_maruyama", device, dtype)


@pytest.mark.theorem("sde.euler_maruyama")
def test_euler_maruyama_orders(dtype):
    checks.verify_solvers(euler_maruyama=impl.euler_maruyama, dtype=dtype,
                          properties=["em_weak_order", "em_strong_order"])


@pytest.mark.theorem("sde.euler_maruyama", "sde.wiener")
def test_euler_maruyama_of_dw_is_the_brownian_path():
    ts = torch.linspace(1.0, 0.0, 7, dtype=torch.float64)
    z = torch.randn(6, 3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    path = impl.euler_maruyama(lambda x, t: torch.zeros_like(x), lambda x, t: torch.ones_like(t),
                               torch.zeros(3, 2, dtype=torch.float64), ts, z, return_path=True)
    assert torch.equal(path, impl.brownian_path(ts, z))


@pytest.mark.planted_bug("sde.euler_maruyama")
@pytest.mark.parametrize("bug", [bugs.em_noise_dt, bugs.em_drift_next_time])
def test_euler_maruyama_bugs_are_caught(bug):
    _caught("sde.euler_maruyama", checks.verify_solvers, euler_maruyama=bug, properties=["euler_maruyama"],
            shrink=False)


@pytest.mark.planted_bug("sde.euler_maruyama")
def test_noise_dt_breaks_the_weak_order():
    err = _caught("sde.euler_maruyama", checks.check_em_weak_order, bugs.em_noise_dt)
    assert "weak order" in str(err)


# ---------------------------------------------------------------------------------- the whole protocol
@pytest.mark.theorem(*SDE_IDS)
def test_verify_reports_every_property():
    for sde, na in ((VESDE(), {"vp_marginal", "subvp_marginal", "vp_chain"}),
                    (VPSDE(), {"ve_marginal", "subvp_marginal", "ve_chain"})):
        report = checks.verify(sde, max_examples=scaled(2))
        assert set(report.not_applicable) == na
        assert "passed" in report.summary()


@pytest.mark.theorem("sde.moment_odes")
def test_generic_linear_sde_is_verified():
    """An SDE that is neither VE nor VP (OU with a time-varying rate): only the moment ODEs apply."""

    class OU:
        T = 2.0

        def drift(self, x, t):
            return -(1.0 + t)[:, None] * x

        def diffusion(self, x, t):
            return torch.full_like(t, 0.7)

        def marginal(self, x, t):
            t = torch.as_tensor(t, dtype=x.dtype).expand(x.shape[0])
            F = -(t + t**2 / 2)
            v = 0.49 * torch.exp(2 * F) * torch.tensor(
                [th.moments_quadrature(lambda u: 0.0, lambda u: float(np.exp(2 * (u + u * u / 2))), float(s))[1]
                 for s in t], dtype=x.dtype)
            return torch.exp(F), v.sqrt()

    report = checks.verify(OU(), max_examples=scaled(3))
    assert report.passed == ["moment_odes"]


# ---------------------------------------------------------------------------------- bad input
def test_bad_input_names_the_argument():
    x = torch.zeros(3, 2, dtype=torch.float64)
    ts = torch.linspace(0, 1, 5, dtype=torch.float64)
    z = torch.zeros(4, 3, 2, dtype=torch.float64)
    sde = VPSDE()
    with pytest.raises(ValueError, match="sigma_min"):
        VESDE(sigma_min=0.0)
    with pytest.raises(ValueError, match="sigma_min"):
        VESDE(sigma_min=-1.0)
    with pytest.raises(ValueError, match="beta_min"):
        VPSDE(beta_min=0.0)
    with pytest.raises(ValueError, match="t must lie in"):
        sde.marginal(x, 1.5)
    with pytest.raises(ValueError, match="t must lie in"):
        VESDE().diffusion(x, -0.1)
    with pytest.raises(ValueError, match="ts must be strictly monotone"):
        impl.euler_maruyama(sde.drift, sde.diffusion, x, torch.tensor([0.0, 0.5, 0.4, 1.0]), torch.zeros(3, 3, 2,
                            dtype=torch.float64))
    with pytest.raises(ValueError, match="ts must be strictly monotone"):
        impl.euler_maruyama(sde.drift, sde.diffusion, x, torch.tensor([0.0, 0.5, 0.5, 1.0]), torch.zeros(3, 3, 2,
                            dtype=torch.float64))
    with pytest.raises(ValueError, match="ts must be a 1-D"):
        impl.euler_maruyama(sde.drift, sde.diffusion, x, torch.tensor([0.0]), torch.zeros(0, 3, 2))
    with pytest.raises(ValueError, match="noises must have shape"):
        impl.euler_maruyama(sde.drift, sde.diffusion, x, ts, torch.zeros(5, 3, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="noises must have shape"):
        impl.euler_maruyama(sde.drift, sde.diffusion, x, ts, torch.zeros(4, 3, 1, dtype=torch.float64))
    with pytest.raises(ValueError, match="t must lie in"):  # a grid leaving [0, T] reaches the SDE's check
        impl.euler_maruyama(sde.drift, sde.diffusion, x, ts + 0.5, z)
    with pytest.raises(ValueError, match="noises must have"):
        impl.brownian_path(ts, torch.zeros(3, 3, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="ts must be strictly monotone"):
        impl.brownian_path(torch.tensor([0.0, 1.0, 0.5]), torch.zeros(2, 3, 2))
    with pytest.raises(ValueError, match="N"):
        sde.chain_step(x, 1, x, 10)  # β_i = β(t_i)/10 >= 1 for β up to 20
    with pytest.raises(ValueError, match="i must be"):
        sde.chain_step(x, 0, x, 100)
    with pytest.raises(ValueError, match="noise must have"):
        sde.chain_step(x, 1, torch.zeros(3, 1, dtype=torch.float64), 100)
    with pytest.raises(ValueError, match="t must give a positive"):
        impl.continuous_dsm_loss(lambda x, t: x, sde, x, 0.0, x)
    with pytest.raises(ValueError, match="score_model must return"):
        impl.continuous_dsm_loss(lambda x, t: x[:, :1], sde, x, 0.5, x)
    with pytest.raises(ValueError, match="noise must have"):
        impl.continuous_dsm_loss(lambda x, t: x, sde, x, 0.5, x[:, :1])
    with pytest.raises(TypeError, match="x0"):
        impl.euler_maruyama(sde.drift, sde.diffusion, torch.zeros(3, 2, dtype=torch.long), ts, z)


# ---------------------------------------------------------------------------------- (x, t) order
class _OldOrderVP:
    """A VP SDE written in the (t, x) order of earlier releases (diffusion(t, x), marginal(t, x))."""

    beta_min, beta_max, T = 0.1, 20.0, 1.0

    def __init__(self):
        self.sde = VPSDE(self.beta_min, self.beta_max, self.T)

    def drift(self, x, t):
        return self.sde.drift(x, t)

    def diffusion(self, t, x):
        return self.sde.diffusion(x, t)

    def marginal(self, time, x):
        return self.sde.marginal(x, time)


@pytest.mark.theorem("sde.moment_odes", "sde.vp_marginal")
def test_old_order_candidate_passes_with_a_deprecation_warning():
    props = ["moment_odes", "vp_marginal"]
    with pytest.warns(DeprecationWarning) as record:
        report = checks.verify(_OldOrderVP(), properties=props, max_examples=scaled(2))
    assert report.passed == props
    messages = sorted(str(w.message).split("(")[0] for w in record if w.category is DeprecationWarning)
    assert messages == ["diffusion", "marginal"], messages  # one warning per old-order method
    assert all("(x, t)" in str(w.message) for w in record)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert checks.verify(VPSDE(), properties=props, max_examples=scaled(2)).passed == props


@pytest.mark.theorem("sde.euler_maruyama")
def test_old_order_solver_passes_with_a_deprecation_warning():
    def old_em(drift, diffusion, x0, ts, noises, *, return_path=False):  # calls diffusion(t, x)
        return impl.euler_maruyama(drift, lambda x, t: diffusion(t, x), x0, ts, noises, return_path=return_path)

    with pytest.warns(DeprecationWarning, match=r"diffusion\(x, t\)"):
        checks.verify_solvers(euler_maruyama=old_em, properties=["euler_maruyama"], max_examples=scaled(2))


# ---------------------------------------------------------------------------------- VE origin
class _ScoreVE(VESDE):
    """score-SDE's VE marginal: std σ(t), measured from σ_min (ve_origin=sigma_min)."""

    def marginal(self, x, t):
        s = self.sigma(x, t)
        return torch.ones_like(s), s

    dsm_loss = VESDE.dsm_loss


@pytest.mark.theorem("sde.ve_marginal", "sde.moment_odes", "sde.continuous_dsm", "sde.ve")
def test_ve_origin_sigma_min_declared_passes(dtype):
    props = ["moment_odes", "ve_marginal", "chain_rate", "continuous_dsm"]
    report = checks.verify(_ScoreVE(), properties=props, conventions="ve_origin=sigma_min", dtype=dtype,
                           max_examples=scaled(2))
    assert report.passed == props
    assert report.to_dict()["conventions"]["ve_origin"] == "sigma_min"
    # and the lecture's VE under the declaration is the one that fails
    with pytest.raises(TheoremViolation):
        checks.verify(VESDE(), properties=["ve_marginal"], conventions={"ve_origin": "sigma_min"}, shrink=False)


@pytest.mark.theorem("sde.ve_marginal", "sde.moment_odes")
def test_ve_origin_undeclared_fails_with_a_hint():
    report = checks.verify(_ScoreVE(), properties=["moment_odes", "ve_marginal"], shrink=False, max_examples=scaled(2),
                           raise_on_failure=False)
    assert report.failed == ["moment_odes", "ve_marginal"]
    for name in report.failed:
        assert "ve_origin='sigma_min'" in report.results[name].hint
        assert "σ_min²" in report.results[name].hint  # the bug it could also be


@pytest.mark.planted_bug("sde.ve_marginal")
@pytest.mark.parametrize("conv", [None, "ve_origin=sigma_min"])
def test_ve_std_squared_gets_no_hint(conv):
    class StdSquared(VESDE):
        def marginal(self, x, t):
            s = self.sigma(x, t)
            return torch.ones_like(s), s**2  # the variance where the std belongs

    with pytest.raises(TheoremViolation) as info:
        checks.verify(StdSquared(), properties=["ve_marginal"], conventions=conv, shrink=False, max_examples=scaled(2))
    assert info.value.theorem == "sde.ve_marginal"
    assert not info.value.report.results["ve_marginal"].hint


def test_time_direction_has_no_sde_meaning():
    with pytest.raises(ValueError, match="time_direction"):
        checks.verify(VPSDE(), conventions="time_direction=noise_to_data")


# ---------------------------------------------------------------------------------- sub-VP
@pytest.mark.theorem("sde.moment_odes")
@pytest.mark.planted_bug("sde.moment_odes")
def test_subvp_closed_form_and_its_bug():
    report = checks.verify(bugs.SubVPSDE(), max_examples=scaled(2))
    assert report.passed == ["moment_odes", "subvp_marginal"]
    with pytest.raises(TheoremViolation) as info:  # e^{-B} for e^{-2B} in the discount
        checks.verify(bugs.SubVPSDE(bug=True), properties=["subvp_marginal"], shrink=False, max_examples=scaled(2))
    assert info.value.theorem == "sde.moment_odes"
