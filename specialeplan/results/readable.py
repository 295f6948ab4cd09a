"""Results a planner can read: names next to ids, no float noise, a workbook with the KPIs
first and every number shown as precisely as it means something.

- :func:`add_names` puts the provider and municipality names right after their ids (the
  ``names`` of :mod:`specialeplan.results.contract`; the checker never reads them).
- :func:`round_table` rounds every decimal column of a result table to :data:`DIGITS`
  decimals: exact to a millionth of a borgerforløb or minute, so ``109.99999999999999`` is
  written ``110.0`` while ``specialeplan check`` (which recomputes the objective from the
  files with a relative tolerance of 1e-6) still passes. Coarser rounding of the files would
  break that consistency; it is done in the workbook's display formats instead.
- :func:`write_workbook` writes ``results.xlsx``: a ``kpis`` sheet first (status, objective,
  gap, every term and KPI, then one row per speciale), then one sheet per table, each column
  shown by meaning: borgerforløb with 2 decimals, minutes with 1, shares with 3, costs and
  objective values with 1. The cells hold the full values; only the display is rounded.
  :func:`write_sheets` does the same for any sheets (the rollout's and the N-1 workbooks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from specialeplan.results.contract import TableContract

DIGITS = 6
SHARE_DIGITS = 12
"""Shares (reach.csv's ``share``, a fraction of a municipality's demand) keep 12 decimals:
the checker multiplies them by demand, and 6 decimals of 31 million borgerforløb are 15."""
SHARE_COLUMNS = frozenset({"share", "population_share"})

#: Excel display formats by column meaning (first match on the column name wins)
FORMATS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("share",), "0.000"),
    (("minutes",), "0.0"),
    (("cases", "served", "demand", "unmet", "outreach", "near_family", "load", "capacity",
      "exported", "imported", "shortfall", "moved", "coached"), "#,##0.00"),
    (("objective", "bound", "term", "cost", "value"), "#,##0.0"),
    (("gap",), "0.00%"),
)


def number_format(column: str) -> str | None:
    """The Excel display format for a numeric column, from its name (None: as is)."""
    low = column.lower()
    for words, fmt in FORMATS:
        if any(w in low for w in words):
            return fmt
    return None


def name_lookups(providers: pd.DataFrame, municipalities: pd.DataFrame,
                 functions: pd.DataFrame | None = None) -> dict[str, pd.Series]:
    """Id → name for providers and municipalities; with ``functions`` (the taxonomy) also
    function → its specialer (``;``-joined) and target group, the roll-up columns."""
    out = {"provider": providers.set_index("provider_id")["name"].astype(str),
           "municipality": municipalities.set_index("code")["name"].astype(str)}
    if functions is not None:
        fn = functions.set_index("function")
        out["speciale"] = fn["specialer"].astype(str)
        out["target_group"] = fn["target_group"].astype(str)
    return out


#: roll-up columns written right after ``function`` in every result table that has one: the
#: function's specialer (``;``-joined when it ties to several) and its target group
ROLLUP_COLUMNS = ("speciale", "target_group")


def add_names(df: pd.DataFrame, contract: TableContract,
              lookups: dict[str, pd.Series]) -> pd.DataFrame:
    """``df`` with the contract's name columns filled from ``lookups`` and placed right
    after the id column each names (empty where an id is empty or unknown)."""
    out = df.copy()
    names = dict(contract.names)
    for name_col, id_col in contract.names.items():
        kind = "municipality" if id_col.startswith("municipality") else "provider"
        out[name_col] = out[id_col].map(lookups[kind]).fillna("") if len(out) else ""
    if "function" in out.columns and "speciale" in lookups:
        for col in ROLLUP_COLUMNS:
            if col not in out.columns:
                out[col] = (out["function"].map(lookups[col]).fillna("") if len(out)
                            else "")
                names[col] = "function"
    order: list[str] = []
    for col in df.columns:
        order.append(col)
        order += [n for n, i in names.items() if i == col]
    return out[order + [c for c in out.columns if c not in order]]


def round_table(df: pd.DataFrame, digits: int = DIGITS) -> pd.DataFrame:
    """Every float column rounded to ``digits`` decimals (shares to :data:`SHARE_DIGITS`;
    no ``-0.0``)."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            places = max(digits, SHARE_DIGITS) if col in SHARE_COLUMNS else digits
            out[col] = out[col].round(places) + 0.0
    return out


def kpi_sheet(kpis: dict[str, Any]) -> pd.DataFrame:
    """``kpis.json`` as a two-column sheet (KPI, value): the run first, then every term and
    KPI, then per speciale (``speciale.key``)."""
    rows: list[tuple[str, Any]] = []
    for key in ("status", "note", "objective", "best_bound", "mip_gap", "solver",
                "solve_seconds", "total_seconds"):
        if kpis.get(key) is not None:
            rows.append((key, kpis[key]))
    for t, v in (kpis.get("terms") or {}).items():
        rows.append((f"term {t}", v))
    skip = {"terms", "per_function", "regions", "sizes", "keep_today_not_kept", "cost_dkk"}
    for key, v in kpis.items():
        if key in skip or any(key == r[0] for r in rows):
            continue
        if isinstance(v, int | float | str | bool) or v is None:
            rows.append((key, v))
    for s, rec in (kpis.get("per_function") or {}).items():
        for key, v in rec.items():
            rows.append((f"{s}: {key}", v))
    return pd.DataFrame(rows, columns=["kpi", "value"])


def write_workbook(path: Path, tables: dict[str, pd.DataFrame], kpis: dict[str, Any]) -> Path:
    """``results.xlsx``: the KPI sheet first, then the tables, with display formats by
    meaning and readable column widths."""
    return write_sheets(path, {"kpis": kpi_sheet(kpis), **tables})


def write_sheets(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    """A workbook of ``sheets`` in order, each column with its display format by meaning
    and a readable width (a sheet named ``kpis`` is a :func:`kpi_sheet`)."""
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, df in sheets.items():
            df.to_excel(xw, sheet_name=name, index=False)
            ws = xw.sheets[name]
            for j, col in enumerate(df.columns, start=1):
                letter = ws.cell(row=1, column=j).column_letter
                values = df[col]
                width = max([len(str(col))] + [len(str(v)) for v in values.head(200)])
                ws.column_dimensions[letter].width = min(max(width + 2, 8), 48)
                fmt = number_format(col) if name != "kpis" else None
                if fmt is None and name == "kpis" and col == "value":
                    for i, key in enumerate(df["kpi"], start=2):
                        f = number_format(str(key).split(": ")[-1])
                        if f and isinstance(df.at[i - 2, "value"], float):
                            ws.cell(row=i, column=j).number_format = f
                    continue
                if fmt is None or not pd.api.types.is_numeric_dtype(values) or \
                        pd.api.types.is_bool_dtype(values):
                    continue
                for i in range(2, len(df) + 2):
                    ws.cell(row=i, column=j).number_format = fmt
            ws.freeze_panes = "A2"
    return path
