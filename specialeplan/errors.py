"""Exceptions that carry enough context for a planner to fix the input."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class SpecialeplanError(Exception):
    """Base class: every error the CLI reports without a traceback, exiting with
    ``exit_code`` (2: bad input, unless a subclass says otherwise)."""

    exit_code = 2


class DataValidationError(SpecialeplanError):
    """A table failed validation. Names the file, the row as numbered in a spreadsheet
    (header = row 1, first data row = 2) and the field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file, self.row, self.field, self.detail = file, row, field, message
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field '{field}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ScenarioError(SpecialeplanError):
    """A scenario file is malformed or refers to unknown specialer/providers."""


class SolverError(SpecialeplanError):
    """The requested solver is unknown, unavailable, or failed."""


class FolderRejected(SpecialeplanError):
    """An analysis was given a results folder that the independent checker rejects."""


class ResultsNotWritten(SpecialeplanError):
    """Results could not be written where asked (disk full, read-only, no permission); the
    CLI exits with code 4. ``rescue``: the folder the result was saved to instead, if any."""

    exit_code = 4

    def __init__(self, message: str, rescue: object | None = None) -> None:
        super().__init__(message)
        self.rescue = rescue


class RunFolderError(SpecialeplanError):
    """A results folder cannot be used (not writable, a file, a bad name); see
    :mod:`specialeplan.results.runfolder`."""


class WorkerFailed(SpecialeplanError):
    """A worker process of a parallel analysis died (killed, out of memory); the CLI exits
    with code 1."""

    exit_code = 1


class InfeasibleError(SpecialeplanError):
    """The scenario is infeasible; ``diagnosis`` explains which families cause it and
    ``outcome`` (a ``RunOutcome`` without solution) is what a results folder records."""

    def __init__(self, message: str, diagnosis: object | None = None,
                 outcome: object | None = None) -> None:
        super().__init__(message)
        self.diagnosis = diagnosis
        self.outcome = outcome


class OptionalFileIgnored(UserWarning):
    """An optional side file (e.g. ``optima.csv`` beside an OR-Library instance) could not
    be read and was ignored; it never stops a solve."""


def did_you_mean(value: str, choices: Iterable[str], n: int = 3) -> str:
    """`` Did you mean 'a' or 'b'?`` for the closest of ``choices`` to a wrong ``value``
    (case-insensitive, :mod:`difflib`); an empty string when nothing is close."""
    options = sorted({str(c) for c in choices})
    by_fold = {c.casefold(): c for c in options}
    close = difflib.get_close_matches(str(value).casefold(), list(by_fold), n=n, cutoff=0.6)
    if not close:
        return ""
    names = [repr(by_fold[c]) for c in close]
    return " Did you mean " + (" or ".join([", ".join(names[:-1]), names[-1]])
                               if len(names) > 1 else names[0]) + "?"
