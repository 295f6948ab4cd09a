"""Section ``rollout``: the phased rollout wave by wave, and the price of phasing.

``scenarios/rollout_2030.yaml`` (``--quick``: two waves of one speciale each on
``scenarios/base.yaml``'s rules) with ``specialeplan rollout``: each wave's time, gap and
objective, then all specialer at once on the final year's demand. The waves run twice,
with the scenario's ``solver.warm_start: false`` (HiGHS alone) and with the start
heuristic (``true``), to show which is faster for waves whose earlier specialer are fixed.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from common import REPO, log, write_section

FULL = "scenarios/rollout_2030.yaml"
QUICK_WAVES = {2027: ["horehandicap"], 2028: ["doevblindhed"]}


def _scenario(quick: bool, root: Path) -> Path:
    if not quick:
        return REPO / FULL
    import yaml

    path = root / "rollout_quick.yaml"
    path.write_text(yaml.safe_dump({
        "name": "rollout_quick", "extends": str(REPO / "scenarios" / "base.yaml"),
        "model": {"specialer": None},
        "rollout": {**QUICK_WAVES, "base_year": 2026, "demand_growth": 1.02},
        "solver": {"time_limit": 60}}, sort_keys=False), encoding="utf-8")
    return path


def run(quick: bool = False) -> dict[str, Any]:
    """Both start settings; write ``results/rollout.json``."""
    from specialeplan.analyses.rollout import phasing_sentence, run_rollout
    from specialeplan.scenarios.schema import load_scenario

    rows: list[dict[str, Any]] = []
    price: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = _scenario(quick, root)
        for warm in (False, True):
            log(f"rollout: {path.name}, warm_start {warm}")
            resolved = load_scenario(path, [f"solver.warm_start={str(warm).lower()}"])
            out = run_rollout(resolved, root / f"warm-{warm}", compare=not warm, excel=False,
                              check=False)
            for w in [*out.waves, *([out.all_at_once] if out.all_at_once else [])]:
                rows.append({"scenario": str(FULL if not quick else "quick: 2 waves"),
                             "warm_start": warm, "year": str(w.year),
                             "plan": "all at once" if not w.new else ", ".join(w.new),
                             "specialer": len(w.planned), "seconds": w.seconds,
                             "objective": w.objective, "gap": w.mip_gap, "status": w.status})
            if not warm:
                price = out.phasing
    total = {warm: sum(r["seconds"] for r in rows if r["warm_start"] == warm
                       and r["plan"] != "all at once") for warm in (False, True)}
    payload = {
        "title": f"Phased rollout wave by wave ({FULL if not quick else 'quick: 2 waves'})",
        "scenario": FULL,
        "notes": [__doc__.split("\n\n")[1].replace("\n", " "),
                  "seconds per plan include building the model and writing its folder. "
                  "The machine is shared: see the load in the header.",
                  *([phasing_sentence(price)] if price else [])],
        "summary": {"waves_heuristic_off_s": total[False], "waves_heuristic_on_s": total[True],
                    "price_larger_than_gaps": price.get("larger_than_gaps")},
        "columns": [
            ["scenario", "scenario", "str"], ["warm_start", "start heuristic", "bool"],
            ["year", "year", "str"], ["plan", "new specialer", "str"],
            ["specialer", "specialer", "int"], ["seconds", "seconds", "s"],
            ["objective", "objective", "obj"], ["gap", "gap", "pct"],
            ["status", "status", "str"], ["error", "error", "str"]],
        "rows": rows,
    }
    write_section("rollout", payload, quick=quick)
    return payload


def main() -> None:
    """CLI: ``python benchmarks/bench_rollout.py [--quick]``."""
    ap = argparse.ArgumentParser(description="rollout section")
    ap.add_argument("--quick", action="store_true")
    run(ap.parse_args().quick)


if __name__ == "__main__":
    main()
