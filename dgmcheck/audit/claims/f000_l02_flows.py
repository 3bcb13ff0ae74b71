"""000 Lecture 2: normalizing flows (change of variables, composition, linear / Gaussian AR / RealNVP
flows), the Bayesian framework and the latent variable model."""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import integrate, optimize, stats

from dgmcheck.audit.claims.f000_l01_tricks import _argmax_prod_equals_argmax_sum_log, _cov_x, _cov_z
from dgmcheck.audit.formulas import Place
from dgmcheck.audit.model import Claim, all_of, num_compare, num_equal, points, slip, sym_equal
from dgmcheck.theory import flows, latent

_CDF = stats.norm.cdf
_LOG2PI = float(np.log(2 * np.pi))


# --------------------------------------------------------------------------- change of variables
def _inverse_function():
    # a non-triangular nonlinear diffeomorphism of R^2 with an explicit inverse: f = A o g,
    # g(x) = (x1, x2 e^{x1/2} + x1^3); f^{-1}(z) = g^{-1}(A^{-1} z)
    x1, x2, z1, z2 = sp.symbols("x1 x2 z1 z2", real=True)
    A = sp.Matrix([[2, 1], [-1, 1]])
    g = sp.Matrix([x1, x2 * sp.exp(x1 / 2) + x1**3])
    f = A * g
    u = A.inv() * sp.Matrix([z1, z2])
    finv = sp.Matrix([u[0], (u[1] - u[0] ** 3) * sp.exp(-u[0] / 2)])
    Jf = sp.lambdify((x1, x2), f.jacobian([x1, x2]), "numpy")
    Jinv = sp.lambdify((z1, z2), finv.jacobian([z1, z2]), "numpy")
    fn = sp.lambdify((x1, x2), f, "numpy")
    finv_n = sp.lambdify((z1, z2), finv, "numpy")
    pts = points(10, seed=31, a=(-1.5, 1.5), b=(-1.5, 1.5))

    def round_trip(a, b):
        z = np.asarray(fn(a, b), dtype=float).ravel()
        return np.asarray(finv_n(*z), dtype=float).ravel()

    def jinv_at_fx(a, b):
        z = np.asarray(fn(a, b), dtype=float).ravel()
        return np.asarray(Jinv(*z), dtype=float)

    inverse_ok = num_equal(round_trip, lambda a, b: np.array([a, b]), pts, what="f^{-1}(f(x)) = x")
    # the slide's right-hand sides from the registry oracle (change_of_variables.inverse_function)
    jac = num_equal(jinv_at_fx, lambda a, b: flows.inverse_jacobian(np.asarray(Jf(a, b), dtype=float)), pts,
                    what="J_{f^{-1}}(f(x)) = J_f(x)^{-1} (flows.inverse_jacobian)")
    dets = num_equal(lambda a, b: abs(np.linalg.det(jinv_at_fx(a, b))),
                     lambda a, b: float(np.exp(-flows.log_abs_det(np.asarray(Jf(a, b), dtype=float)))), pts,
                     what="|det J_{f^{-1}}| = 1/|det J_f| = exp(-flows.log_abs_det(J_f))")
    return all_of(inverse_ok, jac, dets)


def _rand_linear_flow(rng):
    return {"W": rng.normal(size=(2, 2)) + 1.5 * np.eye(2), "b": rng.normal(size=2), "x": rng.normal(size=(1, 2))}


def _nf_log_likelihood():
    # z = f(x) = W x + b, p(z) = N(0, I) => x ~ N(-W^{-1} b, (W^T W)^{-1}); the flow formula (registry oracle
    # flows.flow_log_density with log|det J_f|) must reproduce this Gaussian log-density; plus the 1-D/2-D CoV checks
    def lhs(W, b, x):
        Winv = np.linalg.inv(W)
        return latent.gaussian_logpdf(x[0], -Winv @ b, Winv @ Winv.T)

    def rhs(W, b, x):
        z, log_det = flows.linear_forward(W, x)
        return float(flows.flow_log_density(z + b, log_det)[0])

    pts = [p["c"] for p in points(10, seed=32, c=_rand_linear_flow)]
    return all_of(num_equal(lhs, rhs, pts, what="log N(x; -W^{-1}b, (W^T W)^{-1}) = log N(Wx+b; 0, I) + log|det W|"),
                  _cov_x())


# three invertible maps of R^2 (triangular, linear, triangular), symbolic, with explicit inverses
_X1, _X2 = sp.symbols("x1 x2", real=True)
_A2 = sp.Matrix([[1, 2], [-1, 1]])


def _layers():
    def f1(v):
        return sp.Matrix([v[0], v[1] * sp.exp(v[0] / 3) + sp.sin(v[0])])

    def f2(v):
        return _A2 * v

    def f3(v):
        return sp.Matrix([v[0] + v[1] ** 3 / 3 + v[1], v[1]])

    def f1i(v):
        return sp.Matrix([v[0], (v[1] - sp.sin(v[0])) * sp.exp(-v[0] / 3)])

    def f2i(v):
        return _A2.inv() * v

    def f3i(v):
        return sp.Matrix([v[0] - v[1] ** 3 / 3 - v[1], v[1]])

    return (f1, f2, f3), (f1i, f2i, f3i)


def _composition_det():
    (f1, f2, f3), _ = _layers()
    x = sp.Matrix([_X1, _X2])
    full = f3(f2(f1(x)))
    J_full = sp.lambdify((_X1, _X2), full.jacobian([_X1, _X2]), "numpy")
    Js = [sp.lambdify((_X1, _X2), f(x).jacobian([_X1, _X2]), "numpy") for f in (f1, f2, f3)]
    fs = [sp.lambdify((_X1, _X2), f(x), "numpy") for f in (f1, f2, f3)]

    def layer_jacobians(a, b):
        out, v = [], np.array([a, b], dtype=float)
        for J, f in zip(Js, fs, strict=True):
            out.append(np.asarray(J(*v), dtype=float))
            v = np.asarray(f(*v), dtype=float).ravel()
        return out

    pts = points(10, seed=33, a=(-1.5, 1.5), b=(-1.5, 1.5))
    chain = num_equal(lambda a, b: np.asarray(J_full(a, b), dtype=float),
                      lambda a, b: (lambda J: J[2] @ J[1] @ J[0])(layer_jacobians(a, b)), pts,
                      what="df/dx = (df_3/df_2)(df_2/df_1)(df_1/dx), each at its own input")
    dets = num_equal(lambda a, b: abs(np.linalg.det(np.asarray(J_full(a, b), dtype=float))),
                     lambda a, b: float(np.prod([abs(np.linalg.det(J)) for J in layer_jacobians(a, b)])), pts,
                     what="|det df/dx| = prod_k |det J_{f_k}|")
    logs = num_equal(lambda a, b: float(np.log(abs(np.linalg.det(np.asarray(J_full(a, b), dtype=float))))),
                     lambda a, b: float(flows.composition_log_det([np.log(abs(np.linalg.det(J)))
                                                                   for J in layer_jacobians(a, b)])), pts,
                     what="registry oracle flows.composition_log_det")
    return all_of(chain, dets, logs)


def _composition_inverse():
    # the symbolic three-layer map of R^2, and a composition of the registry's flow layers (flows.coupling_forward,
    # flows.linear_forward, coupling on the other block): the inverses applied in reverse order give x back, and the
    # composed map is a diffeomorphism whose log|det| is the sum of the layers' (flows.composition_log_det)
    (f1, f2, f3), (f1i, f2i, f3i) = _layers()
    x = sp.Matrix([_X1, _X2])
    fwd = sp.lambdify((_X1, _X2), f3(f2(f1(x))), "numpy")
    bwd = sp.lambdify((_X1, _X2), f1i(f2i(f3i(x))), "numpy")
    symbolic = num_equal(lambda a, b: np.asarray(bwd(*np.asarray(fwd(a, b), dtype=float).ravel()), dtype=float).ravel(),
                         lambda a, b: np.array([a, b]), points(10, seed=34, a=(-1.5, 1.5), b=(-1.5, 1.5)),
                         what="f_1^{-1} o f_2^{-1} o f_3^{-1} (f_3 o f_2 o f_1 (x)) = x")
    W = np.array([[1.2, 0.5, 0.0, -0.3], [0.1, 0.9, 0.4, 0.0], [-0.5, 0.0, 1.1, 0.3], [0.2, -0.4, 0.0, 1.3]])
    rev = np.arange(4)[::-1]

    def forward(x):
        z1, ld1 = flows.coupling_forward(x, 2, _coupling_cond)
        z2, ld2 = flows.linear_forward(W, z1)
        z3, ld3 = flows.coupling_forward(z2[:, rev], 2, _coupling_cond)
        return z3, flows.composition_log_det([ld1, ld2, ld3])

    def backward(z):  # f_1^{-1} o f_2^{-1} o f_3^{-1}
        u2 = flows.coupling_inverse(z, 2, _coupling_cond)[:, rev]
        u1 = flows.linear_inverse(W, u2)
        return flows.coupling_inverse(u1, 2, _coupling_cond)

    def num_logdet(x):
        h = 1e-6
        J = np.stack([(forward(x + h * e)[0][0] - forward(x - h * e)[0][0]) / (2 * h) for e in np.eye(4)], axis=1)
        return float(np.linalg.slogdet(J)[1])

    pts = points(6, seed=38, x=lambda r: r.normal(size=4))
    layers = num_equal(lambda x: backward(forward(x)[0])[0], lambda x: x, pts,
                       what="registry flow layers (coupling, linear, coupling): inverses in reverse order give x")
    logdet = num_equal(num_logdet, lambda x: float(forward(x)[1][0]), pts, rtol=1e-6, atol=1e-7,
                       what="log|det J| of the composition (central differences) = flows.composition_log_det")
    return all_of(symbolic, layers, logdet)


def _composition_log_likelihood():
    # 1-D, three layers f1 = sinh, f2(u) = 2u + 1, f3(v) = v + v^3/3, base N(0,1): the density given by the sum of
    # log-derivatives must integrate to P(X <= a) = Phi(f(a)) (f increasing)
    def f(x):
        v = 2 * np.sinh(x) + 1
        return v + v**3 / 3

    def log_p(x):
        u = np.sinh(x)
        v = 2 * u + 1
        z = v + v**3 / 3
        return -0.5 * z * z - 0.5 * _LOG2PI + np.log(np.cosh(x)) + np.log(2.0) + np.log(1 + v * v)

    def lhs(a):
        val, _ = integrate.quad(lambda x: np.exp(log_p(x)), -4.0, a, epsabs=1e-13, epsrel=1e-12, limit=200)
        return val

    one_d = num_equal(lhs, lambda a: _CDF(f(a)), points(5, seed=35, a=(-1.2, 0.3)),
                      what="int exp(log N(f3 o f2 o f1 (x)) + sum_k log|f_k'|) up to a = Phi(f(a))")
    return all_of(one_d, _composition_det())


def _elementwise_logdet():
    x1, x2, x3 = sp.symbols("x1 x2 x3", real=True)
    f = sp.Matrix([sp.sinh(2 * x1), x2**3 + x2, -sp.exp(x3)])
    J = sp.lambdify((x1, x2, x3), f.jacobian([x1, x2, x3]), "numpy")
    derivs = [sp.lambdify(v, sp.diff(fj, v), "numpy") for fj, v in zip(f, (x1, x2, x3), strict=True)]
    pts = points(10, seed=36, a=(-1, 1), b=(-1, 1), c=(-1, 1))
    return num_equal(lambda a, b, c: float(np.log(abs(np.linalg.det(np.asarray(J(a, b, c), dtype=float))))),
                     lambda a, b, c: float(sum(np.log(abs(d(v))) for d, v in zip(derivs, (a, b, c), strict=True))),
                     pts, what="log|det J| = sum_j log|f_j'(x_j)| for z_j = f_j(x_j)")


def _linear_jacobian():
    # the Jacobian of z = W x (J_ij = dz_i/dx_j) read off the registry oracle flows.linear_forward (column j is the
    # image of e_j: the map is linear), evaluated at random W, vs the slide's W^T
    def jacobian(W):
        return flows.linear_forward(np.asarray(W, dtype=float), np.eye(2))[0].T

    at = points(5, seed=47, W=lambda r: np.round(r.normal(size=(2, 2)), 3))
    written = num_equal(jacobian, lambda W: np.asarray(W).T, at,
                        what="J_f = dz/dx of z = W x (J_ij = dz_i/dx_j, the slides' Jacobian; flows.linear_forward) "
                             "vs W^T")
    corrected = num_equal(jacobian, lambda W: np.asarray(W), at, what="J_f = dz/dx of z = W x vs the corrected W")
    return slip(written, corrected, evidence=(_SLIDE_550,),
                why="a transposed matrix: the slides' Jacobian is dz/dx with [J]_ij = dz_i/dx_j (000 L2 'Jacobian "
                    "Matrix', line 422), and the slide just before takes log|det| of d f_theta(x)/dx, the Jacobian "
                    "of z = f(x) itself, which for z = W x is W")


_SLIDE_550 = Place("000", "L2", "What is $\\det(\\mathbf{J})$ in These Cases?", 550)
_JACOBIAN_DEFINED = Place("000", "L2", "Jacobian Matrix", 422)


def _lu_positive():
    # W = -I_2 is invertible, but no permutation P gives P^T W leading minors > 0, so no L, U with positive diagonals
    return num_compare(lambda W: len(flows.lu_positive_permutations(np.array(W, dtype=float))), ">=", lambda W: 1,
                       [{"W": [[1.0, 2.0], [3.0, 1.0]]}, {"W": [[-1.0, 0.0], [0.0, -1.0]]}],
                       what="number of permutations P with W = P L U, L and U with positive diagonals")


def _qr_positive():
    def draw(rng):
        W = rng.normal(size=(3, 3))
        return W if rng.uniform() < 0.8 else -np.eye(3)

    pts = points(10, seed=37, W=draw)

    def parts(W):
        Q, R = flows.qr_positive(W)
        return np.concatenate([(Q @ R).ravel(), (Q.T @ Q).ravel(), np.tril(R, -1).ravel(),
                               [float(np.all(np.diag(R) > 0))]])

    def target(W):
        return np.concatenate([W.ravel(), np.eye(3).ravel(), np.zeros(9), [1.0]])

    return num_equal(parts, target, pts, what="W = QR with Q^T Q = I, R upper triangular, diag R > 0 (incl. W = -I)")


# --------------------------------------------------------------------------- Gaussian AR flow and RealNVP
def _ar_cond(x):
    mu = np.array([0.5, np.sin(x[0]), 0.3 * x[0] * x[1]])
    log_sigma = np.array([0.2, 0.3 * x[0], np.tanh(x[0] - x[1])])
    return mu, log_sigma


def _ar_sampling():
    # (a) 1-D: x = sigma z + mu, z ~ N(0,1) has the density N(mu, sigma^2) (change of variables, sympy)
    x, mu = sp.symbols("x mu", real=True)
    s = sp.symbols("sigma", positive=True)
    phi = sp.exp(-((x - mu) / s) ** 2 / 2) / sp.sqrt(2 * sp.pi)
    one = sym_equal(phi * sp.diff((x - mu) / s, x), sp.exp(-(x - mu) ** 2 / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2),
                    what="density of sigma z + mu")

    # (b) m = 3 nonlinear conditioners: the law of the sequential sampler (flow density through the registry oracle)
    #     equals the AR model's product of Gaussian conditionals
    def model(x):
        total = 0.0
        for j in range(3):
            mu_j, ls = _ar_cond(np.concatenate([x[:j], np.zeros(3 - j)]))
            total += float(stats.norm.logpdf(x[j], mu_j[j], np.exp(ls[j])))
        return total

    def flow(x):
        z, log_det = flows.gaussian_ar_forward(x, _ar_cond)
        return float(flows.flow_log_density(z, log_det)[0])

    pts = points(8, seed=38, x=lambda r: r.normal(size=3))
    multi = num_equal(model, flow, pts, what="prod_j N(x_j; mu_j, sigma_j^2) = N(f(x); 0, I) |det J_f|")

    # (c) the Jacobian of the forward map is triangular with log|det| = -sum log sigma_j (central differences)
    def fd_logdet(x):
        h = 1e-6
        J = np.stack([(flows.gaussian_ar_forward(x + h * e, _ar_cond)[0][0]
                       - flows.gaussian_ar_forward(x - h * e, _ar_cond)[0][0]) / (2 * h) for e in np.eye(3)], 1)
        return float(np.log(abs(np.linalg.det(J))))

    fd = num_equal(fd_logdet, lambda x: float(flows.gaussian_ar_forward(x, _ar_cond)[1][0]), pts, rtol=1e-6, atol=1e-7,
                   what="log|det J_f| by central differences vs -sum log sigma_j")
    return all_of(one, multi, fd)


def _ar_forward_inverts_sampling():
    return num_equal(lambda z: flows.gaussian_ar_forward(flows.gaussian_ar_inverse(z, _ar_cond), _ar_cond)[0][0],
                     lambda z: z, points(8, seed=39, z=lambda r: r.normal(size=3)),
                     what="z_j = (x_j - mu_j)/sigma_j applied to the sequential sample x(z) gives z back")


def _ar_sampling_inverts_forward():
    return num_equal(lambda x: flows.gaussian_ar_inverse(flows.gaussian_ar_forward(x, _ar_cond)[0], _ar_cond)[0],
                     lambda x: x, points(8, seed=40, x=lambda r: r.normal(size=3)),
                     what="x_j = sigma_j z_j + mu_j applied sequentially to z = f(x) gives x back")


def _coupling_cond(x1):
    return np.array([np.sin(x1[0]) + x1[1], x1[0] * x1[1]]), np.array([0.3 * x1[0], np.tanh(x1[1])])


def _coupling_inverse_of_forward():
    return num_equal(lambda x: flows.coupling_inverse(flows.coupling_forward(x, 2, _coupling_cond)[0], 2,
                                                      _coupling_cond)[0],
                     lambda x: x, points(8, seed=41, x=lambda r: r.normal(size=4)),
                     what="x = (z_1, z_2 * sigma(z_1) + mu(z_1)) at z = f(x) gives x back (m = 4, d = 2)")


def _coupling_forward_of_inverse():
    return num_equal(lambda z: flows.coupling_forward(flows.coupling_inverse(z, 2, _coupling_cond), 2,
                                                      _coupling_cond)[0][0],
                     lambda z: z, points(8, seed=42, z=lambda r: r.normal(size=4)),
                     what="z = (x_1, (x_2 - mu(x_1)) / sigma(x_1)) at x = f^{-1}(z) gives z back (m = 4, d = 2)")


def _coupling_both():
    return all_of(_coupling_inverse_of_forward(), _coupling_forward_of_inverse())


def _coupling_det():
    a, b, c = sp.symbols("a b c", real=True)
    mu = [sp.sin(a), a**2]
    sig = [sp.exp(sp.Rational(3, 10) * a), 1 + a**2]
    z = sp.Matrix([a, (b - mu[0]) / sig[0], (c - mu[1]) / sig[1]])
    J = z.jacobian([a, b, c])
    block = sym_equal(J[0, 1:], sp.zeros(1, 2), what="upper-right block of dz/dx is 0, upper-left I_d")
    det_J = sp.lambdify((a, b, c), J.det(), "numpy")
    slide = sp.lambdify((a, b, c), 1 / (sig[0] * sig[1]), "numpy")  # prod_j 1/sigma_j(x_1), as written

    def cond(x1):
        return np.array([np.sin(x1[0]), x1[0] ** 2]), np.array([0.3 * x1[0], np.log1p(x1[0] ** 2)])

    def oracle(x):  # registry oracle flows.coupling_forward: log|det dz/dx| = -sum_j log sigma_j(x_1)
        return float(np.exp(flows.coupling_forward(x, 1, cond)[1][0]))

    pts = points(8, seed=46, x=lambda r: r.normal(size=3))
    det = num_equal(lambda x: float(det_J(*x)), oracle, pts,
                    what="det dz/dx (sympy) = exp(flows.coupling_forward log-det)")
    prod = num_equal(lambda x: float(slide(*x)), oracle, pts,
                     what="prod_j 1/sigma_j(x_1) (slide) = exp(flows.coupling_forward log-det), m = 3, d = 1")
    return all_of(block, det, prod)


def _coupling_is_ar():
    # the coupling layer as a Gaussian AR flow (mu_j = 0, sigma_j = 1 for j <= d; mu, sigma of x_{1:d} for j > d):
    # same z and same log-det (registry oracle flows.coupling_as_ar)
    ar = flows.coupling_as_ar(2, _coupling_cond)

    def as_ar(x):
        z, ld = flows.gaussian_ar_forward(x, ar)
        return np.concatenate([z[0], ld])

    def as_coupling(x):
        z, ld = flows.coupling_forward(x, 2, _coupling_cond)
        return np.concatenate([z[0], ld])

    return num_equal(as_ar, as_coupling, points(8, seed=48, x=lambda r: r.normal(size=4)),
                     what="Gaussian AR flow with the coupling conditioner = coupling layer (z, log|det|), m = 4, d = 2")


# --------------------------------------------------------------------------- Bayesian framework
def _bayes_beta_bernoulli():
    # prior Beta(a, b), k successes in n Bernoulli trials: the formula (evidence by quadrature) vs the conjugate
    # posterior Beta(a + k, b + n - k) of scipy
    a, b, n, k = 2.0, 3.0, 10, 7

    def lik(t):
        return t**k * (1 - t) ** (n - k)

    evidence, _ = integrate.quad(lambda t: lik(t) * stats.beta.pdf(t, a, b), 0, 1, epsabs=1e-14)
    return num_equal(lambda theta: lik(theta) * stats.beta.pdf(theta, a, b) / evidence,
                     lambda theta: stats.beta.pdf(theta, a + k, b + n - k), points(8, seed=43, theta=(0.02, 0.98)),
                     what="p(x|t) p(t) / int p(x|t) p(t) dt vs Beta(a+k, b+n-k) pdf")


_X_DATA = np.array([0.3, 1.2, -0.4, 0.9, 1.7])
_S0 = 1.5  # prior std of theta; x_i ~ N(theta, 1)


def _gauss_loglik(t):
    return float(np.sum(-0.5 * (_X_DATA - t) ** 2) - 0.5 * len(_X_DATA) * _LOG2PI)


def _gauss_logprior(t):
    return float(-0.5 * (t / _S0) ** 2 - np.log(_S0) - 0.5 * _LOG2PI)


def _posterior_gaussian():
    evidence, _ = integrate.quad(lambda t: np.exp(_gauss_loglik(t) + _gauss_logprior(t)), -np.inf, np.inf,
                                 epsabs=0, epsrel=1e-12)
    prec = len(_X_DATA) + 1 / _S0**2
    mean, sd = _X_DATA.sum() / prec, 1 / np.sqrt(prec)
    # p(X) in closed form: X ~ N(0, I + s0^2 11^T)
    n = len(_X_DATA)
    ev_closed = np.exp(latent.gaussian_logpdf(_X_DATA, np.zeros(n), np.eye(n) + _S0**2 * np.ones((n, n))))
    post = num_equal(lambda theta: np.exp(_gauss_loglik(theta) + _gauss_logprior(theta)) / evidence,
                     lambda theta: stats.norm.pdf(theta, mean, sd), points(8, seed=44, theta=(-1, 2)),
                     what="p(X|t) p(t) / int p(X|t) p(t) dt vs the conjugate N(sum x / (n + s0^-2), 1/(n + s0^-2))")
    ev = num_equal(lambda: evidence, lambda: float(ev_closed), [{}], what="p(X) = int p(X|t) p(t) dt")
    return all_of(ev, post)


def _map():
    prec = len(_X_DATA) + 1 / _S0**2
    mode = _X_DATA.sum() / prec
    res = optimize.minimize_scalar(lambda t: -(_gauss_loglik(t) + _gauss_logprior(t)), bracket=(-3, 0, 3),
                                   tol=1e-12)
    return num_equal(lambda: float(res.x), lambda: float(mode), [{}], rtol=1e-6, atol=1e-7,
                     what="argmax (log p(X|t) + log p(t)) (numeric) vs the posterior mode (closed form)")


# --------------------------------------------------------------------------- latent variable model
def _joint_product_rule():
    # p(x|z) = N(w z + b, psi), p(z) = N(0,1): (x, z) is jointly Gaussian with cov [[w^2+psi, w], [w, 1]]
    def lhs(w, b, psi, x, z):
        return latent.gaussian_logpdf(np.array([x, z]), np.array([b, 0.0]), np.array([[w * w + psi, w], [w, 1.0]]))

    def rhs(w, b, psi, x, z):
        return (-0.5 * (x - w * z - b) ** 2 / psi - 0.5 * np.log(2 * np.pi * psi)) + (-0.5 * z * z - 0.5 * _LOG2PI)

    return num_equal(lhs, rhs, points(10, seed=45, w=(-2, 2), b=(-1, 1), psi=(0.2, 2), x=(-2, 2), z=(-2, 2)),
                     what="log N((x,z); joint) = log N(x; wz+b, psi) + log N(z; 0, 1)")


def _marginal_integral():
    def lhs(w, b, psi, x):
        v, _ = integrate.quad(lambda z: np.exp(-0.5 * (x - w * z - b) ** 2 / psi - 0.5 * z * z) / (2 * np.pi
                                                                                                  * np.sqrt(psi)),
                              -np.inf, np.inf, epsabs=0, epsrel=1e-12)
        return float(np.log(v))

    def rhs(w, b, psi, x):
        return latent.lg_log_marginal(np.array([[w]]), np.array([b]), np.array([psi]), np.array([x]))

    return num_equal(lhs, rhs, points(8, seed=46, w=(-2, 2), b=(-1, 1), psi=(0.2, 2), x=(-2, 2)),
                     what="log int N(x; wz+b, psi) N(z; 0, 1) dz = log N(x; b, w^2 + psi)")


CLAIMS: list[Claim] = [
    Claim(id="000.L2.jacobian_matrix", formulas=("000:422",), kind="notation",
          meaning="J = dz/dx with J_ij = dz_i/dx_j (rows: outputs, columns: inputs)."),
    Claim(id="000.L2.change_of_variables_px", formulas=("000:428",), theorem="change_of_variables.density",
          meaning="as 000 L1: z = f(x), J_f = dz/dx, p(z) the density of z at f(x). Same checks (1-D sinh, 2-D affine "
                  "Gaussian).",
          check=_cov_x),
    Claim(id="000.L2.change_of_variables_pz", formulas=("000:429",), theorem="change_of_variables.density",
          meaning="as 000 L1, from z to x: p(z) = p(f^{-1}(z)) |det d f^{-1}/dz|.",
          check=_cov_z),
    Claim(id="000.L2.inverse_function_theorem", formulas=("000:438",), theorem="change_of_variables.inverse_function",
          meaning="J_{f^{-1}} is evaluated at z = f(x), J_f at x. Checked for a nonlinear non-triangular "
                  "diffeomorphism of R^2 with an explicit inverse (sympy Jacobians).",
          check=_inverse_function),
    Claim(id="000.L2.nf_mle_density", formulas=("000:452", "000:454"), theorem="change_of_variables.density",
          meaning="the flow z = f_theta(x) maps data to the base p(z) = N(0, I); J_f = df_theta/dx. '-> max_theta' "
                  "names the MLE objective; the identity is checked: linear flows (x Gaussian in closed form, "
                  "registry oracle flows.flow_log_density) and the 1-D/2-D change-of-variables checks.",
          check=_nf_log_likelihood),
    Claim(id="000.L2.composition_theorem", formulas=("000:466",), theorem="flows.composition",
          meaning="f = f_K o ... o f_1; df_k/df_{k-1} is the Jacobian of f_k at its own input f_{k-1}o...o f_1(x) "
                  "(f_0 = x); J_{f_k} the same matrix. Checked with three nonlinear maps of R^2 (sympy): chain rule, "
                  "product of |det|.",
          check=_composition_det),
    Claim(id="000.L2.nf_log_likelihood", formulas=("000:470", "000:539"), theorem="change_of_variables.density",
          meaning="log of the change-of-variables density for the flow z = f_theta(x), J_f = df_theta(x)/dx.",
          check=_nf_log_likelihood),
    Claim(id="000.L2.composition_inverse", formulas=("000:479",), theorem="flows.composition",
          meaning="the inverse of a composition is the composition of the inverses in reverse order.",
          check=_composition_inverse),
    Claim(id="000.L2.composition_log_likelihood", formulas=("000:484",), theorem="flows.composition",
          meaning="J_{f_k} = df_k/df_{k-1} at the layer's own input (the slide's 'where'); p(z) = N(0, I). Checked: a "
                  "3-layer 1-D flow whose density by this formula reproduces P(X <= a) = Phi(f(a)), and the 2-D "
                  "composition of determinants.",
          check=_composition_log_likelihood),
    Claim(id="000.L2.elementwise_logdet", formulas=("000:550",),
          meaning="case 2 of the slide: z_j = f_{j,theta}(x_j) depends only on x_j, so the Jacobian is diagonal.",
          check=_elementwise_logdet),
    Claim(id="000.L2.linear_flow_jacobian", formulas=("000:556",), theorem="flows.linear",
          meaning="z = W x, J_f = dz/dx with [J]_ij = dz_i/dx_j as the slide defines the Jacobian (000 L2 "
                  "'Jacobian Matrix'); then J_f = W, not W^T (they differ unless W is symmetric). Judgement: slip "
                  "(a transpose), read against the slides' own Jacobian layout (the convention cited).",
          check=_linear_jacobian,
          corrected=r"\mathbf{z} = \mathbf{W}\mathbf{x}, \quad \mathbf{J}_f = \frac{\partial \mathbf{z}}{\partial "
                    r"\mathbf{x}} = \mathbf{W} \quad (\log|\det \mathbf{J}_f| = \log|\det \mathbf{W}| "
                    r"= \log|\det \mathbf{W}^T|)",
          convention=(_JACOBIAN_DEFINED,),
          note="Harmless for the likelihood: det W = det W^T, so log|det J_f| is unaffected. W^T would be right "
               "in the denominator layout, which the slides do not use (line 422 defines J row by row: dz_i/dx_j)."),
    Claim(id="000.L2.lu_decomposition", formulas=("000:575",), theorem="flows.linear",
          meaning="read as the slide states it: the invertible W of the linear flow is written W = P L U with P a "
                  "permutation, L lower and U upper triangular, both with POSITIVE diagonal. Then every leading "
                  "principal minor of P^T W is positive, which fails for W = -I_2 under both permutations "
                  "(registry oracle flows.lu_positive_permutations). Judgement: fails, not slip: the prose states "
                  "the positive diagonals on purpose, and no neighbouring line gives another factorization.",
          check=_lu_positive,
          corrected=r"\mathbf{W} = \mathbf{P}\mathbf{L}\mathbf{U}, \text{ with } \mathbf{L} \text{ unit lower "
                    r"triangular and } \mathbf{U} \text{ upper triangular with non-zero diagonal of any sign "
                    r"(exists for every invertible } \mathbf{W})",
          note="Positive diagonals force sign(det W) = det P and more: W = -I (det = +1) has no such factorization."),
    Claim(id="000.L2.qr_decomposition", formulas=("000:581",), theorem="flows.linear",
          meaning="every invertible W is Q R with Q orthogonal and R upper triangular with positive diagonal "
                  "(Gram-Schmidt; registry oracle flows.qr_positive), including W = -I.",
          check=_qr_positive),
    Claim(id="000.L2.gaussian_ar_model", formulas=("000:605",), kind="definition",
          meaning="the Gaussian autoregressive model: sigma_{j,theta} is a standard deviation (sigma^2 the variance)."),
    Claim(id="000.L2.gaussian_ar_sampling", formulas=("000:609",), theorem="flows.gaussian_ar",
          meaning="z_j ~ N(0,1) i.i.d., x_j computed sequentially; claim: x then has the law p_theta of the previous "
                  "formula (sigma a standard deviation). Checked: 1-D density (sympy) and a 3-D AR model with "
                  "nonlinear conditioners (product of Gaussian conditionals = flow density, central-difference "
                  "log-det).",
          check=_ar_sampling),
    Claim(id="000.L2.gaussian_ar_forward", formulas=("000:613", "000:689"), theorem="flows.gaussian_ar",
          meaning="the forward (density) map z = f_theta(x), computable in parallel since mu_j, sigma_j depend on "
                  "x_{1:j-1} only; claim: it inverts the sequential sampler.",
          check=_ar_forward_inverts_sampling),
    Claim(id="000.L2.gaussian_ar_inverse", formulas=("000:633", "000:687"), theorem="flows.gaussian_ar",
          meaning="the inverse (sampling) map x = f_theta^{-1}(z), sequential in j; claim: it inverts the forward "
                  "map.",
          check=_ar_sampling_inverts_forward),
    Claim(id="000.L2.gaussian_ar_forward_name", formulas=("000:625",), kind="notation",
          meaning="the forward map of the Gaussian AR flow is named f_theta."),
    Claim(id="000.L2.gaussian_ar_inverse_name", formulas=("000:631",), kind="notation",
          meaning="its inverse f_theta^{-1} maps noise to data."),
    Claim(id="000.L2.realnvp_split", formulas=("000:659",), kind="notation",
          meaning="the split of x and z into the first d and the last m - d coordinates."),
    Claim(id="000.L2.coupling_inverse", formulas=("000:663",), theorem="flows.realnvp",
          meaning="sigma_theta(z_1) > 0 elementwise, mu_theta, sigma_theta any functions of the first block; "
                  "claim: this map inverts the coupling forward map of the next formula (checked m = 4, d = 2).",
          check=_coupling_inverse_of_forward),
    Claim(id="000.L2.coupling_forward", formulas=("000:665",), theorem="flows.realnvp",
          meaning="claim: the forward map inverts the sampling map of the previous formula.",
          check=_coupling_forward_of_inverse),
    Claim(id="000.L2.coupling_pair", formulas=("000:678",), theorem="flows.realnvp",
          meaning="the two maps, side by side, are mutually inverse.",
          check=_coupling_both),
    Claim(id="000.L2.coupling_jacobian", formulas=("000:683",), theorem="flows.realnvp",
          meaning="z = (x_1, (x_2 - mu(x_1)) / sigma(x_1)); 0_{d x m-d} the upper-right block; sigma_{j,theta} the "
                  "j-th output of sigma_theta. Checked symbolically for m = 3, d = 1 with nonlinear mu, sigma.",
          check=_coupling_det),
    Claim(id="000.L2.realnvp_special_case_of_ar",
          text="The RealNVP coupling layer provides an efficient normalizing flow (a special case of AR NF), "
               "supporting fast inference and sampling.",
          places=(Place("000", "L2", "Summary", 769),), theorem="flows.realnvp",
          meaning="the coupling layer is the Gaussian AR flow with mu_j = 0, sigma_j = 1 for j <= d and mu_j, sigma_j "
                  "functions of x_{1:d} (a subset of x_{1:j-1}) for j > d: same forward map and log-determinant.",
          check=_coupling_is_ar),
    Claim(id="000.L2.bayes_theorem", formulas=("000:712",),
          meaning="theta the unknown parameter with prior p(theta); x observed. Checked against the conjugate "
                  "Beta-Bernoulli posterior (evidence by quadrature).",
          check=_bayes_beta_bernoulli),
    Claim(id="000.L2.posterior_distribution", formulas=("000:735",),
          meaning="X = {x_i} observed; p(X) the evidence. Checked for x_i ~ N(theta, 1), theta ~ N(0, 1.5^2): the "
                  "evidence integral against N(0, I + s0^2 11^T) and the posterior against the conjugate Gaussian.",
          check=_posterior_gaussian),
    Claim(id="000.L2.map_estimate", formulas=("000:741",),
          meaning="p(X) does not depend on theta and log is increasing, so argmax p(theta|X) = argmax (log p(X|theta) "
                  "+ log p(theta)). Checked: numeric maximizer vs the conjugate posterior mode.",
          check=_map),
    Claim(id="000.L2.mle_problem", formulas=("000:747",),
          meaning="p_theta(X) = prod_i p_theta(x_i) for i.i.d. samples; the log keeps the maximizer.",
          check=_argmax_prod_equals_argmax_sum_log),
    Claim(id="000.L2.lvm_joint", formulas=("000:755",),
          meaning="the extended model's joint is the product of the likelihood and the prior (p(z) has no theta); the "
                  "log of a product is the sum of logs. Checked for the linear-Gaussian model against the joint "
                  "Gaussian law of (x, z).",
          check=_joint_product_rule),
    Claim(id="000.L2.lvm_marginal", formulas=("000:757",),
          meaning="marginalization of the latent z. Checked for p(x|z) = N(wz + b, psi), p(z) = N(0, 1) by "
                  "quadrature against N(x; b, w^2 + psi).",
          check=_marginal_integral),
]
