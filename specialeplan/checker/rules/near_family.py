"""Rule of help near the family (``model/families/near_family.py``): a local provider in
the citizen's home municipality, coached by an advisory designation within reach, within the
speciale's near-family share."""

from __future__ import annotations

import pandas as pd

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import EPS_TRAVEL, KP, PS, Context, rule
from specialeplan.model.instance import serves_group, split_list


@rule("near_family")
def _near_family(x: Context, c: Collector) -> None:
    """Near-family help: at a tilbud located in the citizen's home municipality that is not
    a specialfunktion of the speciale, coached by a rådgivningsfunktion of the speciale
    within reach_minutes, and at most near_family_share of the speciale's demand."""
    nf = x.nf.merge(x.prov[["provider_id", "municipality_code"]].rename(
        columns={"municipality_code": "at"}), on="provider_id", how="left")
    c.rule("near_family", nf, nf["at"] != nf["municipality_code"], lambda r: (
        f"municipality {r['municipality_code']}, specialfunktion {r['function']}: near-family help "
        f"at provider {r['provider_id']}, which is not located there ({r['at']})"))
    des = x.des[[*PS, "is_advisory"]]
    loc = nf.merge(des[PS].assign(_des=True), on=PS, how="left")
    c.rule("near_family", loc, loc["_des"].notna(), lambda r: (
        f"municipality {r['municipality_code']}, specialfunktion {r['function']}: near-family help "
        f"at provider {r['provider_id']}, which is a specialfunktion of the speciale"))
    # the local tilbud serves the citizen's target group and knows a related kind of need
    related = _related(x)
    groups = dict(zip(x.taxonomy["function"], x.taxonomy["target_group"], strict=True))
    serves = dict(zip(x.prov["provider_id"], x.prov.get("target_groups", pd.Series(
        "all", index=x.prov.index)).fillna("all"), strict=True))
    held = x.comp.groupby("provider_id")["function"].agg(set)
    ok = [serves_group(serves.get(p, "all"), groups.get(f, "all"))
          and bool(held.get(p, set()) & related.get(f, set()))
          for p, f in zip(nf["provider_id"], nf["function"], strict=True)]
    c.rule("near_family", nf, ~pd.Series(ok, index=nf.index, dtype=bool), lambda r: (
        f"municipality {r['municipality_code']}, specialfunktion {r['function']}: near-family "
        f"help at provider {r['provider_id']}, which does not serve its target group or has "
        "no competence in a related kind of need (instance/providers.csv target_groups, "
        "competence.csv)"))
    # coached by a rådgivningsfunktion of one of the citizen's specialer, within its reach
    co = nf.drop(columns=["provider_id", "function"]).rename(columns={
        "advisory_provider_id": "provider_id", "advisory_function": "function"}).assign(
        citizen=nf["function"])
    co = co.merge(des, on=PS, how="left").merge(
        x.pt, on=KP, how="left").merge(
        x.sp[["function", "reach_minutes"]], on="function", how="left")
    of = x.taxonomy.groupby("function")["speciale"].agg(set)
    share = [bool(of.get(a, set()) & of.get(f, set()))
             for a, f in zip(co["function"], co["citizen"], strict=True)]
    c.rule("near_family", co, ~pd.Series(share, index=co.index, dtype=bool), lambda r: (
        f"municipality {r['municipality_code']}, specialfunktion {r['citizen']}: near-family "
        f"help coached by {r['provider_id']}'s {r['function']!r}, which shares no speciale "
        "with it"))
    c.rule("near_family", co, co["is_advisory"].ne(True), lambda r: (
        f"municipality {r['municipality_code']}, specialfunktion {r['citizen']}: near-family "
        f"help coached by provider {r['provider_id']} ({r['function']}), which is not a "
        "rådgivningsfunktion"))
    lim = co["reach_minutes"]
    c.rule("near_family", co, lim.isna() | co["minutes"].isna()
           | (co["minutes"] > lim + EPS_TRAVEL + c.pt(lim.fillna(0.0))), lambda r: (
        f"municipality {r['municipality_code']}, specialfunktion {r['citizen']}: near-family "
        f"help coached by provider {r['provider_id']}, which does not reach the municipality "
        f"({g(r['minutes'])} minutes, reach_minutes {g(r['reach_minutes'])})"))
    tot = x.nf.groupby("function", as_index=False).agg(nf=("cases", "sum"), n=("cases", "size"))
    tot = tot.merge(x.dem.groupby("function", as_index=False)["demand"].sum(), on="function",
                    how="left").merge(x.sp[["function", "near_family_share"]], on="function",
                                      how="left")
    cap = tot["near_family_share"].fillna(0.0) * tot["demand"].fillna(0.0)
    c.rule("near_family", tot, tot["nf"] > cap + c.sm(cap, tot["n"]), lambda r: (
        f"specialfunktion {r['function']}: {g(r['nf'])} borgerforløb helped near the family, above "
        f"near_family_share {g(r['near_family_share'])} of demand {g(r['demand'])}"))


def _related(x: Context) -> dict[str, set[str]]:
    """Planned function → planned functions of a related kind of need: sharing a speciale,
    or named (function or speciale) in instance/functions.csv ``related``."""
    tax = x.taxonomy[x.taxonomy["function"].isin(set(x.sp["function"]))]
    members = tax.groupby("speciale")["function"].agg(set)
    out = {f: set().union(*(members[s] for s in grp["speciale"]))
           for f, grp in tax.groupby("function")}
    fn = x.taxonomy_table
    if "related" in fn.columns:
        for f, text in zip(fn["function"], fn["related"], strict=True):
            for name in split_list(text):
                if f in out:
                    out[f] |= members.get(name, {name} & set(out))
    return out
