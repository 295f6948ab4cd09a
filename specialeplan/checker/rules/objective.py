"""The objective (``model/families/objective.py``): every term recomputed from the tables,
one :func:`~specialeplan.checker.rules.context.term_rule` per term of the registry, and held
against ``kpis.json``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import KP, TERM_RULES, Context, term_rule
from specialeplan.model.families import TERMS
from specialeplan.model.pricing import care_floor


@term_rule("travel")
def _term_travel(x: Context) -> float:
    """w_travel · Σ cases · travel_minutes over physical assignments."""
    return float(x.params.weights.travel * x.case_minutes[x.physical.to_numpy()].sum())


@term_rule("designation")
def _term_designation(x: Context) -> float:
    """w_designation · Σ designation_cost over designations."""
    return float(x.params.weights.designation * x.costs["designation_cost"].sum())


@term_rule("advisory")
def _term_advisory(x: Context) -> float:
    """w_advisory · Σ advisory_cost over rådgivningsfunktioner."""
    costs = x.costs
    return float(x.params.weights.advisory
                 * costs.loc[costs["is_advisory"], "advisory_cost"].sum())


@term_rule("care")
def _term_care(x: Context) -> float:
    """Σ cases × the price of their speciale and mode (instance/costs.csv) + Σ near-family
    cases × the residential price; 0 in a folder without the term (an earlier version)."""
    if "care" not in x.kpis.get("terms", {}) or x.cost_rows is None:
        return 0.0
    price = x.care_prices
    mode = np.where(x.physical.to_numpy(), "residential", "outreach")
    p_asg = price.stack().reindex(pd.MultiIndex.from_arrays(
        [x.asg["function"], mode])).to_numpy(dtype=float)
    p_nf = x.nf["function"].map(price["residential"]).to_numpy(dtype=float)
    return float((x.asg["cases"].to_numpy() * p_asg).sum()
                 + (x.nf["cases"].to_numpy() * p_nf).sum())


@term_rule("care_floor")
def _term_care_floor(x: Context) -> float:
    """−Σ_s [m·D_s − max(0, m − p_o)·O_s], m = min(p_r, w_unmet), O_s the outreach limit
    (``model.pricing.care_floor``); 0 in a folder without the term."""
    if "care_floor" not in x.kpis.get("terms", {}) or x.cost_rows is None:
        return 0.0
    price = x.care_prices
    total = x.dem.groupby("function")["demand"].sum().reindex(price.index, fill_value=0.0)
    limit = (x.outreach_limit.reindex(price.index, fill_value=0.0)
             if x.params.families.outreach else total * 0.0)
    return -float(care_floor(total.to_numpy(dtype=float), limit.to_numpy(dtype=float),
                             price["residential"].to_numpy(dtype=float),
                             price["outreach"].to_numpy(dtype=float),
                             float(x.params.weights.unmet or 0.0)).sum())


@term_rule("unmet")
def _term_unmet(x: Context) -> float:
    """w_unmet · Σ unmet borgerforløb (coverage.csv)."""
    return float(x.params.weights.unmet * x.cov["unmet"].sum())


@term_rule("reach_shortfall")
def _term_reach_shortfall(x: Context) -> float:
    """w_reach_shortfall · Σ share of the reach rows without an adviser."""
    return float(x.params.weights.reach_shortfall
                 * x.reach.loc[~x.has_adviser, "share"].sum())


@term_rule("change")
def _term_change(x: Context) -> float:
    """w_change · #designations that differ from today's."""
    return float(x.params.weights.change * x.n_changes)


@term_rule("outreach")
def _term_outreach(x: Context) -> float:
    """w_outreach · Σ cases · travel_minutes over outreach assignments."""
    return float(x.params.weights.outreach * x.case_minutes[~x.physical.to_numpy()].sum())


@term_rule("near_family")
def _term_near_family(x: Context) -> float:
    """w_near_family · Σ near-family borgerforløb."""
    return float(x.params.weights.near_family * x.nf["cases"].sum())


@term_rule("moved")
def _term_moved(x: Context) -> float:
    """w_moved · Σ moved (0 with the family off)."""
    if not x.params.families.moved:
        return 0.0
    return float(x.params.weights.moved * x.moved["moved"].sum())


@term_rule("equity")
def _term_equity(x: Context) -> float:
    """w_equity · Σ_s the worst-off measure (0 with the family off)."""
    if not x.params.families.equity:
        return 0.0
    return float(x.params.weights.equity * x.worst_off().sum())


def recompute_terms(x: Context) -> dict[str, float]:
    """Every objective term of the registry, in its order, from the tables
    (``docs/results-format.md``)."""
    missing = [t for t in TERMS if t not in TERM_RULES]
    if missing:
        raise KeyError(f"the checker cannot recompute objective term(s) {missing}: add a "
                       "@term_rule to specialeplan/checker/rules/objective.py")
    return {t: TERM_RULES[t](x) for t in TERMS}


def check_objective(x: Context, c: Collector, terms: dict[str, float], reported: float) -> None:
    """Every term and the total in ``kpis.json`` against the recomputed ones; the travel
    minutes of the tables against the inputs (the travel term rests on them)."""
    a = x.asg.merge(x.pt, on=KP, how="left")
    c.rule("objective", a, a["minutes"].isna(), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} "
        f"(specialfunktion {r['function']}): no row in instance/provider_travel.csv"))
    c.rule("objective", a, a["minutes"].notna()
           & (np.abs(a["travel_minutes"] - a["minutes"]) > c.pt(a["minutes"])), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} "
        f"(specialfunktion {r['function']}): travel_minutes {g(r['travel_minutes'])} ≠ "
        f"provider_travel {g(r['minutes'])}"))
    rtol = 10 * c.tol
    # a term recomputed from many rounded solver values (e.g. moved = Σ max(0, c − Σ x))
    # carries their noise: one part in 1/tol of the whole objective is noise, not an error
    noise = c.tol * abs(reported) if np.isfinite(reported) else 0.0
    for t, value in terms.items():
        rep = float(x.kpis["terms"].get(t, 0.0))  # an earlier version's folder lacks care
        c.single("objective", abs(rep - value) <= rtol * max(1.0, abs(value)) + noise,
                 f"term {t}: kpis.json reports {rep:.10g}, recomputed {value:.10g}")
    total = sum(terms.values())
    if np.isnan(reported):
        c.single("objective", False, "kpis.json objective is null")
    else:
        c.single("objective", abs(reported - total) <= rtol * max(1.0, abs(total)),
                 f"objective: kpis.json reports {reported:.10g}, sum of recomputed terms "
                 f"{total:.10g}")
    rec = x.kpis.get("objective_recomputed")
    if isinstance(rec, int | float) and not isinstance(rec, bool):
        c.single("objective", abs(rec - total) <= rtol * max(1.0, abs(total)),
                 f"objective_recomputed: kpis.json reports {rec:.10g}, recomputed "
                 f"{total:.10g}")
