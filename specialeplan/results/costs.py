"""The plan's annual cost in kroner and who pays it (issue 21 item 4), REPORTED: computed
from the written result tables, the solved inputs and the cost table (``docs/costs.md``);
the objective does not use these figures.

- :func:`cost_block` → ``kpis.json → cost_dkk``: care (borgerforløb × price by delivery
  mode), designations (Σ running cost of the specialfunktioner), advisory base funding (Σ
  fast grundfinansiering of the rådgivningsfunktioner), family travel (visits to physical
  placements), outreach staff travel, total; per speciale; against today.
- :func:`financing_table` → ``financing.csv``: per home municipality and speciale, its
  population share of the advisory base funding (objektiv finansiering), the cost of its
  borgerforløb, the part refunded centrally and the net municipal cost.

The checker recomputes both with its own code (``checker/rules/costs.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from specialeplan.data.costs import CostTable

#: the components of ``cost_dkk`` (and of each ``per_function`` record), in order: what the
#: plan costs a year (care includes near-family help at a local tilbud's place, priced as a
#: residential place; unmet demand costs its alternative)
COMPONENTS = ("care", "designations", "advisory_base_funding", "family_travel",
              "outreach_staff_travel", "near_family_coaching", "unmet_alternative",
              "designation_changes", "moves", "capacity_annuities")
#: ``cost_dkk.value_judgements``: stated penalties in kroner, not costs anyone pays
JUDGEMENTS = ("unmet_quality_penalty", "reach_shortfall_penalty")


def care_rows(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The borgerforløb that cost care: the assignments plus near-family help (a place at
    a local tilbud in the home municipality: mode physical, no family travel)."""
    asg = tables["assignments"][["municipality_code", "provider_id", "function", "mode",
                                 "cases", "travel_minutes"]]
    nf = tables["near_family"]
    local = pd.DataFrame({"municipality_code": nf["municipality_code"],
                          "provider_id": nf["provider_id"], "function": nf["function"],
                          "mode": "physical", "cases": nf["cases"].astype(float),
                          "travel_minutes": 0.0})
    return pd.concat([asg, local], ignore_index=True) if len(local) else asg.copy()


def _priced(asg: pd.DataFrame, costs: CostTable) -> pd.DataFrame:
    """Assignments with ``price`` (DKK per case-year), ``care``, ``refunded`` and the travel
    cost of each row (family visits for physical rows, staff visits for outreach rows)."""
    a = asg.copy()
    a["price"] = [costs.price(m, s) for m, s in zip(a["mode"], a["function"], strict=True)]
    a["care"] = a["cases"] * a["price"]
    a["refunded"] = a["cases"] * costs.refund(a["price"].to_numpy(dtype=float))
    hours = a["travel_minutes"] / 60.0
    km = hours * costs.value("road_speed_kmh")
    physical = a["mode"] != "outreach"
    trip_family = km * costs.value("km_rate") + hours * costs.value("value_of_time")
    trip_staff = km * costs.value("km_rate") + hours * costs.value("staff_hourly_cost")
    a["family_travel"] = np.where(
        physical, a["cases"] * costs.value("family_visits_per_year") * 2 * trip_family, 0.0)
    a["outreach_staff_travel"] = np.where(
        physical, 0.0, a["cases"] * costs.value("outreach_visits_per_year") * 2 * trip_staff)
    return a


def _fixed(des: pd.DataFrame, comp: pd.DataFrame, costs: CostTable) -> pd.DataFrame:
    """Designations with their running cost and advisory base funding in DKK."""
    d = des[["provider_id", "function", "is_advisory"]].merge(
        comp[["provider_id", "function", "designation_cost", "advisory_cost"]],
        on=["provider_id", "function"], how="left").fillna(
        {"designation_cost": 0.0, "advisory_cost": 0.0})
    d["designations"] = d["designation_cost"] * costs.value("designation_cost_unit")
    adv = d["is_advisory"].astype(str).str.lower().isin(["true", "1", "1.0"])
    d["advisory_base_funding"] = np.where(
        adv, d["advisory_cost"] * costs.value("advisory_cost_unit"), 0.0)
    return d


def _changes(des: pd.DataFrame, comp: pd.DataFrame) -> pd.Series:
    """Per speciale: designations that differ from today's (new ones and dropped ones)."""
    keys = ["provider_id", "function"]
    now = set(map(tuple, des[keys].to_numpy()))
    today = comp[comp["designated_today"].astype(bool)]
    dropped = today[np.array([k not in now for k in map(tuple, today[keys].to_numpy())],
                             dtype=bool)]
    new = des[~des["designated_today"].astype(str).str.lower().isin(["true", "1", "1.0"])]
    return (dropped.groupby("function").size().astype(float)
            .add(new.groupby("function").size().astype(float), fill_value=0.0))


def _moved(tables: dict[str, pd.DataFrame], comp: pd.DataFrame) -> pd.Series:
    """Per speciale: today's residents no longer served by their provider."""
    keys = ["provider_id", "function"]
    served = tables["assignments"].groupby(keys)["cases"].sum()
    c = comp.set_index(keys)["current_cases"].astype(float)
    moved = (c - served.reindex(c.index).fillna(0.0)).clip(lower=0.0)
    moved = moved.where(moved > 1e-7, 0.0)
    return moved.groupby(level="function").sum()


def _today(comp: pd.DataFrame, prov: pd.DataFrame, specialer: list[str], costs: CostTable
           ) -> dict[str, Any]:
    c = comp[comp["function"].isin(specialer)]
    kind = prov.set_index("provider_id")["kind"].fillna("").astype(str).str.strip().str.lower()
    modes = ["outreach" if kind.get(p, "") == "outreach" else "physical"
             for p in c["provider_id"]]
    care = float(sum(n * costs.price(m, s)
                     for n, s, m in zip(c["current_cases"], c["function"], modes, strict=True)))
    des = float((c["designation_cost"] * c["designated_today"].astype(float)).sum()
                * costs.value("designation_cost_unit"))
    adv = (float((c["advisory_cost"] * c["advisory_today"].astype(float)).sum()
                 * costs.value("advisory_cost_unit")) if "advisory_today" in c else None)
    return {"care": care, "designations": des, "advisory_base_funding": adv,
            "family_travel": None, "outreach_staff_travel": None,
            "total_known": care + des + (adv or 0.0),
            "note": "today = competence.csv: current_cases priced by the provider's kind "
                    "(outreach: price_outreach; residential or both: price_residential, the "
                    "delivery mode is not recorded), designated_today and advisory_today at "
                    "their costs; travel is not costed because the home municipalities of "
                    "today's borgerforløb are not known"}


def _annuities(tables: dict[str, pd.DataFrame]) -> pd.Series:
    """Per function: the annual cost of its expansions built (capacity_changes.csv)."""
    ch = tables.get("capacity_changes")
    if ch is None or ch.empty:
        return pd.Series(dtype=float)
    return ch.groupby("function")["annual_cost_dkk"].sum()


def cost_block(tables: dict[str, pd.DataFrame], comp: pd.DataFrame, prov: pd.DataFrame,
               specialer: list[str], costs: CostTable, *, synthetic: bool) -> dict[str, Any]:
    """``kpis.json → cost_dkk`` (docs/results-format.md)."""
    a = _priced(care_rows(tables), costs)
    d = _fixed(tables["designations"], comp, costs)
    nf = tables["near_family"].groupby("function")["cases"].sum()
    unmet = tables["coverage"].groupby("function")["unmet"].sum()
    reach = tables["reach"]
    short = reach[reach["advisory_provider_id"].fillna("") == ""].groupby("function")[
        "share"].sum()
    parts = {
        "care": a.groupby("function")["care"].sum(),
        "designations": d.groupby("function")["designations"].sum(),
        "advisory_base_funding": d.groupby("function")["advisory_base_funding"].sum(),
        "family_travel": a.groupby("function")["family_travel"].sum(),
        "outreach_staff_travel": a.groupby("function")["outreach_staff_travel"].sum(),
        "near_family_coaching": nf * costs.value("near_family_cost"),
        "unmet_alternative": unmet * costs.value("unmet_alternative_cost"),
        # one-off amounts, counted once in the planning year (costs.csv notes)
        "designation_changes": _changes(tables["designations"], comp)
        * costs.value("change_cost"),
        "moves": _moved(tables, comp) * costs.value("move_cost"),
        # the annuity of the expansions built (model/expansions.py)
        "capacity_annuities": _annuities(tables),
    }
    judged = {"unmet_quality_penalty": unmet * costs.value("unmet_quality_penalty"),
              "reach_shortfall_penalty": short * costs.value("reach_shortfall_penalty")}
    refunded = a.groupby("function")["refunded"].sum()
    block: dict[str, Any] = {k: float(v.sum()) for k, v in parts.items()}
    block["total"] = float(sum(block[k] for k in COMPONENTS))
    block["refunded"] = float(refunded.sum())
    per: dict[str, dict[str, float]] = {}
    for s in specialer:
        rec = {k: float(v.get(s, 0.0)) for k, v in parts.items()}
        rec["total"] = float(sum(rec[k] for k in COMPONENTS))
        rec["refunded"] = float(refunded.get(s, 0.0))
        per[s] = rec
    block["per_function"] = per
    block["value_judgements"] = {k: float(v.sum()) for k, v in judged.items()}
    block["value_judgements"]["note"] = (
        "stated penalties in kroner (costs.csv, docs/costs.md), weighed in the objective but "
        "paid by no one; not in total")
    today = _today(comp, prov, specialer, costs)
    block["today"] = today
    block["change_vs_today"] = {
        k: block[k] - today[k] for k in ("care", "designations", "advisory_base_funding")
        if today[k] is not None}
    block["unit"] = "DKK per year"
    block["synthetic_inputs"] = (
        "competence.csv designation_cost and advisory_cost are SYNTHETIC" if synthetic else
        "competence.csv amounts come from the dataset folder") + (
        "; prices, visits and staff cost are assumptions (docs/costs.md)")
    return block


def financing_table(tables: dict[str, pd.DataFrame], comp: pd.DataFrame,
                    munis: pd.DataFrame, specialer: list[str], costs: CostTable
                    ) -> pd.DataFrame:
    """``financing.csv``: one row per municipality and planned speciale
    (docs/results-format.md); near-family help counts as residential (a local place)."""
    a = _priced(care_rows(tables), costs)
    d = _fixed(tables["designations"], comp, costs)
    adv = d.groupby("function")["advisory_base_funding"].sum()
    pop = munis.set_index("code")["population"].astype(float)
    share = pop / pop.sum() if pop.sum() > 0 else pd.Series(1.0 / len(pop), index=pop.index)
    grid = pd.MultiIndex.from_product([list(munis["code"]), specialer],
                                      names=["municipality_code", "function"])
    keys = ["municipality_code", "function"]
    phys = a["mode"] != "outreach"
    out = pd.DataFrame(index=grid)
    out["population_share"] = share.reindex(grid.get_level_values(0)).to_numpy()
    out["base_funding_dkk"] = out["population_share"] * adv.reindex(
        grid.get_level_values(1)).fillna(0.0).to_numpy()
    out["residential_cases"] = a[phys].groupby(keys)["cases"].sum().reindex(grid).fillna(0.0)
    out["outreach_cases"] = a[~phys].groupby(keys)["cases"].sum().reindex(grid).fillna(0.0)
    out["care_cost_dkk"] = a.groupby(keys)["care"].sum().reindex(grid).fillna(0.0)
    out["refunded_dkk"] = a.groupby(keys)["refunded"].sum().reindex(grid).fillna(0.0)
    out["net_cost_dkk"] = out["care_cost_dkk"] - out["refunded_dkk"]
    out["total_dkk"] = out["base_funding_dkk"] + out["net_cost_dkk"]
    return out.reset_index()


def cost_sheet(block: dict[str, Any]) -> pd.DataFrame:
    """The ``costs`` sheet of ``results.xlsx``: one row per component (and total, refunded),
    the plan, today where known, and one column per speciale (DKK per year)."""
    today = block.get("today") or {}
    rows = []
    for key in (*COMPONENTS, "total", "refunded"):
        row = {"component": key, "plan_dkk": block.get(key),
               "today_dkk": today.get("total_known" if key == "total" else key)}
        for s, rec in (block.get("per_function") or {}).items():
            row[f"{s}_dkk"] = rec.get(key)
        rows.append(row)
    rows.append({"component": "note", "plan_dkk": block.get("synthetic_inputs"),
                 "today_dkk": today.get("note")})
    return pd.DataFrame(rows)
