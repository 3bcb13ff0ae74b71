"""Claims of 000 (lectures 1-14) stated outside display formulas: inline formulas, table rows, claims in words.

See :mod:`dgmcheck.audit.claims.f001_inline` for the shape. Most inline formulas of 000 restate or introduce a
neighbouring display formula: ``SCOPE`` maps those to the display's claim (the display is named in the comment),
collects the definitions made in prose into one ``definition`` per lecture, and gives the statements that
assert something of their own a checked claim here.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from scipy import stats

from dgmcheck.audit.claims.f001_inline import (
    check_diffusion_row,
    check_vae_row,
    check_wiener_increments,
    line_place,
    scoped,
    stated,
)
from dgmcheck.audit.claims.f003_inline import check_picard_non_invertible_field
from dgmcheck.audit.model import all_of, imprecise, num_compare, num_equal, points, slip, sym_equal
from dgmcheck.theory import ddpm, ode, sde
from dgmcheck.theory import discrete as dd
from dgmcheck.theory import linear_gaussian as lg

_RNG_SEED = 100


def _draw_laws(n: int, k: int, seed: int) -> list[np.ndarray]:
    return list(np.random.default_rng(seed).dirichlet(np.ones(k), size=n))


# ------------------------------------------------------------------------------------------------ L1, L2
def _pixel_range():
    # 000 L1 "Example": p(x_j | x_{j-1}, x_{j-2}) = Cat(pi_j), pi_j = softmax(h_j) over the values of an 8-bit pixel
    written = num_equal(lambda: len({0, 255}), lambda: 2 ** 8, [{}],
                        what="|{0, 255}| (as printed) vs the number of 8-bit intensities")
    corrected = num_equal(lambda: len(range(0, 256)), lambda: 2 ** 8, [{}],
                          what="|{0, 1, ..., 255}| vs the number of 8-bit intensities")
    return slip(written, corrected, evidence=[line_place("000", 332), line_place("000", 333)],
                why="the example's softmax/categorical over pixel values (lines 332-333) needs every intensity "
                    "0..255; the two-element set {0, 255} drops the dots")


def _divergence_properties():
    laws = _draw_laws(10, 5, _RNG_SEED)
    pairs = [{"pi": a, "p": b} for a, b in zip(laws[:5], laws[5:], strict=True)]
    nonneg = num_compare(lambda pi, p: stats.entropy(pi, p), ">=", lambda pi, p: 0.0, pairs, what="KL(pi || p)")
    zero = num_equal(lambda pi, p: stats.entropy(pi, pi), lambda pi, p: 0.0, pairs, what="KL(pi || pi)")
    positive = num_compare(lambda pi, p: stats.entropy(pi, p), ">", lambda pi, p: 1e-9, pairs,
                           what="KL(pi || p) for pi != p")
    return all_of(nonneg, zero, positive)


def _forward_kl_is_mle():
    # KL(p_data || p_theta) + E_data log p_theta = -H(p_data): the same for every theta, so the minimisers agree
    data = _draw_laws(1, 6, _RNG_SEED + 1)[0]
    models = [{"q": q} for q in _draw_laws(6, 6, _RNG_SEED + 2)]
    return num_equal(lambda q: stats.entropy(data, q) + float(np.sum(data * np.log(q))),
                     lambda q: -stats.entropy(data), models, what="KL(p_data || p_theta) - (-E log p_theta) vs -H")


def _same_space_volume():
    # an invertible linear map needs a square matrix (rank = both dimensions), and |det J| is the volume ratio:
    # the image of the unit square under J has area |det J| (shoelace formula)
    def area(a, b, c, d):
        J = np.array([[a, b], [c, d]])
        corners = np.array([[0, 0], [1, 0], [1, 1], [0, 1]]) @ J.T
        x, y = corners[:, 0], corners[:, 1]
        return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    pts = points(6, seed=101, a=(-2, 2), b=(-2, 2), c=(-2, 2), d=(-2, 2))
    volume = num_equal(area, lambda a, b, c, d: abs(a * d - b * c), pts, what="area of J [0,1]^2 vs |det J|")
    W = np.random.default_rng(102).normal(size=(3, 2))
    square = num_compare(lambda: np.linalg.matrix_rank(W), "<", lambda: max(W.shape), [{}],
                         what="rank of a 3 x 2 map (no two-sided inverse between R^2 and R^3)")
    return all_of(volume, square)


# ------------------------------------------------------------------------------------------------ L4, L5
def _optimal_prior():
    # the prior term of the average ELBO, (1/n) sum_i E_{q_i} log p(z), is largest at p = q_agg = (1/n) sum_i q_i
    posts = np.array(_draw_laws(4, 5, _RNG_SEED + 3))
    agg = posts.mean(0)

    def term(p):
        return float(np.mean(posts @ np.log(p)))
    return num_compare(lambda p: term(p), "<=", lambda p: term(agg), [{"p": p} for p in _draw_laws(8, 5, 104)],
                       what="average E_q log p(z) for a prior p vs for q_agg")


def _gan_convergence():
    # generator = any law on 6 points, discriminator optimal at each step: the generator minimises
    # max_D V = -log 4 + 2 JSD(p_data || p_g); mirror descent on the simplex reaches p_data
    data = _draw_laws(1, 6, _RNG_SEED + 5)[0]
    g = np.full(6, 1 / 6)
    for _ in range(3000):
        grad = np.log(2 * g / (g + data))  # d/dp_g of 2 JSD with D* = p_data/(p_data + p_g)
        g = g * np.exp(-0.5 * grad)
        g /= g.sum()
    return num_compare(lambda: float(np.abs(g - data).sum()), "<", lambda: 1e-8, [{}],
                       what="total variation between the generator after 3000 steps and p_data")


def _discriminator_range():
    # the optimal discriminator D*(x) = p_data(x) / (p_data(x) + p_theta(x)) of two densities lies in [0, 1]
    def d_star(x):
        pd = 0.5 * stats.norm.pdf(x, -1, 0.5) + 0.5 * stats.norm.pdf(x, 2, 1.0)
        return pd / (pd + stats.norm.pdf(x, 0.5, 2.0))
    pts = [{"x": x} for x in np.linspace(-8, 8, 33)]
    return all_of(num_compare(d_star, ">=", lambda x: 0.0, pts, what="D*(x)"),
                  num_compare(d_star, "<=", lambda x: 1.0, pts, what="D*(x)"))


def _log2():
    return num_compare(lambda: abs(math.log(2) - 0.69), "<", lambda: 0.005, [{}], what="|log 2 - 0.69| (two digits)")


def _weight_clipping():
    # f(x) = w2 . tanh(W1 x + b), every weight in [-c, c]: |f(x) - f(y)| <= K |x - y| with K = c^2 h sqrt(d)
    c, h, d = 0.01, 16, 3
    rng = np.random.default_rng(106)
    W1, b, w2 = rng.uniform(-c, c, (h, d)), rng.uniform(-c, c, h), rng.uniform(-c, c, h)
    K = c * np.sqrt(h) * c * np.sqrt(h * d)  # ||w2||_2 <= c sqrt(h), ||W1||_2 <= ||W1||_F <= c sqrt(h d)

    def ratio(seed):
        x, y = np.random.default_rng(seed).normal(size=(2, d)) * 3
        f = lambda v: float(w2 @ np.tanh(W1 @ v + b))  # noqa: E731
        return abs(f(x) - f(y)) / float(np.linalg.norm(x - y))
    return num_compare(ratio, "<=", lambda seed: K, [{"seed": s} for s in range(20)],
                       what="|f(x) - f(y)| / |x - y| vs K = c^2 h sqrt(d)")


# ------------------------------------------------------------------------------------------------ L6, L7
def _ula_bias():
    # f(x) = x^2/2 (L = m = 1), p = N(0, 1): x' = (1 - eta/2) x + sqrt(eta) eps has the unique stationary law
    # N(0, 1/(1 - eta/4)) for eta < 2/L; W_2 to p is |1/sqrt(1 - eta/4) - 1| <= C eta with C = 1/4 on eta <= 1
    def w2(eta):
        contraction = 1 - eta / 2
        var = eta / (1 - contraction ** 2)
        return abs(math.sqrt(var) - 1)
    etas = [{"eta": e} for e in (1.0, 0.5, 0.1, 0.01, 0.001)]
    unique = num_compare(lambda eta: abs(1 - eta / 2), "<", lambda eta: 1.0, etas,
                         what="|contraction factor| of the chain (unique stationary law)")
    bound = num_compare(lambda eta: w2(eta) / eta, "<=", lambda eta: 0.25, etas, what="W_2(pi_eta, p) / eta")
    limit = num_compare(lambda eta: w2(eta), "<", lambda eta: 1e-3, [{"eta": 1e-3}], what="W_2 at eta = 1e-3")
    return all_of(unique, bound, limit)


def _gaussian_kernel_score():
    x, xs, e = sp.symbols("x x_sigma epsilon", real=True)
    sigma = sp.symbols("sigma", positive=True)
    logq = -(xs - x) ** 2 / (2 * sigma ** 2) - sp.log(sp.sqrt(2 * sp.pi) * sigma)
    grad = sp.diff(logq, xs)
    first = sym_equal(grad, -(xs - x) / sigma ** 2, what="d/dx_sigma log N(x_sigma; x, sigma^2)")
    second = sym_equal(grad.subs(xs, x + sigma * e), -e / sigma, what="at x_sigma = x + sigma eps")
    return all_of(first, second)


def _standard_normal_score():
    x = sp.symbols("x", real=True)
    return sym_equal(sp.diff(sp.log(sp.exp(-x ** 2 / 2) / sp.sqrt(2 * sp.pi)), x), -x,
                     what="d/dx log N(x; 0, 1)")


def _ve_prior_approx():
    # data N(1, 0.25): q(x_T) = N(1, 0.25 + sigma_T^2); KL(q(x_T) || N(0, sigma_T^2)) is small and -> 0 with sigma_T
    def kl(sigma_t):
        return lg.gaussian_kl(1.0, 0.25 + sigma_t ** 2, 0.0, sigma_t ** 2)
    small = num_compare(kl, "<", lambda sigma_t: 1e-3, [{"sigma_t": 50.0}], what="KL at sigma_T = 50")
    shrinks = num_compare(lambda sigma_t: kl(10 * sigma_t), "<", lambda sigma_t: kl(sigma_t) / 50,
                          [{"sigma_t": 50.0}], what="KL at 10 sigma_T vs KL at sigma_T")
    return all_of(small, shrinks)


def _ddpm_prior_limit():
    # x_T | x_0 = N(sqrt(abar_T) x_0, 1 - abar_T) -> N(0, 1) for T >> 1 (beta_t = 0.02), and N(0, 1) is a fixed point
    def kl(x0, T):
        coef, var = ddpm.forward_marginal(np.full(T, 0.02), T)
        return lg.gaussian_kl(coef * x0, var, 0.0, 1.0)
    limit = num_compare(lambda x0: kl(x0, 3000), "<", lambda x0: 1e-12, [{"x0": -4.0}, {"x0": 3.0}],
                        what="KL(q(x_T|x_0) || N(0, 1)) at T = 3000")
    fixed = num_equal(lambda beta: (1 - beta) * 1.0 + beta, lambda beta: 1.0, points(5, seed=107, beta=(0.01, 0.99)),
                      what="variance after one step from N(0, 1)")
    return all_of(limit, fixed)


def _reverse_gaussian_small_beta():
    # data 0.5 N(-1, 0.2^2) + 0.5 N(1, 0.2^2); q(x_{t-1} | x_t = 0.3) prop. to N(x_t; sqrt(1-beta) y, beta) q(y) on a
    # grid; total variation to the Gaussian with the same mean and variance
    def tv(beta):
        sd = math.sqrt(beta)
        centre = 0.3 / math.sqrt(1 - beta)
        y = np.linspace(centre - 12 * sd - 3, centre + 12 * sd + 3, 400001)
        dy = y[1] - y[0]
        prior = 0.5 * stats.norm.pdf(y, -1, 0.2) + 0.5 * stats.norm.pdf(y, 1, 0.2)
        post = stats.norm.pdf(0.3, np.sqrt(1 - beta) * y, sd) * prior
        post /= post.sum() * dy
        m = float((y * post).sum() * dy)
        v = float(((y - m) ** 2 * post).sum() * dy)
        return 0.5 * float(np.abs(post - stats.norm.pdf(y, m, math.sqrt(v))).sum() * dy)
    exact = num_compare(lambda beta: tv(beta), "<", lambda beta: 1e-6, [{"beta": 0.02}, {"beta": 0.3}],
                        what="TV(q(x_{t-1}|x_t), its Gaussian) (exactly Gaussian needs 0)")
    approx = num_compare(lambda beta: tv(beta), "<", lambda beta: 0.05 * tv(0.3), [{"beta": 1e-3}],
                         what="TV at beta = 1e-3 vs 5% of TV at beta = 0.3 (vanishes as beta -> 0)")
    return imprecise(exact, approx, why="q(x_{t-1} | x_t) is Gaussian only in the limit beta_t -> 0 (for non-Gaussian "
                                        "data); for small beta_t it is close to Gaussian, which the sentence means")


# ------------------------------------------------------------------------------------------------ L8 - L14
def _optimal_variance_extremes():
    # Var(x_{t-1} | x_t) (the optimal sigma^2) for x_0 ~ N(0, I) is beta_t and for x_0 ~ delta(x_0 - x*) is beta~_t
    betas = np.array([0.1, 0.2, 0.3, 0.25])
    steps = [{"t": t} for t in range(1, len(betas) + 1)]
    gaussian = num_equal(lambda t: lg.optimal_reverse_variance(betas, 1.0)[t - 1], lambda t: betas[t - 1], steps,
                         what="optimal sigma^2 for x_0 ~ N(0, I) vs beta_t")
    delta = num_equal(lambda t: lg.optimal_reverse_variance(betas, 0.0)[t - 1],
                      lambda t: float(ddpm.posterior(betas, t)[2]), steps,
                      what="optimal sigma^2 for x_0 ~ delta vs beta~_t")
    return all_of(gaussian, delta)


def _latent_dimension():
    x0 = np.array([0.3, -1.2, 0.7])
    betas = np.array([0.1, 0.2, 0.3])
    return num_equal(lambda t: np.shape(ddpm.forward_marginal(betas, t)[0] * x0), lambda t: np.shape(x0),
                     [{"t": t} for t in (1, 2, 3)], what="shape of x_t vs shape of x_0")


def _sde_not_determined():
    # dx = f dt + g dw with g != 0: Var(x(t) | x(0)) > 0 (moment ODEs), so x(0) fixes only the law of the path
    return num_compare(lambda t: sde.moments_quadrature(lambda u: -0.5, lambda u: 1.0, t, 1.0, 0.0)[1], ">",
                       lambda t: 0.0, [{"t": t} for t in (0.1, 1.0)], what="Var(x(t) | x(0)), g = 1")


def _time_reversal():
    t = sp.symbols("t", real=True)
    tau = 1 - t
    d = sym_equal(sp.diff(tau, t), -1, what="d tau / dt for tau = 1 - t")
    signs = num_compare(lambda dt: -dt, ">", lambda dt: 0.0, [{"dt": -0.1}, {"dt": -1e-3}],
                        what="d tau = -dt for dt < 0")
    return all_of(d, signs)


def _time_index_ranges():
    # discrete: x_t for t in {0..T} (x_0 the data), a kernel q(x_t|x_{t-1}) for every t >= 1, noise levels / training
    # steps t in {1..T}; continuous: the VP SDE on t in [0, 1] starts at the data (mean factor 1, variance 0)
    betas = np.array([0.1, 0.2, 0.3, 0.25])
    T = len(betas)
    kernels = num_compare(lambda t: float(ddpm.forward_step(betas, t)[1]), ">", lambda t: 0.0,
                          [{"t": t} for t in range(1, T + 1)], what="kernel variance beta_t for t in {1..T}")
    start = num_equal(lambda t: np.array(sde.moments_quadrature(lambda u: -5.0 * u, lambda u: 10.0 * u, t, 1.0, 0.0)),
                      lambda t: np.array([1.0, 0.0]), [{"t": 0.0}], what="(mean factor, variance) at t = 0")
    end = num_compare(lambda t: sde.moments_quadrature(lambda u: -5.0 * u, lambda u: 10.0 * u, t, 1.0, 0.0)[0], "<",
                      lambda t: 0.1, [{"t": 1.0}], what="mean factor at t = 1 (the path ends near the prior)")
    return all_of(kernels, start, end)


def _discrete_limits():
    K, mask = 4, 3
    betas = [0.05] * 2000
    U = np.full((K, K), 1 / K)
    uniform = num_equal(lambda: dd.cumulative(np.stack([dd.uniform_matrix(b, K) for b in betas]), len(betas)),
                        lambda: U, [{}], what="Q_{1:T} of the uniform chain (T = 2000) vs U")
    absorbing = num_equal(lambda: dd.cumulative(np.stack([dd.absorbing_matrix(b, K, mask) for b in betas]),
                                                len(betas)),
                          lambda: np.outer(np.eye(K)[mask], np.ones(K)), [{}],
                          what="Q_{1:T} of the absorbing chain (T = 2000) vs e_m 1^T")
    return all_of(uniform, absorbing)


def _transition_table():
    K, mask = 4, 3
    betas = [0.1, 0.3, 0.2]
    abar = float(np.prod(1 - np.array(betas)))
    U = np.full((K, K), 1 / K)
    em = np.outer(np.eye(K)[mask], np.ones(K))
    uni = num_equal(lambda: dd.cumulative(np.stack([dd.uniform_matrix(b, K) for b in betas]), 3),
                    lambda: abar * np.eye(K) + (1 - abar) * U, [{}], what="uniform Q_{1:t}")
    absorb = num_equal(lambda: dd.cumulative(np.stack([dd.absorbing_matrix(b, K, mask) for b in betas]), 3),
                       lambda: abar * np.eye(K) + (1 - abar) * em, [{}], what="absorbing Q_{1:t}")
    step = num_equal(lambda: dd.absorbing_matrix(0.3, K, mask), lambda: 0.7 * np.eye(K) + 0.3 * em, [{}],
                     what="absorbing Q_t vs (1 - beta) I + beta e_m 1^T")
    return all_of(uni, absorb, step)


def _diagonal_noise_independent():
    var = np.array([0.5, 1.5, 2.0])
    return num_equal(lambda x1, x2, x3: stats.multivariate_normal.pdf([x1, x2, x3], np.zeros(3), np.diag(var)),
                     lambda x1, x2, x3: float(np.prod(stats.norm.pdf([x1, x2, x3], 0, np.sqrt(var)))),
                     points(5, seed=108, x1=(-2, 2), x2=(-2, 2), x3=(-2, 2)),
                     what="joint density vs product of per-pixel densities")


def _brownian_000():
    return check_wiener_increments()


def _cnf_likelihood_row():
    # "est.": the CNF log-density change -int tr(df/dx) dt, estimated by Hutchinson's E[v^T J v] = tr J; for a linear
    # field it is exact: log p_1(x(1)) - log p_0(x(0)) = -tau tr A
    A = np.array([[-0.5, 0.3], [0.2, -0.1]])
    J = np.array([[0.4, -1.2, 0.3], [0.5, 0.1, 0.0], [2.0, 0.3, -0.7]])
    trace = num_equal(lambda: ode.hutchinson_mean(J), lambda: float(np.trace(J)), [{}],
                      what="E[v^T J v] vs tr J")
    x0, cov = np.array([0.3, -0.4]), np.array([[1.0, 0.2], [0.2, 0.5]])

    def change():
        x1 = ode.flow_matrix(A, 1.0, 0.0, 0.0, 1.0) @ x0
        after = float(ode.pushforward_logpdf(A, np.zeros(2), 1.0, 0.0, np.zeros(2), cov, 0.0, 1.0, x1)[0])
        return after - float(stats.multivariate_normal.logpdf(x0, np.zeros(2), cov))
    exact = num_equal(change, lambda: ode.log_density_change(A, 1.0, 0.0, 0.0, 1.0), [{}],
                      what="log p_1(x(1)) - log p_0(x(0)) vs -int tr A dt")
    return all_of(trace, exact)


def _discrete_bound_row():
    # "bound": the discrete diffusion ELBO (enumerated) <= log p_theta(x_0) (enumerated), any reverse kernels
    K, T = 3, 3
    rng = np.random.default_rng(109)
    Qs = np.stack([dd.uniform_matrix(b, K) for b in (0.2, 0.3, 0.4)])
    P = np.stack([rng.dirichlet(np.ones(K), size=K).T for _ in range(T)])  # column-stochastic p(x_{t-1} | x_t)
    prior = rng.dirichlet(np.ones(K))
    return num_compare(lambda x0: dd.elbo_enumeration(Qs, P, prior, x0), "<=",
                       lambda x0: dd.log_likelihood_enumeration(Qs, P, prior, x0), [{"x0": k} for k in range(K)],
                       what="discrete ELBO vs log p_theta(x_0)")


# ------------------------------------------------------------------------------------------------ definitions
_DEF = {
    "L1": ["000:173:i2", "000:185:i1", "000:193:i2", "000:193:i3", "000:209:i1", "000:210:i1", "000:211:i1",
           "000:212:i1", "000:213:i1", "000:214:i1", "000:215:i1", "000:216:i1", "000:228:i2", "000:229:i2",
           "000:298:i1", "000:298:i2", "000:309:i1", "000:310:i1", "000:312:i1", "000:313:i1", "000:329:i1",
           "000:331:i1", "000:332:i1", "000:333:i1"],
    "L2": ["000:441:p", "000:442:i1", "000:486:i1", "000:504:i1", "000:545:i1", "000:616:i1", "000:714:p",
           "000:715:p", "000:716:i1", "000:716:p", "000:717:i1", "000:717:p", "000:718:p", "000:719:p", "000:730:i1"],
    "L3": ["000:844:i1", "000:845:i1", "000:846:i1", "000:859:i1", "000:1024:i1", "000:1024:i2", "000:1024:i3",
           "000:1036:i1", "000:1044:i1", "000:1056:i1", "000:1120:i1", "000:1121:i1"],
    "L4": ["000:1259:i1", "000:1301:i1", "000:1333:i1", "000:1334:i1", "000:1386:i1"],
    "L5": ["000:1510:i2", "000:1514:i1", "000:1515:i1", "000:1529:i1", "000:1537:i1", "000:1537:i3",
           "000:1546:i1", "000:1546:i2", "000:1631:i1", "000:1651:i1", "000:1674:i4", "000:1800:i1", "000:1800:i2",
           "000:1800:p", "000:1798:p"],
    "L6": ["000:2143:i1", "000:2143:i2", "000:2145:i2", "000:2145:p", "000:2146:i1", "000:2146:i2", "000:2146:p",
           "000:2148:i2"],
    "L7-L9": ["000:2476:i1", "000:2477:i2", "000:2511:i1", "000:2511:i2", "000:2845:i1", "000:2884:i2",
              "000:3146:i1", "000:3305:i1", "000:3305:i2", "000:3690:i2"],
    "L11-L14": ["000:4214:i1", "000:4214:i2", "000:4497:i1", "000:5165:i1", "000:5165:i2", "000:5237:i1"],
}
_REMARKS = ["000:737:p", "000:2609:p", "000:2688:p", "000:4223:p", "000:4224:p", "000:4232:p", "000:4233:p",
            "000:1970:t", "000:5251:t", "000:5252:t", "000:5254:t", "000:4879:t", "000:1356:p", "000:1357:p",
            "000:1969:t", "000:1971:t", "000:2097:t", "000:2098:t", "000:2099:t", "000:2100:t", "000:2101:t",
            "000:4878:t", "000:5263:t", "000:5264:t", "000:5265:t", "000:5266:t", "000:5267:t", "000:5268:t",
            "000:5269:t"]

_ULA = ["000:2143:p", "000:2148:i1", "000:2148:i3", "000:2148:p", "000:2150:p", "000:2151:i1", "000:2151:i2",
        "000:2151:p"]

_ENTRIES = [
    (["000:330:i1"], stated(
        "000.inline.pixel_range", ["000:330:i1"], check=_pixel_range,
        meaning="The values of an 8-bit pixel in the autoregressive example (d = 2 previous pixels).",
        corrected="x_j \\in \\{0, 1, \\dots, 255\\}")),
    (["000:235:i1", "000:236:i1", "000:236:i2"], stated(
        "000.inline.divergence_properties", ["000:235:i1", "000:236:i1", "000:236:i2"], check=_divergence_properties,
        meaning="A divergence is >= 0 and = 0 exactly when the laws agree; checked for KL on random laws.")),
    (["000:366:p"], stated(
        "000.inline.forward_kl_is_mle", ["000:366:p"], check=_forward_kl_is_mle,
        meaning="KL(p_data || p_theta) = -E_data log p_theta - H(p_data): the two objectives differ by a constant.")),
    (["000:440:p", "000:442:p"], stated(
        "000.inline.flow_same_space_volume", ["000:440:p", "000:442:p"], check=_same_space_volume,
        meaning="An invertible map needs equal dimensions (a square Jacobian); |det J| is the factor by which the "
                "map changes volume (the area of the image of the unit square).")),
    (["000:1406:i1"], stated(
        "000.inline.optimal_prior", ["000:1406:i1"], check=_optimal_prior,
        meaning="The prior maximising the average ELBO is the aggregated posterior q_agg (000 L4 'Optimal VAE "
                "Prior'); checked on discrete latents.")),
    (["000:1611:p"], stated(
        "000.inline.gan_convergence", ["000:1611:p"], check=_gan_convergence,
        meaning="With an optimal discriminator and a generator that can express any law, descending "
                "max_D V = -log 4 + 2 JSD reaches p_data; checked by mirror descent on a finite space.")),
    (["000:1545:i1"], stated(
        "000.inline.discriminator_range", ["000:1545:i1"], check=_discriminator_range,
        meaning="The discriminator is a probability p(y = 1 | x) in [0, 1]; checked for the optimal discriminator "
                "D* = p_data / (p_data + p_theta) of two densities.")),
    (["000:1825:i2"], stated("000.inline.log2", ["000:1825:i2"], check=_log2, meaning="log 2 to two digits.")),
    (["000:1799:p"], stated(
        "000.inline.weight_clipping_lipschitz", ["000:1799:p"], check=_weight_clipping,
        meaning="A network whose weights lie in the box [-c, c] is K-Lipschitz with K from the box; checked for "
                "a one-hidden-layer tanh network with c = 0.01.")),
    (_ULA, stated(
        "000.inline.ula_bias", _ULA, check=_ula_bias,
        meaning="Unadjusted Langevin for an L-smooth, m-strongly convex f with eta < 2/L: a unique stationary "
                "law pi_eta with W_2(pi_eta, p) <= C eta; checked exactly for f(x) = x^2/2.")),
    (["000:2472:i1", "000:3037:i1", "000:3037:p"], stated(
        "000.inline.gaussian_kernel_score", ["000:2472:i1", "000:3037:i1", "000:3037:p"],
        check=_gaussian_kernel_score,
        meaning="The score of the noising kernel N(x, sigma^2 I) is -(x_sigma - x)/sigma^2 = -eps/sigma.")),
    (["000:2524:i1"], stated(
        "000.inline.standard_normal_score", ["000:2524:i1"], check=_standard_normal_score,
        meaning="The score of N(0, I) is -x (the Langevin reading of the forward step).")),
    (["000:2487:i1", "000:3096:i1", "000:3224:i1"], stated(
        "000.inline.ve_prior_approx", ["000:2487:i1", "000:3096:i1", "000:3224:i1"], check=_ve_prior_approx,
        meaning="NCSN starts sampling from N(0, sigma_T^2 I), close to q(x_T) = p_data * N(0, sigma_T^2 I) when "
                "sigma_T is large; checked as a KL that is small and shrinks with sigma_T.")),
    (["000:2551:i2", "000:2572:i1", "000:2572:i2", "000:2574:i2", "000:3148:i1", "000:3152:i1"], stated(
        "000.inline.ddpm_prior_limit", ["000:2551:i2", "000:2572:i1", "000:2572:i2", "000:2574:i2", "000:3148:i1",
                                        "000:3152:i1"], check=_ddpm_prior_limit, theorem="ddpm.forward_marginal",
        meaning="For T >> 1 the forward chain's x_T is distributed as its stationary law p_inf = N(0, I).")),
    (["000:2650:i3", "000:2650:p"], stated(
        "000.inline.reverse_gaussian_small_beta", ["000:2650:i3", "000:2650:p"], check=_reverse_gaussian_small_beta,
        meaning="q(x_{t-1} | x_t) for two-mode data, computed on a grid by Bayes, against the Gaussian with its "
                "mean and variance.",
        corrected="If beta_t is sufficiently small, q(x_{t-1} | x_t) is approximately Gaussian (exactly only as "
                  "beta_t -> 0)")),
    (["000:2874:i2", "000:2875:i2"], stated(
        "000.inline.optimal_variance_extremes", ["000:2874:i2", "000:2875:i2"], check=_optimal_variance_extremes,
        theorem="ddpm.optimal_variance",
        meaning="000 L8: beta_t is the optimal reverse variance for x_0 ~ N(0, I), beta~_t for a point mass x_0 = x* "
                "(the optimal sigma^2 = Var(x_{t-1} | x_t)). The text 'x_0 ~ N(0, I)' also names the noise law of the "
                "flow-matching slides (lines 4384, 4498, 4504), where it is a definition.")),
    (["000:2959:p"], stated(
        "000.inline.latent_dimension", ["000:2959:p"], check=_latent_dimension, theorem="ddpm.forward_marginal",
        meaning="Each latent x_t has the dimension of x_0.")),
    (["000:3591:p", "000:3593:p"], stated(
        "000.inline.picard_reversible", ["000:3591:p", "000:3593:p"], check=check_picard_non_invertible_field,
        theorem="ode.picard_reversibility",
        meaning="A Lipschitz field has a unique flow, and the ODE run backwards returns the start; checked with a "
                "linear field (flow map exp(A)), whose matrix is even singular.")),
    (["000:3676:i1", "000:3679:i1", "000:3679:i2", "000:3683:i1", "000:3696:i2"], stated(
        "000.inline.wiener", ["000:3676:i1", "000:3679:i1", "000:3679:i2", "000:3683:i1", "000:3696:i2"],
        check=_brownian_000, theorem="sde.wiener",
        meaning="w(0) = 0, w(t) - w(s) ~ N(0, (t - s) I) for t > s, so dw ~ N(0, I dt) = eps sqrt(dt) in law.")),
    (["000:3707:p", "000:3708:p", "000:3709:p", "000:3710:p"], stated(
        "000.inline.sde_not_determined", ["000:3707:p", "000:3708:p", "000:3709:p", "000:3710:p"],
        check=_sde_not_determined, theorem="sde.moment_odes",
        meaning="With g != 0, x(0) does not fix the trajectory: Var(x(t) | x(0)) > 0; the randomness comes from "
                "p_0 and from w.")),
    (["000:3886:i1", "000:3886:i2", "000:3899:i1", "000:3899:p", "000:3957:i1"], stated(
        "000.inline.time_reversal", ["000:3886:i1", "000:3886:i2", "000:3899:i1", "000:3899:p", "000:3957:i1"],
        check=_time_reversal, meaning="tau = 1 - t gives d tau = -dt: a step dt < 0 is a step d tau > 0.")),
    (["000:2477:i1", "000:3079:i1", "000:3129:i3", "000:4747:i1", "000:4748:i1", "000:4755:i1", "000:4756:i1",
      "000:4212:i2", "000:4378:i1", "000:3574:i1"], stated(
        "000.inline.time_index_ranges", ["000:2477:i1", "000:3079:i1", "000:3129:i3", "000:4747:i1", "000:4748:i1",
                                         "000:4755:i1", "000:4756:i1", "000:4212:i2", "000:4378:i1", "000:3574:i1"],
        check=_time_index_ranges, theorem="sde.moment_odes",
        meaning="The slides' time indices: x_t for t in {0..T} with x_0 the data, a forward kernel (and a noise "
                "level, a training step) for each t in {1..T} (U{1, T} read as the uniform law on {1, ..., T}); "
                "continuous time t in [0, 1] from the data at t = 0 to the prior at t = 1.")),
    (["000:4821:i1", "000:4855:p", "000:4867:p", "000:4868:i1", "000:4877:t"], stated(
        "000.inline.discrete_limits", ["000:4821:i1", "000:4855:p", "000:4867:p", "000:4868:i1", "000:4877:t"],
        check=_discrete_limits, theorem="discrete.cumulative",
        meaning="For many steps (abar_T -> 0) the uniform chain forgets x_0 (Q_{1:T} -> U) and the absorbing "
                "chain masks everything (Q_{1:T} -> e_m 1^T).")),
    (["000:4875:t", "000:4876:t"], stated(
        "000.inline.transition_table", ["000:4875:t", "000:4876:t"], check=_transition_table,
        theorem="discrete.cumulative",
        meaning="The table's Q_t and Q_{1:t} of the uniform and the absorbing chain.")),
    (["000:5015:p"], stated(
        "000.inline.diagonal_noise_independent", ["000:5015:p"], check=_diagonal_noise_independent,
        meaning="A Gaussian with diagonal covariance is the product of its per-coordinate Gaussians.")),
    (["000:5253:t"], stated(
        "000.table.vae_lower_bound", ["000:5253:t"], check=check_vae_row,
        meaning="VAE likelihood: a lower bound (the ELBO <= log p(x), equal at the true posterior).")),
    (["000:5255:t"], stated(
        "000.table.diffusion_bound", ["000:5255:t"], check=check_diffusion_row, theorem="ddpm.elbo_decomposition",
        meaning="Diffusion likelihood: a bound (the ELBO <= log p_theta(x_0)).")),
    (["000:5256:t"], stated(
        "000.table.flow_ode_estimate", ["000:5256:t"], check=_cnf_likelihood_row, theorem="ode.continuity_equation",
        meaning="FM / ODE likelihood: the instantaneous change of variables, estimated with Hutchinson's trace "
                "estimator (unbiased) and exact for a linear field.")),
    (["000:5257:t"], stated(
        "000.table.discrete_bound", ["000:5257:t"], check=_discrete_bound_row, theorem="discrete.elbo_decomposition",
        meaning="Discrete diffusion likelihood: a bound (the enumerated ELBO <= the enumerated log-likelihood).")),
    ([s for v in _DEF.values() for s in v], stated(
        "000.inline.prose_definitions", [s for v in _DEF.values() for s in v], kind="definition",
        meaning="Names, models and sampling steps introduced in prose and inline formulas (random variables and "
                "their laws, model examples, network parametrisations, hyper-parameter choices).")),
    (_REMARKS, stated(
        "000.inline.remarks", _REMARKS, kind="definition",
        meaning="Remarks on practice and interpretation (cost of inference, stability of solvers and training, "
                "reported FID values, what a term of a decomposition 'encourages'), which the audit records but "
                "no computation decides.")),
]

_TO_DISPLAY = {
    # statement -> claim of the display it restates or introduces (display id in the comment)
    "000:128:i7": "000.L1.change_of_variables_px", "000:3496:i5": "000.L1.change_of_variables_px",  # 000:130
    "000:145:i4": "000.L1.lotus", "000:151:i2": "000.L1.dirac_delta_definition",
    "000:464:i2": "000.L2.composition_theorem", "000:464:p": "000.L2.composition_theorem",  # 000:466
    "000:615:i4": "000.L2.gaussian_ar_forward",  # 000:613, invertible when sigma_j != 0
    "000:881:i2": "000.L3.elbo_jensen_chain", "000:882:i1": "000.L3.elbo_jensen_chain",  # 000:879 (its conditions)
    "000:902:i1": "000.L3.variational_decomposition",  # 000:900
    "000:1129:t": "000.L3.nf_as_vae", "000:1130:t": "000.L3.nf_as_vae", "000:1131:t": "000.L3.nf_as_vae",
    "000:1132:t": "000.L3.nf_as_vae", "000:1130:i1": "000.L3.nf_as_vae", "000:1130:i3": "000.L3.nf_as_vae",
    "000:1131:i1": "000.L3.nf_as_vae", "000:1131:i2": "000.L3.nf_as_vae", "000:1131:i3": "000.L3.nf_as_vae",
    "000:1132:i2": "000.L3.nf_as_vae", "000:1130:i2": "000.L3.nf_as_vae",  # 000:1138 (the text of 1130:i2 also
    # matches a row of display 000:625, the AR flow; here it is the flow's encoder of the VAE-vs-NF table)
    "000:1202:i1": "000.L4.categorical_prior", "000:1206:i2": "000.L4.categorical_prior",  # 000:1204
    "000:1283:i1": "000.L4.deterministic_posterior", "000:1283:i2": "000.L4.deterministic_posterior",  # 000:1276
    "000:1354:p": "000.L4.elbo_surgery", "000:1355:p": "000.L4.elbo_surgery",  # 000:1352
    "000:1523:i4": "000.L5.discriminator_def",  # 000:1519
    "000:1573:p": "000.L5.gan_global_optimum", "000:1577:i1": "000.L5.gan_global_optimum",  # 000:1575
    "000:1577:i2": "000.L5.gan_global_optimum", "000:1577:p": "000.L5.gan_global_optimum",
    "000:1603:p": "000.L5.gan_global_optimum", "000:1607:p": "000.L5.gan_global_optimum",  # 000:1605
    "000:1587:i1": "000.L5.gan_value_at_optimum",  # 000:1589
    "000:1721:i1": "000.L5.wasserstein_defs", "000:1779:i1": "000.L5.wasserstein_defs",  # 000:1707
    "000:1733:i1": "000.L5.parallel_lines_theta0", "000:1737:i1": "000.L5.parallel_lines_kl",  # 000:1735, 000:1739
    "000:1749:i4": "000.L5.parallel_lines_w", "000:1749:p": "000.L5.parallel_lines_w",  # 000:1743 (W continuous)
    "000:1753:p": "000.L5.convergence_hierarchy", "000:1761:i1": "000.L5.convergence_hierarchy",  # 000:1755
    "000:1761:p": "000.L5.convergence_hierarchy",
    "000:1785:i3": "000.L5.lipschitz_def", "000:1789:p": "000.L5.kantorovich_rubinstein",  # 000:1787, 000:1783
    "000:1797:p": "000.L5.kantorovich_rubinstein",
    "000:1936:i1": "000.L6.gaussian_w2", "000:1936:i2": "000.L6.gaussian_w2",  # 000:1938
    "000:2007:i1": "000.L6.precision_recall_def", "000:2008:i1": "000.L6.precision_recall_def",  # 000:2013
    "000:2128:i1": "000.L6.unnormalized_density_def",  # 000:2125
    "000:2162:i1": "000.L6.langevin_stationary", "000:2162:p": "000.L6.langevin_stationary",  # 000:2160
    "000:2163:p": "000.L6.langevin_stationary", "000:2164:p": "000.L6.langevin_stationary",
    "000:2165:p": "000.L6.langevin_stationary",
    "000:2246:i1": "000.L6.noised_marginal_def", "000:3023:i1": "000.L6.noised_marginal_def",  # 000:2238
    "000:2445:i1": "000.L7.ncsn_endpoints",  # 000:2450
    "000:2447:i1": "000.L9.ncsn_objective", "000:2447:i2": "000.L9.ncsn_objective",  # 000:3077 (NCSN noising)
    "000:2478:i1": "000.L9.ncsn_objective", "000:2479:i1": "000.L9.ncsn_objective",
    "000:3091:i1": "000.L9.ncsn_objective", "000:3092:i1": "000.L9.ncsn_objective",
    "000:2492:i1": "000.L7.annealed_langevin",  # 000:2490
    "000:2523:i1": "000.L7.forward_as_langevin",  # 000:2521
    "000:2534:i1": "000.L7.forward_marginal", "000:2534:i2": "000.L7.forward_marginal",  # 000:2537
    "000:3108:i4": "000.L7.forward_marginal", "000:2846:i1": "000.L7.forward_marginal",
    "000:2981:i1": "000.L7.forward_marginal",
    "000:2571:i1": "000.L7.forward_kernel", "000:2671:i1": "000.L7.forward_kernel",  # 000:2515
    "000:2966:i1": "000.L7.forward_kernel", "000:3147:i1": "000.L7.forward_kernel",
    "000:2677:i1": "000.L8.reverse_model_defs", "000:2972:i1": "000.L8.reverse_model_defs",  # 000:2866
    "000:3153:i1": "000.L8.reverse_model_defs",
    "000:2761:i1": "000.L8.diffusion_as_vae_defs", "000:2761:i3": "000.L8.diffusion_as_vae_defs",  # 000:2765
    "000:2841:i1": "000.L8.elbo_decomposition",  # 000:2834
    "000:2892:i1": "000.L8.eps_mean_model_def", "000:2988:i1": "000.L8.eps_mean_model_def",  # 000:2990
    "000:2992:i1": "000.L8.eps_mean_model_def",
    "000:2982:i1": "000.L8.simple_loss_same_minimizer",
    "000:3229:i1": "000.L9.annealed_langevin_step",  # 000:3227
    "000:3470:i1": "000.L9.cfg_score_models", "000:3471:i1": "000.L9.cfg_score_models",  # 000:3450
    "000:3582:i1": "000.L9.ode_ivp",  # 000:3567
    "000:3650:i1": "000.L10.continuity_solution", "000:3650:p": "000.L10.continuity_solution",  # 000:3654
    "000:3695:i2": "000.L10.sde_def", "000:3705:p": "000.L10.sde_def",  # 000:3692
    "000:3720:i1": "000.L10.euler_maruyama_dt1",  # 000:3722
    "000:3752:p": "000.L10.kfp",  # 000:3736
    "000:3759:i1": "000.L10.stationary_iff", "000:3759:i2": "000.L10.stationary_iff",  # 000:3761
    "000:3759:i3": "000.L10.stationary_iff",
    "000:3773:i1": "000.L10.langevin_sde", "000:3773:i2": "000.L10.langevin_sde",  # 000:3775
    "000:3863:i1": "000.L10.pf_ode", "000:3911:p": "000.L10.pf_ode",  # 000:3861
    "000:3882:i2": "000.L10.euler_signed_dt", "000:3882:i3": "000.L10.euler_signed_dt",  # 000:3880
    "000:4025:i2": "000.L11.ve_limit",  # 000:4031
    "000:4051:i2": "000.L11.ddpm_to_vp", "000:4051:i3": "000.L11.ddpm_to_vp",  # 000:4053
    "000:4164:i1": "000.L11.mean_ode", "000:4166:i1": "000.L11.mean_ode",  # 000:4160
    "000:4212:i1": "000.L11.cnf_ode",  # 000:4217
    "000:4379:i1": "000.L11.cfm_objective", "000:4380:i1": "000.L11.cfm_objective",  # 000:4303
    "000:4443:i1": "000.L12.marginal_path_x1", "000:4443:i2": "000.L12.marginal_path_x1",  # 000:4445
    "000:4499:i1": "000.L12.linear_path_sample",  # 000:4583 (display rule: 000:4464, the conical path)
    "000:4500:i1": "000.L12.linear_cfm", "000:4606:i1": "000.L12.linear_cfm",  # 000:4592
    "000:4613:i1": "000.L12.ode_sampling",  # 000:4387
    "000:4532:i1": "000.L12.marginal_path_pair", "000:4532:i2": "000.L12.marginal_path_pair",  # 000:4534
    "000:4681:i1": "000.L13.fm_time_reversal", "000:4683:i1": "000.L13.fm_time_reversal",  # 000:4675
    "000:4805:i1": "000.L13.discrete_chain",  # 000:4803
    "000:4812:i1": "000.L13.transition_matrix",  # 000:4814
    "000:4936:i1": "000.L13.categorical_kl", "000:4938:p": "000.L13.ce_objective",  # 000:4933, 000:4940
    "000:5084:i1": "000.L14.absorbing_posterior", "000:5084:i2": "000.L14.absorbing_posterior",  # 000:5078/5082
    "000:5085:i2": "000.L14.absorbing_posterior", "000:5086:i1": "000.L14.absorbing_posterior",
    "000:5087:i3": "000.L14.absorbing_posterior", "000:5088:i2": "000.L14.absorbing_posterior",
    "000:5183:i1": "000.L14.mask_rate", "000:5291:i1": "000.L14.mask_rate",
}

CLAIMS, SCOPE = scoped(_ENTRIES, {
    **_TO_DISPLAY,
    "000:2654:p": "not_a_claim:pointer", "000:2656:p": "not_a_claim:pointer",  # references
    "000:3738:p": "not_a_claim:name",  # "Here," before a display
    "000:3239:i1": "not_a_claim:notation", "000:4879:i1": "not_a_claim:notation",  # a lone relation symbol
    "000:1761:i2": "not_a_claim:notation",
    "000:4751:i1": "not_a_claim:declaration",  # the state space of x(t)
})
