"""Typed model parameters: what the formulation needs besides the instance data.

These are plain, frozen pydantic models with ``extra="forbid"``: an unknown key in a
scenario is an error, never silently ignored. The scenario layer
(``specialeplan.scenarios``) merges YAML files into a :class:`ModelParams`; the model
builder only ever sees this resolved object.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    SerializeAsAny,
    ValidatorFunctionWrapHandler,
    create_model,
    field_validator,
)

from specialeplan.errors import ScenarioError, did_you_mean
from specialeplan.model.families import switches

_STRICT = ConfigDict(extra="forbid", frozen=True)

#: A finite number >= 0 and below 1e15: ``.inf``, ``.nan`` and numbers the solver cannot
#: use faithfully (HiGHS reads 1e15 in its matrix as an error, 1e20 as infinite) are errors
#: naming the key, not a wrong plan or a solver error.
NonNegativeFloat = Annotated[float, Field(ge=0, lt=1e15, allow_inf_nan=False)]

#: a finite number >= 0 (no inf/nan), for the keys added with the model-fidelity families
Finite0 = NonNegativeFloat

#: O_s when a scenario does not set ``outreach_minutes``: staff of a matrikelløs
#: specialfunktion drive out and back on a working day and still spend most of it with the
#: citizen (2 x 90 min on the road of a 7.4-hour day)
DEFAULT_OUTREACH_MINUTES = 90.0
#: beta_s when a scenario does not set ``near_family_share``: at most 10 % of a speciale's
#: borgerforløb nationally are helped near the family by a coached local tilbud; the
#: highly specialised level (specialfunktioner) stays the rule, the local help the exception
DEFAULT_NEAR_FAMILY_SHARE = 0.1
#: rho_s when neither the scenario nor the dataset (``delivery_need.csv``) gives one: 0, so
#: outreach may serve every borgerforløb (a dataset without the table solves as before)
DEFAULT_RESIDENTIAL_SHARE = 0.0
#: the earlier names of the count criteria of ``model.limits`` (the ``kpis.json`` keys of
#: versions before one name per concept); read as today's names, so old scenarios and the
#: resolved scenarios of old results folders still load
LEGACY_CRITERIA = {"specialfunktioner": "designations",
                   "raadgivningsfunktioner": "advisory_designations"}


class SpecialeParams(BaseModel):
    """Per-speciale rules. ``None`` means "use the default" (or "no bound" for counts)."""

    model_config = _STRICT

    min_cases: NonNegativeFloat | None = Field(
        None, description="m_s: minimum borgerforløb per year at a specialfunktion")
    max_travel_minutes: NonNegativeFloat | None = Field(
        None, description="T_s: family-travel cutoff, home municipality to provider (minutes)")
    reach_minutes: NonNegativeFloat | None = Field(
        None, description="R_s: every municipality within this of a rådgivningsfunktion")
    min_count: NonNegativeInt | None = Field(None, description="min specialfunktioner nationally")
    max_count: NonNegativeInt | None = Field(None, description="max specialfunktioner nationally")
    min_advisory: NonNegativeInt | None = Field(None, description="min rådgivningsfunktioner")
    max_advisory: NonNegativeInt | None = Field(None, description="max rådgivningsfunktioner")
    demand_growth: NonNegativeFloat | None = Field(
        None, description="multiplier on the dataset's demand for this speciale")
    outreach_minutes: Finite0 | None = Field(
        None, description="O_s: outreach radius, staff travel from a matrikelløs "
        f"specialfunktion's base to the citizen's home municipality (minutes; default "
        f"{DEFAULT_OUTREACH_MINUTES:g})")
    near_family_share: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = Field(
        None, description="beta_s: at most this share of the speciale's national demand is "
        f"helped near the family by a coached local tilbud (default "
        f"{DEFAULT_NEAR_FAMILY_SHARE:g})")
    residential_share: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = Field(
        None, description="rho_s: share of the speciale's borgerforløb that need a residential "
        "place and cannot be served by outreach (family delivery_need: outreach at most "
        "(1 - rho_s)·d[k,s]); default: the dataset's delivery_need.csv, else "
        f"{DEFAULT_RESIDENTIAL_SHARE:g}")
    backup_minutes: Finite0 | None = Field(
        None, description="B_s: with families.backup_coverage, the second specialfunktion of "
        "every municipality with demand may be this far away (minutes; default: the "
        "family-travel cutoff T_s, i.e. two within T_s)")


class Weights(BaseModel):
    """Objective prices in thousand DKK per year, one per weighted term (each term is reported
    separately in ``kpis.json``). None (the default) = derived from the run's cost table
    (``costs.csv`` and the scenario's ``costs:``; :mod:`specialeplan.model.pricing`); a
    number overrides the cost table for that term, in the same unit. Prefer ``costs:``: it
    keeps the source of every price in the results."""

    model_config = _STRICT

    travel: NonNegativeFloat | None = Field(
        None, description="thousand DKK per borgerforløb-minute of one-way family travel per year "
        "(from family_visits_per_year, km_rate, road_speed_kmh, value_of_time)")
    designation: NonNegativeFloat | None = Field(
        None, description="thousand DKK per unit of competence.designation_cost "
        "(designation_cost_unit)")
    advisory: NonNegativeFloat | None = Field(
        None, description="thousand DKK per unit of competence.advisory_cost (advisory_cost_unit)")
    unmet: NonNegativeFloat | None = Field(
        None, description="thousand DKK per unmet borgerforløb per year: the alternative's cost "
        "(unmet_alternative_cost) plus the stated quality penalty (unmet_quality_penalty)")
    reach_shortfall: NonNegativeFloat | None = Field(
        None, description="thousand DKK per municipality and speciale without rådgivning in "
        "reach per year (reach_shortfall_penalty, a stated value judgement)")
    change: NonNegativeFloat | None = Field(
        None, description="thousand DKK per designation that differs from today's (change_cost)")
    outreach: NonNegativeFloat | None = Field(
        None, description="thousand DKK per borgerforløb-minute of one-way outreach staff "
        "travel per year (from outreach_visits_per_year, km_rate, road_speed_kmh, "
        "staff_hourly_cost)")
    near_family: NonNegativeFloat | None = Field(
        None, description="thousand DKK per borgerforløb helped near the family per year, on "
        "top of its care price (near_family_cost: coaching of the local tilbud)")
    moved: NonNegativeFloat | None = Field(
        None, description="thousand DKK per borgerforløb of today's caseload moved (move_cost; "
        "only with families.allow_moves: today's residents stay by default)")
    equity: NonNegativeFloat | None = Field(
        None, description="thousand DKK per minute of the worst-off municipalities' mean family "
        "travel per year (equity_value_per_minute; only with families.equity on)")


@functools.cache
def _families_model(spec: tuple[tuple[str, bool, str], ...]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        name: (bool, Field(default, description=doc)) for name, default, doc in spec}
    model = create_model("Families", __config__=_STRICT, **fields)
    model.__doc__ = ("Switches for the constraint families (``model.families``), one per "
                     "registered family; see :mod:`specialeplan.model.registry`.")
    return model


def families_model() -> type[BaseModel]:
    """The ``model.families`` switches, made from the family registry as it is now (one per
    switchable family plus the families' options), all booleans with the registry's
    defaults. :class:`ModelParams` validates its ``families`` with it, so a family registered
    after this module was imported (a test's throwaway family) gets its switch too."""
    return _families_model(tuple((k, d, doc) for k, (d, doc) in switches().items()))


Families = families_model()


#: the field naming a specialfunktion type; ``speciale`` is its name before issue 22 (in a
#: dataset with one function per speciale the two are the same id)
FunctionId = Annotated[str, Field(validation_alias=AliasChoices("function", "speciale"))]


class Designation(BaseModel):
    """One (provider, function) pair, as listed under ``fixed`` or ``forbidden``."""

    model_config = _STRICT

    provider_id: str
    function: FunctionId


class Commitment(BaseModel):
    """A specialfunktion an earlier rollout wave designated (``model.committed``): it stays,
    with its rådgivning duty and the borgerforløb placed there (family ``committed``)."""

    model_config = _STRICT

    provider_id: str
    function: FunctionId
    advisory: bool = Field(False, description="its rådgivning duty stays (r = 1)")
    cases: NonNegativeFloat = Field(
        0.0, description="borgerforløb placed there by the earlier wave; they stay")


class RegionBound(BaseModel):
    """Bounds on the number of specialfunktioner of a function type in one region."""

    model_config = _STRICT

    function: FunctionId
    region: str
    min_count: NonNegativeInt | None = None
    max_count: NonNegativeInt | None = None


class CapacityChange(BaseModel):
    """Places lost or added: the capacity (``providers.capacity``) and the per-speciale
    places (``competence.max_cases``) of the matching providers are multiplied by
    ``factor``. A provider matches when it is in ``region`` (if given), has ``owner`` (if
    given) and is ``provider_id`` (if given); at least one of the three is needed."""

    model_config = _STRICT

    factor: NonNegativeFloat = Field(..., description="e.g. 0.8: a fifth of the places lost")
    region: str | None = None
    owner: str | None = None
    provider_id: str | None = None


class Expansion(BaseModel):
    """A candidate expansion (issue 23): ``places`` extra places for ``function`` at
    ``provider_id``, built only where the model designates the pair. It raises the
    provider's capacity (``providers.capacity``) and the pair's places
    (``competence.max_cases``) by ``places``. Its annual cost is the annuity of the
    investment (``costs.csv``: capacity_annuity_rate over capacity_lifetime_years), or
    ``annual_cost_dkk`` where given."""

    model_config = _STRICT

    provider_id: str = Field(..., description="an existing provider (providers.csv id)")
    function: str = Field(..., description="the specialfunktion type the places are for")
    places: int = Field(..., gt=0, lt=100_000, description="extra places (borgerforløb at a "
                        "time)")
    investment_dkk: NonNegativeFloat | None = Field(
        None, description="the investment in DKK (default: places × the cost table's "
        "expansion_investment_per_place)")
    annual_cost_dkk: NonNegativeFloat | None = Field(
        None, description="DKK per year instead of the annuity of the investment (e.g. a "
        "rented building); needed without a cost table")
    built: bool = Field(False, description="built already (by an earlier rollout wave): it "
                        "stays (e = 1), its annuity is paid, and it is outside the budget")


class ExpansionCandidates(BaseModel):
    """A candidate expansion of ``places`` places at every competence pair of the planned
    types (``competence.csv`` rows with max_cases > 0; ``functions``: only of these types),
    numbered after ``expansions`` and ``new_sites`` in (function, provider) order."""

    model_config = _STRICT

    places: int = Field(..., gt=0, lt=100_000, description="places of each candidate")
    functions: list[str] | None = Field(None, description="only at pairs of these types")
    investment_dkk: NonNegativeFloat | None = Field(
        None, description="the investment of each in DKK (default: places × the cost "
        "table's expansion_investment_per_place)")
    annual_cost_dkk: NonNegativeFloat | None = Field(
        None, description="DKK per year of each instead of the annuity of the investment")


class NewSite(BaseModel):
    """A candidate new specialfunktion at a site with no provider today (issue 23): a new
    provider ``site_id`` in ``municipality`` (code or name) with ``places`` places for
    ``function``, built only where the model designates it, as an expansion of a provider
    that has no places yet (same annuity, budget and results: ``capacity_changes.csv``)."""

    model_config = _STRICT

    site_id: str = Field(..., description="the new provider's id (not one of the dataset's)")
    municipality: str = Field(..., description="municipality code or name of the site")
    function: str = Field(..., description="the specialfunktion type of the site")
    places: int = Field(..., gt=0, lt=100_000, description="places built")
    investment_dkk: NonNegativeFloat | None = Field(
        None, description="the investment in DKK (default: places × the cost table's "
        "expansion_investment_per_place)")
    annual_cost_dkk: NonNegativeFloat | None = Field(
        None, description="DKK per year instead of the annuity of the investment")
    designation_cost: NonNegativeFloat | None = Field(
        None, description="running cost as a specialfunktion, in competence.csv's unit "
        "(default: the median of the type's competence rows)")
    owner: str = Field("new", description="owner type of the site, e.g. municipal, private")
    kind: Literal["residential", "outreach", "both"] = "residential"
    built: bool = Field(False, description="built already (by an earlier rollout wave)")


class Equity(BaseModel):
    """The worst-off term (``families.equity``): maximum or CVaR of per-municipality mean
    family travel, per speciale."""

    model_config = _STRICT

    measure: Literal["cvar", "max"] = Field(
        "cvar", description="'cvar': mean of the worst alpha share of municipalities "
        "(Rockafellar-Uryasev); 'max': the single worst municipality")
    alpha: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = Field(
        0.1, description="share of municipalities (with demand) in the CVaR tail: 0.1 = the "
        "worst tenth, about 10 municipalities")
    limit_minutes: Finite0 | None = Field(
        None, description="optional hard cap on each speciale's measure (minutes); None = "
        "only the weighted term")


class ModelParams(BaseModel):
    """Everything the formulation needs beyond the :class:`Instance`."""

    model_config = _STRICT

    specialer: list[str] | None = Field(
        None, description="specialer to plan: every specialfunktion type under them (None = "
        "all in the dataset; never empty)")
    functions: list[str] | None = Field(
        None, description="specialfunktion types to plan (functions.csv), instead of or "
        "besides 'specialer'; None = those of 'specialer'")
    defaults: SpecialeParams = Field(
        default_factory=lambda: SpecialeParams(
            min_cases=0.0, max_travel_minutes=None, reach_minutes=None, min_count=None,
            max_count=None, min_advisory=None, max_advisory=None, demand_growth=1.0,
            outreach_minutes=DEFAULT_OUTREACH_MINUTES,
            near_family_share=DEFAULT_NEAR_FAMILY_SHARE))
    per_speciale: dict[str, SpecialeParams] = Field(
        default_factory=dict, description="rules for every function of a speciale")
    per_function: dict[str, SpecialeParams] = Field(
        default_factory=dict, description="rules for one function type (wins over "
        "per_speciale)")
    demand_growth: NonNegativeFloat = Field(1.0, description="multiplier on all demand")
    weights: Weights = Field(default_factory=Weights)
    families: SerializeAsAny[Families] = Field(  # type: ignore[valid-type]
        default_factory=dict, validate_default=True)
    fixed: list[Designation] = Field(default_factory=list, description="must be designated")
    forbidden: list[Designation] = Field(default_factory=list, description="must not be")
    committed: list[Commitment] = Field(
        default_factory=list, description="commitments of earlier rollout waves (family "
        "'committed'; written by specialeplan rollout)")
    keep_today: Annotated[list[str], Field(
        default_factory=list,
        description="owners (e.g. 'regional') whose designations of today must be kept, "
        "where they can meet the plan's rules (not forbidden, max_cases >= min_cases); the "
        "others are listed in kpis.json keep_today_not_kept")]
    region_bounds: list[RegionBound] = Field(default_factory=list)
    max_specialer_per_provider: NonNegativeInt | None = None
    max_changes: NonNegativeInt | None = Field(
        None, description="at most this many designations differ from today's")
    assignment_formulation: Literal["auto", "arcs", "radius"] = Field(
        "auto", description="'arcs': x[k,p,s] per travel arc; 'radius': Elloumi's telescoped "
        "radius formulation (one column per client and distance level; exact only when every "
        "client goes to its nearest open provider: no capacities, no minimum volume, no unmet "
        "demand — p-median); 'auto': radius exactly when it is exact")
    volume_formulation: Literal["aggregate", "per_arc"] = Field(
        "aggregate", description="'aggregate': one volume column X[p,s] = Σ_k x per pair, with "
        "minimum volume and capacities written on X (HiGHS's root cuts prove a much stronger "
        "bound on national instances); 'per_arc': the same rows written on the x columns "
        "(HiGHS's heuristics find good solutions sooner; the start heuristic uses it)")
    near_family_advisory_load: Finite0 = Field(
        5.0, description="kappa: advisory load of one near-family borgerforløb on its coaching "
        "rådgivningsfunktion, in borgerforløb advised: coaching a local tilbud (courses, "
        "tailored teaching, follow-up) takes about as much as general advice on five")
    keep_advisory_today: bool = Field(
        False, description="keep today's rådgivningsfunktioner (competence.advisory_today): "
        "the rådgivning duty is tendered for eight years at a time")
    equity: Equity = Field(default_factory=Equity)
    expansions: list[Expansion] = Field(
        default_factory=list, description="candidate expansions the model may build next to "
        "the designations (family 'expansion'; results capacity_changes.csv)")
    new_sites: list[NewSite] = Field(
        default_factory=list, description="candidate new specialfunktioner at sites with no "
        "provider today, built like expansions (family 'expansion')")
    expansion_candidates: ExpansionCandidates | None = Field(
        None, description="a candidate expansion at every competence pair of the planned "
        "types, e.g. {places: 10}, besides the listed expansions")
    expansion_budget_dkk: NonNegativeFloat | None = Field(
        None, description="at most this investment in DKK for all expansions built (a loan "
        "or investment budget; per wave in a rollout); null = no budget")
    mode: Literal["designate", "applications"] = Field(
        "designate", description="'designate': any competent provider may become a "
        "specialfunktion; 'applications': only the dataset's applications (applications.csv) "
        "in force in plan_year, each with the places it offers (seed 002: approval after "
        "application); the results list which applications the plan needs and the gaps")
    plan_year: Annotated[int, Field(ge=1900, le=2200)] | None = Field(
        None, description="the year planned: applications with a later from_year do not "
        "count yet (null: every application)")
    close_gaps: bool | list[str] = Field(
        False, description="with mode 'applications': also allow a påbud (an order to a "
        "competent provider that did not apply) and the candidate expansions and new sites, "
        "to close the gaps: true for every planned type, or a list of types "
        "('specialeplan capacity --close-gaps' sets the types with a gap); without it, "
        "mode 'applications' builds no expansions")
    capacity_changes: list[CapacityChange] = Field(
        default_factory=list, description="places lost or added, by region, owner or "
        "provider (applied in order; the solved capacities are written to instance/)")
    limits: dict[str, NonNegativeFloat] = Field(
        default_factory=dict, description="upper limits on criteria (family 'limits'): an "
        "objective term by its raw value, i.e. with weight 1 (travel in borgerforløb-minutes, "
        "designation and advisory in cost units, unmet in borgerforløb, equity in minutes, "
        "...), or 'designations' / 'advisory_designations' (national counts of "
        "specialfunktioner / rådgivningsfunktioner); 'specialeplan frontier' sets them")
    pricing: Literal["kroner", "unit_less"] = Field(
        "kroner", description="'kroner': the objective in thousand DKK per year, every price "
        "from the cost table (costs.csv), with the care term and floor; 'unit_less': the "
        "weights of earlier versions (travel 1 per borgerforløb-minute, unmet 10,000, ...) "
        "and no care term, for hand-derived examples and earlier results")
    reach_formulation: Literal["compact", "strong"] = Field(
        "compact", description="'strong': v <= r per reach arc (tight LP, ~half of all rows on "
        "national instances); 'compact': covering rows Σ r + q >= 1 per municipality plus "
        "Σ_k v <= min(A_p, #arcs)·r — same integer solutions, LP 5x faster")

    @field_validator("families", mode="wrap")
    @classmethod
    def _registered_switches(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        model = families_model()
        if model is Families:
            return handler(value)
        return model.model_validate(value.model_dump() if isinstance(value, BaseModel)
                                    else value)

    @field_validator("capacity_changes")
    @classmethod
    def _some_filter(cls, value: list[CapacityChange]) -> list[CapacityChange]:
        for i, ch in enumerate(value):
            if ch.region is None and ch.owner is None and ch.provider_id is None:
                raise ValueError(f"entry {i + 1} names no region, owner or provider_id: "
                                 "say whose places change")
        return value

    @field_validator("limits")
    @classmethod
    def _known_criteria(cls, value: dict[str, float]) -> dict[str, float]:
        from specialeplan.model.families.limits import COUNTS
        from specialeplan.model.registry import TERMS

        known = [*TERMS, *COUNTS]
        out: dict[str, float] = {}
        for given, limit in value.items():
            name = LEGACY_CRITERIA.get(given, given)
            if name not in known:
                raise ValueError(f"unknown criterion {name!r}.{did_you_mean(name, known)} "
                                 f"Known: {', '.join(known)}")
            if name in out:
                raise ValueError(f"criterion {name!r} is limited twice ({given!r} is its "
                                 "earlier name)")
            out[name] = limit
        return out

    @field_validator("specialer", "functions")
    @classmethod
    def _some_specialer(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("lists no speciale; name at least one, or null for all")
        return value

    def function_table(self, functions: list[str], known: list[str] | None = None,
                       residential: dict[str, float] | None = None,
                       specialer_of: dict[str, list[str]] | None = None,
                       known_specialer: list[str] | None = None) -> pd.DataFrame:
        """Resolved rules, one row per planned specialfunktion type.

        ``known``: every function of the dataset, ``known_specialer`` every speciale and
        ``specialer_of`` each function's specialer (default: one function per speciale of the
        same id). A rule comes from ``per_function``, else from ``per_speciale`` of the first
        of its specialer that sets it, else ``defaults``. Entries for known but unplanned
        names are ignored (a sub-scenario may plan fewer), unknown ones are an error.
        Columns: function, min_cases, max_travel_minutes, reach_minutes, min_count,
        max_count, min_advisory, max_advisory, demand_growth, outreach_minutes,
        near_family_share, backup_minutes, residential_share (NaN = unbounded/off).

        ``residential``: ρ_s of the dataset (``Instance.residential_shares``). One path for
        ``residential_share``: the scenario wins, then the dataset's value, then
        :data:`DEFAULT_RESIDENTIAL_SHARE`.
        """
        known = list(known if known is not None else functions)
        specialer_of = specialer_of or {f: [f] for f in known}
        known_sp = list(known_specialer if known_specialer is not None
                        else sorted({s for ss in specialer_of.values() for s in ss}))
        for table, names, what in ((self.per_function, known, "specialfunktion"),
                                   (self.per_speciale, known_sp, "speciale")):
            unknown = sorted(set(table) - set(names))
            if unknown:
                key = "per_function" if what == "specialfunktion" else "per_speciale"
                hint = ""
                if key == "per_speciale" and unknown[0] in known:
                    hint = (f" {unknown[0]!r} is a specialfunktion type: write it under "
                            "per_function.")
                raise ScenarioError(
                    f"{key} names unknown {what} {unknown[0]!r}.{hint}"
                    f"{did_you_mean(unknown[0], sorted(names))} Known: {sorted(names)}")
        rows = []
        base = self.defaults.model_dump()
        for s in functions:
            row = dict(base)
            layers = [self.per_speciale.get(sp) for sp in reversed(specialer_of.get(s, []))]
            for override in [*layers, self.per_function.get(s)]:
                if override is not None:
                    row.update({k: v for k, v in override.model_dump().items()
                                if v is not None})
            row["demand_growth"] = (row["demand_growth"] if row["demand_growth"] is not None
                                    else 1.0) * self.demand_growth
            row["min_cases"] = row["min_cases"] or 0.0
            if row["outreach_minutes"] is None:
                row["outreach_minutes"] = DEFAULT_OUTREACH_MINUTES
            if row["near_family_share"] is None:
                row["near_family_share"] = DEFAULT_NEAR_FAMILY_SHARE
            if row["residential_share"] is None:
                row["residential_share"] = (residential or {}).get(s, DEFAULT_RESIDENTIAL_SHARE)
            if row["backup_minutes"] is None:  # two within the family-travel cutoff
                row["backup_minutes"] = row["max_travel_minutes"]
            rows.append({"function": s, **row})
        cols = ["function", "min_cases", "max_travel_minutes", "reach_minutes", "min_count",
                "max_count", "min_advisory", "max_advisory", "demand_growth",
                "outreach_minutes", "near_family_share", "backup_minutes", "residential_share"]
        return pd.DataFrame(rows, columns=cols).astype({c: float for c in cols[1:]})
