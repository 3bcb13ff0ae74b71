"""dgmcheck's own references as ``MODULE:OBJECT`` candidates with no arguments, for ``dgmcheck verify``
and ``dgmcheck mutate --verify`` (which build a candidate by calling a factory without arguments):
the ODE solvers' module, the flow-matching paths with their spec and the module's ODE sampler, the
score SDEs of the samplers on mixture and Gaussian data, and the VAE module and models. The objects
are the ones the family tests verify (``tests/test_ode.py``, ``test_flow_matching.py``,
``test_samplers.py``, ``test_latent.py``)."""

from __future__ import annotations

import types

import numpy as np
import torch

from dgmcheck.impl import flow_matching as fm
from dgmcheck.impl import ode as ode_impl
from dgmcheck.impl import samplers
from dgmcheck.impl import vae as vae_impl
from dgmcheck.impl.flows import LinearFlow, LUFlow
from dgmcheck.impl.mixture import GaussianMixtureModel
from dgmcheck.impl.sde import VESDE, VPSDE
from dgmcheck.theory.flow_matching import PathSpec


# --------------------------------------------------------------------------- ode
def ode() -> types.ModuleType:
    """The module ``dgmcheck.impl.ode`` (euler, heun, divergences, log-density path)."""
    return ode_impl


# --------------------------------------------------------------------------- flow matching
def _path(path: fm.GaussianPath, spec: PathSpec) -> fm.GaussianPath:
    """The path as a candidate: the spec it claims and the module's ODE sampler as a method."""
    path.spec = spec
    path.ode_sample = lambda field, x0, n_steps, method: fm.ode_sample(field, x0, n_steps, method)
    return path


def fm_conical() -> fm.GaussianPath:
    return _path(fm.ConicalPath(0.1), PathSpec("conical", sigma_min=0.1))


def fm_linear() -> fm.GaussianPath:
    return _path(fm.LinearInterpolation(), PathSpec("linear"))


def fm_ve() -> fm.GaussianPath:
    return _path(fm.VEPath(5.0), PathSpec("ve", sigma_max=5.0))


def fm_vp() -> fm.GaussianPath:
    return _path(fm.VPPath(0.1, 20.0), PathSpec("vp", beta_min=0.1, beta_max=20.0))


def fm_trig() -> fm.GaussianPath:
    return _path(fm.TrigPath(), PathSpec("trig"))


# --------------------------------------------------------------------------- samplers
MIXTURE = (np.array([0.3, 0.7]), np.array([[-1.0, 0.5], [1.5, -1.0]]),
           np.stack([np.diag([0.2, 0.5]), np.array([[0.3, 0.1], [0.1, 0.4]])]))
GAUSSIAN = (np.ones(1), np.array([[0.5, -1.0]]), np.array([[[0.4, 0.1], [0.1, 0.2]]]))


def _score_sde(sde: object, data: tuple[np.ndarray, ...]) -> samplers.ScoreSDE:
    gm = GaussianMixtureModel(*data)
    return samplers.ScoreSDE(sde, samplers.exact_mixture_score(sde, gm), gm)


def sampler_vp() -> samplers.ScoreSDE:
    """VP-SDE (β from 0.1 to 20 on [0, 1]) with the exact score of a two-component mixture."""
    return _score_sde(VPSDE(0.1, 20.0, 1.0), MIXTURE)


def sampler_ve() -> samplers.ScoreSDE:
    """VE-SDE (σ from 0.01 to 10 on [0, 1]) with the exact score of the same mixture."""
    return _score_sde(VESDE(0.01, 10.0, 1.0), MIXTURE)


def sampler_vp_gaussian() -> samplers.ScoreSDE:
    """VP-SDE with Gaussian data: the one that ``pf_ode_transport`` applies to."""
    return _score_sde(VPSDE(0.1, 20.0, 1.0), GAUSSIAN)


# --------------------------------------------------------------------------- VAE and latent models
def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def vae_functions() -> types.ModuleType:
    """The module ``dgmcheck.impl.vae`` (gaussian_kl, categorical_kl, rsample, surgery, optimal prior)."""
    return vae_impl


def linear_gaussian() -> vae_impl.LinearGaussianVAE:
    g = _gen(0)
    return vae_impl.LinearGaussianVAE(torch.randn(3, 2, generator=g, dtype=torch.float64),
                                      torch.randn(3, generator=g, dtype=torch.float64),
                                      torch.rand(3, generator=g, dtype=torch.float64) + 0.1)


def discrete_latent() -> vae_impl.DiscreteLatentModel:
    g = _gen(0)
    p = torch.rand(3, generator=g, dtype=torch.float64) + 0.05
    T = torch.rand(3, 4, generator=g, dtype=torch.float64) + 0.05
    return vae_impl.DiscreteLatentModel(p / p.sum(), T / T.sum(1, keepdim=True))


def _gaussian_vae_args(g: torch.Generator, d: int = 3, k: int = 2) -> tuple[torch.Tensor, ...]:
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    return (r(d, k), r(d), torch.rand(d, generator=g, dtype=torch.float64) + 0.2, 0.5 * r(k, d), r(k),
            0.3 * r(k, d), r(k))


def gaussian_vae() -> vae_impl.GaussianVAE:
    return vae_impl.GaussianVAE(*_gaussian_vae_args(_gen(2)))


def categorical() -> vae_impl.CategoricalModel:
    return vae_impl.CategoricalModel(torch.tensor([0.3, -1.0, 2.0, 0.0], dtype=torch.float64))


def flow_prior_vae() -> vae_impl.FlowPriorVAE:
    """A latent prior through an LU flow (its log-determinant is not 0)."""
    g = _gen(1)
    A = torch.randn(2, 2, generator=g, dtype=torch.float64) + 2 * torch.eye(2, dtype=torch.float64)
    return vae_impl.FlowPriorVAE(*_gaussian_vae_args(g), LUFlow.from_weight(A))


def flow_as_vae() -> vae_impl.FlowAsVAE:
    g = _gen(0)
    A = torch.randn(3, 3, generator=g, dtype=torch.float64) + 2 * torch.eye(3, dtype=torch.float64)
    return vae_impl.FlowAsVAE(LinearFlow(A, torch.randn(3, generator=g, dtype=torch.float64)), 0.5)
