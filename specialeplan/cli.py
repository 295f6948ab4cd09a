"""Command line: a thin wrapper around :mod:`specialeplan.api`.

Exit codes: 0 ok, 1 check found violations, 2 bad input (data/scenario/solver), 3 infeasible.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from specialeplan import __version__
from specialeplan.errors import InfeasibleError, SpecialeplanError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Placement of specialfunktioner for the Danish national specialeplan.")
console = Console()
err_console = Console(stderr=True)


def fail(exc: Exception, code: int = 2) -> None:
    """Print an error without a traceback and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False,
                      soft_wrap=True)
    raise typer.Exit(code)


def _register_data_app() -> None:
    try:
        from specialeplan.cli_data import data_app
    except ImportError:  # pragma: no cover - only while the data commands are being built
        return
    app.add_typer(data_app, name="data", help="Look at the bundled dataset.")


_register_data_app()


@app.command()
def version() -> None:
    """Print the package and solver versions."""
    from specialeplan.solvers.highs import highs_version

    console.print(f"specialeplan {__version__} (HiGHS {highs_version()})")


def _kpi_table(kpis: dict) -> Table:
    table = Table(title="Result", show_header=False)
    for key in ("status", "objective", "best_bound", "mip_gap", "specialfunktioner",
                "raadgivningsfunktioner", "total_demand", "total_unmet", "reach_shortfalls",
                "outreach_borgerforloeb", "near_family_borgerforloeb", "moved_borgerforloeb",
                "dropped_designations", "share_outside_home_municipality",
                "mean_travel_minutes", "max_travel_minutes", "build_seconds",
                "solve_seconds", "total_seconds"):
        if key in kpis and kpis[key] is not None:
            v = kpis[key]
            table.add_row(key, f"{v:,.4g}" if isinstance(v, float) else str(v))
    if kpis.get("keep_today_not_kept"):  # kept owners' designations that break the rules
        table.add_row("keep_today_not_kept", f"{len(kpis['keep_today_not_kept'])} (see "
                      "kpis.json)")
    return table


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    out: Annotated[Path, typer.Option(help="results root; writes OUT/<scenario name>/")] = Path(
        "results"),
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a scenario key, e.g. --set solver.time_limit=60")] = None,
    quiet: Annotated[bool, typer.Option(help="do not stream the solver log")] = False,
    check: Annotated[bool, typer.Option(help="verify the written folder with the checker")] = True,
    excel: Annotated[bool, typer.Option(help="also write results.xlsx")] = True,
    maps: Annotated[bool, typer.Option(help="also draw maps/<speciale>.png")] = False,
) -> None:
    """Solve a scenario and write its results folder."""
    from specialeplan.api import Built
    from specialeplan.api import run as run_scenario
    from specialeplan.results import write_results
    from specialeplan.scenarios.schema import load_scenario

    try:
        resolved = load_scenario(scenario, set_ or [])
        sc = resolved.scenario
        folder = out / sc.name
        folder.mkdir(parents=True, exist_ok=True)
        console.print(f"[bold]{sc.name}[/]: loading dataset {sc.dataset!r}")

        def announce(built: Built) -> None:
            sizes = ", ".join(f"{k} {v:,}" for k, v in built.data.sizes.items())
            console.print(f"built model in {built.build_seconds:.1f} s ({sizes}); solving "
                          f"(time limit {sc.solver.time_limit} s, gap "
                          f"{sc.solver.mip_rel_gap:.2%}; Ctrl-C stops and keeps the best "
                          "solution)")

        try:
            outcome = run_scenario(resolved, verbose=not quiet,
                                   log_file=str(folder / "solver.log"), on_built=announce)
        except InfeasibleError as exc:
            if exc.diagnosis is not None:
                exc.diagnosis.table.to_csv(folder / "infeasibility.csv", index=False)
            err_console.print(f"[bold red]infeasible:[/] {escape(str(exc))}\n(details in "
                              f"{folder / 'infeasibility.csv'})", highlight=False)
            raise typer.Exit(3) from None
        write_results(outcome, resolved, folder, excel=excel)
    except SpecialeplanError as exc:
        fail(exc)
        return
    kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    console.print(_kpi_table(kpis))
    if outcome.solution is None:
        err_console.print(f"[bold red]no solution[/] (status {outcome.result.status})")
        raise typer.Exit(1)
    console.print(f"results written to [bold]{folder}[/]")
    if maps:
        from specialeplan.maps import write_maps

        console.print(f"drew {len(write_maps(folder))} map(s) in {folder / 'maps'}")
    if check:
        _run_check(folder)


def _run_check(folder: Path) -> None:
    from specialeplan.checker import check_results

    try:
        report = check_results(folder)
    except SpecialeplanError as exc:
        fail(exc)
        return
    if report.ok:
        console.print(f"[green]check passed[/]: {report.n_checks:,} checks, objective "
                      f"{report.objective_recomputed:,.6g} recomputed from the files")
        return
    err_console.print(report.to_text(), highlight=False, markup=False)
    raise typer.Exit(1)


@app.command()
def check(folder: Annotated[Path, typer.Argument(help="a results folder")]) -> None:
    """Re-verify a results folder from its files only (independent of the model)."""
    _run_check(folder)


@app.command(name="map")
def map_(
    folder: Annotated[Path, typer.Argument(help="a results folder")],
    speciale: Annotated[list[str] | None, typer.Option(help="only these specialer")] = None,
) -> None:
    """Draw maps/<speciale>.png for a results folder (placements and travel)."""
    from specialeplan.maps import write_maps

    try:
        paths = write_maps(folder, speciale or None)
    except SpecialeplanError as exc:
        fail(exc)
        return
    console.print(f"wrote {len(paths)} map(s) to {folder / 'maps'}")


class ClassicKind(StrEnum):
    """The textbook problems ``specialeplan classic`` reads."""

    cflp = "cflp"
    pmedian = "pmedian"


@app.command()
def classic(
    kind: Annotated[ClassicKind, typer.Argument(help="cflp (OR-Library cap*) or pmedian (pmed*)")],
    file: Annotated[Path, typer.Argument(help="OR-Library instance file")],
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    solver: Annotated[str, typer.Option(help="highs or highs-direct")] = "highs",
    time_limit: Annotated[float, typer.Option(help="seconds")] = 600.0,
) -> None:
    """Solve a textbook instance through the placement model (regression reference)."""
    from specialeplan.classic import solve_classic_file
    from specialeplan.solvers.base import SolverOptions

    try:
        options = SolverOptions(name=solver, time_limit=time_limit, mip_rel_gap=0.0)
        record = solve_classic_file(kind.value, file, options)
    except SpecialeplanError as exc:
        fail(exc)
        return
    if as_json:
        print(json.dumps(record))
        return
    table = Table(title=f"{kind.value} {file.name}", show_header=False)
    for key, value in record.items():
        if key != "open":
            table.add_row(key, f"{value:,.6g}" if isinstance(value, float) else str(value))
    console.print(table)


def main() -> None:
    """Entry point of the ``specialeplan`` command."""
    try:
        app()
    except KeyboardInterrupt:  # outside a solve; HiGHS handles Ctrl-C inside one
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
