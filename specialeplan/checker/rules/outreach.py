"""Rules of outreach and delivery_need (``model/families/outreach.py``): outreach only from
providers with an outreach team, within the outreach radius; places only at providers with a
place; outreach at most (1 − ρ_s) of a municipality's demand."""

from __future__ import annotations

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import (
    EPS_TRAVEL,
    Context,
    rule,
    with_travel_limit,
)
from specialeplan.model.instance import OUTREACH_KINDS, PHYSICAL_KINDS


@rule("outreach")
def _outreach(x: Context, c: Collector) -> None:
    """Outreach rows only from tilbud with an outreach team (kind outreach/both), within
    the outreach radius outreach_minutes of the speciale; physical rows only from tilbud
    with a place (kind residential/both/empty)."""
    a = x.asg.assign(kind=x.asg["provider_id"].map(x.kind).fillna(""))
    out, phys = a[~x.physical.to_numpy()], a[x.physical.to_numpy()]
    c.rule("outreach", out, ~out["kind"].isin(OUTREACH_KINDS), lambda r: (
        f"municipality {r['municipality_code']} ← provider {r['provider_id']} (speciale "
        f"{r['function']}): outreach from a tilbud of kind {r['kind']!r} (no outreach team)"))
    c.rule("outreach", phys, ~phys["kind"].isin(PHYSICAL_KINDS), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} (speciale "
        f"{r['function']}): a physical place at a tilbud of kind {r['kind']!r} (outreach only)"))
    o = with_travel_limit(x, out, "outreach_minutes")
    lim = o["outreach_minutes"]
    c.rule("outreach", o, o["t"] > lim + EPS_TRAVEL + c.pt(lim), lambda r: (
        f"municipality {r['municipality_code']} ← provider {r['provider_id']} (speciale "
        f"{r['function']}): outreach over {g(r['t'])} minutes exceeds the outreach radius "
        f"{g(r['outreach_minutes'])}"))


@rule("delivery_need")
def _delivery_need(x: Context, c: Collector) -> None:
    """Per speciale: outreach borgerforløb ≤ max((1 − ρ_s)·D_s, P_s), ρ_s the
    ``residential_share`` of ``instance/function_params.csv``, D_s the speciale's demand and
    P_s today's residents of outreach-only teams (with family ``moved`` on). A folder without
    the column has no such rule."""
    if "residential_share" not in x.sp.columns:
        return
    out = x.asg[~x.physical.to_numpy()].groupby("function").agg(
        outreach=("cases", "sum"), n=("cases", "size"))
    d = x.sp[["function", "residential_share"]].set_index("function").join(out, how="inner")
    d = d[d["residential_share"].fillna(0.0) > 0].join(x.outreach_limit.rename("limit"))
    d = d.reset_index()
    c.rule("delivery_need", d, d["outreach"] > d["limit"] + c.sm(d["limit"], d["n"]),
           lambda r: (f"specialfunktion {r['function']}"
                      f": {g(r['outreach'])} borgerforløb by outreach "
                      f"exceed max((1 − {g(r['residential_share'])}) × demand, today's "
                      f"outreach residents) = {g(r['limit'])}; the rest need a residential "
                      "place"))
