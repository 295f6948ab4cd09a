"""Explain infeasible scenarios with an elastic relaxation.

Every row of an elastic family (``elastic=True`` in the registry) gets non-negative slack
columns towards its finite bounds (:meth:`ProblemBuilder.problem` with ``elastic=``) and the
total slack is minimised. A positive slack says which family, speciale, municipality or
provider has to give way, and by how much, for the scenario to become feasible. Soft rules
(unmet demand, reach shortfall) are penalised in the normal model and never cause
infeasibility. The explanations are the registry's ``explain`` texts; the backend is the one
the options name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from specialeplan.model.build import active_families, build_problem
from specialeplan.model.families import FAMILIES, elastic_families
from specialeplan.model.sets import ModelData, build_model_data
from specialeplan.solvers.base import SolveResult, SolverOptions
from specialeplan.solvers.problem import LinearProblem
from specialeplan.solvers.registry import get_backend

COLUMNS = ["family", "rows", "speciale", "region", "provider_id", "municipality_code",
           "bound", "amount"]


@dataclass
class Diagnosis:
    """Minimal relaxation found, plus the families that alone restore feasibility.

    ``table``: one row per relaxed constraint of the joint minimal relaxation (family, row
    block, speciale, region, provider_id, municipality_code, bound, amount). ``sufficient``:
    families such that relaxing only that family makes the scenario feasible, with the total
    slack it needs. ``notes``: further causes found in the data (e.g. the travel cutoff).
    """

    table: pd.DataFrame
    status: str
    sufficient: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def families(self) -> list[str]:
        """Families with at least one relaxed row, in order of appearance."""
        return list(dict.fromkeys(self.table["family"]))

    def to_text(self, limit: int = 15) -> str:
        """A readable explanation, grouped by family."""
        if self.table.empty:
            return ("no relaxation of the hard families made it feasible "
                    f"(elastic model status: {self.status})")
        lines = []
        for fam, grp in self.table.groupby("family", sort=False):
            explain = FAMILIES[fam].explain if fam in FAMILIES else fam
            lines.append(f"- {fam}: {explain} ({len(grp)} place(s))")
            for _, row in grp.head(limit).iterrows():
                where = ", ".join(f"{c}={row[c]}" for c in
                                  ("speciale", "region", "provider_id", "municipality_code",
                                   "bound") if isinstance(row.get(c), str) and row[c])
                lines.append(f"    {where or 'total'}: short by {row['amount']:.4g}")
            if len(grp) > limit:
                lines.append(f"    ... and {len(grp) - limit} more")
        if self.sufficient:
            lines.append("Relaxing any one of these families alone makes it feasible:")
            for f, v in self.sufficient.items():
                explain = FAMILIES[f].explain if f in FAMILIES else f
                lines.append(f"  - {f} ({explain}; total slack {v:.4g})")
        lines.extend(self.notes)
        return "\n".join(lines)


def _elastic_solve(
    data: ModelData, families: frozenset[str], options: SolverOptions
) -> tuple[LinearProblem, SolveResult, np.ndarray | None]:
    problem = build_problem(data, elastic=families)
    result, z = get_backend(options.name).solve(problem, options)
    return problem, result, z


def relaxed_rows(problem: LinearProblem, z: np.ndarray) -> pd.DataFrame:
    """One row per positive slack: the family, row block, the row's labels and the amount."""
    parts = []
    for s in problem.slacks:
        block = problem.columns[s.column_block]
        amount = z[block.slice]
        hit = amount > 1e-6
        if hit.any():
            labels = block.labels.frame()[hit]
            parts.append(labels.assign(family=s.family, rows=s.row_block, amount=amount[hit]))
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
    table = table.reindex(columns=COLUMNS)
    table[COLUMNS[:-1]] = table[COLUMNS[:-1]].astype(object).fillna("").astype(str)
    return table


def diagnose(data: ModelData, options: SolverOptions) -> Diagnosis:
    """Solve the elastic model and list the constraints that must give way; then try each
    relaxed family alone to tell the planner which single rule change would be enough."""
    opts = options.model_copy(update={"warm_start": False, "verbose": False, "log_file": None,
                                      "time_limit": min(options.time_limit or 60.0, 60.0)})
    # without the exact reductions, so that a rule they encode (min volume) can be named
    data = build_model_data(data.instance, data.params, reduce=False)
    active = set(active_families(data))
    candidates = frozenset(f for f in elastic_families() if f in active)
    problem, result, z = _elastic_solve(data, candidates, opts)
    table = relaxed_rows(problem, z) if z is not None else pd.DataFrame(columns=COLUMNS)
    sufficient: dict[str, float] = {}
    for family in dict.fromkeys(s.family for s in problem.slacks):
        _, alone, _ = _elastic_solve(data, frozenset({family}), opts)
        if alone.has_solution and alone.objective is not None:
            sufficient[family] = alone.objective
    return Diagnosis(table=table, status=str(result.status), sufficient=sufficient)
