"""Scenario files: declarative YAML, validated strictly, merged deterministically.

A scenario may ``extends:`` one or more other scenario files (paths relative to itself, or
names of the bundled scenarios such as ``base`` or ``base.yaml``; ``.yaml`` may be left
out). Merge order: the parents in the order listed (each fully resolved first), then the
file itself; mappings merge key by key, everything else
(lists included) is replaced. ``--set key.path=value`` overrides from the command line are
applied last, in the order given. The ordered chain of applied files and overrides is saved
with the results.

Files are UTF-8; a key given twice in one mapping is an error (naming the key and line), and
so is ``inf``/``nan`` where a finite number is meant. A file that does not set ``name:`` is
named after its file stem (a child scenario never inherits its parent's name, so it never
writes into the parent's results folder); names must be safe folder names.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from specialeplan.data.costs import check_override_names
from specialeplan.errors import RunFolderError, ScenarioError, did_you_mean
from specialeplan.model.params import ModelParams
from specialeplan.scenarios.names import check_folder_name
from specialeplan.scenarios.rollout import Rollout
from specialeplan.solvers.base import SolverOptions


class UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping (plain PyYAML keeps
    the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build the mapping; a duplicate key raises a ``ConstructorError`` at its line."""
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: SafeLoader reports it itself
                continue
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first given at line {first})",
                    key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def yaml_load(text: str) -> Any:
    """Parse YAML like ``yaml.safe_load``, but a duplicate key is an error."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


class Scenario(BaseModel):
    """One planning scenario (the top level of a scenario YAML file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(..., description="results go to OUT/<name>/; letters, digits, _ . - "
                      "(no leading dot); default: the scenario file's stem")
    description: str = ""
    extends: str | list[str] | None = Field(None, description="parent scenario file(s)")
    dataset: str = Field("denmark", description="'denmark' (bundled) or a folder of CSVs")
    model: ModelParams = Field(default_factory=ModelParams)
    solver: SolverOptions = Field(default_factory=SolverOptions)
    rollout: Rollout | None = Field(
        None, description="waves of a phased rollout (year -> specialer), planned by "
        "`specialeplan rollout`; `specialeplan run` ignores it")
    costs: dict[str, float | dict[str, float]] = Field(
        default_factory=dict, description="override the cost table (docs/costs.md), e.g. "
        "{km_rate: 3.5} or {price_residential: {default: 1.4e6, "
        "autisme_kommunikation_voksne: 1.6e6}} (by specialfunktion type); they price the "
        "objective and the reported costs")

    @field_validator("costs")
    @classmethod
    def _known_costs(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_override_names(value)
        return value

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        try:
            return check_folder_name(value, "scenario name")
        except RunFolderError as exc:
            raise ValueError(str(exc)) from None


@dataclass(frozen=True)
class ResolvedScenario:
    """A validated scenario plus where it came from."""

    scenario: Scenario
    path: Path | None
    chain: list[str] = field(default_factory=list)  # applied files and overrides, in order
    raw: dict[str, Any] = field(default_factory=dict)  # the merged mapping

    @property
    def base_dir(self) -> Path:
        """The folder relative paths in the scenario are taken from."""
        return self.path.parent if self.path is not None else Path.cwd()


def bundled_scenario_dir() -> Path:
    """The folder of the scenario files shipped with the package."""
    return Path(str(resources.files("specialeplan.scenarios")))


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge recursively; any other value in ``override`` replaces ``base``'s."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ScenarioError(f"scenario file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM (Notepad, Excel) is fine
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start} is "
                            f"0x{exc.object[exc.start]:02x}); save the file as UTF-8") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = yaml_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ScenarioError(f"{path}: malformed YAML{where}: "
                            f"{getattr(exc, 'problem', exc)}") from None
    if data is None:
        raise ScenarioError(f"{path}: the file is empty")
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    return data


def _candidates(ref: str, base_dir: Path) -> list[Path]:
    """Where a scenario reference may live: as given (relative to ``base_dir``), with
    ``.yaml`` added, then the same two among the bundled scenarios."""
    given = Path(ref)
    names = [given] if given.suffix in (".yaml", ".yml") else [given, Path(f"{ref}.yaml")]
    out = [p if p.is_absolute() else base_dir / p for p in names]
    if not given.is_absolute() and len(given.parts) == 1:
        out += [bundled_scenario_dir() / p for p in names]
    return out


def locate_scenario(ref: str | Path, base_dir: Path | None = None) -> Path:
    """The scenario file ``ref`` names: a path (relative to ``base_dir``, default the current
    folder) with or without ``.yaml``, or the name of a bundled scenario (``base``,
    ``small.yaml``). :class:`ScenarioError` listing where it looked when there is none."""
    base_dir = Path.cwd() if base_dir is None else base_dir
    for candidate in _candidates(str(ref), base_dir):
        if candidate.is_file():
            return candidate
    bundled = sorted(p.stem for p in bundled_scenario_dir().glob("*.yaml"))
    raise ScenarioError(f"cannot find scenario {str(ref)!r} (looked in {base_dir} and the "
                        f"bundled scenarios: {', '.join(bundled)})."
                        + did_you_mean(Path(str(ref)).stem, bundled))


def _locate(ref: str, referrer: Path) -> Path:
    try:
        return locate_scenario(ref, referrer.parent)
    except ScenarioError as exc:
        raise ScenarioError(f"{referrer}: extends: {exc}") from None


def _resolve_raw(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], list[str]]:
    path = path.resolve()
    if path in seen:
        cycle = " -> ".join(p.name for p in (*seen, path))
        raise ScenarioError(f"extends: cycle {cycle}")
    data = _read_yaml(path)
    parents = data.get("extends") or []
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise ScenarioError(f"{path}: 'extends' must be a file name or a list of them")
    merged: dict[str, Any] = {}
    chain: list[str] = []
    for ref in parents:
        praw, pchain = _resolve_raw(_locate(ref, path), (*seen, path))
        merged = deep_merge(merged, praw)
        chain += pchain
    merged = deep_merge(merged, data)
    if "name" not in data:  # never inherit a parent's name (and so its results folder)
        merged["name"] = path.stem
    return merged, [*chain, str(path)]


def parse_override(text: str) -> dict[str, Any]:
    """``a.b.c=value`` → nested mapping; the value is parsed as YAML (numbers, lists, null)."""
    if "=" not in text:
        raise ScenarioError(f"override {text!r} must look like key.path=value")
    key, value = text.split("=", 1)
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise ScenarioError(f"override {text!r} has an empty key")
    try:
        parsed = yaml_load(value) if value.strip() else None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"override {text!r}: value is not valid YAML "
                            f"({getattr(exc, 'problem', exc)})") from None
    out: dict[str, Any] = parsed
    for part in reversed(parts):
        out = {part: out}
    return out


def validate_mapping(raw: dict[str, Any], source: str) -> Scenario:
    """Validate a merged mapping; pydantic's errors become one readable ScenarioError."""
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"])
            got = err.get("input")
            hint = f" (got {got!r})" if not isinstance(got, dict | list) and got is not None else ""
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"  {loc}: {msg}{hint}")
        raise ScenarioError(f"{source}: invalid scenario\n" + "\n".join(lines)) from None


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> ResolvedScenario:
    """Read, merge (``extends``), apply ``overrides`` and validate a scenario file.

    ``path`` may also name a bundled scenario (``small``, ``base.yaml``) when no such file
    exists."""
    path = Path(path)
    if not path.is_file():  # a bundled scenario by name (``small``, ``base.yaml``)
        path = locate_scenario(path)
    raw, chain = _resolve_raw(path, ())
    for text in overrides or []:
        raw = deep_merge(raw, parse_override(text))
        chain.append(f"--set {text}")
    raw.pop("extends", None)
    scenario = validate_mapping(raw, str(path))
    return ResolvedScenario(scenario=scenario, path=path.resolve(), chain=chain, raw=raw)
