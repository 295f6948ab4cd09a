"""What a results folder holds, beside what its tables say: the files themselves.

- **Recorded hashes**: every input table under ``instance/`` and every result table is
  verified against the sha256 the writer recorded in ``scenario.resolved.yaml``
  (``file_hashes``): a capacity edited in ``instance/providers.csv`` after the run, or a row
  changed in ``designations.csv``, is a violation even where the edit keeps the rules. A
  folder of an earlier version without the record gets a note instead.
- **Files for the status**: a folder with a solution holds no ``infeasibility.csv`` (that
  belongs to an infeasible run: files of two runs are mixed); one without a solution holds
  no solution tables (:func:`specialeplan.checker.check_results` checks that side).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from specialeplan.checker.report import Collector
from specialeplan.results.contract import FILE_HASHES, INFEASIBILITY, RESOLVED_SCENARIO

RULE = "files"


def recorded_hashes(folder: Path) -> dict[str, str] | None:
    """The ``file_hashes`` record of ``scenario.resolved.yaml``; None when there is none."""
    try:
        doc = yaml.safe_load((folder / RESOLVED_SCENARIO).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    record = doc.get(FILE_HASHES) if isinstance(doc, dict) else None
    if not isinstance(record, dict):
        return None
    return {str(k): str(v) for k, v in record.items()}


def check_files(folder: Path, c: Collector, *, has_solution: bool) -> list[str]:
    """Add a violation for each changed, missing or unrecorded table and for a stray
    ``infeasibility.csv``; return notes on what could not be verified (no record: a folder
    of an earlier version)."""
    warnings: list[str] = []
    if has_solution:
        c.single(RULE, not (folder / INFEASIBILITY).exists(),
                 f"{INFEASIBILITY} lies next to a solution: it belongs to an infeasible run, "
                 "so files of two runs are mixed in this folder")
    record = recorded_hashes(folder)
    if record is None:
        warnings.append(f"no {FILE_HASHES} in {RESOLVED_SCENARIO} (written by an earlier "
                        "version): the files could not be verified against what was written")
        return warnings
    for rel, digest in sorted(record.items()):
        path = folder / rel
        if not path.is_file():
            c.single(RULE, False, f"{rel} is missing: the run wrote it (its hash is recorded "
                     f"in {RESOLVED_SCENARIO})")
            continue
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        c.single(RULE, actual == digest,
                 f"{rel} was changed after the run wrote it (its sha256 differs from the "
                 f"one recorded in {RESOLVED_SCENARIO}); re-run the scenario instead of "
                 "editing its results")
    present = {p.relative_to(folder).as_posix() for p in (folder / "instance").glob("*.csv")}
    for rel in sorted(present - set(record)):
        c.single(RULE, False, f"{rel} was added after the run (it is not among the files "
                 f"recorded in {RESOLVED_SCENARIO})")
    return warnings
