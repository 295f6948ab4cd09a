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

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from specialeplan.errors import ScenarioError, did_you_mean
from specialeplan.model.pricing import UNIT, cost_value

if TYPE_CHECKING:
    from specialeplan.model.instance import Instance
    from specialeplan.model.params import ModelParams

#: the columns of the options table (``ModelData.expansions``, ``instance/expansions.csv``)
EXPANSION_COLUMNS = ["option", "entry", "provider_id", "function", "places", "investment_dkk",
                     "annual_cost_dkk", "annual_cost", "pair"]


def annuity_factor(rate: float, years: float) -> float:
    """The share of an investment paid each year over ``years`` at ``rate`` (1/years at 0)."""
    if years <= 0:
        raise ValueError(f"capacity_lifetime_years must be positive, got {years:g}")
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


def expansion_table(instance: Instance, params: ModelParams, functions: list[str],
                    costs: pd.DataFrame | None) -> pd.DataFrame:
    """One row per ``model.expansions`` entry of a planned function (entries of types
    outside the plan are left out: a rollout wave sees only its own), with its investment
    and annual cost in DKK; ``pair`` is filled in by the caller. :class:`ScenarioError`
    naming the entry for an unknown provider or type, or a provider without competence in
    the type."""
    rows = []
    providers = set(instance.providers["provider_id"])
    known = instance.function_ids
    comp = set(zip(instance.competence["provider_id"], instance.competence["function"],
                   strict=True))
    per_place = rate = years = None
    if costs is not None:
        per_place = cost_value(costs, "expansion_investment_per_place")
        rate = cost_value(costs, "capacity_annuity_rate")
        years = cost_value(costs, "capacity_lifetime_years")
    for i, e in enumerate(params.expansions, start=1):
        where = f"model.expansions entry {i} ({e.provider_id}/{e.function})"
        if e.provider_id not in providers:
            raise ScenarioError(f"{where}: unknown provider {e.provider_id!r}."
                                f"{did_you_mean(e.provider_id, sorted(providers))}")
        if e.function not in known:
            raise ScenarioError(f"{where}: unknown specialfunktion type {e.function!r}."
                                f"{did_you_mean(e.function, known)}")
        if (e.provider_id, e.function) not in comp:
            raise ScenarioError(
                f"{where}: the provider has no competence row for {e.function!r}; an "
                "expansion adds places to a specialfunktion the provider can become "
                "(add the row to competence.csv first)")
        if e.function not in functions:
            continue
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
                     float(annual) / UNIT, -1))  # annual_cost: a_o in thousand DKK per year
    return pd.DataFrame(rows, columns=EXPANSION_COLUMNS).astype(
        {"option": np.int64, "entry": np.int64, "places": np.int64, "pair": np.int64,
         "investment_dkk": float, "annual_cost_dkk": float, "annual_cost": float})
