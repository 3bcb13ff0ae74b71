"""000 Lecture 9 (continuous-time flows, ODE solvers) and Lecture 10 (continuity equation, SDEs, KFP,
probability flow ODE, reverse SDE), with the 003 build-up slides of the same formulas.

Claims linked to a registry theorem compute their reference side with that theorem's oracle
(``dgmcheck.theory``): the change of variables and composition of flows (``theory.flows``); the linear
test ODE ``dx/dt = (alpha + beta t)(A x + b)`` with its exact solution, flow matrix and pushed-forward
Gaussian density (``theory.ode``); Euler-Maruyama moments (``theory.sde``); the exact marginals of the
VP / VE SDEs with Gaussian-mixture data and their closed-form derivatives, plus the symbolic 1-D KFP /
PF-ODE / reverse-SDE / Langevin residuals (``theory.fokker_planck``); the ULA transition and stationary
law (``theory.langevin``). The slide's side is transcribed from the formula as written. Unlinked claims
about the flow integral use the autonomous flow dx/dt = sin x (closed-form flow
psi_t(x0) = 2 atan(tan(x0/2) e^t)).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import sympy as sp
from scipy import integrate

from dgmcheck.audit.formulas import Place
from dgmcheck.audit.model import Claim, all_of, num_compare, num_equal, points, slip, sym_equal
from dgmcheck.theory import flows as flows_th
from dgmcheck.theory import fokker_planck as fpk
from dgmcheck.theory import langevin as lgv
from dgmcheck.theory import ode as ode_th
from dgmcheck.theory import quadrature
from dgmcheck.theory import sde as sde_th
from dgmcheck.theory.gaussian_mixture import GaussianMixture

X, T, TAU, X0 = sp.symbols("x t tau x_0", real=True)
X1, X2 = sp.symbols("x_1 x_2", real=True)
HALF = 0.5  # the slides' 1/2 in front of g^2 (KFP, PF-ODE)


# ------------------------------------------------------------------------------- the sin flow
def _psi(x0, t):
    return 2 * np.arctan(np.tan(x0 / 2) * np.exp(t))


# ------------------------------------------------------------------- flows: change of variables
_W_FLOW = np.array([[1.2, 0.4], [-0.3, 0.9]])


def _flow_f(x):  # x_{t+1} = f(x_t) = W sinh(x_t): invertible, J_f = W diag(cosh x)
    return _W_FLOW @ np.sinh(x)


def _flow_jac(x):
    return _W_FLOW * np.cosh(x)[None, :]


def _composition_log_density():
    # p_theta: the law of x with f_2(f_1(x)) ~ N(0, I), f_1(x) = W sinh(x), f_2(u) = 3u - 1 (2-D).
    f2_jac = 3.0 * np.eye(2)

    def slide(x):  # log p(f_2 o f_1(x)) + sum_k log|det df_k/df_{k-1}|, p = N(0, I)
        z = 3.0 * _flow_f(x) - 1.0
        return (-0.5 * z @ z - np.log(2 * np.pi) + np.log(abs(np.linalg.det(_flow_jac(x))))
                + np.log(abs(np.linalg.det(f2_jac))))

    def oracle(x):
        u = _flow_f(x)
        log_det = flows_th.composition_log_det([flows_th.log_abs_det(_flow_jac(x)), flows_th.log_abs_det(f2_jac)])
        return float(flows_th.flow_log_density(3.0 * u - 1.0, log_det))

    at = points(10, seed=37, x=lambda r: r.uniform(-1.5, 1.5, size=2))
    norm = num_equal(lambda: flows_th.normalization_1d(
        lambda x: (-0.5 * (3 * np.sinh(x) - 1) ** 2 - 0.5 * np.log(2 * np.pi) + np.log(np.cosh(x)) + np.log(3.0))
        if abs(x) < 20 else -np.inf),
        lambda: 1.0, [{}], rtol=1e-8,
        what="1-D instance (f_1 = sinh, f_2 = 3u - 1): the slide's log p_theta integrates to 1 "
             "(flows.normalization_1d)")
    return all_of(num_equal(slide, oracle, at, what="slide's log p_theta(x) vs theory.flows.flow_log_density("
                                                    "f_2 o f_1(x), composition_log_det(...)), 2-D"), norm)


def _one_step_density():
    # x_t ~ N(0, I), x_{t+1} = f(x_t) = W sinh(x_t). Oracle: x_t = f^{-1}(x_{t+1}) is a flow of x_{t+1} to the
    # base N(0, I) with log|det J_{f^{-1}}| = -log|det J_f(x_t)| (change_of_variables.inverse_function).
    def slide(x):  # log p(x_{t+1}) = log p(x_t) - log|det df/dx_t|
        return -0.5 * x @ x - np.log(2 * np.pi) - np.log(abs(np.linalg.det(_flow_jac(x))))

    def oracle(x):
        return float(flows_th.flow_log_density(x, -flows_th.log_abs_det(_flow_jac(x))))

    at = points(10, seed=38, x=lambda r: r.uniform(-2.0, 2.0, size=2))
    norm = num_equal(lambda: flows_th.normalization_1d(
        lambda y: -0.5 * np.arcsinh(y) ** 2 - 0.5 * np.log(2 * np.pi) - np.log(np.cosh(np.arcsinh(y)))),
        lambda: 1.0, [{}], rtol=1e-8,
        what="1-D instance f = sinh: the slide's log p(x_{t+1}) as a function of x_{t+1} integrates to 1")
    return all_of(num_equal(slide, oracle, at, what="slide's log p(x_{t+1}) vs theory.flows.flow_log_density(x_t, "
                                                    "-log_abs_det(J_f(x_t))), f = W sinh"), norm)


# ------------------------------------------------------------- the linear test ODE (theory.ode)
_A = np.array([[-0.5, 0.8], [-0.3, 0.2]])
_B = np.array([0.3, -0.2])
_AL, _BE = 0.7, 0.6  # dx/dt = (alpha + beta t)(A x + b)
_M0, _S0 = np.array([0.2, -0.4]), np.array([[0.5, 0.1], [0.1, 0.3]])


def _lin_f(x, t):
    return ode_th.linear_field(_A, _B, _AL, _BE, np.atleast_2d(x), t)[0]


def _lin_x(x0, t0, t1):
    return ode_th.linear_solution(_A, _B, _AL, _BE, np.atleast_2d(x0), t0, t1)[0]


_X0_PTS = points(4, seed=34, x0=lambda r: r.uniform(-1.5, 1.5, size=2))
_GL_T, _GL_W = quadrature.legendre(16)  # Gauss-Legendre on [-1, 1]: f(x(t), t) is entire in t


def _int_f(x0, lo, hi):
    """int_lo^hi f(x(t), t) dt along the exact trajectory from x(0) = x0 (16-node Gauss-Legendre)."""
    ts = lo + (hi - lo) * (_GL_T + 1) / 2
    return (hi - lo) / 2 * sum(w * _lin_f(_lin_x(x0, 0.0, t), t) for w, t in zip(_GL_W, ts, strict=True))


def _integral_form():
    def slide(x0):  # x(t_1) = int_{t_0}^{t_1} f(x(t), t) dt + x_0, t_0 = 0, t_1 = 1
        return _int_f(x0, 0.0, 1.0) + x0

    return num_equal(lambda x0: _lin_x(x0, 0.0, 1.0), slide, _X0_PTS,
                     what="theory.ode.linear_solution x(1) vs x_0 + int_0^1 f(x(t), t) dt (linear test ODE, 2-D)")


def _reverse_integral_form():
    def slide(x0):  # x(0) = x(1) + int_1^0 f(x(t), t) dt
        return _lin_x(x0, 0.0, 1.0) + _int_f(x0, 1.0, 0.0)

    backward = num_equal(lambda x0: x0, slide, _X0_PTS, what="x(0) vs x(1) + int_1^0 f dt (x(t) by theory.ode)")
    recovered = num_equal(lambda x0: _lin_x(_lin_x(x0, 0.0, 1.0), 1.0, 0.0), lambda x0: x0, _X0_PTS,
                          what="theory.ode.linear_solution from x(1) back to t = 0 recovers x(0)")
    inverse = num_equal(lambda: ode_th.flow_matrix(_A, _AL, _BE, 1.0, 0.0) @ ode_th.flow_matrix(_A, _AL, _BE, 0.0, 1.0),
                        lambda: np.eye(2), [{}], what="flow matrices Phi(1 -> 0) Phi(0 -> 1) = I")
    return all_of(backward, recovered, inverse)


def _reverse_ode():
    # tau = 1 - t: the slide's ODE dx/dtau = -f(x, 1 - tau) solved from x(t = 1) must follow x(1 - tau).
    def slide(x0, tau):
        sol = integrate.solve_ivp(lambda s, y: -_lin_f(y, 1.0 - s), (0.0, tau), _lin_x(x0, 0.0, 1.0),
                                  rtol=1e-12, atol=1e-13)
        return sol.y[:, -1]

    at = [{"x0": p["x0"], "tau": tau} for p, tau in zip(_X0_PTS, (0.3, 0.6, 0.9, 1.0), strict=True)]
    return num_equal(slide, lambda x0, tau: _lin_x(x0, 0.0, 1.0 - tau), at, rtol=1e-8,
                     what="solution of dx/dtau = -f(x, 1 - tau) from x(1) vs theory.ode.linear_solution at t = 1 - tau")


_A_ORDER = np.array([[-0.9, 1.1], [-0.7, -0.4]])  # ||A||_2 <= 2, autonomous dx/dt = A x, T = 1


def _slide_euler(f, x, t, h):
    return x + h * f(x, t)  # x(t + h) = x(t) + h f(x(t), t)


def _slide_heun(f, x, t, h):
    xp = x + h * f(x, t)  # x'(t + h) = x(t) + h f(x(t), t)
    return x + h / 2 * (f(x, t) + f(xp, t + h))


def _scheme_order(step) -> float:
    x0 = np.array([[0.8, -0.5]])
    exact = ode_th.linear_solution(_A_ORDER, np.zeros(2), 1.0, 0.0, x0, 0.0, 1.0)

    def field(x, t):
        return ode_th.linear_field(_A_ORDER, np.zeros(2), 1.0, 0.0, x, t)

    errs = []
    for n in ode_th.N_LADDER:
        x, h = x0, 1.0 / n
        for i in range(n):
            x = step(field, x, i * h, h)
        errs.append(float(np.linalg.norm(x - exact)))
    return ode_th.fitted_order(np.array([1.0 / n for n in ode_th.N_LADDER]), np.array(errs))


def _method_check(slide_step, oracle_step, order: int, name: str):
    at = [{"x": p["x0"], "t": t, "h": h}
          for p, t, h in zip(_X0_PTS[:3], (0.1, 0.4, 0.7), (0.05, -0.1, 0.2), strict=True)]
    one = num_equal(lambda x, t, h: slide_step(_lin_f, x, t, h), lambda x, t, h: oracle_step(_lin_f, x, t, h), at,
                    what=f"slide's {name} update vs theory.ode.{oracle_step.__name__}")
    fitted = num_compare(lambda: abs(_scheme_order(slide_step) - order), "<", lambda: ode_th.ORDER_BAND, [{}],
                         what=f"|fitted global order of the slide's {name} iteration (theory.ode.fitted_order, exact "
                              f"linear_solution, h = 1/16..1/128) - {order}| < {ode_th.ORDER_BAND}")
    return all_of(one, fitted)


def _euler_order():
    return _method_check(_slide_euler, ode_th.euler_step, ode_th.EULER_ORDER, "Euler")


def _heun_order():
    return _method_check(_slide_heun, ode_th.heun_step, ode_th.HEUN_ORDER, "Heun")


# ------------------------------------------------------ continuity equation (theory.ode pushforward)
_H_T, _H_X = 1e-5, 1e-5
_TRAJ_PTS = points(4, seed=31, x0=lambda r: r.uniform(-1.5, 1.5, size=2), t=(0.05, 1.0))


def _log_p(t, x):
    """log p_t(x) of x(0) ~ N(m, S) pushed by the linear test flow (theory.ode.pushforward_logpdf)."""
    return float(ode_th.pushforward_logpdf(_A, _B, _AL, _BE, _M0, _S0, 0.0, t, np.atleast_2d(x))[0])


def _tr_jac(t):  # tr(df/dx) of f = (alpha + beta t)(A x + b)
    return (_AL + _BE * t) * float(np.trace(_A))


def _continuity_along_trajectory():
    def lhs(x0, t):  # d log p_t(x(t)) / dt along the exact trajectory (central difference of exact values)
        return (_log_p(t + _H_T, _lin_x(x0, 0.0, t + _H_T)) - _log_p(t - _H_T, _lin_x(x0, 0.0, t - _H_T))) / (2 * _H_T)

    return num_equal(lhs, lambda x0, t: -_tr_jac(t), _TRAJ_PTS, rtol=1e-6,
                     what="d/dt log p_t(x(t)) (theory.ode.pushforward_logpdf along linear_solution) vs -tr(df/dx)")


def _continuity_pde():
    def grad_log_p(x, t):
        e = np.eye(2) * _H_X
        return np.array([(_log_p(t, x + e[i]) - _log_p(t, x - e[i])) / (2 * _H_X) for i in range(2)])

    def lhs(x0, t):  # (dp_t/dt)(x) / p_t(x)
        x = _lin_x(x0, 0.0, t)
        return (_log_p(t + _H_T, x) - _log_p(t - _H_T, x)) / (2 * _H_T)

    def rhs(x0, t):  # -div(f p_t)(x) / p_t(x) = -(tr df/dx + f . grad log p_t)
        x = _lin_x(x0, 0.0, t)
        return -(_tr_jac(t) + _lin_f(x, t) @ grad_log_p(x, t))

    return num_equal(lhs, rhs, _TRAJ_PTS, rtol=1e-6,
                     what="dp_t/dt vs -div(f p_t), divided by p_t (p_t by theory.ode.pushforward_logpdf)")


def _continuity_both():
    return all_of(_continuity_pde(), _continuity_along_trajectory())


def _log_density_integral():
    def slide(x0):  # log p_0(x(0)) - int_0^1 tr(df/dx) dt
        return _log_p(0.0, x0) - integrate.quad(_tr_jac, 0.0, 1.0, epsabs=1e-13)[0]

    integral = num_equal(lambda x0: _log_p(1.0, _lin_x(x0, 0.0, 1.0)), slide, _X0_PTS,
                         what="log p_1(x(1)) (theory.ode.pushforward_logpdf) vs log p_0(x(0)) - int_0^1 tr(df/dx) dt")
    change = num_equal(lambda: ode_th.log_density_change(_A, _AL, _BE, 0.0, 1.0),
                       lambda: -integrate.quad(_tr_jac, 0.0, 1.0, epsabs=1e-13)[0], [{}],
                       what="theory.ode.log_density_change vs -int_0^1 tr(df/dx) dt")
    return all_of(integral, change)


# ------------------------------------------------------------------------------ the flow integral
def _psi_free_t_and_t1():
    """(psi_t(x0) at a free t = 0.5 vs x0 + int_0^1 f, as written; psi_{t_1}(x0) at t_1 = 1, corrected)."""
    at_t1 = points(5, seed=36, x0=(-2.5, 2.5))
    integral = lambda x0: x0 + integrate.quad(lambda s: np.sin(_psi(x0, s)), 0, 1, epsabs=1e-13)[0]  # noqa: E731
    free = num_equal(lambda x0: _psi(x0, 0.5), integral, at_t1, what="psi_t(x0) at t = 0.5 vs x0 + int_0^1 f")
    at_upper = num_equal(lambda x0: _psi(x0, 1.0), integral, at_t1,
                         what="psi_{t_1}(x0) at t_1 = 1 vs x0 + int_0^1 f (t_0 = 0, the time of psi_0(x0) = x0)")
    return free, at_upper


_WHY_T1 = ("a wrong subscript: the integral runs to the fixed upper limit t_1, so the left side is psi_{t_1}(x_0), "
           "not psi_t at a free t; the flow defined two lines above, psi: R^m x [t_0, t_1] -> R^m with "
           "psi_0(x_0) = x_0, fixes the meaning")


def _psi_with_free_t():
    free, at_upper = _psi_free_t_and_t1()
    return slip(free, at_upper, evidence=(Place("003", "L9", "Flow", 988), Place("003", "L9", "Flow", 990)),
                why=_WHY_T1)


def _flow_integral_odesolve():
    free, at_upper = _psi_free_t_and_t1()
    return slip(free, all_of(at_upper, _odesolve_approx()),
                evidence=(Place("000", "L9", "Flow", 3530), Place("000", "L9", "Flow", 3532),
                          Place("000", "L9", "Numerical Solution of ODEs", 3538)),
                why=_WHY_T1 + "; ODESolve_f(x_0, theta, t_0, t_1) on the right (and in the line after) also ends at "
                "t_1")


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


def _odesolve_approx():
    err = {n: abs(_solve(1.1, n, True) - 1.1 * np.exp(np.sin(3.0) / 3)) for n in (10, 100, 1000)}
    return num_compare(lambda n: err[n], "<", lambda n: 10.0 / n**2, [{"n": n} for n in err],
                       what="|ODESolve (Heun, n steps) - psi_1(x0)| < 10/n^2 -> 0 (dx/dt = cos(3t) x)")


# ------------------------------------------------------------------------------------ SDE models
# The VP (beta(t) = 0.1 + 4t) and VE (sigma(t) = 0.1 * 20^t) SDEs with Gaussian-mixture data: the marginals p_t
# are exact mixtures; theory.fokker_planck.path_derivatives gives dp_t/dt / p_t, grad log p_t, Laplacian p_t / p_t
# and the Jacobian of the score in closed form. The slides' right sides are built from those, divided by p_t.
_SPECS = {"vp": fpk.SDESpec("vp", 0.1, 4.1), "ve": fpk.SDESpec("ve", 0.1, 2.0)}
_MIX = {1: GaussianMixture(np.array([0.4, 0.6]), np.array([[-1.0], [1.2]]), np.array([[[0.2]], [[0.5]]])),
        2: GaussianMixture(np.array([0.4, 0.6]), np.array([[-1.0, 0.5], [1.0, -0.5]]),
                           np.array([[[0.5, 0.2], [0.2, 0.3]], [[0.3, -0.1], [-0.1, 0.4]]]))}


@functools.cache
def _sym_residual(name: str, *args, **kwargs):
    """A symbolic residual of theory.fokker_planck (exact sympy; cached, several claims use the same one)."""
    return getattr(fpk, name)(*args, **kwargs)


def _pts(d: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [{"x": rng.uniform(-2.5, 2.5, size=d), "t": float(rng.uniform(0.05, 0.95))} for _ in range(8)]


def _at(kind: str, d: int, x: np.ndarray, t: float):
    """(path derivatives, exact drifts) of the marginal p_t at one point x."""
    spec, mix = _SPECS[kind], _MIX[d]
    xx = np.atleast_2d(x)
    return fpk.path_derivatives(spec, mix, t, xx), fpk.exact_drifts(spec, mix, t, xx)


def _kfp(kind: str, d: int = 1):
    def lhs(x, t):  # dp_t/dt / p_t (exact)
        return float(_at(kind, d, x, t)[0].dt[0])

    def rhs(x, t):  # the slide: -div(f p) + 1/2 g^2 Laplacian p  (= tr(-d[f p]/dx + 1/2 g^2 d^2p/dx^2)), over p
        der, dr = _at(kind, d, x, t)
        return float(-(dr["div_f"][0] + dr["f"][0] @ der.score[0]) + HALF * dr["g2"] * der.lap[0])

    form = "dp/dt vs -div(f p) + g^2/2 Laplacian p" if d == 1 else "dp/dt vs tr(-d[f p]/dx + g^2/2 d^2p/dx^2)"
    numeric = num_equal(lhs, rhs, _pts(d, 41 + d),
                        what=f"{d}-D {kind.upper()} SDE, mixture data, exact p_t (theory.fokker_planck): {form}")
    symbolic = sym_equal(_sym_residual("kfp_residual_1d", kind, second_order=sp.Rational(1, 2)), 0,
                         what=f"theory.fokker_planck.kfp_residual_1d({kind!r}) with the slide's coefficient 1/2")
    return all_of(numeric, symbolic)


def _pf_ode(kind: str):
    def rhs(x, t):  # -div((f - 1/2 g^2 grad log p_t) p_t) / p_t, the slide's drift
        der, dr = _at(kind, 1, x, t)
        v = dr["f"][0] - HALF * dr["g2"] * der.score[0]
        div_v = dr["div_f"][0] - HALF * dr["g2"] * der.div_score[0]
        return float(-(div_v + v @ der.score[0]))

    numeric = num_equal(lambda x, t: float(_at(kind, 1, x, t)[0].dt[0]), rhs, _pts(1, 44),
                        what=f"{kind.upper()}: dp_t/dt of the SDE marginals vs -div((f - g^2/2 score) p_t), over p_t")
    symbolic = sym_equal(_sym_residual("pf_ode_residual_1d", kind, score_weight=sp.Rational(1, 2)), 0,
                         what=f"theory.fokker_planck.pf_ode_residual_1d({kind!r}) with the slide's weight 1/2")
    return all_of(numeric, symbolic)


def _reverse(kind: str, lam: float):
    # tau = 1 - t, q_tau = p_(1-tau): the slide's drift in tau is -f(x, 1-tau) + lam g^2 score, diffusion g (lam = 1,
    # reverse SDE) or none (lam = 1/2, reversed PF-ODE). KFP in tau: dq/dtau = -div(b q) + noise * 1/2 g^2 Laplacian q.
    def sides(x, tau):
        der, dr = _at(kind, 1, x, 1.0 - tau)
        b = -dr["f"][0] + lam * dr["g2"] * der.score[0]
        div_b = -dr["div_f"][0] + lam * dr["g2"] * der.div_score[0]
        noise = HALF * dr["g2"] * der.lap[0] if lam == 1 else 0.0
        return float(-der.dt[0]), float(-(div_b + b @ der.score[0]) + noise)

    name = "reverse SDE" if lam == 1 else "reverse PF-ODE"
    numeric = num_equal(lambda x, t: sides(x, t)[0], lambda x, t: sides(x, t)[1], _pts(1, 45),
                        what=f"{kind.upper()} {name} in tau = 1 - t: dq/dtau vs its KFP right side, q_tau = p_(1-tau)")
    if lam == 1:
        symbolic = sym_equal(_sym_residual("reverse_kfp_residual_1d", kind, score_weight=1), 0,
                             what=f"theory.fokker_planck.reverse_kfp_residual_1d({kind!r}), score weight 1 (slide)")
    else:  # a deterministic ODE reversed in time has the same continuity equation with both signs flipped
        symbolic = sym_equal(_sym_residual("pf_ode_residual_1d", kind, score_weight=sp.Rational(1, 2)), 0,
                             what=f"theory.fokker_planck.pf_ode_residual_1d({kind!r}), weight 1/2 (reversed PF-ODE)")
    return all_of(numeric, symbolic)


def _pf_plus_langevin():
    parts = [sym_equal(r, 0, what=f"theory.fokker_planck.pf_ode_plus_langevin_1d({k!r}) part {i}")
             for k in ("vp", "ve") for i, r in enumerate(_sym_residual("pf_ode_plus_langevin_1d", k))]
    return all_of(_reverse("vp", 1), _reverse("ve", 1), *parts)


def _langevin(d: int):
    # Time-independent p = the data mixture (p_0 of the VP spec: a = 1, s^2 = 0); f = g^2/2 grad log p.
    g2 = 1.0 if d == 1 else 1.5
    pts = [{"x": q["x"]} for q in _pts(d, 46)]

    def der(x):
        d0 = fpk.path_derivatives(_SPECS["vp"], _MIX[d], 0.0, np.atleast_2d(x))
        return dataclasses.replace(d0, dt=np.zeros(1))  # stationary p: no time dependence

    def f(x):
        return HALF * g2 * der(x).score[0]

    def jac_fp(x):  # d[f p]/dx / p = df/dx + f (grad log p)^T, df/dx = g^2/2 Hessian of log p
        dd = der(x)
        return HALF * g2 * dd.jac_score[0] + np.outer(f(x), dd.score[0])

    def hess_p(x):  # (d^2 p/dx^2) / p = Hessian of log p + s s^T
        dd = der(x)
        return dd.jac_score[0] + np.outer(dd.score[0], dd.score[0])

    def kfp_rhs(x):  # the KFP right side over p, tr(-d[f p]/dx + g^2/2 d^2p/dx^2) / p, by theory.fokker_planck
        dd = der(x)
        return float(-fpk.kfp_residual(dd, f(x)[None], np.array([HALF * g2 * dd.div_score[0]]), g2)[0])

    symbolic = sym_equal(_sym_residual("langevin_stationary_residual_1d", convention="lecture"), 0,
                         what="theory.fokker_planck.langevin_stationary_residual_1d (f = 1/2 d log p/dx, g = 1)")
    return {"matrix": num_equal(jac_fp, lambda x: HALF * g2 * hess_p(x), pts,
                                what=f"{d}-D: d[f p]/dx vs g^2/2 d^2p/dx^2 (over p) for f = g^2/2 grad log p"),
            "trace": all_of(num_equal(kfp_rhs, lambda x: 0.0, pts,
                                      what=f"{d}-D: tr(-d[f p]/dx + g^2/2 d^2p/dx^2) / p (theory.fokker_planck."
                                           "kfp_residual, dp/dt = 0) for f = g^2/2 grad log p"), symbolic),
            "flux": num_equal(f, lambda x: HALF * g2 * der(x).score[0], pts,
                              what=f"{d}-D: f p vs g^2/2 dp/dx (over p) for f = g^2/2 grad log p")}


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
    written = sym_equal((f - g**2 / 2 * s) * dt + 0 * dw, (f - g**2 / 2 * s) * dt, what="f-tilde dt + 0 dw")

    def slide(kind, x, t):  # f - 1/2 g^2 d/dx log p_t, from the exact f, g^2 and score
        der, dr = _at(kind, 1, x, t)
        return dr["f"][0] - HALF * dr["g2"] * der.score[0]

    drift = all_of(*(num_equal(lambda x, t, k=k: slide(k, x, t), lambda x, t, k=k: _at(k, 1, x, t)[1]["pf"][0],
                               _pts(1, 47), what=f"{k.upper()}: slide's f-tilde vs fokker_planck.exact_drifts pf")
                     for k in ("vp", "ve")))
    return all_of(written, drift)


def _score_identity_1d():
    p = sp.Function("p")(X, T)
    g = sp.Function("g")(T)
    return sym_equal(g**2 / 2 / p * sp.diff(p, X), g**2 / 2 * sp.diff(sp.log(p), X), what="(1/p) dp/dx vs d log p/dx")


# OU test SDE dx = -a x dt + g dw (theory.sde: f(t) = -a, g(t)^2 = g^2).
_OU_A, _OU_G2, _OU_X = 1.3, 0.64, 0.9


def _em_local_error():
    # The slide's step x + f dt + g eps sqrt(dt) from x has mean x(1 - a dt), variance g^2 dt (eps ~ N(0, 1)).
    def f(t):
        return -_OU_A

    def g2(t):
        return _OU_G2

    def slide(dt):
        return np.array([_OU_X * (1 - _OU_A * dt), _OU_G2 * dt])

    def em(dt):
        m, v = sde_th.em_moments(f, g2, [0.0, dt], m0=_OU_X)
        return np.array([m[-1], v[-1]])

    def err(dt):  # |slide moments - exact moments (theory.sde.moments_quadrature)|
        return float(np.sum(np.abs(slide(dt) - np.array(sde_th.moments_quadrature(f, g2, dt, m0=_OU_X)))))

    at = [{"dt": d} for d in (1e-2, 1e-3, 1e-4)]
    same = num_equal(slide, em, at, what="slide's one-step mean and variance vs theory.sde.em_moments")
    local = num_compare(lambda dt: err(dt) / dt**2, "<=", lambda dt: 1.01 * (_OU_A**2 * _OU_X / 2 + _OU_A * _OU_G2), at,
                        what="|one-step moments - exact (theory.sde.moments_quadrature)| / dt^2 stays bounded "
                             "(O(dt^2) local error)")
    return all_of(same, local)


def _dt_one():
    x, f, g, e, dt = sp.symbols("x f g epsilon dt", real=True)
    written = sym_equal((x + f * dt + g * e * sp.sqrt(dt)).subs(dt, 1), x + f + g * e,
                        what="Euler-Maruyama step at dt = 1")

    def oracle(x, c, g2, eps):  # theory.sde.em_linear_coefficients on the grid [t, t + 1] for f(x, t) = c x
        A, B = sde_th.em_linear_coefficients(lambda t: c, lambda t: g2, [0.0, 1.0])
        return A[1] * x + B[1, 0] * eps

    at = points(6, seed=48, x=(-2, 2), c=(-1.5, 0.5), g2=(0.1, 2.0), eps=(-2, 2))
    step = num_equal(lambda x, c, g2, eps: x + c * x + np.sqrt(g2) * eps, oracle, at,
                     what="slide's x_t + f(x_t, t) + g eps (f = c x) vs theory.sde.em_linear_coefficients, dt = 1")
    return all_of(written, step)


def _ula_discretization():
    eta_s, s, e = sp.Symbol("eta", positive=True), *sp.symbols("s epsilon", real=True)
    em = sym_equal(s / 2 * eta_s + 1 * sp.sqrt(eta_s) * e, eta_s / 2 * s + sp.sqrt(eta_s) * e,
                   what="Euler-Maruyama step of dx = 1/2 score dt + dw with dt = eta")
    C, m = np.array([[1.7, 0.3], [0.3, 0.9]]), np.array([0.4, -0.2])

    def slide(x, eps, eta):  # x + eta/2 grad log N(m, C)(x) + sqrt(eta) eps
        return x + eta / 2 * (-np.linalg.solve(C, x - m)) + np.sqrt(eta) * eps

    def oracle(x, eps, eta):
        M, c, Q = lgv.ula_transition(C, m, eta)
        return M @ x + c + np.sqrt(np.diag(Q)) * eps

    at = points(5, seed=49, x=lambda r: r.uniform(-2, 2, size=2), eps=lambda r: r.normal(size=2), eta=(0.01, 0.3))
    step = num_equal(slide, oracle, at, what="slide's ULA step vs theory.langevin.ula_transition (Gaussian target)")
    bias = num_compare(lambda eta: lgv.ula_bias(C, eta)["gap"], "<=", lambda eta: eta / 2,
                       [{"eta": e_} for e_ in (0.2, 0.05, 0.01, 0.001)],
                       what="||stationary covariance (theory.langevin.ula_bias) - C||_2 <= eta/2 -> 0")
    return all_of(em, step, bias)


# ------------------------------------------------------------------------------------- the claims
CLAIMS: list[Claim] = [
    # --- L9: continuous-time flows
    Claim(id="000.L9.cov_composition", formulas=("000:3502",), theorem="flows.composition",
          meaning="p_theta is the density of x with f_K o ... o f_1(x) ~ p; df_k/df_{k-1} is the Jacobian of f_k at "
                  "its input f_{k-1} o ... o f_1(x) (f_0 = x). Checked in 2-D with f_1 = W sinh, f_2(u) = 3u - 1, "
                  "p = N(0, I), against theory.flows (composition_log_det, flow_log_density), and the 1-D instance "
                  "f_1 = sinh integrates to 1.",
          check=_composition_log_density),
    Claim(id="000.L9.discrete_flow_step_density", formulas=("000:3508",), theorem="change_of_variables.density",
          meaning="x_{t+1} = f(x_t) invertible; p(x_{t+1}) is the density of x_{t+1} at f(x_t). Checked for "
                  "f = W sinh (2-D), x_t ~ N(0, I), against theory.flows.flow_log_density of the inverse flow "
                  "x_{t+1} -> x_t; the 1-D instance f = sinh integrates to 1.",
          check=_one_step_density),
    Claim(id="000.L9.ode_ivp", formulas=("000:3516", "000:3567"), kind="definition",
          meaning="The ODE (neural ODE) with vector field f_theta and initial condition x(t_0) = x_0."),
    Claim(id="000.L9.ode_integral_form", formulas=("000:3518", "000:3595", "000:3597"),
          theorem="ode.picard_reversibility",
          meaning="The solution satisfies x(t_1) = x_0 + int_{t_0}^{t_1} f(x(t), t) dt (psi_1(x_0) = x(1) with "
                  "t_0 = 0, t_1 = 1). Checked on the linear test ODE dx/dt = (alpha + beta t)(A x + b) (2-D) with its "
                  "exact solution theory.ode.linear_solution (quadrature of f along it).",
          check=_integral_form),
    Claim(id="000.L9.flow_def", formulas=("000:3532",), kind="definition",
          meaning="The flow psi_t(x_0): the solution of the ODE as a function of its initial value."),
    Claim(id="000.L9.flow_integral_odesolve", formulas=("000:3536", "000:3542", "003:1032"),
          meaning="psi_t(x_0) with a free t on the left and the integral up to t_1 on the right; '≈ ODESolve' read as: "
                  "a numerical solver converges to psi_{t_1}(x_0) as its step shrinks. Checked on dx/dt = sin x: the "
                  "identity only at t = t_1, and Heun with n steps within 10/n^2 (dx/dt = cos(3t) x). Judgement: slip "
                  "(the subscript t for t_1), not holds_if 't = t_1': the free t is the error, and ODESolve(..., t_1) "
                  "and the flow's definition fix the intended psi_{t_1}.",
          check=_flow_integral_odesolve,
          corrected=r"\psi_{t_1}(\mathbf{x}_0) = \mathbf{x}_0 + \int_{t_0}^{t_1} "
                    r"\mathbf{f}_\theta(\psi_t(\mathbf{x}_0), t)"
                    r" dt \approx \texttt{ODESolve}_f(\mathbf{x}_0, \theta, t_0, t_1)"),
    Claim(id="003.L9.flow_integral", formulas=("003:994",),
          meaning="As 000:3536 without the solver: psi_t(x_0) with a free t equals x_0 + int_{t_0}^{t_1} f dt. "
                  "Judgement: slip (psi_t for psi_{t_1}), as for 000:3536.",
          check=_psi_with_free_t,
          corrected=r"\psi_{t_1}(\mathbf{x}_0) = \mathbf{x}_0 + \int_{t_0}^{t_1} "
                    r"\mathbf{f}_\theta(\psi_t(\mathbf{x}_0), t) dt"),
    Claim(id="000.L9.euler_step", formulas=("000:3548", "000:3550", "000:3572"), theorem="ode.euler",
          meaning="The Euler update (the forward difference set equal to f) defines the numerical iterate; the claim "
                  "that iterating it solves the ODE is checked in its precise sense: one step equals "
                  "theory.ode.euler_step, and the iteration's global error is O(h) (theory.ode.fitted_order against "
                  "the exact linear_solution of dx/dt = A x, h = 1/16..1/128, within ode.ORDER_BAND of 1).",
          check=_euler_order),
    Claim(id="000.L9.heun_step", formulas=("000:3554", "000:3556"), theorem="ode.heun",
          meaning="Heun's predictor-corrector update; checked: one step equals theory.ode.heun_step, and the global "
                  "error is O(h^2) (theory.ode.fitted_order against the exact solution of dx/dt = A x).",
          check=_heun_order),
    Claim(id="000.L9.picard_reverse", formulas=("000:3599",), theorem="ode.picard_reversibility",
          meaning="x(0) = x(1) + int_1^0 f(x(t), t) dt, and integrating the ODE backwards from x(1) recovers x(0) "
                  "(linear test ODE; theory.ode.linear_solution and flow_matrix, quadrature).",
          check=_reverse_integral_form),
    # --- L10: continuity equation
    Claim(id="000.L10.continuity_trajectory", formulas=("000:3648", "000:3755"), theorem="ode.continuity_equation",
          meaning="x(t) solves dx/dt = f(x, t) (deterministic); p_t the law of x(t). Checked on the linear test ODE "
                  "with x(0) ~ N(m, S): log p_t(x(t)) exact (theory.ode.pushforward_logpdf), its t-derivative by a "
                  "central difference.",
          check=_continuity_along_trajectory),
    Claim(id="000.L10.continuity_solution", formulas=("000:3654",), theorem="ode.continuity_equation",
          meaning="Integrating the continuity equation along the trajectory from 0 to 1 (linear test ODE, "
                  "theory.ode.pushforward_logpdf and log_density_change, quadrature).",
          check=_log_density_integral),
    Claim(id="000.L10.ode_to_differential", formulas=("000:3688",), kind="notation",
          meaning="The differential notation dx = f dt for dx/dt = f."),
    Claim(id="000.L10.sde_def", formulas=("000:3692", "000:3701", "000:3730"), kind="definition",
          meaning="The Ito SDE with drift f, scalar diffusion g(t) and Wiener increment dw = eps sqrt(dt)."),
    Claim(id="000.L10.euler_maruyama", formulas=("000:3718",), theorem="sde.euler_maruyama",
          meaning="The Euler-Maruyama step as a discretization of the SDE: its one-step mean and variance are those of "
                  "theory.sde.em_moments and agree with the exact transition (theory.sde.moments_quadrature) to "
                  "O(dt^2) (checked on an Ornstein-Uhlenbeck SDE).",
          check=_em_local_error),
    Claim(id="000.L10.euler_maruyama_dt1", formulas=("000:3722",), theorem="sde.euler_maruyama",
          meaning="The step of 000:3718 with dt = 1.",
          check=_dt_one),
    Claim(id="000.L10.kfp", formulas=("000:3736",), theorem="sde.kfp",
          meaning="p_t the law of x(t) for the SDE (Ito, scalar g). Checked for the VP and VE SDEs with 1-D "
                  "Gaussian-mixture data, whose marginals are exact mixtures (theory.fokker_planck.path_derivatives), "
                  "and "
                  "symbolically by theory.fokker_planck.kfp_residual_1d with the slide's 1/2.",
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
                  "to p as eta -> 0 (2-D Gaussian target: the step is theory.langevin.ula_transition, and the "
                  "stationary covariance's bias ||S - C||_2 (theory.langevin.ula_bias) <= eta/2).",
          check=_ula_discretization),
    Claim(id="000.L10.ode_differential", formulas=("000:3807",), kind="notation",
          meaning="The ODE dx = f(x, t) dt."),
    Claim(id="000.L10.continuity_equivalence", formulas=("000:3809",), theorem="ode.continuity_equation",
          meaning="f_theta on the left is the f on the right. The trajectory form and the PDE form of the continuity "
                  "equation, both checked for the linear test ODE with x(0) ~ N(m, S) (theory.ode.pushforward_logpdf).",
          check=_continuity_both),
    Claim(id="000.L10.pf_ode", formulas=("000:3828", "000:3861", "000:3964"), theorem="sde.probability_flow_ode",
          meaning="The ODE with drift f - g^2/2 grad log p_t has the marginals p_t of the SDE: checked that the SDE "
                  "marginals solve its continuity equation (VP and VE SDEs, mixture data).",
          check=lambda: all_of(_pf_ode("vp"), _pf_ode("ve"))),
    Claim(id="000.L10.pf_proof", formulas=("000:3842",), theorem="sde.probability_flow_ode",
          meaning="Each step of the proof, for generic p(x, t), f(x, t), g(t) in 2-D; and its conclusion (the drift "
                  "f - g^2/2 grad log p_t transports the SDE marginals) by the PF-ODE oracle (VP, mixture data).",
          check=lambda: all_of(_pf_proof_chain(), _pf_ode("vp"))),
    Claim(id="000.L10.pf_proof_cont", formulas=("000:3848",), theorem="sde.probability_flow_ode",
          meaning="With f-tilde = f - g^2/2 grad log p: the trace form is -div(f-tilde p) (generic 2-D), and "
                  "dp_t/dt = -div(f-tilde p_t) for the VE marginals with mixture data (PF-ODE oracle).",
          check=lambda: all_of(_pf_proof_chain_2(), _pf_ode("ve"))),
    Claim(id="000.L10.pf_tilde_def", formulas=("000:3850",), kind="definition",
          meaning="f-tilde and g-tilde = 0 define the probability flow ODE as an SDE without noise."),
    Claim(id="000.L10.pf_as_sde", formulas=("000:3852",), theorem="sde.probability_flow_ode",
          meaning="Substituting g-tilde = 0 and f-tilde; f-tilde is the PF-ODE drift of theory.fokker_planck."
                  "exact_drifts (VP and VE, mixture data).",
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
          meaning="tau = 1 - t; the solution of dx/dtau = -f(x, 1 - tau) from x(t = 1) is x(1 - tau). Checked for the "
                  "linear test ODE (solve_ivp of the slide's ODE vs theory.ode.linear_solution).",
          check=_reverse_ode),
    Claim(id="000.L10.reverse_sde", formulas=("000:3897", "000:3966"), theorem="sde.reverse_sde",
          meaning="Run with dt < 0 from t = 1 to 0, i.e. in tau = 1 - t (the slide's own reading, 000:3953): "
                  "dx = (-f + g^2 score)(x, 1 - tau) dtau + g dw has marginals q_tau = p_(1-tau). Checked by KFP in "
                  "tau for the VP and VE SDEs with mixture data.",
          check=lambda: all_of(_reverse("vp", 1), _reverse("ve", 1))),
    Claim(id="000.L10.reverse_pf_ode", formulas=("000:3933",), theorem="sde.probability_flow_ode",
          meaning="The PF-ODE reversed in tau = 1 - t (drift -f + g^2/2 score, no noise) has marginals p_(1-tau) "
                  "(continuity equation in tau, exact VP / VE mixture marginals; symbolically the PF-ODE residual of "
                  "theory.fokker_planck, which a deterministic time reversal only negates).",
          check=lambda: all_of(_reverse("vp", 0.5), _reverse("ve", 0.5))),
    Claim(id="000.L10.reverse_sde_tau", formulas=("000:3939", "000:3953"), theorem="sde.pf_ode_plus_langevin",
          meaning="Adding g^2/2 score to the drift and g dw to the reversed PF-ODE keeps the marginals p_(1-tau): KFP "
                  "in tau for the VP and VE SDEs with mixture data, and theory.fokker_planck.pf_ode_plus_langevin_1d "
                  "(drift identity, Langevin invariance, reverse = PF + Langevin).",
          check=_pf_plus_langevin),
]
