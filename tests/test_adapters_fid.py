"""Third-party Fréchet-distance functions held to the FID oracle. pytorch-fid and torchmetrics are
not installed here: those tests skip; the adapter itself is exercised on pytorch-fid's algorithm
(scipy sqrtm of Σ_1Σ_2, real part) as ``theory.wasserstein.gaussian_w2_squared_sqrtm``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dgmcheck.adapters.fid import frechet_candidate, pytorch_fid_candidate, torchmetrics_candidate
from dgmcheck.checks import metrics as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.theory.wasserstein import gaussian_w2_squared_sqrtm

pytestmark = [pytest.mark.adapters]


@pytest.mark.theorem("metrics.fid")
def test_sqrtm_algorithm_through_the_adapter_passes(dtype):
    report = checks.verify(frechet_candidate(gaussian_w2_squared_sqrtm), dtype=dtype, properties=["fid"],
                           max_examples=scaled(6))
    assert report.passed == ["fid"]


@pytest.mark.planted_bug("metrics.fid")
def test_complex_sqrtm_kept_through_the_adapter_is_caught():
    from scipy import linalg

    def no_real_part(mu1, s1, mu2, s2):
        s1, s2 = np.atleast_2d(s1), np.atleast_2d(s2)
        covmean = linalg.sqrtm(s1 @ s2).astype(complex)  # `.real` forgotten
        return np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)

    with pytest.raises(TheoremViolation) as info:
        checks.verify(frechet_candidate(no_real_part), properties=["fid"], shrink=False, max_examples=scaled(5))
    assert info.value.theorem == "metrics.fid"


@pytest.mark.theorem("metrics.fid")
def test_pytorch_fid_if_importable():
    try:
        cand = pytorch_fid_candidate()
    except ImportError as exc:
        pytest.skip(str(exc))
    assert checks.verify(cand, dtype=torch.float64, properties=["fid"], max_examples=scaled(10)).passed == ["fid"]


@pytest.mark.theorem("metrics.fid")
def test_torchmetrics_if_importable():
    try:
        cand = torchmetrics_candidate()
    except ImportError as exc:
        pytest.skip(str(exc))
    assert checks.verify(cand, dtype=torch.float64, properties=["fid"], max_examples=scaled(10)).passed == ["fid"]
