"""torchsde's sdeint on dgmcheck's VE/VP SDEs, held to the exact marginals (torchsde 0.2.6, measured).

- ``sdeint(method="euler")`` on VP(0.1, 5) to t = 0.5 (dt = 0.01), VP(0.1, 20) to t = 0.3 (dt = 0.005)
  and VE(0.1, 1) to t = 0.5 (dt = 0.005), 1000 draws of Gaussian data N(0.7, 0.3): every z-score
  against the exact Euler–Maruyama law and the exact SDE marginal lies in [-0.3, 0.6] (threshold 6.11
  for the declared false-failure rate 1e-9); the discretization gap is below 0.1 standard errors.
- A planted wrong diffusion is caught by the second moment: β for √β (VP, z = 16), g² for g (VE, z = 23).
"""

from __future__ import annotations

import pytest

pytest.importorskip("torchsde")

import torch

from dgmcheck.adapters.torchsde import FromTorchSDE, check_sdeint_marginal
from dgmcheck.checks import sde as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl.sde import VESDE, VPSDE

pytestmark = [pytest.mark.adapters]


@pytest.mark.theorem("sde.vp_marginal")
@pytest.mark.parametrize("sde,t1,dt", [(VPSDE(0.1, 5.0), 0.5, 1e-2), (VPSDE(0.1, 20.0), 0.3, 5e-3)])
def test_sdeint_reproduces_vp_marginal(sde, t1, dt):
    stats = check_sdeint_marginal(sde, t1=t1, dt=dt, seed=0)
    assert max(stats["gap_in_stderr"]) < 0.1


@pytest.mark.theorem("sde.ve_marginal")
def test_sdeint_reproduces_ve_marginal():
    stats = check_sdeint_marginal(VESDE(0.1, 1.0), t1=0.5, dt=5e-3, seed=1)
    assert max(stats["gap_in_stderr"]) < 0.1


@pytest.mark.theorem("sde.vp_marginal")
def test_sdeint_float32():
    check_sdeint_marginal(VPSDE(0.1, 5.0), t1=0.5, dt=1e-2, seed=2, dtype=torch.float32)


class _VPBetaDiffusion(VPSDE):
    def diffusion(self, x, t):
        return self.beta(x, t)  # β where √β belongs


class _VESquaredDiffusion(VESDE):
    def diffusion(self, x, t):
        return super().diffusion(x, t) ** 2  # g² where g belongs


@pytest.mark.planted_bug("sde.vp_marginal")
def test_wrong_vp_diffusion_is_caught():
    with pytest.raises(TheoremViolation) as info:
        check_sdeint_marginal(_VPBetaDiffusion(0.1, 20.0), t1=0.3, dt=5e-3, seed=0)  # z = 16 measured
    assert info.value.theorem == "sde.vp_marginal"


@pytest.mark.planted_bug("sde.ve_marginal")
def test_wrong_ve_diffusion_is_caught():
    with pytest.raises(TheoremViolation) as info:
        check_sdeint_marginal(_VESquaredDiffusion(0.1, 5.0), t1=1.0, dt=1e-2, seed=1)  # z = 23 measured
    assert info.value.theorem == "sde.ve_marginal"


class _TorchsdeVP(torch.nn.Module):
    """A user's VP SDE written for torchsde (f(t, y), g(t, y), diagonal noise)."""

    noise_type, sde_type = "diagonal", "ito"

    def __init__(self, beta_min=0.1, beta_max=20.0, bug=False):
        super().__init__()
        self.b0, self.b1, self.bug = beta_min, beta_max, bug

    def beta(self, t):
        return self.b0 + t * (self.b1 - self.b0)

    def f(self, t, y):
        return -0.5 * self.beta(t) * y

    def g(self, t, y):
        b = self.beta(t)
        return (b if self.bug else b.sqrt()) * torch.ones_like(y)


@pytest.mark.theorem("sde.vp_marginal", "sde.moment_odes")
def test_a_torchsde_sde_is_verified_by_the_protocol():
    cand = FromTorchSDE(_TorchsdeVP(), marginal=VPSDE().marginal, beta_min=0.1, beta_max=20.0, T=1.0)
    report = checks.verify(cand, properties=["moment_odes", "vp_marginal"], max_examples=scaled(3))
    assert report.passed == ["moment_odes", "vp_marginal"]


@pytest.mark.planted_bug("sde.vp_marginal", "sde.moment_odes")
def test_a_torchsde_sde_with_wrong_diffusion_is_caught():
    cand = FromTorchSDE(_TorchsdeVP(bug=True), marginal=VPSDE().marginal, beta_min=0.1, beta_max=20.0, T=1.0)
    for prop, theorem in (("moment_odes", "sde.moment_odes"), ("vp_marginal", "sde.vp_marginal")):
        with pytest.raises(TheoremViolation) as info:
            checks.verify(cand, properties=[prop], shrink=False)
        assert info.value.theorem == theorem
