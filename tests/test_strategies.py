"""The public strategies reach every kind of object they promise (completeness self-test)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from dgmcheck.checks import strategies as S
from dgmcheck.checks.ddpm import ddpm_cases

#: ``find`` without shrinking: reachability is the question, and shrinking (unique arrays, chains)
#: costs seconds per search.
REACH = settings(phases=[Phase.generate], database=None, max_examples=1000)


@pytest.mark.parametrize("kind", S.SCHEDULE_KINDS)
def test_every_schedule_kind_is_reachable(kind):
    found = find(S.schedules(), lambda s: s.kind == kind and s.T >= 3, settings=REACH)
    assert found.kind == kind


@given(S.schedules())
def test_schedules_are_valid(schedule):
    b = schedule.betas
    assert b.dtype == np.float64 and b.ndim == 1 and len(b) == schedule.T
    assert np.all((b > 0) & (b < 1))
    if schedule.kind in ("linear", "increasing"):
        assert np.all(np.diff(b) > 0) or schedule.T == 1 or np.all(np.diff(b) >= 0)


@pytest.mark.parametrize("dim", [1, 2, 3, 4])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_every_mixture_shape_is_reachable(dim, k):
    m = find(S.gaussian_mixtures(), lambda m: m.dim == dim and m.n_components == k,
             settings=settings(REACH, max_examples=2000))
    assert m.means.shape == (k, dim)


@given(S.gaussian_mixtures())
def test_mixtures_are_well_conditioned(mixture):
    eig = np.linalg.eigvalsh(mixture.covs)
    assert eig.min() >= 0.05 * (1 - 1e-9) and eig.max() / eig.min() <= 100 * (1 + 1e-9)
    assert abs(mixture.weights.sum() - 1) < 1e-12


def test_steps_cover_both_ends():
    assert find(S.steps(7), lambda t: t == 1) == 1
    assert find(S.steps(7), lambda t: t == 7) == 7
    with pytest.raises(ValueError):
        S.steps(3, min_t=4)


@given(S.tensors((2, 3), dtype=torch.float32))
def test_tensors_have_the_requested_dtype(x):
    assert x.dtype == torch.float32 and x.shape == (2, 3)


@given(st.data())
def test_ddpm_cases_reach_both_ends_of_the_chain(data):
    case = data.draw(ddpm_cases(9, dtype=torch.float64))
    assert np.all((case.t >= 1) & (case.t <= 9))
    assert case.x0.shape == case.noise.shape == case.other.shape


def test_bad_strategy_arguments():
    with pytest.raises(ValueError, match="kinds"):
        find(S.schedules(kinds=("quadratic",)), lambda s: True)


@pytest.mark.parametrize("kind", S.CHAIN_KINDS)
@pytest.mark.parametrize("convention", ["column", "row"])
def test_every_chain_kind_and_convention_is_reachable(kind, convention):
    chain = find(S.chains(), lambda c: c.kind == kind and c.convention == convention and c.K >= 3, settings=REACH)
    axis = 0 if convention == "column" else 1
    np.testing.assert_allclose(chain.Qs.sum(axis=axis + 1), 1.0, rtol=0, atol=1e-12)
    assert np.all(chain.Qs >= 0)


def test_every_path_kind_is_reachable():
    from dgmcheck.theory.flow_matching import KINDS

    for kind in KINDS:
        assert find(S.path_specs(), lambda s, k=kind: s.kind == k, settings=REACH).kind == kind


@pytest.mark.parametrize("kind", S.GAUSS_KINDS)
def test_every_gaussian_pair_kind_is_reachable(kind):
    find(S.gaussian_pairs(), lambda pair: pair[0] == kind, settings=REACH)


@given(S.gaussian_pairs())
def test_gaussian_pairs_are_valid(pair):
    kind, mu1, S1, _, S2 = pair
    for cov in (S1, S2):
        assert cov.shape == (len(mu1), len(mu1)) and np.allclose(cov, cov.T)
        eig = np.linalg.eigvalsh(cov)
        assert eig.min() >= -1e-9 * eig.max()
        if kind != "singular":
            assert eig.min() > 0
