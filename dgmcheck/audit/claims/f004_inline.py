"""Claims of 004 (an earlier draft of 2025 lecture 14) stated outside display formulas.

See :mod:`dgmcheck.audit.claims.f001_inline` for the shape. 004's absorbing process: ``Q_t = (1 - beta_t) I +
beta_t e_m 1^T`` (004 "Absorbing Diffusion", line 74), mask state ``m``; its "Worst Course Overview" table closes
the file.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from dgmcheck.audit.claims.f001_inline import scoped, stated
from dgmcheck.audit.model import all_of, num_compare, num_equal, points
from dgmcheck.theory import discrete as dd
from dgmcheck.theory import latent as lat
from dgmcheck.theory import linear_gaussian as lg

_BETAS = [0.2, 0.3, 0.25, 0.4]
_K, _MASK = 4, 3
_QS = np.stack([dd.absorbing_matrix(b, _K, _MASK) for b in _BETAS])


def _unmasked_cases():
    # every x_0 != m, t: q(x_t = k | x_0) = 0 for k not in {x_0, m} (so x_t != m forces x_t = x_0); the posterior
    # (brute-force Bayes over paths) is a delta at x_0 when x_t = x_0 and lives on {m, x_0} when x_t = m
    cases = [{"t": t, "x0": x0} for t in range(1, len(_BETAS) + 1) for x0 in range(_K) if x0 != _MASK]

    def off_support(t, x0):
        p = dd.forward_probs(_QS, t, x0)
        return float(sum(p[k] for k in range(_K) if k not in (x0, _MASK)))
    forced = num_equal(off_support, lambda t, x0: 0.0, cases, what="q(x_t not in {x_0, m} | x_0)")

    def delta(t, x0):
        return dd.posterior_enumeration(_QS, t, x0, x0) if t >= 2 else np.eye(_K)[x0]
    clean = num_equal(delta, lambda t, x0: np.eye(_K)[x0], cases,
                      what="q(x_{t-1} | x_t = x_0, x_0) by enumeration vs the delta at x_0")
    masked_cases = [c for c in cases if c["t"] >= 2]
    binary = num_equal(lambda t, x0: float(sum(dd.posterior_enumeration(_QS, t, _MASK, x0)[[x0, _MASK]])),
                       lambda t, x0: 1.0, masked_cases, what="posterior mass on {m, x_0} when x_t = m")
    return all_of(forced, clean, binary)


_W = np.array([[1.0, 0.3], [-0.4, 0.8], [0.2, 0.5]])
_B = np.array([0.1, -0.2, 0.3])
_PSI = np.array([0.3, 0.5, 0.2])
_NOTE = ("Only the 'Efficient likelihood' cell is decided by computation; efficiency, sample quality, coverage and "
         "the latent-space columns describe practice, which no computation decides.")


def _gan_row():
    # n/a: a generator R^L -> R^D, L < D (here linear), pushes N(0, I) to a singular Gaussian: no density on R^D
    return num_compare(lambda: abs(float(np.linalg.det(_W @ _W.T))), "<", lambda: 1e-12, [{}],
                       what="det of the covariance W W^T of the generated law (D = 3, L = 2)")


def _vae_row():
    # ✗: what a VAE computes cheaply is the ELBO, strictly below log p(x) for an encoder q != p(z|x)
    x = np.array([0.4, -0.3, 1.1])
    return num_compare(lambda m1, m2: lat.lg_elbo(_W, _B, _PSI, x, np.array([m1, m2]), np.eye(2) * 0.5), "<",
                       lambda m1, m2: lat.lg_log_marginal(_W, _B, _PSI, x), points(4, seed=41, m1=(-1, 1), m2=(-1, 1)),
                       what="ELBO of an encoder q = N(m, 0.5 I) vs log p(x)")


def _flow_row():
    # ✓: change of variables gives the exact log-density of a linear flow x = A z + b
    A = np.array([[1.2, 0.3, 0.0], [-0.5, 0.9, 0.4], [0.2, 0.1, 0.7]])

    def by_flow(x1, x2, x3):
        z = np.linalg.solve(A, np.array([x1, x2, x3]) - _B)
        return float(stats.multivariate_normal.logpdf(z, np.zeros(3)) - np.log(abs(np.linalg.det(A))))
    return num_equal(by_flow, lambda x1, x2, x3: float(stats.multivariate_normal.logpdf([x1, x2, x3], _B, A @ A.T)),
                     points(4, seed=42, x1=(-2, 2), x2=(-2, 2), x3=(-2, 2)),
                     what="log p(x) by change of variables vs the exact Gaussian log-density")


def _diffusion_row():
    # ✗: the diffusion ELBO is strictly below log p_theta(x_0) for a reverse chain that is not the true reverse
    chain = lg.LinearReverseChain(np.array([0.9, 0.8, 0.85, 0.7]), np.zeros(4), np.full(4, 0.2))
    betas = np.array([0.1, 0.2, 0.3, 0.25])
    return num_compare(lambda x0: lg.elbo(chain, betas, np.array([x0])), "<",
                       lambda x0: lg.log_likelihood(chain, np.array([x0])), [{"x0": -1.0}, {"x0": 0.7}],
                       what="diffusion ELBO vs exact log p_theta(x_0)")


_ENTRIES = [
    (["004:175:i1", "004:175:i2", "004:176:i1"], stated(
        "004.inline.absorbing_posterior_cases", ["004:175:i1", "004:175:i2", "004:176:i1"], check=_unmasked_cases,
        theorem="discrete.absorbing_posterior",
        meaning="Per position: an unmasked x_t equals x_0 and the posterior is a delta at x_0; a masked x_t gives a "
                "posterior on {m, x_0}; checked by brute-force Bayes over paths of the absorbing chain.")),
    (["004:362:t"], stated("004.table.gan_row", ["004:362:t"], check=_gan_row, note=_NOTE,
                           meaning="GANs: likelihood n/a (no density).")),
    (["004:363:t"], stated("004.table.vae_row", ["004:363:t"], check=_vae_row, note=_NOTE,
                           meaning="VAEs: no efficient likelihood (only a bound, the ELBO).")),
    (["004:364:t"], stated("004.table.flow_row", ["004:364:t"], check=_flow_row, note=_NOTE,
                           meaning="Flows: efficient exact likelihood (change of variables).")),
    (["004:365:t"], stated("004.table.diffusion_row", ["004:365:t"], check=_diffusion_row,
                           theorem="ddpm.elbo_decomposition", note=_NOTE,
                           meaning="Diffusion: no efficient likelihood (only the ELBO).")),
]

CLAIMS, SCOPE = scoped(_ENTRIES, {
    "004:84:i1": "not_a_claim:declaration",
    "004:108:i1": "000.L14.absorbing_posterior",  # case condition of displays 004:112 (and 114)
    "004:118:i1": "000.L14.absorbing_posterior",  # case condition of displays 004:127/129 (and 137)
    "004:142:i1": "000.L14.absorbing_posterior",  # the 'stay masked' branch of display 004:139
    "004:161:p": "000.L13.ce_objective",          # the sentence introducing display 004:163
})
