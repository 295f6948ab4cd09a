"""Explain infeasible scenarios with an elastic relaxation.

Every hard constraint family gets non-negative slack columns (see ``elastic=True`` in
:func:`specialeplan.model.formulation.build_model`) and the total slack is minimised. A
positive slack says which family, speciale, municipality or provider has to give way, and by
how much, for the scenario to become feasible. Soft families (unmet demand, reach shortfall)
are already penalised in the normal model and never cause infeasibility.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyomo.environ as pyo

from specialeplan.model.formulation import ELASTIC_FAMILIES, build_model, values
from specialeplan.model.sets import ModelData
from specialeplan.solvers.base import SolveResult, SolverOptions, get_backend

EXPLAIN = {
    "demand_balance": "demand cannot be fully served (unmet demand is switched off)",
    "min_volume": "a designated specialfunktion cannot reach the minimum borgerforløb",
    "capacity": "provider capacity is too small",
    "speciale_capacity": "per-speciale capacity is too small",
    "reach": "a municipality has no reachable rådgivningsfunktion (shortfall switched off)",
    "advisory_capacity": "advisory capacity is too small",
    "count": "national count bounds on specialfunktioner cannot be met",
    "advisory_count": "national count bounds on rådgivningsfunktioner cannot be met",
    "region_count": "regional count bounds cannot be met",
    "specialer_per_provider": "max specialer per provider is too tight",
    "fixed": "a fixed designation cannot be kept",
    "change_limit": "the limit on changes vs today's designations is too tight",
}


@dataclass
class Diagnosis:
    """Minimal relaxation found, plus the families that alone restore feasibility.

    ``table``: one row per relaxed constraint of the joint minimal relaxation (family,
    speciale, region, provider_id, municipality_code, bound, amount). ``sufficient``: families
    such that relaxing only that family makes the scenario feasible, with the total slack it
    needs.
    """

    table: pd.DataFrame
    status: str
    sufficient: dict[str, float] = field(default_factory=dict)

    @property
    def families(self) -> list[str]:
        return list(dict.fromkeys(self.table["family"]))

    def to_text(self, limit: int = 15) -> str:
        if self.table.empty:
            return ("no relaxation of the hard families made it feasible "
                    f"(elastic model status: {self.status})")
        lines = []
        for fam, grp in self.table.groupby("family", sort=False):
            lines.append(f"- {fam}: {EXPLAIN.get(fam, fam)} ({len(grp)} place(s))")
            for _, row in grp.head(limit).iterrows():
                where = ", ".join(f"{c}={row[c]}" for c in
                                  ("speciale", "region", "provider_id", "municipality_code",
                                   "bound") if isinstance(row.get(c), str) and row[c])
                lines.append(f"    {where or 'total'}: short by {row['amount']:.4g}")
            if len(grp) > limit:
                lines.append(f"    ... and {len(grp) - limit} more")
        if self.sufficient:
            alone = ", ".join(f"{f} (total slack {v:.4g})" for f, v in self.sufficient.items())
            lines.append(f"Relaxing any one of these families alone makes it feasible: {alone}")
        return "\n".join(lines)


def _elastic_solve(
    data: ModelData, families: frozenset[str], options: SolverOptions
) -> tuple[pyo.ConcreteModel, SolveResult]:
    m = build_model(data, elastic=families)
    result = get_backend("highs").solve(m, options)
    return m, result


def diagnose(data: ModelData, options: SolverOptions) -> Diagnosis:
    """Solve the elastic model and list the constraints that must give way; then try each
    relaxed family alone to tell the planner which single rule change would be enough."""
    opts = options.model_copy(update={"warm_start": False, "verbose": False, "log_file": None,
                                      "time_limit": min(options.time_limit or 60.0, 60.0)})
    m, result = _elastic_solve(data, frozenset(ELASTIC_FAMILIES), opts)
    rows = []
    present = []
    if result.has_solution:
        for family, var, labels in m._slacks:
            present.append(family)
            amount = values(var)
            hit = labels.assign(amount=amount, family=family)
            rows.append(hit[hit["amount"] > 1e-6])
    cols = ["family", "speciale", "region", "provider_id", "municipality_code", "bound", "amount"]
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)
    table = table.reindex(columns=cols)
    table[cols[:-1]] = table[cols[:-1]].astype(object).fillna("").astype(str)
    sufficient: dict[str, float] = {}
    for family in dict.fromkeys(present):
        _, alone = _elastic_solve(data, frozenset({family}), opts)
        if alone.has_solution and alone.objective is not None:
            sufficient[family] = alone.objective
    return Diagnosis(table=table, status=str(result.status), sufficient=sufficient)
