"""Section ``resolve``: re-solving a changed national plan from the earlier result.

``scenarios/national_2030.yaml`` with ``highs-direct``: a cold solve (the earlier result),
then one change solved twice in the same process: by ``api.resolve`` (the earlier plan
repaired as start; the earlier bound reused when the change is a restriction) and cold.
Changes: forbid the busiest specialfunktion (N-1), and raise the minimum borgerforløb of
its speciale by 5.
"""

from __future__ import annotations

import argparse
from typing import Any

from common import log, run_case, write_section

SCENARIO = "scenarios/national_2030.yaml"
CHANGES = ("forbid_busiest", "min_cases_plus_5")
TIME_LIMIT, QUICK_TIME_LIMIT = 120.0, 30.0


def run(quick: bool = False) -> dict[str, Any]:
    """Both changes; write ``results/resolve.json``."""
    limit = QUICK_TIME_LIMIT if quick else TIME_LIMIT
    rows = []
    for change in CHANGES[:1] if quick else CHANGES:
        log(f"resolve: {change} ({limit:g} s per solve)")
        rec = run_case({"case": "resolve", "scenario": SCENARIO, "change": change,
                        "time_limit": limit}, timeout=4 * limit + 600)
        rows.append(rec)
    payload = {
        "title": f"Re-solve after one change vs cold solve ({SCENARIO}, {limit:g} s limit)",
        "notes": [__doc__.split("\n\n")[1].replace("\n", " "),
                  "speedup = cold s / re-solve s."],
        "summary": {"min_speedup": min((r["speedup"] for r in rows if r.get("speedup")),
                                       default=None)},
        "columns": [
            ["change", "change", "str"], ["first_gap", "earlier gap", "pct"],
            ["repair", "repair", "str"], ["bound_reused", "bound reused", "bool"],
            ["resolve_s", "re-solve s", "s"], ["resolve_gap", "re-solve gap", "pct"],
            ["resolve_status", "status", "str"], ["cold_s", "cold s", "s"],
            ["cold_gap", "cold gap", "pct"], ["cold_status", "cold status", "str"],
            ["resolve_objective", "re-solve objective", "obj"],
            ["cold_objective", "cold objective", "obj"], ["speedup", "speedup", "ratio"],
            ["error", "error", "str"]],
        "rows": rows,
    }
    write_section("resolve", payload, quick=quick)
    return payload


def main() -> None:
    """CLI: ``python benchmarks/bench_resolve.py [--quick]``."""
    ap = argparse.ArgumentParser(description="resolve section")
    ap.add_argument("--quick", action="store_true")
    run(ap.parse_args().quick)


if __name__ == "__main__":
    main()
