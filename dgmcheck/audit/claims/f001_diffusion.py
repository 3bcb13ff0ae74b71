"""Claims of 001 (a separate diffusion lecture: DDPM derivation, score-based models, SDE / probability-flow ODE).

001's notation: alpha_t = 1 - beta_t, abar_t = prod_{j<=t} alpha_j ("Let alpha_t = 1 - beta_t ..."), Sigma_theta is
a covariance, Sigma_theta = sigma_t^2 I on the L_t slide; the VP SDE is dx = -1/2 beta(t) x dt + sqrt(beta(t)) dw.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
import sympy as sp
from scipy import integrate, optimize, stats

from dgmcheck.audit.formulas import Place
from dgmcheck.audit.model import Claim, all_of, num_compare, num_equal, points, slip, sym_equal
from dgmcheck.theory import ddpm, ode, score, sde
from dgmcheck.theory import discrete as dd
from dgmcheck.theory import fokker_planck as fp
from dgmcheck.theory import latent as lat
from dgmcheck.theory import linear_gaussian as lg
from dgmcheck.theory.gaussian_mixture import GaussianMixture

_BETAS = np.array([0.1, 0.2, 0.3, 0.25])


# ------------------------------------------------------------------------------- forward process
def _reparam_step():
    # x_t = sqrt(1-beta) x + sqrt(beta) eps = mu + exp(v/2) eps with mu = sqrt(1-beta) x, v = log beta. Registry
    # (vae.reparametrization): moments by latent.gauss_hermite_expectation and the pathwise gradient of
    # E f(x_t), f(z) = a z + B z^2, vs latent.quadratic_expectation_grad
    a, B = np.array([0.7]), np.array([[-0.4]])

    def sample(x, beta, eps):
        return np.sqrt(1 - beta) * x + np.sqrt(beta) * eps

    def moments(x, beta):
        return lat.gauss_hermite_expectation(lambda e: np.stack([sample(x, beta, e), sample(x, beta, e) ** 2], 1), 1, 3)

    def kernel(x, beta):  # N(sqrt(1-beta) x, beta): mean, second moment
        m = np.sqrt(1 - beta) * x
        return np.array([[m], [beta + m * m]])

    def pathwise(x, beta):
        v = np.log(beta)

        def grads(e):
            z = sample(x, beta, e)
            df = a + 2 * B[0, 0] * z
            return np.concatenate([df, df * np.exp(v / 2) * e / 2], 1)
        return lat.gauss_hermite_expectation(grads, 1, 3)

    def exact(x, beta):
        gm, gv = lat.quadratic_expectation_grad(a, B, np.array([np.sqrt(1 - beta) * x]), np.array([np.log(beta)]))
        return np.concatenate([gm, gv])
    pts = points(4, seed=20, x=(-2, 2), beta=(0.05, 0.9))
    return all_of(num_equal(moments, kernel, pts, what="(E x_t, E x_t^2) by latent.gauss_hermite_expectation vs the "
                                                       "kernel N(sqrt(1-beta) x, beta)"),
                  num_equal(pathwise, exact, pts, what="pathwise gradient vs latent.quadratic_expectation_grad"))


def _forward_marginal_chain():
    a1, a2 = sp.symbols("alpha_t alpha_tm1", positive=True)
    merge = sym_equal(a1 * (1 - a2) + (1 - a1), 1 - a1 * a2,
                      what="variance of sqrt(a_t)(sqrt(1-a_{t-1}) e_{t-2}) + sqrt(1-a_t) e_{t-1}")

    def recursion(t):
        mean, var = 1.0, 0.0
        for b in _BETAS[:t]:
            mean, var = np.sqrt(1 - b) * mean, (1 - b) * var + b
        return np.array([mean, var])
    final = num_equal(recursion, lambda t: np.array(ddpm.forward_marginal(_BETAS, t)), [{"t": t} for t in (1, 2, 3, 4)],
                      what="(coefficient of x_0, variance) by recursion vs (sqrt(abar_t), 1 - abar_t)")
    return all_of(merge, final)


# ------------------------------------------------------------------------------- reverse posterior
def _reverse_bayes():
    # x_0 ~ N(m, s2); q(x_{t-1} | x_t) from the joint Gaussian vs the slide's Bayes formulas (marginals by quadrature)
    m, s2, t = 0.4, 0.7, 3
    ab = np.concatenate([[1.0], np.cumprod(1 - _BETAS)])
    a, b = 1 - _BETAS[t - 1], _BETAS[t - 1]
    v1 = ab[t - 1] * s2 + 1 - ab[t - 1]
    mean1 = np.sqrt(ab[t - 1]) * m

    def exact(xp, xt):
        mt, vt = np.sqrt(a) * mean1, a * v1 + b
        c = np.sqrt(a) * v1
        return stats.norm.pdf(xp, mean1 + c / vt * (xt - mt), np.sqrt(v1 - c * c / vt))

    def slide(xp, xt):
        def marg(x, k):
            return integrate.quad(lambda x0: stats.norm.pdf(x, np.sqrt(ab[k]) * x0, np.sqrt(1 - ab[k]))
                                  * stats.norm.pdf(x0, m, np.sqrt(s2)), -12, 12, epsabs=1e-14)[0]
        return stats.norm.pdf(xt, np.sqrt(a) * xp, np.sqrt(b)) * marg(xp, t - 1) / marg(xt, t)
    return num_equal(exact, slide, points(2, seed=21, xp=(-1.5, 1.5), xt=(-1.5, 1.5)), rtol=1e-7,
                     what="q(x_{t-1}|x_t) of the joint Gaussian vs q(x_t|x_{t-1}) int q(x_{t-1}|x_0)q(x_0) / int ...")


def _sched(t):
    ab = np.concatenate([[1.0], np.cumprod(1 - _BETAS)])
    return 1 - _BETAS[t - 1], _BETAS[t - 1], ab[t], ab[t - 1], (1 - _BETAS[t - 2]) if t >= 2 else 1.0


def _at(line: int, slide: str = "2. Recall (1):") -> Place:
    """A place of file 001 (no lecture numbers)."""
    return Place("001", "", slide, line)


_FORWARD_MARGINAL = (_at(173, "Denoising diffusion probabilistic models"),)
_CT = "Continuous time models using differential equations"


def _posterior_as_printed():
    # printed final exponent: -1/2 (A x_{t-1}^2 - B x_{t-1}) => mean B/(2A), A = a/b + 1/(1-abar_{t-1}),
    # B = 2 sqrt(a_t)/b x_t + 2 sqrt(a_{t-1})/(1-abar_{t-1}) x_0 (alpha_{t-1} where abar_{t-1} is needed)
    def printed(t, x0, xt):
        a, b, _, abp, a_prev = _sched(t)
        A = a / b + 1 / (1 - abp)
        B = 2 * np.sqrt(a) / b * xt + 2 * np.sqrt(a_prev) / (1 - abp) * x0
        return B / (2 * A)

    def true(t, x0, xt):
        c0, ct, _ = ddpm.posterior(_BETAS, t)
        return float(c0 * x0 + ct * xt)
    def corrected(t, x0, xt):  # sqrt(abar_{t-1}) in the x_0 term
        a, b, _, abp, _ = _sched(t)
        A = a / b + 1 / (1 - abp)
        return (2 * np.sqrt(a) / b * xt + 2 * np.sqrt(abp) / (1 - abp) * x0) / (2 * A)

    every = [{"t": t, "x0": x0, "xt": xt} for t in (2, 3, 4) for x0 in (-1.0, 1.0) for xt in (-0.7, 0.5)]
    return slip(num_equal(printed, true, [{"t": 3, "x0": 1.0, "xt": 0.5}],
                          what="mean implied by the printed exponent vs the true posterior mean (t = 3)"),
                num_equal(corrected, true, every,
                          what="mean implied by the corrected exponent (sqrt(abar_{t-1}) x_0) vs ddpm.posterior"),
                evidence=(_at(216), _at(229)),
                why="missing bars: the variances beside them are 1 - abar_{t-1} and 1 - abar_t, so the Gaussians "
                    "are q(x_{t-1}|x_0) and q(x_t|x_0) with means sqrt(abar_{t-1}) x_0 and sqrt(abar_t) x_0 (line "
                    "173), and the result a few lines on (line 229) carries sqrt(abar_{t-1}) x_0")


def _posterior_chain():
    b, abp = sp.symbols("beta abar_prev", positive=True)
    xt, x0 = sp.symbols("x_t x_0", real=True)
    a = 1 - b
    abt = a * abp
    A = a / b + 1 / (1 - abp)
    var = all_of(sym_equal(1 / A, 1 / ((a - abt + b) / (b * (1 - abp)))),
                 sym_equal(1 / ((a - abt + b) / (b * (1 - abp))), b * (1 - abp) / (1 - abt), what="beta tilde"))
    num = sp.sqrt(a) / b * xt + sp.sqrt(abp) / (1 - abp) * x0
    mean = all_of(sym_equal(num / A, num * (1 - abp) / (1 - abt) * b),
                  sym_equal(num * (1 - abp) / (1 - abt) * b,
                            sp.sqrt(a) * (1 - abp) / (1 - abt) * xt + sp.sqrt(abp) * b / (1 - abt) * x0,
                            what="mu tilde"))

    def oracle(t):
        c0, ct, v = ddpm.posterior(_BETAS, t)
        return np.array([c0, ct, v])

    def slide(t):
        a_, b_, abt_, abp_, _ = _sched(t)
        return np.array([np.sqrt(abp_) * b_ / (1 - abt_), np.sqrt(a_) * (1 - abp_) / (1 - abt_),
                         b_ * (1 - abp_) / (1 - abt_)])
    return all_of(var, mean, num_equal(slide, oracle, [{"t": t} for t in (2, 3, 4)], what="vs ddpm.posterior"))


def _mu_eps_printed_step():
    # first line as printed substitutes x_0 = (x_t - sqrt(1-abar_t) eps)/sqrt(alpha_t) (sqrt(abar_t) is needed);
    # registry: mu~_t = c_x x_t + c_eps eps (ddpm.eps_mean)
    def line1(t, x0, eps):
        a, b, abt, abp, _ = _sched(t)
        xt = np.sqrt(abt) * x0 + np.sqrt(1 - abt) * eps
        return (np.sqrt(a) * (1 - abp) / (1 - abt) * xt
                + np.sqrt(abp) * b / (1 - abt) / np.sqrt(a) * (xt - np.sqrt(1 - abt) * eps))

    def registry(t, x0, eps):
        _, _, abt, _, _ = _sched(t)
        cx, ce = ddpm.eps_mean(_BETAS, t)
        return float(cx * (np.sqrt(abt) * x0 + np.sqrt(1 - abt) * eps) + ce * eps)
    def corrected(t, x0, eps):  # x_0 = (x_t - sqrt(1-abar_t) eps)/sqrt(abar_t)
        a, b, abt, abp, _ = _sched(t)
        xt = np.sqrt(abt) * x0 + np.sqrt(1 - abt) * eps
        return (np.sqrt(a) * (1 - abp) / (1 - abt) * xt
                + np.sqrt(abp) * b / (1 - abt) / np.sqrt(abt) * (xt - np.sqrt(1 - abt) * eps))

    every = [{"t": t, "x0": x0, "eps": e} for t in (1, 2, 3, 4) for x0 in (-1.0, 1.0) for e in (-0.3, 0.5)]
    return slip(num_equal(line1, registry, [{"t": 3, "x0": 1.0, "eps": 0.5}],
                          what="first line as printed vs mu~_t in eps form (ddpm.eps_mean), t = 3"),
                num_equal(corrected, registry, every,
                          what="first line with 1/sqrt(abar_t) vs mu~_t in eps form (ddpm.eps_mean)"),
                evidence=(_at(229), _at(231)),
                why="a missing bar: x_0 is solved from x_t = sqrt(abar_t) x_0 + sqrt(1-abar_t) eps_t (the forward "
                    "marginal, line 173; the sentence just above keeps 1 - abar_t under the root), and the formula's "
                    "own second line, the correct mu~_t, is what the first must equal")


def _mu_eps_result():
    def final(t, x0, eps):
        a, _b, abt, _abp, _ = _sched(t)
        xt = np.sqrt(abt) * x0 + np.sqrt(1 - abt) * eps
        return (xt - (1 - a) / np.sqrt(1 - abt) * eps) / np.sqrt(a)

    def true(t, x0, eps):
        _, _, abt, _, _ = _sched(t)
        c0, ct, _ = ddpm.posterior(_BETAS, t)
        return float(c0 * x0 + ct * (np.sqrt(abt) * x0 + np.sqrt(1 - abt) * eps))
    return num_equal(final, true, points(6, seed=22, t=lambda r: int(r.integers(1, 5)), x0=(-2, 2), eps=(-2, 2)),
                     what="1/sqrt(alpha_t)(x_t - (1-alpha_t)/sqrt(1-abar_t) eps) vs mu tilde(x_t, x_0)")


def _mu_theta_printed():
    # mu_theta with the true noise plugged in (eps_theta = eps) must reproduce mu tilde
    def printed(t, x0, eps):
        a, _, abt, _, _ = _sched(t)
        xt = np.sqrt(abt) * x0 + np.sqrt(1 - abt) * eps
        return (xt - (1 - a) / np.sqrt(1 - a) * eps) / np.sqrt(a)

    def true(t, x0, eps):
        _, _, abt, _, _ = _sched(t)
        c0, ct, _ = ddpm.posterior(_BETAS, t)
        return float(c0 * x0 + ct * (np.sqrt(abt) * x0 + np.sqrt(1 - abt) * eps))
    def corrected(t, x0, eps):  # (1 - alpha_t)/sqrt(1 - abar_t)
        a, _, abt, _, _ = _sched(t)
        xt = np.sqrt(abt) * x0 + np.sqrt(1 - abt) * eps
        return (xt - (1 - a) / np.sqrt(1 - abt) * eps) / np.sqrt(a)

    every = [{"t": t, "x0": x0, "eps": e} for t in (1, 2, 3, 4) for x0 in (-1.0, 1.0) for e in (-0.3, 0.5)]
    return slip(num_equal(printed, true, [{"t": 3, "x0": 1.0, "eps": 0.5}],
                          what="printed mu_theta(eps_theta = eps) vs mu tilde"),
                num_equal(corrected, true, every, what="mu_theta with sqrt(1 - abar_t) (eps_theta = eps) vs mu tilde"),
                evidence=(_at(350), _at(361)),
                why="a missing bar: mu_theta is to predict mu~_t (line 350), which the L_t derivation a few lines "
                    "on (line 361) writes with (1 - alpha_t)/sqrt(1 - abar_t) for eps_t and eps_theta alike "
                    "(as line 233 derives it)")


def _lt_weight_printed():
    # KL(N(mu~, bt~) || N(mu_theta, sigma^2)) minus its value at mu_theta = mu~,
    # vs |d|^2 / (2 ||Sigma||_2^2) = d^2/(2 sigma^4)
    def kl_part(t, d):
        _, _, var = ddpm.posterior(_BETAS, t)
        s2 = float(var)  # sigma_t^2 = beta tilde_t
        return d * d / (2 * s2)

    def printed(t, d):
        _, _, var = ddpm.posterior(_BETAS, t)
        return d * d / (2 * float(var) ** 2)
    def corrected(t, d):  # 1/(2 sigma_t^2): the spectral norm ||Sigma_theta||_2 = sigma_t^2, not squared
        _, _, var = ddpm.posterior(_BETAS, t)
        return d * d / (2 * float(np.linalg.norm(float(var) * np.eye(2), 2)))

    every = [{"t": t, "d": d} for t in (2, 3, 4) for d in (0.5, 1.3)]
    return slip(num_equal(kl_part, printed, [{"t": 3, "d": 0.5}],
                          what="theta-dependent part of the Gaussian KL vs printed"),
                num_equal(kl_part, corrected, every,
                          what="theta-dependent part of the Gaussian KL vs 1/(2 ||Sigma||_2)"),
                evidence=(_at(350), _at(359)),
                why="the norm squared once too often: Sigma_theta = sigma_t^2 I (lines 350, 359), and the KL between "
                    "Gaussians with that variance weighs ||mu~ - mu_theta||^2 by 1/(2 sigma_t^2) = 1/(2 ||Sigma||_2), "
                    "not 1/(2 sigma_t^4)")


def _lt_eps_steps():
    # slide: ||mu~ - mu_theta||^2 = (1-alpha_t)^2/(alpha_t (1-abar_t)) ||eps - eps_theta||^2 (both means in eps form);
    # registry: L_t = lambda_t ||eps - eps_theta||^2 with lambda_t = ddpm.loss_weight = gap^2/(2 beta~_t) per unit
    def slide(t, xt, e, et):
        a, _, abt, _, _ = _sched(t)
        gap = (xt - (1 - a) / np.sqrt(1 - abt) * e) / np.sqrt(a) - (xt - (1 - a) / np.sqrt(1 - abt) * et) / np.sqrt(a)
        return np.array([gap**2, (1 - a) ** 2 / (a * (1 - abt)) * (e - et) ** 2])

    def registry(t, xt, e, et):
        w = float(ddpm.loss_weight(_BETAS, t)) * 2 * float(ddpm.reverse_variance(_BETAS, t))
        return np.array([w * (e - et) ** 2, w * (e - et) ** 2])
    return num_equal(slide, registry, points(6, seed=25, t=lambda r: int(r.integers(2, 5)), xt=(-2, 2), e=(-2, 2),
                                              et=(-2, 2)),
                     what="[squared gap of the eps-form means, the slide's weight times (eps - eps_theta)^2] vs "
                          "2 beta~_t ddpm.loss_weight (eps - eps_theta)^2")


def _train_step_law():
    def used(t):
        _, _, abt, _, _ = _sched(t)
        return np.array([np.sqrt(abt), 1 - abt])
    return num_equal(used, lambda t: np.array(ddpm.forward_marginal(_BETAS, t)), [{"t": t} for t in (1, 2, 3, 4)],
                     what="(coefficient, variance) of sqrt(abar) x_0 + sqrt(1-abar) eps vs q(x_t|x_0)")


def _marginal_as_printed():
    # T = 1: p(x_1) = N(0, 1), p(x_0|x_1) = N(0.8 x_1, 0.5); printed int p(x_1) dx_1 vs p(x_0)
    x0 = 0.7
    printed = integrate.quad(lambda x1: stats.norm.pdf(x1), -np.inf, np.inf)[0]
    joint = integrate.quad(lambda x1: stats.norm.pdf(x1) * stats.norm.pdf(x0, 0.8 * x1, np.sqrt(0.5)), -np.inf,
                           np.inf, epsabs=1e-13)[0]
    exact = float(stats.norm.pdf(x0, 0, np.sqrt(0.64 + 0.5)))
    return slip(num_equal(lambda: printed, lambda: exact, [{}], what="int p(x_{1:T}) dx_{1:T} vs p_theta(x_0 = 0.7)"),
                num_equal(lambda: joint, lambda: exact, [{}], what="int p(x_{0:T}) dx_{1:T} vs p_theta(x_0 = 0.7)"),
                evidence=(_at(276), _at(277)),
                why="a missing argument: the two lines above ask for the likelihood of x_0 by marginalizing the "
                    "steps t = T down to 1, i.e. integrating the joint p_theta(x_{0:T}) over x_{1:T}")


# ------------------------------------------------------------------------------- VLB by enumeration
@lru_cache(maxsize=1)
def _toy_chain():
    """A discrete diffusion with K = 3 states, T = 3: q(x_0), forward Q_t (column), reverse p_theta; all paths."""
    rng = np.random.default_rng(23)
    K, T = 3, 3
    q0 = rng.dirichlet(np.ones(K))
    Qs = np.array([rng.dirichlet(np.ones(K), size=K).T for _ in range(T)])
    P = np.array([rng.dirichlet(np.ones(K), size=K).T for _ in range(T)])  # P[t-1][i, j] = p(x_{t-1}=i | x_t=j)
    pT = rng.dirichlet(np.ones(K))
    return K, T, q0, Qs, P, pT


def _paths(x0):
    K, T, _q0, Qs, P, pT = _toy_chain()
    out = []
    for path in itertools.product(range(K), repeat=T):
        xs = (x0, *path)
        q = np.prod([Qs[t][xs[t + 1], xs[t]] for t in range(T)])  # q(x_{1:T}|x_0)
        p = pT[xs[T]] * np.prod([P[t][xs[t], xs[t + 1]] for t in range(T)])  # p(x_{0:T})
        out.append((xs, q, p))
    return out


def _p_x0(x0):
    return sum(p for _, _, p in _paths(x0))


def _latent_model():
    """The toy chain as a discrete latent-variable model for latent.disc_*: z = x_{1:T} (all K^T paths),
    prior p(z) = p(x_{1:T}), likelihood T[z, x_0] = p(x_0|x_{1:T}); q(z) = q(x_{1:T}|x_0) per x_0."""
    K = _toy_chain()[0]
    joint = np.array([[p for _, _, p in _paths(x0)] for x0 in range(K)])  # (x_0, z)
    prior = joint.sum(0)
    lik = (joint / prior).T
    qs = np.array([[q for _, q, _ in _paths(x0)] for x0 in range(K)])
    return prior, lik, qs


def _vlb_bound():
    pts = [{"x0": x0} for x0 in range(3)]
    prior, lik, qs = _latent_model()

    def line0(x0):
        return -np.log(_p_x0(x0))

    def line1(x0):  # + KL(q(x_{1:T}|x_0) || p(x_{1:T}|x_0))
        px0 = _p_x0(x0)
        return -np.log(px0) + sum(q * np.log(q / (p / px0)) for _, q, p in _paths(x0))

    def line3(x0):
        px0 = _p_x0(x0)
        return -np.log(px0) + sum(q * (np.log(q / p) + np.log(px0)) for _, q, p in _paths(x0))

    def line4(x0):
        return sum(q * np.log(q / p) for _, q, p in _paths(x0))
    return all_of(num_equal(line0, lambda x0: -lat.disc_log_marginal(prior, lik, x0), pts,
                            what="-log p(x_0) vs -latent.disc_log_marginal"),
                  num_compare(line0, "<=", line1, pts, what="-log p(x_0) <= -log p(x_0) + KL"),
                  num_equal(line1, line3, pts),
                  num_equal(line3, line4, pts, what="= E_q log q(x_{1:T}|x_0)/p(x_{0:T})"),
                  num_equal(line4, lambda x0: -lat.disc_elbo(prior, lik, x0, qs[x0]), pts,
                            what="E_q log q/p vs -latent.disc_elbo (q = q(x_{1:T}|x_0))"))


def _vlb_expectation():
    q0 = _toy_chain()[2]
    prior, lik, qs = _latent_model()

    def lvlb():
        return sum(q0[x0] * sum(q * np.log(q / p) for _, q, p in _paths(x0)) for x0 in range(3))
    return all_of(num_equal(lvlb, lambda: -sum(q0[x0] * lat.disc_elbo(prior, lik, x0, qs[x0]) for x0 in range(3)),
                            [{}], what="L_VLB vs -E_{q(x_0)} latent.disc_elbo"),
                  num_compare(lvlb, ">=",
                              lambda: -sum(q0[x0] * lat.disc_log_marginal(prior, lik, x0) for x0 in range(3)), [{}],
                              what="L_VLB >= -E_{q(x_0)} log p_theta(x_0) (latent.disc_log_marginal)"))


def _path_lines(xs):
    _K, T, _q0, Qs, P, pT = _toy_chain()
    x0 = xs[0]

    def qf(t, a, b):  # q(x_t = a | x_{t-1} = b)
        return Qs[t - 1][a, b]

    def pr(t, a, b):  # p(x_{t-1} = a | x_t = b)
        return P[t - 1][a, b]

    def qm(t, a):  # q(x_t = a | x_0)
        return dd.forward_probs(Qs, t, x0)[a]

    def post(t, a, b):  # q(x_{t-1} = a | x_t = b, x_0)
        return dd.posterior(Qs, t, b, x0)[a]
    l1 = np.log(np.prod([qf(t, xs[t], xs[t - 1]) for t in range(1, T + 1)])
                / (pT[xs[T]] * np.prod([pr(t, xs[t - 1], xs[t]) for t in range(1, T + 1)])))
    l2 = -np.log(pT[xs[T]]) + sum(np.log(qf(t, xs[t], xs[t - 1]) / pr(t, xs[t - 1], xs[t])) for t in range(1, T + 1))
    l3 = (-np.log(pT[xs[T]]) + sum(np.log(qf(t, xs[t], xs[t - 1]) / pr(t, xs[t - 1], xs[t])) for t in range(2, T + 1))
          + np.log(qf(1, xs[1], x0) / pr(1, x0, xs[1])))
    l4 = (-np.log(pT[xs[T]]) + sum(np.log(post(t, xs[t - 1], xs[t]) / pr(t, xs[t - 1], xs[t])
                                          * qm(t, xs[t]) / qm(t - 1, xs[t - 1])) for t in range(2, T + 1))
          + np.log(qf(1, xs[1], x0) / pr(1, x0, xs[1])))
    l5 = (-np.log(pT[xs[T]]) + sum(np.log(post(t, xs[t - 1], xs[t]) / pr(t, xs[t - 1], xs[t])) for t in range(2, T + 1))
          + sum(np.log(qm(t, xs[t]) / qm(t - 1, xs[t - 1])) for t in range(2, T + 1))
          + np.log(qf(1, xs[1], x0) / pr(1, x0, xs[1])))
    l6 = (-np.log(pT[xs[T]]) + sum(np.log(post(t, xs[t - 1], xs[t]) / pr(t, xs[t - 1], xs[t])) for t in range(2, T + 1))
          + np.log(qm(T, xs[T]) / qm(1, xs[1])) + np.log(qf(1, xs[1], x0) / pr(1, x0, xs[1])))
    l7 = (np.log(qm(T, xs[T]) / pT[xs[T]])
          + sum(np.log(post(t, xs[t - 1], xs[t]) / pr(t, xs[t - 1], xs[t])) for t in range(2, T + 1))
          - np.log(pr(1, x0, xs[1])))
    return np.array([l1, l2, l3, l4, l5, l6, l7])


def _vlb_decomposition_pointwise():
    K, T = 3, 3
    pts = [{"xs": xs} for xs in itertools.product(range(K), repeat=T + 1)][::5]
    return all_of(num_equal(lambda xs: _path_lines(xs), lambda xs: np.full(7, _path_lines(xs)[0]), pts,
                            what="each line of the decomposition (and the telescoped form) evaluated per path"),
                  _gaussian_vlb_terms())


def _gaussian_vlb_terms():
    # the slide's regrouped form L_T + sum_{t=1}^{T-1} L_t + L_0 with the KL terms of a linear-Gaussian DDPM chain
    # (linear_gaussian.elbo_terms: prior KL, the KLs to the posteriors, the decoder term) vs L_VLB = E_q log q/p
    # computed without the decomposition (-linear_gaussian.elbo); also L_VLB + log p(x_0) = KL(q||p(x_{1:T}|x_0))
    betas = _BETAS[:3]
    chain = lg.LinearReverseChain(a=np.array([0.9, 1.1, 0.8]), b=np.array([0.05, -0.1, 0.2]),
                                  v=np.array([0.15, 0.25, 0.4]), prior_mean=0.1, prior_var=0.9)

    def slide(x0):
        terms = lg.elbo_terms(chain, betas, x0)
        return terms.prior_kl + float(np.sum(terms.diffusion_kls)) - terms.reconstruction

    pts = [{"x0": x0} for x0 in (-1.2, 0.3, 1.7)]
    return all_of(num_equal(slide, lambda x0: -lg.elbo(chain, betas, x0), pts,
                            what="L_T + sum L_t + L_0 (linear_gaussian.elbo_terms) vs L_VLB = -linear_gaussian.elbo"),
                  num_equal(lambda x0: -lg.elbo(chain, betas, x0) + lg.log_likelihood(chain, x0),
                            lambda x0: lg.posterior_kl_gap(chain, betas, x0), pts,
                            what="L_VLB + log p(x_0) vs KL(q(x_{1:T}|x_0)||p(x_{1:T}|x_0))"))


def _vlb_kl_terms():
    K, T, _q0, Qs, P, pT = _toy_chain()

    def lvlb(x0):
        return sum(q * np.log(q / p) for _, q, p in _paths(x0))

    def terms(x0):  # the slide's terms written out on the discrete chain
        lT = float(dd.categorical_kl(dd.forward_probs(Qs, T, x0), pT))
        mid = 0.0
        for t in range(1, T):  # L_t = KL(q(x_t|x_{t+1}, x_0) || p(x_t|x_{t+1})), averaged over q(x_{t+1}|x_0)
            qt1 = dd.forward_probs(Qs, t + 1, x0)
            mid += sum(qt1[b] * float(dd.categorical_kl(dd.posterior(Qs, t + 1, b, x0), P[t][:, b]))
                       for b in range(K) if qt1[b] > 0)
        q1 = dd.forward_probs(Qs, 1, x0)
        l0 = -sum(q1[b] * np.log(P[0][x0, b]) for b in range(K))
        return lT + mid + l0
    return all_of(num_equal(lvlb, terms, [{"x0": x0} for x0 in range(K)],
                            what="discrete chain: L_VLB vs L_T + sum_{t=1}^{T-1} L_t + L_0"),
                  _gaussian_vlb_terms())


# ------------------------------------------------------------------------------- score matching
def _disjoint_supports_score():
    x, pi = sp.Symbol("x", real=True), sp.Symbol("pi", positive=True)
    p0 = sp.exp(-1 / (1 - (x + 2) ** 2))  # an unnormalized smooth bump on S_0 = (-3, -1); p_1 is 0 there
    on_s0 = sym_equal(sp.diff(sp.log(pi * p0 + (1 - pi) * 0), x), sp.diff(sp.log(p0), x),
                      what="on S_0: d/dx log(pi p_0 + (1-pi) p_1) with p_1 = 0 vs d/dx log p_0")
    return on_s0


def _sm_objective_as_printed():
    # model p_theta = N(theta, 1), s_theta = grad log p_theta; data p_d = N(mu, 1); printed integrand is identically 0.
    # Registry: the explicit score-matching objective E_{p_d}||s_theta - grad log p_d||^2 (score.explicit_objective)
    mu = 0.3
    data = GaussianMixture(np.array([1.0]), np.array([[mu]]), np.array([[[1.0]]]))

    def printed(theta):
        return integrate.quad(lambda x: stats.norm.pdf(x, mu) * (-(x - theta) - (-(x - theta))) ** 2, -10, 10)[0]
    def corrected(theta):  # E_{p_d} ||grad log p_d - s_theta||^2 by quadrature
        return integrate.quad(lambda x: stats.norm.pdf(x, mu) * (-(x - mu) - (-(x - theta))) ** 2, -12, 12,
                              epsabs=1e-13)[0]

    def oracle(theta):
        return score.explicit_objective(data, lambda x: -(x - theta))
    return slip(num_equal(printed, oracle, [{"theta": mu + 1.0}],
                          what="printed objective vs score.explicit_objective E||grad log p_d - s_theta||^2"),
                num_equal(corrected, oracle, [{"theta": v} for v in (mu + 1.0, -0.4, 2.1)],
                          what="E||grad log p_d - s_theta||^2 by quadrature vs score.explicit_objective"),
                evidence=(_at(453, "Score-based generative models"), _at(454, "Score-based generative models")),
                why="a wrong subscript: the two lines above say s_theta approximates grad log p_d and the objective "
                    "is the distance between the true score and the approximated one, so theta on the first "
                    "score is d")


def _implicit_sm_as_printed():
    # 1-D s(x) = a x + b, data N(mu, sig2): printed objective E[a + (a/2)^2] vs Hyvarinen's E[tr grad s + 1/2 s^2]
    # (score.implicit_objective), compared through their minimizing slopes
    mu, sig2 = 0.5, 0.25
    data = GaussianMixture(np.array([1.0]), np.array([[mu]]), np.array([[[sig2]]]))

    def printed_argmin():
        return optimize.minimize_scalar(lambda a: a + (a / 2) ** 2).x

    def true_argmin():
        res = optimize.minimize(lambda ab: score.implicit_objective(data, lambda x: ab[0] * x + ab[1],
                                                                    lambda x: np.full(len(x), ab[0])),
                                np.zeros(2), method="BFGS", options={"gtol": 1e-10})
        return res.x[0]
    return num_equal(printed_argmin, true_argmin, [{}], rtol=1e-5,
                     what="minimizing slope a of the printed objective vs of score.implicit_objective (= -1/sig2)")


def _sm_integral_form():
    mu, s2, a, b = 0.2, 0.6, -1.3, 0.4

    def expectation():  # closed form: the residual r = (-1/s2 - a) x + (mu/s2 - b) is Gaussian
        c, d = -1 / s2 - a, mu / s2 - b
        return (c * mu + d) ** 2 + c * c * s2

    def integral():
        return integrate.quad(lambda x: stats.norm.pdf(x, mu, np.sqrt(s2)) * (-(x - mu) / s2 - a * x - b) ** 2,
                              -np.inf, np.inf, epsabs=1e-13)[0]
    return num_equal(expectation, integral, [{}], what="E_{p_d}||.||^2 in closed form vs the integral")


# ------------------------------------------------------------------------------- ODE / SDE
_EA, _EB, _EAL, _EBE = np.array([[-0.5, 0.8], [-0.6, 0.1]]), np.array([0.3, -0.2]), 0.7, 0.5
_EX = np.array([[0.9, -0.4]])
_EH = np.array([0.04, 0.02, 0.01, 0.005])


def _euler_field(x, t):
    return ode.linear_field(_EA, _EB, _EAL, _EBE, x, t)


def _euler_forward():
    # slide: x_{t+dt} = x_t + f(x_t, t) dt; registry: ode.euler_step, the exact flow ode.linear_solution of
    # f = (alpha + beta t)(A x + b), and ode.fitted_order of the one-step error (local error O(dt^2))
    t = 0.3

    def slide(h):
        return _EX + _euler_field(_EX, t) * h
    same = num_equal(slide, lambda h: ode.euler_step(_euler_field, _EX, t, h), [{"h": h} for h in _EH],
                     what="slide's step vs ode.euler_step")
    errs = np.array([np.abs(slide(h) - ode.linear_solution(_EA, _EB, _EAL, _EBE, _EX, t, t + h)).max() for h in _EH])
    return all_of(same, num_equal(lambda: ode.fitted_order(_EH, errs), lambda: 2.0, [{}], rtol=0.08,
                                  what="fitted order of |step - exact x(t+h)| in h (2: first-order method)"))


def _euler_backward():
    # slide: x_t = x_{t+dt} - f(x_{t+dt}, t+dt) dt; registry: ode.euler_step with step -dt, the exact backward flow
    # ode.linear_solution from t + dt to t, ode.fitted_order (local error O(dt^2))
    t = 0.3

    def slide(h):
        return _EX - _euler_field(_EX, t + h) * h
    same = num_equal(slide, lambda h: ode.euler_step(_euler_field, _EX, t + h, -h), [{"h": h} for h in _EH],
                     what="slide's backward step vs ode.euler_step(h = -dt)")
    errs = np.array([np.abs(slide(h) - ode.linear_solution(_EA, _EB, _EAL, _EBE, _EX, t + h, t)).max() for h in _EH])
    return all_of(same, num_equal(lambda: ode.fitted_order(_EH, errs), lambda: 2.0, [{}], rtol=0.08,
                                  what="fitted order of |backward step - exact x(t)| in h"))


_VP_SPEC = fp.SDESpec("vp", 0.1, 20.0)
_FP_X = np.linspace(-2.0, 2.0, 5)[:, None]


def _fp_num(expr):
    """A residual of dgmcheck.theory.fokker_planck (in x, t and u = a(t)) as a function of (t, x)."""
    sde_ = fp.symbolic_sde("vp")
    fn = sp.lambdify((fp.t_sym, fp.x_sym), expr.subs(fp.u_sym, sde_.u_of_t), "numpy")
    return lambda t, x: float(fn(t, x))


def _fp_pts():
    return points(6, seed=24, t=(0.05, 1.0), x=(-2, 2))


def _reverse_sde():
    # slide's reverse drift f - g^2 grad log p (score weight 1) and the forward SDE; registry: the (reversed)
    # Kolmogorov forward residuals of fokker_planck for the VP SDE and Gaussian data (exact marginals)
    comps = fp.default_components("gaussian")
    return all_of(sym_equal(fp.kfp_residual_1d("vp", comps), 0, what="forward KFP residual / p"),
                  sym_equal(fp.reverse_kfp_residual_1d("vp", comps, score_weight=1), 0,
                            what="reverse-SDE KFP residual / p with drift f - 1 g^2 grad log p_t"))


def _pf_ode():
    return sym_equal(fp.pf_ode_residual_1d("vp", fp.default_components("gaussian"), score_weight=sp.Rational(1, 2)), 0,
                     what="continuity residual / p of dx = [f - 1/2 g^2 grad log p_t] dt "
                          "(fokker_planck.pf_ode_residual_1d)")


def _pf_ode_as_printed():
    res = _fp_num(fp.pf_ode_residual_1d("vp", fp.default_components("gaussian"), score_weight=1))
    written = num_equal(res, lambda t, x: 0.0, _fp_pts()[:1],
                        what="continuity residual / p of dx = [f - g^2 grad log p_t] dt "
                             "(fokker_planck.pf_ode_residual_1d, score weight 1), VP SDE, Gaussian data")
    return slip(written, _pf_ode(), evidence=(_at(680, _CT), _at(682, _CT)),
                why="a missing factor 1/2: the next line, the same ODE with f = -beta x/2 and g^2 = beta, reads "
                    "-1/2 beta(t) [x_t + s_theta] dt, i.e. f - 1/2 g^2 s_theta")


def _sm_time_objective_as_printed():
    # minimizer of the printed objective at time t is grad log p (no t) = grad log p_0; the slide wants grad log p_t.
    # Registry (sde.continuous_dsm): the DSM objective at time t (sde.dsm_linear_1d, closed form; same minimizer as
    # the explicit E_{p_t}||s - grad log p_t||^2) minimized over linear s = theta_1 x + theta_0, exact for Gaussian
    # data; VP SDE beta(t) = 1 + 0.5 t, data N(0.8, 0.3)
    data = GaussianMixture(np.array([1.0]), np.array([[0.8]]), np.array([[[0.3]]]))
    a, v = (float(c) for c in sde.VP(beta_min=1.0, beta_max=1.5).marginal(0.7))

    def registry(t, x):
        th = optimize.minimize(lambda th: sde.dsm_linear_1d(data, a, v, th), np.zeros(2), method="BFGS",
                               options={"gtol": 1e-11}).x
        return float(th[0] * x + th[1])
    def score_t(t, x):  # grad log p_t for data N(0.8, 0.3) under the VP SDE: N(a 0.8, a^2 0.3 + v)
        return -(x - a * 0.8) / (a * a * 0.3 + v)

    at = [{"t": 0.7, "x": x} for x in (0.3, -1.1, 1.9)]
    return slip(num_equal(lambda t, x: -(x - 0.8) / 0.3, registry, at[:1], rtol=1e-5,
                          what="grad log p_0(x) (printed target) vs the minimizer at time t (sde.dsm_linear_1d)"),
                num_equal(score_t, registry, at, rtol=1e-5,
                          what="grad log p_t(x) (corrected target) vs the minimizer at time t (sde.dsm_linear_1d)"),
                evidence=(_at(580, _CT),),
                why="a missing subscript t: three lines above, s_theta(x, t) is trained to approximate "
                    "grad log p_t(x_t), the score at time t that the reverse SDE needs")


def _integral_form():
    def h(t, x):
        return -x + np.sin(3 * t)
    sol = integrate.solve_ivp(h, (0, 1.5), [0.8], dense_output=True, rtol=1e-12, atol=1e-12)
    rhs = 0.8 + integrate.quad(lambda s: h(s, sol.sol(s)[0]), 0, 1.5, epsabs=1e-12)[0]
    return num_equal(lambda: float(sol.y[0, -1]), lambda: rhs, [{}], rtol=1e-8,
                     what="ODE solution x(1.5) vs x(0) + int_0^1.5 h(x(tau), tau) dtau")


def _taylor_sqrt():
    # slide: sqrt(1-x) ≈ 1 - x/2 (first order); with x = beta(t) dt the chain with the expanded step (1 - beta_i/2)
    # has the same limit as the DDPM chain of the registry (sde.ddpm_chain_moments over sde.VP.chain_betas): the gap
    # is O(dt)
    x = sp.Symbol("x", positive=True)
    vp = sde.VP(beta_min=0.1, beta_max=20.0)

    def gap(n):
        betas = vp.chain_betas(n)
        a_slide = np.concatenate([[1.0], np.cumprod(1 - betas / 2)])
        return float(np.max(np.abs(a_slide - sde.ddpm_chain_moments(betas)[0])))
    ns = np.array([100, 200, 400, 800])
    gaps = np.array([gap(n) for n in ns])
    return all_of(sym_equal(sp.limit((sp.sqrt(1 - x) - (1 - x / 2)) / x, x, 0), 0,
                            what="(sqrt(1-x) - (1 - x/2))/x -> 0"),
                  num_equal(lambda: sde.convergence_slope(1 / ns, gaps), lambda: 1.0, [{}], rtol=0.1,
                            what="order in dt of the gap between the expanded and the exact chain means"))


def _euler_noise_as_printed():
    # dividing sqrt(beta_i) N by Delta t (beta_i = beta(t_i) Delta t, sde.VP.chain_betas): coefficient
    # sqrt(beta_i)/Delta t; printed sqrt(beta_i)/sqrt(Delta t)
    vp, n = sde.VP(beta_min=0.5, beta_max=2.0), 20
    dt, betas = 1.0 / n, vp.chain_betas(n)
    def derived(i):  # the previous line's sqrt(beta(t) Delta t) N divided by Delta t
        return np.sqrt(betas[i]) / dt

    def corrected(i):  # sqrt(beta(t))/sqrt(Delta t) with beta(t) = beta_t/Delta t (the slide's replacement)
        return np.sqrt(betas[i] / dt) / np.sqrt(dt)
    return slip(num_equal(lambda i: np.sqrt(betas[i]) / np.sqrt(dt), derived, [{"i": 5}],
                          what="printed noise coefficient sqrt(beta_t)/sqrt(Delta t) vs sqrt(beta_t)/Delta t"),
                num_equal(corrected, derived, [{"i": i} for i in range(n)],
                          what="sqrt(beta(t))/sqrt(Delta t) vs sqrt(beta_t)/Delta t, every step"),
                evidence=(_at(591, _CT), _at(598, _CT)),
                why="a subscript for a function argument: the slide replaced beta_t by beta(t) Delta t (line 591) "
                    "and the line before carries sqrt(beta(t) Delta t) N; divided by Delta t that is "
                    "sqrt(beta(t))/sqrt(Delta t), which the printed sqrt(beta_t) makes a factor sqrt(Delta t) "
                    "smaller")


def _vp_limit():
    # slide: the DDPM chain x_i = sqrt(1-beta_i) x_{i-1} + sqrt(beta_i) N, beta_i = beta(t_i) dt (recursion written
    # here),
    # vs sde.ddpm_chain_moments; its distance to the VP SDE marginal (sde.vp_chain_error) -> 0 at order 1 in dt
    vp = sde.VP(beta_min=0.1, beta_max=20.0)

    def chain(n):
        a, v, out = 1.0, 0.0, [(1.0, 0.0)]
        for b in vp.chain_betas(n):
            a, v = np.sqrt(1 - b) * a, (1 - b) * v + b
            out.append((a, v))
        return np.array(out).T
    ns = np.array([100, 200, 400, 800])
    errs = np.array([sde.vp_chain_error(vp, int(n)) for n in ns])
    return all_of(num_equal(chain, lambda n: np.array(sde.ddpm_chain_moments(vp.chain_betas(n))), [{"n": 50}],
                            what="chain moments vs sde.ddpm_chain_moments"),
                  num_equal(lambda: sde.convergence_slope(1 / ns, errs), lambda: 1.0, [{}], rtol=0.1,
                            what="order in dt of max |chain moments - VP marginal| (sde.vp_chain_error)"),
                  num_compare(lambda: errs[-1], "<", lambda: 0.01, [{}], what="error at N = 800"))


def _reverse_vp_algebra():
    # slide: reverse drift -1/2 beta (x + 2 s), step x + 1/2 beta (x + 2 s) dt + sqrt(beta dt) z from t to t - dt.
    # Gaussian data N(0, c): s = -x/V(t) (V from sde.VP.marginal), so the reverse SDE is linear and the registry's
    # Euler-Maruyama map sde.em_linear_coefficients on a decreasing grid gives (A, B); fokker_planck.exact_drifts
    # gives the reverse drift f - g^2 s.
    c, vp = 0.6, sde.VP(beta_min=0.1, beta_max=20.0)

    def V(t):
        a, v = vp.marginal(t)
        return a * a * c + v
    ts = np.linspace(1.0, 0.6, 5)

    def slide():
        A, B = [1.0], [np.zeros(4)]
        for k in range(4):
            t, dt = ts[k], ts[k] - ts[k + 1]
            b = float(vp.beta(t))
            coef = 1 + b / 2 * (1 - 2 / V(t)) * dt  # x + 1/2 beta (x + 2 s) dt with s = -x/V
            nb = coef * B[-1]
            nb[k] = np.sqrt(b * dt)
            A.append(coef * A[-1])
            B.append(nb)
        return np.concatenate([np.array(A), np.array(B).ravel()])

    def registry():
        A, B = sde.em_linear_coefficients(lambda t: float(-vp.beta(t) / 2 + vp.beta(t) / V(t)), vp.beta, ts)
        return np.concatenate([A, B.ravel()])
    spec = fp.SDESpec("vp", 0.1, 20.0)
    data = GaussianMixture(np.array([1.0]), np.array([[0.0]]), np.array([[[c]]]))

    def drift(t):
        d = fp.exact_drifts(spec, data, t, _FP_X)
        return -d["g2"] / 2 * (_FP_X + 2 * d["score"])
    return all_of(num_equal(drift, lambda t: fp.exact_drifts(spec, data, t, _FP_X)["rev"], [{"t": 0.3}, {"t": 0.8}],
                            what="-1/2 beta (x + 2 s) vs f - g^2 s (fokker_planck.exact_drifts)"),
                  num_equal(slide, registry, [{}], what="slide's reverse steps (A, B) vs sde.em_linear_coefficients"))


def _pf_vp_algebra():
    # slide: PF drift -1/2 beta (x + s); Euler step from t to t - dt: x + 1/2 beta (x + s) dt. Registry:
    # fokker_planck.exact_drifts["pf"] and fokker_planck.pf_ode_scheme (Euler), VP SDE, mixture data
    data = GaussianMixture(np.array([0.4, 0.6]), np.array([[-1.0], [1.2]]), np.array([[[0.3]], [[0.5]]]))

    def drift(t):
        d = fp.exact_drifts(_VP_SPEC, data, t, _FP_X)
        return -d["g2"] / 2 * (_FP_X + d["score"])

    def step(t, dt):
        d = fp.exact_drifts(_VP_SPEC, data, t, _FP_X)
        return _FP_X + d["g2"] / 2 * (_FP_X + d["score"]) * dt
    pts = [{"t": 0.3}, {"t": 0.8}]
    return all_of(num_equal(drift, lambda t: fp.exact_drifts(_VP_SPEC, data, t, _FP_X)["pf"], pts,
                            what="-1/2 beta (x + s) vs f - 1/2 g^2 s (fokker_planck.exact_drifts)"),
                  num_equal(lambda t: step(t, 0.01), lambda t: fp.pf_ode_scheme(_VP_SPEC, data, np.array([t, t - 0.01]),
                                                                                _FP_X, method="euler")[1], pts,
                            what="x + 1/2 beta (x + s) dt vs fokker_planck.pf_ode_scheme (Euler, t -> t - dt)"),
                  _pf_ode())


def _sde_split():
    # slide: reverse drift = [-1/2 beta (x + s)] (PF-ODE) + [-1/2 beta s] (Langevin); registry:
    # fokker_planck.exact_drifts["rev"] and fokker_planck.pf_ode_plus_langevin_1d (drift identity, Langevin
    # stationarity, reversed KFP = continuity - Langevin)
    data = GaussianMixture(np.array([0.4, 0.6]), np.array([[-1.0], [1.2]]), np.array([[[0.3]], [[0.5]]]))

    def split(t):
        d = fp.exact_drifts(_VP_SPEC, data, t, _FP_X)
        return -d["g2"] / 2 * (_FP_X + d["score"]) - d["g2"] / 2 * d["score"]
    ident, lang, rest = fp.pf_ode_plus_langevin_1d("vp", fp.default_components("gaussian"))
    return all_of(num_equal(split, lambda t: fp.exact_drifts(_VP_SPEC, data, t, _FP_X)["rev"], [{"t": 0.3}, {"t": 0.8}],
                            what="PF part + Langevin part vs the reverse drift f - g^2 s (fokker_planck.exact_drifts)"),
                  sym_equal(ident + lang + rest, 0, what="fokker_planck.pf_ode_plus_langevin_1d residuals"))


def _c(id_, formulas, check=None, meaning="", kind="claim", **kw):
    return Claim(id=id_, formulas=tuple(formulas), kind=kind, meaning=meaning, check=check, **kw)


_D = "definition"
_MU_FIX = (r"\boldsymbol{\mu}_\theta(\mathbf{x}_t, t) = \frac{1}{\sqrt{\alpha_t}} \left( \mathbf{x}_t - "
           r"\frac{1-\alpha_t}{\sqrt{1-\bar{\alpha}_t}} \boldsymbol{\epsilon}_\theta(\mathbf{x}_t, t) \right)")
CLAIMS: list[Claim] = [
    _c("001.dm.data", ["001:39"], kind="notation", meaning="Training samples from P_data."),
    _c("001.dm.goal", ["001:47"], kind=_D, meaning="The modelling goal p_theta ≈ p_d (no claim)."),
    _c("001.dm.forward_kernel", ["001:145", "001:147"], kind=_D,
       meaning="The forward kernel N(sqrt(1-beta_t) x_{t-1}, beta_t I) and the Markov chain it defines."),
    _c("001.dm.forward_reparam", ["001:157"], _reparam_step, theorem="vae.reparametrization",
       meaning="x_t = sqrt(1-beta_t) x_{t-1} + sqrt(beta_t) eps, eps ~ N(0, I), has the law of the kernel."),
    _c("001.dm.forward_marginal_chain", ["001:168"], _forward_marginal_chain, theorem="ddpm.forward_marginal",
       meaning="alpha_t = 1 - beta_t, abar_t = prod alpha_j: merging Gaussians step by step gives x_t = "
               "sqrt(abar_t) x_0 + sqrt(1-abar_t) eps, i.e. q(x_t|x_0) = N(sqrt(abar_t) x_0, (1-abar_t) I)."),
    _c("001.dm.reverse_model", ["001:190", "001:191", "001:244", "001:253", "001:274"], kind=_D,
       meaning="The reverse Markov chain and its Gaussian kernels (Sigma_theta a covariance)."),
    _c("001.dm.reverse_bayes", ["001:201", "001:205"], _reverse_bayes,
       meaning="Bayes for the reverse kernel, with q(x_{t-1}) and q(x_t) written as integrals over x_0. Checked "
               "for Gaussian data x_0 ~ N(0.4, 0.7) at t = 3 against the joint-Gaussian conditional."),
    _c("001.dm.posterior_as_printed", ["001:220"], _posterior_as_printed, theorem="ddpm.posterior",
       meaning="The completed-square derivation as printed: q(x_{t-1}|x_0) enters as (x_{t-1} - sqrt(alpha_{t-1}) "
               "x_0)^2/(1-abar_{t-1}) and q(x_t|x_0) as (x_t - sqrt(alpha_t) x_0)^2/(1-abar_t) (sqrt(abar) needed); "
               "the last line's x_{t-1}-coefficient keeps sqrt(alpha_{t-1}). The mean it implies differs from the true "
               "posterior mean whenever abar_{t-1} != alpha_{t-1} (t >= 3). Counterexample t = 3, beta = (0.1, 0.2, "
               "0.3)."
               " Judgement: slip (missing bars; the variances beside them and line 229 fix the means).",
       convention=_FORWARD_MARGINAL,
       corrected=r"\propto \exp\left(-\frac12\left(\frac{(\mathbf{x}_t-\sqrt{\alpha_t}\mathbf{x}_{t-1})^2}{\beta_t} + "
                 r"\frac{(\mathbf{x}_{t-1}-\sqrt{\bar\alpha_{t-1}}\mathbf{x}_0)^2}{1-\bar\alpha_{t-1}} - "
                 r"\frac{(\mathbf{x}_t-\sqrt{\bar\alpha_t}\mathbf{x}_0)^2}{1-\bar\alpha_t}\right)\right)"),
    _c("001.dm.posterior_closed_form", ["001:216", "001:229"], _posterior_chain, theorem="ddpm.posterior",
       meaning="q(x_{t-1}|x_t, x_0) = N(mu~_t, beta~_t I) with the chain "
               "beta~_t = 1/(alpha_t/beta_t + 1/(1-abar_{t-1})) = ... = beta_t (1-abar_{t-1})/(1-abar_t) and "
               "mu~_t = ... (each step), using alpha_t + beta_t = 1, abar_t = alpha_t abar_{t-1}; "
               "also against ddpm.posterior."),
    _c("001.dm.mu_tilde_eps_step", ["001:233"], _mu_eps_printed_step, theorem="ddpm.eps_mean",
       meaning="First line as printed: x_0 replaced by (x_t - sqrt(1-abar_t) eps_t)/sqrt(alpha_t); since x_t = "
               "sqrt(abar_t) x_0 + sqrt(1-abar_t) eps_t this needs 1/sqrt(abar_t), so the first line is not equal "
               "to the (correct) second line for t >= 2. Counterexample t = 3, beta = (0.1, 0.2, 0.3), x_0 = 1, "
               "eps = 0.5."
               " Judgement: slip (1/sqrt(alpha_t) for 1/sqrt(abar_t); the formula's second line and the forward "
               "marginal fix it).",
       convention=_FORWARD_MARGINAL,
       corrected=r"\tilde{\mu}_t = \frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\mathbf{x}_t + "
                 r"\frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t}\frac{1}{\sqrt{\bar\alpha_t}}(\mathbf{x}_t - "
                 r"\sqrt{1-\bar\alpha_t}\boldsymbol{\epsilon}_t)"),
    _c("001.dm.mu_tilde_eps_result", ["001:233"], _mu_eps_result, theorem="ddpm.eps_mean",
       meaning="The result of the same slide: mu~_t = 1/sqrt(alpha_t) (x_t - (1-alpha_t)/sqrt(1-abar_t) eps_t)."),
    _c("001.dm.reverse_variance_sigma", ["001:266"], kind=_D,
       meaning="Reverse kernel with a fixed scalar covariance written sigma_t I (sigma_t a variance here)."),
    _c("001.dm.marginal_likelihood_as_printed", ["001:279"], _marginal_as_printed,
       meaning="As printed the integrand is p_theta(x_{1:T}) (no x_0): the integral is 1, not p_theta(x_0). "
               "Counterexample T = 1, p(x_1) = N(0, 1), p(x_0|x_1) = N(0.8 x_1, 0.5), x_0 = 0.7."
               " Judgement: slip (a missing argument x_0; the two lines above ask for the marginal of x_0).",
       corrected=r"p_{\theta}(\mathbf{x}_0) = \int p_{\theta}(\mathbf{x}_{0:T}) d\mathbf{x}_{1:T}"),
    _c("001.dm.vlb_bound", ["001:289"], _vlb_bound, theorem="elbo.bound",
       meaning="-log p(x_0) <= -log p(x_0) + KL(q(x_{1:T}|x_0)||p(x_{1:T}|x_0)) = ... = E_q log q(x_{1:T}|x_0)/"
               "p(x_{0:T}). Checked exactly by enumeration on a discrete chain (K = 3, T = 3)."),
    _c("001.dm.vlb_expectation", ["001:298"], _vlb_expectation, theorem="elbo.bound",
       meaning="L_VLB = E_{q(x_{0:T})} log q(x_{1:T}|x_0)/p(x_{0:T}) >= -E_{q(x_0)} log p(x_0) (enumeration)."),
    _c("001.dm.vlb_decomposition", ["001:309", "001:322"], _vlb_decomposition_pointwise,
       theorem="ddpm.elbo_decomposition",
       meaning="Each rewriting of the integrand (Markov factorization, splitting t = 1, Bayes q(x_t|x_{t-1}) = "
               "q(x_{t-1}|x_t, x_0) q(x_t|x_0)/q(x_{t-1}|x_0), telescoping to log q(x_T|x_0)/q(x_1|x_0), regrouping) "
               "holds pointwise on every path. Checked on a discrete chain (K = 3, T = 3), and the regrouped "
               "KL form in expectation on a linear-Gaussian chain (theory.linear_gaussian)."),
    _c("001.dm.vlb_terms", ["001:332"], _vlb_kl_terms, theorem="ddpm.elbo_decomposition",
       meaning="L_VLB = L_T + L_{T-1} + ... + L_0 with the definitions below (L_t for 1 <= t <= T-1 as on the "
               "slide, each averaged over q), also the KL form of the last line of the previous derivation."),
    _c("001.dm.vlb_term_defs", ["001:334", "001:336", "001:340"], kind=_D,
       meaning="L_T, L_t = KL(q(x_t|x_{t+1}, x_0)||p_theta(x_t|x_{t+1})) for 1 <= t <= T-1, L_0."),
    _c("001.dm.mu_theta_eps_as_printed", ["001:353", "001:355"], _mu_theta_printed, theorem="ddpm.eps_mean",
       meaning="mu_theta is meant to take the form of mu~_t with eps_theta in place of eps_t (slide text: 'train "
               "mu_theta to predict mu~_t'); printed with (1-alpha_t)/sqrt(1-alpha_t). With the exact noise "
               "eps_theta = eps it differs from mu~_t for t >= 2 (t = 3, beta = (0.1, 0.2, 0.3), x_0 = 1, eps = 0.5). "
               "001:355 samples from the same mean."
               " Judgement: slip (a missing bar; line 350 says mu_theta predicts mu~_t, and the L_t derivation at "
               "line 361 writes it with sqrt(1 - abar_t)).",
       convention=(_at(233),),
       corrected=_MU_FIX),
    _c("001.dm.lt_mean_weight_as_printed", ["001:361"], _lt_weight_printed, theorem="ddpm.loss_weight",
       meaning="First line: L_t = E[||mu~ - mu_theta||^2 / (2 ||Sigma_theta||_2^2)] with Sigma_theta = sigma_t^2 I "
               "(the slide's choice), so ||Sigma_theta||_2^2 = sigma_t^4. The KL between Gaussians of variance "
               "beta~_t and sigma_t^2 has theta-part ||mu~ - mu_theta||^2/(2 sigma_t^2) (+ a constant). Checked with "
               "sigma_t^2 = beta~_t at t = 3 and a mean gap 0.5."
               " Judgement: slip (the norm squared once too often; lines 350 and 359 fix Sigma_theta = sigma_t^2 I).",
       corrected=r"L_t = \mathbb{E}_{\mathbf{x}_0,\epsilon}\left[\frac{1}{2\sigma_t^2}\|\tilde{\mu}_t - "
                 r"\mu_\theta\|_2^2\right] + C"),
    _c("001.dm.lt_eps_steps", ["001:361"], _lt_eps_steps, theorem="ddpm.loss_weight",
       meaning="Later steps of the same chain: ||mu~ - mu_theta||^2 = (1-alpha_t)^2/(alpha_t (1-abar_t)) ||eps_t - "
               "eps_theta||^2 with both means in eps form, then x_t = sqrt(abar_t) x_0 + sqrt(1-abar_t) eps_t."),
    _c("001.dm.simple_loss", ["001:372"], kind=_D, meaning="The simplified objective (a definition)."),
    _c("001.dm.train_step", ["001:388"], _train_step_law, theorem="ddpm.simple_loss",
       meaning="Algorithm 1 step 5: with x_0 ~ q, t ~ U{1..T}, eps ~ N(0, I), sqrt(abar_t) x_0 + sqrt(1-abar_t) eps "
               "is a draw of q(x_t|x_0), so the gradient is a stochastic gradient of L_simple."),
    _c("001.dm.disjoint_support_score", ["001:433"], _disjoint_supports_score,
       meaning="p_d = pi p_0 + (1-pi) p_1 with disjoint supports S_0, S_1: on S_0, grad log p_d = grad log p_0 "
               "(independent of pi); likewise on S_1. Checked with a smooth bump p_0."),
    _c("001.dm.noise_perturbation", ["001:442", "001:444", "001:493"], kind=_D,
       meaning="The Gaussian perturbation kernel and the perturbed densities."),
    _c("001.dm.sm_objective_as_printed", ["001:456"], _sm_objective_as_printed, theorem="score.fisher_divergence",
       meaning="The slide says the objective is 'the L2 norm of the difference between the true score and the "
               "approximated one', but prints grad log p_theta (read: the model density whose score is s_theta) in "
               "place of grad log p_d, making the integrand identically 0. Counterexample: p_d = N(0.3, 1), model "
               "N(theta, 1), theta = 1.3: printed 0, Fisher divergence 1."
               " Judgement: slip (theta for d; lines 453-454 say the target is the true score grad log p_d).",
       corrected=r"\theta^* = \arg\min_\theta \mathbb{E}_{p_d(\mathbf{x})}\left[\|\nabla_{\mathbf{x}}"
                 r"\log p_d(\mathbf{x}) - s_\theta(\mathbf{x})\|_2^2\right]"),
    _c("001.dm.implicit_sm_as_printed", ["001:462"], _implicit_sm_as_printed, theorem="score.fisher_divergence",
       meaning="'Equivalent' read as: same minimizer as the explicit score-matching objective. Printed second term "
               "||1/2 grad_x s_theta||^2 (Jacobian); Hyvarinen's is 1/2 ||s_theta||^2. Counterexample 1-D, s = a x + "
               "b, p_d = N(0.5, 0.25): printed argmin a = -2, true a = -1/0.25 = -4."
               " Judgement: fails, not slip: no neighbouring line fixes the intended second term (Hyvarinen's 1/2 "
               "||s_theta||^2 is known from the literature, not from the slides), and the printed term is a "
               "different objective.",
       corrected=r"\theta^* = \arg\min_\theta \mathbb{E}_{p_d(\mathbf{x})}\left[\text{tr}(\nabla_{\mathbf{x}} "
                 r"s_\theta(\mathbf{x})) + \frac{1}{2}\|s_\theta(\mathbf{x})\|_2^2\right]"),
    _c("001.dm.sm_integral_form", ["001:470"], _sm_integral_form,
       meaning="The expectation over p_d written as an integral (same argmin since the objectives are equal)."),
    _c("001.dm.ncsn_objective", ["001:504"], kind=_D, meaning="The weighted multi-scale objective (a definition)."),
    _c("001.dm.ode_def", ["001:529"], kind=_D, meaning="The ODE dx/dt = f(x, t)."),
    _c("001.dm.euler_forward", ["001:535"], _euler_forward, theorem="ode.euler",
       meaning="Euler's method: the step x_{t+dt} - x_t = f(x_t, t) dt matches the exact flow to first order "
               "(local error O(dt^2)); checked for the linear flow dx/dt = (alpha + beta t)(A x + b)."),
    _c("001.dm.euler_backward", ["001:539"], _euler_backward, theorem="ode.euler",
       meaning="Euler backwards: x_t = x_{t+dt} - f(x_{t+dt}, t+dt) dt matches the exact backward flow to first "
               "order; checked for the linear flow dx/dt = (alpha + beta t)(A x + b)."),
    _c("001.dm.sde_defs", ["001:547", "001:572", "001:619"], kind=_D,
       meaning="A forward SDE with drift f and diffusion coefficient g."),
    _c("001.dm.noise_scales", ["001:554", "001:559"], kind="notation",
       meaning="Noise scales sigma_1 < ... < sigma_L of NCSN."),
    _c("001.dm.reverse_sde", ["001:576", "001:638", "001:644"], _reverse_sde, theorem="sde.reverse_sde",
       meaning="The reverse-time SDE dx = [f - g^2 grad log p_t] dt + g dw_bar (dt < 0), and its VP instance "
               "(f = -1/2 beta x, g^2 = beta), has the same marginals as the forward SDE. Checked: with the exact "
               "Gaussian marginals of the VP SDE, both the forward and the reverse Fokker-Planck residuals vanish."),
    _c("001.dm.time_score_objective_as_printed", ["001:584"], _sm_time_objective_as_printed,
       theorem="sde.continuous_dsm",
       meaning="The slide trains s_theta(x, t) ≈ grad log p_t(x_t) by 'a weighted combination of Fisher divergences' "
               "but prints grad_x log p(x) (no t; read as the data density p = p_0). The printed objective's "
               "minimizer is grad log p_0 at every t. Counterexample: VP SDE (beta = 1 + 0.5 t), data N(0.8, 0.3), "
               "t = 0.7, x = 0.3."
               " Judgement: slip (a missing subscript t; line 580 trains s_theta(x, t) toward grad log p_t).",
       corrected=r"\theta^* = \arg\min_\theta \mathbb{E}_{t}\left[\mathbb{E}_{p_t(\mathbf{x})}\left[\lambda(t)"
                 r"\|\nabla_{\mathbf{x}}\log p_t(\mathbf{x}) - \mathbf{s}_\theta(\mathbf{x}, t)\|_2^2\right]\right]"),
    _c("001.dm.continuous_beta", ["001:594"], kind=_D,
       meaning="Setting beta_t = beta(t) Delta_t (a substitution, defines beta(t))."),
    _c("001.dm.taylor_sqrt", ["001:598", "001:602"], _taylor_sqrt, theorem="sde.vp",
       meaning="≈ read as first order: sqrt(1-x) = 1 - x/2 + o(x), so sqrt(1 - beta(t) dt) x = x - beta(t) dt/2 x + "
               "o(dt) (001:602 writes '=' for this first-order expansion)."),
    _c("001.dm.euler_noise_as_printed", ["001:608"], _euler_noise_as_printed, theorem="sde.vp",
       meaning="Dividing the previous line by Delta_t: the noise term sqrt(beta(t) Delta_t) N / Delta_t = sqrt(beta(t))"
               "/sqrt(Delta_t) N. Printed sqrt(beta_t)/sqrt(Delta_t), and the slide set beta_t = beta(t) Delta_t, "
               "which gives sqrt(beta(t)): a factor sqrt(Delta_t) too large (a subscript for a function argument)."
               " Judgement: slip (beta_t for beta(t); lines 591 and 598 fix it).",
       corrected=r"\frac{\mathbf{x}_t - \mathbf{x}_{t-1}}{\Delta t} \approx -\frac{\beta(t)}{2}\mathbf{x}_{t-1} + "
                 r"\frac{\sqrt{\beta(t)}}{\sqrt{\Delta t}} \mathcal{N}(0, \mathbf{I})"),
    _c("001.dm.vp_sde_limit", ["001:612", "001:623"], _vp_limit, theorem="sde.vp",
       meaning="The DDPM chain with beta_t = beta(t) dt tends to dx = -1/2 beta x dt + sqrt(beta) dw: the chain's "
               "mean and second-moment rates converge to those of the SDE (Ito)."),
    _c("001.dm.score_model", ["001:649"], kind="notation", meaning="The learned score approximates the true score."),
    _c("001.dm.reverse_vp_sampler", ["001:653", "001:657"], _reverse_vp_algebra, theorem="sde.euler_maruyama",
       meaning="Reverse VP SDE with s_theta: drift -1/2 beta (x + 2 s); its Euler-Maruyama step from t to t - dt "
               "is x + 1/2 beta (x + 2 s) dt + sqrt(beta dt) N(0, I)."),
    _c("001.dm.pf_ode", ["001:664"], _pf_ode, theorem="sde.probability_flow_ode",
       meaning="dx = [f - 1/2 g^2 grad log p_t] dt has the marginals p_t of the SDE: checked by the continuity "
               "equation with the exact VP marginals."),
    _c("001.dm.ode_integral_form", ["001:668"], _integral_form,
       meaning="The ODE solution in integral form x(t) = x(0) + int_0^t h(x(tau), tau) dtau (checked on a test ODE)."),
    _c("001.dm.pf_ode_as_printed", ["001:678"], _pf_ode_as_printed, theorem="sde.probability_flow_ode",
       meaning="'The probability flow ODE' printed with g^2 instead of 1/2 g^2 (s_theta = exact score): the "
               "continuity residual of the VP marginals does not vanish. (The next line, with f = -1/2 beta x, "
               "g^2 = beta, uses the correct 1/2.)"
               " Judgement: slip (a dropped 1/2; the next line, line 682, has it).",
       corrected=r"d\mathbf{x}_t = [f(\mathbf{x}, t) - \frac{1}{2}g(t)^2 s_\theta(\mathbf{x}_t, t)] dt"),
    _c("001.dm.pf_ode_vp", ["001:682", "001:686"], _pf_vp_algebra, theorem="sde.probability_flow_ode",
       meaning="VP PF-ODE: f - 1/2 g^2 s = -1/2 beta (x + s); Euler step from t to t - dt: x + 1/2 beta (x + s) dt."),
    _c("001.dm.sde_pf_plus_langevin", ["001:694"], _sde_split, theorem="sde.pf_ode_plus_langevin",
       meaning="Reverse VP SDE = PF-ODE part -1/2 beta (x + s) dt plus a Langevin part -1/2 beta s dt + sqrt(beta) "
               "dw_bar (the minus before the underbrace read as the sign of its first term; s = grad log q_t)."),
]
