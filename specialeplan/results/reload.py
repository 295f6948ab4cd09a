"""Read a results folder back as the model's inputs and its plan, for analyses that start
from an earlier run (``specialeplan vulnerability``, ``specialeplan rollout --from``).

The folder's ``instance/`` holds exactly what was solved (demand after its growth factors,
capacities after ``capacity_changes``), so the :class:`Instance` rebuilt from it, with the
scenario's growth and capacity changes folded in (:func:`solved_params`), is the model of the
run — also for a dataset other than the
bundled one. The files are read against the file contract (:mod:`specialeplan.results.contract`),
so a broken folder is a :class:`DataValidationError` naming file, row and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from specialeplan.data.costs import read_costs
from specialeplan.errors import DataValidationError
from specialeplan.model.instance import Instance
from specialeplan.model.params import ModelParams
from specialeplan.results.contract import KPIS, SOLUTION_STATUSES
from specialeplan.results.reading import (
    read_instance,
    read_kpis_object,
    read_params,
    read_results,
    read_solver,
)


@dataclass
class LoadedRun:
    """A results folder with a solution: its inputs, rules and tables."""

    folder: Path
    instance: Instance
    params: ModelParams  # the run's rules; demand growth, capacity changes already in instance
    solver: dict[str, Any]  # the resolved scenario's solver section
    tables: dict[str, pd.DataFrame]  # designations, assignments, coverage, reach, ...
    kpis: dict[str, Any]

    @property
    def functions(self) -> list[str]:
        """The planned specialfunktion types, in the order of ``function_params.csv``."""
        return list(self.instance.functions["function"])


def solved_params(params: ModelParams, specialer: list[str] | None = None,
                  functions: list[str] | None = None) -> ModelParams:
    """``params`` with every demand growth factor 1 and no ``capacity_changes`` (the folder's
    demand and capacities already hold them: applied again they would count twice), the
    ``new_sites`` as expansions of their providers (already in the folder's instance), and only
    the ``specialer`` and specialfunktion types (``functions``) the folder plans (its
    instance knows no others)."""
    per = {s: p.model_copy(update={"demand_growth": None})
           for s, p in params.per_speciale.items() if specialer is None or s in specialer}
    per_fn = {s: p.model_copy(update={"demand_growth": None})
              for s, p in params.per_function.items() if functions is None or s in functions}
    from specialeplan.model.expansions import all_entries

    return params.model_copy(update={
        "demand_growth": 1.0, "per_speciale": per, "per_function": per_fn,
        "capacity_changes": [],
        # the folder's instance has the new sites' providers: they stay as expansions
        "expansions": all_entries(params), "new_sites": [],
        "defaults": params.defaults.model_copy(update={"demand_growth": 1.0})})


def load_run(folder: Path | str) -> LoadedRun:
    """Read a results folder that holds a solution (:class:`DataValidationError` when it
    is no results folder, has no solution or breaks the file contract)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataValidationError("results folder does not exist", file=str(folder))
    kpis = read_kpis_object(folder)
    status = kpis.get("status")
    if status not in SOLUTION_STATUSES:
        raise DataValidationError(f"this run has no solution to start from (status "
                                  f"{status!r})", file=str(folder / KPIS), field="status")
    inst = read_instance(folder)
    sp = inst["function_params"]
    functions, specialer = inst.get("functions"), inst.get("specialer")
    if functions is None or specialer is None:  # before issue 22: one function per speciale
        functions = None  # the Instance's default taxonomy
        specialer = pd.DataFrame({"speciale": sp["function"], "name": sp["function"]})
    travel_path = folder / "instance" / "travel_minutes.csv"
    travel = (pd.read_csv(travel_path, dtype={"from_code": str, "to_code": str})
              if travel_path.is_file() else None)
    instance = Instance(
        name=folder.name, municipalities=inst["municipalities"], providers=inst["providers"],
        specialer=specialer, functions=functions,
        competence=inst["competence"], demand=inst["demand"],
        provider_travel=inst["provider_travel"], travel=travel,
        delivery_need=inst.get("delivery_need"), applications=inst.get("applications"),
        costs=(read_costs(folder / "instance" / "costs.csv")
               if (folder / "instance" / "costs.csv").is_file() else None),
        sources={t: f"{folder / 'instance' / t}.csv" for t in
                 ("municipalities", "providers", "competence", "demand", "provider_travel",
                  "costs", "refusion_tiers", "delivery_need", "applications")
                 if t not in ("costs", "refusion_tiers", "delivery_need", "applications")
                 or (folder / "instance" / f"{t}.csv").is_file()})
    params = solved_params(read_params(folder), list(specialer["speciale"]),
                           list(sp["function"]))
    if set(instance.function_ids) != set(sp["function"]):
        raise DataValidationError("the planned specialfunktioner differ from "
                                  "instance/functions.csv",
                                  file=str(folder / "instance" / "function_params.csv"))
    return LoadedRun(folder=folder, instance=instance,
                     params=params.model_copy(update={"specialer": None,
                                                      "functions": list(sp["function"])}),
                     solver=read_solver(folder), tables=read_results(folder), kpis=kpis)
