"""diffusers' EulerDiscreteScheduler and HeunDiscreteScheduler held to the EDM oracles (adapters.diffusers_sigma).

Findings pinned here (diffusers 0.42): both schedulers' σ tables are √((1 - ᾱ)/ᾱ) of their float32
``alphas_cumprod`` and their ``use_karras_sigmas`` grids are the Karras grid (ρ = 7) between the table's end
levels; ``scale_model_input`` is x/√(σ² + 1), ``step`` forms D = x - σ ε̂, Euler steps and Heun's two calls
(Euler predictor, then the averaged derivative at σ') match the oracle steps, and Heun's last step (to σ = 0)
is a single first-order call: the Euler fallback. All at float32 tolerance: the tables are float32, Euler's
``step`` upcasts the sample to float32, and fed float64 samples both still form σ, √(σ² + 1) and σ ε̂ from
float32 levels (a float64 run misses float64 tolerances by ~1e-8 relative), so the tests run float32 samples.
"""

from __future__ import annotations

import pytest

diffusers = pytest.importorskip("diffusers")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from diffusers import EulerDiscreteScheduler, HeunDiscreteScheduler  # noqa: E402

from dgmcheck.adapters import diffusers_sigma as adapter  # noqa: E402
from dgmcheck.checks.errors import TheoremViolation  # noqa: E402
from dgmcheck.checks.profiles import scaled  # noqa: E402

pytestmark = [pytest.mark.adapters]
T = 100
N = 8
DTYPE = torch.float32  # the honest claim for these schedulers (module docstring)


def make(cls, karras=False, **kw):
    return cls(num_train_timesteps=T, use_karras_sigmas=karras, **kw)


@pytest.mark.theorem("edm.vp_change_of_variables", "edm.karras_grid", "edm.euler", "edm.heun")
@pytest.mark.parametrize("cls", [EulerDiscreteScheduler, HeunDiscreteScheduler])
@pytest.mark.parametrize("karras", [False, True])
def test_schedulers_meet_the_oracles(cls, karras):
    method = "euler" if cls is EulerDiscreteScheduler else "heun"
    props = ["vp_change_of_variables", f"{method}_step", f"{method}_sampler"]
    report = adapter.verify_sigma_scheduler(make(cls, karras), N, dtype=DTYPE, properties=props, max_examples=scaled(4))
    assert report.passed == props


@pytest.mark.theorem("edm.heun")
def test_heun_last_step_is_one_first_order_call():
    a = adapter.DiffusersHeun(make(HeunDiscreteScheduler), N)
    grid = a.sigmas
    assert len(grid) == N + 1 and float(grid[-1]) == 0.0
    assert len(a.scheduler.timesteps) == 2 * N - 1  # n first-order calls, n - 1 second-order ones
    assert list(a._calls(N - 1)) == [2 * N - 2]


# ----------------------------------------------------------------------------------------- planted bugs
def _caught(sched, props, theorem, dtype=DTYPE, max_examples=6):
    with pytest.raises(TheoremViolation) as info:
        adapter.verify_sigma_scheduler(sched, N, dtype=dtype, properties=props, shrink=False,
                                       max_examples=max_examples)
    assert info.value.theorem == theorem


@pytest.mark.planted_bug("edm.vp_change_of_variables", "edm.euler")
def test_monkeypatched_scale_model_input_without_sqrt_is_caught(monkeypatch):
    """``scale_model_input`` dividing by σ² + 1 instead of its square root (ᾱ x for √ᾱ x)."""

    def scale_model_input(self, sample, timestep):
        if self.step_index is None:
            self._init_step_index(timestep)
        self.is_scale_input_called = True
        return sample / (self.sigmas[self.step_index] ** 2 + 1)

    monkeypatch.setattr(EulerDiscreteScheduler, "scale_model_input", scale_model_input)
    _caught(make(EulerDiscreteScheduler), ["vp_change_of_variables"], "edm.vp_change_of_variables")
    _caught(make(EulerDiscreteScheduler), ["euler_step"], "edm.euler")


@pytest.mark.planted_bug("edm.heun")
def test_monkeypatched_heun_second_call_on_the_last_step_is_caught(monkeypatch):
    """``set_timesteps`` repeating the last timestep too: the last step (σ' = 0) gets a second-order call
    (it divides by σ' = 0) instead of ending at the Euler step."""
    original = HeunDiscreteScheduler.set_timesteps

    def set_timesteps(self, *args, **kw):
        original(self, *args, **kw)
        self.timesteps = torch.cat([self.timesteps, self.timesteps[-1:]])

    monkeypatch.setattr(HeunDiscreteScheduler, "set_timesteps", set_timesteps)
    _caught(make(HeunDiscreteScheduler), ["heun_step"], "edm.heun", max_examples=scaled(2))


@pytest.mark.planted_bug("edm.heun")
def test_monkeypatched_heun_corrector_from_the_predictor_is_caught(monkeypatch):
    """Heun's second call starting from the predictor x̃ instead of the stored x (``sample = self.sample`` lost):
    x' = x̃ + h ½(d(x, σ) + d(x̃, σ'))."""
    original = HeunDiscreteScheduler.step

    def step(self, model_output, timestep, sample, return_dict=True):
        if not self.state_in_first_order:
            self.sample = sample
        return original(self, model_output, timestep, sample, return_dict)

    monkeypatch.setattr(HeunDiscreteScheduler, "step", step)
    _caught(make(HeunDiscreteScheduler), ["heun_step"], "edm.heun")


@pytest.mark.planted_bug("edm.karras_grid")
def test_monkeypatched_karras_rho_on_sigma_is_caught(monkeypatch):
    def _convert_to_karras(self, in_sigmas, num_inference_steps):
        lo, hi, rho = in_sigmas[-1].item(), in_sigmas[0].item(), 7.0
        ramp = np.linspace(0, 1, num_inference_steps)
        return (hi**rho + ramp * (lo**rho - hi**rho)) ** (1 / rho)

    monkeypatch.setattr(EulerDiscreteScheduler, "_convert_to_karras", _convert_to_karras)
    with pytest.raises(TheoremViolation) as info:
        adapter.verify_sigma_scheduler(make(EulerDiscreteScheduler, karras=True), N, dtype=DTYPE,
                                       max_examples=scaled(1))
    assert info.value.theorem == "edm.karras_grid"


@pytest.mark.planted_bug("edm.vp_change_of_variables")
def test_monkeypatched_sigma_table_without_sqrt_is_caught(monkeypatch):
    """Levels ``(1 - ᾱ)/ᾱ``: the square root of the noise-to-signal ratio forgotten."""
    original = EulerDiscreteScheduler.set_timesteps

    def set_timesteps(self, *args, **kw):
        original(self, *args, **kw)
        self.sigmas = self.sigmas**2

    monkeypatch.setattr(EulerDiscreteScheduler, "set_timesteps", set_timesteps)
    with pytest.raises(TheoremViolation) as info:
        adapter.check_sigma_table(adapter.DiffusersEuler(make(EulerDiscreteScheduler), N))
    assert info.value.theorem == "edm.vp_change_of_variables"


# ------------------------------------------------------------------------------------------ bad input
def test_refusals():
    with pytest.raises(ValueError, match="prediction_type='epsilon'"):
        adapter.DiffusersEuler(make(EulerDiscreteScheduler, prediction_type="v_prediction"), N)
    with pytest.raises(ValueError, match="final_sigmas_type"):
        adapter.DiffusersEuler(make(EulerDiscreteScheduler, final_sigmas_type="sigma_min"), N)
    with pytest.raises(TypeError, match="must be a diffusers HeunDiscreteScheduler"):
        adapter.DiffusersHeun(make(EulerDiscreteScheduler), N)
    with pytest.raises(ValueError, match="num_inference_steps must be an int >= 2"):
        adapter.DiffusersEuler(make(EulerDiscreteScheduler), 1)
    a = adapter.DiffusersEuler(make(EulerDiscreteScheduler), N)
    x = torch.zeros(2, 2)
    with pytest.raises(ValueError, match="not a step of the scheduler's grid"):
        a.euler_step(lambda y, s: y, x, torch.tensor(123.0), torch.tensor(1.0))
    with pytest.raises(ValueError, match="sigmas must be the scheduler's own grid"):
        a.sample_euler(lambda y, s: y, x, torch.tensor([2.0, 1.0, 0.0]))
    with pytest.raises(TypeError, match="EulerDiscreteScheduler or HeunDiscreteScheduler"):
        adapter.verify_sigma_scheduler(object())
