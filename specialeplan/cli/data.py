"""``specialeplan data …``: look at a dataset (default: the bundled Denmark data).

Commands: ``summary`` (counts and totals per speciale and region) and
``travel KOMMUNE1 KOMMUNE2 [--json]`` (minutes and route between two municipalities).
Exit code 2 on bad input (unknown municipality, invalid data).
"""

from __future__ import annotations

import difflib
import json
import unicodedata
from pathlib import Path
from typing import Annotated, Any

import networkx as nx
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from specialeplan.errors import SpecialeplanError

data_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       help="Look at a dataset (default: the bundled Denmark data).")

DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="Dataset folder with the CSV files (default: bundled Denmark).",
                 file_okay=False),
]

# Danish letters spelled out the usual way in ASCII (Århus → aarhus) or dropped (ø → o)
_SPELLED = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})
_DROPPED = str.maketrans({"æ": "a", "ø": "o", "å": "a"})
# well-known towns whose municipality has another name
TOWNS: dict[str, str] = {
    "Rønne": "400", "Nexø": "400", "Nykøbing Falster": "376", "Nykøbing F": "376",
    "Nykøbing Mors": "773", "Nykøbing M": "773", "Nykøbing Sjælland": "306",
    "Nykøbing S": "306", "Skagen": "813", "Grenå": "707", "Ebeltoft": "706",
    "Nakskov": "360", "Korsør": "330", "Rudkøbing": "482", "Ærøskøbing": "492",
    "Marstal": "492", "Nørresundby": "851", "Nordby": "563",
}


def _fail(message: str, code: int = 2) -> None:
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False,
                               soft_wrap=True)
    raise typer.Exit(code)


def _keys(text: str) -> set[str]:
    """Comparable spellings of a municipality name: case-, accent- and 'kommune'-insensitive."""
    t = unicodedata.normalize("NFC", str(text)).casefold().strip()
    t = t.removesuffix(" kommune").replace("-", " ").replace(".", "")
    t = " ".join(t.split())
    out = set()
    for table in (_SPELLED, _DROPPED):
        folded = unicodedata.normalize("NFKD", t.translate(table))
        out.add("".join(ch for ch in folded if not unicodedata.combining(ch)))
    return out


def resolve_municipality(query: str, municipalities: pd.DataFrame) -> str:
    """Code of the municipality named by a 3-digit code, a (Danish or English) name or one of
    a few well-known towns (:data:`TOWNS`, e.g. Rønne → Bornholm).

    Raises :class:`SpecialeplanError` listing close matches when nothing matches.
    """
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
        _fail(str(exc))
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


def _console() -> Console:
    """Console for tables; piped output (not a terminal) gets room for the widest table."""
    console = Console()
    return console if console.is_terminal else Console(width=max(console.width, 120))


def _num(v: float) -> str:
    return f"{v:,.0f}"


@data_app.command()
def summary(data: DataOption = None) -> None:
    """Counts, and totals of demand and capacity per speciale and per region."""
    from specialeplan.data.loader import load_denmark, load_instance_dir
    from specialeplan.data.population import CHILD_SHARE, group_population

    try:
        inst = load_denmark() if data is None else load_instance_dir(data)
    except SpecialeplanError as exc:
        _fail(str(exc))
    console = _console()
    region = inst.municipalities.set_index("code")["region"]
    prov = inst.providers.assign(region=inst.providers["municipality_code"].map(region))
    comp, dem = inst.competence, inst.demand.assign(
        region=inst.demand["municipality_code"].map(region))

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
    console.print(head)

    per_s = comp.groupby("speciale").agg(
        providers=("provider_id", "size"), designated=("designated_today", "sum"),
        max_cases=("max_cases", "sum"), current=("current_cases", "sum"))
    target = (inst.specialer.set_index("speciale")["target_group"]
              if "target_group" in inst.specialer.columns else None)
    per_s = inst.specialer.set_index("speciale")[[]].join(per_s).join(
        dem.groupby("speciale")["demand"].sum()).fillna(0)
    t = Table(title="Per speciale (borgerforløb per year)")
    for col, just in (("speciale", "left"), ("target group", "left"), ("demand", "right"),
                      ("Σ max_cases", "right"),
                      ("ratio", "right"), ("current", "right"), ("providers", "right"),
                      ("designated", "right")):
        t.add_column(col, justify=just, no_wrap=col == "speciale")
    for s, r in per_s.iterrows():
        ratio = r["max_cases"] / r["demand"] if r["demand"] > 0 else float("inf")
        tg = str(target.get(s, "all")) if target is not None else "all"
        t.add_row(str(s), tg, _num(r["demand"]), _num(r["max_cases"]), f"{ratio:.1f}",
                  _num(r["current"]), str(int(r["providers"])), str(int(r["designated"])))
    t.add_row("total", "", _num(per_s["demand"].sum()), _num(per_s["max_cases"].sum()), "",
              _num(per_s["current"].sum()), "", "", style="bold")
    console.print(t)

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
    console.print(t)
