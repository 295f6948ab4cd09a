"""Compare results folders: KPI and objective-term deltas, designations added, removed and
kept per speciale, the municipalities whose travel changes most, and whether a difference is
larger than the two runs' optimality gaps allow.

Works on any results folders (two runs of one sweep, or of different scenarios), read
through the file contract (:mod:`specialeplan.results.reading`) only.

**Inside the gap.** A run with objective O and proven lower bound L may be up to O − L above
its optimum (its absolute gap). Two runs' objectives, or one objective term of both, differ
"not significantly at this gap" when

    |value_B − value_A| ≤ (O_A − L_A) + (O_B − L_B)

(the combined absolute gap): a difference that small may be the solver's leeway rather than
the change between the scenarios. For the objective this is conservative: the optima can
only be equal when the intervals [L_A, O_A] and [L_B, O_B] overlap, which implies the rule.
KPIs that are an objective term in other units take that term's flag
(``mean_travel_minutes`` → ``travel``, ``total_unmet`` → ``unmet``, ``reach_shortfalls`` →
``reach_shortfall``, ``near_family_cases`` → ``near_family``, ``moved_cases`` →
``moved``); counts and shares have no flag. Without a bound in
either run the flag is unknown.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from specialeplan.errors import DataValidationError, SpecialeplanError
from specialeplan.model.families import TERMS
from specialeplan.results.contract import INSTANCE_TABLES, RESULT_TABLES, SOLUTION_STATUSES
from specialeplan.results.costs import COMPONENTS
from specialeplan.results.reading import read_csv, read_kpis_object
from specialeplan.results.runfolder import write_atomic

KPIS = ("designations", "advisory_designations", "mean_travel_minutes",
        "max_travel_minutes", "share_outside_home_municipality", "total_demand",
        "total_served", "total_unmet", "reach_shortfalls", "outreach_cases",
        "near_family_cases", "moved_cases", "dropped_designations", "transitional_cases",
        "outreach_share", "share_outside_home_municipality_physical",
        "mean_travel_minutes_physical", "mean_staff_travel_minutes_outreach")
#: KPIs that are an objective term in other units: they take that term's flag
KPI_TERM = {"mean_travel_minutes": "travel", "total_unmet": "unmet",
            "reach_shortfalls": "reach_shortfall", "near_family_cases": "near_family",
            "moved_cases": "moved"}
#: the files ``--out`` writes
OUT_SUFFIXES = (".csv", ".xlsx", ".json")
NOT_SIGNIFICANT = "not significant at this gap"
SIGNIFICANT = "beyond the gap"
UNKNOWN = "gap unknown"


@dataclass
class Comparison:
    """B against A: ``kpis`` (metric, a, b, delta, delta_pct, flag), ``designations`` (one row
    per provider and speciale designated in either: change added/removed/kept), and
    ``municipalities`` (mean family travel per municipality in both; those served in one
    run only first, ``served_in`` "A only"/"B only", then the largest changes)."""

    a: Path
    b: Path
    label_a: str
    label_b: str
    status_a: str | None
    status_b: str | None
    combined_gap: float | None
    kpis: pd.DataFrame
    designations: pd.DataFrame
    municipalities: pd.DataFrame

    def function_changes(self) -> pd.DataFrame:
        """Per specialfunktion type: counts of specialfunktioner added, removed and kept."""
        return _changes(self.designations, "function")

    def speciale_changes(self) -> pd.DataFrame:
        """Per speciale (the roll-up; a function of two specialer counts in both): counts of
        specialfunktioner added, removed and kept."""
        d = self.designations.assign(speciale=self.designations["speciale"].str.split(";"))
        return _changes(d.explode("speciale"), "speciale")


def _changes(d: pd.DataFrame, by: str) -> pd.DataFrame:
    if d.empty:
        return pd.DataFrame(columns=[by, "added", "removed", "kept"])
    out = d.pivot_table(index=by, columns="change", values="provider_id",
                        aggfunc="count", fill_value=0)
    for c in ("added", "removed", "kept"):
        if c not in out:
            out[c] = 0
    return out[["added", "removed", "kept"]].reset_index()


def _label(folder: Path) -> str:
    return folder.name or str(folder)


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v) if math.isfinite(v) else None


def _abs_gap(kpis: dict[str, Any]) -> float | None:
    obj, bound = _num(kpis.get("objective")), _num(kpis.get("best_bound"))
    if obj is None or bound is None:
        return None
    return max(obj - bound, 0.0)


def flag(delta: float | None, combined_gap: float | None) -> str | None:
    """The flag of a difference in objective units (module docstring)."""
    if delta is None:
        return None
    if combined_gap is None:
        return UNKNOWN
    return NOT_SIGNIFICANT if abs(delta) <= combined_gap + 1e-9 * max(1.0, abs(delta)) \
        else SIGNIFICANT


def _names(folder: Path) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Provider name, provider municipality and municipality name (instance/)."""
    prov = read_csv(folder, INSTANCE_TABLES["providers"]).set_index("provider_id")
    munis = read_csv(folder, INSTANCE_TABLES["municipalities"]).set_index("code")
    return prov["name"].fillna(""), prov["municipality_code"], munis["name"].fillna("")


def _tables(folder: Path, kpis: dict[str, Any]) -> dict[str, pd.DataFrame]:
    if kpis.get("status") not in SOLUTION_STATUSES:
        return {n: pd.DataFrame(columns=list(c.columns)) for n, c in RESULT_TABLES.items()
                if n in ("designations", "assignments")}
    return {n: read_csv(folder, RESULT_TABLES[n]) for n in ("designations", "assignments")}


def _read_folder(folder: Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame],
                                        tuple[pd.Series, pd.Series, pd.Series]]:
    """kpis.json, the result tables and the names of one folder; a reading error names the
    folder (the reader's names only the file inside it)."""
    try:
        kpis = read_kpis_object(folder)
        return kpis, _tables(folder, kpis), _names(folder)
    except DataValidationError as exc:
        raise DataValidationError(f"{exc.detail} (is {folder} a results folder?)",
                                  file=str(folder / exc.file) if exc.file else str(folder),
                                  row=exc.row, field=exc.field) from None


def _municipal_travel(asg: pd.DataFrame) -> pd.Series:
    """Mean family travel per served borgerforløb per municipality, all specialer
    (outreach counts 0 minutes, as in kpis.json)."""
    if asg.empty:
        return pd.Series(dtype=float)
    minutes = np.where(asg["mode"] == "outreach", 0.0, asg["travel_minutes"].astype(float))
    tx = pd.Series(minutes * asg["cases"].to_numpy(float)).groupby(
        asg["municipality_code"].to_numpy()).sum()
    served = asg.groupby("municipality_code")["cases"].sum()
    return (tx / served).where(served > 0)


def compare_folders(a: str | Path, b: str | Path, *, top: int = 10,
                    verify: bool = True) -> Comparison:
    """Compare results folder ``b`` against ``a`` (see the module docstring); ``top``: how
    many municipalities with the largest change in mean travel to list. ``verify``: refuse
    a folder the independent checker rejects (:func:`specialeplan.checker.verify_folder`)."""
    a, b = Path(a), Path(b)
    for f in (a, b):
        if not f.is_dir():
            raise SpecialeplanError(f"{f}: no such results folder")
    if verify:
        from specialeplan.checker import verify_folder

        for f in (a, b):
            verify_folder(f, "compare")
    (ka, tab_a, names_a), (kb, tab_b, names_b) = _read_folder(a), _read_folder(b)
    ga, gb = _abs_gap(ka), _abs_gap(kb)
    combined = ga + gb if ga is not None and gb is not None else None
    rows: list[dict[str, Any]] = []

    def add(metric: str, va: Any, vb: Any, kind: str, fl: str | None) -> None:
        x, y = _num(va), _num(vb)
        delta = y - x if x is not None and y is not None else None
        pct = delta / abs(x) if delta is not None and x not in (None, 0.0) else None
        rows.append({"metric": metric, "kind": kind, "a": x, "b": y, "delta": delta,
                     "delta_pct": pct, "flag": fl})

    def obj_flag(va: Any, vb: Any) -> str | None:
        x, y = _num(va), _num(vb)
        return flag(y - x if x is not None and y is not None else None, combined)

    add("objective", ka.get("objective"), kb.get("objective"), "objective",
        obj_flag(ka.get("objective"), kb.get("objective")))
    add("best_bound", ka.get("best_bound"), kb.get("best_bound"), "objective", None)
    add("mip_gap", ka.get("mip_gap"), kb.get("mip_gap"), "gap", None)
    ta, tb = ka.get("terms") or {}, kb.get("terms") or {}
    term_flags = {}
    for t in TERMS:
        term_flags[t] = obj_flag(ta.get(t), tb.get(t))
        add(f"term {t}", ta.get(t), tb.get(t), "term", term_flags[t])
    for k in KPIS:
        add(k, ka.get(k), kb.get(k), "kpi", term_flags.get(KPI_TERM.get(k, ""))
            if k in KPI_TERM else None)
    # the plan's annual cost in DKK by component (both objectives in kroner: a difference
    # is held against the combined gap, which is in thousand DKK)
    ca, cb = ka.get("cost_dkk") or {}, kb.get("cost_dkk") or {}
    kroner = all(str(k.get("objective_unit", "")).startswith("thousand DKK") for k in (ka, kb))
    for c in [*COMPONENTS, "total", "refunded"]:
        if c in ca or c in cb:
            x, y = _num(ca.get(c)), _num(cb.get(c))
            fl = (flag((y - x) / 1000.0, combined) if kroner and x is not None
                  and y is not None else None)
            add(f"cost_dkk {c}", ca.get(c), cb.get(c), "cost_dkk", fl)
    kpi_table = pd.DataFrame(rows)

    pname_a, pmuni_a, mname_a = names_a
    pname_b, pmuni_b, mname_b = names_b
    pname = pd.concat([pname_b, pname_a])
    pname = pname[~pname.index.duplicated()]
    pmuni = pd.concat([pmuni_b, pmuni_a])
    pmuni = pmuni[~pmuni.index.duplicated()]
    mname = pd.concat([mname_b, mname_a])
    mname = mname[~mname.index.duplicated()]
    key = ["function", "provider_id"]
    da = tab_a["designations"][[*key, "is_advisory"]].rename(columns={"is_advisory": "adv_a"})
    db = tab_b["designations"][[*key, "is_advisory"]].rename(columns={"is_advisory": "adv_b"})
    # the roll-up to specialer (a folder before issue 22: one function per speciale)
    rollup = pd.concat([t["designations"].assign(speciale=t["designations"].get(
        "speciale", t["designations"]["function"]))[["function", "speciale"]]
        for t in (tab_b, tab_a)]).drop_duplicates("function").set_index("function")["speciale"]
    des = da.assign(in_a=True).merge(db.assign(in_b=True), on=key, how="outer")
    in_a = des["in_a"].fillna(False).astype(bool)
    in_b = des["in_b"].fillna(False).astype(bool)
    des["change"] = np.select([in_a & in_b, in_b], ["kept", "added"], default="removed")
    des["provider_name"] = des["provider_id"].map(pname)
    des["municipality_code"] = des["provider_id"].map(pmuni)
    des["municipality_name"] = des["municipality_code"].map(mname)
    des["advisory_a"] = des["adv_a"].astype("boolean").fillna(False).astype(bool) & in_a
    des["advisory_b"] = des["adv_b"].astype("boolean").fillna(False).astype(bool) & in_b
    order = {"added": 0, "removed": 1, "kept": 2}
    des["speciale"] = des["function"].map(rollup).fillna(des["function"])
    des = des.assign(_o=des["change"].map(order)).sort_values(["speciale", "function", "_o",
                                                               "provider_id"])
    des = des[["speciale", "function", "change", "provider_id", "provider_name",
               "municipality_code", "municipality_name", "advisory_a",
               "advisory_b"]].reset_index(drop=True)

    ma, mb = _municipal_travel(tab_a["assignments"]), _municipal_travel(tab_b["assignments"])
    mun = pd.DataFrame({"mean_travel_a": ma, "mean_travel_b": mb})
    mun.index.name = "municipality_code"
    mun = mun.reset_index()
    mun["municipality_name"] = mun["municipality_code"].map(mname)
    mun["delta"] = mun["mean_travel_b"] - mun["mean_travel_a"]
    # served in one run only has no delta but is the largest change of all: listed first
    has_a, has_b = mun["mean_travel_a"].notna(), mun["mean_travel_b"].notna()
    mun["served_in"] = np.select([has_a & has_b, has_a], ["both", "A only"], default="B only")
    mun = mun.assign(_one=mun["served_in"] != "both", _abs=mun["delta"].abs()).sort_values(
        ["_one", "_abs", "municipality_code"], ascending=[False, False, True],
        na_position="last")
    mun = mun.head(top) if top else mun
    mun = mun[["municipality_code", "municipality_name", "mean_travel_a", "mean_travel_b",
               "delta", "served_in"]].reset_index(drop=True)
    return Comparison(a=a, b=b, label_a=_label(a), label_b=_label(b),
                      status_a=ka.get("status"), status_b=kb.get("status"),
                      combined_gap=combined,
                      kpis=kpi_table, designations=des, municipalities=mun)


def compare_many(folders: list[str | Path], *, top: int = 10,
                 verify: bool = True) -> list[Comparison]:
    """Every folder after the first against the first (each verified once)."""
    if len(folders) < 2:
        raise SpecialeplanError("compare needs at least two results folders")
    if verify:
        from specialeplan.checker import verify_folder

        for f in folders:
            if Path(f).is_dir():
                verify_folder(Path(f), "compare")
    return [compare_folders(folders[0], f, top=top, verify=False) for f in folders[1:]]


def comparison_tables(comps: list[Comparison]) -> dict[str, pd.DataFrame]:
    """The comparisons as three tidy tables (``a``/``b`` columns name the folders)."""
    out: dict[str, list[pd.DataFrame]] = {"kpis": [], "designations": [],
                                          "municipalities": []}
    for c in comps:
        tag = {"a": c.label_a, "b": c.label_b}
        out["kpis"].append(c.kpis.assign(combined_gap=c.combined_gap, **{
            "folder_a": tag["a"], "folder_b": tag["b"]}))
        out["designations"].append(c.designations.assign(folder_a=tag["a"],
                                                         folder_b=tag["b"]))
        out["municipalities"].append(c.municipalities.assign(folder_a=tag["a"],
                                                             folder_b=tag["b"]))
    return {k: pd.concat(v, ignore_index=True) for k, v in out.items()}


def check_out(path: str | Path) -> Path:
    """``path`` if :func:`write_comparison` can write it (.csv, .xlsx, .json; pandas has no
    .xls writer), else a :class:`SpecialeplanError` (checked before comparing)."""
    from specialeplan.results.runfolder import check_out_file

    return check_out_file(path, OUT_SUFFIXES, ".csv, .xlsx or .json")


def write_comparison(comps: list[Comparison], path: str | Path) -> Path:
    """Write the comparison tables: ``.csv`` (one table, a ``table`` column says which),
    ``.xlsx`` (one sheet per table) or ``.json`` (an object of record lists)."""
    path = check_out(path)
    tables = comparison_tables(comps)
    suffix = path.suffix.lower()

    def write(tmp: Path) -> None:
        if suffix == ".csv":
            pd.concat([df.assign(table=name) for name, df in tables.items()],
                      ignore_index=True).to_csv(tmp, index=False)
        elif suffix == ".xlsx":
            try:
                xw = pd.ExcelWriter(tmp, engine="openpyxl")
            except ImportError as exc:
                raise SpecialeplanError(f"--out {path}: writing .xlsx needs openpyxl "
                                        f"({exc}); or use .csv or .json") from None
            with xw:
                for name, df in tables.items():
                    df.to_excel(xw, sheet_name=name, index=False)
        else:
            doc = {name: json.loads(df.to_json(orient="records"))
                   for name, df in tables.items()}
            tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")

    write_atomic(path, write)  # a crash leaves the old file or the new one, never half
    return path
