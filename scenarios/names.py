"""Safe folder names: scenario, sweep and run names become results folders.

The rule lives here, below the scenario and sweep schemas that validate names and the results
folders (:mod:`specialeplan.results.runfolder`) that use them, so that neither layer imports
the other's.
"""

from __future__ import annotations

import re

from specialeplan.errors import RunFolderError

#: ``=`` and ``,`` are allowed after the first character so that sweep runs can be named after
#: their values (``min_cases=30,max_travel_minutes=150``); both are plain in every shell and OS
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.,=-]{0,99}$")


def check_folder_name(name: str, what: str = "name") -> str:
    """``name`` if it is a safe folder name: letters, digits, ``_ . -`` (and ``= ,`` after
    the first character), at most 100 characters, no leading dot (so never ``.`` or ``..``),
    no path separators; :class:`~specialeplan.errors.RunFolderError` otherwise."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise RunFolderError(
            f"{what} {name!r} is not a safe folder name: use letters, digits, '_', '-' and "
            "'.', '=', ',' (not first), at most 100 characters")
    return name
