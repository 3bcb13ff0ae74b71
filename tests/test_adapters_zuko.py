"""zuko flows held to the change-of-variables oracles (dgmcheck.checks.flows) through dgmcheck.adapters.zuko.

Findings pinned here (zuko 1.6): MAF, NICE, RealNVP-style coupling flows and the NSF (spline) flow pass
change_of_variables.density (``log_abs_det_jacobian`` and ``log_prob``), change_of_variables.inverse_function
and flows.composition at float64 and at float32 tolerances; a MAF layer with the natural order passes
flows.gaussian_ar. Every planted bug is caught with the right theorem.
"""

from __future__ import annotations

import pytest

zuko = pytest.importorskip("zuko")

import torch  # noqa: E402
import zuko.distributions as zd  # noqa: E402
import zuko.transforms as zt  # noqa: E402

from dgmcheck.adapters.zuko import ZukoAffineAR, ZukoFlow, verify_flow  # noqa: E402
from dgmcheck.checks import flows as checks  # noqa: E402
from dgmcheck.checks.errors import TheoremViolation  # noqa: E402
from dgmcheck.checks.profiles import scaled  # noqa: E402

pytestmark = [pytest.mark.adapters]

EXAMPLES = scaled(4)
DTYPES = (torch.float64, torch.float32)


def perturbed(flow, seed: int = 0):
    """The flow with every parameter moved by N(0, 0.3²) (fixed seed), so no layer sits at its identity init."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return flow


def maf(features: int = 3, transforms: int = 2):
    torch.manual_seed(0)
    return perturbed(zuko.flows.MAF(features, transforms=transforms, hidden_features=[8]))


def coupling(features: int = 4):
    torch.manual_seed(1)
    return perturbed(zuko.flows.RealNVP(features, transforms=2, hidden_features=[8]))


FLOWS = {"maf": maf, "realnvp": coupling}


@pytest.mark.theorem("change_of_variables.density", "change_of_variables.inverse_function", "flows.composition")
@pytest.mark.parametrize("flow_dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", sorted(FLOWS))
def test_zuko_flows_pass(name, flow_dtype):
    report = verify_flow(FLOWS[name](), dtype=flow_dtype, max_examples=EXAMPLES)
    assert report.passed == ["density", "inverse_function", "composition"], report.summary()


@pytest.mark.theorem("change_of_variables.density")
def test_zuko_nsf_spline_density_passes():
    torch.manual_seed(2)
    flow = perturbed(zuko.flows.NSF(2, transforms=1, hidden_features=[8], bins=4))
    report = verify_flow(flow, dtype=torch.float32, properties=["density"], max_examples=scaled(3))
    assert report.passed == ["density"]


@pytest.mark.theorem("flows.gaussian_ar", "change_of_variables.density", "change_of_variables.inverse_function")
def test_zuko_maf_layer_is_a_gaussian_ar_flow():
    layer = maf().transform.transforms[0]
    report = checks.verify(ZukoAffineAR(layer), max_examples=EXAMPLES)
    assert report.passed == ["density", "inverse_function", "gaussian_ar"], report.summary()


def test_zuko_refusals():
    with pytest.raises(ValueError, match="order"):
        ZukoAffineAR(maf().transform.transforms[1])  # reversed order
    flow = maf()
    flow.base = zuko.lazy.UnconditionalDistribution(zd.DiagNormal, torch.ones(3), torch.ones(3), buffer=True)
    with pytest.raises(ValueError, match="not N\\(0, I\\)"):
        ZukoFlow(flow)
    with pytest.raises(TypeError, match=r"zuko\.flows\.Flow"):
        ZukoFlow(torch.nn.Linear(3, 3))


# --------------------------------------------------------------------------- planted bugs
def _ladj_wrong_sign(self, x, y):
    return -self.log_scale.expand(x.shape)


def _inverse_reuses_forward_shift(self, y):
    return y / self.scale - self.shift  # the forward's shift, unscaled: (y - b)/e^a belongs


def _ladj_at_input(self, x):
    """Every layer's log-det evaluated at the composite's input x instead of its own input."""
    y, acc = x, 0
    for t in self.transforms:
        y, _ = t.call_and_ladj(y)
        acc = acc + t.call_and_ladj(x)[1]
    return y, acc


def _log_prob_sampling_direction(self, x):
    """The direction flipped: the log-det of the sampling map z -> x used for the density."""
    z, ladj = self.transform.call_and_ladj(x)
    return self.base.log_prob(z) - ladj


@pytest.mark.planted_bug("change_of_variables.density", "change_of_variables.inverse_function", "flows.composition")
@pytest.mark.parametrize("target, attr, bug, prop, theorem", [
    (zt.MonotonicAffineTransform, "log_abs_det_jacobian", _ladj_wrong_sign, "density",
     "change_of_variables.density"),
    (zt.MonotonicAffineTransform, "_inverse", _inverse_reuses_forward_shift, "inverse_function",
     "change_of_variables.inverse_function"),
    (zt.ComposedTransform, "call_and_ladj", _ladj_at_input, "composition", "flows.composition"),
    (zd.NormalizingFlow, "log_prob", _log_prob_sampling_direction, "density", "change_of_variables.density"),
], ids=["ladj_sign", "inverse_shift", "ladj_at_input", "log_prob_direction"])
def test_planted_zuko_bug_is_caught(monkeypatch, target, attr, bug, prop, theorem):
    monkeypatch.setattr(target, attr, bug)
    with pytest.raises(TheoremViolation) as err:
        verify_flow(maf(), properties=[prop], max_examples=EXAMPLES, shrink=False)
    assert err.value.theorem == theorem


@pytest.mark.planted_bug("flows.gaussian_ar")
def test_planted_zuko_ar_ladj_sign_is_caught_by_gaussian_ar(monkeypatch):
    monkeypatch.setattr(zt.MonotonicAffineTransform, "log_abs_det_jacobian", _ladj_wrong_sign)
    with pytest.raises(TheoremViolation) as err:
        checks.verify(ZukoAffineAR(maf().transform.transforms[0]), properties=["gaussian_ar"],
                      max_examples=EXAMPLES, shrink=False)
    assert err.value.theorem == "flows.gaussian_ar"
