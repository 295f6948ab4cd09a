"""Rule of outreach (``model/families/outreach.py``): outreach only from providers with
an outreach team, within the outreach radius; places only at providers with a place."""

from __future__ import annotations

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import EPS_TRAVEL, Context, rule, with_travel_limit
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
        f"{r['speciale']}): outreach from a tilbud of kind {r['kind']!r} (no outreach team)"))
    c.rule("outreach", phys, ~phys["kind"].isin(PHYSICAL_KINDS), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} (speciale "
        f"{r['speciale']}): a physical place at a tilbud of kind {r['kind']!r} (outreach only)"))
    o = with_travel_limit(x, out, "outreach_minutes")
    lim = o["outreach_minutes"]
    c.rule("outreach", o, o["t"] > lim + EPS_TRAVEL + c.pt(lim), lambda r: (
        f"municipality {r['municipality_code']} ← provider {r['provider_id']} (speciale "
        f"{r['speciale']}): outreach over {g(r['t'])} minutes exceeds the outreach radius "
        f"{g(r['outreach_minutes'])}"))
