"""Registry records of score matching, Langevin dynamics and NCSN (000 L6-L7, L9-L11, 001, 003).

Conventions of every statement: noised data x_sigma = x + sigma eps, eps ~ N(0, I); for data
p = sum_k w_k N(m_k, C_k) the noised law is q_sigma = sum_k w_k N(m_k, C_k + sigma^2 I) (exact).
Langevin step (the lecture's): x' = x + (eta/2) grad log p(x) + sqrt(eta) z; the (eps, sqrt(2 eps))
convention is the same chain with eta = 2 eps. NCSN levels sigma_1 < ... < sigma_T (the lecture's order).
"""

from __future__ import annotations

from typing import Any

from dgmcheck.registry import Source

_L6_UNNORM = Source("000", "L6", "Unnormalized Density")
_L6_LANGEVIN = Source("000", "L6", "Langevin Dynamics")
_L6_FISHER = Source("000", "L6", "Fisher Divergence")
_L6_DSM = Source("000", "L6", "Denoising Score Matching")
_L6_KERNEL = Source("000", "L6", "Gradient of the Noise Kernel")
_L7_DSM = Source("000", "L7", "Denoising Score Matching")
_L7_NCSN_DSM = Source("000", "L7", "NCSN")
_L7_NCSN = Source("000", "L7", "Noise-Conditioned Score Network (NCSN)")
_L7_ANNEALED = Source("000", "L7", "Sampling (Annealed Langevin Dynamics)")
_L9_RECAP = Source("000", "L9", "Recap of Lecture 7")
_L9_TRAINING = Source("000", "L9", "NCSN Training")
_L9_OBJECTIVE = Source("000", "L9", "NCSN Objective")
_L9_SAMPLING = Source("000", "L9", "DDPM vs NCSN: Sampling")
_L9_NCSN_SAMPLING = Source("000", "L9", "NCSN Sampling (Annealed Langevin Dynamics)")
_L10_DISCRETIZED = Source("000", "L10", "Discretized Langevin SDE")
_L11_SDE = Source("000", "L11", "Score-Based Generative Models Through SDEs")
_S001_SGM = Source("001", "", "Score-based generative models")
_S003_SAMPLING = Source("003", "L9", "NCSN Sampling (Annealed Langevin Dynamics)")

_TS = "dgmcheck.theory.score"
_TL = "dgmcheck.theory.langevin"
_IS = "dgmcheck.impl.score"
_IL = "dgmcheck.impl.langevin"
_CS = "dgmcheck.checks.score"
_CL = "dgmcheck.checks.langevin"

DETAILS: dict[str, dict[str, Any]] = {
    "score.unnormalized": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": (f"{_TS}:derive_unnormalized", "dgmcheck.theory.gaussian_mixture:GaussianMixture.score"),
        "impl": f"{_IS}:score_from_log_density",
        "check": f"{_CS}:check_unnormalized",
        "sources": (_L6_UNNORM,),
        "statement": (
            r"For p = \hat p / Z with Z > 0 independent of x, \nabla_x \log p(x) = \nabla_x \log \hat p(x): "
            r"the normalizing constant drops out of the score. Checked symbolically (unnormalized "
            r"2-component mixture in 2-D, symbolic Z) and numerically: the autograd score of "
            r"log p + log Z equals the exact mixture score for any log Z."
        ),
    },
    "score.fisher_divergence": {
        "oracle": ("symbolic", "quadrature"),
        "oracle_refs": (f"{_TS}:explicit_objective", f"{_TS}:implicit_objective", f"{_TS}:implicit_constant",
                        f"{_TS}:fisher_information", f"{_TS}:derive_dsm_gap_gaussian"),
        "impl": f"{_IS}:implicit_loss",
        "check": f"{_CS}:check_fisher_divergence",
        "sources": (_L6_FISHER, _S001_SGM),
        "statement": (
            r"The Fisher divergence D_F(q, s) = \frac12 E_q ||s(x) - \nabla \log q(x)||^2 equals "
            r"E_q[\frac12 ||s(x)||^2 + tr \nabla_x s(x)] + \frac12 J(q), J(q) = E_q ||\nabla \log q||^2, "
            r"for every score model s with s q -> 0 at infinity (Hyvarinen; integration by parts: "
            r"E_q[s \cdot \nabla \log q] = -E_q[tr \nabla s]). The Hutchinson form replaces tr \nabla s by "
            r"v^T \nabla s v with E[v v^T] = I. Checked by Gauss-Hermite quadrature (refined until the "
            r"by-parts defect is below 1e-9) for linear and MLP models on Gaussian-mixture data."
        ),
        "notes": (
            "001 'Score-based generative models' writes the implicit objective as "
            "E[tr(grad s) + ||(1/2) grad s||^2]; the correct one is E[tr(grad s) + (1/2)||s||^2]. "
            "Counterexample: data N(0, 1), s(x) = a x: the correct objective a + a^2/2 is minimized at the "
            "true score a = -1, the slide's a + a^2/4 at a = -2. The same slide writes the explicit "
            "objective with grad log p_theta where grad log p_d belongs."
        ),
    },
    "score.dsm_equivalence": {
        "oracle": ("symbolic", "quadrature"),
        "oracle_refs": (f"{_TS}:dsm_objective", f"{_TS}:explicit_objective", f"{_TS}:dsm_constant",
                        f"{_TS}:denoising_rule", f"{_TS}:derive_dsm_gap_gaussian",
                        f"{_TS}:fisher_information_adaptive"),
        "impl": f"{_IS}:dsm_loss",
        "check": f"{_CS}:check_dsm_equivalence",
        "sources": (_L6_DSM, _L7_DSM, _L7_NCSN_DSM),
        "statement": (
            r"For every score model s_\theta: E_{x ~ p} E_{\epsilon} ||s_\theta(x + \sigma\epsilon) + "
            r"\epsilon/\sigma||^2 = E_{q_\sigma} ||s_\theta - \nabla \log q_\sigma||^2 + d/\sigma^2 - "
            r"J(q_\sigma): the denoising objective minus the explicit one is the theta-free constant "
            r"E||\epsilon/\sigma||^2 - E||\nabla \log q_\sigma||^2. Checked by quadrature of the joint "
            r"(x, epsilon) integral (Gauss-Hermite, exact in epsilon given x_sigma) for linear and tiny-MLP "
            r"models on 1-D and 2-D mixtures; sympy proves it in closed form for Gaussian data and a "
            r"linear model; J(q_sigma) by Gauss-Hermite agrees with adaptive quadrature to 1e-9."
        ),
        "notes": (
            "000 L6 'Denoising Score Matching' writes the noised objective with grad_x log q(x_sigma) "
            "(the gradient is in x_sigma). The constant is d/sigma^2 - J(q_sigma), not 0: the two "
            "objectives have the same minimizer, not the same value."
        ),
    },
    "score.noise_kernel_gradient": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": (f"{_TS}:derive_noise_kernel_gradient", f"{_TS}:noise_kernel_score"),
        "impl": f"{_IS}:noise_kernel_score",
        "check": f"{_CS}:check_noise_kernel_gradient",
        "sources": (_L6_KERNEL, _L7_NCSN_DSM, _L11_SDE),
        "statement": (
            r"For q(x_\sigma | x) = N(x, \sigma^2 I): \nabla_{x_\sigma} \log q(x_\sigma | x) = "
            r"-(x_\sigma - x)/\sigma^2, which on x_\sigma = x + \sigma\epsilon is -\epsilon/\sigma."
        ),
        "notes": (
            "000 L11 'Score-Based Generative Models Through SDEs' writes grad log q(x(t)|x(0)) = "
            "-(1/sigma) (x(t) - mu) for q = N(mu, sigma^2 I); the correct factor is 1/sigma^2. "
            "Counterexample: sigma = 2, x(t) - mu = 1: the score is -1/4, the slide gives -1/2 "
            "(sympy: truth minus slide is (x - mu)(sigma - 1)/sigma^2, zero only at sigma = 1)."
        ),
    },
    "langevin.stationary": {
        "oracle": ("symbolic", "closed_form", "monte_carlo"),
        "oracle_refs": (f"{_TL}:ula_transition", f"{_TL}:moment_step", f"{_TL}:ula_stationary",
                        f"{_TL}:ula_stationary_closed_form", f"{_TL}:ula_bias", f"{_TL}:derive_ula_stationary_1d",
                        f"{_TL}:one_step_moment_gain"),
        "impl": f"{_IL}:langevin_step",
        "check": f"{_CL}:check_stationary",
        "sources": (_L6_LANGEVIN, _L10_DISCRETIZED),
        "statement": (
            r"ULA x' = x + (\eta/2) \nabla \log p(x) + \sqrt\eta z on p = N(m, C) maps N(\mu, \Sigma) to "
            r"N(M\mu + (\eta/2) C^{-1} m, M \Sigma M^T + \eta I), M = I - (\eta/2) C^{-1}; for "
            r"\eta < 4 \lambda_min(C) (in particular the slide's \eta < 2/L) its unique stationary law is "
            r"N(m, S) with S = M S M^T + \eta I, S = 4C^2 (4C - \eta I)^{-1} = C + (\eta/4) I + O(\eta^2): "
            r"an O(\eta) bias, W_2 <= C' \eta, and p is stationary only in the limit \eta -> 0. On any "
            r"target q, one exact step from x ~ q keeps E x and adds \eta^2 J(q)/4 to E||x||^2."
        ),
        "notes": (
            "000 L6 'Langevin Dynamics' (Theorem (Informal)) says p_theta is the stationary distribution of "
            "the chain; for every eta > 0 it is not: target N(0, 1), eta = 0.1 has the stationary law "
            "N(0, 1.02564) (= 4/(4 - eta)). The formal theorem (W_2 <= C eta) holds: ||S - C|| / eta -> 1/4 "
            "(measured 0.278, 0.263, 0.256, 0.253, 0.252 at eta = 0.2 ... 0.0125 for C = [[0.5, 0.1], "
            "[0.1, 2]]). Its step condition eta < 2/L is sufficient, not necessary (Gaussian: eta < 4/L)."
        ),
    },
    "langevin.annealed": {
        "oracle": ("closed_form",),
        "oracle_refs": (f"{_TL}:annealed_moments", f"{_TL}:ula_transition"),
        "impl": f"{_IL}:annealed_langevin",
        "check": f"{_CL}:check_annealed",
        "sources": (_L7_ANNEALED, _L9_NCSN_SAMPLING),
        "statement": (
            r"Annealed Langevin runs n ULA steps of size \eta_i on each target q_{\sigma_i} in the order "
            r"visited, handing the state on. On Gaussian data N(m, C) every target N(m, C + \sigma_i^2 I) "
            r"has an affine score, the chain stays Gaussian and its law after all levels is the exact "
            r"moment recursion \mu <- M_i \mu + c_i, S <- M_i S M_i^T + \eta_i I."
        ),
        "notes": (
            "000 L9 'Recap of Lecture 7' says to sample 'for t = 1, ..., T' with sigma_1 < ... < sigma_T; "
            "read literally that anneals the noise upward. The order is sigma_T -> sigma_1 (000 L9 "
            "'DDPM vs NCSN: Sampling': x_{t-1}^0 = x_t^L). Data N(0, 1), sigma = (0.1, 1, 3), eps = 0.01, "
            "50 steps per level: the correct order ends with variance 1.788, the reverse order with 12.90."
        ),
    },
    "ncsn.weighted_objective": {
        "oracle": ("closed_form", "quadrature"),
        "oracle_refs": (f"{_TS}:ncsn_weighted_objective", f"{_TS}:ncsn_minimum", f"{_TS}:ncsn_excess",
                        f"{_TS}:explicit_objective", f"{_TS}:dsm_constant"),
        "impl": f"{_IL}:ncsn_loss",
        "check": f"{_CS}:check_weighted_objective",
        "sources": (_L7_NCSN, _L9_RECAP, _L9_TRAINING, _L9_OBJECTIVE, _S001_SGM),
        "statement": (
            r"L(s) = \sum_t \lambda(\sigma_t) E ||s(x_t, \sigma_t) + (x_t - x)/\sigma_t^2||^2 with "
            r"\lambda(\sigma) = \sigma^2 equals \sum_t E||\sigma_t s(x_t, \sigma_t) + \epsilon||^2 per sample, "
            r"and \sum_t \sigma_t^2 (E_{q_{\sigma_t}} ||s(\cdot, \sigma_t) - \nabla \log q_{\sigma_t}||^2 + "
            r"d/\sigma_t^2 - J(q_{\sigma_t})): its minimizer over all functions is the exact noised score "
            r"\nabla \log q_{\sigma_t} at every level, with minimum \sum_t (d - \sigma_t^2 J(q_{\sigma_t})) "
            r"and excess \sum_t \sigma_t^2 E||\delta_t||^2 at \nabla \log q + \delta."
        ),
        "notes": (
            "000 L9 'NCSN Objective' (DDPM vs NCSN: Objectives) drops the sigma_t^2 weight of 000 L7: "
            "the minimizer over all functions is the same, but the objectives differ (and so do their "
            "minimizers within a restricted model class). The training step samples t ~ U{1..T}, "
            "i.e. (1/T) times the slide's sum."
        ),
    },
    "ncsn.annealed_sampling": {
        "oracle": ("closed_form",),
        "oracle_refs": (f"{_TL}:ncsn_sampling_moments", f"{_TL}:ncsn_step_sizes", f"{_TL}:geometric_sigmas"),
        "impl": f"{_IL}:ncsn_sample",
        "check": f"{_CL}:check_ncsn_sampling",
        "sources": (_L7_ANNEALED, _L9_SAMPLING, _L9_NCSN_SAMPLING, _S003_SAMPLING),
        "statement": (
            r"NCSN sampling: x ~ N(0, \sigma_T^2 I), then for t = T, ..., 1 (sigma decreasing) n Langevin "
            r"steps x <- x + (\eta_t/2) s(x, \sigma_t) + \sqrt{\eta_t} z with \eta_t = \epsilon "
            r"\sigma_t^2/\sigma_1^2 (Song & Ermon 2019); levels geometric, \sigma_t = \sigma_1 "
            r"(\sigma_T/\sigma_1)^{(t-1)/(T-1)}. With the exact score of Gaussian data N(m, C) the output "
            r"law is the exact moment recursion over the levels."
        ),
        "notes": (
            "The lecture leaves eta_t unspecified; the schedule eps sigma_t^2/sigma_1^2 is Song & Ermon's. "
            "Data N(0, 1), sigma = (0.1, 1, 3), eps = 0.01, 50 steps: the rescaled schedule ends with "
            "variance 1.788, a constant step eps with 4.955. See langevin.annealed for the order of levels."
        ),
    },
}
