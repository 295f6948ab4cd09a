"""What a sweep reports, from its run folders only: the summary row of a run, the
non-dominated runs (``--pareto``) and the stability of designations across runs.

Every function reads results folders through the file contract
(:mod:`specialeplan.results.reading`), so it works on any run folder, also on runs written
before a sweep re-used them (``--resume``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from specialeplan.model.families import TERMS
from specialeplan.results.contract import (
    INFEASIBILITY,
    INSTANCE_TABLES,
    RESULT_TABLES,
    SOLUTION_STATUSES,
)
from specialeplan.results.reading import read_csv, read_kpis_object

#: statuses of runs with a solution (the rows stability and Pareto fronts use)
STATUS_COLUMNS = SOLUTION_STATUSES
#: columns that measure time: they differ between runs of the same scenario, and are left
#: out when two summaries are compared for equality
TIMING_COLUMNS = ("seconds", "build_seconds", "solve_seconds", "write_seconds")
#: the KPI columns of a summary, in order (docs/results-format.md, "Sweeps")
KPI_COLUMNS = ("designations", "advisory_designations", "mean_travel_minutes",
               "p95_travel_minutes", "max_travel_minutes", "total_unmet", "reach_shortfalls",
               "changes_from_today", "new_designations", "dropped_designations",
               "outreach_cases", "near_family_cases", "moved_cases")
#: the summary's columns after ``run`` and the swept keys, in order
SUMMARY_ORDER = ("status", "reason", "objective", "best_bound", "gap",
                 *(f"term_{t}" for t in TERMS), *KPI_COLUMNS, "reused_from", "bound_reused",
                 "key", *TIMING_COLUMNS)
#: summary columns ``--pareto`` may trade off (both minimised)
PARETO_CHOICES = ("objective", *(f"term_{t}" for t in TERMS), *KPI_COLUMNS)
DIGITS = 6  # summary values are rounded to 1e-6: exact to the solver's precision, no noise


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value v with Σ weights of values ≤ v ≥ q·Σ weights (the inverse of the
    weighted distribution function; ``nan`` without weight)."""
    values, weights = np.asarray(values, float), np.asarray(weights, float)
    keep = weights > 0
    if not keep.any():
        return float("nan")
    order = np.argsort(values[keep], kind="stable")
    v, w = values[keep][order], weights[keep][order]
    cum = np.cumsum(w)
    i = int(np.searchsorted(cum, q * cum[-1] - 1e-9 * cum[-1]))
    return float(v[min(i, len(v) - 1)])


def _round(value: Any) -> Any:
    if isinstance(value, float) and np.isfinite(value):
        return round(value, DIGITS) + 0.0  # + 0.0: no "-0.0"
    return value


def scalar_values(values: dict[str, Any]) -> dict[str, Any]:
    """Swept values as table cells: lists and mappings as compact JSON text."""
    return {k: json.dumps(v, ensure_ascii=False, separators=(",", ":"))
            if isinstance(v, list | dict) else v for k, v in values.items()}


def _reason(folder: Path, kpis: dict[str, Any]) -> str | None:
    """Why a run has no (proven) solution: the note, or the rules infeasibility.csv names."""
    if kpis.get("note"):
        return str(kpis["note"])
    path = folder / INFEASIBILITY
    if kpis.get("status") == "infeasible" and path.is_file():
        try:
            inf = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (OSError, ValueError):
            return "infeasible (infeasibility.csv unreadable)"
        parts = []
        for fam, grp in inf.groupby("family", sort=False):
            where = sorted({s for s in grp.get("function", pd.Series(dtype=str)) if s})
            parts.append(fam + (f" ({', '.join(where[:3])})" if where else ""))
        return "infeasible: " + "; ".join(parts)
    return None


def summary_row(folder: Path, values: dict[str, Any] | None = None,
                name: str | None = None) -> dict[str, Any]:
    """One summary row from a results folder: the run's name and swept ``values``, status,
    reason, objective, bound, gap, every objective term (``term_<name>``), the KPIs of
    :data:`KPI_COLUMNS`, what was re-used (``sweep_run.json``) and the timings.

    ``p95_travel_minutes``: the 95th percentile of family travel over served borgerforløb
    (outreach counts 0 minutes, as in ``mean_travel_minutes``). ``changes_from_today`` =
    ``new_designations`` (designated now, not today) + ``dropped_designations``.
    """
    kpis = read_kpis_object(folder)
    record: dict[str, Any] = {}
    if (folder / "sweep_run.json").is_file():
        try:
            record = json.loads((folder / "sweep_run.json").read_text(encoding="utf-8"))
        except ValueError:
            record = {}
    row: dict[str, Any] = {"run": name or folder.name, **scalar_values(values or {}),
                           "status": kpis.get("status"), "reason": _reason(folder, kpis),
                           "objective": kpis.get("objective"),
                           "best_bound": kpis.get("best_bound"), "gap": kpis.get("mip_gap")}
    terms = kpis.get("terms") if isinstance(kpis.get("terms"), dict) else {}
    for t in TERMS:
        row[f"term_{t}"] = terms.get(t)
    solved = kpis.get("status") in SOLUTION_STATUSES
    for k in KPI_COLUMNS:
        row[k] = kpis.get(k) if solved else None
    if solved:
        asg = read_csv(folder, RESULT_TABLES["assignments"])
        des = read_csv(folder, RESULT_TABLES["designations"])
        minutes = np.where(asg["mode"] == "outreach", 0.0, asg["travel_minutes"])
        row["p95_travel_minutes"] = weighted_quantile(minutes, asg["cases"].to_numpy(), 0.95)
        new = int((~des["designated_today"]).sum())
        dropped = int(kpis.get("dropped_designations") or 0)
        row.update(new_designations=new, dropped_designations=dropped,
                   changes_from_today=new + dropped)
    row.update(reused_from=record.get("reused_from"),
               bound_reused=record.get("bound_reused"), key=record.get("key"),
               seconds=kpis.get("total_seconds"),
               **{k: kpis.get(k) for k in TIMING_COLUMNS if k != "seconds"})
    return {k: _round(v) for k, v in row.items()}


# ----------------------------------------------------------------------------- Pareto
def pareto_front(table: pd.DataFrame, columns: tuple[str, str] | list[str]) -> pd.Series:
    """True for the runs no other run dominates on ``columns`` (all minimised): another run
    dominates when it is no worse in both and better in one. Runs without a solution (or a
    value) are never on the front."""
    vals = table[list(columns)].apply(pd.to_numeric, errors="coerce")
    ok = vals.notna().all(axis=1)
    if "status" in table:
        ok &= table["status"].isin(STATUS_COLUMNS)
    a = vals.to_numpy(dtype=float)
    out = np.zeros(len(table), dtype=bool)
    idx = np.flatnonzero(ok.to_numpy())
    for i in idx:
        other = a[idx]
        no_worse = (other <= a[i] + 1e-9).all(axis=1)
        better = (other < a[i] - 1e-9).any(axis=1)
        out[i] = not (no_worse & better).any()
    return pd.Series(out, index=table.index, name="pareto")


def write_pareto(table: pd.DataFrame, columns: tuple[str, str] | list[str], path: Path,
                 *, title: str = "", label: str = "run") -> Path:
    """A scatter plot of the runs on two columns with the non-dominated ones joined."""
    from matplotlib.figure import Figure

    # a bare Figure, never pyplot: a sweep run from a notebook keeps its backend and figures
    x, y = columns
    front = pareto_front(table, columns)
    vals = table[[x, y]].apply(pd.to_numeric, errors="coerce")
    fig = Figure(figsize=(7, 5))
    ax = fig.subplots()
    ax.scatter(vals[x], vals[y], color="0.6", label="dominated")
    f = vals[front.to_numpy()].sort_values(x)
    ax.plot(f[x], f[y], "o-", color="tab:red", label="non-dominated")
    for (_, r), name in zip(f.iterrows(), table.loc[f.index, label], strict=True):
        ax.annotate(str(name), (r[x], r[y]), fontsize=7, xytext=(4, 4),
                    textcoords="offset points")
    ax.set_xlabel(f"{x} (lower is better)")
    ax.set_ylabel(f"{y} (lower is better)")
    ax.set_title(f"{title}: trade-off {x} vs {y}" if title else f"{x} vs {y}")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


# ----------------------------------------------------------------------------- stability
def stability(folders: list[Path]) -> pd.DataFrame:
    """Per provider and speciale designated in any of the runs: in how many runs it is a
    specialfunktion (``runs_designated``, ``share``) and a rådgivningsfunktion
    (``runs_advisory``), with the provider's name and municipality. ``core`` marks the
    pairs designated in every run, ``marginal`` those in at most half of them. Sorted by
    speciale, then most stable first."""
    cols = ["function", "provider_id", "provider_name", "municipality_code",
            "municipality_name", "runs_designated", "runs_advisory", "n_runs", "share",
            "core", "marginal"]
    parts = []
    for folder in folders:
        des = read_csv(folder, RESULT_TABLES["designations"])
        parts.append(des[["provider_id", "function", "is_advisory"]])
    if not parts:
        return pd.DataFrame(columns=cols)
    n = len(folders)
    allp = pd.concat(parts, ignore_index=True)
    st = allp.groupby(["function", "provider_id"], as_index=False).agg(
        runs_designated=("is_advisory", "size"), runs_advisory=("is_advisory", "sum"))
    names = _names(folders[0])
    st = st.merge(names, on="provider_id", how="left")
    st["n_runs"] = n
    st["share"] = (st["runs_designated"] / n).round(DIGITS)
    st["core"] = st["runs_designated"] == n
    st["marginal"] = st["runs_designated"] <= n / 2
    st["runs_advisory"] = st["runs_advisory"].astype(int)
    st = st.sort_values(["function", "runs_designated", "provider_id"],
                        ascending=[True, False, True])
    return st[cols].reset_index(drop=True)


def _names(folder: Path) -> pd.DataFrame:
    """provider_id → provider_name, municipality_code, municipality_name (instance/)."""
    # through the contract: a missing instance/ is a named error, not a FileNotFoundError
    prov = read_csv(folder, INSTANCE_TABLES["providers"])
    munis = read_csv(folder, INSTANCE_TABLES["municipalities"])
    out = prov[["provider_id", "name", "municipality_code"]].rename(
        columns={"name": "provider_name"})
    return out.merge(munis[["code", "name"]].rename(
        columns={"code": "municipality_code", "name": "municipality_name"}),
        on="municipality_code", how="left")


def write_stability(st: pd.DataFrame, path: Path, *, n_runs: int, title: str = "") -> Path:
    """Heat map: providers (rows, with name and municipality) × specialer (columns), the
    colour the share of runs in which the provider is a specialfunktion of the speciale."""
    from matplotlib.figure import Figure

    label = st["provider_id"] + " " + st["provider_name"].fillna("") + " (" + st[
        "municipality_name"].fillna("") + ")"
    grid = st.assign(label=label).pivot_table(index="label", columns="function",
                                              values="share", aggfunc="max")
    grid = grid.loc[grid.max(axis=1).sort_values(ascending=False).index]
    h = max(3.0, 0.22 * len(grid) + 1.5)
    w = max(5.0, 1.1 * len(grid.columns) + 4.5)
    fig = Figure(figsize=(w, min(h, 60.0)))  # not pyplot (see write_pareto)
    ax = fig.subplots()
    im = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(grid.columns)))
    ax.set_xticklabels(grid.columns, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(grid)))
    ax.set_yticklabels(grid.index, fontsize=6)
    fig.colorbar(im, ax=ax, label=f"share of {n_runs} runs designated")
    ax.set_title((f"{title}: " if title else "") + "stability of specialfunktioner "
                 "(1 = robust core, blank = never)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
