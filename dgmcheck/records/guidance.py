"""Registry records of guidance: classifier guidance, guidance scale, classifier-free guidance."""

from __future__ import annotations

from typing import Any

from dgmcheck.registry import Source

_L9_GUIDED = Source("000", "L9", "Classifier Guidance: Guided Score Function")
_L9_SCALE = Source("000", "L9", "Classifier Guidance: Guidance Scale")
_L9_SHARPEN = Source("000", "L9", "Classifier Guidance: Distribution Sharpening")
_L9_CFG = Source("000", "L9", "Classifier-Free Guidance")
_L9_CFG_FORM = Source("000", "L9", "Classifier-Free Guidance: Formulation")
_S003_GUIDED = Source("003", "L9", "Classifier Guidance: Guided Score Function")
_S003_SHARPEN = Source("003", "L9", "Classifier Guidance: Distribution Sharpening")
_S003_CFG_FORM = Source("003", "L9", "Classifier-Free Guidance: Formulation")

DETAILS: dict[str, dict[str, Any]] = {
    "guidance.classifier": {
        "oracle": ("closed_form", "symbolic"),
        "oracle_refs": ("dgmcheck.theory.guidance:classifier_gradient", "dgmcheck.theory.guidance:component_score"),
        "impl": "dgmcheck.impl.guidance:classifier_guided_score",
        "check": "dgmcheck.checks.guidance:check_classifier",
        "sources": (_L9_GUIDED, _S003_GUIDED),
        "statement": (
            r"grad_x log p_t(x | y) = grad_x log p_t(x) + grad_x log p_t(y | x) at every noise level "
            r"(Bayes, p(y) does not depend on x); for a Gaussian mixture whose classes are its components, "
            r"noised as a x_0 + s eps, p_t(y=k | x) is the exact responsibility and the identity holds exactly."
        ),
    },
    "guidance.scale_sharpening": {
        "oracle": ("closed_form", "symbolic", "quadrature"),
        "oracle_refs": ("dgmcheck.theory.guidance:guided_score", "dgmcheck.theory.guidance:tilted_moments"),
        "impl": "dgmcheck.impl.guidance:classifier_guided_score",
        "check": "dgmcheck.checks.guidance:check_scale_sharpening",
        "sources": (_L9_SCALE, _L9_SHARPEN, _S003_SHARPEN),
        "statement": (
            r"s^gamma(x, y) = grad log p(x) + gamma grad log p(y|x) is the score of "
            r"p_gamma(x|y) = p(x) p(y|x)^gamma / Z(gamma); d/dgamma E_{p_gamma}[log p(y|x)] = "
            r"Var_{p_gamma}[log p(y|x)] >= 0 and d/dgamma E_{p_gamma}[p(y|x)] = Cov(p(y|x), log p(y|x)) >= 0, "
            r"so a larger scale moves mass to where the classifier is confident in y."
        ),
        "notes": ("The slide's 'Increasing gamma sharpens p(y|x_t), p^(y|x_t) ∝ p(y|x_t)^gamma' is informal: "
                  "what is tilted is the density of x (p(x) p(y|x)^gamma), not a renormalised classifier; the "
                  "checked statement is the monotonicity above. Also, p_gamma at noise level t is NOT the "
                  "noised version of p_0(x) p_0(y|x)^gamma (tilting does not commute with noising)."),
    },
    "guidance.classifier_free": {
        "oracle": ("closed_form", "symbolic"),
        "oracle_refs": ("dgmcheck.theory.guidance:guided_score", "dgmcheck.theory.guidance:cfg_gamma"),
        "impl": "dgmcheck.impl.guidance:cfg_score",
        "check": "dgmcheck.checks.guidance:check_classifier_free",
        "sources": (_L9_CFG, _L9_CFG_FORM, _S003_CFG_FORM),
        "statement": (
            r"With exact s_u = grad log p_t(x) and s_c = grad log p_t(x|y): 'w' convention (the lecture's "
            r"gamma) s_u + w (s_c - s_u) = (1 - w) s_u + w s_c is the score of p_t(x) p_t(y|x)^w; "
            r"'1 + w' convention (1 + w) s_c - w s_u is the score of p_t(x) p_t(y|x)^{1+w}; in "
            r"eps-parametrisation eps = -sigma_t s the same affine combinations of eps give -sigma_t times "
            r"the guided score."
        ),
        "notes": ("The lecture uses the 'w' convention (s^gamma = (1 - gamma) s_u + gamma s_c); Ho & Salimans "
                  "and many codebases use (1 + w) eps_c - w eps_u, i.e. gamma = 1 + w. Both are exposed, by name."),
    },
}
