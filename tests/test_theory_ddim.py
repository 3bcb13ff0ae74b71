"""The DDIM and parametrization oracles: sympy identities, and the float64 closed forms against
independent routes (theory.ddpm on the respaced β, the Gaussian recursion, diffusers' grids)."""

from __future__ import annotations

import numpy as np
import pytest

from dgmcheck.theory import ddim as th
from dgmcheck.theory import ddpm as th_ddpm
from dgmcheck.theory import parametrization as tp
from dgmcheck.theory.schedules import cosine_betas, linear_betas

ABAR = th.alpha_bars_from_betas(linear_betas(100))


@pytest.mark.theorem("ddim.marginals")
def test_marginal_step_identity_and_recursion():
    assert all(v == 0 for v in th.derive_marginal_step().values())
    for eta in (0.0, 0.37, 1.0):
        for g in (th.grid(100, 7, "trailing"), np.arange(100, 0, -1), np.array([50])):
            m, v = th.marginal_recursion(ABAR, g, eta)
            ext = th.extended(ABAR)[np.concatenate([g, [0]])]
            np.testing.assert_allclose(m, np.sqrt(ext), rtol=0, atol=1e-14)
            np.testing.assert_allclose(v, 1 - ext, rtol=0, atol=1e-14)


@pytest.mark.theorem("ddim.eta_one_is_ddpm", "ddim.step")
def test_eta_one_full_grid_is_the_ddpm_step():
    assert all(v == 0 for v in th.derive_eta_one_is_ddpm().values())
    betas = cosine_betas(40)
    abar = th.alpha_bars_from_betas(betas)
    t = np.arange(2, 41)
    c = th.step(abar, t, t - 1, 1.0)
    kx, ke = th_ddpm.eps_mean(betas, t)
    np.testing.assert_allclose(c.sigma2, th_ddpm.posterior(betas, t)[2], rtol=1e-12)
    np.testing.assert_allclose(c.mean_x, kx, rtol=1e-12)
    np.testing.assert_allclose(c.mean_eps, ke, rtol=1e-9)


@pytest.mark.theorem("ddim.eta_zero_is_pf_ode_euler")
def test_eta_zero_is_one_euler_step():
    assert th.derive_eta_zero_is_pf_ode_euler() == 0
    rng = np.random.default_rng(0)
    x, e = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    t, s = np.array([100, 60, 10, 2, 1]), np.array([0, 59, 3, 1, 0])
    np.testing.assert_allclose(th.apply_step(ABAR, t, s, 0.0, x, e, rng.normal(size=(5, 3))),
                               th.pf_ode_euler(ABAR, t, s, x, e), rtol=1e-12, atol=1e-12)


@pytest.mark.theorem("ddim.respacing")
def test_respacing_telescopes_and_matches_theory_ddpm():
    assert th.derive_respacing_telescopes() == 0
    tau = np.array([3, 10, 11, 50, 100])
    b = th.respaced_betas(ABAR, tau)
    np.testing.assert_allclose(np.cumprod(1 - b), ABAR[tau - 1], rtol=1e-13)
    for k, t in enumerate(tau, start=1):
        cx, ce, var, prev = th.respaced_step(ABAR, tau, t)
        np.testing.assert_allclose([cx, ce], th_ddpm.eps_mean(b, k), rtol=1e-11)
        np.testing.assert_allclose(var, th_ddpm.posterior(b, k)[2], rtol=1e-11)
        assert prev == ([0, *tau][k - 1])
    np.testing.assert_allclose(th.respaced_betas(ABAR, np.arange(1, 101)),
                               linear_betas(100), rtol=1e-12)


@pytest.mark.planted_bug("ddim.respacing")
def test_alpha_ratio_respacing_loses_the_marginals():
    """β'_k from per-step α ratios: the respaced chain's ᾱ' is not ᾱ_τ (the bug the check names)."""
    alphas = 1 - linear_betas(100)
    tau = np.array([3, 10, 50, 100])
    wrong = 1 - alphas[tau - 1] / np.concatenate([[1.0], alphas[tau[:-1] - 1]])
    assert np.max(np.abs(np.cumprod(1 - wrong) - ABAR[tau - 1])) > 0.1


@pytest.mark.theorem("ddim.grids")
def test_grids_match_diffusers_set_timesteps():
    diffusers = pytest.importorskip("diffusers")
    for spacing in th.SPACINGS:
        for n in (1, 7, 30, 50, 999, 1000):
            for offset in ((0, 1) if spacing == "leading" and n < 1000 else (0,)):
                s = diffusers.DDIMScheduler(num_train_timesteps=1000, timestep_spacing=spacing,
                                            steps_offset=offset)
                s.set_timesteps(n)
                assert np.array_equal(s.timesteps.numpy() + 1, th.grid(1000, n, spacing, offset))


def test_grid_refusals():
    with pytest.raises(ValueError, match="outside"):
        th.grid(1000, 1000, "leading", 1)  # diffusers builds timestep 1000 here (index error)
    with pytest.raises(ValueError, match="spacing"):
        th.grid(10, 3, "uniform")
    with pytest.raises(ValueError, match="1 <= n <= T"):
        th.grid(10, 11)


@pytest.mark.theorem("parametrization.affine")
def test_all_twelve_conversions_are_identities():
    assert all(v == 0 for v in tp.derive_conversions().values())
    assert len(tp.PAIRS) == 12
    rng = np.random.default_rng(1)
    ab = rng.uniform(0.01, 0.99, 6)
    x0, e = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    xt = tp.target("x0", x0, e, ab) * np.sqrt(ab)[:, None] + np.sqrt(1 - ab)[:, None] * e
    for src, dst in tp.PAIRS:
        np.testing.assert_allclose(tp.convert(tp.target(src, x0, e, ab), xt, ab, src, dst),
                                   tp.target(dst, x0, e, ab), rtol=1e-12, atol=1e-12)


@pytest.mark.theorem("parametrization.loss_weights")
def test_loss_weights_are_identities():
    assert all(v == 0 for v in tp.derive_loss_weights().values())
    ab = np.array([0.2, 0.5, 0.9])
    np.testing.assert_allclose(tp.loss_weight("x0", ab), (1 - ab) / ab)
    np.testing.assert_allclose(tp.loss_weight("v", ab), 1 / ab)
    np.testing.assert_allclose(tp.loss_weight("score", ab), 1 / (1 - ab))


def test_grid_bounds_allow_either_rounding_of_an_exact_half_only():
    """Where the exact value is k + ½ the float a library rounds is the tie ± one ulp (np.arange
    accumulates, torch.linspace runs from both ends): both neighbours are the grid; elsewhere the
    bounds are the grid itself, and a grid shifted by one step is outside them."""
    import torch

    from dgmcheck.theory import ddim as th

    ties = 0
    for T in range(2, 60):
        for n in range(1, T + 1):
            for spacing in ("linspace", "trailing", "leading"):
                g = th.grid(T, n, spacing)
                lo, hi = th.grid_bounds(T, n, spacing)
                assert ((lo <= g) & (g <= hi)).all() and (hi - lo <= 1).all()
                ties += int((hi > lo).sum())
                if spacing == "trailing":
                    lib = np.round(np.arange(T, 0, -T / n)).astype(np.int64)[:n]  # diffusers' formula
                elif spacing == "linspace":
                    lib = torch.linspace(0, T - 1, n, dtype=torch.float64).round().flip(0).long().numpy() + 1
                else:
                    continue
                assert ((lo <= lib) & (lib <= hi)).all(), (T, n, spacing, lib, lo, hi)
                assert not ((lo <= g + 1) & (g + 1 <= hi)).all()
    assert ties > 0
