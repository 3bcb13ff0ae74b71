"""Self-tests of the theorem registry and of the static marker scanner that measures coverage.

The scanner is proven right against pytest itself: a subprocess collects the suite with a tiny
plugin that dumps every item's ``theorem`` / ``planted_bug`` markers, and the dump must equal
the AST scan.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from dgmcheck import registry
from dgmcheck.registry import (
    COVERAGE_KEYS,
    ORACLE_KINDS,
    Source,
    TestClaims,
    Theorem,
    claims_from_markers,
    coverage,
    resolve,
    scan_markers,
    scan_tests,
    status_of,
    strip_parametrization,
    validate,
)
from dgmcheck.theorems import BY_ID, FAMILIES, THEOREMS

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


def test_validate_reports_no_problems() -> None:
    assert validate(THEOREMS) == []


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


def test_coverage_with_a_missing_tests_dir_has_empty_lists(tmp_path: Path) -> None:
    rows = coverage(THEOREMS, tmp_path / "absent")
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
# The AST scanner on temporary test files
# ---------------------------------------------------------------------------------------------


def _write(root: Path, rel: str, source: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")


def _one_test(theorem_id: str, name: str) -> str:
    return f"import pytest\n\n@pytest.mark.theorem({theorem_id!r})\ndef {name}():\n    pass\n"


def test_strip_parametrization() -> None:
    assert strip_parametrization("tests/t.py::test_x[cpu-float32]") == "tests/t.py::test_x"
    assert strip_parametrization("tests/t.py::T::test_x[a::b]") == "tests/t.py::T::test_x"
    assert strip_parametrization("tests/t.py::test_x") == "tests/t.py::test_x"


def test_scanner_reads_function_class_and_module_marks(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "tests/test_fn.py",
        """
        import pytest

        @pytest.mark.theorem("a.one", "a.two")
        def test_multi():
            pass

        @pytest.mark.planted_bug("a.one")
        @pytest.mark.parametrize("x", [1, 2])
        def test_bug(x):
            pass

        def test_unmarked():
            pass

        def helper():
            pass
        """,
    )
    _write(
        tmp_path,
        "tests/test_cls.py",
        """
        import pytest

        @pytest.mark.theorem("c.cls")
        class TestThing:
            def test_m(self):
                pass

            @pytest.mark.planted_bug("c.meth")
            def test_n(self):
                pass
        """,
    )
    _write(
        tmp_path,
        "tests/test_mod_single.py",
        """
        import pytest

        pytestmark = pytest.mark.theorem("m.single")

        def test_s():
            pass
        """,
    )
    _write(
        tmp_path,
        "tests/sub/test_mod_list.py",
        """
        import pytest

        pytestmark = [pytest.mark.theorem("m.list1", "m.list2"), pytest.mark.slow]

        class TestK:
            def test_k(self):
                pass
        """,
    )
    markers = scan_markers(tmp_path / "tests")
    assert markers == {
        "tests/test_fn.py::test_multi": {"theorem": ["a.one", "a.two"], "planted_bug": []},
        "tests/test_fn.py::test_bug": {"theorem": [], "planted_bug": ["a.one"]},
        "tests/test_fn.py::test_unmarked": {"theorem": [], "planted_bug": []},
        "tests/test_cls.py::TestThing::test_m": {"theorem": ["c.cls"], "planted_bug": []},
        "tests/test_cls.py::TestThing::test_n": {"theorem": ["c.cls"], "planted_bug": ["c.meth"]},
        "tests/test_mod_single.py::test_s": {"theorem": ["m.single"], "planted_bug": []},
        "tests/sub/test_mod_list.py::TestK::test_k": {
            "theorem": ["m.list1", "m.list2"],
            "planted_bug": [],
        },
    }
    claims = scan_tests(tmp_path / "tests")
    assert claims["a.one"] == TestClaims(
        tests=("tests/test_fn.py::test_bug", "tests/test_fn.py::test_multi"),
        planted_bug_tests=("tests/test_fn.py::test_bug",),
    )
    assert claims["c.meth"].tests == ("tests/test_cls.py::TestThing::test_n",)
    assert claims["m.list2"].tests == ("tests/sub/test_mod_list.py::TestK::test_k",)


def test_scanner_skips_unparsable_files_and_reports_them(tmp_path: Path) -> None:
    _write(tmp_path, "tests/test_ok.py", _one_test("a.b", "test_a"))
    _write(tmp_path, "tests/test_broken.py", "def test_x(:\n")  # fmt: skip
    errors: list[str] = []
    claims = scan_tests(tmp_path / "tests", errors=errors)
    assert claims == {"a.b": TestClaims(tests=("tests/test_ok.py::test_a",))}
    assert len(errors) == 1 and "tests/test_broken.py" in errors[0]


def test_scanner_node_ids_are_relative_to_the_given_root(tmp_path: Path) -> None:
    _write(tmp_path, "proj/tests/test_r.py", _one_test("r.r", "test_r"))
    assert scan_tests(tmp_path / "proj" / "tests")["r.r"].tests == ("tests/test_r.py::test_r",)
    claims = scan_tests(tmp_path / "proj" / "tests", root=tmp_path)
    assert claims["r.r"].tests == ("proj/tests/test_r.py::test_r",)


def test_claims_from_markers_counts_planted_bugs_as_tests() -> None:
    claims = claims_from_markers(
        {"t.py::test_a": {"theorem": ["x.y"], "planted_bug": []},
         "t.py::test_b": {"theorem": [], "planted_bug": ["x.y", "z.w"]}}
    )  # fmt: skip
    assert claims["x.y"] == TestClaims(("t.py::test_a", "t.py::test_b"), ("t.py::test_b",))
    assert claims["z.w"] == TestClaims(("t.py::test_b",), ("t.py::test_b",))


# ---------------------------------------------------------------------------------------------
# The scanner against pytest's own collection
# ---------------------------------------------------------------------------------------------

_DUMP_PLUGIN = '''
"""Dump each collected item's theorem / planted_bug markers as JSON (registry self-test)."""
import json
import os

_ERRORS = []


def pytest_configure(config):
    for name in ("theorem", "planted_bug", "slow", "cuda", "adapters"):
        config.addinivalue_line("markers", name + ": registered by the registry self-test")


def pytest_collectreport(report):
    if report.failed:
        _ERRORS.append(report.nodeid)


def _flatten(args):
    for arg in args:
        if isinstance(arg, (list, tuple, set)):
            yield from _flatten(arg)
        else:
            yield arg


def _strip(nodeid):
    start = nodeid.find("::")
    bracket = nodeid.find("[", start if start >= 0 else 0)
    return nodeid if bracket < 0 else nodeid[:bracket]


def pytest_collection_finish(session):
    items = {}
    for item in session.items:
        entry = items.setdefault(_strip(item.nodeid), {"theorem": set(), "planted_bug": set()})
        for kind in entry:
            for mark in item.iter_markers(kind):
                entry[kind].update(str(a) for a in _flatten(mark.args))
    data = {
        "rootdir": str(session.config.rootpath),
        "errors": sorted(_ERRORS),
        "items": {k: {kind: sorted(v) for kind, v in e.items()} for k, e in items.items()},
    }
    with open(os.environ["DGMCHECK_MARKER_DUMP"], "w", encoding="utf-8") as handle:
        json.dump(data, handle)
'''


def _collect(root: Path, work: Path) -> dict[str, Any]:
    """Collect ``root``'s tests in a subprocess (cwd = root) and return the marker dump."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "_dgmcheck_marker_dump.py").write_text(_DUMP_PLUGIN, encoding="utf-8")
    out = work / "markers.json"
    env = dict(os.environ)  # HYPOTHESIS_PROFILE and the rest unchanged
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(work), env.get("PYTHONPATH")]))
    env["DGMCHECK_MARKER_DUMP"] = str(out)
    command = [
        sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
        "-p", "_dgmcheck_marker_dump", "--continue-on-collection-errors", "tests",
    ]  # fmt: skip
    proc = subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert out.is_file(), f"collection produced no dump:\n{proc.stdout}\n{proc.stderr}"
    data = json.loads(out.read_text(encoding="utf-8"))
    assert Path(data["rootdir"]).resolve() == root.resolve()
    data["stdout"] = proc.stdout
    return data


def _errored_files(errors: list[str]) -> set[str]:
    return {nodeid.split("::")[0] for nodeid in errors}


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The real suite as pytest collected it: this session's own collection when it took the whole
    ``tests`` folder (tests/conftest.py records it before deselection), else one subprocess
    collection with the marker dump plugin.

    Under pytest-xdist the workers share one collection: the first to take the lock file in
    the session's common temporary folder collects, the others read its result.
    """
    from tests.conftest import COLLECTED

    if COLLECTED["complete"] and Path(COLLECTED["rootdir"]).resolve() == REPO.resolve():
        return {**COLLECTED, "stdout": ""}  # this session collected the whole suite itself
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _collect(REPO, tmp_path_factory.mktemp("collect"))
    shared = tmp_path_factory.getbasetemp().parent  # common to the workers of this session
    result, lock = shared / "dgmcheck-collected.json", shared / "dgmcheck-collected.lock"
    try:
        os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        deadline = time.monotonic() + 300
        while not result.is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
        if result.is_file():
            return json.loads(result.read_text(encoding="utf-8"))
        return _collect(REPO, tmp_path_factory.mktemp("collect"))  # the collector died
    data = _collect(REPO, tmp_path_factory.mktemp("collect"))
    partial = shared / f"dgmcheck-collected.{os.getpid()}.tmp"
    partial.write_text(json.dumps(data), encoding="utf-8")
    os.replace(partial, result)
    return data


def test_coverage_node_ids_exist(collected: dict[str, Any]) -> None:
    broken = _errored_files(collected["errors"])
    known = set(collected["items"])
    listed = {
        nodeid for row in coverage(THEOREMS) for nodeid in row["tests"] + row["planted_bug_tests"]
    }
    missing = sorted(n for n in listed - known if n.split("::")[0] not in broken)
    assert not missing, f"coverage lists node ids pytest does not collect: {missing}"


def test_static_scan_equals_pytest_markers(collected: dict[str, Any]) -> None:
    broken = _errored_files(collected["errors"])
    dumped = {
        nodeid: marks
        for nodeid, marks in collected["items"].items()
        if nodeid.split("::")[0] not in broken
    }
    scanned = {
        nodeid: marks
        for nodeid, marks in scan_markers(REPO / "tests", root=REPO).items()
        if nodeid.split("::")[0] not in broken
    }

    def marked(markers: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
        return {n: m for n, m in markers.items() if m["theorem"] or m["planted_bug"]}

    assert marked(scanned) == marked(dumped)
    assert claims_from_markers(scanned) == claims_from_markers(dumped)


def test_every_marker_id_is_registered(collected: dict[str, Any]) -> None:
    unknown = {
        (theorem_id, nodeid)
        for nodeid, marks in collected["items"].items()
        for kind in ("theorem", "planted_bug")
        for theorem_id in marks[kind]
        if theorem_id not in BY_ID
    }
    assert not unknown, f"tests claim unregistered theorem ids: {sorted(unknown)}"


_TRICKY = """
import pytest
from pytest import mark

pytestmark = [pytest.mark.theorem("mod.a"), pytest.mark.slow]

POSTERIOR = pytest.mark.theorem("alias.b")
theorem = pytest.mark.theorem
IDS = ("tuple.c", "tuple.d")


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


@pytest.mark.filterwarnings("ignore")
def test_scanner_agrees_with_pytest_on_tricky_modules(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    _write(root, "pytest.ini", "[pytest]\n")
    _write(root, "tests/test_tricky.py", _TRICKY)
    _write(root, "tests/sub/test_single.py", """
        import pytest

        pytestmark = pytest.mark.theorem("single.a")


        class TestS:
            @pytest.mark.planted_bug("single.b")
            def test_s(self):
                pass
        """)  # fmt: skip
    _write(root, "tests/test_broken.py", "import pytest\n\ndef test_x(:\n    pass\n")
    _write(root, "tests/helpers.py", "def test_not_a_test_file():\n    pass\n")
    errors: list[str] = []
    scanned = scan_markers(root / "tests", root=root, errors=errors)
    data = _collect(root, tmp_path / "work")
    assert _errored_files(data["errors"]) == {"tests/test_broken.py"}
    assert any("tests/test_broken.py" in e for e in errors)
    assert scanned == data["items"], data["stdout"]
    # spot checks of what pytest itself decided
    assert scanned["tests/test_tricky.py::test_param"]["theorem"] == ["mod.a", "param.a"]
    assert scanned["tests/test_tricky.py::TestChild::test_inherited"]["theorem"] == [
        "base.a",
        "mod.a",
    ]
    assert "tests/test_tricky.py::TestWithInit::test_x" not in scanned
    assert scanned["tests/test_tricky.py::test_redefined"]["theorem"] == ["mod.a", "redef.a"]


def test_default_tests_dir_is_the_repository_tests_folder() -> None:
    assert registry.default_tests_dir() == REPO / "tests"
    assert registry.repo_root() == REPO


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
