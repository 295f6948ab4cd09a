"""``python -m specialeplan.cli``: the same as the ``specialeplan`` command."""

from specialeplan.cli import main

main()
