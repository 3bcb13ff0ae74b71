"""The reference DDPM as code: devices and dtypes follow the inputs, bad input is refused clearly,
and the exact mixture denoiser is the minimizer of the simple loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dgmcheck.checks import ddpm as checks
from dgmcheck.checks._assert import assert_mean_matches
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.checks.strategies import gaussian_mixtures, schedules
from dgmcheck.impl.ddpm import ExactMixtureEps, GaussianDiffusion, MLPDenoiser
from dgmcheck.impl.schedules import cosine_betas, linear_betas
from dgmcheck.theory.gaussian_mixture import GaussianMixture


def _mixture_eps(ddpm: GaussianDiffusion, mixture: GaussianMixture) -> ExactMixtureEps:
    return ExactMixtureEps(ddpm, torch.tensor(mixture.weights), torch.tensor(mixture.means),
                           torch.tensor(mixture.covs))


def test_outputs_follow_input_dtype_and_device(device, dtype):
    ddpm = GaussianDiffusion(cosine_betas(20))
    g = torch.Generator(device="cpu").manual_seed(0)
    x = torch.randn(5, 3, generator=g, dtype=torch.float64).to(device=device, dtype=dtype)
    n = torch.randn(5, 3, generator=g, dtype=torch.float64).to(device=device, dtype=dtype)
    t = torch.tensor([1, 2, 7, 19, 20], device=device)
    outs = [ddpm.q_sample(x, t, n), ddpm.q_step(x, t, n), *ddpm.posterior(x, n, t),
            ddpm.posterior_mean_from_eps(x, t, n), ddpm.reverse_step(x, t, n, n),
            ddpm.score_from_eps(n, t), ddpm.reverse_step_score(x, t, n, n), ddpm.prior_kl(x),
            ddpm.sample(lambda y, s: torch.zeros_like(y), x, torch.stack([n] * 20))]
    for out in outs:
        assert out.dtype == dtype and out.device.type == device.type


@pytest.mark.theorem("ddpm.score_reparametrization")
def test_exact_mixture_denoiser_is_minus_scaled_score(device, dtype):
    """check_exact_denoiser: impl's E[ε|x_t] against the theory's mixture score, on drawn data."""

    @settings(max_examples=scaled(15))
    @given(gaussian_mixtures(), schedules(max_T=30), st.data())
    def run(mixture, schedule, data):
        ddpm = GaussianDiffusion(torch.tensor(schedule.betas))
        case = data.draw(checks.ddpm_cases(schedule.T, dtype=dtype, device=device,
                                           max_dim=mixture.dim))
        other = np.resize(case.other, (case.other.shape[0], mixture.dim))
        case = checks.DDPMCase(case.t, case.x0, case.noise, other, dtype=dtype, device=device, extra=case.extra)
        checks.check_exact_denoiser(_mixture_eps(ddpm, mixture).to(device), schedule.betas,
                                    mixture, case)

    run()


@pytest.mark.planted_bug("ddpm.score_reparametrization")
def test_denoiser_with_unscaled_means_is_caught():
    """A realistic bug: component means not scaled by √ᾱ_t (the noised mixture mis-centred)."""

    class Unscaled(ExactMixtureEps):
        def forward(self, x_t, t):
            saved = self.means.clone()
            abar = self.diffusion.alpha_bars[t[0] - 1]
            self.means.mul_(abar.rsqrt())  # cancels the √ᾱ the formula applies
            try:
                return super().forward(x_t, t)
            finally:
                self.means.copy_(saved)

    mixture = GaussianMixture(np.array([0.5, 0.5]), np.array([[2.0], [-1.0]]),
                              np.array([[[0.3]], [[0.5]]]))
    betas = linear_betas(20, 1e-3, 0.2)
    ddpm = GaussianDiffusion(betas)
    case = checks.DDPMCase(np.array([10, 10]), np.zeros((2, 1)), np.zeros((2, 1)),
                           np.array([[0.4], [-0.7]]), dtype=torch.float64, device="cpu", extra={})
    with pytest.raises(TheoremViolation, match=r"ddpm\.score_reparametrization"):
        checks.check_exact_denoiser(Unscaled(ddpm, *map(torch.tensor, (
            mixture.weights, mixture.means, mixture.covs))), betas.numpy(), mixture, case)


def _excess_minus_distance(model, claimed, ddpm, mixture, n, seed):
    """Per-sample ‖ε-m‖² - ‖ε-c‖² - ‖m-c‖² = 2(ε-c)·(c-m) at x_t, for a model m and a claimed
    minimizer c: its mean is 0 for every m iff c(x_t) = E[ε|x_t]."""
    g = torch.Generator().manual_seed(seed)
    k = torch.multinomial(torch.tensor(mixture.weights), n, replacement=True, generator=g)
    chol = torch.linalg.cholesky(torch.tensor(mixture.covs))[k]
    x0 = torch.tensor(mixture.means)[k] + (chol @ torch.randn(n, mixture.dim, 1, generator=g,
                                                              dtype=torch.float64))[..., 0]
    t = torch.randint(1, ddpm.T + 1, (n,), generator=g)
    eps = torch.randn(n, mixture.dim, generator=g, dtype=torch.float64)
    x_t = ddpm.q_sample(x0, t, eps)
    exact = claimed(x_t, t)
    m = model(x_t, t)
    return (((eps - m) ** 2).sum(1) - ((eps - exact) ** 2).sum(1)
            - ((m - exact) ** 2).sum(1)).numpy()


MIXTURE_2D = GaussianMixture(np.array([0.3, 0.7]), np.array([[1.5, 0.0], [-1.0, 1.0]]),
                             np.array([np.diag([0.2, 0.4]), [[0.5, 0.1], [0.1, 0.3]]]))


@pytest.mark.theorem("ddpm.simple_loss")
def test_exact_denoiser_minimizes_the_simple_loss():
    """Pythagoras for the simple loss: E‖ε-m‖² = E‖ε-ε*‖² + E‖m-ε*‖² exactly when ε* = E[ε|x_t].
    Monte Carlo with 20000 samples, declared false-failure rate 1e-9 (z-test)."""
    ddpm = GaussianDiffusion(cosine_betas(50))
    torch.manual_seed(7)
    model = MLPDenoiser(2, 50, hidden=16).double()
    with torch.no_grad():
        d = _excess_minus_distance(model, _mixture_eps(ddpm, MIXTURE_2D), ddpm, MIXTURE_2D,
                                   20000, seed=11)
    stats = assert_mean_matches(d, 0.0, theorem="ddpm.simple_loss", slide="000 L8",
                                what="simple-loss excess minus distance to ε*")
    print(stats)


@pytest.mark.planted_bug("ddpm.simple_loss")
def test_wrong_minimizer_fails_the_pythagoras_test():
    """ε* built for the wrong data law (covariances halved) is not E[ε|x_t]: the z-test sees it."""
    ddpm = GaussianDiffusion(cosine_betas(50))
    wrong = GaussianMixture(MIXTURE_2D.weights, MIXTURE_2D.means, MIXTURE_2D.covs / 2)
    with torch.no_grad():  # model: the true ε*; claimed minimizer: the wrong one
        d = _excess_minus_distance(_mixture_eps(ddpm, MIXTURE_2D), _mixture_eps(ddpm, wrong),
                                   ddpm, MIXTURE_2D, 20000, seed=11)
    with pytest.raises(TheoremViolation, match="z ="):
        assert_mean_matches(d, 0.0, theorem="ddpm.simple_loss", slide="000 L8",
                            what="simple-loss excess minus distance to ε*")


@pytest.mark.slow
def test_mlp_denoiser_trains_towards_the_exact_denoiser():
    """Training the MLP with the simple loss shrinks E‖ε_θ - ε*‖² (exact ε* of the mixture)."""
    ddpm = GaussianDiffusion(cosine_betas(50))
    torch.manual_seed(0)
    model = MLPDenoiser(2, 50, hidden=64).double()
    exact = _mixture_eps(ddpm, MIXTURE_2D)
    g = torch.Generator().manual_seed(1)

    def distance() -> float:
        x = torch.randn(4000, 2, generator=g, dtype=torch.float64) * 1.5
        t = torch.randint(1, 51, (4000,), generator=g)
        with torch.no_grad():
            return float(((model(x, t) - exact(x, t)) ** 2).sum(1).mean())

    before = distance()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    mix = MIXTURE_2D
    for _ in range(1500):
        k = torch.multinomial(torch.tensor(mix.weights), 256, replacement=True, generator=g)
        chol = torch.linalg.cholesky(torch.tensor(mix.covs))[k]
        x0 = torch.tensor(mix.means)[k] + (chol @ torch.randn(256, 2, 1, generator=g,
                                                              dtype=torch.float64))[..., 0]
        t = torch.randint(1, 51, (256,), generator=g)
        loss = ddpm.simple_loss(model, x0, t, torch.randn(256, 2, generator=g,
                                                            dtype=torch.float64)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = distance()
    assert after < 0.25 * before, (before, after)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda d, x: GaussianDiffusion([0.1, 1.2]), ValueError, r"betas must lie in \(0, 1\)"),
    (lambda d, x: GaussianDiffusion(torch.ones(2, 2) * 0.1), ValueError, "1-D"),
    (lambda d, x: d.q_sample(x, 0, x), ValueError, r"t must lie in 1..T = 1..10"),
    (lambda d, x: d.q_sample(x, 11, x), ValueError, r"t must lie in 1..T"),
    (lambda d, x: d.q_sample(x, torch.tensor([1.0, 2.0]), x), TypeError, "integer steps"),
    (lambda d, x: d.q_sample(x, torch.tensor([1, 2, 3]), x), ValueError, r"shape \(2,\)"),
    (lambda d, x: d.q_sample(x, 1, x.float()), TypeError, "noise has dtype"),
    (lambda d, x: d.q_sample(x, 1, x[:, :1]), ValueError, "noise has shape"),
    (lambda d, x: d.q_sample(x.numpy(), 1, x), TypeError, "x0 must be a torch.Tensor"),
    (lambda d, x: d.q_sample(x.long(), 1, x), TypeError, "floating dtype"),
    (lambda d, x: d.posterior(x, x.float(), 2), TypeError, "x0 has dtype"),
    (lambda d, x: d.loss_weight(torch.tensor([1, 2])), ValueError, "t must be >= 2"),
    (lambda d, x: d.reverse_variance(2, x, "beta_bar"), ValueError, "kind must be"),
    (lambda d, x: d.sample(lambda y, t: y, x, torch.zeros(3, 2, 3, dtype=x.dtype)), ValueError,
     r"noises must have shape \(10, \*x_T.shape\)"),
    (lambda d, x: d.sample(lambda y, t: y, x), TypeError, "pass exactly one of noises="),
    (lambda d, x: d.sample(lambda y, t: y, x, x[None].expand(10, 2, 3), generator=torch.Generator()), TypeError,
     "exactly one"),
    (lambda d, x: d.sample(lambda y, t: y, x, generator=0), TypeError, "generator must be a torch.Generator"),
    (lambda d, x: d.sample(lambda y, t: y, x, lambda t: x.float()), TypeError, r"noises\(10\) has dtype"),
    (lambda d, x: d.sample(lambda y, t: y, x, iter([x] * 3)), ValueError, "noises ran out after 3 items"),
    (lambda d, x: d.sample(lambda y, t: y, x, [x] * 9), ValueError, "must hold 10 tensors"),
    (lambda d, x: d.sample(lambda y, t: y, x, 3.0), TypeError, "noises must be a tensor, a sequence"),
    (lambda d, x: d.sample(lambda y, t: y, x, generator=torch.Generator(), variance="sigma"), ValueError,
     "variance must be 'beta_tilde' or 'beta'"),
    (lambda d, x: d.sample(lambda y, t: y.float(), x, generator=torch.Generator()), TypeError, "eps has dtype"),
])
def test_bad_input_is_refused_with_a_clear_error(call, error, match):
    ddpm = GaussianDiffusion(linear_betas(10))
    x = torch.zeros(2, 3, dtype=torch.float64)
    with pytest.raises(error, match=match):
        call(ddpm, x)


def test_from_alpha_bars_round_trips_and_refuses_non_decreasing():
    ddpm = GaussianDiffusion(cosine_betas(30))
    again = GaussianDiffusion.from_alpha_bars(ddpm.alpha_bars)
    torch.testing.assert_close(again.betas, ddpm.betas, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match=r"alpha_bars must strictly decrease.*alpha_bars\[2\]"):
        GaussianDiffusion.from_alpha_bars([0.9, 0.8, 0.85])
    with pytest.raises(ValueError, match=r"alpha_bars must lie in \(0, 1\)"):
        GaussianDiffusion.from_alpha_bars([1.0, 0.5])


def test_device_mismatch_is_refused():
    """The meta device stands in for a second device on a CPU-only box."""
    ddpm = GaussianDiffusion(linear_betas(10))
    x = torch.zeros(2, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="noise is on meta but x0 is on cpu"):
        ddpm.q_sample(x, 1, x.to("meta"))


def test_reference_doctest():
    import doctest

    from dgmcheck.impl import ddpm as module

    assert doctest.testmod(module).failed == 0


# --- the sampler's own loop: validated once, then each step in O(batch) ----------------------------
def _step_loop(ddpm: GaussianDiffusion, eps, x_T: torch.Tensor, noises: torch.Tensor, variance: str) -> torch.Tensor:
    x = x_T
    for t in range(ddpm.T, 0, -1):
        tt = torch.full((x.shape[0],), t, dtype=torch.long, device=x.device)
        x = ddpm.reverse_step(x, tt, eps(x, tt), noises[t - 1], variance)
    return x


@pytest.mark.theorem("ddpm.ancestral_sampling")
@pytest.mark.parametrize("variance", ["beta_tilde", "beta"])
def test_sample_is_the_loop_of_reverse_step(device, dtype, variance):
    """``sample`` runs its own loop on coefficient tables cast once: bit for bit the caller's loop of the
    public ``reverse_step``; a subclass that redefines the step is sampled through its own step."""
    T = 40
    betas = cosine_betas(T)
    g = torch.Generator().manual_seed(3)
    x_T = torch.randn(5, 2, 3, generator=g, dtype=torch.float64).to(device, dtype)
    noises = torch.randn(T, 5, 2, 3, generator=g, dtype=torch.float64).to(device, dtype)

    def eps(x, t):
        return 0.3 * x + (t.to(x.dtype) / T).reshape(-1, 1, 1)

    ddpm = GaussianDiffusion(betas)
    assert torch.equal(ddpm.sample(eps, x_T, noises, variance), _step_loop(ddpm, eps, x_T, noises, variance))

    class NoiseDoubled(GaussianDiffusion):
        def reverse_step(self, x_t, t, eps, noise, variance="beta_tilde"):
            return super().reverse_step(x_t, t, eps, 2 * noise, variance)

    class MeanHalved(GaussianDiffusion):
        def posterior_mean_from_eps(self, x_t, t, eps):
            return 0.5 * super().posterior_mean_from_eps(x_t, t, eps)

    for cls in (NoiseDoubled, MeanHalved):
        own = cls(betas)
        got = own.sample(eps, x_T, noises, variance)
        assert torch.equal(got, _step_loop(own, eps, x_T, noises, variance)), cls.__name__
        assert not torch.equal(got, _step_loop(ddpm, eps, x_T, noises, variance)), cls.__name__


def test_a_replaced_table_is_what_every_method_reads():
    """The coefficient tables are derived once, and again when a table they come from is replaced (as a
    subclass or a caller that sets ``posterior_variances`` does): no method reads a stale copy."""
    ddpm = GaussianDiffusion(linear_betas(10))
    x = torch.ones(3, 2, dtype=torch.float32)
    t = torch.tensor([2, 5, 10])
    before = ddpm.reverse_variance(t, x)
    ddpm.posterior_variances = 4 * ddpm.posterior_variances
    assert torch.equal(ddpm.reverse_variance(t, x), 4 * before)
    assert torch.equal(ddpm.posterior(x, x, t)[1], 4 * before)
    noises = torch.ones(10, 3, 2)
    plain = GaussianDiffusion(linear_betas(10))
    assert torch.equal(ddpm.sample(lambda y, s: 0 * y, x, noises),
                       _step_loop(ddpm, lambda y, s: 0 * y, x, noises, "beta_tilde"))
    assert not torch.equal(ddpm.sample(lambda y, s: 0 * y, x, noises), plain.sample(lambda y, s: 0 * y, x, noises))


# --- streamed noise: the same sample, one step's noise alive at a time ------------------------------


def _draws(T: int, like: torch.Tensor, seed: int) -> list[torch.Tensor]:
    """The noise of steps T, ..., 2 in sampling order, as a seeded generator hands it over."""
    g = torch.Generator(device=like.device).manual_seed(seed)
    return [torch.randn(like.shape, generator=g, dtype=like.dtype, device=like.device) for _ in range(T - 1)]


@pytest.mark.theorem("ddpm.ancestral_sampling")
@pytest.mark.parametrize("variance", ["beta_tilde", "beta"])
def test_streamed_noise_gives_the_tensor_noise_sample(device, dtype, variance):
    T = 30
    ddpm = GaussianDiffusion(cosine_betas(T))
    mix = GaussianMixture(np.array([0.4, 0.6]), np.array([[-1.0, 0.5], [1.0, 0.0]]),
                          np.tile(np.eye(2) * 0.3, (2, 1, 1)))
    eps = _mixture_eps(ddpm, mix)
    x_T = torch.randn(4, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64).to(device, dtype)
    steps = _draws(T, x_T, seed=7)  # steps[k] is the z of step T - k
    tensor = torch.stack([torch.zeros_like(x_T), *reversed(steps)])  # tensor[t-1] is the z of step t
    expected = ddpm.sample(eps, x_T, tensor, variance)
    streamed = {
        "generator": ddpm.sample(eps, x_T, variance=variance,
                                 generator=torch.Generator(device=device).manual_seed(7)),
        "callable": ddpm.sample(eps, x_T, lambda t: steps[T - t], variance),
        "iterator": ddpm.sample(eps, x_T, iter(steps), variance),
        "list": ddpm.sample(eps, x_T, list(tensor.unbind(0)), variance),
    }
    for name, got in streamed.items():
        assert torch.equal(got, expected), name


@pytest.mark.theorem("ddpm.ancestral_sampling")
def test_streamed_sampling_keeps_one_steps_noise_alive(device):
    """A counting noise source proves the sampler holds at most one step's noise at a time (tracemalloc is
    blind to torch; on cuda the allocator's peak is measured too: streamed adds O(1) in T, the tensor O(T))."""
    import gc
    import weakref

    T = 200
    ddpm = GaussianDiffusion(linear_betas(T))
    x_T = torch.zeros(8, 3, 16, 16, dtype=torch.float32, device=device)
    alive, peak, asked = [0], [0], []

    def source(t: int) -> torch.Tensor:
        asked.append(t)
        z = torch.randn_like(x_T)
        alive[0] += 1
        peak[0] = max(peak[0], alive[0])
        weakref.finalize(z, lambda: alive.__setitem__(0, alive[0] - 1))
        return z

    def eps_model(x, t):
        return 0.1 * x

    gc.collect()
    ddpm.sample(eps_model, x_T, source)
    assert asked == list(range(T, 1, -1))  # sampling order, T - 1 noisy steps (step 1 adds none)
    assert peak[0] == 1 and alive[0] == 0
    held = [source(t) for t in range(T, 1, -1)]  # the counter sees a materializing caller
    assert peak[0] == T - 1
    del held
    if device.type == "cuda":
        def peak_extra(**kw) -> int:
            torch.cuda.synchronize(device)
            torch.cuda.reset_peak_memory_stats(device)
            base = torch.cuda.memory_allocated(device)
            noises = kw.pop("noises", None)
            ddpm.sample(eps_model, x_T, noises, **kw)
            torch.cuda.synchronize(device)
            return torch.cuda.max_memory_allocated(device) - base

        one = x_T.numel() * x_T.element_size()
        streamed = peak_extra(generator=torch.Generator(device=device).manual_seed(0))
        materialized = peak_extra(noises=torch.randn(T, *x_T.shape, device=device))
        assert streamed <= 16 * one < T * one <= materialized + one


@pytest.mark.theorem("ddim.step")
def test_ddim_streamed_noise_gives_the_tensor_noise_sample():
    from dgmcheck.impl.ddim import DDIM

    ddim = DDIM.from_betas(linear_betas(100))
    grid = [100, 75, 50, 25, 10]
    x_T = torch.randn(3, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    draws = _draws(len(grid) + 1, x_T, seed=5)  # one z per grid step, in sampling order
    expected = ddim.sample(lambda x, t: 0.1 * x, x_T, torch.stack(draws), grid, 1.0)
    got = ddim.sample(lambda x, t: 0.1 * x, x_T, grid=grid, eta=1.0, generator=torch.Generator().manual_seed(5))
    assert torch.equal(got, expected)
    assert torch.equal(ddim.sample(lambda x, t: 0.1 * x, x_T, iter(draws), grid, 1.0), expected)
