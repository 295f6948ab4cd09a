"""Section ``bound``: which formulation lets HiGHS prove the strongest bound.

``scenarios/national_2030.yaml``, each variant in a fresh process, one thread: the LP
relaxation, then HiGHS for ``SECONDS`` with no start and heuristics off (so only the bound
moves). Variants: the per-arc volume rows (the formulation before the aggregate one), the
aggregate volume column X[p,s] (the default), the aggregate one without the exact reduction
of pairs that cannot reach the minimum volume, and the aggregate one plus knapsack rows
Σ_s m_s·y[p,s] ≤ C_p (implied; offered to HiGHS as a cut source).
"""

from __future__ import annotations

import argparse
from typing import Any

from common import log, run_case, write_section

SCENARIO = "scenarios/national_2030.yaml"
SECONDS, QUICK_SECONDS = 60.0, 15.0
VARIANTS: dict[str, dict[str, Any]] = {
    "per-arc rows": {"set": ["model.volume_formulation=per_arc"]},
    "aggregate X (default)": {"set": []},
    "aggregate X + knapsack rows": {"set": [], "knapsack": True},
    "per-arc rows, strong reach": {"set": ["model.volume_formulation=per_arc",
                                           "model.reach_formulation=strong"]},
}


def run(quick: bool = False) -> dict[str, Any]:
    """Every variant; write ``results/bound.json``."""
    seconds = QUICK_SECONDS if quick else SECONDS
    rows = []
    for variant, spec in VARIANTS.items():
        log(f"bound: {variant} ({seconds:g} s)")
        rec = run_case({"case": "bound", "scenario": SCENARIO, "variant": variant,
                        "seconds": seconds, **spec}, timeout=seconds + 900)
        rec.setdefault("variant", variant)
        rows.append(rec)
    base = next((r.get("bound") for r in rows if r.get("variant") == "per-arc rows"), None)
    for r in rows:
        if base and r.get("bound"):
            r["gain"] = r["bound"] - base
    payload = {
        "title": f"Bound after {seconds:g} s by formulation ({SCENARIO})",
        "notes": [__doc__.split("\n\n")[1].replace("\n", " "),
                  "gain: bound minus the per-arc rows' bound, same run."],
        "columns": [
            ["variant", "variant", "str"], ["rows", "rows", "int"],
            ["columns", "cols", "int"], ["nonzeros", "nonzeros", "int"],
            ["lp_bound", "LP bound", "obj"], ["lp_s", "LP s", "s"],
            ["bound", f"bound after {seconds:g} s", "obj"], ["gain", "gain", "obj"],
            ["error", "error", "str"]],
        "rows": rows,
    }
    write_section("bound", payload, quick=quick)
    return payload


def main() -> None:
    """CLI: ``python benchmarks/bench_bound.py [--quick]``."""
    ap = argparse.ArgumentParser(description="bound section")
    ap.add_argument("--quick", action="store_true")
    run(ap.parse_args().quick)


if __name__ == "__main__":
    main()
