"""One code name per Danish term (README, "Glossary"): identifiers, table columns and
kpis.json keys use the code name — borgerforløb ``cases``, specialfunktion ``designation``,
rådgivningsfunktion ``advisory``, tilbud ``provider``, handlekommune ``municipality`` —
and folders written with the earlier kpis.json keys still read, check and compare."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import write_tiny

from specialeplan.analyses.compare import KPIS, compare_folders
from specialeplan.analyses.rollout import TIMELINE_COLUMNS
from specialeplan.analyses.sweep_report import SUMMARY_ORDER
from specialeplan.analyses.vulnerability import COLUMNS as VULNERABILITY_COLUMNS
from specialeplan.analyses.vulnerability import DETAIL_COLUMNS
from specialeplan.api import run
from specialeplan.checker import check_results
from specialeplan.model.params import LEGACY_CRITERIA, ModelParams
from specialeplan.results.contract import KPI_ALIASES, RESULT_TABLES
from specialeplan.results.reading import read_kpis_object
from specialeplan.results.writer import write_results
from specialeplan.scenarios.schema import load_scenario

#: Danish words (folded to ASCII, lower case) that must not appear in a key or column name,
#: with the code name to use instead
SYNONYMS = {
    "borgerforl": "cases",  # borgerforløb, borgerforloeb
    "specialfunktion": "designation(s)",
    "raadgivning": "advisory",
    "radgivning": "advisory",  # rådgivning folded
    "tilbud": "provider",
    "kommune": "municipality",  # handlekommune, kommune
    "matrikel": "outreach",
    "naerhed": "near_family",
    "narhed": "near_family",  # nærhed folded
}


def _fold(name: str) -> str:
    """Lower case, ``æ``/``ø``/``å`` spelt out as in the old keys, other accents dropped."""
    low = name.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    return unicodedata.normalize("NFKD", low).encode("ascii", "ignore").decode()


def offenders(names: dict[str, str]) -> list[str]:
    """``where: name (use ...)`` for every name that holds a Danish synonym."""
    out = []
    for where, name in names.items():
        for word, code in SYNONYMS.items():
            if word in _fold(name):
                out.append(f"{where}: {name!r} (use the code name {code!r})")
    return out


def kpi_keys(obj: Any, path: str = "") -> dict[str, str]:
    """Every key of a kpis.json object, nested ones included (``where`` → key); the keys
    that are data (a function under ``per_function``, a region and function under
    ``regions``) are walked through, not scanned."""
    out: dict[str, str] = {}
    data_level = path in ("per_function", "cost_dkk.per_function", "regions") or (
        path.startswith("regions.") and path.count(".") == 1)
    if isinstance(obj, dict):
        for k, v in obj.items():
            where = f"{path}.{k}" if path else str(k)
            if not data_level:
                out[f"kpis.json: {where}"] = str(k)
            out.update(kpi_keys(v, where))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.update(kpi_keys(v, f"{path}[{i}]"))
    return out


def test_the_scan_names_the_offender() -> None:
    bad = offenders({"kpis.json: moved_borgerforloeb": "moved_borgerforloeb",
                     "timeline.csv": "raadgivningsfunktioner",
                     "x": "Specialfunktioner", "y": "near_family_cases"})
    assert len(bad) == 3
    assert "kpis.json: moved_borgerforloeb: 'moved_borgerforloeb' (use the code name " \
           "'cases')" in bad


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny line instance (tests/conftest.py) solved and written as a results folder."""
    tmp = tmp_path_factory.mktemp("names")
    resolved = load_scenario(write_tiny(tmp))
    return write_results(run(resolved), resolved, tmp / "out")


def test_kpis_and_result_headers_use_code_names(solved: Path) -> None:
    kpis = json.loads((solved / "kpis.json").read_text(encoding="utf-8"))
    names = kpi_keys(kpis)
    for path in sorted(solved.rglob("*.csv")):
        rel = path.relative_to(solved)
        for col in pd.read_csv(path, nrows=0).columns:
            names[f"{rel} column"] = col
    assert len(names) > 50
    bad = offenders(names)
    assert not bad, "Danish words in keys or columns:\n" + "\n".join(bad)


def test_declared_columns_use_code_names() -> None:
    """The tables of the analyses (timeline, sweep summary, compare KPIs, N-1) and the
    results contract, without solving anything."""
    names = {f"timeline.csv column {c}": c for c in TIMELINE_COLUMNS}
    names |= {f"summary.csv column {c}": c for c in SUMMARY_ORDER}
    names |= {f"compare KPI {c}": c for c in KPIS}
    names |= {f"vulnerability.csv column {c}": c for c in VULNERABILITY_COLUMNS}
    names |= {f"closure_details.csv column {c}": c for c in DETAIL_COLUMNS}
    for t in RESULT_TABLES.values():
        names |= {f"{t.file} column {c}": c for c in [*t.columns, *t.names]}
    bad = offenders(names)
    assert not bad, "Danish words in keys or columns:\n" + "\n".join(bad)


def _as_earlier_version(folder: Path) -> dict[str, Any]:
    """Rewrite ``folder/kpis.json`` with the keys an earlier version wrote; the new kpis."""
    path = folder / "kpis.json"
    new = json.loads(path.read_text(encoding="utf-8"))
    back = {v: k for k, v in KPI_ALIASES.items()}
    old = {back.get(k, k): v for k, v in new.items() if k != "per_function"}
    # before issue 22 the records per function were per speciale
    old["per_speciale"] = {s: {back.get(k, k): v for k, v in rec.items()}
                           for s, rec in new["per_function"].items()}
    old["cost_dkk"] = {("per_speciale" if k == "per_function" else k): v
                       for k, v in new["cost_dkk"].items()}
    path.write_text(json.dumps(old, indent=2), encoding="utf-8")
    return new


def test_a_folder_with_the_earlier_keys_still_reads_checks_and_compares(
        solved: Path, tmp_path: Path) -> None:
    import shutil

    old = tmp_path / "old"
    shutil.copytree(solved, old)
    new_kpis = _as_earlier_version(old)
    raw = json.loads((old / "kpis.json").read_text(encoding="utf-8"))
    assert "outreach_borgerforloeb" in raw and "specialfunktioner" in raw["per_speciale"]["A"]
    assert read_kpis_object(old) == new_kpis
    report = check_results(old)
    assert report.ok, report.to_text()
    comp = compare_folders(old, solved)
    k = comp.kpis.set_index("metric")
    for key in ("designations", "advisory_designations", "near_family_cases", "moved_cases"):
        assert k.loc[key, "a"] == k.loc[key, "b"] == pytest.approx(float(new_kpis[key]))


def test_a_broken_old_folder_is_still_caught(solved: Path, tmp_path: Path) -> None:
    """The alias is a rename, not a pass: an earlier key with a wrong value is reported under
    today's name."""
    import shutil

    old = tmp_path / "old"
    shutil.copytree(solved, old)
    _as_earlier_version(old)
    path = old / "kpis.json"
    kpis = json.loads(path.read_text(encoding="utf-8"))
    kpis["specialfunktioner"] += 1
    path.write_text(json.dumps(kpis), encoding="utf-8")
    report = check_results(old)
    assert not report.ok
    assert any("designations: kpis.json reports" in v.message for v in report.violations)


def test_limits_read_the_earlier_count_names() -> None:
    p = ModelParams(limits={"specialfunktioner": 3, "raadgivningsfunktioner": 1, "travel": 9})
    assert p.limits == {"designations": 3, "advisory_designations": 1, "travel": 9}
    assert set(LEGACY_CRITERIA.values()) <= set(KPI_ALIASES.values())
    with pytest.raises(ValueError, match="limited twice"):
        ModelParams(limits={"specialfunktioner": 3, "designations": 2})


def test_pareto_reads_the_earlier_kpi_names() -> None:
    from specialeplan.analyses.sweep import _check_pareto

    assert _check_pareto(("specialfunktioner", "moved_borgerforloeb")) == (
        "designations", "moved_cases")
