"""Rule of robustness (``model/families/backup_coverage.py``): backup coverage, two
designations in range of every municipality with demand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from specialeplan.checker.report import Collector
from specialeplan.checker.rules.context import EPS_TRAVEL, KP, KS, PS, Context, can_serve, rule
from specialeplan.model.instance import PHYSICAL_KINDS


@rule("backup_coverage")
def _backup_coverage(x: Context, c: Collector) -> None:
    """Every (municipality, speciale) with demand has at least two specialfunktioner in
    range: one that can serve it (a place within max_travel_minutes or an outreach team
    within outreach_minutes) and a second that can serve it or has a place within
    backup_minutes (empty = max_travel_minutes)."""
    sp = x.sp.set_index("function")
    first = can_serve(x, x.des).groupby(KS).size().rename("first")
    bm = (sp["backup_minutes"] if "backup_minutes" in sp else sp["max_travel_minutes"]
          ).fillna(sp["max_travel_minutes"])
    places = x.des[x.des["provider_id"].map(x.kind).fillna("").isin(PHYSICAL_KINDS)
                   | (not x.params.families.outreach)]
    near = x.dem[x.dem["demand"] > 0][KS].merge(places[PS], on="function").merge(
        x.pt, on=KP)
    near = near[near["minutes"] <= near["function"].map(bm).fillna(np.inf) + EPS_TRAVEL]
    both = pd.concat([can_serve(x, x.des)[[*KS, "provider_id"]],
                      near[[*KS, "provider_id"]]]).drop_duplicates()
    second = both.groupby(KS).size().rename("second")
    d = x.dem[x.dem["demand"] > 0][[*KS, "demand"]].merge(
        first.reset_index(), on=KS, how="left").merge(second.reset_index(), on=KS,
                                                       how="left").fillna(
        {"first": 0, "second": 0})
    c.rule("backup_coverage", d, d["second"] < 2, lambda r: (
        f"municipality {r['municipality_code']}, specialfunktion {r['function']}: "
        f"{int(r['second'])} specialfunktion(er) in range, backup coverage needs 2"))
    c.rule("backup_coverage", d, d["first"] < 1, lambda r: (
        f"municipality {r['municipality_code']}, specialfunktion {r['function']}: no "
        "specialfunktion can serve it within the family-travel cutoff (backup coverage)"))
