"""Section ``orlib``: every instance of ``orlib/optima.csv`` through ``solve_classic``.

Both backends (``highs`` Pyomo/APPSI and ``highs-direct``), ``mip_rel_gap = 0``, default
options otherwise (start heuristic on). At the optimum: relative error ≤ 1e-6 (the published
cap* optima are rounded to three decimals).
"""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd
from common import ORLIB_DIR, log, run_case, write_section

SOLVERS = ("highs", "highs-direct")
QUICK = ("pmed1", "cap41")
TOL = 1e-6
TIME_LIMIT = 600.0


def instances(quick: bool) -> list[str]:
    """Instance names from optima.csv (the quick subset with ``quick``)."""
    names = list(pd.read_csv(ORLIB_DIR / "optima.csv")["instance"])
    return [n for n in names if n in QUICK] if quick else names


def run(quick: bool = False) -> dict[str, Any]:
    """Solve every instance with both backends; write ``results/orlib.json``."""
    rows: list[dict[str, Any]] = []
    for name in instances(quick):
        for solver in SOLVERS:
            log(f"orlib: {name} {solver}")
            rec = run_case({"case": "classic", "path": str(ORLIB_DIR / f"{name}.txt"),
                            "solver": solver, "gap": 0.0, "time_limit": TIME_LIMIT},
                           timeout=TIME_LIMIT + 300)
            rec.setdefault("instance", name)
            rec.setdefault("solver", solver)
            err = rec.get("rel_error")
            rec["at_optimum"] = err is not None and err <= TOL
            rows.append(rec)
    payload = {
        "title": "OR-Library instances (solve_classic, mip_rel_gap 0)",
        "notes": [f"at optimum: relative error to the published optimum <= {TOL:g}; "
                  f"time limit {TIME_LIMIT:g} s; every case in a fresh process."],
        "columns": [
            ["instance", "instance", "str"], ["solver", "solver", "str"],
            ["rows", "rows", "int"], ["cols", "cols", "int"], ["nonzeros", "nonzeros", "int"],
            ["binaries", "binaries", "int"], ["build_s", "build s", "s"],
            ["solve_s", "solve s", "s"], ["total_s", "total s", "s"],
            ["objective", "objective", "obj"], ["published", "published", "obj"],
            ["rel_error", "rel error", "sci"], ["gap", "gap", "pct"],
            ["status", "status", "str"], ["at_optimum", "at optimum", "bool"],
            ["peak_mib", "peak MiB", "mib"], ["error", "error", "str"]],
        "rows": rows,
    }
    write_section("orlib", payload, quick=quick)
    return payload


def main() -> None:
    """CLI: ``python benchmarks/bench_orlib.py [--quick]``."""
    ap = argparse.ArgumentParser(description="orlib section")
    ap.add_argument("--quick", action="store_true")
    run(ap.parse_args().quick)


if __name__ == "__main__":
    main()
