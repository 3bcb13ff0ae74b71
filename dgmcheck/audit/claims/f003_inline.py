"""Claims of 003 (2025 lecture 9 with its build-up slides) stated outside display formulas, and their repeats in 000.

See :mod:`dgmcheck.audit.claims.f001_inline` for the shape. 003 repeats most of 000 L9 word for word; those
statements have their first place (and id) in 000. Here: the generalised Gaussian forward kernel of
003 "DDPM vs NCSN: Summary" and the Picard note of 003 "Theorem (Picard)".
"""

from __future__ import annotations

import numpy as np

from dgmcheck.audit.claims.f001_inline import scoped, stated
from dgmcheck.audit.model import all_of, num_compare, num_equal
from dgmcheck.theory import ddpm, ode, sde

_BETAS = np.array([0.1, 0.2, 0.3, 0.25])
_SIGMAS = np.array([0.01, 0.1, 0.5, 1.0, 5.0])


def _generalised_kernel():
    # q(x_t | x_0) = N(alpha_t x_0, sigma_t^2 I) holds DDPM (alpha_t = sqrt(abar_t), sigma_t^2 = 1 - abar_t; the
    # DDPM chain's moments) and NCSN (alpha_t = 1, sigma_t^2 = sigma_i^2 - sigma_0^2; the NCSN chain's moments)
    a, v = sde.ddpm_chain_moments(_BETAS)
    ddpm_case = num_equal(lambda t: np.array([a[t], v[t]]), lambda t: np.array(ddpm.forward_marginal(_BETAS, t)),
                          [{"t": t} for t in range(1, len(_BETAS) + 1)],
                          what="DDPM chain (mean factor, variance) vs (sqrt(abar_t), 1 - abar_t)")
    na, nv = sde.ncsn_chain_moments(_SIGMAS)
    ncsn_case = num_equal(lambda i: np.array([na[i], nv[i]]),
                          lambda i: np.array([1.0, _SIGMAS[i] ** 2 - _SIGMAS[0] ** 2]),
                          [{"i": i} for i in range(len(_SIGMAS))],
                          what="NCSN chain (mean factor, variance) vs (1, sigma_i^2 - sigma_0^2)")
    return all_of(ddpm_case, ncsn_case)


def check_picard_non_invertible_field():
    # f(x) = A x with A singular is not invertible as a map, yet its flow x(0) -> x(1) is exp(A), a bijection:
    # det > 0 and integrating back from 1 to 0 returns x(0)
    A = np.array([[1.0, 2.0], [0.5, 1.0]])  # det A = 0
    singular = num_compare(lambda: abs(float(np.linalg.det(A))), "<", lambda: 1e-12, [{}], what="|det A| of the field")
    forward = ode.flow_matrix(A, 0.0, 1.0, 0.0, 1.0)
    backward = ode.flow_matrix(A, 0.0, 1.0, 1.0, 0.0)
    bijective = num_compare(lambda: float(np.linalg.det(forward)), ">", lambda: 0.0, [{}],
                            what="det of the flow map x(0) -> x(1)")
    inverse = num_equal(lambda: backward @ forward, lambda: np.eye(2), [{}],
                        what="flow back from t = 1 to 0 after the flow from 0 to 1 vs the identity")
    return all_of(singular, bijective, inverse)


_ENTRIES = [
    (["003:307:i1", "000:3238:i1"], stated(
        "003.inline.generalised_kernel", ["003:307:i1", "000:3238:i1"], check=_generalised_kernel,
        theorem="ddpm.forward_marginal",
        meaning="The kernel N(alpha_t x_0, sigma_t^2 I) generalises both forward processes of the summary slide: "
                "DDPM with alpha_t = sqrt(abar_t), sigma_t^2 = 1 - abar_t and NCSN with alpha_t = 1.",
        note="alpha_t here is the mean coefficient; in DDPM's own notation alpha_t = 1 - beta_t and the coefficient "
             "is sqrt(abar_t).")),
    (["003:1150:p", "000:3601:p"], stated(
        "003.inline.picard_field_not_invertible", ["003:1150:p", "000:3601:p"], check=check_picard_non_invertible_field,
        theorem="ode.picard_reversibility",
        meaning="Under Picard's conditions the flow map of dx/dt = f(x, t) is a bijection even when f itself is not "
                "invertible; checked with a linear field of singular matrix, whose flow map is exp(A).")),
    (["003:56:i1", "003:90:i1"], stated(
        "003.inline.reverse_variance_choice", ["003:56:i1", "003:90:i1"], kind="definition",
        meaning="The reverse model's covariance is fixed (to beta~_t I, or sigma_t^2 I).")),
]

CLAIMS, SCOPE = scoped(_ENTRIES, {})
