"""Registry records of the neural-ODE family: Euler and Heun solvers, Picard reversibility, and the
log-density along a flow (continuity equation, exact trace and Hutchinson)."""

from __future__ import annotations

from typing import Any

from dgmcheck.registry import Source

_L9_NUMERICAL = Source("000", "L9", "Numerical Solution of ODEs")
_L9_NEURAL_ODE = Source("000", "L9", "Continuous-Time Normalizing Flows: Neural ODE")
_L9_REVERSIBILITY = Source("000", "L9", "Continuous-Time Normalizing Flows: Reversibility")
_L10_CONTINUITY = Source("000", "L10", "Continuous-Time NF")
_S003_NUMERICAL = Source("003", "L9", "Numerical Solution of ODEs")
_S003_REVERSIBILITY = Source("003", "L9", "Continuous-Time Normalizing Flows: Reversibility")

_ORDER_NOTE = (
    "Order measured as the least-squares slope of log error vs log h over h = T/n, n in (16, 32, 64, 128), "
    "in float64 (float32 rounding floors Heun's error before the ladder ends), on two problems whose leading "
    "error term cannot vanish (dx/dt = Ax with A invertible; dx/dt = e^{lambda t} u); band p +- 0.15 (derived "
    "in dgmcheck.theory.ode). A time-dependent linear problem a(t) = alpha + beta t can cancel the leading "
    "Euler error term, so it is used only for the exact one-step checks. Measured: Euler 0.97-1.02, "
    "Heun 1.98-2.03 over 400 random problems."
)

DETAILS: dict[str, dict[str, Any]] = {
    "ode.euler": {
        "oracle": ("closed_form", "symbolic"),
        "oracle_refs": ("dgmcheck.theory.ode:euler_step", "dgmcheck.theory.ode:linear_solution",
                        "dgmcheck.theory.ode:forcing_solution", "dgmcheck.theory.ode:fitted_order"),
        "impl": "dgmcheck.impl.ode:euler",
        "check": "dgmcheck.checks.ode:check_euler_step",
        "sources": (_L9_NUMERICAL, _S003_NUMERICAL),
        "statement": (
            r"Explicit Euler x_{k+1} = x_k + h_k f(x_k, t_k), h_k = t_{k+1} - t_k (either sign), for f "
            r"C^2 and Lipschitz in x, has global error max_k |x_k - x(t_k)| = O(h) (order 1): the error "
            r"is -(T h/2) A^2 e^{TA} x_0 + O(h^2) for dx/dt = Ax."
        ),
        "notes": _ORDER_NOTE,
    },
    "ode.heun": {
        "oracle": ("closed_form", "symbolic"),
        "oracle_refs": ("dgmcheck.theory.ode:heun_step", "dgmcheck.theory.ode:linear_solution",
                        "dgmcheck.theory.ode:forcing_solution", "dgmcheck.theory.ode:fitted_order"),
        "impl": "dgmcheck.impl.ode:heun",
        "check": "dgmcheck.checks.ode:check_heun_step",
        "sources": (_L9_NUMERICAL, _S003_NUMERICAL),
        "statement": (
            r"Heun x' = x_k + h f(x_k, t_k), x_{k+1} = x_k + h/2 (f(x_k, t_k) + f(x', t_k + h)) has global "
            r"error O(h^2) (order 2) for f C^3 and Lipschitz in x; evaluating the corrector at t_k instead "
            r"of t_k + h drops it to order 1 for time-dependent f."
        ),
        "notes": _ORDER_NOTE,
    },
    "ode.picard_reversibility": {
        "oracle": ("closed_form", "symbolic"),
        "oracle_refs": ("dgmcheck.theory.ode:flow_matrix", "dgmcheck.theory.ode:linear_solution"),
        "impl": "dgmcheck.impl.ode:heun",
        "check": "dgmcheck.checks.ode:check_picard_heun",
        "sources": (_L9_REVERSIBILITY, _S003_REVERSIBILITY),
        "statement": (
            r"If f is C^1 in x with bounded derivative and continuous in t, the flow psi is unique and "
            r"psi_{t1->t0} o psi_{t0->t1} = id. A solver of order p integrated forward on ts and back on "
            r"reversed ts returns x_0 with error O(h^p) (at least); for dx/dt = Ax Euler's round trip is "
            r"(I - hA)^n (I + hA)^n = I - T h A^2 + ... (order 1) and Heun's "
            r"(1 - z + z^2/2)(1 + z + z^2/2) = 1 + z^4/4 per step (order 3, higher than 2)."
        ),
        "notes": ("The slide's integral x(0) = x(1) + int_1^0 f dt is exact for the flow; a discretised "
                  "round trip is identity only up to the solver error (slope >= p - 0.15 checked)."),
    },
    "ode.continuity_equation": {
        "oracle": ("closed_form", "symbolic", "enumeration", "quadrature"),
        "oracle_refs": ("dgmcheck.theory.ode:pushforward_logpdf", "dgmcheck.theory.ode:log_density_change",
                        "dgmcheck.theory.ode:tanh_field_divergence", "dgmcheck.theory.ode:rademacher_probes",
                        "dgmcheck.theory.ode:gauss_hermite_probes", "dgmcheck.theory.ode:hutchinson_variance",
                        "dgmcheck.theory.ode:derive_hutchinson_variance"),
        "impl": "dgmcheck.impl.ode:log_density_path",
        "check": "dgmcheck.checks.ode:check_log_density",
        "sources": (_L10_CONTINUITY, _L9_NEURAL_ODE),
        "statement": (
            r"For dx/dt = f(x, t) with f uniformly Lipschitz in x, d log p_t(x(t))/dt = -tr(df/dx(x(t), t)), "
            r"so log p_1(x(1)) = log p_0(x(0)) - int_0^1 tr(df/dx) dt; for the linear flow "
            r"f = (alpha + beta t)(Ax + b) and x(0) ~ N(m, S) this is log N(x(1); Phi m + c, Phi S Phi^T) with "
            r"Phi = exp(tau A), log det Phi = tau tr A. Hutchinson's v^T J v with E[v v^T] = I is unbiased "
            r"for tr J; with S = (J + J^T)/2 its variance is 2 sum_{i != j} S_ij^2 (Rademacher) and "
            r"2 ||S||_F^2 (Gaussian)."
        ),
        "notes": ("The Rademacher variance is 2 sum_{i!=j} S_ij^2 with S the symmetric part of J; the "
                  "shortcut 2 sum_{i!=j} J_ij^2 is wrong for non-symmetric J (e.g. J = [[0, 1], [0, 0]]: "
                  "v^T J v = v_1 v_2 has variance 1, the shortcut gives 2). Hutchinson is not on the slides."),
    },
}
