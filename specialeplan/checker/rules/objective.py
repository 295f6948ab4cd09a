"""The objective (``model/families/objective.py``): every term recomputed from the tables,
and held against ``kpis.json``."""

from __future__ import annotations

import numpy as np

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import KP, PS, Context


def recompute_terms(x: Context) -> dict[str, float]:
    """Every objective term from the tables (``docs/results-format.md``)."""
    w = x.params.weights
    costs = x.des[[*PS, "is_advisory"]].merge(
        x.comp[[*PS, "designation_cost", "advisory_cost"]], on=PS, how="left").fillna(
        {"designation_cost": 0.0, "advisory_cost": 0.0})
    shortfall = x.reach.loc[~x.has_adviser, "share"].sum()
    tx = x.asg["cases"] * x.asg["travel_minutes"]
    fam = x.params.families
    return {
        "travel": float(w.travel * tx[x.physical.to_numpy()].sum()),
        "designation": float(w.designation * costs["designation_cost"].sum()),
        "advisory": float(w.advisory * costs.loc[costs["is_advisory"], "advisory_cost"].sum()),
        "unmet": float(w.unmet * x.cov["unmet"].sum()),
        "reach_shortfall": float(w.reach_shortfall * shortfall),
        "change": float(w.change * x.n_changes),
        "outreach": float(w.outreach * tx[~x.physical.to_numpy()].sum()),
        "near_family": float(w.near_family * x.nf["cases"].sum()),
        "moved": float(w.moved * x.moved["moved"].sum()) if fam.moved else 0.0,
        "equity": float(w.equity * x.worst_off().sum()) if fam.equity else 0.0,
    }


def check_objective(x: Context, c: Collector, terms: dict[str, float], reported: float) -> None:
    """Every term and the total in ``kpis.json`` against the recomputed ones; the travel
    minutes of the tables against the inputs (the travel term rests on them)."""
    a = x.asg.merge(x.pt, on=KP, how="left")
    c.rule("objective", a, a["minutes"].isna(), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} "
        f"(speciale {r['speciale']}): no row in instance/provider_travel.csv"))
    c.rule("objective", a, a["minutes"].notna()
           & (np.abs(a["travel_minutes"] - a["minutes"]) > c.pt(a["minutes"])), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} "
        f"(speciale {r['speciale']}): travel_minutes {g(r['travel_minutes'])} ≠ "
        f"provider_travel {g(r['minutes'])}"))
    rtol = 10 * c.tol
    for t, value in terms.items():
        rep = float(x.kpis["terms"][t])
        c.single("objective", abs(rep - value) <= rtol * max(1.0, abs(value)),
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
