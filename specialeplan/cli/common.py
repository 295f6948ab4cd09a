"""What every command module shares: the Typer apps, the consoles and the one way out.

Each command module registers its commands with the apps' own decorator
(``@app.command()``, ``@data_app.command()``); :mod:`specialeplan.cli` imports the modules in
the order of ``specialeplan --help``. Every command ends through :func:`fail` when it does
not succeed: a message on stderr, never a traceback, and the exit code.

Exit codes: 0 ok (also an interrupted run that kept a solution), 1 the check found violations
or there is no solution (also a failed sweep run, a dead worker), 2 bad input
(data/scenario/solver options/results folder), 3 infeasible, 4 the results could not be
written where asked, 130 interrupted with nothing feasible to keep (``run``: nothing
written; sweeps and rollouts: what was complete is written).
"""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Placement of specialfunktioner for the Danish national specialeplan.")
data_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       help="Look at a dataset (default: the bundled Denmark data).")
app.add_typer(data_app, name="data", help="Look at the bundled dataset.")

console = Console()
err_console = Console(stderr=True)


def fail(problem: BaseException | str, code: int | None = None, *,
         markup: bool = False) -> NoReturn:
    """Print ``problem`` on stderr without a traceback and exit.

    An error (or plain text) is printed as ``error: <text>``, the text never read as markup;
    with ``markup=True`` ``problem`` is a Rich-markup message that says itself what happened
    (``infeasible: ...``, ``interrupted ...``; the caller escapes what it quotes). The exit
    code is ``code``, else the error's ``exit_code``
    (:class:`~specialeplan.errors.SpecialeplanError`: 4 results not written, 1 a worker
    died, ...), else 2.
    """
    text = str(problem) if markup else f"[bold red]error:[/] {escape(str(problem))}"
    err_console.print(text, highlight=False, soft_wrap=True)
    raise typer.Exit(code if code is not None else getattr(problem, "exit_code", 2))


def warn(text: str) -> None:
    """``warning: <text>`` on stderr (the text never read as markup); the command goes on."""
    err_console.print(f"[yellow]warning:[/] {escape(text)}", highlight=False)


def table_console() -> Console:
    """Console for tables; piped output (not a terminal) gets room for the widest table."""
    out = Console()
    return out if out.is_terminal else Console(width=max(out.width, 120))


def main() -> None:
    """Entry point of the ``specialeplan`` command."""
    from specialeplan.cli import interrupted_import

    try:
        app()
    except KeyboardInterrupt:  # outside a solve; HiGHS handles Ctrl-C inside one
        err_console.print("interrupted")
        sys.exit(130)
    except ImportError as exc:  # Ctrl-C while a compiled module was being imported
        if not interrupted_import(exc):
            raise
        err_console.print("interrupted")
        sys.exit(130)
