"""Tiny example instances shipped with the package (tests, docs, install check).

:func:`tiny_instance` builds a hand-solvable instance from a few plain dicts so a test can
state the instance and derive its optimum in a docstring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from specialeplan.model.instance import Instance


def tiny_instance(
    minutes: Sequence[Sequence[float]],
    providers: Sequence[Mapping[str, object]],
    demand: Mapping[tuple[int, str], float],
    competence: Sequence[Mapping[str, object]],
    regions: Sequence[str] | None = None,
    specialer: Sequence[str] = ("A",),
    codes: Sequence[str] | None = None,
    functions: Sequence[Mapping[str, object]] | None = None,
) -> Instance:
    """An instance with municipalities ``m0..m{n-1}`` (or the given ``codes``; use real
    3-digit codes when the instance is written with :func:`write_dataset` and reloaded).

    ``minutes[i][j]`` is travel from municipality i to j (diagonal = intra access time).
    ``providers``: dicts with ``id``, ``at`` (municipality index), ``capacity`` and optional
    ``owner``, ``kind`` (residential, outreach, both), ``advisory_capacity``,
    ``target_groups``. ``demand``: {(municipality index, function): d}. ``competence``: dicts
    with ``id``, ``function`` (or ``speciale``), ``max_cases`` and optional
    ``designation_cost``, ``advisory_cost``, ``designated_today``, ``current_cases``,
    ``advisory_today``. ``functions`` (the taxonomy): dicts with ``id``, ``specialer`` (a
    list) and optional ``target_group``; without it every speciale is one function.
    """
    t = np.asarray(minutes, dtype=float)
    n = t.shape[0]
    codes = list(codes) if codes is not None else [f"m{i}" for i in range(n)]
    munis = pd.DataFrame({
        "code": codes, "name": [f"Kommune {i}" for i in range(n)],
        "region": list(regions) if regions is not None else ["R"] * n,
        "population": 1000.0, "lon": np.arange(n, dtype=float), "lat": 0.0, "area_km2": 100.0,
    })
    prov = pd.DataFrame([{
        "provider_id": p["id"], "name": p["id"], "municipality_code": codes[int(p["at"])],
        "owner": p.get("owner", "municipal"), "kind": p.get("kind", "residential"),
        "capacity": p.get("capacity", 1e6), "advisory_capacity": p.get("advisory_capacity", 1e6),
        "target_groups": p.get("target_groups", "all"),
    } for p in providers])
    at = {p["id"]: int(p["at"]) for p in providers}
    comp = pd.DataFrame([{
        "provider_id": c["id"], "function": c.get("function", c.get("speciale")),
        "max_cases": c.get("max_cases", 1e6),
        "current_cases": c.get("current_cases", 0.0),
        "designated_today": c.get("designated_today", False),
        "designation_cost": c.get("designation_cost", 0.0),
        "advisory_cost": c.get("advisory_cost", 0.0),
        "advisory_today": c.get("advisory_today", False),
    } for c in competence])
    dem = pd.DataFrame([{"municipality_code": codes[k], "function": s, "demand": d}
                        for (k, s), d in demand.items()],
                       columns=["municipality_code", "function", "demand"])
    travel = pd.DataFrame({"from_code": np.repeat(codes, n), "to_code": np.tile(codes, n),
                           "minutes": t.ravel()})
    pt = pd.DataFrame({
        "municipality_code": np.repeat(codes, len(prov)),
        "provider_id": np.tile(prov["provider_id"].to_numpy(), n),
        "minutes": [t[k, at[p]] for k in range(n) for p in prov["provider_id"]],
    })
    spec = pd.DataFrame({"speciale": list(specialer), "name": list(specialer)})
    fns = None if functions is None else pd.DataFrame([{
        "function": f["id"], "name": f.get("name", f["id"]),
        "specialer": ";".join(f["specialer"]),  # type: ignore[arg-type]
        "target_group": f.get("target_group", "all")} for f in functions])
    return Instance(name="tiny", municipalities=munis, providers=prov, specialer=spec,
                    competence=comp, demand=dem, provider_travel=pt, travel=travel,
                    functions=fns)


def write_dataset(instance: Instance, folder: Path) -> Path:
    """Write an instance as a dataset folder in the bundled CSV schema (``travel.csv`` holds
    the municipality matrix), so ``dataset: <folder>`` in a scenario loads it again."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in ("municipalities", "providers", "specialer", "functions", "competence",
                  "demand"):
        getattr(instance, table).to_csv(folder / f"{table}.csv", index=False)
    if instance.travel is None:
        raise ValueError("write_dataset needs the municipality travel matrix")
    instance.travel.to_csv(folder / "travel.csv", index=False)
    for table in ("delivery_need", "applications"):
        if getattr(instance, table) is not None:
            getattr(instance, table).to_csv(folder / f"{table}.csv", index=False)
    return folder
