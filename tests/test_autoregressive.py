"""Autoregressive factorization and parameter counts on small alphabets: the checks on the tabular
reference (histogram, independent, Markov), planted bugs, and the counts against Jacobian ranks."""

from __future__ import annotations

import pytest
import torch

from dgmcheck.checks import autoregressive as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.impl.autoregressive import TabularAR
from dgmcheck.theory import autoregressive as th

AR_IDS = ("ar.factorization", "ar.parameter_counts")


class ContextIncludesCurrent(TabularAR):
    """The j-th conditional reads x_{j-c+1:j} (the causal mask shifted by one: it sees x_j itself)."""

    def _row(self, x, j):
        idx = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
        for s in range(j - self.context[j] + 1, j + 1):
            idx = idx * self.V + x[:, min(s, self.m - 1)]
        return idx


class CountsLogits(TabularAR):
    """V parameters per conditional row (the softmax's redundant logit counted)."""

    def num_parameters(self):
        return sum(t.numel() for t in self.logits)


@pytest.mark.theorem(*AR_IDS)
@pytest.mark.parametrize("order", [None, 0, 1, 2], ids=["histogram", "independent", "markov1", "markov2"])
def test_tabular_ar(order, device, dtype):
    model = TabularAR(3, 3, order, seed=1).to(device=device, dtype=dtype)
    report = checks.verify(model, dtype=dtype, device=device, max_examples=5)
    assert report.passed == list(checks.PROPERTY_NAMES)


@pytest.mark.theorem("ar.parameter_counts")
@pytest.mark.parametrize(("V", "m", "order"), [(2, 3, None), (2, 3, 0), (2, 3, 1), (3, 3, 1), (2, 4, 2), (3, 2, None)])
def test_parameter_count_is_the_jacobian_rank(V, m, order):
    """The closed-form counts equal the rank of ∂ joint / ∂ logits (computed)."""
    assert th.parameter_count(V, m, order) == th.jacobian_rank_count(V, m, order)


@pytest.mark.theorem("ar.parameter_counts")
def test_slide_mnist_counts():
    m = 28 * 28
    assert th.parameter_count(2, m, None) == 2**m - 1
    assert th.parameter_count(2, m, 0) == m
    assert th.parameter_count(2, m, 1) == 2 * m - 1


PLANTED = [(ContextIncludesCurrent, 1, "factorization", "ar.factorization"),
           (ContextIncludesCurrent, None, "factorization", "ar.factorization"),
           (CountsLogits, 1, "parameter_counts", "ar.parameter_counts")]


@pytest.mark.planted_bug(*AR_IDS)
@pytest.mark.parametrize(("bug", "order", "prop", "theorem"), PLANTED, ids=["shift-markov", "shift-full", "logits"])
def test_planted_bug_is_caught(bug, order, prop, theorem, dtype):
    with pytest.raises(TheoremViolation) as info:
        checks.verify(bug(3, 3, order, seed=2).to(dtype=dtype), dtype=dtype, properties=[prop], shrink=False)
    assert info.value.theorem == theorem


def test_bad_input():
    with pytest.raises(ValueError, match="order must be"):
        TabularAR(2, 3, -1)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 3\)"):
        TabularAR(2, 3).log_prob(torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(TypeError, match="int V"):
        checks.verify(object())
