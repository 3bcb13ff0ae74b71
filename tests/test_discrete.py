"""The discrete-diffusion checks on the reference implementation, each catching a planted bug,
and the impl refusing bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dgmcheck.checks import discrete as checks
from dgmcheck.checks.conventions import Conventions
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl.discrete import (
    AbsorbingDiffusion,
    DiscreteDiffusion,
    absorbing_matrices,
    mdlm_step_probs,
    uniform_matrices,
)
from tests import _discrete_bugs as bugs

# Written out (not computed) so the registry's static scan of the markers can read it.
DISCRETE_IDS = (
    "discrete.absorbing_loss",
    "discrete.absorbing_posterior",
    "discrete.categorical_kl",
    "discrete.cumulative",
    "discrete.elbo_decomposition",
    "discrete.mask_rate",
    "discrete.mdlm_sampling",
    "discrete.posterior",
    "discrete.sequence_factorization",
    "discrete.stationary",
    "discrete.transition",
)
THEOREM_OF = {p.name: p.theorem for p in checks.PROPERTIES}


def _general(chain):
    return DiscreteDiffusion(torch.tensor(chain.Qs), chain.convention)


def _absorbing(chain):
    return AbsorbingDiffusion(torch.tensor(chain.betas), chain.K, chain.mask, chain.convention)


def _run(name, device, dtype, factory=_general, **kw):
    def make(chain):
        cand = factory(chain)
        cand.Qs = cand.Qs.to(device=device, dtype=dtype)
        return _to(cand, device, dtype)

    checks.verify_over_chains(make, dtype=dtype, device=device, properties=[name], **kw)


def _to(cand, device, dtype):
    """Move a reference object to ``device``/``dtype`` (rebuilt from its float64 chain)."""
    if isinstance(cand, AbsorbingDiffusion):
        return type(cand)(cand.betas.to(device=device, dtype=dtype), cand.K, cand.mask, cand.convention)
    return type(cand)(cand.Qs.to(device=device, dtype=dtype), cand.convention)


@pytest.mark.theorem("discrete.transition")
def test_transition(device, dtype):
    _run("transition", device, dtype)


@pytest.mark.theorem("discrete.cumulative")
def test_cumulative(device, dtype):
    _run("cumulative", device, dtype)


@pytest.mark.theorem("discrete.cumulative")
def test_cumulative_absorbing_closed_form(device, dtype):
    _run("cumulative", device, dtype, _absorbing, chain_strategy=checks.absorbing_chains())


@pytest.mark.theorem("discrete.stationary")
def test_stationary(device, dtype):
    _run("stationary", device, dtype)


@pytest.mark.theorem("discrete.posterior")
def test_posterior(device, dtype):
    _run("posterior", device, dtype)


@pytest.mark.theorem("discrete.absorbing_posterior")
def test_absorbing_posterior(device, dtype):
    _run("absorbing_posterior", device, dtype, _absorbing)


@pytest.mark.theorem("discrete.categorical_kl")
def test_categorical_kl(device, dtype):
    _run("categorical_kl", device, dtype)


@pytest.mark.theorem("discrete.elbo_decomposition")
def test_elbo_decomposition(device, dtype):
    _run("elbo_decomposition", device, dtype)


@pytest.mark.theorem("discrete.sequence_factorization")
def test_sequence_factorization(device, dtype):
    _run("sequence_factorization", device, dtype)


@pytest.mark.theorem("discrete.sequence_factorization")
def test_sequence_factorization_of_a_twelve_state_chain():
    """K = 12 with sequences up to m = 3 (1728 sequences per law): the enumerated joint chain is the
    oracle, and the property runs and passes rather than being refused."""
    g = torch.Generator().manual_seed(12)
    Qs = torch.rand(3, 12, 12, generator=g, dtype=torch.float64) + 0.05
    Qs /= Qs.sum(dim=1, keepdim=True)
    report = checks.verify(DiscreteDiffusion(Qs), properties=["sequence_factorization"], max_examples=scaled(5))
    assert report.passed == ["sequence_factorization"]


@pytest.mark.theorem("discrete.sequence_factorization")
def test_sequence_factorization_draws_only_sequences_the_oracle_can_enumerate():
    """K = 41: 41³ = 68921 sequences would pass MAX_SEQUENCE_STATES = 2^16, so sequences of at most
    m = 2 tokens are drawn and the property passes instead of the oracle's size guard firing."""
    K = 41
    Qs = torch.full((1, K, K), 0.5 / (K - 1), dtype=torch.float64)
    Qs[0].fill_diagonal_(0.5)
    assert (checks._longest_sequence(K), checks._longest_sequence(40), checks._longest_sequence(1)) == (2, 3, 64)
    report = checks.verify(DiscreteDiffusion(Qs), properties=["sequence_factorization"], max_examples=scaled(3))
    assert report.passed == ["sequence_factorization"]
    assert checks._chain_reason(checks.PROPERTIES[[p.name for p in checks.PROPERTIES].index("sequence_factorization")],
                            np.broadcast_to(np.zeros(()), (1, 2**16 + 1, 2**16 + 1)), "column") is not None


@pytest.mark.theorem("discrete.absorbing_loss")
def test_absorbing_loss(device, dtype):
    _run("absorbing_loss", device, dtype, _absorbing)


@pytest.mark.theorem("discrete.mask_rate")
def test_mask_rate(device, dtype):
    _run("mask_rate", device, dtype, _absorbing)


@pytest.mark.theorem("discrete.mdlm_sampling")
def test_mdlm_sampling(device, dtype):
    _run("mdlm_sampling", device, dtype, _absorbing, max_examples=scaled(5))


@pytest.mark.theorem(*DISCRETE_IDS)
@pytest.mark.parametrize("convention", ["column", "row"])
def test_verify_absorbing_reference_runs_every_property(convention):
    betas = torch.linspace(0.05, 0.5, 3, dtype=torch.float64)
    report = checks.verify(AbsorbingDiffusion(betas, 4, 1, convention),
                           conventions=Conventions(matrix_layout=convention), max_examples=scaled(4))
    assert report.passed == list(checks.PROPERTY_NAMES)
    assert report.conventions.matrix_layout == convention


# Planted bugs: (bug, chain kind, property whose check must catch it, theorem it must name).
PLANTED = [
    (bugs.TransitionReadsRow, "general", "transition", "discrete.transition"),
    (bugs.CumulativeWrongOrder, "general", "cumulative", "discrete.cumulative"),
    (bugs.StationaryOfTranspose, "absorbing", "stationary", "discrete.stationary"),
    (bugs.PosteriorWithQNotQT, "general", "posterior", "discrete.posterior"),
    (bugs.PosteriorNotRenormalized, "general", "posterior", "discrete.posterior"),
    (bugs.PosteriorNotRenormalized, "general", "elbo_decomposition", "discrete.elbo_decomposition"),
    (bugs.AbsorbingAlphaBarOffByOne, "absorbing", "absorbing_posterior", "discrete.absorbing_posterior"),
    (bugs.KLArgumentsSwapped, "general", "categorical_kl", "discrete.categorical_kl"),
    (bugs.SequencePosteriorJointNorm, "general", "sequence_factorization",
     "discrete.sequence_factorization"),
    (bugs.LossCountsUnmasked, "absorbing", "absorbing_loss", "discrete.absorbing_loss"),
    (bugs.MDLMWeightSign, "absorbing", "mask_rate", "discrete.mask_rate"),
    (bugs.MDLMWeightSwapped, "absorbing", "mask_rate", "discrete.mask_rate"),
    (bugs.MDLMKeepProbabilitySwapped, "absorbing", "mdlm_sampling", "discrete.mdlm_sampling"),
]


@pytest.mark.planted_bug(*DISCRETE_IDS)
@pytest.mark.parametrize(("bug", "kind", "prop", "theorem"), PLANTED,
                         ids=[f"{b.__name__}-{p}" for b, _, p, _ in PLANTED])
def test_planted_bug_is_caught(bug, kind, prop, theorem, dtype):
    """verify_over_chains on the bugged class raises a TheoremViolation naming the right theorem."""
    if issubclass(bug, AbsorbingDiffusion):
        def factory(c):
            return bug(torch.tensor(c.betas, dtype=dtype), c.K, c.mask, c.convention)
    else:
        def factory(c):
            return bug(torch.tensor(c.Qs, dtype=dtype), c.convention)
    if kind == "absorbing":
        strategy = checks.absorbing_chains(min_T=2)
    else:
        strategy = checks.chains(("general",), min_K=3, min_T=2, max_K=4, max_T=3)
    with pytest.raises(TheoremViolation) as info:
        checks.verify_over_chains(factory, dtype=dtype, properties=[prop], chain_strategy=strategy,
                                  shrink=False, max_examples=scaled(50))
    assert info.value.theorem == theorem
    assert info.value.slide == checks.SLIDES[theorem]


def test_every_property_has_a_planted_bug():
    assert {p for _, _, p, _ in PLANTED} == set(checks.PROPERTY_NAMES)
    claimed = {i for m in test_planted_bug_is_caught.pytestmark if m.name == "planted_bug" for i in m.args}
    assert claimed == {row[3] for row in PLANTED} == set(DISCRETE_IDS)


# --------------------------------------------------------------------------- bad input
def test_bad_matrix_is_refused_naming_argument_and_entries():
    Q = torch.tensor([[0.5, 0.2], [0.4, 0.8]], dtype=torch.float64)  # column 0 sums to 0.9
    with pytest.raises(ValueError, match=r"Qs: columns must sum to 1.*\[\(0,\)\]"):
        DiscreteDiffusion(Q)
    with pytest.raises(ValueError, match=r"Qs has negative entries at \[\(1, 0\)\]: \[-0\.2"):
        DiscreteDiffusion(torch.tensor([[1.2, 0.0], [-0.2, 1.0]], dtype=torch.float64))
    # a column-stochastic matrix is not row-stochastic
    with pytest.raises(ValueError, match="rows must sum to 1"):
        DiscreteDiffusion(torch.tensor([[0.5, 0.2], [0.5, 0.8]], dtype=torch.float64), convention="row")
    with pytest.raises(ValueError, match="convention"):
        DiscreteDiffusion(torch.eye(2, dtype=torch.float64), convention="rows")


def test_bad_mask_and_tokens_are_refused():
    betas = torch.tensor([0.1, 0.2], dtype=torch.float64)
    with pytest.raises(ValueError, match=r"mask must be a state in 0\.\.3.*got 4"):
        AbsorbingDiffusion(betas, 4, mask=4)
    with pytest.raises(ValueError, match="mask must be a state"):
        absorbing_matrices(betas, 3, -1)
    d = AbsorbingDiffusion(betas, 4)
    with pytest.raises(ValueError, match=r"x0 must hold tokens in 0\.\.3; entries \[\(1,\)\] are \[7\]"):
        d.q_probs(torch.tensor([0, 7]), 1)
    with pytest.raises(ValueError, match=r"x_t must hold tokens in 0\.\.3; entries \[\(0,\)\] are \[-1\]"):
        d.posterior(torch.tensor([-1]), torch.tensor([0]), 1)
    with pytest.raises(TypeError, match="integer tokens"):
        d.q_probs(torch.tensor([0.0]), 1)
    with pytest.raises(ValueError, match=r"t must lie in 1\.\.T"):
        d.posterior(torch.tensor([0]), torch.tensor([0]), 3)
    with pytest.raises(ValueError, match="lam_to < lam_from"):
        mdlm_step_probs(torch.tensor([[3]]), 0.2, 0.5, torch.full((1, 1, 4), 0.25, dtype=torch.float64), 3)


def test_outputs_follow_dtype_and_device(device, dtype):
    betas = torch.tensor([0.1, 0.3, 0.2], dtype=dtype, device=device)
    d = AbsorbingDiffusion(betas, 3)
    u = DiscreteDiffusion(uniform_matrices(betas, 3))
    x0 = torch.tensor([0, 1], device=device)
    xt = torch.tensor([2, 1], device=device)
    t = torch.tensor([1, 3], device=device)
    lp = torch.log_softmax(torch.zeros(2, 2, 3, dtype=dtype, device=device), -1)
    X = torch.tensor([[0, 1], [1, 0]], device=device)
    outs = [d.posterior(xt, x0, t), d.absorbing_posterior(xt, x0, t), d.q_probs(x0, t),
            d.cumulative(t), u.stationary(), d.absorbing_loss(X, X * 0 + 2, t, lp),
            u.q_sample(x0, t, torch.rand(2, dtype=dtype, device=device)).double()]
    for out in outs[:-1]:
        assert out.dtype == dtype and out.device.type == device.type
    assert outs[-1].device.type == device.type


def test_verify_general_chain_reports_not_applicable():
    """A general time-inhomogeneous chain has no common invariant law: stationary is reported, not run."""
    Qs = torch.tensor([[[0.9, 0.3], [0.1, 0.7]], [[0.2, 0.5], [0.8, 0.5]]], dtype=torch.float64)
    report = checks.verify(DiscreteDiffusion(Qs), max_examples=scaled(3))
    assert str(report.results["stationary"]).startswith("not applicable (needs kernels with one common")
    assert str(report.results["absorbing_posterior"]).startswith("not applicable")
    assert {"transition", "cumulative", "posterior", "categorical_kl", "elbo_decomposition",
            "sequence_factorization"} <= set(report.passed)
    with pytest.raises(TypeError, match="property 'stationary' needs kernels"):
        checks.verify(DiscreteDiffusion(Qs), properties=["stationary"])
    with pytest.raises(ValueError, match="unknown"):
        checks.verify(DiscreteDiffusion(Qs), properties=["no_such"])


def test_violation_message_names_theorem_slide_inputs_and_values():
    Qs = torch.tensor([[[0.9, 0.3, 0.0], [0.1, 0.5, 0.5], [0.0, 0.2, 0.5]]] * 2, dtype=torch.float64)
    with pytest.raises(TheoremViolation) as info:
        checks.verify(bugs.PosteriorWithQNotQT(Qs), properties=["posterior"])
    text = str(info.value)
    assert text.startswith("[discrete.posterior]")
    assert '000 L13 "Posterior of the Forward Process"' in text
    assert "input t =" in text and "expected:" in text and "observed:" in text


@pytest.mark.theorem("discrete.sequence_factorization")
@pytest.mark.parametrize("convention", ["column", "row"])
def test_q_sample_draws_the_enumerated_joint_law(convention):
    """Forward sampling of sequences (inverse CDF per position) has the joint chain's law
    (chi-square at the declared false-failure rate)."""
    import numpy as np

    from dgmcheck.theory import discrete as th

    Q = np.array([[0.6, 0.1, 0.3], [0.3, 0.7, 0.2], [0.1, 0.2, 0.5]])
    Qs = np.stack([Q, Q.T / Q.T.sum(0)])
    Qs = Qs if convention == "column" else np.swapaxes(Qs, 1, 2).copy()
    d = DiscreteDiffusion(torch.tensor(Qs), convention)
    n, X0 = 20000, (0, 2)
    g = torch.Generator().manual_seed(0)
    u = torch.rand(n, 2, generator=g, dtype=torch.float64)
    X = d.q_sample(torch.tensor([X0] * n), 2, u)
    counts: dict = {}
    for row in X.tolist():
        counts[tuple(row)] = counts.get(tuple(row), 0) + 1
    law = th.sequence_forward_law(Qs, 2, X0, convention)
    checks._law_test(counts, law, n, "discrete.sequence_factorization", "q_sample law", {})
