"""docs/adding-a-family.md, followed to the letter: a throwaway family and objective term,
registered the way the guide says, reach every place that needs them.

The fixture writes what the guide lists — the family (maths in its docstring, ``on=``,
``reads=``, ``explain=``, its rows as algebra in a row block named ``<quantity>_<bound>``),
its checker rule, the objective term and the term's checker rule — and nothing else; the
tests then solve a tiny instance and ask the docs generator, the ``model.families``
switches, the diagnosis, the checker and the re-solve whether they know the new family. If
one of them needs a list kept somewhere else, a test here fails, and the guide is
incomplete. The one entry a test cannot write is the row-block table in the docstring of
``model/families/__init__.py`` (documentation); a test here shows that its check notices the
new block. The guide's own file lists and code are held to the repository too. Everything
is unregistered afterwards (the last test checks).

The instance: municipalities m0–m1–m2 on a line (5 min within, 30 to the next, 60 across),
10 borgerforløb each, providers P0..P2 with designation cost 100, no reach rules.

- Without the family, all three open: 3·100 + 30·5 = 450, plus the term 7·3 = 21 → 471
  (two open cost at least 600, P1 alone 750).
- With it (at most one specialfunktion in total), P1 alone: 100 + 10·(30 + 5 + 30) = 750,
  plus 7 → 757 (P0 alone: 100 + 50 + 300 + 600 = 1050).
- With ``min_count: 2`` as well it is infeasible: the diagnosis names the family.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from specialeplan.api import build, resolve, run, solve
from specialeplan.checker import RULES, check_results
from specialeplan.checker.report import Collector
from specialeplan.checker.rules import TERM_RULES, Context, rule, term_rule
from specialeplan.errors import InfeasibleError
from specialeplan.model import registry
from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.docs import render
from specialeplan.model.examples import tiny_instance, write_dataset
from specialeplan.model.families import FAMILIES, TERMS, elastic_families, switches
from specialeplan.model.params import ModelParams
from specialeplan.model.resolve import bound_carries_over, loosening
from specialeplan.model.sets import ModelData
from specialeplan.results.contract import RESOLVED_SCENARIO
from specialeplan.results.writer import write_results
from specialeplan.scenarios.schema import load_scenario
from specialeplan.solvers.base import SolverOptions
from specialeplan.solvers.problem import Labels

FAMILY, TERM = "test_one_open", "test_designations"
BLOCK = "test_designation_total_max"  # the family's row block: <quantity>_<bound>
ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "adding-a-family.md"
LINE = [[5, 30, 60], [30, 5, 30], [60, 30, 5]]
PROVIDERS = [{"id": f"P{i}", "at": i} for i in range(3)]
DEMAND = {(k, "A"): 10 for k in range(3)}
COMP = [{"id": f"P{i}", "speciale": "A", "designation_cost": 100} for i in range(3)]
EXACT = SolverOptions(name="highs-direct", mip_rel_gap=0.0)


# --- 1. the definition (model/families/<module>.py) -------------------------------------
def one_open(data: ModelData, b: ProblemBuilder) -> None:
    """At most one specialfunktion in total (a test family): Σ_{p,s} y[p,s] ≤ 1."""
    y = b.var("y")
    total = y.sum(by=np.zeros(len(data.pairs), dtype=int), size=1)  # Σ_{p,s} y[p,s]
    b.add_rows(BLOCK, total <= 1.0, Labels(pd.DataFrame({"what": ["all"]})))


def designations_cost(data: ModelData, b: ProblemBuilder) -> None:
    """test_designations = 7 · Σ_{p,s} y[p,s] (a test term; a real term's weight is a field
    of ``Weights`` in model/params.py)."""
    y = b.var("y")
    b.cost(TERM, y.linear(y.index, 7.0))


# --- 2. the checker rules (specialeplan/checker/rules/<module>.py, term rules in objective.py)
def one_open_rule(x: Context, c: Collector) -> None:
    """designations.csv has at most one row."""
    c.single(FAMILY, len(x.des) <= 1, f"{len(x.des)} specialfunktioner, above 1 in total")


def designations_term(x: Context) -> float:
    """7 · #designations."""
    return 7.0 * len(x.des)


@pytest.fixture
def throwaway() -> Iterator[None]:
    """Register the family and term with their checker rules; remove all four after."""
    registry.family(FAMILY, elastic=True, on="restricts", reads={},
                    explain="only one specialfunktion is allowed in total")(one_open)
    registry.term(TERM, explain="7 per specialfunktion")(designations_cost)
    rule(FAMILY)(one_open_rule)
    term_rule(TERM)(designations_term)
    try:
        yield
    finally:
        registry.unregister_family(FAMILY)
        registry.unregister_term(TERM)
        del RULES[FAMILY], TERM_RULES[TERM]


def _instance():  # noqa: ANN202
    return tiny_instance(LINE, PROVIDERS, DEMAND, COMP, codes=["101", "147", "151"])


def _off() -> ModelParams:
    """The scenario with the family switched off (only while it is registered)."""
    return ModelParams(families={FAMILY: False})


def test_the_docs_generator_writes_it(throwaway: None) -> None:
    page = render()
    assert f"### {FAMILY}\n" in page and f"### {TERM} (term)\n" in page
    assert one_open.__doc__ in page and "Σ_{p,s} y[p,s] ≤ 1" in page  # the maths, verbatim
    assert f"`model.families.{FAMILY}`, default on; switching it on restricts." in page
    assert "only one specialfunktion is allowed in total" in page
    assert f"rule `{FAMILY}`" in page
    assert f"- **Row blocks:** `{BLOCK}`." not in page  # only the table's blocks are listed
    assert page.index(f"### {FAMILY}\n") < page.index("## Objective terms")


def test_the_scenario_switch_exists(throwaway: None) -> None:
    assert switches()[FAMILY] == (True, one_open.__doc__.splitlines()[0])
    assert ModelParams().families.test_one_open is True
    assert _off().families.test_one_open is False


@pytest.mark.parametrize("backend", ["highs", "highs-direct"])
def test_both_backends_build_and_solve_it(throwaway: None, backend: str) -> None:
    options = SolverOptions(name=backend, mip_rel_gap=0.0)
    built = build(_instance(), ModelParams())
    block = built.problem.row_block(BLOCK)
    assert block.family == FAMILY  # the block records its family
    assert built.problem.term_names[-1] == TERM
    assert built.pyomo.component(BLOCK) is not None  # the Pyomo model names it too
    on = solve(built, options)
    assert on.result.objective == pytest.approx(757)
    assert set(on.solution.designations["provider_id"]) == {"P1"}
    assert solve(build(_instance(), _off()), options).result.objective == pytest.approx(471)


def test_the_diagnosis_names_it(throwaway: None) -> None:
    assert FAMILY in elastic_families()
    with pytest.raises(InfeasibleError, match="only one specialfunktion is allowed") as info:
        solve(build(_instance(), ModelParams(defaults={"min_count": 2})), EXACT)
    assert FAMILY in info.value.diagnosis.sufficient


def test_the_checker_runs_its_rules(throwaway: None, tmp_path: Path) -> None:
    """Solved with the family off (three open), the folder checks clean and the family is
    skipped; switched on in the folder's resolved scenario, its rule finds three."""
    data = write_dataset(_instance(), tmp_path / "data")
    (tmp_path / "s.yaml").write_text(
        f"name: s\ndataset: {data}\nmodel:\n  families: {{{FAMILY}: false}}\n"
        "  pricing: unit_less\n"  # the three open of the hand-derived plan
        "solver: {mip_rel_gap: 0}\n", encoding="utf-8")
    resolved = load_scenario(tmp_path / "s.yaml")
    folder = write_results(run(resolved), resolved, tmp_path / "out", excel=False)
    report = check_results(folder)
    assert report.ok, report.to_text()
    assert FAMILY in report.skipped
    assert report.terms[TERM] == pytest.approx(21)
    assert list(report.terms) == list(TERMS)

    scenario = folder / RESOLVED_SCENARIO
    doc = yaml.safe_load(scenario.read_text(encoding="utf-8"))
    doc["model"]["families"][FAMILY] = True
    scenario.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    broken = check_results(folder)
    assert list(broken.families()) == [FAMILY], broken.to_text()
    assert "3 specialfunktioner, above 1" in broken.violations[0].message


def test_the_resolve_classifies_its_switch(throwaway: None) -> None:
    """Switching it on restricts: the bound of the run without it is reused."""
    on, off = ModelParams(), _off()
    assert bound_carries_over(off, on, ["A"])
    assert loosening(on, off, ["A"]) == [f"families.{FAMILY} ({FAMILY}: restricts)"]
    first = solve(build(_instance(), _off()), EXACT)
    again = resolve(first, on, EXACT)
    assert again.result.extra["bound_reused"] is True
    assert again.result.objective == pytest.approx(757)


def test_a_family_without_a_rule_says_why(tmp_path: Path) -> None:
    """``unchecked=`` instead of a rule: the checker skips it, nothing else changes."""
    registry.family(FAMILY, on="restricts", reads={}, explain="never binding",
                    unchecked="a test family whose row never binds")(one_open)
    try:
        data = write_dataset(_instance(), tmp_path / "data")
        (tmp_path / "s.yaml").write_text(f"name: s\ndataset: {data}\n", encoding="utf-8")
        resolved = load_scenario(tmp_path / "s.yaml")
        folder = write_results(run(resolved), resolved, tmp_path / "out", excel=False)
        assert check_results(folder).ok
        assert "no rule: a test family whose row never binds" in render()
    finally:
        registry.unregister_family(FAMILY)


def test_the_row_block_table_check_notices_it(throwaway: None) -> None:
    """The guide's one documentation entry a test cannot write: the new row block is not in
    the row-block table of ``model/families/__init__.py``, and the check the guide names for
    that table (``tests/test_registry.py::test_row_blocks_are_named_quantity_and_bound``)
    fails on it."""
    import test_registry as registry_tests  # a module, so pytest does not collect it here

    with pytest.raises(AssertionError, match=BLOCK):
        registry_tests.test_row_blocks_are_named_quantity_and_bound()


def _guide_paths() -> set[str]:
    """The repository files docs/adding-a-family.md names in backticks (``file`` or
    ``file::name``), with ``<module>`` as written."""
    text = GUIDE.read_text(encoding="utf-8")
    return set(re.findall(r"`((?:[\w<>.-]+/)*[\w<>-]+\.(?:py|md|yaml)(?:::\w+)?)`", text))


def test_every_file_the_guide_names_exists() -> None:
    """The file lists of the guide hold for the layout as it is: every named file exists
    (``<module>`` stands for a family module, which exists in ``model/families`` and in
    ``specialeplan/checker/rules``), and every ``file::name`` defines that name. Bare file
    names in the prose are left out."""
    paths = _guide_paths()
    assert "specialeplan/checker/rules/<module>.py" in paths
    assert "model/families/volume.py" in paths
    assert not any(p.endswith("checker/rules.py") for p in paths), "rules.py is a package now"
    missing = []
    for entry in sorted(paths):
        path, _, name = entry.partition("::")
        if "/" not in path:  # a bare name in the prose ("`min_volume` is in `volume.py`")
            continue
        files = [ROOT / path.replace("<module>", m) for m in ("volume", "advisory")]
        for file in files:
            if not file.is_file():
                missing.append(entry)
            elif name and not re.search(rf"^\s*(def|class) {name}\b|^def {name}\b",
                                        file.read_text(encoding="utf-8"), flags=re.M):
                missing.append(f"{entry} (no {name} in it)")
    registry_tests = (ROOT / "tests" / "test_registry.py").read_text(encoding="utf-8")
    for name in re.findall(r"`::(\w+)`", GUIDE.read_text(encoding="utf-8")):  # its tests
        if not re.search(rf"^def {name}\b", registry_tests, flags=re.M):
            missing.append(f"tests/test_registry.py::{name}")
    assert not missing, f"docs/adding-a-family.md names what is not there: {missing}"


def test_the_walk_through_code_is_the_code() -> None:
    """The walk-through's two code blocks are copied verbatim from the family and its rule."""
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    sources = [ROOT / "model" / "families" / "volume.py",
               ROOT / "specialeplan" / "checker" / "rules" / "volume.py"]
    assert len(blocks) == len(sources)
    for block, source in zip(blocks, sources, strict=True):
        assert block in source.read_text(encoding="utf-8"), f"the guide's copy of {source}"


def test_nothing_is_left_behind() -> None:
    """Runs after the others (file order): the registry, the switches and the checker are as
    they were."""
    assert FAMILY not in FAMILIES and TERM not in TERMS
    assert FAMILY not in RULES and TERM not in TERM_RULES
    assert FAMILY not in ModelParams().families.model_dump()
    assert FAMILY not in render()
