"""k-diffusion's σ samplers held to the EDM oracles (dgmcheck.adapters.kdiffusion).

Findings pinned here (k-diffusion 0.1.1.post1): ``to_d``, ``sample_euler`` and ``sample_heun`` (single
steps, the Euler fallback on the last Heun step, whole paths, orders 1 and 2) meet the oracles at the
tolerance of the samples' dtype; ``get_sigmas_karras`` returns float32 whatever the caller's dtype (its
ramp is ``torch.linspace`` in the default dtype), so it is held at float32 tolerance, and float64's is out
of its reach.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

from dgmcheck.adapters import kdiffusion as adapter
from dgmcheck.checks import edm as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.checks.tolerances import exact
from dgmcheck.theory import edm as th

try:
    SAMPLING = adapter.load_sampling()
except ImportError as exc:  # pragma: no cover - depends on the environment
    pytest.skip(f"k-diffusion's sampling module cannot be loaded ({exc}): pip install --no-deps k-diffusion",
                allow_module_level=True)

pytestmark = [pytest.mark.adapters]
PROPS = ["to_d", "karras_grid", "euler_step", "heun_step", "euler_sampler", "heun_sampler"]


def test_loaded_module_is_k_diffusions_own_file():
    for fn in (SAMPLING.to_d, inspect.unwrap(SAMPLING.sample_heun), SAMPLING.get_sigmas_karras):
        assert fn.__code__.co_filename.replace("\\", "/").endswith("k_diffusion/sampling.py")
    assert SAMPLING.utils.append_dims.__code__.co_filename.replace("\\", "/").endswith("k_diffusion/utils.py")


@pytest.mark.theorem("edm.pf_ode", "edm.karras_grid", "edm.euler", "edm.heun")
def test_k_diffusion_meets_the_oracles(dtype):
    report = adapter.verify_kdiffusion(dtype=dtype, properties=PROPS, max_examples=scaled(4))
    assert report.passed == PROPS


@pytest.mark.theorem("edm.euler", "edm.heun")
def test_k_diffusion_orders():
    report = adapter.verify_kdiffusion(properties=["euler_order", "heun_order"], max_examples=scaled(1))
    assert report.passed == ["euler_order", "heun_order"]


@pytest.mark.theorem("edm.karras_grid")
def test_karras_grid_is_float32_whatever_is_asked():
    out = SAMPLING.get_sigmas_karras(40, 0.002, 80.0, rho=7.0)
    assert out.dtype == torch.float32
    want = th.karras_sigmas(40, 0.002, 80.0, 7.0)
    err = np.abs(out.double().numpy() - want)
    cond = th.karras_condition(40, 0.002, 80.0, 7.0)
    assert np.all(err <= exact(torch.float32, cond).bound(want))
    assert np.any(err > exact(torch.float64, cond).bound(want))


# ----------------------------------------------------------------------------------------- planted bugs
def _caught(props, theorem, dtype=torch.float64, max_examples=8):
    with pytest.raises(TheoremViolation) as info:
        adapter.verify_kdiffusion(dtype=dtype, properties=props, shrink=False, max_examples=max_examples)
    assert info.value.theorem == theorem


@pytest.mark.planted_bug("edm.pf_ode", "edm.euler", "edm.heun")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_monkeypatched_to_d_sigma_squared_is_caught(monkeypatch, dtype):
    """``to_d`` dividing by σ² (module global, so ``sample_euler``/``sample_heun`` use it too)."""

    def to_d(x, sigma, denoised):
        return (x - denoised) / SAMPLING.utils.append_dims(sigma, x.ndim) ** 2

    monkeypatch.setattr(SAMPLING, "to_d", to_d)
    _caught(["to_d"], "edm.pf_ode", dtype)
    _caught(["euler_sampler"], "edm.euler", dtype)
    _caught(["heun_step"], "edm.heun", dtype)


@pytest.mark.planted_bug("edm.karras_grid")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_monkeypatched_karras_rho_on_sigma_is_caught(monkeypatch, dtype):
    def get_sigmas_karras(n, sigma_min, sigma_max, rho=7.0, device="cpu"):
        ramp = torch.linspace(0, 1, n)
        sig = (sigma_max**rho + ramp * (sigma_min**rho - sigma_max**rho)) ** (1 / rho)
        return SAMPLING.append_zero(sig).to(device)

    monkeypatch.setattr(SAMPLING, "get_sigmas_karras", get_sigmas_karras)
    _caught(["karras_grid"], "edm.karras_grid", dtype)


@pytest.mark.planted_bug("edm.heun")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_monkeypatched_heun_without_last_step_fallback_is_caught(monkeypatch, dtype):
    """``sample_heun`` whose last step also corrects, at σ' = 0 (k-diffusion's loop without its ``if``)."""

    def sample_heun(model, x, sigmas, extra_args=None, callback=None, disable=None, **_):
        s_in = x.new_ones([x.shape[0]])
        for i in range(len(sigmas) - 1):
            d = SAMPLING.to_d(x, sigmas[i], model(x, sigmas[i] * s_in))
            dt = sigmas[i + 1] - sigmas[i]
            x_2 = x + d * dt
            d_2 = SAMPLING.to_d(x_2, sigmas[i + 1], model(x_2, sigmas[i + 1] * s_in))
            x = x + (d + d_2) / 2 * dt
        return x

    monkeypatch.setattr(SAMPLING, "sample_heun", sample_heun)
    _caught(["heun_step"], "edm.heun", dtype, max_examples=scaled(2))


def test_refuses_a_module_without_the_samplers():
    with pytest.raises(TypeError, match="sampling must be k-diffusion's sampling module"):
        adapter.KDiffusion(torch)
    assert checks.PROPERTY_NAMES  # the adapter verifies through dgmcheck.checks.edm
