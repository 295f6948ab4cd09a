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
    assert sc.model.specialer == ["spiseforstyrrelser", "misbrug_psykiske_vanskeligheder"]
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
