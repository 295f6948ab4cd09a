"""Candidate expansions (issue 23): the scenario's ``model.expansions`` as a table of options.

An option o adds P_o places for one specialfunktion type at an existing provider; the model
builds it (e[o] = 1) only where it designates the pair (family ``expansion``). Its annual
cost a_o, in thousand DKK per year, is the annuity of its investment I_o,

    a_o = I_o · r / (1 − (1 + r)^−n) / 1000,

with r = ``capacity_annuity_rate`` and n = ``capacity_lifetime_years`` from the cost table
(``docs/costs.md``), I_o = the entry's ``investment_dkk`` or P_o ×
``expansion_investment_per_place``; an entry's ``annual_cost_dkk`` replaces the annuity
(needed where the run has no cost table).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from specialeplan.errors import ScenarioError, did_you_mean
from specialeplan.model.pricing import UNIT, cost_value

if TYPE_CHECKING:
    from specialeplan.model.instance import Instance
    from specialeplan.model.params import Expansion, ModelParams

#: the columns of the options table (``ModelData.expansions``)
EXPANSION_COLUMNS = ["option", "entry", "provider_id", "function", "places", "investment_dkk",
                     "annual_cost_dkk", "annual_cost", "pair", "built"]


def all_entries(params: ModelParams) -> list[Expansion]:
    """``model.expansions``, then each ``model.new_sites`` entry as the expansion of its new
    provider (which :func:`add_new_sites` adds with no places): the options, numbered from 1
    in this order (``capacity_changes.csv`` ``entry``); :func:`candidate_entries` follow."""
    from specialeplan.model.params import Expansion

    return [*params.expansions, *(
        Expansion(provider_id=n.site_id, function=n.function, places=n.places,
                  investment_dkk=n.investment_dkk, annual_cost_dkk=n.annual_cost_dkk,
                  built=n.built)
        for n in params.new_sites)]


def candidate_entries(competence: pd.DataFrame, params: ModelParams,
                      functions: list[str]) -> list[Expansion]:
    """``model.expansion_candidates`` as entries: one per competence row of ``functions``
    (and of the rule's ``functions``, where given) with max_cases > 0, in (function,
    provider) order, except the new sites' rows; none without the rule."""
    from specialeplan.model.params import Expansion

    rule = params.expansion_candidates
    if rule is None:
        return []
    types = set(functions) & (set(rule.functions) if rule.functions is not None
                              else set(functions))
    sites = {n.site_id for n in params.new_sites}
    comp = competence[competence["function"].isin(types) & (competence["max_cases"] > 0)
                      & ~competence["provider_id"].isin(sites)]
    comp = comp.sort_values(["function", "provider_id"])
    return [Expansion(provider_id=p, function=f, places=rule.places,
                      investment_dkk=rule.investment_dkk, annual_cost_dkk=rule.annual_cost_dkk)
            for p, f in zip(comp["provider_id"], comp["function"], strict=True)]


def add_new_sites(instance: Instance, params: ModelParams) -> Instance:
    """The dataset with a provider for each ``model.new_sites`` entry: no places of its own
    (capacity and max_cases 0: the places come from its expansion), a competence row for
    its type (designation cost as given, else the median of the type's rows; the median
    rådgivning cost), and travel from every municipality as to any provider located in the
    site's municipality. :class:`ScenarioError` naming the entry for a site id the dataset
    has, a municipality or type it does not know."""
    from specialeplan.model.applications import closing

    # in applications mode a site only where its type's gaps may be closed
    types = (closing(params, instance.function_ids) if params.mode == "applications"
             else set(instance.function_ids) | {n.function for n in params.new_sites})
    if not any(n.function in types for n in params.new_sites):
        return instance
    prov, comp, pt = instance.providers, instance.competence, instance.provider_travel
    munis = instance.municipalities
    by_name = {str(n).casefold(): c for n, c in zip(munis["name"], munis["code"], strict=True)}
    codes = set(munis["code"])
    groups = dict(zip(instance.functions["function"], instance.functions["target_group"],
                      strict=True))
    new_prov, new_comp, new_pt = [], [], []
    seen = set(prov["provider_id"])
    for i, n in enumerate(params.new_sites, start=1):
        if n.function not in types:
            continue
        where = f"model.new_sites entry {i} ({n.site_id})"
        if n.site_id in seen:
            raise ScenarioError(f"{where}: site_id {n.site_id!r} is already a provider; give "
                                "the new site an id of its own")
        seen.add(n.site_id)
        code = n.municipality if n.municipality in codes else by_name.get(
            n.municipality.casefold())
        if code is None:
            raise ScenarioError(f"{where}: unknown municipality {n.municipality!r}."
                                f"{did_you_mean(n.municipality, list(munis['name']))}")
        if n.function not in groups:
            raise ScenarioError(f"{where}: unknown specialfunktion type {n.function!r}."
                                f"{did_you_mean(n.function, list(groups))}")
        own = comp[comp["function"] == n.function]
        median = (own[["designation_cost", "advisory_cost"]].median() if len(own)
                  else pd.Series({"designation_cost": 0.0, "advisory_cost": 0.0}))
        name = munis.loc[munis["code"] == code, "name"].iloc[0]
        new_prov.append({"provider_id": n.site_id, "name": f"new site: {n.function} in {name}",
                         "municipality_code": code, "owner": n.owner, "kind": n.kind,
                         "capacity": 0.0, "advisory_capacity": np.inf,
                         "target_groups": groups[n.function]})
        new_comp.append({"provider_id": n.site_id, "function": n.function, "max_cases": 0.0,
                         "current_cases": 0.0, "designated_today": False,
                         "designation_cost": float(median["designation_cost"]
                                                   if n.designation_cost is None
                                                   else n.designation_cost),
                         "advisory_cost": float(median["advisory_cost"]),
                         "advisory_today": False})
        new_pt.append(_travel_to(instance, code, n.site_id, where))
    providers = pd.concat([prov, pd.DataFrame(new_prov)], ignore_index=True)
    competence = pd.concat([comp, pd.DataFrame(new_comp)[comp.columns]], ignore_index=True)
    travel = pd.concat([pt, *new_pt], ignore_index=True)
    return dataclasses.replace(instance, providers=providers[prov.columns],
                               competence=competence, provider_travel=travel)


def _travel_to(instance: Instance, code: str, site_id: str, where: str) -> pd.DataFrame:
    """t[k, site] for every municipality k: the municipality travel matrix to the site's
    municipality, else the travel of a provider located there."""
    if instance.travel is not None:
        t = instance.travel[instance.travel["to_code"] == code]
        return pd.DataFrame({"municipality_code": t["from_code"].to_numpy(),
                             "provider_id": site_id, "minutes": t["minutes"].to_numpy()})
    there = instance.providers.loc[instance.providers["municipality_code"] == code,
                                   "provider_id"]
    if there.empty:
        raise ScenarioError(f"{where}: the dataset has no travel times to municipality "
                            f"{code} (no travel matrix and no provider there)")
    t = instance.provider_travel[instance.provider_travel["provider_id"] == there.iloc[0]]
    return t.assign(provider_id=site_id)[["municipality_code", "provider_id", "minutes"]]


def annuity_factor(rate: float, years: float) -> float:
    """The share of an investment paid each year over ``years`` at ``rate`` (1/years at 0)."""
    if years <= 0:
        raise ValueError(f"capacity_lifetime_years must be positive, got {years:g}")
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


def check_expansion_names(instance: Instance, params: ModelParams,
                          planned: list[str] | None = None) -> None:
    """:class:`ScenarioError` naming the entry for an expansion or candidate rule whose type
    the dataset does not know, or an expansion of a provider it does not know (a new site's
    id counts). Types outside ``instance`` are allowed where ``planned`` is given and
    the instance is the planned part of a larger dataset (a reloaded results folder plans
    fewer types than its scenario's rollout lists): then only the planned entries count."""
    known = instance.function_ids
    providers = set(instance.providers["provider_id"]) | {n.site_id for n in params.new_sites}
    rule = params.expansion_candidates
    for f in (rule.functions or []) if rule is not None else []:
        if f not in known and (planned is None or f in planned):
            raise ScenarioError(f"model.expansion_candidates: unknown specialfunktion type "
                                f"{f!r}.{did_you_mean(f, known)}")
    for i, e in enumerate(all_entries(params), start=1):
        if planned is not None and e.function not in planned:
            continue
        where = f"model.expansions entry {i} ({e.provider_id}/{e.function})"
        if e.function not in known:
            raise ScenarioError(f"{where}: unknown specialfunktion type {e.function!r}."
                                f"{did_you_mean(e.function, known)}")
        if e.provider_id not in providers:
            raise ScenarioError(f"{where}: unknown provider {e.provider_id!r}."
                                f"{did_you_mean(e.provider_id, sorted(providers))}")


def expansion_table(instance: Instance, params: ModelParams, functions: list[str],
                    costs: pd.DataFrame | None) -> pd.DataFrame:
    """One row per ``model.expansions`` entry, then per ``model.new_sites`` entry (numbered
    on: ``entry`` counts both lists), of a planned function (entries of types
    outside the plan are left out: a rollout wave sees only its own), with its investment
    and annual cost in DKK; ``pair`` is filled in by the caller. :class:`ScenarioError`
    naming the entry for an unknown provider or type, or a provider without competence in
    the type."""
    check_expansion_names(instance, params, functions)
    rows = []
    comp = set(zip(instance.competence["provider_id"], instance.competence["function"],
                   strict=True))
    per_place = rate = years = None
    if costs is not None:
        per_place = cost_value(costs, "expansion_investment_per_place")
        rate = cost_value(costs, "capacity_annuity_rate")
        years = cost_value(costs, "capacity_lifetime_years")
    entries = [*all_entries(params), *candidate_entries(instance.competence, params, functions)]
    for i, e in enumerate(entries, start=1):
        if e.function not in functions:  # not planned (names: check_expansion_names)
            continue
        where = f"model.expansions entry {i} ({e.provider_id}/{e.function})"
        if (e.provider_id, e.function) not in comp:
            raise ScenarioError(
                f"{where}: the provider has no competence row for {e.function!r}; an "
                "expansion adds places to a specialfunktion the provider can become "
                "(add the row to competence.csv first)")
        investment = e.investment_dkk
        if investment is None and per_place is not None:
            investment = e.places * per_place
        if investment is None and params.expansion_budget_dkk is not None:
            raise ScenarioError(f"{where}: model.expansion_budget_dkk limits the investment, "
                                "but this entry has none: give investment_dkk")
        if e.annual_cost_dkk is not None:
            annual = e.annual_cost_dkk
        elif investment is not None and rate is not None and years is not None:
            annual = investment * annuity_factor(rate, years)
        else:
            raise ScenarioError(f"{where}: no cost table prices this run (pricing "
                                "unit_less or a hand-built dataset): give annual_cost_dkk")
        rows.append((len(rows), i, e.provider_id, e.function, int(e.places),
                     np.nan if investment is None else float(investment), float(annual),
                     float(annual) / UNIT, -1, bool(e.built)))  # annual_cost: thousand DKK
    return pd.DataFrame(rows, columns=EXPANSION_COLUMNS).astype(
        {"option": np.int64, "entry": np.int64, "places": np.int64, "pair": np.int64,
         "investment_dkk": float, "annual_cost_dkk": float, "annual_cost": float,
         "built": bool})
