"""Comparable spellings of Danish municipality names.

Shared by the command line's look-ups (``specialeplan data travel Århus Rønne``) and the
Statistics Denmark importer (:mod:`specialeplan.data.population_import`), so a name is
recognised the same way everywhere.
"""

from __future__ import annotations

import unicodedata

# Danish letters spelled out the usual way in ASCII (Århus → aarhus) or dropped (ø → o)
_SPELLED = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})
_DROPPED = str.maketrans({"æ": "a", "ø": "o", "å": "a"})


def name_keys(text: str) -> set[str]:
    """Comparable spellings of a municipality name: case-, accent- and 'kommune'-insensitive
    (``"Høje-Taastrup Kommune"``, ``"hoeje taastrup"`` and ``"Hoje-Taastrup"`` share a key)."""
    t = unicodedata.normalize("NFC", str(text)).casefold().strip()
    t = t.removesuffix(" kommune").replace("-", " ").replace(".", "")
    t = " ".join(t.split())
    out = set()
    for table in (_SPELLED, _DROPPED):
        folded = unicodedata.normalize("NFKD", t.translate(table))
        out.add("".join(ch for ch in folded if not unicodedata.combining(ch)))
    return out
