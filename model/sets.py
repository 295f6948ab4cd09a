"""Sparse index sets of the placement model, derived once with pandas.

:func:`build_model_data` turns an :class:`Instance` and :class:`ModelParams` into flat,
0-indexed tables that the constraint families (:mod:`specialeplan.model.families`), the
solution extraction and the results export share:

=========== ====================================================================== ========
table       one row per                                                            variable
=========== ====================================================================== ========
``pairs``   competence pair (p, s) of a planned speciale                           y, r
``dem``     (k, s) with demand d[k,s] > 0                                          u
``arcs``    (k, p, s, mode): pair (p,s) usable, d[k,s] > 0 and                      x
            ``physical``: p has a place (kind residential/both), t[k,p] <= T_s;
            ``outreach``: p has an outreach team (kind outreach/both), t[k,p] <= O_s
``reach``   (k, p, s, S): pair (p,s) usable, S a speciale of s, t[k,p] <= R_s       v
``need``    (k, S) for every municipality and planned speciale with reach on       q
``local``   (k, l, s): d[k,s] > 0, provider l located in k (capacity > 0), serving   g
            s's target group and competent in a related need (``local_can_help``),
            beta_s > 0 and some reach arc at (k, s): near-family help at a local tilbud
``split``   (k, s, S): (k, s) with ``local`` rows; S a speciale of s, reach at k    w
``coach``   (k, p, a, S): reach arc at a node (k, S) with ``split`` rows: the       h
            rådgivningsfunktion (p, a) coaches the near-family help routed to (k, S)
``expansions`` option o: a ``model.expansions`` entry of a planned type (``pair``)   e
=========== ====================================================================== ========

Integer columns (``pair``, ``dem``, ``need``; ``lpair`` = the local provider's own pair for
the speciale or -1) point into those tables, so a constraint family is a ``groupby`` over
integer ids rather than a dense k×p×s loop. ``arcs`` is sorted by (dem, pair, mode).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from specialeplan.errors import ScenarioError, did_you_mean
from specialeplan.model.applications import (
    applicant_mask,
    apply_applications,
    expansion_types,
)
from specialeplan.model.expansions import (
    add_new_sites,
    check_expansion_names,
    expansion_table,
)
from specialeplan.model.instance import (
    OUTREACH_KINDS,
    PHYSICAL_KINDS,
    Instance,
    serves_group,
    split_list,
)
from specialeplan.model.keys import KP, KR, KS, PS
from specialeplan.model.params import ModelParams, Weights
from specialeplan.model.pricing import care_floor as floor_of_care
from specialeplan.model.pricing import care_prices, resolved_weights


@dataclass(frozen=True)
class ModelData:
    """Resolved, sparse inputs of one model (see module docstring)."""

    instance: Instance
    params: ModelParams
    functions: list[str]  # the planned specialfunktion types
    function_params: pd.DataFrame  # index function
    demand: pd.DataFrame  # all (k, s) of planned functions, after growth
    pairs: pd.DataFrame
    dem: pd.DataFrame
    arcs: pd.DataFrame
    reach: pd.DataFrame
    need: pd.DataFrame
    local: pd.DataFrame
    coach: pd.DataFrame
    split: pd.DataFrame
    expansions: pd.DataFrame  # candidate expansions (model/expansions.py)
    not_kept: pd.DataFrame  # today's designations of keep_today owners that cannot be kept
    assignment: str = "arcs"  # "arcs" or "radius" (see assignment_formulation)
    source: Instance | None = None  # the dataset before capacity_changes and held places
                                    # (None: unchanged)
    weights_given: Weights | None = None  # model.weights as the scenario set them (None = priced)

    @property
    def original(self) -> Instance:
        """The dataset as loaded, before ``capacity_changes`` and the places held by residents
        of other types (rebuild from this one)."""
        return self.source if self.source is not None else self.instance

    def reachable_demand(self) -> np.ndarray:
        """Per pair: the demand of the municipalities within its arcs (what it could serve;
        a municipality reached both physically and by outreach counts once)."""
        return _reachable_demand(self.arcs, len(self.pairs))

    def pair_volume_cap(self) -> np.ndarray:
        """V[p,s]: the most borgerforløb a pair can take, min(C[p,s], C_p, reachable demand);
        C[p,s] and C_p count only while their capacity families are on."""
        cap = self.reachable_demand()
        if self.params.families.speciale_capacity:
            cap = np.minimum(cap, self.pairs["max_cases"].to_numpy())
        if self.params.families.capacity:
            cap = np.minimum(cap, self.pairs["capacity"].to_numpy())
        return cap

    @property
    def costs(self) -> pd.DataFrame | None:
        """The cost table that prices the objective (None: unit-less, ``pricing``)."""
        return self.instance.costs if self.params.pricing == "kroner" else None

    def care_prices(self) -> pd.DataFrame:
        """Per speciale: ``residential`` and ``outreach`` price, thousand DKK per
        borgerforløb per year (0 without a cost table)."""
        return care_prices(self.costs, self.functions)

    def outreach_protected(self) -> pd.Series:
        """Per speciale: today's residents of outreach-only teams (P_s of ``delivery_need``),
        who stay with their team (0 with family ``moved`` off)."""
        p = self.pairs
        only = (p["kind"] == "outreach").to_numpy() & self.params.families.outreach
        return (p.loc[only, ["function", "transitional_cases"]].groupby("function")[
            "transitional_cases"].sum().reindex(self.functions, fill_value=0.0))

    def outreach_limit(self) -> pd.Series:
        """Per speciale: the most borgerforløb outreach may serve, max((1 − ρ_s)·D_s, P_s)
        (family ``delivery_need``; D_s with the family off)."""
        total = self.dem.groupby("function")["demand"].sum().reindex(self.functions,
                                                                     fill_value=0.0)
        if not self.params.families.delivery_need:
            return total
        rho = self.function_params["residential_share"].reindex(self.functions).astype(float)
        return np.maximum((1.0 - rho) * total, self.outreach_protected())

    def care_floor(self) -> pd.Series:
        """Per speciale: the care cost no plan can avoid (:func:`specialeplan.model.pricing.
        care_floor`, with O_s = :meth:`outreach_limit`, 0 with the outreach family off), 0
        without a cost table."""
        price = self.care_prices()
        total = self.dem.groupby("function")["demand"].sum().reindex(self.functions,
                                                                     fill_value=0.0)
        limit = (self.outreach_limit() if self.params.families.outreach
                 else total * 0.0)
        return pd.Series(floor_of_care(
            total.to_numpy(dtype=float), limit.to_numpy(dtype=float),
            price["residential"].to_numpy(dtype=float), price["outreach"].to_numpy(dtype=float),
            float(self.params.weights.unmet or 0.0)), index=self.functions)

    def provider_index(self, provider_ids: pd.Series) -> np.ndarray:
        """Positions in ``instance.providers`` of the given provider ids (int64, also when
        empty: a speciale may have no arc left)."""
        prov = self.instance.providers["provider_id"]
        return provider_ids.map(pd.Series(np.arange(len(prov)), index=prov)).to_numpy(
            dtype=np.int64)

    @property
    def sizes(self) -> dict[str, int]:
        """Counts of the index tables (for logs and ``kpis.json``)."""
        return {
            "functions": len(self.functions),
            "municipalities": len(self.instance.municipalities),
            "providers": len(self.instance.providers),
            "pairs": len(self.pairs),
            "arcs": len(self.arcs),
            "outreach_arcs": int((self.arcs["mode"] == "outreach").sum()),
            "reach_arcs": len(self.reach),
            "near_family_arcs": len(self.local),
            "coach_arcs": len(self.coach),
            "coach_splits": len(self.split),
            "expansion_options": len(self.expansions),
        }


def resolve_functions(instance: Instance, params: ModelParams) -> list[str]:
    """The planned specialfunktion types: those under ``model.specialer`` plus
    ``model.functions`` (all when both are null), in ``functions.csv`` order.
    :class:`ScenarioError` with what to write instead for a name that is not a speciale
    (e.g. a former speciale that is now a specialfunktion type)."""
    known, known_fn = instance.speciale_ids, instance.function_ids
    if params.specialer is None and params.functions is None:
        return known_fn
    of = instance.specialer_of()
    for s in params.specialer or []:
        if s in known:
            continue
        if s in known_fn:
            raise ScenarioError(
                f"{s!r} in 'specialer' is a specialfunktion type under speciale "
                f"{' and '.join(of[s])} (functions.csv), not a speciale. Write "
                f"'functions: [{s}]' to plan it alone, or 'specialer: [{of[s][0]}]' to plan "
                f"all of {of[s][0]}'s specialfunktioner. Specialer: {known}")
        raise ScenarioError(f"unknown speciale {s!r} in 'specialer'."
                            f"{did_you_mean(s, known)} Known: {known}")
    for f in params.functions or []:
        if f not in known_fn:
            raise ScenarioError(f"unknown specialfunktion {f!r} in 'functions'."
                                f"{did_you_mean(f, known_fn)} Known: {known_fn}")
    for name, items in (("specialer", params.specialer), ("functions", params.functions)):
        if items is not None and len(set(items)) != len(items):
            raise ScenarioError(f"'{name}' lists a name twice")
    chosen = set(instance.functions_of(params.specialer or [])) | set(params.functions or [])
    return [f for f in known_fn if f in chosen]


def _check_designations(instance: Instance, params: ModelParams, specialer: list[str]) -> None:
    pids = set(instance.providers["provider_id"])
    for kind, items in (("fixed", params.fixed), ("forbidden", params.forbidden)):
        for d in items:
            if d.provider_id not in pids:
                raise ScenarioError(f"{kind}: unknown provider_id {d.provider_id!r}."
                                    + did_you_mean(d.provider_id, pids))
            if d.function not in specialer:
                raise ScenarioError(
                    f"{kind}: speciale {d.function!r} is unknown or not planned in this "
                    f"scenario.{did_you_mean(d.function, specialer)} Planned: {specialer}")
    both = {(d.provider_id, d.function) for d in params.fixed} & {
        (d.provider_id, d.function) for d in params.forbidden}
    if both:
        p, s = sorted(both)[0]
        raise ScenarioError(f"designation {p}/{s} is both fixed and forbidden")
    regions = set(instance.municipalities["region"])
    for b in params.region_bounds:
        if b.function not in specialer:
            raise ScenarioError(f"region_bounds: speciale {b.function!r} is not planned."
                                f"{did_you_mean(b.function, specialer)} Planned: {specialer}")
        if b.region not in regions:
            raise ScenarioError(f"region_bounds: unknown region {b.region!r}."
                                f"{did_you_mean(b.region, regions)} Known: {sorted(regions)}")
    owners = set(instance.providers["owner"])
    for o in params.keep_today:
        if o not in owners:
            raise ScenarioError(f"keep_today: unknown owner {o!r}.{did_you_mean(o, owners)} "
                                f"Known: {sorted(owners)}")


def check_names(instance: Instance, params: ModelParams) -> list[str]:
    """Check the names a scenario uses against the dataset (specialer, per_speciale,
    fixed/forbidden providers, regions, owners) without building anything; returns the
    planned specialer. :class:`ScenarioError` (with "did you mean") on an unknown name."""
    specialer = resolve_functions(instance, params)
    _check_designations(instance, params, specialer)
    params.function_table(specialer, instance.function_ids, instance.residential_shares(),
                          instance.specialer_of(), instance.speciale_ids)
    _capacity_mask(instance, params)
    check_expansion_names(instance, params)
    return specialer


def _capacity_mask(instance: Instance, params: ModelParams) -> list[np.ndarray]:
    """Per ``capacity_changes`` entry: which providers it matches (unknown names: error)."""
    prov = instance.providers
    region = prov["municipality_code"].map(
        instance.municipalities.set_index("code")["region"]).fillna("")
    known = {"region": set(region), "owner": set(prov["owner"]),
             "provider_id": set(prov["provider_id"])}
    cols = {"region": region, "owner": prov["owner"], "provider_id": prov["provider_id"]}
    out = []
    for i, ch in enumerate(params.capacity_changes):
        mask = np.ones(len(prov), dtype=bool)
        for key in ("region", "owner", "provider_id"):
            value = getattr(ch, key)
            if value is None:
                continue
            if value not in known[key]:
                raise ScenarioError(f"capacity_changes entry {i + 1}: unknown {key} {value!r}."
                                    f"{did_you_mean(value, known[key])}")
            mask &= (cols[key] == value).to_numpy()
        out.append(mask)
    return out


def apply_capacity_changes(instance: Instance, params: ModelParams) -> Instance:
    """The dataset with ``capacity_changes`` applied: capacity and max_cases of the matching
    providers multiplied by each entry's factor (the instance itself when there are none)."""
    if not params.capacity_changes:
        return instance
    factor = np.ones(len(instance.providers))
    for ch, mask in zip(params.capacity_changes, _capacity_mask(instance, params),
                        strict=True):
        factor[mask] *= ch.factor
    per = pd.Series(factor, index=instance.providers["provider_id"].to_numpy())
    providers = instance.providers.assign(capacity=instance.providers["capacity"] * factor)
    comp = instance.competence
    competence = comp.assign(max_cases=comp["max_cases"] * comp["provider_id"].map(per)
                             .to_numpy())
    return dataclasses.replace(instance, providers=providers, competence=competence)


def hold_residents_of_other_functions(instance: Instance, params: ModelParams,
                                      functions: list[str]) -> Instance:
    """The dataset with each provider's capacity reduced by the places that today's
    residents of the specialfunktion types *not* in this plan hold (``held_places``, the sum
    of their ``competence.current_cases``): they stay where they live (family ``moved``
    without ``allow_moves``; seed 002: «Det skal ikke ændres med specialeplanlægningen»), so
    a plan of some specialer, or an early rollout wave, cannot give their places away.
    ``capacity`` becomes the places left for the plan (at least 0); the instance itself when
    nothing is held (or the ``capacity`` family is off, or moves are allowed)."""
    fam = params.families
    comp = instance.competence
    other = comp[~comp["function"].isin(functions)]
    if not (fam.capacity and fam.moved and not fam.allow_moves) or other.empty:
        return instance
    held = other.groupby("provider_id")["current_cases"].sum()
    prov = instance.providers
    places = prov["provider_id"].map(held).fillna(0.0).astype(float).to_numpy()
    if not (places > 0).any():
        return instance
    cap = np.maximum(prov["capacity"].to_numpy(dtype=float) - places, 0.0)
    return dataclasses.replace(instance, providers=prov.assign(capacity=cap,
                                                               held_places=places))


def _reachable_demand(arcs: pd.DataFrame, n_pairs: int) -> np.ndarray:
    """Per pair, Σ d[k,s] over the municipalities within its arcs (each (k, s) once, even
    when reached both physically and by outreach)."""
    one = arcs.drop_duplicates(["dem", "pair"]) if "mode" in arcs.columns else arcs
    return np.bincount(one["pair"].to_numpy(dtype=np.int64),
                       weights=one["demand"].to_numpy(dtype=float), minlength=n_pairs)


def _expansions(instance: Instance, params: ModelParams, functions: list[str],
                costs: pd.DataFrame | None, pairs: pd.DataFrame) -> pd.DataFrame:
    """The candidate expansions of the planned types with their pair (row of ``pairs``);
    sets ``pairs["expansion_places"]``, the places of all of a pair's options (0 while the
    family is off: then no option is offered)."""
    table = expansion_table(instance, params, functions, costs)
    if not params.families.expansion:
        table = table.iloc[:0]
    at = pd.Series(np.arange(len(pairs)), index=pd.MultiIndex.from_frame(pairs[PS]))
    table = table.assign(pair=at.reindex(pd.MultiIndex.from_frame(table[PS])).to_numpy(
        dtype=np.int64))
    pairs["expansion_places"] = np.bincount(table["pair"].to_numpy(dtype=np.int64),
                                            weights=table["places"].to_numpy(dtype=float),
                                            minlength=len(pairs))
    return table.reset_index(drop=True)


def _below_min_volume(pairs: pd.DataFrame, arcs: pd.DataFrame, sp: pd.DataFrame,
                      params: ModelParams) -> np.ndarray:
    """Pairs that cannot reach the minimum volume m_s even alone: min(C[p,s] + P, C_p + P,
    demand within their arcs) < m_s, P the places of all the pair's candidate expansions.
    Designating one is infeasible, so they are marked unusable before the model is built (an
    exact reduction that also spares HiGHS a restart); pairs that must be designated (fixed,
    kept) stay, so the diagnosis can explain them."""
    fam = params.families
    if not fam.min_volume:
        return np.zeros(len(pairs), dtype=bool)
    cap = _reachable_demand(arcs, len(pairs))
    more = pairs["expansion_places"].to_numpy(dtype=float)  # all the pair's expansions built
    if fam.speciale_capacity:
        cap = np.minimum(cap, pairs["max_cases"].to_numpy() + more)
    if fam.capacity:
        cap = np.minimum(cap, pairs["capacity"].to_numpy() + more)
    ms = pairs["function"].map(sp["min_cases"]).astype(float).to_numpy()
    return (pairs["usable"] & ~pairs["fixed"]).to_numpy() & (ms > 0) & (cap < ms - 1e-9)


def build_model_data(instance: Instance, params: ModelParams, *,
                     reduce: bool = True) -> ModelData:
    """Derive the sparse sets; raises :class:`ScenarioError` for inconsistent scenarios.

    ``reduce``: drop the pairs that cannot reach the minimum volume (exact; off for the
    infeasibility diagnosis, which must be able to name the minimum volume as the cause).
    """
    source = instance
    instance = apply_applications(
        add_new_sites(apply_capacity_changes(instance, params), params), params)
    # the objective's prices in DKK (or the legacy unit-less ones without a cost table)
    given = params.weights
    costs = instance.costs if params.pricing == "kroner" else None
    params = params.model_copy(update={"weights": resolved_weights(given, costs)})
    specialer = resolve_functions(instance, params)
    instance = hold_residents_of_other_functions(instance, params, specialer)
    _check_designations(instance, params, specialer)
    sp = params.function_table(specialer, instance.function_ids, instance.residential_shares(),
                               instance.specialer_of(),
                               instance.speciale_ids).set_index("function")
    fam = params.families

    demand = instance.demand[instance.demand["function"].isin(specialer)].copy()
    demand["demand"] = demand["demand"] * demand["function"].map(sp["demand_growth"]).astype(float)
    demand = demand.reset_index(drop=True)

    prov = instance.providers.merge(
        instance.municipalities[["code", "region"]].rename(columns={"code": "municipality_code"}),
        on="municipality_code", how="left")
    pairs = instance.competence[instance.competence["function"].isin(specialer)].merge(
        prov[["provider_id", "municipality_code", "region", "owner", "kind", "capacity",
              "advisory_capacity"]], on="provider_id", how="left")
    pairs = pairs.sort_values(["function", "provider_id"]).reset_index(drop=True)
    key = list(zip(pairs["provider_id"], pairs["function"], strict=True))
    expansions = _expansions(instance, params, expansion_types(params, specialer), costs, pairs)
    fixed = {(d.provider_id, d.function) for d in params.fixed} if fam.fixed else set()
    forbidden = {(d.provider_id, d.function) for d in params.forbidden} if fam.fixed else set()
    missing = sorted(fixed - set(key))
    if missing:
        raise ScenarioError(f"fixed designation {missing[0][0]}/{missing[0][1]}: the provider "
                            "has no competence row for that speciale")
    applied = applicant_mask(instance, params, pairs)
    if not applied.all():
        unapplied = sorted(fixed - set(zip(pairs["provider_id"][applied],
                                           pairs["function"][applied], strict=True)))
        if unapplied:
            p, s = unapplied[0]
            raise ScenarioError(
                f"fixed designation {p}/{s}: mode 'applications' designates only the "
                "applications in force (applications.csv, plan_year); drop the entry, or set "
                "model.close_gaps to allow a påbud")
    pairs["forbidden"] = np.array([k in forbidden for k in key], dtype=bool) | ~applied
    # a pair without places today becomes usable where an expansion may give it some
    pairs["usable"] = ((pairs["max_cases"] + pairs["expansion_places"]) > 0) & ~pairs["forbidden"]
    kept, not_kept = _keep_today(pairs, sp, params)
    pairs["fixed"] = np.array([k in fixed for k in key], dtype=bool) | kept
    bad = pairs["fixed"] & ~pairs["usable"]
    if bad.any():
        r = pairs[bad].iloc[0]
        raise ScenarioError(f"designation {r.provider_id}/{r.function} is fixed but the "
                            "provider has max_cases = 0 for it")
    pairs["fixed_advisory"] = (pairs["advisory_today"] & params.keep_advisory_today
                               & fam.keep_advisory_today)
    bad = pairs["fixed_advisory"] & ~pairs["usable"]
    if bad.any():
        r = pairs[bad].iloc[0]
        raise ScenarioError(f"rådgivningsfunktion {r.provider_id}/{r.function} is kept from "
                            "today (keep_advisory_today) but cannot be designated (max_cases = "
                            "0 or forbidden)")
    pairs["pair"] = np.arange(len(pairs))

    dem = demand[demand["demand"] > 0].reset_index(drop=True)
    dem["dem"] = np.arange(len(dem))

    # today's residents stay (family moved): a pair with current cases keeps its arcs even
    # where it cannot be designated, to serve them as a transitional arrangement
    pairs["transitional_cases"] = np.where(
        fam.moved & (pairs["max_cases"] > 0).to_numpy(),
        pairs["current_cases"].to_numpy(dtype=float), 0.0)
    usable = pairs[pairs["usable"]][["provider_id", "function", "pair"]]
    pt = instance.provider_travel
    hosts = pairs["usable"] | (pairs["transitional_cases"] > 0)
    arcs = _arcs(dem, pairs[hosts][["provider_id", "function", "pair", "kind"]],
                 pt, sp, params)
    pairs["below_min_volume"] = (_below_min_volume(pairs, arcs, sp, params) if reduce
                                 else np.zeros(len(pairs), dtype=bool))
    if pairs["below_min_volume"].any():  # they can never be designated: drop them up front
        pairs.loc[pairs["below_min_volume"], "usable"] = False
        usable = pairs[pairs["usable"]][["provider_id", "function", "pair"]]
        hosts = pairs["usable"] | (pairs["transitional_cases"] > 0)
        arcs = arcs[arcs["pair"].isin(pairs.loc[hosts, "pair"])].reset_index(drop=True)

    need, reach = _reach_tables(instance, specialer, sp, usable, dem, pt, fam.reach)
    # integer ids stay integers when a table is empty (no arc within a cutoff)
    arcs = arcs.astype({"pair": np.int64, "dem": np.int64, "demand": float, "minutes": float})
    local, coach, split = _near_family(instance, params, sp, pairs, dem, reach)

    return ModelData(
        instance=instance, params=params, functions=specialer, function_params=sp,
        demand=demand, pairs=pairs, dem=dem, arcs=arcs, reach=reach, need=need,
        local=local, coach=coach, split=split, expansions=expansions, not_kept=not_kept,
        assignment=_assignment(params, pairs, arcs, local),
        source=source if instance is not source else None, weights_given=given,
    )


def radius_blockers(params: ModelParams, pairs: pd.DataFrame, arcs: pd.DataFrame,
                    local: pd.DataFrame) -> list[str]:
    """Why each client need not go to its nearest open provider (empty: the radius
    formulation is exact): any rule that can make a farther provider better, or that needs
    the borgerforløb per arc, where it has any effect on these tables."""
    fam = params.families
    out = [name for name in ("capacity", "speciale_capacity", "min_volume", "equity")
           if getattr(fam, name)]
    if fam.allow_unmet:
        out.append("allow_unmet")
    if fam.committed and any(c.cases > 0 for c in params.committed):
        out.append("committed")  # an earlier wave's borgerforløb stay where they are
    effect = {"outreach": (arcs["mode"] == "outreach").any(),
              "moved": (pairs["current_cases"][pairs["usable"]] > 0).any(),
              "near_family": len(local) > 0}
    out += [name for name, matters in effect.items() if getattr(fam, name) and matters]
    return out


def _assignment(params: ModelParams, pairs: pd.DataFrame, arcs: pd.DataFrame,
                local: pd.DataFrame) -> str:
    """Resolve ``assignment_formulation`` (``auto``: radius exactly when it is exact)."""
    blockers = radius_blockers(params, pairs, arcs, local)
    if params.assignment_formulation == "radius" and blockers:
        raise ScenarioError(
            "assignment_formulation 'radius' needs every client served by its nearest open "
            f"provider, which these switched-on rules prevent: {blockers} (set them off in "
            "model.families, or use 'arcs')")
    if params.assignment_formulation == "arcs":
        return "arcs"
    return "radius" if not blockers else "arcs"


def _keep_today(pairs: pd.DataFrame, sp: pd.DataFrame, params: ModelParams
                ) -> tuple[np.ndarray, pd.DataFrame]:
    """Today's designations of the ``keep_today`` owners that are kept (fixed), and those
    that cannot be: a designation that could not meet the plan's own rules (forbidden in the
    scenario, ``max_cases`` = 0, or ``max_cases`` below the minimum volume m_s) is not kept
    but listed with its reason (``kpis.json`` ``keep_today_not_kept``): keeping today's
    regional tilbud does not ask a designation for what it cannot do under the plan."""
    fam = params.families
    kept = (pairs["designated_today"] & pairs["owner"].isin(params.keep_today)
            & fam.fixed).to_numpy()
    floor = (pairs["function"].map(sp["min_cases"]).astype(float).fillna(0.0).to_numpy()
             if fam.min_volume else np.zeros(len(pairs)))
    max_cases = pairs["max_cases"].to_numpy()
    # places left for this speciale once the provider's residents of its other specialer,
    # who stay (family moved without allow_moves), are housed
    stay = (pairs["current_cases"].to_numpy(dtype=float) if fam.moved and not fam.allow_moves
            else np.zeros(len(pairs)))
    others = pairs.assign(_c=stay).groupby("provider_id")["_c"].transform("sum").to_numpy() - stay
    left = (pairs["capacity"].to_numpy(dtype=float) - others if fam.capacity
            else np.full(len(pairs), np.inf))
    reason = np.select(
        [pairs["forbidden"].to_numpy(), max_cases <= 0, max_cases < floor - 1e-9,
         left < floor - 1e-9],
        ["forbidden in the scenario", "max_cases = 0",
         "max_cases below the minimum volume min_cases",
         "capacity left after today's residents of its other specialer is below min_cases"],
        default="")
    out = kept & (reason != "")
    not_kept = pairs.loc[out, ["provider_id", "function", "owner", "max_cases"]].assign(
        min_cases=floor[out], reason=reason[out]).reset_index(drop=True)
    return kept & ~out, not_kept


def _arcs(dem: pd.DataFrame, usable: pd.DataFrame, pt: pd.DataFrame, sp: pd.DataFrame,
          params: ModelParams) -> pd.DataFrame:
    """Assignment arcs with their delivery mode (module docstring). With the ``outreach``
    family off every provider delivers physically, whatever its kind."""
    fam = params.families
    cand = (dem.merge(usable, on="function")
            .merge(pt, on=KP, how="inner"))
    phys = cand[cand["kind"].isin(PHYSICAL_KINDS)] if fam.outreach else cand
    if fam.travel_cutoff:
        cutoff = phys["function"].map(sp["max_travel_minutes"]).astype(float).fillna(np.inf)
        phys = phys[phys["minutes"] <= cutoff + 1e-9]
    parts = [phys.assign(mode="physical")]
    if fam.outreach:
        out = cand[cand["kind"].isin(OUTREACH_KINDS)]
        radius = out["function"].map(sp["outreach_minutes"]).astype(float).fillna(np.inf)
        parts.append(out[out["minutes"] <= radius + 1e-9].assign(mode="outreach"))
    arcs = pd.concat(parts, ignore_index=True).drop(columns="kind")
    return arcs.sort_values(["dem", "pair", "mode"]).reset_index(drop=True)


def _near_family(
    instance: Instance, params: ModelParams, sp: pd.DataFrame, pairs: pd.DataFrame,
    dem: pd.DataFrame, reach: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The ``local``, ``coach`` and ``split`` tables (module docstring); empty with
    near_family off."""
    local_cols = ["dem", "municipality_code", "provider_id", "function", "demand", "lpair"]
    coach_cols = ["need", "pair", "municipality_code", "provider_id", "function", "speciale",
                  "demand", "minutes"]
    split_cols = ["dem", "need", "municipality_code", "function", "speciale", "demand"]
    if not params.families.near_family or len(reach) == 0:
        return (pd.DataFrame(columns=local_cols), pd.DataFrame(columns=coach_cols),
                pd.DataFrame(columns=split_cols))
    share = dem["function"].map(sp["near_family_share"]).astype(float).fillna(0.0)
    # a (k, s) can be coached where a rådgivningsfunktion of one of s's specialer reaches k
    fs = instance.memberships()
    ks = fs.merge(reach[KR].drop_duplicates(), on="speciale")[KS].drop_duplicates()
    cand = dem[share.to_numpy() > 0].merge(ks, on=KS)
    prov = instance.providers
    prov = prov.loc[prov["capacity"] > 0, ["provider_id", "municipality_code"]]
    local = cand[["dem", "municipality_code", "function", "demand"]].merge(
        prov, on="municipality_code")
    ok = local_can_help(instance, list(sp.index))
    local = local[np.array([(p, f) in ok for p, f in zip(
        local["provider_id"], local["function"], strict=True)], dtype=bool)]
    own = pairs[pairs["usable"]].set_index(PS)["pair"]
    local["lpair"] = own.reindex(pd.MultiIndex.from_frame(
        local[PS])).fillna(-1).astype(np.int64).to_numpy()
    local = local.sort_values(["dem", "provider_id"]).reset_index(drop=True)[local_cols]
    # a (k, s) with local help is coached through the node (k, S) of one of s's specialer:
    # split[k,s,S] routes it there, and any rådgivningsfunktion with a reach arc (k, p, a, S)
    # coaches the node (exact: every s of S at k may go to every coach of (k, S), so a flow
    # per (k, s, p, a) decomposes through the node; one column per reach arc, not per type)
    helped = dem[dem["dem"].isin(set(local["dem"]))][["dem", *KS, "demand"]]
    split = helped.merge(instance.memberships(), on="function").merge(
        reach[["need", *KR]].drop_duplicates(), on=KR)
    split = split.sort_values(["dem", "need"]).reset_index(drop=True)[split_cols]
    d_node = np.bincount(split["need"].to_numpy(dtype=np.int64),
                         weights=split["demand"].to_numpy(dtype=float),
                         minlength=int(reach["need"].max()) + 1 if len(reach) else 0)
    coach = reach[reach["need"].isin(set(split["need"]))]
    coach = coach.assign(demand=d_node[coach["need"].to_numpy(dtype=np.int64)])
    coach = coach.sort_values(["need", "pair"]).reset_index(drop=True)[coach_cols]
    return (local.astype({"dem": np.int64}),
            coach.astype({"need": np.int64, "pair": np.int64}),
            split.astype({"dem": np.int64, "need": np.int64}))


def related_functions(functions: pd.DataFrame, planned: list[str]) -> dict[str, set[str]]:
    """Planned function → the planned functions whose competence counts as a related kind of
    need: those sharing one of its specialer, and those ``functions.csv`` lists in the
    optional ``related`` column (ids of functions or specialer, ``;``-separated)."""
    fn = functions[functions["function"].isin(planned)]
    of = {f: split_list(t) for f, t in zip(fn["function"], fn["specialer"], strict=True)}
    by_speciale: dict[str, set[str]] = {}
    for f, ss in of.items():
        for sp in ss:
            by_speciale.setdefault(sp, set()).add(f)
    extra = (dict(zip(fn["function"], fn["related"], strict=True))
             if "related" in fn.columns else {})
    out = {}
    for f, ss in of.items():
        rel = {g for sp in ss for g in by_speciale[sp]}
        for name in split_list(extra.get(f)):
            rel |= by_speciale.get(name, {name} & set(of))
        out[f] = rel
    return out


def local_can_help(instance: Instance, planned: list[str]) -> set[tuple[str, str]]:
    """The (provider, function) pairs where a local tilbud may give help near the family
    with a planned function: it serves the function's target group and has a competence row
    (designated or not) in a related kind of need (:func:`related_functions`)."""
    comp = instance.competence
    held: dict[str, set[str]] = {}
    for p, f in zip(comp["provider_id"], comp["function"], strict=True):
        held.setdefault(p, set()).add(f)
    related = related_functions(instance.functions, planned)
    serves = dict(zip(instance.providers["provider_id"], instance.providers["target_groups"],
                      strict=True))
    group = dict(zip(instance.functions["function"], instance.functions["target_group"],
                     strict=True))
    return {(p, f) for p, fs in held.items() for f in related
            if serves_group(serves[p], group[f]) and fs & related[f]}


def _reach_tables(instance: Instance, functions: list[str], sp: pd.DataFrame,
                  usable: pd.DataFrame, dem: pd.DataFrame, pt: pd.DataFrame, on: bool
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``need`` (k, S) and ``reach`` (k, p, s, S): the rådgivning duty is per speciale (seed
    002: «et udsnit af specialfunktionerne» advises; every municipality is reached per
    speciale), so a need (k, S) is met by any rådgivningsfunktion (p, s) of a function s of S
    within s's reach limit R_s. ``demand`` on both is d[k,S] = Σ_{planned s of S} d[k,s]:
    the borgerforløb of the speciale that advice in k is about."""
    with_reach = [f for f in functions if on and not np.isnan(sp.at[f, "reach_minutes"])]
    fs = instance.memberships(with_reach)
    order = {S: i for i, S in enumerate(instance.speciale_ids)}
    specs = sorted(set(fs["speciale"]), key=order.__getitem__)
    munis = instance.municipalities[["code"]].rename(columns={"code": "municipality_code"})
    need = munis.merge(pd.DataFrame({"speciale": pd.Series(specs, dtype=str)}),
                       how="cross")  # typed: an empty list must still merge on text
    need = need.sort_values(["speciale", "municipality_code"]).reset_index(drop=True)
    need["need"] = np.arange(len(need))
    reach = need.merge(fs, on="speciale").merge(usable, on="function").merge(
        pt, on=KP, how="inner")
    limit = reach["function"].map(sp["reach_minutes"]).astype(float)
    reach = reach[reach["minutes"] <= limit + 1e-9]
    reach = reach.sort_values(["need", "pair"]).reset_index(drop=True)
    reach = reach.astype({"pair": np.int64, "need": np.int64, "minutes": float})
    # d[k,S]: the planned functions' demand summed per speciale
    d_ks = dem[[*KS, "demand"]].merge(instance.memberships(functions), on="function"
                                      ).groupby(KR)["demand"].sum()
    for df in (need, reach):
        df["demand"] = d_ks.reindex(pd.MultiIndex.from_frame(df[KR])).fillna(0.0).to_numpy()
    return need, reach
