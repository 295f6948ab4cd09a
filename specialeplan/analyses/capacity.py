"""The national capacity overview (issue 23): per specialfunktion type and region, the
demand, the places of the designated specialfunktioner (expansions built included), how
full they are, the gap and what closes it — the overview Socialstyrelsen must keep (seed
002: «Socialstyrelsen skal … sikre, at der er den rette kapacitet»).

Read from a results folder's files only (``regions.csv``, ``capacity_changes.csv``,
``instance/``), through the file contract. All quantities are borgerforløb per year
(places: borgerforløb at a time, one place per borgerforløb a year):

============================ ==========================================================
column                       meaning
============================ ==========================================================
``demand``                   the region's citizens' borgerforløb (regions.csv)
``places``                   places of the specialfunktioner located in the region:
                             Σ competence.max_cases + the expansions built there
``served_designated``        borgerforløb the region's specialfunktioner take (its own
                             citizens and other regions'; designations.csv)
``utilisation``              served_designated / places (empty without places)
``transitional``             today's residents kept by the region's providers that are
                             not designated (transitional.csv): outside ``places``
``served_in_region``         all borgerforløb served by providers in the region
                             (served_designated + transitional; regions.csv)
``near_family``, ``unmet``   the region's citizens helped near the family / not served
``expansion_places``         places built in the region (capacity_changes.csv)
``expansions``               which: ``P0030 +10`` (provider, places), ``;``-separated
``shortfall``                max(0, demand − places): the places the region lacks for its
                             own citizens (they may be served in other regions)
``gap``                      ``unmet`` where it is > 0: borgerforløb no specialfunktion
                             serves within the rules (in ``model.mode: applications``: no
                             application serves)
``closed_by``                with a closure (:mod:`specialeplan.analyses.gaps`): the påbud,
                             expansions and new sites of the type that serve the region's
                             citizens, with the borgerforløb they serve from there
``closure_cases``            their sum
``gap_after``                what stays unmet after the closure
============================ ==========================================================

A ``national`` row per type sums the regions (utilisation over all places).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from specialeplan.errors import SpecialeplanError
from specialeplan.results.contract import INSTANCE_TABLES, RESULT_TABLES
from specialeplan.results.reading import read_csv
from specialeplan.results.runfolder import write_atomic

COLUMNS = ["function", "speciale", "target_group", "region", "demand", "places",
           "served_designated", "utilisation", "transitional", "served_in_region",
           "near_family", "unmet", "expansion_places", "expansions", "shortfall", "gap"]
NATIONAL = "national"
OUT_SUFFIXES = (".csv", ".xlsx")


CLOSURE_COLUMNS = ["closed_by", "closure_cases", "gap_after"]


def capacity_overview(folder: str | Path, *, verify: bool = True,
                      closure: str | Path | None = None) -> pd.DataFrame:
    """The overview of a results folder (module docstring), one row per (type, region) and
    a ``national`` row per type. ``verify``: refuse a folder (and closure) the checker
    rejects. ``closure``: the folder of its gap closure (:func:`specialeplan.analyses.gaps.
    close_gaps`): adds what closes each gap (CLOSURE_COLUMNS)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SpecialeplanError(f"{folder}: no such results folder")
    if verify:
        from specialeplan.checker import verify_folder

        verify_folder(folder, "capacity")
        if closure is not None:
            verify_folder(Path(closure), "capacity")
    table = _overview(folder)
    if closure is None:
        return table
    from specialeplan.analyses.gaps import check_closure, closure_actions, gap_closures

    check_closure(folder, closure)
    per = gap_closures(closure, closure_actions(closure))
    keys = ["region", "function"]
    out = table.merge(per[[*keys, *CLOSURE_COLUMNS]], on=keys, how="left")
    out["closed_by"] = out["closed_by"].fillna("")
    out[["closure_cases", "gap_after"]] = out[["closure_cases", "gap_after"]].fillna(0.0)
    # a region without a gap lists no closure (the actions may serve it on the way)
    none = (out["gap"] <= 1e-6) & (out["region"] != NATIONAL)
    out.loc[none, "closed_by"] = ""
    out.loc[none, "closure_cases"] = 0.0
    regions = out[out["region"] != NATIONAL]
    for f, rows in regions.groupby("function", sort=False):
        at = (out["function"] == f) & (out["region"] == NATIONAL)
        out.loc[at, "closed_by"] = _actions_of(rows[rows["closed_by"] != ""])
        out.loc[at, "closure_cases"] = rows["closure_cases"].sum()
        out.loc[at, "gap_after"] = rows["gap_after"].sum()
    return out


def _actions_of(rows: pd.DataFrame) -> str:
    """The distinct actions named in ``closed_by`` cells (without their borgerforløb)."""
    names = [part.rsplit(" (", 1)[0] for cell in rows["closed_by"] for part in cell.split("; ")]
    return "; ".join(dict.fromkeys(names))


def _overview(folder: Path) -> pd.DataFrame:
    reg = read_csv(folder, RESULT_TABLES["regions"])
    changes = read_csv(folder, RESULT_TABLES["capacity_changes"])
    prov = read_csv(folder, INSTANCE_TABLES["providers"])
    munis = read_csv(folder, INSTANCE_TABLES["municipalities"])
    region_of = munis.set_index("code")["region"]
    at = prov.set_index("provider_id")["municipality_code"].map(region_of)
    keys = ["region", "function"]
    built = changes.assign(region=changes["provider_id"].map(at))
    label = built["provider_id"] + " +" + built["places"].astype(int).astype(str)
    built = built.assign(label=label)
    per = (built.groupby(keys).agg(expansion_places=("places", "sum"),
                                   expansions=("label", "; ".join))
           if len(built) else pd.DataFrame(columns=["expansion_places", "expansions"]))
    nums = ["demand", "designated_capacity", "served_in_region", "near_family", "unmet"]
    out = reg[[*keys, *nums]].rename(columns={"designated_capacity": "places"}).merge(
        per.reset_index() if len(built) else pd.DataFrame(columns=[*keys, *per.columns]),
        on=keys, how="left")
    out["expansion_places"] = out["expansion_places"].fillna(0.0).astype(float)
    out["expansions"] = out["expansions"].fillna("")
    des = read_csv(folder, RESULT_TABLES["designations"])
    trans = read_csv(folder, RESULT_TABLES["transitional"])
    for col, table, value in (("served_designated", des, "cases"),
                              ("transitional", trans, "transitional_cases")):
        by = table.assign(region=table["provider_id"].map(at)).groupby(keys)[value].sum()
        out[col] = by.reindex(pd.MultiIndex.from_frame(out[keys])).fillna(0.0).to_numpy()
    info = _type_info(folder, reg)
    nat = out.groupby("function", as_index=False)[
        ["demand", "places", "served_designated", "transitional", "served_in_region",
         "near_family", "unmet", "expansion_places"]].sum()
    nat["region"] = NATIONAL
    nat["expansions"] = [
        "; ".join(e for e in out.loc[out["function"] == f, "expansions"] if e)
        for f in nat["function"]]
    out = pd.concat([out, nat], ignore_index=True)
    out["utilisation"] = np.where(out["places"] > 0, out["served_designated"]
                                  / out["places"].where(out["places"] > 0), np.nan)
    out["shortfall"] = (out["demand"] - out["places"]).clip(lower=0.0)
    out["gap"] = out["unmet"].where(out["unmet"] > 1e-6, 0.0)
    out = out.merge(info, on="function", how="left")
    order = {f: i for i, f in enumerate(dict.fromkeys(reg["function"]))}
    out["_f"] = out["function"].map(order)
    out["_n"] = out["region"] == NATIONAL
    out = out.sort_values(["_f", "_n", "region"]).reset_index(drop=True)
    return out[COLUMNS]


def _type_info(folder: Path, reg: pd.DataFrame) -> pd.DataFrame:
    """The speciale (``;``-joined) and target group per type, from regions.csv's columns
    where the writer put them, else from instance/functions.csv."""
    if {"speciale", "target_group"} <= set(reg.columns):
        return reg[["function", "speciale", "target_group"]].drop_duplicates("function")
    path = folder / "instance" / "functions.csv"
    if path.is_file():
        fn = pd.read_csv(path, dtype=str)
        return pd.DataFrame({"function": fn["function"], "speciale": fn["specialer"],
                             "target_group": fn["target_group"]})
    return pd.DataFrame({"function": reg["function"].unique(), "speciale": "",
                         "target_group": ""})


def check_out(path: str | Path) -> Path:
    """``path`` if :func:`write_overview` can write it (.csv or .xlsx, not inside a results
    folder), else a :class:`SpecialeplanError` (checked before the overview is made)."""
    from specialeplan.results.runfolder import check_out_file

    return check_out_file(path, OUT_SUFFIXES, ".csv or .xlsx")


def write_overview(table: pd.DataFrame, path: str | Path) -> Path:
    """Write the overview to a .csv or .xlsx file, atomically."""
    path = check_out(path)
    suffix = path.suffix.lower()

    def write(tmp: Path) -> None:
        if suffix == ".csv":
            table.to_csv(tmp, index=False)
        else:
            table.to_excel(tmp, sheet_name="capacity", index=False, engine="openpyxl")

    return write_atomic(path, write)
