"""Larger synthetic Denmark-like instances: the bundled dataset with its providers replicated.

``scaled_instance(f)`` keeps the 350 bundled providers and adds ``f − 1`` copies of each
(``P0001_2``, ``P0001_3``, …). A copy sits in another municipality of the same region (drawn
with a seeded rng; the same municipality only where the region has no other), its capacity,
advisory capacity, ``max_cases`` and costs are the original's times U(0.8, 1.2), and it is a
new candidate: not designated today, no current cases. Its travel times are the row of its
municipality in ``instance.travel``. Demand, municipalities and specialer are unchanged, so
the model grows in candidate providers, arcs and binaries::

    python benchmarks/scale.py 4        # summary of the ×4 instance
"""

from __future__ import annotations

import argparse
import dataclasses
import json

import numpy as np
import pandas as pd

from specialeplan.model.instance import Instance

NOISE = (0.8, 1.2)


def _noisy(rng: np.random.Generator, values: np.ndarray, *, integer: bool,
           minimum: float = 0.0) -> np.ndarray:
    out = values * rng.uniform(*NOISE, size=len(values))
    if integer:
        out = np.rint(out)
    return np.where(np.isfinite(values), np.maximum(out, minimum), values)


def replicate_providers(instance: Instance, factor: int, seed: int = 0) -> Instance:
    """``instance`` with ``factor − 1`` jittered copies of every provider (see module doc)."""
    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    if factor == 1:
        return instance
    if instance.travel is None:
        raise ValueError("replicate_providers needs the municipality travel matrix")
    rng = np.random.default_rng(seed)
    munis = instance.municipalities
    region_of = dict(zip(munis["code"], munis["region"], strict=True))
    by_region = munis.groupby("region")["code"].apply(list).to_dict()
    base_prov = instance.providers
    base_comp = instance.competence
    providers, competence = [base_prov], [base_comp]
    for copy in range(2, factor + 1):
        suffix = f"_{copy}"
        prov = base_prov.copy()
        new_code = []
        for code in prov["municipality_code"]:
            others = [c for c in by_region[region_of[code]] if c != code] or [code]
            new_code.append(others[int(rng.integers(len(others)))])
        prov["municipality_code"] = new_code
        prov["provider_id"] = prov["provider_id"] + suffix
        prov["name"] = prov["name"].astype(str) + suffix
        prov["capacity"] = _noisy(rng, prov["capacity"].to_numpy(), integer=True, minimum=1)
        prov["advisory_capacity"] = _noisy(rng, prov["advisory_capacity"].to_numpy(),
                                           integer=True, minimum=1)
        comp = base_comp.copy()
        comp["provider_id"] = comp["provider_id"] + suffix
        comp["max_cases"] = _noisy(rng, comp["max_cases"].to_numpy(), integer=True, minimum=1)
        comp["current_cases"] = 0.0
        comp["designated_today"] = False
        for col in ("designation_cost", "advisory_cost"):
            comp[col] = _noisy(rng, comp[col].to_numpy(), integer=True)
        providers.append(prov)
        competence.append(comp)
    providers_df = pd.concat(providers, ignore_index=True)
    competence_df = pd.concat(competence, ignore_index=True)
    # t[k, p] = travel from home municipality k to the provider's municipality
    travel = instance.travel.rename(columns={"from_code": "municipality_code"})
    provider_travel = (providers_df[["provider_id", "municipality_code"]]
                       .rename(columns={"municipality_code": "to_code"})
                       .merge(travel, on="to_code")
                       [["municipality_code", "provider_id", "minutes"]]
                       .sort_values(["municipality_code", "provider_id"], ignore_index=True))
    return dataclasses.replace(
        instance, name=f"{instance.name}-x{factor}", providers=providers_df,
        competence=competence_df, provider_travel=provider_travel)


def scaled_instance(factor: int, seed: int = 0) -> Instance:
    """The bundled Denmark dataset with providers replicated ``factor`` times."""
    from specialeplan.data import load_denmark

    return replicate_providers(load_denmark(), factor, seed)


def main() -> None:
    """Print the summary of a scaled instance."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("factor", type=int)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print(json.dumps(scaled_instance(args.factor, args.seed).summary(), indent=1))


if __name__ == "__main__":
    main()
