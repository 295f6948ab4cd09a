"""The file contract of a results folder: which tables, which columns, which types, which keys.

Read by the writer (:mod:`specialeplan.results.writer`, which writes exactly these columns in this
order) and by the checker (:mod:`specialeplan.checker`, which refuses a folder that breaks
it), so the two cannot drift. ``docs/results-format.md`` documents the same contract for
people. The inputs under ``instance/`` follow the instance schemas of
:mod:`specialeplan.model.instance` (one definition for loading and for checking).

Column kinds: ``id`` non-empty text, ``text`` text (empty allowed), ``num`` a number
(``inf`` allowed, not empty), ``num?`` a number or empty, ``bool`` true/false or 0/1.

``names`` are extra, optional columns for people: the name of a provider or municipality,
written right after the id column it names. The checker never reads them (a folder without
them, e.g. written by an older version, is as valid).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from specialeplan.model.instance import KEYS, SCHEMAS
from specialeplan.model.params import LEGACY_CRITERIA


@dataclass(frozen=True)
class TableContract:
    """Columns (name → kind, in file order) and key columns of one CSV file; ``names``:
    optional name column → the id column it names (written after it)."""

    file: str
    columns: dict[str, str]
    keys: list[str]
    names: dict[str, str] = field(default_factory=dict)
    #: a folder of an earlier version may lack the file (read as an empty table)
    optional: bool = False


RESULT_TABLES: dict[str, TableContract] = {
    "designations": TableContract("designations.csv", {
        "provider_id": "id", "municipality_code": "text", "function": "id", "cases": "num",
        "outreach_cases": "num", "is_advisory": "bool", "designated_today": "bool",
        "advised_municipalities": "num", "coached_cases": "num", "advisory_load": "num"},
        ["provider_id", "function"],
        {"provider_name": "provider_id", "municipality_name": "municipality_code"}),
    "assignments": TableContract("assignments.csv", {
        "municipality_code": "id", "provider_id": "id", "function": "id", "mode": "id",
        "cases": "num", "travel_minutes": "num"},
        ["municipality_code", "provider_id", "function", "mode"],
        {"municipality_name": "municipality_code", "provider_name": "provider_id"}),
    "coverage": TableContract("coverage.csv", {
        "municipality_code": "id", "function": "id", "demand": "num", "served": "num",
        "outreach": "num", "near_family": "num", "unmet": "num",
        "mean_travel_minutes": "num?"},
        ["municipality_code", "function"], {"municipality_name": "municipality_code"}),
    # per speciale (the rådgivning duty is per speciale); ``function``: the advising
    # rådgivningsfunktion's function, empty with advisory_provider_id on a shortfall row
    "reach": TableContract("reach.csv", {
        "municipality_code": "id", "speciale": "id", "advisory_provider_id": "text",
        "function": "text", "travel_minutes": "num?", "share": "num"},
        ["municipality_code", "speciale", "advisory_provider_id", "function"],
        {"municipality_name": "municipality_code",
         "advisory_provider_name": "advisory_provider_id"}),
    "near_family": TableContract("near_family.csv", {
        "municipality_code": "id", "function": "id", "provider_id": "id",
        "advisory_provider_id": "id", "advisory_function": "id", "cases": "num"},
        ["municipality_code", "function", "provider_id", "advisory_provider_id",
         "advisory_function"],
        {"municipality_name": "municipality_code", "provider_name": "provider_id",
         "advisory_provider_name": "advisory_provider_id"}),
    "regions": TableContract("regions.csv", {
        "region": "id", "function": "id", "demand": "num", "served_home": "num",
        "exported": "num", "imported": "num", "served_in_region": "num",
        "near_family": "num", "unmet": "num", "designated_capacity": "num",
        "capacity_shortfall": "num"},
        ["region", "function"]),
    "transitional": TableContract("transitional.csv", {
        "provider_id": "id", "municipality_code": "text", "function": "id",
        "current_cases": "num", "transitional_cases": "num"},
        ["provider_id", "function"],
        {"provider_name": "provider_id", "municipality_name": "municipality_code"},
        optional=True),
    "capacity_changes": TableContract("capacity_changes.csv", {
        "entry": "num", "provider_id": "id", "municipality_code": "text", "function": "id",
        "places": "num", "investment_dkk": "num?", "annual_cost_dkk": "num",
        "places_before": "num", "places_after": "num", "cases": "num"},
        ["entry"],
        {"provider_name": "provider_id", "municipality_name": "municipality_code"},
        optional=True),
    # model.mode applications (model/applications.py): each application of a planned type
    # and its status, then the designations without one (påbud, new site)
    "applications": TableContract("applications.csv", {
        "provider_id": "id", "function": "id", "places": "num?", "from_year": "num?",
        "status": "id", "cases": "num"},
        ["provider_id", "function", "status"], {"provider_name": "provider_id"},
        optional=True),
}

#: ``financing.csv`` (who pays, docs/results-format.md and docs/costs.md): per home
#: municipality and planned speciale. Written with the other tables since the cost table
#: exists; a folder of an earlier version without it is as valid.
FINANCING = TableContract("financing.csv", {
    "municipality_code": "id", "function": "id", "population_share": "num",
    "base_funding_dkk": "num", "residential_cases": "num", "outreach_cases": "num",
    "care_cost_dkk": "num", "refunded_dkk": "num", "net_cost_dkk": "num", "total_dkk": "num"},
    ["municipality_code", "function"], {"municipality_name": "municipality_code"})

#: The cost table of the run (:mod:`specialeplan.data.costs`, scenario overrides applied),
#: written under ``instance/`` so that the checker can recompute the costs from the folder
COST_TABLES: dict[str, TableContract] = {
    "costs": TableContract("instance/costs.csv", {
        "parameter": "id", "function": "text", "value": "num", "unit": "text",
        "source": "text", "note": "text"}, ["parameter", "function"]),
    "refusion_tiers": TableContract("instance/refusion_tiers.csv", {
        "lower_dkk": "num", "upper_dkk": "num?", "rate": "num", "source": "text"},
        ["lower_dkk"]),
}

#: assignments.mode values
MODES = ("physical", "outreach")

# the instance schema's kinds in the checker's words
_KIND = {"str": "id", "any": "text", "num": "num", "float": "num", "bool": "bool",
         "num?": "num?"}

SPECIALE_PARAMS = TableContract("instance/function_params.csv", {
    "function": "id", "min_cases": "num?", "max_travel_minutes": "num?",
    "reach_minutes": "num?", "min_count": "num?", "max_count": "num?", "min_advisory": "num?",
    "max_advisory": "num?", "demand_growth": "num?", "outreach_minutes": "num?",
    "near_family_share": "num?"}, ["function"])
#: optional columns of ``instance/function_params.csv`` (written since they exist; a folder
#: without them reads as their default): ``backup_minutes`` (empty = max_travel_minutes),
#: ``residential_share`` (ρ_s of family ``delivery_need``, the value solved: scenario override
#: or the dataset's ``delivery_need.csv``; absent = 0, no bound on outreach)
SPECIALE_PARAMS_OPTIONAL = {"backup_minutes": "num?", "residential_share": "num?"}

#: columns of a dataset table that a results folder of an earlier version may lack (read
#: as the Instance's default: ``target_groups`` all)
_NEWER_COLUMNS = {"providers": ("target_groups",)}

INSTANCE_TABLES: dict[str, TableContract] = {
    **{name: TableContract(f"instance/{name}.csv",
                           {c: _KIND[k] for c, k in SCHEMAS[name].items()
                            if c not in _NEWER_COLUMNS.get(name, ())}, KEYS[name])
       for name in ("municipalities", "providers", "competence", "demand", "provider_travel")},
    "function_params": SPECIALE_PARAMS,
}

#: inputs under ``instance/`` written when the dataset has them (read when present): the
#: dataset's ``delivery_need.csv`` for the planned specialer (where ρ_s came from, with its
#: source and note; the value solved is ``function_params.csv`` ``residential_share``)
OPTIONAL_INSTANCE_TABLES: dict[str, TableContract] = {
    # the taxonomy of the planned specialfunktion types and their specialer (since issue 22;
    # a folder without them planned one function per speciale)
    "functions": TableContract("instance/functions.csv",
                               {c: _KIND[k] for c, k in SCHEMAS["functions"].items()},
                               KEYS["functions"]),
    "specialer": TableContract("instance/specialer.csv",
                               {c: _KIND[k] for c, k in SCHEMAS["specialer"].items()},
                               KEYS["specialer"]),
    # the dataset's applications of the planned types (model.mode: applications)
    "applications": TableContract("instance/applications.csv",
                                  {c: _KIND[k] for c, k in SCHEMAS["applications"].items()},
                                  KEYS["applications"]),
    "delivery_need": TableContract("instance/delivery_need.csv",
                                   {c: _KIND[k] for c, k in SCHEMAS["delivery_need"].items()},
                                   KEYS["delivery_need"]),
}

RESOLVED_SCENARIO = "instance/scenario.resolved.yaml"
KPIS = "kpis.json"
INFEASIBILITY = "infeasibility.csv"
#: Key of ``scenario.resolved.yaml`` with the sha256 of every input and result table as
#: written (relative path → hex digest); the checker verifies the files against it
FILE_HASHES = "file_hashes"

#: ``kpis.json`` keys of earlier versions → today's (one code name per Danish term, README
#: glossary: borgerforløb ``cases``, specialfunktion ``designation``, rådgivningsfunktion
#: ``advisory``). Every reader of a results folder goes through
#: :func:`specialeplan.results.reading.read_kpis_object` (``check``, ``compare``,
#: ``rollout --from``, ``vulnerability``, sweep summaries, frontier tables), which renames
#: them at the top level and in ``per_speciale``: folders written before still read.
KPI_ALIASES = {
    **LEGACY_CRITERIA,  # specialfunktioner, raadgivningsfunktioner (also model.limits names)
    "outreach_borgerforloeb": "outreach_cases",
    "near_family_borgerforloeb": "near_family_cases",
    "moved_borgerforloeb": "moved_cases",
}

#: ``kpis.json → status``: the statuses of a folder with a solution, and without one
SOLUTION_STATUSES = ("optimal", "time_limit", "interrupted", "feasible")
#: ``necessity.csv`` (alternatives --necessity): a necessity → its map class
NECESSITY_MAP_CLASS = {"needed": "always", "replaceable": "sometimes", "possible": "sometimes",
                       "never": "never", "undecided": "undecided"}
NO_SOLUTION_STATUSES = ("infeasible", "unbounded", "no_solution", "error")

#: Timing keys (seconds) of a run, in ``kpis.json`` order (docs/results-format.md, "Timings"):
#: loading the dataset (null when a sweep or rollout loaded it once for all its runs),
#: building the model, solving it, all three together (wall time up to the solution), and
#: writing the folder (tables, Excel, maps). Written by :mod:`specialeplan.results.writer`
#: and :func:`specialeplan.pipeline.solve_into_folder`; read by the sweep summary.
KPI_TIMINGS = ("load_seconds", "build_seconds", "solve_seconds", "total_seconds",
               "write_seconds")
#: Every timing key of a run: :data:`KPI_TIMINGS` and the automatic check of the published
#: folder (reported by the run, not stored in the folder it checks).
TIMINGS = (*KPI_TIMINGS, "check_seconds")
