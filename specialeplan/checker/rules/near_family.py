"""Rule of help near the family (``model/families/near_family.py``): a local provider in
the citizen's home municipality, coached by an advisory designation within reach, within the
speciale's near-family share."""

from __future__ import annotations

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import EPS_TRAVEL, KP, PS, Context, rule


@rule("near_family")
def _near_family(x: Context, c: Collector) -> None:
    """Near-family help: at a tilbud located in the citizen's home municipality that is not
    a specialfunktion of the speciale, coached by a rådgivningsfunktion of the speciale
    within reach_minutes, and at most near_family_share of the speciale's demand."""
    nf = x.nf.merge(x.prov[["provider_id", "municipality_code"]].rename(
        columns={"municipality_code": "at"}), on="provider_id", how="left")
    c.rule("near_family", nf, nf["at"] != nf["municipality_code"], lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['function']}: near-family help "
        f"at provider {r['provider_id']}, which is not located there ({r['at']})"))
    des = x.des[[*PS, "is_advisory"]]
    loc = nf.merge(des[PS].assign(_des=True), on=PS, how="left")
    c.rule("near_family", loc, loc["_des"].notna(), lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['function']}: near-family help "
        f"at provider {r['provider_id']}, which is a specialfunktion of the speciale"))
    co = nf.drop(columns="provider_id").rename(columns={"advisory_provider_id": "provider_id"})
    co = co.merge(des, on=PS, how="left").merge(
        x.pt, on=KP, how="left").merge(
        x.sp[["function", "reach_minutes"]], on="function", how="left")
    c.rule("near_family", co, co["is_advisory"].ne(True), lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['function']}: near-family help "
        f"coached by provider {r['provider_id']}, which is not a rådgivningsfunktion"))
    lim = co["reach_minutes"]
    c.rule("near_family", co, lim.isna() | co["minutes"].isna()
           | (co["minutes"] > lim + EPS_TRAVEL + c.pt(lim.fillna(0.0))), lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['function']}: near-family help "
        f"coached by provider {r['provider_id']}, which does not reach the municipality "
        f"({g(r['minutes'])} minutes, reach_minutes {g(r['reach_minutes'])})"))
    tot = x.nf.groupby("function", as_index=False).agg(nf=("cases", "sum"), n=("cases", "size"))
    tot = tot.merge(x.dem.groupby("function", as_index=False)["demand"].sum(), on="function",
                    how="left").merge(x.sp[["function", "near_family_share"]], on="function",
                                      how="left")
    cap = tot["near_family_share"].fillna(0.0) * tot["demand"].fillna(0.0)
    c.rule("near_family", tot, tot["nf"] > cap + c.sm(cap, tot["n"]), lambda r: (
        f"speciale {r['function']}: {g(r['nf'])} borgerforløb helped near the family, above "
        f"near_family_share {g(r['near_family_share'])} of demand {g(r['demand'])}"))
