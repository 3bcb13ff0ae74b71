"""000 Lecture 1: course tricks (log-derivative, Jensen, Monte Carlo, change of variables, LOTUS, Dirac
delta), the problem statement, divergence minimization and autoregressive factorization."""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp
from scipy import integrate, stats

from dgmcheck.audit.formulas import Place
from dgmcheck.audit.model import Claim, all_of, num_compare, num_equal, points, slip, sym_equal
from dgmcheck.theory import autoregressive as ar
from dgmcheck.theory import flows, latent, tricks

_PHI = stats.norm.pdf
_CDF = stats.norm.cdf


# --------------------------------------------------------------------------- course tricks
def _log_derivative():
    x1, x2 = sp.symbols("x1 x2", real=True)
    p = sp.Function("p", positive=True)(x1, x2)
    lhs = sp.Matrix([sp.diff(sp.log(p), v) for v in (x1, x2)])
    rhs = sp.Matrix([sp.diff(p, v) for v in (x1, x2)]) / p
    generic = sym_equal(lhs, rhs, what="grad log p(x1, x2) vs grad p / p for an arbitrary positive p")
    # the registry oracle (tricks.log_derivative): for p_theta = softmax(theta), the score-function identity
    # grad_theta E f = E[f grad_theta log p_theta] with grad log p taken as the slide's (1/p) grad p must give
    # tricks.softmax_expectation_grad = p * (f - E f).
    th = sp.symbols("t0:3", real=True)
    probs = [sp.exp(t) / sum(sp.exp(u) for u in th) for t in th]
    slide_grad = sp.lambdify(th, sp.Matrix([[sp.diff(pk, t) / pk for t in th] for pk in probs]), "numpy")

    def via_slide(theta, f):
        pk = tricks.softmax(theta)
        return (pk * f) @ np.asarray(slide_grad(*theta), dtype=float)

    oracle = num_equal(via_slide, lambda theta, f: tricks.softmax_expectation_grad(theta, f),
                       points(8, seed=10, theta=lambda r: r.normal(size=3), f=lambda r: r.normal(size=3)),
                       what="sum_k p_k f_k (grad p_k / p_k) (slide) vs tricks.softmax_expectation_grad (oracle)")
    return all_of(generic, oracle)


def _jensen():
    # convex f on random discrete laws (support 5 points in R^2) and on a Gaussian (closed forms)
    convex = {
        "exp(a.x)": lambda x: np.exp(x @ np.array([0.7, -0.4])),
        "|x|^2": lambda x: np.sum(x * x, axis=-1),
        "|x|_1": lambda x: np.abs(x).sum(-1),
        "max(x)": lambda x: x.max(-1),
    }

    def draw(rng):
        w = rng.dirichlet(np.ones(5))
        return {"w": w, "pts": rng.normal(size=(5, 2)) * 2}

    parts = []
    for name, f in convex.items():
        parts.append(num_compare(lambda w, pts, f=f: float(w @ f(pts)), ">=", lambda w, pts, f=f: float(f(w @ pts)),
                                 [p["law"] for p in points(30, seed=11, law=draw)],
                                 what=f"E f(x) >= f(E x), f = {name}, discrete law on 5 points"))
    # reuse the registry oracle: log-mean-exp >= mean (phi = exp convex, then log monotone)
    parts.append(num_compare(lambda a: tricks.log_mean_exp(np.asarray(a)), ">=", lambda a: float(np.mean(a)),
                             points(20, seed=12, a=lambda r: r.normal(size=6) * 3),
                             what="log mean exp(a) >= mean(a) (tricks.jensen oracle)"))
    # a continuous law: x ~ N(m, s^2), f = exp: E e^x = e^{m + s^2/2} (integrated by quadrature) >= e^{E x} = e^m
    def e_exp(m, s):
        return integrate.quad(lambda x: np.exp(-0.5 * ((x - m) / s) ** 2 + x) / (s * np.sqrt(2 * np.pi)),
                              m - 30 * s, m + 30 * s, epsabs=0, epsrel=1e-12)[0]

    parts.append(num_compare(e_exp, ">=", lambda m, s: float(np.exp(m)), points(5, seed=10, m=(-1, 1), s=(0.1, 1.5)),
                             what="E exp(x) >= exp(E x), x ~ N(m, s^2) (quadrature)"))
    return all_of(*parts)


def _monte_carlo_unbiased():
    # E over all K^n i.i.d. tuples of (1/n) sum f(x_i) equals E_p f (exact enumeration), vector-valued f
    def lhs(p, f):
        return [tricks.mc_estimator_expectation(p, f[:, j], 3, np.mean) for j in range(f.shape[1])]

    def rhs(p, f):
        return list(p @ f)

    pts = points(8, seed=13, p=lambda r: r.dirichlet(np.ones(4)), f=lambda r: r.normal(size=(4, 2)))
    unbiased = num_equal(lhs, rhs, pts, what="E[(1/n) sum f(x_i)] = E_p f, n = 3, K = 4, f: 4 states -> R^2")
    # the integral form of the expectation (first '='), for a continuous p: E_{N(0,1)} cos x = e^{-1/2}
    val, _ = integrate.quad(lambda x: _PHI(x) * np.cos(x), -np.inf, np.inf, epsabs=1e-13)
    integral = num_equal(lambda: val, lambda: float(np.exp(-0.5)), [{}], what="int p f dx = E f, N(0,1), f = cos")
    return all_of(unbiased, integral)


# x ~ N(0, 1) pushed through the increasing diffeomorphism z = f(x) = sinh(x) (f^{-1} = asinh):
# P(Z <= c) = Phi(asinh c). The slide's density (transcribed) must equal the registry oracle's
# change-of-variables density (flows.flow_log_density, base N(0, 1)), integrate to 1 (flows.normalization_1d)
# and reproduce the CDF.
def _slide_px(x):
    """000:130 as written: p(x) = p(z) |det J_f|, z = f(x) = sinh x, z ~ N(0, 1), J_f = cosh x."""
    return _PHI(np.sinh(x)) * abs(np.cosh(x))


def _slide_log_px(x):
    """log of 000:130 as written, overflow-safe in the tails (log cosh x = |x| + log1p(e^{-2|x|}) - log 2)."""
    with np.errstate(over="ignore"):
        return stats.norm.logpdf(np.sinh(x)) + abs(x) + np.log1p(np.exp(-2 * abs(x))) - np.log(2.0)


def _oracle_px(x):
    return float(np.exp(flows.flow_log_density(np.array([np.sinh(x)]), flows.log_abs_det(np.array([[np.cosh(x)]])))))


def _slide_pz(z):
    """000:131 as written: p(z) = p(x) |det J_{f^{-1}}|, x = f^{-1}(z) = asinh z, x ~ N(0, 1)."""
    return _PHI(np.arcsinh(z)) * abs(1.0 / np.sqrt(1.0 + z * z))


def _slide_log_pz(z):
    return stats.norm.logpdf(np.arcsinh(z)) - 0.5 * np.log1p(z * z)


def _oracle_pz(z):
    # the flow read from z to x (x = f^{-1}(z) is the noise side, base N(0, 1))
    return float(np.exp(flows.flow_log_density(np.array([np.arcsinh(z)]),
                                               flows.log_abs_det(np.array([[1.0 / np.sqrt(1.0 + z * z)]])))))


def cov_density_x_1d():
    """p(x) = p(z)|dz/dx| with z = f(x) = sinh x, z ~ N(0,1): the oracle's density, mass 1, CDF Phi(sinh a)."""
    oracle = num_equal(_slide_px, _oracle_px, points(8, seed=13, x=(-2.5, 2.5)),
                       what="p(f(x)) |det df/dx| (slide) vs flows.flow_log_density (registry oracle), f = sinh")
    mass = num_equal(lambda: flows.normalization_1d(_slide_log_px), lambda: 1.0, [{}],
                     rtol=1e-7, what="int p(x) dx = 1 (flows.normalization_1d)")

    def lhs(a):
        v, _ = integrate.quad(_slide_px, -6.0, a, epsabs=1e-13, epsrel=1e-12)
        return v

    cdf = num_equal(lhs, lambda a: _CDF(np.sinh(a)), points(6, seed=14, a=(-2.0, 2.0)),
                    rtol=1e-7, atol=1e-9, what="int_{-inf}^a N(f(x)) |f'(x)| dx = P(X <= a), f = sinh, z ~ N(0,1)")
    return all_of(oracle, mass, cdf)


def cov_density_z_1d():
    """p(z) = p(x)|dx/dz| with x ~ N(0,1), z = sinh x, f^{-1} = asinh: the oracle's density, mass 1, CDF."""
    oracle = num_equal(_slide_pz, _oracle_pz, points(8, seed=12, z=(-4.0, 4.0)),
                       what="p(f^{-1}(z)) |det df^{-1}/dz| (slide) vs flows.flow_log_density (registry oracle)")
    mass = num_equal(lambda: flows.normalization_1d(_slide_log_pz), lambda: 1.0, [{}],
                     rtol=1e-7, what="int p(z) dz = 1 (flows.normalization_1d)")

    def lhs(c):
        v, _ = integrate.quad(_slide_pz, -np.inf, c, epsabs=1e-13, epsrel=1e-12)
        return v

    cdf = num_equal(lhs, lambda c: _CDF(np.arcsinh(c)), points(6, seed=15, c=(-4.0, 4.0)),
                    what="int_{-inf}^c N(f^{-1}(z)) |df^{-1}/dz| dz = P(Z <= c), f = sinh, x ~ N(0,1)")
    return all_of(oracle, mass, cdf)


def _rand_affine(rng):
    A = rng.normal(size=(2, 2)) + 1.5 * np.eye(2)
    L = np.tril(rng.normal(size=(2, 2))) + np.eye(2) * 1.2
    return {"A": A, "b": rng.normal(size=2), "m": rng.normal(size=2), "S": L @ L.T, "x": rng.normal(size=2)}


def cov_gaussian_2d(direction: str):
    """x ~ N(m, S), z = f(x) = A x + b ~ N(A m + b, A S A^T): both directions of the theorem in closed form."""
    pts = [p["c"] for p in points(10, seed=16, c=_rand_affine)]

    def px(A, b, m, S, x):
        return latent.gaussian_logpdf(x, m, S)

    def pz_of_fx(A, b, m, S, x):
        return latent.gaussian_logpdf(A @ x + b, A @ m + b, A @ S @ A.T)

    if direction == "x":  # log p(x) = log p(z) + log|det dz/dx|, dz/dx = A
        return num_equal(px, lambda A, b, m, S, x: pz_of_fx(A, b, m, S, x) + np.log(abs(np.linalg.det(A))), pts,
                         what="log N(x; m, S) = log N(Ax+b; Am+b, ASA^T) + log|det A|")
    # log p(z) = log p(x) + log|det dx/dz|, dx/dz = A^{-1}, at z = f(x)
    return num_equal(pz_of_fx, lambda A, b, m, S, x: px(A, b, m, S, x) + np.log(abs(np.linalg.det(np.linalg.inv(A)))),
                     pts, what="log N(z; Am+b, ASA^T) = log N(f^{-1}(z); m, S) + log|det A^{-1}|")


def _cov_x():
    return all_of(cov_density_x_1d(), cov_gaussian_2d("x"))


def _cov_z():
    return all_of(cov_density_z_1d(), cov_gaussian_2d("z"))


def _proof_1d_cdf():
    # X ~ N(0,1), Y = f(X) = exp(X) (increasing): F_Y is scipy's lognormal CDF; slide: F_Y(y) = F_X(f^{-1}(y))
    return num_equal(lambda y: stats.lognorm.cdf(y, s=1.0), lambda y: _CDF(np.log(y)), points(10, seed=17, y=(0.05, 8)),
                     what="F_Y(y) (lognormal, scipy) = F_X(log y)")


def _proof_1d_density():
    # p(y) = p(x) df^{-1}/dy with x = f^{-1}(y) = log y: lognormal pdf = phi(log y) / y; and the derivative of the
    # CDF composition computed by sympy
    y = sp.symbols("y", positive=True)
    Phi = (1 + sp.erf(sp.log(y) / sp.sqrt(2))) / 2
    sym = sym_equal(sp.diff(Phi, y), sp.exp(-sp.log(y) ** 2 / 2) / sp.sqrt(2 * sp.pi) * sp.diff(sp.log(y), y),
                    what="d/dy F_X(f^{-1}(y)) = p(x) d f^{-1}/dy, f = exp")
    num = num_equal(lambda y: stats.lognorm.pdf(y, s=1.0), lambda y: _PHI(np.log(y)) / y,
                    points(10, seed=18, y=(0.05, 8)), what="lognormal pdf (scipy) = phi(log y) * (1/y)")
    return all_of(sym, num)


def _lotus():
    # discrete: the registry oracle's pushforward; continuous: y = x^2 with x ~ N(0,1) is chi^2_1
    def lhs(p, fmap, g):
        return float(tricks.pushforward(p, fmap, 3) @ g)

    def rhs(p, fmap, g):
        return float(p @ g[fmap])

    pts = points(10, seed=19, p=lambda r: r.dirichlet(np.ones(6)), fmap=lambda r: r.integers(0, 3, size=6),
                 g=lambda r: r.normal(size=3))
    disc = num_equal(lhs, rhs, pts, what="sum_y p(y) g(y) = sum_x p(x) g(f(x)), 6 states -> 3 states")
    g = np.cos
    ey, _ = integrate.quad(lambda y: stats.chi2.pdf(y, 1) * g(y), 0, np.inf, epsabs=1e-12, limit=200)
    ex, _ = integrate.quad(lambda x: _PHI(x) * g(x * x), -np.inf, np.inf, epsabs=1e-12, limit=200)
    cont = num_equal(lambda: ey, lambda: ex, [{}], rtol=1e-7, what="E_{chi2_1} cos y = E_{N(0,1)} cos(x^2)")
    return all_of(disc, cont)


def _dirac_definition():
    # delta is the sigma -> 0 limit of N(0, sigma^2) densities. Its integral is 1, but its infinite point is x = 0,
    # not x0: at x0 = 1 the nascent delta tends to 0 (not +inf); it blows up at x = 0 instead.
    sig = 1e-3
    total, _ = integrate.quad(lambda x: _PHI(x / sig) / sig, -1, 1, points=[0.0], epsabs=1e-12)
    integral = num_equal(lambda: total, lambda: 1.0, [{}], what="int N(x; 0, sigma^2) dx, sigma = 1e-3")
    grid = np.linspace(-3, 3, 6001)
    peak = lambda x0: float(grid[np.argmax(_PHI(grid / sig) / sig)])  # noqa: E731
    where = num_equal(peak, lambda x0: x0, [{"x0": 1.0}],
                      what="the point where delta(x) = lim N(x; 0, sigma^2) is infinite, vs the slide's x = x0")
    corrected = num_equal(peak, lambda x0: 0.0, [{"x0": 1.0}],
                          what="the point where delta(x) is infinite, vs the corrected x = 0")
    return slip(all_of(integral, where), all_of(integral, corrected),
                evidence=(Place(P, "L1", "Dirac Delta Function", 151), Place(P, "L1", "Dirac Delta Function", 155)),
                why="the line before gives x0 the density delta(x - x0) and the next line integrates against "
                    "delta(x - x0): both need delta infinite where its argument is 0; x = x0 belongs to delta(x - x0)")


def _dirac_sifting():
    # E_{delta(x - x0)} f = lim_{sigma->0} int N(x; x0, sigma^2) f(x) dx = f(x0); registry oracle for the quadratic case
    sig = 1e-4

    def lhs(x0):
        v, _ = integrate.quad(lambda x: _PHI((x - x0) / sig) / sig * (np.sin(3 * x) + x * x), x0 - 12 * sig,
                              x0 + 12 * sig, epsabs=1e-13)
        return v

    nonpoly = num_equal(lhs, lambda x0: np.sin(3 * x0) + x0 * x0, points(5, seed=20, x0=(-2, 2)), rtol=1e-6,
                        what="int N(x; x0, 1e-8) (sin 3x + x^2) dx -> f(x0)")
    a, B, x0 = np.array([0.3, -1.0]), np.array([[1.0, 0.2], [0.2, 2.0]]), np.array([0.5, -0.7])
    oracle = num_equal(lambda: tricks.nascent_delta_quadratic(a, B, x0, 1e-6), lambda: float(a @ x0 + x0 @ B @ x0),
                       [{}], what="tricks.dirac oracle: E_{N(x0, s^2 I)} (a.x + x^T B x) at s = 1e-6")
    return all_of(nonpoly, oracle)


# --------------------------------------------------------------------------- problem statement
def _histogram_mle():
    # pi_hat (empirical frequencies) maximizes sum_i log pi_{x_i} over the simplex
    rng = np.random.default_rng(21)
    data = rng.integers(0, 4, size=40)
    pi_hat = np.bincount(data, minlength=4) / len(data)

    def loglik(pi):
        return float(np.sum(np.log(pi[data])))

    return num_compare(lambda pi: loglik(pi_hat), ">=", lambda pi: loglik(pi),
                       points(200, seed=22, pi=lambda r: r.dirichlet(np.ones(4) * 2)),
                       what="log-likelihood of the empirical frequencies vs random categorical laws")


def _chain_rule_joint():
    # every joint law on {0,1,2}^3 equals the product of its conditionals (registry oracle ar.conditionals_from_joint)
    rng = np.random.default_rng(23)
    joint = rng.dirichlet(np.ones(27)).reshape(3, 3, 3)
    seqs = [{"x": tuple(int(v) for v in s)} for s in ar.all_sequences(3, 3)]

    def prod(x):
        c = ar.conditionals_from_joint(joint, np.array(x))
        return float(np.prod(c[np.arange(3), list(x)]))

    return num_equal(lambda x: float(joint[x]), prod, seqs, what="p(x) = p(x1) p(x2|x1) p(x3|x2,x1), all 27 x")


def _histogram_param_count():
    # a full histogram over {0,1}^m has 2^m - 1 free parameters (checked by the rank of d joint / d logits for small m)
    return all_of(
        num_equal(lambda m: ar.parameter_count(2, int(m), None), lambda m: 2 ** int(m) - 1,
                  [{"m": 784}, {"m": 3}], what="parameter_count(V=2, m, full history)"),
        num_equal(lambda m: ar.jacobian_rank_count(2, int(m), None, seed=1), lambda m: 2 ** int(m) - 1,
                  [{"m": 3}], what="rank of d joint / d logits, m = 3"))


# --------------------------------------------------------------------------- divergence minimization
def _argmax_prod_equals_argmax_sum_log():
    # Bernoulli model over a grid of theta: argmax of the product of likelihoods = argmax of the sum of logs
    grid = np.linspace(0.01, 0.99, 99)

    def lik(data):
        k, n = int(np.sum(data)), len(data)
        return grid**k * (1 - grid) ** (n - k)

    def lhs(data):
        return float(grid[np.argmax(lik(data))])

    def rhs(data):
        return float(grid[np.argmax(np.log(lik(data)))])

    pts = points(10, seed=24, data=lambda r: r.integers(0, 2, size=int(r.integers(5, 30))))
    return num_equal(lhs, rhs, pts, what="argmax_theta prod p_theta(x_i) vs argmax_theta sum log p_theta(x_i)")


def _forward_kl_chain():
    # KL(p_data || p_theta) = int p log p - int p log p_theta = -E log p_theta + const (const = -H(p_data)), and the
    # Monte Carlo estimate -(1/n) sum log p_theta(x_i) has expectation -E log p_theta (exact enumeration, n = 3)
    def kl(p, q):
        return latent.categorical_kl(p, q)

    def step2(p, q):
        return float(p @ np.log(p) - p @ np.log(q))

    def step3(p, q):
        return float(-(p @ np.log(q)) - latent.entropy(p))

    def mc(p, q):
        return tricks.mc_estimator_expectation(p, -np.log(q), 3, np.mean) - latent.entropy(p)

    pts = points(10, seed=25, p=lambda r: r.dirichlet(np.ones(4)), q=lambda r: r.dirichlet(np.ones(4)))
    data = np.array([0, 1, 1, 3, 2, 1, 0, 3])
    q0 = np.array([0.1, 0.4, 0.2, 0.3])
    nll = float(-np.mean(np.log(q0[data])))
    return all_of(num_equal(kl, step2, pts, what="line 1 = line 2"), num_equal(kl, step3, pts, what="line 1 = line 3"),
                  num_equal(kl, mc, pts, what="E[MC estimate] + const = KL"),
                  num_equal(lambda: kl(latent.empirical(data, 4), q0),
                            lambda: latent.forward_kl_from_nll(nll, data, 4), [{}],
                            what="KL(p_hat || p_theta) = mean NLL - H(p_hat) (divergence.forward_kl_is_mle oracle)"))


def _reverse_kl_chain():
    # KL(N(a, s^2) || N(0, 1)) by quadrature of E_{p_theta}[log p_theta - log p_data] vs the closed form
    def lhs(a, s):
        def integrand(x):
            log_q = -0.5 * ((x - a) / s) ** 2 - np.log(s) - 0.5 * np.log(2 * np.pi)
            return np.exp(log_q) * (log_q - (-0.5 * x * x - 0.5 * np.log(2 * np.pi)))

        v, _ = integrate.quad(integrand, -np.inf, np.inf, epsabs=1e-12)
        return v

    def rhs(a, s):
        return float(latent.diag_gaussian_kl([a], [2 * np.log(s)], [0.0], [0.0]))

    return num_equal(lhs, rhs, points(6, seed=26, a=(-1, 1), s=(0.5, 2)), rtol=1e-7,
                     what="E_{p_theta}[log p_theta - log p_data] = KL(p_theta || p_data), Gaussians")


# --------------------------------------------------------------------------- autoregressive models
def _ar_conditionals_define_joint():
    # arbitrary conditionals p(x_j | x_{1:j-1}) (softmax of a random table) define a normalized joint; log = sum of logs
    rng = np.random.default_rng(27)
    tabs = [rng.normal(size=(2**j, 2)) for j in range(3)]

    def cond(x):
        out = np.empty((3, 2))
        for j in range(3):
            idx = int(np.ravel_multi_index(tuple(x[:j]), (2,) * j)) if j else 0
            t = np.exp(tabs[j][idx])
            out[j] = t / t.sum()
        return out

    joint = ar.joint_from_conditionals(cond, 2, 3)
    seqs = [{"x": np.array(s)} for s in ar.all_sequences(2, 3)]
    log_sum = num_equal(lambda x: float(np.log(joint[tuple(x)])),
                        lambda x: float(np.sum(np.log(cond(x)[np.arange(3), x]))), seqs,
                        what="log prod_j p(x_j | x_{1:j-1}) = sum_j log p(x_j | x_{1:j-1})")
    norm = num_equal(lambda: float(joint.sum()), lambda: 1.0, [{}], what="the product of conditionals sums to 1")
    chain = _chain_rule_joint()
    return all_of(chain, log_sum, norm)


def _ar_mle_objective():
    # sum_i log p_theta(x_i) computed from the joint = sum_i sum_j log p_theta(x_ij | x_{i,1:j-1}) at every theta
    data = np.array(list(itertools.product(range(2), repeat=3)))[[0, 3, 5, 5, 6, 7, 1]]

    def model(theta):
        t = np.asarray(theta)

        def cond(x):
            p1 = 1 / (1 + np.exp(-t[0]))
            p2 = 1 / (1 + np.exp(-(t[1] + t[2] * x[0])))
            p3 = 1 / (1 + np.exp(-(t[3] + t[4] * x[0] - t[2] * x[1])))
            return np.array([[1 - p1, p1], [1 - p2, p2], [1 - p3, p3]])

        return cond

    def lhs(theta):
        joint = ar.joint_from_conditionals(model(theta), 2, 3)
        return float(sum(np.log(joint[tuple(x)]) for x in data))

    def rhs(theta):
        c = model(theta)
        return float(sum(np.log(c(x)[j, x[j]]) for x in data for j in range(3)))

    return num_equal(lhs, rhs, points(8, seed=28, theta=lambda r: r.normal(size=5)),
                     what="sum_i log p_theta(x_i) = sum_i sum_j log p_theta(x_ij | x_i,1:j-1), all theta")


def _image_chain_rule():
    # a 2 x 2 binary image in raster order: p(x) = prod_{j=1}^{4} p(x_j | x_{1:j-1}) for every image
    rng = np.random.default_rng(29)
    joint = rng.dirichlet(np.ones(16)).reshape(2, 2, 2, 2)
    seqs = [{"x": tuple(int(v) for v in s)} for s in ar.all_sequences(2, 4)]

    def prod(x):
        c = ar.conditionals_from_joint(joint, np.array(x))
        return float(np.prod(c[np.arange(4), list(x)]))

    return num_equal(lambda x: float(joint[x]), prod, seqs, what="width x height = 2 x 2, raster order, all 16 images")


P = "000"
CLAIMS: list[Claim] = [
    Claim(id="000.L1.log_derivative_trick", formulas=("000:110",), theorem="tricks.log_derivative",
          meaning="p: R^m -> R differentiable and positive where the log is taken; nabla is the gradient in x.",
          check=_log_derivative),
    Claim(id="000.L1.jensen", formulas=("000:116",), theorem="tricks.jensen",
          meaning="f: R^m -> R convex (the slide's hypothesis), x a random vector with finite mean; checked on "
                  "discrete laws for several convex f and with the registry oracle (log-mean-exp >= mean).",
          check=_jensen),
    Claim(id="000.L1.monte_carlo_estimate", formulas=("000:122",), theorem="tricks.monte_carlo_unbiased",
          meaning="'=' is the definition of the expectation as an integral; '≈' read as: the sample mean of n i.i.d. "
                  "draws is an unbiased estimator of E_p f (its expectation equals E_p f exactly).",
          check=_monte_carlo_unbiased),
    Claim(id="000.L1.change_of_variables_px", formulas=("000:130",), theorem="change_of_variables.density",
          meaning="z = f(x), f a C^1-diffeomorphism, J_f = dz/dx; p(z) is the density of z evaluated at z = f(x), "
                  "p(x) the density of x. Checked: 1-D f = sinh with z ~ N(0,1) (the CDF of the CoV density equals "
                  "P(X <= a) = Phi(sinh a)) and 2-D affine f with Gaussian x (closed forms).",
          check=_cov_x),
    Claim(id="000.L1.change_of_variables_pz", formulas=("000:131",), theorem="change_of_variables.density",
          meaning="the same theorem read from z to x: p(z) = p(f^{-1}(z)) |det d f^{-1}/dz|. Checked: x ~ N(0,1), "
                  "z = sinh x (CDF Phi(asinh c)), and 2-D affine f with Gaussian x.",
          check=_cov_z),
    Claim(id="000.L1.cov_proof_cdf", formulas=("000:137",),
          meaning="Y = f(X) with f monotonically increasing (the slide's assumption); x on the slide is the random X. "
                  "Checked for X ~ N(0,1), f = exp (Y lognormal).",
          check=_proof_1d_cdf),
    Claim(id="000.L1.cov_proof_density", formulas=("000:139",),
          meaning="p(y) = dF_Y/dy; x = f^{-1}(y); f increasing so df^{-1}/dy > 0 and no absolute value is needed. "
                  "Checked for X ~ N(0,1), f = exp, symbolically and against scipy's lognormal pdf.",
          check=_proof_1d_density),
    Claim(id="000.L1.lotus", formulas=("000:147",), theorem="tricks.lotus",
          meaning="y = f(x), p(y) the law of y (the pushforward of p(x)); g any integrable function. Checked on "
                  "discrete laws (registry pushforward oracle) and for y = x^2, x ~ N(0,1) (y ~ chi^2_1).",
          check=_lotus),
    Claim(id="000.L1.dirac_delta_definition", formulas=("000:153",),
          meaning="delta is the Dirac delta, the sigma -> 0 limit of N(0, sigma^2) densities: the slide itself uses "
                  "delta(x - x0) as the density of the deterministic variable x0 (next formula), so delta(x) must be "
                  "+inf where its argument is 0. The formula as written puts the infinite point at x = x0. "
                  "Judgement: slip (x = x0 for x = 0; the lines before and after fix it).",
          check=_dirac_definition,
          corrected=r"\delta(\mathbf{x}) = \begin{cases} +\infty, & \mathbf{x} = 0 \\ 0, & \mathbf{x} \neq 0 "
                    r"\end{cases} \quad \int \delta(\mathbf{x})d\mathbf{x} = 1 \quad (\text{so } \delta(\mathbf{x} - "
                    r"\mathbf{x}_0) \text{ is infinite at } \mathbf{x}_0)",
          note="A typo-level slip: the integral property holds; only the point where delta is infinite is misplaced "
               "(it is x0 for delta(x - x0), 0 for delta(x))."),
    Claim(id="000.L1.dirac_sifting", formulas=("000:155",), theorem="tricks.dirac",
          meaning="p(x) = delta(x - x0), read as the limit sigma -> 0 of N(x0, sigma^2 I); f continuous.",
          check=_dirac_sifting),
    Claim(id="000.L1.histogram_estimate", formulas=("000:187",),
          meaning="[x_i = k] is the Iverson bracket; pi_hat_k the empirical frequency. Read as the slide's claim that "
                  "the histogram (Cat(pi)) model is fit by these frequencies: they maximize the likelihood "
                  "sum_i log pi_{x_i} over the simplex.",
          check=_histogram_mle),
    Claim(id="000.L1.chain_rule_data", formulas=("000:195",), theorem="ar.factorization",
          meaning="chain rule of probability for any joint law of x = (x_1..x_m); p(x_j | x_{j-1},...,x_1) "
                  "conditionals of p_data.",
          check=_chain_rule_joint),
    Claim(id="000.L1.histogram_parameter_count",
          text="A complete histogram would require $2^{28 \\times 28} - 1$ parameters for "
               "$p_{\\text{data}}(\\mathbf{x})$.",
          places=(Place(P, "L1", "Histogram as a Generative Model", 197),), theorem="ar.parameter_counts",
          meaning="x in {0,1}^m, m = 784; free parameters of a full probability table (one sum-to-one constraint).",
          check=_histogram_param_count),
    Claim(id="000.L1.independent_model", formulas=("000:201",), kind="definition",
          meaning="the independent (fully factorized) model of p_data, posed as a question (how many parameters: "
                  "m (V-1), ar.parameter_counts order 0)."),
    Claim(id="000.L1.markov_model", formulas=("000:203",), kind="definition",
          meaning="the first-order Markov model of p_data, posed as a question (how many parameters: "
                  "(V-1) + (m-1) V (V-1), ar.parameter_counts order 1)."),
    Claim(id="000.L1.divergence_minimization", formulas=("000:240",), kind="definition",
          meaning="the divergence-minimization problem: D is any divergence (D >= 0, = 0 iff equal)."),
    Claim(id="000.L1.forward_kl_objective", formulas=("000:248",), kind="definition",
          meaning="the forward KL objective (definition of KL, minimized over theta)."),
    Claim(id="000.L1.reverse_kl_objective", formulas=("000:252",), kind="definition",
          meaning="the reverse KL objective (definition of KL, minimized over theta)."),
    Claim(id="000.L1.mle_product_vs_log_sum", formulas=("000:260", "000:291"),
          meaning="x_i i.i.d.; log is strictly increasing, so maximizing the product of likelihoods and the sum of "
                  "log-likelihoods give the same maximizer. Checked for a Bernoulli model on a theta grid.",
          check=_argmax_prod_equals_argmax_sum_log),
    Claim(id="000.L1.forward_kl_is_mle", formulas=("000:266",), theorem="divergence.forward_kl_is_mle",
          meaning="const = int p_data log p_data = -H(p_data), independent of theta; '≈' read as: the sample mean "
                  "over x_i ~ p_data is an unbiased estimate of E_{p_data} log p_theta (and with p_data replaced by "
                  "the empirical law it is exact). Checked on categorical laws.",
          check=_forward_kl_chain),
    Claim(id="000.L1.reverse_kl_expectation", formulas=("000:273",),
          meaning="the integral rewritten as an expectation under p_theta. Checked by quadrature for "
                  "p_theta = N(a, s^2), p_data = N(0, 1) against the closed-form Gaussian KL.",
          check=_reverse_kl_chain),
    Claim(id="000.L1.ar_likelihood_product", formulas=("000:300", "000:306"), theorem="ar.factorization",
          meaning="x_{1:j} = (x_1..x_j), x_{1:0} empty; p_theta(x_j | x_{1:j-1}) the model's conditionals. The "
                  "product of any such conditionals is a normalized joint whose conditionals they are; the log "
                  "turns the product into a sum.",
          check=_ar_conditionals_define_joint),
    Claim(id="000.L1.ar_mle_objective", formulas=("000:302",), theorem="ar.factorization",
          meaning="x_ij is the j-th coordinate of sample i; the MLE objective sum_i log p_theta(x_i) rewritten with "
                  "the chain rule. Checked: both objectives agree at every theta of a 5-parameter binary AR model.",
          check=_ar_mle_objective),
    Claim(id="000.L1.markov_assumption", formulas=("000:324",), kind="definition",
          meaning="a modelling assumption (d-th order Markov model), not an identity; for j <= d the window is "
                  "x_{1:j-1}."),
    Claim(id="000.L1.llm_context_window", formulas=("000:341",), kind="definition",
          meaning="the same modelling assumption, d the context window of the language model."),
    Claim(id="000.L1.image_ar_factorization", formulas=("000:351",), theorem="ar.factorization",
          meaning="x is an image of width x height pixels (one value per pixel) in raster order; the chain rule "
                  "over the pixels.",
          check=_image_chain_rule),
]
