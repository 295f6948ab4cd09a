"""Commands about scenario files: ``show`` (the resolved scenario)."""

from __future__ import annotations

from typing import Annotated

import typer

from specialeplan.cli.common import app, fail
from specialeplan.errors import SpecialeplanError


@app.command()
def show(
    scenario: Annotated[str, typer.Argument(help="scenario YAML file or bundled name")],
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a scenario key, e.g. --set model.defaults.min_cases=25")
    ] = None,
) -> None:
    """Print the resolved scenario: every key with its value after extends and --set."""
    import yaml

    from specialeplan.scenarios.schema import load_scenario

    try:
        resolved = load_scenario(scenario, set_ or [])
    except SpecialeplanError as exc:
        fail(exc)
    sc = resolved.scenario
    doc = sc.model_dump(mode="json", exclude={"extends"})
    print(f"# {sc.name}: resolved from")
    for step in resolved.chain:
        print(f"#   {step}")
    print(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100), end="")
