"""The cost table in kroner (``costs.csv``) and the central refusion tiers
(``refusion_tiers.csv``): read, validated and overridden by a scenario.

Both files are bundled with the Denmark dataset (``data/denmark/``); a dataset folder may
carry its own (each file separately: one it lacks is taken from the bundle). Every value,
its unit and its source are listed in ``docs/costs.md``. They price the objective in DKK
per year (:mod:`specialeplan.model.pricing`) and the reported costs (``kpis.json →
cost_dkk``, ``financing.csv``).

``costs.csv``: ``parameter, speciale, value, unit, source, note``. ``speciale`` is optional
(column or cell empty = the default row); only :data:`PER_SPECIALE` parameters may have
per-speciale rows, which override the default for that speciale. Every parameter of
:data:`PARAMETERS` needs a default row.

``refusion_tiers.csv``: ``lower_dkk, upper_dkk, rate, source``; ``upper_dkk`` empty = no
upper bound. Tiers apply to one case's annual cost and may not overlap.

Every problem is a :class:`DataValidationError` naming file, row (header = row 1) and field.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from specialeplan.errors import DataValidationError, ScenarioError, did_you_mean
from specialeplan.model.instance import excel_row

COSTS_FILE = "costs.csv"
TIERS_FILE = "refusion_tiers.csv"

#: every parameter of ``costs.csv`` → its unit (docs/costs.md)
PARAMETERS: dict[str, str] = {
    "price_residential": "DKK per borgerforløb per year",
    "price_outreach": "DKK per borgerforløb per year",
    "designation_cost_unit": "DKK per unit of competence.csv designation_cost",
    "advisory_cost_unit": "DKK per unit of competence.csv advisory_cost",
    "km_rate": "DKK per km",
    "road_speed_kmh": "km per hour",
    "value_of_time": "DKK per person-hour",
    "family_visits_per_year": "visits per borgerforløb per year",
    "outreach_visits_per_year": "staff visits per borgerforløb per year",
    "staff_hourly_cost": "DKK per staff hour",
    "unmet_alternative_cost": "DKK per borgerforløb per year",
    "unmet_quality_penalty": "DKK per borgerforløb per year",
    "reach_shortfall_penalty": "DKK per municipality and speciale per year",
    "change_cost": "DKK per designation that differs from today's",
    "near_family_cost": "DKK per borgerforløb helped near the family per year",
    "move_cost": "DKK per borgerforløb of today's caseload moved",
    "equity_value_per_minute": "DKK per minute of the worst-off municipalities' mean family "
                               "travel per year",
    "expansion_investment_per_place": "DKK per place built",
    "capacity_annuity_rate": "share per year",
    "capacity_lifetime_years": "years",
}
#: parameters that are stated value judgements, not costs anyone pays (reported apart)
PENALTIES = ("unmet_quality_penalty", "reach_shortfall_penalty", "equity_value_per_minute")
#: parameters that may have per-speciale rows (the price by delivery mode)
PER_SPECIALE = ("price_residential", "price_outreach")
#: assignments.mode → the price parameter of that delivery mode
PRICE_OF_MODE = {"physical": "price_residential", "outreach": "price_outreach"}

COST_COLUMNS = ["parameter", "function", "value", "unit", "source", "note"]
TIER_COLUMNS = ["lower_dkk", "upper_dkk", "rate", "source"]


def bundled_costs_dir() -> Path:
    """The folder of the bundled cost files (the Denmark dataset)."""
    return Path(__file__).resolve().parent / "denmark"


def _read(path: Path, required: list[str]) -> pd.DataFrame:
    where = str(path)
    if not path.is_file():
        raise DataValidationError("required file is missing", file=where)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"cannot read file as UTF-8 text: {exc}", file=where) from exc
    if not text.strip():
        raise DataValidationError("file is empty (no header row)", file=where)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""],
                         skipinitialspace=True)
    except pd.errors.ParserError as exc:
        raise DataValidationError(f"not a valid CSV: {exc}", file=where) from exc
    df.columns = [str(c).strip() for c in df.columns]
    if "speciale" in df.columns and "function" not in df.columns:  # before issue 22
        df = df.rename(columns={"speciale": "function"})
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataValidationError(f"missing column(s) {missing}", file=where, field=missing[0])
    if df.empty:
        raise DataValidationError("no data rows (only a header)", file=where, row=2)
    return df


def _number(df: pd.DataFrame, i: int, col: str, where: str, *, empty_ok: bool = False
            ) -> float:
    raw = df[col].iloc[i]
    if pd.isna(raw) or not str(raw).strip():
        if empty_ok:
            return math.inf
        raise DataValidationError("missing value (expected a number)", file=where,
                                  row=excel_row(i), field=col)
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise DataValidationError(f"expected a number, got {raw!r}", file=where,
                                  row=excel_row(i), field=col) from None
    if not math.isfinite(value):
        raise DataValidationError(f"expected a finite number, got {raw!r}", file=where,
                                  row=excel_row(i), field=col)
    if value < 0:
        raise DataValidationError(f"must be >= 0, got {raw!r}", file=where, row=excel_row(i),
                                  field=col)
    return value


def _text(df: pd.DataFrame, i: int, col: str) -> str:
    if col not in df.columns:
        return ""
    raw = df[col].iloc[i]
    return "" if pd.isna(raw) else str(raw).strip()


def read_costs(path: Path | str, specialer: set[str] | None = None, *,
               complete: bool = True) -> pd.DataFrame:
    """``costs.csv`` validated, as :data:`COST_COLUMNS` (``speciale`` "" on default rows).
    ``specialer``: the known specialer (a per-speciale row for another one is an error).
    ``complete=False`` accepts a table without some parameters (a results folder of an
    earlier version, read by the checker)."""
    path = Path(path)
    where = str(path)
    df = _read(path, ["parameter", "value", "unit", "source"])
    rows, seen = [], {}
    for i in range(len(df)):
        name = _text(df, i, "parameter")
        if not name:
            raise DataValidationError("empty parameter name", file=where, row=excel_row(i),
                                      field="parameter")
        if name not in PARAMETERS:
            raise DataValidationError(
                f"unknown cost parameter {name!r}.{did_you_mean(name, PARAMETERS)} Known: "
                f"{', '.join(PARAMETERS)}", file=where, row=excel_row(i), field="parameter")
        speciale = _text(df, i, "function")
        if speciale and name not in PER_SPECIALE:
            raise DataValidationError(
                f"{name} has one value for all specialfunktioner (only "
                f"{', '.join(PER_SPECIALE)} may have rows per function); leave function "
                "empty", file=where,
                row=excel_row(i), field="function")
        if speciale and specialer is not None and speciale not in specialer:
            raise DataValidationError(
                f"unknown specialfunktion {speciale!r}.{did_you_mean(speciale, specialer)}",
                file=where, row=excel_row(i), field="function")
        value = _number(df, i, "value", where)
        for col in ("unit", "source"):
            if not _text(df, i, col):
                raise DataValidationError(
                    f"empty {col}: every cost needs a {col} ('assumption: …' where no public "
                    "figure exists)", file=where, row=excel_row(i), field=col)
        if (name, speciale) in seen:
            raise DataValidationError(
                f"{name}{f' for {speciale}' if speciale else ''} is already given in row "
                f"{seen[(name, speciale)]}", file=where, row=excel_row(i), field="parameter")
        seen[(name, speciale)] = excel_row(i)
        rows.append({"parameter": name, "function": speciale, "value": value,
                     "unit": _text(df, i, "unit"), "source": _text(df, i, "source"),
                     "note": _text(df, i, "note")})
    missing = [p for p in PARAMETERS if (p, "") not in seen]
    if missing and complete:
        raise DataValidationError(
            f"no default row (speciale empty) for parameter(s) {missing}", file=where,
            field="parameter")
    return pd.DataFrame(rows, columns=COST_COLUMNS)


def read_tiers(path: Path | str) -> pd.DataFrame:
    """``refusion_tiers.csv`` validated and sorted by ``lower_dkk`` (``upper_dkk`` inf when
    empty): each tier's upper bound above its lower one, rates in [0, 1], no overlap."""
    path = Path(path)
    where = str(path)
    df = _read(path, TIER_COLUMNS[:3])
    rows = []
    for i in range(len(df)):
        lower = _number(df, i, "lower_dkk", where)
        upper = _number(df, i, "upper_dkk", where, empty_ok=True)
        rate = _number(df, i, "rate", where)
        if rate > 1:
            raise DataValidationError(f"a refusion rate is a share in [0, 1], got {rate:g}",
                                      file=where, row=excel_row(i), field="rate")
        if upper <= lower:
            raise DataValidationError(f"upper_dkk {upper:g} must be above lower_dkk {lower:g}",
                                      file=where, row=excel_row(i), field="upper_dkk")
        rows.append((lower, upper, rate, _text(df, i, "source"), excel_row(i)))
    rows.sort(key=lambda r: r[0])
    for prev, cur in zip(rows, rows[1:], strict=False):
        if cur[0] < prev[1]:
            raise DataValidationError(
                f"tier {cur[0]:g}–{cur[1]:g} overlaps the tier {prev[0]:g}–{prev[1]:g} "
                f"of row {prev[4]}", file=where, row=cur[4], field="lower_dkk")
    return pd.DataFrame([r[:4] for r in rows], columns=TIER_COLUMNS)


@dataclass(frozen=True)
class CostTable:
    """The cost parameters (:data:`COST_COLUMNS`) and the refusion tiers
    (:data:`TIER_COLUMNS`) of one run."""

    costs: pd.DataFrame
    tiers: pd.DataFrame

    @cached_property
    def _values(self) -> dict[tuple[str, str], float]:
        return {(p, s): float(v) for p, s, v in self.costs[
            ["parameter", "function", "value"]].itertuples(index=False)}

    def value(self, parameter: str, speciale: str = "") -> float:
        """The parameter's value for ``speciale`` (its own row, else the default)."""
        values = self._values
        return values.get((parameter, speciale), values[(parameter, "")])

    def price(self, mode: str, speciale: str) -> float:
        """DKK per borgerforløb per year of ``speciale`` delivered in ``mode``
        (``physical``: residential place, ``outreach``: outreach team)."""
        return self.value(PRICE_OF_MODE[mode], speciale)

    def refund(self, cost_per_case: np.ndarray | float) -> np.ndarray:
        """Central refusion of one case with annual cost ``cost_per_case``: Σ over the
        tiers of rate × the part of the cost inside the tier."""
        cost = np.asarray(cost_per_case, dtype=float)
        out = np.zeros_like(cost)
        for lower, upper, rate in self.tiers[["lower_dkk", "upper_dkk", "rate"]].itertuples(
                index=False):
            out += rate * np.clip(np.minimum(cost, upper) - lower, 0.0, None)
        return out


def load_tiers(tiers_path: Path | str | None = None) -> pd.DataFrame:
    """The refusion tiers from the given file (None = the bundled one)."""
    return read_tiers(tiers_path or bundled_costs_dir() / TIERS_FILE)


def load_costs(costs_path: Path | str | None = None, tiers_path: Path | str | None = None,
               specialer: set[str] | None = None) -> CostTable:
    """The cost table from the given files (None = the bundled one)."""
    return CostTable(read_costs(costs_path or bundled_costs_dir() / COSTS_FILE, specialer),
                     load_tiers(tiers_path))


def dataset_cost_files(directory: Path | str) -> dict[str, str]:
    """``{"costs": path, "refusion_tiers": path}``: the dataset folder's own files where it
    has them, else the bundled ones."""
    directory, bundled = Path(directory), bundled_costs_dir()
    return {name: str(directory / f if (directory / f).is_file() else bundled / f)
            for name, f in (("costs", COSTS_FILE), ("refusion_tiers", TIERS_FILE))}


def check_override_names(overrides: Mapping[str, object]) -> None:
    """Raise :class:`ValueError` (with did-you-mean) for an unknown parameter name or a
    per-speciale mapping of a parameter that has one value for all specialer."""
    for name, value in overrides.items():
        if name not in PARAMETERS:
            raise ValueError(f"unknown cost parameter {name!r}.{did_you_mean(name, PARAMETERS)}"
                             f" Known: {', '.join(PARAMETERS)}")
        if isinstance(value, Mapping) and name not in PER_SPECIALE:
            raise ValueError(f"costs.{name} is one number for all specialer (only "
                             f"{', '.join(PER_SPECIALE)} take a mapping by speciale)")


def with_overrides(table: CostTable, overrides: Mapping[str, float | Mapping[str, float]],
                   specialer: set[str] | None = None) -> CostTable:
    """``table`` with a scenario's ``costs:`` applied: ``{parameter: value}`` replaces the
    default row; ``{price_…: {speciale: value, default: value}}`` sets per-speciale rows
    (``default`` the default row). The source of a changed row says so."""
    check_override_names(overrides)
    c = table.costs.copy()
    for name, spec in overrides.items():
        items = spec.items() if isinstance(spec, Mapping) else [("default", spec)]
        for s, value in items:
            s = "" if s == "default" else str(s)
            if s and specialer is not None and s not in specialer:
                raise ScenarioError(f"costs.{name}: unknown speciale {s!r}."
                                    f"{did_you_mean(s, specialer)}")
            if float(value) < 0 or not math.isfinite(float(value)):
                raise ScenarioError(f"costs.{name}: must be a finite number >= 0, got {value}")
            hit = (c["parameter"] == name) & (c["function"] == s)
            src = "scenario override (costs: in the scenario)"
            if hit.any():
                was = float(c.loc[hit, "value"].iloc[0])
                c.loc[hit, ["value", "source", "note"]] = [float(value), src,
                                                           f"the cost table said {was:g}"]
            else:
                c.loc[len(c)] = {"parameter": name, "function": s, "value": float(value),
                                 "unit": PARAMETERS[name], "source": src, "note": ""}
    return CostTable(c.reset_index(drop=True), table.tiers)


def run_cost_table(sources: Mapping[str, str], overrides: Mapping[str, Any],
                   specialer: set[str]) -> CostTable:
    """The cost table of a run: the files an instance's ``sources`` name (``costs``,
    ``refusion_tiers``; else the bundled ones) with a scenario's ``costs:`` applied.
    Called before the solve (a bad override fails at once) and by the writer."""
    table = load_costs(sources.get("costs"), sources.get("refusion_tiers"))
    return with_overrides(table, overrides, specialer)
