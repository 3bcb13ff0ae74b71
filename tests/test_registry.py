"""Self-tests of the theorem registry and of how coverage is measured.

Coverage comes from pytest's own collection: the plugin (``--dgm-coverage``) writes the
``theorem`` / ``planted_bug`` markers of every collected test. Here it is proven on a tricky test
module collected in process (pytester), and this session's own collection (the plugin keeps it) is
held to the registry: every claimed id registered, and, when the whole suite was collected, every
check with a planted-bug test.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from dgmcheck import registry
from dgmcheck.pytest_plugin import collected_markers
from dgmcheck.registry import (
    COVERAGE_KEYS,
    ORACLE_KINDS,
    Source,
    TestClaims,
    Theorem,
    claims_from_markers,
    coverage,
    read_coverage_report,
    resolve,
    status_of,
    strip_parametrization,
    validate,
)
from dgmcheck.theorems import BY_ID, FAMILIES, THEOREMS

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[1]
#: The lectures' theorem inventory, when present: ``DGMCHECK_THEOREMS`` or THEOREMS.md beside the
#: lecture folder of ``DGMCHECK_SEEDS``.
_SEEDS_ENV = os.environ.get("DGMCHECK_SEEDS")
THEOREMS_MD = Path(os.environ.get("DGMCHECK_THEOREMS")
                   or (Path(_SEEDS_ENV).parent / "THEOREMS.md" if _SEEDS_ENV else REPO / "THEOREMS.md"))

#: Frozen copy of the inventory's size: the 104 ids of the lectures' inventory, then the samplers
#: people run (ddim, parametrization, edm).
LECTURE_COUNT = 104
EXPECTED_COUNT = len(THEOREMS)

DDPM_SLICE = (
    "ddpm.forward_marginal",
    "ddpm.stationary",
    "ddpm.forward_as_langevin",
    "ddpm.posterior",
    "ddpm.elbo_decomposition",
    "ddpm.kl_same_variance",
    "ddpm.optimal_variance",
    "ddpm.eps_mean",
    "ddpm.loss_weight",
    "ddpm.simple_loss",
    "ddpm.ancestral_sampling",
    "ddpm.score_reparametrization",
    "ddpm.sampling_in_score_form",
    "ddpm.elbo_equals_dsm",
    "schedules.linear",
    "schedules.cosine",
)


# ---------------------------------------------------------------------------------------------
# Inventory
# ---------------------------------------------------------------------------------------------


def parse_inventory(text: str) -> list[str]:
    """Theorem ids of THEOREMS.md: list items, comma separated, parenthesized remarks dropped
    (remarks nest, e.g. ``(mean and variance of q(x_{t-1} | x_t, x_0))``)."""
    ids: list[str] = []
    for line in text.splitlines():
        if not line.startswith("- "):
            continue
        depth, kept = 0, []
        for char in line[2:]:
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            elif depth == 0:
                kept.append(char)
        for part in "".join(kept).split(","):
            part = part.strip()
            assert re.fullmatch(r"[a-z_]+\.[a-z0-9_]+", part), f"unparsed item {part!r} in {line!r}"
            ids.append(part)
    return ids


def test_inventory_parser_handles_nested_remarks() -> None:
    text = (
        "## Section\n"
        "- a.one (x, y), a.two\n"
        "- b.post (mean of q(x | y, z)), b.other (see (1), (2)), c.last\n"
        "prose, not.an_item\n"
    )
    assert parse_inventory(text) == ["a.one", "a.two", "b.post", "b.other", "c.last"]


def test_registry_size_is_frozen() -> None:
    ids = [t.id for t in THEOREMS]
    assert len(ids) >= LECTURE_COUNT
    assert len(set(ids)) == len(ids)
    assert set(BY_ID) == set(ids)


@pytest.mark.skipif(not THEOREMS_MD.is_file(), reason=f"{THEOREMS_MD} not present")
def test_every_inventory_id_is_registered_exactly_once() -> None:
    inventory = parse_inventory(THEOREMS_MD.read_text(encoding="utf-8"))
    registered = [t.id for t in THEOREMS]
    assert len(inventory) == len(set(inventory)) == LECTURE_COUNT
    assert set(inventory) <= set(registered)
    rest = iter(registered)
    assert all(i in rest for i in inventory), "registry order should follow THEOREMS.md"


def test_records_are_well_formed() -> None:
    for theorem in THEOREMS:
        assert theorem.family == registry.family_of(theorem.id)
        assert theorem.title.strip()
        assert theorem.family in FAMILIES
    for theorem_id in DDPM_SLICE:
        assert BY_ID[theorem_id].sources, f"{theorem_id} cites no slide"
        assert BY_ID[theorem_id].statement, f"{theorem_id} has no statement"
    assert BY_ID["ddpm.posterior"].sources[0] == Source(
        "000", "L8", "Conditioned Reverse Distribution"
    )
    assert all(s.seed == "001" and s.lecture == "" for s in BY_ID["schedules.cosine"].sources)


def _headings_by_lecture(path: Path) -> dict[str, set[str]]:
    """Heading titles of a seed file per lecture ("" = the whole file), emphasis dropped."""
    sections: dict[str, set[str]] = {"": set()}
    current: set[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^#+\s*(.*?)\s*$", line)
        if not match:
            continue
        title = match.group(1).replace("**", "").strip()
        lecture = re.fullmatch(r"Lecture (\d+)", title)
        if lecture:
            current = sections.setdefault(f"L{lecture.group(1)}", set())
            continue
        sections[""].add(title)
        if current is not None:
            current.add(title)
    return sections


def test_sources_cite_real_slides(seeds: Path) -> None:
    seed_files = {p.name[:3]: p for p in seeds.glob("[0-9][0-9][0-9]_*.txt")}
    cache: dict[str, dict[str, set[str]]] = {}
    for theorem in THEOREMS:
        for source in theorem.sources:
            assert source.seed in seed_files, f"{theorem.id}: no seed file {source.seed}"
            if source.seed not in cache:
                cache[source.seed] = _headings_by_lecture(seed_files[source.seed])
            headings = cache[source.seed].get(source.lecture)
            assert headings is not None, f"{theorem.id}: seed {source.seed} has no {source.lecture}"
            assert source.slide in headings, f"{theorem.id}: no slide {source} in its lecture"


def _whole_suite(config: pytest.Config) -> bool:
    """Whether this session collected the whole ``tests`` folder (deselection does not matter: the
    plugin keeps the items from before it)."""
    tests = REPO / "tests"
    roots = [Path(a.split("::")[0]).resolve() for a in config.args] or [Path.cwd().resolve()]
    return all(tests == r or tests.is_relative_to(r) for r in roots) and not any("::" in a for a in config.args)


def test_validate_reports_no_problems(request: pytest.FixtureRequest) -> None:
    """References resolve, records are complete; with the whole suite collected, also every check
    has a planted-bug test and every claimed id is registered."""
    claims = claims_from_markers(collected_markers(request.config)) if _whole_suite(request.config) else None
    assert validate(THEOREMS, claims) == []


def test_every_marker_id_this_session_collected_is_registered(request: pytest.FixtureRequest) -> None:
    markers = collected_markers(request.config)
    assert "tests/test_registry.py::test_every_marker_id_this_session_collected_is_registered" in markers
    unknown = sorted((theorem_id, nodeid) for nodeid, marks in markers.items()
                     for kind in ("theorem", "planted_bug") for theorem_id in marks[kind] if theorem_id not in BY_ID)
    assert not unknown, f"tests claim unregistered theorem ids: {unknown}"


def test_the_gate_keeps_a_test_and_a_planted_bug_of_every_theorem(request: pytest.FixtureRequest) -> None:
    """The slow tier only repeats and extends: every theorem id that a test or a planted-bug test
    carries is carried by one the gate runs too (not ``slow``, float64 twins included)."""
    from tests.conftest import GATE_MARKS

    if not _whole_suite(request.config):
        pytest.skip("reads the markers of the whole suite: run it with the suite collected")
    assert len(GATE_MARKS["theorem"]) >= len(BY_ID) // 2, GATE_MARKS  # the record was filled
    only_slow = {kind: sorted(i for i, gate in ids.items() if not gate) for kind, ids in GATE_MARKS.items()}
    assert only_slow == {"theorem": [], "planted_bug": []}, f"carried by slow tests only: {only_slow}"


# ---------------------------------------------------------------------------------------------
# Data model, resolve, status, validate (with fakes)
# ---------------------------------------------------------------------------------------------


def test_source_str_is_the_citation_form() -> None:
    assert str(Source("000", "L8", "Conditioned Reverse Distribution")) == (
        '000 L8 "Conditioned Reverse Distribution"'
    )
    assert str(Source("001", "", "Denoising diffusion probabilistic models")) == (
        '001 "Denoising diffusion probabilistic models"'
    )


def test_theorem_stores_sequences_as_tuples() -> None:
    theorem = Theorem(
        "x.y", "t", "x", sources=[Source("000", "L1", "s")], oracle="symbolic", oracle_refs=["a:b"]
    )
    assert theorem.sources == (Source("000", "L1", "s"),)
    assert theorem.oracle == ("symbolic",)
    assert theorem.oracle_refs == ("a:b",)
    hash(theorem)


def test_resolve_imports_dotted_attribute_paths() -> None:
    assert resolve("dgmcheck.registry:Source") is Source
    assert resolve("dgmcheck.registry:Source.__str__") is Source.__str__
    assert resolve("os.path:join") is os.path.join


@pytest.mark.parametrize(
    ("ref", "fragment"),
    [
        ("no_colon_here", "expected 'package.module:attr.path'"),
        ("dgmcheck_no_such_module_xyz:thing", "'dgmcheck_no_such_module_xyz' cannot be imported"),
        ("dgmcheck.registry:NoSuchThing", "has no attribute 'NoSuchThing'"),
        ("dgmcheck.registry:Source.nope", "'dgmcheck.registry:Source' has no attribute 'nope'"),
    ],
)
def test_resolve_raises_lookup_error_naming_the_problem(ref: str, fragment: str) -> None:
    with pytest.raises(LookupError, match=re.escape(fragment)):
        resolve(ref)


_SLIDE = (Source("000", "L8", "Conditioned Reverse Distribution"),)
_CHECK = "dgmcheck.registry:status_of"  # any importable callable stands in for a check
_ORACLE = "dgmcheck.registry:coverage"


def _fake(**changes: Any) -> Theorem:
    fields: dict[str, Any] = {
        "id": "fake.thm",
        "title": "Fake",
        "family": "fake",
        "sources": _SLIDE,
        "statement": "1 = 1",
        "oracle": ("closed_form",),
        "oracle_refs": (_ORACLE,),
        "check": _CHECK,
    }
    fields.update(changes)
    return Theorem(**fields)


_FULL_CLAIMS = TestClaims(
    tests=("tests/t.py::test_a", "tests/t.py::test_bug"),
    planted_bug_tests=("tests/t.py::test_bug",),
)


def test_status_covered_with_all_four_pieces() -> None:
    assert status_of(_fake(), _FULL_CLAIMS) == "covered"


@pytest.mark.parametrize(
    ("theorem", "claims"),
    [
        pytest.param(_fake(oracle=()), _FULL_CLAIMS, id="no-oracle"),
        pytest.param(_fake(check=None), _FULL_CLAIMS, id="no-check"),
        pytest.param(_fake(), TestClaims(), id="no-tests"),
        pytest.param(_fake(), TestClaims(tests=("tests/t.py::test_a",)), id="no-planted-bug"),
        pytest.param(_fake(), None, id="no-claims"),
    ],
)
def test_status_todo_when_a_piece_is_missing(theorem: Theorem, claims: TestClaims | None) -> None:
    assert status_of(theorem, claims) == "todo"
    row = coverage([theorem], claims={} if claims is None else {theorem.id: claims})[0]
    assert row["status"] == "todo"


def test_coverage_rows_have_the_stable_keys() -> None:
    row = coverage([_fake()], claims={"fake.thm": _FULL_CLAIMS})[0]
    assert tuple(row) == COVERAGE_KEYS
    assert row["sources"] == ['000 L8 "Conditioned Reverse Distribution"']
    assert row["oracle"] == ["closed_form"]
    assert row["tests"] == list(_FULL_CLAIMS.tests)
    assert row["planted_bug_tests"] == ["tests/t.py::test_bug"]
    assert row["planted_bug"] is True
    assert row["status"] == "covered"
    json.dumps(row)


def test_coverage_without_claims_has_empty_lists() -> None:
    rows = coverage(THEOREMS)
    assert len(rows) == len(THEOREMS)
    assert all(r["tests"] == [] and r["status"] == "todo" for r in rows)


def test_validate_accepts_a_complete_fake() -> None:
    assert validate([_fake()], {"fake.thm": _FULL_CLAIMS}) == []


def test_validate_flags_a_check_without_planted_bug_test() -> None:
    claims = {"fake.thm": TestClaims(tests=("tests/t.py::test_a",))}
    problems = validate([_fake()], claims)
    assert any("fake.thm" in p and "planted-bug" in p for p in problems), problems


@pytest.mark.parametrize(
    ("theorems", "claims", "fragment"),
    [
        pytest.param([_fake(), _fake()], {"fake.thm": _FULL_CLAIMS}, "duplicate id", id="dup"),
        pytest.param([_fake(oracle=("guesswork",))], {"fake.thm": _FULL_CLAIMS},
                     "unknown oracle kind 'guesswork'", id="oracle-kind"),
        pytest.param([_fake(check="dgmcheck.registry:no_such_check")],
                     {"fake.thm": _FULL_CLAIMS}, "no attribute 'no_such_check'", id="bad-check"),
        pytest.param([_fake(impl="dgmcheck_no_such_pkg.x:Y")], {"fake.thm": _FULL_CLAIMS},
                     "cannot be imported", id="bad-impl"),
        pytest.param([_fake(oracle_refs=("dgmcheck.registry:nope",))],
                     {"fake.thm": _FULL_CLAIMS}, "no attribute 'nope'", id="bad-oracle-ref"),
        pytest.param([_fake(check="dgmcheck.registry:ORACLE_KINDS")], {"fake.thm": _FULL_CLAIMS},
                     "not callable", id="check-not-callable"),
        pytest.param([_fake(oracle=())], {"fake.thm": _FULL_CLAIMS}, "no oracle kind",
                     id="covered-looking-no-oracle"),
        pytest.param([_fake(oracle_refs=())], {"fake.thm": _FULL_CLAIMS}, "no oracle_refs",
                     id="no-oracle-refs"),
        pytest.param([_fake(sources=())], {"fake.thm": _FULL_CLAIMS}, "no lecture source",
                     id="no-source"),
        pytest.param([_fake(statement="")], {"fake.thm": _FULL_CLAIMS}, "no statement",
                     id="no-statement"),
        pytest.param([_fake(family="other")], {"fake.thm": _FULL_CLAIMS}, "not the id's family",
                     id="family"),
        pytest.param([_fake(id="Bad-Id", family="Bad-Id")], {}, "malformed id", id="id"),
        pytest.param([_fake(sources=(Source("0", "8", ""),))], {"fake.thm": _FULL_CLAIMS},
                     "3-digit", id="source"),
        pytest.param([_fake()], {"fake.thm": _FULL_CLAIMS,
                                 "ghost.thm": TestClaims(tests=("tests/t.py::test_g",))},
                     "claimed by tests but not registered", id="unregistered-claim"),
    ],
)  # fmt: skip
def test_validate_reports_problems(
    theorems: list[Theorem], claims: dict[str, TestClaims], fragment: str
) -> None:
    problems = validate(theorems, claims)
    assert any(fragment in p for p in problems), problems


def test_validate_never_raises_on_garbage_refs() -> None:
    problems = validate([_fake(check="not a ref", impl=":")], {"fake.thm": _FULL_CLAIMS})
    assert any("check 'not a ref'" in p for p in problems), problems
    assert any("impl ':'" in p for p in problems), problems


def test_oracle_kinds_are_the_documented_five() -> None:
    assert ORACLE_KINDS == ("symbolic", "closed_form", "enumeration", "quadrature", "monte_carlo")


# ---------------------------------------------------------------------------------------------
# Coverage measured by pytest: the plugin's report
# ---------------------------------------------------------------------------------------------


def test_strip_parametrization() -> None:
    assert strip_parametrization("tests/t.py::test_x[cpu-float32]") == "tests/t.py::test_x"
    assert strip_parametrization("tests/t.py::T::test_x[a::b]") == "tests/t.py::T::test_x"
    assert strip_parametrization("tests/t.py::test_x") == "tests/t.py::test_x"


def test_claims_from_markers_counts_planted_bugs_as_tests() -> None:
    claims = claims_from_markers(
        {"t.py::test_a": {"theorem": ["x.y"], "planted_bug": []},
         "t.py::test_b": {"theorem": [], "planted_bug": ["x.y", "z.w"]}}
    )  # fmt: skip
    assert claims["x.y"] == TestClaims(("t.py::test_a", "t.py::test_b"), ("t.py::test_b",))
    assert claims["z.w"] == TestClaims(("t.py::test_b",), ("t.py::test_b",))


_TRICKY = """
import pytest
from pytest import mark

pytestmark = [pytest.mark.theorem("mod.a"), pytest.mark.slow]

POSTERIOR = pytest.mark.theorem("alias.b")
theorem = pytest.mark.theorem
IDS = ("tuple.c", "tuple.d")
COMPUTED = [f"computed.{n}" for n in ("a", "b")]


def test_plain():
    pass


@pytest.mark.theorem("f.a", "f.b")
def test_multi():
    pass


@mark.planted_bug("p.a")
def test_from_import():
    pass


@POSTERIOR
def test_alias():
    pass


@theorem("alias2.c")
def test_alias_call():
    pass


@pytest.mark.theorem(*IDS)
def test_starred():
    pass


@pytest.mark.planted_bug(*COMPUTED)
def test_computed():
    pass


@pytest.mark.theorem(["list.a", "list.b"])
def test_list_arg():
    pass


@pytest.mark.parametrize("x", [1, pytest.param(2, marks=pytest.mark.theorem("param.a"))])
def test_param(x):
    pass


@pytest.mark.theorem("cls.a")
class TestDecorated:
    pytestmark = pytest.mark.planted_bug("cls.b")

    def test_m(self):
        pass

    @pytest.mark.theorem("meth.a")
    def test_n(self):
        pass

    def helper(self):
        pass

    class TestInner:
        @pytest.mark.planted_bug("inner.a")
        def test_inner(self):
            pass


class _Base:
    pytestmark = [pytest.mark.theorem("base.a")]

    def test_inherited(self):
        pass


class TestChild(_Base):
    def test_own(self):
        pass


class TestWithInit:
    def __init__(self):
        pass

    @pytest.mark.theorem("never.a")
    def test_x(self):
        pass


class TestNotCollected:
    __test__ = False

    @pytest.mark.theorem("never.b")
    def test_y(self):
        pass


def test_redefined():
    pass


@pytest.mark.theorem("redef.a")
def test_redefined():  # noqa: F811
    pass
"""




@pytest.mark.slow  # a pytest run of its own: the slow tier
@pytest.mark.filterwarnings("ignore")
def test_plugin_report_holds_what_pytest_collected(pytester: pytest.Pytester) -> None:
    """``--dgm-coverage``: pytest's own reading of marks (module, class and inherited ``pytestmark``,
    aliases, starred and computed arguments, ``pytest.param(marks=...)``), before ``-k``
    deselection, with the file that failed to collect named; no report without the option."""
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_tricky=_TRICKY)
    sub = pytester.mkpydir("sub")
    (sub / "test_single.py").write_text(textwrap.dedent("""
        import pytest

        pytestmark = pytest.mark.theorem("single.a")


        class TestS:
            @pytest.mark.planted_bug("single.b")
            def test_s(self):
                pass
        """), encoding="utf-8")
    (pytester.path / "test_broken.py").write_text("def test_x(:\n    pass\n", encoding="utf-8")
    pytester.runpytest_inprocess("--collect-only", "-q", "-p", "no:cacheprovider")
    assert not (pytester.path / ".dgmcheck").exists()  # a foreign run writes nothing
    pytester.runpytest_inprocess("--collect-only", "-q", "-p", "no:cacheprovider", "-k", "nothing",
                                 "--dgm-coverage")
    data = read_coverage_report(pytester.path / ".dgmcheck" / "coverage.json")
    assert data["errors"] == ["test_broken.py"]
    items = data["items"]
    assert items["test_tricky.py::test_plain"] == {"theorem": ["mod.a"], "planted_bug": []}
    assert items["test_tricky.py::test_multi"]["theorem"] == ["f.a", "f.b", "mod.a"]
    assert items["test_tricky.py::test_from_import"]["planted_bug"] == ["p.a"]
    assert items["test_tricky.py::test_alias"]["theorem"] == ["alias.b", "mod.a"]
    assert items["test_tricky.py::test_starred"]["theorem"] == ["mod.a", "tuple.c", "tuple.d"]
    assert items["test_tricky.py::test_computed"]["planted_bug"] == ["computed.a", "computed.b"]
    assert items["test_tricky.py::test_list_arg"]["theorem"] == ["list.a", "list.b", "mod.a"]
    assert items["test_tricky.py::test_param"]["theorem"] == ["mod.a", "param.a"]
    assert items["test_tricky.py::TestDecorated::test_n"] == {"theorem": ["cls.a", "meth.a", "mod.a"],
                                                             "planted_bug": ["cls.b"]}
    assert items["test_tricky.py::TestDecorated::TestInner::test_inner"]["planted_bug"] == ["cls.b", "inner.a"]
    assert items["test_tricky.py::TestChild::test_inherited"]["theorem"] == ["base.a", "mod.a"]
    assert items["test_tricky.py::test_redefined"]["theorem"] == ["mod.a", "redef.a"]
    assert items["sub/test_single.py::TestS::test_s"] == {"theorem": ["single.a"], "planted_bug": ["single.b"]}
    assert not any("TestWithInit" in n or "TestNotCollected" in n for n in items)


def test_read_coverage_report_refuses_other_files(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(json.dumps({"items": {}}), encoding="utf-8")
    with pytest.raises(ValueError, match="not a dgmcheck coverage report"):
        read_coverage_report(tmp_path / "x.json")
    with pytest.raises(ValueError, match="not a readable coverage report"):
        read_coverage_report(tmp_path / "absent.json")


def test_find_coverage_report_looks_upwards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "repo_root", lambda: tmp_path / "no-repo")
    assert registry.find_coverage_report(tmp_path) is None
    report = tmp_path / registry.COVERAGE_REPORT
    report.parent.mkdir()
    report.write_text("{}", encoding="utf-8")
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert registry.find_coverage_report(tmp_path / "a" / "b") == report


def test_default_tests_dir_is_the_repository_tests_folder() -> None:
    assert registry.default_tests_dir() == REPO / "tests"
    assert registry.repo_root() == REPO


# ---------------------------------------------------------------------------------------------
# Slide citations: the records are the one source
# ---------------------------------------------------------------------------------------------


def test_check_modules_report_their_records_slides() -> None:
    import importlib
    import pkgutil

    import dgmcheck.checks
    from dgmcheck.checks._verify import slide_of
    from dgmcheck.theorems import slide

    seen = 0
    for info in pkgutil.iter_modules(dgmcheck.checks.__path__):
        module = importlib.import_module(f"dgmcheck.checks.{info.name}")
        table = getattr(module, "SLIDES", None)
        if table is None:
            continue
        checked = {t.id for t in THEOREMS if t.check and t.check.startswith(f"{module.__name__}:")}
        assert set(table) == checked, info.name
        for theorem_id, citation in table.items():
            assert citation == slide(theorem_id) == slide_of(theorem_id) != "", theorem_id
        seen += 1
    assert seen >= 18


def test_slides_of_an_unknown_module_is_a_value_error() -> None:
    from dgmcheck.theorems import slides

    with pytest.raises(ValueError, match="'nosuch'"):
        slides("nosuch")
    with pytest.raises(TypeError):
        slides("ddpm")["ddpm.posterior"] = "x"  # type: ignore[index]


# ---------------------------------------------------------------------------------------------
# Import direction: records and theorems depend on the data model, never the other way
# ---------------------------------------------------------------------------------------------


def _dgmcheck_imports(path: Path, module: str) -> set[str]:
    from tests.test_structure import imported_modules

    is_package = path.name == "__init__.py"
    return {n for n in imported_modules(path.read_text(encoding="utf-8"), module, is_package=is_package)
            if n.startswith("dgmcheck")}


def test_registry_and_theorems_import_in_one_direction() -> None:
    package = REPO / "dgmcheck"
    registry_imports = _dgmcheck_imports(package / "registry.py", "dgmcheck.registry")
    assert not {n for n in registry_imports if n.startswith(("dgmcheck.theorems", "dgmcheck.records"))}, (
        registry_imports)
    assert "dgmcheck.registry" in _dgmcheck_imports(package / "theorems.py", "dgmcheck.theorems")
    for path in sorted((package / "records").glob("*.py")):
        imports = _dgmcheck_imports(path, f"dgmcheck.records.{path.stem}")
        assert not {n for n in imports if n.startswith("dgmcheck.theorems")}, path.name


# ---------------------------------------------------------------------------------------------
# Families: one canonical name, old spellings as aliases
# ---------------------------------------------------------------------------------------------


def _check_modules() -> list[str]:
    return sorted(p.stem for p in (REPO / "checks").glob("*.py") if not p.stem.startswith("_"))


def test_every_prefix_module_and_records_file_resolves_to_one_family() -> None:
    import warnings

    from dgmcheck.registry import FAMILY_ALIASES, family_of
    from dgmcheck.theorems import family

    prefixes = {t.id.split(".", 1)[0] for t in THEOREMS}
    modules = {t.check.split(":")[0].rsplit(".", 1)[1] for t in THEOREMS if t.check}
    record_files = {p.stem for p in (REPO / "dgmcheck" / "records").glob("*.py") if p.stem != "__init__"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for name in prefixes | modules | record_files:
            assert family(name) in FAMILIES, name
    for theorem in THEOREMS:  # a theorem's family is its prefix's
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            assert theorem.family == family_of(theorem.id) == family(theorem.id.split(".", 1)[0])
    # The canonical name is the check module's wherever the family has a module of its own.
    for name in FAMILIES:
        owners = {t.check.split(":")[0].rsplit(".", 1)[1] for t in THEOREMS if t.family == name and t.check}
        assert name in owners or name not in _check_modules(), name
    assert set(FAMILY_ALIASES.values()) <= set(FAMILIES)
    assert not set(FAMILY_ALIASES) & set(FAMILIES)


@pytest.mark.parametrize(("old", "new"), [("fm", "flow_matching"), ("ar", "autoregressive"),
                                          ("elbo", "latent"), ("change_of_variables", "flows")])
def test_old_family_spellings_still_work_with_a_deprecation_warning(old: str, new: str) -> None:
    from dgmcheck.theorems import family

    with pytest.warns(DeprecationWarning, match=f"'{old}' is now called '{new}'"):
        assert family(old) == new
    assert family(new) == new
    assert {t.id for t in THEOREMS if t.family == new} >= {t.id for t in THEOREMS if t.id.startswith(old + ".")}


def test_unknown_family_is_a_value_error_listing_the_families() -> None:
    from dgmcheck.theorems import family

    with pytest.raises(ValueError, match="flow_matching"):
        family("nosuch")
    assert family("samplers") == "sde"  # a module serving another family, no warning
