"""The validated, immutable problem instance that the model builder consumes.

An :class:`Instance` holds only tidy pandas tables; it never reads files. Loaders in
``specialeplan.data`` (Denmark CSVs and ``specialeplan.data.orlib`` for OR-Library) produce
one. Validation runs in ``__post_init__`` so an Instance that exists is consistent: every
error names the table's source file, the row (as a planner sees it in Excel: header = row 1,
first data row = 2) and the field.

Tables (units in ``data/README.md``):

============== ==================================================================
municipalities code, name, region, population, lon, lat, area_km2 (customers K)
providers      provider_id, name, municipality_code, owner, kind (residential, outreach
               or both; empty = residential), capacity, advisory_capacity
specialer      speciale, name (the specialer: the roll-up of results, maps and rådgivning)
functions      function, name, specialer (the specialer it belongs to, ``;``-separated: a
               specialfunktion may tie to several), target_group (``children``,
               ``adults`` or ``all``) (optional: without it every speciale is one
               function of the same id)
competence     provider_id, function, max_cases, current_cases, designated_today,
               designation_cost, advisory_cost, advisory_today (the unit of designation is
               a (provider, specialfunktion type) pair)
demand         municipality_code, function, demand
provider_travel municipality_code, provider_id, minutes (generalised cost t[k,p]
               per borgerforløb; derived from municipality travel for Denmark)
travel         from_code, to_code, minutes (municipality matrix; optional)
population_by_age code, age_group (``0-17`` or ``18+``), persons (optional)
delivery_need  function, residential_share (ρ_s in [0, 1]: the share of the function's
               borgerforløb that need a residential place, not outreach), source, note
               (optional; every function exactly once; without it ρ_s is
               ``DEFAULT_RESIDENTIAL_SHARE`` of :mod:`specialeplan.model.params`)
============== ==================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from specialeplan.errors import DataValidationError
from specialeplan.model.keys import KP, KS, PS

# column -> kind: "str" text id, "num" finite number >= 0, "num?" number (NaN allowed, >= 0),
# "bool" 0/1, "any" free text, "float" finite number (sign free)
SCHEMAS: dict[str, dict[str, str]] = {
    "municipalities": {
        "code": "str",
        "name": "any",
        "region": "any",
        "population": "num",
        "lon": "float",
        "lat": "float",
        "area_km2": "num",
    },
    "providers": {
        "provider_id": "str",
        "name": "any",
        "municipality_code": "str",
        "owner": "any",
        "kind": "any",
        "capacity": "num",
        "advisory_capacity": "num",
        "target_groups": "any",
    },
    "specialer": {"speciale": "str", "name": "any"},
    "functions": {"function": "str", "name": "any", "specialer": "str", "target_group": "any"},
    "competence": {
        "provider_id": "str",
        "function": "str",
        "max_cases": "num",
        "current_cases": "num",
        "designated_today": "bool",
        "designation_cost": "num",
        "advisory_cost": "num",
        "advisory_today": "bool",
    },
    "demand": {"municipality_code": "str", "function": "str", "demand": "num"},
    "provider_travel": {"municipality_code": "str", "provider_id": "str", "minutes": "num"},
    "travel": {"from_code": "str", "to_code": "str", "minutes": "num"},
    "population_by_age": {"code": "str", "age_group": "str", "persons": "num"},
    "delivery_need": {"function": "str", "residential_share": "num", "source": "any",
                      "note": "any"},
    "applications": {"provider_id": "str", "function": "str", "places": "num",
                     "from_year": "num?"},
}

KEYS: dict[str, list[str]] = {
    "municipalities": ["code"],
    "providers": ["provider_id"],
    "specialer": ["speciale"],
    "functions": ["function"],
    "competence": PS,
    "demand": KS,
    "provider_travel": KP,
    "travel": ["from_code", "to_code"],
    "population_by_age": ["code", "age_group"],
    "delivery_need": ["function"],
    "applications": PS,
}

#: providers.kind: how a tilbud delivers. ``residential``: a physical place the citizen moves
#: to; ``outreach``: a matrikelløs team that works in the citizen's home municipality;
#: ``both``: a place and an outreach team. Empty (e.g. OR-Library data) = residential.
PROVIDER_KINDS = ("residential", "outreach", "both", "")
#: the kinds that deliver at a physical place / by outreach (matrikelløst)
PHYSICAL_KINDS = ("residential", "both", "")
OUTREACH_KINDS = ("outreach", "both")
#: functions.target_group and providers.target_groups: children and young people (0–17),
#: adults (18+), or both. Different legal frameworks, providers and caseworkers (seed 002:
#: «børn, unge og voksne»): a provider serves a function's borgerforløb only if it serves
#: the function's target group (``all`` needs a provider serving ``all``).
TARGET_GROUPS = ("children", "adults", "all")
#: the tables whose unit column was called ``speciale`` before specialfunktion types
#: (issue 22); a file with ``speciale`` and no ``function`` column is read as one function
#: per speciale of the same id
LEGACY_FUNCTION_TABLES = ("competence", "demand", "delivery_need")
#: population_by_age.age_group values: children and young people, and adults
AGE_GROUPS = ("0-17", "18+")
LARGE = 1e15  # a data number from here breaks the solver (HiGHS's large_matrix_value)

# Columns a loader may leave out; they get these defaults.
DEFAULTS: dict[str, dict[str, Any]] = {
    "municipalities": {"name": None, "region": "", "population": 0.0, "lon": 0.0, "lat": 0.0,
                       "area_km2": 0.0},
    "providers": {"name": None, "owner": "", "kind": "", "advisory_capacity": np.inf,
                  "target_groups": "all"},
    "specialer": {"name": None},
    "functions": {"name": None, "target_group": "all"},
    "delivery_need": {"source": "", "note": ""},
    "applications": {"from_year": np.nan},
    "competence": {"current_cases": 0.0, "designated_today": False, "designation_cost": 0.0,
                   "advisory_cost": 0.0, "advisory_today": False},
}


def legacy_function_column(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with a ``speciale`` column read as ``function`` in a table of
    :data:`LEGACY_FUNCTION_TABLES` written before specialfunktion types (no ``function``
    column): one function per speciale of the same id."""
    if table in LEGACY_FUNCTION_TABLES and "function" not in df.columns and (
            "speciale" in df.columns):
        return df.rename(columns={"speciale": "function"})
    return df


def excel_row(position: int) -> int:
    """Row number a planner sees in Excel for the 0-based data position (header is row 1)."""
    return int(position) + 2


def normalise_table(
    table: str, df: pd.DataFrame, source: str | None = None
) -> pd.DataFrame:
    """Check one table against :data:`SCHEMAS` and return it with canonical dtypes.

    Raises :class:`DataValidationError` naming file, row and field for: missing columns,
    empty ids, non-numeric / NaN / infinite / negative / too large (from :data:`LARGE`)
    numbers, bad booleans, duplicate keys.
    """
    file = source or table
    schema = SCHEMAS[table]
    df = df.copy()
    df = legacy_function_column(table, df)
    for col, default in DEFAULTS.get(table, {}).items():
        if col not in df.columns:
            df[col] = df[KEYS[table][0]] if default is None else default
    missing = [c for c in schema if c not in df.columns]
    if missing:
        raise DataValidationError(
            f"missing required column(s) {missing}; found {list(df.columns)}",
            file=file, field=missing[0],
        )
    df = df.reset_index(drop=True)
    for col, kind in schema.items():
        s = df[col]
        if kind == "str":
            bad = s.isna() | (s.astype(str).str.strip() == "")
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataValidationError("empty identifier", file=file, row=excel_row(i),
                                          field=col)
            df[col] = s.astype(str).str.strip()
        elif kind in ("num", "float", "num?"):
            num = pd.to_numeric(s, errors="coerce")
            bad = num.isna() | ~np.isfinite(num.to_numpy(dtype=float, na_value=np.nan))
            if kind == "num?":  # an empty cell is NaN; text or an infinity is not
                bad = (num.isna() & ~(s.isna() | (s.astype(str).str.strip() == ""))) | (
                    np.isinf(num.to_numpy(dtype=float, na_value=np.nan)))
            if col == "advisory_capacity":  # unlimited (inf or an empty cell) is allowed
                empty = s.isna() | (s.astype(str).str.strip() == "")
                num = num.where(~empty, np.inf)
                bad = num.isna()
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataValidationError(
                    f"expected a finite number, got {s.iloc[i]!r}", file=file,
                    row=excel_row(i), field=col,
                )
            if kind in ("num", "num?") and (num < 0).any():
                i = int(np.flatnonzero((num < 0).to_numpy())[0])
                raise DataValidationError(
                    f"must be >= 0, got {num.iloc[i]}", file=file, row=excel_row(i), field=col
                )
            huge = np.isfinite(num.to_numpy(dtype=float)) & (num.abs() >= LARGE).to_numpy()
            if kind in ("num", "num?") and huge.any():
                i = int(np.flatnonzero(huge)[0])
                raise DataValidationError(
                    f"{num.iloc[i]:g} is too large: numbers from {LARGE:.0e} cannot be solved "
                    "faithfully", file=file, row=excel_row(i), field=col)
            df[col] = num.astype(float)
        elif kind == "bool":
            mapped = s.map(parse_bool)
            if mapped.isna().any():
                i = int(np.flatnonzero(mapped.isna().to_numpy())[0])
                raise DataValidationError(
                    f"expected 0/1 or true/false, got {s.iloc[i]!r}", file=file,
                    row=excel_row(i), field=col,
                )
            df[col] = mapped.astype(bool)
    dup = df.duplicated(KEYS[table], keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        key = ", ".join(f"{k}={df.at[i, k]}" for k in KEYS[table])
        raise DataValidationError(f"duplicate key ({key})", file=file, row=excel_row(i),
                                  field=KEYS[table][-1])
    return df


def parse_bool(v: Any) -> bool | None:
    """0/1, true/false, yes/no, ja/nej (any case); empty = False; anything else = None."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return False  # an empty cell means "no"
    if isinstance(v, bool | np.bool_):
        return bool(v)
    text = str(v).strip().lower()
    if text in ("1", "1.0", "true", "yes", "ja"):
        return True
    if text in ("0", "0.0", "false", "no", "nej", ""):
        return False
    return None


def _check_refs(
    df: pd.DataFrame, col: str, valid: pd.Index | set[str], file: str, what: str
) -> None:
    bad = ~df[col].isin(valid)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataValidationError(f"unknown {what} {df.at[i, col]!r}", file=file,
                                  row=excel_row(i), field=col)


@dataclass(frozen=True)
class Instance:
    """All data of one planning problem, validated on construction.

    ``sources`` maps a table name to the file it came from (used in error messages);
    ``hashes`` maps a file name to its sha256 (recorded with every result).
    """

    name: str
    municipalities: pd.DataFrame
    providers: pd.DataFrame
    specialer: pd.DataFrame
    competence: pd.DataFrame
    demand: pd.DataFrame
    provider_travel: pd.DataFrame
    #: the specialfunktion types (None: one per speciale, of the same id and target group)
    functions: pd.DataFrame | None = None
    travel: pd.DataFrame | None = None
    population_by_age: pd.DataFrame | None = None
    delivery_need: pd.DataFrame | None = None
    #: applications to become a specialfunktion (``model.mode: applications``): provider,
    #: type, places offered, the year from which it applies (NaN: from the start)
    applications: pd.DataFrame | None = None
    #: the run's cost table (``parameter, speciale, value, unit, source, note``; validated by
    #: :mod:`specialeplan.data.costs`): prices the objective in DKK (:mod:`~specialeplan.
    #: model.pricing`); None = no kroner (unit-less legacy weights, no care term)
    costs: pd.DataFrame | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    hashes: Mapping[str, str] = field(default_factory=dict)
    synthetic: bool = False

    def __post_init__(self) -> None:
        if self.functions is None and "speciale" in self.specialer.columns:
            object.__setattr__(self, "functions", _one_function_per_speciale(self.specialer))
        for table in SCHEMAS:
            df = getattr(self, table)
            if df is None:
                continue
            object.__setattr__(self, table, normalise_table(table, df, self.sources.get(table)))
        self._check_consistency()

    def _src(self, table: str) -> str:
        return self.sources.get(table, table)

    def _check_consistency(self) -> None:
        codes = set(self.municipalities["code"])
        pids = set(self.providers["provider_id"])
        specs = set(self.functions["function"])
        _check_refs(self.providers, "municipality_code", codes, self._src("providers"),
                    "municipality code")
        self._check_taxonomy()
        _check_refs(self.competence, "provider_id", pids, self._src("competence"), "provider id")
        _check_refs(self.competence, "function", specs, self._src("competence"),
                    "specialfunktion")
        self._check_target_groups()
        _check_refs(self.demand, "municipality_code", codes, self._src("demand"),
                    "municipality code")
        _check_refs(self.demand, "function", specs, self._src("demand"),
                    "specialfunktion")
        pt = self.provider_travel
        _check_refs(pt, "municipality_code", codes, self._src("provider_travel"),
                    "municipality code")
        _check_refs(pt, "provider_id", pids, self._src("provider_travel"), "provider id")
        if self.travel is not None:
            for col in ("from_code", "to_code"):
                _check_refs(self.travel, col, codes, self._src("travel"), "municipality code")
        kind = self.providers["kind"].fillna("").astype(str).str.strip().str.lower()
        self.providers["kind"] = kind
        bad = ~kind.isin(PROVIDER_KINDS)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataValidationError(
                f"unknown provider kind {kind.iloc[i]!r}; use residential, outreach or both "
                "(empty = residential)", file=self._src("providers"), row=excel_row(i),
                field="kind")
        if self.population_by_age is not None:
            pa = self.population_by_age
            _check_refs(pa, "code", codes, self._src("population_by_age"), "municipality code")
            _check_refs(pa, "age_group", set(AGE_GROUPS), self._src("population_by_age"),
                        f"age group (use {' or '.join(AGE_GROUPS)})")
        if self.delivery_need is not None:
            self._check_delivery_need(specs)
        if self.applications is not None:
            self._check_applications(specs)
        # a specialfunktion with demand but no competent provider can never be served
        served = set(self.competence.loc[self.competence["max_cases"] > 0, "function"])
        need = self.demand.groupby("function")["demand"].sum()
        orphan = sorted(s for s in need.index if need[s] > 0 and s not in served)
        if orphan:
            raise DataValidationError(
                f"specialfunktion {orphan[0]!r} has demand {need[orphan[0]]:g} but no "
                "provider is competent in it (no row in competence with max_cases > 0)",
                file=self._src("competence"), field="function",
            )
        # every municipality with demand must be reachable from at least one provider
        reach = set(pt["municipality_code"])
        demand_codes = set(self.demand.loc[self.demand["demand"] > 0, "municipality_code"])
        unreachable = sorted(demand_codes - reach)
        if unreachable:
            raise DataValidationError(
                f"municipality {unreachable[0]!r} has demand but no travel time to any provider "
                f"({len(unreachable)} such municipalities)",
                file=self._src("provider_travel"), field="municipality_code",
            )

    def _check_taxonomy(self) -> None:
        """Every function names known specialer and a target group; every speciale has a
        function."""
        fn, file = self.functions, self._src("functions")
        known = set(self.specialer["speciale"])
        for i, text in enumerate(fn["specialer"]):
            for s in split_list(text):
                if s not in known:
                    raise DataValidationError(
                        f"unknown speciale {s!r} (specialer.csv has {sorted(known)})",
                        file=file, row=excel_row(i), field="specialer")
        tg = fn["target_group"].fillna("all").astype(str).str.strip().replace("", "all")
        fn["target_group"] = tg
        _check_refs(fn, "target_group", set(TARGET_GROUPS), file,
                    f"target group (use {', '.join(TARGET_GROUPS)})")
        used = {s for text in fn["specialer"] for s in split_list(text)}
        empty = [s for s in self.specialer["speciale"] if s not in used]
        if empty:
            raise DataValidationError(
                f"speciale {empty[0]!r} has no specialfunktion; give it at least one row "
                "(a function may list several specialer, separated by ';')", file=file,
                field="specialer")

    def _check_target_groups(self) -> None:
        """Providers name their target groups; a competence row needs a provider that serves
        the function's target group (an adults-only tilbud cannot take children)."""
        prov, file = self.providers, self._src("providers")
        tg = prov["target_groups"].fillna("all").astype(str).str.strip().str.lower()
        prov["target_groups"] = tg.replace("", "all")
        _check_refs(prov, "target_groups", set(TARGET_GROUPS), file,
                    f"target group (use {', '.join(TARGET_GROUPS)})")
        serves = dict(zip(prov["provider_id"], prov["target_groups"], strict=True))
        group = dict(zip(self.functions["function"], self.functions["target_group"],
                         strict=True))
        comp = self.competence
        bad = ~np.array([serves_group(serves.get(p, "all"), group.get(f, "all"))
                         for p, f in zip(comp["provider_id"], comp["function"], strict=True)],
                        dtype=bool)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            p, f = comp.at[i, "provider_id"], comp.at[i, "function"]
            raise DataValidationError(
                f"provider {p} serves {serves[p]} (providers.csv target_groups) but "
                f"specialfunktion {f!r} is for {group[f]}: a tilbud can only be competent "
                "in its own target groups", file=self._src("competence"), row=excel_row(i),
                field="function")

    def _check_applications(self, specs: set[str]) -> None:
        """Every application names a provider, a type, and a competence row of the two (the
        specialfunktion a provider applies to become; competence.csv holds its costs)."""
        app, src = self.applications, self._src("applications")
        _check_refs(app, "provider_id", set(self.providers["provider_id"]), src, "provider id")
        _check_refs(app, "function", specs, src, "specialfunktion")
        comp = pd.MultiIndex.from_frame(self.competence[PS])
        missing = ~pd.MultiIndex.from_frame(app[PS]).isin(comp)
        if missing.any():
            i = int(np.flatnonzero(missing)[0])
            raise DataValidationError(
                f"application {app.at[i, 'provider_id']}/{app.at[i, 'function']}: the provider "
                "has no competence row for the type (competence.csv holds the costs of the "
                "specialfunktion it applies to become; add the row there)", file=src,
                row=excel_row(i), field="function")
        year = app["from_year"].dropna()
        off = year[(year != year.round()) | (year < 1900) | (year > 2200)]
        if len(off):
            i = int(off.index[0])
            raise DataValidationError(
                f"from_year must be a year such as 2027 (or empty: from the start), got "
                f"{app.at[i, 'from_year']:g}", file=src, row=excel_row(i), field="from_year")

    def _check_delivery_need(self, specs: set[str]) -> None:
        """ρ_s in [0, 1], every function exactly once and no other."""
        dn, file = self.delivery_need, self._src("delivery_need")
        _check_refs(dn, "function", specs, file, "specialfunktion")
        over = (dn["residential_share"] > 1).to_numpy()
        if over.any():
            i = int(np.flatnonzero(over)[0])
            raise DataValidationError(
                f"residential_share is a share in [0, 1], got {dn['residential_share'].iloc[i]:g}",
                file=file, row=excel_row(i), field="residential_share")
        missing = [s for s in self.functions["function"] if s not in set(dn["function"])]
        if missing:
            raise DataValidationError(
                f"specialfunktion {missing[0]!r} has no row ({len(missing)} missing); give "
                "every function its residential_share", file=file, field="function")

    def residential_shares(self) -> dict[str, float]:
        """ρ_s per function from ``delivery_need`` (empty without the table)."""
        if self.delivery_need is None:
            return {}
        return dict(zip(self.delivery_need["function"],
                        self.delivery_need["residential_share"].astype(float), strict=True))

    # ----------------------------------------------------------------- conveniences
    @property
    def speciale_ids(self) -> list[str]:
        """The specialer of the dataset, in file order."""
        return list(self.specialer["speciale"])

    @property
    def function_ids(self) -> list[str]:
        """The specialfunktion types of the dataset, in file order."""
        return list(self.functions["function"])

    def specialer_of(self) -> dict[str, list[str]]:
        """Function → the specialer it belongs to (in ``functions.csv`` order)."""
        return {f: split_list(text) for f, text in zip(
            self.functions["function"], self.functions["specialer"], strict=True)}

    def memberships(self, functions: list[str] | None = None) -> pd.DataFrame:
        """One row per (function, speciale) it belongs to (columns ``function, speciale``),
        for ``functions`` (default: all) in their order: the table to merge a function's
        rows with its specialer."""
        of = self.specialer_of()
        rows = [(f, s) for f in (self.function_ids if functions is None else functions)
                for s in of[f]]
        return pd.DataFrame(rows, columns=["function", "speciale"], dtype=str)

    def functions_of(self, specialer: list[str]) -> list[str]:
        """The functions (file order) that belong to any of ``specialer``."""
        want = set(specialer)
        return [f for f, ss in self.specialer_of().items() if want & set(ss)]

    def speciale_label(self) -> dict[str, str]:
        """Function → its specialer joined by ``;`` (the roll-up column of results)."""
        return dict(zip(self.functions["function"], self.functions["specialer"], strict=True))

    @property
    def municipality_codes(self) -> list[str]:
        """The municipality codes, in file order."""
        return list(self.municipalities["code"])

    def summary(self) -> dict[str, Any]:
        """Counts and totals for a quick look (used by ``specialeplan data summary``)."""
        return {
            "name": self.name,
            "synthetic": self.synthetic,
            "municipalities": len(self.municipalities),
            "providers": len(self.providers),
            "specialer": len(self.specialer),
            "functions": len(self.functions),
            "competence_pairs": len(self.competence),
            "total_demand": float(self.demand["demand"].sum()),
            "total_capacity": float(self.providers["capacity"].sum()),
        }


def split_list(text: object) -> list[str]:
    """``a;b`` (or ``a|b``, ``a, b``) → ``["a", "b"]``: a cell that lists ids."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    parts = str(text).replace("|", ";").replace(",", ";").split(";")
    return [p.strip() for p in parts if p.strip()]


def serves_group(provider_groups: str, function_group: str) -> bool:
    """A provider serving ``provider_groups`` may deliver a function for ``function_group``."""
    return provider_groups == "all" or provider_groups == function_group


def _one_function_per_speciale(specialer: pd.DataFrame) -> pd.DataFrame:
    """The taxonomy of a dataset without ``functions.csv``: one function per speciale, same
    id, name and target group."""
    sp = specialer.reset_index(drop=True)
    ids = sp["speciale"].astype(str).str.strip()
    tg = (sp["target_group"] if "target_group" in sp.columns
          else pd.Series("all", index=sp.index)).fillna("all")
    return pd.DataFrame({"function": ids,
                         "name": sp["name"] if "name" in sp.columns else ids,
                         "specialer": ids, "target_group": tg})
