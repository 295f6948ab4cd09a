"""Rules of counts and fixed designations (``model/families/count_bounds.py``): count bounds per
speciale and per region, specialer per provider, fixed/kept/forbidden designations and the
change limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import PS, Context, rule


def _bounds(c: Collector, family: str, df: pd.DataFrame, count: str, lo: str, hi: str,
            what: Callable[[dict[str, Any]], str]) -> None:
    """Lo <= count <= hi where the bound is not NaN."""
    for col, sign, word in ((lo, -1, "below the minimum"), (hi, 1, "above the maximum")):
        sub = df[df[col].notna()]
        bad = sign * (sub[count] - sub[col]) > 0.5
        c.rule(family, sub, bad, lambda r, col=col, word=word: (
            f"{what(r)}: {int(r[count])} {word} {g(r[col])}"))


@rule("count_bounds")
def _count_bounds(x: Context, c: Collector) -> None:
    """min/max specialfunktioner and rådgivningsfunktioner per speciale."""
    cnt = x.des.groupby("function").agg(n=("provider_id", "size"),
                                        n_adv=("is_advisory", "sum"))
    s = x.sp.merge(cnt, left_on="function", right_index=True, how="left").fillna(
        {"n": 0, "n_adv": 0})
    _bounds(c, "count_bounds", s, "n", "min_count", "max_count",
            lambda r: f"specialfunktion {r['function']}: specialfunktioner")
    _bounds(c, "count_bounds", s, "n_adv", "min_advisory", "max_advisory",
            lambda r: f"specialfunktion {r['function']}: rådgivningsfunktioner")


@rule("region_bounds")
def _region_bounds(x: Context, c: Collector) -> None:
    """min/max specialfunktioner per (speciale, region) listed in the scenario."""
    if not x.params.region_bounds:
        return
    region = x.prov[["provider_id", "municipality_code"]].merge(
        x.munis[["code", "region"]], left_on="municipality_code", right_on="code",
        how="left")[["provider_id", "region"]]
    n = x.des[PS].merge(region, on="provider_id", how="left").groupby(
        ["function", "region"]).size().rename("n")
    rb = pd.DataFrame([b.model_dump() for b in x.params.region_bounds]).astype(
        {"min_count": float, "max_count": float})
    rb = rb.merge(n.reset_index(), on=["function", "region"], how="left").fillna({"n": 0})
    _bounds(c, "region_bounds", rb, "n", "min_count", "max_count",
            lambda r: f"specialfunktion {r['function']}, region {r['region']}: specialfunktioner")


@rule("max_specialer")
def _max_specialer(x: Context, c: Collector) -> None:
    """Specialer per provider ≤ max_specialer_per_provider."""
    limit = x.params.max_specialer_per_provider
    if limit is None:
        return
    per = x.des.groupby("provider_id", as_index=False).agg(n=("function", "size"))
    c.rule("max_specialer", per, per["n"] > limit, lambda r: (
        f"provider {r['provider_id']} holds {int(r['n'])} specialer, above "
        f"max_specialer_per_provider {limit}"))


@rule("fixed")
def _fixed(x: Context, c: Collector) -> None:
    """Fixed and kept (keep_today: today's designations of those owners that can meet the
    rules) pairs designated; forbidden ones not."""
    p = x.params
    designated = x.des[PS].assign(_des=True)
    fixed = pd.DataFrame([d.model_dump() for d in p.fixed], columns=PS).assign(
        why="fixed in the scenario")
    keep = x.comp[x.comp["designated_today"]].merge(
        x.prov[["provider_id", "owner"]], on="provider_id", how="left")
    keep = keep[keep["owner"].isin(p.keep_today)]
    # kept only where the designation can meet the plan's rules (not forbidden, competent,
    # max_cases at least the minimum volume); the model lists the others in kpis.json
    forb = {(d.provider_id, d.function) for d in p.forbidden}
    # float even when nothing is kept (an empty map would otherwise keep the text dtype)
    floor = keep["function"].map(x.sp.set_index("function")["min_cases"]).astype(float).fillna(
        0.0)
    if not p.families.min_volume:
        floor = floor * 0.0
    # ... and, while today's residents stay (family moved without allow_moves), the places
    # the provider has left after its residents of the other planned specialer
    fam = p.families
    stay = x.comp.assign(_c=x.comp["current_cases"].astype(float)
                         if fam.moved and not fam.allow_moves else 0.0)
    others = (keep["provider_id"].map(stay.groupby("provider_id")["_c"].sum()).astype(
        float).fillna(0.0)
              - keep["current_cases"].astype(float) * float(fam.moved and not fam.allow_moves))
    cap = keep["provider_id"].map(x.prov.set_index("provider_id")["capacity"]).astype(float)
    left = cap - others if fam.capacity else cap * 0.0 + np.inf
    keep = keep[(keep["max_cases"] > 0) & (keep["max_cases"] >= floor - 1e-9)
                & (left >= floor - 1e-9)
                & ~pd.Series([(a, b) in forb for a, b in zip(keep["provider_id"],
                                                               keep["function"], strict=True)],
                             index=keep.index, dtype=bool)]
    keep = keep[PS].assign(
        why="designated today and owner '" + keep["owner"] + "' is in keep_today")
    must = pd.concat([fixed, keep], ignore_index=True).drop_duplicates(PS)
    m = must.merge(designated, on=PS, how="left")
    c.rule("fixed", m, m["_des"].isna(), lambda r: (
        f"provider {r['provider_id']}, specialfunktion {r['function']} must be designated "
        f"({r['why']}) but is not"))
    forb = pd.DataFrame([d.model_dump() for d in p.forbidden], columns=PS)
    f = forb.merge(designated, on=PS, how="left")
    c.rule("fixed", f, f["_des"].notna(), lambda r: (
        f"provider {r['provider_id']}, specialfunktion {r['function']}"
        f" is forbidden but designated"))


@rule("change_limit")
def _change_limit(x: Context, c: Collector) -> None:
    """#designations that differ from today's ≤ max_changes."""
    limit = x.params.max_changes
    if limit is not None:
        c.single("change_limit", x.n_changes <= limit,
                 f"{x.n_changes} designations differ from today's, above max_changes {limit}")
