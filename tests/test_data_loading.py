"""The bundled Denmark dataset loads, has the documented size, and is reproducible."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from typer.testing import CliRunner

from specialeplan.cli.data import data_app
from specialeplan.data import bundled_dir, load_denmark, load_instance_dir
from specialeplan.errors import DataValidationError
from specialeplan.model.instance import Instance

SCRIPTS = Path(__file__).resolve().parents[1] / "data" / "scripts"
SYNTHETIC = ("specialer.csv", "providers.csv", "competence.csv", "demand.csv",
             "functions.csv", "applications.csv")


@pytest.fixture(scope="module")
def inst() -> Instance:
    return load_denmark()


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sizes(inst: Instance) -> None:
    assert isinstance(inst, Instance)
    assert inst.name == "denmark" and inst.synthetic
    assert len(inst.municipalities) == 98
    assert inst.municipalities["population"].sum() == 5_822_679
    assert inst.municipalities["code"].str.fullmatch(r"\d{3}").all()
    assert len(inst.specialer) == 18
    assert len(inst.functions) == 22
    assert len(inst.providers) == 350
    assert len(inst.demand) == 98 * 22
    assert len(inst.provider_travel) == 98 * len(inst.providers)
    assert inst.travel is not None and len(inst.travel) == 98 * 98


def test_sources_and_hashes(inst: Instance) -> None:
    for table in ("municipalities", "providers", "specialer", "functions", "competence",
                  "demand"):
        assert inst.sources[table].endswith(f"{table}.csv")
    assert set(inst.hashes) == set(SYNTHETIC) | {"municipalities.csv", "adjacency.csv",
                                                 "crossings.csv", "delivery_need.csv"}
    for file, digest in inst.hashes.items():
        assert hashlib.sha256((bundled_dir() / file).read_bytes()).hexdigest() == digest


def test_demand_volumes_in_documented_ranges(inst: Instance) -> None:
    national = inst.demand.groupby("function")["demand"].sum()
    assert 10_000 <= national.sum() <= 15_000
    assert national.min() >= 100 and national.max() <= 3_000  # a hundred .. thousands
    assert (inst.demand["demand"] >= 0).all()
    # population-proportional: København has the largest demand, Læsø the smallest
    by_muni = inst.demand.groupby("municipality_code")["demand"].sum()
    assert by_muni.idxmax() == "101" and by_muni.idxmin() == "825"


def test_specialer_waves(inst: Instance) -> None:
    s = inst.specialer
    assert s["speciale"].str.fullmatch(r"[a-z_]+").all()
    # five specialer first (seed 002), all 18 by 2030
    assert s.groupby("wave").size().to_dict() == {1: 5, 2: 3, 3: 5, 4: 5}
    assert (s.loc[s["wave"] == 1, "illustrative"] == 0).all()
    assert set(s["target_group"]) <= {"children", "adults", "all"}


def test_taxonomy_follows_figure_1(inst: Instance) -> None:
    """Seed 002 Figur 1: specialfunktion types under three specialer, one of them tied to
    two; the two Figur 1 specialfunktioner that were specialer are no specialer."""
    of = inst.specialer_of()
    assert of["autisme_spiseforstyrrelse"] == ["autisme", "psykisk_saarbarhed_born_unge"]
    assert of["spiseforstyrrelser"] == ["psykisk_saarbarhed_born_unge"]
    assert of["misbrug_psykiske_vanskeligheder"] == ["misbrug"]
    assert {"spiseforstyrrelser", "misbrug_psykiske_vanskeligheder"}.isdisjoint(
        inst.speciale_ids)
    assert len(inst.functions_of(["misbrug", "autisme", "psykisk_saarbarhed_born_unge"])) == 7
    fn = inst.functions.set_index("function")
    assert fn.at["autisme_kommunikation_born", "target_group"] == "children"
    assert fn.at["autisme_kommunikation_voksne", "target_group"] == "adults"
    # every provider serves a target group; children's functions only at providers that
    # serve children (the Instance refuses anything else)
    assert set(inst.providers["target_groups"]) == {"children", "adults", "all"}


def test_providers_and_competence_plausible(inst: Instance) -> None:
    region = inst.municipalities.set_index("code")["region"]
    prov = inst.providers.assign(region=inst.providers["municipality_code"].map(region))
    assert prov["region"].nunique() == 5
    assert 0.10 <= (prov["owner"] == "regional").mean() <= 0.20
    assert set(prov["kind"]) == {"residential", "outreach", "both"}
    assert 0.05 <= (prov["kind"] == "both").mean() <= 0.15
    res = prov[prov["kind"].isin(["residential", "both"])]["capacity"]
    assert res.between(20, 60).all()
    # advisory capacity in borgerforløb advised per year
    assert prov["advisory_capacity"].between(200, 980).all()

    comp = inst.competence.merge(prov, on="provider_id")
    assert (comp["max_cases"] <= comp["capacity"]).all()
    assert (comp["current_cases"] <= comp["max_cases"]).all()
    per_provider = comp.groupby("provider_id").size()
    # 1-4 kinds of need; autism counts as two functions (children, adults) and may add the
    # combined one
    assert per_provider.between(1, 6).all() and len(per_provider) == len(prov)
    per_s = comp.groupby("function").agg(n=("provider_id", "size"),
                                         regions=("region", "nunique"),
                                         cap=("max_cases", "sum"))
    national = inst.demand.groupby("function")["demand"].sum()
    combined = per_s.index == "autisme_spiseforstyrrelse"  # providers competent in both needs
    assert per_s.loc[~combined, "n"].between(30, 60).all()
    assert per_s.loc[combined, "n"].between(5, 30).all()
    assert (per_s["regions"] == 5).all()
    assert (per_s["cap"] >= 1.5 * national).all()
    in_cph = comp[comp["municipality_code"] == "101"].groupby("function").size()
    assert len(in_cph) == 22  # every function reachable from Bornholm's link
    assert 0.25 <= comp["designated_today"].mean() <= 0.45
    assert comp["designation_cost"].between(200, 900).all()
    assert comp["advisory_cost"].between(100, 400).all()
    # today's rådgivningsfunktioner: designated today, at least one per speciale, more for
    # big specialer (one per 600 borgerforløb)
    adv = comp[comp["advisory_today"]]
    assert adv["designated_today"].all()
    n_adv = adv.groupby("function").size().reindex(national.index, fill_value=0)
    # the combined autism-and-eating-disorder function is new: nobody advises on it today
    assert (n_adv.drop("autisme_spiseforstyrrelse") >= 1).all()
    assert n_adv["autisme_spiseforstyrrelse"] == 0
    assert n_adv["autisme_kommunikation_voksne"] > n_adv["doevblindhed"]


def test_provider_travel_is_municipality_travel(inst: Instance) -> None:
    assert inst.travel is not None
    t = inst.travel.set_index(["from_code", "to_code"])["minutes"]
    pt = inst.provider_travel.merge(inst.providers[["provider_id", "municipality_code"]],
                                    on="provider_id", suffixes=("", "_p"))
    expected = t.loc[list(zip(pt["municipality_code"], pt["municipality_code_p"],
                              strict=True))].to_numpy()
    assert (pt["minutes"].to_numpy() == expected).all()


def test_generator_reproduces_committed_files(tmp_path: Path) -> None:
    _script("generate_synthetic").generate(tmp_path)
    _script("generate_applications").generate(tmp_path)  # drawn from the files above
    for file in SYNTHETIC:
        assert (tmp_path / file).read_bytes() == (bundled_dir() / file).read_bytes(), file


def test_adjacency_matches_geometry() -> None:
    """Needs shapely (a dev extra, not a runtime dependency)."""
    pairs = _script("make_adjacency").adjacency_pairs(bundled_dir() / "municipalities.geojson")
    committed = pd.read_csv(bundled_dir() / "adjacency.csv", dtype=str)
    assert len(committed) == 186
    pd.testing.assert_frame_equal(pairs, committed)


def test_load_copy_of_folder(tmp_path: Path, inst: Instance) -> None:
    folder = shutil.copytree(bundled_dir(), tmp_path / "mine")
    other = load_instance_dir(folder)
    assert other.name == "mine" and other.synthetic
    assert other.sources["providers"] == str(folder / "providers.csv")
    assert dict(other.hashes) == dict(inst.hashes)
    pd.testing.assert_frame_equal(other.provider_travel, inst.provider_travel)


def test_own_travel_matrix_replaces_the_graph(tmp_path: Path, inst: Instance) -> None:
    folder = shutil.copytree(bundled_dir(), tmp_path / "routing")
    (folder / "adjacency.csv").unlink()
    (folder / "crossings.csv").unlink()
    assert inst.travel is not None
    travel = inst.travel.assign(minutes=inst.travel["minutes"].round(1) + 1)
    # one direction per pair is enough
    travel[travel["from_code"] <= travel["to_code"]].to_csv(folder / "travel.csv", index=False)
    other = load_instance_dir(folder)
    assert "travel.csv" in other.hashes and "adjacency.csv" not in other.hashes
    merged = other.provider_travel.merge(inst.provider_travel,
                                         on=["municipality_code", "provider_id"])
    diff = merged["minutes_x"] - merged["minutes_y"]
    assert diff.between(0.94, 1.06).all()


def test_replacing_every_synthetic_file_clears_the_flag(tmp_path: Path) -> None:
    folder = shutil.copytree(bundled_dir(), tmp_path / "real")
    for file in SYNTHETIC:
        with open(folder / file, "a", encoding="utf-8") as fh:
            fh.write("\n")  # same content, different bytes: stands for a real extract
    assert not load_instance_dir(folder).synthetic


def test_cli_summary() -> None:
    res = CliRunner().invoke(data_app, ["summary"])
    assert res.exit_code == 0, res.output
    for text in ("98", "5,822,679", "350", "doevblindhed", "Hovedstaden", "Nordjylland",
                 "12,494"):
        assert text in res.stdout, text


def test_cli_summary_bad_folder_exit_2(tmp_path: Path) -> None:
    folder = shutil.copytree(bundled_dir(), tmp_path / "broken")
    (folder / "demand.csv").unlink()
    res = CliRunner().invoke(data_app, ["summary", "--data", str(folder)])
    assert res.exit_code == 2
    assert "demand.csv" in res.stderr and "missing" in res.stderr


# ----------------------------------------------------------------------- target groups
def test_target_scale_by_hand() -> None:
    """Two municipalities of 100 and 300 inhabitants with 50 and 30 children: shares 0.5 and
    0.1, national 80/400 = 0.2 → a children's speciale weighs 2.5 and 0.5; adults (50/100 and
    270/300 against 320/400 = 0.8) 0.625 and 1.125; 'all' 1. Without age data every factor is
    exactly 1 (the national-share approximation)."""
    from specialeplan.data.population import target_scale

    munis = pd.DataFrame({"code": ["101", "147"], "population": [100.0, 300.0]})
    spec = pd.DataFrame({"speciale": ["c", "a", "x"],
                         "target_group": ["children", "adults", "all"]})
    by_age = pd.DataFrame({"code": ["101", "101", "147", "147"],
                           "age_group": ["0-17", "18+", "0-17", "18+"],
                           "persons": [50.0, 50.0, 30.0, 270.0]})
    got = target_scale(munis, spec, by_age).set_index(["code", "speciale"])["scale"]
    assert got[("101", "c")] == pytest.approx(2.5) and got[("147", "c")] == pytest.approx(0.5)
    assert got[("101", "a")] == pytest.approx(0.625)
    assert got[("147", "a")] == pytest.approx(1.125)
    assert got[("101", "x")] == got[("147", "x")] == 1.0
    assert (target_scale(munis, spec, None)["scale"] == 1.0).all()


def test_generator_follows_the_age_split(tmp_path: Path) -> None:
    """With a (made-up, test-only) age table where København has 40 % children and every
    other municipality 20 %, the national child share is 0.2 + 0.2·632,340/5,822,679 ≈
    0.2217, so a children's speciale's expected demand in København is 0.4/0.2217 ≈ 1.80 ×
    what it was (same noise draw), an 'all' speciale's is unchanged, and national totals stay
    within a few per cent (only the noise is re-weighted)."""
    src = bundled_dir() / "municipalities.csv"
    munis = pd.read_csv(src, dtype={"code": str})
    shutil.copy(src, tmp_path / "municipalities.csv")
    child = munis["population"] * 0.2
    child[munis["code"] == "101"] *= 2
    pd.concat([pd.DataFrame({"code": munis["code"], "age_group": "0-17", "persons": child}),
               pd.DataFrame({"code": munis["code"], "age_group": "18+",
                             "persons": munis["population"] - child})]).to_csv(
        tmp_path / "population_by_age.csv", index=False)
    _script("generate_synthetic").generate(tmp_path / "out", tmp_path / "municipalities.csv")
    new = pd.read_csv(tmp_path / "out" / "demand.csv", dtype={"municipality_code": str})
    old = pd.read_csv(bundled_dir() / "demand.csv", dtype={"municipality_code": str})
    ratio = (new.set_index(["municipality_code", "function"])["demand"]
             / old.set_index(["municipality_code", "function"])["demand"])
    national = child.sum() / munis["population"].sum()
    assert ratio[("101", "psykisk_saarbarhed_born_unge")] == pytest.approx(0.4 / national,
                                                                           rel=1e-3)
    assert ratio[("101", "spiseforstyrrelser")] == pytest.approx(1.0)
    # the children's part of the autism need follows the children too (same draw)
    assert ratio[("101", "autisme_kommunikation_born")] == pytest.approx(
        (0.4 / national) / (0.2 / 0.2), rel=2e-3)
    totals = new.groupby("function")["demand"].sum() / old.groupby("function")["demand"].sum()
    assert totals.between(0.95, 1.05).all()


def test_population_by_age_is_validated(tmp_path: Path) -> None:
    folder = shutil.copytree(bundled_dir(), tmp_path / "aged")
    pd.DataFrame({"code": ["101", "101"], "age_group": ["0-17", "adults"],
                  "persons": [1.0, 2.0]}).to_csv(folder / "population_by_age.csv", index=False)
    with pytest.raises(DataValidationError, match="population_by_age.csv.*row 3.*age_group"):
        load_instance_dir(folder)
    pd.DataFrame({"code": ["101", "101"], "age_group": ["0-17", "18+"],
                  "persons": [1.0, 2.0]}).to_csv(folder / "population_by_age.csv", index=False)
    inst = load_instance_dir(folder)
    assert inst.population_by_age is not None and len(inst.population_by_age) == 2
    bad = pd.read_csv(folder / "specialer.csv")
    bad.loc[0, "target_group"] = "elderly"
    bad.to_csv(folder / "specialer.csv", index=False)
    with pytest.raises(DataValidationError, match="specialer.csv.*row 2.*target_group"):
        load_instance_dir(folder)
