"""Rule of the radius formulation (``model/families/radius_assignment.py``): where it applies, every
client goes to its nearest designated provider."""

from __future__ import annotations

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import KS, PS, Context, rule


def _radius_applies(x: Context) -> bool:
    """Whether every client must go to its nearest designated provider (the radius
    formulation: p-median-like scenarios), re-derived from the switches and the inputs;
    conservative: any rule that might send a client farther makes it False."""
    p = x.params
    fam = p.families
    if p.assignment_formulation == "radius":
        return True
    outreach = fam.outreach and x.prov["kind"].isin(["outreach", "both"]).any()
    moved = fam.moved and (x.comp["current_cases"] > 0).any()
    near = fam.near_family and x.sp["reach_minutes"].notna().any()
    return p.assignment_formulation == "auto" and not (
        fam.capacity or fam.speciale_capacity or fam.min_volume or fam.allow_unmet
        or fam.equity or outreach or moved or near)


@rule("radius_assignment")
def _radius_assignment(x: Context, c: Collector) -> None:
    """Radius scenarios: each client's borgerforløb go to its nearest designated provider."""
    if not _radius_applies(x):
        return
    des = x.des[PS].merge(x.pt, on="provider_id")
    nearest = des.groupby(KS, as_index=False)["minutes"].min()
    a = x.asg.merge(nearest, on=KS, how="left")
    c.rule("radius_assignment", a, a["travel_minutes"] > a["minutes"] + c.pt(a["minutes"]),
           lambda r: (f"municipality {r['municipality_code']}, specialfunktion {r['function']}"
                      f": served "
                      f"at {g(r['travel_minutes'])} minutes by {r['provider_id']}, but a "
                      f"designated provider is {g(r['minutes'])} minutes away"))
