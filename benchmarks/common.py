"""Shared helpers of the benchmark sections: machine info, one-case subprocesses, JSON I/O.

Every measured case runs in a fresh Python process (``_case.py``) so that its peak memory
(``ru_maxrss`` of that process) belongs to that case alone. A section collects the records
and writes ``results/<section>.json``; ``render.py`` turns the JSON files into BENCHMARKS.md.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata as md
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
ORLIB_DIR = REPO / "data" / "orlib_instances"
CASE_SCRIPT = BENCH_DIR / "_case.py"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    """Machine, date and package versions for the header of a result file."""
    from specialeplan.solvers.highs import highs_version

    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "versions": {
            "python": platform.python_version(),
            "specialeplan": _version("specialeplan"),
            "HiGHS (highspy)": f"{highs_version()} ({_version('highspy')})",
            "pyomo": _version("pyomo"),
            "spopt": _version("spopt"),
            "pulp": _version("pulp"),
        },
    }


def run_case(spec: dict[str, Any], timeout: float = 1800.0, *, python: str | None = None,
             root: Path | None = None) -> dict[str, Any]:
    """Run one case in a fresh interpreter; its JSON record, or ``{"error": ...}``.

    ``wall_s`` (interpreter start to exit, imports included) is added to the record.
    ``python``/``root``: another interpreter and checkout (with its own ``benchmarks/_case.py``)
    to time, e.g. the code before a change, in the same run.
    """
    root = root or REPO
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "case.json"
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                [python or sys.executable, str(root / "benchmarks" / CASE_SCRIPT.name),
                 json.dumps(spec), str(out)],
                cwd=root, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return {"error": f"harness timeout after {timeout:.0f} s", "spec": spec}
        wall = time.perf_counter() - t0
        if proc.returncode != 0 or not out.is_file():
            tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-5:]
            return {"error": f"exit {proc.returncode}: " + " | ".join(tail), "spec": spec}
        record = json.loads(out.read_text())
    record["wall_s"] = wall
    return record


def write_section(section: str, payload: dict[str, Any], *, quick: bool) -> Path:
    """Write ``results/<section>.json`` with machine info and the command line."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {"section": section, "quick": quick, "machine": machine_info(),
               "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]), **payload}
    path = RESULTS_DIR / f"{section}.json"
    path.write_text(json.dumps(payload, indent=1, default=_json_default) + "\n")
    return path


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    return str(obj)


def rel_diff(a: float | None, b: float | None) -> float | None:
    """|a − b| / max(|a|, |b|, 1); None when either is missing."""
    if a is None or b is None:
        return None
    return abs(a - b) / max(abs(a), abs(b), 1.0)


def log(msg: str) -> None:
    """Progress line on stderr (the tables go to JSON)."""
    print(msg, file=sys.stderr, flush=True)
