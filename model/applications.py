"""Approval after application (issue 23; seed 002: «Specialfunktionerne godkendes af
socialtilsynet efter ansøgning … tidsubegrænset»).

With ``model.mode: applications`` the plan designates only among the dataset's applications
(``applications.csv``) in force in ``model.plan_year`` (``from_year`` empty or ≤ the year),
each with the places it offers: they replace the pair's ``competence.max_cases`` (the run's
``instance/competence.csv`` shows the places solved). Providers that did not apply keep
today's residents as a transitional arrangement, as in any plan, but are not designated.

``model.close_gaps`` adds what Socialstyrelsen can do where the applications leave a gap: a
påbud (an order to a competent provider that did not apply: any competence row may then be
designated) and the scenario's candidate expansions and new sites. ``specialeplan capacity
--close-gaps`` runs it with the needed applications fixed (:mod:`specialeplan.analyses.
capacity`).

Statuses in ``applications.csv`` (results):

=============== ==============================================================
``needed``      an application in force that the plan designates
``not_needed``  an application in force that the plan does not designate
``later``       an application from after ``plan_year`` (not considered)
``order``       a designation without an application: a påbud (close_gaps)
``new_site``    a designation of a new site (``model.new_sites``, close_gaps)
=============== ==============================================================
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from specialeplan.errors import ScenarioError, did_you_mean
from specialeplan.model.keys import PS

if TYPE_CHECKING:
    from specialeplan.model.instance import Instance
    from specialeplan.model.params import ModelParams

STATUSES = ("needed", "not_needed", "later", "order", "new_site")
#: the columns of ``applications.csv`` (results)
APPLICATION_COLUMNS = ["provider_id", "function", "places", "from_year", "status", "cases"]


def in_force(applications: pd.DataFrame, plan_year: int | None) -> pd.Series:
    """Per application: whether it counts in ``plan_year`` (every one without a year)."""
    if plan_year is None:
        return pd.Series(True, index=applications.index)
    year = applications["from_year"]
    return year.isna() | (year <= plan_year)


def applications_of(instance: Instance, params: ModelParams) -> pd.DataFrame | None:
    """The dataset's applications in applications mode (None otherwise);
    :class:`ScenarioError` where the mode has none to read."""
    if params.mode != "applications":
        return None
    if instance.applications is None:
        raise ScenarioError(
            "model.mode is 'applications' but the dataset has no applications.csv (provider_id,"
            " function, places, from_year: data/README.md); add one, or use mode 'designate'")
    return instance.applications


def applications_in_force(instance: Instance, params: ModelParams) -> pd.DataFrame | None:
    """The applications in force in ``plan_year`` (None outside applications mode)."""
    apps = applications_of(instance, params)
    return None if apps is None else apps[in_force(apps, params.plan_year)]


def apply_applications(instance: Instance, params: ModelParams) -> Instance:
    """The dataset with each application in force offering its places: competence.max_cases
    of the pair = the places offered (module docstring); unchanged outside applications mode."""
    apps = applications_in_force(instance, params)
    if apps is None:
        return instance
    offered = pd.Series(apps["places"].to_numpy(dtype=float),
                        index=pd.MultiIndex.from_frame(apps[PS]))
    comp = instance.competence.copy()
    key = pd.MultiIndex.from_frame(comp[PS])
    places = offered.reindex(key).to_numpy()
    comp["max_cases"] = np.where(np.isnan(places), comp["max_cases"].to_numpy(dtype=float),
                                 places)
    return dataclasses.replace(instance, competence=comp)


def closing(params: ModelParams, functions: list[str]) -> set[str]:
    """The types whose gaps may be closed (``close_gaps``: true = all of ``functions``)."""
    if params.close_gaps is True:
        return set(functions)
    return set(params.close_gaps or [])


def expansion_types(params: ModelParams, functions: list[str]) -> list[str]:
    """The planned types whose expansions, new sites and candidates may be built: all of
    ``functions``, but in applications mode only those ``close_gaps`` closes (the
    applications as offered: capacity building is one way to close their gaps).
    :class:`ScenarioError` for a ``close_gaps`` type the dataset does not plan."""
    if params.mode != "applications":
        return list(functions)
    types = closing(params, functions)
    unknown = sorted(types - set(functions))
    if unknown:
        raise ScenarioError(f"model.close_gaps: {unknown[0]!r} is not a planned "
                            f"specialfunktion type.{did_you_mean(unknown[0], functions)}")
    return [f for f in functions if f in types]


def applicant_mask(instance: Instance, params: ModelParams, pairs: pd.DataFrame) -> np.ndarray:
    """Per row of ``pairs``: may the plan designate it under the mode? Every pair in
    'designate' mode and of the types ``close_gaps`` closes; else the applications in
    force."""
    apps = applications_in_force(instance, params)
    if apps is None:
        return np.ones(len(pairs), dtype=bool)
    open_type = pairs["function"].isin(closing(params, list(pairs["function"]))).to_numpy()
    return pd.MultiIndex.from_frame(pairs[PS]).isin(pd.MultiIndex.from_frame(apps[PS])) | (
        open_type)


def application_status(applications: pd.DataFrame, designations: pd.DataFrame,
                       plan_year: int | None, functions: list[str],
                       new_sites: set[str]) -> pd.DataFrame:
    """``applications.csv`` of a plan (module docstring): the applications of the planned
    types with their status and the borgerforløb of the needed ones, then the designations
    without an application (påbud or new site). ``designations``: provider_id, function,
    cases of the designated pairs."""
    apps = applications[applications["function"].isin(functions)].copy()
    cases = designations.set_index(PS)["cases"]
    key = pd.MultiIndex.from_frame(apps[PS])
    designated = key.isin(cases.index)
    force = in_force(apps, plan_year).to_numpy()
    apps["status"] = np.where(~force, "later", np.where(designated, "needed", "not_needed"))
    apps["cases"] = np.where(designated & force, cases.reindex(key).to_numpy(dtype=float), 0.0)
    applied = pd.MultiIndex.from_frame(apps.loc[force, PS])
    extra = designations[~pd.MultiIndex.from_frame(designations[PS]).isin(applied)]
    orders = pd.DataFrame({
        "provider_id": extra["provider_id"].to_numpy(), "function": extra["function"].to_numpy(),
        "places": np.nan, "from_year": np.nan,
        "status": np.where(extra["provider_id"].isin(new_sites), "new_site", "order"),
        "cases": extra["cases"].to_numpy(dtype=float)})
    out = pd.concat([apps[APPLICATION_COLUMNS], orders], ignore_index=True)
    return out.sort_values(["function", "provider_id"]).reset_index(drop=True)
