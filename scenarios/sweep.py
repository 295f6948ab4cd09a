"""Sweep files: many variations of one scenario, declared in YAML and validated strictly.

A sweep file names a base scenario and either a **grid** (the cartesian product of
``--set``-style keys and value lists) or named **runs** (each a mapping of overrides)::

    name: volume-x-travel
    scenario: small.yaml            # relative to this file, or a bundled scenario
    set: {solver.time_limit: 60}    # applied to every run
    grid:                           # cartesian product, the last key varying fastest
      model.defaults.min_cases: [15, 20, 25]
      model.defaults.max_travel_minutes: [210, 150]

Every run gets a readable name (``min_cases=20,max_travel_minutes=150``: :func:`grid_runs`,
or the name given under ``runs:``); names are safe folder names
(:func:`~specialeplan.scenarios.names.check_folder_name`). This module is the file's schema,
beside the scenario schema (:mod:`specialeplan.scenarios.schema`); resolving the runs and
running them is :mod:`specialeplan.analyses.sweep`.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from specialeplan.errors import RunFolderError, ScenarioError, did_you_mean
from specialeplan.scenarios.names import check_folder_name
from specialeplan.scenarios.schema import bundled_scenario_dir, yaml_load

__all__ = ["SweepSpec", "bundled_sweep", "grid_runs", "read_sweep_spec"]


def _folder_name(value: str, what: str) -> str:
    """``value`` if it is a safe folder name; a ``ValueError`` (pydantic's error) otherwise."""
    try:
        return check_folder_name(value, what)
    except RunFolderError as exc:
        raise ValueError(str(exc)) from None


# ----------------------------------------------------------------------------- the file
class SweepSpec(BaseModel):
    """A sweep file (see the module docstring). Exactly one of ``grid`` and ``runs``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(..., description="results go to OUT/<name>/")
    description: str = ""
    scenario: str = Field(..., description="the base scenario: a file relative to the sweep "
                          "file, or a bundled scenario name")
    set: dict[str, Any] = Field(default_factory=dict, description="key.path: value, applied "
                                "to every run")
    grid: dict[str, list[Any]] | None = Field(
        None, description="key.path: [values]; the cartesian product, last key fastest")
    runs: dict[str, dict[str, Any]] | None = Field(
        None, description="run name: {key.path: value}; the runs, in this order")
    reuse: bool = Field(True, description="solve a run that restricts an earlier one from "
                        "that run's plan and bound (api.resolve)")
    excel: bool = Field(True, description="write results.xlsx in every run folder")

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        return _folder_name(value, "sweep name")

    @field_validator("grid")
    @classmethod
    def _grid(cls, value: dict[str, list[Any]] | None) -> dict[str, list[Any]] | None:
        if value is None:
            return value
        if not value:
            raise ValueError("lists no key; give at least one key with a list of values")
        for key, values in value.items():
            _check_key(key)
            if not values:
                raise ValueError(f"{key}: the list of values is empty")
        return value

    @field_validator("set")
    @classmethod
    def _set(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            _check_key(key)
        return value

    @field_validator("runs")
    @classmethod
    def _runs(cls, value: dict[str, dict[str, Any]] | None
              ) -> dict[str, dict[str, Any]] | None:
        if value is None:
            return value
        if not value:
            raise ValueError("lists no run")
        for name, overrides in value.items():
            _folder_name(str(name), "run name")
            for key in overrides or {}:
                _check_key(key)
        return value

    @model_validator(mode="after")
    def _one_of(self) -> SweepSpec:
        if (self.grid is None) == (self.runs is None):
            raise ValueError("give either 'grid' (a cartesian product) or 'runs' (named "
                             "overrides), not both and not neither")
        return self


def _check_key(key: str) -> None:
    parts = str(key).split(".")
    if not all(parts) or parts[0] not in ("model", "solver", "dataset", "description"):
        raise ValueError(f"{key!r} is not a scenario key path (e.g. model.defaults.min_cases "
                         "or solver.time_limit)")


def _format_value(value: Any) -> str | None:
    """A value as it appears in a run name; None when it has no short readable form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str) and value and all(c.isascii() and (c.isalnum() or c in "_.-")
                                                for c in value):
        return value
    return None


def _labels(keys: list[str]) -> dict[str, str]:
    """The shortest unambiguous label per key: its last part, else more of the path."""
    out: dict[str, str] = {}
    for key in keys:
        parts = key.split(".")
        for n in range(1, len(parts) + 1):
            label = ".".join(parts[-n:])
            if sum(k.split(".")[-n:] == parts[-n:] for k in keys) == 1:
                out[key] = label
                break
        else:  # pragma: no cover - keys are unique
            out[key] = key
    return out


def grid_runs(grid: dict[str, list[Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(name, values) of every grid point, in order; names ``label=value,...`` (a value
    without a short form is shown by its position, ``v2``)."""
    keys = list(grid)
    labels = _labels(keys)
    out, seen = [], set()
    for combo in itertools.product(*(list(enumerate(grid[k])) for k in keys)):
        parts = []
        for key, (i, value) in zip(keys, combo, strict=True):
            shown = _format_value(value)
            parts.append(f"{labels[key]}={shown if shown is not None else f'v{i + 1}'}")
        name = ",".join(parts)
        try:
            check_folder_name(name)
        except RunFolderError:
            name = f"run{len(out) + 1:03d}"
        base, n = name, 1
        while name in seen:
            n += 1
            name = f"{base}-{n}"
        seen.add(name)
        out.append((name, {k: v for k, (_, v) in zip(keys, combo, strict=True)}))
    return out


def bundled_sweep(path: str | Path) -> Path:
    """``path`` when it is a file, else the bundled sweep of that name (``demand_growth`` or
    ``demand_growth.yaml`` in ``scenarios/sweeps/``); a clear error otherwise."""
    path = Path(path)
    if path.is_file():
        return path
    folder = bundled_scenario_dir() / "sweeps"
    bundled = folder / f"{path.stem}.yaml"
    if path.parent == Path(".") and bundled.is_file():
        return bundled
    names = sorted(p.stem for p in folder.glob("*.yaml"))
    raise ScenarioError(f"sweep file not found: {path} (bundled sweeps: {', '.join(names)})."
                        + did_you_mean(path.stem, names))


def read_sweep_spec(path: str | Path) -> tuple[SweepSpec, Path]:
    """Read and validate a sweep file (a path, or a bundled sweep's name: :func:`bundled_sweep`);
    the spec and the file it came from. :class:`ScenarioError` naming every invalid field."""
    path = bundled_sweep(path)
    try:
        raw = yaml_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: not a readable YAML file: {exc}") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: top level must be a mapping")
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(x) for x in e['loc']) or '(top)'}: "
                 f"{str(e['msg']).removeprefix('Value error, ')}" for e in exc.errors()]
        raise ScenarioError(f"{path}: invalid sweep file\n" + "\n".join(lines)) from None
    return spec, path
