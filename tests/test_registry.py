"""The family registry is the one list everything reads (issue: one definition of the maths)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from specialeplan.api import build, solve
from specialeplan.checker import RULES
from specialeplan.errors import InfeasibleError
from specialeplan.model import registry
from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.examples import tiny_instance
from specialeplan.model.families import FAMILIES, TERMS, elastic_families, switches
from specialeplan.model.params import ModelParams
from specialeplan.model.sets import ModelData
from specialeplan.solvers.base import SolverOptions
from specialeplan.solvers.problem import Labels

LINE = [[5, 30, 60], [30, 5, 30], [60, 30, 5]]
PROVIDERS = [{"id": "P0", "at": 0}, {"id": "P1", "at": 1}, {"id": "P2", "at": 2}]
EVEN = {(0, "A"): 10, (1, "A"): 10, (2, "A"): 10}
COMP = [{"id": p["id"], "speciale": "A", "designation_cost": 400} for p in PROVIDERS]


def test_every_family_has_a_checker_rule_or_says_why_not() -> None:
    """A family has a checker rule of its name, or is registered with ``unchecked=`` (why no
    rule is needed), never both; the checker has no rule for an unknown family."""
    assert set(RULES) <= set(FAMILIES), f"rules for no family: {set(RULES) - set(FAMILIES)}"
    for fam in FAMILIES.values():
        module = fam.build.__module__.rsplit(".", 1)[-1]
        assert (fam.name in RULES) != bool(fam.unchecked), (
            f"{fam.name}: add @rule({fam.name!r}) to specialeplan/checker/rules/{module}.py, "
            "or say why none is needed with unchecked='...' where the family is registered")


def test_checker_recomputes_exactly_the_registered_terms() -> None:
    from specialeplan.checker.rules import TERM_RULES

    assert set(TERM_RULES) == set(TERMS), "add a @term_rule for each objective term"


def test_every_family_and_term_has_a_docstring() -> None:
    for fam in FAMILIES.values():
        assert fam.doc, fam.name
        assert fam.explain, fam.name
    for t in TERMS.values():
        assert t.doc and t.explain, t.name


def test_switches_come_from_the_registry() -> None:
    fields = set(ModelParams().families.model_dump())
    assert fields == set(switches())
    assert {f.name for f in FAMILIES.values() if f.switch} <= fields
    assert {"allow_unmet", "allow_reach_shortfall"} <= fields


def test_switches_follow_a_family_registered_later() -> None:
    """``model.families`` is validated against the registry as it is now, so a family
    registered after import (a plug-in, a test's throwaway family) gets its switch and
    options, and loses them when it is removed."""
    from pydantic import ValidationError

    registry.family("test_late", default=False, on="restricts", reads={},
                    explain="a late family",
                    options={"allow_late": (True, "slack for the late family", "relaxes")}
                    )(_y_only)
    try:
        on = ModelParams(families={"test_late": True})
        assert on.families.test_late is True and on.families.allow_late is True
        assert ModelParams().families.test_late is False
        dumped = on.model_dump()
        assert dumped["families"]["test_late"] is True
        assert ModelParams.model_validate(dumped).model_dump() == dumped
        with pytest.raises(ValidationError, match="test_lat\n"):
            ModelParams(families={"test_lat": True})
    finally:
        registry.unregister_family("test_late")
    assert "test_late" not in ModelParams().families.model_dump()
    with pytest.raises(ValidationError, match="test_late"):
        ModelParams(families={"test_late": True})


def test_rows_and_columns_are_labelled_with_registry_names() -> None:
    data_problem = build(tiny_instance(LINE, PROVIDERS, EVEN, COMP),
                         ModelParams(defaults={"reach_minutes": 40, "min_cases": 5}))
    problem = data_problem.problem
    assert {b.family for b in problem.rows} <= set(FAMILIES)
    assert {b.family for b in problem.columns.values()} <= set(FAMILIES)
    assert problem.term_names == list(TERMS)
    for block in problem.rows:
        assert len(block.labels.frame()) == block.size
    # the Pyomo model names its components after the blocks
    m = data_problem.pyomo
    for block in problem.rows:
        assert m.component(block.name) is not None


def test_checker_recomputes_every_registered_term(tmp_path) -> None:  # noqa: ANN001
    from specialeplan.checker import check_results
    from specialeplan.model.examples import write_dataset
    from specialeplan.results.writer import write_results
    from specialeplan.scenarios.schema import load_scenario

    data = write_dataset(tiny_instance(LINE, PROVIDERS, EVEN, COMP,
                                       codes=["101", "147", "151"]), tmp_path / "data")
    (tmp_path / "s.yaml").write_text(f"name: s\ndataset: {data}\n", encoding="utf-8")
    resolved = load_scenario(tmp_path / "s.yaml")
    from specialeplan.api import run

    outcome = run(resolved)
    folder = write_results(outcome, resolved, tmp_path / "out")
    report = check_results(folder)
    assert report.ok, report.to_text()
    assert list(report.terms) == list(TERMS)


def _max_open(data: ModelData, b: ProblemBuilder) -> None:
    """At most one specialfunktion in total: Σ_{p,s} y[p,s] ≤ 1 (test family)."""
    y = b.var("y")
    b.rows("test_max_open", Labels(pd.DataFrame({"what": ["all"]})),
           y.coef(0, y.index), upper=1.0)


@pytest.fixture
def extra_family():  # noqa: ANN201
    """Register one more family for a test, as a modeller would, and remove it after."""
    registry.family("test_max_open", switch=False, elastic=True, reads={},
                    explain="too few specialfunktioner allowed in total")(_max_open)
    try:
        yield FAMILIES["test_max_open"]
    finally:
        registry.unregister_family("test_max_open")


@pytest.mark.parametrize("backend", ["highs", "highs-direct"])
def test_a_new_family_is_one_function(extra_family, backend: str) -> None:  # noqa: ANN001
    """Designation 400 each: the free optimum opens {P1} (1050); the extra family allows one
    specialfunktion, which {P1} already satisfies. With min_count 2 the family makes the
    scenario infeasible, and the diagnosis names it with its explanation."""
    inst = tiny_instance(LINE, PROVIDERS, EVEN, COMP)
    built = build(inst, ModelParams())
    assert "test_max_open" in [b.name for b in built.problem.rows]
    assert built.pyomo.component("test_max_open") is not None
    out = solve(built, SolverOptions(name=backend, mip_rel_gap=0.0))
    assert out.result.objective == pytest.approx(1050)
    assert "test_max_open" in elastic_families()
    with pytest.raises(InfeasibleError, match="too few specialfunktioner allowed") as info:
        solve(build(inst, ModelParams(defaults={"min_count": 2})),
              SolverOptions(name=backend, mip_rel_gap=0.0))
    assert "test_max_open" in info.value.diagnosis.sufficient


def test_elastic_rows_relax_towards_their_finite_bounds() -> None:
    """A ranged count row gets one slack per finite side; an equality row two."""
    inst = tiny_instance(LINE, PROVIDERS, EVEN, COMP)
    data = build(inst, ModelParams(defaults={"min_count": 1, "max_count": 2})).data
    from specialeplan.model.build import build_problem

    p = build_problem(data, elastic=frozenset({"count_bounds", "demand_balance"}))
    names = {s.column_block for s in p.slacks}
    assert {"slack_designation_count_range_min", "slack_designation_count_range_max",
            "slack_demand_balance_min", "slack_demand_balance_max"} <= names
    assert p.elastic and np.all(p.c[p.columns["slack_designation_count_range_min"].slice] == 1)
    assert {s.family for s in p.slacks} == {"count_bounds", "demand_balance"}
    with pytest.raises(ValueError, match="not elastic"):
        build_problem(data, elastic=frozenset({"linking"}))


def test_family_modules_are_listed_where_a_reader_looks() -> None:
    """The module table in ``model/families/__init__.py`` names every family's module, in
    registration order (a reader finds a family from the file name)."""
    import re

    from specialeplan.model import families

    doc = (families.__doc__ or "").split("Row blocks (the constraints)")[0]
    listed = {m: [f.strip() for f in fams.split(",")] for m, fams in
              re.findall(r"^``(\w+)``\s+(.+)$", doc, flags=re.M)}
    actual: dict[str, list[str]] = {}
    for fam in FAMILIES.values():
        actual.setdefault(fam.build.__module__.rsplit(".", 1)[-1], []).append(fam.name)
    assert list(listed) == list(families.MODULES)
    for module, names in actual.items():
        assert listed[module] == names, module


def test_row_blocks_are_named_quantity_and_bound() -> None:
    """Every row block is ``<quantity>_<min|max|balance|range>``, listed in the row-block
    table of ``model/families/__init__.py`` with the family that adds it."""
    import re

    from specialeplan.model import families

    doc = (families.__doc__ or "").split("Row blocks (the constraints)")[-1]
    table = dict(re.findall(r"^``([a-z_<>]+)``\s+(\w+)\s", doc, flags=re.M))
    assert len(table) > 30, "no row-block table in model/families/__init__.py"
    for name, fam in table.items():
        assert re.fullmatch(r"[a-z<>_]+_(min|max|balance|range)", name), name
        assert fam in FAMILIES, (name, fam)
    params = ModelParams(
        defaults={"reach_minutes": 40, "min_cases": 5, "min_count": 1, "max_count": 2},
        families={"equity": True, "backup_coverage": True}, max_changes=2,
        max_specialer_per_provider=1, limits={"travel": 1e6, "specialfunktioner": 3},
        equity={"limit_minutes": 100.0})
    problem = build(tiny_instance(LINE, PROVIDERS, EVEN, COMP), params).problem
    assert len(problem.rows) >= 15
    for block in problem.rows:
        key = block.name
        if block.family == "limits":
            key = "<criterion>" + key[key.index("_total_max"):]
        assert table.get(key) == block.family, (block.name, block.family)


# ----------------------------------------------------- what the registry must record
def _y_only(data: ModelData, b: ProblemBuilder) -> None:
    """A family for the registration errors below (never built)."""


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"reads": {}}, ValueError, "say what switching it on does"),
    ({"on": "restricts"}, TypeError, "reads"),
    ({"on": "upper_limit", "reads": {}}, ValueError, "must be one of restricts, relaxes"),
    ({"on": "restricts", "reads": {"min_cases": "bigger"}}, ValueError, "unknown change"),
    ({"on": "restricts", "reads": {"families.test_new": "restricts"}}, ValueError,
     "its own switch is on="),
    ({"switch": False, "on": "restricts", "reads": {}}, ValueError, "always on"),
    ({"on": "restricts", "reads": {}, "options": {"allow_x": (True, "slack")}}, ValueError,
     r"\(default, description, on\)"),
])
def test_registering_without_what_resolve_needs_is_an_error(kwargs, error, match) -> None:  # noqa: ANN001
    with pytest.raises(error, match=match):
        registry.family("test_new", explain="never registered", **kwargs)(_y_only)
    assert "test_new" not in FAMILIES


def test_every_scenario_parameter_is_classified_for_the_resolve() -> None:
    """Each field of ``model`` (and of its per-speciale rules) and each switch says which of
    its changes only restrict, in a family's registration or in resolve's own table (OWN).
    A new parameter without one fails here (the re-solve would treat it as 'must be the
    same', which is safe but slow)."""
    from specialeplan.model.params import SpecialeParams
    from specialeplan.model.resolve import OWN, classification

    top = set(ModelParams.model_fields) - {"defaults", "per_speciale", "per_function",
                                            "families"}
    per_speciale = set(SpecialeParams.model_fields)
    switch_keys = {f"families.{k}" for k in switches()}
    rules = classification()
    missing = (top | per_speciale | switch_keys) - set(rules)
    assert not missing, f"not classified for the re-solve: {sorted(missing)}"
    known = top | per_speciale | switch_keys
    for fam in FAMILIES.values():
        assert set(fam.reads) <= known, (fam.name, set(fam.reads) - known)
        for change in [*fam.reads.values(), *(o.on for o in fam.options.values())]:
            assert change.with_ is None or change.with_ in top, (fam.name, change)
        if fam.switch:
            assert (fam.name, fam.on) in rules[f"families.{fam.name}"]
    read = {k for fam in FAMILIES.values() for k in fam.reads}
    assert not set(OWN) & read, "a parameter a family reads is classified by that family"


def test_every_objective_term_has_a_weight() -> None:
    from specialeplan.model.params import Weights

    # care and care_floor are priced by the cost table per speciale and mode, an expansion by
    # its own annuity (capacity_changes.csv): no weight
    assert list(Weights.model_fields) == [t for t in TERMS
                                          if t not in ("care", "care_floor", "expansion")]
