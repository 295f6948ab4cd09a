"""``python -m specialeplan.cli.main`` and ``from specialeplan.cli.main import app``: kept for
scripts written before the command line was split by role (:mod:`specialeplan.cli`)."""

from specialeplan.cli import app, main

__all__ = ["app", "main"]

if __name__ == "__main__":
    main()
