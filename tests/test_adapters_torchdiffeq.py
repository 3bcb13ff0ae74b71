"""torchdiffeq's odeint (dopri5, float64, rtol = atol = 1e-10) on the PF-ODE of a 2-D Gaussian mixture.

Measured (torchdiffeq 0.2.5): the pushforward of p_T (VP T = 1 → ε = 1e-3; VE σ_max = 5) has the exact
mean and covariance of p_ε to < 1e-7 with 24 Gauss–Hermite nodes per axis; a PF-ODE drift without the ½
on g²·score is caught.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torchdiffeq")

from dgmcheck.adapters.torchdiffeq import MOMENT_TOL, check_transport
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.impl import samplers
from dgmcheck.impl.sde import VESDE, VPSDE
from dgmcheck.theory.gaussian_mixture import GaussianMixture

pytestmark = [pytest.mark.adapters]

MIX = GaussianMixture(np.array([0.4, 0.6]), np.array([[-0.6, 0.3], [0.5, -0.2]]),
                      np.stack([np.diag([0.5, 0.6]), np.array([[0.6, 0.1], [0.1, 0.5]])]))


@pytest.mark.theorem("sde.probability_flow_ode")
@pytest.mark.parametrize("sde", [VPSDE(0.1, 20.0, 1.0), pytest.param(VESDE(0.01, 5.0, 1.0), marks=pytest.mark.slow)],
                         ids=["vp", "ve"])
def test_odeint_pf_ode_transports_prior_to_exact_moments(sde):
    errors = check_transport(sde, MIX)
    assert max(errors.values()) <= MOMENT_TOL


def pf_drift_missing_half(sde, score, x, t):
    """``f - g² s`` where ``f - ½ g² s`` belongs (the reverse-SDE drift used as the PF-ODE)."""
    return samplers.reverse_drift(sde, score, x, t)


@pytest.mark.planted_bug("sde.probability_flow_ode")
def test_missing_half_is_caught():
    with pytest.raises(TheoremViolation) as info:
        check_transport(VPSDE(0.1, 20.0, 1.0), MIX, n_nodes=8, drift=pf_drift_missing_half)
    assert info.value.theorem == "sde.probability_flow_ode"
