"""The float32 law of a DDPM sampler (``checks._chain_error``): the three routes a step takes give the
theory's law on a consistent schedule, and the forward error bound covers float32 evaluations of each
route on the tables a float32 implementation holds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dgmcheck.checks import _chain_error as ce
from dgmcheck.checks.tolerances import COUNTED, stored_schedule
from dgmcheck.impl.schedules import cosine_betas, linear_betas
from dgmcheck.theory import ddpm as th
from dgmcheck.theory import linear_gaussian as lg

SCHEDULES = {"linear": lambda T: linear_betas(T).numpy(), "cosine": lambda T: cosine_betas(T).numpy()}
U32 = 2.0**-24


def eps_model(betas: np.ndarray, mean: float, var: float) -> tuple[np.ndarray, np.ndarray]:
    """``E[ε | x_t] = c_t x_t + e_t`` for data ``N(mean, var)`` at every step (``theory.linear_gaussian``)."""
    c, e = zip(*(lg.eps_optimal_linear(betas, t, mean, var) for t in range(1, len(betas) + 1)), strict=True)
    return np.asarray(c, dtype=np.float64).reshape(-1), np.asarray(e, dtype=np.float64).reshape(-1)


@pytest.mark.theorem("ddpm.ancestral_sampling")
@pytest.mark.parametrize("route", ce.ROUTES)
@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_every_route_gives_the_theory_law_on_a_consistent_schedule(schedule, route):
    betas = SCHEDULES[schedule](200)
    for mean, var in ((0.0, 1.0), (2.0, 0.01), (-1.5, 2.0)):
        c, e = eps_model(betas, mean, var)
        got = ce.probed_chain(th.schedule(betas), c, e, route).law()
        want = lg.sampler_law(lg.ddpm_sampler_chain(betas, mean, var))
        np.testing.assert_allclose(got, [float(want[0][0]), float(want[1][0])], rtol=1e-11, atol=1e-13)


def run_float32(chain_tables: th.Schedule, c: np.ndarray, e: np.ndarray, route: str, rows: np.ndarray,
                noise: np.ndarray) -> np.ndarray:
    """The sampler's loop in float32 numpy, step by step by ``route``, from float32 tables."""
    f = np.float32
    s = th.at(chain_tables, np.arange(1, chain_tables.T + 1))
    ab, abp, b = s.alpha_bar.astype(f), s.alpha_bar_prev.astype(f), s.beta.astype(f)
    om, omp, al = (f(1) - ab), (f(1) - abp), s.alpha.astype(f)
    x = rows.astype(f)
    with np.errstate(divide="ignore", invalid="ignore"):
        for t in range(chain_tables.T, 0, -1):
            i = t - 1
            eps = f(c[i]) * x + f(e[i]) * (np.arange(len(x)) == 0).astype(f)
            var = f(0) if t == 1 else omp[i] / om[i] * b[i]
            if route == "eps":
                mean = (x - b[i] / np.sqrt(om[i]) * eps) / np.sqrt(al[i])
            else:
                x0 = (x - np.sqrt(om[i]) * eps) / np.sqrt(ab[i])
                if route == "x0":
                    mean = np.sqrt(abp[i]) * b[i] / om[i] * x0 + np.sqrt(al[i]) * omp[i] / om[i] * x
                else:
                    mean = np.sqrt(abp[i]) * x0 + np.sqrt(np.maximum(omp[i] - var, f(0))) * eps
            x = mean + np.sqrt(var) * noise[i]
    return x.astype(np.float64)


@pytest.mark.theorem("ddpm.ancestral_sampling")
@pytest.mark.parametrize("route", ce.ROUTES)
@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_the_bound_covers_a_float32_sampler(schedule, route):
    T = 300
    betas = SCHEDULES[schedule](T)
    tables = th.Schedule(*stored_schedule(betas, torch.float32))
    n = T + 2
    rows = np.zeros(n)
    rows[1] = 1.0
    noise = np.zeros((T, n))
    noise[np.arange(T), np.arange(2, n)] = 1.0
    rho = COUNTED * U32 * 10.0
    for mean, var in ((0.0, 1.0), (2.0, 0.01), (-2.0, 2.0)):
        c, e = (a.astype(np.float32).astype(np.float64) for a in eps_model(betas, mean, var))
        out = run_float32(tables, c, e, route, rows, noise)
        gains = out[1:].copy()
        gains[1] = 0.0
        chain = ce.probed_chain(tables, c, e, route)
        want_mean, want_var = chain.law()
        d_mean, d_var = ce.law_error_bound(chain, rho, rho)
        assert abs(out[0] - want_mean) <= d_mean, (mean, var, out[0] - want_mean, d_mean)
        assert abs(np.sum(gains**2) - want_var) <= d_var, (mean, var, np.sum(gains**2) - want_var, d_var)
        assert d_var <= 5e-3 * want_var  # and stays far below a 2 % error in the noise variance


def test_an_unknown_route_is_refused():
    betas = linear_betas(10).numpy()
    with pytest.raises(ValueError, match="route must be one of"):
        ce.probed_chain(th.schedule(betas), *eps_model(betas, 0.0, 1.0), route="heun")
