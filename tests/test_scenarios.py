"""Scenario files: merging, overrides and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from specialeplan.errors import ScenarioError
from specialeplan.scenarios.schema import bundled_scenario_dir, deep_merge, load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_scenarios_validate() -> None:
    for path in sorted(SCENARIOS.glob("*.yaml")):
        resolved = load_scenario(path)
        assert resolved.scenario.name
    assert (bundled_scenario_dir() / "base.yaml").is_file()


def test_extends_merges_mappings_and_replaces_lists(tmp_path: Path) -> None:
    write(tmp_path / "parent.yaml", """
name: parent
model:
  defaults: {min_cases: 20, max_travel_minutes: 200}
  keep_today: [regional]
solver: {time_limit: 100}
""")
    child = write(tmp_path / "child.yaml", """
name: child
extends: parent.yaml
model:
  defaults: {min_cases: 25}
  keep_today: []
""")
    resolved = load_scenario(child, ["solver.mip_rel_gap=0.01", "model.demand_growth=1.1"])
    sc = resolved.scenario
    assert sc.name == "child"
    assert sc.model.defaults.min_cases == 25
    assert sc.model.defaults.max_travel_minutes == 200  # inherited key by key
    assert sc.model.keep_today == []  # lists are replaced, not appended
    assert sc.solver.time_limit == 100 and sc.solver.mip_rel_gap == 0.01
    assert sc.model.demand_growth == pytest.approx(1.1)
    assert [Path(c).name for c in resolved.chain[:2]] == ["parent.yaml", "child.yaml"]
    assert resolved.chain[2:] == ["--set solver.mip_rel_gap=0.01", "--set model.demand_growth=1.1"]


def test_small_extends_bundled_base() -> None:
    sc = load_scenario(SCENARIOS / "small.yaml").scenario
    assert sc.model.specialer is None
    assert sc.model.functions == ["spiseforstyrrelser", "misbrug_psykiske_vanskeligheder"]
    assert load_scenario(SCENARIOS / "national_2030.yaml").scenario.model.specialer is None
    assert sc.model.defaults.min_cases == load_scenario(
        SCENARIOS / "base.yaml").scenario.model.defaults.min_cases


@pytest.mark.parametrize(("text", "match"), [
    ("name: x\nmodel: {weights: {travl: 1}}\n", r"model\.weights\.travl: Extra inputs"),
    ("name: x\nsolver: {time_limit: soon}\n", r"solver\.time_limit.*got 'soon'"),
    ("name: x\nmodel: {defaults: {min_cases: -3}}\n", r"model\.defaults\.min_cases"),
    ("name: x\nfoo: 1\n", r"foo: Extra inputs"),
    ("name: x\nmodel: {a: 1\nsolver: 2\n", r"malformed YAML at line \d+, column \d+"),
    ("- just\n- a list\n", r"top level must be a mapping"),
    ("", r"the file is empty"),
    ("name: bad name!\n", r"name: .*not a safe folder name"),
    ("name: x\nextends: nowhere.yaml\n", r"cannot find scenario 'nowhere.yaml'"),
])
def test_bad_scenarios_are_rejected_with_location(tmp_path: Path, text: str, match: str) -> None:
    path = write(tmp_path / "bad.yaml", text)
    with pytest.raises(ScenarioError, match=match) as info:
        load_scenario(path)
    assert "bad.yaml" in str(info.value)


def test_extends_cycle(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "name: a\nextends: b.yaml\n")
    write(tmp_path / "b.yaml", "name: b\nextends: a.yaml\n")
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(tmp_path / "a.yaml")


def test_bad_override() -> None:
    with pytest.raises(ScenarioError, match="key.path=value"):
        load_scenario(SCENARIOS / "small.yaml", ["solver.time_limit"])


def test_deep_merge_does_not_mutate() -> None:
    base = {"a": {"b": 1, "c": [1]}}
    out = deep_merge(base, {"a": {"c": [2]}})
    assert out == {"a": {"b": 1, "c": [2]}} and base == {"a": {"b": 1, "c": [1]}}


def test_duplicate_keys_are_errors_naming_key_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "dup.yaml", "name: x\nmodel:\n  defaults: {min_cases: 1}\n"
                                        "  demand_growth: 1.1\n  demand_growth: 1.2\n")
    with pytest.raises(ScenarioError, match=r"line 5.*duplicate key 'demand_growth' \(first "
                                            r"given at line 4\)"):
        load_scenario(path)


def test_non_utf8_file_gets_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes("name: x\ndescription: Ærø\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match=r"not UTF-8 text \(byte 21 is 0xc6\)"):
        load_scenario(path)


def test_utf8_with_bom_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("name: x\ndescription: Ærø\n".encode("utf-8-sig"))
    assert load_scenario(path).scenario.description == "Ærø"


def test_name_defaults_to_the_file_stem_never_the_parents(tmp_path: Path) -> None:
    write(tmp_path / "parent.yaml", "name: parent\nmodel: {demand_growth: 1.1}\n")
    write(tmp_path / "child.yaml", "extends: parent.yaml\n")
    write(tmp_path / "nameless.yaml", "model: {demand_growth: 1.1}\n")
    assert load_scenario(tmp_path / "child.yaml").scenario.name == "child"
    assert load_scenario(tmp_path / "nameless.yaml").scenario.name == "nameless"
    assert load_scenario(tmp_path / "child.yaml", ["name=other"]).scenario.name == "other"
    bundled = load_scenario(SCENARIOS / "small.yaml").scenario.name  # sets its own
    assert bundled == "small"


@pytest.mark.parametrize(("override", "match"), [
    ("model.demand_growth=.inf", r"model\.demand_growth: Input should be a finite number"),
    ("model.defaults.min_cases=.nan", r"model\.defaults\.min_cases: .*finite"),
    ("model.per_speciale.misbrug.reach_minutes=.inf", r"reach_minutes: .*finite"),
    ("model.specialer=[]", r"model\.specialer: lists no speciale"),
    ("name=..", r"name: scenario name '\.\.' is not a safe folder name"),
])
def test_non_finite_and_unsafe_values_are_rejected(override: str, match: str) -> None:
    with pytest.raises(ScenarioError, match=match):
        load_scenario(SCENARIOS / "small.yaml", [override])
