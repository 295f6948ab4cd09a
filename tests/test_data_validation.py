"""Broken inputs: each test copies the bundled folder, breaks one file, and expects a
DataValidationError that names the file, the row (Excel numbering: header = row 1) and the
field."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from specialeplan.data import bundled_dir, load_instance_dir, load_travel_graph
from specialeplan.errors import DataValidationError


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return shutil.copytree(bundled_dir(), tmp_path / "dk",
                           ignore=shutil.ignore_patterns("*.geojson"))


def edit(folder: Path, file: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    """Rewrite one CSV after ``change`` (all cells as text, so nothing else moves)."""
    df = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
    change(df).to_csv(folder / file, index=False)


def set_cell(file: str, index: int, col: str, value: str):
    def change(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[index, col] = value
        return df
    return file, change


def where(file: str, row: int | None, field: str | None) -> str:
    """Regex for the 'file …, row …, field '…'' prefix of the message."""
    parts = [rf"file \S*{re.escape(file)}"]
    if row is not None:
        parts.append(f"row {row}")
    if field is not None:
        parts.append(f"field '{field}'")
    return ", ".join(parts)


def load_error(folder: Path) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        load_instance_dir(folder)
    return info.value


# (id, file to break, how, expected file, row, field, words in the message). Row = the data
# index + 2 (header is Excel row 1).
CELL_CASES = [
    ("unknown-municipality-in-providers", *set_cell("providers.csv", 4, "municipality_code",
                                                    "999"),
     "providers.csv", 6, "municipality_code", "unknown municipality code '999'"),
    ("code-not-3-digits", *set_cell("demand.csv", 10, "municipality_code", "1010"),
     "demand.csv", 12, "municipality_code", "3 digits"),
    ("duplicate-provider-id", *set_cell("providers.csv", 7, "provider_id", "P0001"),
     "providers.csv", 9, "provider_id", "duplicate key"),
    ("negative-demand", *set_cell("demand.csv", 3, "demand", "-1.5"),
     "demand.csv", 5, "demand", ">= 0"),
    ("nan-capacity", *set_cell("providers.csv", 20, "capacity", ""),
     "providers.csv", 22, "capacity", "finite number"),
    ("non-numeric-max-cases", *set_cell("competence.csv", 2, "max_cases", "many"),
     "competence.csv", 4, "max_cases", "'many'"),
    ("bad-boolean", *set_cell("competence.csv", 5, "designated_today", "maybe"),
     "competence.csv", 7, "designated_today", "0/1"),
    ("unknown-function-in-demand", *set_cell("demand.csv", 0, "function", "astrologi"),
     "demand.csv", 2, "function", "unknown specialfunktion 'astrologi'"),
    ("unknown-speciale-of-a-function", *set_cell("functions.csv", 4, "specialer",
                                                 "autisme;astrologi"),
     "functions.csv", 6, "specialer", "unknown speciale 'astrologi'"),
    ("unknown-target-group-of-a-function", *set_cell("functions.csv", 1, "target_group",
                                                     "elderly"),
     "functions.csv", 3, "target_group", "target group"),
    ("unknown-target-group-of-a-provider", *set_cell("providers.csv", 3, "target_groups",
                                                     "teenagers"),
     "providers.csv", 5, "target_groups", "target group"),
    ("unknown-provider-in-competence", *set_cell("competence.csv", 0, "provider_id", "P9999"),
     "competence.csv", 2, "provider_id", "unknown provider id"),
    ("adjacency-unknown-code", *set_cell("adjacency.csv", 8, "to_code", "998"),
     "adjacency.csv", 10, "to_code", "not in municipalities.csv"),
    ("crossing-minutes-non-numeric", *set_cell("crossings.csv", 1, "minutes", "10 min"),
     "crossings.csv", 3, "minutes", "finite number"),
    ("crossing-self-loop", *set_cell("crossings.csv", 0, "to_code", "330"),
     "crossings.csv", 2, "to_code", "two different municipalities"),
    ("municipality-code-as-number", *set_cell("municipalities.csv", 0, "code", "101.0"),
     "municipalities.csv", 2, "code", "3 digits"),
    ("non-numeric-population", *set_cell("municipalities.csv", 3, "population", "n/a"),
     "municipalities.csv", 5, "population", "finite number"),
    ("residential-share-above-one", *set_cell("delivery_need.csv", 4, "residential_share",
                                              "1.5"),
     "delivery_need.csv", 6, "residential_share", "[0, 1]"),
    ("residential-share-negative", *set_cell("delivery_need.csv", 2, "residential_share",
                                             "-0.1"),
     "delivery_need.csv", 4, "residential_share", ">= 0"),
    ("residential-share-empty", *set_cell("delivery_need.csv", 1, "residential_share", ""),
     "delivery_need.csv", 3, "residential_share", "finite number"),
    ("delivery-need-unknown-function", *set_cell("delivery_need.csv", 0, "function",
                                                 "astrologi"),
     "delivery_need.csv", 2, "function", "unknown specialfunktion 'astrologi'"),
]


@pytest.mark.parametrize(("file", "change", "exp_file", "row", "field", "words"),
                         [c[1:] for c in CELL_CASES], ids=[c[0] for c in CELL_CASES])
def test_broken_cell(folder: Path, file: str, change: Callable[[pd.DataFrame], pd.DataFrame],
                     exp_file: str, row: int, field: str, words: str) -> None:
    edit(folder, file, change)
    with pytest.raises(DataValidationError, match=where(exp_file, row, field)) as info:
        load_instance_dir(folder)
    assert words in str(info.value)
    assert (Path(info.value.file or "").name, info.value.row, info.value.field) == (
        exp_file, row, field)


def test_delivery_need_lists_every_speciale(folder: Path) -> None:
    """A speciale of specialer.csv without a row is named (there is no silent default)."""
    edit(folder, "delivery_need.csv", lambda df: df[df["function"] != "epilepsi"])
    err = load_error(folder)
    assert (Path(err.file or "").name, err.field) == ("delivery_need.csv", "function")
    assert "'epilepsi'" in str(err)


def test_without_delivery_need_every_share_is_the_default(folder: Path) -> None:
    """A dataset without delivery_need.csv loads; ρ_s is then DEFAULT_RESIDENTIAL_SHARE."""
    from specialeplan.model.params import DEFAULT_RESIDENTIAL_SHARE, ModelParams

    (folder / "delivery_need.csv").unlink()
    inst = load_instance_dir(folder)
    assert inst.delivery_need is None and inst.residential_shares() == {}
    table = ModelParams().function_table(inst.function_ids, inst.function_ids,
                                         inst.residential_shares(), inst.specialer_of(),
                                         inst.speciale_ids)
    assert (table["residential_share"] == DEFAULT_RESIDENTIAL_SHARE).all()
    bundled = load_instance_dir(bundled_dir())
    assert bundled.residential_shares()["doevblindhed"] == pytest.approx(0.8)


def test_missing_column(folder: Path) -> None:
    edit(folder, "providers.csv", lambda df: df.drop(columns="capacity"))
    with pytest.raises(DataValidationError,
                       match=where("providers.csv", 1, "capacity") + ": missing required"):
        load_instance_dir(folder)


def test_missing_file(folder: Path) -> None:
    (folder / "demand.csv").unlink()
    with pytest.raises(DataValidationError, match=where("demand.csv", None, None)
                       + ": required file is missing"):
        load_instance_dir(folder)


def test_empty_file(folder: Path) -> None:
    (folder / "competence.csv").write_text("", encoding="utf-8")
    with pytest.raises(DataValidationError, match=where("competence.csv", None, None)
                       + r": file is empty"):
        load_instance_dir(folder)


def test_header_only(folder: Path) -> None:
    (folder / "specialer.csv").write_text("speciale,name\n", encoding="utf-8")
    with pytest.raises(DataValidationError,
                       match=where("specialer.csv", 2, None) + ": no data rows"):
        load_instance_dir(folder)


def test_ragged_csv_row(folder: Path) -> None:
    with open(folder / "providers.csv", "a", encoding="utf-8") as fh:
        fh.write("P0999,Tilbud X,101,municipal,residential,30,50,extra,cells\n")
    with pytest.raises(DataValidationError,
                       match=where("providers.csv", 352, None) + ": not a valid CSV"):
        load_instance_dir(folder)


def test_not_utf8(folder: Path) -> None:
    text = (folder / "municipalities.csv").read_text(encoding="utf-8")
    (folder / "municipalities.csv").write_bytes(text.encode("latin-1"))
    with pytest.raises(DataValidationError, match=where("municipalities.csv", None, None)
                       + ": not UTF-8"):
        load_instance_dir(folder)


def test_function_no_provider_can_serve(folder: Path) -> None:
    # doevblindhed is row 17 of functions.csv (index 15)
    edit(folder, "competence.csv", lambda df: df[df["function"] != "doevblindhed"])
    with pytest.raises(DataValidationError,
                       match=where("functions.csv", 17, "function") + ": specialfunktion "
                       "'doevblindhed' has demand but no provider can serve it"):
        load_instance_dir(folder)


def test_a_legacy_dataset_without_functions_reads_as_one_function_per_speciale(
        folder: Path) -> None:
    """The format before specialfunktion types: no functions.csv, ``speciale`` columns."""
    (folder / "functions.csv").unlink()
    sp = pd.DataFrame({"speciale": ["misbrug", "spiseforstyrrelser"],
                       "name": ["Misbrug", "Svære spiseforstyrrelser"],
                       "target_group": ["adults", "all"]})
    sp.to_csv(folder / "specialer.csv", index=False)
    for file in ("competence.csv", "demand.csv", "delivery_need.csv"):
        edit(folder, file, lambda df: df[df["function"].isin(sp["speciale"])].rename(
            columns={"function": "speciale"}))
    edit(folder, "providers.csv", lambda df: df.drop(columns="target_groups"))
    # applications came with the types (issue 23): the legacy folder keeps those it can name
    edit(folder, "applications.csv", lambda df: df[df["function"].isin(sp["speciale"])])
    inst = load_instance_dir(folder)
    assert inst.function_ids == ["misbrug", "spiseforstyrrelser"]
    assert inst.specialer_of() == {"misbrug": ["misbrug"],
                                   "spiseforstyrrelser": ["spiseforstyrrelser"]}
    assert set(inst.providers["target_groups"]) == {"all"}


def test_isolated_municipality(folder: Path) -> None:
    # without its two ferry links Bornholm (400, row 47) cannot be reached
    edit(folder, "crossings.csv", lambda df: df[df["to_code"] != "400"])
    with pytest.raises(DataValidationError,
                       match=where("municipalities.csv", 47, "code") + r": 1 municipality "
                       r"is not connected .*400 Bornholm"):
        load_instance_dir(folder)
    with pytest.raises(DataValidationError, match="400 Bornholm"):
        load_travel_graph(folder)


def test_disconnected_island_group_names_all(folder: Path) -> None:
    # Ærø has no land neighbour; removing its three ferries isolates it
    edit(folder, "crossings.csv", lambda df: df[(df["to_code"] != "492")])
    err = load_error(folder)
    assert "492 Ærø" in str(err) and err.field == "code"


def test_incomplete_travel_matrix(folder: Path) -> None:
    codes = pd.read_csv(folder / "municipalities.csv", dtype=str)["code"]
    pairs = pd.MultiIndex.from_product([codes, codes]).to_frame(index=False,
                                                              name=["from_code", "to_code"])
    pairs["minutes"] = 30
    pairs.iloc[1:].to_csv(folder / "travel.csv", index=False)  # no 101 -> 101
    with pytest.raises(DataValidationError, match=where("travel.csv", None, "minutes")
                       + ": no travel time from 101 to 101"):
        load_instance_dir(folder)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match="dataset folder does not exist"):
        load_instance_dir(tmp_path / "nowhere")


def test_misspelt_function_in_competence_is_named(folder: Path) -> None:
    # every doevblindhed row misspelt: the typo is reported, not "no provider can serve"
    edit(folder, "competence.csv",
         lambda df: df.replace({"function": {"doevblindhed": "doevblindhd"}}))
    err = load_error(folder)
    assert "unknown specialfunktion 'doevblindhd'" in str(err)
    assert Path(err.file or "").name == "competence.csv" and err.field == "function"
    assert err.row is not None and err.row >= 2
