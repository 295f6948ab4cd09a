"""Write a self-contained results folder (format: ``docs/results-format.md``).

:func:`write_results` fills a folder; the CLI hands it the temporary folder of a
:class:`~specialeplan.results.runfolder.RunFolder`, so a folder only ever holds one run. A run
without a solution (infeasible, no solution in the time limit) still gets ``kpis.json``
(with its status), ``instance/`` and, when infeasible, ``infeasibility.csv``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from specialeplan import __version__
from specialeplan.api import RunOutcome
from specialeplan.data.costs import CostTable, load_tiers, run_cost_table
from specialeplan.results.contract import (
    COST_TABLES,
    FILE_HASHES,
    FINANCING,
    INFEASIBILITY,
    INSTANCE_TABLES,
    KPI_TIMINGS,
    KPIS,
    OPTIONAL_INSTANCE_TABLES,
    RESOLVED_SCENARIO,
    RESULT_TABLES,
)
from specialeplan.results.costs import cost_block, cost_sheet, financing_table
from specialeplan.results.readable import add_names, name_lookups, round_table, write_workbook
from specialeplan.scenarios.schema import ResolvedScenario


def json_safe(obj: Any) -> Any:
    """``obj`` with numpy scalars as Python ones, paths as text and non-finite floats as
    None (JSON has no NaN), so every JSON file the package writes is strict JSON."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer | np.bool_):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    return obj


def timing_record(outcome: RunOutcome) -> dict[str, float | None]:
    """The run's timings in :data:`~specialeplan.results.contract.KPI_TIMINGS` order: those
    in ``outcome.timings`` (:func:`specialeplan.api.run`), else at least the build and solve
    seconds every outcome knows."""
    known = {"build_seconds": outcome.build_seconds,
             "solve_seconds": outcome.result.solve_seconds, **outcome.timings}
    return {k: known[k] for k in KPI_TIMINGS if k in known}


def kpis_record(outcome: RunOutcome) -> dict[str, Any]:
    """kpis.json content: solver outcome, timings, sizes and the solution's KPIs."""
    res = outcome.result
    record: dict[str, Any] = {
        "status": str(res.status),
        "objective": res.objective,
        "best_bound": res.best_bound,
        "mip_gap": res.mip_gap,
        "solver": res.solver,
        "solver_version": res.solver_version,
        **timing_record(outcome),
        "n_variables": res.n_variables,
        "n_constraints": res.n_constraints,
        "n_binaries": res.n_binaries,
        "n_nonzeros": res.n_nonzeros,
        "nodes": res.nodes,
        "start_seconds": res.extra.get("start_seconds"),
        "start_objective": res.extra.get("start_objective"),
        "start_gap": res.extra.get("start_gap"),
        "parallel_search": res.extra.get("parallel"),
        "sizes": outcome.data.sizes,
    }
    for key in ("note", "solution_from"):
        if res.extra.get(key):
            record[key] = res.extra[key]
    if outcome.solution is not None:
        record.update(outcome.solution.kpis)
    return json_safe(record)


def resolved_record(resolved: ResolvedScenario, outcome: RunOutcome) -> dict[str, Any]:
    """``scenario.resolved.yaml``: the fully resolved scenario, data hashes and versions."""
    sc = resolved.scenario
    inst = outcome.data.instance
    return {
        "name": sc.name,
        "description": sc.description,
        "extends_chain": list(resolved.chain),
        "dataset": sc.dataset,
        "dataset_synthetic": inst.synthetic,
        # the weights as solved: the prices in DKK derived from instance/costs.csv (or given)
        "model": {**sc.model.model_dump(mode="json"),
                  "weights": outcome.data.params.weights.model_dump(mode="json"),
                  # as solved: an instance without a cost table has unit-less weights
                  "pricing": "kroner" if outcome.data.costs is not None else "unit_less"},
        "solver": sc.solver.model_dump(mode="json"),
        "costs": dict(sc.costs),  # the scenario's cost overrides (applied: instance/costs.csv)
        "data_hashes": dict(sorted(inst.hashes.items())),
        "package_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every input table under ``instance/`` and every result table of ``folder``
    (relative path → hex digest), recorded so that a later edit of a file is detected."""
    files = [*sorted((folder / "instance").glob("*.csv")),
             *(folder / t.file for t in [*RESULT_TABLES.values(), FINANCING]
               if (folder / t.file).is_file())]
    return {f.relative_to(folder).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in files}


def instance_tables(outcome: RunOutcome) -> dict[str, pd.DataFrame]:
    """The exact inputs that were solved (planned specialer only, demand after growth)."""
    data, inst = outcome.data, outcome.data.instance
    comp = inst.competence[inst.competence["function"].isin(data.functions)]
    tables = {
        "municipalities": inst.municipalities,
        "providers": inst.providers,
        "competence": comp,
        "demand": data.demand,
        "provider_travel": inst.provider_travel,
        "function_params": data.function_params.reset_index(),
        # the taxonomy of what was planned: its functions and the specialer they roll up to
        "functions": inst.functions[inst.functions["function"].isin(data.functions)],
        "specialer": inst.specialer[inst.specialer["speciale"].isin(
            {s for f in data.functions for s in inst.specialer_of()[f]})],
    }
    if inst.travel is not None:
        tables["travel_minutes"] = inst.travel
    if inst.delivery_need is not None:
        dn = inst.delivery_need
        tables["delivery_need"] = dn[dn["function"].isin(data.functions)]
    if data.params.mode == "applications" and inst.applications is not None:
        app = inst.applications
        tables["applications"] = app[app["function"].isin(data.functions)]
    return tables


def cost_table(outcome: RunOutcome, resolved: ResolvedScenario) -> CostTable:
    """The run's cost table: the dataset's own ``costs.csv``/``refusion_tiers.csv`` (recorded
    in the instance's sources by the loader) or the bundled ones, with the scenario's
    ``costs:`` overrides applied."""
    inst = outcome.data.instance
    if inst.costs is None:  # no kroner in the objective: the bundled table, for the report
        return run_cost_table(inst.sources, resolved.scenario.costs,
                              set(inst.functions["function"]))
    # the table the objective was priced with (overrides applied once, by specialeplan.api)
    return CostTable(inst.costs, load_tiers(inst.sources.get("refusion_tiers")))


def contract_order(df: pd.DataFrame, columns: dict[str, str], what: str) -> pd.DataFrame:
    """The contract's columns first, in its order, then any others; a missing one is a bug."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: the writer lost column(s) {missing} of the file contract")
    return df[[*columns, *(c for c in df.columns if c not in columns)]]


def write_results(outcome: RunOutcome, resolved: ResolvedScenario, folder: Path,
                  *, excel: bool = True) -> Path:
    """Write tables, KPIs and inputs into ``folder`` (created if needed), in the file
    contract of :mod:`specialeplan.results.contract`; without a solution only ``kpis.json``,
    ``instance/`` and the diagnosis (``infeasibility.csv``) when there is one. The tables
    carry names next to ids and no float noise (:mod:`specialeplan.results.readable`)."""
    folder.mkdir(parents=True, exist_ok=True)
    diagnosis = outcome.diagnosis
    if diagnosis is not None:
        diagnosis.table.to_csv(folder / INFEASIBILITY, index=False)
    (folder / "instance").mkdir(exist_ok=True)
    for name, df in instance_tables(outcome).items():
        contract = INSTANCE_TABLES.get(name) or OPTIONAL_INSTANCE_TABLES.get(name)
        if contract is not None:
            df = contract_order(df, contract.columns, name)
        df.to_csv(folder / "instance" / f"{name}.csv", index=False)
    sol = outcome.solution
    kpis = kpis_record(outcome)
    tables: dict[str, pd.DataFrame] = {}
    if sol is not None:
        inst = outcome.data.instance
        names = name_lookups(inst.providers, inst.municipalities, inst.functions)
        tables = {name: round_table(add_names(contract_order(
            df, RESULT_TABLES[name].columns, name), RESULT_TABLES[name], names))
            for name, df in sol.tables().items()}
        for name, df in tables.items():
            df.to_csv(folder / RESULT_TABLES[name].file, index=False)
    costs = cost_table(outcome, resolved)
    costs.costs.to_csv(folder / COST_TABLES["costs"].file, index=False)
    costs.tiers.replace(math.inf, None).to_csv(folder / COST_TABLES["refusion_tiers"].file,
                                               index=False)
    if sol is not None:
        inst, specialer = outcome.data.instance, list(outcome.data.functions)
        comp = inst.competence[inst.competence["function"].isin(specialer)]
        kpis["cost_dkk"] = json_safe(cost_block(tables, comp, inst.providers, specialer,
                                                costs, synthetic=inst.synthetic))
        financing = round_table(add_names(financing_table(
            tables, comp, inst.municipalities, specialer, costs), FINANCING, names))
        financing.to_csv(folder / FINANCING.file, index=False)
        tables["financing"] = financing
    record = resolved_record(resolved, outcome)
    record[FILE_HASHES] = file_hashes(folder)  # what the checker verifies the files against
    with open(folder / RESOLVED_SCENARIO, "w", encoding="utf-8") as fh:
        yaml.safe_dump(record, fh, sort_keys=False, allow_unicode=True)
    if excel and sol is not None:
        sheets = {**tables, "costs": cost_sheet(kpis["cost_dkk"])}
        write_workbook(folder / "results.xlsx", sheets, kpis)
    with open(folder / KPIS, "w", encoding="utf-8") as fh:
        json.dump(kpis, fh, indent=2, ensure_ascii=False)
    return folder
