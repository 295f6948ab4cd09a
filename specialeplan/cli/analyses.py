"""Commands for the planner analyses: ``rollout`` (phased rollout to 2030),
``vulnerability`` (N-1: what if a specialfunktion closes?) and ``capacity`` (the national
capacity overview of a plan). Thin wrappers around :mod:`specialeplan.analyses.rollout`,
:mod:`specialeplan.analyses.vulnerability` and :mod:`specialeplan.analyses.capacity`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from specialeplan.cli.common import app, console, fail
from specialeplan.errors import SpecialeplanError

if TYPE_CHECKING:
    import pandas as pd

    from specialeplan.analyses.rollout import RolloutOutcome
    from specialeplan.analyses.vulnerability import Analysis


@app.command()
def rollout(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file with a rollout: section")],
    out: Annotated[Path, typer.Option(help="results root; writes OUT/<scenario name>/<year>/")
                   ] = Path("results"),
    from_: Annotated[Path | None, typer.Option(
        "--from", help="take the first wave from this results folder instead of solving it")
    ] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a scenario key, e.g. --set solver.time_limit=60")] = None,
    overwrite: Annotated[bool, typer.Option(
        help="replace an earlier rollout in OUT/<name>/ (each folder once its new plan is "
             "complete)")] = False,
    compare: Annotated[bool, typer.Option(
        help="also plan all specialer at once (final year's demand): the price of phasing")
    ] = True,
    compare_time_limit: Annotated[float | None, typer.Option(
        help="seconds for the all-at-once plan (default: solver.time_limit)")] = None,
    verbose: Annotated[bool, typer.Option(help="stream the solver log")] = False,
    check: Annotated[bool, typer.Option(help="verify every written folder")] = True,
    excel: Annotated[bool, typer.Option(help="also write results.xlsx and rollout.xlsx")
                     ] = True,
    maps: Annotated[bool, typer.Option(help="also draw maps/<speciale>.png per wave")] = False,
    verify: Annotated[bool, typer.Option(
        help="refuse a --from folder that the independent check rejects")] = True,
) -> None:
    """Plan a phased rollout (the scenario's rollout: waves) wave by wave.

    Each year's plan covers every speciale rolled out so far on that year's demand, with
    the earlier waves' specialfunktioner, rådgivning duties and borgerforløb fixed. Writes
    OUT/<name>/<year>/ per wave, all_at_once/, timeline.csv, rollout.json and rollout.xlsx,
    and prints the price of phasing (phased vs all specialer at once, with both gaps).
    """
    from specialeplan.analyses.rollout import run_rollout
    from specialeplan.scenarios.schema import load_scenario
    from specialeplan.solvers.base import interruptible
    from specialeplan.solvers.registry import check_solver_options

    try:
        resolved = load_scenario(scenario, set_ or [])
        check_solver_options(resolved.scenario.solver)
        with interruptible():
            result = run_rollout(resolved, out, from_dir=from_, overwrite=overwrite,
                                 compare=compare, compare_time_limit=compare_time_limit,
                                 excel=excel, maps=maps, check=check,
                                 progress=lambda m: console.print(m, highlight=False),
                                 verbose=verbose, verify=verify)
    except SpecialeplanError as exc:  # exit code by kind: 4 not written, 1 worker died
        fail(exc)
    except KeyboardInterrupt:
        fail("interrupted again: stopped at once", 130, markup=True)
    _report_rollout(result, resolved.scenario.name)


def _report_rollout(result: RolloutOutcome, name: str) -> None:
    """The timeline per year and the price of phasing; exit 3 (a wave infeasible), 130
    (interrupted), 1 (stopped otherwise, or a check failed)."""
    from specialeplan.analyses.rollout import notice_lines, phasing_sentence
    from specialeplan.analyses.units import objective_unit

    table = Table(title=f"Rollout {name}", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("year", "spec.", "sf", "rf", "demand", "unmet", "moved", "travel", "cost",
                "gap"):
        table.add_column(col, justify="right", no_wrap=True,
                         min_width={"cost": 9, "demand": 6, "gap": 6}.get(col, 3))
    tl = result.timeline
    for w in result.waves:
        rows = tl[tl["year"] == w.year]
        moved = rows["moved_cases"].sum() if "moved_cases" in rows else 0.0
        table.add_row(str(w.year), str(len(w.planned)), f"{rows['designations'].sum():,}",
                      f"{rows['advisory_designations'].sum():,}",
                      f"{rows['demand'].sum():,.0f}", f"{rows['unmet'].sum():,.1f}",
                      f"{moved:,.1f}", _mean_travel(rows), f"{rows['cost'].sum():,.0f}",
                      f"{w.mip_gap:.2%}" if w.mip_gap is not None else w.status)
    console.print(table)
    unit = objective_unit(result.waves[-1].kpis if result.waves else None)
    console.print("spec.: specialer planned; sf/rf: specialfunktioner/rådgivningsfunktioner; "
                  "unmet: borgerforløb; moved: borgerforløb of today's caseload moved; "
                  "travel: mean family travel per borgerforløb (minutes); "
                  f"cost: the year's objective ({unit})", style="dim", highlight=False)
    for line in notice_lines(tl, result.notice_weeks):
        console.print(line, highlight=False)
    if "places_built" in tl and tl["places_built_total"].sum() > 0:
        built = tl.groupby("year")[["places_built", "investment_dkk"]].sum()
        console.print("capacity built (places, mio kr of investment; they stay in the later "
                      "years): " + ", ".join(
                          f"{y}: {r.places_built:,.0f} ({r.investment_dkk / 1e6:,.1f})"
                          for y, r in built.iterrows()), highlight=False)
    if result.phasing:
        console.print(phasing_sentence(result.phasing), highlight=False)
    console.print(f"rollout written to [bold]{escape(str(result.root))}[/] (timeline.csv, "
                  "rollout.json, one folder per year)")
    if result.stopped:
        code = 3 if "infeasible" in result.stopped else (130 if "interrupt" in result.stopped
                                                         else 1)
        fail(f"[bold red]rollout stopped[/]: {escape(result.stopped)}", code, markup=True)
    if not all(result.checks.values()):
        fail("[bold red]check failed[/] for " + ", ".join(
            k for k, ok in result.checks.items() if not ok), 1, markup=True)


def _mean_travel(rows: pd.DataFrame) -> str:
    served = rows["served"].sum()
    if served <= 0:
        return "-"
    minutes = (rows["mean_travel_minutes"].fillna(0.0) * rows["served"]).sum()
    return f"{minutes / served:.1f}"


@app.command()
def capacity(
    folder: Annotated[Path, typer.Argument(help="a results folder (specialeplan run)")],
    out: Annotated[Path | None, typer.Option(
        help="also write the overview to a .csv or .xlsx file")] = None,
    verify: Annotated[bool, typer.Option(
        help="refuse a results folder that the independent check rejects")] = True,
    close_gaps: Annotated[bool, typer.Option(
        "--close-gaps", help="for a plan of model.mode 'applications': solve the cheapest "
        "closure of its gaps (its needed applications approved; påbud, the scenario's "
        "expansions and new sites allowed) into <folder>_closure and show what closes "
        "each gap")] = False,
    time_limit: Annotated[float | None, typer.Option(
        help="seconds for the closure solve (default: the plan's solver.time_limit)")] = None,
    overwrite: Annotated[bool, typer.Option(
        help="replace an existing <folder>_closure")] = False,
) -> None:
    """National capacity overview of a plan: per type and region, demand, places, use, gap.

    Per specialfunktion type and region (and nationally): the demand of the region's
    citizens, the places of the specialfunktioner located there (expansions built
    included), how full they are, the borgerforløb helped near the family and not served
    (the gap), the expansions that add places, and the shortfall of places against the
    region's own demand. Borgerforløb per year. With --close-gaps (or where
    <folder>_closure exists): what closes each gap, and what stays unmet.
    """
    from specialeplan.analyses.capacity import capacity_overview, check_out, write_overview
    from specialeplan.analyses.gaps import closure_folder

    closure: Path | None = closure_folder(folder)
    try:
        if out is not None:
            check_out(out)
        if close_gaps and not _close(folder, time_limit, overwrite):
            closure = None  # no gap: an earlier closure (of an earlier run) does not apply
        if closure is not None and not closure.is_dir():
            closure = None
        table = capacity_overview(folder, verify=verify, closure=closure)
    except SpecialeplanError as exc:
        fail(exc)
    _print_capacity(table, folder.name)
    if closure is not None:
        _print_closure(closure)
    if out is not None:
        try:
            write_overview(table, out)
        except (SpecialeplanError, OSError) as exc:
            fail(exc)
        console.print(f"wrote {out}")


def _close(folder: Path, time_limit: float | None, overwrite: bool) -> bool:
    """Solve the gap closure of ``folder`` (:func:`specialeplan.analyses.gaps.close_gaps`),
    with the run's progress line and its check; False when the plan has no gap."""
    from specialeplan.analyses.gaps import close_gaps

    with console.status("solving the closure of the gaps (needed applications approved; "
                        "påbud, expansions, new sites allowed) ..."):
        record = close_gaps(folder, time_limit=time_limit, overwrite=overwrite,
                            on_warning=lambda text: console.print(f"[yellow]warning:[/] "
                                                                  f"{escape(text)}"))
    if record is None:
        console.print(f"{escape(folder.name)} has no gap: every borgerforløb is served "
                      "within the rules by the applications; nothing to close")
        return False
    if record.folder is None:
        if record.status == "interrupted":  # Ctrl-C before a solution: exit 130, as run
            fail(f"interrupted before the closure of {folder} had a solution: nothing was "
                 "written (an earlier closure is kept)", 130)
        raise SpecialeplanError(f"the closure of {folder} was not written (status "
                                f"{record.status})")
    res = record.outcome.result
    gap = "–" if res.mip_gap is None else f"{res.mip_gap:.2%}"
    console.print(f"closure written to {record.folder} (status {record.status}, gap {gap}); "
                  f"check {'passed' if record.check_ok else 'FAILED'}")
    if record.check_ok is False:
        raise SpecialeplanError(f"{record.folder}: the independent check rejects the closure")
    return True


def _print_closure(closure: Path) -> None:
    from specialeplan.analyses.gaps import closure_actions

    actions = closure_actions(closure)
    if actions.empty:
        console.print(f"{escape(closure.name)}: no påbud, expansion or new site closes a gap "
                      "at less than its penalty")
        return
    t = Table(title=f"Actions of {escape(closure.name)} (DKK a year: designation cost and the "
              "annuity of the places built)", box=box.SIMPLE, title_justify="left")
    for col in ("action", "type", "places", "borgerforløb", "DKK a year"):
        t.add_column(col, justify="left" if col in ("action", "type") else "right")
    for r in actions.itertuples():
        t.add_row(escape(r.action), escape(r.function), _num(r.places), _num(r.cases),
                  f"{r.annual_cost_dkk:,.0f}")
    console.print(t)


def _print_capacity(table: pd.DataFrame, name: str) -> None:
    from specialeplan.analyses.capacity import NATIONAL

    console.print(f"[bold]Capacity of {escape(name)}[/] (borgerforløb per year; places at "
                  "the designated specialfunktioner, expansions built included)")
    for f, rows in table.groupby("function", sort=False):
        first = rows.iloc[0]
        t = Table(title=f"{f} ({first['target_group']}; {first['speciale']})",
                  box=box.SIMPLE, title_justify="left", caption_justify="left",
                  caption="trans.: today's residents kept by providers not designated "
                          "(transitional.csv); short: demand − places")
        t.add_column("region", no_wrap=True, min_width=11)
        for col in ("demand", "places", "served", "use", "trans.", "unmet", "short"):
            t.add_column(col, justify="right", no_wrap=True)
        t.add_column("built")
        for _, r in rows.iterrows():
            use = "–" if r["utilisation"] != r["utilisation"] else f"{r['utilisation']:.0%}"
            national = r["region"] == NATIONAL
            t.add_row(escape(str(r["region"])), _num(r["demand"]), _num(r["places"]),
                      _num(r["served_designated"]), use, _num(r["transitional"]),
                      _num(r["gap"]), _num(r["shortfall"]),
                      escape(str(r["expansions"])) or "–", style="bold" if national else None)
        console.print(t)
    if "closed_by" in table.columns:
        _print_gaps(table)


def _print_gaps(table: pd.DataFrame) -> None:
    """The gaps (borgerforløb no application serves) and what closes each."""
    from specialeplan.analyses.capacity import NATIONAL

    gaps = table[(table["gap"] > 1e-6) & (table["region"] != NATIONAL)]
    if gaps.empty:
        console.print("no gaps: every borgerforløb is served within the rules")
        return
    t = Table(title="Gaps and what closes them (borgerforløb per year)", box=box.SIMPLE,
              title_justify="left", caption="left: still unmet after the closure",
              caption_justify="left")
    for col in ("type", "region", "gap", "closed by (borgerforløb from the region)", "left"):
        t.add_column(col, justify="right" if col in ("gap", "left") else "left")
    for _, r in gaps.iterrows():
        t.add_row(escape(str(r["function"])), escape(str(r["region"])), _num(r["gap"]),
                  escape(str(r["closed_by"])) or "–", _num(r["gap_after"]))
    console.print(t)


@app.command()
def vulnerability(
    folder: Annotated[Path, typer.Argument(help="a results folder (specialeplan run)")],
    allow_new: Annotated[bool, typer.Option(
        help="let the closed speciale re-plan its designations (a MIP per closure)")] = False,
    provider: Annotated[bool, typer.Option(
        "--provider", help="close whole providers (all their specialer) instead")] = False,
    only: Annotated[list[str] | None, typer.Option(
        help="close only these (PROVIDER or PROVIDER/SPECIALE; repeat the option)")] = None,
    workers: Annotated[int, typer.Option(
        min=1, help="closures solved side by side (processes, one HiGHS thread each)")] = 1,
    backup: Annotated[bool, typer.Option(
        help="also solve the plan with backup coverage switched the other way: its price "
             "and its effect on the ranking")] = False,
    backup_time_limit: Annotated[float | None, typer.Option(
        help="seconds for that plan (default: the run's solver.time_limit)")] = None,
    backup_minutes: Annotated[float | None, typer.Option(
        min=0, help="for that plan: the second specialfunktion within this many minutes "
                    "(default: the scenario's backup_minutes, else the travel cutoff)")
    ] = None,
    out: Annotated[Path | None, typer.Option(
        help="output folder (default: FOLDER_vulnerability[_providers][_allow_new] next to "
             "FOLDER)")] = None,
    overwrite: Annotated[bool, typer.Option(help="replace an earlier analysis")] = False,
    excel: Annotated[bool, typer.Option(help="also write vulnerability.xlsx")] = True,
    maps: Annotated[bool, typer.Option(help="draw maps/<speciale>.png coloured by damage")
                    ] = True,
    top: Annotated[int, typer.Option(help="closures shown on screen")] = 15,
    verify: Annotated[bool, typer.Option(
        help="refuse a results folder that the independent check rejects")] = True,
    reassign_advisory: Annotated[bool, typer.Option(
        "--reassign-advisory/--no-reassign-advisory",
        help="a closed rådgivningsfunktion's duty may pass to another specialfunktion of "
             "its speciale, as a re-tender would (default); --no-reassign-advisory keeps "
             "every other duty as planned, so its municipalities lose rådgivning")] = True,
) -> None:
    """N-1: close each specialfunktion in turn and rank the closures by damage.

    Every other designation stays; the borgerforløb are re-assigned (an LP from the
    previous basis) and a closed rådgivning duty may pass to another specialfunktion of the
    speciale. Damage: unmet borgerforløb, added family travel, municipalities losing
    rådgivning reach, specialfunktioner pushed to capacity, and rules that must give way.
    Writes vulnerability.csv, closure_details.csv (where the displaced borgerforløb go),
    vulnerability.xlsx, summary.json and maps into a new folder next to FOLDER.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from specialeplan.analyses.vulnerability import run_vulnerability
    from specialeplan.solvers.base import interruptible

    bar = Progress("[progress.description]{task.description}", BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                   transient=True)
    task = bar.add_task("closures", total=None)
    try:
        with interruptible(), bar:
            target, analysis, backup_summary = run_vulnerability(
                folder, out=out, allow_new=allow_new, by_provider=provider, only=only,
                workers=workers, backup=backup, backup_time_limit=backup_time_limit,
                backup_minutes=backup_minutes,
                overwrite=overwrite, excel=excel, maps=maps, verify=verify,
                reassign_advisory=reassign_advisory,
                progress=lambda m: console.print(m, highlight=False),
                on_closure=lambda done, total: bar.update(task, completed=done, total=total))
    except SpecialeplanError as exc:  # exit code by kind: 4 not written, 1 worker died
        fail(exc)
    except KeyboardInterrupt:
        fail("interrupted again: stopped at once; nothing was written", 130, markup=True)
    _print_closures(analysis, folder.name, top, _unit(target))
    _print_backup(backup_summary)
    console.print(f"written to [bold]{escape(str(target))}[/]")
    if not analysis.complete:
        fail("[yellow]interrupted[/]: the closures done so far were written", 130, markup=True)


def _unit(target: Path) -> str:
    """The objective unit the analysis recorded (summary.json)."""
    import json

    from specialeplan.analyses.units import objective_unit

    try:
        summary = json.loads((target / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = {}
    return objective_unit(summary if isinstance(summary, dict) else {})


def _num(value: Any, fmt: str = ",.1f") -> str:
    """A number for the screen; '-' for an empty value."""
    return "-" if value is None or value != value else format(value, fmt)


def _first(text: str, n: int = 3) -> str:
    """The first ``n`` items of a '; '-joined list, and how many more."""
    items = [t for t in str(text or "").split("; ") if t]
    more = f" and {len(items) - n} more" if len(items) > n else ""
    return ", ".join(items[:n]) + more


def _print_closures(analysis: Analysis, name: str, top: int,
                    unit: str = "objective units") -> None:
    """The ``top`` most damaging closures with the people involved, the rules they break
    and the totals."""
    from specialeplan.cli.common import table_console

    t = analysis.table
    table = Table(title=f"Most damaging closures of {name} ({len(t)} in all)",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("#", "closure", "displaced", "elsewhere", "unmet", "+min each", "+min total",
                "reach", "full", "damage"):
        table.add_column(col, justify="left" if col == "closure" else "right", no_wrap=True,
                         overflow="ellipsis", max_width=24 if col == "closure" else None,
                         min_width={"#": 2, "damage": 9}.get(col, len(col)))
    for r in t.head(top).itertuples():
        table.add_row(str(r.rank), r.closure, f"{r.displaced:,.0f}",
                      _num(getattr(r, "displaced_served_elsewhere", None)),
                      f"{r.unmet_added:,.1f}",
                      _num(getattr(r, "family_minutes_gained_mean", None), ",.0f"),
                      _num(getattr(r, "family_minutes_gained_total", None), ",.0f"),
                      str(r.reach_lost), str(r.pushed_to_capacity), f"{r.damage:,.0f}")
    table_console().print(table)
    console.print("displaced: borgerforløb of the closed one; elsewhere: of them served by "
                  "another "
                  "specialfunktion; unmet: added unmet borgerforløb; +min each / total: "
                  "family travel they gain, minutes one way per borgerforløb served "
                  "elsewhere / borgerforløb × minutes; reach: municipalities losing "
                  "rådgivning; full: others pushed to capacity; damage: objective added, in "
                  f"{unit} (see vulnerability.csv, closure_details.csv)",
                  style="dim", highlight=False)
    for r in t.head(min(top, 5)).itertuples():
        where = []
        if getattr(r, "received_by", ""):
            where.append(f"to {_first(r.received_by)}")
        if getattr(r, "unmet_by_municipality", ""):
            where.append(f"unmet in {_first(r.unmet_by_municipality)}")
        name = f" {r.provider_name}" if r.provider_name not in ("", r.provider_id) else ""
        line = (f"  {r.rank}. {r.closure}{name}: {r.displaced:,.1f} borgerforløb"
                + (" → " + "; ".join(where) if where else ""))
        if getattr(r, "reach_lost_municipalities", ""):
            line += f"; rådgivning lost in {_first(r.reach_lost_municipalities)}"
        if getattr(r, "advisory_reassigned_to", ""):
            line += f"; rådgivning passes to {r.advisory_reassigned_to}"
        console.print(escape(line), highlight=False)
    for r in t.head(top).itertuples():
        if r.broken_rules:
            console.print(f"  {escape(r.closure)} breaks {escape(str(r.broken_rules))}",
                          highlight=False)
    s = analysis.summary()
    console.print(f"{s['closures']} closures in {s['seconds']:.1f} s "
                  f"({s['seconds_per_closure_mean'] or 0:.3f} s per closure); "
                  f"{s['closures_with_unmet']} leave borgerforløb unmet, "
                  f"{s['closures_breaking_rules']} break a rule", highlight=False)
    if analysis.reassign_advisory:
        console.print(f"{s['closures_reassigning_advisory']} pass a rådgivning duty on "
                      "(--no-reassign-advisory: duties stay as planned)", highlight=False)


def _print_backup(b: dict[str, Any] | None) -> None:
    """The price of backup coverage and its effect on the ranking (``--backup``)."""
    if b is None:
        return
    if "error" in b:
        console.print("[yellow]backup coverage[/]: no plan (see above; a longer "
                      "--backup-minutes may help); the closures above are written")
        return
    if b.get("price") is not None:
        console.print(f"backup coverage costs {b['price']:,.0f} ({b['relative']:.2%}; "
                      f"objective {b['objective_with']:,.0f} with, "
                      f"{b['objective_without']:,.0f} without)", highlight=False)
    rk = b.get("ranking")
    if rk:
        console.print(
            f"worst closure damage: {rk['without']['max_damage'] or 0:,.0f} without, "
            f"{rk['with']['max_damage'] or 0:,.0f} with backup coverage; closures leaving "
            f"demand unmet: {rk['without']['closures_with_unmet']} without, "
            f"{rk['with']['closures_with_unmet']} with", highlight=False)
