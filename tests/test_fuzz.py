"""Bad inputs and faults around a run, through the CLI as a user meets them.

Every case runs ``specialeplan run`` on a tiny dataset (in-process, fast) into a results root
that already holds two earlier runs: ``earlier/`` (another scenario, never to be touched)
and ``tiny/`` (the target, run with ``--overwrite``). Each case asserts the exit code, the
message (naming file, row, field or key), that no traceback reached the user, and what
happened to the folders: a bad input (exit 2) leaves both earlier runs as they were; an
infeasible run (exit 3) or a successful one (exit 0) replaces the target by a complete
folder of its own, never a mix. The property-based parts let hypothesis pick scenario
values and data-table cells.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import TINY_SCENARIO, tree_digest, write_tiny
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from specialeplan.cli import app
from specialeplan.results.contract import NO_SOLUTION_STATUSES, SOLUTION_STATUSES

runner = CliRunner()
FUZZ = settings(max_examples=25, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny dataset and scenario, plus a results root with the two earlier runs."""
    root = tmp_path_factory.mktemp("template")
    write_tiny(root)
    earlier = root / "earlier.yaml"
    earlier.write_text(TINY_SCENARIO.replace("name: tiny", "name: earlier"), encoding="utf-8")
    for path in (earlier, root / "tiny.yaml"):
        result = runner.invoke(app, ["run", str(path), "--out", str(root / "out"), "--quiet",
                                     "--no-excel"])
        assert result.exit_code == 0, result.output
    return root


@dataclass
class Case:
    """One run in a fresh copy of the template: its paths and outcome."""

    root: Path
    code: int = -1
    output: str = ""
    exception: BaseException | None = None

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def scenario(self) -> Path:
        return self.root / "tiny.yaml"

    @property
    def data(self) -> Path:
        return self.root / "tiny"


@contextmanager
def fresh(template: Path) -> Iterator[Case]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(shutil.copytree(template, Path(tmp) / "work"))
        yield Case(root)


def run(case: Case, *args: str, overwrite: bool = True) -> Case:
    """Run the CLI and check what must hold whatever the input."""
    before = {name: tree_digest(case.out / name) for name in ("earlier", "tiny")}
    cmd = ["run", str(case.scenario), "--out", str(case.out), "--quiet", "--no-excel", *args]
    result = runner.invoke(app, [*cmd, "--overwrite"] if overwrite else cmd)
    case.code, case.output, case.exception = result.exit_code, result.output, result.exception
    flat = case.output.replace("\n", " ")
    assert case.exception is None or isinstance(case.exception, SystemExit), (
        f"a traceback reached the user: {case.exception!r}\n{case.output}")
    assert "Traceback" not in case.output
    assert tree_digest(case.out / "earlier") == before["earlier"], "another run was touched"
    assert not [p.name for p in case.out.iterdir() if p.name.startswith(".")], (
        "temp folder or lock left behind")
    target = case.out / "tiny"
    if case.code == 2:  # bad input: the earlier result at the target survives
        assert tree_digest(target) == before["tiny"], flat
        assert flat.startswith("error:") or "error:" in flat
    elif case.code in (0, 1, 3):  # a complete folder of this run, nothing of the old one
        kpis = json.loads((target / "kpis.json").read_text(encoding="utf-8"))
        has_tables = (target / "designations.csv").exists()
        if case.code == 3:
            assert kpis["status"] == "infeasible" and not has_tables, flat
            assert (target / "infeasibility.csv").is_file()
        elif case.code == 0:
            assert kpis["status"] in SOLUTION_STATUSES and has_tables, flat
            assert "check passed" in flat, flat
        else:
            assert "no solution" in flat and kpis["status"] in NO_SOLUTION_STATUSES, flat
            assert not has_tables
    else:
        pytest.fail(f"unexpected exit code {case.code}:\n{case.output}")
    return case


# ----------------------------------------------------------------- dataset edits
def edit_table(name: str, fn: Callable[[pd.DataFrame], pd.DataFrame | None]
               ) -> Callable[[Case], None]:
    def mutate(case: Case) -> None:
        path = case.data / f"{name}.csv"
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        out = fn(df)
        (df if out is None else out).to_csv(path, index=False)
    return mutate


def set_cell(name: str, row: int, col: str, value: str) -> Callable[[Case], None]:
    def fn(df: pd.DataFrame) -> None:
        df.loc[row, col] = value
    return edit_table(name, fn)


def write_scenario(text: str | bytes) -> Callable[[Case], None]:
    def mutate(case: Case) -> None:
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        case.scenario.write_bytes(data)
    return mutate


def nothing(case: Case) -> None:
    """No edit."""


FORBID_ALL = ("model.forbidden=[{provider_id: P0, speciale: A}, {provider_id: P1, "
              "speciale: A}, {provider_id: P2, speciale: A}]")

# (id, edit, --set overrides, exit code, fragments the message must contain)
CASES: list[tuple[str, Callable[[Case], None], list[str], int, list[str]]] = [
    # inputs that were already handled well (keep them so)
    ("missing_column", edit_table("demand", lambda df: df.drop(columns="demand")), [], 2,
     ["demand.csv", "'demand'", "missing required column"]),
    ("unknown_municipality", set_cell("providers", 1, "municipality_code", "999"), [], 2,
     ["providers.csv", "row 3", "'municipality_code'", "999"]),
    ("negative_demand", set_cell("demand", 1, "demand", "-4"), [], 2,
     ["demand.csv", "row 3", "'demand'", ">= 0"]),
    ("text_capacity", set_cell("providers", 0, "capacity", "many"), [], 2,
     ["providers.csv", "row 2", "'capacity'", "many"]),
    ("infinite_capacity", set_cell("providers", 0, "capacity", "inf"), [], 2,
     ["providers.csv", "row 2", "'capacity'", "finite"]),
    ("bad_boolean", set_cell("competence", 2, "designated_today", "perhaps"), [], 2,
     ["competence.csv", "row 4", "'designated_today'", "perhaps"]),
    ("duplicate_provider", edit_table("providers", lambda df: pd.concat([df, df.iloc[[0]]])),
     [], 2, ["providers.csv", "duplicate", "P0"]),
    ("empty_identifier", set_cell("competence", 0, "provider_id", ""), [], 2,
     ["competence.csv", "row 2", "'provider_id'", "empty"]),
    ("malformed_yaml", write_scenario("name: tiny\nmodel: {a: 1\nsolver: 2\n"), [], 2,
     ["malformed YAML at line"]),
    ("empty_scenario", write_scenario(""), [], 2, ["the file is empty"]),
    ("unknown_key", nothing, ["model.weights.travl=1"], 2, ["model.weights.travl",
                                                              "Extra inputs"]),
    ("wrong_type", nothing, ["solver.time_limit=soon"], 2, ["solver.time_limit", "soon"]),
    ("unknown_speciale", nothing, ["model.specialer=[B]"], 2, ["unknown speciale 'B'"]),
    ("unknown_fixed_provider", nothing, ["model.fixed=[{provider_id: P7, speciale: A}]"], 2,
     ["unknown provider_id 'P7'"]),
    ("missing_dataset", nothing, ["dataset=nowhere"], 2, ["dataset 'nowhere'"]),
    ("unknown_solver", nothing, ["solver.name=gurobi"], 2, ["unknown solver 'gurobi'"]),
    ("extends_cycle", write_scenario("extends: tiny.yaml\n"), [], 2, ["cycle"]),
    # the defects of issue 12
    ("duplicate_yaml_key", write_scenario(TINY_SCENARIO + "model: {demand_growth: 2}\n"), [],
     2, ["duplicate key 'model'",
         f"line {TINY_SCENARIO.count(chr(10)) + 1}", "first given at line 3"]),
    ("duplicate_override_key", nothing, ["model.defaults={min_cases: 1, min_cases: 2}"], 2,
     ["duplicate key 'min_cases'"]),
    ("not_utf8", write_scenario("name: t\xe6st\ndataset: tiny\n".encode("latin-1")), [], 2,
     ["not UTF-8", "save the file as UTF-8"]),
    ("demand_growth_inf", nothing, ["model.demand_growth=.inf"], 2,
     ["model.demand_growth", "finite number"]),
    ("min_cases_inf", nothing, ["model.defaults.min_cases=.inf"], 2,
     ["model.defaults.min_cases", "finite number"]),
    ("weight_nan", nothing, ["model.weights.unmet=.nan"], 2,
     ["model.weights.unmet", "finite number"]),
    ("time_limit_inf", nothing, ["solver.time_limit=.inf"], 2, ["solver.time_limit",
                                                                  "finite number"]),
    ("no_specialer", nothing, ["model.specialer=[]"], 2, ["model.specialer",
                                                          "lists no speciale"]),
    ("name_dotdot", nothing, ["name=.."], 2, ["'..' is not a safe folder name"]),
    ("name_with_slash", nothing, ["name=a/b"], 2, ["'a/b' is not a safe folder name"]),
    ("unknown_highs_option", nothing, ["solver.options.banana=1"], 2,
     ["solver.options.banana", "HiGHS has no option"]),
    ("wrong_highs_option_value", nothing, ["solver.options.mip_heuristic_effort=banana"], 2,
     ["solver.options.mip_heuristic_effort", "'banana'", "a number"]),
    ("highs_option_out_of_range", nothing, ["solver.options.mip_heuristic_effort=-1"], 2,
     ["solver.options.mip_heuristic_effort", "below lower bound"]),
    ("highs_option_shadows_typed", nothing, ["solver.options.time_limit=5"], 2,
     ["set solver.time_limit instead"]),
    # numbers too large for the solver (found by the properties below): HiGHS read them as
    # another model and reported an infeasible plan as "optimal"
    ("min_cases_huge", nothing, ["model.defaults.min_cases=1e15"], 2,
     ["model.defaults.min_cases", "less than 1000000000000000"]),
    ("weight_times_minutes_huge", nothing, ["model.weights.travel=1e14"], 2,
     ["too large to solve faithfully", "objective term 'travel'"]),
    ("demand_huge", set_cell("demand", 0, "demand", "1e15"), [], 2,
     ["demand.csv", "row 2", "'demand'", "too large"]),
    # no usable arcs for the speciale: a plan with unmet demand, not a crash
    ("cutoff_below_every_arc", nothing, ["model.defaults.max_travel_minutes=1"], 0, []),
    ("demand_growth_zero", nothing, ["model.demand_growth=0"], 0, []),
    ("every_provider_forbidden", nothing, [FORBID_ALL], 0, []),
    # ... and when that makes the scenario infeasible the diagnosis names the cutoff
    ("cutoff_makes_it_infeasible", nothing, ["model.defaults.max_travel_minutes=1",
                                             "model.families.allow_unmet=false"], 3,
     ["infeasible", "travel_cutoff", "max_travel_minutes = 1", "nearest 5 min",
      "at least 5"]),
    ("cutoff_and_minimum_volume", nothing, ["model.defaults.max_travel_minutes=1",
                                            "model.defaults.min_cases=5",
                                            "model.defaults.min_count=1"], 3,
     ["infeasible", "min_volume", "travel_cutoff", "max_travel_minutes"]),
    ("time_limit_zero", nothing, ["solver.time_limit=0"], 1, ["left no time to solve"]),
]


@pytest.mark.parametrize(("edit", "sets", "code", "fragments"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input(template: Path, edit: Callable[[Case], None], sets: list[str], code: int,
                   fragments: list[str]) -> None:
    with fresh(template) as case:
        edit(case)
        run(case, *(a for s in sets for a in ("--set", s)))
        flat = " ".join(case.output.split())
        assert case.code == code, case.output
        for fragment in fragments:
            assert fragment in flat, f"{fragment!r} not in:\n{case.output}"


def test_out_pointing_at_a_file(template: Path) -> None:
    with fresh(template) as case:
        target = case.root / "results.txt"
        target.write_text("a file")
        result = runner.invoke(app, ["run", str(case.scenario), "--out", str(target), "--quiet"])
        assert result.exit_code == 2
        assert "is a file, not a folder" in result.output
        assert target.read_text() == "a file"


def test_rerun_without_overwrite_is_refused(template: Path) -> None:
    with fresh(template) as case:
        run(case, "--set", "model.weights.travel=3", overwrite=False)
        assert case.code == 2 and "already holds a run" in case.output


# ----------------------------------------------------------------- property-based
KEYS = ["model.defaults.min_cases", "model.defaults.max_travel_minutes",
        "model.defaults.reach_minutes", "model.defaults.min_count", "model.defaults.max_count",
        "model.demand_growth", "model.weights.travel", "model.weights.unmet",
        "model.weights.designation", "solver.mip_rel_gap", "solver.time_limit", "name",
        "dataset", "model.specialer"]
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0, max_value=1e4),
    st.integers(min_value=-10, max_value=10**7),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8),
    st.booleans(), st.none(), st.lists(st.integers(-2, 5), max_size=2),
)


def as_yaml(value: object) -> str:
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True).removesuffix(
        "\n...\n").strip()


@FUZZ
@given(key=st.sampled_from(KEYS), value=VALUES)
def test_any_scenario_value_is_handled(template: Path, key: str, value: object) -> None:
    """Whatever value a key gets: a plan (0), an explanation (3), no solution in the time
    (1), or an error naming the key (2) — never a traceback, never another run touched."""
    with fresh(template) as case:
        run(case, "--set", f"{key}={as_yaml(value)}")
        if case.code == 2:  # names the key, or the family its value made unsolvable
            flat = " ".join(case.output.split())
            leaf = key.split(".")[-1]
            assert leaf in flat or "override" in flat or (
                "too large to solve faithfully" in flat and "family" in flat), case.output


CELLS = [("demand", "demand"), ("providers", "capacity"), ("providers", "advisory_capacity"),
         ("competence", "max_cases"), ("competence", "designation_cost"),
         ("competence", "designated_today"), ("travel", "minutes"),
         ("municipalities", "population"), ("municipalities", "code"),
         ("providers", "municipality_code"), ("demand", "function"),
         ("competence", "provider_id")]
CELL_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.floats(min_value=0, max_value=1e6).map(str),
    st.integers(min_value=-5, max_value=10**9).map(str),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]),
            max_size=6),
    st.sampled_from(["", " ", "NA", "null", "true", "1e400", "-0", "P9", "999"]),
)


@FUZZ
@given(cell=st.sampled_from(CELLS), row=st.integers(0, 2), value=CELL_VALUES)
def test_any_data_cell_is_handled(template: Path, cell: tuple[str, str], row: int,
                                  value: str) -> None:
    """Whatever one cell of a data table holds: a plan, an explanation, or an error naming
    the file and the field — never a traceback, never another run touched."""
    table, col = cell
    with fresh(template) as case:
        set_cell(table, row, col, value)(case)
        run(case)
        if case.code == 2:
            flat = " ".join(case.output.split())
            assert f"{table}.csv" in flat, case.output
            assert f"'{col}'" in flat or "municipality" in flat, case.output


def test_huge_demand_plan_checks(template: Path) -> None:
    """Found by the fuzz test above: 31 million borgerforløb in one municipality. Shares
    written to 6 decimals made the advisory load 10 borgerforløb over capacity when the
    checker multiplied them by demand; shares keep 12 decimals, and the plan checks."""
    with fresh(template) as case:
        set_cell("demand", 0, "demand", "31454769")(case)
        run(case)
        assert case.code == 0, case.output
