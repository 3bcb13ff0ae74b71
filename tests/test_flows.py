"""The flow checks on the reference flows (each catching a planted bug), densities against
quadrature, the LU/QR representability claims, and the impl refusing bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.special import roots_legendre

from dgmcheck.checks import flows as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl.flows import (
    AffineCoupling,
    CompositeFlow,
    GaussianARFlow,
    LinearFlow,
    LUFlow,
    QRFlow,
    made_masks,
)
from dgmcheck.theory import flows as th
from tests import _flow_bugs as bugs

FLOW_IDS = (
    "change_of_variables.density",
    "change_of_variables.inverse_function",
    "flows.composition",
    "flows.linear",
    "flows.gaussian_ar",
    "flows.realnvp",
)
# W whose partial-pivoting LU has a 3-cycle permutation (P ≠ Pᵀ) and det W < 0.
W3 = torch.tensor([[0.1, 0.3, 2.0], [3.0, 0.2, 0.1], [0.2, 2.5, -0.4]], dtype=torch.float64)


def _composite(seed=0):
    return CompositeFlow([AffineCoupling(3, 1, seed=seed), LUFlow.from_weight(W3),
                          GaussianARFlow(3, seed=seed + 1), QRFlow.from_weight(W3.T),
                          AffineCoupling(3, 2, seed=seed + 2)])


def _verify(flow, device, dtype, props, max_examples=5, **kw):
    flow.to(device=device, dtype=dtype)
    return checks.verify(flow, dtype=dtype, device=device, properties=props, max_examples=max_examples, **kw)


@pytest.mark.theorem("change_of_variables.density", "change_of_variables.inverse_function")
@pytest.mark.parametrize("make", [lambda: LinearFlow(W3), lambda: GaussianARFlow(4, seed=3),
                                  lambda: AffineCoupling(4, 2, seed=5), _composite],
                         ids=["linear", "ar", "coupling", "composite"])
def test_density_and_inverse(make, device, dtype):
    _verify(make(), device, dtype, ["density", "inverse_function"])


@pytest.mark.theorem("flows.composition")
def test_composition(device, dtype):
    _verify(_composite(), device, dtype, ["composition"])


@pytest.mark.theorem("flows.linear")
@pytest.mark.parametrize("kind", ["plain", "lu", "qr"])
def test_linear(kind, device, dtype):
    make = {"plain": LinearFlow, "lu": LUFlow.from_weight, "qr": QRFlow.from_weight}[kind]
    _verify(make(W3), device, dtype, ["linear"])


@pytest.mark.theorem("flows.gaussian_ar")
@pytest.mark.parametrize("dim", [1, 4])
def test_gaussian_ar(dim, device, dtype):
    _verify(GaussianARFlow(dim, seed=dim), device, dtype, ["gaussian_ar"])


@pytest.mark.theorem("flows.realnvp")
@pytest.mark.parametrize("d", [1, 3])
def test_realnvp(d, device, dtype):
    _verify(AffineCoupling(4, d, seed=d), device, dtype, ["realnvp"])


@pytest.mark.theorem(*FLOW_IDS)
def test_verify_composite_runs_the_properties_it_supports():
    report = checks.verify(_composite(), max_examples=scaled(3))
    assert report.passed == ["density", "inverse_function", "composition"]
    assert str(report.results["linear"]).startswith("not applicable")


# --------------------------------------------------------------------------- densities by quadrature
@pytest.mark.theorem("change_of_variables.density")
@pytest.mark.parametrize("make", [lambda: AffineCoupling(2, 1, seed=7),
                                  lambda: CompositeFlow([AffineCoupling(2, 1, seed=1), LinearFlow(W3[:2, :2]),
                                                         GaussianARFlow(2, seed=2)])],
                         ids=["coupling", "composite"])
def test_flow_density_integrates_to_one_2d(make):
    """exp(log_prob) of 2-d flows by tensor Gauss–Legendre quadrature on [-14, 14]² (tails < 1e-40)."""
    flow = make()
    nodes, weights = roots_legendre(300)
    u, w = 14.0 * nodes, 14.0 * weights
    X = torch.tensor(np.stack(np.meshgrid(u, u, indexing="ij"), -1).reshape(-1, 2))
    dens = torch.exp(flow.log_prob(X)).numpy().reshape(300, 300)
    assert abs(w @ dens @ w - 1.0) < 1e-9


@pytest.mark.theorem("change_of_variables.density")
def test_flow_density_integrates_to_one_1d():
    flow = CompositeFlow([LinearFlow(torch.tensor([[-1.7]], dtype=torch.float64)), GaussianARFlow(1, seed=4)])
    total = th.normalization_1d(lambda v: float(flow.log_prob(torch.tensor([[v]], dtype=torch.float64))[0]))
    assert abs(total - 1.0) < 1e-9


# --------------------------------------------------------------------------- LU / QR representability
@pytest.mark.theorem("flows.linear")
def test_slide_lu_with_positive_diagonals_cannot_represent_minus_identity():
    """The slide's W = PLU with L, U both positive-diagonal needs sign det W = det P and, for the
    chosen P, positive leading minors of PᵀW: W = -I₂ admits no permutation at all."""
    assert th.lu_positive_permutations(-np.eye(2)) == []
    swap = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert not th.lu_positive_exists(swap, np.eye(2))  # fixed P = I: leading minor 0
    rng = np.random.default_rng(0)
    for _ in range(50):
        W = rng.normal(size=(3, 3))
        for perm in th.lu_positive_permutations(W):
            assert th.permutation_sign(perm) == np.sign(np.linalg.det(W))


@pytest.mark.theorem("flows.linear")
def test_glow_lu_and_qr_represent_every_invertible_matrix():
    """Unit-L, signed-diagonal-U PLU and QR with Q ∈ O(m), R positive-diagonal represent every
    invertible W (incl. det W < 0 and -I); QR with Q ∈ SO(m) only those with det W > 0."""
    rng = np.random.default_rng(1)
    mats = [-np.eye(2), np.array([[0.0, 1.0], [1.0, 0.0]]), W3.numpy()] + [rng.normal(size=(4, 4)) for _ in range(20)]
    for W in mats:
        Wt = torch.tensor(W)
        for make in (LUFlow.from_weight, QRFlow.from_weight):
            assert torch.allclose(make(Wt).weight(), Wt, atol=1e-12)
        Q, R = th.qr_positive(W)
        assert np.allclose(Q @ R, W) and np.all(np.diag(R) > 0)
        assert np.sign(np.linalg.det(Q)) == np.sign(np.linalg.det(W))  # det R > 0


# --------------------------------------------------------------------------- planted bugs
PLANTED = [
    (lambda: bugs.CouplingLogDetWrongSign(3, 1, seed=1), "density", "change_of_variables.density"),
    (lambda: bugs.ARInverseLogDetNotNegated(3, seed=2), "inverse_function", "change_of_variables.inverse_function"),
    (lambda: bugs.CouplingInverseReusesForwardShift(3, 1, seed=3), "inverse_function",
     "change_of_variables.inverse_function"),
    (lambda: bugs.CouplingInverseReusesForwardShift(3, 1, seed=3), "realnvp", "flows.realnvp"),
    (lambda: bugs.CompositeLogDetAtInput([AffineCoupling(3, 1, seed=4), GaussianARFlow(3, seed=5)]),
     "composition", "flows.composition"),
    (lambda: bugs.LinearTransposed(W3), "linear", "flows.linear"),
    (lambda: bugs.LUInverseWithP.from_weight(W3), "linear", "flows.linear"),
    (lambda: bugs.MADEMaskWithDiagonal(3, seed=6), "gaussian_ar", "flows.gaussian_ar"),
    (lambda: bugs.ARLogDetWrongSign(3, seed=7), "gaussian_ar", "flows.gaussian_ar"),
]


@pytest.mark.planted_bug(*FLOW_IDS)
@pytest.mark.parametrize(("make", "prop", "theorem"), PLANTED, ids=[f"{p}-{i}" for i, (_, p, _) in enumerate(PLANTED)])
def test_planted_bug_is_caught(make, prop, theorem, dtype):
    with pytest.raises(TheoremViolation) as info:
        _verify(make(), "cpu", dtype, [prop], max_examples=None, shrink=False)
    assert info.value.theorem == theorem
    assert info.value.slide == checks.SLIDES[theorem]


def test_every_property_has_a_planted_bug():
    assert {p for _, p, _ in PLANTED} == set(checks.PROPERTY_NAMES)
    assert {t for _, _, t in PLANTED} == set(FLOW_IDS)
    P = torch.linalg.lu(W3)[0]
    assert not torch.equal(P, P.T)  # the LU bug is visible only when P ≠ Pᵀ


# --------------------------------------------------------------------------- bad input
def test_impl_refuses_bad_input():
    with pytest.raises(ValueError, match="W must be invertible"):
        LinearFlow(torch.tensor([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(ValueError, match="W must be invertible"):
        LUFlow.from_weight(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="W must be a square"):
        LinearFlow(torch.ones(2, 3))
    with pytest.raises(ValueError, match="Q must be orthogonal"):
        QRFlow(torch.ones(2, 2), torch.zeros(2, 2), torch.zeros(2))
    M1, M2 = made_masks(3, 6)
    with pytest.raises(ValueError, match="masks must be strictly lower triangular"):
        GaussianARFlow(3, 6, masks=(M1, torch.ones_like(M2)))
    with pytest.raises(ValueError, match="d must satisfy"):
        AffineCoupling(3, 3)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 3\)"):
        GaussianARFlow(3).forward(torch.zeros(2, 4, dtype=torch.float64))
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        LinearFlow(W3).forward(torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="layers must share one dimension"):
        CompositeFlow([GaussianARFlow(2), GaussianARFlow(3)])
    with pytest.raises(TypeError, match="positive int 'dim'"):
        checks.verify(object())
