"""The one scaffold of every family's ``verify`` (``checks._verify.family_verify``) and the one base
of every drawn case (``checks.strategies.Case``)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import numpy as np
import pytest
import torch

import dgmcheck.checks as checks_pkg
from dgmcheck.checks import _verify
from dgmcheck.checks.flows import FlowCase
from dgmcheck.checks.strategies import Case

COMMON = [p.name for p in _verify.COMMON_PARAMETERS]


def _family_modules():
    for info in pkgutil.iter_modules(checks_pkg.__path__):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"dgmcheck.checks.{info.name}")


SCAFFOLDED = [m for m in _family_modules() if inspect.isfunction(getattr(m, "verify", None))
              and getattr(m.verify, "__wrapped__", None) is not None]


def test_families_share_the_scaffold():
    names = sorted(m.__name__.rsplit(".", 1)[-1] for m in SCAFFOLDED)
    assert len(names) >= 19, names
    assert {"ddpm", "flow_matching", "ode", "sde", "discrete"} <= set(names)


@pytest.mark.parametrize("module", SCAFFOLDED, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_verify_shows_its_own_then_the_common_parameters_and_its_docstring(module):
    fn = module.verify
    params = list(inspect.signature(fn).parameters.values())
    assert params[0].name == "candidate" and params[0].default is inspect.Parameter.empty
    assert [p.name for p in params[-len(COMMON):]] == COMMON
    assert all(p.kind is p.KEYWORD_ONLY for p in params[-len(COMMON):])
    defaults = {p.name: p.default for p in params}
    assert defaults["shrink"] is True and defaults["raise_on_failure"] is True
    assert all(defaults[n] is None for n in COMMON if n not in ("shrink", "raise_on_failure"))
    assert "run" not in defaults
    assert fn.__name__ == "verify" and fn.__module__ == module.__name__
    assert fn.__doc__ and fn.__doc__.lstrip().startswith("Run every")
    assert "run" not in fn.__annotations__ and set(fn.__annotations__) == {*defaults, "return"}


def test_family_parameters_keep_their_kind_and_default():
    from dgmcheck.checks import ddim, ddpm, edm, flow_matching, samplers

    spec = inspect.signature(flow_matching.verify).parameters["spec"]
    assert spec.kind is spec.POSITIONAL_OR_KEYWORD and spec.default is None
    assert inspect.signature(ddim.verify).parameters["eta"].default is None
    assert inspect.signature(edm.verify).parameters["data"].kind is inspect.Parameter.KEYWORD_ONLY
    assert {"data", "spec"} <= set(inspect.signature(samplers.verify).parameters)
    ddpm_params = inspect.signature(ddpm.verify).parameters
    assert [ddpm_params[n].default for n in ("min_dim", "max_dim", "max_batch")] == [1, 4, 6]


def test_verify_refuses_an_unknown_argument_before_anything_runs():
    from dgmcheck.checks import ode

    with pytest.raises(TypeError, match="unexpected keyword argument 'max_example'"):
        ode.verify(object(), max_example=3)
    with pytest.raises(TypeError, match="missing a required argument: 'candidate'"):
        ode.verify()


def test_a_body_must_not_redeclare_a_common_parameter():
    def body(run, candidate, *, shrink=False):  # pragma: no cover - never called
        raise AssertionError

    with pytest.raises(TypeError, match="none named like"):
        _verify.family_verify((), _verify.VerifyReport)(body)


def test_verify_resolves_the_common_arguments_into_run():
    seen = {}

    class Report(_verify.VerifyReport):
        concept = "ode"

    prop = _verify.Property("p", "ode.euler", lambda candidate, case: None)

    @_verify.family_verify((prop,), Report)
    def verify(run: _verify.Run, candidate, *, extra: int = 2) -> _verify.VerifyReport:
        """Run every property of the test family."""
        seen.update(run=run, extra=extra)
        from hypothesis import strategies as st

        return run.properties(lambda _p: st.just(1))

    class Candidate:
        dtype = torch.float32

    report = verify(Candidate(), extra=5, properties=["p"], max_examples=2, shrink=False)
    run = seen["run"]
    assert report.passed == ["p"] and isinstance(report, Report) and report.candidate == "Candidate"
    assert seen["extra"] == 5 and run.dtype is torch.float32 and run.device == "cpu"
    assert run.wanted == ["p"] and run.kw["max_examples"] == 2 and not run.conventions_given
    with pytest.raises(ValueError, match="properties must be among"):
        verify(Candidate(), properties=["q"])


def test_every_case_derives_from_the_one_base():
    cases = [obj for module in _family_modules() for name, obj in vars(module).items()
             if inspect.isclass(obj) and name.endswith("Case") and dataclasses.is_dataclass(obj)
             and obj.__module__ == module.__name__ and obj is not Case]
    assert len(cases) >= 21, [c.__name__ for c in cases]
    assert [c.__name__ for c in cases if not issubclass(c, Case)] == []
    for cls in cases:
        fields = {f.name: f for f in dataclasses.fields(cls)}
        assert all(fields[n].kw_only for n in ("dtype", "device", "extra")), cls.__name__
        assert "tensor" not in vars(cls) or cls.__name__ == "LawCase", cls.__name__


def test_case_fields_are_keyword_only_and_tensors_follow_dtype_and_device():
    x = np.array([[1.0, -2.0]])
    with pytest.raises(TypeError):
        FlowCase(x, torch.float32)  # dtype by position would have been read as a family field
    case = FlowCase(x, dtype=torch.float32, extra={"seed": 1})
    t = case.tensor(x, grad=True)
    assert t.dtype is torch.float32 and t.device.type == "cpu" and t.requires_grad and t.is_leaf
    assert not case.tensor(x).requires_grad
    assert FlowCase(x).tensor(x).dtype is torch.float64 and FlowCase(x).extra == {}
    assert dataclasses.replace(case, device="cpu").extra == {"seed": 1}


class _EpsLangevin:
    """A correct Langevin step in the ε = η/2 convention, said by the deprecated attribute."""

    convention = "eps"

    def langevin_step(self, score_fn, x, step, noise):
        return x + step * score_fn(x) + (2 * step) ** 0.5 * noise


@pytest.mark.theorem("discrete.transition", "langevin.stationary")
def test_deprecation_warnings_name_the_caller_of_verify():
    """Through the scaffold a deprecation still points at the line that called ``verify`` (shown by
    default only there)."""
    import warnings

    from dgmcheck.checks import discrete, langevin
    from dgmcheck.impl.discrete import DiscreteDiffusion

    Q = torch.tensor([[0.7, 0.3], [0.1, 0.9]], dtype=torch.float64)  # rows sum to 1: the row layout
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert discrete.verify(DiscreteDiffusion(torch.stack([Q, Q]), convention="row"), properties=["transition"],
                               max_examples=3).ok
        assert langevin.verify(_EpsLangevin(), properties=["stationary"], max_examples=3, shrink=False).ok
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(deprecations) == 2, [str(w.message) for w in caught]
    assert {w.filename for w in deprecations} == {__file__}
