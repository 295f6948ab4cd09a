"""Section ``alternatives``: near-optimal alternatives and necessity on the national plan.

``specialeplan alternatives`` on ``scenarios/base.yaml`` (``--quick``: ``scenarios/small.yaml``)
with a 2 % slack and 5 alternatives, each plan with ``TIME_LIMIT`` seconds (``highs-direct``,
the scenario's solver options), then the necessity of every designation and candidate,
once sequentially and once on a local Dask cluster of 2 workers (the classification must be
the same). One row per plan, then one per necessity run.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path
from typing import Any

from common import REPO, log, write_section

FULL, QUICK = "scenarios/base.yaml", "scenarios/small.yaml"
SLACK, COUNT, TIME_LIMIT, CASE_LIMIT = 0.02, 5, 90.0, 20.0


def run(quick: bool = False) -> dict[str, Any]:
    """Search, classify twice; write ``results/alternatives.json``."""
    from specialeplan.analyses.alternatives import difference, run_alternatives
    from specialeplan.analyses.necessity import run_necessity
    from specialeplan.scenarios.schema import load_scenario

    scenario = QUICK if quick else FULL
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        log(f"alternatives: {scenario}, slack {SLACK:.0%}, {COUNT} alternatives")
        t0 = time.perf_counter()
        res = run_alternatives(load_scenario(REPO / scenario, ["solver.name=highs-direct"]),
                               Path(tmp), slack=SLACK, count=COUNT, time_limit=TIME_LIMIT)
        search_s = time.perf_counter() - t0
        pairs = list(itertools.combinations(res.plans, 2))
        min_pairwise = min((difference(a.designations, b.designations) for a, b in pairs),
                           default=None)
        for _, r in res.table.iterrows():
            rows.append({"what": r["plan"], "objective": r["objective"],
                         "above_bound": r["above_bound_pct"] / 100.0,
                         "designations": r["designations"],
                         "difference": (r["difference_to_nearest_pct"] / 100.0
                                        if r["difference_to_nearest_pct"] == r[
                                            "difference_to_nearest_pct"] else None),
                         "check": r["check"], "seconds": _seconds(res.folder, r["plan"])})
        classes: dict[str, Any] = {}
        for workers in (None, 2):
            log(f"alternatives: necessity, workers {workers or 'none (sequential)'}")
            t1 = time.perf_counter()
            table = run_necessity(res, case_time_limit=CASE_LIMIT, workers=workers)
            classes[str(workers)] = dict(zip(zip(table["kind"], table["provider_id"],
                                                 table["function"], strict=True),
                                             table["necessity"], strict=True))
            counts = table["necessity"].value_counts().to_dict()
            settled = table["settled_by"].value_counts().to_dict()
            rows.append({"what": f"necessity, {workers or 1} process(es)",
                         "seconds": time.perf_counter() - t1, "cases": len(table),
                         **{f"n_{k}": counts.get(k, 0) for k in (
                             "needed", "replaceable", "possible", "never", "undecided")},
                         "settled": ", ".join(f"{k} {v}" for k, v in sorted(settled.items()))})
    same = classes["None"] == classes["2"]
    payload = {
        "title": f"Near-optimal alternatives and necessity ({scenario}, slack {SLACK:.0%})",
        "scenario": scenario,
        "notes": [__doc__.split("\n\n")[1].replace("\n", " "),
                  "difference = |A Δ B| / |A ∪ B| over the designations, against the nearest "
                  "earlier plan; above bound = cost / the best plan's proven bound − 1 "
                  "(at most the slack). The machine is shared: see the load in the header."],
        "summary": {"search_s": search_s, "plans": len(res.plans),
                    "max_above_bound_share": float(res.table["above_bound_pct"].max()) / 100,
                    "min_pairwise_difference_share": min_pairwise, "stopped": res.stopped or None,
                    "same_classification_2_workers": same},
        "columns": [
            ["what", "plan / run", "str"], ["objective", "objective", "obj"],
            ["above_bound", "above bound", "pct"], ["designations", "designations", "int"],
            ["difference", "difference to nearest", "pct"], ["check", "check", "str"],
            ["seconds", "seconds", "s"], ["cases", "cases", "int"],
            ["n_needed", "needed", "int"], ["n_replaceable", "replaceable", "int"],
            ["n_possible", "possible", "int"], ["n_never", "never", "int"],
            ["n_undecided", "undecided", "int"], ["settled", "settled by", "str"]],
        "rows": rows,
    }
    write_section("alternatives", payload, quick=quick)
    return payload


def _seconds(folder: Path, plan: str) -> float | None:
    from specialeplan.results.reading import read_kpis_object

    value = read_kpis_object(folder / "runs" / plan).get("total_seconds")
    return float(value) if isinstance(value, int | float) else None


def main() -> None:
    """CLI: ``python benchmarks/bench_alternatives.py [--quick]``."""
    ap = argparse.ArgumentParser(description="alternatives section")
    ap.add_argument("--quick", action="store_true", help="scenarios/small.yaml instead")
    run(ap.parse_args().quick)


if __name__ == "__main__":
    main()
