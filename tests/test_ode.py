"""The ODE solver and continuity-equation checks on the reference implementation, planted bugs caught,
and bad input refused."""

from __future__ import annotations

import pytest
import torch

from dgmcheck.checks import ode as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl import ode
from tests import _ode_bugs as bugs

# Float32 and float64 for the exact (one-step, divergence, log-density) checks; the order and
# reversibility slopes always run in float64 (float32 rounding floors Heun's error), so once.
EXACT = ("euler_step", "heun_step", "divergence_exact", "hutchinson", "log_density")


def _verify(candidate, name, dtype=torch.float64, device="cpu", n=6, shrink=True):
    return checks.verify(candidate, dtype=dtype, device=device, properties=[name], max_examples=n, shrink=shrink)


@pytest.mark.theorem("ode.euler")
def test_euler_step(device, dtype):
    _verify(ode, "euler_step", dtype, device)


@pytest.mark.theorem("ode.heun")
def test_heun_step(device, dtype):
    _verify(ode, "heun_step", dtype, device)


@pytest.mark.theorem("ode.euler")
def test_euler_order():
    assert ode.euler.ORDER == 1
    _verify(ode, "euler_order")


@pytest.mark.theorem("ode.heun")
def test_heun_order():
    assert ode.heun.ORDER == 2
    _verify(ode, "heun_order")


@pytest.mark.theorem("ode.picard_reversibility")
@pytest.mark.parametrize("name", ["picard_euler", "picard_heun"])
def test_picard(name):
    _verify(ode, name, n=4)


@pytest.mark.theorem("ode.continuity_equation")
def test_divergence_exact(device, dtype):
    _verify(ode, "divergence_exact", dtype, device)


@pytest.mark.theorem("ode.continuity_equation")
def test_hutchinson(device, dtype):
    _verify(ode, "hutchinson", dtype, device)


@pytest.mark.theorem("ode.continuity_equation")
def test_log_density(device, dtype):
    _verify(ode, "log_density", dtype, device, n=3)


@pytest.mark.theorem("ode.euler", "ode.heun", "ode.picard_reversibility", "ode.continuity_equation")
def test_verify_all_reports():
    report = checks.verify(ode, max_examples=scaled(2))
    assert report.passed == list(checks.PROPERTY_NAMES)
    assert "dgmcheck verify ode" in report.summary()


def test_ode_hutchinson_sampled_probes_are_unbiased_in_mean():
    """Drawn probes (not enumerated): the estimate over many probes is near the trace (declared rate)."""
    from dgmcheck.checks._assert import assert_mean_matches

    W = torch.tensor([[0.5, 1.0, -0.3], [0.2, -0.4, 0.8], [-1.0, 0.3, 0.1]], dtype=torch.float64)
    x = torch.zeros(1, 3, dtype=torch.float64)
    probes = ode.draw_probes(400, x, kind="gaussian", generator=torch.Generator().manual_seed(1))
    vals = ode.hutchinson_divergence(lambda z, t: z @ W.T, x, 0.0, probes, reduce=False)
    assert_mean_matches(vals.numpy(), float(W.trace()), theorem="ode.continuity_equation", slide="",
                        what="Hutchinson with Gaussian probes")


# ------------------------------------------------------------------------------- planted bugs

def _caught(candidate, name, theorem, n=15):
    with pytest.raises(TheoremViolation) as err:
        _verify(candidate, name, n=n, shrink=False)
    assert err.value.theorem == theorem


@pytest.mark.planted_bug("ode.heun")
@pytest.mark.parametrize("name", ["heun_step", "heun_order"])
def test_heun_corrector_at_wrong_time_caught(name):
    _caught(bugs.HEUN_CORRECTOR_AT_START, name, "ode.heun")


@pytest.mark.planted_bug("ode.heun")
def test_heun_declaring_wrong_order_caught():
    _caught(bugs.HEUN_DECLARES_ORDER_ONE, "heun_order", "ode.heun", n=1)


@pytest.mark.planted_bug("ode.euler")
def test_euler_endpoint_velocity_caught():
    _caught(bugs.EULER_ENDPOINT_VELOCITY, "euler_step", "ode.euler")


@pytest.mark.planted_bug("ode.picard_reversibility")
def test_abs_step_not_reversible_caught():
    _caught(bugs.EULER_ABS_STEP, "picard_euler", "ode.picard_reversibility", n=3)


@pytest.mark.planted_bug("ode.continuity_equation")
def test_hutchinson_missing_probe_caught():
    _caught(bugs.HUTCHINSON_MISSING_PROBE, "hutchinson", "ode.continuity_equation")


@pytest.mark.planted_bug("ode.continuity_equation")
def test_divergence_of_all_jacobian_entries_caught():
    _caught(bugs.DIVERGENCE_ALL_ENTRIES, "divergence_exact", "ode.continuity_equation")


@pytest.mark.planted_bug("ode.continuity_equation")
def test_log_density_sign_flip_caught():
    _caught(bugs.LOG_DENSITY_PLUS_TRACE, "log_density", "ode.continuity_equation", n=3)


@pytest.mark.planted_bug("ode.continuity_equation")
@pytest.mark.parametrize(("bug", "name", "n"), [
    ("HUTCHINSON_AT_NEXT_TIME", "hutchinson", 15),  # seen on (α + βt)(Ax + b), whose Jacobian depends on t
    ("LOG_DENSITY_RESCALED_PATH", "log_density", 3),  # seen on the end point returned with log p
])
def test_continuity_equation_bugs_a_linear_trace_hides_are_caught(bug, name, n):
    _caught(getattr(bugs, bug), name, "ode.continuity_equation", n=n)


# --------------------------------------------------------------------------------- bad input

def _f(x, t):
    return -x


@pytest.mark.parametrize("ts", [[0.0], [0.0, 1.0, 0.5], [[0.0, 1.0]], [0.0, 0.0, 1.0], [0.0, float("nan")]])
@pytest.mark.parametrize("solver", [ode.euler, ode.heun])
def test_bad_time_grid_refused(solver, ts):
    with pytest.raises(ValueError, match="ts"):
        solver(_f, torch.zeros(2, 3), torch.tensor(ts))


def test_bad_inputs_named():
    x = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="n_steps"):
        ode.uniform_times(0.0, 1.0, 0, x)
    with pytest.raises(ValueError, match="n_steps"):
        ode.uniform_times(0.0, 1.0, -3, x)
    with pytest.raises(ValueError, match="f"):
        ode.euler(lambda z, t: z[:, :2], x, [0.0, 1.0])
    with pytest.raises(TypeError, match="x0"):
        ode.heun(_f, [[0.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="probes"):
        ode.hutchinson_divergence(_f, x, 0.0, torch.zeros(4, 2, 2))
    with pytest.raises(ValueError, match="log_p0"):
        ode.log_density_path(_f, x, torch.zeros(3), [0.0, 1.0])
    with pytest.raises(ValueError, match="divergence"):
        ode.log_density_path(_f, x, torch.zeros(2), [0.0, 1.0], divergence="trace")
    with pytest.raises(ValueError, match="kind"):
        ode.draw_probes(2, x, kind="uniform")


def test_path_shape_and_direction(dtype):
    x0 = torch.ones(3, 2, dtype=dtype)
    path = ode.heun(_f, x0, torch.linspace(1.0, 0.0, 5), return_path=True)
    assert path.shape == (5, 3, 2) and path.dtype == dtype
    assert torch.equal(path[0], x0) and bool((path[-1] > 1).all())  # backward in time: e^{+1} growth


@pytest.mark.theorem("ode.continuity_equation")
def test_hutchinson_float32_at_a_saturated_tanh():
    """Regression: at z = W x + c = 6 the float32 rounding of tanh² is absolute (~1e-7), i.e. relative
    e^{2|z|}/2 to the 7e-5 left in 1 - tanh²; a bound linear in |z| failed correct float32 code."""
    import numpy as np

    d = 2
    z2 = np.zeros((d, d))
    case = checks.ODECase(A=-np.eye(d), b=np.zeros(d), alpha=1.0, beta=0.0, t0=0.0, T=1.0,
                          x0=np.array([[2.0, 2.0], [2.0, -1.0]]), lam=0.0, u=np.zeros(d), W=3 * np.eye(d),
                          c=np.zeros(d), m=np.zeros(d), S=np.eye(d) + z2, steps=np.array([1.0]),
                          dtype=torch.float32, device="cpu")
    checks.check_hutchinson(ode, case)
    with pytest.raises(TheoremViolation):  # the rounding allowance does not hide a missing probe
        checks.check_hutchinson(bugs.HUTCHINSON_MISSING_PROBE, case)
