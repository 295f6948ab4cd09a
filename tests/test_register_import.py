"""``specialeplan data import-register``: a register extract → providers.csv, competence.csv.

The fixture ``tests/fixtures/register_extract_small.csv`` holds 13 MADE-UP tilbud (names,
addresses and numbers are invented), one or more per rule of docs/provider-register.md:
T001 a children's place (the adults' autism function left out), T002 both age groups and a
combination of målgrupper, T003 an outreach team with a dual diagnosis, T004 place and
outreach (both) whose target group comes from the paragraphs, T005 a law name written out
and a 4-digit/English spelling of the kommune, T006 and T007 no function (reported), T008 a
paragraph with stk./nr., T009 paragraphs separated by '|', T010 an age range across 18,
T011 children's outreach, T012 age range and paragraph disagreeing, T013 an advisory
capacity left empty. The outputs are checked as files, not through the Instance.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from specialeplan.cli import app
from specialeplan.data.register_import import (
    import_register,
    load_mapping,
    summary_lines,
)
from specialeplan.errors import DataValidationError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXTRACT = FIXTURES / "register_extract_small.csv"
runner = CliRunner()


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _import(extract: Path, out: Path, *extra: str) -> object:
    return runner.invoke(app, ["data", "import-register", str(extract), "--out", str(out),
                               *extra])


def test_the_fixture_reproduces_both_expected_files(tmp_path: Path) -> None:
    out = tmp_path / "mydata"
    result = _import(EXTRACT, out)
    assert result.exit_code == 0, result.output
    assert _read(out / "providers.csv") == _read(FIXTURES / "register_expected_providers.csv")
    assert _read(out / "competence.csv") == _read(FIXTURES / "register_expected_competence.csv")
    assert sorted(p.name for p in out.iterdir()) == ["competence.csv", "providers.csv"]
    assert "comma-separated" in result.output
    assert "by owner: municipal 4, private 7, regional 2" in result.output
    assert "by kind: both 2, outreach 3, residential 8" in result.output
    assert "by target_groups: adults 7, all 2, children 4" in result.output
    assert "  misbrug: 2" in result.output
    assert "T006 Eksempelteam Nordlys" in result.output  # no function
    assert "T007 spiseforstyrrelser" in result.output  # a children's function at adults'


def test_the_rules_on_the_fixture() -> None:
    """A few rows read one by one, so that a wrong expected file cannot hide a wrong rule."""
    res = import_register(EXTRACT)
    prov = res.providers.set_index("provider_id")
    comp = res.competence.groupby("provider_id")["function"].apply(set)
    assert prov.loc["T001", ["owner", "kind", "target_groups"]].tolist() == [
        "municipal", "residential", "children"]
    assert comp["T001"] == {"autisme_kommunikation_born"}
    assert comp["T002"] == {"autisme_kommunikation_born", "autisme_kommunikation_voksne",
                            "spiseforstyrrelser", "autisme_spiseforstyrrelse"}
    assert prov.loc["T003", "kind"] == "outreach"  # § 101 and matrikelløs
    assert comp["T003"] == {"misbrug", "svaer_sindslidelse", "misbrug_psykiske_vanskeligheder"}
    assert prov.loc["T004", ["municipality_code", "owner", "owner_detail", "kind",
                             "target_groups"]].tolist() == [
        "461", "private", "selvejende", "both", "adults"]
    assert prov.loc["T005", "municipality_code"] == "751"  # "Århus Kommune"
    assert prov.loc["T008", ["owner", "kind", "target_groups"]].tolist() == [
        "municipal", "residential", "children"]  # driftsoverenskomst; § 66, stk. 1, nr. 6
    assert prov.loc["T011", ["kind", "target_groups"]].tolist() == ["outreach", "children"]
    assert prov.loc["T002", "advisory_capacity"] == "300"
    assert prov.loc["T001", "advisory_capacity"] == ""
    # T004 (adults) lists udviklingshæmning and epilepsi, all-ages functions of the bundled
    # taxonomy that only a tilbud serving all may hold; T009 (children) likewise
    assert res.unmapped == ("T004", "T006", "T007", "T009", "T012")
    assert ("T004", "udviklingshaemning") in res.dropped
    assert res.mismatched == ("T012",)
    assert set(res.competence["max_cases"]) <= set(res.providers["capacity"])
    zero = ["current_cases", "designated_today", "designation_cost", "advisory_cost",
            "advisory_today"]
    assert (res.competence[zero] == 0).all().all()


def test_a_semicolon_extract_gives_the_same_files(tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(_read(EXTRACT))))
    buf = io.StringIO()
    # lists inside a cell with '|', as a semicolon export would write them
    csv.writer(buf, delimiter=";", lineterminator="\n").writerows(
        [[c.replace(";", "|") for c in r] for r in rows])
    extract = tmp_path / "extract_semicolon.csv"
    extract.write_text("\ufeff" + buf.getvalue(), encoding="utf-8")  # Excel's BOM
    result = _import(extract, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "semicolon-separated" in result.output
    assert _read(tmp_path / "out" / "providers.csv") == _read(
        FIXTURES / "register_expected_providers.csv")
    assert _read(tmp_path / "out" / "competence.csv") == _read(
        FIXTURES / "register_expected_competence.csv")


def _with(tmp_path: Path, tilbud: str, field: str, value: str) -> Path:
    """The fixture with one cell changed (``tilbud`` T001..T013)."""
    rows = list(csv.DictReader(io.StringIO(_read(EXTRACT))))
    for r in rows:
        if r["tilbud_id"] == tilbud:
            r[field] = value
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


BAD = [  # (tilbud, field, value, Excel row, words of the message)
    ("T003", "maalgrupper", "Stofmisbrug;Autismespektrun", 4,
     ["unknown målgruppe 'Autismespektrun'", "Did you mean 'Autismespektrum'"]),
    ("T004", "paragraffer", "SEL § 108;SEL § 999", 5, ["unknown paragraph 'SEL § 999'"]),
    ("T005", "kommune", "Københaven", 6,
     ["unknown kommune 'Københaven'", "Did you mean 'København'"]),
    ("T006", "kommune", "0999", 7, ["unknown kommune '0999'"]),
    ("T007", "pladser", "otte", 8, ["pladser must be a whole number", "'otte'"]),
    ("T008", "tilbud_id", "T001", 9, ["duplicate tilbud_id 'T001' (first in row 2)"]),
    ("T009", "ejerform", "Privatt", 10, ["unknown ejerform 'Privatt'", "Did you mean"]),
    ("T010", "matrikelloes", "måske", 11, ["matrikelloes must be ja or nej"]),
]


@pytest.mark.parametrize(("tilbud", "field", "value", "row", "words"), BAD,
                         ids=[f"{b[1]}={b[2]}" for b in BAD])
def test_bad_input_names_file_row_and_field_and_writes_nothing(
        tmp_path: Path, tilbud: str, field: str, value: str, row: int,
        words: list[str]) -> None:
    bad = _with(tmp_path, tilbud, field, value)
    with pytest.raises(DataValidationError) as info:
        import_register(bad)
    assert (info.value.file, info.value.row, info.value.field) == (str(bad), row, field)
    out = tmp_path / "out"
    result = _import(bad, out)
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert f"file {bad}, row {row}, field '{field}'" in message
    for word in words:
        assert word in message
    assert not out.exists()  # nothing written, not even the folder


def test_no_paragraph_and_not_outreach_is_an_error(tmp_path: Path) -> None:
    bad = _with(tmp_path, "T012", "paragraffer", "")
    with pytest.raises(DataValidationError, match="place or an outreach team") as info:
        import_register(bad)
    assert (info.value.row, info.value.field) == (13, "paragraffer")


def test_missing_column_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(_read(EXTRACT).replace(",pladser,", ",places,", 1), encoding="utf-8")
    with pytest.raises(DataValidationError, match="missing column") as info:
        import_register(bad)
    assert (info.value.row, info.value.field) == (1, "pladser")


def test_existing_files_and_the_bundled_dataset_are_not_overwritten(tmp_path: Path) -> None:
    from specialeplan.data.loader import bundled_dir

    out = tmp_path / "mydata"
    out.mkdir()
    (out / "providers.csv").write_text("mine\n", encoding="utf-8")
    result = _import(EXTRACT, out)
    assert result.exit_code == 2
    assert "--overwrite" in result.output
    assert _read(out / "providers.csv") == "mine\n"
    assert not (out / "competence.csv").exists()
    assert _import(EXTRACT, out, "--overwrite").exit_code == 0
    assert _read(out / "providers.csv") == _read(FIXTURES / "register_expected_providers.csv")
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # no temp files

    before = _read(bundled_dir() / "providers.csv")
    result = _import(EXTRACT, bundled_dir(), "--overwrite")
    assert result.exit_code == 2
    assert "bundled synthetic dataset" in result.output
    assert _read(bundled_dir() / "providers.csv") == before
    # --out is required: no default that could land on the bundled data
    assert runner.invoke(app, ["data", "import-register", str(EXTRACT)]).exit_code == 2


def test_own_mapping_folder_extends_the_bundled_one(tmp_path: Path) -> None:
    """A planner's maalgrupper.csv that maps one more text; the other tables stay bundled."""
    from specialeplan.data.register_import import bundled_mapping_dir

    mapping = tmp_path / "mapping"
    mapping.mkdir()
    bundled = _read(bundled_mapping_dir() / "maalgrupper.csv")
    row = next(line for line in bundled.splitlines() if line.startswith("Depression,"))
    own = bundled.replace(row, "Depression,svaer_sindslidelse,,severe depression in adults")
    (mapping / "maalgrupper.csv").write_text(own, encoding="utf-8")
    tables = load_mapping(mapping)
    assert tables.files["maalgrupper"] == str(mapping / "maalgrupper.csv")
    assert tables.files["paragraffer"] == str(bundled_mapping_dir() / "paragraffer.csv")
    res = import_register(EXTRACT, tables)
    # T006 (Angst; Depression; adults) now maps
    assert res.unmapped == ("T004", "T007", "T009", "T012")
    t006 = res.competence[res.competence["provider_id"] == "T006"]
    assert t006["function"].tolist() == ["svaer_sindslidelse"]
    (mapping / "maalgrupper.csv").write_text(bundled + "Angst,,,twice\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="listed twice") as info:
        load_mapping(mapping)
    assert info.value.field == "text"


def test_mapping_tables_are_checked(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping"
    mapping.mkdir()
    (mapping / "maalgrupper.csv").write_text(
        "text,functions,target_group,note\nAutisme,autisme_born,,typo\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="unknown function 'autisme_born'") as info:
        load_mapping(mapping)
    assert (info.value.row, info.value.field) == (2, "functions")
    (mapping / "maalgrupper.csv").write_text(
        "text,functions,target_group,note\nAutisme + Spiseforstyrrelse,"
        "autisme_spiseforstyrrelse,,no parts\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="not a text of its own row"):
        load_mapping(mapping)


def test_bundled_mapping_covers_every_function_once() -> None:
    mapping = load_mapping()
    assert len(mapping.functions) == 22
    used = {f for funcs, _ in mapping.needs.values() for f in funcs}
    used |= {f for _, funcs, _ in mapping.combinations for f in funcs}
    assert used == set(mapping.functions)  # every function is reachable from some text
    lines = summary_lines(import_register(EXTRACT))
    assert lines[-1].startswith("designation_cost and advisory_cost are 0")

