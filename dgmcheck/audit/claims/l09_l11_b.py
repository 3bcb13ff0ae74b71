"""000 Lecture 9 (continuous-time flows, ODE solvers) and Lecture 10 (continuity equation, SDEs, KFP,
probability flow ODE, reverse SDE), with the 003 build-up slides of the same formulas.

Test problems with exact answers: the autonomous flow dx/dt = sin x (closed-form flow
psi_t(x0) = 2 atan(tan(x0/2) e^t), so its densities follow from the change of variables), and the
variance-preserving / variance-exploding SDEs with Gaussian-mixture data (exact marginals p_t as sympy
expressions, differentiated symbolically and evaluated at seeded points).
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from scipy import integrate

from dgmcheck.audit.model import Claim, all_of, holds_if, num_compare, num_equal, points, sym_equal

X, T, TAU, X0 = sp.symbols("x t tau x_0", real=True)
X1, X2 = sp.symbols("x_1 x_2", real=True)


# ------------------------------------------------------------------------------- the sin flow
def _psi(x0, t):
    return 2 * np.arctan(np.tan(x0 / 2) * np.exp(t))


def _psi_sym():
    return 2 * sp.atan(sp.tan(X0 / 2) * sp.exp(T))


_FLOW_PTS = points(10, seed=31, x0=(-2.5, 2.5), t=(0.05, 1.0))


def _continuity_along_trajectory():
    # Change of variables: log p_t(psi_t(x0)) = log p_0(x0) - log d psi_t/d x0;
    # its t-derivative must be -f'(x) = -cos x.
    psi = _psi_sym()
    fn = sp.lambdify((X0, T), -sp.diff(sp.log(sp.diff(psi, X0)), T), "numpy")
    return num_equal(lambda x0, t: fn(x0, t), lambda x0, t: -np.cos(_psi(x0, t)), _FLOW_PTS,
                     what="d/dt log p_t(x(t)) (change of variables) vs -tr(df/dx) for dx/dt = sin x")


def _continuity_pde():
    # p_t(x) = p_0(phi_t(x)) phi_t'(x), phi_t = psi_t^{-1}; p_0 = N(0.3, 0.5^2). d_t p = -d_x(sin(x) p)?
    phi = 2 * sp.atan(sp.tan(X / 2) * sp.exp(-T))
    p0 = sp.exp(-(phi - sp.Rational(3, 10)) ** 2 / (2 * sp.Rational(1, 4))) / sp.sqrt(2 * sp.pi / 4)
    p = p0 * sp.diff(phi, X)
    lhs = sp.lambdify((X, T), sp.diff(p, T), "numpy")
    rhs = sp.lambdify((X, T), -sp.diff(sp.sin(X) * p, X), "numpy")
    return num_equal(lambda x, t: lhs(x, t), lambda x, t: rhs(x, t), points(10, seed=32, x=(-2.5, 2.5), t=(0.05, 1.0)),
                     what="dp_t/dt vs -div(f p_t) for the sin flow, p_0 = N(0.3, 0.25)")


@functools.cache
def _continuity_both():
    return all_of(_continuity_pde(), _continuity_along_trajectory())


def _log_density_integral():
    psi = _psi_sym()
    dlog_fn = sp.lambdify(X0, sp.log(sp.diff(psi, X0)).subs(T, 1), "numpy")
    dlog = lambda x0: dlog_fn(x0)  # noqa: E731
    at = points(6, seed=33, x0=(-2.5, 2.5))
    return num_equal(lambda x0: -dlog(x0),
                     lambda x0: -integrate.quad(lambda t: np.cos(_psi(x0, t)), 0, 1, epsabs=1e-13)[0], at,
                     what="log p_1(x(1)) - log p_0(x(0)) vs -int_0^1 tr(df/dx) dt (sin flow)")


def _integral_form():
    at = points(6, seed=34, x0=(-2.5, 2.5))
    return num_equal(lambda x0: _psi(x0, 1.0),
                     lambda x0: x0 + integrate.quad(lambda t: np.sin(_psi(x0, t)), 0, 1, epsabs=1e-13)[0], at,
                     what="x(1) vs x(0) + int_0^1 f(x(t), t) dt (sin flow, closed-form solution)")


def _reverse_integral_form():
    at = points(6, seed=35, x0=(-2.5, 2.5))
    backward = num_equal(lambda x0: x0,
                         lambda x0: _psi(x0, 1.0) + integrate.quad(lambda t: np.sin(_psi(x0, t)), 1, 0,
                                                                   epsabs=1e-13)[0], at,
                         what="x(0) vs x(1) + int_1^0 f dt")

    def solve_back(x0):
        sol = integrate.solve_ivp(lambda t, y: np.sin(y), (1.0, 0.0), [_psi(x0, 1.0)], rtol=1e-12, atol=1e-12)
        return float(sol.y[0, -1])

    recovered = num_equal(solve_back, lambda x0: x0, at, rtol=1e-8,
                          what="integrating the ODE back from x(1) recovers x(0)")
    return all_of(backward, recovered)


def _psi_with_free_t():
    at_t1 = points(5, seed=36, x0=(-2.5, 2.5))
    integral = lambda x0: x0 + integrate.quad(lambda s: np.sin(_psi(x0, s)), 0, 1, epsabs=1e-13)[0]  # noqa: E731
    inside = num_equal(lambda x0: _psi(x0, 1.0), integral, at_t1, what="psi_t(x0) at t = t_1 = 1 vs x0 + int_0^1 f")
    outside = num_equal(lambda x0: _psi(x0, 0.5), integral, at_t1, what="psi_t(x0) at t = 0.5 vs x0 + int_0^1 f")
    return holds_if("t = t_1 (the upper limit of the integral; t_0 = 0 is the time of the initial condition)",
                    inside, outside)


def _f_cos(x, t):
    return np.cos(3 * t) * x  # dx/dt = cos(3t) x: x(t) = x0 exp(sin(3t)/3)


def _solve(x0: float, n: int, heun: bool) -> float:
    h, x = 1.0 / n, x0
    for i in range(n):
        t = i * h
        if heun:
            xp = x + h * _f_cos(x, t)
            x = x + h / 2 * (_f_cos(x, t) + _f_cos(xp, t + h))
        else:
            x = x + h * _f_cos(x, t)
    return x


def _order(heun: bool, x0: float = 1.1) -> float:
    ns = np.array([40, 80, 160, 320])
    err = np.array([abs(_solve(x0, n, heun) - x0 * np.exp(np.sin(3.0) / 3)) for n in ns])
    return float(-np.polyfit(np.log(ns), np.log(err), 1)[0])


def _euler_order():
    return num_compare(lambda: abs(_order(False) - 1.0), "<", lambda: 0.1, [{}],
                       what="fitted global order of Euler on dx/dt = cos(3t) x is 1 (within 0.1)")


def _heun_order():
    return num_compare(lambda: abs(_order(True) - 2.0), "<", lambda: 0.15, [{}],
                       what="fitted global order of Heun on dx/dt = cos(3t) x is 2 (within 0.15)")


def _odesolve_approx():
    err = {n: abs(_solve(1.1, n, True) - 1.1 * np.exp(np.sin(3.0) / 3)) for n in (10, 100, 1000)}
    return num_compare(lambda n: err[n], "<", lambda n: 10.0 / n**2, [{"n": n} for n in err],
                       what="|ODESolve (Heun, n steps) - psi_1(x0)| < 10/n^2 -> 0 (dx/dt = cos(3t) x)")


def _composition_log_density():
    # p_theta is the law of x with f2(f1(x)) ~ N(0, 1), f1 = sinh, f2(u) = 3u - 1 (both increasing).
    f1, f2 = sp.sinh(X), 3 * sp.sinh(X) - 1
    cdf = (1 + sp.erf(f2 / sp.sqrt(2))) / 2  # P(x' <= x) = Phi(f2(f1(x)))
    true_log = sp.log(sp.diff(cdf, X))
    log_n = -f2**2 / 2 - sp.log(sp.sqrt(2 * sp.pi))
    slide = log_n + sp.log(sp.Abs(sp.diff(f1, X))) + sp.log(sp.Abs(sp.diff(3 * X - 1, X)))
    lhs, rhs = sp.lambdify(X, true_log, "numpy"), sp.lambdify(X, slide, "numpy")
    return num_equal(lambda x: lhs(x), lambda x: rhs(x), points(12, seed=37, x=(-1.5, 1.5)),
                     what="log density of x (derivative of its CDF) vs log p(f2 o f1(x)) + sum_k log|df_k/df_{k-1}|")


def _one_step_density():
    # y = f(x) = sinh x, x ~ N(0, 1): p_Y(y) = d/dy Phi(asinh y); check log p_Y(f(x)) = log p_X(x) - log|f'(x)|.
    y = sp.Symbol("y", real=True)
    p_y = sp.diff((1 + sp.erf(sp.asinh(y) / sp.sqrt(2))) / 2, y)
    lhs = sp.log(p_y).subs(y, sp.sinh(X))
    rhs = -X**2 / 2 - sp.log(sp.sqrt(2 * sp.pi)) - sp.log(sp.cosh(X))
    lf, rf = sp.lambdify(X, lhs, "numpy"), sp.lambdify(X, rhs, "numpy")
    return num_equal(lambda x: lf(x), lambda x: rf(x), points(12, seed=38, x=(-3, 3)),
                     what="log p(x_{t+1}) (from the CDF of sinh(x_t)) vs log p(x_t) - log|det df/dx|, f = sinh")


# ------------------------------------------------------------------------------------ SDE models
# Exact marginals of linear SDEs dx = c(t) x dt + g(t) dw with Gaussian-mixture data: each component stays
# Gaussian with mean a(t) m_k and covariance a(t)^2 C_k + v(t) I. Spatial derivatives of p_t are the exact
# Gaussian formulas; time derivatives and divergences are central differences of exact values (rtol 1e-6).
_MIX1 = (np.array([0.4, 0.6]), np.array([[-1.0], [1.2]]), np.array([[[0.2]], [[0.5]]]))
_MIX2 = (np.array([0.4, 0.6]), np.array([[-1.0, 0.5], [1.0, -0.5]]),
         np.array([[[0.5, 0.2], [0.2, 0.3]], [[0.3, -0.1], [-0.1, 0.4]]]))
_H_T, _H_X, _RTOL = 1e-5, 1e-4, 1e-6


def _sde(kind: str, t: float) -> tuple[float, float, float, float]:
    """(c(t), g(t)^2, a(t), v(t)): drift coefficient, squared diffusion, marginal scale and added variance."""
    if kind == "vp":
        beta, big_b = 0.1 + 4 * t, 0.1 * t + 2 * t * t
        a = np.exp(-big_b / 2)
        return -beta / 2, beta, a, 1 - a * a
    sig2 = 0.01 * 400.0**t  # VE: sigma(t) = 0.1 * 20^t, g^2 = d sigma^2/dt
    return 0.0, sig2 * np.log(400.0), 1.0, sig2 - 0.01


def _density(mix, a: float, v: float, x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """p(x), grad p(x), Hessian p(x) of sum_k w_k N(a m_k, a^2 C_k + v I)."""
    w, m, c = mix
    d = m.shape[1]
    p, grad, hess = 0.0, np.zeros(d), np.zeros((d, d))
    for k in range(len(w)):
        cov = a * a * c[k] + v * np.eye(d)
        prec = np.linalg.inv(cov)
        diff = x - a * m[k]
        phi = w[k] * np.exp(-0.5 * diff @ prec @ diff) / np.sqrt((2 * np.pi) ** d * np.linalg.det(cov))
        u = prec @ diff
        p, grad, hess = p + phi, grad - phi * u, hess + phi * (np.outer(u, u) - prec)
    return float(p), grad, hess


def _p_at(kind: str, mix, x: np.ndarray, t: float) -> float:
    _, _, a, v = _sde(kind, t)
    return _density(mix, a, v, x)[0]


def _div(field, x: np.ndarray) -> float:
    """Central-difference divergence of a vector field R^d -> R^d."""
    out = 0.0
    for i in range(len(x)):
        e = np.zeros(len(x))
        e[i] = _H_X
        out += (field(x + e)[i] - field(x - e)[i]) / (2 * _H_X)
    return out


def _dt(fun, t: float) -> float:
    return (fun(t + _H_T) - fun(t - _H_T)) / (2 * _H_T)


def _pts(d: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [{"x": rng.uniform(-2.5, 2.5, size=d), "t": float(rng.uniform(0.05, 0.95))} for _ in range(8)]


def _kfp_sides(kind: str, mix, x: np.ndarray, t: float) -> tuple[float, float]:
    c, g2, a, v = _sde(kind, t)
    _, _, hess = _density(mix, a, v, x)
    lhs = _dt(lambda s: _p_at(kind, mix, x, s), t)
    rhs = -_div(lambda y: c * y * _density(mix, a, v, y)[0], x) + g2 / 2 * np.trace(hess)
    return lhs, rhs


@functools.cache
def _kfp(kind: str, d: int = 1):
    mix = _MIX1 if d == 1 else _MIX2
    form = "dp/dt vs -div(f p) + g^2/2 Laplacian p" if d == 1 else "dp/dt vs tr(-d[f p]/dx + g^2/2 d^2p/dx^2)"
    return num_equal(lambda x, t: _kfp_sides(kind, mix, x, t)[0], lambda x, t: _kfp_sides(kind, mix, x, t)[1],
                     _pts(d, 41 + d), rtol=_RTOL, what=f"{d}-D {kind.upper()} SDE, mixture data: {form}")


@functools.cache
def _pf_ode(kind: str):
    def rhs(x, t):
        c, g2, a, v = _sde(kind, t)

        def flux(y):
            p, grad, _ = _density(_MIX1, a, v, y)
            return (c * y - g2 / 2 * grad / p) * p
        return -_div(flux, x)

    return num_equal(lambda x, t: _dt(lambda s: _p_at(kind, _MIX1, x, s), t), rhs, _pts(1, 44), rtol=_RTOL,
                     what=f"{kind.upper()}: dp_t/dt of the SDE marginals vs -div((f - g^2/2 score) p_t)")


@functools.cache
def _reverse(kind: str, lam: float):
    # tau = 1 - t: q_tau = p_(1-tau); drift -f(x, 1-tau) + lam g^2(1-tau) score, diffusion g (lam = 1) or 0 (lam = 1/2).
    def sides(x, tau):
        t = 1 - tau
        c, g2, a, v = _sde(kind, t)
        lhs = _dt(lambda s: _p_at(kind, _MIX1, x, 1 - s), tau)

        def flux(y):
            p, grad, _ = _density(_MIX1, a, v, y)
            return (-c * y + lam * g2 * grad / p) * p
        noise = g2 / 2 * np.trace(_density(_MIX1, a, v, x)[2]) if lam == 1 else 0.0
        return lhs, -_div(flux, x) + noise

    name = "reverse SDE" if lam == 1 else "reverse PF-ODE"
    return num_equal(lambda x, t: sides(x, t)[0], lambda x, t: sides(x, t)[1], _pts(1, 45), rtol=_RTOL,
                     what=f"{kind.upper()} {name} in tau = 1 - t: dq/dtau vs its KFP right side, q_tau = p_(1-tau)")


@functools.cache
def _langevin(d: int):
    mix = _MIX1 if d == 1 else _MIX2
    g2 = 1.0 if d == 1 else 1.5
    pts = [{"x": q["x"]} for q in _pts(d, 46)]

    def flux(y):  # f p with f = g^2/2 grad log p
        p, grad, _ = _density(mix, 1.0, 0.0, y)
        return g2 / 2 * grad / p * p

    def jac_flux(x):
        cols = []
        for i in range(d):
            e = np.zeros(d)
            e[i] = _H_X
            cols.append((flux(x + e) - flux(x - e)) / (2 * _H_X))
        return np.array(cols).T

    half_hess = lambda x: g2 / 2 * _density(mix, 1.0, 0.0, x)[2]  # noqa: E731
    return {"matrix": num_equal(lambda x: jac_flux(x), half_hess, pts, rtol=_RTOL, atol=1e-8,
                                what=f"{d}-D: d[f p]/dx vs g^2/2 d^2p/dx^2 for f = g^2/2 grad log p"),
            "trace": num_equal(lambda x: float(np.trace(jac_flux(x))), lambda x: float(np.trace(half_hess(x))), pts,
                               rtol=_RTOL, atol=1e-8,
                               what=f"{d}-D: tr(d[f p]/dx) vs tr(g^2/2 d^2p/dx^2) (their difference is the KFP right "
                                    "side) for f = g^2/2 grad log p"),
            "flux": num_equal(lambda x: flux(x), lambda x: g2 / 2 * _density(mix, 1.0, 0.0, x)[1], pts,
                              what=f"{d}-D: f p vs g^2/2 dp/dx for f = g^2/2 grad log p")}


def _jac(vec):
    return sp.Matrix(vec).jacobian([X1, X2])


def _hess(p):
    return sp.hessian(p, (X1, X2))


def _div_trace():
    v = [sp.Function(f"v{i}")(X1, X2, X0) for i in range(3)]
    xs = (X1, X2, X0)
    return sym_equal(sum(sp.diff(v[i], xs[i]) for i in range(3)), sp.Matrix(v).jacobian(xs).trace(),
                     what="sum_i dv_i/dx_i vs tr(dv/dx), m = 3")


def _laplace_trace():
    p = sp.Function("p")(X1, X2, X0)
    xs = (X1, X2, X0)
    return sym_equal(sum(sp.diff(p, v, 2) for v in xs), sp.hessian(p, xs).trace(),
                     what="Laplacian vs tr(Hessian), m = 3")


@functools.cache
def _generic_2d():
    p = sp.Function("p")(X1, X2, T)
    f = [sp.Function("f1")(X1, X2, T), sp.Function("f2")(X1, X2, T)]
    g = sp.Function("g")(T)
    grad_p = sp.Matrix([sp.diff(p, X1), sp.diff(p, X2)])
    score = sp.Matrix([sp.diff(sp.log(p), X1), sp.diff(sp.log(p), X2)])
    fv = sp.Matrix(f)
    return p, fv, g, grad_p, score


def _pf_proof_chain():
    p, fv, g, grad_p, score = _generic_2d()
    l1 = (-_jac(fv * p) + g**2 / 2 * _hess(p)).trace()
    l2 = (-_jac(fv * p - g**2 / 2 * grad_p)).trace()
    l3 = (-_jac(fv * p - g**2 / 2 * p * score)).trace()
    l4 = (-_jac((fv - g**2 / 2 * score) * p)).trace()
    return all_of(sym_equal(l1, l2, what="line 1 vs line 2"), sym_equal(l2, l3, what="line 2 vs line 3"),
                  sym_equal(l3, l4, what="line 3 vs line 4"))


def _pf_proof_chain_2():
    p, fv, g, _grad_p, score = _generic_2d()
    ft = fv - g**2 / 2 * score
    l1 = (-_jac((fv - g**2 / 2 * score) * p)).trace()
    l2 = (-_jac(ft * p)).trace()
    l3 = -sum(sp.diff((ft * p)[i], v) for i, v in enumerate((X1, X2)))
    return all_of(sym_equal(l1, l2, what="tr form with f-tilde"), sym_equal(l2, l3, what="tr(d[f-tilde p]/dx) = div"))


def _pf_as_sde_with_zero_noise():
    f, g, s, dt, dw = sp.symbols("f g s dt dw", real=True)
    return sym_equal((f - g**2 / 2 * s) * dt + 0 * dw, (f - g**2 / 2 * s) * dt, what="f-tilde dt + 0 dw")


def _score_identity_1d():
    p = sp.Function("p")(X, T)
    g = sp.Function("g")(T)
    return sym_equal(g**2 / 2 / p * sp.diff(p, X), g**2 / 2 * sp.diff(sp.log(p), X), what="(1/p) dp/dx vs d log p/dx")


def _em_local_error():
    # OU dx = -a x dt + g dw from x: exact one-step mean x e^{-a dt}, var g^2 (1 - e^{-2 a dt})/(2a);
    # the Euler-Maruyama step has mean x(1 - a dt), var g^2 dt: both errors are O(dt^2) (consistent scheme).
    a, g, x = 1.3, 0.8, 0.9

    def err(dt):
        return abs(x * np.exp(-a * dt) - x * (1 - a * dt)) + abs(g**2 * (-np.expm1(-2 * a * dt)) / (2 * a) - g**2 * dt)

    at = [{"dt": d} for d in (1e-2, 1e-3, 1e-4)]
    return num_compare(lambda dt: err(dt) / dt**2, "<=", lambda dt: 1.01 * (a**2 * x / 2 + a * g**2), at,
                       what="one-step moment error of Euler-Maruyama / dt^2 stays bounded (O(dt^2) local error)")


def _dt_one():
    x, f, g, e, dt = sp.symbols("x f g epsilon dt", real=True)
    return sym_equal((x + f * dt + g * e * sp.sqrt(dt)).subs(dt, 1), x + f + g * e,
                     what="Euler-Maruyama step at dt = 1")


def _reverse_ode():
    # dx/dt = -x + t, x(t) = t - 1 + (x0 + 1) e^{-t}; y(tau) = x(1 - tau) must solve dy/dtau = -f(y, 1 - tau).
    xt = T - 1 + (X0 + 1) * sp.exp(-T)
    y = xt.subs(T, 1 - TAU)
    return sym_equal(sp.diff(y, TAU), -(-y + (1 - TAU)), what="dy/dtau vs -f(y, 1 - tau)")


def _ula_discretization():
    eta, s, e = sp.symbols("eta s epsilon", real=True)
    eta = sp.Symbol("eta", positive=True)
    em = sym_equal(s / 2 * eta + 1 * sp.sqrt(eta) * e, eta / 2 * s + sp.sqrt(eta) * e,
                   what="Euler-Maruyama step of dx = 1/2 score dt + dw with dt = eta")
    v = 1.7

    def stat_var(eta):
        c = 1 - eta / (2 * v)
        return eta / (1 - c * c)  # fixed point of var <- c^2 var + eta

    bias = num_compare(lambda eta: abs(stat_var(eta) - v), "<=", lambda eta: eta / 2,
                       [{"eta": e_} for e_ in (0.2, 0.05, 0.01, 0.001)],
                       what="N(0, 1.7) target: |stationary variance - 1.7| <= eta/2 -> 0")
    return all_of(em, bias)


# ------------------------------------------------------------------------------------- the claims
CLAIMS: list[Claim] = [
    # --- L9: continuous-time flows
    Claim(id="000.L9.cov_composition", formulas=("000:3502",), theorem="flows.composition",
          meaning="p_theta is the density of x with f_K o ... o f_1(x) ~ p; df_k/df_{k-1} is the Jacobian of f_k at "
                  "its input f_{k-1} o ... o f_1(x) (f_0 = x). Checked in 1-D with f_1 = sinh, f_2(u) = 3u - 1, "
                  "p = N(0, 1), against the derivative of the CDF.",
          check=_composition_log_density),
    Claim(id="000.L9.discrete_flow_step_density", formulas=("000:3508",), theorem="change_of_variables.density",
          meaning="x_{t+1} = f(x_t) invertible; p(x_{t+1}) is the density of x_{t+1} at f(x_t). Checked for f = sinh, "
                  "x_t ~ N(0, 1), with the density of x_{t+1} from its CDF.",
          check=_one_step_density),
    Claim(id="000.L9.ode_ivp", formulas=("000:3516", "000:3567"), kind="definition",
          meaning="The ODE (neural ODE) with vector field f_theta and initial condition x(t_0) = x_0."),
    Claim(id="000.L9.ode_integral_form", formulas=("000:3518", "000:3595", "000:3597"),
          theorem="ode.picard_reversibility",
          meaning="The solution satisfies x(t_1) = x_0 + int_{t_0}^{t_1} f(x(t), t) dt (psi_1(x_0) = x(1) with "
                  "t_0 = 0, t_1 = 1). Checked on dx/dt = sin x with its closed-form solution (quadrature).",
          check=_integral_form),
    Claim(id="000.L9.flow_def", formulas=("000:3532",), kind="definition",
          meaning="The flow psi_t(x_0): the solution of the ODE as a function of its initial value."),
    Claim(id="000.L9.flow_integral_odesolve", formulas=("000:3536", "000:3542", "003:1032"),
          meaning="psi_t(x_0) with a free t on the left and the integral up to t_1 on the right; '≈ ODESolve' read as: "
                  "a numerical solver converges to psi_{t_1}(x_0) as its step shrinks. Checked on dx/dt = sin x: the "
                  "identity only at t = t_1, and Heun with n steps within 10/n^2 (dx/dt = cos(3t) x).",
          check=lambda: all_of(_psi_with_free_t(), _odesolve_approx()),
          corrected=r"\psi_{t_1}(\mathbf{x}_0) = \mathbf{x}_0 + \int_{t_0}^{t_1} "
                    r"\mathbf{f}_\theta(\psi_t(\mathbf{x}_0), t)"
                    r" dt \approx \texttt{ODESolve}_f(\mathbf{x}_0, \theta, t_0, t_1)"),
    Claim(id="003.L9.flow_integral", formulas=("003:994",),
          meaning="As 000:3536 without the solver: psi_t(x_0) with a free t equals x_0 + int_{t_0}^{t_1} f dt.",
          check=_psi_with_free_t,
          corrected=r"\psi_{t_1}(\mathbf{x}_0) = \mathbf{x}_0 + \int_{t_0}^{t_1} "
                    r"\mathbf{f}_\theta(\psi_t(\mathbf{x}_0), t) dt"),
    Claim(id="000.L9.euler_step", formulas=("000:3548", "000:3550", "000:3572"), theorem="ode.euler",
          meaning="The Euler update (the forward difference set equal to f) defines the numerical iterate; the claim "
                  "that iterating it solves the ODE is checked in its precise sense: global error O(h) (fitted order "
                  "1 on dx/dt = cos(3t) x, n = 40..320 steps).",
          check=_euler_order),
    Claim(id="000.L9.heun_step", formulas=("000:3554", "000:3556"), theorem="ode.heun",
          meaning="Heun's predictor-corrector update; checked: global error O(h^2) (fitted order 2 on "
                  "dx/dt = cos(3t) x).",
          check=_heun_order),
    Claim(id="000.L9.picard_reverse", formulas=("000:3599",), theorem="ode.picard_reversibility",
          meaning="x(0) = x(1) + int_1^0 f(x(t), t) dt, and integrating the ODE backwards from x(1) recovers x(0) "
                  "(dx/dt = sin x; quadrature and solve_ivp).",
          check=_reverse_integral_form),
    # --- L10: continuity equation
    Claim(id="000.L10.continuity_trajectory", formulas=("000:3648", "000:3755"), theorem="ode.continuity_equation",
          meaning="x(t) solves dx/dt = f(x, t) (deterministic); p_t the law of x(t). Checked on dx/dt = sin x, where "
                  "log p_t(x(t)) = log p_0(x_0) - log dpsi_t/dx_0 by the change of variables.",
          check=_continuity_along_trajectory),
    Claim(id="000.L10.continuity_solution", formulas=("000:3654",), theorem="ode.continuity_equation",
          meaning="Integrating the continuity equation along the trajectory from 0 to 1 (sin flow, quadrature).",
          check=_log_density_integral),
    Claim(id="000.L10.ode_to_differential", formulas=("000:3688",), kind="notation",
          meaning="The differential notation dx = f dt for dx/dt = f."),
    Claim(id="000.L10.sde_def", formulas=("000:3692", "000:3701", "000:3730"), kind="definition",
          meaning="The Ito SDE with drift f, scalar diffusion g(t) and Wiener increment dw = eps sqrt(dt)."),
    Claim(id="000.L10.euler_maruyama", formulas=("000:3718",), theorem="sde.euler_maruyama",
          meaning="The Euler-Maruyama step as a discretization of the SDE: its one-step mean and variance agree with "
                  "the exact transition to O(dt^2) (checked on an Ornstein-Uhlenbeck SDE).",
          check=_em_local_error),
    Claim(id="000.L10.euler_maruyama_dt1", formulas=("000:3722",), theorem="sde.euler_maruyama",
          meaning="The step of 000:3718 with dt = 1.",
          check=_dt_one),
    Claim(id="000.L10.kfp", formulas=("000:3736",), theorem="sde.kfp",
          meaning="p_t the law of x(t) for the SDE (Ito, scalar g). Checked for the VP and VE SDEs with 1-D "
                  "Gaussian-mixture data, whose marginals are exact mixtures.",
          check=lambda: all_of(_kfp("vp"), _kfp("ve"))),
    Claim(id="000.L10.div_trace", formulas=("000:3740",),
          meaning="Divergence of a field v: R^m -> R^m (m = 3, generic).",
          check=_div_trace),
    Claim(id="000.L10.laplace_trace", formulas=("000:3742",), meaning="Laplacian of a scalar p (m = 3, generic).",
          check=_laplace_trace),
    Claim(id="000.L10.kfp_trace_form", formulas=("000:3744", "000:3750"), theorem="sde.kfp",
          meaning="The KFP equation written with traces of the Jacobian of f p and of the Hessian of p; checked for "
                  "the 2-D VP and VE SDEs with a 2-component full-covariance mixture as data.",
          check=lambda: all_of(_kfp("vp", 2), _kfp("ve", 2))),
    Claim(id="000.L10.stationary_iff", formulas=("000:3761",), theorem="sde.langevin_stationary",
          meaning="By KFP, dp/dt is the trace expression, so one vanishes iff the other does. Checked: the trace "
                  "expression equals dp/dt (2-D VP), and vanishes for a stationary (Langevin) pair.",
          check=lambda: all_of(_kfp("vp", 2), _langevin(2)["trace"])),
    Claim(id="000.L10.langevin_matrix_condition", formulas=("000:3767",), theorem="sde.langevin_stationary",
          meaning="Read as the (sufficient) condition chosen for stationarity: the matrix equation, whose trace is the "
                  "equation of 000:3761. Checked: it holds for f = g^2/2 grad log p (2-D mixture p) and implies the "
                  "trace equation.",
          check=lambda: all_of(_langevin(2)["matrix"], _langevin(2)["trace"]),
          note="Dropping the trace is a choice, not an equivalence, for m >= 2 (other drifts, e.g. adding a "
               "divergence-free flux, also leave p invariant)."),
    Claim(id="000.L10.langevin_flux", formulas=("000:3769",), theorem="sde.langevin_stationary",
          meaning="Integrating 000:3767 with zero integration constant: f p = g^2/2 dp/dx; checked for the Langevin "
                  "drift on the 2-D mixture.",
          check=lambda: _langevin(2)["flux"]),
    Claim(id="000.L10.langevin_drift", formulas=("000:3771",), theorem="sde.langevin_stationary",
          meaning="Solving for f: (1/p) dp/dx = d log p/dx (generic p), and this drift makes p stationary (KFP right "
                  "side 0 for a 1-D mixture, g = 1).",
          check=lambda: all_of(_score_identity_1d(), _langevin(1)["trace"])),
    Claim(id="000.L10.langevin_sde", formulas=("000:3775",), theorem="sde.langevin_stationary",
          meaning="With g = 1 the Langevin SDE keeps p_t = p (KFP right side 0; 1-D and 2-D mixtures).",
          check=lambda: all_of(_langevin(1)["trace"], _langevin(2)["trace"])),
    Claim(id="000.L10.discretized_langevin", formulas=("000:3785", "000:3789"), theorem="langevin.stationary",
          meaning="The Euler-Maruyama step of the Langevin SDE with dt = eta; '≈' read as: its stationary law tends "
                  "to p as eta -> 0 (Gaussian target: variance bias <= eta/2).",
          check=_ula_discretization),
    Claim(id="000.L10.ode_differential", formulas=("000:3807",), kind="notation",
          meaning="The ODE dx = f(x, t) dt."),
    Claim(id="000.L10.continuity_equivalence", formulas=("000:3809",), theorem="ode.continuity_equation",
          meaning="f_theta on the left is the f on the right. The trajectory form and the PDE form of the continuity "
                  "equation, both checked for the sin flow with p_0 = N(0.3, 0.25).",
          check=_continuity_both),
    Claim(id="000.L10.pf_ode", formulas=("000:3828", "000:3861", "000:3964"), theorem="sde.probability_flow_ode",
          meaning="The ODE with drift f - g^2/2 grad log p_t has the marginals p_t of the SDE: checked that the SDE "
                  "marginals solve its continuity equation (VP and VE SDEs, mixture data).",
          check=lambda: all_of(_pf_ode("vp"), _pf_ode("ve"))),
    Claim(id="000.L10.pf_proof", formulas=("000:3842",), theorem="sde.probability_flow_ode",
          meaning="Each step of the proof, for generic p(x, t), f(x, t), g(t) in 2-D.",
          check=_pf_proof_chain),
    Claim(id="000.L10.pf_proof_cont", formulas=("000:3848",), theorem="sde.probability_flow_ode",
          meaning="With f-tilde = f - g^2/2 grad log p: the trace form is -div(f-tilde p) (generic 2-D).",
          check=_pf_proof_chain_2),
    Claim(id="000.L10.pf_tilde_def", formulas=("000:3850",), kind="definition",
          meaning="f-tilde and g-tilde = 0 define the probability flow ODE as an SDE without noise."),
    Claim(id="000.L10.pf_as_sde", formulas=("000:3852",), theorem="sde.probability_flow_ode",
          meaning="Substituting g-tilde = 0 and f-tilde.",
          check=_pf_as_sde_with_zero_noise),
    Claim(id="000.L10.pf_kfp", formulas=("000:3855",), theorem="sde.probability_flow_ode",
          meaning="KFP for the SDE (f-tilde, g-tilde = 0) is the continuity equation of the PF-ODE, satisfied by the "
                  "marginals of the original SDE (VP and VE, mixture data).",
          check=lambda: all_of(_pf_ode("vp"), _pf_ode("ve"))),
    Claim(id="000.L10.sde_label", formulas=("000:3859", "000:3962"), kind="notation",
          meaning="The forward SDE, labelled."),
    Claim(id="000.L10.euler_signed_dt", formulas=("000:3880",), kind="notation",
          meaning="The Euler step of an ODE, with dt of either sign."),
    Claim(id="000.L10.reverse_ode", formulas=("000:3888",), theorem="ode.picard_reversibility",
          meaning="tau = 1 - t; y(tau) = x(1 - tau) solves dy/dtau = -f(y, 1 - tau). Checked for dx/dt = -x + t "
                  "(closed-form solution).",
          check=_reverse_ode),
    Claim(id="000.L10.reverse_sde", formulas=("000:3897", "000:3966"), theorem="sde.reverse_sde",
          meaning="Run with dt < 0 from t = 1 to 0, i.e. in tau = 1 - t (the slide's own reading, 000:3953): "
                  "dx = (-f + g^2 score)(x, 1 - tau) dtau + g dw has marginals q_tau = p_(1-tau). Checked by KFP in "
                  "tau for the VP and VE SDEs with mixture data.",
          check=lambda: all_of(_reverse("vp", 1), _reverse("ve", 1))),
    Claim(id="000.L10.reverse_pf_ode", formulas=("000:3933",), theorem="sde.reverse_sde",
          meaning="The PF-ODE reversed in tau = 1 - t has marginals p_(1-tau) (continuity equation in tau; VP, VE).",
          check=lambda: all_of(_reverse("vp", 0.5), _reverse("ve", 0.5))),
    Claim(id="000.L10.reverse_sde_tau", formulas=("000:3939", "000:3953"), theorem="sde.pf_ode_plus_langevin",
          meaning="Adding g^2/2 score to the drift and g dw to the reversed PF-ODE keeps the marginals p_(1-tau): KFP "
                  "in tau for the VP and VE SDEs with mixture data.",
          check=lambda: all_of(_reverse("vp", 1), _reverse("ve", 1))),
]
