"""The ``specialeplan`` command line: thin wrappers around the API and the analyses.

``main`` is the console entry point; ``app`` the Typer application the tests drive. The
shared apps, consoles and the one error/exit helper are in :mod:`specialeplan.cli.common`;
each module below registers its commands on them with Typer's own decorator, and they are
imported here in the order of ``specialeplan --help``:

- :mod:`~specialeplan.cli.plan`: ``version``, ``run``, ``check``, ``map``, ``classic``;
- :mod:`~specialeplan.cli.sensitivity`: ``sweep``, ``compare``, ``frontier``;
- :mod:`~specialeplan.cli.alternatives`: ``alternatives``;
- :mod:`~specialeplan.cli.scenarios`: ``show``;
- :mod:`~specialeplan.cli.analyses`: ``capacity``, ``rollout``, ``vulnerability``;
- :mod:`~specialeplan.cli.data`: ``data travel``, ``data summary``, ``data providers``,
  ``data import-population``.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

#: The command modules: each registers its commands when imported, in this (--help) order
COMMAND_MODULES = ("plan", "sensitivity", "alternatives", "scenarios", "analyses", "data")

__all__ = ["app", "main"]


def _app() -> Any:
    """Import the command modules (Typer, pandas, …: the slow part of start-up) and return
    the application."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    from specialeplan.cli.common import app

    return app


def main() -> None:
    """Entry point of the ``specialeplan`` command. The heavy imports happen in here, so a
    Ctrl-C in the first moments of start-up ends with a message and exit 130, not a
    traceback."""
    try:
        _app()
        from specialeplan.cli.common import main as run_app
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    except ImportError as exc:
        if not interrupted_import(exc):
            raise
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    run_app()


def interrupted_import(exc: BaseException) -> bool:
    """True for an ImportError caused by Ctrl-C: a compiled module (pybind11: highspy)
    turns a KeyboardInterrupt during its initialisation into ``ImportError:
    initialization failed`` with the interrupt as its cause."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, KeyboardInterrupt):
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return False


def __getattr__(name: str) -> Any:
    """``specialeplan.cli.app``: the application, loaded on first use."""
    if name == "app":
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
