"""Registry records of DDIM, respaced DDPM chains and timestep grids (beyond the lectures' floor:
the lectures name DDIM as the discretized probability-flow ODE and ask for 20-50 steps)."""

from __future__ import annotations

from typing import Any

from dgmcheck.registry import Source

_L7_FORWARD = Source("000", "L7", "Forward Gaussian Diffusion Process")
_L8_DDPM = Source("000", "L8", "Denoising Diffusion Probabilistic Model (DDPM)")
_L11_SAMPLING = Source("000", "L11", "Sampling")
_L11_SOLVERS = Source("000", "L11", "Efficient Solvers")
_S002_SAMPLING = Source("002", "L14", "Sampling")

_STEP = "dgmcheck.impl.ddim:DDIM.ddim_step"

DETAILS: dict[str, dict[str, Any]] = {
    "ddim.marginals": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.ddim:marginal_recursion",
                        "dgmcheck.theory.ddim:derive_marginal_step"),
        "impl": _STEP,
        "check": "dgmcheck.checks.ddim:check_marginals",
        "sources": (_L7_FORWARD, _S002_SAMPLING),
        "statement": (
            r"For every \eta \in [0, 1] and any decreasing grid t_0 > ... > t_{K-1} > 0 of "
            r"1..T, the non-Markovian process q_\sigma(x_s | x_t, x_0) = N(\sqrt{\bar\alpha_s} "
            r"x_0 + \sqrt{1-\bar\alpha_s-\sigma^2} (x_t - \sqrt{\bar\alpha_t} x_0)/"
            r"\sqrt{1-\bar\alpha_t}, \sigma^2 I) started at q(x_{t_0}|x_0) keeps "
            r"q_\sigma(x_s | x_0) = N(\sqrt{\bar\alpha_s} x_0, (1-\bar\alpha_s) I) at every grid "
            r"point and at s = 0."
        ),
        "notes": "The check probes the candidate's step with unit inputs: exact mean and variance.",
    },
    "ddim.step": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.ddim:step", "dgmcheck.theory.ddim:apply_step"),
        "impl": _STEP,
        "check": "dgmcheck.checks.ddim:check_step",
        "sources": (_S002_SAMPLING, _L11_SAMPLING),
        "statement": (
            r"For consecutive grid points t > s: x_s = \sqrt{\bar\alpha_s} \hat x_0 + "
            r"\sqrt{1-\bar\alpha_s-\sigma^2} \hat\epsilon + \sigma z, \hat x_0 = (x_t - "
            r"\sqrt{1-\bar\alpha_t} \hat\epsilon)/\sqrt{\bar\alpha_t}, \sigma^2 = \eta^2 "
            r"(1-\bar\alpha_s)/(1-\bar\alpha_t) (1-\bar\alpha_t/\bar\alpha_s); s = 0 uses "
            r"\bar\alpha_0 = 1 or a declared final value."
        ),
        "notes": "The step for any eta is Song, Meng & Ermon 2021 (DDIM), eq. (12).",
    },
    "ddim.eta_one_is_ddpm": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.ddim:derive_eta_one_is_ddpm",
                        "dgmcheck.theory.ddim:respaced_step"),
        "impl": _STEP,
        "check": "dgmcheck.checks.ddim:check_eta_one_is_ddpm",
        "sources": (_L8_DDPM,),
        "statement": (
            r"At \eta = 1 and s = t-1, \sigma^2 = \tilde\beta_t and the DDIM step is DDPM's "
            r"ancestral step x_{t-1} = x_t/\sqrt{\alpha_t} - \beta_t/\sqrt{\alpha_t(1-\bar\alpha_t)} "
            r"\hat\epsilon + \sqrt{\tilde\beta_t} z; on a sub-grid, the respaced DDPM's step."
        ),
    },
    "ddim.eta_zero_is_pf_ode_euler": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.ddim:derive_eta_zero_is_pf_ode_euler",
                        "dgmcheck.theory.ddim:pf_ode_euler"),
        "impl": _STEP,
        "check": "dgmcheck.checks.ddim:check_eta_zero_is_pf_ode_euler",
        "sources": (_L11_SAMPLING, _S002_SAMPLING),
        "statement": (
            r"At \eta = 0 the DDIM step is deterministic and equals exactly one Euler step of the "
            r"probability-flow ODE d\bar x/d\sigma = \hat\epsilon in \bar x = x/\sqrt{\bar\alpha}, "
            r"\sigma = \sqrt{(1-\bar\alpha)/\bar\alpha}: \bar x_s = \bar x_t + (\sigma_s - "
            r"\sigma_t) \hat\epsilon (an identity, not a limit)."
        ),
    },
    "ddim.respacing": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.ddim:respaced_betas", "dgmcheck.theory.ddim:respaced_step",
                        "dgmcheck.theory.ddim:derive_respacing_telescopes"),
        "impl": "dgmcheck.impl.ddim:DDIM.respaced_step",
        "check": "dgmcheck.checks.ddim:check_respaced_step",
        "sources": (_L11_SOLVERS,),
        "statement": (
            r"For kept steps \tau_1 < ... < \tau_K, \beta'_k = 1 - \bar\alpha_{\tau_k}/"
            r"\bar\alpha_{\tau_{k-1}} (\tau_0 = 0) defines a DDPM with \bar\alpha'_k = "
            r"\bar\alpha_{\tau_k}: its marginals at the kept steps are the original ones; its "
            r"posterior, \epsilon-mean and ancestral step are DDPM's on \beta'."
        ),
        "notes": "Also checked: respaced_betas (dgmcheck.checks.ddim:check_respaced_betas).",
    },
    "ddim.grids": {
        "oracle": ("enumeration",),
        "oracle_refs": ("dgmcheck.theory.ddim:grid",),
        "impl": "dgmcheck.impl.ddim:DDIM.timesteps",
        "check": "dgmcheck.checks.ddim:check_grids",
        "sources": (_L11_SOLVERS,),
        "statement": (
            r"For n inference steps of T, the grids (lecture steps, 0-based timestep k + 1): "
            r"linspace k_i = round(i(T-1)/(n-1)); leading k_i = i \lfloor T/n \rfloor + offset; "
            r"trailing k_i = round(T - iT/n) - 1 (as diffusers 0.42 builds them)."
        ),
        "notes": "The three spacings are those of Lin et al. 2024 (common diffusion noise schedules), Table 2.",
    },
}
