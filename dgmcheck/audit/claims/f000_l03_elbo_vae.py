"""000 Lecture 3: latent variable models, the ELBO (bound, decompositions, optimal q), amortized
inference, ELBO gradients and the reparametrization trick, the VAE, and the flow-as-VAE theorem.

Two exact models are used (registry oracles in dgmcheck.theory.latent): the linear-Gaussian model
p(z) = N(0, I_k), p(x|z) = N(W z + b, diag psi) with a Gaussian q = N(m, S) (every term in closed form,
expectations by Gauss-Hermite quadrature, exact for the quadratic integrands), and the discrete model
p(z) = pi on K states, p(x|z) = T[z, x] (every term by enumeration)."""

from __future__ import annotations

import numpy as np
from scipy import integrate, stats

from dgmcheck.audit.claims.f000_l02_flows import _marginal_integral
from dgmcheck.audit.model import Claim, all_of, num_compare, num_equal, points
from dgmcheck.theory import flows, latent, quadrature, tricks

_LOG2PI = float(np.log(2 * np.pi))
_GH_X, _GH_W = quadrature.normal_1d(40)


def _gh1(fn):
    """E_{eps ~ N(0,1)} fn(eps) by 40-node Gauss-Hermite quadrature (vectorized fn)."""
    return np.tensordot(_GH_W, np.asarray(fn(_GH_X), dtype=float), axes=(0, 0))


def _lg(rng, k=2, d=3):
    """A random linear-Gaussian model, an observation and a Gaussian q = N(m, S)."""
    L = np.tril(rng.normal(size=(k, k)) * 0.5) + np.eye(k) * rng.uniform(0.4, 1.2)
    return {"W": rng.normal(size=(d, k)), "b": rng.normal(size=d), "psi": rng.uniform(0.3, 1.5, size=d),
            "x": rng.normal(size=d) * 1.5, "m": rng.normal(size=k), "S": L @ L.T}


def _lg_points(n, seed, **kw):
    return [p["c"] for p in points(n, seed=seed, c=lambda r: _lg(r, **kw))]


def _disc(rng, K=4, V=3):
    return {"prior": rng.dirichlet(np.ones(K)), "lik": rng.dirichlet(np.ones(V), size=K),
            "x": int(rng.integers(0, V)), "q": rng.dirichlet(np.ones(K))}


def _disc_points(n, seed):
    return [p["c"] for p in points(n, seed=seed, c=_disc)]


# --------------------------------------------------------------------------- LVM and naive Monte Carlo
def _log_marginal_sum():
    # sum_i log p(x_i) = sum_i log int p(x_i|z_i) p(z_i) dz_i: quadrature per point vs the closed form
    data = [{"w": 1.3, "b": -0.2, "psi": 0.7, "x": v} for v in (-1.1, 0.4, 2.0)]

    def quad_sum():
        total = 0.0
        for p in data:
            v, _ = integrate.quad(lambda z, p=p: np.exp(-0.5 * (p["x"] - p["w"] * z - p["b"]) ** 2 / p["psi"]
                                                        - 0.5 * z * z) / (2 * np.pi * np.sqrt(p["psi"])),
                                  -np.inf, np.inf, epsabs=0, epsrel=1e-12)
            total += np.log(v)
        return total

    closed = sum(latent.lg_log_marginal(np.array([[p["w"]]]), np.array([p["b"]]), np.array([p["psi"]]),
                                        np.array([p["x"]])) for p in data)
    return all_of(_marginal_integral(),
                  num_equal(quad_sum, lambda: closed, [{}], what="sum over 3 points of log int p(x_i|z) p(z) dz"))


def _naive_mc():
    # log p(x) = log E_{p(z)} p(x|z)  >=  E_{p(z)} log p(x|z)  ≈  (1/K) sum_k log p(x|z_k) (unbiased), 1-D latent
    pts = _lg_points(8, 51, k=1)

    def log_e_lik(W, b, psi, x, m, S):  # log E_{p(z)} p(x|z) by adaptive quadrature over z
        def f(z):
            return np.exp(latent.gaussian_logpdf(x, W[:, 0] * z + b, np.diag(psi)) - 0.5 * z * z - 0.5 * _LOG2PI)

        return float(np.log(integrate.quad(f, -np.inf, np.inf, epsabs=0, epsrel=1e-12, limit=200)[0]))

    def e_log_lik(W, b, psi, x, m, S):  # closed form of E_{p(z)} log p(x|z) (q = prior)
        return latent.lg_recon(W, b, psi, x, np.zeros(1), np.eye(1))

    def mc_expectation(W, b, psi, x, m, S):  # E over (z_1, z_2) i.i.d. p(z) of (1/2) sum_k log p(x|z_k)
        return float(latent.gauss_hermite_expectation(
            lambda e: np.array([0.5 * sum(latent.gaussian_logpdf(x, W[:, 0] * zk + b, np.diag(psi)) for zk in row)
                                for row in e]), 2, 3))

    def log_p(W, b, psi, x, m, S):
        return latent.lg_log_marginal(W, b, psi, x)

    # Jensen on the K-point law of z_k = Phi^{-1}((k - 1/2)/K) (equal weights): the registry oracle tricks.log_mean_exp
    # of a_k = log p(x|z_k) is >= the slide's (1/K) sum_k log p(x|z_k)
    z_k = stats.norm.ppf((np.arange(16) + 0.5) / 16)

    def log_liks(W, b, psi, x):
        return np.array([latent.gaussian_logpdf(x, W[:, 0] * z + b, np.diag(psi)) for z in z_k])

    jensen = num_compare(lambda W, b, psi, x, m, S: tricks.log_mean_exp(log_liks(W, b, psi, x)), ">=",
                         lambda W, b, psi, x, m, S: float(np.mean(log_liks(W, b, psi, x))), pts,
                         what="log (1/K) sum_k p(x|z_k) (tricks.log_mean_exp) >= (1/K) sum_k log p(x|z_k), K = 16")
    return all_of(num_equal(log_e_lik, log_p, pts, rtol=1e-7, what="log E_{p(z)} p(x|z) = log p(x)"),
                  num_compare(log_p, ">=", e_log_lik, pts, what="log p(x) >= E_{p(z)} log p(x|z)"),
                  jensen,
                  num_equal(mc_expectation, e_log_lik, pts,
                            what="E[(1/K) sum_k log p(x|z_k)] = E_{p(z)} log p(x|z), K = 2 (unbiased)"))


# --------------------------------------------------------------------------- ELBO
def _elbo_jensen_chain():
    pts = _lg_points(8, 52, k=1)

    def log_e_ratio(W, b, psi, x, m, S):  # log E_q[p(x,z)/q(z)] by quadrature of int p(x, z) dz (q cancels)
        s = np.sqrt(S[0, 0])

        def ratio(z):
            lj = latent.gaussian_logpdf(x, W[:, 0] * z + b, np.diag(psi)) - 0.5 * z * z - 0.5 * _LOG2PI
            lq = -0.5 * ((z - m[0]) / s) ** 2 - np.log(s) - 0.5 * _LOG2PI
            return np.exp(lj) if lq < -600 else np.exp(lq) * np.exp(lj - lq)

        v, _ = integrate.quad(ratio, -np.inf, np.inf, epsabs=0, epsrel=1e-12)
        return float(np.log(v))

    def log_p(W, b, psi, x, m, S):
        return latent.lg_log_marginal(W, b, psi, x)

    def elbo_quad(W, b, psi, x, m, S):
        return latent.lg_elbo_quadrature(W, b, psi, x, m, S)

    return all_of(num_equal(log_e_ratio, log_p, pts, what="log p(x) = log E_q[p(x,z)/q(z)] (quadrature)"),
                  num_compare(log_p, ">=", elbo_quad, pts, what="log E_q[p/q] >= E_q log(p/q) (Jensen)"),
                  num_equal(elbo_quad, lambda **c: latent.lg_elbo(**c), pts,
                            what="E_q log p(x,z)/q(z) (quadrature) = L (closed form)"))


def _elbo_bound():
    lg = num_compare(lambda **c: latent.lg_elbo(**c), "<=",
                     lambda W, b, psi, x, m, S: latent.lg_log_marginal(W, b, psi, x),
                     _lg_points(20, 53), what="linear-Gaussian: L(q) <= log p(x) for random Gaussian q")
    disc = num_compare(lambda prior, lik, x, q: latent.disc_elbo(prior, lik, x, q), "<=",
                       lambda prior, lik, x, q: latent.disc_log_marginal(prior, lik, x), _disc_points(30, 54),
                       what="discrete: L(q) <= log p(x) for random categorical q")
    return all_of(lg, disc)


def _posterior_def():
    def lhs(W, b, psi, x, m, S):
        mean, cov = latent.lg_posterior(W, b, psi, x)
        return latent.gaussian_logpdf(m, mean, cov)  # the posterior density at the point z = m

    def rhs(W, b, psi, x, m, S):
        joint = latent.gaussian_logpdf(x, W @ m + b, np.diag(psi)) + latent.gaussian_logpdf(m, np.zeros(2), np.eye(2))
        return joint - latent.lg_log_marginal(W, b, psi, x)

    return num_equal(lhs, rhs, _lg_points(10, 55), what="log p(z|x) (conjugate closed form) = log p(x,z) - log p(x)")


def _elbo_decomposition():
    def lg_lhs(W, b, psi, x, m, S):
        return latent.lg_elbo(W, b, psi, x, m, S)

    def lg_rhs(W, b, psi, x, m, S):
        mean, cov = latent.lg_posterior(W, b, psi, x)
        return latent.lg_log_marginal(W, b, psi, x) - latent.gaussian_kl(m, S, mean, cov)

    def d_rhs(prior, lik, x, q):
        return latent.disc_log_marginal(prior, lik, x) - latent.categorical_kl(q, latent.disc_posterior(prior, lik, x))

    def kl_post(prior, lik, x, q):
        return latent.categorical_kl(q, latent.disc_posterior(prior, lik, x))

    return all_of(num_equal(lg_lhs, lg_rhs, _lg_points(15, 56), what="linear-Gaussian: L = log p(x) - KL(q || p(z|x))"),
                  num_equal(lambda prior, lik, x, q: latent.disc_elbo(prior, lik, x, q), d_rhs, _disc_points(20, 57),
                            what="discrete: L = log p(x) - KL(q || p(z|x))"),
                  num_compare(kl_post, ">=", lambda **c: 0.0, _disc_points(20, 57), what="KL(q || p(z|x)) >= 0"))


def _recon_minus_kl():
    def lg_lhs(W, b, psi, x, m, S):
        return latent.lg_elbo_quadrature(W, b, psi, x, m, S)  # int q log p(x,z)/q(z) dz, by quadrature

    def lg_rhs(W, b, psi, x, m, S):
        return latent.lg_recon(W, b, psi, x, m, S) - latent.lg_kl_prior(m, S)

    def d_rhs(prior, lik, x, q):
        return latent.disc_recon(lik, x, q) - latent.categorical_kl(q, prior)

    return all_of(num_equal(lg_lhs, lg_rhs, _lg_points(10, 58),
                            what="linear-Gaussian: E_q log p(x,z)/q (quadrature) = E_q log p(x|z) - KL(q || p(z))"),
                  num_equal(lambda prior, lik, x, q: latent.disc_elbo(prior, lik, x, q), d_rhs, _disc_points(20, 59),
                            what="discrete: sum_z q log p(x,z)/q = sum_z q log p(x|z) - KL(q || p(z))"))


def _loglik_decomposition():
    def lhs(W, b, psi, x, m, S):
        return latent.lg_log_marginal(W, b, psi, x)

    def rhs(W, b, psi, x, m, S):
        mean, cov = latent.lg_posterior(W, b, psi, x)
        return (latent.lg_recon(W, b, psi, x, m, S) - latent.lg_kl_prior(m, S)
                + latent.gaussian_kl(m, S, mean, cov))

    return all_of(_elbo_decomposition(),
                  num_equal(lhs, rhs, _lg_points(15, 60), what="log p = E_q log p(x|z) - KL(q||p(z)) + KL(q||p(z|x))"))


def _optimal_q():
    # L at the posterior equals log p(x); every other q gives a strictly smaller L
    def at_post(prior, lik, x, q):
        return latent.disc_elbo(prior, lik, x, latent.disc_posterior(prior, lik, x))

    def lg_at_post(W, b, psi, x, m, S):
        mean, cov = latent.lg_posterior(W, b, psi, x)
        return latent.lg_elbo(W, b, psi, x, mean, cov)

    dpts = _disc_points(20, 61)
    return all_of(
        num_equal(at_post, lambda prior, lik, x, q: latent.disc_log_marginal(prior, lik, x), dpts,
                  what="discrete: L(p(z|x)) = log p(x)"),
        num_compare(lambda prior, lik, x, q: latent.disc_elbo(prior, lik, x, q), "<", at_post, dpts,
                    what="discrete: L(q) < L(p(z|x)) for random q"),
        num_equal(lg_at_post, lambda W, b, psi, x, m, S: latent.lg_log_marginal(W, b, psi, x), _lg_points(10, 62),
                  what="linear-Gaussian: L(p(z|x)) = log p(x)"))


def _elbo_instead_of_likelihood():
    # max_q L_{q,theta}(x) = log p_theta(x) for every theta, so max over (q, theta) of L = max_theta log p_theta(x):
    # the theta maximizing the profiled ELBO on a grid is the MLE on that grid (1-D linear-Gaussian model, theta = w)
    b, psi, x = np.array([0.1]), np.array([0.5]), np.array([1.7])
    grid = np.linspace(-3, 3, 121)

    def profiled(w):
        W = np.array([[w]])
        mean, cov = latent.lg_posterior(W, b, psi, x)
        return latent.lg_elbo(W, b, psi, x, mean, cov)

    prof = np.array([profiled(w) for w in grid])
    ll = np.array([latent.lg_log_marginal(np.array([[w]]), b, psi, x) for w in grid])
    return all_of(_optimal_q(),
                  num_equal(lambda: prof, lambda: ll, [{}], what="max_q L(q, w) = log p_w(x) on a w grid"),
                  num_equal(lambda: float(grid[np.argmax(prof)]), lambda: float(grid[np.argmax(ll)]), [{}],
                            what="argmax_w max_q L = argmax_w log p_w(x)"))


def _argmax_equivalence():
    # L(q) + KL(q || p(z|x)) does not depend on q: the orderings of L and of -KL over q coincide
    return num_equal(lambda prior, lik, x, q: latent.disc_elbo(prior, lik, x, q)
                     + latent.categorical_kl(q, latent.disc_posterior(prior, lik, x)),
                     lambda prior, lik, x, q: latent.disc_log_marginal(prior, lik, x), _disc_points(30, 63),
                     what="L(q) + KL(q || p(z|x)) = log p(x), the same for every q")


# --------------------------------------------------------------------------- gradient ascent
def _elbo_1d(phi, theta, x=1.3):
    """Closed-form ELBO of p(z) = N(0,1), p(x|z) = N(w z + b, 0.5), q = N(mu, e^{2 log_s}); phi = (mu, log_s),
    theta = (w, b)."""
    W, b = np.array([[theta[0]]]), np.array([theta[1]])
    return latent.lg_elbo(W, b, np.array([0.5]), np.array([x]), np.array([phi[0]]), np.array([[np.exp(2 * phi[1])]]))


def _grad(f, v, h=1e-5):
    v = np.asarray(v, dtype=float)
    return np.array([(f(v + h * e) - f(v - h * e)) / (2 * h) for e in np.eye(len(v))])


def _gradient_step():
    eta = 1e-2

    def step(phi, theta):
        gphi = _grad(lambda p: _elbo_1d(p, theta), phi)
        gth = _grad(lambda t: _elbo_1d(phi, t), theta)
        return phi + eta * gphi, theta + eta * gth

    def after(phi, theta):
        p, t = step(phi, theta)
        return _elbo_1d(p, t)

    pts = points(10, seed=64, phi=lambda r: r.normal(size=2) * 0.7, theta=lambda r: r.normal(size=2))
    return num_compare(after, ">", lambda phi, theta: _elbo_1d(phi, theta), pts,
                       what="L after one step (phi, theta) += eta grad L, eta = 1e-2 (ascent on the ELBO)")


def _theta_gradient():
    # grad_theta L (the KL term has no theta) = E_q grad_theta log p_theta(x|z): central differences of the
    # closed-form ELBO vs Gauss-Hermite expectation of the analytic score of p(x|z) = N(w z + b, 0.5)
    def lhs(phi, theta):
        return _grad(lambda t: _elbo_1d(phi, t), theta)

    def rhs(phi, theta):
        mu, s = phi[0], np.exp(phi[1])
        w, b, x = theta[0], theta[1], 1.3

        def score(e):
            z = mu + s * e
            r = (x - w * z - b) / 0.5
            return np.stack([r * z, r], -1)

        return _gh1(score)

    pts = points(10, seed=65, phi=lambda r: r.normal(size=2) * 0.7, theta=lambda r: r.normal(size=2))
    return num_equal(lhs, rhs, pts, rtol=1e-6, atol=1e-8,
                     what="grad_theta L = int q grad_theta log p(x|z) dz; the one-sample estimator has this mean")


def _phi_gradient_not_naive():
    # grad_phi L = grad_phi recon - grad_phi KL (linearity), but the naive int q grad_phi log p_theta(x|z) dz is 0
    # (log p_theta(x|z) has no phi), so the naive right-hand side is -grad_phi KL only: different in general
    theta = np.array([1.4, -0.3])

    def recon(phi):
        W, b = np.array([[theta[0]]]), np.array([theta[1]])
        return latent.lg_recon(W, b, np.array([0.5]), np.array([1.3]), np.array([phi[0]]),
                               np.array([[np.exp(2 * phi[1])]]))

    def kl(phi):
        return latent.lg_kl_prior(np.array([phi[0]]), np.array([[np.exp(2 * phi[1])]]))

    pts = points(6, seed=66, phi=lambda r: r.normal(size=2) * 0.7)
    linear = num_equal(lambda phi: _grad(lambda p: _elbo_1d(p, theta), phi),
                       lambda phi: _grad(recon, phi) - _grad(kl, phi), pts, rtol=1e-6, atol=1e-8,
                       what="grad_phi L = grad_phi int q log p(x|z) - grad_phi KL")
    def gap(phi):
        return float(np.abs(_grad(lambda p: _elbo_1d(p, theta), phi) - (0.0 - _grad(kl, phi))).max())

    differ = num_compare(gap, ">", lambda phi: 1e-3, pts,
                         what="|grad_phi L - (0 - grad_phi KL)| > 0 (the naive form is wrong)")
    return all_of(linear, differ)


def _phi_gradient_linearity():
    return _phi_gradient_not_naive()


# --------------------------------------------------------------------------- reparametrization
def _reparam_expectation():
    # E_{N(mu, s^2)} f(z) (quadrature against the density) = E_eps f(s eps + mu) (Gauss-Hermite), f = cos, exp(a z)
    def lhs(mu, s, a):
        def f(z):
            return np.exp(-0.5 * ((z - mu) / s) ** 2) / (s * np.sqrt(2 * np.pi)) * (np.cos(z) + np.exp(a * z))

        v, _ = integrate.quad(f, mu - 30 * s, mu + 30 * s, epsabs=0, epsrel=1e-12, limit=200)
        return v

    def rhs(mu, s, a):  # E_eps f(g(eps)) by the registry oracle's Gauss-Hermite rule (vae.reparametrization)
        return float(latent.gauss_hermite_expectation(
            lambda e: np.cos(s * e[:, 0] + mu) + np.exp(a * (s * e[:, 0] + mu)), 1, 40))

    def closed(mu, s, a):
        return float(np.cos(mu) * np.exp(-s * s / 2) + np.exp(a * mu + a * a * s * s / 2))

    pts = points(6, seed=67, mu=(-1, 1), s=(0.3, 1.5), a=(-1, 1))
    return all_of(num_equal(lhs, rhs, pts, what="E_q f(z) = E_eps f(g(eps))"),
                  num_equal(rhs, closed, pts, what="vs closed form cos(mu) e^{-s^2/2} + e^{a mu + a^2 s^2/2}"))


def _reparam_gradient():
    # grad_{mu, s} E_q cos z (analytic) = E_eps grad_{mu, s} cos(s eps + mu) (Gauss-Hermite); and the registry
    # oracle's exact gradient for a quadratic f against the pathwise average
    def lhs(mu, s):
        return np.array([-np.sin(mu) * np.exp(-s * s / 2), -s * np.cos(mu) * np.exp(-s * s / 2)])

    def rhs(mu, s):
        return _gh1(lambda e: np.stack([-np.sin(s * e + mu), -np.sin(s * e + mu) * e], -1))

    cosine = num_equal(lhs, rhs, points(6, seed=68, mu=(-1, 1), s=(0.3, 1.5)),
                       what="grad E_q cos z = E_eps grad cos(sigma eps + mu)")
    rng = np.random.default_rng(69)
    a, B = rng.normal(size=2), rng.normal(size=(2, 2))
    mu, lv = rng.normal(size=2), rng.normal(size=2) * 0.3

    def pathwise():
        s = np.exp(lv / 2)

        def g(eps):  # gradient of f(s*eps + mu) wrt mu and wrt log-variance lv (dz/dlv = s*eps/2)
            z = eps * s + mu
            gz = a + z @ (B + B.T)
            return np.concatenate([gz, gz * eps * s / 2], -1)

        return latent.gauss_hermite_expectation(g, 2, 3)

    oracle = num_equal(pathwise, lambda: np.concatenate(latent.quadratic_expectation_grad(a, B, mu, lv)), [{}],
                       what="pathwise gradient average vs vae.reparametrization oracle, f = a.z + z^T B z")
    return all_of(cosine, oracle)


def _gaussian_reparam_law():
    # z = sigma ⊙ eps + mu, eps ~ N(0, I): its density by change of variables equals N(mu, diag sigma^2)
    def lhs(mu, sig, z):
        eps = (z - mu) / sig
        return latent.gaussian_logpdf(eps, np.zeros(2), np.eye(2)) - np.sum(np.log(sig))

    pts = points(10, seed=70, mu=lambda r: r.normal(size=2), sig=lambda r: r.uniform(0.2, 2, size=2),
                 z=lambda r: r.normal(size=2) * 2)
    density = num_equal(lhs, lambda mu, sig, z: latent.gaussian_logpdf(z, mu, np.diag(sig**2)), pts,
                        what="density of sigma*eps + mu = N(mu, diag sigma^2) (sigma a standard deviation)")

    def moments(mu, sig, z):  # E_eps of (z*, z* z*^T), z* = sigma * eps + mu, by the registry oracle's quadrature
        return latent.gauss_hermite_expectation(
            lambda e: np.concatenate([e * sig + mu, np.einsum("ni,nj->nij", e * sig + mu, e * sig + mu).reshape(-1, 4)],
                                     -1), 2, 3)

    law = num_equal(moments, lambda mu, sig, z: np.concatenate([mu, (np.outer(mu, mu) + np.diag(sig**2)).ravel()]),
                    pts, what="E z*, E z* z*^T (latent.gauss_hermite_expectation) = mu, mu mu^T + diag sigma^2")
    return all_of(density, law)


def _recon_gradient():
    # grad_{mu, s} E_q log p(x|z) (central differences of the closed form lg_recon) = E_eps grad log p(x|s eps + mu)
    W, b, psi, x = np.array([[1.2], [-0.7]]), np.array([0.2, 0.1]), np.array([0.6, 1.1]), np.array([0.9, -1.4])

    def lhs(mu, s):
        return _grad(lambda v: latent.lg_recon(W, b, psi, x, np.array([v[0]]), np.array([[v[1] ** 2]])), [mu, s])

    def rhs(mu, s):
        def g(e):
            z = s * e + mu
            r = ((x[None] - z[:, None] * W[:, 0][None] - b[None]) / psi[None]) @ W[:, 0]  # d log p / dz
            return np.stack([r, r * e], -1)

        return _gh1(g)

    return num_equal(lhs, rhs, points(8, seed=71, mu=(-1, 1), s=(0.3, 1.5)), rtol=1e-6, atol=1e-8,
                     what="grad_phi int q log p(x|z) dz = int p(eps) grad_phi log p(x|g_phi(x, eps)) d eps")


def _kl_term():
    # KL(N(mu, sigma^2) || N(0, 1)) by quadrature = the closed form (registry oracle, log-variances); its gradient
    # in (mu, sigma) is (mu, sigma - 1/sigma)
    def quad(mu, s):
        def f(z):
            lq = -0.5 * ((z - mu) / s) ** 2 - np.log(s) - 0.5 * _LOG2PI
            return np.exp(lq) * (lq + 0.5 * z * z + 0.5 * _LOG2PI)

        return integrate.quad(f, -np.inf, np.inf, epsabs=0, epsrel=1e-12)[0]

    def closed(mu, s):
        return float(latent.diag_gaussian_kl([mu], [2 * np.log(s)], [0.0], [0.0]))

    pts = points(6, seed=72, mu=(-1, 1), s=(0.3, 2))
    grad = num_equal(lambda mu, s: _grad(lambda v: closed(v[0], v[1]), [mu, s]),
                     lambda mu, s: np.array([mu, s - 1 / s]),
                     pts, rtol=1e-6, atol=1e-8, what="grad_(mu, sigma) KL = (mu, sigma - 1/sigma)")
    return all_of(num_equal(quad, closed, pts, what="KL by quadrature = closed form"), grad)


def _elbo_estimator():
    # E_{eps*}[log p(x|g_phi(x, eps*))] - KL = L: the one-sample estimate is unbiased (1-D latent, Gauss-Hermite)
    def lhs(W, b, psi, x, m, S):
        s = np.sqrt(S[0, 0])
        recon = _gh1(lambda e: np.array([latent.gaussian_logpdf(x, W[:, 0] * (s * v + m[0]) + b, np.diag(psi))
                                         for v in e]))
        return float(recon) - latent.lg_kl_prior(m, S)

    return num_equal(lhs, lambda **c: latent.lg_elbo(**c), _lg_points(8, 73, k=1),
                     what="E_eps[log p(x|z*)] - KL(q || p(z)) = L")


# --------------------------------------------------------------------------- flows as VAEs
def _nf_as_vae():
    # the linear flow z = W x + c with base N(0, I); encoder N(W x + c, s^2 I),
    # decoder N(W^{-1}(z - c), s^2 W^{-1}W^{-T})
    # (delta's smoothed with width s). ELBO by Gauss-Hermite over eps (exact: quadratic integrand).
    rng = np.random.default_rng(74)
    W, c, x = rng.normal(size=(2, 2)) + 1.5 * np.eye(2), rng.normal(size=2), rng.normal(size=2)
    Winv = np.linalg.inv(W)
    z0, log_det = flows.linear_forward(W, x[None])
    log_p_flow = float(flows.flow_log_density(z0 + c, log_det)[0])

    def elbo(s):
        def integrand(eps):
            out = []
            for e in eps:
                z = W @ x + c + s * e
                out.append(latent.gaussian_logpdf(x, Winv @ (z - c), s * s * Winv @ Winv.T)
                           + latent.gaussian_logpdf(z, np.zeros(2), np.eye(2))
                           - latent.gaussian_logpdf(z, W @ x + c, s * s * np.eye(2)))
            return np.array(out)

        return float(latent.gauss_hermite_expectation(integrand, 2, 3))

    return all_of(num_equal(elbo, lambda s: latent.flow_as_vae_elbo(log_p_flow, 2, s), [{"s": 0.3}, {"s": 0.05}],
                            what="ELBO(s) = log p_flow(x) - k s^2/2 (vae.nf_as_vae oracle)"),
                  num_equal(elbo, lambda s: log_p_flow, [{"s": 1e-5}],
                            what="ELBO -> log p_flow(x) as s -> 0 (the delta encoder/decoder)"))


CLAIMS: list[Claim] = [
    Claim(id="000.L3.lvm_log_likelihood", formulas=("000:831",),
          meaning="'-> max_theta' names the MLE objective; the identity is the marginalization of z. Checked for the "
                  "1-D linear-Gaussian model by quadrature.",
          check=_marginal_integral),
    Claim(id="000.L3.lvm_mle_sum", formulas=("000:851",),
          meaning="one latent z_i per sample; the sum of log-marginals. Checked for three points of a 1-D "
                  "linear-Gaussian model.",
          check=_log_marginal_sum),
    Claim(id="000.L3.naive_monte_carlo", formulas=("000:857", "000:1010"), theorem="tricks.jensen",
          meaning="z_k ~ p(z) i.i.d.; '>=' is Jensen (log concave); '≈' read as: the K-sample average is an unbiased "
                  "estimate of E_{p(z)} log p(x|z). Checked in closed form for the 1-D-latent linear-Gaussian model.",
          check=_naive_mc),
    Claim(id="000.L3.elbo_jensen_chain", formulas=("000:879",), theorem="elbo.bound",
          meaning="q any density with the support of p(z|x) (the slide's assumption); each '=' and the Jensen '>='. "
                  "Checked for the 1-D-latent linear-Gaussian model and random Gaussian q.",
          check=_elbo_jensen_chain),
    Claim(id="000.L3.elbo_bound", formulas=("000:886",), theorem="elbo.bound",
          meaning="for any q: L_{q,theta}(x) <= log p_theta(x). Checked on both exact models with random q.",
          check=_elbo_bound),
    Claim(id="000.L3.posterior_bayes", formulas=("000:892",),
          meaning="the posterior of the latent z is the joint divided by the evidence. Checked against the "
                  "conjugate linear-Gaussian posterior.",
          check=_posterior_def),
    Claim(id="000.L3.elbo_equality_derivation", formulas=("000:896",), theorem="elbo.decomposition",
          meaning="p(x,z) = p(z|x) p(x); int q(z) dz = 1; KL(q || p(z|x)) = int q log q/p(z|x). Checked on both "
                  "exact models.",
          check=_elbo_decomposition),
    Claim(id="000.L3.variational_decomposition", formulas=("000:900", "000:975"), theorem="elbo.decomposition",
          meaning="log p = L + KL(q || p(z|x)) and KL >= 0 gives the bound; in the amortized form q = q_phi(z|x), "
                  "L = L_{phi,theta}.",
          check=_elbo_decomposition),
    Claim(id="000.L3.elbo_recon_minus_kl", formulas=("000:906",), theorem="elbo.recon_minus_kl",
          meaning="p(x,z) = p(x|z) p(z); E_q the expectation under q(z). Checked: the ELBO by quadrature vs the "
                  "closed-form reconstruction minus KL (linear-Gaussian), and by enumeration (discrete).",
          check=_recon_minus_kl),
    Claim(id="000.L3.loglik_decomposition", formulas=("000:910",), theorem="elbo.decomposition",
          meaning="both lines: log p = L + KL(q || p(z|x)) with L = E_q log p(x|z) - KL(q || p(z)).",
          check=_loglik_decomposition),
    Claim(id="000.L3.elbo_instead_of_likelihood", formulas=("000:914",), theorem="elbo.optimal_q",
          meaning="read: maximizing L jointly over (q, theta) gives the maximizer of the likelihood, because "
                  "max_q L_{q,theta}(x) = log p_theta(x) for every theta (q over all densities). Checked on a theta "
                  "grid of the 1-D linear-Gaussian model, and the optimal-q facts on both models.",
          check=_elbo_instead_of_likelihood),
    Claim(id="000.L3.argmax_elbo_argmin_kl", formulas=("000:918",), theorem="elbo.decomposition",
          meaning="L(q) = log p(x) - KL(q || p(z|x)) with log p(x) independent of q, so the two problems have the same "
                  "solutions. Checked: L + KL is the same number for every q.",
          check=_argmax_equivalence),
    Claim(id="000.L3.elbo_objective", formulas=("000:923",), theorem="elbo.recon_minus_kl",
          meaning="'-> max_{q,theta}' names the objective; the identity L = E_q log p(x|z) - KL(q || p(z)) is checked.",
          check=_recon_minus_kl),
    Claim(id="000.L3.optimal_q", formulas=("000:927",), theorem="elbo.optimal_q",
          meaning="q ranges over all densities; theta* fixed. Checked: L at the posterior equals log p(x) and every "
                  "random q does worse.",
          check=_optimal_q),
    Claim(id="000.L3.optimal_q_restated", formulas=("000:949",), theorem="elbo.optimal_q",
          meaning="KL(q||p) abbreviates KL(q(z) || p_{theta*}(z|x)) (the posterior, as on the previous slide; with p "
                  "the prior p(z) the argmin would be the prior).",
          check=_optimal_q),
    Claim(id="000.L3.gradient_update", formulas=("000:961", "000:967", "000:981"),
          meaning="one step of simultaneous gradient ascent on L_{phi,theta}(x), gradients at (phi_{k-1}, "
                  "theta_{k-1}), step size eta > 0; claim: it is an ascent step (L increases for small eta). "
                  "Checked on "
                  "the closed-form ELBO of a 1-D linear-Gaussian VAE with phi = (mu, log sigma), theta = (w, b).",
          check=_gradient_step),
    Claim(id="000.L3.elbo_restated", formulas=("000:977", "000:1106"), theorem="elbo.recon_minus_kl",
          meaning="q = q_phi(z|x); the ELBO as reconstruction minus KL to the prior.",
          check=_recon_minus_kl),
    Claim(id="000.L3.theta_gradient", formulas=("000:1006",), theorem="vae.elbo_estimator",
          meaning="the KL term has no theta (p(z) fixed), so it drops; gradient and integral commute; '≈' read as: "
                  "the one-sample estimate with z* ~ q_phi is unbiased. Checked: central differences of the "
                  "closed-form ELBO vs the Gauss-Hermite expectation of the analytic score of p_theta(x|z).",
          check=_theta_gradient),
    Claim(id="000.L3.phi_gradient_not_naive", formulas=("000:1020",),
          meaning="first line: linearity of the gradient; '≠': the naive exchange gives "
                  "int q grad_phi log p_theta(x|z) dz = 0 since log p_theta(x|z) has no phi, which differs from "
                  "the true gradient in general (the "
                  "slide's point). Checked on a 1-D linear-Gaussian VAE.",
          check=_phi_gradient_not_naive),
    Claim(id="000.L3.reparametrization_lotus", formulas=("000:1026",), theorem="vae.reparametrization",
          meaning="z = g_phi(x, eps), eps ~ p(eps), so q_phi is the law of g_phi(x, eps) (LOTUS). Checked for "
                  "q = N(mu, s^2), g = s eps + mu, f = cos z + e^{a z}.",
          check=_reparam_expectation),
    Claim(id="000.L3.reparametrization_gradient", formulas=("000:1034",), theorem="vae.reparametrization",
          meaning="gradient and integral over eps commute (p(eps) has no phi); '≈' read as: the one-sample "
                  "pathwise estimate with eps* ~ p(eps) is unbiased. Checked for f = cos (closed form) and a "
                  "quadratic f (registry oracle).",
          check=_reparam_gradient),
    Claim(id="000.L3.variational_assumption", formulas=("000:1040",), theorem="vae.reparametrization",
          meaning="sigma_phi(x) is the vector of standard deviations (sigma^2 the diagonal covariance); claim: "
                  "z = sigma ⊙ eps + mu with eps ~ N(0, I) has law N(mu, diag sigma^2).",
          check=_gaussian_reparam_law),
    Claim(id="000.L3.phi_gradient_split", formulas=("000:1048",),
          meaning="linearity of the gradient of L = recon - KL. Checked on a 1-D linear-Gaussian VAE.",
          check=_phi_gradient_linearity),
    Claim(id="000.L3.reconstruction_gradient", formulas=("000:1052",), theorem="vae.reparametrization",
          meaning="g_phi(x, eps) = sigma_phi(x) ⊙ eps + mu_phi(x) (sigma a standard deviation); '≈': unbiased "
                  "one-sample pathwise estimate. Checked: central differences of the closed-form reconstruction term "
                  "in (mu, sigma) vs the Gauss-Hermite mean of the pathwise gradient.",
          check=_recon_gradient),
    Claim(id="000.L3.kl_term", formulas=("000:1062",), theorem="vae.gaussian_kl",
          meaning="substitution of q_phi = N(mu, diag sigma^2) and p(z) = N(0, I); with the slide's 'closed-form "
                  "analytic solution': the closed form equals the KL integral and its gradient is (mu, sigma - "
                  "1/sigma) per coordinate.",
          check=_kl_term),
    Claim(id="000.L3.vae_training_sample", formulas=("000:1090",), theorem="vae.reparametrization",
          meaning="algorithm step: z* = g_phi(x, eps*) with eps* ~ N(0, I) is a draw from q_phi(z|x) = N(mu, "
                  "diag sigma^2).",
          check=_gaussian_reparam_law),
    Claim(id="000.L3.vae_training_objective", formulas=("000:1092",), theorem="vae.elbo_estimator",
          meaning="'≈' read as: log p_theta(x|z*) - KL is an unbiased estimate of L (KL in closed form).",
          check=_elbo_estimator),
    Claim(id="000.L3.nf_as_vae", formulas=("000:1138", "000:1140"), theorem="vae.nf_as_vae",
          meaning="the slide's theorem: MLE for a flow z = f_theta(x) equals ELBO maximization for a VAE with these "
                  "delta decoder and encoder (g_theta = f_theta^{-1}). The delta ELBO is read as the limit of Gaussian "
                  "encoder/decoder of width s -> 0. Checked for a linear flow: ELBO(s) = log p_flow(x) - k s^2/2 -> "
                  "log p_flow(x).",
          check=_nf_as_vae),
]
