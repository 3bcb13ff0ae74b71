"""Gaussian W2, FID and precision/recall checks on the reference implementation, planted bugs,
user-function adapters, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dgmcheck.checks import metrics as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl import metrics as M
from tests import _gan_bugs as bugs

METRIC_IDS = ("metrics.fid", "metrics.precision_recall", "wasserstein.gaussian_w2")


def _verify(name: str, device, dtype) -> None:
    report = checks.verify(M.Metrics(), dtype=dtype, device=device, properties=[name], max_examples=scaled(12))
    assert report.passed == [name]


@pytest.mark.theorem("wasserstein.gaussian_w2")
def test_gaussian_w2(device, dtype):
    _verify("gaussian_w2", device, dtype)


@pytest.mark.theorem("metrics.fid")
def test_fid(device, dtype):
    _verify("fid", device, dtype)


@pytest.mark.theorem("metrics.precision_recall")
def test_precision_recall(device, dtype):
    _verify("precision_recall", device, dtype)


@pytest.mark.theorem("metrics.fid")
def test_fid_adapter_on_a_user_function(dtype):
    """Any user ``fid(features_a, features_b)`` is checked through ``fid_candidate``."""
    report = checks.verify(checks.fid_candidate(M.fid), dtype=dtype, properties=["fid"], max_examples=scaled(8))
    assert report.passed == ["fid"]


def _fid_case(kind: str, dtype, seed: int = 0, n: int = 24, m: int = 24, d: int = 3) -> checks.MetricCase:
    """Fixed regression cases: 'offset' (features at 1e4 ± 1), 'square' (n = d: singular covariances)."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    X, Y = rng.normal(size=(n, d)) @ A, rng.normal(size=(m, d)) @ A * 1.1 + 0.2
    if kind == "offset":
        X, Y = X + 1e4, Y + 1e4
    z = np.zeros(d)
    return checks.MetricCase(z, np.eye(d), z, np.eye(d), X, Y, np.eye(d), z, kind, dtype=dtype)


# Planted bugs: (bug, property, theorem, dtypes where it is a bug, fixed case kind or None for verify)
PLANTED = [
    (bugs.W2CommutingSqrt, "gaussian_w2", "wasserstein.gaussian_w2", ("float32", "float64"), None),
    (bugs.FIDTransposedCovariance, "fid", "metrics.fid", ("float32", "float64"), "equal_sizes"),
    (bugs.FIDComplexSqrtKept, "fid", "metrics.fid", ("float32", "float64"), None),
    (bugs.FIDSqrtOfRealEigenvalues, "fid", "metrics.fid", ("float32", "float64"), "square"),
    (bugs.FIDOnePassCovariance, "fid", "metrics.fid", ("float32", "float64"), "offset"),
    (bugs.FIDFloat32Accumulation, "fid", "metrics.fid", ("float64",), "offset"),
    (bugs.PrecisionRadiusCountsSelf, "precision_recall", "metrics.precision_recall", ("float32", "float64"), None),
    (bugs.PrecisionRecallSwapped, "precision_recall", "metrics.precision_recall", ("float32", "float64"), None),
]


@pytest.mark.planted_bug(*METRIC_IDS)
@pytest.mark.parametrize(("bug", "prop", "theorem", "dtypes", "fixed"), PLANTED,
                         ids=[f"{b.__name__}-{p}" for b, p, *_ in PLANTED])
def test_planted_bug_is_caught(bug, prop, theorem, dtypes, fixed, dtype):
    if str(dtype).replace("torch.", "") not in dtypes:
        pytest.skip(f"{bug.__name__} is not a bug in {dtype}")
    with pytest.raises(TheoremViolation) as info:
        if fixed is None:
            checks.verify(bug(), dtype=dtype, properties=[prop], shrink=False, max_examples=scaled(40))
        else:
            if fixed == "square":  # n = d: both covariances singular, eig(Σ_X Σ_Y) has a zero eigenvalue
                cases = [_fid_case("square", dtype, seed, n=4, m=4, d=4) for seed in range(8)]
            else:
                cases = [_fid_case(fixed, dtype, seed) for seed in range(3)]
            for case in cases:
                checks.check_fid(M.Metrics(), case)  # the reference passes the same cases
                checks.check_fid(bug(), case)
    assert info.value.theorem == theorem
    assert info.value.slide == checks.SLIDES[theorem]


def test_every_property_has_a_planted_bug():
    assert {p for _, p, *_ in PLANTED} == set(checks.PROPERTY_NAMES)
    claimed = {i for m in test_planted_bug_is_caught.pytestmark if m.name == "planted_bug" for i in m.args}
    assert claimed == {row[2] for row in PLANTED}


@pytest.mark.theorem("metrics.precision_recall")
def test_precision_recall_known_configurations():
    rng = np.random.default_rng(3)
    X = torch.tensor(rng.normal(size=(20, 2)))
    assert [float(v) for v in M.precision_recall(X, X.clone(), 3)] == [1.0, 1.0]
    assert [float(v) for v in M.precision_recall(X, X + 100, 3)] == [0.0, 0.0]
    assert float(M.precision_recall(X, X[:7].clone(), 3)[0]) == 1.0


def test_impl_refuses_bad_features():
    X = torch.randn(10, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="features_a has 2 samples for 3 dimensions"):
        M.fid(X[:2], X)
    with pytest.raises(ValueError, match="features_b must be finite"):
        M.fid(X, torch.full_like(X, float("inf")))
    with pytest.raises(ValueError, match="features_a must have shape"):
        M.fid(X[0], X)
    with pytest.raises(TypeError, match="features_b has dtype"):
        M.fid(X, X.float())
    with pytest.raises(ValueError, match="k must be an int"):
        M.precision_recall(X, X, 10)
    with pytest.raises(ValueError, match="S1 must have shape"):
        M.gaussian_w2(X[0], torch.eye(2, dtype=torch.float64), X[1], torch.eye(2, dtype=torch.float64))


def test_impl_follows_device_and_dtype(device, dtype):
    X = torch.randn(12, 3, dtype=dtype, device=device)
    Y = torch.randn(15, 3, dtype=dtype, device=device)
    for out in (M.fid(X, Y), *M.precision_recall(X, Y, 2)):
        assert out.dtype == dtype and out.device.type == torch.device(device).type


def test_singular_covariances_stay_covariances_when_rounded_to_float32():
    """The drawn rank-deficient covariance of a failing dev seed: rounded to float32 its zero eigenvalue
    went to -1.6e-7 and the oracle refused it as no covariance; ``covariance_in`` lifts it by a few
    ulps of ``‖S‖`` so that what the candidate reads is PSD, and nearly singular still."""
    from dgmcheck.checks.metrics import covariance_in
    from dgmcheck.checks.strategies import to_tensor
    from dgmcheck.theory import wasserstein as ws

    S1 = np.array([[2.92663486, -3.91035903], [-3.91035903, 5.22474051]])  # as printed: rank 1
    assert np.linalg.eigvalsh(to_tensor(S1, dtype=torch.float32).double().numpy()).min() < -1e-7
    for dtype in (torch.float32, torch.float64):
        lifted = covariance_in(S1, dtype)
        seen = to_tensor(lifted, dtype=dtype).double().numpy()
        lam = np.linalg.eigvalsh(seen)
        assert lam.min() >= 0 and lam.min() <= 1e-5 * lam.max(), (dtype, lam)
        ws.gaussian_w2_squared(np.zeros(2), seen, np.zeros(2), np.eye(2))  # a covariance to the oracle
