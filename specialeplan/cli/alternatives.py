"""The ``alternatives`` command: the best plan and near-optimal alternatives to it.

A thin wrapper around :mod:`specialeplan.analyses.alternatives` (and
:mod:`specialeplan.analyses.necessity` with ``--necessity``). Exit codes as for ``sweep``: 0
ok, 2 bad input, 130 interrupted (the plans finished are kept; ``--resume`` goes on).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from specialeplan.cli.common import app, console, fail, table_console, warn
from specialeplan.cli.sensitivity import fmt
from specialeplan.errors import InfeasibleError, SpecialeplanError

if TYPE_CHECKING:
    from specialeplan.analyses.alternatives import AlternativesResult


@app.command()
def alternatives(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    slack: Annotated[str, typer.Option(
        help="how far above the best plan's proven bound an alternative may cost, e.g. 2% "
        "or 0.02")] = "2%",
    count: Annotated[int, typer.Option(help="how many alternatives to look for")] = 5,
    out: Annotated[Path, typer.Option(
        help="results root; writes OUT/<scenario name>_alternatives/")] = Path("results"),
    time_limit: Annotated[float | None, typer.Option(
        help="seconds for each plan (default: the scenario's solver.time_limit)")] = None,
    necessity: Annotated[bool, typer.Option(
        help="also classify every designation of the best plan as needed or replaceable "
        "within the slack, and every other provider (necessity.csv)")] = False,
    candidates: Annotated[bool, typer.Option(
        help="--necessity: also classify every provider and type the best plan does not "
        "designate (possible/never); --no-candidates: its designations only (faster: most "
        "cases are candidates)")] = True,
    case_time_limit: Annotated[float, typer.Option(
        help="--necessity: seconds for each designation or provider a bound cannot "
        "settle")] = 20.0,
    workers: Annotated[int | None, typer.Option(
        help="--necessity: solve on a local Dask cluster of N one-core worker processes")
    ] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="--necessity: solve on an existing Dask cluster, e.g. tcp://10.0.0.5:8786")
    ] = None,
    resume: Annotated[bool, typer.Option(
        help="keep the plans already found (same scenario and slack) and go on")] = False,
    overwrite: Annotated[bool, typer.Option(help="start the search again")] = False,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a scenario key, e.g. --set solver.time_limit=60")] = None,
) -> None:
    """Find the best plan and up to COUNT plans that cost at most SLACK above its proven
    bound, each as different as possible from those before (modelling to generate
    alternatives).

    Each plan is a checked results folder OUT/<name>_alternatives/runs/<plan>/;
    alternatives.csv compares them (cost, % above the bound, designations added and
    removed, family travel, outreach, moves). Ctrl-C keeps the plans finished so far;
    --resume goes on from them.
    """
    from specialeplan.analyses.alternatives import AlternativesInterrupted, run_alternatives
    from specialeplan.scenarios.schema import load_scenario

    t0 = time.perf_counter()
    try:
        share = _checked(slack, count, case_time_limit, workers, scheduler)
        resolved = load_scenario(scenario, set_ or [])
        console.print(f"[bold]{resolved.scenario.name}[/]: the best plan and up to {count} "
                      f"alternatives within {share:.2%} of its proven bound", highlight=False)
        result = run_alternatives(resolved, out, slack=share, count=count,
                                  time_limit=time_limit, resume=resume, overwrite=overwrite,
                                  on_event=_say)
        if necessity:
            _necessity(result, case_time_limit, workers, scheduler, candidates)
    except AlternativesInterrupted as exc:
        fail(f"[bold yellow]{escape(str(exc))}[/]", 130, markup=True)
    except InfeasibleError as exc:
        fail(f"[bold red]infeasible:[/] {escape(str(exc))}", 3, markup=True)
    except SpecialeplanError as exc:
        fail(exc)
    except KeyboardInterrupt:  # a second Ctrl-C / SIGTERM: stop at once
        fail("[bold yellow]interrupted again[/]: stopped at once; the plans finished before "
             "are kept (--resume goes on)", 130, markup=True)
    _report(result, time.perf_counter() - t0)


def _checked(slack: str, count: int, case_time_limit: float, workers: int | None,
             scheduler: str | None) -> float:
    """The options checked before any work; returns the slack as a share."""
    from specialeplan.analyses.alternatives import parse_slack
    from specialeplan.analyses.sweep_exec import check_cluster_options

    share = parse_slack(slack)
    check_cluster_options(workers, scheduler)
    if count < 0:
        raise SpecialeplanError(f"--count must be 0 or more, got {count}")
    if case_time_limit <= 0:
        raise SpecialeplanError(f"--case-time-limit must be above 0, got {case_time_limit:g}")
    return share


def _necessity(result: AlternativesResult, case_time_limit: float, workers: int | None,
               scheduler: str | None, candidates: bool) -> None:
    """necessity.csv and its maps (a map that cannot be drawn is a warning)."""
    from specialeplan.analyses.alternatives import AlternativesInterrupted
    from specialeplan.analyses.necessity import run_necessity
    from specialeplan.solvers.base import interrupt_requested

    console.print("necessity: which designations every plan within the slack shares …",
                  highlight=False)
    result.necessity = run_necessity(result, case_time_limit=case_time_limit,
                                     workers=workers, scheduler=scheduler,
                                     candidates=candidates, on_progress=_progress)
    if interrupt_requested():
        raise AlternativesInterrupted(
            f"interrupted: the plans are complete in {result.folder}; necessity.csv holds "
            "the cases settled so far (the rest undecided)")
    try:
        from specialeplan.maps.interactive import write_necessity_html
        from specialeplan.maps.static import write_necessity_maps

        drawn = write_necessity_maps(result.folder) + write_necessity_html(result.folder)
        result.notes.append(f"maps: {len(drawn)} files in {result.folder / 'maps'}")
    except Exception as exc:  # noqa: BLE001 - a map is no reason to lose a result
        warn(f"could not draw the necessity maps: {exc}")


def _say(kind: str, plan: str, info: dict[str, Any]) -> None:
    if kind == "start":
        console.print(f"  {plan}: solving …", highlight=False)
    elif kind == "skip":
        console.print(f"  {plan}: kept from the earlier search", highlight=False)
    elif kind == "done":
        word = "[green]check passed[/]" if info.get("check_ok") else "[red]check failed[/]"
        console.print(f"  {plan}: done, {word}", highlight=False)
    elif kind == "stop":
        console.print(f"  [yellow]stopped:[/] {escape(str(info.get('reason')))}",
                      highlight=False)


def _progress(done: int, total: int, text: str) -> None:
    console.print(f"  {done}/{total} {escape(text)}", highlight=False)


def _report(result: AlternativesResult, seconds: float) -> None:
    table = Table(title=f"plans within {result.cap / result.bound - 1:.2%} of the best plan's "
                  f"proven bound {result.bound:,.6g} (cost in the objective's unit; differs: "
                  "from the nearest earlier plan; travel: mean family travel, physical)",
                  title_justify="left")
    cols = {"plan": "plan", "objective": "cost", "above_bound_pct": "above bound",
            "designations": "designations", "added": "added", "removed": "removed",
            "difference_to_nearest_pct": "differs", "mean_travel_minutes_physical":
            "travel min", "outreach_share": "outreach", "moved_cases": "moved",
            "check": "check"}
    percent = {"above_bound_pct": 1.0, "difference_to_nearest_pct": 1.0,
               "outreach_share": 100.0}
    result.table["mean_travel_minutes_physical"] = result.table[
        "mean_travel_minutes_physical"].astype(float).round(1)
    for c, head in cols.items():
        table.add_column(head, justify="left" if c in ("plan", "check") else "right")
    for _, row in result.table.iterrows():
        table.add_row(*(f"{row[c] * percent[c]:.1f} %" if c in percent and row[c] == row[c]
                        and row[c] is not None else fmt(row[c]) for c in cols))
    table_console().print(table)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    if result.stopped:
        console.print(f"[yellow]fewer plans than asked:[/] {escape(result.stopped)}",
                      highlight=False)
    files = f"{result.folder / 'alternatives.csv'}"
    if result.necessity is not None:
        counts = result.necessity["necessity"].value_counts().to_dict()
        console.print("necessity: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
                      highlight=False)
        files += f", {result.folder / 'necessity.csv'}"
    console.print(f"written: [bold]{escape(files)}[/] ({seconds:.0f} s)", highlight=False)
