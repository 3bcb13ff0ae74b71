"""Claims of 000 lectures 6-7: FID, precision-recall, Langevin dynamics, score matching, DSM, NCSN,
the forward Gaussian diffusion and the reverse kernel."""

from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp
from scipy import integrate, linalg, special

from dgmcheck.audit.claims.f000_l05_l08_common import (
    conditional_expect,
    denoising_objective,
    gaussian_kl_1d,
    marginal_expect,
    noised_mixture,
    noised_pdf_grad,
    npdf,
    test_scores,
)
from dgmcheck.audit.formulas import Place
from dgmcheck.audit.model import Claim, all_of, holds_if, num_compare, num_equal, points, sym_equal
from dgmcheck.theory import ddpm, langevin, metrics, score
from dgmcheck.theory import wasserstein as ws
from dgmcheck.theory.gaussian_mixture import GaussianMixture
from dgmcheck.theory.linear_gaussian import true_reverse_chain

_P = "000"


# ------------------------------------------------------------------ Gaussian W2 and FID
def _w2_quantile(ppf_a, ppf_b):
    """W_2^2 of two 1-D laws: int_0^1 (F_a^-1(u) - F_b^-1(u))^2 du (the comonotone coupling is optimal)."""
    return integrate.quad(lambda u: (ppf_a(u) - ppf_b(u)) ** 2, 0, 1, limit=400, epsabs=1e-13, points=[0.5])[0]


def _slide_w2(mu1, s1, mu2, s2):
    """The slide's formula, with principal matrix square roots (scipy.linalg.sqrtm)."""
    r = linalg.sqrtm(s1)
    inner = linalg.sqrtm(r @ s2 @ r)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * np.real(inner)))


def _rand_spd(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.3 * np.eye(d)


def _gaussian_w2():
    rng = np.random.default_rng(41)
    one_d = [
        {"m1": rng.normal(), "s1": rng.uniform(0.3, 2), "m2": rng.normal(), "s2": rng.uniform(0.3, 2)} for _ in range(5)
    ]
    quantile = num_equal(
        lambda m1, s1, m2, s2: _slide_w2(np.array([m1]), np.array([[s1 * s1]]), np.array([m2]), np.array([[s2 * s2]])),
        lambda m1, s1, m2, s2: _w2_quantile(lambda u: m1 + s1 * special.ndtri(u), lambda u: m2 + s2 * special.ndtri(u)),
        one_d,
        rtol=1e-7,
        what="1-D: formula vs int_0^1 (F^-1 - G^-1)^2 du",
    )
    cases = [
        {"mu1": rng.normal(size=3), "s1": _rand_spd(rng, 3), "mu2": rng.normal(size=3), "s2": _rand_spd(rng, 3)}
        for _ in range(5)
    ]

    def map_cost(mu1, s1, mu2, s2):
        # cost of the coupling x -> mu2 + A (x - mu1), A = S1^-1/2 (S1^1/2 S2 S1^1/2)^1/2 S1^-1/2
        r = ws.psd_sqrt(s1)
        ri = np.linalg.inv(r)
        a = ri @ ws.psd_sqrt(r @ s2 @ r) @ ri
        return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(a @ s1 @ a) - 2 * np.trace(a @ s1))

    def pushed_cov(mu1, s1, mu2, s2):
        r = ws.psd_sqrt(s1)
        ri = np.linalg.inv(r)
        a = ri @ ws.psd_sqrt(r @ s2 @ r) @ ri
        return a @ s1 @ a

    valid = num_equal(pushed_cov, lambda mu1, s1, mu2, s2: s2, cases, what="the map pushes N(mu1, S1) to N(mu2, S2)")
    cost = num_equal(_slide_w2, map_cost, cases, what="d = 3: formula vs cost of the optimal linear map")
    return all_of(quantile, valid, cost)


def _fid_is_w2():
    def fid_formula(m1, v1, m2, v2):
        return _slide_w2(np.array([m1]), np.array([[v1]]), np.array([m2]), np.array([[v2]]))

    # 000:1947 as written, on the means and covariances of feature sets, is the registry's FID (metrics.fid, with
    # metrics.feature_stats)
    rng = np.random.default_rng(44)
    feats = [{"X": rng.normal(size=(40, 3)) @ _rand_spd(rng, 3), "Y": rng.normal(size=(30, 3)) + rng.normal(size=3)}
             for _ in range(4)]
    formula = num_equal(
        lambda X, Y: _slide_w2(*metrics.feature_stats(X), *metrics.feature_stats(Y)),
        lambda X, Y: metrics.fid(X, Y),
        feats,
        what="000:1947 on the feature means/covariances (metrics.feature_stats) vs metrics.fid",
    )
    gauss = [{"m": m, "s": s} for m, s in ((0.5, 1.3), (-1.0, 0.6), (2.0, 2.0))]
    inside = num_equal(
        lambda m, s: fid_formula(0.0, 1.0, m, s * s),
        lambda m, s: _w2_quantile(special.ndtri, lambda u: m + s * special.ndtri(u)),
        gauss,
        rtol=1e-7,
        what="Gaussian laws: FID formula vs W_2^2 (quantile quadrature)",
    )
    oracle = num_equal(
        lambda m, s: fid_formula(0.0, 1.0, m, s * s),
        lambda m, s: ws.gaussian_w2_squared(np.zeros(1), np.eye(1), np.array([m]), np.array([[s * s]])),
        gauss,
        what="Gaussian laws: FID formula vs W_2^2 (registry oracle ws.gaussian_w2_squared)",
    )
    r3 = math.sqrt(3.0)  # U[-sqrt3, sqrt3] has mean 0 and variance 1
    outside = num_equal(
        lambda: fid_formula(0.0, 1.0, 0.0, 1.0),
        lambda: _w2_quantile(special.ndtri, lambda u: -r3 + 2 * r3 * u),
        [{}],
        rtol=1e-7,
        what="p_data = N(0,1), p_theta = U[-sqrt3, sqrt3] (same mean and variance)",
    )
    return holds_if("p_data and p_theta (their feature laws) are Gaussian", all_of(formula, inside, oracle),
                    all_of(formula, outside))


def _unnormalized_score():
    x, a, z = sp.symbols("x a Z", positive=True)
    p_hat = sp.exp(-(x**4 / 4 + a * x**2 - x))
    lhs = sp.diff(sp.log(p_hat / z), x)
    mid = sp.diff(sp.log(p_hat), x) - sp.diff(sp.log(z), x)
    # the registry oracle: score.derive_unnormalized (symbolic mixture p_hat, constant Z) and, numerically, the
    # score of a normalized mixture (GaussianMixture.score) vs the slide's grad log p_hat for p_hat = Z p
    y = sp.symbols("y", real=True)
    w, m, v, Z = (0.3, 0.7), (-1.0, 0.8), (0.5, 1.2), 3.7
    p_hat_mix = Z * sum(wk * sp.exp(-((y - mk) ** 2) / (2 * vk)) / sp.sqrt(2 * sp.pi * vk)
                        for wk, mk, vk in zip(w, m, v, strict=True))
    slide_score = sp.lambdify(y, sp.diff(sp.log(p_hat_mix), y), "numpy")
    mix = GaussianMixture(np.array(w), np.array(m)[:, None], np.array(v)[:, None, None])
    return all_of(
        sym_equal(lhs, mid, what="grad log(p_hat/Z) = grad log p_hat - grad log Z"),
        sym_equal(mid, sp.diff(sp.log(p_hat), x), what="grad_x log Z = 0"),
        sym_equal(sp.Matrix(score.derive_unnormalized(2, 2)), sp.zeros(2, 1),
                  what="score.derive_unnormalized: grad log(p_hat/Z) - grad log p_hat (2-D mixture)"),
        num_equal(lambda y: float(slide_score(y)), lambda y: float(mix.score(np.array([[y]]))[0, 0]),
                  points(8, seed=45, y=(-3.0, 3.0)),
                  what="grad log p_hat (p_hat = 3.7 p) vs GaussianMixture.score of p (registry oracle)"),
    )


@functools.cache
def _ula_stationary_1d():
    """langevin.derive_ula_stationary_1d, derived once for the three claims that read it (each of them also
    runs langevin's numeric oracles)."""
    return langevin.derive_ula_stationary_1d()


def _langevin_stationary(target_var_expr):
    """ULA x' = x + eta/2 grad log N(mu, V) + sqrt(eta) eps (the slide's step) on Gaussian targets, against the
    registry oracle langevin.stationary: one step's affine law, convergence to the stationary law, its O(eta) bias."""
    derived = _ula_stationary_1d()
    fixed = sym_equal(derived["solution_gap"], 0, what="langevin.derive_ula_stationary_1d: s = 4V^2/(4V - eta)")
    limit = sym_equal(derived["bias_constant"], 0, what="s_eta - V = O(eta): s_eta -> V as eta -> 0")
    mu = 0.7
    cases = [{"eta": e, "V": v} for e in (0.05, 0.2) for v in target_var_expr]

    def slide_step(eta, V):  # x' = (1 - eta/(2V)) x + eta mu/(2V) + sqrt(eta) eps, from grad log N(mu, V) = -(x-mu)/V
        return [1.0 + eta / 2 * (-1.0 / V), eta / 2 * (mu / V), math.sqrt(eta) ** 2]

    def oracle_step(eta, V):
        M, c, Q = langevin.ula_transition(np.array([[V]]), np.array([mu]), eta)
        return [M[0, 0], c[0], Q[0, 0]]

    step = num_equal(slide_step, oracle_step, cases, what="the slide's step vs langevin.ula_transition")

    def after(eta, V):  # law after 2000 steps from N(4, 0.01) (langevin.moment_step)
        M, c, Q = langevin.ula_transition(np.array([[V]]), np.array([mu]), eta)
        m_, S_ = np.array([4.0]), np.array([[0.01]])
        for _ in range(2000):
            m_, S_ = langevin.moment_step(m_, S_, M, c, Q)
        return [m_[0], S_[0, 0]]

    def stationary(eta, V):
        m_, S_ = langevin.ula_stationary(np.array([[V]]), np.array([mu]), eta)
        return [m_[0], S_[0, 0]]

    conv = num_equal(after, stationary, cases, rtol=1e-7,
                     what="2000 exact ULA steps from N(4, 0.01) -> the stationary law (langevin.ula_stationary)")
    small = [{"eta": e, "V": v} for e in (1e-2, 1e-4, 1e-6) for v in target_var_expr]
    bias = num_compare(lambda eta, V: langevin.ula_bias(np.array([[V]]), eta)["gap"], "<=", lambda eta, V: eta, small,
                       what="|Var pi_eta - V| <= eta (langevin.ula_bias): pi_eta -> p as eta -> 0")
    return all_of(fixed, limit, step, conv, bias)


def _langevin_theorem_rates():
    # f(x) = (x - mu)^2/(2V): L-smooth and m-strongly convex with L = m = 1/V. For eta < 2/L the chain
    # contracts (|1 - eta/(2V)| < 1: unique stationary law N(mu, v_eta)) and
    # W_2(pi_eta, p) = sqrt(v_eta) - sqrt(V) <= C eta with C = (sqrt2 - 1)/(2 sqrt V).
    cases = [{"V": v, "eta": f * 2 * v} for v in (0.5, 2.0) for f in (1e-4, 0.01, 0.3, 0.7, 0.999)]
    contract = num_compare(
        lambda V, eta: abs(langevin.ula_transition(np.array([[V]]), np.zeros(1), eta)[0][0, 0]), "<",
        lambda V, eta: 1.0, cases, what="contraction factor of the chain (langevin.ula_transition)"
    )
    rate = num_compare(
        lambda V, eta: langevin.ula_bias(np.array([[V]]), eta)["w2"],
        "<=",
        lambda V, eta: (math.sqrt(2) - 1) / (2 * math.sqrt(V)) * eta,
        cases,
        what="W_2(pi_eta, p) (langevin.ula_bias) <= C eta",
    )
    return all_of(contract, rate, _langevin_stationary((0.5, 2.0)))


def _langevin():
    return _langevin_stationary((0.5, 1.0, 2.5))


def _langevin_score_form():
    x, mu, eta, eps = sp.symbols("x mu eta epsilon", real=True)
    log_p = sp.log(sp.exp(-((x - mu) ** 2) / 2) + sp.exp(-((x + mu) ** 2) / 2))
    s = sp.diff(log_p, x)
    return sym_equal(
        x + eta / 2 * sp.diff(log_p, x) + sp.sqrt(sp.Abs(eta)) * eps,
        x + eta / 2 * s + sp.sqrt(sp.Abs(eta)) * eps,
        what="step with grad log p vs with s_theta",
    )


_STD_NORMAL = GaussianMixture(np.ones(1), np.zeros((1, 1)), np.ones((1, 1, 1)))


def _fisher_forms():
    # p_data = N(0, 1), p_theta = N(m, v): 1/2 E_pdata (d log p_theta - d log p_data)^2 in both written forms.
    x, m = sp.symbols("x m", real=True)
    v = sp.symbols("v", positive=True)
    log_pt = -((x - m) ** 2) / (2 * v) - sp.log(2 * sp.pi * v) / 2
    s_theta = sp.lambdify((x, m, v), sp.diff(log_pt, x))
    grad_pt = sp.lambdify((x, m, v), -(x - m) / v)  # the gradient written out

    def form(score):
        return lambda m, v: (
            0.5 * integrate.quad(lambda y: npdf(y) * (score(y, m, v) + y) ** 2, -30, 30, epsabs=1e-13)[0]
        )

    def oracle(m, v):  # 1/2 E_{p_data} ||s_theta - grad log p_data||^2 by the registry oracle score.explicit_objective
        return 0.5 * score.explicit_objective(_STD_NORMAL, lambda y: np.asarray(s_theta(y, m, v), dtype=float))

    pts = points(6, seed=3, m=(-1.0, 1.0), v=(0.3, 2.0))
    return all_of(
        num_equal(form(grad_pt), oracle, pts,
                  what="1/2 E||grad log p_theta - grad log p_data||^2 (quadrature) vs score.explicit_objective / 2"),
        num_equal(form(s_theta), oracle, pts,
                  what="1/2 E||s_theta - grad log p_data||^2 (quadrature) vs score.explicit_objective / 2"),
    )


def _noise_kernel_law():
    y, x = sp.symbols("y x", real=True)
    sigma = sp.symbols("sigma", positive=True)
    std_normal = sp.exp(-(sp.Symbol("z") ** 2) / 2) / sp.sqrt(2 * sp.pi)
    # density of y = x + sigma eps: phi((y - x)/sigma) / sigma (change of variables)
    dens = std_normal.subs(sp.Symbol("z"), (y - x) / sigma) / sigma
    gauss = sp.exp(-((y - x) ** 2) / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2)
    return sym_equal(dens, gauss, what="law of x + sigma eps vs N(x, sigma^2)")


def _kernel_gradient(what, mean_of, sd_of, slide, pts):
    """The slide's kernel gradient (``slide``) vs the registry oracle score.noise_kernel_score of the Gaussian kernel
    N(mean_of(x), sd_of^2) at x_t (score.noise_kernel_gradient)."""
    return num_equal(slide, lambda xt, x, **k: float(score.noise_kernel_score(xt, mean_of(x, **k), sd_of(**k))), pts,
                     what=what)


def _noise_kernel_gradient():
    pts = points(8, seed=5, xt=(-3.0, 3.0), x=(-2.0, 2.0), sigma=(0.2, 2.0))
    eps_pts = [dict(p, eps=(p["xt"] - p["x"]) / p["sigma"]) for p in pts]
    derived = score.derive_noise_kernel_gradient(2)
    return all_of(
        sym_equal(sp.Matrix(derived["closed_form"] + derived["eps_form"]), sp.zeros(4, 1),
                  what="score.derive_noise_kernel_gradient (both '=' of the slide, d = 2)"),
        _kernel_gradient("-(x_sigma - x)/sigma^2 vs score.noise_kernel_score", lambda x, sigma: x,
                         lambda sigma: sigma, lambda xt, x, sigma: -(xt - x) / sigma**2, pts),
        num_equal(lambda xt, x, sigma, eps: -eps / sigma,
                  lambda xt, x, sigma, eps: float(score.noise_kernel_score(x + sigma * eps, x, sigma)), eps_pts,
                  what="-eps/sigma vs score.noise_kernel_score at x_sigma = x + sigma eps"),
    )


def _ncsn_kernel_gradient():
    pts = points(8, seed=6, xt=(-3.0, 3.0), x=(-2.0, 2.0), sigma_t=(0.05, 5.0))
    return _kernel_gradient("-(x_t - x)/sigma_t^2 vs score.noise_kernel_score", lambda x, sigma_t: x,
                            lambda sigma_t: sigma_t, lambda xt, x, sigma_t: -(xt - x) / sigma_t**2, pts)


def _diffusion_kernel_gradient():
    # q(x_t|x_0) = N(sqrt(abar) x_0, (1 - abar) I): the oracle's Gaussian kernel with mean sqrt(abar) x_0
    pts = points(8, seed=7, xt=(-3.0, 3.0), x=(-2.0, 2.0), ab=(0.01, 0.99))
    return _kernel_gradient("-(x_t - sqrt(abar) x_0)/(1 - abar) vs score.noise_kernel_score",
                            lambda x, ab: math.sqrt(ab) * x, lambda ab: math.sqrt(1 - ab),
                            lambda xt, x, ab: -(xt - math.sqrt(ab) * x) / (1 - ab), pts)


# ------------------------------------------------------------------ denoising score matching
#: Gauss-Hermite nodes for the registry's score oracles on the mixture of f000_l05_l08_common: at 64 nodes the
#: (slowly converging) mixture-score integrals carry ~1e-7 relative error; at 200 they agree with adaptive quadrature.
_N = 200


def _data(a):
    """p_data (the 3-component mixture of f000_l05_l08_common) scaled by a: x' = a x, so x_t = x' + sqrt(v) eps."""
    return noised_mixture(a, 0.0)


def _as_score_fn(s):
    return lambda x: np.asarray(s(x[:, 0]), dtype=float)[:, None]


def _dsm(a, v):
    # slide's right side E_pdata E_q(x_t|x) ||s - grad log q(x_t|x)||^2 (f000_l05_l08_common.denoising_objective, kernel
    # gradient -(x_t - a x)/v) vs the registry oracle (score.dsm_equivalence): it is score.dsm_objective, and the
    # left side score.explicit_objective exceeds it by -const with const = score.dsm_constant (theta-free)
    scores = test_scores()
    cases = [{"j": j} for j in range(len(scores))]
    data, sigma = _data(a), math.sqrt(v)
    noised = data.noised(1.0, v)
    const = score.dsm_constant(data, sigma, n=_N)
    return all_of(
        num_equal(lambda j: denoising_objective(scores[j], a, v),
                  lambda j: score.dsm_objective(data, sigma, _as_score_fn(scores[j]), n=_N), cases,
                  rtol=1e-7, atol=1e-8,
                  what=f"denoising objective (slide) vs score.dsm_objective (a={a:g}, v={v:g})"),
        num_equal(lambda j: (score.explicit_objective(noised, _as_score_fn(scores[j]), n=_N)
                             - denoising_objective(scores[j], a, v)),
                  lambda j: -const, cases, rtol=1e-7, atol=1e-8,
                  what=f"explicit - denoising objective = -score.dsm_constant for 5 score models (a={a:g}, v={v:g})"),
    )


def _dsm_theorem():
    return all_of(_dsm(1.0, 0.25), _dsm(1.0, 1.5))


def _dsm_diffusion():
    abar = 0.64
    return all_of(_dsm(math.sqrt(abar), 1 - abar), _dsm(math.sqrt(0.1), 0.9))


def _dsm_noisy_objective_equiv():
    # the noised objective and the denoising objective differ by a theta-free constant: same minimizer.
    scores = test_scores()
    a, v = 1.0, 0.25
    expl = [score.explicit_objective(_data(a).noised(1.0, v), _as_score_fn(s), n=_N) for s in scores]
    den = [denoising_objective(s, a, v) for s in scores]
    same_order = num_equal(
        lambda: list(np.argsort(expl)),
        lambda: list(np.argsort(den)),
        [{}],
        what="the 5 score models rank the same under both objectives",
    )
    return all_of(_dsm(a, v), same_order)


def _dsm_substituted():
    # the slide's integrand ||s(x + sigma eps) + eps/sigma||^2 vs ||s(x_sigma) - grad log q(x_sigma|x)||^2 with the
    # kernel gradient from the registry oracle score.noise_kernel_score, at x_sigma = x + sigma eps
    scores = test_scores()
    pts = [dict(p, j=j) for j in range(len(scores))
           for p in points(4, seed=8 + j, x=(-2, 2), eps=(-2, 2), sigma=(0.2, 2))]
    derived = score.derive_noise_kernel_gradient(1)
    return all_of(
        sym_equal(derived["eps_form"][0], 0, what="score.derive_noise_kernel_gradient: grad log q = -eps/sigma"),
        num_equal(lambda x, eps, sigma, j: float(scores[j](x + sigma * eps) + eps / sigma) ** 2,
                  lambda x, eps, sigma, j: float(scores[j](x + sigma * eps)
                                                 - score.noise_kernel_score(x + sigma * eps, x, sigma)) ** 2,
                  pts, what="||s(x + sigma eps) + eps/sigma||^2 vs ||s(x_sigma) - score.noise_kernel_score||^2"),
    )


def _langevin_noisy_score():
    # ULA with the exact score of q(x_sigma) = N(mu, s^2 + sigma^2) targets q(x_sigma) (not p_data) as eta -> 0.
    return _langevin_stationary((0.5 + 0.3**2, 1.0 + 1.0**2))


def _tower():
    scores = test_scores()
    a, v = 1.0, 0.25
    q = noised_mixture(a, v)
    cases = [{"j": j} for j in range(len(scores))]

    def h(j):
        return lambda y: (scores[j](y) - q.score(y[:, None])[:, 0]) ** 2

    tower = num_equal(
        lambda j: score.explicit_objective(q, _as_score_fn(scores[j]), n=_N),
        lambda j: conditional_expect(lambda x, xt: h(j)(xt.ravel()).reshape(xt.shape), a, v),
        cases,
        rtol=1e-7,
        what="E_q h (score.explicit_objective) = E_pdata E_q(.|x) h",
    )
    s1, s2, g1, g2 = sp.symbols("s1 s2 g1 g2", real=True)
    expand = sym_equal(
        (s1 - g1) ** 2 + (s2 - g2) ** 2,
        (s1**2 + s2**2) + (g1**2 + g2**2) - 2 * (s1 * g1 + s2 * g2),
        what="||s - g||^2 = ||s||^2 + ||g||^2 - 2 s^T g (d = 2)",
    )
    return all_of(tower, expand)


def _cross_term():
    scores = test_scores()
    a, v = 1.0, 0.25
    q = noised_mixture(a, v)
    cases = [{"j": j} for j in range(1, len(scores))]

    def first(j):  # int q s grad log q
        return marginal_expect(lambda y: scores[j](y) * q.score(y[:, None])[:, 0], a, v)

    def second(j):  # int s^T grad q dx_sigma (quadrature; grad q written out for the mixture)
        f = lambda y: float(scores[j](y)) * noised_pdf_grad(y, a, v)[1]  # noqa: E731
        return integrate.quad(f, -12, 12, limit=400, epsabs=1e-12, epsrel=1e-11)[0]

    def last(j):  # E_pdata E_q(.|x) s^T grad log q(x_sigma|x), on the registry oracle's rule score.denoising_rule
        x, eps, w = score.denoising_rule(_data(a), math.sqrt(v), n=_N)
        xt = x + math.sqrt(v) * eps
        return float(w @ (scores[j](xt[:, 0]) * (-(xt[:, 0] - x[:, 0]) / v)))

    def oracle_first(j):  # E_q[s grad log q] by score.explicit_objective: (E s^2 + J - explicit) / 2
        s_fn = _as_score_fn(scores[j])
        return 0.5 * (marginal_expect(lambda y: scores[j](y) ** 2, a, v) + score.fisher_information(q, n=_N)
                      - score.explicit_objective(q, s_fn, n=_N))

    return all_of(
        num_equal(first, second, cases, rtol=1e-7, what="line 1 = line 2"),
        num_equal(first, last, cases, rtol=1e-7, what="line 1 = last line (score.denoising_rule)"),
        num_equal(first, oracle_first, cases, rtol=1e-7, what="line 1 vs score.explicit_objective"),
    )


def _proof_summary():
    scores = test_scores()
    a, v = 1.0, 0.25
    cases = [{"j": j} for j in range(len(scores))]

    q = _data(a).noised(1.0, v)

    def gap_expanded(j):
        return score.explicit_objective(q, _as_score_fn(scores[j]), n=_N) - conditional_expect(
            lambda x, xt: scores[j](xt) ** 2 - 2 * scores[j](xt) * (-(xt - a * x) / v), a, v
        )

    base = gap_expanded(0)
    return all_of(
        num_equal(
            gap_expanded,
            lambda j: base,
            cases,
            rtol=1e-7,
            atol=1e-8,
            what="LHS - E E[||s||^2 - 2 s^T grad log q(x_sigma|x)] is theta-free",
        ),
        _dsm(a, v),
    )


# ------------------------------------------------------------------ NCSN and the forward process
def _gauss_kl_sym(m1, v1, m2, v2):
    return (sp.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1) / 2


def _ncsn_endpoints():
    m = sp.symbols("m", real=True)
    s2, s1, st = sp.symbols("s2 sigma_1 sigma_T", positive=True)  # s2 = data variance
    kl_first = _gauss_kl_sym(m, s2 + s1**2, m, s2)
    kl_last = _gauss_kl_sym(m, s2 + st**2, 0, st**2)
    u = sp.symbols("u", positive=True)  # u = 1/sigma_T^2 -> 0
    at_inf = sp.expand_log(sp.simplify(kl_last.subs(st, 1 / sp.sqrt(u))), force=True)
    return all_of(
        sym_equal(kl_first.subs(s1, 0), 0, what="KL(q(x_1)||p_data) -> 0 as sigma_1 -> 0 (continuous)"),
        sym_equal(at_inf.subs(u, 0), 0, what="KL(q(x_T)||N(0, sigma_T^2)) at u = 1/sigma_T^2 -> 0"),
        _noise_kernel_law(),
    )


def _diffusion_endpoints():
    m = sp.symbols("m", real=True)
    s2, b1, ab = sp.symbols("s2 beta_1 alphabar_T", positive=True)
    kl_first = _gauss_kl_sym(sp.sqrt(1 - b1) * m, (1 - b1) * s2 + b1, m, s2)
    kl_last = _gauss_kl_sym(sp.sqrt(ab) * m, ab * s2 + 1 - ab, 0, 1)
    # the registry oracle ddpm.stationary: q(x_1|x_0) from ddpm.forward_step (KL(q(x_1)||p_data) small for small
    # beta_1, Gaussian data N(0.3, 0.7)), and KL(q(x_T|x_0) || N(0, I)) by ddpm.prior_kl small for long schedules
    def kl_first_num(b):
        coef, var = (float(u) for u in ddpm.forward_step(np.array([b]), 1))
        return float(gaussian_kl_1d(coef * 0.3, coef**2 * 0.7 + var, 0.3, 0.7))

    return all_of(
        sym_equal(kl_first.subs(b1, 0), 0, what="KL(q(x_1)||p_data) -> 0 as beta_1 -> 0 (continuous)"),
        sym_equal(kl_last.subs(ab, 0), 0, what="KL(q(x_T)||N(0, I)) -> 0 as alphabar_T -> 0 (continuous)"),
        num_compare(kl_first_num, "<=", lambda b: b, [{"b": b} for b in (1e-2, 1e-4, 1e-6)],
                    what="KL(q(x_1)||p_data) <= beta_1 (ddpm.forward_step)"),
        num_compare(lambda T: ddpm.prior_kl(np.full(T, 0.02), np.array([1.5, -2.0])), "<=",
                    lambda T: 2.0 * 0.98**T * (1 + 1.5**2 + 2.0**2), [{"T": T} for T in (100, 400, 1600)],
                    what="ddpm.prior_kl(q(x_T|x_0) || N(0, I)) -> 0 as T grows (alphabar_T = 0.98^T)"),
    )


def _ncsn_objective():
    x, eps, xt = sp.symbols("x epsilon x_t", real=True)
    st = sp.symbols("sigma_t", positive=True)
    s = sp.Function("s")
    grad = -(xt - x) / st**2
    term = (st**2 * (s(xt) - grad) ** 2).subs(xt, x + st * eps)
    # the slide's objective sum_t sigma_t^2 E E ||s(x_t) + eps/sigma_t||^2 (training loss, eps = (x_t - x)/sigma_t)
    # vs the registry oracle score.ncsn_weighted_objective (weights lambda_t = sigma_t^2)
    sigmas = np.array([0.3, 0.8, 2.0])
    scores = test_scores()

    def slide(j):
        return sum(sig**2 * conditional_expect(lambda x_, xt_, sig=sig: (scores[j](xt_) + (xt_ - x_) / sig / sig) ** 2,
                                               1.0, sig**2) for sig in sigmas)

    def oracle(j):
        return score.ncsn_weighted_objective(_data(1.0), sigmas, lambda x_, sig: _as_score_fn(scores[j])(x_), n=_N)

    return all_of(
        num_equal(slide, oracle, [{"j": j} for j in range(len(scores))], rtol=1e-7, atol=1e-8,
                  what="sum_t sigma_t^2 E||s(x_t) + eps/sigma_t||^2 vs score.ncsn_weighted_objective, 3 levels"),
        sym_equal(grad.subs(xt, x + st * eps), -eps / st, what="-(x_t - x)/sigma_t^2 = -eps/sigma_t"),
        sym_equal(
            term,
            st**2 * (s(x + st * eps) + eps / st) ** 2,
            what="weighted term = sigma_t^2 ||s + eps/sigma_t||^2 (training loss)",
        ),
    )


def _annealed_langevin():
    # Gaussian data N(m, s2): the exact law of NCSN's sampler (registry oracle langevin.ncsn_sampling_moments: start
    # N(0, sigma_T^2), L steps per level from sigma_T down to sigma_1, eta_t = eps sigma_t^2/sigma_1^2
    # (langevin.ncsn_step_sizes), sigma_t geometric (langevin.geometric_sigmas)); the slide's step, transcribed, is the
    # oracle's affine step; the output approaches q(x_1) = N(m, s2 + sigma_1^2) as eps shrinks (L = 40/eps).
    m, s2 = 0.8, 0.5
    sigmas = langevin.geometric_sigmas(0.5, 5.0, 4)
    target = s2 + sigmas[0] ** 2

    def slide_step(t, eps):  # x' = x + eta_t/2 * (-(x - m)/(s2 + sigma_t^2)) + sqrt(eta_t) eps
        eta = langevin.ncsn_step_sizes(sigmas, eps)[t]
        V = s2 + sigmas[t] ** 2
        return [1.0 - eta / (2 * V), eta * m / (2 * V), math.sqrt(eta) ** 2]

    def oracle_step(t, eps):
        M, c, Q = langevin.ula_transition(np.array([[s2 + sigmas[t] ** 2]]), np.array([m]),
                                          float(langevin.ncsn_step_sizes(sigmas, eps)[t]))
        return [M[0, 0], c[0], Q[0, 0]]

    step = num_equal(slide_step, oracle_step, [{"t": t, "eps": 0.05} for t in range(4)],
                     what="the slide's step at each level vs langevin.ula_transition")

    def err(eps):
        mean, var = langevin.ncsn_sampling_moments(np.array([m]), np.array([[s2]]), sigmas, eps, round(40 / eps))
        return abs(mean[0] - m) + abs(var[0, 0] - target)

    errs = [err(e) for e in (0.2, 0.05, 0.0125)]
    return all_of(
        step,
        num_compare(lambda: errs[1], "<", lambda: errs[0] / 3, [{}], what="error shrinks with eta"),
        num_compare(lambda: errs[2], "<", lambda: errs[1] / 3, [{}], what="error shrinks with eta"),
        num_compare(
            lambda: errs[2], "<", lambda: 5e-3, [{}], what="final law within 5e-3 of q(x_1) = N(m, s^2 + sigma_1^2)"
        ),
    )


def _forward_kernel():
    x, xp = sp.symbols("x_t x_prev", real=True)
    beta = sp.symbols("beta_t", positive=True)
    std_normal = sp.exp(-(sp.Symbol("z") ** 2) / 2) / sp.sqrt(2 * sp.pi)
    dens = std_normal.subs(sp.Symbol("z"), (x - sp.sqrt(1 - beta) * xp) / sp.sqrt(beta)) / sp.sqrt(beta)
    gauss = sp.exp(-((x - sp.sqrt(1 - beta) * xp) ** 2) / (2 * beta)) / sp.sqrt(2 * sp.pi * beta)
    return sym_equal(dens, gauss, what="law of sqrt(1-beta) x_{t-1} + sqrt(beta) eps vs N(sqrt(1-beta) x_{t-1}, beta)")


def _forward_as_langevin():
    b, x, e = sp.symbols("beta x epsilon", real=True)
    rem = ddpm.derive_langevin_remainder()  # series of sqrt(1-b) - (1 - b/2) at 0, to O(b^3)
    bp = sp.Symbol("beta", positive=True)
    first_order = sym_equal(
        sp.series(sp.sqrt(1 - bp), bp, 0, 2).removeO(), 1 - bp / 2, what="sqrt(1-beta) = 1 - beta/2 + O(beta^2)"
    )
    remainder = sym_equal(rem, -(bp**2) / 8, what="next term -beta^2/8")
    exact = sym_equal(
        (1 - b / 2) * x + sp.sqrt(sp.Abs(b)) * e, x + b / 2 * (-x) + sp.sqrt(sp.Abs(b)) * e, what="second '='"
    )
    grad = sym_equal(sp.diff(-(x**2) / 2 - sp.log(2 * sp.pi) / 2, x), -x, what="grad log N(x; 0, 1) = -x")
    return all_of(first_order, remainder, exact, grad)


def _forward_marginal():
    rng = np.random.default_rng(43)
    cases = [{"betas": rng.uniform(1e-3, 0.3, 12)} for _ in range(5)]

    def composed(betas):  # compose the kernels: mean coefficient and variance recursion
        c, v = 1.0, 0.0
        for b in betas:
            c, v = math.sqrt(1 - b) * c, (1 - b) * v + b
        return [c, v]

    def slide(betas):
        abar = float(np.prod(1 - betas))
        return [math.sqrt(abar), 1 - abar]

    return all_of(
        num_equal(composed, slide, cases, what="composition of 12 kernels vs N(sqrt(abar) x0, 1-abar)"),
        num_equal(
            slide, lambda betas: [float(u) for u in ddpm.forward_marginal(betas, len(betas))], cases, what="oracle"
        ),
    )


def _forward_chain():
    a, ap = sp.symbols("alpha_t alpha_prev", positive=True)
    x2, e1, e2 = sp.symbols("x_prev2 eps_prev eps_t", real=True)
    line2 = sp.sqrt(a) * (sp.sqrt(ap) * x2 + sp.sqrt(1 - ap) * e1) + sp.sqrt(1 - a) * e2
    line3 = sp.sqrt(a * ap) * x2 + (sp.sqrt(a * (1 - ap)) * e1 + sp.sqrt(1 - a) * e2)
    var_noise = sym_equal(
        a * (1 - ap) + (1 - a),
        1 - a * ap,
        what="variance of sqrt(a(1-a')) eps' + sqrt(1-a) eps = 1 - a a' (independent)",
    )
    step = ddpm.derive_forward_marginal_step()
    induction = all_of(
        sym_equal(step["mean_coef"], step["target_mean_coef"], what="induction: mean coefficient"),
        sym_equal(step["var"], step["target_var"], what="induction: variance"),
    )
    return all_of(sym_equal(line2, line3, what="lines 2-3"), var_noise, induction)


def _stationary():
    cases = [{"x": x, "b": b} for x in (-1.7, 0.0, 0.9, 2.4) for b in (0.02, 0.5)]

    def pushed(x, b):  # the kernel q(x|x') = N(sqrt(alpha) x', beta) from the registry oracle ddpm.forward_step
        coef, var = (float(u) for u in ddpm.forward_step(np.array([b]), 1))
        f = lambda xp: float(npdf(x, coef * xp, math.sqrt(var)) * npdf(xp))  # noqa: E731
        return integrate.quad(f, -30, 30, points=[x], limit=400, epsabs=1e-14, epsrel=1e-12)[0]

    return num_equal(
        pushed, lambda x, b: npdf(x), cases, rtol=1e-8, what="int q(x|x') N(x'; 0, 1) dx' vs N(x; 0, 1)"
    )


def _stationary_limit():
    m = sp.symbols("m", real=True)
    s2, ab = sp.symbols("s2 alphabar_t", positive=True)
    kl = _gauss_kl_sym(sp.sqrt(ab) * m, ab * s2 + 1 - ab, 0, 1)
    rng = np.random.default_rng(47)
    cases = [{"x0": x0} for x0 in rng.normal(0, 3, 5)]
    ab_small = 1e-12
    kernel = num_equal(
        lambda x0: [math.sqrt(ab_small) * x0, 1 - ab_small],
        lambda x0: [0.0, 1.0],
        cases,
        rtol=1e-5,
        atol=1e-5,
        what="q(x_t|x_0) -> N(0, 1) whatever x_0 (alphabar = 1e-12)",
    )
    # registry oracle ddpm.prior_kl: KL(q(x_T|x_0) || N(0, I)) for beta_t = 0.02, T -> oo, decreases to 0
    prior = num_compare(lambda x0: ddpm.prior_kl(np.full(3000, 0.02), np.array([x0])), "<=", lambda x0: 1e-12, cases,
                        what="ddpm.prior_kl(q(x_T|x_0) || N(0, 1)), beta = 0.02, T = 3000")
    decreasing = num_compare(lambda x0: ddpm.prior_kl(np.full(400, 0.02), np.array([x0])), "<",
                             lambda x0: ddpm.prior_kl(np.full(100, 0.02), np.array([x0])), cases,
                             what="ddpm.prior_kl decreases in T (100 -> 400 steps)")
    return all_of(sym_equal(kl.subs(ab, 0), 0, what="KL(q(x_t)||N(0,1)) -> 0 for Gaussian data (continuous)"), kernel,
                  prior, decreasing)


def _bayes_reverse():
    # data N(m, s): q(x_{t-1}|x_t) by Bayes vs the exact reverse Gaussian (linear_gaussian.true_reverse_chain).
    betas = np.array([0.05, 0.1, 0.2, 0.15])
    m, s = 0.7, 1.8
    chain = true_reverse_chain(betas, m, s)
    abar = np.concatenate([[1.0], np.cumprod(1 - betas)])

    def marg(t, x):
        return npdf(x, math.sqrt(abar[t]) * m, math.sqrt(abar[t] * s + 1 - abar[t]))

    def bayes(t, xt, xp):
        return (
            npdf(xt, math.sqrt(1 - betas[t - 1]) * xp, math.sqrt(betas[t - 1]))
            * marg(t - 1, xp)
            / marg(t, xt)
        )

    def exact(t, xt, xp):
        return npdf(xp, chain.a[t - 1] * xt + chain.b[t - 1], math.sqrt(chain.v[t - 1]))

    at = [dict(p, t=t) for t in (2, 4) for p in points(5, seed=t, xt=(-2.0, 2.0), xp=(-2.0, 2.0))]
    norm = num_equal(
        lambda t, xt: integrate.quad(lambda xp: bayes(t, xt, xp), -30, 30, limit=400, epsabs=1e-13)[0],
        lambda t, xt: 1.0,
        [{"t": 3, "xt": 0.4}, {"t": 1, "xt": -1.1}],
        rtol=1e-8,
        what="the Bayes ratio integrates to 1 in x_{t-1}",
    )
    # the same Bayes formula for a point mass p_data = delta_{x_0}: then q(x_{t-1}|x_t) = q(x_{t-1}|x_t, x_0), the
    # registry oracle ddpm.posterior N(c_0 x_0 + c_t x_t, beta_tilde_t)
    x0 = -0.6

    def bayes_point(t, xt, xp):
        mp = math.sqrt(abar[t - 1]) * x0, math.sqrt(1 - abar[t - 1])
        mt = math.sqrt(abar[t]) * x0, math.sqrt(1 - abar[t])
        kernel = npdf(xt, math.sqrt(1 - betas[t - 1]) * xp, math.sqrt(betas[t - 1]))
        return float(kernel * npdf(xp, *mp) / npdf(xt, *mt))

    def posterior(t, xt, xp):
        c0, ct, var = (float(u) for u in ddpm.posterior(betas, t))
        return float(npdf(xp, c0 * x0 + ct * xt, math.sqrt(var)))

    point = num_equal(bayes_point, posterior, at, rtol=1e-8,
                      what="p_data = delta_{x_0}: Bayes ratio vs ddpm.posterior q(x_{t-1}|x_t, x_0)")
    return all_of(num_equal(bayes, exact, at, rtol=1e-8, what="Bayes ratio vs the exact reverse kernel"), norm, point)


def _feller_kl(beta, xt):
    """KL(q(x_{t-1}|x_t) || moment-matched Gaussian) for q(x_{t-1}) = 1/2 N(-1, .04) + 1/2 N(1, .04)."""
    w, m, s = np.array([0.5, 0.5]), np.array([-1.0, 1.0]), np.array([0.2, 0.2])
    a = math.sqrt(1 - beta)
    var = 1 / (a * a / beta + 1 / s**2)
    mean = var * (a * xt / beta + m / s**2)
    ev = w * npdf(xt, a * m, np.sqrt(a * a * s**2 + beta))
    pw = ev / ev.sum()
    mu = float(np.sum(pw * mean))
    v = float(np.sum(pw * (var + mean**2)) - mu**2)
    sd = math.sqrt(v)

    def f(x):
        r = float(np.sum(pw * npdf(x, mean, np.sqrt(var))))
        log_g = -0.5 * ((x - mu) / sd) ** 2 - math.log(sd * math.sqrt(2 * math.pi))
        return r * (math.log(r) - log_g) if r > 0 else 0.0

    return integrate.quad(f, mu - 15 * sd, mu + 15 * sd, limit=400, epsabs=1e-14, epsrel=1e-10)[0]


def _feller():
    kls = [_feller_kl(b, 0.0) for b in (1e-1, 1e-2, 1e-3, 1e-4)]
    return all_of(
        num_compare(lambda: kls[1], "<", lambda: kls[0], [{}], what="KL to the best Gaussian, beta 1e-2 vs 1e-1"),
        num_compare(lambda: kls[2], "<", lambda: kls[1] / 10, [{}], what="beta 1e-3 vs 1e-2"),
        num_compare(lambda: kls[3], "<", lambda: 1e-5, [{}], what="beta 1e-4: reverse kernel ~ Gaussian"),
    )


CLAIMS: list[Claim] = [
    Claim(
        id="000.L6.wasserstein_s_def",
        formulas=("000:1928",),
        kind="definition",
        meaning="W_s as an infimum over couplings.",
    ),
    Claim(
        id="000.L6.gaussian_w2",
        formulas=("000:1938",),
        theorem="wasserstein.gaussian_w2",
        meaning="pi = N(mu_pi, Sigma_pi), p = N(mu_p, Sigma_p); ^{1/2} are principal (PSD) matrix square roots. "
        "Checked against the 1-D quantile formula and, in d = 3, against the cost of the optimal linear "
        "map (which pushes pi to p).",
        check=_gaussian_w2,
    ),
    Claim(
        id="000.L6.fid_is_w2",
        formulas=("000:1943", "000:1947"),
        theorem="metrics.fid",
        meaning="FID (the formula of 000:1947, from the means and covariances) equals W_2^2 between p_data and "
        "p_theta (of their feature laws). This is exact when both laws are Gaussian; otherwise FID is W_2^2 "
        "of the Gaussian fits ('uses the normality assumption'). Judgement: holds_if: the slide states "
        "Gaussianity for the W_2 closed form (line 1936), not for the FID line, which names W_2^2 of the laws.",
        check=_fid_is_w2,
    ),
    Claim(
        id="000.L6.fid_notation",
        formulas=("000:1953",),
        kind="notation",
        meaning="The FID of a law p(x) against N(0, I) (a figure label).",
    ),
    Claim(
        id="000.L6.precision_recall_def",
        formulas=("000:2013", "000:2015"),
        kind="definition",
        meaning="I(x, S) = 1 iff x lies in the k-NN ball of some x' in S; precision and recall (n samples each).",
    ),
    Claim(
        id="000.L6.unnormalized_density_def",
        formulas=("000:2125",),
        kind="definition",
        meaning="Energy-based model: p_theta = p_hat_theta / Z_theta.",
    ),
    Claim(
        id="000.L6.unnormalized_score",
        formulas=("000:2134",),
        theorem="score.unnormalized",
        meaning="Z_theta does not depend on x, so grad_x log Z_theta = 0. Checked with "
        "p_hat = exp(-(x^4/4 + a x^2 - x)), Z a positive constant.",
        check=_unnormalized_score,
    ),
    Claim(
        id="000.L6.langevin_stationary",
        formulas=("000:2160", "000:2519"),
        theorem="langevin.stationary",
        meaning="ULA x_{l+1} = x_l + eta/2 grad log p(x_l) + sqrt(eta) eps_l: 'eventually follows p for "
        "sufficiently small eta and large l' read as: its law converges (l -> oo) to a stationary law "
        "pi_eta, and pi_eta -> p as eta -> 0. Checked exactly on Gaussian targets N(mu, V): "
        "pi_eta = N(mu, V/(1 - eta/(4V))).",
        check=_langevin,
    ),
    Claim(
        id="000.L6.langevin_theorem_rates",
        theorem="langevin.stationary",
        text="Then, for any  $\\eta < \\frac{2}{L}$ ... The Markov chain has a unique stationary distribution  "
        "$\\pi_\\eta$ . $W_2(\\pi_\\eta, p) \\leq C\\eta$ , and as  $\\eta \\rightarrow 0$  we have  "
        "$\\pi_\\eta \\xrightarrow{d} p$ .",
        places=(Place(_P, "L6", "Theorem", 2148), Place(_P, "L6", "Theorem", 2150), Place(_P, "L6", "Theorem", 2151)),
        meaning="Checked on the strongly convex quadratic f(x) = (x - mu)^2/(2V) (L = m = 1/V): contraction for "
        "every eta < 2/L, stationary law N(mu, V/(1 - eta/(4V))), W_2 to p = N(mu, V) at most "
        "(sqrt2 - 1)/(2 sqrt V) eta, and convergence as eta -> 0.",
        check=_langevin_theorem_rates,
    ),
    Claim(
        id="000.L6.score_def", formulas=("000:2191",), kind="definition", meaning="s_theta(x) = grad_x log p_theta(x)."
    ),
    Claim(
        id="000.L6.langevin_score_form",
        formulas=("000:2197",),
        meaning="With s_theta = grad_x log p_theta the two written steps coincide (eta > 0).",
        check=_langevin_score_form,
    ),
    Claim(
        id="000.L6.fisher_divergence_forms",
        formulas=("000:2202",),
        theorem="score.fisher_divergence",
        meaning="D_F as defined (E_pi: expectation over the data law pi = p_data); the '=' substitutes "
        "s_theta = grad log p_theta. Checked by quadrature with p_data = N(0,1), p_theta = N(m, v).",
        check=_fisher_forms,
    ),
    Claim(
        id="000.L6.fisher_objective_def",
        formulas=("000:2208",),
        kind="definition",
        meaning="Score matching objective: minimize D_F over theta.",
    ),
    Claim(
        id="000.L6.noise_kernel",
        formulas=("000:2236", "000:2262"),
        meaning="sigma is a standard deviation; claim: x + sigma eps with eps ~ N(0, I) has law N(x, sigma^2 I) "
        "given x (density by change of variables).",
        check=_noise_kernel_law,
    ),
    Claim(
        id="000.L6.noised_marginal_def",
        formulas=("000:2238", "000:2244"),
        kind="definition",
        meaning="q(x_sigma) is the marginal of the noised data; the noised score matching objective.",
    ),
    Claim(
        id="000.L6.dsm_theorem",
        formulas=("000:2258", "000:2354", "000:2364", "000:2374"),
        theorem="score.dsm_equivalence",
        meaning="q(x_sigma|x) = N(x, sigma^2), q(x_sigma) its marginal; const(theta) is the same for every score "
        "model s. Checked exactly (Gauss-Hermite) with p_data a 3-component Gaussian mixture, "
        "sigma^2 in {0.25, 1.5}, five score models s(y) = c0 + c1 y + c2 tanh y.",
        check=_dsm_theorem,
    ),
    Claim(
        id="000.L6.noise_kernel_gradient",
        formulas=("000:2264",),
        theorem="score.noise_kernel_gradient",
        meaning="q(x_sigma|x) = N(x, sigma^2 I), sigma a standard deviation, x_sigma = x + sigma eps.",
        check=_noise_kernel_gradient,
    ),
    Claim(
        id="000.L6.score_matching_objective_def",
        formulas=("000:2273",),
        kind="definition",
        meaning="The initial (explicit) score matching objective.",
    ),
    Claim(
        id="000.L6.noisy_objective_equiv_denoising",
        formulas=("000:2277", "000:2281"),
        theorem="score.dsm_equivalence",
        meaning="'equivalent' = the two objectives differ by a theta-free constant, so they have the same "
        "minimizer. In 000:2277 the gradient is written grad_x but is taken in x_sigma (the argument of "
        "q). Checked as 000.L6.dsm_theorem plus equal ranking of five score models.",
        check=_dsm_noisy_objective_equiv,
        note="000:2277 writes \\nabla_{\\mathbf{x}} for \\nabla_{\\mathbf{x}_\\sigma}.",
    ),
    Claim(
        id="000.L6.dsm_noise_form",
        formulas=("000:2283", "000:2394", "000:2417"),
        theorem="score.noise_kernel_gradient",
        meaning="Substituting x_sigma = x + sigma eps and grad log q(x_sigma|x) = -eps/sigma into the denoising "
        "objective gives the integrand ||s(x + sigma eps) + eps/sigma||^2.",
        check=_dsm_substituted,
    ),
    Claim(
        id="000.L6.langevin_noisy_score",
        formulas=("000:2287", "000:2398", "000:2420"),
        theorem="langevin.stationary",
        meaning="Langevin dynamics driven by the noised score s_{theta,sigma} = grad log q(x_sigma): for small eta "
        "and many steps it samples q(x_sigma) (the noised data law). Checked exactly for Gaussian data, "
        "q(x_sigma) = N(mu, s^2 + sigma^2).",
        check=_langevin_noisy_score,
    ),
    Claim(
        id="000.L7.dsm_proof_tower_expand",
        formulas=("000:2358",),
        theorem="score.dsm_equivalence",
        meaning="First display: E_{q(x_sigma)} h = E_{p_data} E_{q(x_sigma|x)} h (marginal q, Fubini), checked "
        "for h = ||s - grad log q||^2 with five score models; second: the expansion of the square "
        "(||grad log q||^2 does not depend on theta).",
        check=_tower,
    ),
    Claim(
        id="000.L7.dsm_proof_cross_term",
        formulas=("000:2368",),
        theorem="score.dsm_equivalence",
        meaning="Each '=' of the chain (grad log q = grad q / q, differentiation under the integral, "
        "grad q(.|x) = q(.|x) grad log q(.|x)); checked: the first expression, int s grad q by quadrature, "
        "and the last (Gauss-Hermite) agree for four score models.",
        check=_cross_term,
    ),
    Claim(
        id="000.L7.dsm_proof_summary",
        formulas=("000:2378",),
        theorem="score.dsm_equivalence",
        meaning="The assembled proof: both '+ const(theta)' lines, the constants being free of theta.",
        check=_proof_summary,
    ),
    Claim(
        id="000.L7.ncsn_endpoints",
        formulas=("000:2450", "000:2595"),
        meaning="x_t = x + sigma_t eps, q(x_t|x_0) = N(x_0, sigma_t^2 I); the approximations read as limits: "
        "q(x_1) -> p_data as sigma_1 -> 0 and q(x_T) is close to N(0, sigma_T^2 I) for sigma_T large "
        "against the data scale (KL -> 0). Checked for Gaussian data N(m, s2).",
        check=_ncsn_endpoints,
    ),
    Claim(
        id="000.L7.ncsn_sigma_labels",
        formulas=("000:2454", "000:2456", "000:2458", "000:2462"),
        kind="notation",
        meaning="Figure labels sigma_1 < sigma_2 < sigma_3 (increasing noise levels).",
    ),
    Claim(
        id="000.L7.ncsn_objective",
        formulas=("000:2470",),
        theorem="ncsn.weighted_objective",
        text="Here,  $\\nabla_{\\mathbf{x}_t} \\log q(\\mathbf{x}_t | \\mathbf{x}) = "
        "-\\frac{\\mathbf{x}_t - \\mathbf{x}}{\\sigma_t^2} = -\\frac{\\epsilon}{\\sigma_t}$ ... "
        "4. Evaluate loss  $\\mathcal{L} = \\sigma_t^2 \\left\\| "
        "s_{\\theta, \\sigma_t}(\\mathbf{x}_t) + \\frac{\\epsilon}{\\sigma_t} \\right\\|^2$",
        places=(Place(_P, "L7", "Noise-Conditioned Score Network (NCSN)", 2472), Place(_P, "L7", "Training", 2479)),
        meaning="The weighted objective (000:2470) with x_t = x + sigma_t eps: the kernel gradient is "
        "-eps/sigma_t and each term is the training loss sigma_t^2 ||s + eps/sigma_t||^2.",
        check=_ncsn_objective,
    ),
    Claim(
        id="000.L7.annealed_langevin",
        formulas=("000:2490",),
        theorem="ncsn.annealed_sampling",
        meaning="L Langevin steps per level with eta_t = delta sigma_t^2/sigma_1^2, from sigma_T down to sigma_1, "
        "started at N(0, sigma_T^2): the output law approaches q(x_1) as the step shrinks (and L grows). "
        "Checked exactly for Gaussian data with the exact noised scores.",
        check=_annealed_langevin,
    ),
    Claim(
        id="000.L7.forward_chain_def",
        formulas=("000:2513",),
        kind="definition",
        meaning="The forward Markov chain of Gaussian diffusion (beta_t a variance).",
    ),
    Claim(
        id="000.L7.forward_kernel",
        formulas=("000:2515", "000:2632", "000:2545"),
        meaning="beta_t is a variance: the kernel of x_t = sqrt(1-beta_t) x_{t-1} + sqrt(beta_t) eps is "
        "N(sqrt(1-beta_t) x_{t-1}, beta_t I).",
        check=_forward_kernel,
    ),
    Claim(
        id="000.L7.forward_as_langevin",
        formulas=("000:2521",),
        theorem="ddpm.forward_as_langevin",
        meaning="The '≈' is first order in beta_t: sqrt(1-beta) = 1 - beta/2 + O(beta^2) (next term -beta^2/8); "
        "the '=' is exact; with eta = beta_t it is a Langevin step on N(0, I) (grad log N(0, I) = -x).",
        check=_forward_as_langevin,
    ),
    Claim(
        id="000.L7.forward_marginal",
        formulas=("000:2537", "000:2545"),
        theorem="ddpm.forward_marginal",
        meaning="alpha_t = 1 - beta_t, abar_t = prod_{s<=t} alpha_s; the t-step marginal of the chain.",
        check=_forward_marginal,
    ),
    Claim(
        id="000.L7.forward_marginal_derivation",
        formulas=("000:2541",),
        theorem="ddpm.forward_marginal",
        meaning="eps_t, eps_{t-1} independent N(0, I); eps'_t a new standard normal; each '=' checked "
        "symbolically (the sum of independent Gaussians has the summed variance), and the induction step.",
        check=_forward_chain,
    ),
    Claim(
        id="000.L7.stationary_fixed_point",
        formulas=("000:2553",),
        theorem="ddpm.stationary",
        meaning="p_infinity = N(0, I) is invariant under the kernel q(x|x') = N(sqrt(1-beta) x', beta I).",
        check=_stationary,
    ),
    Claim(
        id="000.L7.stationary_limit",
        formulas=("000:2555",),
        theorem="ddpm.stationary",
        meaning="'≈' read as the limit abar_t -> 0 (t -> oo): q(x_t|x_0) -> N(0, I) for every x_0, hence the "
        "marginal q(x_t) -> N(0, I) (KL -> 0 checked for Gaussian data).",
        check=_stationary_limit,
    ),
    Claim(
        id="000.L7.ncsn_kernel_gradient",
        formulas=("000:2597",),
        theorem="score.noise_kernel_gradient",
        meaning="q(x_t|x) = N(x, sigma_t^2 I), sigma_t a standard deviation.",
        check=_ncsn_kernel_gradient,
    ),
    Claim(
        id="000.L7.diffusion_endpoints",
        formulas=("000:2601",),
        theorem="ddpm.stationary",
        meaning="q(x_t|x_0) as in Statement 1; the approximations read as limits: q(x_1) -> p_data as "
        "beta_1 -> 0, q(x_T) -> N(0, I) as abar_T -> 0 (KL -> 0 for Gaussian data N(m, s2)).",
        check=_diffusion_endpoints,
    ),
    Claim(
        id="000.L7.diffusion_kernel_gradient",
        formulas=("000:2603",),
        theorem="score.noise_kernel_gradient",
        meaning="q(x_t|x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I).",
        check=_diffusion_kernel_gradient,
    ),
    Claim(
        id="000.L7.dsm_diffusion",
        formulas=("000:2607",),
        theorem="score.dsm_equivalence",
        meaning="DSM with the diffusion kernel q(x_t|x) = N(sqrt(abar_t) x, (1-abar_t) I); checked as "
        "000.L6.dsm_theorem with abar_t in {0.64, 0.1}.",
        check=_dsm_diffusion,
    ),
    Claim(
        id="000.L7.reverse_bayes",
        formulas=("000:2636", "000:2645", "000:2725", "000:2744"),
        theorem="ddpm.posterior",
        meaning="Bayes' rule for the reverse kernel with the marginals q(x_{t-1}), q(x_t) (the '≈' parts are "
        "the model, see 000.L7.reverse_kernel_gaussian_small_beta). Checked for data N(0.7, 1.8) against "
        "the exact Gaussian time reversal.",
        check=_bayes_reverse,
    ),
    Claim(
        id="000.L7.marginal_def",
        formulas=("000:2641",),
        kind="definition",
        meaning="q(x_t) is the marginal of the forward process.",
    ),
    Claim(
        id="000.L7.reverse_kernel_gaussian_small_beta",
        formulas=("000:2636", "000:2664", "000:2744"),
        meaning="'q(x_{t-1}|x_t) ≈ N(mu, sigma^2)' (Feller) read as: for fixed x_t the reverse kernel tends to "
        "a Gaussian as beta_t -> 0 (KL to its moment-matched Gaussian -> 0). Checked for a bimodal "
        "q(x_{t-1}) = 1/2 N(-1, 0.04) + 1/2 N(1, 0.04) at x_t = 0.",
        check=_feller,
    ),
]
