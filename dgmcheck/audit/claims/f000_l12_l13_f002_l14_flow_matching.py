"""Claims of 000 L12-L13 (conditional flow matching, conical / linear paths, VE/VP SDE paths) and of the
flow-matching slides of 002 L14 and 004 L14 that repeat them.

Conventions (the slides'): t in [0, 1], noise x_0 ~ N(0, I) at t = 0, data x_1 ~ p_data at t = 1;
sigma_t in N(mu_t, sigma_t^2) is a standard deviation; the score SDEs run in diffusion time s = 1 - t.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import integrate

from dgmcheck.audit.formulas import Place
from dgmcheck.audit.model import Claim, all_of, imprecise, num_compare, num_equal, points, slip, sym_equal
from dgmcheck.theory import flow_matching as fm
from dgmcheck.theory import ode, quadrature, sde
from dgmcheck.theory.gaussian_mixture import GaussianMixture

_t, _x, _x0, _x1 = sp.symbols("t x x_0 x_1", real=True)
_MIX = GaussianMixture(np.array([0.3, 0.7]), np.array([[-1.0], [1.5]]), np.array([[[0.2]], [[0.5]]]))
_GH_X, _GH_W = quadrature.normal_1d(40)


# ------------------------------------------------------------------------------------- CFM = FM
def _cfm_argmin():
    spec = fm.PathSpec("conical", sigma_min=0.0)
    rng = np.random.default_rng(3)
    mean, A = rng.normal(size=2), rng.normal(size=(2, 2))
    cov = A @ A.T + 0.3 * np.eye(2)
    pts = []
    for t in (0.2, 0.5, 0.8):
        for _ in range(3):
            pts.append({"t": t, "W": rng.normal(size=(2, 2)), "b": rng.normal(size=2)})

    def obj(t, W, b):
        return fm.linear_model_objectives(spec, t, mean, cov, W, b)

    grads = num_equal(lambda t, W, b: np.concatenate([g.ravel() for g in obj(t, W, b).grad_fm]),
                      lambda t, W, b: np.concatenate([g.ravel() for g in obj(t, W, b).grad_cfm]), pts,
                      what="gradients in theta of L_FM and L_CFM (affine model W x + b, Gaussian data)")
    gap = num_equal(lambda t, W, b: obj(t, W, b).cfm - obj(t, W, b).fm, lambda t, W, b: obj(t, W, b).gap, pts,
                    what="L_CFM - L_FM equals the theta-free constant (alpha'-sigma' alpha/sigma)^2 tr Cov(x_1|x_t)")
    return all_of(grads, gap)


def _cfm_cross_term():
    """E_{p_t(x)}[f_theta(x) f(x,t)] = E_{p(x_1)} E_{p_t(x|x_1)}[f_theta(x) f(x,x_1,t)], 1-D mixture data."""
    spec = fm.PathSpec("conical", sigma_min=0.0)

    def f_theta(x):
        return np.sin(x) + 0.3 * x

    xs, weights = quadrature.legendre(150, -12.0, 12.0)

    def lhs(t):  # Gauss-Legendre on [-12, 12] (the integrand is smooth and negligible beyond)
        p = np.exp(fm.marginal_log_prob(_MIX, spec, xs[:, None], t))
        return float(np.sum(weights * p * f_theta(xs) * fm.marginal_field(_MIX, spec, xs[:, None], t)[:, 0]))

    def rhs(t):
        total = 0.0
        for w, m, v in zip(_MIX.weights, _MIX.means[:, 0], _MIX.covs[:, 0, 0], strict=True):
            x1 = m + np.sqrt(v) * _GH_X[:, None]
            x0 = _GH_X[None, :]
            xt = t * x1 + (1 - t) * x0
            total += w * float(np.sum(_GH_W[:, None] * _GH_W[None, :] * f_theta(xt) * (x1 - xt) / (1 - t)))
        return total

    return num_equal(lhs, rhs, [{"t": 0.3}, {"t": 0.7}], rtol=1e-8,
                     what="cross term by quadrature over the marginal vs Gauss-Hermite over (x_1, x_0)")


def _marginal_field_theorem():
    # the construction of fm.continuity_residual_1d (conical path, sigma_min = 0.01), lambdified in float64
    t, x = sp.symbols("t x", real=True)
    k = sp.Rational(99, 100)
    sig = 1 - k * t
    comps, posts = [], []
    r = sp.Rational
    for w, m, v in ((r(3, 10), -1, r(1, 5)), (r(7, 10), r(3, 2), r(1, 2))):
        var = t**2 * v + sig**2
        comps.append(w * sp.exp(-(x - t * m) ** 2 / (2 * var)) / sp.sqrt(2 * sp.pi * var))
        posts.append(m + t * v / var * (x - t * m))
    p = sum(comps)
    u = -k / sig * x + (1 + k * t / sig) * sum(c * q for c, q in zip(comps, posts, strict=True)) / p
    dpt, dflux = sp.lambdify((t, x), [sp.diff(p, t), sp.diff(p * u, x)], "numpy"), None
    cont = num_equal(lambda t, x: dpt(t, x)[0], lambda t, x: -dpt(t, x)[1], points(8, seed=13, t=(0.05, 0.95),
                                                                                   x=(-2.5, 2.5)), rtol=1e-9,
                     what="d_t p_t = -d_x(p_t f) for the posterior-averaged field f")
    del dflux
    spec = fm.PathSpec("conical", sigma_min=0.01)

    def bayes_integral(t, x):
        a, s, da, ds = (float(c) for c in spec.coefficients(np.float64(t)))
        pt = np.exp(fm.marginal_log_prob(_MIX, spec, np.array([[x]]), t)[0])

        def integrand(x1):
            p1 = np.exp(_MIX.log_prob(np.array([[x1]]))[0])
            cond = np.exp(-(x - a * x1) ** 2 / (2 * s * s)) / np.sqrt(2 * np.pi * s * s)
            return (ds / s * (x - a * x1) + da * x1) * cond * p1 / pt
        return integrate.quad(integrand, -10, 10, epsabs=1e-12, epsrel=1e-11, limit=200, points=[x / a])[0]

    post = num_equal(lambda t, x: fm.marginal_field(_MIX, spec, np.array([[x]]), t)[0, 0], bayes_integral,
                     [{"t": 0.4, "x": 0.3}, {"t": 0.7, "x": -1.1}], rtol=1e-7,
                     what="E_{p_t(z|x)} f(x,z,t) (posterior mean, closed form) vs the Bayes integral")
    return all_of(cont, post)


# --------------------------------------------------------------------------- Gaussian path field
def _gaussian_path_field():
    d = fm.derive_gaussian_path_field()
    return all_of(sym_equal(d["flow_gap"], 0, what="dx_t/dt - f(x_t, z, t) along x_t = mu_t + sigma_t eps"),
                  sym_equal(d["continuity"], 0, what="continuity equation of N(mu_t, sigma_t^2) with that f"))


# Instances of the slide's Gaussian path (mu_t(z), sigma_t(z)) with their derivatives written by hand, each paired
# with the registry's PathSpec of the same path (x_t = alpha_t x_1 + sigma_t x_0): the slide's formulas are
# evaluated on these, the registry's conditional field / velocity are the reference.
_SIG_MAX = 2.0
_INSTANCES = {  # kind: (mu(t, x1), sigma(t), mu'(t, x1), sigma'(t))
    "conical": (lambda t, x1: t * x1, lambda t: 1 - t, lambda t, x1: x1, lambda t: -1.0 + 0 * t),
    "ve": (lambda t, x1: x1, lambda t: _SIG_MAX * (1 - t), lambda t, x1: 0 * x1, lambda t: -_SIG_MAX + 0 * t),
}


def _spec(kind):
    return fm.PathSpec(kind, sigma_min=0.0, sigma_max=_SIG_MAX)


def _path_points(n, seed, t=(0.05, 0.95)):
    return points(n, seed=seed, t=lambda r: r.uniform(*t, size=3), x=lambda r: r.normal(size=(3, 2)),
                  x0=lambda r: r.normal(size=(3, 2)), x1=lambda r: r.normal(size=(3, 2)))


def _slide_general_field(kind, t, x, x1):
    """mu'_t + sigma'_t / sigma_t (x - mu_t) (000:4423, 000:4473), on a hand-written instance."""
    mu, sig, dmu, dsig = _INSTANCES[kind]
    tt = t[:, None]
    return dmu(tt, x1) + dsig(tt) / sig(tt) * (x - mu(tt, x1))


def _general_field_vs_oracle(what=""):
    return all_of(*(num_equal(lambda t, x, x0, x1, k=k: _slide_general_field(k, t, x, x1),
                              lambda t, x, x0, x1, k=k: _spec(k).conditional_field(x, x1, t), _path_points(6, 31),
                              what=f"{what}{k} path: slide's field vs fm.PathSpec.conditional_field")
                    for k in _INSTANCES))


def _gaussian_path_proof():
    eps = sp.Symbol("epsilon", real=True)
    mu, sig = sp.Function("mu")(_t), sp.Function("sigma", positive=True)(_t)
    xt = mu + sig * eps
    inv = sym_equal((xt - mu) / sig, eps, what="eps = (x_t - mu_t)/sigma_t")

    def step(k, t, x0, x1):  # the slide's mu'_t + sigma'_t eps with eps = x_0
        _, _, dmu, dsig = _INSTANCES[k]
        return dmu(t[:, None], x1) + dsig(t[:, None]) * x0
    steps = [num_equal(lambda t, x, x0, x1, k=k: step(k, t, x0, x1),
                       lambda t, x, x0, x1, k=k: _spec(k).velocity(x0, x1, t), _path_points(6, 32),
                       what=f"{k} path: mu'_t + sigma'_t eps vs dx_t/dt (fm.PathSpec.velocity)") for k in _INSTANCES]
    last = [num_equal(lambda t, x, x0, x1, k=k: _slide_general_field(k, t, _spec(k).sample(x0, x1, t), x1),
                      lambda t, x, x0, x1, k=k: _spec(k).velocity(x0, x1, t), _path_points(6, 33),
                      what=f"{k} path: mu'_t + sigma'_t/sigma_t (x_t - mu_t) at x_t vs dx_t/dt") for k in _INSTANCES]
    return all_of(inv, *steps, *last)


# ------------------------------------------------------------------------------ conical path
def _conical_path_law():
    # slide: mu_t = t x_1, sigma_t = 1 - t, x_t = t x_1 + (1-t) x_0; registry: PathSpec("conical", sigma_min=0)
    spec = fm.PathSpec("conical", sigma_min=0.0)
    pts = [{"t": np.array([0.0, 1.0, t]), "x0": x0, "x1": x1}
           for t, x0, x1 in zip((0.2, 0.5, 0.9), *np.random.default_rng(34).normal(size=(2, 3, 3, 2)), strict=True)]

    def slide_law(t, x0, x1):  # (mean, std) of N(t x_1, (1-t)^2 I), then the sample
        return np.stack([t[:, None] * x1, np.broadcast_to((1 - t)[:, None], x1.shape), t[:, None] * x1
                         + (1 - t)[:, None] * x0])

    def oracle_law(t, x0, x1):
        a, s, _, _ = spec.coefficients(t)
        return np.stack([a[:, None] * x1, np.broadcast_to(s[:, None], x1.shape), spec.sample(x0, x1, t)])
    return num_equal(slide_law, oracle_law, pts,
                     what="(mean t x_1, std 1 - t, sample t x_1 + (1-t) x_0) vs fm.PathSpec('conical') "
                          "coefficients and sample, at t = 0 (N(0, I)), t = 1 (delta(x - x_1)) and inside")


def _conical_field_chain():
    # the slide's first form x_1 - (x - t x_1)/(1-t) vs the registry's conditional field of the conical path
    # (fm.PathSpec("conical", sigma_min=0)), then each rewriting step of the slide
    spec = fm.PathSpec("conical", sigma_min=0.0)
    first = num_equal(lambda t, x, x0, x1: x1 - (x - t[:, None] * x1) / (1 - t[:, None]),
                      lambda t, x, x0, x1: spec.conditional_field(x, x1, t), _path_points(6, 30),
                      what="x_1 - (x - t x_1)/(1-t) vs fm.PathSpec('conical').conditional_field")
    a = _x1 - 1 / (1 - _t) * (_x - _t * _x1)
    b = (_x1 - _x) / (1 - _t)
    on_path = {_x: _t * _x1 + (1 - _t) * _x0}
    c = (_x1 - _t * _x1 - (1 - _t) * _x0) / (1 - _t)
    d = _x1 - _x0
    return all_of(first, sym_equal(a, b), sym_equal(b.subs(on_path), c), sym_equal(c, d))


def _conical_cfm_chain():
    # step 1: f(x, x_1, t) = (x_1 - x)/(1 - t) is the conditional field of the conical path; step 2: on
    # x = t x_1 + (1-t) x_0 (which has the law p_t(x|x_1)) it equals x_1 - x_0, so the integrands agree pointwise.
    spec = fm.PathSpec("conical", sigma_min=0.0)
    step1 = num_equal(lambda t, x, x0, x1: (x1 - x) / (1 - t[:, None]),
                      lambda t, x, x0, x1: spec.conditional_field(x, x1, t), _path_points(6, 35),
                      what="(x_1 - x)/(1-t) vs fm.PathSpec('conical').conditional_field")
    step2 = num_equal(lambda t, x, x0, x1: x1 - x0,
                      lambda t, x, x0, x1: spec.conditional_field(spec.sample(x0, x1, t), x1, t), _path_points(6, 36),
                      what="x_1 - x_0 vs the conditional field at x = t x_1 + (1-t) x_0")
    return all_of(step1, step2, _conical_path_law())


def _boundary_conical():
    spec = fm.PathSpec("conical", sigma_min=0.0)
    xs = np.linspace(-3, 3, 7)[:, None]

    def law(t):
        a, s, _, _ = (float(c) for c in spec.coefficients(np.float64(t)))
        return _MIX.noised(a, s * s).log_prob(xs)
    at0 = num_equal(lambda: law(0.0), lambda: -0.5 * xs[:, 0] ** 2 - 0.5 * np.log(2 * np.pi), [{}],
                    what="E_{p(x_1)} p_0(x|x_1) with p_0(.|x_1) = N(0, I) is N(0, I)")
    at1 = num_equal(lambda: law(1.0), lambda: _MIX.log_prob(xs), [{}],
                    what="E_{p(x_1)} p_1(x|x_1) with p_1(.|x_1) = delta(x - x_1) is p_data")
    return all_of(at0, at1)


def _boundary_pair():
    # independent coupling on finite supports: the law of the registry's linear-path sample at t = 0 (t = 1), i.e.
    # E_{p(x_0, x_1)} delta(x - x_t), must be p_0 (p_1)
    spec = fm.PathSpec("linear")
    rng = np.random.default_rng(5)
    p0, p1 = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(3))
    s0, s1 = np.array([-1.5, -0.2, 0.4, 2.0]), np.array([-1.0, 0.7, 3.0])
    i, j = (a.ravel() for a in np.meshgrid(np.arange(4), np.arange(3), indexing="ij"))
    mass = p0[i] * p1[j]

    def marginal(t, support):  # mass of E_z delta(x - x_t) on each support point
        xt = spec.sample(s0[i][:, None], s1[j][:, None], np.full(len(i), float(t)))[:, 0]
        return np.array([mass[np.isclose(xt, v)].sum() for v in support])
    return all_of(num_equal(lambda: marginal(0, s0), lambda: p0, [{}], what="E_z delta(x - x_0) = p_0(x)"),
                  num_equal(lambda: marginal(1, s1), lambda: p1, [{}], what="E_z delta(x - x_1) = p_1(x)"))


def _linear_eps_boundary():
    # slide: mu_t = t x_1 + (1-t) x_0, sigma_t = eps => ends N(x_0, eps^2), N(x_1, eps^2); registry: the linear path's
    # x_{t=0} = x_0, x_{t=1} = x_1 exactly (PathSpec("linear").sample, deterministic given (x_0, x_1): variance 0)
    spec = fm.PathSpec("linear")
    ends = np.array([0.0, 1.0])

    def slide(x0, x1, eps):  # (mean, variance) at t = 0 and t = 1
        return np.stack([ends[:, None] * x1 + (1 - ends)[:, None] * x0, np.full((2, x0.shape[1]), eps**2)])

    def oracle(x0, x1, eps):
        return np.stack([spec.sample(np.repeat(x0, 2, 0), np.repeat(x1, 2, 0), ends), np.zeros((2, x0.shape[1]))])
    pts = points(4, seed=7, x0=lambda r: r.normal(size=(1, 2)), x1=lambda r: r.normal(size=(1, 2)))
    inside = num_equal(slide, oracle, [dict(p, eps=0.0) for p in pts],
                       what="(mean, variance) of p_0, p_1 vs the linear path's ends x_0, x_1 (a delta: variance 0)")
    exact = num_equal(slide, oracle, [dict(pts[0], eps=0.1)],
                      what="(mean, variance) of p_0, p_1 at eps = 0.1 vs the deltas of the linear path")
    return imprecise(exact, all_of(inside, _vanishes_with_eps(slide, oracle, pts)), why=_WHY_EPS)


_WHY_EPS = ("sigma_t = eps is a small constant std, not 0: the path's laws are N(., eps^2 I), which are the deltas "
            "(the deterministic linear interpolation) only in the limit eps -> 0; the gap is eps^2 in the variance "
            "(checked to vanish as eps -> 0, and to be 0 at eps = 0)")


def _vanishes_with_eps(slide, oracle, pts):
    """max |slide - oracle| over ``pts`` is at most eps^2 (the variance gap) for eps = 0.1, 0.01, 0.001: -> 0."""
    def gap(eps):
        return max(float(np.max(np.abs(slide(**p, eps=eps) - oracle(**p, eps=eps)))) for p in pts)

    return num_compare(gap, "<=", lambda eps: eps**2, [{"eps": e} for e in (0.1, 0.01, 0.001)],
                       what="max |exact law - limit| <= eps^2 -> 0 as eps -> 0")


def _linear_sample_law():
    # slide: p_t = N(t x_1 + (1-t) x_0, eps^2 I) sampled as x_t = t x_1 + (1-t) x_0; registry: the linear path's sample
    # (deterministic given (x_0, x_1), so its conditional law is delta(x - x_t): variance 0)
    spec = fm.PathSpec("linear")

    def slide(t, x0, x1, eps):  # (path mean, path variance, the slide's sample)
        m = t[:, None] * x1 + (1 - t[:, None]) * x0
        return np.stack([m, np.full_like(m, eps**2), t[:, None] * x1 + (1 - t[:, None]) * x0])

    def oracle(t, x0, x1, eps):
        xt = spec.sample(x0, x1, t)
        return np.stack([xt, np.zeros_like(xt), xt])
    pts = [{k: p[k] for k in ("t", "x0", "x1")} for p in _path_points(4, 37, t=(0.0, 1.0))]
    inside = num_equal(slide, oracle, [dict(p, eps=0.0) for p in pts],
                       what="(mean, variance, sample) of the path vs fm.PathSpec('linear').sample")
    exact = num_equal(slide, oracle, [dict(pts[0], eps=0.1)],
                      what="(mean, variance, sample) at eps = 0.1 vs the law of the sample")
    return imprecise(exact, all_of(inside, _vanishes_with_eps(slide, oracle, pts)), why=_WHY_EPS)


def _linear_field():
    # slide: sigma_t = eps constant => sigma'_t = 0 and f = mu'_t + 0/eps (x - mu_t) = x_1 - x_0 at every x;
    # registry: the linear path's velocity fm.PathSpec("linear").velocity = x_1 - x_0
    spec = fm.PathSpec("linear")

    def slide(t, x, x0, x1, eps=0.3):  # mu'_t = x_1 - x_0, sigma'_t = 0, any x (off the mean line too)
        mu = t[:, None] * x1 + (1 - t[:, None]) * x0
        return (x1 - x0) + 0.0 / eps * (x - mu)
    return num_equal(slide, lambda t, x, x0, x1: spec.velocity(x0, x1, t), _path_points(6, 38),
                     what="mu'_t + sigma'_t/sigma_t (x - mu_t) with sigma_t = eps, at arbitrary x, vs "
                          "fm.PathSpec('linear').velocity")


def _sigma_squared_sample():
    # 002 L14: x_t = mu_t + sigma_t^2 * x_0 with x_0 ~ N(0, I) has variance sigma_t^4, not sigma_t^2; the variance of
    # mu + c x_0 by Gauss-Hermite quadrature (exact for this polynomial), mu = 0.3
    nodes, weights = np.polynomial.hermite_e.hermegauss(20)
    weights = weights / weights.sum()

    def variance(c):
        x = 0.3 + c * nodes
        return float(weights @ (x - weights @ x) ** 2)

    at = [{"sigma": v} for v in (0.5, 1.7)]
    written = num_equal(lambda sigma: variance(sigma**2), lambda sigma: sigma**2, at,
                        what="variance of mu + sigma^2 x_0 (Gauss-Hermite) vs the path's sigma^2")
    corrected = num_equal(lambda sigma: variance(sigma), lambda sigma: sigma**2, at,
                          what="variance of mu + sigma x_0 (Gauss-Hermite) vs the path's sigma^2")
    return slip(written, corrected, evidence=(Place("002", "L14", "Linear interpolation", 290),),
                why="sigma_t^2 for sigma_t: the same line gives the path N(mu_t, sigma_t^2), so sigma_t is the std, "
                    "and the next line sets sigma_t = eps as a std; the file's earlier slides (lines 129, 135) "
                    "sample the same path as mu_t + sigma_t * x_0")


# --------------------------------------------------------------------------- ODE sampling
def _ode_sampling():
    spec = fm.PathSpec("conical", sigma_min=0.0)
    mean, var = np.array([0.7, -1.2]), np.array([0.4, 2.5])

    def push(x0):
        sol = integrate.solve_ivp(lambda t, x: fm.gaussian_marginal_field_diag(spec, mean, var, x, t),
                                  (0.0, 1.0), x0, method="DOP853", rtol=1e-12, atol=1e-12)
        return sol.y[:, -1]
    z0, z1 = push(np.zeros(2)), push(np.ones(2))
    # the flow of an affine field is affine: x_1 = z0 + (z1 - z0) * x_0, so x_1 ~ N(z0, (z1 - z0)^2)
    return all_of(num_equal(lambda: z0, lambda: mean, [{}], what="mean of the ODE pushforward of N(0, I)"),
                  num_equal(lambda: (z1 - z0) ** 2, lambda: var, [{}], what="variance of the pushforward"))


# ------------------------------------------------------------------------------ VE / VP SDEs
def _ve_marginal():
    # slide: q(x(t)|x(0)) = N(x(0), [sigma^2(t) - sigma^2(0)] I), sigma(0) = 0. Registry: sde.VE.marginal (geometric
    # sigma, sigma(0) = sigma_min) and sde.moments_quadrature for dx = sqrt(d sigma^2/dt) dw with a sigma(0) = 0
    ve = sde.VE(sigma_min=0.05, sigma_max=5.0)

    def geometric(t, x0):
        a, v = ve.marginal(t)
        return np.array([a * x0, v])
    geo = num_equal(lambda t, x0: np.array([x0, ve.sigma(t) ** 2 - ve.sigma(0.0) ** 2]), geometric,
                    points(5, seed=41, t=(0.05, 1.0), x0=(-2, 2)),
                    what="(mean x(0), sigma^2(t) - sigma^2(0)) vs sde.VE.marginal")

    def sigma(s):  # an increasing sigma with sigma(0) = 0
        return 0.7 * s + 1.3 * s**2

    def moments(t, x0):
        m, v = sde.moments_quadrature(lambda u: 0.0, lambda u: 2 * sigma(u) * (0.7 + 2.6 * u), t, m0=x0, v0=0.0)
        return np.array([m, v])
    zero = num_equal(lambda t, x0: np.array([x0, sigma(t) ** 2 - sigma(0.0) ** 2]), moments,
                     points(3, seed=42, t=(0.1, 1.0), x0=(-2, 2)),
                     what="(mean, variance) vs sde.moments_quadrature for g^2 = d sigma^2/dt, "
                          "sigma(s) = 0.7 s + 1.3 s^2")
    d = sde.derive_ve_marginal()
    sym = all_of(sym_equal(d["variance_residual"], 0, what="sde.derive_ve_marginal: v' = g^2"),
                 sym_equal(d["initial"], 0, what="sde.derive_ve_marginal: v(0) = 0"))
    return all_of(geo, zero, sym)


def _vp_marginal():
    # slide: mean x(0) alpha(t), variance 1 - alpha(t)^2, alpha(t) = exp(-1/2 int_0^t beta) (002: 1 - e^{-int beta});
    # registry: sde.VP.marginal and sde.derive_vp_marginal, beta(t) = beta_min + t (beta_max - beta_min)
    vp = sde.VP(beta_min=0.1, beta_max=20.0)

    def alpha(t):  # the slide's alpha(t), the integral by quadrature of the SDE's beta
        return np.exp(-0.5 * integrate.quad(lambda u: 0.1 + u * 19.9, 0.0, t, epsabs=0, epsrel=1e-13)[0])

    def slide(t, x0):
        return np.array([x0 * alpha(t), 1 - alpha(t) ** 2,
                         1 - np.exp(-integrate.quad(lambda u: 0.1 + u * 19.9, 0.0, t, epsabs=0, epsrel=1e-13)[0])])

    def oracle(t, x0):
        a, v = vp.marginal(t)
        return np.array([x0 * a, v, v])
    d = sde.derive_vp_marginal()
    return all_of(num_equal(slide, oracle, points(5, seed=43, t=(0.02, 1.0), x0=(-2, 2)),
                            what="(mean, 1 - alpha^2, 002's 1 - e^{-int beta}) vs sde.VP.marginal"),
                  sym_equal(d["mean_residual"] + d["variance_residual"] + d["initial"], 0,
                            what="sde.derive_vp_marginal: the moment ODEs and initial values"))


def _sde_paths_in_fm_time():
    # slide (s = 1 - t, x(0) = x_1, sigma(0) = 0): NCSN N(x_1, sigma_{1-t}^2 I),
    # DDPM N(alpha_{1-t} x_1, (1 - alpha_{1-t}^2) I); registry: fm.PathSpec("ve") (sigma(s) = sigma_max s) and
    # fm.PathSpec("vp") (beta linear in s)
    ve, vp = fm.PathSpec("ve", sigma_max=_SIG_MAX), fm.PathSpec("vp", beta_min=0.1, beta_max=20.0)

    def alpha(s):  # alpha(s) = exp(-1/2 int_0^s beta)
        return np.exp(-0.5 * integrate.quad(lambda u: 0.1 + u * 19.9, 0.0, s, epsabs=0, epsrel=1e-13)[0])

    def slide(t, x1):  # (mean, variance) of both paths
        return np.array([x1, (_SIG_MAX * (1 - t)) ** 2, alpha(1 - t) * x1, 1 - alpha(1 - t) ** 2])

    def oracle(t, x1):
        a1, s1, _, _ = (float(c) for c in ve.coefficients(np.float64(t)))
        a2, s2, _, _ = (float(c) for c in vp.coefficients(np.float64(t)))
        return np.array([a1 * x1, s1**2, a2 * x1, s2**2])
    return num_equal(slide, oracle, points(5, seed=44, t=(0.0, 0.95), x1=(-2, 2)),
                     what="(VE mean, VE variance, VP mean, VP variance) at s = 1 - t vs fm.PathSpec('ve'/'vp')")


def _ve_field():
    # slide: f = -sigma'_{1-t}/sigma_{1-t} (x_t - x_1) with sigma(s) = sigma_max s (sigma' = sigma_max)
    spec = fm.PathSpec("ve", sigma_max=_SIG_MAX)
    return num_equal(lambda t, x, x0, x1: -_SIG_MAX / (_SIG_MAX * (1 - t[:, None])) * (x - x1),
                     lambda t, x, x0, x1: spec.conditional_field(x, x1, t), _path_points(6, 45),
                     what="-sigma'_{1-t}/sigma_{1-t} (x - x_1) vs fm.PathSpec('ve').conditional_field")


def _vp_field():
    # slide: f = alpha'_{1-t}/(1 - alpha_{1-t}^2) (alpha_{1-t} x_t - x_1), alpha(s) = exp(-1/2 int_0^s beta),
    # alpha'(s) = -1/2 beta(s) alpha(s), beta(s) = 0.1 + 19.9 s
    spec = fm.PathSpec("vp", beta_min=0.1, beta_max=20.0)

    def slide(t, x, x0, x1):
        s = (1 - t)[:, None]
        a = np.exp(-0.5 * (0.1 * s + 0.5 * 19.9 * s**2))
        da = -0.5 * (0.1 + 19.9 * s) * a
        return da / (1 - a**2) * (a * x - x1)
    return num_equal(slide, lambda t, x, x0, x1: spec.conditional_field(x, x1, t), _path_points(6, 46),
                     what="alpha'_{1-t}/(1 - alpha_{1-t}^2)(alpha_{1-t} x - x_1) vs "
                          "fm.PathSpec('vp').conditional_field")


def _continuity_kfp():
    # 2-D linear flow f = (alpha + beta t)(A x + b) from x(0) ~ N(m, S); registry: ode.pushforward_logpdf (the exact
    # law p_t), ode.linear_solution (trajectories), ode.log_density_change (-int tr df/dx). The slide's two sides:
    # (d_t p + div(f p))/p = d_t log p + tr(df/dx) + f . grad log p (central differences of log p_t), and
    # d/dt log p_t(x(t)) + tr(df/dx) along a trajectory.
    A, b = np.array([[-0.6, 0.4], [-0.3, 0.2]]), np.array([0.5, -0.2])
    al, be, m, S = 0.8, 0.6, np.array([0.3, -0.4]), np.array([[0.7, 0.2], [0.2, 0.5]])
    h = 1e-4

    def logp(t, x):
        return float(ode.pushforward_logpdf(A, b, al, be, m, S, 0.0, t, np.atleast_2d(x))[0])

    def trace(t):  # tr df/dx at time t, as d/dt of the registry's -int_0^t tr df/dx
        up, down = ode.log_density_change(A, al, be, 0.0, t + h), ode.log_density_change(A, al, be, 0.0, t - h)
        return -(up - down) / (2 * h)

    def continuity(t, x):
        dt = (logp(t + h, x) - logp(t - h, x)) / (2 * h)
        grad = np.array([(logp(t, x + h * e) - logp(t, x - h * e)) / (2 * h) for e in np.eye(2)])
        return dt + trace(t) + ode.linear_field(A, b, al, be, x[None], t)[0] @ grad

    def along(t, x):
        x0 = ode.linear_solution(A, b, al, be, x[None], t, 0.0)  # the trajectory through x at time t

        def lp(u):
            return logp(u, ode.linear_solution(A, b, al, be, x0, 0.0, u)[0])
        return (lp(t + h) - lp(t - h)) / (2 * h) + trace(t)
    pts = points(5, seed=11, t=(0.2, 1.0), x=lambda r: r.normal(size=2))
    return num_equal(lambda t, x: np.array([continuity(t, x), along(t, x)]), lambda t, x: np.zeros(2), pts, atol=1e-6,
                     what="[continuity residual / p, d/dt log p_t(x(t)) + tr(df/dx)] for the exact pushforward law "
                          "(central differences, h = 1e-4)")


def _c(id_, formulas, check=None, meaning="", kind="claim", **kw):
    return Claim(id=id_, formulas=tuple(formulas), kind=kind, meaning=meaning, check=check, **kw)


_D = "definition"
CLAIMS: list[Claim] = [
    _c("000.L12.cfm_argmin_equals_fm", ["000:4353"], _cfm_argmin, theorem="fm.cfm_equals_fm",
       meaning="f(x,t) is the marginal field generating p_t, f(x,z,t) the conditional field of p_t(x|z) "
               "(conical path, z = x_1); the claim is equality of the minimizers (argmin) over theta. Checked "
               "exactly for Gaussian data and an affine model: the two objectives have equal gradients and "
               "differ by a theta-free constant."),
    _c("000.L12.cfm_proof_cross_term", ["000:4357"], _cfm_cross_term, theorem="fm.cfm_equals_fm",
       meaning="Proof of the theorem: E_{p_t(x)}||f - f_theta||^2 = E_z E_{x|z}[||f_theta||^2 - 2 f_theta^T f] + "
               "const(theta) and the cross term E_{p_t(x)}[f_theta^T f(x,t)] = E_{p(z)} E_{p_t(x|z)}[f_theta^T "
               "f(x,z,t)] with f(x,t) = int p_t(z|x) f(x,z,t) dz. Checked for 1-D mixture data, conical path, "
               "nonlinear f_theta(x) = sin x + 0.3 x."),
    _c("002.L14.score_objectives", ["002:36", "002:40", "002:379"], kind=_D,
       meaning="The discrete- and continuous-time denoising score-matching objectives (definitions)."),
    _c("000.L12.cfm_constraints", ["000:4368", "002:120"], kind=_D,
       meaning="The requirements put on the conditional path: its t = 0 and t = 1 mixtures are N(0, I) and "
               "p_data (002 writes pi for p_data)."),
    _c("000.L12.ode_sampling", ["000:4387", "000:4507", "002:351"], _ode_sampling, theorem="fm.ode_sampling",
       meaning="Sampling step: integrating dx/dt = f(x, t) from t = 0 to 1 starting at x_0 ~ N(0, I) yields a "
               "sample of p_data when f is the (learned = exact) marginal field. Checked: Gaussian data "
               "N(m, diag v), conical path, exact marginal field, DOP853 integration of the ODE."),
    _c("000.L12.cfm_objective", ["000:4391", "002:267"], kind=_D,
       meaning="The conditional flow matching objective (t ~ U[0,1], z ~ p(z), x ~ p_t(x|z))."),
    _c("000.L12.gaussian_cond_path", ["000:4400", "000:4405", "000:4411", "002:127", "002:129", "002:135"], kind=_D,
       meaning="A Gaussian conditional path N(mu_t(z), sigma_t^2(z)) (sigma_t a standard deviation) and the "
               "dynamics chosen to generate it, x_t = mu_t + sigma_t * eps with a fixed eps ~ N(0, I) "
               "(002 names that noise x_0)."),
    _c("000.L12.gaussian_path_field", ["000:4417", "002:137"], _gaussian_path_field,
       theorem="fm.gaussian_path_field",
       meaning="For x_t = mu_t(z) + sigma_t(z) eps with fixed eps, the velocity is mu'_t + sigma'_t/sigma_t "
               "(x_t - mu_t) (' = d/dt), and that field solves the continuity equation of N(mu_t, sigma_t^2)."),
    _c("000.L12.gaussian_path_field_proof", ["000:4421", "000:4423"], _gaussian_path_proof,
       theorem="fm.gaussian_path_field",
       meaning="Proof steps: eps = (x_t - mu_t)/sigma_t and dx_t/dt = mu'_t + sigma'_t eps = mu'_t + sigma'_t/"
               "sigma_t (x_t - mu_t), elementwise."),
    _c("000.L12.marginal_path_x1", ["000:4445", "002:143"], kind=_D,
       meaning="The marginal path with conditioning z = x_1, p(z) = p_1 = p_data."),
    _c("000.L12.boundary_x1", ["000:4450", "002:147"], _boundary_conical, theorem="fm.boundary_conditions",
       meaning="'=>' read as: the choice p_0(x|x_1) = N(0, I), p_1(x|x_1) = delta(x - x_1) satisfies the two "
               "constraints (sufficiency; the choice is not the only one). Checked on the conical path with "
               "1-D mixture data: the t = 0 marginal is N(0, 1), the t = 1 marginal is p_data."),
    _c("000.L12.boundary_x1_choice", ["000:4454", "002:152"], kind=_D,
       meaning="The chosen boundary conditional laws for z = x_1."),
    _c("000.L12.gaussian_cond_path_x1", ["000:4458", "002:156"], kind=_D,
       meaning="Gaussian conditional path given x_1, sampled as mu_t(x_1) + sigma_t(x_1) * eps (002: eps named x_0)."),
    _c("000.L12.conical_path", ["000:4464", "002:160", "000:4469", "002:202", "000:4564", "002:236", "002:301"],
       _conical_path_law, theorem="fm.conical_path",
       meaning="mu_t = t x_1, sigma_t = 1 - t (std) give p_t(x|x_1) = N(t x_1, (1-t)^2 I), sampled as "
               "x_t = t x_1 + (1-t) x_0 with x_0 ~ N(0, I); its ends are N(0, I) and delta(x - x_1)."),
    _c("000.L12.conditioning_choices", ["000:4559", "000:4566"], kind="notation",
       meaning="The two conditioning variables compared: z = x_1 (conical) and z = (x_0, x_1) (linear)."),
    _c("000.L12.conical_path_def", ["000:4561"], kind=_D,
       meaning="The conical path p_t(x|x_1) = N(t x_1, (1-t)^2 I) (comparison slide)."),
    _c("000.L12.cond_field_x1", ["000:4473", "002:206", "002:401", "000:4695"], _general_field_vs_oracle,
       theorem="fm.gaussian_path_field",
       meaning="The Gaussian-path field with z = x_1: f = mu'_t(x_1) + sigma'_t(x_1)/sigma_t(x_1) (x_t - mu_t(x_1))."),
    _c("000.L12.conical_field", ["000:4475", "002:208", "000:4687", "002:399", "002:424"], _conical_field_chain,
       theorem="fm.conical_path",
       meaning="With mu_t = t x_1, sigma_t = 1 - t: f = x_1 - (x_t - t x_1)/(1-t) = (x_1 - x_t)/(1-t), and on "
               "x_t = t x_1 + (1-t) x_0 this is x_1 - x_0 (each step checked)."),
    _c("000.L12.conical_cfm_chain", ["000:4483", "002:212"], _conical_cfm_chain, theorem="fm.conical_path",
       meaning="CFM objective with z = x_1 ~ p_data (002: pi), conical path: the integrand becomes "
               "||(x_1 - x)/(1-t) - f_theta||^2 with x ~ N(t x_1, (1-t)^2), then ||(x_1 - x_0) - f_theta(t x_1 + "
               "(1-t) x_0)||^2 with x_0 ~ N(0, I): pointwise equal integrands under the same law."),
    _c("000.L12.conical_cfm_objective", ["000:4492", "002:216"], kind=_D,
       meaning="The resulting training objective (x_t = t x_1 + (1-t) x_0; 002 writes f_theta(x, t) for it)."),
    _c("000.L12.marginal_path_pair", ["000:4534"], kind=_D,
       meaning="The marginal path with pair conditioning z = (x_0, x_1) ~ p_0 x p_1 (independent coupling)."),
    _c("000.L12.boundary_pair", ["000:4538", "002:277"], _boundary_pair, theorem="fm.boundary_conditions",
       meaning="'=>' read as sufficiency: with z = (x_0, x_1) ~ p_0(x_0) p_1(x_1), the choice p_0(x|z) = "
               "delta(x - x_0), p_1(x|z) = delta(x - x_1) gives E_z p_0(x|z) = p_0(x), E_z p_1(x|z) = p_1(x) "
               "(002 writes N(0, I) and pi for the two marginals). Checked on finite supports."),
    _c("000.L12.boundary_pair_choice", ["000:4545", "002:282"], kind=_D,
       meaning="The chosen boundary conditional laws for z = (x_0, x_1)."),
    _c("000.L12.gaussian_cond_path_pair", ["000:4549"], kind=_D,
       meaning="Gaussian conditional path given (x_0, x_1), sampled as mu_t + sigma_t * eps."),
    _c("002.L14.gaussian_cond_path_pair_sigma_sq", ["002:286"], _sigma_squared_sample,
       meaning="002 L14 'Linear interpolation': p_t(x|x_0, x_1) = N(mu_t, sigma_t^2) (sigma_t a standard "
               "deviation) with the sample written x_t = mu_t + sigma_t^2 * x_0, x_0 the standard-normal noise. "
               "The sample's variance is sigma_t^4, not sigma_t^2. Judgement: slip (sigma_t^2 for sigma_t; the same "
               "line's N(mu_t, sigma_t^2) and the next line's sigma_t = eps fix it).",
       corrected=r"\mathbf{x}_t = \mu_t(\mathbf{x}_0, \mathbf{x}_1) + \sigma_t(\mathbf{x}_0, \mathbf{x}_1) \odot "
                 r"\boldsymbol{\epsilon}",
       convention=(Place("002", "L14", "Gaussian conditional probability path", 129),
                   Place("002", "L14", "Gaussian conditional probability path", 135))),
    _c("000.L12.linear_boundary_eps", ["000:4553", "002:290"], _linear_eps_boundary,
       theorem="fm.boundary_conditions",
       meaning="mu_t = t x_1 + (1-t) x_0 and a constant std sigma_t = eps give the ends p_0 = delta(x - x_0), "
               "p_1 = delta(x - x_1). The means are right; the ends are N(x_0, eps^2), N(x_1, eps^2), deltas only "
               "for eps = 0 (eps -> 0). Judgement: imprecise (true in the limit eps -> 0), rather than holds_if "
               "'eps = 0': eps is the path's small constant std, not a parameter the slide sets to 0.",
       corrected=r"\Rightarrow p_0(\mathbf{x}|\mathbf{x}_0, \mathbf{x}_1) = \mathcal{N}(\mathbf{x}_0, \epsilon^2 "
                 r"\mathbf{I}) \to \delta(\mathbf{x} - \mathbf{x}_0), \; p_1 = \mathcal{N}(\mathbf{x}_1, "
                 r"\epsilon^2 \mathbf{I}) \to \delta(\mathbf{x} - \mathbf{x}_1) \text{ as } \epsilon \to 0"),
    _c("000.L12.linear_path_def", ["000:4569"], kind=_D,
       meaning="The linear-interpolation conditional path N(t x_1 + (1-t) x_0, eps^2 I)."),
    _c("000.L12.linear_path_sample", ["000:4583", "002:320", "000:4564", "002:301"], _linear_sample_law,
       theorem="fm.linear_interpolation",
       meaning="The path N(t x_1 + (1-t) x_0, eps^2 I) with the sample written x_t = t x_1 + (1-t) x_0 "
               "(no noise term): that sample has the path's law only for eps = 0. Judgement: imprecise (the "
               "noise-free sample is the eps -> 0 limit), as for the boundary laws above.",
       corrected=r"\mathbf{x}_t = t\mathbf{x}_1 + (1-t)\mathbf{x}_0 + \epsilon\,\boldsymbol{\xi}, \; "
                 r"\boldsymbol{\xi} \sim \mathcal{N}(0, \mathbf{I}) \; (\text{the noise-free form as } "
                 r"\epsilon \to 0)"),
    _c("000.L12.linear_field", ["000:4587", "000:4588", "002:324"], _linear_field, theorem="fm.linear_interpolation",
       meaning="With mu_t = t x_1 + (1-t) x_0 and constant sigma_t = eps: sigma'_t = 0, so f = mu'_t = x_1 - x_0 "
               "for every x (not only on the mean line)."),
    _c("000.L12.linear_cfm", ["000:4592", "000:4593", "002:328"], _linear_field, theorem="fm.linear_interpolation",
       meaning="CFM objective with z = (x_0, x_1), x ~ p_t(x|x_0, x_1): since the conditional field equals "
               "x_1 - x_0 at every x, the integrand is ||(x_1 - x_0) - f_theta(x, t)||^2 (002 writes x_t for x)."),
    _c("000.L13.ve_marginal", ["000:4667", "002:383", "002:44"], _ve_marginal, theorem="sde.ve_marginal",
       meaning="VE SDE dx = sqrt(d[sigma^2(t)]/dt) dw (000 L11) started at x(0): q(x(t)|x(0)) = N(x(0), "
               "[sigma^2(t) - sigma^2(0)] I); sigma(0) = 0. Mean constant, variance = int_0^t g^2."),
    _c("000.L13.vp_marginal", ["000:4671", "002:49"], _vp_marginal, theorem="sde.vp_marginal",
       meaning="VP SDE dx = -1/2 beta(t) x dt + sqrt(beta(t)) dw from x(0): mean x(0) alpha(t), variance "
               "1 - alpha(t)^2 with alpha(t) = exp(-1/2 int_0^t beta); 002 writes 1 - exp(-int beta). Checked "
               "against sde.VP.marginal (beta linear in t) and the registry's moment-ODE derivation."),
    _c("000.L13.fm_time_reversal", ["000:4675", "004:19"], kind=_D,
       meaning="Flow-matching time runs opposite to diffusion time: the conditional path is defined as "
               "p_t(x|x_1) = q_{1-t}(x|x_0 = x_1)."),
    _c("002.L14.sde_paths", ["002:391", "002:393"], _sde_paths_in_fm_time, theorem="fm.ve_path",
       meaning="Substituting s = 1 - t into the VE/VP marginals (x(0) = x_1, sigma(0) = 0): NCSN N(x_1, "
               "sigma_{1-t}^2 I), DDPM N(alpha_{1-t} x_1, (1 - alpha_{1-t}^2) I)."),
    _c("000.L13.ve_field", ["000:4699", "002:405", "004:24"], _ve_field, theorem="fm.ve_path",
       meaning="p_t(x|x_1) = N(x_1, sigma_{1-t}^2 I) (sigma a std, ' the derivative in its argument): the "
               "Gaussian-path field is -sigma'_{1-t}/sigma_{1-t} (x_t - x_1) (d/dt sigma_{1-t} = -sigma'_{1-t})."),
    _c("000.L13.vp_field", ["000:4704", "002:410", "004:28", "002:417"], _vp_field, theorem="fm.vp_path",
       meaning="p_t(x|x_1) = N(alpha_{1-t} x_1, (1 - alpha_{1-t}^2) I): with mu_t = alpha_{1-t} x_1, sigma_t = "
               "sqrt(1 - alpha_{1-t}^2), the Gaussian-path field is alpha'_{1-t}/(1 - alpha_{1-t}^2) "
               "(alpha_{1-t} x_t - x_1), ' the derivative of alpha in its argument."),
    _c("002.L14.ode_def", ["002:66"], kind=_D, meaning="The ODE dx/dt = f(x, t) with x(0) = x_0."),
    _c("002.L14.kfp_continuity", ["002:70"], _continuity_kfp, theorem="ode.continuity_equation",
       meaning="For the flow of dx/dt = f(x, t): the continuity equation for p_t, equivalently d/dt log p_t(x(t)) "
               "= -tr(df/dx) along trajectories. Checked for a 2-D linear flow f = (alpha + beta t)(A x + b) "
               "with the exact pushforward of a Gaussian (ode.pushforward_logpdf): both forms hold."),
    _c("002.L14.fm_objective", ["002:76"], kind=_D, meaning="The flow matching objective (marginal field f(x, t))."),
    _c("002.L14.cond_continuity", ["002:83"], kind=_D,
       meaning="The defining property of a conditional vector field f(x, z, t): it generates the conditional "
               "path p_t(x|z) (continuity equation)."),
    _c("002.L14.cond_ode_notation", ["002:88"], kind="notation",
       meaning="Replacing the marginal ODE by the conditional one."),
    _c("002.L14.marginal_field_theorem", ["002:94"], _marginal_field_theorem, theorem="fm.marginal_vector_field",
       meaning="f(x, t) = E_{p_t(z|x)} f(x, z, t) = int f(x, z, t) p_t(x|z) p(z)/p_t(x) dz generates p_t(x) "
               "(the slide's 'Theorem'). Checked: the continuity residual of p_t with this field vanishes for 1-D "
               "mixture data on the conical path (sigma_min = 0.01), and the posterior mean equals the Bayes "
               "integral."),
]
