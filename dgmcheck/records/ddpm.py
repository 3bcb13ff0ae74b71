"""Registry records of the Gaussian diffusion (DDPM) slice and the noise schedules.

Each family module under ``dgmcheck.records`` defines ``DETAILS``: theorem id -> the fields of its
:class:`~dgmcheck.registry.Theorem` beyond id and title (sources, statement, oracle kinds and
references, impl, check, notes). ``dgmcheck.theorems`` merges them into the inventory.
"""

from __future__ import annotations

from typing import Any

from dgmcheck.registry import Source

# Lecture slides cited by the DDPM slice.

_L7_FORWARD = Source("000", "L7", "Forward Gaussian Diffusion Process")
_L7_ANCESTRAL = Source("000", "L7", "Reverse Gaussian Diffusion Process (Ancestral Sampling)")
_L8_CONDITIONED = Source("000", "L8", "Conditioned Reverse Distribution")
_L8_AS_VAE = Source("000", "L8", "Gaussian Diffusion Model as VAE")
_L8_ELBO = Source("000", "L8", "ELBO for Gaussian Diffusion Model")
_L8_REPARAM = Source("000", "L8", "Reparametrization of DDPM")
_L8_DDPM = Source("000", "L8", "Denoising Diffusion Probabilistic Model (DDPM)")
_L9_SCORE = Source("000", "L9", "Denoising Diffusion as a Score-Based Generative Model")
_L9_OBJECTIVES = Source("000", "L9", "DDPM vs NCSN: Objectives")
_L9_SAMPLING = Source("000", "L9", "DDPM vs NCSN: Sampling")
_L9_SUMMARY = Source("000", "L9", "DDPM vs NCSN: Summary")
_S001_DDPM = Source("001", "", "Denoising diffusion probabilistic models")
_S003_SCORE = Source("003", "L9", "Denoising Diffusion as a Score-Based Generative Model")
_S003_OBJECTIVES = Source("003", "L9", "DDPM vs NCSN: Objectives")
_S003_SAMPLING = Source("003", "L9", "DDPM vs NCSN: Sampling")

# Notation shared by the statements below: beta_t in (0, 1), alpha_t = 1 - beta_t,
# abar_t = prod_{s<=t} alpha_s (abar_0 = 1), t = 1..T.

DETAILS: dict[str, dict[str, Any]] = {
    "ddpm.forward_marginal": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.ddpm:forward_marginal", "dgmcheck.theory.ddpm:derive_forward_marginal_step"),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.q_sample",
        "check": "dgmcheck.checks.ddpm:check_forward_marginal",
        "sources": (_L7_FORWARD, _S001_DDPM),
        "statement": (
            r"The chain q(x_t | x_{t-1}) = N(\sqrt{1-\beta_t} x_{t-1}, \beta_t I) has the t-step "
            r"marginal q(x_t | x_0) = N(\sqrt{\bar\alpha_t} x_0, (1-\bar\alpha_t) I), i.e. "
            r"x_t = \sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t} \epsilon, "
            r"\epsilon ~ N(0, I) (Statement 1)."
        ),
    },
    "ddpm.stationary": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.ddpm:forward_step", "dgmcheck.theory.ddpm:prior_kl"),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.q_step",
        "check": "dgmcheck.checks.ddpm:check_stationary",
        "sources": (_L7_FORWARD,),
        "statement": (
            r"N(0, I) is invariant under every kernel q(x_t | x_{t-1}) (if x_{t-1} ~ N(0, I) "
            r"then x_t ~ N(0, I)), and for any data law with finite second moment q(x_t) -> "
            r"N(0, I) as \bar\alpha_t -> 0: W_2(q(x_t), N(0, I)) <= \sqrt{\bar\alpha_t} "
            r"(E||x_0||^2)^{1/2} + (1 - \sqrt{1-\bar\alpha_t}) \sqrt{d} (Statement 2)."
        ),
        "notes": (
            "The slide's p_infinity = N(0, I) holds only in the limit; for finite T the "
            "marginal q(x_T) keeps a sqrt(abar_T)-scaled copy of the data."
        ),
    },
    "ddpm.forward_as_langevin": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": (
            "dgmcheck.theory.ddpm:langevin_remainder",
            "dgmcheck.theory.ddpm:langevin_remainder_bounds",
            "dgmcheck.theory.ddpm:derive_langevin_remainder",
        ),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.q_step",
        "check": "dgmcheck.checks.ddpm:check_forward_as_langevin",
        "sources": (_L7_FORWARD,),
        "statement": (
            r"The forward step x_t = \sqrt{1-\beta_t} x_{t-1} + \sqrt{\beta_t}\epsilon agrees to "
            r"first order in \beta_t with one unadjusted Langevin step of size \eta = \beta_t on "
            r"N(0, I), x + (\eta/2) \nabla \log N(x; 0, I) + \sqrt{\eta}\epsilon = (1-\eta/2) x "
            r"+ \sqrt{\eta}\epsilon; the drift coefficients differ by \sqrt{1-\beta} - "
            r"(1-\beta/2) = -\beta^2/8 + O(\beta^3). The forward kernel keeps N(0, I) exactly, "
            r"the Langevin step has stationary law N(0, I/(1-\eta/4))."
        ),
    },
    "ddpm.posterior": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.ddpm:posterior", "dgmcheck.theory.ddpm:derive_posterior"),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.posterior",
        "check": "dgmcheck.checks.ddpm:check_posterior",
        "sources": (_L8_CONDITIONED, _S001_DDPM),
        "statement": (
            r"For t >= 2, q(x_{t-1} | x_t, x_0) = N(\tilde\mu_t(x_t, x_0), \tilde\beta_t I) with "
            r"\tilde\mu_t = \sqrt{\bar\alpha_{t-1}}\beta_t/(1-\bar\alpha_t) x_0 + "
            r"\sqrt{\alpha_t}(1-\bar\alpha_{t-1})/(1-\bar\alpha_t) x_t and "
            r"\tilde\beta_t = (1-\bar\alpha_{t-1})\beta_t/(1-\bar\alpha_t); at t = 1 "
            r"(\bar\alpha_0 = 1) it degenerates to the point mass at x_0."
        ),
    },
    "ddpm.elbo_decomposition": {
        "oracle": ("closed_form",),
        "oracle_refs": (
            "dgmcheck.theory.linear_gaussian:elbo",
            "dgmcheck.theory.linear_gaussian:elbo_terms",
            "dgmcheck.theory.linear_gaussian:posterior_kl_gap",
            "dgmcheck.theory.linear_gaussian:log_likelihood",
        ),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.posterior_kl",
        "check": "dgmcheck.checks.ddpm:check_elbo_decomposition",
        "sources": (_L8_AS_VAE, _L8_ELBO, _S001_DDPM),
        "statement": (
            r"With p_\theta(x_{0:T}) = p(x_T) \prod_t p_\theta(x_{t-1} | x_t) and q(x_{1:T} | x_0)"
            r" = \prod_t q(x_t | x_{t-1}): log p_\theta(x_0) >= L(x_0) = E_{q(x_1|x_0)} log "
            r"p_\theta(x_0 | x_1) - KL(q(x_T | x_0) || p(x_T)) - \sum_{t=2}^T E_{q(x_t|x_0)} "
            r"KL(q(x_{t-1} | x_t, x_0) || p_\theta(x_{t-1} | x_t)), with equality of L and "
            r"E_q log p_\theta(x_{0:T}) / q(x_{1:T} | x_0), and log p_\theta(x_0) - L(x_0) = "
            r"KL(q(x_{1:T} | x_0) || p_\theta(x_{1:T} | x_0))."
        ),
    },
    "ddpm.kl_same_variance": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.linear_gaussian:gaussian_kl",),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.posterior_kl",
        "check": "dgmcheck.checks.ddpm:check_kl_same_variance",
        "sources": (_L8_ELBO,),
        "statement": (
            r"KL(N(\mu_1, \sigma^2 I) || N(\mu_2, \sigma^2 I)) = ||\mu_1 - \mu_2||^2 / "
            r"(2\sigma^2); with \sigma^2 = \tilde\beta_t, L_t = E_{q(x_t|x_0)} "
            r"||\tilde\mu_t(x_t, x_0) - \mu_{\theta,t}(x_t)||^2 / (2\tilde\beta_t)."
        ),
    },
    "ddpm.optimal_variance": {
        "oracle": ("closed_form",),
        "oracle_refs": (
            "dgmcheck.theory.linear_gaussian:optimal_reverse_variance",
            "dgmcheck.theory.ddpm:reverse_variance",
        ),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.reverse_variance",
        "check": "dgmcheck.checks.ddpm:check_optimal_variance",
        "sources": (_L8_ELBO,),
        "statement": (
            r"For p_\theta(x_{t-1} | x_t) = N(\mu(x_t), \sigma_t^2 I) with the optimal mean "
            r"\mu^*(x_t) = E[\tilde\mu_t | x_t], the ELBO-optimal variance is \sigma_t^{2*} = "
            r"\tilde\beta_t + E||\tilde\mu_t - \mu^*(x_t)||^2 / d = E tr Cov(x_{t-1} | x_t) / d "
            r">= \tilde\beta_t; it equals \tilde\beta_t for point-mass data and \beta_t for "
            r"x_0 ~ N(0, I). For x_0 ~ N(0, s^2 I): \sigma_t^{2*} = v\beta_t/(\alpha_t v + "
            r"\beta_t), v = \bar\alpha_{t-1}s^2 + 1 - \bar\alpha_{t-1}, which exceeds \beta_t "
            r"exactly when s > 1."
        ),
        "notes": (
            "The slide's interval [beta-tilde, beta] holds for data with covariance <= I, "
            "not for every data law (wider data give sigma*^2 > beta_t)."
        ),
    },
    "ddpm.eps_mean": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.ddpm:eps_mean", "dgmcheck.theory.ddpm:derive_eps_mean"),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.posterior_mean_from_eps",
        "check": "dgmcheck.checks.ddpm:check_eps_mean",
        "sources": (_L8_REPARAM, _S001_DDPM),
        "statement": (
            r"With x_0 = (x_t - \sqrt{1-\bar\alpha_t}\epsilon)/\sqrt{\bar\alpha_t}: "
            r"\tilde\mu_t(x_t, x_0) = (1/\sqrt{\alpha_t}) (x_t - \beta_t/\sqrt{1-\bar\alpha_t} "
            r"\epsilon), and \mu_{\theta,t}(x_t) = (1/\sqrt{\alpha_t}) (x_t - \beta_t / "
            r"\sqrt{1-\bar\alpha_t} \epsilon_{\theta,t}(x_t))."
        ),
        "notes": (
            "Seed 001 writes (1-alpha_t)/sqrt(1-alpha_t) in places where sqrt(1-abar_t) belongs; the audit records it."
        ),
    },
    "ddpm.loss_weight": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.ddpm:loss_weight", "dgmcheck.theory.ddpm:derive_loss_weight"),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.loss_weight",
        "check": "dgmcheck.checks.ddpm:check_loss_weight",
        "sources": (_L8_REPARAM, _S001_DDPM),
        "statement": (
            r"With \sigma_t^2 = \tilde\beta_t and the \epsilon-parametrized mean, L_t = E_\epsilon "
            r"[\beta_t^2 / (2\tilde\beta_t\alpha_t(1-\bar\alpha_t)) ||\epsilon - "
            r"\epsilon_{\theta,t}(\sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t}\epsilon)||^2], "
            r"and the weight simplifies to \beta_t / (2\alpha_t(1-\bar\alpha_{t-1})) for t >= 2."
        ),
    },
    "ddpm.simple_loss": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.ddpm:forward_marginal",),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.simple_loss",
        "check": "dgmcheck.checks.ddpm:check_simple_loss",
        "sources": (_L8_REPARAM, _L8_DDPM, _S001_DDPM),
        "statement": (
            r"L_simple = E_{t ~ U\{1..T\}} E_{x_0, \epsilon} ||\epsilon - \epsilon_\theta("
            r"\sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t}\epsilon, t)||^2 is the ELBO's "
            r"noise-prediction terms with their weights dropped; for a network with a separate "
            r"output per t it has the same minimizer \epsilon^*(x_t, t) = E[\epsilon | x_t] as "
            r"every positively weighted sum of the L_t."
        ),
        "notes": "L8 writes t ~ U{2, T} on one slide and t ~ U{1, T} on the next.",
    },
    "ddpm.ancestral_sampling": {
        "oracle": ("closed_form",),
        "oracle_refs": (
            "dgmcheck.theory.ddpm:eps_mean",
            "dgmcheck.theory.linear_gaussian:ddpm_sampler_chain",
            "dgmcheck.theory.linear_gaussian:sampler_law",
        ),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.sample",
        "check": "dgmcheck.checks.ddpm:check_sampler_law",
        "sources": (_L7_ANCESTRAL, _L8_ELBO, _L8_DDPM, _S001_DDPM),
        "statement": (
            r"x_T ~ N(0, I); for t = T..1: x_{t-1} = \mu_{\theta,t}(x_t) + \sigma_t z with "
            r"z ~ N(0, I) for t > 1 and z = 0 at t = 1. The chain draws from p(x_T) \prod_t "
            r"p_\theta(x_{t-1} | x_t); for a linear-Gaussian model its output law is the "
            r"Gaussian obtained by composing the steps exactly."
        ),
    },
    "ddpm.score_reparametrization": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.ddpm:score_from_eps", "dgmcheck.theory.gaussian_mixture:posterior_mean_noise"),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.score_from_eps",
        "check": "dgmcheck.checks.ddpm:check_score_reparametrization",
        "sources": (_L9_SCORE, _S003_SCORE),
        "statement": (
            r"\nabla_{x_t} log q(x_t | x_0) = -(x_t - \sqrt{\bar\alpha_t} x_0)/(1-\bar\alpha_t) = "
            r"-\epsilon/\sqrt{1-\bar\alpha_t}; the marginal score is \nabla log q(x_t) = "
            r"-E[\epsilon | x_t]/\sqrt{1-\bar\alpha_t}, so s_\theta(x_t, t) = "
            r"-\epsilon_\theta(x_t, t)/\sqrt{1-\bar\alpha_t}."
        ),
        "notes": (
            "The slides write s = eps_theta / sqrt(1 - abar_t) without the minus sign, while "
            "the score-form sampling step of the same lecture needs it."
        ),
    },
    "ddpm.sampling_in_score_form": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.ddpm:score_step", "dgmcheck.theory.ddpm:derive_score_step"),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.reverse_step_score",
        "check": "dgmcheck.checks.ddpm:check_score_form_step",
        "sources": (_L9_SAMPLING, _S003_SAMPLING),
        "statement": (
            r"With s_\theta = -\epsilon_\theta/\sqrt{1-\bar\alpha_t}: \mu_{\theta,t}(x_t) = "
            r"(1/\sqrt{\alpha_t})(x_t - \beta_t/\sqrt{1-\bar\alpha_t} \epsilon_\theta) = "
            r"(1/\sqrt{1-\beta_t})(x_t + \beta_t s_\theta(x_t, t))."
        ),
    },
    "ddpm.elbo_equals_dsm": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.ddpm:dsm_weight", "dgmcheck.theory.ddpm:loss_weight"),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.dsm_term",
        "check": "dgmcheck.checks.ddpm:check_elbo_equals_dsm",
        "sources": (_L9_SCORE, _L9_OBJECTIVES, _L9_SUMMARY, _S003_OBJECTIVES),
        "statement": (
            r"L_t = C_{1,t} E||\epsilon_\theta - \epsilon||^2 = C_{2,t} E_{q(x_t|x_0)} "
            r"||s_\theta(x_t) - \nabla log q(x_t | x_0)||^2 with C_{1,t} = \beta_t^2 / "
            r"(2\tilde\beta_t\alpha_t(1-\bar\alpha_t)), C_{2,t} = (1-\bar\alpha_t) C_{1,t} = "
            r"\beta_t^2/(2\tilde\beta_t\alpha_t); averaged over the data this equals C_{2,t} "
            r"E_{q(x_t)} ||s_\theta(x_t) - \nabla log q(x_t)||^2 + const(\theta) (denoising "
            r"score matching), so maximizing the ELBO is weighted score matching."
        ),
    },
    "schedules.linear": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.schedules:linear_betas",),
        "impl": "dgmcheck.impl.schedules:linear_betas",
        "check": "dgmcheck.checks.schedules:check_linear_schedule",
        "sources": (_S001_DDPM,),
        "statement": (
            r"\beta_t = \beta_1 + (t-1)(\beta_T - \beta_1)/(T-1), with \beta_1 = 10^{-4}, "
            r"\beta_T = 0.02, T = 1000 (Ho et al. 2020): \beta_t in (0, 1) increasing, "
            r"\bar\alpha_t strictly decreasing, \bar\alpha_T ~= 4.04e-5."
        ),
    },
    "schedules.cosine": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": (
            "dgmcheck.theory.schedules:cosine_betas",
            "dgmcheck.theory.schedules:symbolic_cosine_telescoping",
        ),
        "impl": "dgmcheck.impl.schedules:cosine_betas",
        "check": "dgmcheck.checks.schedules:check_cosine_schedule",
        "sources": (_S001_DDPM,),
        "statement": (
            r"\bar\alpha_t = f(t)/f(0), f(t) = cos^2(((t/T + s)/(1 + s)) \pi/2), s = 0.008; "
            r"\beta_t = 1 - \bar\alpha_t/\bar\alpha_{t-1} clipped to at most 0.999 (Nichol & "
            r"Dhariwal 2021): \bar\alpha_t decreases from ~1 to 0, \beta_t in (0, 0.999]."
        ),
        "notes": (
            "Seed 001 only names the cosine schedule ('works better than linear'); the formula "
            "is Nichol & Dhariwal's. Clipping beta changes abar at the last steps."
        ),
    },
    "schedules.sigmoid": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.schedules:sigmoid_betas",
                        "dgmcheck.theory.schedules:sigmoid_alpha_bar_fn"),
        "impl": None,
        "check": "dgmcheck.checks.schedules:check_sigmoid_schedule",
        "sources": (_S001_DDPM,),
        "statement": (
            r"eta_t = \min(1 - g(t/T)/g((t-1)/T), 0.999) with g(u) = (\sigma(e/	au) - "
            r"\sigma((u(e - b) + b)/	au))/(\sigma(e/	au) - \sigma(b/	au)), b = -3, e = 3, 	au = 1: "
            r"arlpha_t = g(t/T) up to the clip, decreasing from g(0) = 1 (Jabri, Fleet & Chen 2022, "
            r"Figure 8; denoising-diffusion-pytorch's default)."
        ),
        "notes": (
            "Not a theorem of the lectures (seed 001 names schedules only); checked because the "
            "schedule ships as a library default, through the denoising-diffusion-pytorch adapter."
        ),
    },
}
