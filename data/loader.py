"""Read a folder of CSVs (the bundled Denmark dataset or a planner's own) into an Instance.

A dataset folder holds (schemas and units in ``data/README.md``):

==================== ========================================================== ========
file                 columns                                                    required
==================== ========================================================== ========
municipalities.csv   code, name, region, population, lon, lat, area_km2         yes
providers.csv        provider_id, name, municipality_code, owner, kind,         yes
                     capacity, advisory_capacity
specialer.csv        speciale, name                                             yes
functions.csv        function, name, specialer, target_group                    no [5]
competence.csv       provider_id, function, max_cases, current_cases,           yes
                     designated_today, designation_cost, advisory_cost
demand.csv           municipality_code, function, demand                        yes
adjacency.csv        from_code, to_code (land neighbours)                       [1]
crossings.csv        from_code, to_code, mode, name, minutes                    [1]
travel.csv           from_code, to_code, minutes (door-to-door matrix)          no [1]
population_by_age.csv code, age_group (0-17 / 18+), persons                     no [2]
costs.csv            parameter, function, value, unit, source, note             no [3]
refusion_tiers.csv   lower_dkk, upper_dkk, rate, source                         no [3]
delivery_need.csv    function, residential_share, source, note                  no [4]
applications.csv     provider_id, function, places, from_year                   no [6]
==================== ========================================================== ========

[1] Travel times come from ``travel.csv`` when the folder has one (e.g. a routing-engine
extract; each unordered pair may be listed once); otherwise they are computed from
``adjacency.csv`` and ``crossings.csv`` by :mod:`specialeplan.data.travel`.
[2] Municipal population by age group (Statistics Denmark FOLK1A by age); used by the
generator to spread children's and adults' specialer and shown by ``data summary``. Not
bundled: without it the national share of :mod:`specialeplan.data.population` stands in.
[3] The cost table in kroner and the central refusion tiers (:mod:`specialeplan.data.costs`,
``docs/costs.md``), for the reported costs of a plan; a folder without them uses the bundled
ones (each file separately).
[4] Per speciale, the share ρ_s of borgerforløb that need a residential place (family
``delivery_need``); bundled as documented assumptions. Without it ρ_s = 0 for every speciale
(:data:`specialeplan.model.params.DEFAULT_RESIDENTIAL_SHARE`: outreach may serve anyone).
``specialer.csv`` may carry ``target_group`` (children, adults or all), checked when present.
[5] The specialfunktion types (seed 002, Figur 1): the unit of designation, minimum volume and
capacity; each names the specialer it belongs to (``;``-separated) and its target group.
Without it every speciale is one function of the same id, and ``competence.csv``,
``demand.csv`` and ``delivery_need.csv`` may call their ``function`` column ``speciale``
(the format before specialfunktion types).
[6] Applications to become a specialfunktion (seed 002: «Specialfunktionerne godkendes af
socialtilsynet efter ansøgning»): the provider, the type, the places offered and the year
from which the application applies (empty: from the start). Read by ``model.mode:
applications``, which designates only among the applications (each needs a competence row
for its costs); ignored otherwise.

Any file can be replaced by a real extract with the same columns. Every problem is reported
as :class:`DataValidationError` naming the file, the row (as Excel shows it: header = row 1)
and the field.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from specialeplan.data import travel as tr
from specialeplan.data.costs import dataset_cost_files, load_costs
from specialeplan.data.population import TARGET_GROUPS
from specialeplan.errors import DataValidationError, ScenarioError
from specialeplan.model.instance import (
    DEFAULTS,
    SCHEMAS,
    Instance,
    excel_row,
    legacy_function_column,
    normalise_table,
)

TABLE_FILES: dict[str, str] = {
    "municipalities": "municipalities.csv",
    "providers": "providers.csv",
    "specialer": "specialer.csv",
    "competence": "competence.csv",
    "demand": "demand.csv",
}
ADJACENCY_FILE = "adjacency.csv"
CROSSINGS_FILE = "crossings.csv"
TRAVEL_FILE = "travel.csv"
POPULATION_BY_AGE_FILE = "population_by_age.csv"
DELIVERY_NEED_FILE = "delivery_need.csv"
APPLICATIONS_FILE = "applications.csv"
FUNCTIONS_FILE = "functions.csv"
# generated by data/scripts/generate_synthetic.py: a dataset that still uses one of them
# unchanged is flagged ``synthetic``
SYNTHETIC_FILES = ("specialer.csv", "providers.csv", "competence.csv", "demand.csv",
                   "functions.csv", "applications.csv")
CODE_PATTERN = re.compile(r"\d{3}")
# optional extra columns that are numbers when present (checked like the required ones)
OPTIONAL_NUMBERS: dict[str, dict[str, type]] = {
    "specialer": {"prevalence_per_100k": float, "wave": int, "illustrative": int},
}


def bundled_dir() -> Path:
    """Folder of the bundled Denmark dataset (package data)."""
    return Path(__file__).resolve().parent / "denmark"


@dataclass
class _Reader:
    """Reads CSVs from one folder and records each file's path and sha256."""

    directory: Path
    sources: dict[str, str] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)

    def path(self, file_name: str) -> str:
        return str(self.directory / file_name)

    def read(self, file_name: str, *, allow_no_rows: bool = False) -> pd.DataFrame:
        """Every column as text (codes such as "101" stay text); empty cells become NaN."""
        path = self.directory / file_name
        where = str(path)
        if not path.is_file():
            raise DataValidationError("required file is missing", file=where)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise DataValidationError(f"cannot read file: {exc}", file=where) from exc
        try:
            text = raw.decode("utf-8-sig")  # Excel's "CSV UTF-8" writes a BOM
        except UnicodeDecodeError as exc:
            raise DataValidationError(
                f"not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'", file=where
            ) from exc
        if not text.strip():
            raise DataValidationError("file is empty (no header row)", file=where)
        _check_field_counts(text, where)
        try:
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                             na_values=[""], skipinitialspace=True)
        except pd.errors.ParserError as exc:
            line = re.search(r"line (\d+)", str(exc))
            raise DataValidationError(
                f"not a valid CSV: {exc}".strip(), file=where,
                row=int(line.group(1)) if line else None,
            ) from exc
        df.columns = [str(c).strip() for c in df.columns]
        if df.empty and not allow_no_rows:
            raise DataValidationError("no data rows (only a header)", file=where, row=2)
        self.hashes[file_name] = hashlib.sha256(raw).hexdigest()
        return df


def _check_field_counts(text: str, file: str) -> None:
    """Every row has as many fields as the header. pandas would take one extra field in the
    first data row as an index column and shift the values silently, so the rows are
    counted here, with the row number as the file (and Excel) counts it."""
    rows = csv.reader(io.StringIO(text))
    header = next(rows, [])
    for fields in rows:
        if fields and len(fields) != len(header):
            hint = (" (a decimal comma? write numbers with a decimal point, e.g. 12.5)"
                    if len(fields) > len(header) else "")
            raise DataValidationError(
                f"not a valid CSV: {len(fields)} fields where the header has {len(header)}"
                f"{hint}", file=file,
                row=rows.line_num)


def _require_columns(df: pd.DataFrame, columns: list[str], file: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataValidationError(
            f"missing required column(s) {missing}; found {list(df.columns)}",
            file=file, row=1, field=missing[0],
        )


def _read_table(reader: _Reader, table: str) -> pd.DataFrame:
    """One of the Instance tables, with required columns checked and dtypes normalised."""
    file = reader.path(TABLE_FILES.get(table, f"{table}.csv"))
    reader.sources[table] = file
    df = reader.read(TABLE_FILES.get(table, f"{table}.csv"))
    df = legacy_function_column(table, df)  # checked after: the columns it requires
    _require_columns(df, [c for c in SCHEMAS[table] if c not in DEFAULTS.get(table, {})], file)
    df = normalise_table(table, df, file)
    for col, kind in OPTIONAL_NUMBERS.get(table, {}).items():
        if col in df.columns:
            df[col] = _numbers(df, col, file).astype(kind)
    return df


def _fail_at(mask: pd.Series, df: pd.DataFrame, col: str, file: str, message: str) -> None:
    """Raise for the first True row of ``mask`` (message may use {value})."""
    if mask.any():
        i = int(np.flatnonzero(mask.to_numpy())[0])
        raise DataValidationError(message.format(value=df[col].iloc[i]), file=file,
                                  row=excel_row(i), field=col)


def check_codes(df: pd.DataFrame, col: str, file: str,
                known: set[str] | None = None) -> None:
    """Municipality codes must be 3-digit text and (if ``known``) listed in municipalities."""
    s = df[col]
    _fail_at(s.isna(), df, col, file, "empty municipality code")
    text = s.astype(str).str.strip()
    _fail_at(~text.str.fullmatch(CODE_PATTERN), df, col, file,
             "municipality code must be 3 digits as text (e.g. '101'), got {value!r}")
    if known is not None:
        _fail_at(~text.isin(known), df, col, file,
                 "unknown municipality code {value!r} (not in municipalities.csv)")
    df[col] = text


def _numbers(df: pd.DataFrame, col: str, file: str) -> pd.Series:
    num = pd.to_numeric(df[col], errors="coerce")
    _fail_at(num.isna() | ~np.isfinite(num), df, col, file,
             "expected a finite number, got {value!r}")
    _fail_at(num < 0, df, col, file, "must be >= 0, got {value!r}")
    return num.astype(float)


def _read_links(reader: _Reader, known: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """adjacency.csv and crossings.csv, checked against the municipality codes."""
    adj_file, cr_file = reader.path(ADJACENCY_FILE), reader.path(CROSSINGS_FILE)
    adjacency = reader.read(ADJACENCY_FILE)
    _require_columns(adjacency, ["from_code", "to_code"], adj_file)
    crossings = reader.read(CROSSINGS_FILE, allow_no_rows=True)
    _require_columns(crossings, ["from_code", "to_code", "minutes"], cr_file)
    for df, file in ((adjacency, adj_file), (crossings, cr_file)):
        for col in ("from_code", "to_code"):
            check_codes(df, col, file, known)
        _fail_at(df["from_code"] == df["to_code"], df, "to_code", file,
                 "a link must join two different municipalities, got {value!r} twice")
    crossings["minutes"] = _numbers(crossings, "minutes", cr_file)
    crossings["mode"] = crossings.get("mode", pd.Series("crossing", index=crossings.index))
    crossings["name"] = crossings.get("name", pd.Series("", index=crossings.index))
    crossings[["mode", "name"]] = crossings[["mode", "name"]].fillna("")
    return adjacency, crossings


def _check_connected(graph: nx.Graph, munis: pd.DataFrame, file: str) -> None:
    groups = tr.isolated_groups(graph)
    if not groups:
        return
    names = munis.set_index("code")["name"]
    cut = [c for g in groups for c in g]
    listed = ", ".join(f"{c} {names[c]}" for c in cut[:12]) + (" …" if len(cut) > 12 else "")
    first = int(np.flatnonzero((munis["code"] == cut[0]).to_numpy())[0])
    raise DataValidationError(
        f"{len(cut)} municipalit{'y is' if len(cut) == 1 else 'ies are'} not connected to the "
        f"rest of the country: {listed}. Add a land neighbour to {ADJACENCY_FILE} or a bridge/"
        f"ferry to {CROSSINGS_FILE}",
        file=file, row=excel_row(first), field="code",
    )


def load_travel_graph(directory: Path | str | None = None) -> tuple[nx.Graph, pd.DataFrame]:
    """The checked travel graph and municipality table of a dataset folder (no instance)."""
    reader = _Reader(Path(directory) if directory is not None else bundled_dir())
    munis = _read_municipalities(reader)
    adjacency, crossings = _read_links(reader, set(munis["code"]))
    graph = tr.build_travel_graph(munis, adjacency, crossings)
    _check_connected(graph, munis, reader.path(TABLE_FILES["municipalities"]))
    return graph, munis


def load_municipalities(directory: Path | str | None = None) -> pd.DataFrame:
    """The checked ``municipalities.csv`` of a dataset folder (default: the bundled one),
    without reading the rest of the folder (e.g. to import a side file into it)."""
    return _read_municipalities(_Reader(Path(directory) if directory is not None
                                        else bundled_dir()))


def _read_municipalities(reader: _Reader) -> pd.DataFrame:
    munis = _read_table(reader, "municipalities")
    check_codes(munis, "code", reader.sources["municipalities"])
    return munis


def _read_travel_matrix(reader: _Reader, munis: pd.DataFrame) -> pd.DataFrame:
    """A planner's own ``travel.csv``: every ordered pair (or its reverse) and the diagonal."""
    file = reader.path(TRAVEL_FILE)
    df = reader.read(TRAVEL_FILE)
    _require_columns(df, ["from_code", "to_code", "minutes"], file)
    known = set(munis["code"])
    for col in ("from_code", "to_code"):
        check_codes(df, col, file, known)
    df["minutes"] = _numbers(df, "minutes", file)
    _fail_at(df.duplicated(["from_code", "to_code"]), df, "to_code", file,
             "duplicate pair (to_code {value!r} listed twice for the same from_code)")
    codes = list(munis["code"])
    given = df.pivot_table(index="from_code", columns="to_code", values="minutes",
                           aggfunc="first").reindex(index=codes, columns=codes)
    full = given.fillna(given.T)  # a pair listed once counts for both directions
    if full.isna().to_numpy().any():
        k, j = np.argwhere(full.isna().to_numpy())[0]
        raise DataValidationError(
            f"no travel time from {codes[k]} to {codes[j]} (nor the reverse); the matrix must "
            f"cover all {len(codes)}×{len(codes)} pairs including the diagonal",
            file=file, field="minutes",
        )
    n = len(codes)
    return pd.DataFrame({"from_code": np.repeat(codes, n), "to_code": np.tile(codes, n),
                         "minutes": full.to_numpy().ravel()})


def _check_servable(functions: pd.DataFrame, competence: pd.DataFrame, demand: pd.DataFrame,
                    file: str) -> None:
    """A function with demand but no competent provider, named by its row in ``file``
    (functions.csv, or specialer.csv for a dataset with one function per speciale)."""
    # a misspelt function in competence/demand is the more precise error: report it first
    known = set(functions["function"])
    for df, name in ((competence, "competence.csv"), (demand, "demand.csv")):
        _fail_at(~df["function"].isin(known), df, "function",
                 str(Path(file).with_name(name)),
                 "unknown specialfunktion {value!r}" + (
                     f" (known: {', '.join(sorted(known))})" if len(known) <= 30 else ""))
    need = demand.groupby("function")["demand"].sum()
    served = set(competence.loc[competence["max_cases"] > 0, "function"])
    orphan = functions["function"].map(need).fillna(0).gt(0) & ~functions["function"].isin(served)
    _fail_at(orphan, functions, "function", file,
             "specialfunktion {value!r} has demand but no provider can serve it (no row in "
             "competence.csv with max_cases > 0)")


@lru_cache(maxsize=1)
def _bundled_hashes() -> dict[str, str]:
    return {f: hashlib.sha256((bundled_dir() / f).read_bytes()).hexdigest()
            for f in SYNTHETIC_FILES}


def load_dataset(spec: str, base_dir: Path | None = None) -> Instance:
    """A scenario's ``dataset:``: ``denmark`` → the bundled dataset; otherwise a folder with
    the same CSV schema (relative paths are taken from ``base_dir``, normally the scenario
    file's folder)."""
    if spec == "denmark":
        return load_denmark()
    path = Path(spec)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.is_dir():
        raise ScenarioError(f"dataset {spec!r}: no such folder ({path})")
    return load_instance_dir(path)


def load_instance_dir(directory: Path | str, *, name: str | None = None) -> Instance:
    """Load and validate a dataset folder (see the module docstring for the files)."""
    directory = Path(directory)
    reader = _Reader(directory)
    if not directory.is_dir():
        raise DataValidationError("dataset folder does not exist", file=str(directory))
    munis = _read_municipalities(reader)
    known = set(munis["code"])

    tables: dict[str, pd.DataFrame] = {"municipalities": munis}
    for table in ("specialer", "providers", "competence", "demand"):
        tables[table] = _read_table(reader, table)
    if (directory / FUNCTIONS_FILE).is_file():
        tables["functions"] = _read_table(reader, "functions")
    providers, demand = tables["providers"], tables["demand"]
    check_codes(providers, "municipality_code", reader.sources["providers"], known)
    check_codes(demand, "municipality_code", reader.sources["demand"], known)
    taxonomy = tables.get("functions")
    if taxonomy is None:  # one function per speciale
        taxonomy = tables["specialer"].rename(columns={"speciale": "function"})
    _check_servable(taxonomy, tables["competence"], demand,
                    reader.sources.get("functions", reader.sources["specialer"]))
    spec = tables["specialer"]
    if "target_group" in spec.columns:
        spec["target_group"] = spec["target_group"].fillna("all").astype(str).str.strip()
        _fail_at(~spec["target_group"].isin(TARGET_GROUPS), spec, "target_group",
                 reader.sources["specialer"],
                 "target_group must be children, adults or all, got {value!r}")
    by_age = None
    if (directory / POPULATION_BY_AGE_FILE).is_file():
        by_age = reader.read(POPULATION_BY_AGE_FILE)
        reader.sources["population_by_age"] = reader.path(POPULATION_BY_AGE_FILE)
        _require_columns(by_age, list(SCHEMAS["population_by_age"]),
                         reader.sources["population_by_age"])
        check_codes(by_age, "code", reader.sources["population_by_age"], known)

    delivery_need = None
    if (directory / DELIVERY_NEED_FILE).is_file():
        delivery_need = reader.read(DELIVERY_NEED_FILE)
        reader.sources["delivery_need"] = reader.path(DELIVERY_NEED_FILE)
        delivery_need = legacy_function_column("delivery_need", delivery_need)
        _require_columns(delivery_need, ["function", "residential_share"],
                         reader.sources["delivery_need"])

    applications = None
    if (directory / APPLICATIONS_FILE).is_file():
        applications = reader.read(APPLICATIONS_FILE, allow_no_rows=True)
        reader.sources["applications"] = reader.path(APPLICATIONS_FILE)
        _require_columns(applications, ["provider_id", "function", "places"],
                         reader.sources["applications"])

    if (directory / TRAVEL_FILE).is_file():
        travel = _read_travel_matrix(reader, munis)
        reader.sources["travel"] = reader.sources["provider_travel"] = reader.path(TRAVEL_FILE)
    else:
        adjacency, crossings = _read_links(reader, known)
        graph = tr.build_travel_graph(munis, adjacency, crossings)
        _check_connected(graph, munis, reader.sources["municipalities"])
        travel = tr.all_pairs_minutes(graph, munis)
        derived = f"{reader.path(ADJACENCY_FILE)} + {CROSSINGS_FILE}"
        reader.sources["travel"] = reader.sources["provider_travel"] = derived

    codes = munis["code"].to_numpy()
    matrix = travel["minutes"].to_numpy().reshape(len(codes), len(codes))
    # t[k, p] = municipality travel from home k to the provider's municipality
    at = pd.Index(codes).get_indexer(providers["municipality_code"])
    provider_travel = pd.DataFrame({
        "municipality_code": np.repeat(codes, len(providers)),
        "provider_id": np.tile(providers["provider_id"].to_numpy(), len(codes)),
        "minutes": matrix[:, at].ravel(),
    })

    # the cost table (the objective's prices, docs/costs.md): the folder's own files or the
    # bundled ones; a scenario's costs: overrides are applied per run (specialeplan.api.run)
    cost_files = dataset_cost_files(directory)
    costs = load_costs(cost_files["costs"], cost_files["refusion_tiers"],
                       set(taxonomy["function"].astype(str))).costs
    reader.sources.update(cost_files)

    bundled = directory.resolve() == bundled_dir()
    synthetic = bundled or any(reader.hashes.get(f) == h for f, h in _bundled_hashes().items())
    return Instance(
        name=name or ("denmark" if bundled else directory.resolve().name),
        provider_travel=provider_travel, travel=travel, population_by_age=by_age,
        delivery_need=delivery_need, applications=applications, costs=costs,
        sources=dict(reader.sources),
        hashes=dict(sorted(reader.hashes.items())), synthetic=synthetic, **tables,
    )


def load_denmark(directory: Path | None = None) -> Instance:
    """The bundled Denmark dataset: real municipalities, SYNTHETIC providers and demand.

    ``directory`` overrides the bundled folder (same files, e.g. a patched copy).
    """
    return load_instance_dir(directory if directory is not None else bundled_dir(),
                             name=None if directory is not None else "denmark")
