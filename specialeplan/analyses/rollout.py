"""Phased rollout: plan the specialeplan wave by wave, each wave with the earlier ones fixed.

``specialeplan rollout SCENARIO.yaml`` reads the scenario's ``rollout:`` section
(:class:`~specialeplan.scenarios.rollout.Rollout`: year → new specialer, demand growth per
year) and solves the waves in order. The plan of year Y covers every speciale rolled out so
far, on the demand of year Y:

- **earlier waves are fixed**: their specialfunktioner stay designated (``fixed``), their
  rådgivningsfunktioner keep the duty and the borgerforløb placed at each of them stay there
  (family ``committed``, ``model.committed``), so the provider capacity the earlier waves use
  is not offered again to the new specialer; their other competence pairs stay closed
  (``forbidden``) unless ``rollout.reopen_earlier``, so an earlier speciale's grown demand
  is served by its own specialfunktioner (or counted unmet);
- **demand grows by year**: speciale s in year Y has the scenario's demand × rate_s^(Y −
  base_year) (``rollout.demand_growth``, ``rollout.growth_per_speciale``).

Why not solve only the new specialer with the providers' capacity reduced by the earlier
waves' use? Then a wave's folder would hold only its new specialer, the earlier specialer's
grown demand would never be planned, and nobody could check a year's plan as a whole.
Keeping the earlier specialer in the model with their designations, duties and borgerforløb
held (a floor on each committed pair's volume) consumes the same capacity, plans the growth,
and makes each year's folder a complete plan that ``specialeplan check`` verifies (the
``committed`` rule).

Output ``OUT/<name>/``: one results folder per wave ``<year>/`` (each written atomically by
:class:`~specialeplan.results.runfolder.RunFolder`), ``all_at_once/`` (every speciale of the rollout
planned together on the final year's demand), ``timeline.csv`` (per year and speciale),
``rollout.json`` (waves, their status and gap, the price of phasing) and ``rollout.xlsx``.

**The price of phasing** is the final year's objective of the phased plan minus that of the
all-at-once plan: the same specialer, rules and demand, without the earlier waves' fixings.
Both are MIP results with gaps, so the price is reported with the range the bounds allow:
at least ``phased best_bound − all-at-once objective`` and at most ``phased objective −
all-at-once best_bound``; it is *larger than the gaps* when that lower end is positive.
Beside it: its unit (``kpis.json → objective_unit``, else "objective units"), whether it
*exceeds the combined gaps* (|price| > the sum of both solves' absolute gaps, the rule of
``specialeplan compare``), and the unmet demand as people: borgerforløb unmet in the
final year, phased and all at once, in all and per speciale, with the part of the price
that is the unmet-demand penalty (the ``unmet`` term) set apart.

**Capacity building.** Where the scenario offers expansions, new sites or
``expansion_candidates`` (family ``expansion``), each wave may build them within
``expansion_budget_dkk`` (a budget per wave; the all-at-once plan gets the waves' budgets
together). What a wave builds stays in every later wave (``built: true``: e = 1, its
annuity paid each year, outside the later budgets); ``expansion_candidates`` are written
out as entries for all the rollout's types first, so every wave numbers them alike.
``timeline.csv`` gives per year and type the places built that year (``places_built``,
``investment_dkk``) and in all (``places_built_total``). With ``rollout.reopen_earlier``
(approval is open-ended) a later wave may also add specialfunktioner to an earlier
speciale. In applications mode each wave designates among the applications in force in its
year (``plan_year``). So the price of phasing measures phasing, not a capacity accident.

**Notice before moves.** A wave's plan can move borgerforløb of today's caseload (kpis
``per_speciale.moved``). Help in a længerevarende botilbud is reduced or ended only with
``rollout.notice_weeks`` of notice (default 14, Boks 7 of the source), so ``timeline.csv``
gives per year and speciale the borgerforløb moved (``moved_cases``), the date the moves
were decided (``decided``: 1 January of the speciale's wave year) and the first day they
may take effect (``moves_effective_from`` = decided + notice). A later year's plan never
moves more of an earlier speciale's caseload than its own wave did (the earlier waves'
borgerforløb are held), so its moves keep the date of that wave.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from specialeplan.analyses.units import common_unit, objective_unit, read_kpis
from specialeplan.api import RunOutcome, build
from specialeplan.data import load_dataset
from specialeplan.errors import ScenarioError, SpecialeplanError, did_you_mean
from specialeplan.model.instance import Instance
from specialeplan.model.keys import PS
from specialeplan.model.params import ModelParams
from specialeplan.model.pricing import UNIT
from specialeplan.model.sets import ModelData
from specialeplan.model.solution import Solution
from specialeplan.pipeline import solve_into_folder
from specialeplan.results.readable import write_sheets
from specialeplan.results.reload import load_run
from specialeplan.results.runfolder import (
    RunFolder,
    RunFolderExists,
    RunLock,
    check_output_root,
    folder_kind,
    is_run_folder,
    write_atomic,
    write_folder_record,
    writing,
)
from specialeplan.results.writer import json_safe
from specialeplan.scenarios.rollout import NOTICE_WEEKS, Rollout
from specialeplan.scenarios.schema import ResolvedScenario, Scenario
from specialeplan.solvers.base import interrupt_requested

if TYPE_CHECKING:
    from specialeplan.checker import CheckReport

ALL_AT_ONCE = "all_at_once"
_KEPT = "the year folders written before are kept"
TIMELINE_COLUMNS = ["year", "wave", "function", "new", "designations",
                    "advisory_designations", "demand", "served", "near_family", "unmet",
                    "mean_travel_minutes", "cost", "places_built", "places_built_total",
                    "investment_dkk", "moved_cases", "decided", "moves_effective_from"]
TOL = 1e-6


# ----------------------------------------------------------------------- the waves' rules
def commitments(designations: pd.DataFrame) -> list[dict[str, Any]]:
    """``model.committed`` entries from a wave's designations: each specialfunktion with its
    rådgivning duty and its borgerforløb."""
    return [{"provider_id": r.provider_id, "function": r.function,
             "advisory": bool(r.is_advisory), "cases": float(round(r.cases, 9))}
            for r in designations.itertuples()]


def closed_pairs(instance: Instance, specialer: list[str],
                 designations: pd.DataFrame) -> list[dict[str, str]]:
    """The competence pairs of ``specialer`` (of all their specialfunktion types) that are
    not designated: they stay closed in later waves (unless ``reopen_earlier``)."""
    comp = instance.competence
    comp = comp[comp["function"].isin(instance.functions_of(specialer))
                & (comp["max_cases"] > 0)][PS]
    m = comp.merge(designations[PS].assign(_d=True), on=PS, how="left")
    return m[m["_d"].isna()][PS].to_dict("records")


def wave_params(base: ModelParams, rollout: Rollout, year: int, planned: list[str],
                committed: list[dict[str, Any]], closed: list[dict[str, str]],
                functions: list[str] | None = None,
                built: list[tuple[str, str, int]] | None = None) -> ModelParams:
    """The rules of the plan of ``year``: the scenario's, for the ``planned`` specialer,
    with demand grown to ``year`` and the earlier waves' commitments (module docstring).

    ``functions``: the specialfunktion types of ``planned`` (:meth:`Instance.functions_of`;
    default: each speciale its own type): the scenario's fixed and forbidden designations
    and region bounds of those types are kept. ``built``: (provider, type, places) of the
    expansions and new sites earlier waves built; they stay (``built: true``). In
    applications mode the applications in force are those of ``year`` (``plan_year``)."""
    d = base.model_dump(mode="python")
    d["specialer"] = list(planned)
    if d.get("mode") == "applications":
        d["plan_year"] = year
    left = list(built or [])
    for entry in [*d["expansions"], *d["new_sites"]]:
        key = (entry.get("provider_id", entry.get("site_id")), entry["function"],
               int(entry["places"]))
        if key in left:
            entry["built"] = True
            left.remove(key)
    per = {s: dict(v) for s, v in d["per_speciale"].items()}
    default_growth = d["defaults"].get("demand_growth") or 1.0
    for s in planned:
        factor = rollout.growth(s, year)
        if factor != 1.0:
            cur = per.get(s, {})
            own = cur.get("demand_growth")
            per[s] = {**cur, "demand_growth": (own if own is not None else default_growth)
                      * factor}
    d["per_speciale"] = per
    types = set(planned if functions is None else functions)
    inplan = lambda items: [i for i in items if i["function"] in types]  # noqa: E731
    kept = {(c["provider_id"], c["function"]) for c in committed}
    d["fixed"] = inplan([f for f in d["fixed"] if (f["provider_id"], f["function"]) not in kept]
                        ) + [{"provider_id": p, "function": s} for p, s in sorted(kept)]
    shut = {(c["provider_id"], c["function"]) for c in closed}
    d["forbidden"] = inplan([f for f in d["forbidden"]
                             if (f["provider_id"], f["function"]) not in shut]) + [
        {"provider_id": p, "function": s} for p, s in sorted(shut)]
    d["region_bounds"] = inplan(d["region_bounds"])
    d["committed"] = sorted(committed, key=lambda c: (c["function"], c["provider_id"]))
    return ModelParams.model_validate(d)


def final_params(base: ModelParams, rollout: Rollout,
                 functions: list[str] | None = None) -> ModelParams:
    """All specialer of the rollout at once, on the final year's demand, no commitments
    (``functions``: their types, as for :func:`wave_params`), with the budgets of all the
    waves together (``expansion_budget_dkk`` × the number of waves)."""
    params = wave_params(base, rollout, rollout.years[-1], rollout.specialer, [], [],
                         functions)
    if params.expansion_budget_dkk is None:
        return params
    return params.model_copy(update={
        "expansion_budget_dkk": params.expansion_budget_dkk * len(rollout.years)})


def with_candidates_listed(base: ModelParams, instance: Instance,
                           functions: list[str]) -> ModelParams:
    """``base`` with ``expansion_candidates`` written out as ``expansions`` entries for
    every type of the rollout (``functions``), so that every wave numbers and keeps the
    same options (a wave plans fewer types, which would renumber generated ones)."""
    from specialeplan.model.expansions import candidate_entries

    if base.expansion_candidates is None:
        return base
    listed = candidate_entries(instance.competence, base, functions)
    return base.model_copy(update={"expansions": [*base.expansions, *listed],
                                   "expansion_candidates": None})


def built_options(changes: pd.DataFrame) -> list[tuple[str, str, int]]:
    """(provider, type, places) of each expansion in a plan's capacity_changes.csv."""
    return [(str(p), str(f), int(n)) for p, f, n in zip(
        changes["provider_id"], changes["function"], changes["places"], strict=True)]


# ----------------------------------------------------------------------- per speciale
def cost_by_speciale(data: ModelData, sol: Solution) -> pd.Series:
    """Each speciale's part of the objective, from the solution's tables and the model's
    weights: travel, outreach, designation, rådgivning, unmet, reach shortfall, near-family
    help, moved borgerforløb, changes from today's designations, the equity measure, the
    annuities of the places built and, priced in kroner, the care and minus its floor. The
    parts add up to the objective."""
    w = data.params.weights
    fam = data.params.families
    specs = pd.Index(data.functions, name="function")
    asg = sol.assignments
    tx = asg["cases"] * asg["travel_minutes"]
    phys = (asg["mode"] == "physical").to_numpy()
    by = lambda values, keys: values.groupby(keys).sum().reindex(specs).fillna(0.0)  # noqa: E731
    pairs = data.pairs.set_index(PS)
    des = sol.designations.join(pairs[["designation_cost", "advisory_cost"]], on=PS)
    today = data.pairs["designated_today"].to_numpy()
    now = data.pairs.merge(sol.designations[PS].assign(_n=True), on=PS, how="left")[
        "_n"].notna().to_numpy()
    # moved: today's residents neither at a specialfunktion nor kept there transitionally
    kept = pd.concat([sol.designations[[*PS, "cases"]], sol.transitional[PS].assign(
        cases=sol.transitional["transitional_cases"])]).groupby(PS)["cases"].sum()
    moved = (data.pairs["current_cases"] - kept.reindex(pd.MultiIndex.from_frame(
        data.pairs[PS])).fillna(0.0).to_numpy()).clip(lower=0.0)
    short = sol.reach[sol.reach["advisory_provider_id"] == ""]
    parts = [
        w.travel * by(tx[phys], asg["function"][phys]),
        w.outreach * by(tx[~phys], asg["function"][~phys]),
        w.designation * by(des["designation_cost"], des["function"]),
        w.advisory * by(des["advisory_cost"].where(des["is_advisory"], 0.0), des["function"]),
        w.unmet * by(sol.coverage["unmet"], sol.coverage["function"]),
        w.reach_shortfall * by(short["share"], short["function"]),
        w.near_family * by(sol.near_family["cases"], sol.near_family["function"]),
        w.change * by(pd.Series((today != now).astype(float)), data.pairs["function"]),
    ]
    ch = sol.capacity_changes  # the annuities of the places built (term expansion)
    if len(ch):
        parts.append(by(ch["annual_cost_dkk"].astype(float) / UNIT, ch["function"]))
    if data.costs is not None and data.assignment == "arcs":  # terms care and care_floor
        price = data.care_prices()
        fn = asg["function"]
        unit = np.where(phys, fn.map(price["residential"]).to_numpy(dtype=float),
                        fn.map(price["outreach"]).to_numpy(dtype=float))
        nf = sol.near_family
        parts += [by(asg["cases"] * unit, fn),
                  by(nf["cases"] * nf["function"].map(price["residential"]).astype(float),
                     nf["function"]),
                  -data.care_floor().reindex(specs).fillna(0.0)]
    if fam.moved:
        parts.append(w.moved * by(moved, data.pairs["function"]))
    if fam.equity:
        per = sol.kpis.get("per_function", {})
        parts.append(w.equity * pd.Series({s: per.get(s, {}).get("worst_off_travel_minutes",
                                                                 0.0) for s in specs}))
    return sum(parts).rename("cost")


def speciale_rows(data: ModelData, sol: Solution) -> pd.DataFrame:
    """Per planned speciale: designations (specialfunktioner), advisory_designations
    (rådgivningsfunktioner), demand, served, near-family help, unmet, mean family travel per
    served borgerforløb, cost, and the capacity built: ``places_built`` and
    ``investment_dkk`` by this plan, ``places_built_total`` with the earlier waves'."""
    des = sol.designations.groupby("function").agg(
        designations=("provider_id", "size"), advisory_designations=("is_advisory", "sum"))
    cov = sol.coverage.groupby("function")[["demand", "served", "near_family", "unmet"]].sum()
    asg = sol.assignments
    phys = asg[asg["mode"] == "physical"]
    minutes = (phys["cases"] * phys["travel_minutes"]).groupby(phys["function"]).sum()
    served = asg.groupby("function")["cases"].sum()
    out = pd.DataFrame(index=pd.Index(data.functions, name="function")).join(des).join(cov)
    out = out.fillna(0.0)
    out["mean_travel_minutes"] = (minutes.reindex(out.index).fillna(0.0)
                                  / served.reindex(out.index)).where(
        served.reindex(out.index) > 0)
    out["cost"] = cost_by_speciale(data, sol)
    # capacity built: this plan's new expansions (not built by an earlier wave) and all
    ch = sol.capacity_changes
    before = set(data.expansions.loc[data.expansions["built"], "entry"]) if len(
        data.expansions) else set()
    fresh = ch[~ch["entry"].isin(before)]
    for col, rows, value in (("places_built", fresh, "places"),
                             ("places_built_total", ch, "places"),
                             ("investment_dkk", fresh, "investment_dkk")):
        out[col] = rows.groupby("function")[value].sum().reindex(out.index).fillna(
            0.0).astype(float) if len(rows) else 0.0
    return out.astype({"designations": int, "advisory_designations": int}).reset_index()


# ----------------------------------------------------------------------- running
@dataclass
class WaveRecord:
    """One wave (or the all-at-once comparison) as it was planned."""

    year: int | str
    new: list[str]
    planned: list[str]
    folder: Path | None  # None: nothing was written (interrupted before a solution)
    status: str
    objective: float | None = None
    best_bound: float | None = None
    mip_gap: float | None = None
    seconds: float = 0.0
    source: str = "solved"  # "solved" or the --from folder
    rows: pd.DataFrame | None = None  # speciale_rows of its solution
    kpis: dict[str, Any] = field(default_factory=dict)  # its kpis.json (empty: none)

    def summary(self) -> dict[str, Any]:
        """JSON-ready description (for rollout.json)."""
        return {"year": self.year, "new": self.new, "planned": self.planned,
                "folder": self.folder.name if self.folder else None, "status": self.status,
                "objective": self.objective, "best_bound": self.best_bound,
                "mip_gap": self.mip_gap, "seconds": self.seconds, "source": self.source}


@dataclass
class RolloutOutcome:
    """What ``specialeplan rollout`` produced."""

    root: Path
    waves: list[WaveRecord]
    all_at_once: WaveRecord | None
    timeline: pd.DataFrame
    phasing: dict[str, Any]
    complete: bool
    stopped: str | None = None  # why the rollout stopped early
    checks: dict[str, bool] = field(default_factory=dict)
    notice_weeks: float = NOTICE_WEEKS  # rollout.notice_weeks


def _unmet_by_speciale(record: WaveRecord | None) -> dict[str, float]:
    if record is None or record.rows is None:
        return {}
    return {str(r.function): float(r.unmet) for r in record.rows.itertuples()}


def _unmet_term(record: WaveRecord | None) -> float | None:
    terms = (record.kpis.get("terms") if record is not None else None) or {}
    value = terms.get("unmet") if isinstance(terms, dict) else None
    return float(value) if isinstance(value, int | float) else None


def price_of_phasing(phased: WaveRecord, together: WaveRecord | None) -> dict[str, Any]:
    """Phased final year vs all at once (module docstring); empty values where a side has
    no solution.

    Objective figures are in ``objective_unit``; ``unmet_*`` in borgerforløb per year
    (``unmet_per_speciale``: per speciale, ``phased``, ``all_at_once``, ``added``)."""
    out: dict[str, Any] = {
        "year": phased.year, "phased_objective": phased.objective,
        "phased_best_bound": phased.best_bound, "phased_mip_gap": phased.mip_gap,
        "all_at_once_objective": together.objective if together else None,
        "all_at_once_best_bound": together.best_bound if together else None,
        "all_at_once_mip_gap": together.mip_gap if together else None,
        "price": None, "price_low": None, "price_high": None, "relative": None,
        "larger_than_gaps": None,
        "objective_unit": common_unit([phased.kpis, together.kpis if together else None]),
        "combined_gap": None, "exceeds_combined_gaps": None,
        "unmet_phased": None, "unmet_all_at_once": None, "unmet_added": None,
        "unmet_per_speciale": {}, "unmet_penalty_difference": None,
        "price_excluding_unmet_penalty": None}
    if together is None or phased.objective is None or together.objective is None:
        return out
    price = phased.objective - together.objective
    lb_ph = phased.best_bound if phased.best_bound is not None else -math.inf
    lb_all = together.best_bound if together.best_bound is not None else -math.inf
    low, high = lb_ph - together.objective, phased.objective - lb_all
    out.update(price=price, relative=price / max(abs(together.objective), 1e-9),
               price_low=low if math.isfinite(low) else None,
               price_high=high if math.isfinite(high) else None,
               larger_than_gaps=bool(math.isfinite(low) and low > 0))
    # the rule of `specialeplan compare`: beyond the sum of the two absolute gaps
    combined = (phased.objective - lb_ph) + (together.objective - lb_all)
    if math.isfinite(combined):
        combined = max(0.0, combined)
        out.update(combined_gap=combined, exceeds_combined_gaps=bool(abs(price) > combined
                                                                      + TOL))
    ph, al = _unmet_by_speciale(phased), _unmet_by_speciale(together)
    if ph and al:
        specs = list(dict.fromkeys([*ph, *al]))
        per = {s: {"phased": ph.get(s, 0.0), "all_at_once": al.get(s, 0.0),
                   "added": ph.get(s, 0.0) - al.get(s, 0.0)} for s in specs}
        out.update(unmet_phased=sum(ph.values()), unmet_all_at_once=sum(al.values()),
                   unmet_added=sum(ph.values()) - sum(al.values()), unmet_per_speciale=per)
    t_ph, t_al = _unmet_term(phased), _unmet_term(together)
    if t_ph is not None and t_al is not None:
        out.update(unmet_penalty_difference=t_ph - t_al,
                   price_excluding_unmet_penalty=price - (t_ph - t_al))
    return out


def _num(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}"


def phasing_sentence(p: dict[str, Any]) -> str:
    """The price of phasing for a planner: the objective difference with its unit, its
    range by the bounds and the verdict on the gaps, then the unmet demand as people (one
    line each)."""
    if p.get("price") is None:
        return "price of phasing: not computed (no all-at-once solution)"
    unit = p.get("objective_unit") or objective_unit(None)
    gaps = (f"gaps: phased {p['phased_mip_gap']:.2%}, all at once {p['all_at_once_mip_gap']:.2%}"
            if p.get("phased_mip_gap") is not None and p.get("all_at_once_mip_gap") is not None
            else "a gap is unknown")
    rng = ""
    if p.get("price_low") is not None and p.get("price_high") is not None:
        rng = f"; between {p['price_low']:,.0f} and {p['price_high']:,.0f} by the bounds"
    verdict = ("larger than the gaps: phasing certainly costs more" if p["larger_than_gaps"]
               else "not larger than the gaps: the difference may be solver tolerance")
    lines = [f"price of phasing in {p['year']}: {_num(p['price'], unit)} ({p['relative']:.2%} "
             f"of the all-at-once objective {p['all_at_once_objective']:,.0f}){rng} ({gaps}); "
             f"{verdict}"]
    if p.get("combined_gap") is not None:
        lines.append(
            f"  combined gap of the two solves: {_num(p['combined_gap'], unit)}; the "
            f"difference {'exceeds' if p['exceeds_combined_gaps'] else 'does not exceed'} "
            "it" + ("" if p["exceeds_combined_gaps"] else " (not significant at this gap)"))
    if p.get("unmet_phased") is not None:
        line = (f"  unmet demand in {p['year']}: {p['unmet_phased']:,.1f} borgerforløb phased, "
                f"{p['unmet_all_at_once']:,.1f} all at once ({p['unmet_added']:+,.1f})")
        if p.get("unmet_penalty_difference") is not None:
            line += (f"; of the price, {_num(p['unmet_penalty_difference'], unit)} is the "
                     f"unmet-demand penalty and {_num(p['price_excluding_unmet_penalty'], unit)}"
                     " the rest")
        lines.append(line)
        differ = {s: v for s, v in (p.get("unmet_per_speciale") or {}).items()
                  if abs(v["added"]) > TOL}
        if differ:
            lines.append("  unmet borgerforløb by speciale (phased vs all at once): " + ", ".join(
                f"{s} {v['phased']:,.1f} vs {v['all_at_once']:,.1f}"
                for s, v in sorted(differ.items(), key=lambda kv: -abs(kv[1]["added"]))))
    return "\n".join(lines)


def notice_lines(timeline: pd.DataFrame, notice_weeks: float) -> list[str]:
    """Per wave that moves borgerforløb of today's caseload: how many, of which specialer,
    decided when and effective from when (``rollout.notice_weeks``)."""
    weeks = f"rollout.notice_weeks: {notice_weeks:g} weeks' notice"
    if not len(timeline) or "moved_cases" not in timeline:
        return []
    moved = timeline[(timeline["moved_cases"] > TOL) & (timeline["year"] == timeline["wave"])]
    if not len(moved):
        return [f"no borgerforløb of today's caseload are moved ({weeks} not needed)"]
    lines = []
    for (decided, effective), rows in moved.groupby(["decided", "moves_effective_from"],
                                                    sort=True):
        lines.append(
            f"moves decided {decided}: {rows['moved_cases'].sum():,.1f} borgerforløb of "
            "today's caseload (" + ", ".join(f"{r.function} {r.moved_cases:,.1f}"
                                              for r in rows.itertuples())
            + f"), effective from {effective} at the earliest ({weeks})")
    return lines


class RolloutRunner:
    """Plans a rollout wave by wave into ``out/<name>/`` (module docstring).

    ``progress(message)`` is called with one line per step. Each wave gets the scenario's
    ``solver`` options (its ``time_limit`` per wave).
    """

    def __init__(self, resolved: ResolvedScenario, out: Path, *, from_dir: Path | None = None,
                 overwrite: bool = False, compare: bool = True,
                 compare_time_limit: float | None = None, excel: bool = True,
                 maps: bool = False, check: bool = True,
                 progress: Callable[[str], None] | None = None,
                 verbose: bool = False, verify: bool = True) -> None:
        sc = resolved.scenario
        if sc.rollout is None:
            raise ScenarioError(f"{resolved.path}: the scenario has no 'rollout:' section "
                                "(year -> specialer); see scenarios/rollout_2030.yaml")
        self.resolved, self.sc, self.rollout = resolved, sc, sc.rollout
        self.out, self.root = Path(out), Path(out) / sc.name
        self.from_dir, self.overwrite, self.compare = from_dir, overwrite, compare
        self.compare_time_limit = compare_time_limit
        self.excel, self.maps, self.check, self.verbose = excel, maps, check, verbose
        self.verify = verify  # refuse a --from folder the checker rejects
        self.progress = progress or (lambda _m: None)
        self.checks: dict[str, bool] = {}

    # -------------------------------------------------------------- one plan
    def _solve_into(self, name: str, year: int | str, new: list[str], params: ModelParams,
                    instance: Instance, description: str, time_limit: float | None = None,
                    ) -> tuple[WaveRecord, RunOutcome | None]:
        """Solve one plan into ``root/<name>/`` (written atomically and checked:
        :func:`~specialeplan.pipeline.solve_into_folder`); ``time_limit`` replaces the
        scenario's for this plan. The outcome is None when nothing was written (interrupted
        before a solution)."""
        t0 = time.perf_counter()
        solver = (self.sc.solver if time_limit is None
                  else self.sc.solver.model_copy(update={"time_limit": time_limit}))
        scenario = Scenario(name=name, description=description, dataset=self.sc.dataset,
                            model=params, solver=solver)
        resolved = ResolvedScenario(scenario=scenario, path=self.resolved.path,
                                    chain=[*self.resolved.chain, f"rollout: {description}"])
        run = solve_into_folder(
            resolved, self.root, overwrite=self.overwrite, within=("rollout",),
            excel=self.excel, maps=self.maps, verbose=self.verbose, check=self.check,
            instance=instance, rescue=False, kept=_KEPT,
            on_warning=lambda text: self.progress(f"[yellow]warning:[/] {text}"))
        planned = list(params.specialer or [])
        if run.folder is None:
            return WaveRecord(year, new, planned, None, "interrupted"), None
        outcome, res = run.outcome, run.outcome.result
        record = WaveRecord(year, new, planned, run.folder, str(res.status), res.objective,
                            res.best_bound, res.mip_gap,
                            time.perf_counter() - t0 - (run.timings["check_seconds"] or 0.0))
        record.kpis = read_kpis(run.folder)
        if outcome.solution is not None:
            record.rows = speciale_rows(outcome.data, outcome.solution)
            if run.check_ok is not None:
                self._note_check(run.folder, run.check, run.check_error)
        return record, outcome

    def _check(self, folder: Path) -> None:
        if not self.check:
            return
        from specialeplan.checker import check_results

        self._note_check(folder, check_results(folder), None)

    def _note_check(self, folder: Path, report: CheckReport | None,
                    error: SpecialeplanError | None) -> None:
        """Record a wave's check; a failed one is reported through ``progress``."""
        self.checks[folder.name] = error is None and report is not None and report.ok
        if error is not None:
            self.progress(f"[red]check failed[/] for {folder}: {error}")
        elif report is not None and not report.ok:
            self.progress(f"[red]check failed[/] for {folder}:\n{report.to_text()}")

    def _from_folder(self, year: int, new: list[str], instance: Instance) -> WaveRecord:
        """The first wave taken from an existing results folder (copied into place)."""
        src = Path(self.from_dir)  # type: ignore[arg-type]
        if self.verify:
            from specialeplan.checker import verify_folder

            verify_folder(src, "rollout --from")
        loaded = load_run(src)
        if set(loaded.functions) != set(instance.functions_of(new)):
            raise ScenarioError(
                f"--from {src}: it plans {sorted(loaded.functions)}, but the first wave "
                f"({year}) is {sorted(new)}; the folder must plan exactly the first wave")
        known = set(instance.providers["provider_id"])
        unknown = sorted(set(loaded.tables["designations"]["provider_id"]) - known)
        if unknown:
            raise ScenarioError(f"--from {src}: provider {unknown[0]!r} is not in the "
                                f"scenario's dataset {self.sc.dataset!r}")
        t0 = time.perf_counter()
        with RunFolder(self.root, str(year), overwrite=self.overwrite,
                       within=("rollout",)) as rf, writing(
                rf.target, _KEPT):
            shutil.copytree(src, rf.tmp, dirs_exist_ok=True)
            folder = rf.publish()
        k = loaded.kpis
        record = WaveRecord(year, new, list(new), folder, str(k.get("status")),
                            k.get("objective"), k.get("best_bound"), k.get("mip_gap"),
                            time.perf_counter() - t0, source=str(src))
        record.kpis = read_kpis(folder) or dict(k)
        data = build(loaded.instance, loaded.params).data
        sol = Solution(**{n: loaded.tables[n] for n in ("designations", "assignments",
                                                        "coverage", "reach", "near_family",
                                                        "regions", "capacity_changes",
                                                        "transitional")},
                       kpis=k)
        record.rows = speciale_rows(data, sol)
        self._check(folder)
        return record

    # -------------------------------------------------------------- the rollout
    def _prepare(self, instance: Instance) -> None:
        known = set(instance.speciale_ids)
        unknown = [s for s in self.rollout.specialer if s not in known]
        if unknown:
            year = next(y for y, wave in self.rollout.waves.items() if unknown[0] in wave)
            raise ScenarioError(f"rollout: unknown speciale {unknown[0]!r} in the wave of "
                                f"{year}." + did_you_mean(unknown[0], known)
                                + f" Known: {', '.join(sorted(known))}")
        own = self.sc.model.specialer
        if own is not None and set(own) != set(self.rollout.specialer):
            self.progress("[yellow]note:[/] model.specialer is not used by a rollout: the "
                          "waves decide which specialer each year plans")
        if self.root.exists() and not self.root.is_dir():
            raise ScenarioError(f"{self.root} exists and is not a folder")
        check_output_root(self.out)
        found = (folder_kind(self.root) if self.root.is_dir() and any(self.root.iterdir())
                 else "rollout")
        if found != "rollout":  # never write years into (or over) another command's folder
            raise RunFolderExists(
                f"{self.root} holds " + (f"the results of a {found}" if found else
                                         "files that are not a specialeplan result")
                + ", not a rollout; use another --out (or scenario name) for the rollout")
        if self.root.is_dir() and not self.overwrite:
            done = [p.name for p in sorted(self.root.iterdir()) if is_run_folder(p)]
            if done or (self.root / "rollout.json").is_file():
                raise RunFolderExists(
                    f"{self.root} already holds a rollout ({', '.join(done) or 'rollout.json'})"
                    "; use --overwrite to replace it (each folder only once its new plan is "
                    "complete), or another --out")

    def run(self) -> RolloutOutcome:
        """Plan every wave, then all at once; write the summary files."""
        t0 = time.perf_counter()
        self.out.mkdir(parents=True, exist_ok=True)
        with RunLock(self.out, self.sc.name):
            instance = load_dataset(self.sc.dataset, self.resolved.base_dir)
            self._prepare(instance)
            self.root.mkdir(parents=True, exist_ok=True)
            write_folder_record(self.root, "rollout")
            waves, stopped = self._waves(instance)
            if stopped is None and interrupt_requested():  # in the last wave, which kept
                stopped = f"interrupted in wave {waves[-1].year}"  # its best plan so far
            together = None
            complete = stopped is None and len(waves) == len(self.rollout.years)
            if complete and self.compare:
                together = self._all_at_once(instance)
                if interrupt_requested():
                    complete, stopped = False, "interrupted in the all-at-once plan"
                if together.folder is None:
                    together = None
            last = waves[-1] if waves else None
            # the price's range comes from both bounds, so an interrupted side is honest too
            phasing = (price_of_phasing(last, together) if last is not None and (
                complete or together is not None) else {})
            timeline = timeline_table(self.rollout, waves, instance.specialer_of())
            outcome = RolloutOutcome(self.root, waves, together, timeline, phasing, complete,
                                     stopped, dict(self.checks), self.rollout.notice_weeks)
            self._write_summary(outcome, time.perf_counter() - t0)
            if self.overwrite:  # also when stopped early: rollout.json lists only these
                self._remove_stale({r.folder.name for r in [*waves, together]
                                    if r is not None and r.folder is not None})
        return outcome

    def _waves(self, instance: Instance) -> tuple[list[WaveRecord], str | None]:
        ro = self.rollout
        base = with_candidates_listed(self.sc.model, instance,
                                      instance.functions_of(ro.specialer))
        records: list[WaveRecord] = []
        committed: list[dict[str, Any]] = []
        closed: list[dict[str, str]] = []
        built: list[tuple[str, str, int]] = []
        planned: list[str] = []
        for i, (year, new) in enumerate(ro.waves.items()):
            planned = [*planned, *new]
            if interrupt_requested():
                return records, f"interrupted before wave {year}"
            self.progress(f"wave {year}: {', '.join(new)}"
                          + (f" (with {len(planned) - len(new)} earlier specialer fixed)"
                             if i else ""))
            if i == 0 and self.from_dir is not None:
                record = self._from_folder(year, new, instance)
                tables = load_run(record.folder).tables
                designations, changes = tables["designations"], tables["capacity_changes"]
            else:
                params = wave_params(base, ro, year, planned, committed,
                                     [] if ro.reopen_earlier else closed,
                                     instance.functions_of(planned), built)
                record, outcome = self._solve_into(
                    str(year), year, list(new), params, instance,
                    f"rollout wave {year}: {', '.join(new)}")
                if outcome is None or outcome.solution is None:
                    records.append(record)
                    why = {"infeasible": "infeasible (see infeasibility.csv)",
                           "interrupted": "interrupted"}.get(record.status, record.status)
                    return records, f"wave {year}: {why}"
                designations = outcome.solution.designations
                changes = outcome.solution.capacity_changes
            records.append(record)
            fresh = len(changes) - len(built)  # capacity_changes lists the earlier first
            built = built_options(changes)  # all built so far: the earlier ones stay
            committed = commitments(designations)
            closed = closed_pairs(instance, planned, designations)
            gap = f", gap {record.mip_gap:.2%}" if record.mip_gap is not None else ""
            obj = f"{record.objective:,.0f}" if record.objective is not None else "-"
            rows = record.rows
            more = ""
            if rows is not None and rows["places_built_total"].sum() > 0:
                more = (f", {rows['places_built'].sum():,.0f} places built "
                        f"({rows['investment_dkk'].sum() / 1e6:,.1f} mio kr; "
                        f"{max(fresh, 0)} expansions)")
            unmet = f", {rows['unmet'].sum():,.1f} borgerforløb unmet" if (
                rows is not None and rows["unmet"].sum() > TOL) else ""
            self.progress(f"  {year}: {record.status}, objective {obj}{gap}{more}{unmet}, "
                          f"{record.seconds:.1f} s → {record.folder}")
        return records, None

    def _all_at_once(self, instance: Instance) -> WaveRecord | None:
        ro = self.rollout
        self.progress(f"all at once: {len(ro.specialer)} specialer on the demand of "
                      f"{ro.years[-1]}")
        functions = instance.functions_of(ro.specialer)
        params = final_params(with_candidates_listed(self.sc.model, instance, functions), ro,
                              functions)
        record, _ = self._solve_into(
            ALL_AT_ONCE, ro.years[-1], [], params, instance,
            f"all {len(ro.specialer)} specialer of the rollout at once, demand of "
            f"{ro.years[-1]}", time_limit=self.compare_time_limit)
        gap = f", gap {record.mip_gap:.2%}" if record.mip_gap is not None else ""
        self.progress(f"  all at once: {record.status}{gap}, {record.seconds:.1f} s")
        return record

    def _write_summary(self, outcome: RolloutOutcome, seconds: float) -> None:
        root = self.root
        summary = {
            "name": self.sc.name, "complete": outcome.complete, "stopped": outcome.stopped,
            "rollout": self.rollout.model_dump(mode="json"),
            "waves": [w.summary() for w in outcome.waves],
            "all_at_once": outcome.all_at_once.summary() if outcome.all_at_once else None,
            "price_of_phasing": outcome.phasing,
            "notice_weeks": self.rollout.notice_weeks,
            "objective_unit": common_unit([w.kpis for w in outcome.waves]),
            "checks": outcome.checks, "seconds": seconds,
        }
        with writing(root, _KEPT):
            write_atomic(root / "timeline.csv",
                         lambda p: outcome.timeline.to_csv(p, index=False))
            write_atomic(root / "rollout.json", lambda p: p.write_text(
                json.dumps(json_safe(summary), indent=2, ensure_ascii=False),
                encoding="utf-8"))
        if self.excel:
            waves = pd.DataFrame([w.summary() for w in outcome.waves])
            if len(waves):
                waves = waves.assign(new=waves["new"].map(", ".join),
                                     planned=waves["planned"].map(len))
            flat = {k: v for k, v in outcome.phasing.items() if k != "unmet_per_speciale"}
            unmet = pd.DataFrame([{"function": s, **v} for s, v in (
                outcome.phasing.get("unmet_per_speciale") or {}).items()],
                columns=["function", "phased", "all_at_once", "added"])
            sheets = {"timeline": outcome.timeline, "waves": waves,
                      "price_of_phasing": pd.DataFrame([flat]),
                      "unmet_phased_vs_all": unmet}
            with writing(root, _KEPT):
                write_atomic(root / "rollout.xlsx", lambda p: write_sheets(p, sheets))

    def _remove_stale(self, keep: set[str]) -> None:
        """After an --overwrite: the year and all-at-once folders of an earlier rollout that
        this one did not write (not planned, not reached, interrupted before a solution, or
        ``--no-compare``); their results would mix with this rollout's."""
        for p in self.root.iterdir():
            if p.is_dir() and p.name not in keep and is_run_folder(p) and (
                    p.name.isdigit() or p.name == ALL_AT_ONCE):
                shutil.rmtree(p, ignore_errors=True)
                self.progress(f"removed {p} (not part of this rollout)")


def timeline_table(rollout: Rollout, waves: list[WaveRecord],
                   specialer_of: Mapping[str, list[str]] | None = None) -> pd.DataFrame:
    """``timeline.csv``: one row per (year, planned function) of the waves with a solution
    (:data:`TIMELINE_COLUMNS`; the moves and their dates: module docstring).

    The waves name specialer, the rows are specialfunktion types: a type enters with the
    first wave that names one of its specialer (``specialer_of``: type → its specialer,
    :meth:`Instance.specialer_of`; without it each type is its own speciale)."""
    ro = rollout
    entered: dict[str, int] = {}
    for y, ss in ro.waves.items():
        for s in ss:
            entered.setdefault(s, y)

    def wave_of(function: str) -> int:
        names = (specialer_of or {}).get(function, [function])
        return min(entered[s] for s in names if s in entered)

    parts = []
    for w in waves:
        if w.rows is None:
            continue
        wave = w.rows["function"].map(wave_of)
        rows = w.rows.assign(year=w.year, wave=wave, new=wave == w.year)
        per = w.kpis.get("per_function") or {}
        rows["moved_cases"] = [_moved(per, s) for s in rows["function"]]
        # the moves of a speciale are decided with its wave (module docstring)
        decided = [ro.decided(int(y)) for y in rows["wave"]]
        rows["decided"] = [d.isoformat() for d in decided]
        rows["moves_effective_from"] = [
            ro.moves_effective_from(d).isoformat() if m > TOL else ""
            for d, m in zip(decided, rows["moved_cases"], strict=True)]
        parts.append(rows)
    if not parts:
        return pd.DataFrame(columns=TIMELINE_COLUMNS)
    return pd.concat(parts, ignore_index=True)[TIMELINE_COLUMNS]


def _moved(per_speciale: dict[str, Any], speciale: str) -> float:
    """The borgerforløb of today's caseload moved: kpis ``per_speciale[speciale]["moved"]``,
    0 when the kpis have none."""
    rec = per_speciale.get(speciale)
    value = rec.get("moved") if isinstance(rec, dict) else None
    return float(value) if isinstance(value, int | float) and value == value else 0.0


def run_rollout(resolved: ResolvedScenario, out: Path, **options: Any) -> RolloutOutcome:
    """Plan a rollout (see :class:`RolloutRunner` for the options)."""
    return RolloutRunner(resolved, out, **options).run()
