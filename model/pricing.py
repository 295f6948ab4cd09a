"""The objective in kroner: each term's price per unit derived from the cost table.

The formulation never reads files: the data layer puts the run's cost table (``costs.csv``
with the scenario's ``costs:`` applied, ``docs/costs.md``) on the instance
(``Instance.costs``), and :func:`resolved_weights` turns it into the per-unit prices of the
objective terms (``model.weights``), all in **thousand DKK (t.kr.) per year** (:data:`UNIT`:
kroner would put HiGHS's cost coefficients near 10⁶, which it solves markedly worse;
measured on national_2030 in BENCHMARKS.md):

==================== ====================================================================
term                 price per unit (rows of costs.csv)
==================== ====================================================================
travel               family_visits_per_year × 2 × (road_speed_kmh/60 × km_rate +
                     value_of_time/60), per borgerforløb-minute of one-way family travel
outreach             outreach_visits_per_year × 2 × (road_speed_kmh/60 × km_rate +
                     staff_hourly_cost/60), per borgerforløb-minute of staff travel
designation          designation_cost_unit × competence.designation_cost
advisory             advisory_cost_unit × competence.advisory_cost (the base funding)
unmet                unmet_alternative_cost + unmet_quality_penalty, per borgerforløb
reach_shortfall      reach_shortfall_penalty, per municipality × speciale
change               change_cost, per designation that differs from today's
near_family          near_family_cost, per borgerforløb (on top of its care price)
moved                move_cost, per borgerforløb moved (only with families.allow_moves)
equity               equity_value_per_minute, per minute of the worst-off measure
care (no weight)     price_residential[s] per borgerforløb at a place or helped near the
                     family, price_outreach[s] per outreach borgerforløb
==================== ====================================================================

A weight the scenario sets explicitly (``model.weights.<term>``) is used as given, in
thousand DKK per unit. An instance without a cost table (a hand-built one, the OR-Library p-median
instances) has no kroner: its weights are the unit-less :data:`LEGACY_WEIGHTS` and it has
no care term.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from specialeplan.model.params import Weights

#: DKK per objective unit: the objective and its prices are in thousand DKK per year
UNIT = 1000.0
#: the objective's unit as kpis.json states it (with a cost table)
UNIT_NAME = "thousand DKK per year"

#: the weights of an instance without a cost table (unit-less, as before the cost table)
LEGACY_WEIGHTS: dict[str, float] = {
    "travel": 1.0, "designation": 1.0, "advisory": 1.0, "unmet": 10_000.0,
    "reach_shortfall": 50_000.0, "change": 0.0, "outreach": 0.5, "near_family": 60.0,
    "moved": 30.0, "equity": 100.0}

#: term → (unit of its price, the costs.csv rows it is derived from)
PRICE_RECIPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "travel": ("thousand DKK per borgerforløb-minute of one-way family travel per year",
               ("family_visits_per_year", "road_speed_kmh", "km_rate", "value_of_time")),
    "designation": ("thousand DKK per unit of competence.designation_cost",
                    ("designation_cost_unit",)),
    "advisory": ("thousand DKK per unit of competence.advisory_cost", ("advisory_cost_unit",)),
    "unmet": ("thousand DKK per unmet borgerforløb per year",
              ("unmet_alternative_cost", "unmet_quality_penalty")),
    "reach_shortfall": ("thousand DKK per municipality and speciale without rådgivning per year",
                        ("reach_shortfall_penalty",)),
    "change": ("thousand DKK per designation that differs from today's", ("change_cost",)),
    "outreach": ("thousand DKK per borgerforløb-minute of one-way outreach staff travel per year",
                 ("outreach_visits_per_year", "road_speed_kmh", "km_rate",
                  "staff_hourly_cost")),
    "near_family": ("thousand DKK per borgerforløb helped near the family per year",
                    ("near_family_cost",)),
    "moved": ("thousand DKK per borgerforløb of today's caseload moved", ("move_cost",)),
    "equity": ("thousand DKK per minute of the worst-off mean family travel per year",
               ("equity_value_per_minute",)),
}


def cost_value(costs: pd.DataFrame, parameter: str, speciale: str = "") -> float:
    """``parameter``'s value for ``speciale`` in a cost table (its own row, else the
    default row, ``speciale`` empty)."""
    rows = costs[costs["parameter"] == parameter]
    own = rows[rows["function"].fillna("") == speciale] if speciale else rows.iloc[:0]
    if own.empty:
        own = rows[rows["function"].fillna("") == ""]
    if own.empty:
        raise KeyError(f"the cost table has no default row for {parameter!r}")
    return float(own["value"].iloc[0])


def term_prices(costs: pd.DataFrame) -> dict[str, float]:
    """Every weighted term's price per unit in thousand DKK per year (module table)."""
    v = {p: cost_value(costs, p) for p in {r for _, rows in PRICE_RECIPES.values()
                                           for r in rows}}
    km_per_minute = v["road_speed_kmh"] / 60.0
    dkk = {
        "travel": v["family_visits_per_year"] * 2 * (km_per_minute * v["km_rate"]
                                                     + v["value_of_time"] / 60.0),
        "designation": v["designation_cost_unit"],
        "advisory": v["advisory_cost_unit"],
        "unmet": v["unmet_alternative_cost"] + v["unmet_quality_penalty"],
        "reach_shortfall": v["reach_shortfall_penalty"],
        "change": v["change_cost"],
        "outreach": v["outreach_visits_per_year"] * 2 * (km_per_minute * v["km_rate"]
                                                         + v["staff_hourly_cost"] / 60.0),
        "near_family": v["near_family_cost"],
        "moved": v["move_cost"],
        "equity": v["equity_value_per_minute"],
    }
    return {term: value / UNIT for term, value in dkk.items()}


def resolved_weights(weights: Weights, costs: pd.DataFrame | None) -> Weights:
    """``weights`` with every unset (None) weight filled: from the cost table when there is
    one (DKK per year), else :data:`LEGACY_WEIGHTS`."""
    given = weights.model_dump()
    fill = term_prices(costs) if costs is not None else LEGACY_WEIGHTS
    return Weights(**{k: (fill[k] if v is None else v) for k, v in given.items()})


def price_sources(weights: Weights, costs: pd.DataFrame | None) -> dict[str, dict[str, object]]:
    """Per weighted term: its price, unit and where it comes from (``kpis.json →
    objective_prices``): the cost table's rows, the scenario, or the legacy default."""
    prices = term_prices(costs) if costs is not None else None
    out: dict[str, dict[str, object]] = {}
    for term, given in weights.model_dump().items():
        unit, rows = PRICE_RECIPES[term]
        if given is not None:
            out[term] = {"value": float(given), "unit": unit if costs is not None else "",
                         "from": f"scenario model.weights.{term}"}
        elif prices is not None:
            out[term] = {"value": prices[term], "unit": unit,
                         "from": "costs.csv: " + ", ".join(rows)}
        else:
            out[term] = {"value": LEGACY_WEIGHTS[term], "unit": "",
                         "from": "no cost table: unit-less default"}
    return out


def care_prices(costs: pd.DataFrame | None, specialer: list[str]) -> pd.DataFrame:
    """Per speciale (index): ``residential`` and ``outreach`` price in thousand DKK per
    borgerforløb per year (0 without a cost table)."""
    if costs is None:
        return pd.DataFrame({"residential": 0.0, "outreach": 0.0},
                            index=pd.Index(specialer, name="function"))
    return pd.DataFrame({
        "residential": [cost_value(costs, "price_residential", s) / UNIT for s in specialer],
        "outreach": [cost_value(costs, "price_outreach", s) / UNIT for s in specialer]},
        index=pd.Index(specialer, name="function"))


def care_floor(demand: np.ndarray, outreach_max: np.ndarray, price_residential: np.ndarray,
               price_outreach: np.ndarray, unmet_price: float) -> np.ndarray:
    """Per speciale: the care cost no plan can avoid, m·D − max(0, m − p_o)·O with
    m = min(p_r, unmet price) and O = the most borgerforløb outreach can serve (its
    need-based limit, and only where an outreach arc reaches).

    A lower bound on care + unmet whatever the plan: at most O borgerforløb go to outreach
    at p_o, every other one costs at least m (a place or local help at p_r, or unmet at its
    price). The objective subtracts it (term ``care_floor``) so that the proven gap measures
    the cost a plan can change, not the care every plan pays."""
    m = np.minimum(price_residential, unmet_price)
    return m * demand - np.maximum(m - price_outreach, 0.0) * outreach_max
