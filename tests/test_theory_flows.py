"""The flow oracles against independent answers: the affine pushforward Gaussian (scipy), the
coupling as an AR flow, the inverse-function identity on finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from dgmcheck.checks.profiles import scaled
from dgmcheck.theory import flows as th


@pytest.mark.theorem("change_of_variables.density", "flows.linear")
@settings(max_examples=scaled(20), deadline=None)
@given(seed=st.integers(0, 2**31 - 1), m=st.integers(1, 4))
def test_affine_flow_density_is_the_pushforward_gaussian(seed, m):
    """z = Wx + b, z ~ N(0, I)  ⇔  x ~ N(-W⁻¹b, (WᵀW)⁻¹)."""
    rng = np.random.default_rng(seed)
    W, b, x = rng.normal(size=(m, m)) + 2 * np.eye(m), rng.normal(size=m), rng.normal(size=(3, m))
    z, ld = th.linear_forward(W, x)
    ours = th.flow_log_density(z + b, ld)
    Winv = np.linalg.inv(W)
    ref = stats.multivariate_normal(-Winv @ b, Winv @ Winv.T).logpdf(x)
    np.testing.assert_allclose(ours, np.atleast_1d(ref), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(th.linear_inverse(W, z), x, rtol=1e-9, atol=1e-9)


def _cond(d, m, seed):
    rng = np.random.default_rng(seed)
    A, B = rng.normal(size=(m - d, d)), rng.normal(size=(m - d, d)) * 0.3
    return lambda x1: (np.tanh(A @ x1), 0.5 * np.tanh(B @ x1))


@pytest.mark.theorem("flows.realnvp", "flows.gaussian_ar", "change_of_variables.inverse_function")
@pytest.mark.parametrize(("d", "m"), [(1, 2), (2, 5), (3, 4)])
def test_coupling_is_an_ar_flow_and_inverts(d, m):
    cond = _cond(d, m, d * m)
    x = np.random.default_rng(0).normal(size=(4, m))
    z, ld = th.coupling_forward(x, d, cond)
    z_ar, ld_ar = th.gaussian_ar_forward(x, th.coupling_as_ar(d, cond))
    np.testing.assert_allclose(z_ar, z, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(ld_ar, ld, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(th.coupling_inverse(z, d, cond), x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(th.gaussian_ar_inverse(z, th.coupling_as_ar(d, cond)), x, rtol=1e-12, atol=1e-12)
    # log-det against the log|det| of a central-difference Jacobian (error O(h²) ≈ 1e-8)
    h = 1e-5
    for row, ldr in zip(x, ld, strict=True):
        fwd = lambda v: th.coupling_forward(v, d, cond)[0][0]  # noqa: E731
        J = np.stack([(fwd(row + h * e) - fwd(row - h * e)) / (2 * h) for e in np.eye(m)], axis=1)
        assert abs(th.log_abs_det(J) - ldr) < 1e-7
        np.testing.assert_allclose(th.inverse_jacobian(th.inverse_jacobian(J)), J, rtol=1e-10, atol=1e-10)


@pytest.mark.theorem("change_of_variables.density")
def test_normalization_1d_of_a_nonlinear_flow():
    """z = x + 0.5 tanh(2x), a monotone non-linear map: log p = log N(f(x)) + log f'(x) integrates to 1."""
    f = lambda x: x + 0.5 * np.tanh(2 * x)  # noqa: E731
    df = lambda x: 2 - np.tanh(2 * x) ** 2  # noqa: E731  (1 + sech² = 2 - tanh²)
    total = th.normalization_1d(lambda x: float(th.flow_log_density(np.array([f(x)]), np.log(df(x)))))
    assert abs(total - 1.0) < 1e-10
