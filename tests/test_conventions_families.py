"""One ``conventions`` argument for every family: a correct implementation written in another Langevin
step or CFG scale convention fails undeclared with a hint naming the key and passes declared; a bug
that no convention explains gets no hint; every family's ``verify`` refuses a key it does not honour
before anything runs; the deprecated candidate attribute ``convention`` still works, with a warning;
the CLI refuses an unhonoured key as a usage error."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import pkgutil
import types
import warnings

import pytest
import torch

import dgmcheck.checks as checks_pkg
from dgmcheck import cli
from dgmcheck.checks import discrete, guidance, langevin, schedules
from dgmcheck.checks.conventions import BUG_TWIN, CHOICES, Conventions, declared
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.impl import guidance as impl_guidance
from dgmcheck.impl.discrete import DiscreteDiffusion
from dgmcheck.impl.schedules import cosine_betas, linear_betas

N = 6  # examples per property: enough to fail a convention, a few seconds for the file


# ------------------------------------------------------------------------------- the candidates
class EpsLangevin:
    """The step as much code writes it, ``x + ε ∇log p + √(2ε) z`` (ε = η/2): correct, another convention."""

    def langevin_step(self, score_fn, x, step, noise):
        return x + step * score_fn(x) + math.sqrt(2 * step) * noise


class EpsLangevinNoSqrt:
    """The ε-step with the square root of the noise scale forgotten: ``x + ε ∇log p + 2ε z``."""

    def langevin_step(self, score_fn, x, step, noise):
        return x + step * score_fn(x) + 2 * step * noise


class EpsLangevinWithAttribute(EpsLangevin):
    convention = "eps"  # the old way of saying it


def _per_row(w, like):
    return w.view(-1, *([1] * (like.dim() - 1))) if torch.is_tensor(w) and w.dim() else w


class OnePlusWGuidance:
    """CFG as in Ho & Salimans' code, ``(1 + w) s_c - w s_u``, under the name ``cfg_score``."""

    def cfg_score(self, s_uncond, s_cond, w):
        w = _per_row(w, s_cond)
        return (1 + w) * s_cond - w * s_uncond

    def cfg_eps(self, eps_uncond, eps_cond, w):
        return self.cfg_score(eps_uncond, eps_cond, w)


class WeightOnTheWrongTerm:
    """CFG with w applied to the unconditional term: ``s_c + w (s_u - s_c)``."""

    def cfg_score(self, s_uncond, s_cond, w):
        w = _per_row(w, s_cond)
        return s_cond + w * (s_uncond - s_cond)


def _langevin(candidate, dtype, **kw):
    return langevin.verify(candidate, dtype=dtype, properties=["stationary"], max_examples=N, shrink=False,
                           raise_on_failure=False, **kw)


def _guidance(candidate, dtype, **kw):
    return guidance.verify(candidate, dtype=dtype, properties=["classifier_free"], max_examples=N, shrink=False,
                           raise_on_failure=False, **kw)


# ------------------------------------------------------------------------------- the two new keys
def test_new_keys_are_declared_like_the_others():
    assert CHOICES["langevin_step"] == ("eta", "eps") and CHOICES["guidance_scale"] == ("w", "one_plus_w")
    assert "off by a factor 2" in BUG_TWIN["langevin_step"] and "off by one" in BUG_TWIN["guidance_scale"]
    assert Conventions.parse("langevin_step=ε,guidance_scale=1+w") == Conventions(langevin_step="eps",
                                                                                 guidance_scale="one_plus_w")
    with pytest.raises(ValueError, match=r"conventions\.langevin_step must be one of \('eta', 'eps'\)"):
        Conventions(langevin_step="2eta")
    with pytest.raises(ValueError, match=r"conventions\.guidance_scale must be one of"):
        Conventions(guidance_scale="gamma")


@pytest.mark.theorem("langevin.stationary")
@pytest.mark.parametrize("declaration", [Conventions(langevin_step="eps"), "langevin_step=eps",
                                         {"langevin_step": "eps"}], ids=["object", "pairs", "mapping"])
def test_eps_step_passes_declared(declaration, dtype):
    report = _langevin(EpsLangevin(), dtype, conventions=declaration)
    assert report.passed == ["stationary"], report.summary()
    assert report.conventions == Conventions(langevin_step="eps")


@pytest.mark.theorem("langevin.stationary")
def test_eps_step_fails_undeclared_with_the_hint(dtype):
    report = _langevin(EpsLangevin(), dtype)
    assert report.failed == ["stationary"], report.summary()
    hint = report.results["stationary"].hint
    assert "langevin_step='eps'" in hint and "--conventions langevin_step=eps" in hint, hint
    assert "off by a factor 2" in hint and "decide" in hint
    # the other way round: the lecture's η-step declared as ε is a factor 2 too, and the hint says η
    back = _langevin(types.SimpleNamespace(langevin_step=lambda s, x, h, z: x + h / 2 * s(x) + math.sqrt(h) * z),
                     dtype, conventions="langevin_step=eps")
    assert back.failed == ["stationary"] and "langevin_step='eta'" in back.results["stationary"].hint


@pytest.mark.planted_bug("langevin.stationary")
@pytest.mark.parametrize("declaration", [None, "langevin_step=eps"], ids=["undeclared", "declared"])
def test_missing_square_root_gets_no_hint(declaration, dtype):
    report = _langevin(EpsLangevinNoSqrt(), dtype, conventions=declaration)
    assert report.failed == ["stationary"], report.summary()
    assert report.results["stationary"].violation.theorem == "langevin.stationary"
    assert report.results["stationary"].hint == ""


@pytest.mark.theorem("langevin.stationary")
def test_langevin_attribute_is_deprecated_but_honoured():
    with pytest.warns(DeprecationWarning, match=r"conventions=Conventions\(langevin_step='eps'\)"):
        report = _langevin(EpsLangevinWithAttribute(), torch.float64)
    assert report.passed == ["stationary"], report.summary()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # declared and agreeing: no warning
        assert _langevin(EpsLangevinWithAttribute(), torch.float64, conventions="langevin_step=eps").ok
    with pytest.raises(ValueError, match=r"langevin_step='eta' contradicts candidate\.convention='eps'"):
        langevin.verify(EpsLangevinWithAttribute(), conventions=Conventions())


@pytest.mark.theorem("guidance.classifier_free")
def test_one_plus_w_named_cfg_score_passes_declared(dtype):
    report = _guidance(OnePlusWGuidance(), dtype, conventions=Conventions(guidance_scale="one_plus_w"))
    assert report.passed == ["classifier_free"], report.summary()
    assert report.conventions.guidance_scale == "one_plus_w"


@pytest.mark.theorem("guidance.classifier_free")
def test_one_plus_w_named_cfg_score_fails_undeclared_with_the_hint(dtype):
    report = _guidance(OnePlusWGuidance(), dtype)
    assert report.failed == ["classifier_free"], report.summary()
    hint = report.results["classifier_free"].hint
    assert "guidance_scale='one_plus_w'" in hint and "off by one" in hint, hint


@pytest.mark.theorem("guidance.classifier_free")
def test_the_old_method_and_argument_keep_working_under_either_declaration(dtype):
    """``cfg_score_one_plus_w`` is always ``(1 + w)``; a ``cfg_eps`` with a ``convention`` argument is
    called with each scale; the reference module is the lecture's ``w`` (declared otherwise: a hint)."""
    assert _guidance(impl_guidance, dtype).passed == ["classifier_free"]
    both = types.SimpleNamespace(cfg_score=impl_guidance.cfg_score_one_plus_w,
                                 cfg_score_one_plus_w=impl_guidance.cfg_score_one_plus_w,
                                 cfg_eps=impl_guidance.cfg_eps)
    report = _guidance(both, dtype, conventions="guidance_scale=one_plus_w")
    assert report.passed == ["classifier_free"], report.summary()
    wrong = _guidance(impl_guidance, dtype, conventions="guidance_scale=one_plus_w")
    assert wrong.failed == ["classifier_free"] and "guidance_scale='w'" in wrong.results["classifier_free"].hint


@pytest.mark.planted_bug("guidance.classifier_free")
@pytest.mark.parametrize("declaration", [None, "guidance_scale=one_plus_w"], ids=["undeclared", "declared"])
def test_weight_on_the_wrong_term_gets_no_hint(declaration, dtype):
    report = _guidance(WeightOnTheWrongTerm(), dtype, conventions=declaration)
    assert report.failed == ["classifier_free"], report.summary()
    assert report.results["classifier_free"].hint == ""


# ------------------------------------------------------------------------------- discrete layout
def _row_chain():
    Q = torch.tensor([[0.7, 0.3], [0.1, 0.9]], dtype=torch.float64)  # rows sum to 1, columns do not
    return torch.stack([Q, Q])


@pytest.mark.theorem("discrete.transition")
def test_matrix_layout_attribute_is_deprecated_but_honoured():
    row = DiscreteDiffusion(_row_chain(), convention="row")
    with pytest.warns(DeprecationWarning, match=r"conventions=Conventions\(matrix_layout='row'\)"):
        report = discrete.verify(row, properties=["transition"], max_examples=N)
    assert report.passed == ["transition"] and report.conventions.matrix_layout == "row"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # declared and agreeing, or the default column layout: no warning
        assert discrete.verify(row, conventions="matrix_layout=row", properties=["transition"], max_examples=N).ok
        column = DiscreteDiffusion(_row_chain().transpose(-1, -2).contiguous())
        assert discrete.verify(column, properties=["transition"], max_examples=N).ok
    with pytest.raises(ValueError, match=r"matrix_layout='column' contradicts candidate\.convention='row'"):
        discrete.verify(row, conventions=Conventions(), properties=["transition"])


class RowKernels:
    """A user's chain class: its ``Qs`` in the chain's layout, no ``convention`` attribute."""

    def __init__(self, chain):
        self._ref = DiscreteDiffusion(torch.tensor(chain.Qs), chain.convention)
        self.Qs = self._ref.Qs

    def q_step_probs(self, x_prev, t):
        return self._ref.q_step_probs(x_prev, t)


@pytest.mark.theorem("discrete.transition")
def test_verify_over_chains_holds_each_candidate_to_its_chain_or_the_declared_layout():
    seen = []

    def factory(chain):
        seen.append(chain.convention)
        return RowKernels(chain)

    report = discrete.verify_over_chains(factory, conventions="matrix_layout=row", properties=["transition"],
                                         max_examples=N)
    assert report.passed == ["transition"] and report.conventions.matrix_layout == "row"
    assert set(seen) == {"row"}
    seen.clear()  # a strategy of column chains, declared row: the same chains transposed
    column_only = discrete.chains(("general",), ("column",), max_K=3, max_T=2)
    assert discrete.verify_over_chains(factory, conventions="matrix_layout=row", chain_strategy=column_only,
                                       properties=["transition"], max_examples=N).ok
    assert set(seen) == {"row"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert discrete.verify_over_chains(factory, properties=["transition"], max_examples=N).ok


# ------------------------------------------------------------------------------- every family
def _public_verifies():
    out = []
    for info in pkgutil.iter_modules(checks_pkg.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"dgmcheck.checks.{info.name}")
        for name, fn in vars(module).items():
            if (name == "verify" or name.startswith("verify_")) and inspect.isfunction(fn) \
                    and fn.__module__ == module.__name__:
                out.append((module, fn))
    return out


VERIFIES = _public_verifies()
VERIFY_IDS = [f"{m.__name__.rsplit('.', 1)[-1]}.{fn.__name__}" for m, fn in VERIFIES]
#: Declarations away from the default, one of which each family does not honour.
FOREIGN = (("log_base", "2"), ("langevin_step", "eps"), ("guidance_scale", "one_plus_w"))


def test_every_public_verify_takes_conventions():
    assert len(VERIFIES) >= 20, VERIFY_IDS
    lacking = [i for (_, fn), i in zip(VERIFIES, VERIFY_IDS, strict=True)
               if "conventions" not in inspect.signature(fn).parameters
               or inspect.signature(fn).parameters["conventions"].default is not None]
    assert not lacking, lacking
    for module, _ in VERIFIES:
        honours = module.CONVENTIONS_HONOURED
        assert set(honours) <= {f.name for f in dataclasses.fields(Conventions)}, (module.__name__, honours)
    honoured = {m.__name__.rsplit(".", 1)[-1]: m.CONVENTIONS_HONOURED for m, fn in VERIFIES if fn.__name__ == "verify"}
    assert honoured["langevin"] == ("langevin_step",) and honoured["guidance"] == ("guidance_scale",)
    assert honoured["discrete"] == ("matrix_layout",) and honoured["parametrization"] == ()


@pytest.mark.parametrize(("module", "fn"), VERIFIES, ids=VERIFY_IDS)
def test_every_verify_refuses_a_key_it_does_not_honour_before_anything_runs(module, fn):
    key, value = next((k, v) for k, v in FOREIGN if k not in module.CONVENTIONS_HONOURED)
    params = inspect.signature(fn).parameters.values()
    # any candidate at all: the declaration is refused before the candidate is looked at
    args = [object()] if any(p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD for p in params) else []
    with pytest.raises(ValueError, match=rf"conventions\.{key}='{value}' has no meaning for the .* it honours: "):
        fn(*args, conventions=f"{key}={value}")


def test_declared_names_key_family_and_what_it_honours():
    with pytest.raises(ValueError, match=r"^conventions\.log_base='2' has no meaning for the flow_matching "
                                         r"family; it honours: \(none\)$"):
        declared("log_base=2", "flow_matching", ())
    with pytest.raises(ValueError, match=r"conventions\.steps='zero_based', conventions\.log_base='2' have no "
                                         r"meaning for the ddim family; it honours: clip_x0"):
        declared({"steps": "zero_based", "log_base": "bits"}, "ddim", ("clip_x0",))
    assert declared(None, "vq", ()) == Conventions()
    assert declared("guidance_scale=one_plus_w", "guidance", ("guidance_scale",)).guidance_scale == "one_plus_w"
    with pytest.raises(ValueError, match="honours must name keys"):
        declared(None, "vq", ("no_such_key",))


@pytest.mark.theorem("schedules.linear", "schedules.cosine")
def test_a_family_that_honours_nothing_passes_the_defaults_and_records_them():
    report = schedules.verify(linear_betas, cosine_betas, conventions=Conventions(), max_examples=scaled(2))
    assert report.passed == ["linear", "cosine"] and report.conventions == Conventions()
    assert report.to_dict()["conventions"]["guidance_scale"] == "w"


# ------------------------------------------------------------------------------- the CLI
def test_cli_refuses_an_unhonoured_key_as_a_usage_error(capsys):
    code = cli.main(["verify", "dgmcheck.impl.langevin:reference_candidate", "--concept", "langevin",
                     "--conventions", "log_base=2"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert ("--conventions: conventions.log_base='2' has no meaning for the langevin family; "
            "it honours: langevin_step") in err


@pytest.mark.theorem("langevin.stationary")
def test_cli_passes_the_declaration_to_the_family(capsys):
    argv = ["verify", f"{__name__}:EpsLangevin", "--concept", "langevin", "--properties", "stationary",
            "--max-examples", str(N)]
    assert cli.main([*argv, "--conventions", "langevin_step=eps"]) == cli.EXIT_OK, capsys.readouterr()
    capsys.readouterr()
    assert cli.main(argv) == cli.EXIT_FAILED
    assert "langevin_step='eps'" in capsys.readouterr().out


def test_bug_caught_through_verify_raises_with_the_report():
    with pytest.raises(TheoremViolation) as info:
        langevin.verify(EpsLangevinNoSqrt(), properties=["stationary"], max_examples=N, shrink=False)
    assert info.value.theorem == "langevin.stationary" and info.value.report.conventions == Conventions()
