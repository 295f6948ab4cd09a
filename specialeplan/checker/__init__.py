"""Independent checker: re-verify a results folder from its files only.

The contract is ``docs/results-format.md`` (in code: :mod:`specialeplan.results.contract`). The
checker reads the result tables and the solved inputs under ``instance/`` with pandas, yaml
and json, and re-checks every constraint family plus the objective and the KPIs. It shares
no maths with the model builder: from :mod:`specialeplan.model` it takes only the names of
the registered families and terms (:mod:`specialeplan.model.registry`, to run one rule per
family in the same order, skip what the scenario switched off or the registry marks
``unchecked=``, and recompute every objective term) and :class:`ModelParams` to read
the ``model`` section of ``scenario.resolved.yaml``. So a bug in the formulation or in the
solution export shows up as a violation here. The rules are in
:mod:`specialeplan.checker.rules`, one module per module of ``model/families`` (the rule of
a family in ``model/families/advisory.py`` is in ``checker/rules/advisory.py``) plus ``folder``
for the checks of the folder as a whole.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from specialeplan.checker.files import check_files
from specialeplan.checker.quality import QualityLimits, quality_warnings
from specialeplan.checker.report import CheckReport, Collector, Violation
from specialeplan.checker.rules import (
    RULES,
    Context,
    check_claims,
    check_costs,
    check_duplicates,
    check_kpis,
    check_objective,
    check_regions,
    check_taxonomy,
    recompute_terms,
)
from specialeplan.checker.rules.applications import check_applications
from specialeplan.data.costs import read_costs
from specialeplan.errors import DataValidationError, FolderRejected
from specialeplan.model.families import FAMILIES
from specialeplan.model.params import ModelParams
from specialeplan.model.pricing import resolved_weights
from specialeplan.results.contract import KPIS, NO_SOLUTION_STATUSES, RESULT_TABLES
from specialeplan.results.reading import (
    read_instance,
    read_kpis,
    read_kpis_object,
    read_params,
    read_results,
    read_solver,
)

__all__ = ["RULES", "CheckReport", "QualityLimits", "Violation", "check_results", "raw_terms",
           "read_context", "verify_folder"]


def check_results(folder: Path, tol: float = 1e-6,
                  limits: QualityLimits | None = None) -> CheckReport:
    """Verify a results folder (``docs/results-format.md``) from its files only.

    Raises :class:`DataValidationError` (naming file and field) when a file is missing or
    garbled; every broken rule is returned as a :class:`Violation` in the report, and the
    solution's quality (gap, unmet demand, reach shortfalls against ``limits``) as
    ``report.warnings``. A folder whose ``kpis.json`` says there is no solution
    (infeasible, no_solution, ...) gets one violation saying so (nothing to check), and
    another when it holds solution tables all the same.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataValidationError("results folder does not exist", file=str(folder))
    raw = read_kpis_object(folder)
    status = raw.get("status")
    if status in NO_SOLUTION_STATUSES:
        return _no_solution_report(folder, status, raw, tol)
    params = read_params(folder)
    inst = read_instance(folder)
    tables = read_results(folder)
    kpis = read_kpis(folder)

    c = Collector(tol)
    file_warnings = check_files(folder, c, has_solution=True)
    tables = check_duplicates(c, tables)
    solver = read_solver(folder)
    ctx = _context(folder, params, inst, tables, kpis, solver)
    skipped = []
    for name, fam in FAMILIES.items():
        if fam.switch and not getattr(params.families, name):
            skipped.append(name)
            continue
        if fam.unchecked is None:  # else the registry says why no rule is needed
            RULES[name](ctx, c)
    terms = recompute_terms(ctx)
    obj = kpis["objective"]
    reported = float("nan") if obj is None else float(obj)
    check_objective(ctx, c, terms, reported)
    check_kpis(ctx, c)
    check_regions(ctx, c)
    check_claims(ctx, c)
    check_taxonomy(ctx, c)
    check_applications(ctx, c)
    file_warnings += check_costs(folder, ctx, c)
    warnings = quality_warnings(kpis, solver, ctx.cov, ctx.reach, limits or QualityLimits(),
                                tol)
    return CheckReport(violations=c.violations, objective_reported=reported,
                       objective_recomputed=float(sum(terms.values())), terms=terms,
                       n_checks=c.n_checks, skipped=skipped, warnings=warnings,
                       notes=file_warnings, status=str(status))


def verify_folder(folder: Path, what: str) -> CheckReport:
    """Check ``folder`` before an analysis (``what``, e.g. "vulnerability") uses it; raise
    :class:`FolderRejected` with the checker's reasons when it breaks a rule or its files were
    changed after the run. A folder without a solution is judged on its files only (the
    analysis itself says whether it can use such a run)."""
    folder = Path(folder)
    try:
        report = check_results(folder)
    except DataValidationError as exc:  # name the folder, not only the file inside it
        raise DataValidationError(f"{exc.detail} (is {folder} a results folder?)",
                                  file=str(folder / exc.file) if exc.file else str(folder),
                                  row=exc.row, field=exc.field) from None
    # a no-solution report's first violation only says there is nothing to check
    problems = report.violations if report.has_solution else report.violations[1:]
    if problems:
        shown = "\n".join(f"  - [{v.family}] {v.message}" for v in problems[:5])
        more = f"\n  … and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise FolderRejected(
            f"{what}: {folder} fails the independent check ({len(problems)} problem(s)); "
            f"it is not analysed:\n{shown}{more}\nRe-run its scenario, or pass --no-verify "
            "to analyse it anyway.")
    return report


def read_context(folder: Path) -> Context:
    """The checker's view of a folder with a solution (inputs, tables, parameters, KPIs),
    for tools that recompute quantities from the files (e.g. raw objective terms)."""
    folder = Path(folder)
    params = read_params(folder)
    inst = read_instance(folder)
    tables = check_duplicates(Collector(1e-6), read_results(folder))
    return _context(folder, params, inst, tables, read_kpis(folder), read_solver(folder))


def _context(folder: Path, params: ModelParams, inst: dict[str, pd.DataFrame],
             tables: dict[str, pd.DataFrame], kpis: dict, solver: dict) -> Context:
    path = folder / "instance" / "costs.csv"
    costs = read_costs(path, complete=False) if path.is_file() else None
    if params.pricing != "kroner":  # unit-less weights, no care term
        costs = None
    try:  # a weight the resolved scenario leaves unset: priced as the model did
        weights = resolved_weights(params.weights, costs)
    except KeyError:  # a cost table of an earlier version: its weights are all numbers
        weights = resolved_weights(params.weights, None)
    params = params.model_copy(update={"weights": weights})
    return Context(params=params, munis=inst["municipalities"], prov=inst["providers"],
                   comp=inst["competence"], dem=inst["demand"], pt=inst["provider_travel"],
                   sp=inst["function_params"], des=tables["designations"],
                   asg=tables["assignments"], cov=tables["coverage"], reach=tables["reach"],
                   nf=tables["near_family"], regions=tables["regions"], kpis=kpis,
                   solver=solver, trans=tables["transitional"],
                   cost_rows=costs, fn=inst.get("functions"),
                   changes=tables["capacity_changes"], apps_in=inst.get("applications"),
                   apps_out=tables["applications"] if (folder / "applications.csv").is_file()
                   else None)


def raw_terms(folder: Path) -> dict[str, float]:
    """Every objective term recomputed from a folder's files with weight 1 (travel in
    borgerforløb-minutes, designation in cost units, ...)."""
    import dataclasses

    ctx = read_context(folder)
    ones = ctx.params.weights.model_copy(update=dict.fromkeys(
        ctx.params.weights.model_dump(), 1.0))
    return recompute_terms(dataclasses.replace(ctx, params=ctx.params.model_copy(
        update={"weights": ones})))


def _no_solution_report(folder: Path, status: str, kpis: dict, tol: float) -> CheckReport:
    c = Collector(tol)
    why = {"infeasible": " (infeasibility.csv says which rules conflict)"}.get(status, "")
    c.single("claims", False, f"{KPIS} says status {status!r}: this run has no solution to "
             f"check{why}")
    check_files(folder, c, has_solution=False)
    found = [t.file for t in RESULT_TABLES.values() if (folder / t.file).exists()]
    c.single("claims", not found, f"but the folder holds solution tables {found}: files of "
             "another run are mixed in")
    c.single("claims", kpis.get("objective") is None,
             f"status {status!r} but objective {kpis.get('objective')!r} (expected null)")
    return CheckReport(violations=c.violations, objective_reported=float("nan"),
                       objective_recomputed=float("nan"), terms={}, n_checks=c.n_checks,
                       status=status, has_solution=False)

