"""The ``specialeplan`` command line: thin wrappers around the API and the analyses.

``main`` is the console entry point; ``app`` the Typer application the tests drive. The
shared apps, consoles and the one error/exit helper are in :mod:`specialeplan.cli.common`;
each module below registers its commands on them with Typer's own decorator, and they are
imported here in the order of ``specialeplan --help``:

- :mod:`~specialeplan.cli.plan`: ``version``, ``run``, ``check``, ``map``, ``classic``;
- :mod:`~specialeplan.cli.sensitivity`: ``sweep``, ``compare``, ``frontier``;
- :mod:`~specialeplan.cli.scenarios`: ``show``;
- :mod:`~specialeplan.cli.analyses`: ``rollout``, ``vulnerability``;
- :mod:`~specialeplan.cli.data`: ``data travel``, ``data summary``, ``data providers``.
"""

# The modules register their commands when imported: this order is the order of --help.
# isort: off
from specialeplan.cli import plan, sensitivity, scenarios, analyses, data  # noqa: F401
# isort: on
from specialeplan.cli.common import app, main

__all__ = ["app", "main"]
