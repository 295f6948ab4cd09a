"""``specialeplan data …``: look at a dataset (default: the bundled Denmark data).

Commands: ``travel KOMMUNE1 KOMMUNE2 [--json]`` (minutes and route between two
municipalities), ``summary`` (counts and totals per speciale and region) and ``providers``
(the providers, by speciale or municipality). ``import-population FILE`` writes a dataset's
``population_by_age.csv`` from a Statistics Denmark export. Exit code 2 on bad input (unknown
municipality, invalid data).
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import networkx as nx
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from specialeplan.cli.common import data_app, fail, table_console, warn
from specialeplan.errors import SpecialeplanError

if TYPE_CHECKING:
    from specialeplan.model.instance import Instance

__all__ = ["TOWNS", "data_app", "import_population", "providers", "resolve_municipality",
           "summary", "travel"]

DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="Dataset folder with the CSV files (default: bundled Denmark).",
                 file_okay=False),
]

# well-known towns whose municipality has another name
TOWNS: dict[str, str] = {
    "Rønne": "400", "Nexø": "400", "Nykøbing Falster": "376", "Nykøbing F": "376",
    "Nykøbing Mors": "773", "Nykøbing M": "773", "Nykøbing Sjælland": "306",
    "Nykøbing S": "306", "Skagen": "813", "Grenå": "707", "Ebeltoft": "706",
    "Nakskov": "360", "Korsør": "330", "Rudkøbing": "482", "Ærøskøbing": "492",
    "Marstal": "492", "Nørresundby": "851", "Nordby": "563",
}


def resolve_municipality(query: str, municipalities: pd.DataFrame) -> str:
    """Code of the municipality named by a 3-digit code, a (Danish or English) name or one of
    a few well-known towns (:data:`TOWNS`, e.g. Rønne → Bornholm).

    Raises :class:`SpecialeplanError` listing close matches when nothing matches.
    """
    from specialeplan.data.names import name_keys as _keys

    q = query.strip()
    codes = set(municipalities["code"])
    if q in codes:
        return q
    lookup: dict[str, str] = {}
    pairs = [(code, name) for col in ("name", "name_en") if col in municipalities.columns
             for code, name in zip(municipalities["code"], municipalities[col], strict=True)]
    pairs += [(code, town) for town, code in TOWNS.items() if code in codes]
    for code, name in pairs:
        for key in _keys(name):
            lookup.setdefault(key, code)
    for key in sorted(_keys(q)):
        if key in lookup:
            return lookup[key]
    names = municipalities.set_index("code")["name"]
    close = []
    for key in sorted(_keys(q)):
        close += [lookup[k] for k in difflib.get_close_matches(key, lookup, n=5, cutoff=0.6)]
    hint = ", ".join(f"{names[c]} ({c})" for c in dict.fromkeys(close))
    raise SpecialeplanError(
        f"unknown municipality {query!r}. "
        + (f"Close matches: {hint}." if hint else
           "Give a 3-digit code or a name, e.g. 101 or København.")
    )


def _route_legs(graph: nx.Graph, route: list[str]) -> list[dict[str, Any]]:
    return [{"from": a, "to": b, **{k: graph.edges[a, b][k] for k in ("minutes", "mode", "name")}}
            for a, b in zip(route, route[1:], strict=False)]


@data_app.command()
def travel(
    kommune1: Annotated[str, typer.Argument(help="Code or name, e.g. 101 or København.")],
    kommune2: Annotated[str, typer.Argument(help="Code or name, e.g. 751 or Aarhus.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
    data: DataOption = None,
) -> None:
    """Travel minutes and route between two municipalities (crossings marked)."""
    from specialeplan.data.loader import load_travel_graph
    from specialeplan.data.travel import ACCESS_MINUTES, shortest_route

    try:
        graph, munis = load_travel_graph(data)
        a, b = (resolve_municipality(q, munis) for q in (kommune1, kommune2))
    except SpecialeplanError as exc:
        fail(exc)
    minutes, route = shortest_route(graph, a, b)
    name = nx.get_node_attributes(graph, "name")
    legs = _route_legs(graph, route)
    if as_json:
        typer.echo(json.dumps({
            "from": {"code": a, "name": name[a]}, "to": {"code": b, "name": name[b]},
            "minutes": round(minutes, 1),
            "route": [{"code": c, "name": name[c]} for c in route],
            "crossings": [{"from": leg["from"], "to": leg["to"], "mode": leg["mode"],
                           "name": leg["name"], "minutes": round(leg["minutes"], 1)}
                          for leg in legs if leg["mode"] != "land"],
        }, ensure_ascii=False))
        return
    console = Console()
    console.print(f"[bold]{name[a]} ({a}) → {name[b]} ({b}): {minutes:.0f} min[/]",
                  highlight=False)
    if a == b:
        console.print("trip inside the municipality (intra-municipal access time)")
        return
    parts = [name[route[0]]]
    for leg in legs:
        if leg["mode"] != "land":
            parts.append(f"[{leg['mode']}: {leg['name']}]")
        parts.append(name[leg["to"]])
    console.print("route: " + " → ".join(parts), highlight=False, markup=False)
    console.print(f"(door-to-door estimate incl. {ACCESS_MINUTES:g} min access; "
                  "see data/README.md)", style="dim", highlight=False)


def _num(v: float) -> str:
    return f"{v:,.0f}"


@data_app.command()
def summary(data: DataOption = None) -> None:
    """Counts, and totals of demand and capacity per speciale and per region."""
    inst = _load(data)
    console = table_console()
    console.print(_overview(inst))
    console.print(_per_speciale(inst))
    console.print(_per_region(inst))


def _load(data: Path | None) -> Instance:
    """The dataset in ``data`` (default: the bundled one); exit 2 when it is invalid."""
    from specialeplan.data.loader import load_denmark, load_instance_dir

    try:
        return load_denmark() if data is None else load_instance_dir(data)
    except SpecialeplanError as exc:
        fail(exc)


def _by_region(inst: Instance, table: pd.DataFrame) -> pd.DataFrame:
    region = inst.municipalities.set_index("code")["region"]
    return table.assign(region=table["municipality_code"].map(region))


def _overview(inst: Instance) -> Table:
    from specialeplan.data.population import CHILD_SHARE, group_population

    prov, comp, dem = inst.providers, inst.competence, inst.demand
    head = Table(title=f"Dataset {inst.name}", show_header=False)
    head.add_column("item", no_wrap=True)
    head.add_column("value", justify="right")
    rows = {
        "synthetic (illustrative) data": "yes" if inst.synthetic else "no",
        "municipalities": str(len(inst.municipalities)),
        "population": _num(inst.municipalities["population"].sum()),
        "providers": str(len(inst.providers)),
        "specialer": str(len(inst.specialer)),
        "competence pairs": str(len(comp)),
        "designated today": str(int(comp["designated_today"].sum())),
        "rådgivningsfunktioner today": str(int(comp["advisory_today"].sum())),
        "providers residential / outreach / both": " / ".join(
            str(int((prov["kind"] == k).sum())) for k in ("residential", "outreach", "both")),
        "demand (borgerforløb/yr)": _num(dem["demand"].sum()),
        "provider capacity (borgerforløb/yr)": _num(prov["capacity"].sum()),
    }
    groups = group_population(inst.municipalities, inst.population_by_age)
    approx = groups.attrs["approximated"]
    rows["population 0-17 / 18+"] = (
        f"≈ {CHILD_SHARE:.0%} / {1 - CHILD_SHARE:.0%} everywhere (APPROXIMATION: national "
        "share, no population_by_age.csv)" if approx else
        f"{_num(groups['0-17'].sum())} / {_num(groups['18+'].sum())} (population_by_age.csv)")
    for k, v in rows.items():
        head.add_row(k, v)
    return head


def _per_speciale(inst: Instance) -> Table:
    comp, dem = inst.competence, inst.demand
    per_s = comp.groupby("function").agg(
        providers=("provider_id", "size"), designated=("designated_today", "sum"),
        max_cases=("max_cases", "sum"), current=("current_cases", "sum"))
    target = inst.functions.set_index("function")["target_group"]
    per_s = inst.functions.set_index("function")[[]].join(per_s).join(
        dem.groupby("function")["demand"].sum()).fillna(0)
    t = Table(title="Per speciale (borgerforløb per year)")
    for col, just in (("function", "left"), ("target group", "left"), ("demand", "right"),
                      ("Σ max_cases", "right"),
                      ("ratio", "right"), ("current", "right"), ("providers", "right"),
                      ("designated", "right")):
        t.add_column(col, justify=just, no_wrap=col == "function")
    for s, r in per_s.iterrows():
        ratio = r["max_cases"] / r["demand"] if r["demand"] > 0 else float("inf")
        tg = str(target.get(s, "all")) if target is not None else "all"
        t.add_row(str(s), tg, _num(r["demand"]), _num(r["max_cases"]), f"{ratio:.1f}",
                  _num(r["current"]), str(int(r["providers"])), str(int(r["designated"])))
    t.add_row("total", "", _num(per_s["demand"].sum()), _num(per_s["max_cases"].sum()), "",
              _num(per_s["current"].sum()), "", "", style="bold")
    return t


def _per_region(inst: Instance) -> Table:
    prov, dem = _by_region(inst, inst.providers), _by_region(inst, inst.demand)
    per_r = pd.DataFrame({
        "municipalities": inst.municipalities.groupby("region").size(),
        "population": inst.municipalities.groupby("region")["population"].sum(),
        "providers": prov.groupby("region").size(),
        "capacity": prov.groupby("region")["capacity"].sum(),
        "demand": dem.groupby("region")["demand"].sum(),
    }).fillna(0)
    t = Table(title="Per region (borgerforløb per year)")
    for col in ("region", *per_r.columns):
        t.add_column(col, justify="left" if col == "region" else "right",
                     no_wrap=col == "region")
    for reg, r in per_r.iterrows():
        t.add_row(str(reg), *(_num(v) for v in r))
    t.add_row("total", *(_num(v) for v in per_r.sum()), style="bold")
    return t


@data_app.command()
def providers(
    speciale: Annotated[str | None, typer.Option(help="only providers competent in it")] = None,
    municipality: Annotated[str | None, typer.Option(
        help="only providers in this municipality (code or name)")] = None,
    data: DataOption = None,
) -> None:
    """List providers (tilbud): id, name, municipality, owner, kind, capacity, specialer."""
    inst = _load(data)
    try:
        prov, comp = _select_providers(inst, speciale, municipality)
    except SpecialeplanError as exc:
        fail(exc)
    per = comp.groupby("provider_id").agg(
        specialer=("function", lambda s: ", ".join(sorted(s))),
        today=("designated_today", "sum"))
    # a provider without competence rows (custom data) is competent in nothing, not NaN
    prov = prov.join(per, on="provider_id")
    prov["specialer"] = prov["specialer"].fillna("")
    prov["today"] = prov["today"].fillna(0).astype(int)
    title = "Providers" + (f" competent in {speciale}" if speciale else "") + (
        f" in {municipality}" if municipality else "")
    t = Table(title=f"{title} ({len(prov)})")
    for c in ("provider_id", "name", "municipality", "owner", "kind", "capacity",
              "designated today", "specialer" if speciale is None else "max_cases"):
        t.add_column(c, justify="right" if c in ("capacity", "designated today",
                                                  "max_cases") else "left")
    maxc = comp.set_index("provider_id")["max_cases"] if speciale else None
    for _, r in prov.sort_values("provider_id").iterrows():
        last = (str(r["specialer"]) if maxc is None
                else f"{maxc.get(r['provider_id'], 0):,.0f}")
        t.add_row(r["provider_id"], str(r["name"]), f"{r['municipality']} "
                  f"({r['municipality_code']})", str(r["owner"]), str(r["kind"]),
                  f"{r['capacity']:,.0f}", str(r["today"]), last)
    table_console().print(t)


def _select_providers(inst: Instance, speciale: str | None, municipality: str | None,
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The providers (with their municipality's name) and competence rows that match."""
    from specialeplan.errors import did_you_mean

    prov = inst.providers.merge(
        inst.municipalities[["code", "name"]].rename(
            columns={"code": "municipality_code", "name": "municipality"}),
        on="municipality_code", how="left")
    comp = inst.competence
    if speciale is not None:
        known = inst.speciale_ids
        if speciale not in known:
            raise SpecialeplanError(f"unknown speciale {speciale!r}."
                                    f"{did_you_mean(speciale, known)} Known: "
                                    f"{', '.join(known)}")
        comp = comp[comp["function"] == speciale]
        prov = prov[prov["provider_id"].isin(set(comp["provider_id"]))]
    if municipality is not None:
        code = resolve_municipality(municipality, inst.municipalities)
        prov = prov[prov["municipality_code"] == code]
    return prov, comp


@data_app.command("import-population")
def import_population(
    file: Annotated[Path, typer.Argument(
        help="StatBank export of FOLK1A by OMRÅDE and ALDER, 'CSV (semikolonsepareret)'.",
        dir_okay=False)],
    out: Annotated[Path | None, typer.Option(
        "--out", help="Dataset folder to write population_by_age.csv into (default: the "
        "bundled one).", file_okay=False)] = None,
    year: Annotated[str | None, typer.Option(
        help="TID to import, e.g. 2025K1 (default: the latest in the file).")] = None,
) -> None:
    """Import Statistics Denmark's population by age into population_by_age.csv (0-17, 18+)."""
    from specialeplan.data.loader import bundled_dir, load_municipalities
    from specialeplan.data.population_import import (
        read_statbank,
        to_age_groups,
        write_population_by_age,
    )

    folder = out if out is not None else bundled_dir()
    try:  # nothing is written unless the whole file checks out
        table = to_age_groups(read_statbank(file), load_municipalities(folder), year)
        written = write_population_by_age(table, folder)
    except SpecialeplanError as exc:
        fail(exc)
    persons = table.groupby("age_group")["persons"].sum()
    total = int(persons.sum())
    console = Console()
    console.print(f"wrote [bold]{written}[/]: {len(table)} rows ({table['code'].nunique()} "
                  f"municipalities × 0-17, 18+), {table.attrs['time']}", highlight=False)
    console.print(f"persons {total:,}: 0-17 {persons['0-17']:,} "
                  f"({persons['0-17'] / total:.1%} nationally), 18+ {persons['18+']:,}",
                  highlight=False)
    for note in table.attrs["notes"]:
        console.print(f"note: {note}", style="dim", highlight=False)
    for text in table.attrs["warnings"]:
        warn(text)


@data_app.command("import-register")
def import_register(
    extract: Annotated[Path, typer.Argument(
        help="Register extract (CSV, comma or semicolon; docs/provider-register.md).",
        dir_okay=False)],
    out: Annotated[Path, typer.Option(
        "--out", help="Dataset folder to write providers.csv and competence.csv into "
        "(created if missing; never the bundled one).", file_okay=False)],
    mapping: Annotated[Path | None, typer.Option(
        "--mapping", help="Folder with your own mapping tables (default: the bundled ones).",
        file_okay=False)] = None,
    overwrite: Annotated[bool, typer.Option(
        help="Replace providers.csv and competence.csv already in --out.")] = False,
) -> None:
    """Turn a provider register extract into providers.csv and competence.csv."""
    from specialeplan.data import register_import as ri

    try:
        result = ri.import_register(extract, ri.load_mapping(mapping))
        written = ri.write_import(result, out, overwrite=overwrite)
    except SpecialeplanError as exc:
        fail(exc)
    for line in ri.summary_lines(result):
        typer.echo(line)
    typer.echo("wrote " + ", ".join(str(p) for p in written))
    if not (out / "municipalities.csv").exists():
        typer.echo(f"{out} is not a whole dataset yet: copy the other files (municipalities, "
                   "specialer, demand, ...) into it from one, e.g. the bundled data/denmark")
