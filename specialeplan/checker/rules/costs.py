"""The reported costs in kroner, re-derived from the folder's files alone: ``financing.csv``
and ``kpis.json → cost_dkk`` against the assignments, the designations, the solved inputs
and the cost table the run used (``instance/costs.csv``, ``instance/refusion_tiers.csv``).
Shares no code with :mod:`specialeplan.results.costs`, which wrote them.

Reconciled: every financing row (population share, base funding, cases by mode, care cost,
refunded, net, total); refunded ≤ care cost and net = care − refunded; Σ municipal base
funding = Σ advisory base funding; Σ care over municipalities = ``cost_dkk.care``; every
component of ``cost_dkk`` and of its ``per_function`` records. A folder written before the
cost table existed (none of these files) gets a note instead.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import Context
from specialeplan.errors import DataValidationError
from specialeplan.model.pricing import PRICE_RECIPES, UNIT, term_prices
from specialeplan.results.contract import COST_TABLES, FINANCING
from specialeplan.results.reading import read_csv

RULE = "costs"
#: the cost parameters a plan's costs need (docs/costs.md)
NEEDED = ("price_residential", "price_outreach", "designation_cost_unit",
          "advisory_cost_unit", "km_rate", "road_speed_kmh", "value_of_time",
          "family_visits_per_year", "outreach_visits_per_year", "staff_hourly_cost")
_PARTS = ("care", "designations", "advisory_base_funding", "family_travel",
          "outreach_staff_travel", "near_family_coaching", "unmet_alternative",
          "designation_changes", "moves", "capacity_annuities")
#: parameters added with the objective in kroner (a folder of an earlier version lacks them:
#: those components are then not checked)
LATER = {"near_family_coaching": "near_family_cost", "unmet_alternative":
         "unmet_alternative_cost", "designation_changes": "change_cost",
         "moves": "move_cost", "unmet_quality_penalty": "unmet_quality_penalty",
         "reach_shortfall_penalty": "reach_shortfall_penalty",
         "capacity_annuities": "capacity_annuity_rate"}
JUDGED = ("unmet_quality_penalty", "reach_shortfall_penalty")


def _tier_refund(cost: float, tiers: list[tuple[float, float, float]]) -> float:
    return sum(rate * max(0.0, min(cost, hi) - lo) for lo, hi, rate in tiers)


def _recompute(x: Context, par: dict[tuple[str, str], float],
               tiers: list[tuple[float, float, float]]
               ) -> tuple[pd.DataFrame, dict, dict]:
    """Per (municipality, speciale): cases by mode, care, refunded; the plan's components
    per speciale; and its value judgements (stated penalties) per speciale."""
    def p(name: str, s: str = "") -> float:
        return par.get((name, s), par[(name, "")])

    rows = []
    per: dict[str, dict[str, float]] = {s: dict.fromkeys(_PARTS, 0.0) | {"refunded": 0.0}
                                        for s in x.sp["function"]}
    # near-family help is a place at a local tilbud in the home municipality: care at the
    # residential price, no family travel
    local = [{"municipality_code": r["municipality_code"], "function": r["function"],
              "cases": r["cases"], "travel_minutes": 0.0, "mode": "physical"}
             for r in x.nf.to_dict("records")]
    for r in [*x.asg.to_dict("records"), *local]:
        s, n, minutes = r["function"], float(r["cases"]), float(r["travel_minutes"])
        outreach = r["mode"] == "outreach"
        price = p("price_outreach" if outreach else "price_residential", s)
        km = minutes / 60.0 * p("road_speed_kmh")
        if outreach:
            trip = km * p("km_rate") + minutes / 60.0 * p("staff_hourly_cost")
            per.setdefault(s, dict.fromkeys(_PARTS, 0.0) | {"refunded": 0.0})
            per[s]["outreach_staff_travel"] += n * p("outreach_visits_per_year") * 2 * trip
        else:
            trip = km * p("km_rate") + minutes / 60.0 * p("value_of_time")
            per.setdefault(s, dict.fromkeys(_PARTS, 0.0) | {"refunded": 0.0})
            per[s]["family_travel"] += n * p("family_visits_per_year") * 2 * trip
        refund = n * _tier_refund(price, tiers)
        per[s]["care"] += n * price
        per[s]["refunded"] += refund
        rows.append((r["municipality_code"], s, 0.0 if outreach else n, n if outreach else 0.0,
                     n * price, refund))
    comp = {(r["provider_id"], r["function"]): r for r in x.comp.to_dict("records")}
    for r in x.des.to_dict("records"):
        cr = comp.get((r["provider_id"], r["function"]))
        if cr is None:
            continue
        s = r["function"]
        per.setdefault(s, dict.fromkeys(_PARTS, 0.0) | {"refunded": 0.0})
        per[s]["designations"] += float(cr["designation_cost"]) * p("designation_cost_unit")
        if bool(r["is_advisory"]):
            per[s]["advisory_base_funding"] += (float(cr["advisory_cost"])
                                                * p("advisory_cost_unit"))
    judged: dict[str, dict[str, float]] = {s: {} for s in per}
    short = x.reach[~x.has_adviser]
    changes = pd.DataFrame({"function": x.changed_pairs["function"], "n": 1.0})
    sources = {"near_family_coaching": (x.nf, "cases"), "unmet_alternative": (x.cov, "unmet"),
               "designation_changes": (changes, "n"), "moves": (x.moved, "moved"),
               "unmet_quality_penalty": (x.cov, "unmet"),
               "reach_shortfall_penalty": (short, "share")}
    for key, name in LATER.items():
        if (name, "") not in par or key not in sources:  # an earlier folder: not costed
            continue
        table, column = sources[key]
        target = per if key in _PARTS else judged
        for s, amount in table.groupby("function")[column].sum().items():
            target.setdefault(s, {})[key] = float(amount) * p(name)
    # the expansions built: their annual cost as capacity_changes.csv states it (the rule
    # ``expansion`` holds each against the scenario and the cost table)
    for s, amount in x.changes.groupby("function")["annual_cost_dkk"].sum().items():
        per.setdefault(s, dict.fromkeys(_PARTS, 0.0) | {"refunded": 0.0})
        per[s]["capacity_annuities"] = float(amount)
    cols = ["municipality_code", "function", "residential_cases", "outreach_cases",
            "care_cost_dkk", "refunded_dkk"]
    by_home = pd.DataFrame(rows, columns=cols).groupby(cols[:2]).sum()
    return by_home, per, judged


def _read_cost_tables(folder: Path, c: Collector
                      ) -> tuple[dict[tuple[str, str], float], list] | None:
    try:
        costs = read_csv(folder, COST_TABLES["costs"])
        tiers = read_csv(folder, COST_TABLES["refusion_tiers"])
    except DataValidationError as exc:
        c.single(RULE, False, f"the cost table of the run cannot be read: {exc}")
        return None
    par = {(r["parameter"], r["function"]): float(r["value"]) for r in costs.to_dict("records")}
    missing = [n for n in NEEDED if (n, "") not in par]
    c.single(RULE, not missing, f"{COST_TABLES['costs'].file}: no default value for {missing}")
    c.single(RULE, all(v >= 0 for v in par.values()),
             f"{COST_TABLES['costs'].file}: a negative cost")
    t = sorted((float(r["lower_dkk"]),
                math.inf if pd.isna(r["upper_dkk"]) else float(r["upper_dkk"]),
                float(r["rate"])) for r in tiers.to_dict("records"))
    c.single(RULE, all(0 <= rate <= 1 and lo < hi for lo, hi, rate in t),
             f"{COST_TABLES['refusion_tiers'].file}: a tier with a rate outside [0, 1] or "
             "an upper bound not above its lower one")
    c.single(RULE, all(b[0] >= a[1] for a, b in zip(t, t[1:], strict=False)),
             f"{COST_TABLES['refusion_tiers'].file}: overlapping refusion tiers")
    return (par, t) if not missing else None


def _close(c: Collector, rep: float, value: float, message: str, **where: Any) -> None:
    c.single(RULE, abs(rep - value) <= float(c.sm(value, 10)), message, **where)


def check_costs(folder: Path, x: Context, c: Collector) -> list[str]:
    """Reconcile ``financing.csv`` and ``kpis.json → cost_dkk`` with the files; return notes
    (a folder written before the cost table)."""
    folder = Path(folder)
    has_fin = (folder / FINANCING.file).is_file()
    block = x.kpis.get("cost_dkk")
    has_table = (folder / COST_TABLES["costs"].file).is_file()
    if not (has_fin or block is not None or has_table):
        return ["no instance/costs.csv, financing.csv or cost_dkk (written before the cost "
                "table existed): the costs in kroner were not checked"]
    c.single(RULE, has_fin, f"{FINANCING.file} is missing: the run costed its plan")
    c.single(RULE, isinstance(block, dict), "kpis.json has no cost_dkk block: the run costed "
             "its plan")
    read = _read_cost_tables(folder, c)
    if read is None:
        return []
    by_home, per, judged = _recompute(x, *read)
    if isinstance(block, dict):
        judged_rep = block.get("value_judgements") or {}
        for key in JUDGED:
            if (LATER[key], "") in read[0] and isinstance(judged_rep.get(key), int | float):
                value = sum(rec.get(key, 0.0) for rec in judged.values())
                _close(c, judged_rep[key], value, f"cost_dkk.value_judgements.{key}: kpis.json "
                       f"reports {g(judged_rep[key])}, the files give {g(value)}")
        parts = [k for k in _PARTS if k in block or k not in LATER]  # earlier folders lack some
        for key in (*parts, "refunded"):
            if key in LATER and (LATER[key], "") not in read[0]:
                continue
            value = sum(rec.get(key, 0.0) for rec in per.values())
            rep = block.get(key)
            c.single(RULE, isinstance(rep, int | float), f"cost_dkk.{key} is missing")
            if isinstance(rep, int | float):
                _close(c, rep, value, f"cost_dkk.{key}: kpis.json reports {g(rep)}, the files "
                       f"give {g(value)}")
        total = sum(block.get(k) or 0.0 for k in parts)
        _close(c, block.get("total") or 0.0, total,
               f"cost_dkk.total {g(block.get('total'))} ≠ Σ components {g(total)}")
        _check_today(x, c, block.get("today"), read[0])
        for s, rec in (block.get("per_function") or {}).items():
            for key, rep in rec.items():
                if key in per.get(s, {}) and isinstance(rep, int | float):
                    _close(c, rep, per[s][key], f"cost_dkk.per_function.{s}.{key}: kpis.json "
                           f"reports {g(rep)}, the files give {g(per[s][key])}", speciale=s)
        _check_objective_in_kroner(x, c, block)
    if not has_fin:
        return []
    try:
        fin = read_csv(folder, FINANCING)
    except DataValidationError as exc:
        c.single(RULE, False, f"{FINANCING.file} cannot be read: {exc}")
        return []
    _check_financing(x, c, fin, by_home, per, block)
    return []


def _check_today(x: Context, c: Collector, today: Any,
                 par: dict[tuple[str, str], float]) -> None:
    """``cost_dkk.today`` from competence.csv: current cases priced by the provider's kind
    (outreach providers at the outreach price), designations and rådgivningsfunktioner of
    today at their costs."""
    if not isinstance(today, dict):
        c.single(RULE, False, "cost_dkk has no today block")
        return
    kind = {r["provider_id"]: str(r["kind"] or "").strip().lower()
            for r in x.prov.fillna({"kind": ""}).to_dict("records")}
    care = des = adv = 0.0
    for r in x.comp.to_dict("records"):
        name = ("price_outreach" if kind.get(r["provider_id"]) == "outreach"
                else "price_residential")
        care += float(r["current_cases"]) * par.get((name, r["function"]), par[(name, "")])
        des += float(r["designation_cost"]) * bool(r["designated_today"])
        adv += float(r["advisory_cost"]) * bool(r.get("advisory_today", False))
    ref = {"care": care, "designations": des * par[("designation_cost_unit", "")],
           "advisory_base_funding": adv * par[("advisory_cost_unit", "")]}
    for key, value in ref.items():
        rep = today.get(key)
        if isinstance(rep, int | float):
            _close(c, rep, value, f"cost_dkk.today.{key}: kpis.json reports {g(rep)}, the "
                   f"files give {g(value)}")


def _check_financing(x: Context, c: Collector, fin: pd.DataFrame, by_home: pd.DataFrame,
                     per: dict[str, dict[str, float]], block: Any) -> None:
    keys = FINANCING.keys
    pop = x.munis.set_index("code")["population"].astype(float)
    share = pop / pop.sum() if pop.sum() > 0 else pop * 0 + 1.0 / len(pop)
    grid = pd.MultiIndex.from_product([list(x.munis["code"]), list(x.sp["function"])],
                                      names=keys)
    f = fin.set_index(keys)
    c.single(RULE, not f.index.duplicated().any(), f"{FINANCING.file}: duplicate rows")
    f = f[~f.index.duplicated()]
    missing, extra = grid.difference(f.index), f.index.difference(grid)
    c.single(RULE, len(missing) == 0, f"{FINANCING.file}: no row for {list(missing)[:3]}")
    c.single(RULE, len(extra) == 0,
             f"{FINANCING.file}: rows for unknown municipalities or specialer {list(extra)[:3]}")
    ref = pd.DataFrame(index=grid)
    ref["population_share"] = share.reindex(grid.get_level_values(0)).to_numpy()
    ref["base_funding_dkk"] = ref["population_share"] * [
        per.get(s, {}).get("advisory_base_funding", 0.0) for s in grid.get_level_values(1)]
    for col in ("residential_cases", "outreach_cases", "care_cost_dkk", "refunded_dkk"):
        ref[col] = by_home[col].reindex(grid).fillna(0.0) if len(by_home) else 0.0
    ref["net_cost_dkk"] = ref["care_cost_dkk"] - ref["refunded_dkk"]
    ref["total_dkk"] = ref["base_funding_dkk"] + ref["net_cost_dkk"]
    m = ref.reset_index().merge(f.reset_index(), on=keys, suffixes=("", "_file"))
    for col in ref.columns:
        c.rule(RULE, m, (m[col] - m[f"{col}_file"]).abs() > c.sm(m[col], 10), lambda r, col=col: (
            f"{FINANCING.file} municipality {r['municipality_code']}, speciale "
            f"{r['function']}: {col} {g(r[f'{col}_file'])} ≠ {g(r[col])} from the files"))
    c.rule(RULE, fin, fin["refunded_dkk"] > fin["care_cost_dkk"] + c.sm(fin["care_cost_dkk"]),
           lambda r: (f"{FINANCING.file} municipality {r['municipality_code']}, speciale "
                      f"{r['function']}: refunded {g(r['refunded_dkk'])} exceeds the cost "
                      f"{g(r['care_cost_dkk'])}"))
    net = fin["care_cost_dkk"] - fin["refunded_dkk"]
    c.rule(RULE, fin, (fin["net_cost_dkk"] - net).abs() > c.sm(net, 3), lambda r: (
        f"{FINANCING.file} municipality {r['municipality_code']}, specialfunktion {r['function']}: "
        f"net_cost_dkk {g(r['net_cost_dkk'])} ≠ care − refunded"))
    advisory = sum(rec["advisory_base_funding"] for rec in per.values())
    _close(c, float(fin["base_funding_dkk"].sum()), advisory,
           f"{FINANCING.file}: Σ base_funding_dkk {g(fin['base_funding_dkk'].sum())} ≠ Σ "
           f"advisory base funding {g(advisory)} (objektiv finansiering must cover it)")
    if isinstance(block, dict) and isinstance(block.get("care"), int | float):
        _close(c, float(fin["care_cost_dkk"].sum()), block["care"],
               f"{FINANCING.file}: Σ care_cost_dkk {g(fin['care_cost_dkk'].sum())} ≠ "
               f"cost_dkk.care {g(block['care'])}")


def _check_objective_in_kroner(x: Context, c: Collector, block: dict) -> None:
    """Every price ``kpis.json → objective_prices`` says comes from costs.csv is the one the
    table gives (``model.pricing.term_prices``) and the one the run solved with
    (scenario.resolved.yaml's weights); and, when all do, the objective reconciles with the
    costs: objective × 1000 + care_floor_dkk = cost_dkk.total + the value judgements (+ the
    equity term's kroner)."""
    prices = x.kpis.get("objective_prices")
    if not isinstance(prices, dict) or x.cost_rows is None:
        return  # a folder of an earlier version, or no cost table
    try:
        table = term_prices(x.cost_rows)
    except KeyError as exc:
        c.single(RULE, False, f"instance/costs.csv cannot price the objective: {exc}")
        return
    solved = x.params.weights.model_dump()
    from_table = [t for t, v in prices.items()
                  if isinstance(v, dict) and str(v.get("from", "")).startswith("costs.csv")]
    for t in from_table:
        value = prices[t].get("value")
        for what, rep in (("kpis.json objective_prices", value),
                          ("scenario.resolved.yaml weights", solved.get(t))):
            ok = isinstance(rep, int | float) and abs(rep - table[t]) <= 1e-9 * max(
                1.0, abs(table[t]))
            c.single(RULE, ok, f"{what}.{t} = {rep!r}, but instance/costs.csv prices it at "
                     f"{g(table[t])} {PRICE_RECIPES[t][0]}")
    floor, obj = x.kpis.get("care_floor_dkk"), x.kpis.get("objective")
    if len(from_table) < len(PRICE_RECIPES) or not isinstance(floor, int | float) or \
            not isinstance(obj, int | float):
        return  # a scenario priced a term itself: the objective is not the table's kroner
    judged = block.get("value_judgements") or {}
    terms = x.kpis.get("terms", {})
    # the equity term's kroner and any term no cost-table row prices (a family added later)
    other = sum(float(v) for t, v in terms.items()
                if t == "equity" or (t not in PRICE_RECIPES
                                     and t not in ("care", "care_floor", "expansion")))
    equity = other * UNIT
    lhs = obj * UNIT + floor - equity
    rhs = float(block.get("total") or 0.0) + sum(
        float(judged.get(k) or 0.0) for k in JUDGED)
    c.single(RULE, abs(lhs - rhs) <= 1e-6 * max(1.0, abs(rhs)) + 1e-3,
             f"objective {g(obj)} t.kr. + care floor {g(floor)} kr − equity {g(equity)} kr = "
             f"{g(lhs)} kr, but cost_dkk.total + value judgements = {g(rhs)} kr")
