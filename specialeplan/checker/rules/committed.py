"""Rule of rollout commitments (``model/families/committed.py``): what an earlier wave
designated stays, with its advisory duty and its cases."""

from __future__ import annotations

import numpy as np
import pandas as pd

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import KS, PS, Context, can_serve, rule


@rule("committed")
def _committed(x: Context, c: Collector) -> None:
    """Commitments of earlier rollout waves (model.committed): designated, a
    rådgivningsfunktion where advisory, and at least the committed borgerforløb (or all the
    pair can take: max_cases, the provider's capacity, the demand it can serve)."""
    items = x.params.committed
    if not items:
        return
    m = pd.DataFrame([i.model_dump() for i in items], columns=[*PS, "advisory", "cases"])
    m = m.merge(x.des[[*PS, "is_advisory"]], on=PS, how="left").merge(
        x.pair_sum[[*PS, "assigned", "n"]], on=PS, how="left").fillna({"assigned": 0.0,
                                                                        "n": 0})
    c.rule("committed", m, m["is_advisory"].isna(), lambda r: (
        f"provider {r['provider_id']}, specialfunktion {r['function']}"
        f" was designated by an earlier "
        "rollout wave (model.committed) but is not designated now"))
    adv = m[m["advisory"].astype(bool)]
    c.rule("committed", adv, adv["is_advisory"].ne(True), lambda r: (
        f"provider {r['provider_id']}, specialfunktion {r['function']} has a rådgivning duty from "
        "an earlier rollout wave (model.committed) but is no rådgivningsfunktion now"))
    reach = can_serve(x, m[PS]).groupby(KS + ["provider_id"]).size().reset_index()[
        [*KS, "provider_id"]].merge(x.dem[[*KS, "demand"]], on=KS)
    reachable = reach.groupby(PS)["demand"].sum().rename("reachable")
    v = m[m["cases"] > 0].merge(reachable.reset_index(), on=PS, how="left").merge(
        x.comp[[*PS, "max_cases"]], on=PS, how="left").merge(
        x.prov[["provider_id", "capacity"]], on="provider_id", how="left")
    fam = x.params.families
    cap = v["reachable"].fillna(0.0)
    if fam.speciale_capacity:
        cap = np.minimum(cap, v["max_cases"].fillna(np.inf))
    if fam.capacity:
        cap = np.minimum(cap, v["capacity"].fillna(np.inf))
    v = v.assign(floor=np.minimum(v["cases"], cap))
    c.rule("committed", v, v["assigned"] < v["floor"] - c.sm(v["floor"], v["n"]), lambda r: (
        f"provider {r['provider_id']}, specialfunktion {r['function']}: {g(r['assigned'])} "
        f"borgerforløb, below the {g(r['floor'])} placed there by an earlier rollout wave "
        "(model.committed)"))
