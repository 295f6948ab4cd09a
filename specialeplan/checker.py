"""Independent checker: re-verify a results folder from its files only.

The contract is ``docs/results-format.md``. The checker reads the result tables
(``designations``, ``assignments``, ``coverage``, ``reach``, ``kpis.json``) and the solved
inputs under ``instance/`` with pandas, yaml and json, and re-checks every constraint family
of SPEC §2 plus the objective. It deliberately shares no code with the model builder (no
Pyomo, nothing from :mod:`specialeplan.model` except :class:`ModelParams` to read the
``model`` section of ``scenario.resolved.yaml``), so a bug in the formulation or in the
solution export shows up as a violation here.

Families (``model.families.<switch>`` off → that family is skipped):

==================== ===================== ==================================================
family               switch                what is checked
==================== ===================== ==================================================
demand_balance       (always)              Σ assigned + unmet = demand; served = Σ assigned;
                     allow_unmet           unmet >= 0 (= 0 when unmet is not allowed)
linking              (always)              assignments only to designated, competent pairs;
                                           designations.cases = Σ assignments of the pair
capacity             capacity              Σ cases at a provider <= providers.capacity
speciale_capacity    speciale_capacity     Σ_k cases of a pair <= competence.max_cases
min_volume           min_volume            cases of a designation >= min_cases
travel_cutoff        (table always)        travel_minutes = provider_travel; <= cutoff
reach                reach                 every municipality advised (shares sum to 1) by a
                     allow_reach_shortfall rådgivningsfunktion within reach_minutes
advisory_capacity    reach                 Σ shares per rådgivningsfunktion <= advisory cap.
count_bounds         count_bounds          min/max specialfunktioner and rådgivningsfunktioner
region_bounds        region_bounds         min/max specialfunktioner per (speciale, region)
max_specialer        max_specialer         specialer per provider <= limit
fixed                fixed                 fixed / keep_today designated, forbidden not
change_limit         change_limit          #changes vs designated_today <= max_changes
objective            (always)              every term and the total vs ``kpis.json``
kpis                 (always)              kpis totals vs the tables (when present)
duplicates           (always)              one row per key in each result table
==================== ===================== ==================================================
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import ValidationError

from specialeplan.errors import DataValidationError
from specialeplan.model.instance import parse_bool
from specialeplan.model.params import ModelParams

__all__ = ["TERMS", "CheckReport", "Violation", "check_results"]

TERMS = ("travel", "designation", "advisory", "unmet", "reach_shortfall", "change")
MAX_LINES_PER_FAMILY = 20
_EPS_TRAVEL = 1e-9  # the model builder's own slack on travel/reach cutoffs

# column kinds: "id" non-empty text, "text" text (empty allowed), "num" number (not NaN),
# "num?" number or empty, "bool" true/false or 0/1
_Schema = Mapping[str, str]
RESULT_SCHEMAS: dict[str, _Schema] = {
    "designations.csv": {
        "provider_id": "id", "municipality_code": "text", "speciale": "id", "cases": "num",
        "is_advisory": "bool", "designated_today": "bool", "advised_municipalities": "num"},
    "assignments.csv": {
        "municipality_code": "id", "provider_id": "id", "speciale": "id", "cases": "num",
        "travel_minutes": "num"},
    "coverage.csv": {
        "municipality_code": "id", "speciale": "id", "demand": "num", "served": "num",
        "unmet": "num", "mean_travel_minutes": "num?"},
    "reach.csv": {
        "municipality_code": "id", "speciale": "id", "advisory_provider_id": "text",
        "travel_minutes": "num?", "share": "num"},
}
INSTANCE_SCHEMAS: dict[str, _Schema] = {
    "municipalities.csv": {"code": "id", "region": "text"},
    "providers.csv": {
        "provider_id": "id", "municipality_code": "id", "owner": "text", "capacity": "num",
        "advisory_capacity": "num"},
    "competence.csv": {
        "provider_id": "id", "speciale": "id", "max_cases": "num", "designated_today": "bool",
        "designation_cost": "num", "advisory_cost": "num"},
    "demand.csv": {"municipality_code": "id", "speciale": "id", "demand": "num"},
    "provider_travel.csv": {"municipality_code": "id", "provider_id": "id", "minutes": "num"},
    "speciale_params.csv": {
        "speciale": "id", "min_cases": "num?", "max_travel_minutes": "num?",
        "reach_minutes": "num?", "min_count": "num?", "max_count": "num?",
        "min_advisory": "num?", "max_advisory": "num?"},
}
INSTANCE_KEYS: dict[str, list[str]] = {
    "municipalities.csv": ["code"],
    "providers.csv": ["provider_id"],
    "competence.csv": ["provider_id", "speciale"],
    "demand.csv": ["municipality_code", "speciale"],
    "provider_travel.csv": ["municipality_code", "provider_id"],
    "speciale_params.csv": ["speciale"],
}
RESULT_KEYS: dict[str, list[str]] = {
    "designations.csv": ["provider_id", "speciale"],
    "assignments.csv": ["municipality_code", "provider_id", "speciale"],
    "coverage.csv": ["municipality_code", "speciale"],
    "reach.csv": ["municipality_code", "speciale", "advisory_provider_id"],
}
RESOLVED_YAML = "instance/scenario.resolved.yaml"

KS = ["municipality_code", "speciale"]
PS = ["provider_id", "speciale"]


@dataclass
class Violation:
    """One broken rule, with the place it concerns (``None`` where not applicable)."""

    family: str
    message: str
    speciale: str | None = None
    municipality_code: str | None = None
    provider_id: str | None = None


@dataclass
class CheckReport:
    """Outcome of :func:`check_results`: violations, the objective and the number of checks."""

    violations: list[Violation]
    objective_reported: float
    objective_recomputed: float
    terms: dict[str, float]
    n_checks: int
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no rule is violated."""
        return not self.violations

    def families(self) -> dict[str, list[Violation]]:
        """Violations grouped by family, in order of first appearance."""
        out: dict[str, list[Violation]] = {}
        for v in self.violations:
            out.setdefault(v.family, []).append(v)
        return out

    def to_text(self, max_lines: int = MAX_LINES_PER_FAMILY) -> str:
        """Readable report: a summary line, the objective, then violations per family."""
        n_fam = len(self.families())
        head = (f"OK: {self.n_checks} checks passed" if self.ok else
                f"FAILED: {len(self.violations)} violation(s) in {n_fam} "
                f"{'family' if n_fam == 1 else 'families'} ({self.n_checks} checks)")
        lines = [head,
                 f"objective: reported {self.objective_reported:.10g}, "
                 f"recomputed {self.objective_recomputed:.10g}",
                 "terms: " + ", ".join(f"{k}={v:.10g}" for k, v in self.terms.items())]
        if self.skipped:
            lines.append("skipped (switched off): " + ", ".join(self.skipped))
        for family, items in self.families().items():
            lines.append(f"[{family}] {len(items)} violation(s)")
            lines.extend(f"  - {v.message}" for v in items[:max_lines])
            if len(items) > max_lines:
                lines.append(f"  ... and {len(items) - max_lines} more")
        return "\n".join(lines)


# --------------------------------------------------------------------------- reading
def _first_bad(mask: pd.Series) -> int:
    return int(np.flatnonzero(mask.to_numpy())[0]) + 2  # Excel row: header is row 1


def _read_csv(folder: Path, rel: str, schema: _Schema) -> pd.DataFrame:
    """Read ``folder/rel`` and coerce its columns; raise DataValidationError when garbled."""
    path = folder / rel
    if not path.is_file():
        raise DataValidationError("missing file in the results folder", file=rel)
    text_cols = {c: str for c, kind in schema.items() if kind in ("id", "text")}
    try:
        df = pd.read_csv(path, dtype=text_cols, keep_default_na=False, na_values=[""],
                         encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise DataValidationError("file is empty (no header row)", file=rel) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataValidationError(f"cannot parse CSV: {exc}", file=rel) from None
    missing = [c for c in schema if c not in df.columns]
    if missing:
        raise DataValidationError(
            f"missing required column(s) {missing}; found {list(df.columns)}",
            file=rel, field=missing[0])
    for col, kind in schema.items():
        s = df[col]
        if kind in ("id", "text"):
            if kind == "id" and s.isna().any():
                raise DataValidationError("empty identifier", file=rel,
                                          row=_first_bad(s.isna()), field=col)
            df[col] = s.fillna("").astype(str).str.strip()
        elif kind in ("num", "num?"):
            num = pd.to_numeric(s, errors="coerce")
            bad = num.isna() & s.notna()
            if kind == "num":
                bad |= s.isna()
            if bad.any():
                i = _first_bad(bad)
                raise DataValidationError(f"expected a number, got {s.iloc[i - 2]!r}",
                                          file=rel, row=i, field=col)
            df[col] = num.astype(float)
        else:  # bool
            mapped = s.map(parse_bool)
            if mapped.isna().any():
                i = _first_bad(mapped.isna())
                raise DataValidationError(f"expected true/false or 0/1, got {s.iloc[i - 2]!r}",
                                          file=rel, row=i, field=col)
            df[col] = mapped.astype(bool)
    return df


def _read_instance(folder: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for name, schema in INSTANCE_SCHEMAS.items():
        rel = f"instance/{name}"
        df = _read_csv(folder, rel, schema)
        dup = df.duplicated(INSTANCE_KEYS[name])
        if dup.any():
            raise DataValidationError("duplicate key", file=rel, row=_first_bad(dup),
                                      field=INSTANCE_KEYS[name][-1])
        out[name.removesuffix(".csv")] = df
    return out


def _read_params(folder: Path) -> ModelParams:
    path = folder / RESOLVED_YAML
    if not path.is_file():
        raise DataValidationError("missing file in the results folder", file=RESOLVED_YAML)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"cannot parse YAML: {exc}", file=RESOLVED_YAML) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("model"), dict):
        raise DataValidationError("no 'model' mapping", file=RESOLVED_YAML, field="model")
    try:
        return ModelParams.model_validate(doc["model"])
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in ("model", *err["loc"]))
        raise DataValidationError(err["msg"], file=RESOLVED_YAML, field=loc) from None


def _read_kpis(folder: Path) -> dict[str, Any]:
    path = folder / "kpis.json"
    if not path.is_file():
        raise DataValidationError("missing file in the results folder", file="kpis.json")
    try:
        kpis = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"cannot parse JSON: {exc}", file="kpis.json") from None
    if not isinstance(kpis, dict):
        raise DataValidationError("expected a JSON object", file="kpis.json")
    if "objective" not in kpis:
        raise DataValidationError("missing key", file="kpis.json", field="objective")
    obj = kpis["objective"]
    if obj is not None and (isinstance(obj, bool) or not isinstance(obj, int | float)):
        raise DataValidationError(f"expected a number or null, got {obj!r}",
                                  file="kpis.json", field="objective")
    terms = kpis.get("terms")
    if not isinstance(terms, dict):
        raise DataValidationError("missing or not an object", file="kpis.json", field="terms")
    for t in TERMS:
        v = terms.get(t)
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise DataValidationError(f"expected a number, got {v!r}", file="kpis.json",
                                      field=f"terms.{t}")
    return kpis


# --------------------------------------------------------------------------- checking
def _label(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    text = str(v)
    return text or None


def _g(x: Any) -> str:
    """Short number format for messages."""
    try:
        return f"{float(x):.6g}"
    except (TypeError, ValueError):
        return str(x)


class _Collector:
    """Accumulates violations and counts the individual checks performed."""

    def __init__(self, tol: float) -> None:
        self.tol = tol
        self.violations: list[Violation] = []
        self.n_checks = 0

    def pt(self, mag: Any) -> Any:
        """Tolerance for one value of magnitude ``mag``."""
        return self.tol * np.maximum(1.0, np.abs(mag))

    def sm(self, mag: Any, n: Any = 1) -> Any:
        """Lenient tolerance for a sum of ``n`` solver values of magnitude ``mag``."""
        return 10 * self.tol * np.maximum(1.0, np.abs(mag)) + self.tol * np.maximum(n, 1)

    def rule(self, family: str, df: pd.DataFrame, bad: pd.Series | np.ndarray,
             fmt: Callable[[dict[str, Any]], str]) -> None:
        """Count ``len(df)`` checks; add one violation per row of ``df[bad]``."""
        self.n_checks += len(df)
        mask = np.asarray(bad, dtype=bool)
        if not mask.any():
            return
        for rec in df[mask].to_dict("records"):
            self.add(family, fmt(rec), rec.get("speciale"), rec.get("municipality_code"),
                     rec.get("provider_id"))

    def add(self, family: str, message: str, speciale: Any = None,
            municipality_code: Any = None, provider_id: Any = None) -> None:
        self.violations.append(Violation(family, message, _label(speciale),
                                         _label(municipality_code), _label(provider_id)))

    def single(self, family: str, ok: bool, message: str, **where: Any) -> None:
        self.n_checks += 1
        if not ok:
            self.add(family, message, **where)


def _check_duplicates(c: _Collector, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Report duplicated keys in result tables; return them with designations, coverage and
    reach reduced to one row per key (duplicate assignments are kept: their cases add up)."""
    out = dict(tables)
    for name, keys in RESULT_KEYS.items():
        df = tables[name.removesuffix(".csv")]
        dup = df.duplicated(keys, keep="first")
        c.rule("duplicates", df, dup, lambda r, name=name, keys=keys: (
            f"{name}: duplicate row for " + ", ".join(f"{k}={r[k]}" for k in keys)))
    for name in ("designations", "coverage", "reach"):
        out[name] = out[name].drop_duplicates(RESULT_KEYS[f"{name}.csv"]).reset_index(drop=True)
    return out


def _check_demand_balance(c: _Collector, p: ModelParams, dem: pd.DataFrame,
                          asg: pd.DataFrame, cov: pd.DataFrame) -> None:
    agg = asg.groupby(KS, as_index=False).agg(assigned=("cases", "sum"), n=("cases", "size"))
    m = dem.merge(agg, on=KS, how="outer", indicator="_a")
    c.rule("demand_balance", m, m["_a"] == "right_only", lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: "
        f"{_g(r['assigned'])} cases assigned but the pair is not in instance/demand.csv"))
    m = m[m["_a"] != "right_only"].drop(columns="_a")
    m[["assigned", "n"]] = m[["assigned", "n"]].fillna(0.0)
    cv = cov[[*KS, "demand", "served", "unmet"]].rename(columns={"demand": "cov_demand"})
    m = m.merge(cv, on=KS, how="outer", indicator="_c")
    c.rule("demand_balance", m, m["_c"] == "right_only", lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: coverage.csv row "
        "for a pair that is not in instance/demand.csv"))
    c.rule("demand_balance", m, m["_c"] == "left_only", lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: no coverage.csv row "
        f"(demand {_g(r['demand'])})"))
    b = m[m["_c"] == "both"]
    gap = b["assigned"] + b["unmet"] - b["demand"]
    c.rule("demand_balance", b, np.abs(gap) > c.sm(b["demand"], b["n"] + 1), lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: assigned "
        f"{_g(r['assigned'])} + unmet {_g(r['unmet'])} = {_g(r['assigned'] + r['unmet'])} "
        f"≠ demand {_g(r['demand'])}"))
    c.rule("demand_balance", b, np.abs(b["served"] - b["assigned"]) > c.sm(b["served"], b["n"]),
           lambda r: (f"municipality {r['municipality_code']}, speciale {r['speciale']}: "
                      f"coverage.served {_g(r['served'])} ≠ Σ assignments "
                      f"{_g(r['assigned'])}"))
    c.rule("demand_balance", b, np.abs(b["cov_demand"] - b["demand"]) > c.pt(b["demand"]),
           lambda r: (f"municipality {r['municipality_code']}, speciale {r['speciale']}: "
                      f"coverage.demand {_g(r['cov_demand'])} ≠ instance demand "
                      f"{_g(r['demand'])}"))
    c.rule("demand_balance", b, b["unmet"] < -c.tol, lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: negative unmet "
        f"{_g(r['unmet'])}"))
    if not p.families.allow_unmet:
        c.rule("demand_balance", b, b["unmet"] > c.pt(b["demand"]), lambda r: (
            f"municipality {r['municipality_code']}, speciale {r['speciale']}: unmet "
            f"{_g(r['unmet'])} but unmet demand is not allowed (families.allow_unmet)"))


def _check_linking(c: _Collector, asg: pd.DataFrame, des: pd.DataFrame, comp: pd.DataFrame,
                   prov: pd.DataFrame, pair_sum: pd.DataFrame) -> None:
    keys = des[PS].assign(_des=True)
    a = asg.merge(keys, on=PS, how="left")
    c.rule("linking", a, a["_des"].isna(), lambda r: (
        f"{_g(r['cases'])} cases from municipality {r['municipality_code']} assigned to "
        f"provider {r['provider_id']} for speciale {r['speciale']}, which is not designated "
        "(no row in designations.csv)"))
    c.rule("linking", asg, asg["cases"] < -c.tol, lambda r: (
        f"negative cases {_g(r['cases'])} from municipality {r['municipality_code']} at "
        f"provider {r['provider_id']}, speciale {r['speciale']}"))
    known = set(prov["provider_id"])
    c.rule("linking", asg, ~asg["provider_id"].isin(known), lambda r: (
        f"assignment to unknown provider {r['provider_id']} (speciale {r['speciale']})"))
    d = des.merge(comp[[*PS, "max_cases"]], on=PS, how="left")
    c.rule("linking", d, d["max_cases"].isna(), lambda r: (
        f"provider {r['provider_id']} is designated for speciale {r['speciale']} but has no "
        "competence row for it (or the speciale is not planned)"))
    c.rule("linking", d, d["max_cases"].notna() & (d["max_cases"] <= 0), lambda r: (
        f"provider {r['provider_id']} is designated for speciale {r['speciale']} but is not "
        "competent (competence.max_cases = 0)"))
    pm = des.merge(prov[["provider_id", "municipality_code"]].rename(
        columns={"municipality_code": "home"}), on="provider_id", how="left")
    c.rule("linking", pm, pm["home"].isna(), lambda r: (
        f"designation of unknown provider {r['provider_id']} (speciale {r['speciale']})"))
    c.rule("linking", pm, pm["home"].notna() & (pm["municipality_code"] != "")
           & (pm["municipality_code"] != pm["home"]), lambda r: (
        f"provider {r['provider_id']}, speciale {r['speciale']}: designations.municipality_code "
        f"{r['municipality_code']} ≠ providers.csv {r['home']}"))
    dc = des.merge(pair_sum, on=PS, how="left").fillna({"assigned": 0.0, "n": 0})
    c.rule("linking", dc, np.abs(dc["cases"] - dc["assigned"]) > c.sm(dc["cases"], dc["n"]),
           lambda r: (f"provider {r['provider_id']}, speciale {r['speciale']}: "
                      f"designations.cases {_g(r['cases'])} ≠ Σ assignments "
                      f"{_g(r['assigned'])}"))


def _check_capacity(c: _Collector, p: ModelParams, asg: pd.DataFrame, prov: pd.DataFrame,
                    comp: pd.DataFrame, pair_sum: pd.DataFrame) -> None:
    if p.families.capacity:
        load = asg.groupby("provider_id", as_index=False).agg(
            load=("cases", "sum"), n=("cases", "size")).merge(
            prov[["provider_id", "capacity"]], on="provider_id")
        c.rule("capacity", load, load["load"] > load["capacity"] + c.sm(load["capacity"],
                                                                        load["n"]),
               lambda r: (f"provider {r['provider_id']}: {_g(r['load'])} cases in total "
                          f"exceed capacity {_g(r['capacity'])}"))
    if p.families.speciale_capacity:
        sc = pair_sum.merge(comp[[*PS, "max_cases"]], on=PS)
        c.rule("speciale_capacity", sc,
               sc["assigned"] > sc["max_cases"] + c.sm(sc["max_cases"], sc["n"]),
               lambda r: (f"provider {r['provider_id']}, speciale {r['speciale']}: "
                          f"{_g(r['assigned'])} cases exceed competence.max_cases "
                          f"{_g(r['max_cases'])}"))


def _check_min_volume(c: _Collector, des: pd.DataFrame, sp: pd.DataFrame,
                      pair_sum: pd.DataFrame) -> None:
    d = des[PS].merge(pair_sum, on=PS, how="left").fillna({"assigned": 0.0, "n": 0})
    d = d.merge(sp[["speciale", "min_cases"]], on="speciale")
    d = d[d["min_cases"].fillna(0.0) > 0]
    c.rule("min_volume", d, d["assigned"] < d["min_cases"] - c.sm(d["min_cases"], d["n"]),
           lambda r: (f"provider {r['provider_id']}, speciale {r['speciale']}: "
                      f"{_g(r['assigned'])} cases, below the minimum volume "
                      f"{_g(r['min_cases'])}"))


def _check_travel(c: _Collector, p: ModelParams, asg: pd.DataFrame, pt: pd.DataFrame,
                  sp: pd.DataFrame) -> None:
    a = asg.merge(pt, on=["municipality_code", "provider_id"], how="left")
    c.rule("travel_cutoff", a, a["minutes"].isna(), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} "
        f"(speciale {r['speciale']}): no row in instance/provider_travel.csv"))
    c.rule("travel_cutoff", a, a["minutes"].notna()
           & (np.abs(a["travel_minutes"] - a["minutes"]) > c.pt(a["minutes"])), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} "
        f"(speciale {r['speciale']}): travel_minutes {_g(r['travel_minutes'])} ≠ "
        f"provider_travel {_g(r['minutes'])}"))
    if not p.families.travel_cutoff:
        return
    a = a.merge(sp[["speciale", "max_travel_minutes"]], on="speciale", how="left")
    a = a[a["max_travel_minutes"].notna()]
    a = a.assign(t=a["minutes"].fillna(a["travel_minutes"]))
    lim = a["max_travel_minutes"]
    c.rule("travel_cutoff", a, a["t"] > lim + _EPS_TRAVEL + c.pt(lim), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} "
        f"(speciale {r['speciale']}): {_g(r['t'])} minutes exceed the cutoff "
        f"{_g(r['max_travel_minutes'])}"))


def _check_reach(c: _Collector, p: ModelParams, reach: pd.DataFrame, des: pd.DataFrame,
                 munis: pd.DataFrame, prov: pd.DataFrame, pt: pd.DataFrame,
                 sp: pd.DataFrame) -> None:
    has_p = reach["advisory_provider_id"] != ""
    # advised_municipalities is table bookkeeping: checked whatever the switches
    adv_n = reach[has_p].groupby(["advisory_provider_id", "speciale"]).size().rename(
        "n_reach").reset_index().rename(columns={"advisory_provider_id": "provider_id"})
    dn = des.merge(adv_n, on=PS, how="left").fillna({"n_reach": 0})
    c.rule("reach", dn, np.abs(dn["advised_municipalities"] - dn["n_reach"]) > 0.5, lambda r: (
        f"provider {r['provider_id']}, speciale {r['speciale']}: advised_municipalities "
        f"{_g(r['advised_municipalities'])} ≠ {_g(r['n_reach'])} rows in reach.csv"))
    if not p.families.reach:
        return
    rm = sp.loc[sp["reach_minutes"].notna(), ["speciale", "reach_minutes"]]
    r = reach.merge(rm, on="speciale", how="left")
    c.rule("reach", r, r["reach_minutes"].isna(), lambda x: (
        f"municipality {x['municipality_code']}, speciale {x['speciale']}: reach.csv row for a "
        "speciale without a reach limit"))
    codes = set(munis["code"])
    c.rule("reach", r, ~r["municipality_code"].isin(codes), lambda x: (
        f"reach.csv row for unknown municipality {x['municipality_code']} "
        f"(speciale {x['speciale']})"))
    c.rule("reach", r, (r["share"] < -c.tol) | (r["share"] > 1 + c.tol), lambda x: (
        f"municipality {x['municipality_code']}, speciale {x['speciale']}: share "
        f"{_g(x['share'])} outside [0, 1]"))
    # every municipality × reach speciale: Σ shares (incl. shortfall) = 1
    need = munis[["code"]].rename(columns={"code": "municipality_code"}).merge(
        rm[["speciale"]], how="cross")
    tot = reach.assign(shortfall=reach["share"].where(~has_p, 0.0)).groupby(
        KS, as_index=False).agg(total=("share", "sum"), n=("share", "size"),
                                shortfall=("shortfall", "sum"))
    nm = need.merge(tot, on=KS, how="left").fillna({"total": 0.0, "n": 0, "shortfall": 0.0})
    c.rule("reach", nm, np.abs(nm["total"] - 1.0) > c.sm(1.0, nm["n"]), lambda x: (
        f"municipality {x['municipality_code']}, speciale {x['speciale']}: "
        + ("no rådgivningsfunktion within reach and no shortfall recorded" if x["n"] == 0
           else f"reach shares sum to {_g(x['total'])}, not 1")))
    if not p.families.allow_reach_shortfall:
        c.rule("reach", nm, nm["shortfall"] > c.tol, lambda x: (
            f"municipality {x['municipality_code']}, speciale {x['speciale']}: reach shortfall "
            f"{_g(x['shortfall'])} but shortfall is not allowed "
            "(families.allow_reach_shortfall)"))
    # provider rows: a designated rådgivningsfunktion within reach
    rp = r[has_p.to_numpy() & r["reach_minutes"].notna().to_numpy()].rename(
        columns={"advisory_provider_id": "provider_id"})
    rp = rp.merge(des[[*PS, "is_advisory"]], on=PS, how="left")
    c.rule("reach", rp, rp["is_advisory"].isna(), lambda x: (
        f"municipality {x['municipality_code']}, speciale {x['speciale']}: advised by "
        f"provider {x['provider_id']}, which is not designated for the speciale"))
    c.rule("reach", rp, rp["is_advisory"].eq(False), lambda x: (
        f"municipality {x['municipality_code']}, speciale {x['speciale']}: advised by "
        f"provider {x['provider_id']}, which is not a rådgivningsfunktion (is_advisory false)"))
    rp = rp.merge(pt, on=["municipality_code", "provider_id"], how="left")
    c.rule("reach", rp, rp["minutes"].isna(), lambda x: (
        f"municipality {x['municipality_code']} → provider {x['provider_id']} "
        f"(speciale {x['speciale']}): no row in instance/provider_travel.csv"))
    c.rule("reach", rp, rp["minutes"].notna()
           & ~(np.abs(rp["travel_minutes"] - rp["minutes"]) <= c.pt(rp["minutes"])),
           lambda x: (f"municipality {x['municipality_code']} → provider {x['provider_id']} "
                      f"(speciale {x['speciale']}): reach travel_minutes "
                      f"{_g(x['travel_minutes'])} ≠ provider_travel {_g(x['minutes'])}"))
    rp = rp.assign(t=rp["minutes"].fillna(rp["travel_minutes"]))
    c.rule("reach", rp,
           rp["t"] > rp["reach_minutes"] + _EPS_TRAVEL + c.pt(rp["reach_minutes"]),
           lambda x: (f"municipality {x['municipality_code']} → provider {x['provider_id']} "
                      f"(speciale {x['speciale']}): {_g(x['t'])} minutes exceed "
                      f"reach_minutes {_g(x['reach_minutes'])}"))
    # advisory capacity: Σ_k v[k,p,s] <= A_p
    load = rp.groupby(PS, as_index=False).agg(load=("share", "sum"), n=("share", "size"))
    load = load.merge(prov[["provider_id", "advisory_capacity"]], on="provider_id")
    load = load[np.isfinite(load["advisory_capacity"])]
    c.rule("advisory_capacity", load,
           load["load"] > load["advisory_capacity"] + c.sm(load["advisory_capacity"], load["n"]),
           lambda x: (f"provider {x['provider_id']}, speciale {x['speciale']}: advises "
                      f"{_g(x['load'])} municipalities, above advisory_capacity "
                      f"{_g(x['advisory_capacity'])}"))


def _bounds(c: _Collector, family: str, df: pd.DataFrame, count: str, lo: str, hi: str,
            what: Callable[[dict[str, Any]], str]) -> None:
    """lo <= count <= hi where the bound is not NaN."""
    for col, sign, word in ((lo, -1, "below the minimum"), (hi, 1, "above the maximum")):
        sub = df[df[col].notna()]
        bad = sign * (sub[count] - sub[col]) > 0.5
        c.rule(family, sub, bad, lambda r, col=col, word=word: (
            f"{what(r)}: {int(r[count])} {word} {_g(r[col])}"))


def _check_counts(c: _Collector, p: ModelParams, des: pd.DataFrame, sp: pd.DataFrame,
                  prov: pd.DataFrame, munis: pd.DataFrame) -> None:
    fam = p.families
    if fam.count_bounds:
        cnt = des.groupby("speciale").agg(n=("provider_id", "size"),
                                          n_adv=("is_advisory", "sum"))
        s = sp.merge(cnt, left_on="speciale", right_index=True, how="left").fillna(
            {"n": 0, "n_adv": 0})
        _bounds(c, "count_bounds", s, "n", "min_count", "max_count",
                lambda r: f"speciale {r['speciale']}: specialfunktioner")
        _bounds(c, "count_bounds", s, "n_adv", "min_advisory", "max_advisory",
                lambda r: f"speciale {r['speciale']}: rådgivningsfunktioner")
    if fam.region_bounds and p.region_bounds:
        region = prov[["provider_id", "municipality_code"]].merge(
            munis[["code", "region"]], left_on="municipality_code", right_on="code",
            how="left")[["provider_id", "region"]]
        n = des[PS].merge(region, on="provider_id", how="left").groupby(
            ["speciale", "region"]).size().rename("n")
        rb = pd.DataFrame([b.model_dump() for b in p.region_bounds]).astype(
            {"min_count": float, "max_count": float})
        rb = rb.merge(n.reset_index(), on=["speciale", "region"], how="left").fillna({"n": 0})
        _bounds(c, "region_bounds", rb, "n", "min_count", "max_count",
                lambda r: f"speciale {r['speciale']}, region {r['region']}: specialfunktioner")
    limit = p.max_specialer_per_provider
    if fam.max_specialer and limit is not None:
        per = des.groupby("provider_id", as_index=False).agg(n=("speciale", "size"))
        c.rule("max_specialer", per, per["n"] > limit, lambda r: (
            f"provider {r['provider_id']} holds {int(r['n'])} specialer, above "
            f"max_specialer_per_provider {limit}"))


def _changes(des: pd.DataFrame, comp: pd.DataFrame) -> int:
    """#{(p,s) over competence rows and designations: designated now ≠ designated_today}."""
    m = comp[[*PS, "designated_today"]].merge(des[PS].assign(now=True), on=PS, how="outer")
    today = m["designated_today"].fillna(False).astype(bool)
    now = m["now"].fillna(False).astype(bool)
    return int((today != now).sum())


def _check_fixed(c: _Collector, p: ModelParams, des: pd.DataFrame, comp: pd.DataFrame,
                 prov: pd.DataFrame, n_changes: int) -> None:
    fam = p.families
    designated = des[PS].assign(_des=True)
    if fam.fixed:
        fixed = pd.DataFrame([d.model_dump() for d in p.fixed], columns=PS).assign(
            why="fixed in the scenario")
        keep = comp[comp["designated_today"]].merge(
            prov[["provider_id", "owner"]], on="provider_id", how="left")
        keep = keep[keep["owner"].isin(p.keep_today)]
        keep = keep[PS].assign(
            why="designated today and owner '" + keep["owner"] + "' is in keep_today")
        must = pd.concat([fixed, keep], ignore_index=True).drop_duplicates(PS)
        m = must.merge(designated, on=PS, how="left")
        c.rule("fixed", m, m["_des"].isna(), lambda r: (
            f"provider {r['provider_id']}, speciale {r['speciale']} must be designated "
            f"({r['why']}) but is not"))
        forb = pd.DataFrame([d.model_dump() for d in p.forbidden], columns=PS)
        f = forb.merge(designated, on=PS, how="left")
        c.rule("fixed", f, f["_des"].notna(), lambda r: (
            f"provider {r['provider_id']}, speciale {r['speciale']} is forbidden but "
            "designated"))
    if fam.change_limit and p.max_changes is not None:
        c.single("change_limit", n_changes <= p.max_changes,
                 f"{n_changes} designations differ from today's, above max_changes "
                 f"{p.max_changes}")


def _recompute_terms(p: ModelParams, asg: pd.DataFrame, des: pd.DataFrame, comp: pd.DataFrame,
                     cov: pd.DataFrame, reach: pd.DataFrame, n_changes: int) -> dict[str, float]:
    w = p.weights
    costs = des[[*PS, "is_advisory"]].merge(
        comp[[*PS, "designation_cost", "advisory_cost"]], on=PS, how="left").fillna(
        {"designation_cost": 0.0, "advisory_cost": 0.0})
    shortfall = reach.loc[reach["advisory_provider_id"] == "", "share"].sum()
    return {
        "travel": float(w.travel * (asg["cases"] * asg["travel_minutes"]).sum()),
        "designation": float(w.designation * costs["designation_cost"].sum()),
        "advisory": float(w.advisory * costs.loc[costs["is_advisory"], "advisory_cost"].sum()),
        "unmet": float(w.unmet * cov["unmet"].sum()),
        "reach_shortfall": float(w.reach_shortfall * shortfall),
        "change": float(w.change * n_changes),
    }


def _check_objective(c: _Collector, kpis: dict[str, Any], terms: dict[str, float],
                     reported: float) -> None:
    rtol = 10 * c.tol
    for t in TERMS:
        rep = float(kpis["terms"][t])
        c.single("objective", abs(rep - terms[t]) <= rtol * max(1.0, abs(terms[t])),
                 f"term {t}: kpis.json reports {rep:.10g}, recomputed {terms[t]:.10g}")
    total = sum(terms.values())
    if math.isnan(reported):
        c.single("objective", False, "kpis.json objective is null")
    else:
        c.single("objective", abs(reported - total) <= rtol * max(1.0, abs(total)),
                 f"objective: kpis.json reports {reported:.10g}, sum of recomputed terms "
                 f"{total:.10g}")
    rec = kpis.get("objective_recomputed")
    if isinstance(rec, int | float) and not isinstance(rec, bool):
        c.single("objective", abs(rec - total) <= rtol * max(1.0, abs(total)),
                 f"objective_recomputed: kpis.json reports {rec:.10g}, recomputed "
                 f"{total:.10g}")


def _check_kpis(c: _Collector, kpis: dict[str, Any], asg: pd.DataFrame, des: pd.DataFrame,
                cov: pd.DataFrame, reach: pd.DataFrame) -> None:
    """Totals in kpis.json (those present) against the tables."""
    shortfall = float(reach.loc[reach["advisory_provider_id"] == "", "share"].sum())
    totals = {
        "total_demand": float(cov["demand"].sum()),
        "total_unmet": float(cov["unmet"].sum()),
        "total_served": float(asg["cases"].sum()),
        "reach_shortfalls": shortfall,
        "specialfunktioner": float(len(des)),
        "raadgivningsfunktioner": float(des["is_advisory"].sum()),
    }
    for key, value in totals.items():
        rep = kpis.get(key)
        if isinstance(rep, int | float) and not isinstance(rep, bool):
            c.single("kpis", abs(rep - value) <= 10 * c.tol * max(1.0, abs(value)) + c.tol,
                     f"{key}: kpis.json reports {rep:.10g}, tables give {value:.10g}")
    per = kpis.get("per_speciale")
    if not isinstance(per, dict):
        return
    cs = cov.groupby("speciale")[["demand", "served", "unmet"]].sum()
    ds = des.groupby("speciale").agg(specialfunktioner=("provider_id", "size"),
                                     raadgivningsfunktioner=("is_advisory", "sum"))
    tab = cs.join(ds, how="outer").fillna(0.0)
    for s, rec in per.items():
        if not isinstance(rec, dict):
            continue
        for key, rep in rec.items():
            if key not in tab.columns or isinstance(rep, bool) or not isinstance(rep, int | float):
                continue
            value = float(tab.at[s, key]) if s in tab.index else 0.0
            c.single("kpis", abs(rep - value) <= 10 * c.tol * max(1.0, abs(value)) + c.tol,
                     f"per_speciale.{s}.{key}: kpis.json reports {rep:.10g}, tables give "
                     f"{value:.10g}", speciale=s)


_SWITCHED = ("capacity", "speciale_capacity", "min_volume", "travel_cutoff", "reach",
             "count_bounds", "region_bounds", "max_specialer", "fixed", "change_limit")


def check_results(folder: Path, tol: float = 1e-6) -> CheckReport:
    """Verify a results folder (``docs/results-format.md``) from its files only.

    Raises :class:`DataValidationError` (naming file and field) when a file is missing or
    garbled; every broken rule is returned as a :class:`Violation` in the report.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataValidationError("results folder does not exist", file=str(folder))
    params = _read_params(folder)
    inst = _read_instance(folder)
    tables = {name.removesuffix(".csv"): _read_csv(folder, name, schema)
              for name, schema in RESULT_SCHEMAS.items()}
    kpis = _read_kpis(folder)

    c = _Collector(tol)
    tables = _check_duplicates(c, tables)
    des, asg, cov, reach = (tables[k] for k in ("designations", "assignments", "coverage",
                                                "reach"))
    munis, prov, comp = inst["municipalities"], inst["providers"], inst["competence"]
    dem, pt, sp = inst["demand"], inst["provider_travel"], inst["speciale_params"]
    fam = params.families
    pair_sum = asg.groupby(PS, as_index=False).agg(assigned=("cases", "sum"),
                                                    n=("cases", "size"))

    _check_demand_balance(c, params, dem, asg, cov)
    _check_linking(c, asg, des, comp, prov, pair_sum)
    _check_capacity(c, params, asg, prov, comp, pair_sum)
    if fam.min_volume:
        _check_min_volume(c, des, sp, pair_sum)
    _check_travel(c, params, asg, pt, sp)
    _check_reach(c, params, reach, des, munis, prov, pt, sp)
    _check_counts(c, params, des, sp, prov, munis)
    n_changes = _changes(des, comp)
    _check_fixed(c, params, des, comp, prov, n_changes)

    terms = _recompute_terms(params, asg, des, comp, cov, reach, n_changes)
    obj = kpis["objective"]
    reported = float("nan") if obj is None else float(obj)
    _check_objective(c, kpis, terms, reported)
    _check_kpis(c, kpis, asg, des, cov, reach)

    skipped = [f for f in _SWITCHED if not getattr(fam, f)]
    return CheckReport(violations=c.violations, objective_reported=reported,
                       objective_recomputed=float(sum(terms.values())), terms=terms,
                       n_checks=c.n_checks, skipped=skipped)
