"""Import a provider register extract (Tilbudsportalen style) into ``providers.csv`` and
``competence.csv``.

The extract is a CSV (comma- or semicolon-separated, detected from the header; UTF-8, with or
without Excel's BOM) with one row per tilbud and the columns ``tilbud_id, navn, adresse,
kommune, ejerform, maalgrupper, paragraffer, pladser, matrikelloes`` (optional:
``advisory_capacity``). Lists inside a cell (``maalgrupper``, ``paragraffer``) are separated by
``;`` or ``|``. The register's words are translated by the mapping tables of
``data/register_mapping/`` (a planner may pass a folder with their own, file by file):

=================== ============================================================
``maalgrupper.csv`` målgruppe text → function id(s) and/or target group
``paragraffer.csv`` paragraph → ``residential``/``outreach`` and target group
``ejerform.csv``    ejerform → owner (``municipal``/``regional``/``private``) and detail
``functions.csv``   function id → target group (``children``/``adults``/``all``)
=================== ============================================================

Rules (each with its reason in ``docs/provider-register.md``):

* ``owner`` and ``owner_detail`` from ``ejerform``.
* ``kind``: a residential paragraph gives a place, an outreach paragraph or
  ``matrikelloes = ja`` an outreach team; both give ``both``.
* ``target_groups``: the age ranges (``Alder 0-17``, ``Alder 18+``) and target-group texts of
  ``maalgrupper`` when there are any, else the paragraphs' target groups, else ``all``.
* ``capacity`` = ``pladser``; ``advisory_capacity`` empty (unlimited) unless the extract gives it.
* One competence row per (provider, function) that a målgruppe text (or a combination of
  texts, ``A + B``) maps to and whose target group the provider serves; ``max_cases`` =
  ``pladser``, caseload, designations and costs 0 (to be filled in).

Every problem raises :class:`DataValidationError` naming the file, the row (header = row 1)
and the field; nothing is written before the whole extract has been read.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from specialeplan.data.loader import bundled_dir
from specialeplan.errors import DataValidationError, did_you_mean
from specialeplan.model.instance import serves_group

__all__ = ["COMPETENCE_COLUMNS", "PROVIDER_COLUMNS", "REGISTER_COLUMNS", "RegisterImport",
           "RegisterMapping", "bundled_mapping_dir", "import_register", "load_mapping",
           "summary_lines", "write_import"]

REGISTER_COLUMNS = ("tilbud_id", "navn", "adresse", "kommune", "ejerform", "maalgrupper",
                    "paragraffer", "pladser", "matrikelloes")
PROVIDER_COLUMNS = ("provider_id", "name", "municipality_code", "owner", "kind", "capacity",
                    "advisory_capacity", "target_groups", "owner_detail", "address",
                    "paragraphs", "needs")
COMPETENCE_COLUMNS = ("provider_id", "function", "max_cases", "current_cases",
                      "designated_today", "designation_cost", "advisory_cost", "advisory_today")
OWNERS = ("municipal", "regional", "private")
DELIVERIES = ("residential", "outreach")
GROUPS = ("children", "adults", "all")
ADULT_AGE = 18
# yes/no of ``matrikelloes``; an empty cell is "nej"
_YES, _NO = {"ja", "j", "yes", "1"}, {"nej", "n", "no", "0", ""}
_LIST_SPLIT = re.compile(r"[;|]")
_AGE_RANGE = re.compile(r"(?:alder\s*:?\s*)?(\d+)\s*(?:-|–|til)\s*(\d+)(?:\s*år)?")
_AGE_FROM = re.compile(r"(?:alder\s*:?\s*)?(\d+)\s*\+(?:\s*år)?")
# law names written out in full → the short form the mapping uses
_LAWS = {"serviceloven": "sel", "lov om social service": "sel", "sundhedsloven": "sul"}
_SPELLED = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})


def bundled_mapping_dir() -> Path:
    """Folder of the bundled mapping tables (package data)."""
    return Path(__file__).resolve().parent / "register_mapping"


def _norm(text: str) -> str:
    """Comparable form of a register text: NFC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


def _paragraph_key(text: str) -> str:
    """``Serviceloven §107`` and ``SEL § 107`` → ``sel § 107``; ``§ 101 a`` → ``§ 101a``."""
    t = re.sub(r"\s*§+\s*", " § ", _norm(text)).strip()
    t = re.sub(r"(\d)\s+([a-z])\b", r"\1\2", t)
    for long, short in _LAWS.items():
        if t.startswith(long + " "):
            t = short + t[len(long):]
    return " ".join(t.split())


@dataclass(frozen=True)
class RegisterMapping:
    """The four mapping tables, keyed by normalised text.

    Attributes:
        functions: function id → target group.
        needs: målgruppe text → (function ids, target group or "").
        combinations: (texts that must all be listed, function ids, the row's text).
        paragraphs: paragraph → (delivery, target group).
        owners: ejerform → (owner, owner_detail).
        spelled: normalised key → the text as the mapping writes it (for "did you mean").
        files: table name → file the table was read from.
    """

    functions: dict[str, str]
    needs: dict[str, tuple[tuple[str, ...], str]]
    combinations: tuple[tuple[frozenset[str], tuple[str, ...], str], ...]
    paragraphs: dict[str, tuple[str, str]]
    owners: dict[str, tuple[str, str]]
    spelled: dict[str, str]
    files: dict[str, str]


def _read_mapping_file(folder: Path | None, name: str, columns: tuple[str, ...],
                       ) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    """(path, [(Excel row, row)]) of one mapping table; from ``folder`` when it has the file,
    else the bundled one (``functions.csv``: the bundled dataset's taxonomy, so the importer
    and the model know the same functions)."""
    bundled = (bundled_dir() if name == "functions.csv" else bundled_mapping_dir()) / name
    path = folder / name if folder is not None and (folder / name).is_file() else bundled
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    rows = list(reader)
    header = list(reader.fieldnames or [])
    for col in columns:
        if col not in header:
            raise DataValidationError(f"missing column {col!r}; found {header}",
                                      file=str(path), row=1, field=col)
    return str(path), [(i + 2, {k: (v or "").strip() for k, v in r.items() if k})
                       for i, r in enumerate(rows)]


def _choice(value: str, allowed: tuple[str, ...], file: str, row: int, field: str) -> str:
    if value not in allowed:
        raise DataValidationError(f"{value!r} is not one of {', '.join(allowed)}.",
                                  file=file, row=row, field=field)
    return value


def _unique(key: str, seen: dict[str, int], text: str, file: str, row: int, field: str) -> None:
    if key in seen:
        raise DataValidationError(f"{text!r} is listed twice (first in row {seen[key]})",
                                  file=file, row=row, field=field)
    seen[key] = row


def load_mapping(directory: Path | str | None = None) -> RegisterMapping:
    """Read and check the mapping tables: those in ``directory`` where it has them, else the
    bundled ones (:func:`bundled_mapping_dir`).

    Raises:
        DataValidationError: an unknown function, owner, delivery or target group, a text
            listed twice, or a combination whose parts are not texts of their own.
    """
    folder = Path(directory) if directory is not None else None
    if folder is not None and not folder.is_dir():
        raise DataValidationError("mapping folder not found", file=str(folder))
    files: dict[str, str] = {}
    spelled: dict[str, str] = {}

    file, rows = _read_mapping_file(folder, "functions.csv", ("function", "target_group"))
    files["functions"] = file
    functions: dict[str, str] = {}
    seen: dict[str, int] = {}
    for row, r in rows:
        _unique(r["function"], seen, r["function"], file, row, "function")
        functions[r["function"]] = _choice(r["target_group"], GROUPS, file, row, "target_group")

    file, rows = _read_mapping_file(folder, "maalgrupper.csv",
                                    ("text", "functions", "target_group"))
    files["maalgrupper"] = file
    needs: dict[str, tuple[tuple[str, ...], str]] = {}
    combos: list[tuple[frozenset[str], tuple[str, ...], str, int]] = []
    seen = {}
    for row, r in rows:
        funcs = tuple(r["functions"].split())
        for f in funcs:
            if f not in functions:
                raise DataValidationError(
                    f"unknown function {f!r} (not in {files['functions']})."
                    f"{did_you_mean(f, functions)}", file=file, row=row, field="functions")
        group = r["target_group"]
        if group:
            _choice(group, GROUPS, file, row, "target_group")
        parts = [_norm(p) for p in r["text"].split(" + ")]
        key = " + ".join(sorted(parts))
        _unique(key, seen, r["text"], file, row, "text")
        if len(parts) > 1:
            combos.append((frozenset(parts), funcs, r["text"], row))
        else:
            needs[key] = (funcs, group)
            spelled[key] = r["text"]
    for parts, _, text, row in combos:
        missing = sorted(p for p in parts if p not in needs)
        if missing:
            raise DataValidationError(
                f"the combination {text!r} names {missing[0]!r}, which is not a text of "
                "its own row", file=file, row=row, field="text")

    file, rows = _read_mapping_file(folder, "paragraffer.csv",
                                    ("paragraph", "delivery", "target_group"))
    files["paragraffer"] = file
    paragraphs: dict[str, tuple[str, str]] = {}
    seen = {}
    for row, r in rows:
        key = _paragraph_key(r["paragraph"])
        _unique(key, seen, r["paragraph"], file, row, "paragraph")
        paragraphs[key] = (_choice(r["delivery"], DELIVERIES, file, row, "delivery"),
                           _choice(r["target_group"], GROUPS, file, row, "target_group"))
        spelled[key] = r["paragraph"]

    file, rows = _read_mapping_file(folder, "ejerform.csv", ("ejerform", "owner"))
    files["ejerform"] = file
    owners: dict[str, tuple[str, str]] = {}
    seen = {}
    for row, r in rows:
        key = _norm(r["ejerform"])
        _unique(key, seen, r["ejerform"], file, row, "ejerform")
        owners[key] = (_choice(r["owner"], OWNERS, file, row, "owner"),
                       r.get("owner_detail", ""))
        spelled[key] = r["ejerform"]

    return RegisterMapping(functions=functions, needs=needs,
                           combinations=tuple((p, f, t) for p, f, t, _ in combos),
                           paragraphs=paragraphs, owners=owners, spelled=spelled, files=files)


@dataclass(frozen=True)
class RegisterImport:
    """What :func:`import_register` read.

    Attributes:
        providers: one row per tilbud, columns :data:`PROVIDER_COLUMNS` (all text).
        competence: one row per (provider, function), columns :data:`COMPETENCE_COLUMNS`.
        source: the extract's path.
        separator: the field separator found in the header (``,`` or ``;``).
        unmapped: ids of providers whose målgrupper map to no function they may hold.
        dropped: (provider id, function) pairs left out because the provider does not serve
            the function's target group.
        mismatched: ids of providers whose age ranges and paragraphs name different target
            groups (the age ranges decide).
    """

    providers: pd.DataFrame
    competence: pd.DataFrame
    source: str
    separator: str
    unmapped: tuple[str, ...]
    dropped: tuple[tuple[str, str], ...]
    mismatched: tuple[str, ...]


def _municipality_lookup(munis: pd.DataFrame) -> dict[str, str]:
    """Code for each spelling of a code or (Danish or English) name, 'kommune' and Danish
    letters spelled out (Århus = Aarhus) allowed."""
    lookup: dict[str, str] = {}
    for col in ("code", "name", "name_en"):
        if col not in munis.columns:
            continue
        for code, text in zip(munis["code"], munis[col], strict=True):
            key = _norm(text).removesuffix(" kommune")
            lookup.setdefault(key, code)
            lookup.setdefault(key.translate(_SPELLED), code)
    return lookup


def _municipality(value: str, lookup: dict[str, str], munis: pd.DataFrame,
                  file: str, row: int) -> str:
    # 4-digit kommunekoder ("0101", as the CPR register writes them) are the 3-digit codes
    key = str(int(value)).zfill(3) if value.isdigit() else _norm(value).removesuffix(" kommune")
    code = lookup.get(key) or lookup.get(key.translate(_SPELLED))
    if code is None:
        raise DataValidationError(
            f"unknown kommune {value!r}: not a code or name of the 98 municipalities."
            f"{did_you_mean(value, munis['name'])}", file=file, row=row, field="kommune")
    return code


def _groups(groups: set[str]) -> str:
    """``children``/``adults`` for one group, ``all`` for both or none."""
    return next(iter(groups)) if len(groups) == 1 else "all"


def _split(cell: str) -> list[str]:
    return [p.strip() for p in _LIST_SPLIT.split(cell) if p.strip()]


def _ages(text: str, file: str, row: int) -> set[str] | None:
    """Groups of an age range (``Alder 0-17`` → children), None when ``text`` is none."""
    key = _norm(text)
    if m := _AGE_FROM.fullmatch(key):
        lo, hi = int(m.group(1)), 200
    elif m := _AGE_RANGE.fullmatch(key):
        lo, hi = int(m.group(1)), int(m.group(2))
    else:
        return None
    if hi < lo:
        raise DataValidationError(f"age range {text!r} ends before it starts",
                                  file=file, row=row, field="maalgrupper")
    return ({"children"} if lo < ADULT_AGE else set()) | ({"adults"} if hi >= ADULT_AGE
                                                           else set())


def _read_rows(path: Path) -> tuple[str, list[str], list[list[str]]]:
    """(separator, header, records) of the extract; records keep blank lines so that the
    row numbers stay Excel's."""
    file = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise DataValidationError(f"cannot read file: {exc}", file=file) from exc
    except UnicodeDecodeError as exc:
        raise DataValidationError(f"not UTF-8 text (byte {exc.start}); save it as "
                                  "'CSV UTF-8'", file=file) from exc
    if not text.strip():
        raise DataValidationError("file is empty (no header row)", file=file)
    first = text.split("\n", 1)[0]
    commas, semis = first.count(","), first.count(";")
    if commas == semis:
        raise DataValidationError(
            "cannot tell the separator: the header should have its columns separated by "
            "',' or by ';'", file=file, row=1)
    sep = "," if commas > semis else ";"
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    header = [_norm(h) for h in records[0]] if records else []
    return sep, header, records[1:]


def import_register(path: Path | str, mapping: RegisterMapping | None = None,
                    municipalities: pd.DataFrame | None = None) -> RegisterImport:
    """Read a register extract into providers and competence tables.

    Args:
        path: the extract (see the module docstring for its columns).
        mapping: the mapping tables (default: :func:`load_mapping` of the bundled ones).
        municipalities: the municipalities (``code``, ``name``, optional ``name_en``) that
            ``kommune`` must name (default: the bundled 98).

    Raises:
        DataValidationError: naming the file, the row and the field, for a missing column,
            an empty or duplicate ``tilbud_id``, an unknown kommune, ejerform, målgruppe text
            or paragraph, a ``pladser`` or ``advisory_capacity`` that is not a whole number
            >= 0, a ``matrikelloes`` that is not ja/nej, or a tilbud that is neither a place
            nor an outreach team.
    """
    path = Path(path)
    file = str(path)
    mapping = mapping if mapping is not None else load_mapping()
    if municipalities is None:
        municipalities = pd.read_csv(bundled_dir() / "municipalities.csv", dtype=str)
    lookup = _municipality_lookup(municipalities)
    sep, header, records = _read_rows(path)
    missing = [c for c in REGISTER_COLUMNS if c not in header]
    if missing:
        raise DataValidationError(f"missing column(s) {missing}; found {header}",
                                  file=file, row=1, field=missing[0])
    known_needs = [mapping.spelled[k] for k in mapping.needs]
    known_paragraphs = [mapping.spelled[k] for k in mapping.paragraphs]
    known_owners = [mapping.spelled[k] for k in mapping.owners]
    providers: list[dict[str, object]] = []
    competence: list[dict[str, object]] = []
    first_row: dict[str, int] = {}
    unmapped, dropped, mismatched = [], [], []
    for i, fields in enumerate(records):
        row = i + 2
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise DataValidationError(
                f"{len(fields)} fields where the header has {len(header)} (a '{sep}' inside "
                "a cell that is not quoted?)", file=file, row=row)
        r = {h: f.strip() for h, f in zip(header, fields, strict=True)}

        pid = r["tilbud_id"]
        if not pid:
            raise DataValidationError("empty tilbud_id", file=file, row=row, field="tilbud_id")
        if pid in first_row:
            raise DataValidationError(f"duplicate tilbud_id {pid!r} (first in row "
                                      f"{first_row[pid]})", file=file, row=row,
                                      field="tilbud_id")
        first_row[pid] = row
        code = _municipality(r["kommune"], lookup, municipalities, file, row)

        owner = mapping.owners.get(_norm(r["ejerform"]))
        if owner is None:
            raise DataValidationError(
                f"unknown ejerform {r['ejerform']!r} (not in {mapping.files['ejerform']})."
                f"{did_you_mean(r['ejerform'], known_owners)}", file=file, row=row,
                field="ejerform")

        functions: set[str] = set()
        age_groups: set[str] = set()
        listed: set[str] = set()
        for text in _split(r["maalgrupper"]):
            ages = _ages(text, file, row)
            if ages is not None:
                age_groups |= ages
                continue
            need = mapping.needs.get(_norm(text))
            if need is None:
                raise DataValidationError(
                    f"unknown målgruppe {text!r} (not in {mapping.files['maalgrupper']})."
                    f"{did_you_mean(text, known_needs)}", file=file, row=row,
                    field="maalgrupper")
            functions.update(need[0])
            if need[1] == "all":
                age_groups |= {"children", "adults"}
            elif need[1]:
                age_groups.add(need[1])
            listed.add(_norm(text))
        for parts, funcs, _ in mapping.combinations:
            if parts <= listed:
                functions.update(funcs)

        deliveries: set[str] = set()
        paragraph_groups: set[str] = set()
        paragraphs = []
        for text in _split(r["paragraffer"]):
            key = _paragraph_key(text)
            found = mapping.paragraphs.get(key) or mapping.paragraphs.get(
                re.split(r",?\s+stk\b", key)[0])  # "SEL § 66, stk. 1, nr. 6" is § 66
            if found is None:
                raise DataValidationError(
                    f"unknown paragraph {text!r} (not in {mapping.files['paragraffer']})."
                    f"{did_you_mean(text, known_paragraphs)}", file=file, row=row,
                    field="paragraffer")
            deliveries.add(found[0])
            if found[1] != "all":
                paragraph_groups.add(found[1])
            paragraphs.append(text)

        places = r["pladser"]
        if not places.isdigit():
            raise DataValidationError(f"pladser must be a whole number >= 0, got {places!r}",
                                      file=file, row=row, field="pladser")
        advisory = r.get("advisory_capacity", "")
        if advisory and not advisory.isdigit():
            raise DataValidationError(
                f"advisory_capacity must be a whole number >= 0 or empty (unlimited), got "
                f"{advisory!r}", file=file, row=row, field="advisory_capacity")
        outreach_only = _norm(r["matrikelloes"])
        if outreach_only not in _YES | _NO:
            raise DataValidationError(f"matrikelloes must be ja or nej, got "
                                      f"{r['matrikelloes']!r}", file=file, row=row,
                                      field="matrikelloes")
        if outreach_only in _YES:
            deliveries.add("outreach")
        if not deliveries:
            raise DataValidationError(
                "no paragraph and matrikelloes is not 'ja': cannot tell whether the tilbud is "
                "a place or an outreach team", file=file, row=row, field="paragraffer")
        kind = "both" if len(deliveries) == 2 else deliveries.pop()

        # the age ranges are the register's own statement of whom the tilbud serves; the
        # paragraphs only say which law it works under
        if age_groups and paragraph_groups and not age_groups & paragraph_groups:
            mismatched.append(pid)
        target = _groups(age_groups or paragraph_groups)
        kept = 0
        for f in sorted(functions):
            # the model's rule (Instance): a function's demand is its target group's, so a
            # tilbud serving one group only holds functions of that group
            if not serves_group(target, mapping.functions[f]):
                dropped.append((pid, f))
                continue
            competence.append({"provider_id": pid, "function": f, "max_cases": int(places),
                               "current_cases": 0, "designated_today": 0,
                               "designation_cost": 0, "advisory_cost": 0, "advisory_today": 0})
            kept += 1
        if not kept:
            unmapped.append(pid)
        providers.append({
            "provider_id": pid, "name": r["navn"] or pid, "municipality_code": code,
            "owner": owner[0], "kind": kind, "capacity": int(places),
            "advisory_capacity": advisory, "target_groups": target, "owner_detail": owner[1],
            "address": r["adresse"], "paragraphs": "; ".join(paragraphs),
            "needs": "; ".join(_split(r["maalgrupper"])),
        })
    if not providers:
        raise DataValidationError("no data rows (only a header)", file=file, row=2)
    return RegisterImport(
        providers=pd.DataFrame(providers, columns=list(PROVIDER_COLUMNS)),
        competence=pd.DataFrame(competence, columns=list(COMPETENCE_COLUMNS)),
        source=file, separator=sep, unmapped=tuple(unmapped), dropped=tuple(dropped),
        mismatched=tuple(mismatched))


def write_import(result: RegisterImport, out_dir: Path | str, *,
                 overwrite: bool = False) -> list[Path]:
    """Write ``providers.csv`` and ``competence.csv`` into ``out_dir`` (created if needed),
    each atomically (a temporary file in the folder, then :func:`os.replace`).

    Raises:
        DataValidationError: ``out_dir`` is the bundled dataset (its synthetic files are
            never replaced), a file, or already has one of the two files and ``overwrite``
            is not set.
    """
    out = Path(out_dir)
    if out.resolve() == bundled_dir().resolve():
        raise DataValidationError("will not replace the bundled synthetic dataset; give a "
                                  "folder of your own with --out", file=str(out))
    if out.exists() and not out.is_dir():
        raise DataValidationError("--out is a file, not a folder", file=str(out))
    names = {"providers.csv": result.providers, "competence.csv": result.competence}
    there = [n for n in names if (out / n).exists()]
    if there and not overwrite:
        raise DataValidationError(f"{there[0]} exists already; pass --overwrite to replace "
                                  "it", file=str(out / there[0]))
    out.mkdir(parents=True, exist_ok=True)
    temps: dict[str, str] = {}
    try:
        for name, table in names.items():
            # open() rather than mkstemp: the file gets the user's usual permissions
            temp = str(out / f".{name}.{os.getpid()}.tmp")
            temps[name] = temp
            with open(temp, "w", encoding="utf-8", newline="") as fh:
                table.to_csv(fh, index=False, lineterminator="\n")
        for name, temp in temps.items():  # only once both are complete
            os.replace(temp, out / name)
    finally:
        for temp in temps.values():
            with contextlib.suppress(FileNotFoundError):
                os.remove(temp)
    return [out / n for n in names]


def summary_lines(result: RegisterImport) -> list[str]:
    """What a planner should see after an import: counts by owner, kind and target group,
    competence rows per function, and the providers that got no competence row."""
    prov, comp = result.providers, result.competence
    sep = {",": "comma", ";": "semicolon"}[result.separator]
    lines = [f"read {len(prov)} tilbud from {result.source} ({sep}-separated)"]
    for col in ("owner", "kind", "target_groups"):
        counts = prov[col].value_counts().sort_index()
        lines.append(f"  by {col}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    per_f = Counter(comp["function"])
    lines.append(f"competence rows: {len(comp)}")
    lines += [f"  {f}: {n}" for f, n in sorted(per_f.items())]
    names = prov.set_index("provider_id")["name"]
    if result.unmapped:
        lines.append(f"{len(result.unmapped)} provider(s) with no function (kept in "
                     "providers.csv, no competence row):")
        lines += [f"  {p} {names[p]}" for p in result.unmapped]
    if result.dropped:
        lines.append(f"{len(result.dropped)} function(s) left out: the provider does not serve "
                     "the function's target group:")
        lines += [f"  {p} {f}" for p, f in result.dropped]
    if result.mismatched:
        lines.append("age ranges and paragraphs name different target groups (the age ranges "
                     "decide): " + ", ".join(result.mismatched))
    lines.append("designation_cost and advisory_cost are 0 and current_cases and "
                 "designated_today are 0 in competence.csv: fill them in before planning")
    return lines
