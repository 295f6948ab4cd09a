"""Safe folder names: scenario, sweep and run names become results folders.

The rule lives here, below the scenario and sweep schemas that validate names and the results
folders (:mod:`specialeplan.results.runfolder`) that use them, so that neither layer imports
the other's.
"""

from __future__ import annotations

import hashlib
import re

from specialeplan.errors import RunFolderError

#: Letters (æ, ø, å and other Unicode letters too), digits, ``_`` and ``-``; ``.``, ``,``,
#: ``=`` and spaces inside (sweep runs are named after their values, ``min_cases=30``; a
#: user's ``--out`` may be "Plan for Nordjylland"). Never ``@`` (it separates a name from its
#: lock and temp suffixes), a path separator, a leading dot or a trailing dot or space.
NAME_PATTERN = re.compile(r"^[\w-](?:[\w.,= -]{0,98}[\w,=-])?$")


def check_folder_name(name: str, what: str = "name") -> str:
    """``name`` if it is a safe folder name (:data:`NAME_PATTERN`): letters, digits, ``_``
    and ``-``, with ``.``, ``,``, ``=`` and spaces inside, at most 100 characters, no ``@``,
    no path separators, no leading dot (so never ``.`` or ``..``);
    :class:`~specialeplan.errors.RunFolderError` otherwise."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise RunFolderError(
            f"{what} {name!r} is not a safe folder name: use letters, digits, '_' and '-', "
            "with '.', ',', '=' or spaces inside, at most 100 characters (no '@', '/' or "
            "leading dot)")
    return name


def derived_name(base: str, suffix: str = "") -> str:
    """A valid folder name made by the tool from ``base`` (a run's name) and ``suffix``:
    characters a name may not hold become ``_``, and a name longer than 100 characters is
    shortened with a hash of the whole, so the user never meets a refusal for a name they
    did not choose."""
    clean = re.sub(r"[^\w.,= -]", "_", base).strip(" .") or "run"
    if not re.match(r"[\w-]", clean[0]):
        clean = "_" + clean
    name = clean + suffix
    if len(name) > 100:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = clean[: 100 - len(suffix) - 9].rstrip(" .") + "-" + digest + suffix
    return check_folder_name(name)
