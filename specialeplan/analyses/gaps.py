"""Where the applications leave a gap, and the cheapest way to close it (issue 23, part 2).

A plan in ``model.mode: applications`` designates only among the applications; the
borgerforløb no application can serve within the rules are its **gaps** (``unmet`` in
``regions.csv``, per region and type). The **closure** is a second plan from the same
inputs (the results folder's ``instance/``) with

- the applications the first plan needs fixed (they are approved),
- ``model.close_gaps`` on for the types with a gap: a påbud to any competent provider that
  did not apply (for no more places than the gap beyond what it does today:
  :func:`_orders_capped`), and the scenario's candidate expansions and new sites, each at
  its cost in the cost table,

solved at the least total cost. Its actions — påbud, expansions, new sites — are the
cheapest closure of the gaps together (one action may close gaps in several regions). It is
an ordinary results folder, ``<root>/<name>_closure/``, written atomically and checked like
any plan; :func:`closure_actions` reads its actions back from the files alone, and
:func:`specialeplan.analyses.capacity.capacity_overview` names them next to each gap.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from specialeplan.data.costs import read_costs
from specialeplan.errors import SpecialeplanError
from specialeplan.model.instance import Instance
from specialeplan.model.params import Designation, ModelParams
from specialeplan.model.pricing import cost_value
from specialeplan.results.contract import INSTANCE_TABLES, RESULT_TABLES
from specialeplan.results.reading import read_csv, read_params, read_resolved

CLOSURE_SUFFIX = "_closure"
GAP_TOL = 1e-6  # borgerforløb: below this a region's unmet is solver noise, not a gap
#: columns of :func:`closure_actions`
ACTION_COLUMNS = ["action", "kind", "provider_id", "function", "places", "cases",
                  "annual_cost_dkk"]
KIND_LABEL = {"order": "påbud", "expansion": "expansion", "new_site": "new site"}


def closure_folder(folder: str | Path) -> Path:
    """Where the closure of the plan in ``folder`` is written: next to it, ``_closure``."""
    folder = Path(folder)
    return folder.parent / f"{folder.name}{CLOSURE_SUFFIX}"


def close_gaps(folder: str | Path, *, time_limit: float | None = None,
               overwrite: bool = False, verbose: bool = False,
               on_warning: Callable[[str], None] | None = None):  # noqa: ANN201
    """Solve the closure of the plan in ``folder`` (module docstring) into
    :func:`closure_folder`, with påbud, expansions and new sites allowed only in the types
    with a gap; returns the :class:`~specialeplan.pipeline.RunRecord`, or None when the plan
    has no gap (nothing is solved). :class:`SpecialeplanError` for a folder that is not an
    applications plan."""
    from specialeplan.pipeline import solve_into_folder
    from specialeplan.results.reload import load_run, solved_params
    from specialeplan.scenarios.schema import ResolvedScenario, Scenario

    folder = Path(folder)
    if not folder.is_dir():
        raise SpecialeplanError(f"{folder}: no such results folder")
    raw = read_params(folder)
    if raw.mode != "applications" or raw.close_gaps:
        raise SpecialeplanError(
            f"{folder}: --close-gaps needs the plan of a scenario with model.mode "
            "'applications' (and close_gaps off): its gaps are what no application serves")
    reg = read_csv(folder, RESULT_TABLES["regions"])
    gap_types = sorted(set(reg.loc[reg["unmet"] > GAP_TOL, "function"]))
    if not gap_types:
        return None
    loaded = load_run(folder)
    des = loaded.tables["designations"]
    needed = [Designation(provider_id=p, function=f)
              for p, f in zip(des["provider_id"], des["function"], strict=True)]
    functions = loaded.functions
    specialer = sorted({s for f in functions for s in loaded.instance.specialer_of()[f]})
    base = solved_params(raw, specialer, functions)
    have = {(d.provider_id, d.function) for d in base.fixed}
    params = base.model_copy(update={
        "specialer": None, "functions": functions, "close_gaps": gap_types,
        "expansions": raw.expansions, "new_sites": raw.new_sites,
        "fixed": [*base.fixed, *(d for d in needed if (d.provider_id, d.function) not in have)],
    })
    doc = read_resolved(folder)
    solver = dict(doc.get("solver") or {})
    if time_limit is not None:
        solver["time_limit"] = time_limit
    name = f"{doc.get('name', folder.name)}{CLOSURE_SUFFIX}"
    scenario = Scenario.model_validate({
        "name": name, "dataset": doc.get("dataset", "denmark"), "solver": solver,
        "description": f"the cheapest closure of the gaps of {folder.name}: its needed "
                       "applications fixed, påbud, expansions and new sites allowed",
    }).model_copy(update={"model": params})
    resolved = ResolvedScenario(scenario=scenario, path=None, chain=[_origin(folder)])
    gap = reg.groupby("function")["unmet"].sum()
    return solve_into_folder(resolved, folder.parent, closure_folder(folder).name,
                             overwrite=overwrite, excel=False, verbose=verbose,
                             instance=_orders_capped(loaded.instance, raw, gap),
                             on_warning=on_warning)


def _orders_capped(instance: Instance, params: ModelParams, gap: pd.Series) -> Instance:
    """The instance with the places a påbud may order capped at the gap: a competent
    provider of a type with a gap G_s that did not apply gets max_cases = min(max_cases,
    current_cases + ⌈G_s⌉). A påbud then adds no more than the gap to what the provider
    does today, so the closure orders what the gap needs, not a cheaper plan for citizens
    the applications already serve."""
    from specialeplan.model.applications import applications_in_force

    force = applications_in_force(instance, params)  # not None: an applications plan
    comp = instance.competence.copy()
    key = pd.MultiIndex.from_frame(comp[["provider_id", "function"]])
    applied = key.isin(pd.MultiIndex.from_frame(force[["provider_id", "function"]]))
    g = comp["function"].map(gap[gap > GAP_TOL]).to_numpy(dtype=float)
    ordered = ~applied & ~np.isnan(g)
    cap = comp["current_cases"].to_numpy(dtype=float) + np.ceil(np.nan_to_num(g))
    comp["max_cases"] = np.where(ordered, np.minimum(comp["max_cases"].to_numpy(dtype=float),
                                                     cap), comp["max_cases"])
    return dataclasses.replace(instance, competence=comp)


def _origin(folder: Path) -> str:
    """The closure's ``extends_chain`` entry: which plan it closes, by the sha256 of the
    plan's designations.csv (a re-run plan makes an earlier closure stale)."""
    digest = hashlib.sha256((folder / "designations.csv").read_bytes()).hexdigest()
    return f"closure of {folder.name}: designations.csv sha256 {digest}"


def check_closure(folder: str | Path, closure: str | Path) -> None:
    """:class:`SpecialeplanError` unless ``closure`` was solved from the plan now in
    ``folder`` (its recorded origin, :func:`_origin`)."""
    folder, closure = Path(folder), Path(closure)
    chain = read_resolved(closure).get("extends_chain") or []
    if _origin(folder) not in chain:
        raise SpecialeplanError(
            f"{closure} is not the closure of the plan now in {folder} (the plan was run "
            "again after it); solve it again: specialeplan capacity "
            f"{folder} --close-gaps --overwrite")


def closure_actions(closure: str | Path) -> pd.DataFrame:
    """The closure's actions from its files (ACTION_COLUMNS): a påbud per designation
    without an application (``applications.csv`` status ``order``), an expansion per row of
    ``capacity_changes.csv`` at a provider of the dataset, a new site per new-site
    designation (its places and annuity from its expansion). ``cases``: the borgerforløb
    the pair takes; ``annual_cost_dkk``: its designation cost (påbud, new site) plus the
    annuity of the places built, DKK per year."""
    closure = Path(closure)
    apps = read_csv(closure, RESULT_TABLES["applications"])
    changes = read_csv(closure, RESULT_TABLES["capacity_changes"])
    comp = read_csv(closure, INSTANCE_TABLES["competence"]).set_index(["provider_id",
                                                                         "function"])
    unit = _designation_unit(closure)
    rows = []
    new = apps[apps["status"].isin(["order", "new_site"])]
    for _, a in new.iterrows():
        key = (a["provider_id"], a["function"])
        built = changes[(changes["provider_id"] == key[0]) & (changes["function"] == key[1])]
        rows.append({"kind": a["status"], "provider_id": key[0], "function": key[1],
                     "places": float(built["places"].sum()), "cases": float(a["cases"]),
                     "annual_cost_dkk": float(comp.at[key, "designation_cost"]) * unit
                     + float(built["annual_cost_dkk"].sum())})
    listed = pd.MultiIndex.from_frame(new[["provider_id", "function"]])
    own = pd.MultiIndex.from_frame(changes[["provider_id", "function"]]).isin(listed)
    for _, c in changes[~own].iterrows():  # the places of a påbud or new site are in its row
        rows.append({"kind": "expansion", "provider_id": c["provider_id"],
                     "function": c["function"], "places": float(c["places"]),
                     "cases": float(c["cases"]), "annual_cost_dkk": float(c["annual_cost_dkk"])})
    out = pd.DataFrame(rows, columns=ACTION_COLUMNS[1:])
    out.insert(0, "action", [_label(r) for r in out.itertuples()])
    return out


def _label(r: object) -> str:
    kind, pid, places = r.kind, r.provider_id, r.places  # type: ignore[attr-defined]
    if kind == "expansion":
        return f"{pid} +{places:g}"
    return f"{KIND_LABEL[kind]} {pid}" + (f" +{places:g}" if places else "")


def _designation_unit(folder: Path) -> float:
    """DKK per unit of competence.designation_cost: the run's cost table, else 1,000
    (data/README.md: the amounts are thousand DKK a year)."""
    path = folder / "instance" / "costs.csv"
    if not path.is_file():
        return 1000.0
    return cost_value(read_costs(path, complete=False), "designation_cost_unit")


def gap_closures(closure: str | Path, actions: pd.DataFrame) -> pd.DataFrame:
    """Per (region, function) of the closure plan: ``closed_by`` (the actions of the type
    that serve the region's citizens, with the borgerforløb they serve from there),
    ``closure_cases`` (their sum) and ``gap_after`` (what stays unmet)."""
    closure = Path(closure)
    reg = read_csv(closure, RESULT_TABLES["regions"])
    asg = read_csv(closure, RESULT_TABLES["assignments"])
    munis = read_csv(closure, INSTANCE_TABLES["municipalities"])
    region_of = munis.set_index("code")["region"]
    keys = ["region", "function"]
    out = reg[keys].assign(gap_after=reg["unmet"].where(reg["unmet"] > GAP_TOL, 0.0).to_numpy())
    label = dict(zip(zip(actions["provider_id"], actions["function"], strict=True),
                     actions["action"], strict=True))
    if not label:
        return out.assign(closed_by="", closure_cases=0.0)
    pair = list(zip(asg["provider_id"], asg["function"], strict=True))
    hit = asg[np.array([p in label for p in pair], dtype=bool)]
    hit = hit.assign(region=hit["municipality_code"].map(region_of),
                     action=[label[(p, f)] for p, f in zip(hit["provider_id"],
                                                           hit["function"], strict=True)])
    per = hit.groupby([*keys, "action"], as_index=False)["cases"].sum()
    per = per[per["cases"] > 1e-6]
    text = per.assign(t=per["action"] + " (" + per["cases"].round(1).map("{:g}".format) + ")")
    joined = text.groupby(keys).agg(closed_by=("t", "; ".join),
                                    closure_cases=("cases", "sum")).reset_index()
    out = out.merge(joined, on=keys, how="left")
    out["closed_by"] = out["closed_by"].fillna("")
    out["closure_cases"] = out["closure_cases"].fillna(0.0)
    return out
