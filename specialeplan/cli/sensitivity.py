"""Commands that compare plans: ``sweep``, ``compare`` and ``frontier``.

Thin wrappers around :mod:`specialeplan.analyses.sweep`, :mod:`specialeplan.analyses.compare`
and :mod:`specialeplan.analyses.frontier`. Exit codes as for ``run``: 0 ok, 1 a run of the
sweep failed with an error (not an infeasible or unsolved scenario: those are results), 2
bad input, 130 interrupted (what was complete is written; ``--resume`` finishes it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.markup import escape
from rich.table import Table

from specialeplan.cli.common import app, console, fail, table_console
from specialeplan.errors import SpecialeplanError

if TYPE_CHECKING:
    import pandas as pd
    from rich.progress import Progress

    from specialeplan.analyses.compare import Comparison
    from specialeplan.analyses.sweep import RunResult, Sweep, SweepProgress, SweepRun

#: what the sweep engines tell a progress display: kind, counters, run, its result
OnEvent = Callable[[str, "SweepProgress", "SweepRun | None", "RunResult | None"], None]


def fmt(v: object) -> str:
    """A table cell: ``–`` for a missing value, floats to 6 significant digits."""
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    if isinstance(v, float):
        return f"{v:,.6g}"
    return str(v)


def _interrupted(exc: Exception) -> NoReturn:
    """A sweep stopped by Ctrl-C or SIGTERM: what was complete is written (exit 130)."""
    fail(f"[bold yellow]{escape(str(exc))}[/]", 130, markup=True)


@app.command()
def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="sweep YAML file")],
    out: Annotated[Path, typer.Option(help="results root; writes OUT/<sweep name>/")] = Path(
        "results"),
    workers: Annotated[int | None, typer.Option(
        help="run on a local Dask cluster of N one-core worker processes")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786")] = None,
    resume: Annotated[bool, typer.Option(
        help="keep the runs already complete (same scenario and data) and run the rest")
    ] = False,
    overwrite: Annotated[bool, typer.Option(
        help="redo every run (each old folder is replaced once its new run is complete)")
    ] = False,
    pareto: Annotated[tuple[str, str] | None, typer.Option(
        help="two summary columns to minimise, e.g. --pareto designations "
        "mean_travel_minutes: flags the non-dominated runs and draws pareto.png")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a scenario key in every run, e.g. --set solver.time_limit=30")
    ] = None,
    necessity: Annotated[bool, typer.Option(
        help="also the robust core: which designations every run keeps and needs within "
        "--slack of its own bound (core.csv)")] = False,
    slack: Annotated[str, typer.Option(
        help="--necessity: how far above each run's proven bound a plan may cost, e.g. 2%")
    ] = "2%",
    case_time_limit: Annotated[float, typer.Option(
        help="--necessity: seconds for each designation a bound cannot settle")] = 20.0,
) -> None:
    """Run every scenario of a sweep file; summary in OUT/<name>/summary.csv.

    Each run writes its own results folder OUT/<name>/runs/<run>/ atomically; a run that is
    infeasible or fails is a row of the summary with its reason. Ctrl-C or SIGTERM stops
    after writing what is complete; --resume finishes the sweep.
    """
    from specialeplan.analyses.alternatives import parse_slack
    from specialeplan.analyses.sweep import SweepInterrupted, load_sweep, run_sweep
    from specialeplan.analyses.sweep_exec import check_cluster_options

    t0 = time.perf_counter()
    try:
        share = parse_slack(slack)
        if case_time_limit <= 0:
            raise SpecialeplanError(f"--case-time-limit must be above 0, got "
                                    f"{case_time_limit:g}")
        check_cluster_options(workers, scheduler)  # cheap checks before any work
        console.print(f"reading {sweep_file} and resolving its runs …", highlight=False)
        spec = load_sweep(sweep_file, set_ or [], progress=_every_few_seconds(t0))
    except SpecialeplanError as exc:
        fail(exc)
    mode = (f"Dask scheduler {scheduler}" if scheduler else
            f"local Dask cluster of {workers} worker(s)" if workers else "sequentially")
    n_reuse = sum(r.parent is not None for r in spec.runs)
    console.print(f"[bold]{spec.name}[/]: {len(spec.runs)} runs of {spec.scenario_path.name} "
                  f"({mode}; {n_reuse} re-use an earlier run's plan and bound)",
                  highlight=False)
    progress, on_event = _sweep_progress(len(spec.runs))
    try:
        with progress:
            table = run_sweep(spec, out, workers=workers, scheduler=scheduler, resume=resume,
                              overwrite=overwrite, pareto=pareto, on_event=on_event)
    except SweepInterrupted as exc:
        _interrupted(exc)
    except SpecialeplanError as exc:
        fail(exc)
    if necessity:
        _core(out / spec.name, share, case_time_limit)
    _sweep_done(spec, table, out, seconds=time.perf_counter() - t0, pareto=pareto)


def _core(root: Path, slack: float, case_time_limit: float) -> None:
    """The robust core of the sweep in ``root`` (core.csv), with a line per run."""
    from specialeplan.analyses.robust_core import CORE, sweep_core
    from specialeplan.solvers.base import interrupt_requested, interruptible

    console.print(f"robust core: the designations every run needs within {slack:.2%} of its "
                  "bound …", highlight=False)
    with interruptible():
        table = sweep_core(root, slack, case_time_limit=case_time_limit, on_progress=lambda
                           run, i, n: console.print(f"  {i}/{n} {escape(run)}",
                                                    highlight=False))
        if interrupt_requested():
            _interrupted(SpecialeplanError(
                f"interrupted: {root / CORE} holds the runs classified so far; run the sweep "
                "again with --resume --necessity for all"))
    counts = table["class"].value_counts().to_dict() if len(table) else {}
    console.print("robust core: " + (", ".join(f"{k} {v}" for k, v in counts.items())
                                     or "no designations") + f" ({root / CORE})",
                  highlight=False)


def _every_few_seconds(t0: float, every: float = 2.0) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` that prints a plain line at most every ``every`` seconds
    (readable in a terminal and in a log file alike)."""
    last = [time.perf_counter()]

    def say(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= every or (done == total and now - t0 >= every):
            last[0] = now
            console.print(f"  resolved {done:,} of {total:,} runs ({now - t0:.0f} s)",
                          highlight=False)
    return say


def _sweep_progress(total: int) -> tuple[Progress, OnEvent]:
    """A progress bar of the sweep's runs, and the ``on_event`` that moves it and prints a
    line per finished run."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TextColumn("{task.fields[status]}"),
                        TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                        console=console, transient=False)
    task = progress.add_task("runs", total=total, status="")

    def on_event(kind: str, p: SweepProgress, run: SweepRun | None,
                 result: RunResult | None) -> None:
        status = (f"done {p.done - p.failed} · failed {p.failed} · running {p.running}"
                  + (f" · kept {p.skipped}" if p.skipped else ""))
        progress.update(task, completed=p.done, status=status)
        if kind == "done" and run is not None and result is not None:
            word = {"optimal": "green", "time_limit": "yellow", "feasible": "yellow"}.get(
                result.status, "red")
            extra = f" (re-used {result.reused_from})" if result.reused_from else ""
            reason = f": {result.reason}" if result.reason and word == "red" else ""
            progress.console.print(f"  {escape(run.name)}: [{word}]{result.status}[/]"
                                   f"{escape(reason)} in {result.seconds:.1f} s{extra}",
                                   highlight=False)

    return progress, on_event


def _sweep_done(spec: Sweep, table: pd.DataFrame, out: Path, *, seconds: float,
                pareto: tuple[str, str] | None) -> None:
    """The summary table and where the files are; exit 1 when a run failed with an error."""
    root = out / spec.name
    _print_summary(table)
    errors = int((table["status"] == "error").sum()) if "status" in table else 0
    console.print(f"summary: [bold]{root / 'summary.csv'}[/] ({len(table)} runs, "
                  f"{seconds:.0f} s); stability: {root / 'stability.csv'}"
                  + (f"; Pareto front: {root / 'pareto.png'}" if pareto else ""),
                  highlight=False)
    if errors:
        fail(f"{errors} run(s) failed with an error (see the reason column)", 1)


def _print_summary(table: pd.DataFrame) -> None:
    if table.empty:
        return
    cols = [c for c in ("run", "status", "objective", "gap", "designations",
                        "mean_travel_minutes", "p95_travel_minutes", "total_unmet",
                        "changes_from_today", "reused_from", "seconds") if c in table]
    t = Table(title="Sweep summary")
    for c in cols:
        t.add_column(c, justify="left" if c in ("run", "status", "reused_from") else "right")
    for _, r in table.head(40).iterrows():
        t.add_row(*(escape(fmt(r[c])) for c in cols))
    if len(table) > 40:
        t.caption = f"first 40 of {len(table)} runs; all in summary.csv"
    table_console().print(t)


@app.command()
def compare(
    folders: Annotated[list[Path], typer.Argument(
        help="two or more results folders; each after the first is compared with the first")],
    out: Annotated[Path | None, typer.Option(
        help="also write the tables to a .csv, .xlsx or .json file")] = None,
    top: Annotated[int, typer.Option(
        help="how many municipalities with the largest change in mean travel")] = 10,
    verify: Annotated[bool, typer.Option(
        help="refuse a results folder that the independent check rejects")] = True,
) -> None:
    """Compare results folders: KPI and term deltas, specialfunktioner, travel.

    Each folder after the first is compared with the first: KPI and objective-term deltas
    (a difference within the two runs' combined optimality gap is flagged "not significant
    at this gap"), the specialfunktioner added, removed and kept per speciale with names, and
    the municipalities whose mean travel changes most.
    """
    from specialeplan.analyses.compare import check_out, compare_many, write_comparison

    try:
        if out is not None:
            check_out(out)  # before the comparison is printed, not after
        comps = compare_many(list(folders), top=top, verify=verify)
    except SpecialeplanError as exc:
        fail(exc)
    for c in comps:
        _print_comparison(c)
    if out is not None:
        try:
            write_comparison(comps, out)
        except (SpecialeplanError, OSError) as exc:
            fail(exc)
        console.print(f"wrote {out}")


def _print_comparison(c: Comparison) -> None:
    con = table_console()
    gap = "unknown" if c.combined_gap is None else f"{c.combined_gap:,.6g}"
    con.print(f"[bold]{escape(c.label_b)}[/] ({c.status_b}) against [bold]"
              f"{escape(c.label_a)}[/] ({c.status_a}); combined absolute gap {gap}",
              highlight=False)
    con.print(_kpi_deltas(c))
    con.print(_designation_changes(c))
    if len(c.municipalities):
        con.print(_travel_changes(c))


def _kpi_deltas(c: Comparison) -> Table:
    import pandas as pd

    from specialeplan.analyses.compare import NOT_SIGNIFICANT, SIGNIFICANT

    t = Table(title="KPIs and objective terms (Δ = B − A)")
    for col in ("metric", "A", "B", "Δ", "Δ %", "significance"):
        t.add_column(col, justify="left" if col in ("metric", "significance") else "right")
    colour = {NOT_SIGNIFICANT: "yellow", SIGNIFICANT: "green"}
    for _, r in c.kpis.iterrows():
        if pd.isna(r["a"]) and pd.isna(r["b"]):
            continue
        fl = r["flag"] if isinstance(r["flag"], str) else ""
        pct = "" if pd.isna(r["delta_pct"]) else f"{100 * r['delta_pct']:+.2f} %"
        t.add_row(str(r["metric"]), fmt(r["a"]), fmt(r["b"]),
                  "" if pd.isna(r["delta"]) else f"{r['delta']:+,.6g}", pct,
                  f"[{colour.get(fl, 'dim')}]{fl}[/]" if fl else "")
    return t


def _designation_changes(c: Comparison) -> Table:
    t = Table(title="Specialfunktioner per speciale")
    for col in ("function", "added", "removed", "kept"):
        t.add_column(col)
    for s, grp in c.designations.groupby("function", sort=True):
        def names(change: str, grp: Any = grp) -> str:
            g = grp[grp["change"] == change]
            return "\n".join(f"{p} {n} ({m})" for p, n, m in zip(
                g["provider_id"], g["provider_name"], g["municipality_name"], strict=True))
        t.add_row(str(s), escape(names("added")), escape(names("removed")),
                  str(int((grp["change"] == "kept").sum())))
    return t


def _travel_changes(c: Comparison) -> Table:
    import pandas as pd

    t = Table(title="Municipalities whose mean family travel changes most (minutes)")
    for col in ("municipality", "A", "B", "Δ"):
        t.add_column(col, justify="left" if col == "municipality" else "right")
    for _, r in c.municipalities.iterrows():
        change = (f"{r['delta']:+.1f}" if r["served_in"] == "both" else
                  "not served in B" if r["served_in"] == "A only" else "not served in A")
        t.add_row(f"{r['municipality_name']} ({r['municipality_code']})",
                  *(("–" if pd.isna(v) else f"{v:.1f}") for v in
                    (r["mean_travel_a"], r["mean_travel_b"])), change)
    return t


@app.command()
def frontier(
    scenario: Annotated[str, typer.Argument(help="scenario YAML file or bundled name")],
    bound: Annotated[str, typer.Option(
        help="the criterion to bound: an objective term by its raw value (travel, "
        "designation, equity, ...) or a count: designations (specialfunktioner) / "
        "advisory_designations (rådgivningsfunktioner)")],
    minimise: Annotated[str, typer.Option(
        help="'objective' (the scenario's objective without the bounded term) or a term")
    ] = "objective",
    steps: Annotated[int, typer.Option(help="number of points on the front")] = 5,
    out: Annotated[Path, typer.Option(help="results root")] = Path("results"),
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a scenario key, e.g. --set solver.time_limit=60")] = None,
    workers: Annotated[int | None, typer.Option(help="local Dask cluster of N workers")
                       ] = None,
    scheduler: Annotated[str | None, typer.Option(help="an existing Dask scheduler")] = None,
    resume: Annotated[bool, typer.Option(help="keep the points already complete")] = False,
    overwrite: Annotated[bool, typer.Option(help="redo every point")] = False,
    reuse: Annotated[bool, typer.Option(
        help="solve each point from the previous point's plan and bound")] = True,
) -> None:
    """Trade-off front by the epsilon-constraint method (PNG plot and CSV).

    Minimises one criterion with the other bounded, at --steps limits from its value at the
    best plan down to its minimum.

    Writes OUT/<scenario>.frontier.<minimise>-vs-<bound>/frontier.csv and frontier.png (and
    a results folder per point). Example: --bound designations (cost of the plan against
    the number of specialfunktioner) or --bound equity (total against the worst-off
    municipalities' travel).
    """
    from specialeplan.analyses.frontier import UNITS, run_frontier
    from specialeplan.analyses.sweep import SweepInterrupted

    def on_event(kind: str, p: SweepProgress, run: SweepRun | None,
                 result: RunResult | None) -> None:
        if kind == "done" and run is not None and result is not None:
            console.print(f"  {escape(run.name)}: {result.status} in {result.seconds:.1f} s",
                          highlight=False)

    console.print(f"frontier of {escape(scenario)}: minimise {minimise}, bound {bound} "
                  f"({steps} steps; first the two ends)", highlight=False)
    try:
        table = run_frontier(scenario, bound=bound, minimise=minimise, steps=steps, out=out,
                             overrides=set_ or [], reuse=reuse, workers=workers,
                             scheduler=scheduler, resume=resume, overwrite=overwrite,
                             on_event=on_event)
    except SweepInterrupted as exc:
        _interrupted(exc)
    except SpecialeplanError as exc:
        fail(exc)
    columns = ("point", "limit", bound, minimise, "status", "gap", "non_dominated")
    t = Table(title=f"Front: minimise {minimise}, {bound} ({UNITS.get(bound, '')}) bounded")
    for c in columns:
        t.add_column(c, justify="left" if c in ("point", "status") else "right")
    for _, r in table.iterrows():
        t.add_row(*(escape(fmt(r[c])) for c in columns))
    console.print(t)
    folder = Path(out) / str(table.attrs.get("name", ""))
    console.print(f"wrote frontier.csv and frontier.png in {folder}", highlight=False)
