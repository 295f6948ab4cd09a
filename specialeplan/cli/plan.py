"""Commands for one plan: ``version``, ``run``, ``check``, ``map`` and ``classic``.

``run`` is :func:`specialeplan.pipeline.solve_into_folder` with messages; ``check`` the
independent checker (:mod:`specialeplan.checker`); ``map`` the map writers
(:mod:`specialeplan.maps`). Exit codes: see :mod:`specialeplan.cli.common`.
"""

from __future__ import annotations

import json
import time
import warnings
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from specialeplan import __version__
from specialeplan.cli.common import app, console, err_console, fail, warn
from specialeplan.errors import InfeasibleError, OptionalFileIgnored, SpecialeplanError

if TYPE_CHECKING:
    from specialeplan.api import Built
    from specialeplan.checker import CheckReport
    from specialeplan.pipeline import RunRecord
    from specialeplan.scenarios.schema import ResolvedScenario
    from specialeplan.solvers.base import Deadline


@app.command()
def version() -> None:
    """Print the package and solver versions."""
    from specialeplan.solvers.highs import highs_version

    console.print(f"specialeplan {__version__} (HiGHS {highs_version()})")


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    out: Annotated[Path, typer.Option(help="results root; writes OUT/<scenario name>/")] = Path(
        "results"),
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a scenario key, e.g. --set solver.time_limit=60")] = None,
    overwrite: Annotated[bool, typer.Option(
        help="replace OUT/<name>/ if it holds a run (only once the new run is complete)")
    ] = False,
    quiet: Annotated[bool, typer.Option(help="do not stream the solver log")] = False,
    check: Annotated[bool, typer.Option(help="verify the written folder with the checker")] = True,
    excel: Annotated[bool, typer.Option(help="also write results.xlsx")] = True,
    maps: Annotated[bool, typer.Option(
        help="also draw maps/<speciale>.png and the interactive .html")] = False,
) -> None:
    """Solve a scenario and write its results folder OUT/<name>/.

    The folder is written completely into a temporary folder beside it and then renamed
    into place. A folder that already holds a run is refused unless --overwrite; a second
    run on the same folder at the same time is refused. solver.time_limit bounds the whole
    run. Ctrl-C (or SIGTERM) stops and keeps the best solution feasible for the whole model
    (status interrupted, exit 0), or writes nothing (exit 130) when there is none yet.
    """
    t0 = time.perf_counter()
    from specialeplan.pipeline import solve_into_folder
    from specialeplan.scenarios.schema import load_scenario
    from specialeplan.solvers.base import Deadline
    from specialeplan.solvers.registry import check_solver_options

    try:
        resolved = load_scenario(scenario, set_ or [])
        sc = resolved.scenario
        check_solver_options(sc.solver)
        if sc.rollout is not None:
            console.print("[yellow]note:[/] this scenario has rollout waves; `run` plans its "
                          "model.specialer at once (`specialeplan rollout` plans the waves)")
        deadline = Deadline.after(sc.solver.time_limit, t0)
        record = solve_into_folder(
            resolved, out, overwrite=overwrite, deadline=deadline, excel=excel, maps=maps,
            verbose=not quiet, check=check,
            on_start=lambda: console.print(f"[bold]{sc.name}[/]: loading dataset "
                                           f"{sc.dataset!r}"),
            on_built=lambda built: _announce(built, resolved, deadline), on_warning=warn)
    except SpecialeplanError as exc:
        fail(exc)
    except KeyboardInterrupt:  # a second Ctrl-C / SIGTERM: stop at once, write nothing
        fail("interrupted again: stopped at once; nothing was written", 130, markup=True)
    try:
        _report_run(record, maps=maps)
    except KeyboardInterrupt:  # the folder is published: never leave the user guessing
        _interrupted_after_publish(record.folder)


def _interrupted_after_publish(folder: Path | None) -> NoReturn:
    """Exit 130 after a Ctrl-C that came once the results were in place, saying where."""
    if folder is None:
        fail("[bold yellow]interrupted[/]: nothing was written", 130, markup=True)
    fail(f"[bold yellow]interrupted[/] after the results were written: they are complete in "
         f"[bold]{escape(str(folder))}[/] (check them with `specialeplan check "
         f"{escape(str(folder))}`)", 130, markup=True)


def _announce(built: Built, resolved: ResolvedScenario, deadline: Deadline) -> None:
    """The model's size and the solve's limits, between build and solve."""
    sc = resolved.scenario
    sizes = ", ".join(f"{k} {v:,}" for k, v in built.data.sizes.items())
    limit = (f"{sc.solver.time_limit:g} s for the whole run, {deadline.remaining():.0f} s "
             "left" if sc.solver.time_limit is not None else "none")
    console.print(f"built model in {built.build_seconds:.1f} s ({sizes}); solving "
                  f"(time limit {limit}, gap {sc.solver.mip_rel_gap:.2%}; Ctrl-C stops "
                  "and keeps the best solution)")


def _kpi_table(kpis: dict) -> Table:
    from specialeplan.results.contract import KPI_TIMINGS

    table = Table(title="Result", show_header=False)
    for key in ("status", "objective", "best_bound", "mip_gap", "designations",
                "advisory_designations", "total_demand", "total_unmet", "reach_shortfalls",
                "outreach_cases", "outreach_share", "near_family_cases", "current_cases",
                "moved_cases", "transitional_cases", "dropped_designations",
                "share_outside_home_municipality_physical", "mean_travel_minutes_physical",
                "mean_staff_travel_minutes_outreach", "max_travel_minutes", *KPI_TIMINGS):
        if key in kpis and kpis[key] is not None:
            v = kpis[key]
            table.add_row(key, f"{v:,.4g}" if isinstance(v, float) else str(v))
        if key == "mip_gap" and isinstance(kpis.get("cost_dkk"), dict):
            total = kpis["cost_dkk"].get("total")
            if isinstance(total, int | float):  # the plan's cost, not the objective
                table.add_row("annual_cost_mio_dkk", f"{total / 1e6:,.1f}")
        if key == "share_outside_home_municipality_physical" and key in kpis:
            seed = kpis.get("share_outside_home_municipality_seed")
            if isinstance(seed, int | float):
                table.add_row("  seed 000 (all botilbud)", f"{seed:.2f}")
    if kpis.get("objective_unit"):
        table.caption = f"objective in {kpis['objective_unit']}"
    if kpis.get("keep_today_not_kept"):  # kept owners' designations that break the rules
        table.add_row("keep_today_not_kept", f"{len(kpis['keep_today_not_kept'])} (see "
                      "kpis.json)")
    return table


def _report_run(record: RunRecord, *, maps: bool) -> None:
    """KPIs, what was written and the check; exit 130 (interrupted, nothing written), 3
    (infeasible), 1 (no solution, or the check failed)."""
    outcome, folder = record.outcome, record.folder
    if folder is None:
        fail("[bold yellow]interrupted[/] before a solution feasible for the whole model was "
             "found (e.g. during the start heuristic, before every speciale had a feasible "
             "part): nothing was written", 130, markup=True)
    kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    console.print(_kpi_table(kpis))
    result = outcome.result
    if outcome.diagnosis is not None:
        fail(f"[bold red]infeasible:[/] the scenario is infeasible. A minimal relaxation that "
             f"makes it feasible:\n{escape(outcome.diagnosis.to_text())}\n(details in "
             f"{escape(str(folder / 'infeasibility.csv'))})", 3, markup=True)
    if outcome.solution is None:
        note = result.extra.get("note")
        fail(f"[bold red]no solution[/] (status {result.status}"
             + (f": {escape(note)}" if note else "") + f"); recorded in {folder}", 1,
             markup=True)
    console.print(f"results written to [bold]{folder}[/]")
    if result.status == "interrupted":
        console.print("[yellow]interrupted[/]: kept the best solution found, feasible for the "
                      "whole model" + (f" (gap {result.mip_gap:.2%})" if result.mip_gap
                                       is not None else " (no bound yet: gap unknown)"))
    if maps:
        console.print(f"drew {len(list((folder / 'maps').glob('*.png')))} map(s) (PNG and "
                      f"HTML) in {folder / 'maps'}")
    if record.check_interrupted:
        _interrupted_after_publish(folder)
    if record.check_error is not None:  # a folder we just wrote must read back: 1, not 2
        fail(record.check_error, 1)
    if record.check is not None:
        _report_check(record.check)
    if "applications_needed" in kpis:  # model.mode applications (model/applications.py)
        gap = float(kpis.get("gap_cases") or 0.0)
        console.print(
            f"applications: {kpis['applications_needed']} needed, "
            f"{kpis['applications_not_needed']} not needed, {kpis['applications_later']} from "
            f"a later year (applications.csv); gap: {gap:,.1f} borgerforløb no application "
            "serves" + (f" — their cheapest closure: specialeplan capacity {folder} "
                        "--close-gaps" if gap > 1e-6 else ""), highlight=False)


def _report_check(report: CheckReport, *, strict: bool = False) -> None:
    """The check's verdict and warnings; exit 1 on a violation (or, ``strict``, a warning)."""
    if not report.ok:
        err_console.print(report.to_text(), highlight=False, markup=False)
        raise typer.Exit(1)
    console.print(f"[green]check passed[/]: {report.n_checks:,} checks, objective "
                  f"{report.objective_recomputed:,.6g} recomputed from the files")
    for note in report.notes:
        console.print(f"[cyan]note:[/] {escape(note)}", highlight=False)
    for w in report.warnings:
        warn(w)
    if strict and report.warnings:
        fail(f"[bold red]strict:[/] {len(report.warnings)} quality warning(s) fail the check",
             1, markup=True)


@app.command()
def check(
    folder: Annotated[Path, typer.Argument(help="a results folder")],
    strict: Annotated[bool, typer.Option(
        help="fail (exit 1) on quality warnings too: gap, unmet demand, reach shortfalls")
    ] = False,
    max_gap: Annotated[float | None, typer.Option(
        help="gap above this is a warning (default: the scenario's solver.mip_rel_gap)")
    ] = None,
    max_unmet: Annotated[float, typer.Option(
        help="unmet borgerforløb above this are a warning")] = 0.0,
    max_reach_shortfalls: Annotated[float, typer.Option(
        help="municipality × speciale without rådgivning in reach above this are a warning")
    ] = 0.0,
) -> None:
    """Re-verify a results folder from its files only (independent of the model), and
    report the solution's quality: gap, unmet borgerforløb, reach shortfalls."""
    from specialeplan.checker import QualityLimits, check_results

    try:  # the limits first: a bad --max-gap is refused before the folder is read
        limits = QualityLimits(max_gap=max_gap, max_unmet=max_unmet,
                               max_reach_shortfalls=max_reach_shortfalls)
        report = check_results(folder, limits=limits)
    except SpecialeplanError as exc:
        fail(exc)
    _report_check(report, strict=strict)


@app.command(name="map")
def map_(
    folder: Annotated[Path, typer.Argument(help="a results folder")],
    speciale: Annotated[list[str] | None, typer.Option(help="only these specialer")] = None,
    html: Annotated[bool, typer.Option(
        help="also write the interactive maps/<speciale>.html (tooltips, layers)")] = True,
    compare: Annotated[Path | None, typer.Option(
        help="another results folder: draw difference maps FOLDER → COMPARE into "
             "FOLDER/maps/vs_<name of COMPARE>/")] = None,
) -> None:
    """Draw maps/<speciale>.png (and .html) for a results folder: placements, rådgivning,
    travel; with --compare, what changes towards another plan."""
    from specialeplan.maps.interactive import write_all_maps
    from specialeplan.maps.static import write_difference_maps

    try:
        if compare is not None:
            out = folder / "maps" / f"vs_{compare.resolve().name}"
            paths = write_difference_maps(folder, compare, out, speciale or None)
            console.print(f"wrote {len(paths)} difference map(s) to {out}")
            return
        paths = write_all_maps(folder, speciale or None, html=html)
    except SpecialeplanError as exc:
        fail(exc)
    console.print(f"wrote {len(paths)} map(s) to {folder / 'maps'}")


class ClassicKind(StrEnum):
    """The textbook problems ``specialeplan classic`` reads."""

    cflp = "cflp"
    pmedian = "pmedian"


@app.command()
def classic(
    kind: Annotated[ClassicKind, typer.Argument(help="cflp (OR-Library cap*) or pmedian (pmed*)")],
    file: Annotated[str, typer.Argument(
        help="OR-Library instance file, or the name of a bundled one (pmed1, cap41, ...)")],
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    solver: Annotated[str, typer.Option(help="highs or highs-direct")] = "highs",
    time_limit: Annotated[float, typer.Option(help="seconds")] = 600.0,
) -> None:
    """Solve a textbook instance through the placement model (regression reference)."""
    from specialeplan.classic import solve_classic_file
    from specialeplan.solvers.base import SolverOptions

    try:
        options = SolverOptions(name=solver, time_limit=time_limit, mip_rel_gap=0.0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", OptionalFileIgnored)
            record = solve_classic_file(kind.value, file, options)
    except InfeasibleError as exc:
        fail(f"[bold red]infeasible:[/] {escape(str(exc))}", 3, markup=True)
    except SpecialeplanError as exc:
        fail(exc)
    except ValidationError as exc:  # e.g. --time-limit inf
        err = exc.errors()[0]
        fail(SpecialeplanError(f"--{str(err['loc'][0]).replace('_', '-')}: {err['msg']}"))
    for w in caught:
        if issubclass(w.category, OptionalFileIgnored):
            warn(str(w.message))
    if as_json:
        print(json.dumps(record))
        return
    table = Table(title=f"{kind.value} {Path(file).name}", show_header=False)
    for key, value in record.items():
        if key != "open":
            table.add_row(key, f"{value:,.6g}" if isinstance(value, float) else str(value))
    console.print(table)
