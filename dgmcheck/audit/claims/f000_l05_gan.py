"""Claims of 000 lecture 5: likelihood-free learning, GAN optimality, JSD, Wasserstein distance, WGAN."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from scipy import integrate, special

from dgmcheck.audit.claims.f000_l05_l08_common import GH_W, GH_Z, LOG2, laws, npdf
from dgmcheck.audit.formulas import Place
from dgmcheck.audit.model import Claim, all_of, holds_if, imprecise, num_compare, num_equal, points, sym_equal
from dgmcheck.theory import divergences as dv
from dgmcheck.theory import gan
from dgmcheck.theory import wasserstein as ws
from dgmcheck.theory.tricks import pushforward


# ------------------------------------------------------------------ likelihood-based models
def _noise_mixture_bound():
    # log[0.01 p + 0.99 p_noise] >= log[0.01 p] = log p - log 100, for densities p, p_noise >= 0.
    at = points(30, seed=11, p=(1e-4, 5.0), pn=(0.0, 5.0))
    ineq = num_compare(
        lambda p, pn: math.log(0.01 * p + 0.99 * pn),
        ">=",
        lambda p, pn: math.log(0.01 * p),
        at,
        what="log of the mixture vs log of its first part",
    )
    p = sp.symbols("p", positive=True)
    eq = sym_equal(
        sp.expand_log(sp.log(sp.Rational(1, 100) * p), force=True),
        sp.log(p) - sp.log(100),
        what="log(0.01 p) = log p - log 100",
    )
    return all_of(ineq, eq)


def _sharp_mixture_test_likelihood():
    # p_1 = 1/n sum_i N(x | x_i, eps I) (eps a variance), d = 1: at a test point off the training set
    # log p_1(x_test) -> -inf as eps -> 0.
    xs = np.array([-1.0, 0.2, 1.5])

    def log_p1(x, eps):
        return float(np.logaddexp.reduce(-0.5 * (x - xs) ** 2 / eps - 0.5 * math.log(2 * math.pi * eps)) - math.log(3))

    vals = [log_p1(0.7, e) for e in (1e-1, 1e-2, 1e-3, 1e-4)]
    return all_of(
        num_compare(lambda: vals[1], "<", lambda: vals[0], [{}], what="eps 1e-2 vs 1e-1"),
        num_compare(lambda: vals[2], "<", lambda: vals[1], [{}], what="eps 1e-3 vs 1e-2"),
        num_compare(lambda: vals[3], "<", lambda: -1000.0, [{}], what="eps 1e-4: log p_1(0.7) < -1000"),
    )


# ------------------------------------------------------------------ GAN
def _cross_entropy_forms():
    # The slide's bracket is twice the cross-entropy -E_{p_hat(x,y)} log p(y|x) with
    # p_hat = 1/2 [y=1] p_data + 1/2 [y=0] p_theta; minimizing it = maximizing its negative.
    rng = np.random.default_rng(5)
    cases = []
    for _ in range(10):
        pd, pt = laws(rng, 6)
        cases.append({"pd": pd, "pt": pt, "d": rng.uniform(0.05, 0.95, 6)})

    def bracket(pd, pt, d):
        return float(-np.sum(pd * np.log(d)) - np.sum(pt * np.log(1 - d)))

    def twice_ce(pd, pt, d):
        joint_y1, joint_y0 = 0.5 * pd, 0.5 * pt
        return float(2 * -(np.sum(joint_y1 * np.log(d)) + np.sum(joint_y0 * np.log(1 - d))))

    same = num_equal(bracket, twice_ce, cases, what="bracket = 2 * cross-entropy of p_hat")
    grid = np.linspace(0.01, 0.99, 99)

    def argmin_neg(pd, pt, d):  # pointwise minimizer over a grid of classifier values
        return [
            float(grid[np.argmin(-(a * np.log(grid) + b * np.log(1 - grid)))]) for a, b in zip(pd, pt, strict=False)
        ]

    def argmax_pos(pd, pt, d):
        return [float(grid[np.argmax(a * np.log(grid) + b * np.log(1 - grid))]) for a, b in zip(pd, pt, strict=False)]

    return all_of(same, num_equal(argmin_neg, argmax_pos, cases, what="argmin of -f = argmax of f"))


def _lotus_generator():
    # E_{p_theta(x)} log(1 - D(x)) = E_{p(z)} log(1 - D(G(z))), p_theta = G # p(z) (z on 8 points, x on 5).
    rng = np.random.default_rng(7)
    cases = []
    for _ in range(10):
        cases.append({"pz": laws(rng, 8, 1)[0], "g": rng.integers(0, 5, 8), "d": rng.uniform(0.05, 0.95, 5)})
    return num_equal(
        lambda pz, g, d: float(np.sum(pushforward(pz, g, 5) * np.log(1 - d))),
        lambda pz, g, d: float(np.sum(pz * np.log(1 - d[g]))),
        cases,
        what="E over p_theta vs E over p(z) of log(1 - D)",
    )


def _global_optimum():
    rng = np.random.default_rng(3)
    same = [{"p": laws(rng, 5, 1)[0]} for _ in range(8)]
    v_star, d_star = gan.global_optimum()
    at_eq = num_equal(
        lambda p: gan.value(p, p, gan.optimal_discriminator(p, p)),
        lambda p: -2 * LOG2,
        same,
        what="V(G*, D*) at p_theta = p_data",
    )
    d_half = num_equal(
        lambda p: gan.optimal_discriminator(p, p), lambda p: np.full(5, 0.5), same, what="D* = 1/2 at p_theta = p_data"
    )
    diff = [{"p": p, "q": q} for p, q in (laws(rng, 5) for _ in range(8))]
    above = num_compare(
        lambda p, q: gan.value(p, q, gan.optimal_discriminator(p, q)),
        ">",
        lambda p, q: v_star,
        diff,
        what="V(G, D*) > -2 log 2 for p_theta != p_data (optimum only at equality)",
    )
    maxd = [{"p": p, "q": q, "d": rng.uniform(0.01, 0.99, 5)} for p, q in (laws(rng, 5) for _ in range(8))]
    best = num_compare(
        lambda p, q, d: gan.value(p, q, d),
        "<=",
        lambda p, q, d: gan.value(p, q, gan.optimal_discriminator(p, q)),
        maxd,
        what="max over D is attained at D*",
    )
    return all_of(at_eq, d_half, above, best, num_equal(lambda: d_star, lambda: 0.5, [{}]))


def _value_integral_form():
    # V(G, D) with z ~ N(0,1), G(z) = 1.5 z - 0.5, p_data = N(0.3, 1), D = sigmoid(a x + b):
    # E_{p_data} log D + E_{p(z)} log(1 - D(G(z))) = int [p_data log D + p_theta log(1 - D)] dx.
    def logd(x, a, b):
        return -np.logaddexp(0.0, -(a * x + b))

    def log1md(x, a, b):
        return -np.logaddexp(0.0, a * x + b)

    def lhs(a, b):
        return float(np.sum(GH_W * logd(0.3 + GH_Z, a, b)) + np.sum(GH_W * log1md(1.5 * GH_Z - 0.5, a, b)))

    def rhs(a, b):
        def y(x):
            return float(npdf(x, 0.3, 1) * logd(x, a, b) + npdf(x, -0.5, 1.5) * log1md(x, a, b))

        return integrate.quad(y, -40, 40, points=[-0.5, 0.3], limit=400, epsabs=1e-12, epsrel=1e-12)[0]

    return num_equal(lhs, rhs, points(8, seed=2, a=(-2.0, 2.0), b=(-1.0, 1.0)), what="z-form vs integral of y(D)")


def _optimal_discriminator():
    a, b, d = sp.symbols("a b D", positive=True)
    y = a * sp.log(d) + b * sp.log(1 - d)
    deriv = sym_equal(sp.diff(y, d), a / d - b / (1 - d), what="dy/dD")
    return all_of(deriv, sym_equal(gan.derive_optimal_discriminator(), a / (a + b), what="root of dy/dD = 0"))


def _value_at_optimum():
    rng = np.random.default_rng(13)
    cases = []
    for _ in range(10):
        p, q = laws(rng, 6)
        p[0] = 0.0  # allow a point that p_data does not charge
        cases.append({"p": p / p.sum(), "q": q})

    def direct(p, q):
        m = p + q
        return float(np.sum(dv.xlogy_ratio(p, m)) + np.sum(dv.xlogy_ratio(q, m)))

    def kls(p, q):
        m = 0.5 * (p + q)
        return dv.kl(p, m) + dv.kl(q, m) - 2 * LOG2

    return all_of(
        num_equal(direct, kls, cases, what="line 1 = line 2"),
        num_equal(kls, lambda p, q: 2 * dv.jsd(p, q) - 2 * LOG2, cases, what="line 2 = line 3"),
        num_equal(direct, lambda p, q: gan.value_at_optimum(p, q), cases, what="oracle"),
    )


def _jsd_symmetric_kl():
    # Read "Symmetric KL Divergence" as JSD = (KL(p||q) + KL(q||p))/2 (the symmetrized KL).
    rng = np.random.default_rng(17)
    cases = [dict(zip(("p", "q"), laws(rng, 3), strict=False)) for _ in range(6)]
    sym = num_equal(lambda p, q: dv.jsd(p, q), lambda p, q: dv.jsd(q, p), cases, what="JSD is symmetric")
    cases = [{"p": np.array([0.2, 0.8]), "q": np.array([0.6, 0.4])}, *cases]
    as_equation = all_of(
        sym,
        num_equal(
            lambda p, q: dv.jsd(p, q),
            lambda p, q: 0.5 * (dv.kl(p, q) + dv.kl(q, p)),
            cases,
            what="JSD vs the symmetrized KL",
        ),
    )
    # the object the next line defines: the symmetric average of the KLs of p and q to their mixture m
    to_mixture = num_equal(
        lambda p, q: dv.jsd(p, q),
        lambda p, q: 0.5 * (dv.kl(p, (p + q) / 2) + dv.kl(q, (p + q) / 2)),
        cases,
        what="JSD vs 1/2 [KL(p||m) + KL(q||m)], m = (p + q)/2",
    )
    return imprecise(
        as_equation,
        all_of(sym, to_mixture),
        evidence=(Place(_P, "L5", "GAN Optimality", 1593),),
        why="a parenthetical label, not an equation: the next line defines JSD as the symmetric average of KL "
        "to the mixture (which holds), but 'symmetric KL divergence' is the standard name of another object, "
        "1/2 [KL(p||q) + KL(q||p)], which JSD is not",
    )


def _jsd_metric():
    p, q, r = dv.jsd_triangle_counterexample()
    cases = [{"p": p, "q": q, "r": r}]
    of_jsd = num_compare(
        lambda p, q, r: dv.jsd(p, r),
        "<=",
        lambda p, q, r: dv.jsd(p, q) + dv.jsd(q, r),
        cases,
        what="triangle inequality JSD(p,r) <= JSD(p,q) + JSD(q,r)",
    )
    rng = np.random.default_rng(23)
    triples = cases + [dict(zip(("p", "q", "r"), laws(rng, 4, 3), strict=False)) for _ in range(40)]
    of_root = all_of(
        num_compare(
            lambda p, q, r: math.sqrt(dv.jsd(p, r)),
            "<=",
            lambda p, q, r: math.sqrt(dv.jsd(p, q)) + math.sqrt(dv.jsd(q, r)),
            triples,
            what="triangle inequality for sqrt(JSD)",
        ),
        num_equal(lambda p, q, r: dv.jsd(p, q), lambda p, q, r: dv.jsd(q, p), triples, what="symmetry"),
        num_compare(lambda p, q, r: dv.jsd(p, q), ">", lambda p, q, r: 0.0, triples, what="JSD(p, q) > 0 for p != q"),
        num_equal(lambda p, q, r: dv.jsd(p, p), lambda p, q, r: 0.0, triples, what="JSD(p, p) = 0"),
    )
    return imprecise(
        of_jsd,
        of_root,
        why="'a proper distance metric' names the wrong object: JSD itself breaks the triangle inequality, its "
        "square root is a metric (checked: triangle inequality on 41 triples, symmetry, identity)",
    )


def _disjoint_manifolds():
    cases = [
        {"p": np.array([0.2, 0.5, 0.3, 0.0, 0.0]), "q": np.array([0.0, 0.0, 0.0, 0.6, 0.4])},
        {"p": np.array([1.0, 0.0]), "q": np.array([0.0, 1.0])},
    ]
    return all_of(
        num_equal(lambda p, q: dv.kl(p, q), lambda p, q: math.inf, cases, what="KL(p_data||p_theta)"),
        num_equal(lambda p, q: dv.kl(q, p), lambda p, q: math.inf, cases, what="KL(p_theta||p_data)"),
        num_equal(lambda p, q: dv.jsd(p, q), lambda p, q: LOG2, cases, what="JSD"),
    )


# ------------------------------------------------------------------ Wasserstein
def _emd_discrete():
    rng = np.random.default_rng(19)
    x = np.arange(6.0)
    cases = [dict(zip(("p", "q"), laws(rng, 6), strict=False)) for _ in range(6)]

    def plan_cost(p, q):
        _, plan = ws.w1_primal_lp(x, p, x, q)
        return float(np.sum(plan * np.abs(x[:, None] - x[None, :])))

    return num_equal(
        plan_cost,
        lambda p, q: ws.w1_1d(x, p, q),
        cases,
        rtol=1e-7,
        atol=1e-8,
        what="sum P*|i-j| at the optimal plan vs the CDF formula",
    )


def _lines(theta, n=8):
    return dv.parallel_lines_discretized(theta, n)


def _lines_theta_zero():
    n = 8
    y = (np.arange(n) + 0.5) / n
    pts = np.stack([np.zeros(n), y], 1)
    u = np.full(n, 1.0 / n)
    w1 = ws.w1_primal_lp(pts, u, pts, u)[0]
    vals = [dv.kl(u, u), dv.kl(u, u), dv.jsd(u, u), w1]
    return num_equal(lambda: vals, lambda: [0.0, 0.0, 0.0, 0.0], [{}], what="KL, KL, JSD, W at theta = 0")


def _lines_kl():
    cases = [{"theta": t} for t in (0.3, -1.0, 2.5)]

    def kls(theta):
        _, p, q = _lines(theta)
        return [dv.kl(p, q), dv.kl(q, p)]

    # the slide's integrand: p_data has density 1 on its segment, p_theta density 0 there
    with np.errstate(divide="ignore"):
        integrand = float(1.0 * np.log(1.0 / np.float64(0.0)))
    return all_of(
        num_equal(kls, lambda theta: [math.inf, math.inf], cases, what="KL both ways, discretized"),
        num_equal(lambda: integrand, lambda: math.inf, [{}], what="1 log(1/0)"),
    )


def _lines_jsd():
    cases = [{"theta": t} for t in (0.3, -1.0, 2.5)]
    each = integrate.quad(lambda y: 1.0 * math.log(1.0 / 0.5), 0.0, 1.0)[0]
    return all_of(
        num_equal(lambda: 0.5 * (each + each), lambda: LOG2, [{}], what="1/2 (int + int)"),
        num_equal(
            lambda theta: dv.jsd(*_lines(theta)[1:]), lambda theta: LOG2, cases, what="JSD of the discretized lines"
        ),
    )


def _lines_w():
    cases = [{"theta": t} for t in (0.3, -1.0, 2.5)]

    def w1(theta):
        pts, p, q = _lines(theta)
        return ws.w1_primal_lp(pts, p, pts, q)[0]

    return num_equal(w1, lambda theta: abs(theta), cases, what="W_1 by linear programming")


def _hierarchy():
    rng = np.random.default_rng(23)
    x = np.linspace(0.0, 1.0, 5)  # compact space of diameter 1
    cases = [dict(zip(("p", "q"), laws(rng, 5), strict=False)) for _ in range(10)]
    j_kl1 = num_compare(
        lambda p, q: dv.jsd(p, q),
        "<=",
        lambda p, q: LOG2 * math.sqrt(dv.kl(p, q) / 2),
        cases,
        what="JSD <= log2 sqrt(KL(pi||p)/2)",
    )
    j_kl2 = num_compare(
        lambda p, q: dv.jsd(p, q),
        "<=",
        lambda p, q: LOG2 * math.sqrt(dv.kl(q, p) / 2),
        cases,
        what="JSD <= log2 sqrt(KL(p||pi)/2)",
    )
    w_j = num_compare(
        lambda p, q: ws.w1_1d(x, p, q),
        "<=",
        lambda p, q: 1.0 * math.sqrt(2 * dv.jsd(p, q)),
        cases,
        what="W_1 <= diam sqrt(2 JSD)",
    )
    pi, r = laws(rng, 5)
    seq = [dv.mixture_sequence(pi, r, t) for t in (10, 1000, 100000)]
    vals = [[dv.kl(pi, p), dv.jsd(pi, p), ws.w1_1d(x, pi, p)] for p in seq]
    to_zero = num_compare(lambda: max(vals[-1]), "<", lambda: 1e-4, [{}], what="p_t = (1-1/t) pi + r/t: all -> 0")
    return all_of(j_kl1, j_kl2, w_j, to_zero)


def _kantorovich_rubinstein():
    rng = np.random.default_rng(29)
    cases = []
    for k in (0.5, 1.0, 3.0):
        for dim in (1, 2):
            x = rng.normal(size=(5, dim))
            p, q = laws(rng, 5)
            cases.append({"x": x, "p": p, "q": q, "k": k})
    return num_equal(
        lambda x, p, q, k: ws.w1_primal_lp(x, p, x, q)[0],
        lambda x, p, q, k: ws.w1_dual_lp(k * x, p, q)[0] / k,  # f K-Lipschitz <=> 1-Lipschitz for K*dist
        cases,
        rtol=1e-7,
        atol=1e-8,
        what="primal W vs (1/K) max over K-Lipschitz f",
    )


def _wgan_lower_bound():
    # f_phi(x) = phi_1 tanh(phi_2 x), |phi_i| <= c: Lipschitz constant <= c^2 = K.
    rng = np.random.default_rng(31)
    x = np.linspace(-2.0, 2.0, 6)
    grid = np.linspace(-0.5, 0.5, 41)
    c = 0.5
    cases = [dict(zip(("p", "q"), laws(rng, 6), strict=False)) for _ in range(6)]

    def best_phi(p, q):
        return max(float(np.sum((p - q) * a * np.tanh(b * x))) for a in grid for b in grid)

    eq = num_equal(
        lambda p, q: ws.w1_dual_lp(c * c * x, p, q)[0],
        lambda p, q: c * c * ws.w1_1d(x, p, q),
        cases,
        rtol=1e-7,
        atol=1e-8,
        what="max over K-Lipschitz f = K W",
    )
    return all_of(
        eq,
        num_compare(lambda p, q: c * c * ws.w1_1d(x, p, q), ">=", best_phi, cases, what="K W >= max over phi in Phi"),
    )


def _wgan_approx():
    # p_data = N(0,1); critic family f_phi(x) = phi x, |phi| <= c (c-Lipschitz, K = c).
    c = 0.01
    phis = np.linspace(-c, c, 201)

    def crit_max(mu, sd):  # max_phi E_data f - E_theta f with p_theta = N(mu, sd^2) (Gauss-Hermite)
        return max(float(np.sum(GH_W * ph * GH_Z) - np.sum(GH_W * ph * (mu + sd * GH_Z))) for ph in phis)

    def w1(mu, sd):  # W_1 = int_0^1 |F^-1 - G^-1| du
        f = lambda u: abs(special.ndtri(u) - (mu + sd * special.ndtri(u)))  # noqa: E731
        return integrate.quad(f, 0, 1, limit=200, epsabs=1e-12, points=[0.5])[0]

    inside = num_equal(
        lambda mu: crit_max(mu, 1.0) / c,
        lambda mu: w1(mu, 1.0),
        [{"mu": m} for m in (-1.5, -0.4, 0.3, 2.0)],
        rtol=1e-6,
        what="location family p_theta = N(theta, 1), linear critics: max_phi / K = W",
    )
    outside = num_equal(
        lambda sd: crit_max(0.0, sd) / c,
        lambda sd: w1(0.0, sd),
        [{"sd": s} for s in (2.0, 0.5)],
        rtol=1e-6,
        what="scale family p_theta = N(0, theta^2), linear critics",
    )
    # the same two families on a discrete p_data (9 atoms), with W_1 from the registry oracle
    # (wasserstein.kantorovich_rubinstein: ws.w1_1d, and the dual LP ws.w1_dual_lp): location shifts x + theta,
    # scalings theta x
    xs = np.linspace(-2.0, 2.0, 9)
    p_data = np.random.default_rng(41).dirichlet(np.ones(9))

    def disc_crit_max(ys):  # max_phi sum p_data f_phi(x) - sum p_data f_phi(y), f_phi(x) = phi x
        return max(float(ph * (p_data @ xs - p_data @ ys)) for ph in phis)

    def disc_w1(ys):
        support = np.concatenate([xs, ys])
        return ws.w1_1d(support, np.concatenate([p_data, np.zeros(9)]), np.concatenate([np.zeros(9), p_data]))

    def disc_w1_dual(ys):
        support = np.concatenate([xs, ys])
        return ws.w1_dual_lp(support, np.concatenate([p_data, np.zeros(9)]), np.concatenate([np.zeros(9), p_data]))[0]

    inside = all_of(inside, num_equal(
        lambda th: disc_crit_max(xs + th) / c, lambda th: disc_w1(xs + th), [{"th": t} for t in (-1.3, 0.45, 2.2)],
        rtol=1e-6, what="discrete p_data, p_theta = p_data shifted by theta, linear critics: max_phi / K = W_1 "
                        "(ws.w1_1d)"))
    outside = all_of(num_equal(
        lambda th: disc_crit_max(th * xs) / c, lambda th: disc_w1_dual(th * xs), [{"th": t} for t in (2.0, 0.5)],
        rtol=1e-6, what="discrete p_data, p_theta = p_data scaled by theta, linear critics vs W_1 (ws.w1_dual_lp)"),
        outside)
    return holds_if(
        "the critic family {f_phi} contains a maximizer of the K-Lipschitz dual problem "
        "(then max_phi [...] = K W for every theta, same minimizer)",
        inside,
        outside,
    )


_P = "000"
CLAIMS: list[Claim] = [
    Claim(
        id="000.L5.likelihood_sharp_mixture_def",
        formulas=("000:1492",),
        kind="definition",
        meaning="p_1 is a kernel density model: equal mixture of Gaussians N(x_i, eps I) centred at the n "
        "training points.",
    ),
    Claim(
        id="000.L5.sharp_mixture_poor_test_likelihood",
        formulas=("000:1492",),
        text="If  $\\epsilon$  is very small, this model produces excellent, sharp samples but achieves poor "
        "likelihoods on test data.",
        places=(Place(_P, "L5", "Likelihood-Based Models", 1494),),
        meaning="eps is the variance of each kernel; 'poor likelihood on test data' read as: at a test point that "
        "is not a training point, log p_1 -> -inf as eps -> 0 (training points x_i = -1, 0.2, 1.5; "
        "test point 0.7).",
        check=_sharp_mixture_test_likelihood,
    ),
    Claim(
        id="000.L5.noise_mixture_log_bound",
        formulas=("000:1499",),
        meaning="p_2 = 0.01 p + 0.99 p_noise is a mixture of densities (p, p_noise >= 0); claim: log p_2(x) >= "
        "log(0.01 p(x)) = log p(x) - log 100 (natural log), pointwise in x.",
        check=_noise_mixture_bound,
    ),
    Claim(
        id="000.L5.discriminator_def",
        formulas=("000:1519",),
        kind="definition",
        meaning="p(y=1|x) is the probability that x came from p_data, p(y=0|x) that it came from p_theta.",
    ),
    Claim(
        id="000.L5.discriminator_cross_entropy",
        formulas=("000:1533",),
        meaning="The bracket is (twice) the cross-entropy -E_{p_hat(x,y)} log p(y|x) of the prose with "
        "p_hat = 1/2 [y=1] p_data + 1/2 [y=0] p_theta; minimizing it over p(y|x) is the same problem as "
        "maximizing its negative (second line). Checked on laws on 6 points, classifiers D = p(y=1|x).",
        check=_cross_entropy_forms,
    ),
    Claim(
        id="000.L5.discriminator_objective_def",
        formulas=("000:1543", "000:1550", "000:1627", "000:1808"),
        kind="definition",
        meaning="The discriminator's objective and the GAN minimax objective (D = p(y=1|x), generator G or G_theta, "
        "discriminator D_phi) are defined.",
    ),
    Claim(
        id="000.L5.gan_objective_latent_form",
        formulas=("000:1552",),
        theorem="tricks.lotus",
        meaning="With x = G(z), z ~ p(z), p_theta is the push-forward of p(z) by G; claim: replacing "
        "E_{p_theta(x)} log(1-D(x)) by E_{p(z)} log(1-D(G(z))) leaves the objective unchanged.",
        check=_lotus_generator,
    ),
    Claim(
        id="000.L5.gan_global_optimum",
        formulas=("000:1575", "000:1597", "000:1605"),
        theorem="gan.global_optimum",
        meaning="V(G, D) as underbraced; claim: max_D V = V(G, D*) is minimized over p_theta exactly when "
        "p_theta = p_data, with value -2 log 2 (natural log) and D* = 1/2. Checked on laws on 5 points.",
        check=_global_optimum,
    ),
    Claim(
        id="000.L5.gan_value_integral",
        formulas=("000:1581",),
        meaning="V(G, D) with p_theta the law of G(z) (change of variables) equals the integral of "
        "y(D) = p_data log D + p_theta log(1-D) over x. Checked for p_data = N(0.3, 1), z ~ N(0, 1), "
        "G(z) = 1.5 z - 0.5, D = sigmoid(a x + b).",
        check=_value_integral_form,
    ),
    Claim(
        id="000.L5.gan_optimal_discriminator",
        formulas=("000:1583",),
        theorem="gan.optimal_discriminator",
        meaning="Pointwise in x, y(D) = p_data log D + p_theta log(1-D), D in (0, 1); its derivative and the "
        "unique root D* = p_data / (p_data + p_theta) (a maximum: y'' < 0).",
        check=_optimal_discriminator,
    ),
    Claim(
        id="000.L5.gan_value_at_optimum",
        formulas=("000:1589",),
        theorem="gan.value_at_optimum",
        meaning="KL and JSD with natural logarithms; JSD(p||q) = 1/2 KL(p||m) + 1/2 KL(q||m), m = (p+q)/2. "
        "Each '=' of the chain is checked on laws on 6 points (p_data may vanish somewhere).",
        check=_value_at_optimum,
    ),
    Claim(
        id="000.L5.jsd_def",
        formulas=("000:1593",),
        kind="definition",
        meaning="JSD with star = (p_data + p_theta)/2, the mixture of the two laws.",
    ),
    Claim(
        id="000.L5.jsd_is_symmetric_kl",
        formulas=("000:1593",),
        theorem="divergence.jsd_properties",
        text="Jensen-Shannon Divergence (Symmetric KL Divergence)",
        places=(Place(_P, "L5", "GAN Optimality", 1591),),
        meaning="Read as: JSD is the symmetrized KL divergence 1/2 [KL(p||q) + KL(q||p)]. JSD is symmetric, "
        "but it is not that quantity. Judgement: imprecise (a label naming another object), not fails: the "
        "parenthesis labels the title, and the formula on the next line (the average KL to the mixture, "
        "symmetric) is the object meant; it holds.",
        check=_jsd_symmetric_kl,
        corrected=r"\text{JSD}(p\|q) = \tfrac12 \text{KL}(p\|m) + \tfrac12 \text{KL}(q\|m),\ m = \tfrac{p+q}{2}"
        r"\ \text{(symmetric, but } \neq \tfrac12[\text{KL}(p\|q) + \text{KL}(q\|p)])",
    ),
    Claim(
        id="000.L5.jsd_is_metric",
        formulas=("000:1593",),
        theorem="divergence.jsd_properties",
        text="This can be regarded as a proper distance metric!",
        places=(Place(_P, "L5", "GAN Optimality", 1595),),
        meaning="JSD (natural log) is a metric on laws, in particular satisfies the triangle inequality. "
        "Judgement: imprecise ('regarded as' a metric names JSD where sqrt(JSD) is the metric), not fails: "
        "the metric reading holds for sqrt(JSD).",
        check=_jsd_metric,
        corrected=r"\sqrt{\text{JSD}} \text{ is a metric; JSD itself violates the triangle inequality "
        r"(e.g. } p=\delta_0, q=(\tfrac12,\tfrac12), r=\delta_1)",
    ),
    Claim(
        id="000.L5.kl_jsd_defs",
        formulas=("000:1655", "000:1657"),
        kind="definition",
        meaning="Forward and reverse KL and the JSD between the target pi and the model p.",
    ),
    Claim(
        id="000.L5.disjoint_supports_divergences",
        formulas=("000:1682",),
        theorem="divergence.disjoint_supports",
        meaning="p_data and p_theta with disjoint supports: KL(p_data||p_theta) = KL(p_theta||p_data) = +inf and "
        "JSD = log 2 (natural log). Checked on laws with disjoint supports on a finite set.",
        check=_disjoint_manifolds,
    ),
    Claim(
        id="000.L5.emd_discrete",
        formulas=("000:1703",),
        theorem="wasserstein.kantorovich_rubinstein",
        meaning="For laws on {0..5}, P is the optimal transport plan; sum_ij P_ij |i - j| is the Wasserstein "
        "distance W_1 (compared with the 1-D CDF formula int |F_p - F_q|).",
        check=_emd_discrete,
    ),
    Claim(
        id="000.L5.wasserstein_defs",
        formulas=("000:1707", "000:1711", "000:1718"),
        kind="definition",
        meaning="W(pi||p) = W_1 as an infimum over couplings gamma in Gamma(pi, p) (the marginal constraints of "
        "000:1711; its first integral is over x_1, written dx), and W_s for s >= 1.",
        note="000:1711 writes d\\mathbf{x} for d\\mathbf{x}_1 in the first marginal constraint.",
    ),
    Claim(
        id="000.L5.parallel_lines_def",
        formulas=("000:1727", "000:1729"),
        kind="definition",
        meaning="p_data: x = 0, y ~ U[0,1]; p_theta: x = theta, y ~ U[0,1] (laws on two vertical segments).",
    ),
    Claim(
        id="000.L5.parallel_lines_theta0",
        formulas=("000:1735",),
        theorem="divergence.disjoint_supports",
        meaning="At theta = 0 the two laws coincide, so KL both ways, JSD and W_1 are 0 (discretized on 8 points "
        "of the segment; W_1 by linear programming).",
        check=_lines_theta_zero,
    ),
    Claim(
        id="000.L5.parallel_lines_kl",
        formulas=("000:1739",),
        theorem="divergence.disjoint_supports",
        meaning="theta != 0: the integrand of KL(p_data||p_theta) on p_data's segment is 1 log(1/0) = +inf, so "
        "KL = +inf both ways (checked also on the discretized segments).",
        check=_lines_kl,
    ),
    Claim(
        id="000.L5.parallel_lines_jsd",
        formulas=("000:1741",),
        theorem="divergence.disjoint_supports",
        meaning="theta != 0: on each segment the mixture has density 1/2 where the law has 1, so each KL to the "
        "mixture is int_0^1 log 2 dy and JSD = log 2.",
        check=_lines_jsd,
    ),
    Claim(
        id="000.L5.parallel_lines_w",
        formulas=("000:1743",),
        theorem="divergence.disjoint_supports",
        meaning="W_1 between the two segments is |theta| (checked by linear programming on 8 points per segment).",
        check=_lines_w,
    ),
    Claim(
        id="000.L5.convergence_hierarchy",
        formulas=("000:1755", "000:1757", "000:1759"),
        theorem="divergence.convergence_hierarchy",
        meaning="On a compact space, (1) KL(pi||p_t) -> 0 or KL(p_t||pi) -> 0 implies (2) JSD -> 0, which implies "
        "(3) W -> 0; checked through the quantitative bounds JSD <= log2 sqrt(KL/2) (either KL) and "
        "W_1 <= diam sqrt(2 JSD) on laws on 5 points of [0, 1], and on a sequence p_t -> pi.",
        check=_hierarchy,
    ),
    Claim(
        id="000.L5.kantorovich_rubinstein",
        formulas=("000:1783", "000:1795"),
        theorem="wasserstein.kantorovich_rubinstein",
        meaning="W = W_1; ||f||_L <= K means K-Lipschitz for the Euclidean norm; claim W = (1/K) max over "
        "K-Lipschitz f of E_pi f - E_p f. Checked on laws on 5 points in R^1 and R^2 (primal and dual LP), "
        "K in {0.5, 1, 3}.",
        check=_kantorovich_rubinstein,
    ),
    Claim(id="000.L5.lipschitz_def", formulas=("000:1787",), kind="definition", meaning="f is K-Lipschitz."),
    Claim(
        id="000.L5.wgan_lower_bound",
        formulas=("000:1802",),
        theorem="wasserstein.kantorovich_rubinstein",
        meaning="K W = max over K-Lipschitz f (duality), and >= the max over a parametric family {f_phi, phi in "
        "Phi} of K-Lipschitz functions; checked with f_phi(x) = phi_1 tanh(phi_2 x), Phi = [-c, c]^2 "
        "(Lipschitz constant <= c^2 = K), laws on 6 points.",
        check=_wgan_lower_bound,
    ),
    Claim(
        id="000.L5.wgan_objective_approx",
        formulas=("000:1815",),
        theorem="wasserstein.kantorovich_rubinstein",
        meaning="The approximation: for each theta, max_{phi in Phi}[E_data f_phi - E_z f_phi(G_theta(z))] stands "
        "for K W(p_data||p_theta) (so both sides have the same minimizer in theta). It is exact (= K W) when "
        "the critic family contains a dual maximizer, and only a lower bound otherwise. Checked with "
        "p_data = N(0, 1) and linear critics f_phi(x) = phi x, |phi| <= c = 0.01, and on a discrete p_data with W "
        "from the registry oracle (wasserstein.w1_1d, w1_dual_lp). Judgement: holds_if, not imprecise: the "
        "'≈' is honest, and the condition that makes it exact (a critic class containing a dual maximizer) is "
        "not in the statement.",
        check=_wgan_approx,
    ),
]
