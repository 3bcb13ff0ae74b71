"""Registry records of the prediction parametrizations (ε, x₀, v, score) of Gaussian diffusion."""

from __future__ import annotations

from typing import Any

from dgmcheck.registry import Source

_L8_REPARAM = Source("000", "L8", "Reparametrization of DDPM")
_L9_SCORE = Source("000", "L9", "Denoising Diffusion as a Score-Based Generative Model")

DETAILS: dict[str, dict[str, Any]] = {
    "parametrization.affine": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.parametrization:conversion",
                        "dgmcheck.theory.parametrization:derive_conversions"),
        "impl": "dgmcheck.impl.parametrization:Parametrization.convert",
        "check": "dgmcheck.checks.parametrization:check_affine",
        "sources": (_L9_SCORE, _L8_REPARAM),
        "statement": (
            r"At x_t = \sqrt{\bar\alpha} x_0 + \sqrt{1-\bar\alpha} \epsilon, the predictions "
            r"\epsilon, x_0, v = \sqrt{\bar\alpha} \epsilon - \sqrt{1-\bar\alpha} x_0 and "
            r"s = -\epsilon/\sqrt{1-\bar\alpha} are exact affine images A \cdot src + B x_t of "
            r"one another (all 12 ordered pairs)."
        ),
        "notes": ("Also checked: the definition of v (dgmcheck.checks.parametrization:check_velocity); "
                  "v is Salimans & Ho 2022's."),
    },
    "parametrization.loss_weights": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.parametrization:loss_weight",
                        "dgmcheck.theory.parametrization:derive_loss_weights"),
        "impl": "dgmcheck.impl.parametrization:Parametrization.loss_weight",
        "check": "dgmcheck.checks.parametrization:check_loss_identity",
        "sources": (_L8_REPARAM,),
        "statement": (
            r"With the predictions converted at the same x_t: ||\hat x_0 - x_0||^2 = "
            r"(1-\bar\alpha)/\bar\alpha ||\hat\epsilon - \epsilon||^2 (1/SNR), ||\hat v - v||^2 = "
            r"||\hat\epsilon - \epsilon||^2/\bar\alpha, ||\hat s - s||^2 = ||\hat\epsilon - "
            r"\epsilon||^2/(1-\bar\alpha)."
        ),
    },
}
