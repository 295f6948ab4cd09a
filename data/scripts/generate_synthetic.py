"""Generate the SYNTHETIC tables of the bundled Denmark dataset.

Writes ``specialer.csv``, ``functions.csv``, ``providers.csv``, ``competence.csv`` and
``demand.csv`` next to the real ``municipalities.csv`` (and reads ``population_by_age.csv``
there when it exists: demand of children's and adults' needs then follows the age groups;
see ``data/population.py``)::

    python data/scripts/generate_synthetic.py                 # into data/denmark/
    python data/scripts/generate_synthetic.py --out /tmp/x    # elsewhere (same bytes)

Everything is drawn from ``numpy.random.default_rng(SEED)`` in a fixed order, so a re-run
reproduces the committed files byte for byte. The numbers are *illustrative*: volumes are
plausible orders of magnitude for the højt specialiserede level, not estimates.

Two steps: the draw (:func:`draw`) by *kind of need* (the 20 rows of :data:`NEEDS`, the
specialer of the dataset before issue 22), then :func:`apply_taxonomy`, which turns them into
seed 002's Figur 1 structure without any randomness: specialer (:data:`SPECIALER`) with
specialfunktion types under them (:data:`FUNCTIONS`; a type may tie to several specialer),
providers with target groups, and competence and demand per type.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from specialeplan.data.population import group_population, target_scale

SEED = 20261125
N_PROVIDERS = 350
DENMARK = Path(__file__).resolve().parents[1] / "denmark"

# speciale, Danish name, English name, target group, prevalence per 100k inhabitants at the
# højt specialiserede level, wave, illustrative (0 = named in the seed documents).
# Wave 1 = the five the seed documents name first (002: misbrug, autisme, psykisk sårbarhed,
# svære spiseforstyrrelser, misbrug og svære psykiske vanskeligheder); selvskade and
# udadreagerende unge are named in 004; the rest are picked to make ~20 specialer.
NEEDS: list[tuple[str, str, str, str, float, int, int]] = [
    ("misbrug", "Misbrug", "Substance abuse", "adults", 28.0, 1, 0),
    ("autisme", "Autisme", "Autism", "all", 30.0, 1, 0),
    ("psykisk_saarbarhed_born_unge", "Psykisk sårbarhed og mistrivsel hos børn og unge",
     "Mental vulnerability and poor well-being in children and young people", "children",
     24.0, 1, 0),
    ("spiseforstyrrelser", "Svære spiseforstyrrelser", "Severe eating disorders", "all",
     7.0, 1, 0),
    ("misbrug_psykiske_vanskeligheder", "Misbrug og svære psykiske vanskeligheder",
     "Substance abuse with severe mental health difficulties", "adults", 12.0, 1, 0),
    ("selvskade", "Selvskadende adfærd", "Self-harming behaviour", "children", 8.0, 2, 0),
    ("udadreagerende_unge", "Udsatte unge med komplekse problemer og udadreagerende adfærd",
     "Vulnerable young people with complex problems and aggressive behaviour", "children",
     10.0, 2, 0),
    ("udviklingshaemning", "Udviklingshæmning", "Intellectual disability", "all", 12.0, 2, 1),
    ("erhvervet_hjerneskade", "Erhvervet hjerneskade", "Acquired brain injury", "adults",
     10.0, 2, 1),
    ("svaer_sindslidelse", "Svær sindslidelse", "Severe mental illness", "adults", 14.0, 2, 1),
    ("hjemloeshed", "Hjemløshed", "Homelessness", "adults", 7.0, 3, 1),
    ("synshandicap", "Synshandicap", "Visual impairment", "all", 4.5, 3, 1),
    ("horehandicap", "Hørehandicap", "Hearing impairment", "all", 5.0, 3, 1),
    ("doevblindhed", "Døvblindhed", "Deafblindness", "all", 3.5, 3, 1),
    ("sjaeldne_handicap", "Sjældne handicap og diagnoser", "Rare disabilities and diagnoses",
     "all", 4.0, 3, 1),
    ("fysisk_handicap", "Svært fysisk handicap", "Severe physical disability", "all", 6.0, 4, 1),
    ("anbragte_born_unge", "Anbragte børn og unge med komplekse behov",
     "Children and young people in care with complex needs", "children", 12.0, 4, 1),
    ("voldsudsatte", "Voldsudsatte og traumatiserede", "Survivors of violence and trauma",
     "adults", 6.0, 4, 1),
    ("adhd_komplekse", "ADHD med komplekse vanskeligheder", "ADHD with complex difficulties",
     "all", 8.0, 4, 1),
    ("epilepsi", "Svær epilepsi", "Severe epilepsy", "all", 4.0, 4, 1),
]
# Homelessness is concentrated in the big cities: demand scales with population density to
# this power (renormalised so the national total is unchanged).
URBAN_ELASTICITY = {"hjemloeshed": 0.4, "misbrug": 0.15}

DEMAND_SIGMA = 0.25                  # lognormal noise on municipality demand
MIN_POP_FOR_PROVIDER = 20_000        # every municipality this size hosts at least one tilbud
OWNER_SHARES = {"municipal": 0.55, "regional": 0.15, "private": 0.30}
OUTREACH_SHARE = 0.25                # matrikelløse (outreach) tilbud
RESIDENTIAL_CAPACITY = (20, 60)      # borgerforløb per year
OUTREACH_CAPACITY = (40, 150)
ADVISORY_CAPACITY = (20, 98)         # drawn, then x ADVISORY_UNIT:
ADVISORY_UNIT = 10                   # borgerforløb/yr a rådgivningsfunktion can advise on:
                                     # 200-980, so a big speciale needs several
BOTH_SHARE = 0.10                    # residential tilbud that also run an outreach team
ADVISORY_TODAY_PER = 600             # today's rådgivningsfunktioner: one per 600 borgerforløb
N_SPECIALER_P = (0.25, 0.35, 0.25, 0.15)  # P(provider competent in 1, 2, 3, 4 specialer)
PROVIDERS_PER_SPECIALE = (30, 60)
MIN_CAPACITY_RATIO = 1.6             # Σ max_cases ≥ this × national demand per speciale
DESIGNATED_SHARE = 1 / 3
CURRENT_SERVED_SHARE = 0.9           # today's caseload covers ~90 % of demand
DESIGNATION_COST = (200, 900)        # thousand DKK per year
ADVISORY_COST = (100, 400)
HUB_CODE = "101"                     # København: every speciale has a provider here


def make_specialer() -> pd.DataFrame:
    """The 20 kinds of need that the draw works on (fixed list, no randomness)."""
    return pd.DataFrame(NEEDS, columns=["speciale", "name", "name_en", "target_group",
                                        "prevalence_per_100k", "wave", "illustrative"])


# ----------------------------------------------------------------------- the taxonomy
#: seed 002, Figur 1 names three specialer (misbrug, autisme, psykisk sårbarhed og mistrivsel
#: hos børn og unge) and four specialfunktioner; the two needs that the dataset had as
#: specialer ("svære spiseforstyrrelser", "misbrug og svære psykiske vanskeligheder") are
#: specialfunktioner under them. Selvskade and udadreagerende unge (seed 004) join the first
#: wave to make it five specialer ("startende med fem specialer", seed 002).
FIGURE1_NOT_SPECIALER = ("spiseforstyrrelser", "misbrug_psykiske_vanskeligheder")
FIRST_WAVE = ("misbrug", "autisme", "psykisk_saarbarhed_born_unge", "selvskade",
              "udadreagerende_unge")
#: function, Danish name, specialer (;), target group, the need it draws from, illustrative
#: (0 = Figur 1 names it). The autism need is split: AUTISM_CHILD_SHARE of it is children's,
#: and COMBINED_SHARE of the children's part has both autism and an eating disorder.
FUNCTIONS: list[tuple[str, str, str, str, str, int]] = [
    ("misbrug", "Indsatser ift misbrug", "misbrug", "adults", "misbrug", 1),
    ("misbrug_psykiske_vanskeligheder", "Indsatser ift misbrug og svære psykiske vanskeligheder",
     "misbrug", "adults", "misbrug_psykiske_vanskeligheder", 0),
    ("autisme_kommunikation_born",
     "Indsatser ift autisme og vidtgående kommunikationsnedsættelse (børn og unge)", "autisme",
     "children", "autisme", 0),
    ("autisme_kommunikation_voksne",
     "Indsatser ift autisme og vidtgående kommunikationsnedsættelse (voksne)", "autisme",
     "adults", "autisme", 0),
    ("autisme_spiseforstyrrelse", "Indsatser ift autisme og spiseforstyrrelse",
     "autisme;psykisk_saarbarhed_born_unge", "children", "autisme", 0),
    ("spiseforstyrrelser", "Indsatser ift svære spiseforstyrrelser",
     "psykisk_saarbarhed_born_unge", "children", "spiseforstyrrelser", 0),
    ("psykisk_saarbarhed_born_unge", "Indsatser ift psykisk sårbarhed og mistrivsel",
     "psykisk_saarbarhed_born_unge", "children", "psykisk_saarbarhed_born_unge", 1),
]
AUTISM_CHILD_SHARE = 0.40   # ASSUMPTION: children's share of highly specialised autism forløb
COMBINED_SHARE = 0.15       # ASSUMPTION: of the children's, those with an eating disorder too
#: the needs whose competence, together with autism, makes a provider competent in the
#: combined function (ASSUMPTION: eating disorders and young people's mental health)
COMBINED_WITH = ("spiseforstyrrelser", "psykisk_saarbarhed_born_unge", "selvskade",
                 "udadreagerende_unge")


def _provider_groups(competence: pd.DataFrame, needs: pd.DataFrame) -> pd.Series:
    """A provider's target groups from the needs it is competent in: one group when all its
    needs are of that group, else ``all``."""
    group = competence["speciale"].map(needs.set_index("speciale")["target_group"])
    per = group.groupby(competence["provider_id"]).agg(lambda g: set(g))
    return per.map(lambda g: next(iter(g)) if len(g) == 1 and "all" not in g else "all")


def apply_taxonomy(needs: pd.DataFrame, providers: pd.DataFrame, competence: pd.DataFrame,
                   demand: pd.DataFrame, munis: pd.DataFrame,
                   by_age: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The drawn tables by need → specialer, functions, providers (with ``target_groups``),
    competence and demand per function. Deterministic; every need not named in
    :data:`FUNCTIONS` is one function of its own id under a speciale of its own id. The
    children's part of the autism need in a municipality follows its share of children
    (``population_by_age.csv``; the national share without it)."""
    groups = _provider_groups(competence, needs)
    providers = providers.assign(target_groups=providers["provider_id"].map(groups).fillna("all"))
    spec = needs[~needs["speciale"].isin(FIGURE1_NOT_SPECIALER)].copy()
    spec["wave"] = np.where(spec["speciale"].isin(FIRST_WAVE), 1,
                            spec["wave"].where(spec["wave"] > 1, 2))
    named = {f[4] for f in FUNCTIONS}
    rows = [{"function": f, "name": n, "specialer": sp, "target_group": tg, "need": need,
             "illustrative": ill} for f, n, sp, tg, need, ill in FUNCTIONS]
    rows += [{"function": r.speciale, "name": r.name, "specialer": r.speciale,
              "target_group": r.target_group, "need": r.speciale,
              "illustrative": r.illustrative}
             for r in needs.itertuples() if r.speciale not in named]
    functions = pd.DataFrame(rows)
    # demand: each function takes its share of its need
    share = {"autisme_kommunikation_born": AUTISM_CHILD_SHARE * (1 - COMBINED_SHARE),
             "autisme_kommunikation_voksne": 1 - AUTISM_CHILD_SHARE,
             "autisme_spiseforstyrrelse": AUTISM_CHILD_SHARE * COMBINED_SHARE}
    groups = group_population(munis, by_age)
    child = (groups["0-17"] / groups["all"]) / (groups["0-17"].sum() / groups["all"].sum())
    parts = []
    for r in functions.itertuples():
        d = demand[demand["speciale"] == r.need]
        c = AUTISM_CHILD_SHARE * d["municipality_code"].map(child).to_numpy()
        factor = {"autisme_kommunikation_born": c * (1 - COMBINED_SHARE),
                  "autisme_kommunikation_voksne": 1 - c,
                  "autisme_spiseforstyrrelse": c * COMBINED_SHARE}.get(r.function, 1.0)
        parts.append(pd.DataFrame({"municipality_code": d["municipality_code"],
                                   "function": r.function,
                                   "demand": (d["demand"] * factor).round(2)}))
    demand_fn = pd.concat(parts, ignore_index=True)
    # competence: a provider holds a function of its need where it serves the target group
    serves = providers.set_index("provider_id")["target_groups"]
    comp_rows = []
    by_need = {n: g for n, g in competence.groupby("speciale")}
    for r in functions.itertuples():
        if r.function == "autisme_spiseforstyrrelse":
            # competent in autism and in eating disorders or young people's mental health
            # (psykisk sårbarhed, selvskade, udadreagerende unge)
            other = pd.concat([by_need[n] for n in COMBINED_WITH]).sort_values(
                ["provider_id", "max_cases"], ascending=[True, False], kind="stable")
            both = by_need["autisme"].merge(other.drop_duplicates("provider_id"),
                                            on="provider_id", suffixes=("", "_sf"))
            c = both.assign(
                max_cases=both["max_cases"],  # the autism team's places
                current_cases=np.floor(both["current_cases"] * share[r.function]),
                designated_today=both["designated_today"] & both["designated_today_sf"],
                designation_cost=np.maximum(both["designation_cost"],
                                            both["designation_cost_sf"]),
                advisory_cost=np.maximum(both["advisory_cost"], both["advisory_cost_sf"]),
                advisory_today=0)
        else:
            c = by_need[r.need].copy()
            if r.need == "autisme":  # today's autism caseload split like the demand
                c["current_cases"] = np.floor(c["current_cases"] * share[r.function])
        c = c[[g in ("all", r.target_group) for g in c["provider_id"].map(serves)]]
        comp_rows.append(c.assign(function=r.function))
    comp = pd.concat(comp_rows, ignore_index=True)
    cols = ["provider_id", "function", "max_cases", "current_cases", "designated_today",
            "designation_cost", "advisory_cost", "advisory_today"]
    comp = comp[cols].sort_values(["provider_id", "function"]).reset_index(drop=True)
    comp = comp.astype({"max_cases": int, "current_cases": int, "designated_today": int,
                        "advisory_today": int})
    return {"specialer": spec.reset_index(drop=True),
            "functions": functions.drop(columns="need"), "providers": providers,
            "competence": comp, "demand": demand_fn}


def make_demand(rng: np.random.Generator, munis: pd.DataFrame,
                specialer: pd.DataFrame, by_age: pd.DataFrame | None = None) -> pd.DataFrame:
    """Borgerforløb per year = population × prevalence / 1e5 × target-group factor ×
    lognormal noise (mean 1). The factor (``target_scale``) spreads a children's or adults'
    speciale by its age group's population; it is exactly 1 without ``by_age``."""
    grid = munis[["code", "population", "area_km2"]].merge(
        specialer[["speciale", "prevalence_per_100k"]], how="cross")
    scale = target_scale(munis, specialer, by_age).set_index(["code", "speciale"])["scale"]
    factor = scale.reindex(pd.MultiIndex.from_frame(grid[["code", "speciale"]])).to_numpy()
    expected = grid["population"] * grid["prevalence_per_100k"] / 1e5
    if by_age is not None:  # without age data the factor is exactly 1
        expected = expected * factor
    density = grid["population"] / grid["area_km2"]
    elasticity = grid["speciale"].map(URBAN_ELASTICITY).fillna(0.0)
    urban = (density / density.median()) ** elasticity
    # renormalise per speciale so the urban tilt moves demand without changing the total
    urban *= expected.groupby(grid["speciale"]).transform("sum") / (
        (expected * urban).groupby(grid["speciale"]).transform("sum"))
    noise = rng.lognormal(mean=-DEMAND_SIGMA**2 / 2, sigma=DEMAND_SIGMA, size=len(grid))
    return pd.DataFrame({"municipality_code": grid["code"], "speciale": grid["speciale"],
                         "demand": (expected * urban * noise).round(2)})


def make_providers(rng: np.random.Generator, munis: pd.DataFrame) -> pd.DataFrame:
    """~350 tilbud: one in every municipality of some size, the rest ∝ population."""
    population = munis["population"].to_numpy(dtype=float)
    # the guaranteed one keeps e.g. Bornholm from drawing no tilbud at all
    base = (population >= MIN_POP_FOR_PROVIDER).astype(int)
    counts = base + rng.multinomial(N_PROVIDERS - base.sum(), population / population.sum())
    code = np.repeat(munis["code"].to_numpy(), counts)
    town = np.repeat(munis["name"].to_numpy(), counts)
    number = pd.Series(code).groupby(code).cumcount().to_numpy() + 1
    n = len(code)
    outreach = rng.random(n) < OUTREACH_SHARE
    capacity = np.where(outreach, rng.integers(*OUTREACH_CAPACITY, endpoint=True, size=n),
                        rng.integers(*RESIDENTIAL_CAPACITY, endpoint=True, size=n))
    owner = rng.choice(list(OWNER_SHARES), p=list(OWNER_SHARES.values()), size=n)
    return pd.DataFrame({
        "provider_id": [f"P{i:04d}" for i in range(1, n + 1)],
        "name": [f"Tilbud {t} {k}" for t, k in zip(town, number, strict=True)],
        "municipality_code": code,
        "owner": owner,
        "kind": np.where(outreach, "outreach", "residential"),
        "capacity": capacity,
        "advisory_capacity": ADVISORY_UNIT * rng.integers(*ADVISORY_CAPACITY, endpoint=True,
                                                          size=n),
    })


def _providers_per_speciale(national: pd.Series, slots: int) -> pd.Series:
    """Competent providers per speciale: linear in national demand within 30..60."""
    lo, hi = PROVIDERS_PER_SPECIALE
    span = (national - national.min()) / (national.max() - national.min())
    target = (lo + span * (hi - lo)).round().astype(int)
    # use the providers' competence slots fully where the clamp allows
    scale = min(1.0, slots / target.sum())
    return (target * scale).round().clip(lo, hi).astype(int)


def make_competence(rng: np.random.Generator, providers: pd.DataFrame, munis: pd.DataFrame,
                    demand: pd.DataFrame, specialer: pd.DataFrame) -> pd.DataFrame:
    """Which provider is competent in which speciale, with capacities, caseloads and costs."""
    region = providers["municipality_code"].map(munis.set_index("code")["region"]).to_numpy()
    n = len(providers)
    slots = rng.choice(np.arange(1, len(N_SPECIALER_P) + 1), p=N_SPECIALER_P, size=n)
    national = demand.groupby("speciale")["demand"].sum().reindex(specialer["speciale"])
    need = _providers_per_speciale(national, int(slots.sum()))
    capacity = providers["capacity"].to_numpy(dtype=float)
    is_hub = (providers["municipality_code"] == HUB_CODE).to_numpy()

    chosen = np.zeros((n, len(specialer)), dtype=bool)
    # largest specialer first, so they get the pick of the big providers
    for j in np.argsort(-national.to_numpy(), kind="stable"):
        free = slots - chosen.sum(axis=1)
        # big specialer lean towards big providers (weight capacity^share of national demand)
        tilt = national.iloc[j] / national.max()
        weight = np.where(free > 0, free * capacity**tilt, 0.0)
        picks: list[int] = []
        # one provider in every region and one in København (reachable from Bornholm)
        for mask in [region == r for r in sorted(set(region))] + [is_hub]:
            w = np.where(mask, weight, 0.0)
            if w.sum() == 0:  # everyone there is full: take the region's biggest anyway
                w = np.where(mask, capacity, 0.0)
            picks.append(int(rng.choice(n, p=w / w.sum())))
        weight[picks] = 0.0
        rest = max(0, need.iloc[j] - len(set(picks)))
        rest = min(rest, int((weight > 0).sum()))
        extra = rng.choice(n, size=rest, replace=False, p=weight / weight.sum())
        chosen[np.r_[picks, extra].astype(int), j] = True
    # a provider left without competence gets the speciale with the fewest providers
    for i in np.flatnonzero(~chosen.any(axis=1)):
        chosen[i, int(np.argmin(chosen.sum(axis=0)))] = True

    pi, sj = np.nonzero(chosen)
    comp = pd.DataFrame({"provider_id": providers["provider_id"].to_numpy()[pi],
                         "speciale": specialer["speciale"].to_numpy()[sj],
                         "capacity": capacity[pi]})
    comp["max_cases"] = np.ceil(comp["capacity"] * rng.uniform(0.5, 1.0, size=len(comp)))
    # lift per-speciale capacity towards MIN_CAPACITY_RATIO × demand (never above capacity)
    for _ in range(20):
        total = comp.groupby("speciale")["max_cases"].transform("sum")
        factor = (MIN_CAPACITY_RATIO * comp["speciale"].map(national) / total).clip(lower=1.0)
        if (factor <= 1.0).all():
            break
        comp["max_cases"] = np.minimum(comp["capacity"], np.ceil(comp["max_cases"] * factor))

    comp["designated_today"] = (rng.random(len(comp)) < DESIGNATED_SHARE).astype(int)
    # today's caseload: ~90 % of national demand spread over the competent providers,
    # designated ones carrying twice their share
    share = comp["max_cases"] * (1 + comp["designated_today"]) * rng.uniform(
        0.5, 1.5, size=len(comp))
    share /= share.groupby(comp["speciale"]).transform("sum")
    current = CURRENT_SERVED_SHARE * comp["speciale"].map(national) * share
    current = np.minimum(current, comp["max_cases"])
    # today's caseload must also fit the provider's shared total capacity
    fit = (comp["capacity"] / current.groupby(comp["provider_id"]).transform("sum")).clip(upper=1)
    comp["current_cases"] = np.floor(current * fit)
    comp["designation_cost"] = rng.integers(*DESIGNATION_COST, endpoint=True, size=len(comp))
    comp["advisory_cost"] = rng.integers(*ADVISORY_COST, endpoint=True, size=len(comp))
    cols = ["provider_id", "speciale", "max_cases", "current_cases", "designated_today",
            "designation_cost", "advisory_cost"]
    comp = comp[cols].sort_values(["provider_id", "speciale"]).reset_index(drop=True)
    return comp.astype({"max_cases": int, "current_cases": int})


def mark_advisory_today(comp: pd.DataFrame, demand: pd.DataFrame) -> pd.DataFrame:
    """``advisory_today``: today's rådgivningsfunktioner, one per ADVISORY_TODAY_PER
    borgerforløb of national demand (at least one), the designated-today pairs with the
    largest caseload (ties: provider id). No randomness."""
    national = demand.groupby("speciale")["demand"].sum()
    n = np.maximum(1, np.ceil(national / ADVISORY_TODAY_PER)).astype(int)
    today = comp[comp["designated_today"] == 1].sort_values(
        ["speciale", "current_cases", "provider_id"], ascending=[True, False, True])
    rank = today.groupby("speciale").cumcount()
    chosen = today[rank < today["speciale"].map(n).fillna(1)]
    flag = comp.index.isin(chosen.index).astype(int)
    return comp.assign(advisory_today=flag)


def add_outreach_teams(providers: pd.DataFrame, seed: int) -> pd.DataFrame:
    """BOTH_SHARE of the residential tilbud also run an outreach team (kind ``both``). Drawn
    from a second stream of the seed so that every earlier draw stays as it was."""
    rng = np.random.default_rng([seed, 1])
    both = (providers["kind"] == "residential").to_numpy() & (
        rng.random(len(providers)) < BOTH_SHARE)
    return providers.assign(kind=np.where(both, "both", providers["kind"]))


def generate(out_dir: Path, municipalities: Path | None = None, seed: int = SEED) -> None:
    """Write the four synthetic CSVs into ``out_dir``."""
    munis = pd.read_csv(municipalities or DENMARK / "municipalities.csv",
                        dtype={"code": str}, encoding="utf-8")
    by_age_path = (municipalities or DENMARK / "municipalities.csv").with_name(
        "population_by_age.csv")
    by_age = (pd.read_csv(by_age_path, dtype={"code": str, "age_group": str})
              if by_age_path.is_file() else None)
    rng = np.random.default_rng(seed)
    specialer = make_specialer()
    demand = make_demand(rng, munis, specialer, by_age)
    providers = make_providers(rng, munis)
    competence = make_competence(rng, providers, munis, demand, specialer)
    competence = mark_advisory_today(competence, demand)
    providers = add_outreach_teams(providers, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = apply_taxonomy(specialer, providers, competence, demand, munis, by_age)
    for name, df in tables.items():
        df.to_csv(out_dir / f"{name}.csv", index=False, lineterminator="\n",
                  encoding="utf-8", float_format="%.2f")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DENMARK)
    parser.add_argument("--municipalities", type=Path, default=DENMARK / "municipalities.csv")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    generate(args.out, args.municipalities, args.seed)
    print(f"wrote specialer, functions, providers, competence, demand to {args.out} "
          f"(seed {args.seed})")


if __name__ == "__main__":
    main()
