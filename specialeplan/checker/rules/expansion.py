"""Rule of the candidate expansions (``model/families/expansion.py``): every expansion in
capacity_changes.csv is an entry of the scenario's ``model.expansions``, at a designated
specialfunktion, at the investment and annual cost the scenario and instance/costs.csv
give, within ``expansion_budget_dkk``. (The places it adds are checked by ``capacity`` and
``speciale_capacity``.)"""

from __future__ import annotations

import numpy as np
import pandas as pd

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import PS, Context, rule, term_rule
from specialeplan.model.pricing import UNIT, cost_value


def _annuity(rate: float, years: float) -> float:
    """Written apart from ``model/expansions.py`` on purpose: an independent recomputation."""
    return 1.0 / years if rate == 0 else rate / (1.0 - (1.0 + rate) ** -years)


def _offered(x: Context) -> pd.DataFrame:
    """The scenario's entries with the investment and annual cost they should have."""
    costs = x.cost_rows
    rows = []
    p = x.params
    sites = [(n.site_id, n.function, n.places, n.investment_dkk, n.annual_cost_dkk, n.built)
             for n in p.new_sites]  # numbered after the expansions, as the model does
    entries = [(e.provider_id, e.function, e.places, e.investment_dkk, e.annual_cost_dkk,
                e.built) for e in p.expansions] + sites + _candidates(x)
    for i, (provider, function, places, investment, annual_given, built) in enumerate(
            entries, start=1):
        invest = investment
        if invest is None and costs is not None:
            invest = places * cost_value(costs, "expansion_investment_per_place")
        if annual_given is not None:
            annual = annual_given
        elif invest is not None and costs is not None:
            annual = invest * _annuity(cost_value(costs, "capacity_annuity_rate"),
                                       cost_value(costs, "capacity_lifetime_years"))
        else:
            annual = np.nan
        rows.append((i, provider, function, float(places),
                     np.nan if invest is None else float(invest), float(annual), built))
    return pd.DataFrame(rows, columns=["entry", *PS, "places_o", "investment_o", "annual_o",
                                       "built_o"])


def _types(x: Context) -> list[str]:
    """The planned types whose options may be built: all, but in applications mode only
    those ``close_gaps`` names (true: all)."""
    planned = list(x.sp["function"])
    p = x.params
    if p.mode != "applications" or p.close_gaps is True:
        return planned
    return [f for f in planned if f in set(p.close_gaps or [])]


def _candidates(x: Context) -> list[tuple]:
    """``expansion_candidates`` as the model numbers them: one per instance/competence.csv
    row of the types it may build at, max_cases > 0, not a new site, by (function,
    provider)."""
    rule = x.params.expansion_candidates
    if rule is None:
        return []
    types = set(_types(x)) & (set(rule.functions) if rule.functions is not None
                              else set(_types(x)))
    sites = {n.site_id for n in x.params.new_sites}
    comp = x.comp[x.comp["function"].isin(types) & (x.comp["max_cases"].astype(float) > 0)
                  & ~x.comp["provider_id"].isin(sites)].sort_values(["function", "provider_id"])
    return [(pid, f, rule.places, rule.investment_dkk, rule.annual_cost_dkk, False)
            for pid, f in zip(comp["provider_id"], comp["function"], strict=True)]


@rule("expansion")
def _expansion(x: Context, c: Collector) -> None:
    """Built expansions: offered, at a designation, priced as stated, within the budget;
    every one built by an earlier wave (``built``) still there."""
    ch = x.changes
    offered = _offered(x)
    types = set(_types(x))
    kept = offered[offered["built_o"] & offered["function"].isin(types)]
    gone = kept[~kept["entry"].isin(ch["entry"])]
    c.rule("expansion", kept, kept["entry"].isin(gone["entry"]), lambda r: (
        f"expansion entry {r['entry']} ({r['provider_id']}/{r['function']}) was built by an "
        "earlier wave (built: true) but is missing from capacity_changes.csv"))
    if ch.empty:
        return
    m = ch.merge(offered, on="entry", how="left", suffixes=("", "_o"))
    c.rule("expansion", m, m["function"].notna() & ~m["function"].isin(types), lambda r: (
        f"capacity_changes.csv entry {r['entry']}: {r['function']} may build no capacity "
        "in this plan (model.mode applications without close_gaps for it)"))
    c.rule("expansion", m, m["places_o"].isna() | (m["provider_id"] != m["provider_id_o"])
           | (m["function"] != m["function_o"]) | (m["places"] != m["places_o"]), lambda r: (
        f"capacity_changes.csv entry {r['entry']}: {r['provider_id']}/{r['function']} with "
        f"{g(r['places'])} places is not that entry of model.expansions"))
    des = x.des[PS].assign(_des=True)
    at = m.merge(des, on=PS, how="left")
    c.rule("expansion", at, at["_des"].isna(), lambda r: (
        f"expansion entry {r['entry']} at {r['provider_id']}/{r['function']} is built, but "
        "the pair is not a specialfunktion in designations.csv"))
    for col, ref in (("investment_dkk", "investment_o"), ("annual_cost_dkk", "annual_o")):
        a, b = m[col].astype(float), m[ref].astype(float)
        bad = (a.isna() != b.isna()) | (np.abs(a - b) > 1e-6 * np.maximum(1.0, np.abs(b)))
        c.rule("expansion", m, bad.fillna(False), lambda r, col=col, ref=ref: (
            f"expansion entry {r['entry']}: {col} {g(r[col])}, but the scenario and "
            f"instance/costs.csv give {g(r[ref])}"))
    budget = x.params.expansion_budget_dkk
    if budget is not None:  # an earlier wave's builds were paid from its budget
        new = ~m["built_o"].fillna(False).astype(bool)
        spent = float(m.loc[new, "investment_dkk"].astype(float).fillna(0.0).sum())
        c.single("expansion", spent <= budget * (1 + 1e-9) + 1e-6,
                 f"expansions built invest {g(spent)} DKK, above expansion_budget_dkk "
                 f"{g(budget)}")


@term_rule("expansion")
def _term_expansion(x: Context) -> float:
    """Σ annual_cost_dkk of the expansions built / 1000 (capacity_changes.csv; the rule
    ``expansion`` holds each against the scenario and instance/costs.csv)."""
    return float(x.changes["annual_cost_dkk"].astype(float).sum()) / UNIT
