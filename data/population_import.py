"""Statistics Denmark's population by age (StatBank FOLK1A) → ``population_by_age.csv``.

The StatBank (statistikbanken.dk, api.statbank.dk) exports a table as a semicolon-separated
CSV, one row per combination of the chosen values and the figure last::

    OMRÅDE;ALDER;TID;INDHOLD
    Hele landet;Alder i alt;2025K1;5992734
    Hele landet;0 år;2025K1;57125
    ...
    København;100 år og derover;2025K1;61

:func:`read_statbank` reads such a file (UTF-8 with or without BOM, or the Windows-1252
download; Danish or English headers and labels; an area by name, code or "code name") and
:func:`to_age_groups` checks it against a dataset's municipalities and sums the single ages
into the groups of :data:`~specialeplan.model.instance.AGE_GROUPS`. The national total
("Hele landet"), the regions and Christiansø (411, not a municipality) are skipped; the
national total and the "Alder i alt" rows cross-check the sums. Every problem is a
:class:`~specialeplan.errors.DataValidationError` naming the file, the row (header = row 1)
and the column. :func:`write_population_by_age` writes the result into a dataset folder.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from specialeplan.data.loader import POPULATION_BY_AGE_FILE
from specialeplan.data.names import name_keys
from specialeplan.errors import DataValidationError, ResultsNotWritten, did_you_mean
from specialeplan.model.instance import AGE_GROUPS

#: column role → the headers the StatBank gives it (Danish first, then English)
HEADERS: dict[str, tuple[str, ...]] = {
    "area": ("OMRÅDE", "REGION", "AREA"),
    "age": ("ALDER", "AGE"),
    "time": ("TID", "TIME"),
    "value": ("INDHOLD", "VALUE"),
}
#: the first age of the second group of AGE_GROUPS (adults)
ADULT_AGE = 18
NATIONAL_CODE = "000"
REGION_CODES = frozenset({"081", "082", "083", "084", "085"})
CHRISTIANSOE = "411"
#: Christiansø's residents (about 90): the most the national total may exceed the
#: municipalities by when the file leaves Christiansø out
CHRISTIANSOE_MAX = 200
#: relative difference from municipalities.csv's population above which the import warns
POPULATION_TOLERANCE = 0.005
# totals of a dimension (KØN, ALDER, ...), compared casefolded
_TOTALS = frozenset({"i alt", "ialt", "tot", "total", "in total", "alder i alt", "age, total",
                     "age total", "all ages"})
_NATIONAL = frozenset({"hele landet", "all denmark"})
_CODED = re.compile(r"(\d{1,3})(?:\s+(\S.*))?")
_SINGLE = re.compile(r"(\d{1,3})(?:\s*(?:år|years?))?")
_OPEN = re.compile(r"(\d{1,3})\s*(?:år og derover|år og over|years and over|years or over|"
                   r"and over|\+|ov|-)")
_RANGE = re.compile(r"(\d{1,3})\s*-\s*(\d{1,3})(?:\s*(?:år|years?))?")
# builds the error for (message, row, column role) with the file and the file's header
_Error = Callable[[str, Any, str], DataValidationError]


def read_statbank(path: Path | str) -> pd.DataFrame:
    """A StatBank CSV export as text: columns ``area``, ``age``, ``time``, ``value``, any
    further dimension under its own header (e.g. ``KØN``) and ``row`` (the row as Excel
    shows it). ``.attrs`` holds ``file``, ``columns`` (role → the file's header) and
    ``extra`` (the further dimensions), which :func:`to_age_groups` names in its messages.

    Raises :class:`DataValidationError` for a file that cannot be read, is not
    semicolon-separated, lacks a column or has a row of the wrong length.
    """
    path = Path(path)
    file = str(path)
    text = _decode(path, file)
    first = text.splitlines()[0] if text.strip() else ""
    if not first.strip():
        raise DataValidationError("file is empty (no header row)", file=file, row=1)
    if ";" not in first:
        sep = "commas" if "," in first else "tabs" if "\t" in first else "no separator"
        raise DataValidationError(
            f"not semicolon-separated: the header row (with {sep}) reads as this one field; "
            "download the table from the StatBank as 'CSV (semikolonsepareret)'",
            file=file, row=1, field=first.strip())
    reader = csv.reader(io.StringIO(text), delimiter=";")
    header = [h.strip() for h in next(reader)]
    upper = [h.upper() for h in header]
    roles = {role: header[upper.index(n)] for role, names in HEADERS.items()
             for n in reversed(names) if n in upper}
    missing = [names[0] for role, names in HEADERS.items() if role not in roles]
    if missing:
        raise DataValidationError(
            f"missing column(s) {', '.join(missing)}; the header row has {header}. Export "
            "FOLK1A by area and age: OMRÅDE;ALDER;TID;INDHOLD (English REGION;AGE;TIME;"
            "INDHOLD)", file=file, row=1, field=missing[0])
    if len(set(upper)) < len(upper):
        twice = next(h for h in header if upper.count(h.upper()) > 1)
        raise DataValidationError("column named twice in the header row", file=file, row=1,
                                  field=twice)
    records, rows = [], []
    for fields in reader:
        if not any(f.strip() for f in fields):
            continue  # blank line (e.g. at the end of a download)
        if len(fields) != len(header):
            raise DataValidationError(
                f"{len(fields)} fields where the header row has {len(header)} (is a value "
                "written with a ';'?)", file=file, row=reader.line_num,
                field=header[min(len(fields), len(header) - 1)])
        records.append([f.strip() for f in fields])
        rows.append(reader.line_num)
    if not records:
        raise DataValidationError("no data rows (only a header)", file=file, row=2)
    df = pd.DataFrame(records, columns=header).rename(
        columns={name: role for role, name in roles.items()})
    df["row"] = rows
    df.attrs = {"file": file, "columns": roles,
                "extra": [h for h in header if h not in roles.values()]}
    return df


def _decode(path: Path, file: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataValidationError(f"cannot read file: {exc.strerror or exc}", file=file) from exc
    try:
        return raw.decode("utf-8-sig")  # the API's export, with or without BOM
    except UnicodeDecodeError:
        pass
    try:  # statistikbanken.dk's download is Windows-1252
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def to_age_groups(df: pd.DataFrame, municipalities: pd.DataFrame,
                  year: str | None = None) -> pd.DataFrame:
    """Persons per municipality and age group from a :func:`read_statbank` table.

    ``year`` is the TID to use (e.g. ``2025K1``; ``2025Q1`` is the same quarter), by default
    the latest in the file. Returns ``code, age_group, persons, source`` in the order of
    ``municipalities`` (``0-17`` before ``18+``); ``.attrs`` holds ``time`` (the TID used),
    ``source`` (the attribution), ``notes`` (what was chosen or skipped, to show) and
    ``warnings`` (totals unlike the ``population`` of ``municipalities``: another quarter).

    Raises :class:`DataValidationError` naming the file, row and column for: a further
    dimension without its total (KØN without "I alt" would count persons twice), a TID not
    in the file, an area that is no municipality of ``municipalities``, an age that is not a
    single year, a value that is not a whole number >= 0 (".." is the StatBank's mark for
    a missing figure), a row given twice, a municipality or an age missing, and totals
    ("Hele landet", "Alder i alt") that disagree with the sum of their parts.
    """
    file = str(df.attrs.get("file", "StatBank table"))
    col = {role: names[0] for role, names in HEADERS.items()} | df.attrs.get("columns", {})
    notes: list[str] = []

    def error(message: str, row: Any, role: str) -> DataValidationError:
        return DataValidationError(message, file=file, row=int(row),
                                   field=col.get(role, role))

    for name in df.attrs.get("extra", []):
        total = df[name].map(lambda v: str(v).strip().casefold() in _TOTALS)
        if not total.any():
            shown = ", ".join(repr(v) for v in list(dict.fromkeys(df[name]))[:4])
            raise DataValidationError(
                f"{name} has no total ('I alt' or 'Total'), only {shown}: added up they "
                f"would count persons twice, and one alone is part of the population; "
                f"select {name} = I alt in the StatBank or leave {name} out", file=file,
                row=int(df["row"].iloc[0]), field=name)
        if not total.all():
            notes.append(f"{name}: used the total {df.loc[total, name].iloc[0]!r} only")
        df = df[total]

    chosen = _choose_time(df, year, error, col["time"])
    times = sorted(dict.fromkeys(df["time"]), key=_period_key)
    if year is None and len(times) > 1:
        notes.append(f"{col['time']} {chosen}: the latest of {', '.join(times)}")
    df = df[df["time"] == chosen].copy()

    df = _classify_areas(df, municipalities, error)
    if (df["kind"] == "christiansoe").any():
        notes.append(f"Christiansø ({CHRISTIANSOE}) ignored: not a municipality (it counts "
                     "only in the national cross-check)")
    df = df[df["kind"] != "region"].copy()
    _classify_ages(df, error)
    _check_values(df, error)
    key = ["kind", "code", "age"]
    again = df.duplicated(key)
    if again.any():
        r = df.loc[again].iloc[0]
        first = df.loc[(df[key] == r[key]).all(axis=1), "row"].iloc[0]
        raise error(f"{r['area']}, {r['age']}: given twice (first at row {first})", r["row"],
                    "age")
    muni = df[df["kind"] == "municipality"]
    top = _age_structure(df, error)
    _check_complete(muni, municipalities, top, chosen, error)
    _cross_check(df, error)

    ages = muni.loc[~muni["total"]]
    group = np.where(ages["lo"] < ADULT_AGE, AGE_GROUPS[0], AGE_GROUPS[1])
    sums = ages.assign(age_group=group).groupby(["code", "age_group"])["persons"].sum()
    codes = municipalities["code"].astype(str).tolist()
    index = pd.MultiIndex.from_product([codes, list(AGE_GROUPS)], names=["code", "age_group"])
    table = "FOLK1AM" if re.fullmatch(r"\d{4}M\d{2}", chosen) else "FOLK1A"
    source = (f"Statistics Denmark, {table}, {chosen}; imported from {Path(file).name} by "
              "specialeplan data import-population")
    out = sums.reindex(index).astype("int64").rename("persons").reset_index()
    out["source"] = source
    out.attrs = {"time": chosen, "source": source, "notes": notes,
                 "warnings": _population_differs(out, municipalities)}
    return out


def _population_differs(out: pd.DataFrame, munis: pd.DataFrame) -> list[str]:
    """A warning when the imported totals are not the ``population`` of municipalities.csv
    (another quarter): a group's share is taken against that population, so mixing years
    tilts the shares of the municipalities that grew."""
    pop = pd.Series(munis["population"].astype(float).to_numpy(),
                    index=munis["code"].astype(str))
    if not (pop > 0).all():
        return []
    off = (out.groupby("code")["persons"].sum().reindex(pop.index) / pop - 1).abs()
    if off.max() <= POPULATION_TOLERANCE:
        return []
    worst = munis["name"].iloc[int(np.argmax(off.to_numpy()))]
    return [f"the persons imported differ from the population of municipalities.csv by up "
            f"to {off.max():.1%} ({worst}); shares of 0-17 and 18+ are taken against that "
            "population, so import the quarter it counts (2020K1 for the bundled data) or "
            "update its population column"]


def _period_key(time: str) -> tuple[tuple[int, ...], str]:
    """2024K4 < 2025K1 (numbers compared as numbers, then the text)."""
    return tuple(int(n) for n in re.findall(r"\d+", time)), time


def _choose_time(df: pd.DataFrame, year: str | None, error: _Error, name: str) -> str:
    times = sorted(dict.fromkeys(df["time"]), key=_period_key)
    if year is None:
        return times[-1]
    same = [t for t in times if _same_period(t, year)]
    if not same:
        raise error(f"{name} {year!r} is not in the file; it has {', '.join(times)}",
                    df["row"].iloc[0], "time")
    return same[0]


def _same_period(a: str, b: str) -> bool:
    """2025K1 (Danish) and 2025Q1 (English) are the same quarter."""
    def norm(t: str) -> str:
        return t.strip().casefold().replace("q", "k")
    return norm(a) == norm(b)


def _is_aggregate(label: str) -> bool:
    """A region or landsdel (Danish or English label), not a municipality."""
    return any("region" in k.split() or k.startswith(("landsdel ", "province "))
               for k in name_keys(label))


def _classify_areas(df: pd.DataFrame, munis: pd.DataFrame, error: _Error) -> pd.DataFrame:
    """Columns ``kind`` (municipality, national, region or christiansoe) and ``code``."""
    codes = set(munis["code"].astype(str))
    lookup: dict[str, str] = {}
    for column in ("name", "name_en"):
        if column in munis.columns:
            for code, name in zip(munis["code"].astype(str), munis[column], strict=True):
                for key in name_keys(name):
                    lookup.setdefault(key, code)
    found: dict[str, tuple[str, str]] = {}
    for label in dict.fromkeys(df["area"]):
        coded = _CODED.fullmatch(label)
        name = coded.group(2) if coded else label
        code = coded.group(1).zfill(3) if coded else None
        keys = name_keys(name) if name and code is None else set()  # a code decides alone
        if code == NATIONAL_CODE or keys & _NATIONAL:
            found[label] = ("national", NATIONAL_CODE)
        elif code in REGION_CODES or (name and _is_aggregate(name)):
            found[label] = ("region", "")
        elif code == CHRISTIANSOE or keys & {"christiansoe", "christianso"}:
            found[label] = ("christiansoe", CHRISTIANSOE)
        elif code is not None and code in codes:
            found[label] = ("municipality", code)
        elif code is None and keys & lookup.keys():
            found[label] = ("municipality", lookup[sorted(keys & lookup.keys())[0]])
        else:
            row = df.loc[df["area"] == label, "row"].iloc[0]
            what = (f"unknown municipality code {code!r} (not in municipalities.csv)"
                    if code is not None else
                    f"unknown municipality {label!r}.{did_you_mean(label, munis['name'])} "
                    "Name it as municipalities.csv does (e.g. København) or by its code (101)")
            raise error(what, row, "area")
    df["kind"] = df["area"].map(lambda a: found[a][0])
    df["code"] = df["area"].map(lambda a: found[a][1])
    return df


def _age_span(label: str) -> tuple[int, int | None] | None:
    """(first, last) year of an age label; last None for 'N år og derover'; None for the
    total. Raises ValueError with the reason for anything else."""
    text = " ".join(label.casefold().split())
    if text in _TOTALS:
        return None
    if m := _SINGLE.fullmatch(text):
        return int(m.group(1)), int(m.group(1))
    if m := _OPEN.fullmatch(text):
        return int(m.group(1)), None
    if _RANGE.fullmatch(text):
        raise ValueError(f"age group {label!r} spans several years and cannot be split at "
                         f"{ADULT_AGE}; select every single age (ALDER = 0 år, 1 år, …)")
    raise ValueError(f"unknown age {label!r}; expected '0 år' … '99 år', "
                     "'100 år og derover' or 'Alder i alt' (English '0 years', …)")


def _classify_ages(df: pd.DataFrame, error: _Error) -> None:
    """Columns ``lo``, ``hi`` (-1: open upwards) and ``total`` from the age labels."""
    spans: dict[str, tuple[int, int] | None] = {}
    for label in dict.fromkeys(df["age"]):
        try:
            span = _age_span(label)
        except ValueError as exc:
            row = df.loc[df["age"] == label, "row"].iloc[0]
            raise error(str(exc), row, "age") from None
        spans[label] = None if span is None else (span[0], -1 if span[1] is None else span[1])
    df["total"] = df["age"].map(lambda a: spans[a] is None)
    df["lo"] = df["age"].map(lambda a: -1 if spans[a] is None else spans[a][0])
    df["hi"] = df["age"].map(lambda a: -1 if spans[a] is None else spans[a][1])


def _check_values(df: pd.DataFrame, error: _Error) -> None:
    """Whole numbers of persons >= 0 in column ``persons``."""
    num = pd.to_numeric(df["value"], errors="coerce")
    arr = num.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(arr) | (arr < 0) | (arr != np.floor(arr))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        value = df["value"].iloc[i]
        why = (" ('..' is the StatBank's mark for a missing or confidential figure; choose "
               "another TID or a table without gaps)" if value.strip() == ".." else "")
        raise error(f"expected a whole number of persons >= 0, got {value!r}{why}",
                    df["row"].iloc[i], "value")
    df["persons"] = arr.astype("int64")


def _age_structure(df: pd.DataFrame, error: _Error) -> int:
    """The first age of the open top group (or one past the oldest single age): single ages
    0 … top-1 and then 'top år og derover', or single ages to at least 100 (FOLK1A has
    0 … 125)."""
    ages = df.loc[~df["total"]]
    if ages.empty:
        raise error("only totals ('Alder i alt'), no single ages: select every age in ALDER "
                    "(0 år … 100 år og derover)", df["row"].iloc[0], "age")
    opens = ages.loc[ages["hi"] == -1].drop_duplicates("age")
    if len(opens) > 1:
        raise error(f"two open age groups ({', '.join(map(repr, opens['age']))})",
                    opens["row"].iloc[1], "age")
    if len(opens):
        top = int(opens["lo"].iloc[0])
        if top < ADULT_AGE:
            raise error(f"age group {opens['age'].iloc[0]!r} cannot be split at {ADULT_AGE}",
                        opens["row"].iloc[0], "age")
        inside = ages.loc[(ages["hi"] != -1) & (ages["lo"] >= top)]
        if len(inside):
            raise error(f"age {inside['age'].iloc[0]!r} is also counted in "
                        f"{opens['age'].iloc[0]!r}", inside["row"].iloc[0], "age")
        return top
    oldest = ages.loc[ages["lo"] == ages["lo"].max()].iloc[0]
    if oldest["lo"] < 100:
        raise error(f"the ages stop at {oldest['age']!r}: the oldest are missing; include "
                    "'100 år og derover' (or every age to 125)", oldest["row"], "age")
    return int(oldest["lo"]) + 1


def _check_complete(muni: pd.DataFrame, munis: pd.DataFrame, top: int, time: str,
                    error: _Error) -> None:
    """Every municipality of ``munis`` with every age 0 … top-1 and the open group (if the
    file has one). A missing row is reported at the row where it belongs."""
    names = dict(zip(munis["code"].astype(str), munis["name"], strict=True))
    ages = muni.loc[~muni["total"]]
    has_open = bool((ages["hi"] == -1).any())
    expected = set(range(top)) | ({top} if has_open else set())
    previous = None  # the last municipality (in the order of munis) that has rows
    for code, name in names.items():
        rows = ages.loc[ages["code"] == code].sort_values("row")
        if rows.empty:
            row = int(ages.loc[ages["code"] == previous, "row"].max()) + 1 if previous else 2
            where = f" (it would follow {names[previous]})" if previous else ""
            raise error(f"municipality {name} ({code}) has no rows for {time}{where}: every "
                        f"municipality of municipalities.csv must be there "
                        f"({ages['code'].nunique()} of {len(names)} are)", row, "area")
        previous = code
        missing = sorted(expected - set(rows["lo"]))
        if missing:
            age = missing[0]
            before = rows.loc[rows["lo"] < age, "row"]
            row = int(before.iloc[-1]) + 1 if len(before) else int(rows["row"].iloc[0])
            label = f"{age} år og derover" if has_open and age == top else f"{age} år"
            raise error(f"{rows['area'].iloc[0]} ({code}) has no row for age {label!r}"
                        + (f" ({len(missing)} ages missing)" if len(missing) > 1 else ""),
                        row, "age")


def _cross_check(df: pd.DataFrame, error: _Error) -> None:
    """Each 'Alder i alt' row equals its area's ages, and each row of 'Hele landet' the
    municipalities' (with Christiansø when the file has it). A municipality's own total is
    checked first: it names the municipality whose figures are wrong."""
    ages = df.loc[~df["total"]]
    local = ages.loc[ages["kind"].isin(["municipality", "christiansoe"])]
    with_chr = bool((local["kind"] == "christiansoe").any())
    per_area = ages.groupby(["kind", "code"])["persons"].sum()
    by_age = local.groupby("age")["persons"].sum()
    national = df["kind"] == "national"
    checked = pd.concat([df.loc[df["total"] & ~national], df.loc[~df["total"] & national],
                         df.loc[df["total"] & national]])
    for _, r in checked.iterrows():
        if r["kind"] != "national":
            parts, whose = int(per_area.get((r["kind"], r["code"]), 0)), "its ages"
        else:
            parts = int(local["persons"].sum() if r["total"] else by_age.get(r["age"], 0))
            whose = "the municipalities" + (" with Christiansø" if with_chr else "")
        gap = r["persons"] - parts
        # without Christiansø (about 90 residents) the country may have a few more
        if gap != 0 and not (r["kind"] == "national" and not with_chr
                             and 0 <= gap <= CHRISTIANSOE_MAX):
            raise error(f"{r['area']}, {r['age']}: {r['persons']:,} but {whose} add up to "
                        f"{parts:,}", r["row"], "value")


def write_population_by_age(table: pd.DataFrame, directory: Path | str) -> Path:
    """Write ``table`` as ``population_by_age.csv`` in ``directory`` all at once (a temporary
    file renamed over the old one, so a failed write leaves the old file as it was).

    Raises :class:`ResultsNotWritten` when the folder cannot be written.
    """
    target = Path(directory) / POPULATION_BY_AGE_FILE
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".population_by_age.", suffix=".tmp",
                                   dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            table.to_csv(fh, index=False, lineterminator="\n")
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise ResultsNotWritten(f"could not write {target}: {exc.strerror or exc}") from exc
    return target
