"""000 Lecture 9 (DDPM as a score model, NCSN, guidance) and its build-up slides in seed 003.

Every linked claim computes its true side through the oracle of its registry theorem
(``dgmcheck.theory.*``: score, langevin, ddpm, gaussian_mixture, guidance, latent, linear_gaussian);
the slide's side is transcribed from the formula as written. Shared toy models: Gaussian-mixture data
(exact noised marginals, scores and E[eps|x_t]), a 1-D two-class Gaussian model p(x|y) (the slide's
expressions differentiated by sympy, the true scores from ``theory.guidance``), a 3-state Markov chain
(the diffusion latents enumerated) and random linear-Gaussian reverse chains (the DDPM ELBO in closed form).
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import sympy as sp
from scipy import integrate

from dgmcheck.audit.formulas import Place
from dgmcheck.audit.model import Claim, all_of, imprecise, num_compare, num_equal, points, slip, sym_equal
from dgmcheck.theory import ddpm, guidance, langevin, latent, score
from dgmcheck.theory import linear_gaussian as lg
from dgmcheck.theory.gaussian_mixture import GaussianMixture, posterior_mean_noise

_BETAS = np.linspace(1e-3, 0.2, 12)  # a short schedule; t = 1..12
_A, _ABP = sp.symbols("alpha_t alphabar_prev", positive=True)  # the symbols of dgmcheck.theory.ddpm
_T_ALL = range(1, len(_BETAS) + 1)
_T_KL = range(2, len(_BETAS) + 1)  # beta-tilde_1 = 0: the weights C_1, C_2 need t >= 2


# --------------------------------------------------------------------------------------- helpers
def _sched(t: int) -> dict[str, float]:
    s = ddpm.at(_BETAS, t)
    return {"beta": float(s.beta), "alpha": float(s.alpha), "abar": float(s.alpha_bar),
            "abar_prev": float(s.alpha_bar_prev), "btilde": float(ddpm.posterior(_BETAS, t)[2])}


def _vec(rng: np.random.Generator, d: int = 3) -> np.ndarray:
    return rng.normal(size=d)


def _mix1(weights, means, variances) -> GaussianMixture:
    """A 1-D Gaussian mixture."""
    return GaussianMixture(np.asarray(weights, dtype=float), np.asarray(means, dtype=float)[:, None],
                           np.asarray(variances, dtype=float)[:, None, None])


#: 1-D data for the DDPM score claims: 0.4 N(-1, 0.3) + 0.6 N(1.2, 0.5).
_DATA = _mix1([0.4, 0.6], [-1.0, 1.2], [0.3, 0.5])


def _noised_data(t: int) -> tuple[GaussianMixture, float, float]:
    """q(x_t) for the data _DATA (ddpm.forward_marginal: x_t = sqrt(abar_t) x_0 + sqrt(1-abar_t) eps)."""
    c, v = (float(z) for z in ddpm.forward_marginal(_BETAS, t))
    return _DATA.noised(c, v), c, v


def _eps_star(t: int, x: float, data: GaussianMixture = _DATA) -> float:
    """The optimal noise predictor E[eps | x_t = x] (gaussian_mixture.posterior_mean_noise)."""
    c, v = (float(z) for z in ddpm.forward_marginal(_BETAS, t))
    return float(posterior_mean_noise(data, c, v, np.array([[x]]))[0, 0])


# ------------------------------------------------------------------------- DSM and NCSN (recap)
#: Data of the DSM claims: 0.3 N(-1, 0.3^2) + 0.7 N(1.5, 0.5^2); q(x_sigma|x) = N(x, sigma^2), sigma = 0.7.
_DSM_DATA = _mix1([0.3, 0.7], [-1.0, 1.5], [0.09, 0.25])
_DSM_SIGMA = 0.7


def _dsm_equivalence():
    data, sig = _DSM_DATA, _DSM_SIGMA
    q_sigma = data.noised(1.0, sig**2)
    x, eps, w = score.denoising_rule(data, sig)  # quadrature nodes of E_{p_data(x)} E_{q(x_sigma|x)}
    x_sigma = x + sig * eps

    def model(a, b, c):
        return lambda z: a * z + b + c * np.tanh(z)

    def lhs_minus_rhs(a, b, c):
        s = model(a, b, c)
        explicit = score.explicit_objective(q_sigma, s)  # E_{q(x_sigma)} ||s - grad log q(x_sigma)||^2
        # the slide's right side: E E ||s(x_sigma) - grad log q(x_sigma|x)||^2
        denoising = float(w @ np.sum((s(x_sigma) - score.noise_kernel_score(x_sigma, x, sig)) ** 2, axis=-1))
        return explicit - denoising

    const = -score.dsm_constant(data, sig)  # the theta-free constant of score.dsm_equivalence
    at = [{"a": 0.0, "b": 0.0, "c": 0.0}, {"a": -1.2, "b": 0.3, "c": 0.5}, {"a": 0.4, "b": -0.7, "c": -1.0}]
    return num_equal(lhs_minus_rhs, lambda a, b, c: const, at, rtol=1e-7, atol=1e-8,
                     what="explicit objective - denoising objective (as written) vs -(d/sigma^2 - J(q_sigma)), "
                          "the same for every model a x + b + c tanh x")


def _kernel_score_recap():
    rng = np.random.default_rng(31)
    at = [{"x": _vec(rng), "e": _vec(rng), "sig": float(rng.uniform(0.1, 2.0))} for _ in range(10)]

    def truth(x, e, sig):
        return score.noise_kernel_score(x + sig * e, x, sig)

    return all_of(
        num_equal(lambda x, e, sig: -((x + sig * e) - x) / sig**2, truth, at,
                  what="-(x_sigma - x)/sigma^2 vs grad log N(x_sigma | x, sigma^2 I) (score.noise_kernel_score)"),
        num_equal(lambda x, e, sig: -e / sig, truth, at, what="-eps/sigma at x_sigma = x + sigma eps"))


def _dsm_noise_form():
    # the slide's integrand s(x + sigma eps) + eps/sigma vs s(x_sigma) - grad log q(x_sigma|x), any model value s
    rng = np.random.default_rng(32)
    at = [{"x": _vec(rng), "e": _vec(rng), "s": _vec(rng), "sig": float(rng.uniform(0.1, 2.0))} for _ in range(10)]
    return num_equal(lambda x, e, s, sig: s + e / sig,
                     lambda x, e, s, sig: s - score.noise_kernel_score(x + sig * e, x, sig), at,
                     what="s + eps/sigma vs s - grad log q(x_sigma|x) at x_sigma = x + sigma eps")


def _slide_langevin_map(C, m, eta):
    """The slide's step x' = x + (eta/2) s(x) + sqrt(eta) eps with s the exact score -C^{-1}(x - m) of the
    target N(m, C) is affine: x' = M x + c + sqrt(eta) eps. Returns (M, c)."""
    P = np.linalg.inv(C)
    return np.eye(len(m)) - 0.5 * eta * P, 0.5 * eta * P @ m


def _slide_langevin_law(mu, S, C, m, eta):
    """The law of the slide's step for x ~ N(mu, S): the step is affine in x, so x' is Gaussian."""
    M, c = _slide_langevin_map(C, m, eta)
    return M @ mu + c, M @ S @ M.T + eta * np.eye(len(m))


_ULA_C = np.array([[1.7, 0.3], [0.3, 0.9]])
_ULA_M = np.array([0.5, -1.0])


def _ula_check():
    C, m = _ULA_C, _ULA_M
    at = [{"eta": e} for e in (0.2, 0.05, 0.01, 0.001)]

    def oracle(eta):
        mean, S = langevin.ula_stationary(C, m, eta)
        return np.concatenate([mean, S.ravel()])

    def after_slide_step(eta):
        mean, S = langevin.ula_stationary(C, m, eta)
        mean2, S2 = _slide_langevin_law(mean, S, C, m, eta)
        return np.concatenate([mean2, S2.ravel()])

    stationary = num_equal(after_slide_step, oracle, at,
                           what="the slide's step maps the stationary law of langevin.ula_stationary to itself")
    bias = num_compare(lambda eta: float(np.linalg.norm(langevin.ula_stationary(C, m, eta)[1] - C, 2)), "<=",
                       lambda eta: eta / 2, at,
                       what="||stationary cov - target cov||_2 <= eta/2 (an O(eta) bias -> 0 as eta -> 0)")
    return all_of(stationary, bias)


_NCSN_M, _NCSN_C = np.array([0.4]), np.array([[0.6]])  # Gaussian data N(0.4, 0.6)
_NCSN_SIGMAS = langevin.geometric_sigmas(0.1, 3.0, 6)
_NCSN_L = 1000


def _annealed_langevin():
    m, C, sigmas, L = _NCSN_M, _NCSN_C, _NCSN_SIGMAS, _NCSN_L
    eye = np.eye(len(m))

    def slide_chain(eps):
        # x ~ N(0, sigma_T^2 I); for sigma_T, ..., sigma_1: L steps of the slide's update on
        # q_sigma_t = N(m, C + sigma_t^2 I)
        mu, S = np.zeros(len(m)), sigmas[-1] ** 2 * eye
        down = sigmas[::-1]
        for s, eta in zip(down, langevin.ncsn_step_sizes(down, eps), strict=True):
            M, c = _slide_langevin_map(C + s**2 * eye, m, float(eta))  # the same step L times: map built once
            noise = float(eta) * eye
            for _ in range(L):
                mu, S = M @ mu + c, M @ S @ M.T + noise
        return np.concatenate([mu, S.ravel()])

    def oracle(eps):
        mu, S = langevin.ncsn_sampling_moments(m, C, sigmas, eps, L)
        return np.concatenate([mu, S.ravel()])

    at = [{"eps": e} for e in (0.02, 0.005)]
    exact = num_equal(slide_chain, oracle, at,
                      what="law of the slide's annealed chain vs langevin.ncsn_sampling_moments")
    target = np.concatenate([m, (C + sigmas[0] ** 2 * eye).ravel()])
    close = num_compare(lambda eps: float(np.max(np.abs(oracle(eps) - target))), "<=", lambda eps: eps, at,
                        what="output law vs q(x_1) = N(m, C + sigma_1^2 I): error <= eta_1 = eps (O(eta) bias)")
    return all_of(exact, close)


# ------------------------------------------------------------------------- DDPM forward / reverse
def _forward_marginal():
    def composed(t):
        c, v = 1.0, 0.0
        for b in _BETAS[:t]:
            c, v = np.sqrt(1 - b) * c, (1 - b) * v + b
        return np.array([c, v])

    return num_equal(composed, lambda t: np.array(ddpm.forward_marginal(_BETAS, t)),
                     [{"t": t} for t in _T_ALL],
                     what="(mean coefficient, variance) of the composed chain vs (sqrt(abar_t), 1 - abar_t)")


def _reverse_gaussian_as_beta_small():
    # q(x_{t-1}) = 0.5 N(-1, 0.05) + 0.5 N(1, 0.05); x_t = sqrt(1-b) x_{t-1} + sqrt(b) eps; x_t = 0.3.
    # Bayes gives q(x_{t-1}|x_t) exactly (a 2-component mixture); its KL to the moment-matched
    # Gaussian is the error of the Gaussian approximation and must vanish as beta -> 0.
    w, m, v, xt = np.array([0.5, 0.5]), np.array([-1.0, 1.0]), 0.05, 0.3

    def kl_to_gaussian(beta):
        a = 1 - beta
        prec = a / beta + 1 / v
        pv = 1 / prec
        pm = pv * (np.sqrt(a) * xt / beta + m / v)
        lw = np.log(w) - (xt - np.sqrt(a) * m) ** 2 / (2 * (beta + a * v)) - 0.5 * np.log(beta + a * v)
        r = np.exp(lw - lw.max())
        r /= r.sum()
        mean = float(r @ pm)
        var = float(r @ (pv + pm**2)) - mean**2

        def post(x):
            return float(np.sum(r * np.exp(-(x - pm) ** 2 / (2 * pv)) / np.sqrt(2 * np.pi * pv)))

        def integrand(x):
            p = post(x)
            g = np.exp(-(x - mean) ** 2 / (2 * var)) / np.sqrt(2 * np.pi * var)
            return p * (np.log(p) - np.log(g)) if p > 0 else 0.0

        sd = np.sqrt(var)
        return integrate.quad(integrand, mean - 12 * sd, mean + 12 * sd, limit=200, epsabs=1e-14)[0]

    kls = {b: kl_to_gaussian(b) for b in (0.3, 0.1, 0.01, 0.001)}
    pairs = [{"big": 0.3, "small": 0.1}, {"big": 0.1, "small": 0.01}, {"big": 0.01, "small": 0.001}]
    decreasing = num_compare(lambda big, small: kls[small], "<", lambda big, small: kls[big], pairs,
                             what="KL(q(x_{t-1}|x_t) || moment-matched Gaussian) shrinks with beta")
    small = num_compare(lambda: kls[0.001], "<", lambda: 1e-4, [{}], what="KL at beta = 1e-3")
    return all_of(decreasing, small)


def _posterior_variance():
    d, c = ddpm.derive_posterior(), ddpm.closed_form_posterior()
    return all_of(sym_equal(d["var"], c["var"], what="posterior variance = beta-tilde"),
                  sym_equal(d["coef_x0"], c["coef_x0"], what="x0 coefficient of mu-tilde"),
                  sym_equal(d["coef_xt"], c["coef_xt"], what="x_t coefficient of mu-tilde"))


@functools.cache
def _diffusion_chain() -> dict[str, object]:
    """A 3-state chain with T = 3: random forward kernels Q_t, reverse kernels P_t and prior p(x_T), with
    the diffusion latents z = x_{1:T} enumerated (27 states) as a discrete latent variable model:
    p(z) = p(x_T) prod_{t>=2} P_t(x_{t-1}|x_t), p(x_0|z) = P_1(x_0|x_1), q(z|x_0) = prod_t Q_t(x_t|x_{t-1})."""
    rng = np.random.default_rng(3)
    K, T = 3, 3
    Q = [rng.dirichlet(np.ones(K), size=K) for _ in range(T)]  # Q[t-1][x_{t-1}, x_t]
    P = [rng.dirichlet(np.ones(K), size=K) for _ in range(T)]  # P[t-1][x_t, x_{t-1}]
    prior = rng.dirichlet(np.ones(K))
    zs = list(itertools.product(range(K), repeat=T))  # z = (x_1, ..., x_T)
    prior_z = np.array([prior[z[-1]] * np.prod([P[t][z[t], z[t - 1]] for t in range(1, T)]) for z in zs])
    lik = np.array([[P[0][z[0], x0] for x0 in range(K)] for z in zs])  # lik[z, x_0]

    def q_z(x0):
        return np.array([np.prod([Q[t][(x0, *z)[t], z[t]] for t in range(T)]) for z in zs])

    return {"prior_z": prior_z, "lik": lik, "q": {x0: q_z(x0) for x0 in range(K)}, "K": K}


def _elbo_bound():
    ch = _diffusion_chain()
    at = [{"x0": x0} for x0 in range(ch["K"])]
    return num_compare(lambda x0: latent.disc_log_marginal(ch["prior_z"], ch["lik"], x0), ">=",
                       lambda x0: latent.disc_elbo(ch["prior_z"], ch["lik"], x0, ch["q"][x0]), at,
                       what="log p(x_0) >= E_q log p(x_0, z)/q(z|x_0), z = x_{1:3} (latent.disc_*, enumeration)")


@functools.cache
def _linear_chains() -> list[dict[str, object]]:
    """Random linear-Gaussian reverse chains p(x_{t-1}|x_t) = N(a_t x_t + b_t, v_t), d = 2, T = 12."""
    rng = np.random.default_rng(17)
    T = len(_BETAS)
    out = []
    for _ in range(3):
        chain = lg.LinearReverseChain(a=rng.uniform(0.5, 1.2, (T, 2)), b=rng.normal(0, 0.3, (T, 2)),
                                      v=rng.uniform(0.01, 0.3, (T, 2)), prior_mean=rng.normal(0, 0.3, 2),
                                      prior_var=rng.uniform(0.5, 1.5, 2))
        out.append({"chain": chain, "x0": rng.normal(0, 1, 2)})
    return out


def _elbo_decomposition():
    chains = _linear_chains()
    at = [{"i": i} for i in range(len(chains))]

    def slide(i):  # recon - KL(q(x_T|x_0) || p(x_T)) - sum_{t=2}^T L_t, the terms in closed form
        terms = lg.elbo_terms(chains[i]["chain"], _BETAS, chains[i]["x0"])
        return terms.reconstruction - terms.prior_kl - float(np.sum(terms.diffusion_kls))

    return num_equal(slide, lambda i: lg.elbo(chains[i]["chain"], _BETAS, chains[i]["x0"]), at,
                     what="recon - prior KL - sum_t L_t vs E_q log p(x_{0:T})/q(x_{1:T}|x_0) (linear_gaussian.elbo)")


def _kl_same_variance():
    rng = np.random.default_rng(5)
    at = [{"m1": _vec(rng), "m2": _vec(rng), "bt": float(rng.uniform(0.01, 1))} for _ in range(10)]
    return num_equal(lambda m1, m2, bt: float(np.sum((m1 - m2) ** 2) / (2 * bt)),
                     lambda m1, m2, bt: lg.gaussian_kl(m1, bt, m2, bt), at,
                     what="||mu1 - mu2||^2 / (2 bt) vs KL(N(mu1, bt I) || N(mu2, bt I)) (linear_gaussian.gaussian_kl)")


def _eps_mean():
    # the slide: mu-tilde = x_t/sqrt(a) - (1-a)/sqrt(a(1-abar)) eps; the truth: the posterior mean
    # c_0 x_0 + c_t x_t (ddpm.posterior) at x_0 = (x_t - sqrt(1-abar) eps)/sqrt(abar).
    rng = np.random.default_rng(6)
    at = [{"t": t, "xt": _vec(rng), "e": _vec(rng)} for t in _T_ALL]

    def slide(t, xt, e):
        s = _sched(t)
        return xt / np.sqrt(s["alpha"]) - (1 - s["alpha"]) / np.sqrt(s["alpha"] * (1 - s["abar"])) * e

    def posterior_mean(t, xt, e):
        c0, ct, _ = ddpm.posterior(_BETAS, t)
        ab = ddpm.at(_BETAS, t)
        x0 = (xt - np.sqrt(ab.one_minus_alpha_bar) * e) / np.sqrt(ab.alpha_bar)
        return c0 * x0 + ct * xt

    def eps_form(t, xt, e):
        cx, ce = ddpm.eps_mean(_BETAS, t)
        return cx * xt + ce * e

    return all_of(num_equal(slide, posterior_mean, at, what="slide's mu-tilde vs posterior mean at x_0(x_t, eps)"),
                  num_equal(slide, eps_form, at, what="slide's mu-tilde vs ddpm.eps_mean"))


def _eps_form_mu():
    # the slide's coefficients of x_t and eps_theta in mu_theta vs ddpm.eps_mean, and mu-tilde's eps form
    at = [{"t": t} for t in _T_ALL]

    def slide(t):
        s = _sched(t)
        return np.array([1 / np.sqrt(s["alpha"]), -(1 - s["alpha"]) / np.sqrt(s["alpha"] * (1 - s["abar"]))])

    return all_of(num_equal(slide, lambda t: np.array(ddpm.eps_mean(_BETAS, t)), at,
                            what="coefficients of x_t and eps_theta in mu_theta vs ddpm.eps_mean"), _eps_mean())


def _loss_weight():
    ab = _A * _ABP
    btilde = ddpm.closed_form_posterior()["var"]
    slide = (1 - _A) ** 2 / (2 * btilde * _A * (1 - ab))
    return sym_equal(ddpm.derive_loss_weight(), slide, what="||mu-tilde - mu_theta||^2/(2 bt) / ||eps - eps_theta||^2")


# ------------------------------------------------------------------------- DDPM objective as DSM
def _weights_at(rng: np.random.Generator) -> list[dict[str, object]]:
    return [{"t": t, "e": _vec(rng), "et": _vec(rng)} for t in _T_KL]


def _u(t: int) -> float:
    """sqrt(1 - abar_t) (ddpm.forward_marginal)."""
    return float(np.sqrt(ddpm.forward_marginal(_BETAS, t)[1]))


def _c1_to_c2():
    # 000:3184 with C_1 the ELBO weight (ddpm.loss_weight) and C_2 = (1-abar_t) C_1 (ddpm.dsm_weight)
    at = _weights_at(np.random.default_rng(7))
    return num_equal(lambda t, e, et: float(ddpm.loss_weight(_BETAS, t)) * np.sum((et - e) ** 2),
                     lambda t, e, et: float(ddpm.dsm_weight(_BETAS, t)) * np.sum((et / _u(t) - e / _u(t)) ** 2), at,
                     what="C_1 ||eps_theta - eps||^2 vs C_2 ||eps_theta/sqrt(1-abar) - eps/sqrt(1-abar)||^2")


def _c1_to_c2_explicit():
    # 003:126: both weights as printed, (1-a)^2/(2 bt a (1-abar)) and (1-a)^2/(2 bt a)
    at = _weights_at(np.random.default_rng(8))

    def w1(t):
        s = _sched(t)
        return (1 - s["alpha"]) ** 2 / (2 * s["btilde"] * s["alpha"] * (1 - s["abar"]))

    def w2(t):
        s = _sched(t)
        return (1 - s["alpha"]) ** 2 / (2 * s["btilde"] * s["alpha"])

    tt = [{"t": t} for t in _T_KL]
    return all_of(
        num_equal(w1, lambda t: float(ddpm.loss_weight(_BETAS, t)), tt, what="first weight vs C_1 (ddpm.loss_weight)"),
        num_equal(w2, lambda t: float(ddpm.dsm_weight(_BETAS, t)), tt, what="second weight vs C_2 (ddpm.dsm_weight)"),
        num_equal(lambda t, e, et: w1(t) * np.sum((et - e) ** 2),
                  lambda t, e, et: w2(t) * np.sum((et / _u(t) - e / _u(t)) ** 2), at,
                  what="the two lines of 003:126 at random eps, eps_theta"))


def _lt_as_dsm():
    # 000:3194: C_2 ||s_theta - grad log q(x_t|x_0)||^2 with s_theta = -eps_theta/sqrt(1-abar) (score_from_eps)
    # and the kernel score of q(x_t|x_0) = N(sqrt(abar) x_0, (1-abar) I) at x_t = sqrt(abar) x_0 + sqrt(1-abar) eps.
    rng = np.random.default_rng(9)
    at = [dict(p, x0=_vec(rng)) for p in _weights_at(rng)]

    def ddpm_loss(t, e, et, x0):
        return float(ddpm.loss_weight(_BETAS, t)) * np.sum((et - e) ** 2)

    def slide(t, e, et, x0):
        c, v = (float(z) for z in ddpm.forward_marginal(_BETAS, t))
        kernel = GaussianMixture(np.ones(1), (c * x0)[None, :], v * np.eye(3)[None])
        s_theta = float(ddpm.score_from_eps(_BETAS, t)) * et
        return float(ddpm.dsm_weight(_BETAS, t)) * np.sum((s_theta - kernel.score(c * x0 + np.sqrt(v) * e)) ** 2)

    return num_equal(slide, ddpm_loss, at,
                     what="C_2 ||s_theta - grad log q(x_t|x_0)||^2 vs L_t = C_1 ||eps_theta - eps||^2")


def _kernel_score():
    rng = np.random.default_rng(10)
    at = [{"t": t, "x0": _vec(rng), "e": _vec(rng)} for t in _T_ALL]

    def parts(t, x0, e):
        c, v = (float(z) for z in ddpm.forward_marginal(_BETAS, t))
        return c, v, c * x0 + np.sqrt(v) * e

    def truth(t, x0, e):  # grad of log N(x_t; sqrt(abar) x_0, (1-abar) I)
        c, v, xt = parts(t, x0, e)
        return GaussianMixture(np.ones(1), (c * x0)[None, :], v * np.eye(3)[None]).score(xt)

    def line1(t, x0, e):
        c, v, xt = parts(t, x0, e)
        return -(xt - c * x0) / v

    def line2(t, x0, e):
        return -e / np.sqrt(parts(t, x0, e)[1])

    return all_of(
        num_equal(line1, truth, at, what="-(x_t - sqrt(abar) x_0)/(1-abar) vs grad log q(x_t|x_0)"),
        num_equal(line2, truth, at, what="-eps/sqrt(1-abar) vs grad log q(x_t|x_0)"),
        num_equal(line2, lambda t, x0, e: float(ddpm.score_from_eps(_BETAS, t)) * e, at,
                  what="-eps/sqrt(1-abar) vs ddpm.score_from_eps * eps"))


_TX = [{"t": t, "x": x} for t in (1, 4, 8, 12) for x in (-2.5, -0.7, 0.3, 1.9)]


def _score_from_eps_as_printed():
    # at the optimum eps_theta = E[eps|x_t]: the printed s = +eps_theta/sqrt(1-abar) vs grad log q(x_t)
    written = num_equal(lambda t, x: _eps_star(t, x) / _u(t),
                        lambda t, x: float(_noised_data(t)[0].score(np.array([[x]]))[0, 0]), _TX,
                        what="E[eps|x_t]/sqrt(1-abar_t) vs grad log q(x_t) (mixture data, exact)")
    return slip(written, _tweedie_score(),
                evidence=(_p("000", "L9", "DDPM Objective", 3188)[0], _p("003", "L9", "DDPM Objective", 154)[0],
                          _p("000", "L9", "DDPM Objective", 3194)[0]),
                why="a dropped minus sign: two lines above, grad log q(x_t|x_0) = -eps/sqrt(1-abar_t), and the next "
                    "line matches s_theta,t to that gradient, so s_theta,t = -eps_theta,t/sqrt(1-abar_t)")


def _tweedie_score():
    return num_equal(lambda t, x: float(ddpm.score_from_eps(_BETAS, t)) * _eps_star(t, x),
                     lambda t, x: float(_noised_data(t)[0].score(np.array([[x]]))[0, 0]), _TX,
                     what="-E[eps|x_t]/sqrt(1-abar_t) (ddpm.score_from_eps) vs grad log q(x_t) (mixture data)")


def _lt_as_dsm_003():
    # 003:174: the weight (1-a)^2/(2 bt a) must be C2 = (1 - abar) * loss weight (dgmcheck.theory.ddpm.dsm_weight).
    def slide(t):
        s = _sched(t)
        return (1 - s["alpha"]) ** 2 / (2 * s["btilde"] * s["alpha"])
    return all_of(_lt_as_dsm(), num_equal(slide, lambda t: float(ddpm.dsm_weight(_BETAS, t)), [{"t": t} for t in _T_KL],
                                          what="(1-a)^2/(2 bt a) vs C2 = (1-abar) C1"))


# ------------------------------------------------------------------------- DDPM sampling
def _score_step_identity():
    # 1/sqrt(a) x - (1-a)/sqrt(a(1-abar)) e_theta with e_theta = -sqrt(1-abar) s  ==  x/sqrt(1-b) + b/sqrt(1-b) s
    x, s = sp.symbols("x_t s", real=True)
    b, u = sp.symbols("beta_t u", positive=True)  # u = sqrt(1 - abar_t)
    a = 1 - b
    eps_form = x / sp.sqrt(a) - (1 - a) / (sp.sqrt(a) * u) * (-u * s)
    score_form = x / sp.sqrt(1 - b) + b / sp.sqrt(1 - b) * s
    dom = {"beta_t": (0.001, 0.5), "u": (0.1, 0.99)}
    return all_of(sym_equal(eps_form, score_form, domains=dom, what="eps-form vs score-form of mu_theta"),
                  sym_equal(ddpm.derive_score_step(), 0, what="dgmcheck.theory.ddpm.derive_score_step"))


def _ancestral_exact_gaussian():
    # Gaussian data N(0.4, 0.6): the step x_{t-1} = mu(x_t) + sigma_t eps with the exact reverse conditionals
    # (linear_gaussian.true_reverse_chain), started at q(x_T), run for T steps (linear_gaussian.sampler_law).
    m, s2 = 0.4, 0.6
    mean, var = lg.sampler_law(lg.true_reverse_chain(_BETAS, m, s2))
    return num_equal(lambda: np.array([mean[0], var[0]]), lambda: np.array([m, s2]), [{}],
                     what="(mean, var) of x_0 after T ancestral steps vs the data law")


# ------------------------------------------------------------------------------------- guidance
def _two_class_model():
    """p(y) = (0.3, 0.7), p(x|y) = N(m_y, v_y): the slide's expressions (sympy) for y = 1, and the same
    model as a GaussianMixture whose classes are its components (for the oracles of theory.guidance)."""
    x = sp.Symbol("x", real=True)
    w, m, v = (sp.Rational(3, 10), sp.Rational(7, 10)), (-1, sp.Rational(3, 2)), (sp.Rational(1, 2), 2)
    comp = [sp.exp(-(x - m[k]) ** 2 / (2 * v[k])) / sp.sqrt(2 * sp.pi * v[k]) for k in range(2)]
    p_x = w[0] * comp[0] + w[1] * comp[1]
    p_x_given_y, p_y = comp[1], w[1]
    p_y_given_x = p_y * p_x_given_y / p_x

    def grad_log(expr):
        return sp.lambdify(x, sp.diff(sp.log(expr), x), "numpy")

    mix = _mix1([0.3, 0.7], [-1.0, 1.5], [0.5, 2.0])

    def oracle(f):
        return lambda x: float(np.asarray(f(np.array([[x]]))).ravel()[0])

    return {"x": x, "p_x": p_x, "p_x_y": p_x_given_y, "p_y": p_y, "p_y_x": p_y_given_x,
            # the slide's objects, differentiated as written
            "s": grad_log(p_x), "s_y": grad_log(p_x_given_y), "cls": grad_log(p_y_given_x), "grad_log": grad_log,
            # the oracles (theory.guidance, theory.gaussian_mixture), class y = 1
            "mix": mix,
            "true_s": oracle(mix.score),
            "true_s_y": oracle(lambda z: guidance.component_score(mix, z, 1)),
            "true_cls": oracle(lambda z: guidance.classifier_gradient(mix, z, 1)),
            "guided": lambda xv, gam: float(guidance.guided_score(mix, np.array([[xv]]), 1, gam)[0, 0])}


_GUIDE = None


def _guide():
    global _GUIDE
    if _GUIDE is None:
        _GUIDE = _two_class_model()
    return _GUIDE


_XS = points(15, seed=9, x=(-4.0, 4.0))


def _classifier_guidance_chain():
    g = _guide()
    bayes = g["grad_log"](g["p_x"] * g["p_y_x"] / g["p_y"])
    truth = g["true_s_y"]  # grad log p(x|y) (guidance.component_score)
    return all_of(
        num_equal(bayes, truth, _XS, what="grad log(p(x) p(y|x)/p(y)) vs grad log p(x|y)"),
        num_equal(lambda x: g["s"](x) + g["cls"](x), truth, _XS,
                  what="grad log p(x) + grad log p(y|x) vs grad log p(x|y)"),
        num_equal(lambda x: g["true_s"](x) + g["cls"](x), truth, _XS,
                  what="s(x) + grad log p(y|x), s = grad log p(x), vs grad log p(x|y)"))


def _guided_score_sum():
    g = _guide()
    return num_equal(lambda x: g["s"](x) + g["cls"](x), g["true_s_y"], _XS,
                     what="s(x) + grad log p(y|x) vs s(x, y) = grad log p(x|y) (guidance.component_score)")


def _scaled_chain(with_z: bool = True):
    g = _guide()
    gam, z = sp.Rational(5, 2), sp.Rational(27, 10)
    truth = lambda x: g["guided"](x, float(gam))  # noqa: E731  the score of p(x) p(y|x)^gamma (guidance.guided_score)
    powered = g["grad_log"](g["p_y_x"] ** gam)
    parts = [num_equal(lambda x: g["s"](x) + float(gam) * g["cls"](x), truth, _XS,
                       what="grad log p(x) + gamma grad log p(y|x) vs guided score (gamma = 5/2)"),
             num_equal(lambda x: g["s"](x) + powered(x), truth, _XS,
                       what="grad log p(x) + grad log p(y|x)^gamma vs guided score")]
    if with_z:
        line3 = g["grad_log"](g["p_x"] * g["p_y_x"] ** gam / z)
        parts.append(num_equal(line3, truth, _XS, what="grad log(p(x) p(y|x)^gamma / Z), Z = 2.7, vs guided score"))
    return all_of(*parts)


#: three classes for the sharpening claim: 0.2 N(-2, 0.6) + 0.5 N(0, 1) + 0.3 N(2.5, 0.8)
_GM3 = _mix1([0.2, 0.5, 0.3], [-2.0, 0.0, 2.5], [0.6, 1.0, 0.8])


def _sharpening():
    gammas = [0.5, 1.0, 1.5, 2.0, 3.0, 5.0]
    xs = np.array([[-2.5], [-0.8], [0.4], [1.3], [3.0]])
    post = np.stack([np.exp(guidance.log_class_posterior(_GM3, xs, k)) for k in range(3)], axis=1)  # p(y|x)

    def entropy(g):  # of p-hat(.|x) = p(.|x)^gamma / sum_y p(y|x)^gamma, the largest over the x's
        q = post**g / np.sum(post**g, axis=1, keepdims=True)
        return -np.sum(q * np.log(q), axis=1)

    pairs = [{"g1": gammas[i], "g2": gammas[i + 1]} for i in range(len(gammas) - 1)]
    sharper = num_compare(lambda g1, g2: float(np.max(entropy(g2) - entropy(g1))), "<=", lambda g1, g2: 0.0, pairs,
                          what="entropy of p-hat(y|x) ∝ p(y|x)^gamma is non-increasing in gamma (5 points x)")
    tilted = {g: guidance.tilted_moments(_GM3, 2, g) for g in gammas}
    confident = all_of(*(num_compare(lambda g1, g2, key=key: tilted[g2][key], ">=",
                                     lambda g1, g2, key=key: tilted[g1][key], pairs,
                                     what=f"{key} under p_gamma(x|y) ∝ p(x) p(y|x)^gamma is non-decreasing")
                         for key in ("mean_log_post", "mean_post")))
    return all_of(sharper, confident)


def _cfg_bayes():
    g = _guide()
    line1 = g["grad_log"](g["p_x_y"] * g["p_y"] / g["p_x"])
    truth = g["true_cls"]  # guidance.classifier_gradient
    return all_of(num_equal(g["cls"], truth, _XS,
                            what="grad log p(y|x) (differentiated) vs guidance.classifier_gradient"),
                  num_equal(line1, truth, _XS, what="grad log(p(x|y)p(y)/p(x)) vs grad log p(y|x)"),
                  num_equal(lambda x: g["s_y"](x) - g["s"](x), truth, _XS,
                            what="grad log p(x|y) - grad log p(x) vs grad log p(y|x)"))


def _cfg_chain(final: bool = True):
    g = _guide()
    out = []
    for gam in (0.5, 3.0, 7.5):
        truth = lambda x, gam=gam: g["guided"](x, guidance.cfg_gamma(gam, "w"))  # noqa: E731
        out.append(num_equal(lambda x, gam=gam: g["s"](x) + gam * g["cls"](x), truth, _XS,
                             what=f"gamma = {gam}: s(x) + gamma grad log p(y|x) vs guided score"))
        out.append(num_equal(lambda x, gam=gam: g["s"](x) + gam * (g["s_y"](x) - g["s"](x)), truth, _XS,
                             what=f"gamma = {gam}: s(x) + gamma (grad log p(x|y) - s(x)) vs guided score"))
        if final:
            out.append(num_equal(lambda x, gam=gam: (1 - gam) * g["s"](x) + gam * g["s_y"](x), truth, _XS,
                                 what=f"gamma = {gam}: (1-gamma) s(x) + gamma grad log p(x|y) vs guided score"))
    return all_of(*out)


def _cfg_score_models():
    g = _guide()
    out = []
    for gam in (0.5, 3.0, 7.5):
        truth = lambda x, gam=gam: g["guided"](x, guidance.cfg_gamma(gam, "w"))  # noqa: E731
        out.append(num_equal(lambda x, gam=gam: g["s"](x) + gam * g["cls"](x), truth, _XS,
                             what=f"gamma = {gam}: s^gamma as defined (000:3384) vs guided score"))
        out.append(num_equal(lambda x, gam=gam: (1 - gam) * g["s"](x) + gam * g["s_y"](x), truth, _XS,
                             what=f"gamma = {gam}: (1-gamma) s(x) + gamma s(x, y) vs guided score"))
    return all_of(*out)


def _convex_combination():
    g = _guide()
    xs = [p["x"] for p in _XS]

    def outside_segment(gam):  # how far the score used at inference leaves the segment [s(x), s(x, y)]
        worst = 0.0
        for x in xs:
            su, sc, used = g["true_s"](x), g["true_s_y"](x), g["guided"](x, guidance.cfg_gamma(gam, "w"))
            worst = max(worst, min(su, sc) - used, used - max(su, sc))
        return worst

    def within(gammas):
        return num_compare(outside_segment, "<=", lambda gam: 0.0, [{"gam": v} for v in gammas],
                           what="the guided score lies between s(x) and s(x, y) at 15 points x")

    def off_line(gam):  # how far the score used at inference is from the affine combination (1-gamma) s + gamma s_y
        return max(abs(g["guided"](x, guidance.cfg_gamma(gam, "w"))
                       - ((1 - gam) * g["true_s"](x) + gam * g["true_s_y"](x))) for x in xs)

    affine = all_of(num_compare(off_line, "<=", lambda gam: 1e-9, [{"gam": v} for v in (3.0, 7.5)],
                                what="the guided score at inference is the affine combination (1-gamma) s(x) + "
                                     "gamma s(x, y) (weights sum to 1) at 15 points x"),
                    within((0.0, 0.3, 0.7, 1.0)))
    return imprecise(within((3.0, 7.5)), affine, evidence=(_GAMMA_EXAMPLE[0], _SCALE_UP[0]),
                     why="'convex combination' names the wrong object at the lecture's guidance scales (gamma = 3 in "
                         "the text-guidance example, 'scale up' the guidance): (1-gamma) s + gamma s(x_t, y) is an "
                         "affine combination, weights summing to 1, that extrapolates beyond s(x_t, y) for gamma > 1 "
                         "(checked; convex only for 0 <= gamma <= 1, also checked)")


_GAMMA_EXAMPLE = (Place("000", "L9", "Text Guidance", 3305),)
_SCALE_UP = (Place("000", "L9", "Guidance Scale", 3382),)


def _scaled_is_not_true_score():
    g = _guide()

    def gap(gam):
        return max(abs(g["s"](p["x"]) + gam * g["cls"](p["x"]) - g["true_s_y"](p["x"])) for p in _XS)

    # the slide's gamma scales the guidance up (3382; the lecture's example uses gamma = 3): gamma = 1 is the
    # unscaled guided score itself, which the statement is not about
    return num_compare(gap, ">", lambda gam: 1e-3, [{"gam": 1.5}, {"gam": 3.0}, {"gam": 7.5}],
                       what="scaled-up guidance gamma > 1: max_x |s^gamma(x, y) - s(x, y)| on 15 points (two-class "
                            "model)")


# guided sampling steps: the noised two-class data at step t, q_t = sum_k w_k N(sqrt(abar) m_k, abar v_k + 1 - abar)
_STEP_AT = [{"t": t, "x": x} for t in (2, 6, 12) for x in (-2.0, -0.4, 0.9, 2.2)]


def _class_component(k: int) -> GaussianMixture:
    mix = _guide()["mix"]
    return GaussianMixture(np.ones(1), mix.means[k:k + 1], mix.covs[k:k + 1])


def _eps_form_step(t: int, x: float, eps_hat: float) -> float:
    """mu_theta,t(x_t) of the eps form (ddpm.eps_mean) with the noise prediction eps_hat."""
    cx, ce = (float(c) for c in ddpm.eps_mean(_BETAS, t))
    return cx * x + ce * eps_hat


def _conditional_step():
    # 000:3350: the score-form step with grad log p(x_t|y) (guidance.component_score of q_t) vs the eps-form step
    # of the conditional model with eps_hat = E[eps | x_t, y] (gaussian_mixture.posterior_mean_noise of class y = 1).
    mix = _guide()["mix"]

    def slide(t, x):
        b = _sched(t)["beta"]
        c, v = (float(z) for z in ddpm.forward_marginal(_BETAS, t))
        cond_score = float(guidance.component_score(mix.noised(c, v), np.array([[x]]), 1)[0, 0])
        return x / np.sqrt(1 - b) + b / np.sqrt(1 - b) * cond_score

    def slide_coef(t, x):
        b = _sched(t)["beta"]
        return np.array([1 / np.sqrt(1 - b), b / np.sqrt(1 - b)])

    coef = num_equal(slide_coef,
                     lambda t, x: np.array(ddpm.score_step(_BETAS, t)), _STEP_AT,
                     what="coefficients 1/sqrt(1-beta), beta/sqrt(1-beta) vs ddpm.score_step")
    step = num_equal(slide, lambda t, x: _eps_form_step(t, x, _eps_star(t, x, _class_component(1))), _STEP_AT,
                     what="score-form step with grad log p(x_t|y) vs eps-form step with E[eps|x_t, y]")
    return all_of(coef, step)


def _guided_step(alpha_form: bool = False):
    # 000:3415 (003:700 with 1/sqrt(alpha_t)): the score-form step with s^gamma = guidance.guided_score of q_t vs the
    # eps-form step with the same affine combination of the noise predictions, (1-gamma) eps_u + gamma eps_c.
    mix = _guide()["mix"]
    out = []
    for gam in (0.5, 3.0):
        def slide(t, x, gam=gam):
            s = _sched(t)
            c, v = (float(z) for z in ddpm.forward_marginal(_BETAS, t))
            q_t = mix.noised(c, v)
            s_gamma = float(guidance.guided_score(q_t, np.array([[x]]), 1, guidance.cfg_gamma(gam, "w"))[0, 0])
            x_coef = 1 / np.sqrt(s["alpha"]) if alpha_form else 1 / np.sqrt(1 - s["beta"])
            return x_coef * x + s["beta"] / np.sqrt(1 - s["beta"]) * s_gamma

        def eps_form(t, x, gam=gam):
            eps_g = (1 - gam) * _eps_star(t, x, mix) + gam * _eps_star(t, x, _class_component(1))
            return _eps_form_step(t, x, eps_g)

        out.append(num_equal(slide, eps_form, _STEP_AT,
                             what=f"gamma = {gam}: score-form step with s^gamma vs eps-form step with the CFG eps"))
    return all_of(*out)


# ------------------------------------------------------------------------------------- the claims
def _p(file: str, lecture: str, slide: str, line: int) -> tuple[Place, ...]:
    return (Place(file, lecture, slide, line),)


_S_SCORE = ("s_theta,t(x_t) is read as the model of the marginal score grad log p_theta(x_t) (the second equality "
            "of 000:3192); for a noise predictor that is -eps_theta/sqrt(1-abar_t) (ddpm.score_reparametrization), "
            "not the printed +eps_theta/sqrt(1-abar_t), whose sign is reported at 000:3192.")

CLAIMS: list[Claim] = [
    # --- recap of L7: DSM and NCSN
    Claim(id="000.L9.dsm_theorem", formulas=("000:3035",), theorem="score.dsm_equivalence",
          meaning="q(x_sigma|x) = N(x, sigma^2 I), q(x_sigma) its average over p_data; s_theta,sigma any model. The "
                  "claim: the explicit and denoising objectives differ by a theta-independent constant. Checked for "
                  "1-D mixture data and the models a x + b + c tanh x (quadrature + Gauss-Hermite).",
          check=_dsm_equivalence),
    Claim(id="000.L9.dsm_kernel_score",
          text="Here, grad_{x_sigma} log q(x_sigma | x) = -(x_sigma - x)/sigma^2 = -epsilon/sigma.",
          places=_p("000", "L9", "Recap of Lecture 7", 3037), theorem="score.noise_kernel_gradient",
          meaning="q(x_sigma|x) = N(x, sigma^2 I), sigma a standard deviation, x_sigma = x + sigma eps.",
          check=_kernel_score_recap),
    Claim(id="000.L9.dsm_noise_form", formulas=("000:3042",), theorem="score.noise_kernel_gradient",
          meaning="The DSM objective with x_sigma = x + sigma eps substituted: s - grad log q(x_sigma|x) = "
                  "s + eps/sigma "
                  "(sigma a standard deviation).",
          check=_dsm_noise_form),
    Claim(id="000.L9.langevin_step", formulas=("000:3045",), theorem="langevin.stationary",
          meaning="Unadjusted Langevin step with step size eta and score model s; the claim is that iterating it "
                  "samples the target. Precise sense checked: for a Gaussian target N(m, C) (2-D) with the exact "
                  "score the step maps the stationary law of langevin.ula_stationary, N(m, S), to itself, and S is "
                  "the target up to an O(eta) bias (||S - C|| <= eta/2) that vanishes as eta -> 0.",
          check=_ula_check),
    Claim(id="000.L9.ncsn_objective", formulas=("000:3077",), kind="definition", theorem="ncsn.weighted_objective",
          meaning="The NCSN training objective (sigma_t^2-weighted sum of DSM objectives) -> min."),
    Claim(id="000.L9.noise_levels", formulas=("000:3081",), kind="notation",
          meaning="Increasing noise levels sigma_1 < sigma_2 < sigma_3 (figure caption)."),
    Claim(id="000.L9.annealed_langevin_step", formulas=("000:3099", "000:3227"), theorem="ncsn.annealed_sampling",
          meaning="At noise level sigma_t, L Langevin steps with step eta_t on the score of q(x_t) = p_data * "
                  "N(0, sigma_t^2 I), started from N(0, sigma_T^2 I), levels sigma_T..sigma_1. Checked for "
                  "Gaussian data N(0.4, 0.6) (q(x_t) Gaussian, exact score), 6 geometric levels, L = 1000, "
                  "eta_t = eps sigma_t^2/sigma_1^2: the law of the chain as written equals "
                  "langevin.ncsn_sampling_moments, and ends within eps (an O(eta) bias) of q(x_1) = "
                  "N(0.4, 0.6 + sigma_1^2).",
          check=_annealed_langevin),
    # --- recap of L7/L8: the forward process
    Claim(id="000.L9.forward_step", formulas=("000:3110", "003:18"), kind="definition",
          meaning="The forward kernel q(x_t|x_{t-1}) = N(sqrt(1-beta_t) x_{t-1}, beta_t I)."),
    Claim(id="000.L9.forward_marginal", formulas=("000:3112", "000:3186", "000:3202", "003:19"),
          theorem="ddpm.forward_marginal",
          meaning="alpha_t = 1 - beta_t, abar_t = prod_{s<=t} alpha_s: composing the kernels gives q(x_t|x_0) = "
                  "N(sqrt(abar_t) x_0, (1-abar_t) I), i.e. x_t = sqrt(abar_t) x_0 + sqrt(1-abar_t) eps.",
          check=_forward_marginal),
    Claim(id="000.L9.reverse_bayes_gaussian", formulas=("000:3140",),
          meaning="Bayes' rule for q(x_{t-1}|x_t) is exact; the approximation by a Gaussian p_theta is read in the "
                  "sense of the slide (valid for small beta_t, 'Feller'): the KL from the exact reverse conditional "
                  "to its moment-matched Gaussian vanishes as beta_t -> 0 (bimodal 1-D q(x_{t-1}), x_t = 0.3).",
          check=_reverse_gaussian_as_beta_small),
    # --- DDPM objective as score matching
    Claim(id="000.L9.ddpm_objective_c1_c2", formulas=("000:3184",), theorem="ddpm.elbo_equals_dsm",
          meaning="C_{1,t} is the ELBO weight of ||eps_theta - eps||^2; C_{2,t} (not defined on the slide) is read "
                  "as (1-abar_t) C_{1,t} (ddpm.dsm_weight), the only constant making the two lines equal for all "
                  "eps_theta, eps.",
          check=_c1_to_c2),
    Claim(id="000.L9.kernel_score", formulas=("000:3188",), theorem="ddpm.score_reparametrization",
          meaning="Gradient in x_t of log N(x_t; sqrt(abar_t) x_0, (1-abar_t) I), and its value at "
                  "x_t = sqrt(abar_t) x_0 + sqrt(1-abar_t) eps.",
          check=_kernel_score),
    Claim(id="000.L9.score_from_eps", formulas=("000:3192", "003:158"), theorem="ddpm.score_reparametrization",
          meaning="s_theta,t := eps_theta,t/sqrt(1-abar_t) as printed, claimed to equal grad log p_theta(x_t). Checked "
                  "at the optimum: eps_theta = E[eps|x_t] for mixture data 0.4 N(-1, 0.3) + 0.6 N(1.2, 0.5), where the "
                  "model score must equal the marginal score of q(x_t). Judgement: slip (a dropped sign), not "
                  "fails: the kernel score two lines above carries the minus sign the reparametrization copies.",
          check=_score_from_eps_as_printed,
          corrected=r"\mathbf{s}_{\theta,t}(\mathbf{x}_t) = -\frac{\epsilon_{\theta,t}(\mathbf{x}_t)}{\sqrt{1 - "
                    r"\bar{\alpha}_t}} = \nabla_{\mathbf{x}_t} \log p_{\theta}(\mathbf{x}_t)"),
    Claim(id="000.L9.lt_as_dsm", formulas=("000:3194",), theorem="ddpm.elbo_equals_dsm",
          meaning="L_t (000:3184) rewritten as C_{2,t} E||s_theta - grad log q(x_t|x_0)||^2 with C_{2,t} = "
                  "(1-abar_t) C_{1,t}. " + _S_SCORE,
          check=_lt_as_dsm,
          note="With the printed s = +eps_theta/sqrt(1-abar_t) the norm would be ||eps_theta + eps||/sqrt(1-abar_t)."),
    Claim(id="000.L9.ddpm_objective_full", formulas=("000:3200", "003:180"), kind="definition",
          meaning="The DDPM objective averaged over data and t ~ U{1..T}, in score form (weights C_{2,t})."),
    Claim(id="000.L9.ncsn_objective_t", formulas=("000:3208",), kind="definition",
          meaning="The NCSN objective (unweighted) averaged over data and t ~ U{1..T}."),
    Claim(id="000.L9.ncsn_chain", formulas=("000:3210",), kind="definition",
          meaning="The NCSN perturbation x_t = x_0 + sigma_t eps."),
    Claim(id="000.L9.sampling_init", formulas=("000:3218",), kind="definition",
          meaning="Ancestral sampling starts from x_T ~ N(0, I) (the approximation of q(x_T))."),
    Claim(id="000.L9.ancestral_step_score_form", formulas=("000:3220", "003:250", "003:475"),
          theorem="ddpm.sampling_in_score_form",
          meaning="x_{t-1} = mu_theta,t(x_t) + sigma_t eps with the eps-parametrized mean; the last line rewrites it "
                  "with beta_t = 1 - alpha_t and the score model. " + _S_SCORE + " Also checked: the step, run with "
                  "the exact reverse conditionals of Gaussian data from q(x_T), returns the data law.",
          check=lambda: all_of(_score_step_identity(), _ancestral_exact_gaussian(), _eps_form_mu())),
    Claim(id="000.L9.ddpm_sampling_score_is_grad_log_p", formulas=("000:3346", "003:484"),
          theorem="ddpm.score_reparametrization",
          meaning="Replacing s_theta,t by grad log p_theta(x_t) in the step: the score model is the marginal score. "
                  "Checked at the optimum for mixture data: -E[eps|x_t]/sqrt(1-abar_t) = grad log q(x_t).",
          check=_tweedie_score),
    Claim(id="000.L9.guided_step_bayes", formulas=("000:3350", "000:3358"), theorem="ddpm.sampling_in_score_form",
          meaning="The ancestral step with the conditional score grad log p_theta(x_t|y) in place of the "
                  "unconditional one: the score-form step is the eps-form step of the conditional model. Checked on "
                  "the noised two-class model q_t (class y = 1): the step with the exact grad log q_t(x_t|y) equals "
                  "mu_theta,t in eps form with eps_theta = E[eps|x_t, y], and its coefficients are ddpm.score_step's.",
          check=_conditional_step),
    Claim(id="000.L9.classifier_guidance_bayes", formulas=("000:3362", "003:528", "003:538"),
          theorem="guidance.classifier",
          meaning="Bayes' rule p(x_t|y) = p(x_t) p(y|x_t)/p(y), then the gradient of the log (p(y) is constant in "
                  "x_t); s_theta,t(x_t) = grad log p_theta(x_t). Checked on a 1-D two-class Gaussian model (y = 1).",
          check=_classifier_guidance_chain),
    Claim(id="000.L9.guided_score_def", formulas=("000:3366",), kind="definition",
          meaning="s_theta,t(x_t, y) := grad log p_theta(x_t|y), the guided score."),
    Claim(id="000.L9.guided_score_sum", formulas=("000:3368", "000:3374", "003:584"), theorem="guidance.classifier",
          meaning="The guided score equals the unconditional score plus the classifier gradient (two-class model).",
          check=_guided_score_sum),
    Claim(id="000.L9.guidance_scale_def", formulas=("000:3384", "003:635"), kind="definition",
          meaning="The scaled guided score s^gamma := s(x_t) + gamma grad log p(y|x_t)."),
    Claim(id="000.L9.scaled_not_true_score",
          text="s^gamma_theta,t(x_t, y) is not the true guided score function s_theta,t(x_t, y).",
          places=_p("000", "L9", "Guidance Scale", 3387), theorem="guidance.scale_sharpening",
          meaning="s^gamma = s(x_t) + gamma grad log p(y|x_t) differs from s(x_t, y) = grad log p(x_t|y) as a "
                  "function of x_t (two-class model), for the slide's guidance scale: 'scale up the contribution "
                  "of the guidance' (the convention cited), i.e. gamma > 1. Judgement: holds, not holds_if "
                  "'gamma != 1': gamma = 1 (where s^gamma is the true guided score) is the unscaled score the "
                  "slide contrasts s^gamma with, not a case of its statement.",
          check=_scaled_is_not_true_score, convention=_SCALE_UP + _GAMMA_EXAMPLE),
    Claim(id="000.L9.scaled_conditional", formulas=("000:3397", "003:655"), theorem="guidance.scale_sharpening",
          meaning="The left side is the name of the scaled score (defined by the first line); the next lines: "
                  "gamma grad log p = grad log p^gamma, and grad log(p(x) p(y|x)^gamma / Z) for a constant Z. "
                  "Checked at gamma = 5/2, Z = 2.7 on the two-class model.",
          check=_scaled_chain),
    Claim(id="000.L9.sharpened_classifier", formulas=("000:3401",), theorem="guidance.scale_sharpening",
          meaning="p-hat(y|x_t) is p(y|x_t)^gamma normalized over y; the note claims a larger gamma sharpens it. "
                  "Checked on a 3-class 1-D Gaussian mixture: its entropy is non-increasing in gamma > 0 at every "
                  "x; and in the registry's formal sense (guidance.scale_sharpening), under p_gamma(x|y) ∝ "
                  "p(x) p(y|x)^gamma both E[log p(y|x)] and E[p(y|x)] are non-decreasing in gamma.",
          check=_sharpening),
    Claim(id="000.L9.guided_sampling_step", formulas=("000:3415", "000:3460", "000:3477"),
          theorem="guidance.classifier_free",
          meaning="The ancestral step with the scaled guided score in place of s_theta,t; the score form of the "
                  "step is the eps form with eps = -sqrt(1-abar_t) s. Checked on the noised two-class model q_t at "
                  "gamma = 0.5, 3: the step with the exact s^gamma equals the eps-form step with "
                  "(1-gamma) E[eps|x_t] + gamma E[eps|x_t, y].",
          check=_guided_step),
    Claim(id="003.L9.guided_sampling_step_alpha", formulas=("003:700", "003:836"), theorem="guidance.classifier_free",
          meaning="As 000:3415 but with 1/sqrt(alpha_t) for the x_t coefficient; alpha_t = 1 - beta_t.",
          check=lambda: _guided_step(alpha_form=True)),
    Claim(id="000.L9.scaled_score_notation", formulas=("000:3434", "003:724", "003:742"), kind="notation",
          meaning="grad^gamma log p_theta(x_t|y) names the scaled guided score grad log p + gamma grad log p(y|x_t)."),
    Claim(id="000.L9.cfg_bayes", formulas=("000:3438", "003:735", "003:746"), theorem="guidance.classifier",
          meaning="Bayes' rule p(y|x_t) = p(x_t|y) p(y)/p(x_t) and the gradient of its log (two-class model).",
          check=_cfg_bayes),
    Claim(id="000.L9.cfg_chain", formulas=("000:3442", "003:791", "000:3448"), theorem="guidance.classifier_free",
          meaning="Substituting the Bayes form of the classifier gradient into the scaled score and collecting "
                  "terms; checked at gamma = 0.5, 3, 7.5 on the two-class model.",
          check=_cfg_chain),
    Claim(id="003.L9.cfg_chain_partial", formulas=("003:776",), theorem="guidance.classifier_free",
          meaning="The first step of the chain of 000:3442 (build-up slide).",
          check=lambda: _cfg_chain(final=False)),
    Claim(id="000.L9.cfg_score_models", formulas=("000:3450",), theorem="guidance.classifier_free",
          meaning="s^gamma(x_t, y) (defined at 000:3384) equals (1-gamma) s(x_t) + gamma s(x_t, y) with s(x_t, y) = "
                  "grad log p(x_t|y) (000:3366); checked at gamma = 0.5, 3, 7.5 on the two-class model.",
          check=_cfg_score_models),
    Claim(id="000.L9.cfg_convex_combination", text="Use their convex combination at inference.",
          places=_p("000", "L9", "Naive training approach", 3456), theorem="guidance.classifier_free",
          meaning="(1-gamma) s(x_t) + gamma s(x_t, y) is a convex combination iff both weights are in [0, 1]; the "
                  "guidance scales used in the lecture are > 1 (the text-guidance example shows gamma = 3). "
                  "Checked: the score used at inference (guidance.guided_score at the lecture's gamma) lies "
                  "between s(x_t) and s(x_t, y) at every x (two-class model). Judgement: imprecise (the label names "
                  "the wrong object at the lecture's gamma), rather than holds_if 0 <= gamma <= 1: the lecture's "
                  "guidance scale is > 1 (the convention cited).",
          check=_convex_combination, convention=_GAMMA_EXAMPLE + _SCALE_UP,
          corrected=r"\text{Use their affine combination } (1-\gamma)\,\mathbf{s}_{\theta,t}(\mathbf{x}_t) + "
                    r"\gamma\,\mathbf{s}_{\theta,t}(\mathbf{x}_t, \mathbf{y}) \text{ (convex only for } 0 \le \gamma "
                    r"\le 1\text{; an extrapolation for } \gamma > 1)",
          note="For gamma > 1 it is an extrapolation away from the unconditional score, not a convex combination."),
    # --- 003 recap slides
    Claim(id="003.L9.posterior_gaussian", formulas=("003:27", "003:52"), theorem="ddpm.posterior",
          meaning="q(x_{t-1}|x_t, x_0) is Gaussian with mean mu-tilde_t and variance beta-tilde_t = "
                  "(1-abar_{t-1}) beta_t/(1-abar_t) (completing the square, dgmcheck.theory.ddpm.derive_posterior).",
          check=_posterior_variance),
    Claim(id="003.L9.latent_view", formulas=("003:38",), kind="definition",
          meaning="The diffusion model as a latent variable model: decoder p_theta(x_0|x_1) and prior over "
                  "z = x_{1:T}."),
    Claim(id="003.L9.elbo_bound", formulas=("003:42",), theorem="elbo.bound",
          meaning="log p_theta(x) >= E_q log p_theta(x, z)/q(z|x) for the diffusion latents z = x_{1:T} and q the "
                  "forward chain; checked by enumeration on a 3-state chain with T = 3 (latent.disc_log_marginal, "
                  "latent.disc_elbo over the 27 latent states).",
          check=_elbo_bound),
    Claim(id="003.L9.elbo_decomposition", formulas=("003:44",), theorem="ddpm.elbo_decomposition",
          meaning="The ELBO of a Markov forward chain q and reverse model p_theta equals reconstruction - prior KL - "
                  "sum_{t>=2} E_{q(x_t|x_0)} KL(q(x_{t-1}|x_t, x_0) || p_theta(x_{t-1}|x_t)); checked in closed "
                  "form on random linear-Gaussian reverse chains (d = 2, T = 12): the terms "
                  "(linear_gaussian.elbo_terms) combined as written vs E_q log p/q (linear_gaussian.elbo).",
          check=_elbo_decomposition),
    Claim(id="003.L9.reverse_model", formulas=("003:54",), kind="definition",
          meaning="The reverse model p_theta(x_{t-1}|x_t) = N(mu_theta,t(x_t), sigma^2_theta,t(x_t))."),
    Claim(id="003.L9.lt_same_variance", formulas=("003:58", "003:62"), theorem="ddpm.kl_same_variance",
          meaning="With sigma^2_theta,t = beta-tilde_t I (stated on the slide), L_t = E KL(N(mu-tilde, bt I) || "
                  "N(mu_theta, bt I)) = E ||mu-tilde - mu_theta||^2/(2 bt) (d = 3, closed-form KL).",
          check=_kl_same_variance),
    Claim(id="003.L9.mu_tilde_eps", formulas=("003:66",), theorem="ddpm.eps_mean",
          meaning="mu-tilde_t(x_t, x_0) with x_0 = (x_t - sqrt(1-abar_t) eps)/sqrt(abar_t) substituted.",
          check=_eps_mean),
    Claim(id="003.L9.mu_theta_eps", formulas=("003:68",), kind="definition",
          meaning="The eps-parametrization of the model mean mu_theta,t (eps_theta,t a network)."),
    Claim(id="003.L9.loss_weight", formulas=("003:70", "003:120"), theorem="ddpm.loss_weight",
          meaning="Substituting both eps-form means into ||mu-tilde - mu_theta||^2/(2 bt): the weight of "
                  "||eps - eps_theta||^2 is (1-alpha_t)^2/(2 bt alpha_t (1-abar_t)).",
          check=_loss_weight),
    Claim(id="003.L9.simple_objective", formulas=("003:76",), kind="definition", theorem="ddpm.simple_loss",
          meaning="L_simple: the noise-prediction loss with the weights dropped, t ~ U{2..T} on this slide.",
          note="000 L8 and the training algorithm on the next slide draw t ~ U{1..T}."),
    Claim(id="003.L9.objective_rewrite", formulas=("003:126",), theorem="ddpm.elbo_equals_dsm",
          meaning="Moving 1/(1-abar_t) from the weight into the norm.",
          check=_c1_to_c2_explicit),
    Claim(id="003.L9.lt_as_dsm_weighted", formulas=("003:174",), theorem="ddpm.elbo_equals_dsm",
          meaning="L_t = (1-alpha_t)^2/(2 bt alpha_t) E||s_theta - grad log q(x_t|x_0)||^2; the weight is C_2 = "
                  "(1-abar_t) C_1 (dgmcheck.theory.ddpm.dsm_weight, t >= 2). " + _S_SCORE,
          check=_lt_as_dsm_003),
    Claim(id="003.L9.ancestral_step", formulas=("003:234",), theorem="ddpm.ancestral_sampling",
          meaning="x_{t-1} = mu_theta,t(x_t) + sigma_t eps draws from N(mu_theta,t, sigma_t^2 I); checked: with the "
                  "exact reverse conditionals of Gaussian data, T steps from q(x_T) return the data law.",
          check=_ancestral_exact_gaussian),
    Claim(id="003.L9.ancestral_step_eps_form", formulas=("003:242",), theorem="ddpm.eps_mean",
          meaning="The ancestral step with the eps-parametrized mean; coefficients 1/sqrt(alpha_t) and "
                  "-(1-alpha_t)/sqrt(alpha_t (1-abar_t)) as in dgmcheck.theory.ddpm.eps_mean.",
          check=_eps_form_mu),
]
