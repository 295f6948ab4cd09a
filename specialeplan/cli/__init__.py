"""The ``specialeplan`` command line: thin wrappers around the API and the analyses.

``main`` is the console entry point; ``app`` the Typer application the tests drive.
"""

from specialeplan.cli.main import app, main

__all__ = ["app", "main"]
