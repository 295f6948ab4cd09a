"""Section ``spopt``: PySAL spopt's ``PMedian`` side by side with ``solve_classic``.

Same run, same distance matrix (``read_classic(path).instance.provider_travel`` pivoted to
n×n), unit weights, p from the file. spopt: ``PMedian.from_cost_matrix`` + ``solve`` with
PuLP's HiGHS (in-process highspy) when available, else HiGHS_CMD, else CBC — named in the
table. Timed: spopt build + solve; ours ``solve_classic`` (build + start heuristic + solve).
Reading the file and pivoting the matrix are not timed on either side. All at relative gap 0.
"""

from __future__ import annotations

import argparse
import importlib.util
from typing import Any

from bench_orlib import instances
from common import ORLIB_DIR, log, rel_diff, run_case, write_section

OURS = ("highs-direct", "highs")


def spopt_status() -> str | None:
    """None when spopt and pulp import; otherwise why not."""
    for mod in ("spopt", "pulp"):
        if importlib.util.find_spec(mod) is None:
            return (f"{mod} is not installed (pip install -e '.[bench]' installs spopt and "
                    "pulp)")
    return None


def run(quick: bool = False) -> dict[str, Any]:
    """Run spopt and our two backends per pmed instance; write ``results/spopt.json``."""
    names = [n for n in instances(quick) if n.startswith("pmed")]
    missing = spopt_status()
    rows: list[dict[str, Any]] = []
    if missing is None:
        for name in names:
            path = str(ORLIB_DIR / f"{name}.txt")
            log(f"spopt: {name} spopt")
            sp = run_case({"case": "spopt", "path": path, "gap": 0.0}, timeout=1800)
            ours: dict[str, dict[str, Any]] = {}
            for solver in OURS:
                log(f"spopt: {name} {solver}")
                ours[solver] = run_case({"case": "classic", "path": path, "solver": solver,
                                         "gap": 0.0}, timeout=1800)
            log(f"spopt: {name} highs-direct without start heuristic")
            ours["nostart"] = run_case({"case": "classic", "path": path,
                                        "solver": "highs-direct", "gap": 0.0,
                                        "warm_start": False}, timeout=1800)
            rows.append(_row(name, sp, ours))
    ok = [r for r in rows if r.get("ratio_direct") is not None]
    payload = {
        "title": "p-median: spopt PMedian vs solve_classic",
        "unavailable": missing,
        "notes": [__doc__.split("\n\n")[1].replace("\n", " "),
                  "ratio = spopt total s / ours total s (> 1: ours faster). 'ours direct' and "
                  "'ours Pyomo' use the default options (start heuristic on); 'no start' is "
                  "highs-direct with warm_start off. equal obj: all four objectives equal."],
        "summary": {
            "instances": len(rows),
            "min_ratio_direct": min((r["ratio_direct"] for r in ok), default=None),
            "min_ratio_highs": min((r["ratio_highs"] for r in ok if r.get("ratio_highs")),
                                   default=None),
            "all_equal_objective": bool(rows) and all(r.get("equal_objective") for r in rows),
            "all_faster_direct": bool(ok) and len(ok) == len(rows)
            and all(r["ratio_direct"] > 1 for r in ok),
        },
        "columns": [
            ["instance", "instance", "str"], ["n", "n", "int"], ["p", "p", "int"],
            ["spopt_solver", "spopt solver", "str"], ["spopt_build_s", "spopt build s", "s"],
            ["spopt_solve_s", "spopt solve s", "s"], ["spopt_total_s", "spopt total s", "s"],
            ["direct_total_s", "ours direct s", "s"], ["highs_total_s", "ours Pyomo s", "s"],
            ["nostart_total_s", "ours direct, no start s", "s"],
            ["ratio_direct", "spopt/direct", "ratio"], ["ratio_highs", "spopt/Pyomo", "ratio"],
            ["ratio_nostart", "spopt/direct no start", "ratio"],
            ["spopt_objective", "spopt obj", "obj"], ["direct_objective", "ours obj", "obj"],
            ["published", "published", "obj"], ["equal_objective", "equal obj", "bool"],
            ["spopt_peak_mib", "spopt MiB", "mib"], ["direct_peak_mib", "direct MiB", "mib"],
            ["error", "error", "str"]],
        "rows": rows,
    }
    write_section("spopt", payload, quick=quick)
    return payload


def _row(name: str, sp: dict[str, Any], ours: dict[str, dict[str, Any]]) -> dict[str, Any]:
    d, h, ns = ours["highs-direct"], ours["highs"], ours["nostart"]
    errors = "; ".join(f"{k}: {r['error']}" for k, r in
                       (("spopt", sp), ("direct", d), ("highs", h), ("no start", ns))
                       if "error" in r)
    objs = [r.get("objective") for r in (sp, d, h, ns)]
    equal = None not in objs and all((rel_diff(objs[0], o) or 0) <= 1e-9 for o in objs)

    def ratio(r: dict[str, Any]) -> float | None:
        if "total_s" in sp and r.get("total_s"):
            return sp["total_s"] / r["total_s"]
        return None

    return {
        "instance": name, "n": sp.get("n"), "p": sp.get("p"), "spopt_solver": sp.get("solver"),
        "spopt_status": sp.get("status"), "spopt_build_s": sp.get("build_s"),
        "spopt_solve_s": sp.get("solve_s"), "spopt_total_s": sp.get("total_s"),
        "direct_total_s": d.get("total_s"), "highs_total_s": h.get("total_s"),
        "direct_start_s": d.get("start_s"), "highs_start_s": h.get("start_s"),
        "nostart_total_s": ns.get("total_s"), "ratio_direct": ratio(d),
        "ratio_highs": ratio(h), "ratio_nostart": ratio(ns),
        "spopt_objective": objs[0], "direct_objective": objs[1], "highs_objective": objs[2],
        "published": d.get("published"), "equal_objective": equal,
        "spopt_peak_mib": sp.get("peak_mib"), "direct_peak_mib": d.get("peak_mib"),
        "highs_peak_mib": h.get("peak_mib"), "error": errors or None,
    }


def main() -> None:
    """CLI: ``python benchmarks/bench_spopt.py [--quick]``."""
    ap = argparse.ArgumentParser(description="spopt section")
    ap.add_argument("--quick", action="store_true")
    run(ap.parse_args().quick)


if __name__ == "__main__":
    main()
