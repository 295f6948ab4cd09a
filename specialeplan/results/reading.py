"""Read a results folder against its file contract (:mod:`specialeplan.results.contract`).

Every problem with a file (missing, garbled, a missing column, a wrong type, a duplicate key
in an input table) is a :class:`DataValidationError` naming the file, the row as a planner
sees it in a spreadsheet and the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import ValidationError

from specialeplan.errors import DataValidationError
from specialeplan.model.families import TERMS
from specialeplan.model.instance import parse_bool
from specialeplan.model.params import ModelParams
from specialeplan.results.contract import (
    INSTANCE_TABLES,
    KPI_ALIASES,
    KPIS,
    OPTIONAL_INSTANCE_TABLES,
    RESOLVED_SCENARIO,
    RESULT_TABLES,
    SPECIALE_PARAMS_OPTIONAL,
    TableContract,
)

#: files renamed by issue 22 (specialfunktion types): today's name → the earlier one
LEGACY_FILES = {"instance/function_params.csv": "instance/speciale_params.csv"}


def _first_bad(mask: pd.Series) -> int:
    return int(np.flatnonzero(mask.to_numpy())[0]) + 2  # Excel row: header is row 1


def read_csv(folder: Path, contract: TableContract) -> pd.DataFrame:
    """Read one table and coerce its columns to the contract's kinds."""
    rel = contract.file
    path = folder / rel
    legacy = LEGACY_FILES.get(rel)
    if not path.is_file() and legacy is not None and (folder / legacy).is_file():
        rel, path = legacy, folder / legacy  # a folder written before issue 22
    if not path.is_file():
        if contract.optional:  # written since a later version: an empty table
            return pd.DataFrame({c: pd.Series(dtype=str if k in ("id", "text") else float)
                                 for c, k in contract.columns.items()})
        raise DataValidationError("missing file in the results folder", file=rel)
    text_cols = {c: str for c, kind in contract.columns.items() if kind in ("id", "text")}
    try:
        df = pd.read_csv(path, dtype=text_cols, keep_default_na=False, na_values=[""],
                         encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise DataValidationError("file is empty (no header row)", file=rel) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataValidationError(f"cannot parse CSV: {exc}", file=rel) from None
    if "function" in contract.columns and "function" not in df.columns and (
            "speciale" in df.columns):  # written before issue 22: one function per speciale
        if "speciale" in contract.columns:  # reach.csv: the adviser's function = speciale
            df["function"] = df["speciale"].astype(str).where(
                df.get("advisory_provider_id", pd.Series("x", index=df.index)).notna(), "")
        else:
            df = df.rename(columns={"speciale": "function"})
            df["function"] = df["function"].astype(str)
    if "advisory_function" in contract.columns and "advisory_function" not in df.columns:
        df["advisory_function"] = df["function"]  # before issue 22: the citizen's own
    missing = [c for c in contract.columns if c not in df.columns]
    if missing:
        raise DataValidationError(
            f"missing required column(s) {missing}; found {list(df.columns)}",
            file=rel, field=missing[0])
    for col, kind in contract.columns.items():
        s = df[col]
        if kind in ("id", "text"):
            if kind == "id" and s.isna().any():
                raise DataValidationError("empty identifier", file=rel,
                                          row=_first_bad(s.isna()), field=col)
            df[col] = s.fillna("").astype(str).str.strip()
        elif kind in ("num", "num?"):
            num = pd.to_numeric(s, errors="coerce")
            bad = num.isna() & s.notna()
            if kind == "num":
                bad |= s.isna()
            if bad.any():
                i = _first_bad(bad)
                raise DataValidationError(f"expected a number, got {s.iloc[i - 2]!r}",
                                          file=rel, row=i, field=col)
            df[col] = num.astype(float)
        else:  # bool
            mapped = s.map(parse_bool)
            if mapped.isna().any():
                i = _first_bad(mapped.isna())
                raise DataValidationError(f"expected true/false or 0/1, got {s.iloc[i - 2]!r}",
                                          file=rel, row=i, field=col)
            df[col] = mapped.astype(bool)
    return df


def read_results(folder: Path) -> dict[str, pd.DataFrame]:
    """The result tables (designations, assignments, coverage, reach)."""
    return {name: read_csv(folder, c) for name, c in RESULT_TABLES.items()}


def read_instance(folder: Path) -> dict[str, pd.DataFrame]:
    """The solved inputs under ``instance/``; duplicate keys are an error. Optional columns
    of ``function_params.csv`` (``backup_minutes``, ``residential_share``) are read as
    numbers when present; the optional tables (``delivery_need``) when their file is there."""
    out = {}
    optional = {n: c for n, c in OPTIONAL_INSTANCE_TABLES.items() if (folder / c.file).is_file()}
    for name, contract in {**INSTANCE_TABLES, **optional}.items():
        df = read_csv(folder, contract)
        if name == "function_params":
            for col in SPECIALE_PARAMS_OPTIONAL:
                if col in df.columns:
                    num = pd.to_numeric(df[col], errors="coerce")
                    bad = num.isna() & df[col].notna()
                    if bad.any():
                        raise DataValidationError(
                            f"expected a number, got {df[col][bad].iloc[0]!r}",
                            file=contract.file, row=_first_bad(bad), field=col)
                    df[col] = num.astype(float)
        dup = df.duplicated(contract.keys)
        if dup.any():
            raise DataValidationError("duplicate key", file=contract.file, row=_first_bad(dup),
                                      field=contract.keys[-1])
        out[name] = df
    return out


def read_params(folder: Path) -> ModelParams:
    """The ``model`` section of the resolved scenario, validated."""
    path = folder / RESOLVED_SCENARIO
    if not path.is_file():
        raise DataValidationError("missing file in the results folder", file=RESOLVED_SCENARIO)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"cannot parse YAML: {exc}", file=RESOLVED_SCENARIO) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("model"), dict):
        raise DataValidationError("no 'model' mapping", file=RESOLVED_SCENARIO, field="model")
    try:
        return ModelParams.model_validate(doc["model"])
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in ("model", *err["loc"]))
        raise DataValidationError(err["msg"], file=RESOLVED_SCENARIO, field=loc) from None


def current_kpi_names(kpis: dict[str, Any]) -> dict[str, Any]:
    """``kpis`` with the keys of earlier versions renamed to today's
    (:data:`~specialeplan.results.contract.KPI_ALIASES`), at the top level and in each
    ``per_function`` record (``per_speciale`` before issue 22); where both names are
    present, today's wins."""

    def rename(rec: dict[str, Any]) -> dict[str, Any]:
        return {KPI_ALIASES.get(k, k): v for k, v in rec.items()
                if k not in KPI_ALIASES or KPI_ALIASES[k] not in rec}

    out = rename(kpis)
    for block in (out, out.get("cost_dkk")):  # per speciale before issue 22: per function
        if isinstance(block, dict) and "per_speciale" in block and "per_function" not in block:
            block["per_function"] = block.pop("per_speciale")
    per = out.get("per_function")
    if isinstance(per, dict):
        out["per_function"] = {s: rename(rec) if isinstance(rec, dict) else rec
                               for s, rec in per.items()}
    return out


def read_kpis_object(folder: Path) -> dict[str, Any]:
    """``kpis.json`` as a JSON object (any content), with today's key names
    (:func:`current_kpi_names`: a folder written by an earlier version reads the same);
    :class:`DataValidationError` when it is missing or not JSON."""
    path = folder / KPIS
    if not path.is_file():
        raise DataValidationError("missing file in the results folder", file=KPIS)
    try:
        kpis = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"cannot parse JSON: {exc}", file=KPIS) from None
    if not isinstance(kpis, dict):
        raise DataValidationError("expected a JSON object", file=KPIS)
    return current_kpi_names(kpis)


def read_kpis(folder: Path) -> dict[str, Any]:
    """``kpis.json``: an object with a numeric (or null) objective and every term."""
    kpis = read_kpis_object(folder)
    if "objective" not in kpis:
        raise DataValidationError("missing key", file=KPIS, field="objective")
    obj = kpis["objective"]
    if obj is not None and (isinstance(obj, bool) or not isinstance(obj, int | float)):
        raise DataValidationError(f"expected a number or null, got {obj!r}",
                                  file=KPIS, field="objective")
    terms = kpis.get("terms")
    if not isinstance(terms, dict):
        raise DataValidationError("missing or not an object", file=KPIS, field="terms")
    for t in TERMS:
        if t in TERMS_ADDED_LATER and t not in terms:
            continue  # a folder written before the term existed
        v = terms.get(t)
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise DataValidationError(f"expected a number, got {v!r}", file=KPIS,
                                      field=f"terms.{t}")
    return kpis


#: terms added after the first results format: a folder of an earlier version lacks them
#: (care and care_floor with the objective in kroner, expansion with issue 23)
TERMS_ADDED_LATER = ("care", "care_floor", "expansion")


def read_resolved(folder: Path) -> dict[str, Any]:
    """The resolved scenario (``instance/scenario.resolved.yaml``) as a mapping; empty when
    it is missing or unreadable (callers that need it whole use :func:`read_params`)."""
    try:
        doc = yaml.safe_load((folder / RESOLVED_SCENARIO).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def read_solver(folder: Path) -> dict[str, Any]:
    """The ``solver`` section of the resolved scenario (empty when absent); only read for
    the quality targets (``mip_rel_gap``)."""
    solver = read_resolved(folder).get("solver")
    return solver if isinstance(solver, dict) else {}
