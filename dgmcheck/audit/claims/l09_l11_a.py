"""000 Lecture 9 (DDPM as a score model, NCSN, guidance) and its build-up slides in seed 003.

Every check computes its verdict from exact Gaussian closed forms, sympy identities or seeded numeric
evaluation; shared toy models: 1-D Gaussian data (the reverse chain and the optimal noise predictor in
closed form), a 1-D two-class Gaussian model p(x|y) (exact p(x), p(y|x) and all scores), and a 3-state
Markov chain (the diffusion ELBO by enumeration).
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import sympy as sp
from scipy import integrate, linalg

from dgmcheck.audit.formulas import Place
from dgmcheck.audit.model import Claim, all_of, holds_if, num_compare, num_equal, points, sym_equal
from dgmcheck.theory import ddpm
from dgmcheck.theory.latent import gaussian_kl

_BETAS = np.linspace(1e-3, 0.2, 12)  # a short schedule; t = 1..12
_A, _ABP = sp.symbols("alpha_t alphabar_prev", positive=True)  # the symbols of dgmcheck.theory.ddpm


# --------------------------------------------------------------------------------------- helpers
def _sched(t: int) -> dict[str, float]:
    s = ddpm.at(_BETAS, t)
    return {"beta": float(s.beta), "alpha": float(s.alpha), "abar": float(s.alpha_bar),
            "abar_prev": float(s.alpha_bar_prev), "btilde": float(ddpm.posterior(_BETAS, t)[2])}


def _ula_stationary_var(v: float, eta: float) -> float:
    """Stationary variance of x <- x + eta/2 * (-(x - mu)/v) + sqrt(eta) eps: the discrete Lyapunov equation."""
    c = 1.0 - eta / (2 * v)
    return float(linalg.solve_discrete_lyapunov(np.array([[c]]), np.array([[eta]]))[0, 0])


def _ula_check(target_var: float = 1.7) -> object:
    # Unadjusted Langevin on N(mu, v) with the exact score: x' = (1 - eta/(2v)) x + ... + sqrt(eta) eps.
    # Its stationary law is N(mu, v / (1 - eta/(4v))): the target only in the limit eta -> 0 (bias ~ eta/4).
    etas = [0.2, 0.05, 0.01, 0.001]
    at = [{"eta": e} for e in etas]
    exact = num_equal(lambda eta: _ula_stationary_var(target_var, eta),
                      lambda eta: target_var / (1 - eta / (4 * target_var)), at,
                      what="stationary variance of the Langevin recursion vs v/(1 - eta/(4v))")
    bias = num_compare(lambda eta: abs(target_var / (1 - eta / (4 * target_var)) - target_var), "<=",
                       lambda eta: eta / 2, at, what="|stationary var - target var| <= eta/2 (-> 0 as eta -> 0)")
    return all_of(exact, bias)


def _two_class_model():
    """p(y) = (0.3, 0.7), p(x|y) = N(m_y, v_y): exact lambdified scores of p(x), p(x|y), p(y|x) for y = 1."""
    x = sp.Symbol("x", real=True)
    w, m, v = (sp.Rational(3, 10), sp.Rational(7, 10)), (-1, sp.Rational(3, 2)), (sp.Rational(1, 2), 2)
    comp = [sp.exp(-(x - m[k]) ** 2 / (2 * v[k])) / sp.sqrt(2 * sp.pi * v[k]) for k in range(2)]
    p_x = w[0] * comp[0] + w[1] * comp[1]
    p_x_given_y, p_y = comp[1], w[1]
    p_y_given_x = p_y * p_x_given_y / p_x

    def grad_log(expr):
        return sp.lambdify(x, sp.diff(sp.log(expr), x), "numpy")

    return {"x": x, "p_x": p_x, "p_x_y": p_x_given_y, "p_y": p_y, "p_y_x": p_y_given_x,
            "s": grad_log(p_x), "s_y": grad_log(p_x_given_y), "cls": grad_log(p_y_given_x), "grad_log": grad_log}


_GUIDE = None


def _guide():
    global _GUIDE
    if _GUIDE is None:
        _GUIDE = _two_class_model()
    return _GUIDE


_XS = points(15, seed=9, x=(-4.0, 4.0))


# ------------------------------------------------------------------------- DSM and NCSN (recap)
def _dsm_equivalence():
    # Data: 0.3 N(-1, 0.3^2) + 0.7 N(1.5, 0.5^2); q(x_sigma|x) = N(x, sigma^2), sigma = 0.7.
    w, m, sd, sig = np.array([0.3, 0.7]), np.array([-1.0, 1.5]), np.array([0.3, 0.5]), 0.7
    tot = np.sqrt(sd**2 + sig**2)

    def q(x):
        return float(np.sum(w * np.exp(-(x - m) ** 2 / (2 * tot**2)) / (np.sqrt(2 * np.pi) * tot)))

    def score_q(x):
        comp = w * np.exp(-(x - m) ** 2 / (2 * tot**2)) / (np.sqrt(2 * np.pi) * tot)
        return float(np.sum(comp * (-(x - m) / tot**2)) / np.sum(comp))

    u, gw = np.polynomial.hermite_e.hermegauss(60)
    gw = gw / gw.sum()

    def model(a, b, c):
        return lambda x: a * x + b + c * np.tanh(x)

    def explicit(a, b, c):
        s = model(a, b, c)
        return integrate.quad(lambda x: q(x) * (s(x) - score_q(x)) ** 2, -12, 12, limit=200, epsabs=1e-12)[0]

    def denoising(a, b, c):
        s = model(a, b, c)
        total = 0.0
        for k in range(2):
            x0 = m[k] + sd[k] * u[:, None]
            xs = x0 + sig * u[None, :]
            val = (s(xs) + (xs - x0) / sig**2) ** 2  # grad log q(x_sigma|x) = -(x_sigma - x)/sigma^2
            total += w[k] * float(gw @ val @ gw)
        return total

    at = [{"a": 0.0, "b": 0.0, "c": 0.0}, {"a": -1.2, "b": 0.3, "c": 0.5}, {"a": 0.4, "b": -0.7, "c": -1.0}]
    const0 = denoising(**at[0]) - explicit(**at[0])
    return num_equal(lambda a, b, c: denoising(a, b, c) - explicit(a, b, c), lambda a, b, c: const0, at,
                     rtol=1e-7, atol=1e-8, what="denoising objective - explicit objective is the same for every model")


def _dsm_noise_form():
    x, eps, s = sp.symbols("x epsilon s", real=True)
    sig = sp.Symbol("sigma", positive=True)
    xs = sp.Symbol("x_sigma", real=True)
    log_q = -(xs - x) ** 2 / (2 * sig**2) - sp.log(sig * sp.sqrt(2 * sp.pi))
    residual = (s - sp.diff(log_q, xs)).subs(xs, x + sig * eps)
    return sym_equal(residual, s + eps / sig, what="s - grad log q(x_sigma|x) at x_sigma = x + sigma eps")


# ------------------------------------------------------------------------- DDPM forward / reverse
def _forward_marginal():
    def composed(t):
        c, v = 1.0, 0.0
        for b in _BETAS[:t]:
            c, v = np.sqrt(1 - b) * c, (1 - b) * v + b
        return np.array([c, v])

    return num_equal(composed, lambda t: np.array(ddpm.forward_marginal(_BETAS, t)),
                     [{"t": t} for t in range(1, len(_BETAS) + 1)],
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
def _elbo_enumeration():
    """A 3-state chain with T = 3: random forward kernels Q_t, reverse kernels P_t and prior p(x_T)."""
    rng = np.random.default_rng(3)
    K, T = 3, 3
    Q = [rng.dirichlet(np.ones(K), size=K) for _ in range(T)]  # Q[t-1][x_{t-1}, x_t]
    P = [rng.dirichlet(np.ones(K), size=K) for _ in range(T)]  # P[t-1][x_t, x_{t-1}]
    prior = rng.dirichlet(np.ones(K))
    x0 = 1
    log_px, elbo, norm = -np.inf, 0.0, 0.0
    for path in itertools.product(range(K), repeat=T):
        xs = (x0, *path)
        q = np.prod([Q[t][xs[t], xs[t + 1]] for t in range(T)])
        log_joint = np.log(prior[xs[T]]) + sum(np.log(P[t][xs[t + 1], xs[t]]) for t in range(T))
        log_px = np.logaddexp(log_px, log_joint)
        elbo += q * (log_joint - np.log(q))
        norm += q
    marg = [np.eye(K)[x0]]  # q(x_t | x_0), t = 0..T
    for t in range(T):
        marg.append(marg[-1] @ Q[t])
    recon = float(sum(Q[0][x0, x1] * np.log(P[0][x1, x0]) for x1 in range(K)))
    prior_kl = float(np.sum(marg[T] * np.log(marg[T] / prior)))
    lt = 0.0
    for t in range(2, T + 1):
        for xt in range(K):
            post = Q[t - 1][:, xt] * marg[t - 1] / marg[t][xt]  # q(x_{t-1} | x_t, x_0)
            lt += marg[t][xt] * float(np.sum(post * np.log(post / P[t - 1][xt, :])))
    return {"log_px": float(log_px), "elbo": float(elbo), "decomposed": recon - prior_kl - lt}


def _elbo_bound():
    e = _elbo_enumeration()
    return num_compare(lambda: e["log_px"], ">=", lambda: e["elbo"], [{}], what="log p(x_0) >= ELBO (enumeration)")


def _elbo_decomposition():
    e = _elbo_enumeration()
    return num_equal(lambda: e["elbo"], lambda: e["decomposed"], [{}],
                     what="E_q log p(x_{0:T})/q(x_{1:T}|x_0) vs recon - prior KL - sum_t L_t (enumeration)")


def _kl_same_variance():
    def kl(m1a, m1b, m2a, m2b, bt):
        m1, m2 = np.array([m1a, m1b, 0.3]), np.array([m2a, m2b, -0.2])
        return gaussian_kl(m1, bt * np.eye(3), m2, bt * np.eye(3))
    def formula(m1a, m1b, m2a, m2b, bt):
        return float(np.sum((np.array([m1a, m1b, 0.3]) - np.array([m2a, m2b, -0.2])) ** 2) / (2 * bt))
    at = points(10, seed=5, m1a=(-2, 2), m1b=(-2, 2), m2a=(-2, 2), m2b=(-2, 2), bt=(0.01, 1))
    return num_equal(kl, formula, at, what="KL(N(mu1, bt I) || N(mu2, bt I)) vs ||mu1 - mu2||^2 / (2 bt)")


@functools.cache
def _eps_mean():
    return sym_equal(ddpm.derive_eps_mean(), 0, what="mu-tilde(x_t, x_0(x_t, eps)) - eps-form")


def _loss_weight():
    ab = _A * _ABP
    btilde = ddpm.closed_form_posterior()["var"]
    slide = (1 - _A) ** 2 / (2 * btilde * _A * (1 - ab))
    return sym_equal(ddpm.derive_loss_weight(), slide, what="||mu-tilde - mu_theta||^2/(2 bt) / ||eps - eps_theta||^2")


def _c1_to_c2():
    e, et, c1 = sp.symbols("epsilon epsilon_theta C_1", real=True)
    u = sp.Symbol("u", positive=True)  # u = sqrt(1 - abar_t)
    c2 = c1 * u**2
    return sym_equal(c1 * (et - e) ** 2, c2 * (et / u - e / u) ** 2, domains={"u": (0.1, 0.99)},
                     what="C1 ||e_theta - e||^2 vs C2 ||(e_theta - e)/u||^2, u = sqrt(1-abar_t), C2 = u^2 C1")


def _c1_to_c2_explicit():
    # 003: C1 = (1-a)^2/(2 bt a (1-abar)) and C2 = (1-a)^2/(2 bt a) (bt, a, abar free positive symbols).
    e, et = sp.symbols("epsilon epsilon_theta", real=True)
    a, u, bt = sp.symbols("alpha_t u betatilde_t", positive=True)  # u = sqrt(1 - abar_t)
    lhs = (1 - a) ** 2 / (2 * bt * a * u**2) * (et - e) ** 2
    rhs = (1 - a) ** 2 / (2 * bt * a) * (et / u - e / u) ** 2
    return sym_equal(lhs, rhs, domains={"u": (0.1, 0.99), "alpha_t": (0.5, 0.999)},
                     what="003 DDPM objective rewrite (u = sqrt(1-abar_t))")


def _kernel_score():
    xt, x0, e = sp.symbols("x_t x_0 epsilon", real=True)
    ab = sp.Symbol("alphabar_t", positive=True)
    log_q = -(xt - sp.sqrt(ab) * x0) ** 2 / (2 * (1 - ab)) - sp.log(sp.sqrt(2 * sp.pi * (1 - ab)))
    grad = sp.diff(log_q, xt)
    dom = {"alphabar_t": (0.01, 0.99)}
    return all_of(sym_equal(grad, -(xt - sp.sqrt(ab) * x0) / (1 - ab), domains=dom, what="grad log q(x_t|x_0)"),
                  sym_equal(grad.subs(xt, sp.sqrt(ab) * x0 + sp.sqrt(1 - ab) * e), -e / sp.sqrt(1 - ab),
                            domains=dom, what="at x_t = sqrt(abar) x_0 + sqrt(1-abar) eps"))


def _gaussian_data_eps_star(x, abar, m=0.4, s2=0.6):
    """Gaussian data N(m, s2): q(x_t) = N(sqrt(abar) m, V), E[eps | x_t] and the marginal score."""
    V = abar * s2 + 1 - abar
    eps_star = np.sqrt(1 - abar) * (x - np.sqrt(abar) * m) / V
    score = -(x - np.sqrt(abar) * m) / V
    return eps_star, score


def _score_from_eps_as_printed():
    # Optimal noise predictor eps*(x_t) = E[eps|x_t]; the slide: s = eps*/sqrt(1-abar) = grad log p(x_t).
    at = points(8, seed=11, x=(-3, 3), abar=(0.05, 0.95))
    return num_equal(lambda x, abar: _gaussian_data_eps_star(x, abar)[0] / np.sqrt(1 - abar),
                     lambda x, abar: _gaussian_data_eps_star(x, abar)[1], at,
                     what="eps*(x_t)/sqrt(1-abar) vs grad log q(x_t), Gaussian data N(0.4, 0.6)")


def _tweedie_score():
    at = points(8, seed=12, x=(-3, 3), abar=(0.05, 0.95))
    return num_equal(lambda x, abar: -_gaussian_data_eps_star(x, abar)[0] / np.sqrt(1 - abar),
                     lambda x, abar: _gaussian_data_eps_star(x, abar)[1], at,
                     what="-E[eps|x_t]/sqrt(1-abar) vs grad log q(x_t), Gaussian data N(0.4, 0.6)")


@functools.cache
def _dsm_form_of_lt():
    # With s = -e_theta/sqrt(1-abar) (the score reading) and grad log q(x_t|x_0) = -e/sqrt(1-abar).
    e, et, c1 = sp.symbols("epsilon epsilon_theta C_1", real=True)
    u = sp.Symbol("u", positive=True)  # u = sqrt(1 - abar_t)
    s = -et / u
    return sym_equal(c1 * (et - e) ** 2, c1 * u**2 * (s - (-e / u)) ** 2, domains={"u": (0.1, 0.99)},
                     what="C1||e_theta - e||^2 vs C2||s - grad log q(x_t|x_0)||^2, u = sqrt(1-abar_t)")


def _dsm_form_003():
    # 003: the weight (1-a)^2/(2 bt a) must be C2 = (1 - abar) * loss weight (dgmcheck.theory.ddpm.dsm_weight).
    at = [{"t": t} for t in range(2, len(_BETAS) + 1)]
    def slide(t):
        s = _sched(t)
        return (1 - s["alpha"]) ** 2 / (2 * s["btilde"] * s["alpha"])
    return all_of(_dsm_form_of_lt(), num_equal(slide, lambda t: float(ddpm.dsm_weight(_BETAS, t)), at,
                                               what="(1-a)^2/(2 bt a) vs C2 = (1-abar) C1"))


@functools.cache
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


@functools.cache
def _ancestral_exact_gaussian():
    # Gaussian data N(m, s2): the reverse conditionals q(x_{t-1}|x_t) are Gaussian, mean A x_t + c, var S.
    # x_{t-1} = mu(x_t) + sigma eps with those parameters, started at q(x_T), must end at the data law.
    m, s2 = 0.4, 0.6
    c, v = [1.0], [s2]  # law of x_t: N(c_t m, v_t)
    for b in _BETAS:
        c.append(np.sqrt(1 - b) * c[-1])
        v.append((1 - b) * v[-1] + b)
    mean, var = c[-1] * m, v[-1]
    for t in range(len(_BETAS), 0, -1):
        b = _BETAS[t - 1]
        cov = np.sqrt(1 - b) * v[t - 1]  # Cov(x_{t-1}, x_t)
        A = cov / v[t]
        S = v[t - 1] - cov * A
        cc = c[t - 1] * m - A * c[t] * m
        mean, var = A * mean + cc, A * A * var + S
    return num_equal(lambda: np.array([mean, var]), lambda: np.array([m, s2]), [{}],
                     what="(mean, var) of x_0 after T ancestral steps vs the data law")


@functools.cache
def _eps_form_mu():
    at = [{"t": t} for t in range(1, len(_BETAS) + 1)]
    def slide(t):
        s = _sched(t)
        return np.array([1 / np.sqrt(s["alpha"]), -(1 - s["alpha"]) / np.sqrt(s["alpha"] * (1 - s["abar"]))])
    return all_of(num_equal(slide, lambda t: np.array(ddpm.eps_mean(_BETAS, t)), at,
                            what="coefficients of x_t and eps in mu"), _eps_mean())


def _guided_step():
    return _score_step_identity()


def _guided_step_alpha():
    b = sp.Symbol("beta_t", positive=True)
    a = 1 - b  # alpha_t = 1 - beta_t (000 L9 "Forward Gaussian Diffusion Process")
    return all_of(sym_equal(1 / sp.sqrt(a), 1 / sp.sqrt(1 - b), domains={"beta_t": (0.001, 0.5)},
                            what="1/sqrt(alpha_t) vs 1/sqrt(1-beta_t)"), _score_step_identity())


# ------------------------------------------------------------------------------------- guidance
def _classifier_guidance_chain():
    g = _guide()
    bayes = g["grad_log"](g["p_x"] * g["p_y_x"] / g["p_y"])
    line1 = num_equal(g["s_y"], bayes, _XS, what="grad log p(x|y) vs grad log(p(x) p(y|x)/p(y))")
    line2 = num_equal(bayes, lambda x: g["s"](x) + g["cls"](x), _XS, what="vs grad log p(x) + grad log p(y|x)")
    return all_of(line1, line2)


def _guided_score_sum():
    g = _guide()
    return num_equal(g["s_y"], lambda x: g["s"](x) + g["cls"](x), _XS,
                     what="s(x, y) = grad log p(x|y) vs s(x) + grad log p(y|x)")


def _scaled_chain(with_z: bool = True):
    g = _guide()
    gam, z = sp.Rational(5, 2), sp.Rational(27, 10)
    line1 = lambda x: g["s"](x) + float(gam) * g["cls"](x)  # noqa: E731
    powered = g["grad_log"](g["p_y_x"] ** gam)
    line2 = lambda x: g["s"](x) + powered(x)  # noqa: E731
    parts = [num_equal(line1, line2, _XS, what="gamma grad log p(y|x) vs grad log p(y|x)^gamma (gamma = 5/2)")]
    if with_z:
        line3 = g["grad_log"](g["p_x"] * g["p_y_x"] ** gam / z)
        parts.append(num_equal(line2, line3, _XS, what="vs grad log(p(x) p(y|x)^gamma / Z), Z = 2.7"))
    return all_of(*parts)


def _sharpening():
    rng = np.random.default_rng(21)
    p = rng.dirichlet(np.ones(5))

    def entropy(g):
        q = p**g / np.sum(p**g)
        return float(-np.sum(q * np.log(q)))

    gammas = [0.5, 1.0, 1.5, 2.0, 3.0, 5.0]
    at = [{"g1": gammas[i], "g2": gammas[i + 1]} for i in range(len(gammas) - 1)]
    return num_compare(lambda g1, g2: entropy(g2), "<=", lambda g1, g2: entropy(g1), at,
                       what="entropy of p(y|x)^gamma (normalized over y) is non-increasing in gamma")


def _cfg_bayes():
    g = _guide()
    line1 = g["grad_log"](g["p_x_y"] * g["p_y"] / g["p_x"])
    return all_of(num_equal(g["cls"], line1, _XS, what="grad log p(y|x) vs grad log(p(x|y)p(y)/p(x))"),
                  num_equal(line1, lambda x: g["s_y"](x) - g["s"](x), _XS, what="vs grad log p(x|y) - grad log p(x)"))


def _cfg_chain(final: bool = True):
    g = _guide()
    out = []
    for gam in (0.5, 3.0, 7.5):
        line1 = lambda x, gam=gam: g["s"](x) + gam * g["cls"](x)  # noqa: E731
        line2 = lambda x, gam=gam: g["s"](x) + gam * (g["s_y"](x) - g["s"](x))  # noqa: E731
        out.append(num_equal(line1, line2, _XS, what=f"gamma = {gam}: classifier form vs Bayes-substituted form"))
        if final:
            line3 = lambda x, gam=gam: (1 - gam) * g["s"](x) + gam * g["s_y"](x)  # noqa: E731
            out.append(num_equal(line2, line3, _XS, what=f"gamma = {gam}: vs (1-gamma) s(x) + gamma s(x|y)"))
    return all_of(*out)


def _kernel_score_recap():
    x, xs, e = sp.symbols("x x_sigma epsilon", real=True)
    sig = sp.Symbol("sigma", positive=True)
    log_q = -(xs - x) ** 2 / (2 * sig**2) - sp.log(sig * sp.sqrt(2 * sp.pi))
    grad = sp.diff(log_q, xs)
    return all_of(sym_equal(grad, -(xs - x) / sig**2, what="grad log N(x_sigma | x, sigma^2)"),
                  sym_equal(grad.subs(xs, x + sig * e), -e / sig, what="at x_sigma = x + sigma eps"))


def _scaled_is_not_true_score():
    g = _guide()

    def gap(gam):
        return max(abs(g["s"](p["x"]) + gam * g["cls"](p["x"]) - g["s_y"](p["x"])) for p in _XS)

    inside = num_compare(gap, ">", lambda gam: 1e-3, [{"gam": 3.0}, {"gam": 0.5}],
                         what="max_x |s^gamma(x, y) - s(x, y)| on 15 points (two-class model)")
    outside = num_compare(gap, ">", lambda gam: 1e-3, [{"gam": 1.0}],
                          what="max_x |s^gamma(x, y) - s(x, y)| on 15 points (two-class model)")
    return holds_if("gamma != 1", inside, outside)


def _convex_combination():
    inside = num_compare(lambda g: min(1 - g, g), ">=", lambda g: 0.0, [{"g": g} for g in (0.0, 0.3, 0.7, 1.0)],
                         what="weights (1-gamma, gamma) are both >= 0")
    outside = num_compare(lambda g: min(1 - g, g), ">=", lambda g: 0.0, [{"g": g} for g in (3.0, 7.5)],
                          what="weights (1-gamma, gamma) are both >= 0")
    return holds_if("0 <= gamma <= 1", inside, outside)


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
                  "samples the target. Precise sense checked: for a Gaussian target with the exact score the "
                  "stationary law is N(mu, v/(1 - eta/(4v))), the target up to an O(eta) bias that vanishes as "
                  "eta -> 0.",
          check=_ula_check),
    Claim(id="000.L9.ncsn_objective", formulas=("000:3077",), kind="definition", theorem="ncsn.weighted_objective",
          meaning="The NCSN training objective (sigma_t^2-weighted sum of DSM objectives) -> min."),
    Claim(id="000.L9.noise_levels", formulas=("000:3081",), kind="notation",
          meaning="Increasing noise levels sigma_1 < sigma_2 < sigma_3 (figure caption)."),
    Claim(id="000.L9.annealed_langevin_step", formulas=("000:3099", "000:3227"), theorem="ncsn.annealed_sampling",
          meaning="At noise level sigma_t, L Langevin steps with step eta_t on the score of q(x_t) = p_data * "
                  "N(0, sigma_t^2 I). Checked as in langevin_step: for Gaussian data q(x_t) is Gaussian and the "
                  "stationary law of the step equals it up to an O(eta_t) bias vanishing as eta_t -> 0.",
          check=lambda: _ula_check(0.6 + 0.5**2)),
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
                  "as (1-abar_t) C_{1,t}, the only constant making the two lines equal for all eps_theta, eps.",
          check=_c1_to_c2),
    Claim(id="000.L9.kernel_score", formulas=("000:3188",), theorem="ddpm.score_reparametrization",
          meaning="Gradient in x_t of log N(x_t; sqrt(abar_t) x_0, (1-abar_t) I), and its value at "
                  "x_t = sqrt(abar_t) x_0 + sqrt(1-abar_t) eps.",
          check=_kernel_score),
    Claim(id="000.L9.score_from_eps", formulas=("000:3192", "003:158"), theorem="ddpm.score_reparametrization",
          meaning="s_theta,t := eps_theta,t/sqrt(1-abar_t) as printed, claimed to equal grad log p_theta(x_t). Checked "
                  "at the optimum: eps_theta = E[eps|x_t] for Gaussian data N(0.4, 0.6), where the model score must "
                  "equal the marginal score of q(x_t).",
          check=_score_from_eps_as_printed,
          corrected=r"\mathbf{s}_{\theta,t}(\mathbf{x}_t) = -\frac{\epsilon_{\theta,t}(\mathbf{x}_t)}{\sqrt{1 - "
                    r"\bar{\alpha}_t}} = \nabla_{\mathbf{x}_t} \log p_{\theta}(\mathbf{x}_t)"),
    Claim(id="000.L9.lt_as_dsm", formulas=("000:3194",), theorem="ddpm.elbo_equals_dsm",
          meaning="L_t (000:3184) rewritten as C_{2,t} E||s_theta - grad log q(x_t|x_0)||^2 with C_{2,t} = "
                  "(1-abar_t) C_{1,t}. " + _S_SCORE,
          check=_dsm_form_of_lt,
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
                  "Checked at the optimum for Gaussian data: -E[eps|x_t]/sqrt(1-abar_t) = grad log q(x_t).",
          check=_tweedie_score),
    Claim(id="000.L9.guided_step_bayes", formulas=("000:3350", "000:3358"), theorem="guidance.classifier",
          meaning="The ancestral step with the conditional score grad log p_theta(x_t|y) in place of the "
                  "unconditional one: the score-form step is the eps-form step of the conditional model (same "
                  "coefficient identity as the unconditional step).",
          check=_guided_step),
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
                  "function of x_t (two-class model).",
          check=_scaled_is_not_true_score),
    Claim(id="000.L9.scaled_conditional", formulas=("000:3397", "003:655"), theorem="guidance.scale_sharpening",
          meaning="The left side is the name of the scaled score (defined by the first line); the next lines: "
                  "gamma grad log p = grad log p^gamma, and grad log(p(x) p(y|x)^gamma / Z) for a constant Z. "
                  "Checked at gamma = 5/2, Z = 2.7 on the two-class model.",
          check=_scaled_chain),
    Claim(id="000.L9.sharpened_classifier", formulas=("000:3401",), theorem="guidance.scale_sharpening",
          meaning="p-hat(y|x_t) is p(y|x_t)^gamma normalized over y; the note claims a larger gamma sharpens it. "
                  "Checked: its entropy is non-increasing in gamma > 0 (5 classes, random p).",
          check=_sharpening),
    Claim(id="000.L9.guided_sampling_step", formulas=("000:3415", "000:3460", "000:3477"),
          theorem="guidance.classifier_free",
          meaning="The ancestral step with the scaled guided score in place of s_theta,t; the score form of the "
                  "step is the eps form with eps = -sqrt(1-abar_t) s (coefficient identity).",
          check=_guided_step),
    Claim(id="003.L9.guided_sampling_step_alpha", formulas=("003:700", "003:836"), theorem="guidance.classifier_free",
          meaning="As 000:3415 but with 1/sqrt(alpha_t) for the x_t coefficient; alpha_t = 1 - beta_t.",
          check=_guided_step_alpha),
    Claim(id="000.L9.scaled_score_notation", formulas=("000:3434", "003:724", "003:742"), kind="notation",
          meaning="grad^gamma log p_theta(x_t|y) names the scaled guided score grad log p + gamma grad log p(y|x_t)."),
    Claim(id="000.L9.cfg_bayes", formulas=("000:3438", "003:735", "003:746"), theorem="guidance.classifier_free",
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
          check=_cfg_chain),
    Claim(id="000.L9.cfg_convex_combination", text="Use their convex combination at inference.",
          places=_p("000", "L9", "Naive training approach", 3456), theorem="guidance.classifier_free",
          meaning="(1-gamma) s(x_t) + gamma s(x_t, y) is a convex combination iff both weights are in [0, 1]; the "
                  "guidance scales used in the lecture are > 1 (the text-guidance example shows gamma = 3).",
          check=_convex_combination,
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
                  "forward chain; checked by enumeration on a 3-state chain with T = 3.",
          check=_elbo_bound),
    Claim(id="003.L9.elbo_decomposition", formulas=("003:44",), theorem="ddpm.elbo_decomposition",
          meaning="The ELBO of a Markov forward chain q and reverse model p_theta equals reconstruction - prior KL - "
                  "sum_{t>=2} E_{q(x_t|x_0)} KL(q(x_{t-1}|x_t, x_0) || p_theta(x_{t-1}|x_t)); checked exactly by "
                  "enumeration (3 states, T = 3, random kernels).",
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
          check=_dsm_form_003),
    Claim(id="003.L9.ancestral_step", formulas=("003:234",), theorem="ddpm.ancestral_sampling",
          meaning="x_{t-1} = mu_theta,t(x_t) + sigma_t eps draws from N(mu_theta,t, sigma_t^2 I); checked: with the "
                  "exact reverse conditionals of Gaussian data, T steps from q(x_T) return the data law.",
          check=_ancestral_exact_gaussian),
    Claim(id="003.L9.ancestral_step_eps_form", formulas=("003:242",), theorem="ddpm.eps_mean",
          meaning="The ancestral step with the eps-parametrized mean; coefficients 1/sqrt(alpha_t) and "
                  "-(1-alpha_t)/sqrt(alpha_t (1-abar_t)) as in dgmcheck.theory.ddpm.eps_mean.",
          check=_eps_form_mu),
]
