"""Claims of 000 L12-L13 (conditional flow matching, conical / linear paths, VE/VP SDE paths) and of the
flow-matching slides of 002 L14 and 004 L14 that repeat them.

Conventions (the slides'): t in [0, 1], noise x_0 ~ N(0, I) at t = 0, data x_1 ~ p_data at t = 1;
sigma_t in N(mu_t, sigma_t^2) is a standard deviation; the score SDEs run in diffusion time s = 1 - t.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp
from scipy import integrate

from dgmcheck.audit.model import Claim, all_of, holds_if, num_equal, points, sym_equal
from dgmcheck.theory import flow_matching as fm
from dgmcheck.theory.gaussian_mixture import GaussianMixture

_t, _x, _x0, _x1 = sp.symbols("t x x_0 x_1", real=True)
_MIX = GaussianMixture(np.array([0.3, 0.7]), np.array([[-1.0], [1.5]]), np.array([[[0.2]], [[0.5]]]))
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(40)
_GH_W = _GH_W / _GH_W.sum()


@lru_cache(maxsize=1)
def _path_fields():
    return fm.derive_path_fields()


def _gaussian_field(mu, sig):
    """The general conditional field of a Gaussian path, mu' + sigma'/sigma (x - mu) (000 L12 "Statement")."""
    return sp.diff(mu, _t) + sp.diff(sig, _t) / sig * (_x - mu)


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

    nodes, weights = np.polynomial.legendre.leggauss(150)
    xs = 12.0 * nodes

    def lhs(t):  # Gauss-Legendre on [-12, 12] (the integrand is smooth and negligible beyond)
        p = np.exp(fm.marginal_log_prob(_MIX, spec, xs[:, None], t))
        return float(12.0 * np.sum(weights * p * f_theta(xs) * fm.marginal_field(_MIX, spec, xs[:, None], t)[:, 0]))

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
@lru_cache(maxsize=1)
def _gaussian_path_field():
    d = fm.derive_gaussian_path_field()
    return all_of(sym_equal(d["flow_gap"], 0, what="dx_t/dt - f(x_t, z, t) along x_t = mu_t + sigma_t eps"),
                  sym_equal(d["continuity"], 0, what="continuity equation of N(mu_t, sigma_t^2) with that f"))


def _gaussian_path_proof():
    eps = sp.Symbol("epsilon", real=True)
    mu, sig = sp.Function("mu")(_t), sp.Function("sigma", positive=True)(_t)
    xt = mu + sig * eps
    inv = sym_equal((xt - mu) / sig, eps, what="eps = (x_t - mu_t)/sigma_t")
    step = sym_equal(sp.diff(xt, _t), sp.diff(mu, _t) + sp.diff(sig, _t) * eps, what="d/dt (mu_t + sigma_t eps)")
    last = sym_equal(sp.diff(mu, _t) + sp.diff(sig, _t) * eps,
                     sp.diff(mu, _t) + sp.diff(sig, _t) / sig * (xt - mu), what="substituting eps")
    return all_of(inv, step, last)


# ------------------------------------------------------------------------------ conical path
def _conical_path_law():
    # x_t = t x_1 + (1-t) x_0 with x_0 ~ N(0, 1): mean t x_1 and variance (1-t)^2 (linear in x_0)
    xt = _t * _x1 + (1 - _t) * _x0
    mean = xt.subs(_x0, 0)
    var = sp.diff(xt, _x0) ** 2
    ends = all_of(sym_equal(mean.subs(_t, 0), 0), sym_equal(var.subs(_t, 0), 1),
                  sym_equal(mean.subs(_t, 1), _x1), sym_equal(var.subs(_t, 1), 0))
    return all_of(sym_equal(mean, _t * _x1, what="mean of x_t given x_1"),
                  sym_equal(var, (1 - _t) ** 2, what="variance of x_t given x_1"), ends)


def _conical_field_chain():
    mu, sig = _t * _x1, 1 - _t
    general = _gaussian_field(mu, sig)
    a = _x1 - 1 / (1 - _t) * (_x - _t * _x1)
    b = (_x1 - _x) / (1 - _t)
    on_path = {_x: _t * _x1 + (1 - _t) * _x0}
    c = (_x1 - _t * _x1 - (1 - _t) * _x0) / (1 - _t)
    d = _x1 - _x0
    return all_of(sym_equal(general, a, what="mu' + sigma'/sigma (x - mu) with mu = t x_1, sigma = 1 - t"),
                  sym_equal(a, b), sym_equal(b.subs(on_path), c), sym_equal(c, d),
                  sym_equal(_path_fields()["conical"].subs(sp.Symbol("sigma_min", real=True), 0), 0,
                            what="registry oracle fm.conical_path at sigma_min = 0"))


def _conical_cfm_chain():
    # step 1: f(x, z, t) = (x_1 - x)/(1 - t) for z = x_1 (chain above); step 2: x = t x_1 + (1-t) x_0 has the law
    # p_t(x|x_1) and (x_1 - x)/(1-t) = x_1 - x_0 on it, so the integrands agree pointwise in (x_0, x_1).
    b = (_x1 - _x) / (1 - _t)
    step1 = sym_equal(_gaussian_field(_t * _x1, 1 - _t), b, what="conditional field of the conical path")
    step2 = sym_equal(b.subs(_x, _t * _x1 + (1 - _t) * _x0), _x1 - _x0, what="on x = t x_1 + (1-t) x_0")
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
    # independent coupling on finite sets: E_{p(x_0, x_1)} delta(x - x_0) = p_0(x), and likewise p_1
    rng = np.random.default_rng(5)
    p0, p1 = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(3))
    joint = np.outer(p0, p1)

    def marg0():
        return np.array([sum(joint[i, j] * (i == k) for i in range(4) for j in range(3)) for k in range(4)])

    def marg1():
        return np.array([sum(joint[i, j] * (j == k) for i in range(4) for j in range(3)) for k in range(3)])
    return all_of(num_equal(marg0, lambda: p0, [{}], what="E delta(x - x_0) = p_0"),
                  num_equal(marg1, lambda: p1, [{}], what="E delta(x - x_1) = p_1"))


def _linear_eps_boundary():
    # p_t(x|x_0, x_1) = N(t x_1 + (1-t) x_0, eps^2): at t = 0 it is N(x_0, eps^2), a delta only when eps = 0
    def var_at(t, eps):
        return eps**2

    def mean_gap(t, x0, x1):
        return t * x1 + (1 - t) * x0 - (x1 if t == 1 else x0)
    means = num_equal(lambda x0, x1: np.array([mean_gap(0, x0, x1), mean_gap(1, x0, x1)]), lambda x0, x1: 0.0,
                      points(5, seed=7, x0=(-2, 2), x1=(-2, 2)), what="means at t = 0, 1 are x_0, x_1")
    inside = all_of(means, num_equal(var_at, lambda t, eps: 0.0, [{"t": 0.0, "eps": 0.0}, {"t": 1.0, "eps": 0.0}],
                                     what="variance at the ends (0: a delta)"))
    outside = num_equal(var_at, lambda t, eps: 0.0, [{"t": 0.0, "eps": 0.1}],
                        what="variance of p_0(x|x_0, x_1) at eps = 0.1 (a delta needs 0)")
    return holds_if("eps = 0 (the limit eps -> 0)", inside, outside)


def _linear_sample_law():
    # x_t = t x_1 + (1-t) x_0 is deterministic given (x_0, x_1): variance 0; p_t(x|x_0, x_1) has variance eps^2
    inside = num_equal(lambda eps: 0.0, lambda eps: eps**2, [{"eps": 0.0}],
                       what="variance of x_t given (x_0, x_1) vs eps^2")
    outside = num_equal(lambda eps: 0.0, lambda eps: eps**2, [{"eps": 0.1}],
                        what="variance of x_t given (x_0, x_1) vs eps^2")
    return holds_if("eps = 0 (the limit eps -> 0)", inside, outside)


def _linear_field():
    eps = sp.Symbol("epsilon", positive=True)
    mu = _t * _x1 + (1 - _t) * _x0
    general = _gaussian_field(mu, eps + 0 * _t)
    return all_of(sym_equal(general, _x1 - _x0, what="mu' + sigma'/sigma (x - mu) with sigma = eps constant, any x"),
                  sym_equal(_path_fields()["linear"], 0, what="registry oracle fm.linear_interpolation"))


def _sigma_squared_sample():
    # 002 L14: x_t = mu_t + sigma_t^2 * x_0 with x_0 ~ N(0, I) has variance sigma_t^4, not sigma_t^2
    return num_equal(lambda sigma: (sigma**2) ** 2, lambda sigma: sigma**2, [{"sigma": 0.5}],
                     what="variance of mu + sigma^2 x_0 vs the path's sigma^2")


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
    # VE SDE dx = sqrt(d[sigma^2(t)]/dt) dw: mean constant, variance' = g^2 = d sigma^2/dt, variance(0) = 0
    s = sp.Symbol("s", nonnegative=True)
    t = sp.Symbol("t", positive=True)
    a, b = sp.symbols("a b", positive=True)
    sigma = a * s + b * s**2  # any increasing sigma with sigma(0) = 0
    var = sp.integrate(sp.diff(sigma**2, s), (s, 0, t))
    return sym_equal(var, sigma.subs(s, t) ** 2 - sigma.subs(s, 0) ** 2,
                     what="int_0^t g^2 ds vs sigma^2(t) - sigma^2(0)")


def _vp_marginal():
    # VP SDE dx = -1/2 beta x dt + sqrt(beta) dw from x(0): m' = -1/2 beta m, v' = -beta v + beta, v(0) = 0
    b0, b1, x00 = sp.symbols("b_0 b_1 x_0", positive=True)
    t = sp.Symbol("t", positive=True)
    beta = b0 + b1 * t
    alpha = sp.exp(-sp.Rational(1, 2) * sp.integrate(beta.subs(t, sp.Symbol("u")), (sp.Symbol("u"), 0, t)))
    m, v = x00 * alpha, 1 - alpha**2
    v002 = 1 - sp.exp(-sp.integrate(beta.subs(t, sp.Symbol("u")), (sp.Symbol("u"), 0, t)))
    return all_of(sym_equal(sp.diff(m, t), -beta * m / 2, what="mean ODE"),
                  sym_equal(sp.diff(v, t), -beta * v + beta, what="variance ODE"),
                  sym_equal(v.subs(t, 0), 0), sym_equal(m.subs(t, 0), x00),
                  sym_equal(v002, v, what="002 form 1 - e^{-int beta} = 1 - alpha^2"))


def _sde_paths_in_fm_time():
    # p_t(x|x_1) = q_{1-t}(x|x_0 = x_1): VE N(x_1, sigma^2(1-t) - sigma^2(0)) with sigma(0) = 0;
    # VP N(alpha x_1, 1 - alpha^2)
    sig = sp.Function("sigma", positive=True)
    alpha = sp.Function("alpha", positive=True)
    ve_var = (sig(1 - _t) ** 2 - sig(0) ** 2).subs(sig(0), 0)
    return all_of(sym_equal(ve_var, sig(1 - _t) ** 2, what="VE variance at s = 1 - t"),
                  sym_equal((_x1 * alpha(_t)).subs(_t, 1 - _t), alpha(1 - _t) * _x1, what="VP mean at s = 1 - t"))


def _ve_field():
    return sym_equal(_path_fields()["ve"], 0,
                     what="general Gaussian-path field with mu_t = x_1, sigma_t = sigma(1-t) minus the slide's field")


def _vp_field():
    return sym_equal(_path_fields()["vp"], 0,
                     what="general field with mu_t = a(1-t) x_1, sigma_t = sqrt(1 - a(1-t)^2) minus the slide's field")


def _continuity_kfp():
    # 1-D affine flow f = a(t) x + c(t); p_t = N(m, v) with m' = a m + c, v' = 2 a v (exact pushforward).
    # Residuals are built symbolically and evaluated at seeded points (cheaper than simplify).
    t, x, xi = sp.symbols("t x xi", real=True)
    a0, a1, m0, v0 = sp.symbols("a_0 a_1 m_0 v_0", positive=True)
    a = a0 + a1 * t
    m = m0 + t**2  # choose the mean path, then c = m' - a m
    v = v0 * sp.exp(2 * (a0 * t + a1 * t**2 / 2))
    f = a * x + (sp.diff(m, t) - a * m)
    logp = -(x - m) ** 2 / (2 * v) - sp.log(2 * sp.pi * v) / 2
    cont = sp.diff(logp, t) + sp.diff(f, x) + f * sp.diff(logp, x)  # (d_t p + div(f p)) / p
    traj = m + sp.sqrt(v) * xi  # the flow keeps the standardized coordinate xi
    along = sp.diff(logp.subs(x, traj), t) + sp.diff(f, x)
    flow = sp.diff(traj, t) - f.subs(x, traj)
    args = (t, x, xi, a0, a1, m0, v0)
    res = sp.lambdify(args, [cont, along, flow], "numpy")
    pts = points(12, seed=11, t=(0.0, 1.0), x=(-2, 2), xi=(-2, 2), a_0=(0.1, 1), a_1=(0.1, 1), m_0=(0.1, 1),
                 v_0=(0.2, 2))
    return num_equal(lambda **p: np.array(res(*p.values())), lambda **p: np.zeros(3), pts,
                     what="[continuity residual / p, d/dt log p_t(x(t)) + tr(df/dx), dx(t)/dt - f] at x(t) = "
                          "m + sqrt(v) xi")


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
    _c("000.L12.cond_field_x1", ["000:4473", "002:206", "002:401", "000:4695"], _gaussian_path_field,
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
               "The sample's variance is sigma_t^4, not sigma_t^2.",
       corrected=r"\mathbf{x}_t = \mu_t(\mathbf{x}_0, \mathbf{x}_1) + \sigma_t(\mathbf{x}_0, \mathbf{x}_1) \odot "
                 r"\boldsymbol{\epsilon}"),
    _c("000.L12.linear_boundary_eps", ["000:4553", "002:290"], _linear_eps_boundary,
       theorem="fm.linear_interpolation",
       meaning="mu_t = t x_1 + (1-t) x_0 and a constant std sigma_t = eps give the ends p_0 = delta(x - x_0), "
               "p_1 = delta(x - x_1). The means are right; the ends are N(x_0, eps^2), N(x_1, eps^2), deltas only "
               "for eps = 0 (eps -> 0)."),
    _c("000.L12.linear_path_def", ["000:4569"], kind=_D,
       meaning="The linear-interpolation conditional path N(t x_1 + (1-t) x_0, eps^2 I)."),
    _c("000.L12.linear_path_sample", ["000:4583", "002:320", "000:4564", "002:301"], _linear_sample_law,
       theorem="fm.linear_interpolation",
       meaning="The path N(t x_1 + (1-t) x_0, eps^2 I) with the sample written x_t = t x_1 + (1-t) x_0 "
               "(no noise term): that sample has the path's law only for eps = 0."),
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
               "against the moment ODEs for beta(t) = b_0 + b_1 t."),
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
               "= -tr(df/dx) along trajectories. Checked for a 1-D affine flow f = (a_0 + a_1 t) x + c_0 whose "
               "exact pushforward of a Gaussian is Gaussian: both forms hold."),
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
