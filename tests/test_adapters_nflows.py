"""nflows transforms and flows held to the change-of-variables oracles through dgmcheck.adapters.nflows.

nflows' ``forward`` maps data -> noise and returns ``(outputs, logabsdet)``: the density direction, the same
as dgmcheck's. Findings pinned here (nflows 0.14): ``AffineCouplingTransform`` (mask identity on the first d
features) passes change_of_variables.density, change_of_variables.inverse_function and flows.realnvp;
``MaskedAffineAutoregressiveTransform`` passes density, inverse_function and flows.gaussian_ar; a ``Flow``
(MAF layer, ReversePermutation, coupling; StandardNormal base) passes density (``log_prob``),
inverse_function and flows.composition, at float64 and float32 tolerances. Every planted bug is caught.
"""

from __future__ import annotations

import pytest

pytest.importorskip("nflows")

import torch
from nflows.distributions import StandardNormal
from nflows.distributions.normal import DiagonalNormal
from nflows.flows import Flow
from nflows.flows import base as flow_base
from nflows.nn.nets import ResidualNet
from nflows.transforms import (
    AffineCouplingTransform,
    CompositeTransform,
    MaskedAffineAutoregressiveTransform,
    ReversePermutation,
)

from dgmcheck.adapters.nflows import NflowsAffineAR, NflowsCoupling, NflowsFlow, verify_flow
from dgmcheck.checks import flows as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled

pytestmark = [pytest.mark.adapters]

EXAMPLES = scaled(4)
DTYPES = (torch.float64, torch.float32)
M = 4


def perturbed(module, seed: int = 0):
    """The module with every parameter moved by N(0, 0.3²) (fixed seed): no layer sits at its init."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return module


def coupling(d: int = 2):
    torch.manual_seed(0)
    mask = torch.tensor([-1] * d + [1] * (M - d))
    return perturbed(AffineCouplingTransform(mask, lambda i, o: ResidualNet(i, o, hidden_features=8, num_blocks=1)))


def made():
    torch.manual_seed(1)
    return perturbed(MaskedAffineAutoregressiveTransform(M, 8), seed=1)


def flow():
    return Flow(CompositeTransform([made(), ReversePermutation(M), coupling()]), StandardNormal([M]))


@pytest.mark.theorem("change_of_variables.density", "change_of_variables.inverse_function", "flows.realnvp")
@pytest.mark.parametrize("flow_dtype", DTYPES, ids=str)
def test_nflows_affine_coupling_passes(flow_dtype):
    report = checks.verify(NflowsCoupling(coupling(), dtype=flow_dtype), dtype=flow_dtype, max_examples=EXAMPLES)
    assert report.passed == ["density", "inverse_function", "realnvp"], report.summary()


@pytest.mark.theorem("change_of_variables.density", "change_of_variables.inverse_function", "flows.gaussian_ar")
@pytest.mark.parametrize("flow_dtype", DTYPES, ids=str)
def test_nflows_masked_affine_autoregressive_passes(flow_dtype):
    report = checks.verify(NflowsAffineAR(made(), dtype=flow_dtype), dtype=flow_dtype, max_examples=EXAMPLES)
    assert report.passed == ["density", "inverse_function", "gaussian_ar"], report.summary()


@pytest.mark.theorem("change_of_variables.density", "change_of_variables.inverse_function", "flows.composition")
@pytest.mark.parametrize("flow_dtype", DTYPES, ids=str)
def test_nflows_flow_with_standard_normal_base_passes(flow_dtype):
    report = verify_flow(flow(), dtype=flow_dtype, max_examples=EXAMPLES)
    assert report.passed == ["density", "inverse_function", "composition"], report.summary()


def test_nflows_refusals():
    with pytest.raises(ValueError, match="not a StandardNormal"):
        NflowsFlow(Flow(made(), DiagonalNormal([M])))
    torch.manual_seed(0)
    mask = torch.tensor([1, 1, -1, -1])  # identity on the LAST features
    with pytest.raises(ValueError, match="first d"):
        NflowsCoupling(AffineCouplingTransform(mask, lambda i, o: ResidualNet(i, o, hidden_features=8, num_blocks=1)))
    with pytest.raises(TypeError, match="Flow"):
        NflowsFlow(made())


# --------------------------------------------------------------------------- planted bugs
def _coupling_forward_wrong_sign(self, inputs, transform_params):
    scale, shift = self._scale_and_shift(transform_params)
    return inputs * scale + shift, -torch.log(scale).sum(-1)  # +Σ log σ: the sampling direction's log-det


def _coupling_inverse_reuses_forward_shift(self, inputs, transform_params):
    scale, shift = self._scale_and_shift(transform_params)
    return inputs / scale - shift, -torch.log(scale).sum(-1)  # (z - shift)/scale belongs


def _made_inverse_logdet_not_negated(self, inputs, autoregressive_params):
    outputs, logabsdet = AR_INVERSE(self, inputs, autoregressive_params)
    return outputs, -logabsdet


def _log_prob_direction_flipped(self, inputs, context):
    """nflows read in the sampling direction: x = forward(z), so the density runs ``inverse`` on data."""
    noise, logabsdet = self._transform.inverse(inputs, context=context)
    return self._distribution.log_prob(noise, context=context) + logabsdet


AR_INVERSE = MaskedAffineAutoregressiveTransform._elementwise_inverse
PLANTED = {
    "coupling_ladj_sign": (AffineCouplingTransform, "_coupling_transform_forward", _coupling_forward_wrong_sign),
    "coupling_inverse_shift": (AffineCouplingTransform, "_coupling_transform_inverse",
                               _coupling_inverse_reuses_forward_shift),
    "made_inverse_ladj": (MaskedAffineAutoregressiveTransform, "_elementwise_inverse",
                          _made_inverse_logdet_not_negated),
    "direction_flipped": (flow_base.Flow, "_log_prob", _log_prob_direction_flipped),
}


@pytest.mark.planted_bug("change_of_variables.density", "change_of_variables.inverse_function")
@pytest.mark.parametrize("bug, prop, theorem", [
    ("coupling_ladj_sign", "density", "change_of_variables.density"),
    ("coupling_inverse_shift", "inverse_function", "change_of_variables.inverse_function"),
    ("made_inverse_ladj", "inverse_function", "change_of_variables.inverse_function"),
    ("direction_flipped", "density", "change_of_variables.density"),
])
def test_planted_nflows_bug_is_caught_on_a_flow(monkeypatch, bug, prop, theorem):
    target, attr, fn = PLANTED[bug]
    monkeypatch.setattr(target, attr, fn)
    with pytest.raises(TheoremViolation) as err:
        verify_flow(flow(), properties=[prop], max_examples=EXAMPLES, shrink=False)
    assert err.value.theorem == theorem


@pytest.mark.planted_bug("flows.realnvp")
@pytest.mark.parametrize("bug", ["coupling_ladj_sign", "coupling_inverse_shift"])
def test_planted_nflows_coupling_bug_is_caught_by_realnvp(monkeypatch, bug):
    target, attr, fn = PLANTED[bug]
    monkeypatch.setattr(target, attr, fn)
    with pytest.raises(TheoremViolation) as err:
        checks.verify(NflowsCoupling(coupling()), properties=["realnvp"], max_examples=EXAMPLES, shrink=False)
    assert err.value.theorem == "flows.realnvp"


@pytest.mark.planted_bug("flows.gaussian_ar")
def test_planted_nflows_made_ladj_sign_is_caught_by_gaussian_ar(monkeypatch):
    forward = MaskedAffineAutoregressiveTransform._elementwise_forward

    def wrong_sign(self, inputs, autoregressive_params):
        outputs, logabsdet = forward(self, inputs, autoregressive_params)
        return outputs, -logabsdet

    monkeypatch.setattr(MaskedAffineAutoregressiveTransform, "_elementwise_forward", wrong_sign)
    with pytest.raises(TheoremViolation) as err:
        checks.verify(NflowsAffineAR(made()), properties=["gaussian_ar"], max_examples=EXAMPLES, shrink=False)
    assert err.value.theorem == "flows.gaussian_ar"


@pytest.mark.planted_bug("flows.composition")
def test_planted_nflows_composite_logdet_at_input_is_caught(monkeypatch):
    def cascade_at_input(inputs, funcs, context=None):
        outputs, total = inputs, inputs.new_zeros(inputs.shape[0])
        for func in funcs:
            outputs, _ = func(outputs, context)
            total = total + func(inputs, context)[1]  # every layer's log-det at the composite's input
        return outputs, total

    monkeypatch.setattr(CompositeTransform, "_cascade", staticmethod(cascade_at_input))
    with pytest.raises(TheoremViolation) as err:
        verify_flow(flow(), properties=["composition"], max_examples=EXAMPLES, shrink=False)
    assert err.value.theorem == "flows.composition"
