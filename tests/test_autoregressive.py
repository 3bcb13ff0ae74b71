"""Autoregressive factorization and parameter counts on small alphabets: the checks on the tabular
reference (histogram, independent, Markov), planted bugs, and the counts against Jacobian ranks."""

from __future__ import annotations

import pytest
import torch

from dgmcheck.checks import autoregressive as checks
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
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
    report = checks.verify(model, dtype=dtype, device=device, max_examples=scaled(5))
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


@pytest.mark.theorem("ar.factorization")
def test_enumeration_oracles_vectorized_agree_with_one_sequence_at_a_time():
    """The chain rule by enumeration: batched conditionals equal per-sequence ones, and the joint rebuilt from
    them (batched or one call per sequence) is the joint."""
    import numpy as np

    V, m = 3, 4
    joint = np.random.default_rng(3).dirichlet(np.ones(V**m)).reshape((V,) * m)
    seqs = th.all_sequences(V, m)
    assert seqs.shape == (V**m, m) and (seqs[1] == [0, 0, 0, 1]).all() and (seqs[-1] == V - 1).all()
    batched = th.conditionals_from_joint(joint, seqs)
    one_by_one = np.stack([th.conditionals_from_joint(joint, x) for x in seqs[::7]])
    np.testing.assert_allclose(batched[::7], one_by_one, rtol=1e-14)
    np.testing.assert_allclose(th.joint_from_conditionals(lambda xs: th.conditionals_from_joint(joint, xs), V, m,
                                                          batched=True), joint, rtol=1e-12)
    np.testing.assert_allclose(th.joint_from_conditionals(lambda x: th.conditionals_from_joint(joint, x), V, m),
                               joint, rtol=1e-12)


def test_enumeration_has_a_declared_size_limit():
    V, m = 2, 21
    assert V**m > th.MAX_SEQUENCES
    with pytest.raises(ValueError, match=r"V\*\*m = 2\*\*21 = 2097152 sequences, over the limit MAX_SEQUENCES"):
        th.all_sequences(V, m)
    with pytest.raises(ValueError, match="MAX_SEQUENCES"):
        th.joint_from_conditionals(lambda x: None, V, m)
    with pytest.raises(ValueError, match="MAX_SEQUENCES"):
        th.jacobian_rank_count(4, 11, None)
    with pytest.raises(ValueError, match="m must be a positive integer"):
        th.all_sequences(2, 0)
    assert checks.MAX_ENUMERATION <= th.MAX_SEQUENCES


@pytest.mark.theorem("ar.factorization")
def test_long_models_are_checked_without_enumerating(monkeypatch):
    """A model past the enumeration limit keeps the teacher-forced checks; the oracle is never asked past its guard."""
    asked = []
    real = th.all_sequences
    monkeypatch.setattr(th, "all_sequences", lambda V, m: asked.append(V**m) or real(V, m))
    model = TabularAR(2, 13, 1, seed=4)  # 2**13 = 8192 sequences > MAX_ENUMERATION
    assert 2**13 > checks.MAX_ENUMERATION
    report = checks.verify(model, dtype=torch.float64, properties=["factorization"], max_examples=scaled(2))
    assert report.passed == ["factorization"] and asked == []
