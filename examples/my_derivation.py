"""dgmcheck audit --claims examples/my_derivation.py

A user's derivation checked against dgmcheck's own oracles (``dgmcheck.theory``): the DDPM posterior
mean written in ε-form, once correctly and once with the bar dropped from ᾱ_t (a typo 001 makes).
"""

from __future__ import annotations

import numpy as np

from dgmcheck.audit.formulas import Place
from dgmcheck.audit.model import Claim, num_equal, points
from dgmcheck.theory import ddpm

_SOURCE = (Place("my_derivation.md", "", "DDPM in epsilon form", 7),)
_BETAS = np.linspace(1e-4, 0.02, 1000)  # Ho et al.'s linear schedule


def _eps_form(with_bar: bool):
    """My μ̃_t(x_t, ε) = (x_t - (1-α_t)/√(1-ᾱ_t) ε)/√α_t against the registry's posterior mean,
    with x_0 = (x_t - √(1-ᾱ_t) ε)/√ᾱ_t substituted into c_0 x_0 + c_t x_t."""

    def mine(t: float, x_t: float, eps: float) -> float:
        t = int(t)
        alpha = 1 - _BETAS[t - 1]
        abar = np.prod(1 - _BETAS[:t])
        denom = np.sqrt(1 - abar) if with_bar else np.sqrt(1 - alpha)
        return (x_t - (1 - alpha) / denom * eps) / np.sqrt(alpha)

    def oracle(t: float, x_t: float, eps: float) -> float:
        t = int(t)
        c0, ct, _ = ddpm.posterior(_BETAS, t)
        abar = np.prod(1 - _BETAS[:t])
        x0 = (x_t - np.sqrt(1 - abar) * eps) / np.sqrt(abar)
        return float(c0 * x0 + ct * x_t)

    at = points(30, seed=0, t=lambda rng: int(rng.integers(2, 1001)), x_t=(-3.0, 3.0), eps=(-3.0, 3.0))
    return lambda: num_equal(mine, oracle, at)


CLAIMS = [
    Claim(id="derivation.eps_mean", text=r"\tilde\mu_t = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - "
          r"\frac{1-\alpha_t}{\sqrt{1-\bar\alpha_t}}\,\epsilon\Big)", places=_SOURCE,
          meaning="Ho et al.'s notation; eps is the noise with x_t = sqrt(abar_t) x_0 + sqrt(1-abar_t) eps",
          check=_eps_form(with_bar=True), theorem="ddpm.eps_mean"),
    Claim(id="derivation.eps_mean_typo", text=r"\tilde\mu_t = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - "
          r"\frac{1-\alpha_t}{\sqrt{1-\alpha_t}}\,\epsilon\Big)", places=_SOURCE,
          meaning="as above, with the bar dropped from alpha in the square root",
          check=_eps_form(with_bar=False), theorem="ddpm.eps_mean",
          corrected=r"\frac{1-\alpha_t}{\sqrt{1-\bar\alpha_t}}"),
]
