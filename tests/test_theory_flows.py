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

EPS = np.finfo(np.float64).eps


def _affine_case(seed: int, m: int, *, planted_logdet_sign: float = 1.0):
    """(ours, scipy's, the bound, the inverse's error, its bound) for z = Wx + b at one drawn W.

    scipy evaluates the log-density through Σ = W⁻¹W⁻ᵀ, whose condition number is κ(W)²: forming Σ,
    its eigendecomposition and the quadratic form each lose up to γ_m·κ(Σ) (γ_m = m·eps, the dot
    products' length) relative to the terms' magnitude (1 + |log p|), so 16·m·eps·κ(W)²·(1 + |log p|)
    bounds the difference (a fixed 1e-9 failed at κ(W) = 1.3e4, where the two differ by 1.7e-7 with
    both right; over 12,000 drawn cases the largest difference was 0.46 of 16·eps·κ²·(1 + |log p|)).
    Solving Wx = z loses γ_m·κ(W) relative to |x|."""
    rng = np.random.default_rng(seed)
    W, b, x = rng.normal(size=(m, m)) + 2 * np.eye(m), rng.normal(size=m), rng.normal(size=(3, m))
    z, ld = th.linear_forward(W, x)
    ours = th.flow_log_density(z + b, planted_logdet_sign * ld)
    Winv = np.linalg.inv(W)
    ref = np.atleast_1d(stats.multivariate_normal(-Winv @ b, Winv @ Winv.T).logpdf(x))
    kappa = np.linalg.cond(W)
    bound = 16 * m * EPS * kappa**2 * (1 + np.abs(ref))
    inv_err = np.abs(th.linear_inverse(W, z) - x).max()
    inv_bound = 16 * m * EPS * kappa * np.linalg.norm(x, axis=-1).max()
    return ours, ref, bound, inv_err, inv_bound


@pytest.mark.theorem("change_of_variables.density", "flows.linear")
@settings(max_examples=scaled(20), deadline=None)
@given(seed=st.integers(0, 2**31 - 1), m=st.integers(1, 4))
def test_affine_flow_density_is_the_pushforward_gaussian(seed, m):
    """z = Wx + b, z ~ N(0, I)  ⇔  x ~ N(-W⁻¹b, (WᵀW)⁻¹)."""
    ours, ref, bound, inv_err, inv_bound = _affine_case(seed, m)
    assert (np.abs(ours - ref) <= bound).all(), (ours, ref, bound)
    assert inv_err <= inv_bound, (inv_err, inv_bound)


# seed 2582, m = 4: κ(W) = 1.3e4 (drawn under dev seed 9029), where a fixed 1e-9 failed with both right
@pytest.mark.theorem("change_of_variables.density", "flows.linear")
def test_affine_bound_holds_at_an_ill_conditioned_w_and_still_sees_a_log_det_sign():
    ours, ref, bound, inv_err, inv_bound = _affine_case(2582, 4)
    assert np.abs(ours - ref).max() > 1e-9  # the case that needs the conditioning in its bound
    assert (np.abs(ours - ref) <= bound).all() and inv_err <= inv_bound
    assert bound.max() < 1e-4  # still a tight bound at κ(W) = 1.3e4
    wrong, ref, bound, _, _ = _affine_case(2582, 4, planted_logdet_sign=-1.0)
    assert (np.abs(wrong - ref) > bound).all()


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
