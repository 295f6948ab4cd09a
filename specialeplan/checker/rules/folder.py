"""Checks of the folder as a whole, not of one family: duplicate keys, the totals and the
regional balance of ``kpis.json`` and ``regions.csv``, and what ``kpis.json`` claims about
the solve (status, bound, gap)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import PS, RS, Context, reported
from specialeplan.model.instance import serves_group
from specialeplan.results.contract import RESULT_TABLES, SOLUTION_STATUSES


def check_duplicates(c: Collector, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Report duplicated keys in result tables; return them with designations, coverage and
    reach reduced to one row per key (duplicate assignments are kept: their cases add up)."""
    out = dict(tables)
    for name, contract in RESULT_TABLES.items():
        df, keys = tables[name], contract.keys
        dup = df.duplicated(keys, keep="first")
        c.rule("duplicates", df, dup, lambda r, file=contract.file, keys=keys: (
            f"{file}: duplicate row for " + ", ".join(f"{k}={r[k]}" for k in keys)))
    for name in ("designations", "coverage", "reach"):
        out[name] = out[name].drop_duplicates(RESULT_TABLES[name].keys).reset_index(drop=True)
    return out


def check_kpis(x: Context, c: Collector) -> None:
    """Totals in kpis.json (those present) against the tables."""
    totals = {
        "total_demand": float(x.cov["demand"].sum()),
        "total_unmet": float(x.cov["unmet"].sum()),
        "total_served": float(x.asg["cases"].sum()),
        "reach_shortfalls": float(x.reach.loc[~x.has_adviser, "share"].sum()),
        "designations": float(len(x.des)),
        "advisory_designations": float(x.des["is_advisory"].sum()),
        "outreach_cases": float(x.asg.loc[~x.physical.to_numpy(), "cases"].sum()),
        "physical_cases": float(x.asg.loc[x.physical.to_numpy(), "cases"].sum()),
        "near_family_cases": float(x.nf["cases"].sum()),
        "dropped_designations": float(x.n_dropped),
    }
    for key, value in totals.items():
        rep = x.kpis.get(key)
        if isinstance(rep, int | float) and not isinstance(rep, bool):
            c.single("kpis", abs(rep - value) <= 10 * c.tol * max(1.0, abs(value)) + c.tol,
                     f"{key}: kpis.json reports {rep:.10g}, tables give {value:.10g}")
    per = x.kpis.get("per_function")
    if not isinstance(per, dict):
        return
    cs = x.cov.groupby("function")[["demand", "served", "outreach", "near_family",
                                    "unmet"]].sum()
    cs["physical"] = cs["served"] - cs["outreach"]
    ds = x.des.groupby("function").agg(designations=("provider_id", "size"),
                                       advisory_designations=("is_advisory", "sum"))
    tab = cs.join(ds, how="outer").join(
        x.worst_off().rename("worst_off_travel_minutes"), how="outer").fillna(0.0)
    for s, rec in per.items():
        if not isinstance(rec, dict):
            continue
        for key, rep in rec.items():
            if key not in tab.columns or isinstance(rep, bool) or not isinstance(rep, int | float):
                continue
            value = float(tab.at[s, key]) if s in tab.index else 0.0
            c.single("kpis", abs(rep - value) <= 10 * c.tol * max(1.0, abs(value)) + c.tol,
                     f"per_function.{s}.{key}: kpis.json reports {rep:.10g}, tables give "
                     f"{value:.10g}", speciale=s)


def regions_from_files(x: Context) -> pd.DataFrame:
    """regions.csv re-derived: per region and planned speciale, demand, served_home,
    exported, imported, served_in_region, near_family, unmet, designated_capacity,
    capacity_shortfall (docs/results-format.md)."""
    at = x.prov.set_index("provider_id")["municipality_code"].map(x.region_of)
    a = x.asg.assign(home=x.asg["municipality_code"].map(x.region_of),
                     at=x.asg["provider_id"].map(at))
    same = a["home"] == a["at"]
    cov = x.cov.assign(region=x.cov["municipality_code"].map(x.region_of))
    des = x.des[PS].merge(x.comp[[*PS, "max_cases"]], on=PS, how="left").assign(
        region=lambda d: d["provider_id"].map(at))
    # the places of the expansions built count as designated capacity
    des["max_cases"] = des["max_cases"] + x.built_for(des)
    cols = {
        "demand": cov.groupby(RS)["demand"].sum(),
        "served_home": a[same].groupby(["home", "function"])["cases"].sum(),
        "exported": a[~same].groupby(["home", "function"])["cases"].sum(),
        "imported": a[~same].groupby(["at", "function"])["cases"].sum(),
        "near_family": cov.groupby(RS)["near_family"].sum(),
        "unmet": cov.groupby(RS)["unmet"].sum(),
        "designated_capacity": des.groupby(RS)["max_cases"].sum(),
    }
    grid = pd.MultiIndex.from_product([sorted(x.region_of.unique()), list(x.sp["function"])],
                                      names=RS)
    out = pd.DataFrame({k: v.rename_axis(RS).reindex(grid) for k, v in cols.items()}).fillna(
        0.0)
    out["served_in_region"] = out["served_home"] + out["imported"]
    out["capacity_shortfall"] = (out["demand"] - out["designated_capacity"]).clip(lower=0.0)
    return out.reset_index()


def check_regions(x: Context, c: Collector) -> None:
    """regions.csv against the re-derived regional balance, and kpis.json ``regions``
    against regions.csv."""
    ref = regions_from_files(x)
    m = ref.merge(x.regions, on=RS, how="outer", suffixes=("", "_file"), indicator=True)
    c.rule("regions", m, m["_merge"] != "both", lambda r: (
        f"region {r['region']}, specialfunktion {r['function']}: "
        + ("no row in regions.csv" if r["_merge"] == "left_only"
           else "a regions.csv row for an unknown region or unplanned speciale")))
    b = m[m["_merge"] == "both"]
    for col in RESULT_TABLES["regions"].columns:
        if col in RS:
            continue
        c.rule("regions", b, np.abs(b[col] - b[f"{col}_file"]) > c.sm(b[col], 1000),
               lambda r, col=col: (f"region {r['region']}, specialfunktion {r['function']}: "
                                   f"regions.csv {col} {g(r[f'{col}_file'])} ≠ "
                                   f"{g(r[col])} from the files"))
    rep = x.kpis.get("regions")
    if not isinstance(rep, dict):
        return
    for rec in x.regions.to_dict("records"):
        for col in RESULT_TABLES["regions"].columns:
            if col in RS:
                continue
            v = reported(rep, rec["region"], rec["function"], col)
            if v is not None:
                c.single("regions", abs(v - rec[col]) <= c.sm(rec[col]),
                         f"kpis.json regions.{rec['region']}.{rec['function']}.{col} "
                         f"{v:.10g} ≠ regions.csv {rec[col]:.10g}", speciale=rec["function"])


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def check_claims(x: Context, c: Collector) -> None:
    """What ``kpis.json`` claims about the solve, held to the folder and to itself:
    the status is one with a solution (this folder has one); ``best_bound`` ≤ ``objective``
    (minimisation); ``mip_gap`` = |objective − bound| / max(|objective|, 1e-9) as HiGHS
    defines it, never negative, null exactly when the bound is; ``optimal`` only within the
    scenario's ``mip_rel_gap``."""
    k = x.kpis
    status = k.get("status")
    c.single("claims", status in SOLUTION_STATUSES,
             f"status {status!r}: a folder with solution tables must have one of "
             f"{list(SOLUTION_STATUSES)}")
    obj, bound, gap = k.get("objective"), k.get("best_bound"), k.get("mip_gap")
    for key, v in (("best_bound", bound), ("mip_gap", gap)):
        c.single("claims", v is None or _number(v),
                 f"{key}: expected a finite number or null, got {v!r}")
    if not (_number(obj) and (bound is None or _number(bound))
            and (gap is None or _number(gap))):
        return
    scale = max(1.0, abs(obj))
    if bound is not None:
        c.single("claims", bound <= obj + 10 * c.tol * scale,
                 f"best_bound {bound:.10g} is above the objective {obj:.10g}: no solution "
                 "can beat a valid lower bound (minimisation)")
    c.single("claims", (gap is None) == (bound is None),
             f"mip_gap {gap!r} with best_bound {bound!r}: the gap exists exactly when the "
             "bound does")
    if gap is None or bound is None:
        return
    c.single("claims", gap >= 0, f"mip_gap {gap:.10g} is negative")
    expected = abs(obj - bound) / max(abs(obj), 1e-9)
    c.single("claims", abs(gap - expected) <= 1e-9 + 10 * c.tol * max(1.0, expected),
             f"mip_gap {gap:.10g} ≠ |objective − best_bound| / |objective| = {expected:.10g}")
    target = x.solver.get("mip_rel_gap")
    if status == "optimal" and _number(target):
        c.single("claims", expected <= target * (1 + 1e-3) + 1e-6 or abs(obj - bound) <= 1e-6,
                 f"status optimal but the gap {expected:.4%} is above the target "
                 f"solver.mip_rel_gap {target:.4%}")


def check_taxonomy(x: Context, c: Collector) -> None:
    """The taxonomy (``functions.csv``, ``providers.csv`` ``target_groups``; structural in
    the model, whose Instance admits no other competence row): designations, assignments
    and transitional arrangements only at a provider serving the function's target group
    (children and adults apart); ``speciale`` and ``target_group`` of the result tables as
    in instance/functions.csv."""
    group = dict(zip(x.taxonomy_table["function"], x.taxonomy_table["target_group"],
                     strict=True))
    prov = x.prov.assign(target_groups=x.prov.get(
        "target_groups", pd.Series("all", index=x.prov.index)).fillna("all"))
    serves = dict(zip(prov["provider_id"], prov["target_groups"], strict=True))
    for name, df in (("designations.csv", x.des), ("assignments.csv", x.asg),
                     ("transitional.csv", x.trans)):
        if df.empty:
            continue
        ok = pd.Series([serves_group(serves.get(p, "all"), group.get(f, "all"))
                        for p, f in zip(df["provider_id"], df["function"], strict=True)],
                       index=df.index, dtype=bool)
        c.rule("target_groups", df, ~ok, lambda r, name=name: (
            f"{name}: provider {r['provider_id']} serves {serves.get(r['provider_id'])} "
            f"(providers.csv target_groups) but specialfunktion {r['function']!r} is for "
            f"{group.get(r['function'])}: a target group it does not serve"))
    label = dict(zip(x.taxonomy_table["function"], x.taxonomy_table["specialer"],
                     strict=True))
    for name, df in (("designations.csv", x.des), ("assignments.csv", x.asg)):
        if "speciale" not in df.columns or df.empty:
            continue  # a folder written before the roll-up columns
        c.rule("taxonomy", df, df["speciale"].astype(str) != df["function"].map(label),
               lambda r, name=name: (
                   f"{name}: specialfunktion {r['function']!r} rolls up to "
                   f"{r['speciale']!r}, but instance/functions.csv says "
                   f"{label.get(r['function'])!r}"))
