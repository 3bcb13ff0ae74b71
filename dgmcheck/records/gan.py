"""Registry records of GANs, divergences, Wasserstein distances and evaluation metrics (FID,
precision/recall): ids under the prefixes ``gan.``, ``divergence.``, ``wasserstein.``, ``metrics.``.

Notation: laws p_data, p_θ (densities or probability vectors), m = (p_data + p_θ)/2, natural logs.
"""

from __future__ import annotations

from typing import Any

from dgmcheck.registry import Source

_L5_GAN = Source("000", "L5", "Generative Adversarial Networks (GAN)")
_L5_OBJECTIVE = Source("000", "L5", "GAN Objective")
_L5_OPTIMALITY = Source("000", "L5", "GAN Optimality")
_L5_JS_VS_KL = Source("000", "L5", "Jensen-Shannon vs Kullback-Leibler Divergences")
_L5_W_DISCRETE = Source("000", "L5", "Wasserstein Distance (Discrete)")
_L5_W_CONT = Source("000", "L5", "Wasserstein Distance (Continuous)")
_L5_W_VS = Source("000", "L5", "Wasserstein Distance vs KL vs JSD")
_L5_WGAN = Source("000", "L5", "Wasserstein GAN")
_L6_OT = Source("000", "L6", "Wasserstein GAN (Optimal Transport)")
_L6_FID = Source("000", "L6", "Frechet Inception Distance (FID)")
_L6_FID_W2 = Source("000", "L6", "Frechet Inception Distance")
_L6_PR = Source("000", "L6", "Precision-Recall")

_TG, _TD, _TW, _TM = ("dgmcheck.theory.gan", "dgmcheck.theory.divergences", "dgmcheck.theory.wasserstein",
                      "dgmcheck.theory.metrics")
_IG, _IM = "dgmcheck.impl.gan", "dgmcheck.impl.metrics"
_CG, _CM = "dgmcheck.checks.gan", "dgmcheck.checks.metrics"

DETAILS: dict[str, dict[str, Any]] = {
    "gan.optimal_discriminator": {
        "oracle": ("symbolic", "enumeration", "quadrature"),
        "oracle_refs": (f"{_TG}:derive_optimal_discriminator", f"{_TG}:optimal_discriminator",
                        f"{_TG}:quadrature"),
        "impl": f"{_IG}:GAN.optimal_discriminator",
        "check": f"{_CG}:check_optimal_discriminator",
        "sources": (_L5_OPTIMALITY, _L5_OBJECTIVE),
        "statement": (
            r"For a fixed generator, V(G, D) = \int p_data log D + p_\theta log(1 - D) is maximised "
            r"pointwise by D*(x) = p_data(x) / (p_data(x) + p_\theta(x)) wherever p_data + p_\theta > 0 "
            r"(any D is optimal where both vanish)."
        ),
    },
    "gan.value_at_optimum": {
        "oracle": ("enumeration", "quadrature", "closed_form"),
        "oracle_refs": (f"{_TG}:value", f"{_TG}:value_at_optimum", f"{_TG}:jsd_mixtures_quad"),
        "impl": f"{_IG}:GAN.value",
        "check": f"{_CG}:check_value_at_optimum",
        "sources": (_L5_OPTIMALITY,),
        "statement": (
            r"V(G, D*) = KL(p_data || m) + KL(p_\theta || m) - 2 log 2 = 2 JSD(p_data || p_\theta) - 2 log 2, "
            r"m = (p_data + p_\theta)/2, with natural logarithms."
        ),
        "notes": (
            "Holds with natural logs only: with JSD in bits (log base 2) the identity becomes "
            "V(G, D*) = 2 ln2 · JSD_bits - 2 ln 2 (planted bug JSDLogBase2 is caught).",
        ),
    },
    "gan.global_optimum": {
        "oracle": ("enumeration", "closed_form"),
        "oracle_refs": (f"{_TG}:global_optimum", f"{_TG}:value_at_optimum", f"{_TD}:tv"),
        "impl": f"{_IG}:GAN.value",
        "check": f"{_CG}:check_global_optimum",
        "sources": (_L5_OPTIMALITY,),
        "statement": (
            r"min_G max_D V(G, D) = -2 log 2, attained iff p_\theta = p_data, where D* = 1/2; "
            r"quantitatively V(G, D*) + 2 log 2 = 2 JSD >= TV(p_data, p_\theta)^2."
        ),
        "notes": (
            "The slide's global-optimum theorem assumes a generator that can represent p_data and an "
            "optimal discriminator at every step; the statement here is about the value function only.",
        ),
    },
    "divergence.jsd_properties": {
        "oracle": ("enumeration",),
        "oracle_refs": (f"{_TD}:jsd", f"{_TD}:jsd_properties", f"{_TD}:jsd_triangle_counterexample"),
        "impl": f"{_IG}:GAN.jsd",
        "check": f"{_CG}:check_jsd_properties",
        "sources": (_L5_OPTIMALITY, _L5_JS_VS_KL),
        "statement": (
            r"JSD(p || q) = (KL(p || m) + KL(q || m))/2 is symmetric, 0 <= JSD <= log 2 (equality iff "
            r"disjoint supports), JSD = 0 iff p = q (JSD >= TV^2/2), and sqrt(JSD) satisfies the triangle "
            r"inequality (a metric); JSD itself does not."
        ),
        "notes": (
            "The slide calls JSD 'a proper distance metric': false for JSD itself. Counterexample kept as a "
            "regression case: p = δ_0, q = (1/2, 1/2), r = δ_1 give JSD(p, r) = log 2 ≈ 0.693 > "
            "JSD(p, q) + JSD(q, r) = 1.5 log(4/3) ≈ 0.432. Its square root is a metric (Endres-Schindelin).",
            "The slide's heading 'Jensen-Shannon Divergence (Symmetric KL Divergence)': JSD is not the "
            "symmetrised KL (KL(p||q) + KL(q||p))/2, which is unbounded (planted bug JSDAsSymmetrizedKL).",
        ),
    },
    "divergence.disjoint_supports": {
        "oracle": ("closed_form", "enumeration"),
        "oracle_refs": (f"{_TD}:parallel_lines", f"{_TD}:parallel_lines_discretized", f"{_TW}:w1_primal_lp",
                        f"{_TW}:w1_dual_lp"),
        "impl": f"{_IG}:GAN.jsd",
        "check": f"{_CG}:check_disjoint_supports",
        "sources": (_L5_W_VS,),
        "statement": (
            r"For p_data = (0, U[0,1]) and p_\theta = (\theta, U[0,1]): if \theta = 0 all of KL, JSD, W are 0; "
            r"if \theta != 0, KL(p_data || p_\theta) = KL(p_\theta || p_data) = +inf, JSD = log 2 and "
            r"W_1 = |\theta| (continuous in \theta, while KL and JSD jump)."
        ),
    },
    "divergence.convergence_hierarchy": {
        "oracle": ("enumeration", "closed_form"),
        "oracle_refs": (f"{_TD}:hierarchy_bounds", f"{_TD}:mixture_sequence", f"{_TD}:kl", f"{_TW}:w1_1d"),
        "impl": f"{_IG}:GAN.w1_1d",
        "check": f"{_CG}:check_convergence_hierarchy",
        "sources": (_L5_W_VS,),
        "statement": (
            r"On a compact space of diameter diam: JSD(\pi, p) <= log 2 · TV <= log 2 · sqrt(KL/2) (either "
            r"KL) and W_1(\pi, p) <= diam · TV <= diam · sqrt(2 JSD); hence KL(\pi||p_t) -> 0 or "
            r"KL(p_t||\pi) -> 0 implies JSD(\pi, p_t) -> 0, which implies W_1(\pi, p_t) -> 0. The converses fail."
        ),
        "notes": (
            "Converses fail (regression cases): δ_{1/t} -> δ_0 in W_1 while JSD = log 2; "
            "p_t = (1-1/t)π + (1/t)r with r outside supp π has KL(π||p_t) = log(t/(t-1)) -> 0 and JSD -> 0 "
            "but KL(p_t||π) = +inf for every t, so the slide's '(or KL(p_t||π) -> 0)' is one sufficient "
            "condition among two, not an equivalent one.",
        ),
    },
    "wasserstein.kantorovich_rubinstein": {
        "oracle": ("enumeration", "closed_form"),
        "oracle_refs": (f"{_TW}:w1_primal_lp", f"{_TW}:w1_dual_lp", f"{_TW}:w1_1d", f"{_TW}:gradient_penalty"),
        "impl": f"{_IG}:GAN.kr_potential_1d",
        "check": f"{_CG}:check_kantorovich_rubinstein",
        "sources": (_L5_WGAN, _L5_W_DISCRETE, _L5_W_CONT),
        "statement": (
            r"W_1(\pi, p) = inf_{\gamma \in \Gamma(\pi, p)} E_\gamma ||x_1 - x_2|| = "
            r"sup_{||f||_L <= 1} E_\pi f - E_p f (the sup is attained); with a K-Lipschitz class, "
            r"K W_1 = sup_{||f||_L <= K} (...). In 1-D W_1 = \int |F_\pi - F_p| dx, attained by f' = "
            r"sign(F_p - F_\pi). WGAN-GP penalises (||\nabla f(\hat x_i)|| - 1)^2 per sample."
        ),
        "notes": (
            "The slide writes W = (1/K) max_{||f||_L <= K}: correct (scaling f by K). Weight clipping only "
            "bounds the Lipschitz constant by some K depending on the architecture, so the clipped "
            "critic's value is a lower bound of K·W, as the slide says.",
        ),
    },
    "wasserstein.gaussian_w2": {
        "oracle": ("closed_form", "quadrature", "monte_carlo"),
        "oracle_refs": (f"{_TW}:gaussian_w2_squared", f"{_TW}:gaussian_w2_squared_sqrtm",
                        f"{_TW}:gaussian_w2_1d_quantile", f"{_TW}:empirical_w2_squared_1d"),
        "impl": f"{_IM}:gaussian_w2",
        "check": f"{_CM}:check_gaussian_w2",
        "sources": (_L6_OT,),
        "statement": (
            r"W_2^2(N(\mu_1, \Sigma_1), N(\mu_2, \Sigma_2)) = ||\mu_1 - \mu_2||^2 + tr[\Sigma_1 + \Sigma_2 - "
            r"2 (\Sigma_1^{1/2} \Sigma_2 \Sigma_1^{1/2})^{1/2}] (PSD square roots), attained by the linear map "
            r"T(x) = \mu_2 + A(x - \mu_1), A = \Sigma_1^{-1/2}(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2})^{1/2}"
            r"\Sigma_1^{-1/2} (\Sigma_1 nonsingular); tr(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2})^{1/2} = "
            r"\sum \sqrt{\lambda_i(\Sigma_1 \Sigma_2)}."
        ),
        "notes": (
            "The slide writes W_2^2(π || p) with the KL-style '||'; W_2 is symmetric (a metric).",
            "tr(Σ_1^{1/2}Σ_2^{1/2}) replaces the trace term only when Σ_1, Σ_2 commute (planted bug).",
        ),
    },
    "metrics.fid": {
        "oracle": ("closed_form", "monte_carlo"),
        "oracle_refs": (f"{_TM}:fid", f"{_TM}:feature_stats", f"{_TW}:gaussian_w2_squared"),
        "impl": f"{_IM}:fid",
        "check": f"{_CM}:check_fid",
        "sources": (_L6_FID, _L6_FID_W2),
        "statement": (
            r"FID(X, Y) = W_2^2 of the Gaussians fitted to the feature sets: ||\hat\mu_X - \hat\mu_Y||^2 + "
            r"tr[\hat\Sigma_X + \hat\Sigma_Y - 2(\hat\Sigma_X^{1/2}\hat\Sigma_Y\hat\Sigma_X^{1/2})^{1/2}], "
            r"sample means and unbiased covariances; it is real, symmetric, 0 for identical feature sets and "
            r"invariant to x -> xO + c (O orthogonal). At finite n it is biased upwards: "
            r"E[||\hat\mu_X - \hat\mu_Y||^2 + tr \hat\Sigma_X + tr \hat\Sigma_Y] = ||\Delta\mu||^2 + "
            r"(1 + 1/n) tr \Sigma_X + (1 + 1/m) tr \Sigma_Y; the trace-of-root term has no closed-form bias."
        ),
        "notes": (
            "The slide's 'FID(p_data, p_θ) = W_2^2(p_data || p_θ)' holds only for the Gaussian fits of the "
            "feature laws (FID is W_2^2 between N(μ, Σ) fits, a lower bound of W_2^2 of the feature laws "
            "themselves by Gelbrich's bound), not for the laws in general.",
            "Measured bias (tests/test_theory_divergences.py, d = 3, n = 50, m = 40, 400 reps): "
            "E[FID_n] - FID_∞ ≈ 0.98 ± 0.07 (positive at the declared rate).",
        ),
    },
    "metrics.precision_recall": {
        "oracle": ("enumeration",),
        "oracle_refs": (f"{_TM}:precision_recall", f"{_TM}:knn_radii", f"{_TM}:in_manifold"),
        "impl": f"{_IM}:precision_recall",
        "check": f"{_CM}:check_precision_recall",
        "sources": (_L6_PR,),
        "statement": (
            r"With I(x, S) = 1 iff some x' in S has ||x - x'|| <= ||x' - NN_k(x', S)|| (k-th nearest "
            r"neighbour of x' in S other than x' itself): Pr = mean_{x in S_\theta} I(x, S_data), "
            r"Rec = mean_{x in S_data} I(x, S_\theta). Identical sets give (1, 1), supports farther apart "
            r"than every k-NN radius give (0, 0), S_\theta \subset S_data gives Pr = 1."
        ),
        "notes": (
            "The slide divides both sums by the same n (equal set sizes); with |S_data| != |S_θ| precision "
            "averages over S_θ and recall over S_data.",
            "NN_k must exclude x' itself (Kynkäänniemi et al.); counting x' as its own first neighbour "
            "shrinks every radius (k = 1: to 0) — planted bug PrecisionRadiusCountsSelf.",
        ),
    },
}

# Notes are written above as one sentence group per item; the registry stores one string.
for _record in DETAILS.values():
    if isinstance(_record.get("notes"), tuple):
        _record["notes"] = " ".join(_record["notes"])
