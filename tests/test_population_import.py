"""``specialeplan data import-population``: a StatBank export of FOLK1A by area and age
becomes a dataset's ``population_by_age.csv``; a bad export names file, row and column and
writes nothing. The fixture's numbers are made up (tests/fixtures/README.md)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from specialeplan.cli.data import data_app
from specialeplan.data import bundled_dir, load_instance_dir
from specialeplan.data.loader import load_municipalities
from specialeplan.data.population_import import read_statbank, to_age_groups
from specialeplan.errors import DataValidationError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STATBANK = FIXTURES / "statbank_folk1a_small.csv"
EXPECTED = FIXTURES / "population_by_age_expected.csv"
LINES = STATBANK.read_text(encoding="utf-8-sig").splitlines()


def row_of(prefix: str) -> int:
    """The row (as Excel numbers it) of the fixture's line starting with ``prefix``."""
    return next(i for i, line in enumerate(LINES, start=1) if line.startswith(prefix))


def variant(folder: Path, name: str, edit: Callable[[list[str]], list[str]],
            encoding: str = "utf-8-sig") -> Path:
    path = folder / name
    path.write_text("\n".join(edit(list(LINES))) + "\n", encoding=encoding)
    return path


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A dataset folder holding only municipalities.csv (all the importer reads)."""
    folder = tmp_path / "dataset"
    folder.mkdir()
    shutil.copy(bundled_dir() / "municipalities.csv", folder)
    return folder


def expected() -> pd.DataFrame:
    return pd.read_csv(EXPECTED, dtype={"code": str})


def imported(path: Path, year: str | None = None) -> pd.DataFrame:
    return to_age_groups(read_statbank(path), load_municipalities(), year)


def test_fixture_reproduces_the_expected_file(out: Path) -> None:
    res = CliRunner().invoke(data_app, ["import-population", str(STATBANK), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "population_by_age.csv").read_bytes() == EXPECTED.read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["municipalities.csv",
                                                     "population_by_age.csv"]
    text = " ".join(res.stdout.split())
    for part in ("196 rows", "98 municipalities", "2025K1", "5,822,679", "19.9%",
                 "Christiansø (411) ignored"):
        assert part in text, part


def test_imported_dataset_loads(tmp_path: Path) -> None:
    folder = shutil.copytree(bundled_dir(), tmp_path / "aged")
    res = CliRunner().invoke(data_app, ["import-population", str(STATBANK), "--out",
                                        str(folder)])
    assert res.exit_code == 0, res.output
    inst = load_instance_dir(folder)
    assert inst.population_by_age is not None and len(inst.population_by_age) == 196
    got = inst.population_by_age.groupby("age_group")["persons"].sum()
    want = expected().groupby("age_group")["persons"].sum()
    assert got.to_dict() == pytest.approx(want.to_dict())
    # the fixture was made from municipalities.csv: the groups add up to each population
    per_code = inst.population_by_age.groupby("code")["persons"].sum()
    assert (per_code == inst.municipalities.set_index("code")["population"]).all()


def _replace(old: str, new: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: [re.sub(old, new, line) for line in lines]


def _drop(prefix: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: [line for line in lines if not line.startswith(prefix)]


def _dots_at(row: int) -> Callable[[list[str]], list[str]]:
    return lambda lines: [re.sub(r";\d+$", ";..", line) if i == row else line
                          for i, line in enumerate(lines, start=1)]


DOTS_ROW = row_of("Ballerup;89 år;")
BAD = [
    ("comma", _replace(";", ","), [], 1, "OMRÅDE,ALDER,TID,INDHOLD",
     "not semicolon-separated"),
    ("no_laeso", _drop("Læsø;"), [], row_of("Læsø;Alder i alt"), "OMRÅDE",
     r"municipality Læsø \(825\) has no rows for 2025K1 .*97 of 98"),
    ("dots", _dots_at(DOTS_ROW), [], DOTS_ROW, "INDHOLD",
     r"got '\.\.' \('\.\.' is the StatBank's mark for a missing"),
    ("no_age", _drop("København;57 år;"), [], row_of("København;57 år;"), "ALDER",
     r"København \(101\) has no row for age '57 år'"),
    ("unknown", _replace("^Aarhus;", "Gotham;"), [], row_of("Aarhus;Alder i alt"), "OMRÅDE",
     "unknown municipality 'Gotham'"),
    ("year", lambda lines: lines, ["--year", "2019K1"], 2, "TID",
     "TID '2019K1' is not in the file; it has 2025K1"),
]


@pytest.mark.parametrize(("name", "edit", "args", "row", "field", "message"), BAD,
                         ids=[b[0] for b in BAD])
def test_bad_export_names_file_row_and_field(
        tmp_path: Path, out: Path, name: str, edit: Callable[[list[str]], list[str]],
        args: list[str], row: int, field: str, message: str) -> None:
    path = variant(tmp_path, f"{name}.csv", edit)
    res = CliRunner().invoke(data_app, ["import-population", str(path), "--out", str(out),
                                        *args])
    assert res.exit_code == 2, res.output
    err = " ".join(res.stderr.split())
    assert f"file {path}, row {row}, field '{field}':" in err, err
    assert re.search(message, err), err
    assert sorted(p.name for p in out.iterdir()) == ["municipalities.csv"]  # nothing written


def test_export_variants_give_the_same_table(tmp_path: Path) -> None:
    """Windows-1252 without BOM, Århus for Aarhus, Christiansø left out: the same result."""
    want = expected()
    edits = _replace("^Aarhus;", "Århus Kommune;")
    path = variant(tmp_path, "ansi.csv", lambda ls: _drop("Christiansø;")(edits(ls)),
                   encoding="cp1252")
    pd.testing.assert_frame_equal(imported(path).drop(columns="source"),
                                  want.drop(columns="source"))


def test_english_export_with_codes(tmp_path: Path) -> None:
    """lang=en, valuePresentation=CodeAndValue: REGION;AGE;TIME;INDHOLD, '101 Copenhagen',
    '0 years', '100 years and over', 'Total', 'All Denmark', 'Capital Region of Denmark'."""
    munis = load_municipalities()
    code = {**dict(zip(munis["name"], munis["code"], strict=True)), "Christiansø": "411",
            "Hele landet": "000"}
    english = {**dict(zip(munis["code"], munis["name_en"], strict=True)),
               "411": "Christiansø", "000": "All Denmark"}

    def to_english(lines: list[str]) -> list[str]:
        out = ["REGION;AGE;TIME;INDHOLD"]
        for line in lines[1:]:
            area, age, time, value = line.split(";")
            if area.startswith("Region "):
                area = "Capital Region of Denmark"  # every region: they are skipped anyway
            else:
                area = f"{code[area]} {english[code[area]]}"
            age = ("Total" if age == "Alder i alt" else
                   age.replace(" år og derover", " years and over").replace(" år", " years"))
            out.append(";".join([area, age, time.replace("K", "Q"), value]))
        return out

    got = imported(variant(tmp_path, "english.csv", to_english), year="2025K1")
    assert got["persons"].tolist() == expected()["persons"].tolist()
    assert got.attrs["time"] == "2025Q1"


def test_sex_column_keeps_the_total(tmp_path: Path) -> None:
    def with_sex(lines: list[str], total: bool = True) -> list[str]:
        out = ["OMRÅDE;KØN;ALDER;TID;INDHOLD"]
        for line in lines[1:]:
            area, rest = line.split(";", 1)
            n = int(rest.rsplit(";", 1)[1])
            men = rest.rsplit(";", 1)[0] + f";{n // 2}"
            women = rest.rsplit(";", 1)[0] + f";{n - n // 2}"
            out += ([f"{area};I alt;{rest}"] if total else []) + [
                f"{area};Mænd;{men}", f"{area};Kvinder;{women}"]
        return out

    got = imported(variant(tmp_path, "sex.csv", with_sex))
    assert got["persons"].tolist() == expected()["persons"].tolist()
    assert "KØN: used the total 'I alt' only" in got.attrs["notes"]
    path = variant(tmp_path, "sexes.csv", lambda ls: with_sex(ls, total=False))
    with pytest.raises(DataValidationError, match=r"row 2, field 'KØN'.*count persons twice"):
        imported(path)


def test_several_quarters_take_the_latest_or_the_one_asked(tmp_path: Path) -> None:
    def two_quarters(lines: list[str]) -> list[str]:
        older = [line.replace(";2025K1;", ";2024K4;") for line in lines[1:]]
        return [lines[0], *older, *lines[1:]]

    path = variant(tmp_path, "two.csv", two_quarters)
    latest = imported(path)
    assert latest.attrs["time"] == "2025K1"
    assert "TID 2025K1: the latest of 2024K4, 2025K1" in latest.attrs["notes"]
    older = imported(path, year="2024K4")
    assert older["source"].iloc[0].startswith("Statistics Denmark, FOLK1A, 2024K4; imported "
                                              "from two.csv")


@pytest.mark.parametrize(("prefix", "what"), [
    ("Hele landet;0 år;",
     r"Hele landet, 0 år: 64,273 but the municipalities with Christiansø add up to 64,268"),
    ("København;Alder i alt;", r"København, Alder i alt: .* but its ages add up to"),
])
def test_totals_that_disagree(tmp_path: Path, prefix: str, what: str) -> None:
    def bump(lines: list[str]) -> list[str]:
        return [re.sub(r"\d+$", lambda m: str(int(m.group()) + 5), line)
                if line.startswith(prefix) else line for line in lines]

    path = variant(tmp_path, "bumped.csv", bump)
    with pytest.raises(DataValidationError,
                       match=rf"row {row_of(prefix)}, field 'INDHOLD': {what}"):
        imported(path)


@pytest.mark.parametrize(("edit", "what"), [
    (_replace(r"^København;(\d+) år;", r"København;\1 år;;"), "5 fields where the header"),
    (_replace("^OMRÅDE;ALDER", "OMRÅDE;KOMMUNE"), r"'ALDER': missing column\(s\) ALDER"),
    (_replace("^Ballerup;15 år;", "Ballerup;15-19 år;"), "spans several years"),
    (_drop("Ballerup;100 år og derover;"), r"Ballerup \(151\) has no row for age '100 år og"),
    (lambda ls: [*ls, ls[row_of("Dragør;3 år;") - 1]], r"Dragør, 3 år: given twice \(first"),
])
def test_other_malformed_exports(tmp_path: Path, edit: Callable[[list[str]], list[str]],
                                 what: str) -> None:
    with pytest.raises(DataValidationError, match=rf"statbank\.csv, row \d+, field .*{what}"):
        imported(variant(tmp_path, "statbank.csv", edit))


def test_warns_when_the_totals_are_another_quarter() -> None:
    """The fixture matches municipalities.csv; a København grown by 5 % is flagged."""
    munis = load_municipalities()
    assert imported(STATBANK).attrs["warnings"] == []
    munis.loc[munis["code"] == "101", "population"] *= 0.95
    got = to_age_groups(read_statbank(STATBANK), munis)
    assert len(got.attrs["warnings"]) == 1
    assert "by up to 5.3% (København)" in got.attrs["warnings"][0]
