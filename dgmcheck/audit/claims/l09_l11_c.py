"""000 Lecture 11: the NCSN and DDPM chains as SDEs (VE / VP), their probability flow ODEs and reverse SDEs,
the moment ODEs and the Gaussian transition kernels, continuous-time normalizing flows and flow matching.

The PF-ODE / reverse-SDE checks reuse the exact mixture-marginal machinery of ``l09_l11_b`` (VE with
sigma(t) = 0.1 * 20^t, VP with beta(t) = 0.1 + 4t, 1-D Gaussian-mixture data).
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import integrate

from dgmcheck.audit.claims.l09_l11_b import _continuity_both, _pf_ode, _reverse
from dgmcheck.audit.formulas import Place
from dgmcheck.audit.model import Claim, all_of, holds_if, num_compare, num_equal, points, sym_equal
from dgmcheck.theory.flow_matching import PathSpec, linear_model_objectives

S, T = sp.symbols("s t", positive=True)


def _sig2(t):
    return 0.01 * 400.0**t  # VE: sigma(t) = 0.1 * 20^t


def _beta(t):
    return 0.1 + 4 * t  # VP


# ---------------------------------------------------------------------------------- VE: the NCSN chain
def _ncsn_chain_step():
    var_prev, var_t = sp.symbols("sigma_prev2 sigma_t2", positive=True)
    return sym_equal(var_prev + (var_t - var_prev), var_t,
                     what="Var(x_{t-1} | x) + (sigma_t^2 - sigma_{t-1}^2) = sigma_t^2 (independent Gaussian noise)")


def _sqrt_dt_typo():
    delta, dt = sp.symbols("Delta dt", positive=True)  # Delta = sigma^2(t) - sigma^2(t - dt)
    return sym_equal(sp.sqrt(delta / dt) * dt, sp.sqrt(delta), domains={"dt": (0.001, 0.1), "Delta": (0.001, 0.1)},
                     what="line 2 coefficient sqrt(Delta/dt) * dt vs line 1 coefficient sqrt(Delta)")


def _ve_increment_limit():
    # line 1 -> line 3: sqrt(sigma^2(t) - sigma^2(t-dt)) vs sqrt(d sigma^2/dt) * sqrt(dt), ratio -> 1 as dt -> 0.
    t = 0.6
    dsig2 = _sig2(t) * np.log(400.0)

    def ratio(dt):
        return np.sqrt(_sig2(t) - _sig2(t - dt)) / (np.sqrt(dsig2) * np.sqrt(dt))

    return num_compare(lambda dt: abs(ratio(dt) - 1), "<=", lambda dt: 5 * dt,
                       [{"dt": d} for d in (1e-2, 1e-3, 1e-4)],
                       what="|increment std of the chain / (sqrt(d sigma^2/dt) sqrt(dt)) - 1| <= 5 dt (first order)")


def _ve_marginal_variance():
    # The VE SDE started at x(0): Var x(1) = int_0^1 g^2 = sigma^2(1) - sigma^2(0) = the chain's telescoped variance;
    # Euler-Maruyama on N steps (g^2 at left ends) converges to it with error O(1/N).
    exact = _sig2(1.0) - _sig2(0.0)
    quad = integrate.quad(lambda s: _sig2(s) * np.log(400.0), 0, 1, epsabs=1e-12)[0]

    def em(n):
        ts = np.arange(n) / n
        return float(np.sum(_sig2(ts) * np.log(400.0)) / n)

    return all_of(num_equal(lambda: quad, lambda: exact, [{}], what="int_0^1 g^2 vs sigma^2(1) - sigma^2(0)"),
                  num_compare(lambda n: abs(em(n) - exact) * n, "<=", lambda n: 20 * exact,
                              [{"n": n} for n in (100, 1000, 10000)],
                              what="N |Var_EM(N) - Var_exact| stays bounded (error O(1/N))"))


# ---------------------------------------------------------------------------------- VP: the DDPM chain
def _ddpm_to_vp_chain():
    u, x, e, dt = sp.symbols("u x epsilon dt", positive=True)
    first_order = sym_equal(sp.limit((sp.sqrt(1 - u) - (1 - u / 2)) / u, u, 0), 0,
                            what="(sqrt(1 - u) - (1 - u/2))/u -> 0 as u = beta dt -> 0 (first-order expansion)")
    b = sp.Symbol("beta", positive=True)
    rewrite = sym_equal((1 - b * dt / 2) * x + sp.sqrt(b * dt) * e, x - b * x * dt / 2 + sp.sqrt(b) * (e * sp.sqrt(dt)),
                        what="line 2 vs line 3 with dw = eps sqrt(dt)")
    return all_of(first_order, rewrite)


def _vp_chain_limit():
    # abar_N = prod_i (1 - beta(t_i)/N) -> exp(-int_0^1 beta) with error O(1/N) (the chain's signal coefficient).
    exact = np.exp(-(0.1 + 2.0))

    def chain(n):
        ts = np.arange(1, n + 1) / n
        return float(np.prod(1 - _beta(ts) / n))

    return num_compare(lambda n: abs(chain(n) - exact) * n, "<=", lambda n: 10.0,
                       [{"n": n} for n in (100, 1000, 10000)],
                       what="N |abar_N - exp(-int beta)| stays bounded (the DDPM chain converges to the VP SDE)")


def _vp_variance_preserved():
    def var_path(v0):
        sol = integrate.solve_ivp(lambda t, v: -_beta(t) * v + _beta(t), (0, 1), [v0], t_eval=[0.25, 0.5, 1.0],
                                  rtol=1e-11, atol=1e-12)
        return sol.y[0]

    inside = num_equal(lambda v0: var_path(v0), lambda v0: np.full(3, v0), [{"v0": 1.0}],
                       what="variance ODE dv/dt = -beta v + beta from v(0): v(t) at t = 0.25, 0.5, 1 vs v(0)")
    outside = num_equal(lambda v0: var_path(v0), lambda v0: np.full(3, v0), [{"v0": 2.0}, {"v0": 0.3}],
                        what="variance ODE dv/dt = -beta v + beta from v(0): v(t) at t = 0.25, 0.5, 1 vs v(0)")
    return holds_if("Var x(0) = 1 (per coordinate)", inside, outside)


# ---------------------------------------------------------------------------------- score, moments
def _gaussian_score_std():
    x, mu = sp.symbols("x mu", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    log_q = -(x - mu) ** 2 / (2 * sigma**2) - sp.log(sigma * sp.sqrt(2 * sp.pi))
    return sym_equal(sp.diff(log_q, x), -(x - mu) / sigma, what="d/dx log N(x | mu, sigma^2) vs -(x - mu)/sigma")


def _vp_big_b():
    b0, b1 = sp.symbols("b_0 b_1", positive=True)
    beta = b0 + b1 * S
    return beta, sp.integrate(beta, (S, 0, T))


def _mean_ode():
    beta, big_b = _vp_big_b()
    x0 = sp.Symbol("x_0", real=True)
    mu = x0 * sp.exp(-big_b / 2)
    beta_t = beta.subs(S, T)
    ode = sym_equal(sp.diff(mu, T), -beta_t / 2 * mu, what="VP: d mu/dt vs E[f(x(t))|x(0)] = -beta(t)/2 mu")
    init = sym_equal(mu.subs(T, 0), x0, what="mu(0) = x(0)")
    return all_of(ode, init)


def _increment_mean():
    # E[g dw | x(0)] = g sqrt(dt) E[eps] = 0 exactly (Gauss-Hermite nodes are symmetric); then E[dx|x0] = E[f|x0] dt.
    u, w = np.polynomial.hermite_e.hermegauss(20)
    w = w / w.sum()
    g, dt = 0.7, 1e-3
    mean_noise = num_equal(lambda: float(w @ (g * np.sqrt(dt) * u)), lambda: 0.0, [{}], what="E[g dw | x(0)]")
    # one Euler-Maruyama increment from x(t) | x(0) ~ N(0.4, 0.3), nonlinear f = sin:
    xs = 0.4 + np.sqrt(0.3) * u
    inc = num_equal(lambda: float(np.einsum("i,j,ij->", w, w, np.sin(xs)[:, None] * dt + g * np.sqrt(dt) * u[None, :])),
                    lambda: float(w @ np.sin(xs)) * dt, [{}], what="E[dx | x(0)] vs E[f(x, t) | x(0)] dt (f = sin)")
    return all_of(mean_noise, inc)


def _cov_ode():
    # dx = A x dt + g dw in 2-D from a fixed x(0): Sigma(t) = int_0^t e^{As} g^2 e^{A^T s} ds must solve
    # dSigma/dt = E[f (x - mu)^T + (x - mu) f^T] + g^2 I = A Sigma + Sigma A^T + g^2 I (f = A x).
    A, g2 = np.array([[-0.8, 0.5], [-0.3, -1.1]]), 0.6

    nodes, weights = np.polynomial.legendre.leggauss(30)
    lam, vec = np.linalg.eig(A)
    vinv = np.linalg.inv(vec)

    def expm(s):  # e^{A s} by the eigendecomposition (A has distinct eigenvalues)
        return np.real(vec @ np.diag(np.exp(lam * s)) @ vinv)

    def sigma(t):  # Gauss-Legendre on [0, t] of the smooth integrand (exact to ~1e-15)
        s = (nodes + 1) * t / 2
        return sum(w * t / 2 * g2 * expm(si) @ expm(si).T for w, si in zip(weights, s, strict=True))

    def dsigma(t):
        h = 1e-5
        return (sigma(t + h) - sigma(t - h)) / (2 * h)

    at = [{"t": 0.3}, {"t": 0.9}]
    matrix = num_equal(dsigma, lambda t: A @ sigma(t) + sigma(t) @ A.T + g2 * np.eye(2), at, rtol=1e-6,
                       what="2-D OU: dSigma/dt vs A Sigma + Sigma A^T + g^2 I")
    beta, big_b = _vp_big_b()
    vp = sym_equal(sp.diff(1 - sp.exp(-big_b), T), -beta.subs(S, T) * (1 - sp.exp(-big_b)) + beta.subs(S, T),
                   what="VP: d/dt (1 - e^{-B}) vs 2 E[f (x - mu)] + g^2 = -beta Sigma + beta")
    return all_of(matrix, vp)


def _ve_marginal():
    sig = sp.Function("sigma")
    x0 = sp.Symbol("x_0", real=True)
    var = sig(T) ** 2 - sig(0) ** 2  # the slide's variance; the moment ODE with f = 0: dSigma/dt = g^2, Sigma(0) = 0
    return all_of(sym_equal(sp.diff(var, T), sp.diff(sig(T) ** 2, T), what="dSigma/dt vs g^2 = d[sigma^2]/dt"),
                  sym_equal(var.subs(T, 0), 0, what="Sigma(0) = 0"),
                  sym_equal(x0 + 0 * T, x0, what="mean: d mu/dt = E[f] = 0 keeps x(0)"))


def _vp_marginal():
    beta, big_b = _vp_big_b()
    var = 1 - sp.exp(-big_b)
    ode = sym_equal(sp.diff(var, T), -beta.subs(S, T) * var + beta.subs(S, T),
                    what="VP variance 1 - e^{-B(t)} solves dSigma/dt = -beta Sigma + beta")
    init = sym_equal(var.subs(T, 0), 0, what="Sigma(0) = 0")
    return all_of(ode, init, _mean_ode())


# ---------------------------------------------------------------------------------- flow matching
def _fm_marginal_field_chain():
    # z ~ 0.3 delta(-1) + 0.7 delta(2); p_t(x|z) = N(t z, (1-t)^2), f(x, z, t) = (z - x)/(1 - t) (its generating field).
    x, t = sp.symbols("x t", real=True)
    zs, pz = (-1, 2), (sp.Rational(3, 10), sp.Rational(7, 10))
    cond = [sp.exp(-(x - t * z) ** 2 / (2 * (1 - t) ** 2)) / sp.sqrt(2 * sp.pi * (1 - t) ** 2) for z in zs]
    fz = [(z - x) / (1 - t) for z in zs]
    p = sum(w * c for w, c in zip(pz, cond, strict=True))
    f_marg = sum(w * f_ * c for w, f_, c in zip(pz, fz, cond, strict=True)) / p
    lines = [sp.diff(p, t),
             sum(w * sp.diff(c, t) for w, c in zip(pz, cond, strict=True)),
             sum(w * (-sp.diff(f_ * c, x)) for w, f_, c in zip(pz, fz, cond, strict=True)),
             -sp.diff(sum(w * f_ * c for w, f_, c in zip(pz, fz, cond, strict=True)), x),
             -sp.diff(f_marg * p, x)]
    fns = [sp.lambdify((x, t), e_, "numpy") for e_ in lines]
    at = points(8, seed=51, x=(-2.5, 2.5), t=(0.05, 0.9))
    cond_fns = [(sp.lambdify((x, t), sp.diff(c, t), "numpy"), sp.lambdify((x, t), -sp.diff(f_ * c, x), "numpy"))
                for c, f_ in zip(cond, fz, strict=True)]
    cond_ok = [num_equal(lambda x, t, lf=lf: lf(x, t), lambda x, t, rf=rf: rf(x, t), at,
                         what="conditional continuity equation for each z") for lf, rf in cond_fns]
    steps = [num_equal(lambda x, t, i=i: fns[i](x, t), lambda x, t, i=i: fns[i + 1](x, t), at,
                       what=f"proof line {i + 1} vs line {i + 2}") for i in range(4)]
    return all_of(*cond_ok, *steps)


def _cfm_optimal_values():
    spec = PathSpec("conical")
    mean, cov = np.array([0.5, -1.0]), np.array([[1.0, 0.3], [0.3, 0.5]])
    W, b = np.zeros((2, 2)), np.zeros(2)
    res = {t: linear_model_objectives(spec, t, mean, cov, W, b) for t in (0.25, 0.5, 0.75)}
    return num_equal(lambda t: res[t].min_fm, lambda t: res[t].min_cfm, [{"t": t} for t in res],
                     what="min over affine fields of L_FM vs of L_CFM at time t (Gaussian data, conical path)")


# ------------------------------------------------------------------------------------- the claims
def _p(slide: str, line: int) -> tuple[Place, ...]:
    return (Place("000", "L11", slide, line),)


CLAIMS: list[Claim] = [
    Claim(id="000.L11.ncsn_perturbation", formulas=("000:4019", "000:4021"), kind="definition",
          meaning="The NCSN perturbations of x at noise levels sigma_t and sigma_{t-1} (sigma a standard deviation)."),
    Claim(id="000.L11.ncsn_markov_step", formulas=("000:4023",), theorem="sde.ve",
          meaning="With sigma_{t-1} < sigma_t, adding independent N(0, (sigma_t^2 - sigma_{t-1}^2) I) noise to x_{t-1} "
                  "gives x_t with the marginal N(x, sigma_t^2 I) of 000:4019.",
          check=_ncsn_chain_step),
    Claim(id="000.L11.ve_limit_step", formulas=("000:4027",), theorem="sde.ve",
          meaning="The second line as written: sqrt((sigma^2(t) - sigma^2(t-dt))/dt) multiplied by dt (outside the "
                  "root), claimed equal to the first line's sqrt(sigma^2(t) - sigma^2(t-dt)).",
          check=_sqrt_dt_typo,
          corrected=r"\mathbf{x}(t - dt) + \sqrt{\frac{\sigma^2(t) - \sigma^2(t - dt)}{dt}} \sqrt{dt} \cdot \epsilon",
          note="The factor should be sqrt(dt) (so that sqrt(dt) eps = dw); the first and last lines agree to first "
               "order."),
    Claim(id="000.L11.ve_limit", formulas=("000:4027", "000:4031"), theorem="sde.ve",
          meaning="First line to last line: the chain increment sqrt(sigma^2(t) - sigma^2(t-dt)) eps equals "
                  "sqrt(d[sigma^2]/dt) dw to first order in dt (sigma(t) = 0.1 * 20^t, t = 0.6).",
          check=_ve_increment_limit),
    Claim(id="000.L11.ve_sde", formulas=("000:4035", "000:4128"), theorem="sde.ve",
          meaning="The VE SDE as the T -> infinity limit of the NCSN chain: both give Var x(1) - Var x(0) = "
                  "sigma^2(1) - sigma^2(0), and the Euler-Maruyama chain converges to it at rate 1/N.",
          check=_ve_marginal_variance),
    Claim(id="000.L11.ve_as_general_sde", formulas=("000:4039",), kind="definition",
          meaning="VE identified as dx = f dt + g dw with f = 0, g = sqrt(d sigma^2/dt)."),
    Claim(id="000.L11.ve_pf_ode", formulas=("000:4041",), theorem="sde.probability_flow_ode",
          meaning="The PF-ODE of 000:3828 with f = 0, g^2 = d sigma^2/dt; checked that the VE marginals (mixture data) "
                  "solve its continuity equation.",
          check=lambda: _pf_ode("ve")),
    Claim(id="000.L11.ve_reverse_sde", formulas=("000:4043",), theorem="sde.reverse_sde",
          meaning="The reverse SDE of 000:3897 with f = 0 (run with dt < 0, i.e. in tau = 1 - t); KFP in tau with "
                  "the VE marginals.",
          check=lambda: _reverse("ve", 1)),
    Claim(id="000.L11.ddpm_chain", formulas=("000:4049",), kind="definition",
          meaning="The DDPM forward step and its kernel."),
    Claim(id="000.L11.ddpm_to_vp", formulas=("000:4053",), theorem="sde.vp",
          meaning="beta_t = beta(t/T)/T, dt = 1/T; the '≈' is the first-order expansion sqrt(1 - u) = 1 - u/2 + o(u) "
                  "(u = beta dt), the last step uses dw = eps sqrt(dt).",
          check=_ddpm_to_vp_chain),
    Claim(id="000.L11.vp_sde", formulas=("000:4057", "000:4130"), theorem="sde.vp",
          meaning="The VP SDE as the limit of the DDPM chain: the chain's abar_N = prod (1 - beta(t_i)/N) converges "
                  "to exp(-int_0^1 beta), the signal coefficient of the VP SDE, at rate 1/N (beta(t) = 0.1 + 4t).",
          check=_vp_chain_limit),
    Claim(id="000.L11.vp_variance_preserved", text="Variance is preserved as long as x(0) has unit variance.",
          places=_p("Variance Preserving SDE", 4067), theorem="sde.vp_marginal",
          meaning="For the VP SDE, Var x(t) solves dv/dt = -beta v + beta; it stays equal to Var x(0) for all t.",
          check=_vp_variance_preserved),
    Claim(id="000.L11.vp_as_general_sde", formulas=("000:4065",), kind="definition",
          meaning="VP identified as dx = f dt + g dw with f = -beta x/2, g = sqrt(beta)."),
    Claim(id="000.L11.vp_pf_ode", formulas=("000:4069",), theorem="sde.probability_flow_ode",
          meaning="The PF-ODE of 000:3828 with the VP drift and g^2 = beta; checked with VP marginals of mixture data.",
          check=lambda: _pf_ode("vp")),
    Claim(id="000.L11.vp_reverse_sde", formulas=("000:4071",), theorem="sde.reverse_sde",
          meaning="The reverse SDE of 000:3897 for VP (dt < 0, i.e. in tau = 1 - t); KFP in tau.",
          check=lambda: _reverse("vp", 1)),
    Claim(id="000.L11.score_objectives", formulas=("000:4106", "000:4112", "000:4120", "000:4174"), kind="definition",
          theorem="sde.continuous_dsm",
          meaning="The discrete-time and continuous-time denoising score matching objectives."),
    Claim(id="000.L11.gaussian_kernel_notation", formulas=("000:4122", "000:4136", "000:4176"), kind="notation",
          meaning="The transition kernel of an SDE with affine drift is Gaussian with mean mu(t, x(0)) and "
                  "covariance sigma^2 I (resp. Sigma)."),
    Claim(id="000.L11.kernel_score_sigma", formulas=("000:4124",), theorem="score.noise_kernel_gradient",
          meaning="q(x(t)|x(0)) = N(mu, sigma^2 I) (000:4122): sigma is the standard deviation; the gradient of its "
                  "log-density, coordinate-wise.",
          check=_gaussian_score_std,
          corrected=r"\nabla_{\mathbf{x}(t)} \log q(\mathbf{x}(t)|\mathbf{x}(0)) = -\frac{1}{\sigma^2} \odot "
                    r"(\mathbf{x}(t) - \boldsymbol{\mu})"),
    Claim(id="000.L11.mean_ode", formulas=("000:4142", "000:4154", "000:4160"), theorem="sde.moment_odes",
          meaning="mu(t, x(0)) = E[x(t)|x(0)]; checked for the VP SDE with beta(s) = b_0 + b_1 s (symbolic).",
          check=_mean_ode),
    Claim(id="000.L11.mean_ode_proof", formulas=("000:4148", "000:4158"), theorem="sde.moment_odes",
          meaning="E[g dw | x(0)] = 0 since dw is independent of the past; checked exactly with Gauss-Hermite nodes "
                  "for one Euler-Maruyama increment (f = sin, x(t)|x(0) ~ N(0.4, 0.3)).",
          check=_increment_mean),
    Claim(id="000.L11.cov_ode", formulas=("000:4144",), theorem="sde.moment_odes",
          meaning="Sigma(t, x(0)) = Cov(x(t)|x(0)); checked for a 2-D OU SDE (f = A x, Sigma by quadrature of the "
                  "exact solution) and for VP (symbolic).",
          check=_cov_ode),
    Claim(id="000.L11.vp_mean", formulas=("000:4168",), theorem="sde.vp_marginal",
          meaning="The solution of d mu/dt = -beta(t) mu/2 with mu(0) = x(0).",
          check=_mean_ode),
    Claim(id="000.L11.ve_marginal", formulas=("000:4180",), theorem="sde.ve_marginal",
          meaning="VE (f = 0, g^2 = d sigma^2/dt): mean x(0) and variance int_0^t g^2 = sigma^2(t) - sigma^2(0).",
          check=_ve_marginal),
    Claim(id="000.L11.vp_marginal", formulas=("000:4185",), theorem="sde.vp_marginal",
          meaning="VP: mean x(0) e^{-B/2}, variance solving dSigma/dt = -beta Sigma + beta, Sigma(0) = 0 "
                  "(beta(s) = b_0 + b_1 s, symbolic).",
          check=_vp_marginal),
    Claim(id="000.L11.cnf_ode", formulas=("000:4217",), kind="definition",
          meaning="The continuous-time flow from x_0 ~ p_0 (noise) to x_1 ~ p_data."),
    Claim(id="000.L11.continuity_equivalence", formulas=("000:4221",), theorem="ode.continuity_equation",
          meaning="PDE form and trajectory form of the continuity equation (sin flow, p_0 = N(0.3, 0.25)).",
          check=_continuity_both),
    Claim(id="000.L11.fm_objective", formulas=("000:4238",), kind="definition",
          meaning="The flow matching objective -> min."),
    Claim(id="000.L11.latent_path", formulas=("000:4269",), kind="definition",
          meaning="The marginal probability path as a mixture of conditional paths."),
    Claim(id="000.L11.conditional_field_def", formulas=("000:4273", "000:4283"), kind="definition",
          meaning="f(x, z, t) is a conditional vector field: one that generates p_t(x|z) (continuity equation)."),
    Claim(id="000.L11.conditional_ode", formulas=("000:4277",), kind="notation",
          meaning="The ODE with the marginal field, and with the conditional field."),
    Claim(id="000.L11.marginal_field", formulas=("000:4289", "000:4293"), theorem="fm.marginal_vector_field",
          meaning="The posterior-averaged conditional field generates p_t; each line of the proof checked for "
                  "z ~ 0.3 delta(-1) + 0.7 delta(2), p_t(x|z) = N(t z, (1-t)^2), f(x, z, t) = (z - x)/(1 - t) "
                  "(which generates p_t(x|z)).",
          check=_fm_marginal_field_chain),
    Claim(id="000.L11.cfm_objective", formulas=("000:4303",), kind="definition",
          meaning="The conditional flow matching objective -> min."),
    Claim(id="000.L11.cfm_equal_optimal_values",
          text="If supp(p_t(x)) = R^m, then the optimal value of the FM objective equals the optimal value of the "
               "CFM objective.",
          places=_p("Theorem", 4307), theorem="fm.cfm_equals_fm",
          meaning="Optimal values over the model class (here affine fields, which contain the exact marginal field "
                  "for Gaussian data), per time t; conical path, 2-D Gaussian data.",
          check=_cfm_optimal_values,
          corrected=r"L_{CFM}(\theta) = L_{FM}(\theta) + C, \; C = \mathbb{E}_t \mathbb{E}_{p_t(\mathbf{x})} "
                    r"\mathbb{E}_{p_t(\mathbf{z}|\mathbf{x})} \|\mathbf{f}(\mathbf{x},\mathbf{z},t) - "
                    r"\mathbf{f}(\mathbf{x},t)\|^2 \ge 0 \text{ independent of } \theta: \text{ same gradients and "
                    r"minimizers, optimal values differ by } C",
          note="The slide's proof refers to the DSM theorem, which also gives equality only up to a constant."),
]
