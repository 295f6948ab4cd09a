"""Explain infeasible scenarios with an elastic relaxation.

Every row of an elastic family (``elastic=True`` in the registry) gets non-negative slack
columns towards its finite bounds (:meth:`ProblemBuilder.problem` with ``elastic=``) and the
total slack is minimised. A positive slack says which family, speciale, municipality or
provider has to give way, and by how much, for the scenario to become feasible. Soft rules
(unmet demand, reach shortfall) are penalised in the normal model and never cause
infeasibility. The explanations are the registry's ``explain`` texts; the backend is the one
the options name.

Restrictions of the domain that are no rows (the family-travel cutoff drops arcs beyond
``max_travel_minutes``) cannot be relaxed this way; :func:`cutoff_notes` names them in
``Diagnosis.notes`` when demand has competent providers only beyond the cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from specialeplan.model.build import active_families, build_problem
from specialeplan.model.families import FAMILIES, elastic_families
from specialeplan.model.keys import KP, PS
from specialeplan.model.sets import ModelData, build_model_data
from specialeplan.solvers.base import Deadline, SolveResult, SolverOptions
from specialeplan.solvers.problem import LinearProblem
from specialeplan.solvers.registry import get_backend

COLUMNS = ["family", "rows", "speciale", "function", "region", "provider_id",
           "municipality_code", "bound", "amount"]


@dataclass
class Diagnosis:
    """Minimal relaxation found, plus the families that alone restore feasibility.

    ``table``: one row per relaxed constraint of the joint minimal relaxation (family, row
    block, speciale, function, region, provider_id, municipality_code, bound, amount; a row
    of a function names its specialer too). ``sufficient``:
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
            if self.status in ("time_limit", "no_solution", "interrupted"):
                head = ("the diagnosis was cut short (by solver.time_limit or an interrupt); "
                        "run again with a longer time limit to see which rules must give way")
            else:
                head = ("no relaxation of the hard families made it feasible "
                        f"(elastic model status: {self.status})")
            return "\n".join([head, *self.notes])
        lines = []
        for fam, grp in self.table.groupby("family", sort=False):
            explain = FAMILIES[fam].explain if fam in FAMILIES else fam
            lines.append(f"- {fam}: {explain} ({len(grp)} place(s))")
            for _, row in grp.head(limit).iterrows():
                where = ", ".join(f"{c}={row[c]}" for c in
                                  ("speciale", "function", "region", "provider_id",
                                   "municipality_code", "bound")
                                  if isinstance(row.get(c), str) and row[c])
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
    data: ModelData, families: frozenset[str], options: SolverOptions, deadline: Deadline
) -> tuple[LinearProblem, SolveResult, np.ndarray | None]:
    problem = build_problem(data, elastic=families)
    result, z = get_backend(options.name).solve(problem, options, deadline=deadline)
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


def cutoff_notes(data: ModelData, limit: int = 5) -> list[str]:
    """Demand whose competent providers all lie beyond the family-travel cutoff (so no
    arc is left for it), per speciale, with the nearest such provider's travel time."""
    fam = data.params.families
    if not fam.travel_cutoff or data.dem.empty:
        return []
    served = set(zip(data.arcs["municipality_code"], data.arcs["function"], strict=True))
    dem = data.dem
    orphan = dem[[(k, s) not in served for k, s in zip(dem["municipality_code"],
                                                        dem["function"], strict=True)]]
    if orphan.empty:
        return []
    usable = data.pairs[data.pairs["usable"]][PS]
    near = (orphan.merge(usable, on="function")
            .merge(data.instance.provider_travel, on=KP)
            .groupby("function")["minutes"].min())
    cutoff = data.function_params["max_travel_minutes"]
    notes = []
    for s, grp in orphan.groupby("function", sort=False):
        if s not in near.index:  # no competent provider at all: not the cutoff's doing
            continue
        notes.append(
            f"- travel_cutoff: {len(grp)} municipalit{'y' if len(grp) == 1 else 'ies'} with "
            f"demand for {s} ({grp['demand'].sum():g} borgerforløb) have competent providers "
            f"only beyond max_travel_minutes = {cutoff.get(s, np.nan):g} (nearest "
            f"{near[s]:g} min), e.g. {', '.join(grp['municipality_code'].head(limit))}; "
            f"raise model.per_speciale.{s}.max_travel_minutes (or the default) to at least "
            f"{near[s]:g}, or allow unmet demand")
    return notes


def diagnose(data: ModelData, options: SolverOptions,
             deadline: Deadline | None = None) -> Diagnosis:
    """Solve the elastic model and list the constraints that must give way; then try each
    relaxed family alone to tell the planner which single rule change would be enough.
    Each solve gets at most 60 s and none runs past ``deadline``. Demand cut off by the
    travel cutoff is named in ``notes``."""
    opts = options.model_copy(update={"warm_start": False, "verbose": False, "log_file": None,
                                      "time_limit": min(options.time_limit or 60.0, 60.0)})
    # without the exact reductions, so that a rule they encode (min volume) can be named
    data = build_model_data(data.original, data.params, reduce=False)
    deadline = deadline or Deadline.none()
    active = set(active_families(data))
    candidates = frozenset(f for f in elastic_families() if f in active)
    problem, result, z = _elastic_solve(data, candidates, opts, deadline)
    table = relaxed_rows(problem, z) if z is not None else pd.DataFrame(columns=COLUMNS)
    if len(table):  # the planner's terms: a function's row names its specialer
        label = table["function"].map(data.instance.speciale_label()).fillna("")
        table["speciale"] = table["speciale"].where(table["speciale"] != "", label)
    sufficient: dict[str, float] = {}
    for family in dict.fromkeys(s.family for s in problem.slacks):
        if deadline.expired():
            break
        _, alone, _ = _elastic_solve(data, frozenset({family}), opts, deadline)
        if alone.has_solution and alone.objective is not None:
            sufficient[family] = alone.objective
    return Diagnosis(table=table, status=str(result.status), sufficient=sufficient,
                     notes=cutoff_notes(data))
